"""Loading person records: valid and warning records into `person_records` with their fields in
`record_fields`, quarantined ones into `quarantined_records` with their fields as JSON; keyed by
record_id (`<former unit>:<file SHA-256, 16>:<first page>[.<row>]:<role>`), idempotent, one
transaction per load. Counts and stored statuses per former unit for reconciliation.
"""

from __future__ import annotations

import gc
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import compress
from operator import itemgetter
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    delete,
    exists,
    func,
    select,
    tuple_,
)

from sapnhap.db import sql
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
    copy_sequences,
    drop_stage,
    missing_keys,
    stage_rows,
    upsert_rows,
    upsert_staged,
)
from sapnhap.records.vocabulary import DOCUMENT_TYPES, EXTRACTORS, ROLES, STATUSES
from sapnhap.text import nfc as nfc_text

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


# --------------------------------------------------------------------------- column-wise validation
# The same coercers as `_validated_row` / `_source_row`, applied once per distinct value of a column
# (a register repeats its statuses, units, engines, boxes ...) instead of once per cell. Any value
# refused here sends the whole input through the row-by-row path, which raises the exact error
# (first bad row, first bad column) that it always raised.


class _Refused(Exception):
    """A value the column-wise path does not accept: the row-by-row path names it."""


_NONE = type(None)


def _columns(
    data: pd.DataFrame | Iterable[Mapping[str, Any]], names: Sequence[str]
) -> tuple[int, Callable[[str], list[Any]]]:
    """(number of rows, `column(name)`: that column's values as a list, None where absent); `names`
    are the columns that will be asked for."""
    if isinstance(data, pd.DataFrame):
        frame = data.rename(columns=str)
        n = len(frame)

        def column(name: str) -> list[Any]:
            if name not in frame.columns:
                return [None] * n
            series = frame[name]
            if not isinstance(series, pd.Series):  # a name given twice
                raise _Refused
            if series.dtype.kind == "f" and series.isna().any():
                return series.astype(object).where(series.notna(), None).tolist()
            return series.tolist()

        return n, column
    rows = [r if isinstance(r, dict) else dict(r) for r in data]
    if any(not isinstance(k, str) for r in rows[:1] for k in r):
        raise _Refused
    present = [name for name in names if rows and name in rows[0]]
    found: dict[str, list[Any]] = {}
    if len(present) > 1:
        try:  # one pass over the rows when they all have the first row's columns
            found = dict(
                zip(present, map(list, zip(*map(itemgetter(*present), rows), strict=True)), strict=True)
            )
        except KeyError:
            found = {}

    def column_of_rows(name: str) -> list[Any]:
        return found[name] if name in found else [r.get(name) for r in rows]

    return len(rows), column_of_rows


def _coerced(values: list[Any], coerce: Callable[[Any], Any]) -> list[Any]:
    """`coerce(v)` for every value, computed once per distinct value (of one type: 1, 1.0 and True
    are told apart); _Refused for a value it refuses."""
    types = set(map(type, values))
    try:
        if len(types - {_NONE}) <= 1:
            distinct: dict[Any, Any] = dict.fromkeys(values)
            for value in distinct:
                distinct[value] = coerce(value)
            return list(map(distinct.__getitem__, values))
        keys = list(zip(map(type, values), values, strict=True))
        typed: dict[Any, Any] = dict.fromkeys(keys)
        for key in typed:
            typed[key] = coerce(key[1])
        return list(map(typed.__getitem__, keys))
    except TypeError:  # unhashable values (lists): one call each
        pass
    except ValueError as exc:
        raise _Refused from exc
    try:
        return [coerce(v) for v in values]
    except ValueError as exc:
        raise _Refused from exc


def _texts(values: list[Any], *, default: str | None) -> list[Any]:
    """`as_text(v, text=True, default=default)` (`as_opt_text(v, text=True)` for default None) of
    a column of many distinct texts: normalised in one call on the texts joined by NUL (a starter
    that composes with nothing, so each text comes out as it would alone)."""
    types = set(map(type, values))
    if not types <= {str, _NONE}:
        return _coerced(
            values,
            lambda v: (
                as_opt_text(v, "", text=True)
                if default is None
                else as_text(v, "", default=default, text=True)
            ),
        )
    present = values if _NONE not in types else [v for v in values if v is not None]
    joined = "\0".join(present)
    if joined.count("\0") != max(len(present) - 1, 0):
        return _coerced(
            values,
            lambda v: (
                as_opt_text(v, "", text=True)
                if default is None
                else as_text(v, "", default=default, text=True)
            ),
        )
    normal = _nfc_joined(joined).split("\0") if present else []
    if _NONE not in types:
        return normal
    filled = iter(normal)
    return [default if v is None else next(filled) for v in values]


def _nfc_joined(text: str) -> str:
    """`sapnhap.text.nfc` of a long text: the look-alike `Ð`/`ð` only translated when present."""
    normal = unicodedata.normalize("NFC", text)
    return nfc_text(normal) if "\u00d0" in normal or "\u00f0" in normal else normal


def _max_lengths_fit(table: Table, columns: Mapping[str, list[Any]]) -> None:
    """_Refused when a text is longer than its `String(n)` column (`_check_record_lengths` names it)."""
    for c in table.columns:
        limit = getattr(c.type, "length", None)
        if limit and c.name in columns:
            distinct = set(columns[c.name])
            distinct.discard(None)
            try:
                longest = max(map(len, distinct), default=0)
            except TypeError:  # not only texts
                longest = max((len(v) for v in distinct if isinstance(v, str)), default=0)
            if longest > limit:
                raise _Refused


_VALIDATED_READ = (
    "record_id",
    *(c for c in RECORD_VALUE_COLUMNS if c != "route_candidates"),
    "candidates",
    "status",
    "n_errors",
    "reasons",
)


def _fast_records(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The validated table column-wise, as `_validated_row` reads it row by row."""
    n, column = _columns(data, _VALIDATED_READ)
    out: dict[str, list[Any]] = {"record_id": _coerced(column("record_id"), lambda v: as_text(v, ""))}
    matches = _coerced(out["record_id"], _RECORD_ID.match)
    if None in matches:
        raise _Refused
    checks: dict[str, Callable[[Any], Any]] = {
        "former_unit_vintage": lambda v: as_text(v, "", default=PRE2025),
        "former_unit_code": lambda v: as_code(v, "", UNIT_CODE, ""),
        "file_sha256": lambda v: as_code(v, "", SHA256_HEX, ""),
        "first_page": lambda v: as_int(v, "", minimum=1),
        "doc_type": lambda v: as_choice(v, "", DOCUMENT_TYPES),
        "role": lambda v: as_choice(v, "", ROLES),
        "status": lambda v: as_choice(v, "", STATUSES),
        "n_errors": lambda v: as_int(v, "", default=0, minimum=0),
        "reasons": lambda v: as_text(v, "", default="").strip(),
        "route_status": lambda v: as_choice(v, "", ROUTE_STATUSES),
        "former_commune_code": lambda v: as_opt_commune_code(v, ""),
        "new_unit_code": lambda v: as_opt_commune_code(v, ""),
        "route_candidates": lambda v: as_candidates(v, ""),
        "route_evidence": lambda v: as_text(v, "", default="", text=True),
        "extractor": lambda v: as_choice(py_value(v) or "template", "", EXTRACTORS),
        "entry": lambda v: as_int(v, "", default=0, minimum=0),
    }
    for name, check in checks.items():
        out[name] = _coerced(column("candidates" if name == "route_candidates" else name), check)
    if len(set(out["record_id"])) != n:
        raise _Refused
    for match, unit, sha, first, entry, role, status, n_errors, reasons, route, new_unit in zip(
        matches, *(out[c] for c in ("former_unit_code", "file_sha256", "first_page", "entry", "role")),
        *(out[c] for c in ("status", "n_errors", "reasons", "route_status", "new_unit_code")),
        strict=True,
    ):  # fmt: skip
        if (
            match.groups() != (unit, sha[:16], str(first), str(entry) if entry else None, role)
            or (status == "quarantined" and (n_errors < 1 or not reasons))
            or (status != "quarantined" and n_errors)
            or (status == "warning" and not reasons)
            or (status == "valid" and reasons)
            or (route == "routed") != (new_unit is not None)
        ):
            raise _Refused
    return out


SOURCE_FIELD_COLUMNS = ("field", *FIELD_VALUE_COLUMNS)


def _fast_fields(
    data: pd.DataFrame | Iterable[Mapping[str, Any]],
) -> tuple[list[tuple[str, int, int, str]], dict[str, list[Any]]]:
    """The source table column-wise, as `_source_row` reads it row by row: (the key (file_sha256,
    first_page, entry, role) of each row, the field columns)."""
    n, column = _columns(data, ("file_sha256", "first_page", "role", "entry", *SOURCE_FIELD_COLUMNS))
    sha = _coerced(column("file_sha256"), lambda v: as_code(v, "", SHA256_HEX, ""))
    first = _coerced(column("first_page"), lambda v: as_int(v, "", minimum=1))
    role = _coerced(column("role"), lambda v: as_choice(py_value(v) or "", "", ("", *ROLES)))
    entry = _coerced(column("entry"), lambda v: as_int(v, "", default=0, minimum=0))

    def field_name(value: Any) -> str:
        name = as_text(value, "").strip()
        if not name:
            raise ValueError("no field name")
        return name

    boxes = {c: (lambda v: as_opt_float(v, "")) for c in ("left", "top", "width", "height")}
    checks: dict[str, Callable[[Any], Any]] = {
        "field": field_name,
        "status": lambda v: as_choice(v, "", FIELD_STATUSES),
        "confidence": lambda v: as_opt_float(v, "", low=0.0, high=100.0),
        "page": lambda v: as_opt_int(v, "", minimum=1),
        **boxes,
        "box_unit": lambda v: as_choice(py_value(v) or "px", "", BOX_UNITS),
        "method": lambda v: as_text(v, "", default=""),
        "engine": lambda v: as_text(v, "", default=""),
        "engine_version": lambda v: as_text(v, "", default=""),
        "repaired": lambda v: as_bool(v, ""),
    }
    fields: dict[str, list[Any]] = {}
    for name in SOURCE_FIELD_COLUMNS:
        if name in ("raw", "note"):
            fields[name] = _texts(column(name), default="")
        elif name == "value":
            fields[name] = _texts(column(name), default=None)
        else:
            fields[name] = _coerced(column(name), checks[name])
    keys = list(zip(sha, first, entry, role, strict=True))
    if len(set(zip(keys, fields["field"], strict=True))) != n:
        raise _Refused  # a field given twice
    return keys, fields


FIELD_COLUMNS = (*FIELD_KEY, *FIELD_VALUE_COLUMNS)
"""Columns of a `record_fields` row, in the order the loader writes them."""


@dataclass
class _Batch:
    """The input read and checked: validated rows (input order), rows of `person_records` and
    `quarantined_records`, and the loaded records' fields column-wise (FIELD_COLUMNS)."""

    records: list[dict[str, Any]]
    person_rows: list[dict[str, Any]]
    quarantine_rows: list[dict[str, Any]]
    fields: dict[str, list[Any]]


def _row_by_row(
    validated: pd.DataFrame | Iterable[Mapping[str, Any]],
    source: pd.DataFrame | Iterable[Mapping[str, Any]],
    now: datetime,
) -> _Batch:
    """The batch read one row and one value at a time: the reference, and the path that names the
    first bad value (row, record, column) when the column-wise path refused something."""
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
        if row["status"] == "quarantined":
            quarantine_rows.append(_quarantine_row(row, fields, now))
        else:
            person_rows.append(_person_row(row, now))
            field_rows.extend(fields)
    _check_record_lengths(PERSON_RECORDS, person_rows)
    _check_record_lengths(RECORD_FIELDS, field_rows)
    _check_record_lengths(QUARANTINED_RECORDS, quarantine_rows)
    columns = {c: [f[c] for f in field_rows] for c in FIELD_COLUMNS}
    return _Batch(list(records.values()), person_rows, quarantine_rows, columns)


def _person_row(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    return {
        **{c: row[c] for c in ("record_id", *RECORD_VALUE_COLUMNS)},
        "status": row["status"],
        "warnings": row["reasons"],
        "loaded_at": now,
    }


def _quarantine_row(row: Mapping[str, Any], fields: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return {
        **{c: row[c] for c in ("record_id", *RECORD_VALUE_COLUMNS)},
        "reasons": row["reasons"],
        "n_errors": row["n_errors"],
        "fields": _fields_json(row["record_id"], fields),
        "quarantined_at": now,
    }


def _column_wise(
    validated: pd.DataFrame | Iterable[Mapping[str, Any]],
    source: pd.DataFrame | Iterable[Mapping[str, Any]],
    now: datetime,
) -> _Batch:
    """The batch read column by column, each distinct value checked once (`_coerced`): the same
    result as `_row_by_row`, or _Refused."""
    checked = _fast_records(validated)
    keys, source_fields = _fast_fields(source)
    _max_lengths_fit(PERSON_RECORDS, checked)
    _max_lengths_fit(QUARANTINED_RECORDS, checked)
    names = list(checked)
    records = [dict(zip(names, values, strict=True)) for values in zip(*checked.values(), strict=True)]
    rows_of_key: dict[tuple[str, int, int, str], list[int]] = {}
    for i, key in enumerate(keys):
        rows_of_key.setdefault(key, []).append(i)

    person_rows: list[dict[str, Any]] = []
    quarantine_rows: list[dict[str, Any]] = []
    take: list[int] = []
    record_ids: list[str] = []
    scopes: list[str] = []
    for row in records:
        record_id, sha, first, entry = row["record_id"], row["file_sha256"], row["first_page"], row["entry"]
        person = rows_of_key.get((sha, first, entry, row["role"]), [])
        document = rows_of_key.get((sha, first, entry, ""), [])
        if row["status"] == "quarantined":
            fields = [
                {
                    "record_id": record_id,
                    "scope": scope,
                    **{c: source_fields[c][i] for c in SOURCE_FIELD_COLUMNS},
                }
                for scope, rows in (("person", person), ("document", document))
                for i in rows
            ]
            quarantine_rows.append(_quarantine_row(row, fields, now))
            continue
        person_rows.append(_person_row(row, now))
        take += person
        take += document
        record_ids += [record_id] * (len(person) + len(document))
        scopes += ["person"] * len(person) + ["document"] * len(document)
    columns = {
        "record_id": record_ids,
        "scope": scopes,
        **{c: list(map(source_fields[c].__getitem__, take)) for c in SOURCE_FIELD_COLUMNS},
    }
    _max_lengths_fit(RECORD_FIELDS, columns)
    return _Batch(records, person_rows, quarantine_rows, columns)


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

    The input is read column by column, each distinct value of a column checked once by the same
    coercers (`sapnhap.db.coerce`); when anything is refused it is read again row by row, which
    raises the error naming the first bad value. On PostgreSQL (from `sapnhap.db.sql.COPY_ROWS`
    rows) records go through `COPY` into a temporary table; the fields of records this load
    inserted go by `COPY` into `record_fields`, those of stored records are staged and only the
    rows whose values differ are written (`sapnhap.db.sql.upsert_staged`), so a second load of
    the same input reads and compares but writes nothing (docs/benchmarks_load.md).
    """
    now = utcnow()
    # The read allocates millions of tuples and lists that all live until the load ends: the cyclic
    # garbage collector would walk them again and again (a third of the read's time) for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        batch = _column_wise(validated, source, now)
    except _Refused:
        batch = _row_by_row(validated, source, now)  # raises the ValueError naming the first bad value
    finally:
        if collecting:
            gc.enable()

    counts = LoadCounts()
    quarantined_ids = [r["record_id"] for r in batch.quarantine_rows]
    n_fields = len(batch.fields["record_id"])
    with write_connection(engine) as conn:
        units = {(r["former_unit_vintage"], r["former_unit_code"]) for r in batch.records}
        missing_units = missing_keys(conn, FORMER_UNITS, ("vintage", "code"), units)
        if missing_units:
            raise LookupError(
                f"records of former units not in former_units (vintage, code): {sorted(missing_units)}"
            )
        documents = {(r["file_sha256"], r["first_page"]) for r in batch.records}
        missing_documents = missing_keys(conn, DOCUMENTS, ("file_sha256", "first_page"), documents)
        if missing_documents:
            raise LookupError(
                f"records of documents not in documents (file_sha256, first_page): {sorted(missing_documents)}"
            )

        # Records now quarantined leave person_records (with their fields).
        counts.add("deleted", "record_fields", _delete_in(conn, RECORD_FIELDS, "record_id", quarantined_ids))
        counts.add(
            "deleted", "person_records", _delete_in(conn, PERSON_RECORDS, "record_id", quarantined_ids)
        )
        if (
            conn.dialect.name == "postgresql"
            and batch.person_rows
            and len(batch.person_rows) + n_fields >= sql.COPY_ROWS
        ):
            _load_staged(conn, batch, counts)
        else:
            _load_by_statements(conn, batch, counts)

        inserted, updated, unchanged = upsert_rows(
            conn,
            QUARANTINED_RECORDS,
            batch.quarantine_rows,
            ("record_id",),
            QUARANTINE_VALUE_COLUMNS,
            touch=("quarantined_at",),
        )
        counts.add("inserted", "quarantined_records", inserted)
        counts.add("updated", "quarantined_records", updated)
        counts.add("unchanged", "quarantined_records", unchanged)
    return counts


def _load_by_statements(conn: Connection, batch: _Batch, counts: LoadCounts) -> None:
    """The loaded records and their fields by `upsert_rows` (SQLite, and small loads)."""
    loaded_ids = [r["record_id"] for r in batch.person_rows]
    # Records loaded again after a quarantine leave quarantined_records.
    counts.add(
        "deleted", "quarantined_records", _delete_in(conn, QUARANTINED_RECORDS, "record_id", loaded_ids)
    )
    inserted, updated, unchanged = upsert_rows(
        conn, PERSON_RECORDS, batch.person_rows, ("record_id",), PERSON_VALUE_COLUMNS, touch=("loaded_at",)
    )
    counts.add("inserted", "person_records", inserted)
    counts.add("updated", "person_records", updated)
    counts.add("unchanged", "person_records", unchanged)

    columns = [batch.fields[c] for c in FIELD_COLUMNS]
    field_rows = [dict(zip(FIELD_COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)]
    wanted = set(zip(*columns[: len(FIELD_KEY)], strict=True))
    stale: list[tuple[Any, ...]] = []
    key_columns = [RECORD_FIELDS.c[k] for k in FIELD_KEY]
    for chunk in chunks(sorted(set(loaded_ids))):
        stored = conn.execute(select(*key_columns).where(RECORD_FIELDS.c.record_id.in_(chunk)))
        stale.extend(tuple(k) for k in stored if tuple(k) not in wanted)
    deleted = 0
    for stale_chunk in chunks(sorted(stale)):
        deleted += (
            conn.execute(delete(RECORD_FIELDS).where(tuple_(*key_columns).in_(list(stale_chunk)))).rowcount
            or 0
        )
    counts.add("deleted", "record_fields", deleted)
    inserted, updated, unchanged = upsert_rows(
        conn, RECORD_FIELDS, field_rows, FIELD_KEY, FIELD_VALUE_COLUMNS
    )
    counts.add("inserted", "record_fields", inserted)
    counts.add("updated", "record_fields", updated)
    counts.add("unchanged", "record_fields", unchanged)


def _load_staged(conn: Connection, batch: _Batch, counts: LoadCounts) -> None:
    """The loaded records and their fields through `COPY` (PostgreSQL): the records staged and
    upserted (`upsert_staged`); the fields of records inserted by this load go straight into
    `record_fields` with `COPY` (no other transaction can hold a field of a record this one
    inserted), the fields of records stored before are staged and compared (`upsert_staged`:
    only the rows that differ are written), and their stored fields no longer read are deleted."""
    names = [c.name for c in PERSON_RECORDS.c if c.name in batch.person_rows[0]]
    records = stage_rows(conn, PERSON_RECORDS, names, ([r[n] for n in names] for r in batch.person_rows))
    # Records loaded again after a quarantine leave quarantined_records.
    moved = conn.execute(
        delete(QUARANTINED_RECORDS).where(QUARANTINED_RECORDS.c.record_id == records.c.record_id)
    )
    counts.add("deleted", "quarantined_records", moved.rowcount or 0)
    new, updated = upsert_staged(
        conn, PERSON_RECORDS, records, ("record_id",), PERSON_VALUE_COLUMNS, touch=("loaded_at",)
    )
    counts.add("inserted", "person_records", len(new))
    counts.add("updated", "person_records", updated)
    counts.add("unchanged", "person_records", len(batch.person_rows) - len(new) - updated)

    new_ids = {key[0] for key in new}
    columns = [batch.fields[c] for c in FIELD_COLUMNS]
    of_new = [record_id in new_ids for record_id in batch.fields["record_id"]]
    n_new = sum(of_new)
    n_fields = len(of_new)
    inserted = updated = 0
    if len(new_ids) < len(batch.person_rows):
        stored_before = (
            zip(*columns, strict=True)
            if n_new == 0
            else compress(zip(*columns, strict=True), (not new for new in of_new))
        )
        fields = stage_rows(conn, RECORD_FIELDS, FIELD_COLUMNS, stored_before)
        key_pairs = [RECORD_FIELDS.c[k] == fields.c[k] for k in FIELD_KEY]
        stale = conn.execute(
            delete(RECORD_FIELDS).where(
                RECORD_FIELDS.c.record_id == records.c.record_id, ~exists().where(*key_pairs)
            )
        )
        counts.add("deleted", "record_fields", stale.rowcount or 0)
        fresh, updated = upsert_staged(conn, RECORD_FIELDS, fields, FIELD_KEY, FIELD_VALUE_COLUMNS)
        inserted = len(fresh)
        drop_stage(conn, fields)
    else:
        counts.add("deleted", "record_fields", 0)
    if n_new:
        rows = (
            zip(*columns, strict=True) if n_new == n_fields else compress(zip(*columns, strict=True), of_new)
        )
        copy_sequences(conn, RECORD_FIELDS.name, FIELD_COLUMNS, rows)
        inserted += n_new
    drop_stage(conn, records)
    counts.add("inserted", "record_fields", inserted)
    counts.add("updated", "record_fields", updated)
    counts.add("unchanged", "record_fields", n_fields - inserted - updated)


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
