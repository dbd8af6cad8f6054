"""What report.html says, read from the page itself (no browser needed)."""
import json
import re
import shutil

import numpy as np

from conftest import run_cleanall
from pipeline import report as rp


def test_every_non_empty_histogram_bin_shows_with_its_count():
    html = rp._histogram([19135, 407, 125, 1, 0, 0, 0, 0, 0, 3])
    rects = re.findall(r'<rect [^>]*height="(\d+)"', html)
    heights = [int(h) for h in rects]
    assert all(h >= 2 for k, h in enumerate(heights) if k not in (4, 5, 6, 7, 8))
    assert heights[3] > 0 and heights[1] > heights[0] / 2  # log scale: 407 beside 19,135 is no sliver
    assert all(h == 0 for h in heights[4:9])
    for n in ("19,135", "407", "125", ">1<", ">3<"):
        assert n in html


def _cvd_lab(hex_colours):
    """CIE Lab of each colour as seen with normal vision and simulated protanopia, deuteranopia,
    tritanopia (Machado, Oliveira and Fernandes 2009, severity 1)."""
    rgb = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hex_colours]) / 255
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    sims = [np.eye(3),
            [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
            [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
            [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]]
    out = []
    for m in sims:
        c = np.clip(lin @ np.array(m).T, 0, 1)
        xyz = c @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
        xyz = xyz / np.array([0.95047, 1.0, 1.08883])
        f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
        out.append(np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], -1))
    return out


def test_reason_colours_stay_apart_for_colour_blind_readers():
    colours = [c for r, c in rp._COLORS.items() if r != "whitespace"]
    assert len(set(colours)) == len(colours)
    for lab in _cvd_lab(colours):
        d = np.linalg.norm(lab[:, None] - lab[None], axis=2) + np.eye(len(colours)) * 1e9
        assert d.min() >= 15  # CIE76: clearly different side by side


def test_links_most_removed_and_run_details(fixtures, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(fixtures / "seeds", src)
    shutil.copy(src / "003_1e4782921429b962.txt", src / "zz_copy.txt")  # a duplicate of 003
    out = tmp_path / "out"
    run_cleanall(src, out)
    page = (out / "report.html").read_text(encoding="utf-8")
    kept_view = rp.anchor("003_1e4782921429b962")

    assert page.index('id="most-removed"') < page.index('id="docs"')  # the list comes first
    top = re.search(r'<ol class="top" id="most-removed">(.*?)</ol>', page).group(1)
    assert top.count("<li>") == 5 and f'href="#{kept_view}"' in top
    assert "zz_copy" not in top  # a duplicate goes whole by design: it is not news in this list
    # every id in the table links to a view that exists
    for target in re.findall(r'<tr><td><a id="r-[0-9a-f]+" href="#(d-[0-9a-f]+)">', page):
        assert f'<details id="{target}"' in page
    row = re.search(r'<tr><td><(a|span) [^>]*>zz_copy</(a|span)></td>.*?</tr>', page).group(0)
    assert f'<a href="#{kept_view}">003_1e4782921429b962</a>' in row  # the duplicate links to the kept copy
    view = re.search(rf'<details id="{rp.anchor("zz_copy")}".*?</summary>', page).group(0)
    assert f'duplicate of <span class="kept"><a href="#{kept_view}">' in view

    # a kept copy without a view of its own: the link goes to its row in the table
    recs = [json.loads(l) for l in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    partial = tmp_path / "clean-without-003"
    shutil.copytree(out / "clean", partial)
    (partial / "003_1e4782921429b962.txt").unlink()  # no clean text, no view
    small = rp.build_report(rp.report_stats(recs), partial, {})
    assert f'<details id="{kept_view}"' not in small
    row = re.search(r'<tr><td><(a|span) [^>]*>zz_copy</(a|span)></td>.*?</tr>', small).group(0)
    assert f'<a href="#r{kept_view[1:]}">003_1e4782921429b962</a>' in row and f'id="r{kept_view[1:]}"' in small

    run = re.search(r'<p class="run" id="run">(.*?)</p>', page).group(1)
    assert str(src) in run and "6 documents" in run and "settings digest <code>" in run and "pipeline 0.1.0" in run
    assert "languages vi 6" in run and '<th>language</th>' in page

    assert json.loads((out / "summary.json").read_text())["languages"] == {"vi": 6}
    before = (out / "report.html").read_bytes()
    shutil.rmtree(out / "_stages" / "runs")  # the merge runs again and writes the page again
    (out / "report.html").unlink()
    run_cleanall(src, out)
    assert (out / "report.html").read_bytes() == before  # no clock in the page
