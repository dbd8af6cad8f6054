"""The line model: a trained classifier that makes the rules' judgement calls.

The rules keep what they are sure of (a player widget, an e-mail header, a photo credit, a
related-news header and its block). Every other short line goes to the model: is it a
caption, a related headline, a byline, a source line, or content? Soft rules (layout guesses
listed in the pack's ``[model] soft_rules``) become features and the model may overrule them.

Two LightGBM models in one file: ``remove`` (binary: furniture or not) and ``reason``
(which kind of furniture, for the manifest), plus the threshold chosen on held-out
predictions, precision first. ``pipeline train`` rebuilds the file from the labelled sets.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..rules.engine import Analysis, Pack
from .features import NAMES, candidates, document_rows
from .trees import booster_from_text, read_model_file

FORMAT = "line-model/1"
MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
RULE_ID = "line_model"


@dataclass
class LineModel:
    remove_text: str  # LightGBM model (binary)
    reason_text: str  # LightGBM model (multiclass over ``reasons``)
    reasons: tuple[str, ...]
    threshold: float  # remove a line no rule removed at or above this (> 1: never)
    veto: float  # keep a line a soft rule removed below this (0: never)
    max_words: int
    soft: frozenset[str]
    meta: dict

    @functools.cached_property
    def _remove(self):
        return booster_from_text(self.remove_text)

    @functools.cached_property
    def _reason(self):
        return booster_from_text(self.reason_text)

    # --- storage ----------------------------------------------------------------------------

    def to_json(self) -> str:
        doc = {"format": FORMAT, "meta": self.meta, "features": list(NAMES), "threshold": self.threshold,
               "veto": self.veto, "max_words": self.max_words, "soft_rules": sorted(self.soft), "reasons": list(self.reasons),
               "remove": self.remove_text, "reason": self.reason_text}
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=0) + "\n"

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "LineModel":
        doc = read_model_file(path, FORMAT)
        if doc["features"] != list(NAMES):
            raise ValueError(f"{path}: trained on other features than this version computes; "
                             "rebuild it with `pipeline train`")
        return cls(doc["remove"], doc["reason"], tuple(doc["reasons"]), float(doc["threshold"]),
                   float(doc["veto"]), int(doc["max_words"]), frozenset(doc["soft_rules"]), doc.get("meta", {}))

    # --- use --------------------------------------------------------------------------------

    def rows(self, a: Analysis, pack: Pack) -> tuple[list[int], np.ndarray]:
        idx = candidates(a, self.max_words, self.soft)
        return idx, document_rows(a, pack, idx)

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        return self._remove.predict(X, num_threads=1)

    def decide(self, analyses: list[Analysis], pack: Pack) -> None:
        """Set each candidate line's verdict: removed (with a reason) or kept. One
        prediction call for all the documents given (LightGBM's cost is per call)."""
        work = [(a, *self.rows(a, pack)) for a in analyses]
        X = np.vstack([x for _, _, x in work]) if work else np.zeros((0, len(NAMES)))
        p = self.probabilities(X)
        added = p >= self.threshold
        kinds = iter(self.reason_of(X[added]) if added.any() else [])
        pos = 0
        for a, idx, _ in work:
            for k in idx:
                ln = a.content[k]
                score = round(float(p[pos]), 4)
                if ln.reason is not None and p[pos] < self.veto:  # a soft rule overruled
                    ln.reason = ln.rule = None
                elif ln.reason is None and added[pos]:
                    ln.reason, ln.rule, ln.score = next(kinds), RULE_ID, score
                elif ln.reason is not None:
                    ln.score = score  # the soft rule's call, with the model's agreement
                pos += 1

    def reason_of(self, X: np.ndarray) -> list[str]:
        proba = self._reason.predict(X, num_threads=1)
        return [self.reasons[i] for i in np.argmax(proba.reshape(len(X), -1), axis=1)]

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature contributions (SHAP values) to each row's log-odds, for ``--explain``."""
        return self._remove.predict(X, pred_contrib=True, num_threads=1)[:, :-1]

    def explain(self, a: Analysis, pack: Pack, top: int = 3) -> dict[str, list[tuple[str, float, float]]]:
        """For each line the model judged (by its text): the ``top`` features that pushed its
        probability most, as (name, value, contribution to the log-odds)."""
        idx, X = self.rows(a, pack)
        if not idx:
            return {}
        contrib = self.contributions(X)
        out = {}
        for row, k in enumerate(idx):
            order = np.argsort(-np.abs(contrib[row]))[:top]
            out[a.content[k].text] = [(NAMES[j], float(X[row, j]), float(contrib[row, j])) for j in order]
        return out


@functools.lru_cache(maxsize=8)
def load_line_model(name: str) -> LineModel:
    """A model shipped in the package (``models/<name>.json``) or a path to one."""
    path = Path(name) if name.endswith(".json") else MODEL_DIR / f"{name}.json"
    return LineModel.load(path)
