"""The gazetteer of administrative units, before (`pre2025`) and after (`post2025`) 1 July 2025.

Source: the ThangLeQuoc/vietnamese-provinces-database releases v2.4.1 (pre-merger, GSO data up to
Resolution 1365/NQ-UBTVQH15) and v3.0.2 (Decision 19/2025/QĐ-TTg), shipped in
`sapnhap/reference/admin_units/` (README there). A unit code is only meaningful with its vintage.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import pandas as pd

Vintage = Literal["pre2025", "post2025"]
_FILES = {"pre2025": "old_units.csv", "post2025": "new_units.csv"}


@dataclass(frozen=True)
class AdminUnit:
    """A commune-level unit: code (5 digits), vintage, name, district (pre2025 only), province."""

    code: str
    vintage: Vintage
    name: str
    district_name: str | None
    province_name: str


@functools.cache
def units_table(vintage: Vintage) -> pd.DataFrame:
    """All commune-level units of one vintage, codes as strings (`00004`, never `4`).

    Raises:
        ValueError: for an unknown vintage.
    """
    if vintage not in _FILES:
        raise ValueError(f"unknown vintage {vintage!r}: use 'pre2025' or 'post2025'")
    ref = resources.files("sapnhap.reference.admin_units") / _FILES[vintage]
    with ref.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def find_unit(code: str, vintage: Vintage = "pre2025") -> AdminUnit | None:
    """Look a commune-level unit up by code within a vintage; None when the code does not exist."""
    table = units_table(vintage)
    match = table[table["ward_code"] == code]
    if match.empty:
        return None
    row = match.iloc[0]
    return AdminUnit(
        code=code,
        vintage=vintage,
        name=row["ward_name"],
        district_name=row.get("district_name") or None,
        province_name=row["province_name"],
    )


@functools.cache
def mapping_table() -> pd.DataFrame:
    """The official former → new commune mapping (NSO conversion table), one row per (former, new) pair.

    Columns include `old_ward_code`, `old_ward_name`, `old_district_code`, `old_district_name`,
    `old_province_code`, `old_province_name`, `new_ward_code`, `new_ward_name`, `new_province_code`,
    `new_province_name`, `relation` (`whole`/`partial`), `n_new_wards` (string; > 1 for the 440
    former communes split between new communes) and `population_hint` (`all`/`part`/`none`).
    Source and corrections: `sapnhap/reference/admin_units/README.md`.
    """
    ref = resources.files("sapnhap.reference.admin_units") / "old_to_new.csv"
    with ref.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)
