"""Idempotent loading into the unified database, and the query helpers reconciliation uses.

Every load is keyed by content: files by SHA-256, file sources by (unit, path, SHA-256), pages by
(file SHA-256, page number), words by (page, word index), documents by (file SHA-256, first page),
provenance events by the SHA-256 of their identity, person records (loaded or quarantined) by
record_id, record fields by (record_id, scope, field). Loading the same input again adds no row
and changes nothing; the returned counts say so (`LoadCounts.total_new == 0`, nothing updated).

Upserts are `INSERT ... ON CONFLICT` (SQLite and PostgreSQL dialect inserts, chosen by
`engine.dialect.name`), so two runs loading the same rows at the same time do not fail on a unique
key. Each load function runs in one write transaction: it is all-or-nothing.

Input: pandas DataFrames (or lists of dicts). Missing values may be None, NaN or pd.NA (as after a
Parquet round trip). Every string is stored in Unicode NFC; human-language text (page text, words,
names, titles) also goes through `sapnhap.text.nfc` (the look-alike `Ð`/`ð` become `Đ`/`đ`).
Invalid input raises `ValueError` before anything is written; rows that reference a file or former
unit the database does not hold raise `LookupError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Table,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from sapnhap.db.coerce import (
    SHA256_HEX,
    UNIT_CODE,
    as_bool,
    as_candidates,
    as_choice,
    as_code,
    as_detail,
    as_float,
    as_int,
    as_opt_commune_code,
    as_opt_float,
    as_opt_int,
    as_opt_sha256,
    as_opt_text,
    as_sha256,
    as_text,
    as_unit_code,
    py_value,
    rows_of,
)
from sapnhap.db.models import (
    BOX_UNITS,
    FIELD_STATUSES,
    FILE_STATUSES,
    PAGE_METHODS,
    PRE2025,
    RECORD_STATUSES,
    ROUTE_STATUSES,
    SUBJECT_TYPES,
    UNIT_LEVELS,
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
    utcnow,
)
from sapnhap.db.session import write_connection
from sapnhap.records.rules import DOCUMENT_TYPES, EXTRACTORS, ROLES, STATUSES
from sapnhap.reference.units import find_unit, level_of_code

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
# Rows per statement of the PostgreSQL array insert (`_bulk_insert_new`): one parameter per column.
BULK_ROWS = 20_000

STATUS_RANK = {"quarantined": 0, "duplicate": 1, "archived": 2}
"""A file's status only moves up this ranking when the same file is loaded again."""

PAGE_KEY = ("file_sha256", "page_number")
PAGE_VALUE_COLUMNS = (
    "method",
    "reason",
    "text",
    "mean_confidence",
    "engine",
    "engine_version",
    "languages",
    "dpi",
    "width",
    "height",
    "box_unit",
    "image_sha256",
    "rotation",
    "rotation_method",
    "skew_degrees",
    "error",
)
"""Columns of a page row compared on re-load (`cached` and `seconds` of `PageResult` are not stored)."""


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


def _where(row: int, name: str) -> str:
    return f"row {row}, {name}"


def _check_lengths(table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Raise ValueError for a string longer than its `String(n)` column (PostgreSQL would refuse it)."""
    limits = {c.name: c.type.length for c in table.columns if getattr(c.type, "length", None)}
    for i, row in enumerate(rows):
        for name, limit in limits.items():
            value = row.get(name)
            if isinstance(value, str) and len(value) > limit:
                raise ValueError(f"{table.name} row {i}, {name}: {len(value)} characters, at most {limit}")


# --------------------------------------------------------------------------- SQL helpers


def _insert(conn: Connection, table: Table) -> Insert:
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


def _existing(
    conn: Connection, columns: Sequence[Column[Any]], keys: Iterable[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Return which of `keys` (tuples of `columns` values) are already in the table."""
    found: set[tuple[Any, ...]] = set()
    for chunk in chunks(sorted(set(keys))):
        if len(columns) == 1:
            condition = columns[0].in_([k[0] for k in chunk])
        else:
            condition = tuple_(*columns).in_(list(chunk))
        found.update(tuple(r) for r in conn.execute(select(*columns).where(condition)))
    return found


def _upsert(
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
    key_cols = [table.c[k] for k in keys]
    before = _existing(conn, key_cols, (tuple(r[k] for k in keys) for r in rows))
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in (*values, *touch)},
        where=or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in values]),
    ).returning(*key_cols)
    inserted = updated = 0
    for chunk in chunks(rows, BATCH_ROWS):
        for key in conn.execute(stmt, list(chunk)):
            if tuple(key) in before:
                updated += 1
            else:
                inserted += 1
    return inserted, updated, len(rows) - inserted - updated


def _insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> int:
    """Insert `rows`, skipping any whose `keys` already exist. Returns the number inserted."""
    if not rows:
        return 0
    stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=list(keys)).returning(table.c[keys[0]])
    return sum(len(conn.execute(stmt, list(chunk)).all()) for chunk in chunks(rows, BATCH_ROWS))


def _bulk_insert_new(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """`_insert_new` for large inserts of plain (text, number) columns, e.g. 100k words.

    On PostgreSQL the rows go as one array per column, `INSERT ... SELECT unnest(...), ...`
    (about 5x faster than multi-row VALUES through psycopg); elsewhere as `_insert_new`.
    """
    if conn.dialect.name != "postgresql" or not rows:
        return _insert_new(conn, table, rows, keys)
    columns = list(table.c)
    arrays = select(
        *[func.unnest(bindparam(c.name, type_=postgresql.ARRAY(c.type))).label(c.name) for c in columns]
    )
    stmt = (
        postgresql.insert(table)
        .from_select([c.name for c in columns], arrays)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(table.c[keys[0]])
    )
    inserted = 0
    for chunk in chunks(rows, BULK_ROWS):
        params = {c.name: [row[c.name] for row in chunk] for c in columns}
        inserted += len(conn.execute(stmt, params).all())
    return inserted


def _missing(
    conn: Connection, table: Table, keys: Sequence[str], wanted: set[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    return wanted - _existing(conn, [table.c[k] for k in keys], wanted)


# --------------------------------------------------------------------------- former units


def upsert_former_units(engine: Engine, rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> int:
    """Insert or update former units; return how many rows were inserted or changed.

    Row keys: `code` (str of 2-5 digits, leading zeros kept; an int raises ValueError), `vintage`
    (default "pre2025"), `level` ("commune" or "district"), `name`, `district_name` and
    `province_name`. Each of the last four may be missing or None: it is then taken from the
    gazetteer (`sapnhap.reference.units.find_unit`) when the gazetteer knows the (code, vintage), so a former
    district "373" is stored as level "district", name "Huyện Gia Viễn", no district name, province
    "Tỉnh Ninh Bình". For a code the gazetteer does not know the names stay None and the level
    follows the code's shape (3 digits "district", otherwise "commune"). A unit already stored with
    the same values is left unchanged; a later row with the same (vintage, code) in the input wins.
    """
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for i, r in enumerate(rows_of(rows)):
        vintage = as_text(r.get("vintage"), _where(i, "vintage"), default="pre2025")
        code = as_unit_code(r.get("code"), _where(i, "code"))
        known = find_unit(code, vintage) if vintage in ("pre2025", "post2025") else None  # type: ignore[arg-type]
        level = py_value(r.get("level"))
        if level is None:
            level = known.level if known else (level_of_code(code) or "commune")
        row = {
            "vintage": vintage,
            "code": code,
            "level": as_choice(level, _where(i, "level"), UNIT_LEVELS),
        }
        for name in ("name", "district_name", "province_name"):
            value = as_opt_text(r.get(name), _where(i, name), text=True)
            row[name] = value if value is not None else (getattr(known, name) if known else None)
        by_key[(vintage, code)] = row
    unique = list(by_key.values())
    _check_lengths(FORMER_UNITS, unique)
    with write_connection(engine) as conn:
        inserted, updated, _ = _upsert(
            conn,
            FORMER_UNITS,
            unique,
            ("vintage", "code"),
            ("level", "name", "district_name", "province_name"),
        )
    return inserted + updated


# --------------------------------------------------------------------------- files


def load_files(engine: Engine, files: pd.DataFrame | Iterable[Mapping[str, Any]]) -> LoadCounts:
    """Load intake results: one `files` row per SHA-256 and one `file_sources` row per place found.

    Columns: sha256, size_bytes, kind, mime, page_count, encrypted, status ("archived" |
    "duplicate" | "quarantined"), quarantine_reason, detail, archive_path, duplicate_of,
    former_unit_code (str), former_unit_vintage, original_path (relative to the inbox), and
    optionally first_seen_at (aware datetime; default now).

    The first writer of a files row wins; a later row for the same bytes only raises its status
    (quarantined < duplicate < archived, e.g. a released quarantined file), taking that row's
    quarantine_reason, detail, archive_path and duplicate_of. `duplicate_of` equal to the row's own
    SHA-256 (the same bytes seen again) is stored as None: those are one files row with two sources.
    Counts tables "files" and "file_sources".

    Raises ValueError for invalid values, LookupError when a former unit is not in `former_units`
    (load it with `upsert_former_units` first) or `duplicate_of` names a file that is neither in the
    input nor in the database.
    """
    best: dict[str, dict[str, Any]] = {}
    sources: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for i, r in enumerate(rows_of(files)):
        sha = as_sha256(r.get("sha256"), _where(i, "sha256"))
        status = as_choice(r.get("status"), _where(i, "status"), FILE_STATUSES)
        duplicate_of = as_opt_sha256(r.get("duplicate_of"), _where(i, "duplicate_of"))
        first_seen = py_value(r.get("first_seen_at")) or utcnow()
        if not isinstance(first_seen, datetime) or first_seen.tzinfo is None:
            raise ValueError(f"{_where(i, 'first_seen_at')}: expected an aware datetime, got {first_seen!r}")
        row = {
            "sha256": sha,
            "size_bytes": as_int(r.get("size_bytes"), _where(i, "size_bytes")),
            "kind": as_text(r.get("kind"), _where(i, "kind"), default=""),
            "mime": as_text(r.get("mime"), _where(i, "mime"), default=""),
            "page_count": as_opt_int(r.get("page_count"), _where(i, "page_count")),
            "encrypted": as_bool(r.get("encrypted"), _where(i, "encrypted")),
            "status": status,
            "quarantine_reason": as_opt_text(r.get("quarantine_reason"), _where(i, "quarantine_reason")),
            "detail": as_detail(r.get("detail"), _where(i, "detail")),
            "archive_path": as_opt_text(r.get("archive_path"), _where(i, "archive_path")),
            "duplicate_of": None if duplicate_of == sha else duplicate_of,
            "first_seen_at": first_seen,
        }
        current = best.get(sha)
        if current is None or STATUS_RANK[status] > STATUS_RANK[current["status"]]:
            best[sha] = row
        source = {
            "former_unit_code": as_unit_code(r.get("former_unit_code"), _where(i, "former_unit_code")),
            "former_unit_vintage": as_text(r.get("former_unit_vintage"), _where(i, "former_unit_vintage")),
            "original_path": as_text(r.get("original_path"), _where(i, "original_path")),
            "file_sha256": sha,
        }
        key = tuple(source.values())
        # The occurrence's own state: a second copy of archived bytes is a duplicate here.
        source["status"] = status
        note = as_detail(r.get("detail"), _where(i, "detail")) or (row["quarantine_reason"] or "")
        source["note"] = note if status != "archived" else ""
        sources[key] = source  # type: ignore[index]
    # Files that others duplicate go first, so a duplicate_of never points at a row not yet written.
    file_rows = sorted(best.values(), key=lambda row: row["duplicate_of"] is not None)
    source_rows = list(sources.values())
    _check_lengths(FILES, file_rows)
    _check_lengths(FILE_SOURCES, source_rows)

    counts = LoadCounts()
    with write_connection(engine) as conn:
        units = {(s["former_unit_vintage"], s["former_unit_code"]) for s in source_rows}
        missing_units = _missing(conn, FORMER_UNITS, ("vintage", "code"), units)
        if missing_units:
            raise LookupError(f"former units not in former_units (vintage, code): {sorted(missing_units)}")
        targets = {(row["duplicate_of"],) for row in file_rows if row["duplicate_of"]} - {(s,) for s in best}
        missing_targets = _missing(conn, FILES, ("sha256",), targets)
        if missing_targets:
            raise LookupError(f"duplicate_of names files not loaded: {sorted(t[0] for t in missing_targets)}")

        before = _existing(conn, [FILES.c.sha256], ((sha,) for sha in best))
        stmt = _insert(conn, FILES)
        raise_status = case(STATUS_RANK, value=stmt.excluded.status, else_=-1) > case(
            STATUS_RANK, value=FILES.c.status, else_=-1
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["sha256"],
            set_={
                "status": stmt.excluded.status,
                "quarantine_reason": stmt.excluded.quarantine_reason,
                "detail": stmt.excluded.detail,
                "archive_path": func.coalesce(stmt.excluded.archive_path, FILES.c.archive_path),
                "duplicate_of": stmt.excluded.duplicate_of,
                "page_count": func.coalesce(FILES.c.page_count, stmt.excluded.page_count),
            },
            where=raise_status,
        ).returning(FILES.c.sha256)
        inserted = updated = 0
        for chunk in chunks(file_rows, BATCH_ROWS):
            for (sha,) in conn.execute(stmt, list(chunk)):
                if (sha,) in before:
                    updated += 1
                else:
                    inserted += 1
        counts.add("inserted", "files", inserted)
        counts.add("updated", "files", updated)
        counts.add("unchanged", "files", len(file_rows) - inserted - updated)

        new_sources = _insert_new(
            conn,
            FILE_SOURCES,
            source_rows,
            ("former_unit_code", "former_unit_vintage", "original_path", "file_sha256"),
        )
        # An occurrence stored as quarantined and now taken in (a file an archivist released)
        # takes its new state; the quarantine stays in the provenance events.
        key_columns = ("former_unit_code", "former_unit_vintage", "original_path", "file_sha256")
        held = {
            tuple(row)
            for row in conn.execute(
                select(*(FILE_SOURCES.c[k] for k in key_columns)).where(
                    FILE_SOURCES.c.status == "quarantined",
                    FILE_SOURCES.c.former_unit_code.in_(sorted({code for _, code in units})),
                )
            )
        }
        raised = 0
        for s in source_rows:
            if s["status"] != "quarantined" and tuple(s[k] for k in key_columns) in held:
                raised += conn.execute(
                    update(FILE_SOURCES)
                    .where(
                        FILE_SOURCES.c.former_unit_code == s["former_unit_code"],
                        FILE_SOURCES.c.former_unit_vintage == s["former_unit_vintage"],
                        FILE_SOURCES.c.original_path == s["original_path"],
                        FILE_SOURCES.c.file_sha256 == s["file_sha256"],
                        FILE_SOURCES.c.status == "quarantined",
                    )
                    .values(status=s["status"], note=s["note"])
                ).rowcount
        counts.add("inserted", "file_sources", new_sources)
        if raised:
            counts.add("updated", "file_sources", raised)
        counts.add("unchanged", "file_sources", len(source_rows) - new_sources - raised)
    return counts


# --------------------------------------------------------------------------- pages and words


def _word(word: Any, where: str) -> dict[str, Any]:
    if dataclasses.is_dataclass(word) and not isinstance(word, type):
        word = dataclasses.asdict(word)
    if not isinstance(word, Mapping):
        raise ValueError(f"{where}: a word must be a dict, got {type(word).__name__}")
    return {
        "text": as_text(word.get("text"), f"{where}.text", default="", text=True),
        "confidence": as_opt_float(word.get("confidence"), f"{where}.confidence"),
        "left": as_float(word.get("left"), f"{where}.left"),
        "top": as_float(word.get("top"), f"{where}.top"),
        "width": as_float(word.get("width"), f"{where}.width"),
        "height": as_float(word.get("height"), f"{where}.height"),
        "block": as_int(word.get("block"), f"{where}.block", default=0),
        "line": as_int(word.get("line"), f"{where}.line", default=0),
    }


def _words(value: Any, where: str) -> list[dict[str, Any]] | None:
    """Words of a page: a list (or, after Parquet, a numpy array) of dicts; None = not given."""
    value = py_value(value)
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple, np.ndarray)):
        raise ValueError(f"{where}: expected a list of word dicts, got {type(value).__name__}")
    return [_word(w, f"{where}[{j}]") for j, w in enumerate(value)]


def _page_row(r: Mapping[str, Any], i: int) -> dict[str, Any]:
    return {
        "file_sha256": as_sha256(r.get("file_sha256"), _where(i, "file_sha256")),
        "page_number": as_int(r.get("page_number"), _where(i, "page_number")),
        "method": as_choice(r.get("method"), _where(i, "method"), PAGE_METHODS),
        "reason": as_text(r.get("reason"), _where(i, "reason"), default=""),
        "text": as_text(r.get("text"), _where(i, "text"), default="", text=True),
        "mean_confidence": as_opt_float(r.get("mean_confidence"), _where(i, "mean_confidence")),
        "engine": as_text(r.get("engine"), _where(i, "engine"), default=""),
        "engine_version": as_text(r.get("engine_version"), _where(i, "engine_version"), default=""),
        "languages": as_text(r.get("languages"), _where(i, "languages"), default=""),
        "dpi": as_opt_int(r.get("dpi"), _where(i, "dpi")),
        "width": as_opt_float(r.get("width"), _where(i, "width")),
        "height": as_opt_float(r.get("height"), _where(i, "height")),
        "box_unit": as_choice(r.get("box_unit") or "px", _where(i, "box_unit"), BOX_UNITS),
        "image_sha256": as_opt_sha256(r.get("image_sha256"), _where(i, "image_sha256")),
        "rotation": as_int(r.get("rotation"), _where(i, "rotation"), default=0),
        "rotation_method": as_text(r.get("rotation_method"), _where(i, "rotation_method"), default=""),
        "skew_degrees": as_float(r.get("skew_degrees"), _where(i, "skew_degrees"), default=0.0),
        "error": as_opt_text(r.get("error"), _where(i, "error")),
    }


def _select_pages(conn: Connection, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
    found: dict[tuple[str, int], dict[str, Any]] = {}
    columns = [
        PAGES.c.id,
        PAGES.c.file_sha256,
        PAGES.c.page_number,
        *[PAGES.c[c] for c in PAGE_VALUE_COLUMNS],
    ]
    for chunk in chunks(sorted(set(keys))):
        query = select(*columns).where(tuple_(PAGES.c.file_sha256, PAGES.c.page_number).in_(list(chunk)))
        for row in conn.execute(query).mappings():
            found[(row["file_sha256"], row["page_number"])] = dict(row)
    return found


def _word_counts(conn: Connection, page_ids: Sequence[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in chunks(sorted(page_ids)):
        query = (
            select(WORDS.c.page_id, func.count()).where(WORDS.c.page_id.in_(chunk)).group_by(WORDS.c.page_id)
        )
        counts.update({page_id: n for page_id, n in conn.execute(query)})
    return counts


def load_pages(engine: Engine, pages: pd.DataFrame | Iterable[Mapping[str, Any]]) -> LoadCounts:
    """Load page results (rows of `PageResult.to_row()`) and their words.

    Columns: file_sha256, page_number (1-based), method, reason, text, mean_confidence, engine,
    engine_version, languages, dpi, width, height, box_unit, image_sha256, rotation, rotation_method,
    skew_degrees, error, words; `cached` and `seconds` are ignored. `words` is a list of dicts (keys
    text, left, top, width, height, confidence, block, line), a numpy array of such dicts (after a
    Parquet round trip), or None/absent to leave the page's stored words alone.

    A page is keyed by (file_sha256, page_number). A new page is inserted with its words; a stored
    page whose values differ is updated and its words replaced; an unchanged page keeps its words,
    unless their number differs from the input's, in which case they are replaced. A later row with
    the same key in the input wins. Counts tables "pages" and "words".

    Raises ValueError for invalid values and LookupError when a file is not in `files` (load files
    first).
    """
    by_key: dict[tuple[str, int], tuple[dict[str, Any], list[dict[str, Any]] | None]] = {}
    for i, r in enumerate(rows_of(pages)):
        row = _page_row(r, i)
        if row["page_number"] < 1:
            raise ValueError(
                f"{_where(i, 'page_number')}: pages are numbered from 1, got {row['page_number']}"
            )
        by_key[(row["file_sha256"], row["page_number"])] = (row, _words(r.get("words"), _where(i, "words")))
    _check_lengths(PAGES, (row for row, _ in by_key.values()))

    counts = LoadCounts()
    with write_connection(engine) as conn:
        missing = _missing(conn, FILES, ("sha256",), {(k[0],) for k in by_key})
        if missing:
            raise LookupError(f"pages of files not in files: {sorted(m[0] for m in missing)}")
        insert_page = (
            _insert(conn, PAGES)
            .on_conflict_do_nothing(index_elements=list(PAGE_KEY))
            .returning(PAGES.c.id, PAGES.c.file_sha256, PAGES.c.page_number)
        )
        update_page = update(PAGES).where(PAGES.c.id == bindparam("page_id"))
        items = list(by_key.items())
        for chunk in chunks(items, BATCH_ROWS):
            stored = _select_pages(conn, (key for key, _ in chunk))
            new_rows = [row for key, (row, _) in chunk if key not in stored]
            new_ids: dict[tuple[str, int], int] = {}
            if new_rows:
                for page_id, sha, number in conn.execute(insert_page, new_rows):
                    new_ids[(sha, number)] = page_id
                lost = [(r["file_sha256"], r["page_number"]) for r in new_rows]
                lost = [key for key in lost if key not in new_ids]  # written meanwhile by a parallel run
                stored.update(_select_pages(conn, lost))

            changed: list[dict[str, Any]] = []
            replace: dict[int, list[dict[str, Any]]] = {}
            check: dict[int, list[dict[str, Any]]] = {}
            for key, (row, words) in chunk:
                if key in new_ids:
                    counts.add("inserted", "pages", 1)
                    if words:
                        replace[new_ids[key]] = words
                    continue
                old = stored[key]
                if any(old[c] != row[c] for c in PAGE_VALUE_COLUMNS):
                    counts.add("updated", "pages", 1)
                    changed.append({"page_id": old["id"], **{c: row[c] for c in PAGE_VALUE_COLUMNS}})
                    if words is not None:
                        replace[old["id"]] = words
                else:
                    counts.add("unchanged", "pages", 1)
                    if words is not None:
                        check[old["id"]] = words
            if changed:
                conn.execute(update_page, changed)
            stored_counts = _word_counts(conn, list(check))
            for page_id, words in check.items():
                if stored_counts.get(page_id, 0) == len(words):
                    counts.add("unchanged", "words", len(words))
                else:
                    replace[page_id] = words
            _replace_words(conn, replace, counts)
    return counts


def _replace_words(
    conn: Connection, words_by_page: Mapping[int, list[dict[str, Any]]], counts: LoadCounts
) -> None:
    if not words_by_page:
        return
    deleted = 0
    for chunk in chunks(sorted(words_by_page)):
        deleted += conn.execute(delete(WORDS).where(WORDS.c.page_id.in_(chunk))).rowcount or 0
    counts.add("deleted", "words", deleted)
    rows = [
        {"page_id": page_id, "word_index": index, **word}
        for page_id, words in words_by_page.items()
        for index, word in enumerate(words)
    ]
    _check_lengths(WORDS, rows)
    counts.add("inserted", "words", _bulk_insert_new(conn, WORDS, rows, ("page_id", "word_index")))


# --------------------------------------------------------------------------- documents


def load_documents(engine: Engine, documents: pd.DataFrame | Iterable[Mapping[str, Any]]) -> LoadCounts:
    """Insert or update documents keyed by (file_sha256, first_page).

    Columns: file_sha256, first_page, last_page (1-based, inclusive), doc_type, type_rule, title
    (optional). A stored document whose last_page, doc_type, type_rule or title differ is updated.
    Documents stored earlier for the same file but absent from the input are kept (not deleted).
    Counts table "documents". Raises ValueError for invalid values (including last_page < first_page)
    and LookupError when a file is not in `files`.
    """
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    for i, r in enumerate(rows_of(documents)):
        row = {
            "file_sha256": as_sha256(r.get("file_sha256"), _where(i, "file_sha256")),
            "first_page": as_int(r.get("first_page"), _where(i, "first_page")),
            "last_page": as_int(r.get("last_page"), _where(i, "last_page")),
            "doc_type": as_text(r.get("doc_type"), _where(i, "doc_type")),
            "type_rule": as_text(r.get("type_rule"), _where(i, "type_rule"), default=""),
            "title": as_opt_text(r.get("title"), _where(i, "title"), text=True),
        }
        if not 1 <= row["first_page"] <= row["last_page"]:
            raise ValueError(f"row {i}: page range {row['first_page']}..{row['last_page']} is not valid")
        by_key[(row["file_sha256"], row["first_page"])] = row
    rows = list(by_key.values())
    _check_lengths(DOCUMENTS, rows)
    counts = LoadCounts()
    with write_connection(engine) as conn:
        missing = _missing(conn, FILES, ("sha256",), {(k[0],) for k in by_key})
        if missing:
            raise LookupError(f"documents of files not in files: {sorted(m[0] for m in missing)}")
        inserted, updated, unchanged = _upsert(
            conn,
            DOCUMENTS,
            rows,
            ("file_sha256", "first_page"),
            ("last_page", "doc_type", "type_rule", "title"),
        )
    counts.add("inserted", "documents", inserted)
    counts.add("updated", "documents", updated)
    counts.add("unchanged", "documents", unchanged)
    return counts


# --------------------------------------------------------------------------- provenance


def event_key(
    subject_type: str, subject_id: str, action: str, tool: str, tool_version: str, outcome: str
) -> str:
    """Return the SHA-256 hex identity of a provenance event (NFC strings, JSON-encoded list)."""
    parts = [
        unicodedata.normalize("NFC", p)
        for p in (subject_type, subject_id, action, tool, tool_version, outcome)
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def record_events(engine: Engine, events: pd.DataFrame | Iterable[Mapping[str, Any]]) -> int:
    """Record provenance events; return how many were new.

    Keys: subject_type ("file" | "page" | "document" | "record" | "review_item"), subject_id,
    action, tool, tool_version, outcome, detail (str, or a JSON-serialisable value stored as JSON),
    occurred_at (aware datetime; default now; a naive datetime raises ValueError), run_id and agent
    (who acted, for a person's decision; both optional). An event with the same
    (subject_type, subject_id, action, tool, tool_version, outcome) as a stored one is not recorded
    again (the stored occurred_at, detail and run_id are kept).
    """
    by_key: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows_of(events)):
        identity = {
            "subject_type": as_choice(r.get("subject_type"), _where(i, "subject_type"), SUBJECT_TYPES),
            "subject_id": as_text(r.get("subject_id"), _where(i, "subject_id")),
            "action": as_text(r.get("action"), _where(i, "action")),
            "tool": as_text(r.get("tool"), _where(i, "tool")),
            "tool_version": as_text(r.get("tool_version"), _where(i, "tool_version"), default=""),
            "outcome": as_text(r.get("outcome"), _where(i, "outcome")),
        }
        occurred_at = py_value(r.get("occurred_at")) or utcnow()
        if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
            raise ValueError(f"{_where(i, 'occurred_at')}: expected an aware datetime, got {occurred_at!r}")
        key = event_key(**identity)
        by_key.setdefault(
            key,
            {
                "event_key": key,
                **identity,
                "detail": as_detail(r.get("detail"), _where(i, "detail")),
                "occurred_at": occurred_at,
                "run_id": as_opt_text(r.get("run_id"), _where(i, "run_id")),
                "agent": as_opt_text(r.get("agent"), _where(i, "agent"), text=True),
            },
        )
    rows = list(by_key.values())
    _check_lengths(EVENTS, rows)
    with write_connection(engine) as conn:
        return _insert_new(conn, EVENTS, rows, ("event_key",))


# --------------------------------------------------------------------------- person records

RECORD_VALUE_COLUMNS = (
    "former_unit_vintage",
    "former_unit_code",
    "file_sha256",
    "first_page",
    "doc_type",
    "role",
    "route_status",
    "former_commune_code",
    "new_unit_code",
    "route_candidates",
    "route_evidence",
    "extractor",
    "entry",
)
PERSON_VALUE_COLUMNS = (*RECORD_VALUE_COLUMNS, "status", "warnings")
"""Columns of a `person_records` row compared on re-load (`loaded_at` is only set when they differ)."""
QUARANTINE_VALUE_COLUMNS = (*RECORD_VALUE_COLUMNS, "reasons", "n_errors", "fields")
"""Columns of a `quarantined_records` row compared on re-load (likewise `quarantined_at`)."""
FIELD_KEY = ("record_id", "scope", "field")
FIELD_VALUE_COLUMNS = (
    "status",
    "raw",
    "value",
    "confidence",
    "page",
    "left",
    "top",
    "width",
    "height",
    "box_unit",
    "method",
    "engine",
    "engine_version",
    "repaired",
    "note",
)
_RECORD_ID = re.compile(r"^([0-9]{2,5}):([0-9a-f]{16}):([1-9][0-9]*)(?:\.([1-9][0-9]*))?:([a-z_]+)$")
_RECORD_ID_FORMAT = "<former unit code>:<file SHA-256, first 16>:<first page>[.<register row>]:<role>"


def _check_record_lengths(table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """`_check_lengths` naming the record instead of the value."""
    limits = {c.name: c.type.length for c in table.columns if getattr(c.type, "length", None)}
    for row in rows:
        for name, limit in limits.items():
            value = row.get(name)
            if isinstance(value, str) and len(value) > limit:
                record = row.get("record_id")
                label = f"record {record}" if name != "record_id" else "a record_id"
                raise ValueError(f"{table.name}, {label}, {name}: {len(value)} characters, at most {limit}")


def _record_where(table: str, i: int, record_id: Any) -> Callable[[str], str]:
    """`where(column)` for messages: the row and, when it is well formed, the record_id."""
    rid = record_id if isinstance(record_id, str) and _RECORD_ID.match(record_id) else None
    prefix = f"{table} row {i}" + (f" (record {rid})" if rid else "")
    return lambda column: f"{prefix}, {column}"


def _validated_row(r: Mapping[str, Any], i: int) -> dict[str, Any]:
    where = _record_where("validated", i, py_value(r.get("record_id")))
    record_id = as_text(r.get("record_id"), where("record_id"))
    match = _RECORD_ID.match(record_id)
    if not match:
        raise ValueError(f"{where('record_id')}: not of the form {_RECORD_ID_FORMAT}")
    row: dict[str, Any] = {
        "record_id": record_id,
        "former_unit_vintage": as_text(
            r.get("former_unit_vintage"), where("former_unit_vintage"), default=PRE2025
        ),
        "former_unit_code": as_code(
            r.get("former_unit_code"),
            where("former_unit_code"),
            UNIT_CODE,
            "an official unit code of 2-5 digits",
        ),
        "file_sha256": as_code(
            r.get("file_sha256"), where("file_sha256"), SHA256_HEX, "a SHA-256 hex digest"
        ),
        "first_page": as_int(r.get("first_page"), where("first_page"), minimum=1),
        "doc_type": as_choice(r.get("doc_type"), where("doc_type"), DOCUMENT_TYPES),
        "role": as_choice(r.get("role"), where("role"), ROLES),
        "status": as_choice(r.get("status"), where("status"), STATUSES),
        "n_errors": as_int(r.get("n_errors"), where("n_errors"), default=0, minimum=0),
        "reasons": as_text(r.get("reasons"), where("reasons"), default="").strip(),
        "route_status": as_choice(r.get("route_status"), where("route_status"), ROUTE_STATUSES),
        "former_commune_code": as_opt_commune_code(
            r.get("former_commune_code"), where("former_commune_code")
        ),
        "new_unit_code": as_opt_commune_code(r.get("new_unit_code"), where("new_unit_code")),
        "route_candidates": as_candidates(r.get("candidates"), where("candidates")),
        "route_evidence": as_text(r.get("route_evidence"), where("route_evidence"), default="", text=True),
        "extractor": as_choice(py_value(r.get("extractor")) or "template", where("extractor"), EXTRACTORS),
        "entry": as_int(r.get("entry"), where("entry"), default=0, minimum=0),
    }
    if match.groups() != (
        row["former_unit_code"],
        row["file_sha256"][:16],
        str(row["first_page"]),
        str(row["entry"]) if row["entry"] else None,
        row["role"],
    ):
        raise ValueError(
            f"{where('record_id')}: does not match former_unit_code, file_sha256, first_page and role"
            f" ({_RECORD_ID_FORMAT})"
        )
    status = row["status"]
    if status == "quarantined" and (row["n_errors"] < 1 or not row["reasons"]):
        raise ValueError(f"{where('status')}: a quarantined record needs n_errors >= 1 and its reasons")
    if status != "quarantined" and row["n_errors"]:
        raise ValueError(f"{where('status')}: a record with errors (n_errors > 0) must be quarantined")
    if status == "warning" and not row["reasons"]:
        raise ValueError(f"{where('reasons')}: a warning record needs its reasons")
    if status == "valid" and row["reasons"]:
        raise ValueError(f"{where('reasons')}: a valid record has no reasons (status should be warning)")
    if (row["route_status"] == "routed") != (row["new_unit_code"] is not None):
        raise ValueError(
            f"{where('new_unit_code')}: a routed record needs its new unit code, and only a routed one has one"
        )
    return row


def _source_row(r: Mapping[str, Any], i: int) -> tuple[tuple[str, int, int, str], dict[str, Any]]:
    """((file_sha256, first_page, entry, role), field row without record_id/scope) of one source row."""
    where = _record_where("source", i, py_value(r.get("record_id")))
    sha = as_code(r.get("file_sha256"), where("file_sha256"), SHA256_HEX, "a SHA-256 hex digest")
    first = as_int(r.get("first_page"), where("first_page"), minimum=1)
    role = as_choice(py_value(r.get("role")) or "", where("role"), ("", *ROLES))
    field = as_text(r.get("field"), where("field")).strip()
    if not field:
        raise ValueError(f"{where('field')}: a field name is required")
    row = {
        "field": field,
        "status": as_choice(r.get("status"), where("status"), FIELD_STATUSES),
        "raw": as_text(r.get("raw"), where("raw"), default="", text=True),
        "value": as_opt_text(r.get("value"), where("value"), text=True),
        "confidence": as_opt_float(r.get("confidence"), where("confidence"), low=0.0, high=100.0),
        "page": as_opt_int(r.get("page"), where("page"), minimum=1),
        **{c: as_opt_float(r.get(c), where(c)) for c in ("left", "top", "width", "height")},
        "box_unit": as_choice(py_value(r.get("box_unit")) or "px", where("box_unit"), BOX_UNITS),
        "method": as_text(r.get("method"), where("method"), default=""),
        "engine": as_text(r.get("engine"), where("engine"), default=""),
        "engine_version": as_text(r.get("engine_version"), where("engine_version"), default=""),
        "repaired": as_bool(r.get("repaired"), where("repaired")),
        "note": as_text(r.get("note"), where("note"), default="", text=True),
    }
    entry = as_int(r.get("entry"), where("entry"), default=0, minimum=0)
    return (sha, first, entry, role), row


def _record_fields(
    record_id: str,
    person: Mapping[str, dict[str, Any]],
    document: Mapping[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    return [
        {"record_id": record_id, "scope": scope, **row}
        for scope, fields in (("person", person), ("document", document))
        for row in fields.values()
    ]


def _fields_json(record_id: str, fields: list[dict[str, Any]]) -> str:
    out: dict[str, dict[str, Any]] = {}
    for f in fields:
        if f["field"] in out:
            raise ValueError(
                f"source, record {record_id}, field: {f['field']!r} is both a person and a document field"
            )
        out[f["field"]] = {k: f[k] for k in ("raw", "value", "page", "confidence", "scope")}
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def _delete_in(conn: Connection, table: Table, column: str, values: Sequence[Any]) -> int:
    deleted = 0
    for chunk in chunks(sorted(set(values))):
        deleted += conn.execute(delete(table).where(table.c[column].in_(chunk))).rowcount or 0
    return deleted


def load_records(
    engine: Engine,
    validated: pd.DataFrame | Iterable[Mapping[str, Any]],
    source: pd.DataFrame | Iterable[Mapping[str, Any]],
) -> LoadCounts:
    """Load validated person records and the fields read for them; quarantined ones kept apart.

    `validated`: one row per person record, columns `sapnhap.records.tables.VALIDATED_COLUMNS`: record_id
    (`<former unit code>:<file SHA-256 first 16>:<first page>:<role>`, checked against the other
    columns), former_unit_code (text of 2-5 digits), file_sha256, first_page, doc_type, role, status
    ("valid" | "warning" | "quarantined"), n_errors, n_warnings (not stored), reasons (rule codes
    joined by ";"), route_status ("routed" | "review" | "unresolved"), former_commune_code (pre2025)
    and new_unit_code (post2025; "" or None for none), candidates (JSON list of post2025 codes),
    route_evidence; optionally former_unit_vintage (default "pre2025"), extractor (one of
    `sapnhap.records.rules.EXTRACTORS`, default "template") and entry (the register row, 0 for a
    whole document; the record_id then reads `<first page>.<entry>`).
    `source`: one row per field read, columns `sapnhap.records.tables.SOURCE_COLUMNS`; the document's own
    fields have role "". A record's fields are the source rows of its document (file_sha256,
    first_page) with its role (scope "person") and those with role "" (scope "document").

    Valid and warning records go to `person_records` (the reasons as `warnings`) with their fields in
    `record_fields`; quarantined records go to `quarantined_records` with their reasons, n_errors
    and fields as JSON. Keyed by record_id: loading the same input again changes nothing
    (`total_changed == 0`); a changed record is updated (and its `loaded_at`/`quarantined_at` set);
    a record that moved between loaded and quarantined since the last load is deleted from the
    other table (with its fields); fields of a loaded record no longer in the input are deleted.
    Records stored earlier but absent from the input are kept. Text is stored NFC (`sapnhap.text.nfc`
    for names and other human-language text); ID numbers stay text with their leading zeros.
    Counts tables "person_records", "record_fields" and "quarantined_records".

    One write transaction: all or nothing. Raises ValueError, before anything is written, for an
    invalid value (a status not allowed, a code or ID given as a number, a record_id that does not
    match its columns, a duplicate record or field, a quarantined record without reasons, a record
    with errors not quarantined, a routed record without a new unit code ...); LookupError when a
    former unit or a document (file_sha256, first_page) is not in the database (load them first).
    Messages name the row, record_id and column, never a value (values are personal data).
    """
    records: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows_of(validated)):
        row = _validated_row(r, i)
        if row["record_id"] in records:
            raise ValueError(f"validated row {i} (record {row['record_id']}), record_id: given twice")
        records[row["record_id"]] = row

    people: dict[tuple[str, int, int, str], dict[str, dict[str, Any]]] = {}
    for i, r in enumerate(rows_of(source)):
        key, field_row = _source_row(r, i)
        fields = people.setdefault(key, {})
        if field_row["field"] in fields:
            raise ValueError(
                _record_where("source", i, py_value(r.get("record_id")))("field") + ": given twice"
            )
        fields[field_row["field"]] = field_row

    now = utcnow()
    person_rows: list[dict[str, Any]] = []
    field_rows: list[dict[str, Any]] = []
    quarantine_rows: list[dict[str, Any]] = []
    for record_id, row in records.items():
        sha, first, entry = row["file_sha256"], row["first_page"], row["entry"]
        fields = _record_fields(
            record_id,
            people.get((sha, first, entry, row["role"]), {}),
            people.get((sha, first, entry, ""), {}),
        )
        shared = {c: row[c] for c in ("record_id", *RECORD_VALUE_COLUMNS)}
        if row["status"] == "quarantined":
            quarantine_rows.append(
                {
                    **shared,
                    "reasons": row["reasons"],
                    "n_errors": row["n_errors"],
                    "fields": _fields_json(record_id, fields),
                    "quarantined_at": now,
                }
            )
        else:
            person_rows.append(
                {**shared, "status": row["status"], "warnings": row["reasons"], "loaded_at": now}
            )
            field_rows.extend(fields)
    _check_record_lengths(PERSON_RECORDS, person_rows)
    _check_record_lengths(RECORD_FIELDS, field_rows)
    _check_record_lengths(QUARANTINED_RECORDS, quarantine_rows)

    counts = LoadCounts()
    loaded_ids = [r["record_id"] for r in person_rows]
    quarantined_ids = [r["record_id"] for r in quarantine_rows]
    with write_connection(engine) as conn:
        units = {(r["former_unit_vintage"], r["former_unit_code"]) for r in records.values()}
        missing_units = _missing(conn, FORMER_UNITS, ("vintage", "code"), units)
        if missing_units:
            raise LookupError(
                f"records of former units not in former_units (vintage, code): {sorted(missing_units)}"
            )
        documents = {(r["file_sha256"], r["first_page"]) for r in records.values()}
        missing_documents = _missing(conn, DOCUMENTS, ("file_sha256", "first_page"), documents)
        if missing_documents:
            raise LookupError(
                f"records of documents not in documents (file_sha256, first_page): {sorted(missing_documents)}"
            )

        # Records that moved since the last load leave the other table (a person record with its fields).
        counts.add(
            "deleted", "quarantined_records", _delete_in(conn, QUARANTINED_RECORDS, "record_id", loaded_ids)
        )
        counts.add("deleted", "record_fields", _delete_in(conn, RECORD_FIELDS, "record_id", quarantined_ids))
        counts.add(
            "deleted", "person_records", _delete_in(conn, PERSON_RECORDS, "record_id", quarantined_ids)
        )

        inserted, updated, unchanged = _upsert(
            conn, PERSON_RECORDS, person_rows, ("record_id",), PERSON_VALUE_COLUMNS, touch=("loaded_at",)
        )
        counts.add("inserted", "person_records", inserted)
        counts.add("updated", "person_records", updated)
        counts.add("unchanged", "person_records", unchanged)

        wanted = {tuple(f[k] for k in FIELD_KEY) for f in field_rows}
        stale: list[tuple[Any, ...]] = []
        key_columns = [RECORD_FIELDS.c[k] for k in FIELD_KEY]
        for chunk in chunks(sorted(set(loaded_ids))):
            stored = conn.execute(select(*key_columns).where(RECORD_FIELDS.c.record_id.in_(chunk)))
            stale.extend(tuple(k) for k in stored if tuple(k) not in wanted)
        deleted = 0
        for stale_chunk in chunks(sorted(stale)):
            deleted += (
                conn.execute(
                    delete(RECORD_FIELDS).where(tuple_(*key_columns).in_(list(stale_chunk)))
                ).rowcount
                or 0
            )
        counts.add("deleted", "record_fields", deleted)
        inserted, updated, unchanged = _upsert(
            conn, RECORD_FIELDS, field_rows, FIELD_KEY, FIELD_VALUE_COLUMNS
        )
        counts.add("inserted", "record_fields", inserted)
        counts.add("updated", "record_fields", updated)
        counts.add("unchanged", "record_fields", unchanged)

        inserted, updated, unchanged = _upsert(
            conn,
            QUARANTINED_RECORDS,
            quarantine_rows,
            ("record_id",),
            QUARANTINE_VALUE_COLUMNS,
            touch=("quarantined_at",),
        )
        counts.add("inserted", "quarantined_records", inserted)
        counts.add("updated", "quarantined_records", updated)
        counts.add("unchanged", "quarantined_records", unchanged)
    return counts


def count_records(engine: Engine, former_unit_code: str, vintage: str = "pre2025") -> dict[str, int]:
    """Count one former unit's person records in the database, for reconciliation.

    Returns `{"valid": n, "warning": n, "quarantined": n}`: rows of `person_records` by status and
    rows of `quarantined_records`, of the former unit (vintage, former_unit_code); every key is
    present (0 when none). Raises ValueError for a code that is not a string of digits.
    """
    code = as_unit_code(former_unit_code, "former_unit_code")
    loaded = (
        select(PERSON_RECORDS.c.status, func.count())
        .where(PERSON_RECORDS.c.former_unit_code == code, PERSON_RECORDS.c.former_unit_vintage == vintage)
        .group_by(PERSON_RECORDS.c.status)
    )
    quarantined = select(func.count()).where(
        QUARANTINED_RECORDS.c.former_unit_code == code, QUARANTINED_RECORDS.c.former_unit_vintage == vintage
    )
    with engine.connect() as conn:
        found = {status: n for status, n in conn.execute(loaded)}
        n_quarantined = conn.execute(quarantined).scalar_one()
    return {**{status: found.get(status, 0) for status in RECORD_STATUSES}, "quarantined": n_quarantined}


def stored_records(engine: Engine, former_unit_code: str, vintage: str = "pre2025") -> dict[str, str]:
    """One former unit's person records in the database: record_id → status ("valid" or "warning" in
    `person_records`, "quarantined" in `quarantined_records`), for reconciliation record by record.
    Raises ValueError for a code that is not a string of digits."""
    code = as_unit_code(former_unit_code, "former_unit_code")
    loaded = select(PERSON_RECORDS.c.record_id, PERSON_RECORDS.c.status).where(
        PERSON_RECORDS.c.former_unit_code == code, PERSON_RECORDS.c.former_unit_vintage == vintage
    )
    held = select(QUARANTINED_RECORDS.c.record_id).where(
        QUARANTINED_RECORDS.c.former_unit_code == code, QUARANTINED_RECORDS.c.former_unit_vintage == vintage
    )
    with engine.connect() as conn:
        out = {record_id: status for record_id, status in conn.execute(loaded)}
        out.update({record_id: "quarantined" for (record_id,) in conn.execute(held)})
    return out


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
