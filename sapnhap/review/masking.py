"""Masking of personal data shown outside the database (Dagster UI metadata, reports).

Names, personal ID numbers and dates of birth never go to logs and are shown masked in metadata:
enough for an archivist to tell records apart next to the page reference, not enough to identify a
person. The rules follow Decree 13/2023/NĐ-CP on personal data protection (Art. 2: name, date of
birth and ID number are basic personal data) and the data-minimisation principle of its Art. 3.

- `mask_name("Nguyễn Văn Hùng")` → `"N. V. H."` (initials of each part, NFC).
- `mask_id("001085012345")` → `"001*******45"` (the birth-province code and the last two digits).
- `mask_date("1985-04-12")` → `"1985-**-**"` (the year only).
- `mask_value(field, value)` picks the rule from the field name, and leaves other fields alone.
- `mask_fields(fields, labels)`, `mask_reading(field, value)`: what the UI shows of a record or a
  reading (the review queue's items), from their structured values, addresses left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sapnhap.text import nfc

NAME_FIELDS = frozenset({"full_name", "father_name", "mother_name", "name"})
ID_FIELDS = frozenset({"personal_id", "legacy_id"})
BIRTH_FIELDS = frozenset({"birth_date"})


def mask_name(name: str | None) -> str:
    """Initials of each word of a Vietnamese name, each followed by a dot ("" for an empty name).

    `mask_name("Nguyễn Văn Hùng")` is `"N. V. H."`; `mask_name("Đặng thị mai")` is `"Đ. T. M."`.
    """
    if not isinstance(name, str) or not name.strip():
        return ""  # None, NaN from a DataFrame, or blank
    words = nfc(name).split()  # NFC, and the look-alike `Ð` read as `Đ`
    return " ".join(f"{w[0].upper()}." for w in words if w)


def mask_id(number: str | None) -> str:
    """A personal ID number with all but its first three and last two characters starred.

    The first three digits of a 12-digit number are the birth-province code (Circular 07/2016/TT-BCA
    Art. 7, codes kept by Circular 59/2021/TT-BCA; see `sapnhap.reference.personal_id`), which an archivist may use to tell records apart; a value of five characters or fewer is
    starred entirely. `mask_id("001085012345")` is `"001*******45"`.
    """
    if not isinstance(number, str) or not number.strip():
        return ""
    text = number.strip()
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


_ISO = re.compile(r"^(\d{4})-\d{2}-\d{2}$")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")  # a year standing on its own, 1800-2099


def mask_date(value: str | None) -> str:
    """A date of birth reduced to its year: `"1985-04-12"` → `"1985-**-**"`; a value that is not an ISO
    date shows only a year standing on its own in it (`"12/4/1985"` → `"1985"`), else `"***"`
    (`"1112000"`: its digits are not shown)."""
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value.strip()
    if _ISO.match(text):
        return f"{text[:4]}-**-**"
    year = _YEAR.search(text)
    return year.group(1) if year else "***"  # digits that are not a year on their own (`1112000`): none


def mask_value(field: str, value: str | None) -> str:
    """`value` masked by the rule for `field` (names, ID numbers, dates of birth); other fields as given."""
    if not isinstance(value, str):
        return "" if value is None or value != value else str(value)
    if field in NAME_FIELDS or field.endswith("_name"):
        return mask_name(value)
    if field in ID_FIELDS or field.endswith("_personal_id"):
        return mask_id(value)
    if field in BIRTH_FIELDS:
        return mask_date(value)
    return str(value)


ADDRESS_FIELDS = frozenset({"residence", "birth_place", "hometown", "address"})
"""Fields left out of what the UI shows: an address next to initials and a year identifies a person."""


def mask_fields(fields: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """`label: value; …` of a record's `fields` (field → value) for the UI, each value masked by
    `mask_value`, addresses (ADDRESS_FIELDS) and empty values left out. `labels` gives the shown label
    and the order (field → label, as on the review sheet); without it every field under its own name,
    sorted."""
    order = labels or {name: name for name in sorted(fields)}
    return "; ".join(
        f"{label}: {mask_value(name, str(fields[name]))}"
        for name, label in order.items()
        if name in fields and fields[name] not in (None, "") and name not in ADDRESS_FIELDS
    )


def mask_reading(field: str, value: str | None) -> str:
    """One field's reading for the UI: masked by `mask_value`; an address, or a personal value the rule
    leaves unchanged (a name of one letter), as `***`."""
    masked = mask_value(field, value)
    personal = field in NAME_FIELDS or field in ID_FIELDS or field in BIRTH_FIELDS or field.endswith("_name")
    if field in ADDRESS_FIELDS or (personal and masked == value and value):
        return "***"
    return masked
