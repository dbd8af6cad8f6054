import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def run_cleanall(input_dir, output_dir, *extra, check=True, env=None):
    """The real command a user types, from the repo root."""
    cmd = [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll",
           "--input-dir", str(input_dir), "--output-dir", str(output_dir), *extra]
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=e, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"CleanAll failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r
