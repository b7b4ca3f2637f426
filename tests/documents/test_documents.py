from sapnhap.documents.titles import classify, group_pages, starts_document

HEAD = "UBND XÃ BÌNH MINH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nSố: 12/QĐ-UBND\n"


def test_titles_recognised_with_ocr_errors():
    assert classify(HEAD + "QUYÉT ĐỊNH\nVề việc phê duyệt").doc_type == "official_decision"
    assert classify(HEAD + "TRICH LUC KHAI SINH\nHọ, chữ đệm, tên").doc_type == "birth_registration"
    assert classify(HEAD + "TRÍCH LỤC KẾT HÔN").doc_type == "marriage_registration"
    assert classify(HEAD + "TRÍCH LỤC KHAI TỬ").doc_type == "death_registration"
    assert classify("SƠ YẾU LÝ LỊCH\nHọ và tên khai sinh").doc_type == "staff_cv"
    receipt = classify(HEAD + "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ\nMã hồ sơ: 000.00.21.H55")
    assert receipt.doc_type == "procedure_receipt"
    assert "GIẤY TIẾP NHẬN" in receipt.rule


def test_a_citation_is_not_a_title():
    result = classify("Căn cứ Quyết định số 19/2025/QĐ-TTg\nngày 30 tháng 6 năm 2025")
    assert result.doc_type == "unknown"
    assert result.rule == "no title matched"


def test_pages_grouped_at_each_national_motto():
    pages = [
        (2, "tiếp theo trang 1"),
        (1, HEAD + "CHỈ THỊ\nVề việc tăng cường"),
        (3, "CONG HOA XA HOI CHU NGHIA VIET NAM\nQUYẾT ĐỊNH"),
    ]
    spans = group_pages(pages)
    assert [(s.first_page, s.last_page, s.doc_type) for s in spans] == [
        (1, 2, "directive"),
        (3, 3, "official_decision"),
    ]
    assert starts_document("CỘNG HOÀ XÃ HỌI CHỦ NGHĨA VIỆT NAM")
    assert not starts_document("Điều 1. Phê duyệt kế hoạch")
    assert group_pages([]) == []


def test_first_title_line_wins_and_body_text_is_not_a_title():
    page = (
        HEAD
        + "CHỈ THỊ\nVề việc tăng cường công tác thi hành án\nnhững bản án, quyết định của Tòa án về vụ án"
    )
    result = classify(page)
    assert (result.doc_type, result.title) == ("directive", "CHỈ THỊ")


def test_official_letter_recognised_by_its_subject_line():
    page = "UBND THÀNH PHỐ ĐÀ NẴNG\nSố: 1906 /SGDĐT-CTrTT\nV/v khẩn trương thực hiện các biện pháp\nKính gửi:"
    result = classify(page)
    assert result.doc_type == "official_letter"
    assert result.rule == "subject line 'V/v' (công văn)"


def test_titles_outside_the_rules_typed_from_the_vocabulary_catalogue():
    extract = classify(HEAD + "TRÍCH LỤC HỘ TỊCH\nHọ, chữ đệm, tên")
    assert (extract.doc_type, extract.title) == ("civil_status_extract", "TRÍCH LỤC HỘ TỊCH")
    assert extract.rule.startswith("catalogue title 'TRÍCH LỤC HỘ TỊCH' matched")
    assert "source: Circular 04/2020/TT-BTP as amended by Circular 04/2024/TT-BTP" in extract.rule

    marital = classify(HEAD + "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN\nXét đề nghị của ông/bà")
    assert marital.doc_type == "marital_status_certificate"
    assert "catalogue title 'GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN'" in marital.rule

    slipped = classify(HEAD + "GIAY XAC NHAN TlNH TRANG HON NHAN\nXét đề nghị của ông/bà")
    assert (slipped.doc_type, slipped.title) == (
        "marital_status_certificate",
        "GIAY XAC NHAN TlNH TRANG HON NHAN",
    )


def test_rules_keep_priority_over_the_catalogue():
    # TRÍCH LỤC KHAI SINH is in both; the rule's result and wording are unchanged.
    birth = classify(HEAD + "TRÍCH LỤC KHAI SINH")
    assert birth.doc_type == "birth_registration"
    assert birth.rule.startswith("title 'TRÍCH LỤC KHAI SINH' matched")
    # A catalogue title on an earlier line does not override a rule title further down.
    later = classify(HEAD + "TRÍCH LỤC HỘ TỊCH\nQUYẾT ĐỊNH")
    assert later.doc_type == "official_decision"


def test_the_templated_titles_come_from_the_catalogue():
    from sapnhap.documents.titles import TITLE_RULES
    from sapnhap.records.templates import TEMPLATES
    from sapnhap.records.vocabulary import TEMPLATE_TYPES as TEMPLATED_TYPES
    from sapnhap.records.vocabulary import TITLES

    assert set(TEMPLATED_TYPES) == set(TEMPLATES)
    rules = dict(TITLE_RULES)
    for doc_type in TEMPLATED_TYPES:
        assert rules[doc_type] == tuple(p for e in TITLES if e.doc_type == doc_type for p in e.phrases)
        assert rules[doc_type]  # every templated type has its printed titles in the catalogue
    # A re-registration declaration (a catalogue title) is typed as its event, by the first rules.
    assert classify("TỜ KHAI ĐĂNG KÝ LẠI KHAI SINH\nHọ, chữ đệm, tên: An").doc_type == "birth_registration"
