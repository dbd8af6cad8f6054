"""The report, looked at as a person would: in a real headless browser."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_cleanall

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    not CHROMIUM and not os.environ.get("PIPELINE_REQUIRE_BROWSER"),
    reason="no chromium on this machine (.ci/run installs Debian's chromium and requires this test)",
)

EVIL = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"


def _chromium(*args, tmp):
    cmd = [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp}", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_shows_the_totals_and_runs_no_document_text(fixtures, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(fixtures / "seeds", src)
    (src / "evil.txt").write_text(f"Tiêu đề có mã độc\n\n{EVIL} Đoạn văn bản bình thường của bài viết này.\n", encoding="utf-8")
    out = tmp_path / "out"
    run_cleanall(src, out)
    report = out / "report.html"
    page = report.read_text(encoding="utf-8")
    assert "<script>document.title" not in page and "&lt;script&gt;" in page
    assert not re.search(r"<(script|link|img|iframe|object|embed)[^>]*\b(src|href)\s*=", page, re.I)  # nothing loads

    dom = _chromium("--dump-dom", report.as_uri(), tmp=tmp_path / "profile1").stdout
    assert "<title>Cleaning report" in dom and "PWNED</title>" not in dom
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom  # shown as text
    recs = [json.loads(l) for l in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    totals = {k: int(re.search(rf'id="total-{k}"><b>([\d,]+)</b>', dom).group(1).replace(",", ""))
              for k in ("documents", "ok", "duplicate", "rejected")}
    assert totals == {"documents": len(recs), "ok": sum(r["status"] == "ok" for r in recs),
                      "duplicate": sum(r["status"] == "duplicate" for r in recs),
                      "rejected": sum(r["status"] == "rejected" for r in recs)}
    for r in recs:
        assert f"<td>{r['id']}</td>" in dom

    shot = Path(os.environ.get("PIPELINE_SCREENSHOT_DIR", tmp_path)) / "report.png"
    _chromium(f"--screenshot={shot}", "--window-size=1300,2400", report.as_uri(), tmp=tmp_path / "profile2")
    assert shot.exists() and shot.stat().st_size > 20_000
