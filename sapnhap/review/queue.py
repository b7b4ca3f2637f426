"""The review queue of a new unit (Dagster-free): which items an archivist is asked, and how they show.

- `refresh_review_items(engine, new_unit)`: open the items the unit needs (uncertain fields,
  quarantined records and files, documents without person records; merge candidates are opened by
  linkage) and withdraw those no longer needed.
- `sheet_rows(engine, new_unit)`: the open items as spreadsheet rows (`sapnhap.review.sheet.SheetRow`)
  with their evidence in full: an archivist needs the names and numbers to decide; the sheet is a
  work file, not a log.
- `item_states(engine, new_unit)`: every item with its kind and status, to validate a filled sheet
  against (`sapnhap.review.sheet.validate_sheet`).
- `file_review_units`: the new units whose sheets list a former unit's quarantined files and
  documents without records.
- `uncertain_field_boxes`, `review_pages`, `attach_images`: the page images and crops shown beside
  the items (`sapnhap.review.images`).

Slightly over 600 lines: every kind of review item (field, record, file, document, pair's pages)
built in one place, so that their evidence stays alike.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from sapnhap.db.models import (
    File,
    FileSource,
    ReviewItem,
    utcnow,
)
from sapnhap.db.session import write_connection
from sapnhap.db.sql import chunks
from sapnhap.linkage.persons import upsert_review_item
from sapnhap.records.rules import required_fields_of
from sapnhap.review.masking import mask_fields, mask_reading
from sapnhap.review.sheet import ItemState, SheetRow

if TYPE_CHECKING:
    from sapnhap.review.images import FieldBox, PageRef

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReviewQueueItem:
    """One row of `review_items` as stored (its evidence JSON as text)."""

    item_id: str
    kind: str
    status: str
    record_id_l: str | None
    record_id_r: str | None
    match_probability: float | None
    evidence: str


_LABELS = {
    "full_name": "name",
    "birth_date": "born",
    "birth_year": "born",
    "personal_id": "ID",
    "sex": "sex",
    "residence": "lives in",
    "father_name": "father",
    "mother_name": "mother",
}


def _describe(side: dict, masked: bool = False) -> str:
    """One record of a pair as text: its fields (name, birth, ID ...), document and former unit; with
    `masked`, as the UI shows it (`mask_fields`: masked, addresses left out)."""
    fields = side.get("fields", {})
    shown = (
        mask_fields(fields, _LABELS)
        if masked
        else "; ".join(f"{label}: {fields[f]}" for f, label in _LABELS.items() if fields.get(f))
    )
    document = (
        f"{side.get('doc_type', '')} ({side.get('role', '')}), former unit {side.get('former_unit', '')}"
    )
    return "; ".join(x for x in (shown, document) if x)


def _masked_read(evidence: Mapping[str, Any]) -> str:
    """What the UI shows of an item's reading, from its structured evidence: a field's value masked
    (`mask_reading`), a quarantined record's fields masked (`mask_fields`), a file's or document's
    reading as it is (no personal data); an item stored before its evidence had values, `***`."""
    if evidence.get("field"):
        return mask_reading(evidence["field"], evidence["value"]) if "value" in evidence else "***"
    if "fields" in evidence:
        return mask_fields(evidence["fields"])
    if str(evidence.get("question", "")).startswith("Quarantined:"):
        return "***"
    return str(evidence.get("read", ""))


def sheet_rows(engine: Engine, new_unit_code: str) -> list[SheetRow]:
    """The open review items of the unit as sheet rows, merge candidates most probable first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ReviewItem)
            .where(ReviewItem.new_unit_code == new_unit_code, ReviewItem.status == "open")
            .order_by(ReviewItem.kind, ReviewItem.match_probability.desc(), ReviewItem.item_id)
        ).mappings()
        out = []
        for row in rows:
            item = ReviewQueueItem(**{k: row[k] for k in ReviewQueueItem.__dataclass_fields__})
            evidence = json.loads(item.evidence or "{}")
            if item.kind == "merge_candidate":
                left, right = evidence.get("left", {}), evidence.get("right", {})
                weights = evidence.get("comparisons", {})
                out.append(
                    SheetRow(
                        item_id=item.item_id,
                        kind=item.kind,
                        new_unit=new_unit_code,
                        question="Are these two records the same person? accept = one person, reject = two",
                        left=_describe(left),
                        right=_describe(right),
                        left_masked=_describe(left, masked=True),
                        right_masked=_describe(right, masked=True),
                        score=f"{item.match_probability:.3f}" if item.match_probability is not None else "",
                        details="; ".join(
                            f"{name}: {w['level']} ({w['weight']:+.1f})"
                            for name, w in weights.items()
                            if w.get("weight") is not None
                        ),
                        where=" | ".join(
                            f"{s.get('file_sha256', '')[:16]} p.{s.get('page', '')}"
                            + (f" — page {evidence[k]}" if evidence.get(k) else "")
                            for s, k in ((left, "page_image_left"), (right, "page_image_right"))
                        ),
                    )
                )
            else:
                out.append(
                    SheetRow(
                        item_id=item.item_id,
                        kind=item.kind,
                        new_unit=new_unit_code,
                        question=str(evidence.get("question", "")),
                        left=str(evidence.get("read", "")),
                        left_masked=_masked_read(evidence),
                        score=str(evidence.get("score", "")),
                        details=str(evidence.get("details", "")),
                        where=str(evidence.get("where", "")),
                    )
                )
    return out


def item_states(engine: Engine, new_unit_code: str) -> dict[str, ItemState]:
    """Every review item of the unit (open or not): item id → kind, status and field."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ReviewItem.item_id, ReviewItem.kind, ReviewItem.status, ReviewItem.evidence).where(
                ReviewItem.new_unit_code == new_unit_code
            )
        ).all()
    out = {}
    for item, kind, status, evidence in rows:
        found = json.loads(evidence or "{}")
        out[item] = ItemState(
            kind,
            status,
            str(found.get("field", "")),
            tuple(found.get("actions", ())),
            str(found.get("why", "")),
        )
    return out


# --------------------------------------------------------------------------- items of fields and records

LOW_CONFIDENCE = 70.0
"""An OCR'd field read with a mean word confidence under this (0..100), or whose diacritics were
repaired from the lexicons, goes to the review sheet as an uncertain field."""


def refresh_review_items(
    engine: Engine, new_unit_code: str, low_confidence: float | None = None, today: date | None = None
) -> dict[str, int]:
    """Open review items for the unit's uncertain OCR fields (loaded records' fields read by OCR with
    confidence under `low_confidence`, default LOW_CONFIDENCE, or repaired) and validation failures:
    quarantined records routed to the unit (`record:<record_id>`) and quarantined files handed over
    by a former unit whose review sheet is this unit's (`file:<sha256>`, `sapnhap.reference.units
    .review_unit_of` of the file's first former unit), each with its evidence; withdraw the open
    ones no longer uncertain or quarantined; and the fields the staffing and backlog reports could not
    settle by rule (`sapnhap.review.office`). An item decided once is never opened again. Returns
    counts: opened, withdrawn. `today` is the day the staffing and backlog problems are judged on
    (the reports' day, `SAPNHAP_AS_OF`; default the machine's date)."""
    from sapnhap.db.models import PersonRecord, QuarantinedRecord, RecordField
    from sapnhap.db.queries import first_sources
    from sapnhap.review.office import office_items

    low_confidence = LOW_CONFIDENCE if low_confidence is None else low_confidence
    now = utcnow()
    office = office_items(engine, new_unit_code, today)  # read before the write transaction opens
    with write_connection(engine) as conn:
        wanted: dict[str, dict] = {}
        fields = conn.execute(
            select(
                RecordField.record_id, RecordField.scope, RecordField.field, RecordField.raw, RecordField.value,
                RecordField.confidence, RecordField.page, RecordField.left, RecordField.top, RecordField.width,
                RecordField.height, RecordField.repaired, RecordField.note, PersonRecord.file_sha256,
            )
            .join(PersonRecord, PersonRecord.record_id == RecordField.record_id)
            .where(
                PersonRecord.new_unit_code == new_unit_code,
                RecordField.status == "found",
                RecordField.method.in_(("ocr", "ocr_crop")),
                (RecordField.confidence < low_confidence) | RecordField.repaired.is_(True),
            )
        ).all()  # fmt: skip
        held = conn.execute(
            select(
                QuarantinedRecord.record_id, QuarantinedRecord.reasons, QuarantinedRecord.fields,
                QuarantinedRecord.file_sha256, QuarantinedRecord.first_page, QuarantinedRecord.doc_type,
                QuarantinedRecord.role,
            ).where(QuarantinedRecord.new_unit_code == new_unit_code)
        ).all()  # fmt: skip
        # Where each file was handed over, for the archivist (only the files of these items).
        paths = first_sources(engine, {f.file_sha256 for f in fields} | {q.file_sha256 for q in held})
        for f in fields:
            item = f"field:{f.record_id}|{f.scope}|{f.field}"
            box = "" if f.left is None else f" box {f.left:.0f},{f.top:.0f} {f.width:.0f}×{f.height:.0f} px"
            wanted[item] = {
                "kind": "uncertain_field",
                "record_id_l": f.record_id,
                "evidence": {
                    "field": f.field,
                    "question": f"Is the {f.field.replace('_', ' ')} read right? accept, or write the right value",
                    "read": f"{f.raw!r} → {f.value}" if f.raw != f.value else str(f.value),
                    "value": f.value,
                    "score": "" if f.confidence is None else f"{f.confidence:.0f}",
                    "details": "; ".join(
                        x for x in ("diacritics repaired" if f.repaired else "", f.note) if x
                    ),
                    "where": f"{paths.get(f.file_sha256, f.file_sha256[:16])} p.{f.page}{box}",
                },
            }
        for q in held:
            read = json.loads(q.fields or "{}")
            wanted[f"record:{q.record_id}"] = {
                "kind": "validation_failure",
                "record_id_l": q.record_id,
                "evidence": {
                    "field": "",
                    "question": f"Quarantined: {_reasons_text(q.reasons, q.doc_type, q.role, read)}. release "
                    "(load as it is), correct (field = value) or reject (keep in quarantine)?",
                    "read": "; ".join(
                        f"{k}: {v.get('value') or v.get('raw')}" for k, v in sorted(read.items())
                    ),
                    "fields": {k: v.get("value") or v.get("raw") for k, v in sorted(read.items())},
                    "details": f"{q.doc_type} ({q.role})",
                    "where": f"{paths.get(q.file_sha256, q.file_sha256[:16])} p.{q.first_page}",
                },
            }
        wanted.update(_file_items(conn, new_unit_code))
        wanted.update(_document_items(conn, new_unit_code))
        # What the staffing and backlog reports could not settle by rule (an open item already
        # asked for a field stays as it is).
        wanted.update({k: v for k, v in office.items() if k not in wanted})
        known = dict(
            conn.execute(
                select(ReviewItem.item_id, ReviewItem.status).where(
                    ReviewItem.new_unit_code == new_unit_code,
                    ReviewItem.kind.in_(("uncertain_field", "validation_failure")),
                )
            ).all()
        )
        opened = withdrawn = 0
        for item, status in known.items():
            if status == "open" and item not in wanted:
                conn.execute(
                    update(ReviewItem)
                    .where(ReviewItem.item_id == item)
                    .values(status="withdrawn", updated_at=now)
                )
                withdrawn += 1
        for item, spec in sorted(wanted.items()):
            if item in known and known[item] != "withdrawn":
                continue  # open already, or decided: never asked twice
            values = {
                "kind": spec["kind"],
                "new_unit_code": new_unit_code,
                "record_id_l": spec["record_id_l"],
                "evidence": json.dumps(spec["evidence"], ensure_ascii=False, sort_keys=True),
                "status": "open",
                "updated_at": now,
            }
            upsert_review_item(conn, item, values, exists=item in known)
            opened += 1
    return {"opened": opened, "withdrawn": withdrawn}


def _reasons_text(reasons: str, doc_type: str, role: str, read: Mapping[str, Mapping[str, Any]]) -> str:
    """A quarantined record's rule codes for a question, `missing_required_field` with the fields
    it misses (`missing_required_field (birth_date, registration_date)`): those of
    `required_fields_of` with neither a value nor raw text in the stored fields `read`."""
    out = []
    for code in reasons.split(";"):
        if code == "missing_required_field":
            missing = [
                name
                for name in required_fields_of(doc_type, role) or ()
                if not ((read.get(name) or {}).get("value") or (read.get(name) or {}).get("raw"))
            ]
            code += f" ({', '.join(missing)})" if missing else ""
        out.append(code)
    return ", ".join(out)


def _file_items(conn: Connection, new_unit_code: str) -> dict[str, dict]:
    """The unit's quarantined-file items: item id `file:<sha256>` → kind, evidence (what is wrong,
    the file's type, pages and size, where it was handed over and archived) and the decisions it
    takes: release or reject when the file is in the archive with at least one page, else reject."""
    out: dict[str, dict] = {}
    for sha, sources in _quarantined_files(conn).items():
        first = sources[0]
        if _review_unit(sources) != new_unit_code:
            continue
        readable = bool(first.archive_path) and (first.page_count or 0) > 0
        reason = first.quarantine_reason or "quarantined"
        pages = (
            f"{first.page_count} page{'s' if first.page_count != 1 else ''}"
            if first.page_count
            else "no page"
        )
        out[f"file:{sha}"] = {
            "kind": "validation_failure",
            "record_id_l": None,
            "evidence": {
                "field": "",
                "actions": ["release", "reject"] if readable else ["reject"],
                "why": "" if readable else f"a file with no page that can be read ({reason})",
                "question": (
                    f"Quarantined file: {reason}. release (read it as it is, on your word: e.g. the pages "
                    "are all there) or reject (keep it in quarantine and ask the former unit for a new copy)?"
                    if readable
                    else f"Quarantined file: {reason}; nothing in it can be read. reject (keep it in "
                    "quarantine and ask the former unit for a new copy)"
                ),
                "read": first.detail or reason,
                "details": f"{first.kind}, {pages}, {first.size_bytes:,} bytes",
                "where": " | ".join(dict.fromkeys(s.original_path for s in sources))
                + (f" — archive {first.archive_path}" if first.archive_path else ""),
            },
        }
    return out


def _document_items(conn: Connection, new_unit_code: str) -> dict[str, dict]:
    """The unit's documents that yielded no person record: item id `document:<sha256>:<first page>` →
    kind validation_failure, evidence (type, title line, why, where) and the decisions it takes:
    reject (the archivist's word: no person in this document) or a corrected value `doc_type` (type
    it as that type, or give its title; the next intake of its former unit reads it again so).

    A document yields a person record when a loaded or quarantined record comes from it. Only the
    documents of archived files whose review sheet is this unit's (`_review_unit` of the file's
    first former unit) are listed. No field value (no personal data) is shown.
    """
    from sapnhap.records.tables import documents_without_records

    docs = _silent_documents(conn)
    if not docs:
        return {}
    sources: dict[str, list[Any]] = {}
    for row in conn.execute(
        select(FileSource.file_sha256, FileSource.former_unit_code, FileSource.original_path)
        .where(FileSource.file_sha256.in_({d.file_sha256 for d in docs}), FileSource.status == "archived")
        .order_by(FileSource.file_sha256, FileSource.id)
    ):
        sources.setdefault(row.file_sha256, []).append(row)
    table = pd.DataFrame([dict(d._mapping) for d in docs])
    silent = documents_without_records(table, table.iloc[0:0].assign(role=[], status=[]))
    out: dict[str, dict] = {}
    for d in silent.itertuples():
        found = sources.get(d.file_sha256)
        if not found or _review_unit(found) != new_unit_code:
            continue
        out[f"document:{d.file_sha256}:{d.first_page}"] = {
            "kind": "validation_failure",
            "record_id_l": None,
            "evidence": {
                "field": "doc_type",
                "actions": ["reject", "corrected_value"],
                "why": "a document that yielded no person record",
                "question": f"No person record was read from this document ({d.why}). reject: there is no "
                "person in it; or corrected value: the type to read it as (e.g. birth_registration, or its "
                "title such as TRÍCH LỤC KHAI SINH)",
                "read": f"type {d.doc_type}" + (f"; title {d.title}" if d.title else "; no title line"),
                "details": d.why,
                "where": f"{found[0].original_path} p.{d.first_page}-{d.last_page}",
            },
        }
    return out


def _silent_documents(conn: Connection, former_unit_code: str | None = None) -> list[Any]:
    """Documents no loaded or quarantined person record comes from (of the files a former unit handed
    over and that were archived, or all): rows of `documents`."""
    from sapnhap.db.models import Document, PersonRecord, QuarantinedRecord

    yielded = {
        (sha, int(page))
        for model in (PersonRecord, QuarantinedRecord)
        for sha, page in conn.execute(select(model.file_sha256, model.first_page).distinct())
    }
    query = select(
        Document.file_sha256, Document.first_page, Document.last_page, Document.doc_type, Document.type_rule,
        Document.title,
    )  # fmt: skip
    if former_unit_code is not None:
        handed = select(FileSource.file_sha256).where(
            FileSource.former_unit_code == former_unit_code, FileSource.status == "archived"
        )
        query = query.where(Document.file_sha256.in_(handed))
    return [d for d in conn.execute(query) if (d.file_sha256, int(d.first_page)) not in yielded]


def file_review_units(engine: Engine, former_unit_code: str) -> list[str]:
    """The new units whose review sheets carry quarantined files the former unit handed over, or its
    documents that yielded no person record (codes, sorted; empty when there are none): the review
    unit (`sapnhap.reference.units.review_unit_of`) of each such file's first former unit, and of
    the former unit itself for its documents."""
    from sapnhap.reference.units import review_unit_of

    with engine.connect() as conn:
        held = _quarantined_files(conn, former_unit_code)
        silent = _silent_documents(conn, former_unit_code)
    units = {u for u in map(_review_unit, held.values()) if u}
    if silent and (unit := review_unit_of(former_unit_code)):
        units.add(unit)
    return sorted(units)


def _quarantined_files(conn: Connection, former_unit_code: str | None = None) -> dict[str, list[Any]]:
    """Quarantined files (of one former unit's hand-over, or all): SHA-256 → the file's rows with
    each place it was handed over, first handed over first (columns of `files` and the source's
    former_unit_code and original_path)."""
    query = (
        select(
            File.sha256, File.kind, File.page_count, File.size_bytes, File.quarantine_reason, File.detail,
            File.archive_path, FileSource.former_unit_code, FileSource.original_path,
        )
        .join(FileSource, FileSource.file_sha256 == File.sha256)
        .where(File.status == "quarantined")
        .order_by(File.sha256, FileSource.id)
    )  # fmt: skip
    if former_unit_code is not None:
        handed = select(FileSource.file_sha256).where(FileSource.former_unit_code == former_unit_code)
        query = query.where(File.sha256.in_(handed))
    by_file: dict[str, list[Any]] = {}
    for row in conn.execute(query):
        by_file.setdefault(row.sha256, []).append(row)
    return by_file


def _review_unit(sources: Sequence[Any]) -> str | None:
    """The new unit whose sheet carries a quarantined file: its first former unit's review unit."""
    from sapnhap.reference.units import review_unit_of

    return review_unit_of(sources[0].former_unit_code)


def uncertain_field_boxes(engine: Engine, new_unit_code: str) -> dict[str, FieldBox]:
    """Where each open uncertain field of the unit was read (`sapnhap.review.images.FieldBox`): item id →
    the archived file, its page as OCR'd and the field's box in pixels. Fields without a box or whose
    file is not in the archive are left out."""
    from sapnhap.db.models import File, Page, PersonRecord, RecordField
    from sapnhap.ocr.page import PageResult
    from sapnhap.review.images import FieldBox

    with engine.connect() as conn:
        items = conn.execute(
            select(ReviewItem.item_id).where(
                ReviewItem.new_unit_code == new_unit_code,
                ReviewItem.kind == "uncertain_field",
                ReviewItem.status == "open",
            )
        ).scalars()
        out: dict[str, FieldBox] = {}
        for item in items:
            record_id, scope, field = item.partition(":")[2].split("|")
            row = conn.execute(
                select(
                    RecordField.page, RecordField.left, RecordField.top, RecordField.width, RecordField.height,
                    RecordField.box_unit, File.sha256, File.archive_path, File.kind, Page.width.label("page_width"),
                    Page.height.label("page_height"),
                    Page.rotation, Page.skew_degrees, Page.dpi, Page.method,
                )
                .join(PersonRecord, PersonRecord.record_id == RecordField.record_id)
                .join(File, File.sha256 == PersonRecord.file_sha256)
                .join(Page, (Page.file_sha256 == File.sha256) & (Page.page_number == RecordField.page))
                .where(RecordField.record_id == record_id, RecordField.scope == scope, RecordField.field == field)
            ).first()  # fmt: skip
            if row is None or row.archive_path is None or row.left is None or row.box_unit != "px":
                continue
            page = PageResult(
                file_sha256=row.sha256, page_number=int(row.page), method=row.method, reason="", width=row.page_width,
                height=row.page_height, rotation=int(row.rotation or 0), skew_degrees=float(row.skew_degrees or 0.0),
                dpi=row.dpi,
            )  # fmt: skip
            out[item] = FieldBox(
                row.sha256, row.archive_path, row.kind, page, row.left, row.top, row.width, row.height
            )
    return out


def review_pages(engine: Engine, new_unit_code: str) -> dict[str, dict[str, PageRef]]:
    """The pages to show beside the unit's open validation failures of quarantined records and merge
    candidates (`sapnhap.review.images.PageRef`: the archived file and the page as stored, its method "ocr",
    "text_layer" or "failed"): item id → evidence key → page.

    - a quarantined record `record:<record_id>`: {"page_image": the first page of its document};
    - a merge candidate `merge:<a>|<b>`: {"page_image_left": ..., "page_image_right": ...}, the page
      of each side (its evidence's `left`/`right` `file_sha256` and `page`).

    Quarantined files (`file:<sha256>`) and uncertain fields (`uncertain_field_boxes`) are not
    here. A page with no stored row is left out and logged (file hash and page only); a page that
    failed or whose file is not archived is returned as it is, for `sapnhap.review.images
    .render_page_images` to skip and log."""
    from sapnhap.db.models import Page, QuarantinedRecord
    from sapnhap.ocr.page import PageResult
    from sapnhap.review.images import PageRef

    wanted: dict[str, dict[str, tuple[str, int]]] = {}
    with engine.connect() as conn:
        items = conn.execute(
            select(ReviewItem.item_id, ReviewItem.kind, ReviewItem.evidence).where(
                ReviewItem.new_unit_code == new_unit_code,
                ReviewItem.status == "open",
                ReviewItem.kind.in_(("merge_candidate", "validation_failure")),
            )
        ).all()
        records = sorted(i.item_id.removeprefix("record:") for i in items if i.item_id.startswith("record:"))
        held: dict[str, tuple[str, int]] = {}
        for chunk in chunks(records):
            held.update(
                (rid, (sha, int(page)))
                for rid, sha, page in conn.execute(
                    select(
                        QuarantinedRecord.record_id,
                        QuarantinedRecord.file_sha256,
                        QuarantinedRecord.first_page,
                    ).where(QuarantinedRecord.record_id.in_(chunk))
                )
            )
        for item in items:
            if item.kind == "merge_candidate":
                evidence = json.loads(item.evidence or "{}")
                for side in ("left", "right"):
                    found = evidence.get(side) or {}
                    if found.get("file_sha256") and found.get("page"):
                        key = (str(found["file_sha256"]), int(found["page"]))
                        wanted.setdefault(item.item_id, {})[f"page_image_{side}"] = key
            elif item.item_id.removeprefix("record:") in held:
                wanted[item.item_id] = {"page_image": held[item.item_id.removeprefix("record:")]}
        keys = {key for sides in wanted.values() for key in sides.values()}
        stored: dict[tuple[str, int], PageRef] = {}
        for chunk in chunks(sorted({sha for sha, _ in keys})):
            rows = conn.execute(
                select(
                    Page.file_sha256, Page.page_number, Page.method, Page.reason, Page.width, Page.height,
                    Page.box_unit, Page.rotation, Page.skew_degrees, Page.dpi, File.archive_path, File.kind,
                )
                .join(File, File.sha256 == Page.file_sha256)
                .where(Page.file_sha256.in_(chunk))
            ).all()  # fmt: skip
            for row in rows:
                if (row.file_sha256, row.page_number) not in keys:
                    continue
                page = PageResult(
                    file_sha256=row.file_sha256, page_number=int(row.page_number), method=row.method,
                    reason=row.reason or "", width=row.width, height=row.height, box_unit=row.box_unit,
                    rotation=int(row.rotation or 0), skew_degrees=float(row.skew_degrees or 0.0), dpi=row.dpi,
                )  # fmt: skip
                stored[(row.file_sha256, row.page_number)] = PageRef(
                    row.file_sha256, row.archive_path, row.kind, page
                )
    out: dict[str, dict[str, PageRef]] = {}
    for sha, number in sorted(keys - set(stored)):
        logger.warning("page %s p.%d: no stored page, no page image", sha[:16], number)
    for item, sides in sorted(wanted.items()):
        for name, key in sorted(sides.items()):
            if key in stored:
                out.setdefault(item, {})[name] = stored[key]
    return out


def attach_images(engine: Engine, images: Mapping[str, Mapping[str, Path]]) -> int:
    """Record in each item's evidence where its images are: item id → evidence key → path, e.g.
    `crop` and `page_image` of an uncertain field (`sapnhap.review.images.FieldImages.paths`), `page_image`
    of a quarantined record, `page_image_left` and `page_image_right` of a merge candidate
    (`sapnhap.review.images.render_page_images`). They are named in the sheet's `where` too: appended
    ("— crop <path>", "— page <path>"), or beside each side of a merge candidate (`sheet_rows` reads
    the keys). An item whose images are recorded already is left alone; a path that changed replaces
    the old one in `where`. Items not in the queue any more are skipped. Returns the number of items
    changed."""
    changed = 0
    with write_connection(engine) as conn:
        for item, found in sorted(images.items()):
            stored = conn.execute(
                select(ReviewItem.evidence).where(ReviewItem.item_id == item)
            ).scalar_one_or_none()
            if stored is None:
                continue
            evidence = json.loads(stored or "{}")
            paths = {k: str(v) for k, v in sorted(found.items())}
            if all(evidence.get(k) == v for k, v in paths.items()):
                continue
            if not item.startswith("merge:"):
                where = str(evidence.get("where", ""))
                for k, v in paths.items():
                    old = evidence.get(k)
                    label = "crop" if k == "crop" else "page"
                    where = where.replace(old, v) if old and old in where else f"{where} — {label} {v}"
                evidence["where"] = where
            evidence.update(paths)
            conn.execute(
                update(ReviewItem)
                .where(ReviewItem.item_id == item)
                .values(evidence=json.dumps(evidence, ensure_ascii=False, sort_keys=True))
            )
            changed += 1
    return changed


__all__ = [
    "LOW_CONFIDENCE",
    "ReviewQueueItem",
    "attach_images",
    "file_review_units",
    "item_states",
    "refresh_review_items",
    "review_pages",
    "sheet_rows",
    "uncertain_field_boxes",
]
