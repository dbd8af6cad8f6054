"""The per-document chain, stage by stage, as plain functions on Documents.

The Luigi tasks call these one stage per task over a shard; tests and ``pipeline clean``
call :func:`clean_document` to run them all in memory.
"""
from __future__ import annotations

from .boilerplate import strip_boilerplate
from .dedup.corpus import remove_nearby_repeats
from .documents import Document
from .encoding import repair_ops
from .whitespace import layout_ops


def repair_document(doc: Document, fold_crlf: bool = False) -> Document:
    """Encoding repair: line ends, ftfy per line, NFC, odd spaces. ``fold_crlf``: CRLF line
    ends are taken out of ``raw`` instead of made edits, until ``doc.unfold_crlf()`` (see
    Document.fold_crlf): what the Luigi stages do, as it spares them an edit per line."""
    if doc.status == "rejected":
        return doc
    if not doc.raw.strip():
        doc.reject("the file contains only white space" if doc.raw else "the file is empty")
        return doc
    if fold_crlf:
        doc.fold_crlf()
    et = doc.edited()
    et.apply(repair_ops(et.text))
    doc.update(et)
    return doc


def finish_document(doc: Document, repeat_threshold: float = 0.8, repeat_window: int = 3) -> Document:
    """Nearby repeated lines (``repeat_window=0``: done already, by SignShard, with the same
    function), then the final layout; an emptied document is a duplicate when its lines
    repeat other documents, else rejected."""
    finish_text(doc, repeat_threshold, repeat_window)
    return doc


def finish_text(doc: Document, repeat_threshold: float = 0.8, repeat_window: int = 3) -> str | None:
    """:func:`finish_document`, returning the document's final text (``doc.text``, without
    applying the edits once more), or None when it is rejected."""
    if doc.status == "rejected":
        return None
    if repeat_window:
        remove_nearby_repeats([doc], repeat_threshold, repeat_window)
    et = doc.edited()
    et.apply(layout_ops(et.text))
    doc.update(et)
    text = et.text
    if not text.strip():
        sources = [e.extra["duplicate_of"]["id"] for e in doc.edits
                   if e.extra and "duplicate_of" in e.extra and e.extra["duplicate_of"].get("id") != doc.id]
        if sources:  # every line repeats other documents: the document is a duplicate
            doc.status = "duplicate"
            doc.info["duplicate_of"] = {"id": max(set(sources), key=lambda i: (sources.count(i), i))}
            doc.info["similarity"] = None
        else:
            doc.reject("nothing was left after cleaning: every line was removed as boilerplate")
            return None
    return text


def clean_document(doc: Document, pack: str = "auto", line_model: str | None = None,
                   disabled: frozenset[str] = frozenset(), repeat_threshold: float = 0.8,
                   repeat_window: int = 3) -> Document:
    """The whole per-document chain; ``pack="auto"``: the rule pack by the document's language;
    ``line_model``: a model name or path instead of the pack's (``"none"``: rules alone); the
    rest as the ``[cleaning]`` settings of the same names."""
    stripped = strip_boilerplate(repair_document(doc), pack, disabled, line_model=line_model)
    return finish_document(stripped, repeat_threshold, repeat_window)
