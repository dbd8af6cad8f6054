"""Manifest records: what came in, how it was read, and every change with its reason."""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Iterable

from .documents import Document

# Reasons that repair or lay out text rather than remove content.
LAYOUT_REASONS = {"whitespace", "encoding"}
# Reasons of cuts inside a line (the line itself stays).
INLINE_REASONS = {"metadata_header", "agency_prefix", "editor_note", "end_marker", "caption_credit"}


def id_hash(doc_id: str) -> int:
    """A document id as 8 bytes: for sets and samples of ids that must not grow with the corpus."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_record(doc: Document, clean: str | None, raw_path: str | None = None,
                    clean_sha256: str | None = None) -> dict[str, Any]:
    """``clean_sha256``: the digest, when the caller has hashed the clean bytes already."""
    rec: dict[str, Any] = {
        "id": doc.id,
        "source": doc.source,
        "input": doc.info.get("input", "text"),
        "raw_sha256": doc.raw_sha256,
        "encoding": doc.encoding,
        "status": doc.status,
        "error": doc.error,
        "clean_sha256": (clean_sha256 or sha256_text(clean)) if clean is not None else None,
        "clean_chars": len(clean) if clean is not None else 0,
        "metadata": doc.metadata,
    }
    if raw_path:
        rec["raw_path"] = raw_path
    if "duplicate_of" in doc.info:
        rec["duplicate_of"] = doc.info["duplicate_of"]
        rec["similarity"] = doc.info.get("similarity")
    if "flags" in doc.info:
        rec["flags"] = doc.info["flags"]
    rec["edits"] = [e.to_json() for e in doc.edits]
    return rec


def clean_record(doc: Document, clean: str) -> dict[str, Any]:
    """A line of clean.jsonl: the layout datatrove and HF datasets read as is."""
    from .dataset import removed_share

    meta = {"source": doc.source, **doc.metadata, "removed_share": removed_share(len(doc.raw), doc.edits)}
    return {"id": doc.id, "text": clean, "metadata": meta}


def raw_from_clean(edits: list[dict], clean: str) -> str:
    """Rebuild the decoded raw text from the clean text and the edits (edits quote raw)."""
    out, raw_pos, clean_pos = [], 0, 0
    for e in edits:
        gap = e["start"] - raw_pos
        out.append(clean[clean_pos : clean_pos + gap])
        clean_pos += gap + len(e["replacement"])
        out.append(e["text"])
        raw_pos = e["end"]
    out.append(clean[clean_pos:])
    return "".join(out)


def _removed_lines(e: dict) -> int:
    return max(e["text"].count("\n"), 1) if e["text"].strip() else 0


class Totals:
    """Corpus totals gathered one manifest record at a time (for the summary and the report)."""

    def __init__(self) -> None:
        self.docs = 0
        self.status: Counter = Counter()
        self.lines: Counter = Counter()
        self.chars: Counter = Counter()
        self.edits: Counter = Counter()
        self.languages: Counter = Counter()

    def add(self, rec: dict[str, Any]) -> None:
        self.docs += 1
        self.status[rec["status"]] += 1
        language = (rec.get("metadata") or {}).get("language")
        if language:
            self.languages[language] += 1
        for e in rec["edits"]:
            for reason in e["reason"].split("+"):
                self.edits[reason] += 1
            reason = e["reason"].split("+")[-1]
            if reason in LAYOUT_REASONS:
                continue
            if e["replacement"] == "" and reason not in INLINE_REASONS:
                self.lines[reason] += _removed_lines(e)
            self.chars[reason] += len(e["text"]) - len(e["replacement"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.docs,
            "ok": self.status.get("ok", 0),
            "duplicate": self.status.get("duplicate", 0),
            "rejected": self.status.get("rejected", 0),
            "lines_removed": dict(sorted(self.lines.items())),
            "chars_removed": dict(sorted(self.chars.items())),
            "edits": dict(sorted(self.edits.items())),
            "languages": dict(sorted(self.languages.items())),
        }


def tally(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Corpus totals from manifest records."""
    t = Totals()
    for rec in records:
        t.add(rec)
    return t.as_dict()


def merge_tallies(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The ``tally`` of a corpus from the tallies of its shards."""
    out: dict[str, Any] = {"documents": 0, "ok": 0, "duplicate": 0, "rejected": 0}
    counts: dict[str, Counter] = {"lines_removed": Counter(), "chars_removed": Counter(), "edits": Counter(),
                                  "languages": Counter()}
    for p in parts:
        for k in out:
            out[k] += p[k]
        for k, c in counts.items():
            c.update(p.get(k, {}))
    return {**out, **{k: dict(sorted(c.items())) for k, c in counts.items()}}
