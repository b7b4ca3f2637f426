"""Taking in a former unit when others are taken in at the same time: which copy of the same bytes
is the first is decided and recorded in one step that no other run can interleave with.

Without it, two former units handing over the same file and taken in at once (the deployment
profile runs them in parallel) would both find the bytes unknown, both archive and read them, and
the unified database would hold the same person records twice. With it the runs behave as if taken
in one after the other, in the order they took the lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine

from sapnhap.db.load import load_files, upsert_former_units
from sapnhap.db.queries import first_sources
from sapnhap.db.session import exclusive
from sapnhap.intake.files import ContentAddressedArchive
from sapnhap.intake.handover import HandoverIntake, intake_handover

LOCK = "intake"


def take_in_former_unit(
    engine: Engine,
    former_unit: str,
    files: list[tuple[Path, str]],
    archive: ContentAddressedArchive,
    released: Mapping[str, tuple[str, str]] | None = None,
) -> HandoverIntake:
    """`intake_handover` of one former unit, then its files recorded in the unified database
    (`files`, `file_sources`, the former unit itself from the gazetteer), all under the database-wide
    lock `intake` (`sapnhap.db.session.exclusive`): the next former unit's intake sees these files
    as known and files its copies as duplicates. Loading the same rows again later (the register
    step) changes nothing.

    Args and returns: as `intake_handover`; `engine` is the unified database.

    Raises:
        sapnhap.db.session.DatabaseUnreachable: the database went away (nothing of this intake is
            recorded: the load is one transaction).
    """
    with exclusive(engine, LOCK):
        taken = intake_handover(
            former_unit, files, archive, lambda shas: first_sources(engine, shas), released
        )
        upsert_former_units(engine, [{"code": former_unit, "vintage": "pre2025"}])
        recorded = [row for row in taken.rows if row["sha256"]]
        if recorded:
            load_files(engine, recorded)
    return taken
