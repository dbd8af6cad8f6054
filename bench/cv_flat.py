"""Held-out quality of the flattened-article cuts: k-fold cross-validation by document.

    python bench/cv_flat.py [--set ../shared/train-flat] [--folds 5] [--out /tmp/cv-flat]

Whole documents are held out: for each fold a sentence model is trained on the other folds'
documents, the held-out raw files are cleaned by the full per-document chain (repair, rules
with that model, nearby repeats, layout) and written to OUT/clean/NAME.txt, and score.py scores
all of them at the end (word precision / recall by the labels). The threshold is chosen
precision-first on the out-of-fold probabilities: the lowest one at which the model's own cuts
keep word precision >= --target (0.99) out of fold; the precision-recall curve is printed.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.chain import clean_document  # noqa: E402
from pipeline.learn.flat_sentences import (corpus_texts, dataset, labelled_documents,  # noqa: E402
                                           train_sentence_model, weak_rows)
from pipeline.readers import read_bytes_document  # noqa: E402
from pipeline.rules import flat  # noqa: E402


def fold_of(name: str, k: int) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % k


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="../shared/train-flat")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", default="/tmp/cv-flat")
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--score", default="../shared/tools/score.py")
    ap.add_argument("--weak", default=None, help="a folder of unlabelled texts (baomoi__*.txt) for weak labels")
    ap.add_argument("--weak-weight", type=float, default=None)
    ap.add_argument("--no-model", action="store_true", help="the rules alone (the pack's default when model = false)")
    a = ap.parse_args()
    docs = labelled_documents(a.set)
    folds = [[d for d in docs if fold_of(d[0], a.folds) == f] for f in range(a.folds)]
    weak = None
    if a.weak:  # never a labelled document, held out or not
        weak = weak_rows(corpus_texts(a.weak, exclude=[d[0] for d in docs]))
        print(f"weak rows {len(weak[1])}, {int(weak[1].sum())} captions")
    kw = {} if a.weak_weight is None else {"weak_weight": a.weak_weight}
    models, probs, labels, weights = [], [], [], []
    for f in range(a.folds):
        train = [d for g in range(a.folds) if g != f for d in folds[g]]
        model = train_sentence_model(train, weak=weak, **kw)
        models.append(model)
        X, y = dataset(folds[f])
        if len(y):
            probs.append(model.predict(X))
            labels.append(y)
            weights.append(X[:, 0])
    p, y, w = np.concatenate(probs), np.concatenate(labels), np.concatenate(weights)
    print(f"{len(docs)} documents in {a.folds} folds; {len(y)} segments for the model, {int(y.sum())} to cut")
    print("threshold  cut_words  word_precision  word_recall (the model's own segments, out of fold)")
    chosen = None
    for t in np.round(np.arange(0.95, 0.04, -0.05), 2):
        cut = p >= t
        tp = float(w[cut & (y == 1)].sum())
        allc = float(w[cut].sum())
        prec = tp / allc if allc else 1.0
        rec = tp / float(w[y == 1].sum()) if y.sum() else 1.0
        print(f"  {t:.2f}  {int(allc):6d}  {prec:.4f}  {rec:.4f}")
        if prec >= a.target:
            chosen = float(t)
    chosen = chosen if chosen is not None else 0.95
    print(f"chosen threshold {chosen:.2f} (lowest with out-of-fold precision >= {a.target})")

    out = Path(a.out)
    shutil.rmtree(out, ignore_errors=True)
    (out / "clean").mkdir(parents=True)
    for f in range(a.folds):
        flat._OVERRIDE.update(model=None if a.no_model else models[f], threshold=chosen)
        for name, text, _ in folds[f]:
            doc = clean_document(read_bytes_document(name, text.encode("utf-8")))
            (out / "clean" / f"{name}.txt").write_text(doc.edited().text, encoding="utf-8")
    flat._OVERRIDE.clear()
    res = subprocess.run([sys.executable, a.score, str(Path(a.set) / "labels"), str(out / "clean")],
                         capture_output=True, text=True)
    print(res.stdout.strip())


if __name__ == "__main__":
    main()
