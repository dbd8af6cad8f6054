"""Training data and training for the sentence model of flattened articles.

Labelled flattened documents (``train-flat/``: ``NAME.txt`` raw, ``NAME.labels.jsonl`` with the
removed substrings of each edited line) become one row per segment that no rule decided, on
the lines the model would see at run time (``flat.plan_document``), labelled 1 when most of
the segment's characters are in a removed piece. Deterministic: same rows, same seed, one
thread, the same model bytes.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..rules import flat
from ..rules.engine import load_pack
from .trees import TreeModel

PARAMS = dict(objective="binary", learning_rate=0.05, num_leaves=15, min_data_in_leaf=5,
              feature_fraction=0.8, bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0,
              deterministic=True, force_row_wise=True, num_threads=1, seed=7, verbose=-1)
ROUNDS = 200
WEAK_WEIGHT = 0.3  # a weak row counts this much against a labelled one


def removed_spans(text: str, rows: list[dict]) -> list[tuple[int, int]]:
    """Offsets in ``text`` of every removed piece the labels name (edits and dropped lines)."""
    lines = text.split("\n")
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln) + 1
    spans = []
    for r in rows:
        i = r["line"] - 1
        if i >= len(lines):
            continue
        if r["action"] == "drop":
            spans.append((starts[i], starts[i] + len(lines[i])))
        elif r["action"] == "edit":
            pieces = r["removed"] if isinstance(r["removed"], list) else [r["removed"]]
            at = 0
            for p in pieces:
                k = lines[i].find(p, at)
                if k == -1:
                    k = lines[i].find(p.strip(), at)
                    p = p.strip()
                if k == -1 or not p:
                    continue
                spans.append((starts[i] + k, starts[i] + k + len(p)))
                at = k + len(p)
    return spans


def document_rows(text: str, rows: list[dict], fc) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and 0/1 labels of the segments the model decides in one document."""
    dp, items = flat.plan_document(text, fc, model=True)
    spans = removed_spans(text, rows)
    line_start = {}
    pos = 0
    for i, ln in enumerate(text.split("\n")):
        line_start[i] = pos
        pos += len(ln) + 1
    Xs, ys = [], []
    for plan, X in items:
        i = next(i for i, p in dp.lines.items() if p is plan)
        base = line_start[i]
        for k, x in zip(plan.modelled, X):
            seg = plan.segs[k]
            s, e = base + seg.start, base + seg.end
            cover = sum(max(0, min(e, b) - max(s, a)) for a, b in spans)
            Xs.append(x)
            ys.append(1 if cover >= 0.5 * (e - s) else 0)
    if not Xs:
        return np.zeros((0, len(flat.FEATURES)), np.float32), np.zeros(0, np.int8)
    return np.vstack(Xs), np.array(ys, np.int8)


def labelled_documents(folder: str | Path) -> list[tuple[str, str, list[dict]]]:
    """(name, raw text, label rows) for every labelled document of a set (``raw/``, ``labels/``)."""
    folder = Path(folder)
    out = []
    for lab in sorted((folder / "labels").glob("*.labels.jsonl")):
        name = lab.name[: -len(".labels.jsonl")]
        raw = folder / "raw" / f"{name}.txt"
        if not raw.exists():
            continue
        rows = [json.loads(x) for x in lab.read_text(encoding="utf-8").splitlines() if x.strip()]
        out.append((name, raw.read_text(encoding="utf-8"), rows))
    return out


def dataset(docs, pack_name: str = "vi") -> tuple[np.ndarray, np.ndarray]:
    fc = load_pack(pack_name).flat
    parts = [document_rows(text, rows, fc) for _, text, rows in docs]
    X = np.vstack([p[0] for p in parts]) if parts else np.zeros((0, len(flat.FEATURES)), np.float32)
    y = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int8)
    return X, y


def train_sentence_model(docs, pack_name: str = "vi", meta: dict | None = None,
                         rounds: int = ROUNDS, weak=None, weak_weight: float = WEAK_WEIGHT) -> TreeModel:
    """A LightGBM model over ``docs`` ((name, text, label rows)) and optional weak rows
    ``(X, y)`` (``weak_rows``) at ``weak_weight`` each, deterministic to the byte."""
    import lightgbm

    X, y = dataset(docs, pack_name)
    w = np.ones(len(y))
    if weak is not None and len(weak[1]):
        X = np.vstack([X, weak[0]])
        y = np.concatenate([y, weak[1]])
        w = np.concatenate([w, np.full(len(weak[1]), weak_weight)])
    ds = lightgbm.Dataset(X.astype(np.float64), label=y, weight=w, feature_name=list(flat.FEATURES),
                          params={"verbose": -1})
    booster = lightgbm.train(PARAMS, ds, num_boost_round=rounds)
    return TreeModel.from_lightgbm(booster, {"name": "flat_sentences", "rows": int(len(y)),
                                             "positives": int(y.sum()), **(meta or {})})


def weak_rows(texts, pack_name: str = "vi") -> tuple[np.ndarray, np.ndarray]:
    """Weak labels from unlabelled flattened bodies: a caption the credit rule found (a short
    sentence right before ``(Ảnh: ...)``) is a caption example once its credit is taken out, so
    that the model learns what a caption reads like without one; the other segments the rules
    left are body examples (a few galleries among them make this label noisy, hence a weight)."""
    fc = load_pack(pack_name).flat
    Xs, ys = [], []
    for text in texts:
        dp, _ = flat.plan_document(text, fc, model=True)
        parts = None
        for i, plan in dp.lines.items():
            if plan.photo_story:
                continue
            caps = [k for k, r in enumerate(plan.rules) if r == ("caption", "credit_caption")]
            credits = [k for k in caps if fc.credit.fullmatch(_seg_text(text, i, plan, k))]
            captions = [k for k in caps if k not in credits]
            if not captions:
                continue
            keep = [k for k in range(len(plan.segs)) if k not in credits]
            reduced = flat.LinePlan([plan.segs[k] for k in keep],
                                    [None if k in captions else plan.rules[k] for k in keep])
            if len(reduced.segs) < 3:
                continue
            parts = parts or text.split("\n")
            line = parts[i]
            title = next((p for p in parts if p.strip()), "")
            others = " ".join(p for j, p in enumerate(parts) if j != i and p is not title)
            rows = flat._model_rows(line, reduced, fc)
            if not rows:
                continue
            X = flat.line_features(line, reduced, fc, title, others, rows)
            Xs.append(X)
            ys.extend(1 if keep[row] in captions else 0 for row in rows)
    if not Xs:
        return np.zeros((0, len(flat.FEATURES)), np.float32), np.zeros(0, np.int8)
    return np.vstack(Xs), np.array(ys, np.int8)


def _seg_text(text: str, i: int, plan, k: int) -> str:
    line = text.split("\n")[i]
    return line[plan.segs[k].start:plan.segs[k].end]


def corpus_texts(folder: str | Path, prefix: str = "baomoi__", exclude=(), limit: int | None = None) -> list[str]:
    """Texts of unlabelled documents for weak labels (labelled ones excluded by name)."""
    exclude = set(exclude)
    out = []
    for f in sorted(Path(folder).glob(f"{prefix}*.txt")):
        if f.stem in exclude:
            continue
        out.append(f.read_text(encoding="utf-8", errors="replace"))
        if limit and len(out) >= limit:
            break
    return out
