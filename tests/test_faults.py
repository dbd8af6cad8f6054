"""Fault injection: random sequences of input changes and faults, each followed by a rerun
that must exit 0 with outputs byte-identical to a fresh run on the same inputs.

Hypothesis draws the sequences. Input changes: add, delete, edit, same-size edit with the
mtime put back, copy across shards, rename. Faults: SIGKILL or SIGTERM once the run has
written a drawn number of stage files, a damaged or deleted stage file, a damaged, deleted or
added published file. The default run is a handful of sequences; the soak is
``PIPELINE_SOAK=1000 pytest tests/test_faults.py`` (it prints how many sequences ran).
"""
import fcntl
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, published

SOAK = int(os.environ.get("PIPELINE_SOAK", "0"))
EXAMPLES = SOAK or 3
TEXTS = [p.read_bytes() for p in sorted((FIXTURES / "seeds").glob("*.txt")) + sorted((FIXTURES / "dev" / "raw").glob("*.txt"))]
# Every third text with CRLF line ends (as most of VNTC): the stages fold them away and put
# them back (Document.fold_crlf), and that too must survive every fault.
TEXTS = [t.replace(b"\n", b"\r\n") if k % 3 == 1 else t for k, t in enumerate(TEXTS)]

change = st.one_of(
    st.tuples(st.just("add"), st.integers(0, len(TEXTS) - 1)),
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
    st.tuples(st.just("edit"), st.integers(0, 10**6)),
    st.tuples(st.just("same-size edit"), st.integers(0, 10**6)),
    st.tuples(st.just("copy"), st.tuples(st.integers(0, 10**6), st.integers(0, 10**6))),
    st.tuples(st.just("rename"), st.integers(0, 10**6)),
)
fault = st.one_of(
    st.tuples(st.sampled_from(["SIGKILL", "SIGTERM"]), st.tuples(st.integers(1, 40), st.sampled_from([1, 2]))),
    st.tuples(st.just("damage stage"), st.tuples(st.integers(0, 10**6), st.sampled_from(["truncate", "random", "edit", "delete"]))),
    st.tuples(st.just("damage output"), st.tuples(st.integers(0, 10**6), st.sampled_from(["delete", "overwrite", "edit", "add"]))),
)
sequence = st.fixed_dictionaries({
    "n_docs": st.integers(20, 35),
    "shard_size": st.sampled_from(["3", "5", "8"]),
    "steps": st.lists(st.one_of(change, fault), min_size=1, max_size=4),
})


class Harness:
    def __init__(self, root, shard_size):
        self.root, self.shard_size = root, shard_size
        self.src, self.out = root / "in", root / "out"
        self.fresh_cache: dict[str, dict] = {}
        self.serial = 0
        self.log: list[str] = []

    def cmd(self, out, workers="1"):
        return [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(self.src),
                "--output-dir", str(out), "--shard-size", self.shard_size, "--workers", workers]

    def run(self, out=None):
        r = subprocess.run(self.cmd(out or self.out), cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, (self.log, r.stderr[-3000:])
        return r

    def files(self):
        return sorted(p for p in self.src.rglob("*") if p.is_file())

    def state_key(self):
        h = hashlib.sha256(self.shard_size.encode())
        for p in self.files():
            h.update(p.relative_to(self.src).as_posix().encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
        return h.hexdigest()

    def fresh(self):
        key = self.state_key()
        if key not in self.fresh_cache:
            self.serial += 1
            ref = self.root / f"fresh-{self.serial}"
            self.run(ref)
            self.fresh_cache[key] = published(ref)
            shutil.rmtree(ref)
        return self.fresh_cache[key]

    def check(self):
        """Rerun, then compare every published byte with a fresh run's."""
        self.run()
        got, want = published(self.out), self.fresh()
        assert got.keys() == want.keys(), (self.log, sorted(set(got) ^ set(want))[:10])
        assert [k for k in got if got[k] != want[k]] == [], self.log

    # -- input changes ---------------------------------------------------------------------

    def pick(self, n):
        files = self.files()
        return files[n % len(files)] if files else None

    def change(self, kind, arg):
        self.serial += 1
        if kind == "add":
            (self.src / f"new{self.serial:04d}.txt").write_bytes(TEXTS[arg])
            return
        victim = self.pick(arg if not isinstance(arg, tuple) else arg[0])
        if victim is None or (kind == "delete" and len(self.files()) <= 1):
            return
        if kind == "delete":
            victim.unlink()
        elif kind == "edit":
            victim.write_bytes(victim.read_bytes() + f"\nTheo TTXVN {self.serial}\n".encode())
        elif kind == "same-size edit":
            st_ = victim.stat()
            data = bytearray(victim.read_bytes())
            at = data.find(b"a")
            if at < 0:
                return
            data[at:at + 1] = b"o"
            victim.write_bytes(bytes(data))
            os.utime(victim, ns=(st_.st_atime_ns, st_.st_mtime_ns))
        elif kind == "copy":
            other = self.pick(arg[1])
            if other != victim:
                other.write_bytes(victim.read_bytes())
        elif kind == "rename":
            victim.rename(self.src / f"renamed{self.serial:04d}.txt")

    # -- faults ----------------------------------------------------------------------------

    def interrupt(self, signame, after, workers):
        """Start a run, and stop it once it has written ``after`` new stage files."""
        stages = self.out / "_stages"

        def entries():
            # The run renames and removes folders while this walks them (found by the soak:
            # a plan's listing folder gone mid-walk); a walk that loses a folder is retried.
            while True:
                try:
                    return {p for p in stages.rglob("*")} if stages.is_dir() else set()
                except FileNotFoundError:
                    continue

        old = entries()
        proc = subprocess.Popen(self.cmd(self.out, str(workers)), cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        while proc.poll() is None and len(entries() - old) < after:
            time.sleep(0.005)
        proc.send_signal(getattr(signal, signame))
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, (self.log, err[-3000:])
        self.wait_unlocked()

    def wait_unlocked(self):
        lock = self.out / ".lock"
        if lock.exists():
            fd = os.open(lock, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            finally:
                os.close(fd)

    def damage(self, where, n, how):
        if where == "stage":
            pool = sorted(p for p in (self.out / "_stages").rglob("*") if p.is_file() and "plan" not in p.parts)
        else:
            gen = (self.out / ".current").resolve()
            pool = sorted(p for p in gen.rglob("*") if p.is_file() and p.name != ".record")
        if not pool:
            return
        p = pool[n % len(pool)]
        data = p.read_bytes()
        if how in ("delete",):
            p.unlink()
        elif how == "truncate":
            p.write_bytes(data[: len(data) // 2])
        elif how in ("random", "overwrite"):
            p.write_bytes(data[:10] + os.urandom(40) + data[50:])
        elif how == "edit" and data:
            st_ = p.stat()
            i = len(data) // 2
            p.write_bytes(data[:i] + bytes([data[i] ^ 1]) + data[i + 1:])
            os.utime(p, ns=(st_.st_atime_ns, st_.st_mtime_ns))
        elif how == "add":
            (gen / "clean" / f"stray{n}.txt").write_text("not from any run\n")


RAN = {"sequences": 0, "steps": 0}


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not SOAK, database=None,
          # a soak reports its first failing sequence as drawn: shrinking runs of seconds each takes hours
          phases=(Phase.explicit, Phase.generate) if SOAK else tuple(Phase),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seq=sequence)
# Found by the soak: SIGKILL while the plan was being written left the listing process alive,
# holding the lock and the run's stderr (it now dies with its parent).
@example(seq={"n_docs": 20, "shard_size": "3", "steps": [("SIGKILL", (1, 1))]})
def test_random_changes_and_faults_end_equal_to_a_fresh_run(tmp_path_factory, seq):
    root = tmp_path_factory.mktemp("faults")
    h = Harness(root, seq["shard_size"])
    h.src.mkdir()
    for k, text in enumerate(TEXTS[: seq["n_docs"]]):
        (h.src / f"d{k:03d}.txt").write_bytes(text)
    h.run()
    for kind, arg in seq["steps"]:
        h.log.append(f"{kind} {arg}")
        if kind in ("SIGKILL", "SIGTERM"):
            h.change("edit", arg[0])  # something to do, so that there is a run to stop
            h.interrupt(kind, arg[0], arg[1])
        elif kind == "damage stage":
            h.damage("stage", *arg)
        elif kind == "damage output":
            h.damage("output", *arg)
        else:
            h.change(kind, arg)
        h.check()
        RAN["steps"] += 1
    RAN["sequences"] += 1
    if SOAK:
        print(f"sequence {RAN['sequences']}: {h.log}", flush=True)
    shutil.rmtree(root, ignore_errors=True)


def teardown_module(module):
    print(f"\nfault injection: {RAN['sequences']} sequences, {RAN['steps']} steps, each rerun equal to a fresh run")
