"""Idempotent loading into the unified database: former units, files, pages and words, documents,
provenance events (person records: `sapnhap.db.load_records`; queries: `sapnhap.db.queries`; SQL
building blocks: `sapnhap.db.sql`).

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
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    case,
    delete,
    func,
    select,
    tuple_,
    update,
)

from sapnhap.db.coerce import (
    as_bool,
    as_choice,
    as_detail,
    as_float,
    as_int,
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
    FILE_STATUSES,
    PAGE_METHODS,
    SUBJECT_TYPES,
    UNIT_LEVELS,
    utcnow,
)
from sapnhap.db.session import write_connection
from sapnhap.db.sql import (
    BATCH_ROWS,
    DOCUMENTS,
    EVENTS,
    FILE_SOURCES,
    FILES,
    FORMER_UNITS,
    PAGES,
    WORDS,
    LoadCounts,
    bulk_insert_new,
    check_lengths,
    chunks,
    copy_rows,
    dialect_insert,
    existing_keys,
    insert_new,
    missing_keys,
    row_where,
    upsert_rows,
)
from sapnhap.reference.units import find_unit, level_of_code
from sapnhap.text import nfc as nfc_text

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
        vintage = as_text(r.get("vintage"), row_where(i, "vintage"), default="pre2025")
        code = as_unit_code(r.get("code"), row_where(i, "code"))
        known = find_unit(code, vintage) if vintage in ("pre2025", "post2025") else None  # type: ignore[arg-type]
        level = py_value(r.get("level"))
        if level is None:
            level = known.level if known else (level_of_code(code) or "commune")
        row = {
            "vintage": vintage,
            "code": code,
            "level": as_choice(level, row_where(i, "level"), UNIT_LEVELS),
        }
        for name in ("name", "district_name", "province_name"):
            value = as_opt_text(r.get(name), row_where(i, name), text=True)
            row[name] = value if value is not None else (getattr(known, name) if known else None)
        by_key[(vintage, code)] = row
    unique = list(by_key.values())
    check_lengths(FORMER_UNITS, unique)
    with write_connection(engine) as conn:
        inserted, updated, _ = upsert_rows(
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
        sha = as_sha256(r.get("sha256"), row_where(i, "sha256"))
        status = as_choice(r.get("status"), row_where(i, "status"), FILE_STATUSES)
        duplicate_of = as_opt_sha256(r.get("duplicate_of"), row_where(i, "duplicate_of"))
        first_seen = py_value(r.get("first_seen_at")) or utcnow()
        if not isinstance(first_seen, datetime) or first_seen.tzinfo is None:
            raise ValueError(
                f"{row_where(i, 'first_seen_at')}: expected an aware datetime, got {first_seen!r}"
            )
        row = {
            "sha256": sha,
            "size_bytes": as_int(r.get("size_bytes"), row_where(i, "size_bytes")),
            "kind": as_text(r.get("kind"), row_where(i, "kind"), default=""),
            "mime": as_text(r.get("mime"), row_where(i, "mime"), default=""),
            "page_count": as_opt_int(r.get("page_count"), row_where(i, "page_count")),
            "encrypted": as_bool(r.get("encrypted"), row_where(i, "encrypted")),
            "status": status,
            "quarantine_reason": as_opt_text(r.get("quarantine_reason"), row_where(i, "quarantine_reason")),
            "detail": as_detail(r.get("detail"), row_where(i, "detail")),
            "archive_path": as_opt_text(r.get("archive_path"), row_where(i, "archive_path")),
            "duplicate_of": None if duplicate_of == sha else duplicate_of,
            "first_seen_at": first_seen,
        }
        current = best.get(sha)
        if current is None or STATUS_RANK[status] > STATUS_RANK[current["status"]]:
            best[sha] = row
        source = {
            "former_unit_code": as_unit_code(r.get("former_unit_code"), row_where(i, "former_unit_code")),
            "former_unit_vintage": as_text(r.get("former_unit_vintage"), row_where(i, "former_unit_vintage")),
            "original_path": as_text(r.get("original_path"), row_where(i, "original_path")),
            "file_sha256": sha,
        }
        key = tuple(source.values())
        # The occurrence's own state: a second copy of archived bytes is a duplicate here.
        source["status"] = status
        note = as_detail(r.get("detail"), row_where(i, "detail")) or (row["quarantine_reason"] or "")
        source["note"] = note if status != "archived" else ""
        sources[key] = source  # type: ignore[index]
    # Files that others duplicate go first, so a duplicate_of never points at a row not yet written.
    file_rows = sorted(best.values(), key=lambda row: row["duplicate_of"] is not None)
    source_rows = list(sources.values())
    check_lengths(FILES, file_rows)
    check_lengths(FILE_SOURCES, source_rows)

    counts = LoadCounts()
    with write_connection(engine) as conn:
        units = {(s["former_unit_vintage"], s["former_unit_code"]) for s in source_rows}
        missing_units = missing_keys(conn, FORMER_UNITS, ("vintage", "code"), units)
        if missing_units:
            raise LookupError(f"former units not in former_units (vintage, code): {sorted(missing_units)}")
        targets = {(row["duplicate_of"],) for row in file_rows if row["duplicate_of"]} - {(s,) for s in best}
        missing_targets = missing_keys(conn, FILES, ("sha256",), targets)
        if missing_targets:
            raise LookupError(f"duplicate_of names files not loaded: {sorted(t[0] for t in missing_targets)}")

        before = existing_keys(conn, [FILES.c.sha256], ((sha,) for sha in best))
        stmt = dialect_insert(conn, FILES)
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

        new_sources = insert_new(
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


def _plain_word(word: Any) -> dict[str, Any] | None:
    """The stored word when `word` is a dict of exactly the expected Python types (str text; float
    box, not NaN; float or None confidence; int or missing block and line), the OCR step's own
    output: the same result as the checked path at a fraction of its cost (5,000,000 words a run).
    None for anything else, which the checked path then coerces or refuses with its message."""
    if type(word) is not dict:
        return None
    get = word.get
    text, confidence, left, top, width, height = (
        get("text"), get("confidence"), get("left"), get("top"), get("width"), get("height")
    )  # fmt: skip
    block, line = get("block", 0), get("line", 0)
    if not (
        type(text) is str
        and type(left) is float and type(top) is float and type(width) is float and type(height) is float
        and left == left and top == top and width == width and height == height  # NaN is not equal to itself
        and (confidence is None or (type(confidence) is float and confidence == confidence))
        and type(block) is int and type(line) is int
    ):  # fmt: skip
        return None
    return {
        "text": text if text.isascii() else nfc_text(text),
        "confidence": confidence,
        "left": left,
        "top": top,
        "width": width,
        "height": height,
        "block": block,
        "line": line,
    }


def _words(value: Any, where: str) -> list[dict[str, Any]] | None:
    """Words of a page: a list (or, after Parquet, a numpy array) of dicts; None = not given."""
    value = py_value(value)
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple, np.ndarray)):
        raise ValueError(f"{where}: expected a list of word dicts, got {type(value).__name__}")
    return [_plain_word(w) or _word(w, f"{where}[{j}]") for j, w in enumerate(value)]


def _page_row(r: Mapping[str, Any], i: int) -> dict[str, Any]:
    return {
        "file_sha256": as_sha256(r.get("file_sha256"), row_where(i, "file_sha256")),
        "page_number": as_int(r.get("page_number"), row_where(i, "page_number")),
        "method": as_choice(r.get("method"), row_where(i, "method"), PAGE_METHODS),
        "reason": as_text(r.get("reason"), row_where(i, "reason"), default=""),
        "text": as_text(r.get("text"), row_where(i, "text"), default="", text=True),
        "mean_confidence": as_opt_float(r.get("mean_confidence"), row_where(i, "mean_confidence")),
        "engine": as_text(r.get("engine"), row_where(i, "engine"), default=""),
        "engine_version": as_text(r.get("engine_version"), row_where(i, "engine_version"), default=""),
        "languages": as_text(r.get("languages"), row_where(i, "languages"), default=""),
        "dpi": as_opt_int(r.get("dpi"), row_where(i, "dpi")),
        "width": as_opt_float(r.get("width"), row_where(i, "width")),
        "height": as_opt_float(r.get("height"), row_where(i, "height")),
        "box_unit": as_choice(r.get("box_unit") or "px", row_where(i, "box_unit"), BOX_UNITS),
        "image_sha256": as_opt_sha256(r.get("image_sha256"), row_where(i, "image_sha256")),
        "rotation": as_int(r.get("rotation"), row_where(i, "rotation"), default=0),
        "rotation_method": as_text(r.get("rotation_method"), row_where(i, "rotation_method"), default=""),
        "skew_degrees": as_float(r.get("skew_degrees"), row_where(i, "skew_degrees"), default=0.0),
        "error": as_opt_text(r.get("error"), row_where(i, "error")),
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
                f"{row_where(i, 'page_number')}: pages are numbered from 1, got {row['page_number']}"
            )
        by_key[(row["file_sha256"], row["page_number"])] = (
            row,
            _words(r.get("words"), row_where(i, "words")),
        )
    check_lengths(PAGES, (row for row, _ in by_key.values()))

    counts = LoadCounts()
    with write_connection(engine) as conn:
        missing = missing_keys(conn, FILES, ("sha256",), {(k[0],) for k in by_key})
        if missing:
            raise LookupError(f"pages of files not in files: {sorted(m[0] for m in missing)}")
        insert_page = (
            dialect_insert(conn, PAGES)
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
            _replace_words(conn, replace, counts, fresh=set(new_ids.values()))
    return counts


def _replace_words(
    conn: Connection,
    words_by_page: Mapping[int, list[dict[str, Any]]],
    counts: LoadCounts,
    fresh: set[int] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Store the words of these pages in place of their stored ones. `fresh`: ids of pages inserted
    in this transaction, which no other transaction can have words for (their page row is not
    visible to it): their words are copied straight in; the others' are deleted and inserted
    skipping rows a parallel run wrote meanwhile."""
    if not words_by_page:
        return
    deleted = 0
    for chunk in chunks(sorted(set(words_by_page) - fresh)):
        deleted += conn.execute(delete(WORDS).where(WORDS.c.page_id.in_(chunk))).rowcount or 0
    counts.add("deleted", "words", deleted)
    for new_pages in (True, False):
        rows = [
            {"page_id": page_id, "word_index": index, **word}
            for page_id, words in words_by_page.items()
            if (page_id in fresh) == new_pages
            for index, word in enumerate(words)
        ]
        if not rows:
            continue
        check_lengths(WORDS, rows)
        if new_pages:
            inserted = copy_rows(conn, WORDS, rows)
        else:
            inserted = bulk_insert_new(conn, WORDS, rows, ("page_id", "word_index"))
        counts.add("inserted", "words", inserted)


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
            "file_sha256": as_sha256(r.get("file_sha256"), row_where(i, "file_sha256")),
            "first_page": as_int(r.get("first_page"), row_where(i, "first_page")),
            "last_page": as_int(r.get("last_page"), row_where(i, "last_page")),
            "doc_type": as_text(r.get("doc_type"), row_where(i, "doc_type")),
            "type_rule": as_text(r.get("type_rule"), row_where(i, "type_rule"), default=""),
            "title": as_opt_text(r.get("title"), row_where(i, "title"), text=True),
        }
        if not 1 <= row["first_page"] <= row["last_page"]:
            raise ValueError(f"row {i}: page range {row['first_page']}..{row['last_page']} is not valid")
        by_key[(row["file_sha256"], row["first_page"])] = row
    rows = list(by_key.values())
    check_lengths(DOCUMENTS, rows)
    counts = LoadCounts()
    with write_connection(engine) as conn:
        missing = missing_keys(conn, FILES, ("sha256",), {(k[0],) for k in by_key})
        if missing:
            raise LookupError(f"documents of files not in files: {sorted(m[0] for m in missing)}")
        inserted, updated, unchanged = upsert_rows(
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
            "subject_type": as_choice(r.get("subject_type"), row_where(i, "subject_type"), SUBJECT_TYPES),
            "subject_id": as_text(r.get("subject_id"), row_where(i, "subject_id")),
            "action": as_text(r.get("action"), row_where(i, "action")),
            "tool": as_text(r.get("tool"), row_where(i, "tool")),
            "tool_version": as_text(r.get("tool_version"), row_where(i, "tool_version"), default=""),
            "outcome": as_text(r.get("outcome"), row_where(i, "outcome")),
        }
        occurred_at = py_value(r.get("occurred_at")) or utcnow()
        if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
            raise ValueError(
                f"{row_where(i, 'occurred_at')}: expected an aware datetime, got {occurred_at!r}"
            )
        key = event_key(**identity)
        by_key.setdefault(
            key,
            {
                "event_key": key,
                **identity,
                "detail": as_detail(r.get("detail"), row_where(i, "detail")),
                "occurred_at": occurred_at,
                "run_id": as_opt_text(r.get("run_id"), row_where(i, "run_id")),
                "agent": as_opt_text(r.get("agent"), row_where(i, "agent"), text=True),
            },
        )
    rows = list(by_key.values())
    check_lengths(EVENTS, rows)
    with write_connection(engine) as conn:
        return insert_new(conn, EVENTS, rows, ("event_key",))
