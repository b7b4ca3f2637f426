"""A new unit's person records as linkage reads them, and golden records by survivorship.

`read_unit_records` reads the records routed to a new unit with their fields; `survive` picks each
field's golden value among a person's records (`SURVIVORSHIP`: the only source, the value most
records agree on, a validated record, OCR confidence, the most recent registration, the first
record), and `golden_records` does it for every person. Dagster-free.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from sapnhap.db.models import (
    PersonRecord,
    RecordField,
)
from sapnhap.db.sql import chunks

logger = logging.getLogger(__name__)

GOLDEN_FIELDS = (
    "full_name", "birth_date", "birth_year", "sex", "personal_id", "legacy_id", "ethnicity", "nationality",
    "hometown", "birth_place", "residence", "father_name", "mother_name",
)  # fmt: skip
"""Fields of a golden record: the person's own fields read from the documents, and for a child of a
birth extract the names of the parents named in it."""
REGISTRATION_FIELDS = ("registration_date", "received_date", "declared_at", "recruited_date")
"""Document fields giving the date of an official registration, most telling first: the more recent
registration wins a survivorship tie (Law on Civil Status 2014, Art. 3: the latest registration
is the one in force)."""
SURVIVORSHIP = ("only_source", "agreed", "validated", "confidence", "recent_registration", "first_record")
"""What decided a golden value: one record held it; all records agreed; a validated record over one
with warnings; a higher OCR confidence; a more recent official registration; else the first record
(by record id, so the choice is stable)."""


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class UnitRecords:
    """The person records of one new unit as read from the database.

    `records`: one row per record, columns `sapnhap.linkage.model.RECORD_INPUT_COLUMNS` (the input of
    `linkage_features`) plus status ("valid"/"warning"), doc_type, file_sha256, first_page and
    registered (ISO date of the document's registration or ""). `values`: one row per field value,
    columns record_id (the record holding the value), person (the record it describes: a child's
    parents' names are read from the parents' records), field, value, confidence (0..100; a text
    layer counts 100), page.
    """

    records: pd.DataFrame
    values: pd.DataFrame


def read_unit_records(conn: Connection, new_unit_code: str) -> UnitRecords:
    """The person records routed to `new_unit_code` (a "post2025" commune code) and their values."""
    rows = conn.execute(
        select(
            PersonRecord.record_id,
            PersonRecord.former_unit_code,
            PersonRecord.role,
            PersonRecord.status,
            PersonRecord.doc_type,
            PersonRecord.file_sha256,
            PersonRecord.first_page,
        )
        .where(PersonRecord.new_unit_code == new_unit_code)
        .order_by(PersonRecord.record_id)
    ).all()
    base = pd.DataFrame(
        rows, columns=["record_id", "source", "role", "status", "doc_type", "file_sha256", "first_page"]
    )
    ids = list(base["record_id"])
    fields: list[Any] = []
    for chunk in chunks(ids):
        fields += conn.execute(
            select(
                RecordField.record_id,
                RecordField.scope,
                RecordField.field,
                RecordField.value,
                RecordField.confidence,
                RecordField.method,
                RecordField.page,
            ).where(
                RecordField.record_id.in_(chunk),
                RecordField.status == "found",
                RecordField.value.is_not(None),
            )
        ).all()
    found = pd.DataFrame(
        fields, columns=["record_id", "scope", "field", "value", "confidence", "method", "page"]
    )
    found = found[found["value"].astype(str).str.strip() != ""]
    own = found[found["scope"] == "person"].copy()
    own["confidence"] = [
        (100.0 if m == "text_layer" else 0.0) if c is None or c != c else float(c)
        for c, m in zip(own["confidence"], own["method"], strict=True)
    ]
    own["person"] = own["record_id"]
    # A child's parents are the father and mother named in the same document (same record id but the role).
    document = {r: r.rsplit(":", 1)[0] for r in ids}
    present = set(ids)
    parents = []
    for r, role in zip(base["record_id"], base["role"], strict=True):
        if role != "child":
            continue
        for parent in ("father", "mother"):
            rid = f"{document[r]}:{parent}"
            if rid in present:
                parents.append((r, rid, f"{parent}_name"))
    names = own[own["field"] == "full_name"].set_index("record_id")
    extra = [
        {
            "record_id": rid,
            "person": child,
            "field": name_field,
            "value": names.at[rid, "value"],
            "confidence": names.at[rid, "confidence"],
            "page": names.at[rid, "page"],
        }
        for child, rid, name_field in parents
        if rid in names.index
    ]
    values = pd.concat(
        [own[["record_id", "person", "field", "value", "confidence", "page"]], pd.DataFrame(extra)],
        ignore_index=True,
    )
    values = values[values["field"].isin(GOLDEN_FIELDS)].reset_index(drop=True)
    wide = values.pivot_table(index="person", columns="field", values="value", aggfunc="first")
    records = base.set_index("record_id")
    for column in ("full_name", "birth_date", "birth_year", "sex", "personal_id", "residence"):
        records[column] = wide[column].reindex(records.index) if column in wide else None
    for column in ("father_name", "mother_name"):
        records[column] = wide[column].reindex(records.index) if column in wide else None
    document_fields = found[(found["scope"] == "document") & found["field"].isin(REGISTRATION_FIELDS)]
    registered: dict[str, str] = {}
    for name in reversed(REGISTRATION_FIELDS):  # the most telling field last, so it wins
        part = document_fields[document_fields["field"] == name]
        registered.update(zip(part["record_id"], part["value"].astype(str), strict=True))
    records["registered"] = [registered.get(r, "") for r in records.index]
    records = records.reset_index()
    records = records.astype(object).where(records.notna(), None)
    return UnitRecords(records=records, values=values)


# --------------------------------------------------------------------------- survivorship


@dataclass(frozen=True)
class Candidate:
    """One source value for a golden field: the record holding it, whether that record is validated
    (status "valid", not "warning"), its OCR confidence (0..100) and the date of the registration it
    comes from (ISO text, "" unknown)."""

    value: str
    record_id: str
    validated: bool
    confidence: float
    registered: str


@dataclass(frozen=True)
class Golden:
    """A golden value: the surviving value, the record it comes from, the rule that decided
    (`SURVIVORSHIP`), how many records held a value and how many different values there were."""

    value: str
    record_id: str
    rule: str
    sources: int
    distinct_values: int


def survive(candidates: Sequence[Candidate]) -> Golden | None:
    """The surviving value among `candidates` (present values only: a missing value never wins over a
    present one), or None when no record holds a value.

    Ranking, as data-quality practice for master data has it (and as issue 5 asks): a validated
    record over one with warnings, then the higher OCR confidence, then the more recent official
    registration, then the smallest record id (stable). The rule reported is the first criterion
    that separates the winner from the best candidate holding a different value.
    """
    present = [c for c in candidates if c.value is not None and str(c.value).strip() != ""]
    if not present:
        return None
    distinct = {c.value for c in present}

    def rank(c: Candidate) -> tuple:
        return (c.validated, round(c.confidence, 1), c.registered)

    ordered = sorted(present, key=lambda c: c.record_id)
    best = max(ordered, key=rank)  # max keeps the first of equals: the smallest record id
    if len(present) == 1:
        rule = "only_source"
    elif len(distinct) == 1:
        rule = "agreed"
    else:
        rival = max((c for c in ordered if c.value != best.value), key=rank)
        names = ("validated", "confidence", "recent_registration")
        rule = next(
            (n for n, a, b in zip(names, rank(best), rank(rival), strict=True) if a != b), "first_record"
        )
    return Golden(best.value, best.record_id, rule, len(present), len(distinct))


def golden_records(unit: UnitRecords, members: Mapping[str, int]) -> dict[int, dict[str, Golden]]:
    """Golden record of every person: person id → field → `Golden`, from the values of its records.

    members: record id → person id. A field no record of the person holds is absent. The year of
    birth follows the surviving date of birth when there is one, so the two never disagree.
    """
    status = dict(zip(unit.records["record_id"], unit.records["status"], strict=True))
    registered = dict(zip(unit.records["record_id"], unit.records["registered"], strict=True))
    by_person: dict[int, dict[str, list[Candidate]]] = {}
    for person_record, record_id, name, value, confidence in zip(
        unit.values["person"],
        unit.values["record_id"],
        unit.values["field"],
        unit.values["value"],
        unit.values["confidence"],
        strict=True,
    ):
        person = members.get(person_record)
        if person is None:
            continue
        by_person.setdefault(person, {}).setdefault(name, []).append(
            Candidate(
                value=str(value),
                record_id=record_id,
                validated=status.get(record_id, status.get(person_record)) == "valid",
                confidence=float(confidence) if confidence == confidence and confidence is not None else 0.0,
                registered=str(registered.get(person_record) or ""),
            )
        )
    out: dict[int, dict[str, Golden]] = {}
    for person in set(members.values()):
        fields = {}
        for name, candidates in by_person.get(person, {}).items():
            golden = survive(candidates)
            if golden is not None:
                fields[name] = golden
        date = fields.get("birth_date")
        if date is not None and len(date.value) >= 4:
            fields["birth_year"] = Golden(date.value[:4], date.record_id, "from_birth_date", date.sources, 1)
        out[person] = fields
    return out
