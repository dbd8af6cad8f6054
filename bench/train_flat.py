"""Rebuild the shipped sentence model of flattened articles, deterministically.

    python bench/train_flat.py [--set ../shared/train-flat ...] [--weak /tmp/vi-news] [--out pipeline/models/flat_sentences.json]

Trains on every labelled flattened document given (``raw/`` + ``labels/``); the same sets give
the same bytes (LightGBM deterministic, one thread, a fixed seed). The threshold that the
cleaner uses lives in the pack (``[flat] threshold``), chosen by ``bench/cv_flat.py``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.learn.flat_sentences import corpus_texts, labelled_documents, train_sentence_model, weak_rows  # noqa: E402
from pipeline.rules.flat import MODEL_PATH  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", action="append", default=None)
    ap.add_argument("--out", default=str(MODEL_PATH))
    ap.add_argument("--weak", default=None, help="a folder of unlabelled texts (baomoi__*.txt) for weak labels")
    a = ap.parse_args()
    sets = a.set or ["../shared/train-flat"]
    docs = [d for s in sets for d in labelled_documents(s)]
    weak = weak_rows(corpus_texts(a.weak, exclude=[d[0] for d in docs])) if a.weak else None
    model = train_sentence_model(docs, weak=weak, meta={"sets": [Path(s).name for s in sets], "documents": len(docs),
                                                        "weak_rows": 0 if weak is None else int(len(weak[1]))})
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    model.save(a.out)
    print(f"{a.out}: {len(docs)} documents, {model.meta['rows']} segments, digest {model.digest}")


if __name__ == "__main__":
    main()
