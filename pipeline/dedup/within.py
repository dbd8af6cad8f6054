"""Lines that repeat an earlier line of the same document (alt text then figcaption,
a headline printed twice). The later copy goes and points at the one kept.

Only nearby copies count: a lead that quotes a paragraph further down (a common layout of
readers' letters) is not page furniture, so both stay.
"""
from __future__ import annotations

from ..documents import Op
from .shingles import jaccard, normalize, shingle_hashes


def within_document_ops(text: str, threshold: float = 0.8, window: int = 3, min_chars: int = 20) -> list[Op]:
    """Drop a line that nearly repeats one of the ``window`` content lines before it."""
    ops: list[Op] = []
    recent: list[list] = []  # [start, end, stripped line, normalized or None, shingle hashes or None]
    pos = 0
    for part in text.split("\n"):
        start, end = pos, pos + len(part)
        nl = end + 1 if end < len(text) else end
        pos = nl
        stripped = part.strip()
        if not stripped:
            continue
        entry = [start, end, stripped, None, None]
        best = None
        if len(stripped) >= min_chars:
            for r in recent:
                if r[2] == stripped:
                    sim = 1.0
                elif len(r[2]) >= min_chars and min(len(stripped), len(r[2])) >= threshold * max(len(stripped), len(r[2])):
                    # lengths this close can reach the threshold: compare the texts properly
                    for e in (entry, r):
                        if e[3] is None:
                            e[3] = normalize(e[2])
                    if entry[3] == r[3]:
                        sim = 1.0
                    else:
                        for e in (entry, r):
                            if e[4] is None:
                                e[4] = shingle_hashes(e[2])
                        sim = jaccard(entry[4], r[4])
                else:
                    continue
                if sim >= threshold and (best is None or sim > best[2]):
                    best = (r[0], r[1], sim)
        if best:
            ops.append(Op(start, nl, "", "duplicate", "repeated_line",
                          {"duplicate_of": {"start": best[0], "end": best[1]}, "similarity": round(best[2], 4)}))
            continue
        recent = (recent + [entry])[-window:]
    return ops


def remove_repeats(doc, threshold: float = 0.8, window: int = 3):
    """Stage: drop nearby repeated lines; ``duplicate_of`` points into the raw text."""
    from ..documents import Op as _Op

    if doc.status == "rejected":
        return doc
    et = doc.edited()
    ops = []
    to_raw = None
    for op in within_document_ops(et.text, threshold, window):
        to_raw = to_raw or et.mapper()
        src = op.extra["duplicate_of"]
        s, e = to_raw(src["start"], True), to_raw(src["end"], False)
        ops.append(_Op(op.start, op.end, "", op.reason, op.rule,
                       {"duplicate_of": {"id": doc.id, "start": s, "end": e}, "similarity": op.extra["similarity"]}))
    et.apply(ops)
    doc.update(et)
    return doc
