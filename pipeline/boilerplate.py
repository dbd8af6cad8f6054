"""The boilerplate stage: run a rule pack over a document and record its cuts as edits."""
from __future__ import annotations

from .documents import Document, Op
from .rules import find_boilerplate, load_pack


def strip_boilerplate(doc: Document, pack_name: str = "vi", disabled: frozenset[str] = frozenset()) -> Document:
    if doc.status == "rejected":
        return doc
    pack = load_pack(pack_name)
    et = doc.edited()
    found = find_boilerplate(et.text, pack, disabled)
    et.apply(Op(c.start, c.end, "", c.reason, c.rule) for c in found.cuts)
    doc.update(et)
    for key, value in found.metadata.items():
        doc.metadata.setdefault(key, value)
    return doc
