"""The invariant: a run that exits 0 leaves outputs byte-identical to a fresh run on the same
inputs; a run that fails leaves the earlier outputs as they were and says why in one sentence.

One test per finding of issue 16 (stale decisions, unseen edits, folders, damaged state,
deleted outputs, odd names, interrupted runs, concurrent runs, argument and machine errors).
"""
import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, published, run_cleanall

SHARD = "5"  # corpus35 in 7 shards of 5


def run(src, out, *extra, check=True):
    return run_cleanall(src, out, "--shard-size", SHARD, *extra, check=check)


_fresh = iter(range(10**6))


def assert_as_fresh(src, out, tmp_path):
    """``out`` equals a run from nothing on the same inputs and settings, byte for byte."""
    ref = tmp_path / f"fresh-{next(_fresh)}"
    run(src, ref)
    a, b = published(out), published(ref)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def manifest(out):
    import json

    return {r["id"]: r for r in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}


def one_sentence(r):
    """The run said what went wrong in one line and no traceback."""
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert "Traceback" not in r.stderr, r.stderr
    assert len([l for l in lines if l.startswith("pipeline: ")]) == 1, r.stderr
    return [l for l in lines if l.startswith("pipeline: ")][0]


# 1. Corpus-wide decisions are keyed by every shard: a change in one shard reaches the others.

def test_a_copy_whose_original_changes_becomes_a_kept_document_again(corpus35, tmp_path):
    files = sorted(corpus35.iterdir())
    a, b = files[1], files[-2]  # shard 1 and shard 7
    b.write_bytes(a.read_bytes())
    out = tmp_path / "out"
    run(corpus35, out)
    assert manifest(out)[b.stem]["status"] == "duplicate"
    a.write_bytes(files[3].read_bytes()[::-1].decode("utf-8", "ignore").encode())  # a different text
    run(corpus35, out)
    assert manifest(out)[b.stem]["status"] == "ok"
    assert_as_fresh(corpus35, out, tmp_path)


def test_a_document_made_a_copy_after_a_run_is_found(corpus35, tmp_path):
    files = sorted(corpus35.iterdir())
    out = tmp_path / "out"
    run(corpus35, out)
    files[1].write_bytes(files[-2].read_bytes())  # A becomes a copy of B, in another shard
    run(corpus35, out)
    assert {manifest(out)[f.stem]["status"] for f in (files[1], files[-2])} == {"ok", "duplicate"}
    assert_as_fresh(corpus35, out, tmp_path)


# 2. An input's identity is its content.

def test_a_same_size_edit_with_the_mtime_put_back_is_seen(corpus35, tmp_path):
    out = tmp_path / "out"
    run(corpus35, out)
    victim = sorted(corpus35.iterdir())[7]
    st = victim.stat()
    data = bytearray(victim.read_bytes())
    at = data.index(b"a")
    data[at:at + 1] = b"o"
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert victim.stat().st_size == st.st_size and victim.stat().st_mtime_ns == st.st_mtime_ns
    run(corpus35, out)
    assert_as_fresh(corpus35, out, tmp_path)


# 3. Folders that would read or overwrite each other are refused.

@pytest.mark.parametrize("where", ["inside", "equal", "holds"])
def test_output_inside_equal_to_or_holding_the_input_is_refused(corpus35, tmp_path, where):
    before = {p: p.read_bytes() for p in corpus35.rglob("*") if p.is_file()}
    if where == "holds":
        src, out = corpus35, tmp_path
    else:
        src, out = corpus35, corpus35 / "out" if where == "inside" else corpus35
    r = run(src, out, check=False)
    assert r.returncode == 2
    assert "output folder" in one_sentence(r) or "input folder" in one_sentence(r)
    assert {p: p.read_bytes() for p in corpus35.rglob("*") if p.is_file()} == before


def test_an_empty_input_does_not_empty_earlier_outputs_unless_asked(corpus35, tmp_path):
    out = tmp_path / "out"
    run(corpus35, out)
    before = published(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run(empty, out, check=False)
    assert r.returncode == 2 and "--allow-empty" in one_sentence(r)
    assert published(out) == before
    run(empty, out, "--allow-empty")
    assert (out / "manifest.jsonl").read_bytes() == b"" and not list((out / "clean").iterdir())


# 4. Stage files are verified, not trusted.

def _damage(path, how):
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "random":
        path.write_bytes(data[:20] + os.urandom(64) + data[84:])
    elif how == "edit":  # same size, one byte changed, mtime put back
        st = path.stat()
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 1]) + data[i + 1:])
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        path.unlink()


DAMAGES = [  # each in a shard of its own where it can be, so one run checks them all
    ("emit/00000-*.manifest.jsonl", "truncate"),
    ("emit/00001-*.clean.jsonl", "random"),
    ("emit/00002-*.files/clean/*.txt", "edit"),
    ("sign/00003-*.npz", "truncate"),
    ("sign/00004-*.doc_sig.npy", "truncate"),
    ("sign/00005-*.docs", "delete"),
    ("repair/00000-*.docs", "edit"),
    ("strip/00001-*.docs", "random"),
    ("dedup/decisions-*/00002.json", "edit"),
    ("sign/00006-*.para_bands.npy", "random"),
]


@pytest.mark.parametrize("trigger", ["another shard changes", "an output is deleted"])
def test_damaged_or_missing_stage_files_are_rebuilt(corpus35, tmp_path, trigger):
    out = tmp_path / "out"
    run(corpus35, out)
    for pattern, how in DAMAGES:
        found = sorted((out / "_stages").glob(pattern))
        assert found, pattern
        _damage(found[0], how)
    if trigger == "another shard changes":
        victim = sorted(corpus35.iterdir())[-1]
        victim.write_bytes(victim.read_bytes() + "\nTheo TTXVN\n".encode())
    else:
        (out / "summary.json").resolve().unlink()
    run(corpus35, out)
    assert_as_fresh(corpus35, out, tmp_path)


# 5. clean/ is part of what "complete" means.

def test_changed_clean_files_are_restored_by_a_rerun(corpus35, tmp_path):
    out = tmp_path / "out"
    run(corpus35, out)
    files = sorted((out / "clean").iterdir())
    files[3].unlink()
    files[10].write_text("something else\n", encoding="utf-8")
    _damage(files[20], "edit")  # same size, mtime put back
    (out / "clean" / "stray.txt").write_text("not from this run\n")
    run(corpus35, out)
    assert_as_fresh(corpus35, out, tmp_path)


# 6. A file's name is a reason to reject that file, never to fail the run.

def test_odd_file_names_become_rejected_rows(corpus35, tmp_path):
    os.close(os.open(os.fsencode(corpus35) + b"/bad \xff\xfe name.txt", os.O_WRONLY | os.O_CREAT))
    with open(os.fsencode(corpus35) + b"/bad \xff\xfe name.txt", "wb") as f:
        f.write("Tiêu đề\n\nNội dung bài viết có dấu.\n".encode())
    (corpus35 / ("b" * 255)).write_text("Tiêu đề\n\nNội dung.\n", encoding="utf-8")
    (corpus35 / "x.html").write_text("<html><body><p>Nội dung bài viết.</p></body></html>", encoding="utf-8")
    (corpus35 / "x.txt").mkdir()
    (corpus35 / "x.txt" / "y.txt").write_text("Tiêu đề\n\nNội dung bài viết khác.\n", encoding="utf-8")
    os.mkdir(os.fsencode(corpus35) + b"/dir \xff")
    with open(os.fsencode(corpus35) + b"/dir \xff/ok.txt", "wb") as f:
        f.write("Tiêu đề\n\nNội dung bài viết trong thư mục.\n".encode())
    out = tmp_path / "out"
    run(corpus35, out)
    recs = manifest(out)  # parses: every line is JSON
    bad = recs["bad %FF%FE name"]
    assert bad["status"] == "rejected" and "file name is not valid UTF-8" in bad["error"]
    in_bad_dir = recs["dir %FF/ok"]
    assert in_bad_dir["status"] == "rejected" and "folder name is not valid UTF-8" in in_bad_dir["error"]
    from pipeline.readers import unescape_name

    assert os.fsencode(unescape_name(bad["id"])) == b"bad \xff\xfe name"  # reversible
    assert recs["b" * 255]["status"] == "rejected" and "too long" in recs["b" * 255]["error"]
    assert recs["x"]["status"] == "rejected" and "clash" in recs["x"]["error"]
    assert recs["x.txt/y"]["status"] == "ok" and (out / "clean" / "x.txt" / "y.txt").exists()
    assert len(recs) == 35 + 5
    run(corpus35, out)  # and a rerun is a no-op that still holds
    assert_as_fresh(corpus35, out, tmp_path)


# 7. An interrupted run publishes nothing half-done and its task processes stop with it.

def _popen(src, out, *extra, env=None):
    cmd = [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(src),
           "--output-dir", str(out), *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})))


def _wait_for(pattern_dir, pattern, proc, limit=600):
    """Until a file matching ``pattern`` that was not there at the start appears."""
    old = set(pattern_dir.glob(pattern))
    for _ in range(int(limit / 0.01)):  # not a timed assertion: a bound on a loop that polls files
        if set(pattern_dir.glob(pattern)) - old or proc.poll() is not None:
            return
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_run_and_keeps_the_earlier_outputs(corpus35, tmp_path, sig):
    out = tmp_path / "out"
    run(corpus35, out)
    before = published(out)
    for p in sorted(corpus35.iterdir())[::3]:  # every shard must run again
        p.write_bytes(p.read_bytes() + "\nTheo TTXVN\n".encode())
    proc = _popen(corpus35, out, "--shard-size", "2", "--workers", "2")
    _wait_for(out / "_stages" / "emit", "*.rec", proc)  # some emit task has finished
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "stopped by " + sig.name in err and "Traceback" not in err
    assert published(out) == before
    r = run(corpus35, out, check=False)  # the lock is free: no task process outlived the run
    assert r.returncode == 0, r.stderr
    assert_as_fresh(corpus35, out, tmp_path)


def test_a_killed_run_at_any_stage_resumes_to_a_fresh_runs_outputs(corpus35, tmp_path):
    out = tmp_path / "out"
    run(corpus35, out)
    for p in sorted(corpus35.iterdir())[::4]:
        p.write_bytes(p.read_bytes() + "\nTheo TTXVN\n".encode())
    for stage in ("sign", "runs"):
        proc = _popen(corpus35, out, "--shard-size", "2", "--workers", "2")
        _wait_for(out / "_stages" / stage, "*", proc)
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=120)
        time.sleep(0.5)  # orphaned task processes end on their own (a killed parent cannot stop them)
        _wait_unlocked(out)
        run(corpus35, out)
        assert_as_fresh(corpus35, out, tmp_path)
        victim = sorted(corpus35.iterdir())[1]
        victim.write_bytes(victim.read_bytes() + b"\n.")


def _wait_unlocked(out):
    import fcntl

    fd = os.open(out / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks until orphans of a SIGKILLed run are gone
    finally:
        os.close(fd)


# 8. One run per output folder, whatever the entry point.

@pytest.mark.parametrize("entry", ["luigi", "pipeline run"])
def test_a_second_run_on_the_same_output_stops_with_a_sentence(corpus35, tmp_path, entry):
    from pipeline import guard

    out = tmp_path / "out"
    run(corpus35, out)
    before = published(out)
    guard.acquire_lock(str(out))
    try:
        if entry == "luigi":
            r = run(corpus35, out, check=False)
        else:
            r = subprocess.run([sys.executable, "-m", "pipeline", "run", "--input-dir", str(corpus35), "--output-dir", str(out)],
                               cwd=ROOT, capture_output=True, text=True)
    finally:
        guard.release_lock(str(out))
    assert r.returncode == 2
    assert f"pid {os.getpid()}" in one_sentence(r)
    assert published(out) == before


# 9. Usage and machine errors: one sentence, the right status.

@pytest.mark.parametrize("args,words", [
    (["--workers", "0"], "--workers"),
    (["--shard-size", "-1"], "--shard-size"),
    (["--against", "/nonexistent/run"], "--against"),
])
def test_bad_arguments_are_one_sentence_and_exit_2(corpus35, tmp_path, args, words):
    r = run_cleanall(corpus35, tmp_path / "out", *args, check=False)
    assert r.returncode == 2 and words in one_sentence(r)
    assert not (tmp_path / "out" / "manifest.jsonl").exists()


def test_pipeline_run_checks_its_arguments(corpus35, tmp_path):
    r = subprocess.run([sys.executable, "-m", "pipeline", "run", "--input-dir", str(corpus35), "--output-dir",
                        str(tmp_path / "out"), "--workers", "0"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "--workers" in one_sentence(r)


@contextlib.contextmanager
def _tmpfs(path, size):
    path.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and mount (a small tmpfs)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_full_disk_fails_in_one_sentence_and_keeps_the_earlier_outputs(corpus35, tmp_path):
    with _tmpfs(tmp_path / "disk", "8m") as disk:
        out = disk / "out"
        run(corpus35, out)
        before = published(out)
        with open(disk / "filler", "wb") as f:  # leave almost nothing
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        for p in sorted(corpus35.iterdir()):
            p.write_bytes(p.read_bytes() + "\nTheo TTXVN\n".encode())
        r = run(corpus35, out, check=False)
        assert r.returncode != 0
        assert "no space left" in r.stderr and "Traceback" not in r.stderr
        assert published(out) == before
        (disk / "filler").unlink()
        run(corpus35, out)
        assert_as_fresh(corpus35, out, tmp_path)


def test_a_read_only_output_folder_fails_in_one_sentence(corpus35, tmp_path):
    with _tmpfs(tmp_path / "disk", "16m") as disk:
        out = disk / "out"
        run(corpus35, out)
        before = published(out)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        r = run(corpus35, out, check=False)
        assert r.returncode == 1 and "read-only" in one_sentence(r)
        assert published(out) == before


def test_an_input_that_changes_during_the_run_stops_it_in_one_sentence(tmp_path):
    from pipeline.readers import InputChanged, InputFile, read_document

    (tmp_path / "a.txt").write_text("Tiêu đề\n\nNội dung.\n", encoding="utf-8")
    planned = InputFile("a", "a.txt", 10, 0, False, "0" * 64)  # the digest the plan took
    with pytest.raises(InputChanged, match="changed while the run was reading it"):
        read_document(tmp_path, planned)


def test_a_damaged_against_index_is_refused_in_one_sentence(corpus35, tmp_path):
    first = tmp_path / "first"
    run(corpus35, first)
    idx = sorted((first / "index").iterdir())[0]
    idx.write_bytes(idx.read_bytes()[:100])
    r = run(corpus35, tmp_path / "second", "--against", str(first), check=False)
    assert r.returncode == 2 and "--against" in one_sentence(r)


def test_pipeline_clean_and_the_luigi_run_give_the_same_text(corpus35, tmp_path):
    """One function removes nearby repeats on both paths: `pipeline clean` (the in-memory
    chain) and CleanAll give the same text on the labelled documents, except where the run's
    corpus-wide decisions (which one file alone cannot know) changed a document."""
    import json

    from pipeline.chain import clean_document
    from pipeline.readers import read_bytes_document

    out = tmp_path / "out"
    run(corpus35, out)
    compared = 0
    for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        corpus_wide = rec["status"] != "ok" or any(
            e["rule"] == "repeated_boilerplate" or (e.get("duplicate_of") or {}).get("id", rec["id"]) != rec["id"]
            for e in rec["edits"])
        if corpus_wide:
            continue
        doc = clean_document(read_bytes_document(rec["id"], (corpus35 / rec["source"]).read_bytes()))
        assert doc.text == (out / "clean" / f"{rec['id']}.txt").read_text(encoding="utf-8"), rec["id"]
        compared += 1
    assert compared >= 30


def test_an_output_folder_of_the_old_layout_is_replaced_whole(corpus35, tmp_path):
    """Real files and folders where the links now go (an earlier version's run): the first
    run replaces them, stray clean/ files included."""
    out = tmp_path / "out"
    (out / "clean" / "sub").mkdir(parents=True)
    (out / "clean" / "sub" / "gone.txt").write_text("from an input that no longer exists\n")
    (out / "manifest.jsonl").write_text('{"id": "gone"}\n')
    (out / "report.html").write_text("old")
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run(empty, out, check=False)  # an empty input over it is refused too
    assert r.returncode == 2 and "--allow-empty" in one_sentence(r)
    run(corpus35, out)
    assert not (out / "clean" / "sub").exists()
    assert_as_fresh(corpus35, out, tmp_path)


def test_an_index_of_another_format_is_refused(tmp_path):
    from pipeline.dedup.index import FORMAT_FILE, IndexError_, load_folder

    (tmp_path / "00000.npz").write_bytes(b"")
    with pytest.raises(IndexError_, match="another version"):
        load_folder(tmp_path)
    (tmp_path / FORMAT_FILE).write_text("pipeline-index 1\n")
    with pytest.raises(IndexError_, match="doc_bands"):
        load_folder(tmp_path)


def test_a_second_run_can_wait_for_the_first(corpus35, tmp_path):
    import threading

    from pipeline import guard

    out = tmp_path / "out"
    run(corpus35, out)
    guard.acquire_lock(str(out))
    proc = _popen(corpus35, out, "--shard-size", SHARD, "--wait-for-lock")
    threading.Timer(1.0, guard.release_lock, [str(out)]).start()  # the first run ends a second later
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


def test_a_percent_in_a_name_never_makes_two_inputs_share_an_id(tmp_path):
    """``bad%FF.txt`` and a name holding the byte 0xFF once got the same id; ``%`` is now
    escaped too, and the escaping is undone exactly."""
    import os

    from pipeline.readers import iter_inputs, unescape_name

    (tmp_path / "bad%FF.txt").write_bytes(b"one")
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xff.txt"), "wb") as f:
        f.write(b"two")
    (tmp_path / "50%.txt").write_bytes(b"three")
    found = list(iter_inputs(tmp_path))
    ids = [f.id for f in found]
    assert len(set(ids)) == 3, ids
    assert {os.fsencode(unescape_name(f.relpath)) for f in found} == {b"bad%FF.txt", b"bad\xff.txt", b"50%.txt"}
