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
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from collections.abc import Iterable, Mapping, Sequence
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
    RecordField,
    ReviewItem,
    utcnow,
)
from sapnhap.db.session import write_connection
from sapnhap.db.sql import chunks
from sapnhap.linkage.model import (
    DEFAULT_MODEL_PATH,
    DEFAULT_THRESHOLDS,
    RecordGroups,
    Thresholds,
    blocking_rules,
    calibrate_prior,
    linkage_features,
    load_linker,
    save_model,
    set_prior,
    train_linker,
    well_formed_id,
)

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


def _level_labels(model: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """comparison output name → comparison vector value → level label (Splink numbers the levels
    from n-1 (first non-null) down to 0 (else); the null level is -1)."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        mapping = {-1: "missing"}
        for i, level in enumerate(non_null):
            mapping[len(non_null) - 1 - i] = level.get("label_for_charts") or level.get("sql_condition", "")
        labels[comparison["output_column_name"]] = mapping
    return labels


def _explain(pairs: pd.DataFrame, model: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per pair, comparison → {"level", "weight"}: the level reached and the match weight it added
    (Splink's `mw_<comparison>` plus its term-frequency adjustment `mw_tf_adj_<comparison>`); with
    the prior's weight they add up to the pair's match weight."""
    labels = _level_labels(model)
    out = []
    for row in pairs.to_dict("records"):
        explained = {}
        for name, levels in labels.items():
            gamma, weight = row.get(f"gamma_{name}"), row.get(f"mw_{name}")
            if gamma is None or weight is None:
                continue
            tf = row.get(f"mw_tf_adj_{name}")
            total = float(weight) + (float(tf) if tf is not None and tf == tf else 0.0)
            explained[name] = {"level": levels.get(int(gamma), str(gamma)), "weight": round(total, 2)}
        out.append(explained)
    return out


MIN_CALIBRATION_RECORDS = 1000
"""Units with fewer records keep the saved model's prior instead of calibrating their own."""


def _saved_prior(model_path: Path) -> float:
    return float(json.loads(model_path.read_text(encoding="utf-8"))["probability_two_random_records_match"])


def _score(
    features: pd.DataFrame, new_ids: set[str], model_path: Path, outcome: LinkOutcome, threshold: float
) -> pd.DataFrame:
    """Pairs involving at least one new record with a match probability of at least `threshold`, every
    candidate pair of the blocking rules scored:
    new against already linked ("link_only"), new among themselves across and within former units.
    Adds the candidate pairs per blocking rule to `outcome.candidate_pairs_by_rule` and sets
    `outcome.prior` (the unit's calibrated prior). Columns unique_id_l, unique_id_r,
    match_probability, match_weight, match_key, gamma_*, mw_*."""
    new = features[features["unique_id"].isin(new_ids)]
    old = features[~features["unique_id"].isin(new_ids)]
    frames = []
    runs: list[tuple[list[pd.DataFrame], str]] = []
    if len(new) > 1:
        units = [g for _, g in new.groupby("source_dataset", sort=True)]
        runs.append((units, "link_and_dedupe" if len(units) > 1 else "dedupe_only"))
    if len(new) and len(old):
        runs.append(([old.assign(source_dataset="linked"), new.assign(source_dataset="new")], "link_only"))
    rules = [r.get_blocking_rule("duckdb").blocking_rule_sql for r in blocking_rules()]
    # The saved model's prior is for a batch of about 1,000 records. The probability that two records
    # of a unit this size or larger are one person is calibrated on all the unit's records
    # (`calibrate_prior`); a smaller unit keeps the model's prior, lower than its own would be: on a
    # handful of records the calibration is unstable and would merge namesakes.
    calibrate = len(features) >= MIN_CALIBRATION_RECORDS
    prior = calibrate_prior(load_linker(features, model_path, "dedupe_only")) if calibrate else None
    outcome.prior = prior if calibrate else _saved_prior(model_path)
    counts = outcome.candidate_pairs_by_rule
    for tables, link_type in runs:
        linker = load_linker(tables if len(tables) > 1 else tables[0], model_path, link_type, explain=True)
        if prior is not None:
            set_prior(linker, prior)
        predicted = linker.inference.predict()
        # Counted and filtered in DuckDB: only pairs at or above `threshold` come into memory. Pulling
        # every candidate pair into pandas took 3,000 look-alike register rows (parents named by name
        # only, no year) past the machine's memory.
        table = predicted.physical_name
        by_key = linker.misc.query_sql(
            f"SELECT match_key, count(*) AS n FROM {table} GROUP BY match_key", output_type="pandas"
        )
        for key, n in zip(by_key["match_key"].astype(int), by_key["n"], strict=True):
            counts[rules[key]] = counts.get(rules[key], 0) + int(n)
        frames.append(
            linker.misc.query_sql(
                f"SELECT * FROM {table} WHERE match_probability >= {float(threshold)!r}", output_type="pandas"
            )
        )
        predicted.drop_table_from_database_and_remove_from_cache()
    if not frames:
        return pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight"])
    return pd.concat(frames, ignore_index=True)


MIN_TRAINING_RECORDS = 2000
"""Below this many records a unit is too small to train on (too few pairs for expectation
maximisation): it starts from the shipped model instead (`DEFAULT_MODEL_PATH`, trained by
`scripts/train_linkage_model.py` on 200,000 generated records)."""


def _model(model_path: Path, features: pd.DataFrame, retrain: bool) -> tuple[dict[str, Any], bool]:
    """The model at `model_path`, trained on the unit's records (one frame per former unit) and saved
    there first when it is missing or `retrain` is asked for; a unit with fewer than
    MIN_TRAINING_RECORDS records gets a copy of the shipped model there instead. Returns (model
    JSON, trained now)."""
    trained = False
    if retrain or not model_path.exists():
        if len(features) < MIN_TRAINING_RECORDS:
            logger.info(
                "linkage: %d records are too few to train on; starting from the shipped model", len(features)
            )
            model_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(DEFAULT_MODEL_PATH, model_path)
        else:
            frames = [g for _, g in features.groupby("source_dataset", sort=True)]
            save_model(train_linker(frames if len(frames) > 1 else features), model_path)
            trained = True
    return json.loads(model_path.read_text(encoding="utf-8")), trained


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
) -> LinkOutcome:
    """Link the person records of one new unit into persons and write persons, memberships, golden
    values, kept pairs and review items (see the module docstring). Idempotent: a second run with no
    new record and no new decision writes nothing.

    model_path: the trained model (`sapnhap.linkage.model.save_model`). When it does not exist, or
    `retrain` is asked for, a model is trained on this unit's records and saved there first.

    Raises:
        ValueError: the model at `model_path` is not a sapnhap model or does not fit this code's
            comparisons (`sapnhap.linkage.model.load_linker`).
    """
    model_path = Path(model_path)
    outcome = LinkOutcome(new_unit_code=new_unit_code, thresholds=thresholds)
    with write_connection(engine) as conn:
        unit = read_unit_records(conn, new_unit_code)
        records = unit.records
        outcome.records = len(records)
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
        model, outcome.model_trained = _model(model_path, features, retrain) if needed else ({}, False)
        if model:
            outcome.model_version = model["sapnhap"]["version"]
        pairs = (
            _score(features, new_ids, model_path, outcome, thresholds.review)
            if new_ids and len(records) > 1
            else pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight"])
        )
        kept = pairs[pairs["match_probability"] >= thresholds.review].copy()
        kept["explained"] = _explain(kept, model) if len(kept) else []
        _store_pairs(conn, new_unit_code, kept, outcome.model_version)
        outcome.pairs_kept = len(kept)

        decisions = _latest_decisions(conn, new_unit_code)
        personal_ids = dict(zip(records["record_id"], records["personal_id"], strict=True))
        apart: dict[str, set[str]] = {}
        for (a, b), d in decisions.items():
            if d == "cannot_link":
                apart.setdefault(a, set()).add(b)
                apart.setdefault(b, set()).add(a)
        groups = RecordGroups(personal_ids, apart)
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
            parts = _recluster(conn, by_person[person], personal_ids, apart, decisions, thresholds)
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
            why = groups.blocked(a, b)
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
) -> list[set[str]]:
    """The records of one person clustered again from the kept pairs among them (at or above the
    auto-merge threshold) and the accepted pairs, under the cannot-link decisions: the parts a split
    leaves."""
    groups = RecordGroups(personal_ids, apart)
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
            groups.join(a, b)
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


__all__ = [
    "GOLDEN_FIELDS",
    "REGISTRATION_FIELDS",
    "SURVIVORSHIP",
    "Candidate",
    "Golden",
    "LinkOutcome",
    "UnitRecords",
    "golden_records",
    "id_rule_violations",
    "link_unit",
    "merged_persons",
    "open_review_items",
    "person_of",
    "person_sources",
    "read_unit_records",
    "record_decision",
    "survive",
    "unlinked_records",
    "upsert_review_item",
]
