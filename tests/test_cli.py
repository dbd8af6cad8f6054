"""The `pipeline` command: diff and stats as a user runs them."""
import shutil
import subprocess
import sys

from conftest import ROOT, run_cleanall


def pipeline(*args):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_diff_stats_and_helpful_errors(fixtures, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(fixtures / "seeds", src)
    out = tmp_path / "out"
    run_cleanall(src, out)
    r = pipeline("diff", "003_1e4782921429b962", "--output-dir", str(out))
    assert r.returncode == 0 and "\x1b[" not in r.stdout  # plain when piped
    assert "-0:00 / 0:00    # player_widget (player_time)" in r.stdout
    assert "# related_news (related_header)" in r.stdout and "+Với chủ đề" in r.stdout
    only = pipeline("diff", "003_1e4782921429b962", "--output-dir", str(out), "--reason", "caption").stdout
    tagged = [l for l in only.splitlines() if "    # " in l]
    assert tagged and all("caption" in l for l in tagged)
    assert "\x1b[" in pipeline("diff", "003_1e4782921429b962", "--output-dir", str(out), "--color", "always").stdout

    s = pipeline("stats", "--output-dir", str(out))
    assert s.returncode == 0 and "5 kept" in s.stdout and "related_news" in s.stdout

    bad = pipeline("diff", "003_1e4782921429b96", "--output-dir", str(out))
    assert bad.returncode == 2 and "Did you mean: 003_1e4782921429b962" in bad.stderr
    missing = pipeline("stats", "--output-dir", str(tmp_path / "nowhere"))
    assert missing.returncode != 0 and "Run the cleaning first" in missing.stderr
    assert "diff" in pipeline("--help").stdout
