"""HTML pages and WARC archives: trafilatura first, then the same cleaning."""
import gzip
import io
import json
import shutil

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import run_cleanall
from pipeline.documents import Edit, check_invariant

VNE = "fundus__vnexpress__2025_10_22"


def _records(out):
    return {r["id"]: r for r in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}


def test_news_page_comes_out_whole_and_clean(fixtures, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(fixtures / "html" / f"{VNE}.html", src)
    (src / "page.html.gz").write_bytes(gzip.compress((fixtures / "html" / f"{VNE}.html").read_bytes()))
    out = tmp_path / "out"
    run_cleanall(src, out)
    recs = _records(out)
    rec = recs[VNE]
    assert rec["input"] == "html" and rec["status"] == "ok" and rec["raw_path"] == f"extracted/{VNE}.txt"
    assert rec["metadata"]["date"] == "2025-10-22" and rec["metadata"]["title"].startswith("Đau bụng kéo dài")
    raw = (out / rec["raw_path"]).read_bytes().decode("utf-8")
    clean = (out / "clean" / f"{VNE}.txt").read_text(encoding="utf-8")
    check_invariant(raw, [Edit.from_json(e) for e in rec["edits"]], clean)
    expected = json.loads((fixtures / "html" / f"{VNE}.expected.json").read_text(encoding="utf-8"))["V1"]
    lines = clean.split("\n")
    assert lines[0] == expected["title"]
    assert expected["body"]["summary"][0] in clean  # the standfirst, outside <article> on the page
    for para in (p for s in expected["body"]["sections"] for p in s["paragraphs"]):
        if "Ảnh:" in para:
            assert para not in clean  # the photo caption goes
        else:
            assert para in clean  # every body paragraph stays, whole
    assert "Lê Phương" not in clean  # the author line goes (into metadata)
    assert recs["page"]["status"] == "duplicate"  # the same page again


def _warc(records) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for uri, ctype, payload in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(payload), http_headers=headers))
    return buf.getvalue()


def test_warc_gives_one_document_per_html_response(fixtures, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    dantri = next((fixtures / "html").glob("dantri__*.html")).read_bytes()
    vne = (fixtures / "html" / f"{VNE}.html").read_bytes()
    (src / "crawl.warc.gz").write_bytes(_warc([
        ("https://example.vn/a", "text/html; charset=utf-8", dantri),
        ("https://example.vn/robots.txt", "text/plain", b"User-agent: *"),
        ("https://example.vn/b", "text/html", vne),
        ("https://example.vn/empty", "text/html", b"<html><body></body></html>"),
    ]))
    (src / "broken.warc").write_bytes(b"this is not a warc file at all")
    out = tmp_path / "out"
    run_cleanall(src, out)
    recs = _records(out)
    assert set(recs) == {"crawl/00001", "crawl/00002", "crawl/00003", "broken"}
    assert recs["crawl/00001"]["status"] == "ok" and recs["crawl/00001"]["metadata"]["warc_target_uri"] == "https://example.vn/a"
    assert recs["crawl/00001"]["source"] == "crawl.warc.gz#1"
    assert "Patriot" in (out / "clean" / "crawl" / "00001.txt").read_text(encoding="utf-8")
    assert recs["crawl/00003"]["status"] == "rejected" and "no article text" in recs["crawl/00003"]["error"]
    assert recs["broken"]["status"] == "rejected" and "WARC" in recs["broken"]["error"]


def test_a_page_date_comes_from_its_metadata_never_from_its_text():
    """A copyright year or a period named in the text is no publication date: the earliest
    date decides which of two duplicate pages is kept (found by a newcomer review)."""
    from pipeline.html import extract_html

    body = ("<p>Trong giai đoạn 2015-2020, tỉnh đã đầu tư nhiều dự án giao thông quan trọng cho người dân "
            "địa phương và doanh nghiệp trên địa bàn.</p><p>Các dự án này giúp kết nối vùng, giảm thời gian đi "
            "lại và thúc đẩy phát triển kinh tế - xã hội của cả khu vực.</p>")
    page = f"<html><head><title>Tin A</title></head><body><article><h1>Tin A</h1>{body}</article><footer>Bản quyền © 2025</footer></body></html>"
    assert "date" not in extract_html(page.encode())[2]
    dated = page.replace("<head>", '<head><meta property="article:published_time" content="2017-06-20T08:00:00+07:00">')
    assert extract_html(dated.encode())[2]["date"] == "2017-06-20"
