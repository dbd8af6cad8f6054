"""Rebuild the caption-words model (pipeline/learn/caption_words.py) from an unlabelled corpus.

    python bench/train_caption_words.py CORPUS_DIR [--out pipeline/models/vi_caption_words.json]

Weak labels, no annotation: every caption the rules find by its photo credit (line rules
``photo_credit``, flattened bodies ``credit_caption``) is a caption example once its credit is
cut off; every inner sentence of a long paragraph of the cleaned text is a body example (one
in six, picked by a hash of the sentence). Documents of the labelled sets (``../shared``,
``training/``, ``eval/``) are left out, so held-out scores that use this model stay held out.
Deterministic: the files are read in sorted order and the fit is full-batch.
"""
from __future__ import annotations

import argparse
import re
import sys
from multiprocessing import Pool
from pathlib import Path

import xxhash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.api import clean_text  # noqa: E402
from pipeline.encoding import decode  # noqa: E402
from pipeline.learn.caption_words import MODEL_PATH, fit  # noqa: E402
from pipeline.rules.engine import load_pack  # noqa: E402

_SENT = re.compile(r"(?<=[.!?…])\s+(?=[\"“\w])")
_WORDS = re.compile(r"\w+")
_PACK = load_pack("vi")


def examples(path: Path) -> list[tuple[str, int]]:
    raw = decode(path.read_bytes()).text
    c = clean_text(raw)
    out = []
    for e in c.edits:
        if e.reason == "caption" and e.rule in ("photo_credit", "credit_caption"):
            m = _PACK.caption_credit.search(e.text)
            cap = e.text[: m.start()].strip() if m else ""
            if 3 <= len(_WORDS.findall(cap)) <= 45:
                out.append((cap, 1))
    for ln in (c.text or "").split("\n"):
        if len(_WORDS.findall(ln)) >= 40:
            ss = _SENT.split(ln)
            for s in ss[1:-1]:
                if 3 <= len(_WORDS.findall(s)) <= 45 and xxhash.xxh32_intdigest(s.encode()) % 6 == 0:
                    out.append((s, 0))
    return out


def labelled_names() -> set[str]:
    dirs = [ROOT.parent / "shared" / d for d in ("seeds", "dev/raw", "train/raw", "train-flat/raw")]
    dirs += list(ROOT.glob("training/*/raw")) + list(ROOT.glob("eval/*/*/raw"))
    return {p.name for d in dirs if d.is_dir() for p in d.iterdir()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--c", type=float, default=1.0)
    a = ap.parse_args()
    skip = labelled_names()
    files = sorted(p for p in a.corpus.iterdir() if p.suffix == ".txt" and p.name not in skip)
    with Pool(2) as pool:
        rows = [r for doc in pool.map(examples, files, chunksize=64) for r in doc]
    if not any(y for _, y in rows):
        sys.exit(f"{a.corpus}: no caption with a photo credit found in {len(files)} texts; nothing written")
    model = fit([t for t, _ in rows], [y for _, y in rows], a.c,
                {"corpus_documents": len(files), "left_out_labelled": len(skip)})
    model.save(a.out)
    print(f"{a.out}: {len(files)} documents, {model.meta['rows']} examples, {model.meta['captions']} captions")


if __name__ == "__main__":
    main()
