"""A gradient-boosted tree ensemble shipped as data.

Models are trained with LightGBM and shipped as one JSON file inside the package: LightGBM's
own text model plus what the manifest needs to name it (``meta``: name, training sets,
threshold, digest). LightGBM evaluates them (a numpy walk of every tree for a batch was 15x
slower than its C code, measured on 100,000 rows); predictions use one thread, as each Luigi
worker is one process.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "lightgbm-model/1"


def read_model_file(path: str | Path, fmt: str) -> dict:
    """A shipped model file's JSON, refused in one sentence when it is not a ``fmt`` file."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read the model file ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise ValueError(f"{path}: not a {fmt} model file")
    return doc


def booster_from_text(model_text: str):
    """A LightGBM booster from its text model (lightgbm imported only now: about 0.3 s)."""
    import lightgbm

    return lightgbm.Booster(model_str=model_text)


@dataclass
class TreeModel:
    model_text: str  # LightGBM's model_to_string()
    feature_names: tuple[str, ...]
    meta: dict = field(default_factory=dict)
    _booster: object = field(default=None, repr=False, compare=False)

    @classmethod
    def from_lightgbm(cls, booster, meta: dict | None = None) -> "TreeModel":
        text = booster.model_to_string()
        return cls(text, tuple(booster.feature_name()), dict(meta or {}))

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.model_text.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        """Deterministic text: the same model gives the same bytes on every run."""
        doc = {"format": FORMAT, "meta": self.meta, "feature_names": list(self.feature_names),
               "lightgbm": self.model_text}
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=0) + "\n"

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "TreeModel":
        doc = read_model_file(path, FORMAT)
        return cls(doc["lightgbm"], tuple(doc["feature_names"]), doc.get("meta", {}))

    def booster(self):
        if self._booster is None:
            self._booster = booster_from_text(self.model_text)
        return self._booster

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability of the positive class (binary objective), one per row."""
        X = np.asarray(X, np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise ValueError(f"expected rows of {len(self.feature_names)} features, got shape {X.shape}")
        if len(X) == 0:
            return np.zeros(0)
        return self.booster().predict(X, num_threads=1)
