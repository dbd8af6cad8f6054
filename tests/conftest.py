import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def corpus35(tmp_path, fixtures):
    """35 real documents (seeds and dev) in a folder of their own."""
    src = tmp_path / "in"
    src.mkdir()
    for p in sorted((fixtures / "seeds").glob("*.txt")) + sorted((fixtures / "dev" / "raw").glob("*.txt")):
        shutil.copy(p, src / p.name)
    return src


def run_cleanall(input_dir, output_dir, *extra, check=True, env=None):
    """The real command a user types, from the repo root."""
    cmd = [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll",
           "--input-dir", str(input_dir), "--output-dir", str(output_dir), *extra]
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=e, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"CleanAll failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


PUBLISHED = ("manifest.jsonl", "clean.jsonl", "dataset", "summary.json", "report.html", "clean", "extracted", "index")


def published(out, index=True):
    """Every published output under ``out`` as {relative path: bytes}, read through the
    published names as a user would (they are links into the current generation)."""
    files = {}
    for name in PUBLISHED:
        if name == "index" and not index:
            continue
        top = os.path.join(out, name)
        if os.path.isfile(top):
            with open(top, "rb") as f:
                files[name] = f.read()
            continue
        for folder, dirs, names in os.walk(top):  # os.walk follows the top link, not links below it
            dirs.sort()
            for n in sorted(names):
                p = os.path.join(folder, n)
                with open(p, "rb") as f:
                    files[os.path.relpath(p, out)] = f.read()
    return files
