"""The shared field vocabulary of Vietnamese civil-status papers, ID and residence papers and registers.

Pure data and three small matchers, no Dagster: the generic extractor, the register-table reader and
the spreadsheet reader all read documents through this vocabulary.

- `TITLES`: the catalogue of document titles (`TitleEntry`): which document type a title line
  announces, its family (extract, certificate, declaration, register book, personal paper, staff
  paper, procedure paper) and the legal text its form comes from. `match_title(line)` finds the
  entry of one title line.
- `PERSON_LABELS`: the printed labels of person fields (`FieldLabel`: `Họ, chữ đệm, tên người mẹ:`
  is the mother's full name, a name).
- `COLUMN_HEADERS`: the column headers of register books and spreadsheet registers (`ColumnHeader`:
  `Số ĐDCN` is the personal ID number). `match_header(text)` maps one header to its field.
- `label_key(text)`: the key every label, header and title is compared on.

Field, kind and role names are those of `sapnhap.records.templates` and the ground truth
(`fields.csv`): `full_name`, `birth_date`, `birth_year`, `sex`, `ethnicity`, `nationality`,
`personal_id`, `residence`, `hometown`, `birth_place`, `registration_number`, `registration_date`,
`registration_place`, `death_time`, `death_place`, `death_cause`, and for staff `position`,
`civil_service_rank`, `rank_code`, `salary_step`, `salary_coefficient`, `qualification`,
`recruited_date`, `schooling`, `political_theory`, `employer_unit`. Added here, where a paper
prints a field the five known layouts do not: `religion`, `marital_status`, `permanent_residence`,
`temporary_residence`, `id_issue_date`, `id_issue_place`, `id_expiry_date`, `passport_number`,
`register_volume` (`Quyển số`), `row_number` and `note` (a register's row number and remarks). A
death date is `death_time`, as in the death extract's ground truth (`Đã chết vào lúc:`).

Roles: a role name (`mother`, `father`, `husband`, `wife`, `requester`, `ward`, `guardian`,
`deceased`, `declarant`, `recognizer`, `recognized_father`, `recognized_mother`, `recognized_child`,
`applicant`) when the label or header names the person; None when it belongs to whoever's section
(or register row) it stands in; "" for a field of the document (or register row) itself, not of a
person (`Số:`, `Ngày đăng ký`, `Nơi chết`), as in the ground truth.

All Vietnamese strings are NFC. Sources checked (June 2024 press and legal-portal copies, via the
project's search tool): the thẻ căn cước labels (Circular 16/2024/TT-BCA), form CT07 (Circular
66/2023/TT-BCA), the declaration for recognising a parent or child in Annex 5 of Circular
04/2024/TT-BTP, the printed layout of the Giấy xác nhận tình trạng hôn nhân. Every other form
number or annex is marked "not confirmed" in its entry's `source`.

Over 600 lines on purpose: it is a catalogue (titles, person labels, register columns), each entry
with its legal source; kept in one file so that a reviewer checks the whole vocabulary against the
circular in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from rapidfuzz import fuzz

from sapnhap.records.templates import ValueKind
from sapnhap.text import fold_diacritics, nfc

TitleFamily = Literal[
    "civil_status_extract",
    "civil_status_certificate",
    "civil_status_declaration",
    "civil_status_register",
    "personal_paper",
    "staff",
    "procedure",
]
FAMILIES: tuple[str, ...] = get_args(TitleFamily)
VALUE_KINDS: tuple[str, ...] = get_args(ValueKind)

# A title line matches a phrase at this similarity (0-100, rapidfuzz ratio on keys), as in
# sapnhap.documents.titles; a column header matches a vocabulary header at HEADER_THRESHOLD.
TITLE_THRESHOLD = 88.0
HEADER_THRESHOLD = 85.0
# Headers whose key is this short (STT, GT, NS, TT …) are matched exactly, never fuzzily.
_SHORT_KEY = 4
# Words that name a person in a header: a fuzzy match must name the same ones (`Họ tên cha mẹ` is a
# group header over two columns, not the father's name; `… người đi đăng ký …` is the declarant).
_ROLE_WORDS = frozenset({"cha", "me", "vo", "chong", "chet", "di", "giam"})


@dataclass(frozen=True)
class TitleEntry:
    """One kind of document and the title phrases it is printed under.

    doc_type: the document type (snake_case; the five types of `sapnhap.records.templates`
    keep their names). phrases: the titles as printed, in capitals, NFC. family: one of
    `FAMILIES`. source: the legal text (and form/annex where confirmed) the title comes from.
    """

    doc_type: str
    phrases: tuple[str, ...]
    family: TitleFamily
    source: str


@dataclass(frozen=True)
class FieldLabel:
    """A printed label of a person (or document) field: `Ngày, tháng, năm sinh` → birth_date, date.

    text: the label as printed, without its colon. field: the ground-truth field name. kind: how the
    value is read (`ValueKind`). role: the role it names, None for the section it stands in, "" for
    the document itself.
    """

    text: str
    field: str
    kind: ValueKind
    role: str | None = None


@dataclass(frozen=True)
class ColumnHeader:
    """A column header of a register book or spreadsheet: `Họ tên mẹ` → full_name, name, mother.

    role: the role it names, None for the person the row registers, "" for the row's registration
    itself (its number, date, remarks).
    """

    text: str
    field: str
    kind: ValueKind
    role: str | None = None


@dataclass(frozen=True)
class ColumnMatch:
    """What one header cell was matched to: field, kind and role, the similarity (0-100) and the
    vocabulary header it matched."""

    field: str
    kind: ValueKind
    role: str | None
    score: float
    header: str


# --- Titles -------------------------------------------------------------------------------------------

_TT04 = "Circular 04/2020/TT-BTP as amended by Circular 04/2024/TT-BTP"
_EXTRACT = f"{_TT04}, forms of civil-status extracts (trích lục); annex and form number not confirmed"
_DECLARATION = (
    f"{_TT04}, declaration forms (tờ khai); Annex 5 is reported for the parent-child declaration, "
    "this form's annex not confirmed"
)
_REGISTER = f"{_TT04}, forms of civil-status register books (sổ hộ tịch); annex not confirmed"
_FOREIGN = (
    "Law on Civil Status 60/2014/QH13 (recording in the civil-status book of events registered "
    f"abroad); forms in {_TT04}; exact printed title and annex not confirmed"
)
_SUPERVISION = (
    "Civil Code 2015, Art. 51 (supervision of guardianship); the registration form's printed title "
    f"and its place in {_TT04} not confirmed"
)

# Order matters: `match_title` takes the entry with the highest similarity, and on a tie the earlier
# entry. So every specific title comes before any generic one it begins with or resembles:
# `TRÍCH LỤC ĐĂNG KÝ CHẤM DỨT GIÁM HỘ` before `TRÍCH LỤC ĐĂNG KÝ GIÁM HỘ`, each specific extract
# before the generic `TRÍCH LỤC HỘ TỊCH`, `CĂN CƯỚC CÔNG DÂN` before `CĂN CƯỚC` (a line
# `CĂN CƯỚC CÔNG DÂN` begins with both). No phrase appears twice in the catalogue.
TITLES: tuple[TitleEntry, ...] = (
    # Civil-status extracts (trích lục), specific ones first.
    TitleEntry("birth_registration", ("TRÍCH LỤC KHAI SINH",), "civil_status_extract", _EXTRACT),
    TitleEntry("marriage_registration", ("TRÍCH LỤC KẾT HÔN",), "civil_status_extract", _EXTRACT),
    TitleEntry("death_registration", ("TRÍCH LỤC KHAI TỬ",), "civil_status_extract", _EXTRACT),
    TitleEntry(
        "parent_child_recognition",
        ("TRÍCH LỤC ĐĂNG KÝ NHẬN CHA, MẸ, CON", "TRÍCH LỤC NHẬN CHA, MẸ, CON"),
        "civil_status_extract",
        _EXTRACT,
    ),
    TitleEntry(
        "civil_status_change",
        (
            "TRÍCH LỤC THAY ĐỔI, CẢI CHÍNH, BỔ SUNG THÔNG TIN HỘ TỊCH, XÁC ĐỊNH LẠI DÂN TỘC",
            "TRÍCH LỤC THAY ĐỔI, CẢI CHÍNH, BỔ SUNG HỘ TỊCH, XÁC ĐỊNH LẠI DÂN TỘC",
            "TRÍCH LỤC THAY ĐỔI HỘ TỊCH",
            "TRÍCH LỤC CẢI CHÍNH HỘ TỊCH",
            "TRÍCH LỤC BỔ SUNG HỘ TỊCH",
            "TRÍCH LỤC XÁC ĐỊNH LẠI DÂN TỘC",
        ),
        "civil_status_extract",
        f"{_EXTRACT}; the combined title follows the procedure's name (Decision 1872/QĐ-BTP/2020), "
        "the one-event titles are older wording",
    ),
    TitleEntry(
        "guardianship_supervision_termination",
        ("TRÍCH LỤC ĐĂNG KÝ CHẤM DỨT GIÁM SÁT VIỆC GIÁM HỘ",),
        "civil_status_extract",
        _SUPERVISION,
    ),
    TitleEntry(
        "guardianship_supervision",
        ("TRÍCH LỤC ĐĂNG KÝ GIÁM SÁT VIỆC GIÁM HỘ",),
        "civil_status_extract",
        _SUPERVISION,
    ),
    TitleEntry(
        "guardianship_termination",
        ("TRÍCH LỤC ĐĂNG KÝ CHẤM DỨT GIÁM HỘ",),
        "civil_status_extract",
        _EXTRACT,
    ),
    TitleEntry("guardianship", ("TRÍCH LỤC ĐĂNG KÝ GIÁM HỘ",), "civil_status_extract", _EXTRACT),
    TitleEntry(
        "foreign_civil_status_recording",
        (
            "TRÍCH LỤC GHI VÀO SỔ HỘ TỊCH VIỆC KHAI SINH",
            "TRÍCH LỤC GHI VÀO SỔ HỘ TỊCH VIỆC KẾT HÔN",
            "TRÍCH LỤC GHI VÀO SỔ HỘ TỊCH VIỆC LY HÔN, HỦY VIỆC KẾT HÔN",
            "TRÍCH LỤC GHI VÀO SỔ HỘ TỊCH VIỆC KHAI TỬ",
            "TRÍCH LỤC GHI VÀO SỔ HỘ TỊCH VIỆC NHẬN CHA, MẸ, CON",
            "TRÍCH LỤC GHI VÀO SỔ HỘ TỊCH",
            "TRÍCH LỤC GHI CHÚ KẾT HÔN",
            "TRÍCH LỤC GHI CHÚ LY HÔN",
        ),
        "civil_status_extract",
        _FOREIGN,
    ),
    TitleEntry(
        "civil_status_extract",
        ("TRÍCH LỤC HỘ TỊCH",),
        "civil_status_extract",
        f"{_EXTRACT}; generic title. A copy (bản sao) of a specific extract keeps that extract's "
        "title with a `(Bản sao)` mark, which match_title ignores",
    ),
    # Certificates issued as originals (bản chính).
    TitleEntry(
        "birth_registration",
        ("GIẤY KHAI SINH",),
        "civil_status_certificate",
        f"{_TT04}, birth certificate original (Giấy khai sinh); earlier books follow earlier Ministry "
        "of Justice forms; annex not confirmed",
    ),
    TitleEntry(
        "marriage_registration",
        ("GIẤY CHỨNG NHẬN KẾT HÔN", "GIẤY CHỨNG NHẬN ĐĂNG KÝ KẾT HÔN"),
        "civil_status_certificate",
        f"{_TT04}, marriage certificate (Giấy chứng nhận kết hôn); the second wording is older and "
        "not confirmed; annex not confirmed",
    ),
    TitleEntry(
        "death_registration",
        ("GIẤY CHỨNG TỬ",),
        "civil_status_certificate",
        "Death certificate of the pre-2016 regime (Decree 158/2005/NĐ-CP), replaced by the death "
        "extract (trích lục khai tử) under Law on Civil Status 60/2014/QH13; form number not confirmed",
    ),
    TitleEntry(
        "marital_status_certificate",
        ("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",),
        "civil_status_certificate",
        f"{_TT04}, marital status certificate (printed `Số: …/UBND-XNTTHN`, valid 6 months, "
        "Decree 123/2015/NĐ-CP Art. 23); annex not confirmed",
    ),
    # Declarations (tờ khai) of each procedure.
    TitleEntry(
        "birth_registration",
        ("TỜ KHAI ĐĂNG KÝ KHAI SINH", "TỜ KHAI ĐĂNG KÝ LẠI KHAI SINH"),
        "civil_status_declaration",
        f"{_DECLARATION}; the re-registration title (đăng ký lại) not confirmed",
    ),
    TitleEntry(
        "marriage_registration",
        ("TỜ KHAI ĐĂNG KÝ KẾT HÔN", "TỜ KHAI ĐĂNG KÝ LẠI KẾT HÔN"),
        "civil_status_declaration",
        f"{_DECLARATION}; the re-registration title (đăng ký lại) not confirmed",
    ),
    TitleEntry(
        "death_registration",
        ("TỜ KHAI ĐĂNG KÝ KHAI TỬ", "TỜ KHAI ĐĂNG KÝ LẠI KHAI TỬ"),
        "civil_status_declaration",
        f"{_DECLARATION}; the re-registration title (đăng ký lại) not confirmed",
    ),
    TitleEntry(
        "parent_child_recognition",
        ("TỜ KHAI ĐĂNG KÝ NHẬN CHA, MẸ, CON",),
        "civil_status_declaration",
        f"{_TT04}, Annex 5 (per thuvienphapluat.vn, 14/06/2024; not checked against the gazette)",
    ),
    TitleEntry(
        "civil_status_change",
        (
            "TỜ KHAI ĐĂNG KÝ THAY ĐỔI, CẢI CHÍNH, BỔ SUNG THÔNG TIN HỘ TỊCH, XÁC ĐỊNH LẠI DÂN TỘC",
            "TỜ KHAI ĐĂNG KÝ THAY ĐỔI, CẢI CHÍNH, BỔ SUNG HỘ TỊCH, XÁC ĐỊNH LẠI DÂN TỘC",
            "TỜ KHAI ĐĂNG KÝ THAY ĐỔI, CẢI CHÍNH, BỔ SUNG HỘ TỊCH",
        ),
        "civil_status_declaration",
        f"{_DECLARATION}; the shorter titles are older wording",
    ),
    TitleEntry(
        "guardianship_supervision_termination",
        ("TỜ KHAI ĐĂNG KÝ CHẤM DỨT GIÁM SÁT VIỆC GIÁM HỘ",),
        "civil_status_declaration",
        _SUPERVISION,
    ),
    TitleEntry(
        "guardianship_supervision",
        ("TỜ KHAI ĐĂNG KÝ GIÁM SÁT VIỆC GIÁM HỘ",),
        "civil_status_declaration",
        _SUPERVISION,
    ),
    TitleEntry(
        "guardianship_termination",
        ("TỜ KHAI ĐĂNG KÝ CHẤM DỨT GIÁM HỘ",),
        "civil_status_declaration",
        _DECLARATION,
    ),
    TitleEntry("guardianship", ("TỜ KHAI ĐĂNG KÝ GIÁM HỘ",), "civil_status_declaration", _DECLARATION),
    TitleEntry(
        "marital_status_certificate",
        ("TỜ KHAI CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",),
        "civil_status_declaration",
        _DECLARATION,
    ),
    TitleEntry(
        "extract_copy_request",
        ("TỜ KHAI CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", "TỜ KHAI ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH"),
        "civil_status_declaration",
        f"{_DECLARATION}; the second wording not confirmed",
    ),
    TitleEntry(
        "foreign_civil_status_recording",
        (
            "TỜ KHAI GHI VÀO SỔ HỘ TỊCH VIỆC HỘ TỊCH CỦA CÔNG DÂN VIỆT NAM ĐÃ ĐƯỢC GIẢI QUYẾT TẠI CƠ QUAN CÓ THẨM QUYỀN CỦA NƯỚC NGOÀI",
        ),
        "civil_status_declaration",
        _FOREIGN,
    ),
    # Register books (sổ đăng ký …), then the generic civil-status book.
    TitleEntry("birth_register_book", ("SỔ ĐĂNG KÝ KHAI SINH",), "civil_status_register", _REGISTER),
    TitleEntry("marriage_register_book", ("SỔ ĐĂNG KÝ KẾT HÔN",), "civil_status_register", _REGISTER),
    TitleEntry("death_register_book", ("SỔ ĐĂNG KÝ KHAI TỬ",), "civil_status_register", _REGISTER),
    TitleEntry(
        "parent_child_register_book",
        ("SỔ ĐĂNG KÝ NHẬN CHA, MẸ, CON",),
        "civil_status_register",
        _REGISTER,
    ),
    TitleEntry(
        "guardianship_register_book",
        ("SỔ ĐĂNG KÝ GIÁM HỘ",),
        "civil_status_register",
        f"{_REGISTER}; whether one book also holds the ending of guardianships not confirmed",
    ),
    TitleEntry(
        "civil_status_change_register_book",
        (
            "SỔ ĐĂNG KÝ THAY ĐỔI, CẢI CHÍNH, BỔ SUNG HỘ TỊCH, XÁC ĐỊNH LẠI DÂN TỘC",
            "SỔ ĐĂNG KÝ THAY ĐỔI, CẢI CHÍNH, BỔ SUNG THÔNG TIN HỘ TỊCH, XÁC ĐỊNH LẠI DÂN TỘC",
            "SỔ ĐĂNG KÝ THAY ĐỔI, CẢI CHÍNH HỘ TỊCH",
        ),
        "civil_status_register",
        f"{_REGISTER}; the first title is the one published copies print, the others are variants",
    ),
    TitleEntry(
        "marital_status_register_book",
        ("SỔ CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",),
        "civil_status_register",
        f"{_REGISTER}; printed title not confirmed",
    ),
    TitleEntry(
        "civil_status_register_book",
        ("SỔ HỘ TỊCH",),
        "civil_status_register",
        "Law on Civil Status 60/2014/QH13, Art. 4(3) (definition of the civil-status book); generic "
        "title, no single form",
    ),
    # Personal papers (ID, residence, judicial record, medical birth and death papers).
    TitleEntry(
        "citizen_id_card",
        ("CĂN CƯỚC CÔNG DÂN", "THẺ CĂN CƯỚC CÔNG DÂN"),
        "personal_paper",
        "Law on Citizen Identification 59/2014/QH13 (card issued until 30/06/2024); card-form "
        "circular of the Ministry of Public Security not confirmed",
    ),
    TitleEntry(
        "identity_certificate",
        ("GIẤY CHỨNG NHẬN CĂN CƯỚC",),
        "personal_paper",
        "Law on Identification 26/2023/QH15; Circular 16/2024/TT-BCA (form of the identity "
        "certificate for people of Vietnamese origin without a determined nationality)",
    ),
    TitleEntry(
        "identity_card",
        ("CĂN CƯỚC", "THẺ CĂN CƯỚC"),
        "personal_paper",
        "Law on Identification 26/2023/QH15; card form Circular 16/2024/TT-BCA, from 01/07/2024 "
        "(confirmed from press reports of 22-24/06/2024)",
    ),
    TitleEntry(
        "people_id_card",
        ("GIẤY CHỨNG MINH NHÂN DÂN", "CHỨNG MINH NHÂN DÂN"),
        "personal_paper",
        "Decree 05/1999/NĐ-CP on people's identity cards (superseded by the citizen ID card); form "
        "not confirmed",
    ),
    TitleEntry(
        "residence_confirmation",
        ("GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "GIẤY XÁC NHẬN CƯ TRÚ"),
        "personal_paper",
        "Circular 66/2023/TT-BCA, form CT07 (confirmation of residence information; earlier edition "
        "in Circular 56/2021/TT-BCA); `GIẤY XÁC NHẬN CƯ TRÚ` is older wording, form not confirmed",
    ),
    TitleEntry(
        "household_register",
        ("SỔ HỘ KHẨU",),
        "personal_paper",
        "Law on Residence 81/2006/QH11 (household book); not valid after 31/12/2022 under Law on "
        "Residence 68/2020/QH14, Art. 38; form not confirmed",
    ),
    TitleEntry(
        "temporary_residence_book",
        ("SỔ TẠM TRÚ",),
        "personal_paper",
        "Law on Residence 81/2006/QH11 (temporary residence book), abolished like the household book; "
        "form not confirmed",
    ),
    TitleEntry(
        "judicial_record",
        ("PHIẾU LÝ LỊCH TƯ PHÁP",),
        "personal_paper",
        "Law on Judicial Records 28/2009/QH12 (judicial record card no. 1 and no. 2); form circular "
        "not confirmed",
    ),
    TitleEntry(
        "medical_birth_certificate",
        ("GIẤY CHỨNG SINH",),
        "personal_paper",
        "Ministry of Health birth certificate issued by the health facility (basis of birth "
        "registration); form circular not confirmed",
    ),
    TitleEntry(
        "death_notice",
        ("GIẤY BÁO TỬ",),
        "personal_paper",
        "Death notice (basis of death registration, Law on Civil Status 60/2014/QH13, Art. 34); "
        "issuing form not confirmed",
    ),
    # Staff papers.
    TitleEntry(
        "staff_cv",
        ("SƠ YẾU LÝ LỊCH CÁN BỘ, CÔNG CHỨC", "SƠ YẾU LÝ LỊCH"),
        "staff",
        "Template 2C-BNV/2008 (Decision 02/2008/QĐ-BNV), the layout of sapnhap.samples' staff CV",
    ),
    TitleEntry(
        "staff_list",
        (
            "DANH SÁCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC",
            "DANH SÁCH CÁN BỘ, CÔNG CHỨC CẤP XÃ",
            "DANH SÁCH CÁN BỘ, CÔNG CHỨC",
            "DANH SÁCH CÔNG CHỨC, VIÊN CHỨC",
        ),
        "staff",
        "No statutory form: usual titles of commune staff lists (personnel reporting to the "
        "Ministry of Home Affairs); not confirmed as a numbered form",
    ),
    # Papers of administrative procedures.
    TitleEntry(
        "procedure_receipt",
        ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "PHIẾU TIẾP NHẬN HỒ SƠ", "BIÊN NHẬN HỒ SƠ"),
        "procedure",
        "Circular 01/2018/TT-VPCP (one-stop-shop forms under Decree 61/2018/NĐ-CP), the layout of "
        "sapnhap.samples' receipt; form number not confirmed",
    ),
)


# Every document type of the catalogue, in catalogue order, each once.
CATALOGUE_TYPES: tuple[str, ...] = tuple(dict.fromkeys(entry.doc_type for entry in TITLES))
# The administrative documents sapnhap.documents.titles types by their titles (Decree 30/2020/NĐ-CP,
# Annex III: công văn, quyết định, tờ trình …); they may name people (an appointment decision).
ADMINISTRATIVE_TYPES: tuple[str, ...] = (
    "official_letter",
    "official_decision",
    "appointment_decision",
    "resolution",
    "directive",
    "plan",
    "report",
    "submission",
    "notice",
)


# --- Person labels ------------------------------------------------------------------------------------


def _labels(
    texts: tuple[str, ...], field: str, kind: ValueKind, role: str | None = None
) -> tuple[FieldLabel, ...]:
    return tuple(FieldLabel(text, field, kind, role) for text in texts)


_NAME_PREFIXES = ("Họ, chữ đệm, tên", "Họ và tên", "Họ tên")


def _named(suffix: str, role: str) -> tuple[FieldLabel, ...]:
    """The full-name labels naming a role: `Họ, chữ đệm, tên người mẹ`, `Họ và tên người mẹ`, …"""
    return tuple(FieldLabel(f"{prefix} {suffix}", "full_name", "name", role) for prefix in _NAME_PREFIXES)


# Labels as printed, without the colon and the item numbers (`3) Sinh ngày:` is `Sinh ngày`).
PERSON_LABELS: tuple[FieldLabel, ...] = (
    # The name of whoever's section the label stands in.
    *_labels(
        (
            "Họ, chữ đệm, tên",
            "Họ, chữ đệm và tên",
            "Họ và tên",
            "Họ tên",
            "Họ, chữ đệm và tên khai sinh",  # thẻ căn cước (Circular 16/2024/TT-BCA)
            "Họ và tên khai sinh",  # staff CV 2C-BNV/2008
        ),
        "full_name",
        "name",
    ),
    # Names that name their role.
    *_named("người mẹ", "mother"),
    *_named("người cha", "father"),
    *_labels(("Họ và tên mẹ", "Họ tên mẹ"), "full_name", "name", "mother"),
    *_labels(("Họ và tên cha", "Họ tên cha"), "full_name", "name", "father"),
    *_labels(("Họ, chữ đệm, tên chồng", "Họ và tên chồng", "Họ tên chồng"), "full_name", "name", "husband"),
    *_labels(("Họ, chữ đệm, tên vợ", "Họ và tên vợ", "Họ tên vợ"), "full_name", "name", "wife"),
    *_named("người yêu cầu", "requester"),
    *_named("người được giám hộ", "ward"),
    *_named("người giám hộ", "guardian"),
    *_named("người nhận", "recognizer"),
    *_labels(("Họ, chữ đệm, tên người được nhận là cha",), "full_name", "name", "recognized_father"),
    *_labels(("Họ, chữ đệm, tên người được nhận là mẹ",), "full_name", "name", "recognized_mother"),
    *_labels(("Họ, chữ đệm, tên người được nhận là con",), "full_name", "name", "recognized_child"),
    *_named("người chết", "deceased"),
    *_labels(("Họ, chữ đệm, tên người đã chết",), "full_name", "name", "deceased"),
    *_named("người đi đăng ký", "declarant"),
    *_labels(("Họ, chữ đệm, tên người đi khai", "Họ và tên người đi khai"), "full_name", "name", "declarant"),
    FieldLabel("Tiếp nhận hồ sơ của", "full_name", "name", "applicant"),  # procedure receipt
    # Birth.
    *_labels(("Ngày, tháng, năm sinh", "Ngày sinh", "Sinh ngày"), "birth_date", "date"),
    FieldLabel("Năm sinh", "birth_year", "year"),
    *_labels(("Nơi sinh",), "birth_place", "place"),
    # Identity.
    FieldLabel("Giới tính", "sex", "sex"),
    FieldLabel("Dân tộc", "ethnicity", "text"),
    FieldLabel("Quốc tịch", "nationality", "text"),
    FieldLabel("Tôn giáo", "religion", "text"),
    FieldLabel("Tình trạng hôn nhân", "marital_status", "text"),
    *_labels(("Quê quán", "Nguyên quán"), "hometown", "place"),  # Nguyên quán: the old CMND
    *_labels(
        (
            "Số định danh cá nhân",
            "Số CCCD",
            "Số căn cước công dân",
            "Số căn cước",
            "Số CMND",
            "Số chứng minh nhân dân",
            "Số giấy tờ tùy thân",
            "Giấy tờ tùy thân",  # Giấy xác nhận tình trạng hôn nhân: `CCCD số …, cấp ngày …`
        ),
        "personal_id",
        "id",
    ),
    FieldLabel("Số hộ chiếu", "passport_number", "code"),
    *_labels(("Ngày cấp", "Ngày, tháng, năm cấp"), "id_issue_date", "date"),
    FieldLabel("Nơi cấp", "id_issue_place", "place"),
    *_labels(("Có giá trị đến", "Ngày, tháng, năm hết hạn"), "id_expiry_date", "date"),
    # Residence.
    *_labels(
        ("Nơi cư trú", "Nơi cư trú cuối cùng", "Nơi ở hiện tại", "Nơi ở hiện nay", "Địa chỉ"),
        "residence",
        "place",
    ),
    *_labels(
        ("Nơi thường trú", "Nơi đăng ký thường trú", "Địa chỉ thường trú", "Nơi ĐKHK thường trú"),
        "permanent_residence",
        "place",
    ),
    *_labels(("Nơi tạm trú", "Nơi đăng ký tạm trú"), "temporary_residence", "place"),
    FieldLabel("Số điện thoại", "phone", "digits", ""),
    # Death (fields of the document, as in the death extract's ground truth).
    *_labels(("Đã chết vào lúc", "Ngày, tháng, năm chết", "Ngày chết"), "death_time", "date", ""),
    FieldLabel("Nơi chết", "death_place", "place", ""),
    FieldLabel("Nguyên nhân chết", "death_cause", "text", ""),
    # The registration itself. On the thẻ căn cước `Nơi đăng ký khai sinh` is printed where the old
    # card had the place of birth; read as registration_place, as on the birth extract.
    *_labels(("Số", "Số đăng ký"), "registration_number", "code", ""),
    FieldLabel("Quyển số", "register_volume", "code", ""),
    *_labels(("Ngày, tháng, năm đăng ký", "Ngày đăng ký"), "registration_date", "date", ""),
    *_labels(
        ("Nơi đăng ký", "Nơi đăng ký khai sinh", "Nơi đăng ký kết hôn", "Nơi đăng ký khai tử"),
        "registration_place",
        "place",
        "",
    ),
)


# Roles the vocabulary gives: those its labels name, and the unnamed people of a document in order
# (the first, whose labels name no role, is `person` unless the type names it; see
# sapnhap.records.generic). UNKNOWN_TYPE is the type of a document whose title matched nothing (as
# sapnhap.documents.titles.UNKNOWN).
UNNAMED_ROLES: tuple[str, ...] = (
    "person",
    "second_person",
    "third_person",
    "fourth_person",
    "fifth_person",
    "sixth_person",
)
LABEL_ROLES: tuple[str, ...] = tuple(dict.fromkeys(label.role for label in PERSON_LABELS if label.role))
UNKNOWN_TYPE = "unknown"


# Lines that open a signature block: the names after them on the same page are the signer's (an
# officer, the declarant signing), not people the document registers.
SIGNATURE_LINES: tuple[str, ...] = (
    "NGƯỜI KÝ TRÍCH LỤC",
    "NGƯỜI KÝ GIẤY CHỨNG NHẬN",
    "(Ký, ghi rõ họ, chữ đệm, tên và đóng dấu)",
    "(Ký, ghi rõ họ, chữ đệm, tên)",
    "(Ký, ghi rõ họ tên và đóng dấu)",
    "(Ký, ghi rõ họ tên)",
    "(Ký và ghi rõ họ tên)",
    "NGƯỜI TIẾP NHẬN HỒ SƠ",
    "NGƯỜI LẬP BIỂU",
    "NGƯỜI GHI SỔ",
    "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH",
    "TM. ỦY BAN NHÂN DÂN",
    "KT. CHỦ TỊCH",
    "Người khai",
    "Người yêu cầu",
    "Tôi xin cam đoan những lời khai trên đây là đúng sự thật",
    "Tôi cam đoan những nội dung khai trên đây là đúng sự thật",
)


# --- Column headers -----------------------------------------------------------------------------------


def _headers(
    texts: tuple[str, ...], field: str, kind: ValueKind, role: str | None = None
) -> tuple[ColumnHeader, ...]:
    return tuple(ColumnHeader(text, field, kind, role) for text in texts)


# Not covered: old registers that split the year of birth into a `Nam` and a `Nữ` column (the year
# written under the person's sex) need the reader to pair them; `Nam` and `Nữ` alone match nothing.
COLUMN_HEADERS: tuple[ColumnHeader, ...] = (
    *_headers(("STT", "Số TT", "TT", "Số thứ tự"), "row_number", "integer", ""),
    # The person the row registers.
    *_headers(
        (
            "Họ tên",
            "Họ và tên",
            "Họ, chữ đệm, tên",
            "Họ, chữ đệm và tên",
            "Họ và tên người được đăng ký",
            "Họ tên người được đăng ký",
            "Họ và tên người được đăng ký khai sinh",
            "Họ, chữ đệm, tên người được đăng ký khai sinh",
            "Họ và tên người được khai sinh",
            "Họ và tên khai sinh",
        ),
        "full_name",
        "name",
    ),
    *_headers(("Ngày sinh", "NS", "Ngày, tháng, năm sinh", "Sinh ngày"), "birth_date", "date"),
    *_headers(("Năm sinh",), "birth_year", "year"),
    *_headers(("Giới tính", "GT", "Nam/Nữ"), "sex", "sex"),
    *_headers(("Dân tộc",), "ethnicity", "text"),
    *_headers(("Quốc tịch",), "nationality", "text"),
    *_headers(("Tôn giáo",), "religion", "text"),
    *_headers(
        (
            "Số ĐDCN",
            "Số định danh cá nhân",
            "Số định danh",
            "Số CCCD",
            "CCCD",
            "Số căn cước công dân",
            "Số căn cước",
            "Số CMND",
            "CMND",
            "Số CMND/CCCD",
            "Số chứng minh nhân dân",
        ),
        "personal_id",
        "id",
    ),
    *_headers(("Ngày cấp", "Ngày cấp CCCD"), "id_issue_date", "date"),
    *_headers(("Nơi cấp",), "id_issue_place", "place"),
    *_headers(("Nơi sinh",), "birth_place", "place"),
    *_headers(("Quê quán", "Nguyên quán"), "hometown", "place"),
    *_headers(
        ("Nơi cư trú", "Địa chỉ", "Nơi ở hiện nay", "Nơi ở hiện tại", "Chỗ ở hiện nay"), "residence", "place"
    ),
    *_headers(
        ("Nơi thường trú", "Địa chỉ thường trú", "Hộ khẩu thường trú", "HKTT"), "permanent_residence", "place"
    ),
    *_headers(("Nơi tạm trú",), "temporary_residence", "place"),
    # Parents and spouses.
    *_headers(("Họ tên cha", "Họ và tên cha", "Họ, chữ đệm, tên cha", "Cha"), "full_name", "name", "father"),
    *_headers(("Họ tên mẹ", "Họ và tên mẹ", "Họ, chữ đệm, tên mẹ", "Mẹ"), "full_name", "name", "mother"),
    *_headers(("Năm sinh cha", "Năm sinh của cha"), "birth_year", "year", "father"),
    *_headers(("Năm sinh mẹ", "Năm sinh của mẹ"), "birth_year", "year", "mother"),
    *_headers(("Họ tên chồng", "Họ và tên chồng", "Họ, chữ đệm, tên chồng"), "full_name", "name", "husband"),
    *_headers(("Họ tên vợ", "Họ và tên vợ", "Họ, chữ đệm, tên vợ"), "full_name", "name", "wife"),
    *_headers(("Họ tên người chết", "Họ và tên người chết"), "full_name", "name", "deceased"),
    *_headers(
        (
            "Họ tên người đi đăng ký",
            "Họ tên người đi khai",
            "Họ tên người đi đăng ký khai sinh",
            "Họ tên người đi đăng ký khai tử",
        ),
        "full_name",
        "name",
        "declarant",
    ),
    # The registration (one row, one registration).
    *_headers(("Số đăng ký", "Số ĐK"), "registration_number", "code", ""),
    *_headers(("Quyển số",), "register_volume", "code", ""),
    *_headers(("Ngày đăng ký", "Ngày ĐK", "Ngày, tháng, năm đăng ký"), "registration_date", "date", ""),
    *_headers(("Nơi đăng ký",), "registration_place", "place", ""),
    *_headers(("Ngày chết", "Ngày, tháng, năm chết"), "death_time", "date", ""),
    *_headers(("Nơi chết",), "death_place", "place", ""),
    *_headers(("Nguyên nhân chết",), "death_cause", "text", ""),
    *_headers(("Ghi chú",), "note", "text", ""),
    # Staff lists (the staff CV's ground-truth names; fields of the row, not of a role).
    *_headers(("Chức vụ", "Chức danh", "Chức vụ, chức danh", "Chức vụ hiện tại"), "position", "text", ""),
    *_headers(("Ngạch", "Ngạch công chức", "Ngạch, bậc"), "civil_service_rank", "text", ""),
    *_headers(("Mã ngạch", "Mã số ngạch"), "rank_code", "code", ""),
    *_headers(("Bậc lương", "Bậc"), "salary_step", "integer", ""),
    *_headers(("Hệ số lương", "Hệ số", "HSL"), "salary_coefficient", "coefficient", ""),
    *_headers(
        ("Trình độ chuyên môn", "Trình độ CM", "Trình độ chuyên môn cao nhất", "Chuyên môn"),
        "qualification",
        "text",
        "",
    ),
    *_headers(("Trình độ giáo dục phổ thông", "Trình độ văn hóa", "Văn hóa"), "schooling", "code", ""),
    *_headers(("Lý luận chính trị", "Trình độ lý luận chính trị", "LLCT"), "political_theory", "text", ""),
    *_headers(("Ngày tuyển dụng", "Ngày vào cơ quan"), "recruited_date", "date", ""),
    *_headers(("Đơn vị công tác", "Cơ quan, đơn vị công tác"), "employer_unit", "text", ""),
)


# --- Matching -----------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[^\w\s]|_")
# A column's printed number, `(1)` or `1.` or a lone `1`, around its header text.
_COLUMN_NUMBER = re.compile(r"^(?:\d+\s+)+|(?:\s+\d+)+$")
# A copy or original mark at either end of a title line: `TRÍCH LỤC KHAI SINH (Bản sao)`.
_COPY_MARK = re.compile(r"^(?:ban sao|ban chinh)\s+(?=\S)|\s+(?:ban sao|ban chinh)$")


def label_key(text: str) -> str:
    """The key labels, headers and titles are compared on.

    NFC, diacritics folded (Đ → d), lower case, every punctuation mark (colon, comma, slash,
    parentheses, dots) replaced by a space, whitespace collapsed: `Họ, chữ đệm, tên người mẹ:` →
    `ho chu dem ten nguoi me`, `Nam/Nữ` → `nam nu`, `Số ĐDCN` → `so ddcn`. Never raises; an
    empty or punctuation-only text gives "".
    """
    folded = fold_diacritics(nfc(text)).lower()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def _build_header_index() -> dict[str, ColumnHeader]:
    index: dict[str, ColumnHeader] = {}
    for header in COLUMN_HEADERS:
        index.setdefault(label_key(header.text), header)
    return index


_HEADER_INDEX = _build_header_index()
_FUZZY_HEADER_KEYS = [key for key in _HEADER_INDEX if len(key.replace(" ", "")) > _SHORT_KEY]


def match_header(text: str) -> ColumnMatch | None:
    """Map one column header cell to its field.

    Args:
        text: the header as read (any case, with or without diacritics, possibly OCR-slipped,
            possibly wrapped over lines or carrying the column's number: `Họ và tên (2)`).

    Returns:
        The `ColumnMatch` (field, kind, role, similarity 0-100, the vocabulary header matched), or
        None when nothing is close enough. The key (`label_key`, column numbers dropped) is looked
        up exactly first (score 100); else the most similar vocabulary header by rapidfuzz ratio,
        at least `HEADER_THRESHOLD`, that names the same people (`cha`, `mẹ`, `vợ`, `chồng`, `người đi …`,
        `người chết`). Short abbreviations (`STT`, `GT`, `NS`, `Cha`) match only
        exactly: one slip in three letters makes another word. Never raises.
    """
    key = _COLUMN_NUMBER.sub("", label_key(text)).strip()
    if not key:
        return None
    header = _HEADER_INDEX.get(key) or _HEADER_INDEX.get(key.replace(" ", ""))
    if header is not None:
        return ColumnMatch(header.field, header.kind, header.role, 100.0, header.text)
    if len(key.replace(" ", "")) <= _SHORT_KEY:
        return None
    best: tuple[float, str] | None = None
    roles = _ROLE_WORDS.intersection(key.split())
    for candidate in _FUZZY_HEADER_KEYS:
        if _ROLE_WORDS.intersection(candidate.split()) != roles:
            continue
        score = fuzz.ratio(key, candidate)
        if score >= HEADER_THRESHOLD and (best is None or score > best[0]):
            best = (score, candidate)
    if best is None:
        return None
    header = _HEADER_INDEX[best[1]]
    return ColumnMatch(header.field, header.kind, header.role, round(best[0], 1), header.text)


_TITLE_KEYS: tuple[tuple[TitleEntry, str, int], ...] = tuple(
    (entry, label_key(phrase), len(label_key(phrase).split())) for entry in TITLES for phrase in entry.phrases
)


def _title_score(words: list[str], phrase_key: str, phrase_words: int) -> float:
    """Similarity of a line to a phrase: the whole line, or the line's first words (one word more or
    fewer than the phrase has, for words OCR split or merged)."""
    line = " ".join(words)
    score = fuzz.ratio(line, phrase_key)
    for count in (phrase_words - 1, phrase_words, phrase_words + 1):
        if 0 < count < len(words):
            score = max(score, fuzz.ratio(" ".join(words[:count]), phrase_key))
    return score


def match_title(line: str) -> TitleEntry | None:
    """The catalogue entry one title line announces.

    Args:
        line: one line of text (a title is printed in capitals, but any case matches).

    Returns:
        The `TitleEntry` whose phrase is most similar to the line, or None when none reaches
        `TITLE_THRESHOLD` (88). Matching is on `label_key` (folded lower case, so `TRICH LUC HO
        TICH` matches `TRÍCH LỤC HỘ TỊCH`) with the rapidfuzz ratio, so a few OCR slips still match
        (`TRÍCH LỤC KHAl SINH`). A line may begin with the phrase and go on (`QUYẾT ĐỊNH Về việc …`
        style): its first words are compared too. A copy mark `(Bản sao)` / `Bản sao` at either end
        is ignored. On equal similarity the earlier entry wins (see the order of `TITLES`). Whether
        a line is a title at all (capitals, position on the page) is the caller's decision. Never
        raises.
    """
    key = _COPY_MARK.sub("", label_key(line)).strip()
    words = key.split()
    if not words:
        return None
    best: tuple[float, TitleEntry] | None = None
    for entry, phrase_key, phrase_words in _TITLE_KEYS:
        score = _title_score(words, phrase_key, phrase_words)
        if score >= TITLE_THRESHOLD and (best is None or score > best[0]):
            best = (score, entry)
    return best[1] if best else None


# --- What a record may carry (the loader and the rules share these) --------------------------------------

STATUSES: tuple[str, ...] = ("valid", "warning", "quarantined")
# How a record was read: by its type's dedicated template (sapnhap.records.templates), by the generic
# label vocabulary (sapnhap.records.generic), as a row of a register table on a page, or as a row of a
# born-digital register (spreadsheet, CSV, word-processor table).
EXTRACTORS: tuple[str, ...] = ("template", "generic", "register_table", "spreadsheet")

# The types with a dedicated template and their own rules.
TEMPLATE_TYPES: tuple[str, ...] = (
    "birth_registration",
    "marriage_registration",
    "death_registration",
    "staff_cv",
    "procedure_receipt",
)
# Every type a record may carry: the templated ones, every other type of the title catalogue and the
# administrative documents (read by the generic extractor, sapnhap.records.generic) and `unknown`.
DOCUMENT_TYPES: tuple[str, ...] = (
    *TEMPLATE_TYPES,
    *(t for t in CATALOGUE_TYPES if t not in TEMPLATE_TYPES),
    *ADMINISTRATIVE_TYPES,
    UNKNOWN_TYPE,
)
ROLES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "birth_registration": ("child", "mother", "father"),
    "marriage_registration": ("husband", "wife"),
    "death_registration": ("deceased",),
    "staff_cv": ("staff",),
    "procedure_receipt": ("applicant",),
}
# Every role a record may carry: the templates' and the vocabulary's (named and unnamed people).
ROLES: tuple[str, ...] = tuple(
    dict.fromkeys([*(r for roles in ROLES_BY_TYPE.values() for r in roles), *LABEL_ROLES, *UNNAMED_ROLES])
)

__all__ = [
    "DOCUMENT_TYPES",
    "EXTRACTORS",
    "ROLES",
    "ROLES_BY_TYPE",
    "STATUSES",
    "TEMPLATE_TYPES",
    "COLUMN_HEADERS",
    "FAMILIES",
    "HEADER_THRESHOLD",
    "PERSON_LABELS",
    "TITLES",
    "TITLE_THRESHOLD",
    "VALUE_KINDS",
    "ColumnHeader",
    "ColumnMatch",
    "FieldLabel",
    "TitleEntry",
    "TitleFamily",
    "label_key",
    "match_header",
    "match_title",
]
