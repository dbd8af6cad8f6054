"""Lines that repeat an earlier line of the same document (alt text then figcaption,
a headline printed twice). The later copy goes and points at the one kept.

Only nearby copies count: a lead that quotes a paragraph further down (a common layout of
readers' letters) is not page furniture, so both stay.
"""
from __future__ import annotations

from ..documents import Op
from .shingles import jaccard, normalize, shingles


def within_document_ops(text: str, threshold: float = 0.8, window: int = 3, min_chars: int = 20) -> list[Op]:
    """Drop a line that nearly repeats one of the ``window`` content lines before it."""
    ops: list[Op] = []
    recent: list[tuple[int, int, str, set[str]]] = []  # (start, end, normalized, shingles)
    pos = 0
    for part in text.split("\n"):
        start, end = pos, pos + len(part)
        nl = end + 1 if end < len(text) else end
        pos = nl
        if not part.strip():
            continue
        norm = normalize(part)
        if len(norm) < min_chars:
            recent = (recent + [(start, end, norm, set())])[-window:]
            continue
        sh = shingles(part)
        best = None
        for r_start, r_end, r_norm, r_sh in recent:
            sim = 1.0 if r_norm == norm else jaccard(sh, r_sh)
            if sim >= threshold and (best is None or sim > best[2]):
                best = (r_start, r_end, sim)
        if best:
            ops.append(Op(start, nl, "", "duplicate", "repeated_line",
                          {"duplicate_of": {"start": best[0], "end": best[1]}, "similarity": round(best[2], 4)}))
            continue
        recent = (recent + [(start, end, norm, sh)])[-window:]
    return ops


def remove_repeats(doc, threshold: float = 0.8, window: int = 3):
    """Stage: drop nearby repeated lines; ``duplicate_of`` points into the raw text."""
    from ..documents import Op as _Op

    if doc.status == "rejected":
        return doc
    et = doc.edited()
    ops = []
    for op in within_document_ops(et.text, threshold, window):
        src = op.extra["duplicate_of"]
        s, e = et.raw_offset(src["start"], True), et.raw_offset(src["end"], False)
        ops.append(_Op(op.start, op.end, "", op.reason, op.rule,
                       {"duplicate_of": {"id": doc.id, "start": s, "end": e}, "similarity": op.extra["similarity"]}))
    et.apply(ops)
    doc.update(et)
    return doc
