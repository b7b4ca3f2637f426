"""Dates and years as Vietnamese registers print them; a failure keeps the raw text and says why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sapnhap.records.normalise.text import normalise_text
from sapnhap.text import fold_diacritics

# --- dates -------------------------------------------------------------------------------------------

# OCR confusions inside a number: letters that stand for digits (l, I, | for 1; O, o for 0).
_OCR_DIGITS = str.maketrans({"l": "1", "I": "1", "|": "1", "i": "1", "O": "0", "o": "0"})
_D = r"[0-9OolIi|]"
_NUMERIC_DATE = re.compile(
    rf"(?<![\d/.\-])(?P<d>{_D}{{1,2}})\s*[/.\-]\s*(?P<m>{_D}{{1,2}})\s*[/.\-]\s*(?P<y>{_D}{{2,4}})(?![\w/\-]|\.\d)"
)
_ISO_DATE = re.compile(r"(?<![\w/.\-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w/\-]|\.\d)")
# On the folded, lower-cased text: ngày 21 tháng 9 năm 1973 (ngày optional; commas allowed).
_WORDS_DATE = re.compile(
    rf"(?:ngay\s*)?(?<![\w])(?P<d>{_D}{{1,2}})\s*,?\s*thang\s*(?P<m>{_D}{{1,2}})\s*,?\s*nam\s*(?P<y>{_D}{{2,4}})(?!\w)"
)
_MONTH_YEAR = re.compile(
    rf"thang\s*{_D}{{1,2}}\s*(?:,?\s*nam|/)\s*{_D}{{4}}(?!\w)"
    rf"|(?<![\w/.\-]){_D}{{1,2}}\s*[/.\-]\s*{_D}{{4}}(?![\w/\-]|\.\d)"
)
_YEAR = re.compile(rf"(?<![\w/.\-])(?P<y>{_D}{{4}})(?![\w/\-]|\.\d)")
# Day and month run together or split by a stray colon, the year last (`13042003`, `2/42008`,
# `22/011961`, `18-08: 1975`): separators lost by the writer or by OCR.
_RUN_DATE = re.compile(
    r"(?<![\w/.\-])(?P<a>\d{1,4})(?:\s*[/.\-:]\s*(?P<b>\d{1,2}))?(?P<sep>\s*[/.\-:]?\s*)(?P<y>\d{4})(?![\w/\-])"
)
_TWO_DIGIT_YEAR = re.compile(r"(?:nam|sinh)\s*:?\s*(?P<y>\d{2})(?!\w)")
YEAR_RANGE = (1800, 2100)  # years outside are taken as misreadings (error year_out_of_range)

DateError = Literal[
    "blank", "unparseable_date", "two_digit_year", "impossible_date", "year_out_of_range", "incomplete_date"
]


@dataclass(frozen=True)
class ParsedDate:
    """A date read from text. `value` the date or None; `raw` the text as given (always kept); `error`
    None on success, else a reason code: `blank` (no text), `unparseable_date` (no date found),
    `incomplete_date` (month and year only), `two_digit_year` (century ambiguous: `21/09/73`),
    `impossible_date` (no such day: `31/02/1990`, month 13), `year_out_of_range` (outside `YEAR_RANGE`,
    taken as a misreading). `separators_inferred` is True when the day and month were told apart
    without the separators the text lost (`_run_together`)."""

    value: date | None
    raw: str
    error: DateError | None = None
    separators_inferred: bool = False


@dataclass(frozen=True)
class ParsedYear:
    """A year read from text (`Năm sinh: 1950`): `value` or None, `raw` kept, `error` one of
    `ParsedDate`'s codes (`blank`, `unparseable_date`, `two_digit_year`, `year_out_of_range`,
    `impossible_date`)."""

    value: int | None
    raw: str
    error: DateError | None = None


def _digits(group: str) -> str | None:
    """The group with OCR letters read as digits, or None when it has no real digit at all."""
    if not any(ch.isdigit() for ch in group):
        return None
    return group.translate(_OCR_DIGITS)


def _to_date(raw: str, d: str, m: str, y: str) -> ParsedDate:
    day, month, year = _digits(d), _digits(m), _digits(y)
    if day is None or month is None or year is None:
        return ParsedDate(None, raw, "unparseable_date")
    if len(year) == 2:
        return ParsedDate(None, raw, "two_digit_year")
    if len(year) != 4:
        return ParsedDate(None, raw, "unparseable_date")
    if not YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]:
        return ParsedDate(None, raw, "year_out_of_range")
    try:
        return ParsedDate(date(int(year), int(month), int(day)), raw, None)
    except ValueError:
        return ParsedDate(None, raw, "impossible_date")


def parse_date(raw: str) -> ParsedDate:
    """Read a date as Vietnamese registers print it, day first: `21/9/1973`, `21/09/1973`,
    `21-09-1973`, `21.09.1973`, `ngày 21 tháng 9 năm 1973` (with or without diacritics, `ngày`
    optional), and ISO `1973-09-21`. Words around are ignored, also a label OCR glued to the date
    (`Ngày12/03/1990`), and the first date in the text is taken
    (`09 giờ 15 phút, ngày 12/06/2025` → 2025-06-12; `Sinh ngày: 21/09/1973`). Spaces around the
    separators are allowed, and inside the numbers the OCR confusions `l`/`I`/`i`/`|` → 1 and
    `O`/`o` → 0 are read as digits (`2l/O9/1973`) when each number keeps at least one real digit.

    When no date is printed with its separators, a numeric date that lost them is read if only one
    reading is a real date (`13042003`, `2/42008`, `18-08: 1975`; `separators_inferred` is then True).

    Never fails silently: the raw text is always returned and a failure has an error code (see
    `ParsedDate`): `31/02/1990` → `impossible_date`; `21/09/73` → `two_digit_year` (no century rule:
    registers hold births of 1900s and 2000s alike, so `73` cannot be decided safely).

    Raises:
        TypeError: when `raw` is not a str.
    """
    text = normalise_text(raw)
    if not text:
        return ParsedDate(None, raw, "blank")
    folded = fold_diacritics(text).lower()
    found: list[tuple[int, re.Match[str]]] = []
    for pattern, source in ((_NUMERIC_DATE, text), (_ISO_DATE, text), (_WORDS_DATE, folded)):
        match = pattern.search(source)
        if match:
            # Positions in `folded` and `text` differ only by removed combining marks: compare via
            # the folded prefix length, which is what both texts share up to the match.
            start = match.start() if source is folded else len(fold_diacritics(text[: match.start()]))
            found.append((start, match))
    if not found:
        run = _run_together(raw, text)
        if run is not None:
            return run
        if _MONTH_YEAR.search(folded):
            return ParsedDate(None, raw, "incomplete_date")
        return ParsedDate(None, raw, "unparseable_date")
    _, match = min(found, key=lambda item: item[0])
    return _to_date(raw, match.group("d"), match.group("m"), match.group("y"))


def _run_together(raw: str, text: str) -> ParsedDate | None:
    """A numeric date whose separators were lost, when only one reading is a real date; else None.

    The year is the last four digits. The digits before it are the day and month: split at a
    separator left between them (`2/42008` → 2/4/2008, `22/011961` → 22/01/1961), else two and two
    (`13042003` → 13/04/2003), one and one (`152003` → 1/5/2003), or, for three digits, the one split
    that gives a real date (`3122003` → 31/2 impossible, 3/12 → 2003-12-03). A single digit, an
    ambiguous split, or digits set apart from the year by a separator or a space (`12/2000` is a month
    and a year, `1203 2003` unclear) give None (the caller reports the text), never a guess; when
    every split names a day that does not exist the date is `impossible_date`.
    """
    match = _RUN_DATE.search(text)
    if match is None:
        return None
    a, b, y = match.group("a"), match.group("b"), match.group("y")
    if b is None and match.group("sep"):
        return None  # `12/2000`, `1203 2003`: a month and year, or a split that is not a lost separator
    if b is not None:
        splits = [(a, b)] if len(a) <= 2 else []
    elif len(a) == 4:
        splits = [(a[:2], a[2:])]
    elif len(a) == 2:
        splits = [(a[0], a[1])]
    elif len(a) == 3:
        splits = [(a[:1], a[1:]), (a[:2], a[2:])]
    else:
        splits = []
    readings = [_to_date(raw, d, m, y) for d, m in splits]
    real = [r for r in readings if r.value is not None]
    if not real and readings and all(r.error == "impossible_date" for r in readings):
        return ParsedDate(None, raw, "impossible_date")  # `29022001` as `29/02/2001`
    if len(real) != 1:
        return None
    return ParsedDate(real[0].value, raw, None, separators_inferred=True)


def parse_year(raw: str) -> ParsedYear:
    """Read a year: `Năm sinh: 1950` → 1950, `1950` → 1950; from a full date its year
    (`Sinh ngày 21/09/1950` → 1950). OCR confusions as in `parse_date` (`l950`). A two-digit year
    (`Năm sinh: 50`) is the error `two_digit_year`; a year outside `YEAR_RANGE` `year_out_of_range`;
    a full date that does not exist (`31/02/1990`) keeps `parse_date`'s error (`impossible_date`), the
    year is not guessed from it; no year `unparseable_date`; blank `blank`. The raw text is always kept.

    Raises:
        TypeError: when `raw` is not a str.
    """
    text = normalise_text(raw)
    if not text:
        return ParsedYear(None, raw, "blank")
    parsed = parse_date(text)
    if parsed.value is not None:
        return ParsedYear(parsed.value.year, raw, None)
    if parsed.error in ("two_digit_year", "impossible_date", "year_out_of_range"):
        return ParsedYear(None, raw, parsed.error)  # a full date is there but wrong: no guessing
    month_year = re.search(r"(?<![\d/.\-])\d{1,2}\s*[/.\-]\s*(?P<y>\d{4})(?![\w/\-])", text)
    if month_year and parsed.error == "incomplete_date":
        year = int(month_year.group("y"))  # `06/2000`: the year of a month and year
        if YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            return ParsedYear(year, raw, None)
    for match in _YEAR.finditer(fold_diacritics(text).lower()):
        year = _digits(match.group("y"))
        if year is None:
            continue
        if not YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]:
            return ParsedYear(None, raw, "year_out_of_range")
        return ParsedYear(int(year), raw, None)
    if _TWO_DIGIT_YEAR.search(fold_diacritics(text).lower()) or parsed.error == "two_digit_year":
        return ParsedYear(None, raw, "two_digit_year")
    return ParsedYear(None, raw, "unparseable_date")
