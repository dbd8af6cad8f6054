"""Scale-out on Luigi's own central scheduler: luigid on 127.0.0.1 and two worker processes."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from conftest import ROOT, run_cleanall
from test_trust import _outputs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_on_luigid_match_the_local_run(fixtures, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for p in list((fixtures / "seeds").glob("*.txt")) + list((fixtures / "dev" / "raw").glob("*.txt")):
        shutil.copy(p, src / p.name)
    local = tmp_path / "local"
    # one document a shard: 140-odd tasks, so that the second worker, started a moment after the
    # first, always finds work left (with 50 tasks a loaded machine once let the first do all)
    run_cleanall(src, local, "--shard-size", "1")

    port = _free_port()
    luigid_bin = Path(sys.executable).with_name("luigid")
    state = tmp_path / "luigid"
    state.mkdir()
    server = subprocess.Popen([str(luigid_bin), "--address", "127.0.0.1", "--port", str(port),
                               "--state-path", str(state / "state.pickle"), "--logdir", str(state)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # wait until it answers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/task_list?data=%7B%7D", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        cfg = ROOT / "luigi-central.cfg"  # the file the README tells users to use
        out = tmp_path / "central"
        cmd = [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(src),
               "--output-dir", str(out), "--shard-size", "1", "--workers", "1",
               "--scheduler-host", "127.0.0.1", "--scheduler-port", str(port)]
        env = dict(os.environ, LUIGI_CONFIG_PATH=str(cfg))
        workers = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        results = [w.communicate(timeout=300) for w in workers]
        assert all(w.returncode == 0 for w in workers), [(w.returncode, e[-3000:]) for w, (_, e) in zip(workers, results) if w.returncode]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _outputs(out) == _outputs(local)
    shard_lines = Counter(l.split(": ")[0] for _, err in results for l in err.splitlines() if "shard" in l)
    assert shard_lines and set(shard_lines.values()) == {1}  # each shard of each stage ran once
    ran = [sum("[pipeline]" in l for l in err.splitlines()) for _, err in results]
    assert all(n > 0 for n in ran), ran  # both processes did work
