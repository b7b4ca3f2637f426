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

Steps 5 and 6 are `sapnhap.records.values` (`read_field`), shared with the generic and register readers.
A field whose label is not found is reported with status "missing" and no value: nothing is invented.
Every value carries its provenance: file SHA-256, page, bounding box (in the page's `box_unit`), the
method (`text_layer`, `ocr`, or `ocr_crop` for a re-read) and the engine version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from sapnhap.ocr.page import PageResult, Word
from sapnhap.records.normalise import (
    normalise_text,
)
from sapnhap.records.templates import SECTION, STOP_LINES, TEMPLATES, Label, Template, ValueKind
from sapnhap.records.values import (
    BBox,
    CropReader,
    ExtractedField,
    Value,
    fold_key,
    read_field,
)

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
    keys = [
        fold_key(w.text.split(":", 1)[0]) if _inner_colon(w.text) else fold_key(w.text) for w in line_words
    ]
    candidates: list[LabelHit] = []
    seen: set[str] = set()
    first = next((i for i, k in enumerate(keys) if k), len(keys))  # after leading `-`, `•`
    for label in labels:
        if label.text in seen:
            continue
        seen.add(label.text)
        key = fold_key(label.text)
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
    return bool(colon and head and fold_key(tail))


def _labels_agree(hit: LabelHit, chosen: list[LabelHit]) -> bool:
    """A label takes a line's start only once; a line holds each label once."""
    return all(c.label.text != hit.label.text for c in chosen)


_STOP_KEYS = tuple(fold_key(s) for s in STOP_LINES)


def is_stop_line(words: list[Word]) -> bool:
    """Whether a line is one of `STOP_LINES` (signature blocks, footers: no field after them)."""
    key = fold_key(" ".join(w.text for w in words))
    return any(fuzz.ratio(key, stop) >= 80 for stop in _STOP_KEYS if key)


# --- the extractor --------------------------------------------------------------------------------


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
    if not fold_key(raw):  # only specks after the label (`-.`): the value is below it
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
        if _WORDS_DATE_LINE.search(fold_key(line.text)):
            return Value(line.words, line.text, line.page)
    return None
