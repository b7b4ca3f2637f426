"""The review round trip on the database (SQLite and PostgreSQL): open merge candidates written as a
sheet, filled in by an archivist, dropped into the reviews folder, checked whole by the reviews
sensor, stored as provenance events with the reviewer, and applied by the next linkage run."""

from __future__ import annotations

import csv
import json

import pytest
from dagster import DagsterInstance
from openpyxl import load_workbook
from sqlalchemy import select, text

from resources import ReviewDesk, UnifiedDatabase
from sapnhap.db import upsert_former_units
from sapnhap.db.models import LinkageDecision, ProvenanceEvent, ReviewItem
from sapnhap.linkage.model import Thresholds
from sapnhap.linkage.persons import link_unit, upsert_review_item
from sapnhap.linkage.queries import person_of
from sapnhap.review.decisions import (
    apply_corrections,
    apply_decisions,
    corrections_for,
    release_records,
    releases_for,
)
from sapnhap.review.queue import item_states, refresh_review_items, sheet_rows
from sapnhap.review.sheet import COLUMNS, validate_sheet, write_sheet
from tests.db.test_db import UNITS
from tests.linkage.test_persons import (
    FIRST_BATCH,
    HUNG,
    HUNG_LATER,
    LATER_BATCH,
    MAI,
    MAI_LATER,
    NEW_UNIT,
    UNDERAGE_WIFE,
    hand_over,
    people_frames,
    rid,
)
from tests.review.handover import take_in_sheets

EVERYTHING_IN_REVIEW = Thresholds(review=0.01, auto_merge=1.01)


def fill(path, decisions: dict[tuple[str, str], dict[str, str]]) -> None:
    """Fill the decision cells of the merge candidates of `decisions` (pair → column → text)."""
    book = load_workbook(path)
    sheet = book["review"]
    for r in range(2, sheet.max_row + 1):
        item = sheet.cell(r, 1).value
        for (a, b), cells in decisions.items():
            if item == f"merge:{min(a, b)}|{max(a, b)}":
                for column, value in cells.items():
                    sheet.cell(r, COLUMNS.index(column) + 1).value = value
    book.save(path)


def fill_item(path, item_id: str, cells: dict[str, str]) -> None:
    """Fill the decision cells of the row of `item_id`."""
    book = load_workbook(path)
    sheet = book["review"]
    for r in range(2, sheet.max_row + 1):
        if sheet.cell(r, 1).value == item_id:
            for column, value in cells.items():
                sheet.cell(r, COLUMNS.index(column) + 1).value = value
    book.save(path)


def tick(tmp_path, db_url) -> list:
    """The sheets in the reviews folder taken in; the runs their decisions ask for."""
    desk = ReviewDesk(sheets_dir=str(tmp_path / "review_queue"), reviews_dir=str(tmp_path / "reviews"))
    with DagsterInstance.ephemeral() as instance:
        return take_in_sheets(instance, desk, UnifiedDatabase(url=db_url))


def count(engine, model) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(model)).all())


@pytest.mark.slow
def test_a_filled_sheet_is_applied_and_a_bad_one_is_refused_whole(engine, db_url, tmp_path, linkage_model):
    upsert_former_units(engine, UNITS)
    hand_over(engine, "00004", FIRST_BATCH)
    hand_over(engine, "00007", LATER_BATCH)
    link_unit(engine, NEW_UNIT, linkage_model, EVERYTHING_IN_REVIEW)
    # A quarantined record of former unit 00004 waits in the same sheet.
    held = f"record:{rid('00004', 'held-1', 'child')}"
    with engine.begin() as conn:
        upsert_review_item(
            conn,
            held,
            {
                "kind": "validation_failure",
                "new_unit_code": NEW_UNIT,
                "record_id_l": held[7:],
                "status": "open",
            }
            | {"evidence": json.dumps({"field": "", "question": "Quarantined: birth_after_registration"})},
            exists=False,
        )
    rows = sheet_rows(engine, NEW_UNIT)
    items = {r.item_id for r in rows}
    assert {
        f"merge:{min(HUNG, HUNG_LATER)}|{max(HUNG, HUNG_LATER)}",
        f"merge:{min(MAI, MAI_LATER)}|{max(MAI, MAI_LATER)}",
    } <= items
    hung_row = next(r for r in rows if HUNG in r.item_id and HUNG_LATER in r.item_id)
    assert "name: Nguyễn Văn Hùng" in hung_row.left + hung_row.right and "birth_date" in hung_row.details
    (tmp_path / "reviews").mkdir()

    # A sheet with problems: nothing of it is applied, every problem is listed beside it.
    bad = tmp_path / "reviews" / "00008-bad.xlsx"
    write_sheet(rows, bad, tmp_path / "unused.csv")
    fill(
        bad,
        {
            (HUNG, HUNG_LATER): {"accept": "x", "reviewer": "Thu"},
            (MAI, MAI_LATER): {"reject": "maybe", "reviewer": "Thu", "new_unit": "00099"},
        },
    )
    assert tick(tmp_path, db_url) == []
    assert count(engine, LinkageDecision) == 0 and count(engine, ProvenanceEvent) == 0
    (problems,) = (tmp_path / "reviews" / "rejected").glob("*.problems.txt")
    # Every problem at once, also when the sheet names two units.
    listed = problems.read_text(encoding="utf-8")
    assert "the sheet must name one new unit in its new_unit column, not 2" in listed
    assert "reject: 'maybe' is not a mark (use x)" in listed
    assert not bad.exists()

    # The archivist fixes it: Hùng's pair rejected (two men), Mai's accepted.
    good = tmp_path / "reviews" / "00008.xlsx"
    write_sheet(rows, good, tmp_path / "unused.csv")
    fill(
        good,
        {
            (HUNG, HUNG_LATER): {"reject": "x", "note": "khác cha", "reviewer": "Lê Thị Thu"},
            (MAI, MAI_LATER): {"accept": "x", "note": "cùng quê, cùng ngày sinh", "reviewer": "Lê Thị Thu"},
        },
    )
    fill_item(good, held, {"release": "x", "note": "đúng theo sổ gốc", "reviewer": "Lê Thị Thu"})
    good_bytes = good.read_bytes()
    result = tick(tmp_path, db_url)
    # The release is applied by the former unit's ingest run, the pairs by the unit's linkage run.
    assert [(r.job_name, r.partition_key) for r in result] == [
        ("ingest_former_unit", "00004"),
        ("link_new_unit", NEW_UNIT),
    ]
    assert len(list((tmp_path / "reviews" / "applied").glob("*-00008.xlsx"))) == 1
    with engine.connect() as conn:
        events = conn.execute(
            select(
                ProvenanceEvent.subject_id,
                ProvenanceEvent.outcome,
                ProvenanceEvent.agent,
                ProvenanceEvent.detail,
            ).where(ProvenanceEvent.subject_type == "review_item")
        ).all()
        statuses = dict(conn.execute(select(ReviewItem.item_id, ReviewItem.status)).all())
        decisions = conn.execute(select(LinkageDecision.decision, LinkageDecision.reviewer)).all()
    assert sorted((e[1], e[2]) for e in events) == [
        ("accept", "Lê Thị Thu"),
        ("reject", "Lê Thị Thu"),
        ("release", "Lê Thị Thu"),
    ]
    assert {json.loads(e[3])["note"] for e in events} == {
        "khác cha",
        "cùng quê, cùng ngày sinh",
        "đúng theo sổ gốc",
    }
    assert sorted(decisions) == [("cannot_link", "Lê Thị Thu"), ("must_link", "Lê Thị Thu")]
    assert statuses[f"merge:{min(MAI, MAI_LATER)}|{max(MAI, MAI_LATER)}"] == "decided"
    # The same sheet again (a run that stored it and crashed before filing it, or a second drop): filed
    # as applied, nothing stored twice, the same follow-ups asked for, never refused as "already decided".
    good.write_bytes(good_bytes)
    assert [(r.job_name, r.partition_key) for r in tick(tmp_path, db_url)] == [
        ("ingest_former_unit", "00004"),
        ("link_new_unit", NEW_UNIT),
    ]
    assert len(list((tmp_path / "reviews" / "applied").glob("*-00008.xlsx"))) == 2 and not good.exists()
    assert count(engine, LinkageDecision) == 2 and not list(
        (tmp_path / "reviews" / "rejected").glob("*00008.xlsx*")
    )

    # The run the sensor asked for applies them; later runs and a sheet dropped again respect them.
    link_unit(engine, NEW_UNIT, linkage_model, EVERYTHING_IN_REVIEW)
    persons = person_of(engine, [HUNG, HUNG_LATER, MAI, MAI_LATER])
    assert persons[MAI] == persons[MAI_LATER] and persons[HUNG] != persons[HUNG_LATER]
    again = tmp_path / "reviews" / "00008-again.csv"
    write_sheet(rows, tmp_path / "unused.xlsx", again)
    with again.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    for row in table:
        if row[0] == f"merge:{min(HUNG, HUNG_LATER)}|{max(HUNG, HUNG_LATER)}":
            row[COLUMNS.index("accept")], row[COLUMNS.index("reviewer")] = "x", "Thu"  # already decided
    with again.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table)
    assert tick(tmp_path, db_url) == []
    (refused,) = (tmp_path / "reviews" / "rejected").glob("*-00008-again.csv.problems.txt")
    # Anything else dropped there is refused with its reason, not left lying unnoticed.
    (tmp_path / "reviews" / "notes.txt").write_text("đã xem", encoding="utf-8")
    assert tick(tmp_path, db_url) == []
    (note,) = (tmp_path / "reviews" / "rejected").glob("*-notes.txt.problems.txt")
    assert "not a review sheet (.xlsx or .csv)" in note.read_text(encoding="utf-8")
    assert "already decided: decide only open items" in refused.read_text(encoding="utf-8")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM linkage_decisions")).scalar_one() == 2


def rows_question(engine, item_id: str) -> str:
    """The question the review sheet asks for `item_id`."""
    return next(r.question for r in sheet_rows(engine, NEW_UNIT) if r.item_id == item_id)


def test_corrections_and_releases_are_stored_and_taken_in_by_the_next_extraction(engine, tmp_path):
    """Uncertain OCR fields and a quarantined record in the sheet: a corrected date replaces the
    reading (method archivist, the reading kept), a released record is loaded with a warning, an
    accepted reading stays; a decided item is never asked again."""
    upsert_former_units(engine, UNITS)
    mai = {**FIRST_BATCH[1], "confidence": 55.0}  # read badly: every field of hers is uncertain
    hand_over(engine, "00004", [FIRST_BATCH[0], mai, UNDERAGE_WIFE])
    opened = refresh_review_items(engine, NEW_UNIT)
    states = item_states(engine, NEW_UNIT)
    kinds = sorted(s.kind for s in states.values())
    assert opened == {"opened": len(states), "withdrawn": 0}
    # Mai's 4 fields, the wife's record; and the two receipts of this batch without an appointment
    # date, which the procedure backlog cannot classify (sapnhap.review.office).
    assert kinds == ["uncertain_field"] * 6 + ["validation_failure"]
    backlog = sorted(i for i in states if i.endswith("|appointment_date"))
    assert len(backlog) == 2 and "no appointment date read" in rows_question(engine, backlog[0])
    date_item, name_item = f"field:{MAI}|person|birth_date", f"field:{MAI}|person|full_name"
    wife_id = rid("00004", "kh-7", "wife")
    assert states[date_item].field == "birth_date" and states[f"record:{wife_id}"].field == ""
    rows = {r.item_id: r for r in sheet_rows(engine, NEW_UNIT)}
    assert rows[date_item].left == "1985-09-30" and rows[date_item].score == "55"
    assert "under_marriage_age" in rows[f"record:{wife_id}"].question

    sheet_rows_filled = [
        {
            "_row": "2",
            "item_id": date_item,
            "corrected_value": "30/09/1986",
            "reviewer": "Thu",
            "note": "sổ gốc",
        },
        {"_row": "3", "item_id": name_item, "accept": "x", "reviewer": "Thu"},
        {"_row": "4", "item_id": f"record:{wife_id}", "release": "x", "reviewer": "Nam", "note": "QĐ tòa án"},
    ]
    decisions, problems = validate_sheet(sheet_rows_filled, states)
    assert problems == []
    applied = apply_decisions(engine, NEW_UNIT, decisions, "00008.xlsx")
    assert (applied.corrections, applied.releases, applied.former_units, applied.events) == (
        1,
        1,
        ("00004",),
        3,
    )
    corrections = corrections_for(engine, "00004")
    assert corrections[["record_id", "scope", "field", "value"]].values.tolist() == [
        [MAI, "person", "birth_date", "1986-09-30"]
    ]
    assert releases_for(engine, "00004") == {wife_id} and releases_for(engine, "00007") == set()

    # What the next extraction and validation do with them.
    validated, source = people_frames([FIRST_BATCH[0], mai, UNDERAGE_WIFE])
    corrected = apply_corrections(source, corrections)
    row = corrected[(corrected["record_id"] == MAI) & (corrected["field"] == "birth_date")].iloc[0]
    assert (row["value"], row["raw"], row["method"], row["confidence"]) == (
        "1986-09-30",
        "1985-09-30",
        "archivist",
        100.0,
    )
    assert row["note"] == "corrected by Thu: sổ gốc"
    assert len(corrected) == len(source)  # nothing else touched
    released = release_records(validated, releases_for(engine, "00004")).set_index("record_id")
    assert released.at[wife_id, "status"] == "warning" and released.at[wife_id, "n_errors"] == 0
    assert released.at[wife_id, "reasons"] == "under_marriage_age;released_by_archivist"
    assert released.at[HUNG, "status"] == "valid"

    # Refreshed: decided items are not asked again; the rest stay open.
    assert refresh_review_items(engine, NEW_UNIT) == {"opened": 0, "withdrawn": 0}
    after = item_states(engine, NEW_UNIT)
    assert {i for i, s in after.items() if s.status == "decided"} == {
        date_item,
        name_item,
        f"record:{wife_id}",
    }
