"""The line model as data: trained deterministically, named in the manifest, and the pack
that configures it validated when loaded."""
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.chain import clean_document
from pipeline.learn.labelled import find_labelled
from pipeline.learn.linemodel import LineModel, RULE_ID
from pipeline.learn.train import train_line_model
from pipeline.readers import read_bytes_document
from pipeline.rules.engine import PackError, load_pack

FIX = Path(__file__).parent / "fixtures"
PACK = load_pack("vi")


def _train() -> LineModel:
    docs = find_labelled([(FIX / "seeds", FIX / "gold"), (FIX / "dev/raw", FIX / "dev/labels")])
    return train_line_model(docs, PACK, PACK.model["max_words"], frozenset(PACK.model["soft_rules"]), folds=3)


@pytest.fixture(scope="module")
def model() -> LineModel:
    return _train()


def test_training_twice_gives_identical_bytes(model):
    assert _train().to_json() == model.to_json()
    assert model.meta["documents"] == 5 + len(list((FIX / "dev/labels").glob("*.labels.jsonl")))


def test_saved_model_loads_back(model, tmp_path):
    path = tmp_path / "m.json"
    model.save(path)
    again = LineModel.load(path)
    assert again.to_json() == model.to_json()
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not a line-model"):
        LineModel.load(tmp_path / "bad.json")


SEED = FIX / "seeds" / "000_aab61c460ed40d52.txt"


def test_a_model_removal_is_an_edit_naming_the_model_and_its_probability(model, tmp_path):
    eager = replace(model, threshold=0.0, veto=0.0)  # removes every line it judges
    path = tmp_path / "eager.json"
    eager.save(path)
    doc = clean_document(read_bytes_document(SEED.stem, SEED.read_bytes()), line_model=str(path))
    by_model = [e for e in doc.edits if e.rule == RULE_ID]
    assert by_model, "the model judged no line"
    for e in by_model:
        assert 0.0 <= e.extra["score"] <= 1.0
        assert e.reason in eager.reasons
    plain = clean_document(read_bytes_document(SEED.stem, SEED.read_bytes()), line_model="none")
    assert len(doc.text) < len(plain.text)


def test_a_low_probability_overrules_a_soft_rule(model, tmp_path):
    text = ("Khánh thành cầu mới nối hai bờ sông\n\n" + "Người dân trong vùng đã chờ đợi cây cầu này suốt nhiều năm qua, "
            "và hôm nay họ đã có thể đi lại dễ dàng hơn bao giờ hết giữa hai bờ sông Hồng rộng lớn. " * 2 + "\n\n"
            "Cây cầu mới được thắp sáng rực rỡ trong đêm khánh thành hôm thứ bảy vừa qua ở tỉnh nhà\n\n"
            + "Chính quyền địa phương cho biết tổng vốn đầu tư của dự án lên tới hàng trăm tỷ đồng, "
            "được huy động từ ngân sách và các nguồn vốn hợp pháp khác trong nhiều năm. " * 2)
    rules = clean_document(read_bytes_document("t", text.encode()), line_model="none")
    assert any(e.rule == "between_paragraphs" for e in rules.edits)  # the soft rule's guess
    path = tmp_path / "vetoing.json"
    replace(model, threshold=1.01, veto=1.01).save(path)  # every soft verdict overruled
    vetoed = clean_document(read_bytes_document("t", text.encode()), line_model=str(path))
    assert "thắp sáng rực rỡ" in vetoed.text
    assert not any(e.rule == "between_paragraphs" for e in vetoed.edits)


@pytest.mark.parametrize("toml, message", [
    ('[caption]\nrestate = 0.8\n', "unknown key 'restate' in \\[caption\\]"),
    ('[pack]\nlong_paragraph_words = "thirty"\n', "long_paragraph_words = 'thirty' has the wrong type"),
    ('[[line]]\nid = "x"\nreason = "promo"\n', "'x' has no 'pattern'"),
    ('[[inline]]\nid = "y"\nreason = "promo"\npattern = "a"\nwhere = "middle"\n', "where = 'middle' is not one of"),
    ('[[line]]\nid = "z"\nreason = "promo"\npattern = "(unclosed"\n', "z: the pattern does not compile"),
    ('[captions]\n', "unknown section \\[captions\\]"),
    # a global flag compiles alone but not where the engine joins the patterns into one
    ("[[line]]\nid = \"g\"\nreason = \"promo\"\npattern = '(?i)mời bạn'\n", "g: the pattern does not compile .*ignore_case"),
])
def test_a_broken_pack_is_refused_naming_the_key(tmp_path, toml, message):
    path = tmp_path / "pack.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(PackError, match=message):
        load_pack(str(path))


def test_the_shipped_pack_sets_every_caption_threshold_itself():
    import tomllib

    from pipeline.rules.engine import PACK_DIR, PACK_SCHEMA

    cfg = tomllib.loads((PACK_DIR / "vi.toml").read_text(encoding="utf-8"))
    numeric = [k for k, (kind, _) in PACK_SCHEMA["caption"].items() if kind is not str and kind is not list]
    assert sorted(numeric) == sorted(k for k in cfg["caption"] if k in numeric)


def test_explain_names_the_features_that_weighed_most(model, tmp_path, capsys):
    from pipeline.cli import main

    path = tmp_path / "eager.json"
    replace(model, threshold=0.0, veto=0.0).save(path)
    assert main(["clean", str(SEED), "--explain", "--line-model", str(path)]) == 0
    err = capsys.readouterr().err
    decisions = [ln for ln in err.splitlines() if "(line_model p=" in ln]
    assert decisions
    assert err.count("#     weighed most: ") == len(decisions)
