"""The staffing quota (biên chế) of a new commune-level unit.

Source: Official Dispatch 09/CV-BCĐ of the Central Steering Committee (30 May 2025), guidance on the
staffing of commune-level governments after the merger: about 32 positions for a commune government;
one more per 1,000 residents above 16,000 in mountain and highland areas, or per 2,000 elsewhere; at
most 50 for a commune and 70 for a ward or a special zone. A population that is not published gives
no number: the quota is "unknown", with the rule stated, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UnitType = Literal["commune", "ward", "special_zone"]

BASE_POSITIONS = 32
BASE_POPULATION = 16_000
RESIDENTS_PER_POSITION = {True: 1_000, False: 2_000}  # mountain area or not
CAPS: dict[str, int] = {"commune": 50, "ward": 70, "special_zone": 70}
SOURCE = "Official Dispatch 09/CV-BCĐ (30 May 2025)"


@dataclass(frozen=True)
class StaffingQuota:
    """A unit's quota: `positions` (None when it cannot be computed), how it was reached (`rule`, with
    the numbers used) and `source`."""

    positions: int | None
    rule: str
    source: str = SOURCE


def staffing_quota(population: int | None, unit_type: UnitType, mountain: bool | None) -> StaffingQuota:
    """The quota of a new unit of `unit_type` with `population` residents, in a mountain area or not.

    32 positions; plus one per full 1,000 (mountain) or 2,000 (elsewhere) residents above 16,000;
    capped at 50 (commune) or 70 (ward, special zone). Worked examples: a mountain commune of 24,000 →
    32 + 8 = 40; a ward of 150,000 → 32 + 67 = 99, capped at 70.

    Returns a quota of None ("unknown") when the population or the mountain status is not known.

    Raises:
        ValueError: an unknown `unit_type`, or a negative population.
    """
    if unit_type not in CAPS:
        raise ValueError(f"unit type {unit_type!r} is none of {', '.join(CAPS)}")
    if population is None:
        return StaffingQuota(
            None, f"unknown: no published population ({BASE_POSITIONS} positions up to 16,000 residents)"
        )
    if population < 0:
        raise ValueError(f"a population cannot be negative: {population}")
    if mountain is None and population > BASE_POPULATION:
        return StaffingQuota(None, "unknown: whether the unit lies in a mountain area is not known")
    per = RESIDENTS_PER_POSITION[bool(mountain)]
    extra = max(0, population - BASE_POPULATION) // per
    cap = CAPS[unit_type]
    positions = min(BASE_POSITIONS + extra, cap)
    rule = (
        f"{BASE_POSITIONS} + {extra} (one per {per:,} residents above {BASE_POPULATION:,}: population "
        f"{population:,}{', mountain area' if mountain else ''})"
    )
    if BASE_POSITIONS + extra > cap:
        rule += f" = {BASE_POSITIONS + extra}, capped at {cap} for a {unit_type.replace('_', ' ')}"
    return StaffingQuota(positions, rule)
