"""Held-out quality of the line model: what the project's quality claims rest on.

    python bench/cv_lines.py [--shared ../shared] [--folds 5] [--out /tmp/cv]

Whole documents are held out: for each fold a model is trained (threshold chosen by its own
inner folds) on the other documents only, and the held-out documents are cleaned by the full
chain with that model; then ``tools/score.py`` scores the cleaned texts against their labels,
per labelled set. Then the same with whole sources held out (VNTC, VFND). Numbers on the
documents a model was fitted to are never reported here.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.chain import clean_document  # noqa: E402
from pipeline.learn.labelled import find_labelled  # noqa: E402
from pipeline.learn.train import OWN_SETS, collect, fit, fold_of, held_out_scores, soft_rows, thresholds  # noqa: E402
from pipeline.readers import read_bytes_document  # noqa: E402
from pipeline.rules.engine import load_pack  # noqa: E402

SETS = {"gold": ("seeds", "gold"), "dev": ("dev/raw", "dev/labels"), "train": ("train/raw", "train/labels"),
        "train-flat": ("train-flat/raw", "train-flat/labels")}


def train_model(ex, docs_idx, max_words, soft, target, path: Path):
    sub = ex.subset(docs_idx)
    thr, veto = thresholds(sub, 5, target)
    model = fit(sub, max_words, soft, thr, veto, {"held_out_fold": True})
    model.save(path)
    return f"{thr} (veto below {veto})"


def clean_into(docs, model_path: Path, out: Path) -> None:
    """Clean ``docs`` with the model at ``model_path`` (``none``: the rules alone)."""
    out.mkdir(parents=True, exist_ok=True)
    for d in docs:
        doc = clean_document(read_bytes_document(d.name, d.raw_path.read_bytes(), str(d.raw_path)),
                             line_model=str(model_path))
        (out / f"{d.name}.txt").write_text(doc.text if doc.status != "rejected" else "", encoding="utf-8")


def score(shared: Path, labels: Path, clean: Path) -> str:
    """score.py's numbers, shortened: line P/R, word P/R."""
    r = subprocess.run([sys.executable, str(shared / "tools/score.py"), str(labels), str(clean)],
                       capture_output=True, text=True)
    v = r.stdout.strip().splitlines()[-1].split()
    d = dict(zip(v[::2], v[1::2]))
    return f"lines {d['precision']} / {d['recall']}  words {d['word_precision']} / {d['word_recall']}"


def print_curve(ex, folds: int) -> None:
    """The held-out precision-recall curve of the lines no trusted rule removed (each row's
    probability from a model that never saw its document): what a threshold can buy."""
    import numpy as np

    keep = ~soft_rows(ex)
    p, y = held_out_scores(ex, folds)[keep], ex.y[keep]
    if not len(y) or not y.sum():
        return
    order = np.argsort(-p, kind="stable")
    hits = np.cumsum(y[order])
    prec = hits / np.arange(1, len(y) + 1)
    rec = hits / y.sum()
    print(f"\nheld-out curve over {len(y)} lines no rule removed ({int(y.sum())} furniture):")
    print("  threshold  precision  recall")
    for r in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        i = int(np.argmax(rec >= r))
        print(f"  {p[order][i]:9.3f}  {prec[i]:9.3f}  {rec[i]:6.3f}")
    for target in (0.99, 0.95, 0.9):
        ok = np.flatnonzero(prec >= target)
        print(f"  recall at precision >= {target}: {rec[ok[-1]] if len(ok) else 0.0:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--target-precision", type=float, default=0.99)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--sets", default="gold,dev,train,train-flat")
    args = ap.parse_args()
    pack = load_pack("vi")
    max_words, soft = pack.model["max_words"], frozenset(pack.model["soft_rules"])
    dirs = {s: (args.shared / SETS[s][0], args.shared / SETS[s][1]) for s in args.sets.split(",")}
    if OWN_SETS.is_dir():  # the project's own labelled documents (training/<set>/)
        dirs.update({f"own/{d.name}": (d / "raw", d / "labels") for d in sorted(OWN_SETS.iterdir())
                     if (d / "labels").is_dir()})
    sets = list(dirs)
    docs = find_labelled(list(dirs.values()))
    ex = collect(docs, pack, max_words, soft)
    out = args.out or Path(tempfile.mkdtemp(prefix="cv-lines-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"{len(docs)} documents, {len(ex.y)} candidate lines ({int(ex.y.sum())} furniture); outputs in {out}")

    print_curve(ex, args.folds)

    # the rules alone on the same documents: what the model adds or takes away
    clean_into(docs, Path("none"), out / "rules")

    # k-fold by document
    folds = [fold_of(d.name, args.folds) for d in docs]
    for f in range(args.folds):
        train = {i for i, g in enumerate(folds) if g != f}
        thr = train_model(ex, train, max_words, soft, args.target_precision, out / f"fold{f}.json")
        clean_into([d for i, d in enumerate(docs) if folds[i] == f], out / f"fold{f}.json", out / "kfold")
        print(f"  fold {f}: threshold {thr}")
    print(f"\n{args.folds}-fold by document (held-out documents only; precision / recall):")
    print(f"  {'set':13s} {'with the model':38s} rules alone")
    for s in sets:
        print(f"  {s:13s} {score(args.shared, dirs[s][1], out / 'kfold'):38s} {score(args.shared, dirs[s][1], out / 'rules')}")

    # leave one source out
    print("\nleave one source out (the model never saw a document of the source):")
    for src in ("vntc", "vfnd"):
        train = {i for i, d in enumerate(docs) if d.source != src}
        held = [d for d in docs if d.source == src]
        if not held:
            continue
        thr = train_model(ex, train, max_words, soft, args.target_precision, out / f"lo-{src}.json")
        clean_dir = out / f"lo-{src}"
        clean_into(held, out / f"lo-{src}.json", clean_dir)
        labels = Path(tempfile.mkdtemp(prefix=f"labels-{src}-"))
        for d in held:  # score.py scores every labelled document in a folder: only this source's
            for ext in (".labels.jsonl", ".clean.txt"):
                src_file = next((dirs[s][1] / f"{d.name}{ext}" for s in sets
                                 if (dirs[s][1] / f"{d.name}{ext}").exists()), None)
                if src_file:
                    (labels / src_file.name).write_bytes(src_file.read_bytes())
        print(f"  {src:5s} ({len(held)} documents, threshold {thr})")
        print(f"        with the model {score(args.shared, labels, clean_dir)}")
        print(f"        rules alone    {score(args.shared, labels, out / 'rules')}")


if __name__ == "__main__":
    main()
