"""Born-digital registers (.xlsx, .xls-free, .csv, .docx, .odt) read as pages of cells, and every bad one
given a clear reason. Every file here is made by the test with the format's own library."""

from __future__ import annotations

import datetime
import io
import unicodedata
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from sapnhap.documents.titles import classify, group_pages
from sapnhap.intake.files import FileKind, QuarantineReason, inspect_file
from sapnhap.ocr import OcrSettings, PageTask, process_page
from sapnhap.records.tables import WHY_EMPTY, documents_without_records, read_document

HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số ĐDCN", "Họ tên mẹ", "Nơi cư trú", "Người ghi sổ"]
ROWS = [
    [
        1,
        "Nguyễn Văn An",
        datetime.date(2019, 2, 1),
        "Nam",
        "037219000257",
        "Lê Thị Hoa",
        "Thôn 1, xã Gia Tân",
        "Lê B",
    ],
    [2, "Trần Thị Bình", "05/06/2019", "Nữ", None, "Phạm Thị Lan", "Thôn 2, xã Gia Tân", "Lê B"],
    [3, "Đỗ Minh Khoa", "12/12/2019", "Nam", "037219000311", "", "Thôn 3, xã Gia Tân", ""],
]
SHA = "b" * 64


def pages_of(path: Path):
    inspection = inspect_file(path)
    assert inspection.quarantine_reason is None, inspection.detail
    # Read as the pipeline reads it: the archived copy, named by its hash without an extension.
    archived = path.parent / "archive" / inspection.sha256
    archived.parent.mkdir(exist_ok=True)
    archived.write_bytes(path.read_bytes())
    tasks = [PageTask(SHA, str(archived), inspection.kind.value, i) for i in range(inspection.page_count)]
    return inspection, [process_page(t, OcrSettings()) for t in tasks]


def people(pages, doc_type: str) -> tuple[str, dict[tuple[int, str, str], str], list]:
    fields, extractor = read_document(pages, doc_type)
    return extractor, {(f.entry, f.role, f.field): f.value for f in fields}, fields


def check_register(extractor: str, got: dict) -> None:
    assert extractor == "spreadsheet"
    assert got[(1, "child", "full_name")] == "Nguyễn Văn An"
    assert got[(1, "child", "birth_date")] == "2019-02-01"
    assert got[(1, "child", "personal_id")] == "037219000257"
    assert got[(1, "mother", "full_name")] == "Lê Thị Hoa"
    assert got[(2, "child", "sex")] == "female" and got[(2, "child", "birth_date")] == "2019-06-05"
    assert got[(2, "child", "personal_id")] == ""
    assert got[(3, "child", "full_name")] == "Đỗ Minh Khoa"
    # No mother in row 3: no mother record, not an empty one.
    assert (3, "mother", "full_name") not in got
    # An unmapped column is kept as an extra field of the row.
    assert got[(1, "", "extra:nguoi_ghi_so")] == "Lê B"
    assert {e for e, _, _ in got} == {1, 2, 3}


def test_an_xlsx_register_with_a_merged_title_and_an_empty_sheet(tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sổ KS 2019"
    sheet.append(["SỔ ĐĂNG KÝ KHAI SINH"])
    sheet.merge_cells("A1:H1")
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    book.create_sheet("Trống")
    path = tmp_path / "so_khai_sinh.xlsx"
    book.save(path)

    inspection, pages = pages_of(path)
    assert inspection.kind is FileKind.XLSX and inspection.page_count == 2
    first, empty = pages
    assert first.method == "text_layer" and first.box_unit == "cell" and first.engine == "openpyxl"
    assert "1 merged cell ranges read from their first cell" in first.reason
    assert empty.words == [] and "empty_sheet" in empty.reason
    kind = classify(first.text)
    assert kind.doc_type == "birth_register_book"
    extractor, got, fields = people(pages, kind.doc_type)
    check_register(extractor, got)
    # Lineage: each value's box is its cell (column, row); the row's box spans the row.
    name = next(f for f in fields if (f.entry, f.role, f.field) == (2, "child", "full_name"))
    assert (name.page, name.bbox, name.box_unit, name.method) == (
        1,
        (1.0, 3.0, 1.0, 1.0),
        "cell",
        "text_layer",
    )
    row = next(f for f in fields if (f.entry, f.field) == (2, "register_row"))
    assert row.bbox == (0.0, 3.0, 8.0, 1.0)
    # The empty sheet is a document by itself, listed as yielding no record because it is empty.
    spans = group_pages([(p.page_number, p.text) for p in pages], empty_sheets={2})
    assert [(s.first_page, s.last_page, s.doc_type) for s in spans] == [
        (1, 1, "birth_register_book"),
        (2, 2, "unknown"),
    ]
    documents = pd.DataFrame([{"file_sha256": "ab" * 32, **s.__dict__} for s in spans])
    source = pd.DataFrame(
        [
            {"file_sha256": "ab" * 32, "first_page": 1, "role": f.role, "status": "found"}
            for f in fields
            if f.role
        ]
    )
    silent = documents_without_records(documents, source)
    assert silent[["first_page", "why"]].values.tolist() == [[2, WHY_EMPTY]]


def test_a_docx_register_table_and_its_paragraphs(tmp_path: Path):
    document = docx.Document()
    document.add_paragraph("SỔ ĐĂNG KÝ KHAI SINH")
    table = document.add_table(rows=1, cols=len(HEADERS))
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = header
    for row in ROWS:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = (
                "" if value is None else value.strftime("%d/%m/%Y") if hasattr(value, "day") else str(value)
            )
    path = tmp_path / "so_khai_sinh.docx"
    document.save(path)

    inspection, pages = pages_of(path)
    assert inspection.kind is FileKind.DOCX and inspection.page_count == 2
    paragraphs, table_page = pages
    assert paragraphs.box_unit == "char" and paragraphs.text == "SỔ ĐĂNG KÝ KHAI SINH"
    assert table_page.box_unit == "cell" and table_page.engine == "python-docx"
    extractor, got, _ = people(pages, classify(paragraphs.text).doc_type)
    check_register(extractor, got)


def to_cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: â ê ô ă ơ ư precomposed, tone marks as combining characters."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        tones = [m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"]
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones))
        out += (letter + "".join(tones)).encode("cp1258")
    return out


def test_a_csv_in_windows_1258_is_read_and_stored_nfc(tmp_path: Path):
    lines = [";".join(HEADERS)] + [";".join("" if v is None else str(v) for v in row) for row in ROWS]
    text = "\n".join(lines).replace("2019-02-01", "01/02/2019")
    path = tmp_path / "so.csv"
    path.write_bytes(to_cp1258(text))
    inspection, pages = pages_of(path)
    assert inspection.kind is FileKind.CSV and inspection.mime == "text/csv"
    assert "encoding cp1258" in pages[0].reason
    assert unicodedata.is_normalized("NFC", pages[0].text)
    extractor, got, _ = people(pages, "birth_register_book")
    check_register(extractor, got)


def test_a_generic_paragraph_document_in_docx_gets_its_person(tmp_path: Path):
    document = docx.Document()
    for line in ("TRÍCH LỤC HỘ TỊCH", "Họ và tên: Trần Thị Hoa", "Ngày sinh: 21/09/1973", "Giới tính: Nữ"):
        document.add_paragraph(line)
    path = tmp_path / "trich_luc.docx"
    document.save(path)
    _, pages = pages_of(path)
    kind = classify(pages[0].text)
    fields, extractor = read_document(pages, kind.doc_type)
    assert (kind.doc_type, extractor) == ("civil_status_extract", "generic")
    assert {(f.role, f.field): f.value for f in fields} == {
        ("person", "full_name"): "Trần Thị Hoa",
        ("person", "birth_date"): "1973-09-21",
        ("person", "sex"): "female",
    }


def _password_xlsx(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    buffer.seek(0)
    with open(path, "wb") as out:
        OOXMLFile(buffer).encrypt("mật-khẩu", out)


def _image_only_docx(path: Path) -> None:
    from PIL import Image

    picture = tmp = path.with_suffix(".png")
    Image.new("RGB", (200, 100), "white").save(tmp)
    document = docx.Document()
    document.add_picture(str(picture))
    document.save(path)
    picture.unlink()


def _tcvn3_csv(path: Path) -> None:
    # `Họ và tên;Nguyễn Văn An` as a TCVN3 (ABC) font stores it: ä = ọ, µ = à, ª = ê, Ô = ễ.
    path.write_bytes("Hä vµ tªn;NguyÔn V¨n An\nSè §DCN;037219000257\n".encode("latin-1"))


def _damaged_xlsx(path: Path) -> None:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    path.write_bytes(buffer.getvalue()[:-200])  # the zip's central directory cut off


@pytest.mark.parametrize(
    ("make", "name", "reason", "words"),
    [
        (_password_xlsx, "bi_mat.xlsx", QuarantineReason.PASSWORD_REQUIRED, "password-protected"),
        (_image_only_docx, "anh.docx", QuarantineReason.NO_TEXT, "only 1 pictures"),
        (_tcvn3_csv, "tcvn3.csv", QuarantineReason.LEGACY_ENCODING, "TCVN3"),
        (_damaged_xlsx, "hong.xlsx", QuarantineReason.DOCUMENT_DAMAGED, "BadZipFile); ask the former unit"),
    ],
)
def test_bad_registers_get_a_clear_reason(tmp_path: Path, make, name, reason, words):
    path = tmp_path / name
    make(path)
    inspection = inspect_file(path)
    assert inspection.quarantine_reason is reason, inspection
    assert words in inspection.detail and inspection.page_count == 0


def test_ods_and_odt_registers_are_read_like_the_others(tmp_path: Path):
    from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    def table_of(rows: list[list[object]]) -> Table:
        table = Table(name="Sổ KS")
        for row in rows:
            tr = TableRow()
            for value in row:
                cell = TableCell()
                text = (
                    ""
                    if value is None
                    else value.strftime("%d/%m/%Y")
                    if hasattr(value, "day")
                    else str(value)
                )
                if text:
                    cell.addElement(P(text=text))
                tr.addElement(cell)
            table.addElement(tr)
        return table

    sheet = OpenDocumentSpreadsheet()
    sheet.spreadsheet.addElement(table_of([["SỔ ĐĂNG KÝ KHAI SINH"], HEADERS, *ROWS]))
    sheet.save(str(tmp_path / "so.ods"))
    inspection, pages = pages_of(tmp_path / "so.ods")
    assert inspection.kind is FileKind.ODS and pages[0].engine == "odfpy"
    check_register(*people(pages, classify(pages[0].text).doc_type)[:2])

    document = OpenDocumentText()
    document.text.addElement(P(text="SỔ ĐĂNG KÝ KHAI SINH"))
    document.text.addElement(table_of([HEADERS, *ROWS]))
    document.save(str(tmp_path / "so.odt"))
    inspection, pages = pages_of(tmp_path / "so.odt")
    assert inspection.kind is FileKind.ODT and [p.box_unit for p in pages] == ["char", "cell"]
    check_register(*people(pages, classify(pages[0].text).doc_type)[:2])


def test_a_semicolon_csv_with_a_title_line_is_read(tmp_path: Path):
    """Excel where the comma is the decimal mark writes `;`; a title line above the header defeats
    csv.Sniffer. Both are read, and the page says which delimiter it used."""
    lines = ["SỔ ĐĂNG KÝ KHAI SINH NĂM 2019;;;;;;;"] + [";".join(HEADERS)]
    for row in ROWS:
        lines.append(
            ";".join(
                "" if v is None else v.strftime("%d/%m/%Y") if hasattr(v, "day") else str(v) for v in row
            )
        )
    path = tmp_path / "so_ks.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    _, pages = pages_of(path)
    assert "delimiter ';'" in pages[0].reason and "encoding" not in pages[0].reason  # plain UTF-8
    check_register(*people(pages, classify(pages[0].text).doc_type)[:2])


def xlsx_register(path: Path, **cells: object) -> list:
    """The pages of an .xlsx register of HEADERS and ROWS written at `path`, `cells` (A1 references)
    set over them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    for reference, value in cells.items():
        sheet[reference] = value
    book.save(path)
    return pages_of(path)[1]


def test_an_id_typed_as_a_number_gets_its_zero_back_and_unsaved_formulas_are_named(tmp_path: Path):
    pages = xlsx_register(
        tmp_path / "so_ks.xlsx",
        E2=37219000257,  # 037219000257 typed into a number cell
        I2="=LEN(B2)",  # openpyxl saves no computed value: a formula without a saved value
        Z60000=".",  # a stray cell far below: the used range is 60,000 rows × 26 columns
    )
    assert "1 formula cells without a saved value read as empty" in pages[0].reason
    # Every value a word (three cells of ROWS are empty), the stray one too.
    assert pages[0].height == 60000 and len(pages[0].words) == 8 * 4 - 3 + 1
    extractor, got, fields = people(pages, "birth_register_book")
    check_register(extractor, got)
    number = next(f for f in fields if (f.entry, f.role, f.field) == (1, "child", "personal_id"))
    assert (number.raw, number.value) == ("37219000257", "037219000257")
    assert "leading_zero_restored:typed_as_number" in number.note


def test_a_birth_date_that_is_a_year_alone_is_a_year_of_birth(tmp_path: Path):
    # C4: not a year alone, a broken date, kept as read.
    pages = xlsx_register(tmp_path / "so_ks.xlsx", C3="năm 2019", C4="2019/")
    _, got, fields = people(pages, "birth_register_book")
    year = next(f for f in fields if (f.entry, f.role) == (2, "child") and f.raw == "năm 2019")
    assert (year.field, year.value, year.note) == ("birth_year", "2019", "year_only:birth_date")
    assert (2, "child", "birth_date") not in got
    broken = next(f for f in fields if (f.entry, f.role, f.field) == (3, "child", "birth_date"))
    assert broken.value == "2019/" and broken.note.startswith("date_error:")


def test_docx_cells_merged_across_and_down_are_read_once_and_named(tmp_path: Path):
    document = docx.Document()
    table = document.add_table(rows=1 + len(ROWS), cols=len(HEADERS))
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = header
    for r, row in enumerate(ROWS, 1):
        for c, value in enumerate(row):
            text = (
                "" if value is None else value.strftime("%d/%m/%Y") if hasattr(value, "day") else str(value)
            )
            table.cell(r, c).text = text
    # The recorder's cell merged down rows 1 and 2; residence and recorder merged across in row 3.
    table.cell(1, 7).merge(table.cell(2, 7)).text = "Lê B"
    table.cell(3, 6).merge(table.cell(3, 7)).text = "Thôn 3, xã Gia Tân"
    path = tmp_path / "so.docx"
    document.save(path)
    _, pages = pages_of(path)
    assert "2 merged cells read from their first cell" in pages[0].reason
    assert "1 cells under a cell merged down took its value" in pages[0].reason
    extractor, got, _ = people(pages, "birth_register_book")
    check_register(extractor, got)
    # Merged down: the recorder belongs to rows 1 and 2. Merged across: row 3's residence is read
    # once, its recorder column is not a second copy of it.
    assert (got[(1, "", "extra:nguoi_ghi_so")], got[(2, "", "extra:nguoi_ghi_so")]) == ("Lê B", "Lê B")
    assert got.get((3, "", "extra:nguoi_ghi_so"), "") == ""


def test_a_mother_merged_down_over_twins_rows_is_each_twins_mother(tmp_path: Path):
    """Twins registered on two rows share one mother's and one residence cell merged down: both rows
    carry them, in .docx and in .xlsx."""
    rows = [list(ROWS[0]), list(ROWS[0])]
    rows[1][0], rows[1][1], rows[1][4] = 2, "Đỗ Minh Khang", None  # the twin, no ID yet
    document = docx.Document()
    table = document.add_table(rows=3, cols=len(HEADERS))
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = header
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if hasattr(value, "day"):
                value = value.strftime("%d/%m/%Y")
            table.cell(r, c).text = "" if value is None else str(value)
    mother = HEADERS.index("Họ tên mẹ")
    table.cell(1, mother).merge(table.cell(2, mother)).text = "Lê Thị Hoa"
    document.save(tmp_path / "twins.docx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    sheet.cell(3, mother + 1).value = None
    sheet.merge_cells(start_row=2, start_column=mother + 1, end_row=3, end_column=mother + 1)
    book.save(tmp_path / "twins.xlsx")
    for name in ("twins.docx", "twins.xlsx"):
        _, pages = pages_of(tmp_path / name)
        assert "1 cells under a cell merged down took its value" in pages[0].reason, name
        _, got, _ = people(pages, "birth_register_book")
        assert (
            got[(1, "child", "full_name")] == ROWS[0][1] and got[(2, "child", "full_name")] == "Đỗ Minh Khang"
        )
        assert got[(1, "mother", "full_name")] == got[(2, "mother", "full_name")] == "Lê Thị Hoa", name
