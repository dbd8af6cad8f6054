"""The boilerplate stage: run a rule pack (and its line model) over documents and record
their cuts as edits."""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from .documents import Document, Op
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

    return load_line_model(name)


def strip_documents(docs: Iterable[Document], pack_name: str = "vi",
                    disabled: frozenset[str] = frozenset(), line_model: str | None = None) -> Iterator[Document]:
    """Each document with the pack's cuts applied, in order; words are counted and lines
    judged for a batch of documents at once (numpy's and LightGBM's cost is per call)."""
    pack = load_pack(pack_name)
    model = line_model_for(pack, line_model)
    it = iter(docs)
    while chunk := list(itertools.islice(it, BATCH)):
        live = [d for d in chunk if d.status != "rejected"]
        edited = [d.edited() for d in live]
        counts = line_word_counts([et.text for et in edited])
        plans = batch_plans([et.text for et in edited], pack.flat)  # flattened bodies: one sentence-model call
        analyses = [analyse(et.text, pack, n, plan) for et, n, plan in zip(edited, counts, plans)]
        if model is not None:
            model.decide(analyses, pack)
        for doc, et, a in zip(live, edited, analyses):
            found = finish(a, disabled)
            et.apply(Op(c.start, c.end, "", c.reason, c.rule, c.extra) for c in found.cuts)
            doc.update(et)
            for key, value in found.metadata.items():
                doc.metadata.setdefault(key, value)
        yield from chunk


def strip_boilerplate(doc: Document, pack_name: str = "vi", disabled: frozenset[str] = frozenset(),
                      line_model: str | None = None) -> Document:
    return next(strip_documents([doc], pack_name, disabled, line_model))
