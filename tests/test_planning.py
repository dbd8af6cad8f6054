"""The inputs cache: last run's digests, read as a stream beside the listing, so a rerun reads
only what changed and a million inputs never sit in memory at once."""
import json
import os

import pytest

from pipeline import planning, readers


@pytest.fixture
def counted(monkeypatch):
    """Paths whose content the listing hashed."""
    read = []
    real = readers._hash_file

    def spy(path):
        read.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(readers, "_hash_file", spy)
    return read


def _plan(src, out):
    path, _, n, _ = planning.write_plan(str(src), str(out), 2, "settings", "")
    rows = []
    for k in range(len(json.loads(open(path).read())["shards"])):
        rows += json.loads(open(os.path.join(path[:-5], f"{k:05d}.json")).read())
    return {r[1]: r[5] for r in rows}  # relpath -> digest


def _corpus(tmp_path):
    src = tmp_path / "in"
    (src / "b").mkdir(parents=True)
    names = ["a.txt", "b/c.txt", "b-d.txt", "Z.txt", "x 1.txt", "é.txt", "b/a b.txt"]  # ids that sort unlike names
    for k, n in enumerate(names):
        (src / n).write_text(f"Văn bản số {k}.\n", encoding="utf-8")
    return src, names


def test_a_rerun_reads_only_what_changed(tmp_path, counted):
    src, names = _corpus(tmp_path)
    out = tmp_path / "out"
    first = _plan(src, out)
    assert sorted(counted) == sorted(os.path.basename(n) for n in names)
    cache = (out / planning.STAGES / planning.INPUTS_CACHE).read_bytes()
    assert cache.startswith(b'{"inputs_cache":2}\n') and cache.count(b"\n") == len(names) + 1

    counted.clear()
    assert _plan(src, out) == first and counted == []

    victim = src / "b" / "c.txt"  # same size, times set back: the ctime still moves
    st = victim.stat()
    victim.write_text("Văn bản số 9.\n", encoding="utf-8")
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    counted.clear()
    third = _plan(src, out)
    assert counted == ["c.txt"]
    assert third["b/c.txt"] != first["b/c.txt"] and {k: v for k, v in third.items() if k != "b/c.txt"} == {
        k: v for k, v in first.items() if k != "b/c.txt"}


def test_an_old_or_damaged_cache_costs_a_read_never_a_wrong_digest(tmp_path, counted):
    src, names = _corpus(tmp_path)
    out = tmp_path / "out"
    first = _plan(src, out)
    cache = out / planning.STAGES / planning.INPUTS_CACHE
    cache.write_text(json.dumps({n: [0, 0, 0, 0, "x"] for n in names}))  # the old layout: a dict
    counted.clear()
    assert _plan(src, out) == first and len(counted) == len(names)
    cache.write_bytes(b'{"inputs_cache":2}\n["a.txt", 1\n')  # cut short
    counted.clear()
    assert _plan(src, out) == first and len(counted) == len(names)
    counted.clear()
    assert _plan(src, out) == first and counted == []  # and written whole again
