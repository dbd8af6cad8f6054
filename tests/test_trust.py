"""Never lose a document: hostile inputs, a killed run, and byte-identical reruns."""
import json
import os
import time
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, published, run_cleanall
from hostile_inputs import write_corpus
from pipeline.documents import Edit, check_invariant


def _records(out):
    return {r["id"]: r for r in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}


def _outputs(out, index=False):
    """Every output a user reads, as bytes, through the published names (the index too when
    asked: its file names count shards, which differ between shard sizes)."""
    return published(out, index=index)


def _run_peak_mb(src, out):
    """CleanAll's peak RSS (any of its processes), measured in a wrapper process of its own:
    RUSAGE_CHILDREN here would be the largest child of the whole pytest session."""
    wrapper = ("import resource, subprocess, sys\n"
               "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "sys.stderr.write(r.stderr)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
               "sys.exit(r.returncode)\n")
    cmd = [sys.executable, "-c", wrapper, sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll",
           "--input-dir", str(src), "--output-dir", str(out)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return int(r.stdout.split()[-1]) / 1024


def test_hostile_inputs_never_stop_the_run(tmp_path, fixtures):
    src = tmp_path / "in"
    expected = write_corpus(src, fixtures)
    out = tmp_path / "out"
    peak_mb = _run_peak_mb(src, out)
    recs = _records(out)
    assert set(recs) == set(expected)  # every input is accounted for
    for doc_id, status in expected.items():
        rec = recs[doc_id]
        if status != "any":
            assert rec["status"] == status, (doc_id, rec["status"], rec["error"])
        if rec["status"] == "rejected":
            assert rec["error"] and rec["error"][0].islower() and len(rec["error"]) > 10
            assert not (out / "clean" / f"{doc_id}.txt").exists()
        else:
            raw_path = out / rec["raw_path"] if "raw_path" in rec else src / rec["source"]
            raw = raw_path.read_bytes().decode("utf-8")  # no newline translation: offsets count \r
            clean = (out / "clean" / f"{doc_id}.txt").read_text(encoding="utf-8")
            check_invariant(raw, [Edit.from_json(e) for e in rec["edits"]], clean)
    assert "symbolic link" in recs["link"]["error"]
    assert json.loads((out / "summary.json").read_text())["skipped_entries"] == 2  # the pipe and the link to it
    assert "PNG" in recs["image"]["error"] and "gzip" in recs["archive"]["error"]
    assert recs["tcvn3"]["encoding"] == "tcvn3" and recs["windows-1258"]["encoding"] == "windows-1258"
    assert recs["utf16 no bom"]["encoding"].startswith("utf-16-le")
    assert recs["bad bytes"]["encoding"].startswith("utf-8 (")
    for doc_id in ("laughs", "xxe"):  # entities are never expanded or fetched
        text = (out / "extracted" / f"{doc_id}.txt").read_text(encoding="utf-8")
        assert "lollollol" not in text and "root:" not in text
    assert peak_mb < 2048, f"peak RSS {peak_mb:.0f} MB"


def test_killed_run_resumes_to_identical_outputs(corpus35, tmp_path):
    reference = tmp_path / "reference"
    run_cleanall(corpus35, reference, "--shard-size", "2")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(corpus35),
           "--output-dir", str(out), "--shard-size", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    signs = out / "_stages" / "sign"
    while proc.poll() is None and len(list(signs.glob("*.rec")) if signs.is_dir() else []) < 12:
        time.sleep(0.01)  # part way: some shards signed (from the stage records, not the log's wording)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.jsonl").exists()
    run_cleanall(corpus35, out, "--shard-size", "1")
    assert _outputs(out) == _outputs(reference)
    leftovers = [p for p in (out / "clean").rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_outputs_do_not_depend_on_workers_shards_or_listing_order(corpus35, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_cleanall(corpus35, a, "--shard-size", "1000", "--workers", "1")
    reordered = tmp_path / "reordered"
    reordered.mkdir()
    for p in sorted(corpus35.iterdir(), reverse=True):  # created in the other order
        shutil.copy(p, reordered / p.name)
    run_cleanall(reordered, b, "--shard-size", "3", "--workers", "2")
    named = f"input <code>{reordered}</code>".encode()  # the report names its input folder, which differs here
    b_out = {k: v.replace(named, f"input <code>{corpus35}</code>".encode()) for k, v in _outputs(b).items()}
    assert _outputs(a) == b_out
    before = _outputs(a)
    run_cleanall(corpus35, a, "--shard-size", "1000")  # a rerun changes nothing
    assert _outputs(a) == before
