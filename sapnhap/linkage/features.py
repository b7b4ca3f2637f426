"""Linkage features: one row per person record, the columns the comparisons and blocking rules read
(names split and folded, dates, the year and sex read from an ID number, residence parts, parents), and
the records of the unified database or of a generated batch in the shape linkage reads."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from sapnhap.records.normalise import split_name, title_case_name
from sapnhap.records.rules import ROLE_SEX
from sapnhap.reference.personal_id import decode_personal_id
from sapnhap.text import fold_diacritics

logger = logging.getLogger(__name__)
# Splink's Linker sets its own logger to INFO and prints every training step and, on a small batch, a
# warning per untrained level: only its errors are shown (our own log line says what training left out).
FEATURE_COLUMNS = [
    "unique_id", "source_dataset", "full_name", "family", "middle", "given", "name_folded",
    "family_folded", "middle_folded", "given_folded", "birth_date", "birth_year", "birth_month", "birth_day", "sex",
    "personal_id", "father_folded", "mother_folded", "spouse_folded", "residence_folded", "commune_folded", "residence_unit",
    "residence_village", "residence_key", "name_only_key",
]  # fmt: skip
_MIDDLE_SEX = {"van": "male", "thi": "female"}
_UNIT_WORDS = ("xa", "phuong", "thi", "huyen", "quan", "tinh", "thanh", "dac")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def _folded(name: Any) -> str | None:
    return None if _blank(name) else " ".join(fold_diacritics(str(name)).lower().split()) or None


@dataclass(frozen=True)
class _Decoded:
    sex: str
    birth_year_text: str


def _decode(number: str | None) -> _Decoded | None:
    """Sex and year of birth of a well-formed 12-digit personal ID number; None otherwise (also when the
    year it gives is still to come)."""
    if not isinstance(number, str) or len(number) != 12 or not number.isdigit():
        return None
    try:
        parts = decode_personal_id(number)
    except ValueError:
        return None
    if parts.birth_year > date.today().year:
        return None  # a misread century digit (OCR): no year and no sex from this number
    return _Decoded(parts.sex, str(parts.birth_year))


def _per_value(values: pd.Series, fn: Any) -> pd.Series:
    """`fn` applied once per distinct value of `values` (names, dates and places repeat a lot), blank
    values (None, NaN, empty or white space) mapped to None without calling `fn`."""
    text = values.astype(object).where(values.notna(), "").map(str).str.strip()
    mapping = {v: (fn(v) if v else None) for v in pd.unique(text)}
    return text.map(mapping).astype(object)


def _name_parts(name: str) -> tuple[str | None, str | None, str | None, str | None]:
    """(full name, family, middle, given): title-cased NFC, None for a missing part."""
    p = split_name(title_case_name(name))
    full = " ".join(x for x in (p.family, p.middle, p.given) if x) or None
    return full, p.family or None, p.middle or None, p.given or None


def linkage_features(records: pd.DataFrame) -> pd.DataFrame:
    """One row per person record, columns FEATURE_COLUMNS: Arrow-backed text (`FEATURE_DTYPE`,
    `pd.NA` where unknown).

    records: columns record_id, source (the former unit's code: the source dataset), full_name,
    birth_date (ISO text or blank), birth_year, sex ("male"/"female"/blank), personal_id (text);
    optional role, residence, father_name and mother_name (a child's parents) and spouse_name (the
    other parent named beside a father or mother, the other party of a marriage). Names are title-cased NFC and split
    family / middle / given (`sapnhap.records.normalise.split_name`); folded names drop every mark
    (`Đặng` → `dang`). The residence gives the village (everything before the commune: it stays
    the same in the former and the new address form) and the commune, folded.

    Each distinct value is normalised once (a million records hold far fewer distinct names, dates
    and addresses), so the cost grows with the distinct values, not the rows. The columns are
    Arrow-backed (`FEATURE_DTYPE`): a million records' features take 0.35 GiB instead of 1.4 GiB
    as Python strings, and DuckDB reads them without converting each string (the linkage
    benchmark's peak at a million records fell from 6.6 to 4.9 GiB).

    Raises:
        KeyError: when a required column is missing.
    """
    n = len(records)

    def column(name: str) -> pd.Series:
        return (
            records[name].reset_index(drop=True) if name in records else pd.Series([None] * n, dtype=object)
        )

    out = pd.DataFrame(
        {
            "unique_id": records["record_id"].astype(str).reset_index(drop=True),
            "source_dataset": records["source"].astype(str).reset_index(drop=True),
        }
    )
    names = _per_value(column("full_name"), _name_parts)
    for index, part in enumerate(("full_name", "family", "middle", "given")):
        out[part] = [x[index] if x else None for x in names]
    for part in ("name", "family", "middle", "given"):
        out[f"{part}_folded"] = _per_value(out["full_name" if part == "name" else part], _folded)
    dates = _per_value(column("birth_date"), str)
    out["birth_date"] = dates
    years = _per_value(column("birth_year"), lambda y: y[:4])
    out["birth_year"] = dates.str[:4].where(dates.notna(), years)
    out["birth_month"] = dates.str[5:7]
    out["birth_day"] = dates.str[8:10]
    out["sex"] = _per_value(column("sex"), str)
    out["personal_id"] = _per_value(column("personal_id"), str)
    # A well-formed 12-digit number carries the sex and the year of birth (Decree 137/2015/NĐ-CP
    # Art. 13): they fill in a record that prints the number but not the date.
    decoded = _per_value(out["personal_id"], _decode)
    from_id_year = pd.Series([d.birth_year_text if d else None for d in decoded], dtype=object)
    from_id_sex = pd.Series([d.sex if d else None for d in decoded], dtype=object)
    out["birth_year"] = out["birth_year"].where(out["birth_year"].notna(), from_id_year)
    out["sex"] = out["sex"].where(out["sex"].notna(), from_id_sex)
    # The role says the sex of a parent or spouse; so does the middle name Văn (men) or Thị (women).
    by_role = column("role").map(ROLE_SEX)
    by_middle = out["middle_folded"].map(_MIDDLE_SEX)
    out["sex"] = out["sex"].where(out["sex"].notna(), by_role.where(by_role.notna(), by_middle))
    # Where the person lives: village and commune, folded (`thon 3, xa gia van`), and the commune alone.
    residences = column("residence")
    # OCR reads a comma as a semicolon now and then.
    places = _per_value(
        residences, lambda r: [p.strip() for p in re.split(r"[,;]", _folded(r) or "") if p.strip()]
    )
    out["residence_folded"] = [", ".join(p[:2]) or None if p else None for p in places]
    out["commune_folded"] = [
        next((x for x in p if x.split(" ", 1)[0] in ("xa", "phuong", "thi")), None) if p else None
        for p in places
    ]
    # The village (everything before the commune) and the commune, folded.
    out["residence_unit"] = out["commune_folded"]
    out["residence_village"] = [
        ", ".join(x for x in p if x.split(" ", 1)[0] not in _UNIT_WORDS) or None if p else None
        for p in places
    ]
    out["residence_key"] = [
        f"{u}|{v}" if u and v else None
        for u, v in zip(out["residence_unit"], out["residence_village"], strict=True)
    ]
    for relative in ("father", "mother", "spouse"):
        out[f"{relative}_folded"] = _per_value(column(f"{relative}_name"), _folded)
    out["name_only_key"] = name_only_keys(out["name_folded"], out["birth_year"])
    # NaN and None alike become NA in the Arrow-backed columns.
    return out[FEATURE_COLUMNS].astype(FEATURE_DTYPE)


FEATURE_DTYPE = "string[pyarrow]"
"""The dtype of every `linkage_features` column: pandas' Arrow-backed string (a missing value is
`pd.NA`; test a value with `isinstance(v, str)`, not `is None`)."""


NAME_ONLY_BLOCK_MAX = 50
"""A name is compared by itself alone (no year of birth on one side) only where at most this many
records of the batch carry it without a year. A register names parents by name only: 3,000 look-alike
rows paired every `Nguyễn Văn An` with every other (1.1 million candidate pairs, 6 GB), and among so
many namesakes a name alone tells no one apart anyway. Past the cap the records are still compared
by every other rule (ID number, date of birth)."""


def name_only_keys(name_folded: pd.Series, birth_year: pd.Series) -> pd.Series:
    """The blocking key of a record without a year of birth: its folded name where at most
    NAME_ONLY_BLOCK_MAX records of the batch carry that name without a year, else None (as for every
    record with a year). Same length and index as the inputs."""
    no_year = birth_year.isna() & name_folded.notna()
    counts = name_folded[no_year].value_counts()
    rare = name_folded.map(counts).le(NAME_ONLY_BLOCK_MAX)
    return name_folded.where(no_year & rare, None)


RECORD_INPUT_COLUMNS = [
    "record_id", "source", "role", "full_name", "birth_date", "birth_year", "sex", "personal_id",
    "residence", "father_name", "mother_name", "spouse_name",
]  # fmt: skip
SPOUSE_ROLE = {"father": "mother", "mother": "father", "husband": "wife", "wife": "husband"}
"""The role named beside a person in the same document as that person's spouse: the other parent of
a birth extract, the other party of a marriage extract."""


def records_from_source(source: pd.DataFrame) -> pd.DataFrame:
    """Person records for `linkage_features` from the `source_records` table (one row per field).

    One row per person record (role not empty) with the values read for it: full name, date and year
    of birth, sex, ID number, residence, for a child of a birth extract the names of the father
    and mother named in the same document, and for a parent or a party of a marriage the name of the
    other (`SPOUSE_ROLE`). `source` is the former unit's code. Columns
    RECORD_INPUT_COLUMNS; a value not found is None.
    """
    found = source[(source["role"] != "") & (source["status"] == "found")]
    wide = found.pivot_table(index="record_id", columns="field", values="value", aggfunc="first")
    people = (
        source[source["role"] != ""][["record_id", "former_unit_code", "file_sha256", "first_page", "role"]]
        .drop_duplicates("record_id")
        .set_index("record_id")
    )
    out = pd.DataFrame(index=people.index)
    out["source"] = people["former_unit_code"]
    out["role"] = people["role"]
    for field in ("full_name", "birth_date", "birth_year", "sex", "personal_id", "residence"):
        out[field] = wide[field].reindex(out.index) if field in wide else None
    names = out["full_name"].to_dict()
    document = {r: rid.rsplit(":", 1)[0] for r, rid in zip(out.index, out.index, strict=True)}
    for parent in ("father", "mother"):
        out[f"{parent}_name"] = [
            names.get(f"{document[r]}:{parent}") if role == "child" else None
            for r, role in zip(out.index, out["role"], strict=True)
        ]
    out["spouse_name"] = [
        names.get(f"{document[r]}:{SPOUSE_ROLE[role]}") if role in SPOUSE_ROLE else None
        for r, role in zip(out.index, out["role"], strict=True)
    ]
    out = out.reset_index()
    return out[RECORD_INPUT_COLUMNS].astype(object).where(out[RECORD_INPUT_COLUMNS].notna(), None)
