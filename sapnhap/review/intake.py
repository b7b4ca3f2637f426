"""Taking in one review sheet an archivist dropped back: checked whole, stored, filed away.

`take_in_sheet(sheet, engine, file_away)`:

1. The sheet's SHA-256 is looked up (`decisions.applied_sheet`): a sheet whose decisions are already
   stored (a run that crashed after storing and before filing it, or the same file dropped again) is
   only filed into `applied/`; nothing is stored twice and it is never refused as "already decided".
2. Otherwise every row is checked (`sheet.read_sheet`, `sheet.validate_sheet`, against the open items
   of the units it names): with any problem nothing is stored and the sheet goes to `rejected/` with
   every problem listed.
3. A valid sheet's decisions are stored in one transaction with the sheet's own provenance event
   (`decisions.apply_decisions`), then the sheet goes to `applied/`.

The outcome says what the decisions ask to run: the ingest of every former unit whose records were
corrected or released or that handed over a released file, and the linkage of the new unit for
accepted and rejected pairs (or when nothing else is to run). Messages hold counts and file names,
never a value of the sheet (names, numbers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from sapnhap.review.decisions import Applied, applied_sheet, apply_decisions
from sapnhap.review.queue import item_states
from sapnhap.review.sheet import Problem, read_sheet, validate_sheet

FileAway = Callable[[Path, str, "list[str] | None"], Path]
"""Moves a sheet into `applied` or `rejected` (with its problems), returns where
(`resources.ReviewDesk.file_away`)."""


@dataclass(frozen=True)
class SheetOutcome:
    """What became of one sheet: its SHA-256 (hex), where it was filed, the problems that refused it
    (empty when applied), what was stored (None when refused), the former units to take in again
    (codes, sorted), the new unit to link again (None for none) and a log line without personal data."""

    sheet_sha256: str
    filed_as: Path
    problems: tuple[str, ...]
    applied: Applied | None
    ingest: tuple[str, ...]
    link: str | None
    message: str


def _follow_ups(unit: str, applied: Applied) -> tuple[tuple[str, ...], str | None]:
    """(former units to take in again, new unit to link again or None) for what a sheet stored: merge
    decisions are applied by the unit's linkage run; corrections and releases by the ingest runs (after
    which the entities sensor links the unit again)."""
    relink = bool(
        applied.accepted_pairs or applied.rejected_pairs or (applied.decisions and not applied.former_units)
    )
    return applied.former_units, unit if relink else None


def take_in_sheet(sheet: Path, engine: Engine, file_away: FileAway) -> SheetOutcome:
    """Check, store and file one review sheet (see the module docstring).

    Raises:
        OSError: the sheet cannot be read or moved. Database errors propagate: the sheet then stays
            where it is, and a new run takes it in (its decisions are stored once).
    """
    digest = hashlib.sha256(sheet.read_bytes()).hexdigest()
    earlier = applied_sheet(engine, digest)
    if earlier is not None:
        unit, applied = earlier
        moved = file_away(sheet, "applied", None)
        ingest, link = _follow_ups(unit, applied)
        message = (
            f"review sheet {sheet.name}: its {applied.decisions} decisions were already stored (an earlier run or "
            f"the same file dropped again); nothing stored again, filed as {moved.name}"
        )
        return SheetOutcome(digest, moved, (), applied, ingest, link, message)
    rows, problems = read_sheet(sheet)
    units = sorted({r.get("new_unit", "") for r in rows} - {""})
    decisions = []
    if not problems:
        # Every row is checked, also when the sheet names several units: all problems at once.
        known = {}
        for unit in units:
            known.update(item_states(engine, unit))
        decisions, problems = validate_sheet(rows, known)
        if len(units) != 1:
            problems.insert(
                0,
                Problem(0, "", f"the sheet must name one new unit in its new_unit column, not {len(units)}"),
            )
    if problems:
        listed = tuple(str(p) for p in problems)
        moved = file_away(sheet, "rejected", list(listed))
        message = (
            f"review sheet {sheet.name}: {len(listed)} problem{'s' if len(listed) != 1 else ''}, nothing applied; "
            f"see {moved.name}.problems.txt"
        )
        return SheetOutcome(digest, moved, listed, None, (), None, message)
    applied = apply_decisions(engine, units[0], decisions, sheet.name, sheet_sha256=digest)
    moved = file_away(sheet, "applied", None)
    ingest, link = _follow_ups(units[0], applied)
    counted = (
        applied.accepted_pairs
        + applied.rejected_pairs
        + applied.corrections
        + applied.releases
        + applied.file_releases
    )
    message = (
        f"review sheet {sheet.name}: decisions stored: {applied.decisions} ({applied.accepted_pairs} pairs "
        f"accepted, {applied.rejected_pairs} rejected, {applied.corrections} corrections, {applied.releases} "
        f"records and {applied.file_releases} files released, {applied.decisions - counted} others: values "
        f"confirmed as read, records and files kept in quarantine, documents confirmed without persons), filed as {moved.name}"
    )
    return SheetOutcome(digest, moved, (), applied, ingest, link, message)
