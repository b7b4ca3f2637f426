"""The review round trip on the database (SQLite and PostgreSQL): open merge candidates written as a
sheet, filled in by an archivist, dropped into the reviews folder, checked whole by the reviews
sensor, stored as provenance events with the reviewer, and applied by the next linkage run."""

from __future__ import annotations

import csv
import json

from dagster import build_sensor_context
from openpyxl import load_workbook
from sqlalchemy import select, text

from pipelines.sensors import reviews_sensor
from resources import ReviewDesk, UnifiedDatabase
from sapnhap.db import upsert_former_units
from sapnhap.db.models import LinkageDecision, ProvenanceEvent, ReviewItem
from sapnhap.decisions import sheet_rows
from sapnhap.linkage import Thresholds
from sapnhap.persons import link_unit, person_of
from sapnhap.review import COLUMNS, write_sheet
from tests.test_db import UNITS
from tests.test_persons import FIRST_BATCH, HUNG, HUNG_LATER, LATER_BATCH, MAI, MAI_LATER, NEW_UNIT, hand_over

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


def tick(tmp_path, db_url):
    desk = ReviewDesk(sheets_dir=str(tmp_path / "review_queue"), reviews_dir=str(tmp_path / "reviews"))
    with build_sensor_context(
        resources={"reviews": desk, "database": UnifiedDatabase(url=db_url)}
    ) as context:
        return reviews_sensor(context)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(model)).all())


def test_a_filled_sheet_is_applied_and_a_bad_one_is_refused_whole(engine, db_url, tmp_path, linkage_model):
    upsert_former_units(engine, UNITS)
    hand_over(engine, "00004", FIRST_BATCH)
    hand_over(engine, "00007", LATER_BATCH)
    link_unit(engine, NEW_UNIT, linkage_model, EVERYTHING_IN_REVIEW)
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
            (MAI, MAI_LATER): {"reject": "maybe", "reviewer": "Thu"},
        },
    )
    result = tick(tmp_path, db_url)
    assert result.run_requests == []
    assert count(engine, LinkageDecision) == 0 and count(engine, ProvenanceEvent) == 0
    (problems,) = (tmp_path / "reviews" / "rejected").glob("*.problems.txt")
    assert "reject: 'maybe' is not a mark (use x)" in problems.read_text(encoding="utf-8")
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
    result = tick(tmp_path, db_url)
    assert [r.partition_key for r in result.run_requests] == [NEW_UNIT]
    assert len(list((tmp_path / "reviews" / "applied").glob("*-00008.xlsx"))) == 1
    with engine.connect() as conn:
        events = conn.execute(
            select(
                ProvenanceEvent.subject_id,
                ProvenanceEvent.outcome,
                ProvenanceEvent.agent,
                ProvenanceEvent.detail,
            )
        ).all()
        statuses = dict(conn.execute(select(ReviewItem.item_id, ReviewItem.status)).all())
        decisions = conn.execute(select(LinkageDecision.decision, LinkageDecision.reviewer)).all()
    assert sorted((e[1], e[2]) for e in events) == [("accept", "Lê Thị Thu"), ("reject", "Lê Thị Thu")]
    assert {json.loads(e[3])["note"] for e in events} == {"khác cha", "cùng quê, cùng ngày sinh"}
    assert sorted(decisions) == [("cannot_link", "Lê Thị Thu"), ("must_link", "Lê Thị Thu")]
    assert statuses[f"merge:{min(MAI, MAI_LATER)}|{max(MAI, MAI_LATER)}"] == "decided"

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
    assert tick(tmp_path, db_url).run_requests == []
    (refused,) = (tmp_path / "reviews" / "rejected").glob("*-00008-again.csv.problems.txt")
    assert "already decided: decide only open items" in refused.read_text(encoding="utf-8")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM linkage_decisions")).scalar_one() == 2
