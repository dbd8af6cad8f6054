"""The Python API for notebooks and scripts: one text in, its clean text and every edit out.

    >>> from pipeline import clean_text
    >>> r = clean_text("Tiêu đề\\nMột đoạn văn bản đủ dài của bài báo này.\\nQuảng cáo\\n")
    >>> r.text
    'Tiêu đề\\nMột đoạn văn bản đủ dài của bài báo này.\\n'
    >>> [(e.reason, e.rule, e.text) for e in r.edits]
    [('player_widget', 'ui_words', 'Quảng cáo\\n')]

The same per-document chain as ``pipeline clean`` (repair, the rule pack, nearby repeated
lines, layout); what needs the whole corpus (near-duplicate documents and paragraphs) is not
done: run ``CleanAll`` for that.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .documents import Document, Edit


@dataclass(frozen=True)
class Cleaned:
    """``text``: the clean text (``""`` when rejected); ``edits``: what changed in ``raw``, in
    order, each with ``start``/``end`` offsets into ``raw``, the removed ``text``, its
    ``replacement``, ``reason`` and ``rule``; applying them to ``raw`` gives ``text``."""

    text: str
    edits: list[Edit]
    raw: str
    status: str = "ok"  # ok | rejected
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "status": self.status, "error": self.error, "metadata": self.metadata,
                "edits": [e.to_json() for e in self.edits]}


def clean_text(text: str, pack: str | None = None) -> Cleaned:
    """Clean one document's text. ``pack``: a rule pack name or path (default: the pipeline's)."""
    from .chain import clean_document

    if not isinstance(text, str):
        raise TypeError(f"clean_text takes a str, not {type(text).__name__} (decode bytes first)")
    doc = Document(id="text", source="<text>", raw=text, encoding="utf-8",
                   raw_sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
    doc = clean_document(doc, pack) if pack else clean_document(doc)
    ok = doc.status != "rejected"
    return Cleaned(text=doc.text if ok else "", edits=list(doc.edits), raw=doc.raw, status=doc.status,
                   error=doc.error, metadata=dict(doc.metadata))
