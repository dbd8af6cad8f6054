"""Training the line model from labelled documents, deterministically.

Same inputs, same bytes: LightGBM runs with ``deterministic``, row-wise histograms, one
thread and a fixed seed; folds are assigned by a hash of the document name, not by chance.
The threshold is chosen on held-out predictions (documents the fold's model never saw),
precision first: the lowest threshold whose held-out precision reaches ``target_precision``.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..rules.engine import Pack
from .features import NAMES, REASONS
from .labelled import LabelledDoc, examples, find_labelled
from .linemodel import LineModel

PARAMS = {
    "objective": "binary", "learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 8,
    "feature_fraction": 0.8, "feature_fraction_seed": 1, "lambda_l2": 1.0, "max_bin": 63,
    "deterministic": True, "force_row_wise": True, "num_threads": 1, "seed": 1, "verbose": -1,
}
ROUNDS = 150
REASON_ROUNDS = 60


@dataclass
class Examples:
    X: np.ndarray
    y: np.ndarray
    reasons: list[str]
    texts: list[str]
    doc: np.ndarray  # index of the document each row comes from
    names: list[str]
    sources: list[str]

    def subset(self, docs: set[int]) -> "Examples":
        m = np.isin(self.doc, sorted(docs))
        return Examples(self.X[m], self.y[m], [r for r, k in zip(self.reasons, m) if k],
                        [t for t, k in zip(self.texts, m) if k], self.doc[m], self.names, self.sources)


def collect(docs: list[LabelledDoc], pack: Pack, max_words: int, soft: frozenset[str]) -> Examples:
    Xs, ys, reasons, texts, owner = [], [], [], [], []
    for i, d in enumerate(docs):
        X, y, r, t = examples(d, pack, max_words, soft)
        Xs.append(X), ys.append(y), reasons.extend(r), texts.extend(t)
        owner.extend([i] * len(y))
    X = np.vstack(Xs) if Xs else np.zeros((0, len(NAMES)))
    return Examples(X, np.concatenate(ys) if ys else np.zeros(0, np.int8), reasons, texts,
                    np.asarray(owner, np.int32), [d.name for d in docs], [d.source for d in docs])


def fold_of(name: str, k: int) -> int:
    return zlib.crc32(name.encode()) % k


def _fit_remove(X: np.ndarray, y: np.ndarray):
    import lightgbm as lgb

    ds = lgb.Dataset(X, y, feature_name=list(NAMES), free_raw_data=False, params={"max_bin": PARAMS["max_bin"]})
    return lgb.train(PARAMS, ds, ROUNDS)


def _fit_reason(X: np.ndarray, reasons: list[str]):
    import lightgbm as lgb

    classes = tuple(sorted(set(reasons)))
    y = np.asarray([classes.index(r) for r in reasons])
    params = {**PARAMS, "objective": "multiclass", "num_class": max(2, len(classes))}
    if len(classes) < 2:  # one kind only: a model that always says it
        y = np.concatenate([y, [1]])
        X = np.vstack([X, X[:1]])
        classes = classes + ("caption",)
    ds = lgb.Dataset(X, y, feature_name=list(NAMES), params={"max_bin": PARAMS["max_bin"]})
    return lgb.train(params, ds, REASON_ROUNDS), classes


def held_out_scores(ex: Examples, k: int = 5) -> np.ndarray:
    """Each row's probability from a model that never saw its document."""
    p = np.zeros(len(ex.y))
    folds = np.asarray([fold_of(ex.names[d], k) for d in ex.doc])
    for f in range(k):
        test = folds == f
        if not test.any() or test.all():
            continue
        booster = _fit_remove(ex.X[~test], ex.y[~test])
        p[test] = booster.predict(ex.X[test], num_threads=1)
    return p


def choose_threshold(p: np.ndarray, y: np.ndarray, target_precision: float, min_rows: int = 10) -> float:
    """The lowest threshold at which the held-out precision of the rows at or above it still
    reaches the target, over at least ``min_rows`` rows; 1.01 (never) when none does."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    prec = np.cumsum(ys) / np.arange(1, len(ys) + 1)
    best = 1.01
    for i in range(min_rows - 1, len(ps)):
        if prec[i] >= target_precision and (i + 1 == len(ps) or ps[i + 1] < ps[i]):
            best = float(ps[i])
    return round(best, 4)


def choose_veto(p: np.ndarray, y: np.ndarray, target_precision: float, min_rows: int = 5) -> float:
    """The highest veto below which held-out soft-rule removals are content often enough
    (``target_precision`` of the vetoed lines); 0 (never veto) when none is."""
    order = np.argsort(p, kind="stable")
    ps, ys = p[order], y[order]
    right = np.cumsum(1 - ys) / np.arange(1, len(ys) + 1)
    best = 0.0
    for i in range(min_rows - 1, len(ps)):
        if right[i] >= target_precision and (i + 1 == len(ps) or ps[i + 1] > ps[i]):
            best = float(ps[i]) + 1e-6
    return round(best, 6)


def soft_rows(ex: Examples) -> np.ndarray:
    """Rows a soft rule removed (their rule-verdict features are set)."""
    cols = [NAMES.index(f"rule_{r}") for r in REASONS if r != "keep"]
    return ex.X[:, cols].sum(axis=1) > 0


def thresholds(ex: Examples, folds: int, target_precision: float) -> tuple[float, float]:
    """(threshold, veto) from held-out predictions, each judged on the rows it acts on."""
    p = held_out_scores(ex, folds)
    soft = soft_rows(ex)
    return (choose_threshold(p[~soft], ex.y[~soft], target_precision),
            choose_veto(p[soft], ex.y[soft], target_precision))


def fit(ex: Examples, max_words: int, soft: frozenset[str], threshold: float, veto: float, meta: dict) -> LineModel:
    remove = _fit_remove(ex.X, ex.y)
    pos = ex.y == 1
    reason, classes = _fit_reason(ex.X[pos], [r for r, m in zip(ex.reasons, pos) if m])
    return LineModel(remove.model_to_string(), reason.model_to_string(), classes, threshold, veto,
                     max_words, soft, meta)


def train_line_model(docs: list[LabelledDoc], pack: Pack, max_words: int, soft: frozenset[str],
                     target_precision: float = 0.99, folds: int = 5, meta: dict | None = None) -> LineModel:
    ex = collect(docs, pack, max_words, soft)
    threshold, veto = thresholds(ex, folds, target_precision)
    meta = {"documents": len(docs), "lines": int(len(ex.y)), "furniture_lines": int(ex.y.sum()),
            "target_precision": target_precision, "folds": folds, **(meta or {})}
    return fit(ex, max_words, soft, threshold, veto, meta)


LABELLED_SETS = (("seeds", "gold"), ("dev/raw", "dev/labels"), ("train/raw", "train/labels"),
                 ("train-flat/raw", "train-flat/labels"))
# The project's own labelled documents (training/<set>/raw + labels), beside the shared sets.
OWN_SETS = Path(__file__).resolve().parent.parent.parent / "training"


def labelled_pairs(shared: Path, own: Path | None = OWN_SETS) -> list[tuple[Path, Path]]:
    pairs = [(shared / r, shared / lab) for r, lab in LABELLED_SETS if (shared / lab).is_dir()]
    if own is not None and own.is_dir():
        pairs += [(d / "raw", d / "labels") for d in sorted(own.iterdir()) if (d / "labels").is_dir()]
    return pairs


def build(shared: Path, out: Path, pack_name: str = "vi", target_precision: float = 0.99,
          own: Path | None = OWN_SETS) -> LineModel:
    """Rebuild a shipped line model from the labelled sets under ``shared`` and the project's
    own ``training/`` sets (the same bytes on every run: folds by name hash, one thread,
    fixed seeds)."""
    from ..rules.engine import load_pack

    pack = load_pack(pack_name)
    pairs = labelled_pairs(shared, own)
    if not pairs:
        raise FileNotFoundError(f"no labelled sets under {shared} (looked for {', '.join(lab for _, lab in LABELLED_SETS)})")
    docs = find_labelled(pairs)
    sets = [f"{lab.parent.name}/{lab.name}" for _, lab in pairs]
    model = train_line_model(docs, pack, pack.model["max_words"], frozenset(pack.model["soft_rules"]),
                             target_precision, meta={"name": out.stem, "pack": pack.name, "sets": sets})
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    return model
