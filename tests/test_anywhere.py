"""The same command from any folder: the package carries its Luigi defaults."""
import shutil
import subprocess
import sys
import time

LUIGI = [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll"]


def _run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cleanall_runs_from_a_folder_without_luigi_cfg(fixtures, tmp_path):
    shutil.copytree(fixtures / "seeds", tmp_path / "seeds")
    r = _run(LUIGI, tmp_path)  # default input seeds/ and output work/, relative to the working folder
    assert r.returncode == 0, r.stderr
    assert "Cleaned 5 documents" in r.stdout and (tmp_path / "work" / "manifest.jsonl").exists()
    assert "8082" not in r.stderr and "Traceback" not in r.stderr

    (tmp_path / "luigi.cfg").write_text("[cleaning]\nprogress = false\n")  # a local luigi.cfg still wins
    r = _run([*LUIGI, "--output-dir", "quiet"], tmp_path)
    assert r.returncode == 0 and "[pipeline]" not in r.stderr and "Cleaned 5 documents" in r.stdout


def test_a_missing_input_folder_is_one_sentence_and_a_failure(tmp_path):
    t0 = time.monotonic()
    r = _run(LUIGI, tmp_path)
    assert r.returncode != 0 and time.monotonic() - t0 < 60  # no retrying a scheduler on localhost:8082
    assert "Traceback" not in r.stderr
    assert "the input folder seeds does not exist" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    p = _run([sys.executable, "-m", "pipeline", "run", "--input-dir", "nowhere"], tmp_path)
    assert p.returncode != 0 and "Traceback" not in p.stderr and "nowhere" in p.stderr
