"""A small engine that applies a rule pack to one document's lines.

The pack (``packs/<lang>.toml``) holds the words: widget labels, credit formats, header
phrases, in-line tags. The engine holds the layout: which line is the title, where the body's
last long paragraph is, which lines sit between paragraphs, which restate a neighbour. A new
language or site is a new pack, not new code.

Everything here is pure: ``find_boilerplate(text, pack)`` returns what to cut and why, in
offsets of ``text``. When in doubt a line stays: losing content is worse than leaving a
little boilerplate.
"""
from __future__ import annotations

import functools
import itertools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import flat as _flat
from ..learn import words_model_file

PACK_DIR = Path(__file__).parent / "packs"

# Every key a pack may hold, with its type and the value used when the pack leaves it out:
# the one place such values live. A key not listed here is an error naming it (a misspelt
# threshold would otherwise be ignored in silence).
_ANY, _STR, _INT, _NUM, _BOOL, _LIST = object(), str, int, (int, float), bool, list
PACK_SCHEMA: dict[str, dict[str, tuple]] = {
    "pack": {
        "language": (_STR, ""), "terminal_punctuation": (_STR, ".!?"),
        "long_paragraph_words": (_INT, 30), "heading_max_words": (_INT, 12),
        # letters of the pack's alphabet, as regex class bodies ({UPPER} / {LOWER} in patterns)
        "upper_letters": (_STR, "A-Z"), "lower_letters": (_STR, "a-z"),
        "byline_joiners": (_LIST, ["and"]),  # the word between two names in a byline
        "repeat_min_words": (_INT, 0),  # a line this long that repeats an earlier one exactly goes (0: off)
    },
    "model": {"line": (_STR, ""), "max_words": (_INT, 45), "soft_rules": (_LIST, [])},
    # flattened articles (rules/sentences.py, rules/flat.py)
    "sentences": {"abbreviations": (_LIST, []), "name_openers": (_LIST, []), "labels": (_LIST, []),
                  "speech": (_LIST, [])},
    "flat": {
        "min_chars": (_INT, 150), "min_share": (_NUM, 0.6), "model": (_BOOL, False), "anchors": (_LIST, []),
        "window_before": (_INT, 300), "window_after": (_INT, 150), "window_tail": (_INT, 300),
        "threshold": (_NUM, 0.9), "model_min_words": (_INT, 2), "model_max_words": (_INT, 45),
        "caption_max_words": (_INT, 40), "photo_story_credits": (_INT, 6),
        "name_caption_min": (_INT, 2), "name_caption_max": (_INT, 4), "name_titles": (_LIST, []),
        "reported_speech": (_LIST, []),
        "credit": (_STR, r"(?!)"), "credit_alone": (_STR, r"(?!)"), "credit_tail": (_STR, r"(?!)"),
        "credit_requires": (_LIST, []), "short_spaces": (_INT, 40), "teaser_call": (_STR, r"(?!)"),
        "end_mark": (_STR, r"(?<=[.…])/\."), "caption_words": (_LIST, []), "narrative_words": (_LIST, []),
        "tail_byline": (_STR, r"(?!)"), "segment": (_LIST, []), "tail": (_LIST, []),
    },
    "caption": {
        "credit": (_STR, r"(?!)"), "credit_requires": (_LIST, []), "opening": (_STR, r"(?!)"),
        "body_opening": (_STR, r"(?!)"), "narrative": (_STR, r"(?!)"),
        "restates": (_NUM, 0.8), "sandwich_max_words": (_INT, 15), "no_stop_min_words": (_INT, 13),
        "no_stop_max_words": (_INT, 45), "no_stop_plain_max_words": (_INT, 25),
        "no_stop_min_words_names": (_INT, 10), "names_ratio": (_NUM, 0.6),
        "byline_tail_max_lines": (_INT, 1000),
        # a one-sentence line between paragraphs whose words read like a caption (a model
        # learned from captions with credits: learn/caption_words.py); "" turns it off
        "words_model": (_STR, ""), "words_threshold": (_NUM, 99.0), "words_min_words": (_INT, 3),
        "words_max_words": (_INT, 30),
    },
}
_RULE_KEYS = {
    "line": {"id", "reason", "pattern", "trailing", "ignore_case", "max_words", "at_end", "requires"},
    "block": {"id", "reason", "pattern", "trailing", "ignore_case", "max_words", "at_end", "requires"},
    "inline": {"id", "reason", "where", "pattern", "ignore_case", "min_words_before", "min_sentences_before",
               "requires"},
}
_WHERE = {"doc_start", "lead", "line_start", "line_end", "anywhere"}


class PackError(ValueError):
    """A rule pack that cannot be used: the message names the file and the key."""


def _settings(cfg: dict, path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for section, keys in PACK_SCHEMA.items():
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            raise PackError(f"{path}: [{section}] must be a table")
        unknown = sorted(set(given) - set(keys))
        if unknown:
            raise PackError(f"{path}: unknown key {unknown[0]!r} in [{section}] (known: {', '.join(sorted(keys))})")
        vals = {}
        for key, (kind, default) in keys.items():
            v = given.get(key, default)
            if kind is not _ANY and not isinstance(v, kind) or isinstance(v, bool) and kind is not _BOOL:
                raise PackError(f"{path}: [{section}] {key} = {v!r} has the wrong type")
            vals[key] = v
        out[section] = vals
    for kind, keys in _RULE_KEYS.items():
        for r in cfg.get(kind, []):
            unknown = sorted(set(r) - keys)
            if unknown:
                raise PackError(f"{path}: unknown key {unknown[0]!r} in [[{kind}]] {r.get('id', '?')!r}")
            missing = [k for k in ("id", "reason", "pattern") + (("where",) if kind == "inline" else ()) if k not in r]
            if missing:
                raise PackError(f"{path}: [[{kind}]] {r.get('id', '?')!r} has no {missing[0]!r}")
            if kind == "inline" and r["where"] not in _WHERE:
                raise PackError(f"{path}: [[inline]] {r['id']!r}: where = {r['where']!r} is not one of {sorted(_WHERE)}")
    unknown = sorted(set(cfg) - set(PACK_SCHEMA) - set(_RULE_KEYS))
    if unknown:
        raise PackError(f"{path}: unknown section [{unknown[0]}]")
    return out
_WORD_RE = re.compile(r"\w+(?:[-'’.]\w+)*")
_TAIL = 240  # characters at the end of a line that end-anchored patterns may span
_ENGINE_WORD_LIMITS = (45, 40, 25, 20)  # word counts the layout code below compares with
_PREFIX = 600  # characters whose words are counted first on a long line
_LIST_ITEM = re.compile(r"^\(?[\w\d]{1,2}[).]\s")  # characters: past this, a line is body text and its words are only counted


def _union(patterns: list[re.Pattern]) -> re.Pattern:
    """One alternation of all the patterns, each with its own case flag: it matches (or
    fullmatches) a text where one of them does, so one call screens out the texts none matches."""
    if not patterns:
        return re.compile(r"(?!)")
    parts = []
    for p in patterns:
        body = re.sub(r"\(\?P<\w+>", "(?:", p.pattern)  # group names could clash
        parts.append(f"(?i:{body})" if p.flags & re.IGNORECASE else f"(?:{body})")
    return re.compile("|".join(parts))


def _compile(pattern: str, ignore_case: bool = False, upper: str = "A-Z", lower: str = "a-z",
             where: str = "") -> re.Pattern:
    pattern = pattern.replace("{UPPER}", upper).replace("{LOWER}", lower)
    try:
        compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
        re.compile(f"(?:{pattern})")  # as _union joins it with the others
    except re.error as e:
        hint = ("; write ignore_case = true, or a flag for part of it, (?i:...)"
                if "global flags" in str(e) else "")
        raise PackError(f"{where}: the pattern does not compile ({e}){hint}") from None
    return compiled


@dataclass(frozen=True)
class LineRule:
    id: str
    reason: str
    pattern: re.Pattern
    max_words: int | None = None
    at_end: bool = False
    requires: tuple[str, ...] = ()  # literals, one of which every match contains (a cheap prefilter)


@dataclass(frozen=True)
class InlineRule:
    id: str
    reason: str
    where: str
    pattern: re.Pattern
    min_words_before: int = 0
    min_sentences_before: int = 0
    requires: tuple[str, ...] = ()  # literals, one of which must be in the line (a cheap prefilter)


@dataclass(frozen=True)
class Pack:
    name: str
    digest: str
    terminal: str
    long_words: int
    heading_max_words: int
    lines: tuple[LineRule, ...]
    any_line: re.Pattern  # the line rules without `requires` in one alternation: most lines match none, cheaply
    blocks: tuple[LineRule, ...]
    inline: tuple[InlineRule, ...]
    caption: dict[str, Any]
    caption_credit: re.Pattern
    credit_requires: tuple[str, ...]  # literals, one of which a credit must contain (a prefilter)
    caption_opening: re.Pattern
    body_opening: re.Pattern
    narrative: re.Pattern
    sentence_break: re.Pattern  # a sentence end followed by a capital: two sentences
    byline_split: re.Pattern  # what separates the names of a shared byline
    word_cap: int  # the largest word count any rule compares with: past it, counting can stop
    model: dict[str, Any] = field(default_factory=dict)  # [model]: the line model and what it judges
    flat: Any = None  # flat.FlatConfig: furniture inside long lines, cut sentence by sentence
    repeat_min_words: int = 0  # [pack]: a paragraph this long printed again in the document goes


@functools.lru_cache(maxsize=None)
def load_pack(name: str = "vi") -> Pack:
    """Load ``packs/<name>.toml`` (or a path to a TOML file)."""
    import hashlib

    path = Path(name) if name.endswith(".toml") else PACK_DIR / f"{name}.toml"
    try:
        data = path.read_bytes()
        cfg = tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PackError(f"{path}: cannot read the rule pack ({e})") from None
    settings = _settings(cfg, path)
    p, cap = settings["pack"], settings["caption"]
    given = cap["words_model"]
    if given:
        cap["words_model"] = str(words_model_file(path, given))  # one file, whatever the working folder
        try:
            _words_model(cap["words_model"])
        except FileNotFoundError:
            raise PackError(f"{path}: [caption] words_model = {given!r}: no such model "
                            f"({cap['words_model']})") from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise PackError(f"{path}: [caption] words_model = {given!r}: not a usable caption-words model ({e})") from None
    up, low = p["upper_letters"], p["lower_letters"]

    def comp(pattern: str, ignore_case: bool = False, where: str = "") -> re.Pattern:
        return _compile(pattern, ignore_case, up, low, f"{path}: {where}")

    def line_rule(r: dict) -> LineRule:
        pat = r["pattern"]
        if "trailing" in r:
            pat = f"(?:{pat}){r['trailing']}"
        return LineRule(r["id"], r["reason"], comp(pat, r.get("ignore_case", False), r["id"]),
                        r.get("max_words"), r.get("at_end", False), tuple(r.get("requires", ())))

    lines = tuple(line_rule(r) for r in cfg.get("line", []))
    blocks = tuple(line_rule(r) for r in cfg.get("block", []))
    thresholds = [p["long_paragraph_words"], p["heading_max_words"], *_ENGINE_WORD_LIMITS]
    thresholds += [r.max_words for r in lines + blocks if r.max_words is not None]
    thresholds += [v for v in cap.values() if isinstance(v, int) and not isinstance(v, bool)]
    return Pack(
        name=p["language"] or path.stem,
        digest=hashlib.sha256(data).hexdigest()[:16],
        terminal=p["terminal_punctuation"],
        long_words=p["long_paragraph_words"],
        heading_max_words=p["heading_max_words"],
        lines=lines,
        any_line=_union([r.pattern for r in lines if not r.requires]),
        blocks=blocks,
        inline=tuple(
            InlineRule(r["id"], r["reason"], r["where"], comp(r["pattern"], r.get("ignore_case", False), r["id"]),
                       r.get("min_words_before", 0), r.get("min_sentences_before", 0), tuple(r.get("requires", ())))
            for r in cfg.get("inline", [])
        ),
        caption=cap,
        caption_credit=comp(cap["credit"], where="[caption] credit"),
        credit_requires=tuple(cap["credit_requires"]),
        caption_opening=comp(cap["opening"], where="[caption] opening"),
        body_opening=comp(cap["body_opening"], where="[caption] body_opening"),
        narrative=comp(cap["narrative"], True, "[caption] narrative"),
        sentence_break=re.compile(r"[.!?…]\s+[\"“(]?[" + up + "0-9]"),
        byline_split=re.compile(r"\s*[-–,&]\s*|" + "|".join(rf"\s+{re.escape(w)}\s+" for w in p["byline_joiners"] or ["(?!)"])),
        word_cap=max(thresholds) + 1,
        model=settings["model"],
        flat=_flat.load_config(cfg, settings, comp),
        repeat_min_words=p["repeat_min_words"],
    )


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """Remove ``text[start:end]`` (offsets in the document text)."""

    start: int
    end: int
    reason: str
    rule: str
    extra: dict | None = None  # what else the manifest records (the line model's ``score``)


@dataclass
class Findings:
    cuts: list[Cut] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    kept: dict[int, str] = field(default_factory=dict)  # line index -> title / heading


# --- line model ------------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    index: int
    start: int  # offset of the line's first character
    end: int  # offset just past its last character (before the newline)
    nl: int  # offset just past its newline (== end on the last line without one)
    raw: str
    lo: int = 0  # in-line cuts narrow the line to raw[lo:hi] for classification (``narrow``)
    hi: int = 0
    text: str = ""  # raw[lo:hi] stripped, kept current by ``narrow`` (the rules read it a million times a corpus)
    words: int = 0  # exact up to the pack's word_cap; past it, a lower bound above word_cap
    exact: bool = False  # ``words`` is the full count (then ``ws`` gives the words)
    reason: str | None = None
    rule: str | None = None
    score: float | None = None  # the line model's probability of furniture, when it ran

    _ws: list[str] | None = None
    _low: str | None = None  # " w1 w2 ... " lower-cased: a trigram's padded key is in it iff the line has that trigram
    _tri: set | None = None  # word trigrams of ``text``, once made (lines are compared with both neighbours)

    def narrow(self, lo: int | None = None, hi: int | None = None) -> None:
        self.lo = self.lo if lo is None else lo
        self.hi = self.hi if hi is None else hi
        self.text = self.raw[self.lo : self.hi].strip()

    @property
    def ws(self) -> list[str] | None:
        """The words of ``text`` when counted in full (found on first use: most lines' counts
        come from ``textarray``, and few rules need the words themselves), else None."""
        if self._ws is None and self.exact:
            self._ws = words(self.text)
        return self._ws

    def lowered(self) -> str:
        if self._low is None:
            ws = self.ws
            # joined first, then lower-cased: the same words as lowering each (none holds a space)
            self._low = " " + " ".join(ws if ws is not None else words(self.text)).lower() + " "
        return self._low

    def trigrams(self) -> set[str]:
        """Its lower-cased word trigrams, each as " a b c " (words hold no spaces, so the
        string names the trigram)."""
        if self._tri is None:
            t = self.lowered().split()
            self._tri = {f" {a} {b} {c} " for a, b, c in zip(t, t[1:], t[2:])}
        return self._tri

    def shares(self, grams: set[str]) -> int:
        """How many of ``grams`` (``trigrams()`` of another line) this line holds: substring
        searches of ``lowered()``, cheaper than a set of a long paragraph's trigrams."""
        low = self.lowered()
        return sum(1 for g in grams if g in low)


def content_lines(text: str) -> list[Line]:
    """The lines of ``text`` that are not blank."""
    lines = []
    pos = 0
    n = len(text)
    for i, part in enumerate(text.split("\n")):
        end = pos + len(part)
        t = part.strip()
        if t:
            lines.append(Line(i, pos, end, end + 1 if end < n else end, part, 0, len(part), t))
        pos = end + 1
    return lines


def words(s: str) -> list[str]:
    return _WORD_RE.findall(s)


def _ends_sentence(s: str, pack: Pack) -> bool:
    s = s.rstrip()
    return bool(s) and s[-1] in pack.terminal


def _cap_ratio(ws: list[str]) -> float:
    alpha = [w for w in ws if w[0].isalpha()]
    if not alpha:
        return 0.0
    return sum(1 for w in alpha if w[0].isupper()) / len(alpha)


# --- the engine ------------------------------------------------------------------------------


@dataclass
class Analysis:
    """One document after the rules: its content lines with their verdicts, before the cuts
    are made. The line model reads it (``learn/features.py``) and may overrule soft verdicts."""

    text: str
    content: list[Line]
    title: Line | None
    found: Findings


def find_boilerplate(text: str, pack: Pack, disabled: frozenset[str] = frozenset(),
                     line_words=None, model=None, flat_plan=None) -> Findings:
    """What to cut from ``text`` and why, plus metadata (title, date, agency, author).

    ``disabled``: reasons (e.g. ``caption``) whose rules are switched off. ``line_words``:
    the number of words on each line of ``text``, if counted already (``textarray``).
    ``model``: a :class:`~pipeline.learn.linemodel.LineModel` that makes the judgement calls.
    ``flat_plan``: this text's ``flat.DocPlan``, when made for a batch (else made here).
    """
    a = analyse(text, pack, line_words, flat_plan)
    if model is not None:
        model.decide([a], pack)
    return finish(a, disabled)


def analyse(text: str, pack: Pack, line_words=None, flat_plan=None) -> Analysis:
    """Run every rule; verdicts stay on the lines (``reason``, ``rule``)."""
    found = Findings()
    content = content_lines(text)
    if not content:
        return Analysis(text, content, None, found)

    flat_cuts = _flat.cut_lines(content, pack.flat, flat_plan, text, Cut) if pack.flat else []
    _inline_cuts(content, pack, text, found)
    found.cuts = _flat.merge(found.cuts, flat_cuts)
    cap = pack.word_cap
    for ln in content:
        t = ln.text
        if line_words is not None and ln.lo == 0 and ln.hi == len(ln.raw):  # no in-line cut narrowed it
            # textarray counts the words _WORD_RE finds; the words themselves are found only
            # when a rule asks for them (Line.ws), and never on a line longer than any rule reads
            ln.words = int(line_words[ln.index])
            ln.exact = ln.words <= cap
            continue
        if len(t) > _PREFIX:
            # A prefix never holds more words than the line. When it already holds more than
            # any rule compares with, that count decides every rule as the full one would,
            # and the rest of a long paragraph is not tokenised.
            n = len(_WORD_RE.findall(t, 0, _PREFIX))
            if n > cap:
                ln.words = n
                continue
        ln._ws = words(t)
        ln.words, ln.exact = len(ln._ws), True

    title = _title(content, pack)
    if title is not None:
        title.reason = "keep"
        found.kept[title.index] = "title"
        found.metadata.setdefault("title", title.text)

    body = [ln for ln in content if ln.reason is None]
    _related_blocks(body, pack)
    _line_rules(body, pack, text)
    _link_lists(body, pack)
    _bylines(body, pack, found)
    _captions(body, pack, title, found)
    if pack.repeat_min_words:
        _repeated_paragraphs(body, pack.repeat_min_words)
    return Analysis(text, content, title, found)


def _repeated_paragraphs(body: list[Line], min_words: int) -> None:
    """A long paragraph printed again further down (a scraped tail that repeats the story)."""
    long = [ln.text for ln in body if ln.words >= min_words]
    if len(set(long)) == len(long):
        return  # nothing printed twice: the common case, one pass in C
    seen = set()
    for k, ln in enumerate(body):
        if k == 0:
            continue  # the lead, quoted again in the story (a letter's standfirst), stays twice
        if ln.words >= min_words and not _LIST_ITEM.match(ln.text):  # a quiz's answers repeat
            if ln.text in seen and ln.reason is None:
                ln.reason, ln.rule = "duplicate", "repeated_paragraph"
            seen.add(ln.text)


def finish(a: Analysis, disabled: frozenset[str] = frozenset()) -> Findings:
    """The cuts: in-line ones, then whole lines that carry a removal verdict."""
    found = a.found
    dropped = [ln for ln in a.content if ln.reason and ln.reason != "keep" and ln.reason not in disabled]
    found.cuts = [c for c in found.cuts if c.reason not in disabled]
    spans = {(ln.start, ln.nl) for ln in dropped}
    # In-line cuts inside a dropped line are moot: the whole line goes.
    found.cuts = [c for c in found.cuts if not any(s <= c.start and c.end <= e for s, e in spans)]
    found.cuts += [Cut(ln.start, ln.nl, ln.reason, ln.rule or ln.reason, None if ln.score is None else {"score": ln.score})
                   for ln in dropped]
    found.cuts.sort(key=lambda c: (c.start, c.end))
    return found


def _holds(s: str, literals: tuple[str, ...]) -> bool:
    """``s`` holds one of ``literals`` (a rule's ``requires``; most list one)."""
    return literals[0] in s if len(literals) == 1 else any(map(s.__contains__, literals))


def _inline_cuts(content: list[Line], pack: Pack, text: str, found: Findings) -> None:
    """Agency tags, metadata headers, editor notes, end marks, glued credits."""
    first = content[0]
    # The lead sits in the first few lines, behind the title, captions or a player.
    lead = content[:6]
    searched: dict[str, bool] = {}

    def in_text(lit: str) -> bool:  # rules share literals: one search of the document each
        if lit not in searched:
            searched[lit] = lit in text
        return searched[lit]

    for rule in pack.inline:
        req = rule.requires
        targets = {"doc_start": [first], "lead": lead}.get(rule.where, content)
        if req and targets is content and not any(map(in_text, req)):
            continue  # no line can pass the prefilter: one search of the document, not of each line
        if req:  # the whole lines first (no slice): a literal absent from one is absent from its segment
            targets = [ln for ln in targets if req[0] in ln.raw] if len(req) == 1 else \
                [ln for ln in targets if _holds(ln.raw, req)]
        for ln in targets:
            seg = ln.raw[ln.lo : ln.hi]
            # line_end rules look at the tail only: anchored at $, they never need more (and a
            # match, with the literal it holds, lies in it)
            base = max(0, len(seg) - _TAIL) if rule.where == "line_end" else 0
            if req and (base or len(seg) < len(ln.raw)) and not _holds(seg[base:], req):
                continue
            m = rule.pattern.search(seg, base)
            if not m:
                continue
            group = "cut" if "cut" in m.groupdict() and m.group("cut") is not None else 0
            s, e = m.span(group)
            if rule.min_words_before and len(words(seg[:s])) < rule.min_words_before:
                continue
            if rule.min_sentences_before and len(pack.sentence_break.findall(seg[:s])) + 1 < rule.min_sentences_before:
                continue
            if s == e or not seg[:s].strip() and not seg[e:].strip():
                continue  # never cut a whole line in-line: the line rules decide that
            found.cuts.append(Cut(ln.start + ln.lo + s, ln.start + ln.lo + e, rule.reason, rule.id))
            for key in ("date", "agency"):
                if key in m.groupdict() and m.group(key):
                    found.metadata.setdefault(key, m.group(key).strip("() "))
            if rule.where in ("doc_start", "lead", "line_start"):
                ln.narrow(lo=ln.lo + e)
            else:
                ln.narrow(hi=ln.lo + s)


def _title(content: list[Line], pack: Pack) -> Line | None:
    """The first line, when it reads as a headline (short, no full stop)."""
    first = content[0]
    t = first.text
    n = first.words  # exact up to word_cap (above 45): past it, above 40 as the full count is
    if not t or n > 40:
        return None
    if t.endswith(".") and not t.endswith("...") and n > 15:
        return None
    if len(content) > 1 and n > 25 and _ends_sentence(t, pack):
        return None
    return first


def _related_blocks(body: list[Line], pack: Pack) -> None:
    """A related-stories header drops itself and the links under it."""
    total = sum(len(ln.raw) for ln in body) or 1
    last_body = next((k for k in range(len(body) - 1, -1, -1) if _is_body(body[k], pack)), -1)
    seen = 0
    for k, ln in enumerate(body):
        seen += len(ln.raw)
        if ln.reason:
            continue
        for rule in pack.blocks:
            if rule.pattern.fullmatch(ln.text):
                ln.reason, ln.rule = rule.reason, rule.id
                if seen / total >= 0.5 or last_body < k:
                    for r in body[k + 1 :]:  # in the lower half, the block runs to the end
                        r.reason, r.rule = rule.reason, rule.id
                    return
                for r in itertools.islice(body, k + 1, None):  # higher up: the headlines under it
                    if _is_body(r, pack) or r.reason:
                        break
                    r.reason, r.rule = rule.reason, rule.id
                break


def _is_body(ln: Line, pack: Pack) -> bool:
    return ln.words >= pack.long_words and _ends_sentence(ln.text, pack)


def _tail_start(body: list[Line], pack: Pack) -> int:
    """Index in ``body`` after the last long paragraph: where bylines and sources live."""
    for k in range(len(body) - 1, -1, -1):
        if body[k].reason is None and body[k].words >= 20:
            return k + 1
    return 0


def _line_rules(body: list[Line], pack: Pack, text: str) -> None:
    tail = _tail_start(body, pack)
    # A rule with `requires` is tried only on lines holding one of its literals (none when the
    # document holds none). The rules without are screened together by one alternation: a line
    # it does not match can only match a gated rule.
    with_requires = [r for r in pack.lines if r.requires and _holds(text, r.requires)]
    for k, ln in enumerate(body):
        if ln.reason:
            continue
        t = ln.text
        gated = [r for r in with_requires if (r.max_words is None or ln.words <= r.max_words)
                 and _holds(t, r.requires)] if with_requires else ()
        if pack.any_line.fullmatch(t):
            rules = [r for r in pack.lines if not r.requires or r in gated] if with_requires else pack.lines
        elif gated:
            rules = gated
        else:
            continue
        for rule in rules:
            if rule.max_words is not None and ln.words > rule.max_words:
                continue
            if rule.at_end and k < tail:
                continue
            if rule.pattern.fullmatch(t):
                ln.reason, ln.rule = rule.reason, rule.id
                break


def _link_lists(body: list[Line], pack: Pack) -> None:
    """Lists of other headlines: indented link lines, and 'A / B' headline pairs."""
    for k, ln in enumerate(body):
        if ln.reason:
            continue
        t = ln.text
        indented = ln.raw[:2] in ("  ", "\t") or ln.raw[:1] == "\t"
        if k > 0 and indented and 3 <= ln.words <= 25 and not _ends_sentence(t, pack):
            ln.reason, ln.rule = "related_news", "indented_links"
            continue
        if " / " not in t:
            continue
        parts = [p.strip() for p in t.split(" / ")]
        if len(parts) >= 2 and all(4 <= len(words(p)) <= 25 and not _ends_sentence(p, pack) for p in parts):
            ln.reason, ln.rule = "related_news", "headline_pairs"


def _captions(body: list[Line], pack: Pack, title: Line | None, found: Findings | None = None) -> None:
    cap = pack.caption
    free = [ln for ln in body if ln.reason is None]
    first = free[0] if free else None

    # Strong signals: a photo credit at the end, an opening only captions use.
    lits = pack.credit_requires
    for ln in free:
        t = ln.text
        tail = max(0, len(t) - _TAIL)
        end = t[tail:] if tail else t
        # a credit holds one of these literals: the search only then
        m = pack.caption_credit.search(t, tail) if not lits or _holds(end, lits) else None
        if m and len(words(t[: m.start()])) <= 45:
            ln.reason, ln.rule = "caption", "photo_credit"
        elif ln.words <= 45 and pack.caption_opening.search(t):
            ln.reason, ln.rule = "caption", "caption_opening"

    # A shorter line that restates a neighbouring paragraph (not the lead: a lead that
    # the first paragraph repeats is a standfirst, and it stays).
    free = [ln for ln in body if ln.reason is None]
    for k, ln in enumerate(free):
        if ln is first or not 5 <= ln.words <= 40 or not ln.text.endswith((".", "…")):
            continue  # a heading restated by the paragraph under it has no full stop
        if _narrative(ln.text, pack):
            continue
        grams = ln.trigrams()
        for j in (k - 1, k + 1):
            if 0 <= j < len(free) and free[j].words > ln.words and grams:
                if free[j].shares(grams) / len(grams) >= cap["restates"]:
                    ln.reason, ln.rule = "caption", "restates_neighbour"
                    break

    # Lines with no full stop, too long for a heading, standing between paragraphs.
    free = [ln for ln in body if ln.reason is None]
    cand = [
        _no_stop_caption_like(ln, pack, cap) if ln is not first
        else _no_stop_caption_like(ln, pack, cap, repeats_title=True) and _repeats_title(ln, title)
        for ln in free
    ]
    no_stop_runs = _runs(free, cand)  # most documents have none: the sum only then
    total = (sum(len(ln.raw) for ln in body) or 1) if no_stop_runs else 1
    for run in no_stop_runs:
        before = run[0] - 1
        after = run[-1] + 1
        if after < len(free):
            closed = _paragraph_like(free[after], pack)
            if run[0] == 0 and len(free[after].raw) >= 0.6 * total:
                # a flattened body follows: its furniture sits inside it, and the line
                # between it and the title is the standfirst (on the 19.7k corpus, 15 of
                # 15 such lines the rule took were standfirsts)
                closed = False
        else:  # at the end only when a byline or source line follows: the article's own end
            rest = body[next(i for i, x in enumerate(body) if x is free[run[-1]]) + 1 :]
            closed = bool(rest) and rest[0].reason in ("byline", "source_line", "related_news")
        if (before >= 0 and _paragraph_like(free[before], pack) or run[0] == 0 and title is not None) and closed:
            for k in run:
                free[k].reason, free[k].rule = "caption", "between_paragraphs"

    if cap["words_model"]:
        _caption_words(body, pack, cap, first, found)

    # Short one-sentence lines between long paragraphs, in a photo-story layout (several).
    if sum(1 for ln in body if _is_body(ln, pack)) < 3:
        return
    free = [ln for ln in body if ln.reason is None]
    cand = [_short_caption_like(ln, pack, cap) for ln in free]
    runs = [
        run for run in _runs(free, cand)
        if run[0] > 0 and run[-1] + 1 < len(free) and _is_body(free[run[0] - 1], pack) and _is_body(free[run[-1] + 1], pack)
    ]
    if len(runs) >= 2:
        for run in runs:
            for k in run:
                free[k].reason, free[k].rule = "caption", "short_between_paragraphs"


_CREDIT_RULES = frozenset({"photo_credit", "credit_only"})  # line rules that find a photo credit


def _caption_words(body: list[Line], pack: Pack, cap: dict, first: Line | None, found: Findings | None) -> None:
    """One sentence standing between paragraphs (or beside a caption an earlier rule found),
    whose words a model trained on credited captions scores as a caption at or above
    ``words_threshold``: the uncredited caption (`Hai đối tượng tại cơ quan điều tra.`). The
    layout picks the few lines worth scoring; the words decide. Not in a document whose
    captions carry credits (a credited caption line, a credit alone, a credit cut from a line):
    there an uncredited line that reads like a caption is a sentence of the story. Every line
    is judged on the verdicts before this rule, so the order of the lines does not matter."""
    if any(ln.rule in _CREDIT_RULES for ln in body):
        return
    if found is not None and any(c.reason == "caption_credit" or c.rule == "credit_caption" for c in found.cuts):
        return
    picked = [
        ln for k, ln in enumerate(body)
        if ln.reason is None and ln is not first and 0 < k < len(body) - 1
        and cap["words_min_words"] <= ln.words <= cap["words_max_words"] and _one_sentence(ln, pack)
        and _beside(body[k - 1], pack) and _beside(body[k + 1], pack)
    ]
    if not picked:
        return
    model = _words_model(cap["words_model"])
    for ln in picked:
        s = model.score(ln.text)
        if s >= cap["words_threshold"]:
            ln.reason, ln.rule, ln.score = "caption", "caption_words", round(s, 3)


def _one_sentence(ln: Line, pack: Pack) -> bool:
    """One sentence ending with a full stop, not prose (a list item, a quote, a discourse opening)."""
    t = ln.text
    return (t.endswith(".") and not t.endswith("...") and not pack.sentence_break.search(t)
            and t[0] not in "-–•*+\"“'‘" and not _narrative(t, pack))


def _beside(ln: Line, pack: Pack) -> bool:
    """A neighbour that makes a line stand apart: a paragraph, or another caption."""
    return ln.reason == "caption" or ln.reason is None and _paragraph_like(ln, pack)


@functools.lru_cache(maxsize=4)
def _words_model(path: str):
    from ..learn.caption_words import CaptionWords

    return CaptionWords.load(path)


def _repeats_title(ln: Line, title: Line | None) -> bool:
    """A photo at the top often carries the headline as its caption."""
    if title is None:
        return False
    tg = title.trigrams()
    return bool(tg) and len(tg & ln.trigrams()) / len(tg) >= 0.5


def _runs(items: list, flags: list[bool]) -> list[list[int]]:
    runs, cur = [], []
    for k, f in enumerate(flags):
        if f:
            cur.append(k)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def _paragraph_like(ln: Line, pack: Pack) -> bool:
    return ln.words >= 20 and _ends_sentence(ln.text, pack)


def _no_stop_caption_like(ln: Line, pack: Pack, cap: dict, repeats_title: bool = False) -> bool:
    """A caption-shaped line: no full stop, one clause, heading-length or longer.

    ``repeats_title``: the line restates the headline (a lead photo's caption), which is
    evidence enough that a quote at its start or its length do not make it prose.
    """
    t = ln.text
    if not t or _ends_sentence(t, pack) or t[-1] in ",-–" or ":" in t:
        return False
    if t[0] in "-•*+" or t[0] in "\"“'‘(" and not repeats_title:
        return False
    if not 1 <= ln.words <= cap["no_stop_max_words"] or pack.sentence_break.search(t):
        return False
    if pack.body_opening.match(t) and not repeats_title:
        return False
    ratio = _cap_ratio(ln.ws if ln.ws is not None else words(t))
    if repeats_title:
        return ln.words >= cap["no_stop_min_words_names"]
    if ln.words > cap["no_stop_plain_max_words"] and not (t.count(",") >= 2 and ratio >= 0.3):
        return False  # a long line with no full stop is a paragraph missing its stop, unless it lists names and titles
    return ln.words >= cap["no_stop_min_words"] or (
        ln.words >= cap["no_stop_min_words_names"] and ratio >= cap["names_ratio"]
    )


def _short_caption_like(ln: Line, pack: Pack, cap: dict) -> bool:
    return 3 <= ln.words <= cap["sandwich_max_words"] and _one_sentence(ln, pack) and ln.text[0] != "("


def _narrative(t: str, pack: Pack) -> bool:
    """Running prose, not a caption: a discourse opening, a speaker, a list item, a quote."""
    return bool(pack.body_opening.match(t) or pack.narrative.search(t) or _LIST_ITEM.match(t)
                or any(q in t for q in "\"“”:"))


def _bylines(body: list[Line], pack: Pack, found: Findings) -> None:
    """An author's name on its own line at the end: Title Case or capitals, no full stop."""
    free = [ln for ln in body if ln.reason is None]
    if len(free) < 2:
        return
    tail = _tail_start(body, pack)
    if sum(1 for ln in body[tail:] if ln.reason is None) > pack.caption["byline_tail_max_lines"]:
        above = free[-2].text  # a long tail is a table or a list: when the row above is a name too,
        if len(words(above)) <= 5 and not any(ch.isdigit() for ch in above):  # the last row is one of them
            return
    tail_lines = {id(ln) for ln in body[tail:]}
    for ln in reversed(free[-2:]):
        if id(ln) not in tail_lines:
            break
        t = ln.text.rstrip(".")
        ws = words(t)
        if not ws or any(ch.isdigit() for ch in t) or _ends_sentence(ln.text.rstrip("."), pack):
            break
        names = pack.byline_split.split(t)
        upper = t.upper() == t and len(ws) <= 10
        title_case = len(ws) <= 5 and all(w[0].isupper() for w in ws)
        if (upper or title_case) and all(1 <= len(words(n)) <= 4 for n in names if n):
            ln.reason, ln.rule = "byline", "author_line"
            found.metadata.setdefault("author", t)
        else:
            break
