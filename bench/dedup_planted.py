#!/usr/bin/env python3
"""Near-duplicate detection against planted truth on the real 19.7k-document corpus.

Plants, into a copy of the corpus: whole-document copies with small edits (a word changed, a
sentence dropped), a caption printed twice inside a document, and a paragraph copied from one
document into another. Runs CleanAll, then scores what the manifest says against the plan.
Duplicates that were already in the corpus are checked with exact Jaccard of the same shingles.

    python bench/dedup_planted.py [--corpus ../shared/corpora/vi-news-19k.tar.gz] [--plant 500] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline.dedup.shingles import jaccard, shingles  # noqa: E402


def extract(corpus: Path, dest: Path) -> Path:
    with tarfile.open(corpus) as tf:
        tf.extractall(dest, filter="data")
    return next(p for p in dest.iterdir() if p.is_dir())


def paragraphs(text: str) -> list[str]:
    return [l for l in text.replace("\r\n", "\n").split("\n") if len(l.split()) >= 25]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpora/vi-news-19k.tar.gz"))
    ap.add_argument("--plant", type=int, default=400, help="planted items of each kind")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", help="work in this folder and keep it")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    tmp = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    src = extract(Path(a.corpus), tmp / "corpus") if not (tmp / "corpus").exists() else next((tmp / "corpus").iterdir())
    files = sorted(p for p in src.glob("*.txt") if not p.name.startswith("zz"))
    texts = {p.stem: p.read_text(encoding="utf-8") for p in files}
    truth_docs, truth_repeats, truth_shared = {}, {}, {}
    # A "small edit" is small relative to the text: plant into documents of 150+ words.
    long_docs = [k for k, t in texts.items() if len(paragraphs(t)) >= 3 and len(t.split()) >= 150]
    picks = rng.sample(long_docs, 4 * a.plant)
    # 1. whole-document copies with a word changed / a sentence dropped
    for n, base in enumerate(picks[: 2 * a.plant]):
        t = texts[base]
        if n % 2 == 0:
            words = t.split(" ")
            k = rng.randrange(len(words) // 4, 3 * len(words) // 4)
            words[k] = "thaydoi"
            new = " ".join(words)
        else:
            sents = re.split(r"(?<=\.) ", t)
            k = rng.randrange(1, max(2, len(sents) - 1))
            new = " ".join(sents[:k] + sents[k + 1 :])
        name = f"zz_copy_{n:05d}"
        (src / f"{name}.txt").write_text(new, encoding="utf-8")
        truth_docs[name] = base
    # 2. a caption printed twice inside a document (alt text, then figcaption)
    for n, base in enumerate(picks[2 * a.plant : 3 * a.plant]):
        lines = texts[base].replace("\r\n", "\n").split("\n")
        cap = f"Toàn cảnh buổi làm việc của đoàn công tác số {n} tại địa phương vào sáng nay"
        k = rng.randrange(2, len(lines))
        lines[k:k] = [cap, cap]
        (src / f"{base}.txt").write_text("\n".join(lines), encoding="utf-8")
        truth_repeats[base] = cap
    # 3. a paragraph shared by two documents (syndication): the later id loses it
    rest = picks[3 * a.plant :]
    for n in range(0, len(rest) - 1, 2):
        giver, taker = sorted(rest[n : n + 2])
        para = rng.choice(paragraphs(texts[giver]))
        p = src / f"{taker}.txt"
        lines = p.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")
        k = rng.randrange(2, len(lines))
        lines[k:k] = [para]
        p.write_text("\n".join(lines), encoding="utf-8")
        truth_shared[taker] = (giver, para)

    out = tmp / "out"
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(src),
                        "--output-dir", str(out), "--workers", str(a.workers)], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        print(r.stderr[-3000:])
        return 1
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    recs = {x["id"]: x for x in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}
    n_docs = len(recs)

    # documents
    found_docs = {i: r["duplicate_of"]["id"] for i, r in recs.items() if r["status"] == "duplicate"}
    tp_docs = sum(1 for i, b in truth_docs.items() if found_docs.get(i) == b)
    natural = {i: k for i, k in found_docs.items() if i not in truth_docs}
    natural_ok = 0
    for i, k in natural.items():
        ta, tb = (src / recs[i]["source"]).read_text(encoding="utf-8"), (src / recs[k]["source"]).read_text(encoding="utf-8")
        sa, sb = shingles(ta), shingles(tb)
        inside = len(sa & sb) / max(1, min(len(sa), len(sb)))
        if jaccard(sa, sb) >= 0.7 or inside >= 0.9:  # close, or one inside the other
            natural_ok += 1
    # repeats and shared paragraphs
    def removed(i, reason, text):
        return any(e["reason"] == reason and text in e["text"] for e in recs[i]["edits"])

    def second_copy_removed(i, cap):  # as a repeat, or by the caption rules: either way it is gone
        return any(cap in e["text"] and e["reason"] in ("duplicate", "caption") for e in recs[i]["edits"]) and \
            (out / "clean" / f"{i}.txt").read_text(encoding="utf-8").count(cap) <= 1

    tp_rep = sum(1 for i, cap in truth_repeats.items() if second_copy_removed(i, cap))
    tp_sh = sum(1 for i, (g, para) in truth_shared.items()
                if any(e["reason"] == "duplicate" and para[:60] in e["text"] and e.get("duplicate_of", {}).get("id") == g
                       for e in recs[i]["edits"]))
    wrong_sh = sum(1 for i, (g, para) in truth_shared.items() if removed(g, "duplicate", para[:60]))
    total_truth = len(truth_docs) + len(truth_repeats) + len(truth_shared)
    tp = tp_docs + tp_rep + tp_sh
    detections = len(found_docs) + tp_rep + tp_sh + wrong_sh
    correct = tp_docs + natural_ok + tp_rep + tp_sh
    res = {
        "documents": n_docs, "wall_s": round(wall, 1), "docs_per_s": round(n_docs / wall, 1), "peak_rss_mb": round(peak_mb),
        "planted": {"doc_copies": len(truth_docs), "repeated_captions": len(truth_repeats), "shared_paragraphs": len(truth_shared)},
        "found": {"doc_copies": tp_docs, "repeated_captions": tp_rep, "shared_paragraphs": tp_sh,
                  "natural_duplicate_docs": len(natural), "natural_confirmed_by_exact_jaccard": natural_ok,
                  "shared_kept_in_wrong_copy": wrong_sh},
        "recall": round(tp / total_truth, 4),
        "precision": round(correct / detections, 4) if detections else 1.0,
    }
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
