"""Persons of a new unit: incremental record linkage, golden records, reversible merges, review queue.

Dagster-free; the `entities` asset calls `link_unit` once per new unit. What it does, in one
transaction on the unified database (`sapnhap.db`):

1. Reads the unit's person records (`person_records` routed to the new unit, with their fields) and
   the persons already built (`person_members`).
2. Scores only what is new (`sapnhap.linkage.model`, Splink on DuckDB): the records not yet in a person
   against the records already linked ("link_only") and among themselves ("link_and_dedupe" across
   their former units, the former unit's code as the source dataset). Existing persons are neither
   re-scored nor renumbered. Pairs at or above the review threshold are kept (`linkage_pairs`), with
   the match weight of each comparison.
3. Applies the archivists' decisions (`linkage_decisions`, latest per pair): a rejected pair inside
   one person splits it, restoring the persons its records came from (`first_person_id`); an accepted
   pair joins two persons (the younger id is marked merged into the older).
4. Clusters: a new record joins a person, or new records form one, on pairs at or above the
   auto-merge threshold, strongest first, never putting two different well-formed 12-digit ID numbers
   in one person (Decree 137/2015/NĐ-CP Art. 13: one number per citizen), never against a
   cannot-link, and never joining two existing persons on the model's word alone (that pair goes to
   review).
5. Sends the pairs of the review band that ended in different persons to `review_queue`, with both
   records side by side and the weight of each comparison; withdraws open items no longer needed.
6. Builds the golden record of every person of the unit by survivorship (`survive`), each value with
   the record it comes from (`golden_values`), and writes only what changed: a second run on the same
   records changes nothing.

Personal data never goes to the log; the outcome (`LinkOutcome`) holds counts only.

Reading and golden values are `sapnhap.linkage.golden`, scoring `sapnhap.linkage.scoring`, read-only
queries `sapnhap.linkage.queries`. This module stays over 600 lines on purpose: `link_unit` is one
transaction whose steps share its state, and the writers of persons, memberships, golden values,
pairs and review items are kept beside it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection

from sapnhap.db.models import (
    GoldenValue,
    LinkageDecision,
    LinkagePair,
    Person,
    PersonMember,
    PersonRecord,
    ReviewItem,
    utcnow,
)
from sapnhap.db.session import write_connection
from sapnhap.db.sql import chunks
from sapnhap.linkage.clusters import RecordGroups, relatives_of
from sapnhap.linkage.features import linkage_features
from sapnhap.linkage.golden import (
    Golden,
    UnitRecords,
    golden_records,
    read_unit_records,
)
from sapnhap.linkage.model import DEFAULT_THRESHOLDS, Thresholds, scaled_thresholds
from sapnhap.linkage.scoring import explain, score_pairs, unit_model

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- linking


@dataclass
class LinkOutcome:
    """Counts of one linkage run of a new unit (no personal data): records of the unit, records new
    to linkage, candidate pairs per blocking rule, pairs scored at or above the review threshold,
    records merged automatically, persons created / active / merged / retired, review items open /
    added / withdrawn, decisions applied (accepted, rejected), splits made, decisions that could not
    be applied (they would break the ID rule), and the model and thresholds used."""

    new_unit_code: str
    records: int = 0
    new_records: int = 0
    candidate_pairs_by_rule: dict[str, int] = field(default_factory=dict)
    pairs_kept: int = 0
    records_auto_merged: int = 0
    persons_created: int = 0
    persons_active: int = 0
    persons_merged: int = 0
    persons_retired: int = 0
    review_open: int = 0
    review_added: int = 0
    review_withdrawn: int = 0
    accepted_applied: int = 0
    rejected_applied: int = 0
    splits: int = 0
    decisions_conflicting: int = 0
    golden_values_written: int = 0
    model_version: str = ""
    model_trained: bool = False
    prior: float | None = None
    thresholds: Thresholds = DEFAULT_THRESHOLDS


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _latest_decisions(conn: Connection, new_unit_code: str) -> dict[tuple[str, str], str]:
    rows = conn.execute(
        select(LinkageDecision.record_id_l, LinkageDecision.record_id_r, LinkageDecision.decision)
        .where(LinkageDecision.new_unit_code == new_unit_code)
        .order_by(LinkageDecision.decision_id)
    ).all()
    return {(a, b): d for a, b, d in rows}


def link_unit(
    engine: Engine,
    new_unit_code: str,
    model_path: str | Path,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    retrain: bool = False,
    backend: str = "duckdb",
) -> LinkOutcome:
    """Link the person records of one new unit into persons and write persons, memberships, golden
    values, kept pairs and review items (see the module docstring). Idempotent: a second run with no
    new record and no new decision writes nothing.

    model_path: the trained model (`sapnhap.linkage.model.save_model`). When it does not exist, or
    `retrain` is asked for, a model is trained on this unit's records and saved there first.
    backend: where Splink runs, `duckdb` or `spark` (`sapnhap.linkage.backends`).
    thresholds: as configured; for a unit of more than `SCALE_RECORDS` (100,000) person records the
    auto-merge threshold is raised with its size (`sapnhap.linkage.model.scaled_thresholds`); the
    thresholds applied are in the outcome.

    Raises:
        ValueError: the model at `model_path` is not a sapnhap model or does not fit this code's
            comparisons (`sapnhap.linkage.model.load_linker`), or `backend` is not a backend.
    """
    model_path = Path(model_path)
    outcome = LinkOutcome(new_unit_code=new_unit_code, thresholds=thresholds)
    with write_connection(engine) as conn:
        unit = read_unit_records(conn, new_unit_code)
        records = unit.records
        outcome.records = len(records)
        # A large unit holds more namesakes: its auto-merge threshold is raised with its size.
        thresholds = outcome.thresholds = scaled_thresholds(thresholds, len(records))
        linked = conn.execute(
            select(
                PersonMember.record_id,
                PersonMember.person_id,
                PersonMember.first_person_id,
                PersonMember.linked_by,
            )
            .join(Person, Person.person_id == PersonMember.person_id)
            .where(Person.new_unit_code == new_unit_code)
        ).all()
        current = {r: p for r, p, _, _ in linked}
        first = {r: f for r, _, f, _ in linked}
        # The record a person was founded on (its first record, alone): a split leaves the person's id
        # with the part holding it.
        founders = {r for r, p, f, how in linked if how == "alone" and f == p}
        # A record routed elsewhere since it was linked here leaves this unit's person.
        present = set(records["record_id"])
        gone = [r for r in current if r not in present]
        current = {r: p for r, p in current.items() if r in present}
        stored = dict(current)  # the memberships as they are in the database now
        # A record not in this unit's persons is linked anew; one linked in another unit's person
        # (re-routed here) is taken out of it first.
        elsewhere = [r for r in present if r not in current]
        moved = gone + elsewhere
        for chunk in chunks(moved):
            conn.execute(delete(PersonMember).where(PersonMember.record_id.in_(chunk)))
        new_ids = set(elsewhere)
        outcome.new_records = len(new_ids)

        features = linkage_features(records) if len(records) else pd.DataFrame()
        needed = retrain or (bool(new_ids) and len(records) > 1)
        model, outcome.model_trained = (
            unit_model(model_path, features, retrain, backend) if needed else ({}, False)
        )
        if model:
            outcome.model_version = model["sapnhap"]["version"]
        if new_ids and len(records) > 1:
            pairs, outcome.prior = score_pairs(
                features, new_ids, model_path, thresholds.review, outcome.candidate_pairs_by_rule, backend
            )
        else:
            pairs = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight"])
        kept = pairs[pairs["match_probability"] >= thresholds.review].copy()
        kept["explained"] = explain(kept, model) if len(kept) else []
        _store_pairs(conn, new_unit_code, kept, outcome.model_version)
        outcome.pairs_kept = len(kept)

        decisions = _latest_decisions(conn, new_unit_code)
        personal_ids = dict(zip(records["record_id"], records["personal_id"], strict=True))
        apart: dict[str, set[str]] = {}
        for (a, b), d in decisions.items():
            if d == "cannot_link":
                apart.setdefault(a, set()).add(b)
                apart.setdefault(b, set()).add(a)
        birth_dates = dict(zip(records["record_id"], records["birth_date"], strict=True))
        relatives = relatives_of(features)
        groups = RecordGroups(personal_ids, apart, birth_dates, relatives)
        # Persons split by a rejected pair: their records are clustered again from the kept pairs.
        by_person: dict[int, list[str]] = {}
        for r, p in current.items():
            by_person.setdefault(p, []).append(r)
        to_split = {
            current[a]
            for (a, b), d in decisions.items()
            if d == "cannot_link" and a in current and b in current and current[a] == current[b]
        }
        claimed: set[int] = set(by_person) - to_split
        reassigned: dict[str, int] = {}
        for person in sorted(to_split):
            parts = _recluster(
                conn, by_person[person], personal_ids, apart, decisions, thresholds, birth_dates, relatives
            )
            outcome.splits += 1
            outcome.rejected_applied += 1
            ordered_parts = sorted(
                parts,
                key=lambda ms: (
                    min(first.get(m, person) for m in ms),
                    not (ms & founders),
                    -len(ms),
                    min(ms),
                ),
            )
            for members in ordered_parts:
                wanted = min(first.get(m, person) for m in members)
                pid = wanted if wanted not in claimed else None
                if pid is None:
                    pid = _new_person(conn, new_unit_code)
                    outcome.persons_created += 1
                claimed.add(pid)
                for m in members:
                    reassigned[m] = pid
        current.update(reassigned)
        for r, p in current.items():
            groups.add(r, p)
        for r in sorted(new_ids):
            groups.add(r)
        # Existing persons are one group each.
        by_person = {}
        for r, p in current.items():
            by_person.setdefault(p, []).append(r)
        for members in by_person.values():
            for m in members[1:]:
                groups.merge(members[0], m)
        joined_by: dict[str, tuple[str, float | None]] = {}
        for (a, b), d in sorted(decisions.items()):
            if d != "must_link" or a not in groups.parent or b not in groups.parent:
                continue
            if groups.find(a) == groups.find(b):
                continue
            if groups.blocked(a, b):
                outcome.decisions_conflicting += 1
                continue
            groups.merge(a, b)
            outcome.accepted_applied += 1
            for r in (a, b):
                if r in new_ids:
                    joined_by[r] = ("archivist", None)
        review: dict[tuple[str, str], dict[str, Any]] = {}
        strong = kept.sort_values(
            ["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True]
        )
        for row in strong.to_dict("records"):
            a, b = _ordered(str(row["unique_id_l"]), str(row["unique_id_r"]))
            if (a, b) in decisions:
                continue
            if groups.find(a) == groups.find(b):
                continue
            p = float(row["match_probability"])
            why = groups.auto_blocked(a, b)
            if why == "id":
                continue  # two different valid ID numbers: never the same person, nothing to review
            two_persons = groups.group[groups.find(a)].persons and groups.group[groups.find(b)].persons
            if p >= thresholds.auto_merge and not two_persons and why is None:
                groups.merge(a, b)
                for r in (a, b):
                    if r in new_ids and r not in joined_by:
                        joined_by[r] = ("auto", p)
                continue
            review[(a, b)] = row

        # Person ids: an existing person keeps its id; a group holding several (an accepted pair) keeps
        # the oldest and the others are merged into it; a group of new records only is a new person.
        members_now: dict[str, int] = {}
        merged: dict[int, int] = {}
        for root in sorted(
            {groups.find(r) for r in groups.parent}, key=lambda r: min(groups.group[r].members)
        ):
            g = groups.group[root]
            if g.persons:
                pid = min(g.persons)
                for other in g.persons - {pid}:
                    merged[other] = pid
            else:
                pid = _new_person(conn, new_unit_code)
                outcome.persons_created += 1
                # A person made of new records only: its first record (smallest id) founds it.
                joined_by[min(g.members)] = ("alone", None)
            for m in g.members:
                members_now[m] = pid
        outcome.records_auto_merged = sum(1 for how, _ in joined_by.values() if how == "auto")
        _write_members(conn, members_now, stored, joined_by, new_ids)
        for other, survivor in merged.items():
            conn.execute(
                update(Person)
                .where(Person.person_id == other)
                .values(status="merged", merged_into=survivor, record_count=0, updated_at=utcnow())
            )
        outcome.persons_merged = len(merged)
        golden = golden_records(unit, members_now)
        outcome.golden_values_written = _write_golden(conn, golden)
        counts: dict[int, int] = {}
        for pid in members_now.values():
            counts[pid] = counts.get(pid, 0) + 1
        _write_persons(conn, new_unit_code, golden, counts, merged, outcome)
        _write_review(conn, new_unit_code, review, unit, members_now, decisions, outcome)
    return outcome


def _new_person(conn: Connection, new_unit_code: str) -> int:
    now = utcnow()
    return int(
        conn.execute(
            insert(Person)
            .values(
                new_unit_code=new_unit_code, status="active", record_count=0, created_at=now, updated_at=now
            )
            .returning(Person.person_id)
        ).scalar_one()
    )


def _recluster(
    conn: Connection,
    records: list[str],
    personal_ids: Mapping[str, Any],
    apart: Mapping[str, set[str]],
    decisions: Mapping[tuple[str, str], str],
    thresholds: Thresholds,
    birth_dates: Mapping[str, Any] | None = None,
    relatives: Mapping[str, Mapping[str, str]] | None = None,
) -> list[set[str]]:
    """The records of one person clustered again from the kept pairs among them (at or above the
    auto-merge threshold) and the accepted pairs, under the cannot-link decisions: the parts a split
    leaves (automatic merges under the date and relatives rules of `RecordGroups.auto_blocked`)."""
    groups = RecordGroups(personal_ids, apart, birth_dates, relatives)
    for r in records:
        groups.add(r)
    inside = set(records)
    for (a, b), d in sorted(decisions.items()):
        if d == "must_link" and a in inside and b in inside:
            groups.join(a, b)
    rows = []
    for chunk in chunks(records):
        rows += conn.execute(
            select(LinkagePair.record_id_l, LinkagePair.record_id_r, LinkagePair.match_probability).where(
                LinkagePair.record_id_l.in_(chunk), LinkagePair.match_probability >= thresholds.auto_merge
            )
        ).all()
    for a, b, _ in sorted(rows, key=lambda t: (-t[2], t[0], t[1])):
        if b in inside:
            groups.join(a, b, auto=True)
    return [groups.group[root].members for root in {groups.find(r) for r in records}]


def _store_pairs(conn: Connection, new_unit_code: str, kept: pd.DataFrame, version: str) -> None:
    """Insert or refresh the kept pairs (`linkage_pairs`)."""
    now = utcnow()
    for row in kept.to_dict("records"):
        a, b = _ordered(str(row["unique_id_l"]), str(row["unique_id_r"]))
        values = {
            "new_unit_code": new_unit_code,
            "match_probability": float(row["match_probability"]),
            "match_weight": float(row["match_weight"]),
            "comparisons": json.dumps(row["explained"], ensure_ascii=False, sort_keys=True),
            "model_version": version,
            "scored_at": now,
        }
        done = conn.execute(
            update(LinkagePair)
            .where(LinkagePair.record_id_l == a, LinkagePair.record_id_r == b)
            .values(**values)
        ).rowcount
        if not done:
            conn.execute(insert(LinkagePair).values(record_id_l=a, record_id_r=b, **values))


def _write_members(
    conn: Connection,
    members: Mapping[str, int],
    existing: Mapping[str, int],
    joined_by: Mapping[str, tuple[str, float | None]],
    new_ids: set[str],
) -> None:
    """Insert the memberships of new records; move existing records whose person changed."""
    now = utcnow()
    for record, pid in sorted(members.items()):
        if record in new_ids or record not in existing:
            how, p = joined_by.get(record, ("alone", None))
            conn.execute(
                insert(PersonMember).values(
                    record_id=record,
                    person_id=pid,
                    first_person_id=pid,
                    linked_by=how,
                    match_probability=p,
                    linked_at=now,
                )
            )
        elif existing[record] != pid:
            conn.execute(
                update(PersonMember)
                .where(PersonMember.record_id == record)
                .values(person_id=pid, linked_by="archivist", match_probability=None, linked_at=now)
            )


def _write_golden(conn: Connection, golden: Mapping[int, Mapping[str, Golden]]) -> int:
    """Write the golden values that changed; returns the number of rows inserted, updated or deleted."""
    changed = 0
    persons = list(golden)
    stored: dict[tuple[int, str], tuple] = {}
    for chunk in chunks(persons):
        for row in conn.execute(
            select(
                GoldenValue.person_id,
                GoldenValue.field,
                GoldenValue.value,
                GoldenValue.record_id,
                GoldenValue.rule,
                GoldenValue.sources,
                GoldenValue.distinct_values,
            ).where(GoldenValue.person_id.in_(chunk))
        ).all():
            stored[(row[0], row[1])] = tuple(row[2:])
    wanted = {
        (pid, name): (g.value, g.record_id, g.rule, g.sources, g.distinct_values)
        for pid, fields in golden.items()
        for name, g in fields.items()
    }
    for key in stored.keys() - wanted.keys():
        conn.execute(delete(GoldenValue).where(GoldenValue.person_id == key[0], GoldenValue.field == key[1]))
        changed += 1
    for key, value in wanted.items():
        if stored.get(key) == value:
            continue
        row = dict(zip(("value", "record_id", "rule", "sources", "distinct_values"), value, strict=True))
        if key in stored:
            conn.execute(
                update(GoldenValue)
                .where(GoldenValue.person_id == key[0], GoldenValue.field == key[1])
                .values(**row)
            )
        else:
            conn.execute(insert(GoldenValue).values(person_id=key[0], field=key[1], **row))
        changed += 1
    return changed


_PERSON_COLUMNS = ("full_name", "birth_date", "birth_year", "sex", "personal_id")


def _write_persons(
    conn: Connection,
    new_unit_code: str,
    golden: Mapping[int, Mapping[str, Golden]],
    counts: Mapping[int, int],
    merged: Mapping[int, int],
    outcome: LinkOutcome,
) -> None:
    """Refresh the persons' golden columns and record counts where they changed; retire the persons of
    the unit left without a record."""
    rows = conn.execute(
        select(
            Person.person_id,
            Person.status,
            Person.record_count,
            *[getattr(Person, c) for c in _PERSON_COLUMNS],
        ).where(Person.new_unit_code == new_unit_code)
    ).all()
    now = utcnow()
    for row in rows:
        pid, status = row[0], row[1]
        if pid in merged or status == "merged":
            continue
        if pid not in counts:
            if status != "retired":
                conn.execute(
                    update(Person)
                    .where(Person.person_id == pid)
                    .values(status="retired", record_count=0, updated_at=now)
                )
                outcome.persons_retired += 1
            continue
        fields = golden.get(pid, {})
        wanted = {
            c: (fields[c].value[:16] if c == "personal_id" else fields[c].value) if c in fields else None
            for c in _PERSON_COLUMNS
        }
        have = dict(zip(_PERSON_COLUMNS, row[3:], strict=True))
        if status != "active" or row[2] != counts[pid] or have != wanted:
            conn.execute(
                update(Person)
                .where(Person.person_id == pid)
                .values(status="active", merged_into=None, record_count=counts[pid], updated_at=now, **wanted)
            )
    outcome.persons_active = len(counts and set(counts))


def _side(records: pd.DataFrame, fields_of: Mapping[str, dict[str, Any]], record_id: str) -> dict[str, Any]:
    """One record's side of a review item: its fields, former unit, document type, file and page.
    records: the unit's records indexed by record id; fields_of: record id → field → value."""
    row = records.loc[record_id]
    return {
        "record_id": record_id,
        "former_unit": row["source"],
        "doc_type": row["doc_type"],
        "role": row["role"],
        "status": row["status"],
        "file_sha256": row["file_sha256"],
        "page": int(row["first_page"]),
        "fields": fields_of.get(record_id, {}),
    }


def upsert_review_item(conn: Connection, item_id: str, values: Mapping[str, Any], exists: bool) -> None:
    """Write a review item: update the row `item_id` when it `exists`, else insert it (created now).
    `values`: the `review_queue` columns but item_id and created_at."""
    if exists:
        conn.execute(update(ReviewItem).where(ReviewItem.item_id == item_id).values(**values))
    else:
        conn.execute(insert(ReviewItem).values(item_id=item_id, created_at=utcnow(), **values))


def _write_review(
    conn: Connection,
    new_unit_code: str,
    review: Mapping[tuple[str, str], Mapping[str, Any]],
    unit: UnitRecords,
    members: Mapping[str, int],
    decisions: Mapping[tuple[str, str], str],
    outcome: LinkOutcome,
) -> None:
    """Open a review item for each pair in `review`; close the open items of the unit now decided
    ("decided") or no longer needed: both records in one person, or a record gone ("withdrawn")."""
    now = utcnow()
    rows = conn.execute(
        select(ReviewItem.item_id, ReviewItem.record_id_l, ReviewItem.record_id_r, ReviewItem.status).where(
            ReviewItem.new_unit_code == new_unit_code, ReviewItem.kind == "merge_candidate"
        )
    ).all()
    known = {item: (a, b, status) for item, a, b, status in rows}
    for item, (a, b, status) in known.items():
        if status != "open":
            continue
        if (a, b) in decisions:
            conn.execute(
                update(ReviewItem).where(ReviewItem.item_id == item).values(status="decided", updated_at=now)
            )
        elif a not in members or b not in members or members[a] == members[b]:
            conn.execute(
                update(ReviewItem)
                .where(ReviewItem.item_id == item)
                .values(status="withdrawn", updated_at=now)
            )
            outcome.review_withdrawn += 1
    records = unit.records.set_index("record_id")
    fields_of: dict[str, dict[str, Any]] = {}
    for person, name, value in zip(
        unit.values["person"], unit.values["field"], unit.values["value"], strict=True
    ):
        fields_of.setdefault(person, {})[name] = value
    for (a, b), row in sorted(review.items()):
        item = f"merge:{a}|{b}"
        if item in known and known[item][2] == "open":
            continue
        evidence = {
            "left": _side(records, fields_of, a),
            "right": _side(records, fields_of, b),
            "comparisons": row.get("explained", {}),
            # The prior's weight (log2 odds that two records of the unit are one person): with the
            # comparisons' weights it adds up to the match weight.
            "prior_weight": round(math.log2(outcome.prior / (1 - outcome.prior)), 2)
            if outcome.prior
            else None,
        }
        values = {
            "kind": "merge_candidate",
            "new_unit_code": new_unit_code,
            "record_id_l": a,
            "record_id_r": b,
            "match_probability": float(row["match_probability"]),
            "match_weight": float(row["match_weight"]),
            "evidence": json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str),
            "status": "open",
            "updated_at": now,
        }
        upsert_review_item(conn, item, values, exists=item in known)
        outcome.review_added += 1
    outcome.review_open = len(
        conn.execute(
            select(ReviewItem.item_id).where(
                ReviewItem.new_unit_code == new_unit_code,
                ReviewItem.status == "open",
                ReviewItem.kind == "merge_candidate",
            )
        ).all()
    )


# --------------------------------------------------------------------------- decisions


def record_decision(
    engine: Engine,
    new_unit_code: str,
    record_a: str,
    record_b: str,
    decision: str,
    reviewer: str,
    note: str = "",
) -> int:
    """Store an archivist's decision on a pair of records ("must_link": the same person, "cannot_link":
    two people); the next `link_unit` run of the unit applies it and every later run respects it.
    Returns the decision id.

    Raises:
        ValueError: an unknown decision, the same record twice, an empty reviewer, or a record that is
            not a person record of `new_unit_code`.
    """
    if decision not in ("must_link", "cannot_link"):
        raise ValueError(f"decision must be 'must_link' or 'cannot_link', not {decision!r}")
    if record_a == record_b:
        raise ValueError("a decision needs two different records")
    if not reviewer or not reviewer.strip():
        raise ValueError("a decision needs the reviewer's name")
    a, b = _ordered(record_a, record_b)
    with write_connection(engine) as conn:
        found = set(
            conn.execute(
                select(PersonRecord.record_id).where(
                    PersonRecord.record_id.in_([a, b]), PersonRecord.new_unit_code == new_unit_code
                )
            ).scalars()
        )
        missing = [r for r in (a, b) if r not in found]
        if missing:
            raise ValueError(f"not a person record of new unit {new_unit_code}: {', '.join(missing)}")
        return int(
            conn.execute(
                insert(LinkageDecision)
                .values(
                    new_unit_code=new_unit_code,
                    record_id_l=a,
                    record_id_r=b,
                    decision=decision,
                    reviewer=reviewer.strip(),
                    note=note,
                    decided_at=utcnow(),
                )
                .returning(LinkageDecision.decision_id)
            ).scalar_one()
        )
