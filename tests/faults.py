"""Helpers of the fault tests: a former unit's ingest run in a process of its own (to be run twice
at once, or killed), and a database's content row for row without what differs between two equal
runs (times, surrogate ids).

`python -m tests.faults HOME INBOX DB_URL UNIT [OCR_CACHE [JOB]]` runs JOB (default
`ingest_former_unit`; `link_new_unit` takes a new unit's code) for UNIT on a fresh ephemeral Dagster
instance and exits 0 on success, 1 on a failed run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Engine, MetaData, select

# Columns that differ between two runs of the same input: when a row was written, and surrogate
# keys numbered in insertion order (compared through the natural keys they stand for).
_SURROGATE = {
    ("pages", "id"),
    ("documents", "id"),
    ("file_sources", "id"),
    ("linkage_decisions", "decision_id"),
}
_PERSON_COLUMNS = ("person_id", "merged_into")  # numbered in creation order: compared as their members


def database_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every table's rows as sorted tuples of text, without time-stamp columns, the run id and
    surrogate ids; a word's page id is replaced by its page's (file, page number), a person id by
    its members' record ids."""
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        pages = {r.id: (r.file_sha256, r.page_number) for r in conn.execute(select(meta.tables["pages"]))}
        members: dict[object, list[str]] = {}
        for person, record in conn.execute(
            select(meta.tables["person_members"].c.person_id, meta.tables["person_members"].c.record_id)
        ):
            members.setdefault(person, []).append(record)
        person_key = {person: "|".join(sorted(records)) for person, records in members.items()}
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version":
                continue
            keep = [
                c
                for c in table.columns
                if (name, c.name) not in _SURROGATE
                and c.name != "run_id"  # which Dagster run wrote the row: differs as a time stamp does
                and not c.name.endswith(("_at",))
                and "DATETIME" not in str(c.type).upper()
                and "TIMESTAMP" not in str(c.type).upper()
            ]
            rows = []
            for row in conn.execute(select(*keep)):
                values = dict(zip([c.name for c in keep], row, strict=True))
                if name == "words":
                    values["page_id"] = pages.get(values["page_id"])
                for column in _PERSON_COLUMNS:
                    if column in values and values[column] is not None:
                        values[column] = person_key.get(
                            values[column], f"person without members {values[column]}"
                        )
                rows.append(tuple(str(values[c.name]) for c in keep))
            out[name] = sorted(rows)
    return out


def assert_same_rows(reference: dict[str, list[tuple]], other: dict[str, list[tuple]]) -> None:
    """Fail unless `other` (from `database_rows`) holds exactly `reference`'s tables and rows; the
    message names the first table that differs, how many rows are extra and missing, and up to three
    extra rows' differing values against the reference row with the same first column."""
    for table in sorted({*reference, *other}):
        ours, theirs = reference.get(table, []), other.get(table, [])
        extra, missing = set(theirs) - set(ours), set(ours) - set(theirs)
        by_key = {row[0]: row for row in ours}
        differs = [
            [(a, b) for a, b in zip(row, by_key.get(row[0], ()), strict=False) if a != b] or row
            for row in sorted(extra)[:3]
        ]
        assert not extra and not missing, (table, len(extra), len(missing), differs, sorted(missing)[:3])
        assert len(theirs) == len(ours), (table, "rows repeated", len(ours), len(theirs))


def main(argv: list[str]) -> int:
    """Run one former unit's ingest (see the module docstring); 0 on success."""
    from dagster import DagsterInstance

    from tests.runs import project

    home, inbox, db_url, unit = Path(argv[0]), Path(argv[1]), argv[2], argv[3]
    cache = Path(argv[4]) if len(argv) > 4 else home / "ocr-cache"
    name = argv[5] if len(argv) > 5 else "ingest_former_unit"
    job = project(home, inbox, db_url, cache, ocr_workers=1).resolve_job_def(name)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(
            "former_units" if name == "ingest_former_unit" else "new_units", [unit]
        )
        result = job.execute_in_process(partition_key=unit, instance=instance, raise_on_error=False)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
