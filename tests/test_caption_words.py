"""The caption-words rule: an uncredited caption found by its words, learned without labels.

Off in the shipped pack (it costs official news a body line now and then); a pack turns it on
with ``[caption] words_model``. The fixture is a VFND article whose captions carry no credit.
"""
import json
from pathlib import Path

import pytest

from pipeline.api import clean_text
from pipeline.learn.caption_words import MODEL_PATH, CaptionWords, fit
from pipeline.rules.engine import PACK_DIR, PackError, load_pack

FIX = Path(__file__).parent / "fixtures" / "captions"
DOC = (FIX / "vfnd__real__VFND_Ac_Real_110.txt").read_text(encoding="utf-8")
CAPTION = "Hai đối tượng tại cơ quan điều tra."


def _pack_with(tmp_path: Path, line: str, name: str = "vi-captions") -> str:
    """A copy of the shipped pack with ``line`` (packs are cached by path: one name, one text)."""
    text = (PACK_DIR / "vi.toml").read_text(encoding="utf-8").replace('words_model = ""', line)
    assert line in text
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_shipped_pack_keeps_the_uncredited_caption():
    assert load_pack("vi").caption["words_model"] == ""
    assert CAPTION in clean_text(DOC, pack="vi").text.splitlines()


def test_turned_on_it_removes_the_caption_and_names_itself(tmp_path):
    cleaned = clean_text(DOC, pack=_pack_with(tmp_path, 'words_model = "vi_caption_words"'))
    cuts = [e for e in cleaned.edits if e.rule == "caption_words"]
    assert CAPTION not in cleaned.text.splitlines()
    assert [e.text.strip() for e in cuts] == [CAPTION]
    assert cuts[0].reason == "caption" and cuts[0].extra["score"] >= 0.42
    # what the annotators kept stays: every body paragraph of the labelled document
    kept = [json.loads(x)["text"] for x in (FIX / "vfnd__real__VFND_Ac_Real_110.labels.jsonl").read_text(
        encoding="utf-8").splitlines() if json.loads(x)["action"] == "keep"]
    assert all(k in cleaned.text for k in kept)


def test_not_where_the_captions_carry_credits(tmp_path):
    credited = DOC.replace("Tang vật bị cơ quan công an thu giữ", "Tang vật bị cơ quan công an thu giữ. Ảnh: CA")
    cleaned = clean_text(credited, pack=_pack_with(tmp_path, 'words_model = "vi_caption_words"'))
    assert CAPTION in cleaned.text.splitlines()
    assert not [e for e in cleaned.edits if e.rule == "caption_words"]


def test_a_missing_model_is_named_when_the_pack_loads(tmp_path):
    with pytest.raises(PackError, match="words_model = 'nowhere'"):
        load_pack(_pack_with(tmp_path, 'words_model = "nowhere"'))


def test_scores_read_a_caption_above_a_story_sentence():
    model = CaptionWords.load(MODEL_PATH)
    assert model.score(CAPTION) > 0.42 > model.score(
        "Qua giám định, chất bột màu trắng là heroin, nặng 350 gram và hai gói tinh thể màu trắng là ma tuý đá.")


def test_training_twice_gives_identical_bytes(tmp_path):
    lines = [json.loads(x) for x in (FIX / "vfnd__real__VFND_Ac_Real_110.labels.jsonl").read_text(
        encoding="utf-8").splitlines()]
    texts = [r["text"] for r in lines] * 3
    labels = [int(r["reason"] == "caption") for r in lines] * 3
    a, b = fit(texts, labels, meta={"test": 1}), fit(texts, labels, meta={"test": 1})
    assert a.to_json() == b.to_json()
    a.save(tmp_path / "m.json")
    again = CaptionWords.load(tmp_path / "m.json")
    assert again.to_json() == a.to_json()
    assert again.score(CAPTION) > again.score(lines[1]["text"])  # it learned the fixture's captions


def test_a_credit_alone_on_its_line_also_marks_a_credited_document(tmp_path):
    credited = DOC.replace("Tang vật bị cơ quan công an thu giữ\n", "Tang vật bị cơ quan công an thu giữ\nẢnh: CA\n")
    assert credited != DOC
    cleaned = clean_text(credited, pack=_pack_with(tmp_path, 'words_model = "vi_caption_words"'))
    assert CAPTION in cleaned.text.splitlines()


def test_a_model_path_is_read_from_the_pack_folder_and_a_broken_one_refused(tmp_path, monkeypatch):
    (tmp_path / "m.json").write_bytes(MODEL_PATH.read_bytes())
    pack = _pack_with(tmp_path, 'words_model = "m.json"')
    monkeypatch.chdir("/")
    assert CAPTION not in clean_text(DOC, pack=pack).text.splitlines()
    for k, bad in enumerate(("not json", json.dumps({**json.loads(MODEL_PATH.read_text()), "weights_f16": "AAAA"}))):
        (tmp_path / f"bad{k}.json").write_text(bad)
        with pytest.raises(PackError, match="not a usable caption-words model"):
            load_pack(_pack_with(tmp_path, f'words_model = "bad{k}.json"', f"bad{k}"))
