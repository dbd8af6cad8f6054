"""The boilerplate stage: run a rule pack (and its line model) over documents and record
their cuts as edits."""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from .documents import Document, Op
from .language import AUTO, detect, pack_for
from .rules import load_pack
from .rules.engine import analyse, finish
from .rules.flat import batch_plans
from .textarray import line_word_counts

BATCH = 256  # documents whose words are counted, and lines judged, in one numpy / model call


def line_model_for(pack, override: str | None = None):
    """The pack's line model (``[model] line``), or ``override`` (a name or a path; ``"none"``:
    rules alone)."""
    name = override if override is not None else pack.model.get("line")
    if not name or name == "none":
        return None
    from .learn.linemodel import load_line_model

    model = load_line_model(name)
    # a model learned on top of another pack's rules would read features it never saw
    return model if model.meta.get("pack", pack.name) == pack.name else None


def strip_documents(docs: Iterable[Document], pack_name: str = "vi",
                    disabled: frozenset[str] = frozenset(), line_model: str | None = None) -> Iterator[Document]:
    """Each document with its pack's cuts applied, in order (``pack_name="auto"``: the pack
    for each document's language); words are counted and lines judged for a batch of
    documents at once (numpy's and LightGBM's cost is per call)."""
    models: dict[str, object] = {}
    it = iter(docs)
    while chunk := list(itertools.islice(it, BATCH)):
        live = [d for d in chunk if d.status != "rejected"]
        edited = [d.edited() for d in live]
        counts = line_word_counts([et.text for et in edited])
        packs = [_language_pack(doc, et.text, pack_name) for doc, et in zip(live, edited)]
        plans = _flat_plans(edited, packs)  # flattened bodies: one sentence-model call per pack
        held: dict[str, tuple] = {}  # pack name -> (pack, its documents waiting for its line model)
        for doc, et, pack, n, plan in zip(live, edited, packs, counts, plans):
            if pack.name not in models:
                models[pack.name] = line_model_for(pack, line_model)
            a = analyse(et.text, pack, n, plan)
            if models[pack.name] is None:
                _apply(doc, et, a, disabled)  # now: its lines go before the next document's are made
            else:
                held.setdefault(pack.name, (pack, []))[1].append((doc, et, a))
        for name, (pack, rows) in held.items():
            models[name].decide([a for _, _, a in rows], pack)
            for doc, et, a in rows:
                _apply(doc, et, a, disabled)
        yield from chunk


def _apply(doc: Document, et, a, disabled: frozenset[str]) -> None:
    """The analysis's cuts into the document's edits, its findings into its metadata."""
    found = finish(a, disabled)
    et.apply(Op(c.start, c.end, "", c.reason, c.rule, c.extra) for c in found.cuts)
    doc.update(et)
    for key, value in found.metadata.items():
        doc.metadata.setdefault(key, value)


def _flat_plans(edited, packs) -> list:
    """Each text's plan for its flattened body (``rules/flat.py``), made a pack at a time so
    that the sentence model, when on, is called once per pack and batch."""
    out: list = [None] * len(edited)
    groups: dict[str, tuple] = {}
    for i, pack in enumerate(packs):
        groups.setdefault(pack.name, (pack, []))[1].append(i)
    for pack, idx in groups.values():
        for i, plan in zip(idx, batch_plans([edited[i].text for i in idx], pack.flat)):
            out[i] = plan
    return out


def _language_pack(doc: Document, text: str, pack_name: str):
    """The document's language into its metadata, and the pack for it: by language when the
    setting is ``auto`` (vi.toml, en.toml, else the neutral base.toml), else the one named."""
    lang, confidence = detect(text)
    doc.metadata["language"], doc.metadata["language_confidence"] = lang, confidence
    return load_pack(pack_for(lang) if pack_name == AUTO else pack_name)


def strip_boilerplate(doc: Document, pack_name: str = "vi", disabled: frozenset[str] = frozenset(),
                      line_model: str | None = None) -> Document:
    return next(strip_documents([doc], pack_name, disabled, line_model))
