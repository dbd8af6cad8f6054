"""Decoding and repair: legacy files decode to their UTF-8 twins; correct text passes untouched."""
import unicodedata

import pytest

from pipeline.chain import repair_document
from pipeline.documents import check_invariant
from pipeline.encoding import NotText, decode, repair_ops
from pipeline.readers import read_bytes_document


def _read(fixtures, name):
    return (fixtures / "legacy" / name).read_bytes()


@pytest.mark.parametrize("name,twin,encoding", [
    ("demo1.tcvn3.txt", "demo1.expected.utf8.txt", "tcvn3"),
    ("wiki.viscii.txt", "wiki.utf8.txt", "viscii"),
    ("wiki.cp1258.txt", "wiki.utf8.txt", "windows-1258"),
])
def test_legacy_encodings_decode_to_their_utf8_twin(fixtures, name, twin, encoding):
    d = decode(_read(fixtures, name))
    assert d.encoding == encoding
    assert d.text == _read(fixtures, twin).decode("utf-8")


def test_utf16_with_and_without_bom(fixtures):
    with_bom = decode(_read(fixtures, "vntc__test__Chinh_tri_Xa_hoi__XH_VNE_T__9122.utf16le.txt"))
    assert with_bom.encoding == "utf-16-le with BOM" and with_bom.text.startswith("Đông Anh")
    no_bom = decode(_read(fixtures, "demo1.utf16le.txt"))
    assert no_bom.encoding == "utf-16-le (no BOM)"
    # VNTC ships CRLF: repair turns it into LF, one explained edit per line end
    doc = repair_document(read_bytes_document("x", _read(fixtures, "demo1.utf16le.txt")))
    assert "\r" not in doc.text
    assert doc.text == _read(fixtures, "demo1.expected.utf8.txt").decode("utf-8").replace("\r\n", "\n")
    assert {e.rule for e in doc.edits} == {"crlf"}


def test_correct_vietnamese_passes_byte_identical(fixtures):
    """Every seed and dev text (correct UTF-8 Vietnamese) gets no encoding edit at all."""
    paths = sorted((fixtures / "seeds").glob("*.txt")) + sorted((fixtures / "dev" / "raw").glob("*.txt"))
    for p in paths:
        text = p.read_text(encoding="utf-8")
        ops = [o for o in repair_ops(text) if o.reason == "encoding"]
        assert ops == [], p.name


def test_content_characters_are_not_rewritten():
    text = "“Đây là ‘bước ngoặt’” – ＧＲＤＰ ７％, ﬁnal… \u200c"
    assert [o for o in repair_ops(text) if o.reason == "encoding"] == []


def test_mojibake_is_repaired_and_explained():
    good = "Tỉnh Lạng Sơn đã thực hiện"
    raw = "Dòng đúng.\n" + good.encode("utf-8").decode("latin-1") + "\n" + good.encode("utf-8").decode("cp1252", "replace")
    doc = repair_document(read_bytes_document("x", raw.encode("utf-8")))
    lines = doc.text.split("\n")
    assert lines[0] == "Dòng đúng." and lines[1] == good
    plans = [e.extra["ftfy"] for e in doc.edits if e.rule == "ftfy"]
    assert ["encode", "latin-1"] in plans[0]
    check_invariant(doc.raw, doc.edits, doc.text)


def test_nfd_and_odd_spaces_are_normalised():
    raw = unicodedata.normalize("NFD", "Việt Nam") + "\u00a0có\u200b"
    doc = repair_document(read_bytes_document("x", raw.encode("utf-8")))
    assert doc.text == "Việt Nam có"
    assert {e.rule for e in doc.edits} == {"nfc", "odd_space", "zero_width"}


@pytest.mark.parametrize("data,words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
    (b"\x00\x01\x02\x03\xff\xfe\x00\x10" * 50, "binary"),
    (b"", "empty"),
])
def test_binary_and_empty_inputs_are_rejected_with_a_reason(data, words):
    with pytest.raises(NotText, match=words):
        decode(data)


@pytest.mark.parametrize("controls", ["\x01\x02\x1b\x7f", "\x85\x90\x9f\x81"])  # C0 and DEL; C1 (C2 xx in UTF-8)
@pytest.mark.parametrize("repeat", [40, 8000])  # under and over the 64K characters that are sampled
def test_valid_utf8_full_of_control_characters_is_binary(controls, repeat):
    data = ("Hà Nội " + controls).encode("utf-8") * repeat
    with pytest.raises(NotText, match="control characters"):
        decode(data)
    # a few of them in real text are no reason to refuse it (one in 30 characters here)
    text = ("Hà Nội là thủ đô của Việt Nam." + controls[0]) * repeat
    assert decode(text.encode("utf-8")).text == text


def test_only_the_first_64k_characters_are_sampled_for_control_characters():
    clean_start = "Hà Nội là thủ đô của Việt Nam. " * 2200  # 66,000 characters
    assert decode((clean_start + "\x01" * 10000).encode("utf-8")).text.startswith("Hà Nội")
    with pytest.raises(NotText, match="control characters"):  # the same controls within the sample
        decode(("\x01" * 10000 + clean_start).encode("utf-8"))


def test_a_few_bad_bytes_in_utf8_are_replaced_not_misdecoded():
    data = "Hà Nội là thủ đô của Việt Nam. ".encode("utf-8") * 20 + b"\xff\xfe" + "Kết thúc.".encode("utf-8")
    d = decode(data)
    assert d.encoding.startswith("utf-8 (") and "Kết thúc." in d.text
