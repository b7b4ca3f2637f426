"""The gazetteer of administrative units, before (`pre2025`) and after (`post2025`) 1 July 2025.

Source: the ThangLeQuoc/vietnamese-provinces-database releases v2.4.1 (pre-merger, GSO data up to
Resolution 1365/NQ-UBTVQH15) and v3.0.2 (Decision 19/2025/QĐ-TTg), shipped in
`sapnhap/reference/admin_units/` (README there). A unit code is only meaningful with its vintage.

Two levels of former unit hand over archives: communes (wards, townships; official 5-digit codes,
`ward_code` of `old_units.csv`) and districts (official 3-digit codes, `district_code` of the same
file). The district level ended on 1 July 2025 (two-level local government: Resolution
203/2025/QH15 amending the Constitution and Law 72/2025/QH15 on the Organisation of Local Government,
both of 16 June 2025), so the `post2025` list has communes only. The two code lists never collide: a
code's length says its level. Former districts missing from `old_units.csv` because they had no
commune under them are taken from the NSO conversion table (`old_district_to_new.csv`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import pandas as pd

Vintage = Literal["pre2025", "post2025"]
Level = Literal["commune", "district"]
LEVELS: tuple[Level, ...] = ("commune", "district")
_FILES = {"pre2025": "old_units.csv", "post2025": "new_units.csv"}
COMMUNE_CODE_DIGITS = 5
DISTRICT_CODE_DIGITS = 3


@dataclass(frozen=True)
class AdminUnit:
    """A unit of one vintage: a commune (5-digit code) or, pre2025 only, a district (3-digit code).

    `name` is the unit's own name ("Xã Gia Tân", "Huyện Gia Viễn"); `district_name` is the district
    a pre2025 commune belonged to (None for a district itself and for post2025 communes);
    `province_name` the province of that vintage; `level` "commune" or "district".
    """

    code: str
    vintage: Vintage
    name: str
    district_name: str | None
    province_name: str
    level: Level = "commune"


def _read(file: str) -> pd.DataFrame:
    ref = resources.files("sapnhap.reference.admin_units") / file
    with ref.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@functools.cache
def units_table(vintage: Vintage) -> pd.DataFrame:
    """All commune-level units of one vintage, codes as strings (`00004`, never `4`).

    Columns: `province_code`, `province_name`, (pre2025 only) `district_code`, `district_name`, then
    `ward_code`, `ward_name`, `division_type`.

    Raises:
        ValueError: for an unknown vintage.
    """
    if vintage not in _FILES:
        raise ValueError(f"unknown vintage {vintage!r}: use 'pre2025' or 'post2025'")
    return _read(_FILES[vintage])


@functools.cache
def districts_table() -> pd.DataFrame:
    """The former (pre2025) districts, one row each, sorted by code: `district_code`, `district_name`,
    `province_code`, `province_name`, `n_communes` (int).

    The 691 districts that had communes come from `old_units.csv`. Five island districts had no
    commune-level unit under them (Huyện Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo; `n_communes`
    0) and appear only in the NSO conversion table (`old_district_to_new.csv`); they are listed too,
    so their archives are recognised as well.
    """
    communes = units_table("pre2025")
    columns = ["district_code", "district_name", "province_code", "province_name"]
    districts = communes.groupby(columns, as_index=False).size().rename(columns={"size": "n_communes"})
    nso = _read("old_district_to_new.csv")
    nso = nso.rename(columns={f"old_{c}": c for c in columns})[columns].drop_duplicates()
    extra = nso[~nso["district_code"].isin(districts["district_code"])].assign(n_communes=0)
    table = pd.concat([districts, extra], ignore_index=True)
    if table["district_code"].duplicated().any():  # a district code must name one district
        raise ValueError("a district code names two districts in the reference files")
    return table.sort_values("district_code", ignore_index=True)


@functools.cache
def _index(vintage: Vintage) -> dict[str, AdminUnit]:
    units: dict[str, AdminUnit] = {}
    for row in units_table(vintage).itertuples(index=False):
        units[row.ward_code] = AdminUnit(
            code=row.ward_code,
            vintage=vintage,
            name=row.ward_name,
            district_name=getattr(row, "district_name", "") or None,
            province_name=row.province_name,
        )
    if vintage == "pre2025":
        for row in districts_table().itertuples(index=False):
            units[row.district_code] = AdminUnit(
                code=row.district_code,
                vintage=vintage,
                name=row.district_name,
                district_name=None,
                province_name=row.province_name,
                level="district",
            )
    return units


def find_unit(code: str, vintage: Vintage = "pre2025") -> AdminUnit | None:
    """Look a unit up by its official code within a vintage; None when the code does not exist there.

    A 5-digit code is a commune (ward, township); in `pre2025` a 3-digit code is a former district
    (`find_unit("373")` is Huyện Gia Viễn, Tỉnh Ninh Bình). `post2025` has no districts, so a 3-digit
    code finds nothing there. Codes are strings with their leading zeros ("00004"; 4 finds nothing).

    Raises:
        ValueError: for an unknown vintage.
    """
    if vintage not in _FILES:
        raise ValueError(f"unknown vintage {vintage!r}: use 'pre2025' or 'post2025'")
    return _index(vintage).get(code) if isinstance(code, str) else None


def level_of_code(code: str) -> Level | None:
    """The level a code's shape says: 5 ASCII digits "commune", 3 "district", anything else None.

    Shape only: whether the code exists is `find_unit`'s answer.
    """
    if not (isinstance(code, str) and code.isascii() and code.isdigit()):
        return None
    return {COMMUNE_CODE_DIGITS: "commune", DISTRICT_CODE_DIGITS: "district"}.get(len(code))


def former_unit_label(code: str) -> str:
    """How a former unit is named to people: "former district 373 Huyện Gia Viễn, Tỉnh Ninh Bình",
    "former unit 21058 Xã Bình Khương, Huyện Bình Sơn", or the code with why it is not known.
    """
    known = find_unit(code, "pre2025")
    if known is None:
        return f"former unit {code} (not a pre-2025 commune or district code)"
    if known.level == "district":
        return f"former district {code} {known.name}, {known.province_name}"
    return f"former unit {code} {known.name}, {known.district_name}"


def new_unit_label(code: str) -> str:
    """How a new unit (after 1 July 2025) is named to people: "new unit 14488 Xã Gia Vân, Tỉnh Ninh Bình",
    or the code with why it is not known. New codes reuse former ones with another meaning, so the
    label always says "new unit"."""
    known = find_unit(code, "post2025")
    if known is None:
        return f"new unit {code} (not a post-2025 commune code)"
    return f"new unit {code} {known.name}, {known.province_name}"


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


def crosscheck_mapping(old_codes: list[str] | None = None) -> pd.DataFrame:
    """Compare the official mapping with the `vietnamadminunits` package (MIT, PyPI 1.0.4), code by code.

    For each former commune (pre2025; all 10,035, or `old_codes`), the package converts the address
    "commune, district, province" without a street, so it names one new commune (for a split commune
    its own default choice, `isDefaultNewWard`, which is not official). The two agree when that new
    commune is one of the NSO table's targets. The package matches on names, not codes: its known
    disagreements are collisions between name keys (e.g. `Phường 4` of Tây Ninh and of Tân An) and one
    missing target (Xã Văn Khê → Xã Ô Diên, NQ 1656) — see `sapnhap/reference/admin_units/README.md`.

    Returns one row per former commune: old_ward_code, old_ward_name, old_district_name,
    old_province_name, targets (";"-joined post2025 codes), package_target (post2025 code, "" when
    it found none), package_error ("" or the exception's name), agrees (bool).
    """
    from vietnamadminunits import convert_address

    table = mapping_table()
    if old_codes is not None:
        table = table[table["old_ward_code"].isin(set(old_codes))]
    rows = []
    for code, group in table.groupby("old_ward_code", sort=True):
        first = group.iloc[0]
        targets = list(group["new_ward_code"])
        target, error = "", ""
        try:
            unit = convert_address(
                f"{first['old_ward_name']}, {first['old_district_name']}, {first['old_province_name']}"
            )
            target = str(getattr(unit, "ward_code", "") or "")
        except Exception as exc:  # the package raises bare exceptions for names it cannot parse
            error = type(exc).__name__
        rows.append(
            {
                "old_ward_code": code,
                "old_ward_name": first["old_ward_name"],
                "old_district_name": first["old_district_name"],
                "old_province_name": first["old_province_name"],
                "targets": ";".join(targets),
                "package_target": target,
                "package_error": error,
                "agrees": target in targets,
            }
        )
    return pd.DataFrame(rows)


@functools.cache
def _population_targets() -> dict[str, str]:
    table = mapping_table()
    split = table[table["n_new_wards"].astype(int) > 1]
    out: dict[str, str] = {}
    for code, group in split.groupby("old_ward_code"):
        alls = group[group["population_hint"] == "all"]
        peopled = group[group["population_hint"] != "none"]
        if len(alls) == 1:
            out[code] = str(alls.iloc[0]["new_ward_code"])
        elif len(peopled) == 1:
            out[code] = str(peopled.iloc[0]["new_ward_code"])
    return out


def population_target(old_ward_code: str) -> str | None:
    """The one new commune (post2025) a split former commune's whole population went to, by the NSO
    note (`population_hint`: exactly one target marked `all`, or only one target that is not `none`,
    i.e. the others received land only); None for a commune merged whole or split without such a
    note. 59 of the 440 split former communes have one (`sapnhap/reference/admin_units/README.md`).
    """
    return _population_targets().get(old_ward_code)


@functools.cache
def review_unit_of(former_code: str) -> str | None:
    """The new unit (post2025 commune code) whose review sheet carries a former unit's own items, such
    as the files it handed over that were quarantined (they belong to no person record, so no route).

    - A former commune merged whole: its one new unit.
    - A split commune: the new unit its whole population went to (`population_target`), else the
      first target of the NSO conversion table (`mapping_table`).
    - A former district (3 digits): the new unit that received most of its communes (the NSO
      district table's `n_old_wards`), ties to the lowest code.

    Returns None for a code that is neither (such a folder is refused at intake).
    """
    if level_of_code(former_code) == "commune":
        targets = targets_by_former().get(former_code, ())
        return population_target(former_code) or (targets[0] if targets else None)
    if level_of_code(former_code) == "district":
        table = _read("old_district_to_new.csv")
        rows = table[table["old_district_code"] == former_code]
        if rows.empty:
            return None
        counts = rows.assign(n=pd.to_numeric(rows["n_old_wards"], errors="coerce").fillna(0))
        best = counts.sort_values(["n", "new_ward_code"], ascending=[False, True]).iloc[0]
        return str(best["new_ward_code"])
    return None


@functools.cache
def targets_by_former() -> dict[str, tuple[str, ...]]:
    """Every former commune's new units (post2025 codes) in the order of the NSO conversion table:
    one for a commune merged whole, several for one of the 440 split communes."""
    table = mapping_table()
    return {code: tuple(group["new_ward_code"]) for code, group in table.groupby("old_ward_code", sort=False)}
