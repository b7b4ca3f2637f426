"""The job-position catalogue of a new commune-level unit, the rule table from former titles to its
positions, the civil-service ranks and the population reference: versioned CSV tables in
`sapnhap/reference/staffing/` (their README gives each table's source and what is provisional).

A former title is matched as a prefix of the title as printed, both folded (lower case, NFC, spaces
and dashes normalised): `Công chức Tư pháp - Hộ tịch xã Gia Tân` matches the rule
`công chức tư pháp - hộ tịch`. The longest matching pattern wins. No match, or a rule with no
position, gives `PositionMatch(None, …)` with the reason: a review item, never a silent omission.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from sapnhap.text import fold_diacritics, nfc

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference" / "staffing"
CATALOGUE_VERSION = "provisional-2025.1"
"""The version of the tables in REFERENCE_DIR, printed in every report (see its README)."""


@dataclass(frozen=True)
class Position:
    """One job position: `code` (L01 … leadership, P01 … professional), title, `group`
    ("leadership" or "professional"), the office it belongs to, and the planned number in a commune
    and in a ward (None where no published rule sets one)."""

    code: str
    title: str
    group: str
    office: str
    planned_commune: int | None
    planned_ward: int | None

    def planned(self, unit_type: str) -> int | None:
        """The planned number for a unit of `unit_type` ("commune", "ward", "special_zone"; a special
        zone counts as a commune)."""
        return self.planned_ward if unit_type == "ward" else self.planned_commune


@dataclass(frozen=True)
class TitleRule:
    """A rule of the former-title table: the folded title prefix, the position code ("" for none in
    the catalogue), the category (cán bộ, công chức, viên chức, contract, part-time worker) and the
    source of the rule."""

    pattern: str
    position_code: str
    category: str
    source: str


@dataclass(frozen=True)
class PositionMatch:
    """What a former title maps to: `position_code` (None: no position), `category` ("" when the
    title is unknown) and `rule`, a reason without personal data."""

    position_code: str | None
    category: str
    rule: str


def fold_title(title: str) -> str:
    """`title` lower case, NFC, with spaces around dashes and runs of spaces made single, so that
    `Công chức Tư pháp-Hộ tịch` and `công chức tư pháp - hộ tịch` compare equal."""
    text = nfc(title or "").lower().replace("–", "-").replace("—", "-")
    text = re.sub(r"\s*-\s*", " - ", text)
    return " ".join(text.split())


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: nfc(v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


def load_positions(path: Path | None = None) -> tuple[Position, ...]:
    """The position catalogue (default `positions.csv` of REFERENCE_DIR).

    Raises:
        OSError: the table cannot be read. ValueError: a planned number is not an integer, or a
            position code is listed twice.
    """
    rows = _read(path or REFERENCE_DIR / "positions.csv")
    positions = tuple(
        Position(
            r["position_code"],
            r["position"],
            r["group"],
            r["office"],
            _int(r["planned_commune"]),
            _int(r["planned_ward"]),
        )
        for r in rows
    )
    codes = [p.code for p in positions]
    if len(set(codes)) != len(codes):
        raise ValueError("a position code is listed twice in the position catalogue")
    return positions


def load_title_rules(path: Path | None = None) -> tuple[TitleRule, ...]:
    """The former-title rules (default `former_titles.csv` of REFERENCE_DIR), patterns folded.

    Raises:
        OSError: the table cannot be read.
    """
    return tuple(
        TitleRule(fold_title(r["pattern"]), r["position_code"], r["category"], r["source"])
        for r in _read(path or REFERENCE_DIR / "former_titles.csv")
    )


def write_title_rules(rules: tuple[TitleRule, ...], path: Path) -> None:
    """Write `rules` as a table `load_title_rules` reads back unchanged (a replacement table, edited
    outside and shipped, goes through the same columns)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pattern", "position_code", "category", "source"])
        for rule in rules:
            writer.writerow([rule.pattern, rule.position_code, rule.category, rule.source])


def load_ranks(path: Path | None = None) -> dict[str, str]:
    """Rank code → rank title (default `ranks.csv` of REFERENCE_DIR)."""
    return {r["rank_code"]: r["rank"] for r in _read(path or REFERENCE_DIR / "ranks.csv")}


def map_title(
    title: str | None, rules: tuple[TitleRule, ...], positions: tuple[Position, ...]
) -> PositionMatch:
    """The position a former `title` maps to under `rules` (the longest matching prefix wins).

    Returns a match with `position_code` None and the reason when the title is empty, matches no
    rule, or its rule names no position of the catalogue (or one `positions` does not hold).
    """
    folded = fold_title(title or "")
    if not folded:
        return PositionMatch(None, "", "no title read")
    matching = [r for r in rules if folded.startswith(r.pattern)]
    if not matching:
        return PositionMatch(None, "", "the former title matches no rule of the position table")
    rule = max(matching, key=lambda r: len(r.pattern))
    if not rule.position_code:
        return PositionMatch(
            None, rule.category, f"no position in the catalogue for this title ({rule.source})"
        )
    if rule.position_code not in {p.code for p in positions}:
        return PositionMatch(
            None, rule.category, f"the rule names position {rule.position_code}, not in the catalogue"
        )
    return PositionMatch(
        rule.position_code, rule.category, f"{rule.pattern} → {rule.position_code} ({rule.source})"
    )


@dataclass(frozen=True)
class Population:
    """A new unit's population, whether it lies in a mountain area (None: not known) and the source
    of the figure."""

    population: int | None
    mountain: bool | None
    source: str


POPULATION_COLUMNS = ("new_unit_code", "population", "mountain", "source")
_MOUNTAIN = {
    "yes": True,
    "co": True,
    "true": True,
    "1": True,
    "no": False,
    "khong": False,
    "false": False,
    "0": False,
    "": None,
}
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:[.,\u00a0 ][0-9]{3})+|[0-9]+")


def load_population(path: Path | None = None) -> dict[str, Population]:
    """New unit code → Population from a table of columns POPULATION_COLUMNS (default the shipped
    `population.csv`, empty: see the README), UTF-8 with or without a byte-order mark (Excel's "CSV
    UTF-8").

    A population is a whole number, thousands grouped or not (`20400`, `20.400`, `20,400`,
    `20 400`); mountain is yes/có, no/không (or true/false, 1/0) or empty (not known). A row that
    breaks these, or a unit given twice, does not stop the table: that unit's Population has no
    figure (its quota is "unknown") and its `source` says which line of which file is wrong and why,
    so the staffing report shows it; every other unit is read.

    Raises:
        OSError: the table cannot be read. ValueError: it lacks one of POPULATION_COLUMNS (the
            message names the file and the columns it has).
    """
    path = path or REFERENCE_DIR / "population.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in POPULATION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"population table {path}: columns {', '.join(missing)} missing (it has "
                f"{', '.join(reader.fieldnames or []) or 'no header'}); expected {', '.join(POPULATION_COLUMNS)}"
            )
        rows = [{k: nfc(v or "").strip() for k, v in row.items() if k} for row in reader]
    out: dict[str, Population] = {}
    lines: dict[str, int] = {}
    for line, r in enumerate(rows, start=2):
        code = r["new_unit_code"]
        if code in lines:
            why = f"new unit {code} is given on lines {lines[code]} and {line} of {path.name}: keep one"
            out[code] = Population(None, None, why)
            continue
        lines[code] = line
        figure = r["population"].strip()
        mountain_key = fold_diacritics(r["mountain"]).lower()
        problems = []
        if figure and not _THOUSANDS.fullmatch(figure):
            problems.append(f"population {figure!r} is not a whole number")
        if mountain_key not in _MOUNTAIN:
            problems.append(f"mountain {r['mountain']!r} is not yes, no or empty")
        if problems:
            out[code] = Population(None, None, f"line {line} of {path.name}: {'; '.join(problems)}")
            continue
        number = int(re.sub(r"[^0-9]", "", figure)) if figure else None
        out[code] = Population(number, _MOUNTAIN[mountain_key], r["source"])
    return out
