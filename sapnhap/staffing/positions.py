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

from sapnhap.text import nfc

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


def load_population(path: Path | None = None) -> dict[str, Population]:
    """New unit code → Population from a table of columns new_unit_code, population, mountain
    (`yes`/`no`/empty), source (default the shipped `population.csv`, empty: see the README).

    Raises:
        OSError: the table cannot be read. ValueError: a population that is not a whole number, or
            a mountain value other than yes, no or empty.
    """
    out = {}
    for r in _read(path or REFERENCE_DIR / "population.csv"):
        mountain = {"yes": True, "no": False, "": None}.get(r["mountain"].lower())
        if r["mountain"].lower() not in ("yes", "no", ""):
            raise ValueError(f"mountain must be yes, no or empty, not {r['mountain']!r}")
        out[r["new_unit_code"]] = Population(
            int(r["population"].replace(",", "")) if r["population"] else None, mountain, r["source"]
        )
    return out
