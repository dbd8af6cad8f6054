"""Corpus-wide duplicates: which documents repeat an earlier one.

This first version finds exact repeats (same normalised text after boilerplate removal);
the kept copy is the earliest by date, then by id, so it never depends on listing order,
shard size or worker count.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable

from ..documents import Document
from .shingles import normalize


def document_signature(doc: Document) -> dict[str, Any] | None:
    if doc.status == "rejected":
        return None
    norm = normalize(doc.text)
    if not norm:
        return None
    return {
        "id": doc.id,
        "date": str(doc.metadata.get("date") or ""),
        "hash": hashlib.blake2b(norm.encode("utf-8"), digest_size=16).hexdigest(),
    }


def _order(sig: dict[str, Any]) -> tuple:
    return (sig["date"] == "", sig["date"], sig["id"])  # dated first, earliest first


def decide(signatures: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for sig in signatures:
        groups.setdefault(sig["hash"], []).append(sig)
    decisions: dict[str, dict[str, Any]] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=_order)
        kept = members[0]["id"]
        for m in members[1:]:
            decisions[m["id"]] = {"duplicate_of": {"id": kept}, "similarity": 1.0}
    return decisions
