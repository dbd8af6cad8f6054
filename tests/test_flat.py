"""Flattened articles: the sentence splitter, the segment rules, the cuts as edits, the model."""
from pathlib import Path

import pytest

from pipeline.chain import clean_document
from pipeline.documents import check_invariant
from pipeline.readers import read_bytes_document
from pipeline.rules import load_pack
from pipeline.rules.sentences import split

FIX = Path(__file__).parent / "fixtures" / "flat"
CFG = load_pack("vi").flat.splitter


def sentences(text):
    return [text[s.start:s.end] for s in split(text, CFG)]


@pytest.mark.parametrize("text, expected", [
    # abbreviations, initials and numbers never end a sentence
    ("Công ty TNHH MTV Thoát nước đô thị TP. Hồ Chí Minh về việc sử dụng nguồn vốn. Bộ trả lời.",
     ["Công ty TNHH MTV Thoát nước đô thị TP. Hồ Chí Minh về việc sử dụng nguồn vốn.", "Bộ trả lời."]),
    ("Theo PGS.TS. Nguyễn Văn A, giá là 3.950.000 đồng. Mức tăng 2.5% từ 20.12 tại TP.HCM và Q.1 vẫn thấp.",
     ["Theo PGS.TS. Nguyễn Văn A, giá là 3.950.000 đồng.", "Mức tăng 2.5% từ 20.12 tại TP.HCM và Q.1 vẫn thấp."]),
    ("Ông N.K. Lâm cho biết. Th.S Lê Hà nói thêm.", ["Ông N.K. Lâm cho biết.", "Th.S Lê Hà nói thêm."]),
    # an ellipsis followed by lower case goes on; quotes close a sentence
    ("Khóa, đá bình an, đồ trang sức... thì vào dịp lễ hội. “Cuối cùng ngày này cũng tới.” Ông nói.",
     ["Khóa, đá bình an, đồ trang sức... thì vào dịp lễ hội.", "“Cuối cùng ngày này cũng tới.”", "Ông nói."]),
    # a credit in brackets and a link in brackets are segments of their own; ./. ends a sentence
    ("Tổng thống Colombia Juan Manuel Santos - giữa. (Ảnh: EPA/TTXVN) Ngày 19/6, cơ quan này thông báo. "
     "[Tổng thống Colombia họp hội đồng an ninh quốc gia sau vụ đánh bom] Chưa có tổ chức nào nhận./. Hết",
     ["Tổng thống Colombia Juan Manuel Santos - giữa.", "(Ảnh: EPA/TTXVN)", "Ngày 19/6, cơ quan này thông báo.",
      "[Tổng thống Colombia họp hội đồng an ninh quốc gia sau vụ đánh bom]", "Chưa có tổ chức nào nhận./.", "Hết"]),
    ("Đối tượng Mai Văn Ngọc tại cơ quan Công an (Ảnh: Công an cung cấp). Ngày 25/5, thông tin cho biết.",
     ["Đối tượng Mai Văn Ngọc tại cơ quan Công an", "(Ảnh: Công an cung cấp).", "Ngày 25/5, thông tin cho biết."]),
    # a caption without a stop glued to the next sentence: a soft boundary; a name goes on
    # (a capital opens one only when the text also writes that word in lower case: ``bắt``)
    ("Biểu cảm của Bích Phương khiến cư dân mạng đảo điên Bắt đầu vào showbiz, cô bắt tay ông Hưng đang vẽ.",
     ["Biểu cảm của Bích Phương khiến cư dân mạng đảo điên", "Bắt đầu vào showbiz, cô bắt tay ông Hưng đang vẽ."]),
    ("Ca sĩ nổi tiếng của làng nhạc sao Việt nổi tiếng khắp nơi.", ["Ca sĩ nổi tiếng của làng nhạc sao Việt nổi tiếng khắp nơi."]),
])
def test_split(text, expected):
    assert sentences(text) == expected


def test_split_offsets_are_exact():
    text = "  Câu một.   Câu hai!  (Ảnh: AFP)  Câu ba ...  "
    for s in split(text, CFG):
        assert text[s.start:s.end] == text[s.start:s.end].strip() != ""


BODY = ("Ngày 19/6, Cơ quan Bảo vệ nhân dân Colombia thông báo hai công dân Hà Lan đã bị bắt cóc hai ngày trước tại vùng "
        "biên giới Catatumbo, nơi có nhiều nhóm vũ trang hoạt động bất hợp pháp. Theo phóng viên TTXVN tại khu vực Nam Mỹ, "
        "Catatumbo là khu vực mà lực lượng vũ trang đang giải giáp vũ khí. ")


def clean(text):
    doc = clean_document(read_bytes_document("t", text.encode("utf-8")))
    check_invariant(doc.raw, doc.edits, doc.edited().text)
    return doc


def test_flat_line_cuts_caption_link_tail_and_keeps_the_story():
    line = ("Tổng thống Colombia Juan Manuel Santos - giữa. (Ảnh: EPA/TTXVN) " + BODY +
            "[Tổng thống Colombia họp hội đồng an ninh quốc gia sau vụ đánh bom] Chưa có tổ chức nào đứng ra nhận "
            "trách nhiệm về việc bắt cóc hai công dân Hà Lan nói trên./. Trung Hiếu (TTXVN) ")
    doc = clean("Hai công dân Hà Lan bị bắt cóc\nTheo cơ quan này, hai người bị bắt cóc ở biên giới.\n" + line)
    out = doc.edited().text.split("\n")[2]
    assert out == BODY + "Chưa có tổ chức nào đứng ra nhận trách nhiệm về việc bắt cóc hai công dân Hà Lan nói trên."
    cuts = [(e.text.strip(), e.reason, e.rule) for e in doc.edits if e.reason not in ("whitespace", "encoding")]
    # the caption sentence and its credit are one piece (the labelling policy)
    assert ("Tổng thống Colombia Juan Manuel Santos - giữa. (Ảnh: EPA/TTXVN)", "caption", "credit_caption") in cuts
    assert ("[Tổng thống Colombia họp hội đồng an ninh quốc gia sau vụ đánh bom]", "related_news", "bracket_link") in cuts
    assert ("/.", "end_marker", "end_mark") in cuts
    assert ("Trung Hiếu", "byline", "tail_byline") in cuts
    assert ("(TTXVN)", "source_line", "tail_byline") in cuts


def test_a_caption_partly_out_of_sight_is_kept_and_a_final_source_is_no_credit():
    """A caption pull never starts inside a sentence (``... "chào hỏi" tân Tổng thống Hàn Quốc.
    Ảnh: Getty``: only the credit goes), and ``Nguồn: ...`` ending the article is its source,
    not a photo credit whose caption would be the story's last sentence."""
    long = ("Chỉ vài ngày sau lễ nhậm chức, tổng cộng ba quả tên lửa đã được phóng thử từ bờ biển phía đông trong "
            "khi các nước láng giềng theo dõi sát sao và lên tiếng phản đối, Triều Tiên lại vừa phóng tên lửa "
            "chào hỏi tân Tổng thống Hàn Quốc.")
    line = (BODY + long + " Ảnh: Getty " + BODY
            + "Nhưng cả hai đều được đại diện bởi Mendes, người sẽ thúc đẩy việc tạo ra hòa bình. "
            + "Nguồn: Báo Đất Việt Gia Bảo | 05:58 20/06/2017 ")
    doc = clean("Tiêu đề bài báo\nMở đầu bài viết ở đây.\n" + line)
    out = doc.edited().text.split("\n")[2]
    assert long in out and "Getty" not in out
    assert out.endswith("tạo ra hòa bình.") and "Nguồn" not in out


def test_long_sentence_before_a_credit_keeps_the_sentence():
    long = ("Hành khách xếp hàng rất dài từ sáng sớm ở nhà ga để mua vé tàu giá rẻ nhưng cuối cùng thất vọng khi biết rằng "
            "vé tàu mười nghìn đồng chỉ được bán ngẫu nhiên cho những người may mắn trong hệ thống đặt vé trực tuyến của "
            "ngành đường sắt suốt nhiều tuần qua.")
    doc = clean("Vé tàu giá rẻ\nMở đầu bài viết ở đây.\n" + BODY + long + " (Ảnh: Lao động) " + BODY)
    out = doc.edited().text.split("\n")[2]
    assert long + " " + BODY.strip() in out and "Ảnh" not in out
    assert any(e.reason == "caption_credit" and e.text.strip() == "(Ảnh: Lao động)" for e in doc.edits)


def test_a_line_ending_in_a_credit_is_not_dropped_whole():
    """baomoi__22257446: the body ended in ``Video: ..., Theo Trí Thức Trẻ`` and went as a caption."""
    text = ("TRỰC TIẾP West Brom 0-0 Chelsea: Chủ nhà chống cự\nChỉ cần đánh bại West Brom, thầy trò HLV Conte sẽ vô địch.\n"
            "Đội hình ra sân: West Brom: Foster, Nyom, Evans, McAuley, Dawson, McClean, Fletcher, Livermore, Field, Rondon. "
            "Chelsea: Courtois, Cahill, Luiz, Azpilicueta, Matic, Fabregas, Alonso, Moses, Hazard, Pedro, Costa. Bảo Bảo. "
            "Video: Hoàng Quý, Theo Trí Thức Trẻ ")
    doc = clean(text)
    out = doc.edited().text
    assert "Chelsea: Courtois" in out and "Video" not in out


def test_fixture_documents_keep_the_invariant_and_join_with_one_space():
    for f in sorted((FIX / "raw").glob("*.txt")):
        doc = clean(f.read_text(encoding="utf-8"))
        text = doc.edited().text
        assert text.count("  ") <= doc.raw.count("  "), f.name  # no cut leaves two spaces
        assert len(text) > 0.5 * len(doc.raw)


def test_training_is_deterministic_to_the_byte():
    from pipeline.learn.flat_sentences import labelled_documents, train_sentence_model

    docs = labelled_documents(FIX)
    a = train_sentence_model(docs, rounds=20).to_json()
    b = train_sentence_model(docs, rounds=20).to_json()
    assert a == b
    assert '"positives"' in a


def test_model_cuts_carry_their_probability():
    """With the model on (the pack's ``model = true``, or a bench's override), its cuts are edits
    with ``rule: sentence_model`` and the probability; rules alone, it never runs."""
    from pipeline.rules import flat

    model = flat.load_model()
    assert model is not None
    text = (FIX / "raw" / "baomoi__22269856.txt").read_text(encoding="utf-8")
    try:
        flat._OVERRIDE.update(model=model, threshold=0.05)
        doc = clean(text)
    finally:
        flat._OVERRIDE.clear()
    modelled = [e for e in doc.edits if e.rule == "sentence_model"]
    assert modelled and all(e.extra and 0 <= e.extra["probability"] <= 1 for e in modelled)
    if not load_pack("vi").flat.model:
        assert not any(e.rule == "sentence_model" for e in clean(text).edits)


def test_inline_cuts_are_marked_and_not_counted_as_lines():
    from pipeline.provenance import Totals

    doc = clean((FIX / "raw" / "baomoi__22567910.txt").read_text(encoding="utf-8"))
    flat_edits = [e for e in doc.edits if e.extra and e.extra.get("inline")]
    assert flat_edits and all("\n" not in e.text for e in flat_edits)
    t = Totals()
    t.add({"status": "ok", "edits": [e.to_json() for e in flat_edits]})
    assert not t.lines and t.chars["caption"] > 0


def test_a_credit_ending_the_article_takes_no_sentence_with_it():
    """``... đình đám này. Photo : Bobby Nguyễn`` at the very end credits the article's photos."""
    last = "Đồng thời, cô cũng sẽ có nhiều hoạt động hưởng ứng cho sự kiện thể thao đình đám này."
    doc = clean("Tiêu đề bài báo\nMở đầu bài viết ở đây.\n" + BODY + last + " Photo : Bobby Nguyễn Duy Nam ")
    out = doc.edited().text.split("\n")[2]
    assert out.endswith(last) and "Photo" not in out


def test_an_aside_in_brackets_and_reported_speech_stay():
    """``[không phải loại ICBM-ND]`` is the story's own aside (a link's headline opens with a
    capital); a sentence reporting what someone said before a credit is the story."""
    said = "Bác sỹ điều trị cho biết, chị Thanh không còn phải truyền dịch như ngày hôm qua."
    line = (BODY + "Trong số 17 lần phóng thử đánh chặn tên lửa [không phải loại ICBM-ND] được tiến hành, 9 lần thành công. "
            + said + " (ảnh: ANTĐ) " + BODY)
    doc = clean("Tiêu đề bài báo\nMở đầu bài viết ở đây.\n" + line)
    out = doc.edited().text.split("\n")[2]
    assert "[không phải loại ICBM-ND]" in out and said in out and "ANTĐ" not in out


def test_a_list_before_a_credit_is_not_a_caption():
    """baomoi__22663409: an awards list glued to a video title before ``(Nguồn: FIFA TV)``."""
    awards = ("Các danh hiệu cá nhân của Confed Cup 2017: Quả bóng vàng: Julian Draxler (Đức) Chiếc giày vàng: "
              "Timo Werner (Đức) – 3 bàn Găng tay vàng: Claudio Bravo (Chile) Video chung kết Confed Cup 2017")
    doc = clean("Tiêu đề bài báo\nMở đầu bài viết ở đây.\n" + BODY + awards + " (Nguồn: FIFA TV) " + BODY)
    assert awards in doc.edited().text
