"""Routing a record to the new unit that now holds it, from the address the record gives.

Since 1 July 2025 a record belongs to the new commune (vintage `post2025`) whose territory holds the
person's address. An address is written in the former form (village, commune, district, province:
`Thôn Đông, Xã Gia Tân, Huyện Gia Viễn, Tỉnh Ninh Bình`) or the new one (village, commune, province:
`Thôn Đông, Xã Gia Vân, Tỉnh Ninh Bình`), with or without diacritics and with the usual
abbreviations (`X.`, `H.`, `TP.` …, expanded by `sapnhap.records.normalise.expand_unit_abbreviations`).

Resolution, in order (the evidence used is stated on every `Route`):
1. A former commune named with its district or province (vintage `pre2025`, looked up in the
   gazetteer on diacritic-folded names, so tone placement `Hòa`/`Hoà` does not matter) goes to the new
   communes the official mapping gives it (NSO conversion table, `sapnhap.reference.units.mapping_table`).
   A commune merged whole has one target. A **split** commune (440 of them) is decided by the
   village: the province's merger plan lists which village went where (`villages` table); when the
   record names no listed village, the NSO note may still say the whole population went to one
   target (`population_hint`); otherwise the record goes to **review** with the candidates.
2. A new commune named with its province (vintage `post2025`) is the target itself; the former
   commune is then told by the village list, or by the archive the record came from when that former
   commune was merged into the target.
   A former commune whose name OCR misspelt (`Thịnh h Vượng`) is taken when it is clearly the closest
   name among the communes of the named district (`_closest_former`), and said so in the evidence.
3. A commune named alone (`Xã Gia Tân`) is looked up among the former communes of the archive's
   district — before 2., as the archive's papers name former communes (a register's
   `Thôn 3, Xã Gia Vân` is the former Xã Gia Vân even though a new commune took the name). An address without any unit, empty or naming a village only (`Thôn 4`), falls back on
   the archive's former commune (a commune's own register) and is treated as in 1; any other address
   without a commune (a district or province only, text that is no village) is never given the
   archive's commune: it goes to review with the archive's candidates, or stays unresolved.
A unit code is never compared without its vintage: former codes are looked up among pre2025 units,
new codes among post2025 units, even where the same digits exist in both (14488 was Xã Gia Lập
and is Xã Gia Vân).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from rapidfuzz import fuzz

from sapnhap.records.normalise import expand_unit_abbreviations, normalise_text
from sapnhap.reference.units import find_unit, population_target, targets_by_former, units_table
from sapnhap.text import match_key

Status = Literal["routed", "review", "unresolved"]
_COMMUNE_TYPES = ("xa", "phuong", "thi tran", "dac khu")
_DISTRICT_TYPES = ("huyen", "quan", "thi xa", "thanh pho")
_PROVINCE_TYPES = ("tinh", "thanh pho")


@dataclass(frozen=True)
class ParsedAddress:
    """An address split into its parts (NFC, abbreviations expanded); '' for a part it does not give.

    `village` holds everything below the commune (thôn, xóm, tổ dân phố, a street and house number).
    `form` is "former" when a district is named, "new" when a commune and a province are named without
    a district, "partial" otherwise.
    """

    raw: str
    village: str
    commune: str
    district: str
    province: str
    form: Literal["former", "new", "partial"]


@dataclass(frozen=True)
class Route:
    """Where a record goes. `former_unit_code` is a pre2025 commune code, `new_unit_code` a post2025
    code (None when undecided); `candidates` are the post2025 codes left when the status is review."""

    status: Status
    former_unit_code: str | None
    new_unit_code: str | None
    candidates: tuple[str, ...]
    evidence: str


def parse_address(raw: str) -> ParsedAddress:
    """Split an address into village, commune, district and province by the unit-type words.

    The last part naming a province (`Tỉnh …`, or `Thành phố …` at the end) is the province; a
    `Huyện`/`Quận`/`Thị xã`/`Thành phố` before it is the district; `Xã`/`Phường`/`Thị trấn`/`Đặc khu`
    is the commune; parts before the commune are the village (joined by ", ").
    """
    text = expand_unit_abbreviations(normalise_text(raw or ""))
    # OCR reads a comma as a semicolon now and then (`Thị trấn Thịnh Vượng; Huyện Gia Viễn`).
    parts = [p.strip() for p in re.split(r"[,;]|\s+-\s+", text) if p.strip()]
    village: list[str] = []
    commune = district = province = ""
    for index, part in enumerate(parts):
        kind = _kind(part, last=index == len(parts) - 1)
        if kind == "commune" and not commune:
            commune = part
        elif kind == "district" and not district:
            district = part
        elif kind == "province":
            province = part
        elif not commune:
            village.append(part)
    form: Literal["former", "new", "partial"] = (
        "former" if commune and district else "new" if commune and province else "partial"
    )
    return ParsedAddress(raw or "", ", ".join(village), commune, district, province, form)


class Router:
    """Routes addresses to new units with the official mapping and, for split communes, a village list.

    villages: a table with columns former_commune_code, village, new_unit_code (one row per village of
    a former commune, as a province's merger plan lists them; for a generated sample this is
    `reference/villages.csv`). Without it, split communes are decided only by the NSO population note.
    """

    def __init__(self, villages: pd.DataFrame | None = None) -> None:
        self._villages: dict[tuple[str, str], str] = {}
        self._village_by_new: dict[tuple[str, str], set[str]] = {}
        if villages is not None and not villages.empty:
            for row in villages.astype(str).itertuples(index=False):
                key = _key(row.village)
                self._villages[(row.former_commune_code, key)] = row.new_unit_code
                self._village_by_new.setdefault((row.new_unit_code, key), set()).add(row.former_commune_code)

    def route(self, address: str, archive_unit: str | None = None) -> Route:
        """Route one address; `archive_unit` is the former unit (pre2025 code) whose archive the record
        came from: a commune's folder is the fallback when the address names no commune.

        Never raises for bad input: an address that resolves to nothing is `unresolved` with the reason.
        """
        parsed = parse_address(address)
        if parsed.commune and not (parsed.district or parsed.province):
            # A commune named alone (`Thôn 3, Xã Gia Vân`, as registers abbreviate) is first the former
            # commune of that name in the archive's district: the archive is a former unit's, its
            # papers name former communes, even where a new commune took the same name.
            former = _named_in_archive_district(parsed, archive_unit)
            if former is not None:
                return self._from_former(
                    former, parsed.village, "former commune named alone, of the archive's district"
                )
        if parsed.commune:
            former = _find_former(parsed)
            if former is not None:
                return self._from_former(former, parsed.village, "former commune named in the address")
            new = _find_new(parsed)
            if new is not None:
                return Route(
                    "routed",
                    self._former_of(new, parsed.village, archive_unit),
                    new,
                    (),
                    "new commune named in the address",
                )
            former = _closest_former(parsed)
            if former is not None:
                return self._from_former(
                    former,
                    parsed.village,
                    "former commune named in the address (closest spelling in its district)",
                )
            former = _named_in_archive_district(parsed, archive_unit)
            if former is not None:
                return self._from_former(
                    former, parsed.village, "former commune named alone, of the archive's district"
                )
            return Route(
                "unresolved", None, None, (), f"commune {parsed.commune!r} not found in the gazetteer"
            )
        commune_archive = bool(archive_unit) and archive_unit in targets_by_former()
        no_unit = not (parsed.district or parsed.province)
        if commune_archive and no_unit and _village_level(parsed.village):
            # A commune's own register: a village, or no address at all, is the archive's commune.
            return self._from_former(
                archive_unit, parsed.village, "no commune in the address: the archive's commune"
            )
        if commune_archive and no_unit:
            return Route(
                "review",
                archive_unit,
                None,
                targets_by_former()[archive_unit],
                "the address names no unit and reads as no village: check it against the archive's commune",
            )
        return Route(
            "unresolved",
            None,
            None,
            (),
            "the address names no commune"
            + ("" if no_unit else " but a district or province elsewhere or unread")
            + ("" if commune_archive else ", and the archive is not a commune's"),
        )

    def _from_former(self, former: str, village: str, evidence: str) -> Route:
        targets = targets_by_former()[former]
        if len(targets) == 1:
            return Route("routed", former, targets[0], (), f"{evidence}; merged whole")
        if village:
            target = self._villages.get((former, _key(village)))
            if target is not None:
                return Route(
                    "routed", former, target, (), f"{evidence}; split, village {village!r} in the merger plan"
                )
        whole = population_target(former)
        if whole is not None:
            return Route(
                "routed",
                former,
                whole,
                (),
                f"{evidence}; split, the NSO note sends the population to {whole}",
            )
        why = (
            "split, village not in the merger plan" if village else "split, and the address names no village"
        )
        return Route("review", former, None, targets, f"{evidence}; {why}")

    def _former_of(self, new: str, village: str, archive_unit: str | None) -> str | None:
        formers = self._village_by_new.get((new, _key(village)), set()) if village else set()
        if len(formers) == 1:
            return next(iter(formers))
        if archive_unit and new in targets_by_former().get(archive_unit, ()):
            return archive_unit
        # Only when a single former commune went (wholly or partly) into the new one is it certain.
        merged = [code for code, targets in targets_by_former().items() if new in targets]
        return merged[0] if len(merged) == 1 else None


# --- gazetteer indexes ------------------------------------------------------------------------------


def _key(text: str) -> str:
    return match_key(normalise_text(text))  # normalise_text also reads Ð as Đ


def _bare(text: str, types: tuple[str, ...]) -> str:
    key = _key(text)
    for unit_type in types:
        if key.startswith(unit_type + " "):
            return key[len(unit_type) + 1 :]
    return key


def _kind(part: str, last: bool) -> str:
    key = _key(part)
    if last and any(key.startswith(t + " ") for t in _PROVINCE_TYPES):
        return "province"
    if any(key.startswith(t + " ") for t in _COMMUNE_TYPES):
        return "commune"
    if any(key.startswith(t + " ") for t in _DISTRICT_TYPES):
        return "district"
    if key.startswith("tinh "):
        return "province"
    return "village"


@functools.cache
def _pre2025_index() -> dict[tuple[str, str, str], list[str]]:
    """(commune key, district bare key, province bare key) → pre2025 commune codes; also with '' parts."""
    index: dict[tuple[str, str, str], list[str]] = {}
    for row in units_table("pre2025").itertuples(index=False):
        commune = _key(row.ward_name)
        district = _bare(row.district_name, _DISTRICT_TYPES)
        province = _bare(row.province_name, _PROVINCE_TYPES)
        for key in ((commune, district, province), (commune, district, ""), (commune, "", province)):
            index.setdefault(key, []).append(row.ward_code)
    return index


@functools.cache
def _post2025_index() -> dict[tuple[str, str], list[str]]:
    index: dict[tuple[str, str], list[str]] = {}
    for row in units_table("post2025").itertuples(index=False):
        commune = _key(row.ward_name)
        index.setdefault((commune, _bare(row.province_name, _PROVINCE_TYPES)), []).append(row.ward_code)
        index.setdefault((commune, ""), []).append(row.ward_code)
    return index


def _find_former(parsed: ParsedAddress) -> str | None:
    commune = _key(parsed.commune)
    district = _bare(parsed.district, _DISTRICT_TYPES) if parsed.district else ""
    province = _bare(parsed.province, _PROVINCE_TYPES) if parsed.province else ""
    index = _pre2025_index()
    for key in ((commune, district, province), (commune, district, ""), (commune, "", province)):
        if key[1] == "" and key[2] == "":
            continue
        codes = index.get(key, [])
        if len(codes) == 1 and (parsed.district or not _find_new(parsed)):
            return codes[0]
    return None


# Words that open a place below the commune (village, hamlet, residential group, street, house number).
_VILLAGE_WORDS = (
    "thon", "xom", "ap", "ban", "buon", "lang", "to", "khu", "khoi", "doi", "so", "duong", "pho", "ngo",
    "hem", "kiet", "tdp", "cum", "khom", "soc", "phum",
)  # fmt: skip


def _village_level(village: str) -> bool:
    """True for an empty village part, or one whose every piece opens with a village-level word
    (`Thôn 4`, `Xóm Đông, Số 5 đường Lê Lợi`): an address a commune's own register may give."""
    pieces = [p for p in village.split(",") if p.strip()]
    return all(_key(p).split(" ", 1)[0] in _VILLAGE_WORDS for p in pieces)


def _named_in_archive_district(parsed: ParsedAddress, archive_unit: str | None) -> str | None:
    """A commune named without district or province (`Xã Gia Tân`), found among the former communes of
    the archive's district (the archive's own commune's district, or the former district whose archive
    it is) when exactly one has that name; None otherwise."""
    if parsed.district or parsed.province or not archive_unit:
        return None
    unit = find_unit(archive_unit, "pre2025")
    if unit is None:
        return None
    district = unit.name if unit.level == "district" else unit.district_name
    if not district:
        return None
    group = (_bare(district, _DISTRICT_TYPES), _bare(unit.province_name, _PROVINCE_TYPES))
    key = _key(parsed.commune)
    codes = [code for code, name in _communes_of_district().get(group, {}).items() if name == key]
    return codes[0] if len(codes) == 1 else None


def _closest_former(parsed: ParsedAddress) -> str | None:
    """The former commune of the named district and province whose name is closest to the address's
    commune, when the address names both and one name is clearly closest (`CLOSEST_MIN` similarity,
    `CLOSEST_MARGIN` ahead of the next): an OCR slip in the commune's name (`Thịnh h Vượng`). None
    otherwise. Similarity: rapidfuzz `ratio` (0..100) on the folded names with their type word."""
    if not (parsed.district and parsed.province):
        return None
    district = _bare(parsed.district, _DISTRICT_TYPES)
    province = _bare(parsed.province, _PROVINCE_TYPES)
    names = _communes_of_district().get((district, province), {})
    if not names:
        return None
    key = _key(parsed.commune)
    scored = sorted(((fuzz.ratio(key, name), code) for code, name in names.items()), reverse=True)
    best, code = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    return code if best >= CLOSEST_MIN and best - second >= CLOSEST_MARGIN else None


CLOSEST_MIN = 90.0
CLOSEST_MARGIN = 10.0


@functools.cache
def _communes_of_district() -> dict[tuple[str, str], dict[str, str]]:
    """(district bare key, province bare key) → {pre2025 commune code: commune key}."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for row in units_table("pre2025").itertuples(index=False):
        group = (_bare(row.district_name, _DISTRICT_TYPES), _bare(row.province_name, _PROVINCE_TYPES))
        out.setdefault(group, {})[row.ward_code] = _key(row.ward_name)
    return out


def _find_new(parsed: ParsedAddress) -> str | None:
    if parsed.district:
        return None
    province = _bare(parsed.province, _PROVINCE_TYPES) if parsed.province else ""
    codes = _post2025_index().get((_key(parsed.commune), province), [])
    return codes[0] if len(codes) == 1 else None
