"""Review spreadsheets: the open review items written out for archivists, and their filled sheets read
back and validated whole before anything is applied.

Dagster-free. An archivist gets one sheet per new unit (XLSX, and the same as CSV), one row per open
item with its evidence and empty decision columns:

- `accept`, `reject`, `release`: mark with `x` (also accepted: yes, y, có, 1, true);
- `corrected_value`: the right value of a field, in the form the register uses (a date as
  `dd/mm/yyyy` or ISO, an ID number's digits, a name with its diacritics); for a quarantined record,
  which field: `birth_date = 12/04/2001`;
- `note`: why; `reviewer`: who decided (required with any decision).

What each kind of item takes (`ACTIONS`): a merge candidate is accepted (the same person) or
rejected (two people); an uncertain OCR field is accepted as read or given its corrected value; a
validation failure is released (loaded as it is, on the archivist's word), corrected, or rejected
(kept in quarantine); a validation failure that is a quarantined file is released (read as it is)
or rejected, and only rejected when it has no page to read (`ItemState.actions`). A row without any mark stays open. `validate_sheet` returns every problem of
the sheet at once (unknown item, invalid value, an item already decided, two decisions on one
row ...); nothing of a sheet with a problem may be applied.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sapnhap.records.normalise import normalise_personal_id, normalise_text, parse_date, title_case_name
from sapnhap.text import nfc

KINDS = ("merge_candidate", "uncertain_field", "validation_failure")
EVIDENCE_COLUMNS = ["item_id", "kind", "new_unit", "question", "left", "right", "score", "details", "where"]
DECISION_COLUMNS = ["accept", "reject", "corrected_value", "release", "note", "reviewer"]
COLUMNS = EVIDENCE_COLUMNS + DECISION_COLUMNS
ACTIONS: dict[str, tuple[str, ...]] = {
    "merge_candidate": ("accept", "reject"),
    "uncertain_field": ("accept", "corrected_value"),
    "validation_failure": ("release", "corrected_value", "reject"),
}
"""The decisions each kind of item takes."""
MARKS = frozenset({"x", "yes", "y", "có", "co", "1", "true", "đúng"})
"""Cell values that mark accept / reject / release (case-insensitive); an empty cell is no mark."""
DATE_FIELDS = frozenset(
    {"birth_date", "registration_date", "death_time", "received_date", "appointment_date"}
)
DATE_FIELDS |= {"recruited_date", "declared_at"}
NAME_FIELDS = frozenset({"full_name", "father_name", "mother_name"})
ID_FIELDS = frozenset({"personal_id"})
CORRECTABLE_FIELDS = frozenset(
    {"full_name", "birth_date", "birth_year", "sex", "personal_id", "ethnicity", "nationality", "hometown"}
    | {"birth_place", "residence", "registration_date", "registration_place", "death_time", "death_place"}
    | {"death_cause", "received_date", "appointment_date", "recruited_date", "declared_at"}
)
"""Fields a correction of a quarantined record may name (`field = value`)."""
SEX_VALUES = {"nam": "male", "male": "male", "nữ": "female", "nu": "female", "female": "female"}


@dataclass(frozen=True)
class SheetRow:
    """One open item as the archivist sees it: what to decide (`question`), the evidence on the left
    and right (for a pair, both records; for a field, what was read and the page), a score (match
    probability or OCR confidence), details (each comparison's weight, the rules broken) and where
    to look (file and page, the page image or crop in the archive)."""

    item_id: str
    kind: str
    new_unit: str
    question: str
    left: str
    right: str = ""
    score: str = ""
    details: str = ""
    where: str = ""
    left_masked: str = ""  # left and right as the UI shows them (`sapnhap.review.masking`), not on the sheet
    right_masked: str = ""


@dataclass(frozen=True)
class ItemState:
    """What the database knows of an item when a sheet comes back: its kind, its status ("open",
    "decided", "withdrawn") and, for a field item, the field a corrected value is for. `actions`
    narrows the decisions its kind takes (`ACTIONS`) for this item, `why` says why: a quarantined
    file takes release or reject, and only reject when it has no page that could be read."""

    kind: str
    status: str
    field: str = ""
    actions: tuple[str, ...] = ()
    why: str = ""

    def allowed(self) -> tuple[str, ...]:
        """The decisions this item takes: `actions` if set, else its kind's."""
        return self.actions or ACTIONS.get(self.kind, ())


@dataclass(frozen=True)
class Decision:
    """A valid decision read from a sheet: `action` is "accept", "reject", "release" or "correct"
    (with `value`, the corrected value normalised as the register stores it, for `field`); `row` the
    sheet row (1 = the header)."""

    item_id: str
    kind: str
    action: str
    value: str | None
    note: str
    reviewer: str
    row: int
    field: str = ""


@dataclass(frozen=True)
class Problem:
    """Why a sheet cannot be applied: the row (1 = the header; 0 for the whole file), the item, what
    is wrong."""

    row: int
    item_id: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "sheet"
        return f"{where}{f' ({self.item_id})' if self.item_id else ''}: {self.message}"


def write_sheet(rows: Sequence[SheetRow], xlsx_path: str | Path, csv_path: str | Path) -> None:
    """Write `rows` as an XLSX workbook (sheet "review": header frozen, decision columns shaded, a
    drop-down `x` for the marks; sheet "how to" explaining each column) and as UTF-8 CSV (with a BOM,
    so spreadsheet programs read the diacritics). Folders are created. Values are NFC."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    xlsx_path, csv_path = Path(xlsx_path), Path(csv_path)
    xlsx_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    values = [[_nfc(getattr(r, c)) for c in EVIDENCE_COLUMNS] + [""] * len(DECISION_COLUMNS) for r in rows]
    book = Workbook()
    sheet = book.active
    sheet.title = "review"
    sheet.append(COLUMNS)
    for row in values:
        sheet.append(row)
    bold, shade = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    widths = {"item_id": 28, "question": 40, "left": 50, "right": 50, "details": 40, "where": 40}
    for i, name in enumerate(COLUMNS, 1):
        letter = sheet.cell(row=1, column=i).column_letter
        sheet.cell(row=1, column=i).font = bold
        sheet.column_dimensions[letter].width = widths.get(name, 14)
        if name in DECISION_COLUMNS:
            for r in range(1, len(values) + 2):
                sheet.cell(row=r, column=i).fill = shade
                # Text cells: an ID number typed in keeps its leading zeros.
                sheet.cell(row=r, column=i).number_format = "@"
        for r in range(2, len(values) + 2):
            sheet.cell(row=r, column=i).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    marks = DataValidation(type="list", formula1='"x"', allow_blank=True)
    sheet.add_data_validation(marks)
    for name in ("accept", "reject", "release"):
        letter = sheet.cell(row=1, column=COLUMNS.index(name) + 1).column_letter
        marks.add(f"{letter}2:{letter}{max(len(values) + 1, 2)}")
    guide = book.create_sheet("how to")
    for line in _GUIDE:
        guide.append(line)
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["B"].width = 110
    book.save(xlsx_path)
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(values)


_GUIDE = [
    ("column", "what to do"),
    ("item_id", "do not change: it names the item"),
    ("question", "what is to be decided"),
    ("left / right", "the evidence: for a pair, both records side by side; for a field, what was read"),
    ("score", "match probability of a pair (0–1), or OCR confidence of a field (0–100)"),
    ("where", "file and page, and the page image or field crop in the archive"),
    ("accept", "x: the pair is one person / the reading is right"),
    ("reject", "x: the pair is two people / the record or file stays in quarantine"),
    (
        "corrected_value",
        "the right value (a date dd/mm/yyyy, an ID number's 12 digits, a name with its marks)",
    ),
    ("release", "x: load the quarantined record as it is / read the quarantined file as it is"),
    ("note", "why (kept with the decision)"),
    ("reviewer", "your name (required with any decision)"),
    ("", "One decision per row; leave a row empty to keep it open. Save and drop the file into reviews/."),
]


def read_sheet(path: str | Path) -> tuple[list[dict[str, str]], list[Problem]]:
    """The rows of a filled sheet (XLSX or CSV) as column → text (NFC, stripped; the sheet's row
    number under "_row"), and the problems of the file itself (unreadable, not a review sheet,
    columns missing). Rows entirely empty are skipped."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            sheet = book["review"] if "review" in book.sheetnames else book.worksheets[0]
            table = [list(r) for r in sheet.iter_rows(values_only=True)]
            book.close()
        elif path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                table = [list(r) for r in csv.reader(handle)]
        else:
            return [], [Problem(0, "", f"{path.name}: not a review sheet (.xlsx or .csv)")]
    except UnicodeDecodeError:
        return [], [
            Problem(
                0,
                "",
                f"{path.name} is not UTF-8 text (a spreadsheet program saved it in another encoding, "
                "e.g. Windows-1258): save it as 'CSV UTF-8' or as .xlsx and drop it again",
            )
        ]
    except Exception as exc:  # any reader error: the sheet cannot be read, say so in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [], [Problem(0, "", f"{path.name} cannot be read: {first}")]
    if not table:
        return [], [Problem(0, "", f"{path.name} is empty")]
    header = [_text(h) for h in table[0]]
    missing = [c for c in ["item_id", *DECISION_COLUMNS] if c not in header]
    if missing:
        hint = (
            " (the CSV seems to use ';' between columns: save it with commas, or as .xlsx)"
            if len(header) == 1 and ";" in header[0]
            else ""
        )
        return [], [Problem(0, "", f"{path.name}: columns missing: {', '.join(missing)}{hint}")]
    rows = []
    for number, raw in enumerate(table[1:], 2):
        row = {h: _text(raw[i]) if i < len(raw) else "" for i, h in enumerate(header) if h}
        if any(row.values()):
            rows.append({**row, "_row": str(number)})
    if not rows:
        return [], [Problem(0, "", f"{path.name} has no rows under its header")]
    return rows, []


def validate_sheet(
    rows: Sequence[Mapping[str, str]], items: Mapping[str, ItemState]
) -> tuple[list[Decision], list[Problem]]:
    """The decisions of a filled sheet, and every problem found in it (all rows are checked; the
    decisions are only to be applied when there is no problem).

    A problem: a row without item_id; an item not in the review queue (`items`); the same item twice
    in the sheet; an item no longer open (decided or withdrawn); a mark that is not one of `MARKS`;
    more than one decision in a row; a decision the item's kind does not take (`ACTIONS`); a
    corrected value that is not valid for its field (a date that is not a real date, an ID number
    that is not 9 or 12 digits, an empty name, a sex other than nam / nữ); a note or reviewer without
    a decision; a decision without a reviewer.
    """
    decisions: list[Decision] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in rows:
        number = int(row.get("_row", 0))
        item = row.get("item_id", "")
        say = lambda message, _n=number, _i=item: problems.append(Problem(_n, _i, message))  # noqa: E731
        if not item:
            say("no item_id: rows must keep the item_id they were given")
            continue
        if item in seen:
            say(f"the same item is also on row {seen[item]}")
            continue
        seen[item] = number
        state = items.get(item)
        if state is None:
            say("unknown item: not in this unit's review queue")
            continue
        marked, bad = [], False
        for name in ("accept", "reject", "release"):
            value = row.get(name, "")
            if not value:
                continue
            if value.lower() not in MARKS:
                say(f"{name}: {value!r} is not a mark (use x)")
                bad = True
                continue
            marked.append(name)
        if bad:
            continue
        corrected = row.get("corrected_value", "")
        if corrected:
            marked.append("corrected_value")
        note, reviewer = row.get("note", ""), row.get("reviewer", "")
        if not marked:
            if note or reviewer:
                say("a note or reviewer but no decision marked")
            continue
        if state.status != "open":
            say(f"already {state.status}: decide only open items")
            continue
        if len(marked) > 1:
            say(f"more than one decision: {', '.join(marked)}")
            continue
        action = marked[0]
        if action not in state.allowed():
            say(
                f"{action} does not apply to "
                + (state.why or _with_article(state.kind.replace("_", " ")))
                + f" ({' or '.join(state.allowed())})"
            )
            continue
        value, field = None, state.field
        if action == "corrected_value":
            if not field:  # a record's correction names its field: "birth_date = 12/04/2001"
                field, _, corrected = corrected.partition("=")
                field = field.strip()
                if field not in CORRECTABLE_FIELDS:
                    say(
                        f"corrected_value: write the field and its value, e.g. birth_date = 12/04/2001 (fields: {', '.join(sorted(CORRECTABLE_FIELDS))})"
                    )
                    continue
            value, error = normalise_correction(field, corrected)
            if error:
                say(f"corrected_value: {error}")
                continue
        if not reviewer:
            say("no reviewer: say who decided")
            continue
        decisions.append(
            Decision(
                item_id=item,
                kind=state.kind,
                action="correct" if action == "corrected_value" else action,
                value=value,
                note=note,
                reviewer=reviewer,
                row=number,
                field=field,
            )
        )
    return decisions, problems


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def normalise_correction(field: str, value: str) -> tuple[str | None, str | None]:
    """A corrected value as the register stores it, or an error: dates to ISO (`sapnhap.records.normalise
    .parse_date`), ID numbers to their digits (9 or 12), names in title case with their diacritics,
    sex as male/female; other fields through the register's one text normaliser
    (`sapnhap.records.normalise.normalise_text`: NFC, `Ð` read as `Đ`, whitespace). Returns (value, None)
    or (None, reason). A document type (`doc_type`) is one of `sapnhap.records.vocabulary.DOCUMENT_TYPES`
    or a title the catalogue matches (`TRÍCH LỤC KHAI SINH` → birth_registration)."""
    text = normalise_text(_nfc(value))
    if not text:
        return None, "empty"
    if field in DATE_FIELDS:
        parsed = parse_date(text)
        if parsed.value is None:
            return None, f"{text!r} is not a date ({parsed.error})"
        return parsed.value.isoformat(), None
    if field in ID_FIELDS:
        digits = normalise_personal_id(text)
        if not digits.isdigit() or len(digits) not in (9, 12):
            return None, f"{text!r} is not an ID number of 12 (or 9) digits"
        return digits, None
    if field in NAME_FIELDS:
        if any(ch.isdigit() for ch in text):
            return None, f"{text!r} has digits: not a name"
        return title_case_name(text), None
    if field == "sex":
        sex = SEX_VALUES.get(text.lower())
        return (sex, None) if sex else (None, f"{text!r}: write nam or nữ")
    if field == "doc_type":
        from sapnhap.records.vocabulary import DOCUMENT_TYPES, match_title

        if text in DOCUMENT_TYPES:
            return text, None
        entry = match_title(text)
        if entry is None:
            return None, f"{text!r} is neither a document type nor a title the catalogue knows"
        return entry.doc_type, None
    return text, None


def _nfc(value: Any) -> str:
    return "" if value is None else nfc(str(value))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(_nfc(value).split())


__all__ = [
    "ACTIONS",
    "COLUMNS",
    "CORRECTABLE_FIELDS",
    "DECISION_COLUMNS",
    "EVIDENCE_COLUMNS",
    "KINDS",
    "MARKS",
    "Decision",
    "ItemState",
    "Problem",
    "SheetRow",
    "normalise_correction",
    "read_sheet",
    "validate_sheet",
    "write_sheet",
]
