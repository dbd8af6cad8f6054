"""The boilerplate stage: run a rule pack over documents and record their cuts as edits."""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from .documents import Document, Op
from .rules import find_boilerplate, load_pack
from .rules.flat import batch_plans
from .textarray import line_word_counts

BATCH = 256  # documents whose words are counted in one numpy pass


def strip_documents(docs: Iterable[Document], pack_name: str = "vi",
                    disabled: frozenset[str] = frozenset()) -> Iterator[Document]:
    """Each document with the pack's cuts applied, in order; words are counted for a batch
    of documents at once (numpy's cost is per call)."""
    pack = load_pack(pack_name)
    it = iter(docs)
    while chunk := list(itertools.islice(it, BATCH)):
        live = [d for d in chunk if d.status != "rejected"]
        edited = [d.edited() for d in live]
        counts = line_word_counts([et.text for et in edited])
        plans = batch_plans([et.text for et in edited], pack.flat)  # one model call per batch
        for doc, et, n, plan in zip(live, edited, counts, plans):
            found = find_boilerplate(et.text, pack, disabled, line_words=n, flat_plan=plan)
            et.apply(Op(c.start, c.end, "", c.reason, c.rule, c.extra) for c in found.cuts)
            doc.update(et)
            for key, value in found.metadata.items():
                doc.metadata.setdefault(key, value)
        yield from chunk


def strip_boilerplate(doc: Document, pack_name: str = "vi", disabled: frozenset[str] = frozenset()) -> Document:
    return next(strip_documents([doc], pack_name, disabled))
