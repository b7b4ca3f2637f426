"""Review spreadsheets (`sapnhap.review.sheet`): written as XLSX and CSV, read back, validated whole."""

from __future__ import annotations

import csv
import unicodedata

import pytest
from openpyxl import load_workbook

from sapnhap.review.sheet import (
    COLUMNS,
    ItemState,
    SheetRow,
    normalise_correction,
    read_sheet,
    validate_sheet,
    write_sheet,
)

PAIR = "merge:00004:aaaa:1:applicant|00007:bbbb:1:husband"
FIELD = "field:00004:aaaa:1:applicant:birth_date"
HELD = "record:00007:cccc:1:wife"
ROWS = [
    SheetRow(PAIR, "merge_candidate", "00008", "Same person?", "Nguyễn Văn Hùng 1960", "Nguyen Van Hung 1960", "0.93"),
    SheetRow(FIELD, "uncertain_field", "00008", "Is 12/04/1960 right?", "12/04/1960", score="61.0"),
    SheetRow(HELD, "validation_failure", "00008", "Married under age?", "Phạm Thị Lan 2004"),
]  # fmt: skip
ITEMS = {
    PAIR: ItemState("merge_candidate", "open"),
    FIELD: ItemState("uncertain_field", "open", "birth_date"),
    HELD: ItemState("validation_failure", "open", "birth_date"),
    "merge:old|pair": ItemState("merge_candidate", "decided"),
}


def filled(tmp_path, edits: dict[str, dict[str, str]], fmt: str = "xlsx"):
    """Write the sheet, fill the decision cells of `edits` (item → column → text) as an archivist
    would in a spreadsheet program, and return its path."""
    xlsx, sheet_csv = tmp_path / "review.xlsx", tmp_path / "review.csv"
    write_sheet(ROWS, xlsx, sheet_csv)
    if fmt == "csv":
        with sheet_csv.open(encoding="utf-8-sig", newline="") as handle:
            table = list(csv.reader(handle))
        for row in table[1:]:
            for column, value in edits.get(row[0], {}).items():
                row[COLUMNS.index(column)] = value
        with sheet_csv.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(table)
        return sheet_csv
    book = load_workbook(xlsx)
    sheet = book["review"]
    for r in range(2, sheet.max_row + 1):
        for column, value in edits.get(sheet.cell(r, 1).value, {}).items():
            sheet.cell(r, COLUMNS.index(column) + 1).value = value
    book.save(xlsx)
    return xlsx


def test_sheet_is_written_with_every_item_and_empty_decision_columns(tmp_path):
    write_sheet(ROWS, tmp_path / "r.xlsx", tmp_path / "r.csv")
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["review", "how to"]
    sheet = book["review"]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert [sheet.cell(r, 1).value for r in range(2, 5)] == [PAIR, FIELD, HELD]
    assert sheet.cell(2, COLUMNS.index("left") + 1).value == "Nguyễn Văn Hùng 1960"
    assert all(sheet.cell(r, COLUMNS.index("accept") + 1).value is None for r in range(2, 5))
    assert sheet.freeze_panes == "B2"
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    assert table[0] == COLUMNS and len(table) == 4 and table[1][4] == "Nguyễn Văn Hùng 1960"
    assert unicodedata.is_normalized("NFC", table[1][4])


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_filled_sheet_gives_its_decisions(tmp_path, fmt):
    path = filled(
        tmp_path,
        {
            PAIR: {"accept": "x", "note": "same father", "reviewer": "Lê Thị Thu"},
            FIELD: {"corrected_value": "21/04/1960", "reviewer": "Lê Thị Thu"},
            HELD: {"release": "có", "note": "court decision 12/2019", "reviewer": "Trần Văn Nam"},
        },
        fmt,
    )
    rows, file_problems = read_sheet(path)
    assert file_problems == []
    decisions, problems = validate_sheet(rows, ITEMS)
    assert problems == []
    got = {(d.item_id, d.action, d.value, d.reviewer, d.note, d.row) for d in decisions}
    assert got == {
        (PAIR, "accept", None, "Lê Thị Thu", "same father", 2),
        (FIELD, "correct", "1960-04-21", "Lê Thị Thu", "", 3),
        (HELD, "release", None, "Trần Văn Nam", "court decision 12/2019", 4),
    }


def test_every_problem_of_a_sheet_is_reported_at_once(tmp_path):
    path = filled(
        tmp_path,
        {
            PAIR: {"accept": "x", "reject": "x", "reviewer": "Thu"},  # two decisions
            FIELD: {"corrected_value": "31/02/1960", "reviewer": "Thu"},  # no such day
            HELD: {"release": "maybe", "reviewer": "Thu"},  # not a mark
        },
    )
    rows, _ = read_sheet(path)
    rows += [
        {"_row": "5", "item_id": "merge:unknown|pair", "accept": "x", "reviewer": "Thu"},
        {"_row": "6", "item_id": "merge:old|pair", "reject": "x", "reviewer": "Thu"},
        {"_row": "7", "item_id": PAIR, "reject": "x", "reviewer": "Thu"},
        {"_row": "8", "item_id": "", "accept": "x"},
    ]
    decisions, problems = validate_sheet(rows, ITEMS)
    assert [str(p) for p in problems] == [
        f"row 2 ({PAIR}): more than one decision: accept, reject",
        f"row 3 ({FIELD}): corrected_value: '31/02/1960' is not a date (impossible_date)",
        f"row 4 ({HELD}): release: 'maybe' is not a mark (use x)",
        "row 5 (merge:unknown|pair): unknown item: not in this unit's review queue",
        "row 6 (merge:old|pair): already decided: decide only open items",
        f"row 7 ({PAIR}): the same item is also on row 2",
        "row 8: no item_id: rows must keep the item_id they were given",
    ]
    assert decisions == []


def test_decisions_must_fit_the_item_and_name_the_reviewer(tmp_path):
    rows = [
        {"_row": "2", "item_id": PAIR, "release": "x", "reviewer": "Thu"},
        {"_row": "3", "item_id": FIELD, "accept": "x"},
        {"_row": "4", "item_id": HELD, "note": "looked at it"},
    ]
    decisions, problems = validate_sheet(rows, ITEMS)
    assert [p.message for p in problems] == [
        "release does not apply to a merge candidate (accept or reject)",
        "no reviewer: say who decided",
        "a note or reviewer but no decision marked",
    ]
    assert decisions == []
    # A row left empty stays open and is no problem.
    assert validate_sheet([{"_row": "2", "item_id": PAIR}], ITEMS) == ([], [])


def test_unreadable_or_foreign_files_are_reported_not_raised(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    (tmp_path / "other.csv").write_text("name,age\nLan,30\n", encoding="utf-8")
    assert [str(p) for p in read_sheet(tmp_path / "notes.txt")[1]] == [
        "sheet: notes.txt: not a review sheet (.xlsx or .csv)"
    ]
    assert str(read_sheet(tmp_path / "broken.xlsx")[1][0]).startswith("sheet: broken.xlsx cannot be read:")
    assert [str(p) for p in read_sheet(tmp_path / "other.csv")[1]] == [
        "sheet: other.csv: columns missing: item_id, accept, reject, corrected_value, release, note, reviewer"
    ]


def test_corrections_are_normalised_as_the_register_stores_them():
    assert normalise_correction("birth_date", "2/4/1960") == ("1960-04-02", None)
    assert normalise_correction("personal_id", "001 060 012 345") == ("001060012345", None)
    assert normalise_correction("personal_id", "1060012345") == (
        None,
        "'1060012345' is not an ID number of 12 (or 9) digits",
    )  # a number whose leading zeros a spreadsheet dropped
    assert normalise_correction("full_name", "NGUYỄN văn hùng") == ("Nguyễn Văn Hùng", None)
    assert normalise_correction("full_name", "Ng4yen") == (None, "'Ng4yen' has digits: not a name")
    assert normalise_correction("sex", "Nữ") == ("female", None)
    assert normalise_correction("residence", "  Thôn 3  ") == ("Thôn 3", None)
    assert normalise_correction("birth_date", " ") == (None, "empty")
    # The look-alike Icelandic Ð (U+00D0) typed for Đ is read as Đ, as everywhere else in the register.
    assert normalise_correction("full_name", "\u00d0ặng thị hường") == ("Đặng Thị Hường", None)
    assert normalise_correction("residence", "Xã \u00d0ông  Sơn ,\nHuyện Gia Viễn") == (
        "Xã Đông Sơn, Huyện Gia Viễn",
        None,
    )


def test_a_quarantined_records_correction_names_its_field():
    items = {HELD: ItemState("validation_failure", "open", "")}
    rows = [{"_row": "2", "item_id": HELD, "corrected_value": "birth_date = 2/4/1990", "reviewer": "Thu"}]
    (decision,), problems = validate_sheet(rows, items)
    assert problems == [] and (decision.action, decision.field, decision.value) == (
        "correct",
        "birth_date",
        "1990-04-02",
    )
    rows = [{"_row": "2", "item_id": HELD, "corrected_value": "2/4/1990", "reviewer": "Thu"}]
    decisions, (problem,) = validate_sheet(rows, items)
    assert decisions == [] and problem.message.startswith("corrected_value: write the field and its value")


def test_a_quarantined_records_question_names_the_required_fields_it_misses():
    from sapnhap.review.queue import _reasons_text

    read = {
        "full_name": {"value": "Lê Thị Hoa", "raw": "Lê Thị Hoa"},
        "birth_date": {"value": "", "raw": ""},  # the label found, no value
        "registration_date": {"value": "", "raw": "3I/02/2019"},  # read but not a date: present
    }
    text = _reasons_text("missing_required_field;under_marriage_age", "birth_registration", "child", read)
    assert text == "missing_required_field (birth_date, sex, registration_place), under_marriage_age"
    # A type without a template requires the name only.
    assert _reasons_text("missing_required_field", "civil_status_extract", "person", {}) == (
        "missing_required_field (full_name)"
    )


def test_the_review_sheets_ui_table_masks_personal_data():
    """The review_queue asset's metadata (the Dagster UI) masks what the sheet shows in full, from the
    items' structured evidence (one place: `sapnhap.review.masking`)."""
    from sapnhap.review.queue import _describe, _masked_read

    held = {"full_name": "Chu Thị Hường", "birth_date": "1997-04-27", "personal_id": "001197012345"}
    record = {"question": "Quarantined: invalid_date.", "fields": held | {"residence": "Thôn 1"}}
    assert _masked_read(record) == "birth_date: 1997-**-**; full_name: C. T. H.; personal_id: 001*******45"
    side = {
        "fields": {"full_name": "Nguyễn Văn Hùng", "birth_date": "1960-04-12", "personal_id": "001060012345"}
        | {"father_name": "Trần Văn An", "residence": "Thôn 3"},
        "doc_type": "staff_cv",
        "role": "staff",
        "former_unit": "14479",
    }
    assert _describe(side, masked=True) == (
        "name: N. V. H.; born: 1960-**-**; ID: 001*******45; father: T. V. A.; staff_cv (staff), former unit 14479"
    )
    assert "Nguyễn Văn Hùng" in _describe(side) and "Thôn 3" in _describe(side)  # the sheet: in full
    assert _masked_read(
        {"field": "birth_date", "value": "1960-04-12", "read": "'12/04/I960' → 1960-04-12"}
    ) == ("1960-**-**")
    assert _masked_read({"field": "full_name", "value": "Nguyễn Văn Hùng"}) == "N. V. H."
    assert _masked_read({"field": "sex", "value": "female"}) == "female"
    assert _masked_read({"field": "residence", "value": "Thôn 3, Xã Gia Vân"}) == "***"
    # An item stored before its evidence held values shows nothing personal.
    assert _masked_read({"field": "full_name", "read": "Nguyễn Văn Hùng"}) == "***"
    assert _masked_read({"question": "Quarantined: x.", "read": "full_name: Chu Thị Hường"}) == "***"


def test_a_semicolon_csv_or_a_sheet_without_rows_says_what_is_wrong(tmp_path):
    (tmp_path / "semi.csv").write_text("item_id;accept;reject\nmerge:a|b;x;\n", encoding="utf-8")
    (tmp_path / "bare.csv").write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    assert str(read_sheet(tmp_path / "semi.csv")[1][0]).endswith(
        "(the CSV seems to use ';' between columns: save it with commas, or as .xlsx)"
    )
    assert [str(p) for p in read_sheet(tmp_path / "bare.csv")[1]] == [
        "sheet: bare.csv has no rows under its header"
    ]


def test_a_csv_saved_in_windows_1258_is_refused_with_what_to_do(tmp_path):
    # Excel's plain "CSV" on a Vietnamese Windows writes cp1258 (Đ is 0xD0): not UTF-8.
    text = ",".join(COLUMNS) + "\nmerge:a|b,merge_candidate,14488,,,,,,,x,,,,Đinh Thu,Đinh Thu\n"
    (tmp_path / "cp1258.csv").write_bytes(text.encode("cp1258"))
    rows, problems = read_sheet(tmp_path / "cp1258.csv")
    assert rows == [] and [str(p) for p in problems] == [
        "sheet: cp1258.csv is not UTF-8 text (a spreadsheet program saved it in another encoding, e.g. "
        "Windows-1258): save it as 'CSV UTF-8' or as .xlsx and drop it again"
    ]
