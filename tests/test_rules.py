"""Each rule family: real lines that must go, and look-alikes that must stay."""
from pathlib import Path
import pytest

from pipeline.chain import clean_document
from pipeline.readers import read_bytes_document

LONG = ("Trong bối cảnh tình hình thế giới biến động phức tạp với nhiều khó khăn, thách thức, Tỉnh ủy, "
        "HĐND, UBND tỉnh đã chỉ đạo quyết liệt các cấp, các ngành, địa phương tập trung thực hiện nghiêm túc, "
        "có hiệu quả các giải pháp thúc đẩy tăng trưởng kinh tế.")
LONG2 = ("Cụ thể, kinh tế của tỉnh phát triển khá toàn diện, tốc độ tăng trưởng tổng sản phẩm trên địa bàn "
         "(GRDP) đạt 7%, đạt mục tiêu đề ra. Hoạt động sản xuất công nghiệp và thương mại tiếp tục tăng trưởng "
         "và diễn ra ngày càng sôi động trong năm qua.")
TITLE = "Lạng Sơn tận dụng thời cơ phát triển kinh tế"


def clean(*lines: str) -> list[str]:
    doc = clean_document(read_bytes_document("t", "\n\n".join(lines).encode("utf-8")))
    return [ln.strip() for ln in doc.text.split("\n") if ln.strip()]


def reasons(*lines: str) -> dict[str, str]:
    text = "\n\n".join(lines)
    doc = clean_document(read_bytes_document("t", text.encode("utf-8")))
    return {e.text.strip(): e.reason for e in doc.edits if e.text.strip()}


@pytest.mark.parametrize("caption", [
    "Bí thư Tỉnh ủy phát biểu tại buổi làm việc. (Ảnh: Trọng Đức/TTXVN)",
    "Sinh viên xếp hàng chật cứng trên cầu thang của trung tâm. Ảnh: FB Nguyen Duc.",
    "Ông Nguyễn Văn A - bí thư Quận ủy Quận 2, TP.HCM - Ảnh: D.H.",
    "Bị cảnh báo giả, khách trên máy bay hoảng sợ - Ảnh 1.",
    "Quang cảnh buổi tọa đàm",
    "Toàn cảnh buổi tọa đàm.",
    "Đồng chí Bí thư Tỉnh ủy, Chủ tịch HĐND tỉnh phát biểu tại buổi tọa đàm về phát triển kinh tế",
    "Tôi không biết đối diện với anh ấy như với chồng hay như với chị em gái (Ảnh minh họa IT)",
])
def test_captions_between_paragraphs_go(caption):
    assert reasons(TITLE, LONG, caption, LONG2).get(caption) == "caption"


@pytest.mark.parametrize("keep", [
    "Tận dụng thời cơ trong thách thức",  # a heading beside captions
    "Phát triển kinh tế - xã hội là nhiệm vụ trọng tâm",
    "Những đứa trẻ trong mơ sẽ ra đời?",
    "Cuộc chiến Uber, Grab và Go-Jek",
    "Ông Nguyễn Văn Phước (ảnh) - phó giám đốc Sở Tài nguyên - môi trường TP.HCM - cho biết : ",
    "- Anh nói sao về chuyện nghỉ không xin phép ở nhà hát?",
    "Anh Trung thân mến,",
    "Nghiên cứu được công bố trên tạp chí Nature Communication.",  # a short real sentence
])
def test_lookalikes_stay(keep):
    assert keep.strip() in clean(TITLE, LONG, keep, LONG2)


def test_body_sentence_ending_in_a_credit_keeps_the_sentence():
    body = LONG + " Người dân tập trung đông đúc tại quảng trường trung tâm thành phố ở Solihull. (Ảnh: Reuters)"
    out = clean(TITLE, body, LONG2)
    assert out[1].endswith("ở Solihull.")


def test_a_quotation_without_final_stop_in_a_list_stays():
    lines = [TITLE, LONG, "Tại miền Bắc (từ Hà Nội đi Kuala Lumpur): HaNoi Redtours, Vietravel - Ha Noi, Bluesky Travel.",
             "- Máy in phun đa chức năng X2350 (15ppm, 4800dpi, in 3 màu) với giá 69USD", LONG2]
    assert clean(*lines) == lines


def test_related_news_block_runs_to_the_end():
    out = clean(TITLE, LONG, LONG2, "Tin cùng chuyên mục", "Xã Thái Hòa: Điểm sáng tuyên truyền pháp luật",
                "(PLVN) - Những tháng đầu năm 2025, UBND xã đã tích cực triển khai thực hiện có hiệu quả các nhiệm vụ.",
                "Đọc thêm", "Ứng phó nguy cơ sạt lở đất, lũ quét ở Tuyên Quang")
    assert out == [TITLE, LONG, LONG2]


@pytest.mark.parametrize("line,reason", [
    ("Xem thêm: Muốn hờn cả thế giới khi chứng kiến sự thật đằng sau những bức ảnh", "related_news"),
    ("XEM THÊM: Choáng váng với dụng cụ tra tấn phụ nữ thời trung cổ", "related_news"),  # VFND, in capitals
    ("Ca sĩ bị tuyên phạt 5 năm tù(06/09/2005)", "related_news"),
    ("0:00 / 0:00", "player_widget"),
    ("Bạn đang xem: Tải ngay ứng dụng", "player_widget"),
    ("From: Anh PhuongTo: tamsu@vnexpress.net Sent: Saturday, February 26, 2005 10:59 AM Subject: Chao", "metadata"),
])
def test_single_furniture_lines_go(line, reason):
    assert reasons(TITLE, LONG, line, LONG2).get(line) == reason


@pytest.mark.parametrize("tail,reason", [
    ("ĐÌNH QUANG - HOÀNG HUẤN", "byline"),
    ("Phước Tuấn", "byline"),
    ("Nguồn: Daily Mail", "source_line"),
    ("Theo TTXVN", "source_line"),
    ("https://example.vn/tin-tuc/bai-viet-123.html", "source_line"),
])
def test_end_of_article_bylines_and_sources_go(tail, reason):
    assert reasons(TITLE, LONG, LONG2, tail).get(tail) == reason


def test_a_wrapped_sentence_going_on_with_xem_them_is_body():
    """Markers are read in any case (``XEM THÊM:``) but must open the line with a capital: a
    hard-wrapped sentence may go on with ``xem thêm: ...``."""
    line = "xem thêm: các hiện vật quý hiếm lần đầu công bố, phòng chiếu phim tư liệu và khu trải nghiệm."
    assert line in clean(TITLE, LONG, line, LONG2)


def test_theo_at_the_start_of_a_sentence_is_body():
    line = "Theo giáo sư thần kinh Yamamoto, nếu nhìn thấy hình ảnh không chuyển động, cơ thể bạn đang khỏe."
    assert line in clean(TITLE, LONG, line)


@pytest.mark.parametrize("raw,expected,reason", [
    (" date 2025-04 Chiều 16/4, Đại tướng đã làm việc với Ban Thường vụ Tỉnh ủy.", "Chiều 16/4, Đại tướng đã làm việc với Ban Thường vụ Tỉnh ủy.", "metadata_header"),
    ("TPO - Trong buổi làm việc với Ban Thường vụ Tỉnh ủy, Tổng Bí thư chỉ đạo nhiều nội dung.", "Trong buổi làm việc với Ban Thường vụ Tỉnh ủy, Tổng Bí thư chỉ đạo nhiều nội dung.", "agency_prefix"),
    ("(NLĐ)- Sáng nay, đoàn công tác đã đến thăm và làm việc với tỉnh về nhiều nội dung.", "Sáng nay, đoàn công tác đã đến thăm và làm việc với tỉnh về nhiều nội dung.", "agency_prefix"),
    ("(Dân trí) - Sáng nay, đoàn công tác đã đến thăm và làm việc với tỉnh về nhiều nội dung.", "Sáng nay, đoàn công tác đã đến thăm và làm việc với tỉnh về nhiều nội dung.", "agency_prefix"),
])
def test_inline_cuts_at_the_lead(raw, expected, reason):
    doc = clean_document(read_bytes_document("t", (raw + "\n\n" + LONG).encode("utf-8")))
    assert doc.text.split("\n")[0] == expected
    assert reason in {e.reason for e in doc.edits}


def test_editor_note_and_end_mark():
    out = clean("Bí thư Tỉnh ủy tọa đàm với học viên Học viện Quốc phòng - đã psts 7.12", LONG, LONG2 + "/.")
    assert out[0] == "Bí thư Tỉnh ủy tọa đàm với học viên Học viện Quốc phòng"
    assert out[-1].endswith("năm qua.")


def test_metadata_is_collected():
    doc = clean_document(read_bytes_document("t", f" date 2025-04 TPO - {LONG}\n{LONG2}\nNhật Minh".encode()))
    lang = {"language": "vi", "language_confidence": 1.0}  # language.py, before the rule pack
    assert doc.metadata == {**lang, "date": "2025-04", "agency": "TPO", "author": "Nhật Minh"}
    doc = clean_document(read_bytes_document("t", f"{TITLE}\n\nTTO - {LONG}\n{LONG2}".encode()))
    assert doc.metadata == {**lang, "title": TITLE, "agency": "TTO"}


def test_nearby_repeat_goes_but_a_lead_quoted_later_stays():
    lead = "Các bạn hãy cố lên, hãy nghĩ đến tình yêu của mình, hãy đem trái tim chân thành mà thuyết phục gia đình."
    out = clean(TITLE, lead, lead, LONG)
    assert out.count(lead) == 1
    out = clean(TITLE, lead, LONG, LONG2, "Anh Trung thân mến,", LONG + " Thêm.", lead, LONG2 + " Hết.")
    assert out.count(lead) == 2


# Look-alikes found by auditing 3,000 unlabelled corpus documents (VNTC, baomoi, VFND).

def test_heading_restated_by_the_paragraph_under_it_stays():
    out = clean(TITLE, LONG, "Bảo vệ quyền sở hữu của trẻ",
                "Tài sản và quyền cá nhân khá quan trọng đối với trẻ. Nên bảo vệ quyền sở hữu của trẻ bằng cách "
                "hỏi ý kiến trẻ trước khi cho người khác mượn đồ chơi của trẻ, kể cả anh chị em trong nhà.")
    assert "Bảo vệ quyền sở hữu của trẻ" in out


def test_a_standfirst_that_the_first_paragraph_repeats_stays():
    sapo = "Chính phủ yêu cầu Bộ Giao thông tiếp tục rà soát, có giải pháp giảm phí tại một số trạm thu phí BOT."
    out = clean(TITLE, sapo, "Tại phiên họp Chính phủ thường kỳ tháng 5, " + sapo[0].lower() + sapo[1:] + " " + LONG)
    assert sapo in out


def test_a_paragraph_that_lost_its_full_stop_stays():
    for line in [
        "Hôm nay, TAND TP HCM đã tuyên phạt hai bị cáo quốc tịch Trung Quốc mức án 12 tháng tù cho tội lừa đảo chiếm đoạt tài sản",
        "Đây là một bước đi được đánh giá là khá quyết liệt của lãnh đạo thành phố nhằm giải quyết tình trạng nhiều giám đốc doanh nghiệp nhà nước đang vin vào đủ thứ lý do",
        "Đông y cũng cho rằng lê có vị ngọt, hơi chua, tính mát có tác dụng tạo nước bọt, nhuận táo, thanh nhiệt, tiêu đờm nên chữa được các chứng khát nước, nước bọt ít, ho khan",
    ]:
        assert line in clean(TITLE, LONG, line, LONG2), line


def test_results_tables_and_address_lists_stay():
    for line in ["Hà Nội: 96 Lò Đúc, ĐT: 9716 229, email: info@example.vn",
                 "Bưu Điện - QK 7: 2-3 Cần Thơ - TT Huế: 1-1 Tiền Giang - QK 5: 1-0 Thanh Hoá - TMN.CSG: 1-2"]:
        assert line in clean(TITLE, LONG, line, LONG2), line


@pytest.mark.parametrize("lead", ["PGS-TS Đoàn Thị Băng Tâm cho biết: nghiên cứu mới đã hoàn thành.",
                                  "VN-Index tăng mạnh trong phiên sáng nay nhờ nhóm cổ phiếu ngân hàng.",
                                  "SCH-S250 có bộ phận camera đôi và đèn flash cực nhạy."])
def test_hyphenated_names_are_not_agency_tags(lead):
    assert clean(TITLE, lead, LONG)[1] == lead


def test_short_story_sentences_between_paragraphs_stay():
    """A photo story's short captions go, but a narrator's short sentences and list items stay."""
    third = ("Công tác chuyển đổi số được chú trọng, đồng thời ghi nhận nhiều kết quả nổi bật; tỉnh triển khai "
             "quyết liệt, đồng bộ và hiệu quả công tác cải cách hành chính, tập trung vào cải cách thủ tục hành chính.")
    story = [TITLE, LONG, "Nhưng không, thực tế thì bố vẫn luôn yêu con theo cách của riêng mình.", LONG2,
             "Trong lúc bực bội tôi lại nghe tiếng bố.", third, "đ) Đoàn xe tang.", LONG]
    assert clean(*story) == [s.strip() for s in story]
    third = ("Công tác chuyển đổi số được chú trọng, đồng thời ghi nhận nhiều kết quả nổi bật; tỉnh triển khai "
             "quyết liệt, đồng bộ và hiệu quả công tác cải cách hành chính, tập trung vào cải cách thủ tục hành chính.")
    photos = [TITLE, LONG, "Bờ biển nhuộm màu đỏ rực.", LONG2, "Các sinh vật lạ nhung nhúc bò trên mỏm đá.", third]
    assert clean(*photos) == [TITLE, LONG, LONG2, third]


def test_word_counts_from_numpy_equal_the_rules_word_pattern(fixtures):
    """The rules count words in numpy for speed; the count must be the word pattern's,
    on real text and on the awkward cases (joiners, astral characters, underscores)."""
    from pipeline.rules.engine import words
    from pipeline.textarray import line_word_counts

    texts = [p.read_text(encoding="utf-8") for p in sorted((fixtures / "dev" / "raw").glob("*.txt"))]
    texts += ["a-b-c a--b a.-b -a a- x’y 1.5 _x_ 🙂a𝔘b", "", "\n\n", "ĐÀ NẴNG.\nabc", "a-\n-b"]
    for text, counts in zip(texts, line_word_counts(texts)):
        assert list(counts) == [len(words(line)) for line in text.split("\n")]


def test_the_standfirst_before_a_flattened_body_stays():
    """A line restating the title right under it is a lead photo's caption in a line-per-
    paragraph text, but the standfirst when a flattened body follows (baomoi layout)."""
    path = Path(__file__).parent / "fixtures/flat/raw/baomoi__22523435.txt"
    doc = clean_document(read_bytes_document(path.stem, path.read_bytes()))
    standfirst = path.read_text(encoding="utf-8").split("\n")[1]
    assert standfirst.startswith("Chiều ngày 13-6, TAND tỉnh Đắk Lắk")
    assert standfirst in doc.text


def test_a_flattened_body_opening_with_a_link_arrow_is_not_a_link():
    """'>> BẤM VÀO ĐÂY ...' opens this baomoi body; the whole-line link rule once took all of
    it (1,455 characters of results tables) as related news."""
    path = Path(__file__).parent / "fixtures/flat/raw/baomoi__22700253.txt"
    doc = clean_document(read_bytes_document(path.stem, path.read_bytes()))
    assert "Nhận xét phổ điểm khối A" in doc.text
    assert not any(e.reason == "related_news" and e.end - e.start > 300 for e in doc.edits)
