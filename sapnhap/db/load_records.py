"""Loading person records: valid and warning records into `person_records` with their fields in
`record_fields`, quarantined ones into `quarantined_records` with their fields as JSON; keyed by
record_id (`<former unit>:<file SHA-256, 16>:<first page>[.<row>]:<role>`), idempotent, one
transaction per load. Counts and stored statuses per former unit for reconciliation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    delete,
    func,
    select,
    tuple_,
)

from sapnhap.db.coerce import (
    SHA256_HEX,
    UNIT_CODE,
    as_bool,
    as_candidates,
    as_choice,
    as_code,
    as_int,
    as_opt_commune_code,
    as_opt_float,
    as_opt_int,
    as_opt_text,
    as_text,
    as_unit_code,
    py_value,
    rows_of,
)
from sapnhap.db.models import (
    BOX_UNITS,
    FIELD_STATUSES,
    PRE2025,
    RECORD_STATUSES,
    ROUTE_STATUSES,
    utcnow,
)
from sapnhap.db.session import write_connection
from sapnhap.db.sql import (
    DOCUMENTS,
    FORMER_UNITS,
    PERSON_RECORDS,
    QUARANTINED_RECORDS,
    RECORD_FIELDS,
    LoadCounts,
    chunks,
    missing_keys,
    upsert_rows,
)
from sapnhap.records.vocabulary import DOCUMENT_TYPES, EXTRACTORS, ROLES, STATUSES

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
    `sapnhap.records.vocabulary.EXTRACTORS`, default "template") and entry (the register row, 0 for a
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
        missing_units = missing_keys(conn, FORMER_UNITS, ("vintage", "code"), units)
        if missing_units:
            raise LookupError(
                f"records of former units not in former_units (vintage, code): {sorted(missing_units)}"
            )
        documents = {(r["file_sha256"], r["first_page"]) for r in records.values()}
        missing_documents = missing_keys(conn, DOCUMENTS, ("file_sha256", "first_page"), documents)
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

        inserted, updated, unchanged = upsert_rows(
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
        inserted, updated, unchanged = upsert_rows(
            conn, RECORD_FIELDS, field_rows, FIELD_KEY, FIELD_VALUE_COLUMNS
        )
        counts.add("inserted", "record_fields", inserted)
        counts.add("updated", "record_fields", updated)
        counts.add("unchanged", "record_fields", unchanged)

        inserted, updated, unchanged = upsert_rows(
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
