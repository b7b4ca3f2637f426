"""A field's value: read, normalised by its kind, re-read from its crop when doubtful, with provenance.

`ExtractedField` is what every reader yields (templates, the generic reader, register tables);
`read_field(role, name, kind, value, crop_reader)` turns a `Value` (the words a reader found for a
field) into one: `normalise_value` by kind (`sapnhap.records.normalise`), the crop re-read for small or
unconfident OCR words, names and places repaired from the lexicons and the gazetteer, a birth date that
is a year alone read as the year of birth. See `sapnhap.records.extract` for how labels and values are
found on a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

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
from sapnhap.records.templates import ValueKind
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


def fold_key(text: str) -> str:
    """Matching key of a word or phrase: folded, lower case, letters and digits only, single spaces."""
    folded = fold_diacritics(text).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


@dataclass
class Value:
    """A field's value as read: its words, raw text, page, its label's words, and whether it was
    read from the lines under its label."""

    words: list[Word]
    raw: str
    page: PageResult
    label_words: list[Word] = field(default_factory=list)
    wrapped: bool = False  # read from the lines under its label (several lines: not re-read as one)


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
        key = fold_key(text)
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
    while tokens and not fold_key(tokens[0]):
        tokens.pop(0)
    while tokens and not fold_key(tokens[-1]):
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
        and _YEAR_ONLY.fullmatch(fold_key(raw))
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
        if fold_key(first.value) != fold_key(second.value):
            return second_score > first_score + 2 * REREAD_MARGIN
    return second_score > first_score + REREAD_MARGIN


def _marked(text: str) -> bool:
    return text != fold_diacritics(text)


def _lexicon_fit(name: str) -> int:
    """How many parts of a name are spellings of the name lexicons as they stand (`Đặng` 1, `Đăng` 0)."""
    return repair_name(name).reason.count("=exact") if name else 0


def _tone_only(before: str, after: str) -> bool:
    """True when two names differ only in their marks (same letters folded)."""
    return fold_key(before) == fold_key(after)
