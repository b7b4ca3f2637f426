"""Read-only queries over a new unit's persons: the person of each record, persons holding two ID
numbers, where a person's values come from, merged persons, open review items and unlinked records
(the `entities` asset's checks and metadata, the review sheet, the UI)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from sapnhap.db.models import (
    GoldenValue,
    Person,
    PersonMember,
    PersonRecord,
    RecordField,
    ReviewItem,
)
from sapnhap.linkage.clusters import well_formed_id

logger = logging.getLogger(__name__)


def person_of(engine: Engine, record_ids: Iterable[str]) -> dict[str, int]:
    """Record id → the person id it belongs to now (records not linked are absent)."""
    ids = list(record_ids)
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(PersonMember.record_id, PersonMember.person_id).where(PersonMember.record_id.in_(ids))
            ).all()
        )


def id_rule_violations(engine: Engine, new_unit_code: str) -> list[int]:
    """Active persons of the unit holding two different well-formed 12-digit ID numbers in their
    records (must be none: Decree 137/2015/NĐ-CP Art. 13)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(PersonMember.person_id, RecordField.value)
            .join(Person, Person.person_id == PersonMember.person_id)
            .join(RecordField, RecordField.record_id == PersonMember.record_id)
            .where(
                Person.new_unit_code == new_unit_code,
                Person.status == "active",
                RecordField.scope == "person",
                RecordField.field == "personal_id",
                RecordField.status == "found",
            )
        ).all()
    numbers: dict[int, set[str]] = {}
    for pid, value in rows:
        if well_formed_id(value):
            numbers.setdefault(pid, set()).add(value)
    return sorted(pid for pid, found in numbers.items() if len(found) > 1)


def person_sources(engine: Engine, person_id: int) -> pd.DataFrame:
    """Every source value of a person's records, with its lineage to the page and the file, and which
    one the golden record kept: one row per (record, field) of the person's own fields, columns
    record_id, former_unit_code, doc_type, role, field, raw, value, confidence (0..100 or None for a
    text layer), page, file_sha256, archive_path, original_path (where the former unit handed the
    file over), golden (True for the surviving value) and rule (its survivorship rule, else ""),
    ordered by field then record id. Empty for an unknown person.
    """
    from sapnhap.db.models import File
    from sapnhap.db.queries import first_sources

    with engine.connect() as conn:
        rows = conn.execute(
            select(
                PersonMember.record_id,
                PersonRecord.former_unit_code,
                PersonRecord.doc_type,
                PersonRecord.role,
                RecordField.field,
                RecordField.raw,
                RecordField.value,
                RecordField.confidence,
                RecordField.page,
                PersonRecord.file_sha256,
                File.archive_path,
            )
            .join(PersonRecord, PersonRecord.record_id == PersonMember.record_id)
            .join(RecordField, RecordField.record_id == PersonMember.record_id)
            .join(File, File.sha256 == PersonRecord.file_sha256)
            .where(
                PersonMember.person_id == person_id,
                RecordField.scope == "person",
                RecordField.status == "found",
            )
            .order_by(RecordField.field, PersonMember.record_id)
        ).all()
        kept = {
            (f, r): rule
            for f, r, rule in conn.execute(
                select(GoldenValue.field, GoldenValue.record_id, GoldenValue.rule).where(
                    GoldenValue.person_id == person_id
                )
            ).all()
        }
    columns = [
        "record_id", "former_unit_code", "doc_type", "role", "field", "raw", "value", "confidence", "page",
        "file_sha256", "archive_path",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    out["original_path"] = out["file_sha256"].map(first_sources(engine, set(out["file_sha256"])))
    out["golden"] = [(f, r) in kept for f, r in zip(out["field"], out["record_id"], strict=True)]
    out["rule"] = [kept.get((f, r), "") for f, r in zip(out["field"], out["record_id"], strict=True)]
    return out


def merged_persons(engine: Engine, new_unit_code: str) -> pd.DataFrame:
    """Active persons of the unit built from more than one record: one row per person with columns
    person_id, full_name (golden, unmasked), birth_year, records, former_units (codes joined by ", "),
    linked_by (how their records joined: "auto", "archivist"), ordered by person id."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Person.person_id,
                Person.full_name,
                Person.birth_year,
                PersonMember.record_id,
                PersonMember.linked_by,
                PersonRecord.former_unit_code,
            )
            .join(PersonMember, PersonMember.person_id == Person.person_id)
            .join(PersonRecord, PersonRecord.record_id == PersonMember.record_id)
            .where(Person.new_unit_code == new_unit_code, Person.status == "active", Person.record_count > 1)
            .order_by(Person.person_id, PersonMember.record_id)
        ).all()
    out: dict[int, dict[str, Any]] = {}
    for pid, name, year, _record, how, unit in rows:
        entry = out.setdefault(
            pid,
            {
                "person_id": pid,
                "full_name": name,
                "birth_year": year,
                "records": 0,
                "units": set(),
                "how": set(),
            },
        )
        entry["records"] += 1
        entry["units"].add(unit)
        if how != "alone":
            entry["how"].add(how)
    return pd.DataFrame(
        [
            {
                "person_id": e["person_id"],
                "full_name": e["full_name"],
                "birth_year": e["birth_year"],
                "records": e["records"],
                "former_units": ", ".join(sorted(e["units"])),
                "linked_by": ", ".join(sorted(e["how"])),
            }
            for e in out.values()
        ],
        columns=["person_id", "full_name", "birth_year", "records", "former_units", "linked_by"],
    )


def open_review_items(engine: Engine, new_unit_code: str) -> pd.DataFrame:
    """The unit's open merge candidates, most probable first: columns item_id, match_probability,
    match_weight, left and right (each a dict: record_id, former_unit, file_sha256, page, fields)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ReviewItem.item_id, ReviewItem.match_probability, ReviewItem.match_weight, ReviewItem.evidence
            )
            .where(
                ReviewItem.new_unit_code == new_unit_code,
                ReviewItem.status == "open",
                ReviewItem.kind == "merge_candidate",
            )
            .order_by(ReviewItem.match_probability.desc(), ReviewItem.item_id)
        ).all()
    return pd.DataFrame(
        [
            {
                "item_id": item,
                "match_probability": p,
                "match_weight": w,
                "left": json.loads(e)["left"],
                "right": json.loads(e)["right"],
            }
            for item, p, w, e in rows
        ],
        columns=["item_id", "match_probability", "match_weight", "left", "right"],
    )


def unlinked_records(engine: Engine, new_unit_code: str) -> list[str]:
    """Record ids routed to the unit that are in no active person of the unit (must be none after a
    linkage run)."""
    with engine.connect() as conn:
        routed = set(
            conn.execute(
                select(PersonRecord.record_id).where(PersonRecord.new_unit_code == new_unit_code)
            ).scalars()
        )
        linked = set(
            conn.execute(
                select(PersonMember.record_id)
                .join(Person, Person.person_id == PersonMember.person_id)
                .where(Person.new_unit_code == new_unit_code, Person.status == "active")
            ).scalars()
        )
    return sorted(routed - linked)
