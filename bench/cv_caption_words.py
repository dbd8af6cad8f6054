"""Held-out choice of the caption-words threshold (``[caption] words_threshold``).

    python bench/cv_caption_words.py [--shared ../shared] [--target 0.95]

The rule scores one-sentence lines standing between paragraphs with a model trained without
labels (bench/train_caption_words.py; the labelled documents are left out of its corpus). Its
one parameter, the threshold, is chosen here on labelled line-per-paragraph documents, and
judged only on documents the choice never saw: five folds by document, then each source
(VNTC, VFND) held out whole. Every line the rule would take at any threshold is listed once
(the chain run with the threshold at -99), with its score and its label.
"""
from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.api import clean_text  # noqa: E402
from pipeline.encoding import decode  # noqa: E402
from pipeline.learn import words_model_file  # noqa: E402
from pipeline.rules.engine import load_pack  # noqa: E402

LINE_SETS = ("dev", "train")


def candidates(sets: list[Path], model: str) -> list[dict]:
    pack = load_pack("vi")
    pack.caption.update(words_model=str(words_model_file(Path.cwd() / "pack.toml", model)), words_threshold=-99.0)
    rows = []
    for s in sets:
        for f in sorted((s / "labels").glob("*.labels.jsonl")):
            name = f.name[: -len(".labels.jsonl")]
            labels = {}
            for line in f.read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                labels.setdefault(r["text"].strip(), r)
            c = clean_text(decode((s / "raw" / f"{name}.txt").read_bytes()).text)
            for e in c.edits:
                if e.rule == "caption_words":
                    r = labels.get(e.text.strip())
                    if r is not None:
                        rows.append({"doc": name, "source": name.split("__")[0], "set": s.name,
                                     "score": e.extra["score"], "furniture": r["action"] != "keep",
                                     "reason": r["reason"], "text": e.text.strip()})
    return rows


def choose(rows: list[dict], target: float, min_rows: int = 10) -> float:
    """The lowest threshold whose rows at or above it reach ``target`` precision."""
    rows = sorted(rows, key=lambda r: -r["score"])
    best, good = 99.0, 0
    for i, r in enumerate(rows, 1):
        good += r["furniture"]
        nxt = rows[i]["score"] if i < len(rows) else None
        if i >= min_rows and good / i >= target and nxt != r["score"]:
            best = r["score"]
    return best


def tally(rows: list[dict], thr: float) -> str:
    took = [r for r in rows if r["score"] >= thr]
    good = sum(r["furniture"] for r in took)
    return f"takes {len(took)}: {good} furniture, {len(took) - good} content"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--model", default="vi_caption_words")
    ap.add_argument("--target", type=float, default=0.9)
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    sets = [a.shared / s for s in LINE_SETS] + sorted(p for p in (ROOT / "training").glob("v*") if (p / "labels").is_dir())
    rows = candidates(sets, a.model)
    docs = sorted({r["doc"] for r in rows})
    print(f"{len(rows)} candidate lines in {len(docs)} documents, {sum(r['furniture'] for r in rows)} of them furniture")
    held = []
    for f in range(a.folds):
        fold = lambda r: zlib.crc32(r["doc"].encode()) % a.folds == f  # noqa: E731
        thr = choose([r for r in rows if not fold(r)], a.target)
        test = [r for r in rows if fold(r)]
        held += [r for r in test if r["score"] >= thr]
        print(f"  fold {f}: threshold {thr:.2f}, held out {tally(test, thr)}")
    good = sum(r["furniture"] for r in held)
    print(f"{a.folds}-fold by document, held out: takes {len(held)}, {good} furniture, {len(held) - good} content")
    for src in ("vntc", "vfnd"):
        thr = choose([r for r in rows if r["source"] != src], a.target)
        print(f"{src} held out whole: threshold {thr:.2f} (chosen on the other source), {tally([r for r in rows if r['source'] == src], thr)}")
    thr = choose(rows, a.target)
    print(f"on all: threshold {thr:.2f}")
    for r in sorted(rows, key=lambda r: -r["score"]):
        if r["score"] >= thr and not r["furniture"]:
            print(f"  content taken: {r['score']:.2f} {r['doc']}: {r['text'][:100]}")


if __name__ == "__main__":
    main()
