"""Pages grouped into documents, and each document's type recognised from its title.

A Vietnamese administrative document opens with the national motto
("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc") and a title in capitals
(Decree 30/2020/NĐ-CP on administrative documents, Appendix I, sets this layout; the civil-status
extracts follow the templates of Circular 04/2024/TT-BTP). So a page that carries the motto near its
top starts a new document, and the title lines decide the type. Matching is done on diacritic-folded
capitals with a fuzzy ratio, so OCR errors in a title (`QUYÉT ĐỊNH`, `CONG HOA XA HOI`) still match.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz import fuzz

from sapnhap.records.vocabulary import TEMPLATE_TYPES, TITLES, match_title
from sapnhap.text import fold_diacritics

UNKNOWN = "unknown"

ADMINISTRATIVE_TITLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("official_decision", ("QUYẾT ĐỊNH",)),
    ("resolution", ("NGHỊ QUYẾT",)),
    ("directive", ("CHỈ THỊ",)),
    ("notice", ("THÔNG BÁO",)),
    ("report", ("BÁO CÁO",)),
    ("plan", ("KẾ HOẠCH",)),
    ("submission", ("TỜ TRÌNH",)),
    ("official_letter", ("CÔNG VĂN",)),
)
"""Types of administrative document named in Decree 30/2020/NĐ-CP, Article 7, and their titles."""

SUBJECT_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("official_decision", "appointment_decision", ("bo nhiem",)),
)
"""(type of the title, narrower type, folded phrases of its subject line): a decision whose subject
line (trích yếu, `Về việc bổ nhiệm …`, printed under the title: Decree 30/2020/NĐ-CP, Appendix I)
appoints someone is an appointment decision, read by `sapnhap.records.appointments`."""

# (document type, title phrases as printed). Order matters: specific before generic. The templated
# types' phrases are the title catalogue's (`sapnhap.records.vocabulary.TITLES`, with their sources),
# in its order: one list of titles, not two.
TITLE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    *(
        (t, tuple(p for entry in TITLES if entry.doc_type == t for p in entry.phrases))
        for t in TEMPLATE_TYPES
    ),
    *ADMINISTRATIVE_TITLES,
)
NATIONAL_MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"

_TITLE_THRESHOLD = 88.0
_MOTTO_THRESHOLD = 80.0
_HEAD_LINES = 30


@dataclass(frozen=True)
class DocumentType:
    """A recognised type, the rule that matched (human-readable) and the title line it matched on."""

    doc_type: str
    rule: str
    title: str | None


@dataclass(frozen=True)
class DocumentSpan:
    """A document inside a file: 1-based inclusive page range and its type."""

    first_page: int
    last_page: int
    doc_type: str
    type_rule: str
    title: str | None


def classify(text: str) -> DocumentType:
    """Recognise a document's type from the title lines at the head of its first page.

    Lines are read top down; the first line that is a title decides. A title is printed in capitals
    (at least 70% of its letters), and matches a phrase when, on folded capitals, the whole line is
    that phrase with a few OCR errors (ratio ≥ 88) or the line begins with it ("QUYẾT ĐỊNH Về
    việc ..."). An official letter (công văn) has no title but a subject line starting "V/v" under
    its number (Decree 30/2020/NĐ-CP, Appendix I). When no title line matches `TITLE_RULES`, the
    title lines are matched, top down, against the wider catalogue `sapnhap.records.vocabulary.TITLES`
    (civil-status forms of Circular 04/2024/TT-BTP, personal papers); the rule then reads
    "catalogue title '…' matched (…; source: …)". Returns type "unknown" with the rule
    "no title matched" when nothing matches.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()][:_HEAD_LINES]
    title_lines: list[str] = []
    for at, line in enumerate(lines):
        candidate = _key(line)
        if len(candidate) < 4:
            continue
        if _is_subject_line(line):
            return DocumentType("official_letter", "subject line 'V/v' (công văn)", line)
        if not _mostly_capitals(line) or _is_reference(line):
            continue
        title_lines.append(line)
        for doc_type, phrases in TITLE_RULES:
            for phrase in phrases:
                key = _key(phrase)
                head = candidate[: len(key) + 2]
                score = max(
                    fuzz.ratio(candidate, key), fuzz.ratio(head, key) if len(candidate) > len(key) else 0
                )
                if score >= _TITLE_THRESHOLD:
                    rule = f"title '{phrase}' matched (similarity {score:.0f})"
                    return _narrowed(DocumentType(doc_type, rule, line), lines[at + 1 : at + 3])
    # Fallback: the wider catalogue of titles (Circular 04/2024/TT-BTP forms, personal papers), only
    # once no line matched TITLE_RULES, so the rules above keep their results exactly.
    for line in title_lines:
        entry = match_title(line)
        if entry is not None:
            rule = f"catalogue title '{entry.phrases[0]}' matched (sapnhap.records.vocabulary; source: {entry.source})"
            return DocumentType(entry.doc_type, rule, line)
    return DocumentType(UNKNOWN, "no title matched", None)


def _narrowed(found: DocumentType, following: list[str]) -> DocumentType:
    """`found`, or the narrower type of SUBJECT_RULES when one of the `following` lines (its subject
    line) begins with `Về việc` and holds one of the rule's phrases."""
    for title_type, narrower, phrases in SUBJECT_RULES:
        if found.doc_type != title_type:
            continue
        for line in following:
            folded = " ".join(fold_diacritics(line).lower().split())
            if folded.startswith(("ve viec", "v/v")) and any(p in folded for p in phrases):
                return DocumentType(narrower, f"{found.rule}; subject line '{line}'", found.title)
    return found


def starts_document(text: str) -> bool:
    """True when a page carries the national motto in its first lines (the head of a new document)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:12]
    key = _key(NATIONAL_MOTTO)
    return any(fuzz.partial_ratio(key, _key(line)) >= _MOTTO_THRESHOLD for line in lines if len(line) >= 10)


EMPTY_SHEET_RULE = "empty sheet: no cell holds a value"


def group_pages(pages: list[tuple[int, str]], empty_sheets: Collection[int] = ()) -> list[DocumentSpan]:
    """Split a file's pages into documents and type each one.

    Args:
        pages: (page_number, text) for every page of one file, any order; page numbers 1-based.
        empty_sheets: page numbers that are empty sheets or tables of a born-digital register
            (`sapnhap.ocr.sheets`, reason `empty_sheet`): each is a document by itself, type
            `unknown`, rule EMPTY_SHEET_RULE, so that it is listed rather than folded into the
            sheet before it.

    Returns:
        Document spans covering every page exactly once, in page order. A new document starts at
        the first page, at every later page that carries the national motto near its top, and at
        an empty sheet and the page after it.
    """
    ordered = sorted(pages)
    if not ordered:
        return []
    empty = set(empty_sheets)
    starts = [ordered[0][0]] + [
        number
        for number, text in ordered[1:]
        if number in empty or number - 1 in empty or starts_document(text)
    ]
    spans: list[DocumentSpan] = []
    texts = dict(ordered)
    last_page = ordered[-1][0]
    for i, first in enumerate(starts):
        last = starts[i + 1] - 1 if i + 1 < len(starts) else last_page
        kind = DocumentType(UNKNOWN, EMPTY_SHEET_RULE, None) if first in empty else classify(texts[first])
        spans.append(DocumentSpan(first, last, kind.doc_type, kind.rule, kind.title))
    return spans


def _key(text: str) -> str:
    folded = fold_diacritics(text).upper()
    return " ".join(re.sub(r"[^A-Z0-9 ]+", " ", folded).split())


def _is_reference(line: str) -> bool:
    """A line that cites a document ("Căn cứ Quyết định số ...") is not a title."""
    return _key(line).startswith(("CAN CU", "THEO", "THUC HIEN", "KEM THEO"))


def _is_subject_line(line: str) -> bool:
    return re.match(r"^\s*V\s*/\s*v\b", line) is not None


def _mostly_capitals(line: str) -> bool:
    # The title is the first words of the line; OCR may glue the next column's words after it.
    letters = [ch for ch in line.split("  ")[0] if ch.isalpha()][:30]
    return bool(letters) and sum(ch.isupper() for ch in letters) / len(letters) >= 0.7
