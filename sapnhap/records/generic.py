"""Generic person extraction: people read from any document by the shared label vocabulary.

The five dedicated templates (`sapnhap.records.templates`) know the layouts the project's generator
prints. Real hand-overs hold many more: every civil-status form of Circular 04/2024/TT-BTP, ID and
residence papers, other wordings and orders of the same fields. This module reads any of them
through the labels of `sapnhap.records.vocabulary.PERSON_LABELS` (`Họ, chữ đệm, tên` / `Họ và tên`
/ `Họ tên`; `Ngày, tháng, năm sinh` / `Ngày sinh` / `Sinh ngày`; `Số định danh cá nhân` / `Số
CCCD` / `Số CMND`; `Nơi cư trú` / `Nơi thường trú` / `Địa chỉ`; parents', spouses', guardians'
labels …) with the same line building, fuzzy label matching (OCR slips and missing marks
tolerated), value reading, re-reading and normalisation as the templates (`sapnhap.records.extract`).

Who a field belongs to:

- a label that names its role (`Họ và tên người mẹ`) opens that person's section;
- a label of the document (`Số`, `Ngày đăng ký`, `Nơi chết`) gives a field of the document (role "");
- any other label belongs to the section it stands in. Before any role is named that is the
  document's *primary* person (`primary_role`: `child` on a birth extract, `deceased` on a death
  extract or notice, `staff`, `applicant`, else `person`); a plain name label after the primary
  person's name opens the next unnamed person (`second_person`, `third_person` …, at most
  `MAX_UNNAMED`).

Labels after a signature block's opening line (`sapnhap.records.vocabulary.SIGNATURE_LINES`:
`NGƯỜI KÝ TRÍCH LỤC`, `(Ký, ghi rõ họ tên)` …) on the same page are the signer's and are not read.

A section whose found fields include none of a name, an ID number or a date or year of birth is not a
person (an office's `Địa chỉ:` in a letterhead): it gives no record, and the document, if it has no
other person, is listed by `sapnhap.records.tables.documents_without_records` with why.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from sapnhap.ocr.page import PageResult
from sapnhap.records.extract import LabelHit, document_lines, find_labels, is_stop_line, value_of
from sapnhap.records.templates import SECTION, Label, ValueKind
from sapnhap.records.values import CropReader, ExtractedField, Value, read_field
from sapnhap.records.vocabulary import PERSON_LABELS, SIGNATURE_LINES, UNNAMED_ROLES, label_key

GENERIC_ROLE = UNNAMED_ROLES[0]
MAX_UNNAMED = len(UNNAMED_ROLES)
# The person a document is about, when its type says so; every other type: `person`.
PRIMARY_ROLES: dict[str, str] = {
    "birth_registration": "child",
    "birth_register_book": "child",
    "medical_birth_certificate": "child",
    "death_registration": "deceased",
    "death_register_book": "deceased",
    "death_notice": "deceased",
    "staff_list": "staff",
    "staff_cv": "staff",
    "appointment_decision": "staff",
    "procedure_receipt": "applicant",
}
# A section is a person when one of these was found for it.
PERSON_EVIDENCE = frozenset({"full_name", "personal_id", "passport_number", "birth_date", "birth_year"})
# Value kinds whose values may wrap onto the following lines (addresses, places).
_WRAPS: frozenset[ValueKind] = frozenset({"place"})


def _as_label(text: str, field: str, kind: ValueKind, role: str | None) -> Label:
    """A vocabulary label as a template `Label`: it may follow another pair's value on a line (two or
    three pairs share a line on many forms); a name label naming a role opens that role's section."""
    return Label(
        text,
        field,
        kind,
        role=SECTION if role is None else role,
        opens=role if role and field == "full_name" else None,
        inline=True,
        wraps=kind in _WRAPS,
    )


GENERIC_LABELS: tuple[Label, ...] = tuple(
    _as_label(fl.text, fl.field, fl.kind, fl.role) for fl in PERSON_LABELS
)


_SIGNATURE_KEYS = tuple(label_key(text) for text in SIGNATURE_LINES)


def is_signature_line(text: str) -> bool:
    """Whether a whole line opens a signature block (`SIGNATURE_LINES`, similarity >= 85 on keys)."""
    key = label_key(text)
    return bool(key) and any(fuzz.ratio(key, sig) >= 85 for sig in _SIGNATURE_KEYS)


def primary_role(doc_type: str) -> str:
    """The role of the person a document of `doc_type` is about (`PRIMARY_ROLES`, else `person`)."""
    return PRIMARY_ROLES.get(doc_type, GENERIC_ROLE)


def extract_generic(
    pages: Sequence[PageResult],
    doc_type: str,
    crop_reader: CropReader | None = None,
) -> list[ExtractedField]:
    """Every labelled person field of a document, whatever its layout, by the shared vocabulary.

    Args:
        pages: the document's pages in order (text layer or OCR `PageResult`s).
        doc_type: its type (a catalogue type of `sapnhap.records.vocabulary.TITLES`, a template
            type, or `unknown`); only chooses the primary role (`primary_role`).
        crop_reader: as for `sapnhap.records.extract.extract_document` (None: no re-reading).

    Returns:
        One `ExtractedField` (status `found`) per (role, field) whose label was found, in reading
        order (a label with nothing after it gives a blank value, as the templates do): the first
        reading of a field in a section wins. Fields of sections that are not a person
        (`PERSON_EVIDENCE`) are left out, document fields (role "") kept. No "missing" rows: a generic
        document has no list of expected fields. [] when no label was found. Never raises on
        unreadable text.
    """
    lines = document_lines(pages)
    signed: set[int] = set()  # pages whose signature block has begun
    hits: list[LabelHit] = []
    for i, line in enumerate(lines):
        page = id(line.page)
        if page in signed:
            continue
        if is_signature_line(line.text):
            signed.add(page)
            continue
        if not is_stop_line(line.words):
            hits.extend(find_labels(line.words, i, GENERIC_LABELS, inline_colon=True))
    line_hits: dict[int, list[LabelHit]] = {}
    for hit in hits:
        line_hits.setdefault(hit.line, []).append(hit)
    first = primary_role(doc_type)
    unnamed = [first, *(r for r in UNNAMED_ROLES[1:])]
    opened = 1  # unnamed sections opened so far
    role = first
    values: dict[tuple[str, str], tuple[Value, ValueKind]] = {}
    for hit in hits:
        label = hit.label
        if label.role == "":
            owner = ""
        elif label.role != SECTION:
            owner = role = label.role
        else:
            if label.field == "full_name" and (role, "full_name") in values:
                if (first, "full_name") not in values:
                    role = first
                elif opened < MAX_UNNAMED:
                    role = unnamed[opened]
                    opened += 1
                else:
                    continue  # more unnamed people than roles: a list, read as a register table
            owner = role
        if (owner, label.field) in values:
            continue
        values[(owner, label.field)] = (value_of(hit, label, lines, line_hits), label.kind)
    people = {
        owner
        for (owner, name), (value, _) in values.items()
        if owner and name in PERSON_EVIDENCE and value.raw
    }
    out: list[ExtractedField] = []
    for (owner, name), (value, kind) in values.items():
        if owner and owner not in people:
            continue
        out.append(read_field(owner, name, kind, value, crop_reader))
    return out
