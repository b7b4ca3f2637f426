"""The official templates the generator fills in, with their field labels, and the truth of every field.

Labels follow the templates in force:
- civil-status extracts (trích lục khai sinh, kết hôn, khai tử): Circular 04/2020/TT-BTP as amended by
  Circular 04/2024/TT-BTP, appendices of extract templates;
- the staff CV (sơ yếu lý lịch cán bộ, công chức): template 2C-BNV/2008 of the Ministry of Home
  Affairs (Decision 02/2008/QĐ-BNV), with the personal identification number in place of the old
  identity-card number;
- the administrative-procedure receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả, template 01):
  Circular 01/2018/TT-VPCP guiding Decree 61/2018/NĐ-CP on the one-stop mechanism.
The layout is simplified to one column (the national motto centred on top, then the issuing body):
the text of each printed line is then exactly one line of the page's ground truth.

`lay_out(plan)` returns the pages and one `FieldTruth` per printed field. A field's `printed` text is
what the page says (after any planted variation), `value` the normalised value an extractor should
return for it (names NFC in title case, dates ISO 8601, ID numbers as strings), and `canonical` the
person's true value, which differs from `value` where a variation was planted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

from PIL import ImageFont

from sapnhap.samples.model import Line, PageSpec, Segment
from sapnhap.text import nfc

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
TITLES = {
    "birth_registration": "TRÍCH LỤC KHAI SINH",
    "marriage_registration": "TRÍCH LỤC KẾT HÔN",
    "death_registration": "TRÍCH LỤC KHAI TỬ",
    "staff_cv": "SƠ YẾU LÝ LỊCH CÁN BỘ, CÔNG CHỨC",
    "procedure_receipt": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
}
DOCUMENT_TYPES = tuple(TITLES)
# Layout families: "standard" (the five templates) and "variant" (other wordings and orders).
LAYOUTS = ("standard", "variant")
GENERIC_TITLE = "TRÍCH LỤC HỘ TỊCH"
# Variant layouts printed under the generic title (their type is read as civil_status_extract).
_GENERIC_TITLE_TYPES = ("marriage_registration", "death_registration")

# Printable width of an A4 page with 20 mm margins, in points, less a safety margin.
_WIDTH_PT = 170 / 25.4 * 72 * 0.94
_FONT_DIR = "/usr/share/fonts/truetype/dejavu/"


@dataclass
class PrintedPerson:
    """A person as one document prints them.

    `fields` maps a field name (`full_name`, `birth_date`, `birth_year`, `sex`, `ethnicity`,
    `nationality`, `personal_id`, `residence`, `birth_place`, `hometown`) to (printed text, value);
    `canonical` maps the same names to the person's true value; `variations` names what was planted.
    """

    role: str
    entity_id: str
    fields: dict[str, tuple[str, str]]
    canonical: dict[str, str]
    variations: tuple[str, ...] = ()

    def printed(self, name: str) -> str:
        """The printed text of a field ('' when the document leaves it blank)."""
        return self.fields.get(name, ("", ""))[0]


@dataclass
class DocumentPlan:
    """One document to lay out: who issued it, when, about whom, and its own fields.

    `extra` maps document-level field names (e.g. `registration_date`, `receipt_number`) to
    (printed text, value). `issuer` is the issuing body as printed (`UBND XÃ GIA TÂN`).
    """

    doc_id: str
    folder: str
    doc_type: str
    issuer: str
    issued: date
    people: list[PrintedPerson]
    extra: dict[str, tuple[str, str]] = field(default_factory=dict)
    seal: bool = False
    seal_text: str = ""
    layout: str = "standard"

    @property
    def printed_type(self) -> str:
        """The document type its printed title announces: `doc_type`, except for a variant layout
        printed under the generic title `TRÍCH LỤC HỘ TỊCH` (`civil_status_extract`)."""
        if self.layout == "variant" and self.doc_type in _GENERIC_TITLE_TYPES:
            return "civil_status_extract"
        return self.doc_type


@dataclass(frozen=True)
class FieldTruth:
    """The truth of one printed field of one document (role '' for document-level fields)."""

    doc_id: str
    role: str
    field: str
    printed: str
    value: str
    canonical: str
    variation: str


def lay_out(plan: DocumentPlan) -> tuple[list[PageSpec], list[FieldTruth]]:
    """Lay a planned document out as pages of its template, and list the truth of its fields.

    `plan.layout` picks the layout family: "standard" (the layouts `sapnhap.records.templates` was
    written against) or "variant" (`VARIANT_TYPES` only: other label wordings and orders, parents in
    the other order, two of them under the generic title `TRÍCH LỤC HỘ TỊCH`; written to test the
    generic extractor on layouts it was not written against).

    Returns (pages, fields): 1 page for extracts and receipts, 2 for a staff CV.

    Raises:
        ValueError: for an unknown layout family, or a document type without a template in it.
    """
    if plan.layout not in LAYOUTS:
        raise ValueError(f"unknown layout family {plan.layout!r}; known: {', '.join(LAYOUTS)}")
    builders = _VARIANT_BUILDERS if plan.layout == "variant" else _BUILDERS
    builder = builders.get(plan.doc_type)
    if builder is None:
        raise ValueError(
            f"no {plan.layout} template for document type {plan.doc_type!r}; known: {', '.join(builders)}"
        )
    pages = builder(plan)
    truths: list[FieldTruth] = []
    for person in plan.people:
        for name, (printed, value) in person.fields.items():
            truths.append(
                FieldTruth(
                    plan.doc_id,
                    person.role,
                    name,
                    nfc(printed),
                    nfc(value),
                    nfc(person.canonical.get(name, value)),
                    ";".join(person.variations),
                )
            )
    for name, (printed, value) in plan.extra.items():
        truths.append(FieldTruth(plan.doc_id, "", name, nfc(printed), nfc(value), nfc(value), ""))
    if plan.seal:
        last = pages[-1]
        pages[-1] = PageSpec(last.lines, seal_line=len(last.lines) - 2, seal_text=plan.seal_text)
    return pages, truths


# --- layout helpers -------------------------------------------------------------------------------


def _head(plan: DocumentPlan, number: str | None = None) -> list[Line]:
    lines = [Line((Segment(MOTTO[0], "motto"),), "center"), Line((Segment(MOTTO[1], "motto"),), "center")]
    lines.append(Line((Segment(plan.issuer, "header"),), "left"))
    if number:
        lines.append(Line((Segment("Số:", "label"), Segment(number, "value")), "left"))
    lines.append(Line((Segment(TITLES[plan.doc_type], "title"),), "center"))
    return lines


def _pairs(*pairs: tuple[str, str]) -> list[Line]:
    """Label/value pairs on one line when they fit, else one line each; a long value goes on its own line."""
    segments = tuple(s for label, value in pairs for s in (Segment(label, "label"), Segment(value, "value")))
    if _fits(segments):
        return [Line(segments)]
    lines: list[Line] = []
    for label, value in pairs:
        pair = (Segment(label, "label"), Segment(value, "value"))
        if _fits(pair):
            lines.append(Line(pair))
        else:
            lines.append(Line((Segment(label, "label"),)))
            lines.extend(Line((Segment(part, "value"),)) for part in _wrap(value))
    return lines


def _wrap(value: str) -> list[str]:
    """A value too long for one line, broken after commas (as a clerk types a long address), else at
    spaces; each piece fits the printable width."""
    pieces: list[str] = []
    current = ""
    for word in value.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and not _fits((Segment(candidate, "value"),)):
            pieces.append(current)
            current = word
        else:
            current = candidate
    pieces.append(current)
    # Prefer breaking after a comma: move trailing words of a piece onto the next one up to the last comma.
    for i in range(len(pieces) - 1):
        head, sep, tail = pieces[i].rpartition(", ")
        if sep and tail and _fits((Segment(f"{tail} {pieces[i + 1]}", "value"),)):
            pieces[i], pieces[i + 1] = head + ",", f"{tail} {pieces[i + 1]}"
    return pieces


def _plain(text: str, align: str = "left") -> Line:
    return Line((Segment(text, "plain"),), align)  # type: ignore[arg-type]


def _fits(segments: tuple[Segment, ...]) -> bool:
    width = sum(_width(s) for s in segments) + _space() * (len(segments) - 1)
    return width <= _WIDTH_PT


def _width(segment: Segment) -> float:
    return _font(segment.role).getlength(segment.text)


@functools.cache
def _font(role: str) -> ImageFont.FreeTypeFont:
    # Measured with the widest faces the renderer may use for each role (values: monospace).
    name, size = {
        "value": ("DejaVuSansMono.ttf", 12.0),
        "label": ("DejaVuSerif.ttf", 12.5),
        "plain": ("DejaVuSerif.ttf", 12.0),
    }.get(role, ("DejaVuSerif-Bold.ttf", 14.0))
    return ImageFont.truetype(_FONT_DIR + name, size=size)


def _space() -> float:
    return _font("label").getlength(" ")


def _signature(plan: DocumentPlan, title: str) -> list[Line]:
    return [_plain(title, "right"), _plain("(Ký, ghi rõ họ, chữ đệm, tên và đóng dấu)", "right")]


def _p(person: PrintedPerson, name: str) -> str:
    return person.printed(name)


def _e(plan: DocumentPlan, name: str) -> str:
    return plan.extra.get(name, ("", ""))[0]


# --- templates ------------------------------------------------------------------------------------


def _birth(plan: DocumentPlan) -> list[PageSpec]:
    child, mother, father = (
        next(p for p in plan.people if p.role == r) for r in ("child", "mother", "father")
    )
    lines = _head(plan, _e(plan, "registration_number"))
    lines += _pairs(("Họ, chữ đệm, tên:", _p(child, "full_name")))
    lines += _pairs(("Ngày, tháng, năm sinh:", _p(child, "birth_date")))
    lines += _pairs(("Giới tính:", _p(child, "sex")), ("Dân tộc:", _p(child, "ethnicity")))
    lines += _pairs(("Quốc tịch:", _p(child, "nationality")))
    lines += _pairs(("Nơi sinh:", _p(child, "birth_place")))
    lines += _pairs(("Quê quán:", _p(child, "hometown")))
    lines += _pairs(("Số định danh cá nhân:", _p(child, "personal_id")))
    for parent, label in ((mother, "người mẹ"), (father, "người cha")):
        lines += _pairs((f"Họ, chữ đệm, tên {label}:", _p(parent, "full_name")))
        lines += _pairs(("Năm sinh:", _p(parent, "birth_year")), ("Dân tộc:", _p(parent, "ethnicity")))
        lines += _pairs(("Nơi cư trú:", _p(parent, "residence")))
    lines += _pairs(("Nơi đăng ký khai sinh:", _e(plan, "registration_place")))
    lines += _pairs(("Ngày, tháng, năm đăng ký:", _e(plan, "registration_date")))
    lines += _signature(plan, "NGƯỜI KÝ TRÍCH LỤC")
    return [PageSpec(tuple(lines))]


def _marriage(plan: DocumentPlan) -> list[PageSpec]:
    lines = _head(plan, _e(plan, "registration_number"))
    for role, label in (("husband", "chồng"), ("wife", "vợ")):
        person = next(p for p in plan.people if p.role == role)
        lines += _pairs((f"Họ, chữ đệm, tên {label}:", _p(person, "full_name")))
        lines += _pairs(("Ngày, tháng, năm sinh:", _p(person, "birth_date")))
        lines += _pairs(("Dân tộc:", _p(person, "ethnicity")), ("Quốc tịch:", _p(person, "nationality")))
        lines += _pairs(("Nơi cư trú:", _p(person, "residence")))
        lines += _pairs(("Số định danh cá nhân:", _p(person, "personal_id")))
    lines += _pairs(("Nơi đăng ký kết hôn:", _e(plan, "registration_place")))
    lines += _pairs(("Ngày, tháng, năm đăng ký:", _e(plan, "registration_date")))
    lines += _signature(plan, "NGƯỜI KÝ TRÍCH LỤC")
    return [PageSpec(tuple(lines))]


def _death(plan: DocumentPlan) -> list[PageSpec]:
    person = next(p for p in plan.people if p.role == "deceased")
    lines = _head(plan, _e(plan, "registration_number"))
    lines += _pairs(("Họ, chữ đệm, tên:", _p(person, "full_name")))
    lines += _pairs(("Ngày, tháng, năm sinh:", _p(person, "birth_date")), ("Giới tính:", _p(person, "sex")))
    lines += _pairs(("Dân tộc:", _p(person, "ethnicity")), ("Quốc tịch:", _p(person, "nationality")))
    lines += _pairs(("Số định danh cá nhân:", _p(person, "personal_id")))
    lines += _pairs(("Nơi cư trú cuối cùng:", _p(person, "residence")))
    lines += _pairs(("Đã chết vào lúc:", _e(plan, "death_time")))
    lines += _pairs(("Nơi chết:", _e(plan, "death_place")))
    lines += _pairs(("Nguyên nhân chết:", _e(plan, "death_cause")))
    lines += _pairs(("Nơi đăng ký khai tử:", _e(plan, "registration_place")))
    lines += _pairs(("Ngày, tháng, năm đăng ký:", _e(plan, "registration_date")))
    lines += _signature(plan, "NGƯỜI KÝ TRÍCH LỤC")
    return [PageSpec(tuple(lines))]


def _staff_cv(plan: DocumentPlan) -> list[PageSpec]:
    person = next(p for p in plan.people if p.role == "staff")
    lines = [Line((Segment(MOTTO[0], "motto"),), "center"), Line((Segment(MOTTO[1], "motto"),), "center")]
    lines += _pairs(("Cơ quan, đơn vị có thẩm quyền quản lý:", _e(plan, "managing_unit")))
    lines += _pairs(("Cơ quan, đơn vị sử dụng:", _e(plan, "employer_unit")))
    lines.append(Line((Segment(TITLES["staff_cv"], "title"),), "center"))
    lines += _pairs(("1) Họ và tên khai sinh (viết chữ in hoa):", _p(person, "full_name")))
    lines += _pairs(("2) Tên gọi khác:", "Không"))
    lines += _pairs(("3) Sinh ngày:", _p(person, "birth_date")), ("Giới tính:", _p(person, "sex")))
    lines += _pairs(("4) Nơi sinh:", _p(person, "birth_place")))
    lines += _pairs(("5) Quê quán:", _p(person, "hometown")))
    lines += _pairs(("6) Dân tộc:", _p(person, "ethnicity")), ("7) Tôn giáo:", "Không"))
    lines += _pairs(("8) Số định danh cá nhân:", _p(person, "personal_id")))
    lines += _pairs(("9) Nơi ở hiện nay:", _p(person, "residence")))
    lines += _pairs(("10) Chức vụ (chức danh) hiện tại:", _e(plan, "position")))
    lines += _pairs(
        ("11) Ngạch công chức:", _e(plan, "civil_service_rank")), ("Mã ngạch:", _e(plan, "rank_code"))
    )
    lines += _pairs(("12) Bậc lương:", _e(plan, "salary_step")), ("Hệ số:", _e(plan, "salary_coefficient")))
    page1 = PageSpec(tuple(lines))
    lines2 = [
        *_pairs(("13) Ngày tuyển dụng:", _e(plan, "recruited_date"))),
        *_pairs(("14) Trình độ giáo dục phổ thông:", _e(plan, "schooling"))),
        *_pairs(("15) Trình độ chuyên môn cao nhất:", _e(plan, "qualification"))),
        *_pairs(("16) Lý luận chính trị:", _e(plan, "political_theory"))),
        *_pairs(("17) Tình trạng sức khỏe:", "Tốt")),
        _plain("Tôi xin cam đoan những lời khai trên đây là đúng sự thật."),
        _plain(_e(plan, "declared_at"), "right"),
        _plain("Người khai", "right"),
        _plain("XÁC NHẬN CỦA CƠ QUAN, ĐƠN VỊ QUẢN LÝ", "center"),
    ]
    return [page1, PageSpec(tuple(lines2))]


def _receipt(plan: DocumentPlan) -> list[PageSpec]:
    person = next(p for p in plan.people if p.role == "applicant")
    lines = [Line((Segment(MOTTO[0], "motto"),), "center"), Line((Segment(MOTTO[1], "motto"),), "center")]
    lines.append(Line((Segment(plan.issuer, "header"),), "left"))
    lines.append(Line((Segment("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", "header"),), "left"))
    lines += _pairs(("Mã hồ sơ:", _e(plan, "receipt_number")))
    lines.append(Line((Segment(TITLES["procedure_receipt"], "title"),), "center"))
    lines += _pairs(("Tiếp nhận hồ sơ của:", _p(person, "full_name")))
    lines += _pairs(("Số định danh cá nhân:", _p(person, "personal_id")))
    lines += _pairs(("Địa chỉ:", _p(person, "residence")))
    lines += _pairs(("Số điện thoại:", _e(plan, "phone")))
    lines += _pairs(("Nội dung yêu cầu giải quyết:", _e(plan, "procedure")))
    lines += _pairs(("Thời gian nhận hồ sơ:", _e(plan, "received_date")))
    lines += _pairs(("Thời gian trả kết quả:", _e(plan, "appointment_date")))
    lines += _pairs(("Tình trạng hồ sơ:", _e(plan, "status")))
    lines += _signature(plan, "NGƯỜI TIẾP NHẬN HỒ SƠ")
    return [PageSpec(tuple(lines))]


APPOINTMENT_TITLE = "QUYẾT ĐỊNH"
APPOINTMENT_SUBJECT = "Về việc bổ nhiệm công chức cấp xã"


def _prose(segments: list[Segment], align: str = "left") -> list[Line]:
    """A paragraph: its plain text split into words, typed values kept whole, packed greedily into
    lines of the page's width."""
    words: list[Segment] = []
    for segment in segments:
        if segment.role == "plain":
            words += [Segment(w, "plain") for w in segment.text.split()]
        elif segment.text:
            words.append(segment)
    lines: list[Line] = []
    current: list[Segment] = []
    for word in words:
        if current and not _fits((*current, word)):
            lines.append(Line(tuple(current), align))  # type: ignore[arg-type]
            current = []
        current.append(word)
    if current:
        lines.append(Line(tuple(current), align))  # type: ignore[arg-type]
    return lines


def _appointment(plan: DocumentPlan) -> list[PageSpec]:
    """An appointment decision (quyết định bổ nhiệm) in the layout of an individual decision of Decree
    30/2020/NĐ-CP, Appendix III: issuer and number, title and subject, the grounds, and Article 1 in
    prose naming the person, their birth date, the post and the day it takes effect."""
    person = plan.people[0]
    district = plan.issuer.removeprefix("UBND ")
    lines = [Line((Segment(MOTTO[0], "motto"),), "center"), Line((Segment(MOTTO[1], "motto"),), "center")]
    lines.append(Line((Segment(plan.issuer, "header"),), "left"))
    lines.append(Line((Segment("Số:", "label"), Segment(_e(plan, "decision_number"), "value")), "left"))
    lines.append(Line((Segment(APPOINTMENT_TITLE, "title"),), "center"))
    lines.append(_plain(APPOINTMENT_SUBJECT, "center"))
    lines.append(_plain(f"CHỦ TỊCH ỦY BAN NHÂN DÂN {district}", "center"))
    for ground in (
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
        "Căn cứ Nghị định số 33/2023/NĐ-CP ngày 10 tháng 6 năm 2023 của Chính phủ quy định về cán bộ, "
        "công chức cấp xã và người hoạt động không chuyên trách ở cấp xã;",
        "Xét đề nghị của Trưởng phòng Nội vụ,",
    ):
        lines += _prose([Segment(ground, "plain")])
    lines.append(_plain("QUYẾT ĐỊNH:", "center"))
    honorific = "ông" if person.canonical.get("sex") == "male" else "bà"
    lines += _prose(
        [
            Segment(f"Điều 1. Bổ nhiệm {honorific}", "plain"),
            Segment(_p(person, "full_name"), "value"),
            Segment(", sinh ngày", "plain"),
            Segment(_p(person, "birth_date"), "value"),
            Segment(", giữ chức danh", "plain"),
            Segment(_e(plan, "position"), "value"),
            Segment("của", "plain"),
            Segment(_e(plan, "employer_unit"), "value"),
            Segment(", kể từ ngày", "plain"),
            Segment(_e(plan, "declared_at"), "value"),
            Segment(".", "plain"),
        ]
    )
    lines += _prose(
        [
            Segment(
                "Điều 2. Trưởng phòng Nội vụ, Chủ tịch Ủy ban nhân dân xã và người có tên tại Điều 1 "
                "chịu trách nhiệm thi hành Quyết định này.",
                "plain",
            )
        ]
    )
    lines += [_plain("CHỦ TỊCH", "right"), _plain("(Ký, ghi rõ họ tên và đóng dấu)", "right")]
    return [PageSpec(tuple(lines))]


_BUILDERS = {
    "birth_registration": _birth,
    "marriage_registration": _marriage,
    "death_registration": _death,
    "staff_cv": _staff_cv,
    "procedure_receipt": _receipt,
    "appointment_decision": _appointment,
}


# --- the variant family ---------------------------------------------------------------------------
# Written after the wordings of other civil-status forms and of ID papers (`Họ và tên`, `Sinh ngày`,
# `Ngày sinh`, `Nơi ở hiện tại`, `Số CCCD`, `Ngày chết`), in other orders; the extractor's templates
# were not written against them. Every field the standard layout prints is printed.


def _variant_head(plan: DocumentPlan, title: str, event: str = "") -> list[Line]:
    lines = [Line((Segment(MOTTO[0], "motto"),), "center"), Line((Segment(MOTTO[1], "motto"),), "center")]
    lines.append(Line((Segment(plan.issuer, "header"),), "left"))
    lines.append(Line((Segment(title, "title"),), "center"))
    lines += _pairs(("Số:", _e(plan, "registration_number")), ("Quyển số:", f"01/{plan.issued.year}"))
    if event:
        lines += _pairs(("Loại việc hộ tịch:", event))
    return lines


def _birth_variant(plan: DocumentPlan) -> list[PageSpec]:
    child, mother, father = (
        next(p for p in plan.people if p.role == r) for r in ("child", "mother", "father")
    )
    lines = _variant_head(plan, TITLES["birth_registration"])
    lines += _pairs(("Họ và tên:", _p(child, "full_name")))
    lines += _pairs(("Giới tính:", _p(child, "sex")), ("Sinh ngày:", _p(child, "birth_date")))
    lines += _pairs(("Nơi sinh:", _p(child, "birth_place")))
    lines += _pairs(("Dân tộc:", _p(child, "ethnicity")), ("Quốc tịch:", _p(child, "nationality")))
    lines += _pairs(("Quê quán:", _p(child, "hometown")))
    lines += _pairs(("Số định danh cá nhân:", _p(child, "personal_id")))
    for parent, label in ((father, "cha"), (mother, "mẹ")):  # the father first
        lines += _pairs(
            (f"Họ và tên {label}:", _p(parent, "full_name")), ("Năm sinh:", _p(parent, "birth_year"))
        )
        lines += _pairs(("Dân tộc:", _p(parent, "ethnicity")))
        lines += _pairs(("Nơi ở hiện tại:", _p(parent, "residence")))
    lines += _pairs(("Ngày đăng ký:", _e(plan, "registration_date")))
    lines += _pairs(("Nơi đăng ký:", _e(plan, "registration_place")))
    lines += _signature(plan, "NGƯỜI KÝ TRÍCH LỤC")
    return [PageSpec(tuple(lines))]


def _marriage_variant(plan: DocumentPlan) -> list[PageSpec]:
    lines = _variant_head(plan, GENERIC_TITLE, "Đăng ký kết hôn")
    for role, label in (("wife", "vợ"), ("husband", "chồng")):  # the wife first
        person = next(p for p in plan.people if p.role == role)
        lines += _pairs((f"Họ và tên {label}:", _p(person, "full_name")))
        lines += _pairs(("Ngày sinh:", _p(person, "birth_date")), ("Dân tộc:", _p(person, "ethnicity")))
        lines += _pairs(("Quốc tịch:", _p(person, "nationality")))
        lines += _pairs(("Số CCCD:", _p(person, "personal_id")))
        lines += _pairs(("Nơi cư trú:", _p(person, "residence")))
    lines += _pairs(("Ngày đăng ký:", _e(plan, "registration_date")))
    lines += _pairs(("Nơi đăng ký:", _e(plan, "registration_place")))
    lines += _signature(plan, "NGƯỜI KÝ TRÍCH LỤC")
    return [PageSpec(tuple(lines))]


def _death_variant(plan: DocumentPlan) -> list[PageSpec]:
    person = next(p for p in plan.people if p.role == "deceased")
    lines = _variant_head(plan, GENERIC_TITLE, "Đăng ký khai tử")
    lines += _pairs(("Họ và tên người chết:", _p(person, "full_name")))
    lines += _pairs(("Giới tính:", _p(person, "sex")), ("Ngày sinh:", _p(person, "birth_date")))
    lines += _pairs(("Số định danh cá nhân:", _p(person, "personal_id")))
    lines += _pairs(("Dân tộc:", _p(person, "ethnicity")), ("Quốc tịch:", _p(person, "nationality")))
    lines += _pairs(("Nơi cư trú cuối cùng:", _p(person, "residence")))
    lines += _pairs(("Ngày chết:", _e(plan, "death_time")))
    lines += _pairs(("Nơi chết:", _e(plan, "death_place")))
    lines += _pairs(("Nguyên nhân chết:", _e(plan, "death_cause")))
    lines += _pairs(("Ngày đăng ký:", _e(plan, "registration_date")))
    lines += _pairs(("Nơi đăng ký:", _e(plan, "registration_place")))
    lines += _signature(plan, "NGƯỜI KÝ TRÍCH LỤC")
    return [PageSpec(tuple(lines))]


_VARIANT_BUILDERS = {
    "birth_registration": _birth_variant,
    "marriage_registration": _marriage_variant,
    "death_registration": _death_variant,
}
VARIANT_TYPES = tuple(_VARIANT_BUILDERS)
