"""Flattened articles: furniture inside one long line, cut sentence by sentence.

Many scrapers keep a whole article body on one line; its captions, credits, related links and
bylines then sit between sentences where a line cleaner cannot see them. A long line is split
into segments (``sentences.split``) and each segment is decided like a line:

- rules anchored on what is unambiguous: a photo credit (and the caption sentence right before
  it, when short enough to describe a picture), a bracketed link ``[...]``, a teaser that ends in
  ``Bấm xem ngay >>``, widget words (``XEM CLIP:``), and at the very end of the document the
  byline, the source and the end mark;
- a trained classifier (``pipeline/models/flat_sentences.json``) for the judgement calls:
  captions without a credit, galleries of captions, only on lines that hold most of their
  document (a flattened body), never on an ordinary long paragraph.

Everything is pure. ``plan_batch`` computes segments and features for many documents and asks
the model once (numpy's cost is per call); ``line_cuts`` turns one line's plan into cuts, each
its own edit, with the white space on one side so that neighbours join with one space.
"""
from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .sentences import BRACKET, END, HARD, SOFT, Lexicon, Segment, SplitterConfig, split

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "flat_sentences.json"
_WORD = re.compile(r"\w+")
_KIND = {HARD: 0, SOFT: 1, BRACKET: 2, END: 3}


@dataclass(frozen=True)
class FlatConfig:
    splitter: SplitterConfig
    min_chars: int  # a line this long that holds ``min_share`` of its document is a flattened body
    min_share: float
    credit: re.Pattern  # a segment that is a photo credit
    credit_alone: re.Pattern  # a credit that has no caption before it (``Ảnh minh họa``)
    credit_tail: re.Pattern  # a credit closing a segment
    credit_requires: tuple[str, ...]  # literals, one of which every credit_tail match holds
    short_spaces: int  # a credit or a segment rule's match has at most this many spaces
    caption_max_words: int  # a sentence before a credit this short is its caption
    photo_story_credits: int  # this many credits in a line: a photo story, captions stay
    segment_rules: tuple[tuple[str, str, re.Pattern], ...]  # (id, reason, pattern) fullmatch
    teaser_call: re.Pattern  # ``Bấm xem ngay >>``: the call of a teaser for another story
    segment_any: re.Pattern  # fullmatches where a segment rule or the teaser call does (a screen)
    tail_rules: tuple[tuple[str, str, re.Pattern], ...]  # at the end of the document
    tail_byline: re.Pattern  # a name (``byline``) and an outlet after it (``source_line``)
    end_mark: re.Pattern
    caption_words: frozenset[str]  # syllables captions use (features)
    caption_bigrams: frozenset[tuple[str, str]]  # two-syllable words captions use
    narrative_words: frozenset[str]  # a narrator's or speaker's words: not a caption
    body_opening: re.Pattern
    threshold: float  # model probability above which a segment goes
    name_caption_min: int  # a segment of this many capitalised words and no stop, between
    name_caption_max: int  # sentences, is a portrait's caption
    name_titles: tuple[str, ...]  # ... after one of these titles
    name_heads: tuple[str, ...]  # each title and a space: what such a caption opens with
    reported_speech: tuple[str, ...]  # a sentence that reports what someone said is the story, not a caption
    model: bool  # run the sentence model (else the rules alone, on windows around their anchors)
    anchors: tuple[str, ...]  # what the rules look for: only the text around it is split
    window_before: int
    window_after: int
    window_tail: int
    model_min_words: int  # the model decides segments of this many words...
    model_max_words: int  # ... up to this many


def load_config(cfg: dict, settings: dict, comp) -> FlatConfig | None:
    """The ``[flat]`` section of a pack (None when the pack has none). ``settings``: the pack's
    validated sections (defaults filled in); ``comp``: the pack's pattern compiler ({UPPER}, {LOWER})."""
    if "flat" not in cfg:
        return None
    from .engine import _union
    f, caption = settings["flat"], settings["caption"]
    _compile = comp

    def rules(key):
        out = []
        for r in f.get(key, []):
            unknown = sorted(set(r) - {"id", "reason", "pattern", "ignore_case"})
            missing = [k for k in ("id", "reason", "pattern") if k not in r]
            if unknown or missing:
                from .engine import PackError

                raise PackError(f"[[flat.{key}]] {r.get('id', '?')!r}: "
                                + (f"unknown key {unknown[0]!r}" if unknown else f"no {missing[0]!r}"))
            out.append((r["id"], r["reason"], comp(r["pattern"], r.get("ignore_case", False), f"[[flat.{key}]] {r['id']}")))
        return tuple(out)

    segment_rules = rules("segment")
    teaser_call = _compile(f.get("teaser_call", r"(?!)"))
    name_titles = tuple(f.get("name_titles", ()))
    return FlatConfig(
        splitter=SplitterConfig.from_pack(settings["sentences"]),
        min_chars=f.get("min_chars", 150),
        min_share=f.get("min_share", 0.6),
        credit=_compile(f["credit"]),
        credit_tail=_compile(f["credit_tail"]),
        credit_requires=tuple(f.get("credit_requires", ("",))),
        short_spaces=f.get("short_spaces", 40),
        credit_alone=_compile(f.get("credit_alone", r"(?!)")),
        caption_max_words=f.get("caption_max_words", 40),
        photo_story_credits=f.get("photo_story_credits", 6),
        segment_rules=segment_rules,
        teaser_call=teaser_call,
        segment_any=_union([p for _, _, p in segment_rules] + [teaser_call]),
        tail_rules=rules("tail"),
        tail_byline=_compile(f.get("tail_byline", r"(?!)")),
        end_mark=_compile(f.get("end_mark", r"(?<=[.…])/\.")),
        caption_words=frozenset(w.lower() for w in f.get("caption_words", ()) if " " not in w),
        caption_bigrams=frozenset(tuple(w.lower().split()) for w in f.get("caption_words", ()) if w.count(" ") == 1),
        narrative_words=frozenset(w.lower() for w in f.get("narrative_words", ())),
        body_opening=_compile(caption.get("body_opening", r"(?!)")),
        threshold=f.get("threshold", 0.5),
        name_caption_min=f.get("name_caption_min", 3),
        name_caption_max=f.get("name_caption_max", 4),
        name_titles=name_titles,
        name_heads=tuple(t + " " for t in name_titles),
        reported_speech=tuple(f.get("reported_speech", ())),
        model=f.get("model", True),
        anchors=tuple(f.get("anchors", ())),
        window_before=f.get("window_before", 600),
        window_after=f.get("window_after", 300),
        window_tail=f.get("window_tail", 400),
        model_min_words=f.get("model_min_words", 2),
        model_max_words=f.get("model_max_words", 45),
    )


# --- plans ---------------------------------------------------------------------------------


@dataclass
class Piece:
    """A decided cut inside a line: segments ``first..last``, or an exact span."""

    start: int  # offsets in the line
    end: int
    reason: str
    rule: str
    extra: dict[str, Any] | None = None


@dataclass
class LinePlan:
    segs: list[Segment]
    rules: list[tuple[str, str] | None]  # per segment: (reason, rule) when a rule decided it
    spans: list[Piece] = field(default_factory=list)  # exact cuts smaller than a segment
    modelled: list[int] = field(default_factory=list)  # segments the model scores
    photo_story: bool = False  # many credits: the captions are the story, the model stays out
    probs: np.ndarray | None = None


def candidate_lines(text: str, fc: FlatConfig) -> list[tuple[int, int, int, bool, bool]]:
    """(index, start, end, modelled, last) of the flattened bodies: lines long enough that hold
    most of their document. An ordinary long paragraph is left to the line rules."""
    found = []
    pos = 0
    total = len(text.strip()) or 1
    parts = text.split("\n")
    for i, part in enumerate(parts):
        n = len(part)
        if n >= fc.min_chars and n / total >= fc.min_share:
            found.append((i, pos, pos + n))
        pos += n + 1
    if not found:  # most documents: the last non-blank line is not looked for
        return []
    last = next((i for i in range(len(parts) - 1, -1, -1) if parts[i].strip()), -1)
    return [(i, s, e, True, i == last) for i, s, e in found]


def _windows(line: str, fc: FlatConfig, last: bool) -> list[tuple[int, int]]:
    """Stretches of the line around what the rules look for (credits, brackets, calls, end
    marks) and its tail: only they need splitting when the model does not run (speed)."""
    n = len(line)
    spans = []
    for lit in fc.anchors:  # str.find: far cheaper than one regex alternation over the line
        i = line.find(lit)
        while i != -1:
            spans.append((max(0, i - fc.window_before), min(n, i + len(lit) + fc.window_after)))
            i = line.find(lit, i + len(lit))
    if last:
        spans.append((max(0, n - fc.window_tail), n))
    spans.sort()
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _segments(line: str, fc: FlatConfig, last: bool, whole: bool) -> list[Segment]:
    openers = fc.splitter.name_openers
    if whole:
        return _split_credit_heads(line, split(line, fc.splitter), openers)
    segs: list[Segment] = []
    lexicon = Lexicon(line)  # soft boundaries as on the whole line
    for a, b in _windows(line, fc, last):
        part = _split_credit_heads(line, split(line, fc.splitter, a, b, lexicon), openers)
        if a > 0:
            part = part[1:]  # it may have begun before the window
        if b < len(line):
            part = part[:-1]  # it may go on after it
        segs.extend(part)
    return segs


def plan_line(line: str, fc: FlatConfig, last: bool, whole: bool = True) -> LinePlan:
    """Segments of one line (all of it, or around the rules' anchors) and what the rules say
    about each. Neighbouring segments are only related when nothing lies between them."""
    segs = _segments(line, fc, last, whole)
    n = len(segs)

    def adjacent(j: int) -> bool:  # segment j is right before segment j + 1
        return j >= 0 and not line[segs[j].end:segs[j + 1].start].strip()

    rules: list[tuple[str, str] | None] = [None] * n
    texts = [line[s.start:s.end] for s in segs]
    plan = LinePlan(segs, rules)
    # Credits are short, and every one holds a literal of the pack's: cheap tests first.
    short = [t.count(" ") <= fc.short_spaces for t in texts]
    marked = [any(x in t for x in fc.credit_requires) for t in texts]
    credits = [k for k, t in enumerate(texts) if short[k] and fc.credit.fullmatch(t)]
    tails = {}
    for k, t in enumerate(texts):  # a credit closing a segment: ``Caption. Ảnh: Name``
        if k not in credits and marked[k]:
            m = fc.credit_tail.search(t)
            if m and m.start() > 0:
                tails[k] = m.start()
    photo_story = len(credits) + len(tails) >= fc.photo_story_credits
    plan.photo_story = photo_story
    def starts_sentence(j: int) -> bool:  # nothing of its sentence lies before segment j
        if j == 0:
            return not line[:segs[0].start].strip()
        return adjacent(j - 1) and segs[j - 1].stop != SOFT

    for k in credits:
        if last and k == n - 1:
            # a credit ending the article credits its photos (``... đình đám này. Photo: X``), or
            # is its source (``Nguồn: Báo Đất Việt``): the story's last sentence is no caption
            src = texts[k].lstrip("(").startswith("Nguồn") and not texts[k].lstrip("(").startswith("Nguồn ảnh")
            rules[k] = ("source_line", "tail_source_label") if src else ("caption_credit", "credit")
            continue
        prev = k - 1
        if (not photo_story and adjacent(prev) and rules[prev] is None and prev not in tails
                and not fc.credit_alone.match(texts[k])
                and not any(w in texts[prev] for w in fc.reported_speech)
                and texts[prev].count(":") < 2  # ``Quả bóng vàng: ... Chiếc giày vàng: ...``: a list, the story
                and len(_WORD.findall(texts[prev])) <= fc.caption_max_words):
            rules[prev] = ("caption", "credit_caption")
            rules[k] = ("caption", "credit_caption")
            # a caption split at a soft boundary (``Một góc | Trung tâm Điện lực ...``) goes whole
            words = len(_WORD.findall(texts[prev]))
            j = prev - 1
            while (adjacent(j) and rules[j] is None and segs[j].stop == SOFT and j not in tails
                   and not texts[j].endswith(":")):  # ``Quả bóng vàng: ...``: a list, not one caption
                words += len(_WORD.findall(texts[j]))
                if words > fc.caption_max_words:
                    break
                rules[j] = ("caption", "credit_caption")
                j -= 1
            first_cap = min(i for i in range(j + 1, k) if rules[i] == ("caption", "credit_caption"))
            if not starts_sentence(first_cap):  # part of its sentence is out of sight: keep it
                for i in range(first_cap, k):
                    rules[i] = None
                rules[k] = ("caption_credit", "credit")
        else:
            rules[k] = ("caption_credit", "credit")
    for k, cut in tails.items():
        head = texts[k][:cut]
        if not photo_story and len(_WORD.findall(head)) <= fc.caption_max_words and head.rstrip()[-1:] in ".!?…":
            # ``Caption. Ảnh: Name``: the whole segment when what comes before is one short sentence
            rules[k] = ("caption", "credit_caption")
        else:
            s = segs[k].start + cut
            while s > segs[k].start and line[s - 1].isspace():
                s -= 1
            plan.spans.append(Piece(s, segs[k].end, "caption_credit", "credit"))
    for k, t in enumerate(texts):
        if rules[k] is not None:
            continue
        if 0 < k < n - 1 and adjacent(k - 1) and adjacent(k) and _name_caption(t, fc):
            rules[k] = ("caption", "name_caption")  # ``ĐB Hoàng Quang Hàm`` between sentences: a portrait
            continue
        if not short[k] or not fc.segment_any.fullmatch(t):
            continue  # every segment rule matches a few words at most, and most segments none
        for rid, reason, pat in fc.segment_rules:
            if photo_story and reason == "caption":
                continue  # a photo story's captions are its story
            if pat.fullmatch(t):
                rules[k] = (reason, rid)
                break
        if rules[k] is None and fc.teaser_call.fullmatch(t):
            rules[k] = ("related_news", "teaser")
            j = k - 1
            taken = 0
            while adjacent(j) and rules[j] is None and taken < 3 and len(_WORD.findall(texts[j])) <= 30:
                rules[j] = ("related_news", "teaser")
                taken += 1
                if j == 0 or segs[j - 1].stop != SOFT:
                    break
                j -= 1
    if last:
        _tail(line, texts, plan, fc)
    s = line.find("/.")  # ``./.`` inside the line: the mark goes, the stop stays
    while s != -1:
        m = fc.end_mark.match(line, s)
        if m and not any(p.start <= s < p.end for p in plan.spans) and not _in_cut_segment(plan, s):
            plan.spans.append(Piece(s, m.end(), "end_marker", "end_mark"))
        s = line.find("/.", s + 2)
    return plan


_CREDIT_FIXED = re.compile(r"(?:Ảnh minh (?:họa|hoạ)|Ảnh (?:internet|Internet|tư liệu|chụp màn hình))\.?(?=\s)")
_CREDIT_HEAD = re.compile(r"(?:Ảnh|Nguồn ảnh|Nguồn|Photo)\s*:\s*(\S+)")  # not Video/Clip: a title follows them
_CREDIT_OPENINGS = ("Ảnh", "Nguồn", "Photo")  # every match of the two patterns above opens with one


def _split_credit_heads(line: str, segs: list[Segment], openers: frozenset[str]) -> list[Segment]:
    """``Ảnh: Hoàng Vĩnh Bác sỹ tiến hành ...``: a credit glued to the next caption or sentence
    ends after its first word when that word is an agency or a domain (``AFP``, ``Aavh.org``),
    else after the capitalised name words, before a capital followed by a lower-case word."""
    out = []
    for seg in segs:
        if not line.startswith(_CREDIT_OPENINGS, seg.start):  # what both patterns open with: most segments
            out.append(seg)
            continue
        fixed = _CREDIT_FIXED.match(line, seg.start, seg.end)
        if fixed:  # ``Ảnh minh họa Căn bệnh này ...``
            nxt = fixed.end()
            while nxt < seg.end and line[nxt].isspace():
                nxt += 1
            if fixed.end() < nxt < seg.end:
                out.append(Segment(seg.start, fixed.end(), SOFT))
                out.append(Segment(nxt, seg.end, seg.stop))
                continue
        m = _CREDIT_HEAD.match(line, seg.start, seg.end)
        if not m:
            out.append(seg)
            continue
        first = m.group(1)
        cut = -1
        ws = list(re.finditer(r"\S+", line[m.start(1):seg.end]))
        if len(ws) <= 4 and all(w.group()[0].isupper() for w in ws[1:]) and not any(c.isdigit() for c in line[m.start(1):seg.end]):
            pass  # ``Ảnh: VGP/Quang Hiếu.``: a credit alone, however its name is written
        elif first.isupper() and len(first) > 1:  # ``Ảnh: HỒNG TRÂM Khu vực ...``: the capitals
            j = 1
            while j < min(4, len(ws)) and ws[j].group().isupper() and len(ws[j].group()) > 1:
                j += 1
            cut = m.start(1) + ws[j - 1].end()
        elif any(c in first for c in "./"):
            cut = m.end()
        else:  # a name, maybe with an agency after a dash: ``Ảnh: Văn Điệp – TTXVN Algeria và ...``
            for j in range(1, min(7, len(ws) - 1)):
                a, b = ws[j].group(), ws[j + 1].group()
                if a in "-–/":
                    continue
                if a[:1].isupper() and (b[:1].islower() or b in "-–" or a.lower() in openers):
                    if ws[j - 1].group() in "-–/" or b in "-–":
                        continue  # the agency after the dash, or a dash after this name word
                    cut = m.start(1) + ws[j - 1].end()
                    break
                if not a[:1].isupper():
                    break
        if cut == -1 or cut >= seg.end:
            out.append(seg)
            continue
        nxt = cut
        while nxt < seg.end and line[nxt].isspace():
            nxt += 1
        if nxt == cut or nxt >= seg.end:
            out.append(seg)
            continue
        out.append(Segment(seg.start, cut, SOFT))
        out.append(Segment(nxt, seg.end, seg.stop))
    return out


def _name_caption(t: str, fc: FlatConfig) -> bool:
    """A title and a name alone, no stop (``ĐB Hoàng Quang Hàm``, ``Bộ trưởng Đinh Tiến Dũng``):
    a headline or a heading has other words (``Tokyo Disney Resort, Nhật Bản`` stays)."""
    if not t.startswith(fc.name_heads) or t[-1] in ".!?…:;,\"”)" or "," in t or any(c.isdigit() for c in t):
        return False
    for title in fc.name_titles:
        if t.startswith(title + " "):
            ws = t[len(title):].split()
            return fc.name_caption_min <= len(ws) <= fc.name_caption_max and all(w[0].isupper() for w in ws)
    return False


def _in_cut_segment(plan: LinePlan, pos: int) -> bool:
    for seg, r in zip(plan.segs, plan.rules):
        if r is not None and seg.start <= pos < seg.end:
            return True
    return False


def _tail(line: str, texts: list[str], plan: LinePlan, fc: FlatConfig) -> None:
    """Bylines, sources and widgets at the end of the document, walking back from the end."""
    for k in range(len(texts) - 1, max(-1, len(texts) - 5), -1):
        if plan.rules[k] is not None:
            if plan.rules[k][0] in ("caption", "caption_credit", "related_news", "player_widget"):
                continue
            break
        t = texts[k]
        hit = next(((reason, rid) for rid, reason, pat in fc.tail_rules if pat.fullmatch(t)), None)
        if hit:
            plan.rules[k] = hit
            continue
        m = fc.tail_byline.fullmatch(t)
        if not m:
            break
        src = m.start("source") if m.group("source") else -1
        if src > 0:  # ``Trung Hiếu (TTXVN)``: the name is the byline, the outlet the source
            seg = plan.segs[k]
            s = seg.start + src
            while s > seg.start and line[s - 1].isspace():
                s -= 1
            plan.spans.append(Piece(seg.start, s, "byline", "tail_byline"))
            plan.spans.append(Piece(s, seg.end, "source_line", "tail_byline"))
            plan.rules[k] = ("byline", "tail_byline_split")
        else:
            plan.rules[k] = ("byline", "tail_byline")


# --- features ------------------------------------------------------------------------------

FEATURES = (
    "words", "chars", "pos", "from_end", "index", "stop", "start_kind", "final_stop",
    "caps", "digits", "quotes", "brackets", "colon", "commas", "next_rule", "prev_rule",
    "restates_next", "restates_prev", "restates_doc", "restates_title", "body_opening",
    "narrative", "caption_words", "soft_near", "n_segs",
    "prev_words", "prev_stop", "prev_caps", "next_words", "next_stop", "next_caps",
    "prev2_words", "next2_words",
    "uni_next", "uni_prev", "next_body_opening", "name_start", "soft_share", "hard_stops", "first_cap_word",
    "prev_final_stop", "next_final_stop",
)


_PUNCT = str.maketrans({c: " " for c in "\"“”‘’'()[]{}.,:;!?…-–—/|«»*+=<>"})
_DIGIT = re.compile(r"\d")


def _bigrams(ws: list[str]) -> set:
    return set(zip(ws, ws[1:]))


def _share(a: set, b: set) -> float:
    return len(a & b) / len(a) if a else 0.0


def _caps(t: str) -> float:
    raw = t.split()
    return sum(1 for w in raw if w[0].isupper()) / len(raw) if raw else 0.0


def line_features(line: str, plan: LinePlan, fc: FlatConfig, title: str, others: str,
                  rows: list[int] | None = None) -> np.ndarray:
    """One row of FEATURES for each segment in ``rows`` (all segments when None). Plain string
    and set operations in C: the costly ones run only for the rows asked for."""
    segs = plan.segs
    n = len(segs)
    rows = list(range(n)) if rows is None else rows
    texts = [line[s.start:s.end] for s in segs]
    wss = [t.lower().translate(_PUNCT).split() for t in texts]
    nws = [len(ws) for ws in wss]
    kinds = [_KIND[s.stop] for s in segs]
    finals = [t[-1] in ".!?…" for t in texts]
    grams = [_bigrams(ws) for ws in wss]
    title_g = _bigrams(title.lower().translate(_PUNCT).split())
    other_g = _bigrams(others.lower().translate(_PUNCT).split())
    counts = Counter(itertools.chain.from_iterable(grams))
    repeated = {x for x, c in counts.items() if c > 1}
    soft_share = kinds.count(1) / n
    caps: dict[int, float] = {}

    def cap(k):
        if k not in caps:
            caps[k] = _caps(texts[k])
        return caps[k]

    X = np.full((len(rows), len(FEATURES)), -1, dtype=np.float32)
    for r, k in enumerate(rows):
        t, ws, g, seg = texts[k], wss[k], grams[k], segs[k]
        nxt = grams[k + 1] | grams[k + 2] if k + 2 < n else (grams[k + 1] if k + 1 < n else set())
        prv = grams[k - 1] | grams[k - 2] if k >= 2 else (grams[k - 1] if k else set())
        u = set(ws)
        words2 = t.split(None, 2)
        X[r, :25] = (
            nws[k], len(t), k / max(1, n - 1), n - 1 - k, k, kinds[k],
            kinds[k - 1] if k else 4, finals[k], cap(k), len(_DIGIT.findall(t)) / len(t),
            t.count('"') + t.count("“") + t.count("”"), t.count("(") + t.count(")") + t.count("[") + t.count("]"),
            ":" in t, t.count(","),
            plan.rules[k + 1] is not None if k + 1 < n else 0, plan.rules[k - 1] is not None if k else 0,
            _share(g, nxt), _share(g, prv), _share(g, (repeated - nxt - prv) | other_g),
            _share(g, title_g), bool(fc.body_opening.match(t)), not u.isdisjoint(fc.narrative_words),
            not u.isdisjoint(fc.caption_words) or not g.isdisjoint(fc.caption_bigrams),
            sum(1 for j in range(max(0, k - 2), min(n, k + 3)) if kinds[j] == 1), n,
        )
        if k:
            X[r, 25:28] = (nws[k - 1], kinds[k - 1], cap(k - 1))
            X[r, 40] = finals[k - 1]
        if k + 1 < n:
            X[r, 28:31] = (nws[k + 1], kinds[k + 1], cap(k + 1))
            X[r, 41] = finals[k + 1]
        if k >= 2:
            X[r, 31] = nws[k - 2]
        if k + 2 < n:
            X[r, 32] = nws[k + 2]
        X[r, 33:40] = (
            _share(u, set(wss[k + 1])) if k + 1 < n else 0.0, _share(u, set(wss[k - 1])) if k else 0.0,
            bool(fc.body_opening.match(texts[k + 1])) if k + 1 < n else -1,
            len(words2) > 1 and words2[0][:1].isupper() and words2[1][:1].isupper(),
            soft_share, t.count(".") + t.count("!") + t.count("?") - finals[k],
            len(words2[0]) if words2 else 0,
        )
    return X


# --- the model -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def load_model(path: str | None = None):
    """The shipped tree model (None when missing or when no evaluator is available)."""
    p = Path(path) if path else MODEL_PATH
    if not p.exists():
        return None
    try:
        from ..learn.trees import TreeModel
    except ImportError:  # the numpy evaluator is not there yet: rules only
        return None
    return TreeModel.load(p)


def _model_rows(line: str, plan: LinePlan, fc: FlatConfig) -> list[int]:
    """Segments the model decides: those no rule took, of a caption's length (a long sentence
    is the story; a cheap gate, as the model's cost is per row)."""
    out = []
    for k, (seg, r) in enumerate(zip(plan.segs, plan.rules)):
        if r is None and fc.model_min_words <= line.count(" ", seg.start, seg.end) + 1 <= fc.model_max_words:
            out.append(k)
    return out


@dataclass
class DocPlan:
    lines: dict[int, LinePlan]


def plan_document(text: str, fc: FlatConfig, model: bool | None = None) -> tuple[DocPlan, list[tuple[LinePlan, np.ndarray]]]:
    """Rules for every flattened line; the model's rows (not yet scored) when ``model`` (by
    default the pack's ``model`` setting)."""
    model = fc.model if model is None else model
    lines: dict[int, LinePlan] = {}
    rows = []
    cands = candidate_lines(text, fc)
    if not cands:
        return DocPlan(lines), rows
    parts = None
    for i, s, e, modelled, last in cands:
        line = text[s:e]
        use_model = modelled and model
        plan = plan_line(line, fc, last, whole=use_model)
        lines[i] = plan
        if use_model and len(plan.segs) > 2 and not plan.photo_story:
            if parts is None:
                parts = text.split("\n")
            title = next((p for p in parts if p.strip()), "")
            others = " ".join(p for j, p in enumerate(parts) if j != i and p is not title)
            plan.modelled = _model_rows(line, plan, fc)
            if plan.modelled:
                rows.append((plan, line_features(line, plan, fc, title, others, plan.modelled)))
    return DocPlan(lines), rows


def plan_batch(texts: list[str], fc: FlatConfig, model=None) -> list[DocPlan]:
    """Plans for many documents, with one model call for all their flattened lines (rules
    alone when ``model`` is None)."""
    out, rows = [], []
    for t in texts:
        dp, r = plan_document(t, fc, model=model is not None)
        out.append(dp)
        rows.extend(r)
    if rows and model is not None:
        probs = model.predict(np.vstack([x for _, x in rows]))
        pos = 0
        for plan, x in rows:
            plan.probs = probs[pos : pos + len(x)]
            pos += len(x)
    return out


def line_cuts(line: str, plan: LinePlan, fc: FlatConfig, lo: int = 0, hi: int | None = None) -> list[Piece]:
    """The cuts of one line, in line offsets, disjoint and sorted, each with the white space on
    one side: ``a X b`` becomes ``a b``. Only ``line[lo:hi]`` may be cut."""
    hi = len(line) if hi is None else hi
    threshold = _OVERRIDE.get("threshold", fc.threshold)
    decided: dict[int, tuple[str, str, dict | None]] = {}
    for k, r in enumerate(plan.rules):
        if r is not None and r[1] != "tail_byline_split":
            decided[k] = (r[0], r[1], None)
    if plan.probs is not None:
        for k, p in zip(plan.modelled, plan.probs):
            if p >= threshold and k not in decided:
                decided[k] = ("caption", "sentence_model", {"probability": round(float(p), 4)})
    pieces: list[Piece] = [p for p in plan.spans]
    segs = plan.segs
    for k in sorted(decided):
        reason, rule, extra = decided[k]
        pieces.append(Piece(segs[k].start, segs[k].end, reason, rule, extra))
    pieces = [p for p in pieces if lo <= p.start and p.end <= hi and p.end > p.start]
    pieces.sort(key=lambda p: (p.start, p.end))
    out: list[Piece] = []
    for p in pieces:
        if out and p.start < out[-1].end:
            continue  # a span inside a segment already cut
        out.append(p)
    if out and not _kept_chars(line, out, lo, hi):
        return []  # never the whole line: the line rules decide that
    # Widen each piece over the white space after it (or before it, at the end of the line),
    # so the neighbours are joined by the one space that stays.
    res: list[Piece] = []
    for i, p in enumerate(out):
        s, e = p.start, p.end
        nxt = out[i + 1].start if i + 1 < len(out) else hi
        j = e
        while j < nxt and line[j].isspace():
            j += 1
        if p.reason == "end_marker":
            pass
        elif j < hi:
            e = j
        else:
            floor = res[-1].end if res else lo
            while s > floor and line[s - 1].isspace():
                s -= 1
            e = j
        res.append(Piece(s, e, p.reason, p.rule, p.extra))
    # A caption split in several segments, and its credit, are one edit.
    merged: list[Piece] = []
    for p in res:
        q = merged[-1] if merged else None
        if q and q.end == p.start and (q.reason, q.rule) == (p.reason, p.rule) and not q.extra and not p.extra:
            merged[-1] = Piece(q.start, p.end, q.reason, q.rule)
        else:
            merged.append(p)
    res = merged
    # Pieces that run to the end of the line: the first of them takes the white space before it.
    if res and not line[res[-1].end:hi].strip():
        k = len(res) - 1
        while k > 0 and res[k - 1].end == res[k].start and res[k - 1].reason != "end_marker":
            k -= 1
        head = res[k]
        floor = res[k - 1].end if k else lo
        s = head.start
        while s > floor and line[s - 1].isspace():
            s -= 1
        res[k] = Piece(s, head.end, head.reason, head.rule, head.extra)
    return res


def _kept_chars(line: str, pieces: list[Piece], lo: int, hi: int) -> bool:
    pos = lo
    for p in pieces:
        if line[pos:p.start].strip():
            return True
        pos = p.end
    return bool(line[pos:hi].strip())


# --- the engine's side ----------------------------------------------------------------------


_OVERRIDE: dict[str, Any] = {}  # bench/cv_flat.py: a fold's model and threshold instead of the shipped ones


def _model(fc: FlatConfig):
    """The model to run: a bench's override (None: rules alone), else the shipped one when the
    pack turns it on."""
    if "model" in _OVERRIDE:
        return _OVERRIDE["model"]
    return load_model() if fc.model else None


def batch_plans(texts: list[str], fc: FlatConfig | None) -> list[DocPlan | None]:
    """Plans for a batch of documents with the shipped model (None per text: no flat rules)."""
    if fc is None:
        return [None] * len(texts)
    return plan_batch(texts, fc, _model(fc))


def cut_lines(content, fc: FlatConfig, plan: DocPlan | None, text: str, make_cut) -> list:
    """Cuts inside the long lines of one document (engine ``Line`` objects, narrowed in place
    when a cut reaches either end of what is left of the line). ``make_cut(start, end, reason,
    rule, extra)`` builds the engine's cut."""
    if plan is None:
        plan = plan_batch([text], fc, _model(fc))[0]
    if not plan.lines:
        return []
    cuts = []
    for ln in content:
        lp = plan.lines.get(ln.index)
        if lp is None:
            continue
        for p in line_cuts(ln.raw, lp, fc, ln.lo, ln.hi):
            # ``inline``: a cut inside a line, not a line removed (the totals and the report count it so)
            cuts.append(make_cut(ln.start + p.start, ln.start + p.end, p.reason, p.rule, {**(p.extra or {}), "inline": True}))
            if not ln.raw[ln.lo : p.start].strip():
                ln.narrow(lo=p.end)
        mine = [c for c in cuts if ln.start <= c.start and c.end - ln.start <= ln.hi]
        for c in reversed(mine):
            if not ln.raw[c.end - ln.start : ln.hi].strip() and c.start - ln.start >= ln.lo:
                ln.narrow(hi=c.start - ln.start)
    return cuts


def merge(cuts: list, flat_cuts: list) -> list:
    """The engine's cuts that do not overlap a flat cut, plus the flat cuts."""
    if not flat_cuts:
        return cuts
    spans = sorted((c.start, c.end) for c in flat_cuts)
    starts = [s for s, _ in spans]
    import bisect

    def clash(c) -> bool:
        k = bisect.bisect_right(starts, c.end)
        for s, e in spans[max(0, k - 2): k + 1]:
            if s < c.end and c.start < e:
                return True
        return False

    return [c for c in cuts if not clash(c)] + flat_cuts
