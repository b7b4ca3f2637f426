"""Appointment decisions (quyết định bổ nhiệm) read from their prose.

A decision names its person in a sentence, not under labels: Article 1 of an individual decision
(Decree 30/2020/NĐ-CP on administrative documents, Appendix III) reads "Điều 1. Bổ nhiệm ông Phạm
Minh Lộc, sinh ngày 03/03/1978, giữ chức danh Công chức Văn hóa - Xã hội của Ủy ban nhân dân xã Gia
Vân, kể từ ngày 29/06/2025." (commune civil servants are appointed by the district chairman under
Decree 33/2023/NĐ-CP). The label vocabulary cannot read that, so this reader matches the sentence on
the document's words, diacritics folded and case ignored (OCR slips in marks tolerated), and keeps
each value's words as its lineage, like every other reader.

Fields: the person (`staff`): `full_name`, `birth_date`; the document's: `decision_number` (the
`Số:` line), `position` (the post appointed to), `employer_unit`, `declared_at` (the day the
appointment takes effect: the staffing picture orders a person's documents by it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sapnhap.ocr.page import PageResult, Word
from sapnhap.records.extract import Line, document_lines
from sapnhap.records.templates import ValueKind
from sapnhap.records.values import CropReader, ExtractedField, Value, read_field
from sapnhap.text import fold_diacritics

DOC_TYPE = "appointment_decision"
FIELDS: tuple[tuple[str, str, ValueKind], ...] = (
    ("staff", "full_name", "name"),
    ("staff", "birth_date", "date"),
    ("", "decision_number", "code"),
    ("", "position", "text"),
    ("", "employer_unit", "text"),
    ("", "declared_at", "date"),
)
"""(role, field, value kind) of every field an appointment decision gives, in this order."""

_DATE = r"[0-9][0-9 ./-]{6,12}[0-9]"
_ARTICLE = re.compile(
    r"bo\s*nhiem\s+(?:ong|ba)\s+(?P<full_name>[^,;:]+?)\s*,\s*sinh\s+ngay\s+(?P<birth_date>" + _DATE + r")"
    r"\s*,?\s*giu\s+chuc\s+(?:danh|vu)\s+(?P<position>.+?)(?:\s+cua\s+(?P<employer_unit>.+?))?"
    r"\s*,?\s*(?:ke\s+tu\s+ngay|tu\s+ngay)\s+(?P<declared_at>" + _DATE + r")"
)
_NUMBER = re.compile(r"^so\s*:\s*(?P<decision_number>\S+)")


def _fold(text: str) -> str:
    """Lower case, diacritics folded, one character for one (offsets stay those of `text`)."""
    return "".join((fold_diacritics(ch)[:1] or ch).lower()[:1] or ch for ch in text)


class _Text:
    """The words of some lines joined by single spaces, with each word's span in the joined text."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.words: list[tuple[Word, Line]] = []
        self.spans: list[tuple[int, int]] = []
        parts: list[str] = []
        at = 0
        for line in lines:
            for word in line.words:
                self.words.append((word, line))
                self.spans.append((at, at + len(word.text)))
                parts.append(word.text)
                at += len(word.text) + 1
        self.text = " ".join(parts)
        self.folded = _fold(self.text)

    def value(self, start: int, end: int) -> Value | None:
        """The value between offsets `start` and `end`: the words it touches, its raw text (the words
        cut at the span's ends), the page of its first word; None for an empty span."""
        chosen = [i for i, (s, e) in enumerate(self.spans) if s < end and e > start]
        if not chosen or start >= end:
            return None
        words = [self.words[i][0] for i in chosen]
        lines = {id(self.words[i][1]) for i in chosen}
        return Value(
            words,
            self.text[start:end].strip(" ,.;"),
            self.words[chosen[0]][1].page,
            wrapped=len(lines) > 1,
        )


def read_appointment(
    pages: Sequence[PageResult], crop_reader: CropReader | None = None
) -> list[ExtractedField]:
    """The fields of an appointment decision (`FIELDS` order), each found one read and normalised like
    a labelled value (`sapnhap.records.values.read_field`: names title case and repaired, dates ISO),
    with its words' box as lineage; a field the sentence does not give has status "missing" (note
    `not_in_sentence`). Never raises on unreadable text: a page without the sentence gives every
    field "missing" (then no person: the document is listed as yielding no record, with why).
    """
    lines = document_lines(pages)
    text = _Text(lines)
    values: dict[str, Value] = {}
    article = _ARTICLE.search(text.folded)
    if article is not None:
        for name in ("full_name", "birth_date", "position", "employer_unit", "declared_at"):
            if article.group(name) is not None:
                value = text.value(article.start(name), article.end(name))
                if value is not None:
                    values[name] = value
    for line in lines:
        own = _Text([line])
        number = _NUMBER.search(own.folded)
        if number is not None:
            value = own.value(number.start("decision_number"), number.end("decision_number"))
            if value is not None:
                values["decision_number"] = value
            break
    file_sha = pages[0].file_sha256 if pages else ""
    out: list[ExtractedField] = []
    for role, name, kind in FIELDS:
        found = values.get(name)
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
                    note="not_in_sentence",
                    status="missing",
                    file_sha256=file_sha,
                )  # fmt: skip
            )
        else:
            out.append(read_field(role, name, kind, found, crop_reader))
    return out
