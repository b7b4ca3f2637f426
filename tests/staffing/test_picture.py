"""The staffing picture of a new unit from staff records: the position mapping table, headcount
against the quota, retirements, problems, the province balance and the commune office's report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sapnhap.staffing.picture import RECORD_COLUMNS, province_balance, staffing_picture, unit_type_of
from sapnhap.staffing.positions import (
    CATALOGUE_VERSION,
    Population,
    load_population,
    load_positions,
    load_title_rules,
    map_title,
    write_title_rules,
)
from sapnhap.staffing.report import (
    people_rows,
    positions_markdown,
    staffing_markdown,
    write_staffing_chart,
    write_staffing_xlsx,
)

COMMUNE = "14488"  # Xã Gia Vân, Tỉnh Ninh Bình
WARD = "00004"  # Phường Ba Đình, Thành phố Hà Nội
AS_OF = date(2026, 12, 4)


def record(rid: str, person: int | None, unit: str, **values) -> dict:
    row = dict.fromkeys(RECORD_COLUMNS)
    row.update(
        record_id=rid, person_id=person, former_unit_code=unit, doc_type="staff_cv", file_sha256="a" * 64
    )
    row.update(first_page=1, sex="male", rank_code="01.003")
    row.update(values)
    return row


def test_the_position_table_round_trips_and_maps_former_titles(tmp_path: Path):
    rules = load_title_rules()
    positions = load_positions()
    copy = tmp_path / "former_titles.csv"
    write_title_rules(rules, copy)
    assert load_title_rules(copy) == rules
    assert len([p for p in positions if p.group == "leadership"]) == 8
    # Printed with another dash spacing and the commune's name after it.
    tuphap = map_title("Công chức Tư pháp-Hộ tịch xã Gia Tân", rules, positions)
    assert (tuphap.position_code, tuphap.category) == ("P03", "công chức")
    # The longest rule wins: a vice-chairman is not the chairman.
    assert map_title("PHÓ CHỦ TỊCH ỦY BAN NHÂN DÂN", rules, positions).position_code == "L02"
    assert map_title("Chủ tịch Ủy ban nhân dân", rules, positions).position_code == "L01"
    military = map_title("Chỉ huy trưởng Ban Chỉ huy Quân sự", rules, positions)
    assert military.position_code is None and "no position in the catalogue" in military.rule
    unknown = map_title("Thủ quỹ", rules, positions)
    assert (unknown.position_code, unknown.category) == (None, "")
    assert "matches no rule" in unknown.rule
    assert map_title("", rules, positions).rule == "no title read"
    assert load_population() == {}  # none published offline: see the README


def test_the_staffing_picture_counts_every_person_once_and_names_every_problem():
    records = pd.DataFrame(
        [
            # One person in two former units' archives: the later CV (2025) gives the current title.
            record(
                "a1",
                1,
                "14479",
                full_name="Nguyễn Văn An",
                birth_date="1964-03-10",
                position="Công chức Văn phòng - Thống kê",
                declared_at="2019-05-01",
            ),
            record(
                "a2",
                1,
                "14482",
                full_name="Nguyễn Văn An",
                birth_date="1964-03-10",
                position="Chủ tịch Ủy ban nhân dân",
                declared_at="2025-08-01",
            ),
            record(
                "b",
                2,
                "14479",
                full_name="Trần Thị Bình",
                sex="female",
                birth_date="1972-01-20",
                position="Công chức Tư pháp - Hộ tịch",
            ),
            record("c", 3, "14482", full_name="Lê Văn Cường", birth_date=None, position="Thủ quỹ"),
            record(
                "d",
                None,
                "14479",
                full_name="Phạm Văn Dũng",
                birth_date="1990-06-01",
                position="Công chức Tài chính - Kế toán",
                rank_code="09.999",
            ),
        ]
    )
    picture = staffing_picture(records, COMMUNE, AS_OF, Population(24_000, True, "test figure"), held=2)
    s = picture.summary
    assert unit_type_of(COMMUNE) == "commune" and unit_type_of(WARD) == "ward"
    assert (s["staff_records"], s["headcount"], s["staff_records_held_in_quarantine"]) == (5, 4, 2)
    assert (s["quota"], s["over_quota"]) == (40, -36)  # 32 + 8, mountain commune of 24,000
    assert s["catalogue_version"] == CATALOGUE_VERSION and s["people_without_position"] == 1
    people = picture.people.set_index("person")
    an = people.loc["p1"]
    assert (an["records"], an["former_units"], an["position_code"], an["category"]) == (
        2,
        "14479, 14482",
        "L01",
        "cán bộ",
    )
    # A man born 10 March 1964 reaches 61 years 3 months, the age of 2025, on 10 June 2025.
    assert an["retirement_date"] == "2025-06-10" and bool(an["retires_within_1y"]) is False
    binh = people.loc["p2"]
    # A woman born 20 January 1972: 58 years 4 months, the age of 2030 (Decree 135/2020 Appendix I).
    assert binh["retirement_date"] == "2030-05-20" and bool(binh["retires_within_5y"])
    assert (binh["age"], binh["position_code"]) == (54, "P03")
    assert s["retiring_within_1y"] == 0 and s["retiring_within_5y"] == 1
    problems = {(p.record_id, p.field): p.reason for p in picture.problems.itertuples()}
    assert problems[("c", "position")] == "the former title matches no rule of the position table"
    assert problems[("c", "birth_date")].startswith("no birth date read")
    assert problems[("d", "rank_code")] == "rank code 09.999 is not a rank of the rank table"
    assert problems[("a2", "birth_date")] == "past retirement age since 2025-06-10: check the birth date"
    assert "not linked yet" in people.loc["r:d"]["problems"]
    positions = picture.positions.set_index("position_code")
    assert positions.loc["L01", ["planned", "assigned", "gap", "status"]].tolist() == [1, 1, 0, "filled"]
    assert positions.loc["L02", ["planned", "assigned", "gap", "status"]].tolist() == [2, 0, -2, "shortage"]
    assert positions.loc["P03", "status"] == "not set"
    unmapped = picture.positions[picture.positions["position"] == "(no position)"]
    assert unmapped["assigned"].tolist() == [1]
    # Every person is in exactly one row of the positions table: the headcount reconciles.
    assert picture.positions["assigned"].sum() == s["headcount"]
    # A population that is not known: no quota, the rule says why.
    unknown = staffing_picture(records, COMMUNE, AS_OF, None)
    assert unknown.summary["quota"] is None and unknown.summary["quota_rule"].startswith("unknown")
    assert "quota of 40" in staffing_markdown(picture, "new unit 14488")
    people = people_rows(picture)
    assert len(people) == len(picture.people)
    cells = {cell for row in people for cell in row}
    assert "N. V. A." in cells and "Nguyễn Văn An" not in cells and "1964-03-10" not in cells
    # The retirement year, never its day (with the legal age it would give the birth date away).
    retires = {row[5] for row in people if row[5]}
    assert retires and all(len(year) == 4 and year.isdigit() for year in retires)
    assert "| Chủ tịch Ủy ban nhân dân | leadership | 1 | 1 | +0 | filled |" in positions_markdown(picture)


def test_surplus_here_shortage_there_across_the_province():
    two = pd.DataFrame(
        [
            record(
                "x1", 1, "14479", full_name="A", birth_date="1980-01-01", position="Chủ tịch Ủy ban nhân dân"
            ),
            record(
                "x2", 2, "14479", full_name="B", birth_date="1981-01-01", position="Chủ tịch Ủy ban nhân dân"
            ),
        ]
    )
    none = pd.DataFrame(
        [record("y1", 3, "14500", full_name="C", birth_date="1982-01-01", position="Thủ quỹ")]
    )
    pictures = {
        COMMUNE: staffing_picture(two, COMMUNE, AS_OF, None),
        "14515": staffing_picture(none, "14515", AS_OF, None),
    }
    balance = province_balance(pictures).set_index("position_code")
    assert balance.loc["L01", ["surplus_units", "shortage_units"]].tolist() == ["14488 +1", "14515 -1"]
    # No unit has a surplus of vice-chairmen: not listed.
    assert "L02" not in balance.index


def test_the_commune_office_report_workbook_and_chart(tmp_path: Path):
    records = pd.DataFrame(
        [
            record(
                "a",
                1,
                "14479",
                full_name="Nguyễn Văn An",
                birth_date="1980-01-01",
                position="Chủ tịch Ủy ban nhân dân",
            )
        ]
    )
    picture = staffing_picture(records, COMMUNE, AS_OF, Population(24_000, True, "test figure"))
    book = openpyxl.load_workbook(write_staffing_xlsx(picture, tmp_path / "staffing.xlsx"))
    assert book.sheetnames == ["Summary", "Positions", "People", "To decide", "Awaiting placement"]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["headcount"] == 1 and summary["quota"] == 40
    assert summary["source: quota"].startswith("Official Dispatch 09/CV-BCĐ")
    people = list(book["People"].iter_rows(values_only=True))
    assert people[1][people[0].index("full_name")] == "Nguyễn Văn An"  # the office's own list: in full
    chart = write_staffing_chart(picture, tmp_path / "staffing.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 5_000


def test_staff_records_from_the_database_and_their_review_items(engine):
    """Staff CVs loaded for a new unit: read back with their fields, counted once per person, and
    every problem an item of the review sheet (an unknown title, a missing birth date)."""
    from sapnhap.db import upsert_former_units
    from sapnhap.review.office import office_items
    from sapnhap.staffing.picture import staff_records
    from tests.db.test_db import UNITS
    from tests.linkage.test_persons import NEW_UNIT, hand_over, rid

    upsert_former_units(engine, UNITS)
    hand_over(
        engine,
        "00004",
        [
            dict(
                unit="00004",
                doc="cv-1",
                role="staff",
                full_name="Lê Văn Cường",
                sex="male",
                position="Thủ quỹ",
            ),
            dict(
                unit="00004",
                doc="cv-2",
                role="staff",
                full_name="Trần Thị Bình",
                sex="female",
                birth_date="1972-01-20",
                position="Công chức Tư pháp - Hộ tịch",
                rank_code="01.003",
            ),
        ],
    )
    # Former ward 00004 (Phường Trúc Bạch) merged whole into new ward 00004 (Phường Ba Đình): its staff
    # are that ward's, wherever the records were routed by address (here to the tests' unit 00008).
    records = staff_records(engine, "00004").set_index("record_id")
    assert staff_records(engine, NEW_UNIT).empty
    cuong, binh = rid("00004", "cv-1", "staff"), rid("00004", "cv-2", "staff")
    assert records.loc[binh, ["full_name", "birth_date", "position", "rank_code"]].tolist() == [
        "Trần Thị Bình",
        "1972-01-20",
        "Công chức Tư pháp - Hộ tịch",
        "01.003",
    ]
    assert pd.isna(records.loc[cuong, "birth_date"])
    picture = staffing_picture(records.reset_index(), "00004", AS_OF, None)
    assert picture.summary["headcount"] == 2 and picture.summary["people_without_position"] == 1
    items = office_items(engine, "00004", AS_OF)
    assert sorted(items) == [f"field:{cuong}|person|birth_date", f"field:{cuong}|person|position"]
    position = items[f"field:{cuong}|person|position"]["evidence"]
    assert position["read"] == "Thủ quỹ" and "maps to no position of the catalogue" in position["question"]


def test_staff_belong_to_the_new_unit_of_their_employer_and_the_rest_await_placement():
    from sapnhap.staffing.picture import placement_of

    # Gia Vân (14479) merged whole into new unit 14488; Gia Tân (14503) split between 14488 and 14533;
    # the former district Gia Viễn (373) went to seven new units.
    assert placement_of("14479") == ("14488",)
    assert placement_of("14503") == ("14488", "14533")
    assert len(placement_of("373")) == 7 and "14488" in placement_of("373")
    assert placement_of("99999") == ()
    mine = pd.DataFrame(
        [record("a", 1, "14479", full_name="A", birth_date="1980-01-01", position="Chủ tịch Ủy ban nhân dân")]
    )
    split = pd.DataFrame(
        [
            record(
                "s1",
                7,
                "14503",
                full_name="Đỗ Văn Sơn",
                birth_date="1985-01-01",
                position="Công chức Tư pháp - Hộ tịch",
            ),
            record(
                "s2",
                7,
                "14503",
                full_name="Đỗ Văn Sơn",
                birth_date="1985-01-01",
                position="Công chức Tư pháp - Hộ tịch",
            ),
        ]
    )
    picture = staffing_picture(mine, COMMUNE, AS_OF, None, awaiting=split)
    assert picture.summary["headcount"] == 1  # the split commune's staff member is not counted
    assert (
        picture.summary["staff_awaiting_placement"],
        picture.summary["former_units_awaiting_placement"],
    ) == (1, "14503")
    assert picture.awaiting.iloc[0]["candidates"] == "14488, 14533"
    assert "Awaiting the province's placement (staff of split former communes" in staffing_markdown(
        picture, "x"
    )


def test_one_person_linked_in_two_new_units_is_counted_once():
    """A CV routed by its holder's residence to another new unit than the staff list row: two persons
    of linkage, one member of staff; the latest document gives the post; two ID numbers stay apart."""
    rows = [
        record("cv", 7, "14479", full_name="Nguyễn Thị Mai", birth_date="1989-10-21", sex="female",
               personal_id="037189000111", position="Công chức Văn phòng - Thống kê", declared_at="2020-01-01"),
        record("list", 9, "14479", doc_type="staff_list", full_name="NGUYỄN THỊ MAI", birth_date="1989-10-21",
               sex="female", position="Công chức Văn phòng - Thống kê"),
        record("decision", None, "14479", doc_type="appointment_decision", full_name="Nguyễn Thị Mai",
               birth_date="1989-10-21", position="Công chức Tư pháp - Hộ tịch", declared_at="2025-06-29",
               rank_code=None, sex=None),
        # Her name split by OCR in another copy, not linked: the same person still.
        record("split", None, "14479", doc_type="staff_list", full_name="Nguyễn Thị Ma I", birth_date="1989-10-21",
               sex="female", position="Công chức Văn phòng - Thống kê"),
        # Same name and birth date, another ID number: another person.
        record("other", 11, "14479", full_name="Nguyễn Thị Mai", birth_date="1989-10-21", sex="female",
               personal_id="037189000222", position="Công chức Văn hóa - Xã hội"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    picture = staffing_picture(frame, COMMUNE, AS_OF, None)
    assert picture.summary["headcount"] == 2
    mai = picture.people.set_index("record_id")
    # The decision (latest) gives the post; the list and the CV the rank and the sex.
    assert mai.loc["decision", "position_code"] == "P03" and mai.loc["decision", "records"] == 4
    assert mai.loc["decision", "retirement_date"] is not None  # the sex from the CV or the list
    assert mai.loc["other", "records"] == 1
    # Awaiting placement (a split commune's staff): counted once the same way.
    waiting = staffing_picture(frame.iloc[:0], COMMUNE, AS_OF, None, awaiting=frame)
    assert waiting.summary["staff_awaiting_placement"] == 2 and len(waiting.awaiting) == 2


def test_a_population_table_as_offices_type_it(tmp_path: Path):
    """Excel's CSV UTF-8 (a byte-order mark), thousands grouped the Vietnamese way, có/không; a bad
    row or a unit given twice leaves that unit without a figure and says why, the others are read."""
    table = tmp_path / "population.csv"
    table.write_bytes(
        "new_unit_code,population,mountain,source\n"
        "14488,20.400,Có,Quyết định 123/QĐ-UBND\n"
        '14464,"37,800",không,NSO 2024\n'
        "14494,abc,no,typed wrong\n"
        "14500,18 000,maybe,typed wrong\n"
        "14482,16000,,first\n"
        "14482,17000,,second\n".encode("utf-8-sig")
    )
    population = load_population(table)
    assert (population["14488"].population, population["14488"].mountain) == (20_400, True)
    assert (population["14464"].population, population["14464"].mountain) == (37_800, False)
    assert population["14494"].population is None
    assert population["14494"].source == "line 4 of population.csv: population 'abc' is not a whole number"
    assert population["14500"].source == "line 5 of population.csv: mountain 'maybe' is not yes, no or empty"
    assert (
        population["14482"].source == "new unit 14482 is given on lines 6 and 7 of population.csv: keep one"
    )
    # The unit's summary says why its quota is unknown; a mountain commune of 20,400 gets 32 + 4
    # (one per whole 1,000 above 16,000).
    records = pd.DataFrame(
        [record("a", 1, "14494", full_name="A", birth_date="1980-01-01")], columns=list(RECORD_COLUMNS)
    )
    unknown = staffing_picture(records, "14494", AS_OF, population["14494"])
    assert "population: line 4 of population.csv" in staffing_markdown(unknown, "new unit 14494")
    assert staffing_picture(records, "14488", AS_OF, population["14488"]).summary["quota"] == 36
    (tmp_path / "wrong.csv").write_text("unit,people\n14488,20400\n", encoding="utf-8")
    with pytest.raises(
        ValueError,
        match=r"wrong.csv: columns new_unit_code, population, mountain, source missing \(it has unit, people\)",
    ):
        load_population(tmp_path / "wrong.csv")
