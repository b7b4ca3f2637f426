"""SQL building blocks of the loaders: the tables, dialect upserts and inserts, IN-list chunks, counts.

`upsert_rows` and `insert_new` are `INSERT ... ON CONFLICT` (SQLite and PostgreSQL dialect inserts,
chosen by the connection's dialect), so two runs loading the same rows at the same time do not fail
on a unique key; `bulk_insert_new` sends large plain inserts to PostgreSQL with `COPY`, and
large upserts there go through `COPY` into a temporary table (`stage_rows`) and `upsert_staged`,
which writes only the rows that are new or differ.
Messages name the table, row and column, never a value (`row_where`, `check_lengths`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    MetaData,
    Table,
    exists,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from sapnhap.db.models import (
    Document,
    File,
    FileSource,
    FormerUnit,
    Page,
    PersonRecord,
    ProvenanceEvent,
    QuarantinedRecord,
    RecordField,
    Word,
)

FORMER_UNITS: Table = FormerUnit.__table__  # type: ignore[assignment]
FILES: Table = File.__table__  # type: ignore[assignment]
FILE_SOURCES: Table = FileSource.__table__  # type: ignore[assignment]
PAGES: Table = Page.__table__  # type: ignore[assignment]
WORDS: Table = Word.__table__  # type: ignore[assignment]
DOCUMENTS: Table = Document.__table__  # type: ignore[assignment]
EVENTS: Table = ProvenanceEvent.__table__  # type: ignore[assignment]
PERSON_RECORDS: Table = PersonRecord.__table__  # type: ignore[assignment]
RECORD_FIELDS: Table = RecordField.__table__  # type: ignore[assignment]
QUARANTINED_RECORDS: Table = QuarantinedRecord.__table__  # type: ignore[assignment]

# Rows per statement; SQLAlchemy's "insertmanyvalues" further splits executemany inserts into
# multi-row VALUES of 1000 rows, well below the bind-parameter limits (SQLite 32766, PostgreSQL 65535).
BATCH_ROWS = 1000


@dataclass
class LoadCounts:
    """Rows per table that a load inserted, updated, left unchanged or deleted.

    Each field maps a table name ("files", "file_sources", "pages", "words", "documents",
    "person_records", "record_fields", "quarantined_records") to a row count. `deleted` counts words
    of a changed page that were replaced, and (`load_records`) records that moved between
    `person_records` and `quarantined_records` and record fields no longer read.
    """

    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total_new(self) -> int:
        """Rows inserted, over all tables."""
        return sum(self.inserted.values())

    @property
    def total_changed(self) -> int:
        """Rows inserted, updated or deleted, over all tables (0 when a load was a no-op)."""
        return sum(self.inserted.values()) + sum(self.updated.values()) + sum(self.deleted.values())

    def add(self, kind: str, table: str, n: int) -> None:
        """Add `n` rows of `table` to the counter `kind` ("inserted", "updated", "unchanged", "deleted")."""
        counter: dict[str, int] = getattr(self, kind)
        counter[table] = counter.get(table, 0) + n

    def as_metadata(self) -> dict[str, int]:
        """Flatten to `{"<table>_<kind>": n}`, e.g. for Dagster materialization metadata."""
        out: dict[str, int] = {}
        for kind in ("inserted", "updated", "unchanged", "deleted"):
            for table, n in sorted(getattr(self, kind).items()):
                out[f"{table}_{kind}"] = n
        return out


# --------------------------------------------------------------------------- messages and lengths
# Values are read through `sapnhap.db.coerce`; every message names the table, row, record and
# column, never the value (the loaders take names, ID numbers and dates of birth, and exceptions end
# up in logs).


def row_where(row: int, name: str) -> str:
    return f"row {row}, {name}"


def check_lengths(table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Raise ValueError for a string longer than its `String(n)` column (PostgreSQL would refuse it)."""
    limits = {c.name: c.type.length for c in table.columns if getattr(c.type, "length", None)}
    for i, row in enumerate(rows):
        for name, limit in limits.items():
            value = row.get(name)
            if isinstance(value, str) and len(value) > limit:
                raise ValueError(f"{table.name} row {i}, {name}: {len(value)} characters, at most {limit}")


# --------------------------------------------------------------------------- SQL helpers


def dialect_insert(conn: Connection, table: Table) -> Insert:
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"upserts are implemented for sqlite and postgresql, not {name}")


IN_LIST = 500
"""Values per `IN (...)` list: bounded on every backend (SQLite's variable limit, PostgreSQL's plan)."""


def chunks(items: Sequence[Any], size: int = IN_LIST) -> Iterator[Sequence[Any]]:
    """`items` in consecutive slices of at most `size` (rows per batch, or values per IN list)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_keys(
    conn: Connection, columns: Sequence[Column[Any]], keys: Iterable[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Return which of `keys` (tuples of `columns` values) are already in the table.

    A composite key is looked up by its leading column (`IN` lists of its distinct values, which
    the key's index serves) and matched whole here: PostgreSQL plans a row-value `IN` list of many
    tuples as a scan (14 s for 20,000 record fields' keys, docs/benchmarks_load.md)."""
    wanted = set(keys)
    found: set[tuple[Any, ...]] = set()
    if len(columns) == 1:
        for chunk in chunks(sorted(wanted)):
            found.update(
                tuple(r) for r in conn.execute(select(*columns).where(columns[0].in_([k[0] for k in chunk])))
            )
        return found
    for chunk in chunks(sorted({k[0] for k in wanted})):
        rows = conn.execute(select(*columns).where(columns[0].in_(list(chunk))))
        found.update(key for key in (tuple(r) for r in rows) if key in wanted)
    return found


def upsert_rows(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    values: Sequence[str],
    *,
    touch: Sequence[str] = (),
) -> tuple[int, int, int]:
    """Insert `rows`, or update `values` columns of rows whose `keys` exist and differ.

    `touch` columns (e.g. a "last written" timestamp) are set too when a row is updated, but are not
    compared: a row that differs only in them is unchanged. `rows` must have unique keys. Returns
    (inserted, updated, unchanged).
    """
    if not rows:
        return 0, 0, 0
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_ROWS:
        stage = _stage(conn, table, rows)
        new, updated = upsert_staged(conn, table, stage, keys, values, touch=touch)
        drop_stage(conn, stage)
        return len(new), updated, len(rows) - len(new) - updated
    key_cols = [table.c[k] for k in keys]
    before = existing_keys(conn, key_cols, (tuple(r[k] for k in keys) for r in rows))
    stmt = _update_on_conflict(dialect_insert(conn, table), table, keys, values, touch)
    inserted = updated = 0
    for chunk in chunks(rows, BATCH_ROWS):
        new_rows, changed = _new_and_updated(conn.execute(stmt, list(chunk)), before)
        inserted, updated = inserted + new_rows, updated + changed
    return inserted, updated, len(rows) - inserted - updated


def _update_on_conflict(
    stmt: Insert, table: Table, keys: Sequence[str], values: Sequence[str], touch: Sequence[str]
) -> Insert:
    """`stmt` (a dialect insert, of values or from a select) updating `values` and `touch` of a row
    whose `keys` exist when a value differs, returning the keys of rows written."""
    return stmt.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in (*values, *touch)},  # type: ignore[attr-defined]
        where=or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in values]),  # type: ignore[attr-defined]
    ).returning(*[table.c[k] for k in keys])


def _new_and_updated(returned: Iterable[Any], before: set[tuple[Any, ...]]) -> tuple[int, int]:
    """(inserted, updated) among the keys an upsert returned: those stored `before` were updated."""
    inserted = updated = 0
    for key in returned:
        if tuple(key) in before:
            updated += 1
        else:
            inserted += 1
    return inserted, updated


COPY_ROWS = 1000
"""From this many rows on, PostgreSQL upserts go through `COPY` into a temporary table: a multi-row
VALUES statement of thousands of rows costs psycopg more to build than the server takes to run it."""


def stage_rows(conn: Connection, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A temporary table (dropped at commit) with `table`'s columns `names`, no constraints, filled
    with `rows` (sequences of the `names` values) by `COPY … FROM STDIN` (psycopg 3), then analysed
    so that the statements joining it are planned on its real size. PostgreSQL only."""
    columns = [table.c[name] for name in names]
    stage = Table(
        f"_stage_{table.name}_{uuid.uuid4().hex[:8]}", MetaData(), *(Column(c.name, c.type) for c in columns)
    )
    quoted = ", ".join(f'"{c.name}"' for c in columns)
    conn.exec_driver_sql(
        f'CREATE TEMPORARY TABLE "{stage.name}" ON COMMIT DROP AS SELECT {quoted} FROM "{table.name}" WITH NO DATA'
    )
    copy_sequences(conn, stage.name, names, rows)
    conn.exec_driver_sql(f'ANALYZE "{stage.name}"')
    return stage


def drop_stage(conn: Connection, stage: Table) -> None:
    """Drop a table made by `stage_rows` before the transaction ends."""
    conn.exec_driver_sql(f'DROP TABLE "{stage.name}"')


def _stage(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> Table:
    """`stage_rows` of `rows` as mappings (the columns of `table` present in `rows[0]`)."""
    names = [c.name for c in table.c if c.name in rows[0]]
    return stage_rows(conn, table, names, ([row[name] for name in names] for row in rows))


def upsert_staged(
    conn: Connection,
    table: Table,
    stage: Table,
    keys: Sequence[str],
    values: Sequence[str],
    *,
    touch: Sequence[str] = (),
) -> tuple[list[tuple[Any, ...]], int]:
    """Upsert the rows of a `stage_rows` table into `table` (PostgreSQL). Returns (the keys of the
    rows inserted, the number of rows updated); `stage` must have unique keys.

    Two set statements instead of an `INSERT … ON CONFLICT DO UPDATE … WHERE` of every row: that
    statement locks (writes) every stored row it meets even when its `WHERE` leaves it alone, which
    made a second load of 1,000,000 unchanged record fields take 91 s (docs/benchmarks_load.md).
    First an `UPDATE … FROM` of the stored rows whose `values` are distinct (`IS DISTINCT FROM`:
    NULLs compare) from the staged ones, setting `touch` too; then an `INSERT … SELECT` of the
    staged rows whose keys are not stored, still `ON CONFLICT DO UPDATE` for a row a parallel run
    wrote meanwhile (counted as updated, `xmax <> 0`). Unchanged rows are only read.
    """
    key_pairs = [table.c[k] == stage.c[k] for k in keys]
    differs = or_(*[table.c[c].is_distinct_from(stage.c[c]) for c in values])
    updated = (
        conn.execute(
            update(table).where(*key_pairs, differs).values({c: stage.c[c] for c in (*values, *touch)})
        ).rowcount
        or 0
    )
    names = [c.name for c in stage.c]
    fresh = select(*stage.c).where(~exists().where(*key_pairs))
    insert = _update_on_conflict(
        postgresql.insert(table).from_select(names, fresh), table, keys, values, touch
    )
    inserted: list[tuple[Any, ...]] = []
    for row in conn.execute(insert.returning(literal_column("xmax = 0", Boolean))):
        if row[-1]:
            inserted.append(tuple(row[:-1]))
        else:
            updated += 1
    return inserted, updated


def copy_sequences(
    conn: Connection, table_name: str, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Stream `rows` (sequences of the `names` values) into `table_name` with `COPY … FROM STDIN`
    (psycopg 3), inside the connection's transaction."""
    quoted = ", ".join(f'"{name}"' for name in names)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def _copy(conn: Connection, table_name: str, names: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """`copy_sequences` of `rows` as mappings (their `names` values)."""
    copy_sequences(conn, table_name, names, ([row[name] for name in names] for row in rows))


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> int:
    """Insert `rows`, skipping any whose `keys` already exist. Returns the number inserted."""
    if not rows:
        return 0
    stmt = (
        dialect_insert(conn, table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(table.c[keys[0]])
    )
    return sum(len(conn.execute(stmt, list(chunk)).all()) for chunk in chunks(rows, BATCH_ROWS))


def copy_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert `rows` (every column of `table` a key) with the database's bulk path: `COPY … FROM
    STDIN` on PostgreSQL (psycopg 3), an executemany INSERT elsewhere. Returns len(rows).

    Only for rows no other transaction can write: children of parent rows inserted in this same
    transaction (e.g. the words of pages just inserted). Anything else goes through
    `bulk_insert_new`, which skips rows a parallel run wrote meanwhile.

    Raises:
        sqlalchemy.exc.IntegrityError / psycopg.errors.UniqueViolation: a row's key is stored already.
    """
    if not rows:
        return 0
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), list(rows))
        return len(rows)
    _copy(conn, table.name, [c.name for c in table.c], rows)
    return len(rows)


def bulk_insert_new(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """`insert_new` for large inserts of plain (text, number) columns, e.g. 5,000,000 OCR words.
    Returns the number of rows inserted (rows whose `keys` were stored already are skipped).

    On PostgreSQL the rows are streamed with `COPY … FROM STDIN` (psycopg 3) into a temporary table
    dropped at commit, then moved with one `INSERT … SELECT … ON CONFLICT DO NOTHING`: the
    database's bulk path, with the same "a row written meanwhile by a parallel run is left alone"
    as `insert_new` (docs/benchmarks_load.md). Elsewhere as `insert_new`.
    """
    if conn.dialect.name != "postgresql" or not rows:
        return insert_new(conn, table, rows, keys)
    stage = _stage(conn, table, rows)
    insert = postgresql.insert(table).from_select([c.name for c in stage.c], select(*stage.c))
    moved = conn.execute(insert.on_conflict_do_nothing(index_elements=list(keys)).returning(table.c[keys[0]]))
    inserted = len(moved.all())
    drop_stage(conn, stage)
    return inserted


def missing_keys(
    conn: Connection, table: Table, keys: Sequence[str], wanted: set[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    return wanted - existing_keys(conn, [table.c[k] for k in keys], wanted)
