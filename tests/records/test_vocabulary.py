"""The shared field vocabulary: title catalogue, person labels, column headers and their matchers."""

from __future__ import annotations

import unicodedata

import pytest

from sapnhap.documents.titles import TITLE_RULES
from sapnhap.records.templates import BIRTH, DEATH, MARRIAGE
from sapnhap.records.vocabulary import (
    COLUMN_HEADERS,
    FAMILIES,
    PERSON_LABELS,
    TITLES,
    VALUE_KINDS,
    ColumnMatch,
    label_key,
    match_header,
    match_title,
)

KNOWN_TYPES = (
    "birth_registration",
    "marriage_registration",
    "death_registration",
    "staff_cv",
    "procedure_receipt",
)


@pytest.mark.parametrize(
    ("line", "doc_type", "family"),
    [
        ("TRÍCH LỤC KHAI SINH", "birth_registration", "civil_status_extract"),
        ("TRÍCH LỤC KHAI SINH (Bản sao)", "birth_registration", "civil_status_extract"),
        ("BẢN SAO TRÍCH LỤC KẾT HÔN", "marriage_registration", "civil_status_extract"),
        ("TRÍCH LỤC KHAl SINH", "birth_registration", "civil_status_extract"),
        ("TRICH LUC HO TICH", "civil_status_extract", "civil_status_extract"),
        ("TRÍCH LỤC HỘ TỊCH", "civil_status_extract", "civil_status_extract"),
        ("TRÍCH LỤC KHAI TỬ", "death_registration", "civil_status_extract"),
        ("TRÍCH LỤC ĐĂNG KÝ NHẬN CHA, MẸ, CON", "parent_child_recognition", "civil_status_extract"),
        (
            "TRÍCH LỤC THAY ĐỔI, CẢI CHÍNH, BỔ SUNG THÔNG TIN HỘ TỊCH, XÁC ĐỊNH LẠI DÂN TỘC",
            "civil_status_change",
            "civil_status_extract",
        ),
        ("TRÍCH LỤC ĐĂNG KÝ CHẤM DỨT GIÁM HỘ", "guardianship_termination", "civil_status_extract"),
        ("TRÍCH LỤC ĐĂNG KÝ GIÁM HỘ", "guardianship", "civil_status_extract"),
        ("TRÍCH LỤC ĐĂNG KÝ GIÁM SÁT VIỆC GIÁM HỘ", "guardianship_supervision", "civil_status_extract"),
        ("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "marital_status_certificate", "civil_status_certificate"),
        ("GIAY XAC NHAN TINH TRANG HON NHAN", "marital_status_certificate", "civil_status_certificate"),
        (
            "TỜ KHAI CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
            "marital_status_certificate",
            "civil_status_declaration",
        ),
        ("TỜ KHAI ĐĂNG KÝ NHẬN CHA, MẸ, CON", "parent_child_recognition", "civil_status_declaration"),
        ("TỜ KHAI ĐĂNG KÝ CHẤM DỨT GIÁM HỘ", "guardianship_termination", "civil_status_declaration"),
        ("TỜ KHAI CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", "extract_copy_request", "civil_status_declaration"),
        ("SỔ ĐĂNG KÝ KHAI SINH", "birth_register_book", "civil_status_register"),
        ("SO DANG KY KHAI TU", "death_register_book", "civil_status_register"),
        ("SỔ ĐĂNG KÝ NHẬN CHA, MẸ, CON", "parent_child_register_book", "civil_status_register"),
        ("SỔ HỘ TỊCH", "civil_status_register_book", "civil_status_register"),
        ("CĂN CƯỚC CÔNG DÂN", "citizen_id_card", "personal_paper"),
        ("CĂN CƯỚC", "identity_card", "personal_paper"),
        ("GIẤY CHỨNG MINH NHÂN DÂN", "people_id_card", "personal_paper"),
        ("GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "residence_confirmation", "personal_paper"),
        ("SỔ HỘ KHẨU", "household_register", "personal_paper"),
        ("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", "judicial_record", "personal_paper"),
        ("GIẤY CHỨNG SINH", "medical_birth_certificate", "personal_paper"),
        ("GIẤY BÁO TỬ", "death_notice", "personal_paper"),
        ("DANH SÁCH CÁN BỘ, CÔNG CHỨC CẤP XÃ NĂM 2024", "staff_list", "staff"),
        ("SƠ YẾU LÝ LỊCH CÁN BỘ, CÔNG CHỨC", "staff_cv", "staff"),
        ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "procedure_receipt", "procedure"),
        ("TRÍCHLỤC KHAI SINH", "birth_registration", "civil_status_extract"),
    ],
)
def test_match_title(line, doc_type, family):
    entry = match_title(line)
    assert entry is not None
    assert (entry.doc_type, entry.family) == (doc_type, family)


@pytest.mark.parametrize(
    "line", ["QUYẾT ĐỊNH", "Họ, chữ đệm, tên: Nguyễn Văn An", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", "..."]
)
def test_match_title_none(line):
    assert match_title(line) is None


def test_specific_extract_before_generic():
    assert match_title("TRÍCH LỤC KHAI SINH").doc_type == "birth_registration"
    assert match_title("TRÍCH LỤC HỘ TỊCH").doc_type == "civil_status_extract"
    # The supervision extracts are not read as the guardianship ones they contain.
    assert match_title("TRÍCH LỤC ĐĂNG KÝ CHẤM DỨT GIÁM SÁT VIỆC GIÁM HỘ").doc_type == (
        "guardianship_supervision_termination"
    )
    # Civil-status ID card, not the new identity card whose title it begins with.
    assert match_title("THẺ CĂN CƯỚC CÔNG DÂN").doc_type == "citizen_id_card"


def test_existing_titles_keep_their_types():
    """Every title sapnhap.documents.titles knows for the five templated types maps to the same type here."""
    known = [(doc_type, phrases) for doc_type, phrases in TITLE_RULES if doc_type in KNOWN_TYPES]
    assert {doc_type for doc_type, _ in known} == set(KNOWN_TYPES)
    for doc_type, phrases in known:
        for phrase in phrases:
            assert match_title(phrase).doc_type == doc_type, phrase


def test_title_catalogue_is_well_formed():
    assert len(TITLES) >= 40
    keys = [label_key(phrase) for entry in TITLES for phrase in entry.phrases]
    assert len(keys) == len(set(keys)), "a phrase appears twice"
    for entry in TITLES:
        assert entry.source.strip(), entry.doc_type
        assert entry.family in FAMILIES
        assert entry.phrases
        assert entry.doc_type == entry.doc_type.lower() and " " not in entry.doc_type
        for phrase in entry.phrases:
            assert phrase == phrase.upper(), phrase
            # Each phrase matches its own entry (no earlier entry shadows it).
            assert match_title(phrase) is entry, phrase


def test_every_family_is_used():
    assert {entry.family for entry in TITLES} == set(FAMILIES)


@pytest.mark.parametrize(
    ("header", "field", "kind", "role"),
    [
        ("STT", "row_number", "integer", ""),
        ("Số TT", "row_number", "integer", ""),
        ("Họ tên", "full_name", "name", None),
        ("HỌ VÀ TÊN", "full_name", "name", None),
        ("Họ và tên người được đăng ký", "full_name", "name", None),
        ("Ho va ten nguoi duoc dang ky", "full_name", "name", None),
        ("Ngày sinh", "birth_date", "date", None),
        ("NS", "birth_date", "date", None),
        ("Ngày, tháng,\nnăm sinh", "birth_date", "date", None),
        ("Năm sinh", "birth_year", "year", None),
        ("Giới tính", "sex", "sex", None),
        ("GT", "sex", "sex", None),
        ("Nam/Nữ", "sex", "sex", None),
        ("Số ĐDCN", "personal_id", "id", None),
        ("Số CCCD", "personal_id", "id", None),
        ("Dân tộc", "ethnicity", "text", None),
        ("Quê quán", "hometown", "place", None),
        ("Nơi cư trú", "residence", "place", None),
        ("Địa chỉ", "residence", "place", None),
        ("Họ tên cha", "full_name", "name", "father"),
        ("Họ tên mẹ", "full_name", "name", "mother"),
        ("Số đăng ký", "registration_number", "code", ""),
        ("Ngày đăng ký", "registration_date", "date", ""),
        ("Ghi chú", "note", "text", ""),
        ("Chức vụ", "position", "text", ""),
        ("Ngạch", "civil_service_rank", "text", ""),
        ("Hệ số lương", "salary_coefficient", "coefficient", ""),
        ("Trình độ chuyên môn", "qualification", "text", ""),
        ("Ngày tuyển dụng", "recruited_date", "date", ""),
        ("Họ và tên (2)", "full_name", "name", None),
    ],
)
def test_match_header(header, field, kind, role):
    match = match_header(header)
    assert match is not None, header
    assert (match.field, match.kind, match.role) == (field, kind, role)
    assert match.score == 100.0


@pytest.mark.parametrize(
    ("header", "field", "role", "vocabulary"),
    [
        ("Ngày tuyến dụng", "recruited_date", "", "Ngày tuyển dụng"),  # folded: identical
        ("Họ tèn mẹ", "full_name", "mother", "Họ tên mẹ"),
        ("Quê quản", "hometown", None, "Quê quán"),
        ("Trinh do chuyen mon", "qualification", "", "Trình độ chuyên môn"),
        ("Nơi cư trù", "residence", None, "Nơi cư trú"),
        ("Hệ sổ lương", "salary_coefficient", "", "Hệ số lương"),
        ("Ho va tèn nguoi duoc dang ki", "full_name", None, "Họ và tên người được đăng ký"),
        ("Số dinh danh ca nhan", "personal_id", None, "Số định danh cá nhân"),
        ("Ngay dang kv", "registration_date", "", "Ngày đăng ký"),
    ],
)
def test_match_header_ocr_slips(header, field, role, vocabulary):
    match = match_header(header)
    assert isinstance(match, ColumnMatch)
    assert (match.field, match.role, match.header) == (field, role, vocabulary)
    assert 85.0 <= match.score <= 100.0


@pytest.mark.parametrize(
    "header", ["Cột 7 ???", "", "   ", "Chữ ký", "Số tiền", "STI", "Ảnh", "Lớp", "Họ tên cha mẹ", "Nam", "Nữ"]
)
def test_match_header_none(header):
    assert match_header(header) is None


def test_near_headers_stay_apart():
    assert match_header("Nơi sinh").field == "birth_place"
    assert match_header("Năm sinh").field == "birth_year"
    assert match_header("Nơi tạm trú").field == "temporary_residence"
    assert match_header("Nơi thường trú").field == "permanent_residence"
    assert match_header("Họ tên vợ").role == "wife"
    assert match_header("Họ tên chồng").role == "husband"
    # A slipped declarant header stays the declarant's, not the registered person's.
    assert match_header("Họ tên người đi đăng kí khai sinh").role == "declarant"
    assert match_header("Họ tên người đi đăng kí khai sinh").score < 100.0


def test_label_key():
    assert label_key("Họ, chữ đệm, tên người mẹ:") == "ho chu dem ten nguoi me"
    assert label_key("  Nam/Nữ ") == "nam nu"
    assert label_key("Số ĐDCN") == "so ddcn"
    # Either normal form, either tone-mark placement of the same letters.
    assert label_key(unicodedata.normalize("NFD", "Quê quán:")) == "que quan"
    assert label_key("Hòa") == label_key("Hoà") == "hoa"
    assert label_key(":  ") == ""


def test_person_labels():
    by_key = {label_key(label.text): label for label in PERSON_LABELS}
    assert len(by_key) == len(PERSON_LABELS), "two labels share a key"

    def get(text):
        label = by_key[label_key(text)]
        return (label.field, label.kind, label.role)

    assert get("Họ, chữ đệm, tên:") == ("full_name", "name", None)
    for text in ("Họ, chữ đệm và tên", "Họ và tên", "Họ tên"):
        assert get(text) == ("full_name", "name", None)
    assert get("Họ, chữ đệm, tên người mẹ:") == ("full_name", "name", "mother")
    assert get("Họ, chữ đệm, tên người cha:") == ("full_name", "name", "father")
    assert get("Họ, chữ đệm, tên chồng") == ("full_name", "name", "husband")
    assert get("Họ, chữ đệm, tên vợ") == ("full_name", "name", "wife")
    assert get("Họ, chữ đệm, tên người yêu cầu") == ("full_name", "name", "requester")
    assert get("Họ, chữ đệm, tên người được giám hộ") == ("full_name", "name", "ward")
    assert get("Họ, chữ đệm, tên người giám hộ") == ("full_name", "name", "guardian")
    assert get("Họ, chữ đệm, tên người được nhận là con") == ("full_name", "name", "recognized_child")
    assert get("Họ, chữ đệm, tên người chết") == ("full_name", "name", "deceased")
    assert get("Họ, chữ đệm, tên người đã chết") == ("full_name", "name", "deceased")
    assert get("Họ, chữ đệm, tên người đi đăng ký") == ("full_name", "name", "declarant")
    assert get("Họ, chữ đệm, tên người đi khai") == ("full_name", "name", "declarant")
    for text in ("Ngày, tháng, năm sinh", "Ngày sinh", "Sinh ngày"):
        assert get(text) == ("birth_date", "date", None)
    assert get("Năm sinh") == ("birth_year", "year", None)
    assert get("Giới tính") == ("sex", "sex", None)
    assert get("Dân tộc") == ("ethnicity", "text", None)
    assert get("Quốc tịch") == ("nationality", "text", None)
    assert get("Tôn giáo") == ("religion", "text", None)
    for text in (
        "Số định danh cá nhân",
        "Số CCCD",
        "Số căn cước công dân",
        "Số căn cước",
        "Số CMND",
        "Số chứng minh nhân dân",
        "Số giấy tờ tùy thân",
    ):
        assert get(text) == ("personal_id", "id", None)
    for text in ("Nơi cư trú", "Nơi ở hiện tại", "Địa chỉ"):
        assert get(text) == ("residence", "place", None)
    assert get("Nơi thường trú") == ("permanent_residence", "place", None)
    assert get("Nơi tạm trú") == ("temporary_residence", "place", None)
    assert get("Quê quán") == ("hometown", "place", None)
    assert get("Nơi sinh") == ("birth_place", "place", None)
    assert get("Số:") == ("registration_number", "code", "")
    assert get("Quyển số:") == ("register_volume", "code", "")
    assert get("Ngày, tháng, năm đăng ký") == ("registration_date", "date", "")
    assert get("Ngày đăng ký") == ("registration_date", "date", "")
    assert get("Nơi đăng ký") == ("registration_place", "place", "")


@pytest.mark.parametrize("template", [BIRTH, MARRIAGE, DEATH], ids=lambda t: t.doc_type)
def test_labels_agree_with_the_templates(template):
    """Every label of the civil-status templates is in the vocabulary with the same field and kind."""
    by_key = {label_key(label.text): label for label in PERSON_LABELS}
    for label in template.labels:
        entry = by_key[label_key(label.text)]
        assert (entry.field, entry.kind) == (label.field, label.kind), label.text
        if label.role == "":
            assert entry.role == "", label.text


def test_headers_are_well_formed():
    keys = [label_key(header.text) for header in COLUMN_HEADERS]
    assert len(keys) == len(set(keys)), "two headers share a key"
    for header in COLUMN_HEADERS:
        assert header.kind in VALUE_KINDS
        assert match_header(header.text).header == header.text


def test_kinds_are_value_kinds():
    assert {label.kind for label in PERSON_LABELS} <= set(VALUE_KINDS)
    assert {header.kind for header in COLUMN_HEADERS} <= set(VALUE_KINDS)


def test_all_strings_are_nfc():
    strings = [s for entry in TITLES for s in (entry.doc_type, entry.source, *entry.phrases)]
    strings += [s for label in PERSON_LABELS for s in (label.text, label.field, label.role or "")]
    strings += [s for header in COLUMN_HEADERS for s in (header.text, header.field, header.role or "")]
    for s in strings:
        assert unicodedata.is_normalized("NFC", s), s
