"""Cleaning quality, measured the way the project is judged (fixtures/score.py)."""
import re
import subprocess
import sys

from pipeline.chain import clean_document
from pipeline.readers import read_bytes_document


def _clean_folder(src, dst):
    dst.mkdir()
    for p in sorted(src.glob("*.txt")):
        doc = clean_document(read_bytes_document(p.stem, p.read_bytes()))
        (dst / p.name).write_text(doc.text if doc.status != "rejected" else "", encoding="utf-8")


def _score(fixtures, labels, clean):
    r = subprocess.run([sys.executable, str(fixtures / "score.py"), str(labels), str(clean)],
                       capture_output=True, text=True, check=True)
    m = re.search(r"precision ([\d.]+) recall ([\d.]+) exact ([\d.]+)", r.stdout)
    return tuple(float(x) for x in m.groups()), r.stdout


def test_seeds_match_the_gold_exactly(fixtures, tmp_path):
    _clean_folder(fixtures / "seeds", tmp_path / "out")
    for p in sorted((fixtures / "gold").glob("*.clean.txt")):
        name = p.name[: -len(".clean.txt")]
        assert (tmp_path / "out" / f"{name}.txt").read_text(encoding="utf-8") == p.read_text(encoding="utf-8"), name


def test_dev_set_precision_and_recall(fixtures, tmp_path):
    _clean_folder(fixtures / "dev" / "raw", tmp_path / "out")
    (precision, recall, _), report = _score(fixtures, fixtures / "dev" / "labels", tmp_path / "out")
    assert precision >= 0.99, report
    assert recall >= 0.95, report
