"""What a reader sees in a line, as numbers: the line model's features.

A caption is short, has no full stop, names people by their titles, and restates the
paragraph beside it; a related headline sits in the lower half with no stop; a byline is a
name after the last paragraph. None of these alone decides (a heading is short with no stop
too): the model weighs them together. Every feature is computed from the line, its
neighbours and its document as the rules left them (their verdicts are features too), so a
model trained on one source carries to the next: no feature names a site.

Rows are built for the *candidate* lines of a document only: content lines of at most the
model's ``max_words`` that are not the title and carry no verdict of a trusted rule. Long
paragraphs are body text and never go to the model (in the labelled sets, 22 of 1,216 lines
over 45 words are furniture, and the rules catch those: related blocks, repeats).
"""
from __future__ import annotations

import math
import re
import zlib

import numpy as np

from ..rules.engine import Analysis, Line, Pack, words

REASONS = ("caption", "related_news", "byline", "source_line", "promo", "metadata", "player_widget", "keep")
HASH_BUCKETS = 32  # hashed lower-cased syllables of the line, presence only
LONG = 30  # words: a body paragraph

_LIST_MARKER = re.compile(r"^(?:\d{1,2}|[a-zđ])[.)/]\s|^[-–—•+*]\s?")
_URL = re.compile(r"https?://|www\.|\.(?:com|vn|net|org)\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def _shape_names(p: str) -> list[str]:
    return [f"{p}{n}" for n in (
        "words", "log_chars", "ends_stop", "ends_colon", "ends_ellipsis", "ends_close", "cap_ratio",
        "allcaps_ratio", "starts_quote", "starts_dash", "digit_share", "commas", "sentences",
        "is_long", "is_blank_slot")]


def _rule_names(p: str) -> list[str]:
    return [f"{p}rule_{r}" for r in REASONS]


NAMES: tuple[str, ...] = tuple(
    _shape_names("")
    + ["chars_per_word", "colons", "pipes", "arrows", "url", "at_sign", "quotes", "parens", "brackets",
       "credit", "caption_opening", "body_opening", "narrative", "first_upper", "last_upper",
       "index", "from_end", "rel_pos", "chars_before", "in_tail", "before_lead", "doc_lines",
       "doc_long", "between_long", "run_short",
       "tri_prev", "tri_next", "uni_prev", "uni_next", "uni_title", "uni_earlier", "exact_earlier",
       "tri_later", "indent", "list_marker", "question", "prev_colon", "next_lead_share",
       "prev_tail_share", "doc_short", "doc_short_nostop", "siblings"]
    + _rule_names("")
    + _shape_names("prev_") + _rule_names("prev_")
    + _shape_names("next_") + _rule_names("next_")
    + _shape_names("prev2_") + _shape_names("next2_")
    + [f"hash_{i}" for i in range(HASH_BUCKETS)]
)

_EMPTY_SHAPE = [0.0] * 14 + [1.0]


def _ends_stop(t: str) -> bool:
    return bool(t) and t[-1] in ".!?…"


def _shape(ln: Line | None, pack: Pack) -> list[float]:
    if ln is None:
        return _EMPTY_SHAPE
    t = ln.text
    ws = ln.ws if ln.ws is not None else words(t[:600])
    n = ln.words
    alpha = [w for w in ws if w[0].isalpha()]
    na = len(alpha) or 1
    return [
        float(min(n, 200)), math.log1p(len(t)), float(_ends_stop(t)), float(t.endswith(":")),
        float(t.endswith(("...", "…"))), float(t[-1:] in ")]\"”’'"),
        sum(1 for w in alpha if w[0].isupper()) / na,
        sum(1 for w in alpha if len(w) > 1 and w.isupper()) / na,
        float(t[:1] in "\"“'‘«"), float(t[:1] in "-–—•*+>"),
        len(_DIGIT.findall(t[:600])) / (min(len(t), 600) or 1), float(t.count(",")),
        float(len(pack.sentence_break.findall(t[:600]))),
        float(n >= LONG and _ends_stop(t)), 0.0,
    ]


def _rules(ln: Line | None) -> list[float]:
    r = ln.reason if ln is not None else None
    return [float(r == x) for x in REASONS]


def _share(a: set, b: set) -> float:
    return len(a & b) / len(a) if a else 0.0


def candidates(a: Analysis, max_words: int, soft: frozenset[str]) -> list[int]:
    """Indexes into ``a.content`` of the lines the model judges: short lines that no rule
    removed, or that only a soft rule (a layout guess, listed in the pack) removed."""
    out = []
    for k, ln in enumerate(a.content):
        if ln is a.title or ln.words > max_words or not ln.text:
            continue
        if ln.rule is not None and ln.rule not in soft:
            continue
        out.append(k)
    return out


class _View:
    """The words of a line the features compare, lower-cased: all of a short line's, the
    first and last ``_EDGE`` of a long one (a caption restates the start of the paragraph
    after it or the end of the one before; the middle of a long paragraph never matters)."""

    __slots__ = ("head", "tail", "uni", "tri")

    def __init__(self, ln: Line):
        if ln.ws is not None:
            ws = [w.lower() for w in ln.ws]
            self.head, self.tail = ws[:_EDGE], ws[-_EDGE:]
            both = ws
        else:
            t = ln.text
            self.head = [w.lower() for w in words(t[: _EDGE * 10])][:_EDGE]
            self.tail = [w.lower() for w in words(t[-_EDGE * 10 :])][-_EDGE:]
            both = self.head + self.tail
        self.uni = set(both)
        self.tri = {tuple(both[i : i + 3]) for i in range(len(both) - 2)}


_EDGE = 60


def document_rows(a: Analysis, pack: Pack, rows: list[int]) -> np.ndarray:
    """One feature row per candidate line (``rows``: indexes into ``a.content``)."""
    content = a.content
    n = len(content)
    if not rows:
        return np.zeros((0, len(NAMES)))
    shapes: list = [None] * n
    views: list = [None] * n
    long_idx = [k for k, ln in enumerate(content) if ln.words >= LONG and _ends_stop(ln.text)]
    first_long = long_idx[0] if long_idx else n
    last_long = long_idx[-1] if long_idx else -1
    total = sum(len(ln.raw) for ln in content) or 1
    before = np.cumsum([0] + [len(ln.raw) for ln in content])
    short = [ln for ln in content if ln.words < 15]
    short_nostop = sum(1 for ln in short if not _ends_stop(ln.text))
    shapes_of_rows = {k: (content[k].words, _ends_stop(content[k].text)) for k in rows}

    def view(k: int) -> _View | None:
        if not 0 <= k < n:
            return None
        if views[k] is None:
            views[k] = _View(content[k])
        return views[k]

    def shape(k: int) -> list[float]:
        if not 0 <= k < n:
            return _EMPTY_SHAPE
        if shapes[k] is None:
            shapes[k] = _shape(content[k], pack)
        return shapes[k]

    title_uni = view(content.index(a.title)).uni if a.title is not None else set()
    out = np.zeros((len(rows), len(NAMES)))
    for r, k in enumerate(rows):
        ln = content[k]
        t = ln.text
        v = view(k)
        u = v.uni
        prev_ln = content[k - 1] if k > 0 else None
        next_ln = content[k + 1] if k + 1 < n else None
        pv, nv = view(k - 1), view(k + 1)
        earlier = set().union(*(view(j).uni for j in range(max(0, k - 5), k))) if k else set()
        exact_earlier = any(content[j].text == t for j in range(k))
        later = max((_share(v.tri, view(j).tri) for j in range(k + 1, min(n, k + 10)) if content[j].words <= 60),
                    default=0.0)
        run = 0
        j = k
        while j >= 0 and content[j].words < LONG:
            run += 1
            j -= 1
        j = k + 1
        while j < n and content[j].words < LONG:
            run += 1
            j += 1
        hashes = [0.0] * HASH_BUCKETS
        for w in u:
            hashes[zlib.crc32(w.encode()) % HASH_BUCKETS] = 1.0
        row = (
            shape(k)
            + [len(t) / (ln.words or 1), float(t.count(":")), float(t.count("|")),
               float(">>" in t or "»" in t or "<<" in t), float(bool(_URL.search(t))), float("@" in t),
               float(sum(t.count(q) for q in "\"“”")), float(t.count("(")), float(t.count("[")),
               float(bool(pack.caption_credit.search(t[-240:]))), float(bool(pack.caption_opening.search(t))),
               float(bool(pack.body_opening.match(t))), float(bool(pack.narrative.search(t))),
               float(t[:1].isupper()), float(bool(ln.ws) and ln.ws[-1][:1].isupper()),
               float(k), float(n - 1 - k), k / max(1, n - 1), before[k] / total, float(k > last_long),
               float(k < first_long), float(n), float(len(long_idx)),
               float(prev_ln is not None and next_ln is not None and prev_ln.words >= LONG and next_ln.words >= LONG),
               float(run),
               _share(v.tri, pv.tri) if pv else 0.0, _share(v.tri, nv.tri) if nv else 0.0,
               _share(u, pv.uni) if pv else 0.0, _share(u, nv.uni) if nv else 0.0,
               _share(u, title_uni), _share(u, earlier), float(exact_earlier), later,
               float(ln.raw[:1] in " \t"), float(bool(_LIST_MARKER.match(t))), float(t.endswith("?")),
               float(prev_ln is not None and prev_ln.text.endswith(":")),
               _share(u, set(nv.head[:20])) if nv else 0.0, _share(u, set(pv.tail[-20:])) if pv else 0.0,
               float(len(short)), short_nostop / (len(short) or 1),
               float(sum(1 for j, (w, st) in shapes_of_rows.items()
                         if j != k and abs(w - ln.words) <= 2 and st == _ends_stop(t)))]
            + _rules(ln)
            + shape(k - 1) + _rules(prev_ln)
            + shape(k + 1) + _rules(next_ln)
            + shape(k - 2) + shape(k + 2)
            + hashes
        )
        out[r] = row
    return out
