"""Lines that repeat an earlier line of the same document (alt text then figcaption,
a headline printed twice). The later copy goes and points at the one kept.

Only nearby copies count: a lead that quotes a paragraph further down (a common layout of
readers' letters) is not page furniture, so both stay.
"""
from __future__ import annotations

import numpy as np

from ..documents import Op
from .shingles import jaccard, line_shingle_hashes


def find_repeats(lines: list[str], similarity, threshold: float = 0.8, window: int = 3,
                 min_chars: int = 20) -> list[tuple[int, int, float]]:
    """(later line, kept line, similarity) for each line that nearly repeats one of the
    ``window`` lines before it. ``lines`` are stripped; ``similarity(i, j)`` gives the
    Jaccard similarity of two lines' shingles and is only asked for lines of comparable
    length."""
    found = []
    recent: list[int] = []
    for i, stripped in enumerate(lines):
        best = None
        if len(stripped) >= min_chars:
            for j in recent:
                other = lines[j]
                if other == stripped:
                    sim = 1.0
                elif len(other) >= min_chars and min(len(stripped), len(other)) >= threshold * max(len(stripped), len(other)):
                    sim = similarity(i, j)  # lengths this close can reach the threshold
                else:
                    continue
                if sim >= threshold and (best is None or sim > best[1]):
                    best = (j, sim)
        if best:
            found.append((i, best[0], best[1]))
            continue
        recent = (recent + [i])[-window:]
    return found


def lazy_similarity(lines: list[str]):
    """``similarity(i, j)`` for ``find_repeats``, hashing every line at most once, in one batch."""
    cache: list = []

    def shingles_of(i: int):
        if not cache:
            flat, lens = line_shingle_hashes(lines)
            offs = np.concatenate(([0], np.cumsum(lens)))
            cache.extend(np.unique(flat[offs[k] : offs[k + 1]]) for k in range(len(lines)))
        return cache[i]

    return lambda i, j: jaccard(shingles_of(i), shingles_of(j))


def repeat_ops(doc_id: str, spans, found, text: str, to_raw) -> list[Op]:
    """Edits that drop each repeated line (with its newline), pointing at the kept copy in raw.

    ``spans[i]`` is line i's (start, end) in ``text``; ``found`` comes from ``find_repeats``;
    ``to_raw`` maps offsets of ``text`` to raw offsets.
    """
    ops = []
    for i, j, sim in found:
        start, end = spans[i]
        nl = end + 1 if text[end : end + 1] == "\n" else end
        ref = {"id": doc_id, "start": to_raw(spans[j][0], True), "end": to_raw(spans[j][1], False)}
        ops.append(Op(start, nl, "", "duplicate", "repeated_line", {"duplicate_of": ref, "similarity": round(sim, 4)}))
    return ops


def remove_repeats(doc, threshold: float = 0.8, window: int = 3):
    """Stage: drop nearby repeated lines; ``duplicate_of`` points into the raw text."""
    if doc.status == "rejected":
        return doc
    et = doc.edited()
    text = et.text
    spans, lines, pos = [], [], 0
    for part in text.split("\n"):
        if part.strip():
            spans.append((pos, pos + len(part)))
            lines.append(part.strip())
        pos += len(part) + 1
    found = find_repeats(lines, lazy_similarity(lines), threshold, window)
    if found:
        et.apply(repeat_ops(doc.id, spans, found, text, doc.raw_mapper(et)))
        doc.update(et)
    return doc
