"""Labelled documents (``NAME.txt`` beside ``NAME.labels.jsonl``) as training examples.

Each document is read and repaired exactly as the pipeline reads it, the rules run, and every
candidate line gets its label: 1 when the labels drop the whole line, else 0. Line numbers in
the labels count raw lines; repair never joins or splits lines, which is checked.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..chain import repair_document
from ..readers import read_bytes_document
from ..rules.engine import Analysis, Pack, analyse
from .features import candidates, document_rows


@dataclass
class LabelledDoc:
    name: str
    source: str  # vntc, vfnd, baomoi, seeds ...: for leave-one-source-out
    raw_path: Path
    labels: dict[int, dict]  # 0-based line index -> label row


def source_of(name: str) -> str:
    head = name.split("__", 1)[0]
    return head if "__" in name else "seeds"


def find_labelled(pairs: list[tuple[Path, Path]]) -> list[LabelledDoc]:
    """``pairs``: (raw folder, labels folder). Documents in name order."""
    docs = []
    for raw_dir, lab_dir in pairs:
        for lab in sorted(Path(lab_dir).glob("*.labels.jsonl")):
            name = lab.name[: -len(".labels.jsonl")]
            raw = Path(raw_dir) / f"{name}.txt"
            if not raw.exists():
                raise FileNotFoundError(f"{lab}: no raw text {raw}")
            rows = [json.loads(x) for x in lab.read_text(encoding="utf-8").splitlines() if x.strip()]
            docs.append(LabelledDoc(name, source_of(name), raw, {r["line"] - 1: r for r in rows}))
    return docs


def analyse_file(path: Path, pack: Pack) -> Analysis:
    """The rules' verdicts on a file read and repaired as a run reads it; its line numbers
    are the raw file's (repair never joins or splits lines: checked)."""
    data = path.read_bytes()
    doc = repair_document(read_bytes_document(path.stem, data, str(path)))
    if doc.text.count("\n") != data.count(b"\n"):
        raise ValueError(f"{path.stem}: repair changed the number of lines")
    return analyse(doc.text, pack)


def examples(doc: LabelledDoc, pack: Pack, max_words: int, soft: frozenset[str]):
    """(features, remove labels, reasons, line texts) of the document's candidate lines."""
    a = analyse_file(doc.raw_path, pack)
    rows = candidates(a, max_words, soft)
    X = document_rows(a, pack, rows)
    y, reasons, texts = [], [], []
    for k in rows:
        ln = a.content[k]
        lab = doc.labels.get(ln.index)
        drop = lab is not None and lab["action"] == "drop"
        y.append(int(drop))
        reasons.append(lab["reason"] if lab else "body")
        texts.append(ln.text)
    return X, np.asarray(y, np.int8), reasons, texts
