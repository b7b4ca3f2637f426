"""What the extractor looks for in each document type: the templates' labels, the field each one
announces, whose field it is, and how its value is read.

The labels are those of the templates the generator fills in (`sapnhap.samples.templates`, after the
official templates: Circular 04/2020/TT-BTP as amended by 04/2024/TT-BTP for the civil-status
extracts, template 2C-BNV/2008 for the staff CV, Circular 01/2018/TT-VPCP for the procedure
receipt). Field and role names are the ground truth's (`fields.csv`).

A label either names its role outright (`Họ, chữ đệm, tên người mẹ:` is the mother's name and opens
the mother's section) or belongs to the section it stands in (`Năm sinh:` after the mother's name is
the mother's year of birth). Document-level fields have the role "" (as in the ground truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How a value is read and normalised (see sapnhap.records.values.normalise_value).
ValueKind = Literal[
    "name", "date", "year", "sex", "id", "digits", "text", "place", "code", "integer", "coefficient", "none"
]
SECTION = "@section"  # the role of the section the label stands in


@dataclass(frozen=True)
class Label:
    """One printed label of a template.

    text: the label as printed (`Họ, chữ đệm, tên người mẹ:`).
    field: the field it announces ("" for a label whose value is not extracted, e.g. `Tôn giáo:`).
    kind: how its value is read (`ValueKind`).
    role: the role the field belongs to: a role name, "" for the document, or `SECTION`.
    opens: the role whose section starts at this label (None: no new section).
    inline: the label may follow another pair's value on the same line (the second label of a pair).
    wraps: its value may be long enough to wrap onto the following lines.
    """

    text: str
    field: str
    kind: ValueKind
    role: str = SECTION
    opens: str | None = None
    inline: bool = False
    wraps: bool = False


@dataclass(frozen=True)
class Template:
    """A document type's labels and roles.

    roles: the people named, in the order their sections come (the first is open from the start).
    fields: role → the fields the document prints for it (a label in a role's section whose field is
    not one of these is ignored). free_date: a document-level field printed without a label as a
    line `<place>, ngày d tháng m năm yyyy` (the staff CV's `declared_at`), or "".
    """

    doc_type: str
    labels: tuple[Label, ...]
    roles: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]
    free_date: str = ""


def _doc(text: str, field: str, kind: ValueKind, wraps: bool = False, inline: bool = False) -> Label:
    return Label(text, field, kind, role="", wraps=wraps, inline=inline)


_REGISTRATION_NUMBER = _doc("Số:", "registration_number", "code")
_REGISTRATION_DATE = _doc("Ngày, tháng, năm đăng ký:", "registration_date", "date")

BIRTH = Template(
    "birth_registration",
    (
        _REGISTRATION_NUMBER,
        Label("Họ, chữ đệm, tên:", "full_name", "name", role="child", opens="child"),
        Label("Ngày, tháng, năm sinh:", "birth_date", "date"),
        Label("Giới tính:", "sex", "sex"),
        Label("Dân tộc:", "ethnicity", "text", inline=True),
        Label("Quốc tịch:", "nationality", "text"),
        Label("Nơi sinh:", "birth_place", "place", wraps=True),
        Label("Quê quán:", "hometown", "place", wraps=True),
        Label("Số định danh cá nhân:", "personal_id", "id"),
        Label("Họ, chữ đệm, tên người mẹ:", "full_name", "name", role="mother", opens="mother"),
        Label("Năm sinh:", "birth_year", "year"),
        Label("Nơi cư trú:", "residence", "place", wraps=True),
        Label("Họ, chữ đệm, tên người cha:", "full_name", "name", role="father", opens="father"),
        _doc("Nơi đăng ký khai sinh:", "registration_place", "place", wraps=True),
        _REGISTRATION_DATE,
    ),
    ("child", "mother", "father"),
    {
        "child": (
            "full_name", "birth_date", "sex", "ethnicity", "nationality", "birth_place", "hometown",
            "personal_id",
        ),
        "mother": ("full_name", "birth_year", "ethnicity", "residence"),
        "father": ("full_name", "birth_year", "ethnicity", "residence"),
        "": ("registration_number", "registration_place", "registration_date"),
    },
)  # fmt: skip

MARRIAGE = Template(
    "marriage_registration",
    (
        _REGISTRATION_NUMBER,
        Label("Họ, chữ đệm, tên chồng:", "full_name", "name", role="husband", opens="husband"),
        Label("Họ, chữ đệm, tên vợ:", "full_name", "name", role="wife", opens="wife"),
        Label("Ngày, tháng, năm sinh:", "birth_date", "date"),
        Label("Dân tộc:", "ethnicity", "text"),
        Label("Quốc tịch:", "nationality", "text", inline=True),
        Label("Nơi cư trú:", "residence", "place", wraps=True),
        Label("Số định danh cá nhân:", "personal_id", "id"),
        _doc("Nơi đăng ký kết hôn:", "registration_place", "place", wraps=True),
        _REGISTRATION_DATE,
    ),
    ("husband", "wife"),
    {
        "husband": ("full_name", "birth_date", "ethnicity", "nationality", "residence", "personal_id"),
        "wife": ("full_name", "birth_date", "ethnicity", "nationality", "residence", "personal_id"),
        "": ("registration_number", "registration_place", "registration_date"),
    },
)

DEATH = Template(
    "death_registration",
    (
        _REGISTRATION_NUMBER,
        Label("Họ, chữ đệm, tên:", "full_name", "name", role="deceased", opens="deceased"),
        Label("Ngày, tháng, năm sinh:", "birth_date", "date"),
        Label("Giới tính:", "sex", "sex", inline=True),
        Label("Dân tộc:", "ethnicity", "text"),
        Label("Quốc tịch:", "nationality", "text", inline=True),
        Label("Số định danh cá nhân:", "personal_id", "id"),
        Label("Nơi cư trú cuối cùng:", "residence", "place", wraps=True),
        _doc("Đã chết vào lúc:", "death_time", "date"),
        _doc("Nơi chết:", "death_place", "place", wraps=True),
        _doc("Nguyên nhân chết:", "death_cause", "text"),
        _doc("Nơi đăng ký khai tử:", "registration_place", "place", wraps=True),
        _REGISTRATION_DATE,
    ),
    ("deceased",),
    {
        "deceased": (
            "full_name", "birth_date", "sex", "ethnicity", "nationality", "personal_id", "residence",
        ),
        "": (
            "registration_number", "death_time", "death_place", "death_cause", "registration_place",
            "registration_date",
        ),
    },
)  # fmt: skip

STAFF_CV = Template(
    "staff_cv",
    (
        _doc("Cơ quan, đơn vị có thẩm quyền quản lý:", "managing_unit", "text", wraps=True),
        _doc("Cơ quan, đơn vị sử dụng:", "employer_unit", "text", wraps=True),
        Label("1) Họ và tên khai sinh (viết chữ in hoa):", "full_name", "name", role="staff", opens="staff"),
        Label("2) Tên gọi khác:", "", "none"),
        Label("3) Sinh ngày:", "birth_date", "date"),
        Label("Giới tính:", "sex", "sex", inline=True),
        Label("4) Nơi sinh:", "birth_place", "place", wraps=True),
        Label("5) Quê quán:", "hometown", "place", wraps=True),
        Label("6) Dân tộc:", "ethnicity", "text"),
        Label("7) Tôn giáo:", "", "none", inline=True),
        Label("8) Số định danh cá nhân:", "personal_id", "id"),
        Label("9) Nơi ở hiện nay:", "residence", "place", wraps=True),
        _doc("10) Chức vụ (chức danh) hiện tại:", "position", "text", wraps=True),
        _doc("11) Ngạch công chức:", "civil_service_rank", "text"),
        _doc("Mã ngạch:", "rank_code", "code", inline=True),
        _doc("12) Bậc lương:", "salary_step", "integer"),
        _doc("Hệ số:", "salary_coefficient", "coefficient", inline=True),
        _doc("13) Ngày tuyển dụng:", "recruited_date", "date"),
        _doc("14) Trình độ giáo dục phổ thông:", "schooling", "code"),
        _doc("15) Trình độ chuyên môn cao nhất:", "qualification", "text", wraps=True),
        _doc("16) Lý luận chính trị:", "political_theory", "text"),
        Label("17) Tình trạng sức khỏe:", "", "none"),
    ),
    ("staff",),
    {
        "staff": (
            "full_name", "birth_date", "sex", "ethnicity", "personal_id", "residence", "birth_place",
            "hometown",
        ),
        "": (
            "managing_unit", "employer_unit", "position", "civil_service_rank", "rank_code", "salary_step",
            "salary_coefficient", "recruited_date", "schooling", "qualification", "political_theory",
            "declared_at",
        ),
    },
    free_date="declared_at",
)  # fmt: skip

RECEIPT = Template(
    "procedure_receipt",
    (
        _doc("Mã hồ sơ:", "receipt_number", "code"),
        Label("Tiếp nhận hồ sơ của:", "full_name", "name", role="applicant", opens="applicant"),
        Label("Số định danh cá nhân:", "personal_id", "id"),
        Label("Địa chỉ:", "residence", "place", wraps=True),
        _doc("Số điện thoại:", "phone", "digits"),
        _doc("Nội dung yêu cầu giải quyết:", "procedure", "text", wraps=True),
        _doc("Thời gian nhận hồ sơ:", "received_date", "date"),
        _doc("Thời gian trả kết quả:", "appointment_date", "date"),
        _doc("Tình trạng hồ sơ:", "status", "text"),
    ),
    ("applicant",),
    {
        "applicant": ("full_name", "personal_id", "residence"),
        "": ("receipt_number", "phone", "procedure", "received_date", "appointment_date", "status"),
    },
)

TEMPLATES: dict[str, Template] = {t.doc_type: t for t in (BIRTH, MARRIAGE, DEATH, STAFF_CV, RECEIPT)}

# Printed lines that are never part of a value: a wrapped value stops before them.
STOP_LINES: tuple[str, ...] = (
    "NGƯỜI KÝ TRÍCH LỤC",
    "(Ký, ghi rõ họ, chữ đệm, tên và đóng dấu)",
    "NGƯỜI TIẾP NHẬN HỒ SƠ",
    "Tôi xin cam đoan những lời khai trên đây là đúng sự thật.",
    "Người khai",
    "XÁC NHẬN CỦA CƠ QUAN, ĐƠN VỊ QUẢN LÝ",
    "TRÍCH LỤC KHAI SINH",
    "TRÍCH LỤC KẾT HÔN",
    "TRÍCH LỤC KHAI TỬ",
    "SƠ YẾU LÝ LỊCH CÁN BỘ, CÔNG CHỨC",
    "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
)


def expected_fields(doc_type: str) -> list[tuple[str, str]]:
    """(role, field) of every field a document of this type prints, in template order.

    Raises:
        KeyError: for a document type without a template.
    """
    template = TEMPLATES[doc_type]
    return [(role, name) for role, names in template.fields.items() for name in names]
