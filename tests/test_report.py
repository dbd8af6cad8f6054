"""The report, looked at as a person would: in a real headless browser."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_cleanall
from pngrows import read_png, text_bands

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
        assert re.search(rf"<td><(a|span) [^>]*>{re.escape(r['id'])}</(a|span)></td>", dom)

    shot = Path(os.environ.get("PIPELINE_SCREENSHOT_DIR", tmp_path)) / "report.png"
    _chromium(f"--screenshot={shot}", "--window-size=1300,2400", report.as_uri(), tmp=tmp_path / "profile2")
    assert shot.exists() and shot.stat().st_size > 20_000


LINES = [
    "Hội nghị tổng kết công tác năm của ngành giáo dục tỉnh",
    "Sáng nay, sở giáo dục tổ chức hội nghị tổng kết năm học.",
    "Nhiều trường học đã hoàn thành tốt các chỉ tiêu đề ra.",
    "Tỷ lệ học sinh tốt nghiệp tăng so với năm trước đó.",
    "Giáo viên được tập huấn về phương pháp giảng dạy mới.",
    "Các địa phương tiếp tục đầu tư xây dựng trường lớp học.",
    "Toàn cảnh hội nghị tổng kết. (Ảnh: Minh Anh)",
    "Sở sẽ tiếp tục đổi mới công tác quản lý trong năm tới.",
    "Ngành đặt mục tiêu nâng cao chất lượng giáo dục toàn diện.",
    "Hội nghị cũng khen thưởng các tập thể và cá nhân xuất sắc.",
]


def _view_bands(out: Path, doc_id: str, tmp: Path, name: str) -> list[tuple[int, int]]:
    """Screenshot this document's side-by-side view, exactly as the report marks it up, and
    return the text bands of its raw (left) panel."""
    from pipeline.report import anchor

    page = (out / "report.html").read_text(encoding="utf-8")
    css = re.search(r"<style>.*?</style>", page, re.S).group(0)
    view = re.search(rf'<details id="{anchor(doc_id)}".*?</details>', page, re.S).group(0)
    view = view.replace("<details ", "<details open ", 1)
    html_path = tmp / f"{name}.html"
    html_path.write_text(f'<!doctype html><html><head><meta charset="utf-8">{css}</head><body>{view}</body></html>',
                         encoding="utf-8")
    shot = Path(os.environ.get("PIPELINE_SCREENSHOT_DIR", tmp)) / f"{name}.png"
    _chromium(f"--screenshot={shot}", "--window-size=1300,600", html_path.as_uri(), tmp=tmp / f"profile-{name}")
    img = read_png(shot)
    return text_bands(img, 40, img.shape[1] // 2 - 10)


def test_a_crlf_document_shows_no_blank_line_that_is_not_in_the_file(tmp_path):
    """Each \\r of a CRLF file is removed by an edit; the page must show it as a mark, not as
    the line break a browser makes of a \\r in a <pre>."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "crlf.txt").write_bytes("\r\n".join(LINES).encode("utf-8") + b"\r\n")
    (src / "lf.txt").write_bytes("\n".join(LINES).encode("utf-8").replace(b"Minh Anh", b"Minh Hoa") + b"\n")
    out = tmp_path / "out"
    run_cleanall(src, out)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "\r" not in page and '<span class="mark" title="U+000D">CR</span>' in page

    crlf = _view_bands(out, "crlf", tmp_path, "crlf")
    lf = _view_bands(out, "lf", tmp_path, "lf")
    # the summary line, then one band per line of the file: no band (and no gap) for a blank line
    assert len(crlf) == len(LINES) + 1 == len(lf)
    tops = [top for top, _ in crlf[1:]]
    pitches = [b - a for a, b in zip(tops, tops[1:])]
    assert max(pitches) < 1.5 * min(pitches)
    assert [b - a for a, b in crlf[1:]] == [b - a for a, b in lf[1:]]  # the same lines, the same heights
