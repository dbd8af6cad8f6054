#!/usr/bin/env python3
"""Throughput and memory of CleanAll on the real 19.7k-document corpus, beside a bare
``ftfy.fix_text`` loop and datatrove's closest chain, on the same files and machine.

    python bench/speed.py [--corpus ../shared/corpora/vi-news-19k.tar.gz] [--workers 1 2]
                          [--datatrove PYTHON] [--scale 100000 200000] [--dup-share 0.2] [--repeat 3]

--datatrove: a Python interpreter with datatrove installed (``pip install datatrove orjson
tokenizers regex ftfy xxhash``); it runs reader -> FTFYFormatter -> C4 line filter -> MinHash
(4 stages) -> writer over the same texts. --scale: also run CleanAll on larger corpora made by
copying the texts, a --dup-share of the copies as near-duplicates (one word changed) and the
rest made distinct, to show how time and memory grow. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATATROVE_CHAIN = r'''
import sys, time
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.formatters import FTFYFormatter
from datatrove.pipeline.filters import C4QualityFilter
from datatrove.pipeline.dedup import MinhashDedupSignature, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.utils.hashing import HashConfig
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.word_tokenizers import WordTokenizer

class Whitespace(WordTokenizer):
    def word_tokenize(self, text, lang=None): return text.split()
    def sent_tokenize(self, text, lang=None): return [s for s in text.split("\n") if s]
    def span_tokenize(self, text, lang=None):
        out, pos = [], 0
        for s in text.split("\n"):
            out.append((pos, pos + len(s))); pos += len(s) + 1
        return out

if __name__ == "__main__":
    data, work, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tok = Whitespace()
    cfg = MinhashConfig(n_grams=3, num_buckets=14, hashes_per_bucket=8, seed=1, hash_config=HashConfig(precision=64, hash_fc="sha1"))
    t0 = time.time()
    LocalPipelineExecutor([JsonlReader(data), FTFYFormatter(), C4QualityFilter(language=tok, filter_no_terminal_punct=True),
                           MinhashDedupSignature(output_folder=f"{work}/sigs", config=cfg, language=tok)],
                          tasks=workers, workers=workers, logging_dir=f"{work}/l1").run()
    LocalPipelineExecutor([MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets", config=cfg)],
                          tasks=cfg.num_buckets, workers=workers, logging_dir=f"{work}/l2").run()
    LocalPipelineExecutor([MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=cfg)],
                          tasks=1, logging_dir=f"{work}/l3").run()
    LocalPipelineExecutor([JsonlReader(data), FTFYFormatter(), C4QualityFilter(language=tok, filter_no_terminal_punct=True),
                           MinhashDedupFilter(input_folder=f"{work}/remove"), JsonlWriter(f"{work}/out")],
                          tasks=workers, workers=workers, logging_dir=f"{work}/l4").run()
    print(time.time() - t0)
'''


def extract(corpus: Path, dest: Path) -> Path:
    with tarfile.open(corpus) as tf:
        tf.extractall(dest, filter="data")
    return next(p for p in dest.iterdir() if p.is_dir())


def run_cleanall(src: Path, out: Path, workers: int) -> dict:
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll",
           "--input-dir", str(src), "--output-dir", str(out), "--workers", str(workers)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(r.stderr[-3000:])
    stage = defaultdict(float)
    for m in re.finditer(r"\[pipeline\] (\w+)\s+(?:shard \d+/\d+|corpus).*? in ([\d.]+) s", r.stderr):
        stage[m.group(1)] += float(m.group(2))
    peak_kb = int(r.stderr.strip().splitlines()[-1])
    n = sum(1 for _ in open(out / "manifest.jsonl", "rb"))
    mb = sum(p.stat().st_size for p in src.rglob("*") if p.is_file()) / 1e6
    # stage_s: each stage's task time summed over its shards (from the progress lines).
    # busy_share: that time over workers x wall; the rest is startup, the serial corpus steps
    # (bands, dedup, merge) while a worker waits, and Luigi's own scheduling.
    return {"workers": workers, "documents": n, "wall_s": round(wall, 2), "docs_per_s": round(n / wall, 1),
            "mb_per_s": round(mb / wall, 2), "stage_s": {k: round(v, 2) for k, v in stage.items()},
            "busy_share": round(sum(stage.values()) / (workers * wall), 3), "peak_rss_mb": round(peak_kb / 1024)}


def _median_run(runs: list[dict], key: str = "wall_s") -> dict:
    """The median run by ``key`` (the lower middle one of an even number), with all the walls."""
    ordered = sorted(runs, key=lambda r: r[key])
    return {**ordered[(len(ordered) - 1) // 2], f"{key}_all": [r[key] for r in runs]}


def bare_ftfy(texts: list[str]) -> dict:
    import ftfy

    t0 = time.perf_counter()
    for t in texts:
        ftfy.fix_text(t)
    wall = time.perf_counter() - t0
    return {"documents": len(texts), "wall_s": round(wall, 2), "docs_per_s": round(len(texts) / wall, 1),
            "mchars_per_s": round(sum(map(len, texts)) / wall / 1e6, 2)}


def fast_path_proof(texts: list[str]) -> dict:
    """The repair fast paths skip ftfy only where ftfy would change nothing: a line that
    ``_needs_ftfy`` passes must come back from ftfy unchanged, and a document that
    ``_lines_need_nothing`` passes whole must hold no line that ``_needs_ftfy`` flags."""
    import ftfy

    from pipeline.encoding import FTFY_CONFIG, _lines_need_nothing, _needs_ftfy

    lines = skipped = mismatches = docs_whole = gate_misses = 0
    for t in texts:
        whole = _lines_need_nothing(t)
        docs_whole += whole
        for line in re.split("\r\n|\r|\n|\u2028|\u2029", t):
            lines += 1
            if not _needs_ftfy(line):
                skipped += 1
                if ftfy.fix_and_explain(line, config=FTFY_CONFIG).text != line:
                    mismatches += 1
            elif whole:
                gate_misses += 1
    return {"lines": lines, "skipped_by_fast_path": skipped, "mismatches": mismatches,
            "documents": len(texts), "documents_skipped_whole": docs_whole, "document_gate_misses": gate_misses}


def _tag(i: int) -> str:
    out = ""
    while True:
        i, r = divmod(i, 26)
        out += chr(ord("a") + r)
        if not i:
            return out


def scaled_corpus(texts: dict[str, str], n: int, dest: Path, seed: int = 1, dup_share: float = 0.2) -> Path:
    """n documents: the originals, then copies. A ``dup_share`` of the copies are near-duplicates
    (one word changed); the others are made distinct (every third word carries a tag unique to
    the copy, so no shingle of the original survives) and stand for new documents of the same
    kind, length and layout. ``dup_share=1`` makes every copy a near-duplicate."""
    rng = random.Random(seed)
    dest.mkdir(parents=True)
    names = sorted(texts)
    for i in range(n):
        name = names[i % len(names)]
        text = texts[name]
        if i >= len(names):
            if rng.random() < dup_share:
                words = text.split(" ")
                k = rng.randrange(len(words))
                words[k] = words[k] + "x"
                text = " ".join(words)
            else:
                tag, off = _tag(i), rng.randrange(3)
                lines = []
                for line in text.split("\n"):
                    words = line.split(" ")
                    words[off::3] = [w + tag for w in words[off::3]]
                    lines.append(" ".join(words))
                text = "\n".join(lines)
        (dest / f"{i:07d}_{name}.txt").write_text(text, encoding="utf-8")
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpora/vi-news-19k.tar.gz"))
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--datatrove", help="python with datatrove installed")
    ap.add_argument("--scale", type=int, nargs="*", default=[])
    ap.add_argument("--dup-share", type=float, default=0.2,
                    help="share of the scaled corpus's copies that are near-duplicates (1: all)")
    ap.add_argument("--skip-proof", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (outputs, scaled corpora)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run CleanAll and datatrove this many times each, alternating, and report the median run "
                         "(with every wall in wall_s_all): this machine's runs vary by 5-15 %%")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="speed-"))
    src = extract(Path(a.corpus), tmp / "corpus")
    files = sorted(src.glob("*.txt"))
    texts = {p.stem: p.read_text(encoding="utf-8") for p in files}
    res = {"corpus_documents": len(files), "corpus_mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
           "cpus": os.cpu_count()}
    runs: dict[int, list[dict]] = {w: [] for w in a.workers}
    # Every run writes to a fresh folder and nothing is deleted until the end: deleting a run's
    # files while the next one runs (the disk discards the freed blocks) slowed it by up to 20 %.
    for k in range(a.repeat):
        for w in a.workers:
            runs[w].append(run_cleanall(src, tmp / f"out{w}_{k}", w))
    res["cleanall"] = [_median_run(runs[w]) for w in a.workers]
    res["bare_ftfy_fix_text_1_core"] = bare_ftfy(list(texts.values()))
    if not a.skip_proof:
        res["repair_fast_path_vs_ftfy"] = fast_path_proof(list(texts.values()))
    if a.datatrove:
        data = tmp / "dt_in"
        data.mkdir()
        items = list(texts.items())
        n_files = 20  # datatrove shards by input file: give every worker files to read
        for i in range(n_files):
            with open(data / f"docs{i:02d}.jsonl", "w", encoding="utf-8") as f:
                for k, t in items[i::n_files]:
                    f.write(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n")
        script = tmp / "dt_chain.py"
        script.write_text(DATATROVE_CHAIN)
        dt_runs: dict[int, list[dict]] = {w: [] for w in a.workers}
        for k in range(a.repeat):
            for w in a.workers:
                work = tmp / f"dt{w}_{k}"
                t0 = time.perf_counter()
                r = subprocess.run([a.datatrove, str(script), str(data), str(work), str(w)], capture_output=True, text=True)
                process_wall = time.perf_counter() - t0
                if r.returncode != 0:
                    dt_runs[w].append({"error": r.stderr[-800:]})
                    continue
                wall = float(r.stdout.strip().splitlines()[-1])
                # wall_s: its pipeline alone (after imports); process_wall_s: the whole process,
                # as CleanAll's wall_s is measured. The speed-up compares the two process walls.
                dt_runs[w].append({"wall_s": round(wall, 2), "docs_per_s": round(len(texts) / wall, 1),
                                   "process_wall_s": round(process_wall, 2)})
        for w in a.workers:
            good = [d for d in dt_runs[w] if "error" not in d]
            if not good:
                res[f"datatrove_workers_{w}"] = dt_runs[w][-1]
                continue
            dt = _median_run(good, key="process_wall_s")
            res[f"datatrove_workers_{w}"] = dt
            ours = next((c for c in res["cleanall"] if c["workers"] == w), None)
            if ours:
                res.setdefault("speedup_vs_datatrove", {})[f"workers_{w}"] = round(dt["process_wall_s"] / ours["wall_s"], 2)
    for n in a.scale:
        corpus = scaled_corpus(texts, n, tmp / f"scaled{n}", dup_share=a.dup_share)
        res.setdefault("growth", []).append(
            {**run_cleanall(corpus, tmp / f"scaled_out{n}", max(a.workers)), "dup_share": a.dup_share})
    print(json.dumps(res, indent=2))
    if a.keep:
        print(f"kept {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
