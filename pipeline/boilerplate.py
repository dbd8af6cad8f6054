"""The boilerplate stage: run a rule pack over documents and record their cuts as edits."""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from .documents import Document, Op
from .language import AUTO, detect, pack_for
from .rules import find_boilerplate, load_pack
from .textarray import line_word_counts

BATCH = 256  # documents whose words are counted in one numpy pass


def strip_documents(docs: Iterable[Document], pack_name: str = "vi",
                    disabled: frozenset[str] = frozenset()) -> Iterator[Document]:
    """Each document with the pack's cuts applied, in order; words are counted for a batch
    of documents at once (numpy's cost is per call)."""
    it = iter(docs)
    while chunk := list(itertools.islice(it, BATCH)):
        live = [d for d in chunk if d.status != "rejected"]
        edited = [d.edited() for d in live]
        counts = line_word_counts([et.text for et in edited])
        for doc, et, n in zip(live, edited, counts):
            pack = _language_pack(doc, et.text, pack_name)
            found = find_boilerplate(et.text, pack, disabled, line_words=n)
            et.apply(Op(c.start, c.end, "", c.reason, c.rule) for c in found.cuts)
            doc.update(et)
            for key, value in found.metadata.items():
                doc.metadata.setdefault(key, value)
        yield from chunk


def _language_pack(doc: Document, text: str, pack_name: str):
    """The document's language into its metadata, and the pack for it: by language when the
    setting is ``auto`` (vi.toml, en.toml, else the neutral base.toml), else the one named."""
    lang, confidence = detect(text)
    doc.metadata["language"], doc.metadata["language_confidence"] = lang, confidence
    return load_pack(pack_for(lang) if pack_name == AUTO else pack_name)


def strip_boilerplate(doc: Document, pack_name: str = "vi", disabled: frozenset[str] = frozenset()) -> Document:
    return next(strip_documents([doc], pack_name, disabled))
