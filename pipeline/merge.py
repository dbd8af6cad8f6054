"""The final merge: every shard's emit output into one new generation, published at once.

Pure of Luigi: :func:`merge_run` is handed the emit and signature files (the tasks know where
they are) and returns the summary; see :mod:`pipeline.publish` for how the switch works.
"""
from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import dataset, publish
from .dedup.index import KEYS, ShardIndex, save_folder
from .planning import INDEX, in_child
from .provenance import merge_tallies
from .report import ReportStats, build_report
from .stagefiles import hashed_open, read_record
from .writers import loads, write_atomic


def merge_run(out: Path, run_fp: str, emits: list[tuple[dict[str, str], str]], signs: list[tuple[dict[str, str], str]],
              passed_over: dict[str, Any], live: set[str], stages: Path, dataset_format: str = "jsonl",
              report_run: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the generation of ``run_fp`` from the shards' emit files (``emits``: (files,
    record path) in shard order) and signature files (``signs``), switch it in, prune stage
    files of other runs (``live`` fingerprints stay), seal it. Returns the summary."""
    gen = publish.new_generation(out, run_fp)  # hidden until the switch
    # The merge runs alone, so its work is spread out. The hard links of clean/ and extracted/
    # (a system call per document) are made by a forked process: on a thread they waited for
    # the interpreter lock at each call while the others ran Python (0.26-0.3 s instead of
    # 0.1). The dataset's compression runs on threads (zlib lets go of the lock; its bytes do
    # not depend on the threads) beside this thread, which copies and sums up the rest.
    done: dict[str, Any] = {}

    def meanwhile() -> None:
        with ThreadPoolExecutor(1) as background:
            shards = background.submit(dataset.publish, [files["clean"] for files, _ in emits], gen / "dataset",
                                       dataset_format)
            done["known"], done["summary"], done["report"] = _assemble(gen, emits, signs, passed_over)
            shards.result()

    in_child(_link_trees, gen, [files["tree"] for files, _ in emits], meanwhile=meanwhile,
             what="linking the clean texts into the new outputs")
    summary = done["summary"]
    write_atomic(gen / "report.html", build_report(done["report"], gen / "clean", summary, run=report_run))  # reads a few clean texts
    publish.switch(out, gen)  # one rename: every output changes at once
    _prune_stages(stages, live)
    publish.seal(gen, run_fp, done["known"],
                 [(record, os.path.basename(files["tree"]) + "/") for files, record in emits])
    return summary


def _link_trees(gen: Path, trees: list[str]) -> None:
    for tree in trees:
        publish.link_tree(os.path.join(tree, "clean"), gen / "clean")
        publish.link_tree(os.path.join(tree, "extracted"), gen / "extracted")


def _assemble(gen: Path, emits, signs, passed_over: dict[str, Any]) -> tuple[dict, dict[str, Any], ReportStats]:
    """Everything of the generation but ``dataset/``, the links of ``clean/`` and
    ``extracted/`` and the report: returns the digests the stage records already hold
    (name -> (size, digest); the per-document files' are read by the seal, a shard at a
    time), the summary and the report's numbers."""
    known: dict = {}  # digests the stage records hold: not computed again
    for name, key in (("clean.jsonl", "clean"), ("manifest.jsonl", "manifest")):
        entries: dict[str, list] = {}
        with hashed_open(str(gen / name), entries, str(gen)) as dst:
            for files, _ in emits:
                with open(files[key], "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
        known[name] = (entries[name][0], entries[name][1])
    # The shards' totals and report stats, merged in shard order: one small file per shard,
    # read one at a time; the manifest itself is not read back.
    totals, report = [], ReportStats()
    for files, _ in emits:
        with open(files["stats"], "rb") as f:
            st = loads(f.read())
        totals.append(st["tally"])
        report.merge(ReportStats.from_json(st["report"]))
    summary = merge_tallies(totals)
    summary.update(passed_over)  # entries that are not documents, and folders that could not be read
    write_atomic(gen / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    save_folder(gen / INDEX, [files for files, _ in signs], _link)
    for k, (files, record) in enumerate(signs):
        rec = read_record(record) or {"files": {}}
        dest = ShardIndex(f"{INDEX}/{k:05d}")
        for key in KEYS:
            e = rec["files"].get(os.path.basename(files[key]))
            if e:
                known[dest.path(key)] = (e[0], e[1])
    return known, summary, report


def _link(src: str, dest: str) -> None:
    """A hard link (stage files are replaced by rename, never rewritten in place), or a copy
    on another file system or where links are not allowed."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _prune_stages(stages: Path, live: set[str]) -> None:
    """Remove what earlier runs left under ``_stages/`` (each entry's name ends in the
    fingerprint it belongs to: a shard's or the run's), and temporary files of stopped writers."""
    if not stages.is_dir():
        return
    for sub in stages.iterdir():
        if not sub.is_dir():
            continue
        for p in sub.iterdir():
            fp = p.name.split(".")[0].split("-")[-1]
            if fp in live and "-luigi-tmp-" not in p.name:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
