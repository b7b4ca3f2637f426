"""Born-digital registers: spreadsheets, CSV and word-processor files read as pages of cells.

A commune's most accurate records are often typed: a birth register kept in Excel, a staff list in
Word. They are read, not printed and scanned again. Each file becomes pages the rest of the pipeline
reads like any other (`PageResult`, method `text_layer`: typed text, no confidences; box unit `cell`
or `char`):

- `.xlsx` (openpyxl), `.xls` (xlrd), `.ods` (odfpy): one page per sheet;
- `.csv`: one page (UTF-8, with or without BOM, or Windows-1258, decoded and stored NFC);
- `.docx` (python-docx), `.odt` (odfpy): one page per table, then one page of the paragraphs when
  they hold text.

On a table page every non-empty cell is one word whose box is its column and row (box unit `cell`:
left = column index, top = row index, width = height = 1, line = row), so the register reader
(`sapnhap.records.registers`) finds the header row and reads one record per row, with the cell as
lineage. A paragraph page holds one line per paragraph, one word per token (box unit `char`: left =
the token's character offset, top = the paragraph index). Page text is the rows' cells joined by
" | ", one row per line (what the document typer reads for a title).

Files are read from their bytes, never by name: the archive keeps them by hash, without extension.

`inspect_sheets(path, kind)` is what intake asks: the page count, or why the file cannot be read
(password-protected, damaged, TCVN3/VNI-encoded CSV, a document with only pictures); the reason's
detail says what to ask the former unit for. `read_sheet_page(path, kind, index)` reads one page.
Merged cells are read from their first (top-left) cell and named in the page's `reason`; an empty
sheet is a page without words, with reason `empty_sheet`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sapnhap.ocr.page import PageResult, Word
from sapnhap.text import legacy_encoding, nfc

SHEET_KINDS = ("xlsx", "xls", "ods", "csv", "docx", "odt")
CELL_UNIT = "cell"
CHAR_UNIT = "char"
EMPTY_SHEET_REASON = "empty_sheet"
"""Part of a page's `reason` when the sheet or table holds no value (the page has no words)."""
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
# A CSV larger than this is not decoded whole to guess its encoding (the first part decides).
_SNIFF_BYTES = 1 << 20


class SheetUnreadable(ValueError):
    """A born-digital register that cannot be read. `reason` is the quarantine reason's value
    (`password_required`, `document_damaged`, `legacy_encoding`, `no_text`, `no_pages`) and the
    message says what to do."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SheetPage:
    """One page of a born-digital file: its name (sheet name, `table 2`, `paragraphs`), rows of cell
    texts (NFC, "" for an empty cell) or, for paragraphs, one row per paragraph with one cell, and
    notes (merged cells …)."""

    name: str
    rows: tuple[tuple[str, ...], ...]
    paragraphs: bool = False
    notes: tuple[str, ...] = ()


def sheet_kind_of(mime: str, header: bytes, path: Path) -> str | None:
    """The born-digital kind of a file from its detected MIME type, first bytes and name, or None.

    xlsx/docx/ods/odt by MIME (content); an OLE2 compound file (`D0 CF 11 E0`) is `xls` when it holds
    a workbook stream, `xlsx` when it is an encrypted Office package (password-protected `.xlsx`
    or `.docx`; then `inspect_sheets` says so); `csv` for a `.csv` name whose first bytes hold no
    NUL byte (text).
    """
    by_mime = {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
        "application/vnd.oasis.opendocument.spreadsheet": "ods",
        "application/vnd.oasis.opendocument.text": "odt",
        "application/vnd.ms-excel": "xls",
    }
    if header.startswith(_CFB_MAGIC):  # filetype's guess for a compound file is often wrong
        data = _head(path)
        if _ENCRYPTED in data:
            return "xlsx" if path.suffix.lower() != ".docx" else "docx"
        if any(stream in data for stream in _XLS_STREAMS):
            return "xls"
        return None
    if mime in by_mime:
        return by_mime[mime]
    if path.suffix.lower() == ".csv" and b"\x00" not in header:
        return "csv"
    return None


def header_is_cfb(path: Path) -> bool:
    """Whether a file is an OLE2 compound file (`.xls`, `.doc`, or an encrypted Office package)."""
    return _head(path, len(_CFB_MAGIC)) == _CFB_MAGIC


def _head(path: Path, limit: int = 8 << 20) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(limit)


def inspect_sheets(path: Path, kind: str) -> int:
    """The number of pages of a born-digital file (`read_sheets`).

    Raises:
        SheetUnreadable: password-protected, damaged, legacy-encoded (TCVN3/VNI) CSV, a
            word-processor file with neither text nor tables (only pictures), or no page at all.
    """
    pages = read_sheets(Path(path), kind)
    if not pages:
        raise SheetUnreadable("no_pages", "the file holds no sheet, table or text")
    return len(pages)


def read_sheet_page(path: Path, kind: str, index: int, file_sha256: str) -> PageResult:
    """Page `index` (0-based) of a born-digital file as a `PageResult` (method `text_layer`).

    Raises:
        SheetUnreadable: as `inspect_sheets`; IndexError when the file has fewer pages.
    """
    page = read_sheets(Path(path), kind)[index]
    return to_page_result(page, index + 1, file_sha256, kind)


def to_page_result(page: SheetPage, number: int, file_sha256: str, kind: str) -> PageResult:
    """A `SheetPage` as a `PageResult`: a word per non-empty cell (box unit `cell`) or per token of a
    paragraph (box unit `char`), no confidences (typed text), the engine the reader's library."""
    words: list[Word] = []
    lines: list[str] = []
    for r, row in enumerate(page.rows):
        lines.append(" | ".join(cell for cell in row if cell))
        if page.paragraphs:
            offset = 0
            for token in row[0].split(" "):
                if token:
                    words.append(Word(token, float(offset), float(r), float(len(token)), 1.0, None, 0, r))
                offset += len(token) + 1
            continue
        for c, cell in enumerate(row):
            if cell:
                words.append(Word(cell, float(c), float(r), 1.0, 1.0, None, 0, r))
    reasons = [f"{kind}:{page.name}"] + list(page.notes)
    if not words:
        reasons.append(EMPTY_SHEET_REASON)
    engine, version = _ENGINES[kind]()
    return PageResult(
        file_sha256=file_sha256,
        page_number=number,
        method="text_layer",
        reason="; ".join(reasons),
        text="\n".join(line for line in lines if line),
        engine=engine,
        engine_version=version,
        width=float(max((len(r) for r in page.rows), default=0)),
        height=float(len(page.rows)),
        box_unit=CHAR_UNIT if page.paragraphs else CELL_UNIT,
        words=words,
    )


def _version(module: str) -> tuple[str, str]:
    from importlib.metadata import version

    return module, version(module)


_ENGINES = {
    "xlsx": lambda: _version("openpyxl"),
    "xls": lambda: _version("xlrd"),
    "ods": lambda: _version("odfpy"),
    "odt": lambda: _version("odfpy"),
    "docx": lambda: _version("python-docx"),
    "csv": lambda: ("python-csv", "stdlib"),
}


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, kind: str, mtime: float, size: int) -> tuple[SheetPage, ...]:
    readers = {
        "xlsx": _read_xlsx,
        "xls": _read_xls,
        "ods": _read_ods,
        "csv": _read_csv,
        "docx": _read_docx,
        "odt": _read_odt,
    }
    if kind not in readers:
        raise ValueError(f"not a born-digital register kind: {kind!r}; known: {', '.join(SHEET_KINDS)}")
    return tuple(readers[kind](Path(path)))


def read_sheets(path: Path, kind: str) -> list[SheetPage]:
    """Every page of a born-digital file, in order (cached per file while it is unchanged).

    Raises:
        SheetUnreadable: see `inspect_sheets`. ValueError: for a kind outside `SHEET_KINDS`.
    """
    path = Path(path)
    stat = path.stat()
    return list(_read_cached(str(path), kind, stat.st_mtime, stat.st_size))


def _cell(value: object) -> str:
    """A cell's value as text, NFC, whitespace collapsed: whole numbers without `.0`, dates and
    date-times as their ISO date."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        # A date cell typed with a time of day (08:30) is still the date: the register's dates are days.
        value = value.isoformat()[:10]
    return " ".join(nfc(str(value)).split())


def _encrypted_or_damaged(path: Path, exc: Exception) -> SheetUnreadable:
    if _head(path, 8).startswith(_CFB_MAGIC) and _ENCRYPTED in _head(path):
        return SheetUnreadable(
            "password_required",
            "the file is password-protected; ask the former unit for a copy without a password",
        )
    return SheetUnreadable(
        "document_damaged",
        f"the file cannot be opened ({type(exc).__name__}); ask the former unit for a new copy",
    )


def _sheet_rows(values: Iterable[Sequence[object]]) -> tuple[tuple[str, ...], ...]:
    """Rows of cell values as text, each without its trailing empty cells, the trailing empty rows
    dropped. Empty rows share one tuple: a stray cell at row 1,048,576 costs a list of references,
    not a million rows of cells."""
    rows: list[tuple[str, ...]] = []
    empty: tuple[str, ...] = ()
    for row in values:
        if all(v is None or v == "" for v in row):
            rows.append(empty)
            continue
        cells = [_cell(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        rows.append(tuple(cells))
    while rows and not rows[-1]:
        rows.pop()
    return tuple(rows)


def _fill_down(
    rows: tuple[tuple[str, ...], ...], spans: Iterable[tuple[int, int, int]]
) -> tuple[tuple[tuple[str, ...], ...], int]:
    """`rows` with each cell merged down repeated into the rows it spans, and how many cells were
    filled. `spans` are (first row, last row, column), 0-based and inclusive: in a register a cell
    merged over two rows (twins' mother, a shared residence) holds the value of both rows, and a row
    read without it would lose a field. A cell merged across columns keeps its value in its first
    column only (the others are not fields of their own)."""
    out = [list(r) for r in rows]
    filled = 0
    for first, last, column in spans:
        if first >= len(out) or column >= len(out[first]) or not out[first][column]:
            continue
        for r in range(first + 1, min(last, len(out) - 1) + 1):
            row = out[r]
            row.extend([""] * (column + 1 - len(row)))
            if not row[column]:
                row[column] = out[first][column]
                filled += 1
    return tuple(tuple(r) for r in out), filled


def _merge_notes(ranges: int, filled: int, *, unit: str = "merged cell ranges") -> tuple[str, ...]:
    """The page notes of merged cells: how many, and how many cells the ones merged down filled."""
    if not ranges:
        return ()
    notes = [f"{ranges} {unit} read from their first cell"]
    if filled:
        notes.append(
            f"{filled} cells under a cell merged down took its value (a value merged over several "
            "rows of a register belongs to each of them)"
        )
    return tuple(notes)


def _xml_holds(data: bytes, marker: bytes) -> bool:
    """True when any worksheet XML of the .xlsx `data` holds `marker` (`<f` for a formula,
    `<mergeCell ` for a merged range): the costlier reads are done only for such workbooks."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as member:
                    if marker in member.read():
                        return True
    return False


def _read_xlsx(path: Path) -> list[SheetPage]:
    """Sheets streamed (openpyxl read-only: no cell object is made for an empty position, so a used
    range inflated by one stray cell costs nothing); formula cells without a saved value counted from
    a second stream of the formulas; merged ranges from a full load, only where the XML has any."""
    import openpyxl

    data = path.read_bytes()
    try:
        # From the bytes: the archive keeps files by hash, without the extension openpyxl looks at.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = (
            openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            if _xml_holds(data, b"<f")
            else None
        )
        merged = (
            {
                s.title: [(r.min_row - 1, r.max_row - 1, r.min_col - 1) for r in s.merged_cells.ranges]
                for s in openpyxl.load_workbook(io.BytesIO(data)).worksheets
            }
            if _xml_holds(data, b"<mergeCell ")
            else {}
        )
    except Exception as exc:  # zip, XML or format errors: one clear reason, never a crash
        raise _encrypted_or_damaged(path, exc) from exc
    pages = []
    for index, sheet in enumerate(book.worksheets):
        if not hasattr(sheet, "iter_rows"):  # a chart sheet holds no cells
            continue
        # A <dimension> tag some programs write wrong (`A1`) would cut the rows: read every cell.
        sheet.reset_dimensions()
        rows = _sheet_rows(sheet.iter_rows(values_only=True))
        spans = merged.get(sheet.title, [])
        rows, filled = _fill_down(rows, spans)
        notes = list(_merge_notes(len(spans), filled))
        if formulas is not None:
            unsaved = 0
            formulas.worksheets[index].reset_dimensions()
            formula_rows = formulas.worksheets[index].iter_rows(values_only=True)
            streams = zip(sheet.iter_rows(values_only=True), formula_rows, strict=False)
            for values, formula_row in streams:
                unsaved += sum(
                    1
                    for v, f in zip(values, formula_row, strict=False)
                    if v is None and isinstance(f, str) and f.startswith("=")
                )
            if unsaved:
                notes.append(
                    f"{unsaved} formula cells without a saved value read as empty (the file was not "
                    "saved by a spreadsheet program that computes them; open and save it in one)"
                )
        pages.append(SheetPage(sheet.title, rows, notes=tuple(notes)))
    book.close()
    if formulas is not None:
        formulas.close()
    return pages


def _read_xls(path: Path) -> list[SheetPage]:
    import xlrd

    if _ENCRYPTED in _head(path):
        raise _encrypted_or_damaged(path, ValueError("encrypted"))
    try:
        book = xlrd.open_workbook(file_contents=path.read_bytes(), formatting_info=False)
    except Exception as exc:
        raise _encrypted_or_damaged(path, exc) from exc
    pages = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            cells = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    value = xlrd.xldate.xldate_as_datetime(value, book.datemode).date()
                cells.append(_cell(value))
            rows.append(tuple(cells))
        spans = [(rlo, rhi - 1, clo) for rlo, rhi, clo, _chi in sheet.merged_cells]
        filled_rows, filled = _fill_down(tuple(rows), spans)
        pages.append(SheetPage(sheet.name, filled_rows, notes=_merge_notes(len(spans), filled)))
    return pages


def _odf_text(element) -> str:  # noqa: ANN001 - an odfpy element
    from odf import teletype

    return teletype.extractText(element)


def _odf_tables(document) -> list[SheetPage]:  # noqa: ANN001 - an odfpy document
    from odf.table import Table, TableRow

    pages = []
    for t, table in enumerate(document.getElementsByType(Table), 1):
        rows = []
        covered = 0
        spans: list[tuple[int, int, int]] = []
        for row in table.getElementsByType(TableRow):
            repeat_rows = int(row.getAttribute("numberrowsrepeated") or 1)
            cells: list[str] = []
            for cell in row.childNodes:
                if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                    continue
                repeat = int(cell.getAttribute("numbercolumnsrepeated") or 1)
                # odfpy's element classes are factories, not types: elements are told by their name.
                if cell.qname[1] == "covered-table-cell":
                    covered += 1
                elif int(cell.getAttribute("numberrowsspanned") or 1) > 1:
                    down = int(cell.getAttribute("numberrowsspanned"))
                    spans.append((len(rows), len(rows) + down - 1, len(cells)))
                text = _cell(_odf_text(cell)) if cell.qname[1] == "table-cell" else ""
                cells.extend([text] * min(repeat, 256))
            while cells and not cells[-1]:
                cells.pop()
            rows.extend([tuple(cells)] * min(repeat_rows, 1 if not any(cells) else repeat_rows))
        while rows and not any(rows[-1]):
            rows.pop()
        name = table.getAttribute("name") or f"table {t}"
        filled_rows, filled = _fill_down(tuple(rows), spans)
        notes = _merge_notes(covered, filled, unit="merged (covered) cells")
        pages.append(SheetPage(name, filled_rows, notes=notes))
    return pages


def _read_ods(path: Path) -> list[SheetPage]:
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(path.read_bytes()))
    except Exception as exc:
        raise _encrypted_or_damaged(path, exc) from exc
    return _odf_tables(document)


def _read_odt(path: Path) -> list[SheetPage]:
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(path.read_bytes()))
    except Exception as exc:
        raise _encrypted_or_damaged(path, exc) from exc
    pages = _odf_tables(document)
    paragraphs = []
    for element in document.text.childNodes:  # top-level paragraphs and headings only (not in tables)
        if getattr(element, "qname", ("", ""))[1] in ("p", "h"):
            text = _cell(_odf_text(element))
            if text:
                paragraphs.append((text,))
    if paragraphs:
        pages.insert(0, SheetPage("paragraphs", tuple(paragraphs), paragraphs=True))
    if not pages:
        raise _no_text(path)
    return pages


def _no_text(path: Path) -> SheetUnreadable:
    pictures = 0
    try:
        with zipfile.ZipFile(path) as archive:
            pictures = sum(n.startswith(("word/media/", "Pictures/")) for n in archive.namelist())
    except zipfile.BadZipFile:
        pass
    what = f"only {pictures} pictures" if pictures else "nothing"
    return SheetUnreadable(
        "no_text",
        f"the document holds no text and no table ({what}): its pages are pictures; ask the former unit "
        "for the typed original, or scan or export the pictures and hand them over as images",
    )


def _read_docx(path: Path) -> list[SheetPage]:
    import docx

    try:
        document = docx.Document(io.BytesIO(path.read_bytes()))
    except Exception as exc:
        raise _encrypted_or_damaged(path, exc) from exc
    pages = []
    paragraphs = tuple((t,) for p in document.paragraphs if (t := _cell(p.text)))
    if paragraphs:
        pages.append(SheetPage("paragraphs", paragraphs, paragraphs=True))
    for t, table in enumerate(document.tables, 1):
        rows = []
        merged = 0
        filled = 0
        # The cells' XML elements met so far, by identity, with their first (row, column) (the
        # element kept alive: lxml may give a freed proxy's id to another element).
        seen: dict[int, tuple[object, int, int]] = {}
        for r, row in enumerate(table.rows):
            cells = []
            for c, cell in enumerate(row.cells):
                # python-docx gives a merged cell once per grid column it spans and once per row it
                # spans downwards (`vMerge`), as the same element. Across columns: read from its
                # first column only. Down rows: the value belongs to each row it spans (twins'
                # mother, a shared residence), so its first column repeats it, as `_fill_down`.
                element = id(cell._tc)
                if element in seen:
                    _, first_row, first_column = seen[element]
                    merged += 1
                    text = _cell(cell.text) if first_row < r and first_column == c else ""
                    filled += bool(text)
                    cells.append(text)
                    continue
                seen[element] = (cell._tc, r, c)
                cells.append(_cell(cell.text))
            rows.append(tuple(cells))
        notes = _merge_notes(merged, filled, unit="merged cells")
        pages.append(SheetPage(f"table {t}", tuple(rows), notes=notes))
    if not pages:
        raise _no_text(path)
    return pages


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in (`utf-8`, `utf-8-sig`, `cp1258`).

    Raises:
        SheetUnreadable: `legacy_encoding` when the bytes are TCVN3 (ABC) or VNI text (8-bit fonts
            of before Unicode; `sapnhap.text.legacy_encoding` tells), which no standard codec
            decodes: the former unit re-saves it as UTF-8.
    """
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1258", errors="replace"), "cp1258"
    legacy = legacy_encoding(nfc(text[:_SNIFF_BYTES]))
    if legacy:
        raise SheetUnreadable(
            "legacy_encoding",
            f"the CSV is typed in the {legacy.upper()} encoding (an 8-bit Vietnamese font of before "
            "Unicode); open it in the font it was typed in and save it as CSV UTF-8",
        )
    return nfc(text), encoding


CSV_DELIMITERS = ",;\t|"


def csv_delimiter(text: str) -> str:
    """The delimiter of CSV `text`: the one of CSV_DELIMITERS that splits the most of its first 50
    non-blank lines into the same number (at least 2) of fields. A title line above the header (`SỔ
    ĐĂNG KÝ KHAI SINH;;;`) or a European CSV (`;`, written by Excel where `,` is the decimal mark)
    defeats `csv.Sniffer`, which wants every line alike. "," when no candidate splits any line."""
    lines = [line for line in text[:_SNIFF_BYTES].splitlines() if line.strip()][:50]
    best, best_rows = ",", 0
    for delimiter in CSV_DELIMITERS:
        widths: dict[int, int] = {}
        for row in csv.reader(lines, delimiter=delimiter):
            if len(row) >= 2:
                widths[len(row)] = widths.get(len(row), 0) + 1
        rows = max(widths.values(), default=0)
        if rows > best_rows:
            best, best_rows = delimiter, rows
    return best


def _read_csv(path: Path) -> list[SheetPage]:
    text, encoding = decode_csv(path.read_bytes())
    delimiter = csv_delimiter(text)
    rows = _sheet_rows(csv.reader(io.StringIO(text), delimiter=delimiter))
    notes = [f"encoding {encoding}"] if encoding != "utf-8" else []
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r}")
    return [SheetPage(path.stem, rows, notes=tuple(notes))]
