"""The Python API a notebook uses: ``from pipeline import clean_text``."""
import doctest

import pytest

import pipeline
import pipeline.api
from pipeline import clean_text


def test_clean_text_gives_the_gold_text_and_edits_that_explain_it(fixtures):
    for raw_path in sorted((fixtures / "seeds").glob("*.txt")):
        raw = raw_path.read_text(encoding="utf-8")
        r = clean_text(raw)
        assert r.status == "ok" and r.raw == raw
        assert r.text == (fixtures / "gold" / f"{raw_path.stem}.clean.txt").read_text(encoding="utf-8")
        rebuilt, pos = [], 0  # the edits, applied to the raw text, give the clean text
        for e in r.edits:
            assert raw[e.start : e.end] == e.text and e.reason and e.rule
            rebuilt += [raw[pos : e.start], e.replacement]
            pos = e.end
        assert "".join(rebuilt) + raw[pos:] == r.text
    assert {e.reason for e in clean_text((fixtures / "seeds" / "003_1e4782921429b962.txt").read_text()).edits} >= {
        "caption", "related_news", "player_widget"}


def test_clean_text_says_why_it_rejects_and_what_it_takes():
    r = clean_text("   \n\n")
    assert r.status == "rejected" and r.text == "" and "white space" in r.error
    with pytest.raises(TypeError, match="decode bytes first"):
        clean_text(b"bytes")


def test_the_documented_examples_run():
    assert doctest.testmod(pipeline.api).failed == 0
    assert "clean_text" in pipeline.__all__
