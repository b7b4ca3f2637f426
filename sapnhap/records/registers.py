"""Register tables: one record per row of a register book (sổ đăng ký hộ tịch) or list.

A register page is a table: column headers printed once (`STT`, `Họ và tên`, `Ngày sinh`,
`Giới tính`, `Số ĐDCN`, `Họ tên mẹ`, `Nơi cư trú`, `Ngày đăng ký`, `Ghi chú` …), then one row per
registration. The same reader serves

- scanned pages (Tesseract's word boxes, px), born-digital PDFs (the text layer's words, pt), and
- born-digital registers (spreadsheets, CSV, word-processor tables; `sapnhap.ocr.sheets`), whose
  pages hold one word per cell with its column and row as its box (box unit `cell`).

How a page is read:

1. its printed lines are rebuilt (`sapnhap.records.extract.build_lines`) and each line split into
   cells at wide gaps (a gap wider than the line's height; each word is a cell on a `cell` page);
2. the header is the first line with at least `MIN_HEADERS` cells that are column headers of
   `sapnhap.records.vocabulary.COLUMN_HEADERS` (`match_header`), one of them a person's name; every
   cell of that line is a column: a mapped one gives its field, kind and role, an unmapped one is
   kept as an extra field `extra:<header key>` of the row (nothing is dropped);
3. each later line's cells go to the column they overlap most (columns span from midway between
   neighbouring headers); a line whose row-number and name cells are both empty continues the row
   above (a wrapped address);
4. the rows end at a signature block (`sapnhap.records.vocabulary.SIGNATURE_LINES`) or the page's
   end; a page without a header of its own continues the columns of the page before (a register's
   next page).

Each row is an entry of the document (numbered from 1 through the document): its person fields
(role None: the row's registered person, `sapnhap.records.generic.primary_role` of the type;
named roles: mother, father, husband, wife …), its own fields (role "": registration number and
date, notes, extra columns) and `register_row`, whose box is the row's box on the page (the
lineage of the row; every value keeps its cell's box). People with none of a name, an ID number or a
birth date or year in the row are not records (an empty father column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sapnhap.ocr.page import PageResult, Word
from sapnhap.records.extract import build_lines
from sapnhap.records.generic import PERSON_EVIDENCE, is_signature_line, primary_role
from sapnhap.records.templates import ValueKind
from sapnhap.records.values import CropReader, ExtractedField, Value, read_field
from sapnhap.records.vocabulary import label_key, match_header

BBox = tuple[float, float, float, float]
# A header line has at least this many cells that are known column headers, one of them a name.
MIN_HEADERS = 3
# Cells are split where the gap between two words is wider than this many line heights.
CELL_GAP = 1.0
ROW_FIELD = "register_row"


@dataclass(frozen=True)
class Column:
    """One column of a register table.

    header: the header cell's text as read. field: the vocabulary field (`full_name` …) or
    `extra:<header key>` for a header the vocabulary does not know (kind text, role ""). kind, role:
    as `sapnhap.records.vocabulary.ColumnHeader` (role None: the row's registered person). left,
    right: the column's span in the page's box unit. words: the header cell's words. score: the
    header match's similarity (0 for an extra column).
    """

    header: str
    field: str
    kind: ValueKind
    role: str | None
    left: float
    right: float
    words: tuple[Word, ...]
    score: float

    @property
    def extra(self) -> bool:
        """Whether the column's header is not in the vocabulary (kept as an extra field)."""
        return self.field.startswith("extra:")


@dataclass
class _Row:
    page: PageResult
    cells: dict[int, list[Word]] = field(default_factory=dict)

    def words(self) -> list[Word]:
        return [w for ws in self.cells.values() for w in ws]


@dataclass(frozen=True)
class RegisterReading:
    """What `read_register` found: the columns (of the last header read), the fields of every entry
    (entry number → fields), and problems in words (no personal data)."""

    columns: tuple[Column, ...]
    entries: dict[int, list[ExtractedField]]
    problems: tuple[str, ...] = ()


def split_cells(words: list[Word], box_unit: str) -> list[list[Word]]:
    """A line's words grouped into table cells, left to right.

    On a `cell` page every word is a cell; otherwise a new cell starts where the gap to the previous
    word is wider than `CELL_GAP` times the line's median word height.
    """
    ordered = sorted(words, key=lambda w: w.left)
    if box_unit == "cell":
        return [[w] for w in ordered]
    if not ordered:
        return []
    heights = sorted(w.height for w in ordered)
    gap = CELL_GAP * heights[len(heights) // 2]
    cells = [[ordered[0]]]
    for word in ordered[1:]:
        last = cells[-1][-1]
        if word.left - (last.left + last.width) > gap:
            cells.append([word])
        else:
            cells[-1].append(word)
    return cells


def _text(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words).strip()


def find_header(cells: list[list[Word]]) -> list[Column] | None:
    """The columns of a header line (its cells), or None when it is not one: fewer than
    `MIN_HEADERS` cells are known headers, or none of them is the registered person's or a named
    person's full name."""
    matches = [match_header(_text(cell)) for cell in cells]
    known = [m for m in matches if m is not None]
    if len(known) < MIN_HEADERS or not any(m.field == "full_name" for m in known):
        return None
    spans = [(min(w.left for w in c), max(w.left + w.width for w in c)) for c in cells]
    columns: list[Column] = []
    for i, (cell, match) in enumerate(zip(cells, matches, strict=True)):
        left = float("-inf") if i == 0 else (spans[i - 1][1] + spans[i][0]) / 2
        right = float("inf") if i == len(cells) - 1 else (spans[i][1] + spans[i + 1][0]) / 2
        header = _text(cell)
        if match is None:
            key = label_key(header).replace(" ", "_")[:56] or f"column_{i + 1}"
            columns.append(Column(header, f"extra:{key}", "text", "", left, right, tuple(cell), 0.0))
        else:
            columns.append(
                Column(header, match.field, match.kind, match.role, left, right, tuple(cell), match.score)
            )
    return columns


def _column_of(cell: list[Word], columns: list[Column], box_unit: str) -> int | None:
    """The column a cell overlaps most (None: outside every column)."""
    left = min(w.left for w in cell)
    right = max(w.left + w.width for w in cell)
    if box_unit == "cell":
        centre = (left + right) / 2
        for i, column in enumerate(columns):
            if column.left <= centre < column.right:
                return i
        return None
    best, best_overlap = None, 0.0
    for i, column in enumerate(columns):
        overlap = min(right, column.right) - max(left, column.left)
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    return best


def has_register_table(pages: Sequence[PageResult]) -> bool:
    """Whether any of the pages holds a register table header (`find_header` on one of its lines)."""
    for page in pages:
        for words in build_lines(page):
            if find_header(split_cells(words, page.box_unit)) is not None:
                return True
    return False


def read_register(
    pages: Sequence[PageResult], doc_type: str, crop_reader: CropReader | None = None
) -> RegisterReading:
    """Every row of the register tables of a document's pages, as entries of person and row fields.

    Args:
        pages: the document's pages in order (OCR, text layer, or `cell` pages of a spreadsheet).
        doc_type: the document's type; chooses the role of the row's registered person
            (`primary_role`: `child` in a birth register, `deceased` in a death register …).
        crop_reader: re-reads small or doubtful OCR cells, as for the templates (None: no re-reading).

    Returns:
        A `RegisterReading`: entries numbered from 1 in reading order, each a list of
        `ExtractedField` (status found) with `entry` set; `problems` names pages with a table whose
        header could not be found. Never raises on unreadable text.
    """
    primary = primary_role(doc_type)
    columns: list[Column] | None = None
    rows: list[_Row] = []
    problems: list[str] = []
    for page in pages:
        page_rows: list[_Row] = []
        signed = False
        for words in build_lines(page):
            if signed:
                break
            text = _text(words)
            if is_signature_line(text):
                signed = True
                continue
            cells = split_cells(words, page.box_unit)
            header = find_header(cells)
            if header is not None:
                columns = header
                continue
            if columns is None:
                continue
            placed: dict[int, list[Word]] = {}
            for cell in cells:
                index = _column_of(cell, columns, page.box_unit)
                if index is not None:
                    placed.setdefault(index, []).extend(cell)
            if not placed:
                continue
            # A typed register (a `cell` page) has no wrapped lines: every row is a row.
            if page_rows and page.box_unit != "cell" and _continues(placed, columns):
                for index, ws in placed.items():
                    page_rows[-1].cells.setdefault(index, []).extend(ws)
            else:
                page_rows.append(_Row(page, placed))
        if columns is None:
            problems.append(f"page {page.page_number}: no register table header found")
        rows.extend(page_rows)
    entries: dict[int, list[ExtractedField]] = {}
    for number, row in enumerate(rows, 1):
        fields = _row_fields(row, columns or [], primary, crop_reader, number)
        if fields:
            entries[number] = fields
    return RegisterReading(tuple(columns or ()), entries, tuple(problems))


def _continues(placed: dict[int, list[Word]], columns: list[Column]) -> bool:
    """Whether a line's cells continue the row above (a wrapped address): both its row-number cell
    and its registered person's name cell are empty (either alone may be a misread or a blank; a
    table with neither column has no wrapped rows)."""
    keys = [
        i
        for i, c in enumerate(columns)
        if c.field == "row_number" or (c.field == "full_name" and c.role is None)
    ]
    if not keys:
        return False
    return not any(any(ch.isalnum() for ch in w.text) for key in keys for w in placed.get(key, []))


def _row_fields(
    row: _Row, columns: list[Column], primary: str, crop_reader: CropReader | None, entry: int
) -> list[ExtractedField]:
    out: list[ExtractedField] = []
    by_role: dict[str, list[ExtractedField]] = {}
    for index, column in enumerate(columns):
        words = row.cells.get(index, [])  # line by line, left to right within a line
        role = primary if column.role is None else column.role
        value = Value(words, _text(words), row.page, list(column.words))
        extracted = replace(
            restore_leading_zero(read_field(role, column.field, column.kind, value, crop_reader)),
            entry=entry,
        )
        by_role.setdefault(role, []).append(extracted)
    for role, fields in by_role.items():
        if role and not any(f.field in PERSON_EVIDENCE and f.raw for f in fields):
            continue  # nobody in this column group (an empty father column)
        out.extend(fields)
    if not any(f.role for f in out):
        return []
    words = row.words()
    left = min(w.left for w in words)
    top = min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    page = row.page
    out.append(
        ExtractedField(
            role="",
            field=ROW_FIELD,
            raw=f"page {page.page_number}",
            value=str(entry),
            confidence=None,
            page=page.page_number,
            bbox=(left, top, right - left, bottom - top),
            method=page.method if page.method != "failed" else "",
            engine_version=page.engine_version,
            file_sha256=page.file_sha256,
            box_unit=page.box_unit,
            engine=page.engine,
            entry=entry,
        )
    )
    return out


ZERO_LOST_LENGTHS = {11: 12, 8: 9}
"""Digits of an ID number typed into a spreadsheet as a number → the number's length: a 12-digit
personal identification number always begins with 0 (its first three digits are the province code,
001 to 096: Decree 137/2015/NĐ-CP Art. 13, Circular 07/2016/TT-BCA Appendix I; see
`sapnhap.reference.personal_id`) and a 9-digit CMND of the provinces numbered 01 to 09
does too, so an 11- or 8-digit value is that number with its leading zero dropped."""


def restore_leading_zero(extracted: ExtractedField) -> ExtractedField:
    """A spreadsheet cell's ID number with the leading zero the spreadsheet dropped put back, noted
    `leading_zero_restored:typed_as_number` (Excel stores `001085012345` typed into a number cell as
    1085012345 and writes it so to CSV). Only a `personal_id` read from cells (box unit `cell`) whose
    value is all digits of a length in ZERO_LOST_LENGTHS changes; anything else is returned as is."""
    value = extracted.value
    if (
        extracted.field != "personal_id"
        or extracted.box_unit != "cell"
        or not value.isdigit()
        or len(value) not in ZERO_LOST_LENGTHS
    ):
        return extracted
    note = ";".join(n for n in (extracted.note, "leading_zero_restored:typed_as_number") if n)
    return replace(extracted, value=value.zfill(ZERO_LOST_LENGTHS[len(value)]), note=note)
