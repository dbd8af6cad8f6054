"""How much a line reads like a photo caption, from its words alone.

A caption without a credit (`Hai đối tượng tại cơ quan điều tra.`) has no mark a rule can
see; what gives it away is its language: a scene described in the present, a person named by
title, no connective to the paragraph before. Those words are learned without labels from an
unlabelled corpus: a caption the credit rule found (its credit cut off) is a caption example,
a sentence from the middle of a long paragraph is a body example. A logistic regression over
hashed word uni- and bigrams then scores any line (the rule ``caption_words`` asks it about
one-sentence lines between paragraphs only: a short heading scores high too).

The model is data (``models/vi_caption_words.json``), rebuilt by
``python bench/train_caption_words.py CORPUS_DIR``: deterministic (the corpus listing is
sorted, the optimiser is full-batch L-BFGS, the weights are stored rounded).
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import xxhash

FORMAT = "caption-words/1"
from . import MODEL_DIR  # noqa: E402

MODEL_PATH = MODEL_DIR / "vi_caption_words.json"
BITS = 16
_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Lower-cased words with start and end marks, and their bigrams."""
    ws = ["^"] + _WORD.findall(text.lower()) + ["$"]
    return ws + [f"{a} {b}" for a, b in zip(ws, ws[1:])]


def buckets(text: str, bits: int = BITS) -> np.ndarray:
    """Distinct hashed features of ``text`` (xxh32: the same on every machine)."""
    mask = (1 << bits) - 1
    return np.unique(np.fromiter((xxhash.xxh32_intdigest(t.encode()) & mask for t in tokens(text)), dtype=np.int64))


class CaptionWords:
    def __init__(self, weights: np.ndarray, bias: float, meta: dict):
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.meta = meta

    def score(self, text: str) -> float:
        """The log-odds that ``text`` is a caption rather than a body sentence."""
        b = buckets(text)
        return float(self.weights[b].sum() / np.sqrt(len(b))) + self.bias

    def to_json(self) -> str:
        w16 = self.weights.astype("<f2")
        doc = {"format": FORMAT, "bits": BITS, "bias": round(self.bias, 6), "meta": self.meta,
               "weights_f16": base64.b64encode(w16.tobytes()).decode("ascii")}
        return json.dumps(doc, sort_keys=True, indent=0) + "\n"

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "CaptionWords":
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("bits") != BITS:
            raise ValueError(f"not a {FORMAT} model with {BITS}-bit buckets")
        raw = base64.b64decode(doc["weights_f16"], validate=True)
        if len(raw) != 2 << BITS:
            raise ValueError(f"{len(raw) // 2} weights, not {1 << BITS}")
        w = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        bias = float(doc["bias"])
        if not np.isfinite(w).all() or not np.isfinite(bias):
            raise ValueError("weights that are not finite numbers")
        return cls(w, bias, doc.get("meta", {}))


def fit(texts: list[str], labels: list[int], c: float = 1.0, meta: dict | None = None) -> CaptionWords:
    """Logistic regression, classes balanced, L2 ``1/c``; the same inputs give the same bytes
    (float16 weights absorb most of the last bits an optimiser may differ by between machines:
    identical across four OpenBLAS core types here, not a proof)."""
    from scipy import optimize, sparse

    if c <= 0:
        raise ValueError("c must be positive")
    if not 0 < sum(1 for y in labels if y == 1) < len(labels):
        raise ValueError("training needs caption examples and body examples both")
    rows = [buckets(t) for t in texts]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    data = np.concatenate([np.full(len(r), 1 / np.sqrt(len(r))) for r in rows])
    X = sparse.csr_matrix((data, np.concatenate(rows), indptr), shape=(len(rows), 1 << BITS))
    y = np.asarray(labels, dtype=np.float64)
    npos = y.sum()
    sw = np.where(y == 1, (len(y) - npos) / npos, 1.0)
    sw *= len(y) / sw.sum()

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        z = X @ w + b
        p = 1 / (1 + np.exp(-z))
        ll = sw * (np.logaddexp(0, z) - y * z)
        g = sw * (p - y)
        return ll.sum() + 0.5 / c * w @ w, np.concatenate([X.T @ g + w / c, [g.sum()]])

    res = optimize.minimize(loss, np.zeros((1 << BITS) + 1), jac=True, method="L-BFGS-B",
                            options={"maxiter": 500})
    w = res.x[:-1].astype("<f2").astype(np.float32)
    return CaptionWords(w, round(float(res.x[-1]), 6), dict(meta or {}, rows=len(y), captions=int(npos)))
