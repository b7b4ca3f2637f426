"""Read-only queries over the unified database that reconciliation, intake and the demo use: files,
sources and pages of a former unit, the first place a file was found, a summary of every table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Table,
    func,
    select,
)

from sapnhap.db.coerce import (
    as_sha256,
    as_unit_code,
)
from sapnhap.db.models import (
    FILE_STATUSES,
    PAGE_METHODS,
)
from sapnhap.db.sql import (
    DOCUMENTS,
    EVENTS,
    FILE_SOURCES,
    FILES,
    FORMER_UNITS,
    PAGES,
    WORDS,
    chunks,
)

# --------------------------------------------------------------------------- queries


def count_files(engine: Engine, former_unit_code: str, vintage: str = "pre2025") -> dict[str, int]:
    """Count the files found in one former unit's inbox, by status.

    Counts `file_sources` rows (a file found at two paths of the unit counts twice), each with the
    status of that occurrence (an exact copy of bytes first found elsewhere is "duplicate" here). Every status is a key (0 when none). Raises ValueError for a code that
    is not a string of digits.
    """
    code = as_unit_code(former_unit_code, "former_unit_code")
    query = (
        select(FILE_SOURCES.c.status, func.count())
        .where(FILE_SOURCES.c.former_unit_code == code, FILE_SOURCES.c.former_unit_vintage == vintage)
        .group_by(FILE_SOURCES.c.status)
    )
    with engine.connect() as conn:
        found = {status: n for status, n in conn.execute(query)}
    return {status: found.get(status, 0) for status in FILE_STATUSES}


def count_sources(engine: Engine, former_unit_code: str, vintage: str = "pre2025") -> int:
    """Return the number of files recorded as found in one former unit's inbox (`file_sources` rows).

    Raises ValueError for a code that is not a string of digits.
    """
    return sum(count_files(engine, former_unit_code, vintage).values())


def recorded_sources(engine: Engine, former_unit_code: str, vintage: str = "pre2025") -> set[tuple[str, str]]:
    """The (original_path, file_sha256) pairs recorded for one former unit's inbox.

    Reconciliation compares these with what the inbox holds now: a pair recorded but no longer
    in the inbox is a file removed, renamed or replaced since (kept, with its lineage, as history).
    Raises ValueError for a code that is not a string of digits.
    """
    code = as_unit_code(former_unit_code, "former_unit_code")
    query = select(FILE_SOURCES.c.original_path, FILE_SOURCES.c.file_sha256).where(
        FILE_SOURCES.c.former_unit_code == code, FILE_SOURCES.c.former_unit_vintage == vintage
    )
    with engine.connect() as conn:
        return {(path, sha) for path, sha in conn.execute(query)}


def first_sources(engine: Engine, file_sha256s: Iterable[str]) -> dict[str, str]:
    """For files already recorded, map SHA-256 → the inbox-relative path where it was first recorded.

    "First" is the earliest `file_sources` row of that file (lowest id, i.e. loaded first). Files
    not in the database are absent from the result. Raises ValueError for a malformed SHA-256.
    """
    shas = sorted({as_sha256(s, "file_sha256s") for s in file_sha256s})
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for chunk in chunks(shas):
            first_id = (
                select(func.min(FILE_SOURCES.c.id))
                .where(FILE_SOURCES.c.file_sha256.in_(chunk))
                .group_by(FILE_SOURCES.c.file_sha256)
            )
            query = select(FILE_SOURCES.c.file_sha256, FILE_SOURCES.c.original_path).where(
                FILE_SOURCES.c.id.in_(first_id)
            )
            found.update({sha: path for sha, path in conn.execute(query)})
    return found


def count_pages(engine: Engine, file_sha256s: Iterable[str]) -> int:
    """Return the number of stored pages of the given files (duplicates in the input count once)."""
    shas = sorted({as_sha256(s, "file_sha256s") for s in file_sha256s})
    total = 0
    with engine.connect() as conn:
        for chunk in chunks(shas):
            total += conn.execute(select(func.count()).where(PAGES.c.file_sha256.in_(chunk))).scalar_one()
    return total


def summary(engine: Engine) -> dict[str, Any]:
    """Summarise the database.

    Returns `{"former_units": n, "files": {status: n}, "file_sources": n, "pages": {method: n},
    "words": n, "mean_ocr_confidence": float | None, "documents": {doc_type: n},
    "provenance_events": n}`. Every file status and page method is a key (0 when none);
    `mean_ocr_confidence` (0..100) is the mean of the OCR pages' mean confidences (pages without one
    are left out), None when there is none.
    """
    with engine.connect() as conn:

        def count(table: Table) -> int:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

        def by(column: Column[Any]) -> dict[str, int]:
            return {key: n for key, n in conn.execute(select(column, func.count()).group_by(column))}

        files = by(FILES.c.status)
        pages = by(PAGES.c.method)
        mean = conn.execute(
            select(func.avg(PAGES.c.mean_confidence)).where(PAGES.c.method == "ocr")
        ).scalar_one()
        return {
            "former_units": count(FORMER_UNITS),
            "files": {status: files.get(status, 0) for status in FILE_STATUSES},
            "file_sources": count(FILE_SOURCES),
            "pages": {method: pages.get(method, 0) for method in PAGE_METHODS},
            "words": count(WORDS),
            "mean_ocr_confidence": None if mean is None else float(mean),
            "documents": dict(sorted(by(DOCUMENTS.c.doc_type).items())),
            "provenance_events": count(EVENTS),
        }
