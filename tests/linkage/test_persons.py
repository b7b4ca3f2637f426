"""Persons of a new unit (`sapnhap.linkage.persons`): incremental linkage, golden records, reversible merges,
the review queue; on SQLite and PostgreSQL, with a Splink model trained on generated records.

The scene: new unit 00008 gathers former units 00004 and 00007. 00004 hands over first; 00007's
batch arrives later and holds the same Nguyễn Văn Hùng (typed without diacritics, no ID number), a
namesake with another ID number, and Trần Thị Mai's marriage extract.
"""

from __future__ import annotations

import hashlib
import json
import math

import pandas as pd
import pytest
from sqlalchemy import select, text

from sapnhap.db import load_documents, load_files, load_records, upsert_former_units
from sapnhap.db.models import Base
from sapnhap.linkage.golden import Candidate, survive
from sapnhap.linkage.model import DEFAULT_MODEL_PATH, Thresholds
from sapnhap.linkage.persons import link_unit, record_decision
from sapnhap.linkage.queries import id_rule_violations, person_of, person_sources
from sapnhap.records.tables import SOURCE_COLUMNS, VALIDATED_COLUMNS
from tests.db.test_db import HEAD, UNITS, file_row

NEW_UNIT = "00008"
HUNG_ID = "001060012345"  # Hà Nội (001), a man born in the 20th century (0), 1960
OTHER_ID = "001060054321"
THRESHOLDS = Thresholds(review=0.5, auto_merge=0.95)
DOC_TYPE = {"applicant": "procedure_receipt", "staff": "staff_cv", "husband": "marriage_registration"}
DOC_TYPE |= {"wife": "marriage_registration", "child": "birth_registration"}
DOC_TYPE |= {"father": "birth_registration", "mother": "birth_registration"}


def sha(doc: str) -> str:
    return hashlib.sha256(doc.encode()).hexdigest()


def rid(unit: str, doc: str, role: str) -> str:
    return f"{unit}:{sha(doc)[:16]}:1:{role}"


def people_frames(people: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """validated_records and source_records frames for `people`: dicts with unit, doc, role, status
    (default valid), confidence (default 90) and the person's fields; `registered` the document's
    registration date."""
    validated, source = [], []
    for p in people:
        record_id = rid(p["unit"], p["doc"], p["role"])
        status = p.get("status", "valid")
        validated.append(
            {
                "record_id": record_id,
                "former_unit_code": p["unit"],
                "file_sha256": sha(p["doc"]),
                "first_page": 1,
                "doc_type": DOC_TYPE[p["role"]],
                "role": p["role"],
                "status": status,
                "n_errors": 1 if status == "quarantined" else 0,
                "n_warnings": 1 if status == "warning" else 0,
                "reasons": {"warning": "missing_personal_id", "quarantined": "under_marriage_age"}.get(
                    status, ""
                ),
                "route_status": "routed",
                "former_commune_code": p["unit"],
                "new_unit_code": NEW_UNIT,
                "candidates": "[]",
                "route_evidence": "former commune merged whole",
            }
        )
        values = {
            k: v
            for k, v in p.items()
            if k not in ("unit", "doc", "role", "status", "confidence", "registered")
        }
        rows = [(p["role"], name, value) for name, value in values.items()]
        if p.get("registered"):
            rows.append(("", "registration_date", p["registered"]))
        for role, name, value in rows:
            source.append(
                {
                    "record_id": rid(p["unit"], p["doc"], role or "document"),
                    "former_unit_code": p["unit"],
                    "file_sha256": sha(p["doc"]),
                    "first_page": 1,
                    "doc_type": DOC_TYPE[p["role"]],
                    "role": role,
                    "field": name,
                    "raw": value,
                    "value": value,
                    "confidence": float(p.get("confidence", 90.0)),
                    "page": 1,
                    "left": 10.0,
                    "top": 20.0,
                    "width": 100.0,
                    "height": 30.0,
                    "box_unit": "px",
                    "method": p.get("method", "ocr"),
                    "engine": "tesseract",
                    "engine_version": "5.3.0",
                    "repaired": False,
                    "note": "",
                    "status": "found",
                }
            )
    frame = pd.DataFrame(source, columns=SOURCE_COLUMNS)
    frame["page"] = frame["page"].astype("Int64")
    return pd.DataFrame(validated, columns=VALIDATED_COLUMNS), frame


def hand_over(engine, unit: str, people: list[dict]) -> None:
    """Load one former unit's batch as the pipeline does: files, documents, records."""
    docs = sorted({p["doc"] for p in people})
    load_files(engine, [file_row(sha(d), unit, f"{d}.pdf") for d in docs])
    role_of = {p["doc"]: p["role"] for p in people}
    load_documents(
        engine,
        [
            {"file_sha256": sha(d), "first_page": 1, "last_page": 1, "doc_type": DOC_TYPE[role_of[d]]}
            for d in docs
        ],
    )
    validated, source = people_frames(people)
    load_records(engine, validated, source)


FIRST_BATCH = [
    dict(
        unit="00004", doc="tn-1", role="applicant", full_name="Nguyễn Văn Hùng", birth_date="1960-04-12",
        personal_id=HUNG_ID, sex="male", residence="Thôn 3, Phường Trúc Bạch", confidence=96.0,
        registered="2021-05-02",
    ),
    dict(
        unit="00004", doc="tn-2", role="applicant", full_name="Trần Thị Mai", birth_date="1985-09-30",
        sex="female", residence="Thôn 1, Phường Trúc Bạch",
    ),
]  # fmt: skip
LATER_BATCH = [
    # The same Hùng, typed without diacritics and without his ID number, an older registration.
    dict(
        unit="00007", doc="kh-1", role="husband", full_name="Nguyen Van Hung", birth_date="1960-04-12",
        residence="Thôn 3, Phường Trúc Bạch", status="warning", confidence=80.0, registered="1988-01-15",
    ),
    # A namesake born the same day with another ID number: never the same person.
    dict(
        unit="00007", doc="tn-9", role="applicant", full_name="Nguyễn Văn Hùng", birth_date="1960-04-12",
        personal_id=OTHER_ID, sex="male", residence="Thôn 3, Phường Trúc Bạch",
    ),
    dict(
        unit="00007", doc="kh-1", role="wife", full_name="Trần Thị Mai", birth_date="1985-09-30",
        residence="Thôn 1, Phường Trúc Bạch", confidence=70.0,
    ),
]  # fmt: skip
# A bride of 16 in a marriage extract: quarantined (under the marriage age), for the review sheet.
UNDERAGE_WIFE = dict(
    unit="00004", doc="kh-7", role="wife", full_name="Phạm Thị Lan", birth_date="2009-01-10", status="quarantined"
)  # fmt: skip
HUNG = rid("00004", "tn-1", "applicant")
MAI = rid("00004", "tn-2", "applicant")
HUNG_LATER = rid("00007", "kh-1", "husband")
NAMESAKE = rid("00007", "tn-9", "applicant")
MAI_LATER = rid("00007", "kh-1", "wife")


@pytest.fixture
def unit_db(engine):
    upsert_former_units(engine, UNITS)
    return engine


def table(engine, name: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(Base.metadata.tables[name])).mappings()]


def golden(engine, person: int) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT field, value, record_id, rule, sources, distinct_values FROM golden_values WHERE person_id = :p"
            ),
            {"p": person},
        ).mappings()
        return {r["field"]: dict(r) for r in rows}


# --------------------------------------------------------------------------- survivorship


def c(
    value: str, record: str, validated: bool = True, confidence: float = 90.0, registered: str = ""
) -> Candidate:
    return Candidate(value, record, validated, confidence, registered)


def test_survivorship_ranks_validated_then_confidence_then_recent_registration():
    assert survive([]) is None
    assert survive([c("", "a"), c("  ", "b")]) is None  # a missing value never wins
    one = survive([c("", "a"), c("Lan", "b")])
    assert (one.value, one.record_id, one.rule, one.sources) == ("Lan", "b", "only_source", 1)
    agreed = survive([c("Lan", "b"), c("Lan", "a", confidence=50.0)])
    assert (agreed.value, agreed.record_id, agreed.rule, agreed.distinct_values) == ("Lan", "b", "agreed", 1)
    validated = survive([c("Lân", "a", validated=False, confidence=99.0), c("Lan", "b", confidence=60.0)])
    assert (validated.value, validated.rule) == ("Lan", "validated")
    confident = survive([c("Lân", "a", confidence=70.0), c("Lan", "b", confidence=95.0)])
    assert (confident.value, confident.rule, confident.distinct_values) == ("Lan", "confidence", 2)
    recent = survive([c("Lân", "a", registered="2001-01-01"), c("Lan", "b", registered="2020-06-01")])
    assert (recent.value, recent.rule) == ("Lan", "recent_registration")
    tie = survive([c("Lân", "b"), c("Lan", "a")])
    assert (tie.value, tie.record_id, tie.rule) == ("Lan", "a", "first_record")


# --------------------------------------------------------------------------- linkage in the database


@pytest.mark.slow
def test_later_batch_links_without_renumbering_and_keeps_the_id_rule(unit_db, linkage_model):
    engine = unit_db
    hand_over(engine, "00004", FIRST_BATCH)
    first = link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    assert (first.records, first.new_records, first.persons_created, first.persons_active) == (2, 2, 2, 2)
    before = person_of(engine, [HUNG, MAI])
    assert len(set(before.values())) == 2

    hand_over(engine, "00007", LATER_BATCH)
    later = link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    assert (later.records, later.new_records) == (5, 3)
    # Candidate pairs are counted per blocking rule (the rule's SQL), and only new records were scored.
    assert sum(later.candidate_pairs_by_rule.values()) >= 3
    assert (
        any("personal_id" in rule for rule in first.candidate_pairs_by_rule)
        or first.candidate_pairs_by_rule == {}
    )
    now = person_of(engine, [HUNG, MAI, HUNG_LATER, NAMESAKE, MAI_LATER])
    assert now[HUNG] == before[HUNG] and now[MAI] == before[MAI]  # not renumbered
    assert now[HUNG_LATER] == now[HUNG]  # the same man, typed without diacritics
    assert now[MAI_LATER] == now[MAI]
    assert now[NAMESAKE] != now[HUNG]  # another ID number: never the same person, not chained either
    assert later.persons_created == 1 and later.records_auto_merged == 2
    assert id_rule_violations(engine, NEW_UNIT) == []

    # The golden record: the validated, more confident record's spelling; the ID from the only record
    # holding one; every value names the record it comes from.
    hung = golden(engine, now[HUNG])
    assert hung["full_name"]["value"] == "Nguyễn Văn Hùng" and hung["full_name"]["record_id"] == HUNG
    assert hung["full_name"]["rule"] == "validated" and hung["full_name"]["distinct_values"] == 2
    assert (hung["personal_id"]["value"], hung["personal_id"]["rule"]) == (HUNG_ID, "only_source")
    assert (hung["birth_date"]["value"], hung["birth_date"]["rule"], hung["birth_date"]["sources"]) == (
        "1960-04-12",
        "agreed",
        2,
    )
    assert hung["birth_year"]["value"] == "1960"
    mai = golden(engine, now[MAI])
    assert (mai["full_name"]["rule"], mai["full_name"]["record_id"]) == ("agreed", MAI)
    persons = {p["person_id"]: p for p in table(engine, "persons")}
    assert persons[now[HUNG]]["record_count"] == 2 and persons[now[HUNG]]["personal_id"] == HUNG_ID
    assert persons[now[HUNG]]["full_name"] == "Nguyễn Văn Hùng" and persons[now[HUNG]]["status"] == "active"
    # Every source value of the person, with its page and file, and the one kept.
    sources = person_sources(engine, now[HUNG])
    names = sources[sources["field"] == "full_name"].set_index("record_id")
    assert names.at[HUNG, "value"] == "Nguyễn Văn Hùng" and bool(names.at[HUNG, "golden"])
    assert names.at[HUNG_LATER, "value"] == "Nguyen Van Hung" and not bool(names.at[HUNG_LATER, "golden"])
    assert names.at[HUNG, "rule"] == "validated" and names.at[HUNG_LATER, "original_path"] == "kh-1.pdf"
    assert (names.at[HUNG_LATER, "page"], names.at[HUNG_LATER, "file_sha256"]) == (1, sha("kh-1"))
    assert set(sources["field"]) == {"full_name", "birth_date", "personal_id", "sex", "residence"}
    members = {m["record_id"]: m for m in table(engine, "person_members")}
    assert members[HUNG_LATER]["linked_by"] == "auto" and members[HUNG_LATER]["match_probability"] >= 0.95
    assert members[HUNG]["linked_by"] == "alone"

    # A third run with nothing new writes nothing.
    snapshot = {t: table(engine, t) for t in ("persons", "person_members", "golden_values", "review_queue")}
    again = link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    assert (again.new_records, again.persons_created, again.golden_values_written) == (0, 0, 0)
    assert {t: table(engine, t) for t in snapshot} == snapshot


@pytest.mark.slow
def test_rejected_pair_splits_and_stays_apart_accepted_pair_merges(unit_db, linkage_model):
    engine = unit_db
    hand_over(engine, "00004", FIRST_BATCH)
    link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    hand_over(engine, "00007", LATER_BATCH)
    link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    hung = person_of(engine, [HUNG])[HUNG]
    assert person_of(engine, [HUNG_LATER])[HUNG_LATER] == hung

    # An archivist rejects the merge: the person is split, Hùng keeps his id, the other record gets
    # a person of its own; later runs keep them apart.
    record_decision(engine, NEW_UNIT, HUNG_LATER, HUNG, "cannot_link", "Lê Thị Thu", "another Hùng")
    split = link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    assert (split.splits, split.rejected_applied) == (1, 1)
    after = person_of(engine, [HUNG, HUNG_LATER])
    assert after[HUNG] == hung and after[HUNG_LATER] != hung
    assert golden(engine, hung)["full_name"]["sources"] == 1
    again = link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    assert again.splits == 0 and person_of(engine, [HUNG_LATER])[HUNG_LATER] == after[HUNG_LATER]

    # Then accepts it after all (a later decision counts): the two persons join, the younger id is
    # marked merged into the older one.
    record_decision(engine, NEW_UNIT, HUNG, HUNG_LATER, "must_link", "Lê Thị Thu", "same man")
    merged = link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    assert merged.accepted_applied == 1 and merged.persons_merged == 1
    final = person_of(engine, [HUNG, HUNG_LATER])
    assert final[HUNG] == final[HUNG_LATER] == hung
    persons = {p["person_id"]: p for p in table(engine, "persons")}
    assert persons[after[HUNG_LATER]]["status"] == "merged"
    assert persons[after[HUNG_LATER]]["merged_into"] == hung
    decisions = table(engine, "linkage_decisions")
    assert [(d["decision"], d["reviewer"]) for d in decisions] == [
        ("cannot_link", "Lê Thị Thu"),
        ("must_link", "Lê Thị Thu"),
    ]
    # An accepted pair never overrides the ID rule.
    record_decision(engine, NEW_UNIT, HUNG, NAMESAKE, "must_link", "Lê Thị Thu")
    conflict = link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
    assert conflict.decisions_conflicting == 1
    assert person_of(engine, [NAMESAKE])[NAMESAKE] != hung


@pytest.mark.slow
def test_pairs_in_the_review_band_wait_with_their_evidence(unit_db, linkage_model):
    engine = unit_db
    hand_over(engine, "00004", FIRST_BATCH)
    hand_over(engine, "00007", LATER_BATCH)
    # Everything above 0.01 is in the review band: nothing merges by itself.
    outcome = link_unit(engine, NEW_UNIT, linkage_model, Thresholds(review=0.01, auto_merge=1.01))
    assert outcome.persons_created == 5 and outcome.records_auto_merged == 0
    items = {(i["record_id_l"], i["record_id_r"]): i for i in table(engine, "review_queue")}
    pair = tuple(sorted((HUNG, HUNG_LATER)))
    assert pair in items and (HUNG, NAMESAKE) not in items and (NAMESAKE, HUNG) not in items  # the ID rule
    item = items[pair]
    assert item["kind"] == "merge_candidate" and item["status"] == "open"
    assert item["item_id"] == f"merge:{pair[0]}|{pair[1]}"
    evidence = json.loads(item["evidence"])
    sides = {
        evidence["left"]["record_id"]: evidence["left"],
        evidence["right"]["record_id"]: evidence["right"],
    }
    assert sides[HUNG]["fields"]["full_name"] == "Nguyễn Văn Hùng"
    assert sides[HUNG_LATER]["fields"]["full_name"] == "Nguyen Van Hung"
    assert sides[HUNG_LATER]["former_unit"] == "00007" and sides[HUNG]["page"] == 1
    weights = evidence["comparisons"]
    assert weights["birth_date"]["weight"] > 3  # the same date of birth counts for the match
    assert weights["personal_id"]["level"] == "missing"
    # The comparisons' weights and the prior (the saved one, for a unit this small) add up to the match weight.
    saved = json.loads(linkage_model.read_text(encoding="utf-8"))["probability_two_random_records_match"]
    assert evidence["prior_weight"] == pytest.approx(math.log2(saved / (1 - saved)), abs=0.01)  # a small unit
    assert item["match_weight"] == pytest.approx(
        evidence["prior_weight"] + sum(w["weight"] for w in weights.values()), abs=0.1
    )
    # Deciding the pair closes the item on the next run and merges the records.
    record_decision(engine, NEW_UNIT, HUNG, HUNG_LATER, "must_link", "Lê Thị Thu")
    link_unit(engine, NEW_UNIT, linkage_model, Thresholds(review=0.01, auto_merge=1.01))
    assert {i["item_id"]: i["status"] for i in table(engine, "review_queue")}[item["item_id"]] == "decided"
    assert len(set(person_of(engine, [HUNG, HUNG_LATER]).values())) == 1


def test_decisions_are_checked_before_they_are_stored(unit_db):
    engine = unit_db
    hand_over(engine, "00004", FIRST_BATCH)
    with pytest.raises(ValueError, match="must_link"):
        record_decision(engine, NEW_UNIT, HUNG, MAI, "merge", "Thu")
    with pytest.raises(ValueError, match="two different records"):
        record_decision(engine, NEW_UNIT, HUNG, HUNG, "must_link", "Thu")
    with pytest.raises(ValueError, match="reviewer"):
        record_decision(engine, NEW_UNIT, HUNG, MAI, "must_link", " ")
    with pytest.raises(ValueError, match="not a person record of new unit 00009"):
        record_decision(engine, "00009", HUNG, MAI, "must_link", "Thu")
    assert table(engine, "linkage_decisions") == []


@pytest.mark.slow
def test_downgrade_to_0003_drops_the_person_tables_and_keeps_the_records(db_url, linkage_model):
    from alembic import command
    from sqlalchemy import inspect
    from sqlalchemy.exc import IntegrityError

    from sapnhap.db import make_engine, migrate
    from sapnhap.db.session import alembic_config, current_revision, write_connection

    engine = make_engine(db_url)
    try:
        migrate(engine)
        upsert_former_units(engine, UNITS)
        hand_over(engine, "00004", FIRST_BATCH)
        link_unit(engine, NEW_UNIT, linkage_model, THRESHOLDS)
        # The constraints hold on both backends: an unknown review kind, an unordered pair.
        with pytest.raises(IntegrityError), write_connection(engine) as conn:
            conn.execute(
                text(
                    "INSERT INTO review_queue (item_id, kind, new_unit_code, evidence, status, created_at, "
                    "updated_at) VALUES ('x', 'gossip', '00008', '{}', 'open', '2026-01-01', '2026-01-01')"
                )
            )
        with pytest.raises(IntegrityError), write_connection(engine) as conn:
            conn.execute(
                text(
                    "INSERT INTO linkage_decisions (new_unit_code, record_id_l, record_id_r, decision, reviewer, "
                    "note, decided_at) VALUES ('00008', :b, :a, 'must_link', 'Thu', '', '2026-01-01')"
                ),
                {"a": HUNG, "b": MAI} if MAI > HUNG else {"a": MAI, "b": HUNG},
            )
        with write_connection(engine) as conn:
            command.downgrade(alembic_config(conn), "0003")
        assert current_revision(engine) == "0003"
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert not tables & {
                "persons",
                "person_members",
                "golden_values",
                "linkage_pairs",
                "review_queue",
            }
            assert conn.execute(text("SELECT count(*) FROM person_records")).scalar_one() == 2  # kept
        migrate(engine)
        assert current_revision(engine) == HEAD and table(engine, "persons") == []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_without_a_model_a_small_unit_starts_from_the_shipped_model(unit_db, tmp_path):
    engine = unit_db
    model = tmp_path / "models" / "linkage_model.json"
    hand_over(engine, "00004", FIRST_BATCH[:1])
    alone = link_unit(engine, NEW_UNIT, model, THRESHOLDS)  # one record: nothing to score, no model needed
    assert (alone.persons_created, alone.model_trained, model.exists()) == (1, False, False)
    hand_over(engine, "00007", LATER_BATCH)
    # 4 records, far fewer than MIN_TRAINING_RECORDS: the shipped model is copied, not trained.
    started = link_unit(engine, NEW_UNIT, model, THRESHOLDS)
    assert (started.model_trained, model.read_bytes()) == (False, DEFAULT_MODEL_PATH.read_bytes())
    assert (
        started.model_version
        == json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))["sapnhap"]["version"]
    )
    assert started.new_records == 3 and started.persons_active >= 3
    again = link_unit(engine, NEW_UNIT, model, THRESHOLDS, retrain=True)  # still too few to train on
    assert not again.model_trained and model.read_bytes() == DEFAULT_MODEL_PATH.read_bytes()
