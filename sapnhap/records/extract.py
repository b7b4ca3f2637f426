"""Field extraction: the people and events a document names, read from its pages' words and boxes.

Input is a document's pages as `PageResult`s (a PDF text layer or OCR: words with boxes and, for OCR,
confidences) and its type. Each type's template (`sapnhap.records.templates`) lists its printed
labels; the extractor

1. rebuilds the printed lines from the words: Tesseract's lines, joined where two of them stand side
   by side at the same height (a line Tesseract split into blocks), or for words without line numbers
   by vertical overlap;
2. finds the labels on each line by fuzzy matching on diacritic-folded text (`Họ, chừ đệm, tến` is
   still `ho chu dem ten`; rapidfuzz ratio, stricter for short labels, a colon after the label counts
   for it). A label starts a line, or, for the second label of a pair (`Dân tộc:` after `Giới tính:
   Nam`), follows a value on it;
3. takes a value as the words right of its label up to the next label on the line; a label that ends
   its line (the value was wrapped, as the templates do for long addresses) takes the following lines
   up to the next line with a label (only for fields whose values can be long);
4. tells roles apart by the label (`… người mẹ`, `… chồng`) and by order: a label without a role
   (`Năm sinh:`) belongs to the section of the last role-naming label before it;
5. normalises each value with `sapnhap.records.normalise` (names title case NFC, dates ISO 8601, years, ID
   numbers as strings, sex `male`/`female` from `Nam`/`Nữ`). A date that cannot be read keeps its raw
   text with the error code in `note`;
6. where a field's words are small or not confident (OCR only), reads the field again from the page
   image: its crop enlarged 3× and recognised as one line (`--psm 7`), through an injected
   `crop_reader(page_number, bbox) -> (text, confidence)`; the more confident reading is kept (Tesseract
   `vie` loses tone marks on small text: `Đặng` read `Đăng`). A name read with low confidence whose
   letters are otherwise right gets its marks back from the name lexicons (`repair_name`); a name
   typed without marks (`NGUYEN THI LAN`, `sapnhap.records.normalise.typed_without_marks`) is kept without
   them, the marks OCR's language model put back (`THỊ`) dropped (note `marks_dropped`).

A field whose label is not found is reported with status "missing" and no value: nothing is invented.
Every value carries its provenance: file SHA-256, page, bounding box (in the page's `box_unit`), the
method (`text_layer`, `ocr`, or `ocr_crop` for a re-read) and the engine version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz

from sapnhap.ocr.page import PageResult, Word
from sapnhap.records.normalise import (
    normalise_personal_id,
    normalise_text,
    parse_date,
    parse_year,
    repair_address_units,
    repair_name,
    title_case_name,
    typed_without_marks,
)
from sapnhap.records.templates import SECTION, STOP_LINES, TEMPLATES, Label, Template, ValueKind
from sapnhap.text import fold_diacritics

BBox = tuple[float, float, float, float]  # left, top, width, height in the page's box_unit
CropReader = Callable[[int, BBox], "tuple[str, float | None]"]
Status = Literal["found", "missing"]

# Re-read a field from its crop when its smallest word is under this height (px) or its least
# confident word under this confidence. 12 pt text at 300 dpi is about 45-55 px high (ascenders,
# marks and descenders); tone marks start to go at about half that.
SMALL_WORD_PX = 30.0
LOW_CONFIDENCE = 90.0
# A re-read replaces the page's reading when it is this much more confident (word confidences of two
# readings of the same text differ by a few points by chance).
REREAD_MARGIN = 3.0
# A re-read less confident than this is never kept (a crop of noise reads as noise).
MIN_REREAD_CONFIDENCE = 60.0
# A name whose least confident word is under this is repaired from the lexicons (tone marks only).
REPAIR_BELOW = 80.0


@dataclass(frozen=True)
class ExtractedField:
    """One field of one document, as read.

    role: the person's role in the document (`child`, `mother`, `husband` …; "" for the document's own
    fields). field: the field name (`full_name`, `birth_date`, `registration_date` …). raw: the text
    as read (NFC). value: the normalised value (names title case, dates ISO, IDs as digit strings,
    sex `male`/`female`; for a date that cannot be read the raw text, with the error code in `note`).
    confidence: mean word confidence 0..100 of the words the value came from (None for a text layer,
    which has none, and for a missing field). page: 1-based page number in the file. bbox: (left, top,
    width, height) of the value's words in the page's `box_unit` (of the label when the value is
    blank). method: `text_layer`, `ocr` or `ocr_crop` (re-read from the enlarged crop). repaired: the
    value's diacritics were restored from the name lexicons. status: `found` or `missing` (label not
    found: raw and value are "", no provenance but the file). note: what went wrong or was done.
    entry: 0 for a field of the whole document, n for row n of a register table
    (`sapnhap.records.registers`).
    """

    role: str
    field: str
    raw: str
    value: str
    confidence: float | None
    page: int | None
    bbox: BBox | None
    method: str
    engine_version: str
    repaired: bool = False
    note: str = ""
    status: Status = "found"
    file_sha256: str = ""
    box_unit: str = "px"
    engine: str = ""
    entry: int = 0

    def as_row(self) -> dict:
        """A flat dict (bbox as four columns) for a DataFrame or a database row."""
        left, top, width, height = self.bbox or (None, None, None, None)
        return {
            "role": self.role,
            "field": self.field,
            "raw": self.raw,
            "value": self.value,
            "confidence": self.confidence,
            "page": self.page,
            "left": left,
            "top": top,
            "width": width,
            "height": height,
            "box_unit": self.box_unit,
            "method": self.method,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "repaired": self.repaired,
            "note": self.note,
            "status": self.status,
            "file_sha256": self.file_sha256,
            "entry": self.entry,
        }


# --- lines ----------------------------------------------------------------------------------------


@dataclass
class Line:
    """One printed line of a document: its page, its words left to right, its index in reading order."""

    page: PageResult
    words: list[Word]
    index: int = 0  # position in the document's reading order

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.top + w.height for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Vertical overlap of two spans as a share of the smaller one."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    smaller = max(1e-6, min(a[1] - a[0], b[1] - b[0]))
    return max(0.0, inter) / smaller


def build_lines(page: PageResult) -> list[list[Word]]:
    """The page's printed lines, top to bottom, each a list of words left to right.

    Words that carry line numbers (Tesseract's, or the text layer's) start in those lines; lines that
    stand side by side at the same height (over half the smaller one's height shared, no horizontal
    overlap) are joined, as Tesseract splits a label and a far value into blocks. Words all on one
    line number (text built without them) are grouped by vertical overlap instead.
    """
    words = [w for w in page.words if w.text.strip()]
    if not words:
        return []
    keyed: dict[tuple[int, int], list[Word]] = {}
    for w in words:
        keyed.setdefault((w.block, w.line), []).append(w)
    if len(keyed) == 1 and len(words) > 1:
        groups = [[w] for w in words]  # no line numbers: start from single words
    else:
        groups = list(keyed.values())
    spans = [(min(w.top for w in g), max(w.top + w.height for w in g)) for g in groups]
    order = sorted(range(len(groups)), key=lambda i: (spans[i][0] + spans[i][1]) / 2)
    lines: list[list[Word]] = []
    line_spans: list[tuple[float, float]] = []
    for i in order:
        group, span = groups[i], spans[i]
        placed = False
        # Compare with the last few lines only (reading order is top to bottom).
        for j in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            if _overlap(span, line_spans[j]) > 0.5 and not _h_overlaps(group, lines[j]):
                lines[j].extend(group)
                line_spans[j] = (min(line_spans[j][0], span[0]), max(line_spans[j][1], span[1]))
                placed = True
                break
        if not placed:
            lines.append(list(group))
            line_spans.append(span)
    for line in lines:
        line.sort(key=lambda w: w.left)
    return lines


def _h_overlaps(a: list[Word], b: list[Word]) -> bool:
    """True when a word of `a` overlaps a word of `b` horizontally by more than a third of its width."""
    for x in a:
        for y in b:
            inter = min(x.left + x.width, y.left + y.width) - max(x.left, y.left)
            if inter > min(x.width, y.width) / 3:
                return True
    return False


# --- labels ---------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Matching key of a word or phrase: folded, lower case, letters and digits only, single spaces."""
    folded = fold_diacritics(text).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


@dataclass(frozen=True)
class LabelHit:
    """A label found on a line: words [start, end) of line `line`, its similarity (a colon adds 5),
    where its value starts, and text glued after the colon of its last word (`tên:NGUYỄN`)."""

    label: Label
    line: int  # index into the document's lines
    start: int  # first word of the label on its line
    end: int  # one past its last word
    score: float
    value_start: int  # first word of the value (after a detached colon)
    tail: str  # text glued after the colon of the label's last word (`tên:NGUYỄN`), if any


def _threshold(key: str) -> float:
    """Minimum ratio for a label key: the shorter the label, the fewer errors it may carry."""
    if len(key) >= 14:
        return 85.0
    if len(key) >= 8:
        return 88.0
    return 92.0


def find_labels(
    line_words: list[Word], line_index: int, labels: Sequence[Label], inline_colon: bool = False
) -> list[LabelHit]:
    """The labels on one line, left to right, without overlaps.

    inline_colon: a label that does not start the line must end with a colon (the generic reader,
    whose many labels would otherwise match inside values: `Nguyễn Xuân` is close to `Nguyên quán`).
    """
    # A word with a colon inside (`kếtquả:14/2/2025`, `tên:NGUYỄN`) is a label's last word glued to
    # the value: it matches as the part before the colon, the part after it opens the value.
    keys = [_fold(w.text.split(":", 1)[0]) if _inner_colon(w.text) else _fold(w.text) for w in line_words]
    candidates: list[LabelHit] = []
    seen: set[str] = set()
    first = next((i for i, k in enumerate(keys) if k), len(keys))  # after leading `-`, `•`
    for label in labels:
        if label.text in seen:
            continue
        seen.add(label.text)
        key = _fold(label.text)
        n = len(key.split())
        short = len(key) <= 3  # `Số:`: the word itself and its colon
        for start in range(first, len(line_words)):
            if start > first and not label.inline:
                break
            if not keys[start]:
                continue
            for length in sorted({max(1, n - 1), n, n + 1}):
                end = start + length
                if end > len(line_words):
                    continue
                span = " ".join(k for k in keys[start:end] if k)
                last = line_words[end - 1].text
                colon = ":" in last or (end < len(line_words) and line_words[end].text.startswith(":"))
                if inline_colon and start > first and not colon:
                    continue
                if short:
                    if length != n or span != key or not colon:
                        continue
                    score = 100.0
                else:
                    score = fuzz.ratio(span, key)
                    if score < _threshold(key) - (5.0 if colon else 0.0):
                        continue
                value_start = end
                tail = last.split(":", 1)[1].strip() if _inner_colon(last) else ""
                if not tail and end < len(line_words) and line_words[end].text.strip() == ":":
                    value_start = end + 1
                candidates.append(
                    LabelHit(
                        label, line_index, start, end, score + (5.0 if colon else 0.0), value_start, tail
                    )
                )
    chosen: list[LabelHit] = []
    for hit in sorted(candidates, key=lambda h: (-h.score, -len(h.label.text), h.start)):
        if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
            if not _labels_agree(hit, chosen):
                continue
            chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)


def _inner_colon(text: str) -> bool:
    """A colon inside a word with letters or digits after it."""
    head, colon, tail = text.partition(":")
    return bool(colon and head and _fold(tail))


def _labels_agree(hit: LabelHit, chosen: list[LabelHit]) -> bool:
    """A label takes a line's start only once; a line holds each label once."""
    return all(c.label.text != hit.label.text for c in chosen)


_STOP_KEYS = tuple(_fold(s) for s in STOP_LINES)


def is_stop_line(words: list[Word]) -> bool:
    """Whether a line is one of `STOP_LINES` (signature blocks, footers: no field after them)."""
    key = _fold(" ".join(w.text for w in words))
    return any(fuzz.ratio(key, stop) >= 80 for stop in _STOP_KEYS if key)


# --- values ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Normalised:
    """A normalised value, whether it was repaired, and a note (an error code, or what was done)."""

    value: str
    repaired: bool = False
    note: str = ""


_NAME_CHARS = re.compile(r"[^\w\s\-']", re.UNICODE)


def normalise_value(kind: ValueKind, raw: str) -> Normalised:
    """Normalise a field's raw text by its kind, with `sapnhap.records.normalise`.

    name: title case NFC (`NGUYỄN VĂN AN` → `Nguyễn Văn An`), stray punctuation dropped; date: ISO
    8601 (`parse_date`), or the raw text with note `date_error:<code>`; year: four digits
    (`parse_year`); sex: `male` from `Nam`, `female` from `Nữ` (folded, so `Nu`, `NỮ` too); id and
    digits: the digit string (`normalise_personal_id`); integer: the digits; coefficient: a decimal
    with a point and two places (`4,74` → `4.74`); code: text without spaces; text: `normalise_text`.
    """
    text = normalise_text(raw)
    if kind == "name":
        return Normalised(title_case_name(_NAME_CHARS.sub(" ", text).strip("-' ")))
    if kind == "date":
        if not text:
            return Normalised("")
        parsed = parse_date(text)
        if parsed.value is None:
            return Normalised(text, note=f"date_error:{parsed.error}")
        return Normalised(
            parsed.value.isoformat(), note="date_separators_inferred" if parsed.separators_inferred else ""
        )
    if kind == "year":
        if not text:
            return Normalised("")
        year = parse_year(text)
        if year.value is None:
            return Normalised(text, note=f"date_error:{year.error}")
        return Normalised(str(year.value))
    if kind == "sex":
        key = _fold(text)
        if key.startswith("nam"):
            return Normalised("male")
        if key.startswith("nu"):
            return Normalised("female")
        return Normalised(text, note="sex_unreadable" if text else "")
    if kind in ("id", "digits"):
        number = _number_part(text)
        if text and not number:
            return Normalised("", note="no_digits")
        return Normalised(normalise_personal_id(number))
    if kind == "integer":
        digits = normalise_personal_id(_number_part(text))
        return Normalised(digits, note="" if digits.isdigit() or not digits else "not_a_number")
    if kind == "coefficient":
        match = re.search(r"(\d+)\s*[,.]\s*(\d+)", text)
        if not match:
            return Normalised(text, note="not_a_number" if text else "")
        return Normalised(f"{float(match.group(1) + '.' + match.group(2)):.2f}")
    if kind == "code":
        return Normalised(text.replace(" ", "").strip(":;,.-`'"))
    return Normalised(_clean_text(text))


_EDGE_PUNCT = ".,:;-_`'ˆ^~*•°"


def _clean_text(text: str) -> str:
    """A text value without OCR's specks: marks with no letter or digit at either end dropped, a colon
    or semicolon between words made a space, a full stop after a word dropped (the templates' text
    values have none: `Tỉnh. Ninh:Bình.` → `Tỉnh Ninh Bình`)."""
    text = re.sub(r"(?<=\w)[:;](?=\w)", " ", text)
    text = re.sub(r"(?<=\w)\.(?=\s|$|,)", "", text)
    tokens = text.split()
    while tokens and not _fold(tokens[0]):
        tokens.pop(0)
    while tokens and not _fold(tokens[-1]):
        tokens.pop()
    return normalise_text(" ".join(tokens).strip(_EDGE_PUNCT + " "))


def _number_part(text: str) -> str:
    """The words of a value that hold a digit, each cut at a colon or semicolon: `0317230112:ở` →
    `0317230112`; `037 079 251 442` stays whole."""
    pieces = [p for word in text.split() for p in re.split(r"[:;]", word)]
    return " ".join(p.strip(_EDGE_PUNCT) for p in pieces if any(ch.isdigit() for ch in p))


def _plausible(kind: ValueKind, normalised: Normalised) -> bool:
    """Whether a reading gives a well-formed value of its kind (used to choose between readings)."""
    value = normalised.value
    if normalised.note.startswith(("date_error", "sex_unreadable", "not_a_number")):
        return False
    if kind == "id":
        return value == "" or (value.isdigit() and len(value) in (9, 12))
    if kind == "digits":
        return value.isdigit()
    return True


# --- the extractor --------------------------------------------------------------------------------


@dataclass
class Value:
    """A field's value as read: its words, raw text, page, its label's words, and whether it was
    read from the lines under its label."""

    words: list[Word]
    raw: str
    page: PageResult
    label_words: list[Word] = field(default_factory=list)
    wrapped: bool = False  # read from the lines under its label (several lines: not re-read as one)


def extract_document(
    pages: Sequence[PageResult],
    doc_type: str,
    crop_reader: CropReader | None = None,
) -> list[ExtractedField]:
    """Extract every field of a document of a known type from its pages.

    Args:
        pages: the document's pages, in order (`PageResult`s of the text layer or OCR).
        doc_type: a type of `sapnhap.records.templates.TEMPLATES` (the types the generator makes).
        crop_reader: `(page_number, bbox) -> (text, confidence)` that reads the crop of a page image
            enlarged about 3× as one text line (see `sapnhap.records.reread.PageImageCropReader`);
            None: no re-reading.

    Returns:
        One `ExtractedField` per field the template prints (`expected_fields(doc_type)` order), those
        whose label was not found with status "missing".

    Raises:
        KeyError: for a document type without a template.
    """
    template = TEMPLATES[doc_type]
    lines = document_lines(pages)
    hits = _all_hits(lines, template)
    values = _assign(template, hits, lines)
    wanted = sum(len(names) for names in template.fields.values()) - (1 if template.free_date else 0)
    if crop_reader is not None and len(values) < wanted:
        # Labels are missing: read again the gaps where the page's OCR dropped lines (around a seal).
        recovered = _recover_lines(lines, crop_reader)
        if recovered:
            lines = _renumber(lines + recovered)
            hits = _all_hits(lines, template)
            again = _assign(template, hits, lines)
            if len(again) > len(values):
                values = again
    if template.free_date and ("", template.free_date) not in values:
        free = _free_date(lines, hits)
        if free is not None:
            values[("", template.free_date)] = (free, "date")
    out: list[ExtractedField] = []
    file_sha = pages[0].file_sha256 if pages else ""
    for role, names in template.fields.items():
        for name in names:
            found = values.get((role, name))
            if found is None:
                out.append(
                    ExtractedField(
                        role,
                        name,
                        "",
                        "",
                        None,
                        None,
                        None,
                        "",
                        "",
                        note="label_not_found",
                        status="missing",
                        file_sha256=file_sha,
                    )  # fmt: skip
                )
                continue
            value, kind = found
            out.append(read_field(role, name, kind, value, crop_reader))
    return out


_JUNK = re.compile(r"^[|`'‘’_~\"“”¦!]+$")


def _all_hits(lines: list[Line], template: Template) -> list[LabelHit]:
    hits = [
        hit
        for i, line in enumerate(lines)
        if not is_stop_line(line.words)
        for hit in find_labels(line.words, i, template.labels)
    ]
    return sorted(hits, key=lambda h: (h.line, h.start))


def _renumber(lines: list[Line]) -> list[Line]:
    """Lines in reading order again (page by page, top to bottom), indices renumbered."""
    page_order: dict[int, int] = {}
    for line in lines:
        page_order.setdefault(id(line.page), len(page_order))
    order = sorted(lines, key=lambda line: (page_order[id(line.page)], (line.top + line.bottom) / 2))
    for i, line in enumerate(order):
        line.index = i
    return order


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


# At most this many lines are read again in one gap (a seal covers about four lines).
_MAX_PROBES = 5


def _recover_lines(lines: list[Line], crop_reader: CropReader) -> list[Line]:
    """Lines the page's OCR dropped, read again from the page image one line at a time.

    On each OCR page, where the space between two lines (or below the last one, down to the page's
    foot) holds room for whole lines at the page's usual line pitch, each such line's band across the
    text column is read with `crop_reader`; a reading with letters becomes a line of its own, with
    word boxes shared out along the band by character count and the reading's confidence.
    """
    recovered: list[Line] = []
    by_page: dict[int, list[Line]] = {}
    for line in lines:
        if line.page.method == "ocr":
            by_page.setdefault(id(line.page), []).append(line)
    for page_lines in by_page.values():
        page = page_lines[0].page
        if len(page_lines) < 4:
            continue
        page_lines = sorted(page_lines, key=lambda line: line.top)
        pitch = _median([b.top - a.top for a, b in zip(page_lines, page_lines[1:], strict=False)])
        height = _median([line.bottom - line.top for line in page_lines])
        left = min(w.left for line in page_lines for w in line.words)
        right = max(w.left + w.width for line in page_lines for w in line.words)
        foot = (page.height or page_lines[-1].bottom) - pitch
        tops = [line.top for line in page_lines] + [foot + pitch]
        for above, below in zip(tops, tops[1:], strict=False):
            top = above + pitch
            probes = 0
            while top <= below - 0.6 * pitch and probes < _MAX_PROBES:
                probes += 1
                bbox = (left, top - 0.15 * pitch, right - left, height + 0.3 * pitch)
                try:
                    text, score = crop_reader(page.page_number, bbox)
                except Exception:  # a failed read leaves the gap as it is
                    text, score = "", None
                line = _synthetic_line(page, normalise_text(text or ""), bbox, score)
                if line is not None:
                    recovered.append(line)
                top += pitch
    return recovered


def _synthetic_line(page: PageResult, text: str, bbox: BBox, score: float | None) -> Line | None:
    if sum(ch.isalnum() for ch in text) < 3:
        return None
    left, top, width, height = bbox
    parts = text.split()
    total = sum(len(p) + 1 for p in parts)
    words: list[Word] = []
    x = left
    for part in parts:
        w = width * (len(part) + 1) / total
        words.append(Word(part, x, top, w * len(part) / (len(part) + 1), height, score, -1, -1))
        x += w
    return Line(page, words)


def document_lines(pages: Sequence[PageResult]) -> list[Line]:
    """The document's lines in reading order, without OCR's stray marks (`|`, `` ` ``, `_` read from
    specks and rules)."""
    lines: list[Line] = []
    for page in pages:
        for words in build_lines(page):
            words = [w for w in words if not _JUNK.match(w.text)]
            if words:
                lines.append(Line(page, words, len(lines)))
    return lines


def _assign(
    template: Template, hits: list[LabelHit], lines: list[Line]
) -> dict[tuple[str, str], tuple[Value, ValueKind]]:
    """Give each label hit its role and value; the first reading of a (role, field) wins."""
    values: dict[tuple[str, str], tuple[Value, ValueKind]] = {}
    role = template.roles[0]
    line_hits: dict[int, list[LabelHit]] = {}
    for hit in hits:
        line_hits.setdefault(hit.line, []).append(hit)
    for hit in hits:
        label = hit.label
        if label.opens:
            role = label.opens
        if not label.field:
            continue
        owner = role if label.role == SECTION else label.role
        if label.role == SECTION and (owner, label.field) in values:
            # The field is already read for this role: the next role's section has begun, its
            # opening label unread (e.g. a second `Năm sinh:` is the father's).
            later = template.roles[template.roles.index(owner) + 1 :] if owner in template.roles else ()
            owner = next(
                (r for r in later if label.field in template.fields[r] and (r, label.field) not in values),
                owner,
            )
            role = owner
        if label.field not in template.fields.get(owner, ()) or (owner, label.field) in values:
            continue
        values[(owner, label.field)] = (value_of(hit, label, lines, line_hits), label.kind)
    return values


def value_of(hit: LabelHit, label: Label, lines: list[Line], line_hits: dict[int, list[LabelHit]]) -> Value:
    """The value of a label hit: the words after it up to the next label on its line, or, for a label
    that ends its line and may wrap, the following lines up to the next labelled line (at most 4)."""
    line = lines[hit.line]
    following = [h for h in line_hits[hit.line] if h.start >= hit.end]
    stop = following[0].start if following else len(line.words)
    words = line.words[hit.value_start : stop]
    label_words = line.words[hit.start : hit.end]
    parts = ([hit.tail] if hit.tail else []) + [w.text for w in words]
    if hit.tail:
        words = [label_words[-1], *words]
    raw = " ".join(parts).lstrip(": ").strip()
    if not _fold(raw):  # only specks after the label (`-.`): the value is below it
        raw, words = "", []
    if raw or not label.wraps:
        return Value(words, raw, line.page, label_words)
    # The label ends its line: the value was wrapped onto the following lines.
    taken: list[Word] = []
    texts: list[str] = []
    for nxt in lines[hit.line + 1 : hit.line + 5]:
        if nxt.page is not line.page or nxt.index in line_hits or is_stop_line(nxt.words):
            break
        gap = nxt.top - lines[nxt.index - 1].bottom
        if gap > 2.5 * (nxt.bottom - nxt.top):
            break
        taken.extend(nxt.words)
        texts.append(nxt.text)
    return Value(taken, " ".join(texts).strip(), line.page, label_words, wrapped=len(texts) > 1)


_WORDS_DATE_LINE = re.compile(r"ngay\s*\d{1,2}\s*thang\s*\d{1,2}\s*nam\s*\d{4}")


def _free_date(lines: list[Line], hits: list[LabelHit]) -> Value | None:
    """The unlabelled `<place>, ngày d tháng m năm yyyy` line after the last label (staff CV)."""
    after = hits[-1].line + 1 if hits else 0
    labelled = {h.line for h in hits}
    for line in lines[after:]:
        if line.index in labelled:
            continue
        if _WORDS_DATE_LINE.search(_fold(line.text)):
            return Value(line.words, line.text, line.page)
    return None


def _bbox(words: list[Word]) -> BBox | None:
    if not words:
        return None
    left = min(w.left for w in words)
    top = min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    return (left, top, right - left, bottom - top)


def _confidence(words: list[Word]) -> float | None:
    scores = [w.confidence for w in words if w.confidence is not None]
    return round(sum(scores) / len(scores), 2) if scores else None


_YEAR_ONLY = re.compile(r"(?:nam(?: sinh)? )?\d{4}")
"""A birth-date value that is a year alone (`1985`, `năm 1985`), as `_fold` gives it."""


def read_field(
    role: str, name: str, kind: ValueKind, value: Value, crop_reader: CropReader | None
) -> ExtractedField:
    """One field from its value: normalised by kind, re-read from its crop when small or doubtful (OCR
    only), places and names repaired from the gazetteer and lexicons, with its provenance. A birth
    date that is a year alone (`1985`) is the field `birth_year`, noted `year_only:birth_date`."""
    page = value.page
    bbox = _bbox(value.words) or _bbox(value.label_words)
    confidence = _confidence(value.words)
    raw = normalise_text(value.raw)
    normalised = normalise_value(kind, raw)
    method = page.method if page.method != "failed" else ""
    notes: list[str] = [normalised.note] if normalised.note else []
    if (
        crop_reader is not None
        and page.method == "ocr"
        and value.words
        and not value.wrapped
        and _needs_reread(value.words)
    ):
        reread = _reread(crop_reader, page.page_number, _bbox(value.words), kind)
        if reread is not None:
            text, score, again = reread
            if _better(kind, normalised, confidence, again, score):
                raw, normalised, confidence, method = text, again, score, "ocr_crop"
                notes = [normalised.note] if normalised.note else []
                notes.append("reread_from_crop")
    repaired = False
    if kind == "place" and normalised.value and method in ("ocr", "ocr_crop"):
        # Unit names OCR misread (`Tỉnh Ninlí: Bình`) set to the gazetteer's spelling; text layers are
        # taken as written.
        place = repair_address_units(normalised.value)
        if place.repaired:
            normalised = Normalised(place.value, True, normalised.note)
            repaired = True
            notes.append(f"place_repaired:{place.reason}")
    typed_bare = (
        kind == "name"
        and bool(normalised.value)
        and method in ("ocr", "ocr_crop")
        and typed_without_marks(normalised.value)
    )
    if typed_bare and normalised.value != fold_diacritics(normalised.value):
        # Typed without marks (`NGUYEN THI LAN`): the marks OCR put back (`THỊ`) are not on the paper.
        normalised = Normalised(fold_diacritics(normalised.value), normalised.repaired, normalised.note)
        notes.append("marks_dropped:typed_without_marks")
    if kind == "name" and normalised.value and method in ("ocr", "ocr_crop") and not typed_bare:
        worst = min((w.confidence for w in value.words if w.confidence is not None), default=100.0)
        if method == "ocr_crop":
            worst = confidence if confidence is not None else worst
        # A name with no mark at all was typed so (registers lose marks), not misread: kept as read.
        if worst < REPAIR_BELOW and normalised.value != fold_diacritics(normalised.value):
            repair = repair_name(normalised.value)
            if repair.repaired and _tone_only(normalised.value, repair.value):
                normalised = Normalised(repair.value, True, normalised.note)
                repaired = True
                notes.append(f"repaired:{repair.reason}")
    if (
        name == "birth_date"
        and normalised.note.startswith("date_error:")
        and _YEAR_ONLY.fullmatch(_fold(raw))
    ):
        # Only the year is known (older registers give a parent's year alone): a year of birth, not
        # a broken date.
        year = parse_year(raw)
        if year.value is not None:
            name, normalised = "birth_year", Normalised(str(year.value))
            notes = [n for n in notes if not n.startswith("date_error:")] + ["year_only:birth_date"]
    return ExtractedField(
        role=role,
        field=name,
        raw=raw,
        value=normalised.value,
        confidence=confidence,
        page=page.page_number,
        bbox=bbox,
        method=method,
        engine_version=page.engine_version,
        repaired=repaired,
        note=";".join(notes),
        file_sha256=page.file_sha256,
        box_unit=page.box_unit,
        engine=page.engine,
    )


def _needs_reread(words: list[Word]) -> bool:
    smallest = min(w.height for w in words)
    worst = min((w.confidence for w in words if w.confidence is not None), default=100.0)
    return smallest < SMALL_WORD_PX or worst < LOW_CONFIDENCE


def _reread(
    crop_reader: CropReader, page_number: int, bbox: BBox | None, kind: ValueKind
) -> tuple[str, float | None, Normalised] | None:
    if bbox is None:
        return None
    try:
        text, score = crop_reader(page_number, bbox)
    except Exception:  # a failed re-read keeps the page's reading
        return None
    text = normalise_text(text or "")
    if not text:
        return None
    return text, score, normalise_value(kind, text)


def _better(
    kind: ValueKind,
    first: Normalised,
    first_score: float | None,
    second: Normalised,
    second_score: float | None,
) -> bool:
    """Whether the crop's reading should replace the page's: well-formed where the page's is not; for
    names, more of its parts spelt as the name lexicons spell them (`Đặng` over `Đăng`: Tesseract's
    confidence hardly tells tone marks apart); otherwise more confident by `REREAD_MARGIN` (twice that
    for a name whose letters, folded, differ: a re-read should not swap a name for another)."""
    ok_first, ok_second = _plausible(kind, first), _plausible(kind, second)
    if ok_second and not ok_first:
        return True
    if not ok_second:
        return False
    if second_score is None or second_score < MIN_REREAD_CONFIDENCE:
        return False
    if first_score is None:
        return True
    if kind == "name" and _marked(first.value) and _marked(second.value):
        fit_first, fit_second = _lexicon_fit(first.value), _lexicon_fit(second.value)
        if fit_first != fit_second:
            return fit_second > fit_first
        if _fold(first.value) != _fold(second.value):
            return second_score > first_score + 2 * REREAD_MARGIN
    return second_score > first_score + REREAD_MARGIN


def _marked(text: str) -> bool:
    return text != fold_diacritics(text)


def _lexicon_fit(name: str) -> int:
    """How many parts of a name are spellings of the name lexicons as they stand (`Đặng` 1, `Đăng` 0)."""
    return repair_name(name).reason.count("=exact") if name else 0


def _tone_only(before: str, after: str) -> bool:
    """True when two names differ only in their marks (same letters folded)."""
    return _fold(before) == _fold(after)
