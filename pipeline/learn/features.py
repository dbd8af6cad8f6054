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

import collections
import itertools
import math
import re

import numpy as np

from ..rules.engine import Analysis, Line, Pack, words

REASONS = ("caption", "related_news", "byline", "source_line", "promo", "metadata", "player_widget", "keep")
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
       "uni_prev", "uni_next", "uni_title", "uni_earlier", "exact_earlier", "uni_later", "indent", "list_marker", "question", "prev_colon", "next_lead_share",
       "prev_tail_share", "doc_short", "doc_short_nostop", "siblings"]
    + _rule_names("")
    + _shape_names("prev_") + _rule_names("prev_")
    + _shape_names("next_") + _rule_names("next_")
    + _shape_names("prev2_") + _shape_names("next2_")
)

_EMPTY_SHAPE = [0.0] * 14 + [1.0]


def _ends_stop(t: str) -> bool:
    return bool(t) and t[-1] in ".!?…"


def _shape(ln: Line | None, pack: Pack) -> list[float]:
    if ln is None:
        return _EMPTY_SHAPE
    t = ln.text
    n = ln.words
    if ln.ws is None:  # a long paragraph (its words were only counted): what costs nothing
        return [float(min(n, 200)), math.log1p(len(t)), float(_ends_stop(t)), float(t.endswith(":")),
                float(t.endswith(("...", "…"))), float(t[-1:] in ")]\"”’'"), -1.0, -1.0,
                float(t[:1] in "\"“'‘«"), float(t[:1] in "-–—•*+>"), -1.0, float(t.count(",")), -1.0,
                float(n >= LONG and _ends_stop(t)), 0.0]
    ws = ln.ws
    alpha = [w for w in ws if w[0].isalpha()]
    na = len(alpha) or 1
    return [
        float(min(n, 200)), math.log1p(len(t)), float(_ends_stop(t)), float(t.endswith(":")),
        float(t.endswith(("...", "…"))), float(t[-1:] in ")]\"”’'"),
        sum(1 for w in alpha if w[0].isupper()) / na,
        sum(1 for w in alpha if len(w) > 1 and w.isupper()) / na,
        float(t[:1] in "\"“'‘«"), float(t[:1] in "-–—•*+>"),
        len(_DIGIT.findall(t)) / (len(t) or 1), float(t.count(",")),
        float(len(pack.sentence_break.findall(t))),
        float(n >= LONG and _ends_stop(t)), 0.0,
    ]


def _rules(ln: Line | None) -> list[float]:
    r = ln.reason if ln is not None else None
    return [float(r == x) for x in REASONS]


def _share(a: set, b: set) -> float:
    return len(a & b) / len(a) if a else 0.0


def candidates(a: Analysis, max_words: int, soft: frozenset[str], sentence_words: int = 20) -> list[int]:
    """Indexes into ``a.content`` of the lines the model judges: short lines that no rule
    removed, or that only a soft rule (a layout guess, listed in the pack) removed. A line of
    more than ``sentence_words`` words ending with a full stop is a paragraph: held out, the
    model never gave one a probability near its threshold (0.76 at most over 697 such lines)."""
    out = []
    for k, ln in enumerate(a.content):
        if ln is a.title or ln.words > max_words or not ln.text:
            continue
        if ln.words > sentence_words and _ends_stop(ln.text) and ln.rule is None:
            continue
        if ln.rule is not None and ln.rule not in soft:
            continue
        out.append(k)
    return out


class _View:
    """The words of a line the features compare, lower-cased: all of a short line's, the
    first and last ``_EDGE`` of a long one (a caption restates the start of the paragraph
    after it or the end of the one before; the middle of a long paragraph never matters)."""

    __slots__ = ("head", "tail", "uni")

    def __init__(self, ln: Line):
        t = ln.text
        if ln.ws is not None:
            ws = words(t.lower())
            self.head, self.tail = ws[:_EDGE], ws[-_EDGE:]
            self.uni = set(ws)
        else:
            self.head = words(t[: _EDGE * 10].lower())[:_EDGE]
            self.tail = words(t[-_EDGE * 10 :].lower())[-_EDGE:]
            self.uni = set(self.head) | set(self.tail)


_EDGE = 30


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
    before = list(itertools.accumulate((len(ln.raw) for ln in content), initial=0))
    total = before[-1] or 1
    texts = [ln.text for ln in content]
    stops = [_ends_stop(t) for t in texts]
    first_seen: dict[str, int] = {}
    for k, t in enumerate(texts):
        first_seen.setdefault(t, k)
    short = [k for k, ln in enumerate(content) if ln.words < 15]
    short_nostop = sum(1 for k in short if not stops[k])
    # lines of a like shape among the judged ones (a listicle's headings, a gallery's captions)
    alike = collections.Counter((content[k].words, stops[k]) for k in rows)
    # length of the run of non-paragraph lines each line stands in
    run_of = [0] * n
    k = 0
    while k < n:
        if content[k].words >= LONG:
            k += 1
            continue
        j = k
        while j < n and content[j].words < LONG:
            j += 1
        for i in range(k, j):
            run_of[i] = j - k
        k = j

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
        t = texts[k]
        v = view(k)
        u = v.uni
        prev_ln = content[k - 1] if k > 0 else None
        next_ln = content[k + 1] if k + 1 < n else None
        pv, nv = view(k - 1), view(k + 1)
        earlier = set().union(*(view(j).uni for j in range(max(0, k - 3), k))) if k else set()
        exact_earlier = first_seen[t] < k
        later = max((_share(u, view(j).uni) for j in range(k + 1, min(n, k + 4)) if content[j].ws is not None),
                    default=0.0)
        st = stops[k]
        siblings = sum(alike[(w, st)] for w in range(ln.words - 2, ln.words + 3)) - 1
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
               float(run_of[k]),
               _share(u, pv.uni) if pv else 0.0, _share(u, nv.uni) if nv else 0.0,
               _share(u, title_uni), _share(u, earlier), float(exact_earlier), later,
               float(ln.raw[:1] in " \t"), float(bool(_LIST_MARKER.match(t))), float(t.endswith("?")),
               float(k > 0 and texts[k - 1].endswith(":")),
               _share(u, set(nv.head[:20])) if nv else 0.0, _share(u, set(pv.tail[-20:])) if pv else 0.0,
               float(len(short)), short_nostop / (len(short) or 1),
               float(siblings)]
            + _rules(ln)
            + shape(k - 1) + _rules(prev_ln)
            + shape(k + 1) + _rules(next_ln)
            + shape(k - 2) + shape(k + 2)
        )
        out[r] = row
    return out
