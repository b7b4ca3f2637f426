"""Archivists' decisions stored, and applied by the pipeline (Dagster-free).

- `apply_decisions(engine, new_unit, decisions, source)`: store valid decisions: each as a
  provenance event (who, when, what, why: subject the review item, agent the reviewer), a merge
  decision also as a must-link / cannot-link pair (`linkage_decisions`) that the next linkage run
  applies and every later run respects; the item is marked decided. All in one transaction, with
  the sheet's own event when its hash is given (`applied_sheet` reads it back).
- `corrections_for`, `apply_corrections`, `releases_for`, `release_records`, `file_releases`,
  `document_types_for`, `retype_documents`: what the next ingest run takes in from them.

The queue the decisions answer is `sapnhap.review.queue`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update

from sapnhap.db.load import event_key
from sapnhap.db.models import (
    FieldCorrection,
    FileRelease,
    FileSource,
    LinkageDecision,
    ProvenanceEvent,
    RecordRelease,
    ReviewItem,
    utcnow,
)
from sapnhap.db.session import write_connection
from sapnhap.review.queue import ReviewQueueItem
from sapnhap.review.sheet import Decision

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    """What `apply_decisions` stored: decisions, provenance events added, pairs accepted and rejected
    (must-link / cannot-link), corrections, record and file releases, and the former units whose
    files must be taken in again for corrections and releases to take effect (codes, sorted)."""

    decisions: int
    events: int
    accepted_pairs: int
    rejected_pairs: int
    corrections: int = 0
    releases: int = 0
    former_units: tuple[str, ...] = ()
    file_releases: int = 0


def _record_of(item: ReviewQueueItem) -> tuple[str, str, str]:
    """(record_id, scope, field) of a field item `field:<record_id>|<scope>|<field>`, or
    (record_id, "", "") of a record item `record:<record_id>`."""
    kind, _, rest = item.item_id.partition(":")
    if kind == "field":
        record_id, scope, field = rest.split("|")
        return record_id, scope, field
    return rest, "", ""


SHEET_EVENT = "review_sheet_applied"
"""Provenance action of a whole review sheet stored (subject: the sheet's SHA-256), written in the same
transaction as its decisions: the proof that the sheet was applied, and what it asks to run."""


def applied_sheet(engine: Engine, sheet_sha256: str) -> tuple[str, Applied] | None:
    """(new unit, what was stored) for the review sheet with content hash `sheet_sha256`, when
    `apply_decisions` stored it (its SHEET_EVENT); None when it was never applied. A run that crashed
    after storing a sheet and before filing it away reads here that there is nothing left to apply."""
    with engine.connect() as conn:
        detail = conn.execute(
            select(ProvenanceEvent.detail).where(
                ProvenanceEvent.subject_type == "review_sheet",
                ProvenanceEvent.subject_id == sheet_sha256,
                ProvenanceEvent.action == SHEET_EVENT,
            )
        ).scalar_one_or_none()
    if detail is None:
        return None
    stored = json.loads(detail)
    unit = stored.pop("new_unit")
    return unit, Applied(**{**stored, "former_units": tuple(stored["former_units"])})


def apply_decisions(
    engine: Engine,
    new_unit_code: str,
    decisions: Sequence[Decision],
    source: str,
    sheet_sha256: str | None = None,
) -> Applied:
    """Store `decisions` (already validated against the unit's items) in one transaction, each as a
    provenance event (subject_type "review_item", action "review_decision", outcome the action, tool
    "review sheet" with `source` the sheet's file name, agent the reviewer, detail the note, the
    field and corrected value and the sheet row), and mark each item decided:

    - merge candidate: accept → must-link, reject → cannot-link (`linkage_decisions`);
    - uncertain field: accept → the reading stands; correct → `field_corrections`;
    - validation failure: release → `record_releases`; correct → `field_corrections`; reject → the
      record stays in quarantine;
    - quarantined file (a validation failure `file:<sha256>`): release → `file_releases` (every
      former unit that handed the file over is to be taken in again); reject → it stays in
      quarantine;
    - document without person records (`document:<sha256>:<first page>`): correct → its type, a
      `field_corrections` row (record `<unit>:<sha16>:<first page>:document`, field doc_type) that
      the next intake's `documents` asset applies (`retype_documents`); reject → no person in it.

    With `sheet_sha256` (the sheet file's SHA-256), a SHEET_EVENT provenance event holding the returned
    `Applied` is written in the same transaction (`applied_sheet` reads it back).

    Raises:
        ValueError: a decision on an item that is not open in the unit's queue any more.
    """
    now = utcnow()
    accepted = rejected = events = corrections = releases = files = 0
    units: set[str] = set()
    with write_connection(engine) as conn:
        for d in decisions:
            found = (
                conn.execute(
                    select(ReviewItem).where(
                        ReviewItem.item_id == d.item_id, ReviewItem.new_unit_code == new_unit_code
                    )
                )
                .mappings()
                .one_or_none()
            )
            item = (
                ReviewQueueItem(**{k: found[k] for k in ReviewQueueItem.__dataclass_fields__})
                if found
                else None
            )
            if item is None or item.status != "open":
                raise ValueError(f"{d.item_id}: not an open review item of new unit {new_unit_code}")
            if item.kind == "merge_candidate":
                conn.execute(
                    insert(LinkageDecision).values(
                        new_unit_code=new_unit_code,
                        record_id_l=item.record_id_l,
                        record_id_r=item.record_id_r,
                        decision="must_link" if d.action == "accept" else "cannot_link",
                        reviewer=d.reviewer,
                        note=d.note,
                        decided_at=now,
                    )
                )
                accepted += d.action == "accept"
                rejected += d.action == "reject"
            elif item.item_id.startswith("document:"):
                sha, first = item.item_id.removeprefix("document:").rsplit(":", 1)
                if d.action == "correct":
                    unit = (
                        conn.execute(
                            select(FileSource.former_unit_code)
                            .where(FileSource.file_sha256 == sha, FileSource.status == "archived")
                            .order_by(FileSource.id)
                        )
                        .scalars()
                        .first()
                    )
                    if unit is not None:
                        record_id = f"{unit}:{sha[:16]}:{first}:document"
                        key = (FieldCorrection.record_id == record_id, FieldCorrection.field == "doc_type")
                        conn.execute(delete(FieldCorrection).where(*key))
                        who = {
                            "reviewer": d.reviewer,
                            "note": d.note,
                            "item_id": d.item_id,
                            "decided_at": now,
                        }
                        conn.execute(
                            insert(FieldCorrection).values(
                                record_id=record_id, scope="document", field="doc_type", value=d.value, **who
                            )
                        )
                        corrections += 1
                        units.add(unit)
            elif item.item_id.startswith("file:"):
                sha = item.item_id.removeprefix("file:")
                if d.action == "release":
                    who = {"reviewer": d.reviewer, "note": d.note, "item_id": d.item_id, "decided_at": now}
                    conn.execute(delete(FileRelease).where(FileRelease.sha256 == sha))
                    conn.execute(insert(FileRelease).values(sha256=sha, **who))
                    files += 1
                    units.update(
                        conn.execute(
                            select(FileSource.former_unit_code).where(FileSource.file_sha256 == sha)
                        ).scalars()
                    )
            else:
                record_id, scope, field = _record_of(item)
                who = {"reviewer": d.reviewer, "note": d.note, "item_id": d.item_id, "decided_at": now}
                if d.action == "correct":
                    scope = scope or ("document" if d.field in _DOCUMENT_FIELDS else "person")
                    key = (FieldCorrection.record_id == record_id, FieldCorrection.scope == scope)
                    conn.execute(
                        delete(FieldCorrection).where(*key, FieldCorrection.field == (field or d.field))
                    )
                    conn.execute(
                        insert(FieldCorrection).values(
                            record_id=record_id, scope=scope, field=field or d.field, value=d.value, **who
                        )
                    )
                    corrections += 1
                    units.add(record_id.split(":", 1)[0])
                elif d.action == "release":
                    conn.execute(delete(RecordRelease).where(RecordRelease.record_id == record_id))
                    conn.execute(insert(RecordRelease).values(record_id=record_id, **who))
                    releases += 1
                    units.add(record_id.split(":", 1)[0])
            identity = {
                "subject_type": "review_item",
                "subject_id": d.item_id,
                "action": "review_decision",
                "tool": "review sheet",
                "tool_version": source[:64],  # the sheet's file name, as long as the column takes
                "outcome": d.action,
            }
            key = event_key(**identity)
            if (
                conn.execute(
                    select(ProvenanceEvent.event_key).where(ProvenanceEvent.event_key == key)
                ).first()
                is None
            ):
                conn.execute(
                    insert(ProvenanceEvent).values(
                        event_key=key,
                        **identity,
                        detail=json.dumps(
                            {
                                "note": d.note,
                                "field": d.field,
                                "value": d.value,
                                "row": d.row,
                                "kind": d.kind,
                            },
                            ensure_ascii=False,
                        ),
                        occurred_at=now,
                        agent=d.reviewer,
                    )
                )
                events += 1
            conn.execute(
                update(ReviewItem)
                .where(ReviewItem.item_id == d.item_id)
                .values(status="decided", updated_at=now)
            )
        applied = Applied(
            decisions=len(decisions),
            events=events,
            accepted_pairs=accepted,
            rejected_pairs=rejected,
            corrections=corrections,
            releases=releases,
            former_units=tuple(sorted(units)),
            file_releases=files,
        )
        if sheet_sha256 is not None:
            identity = {
                "subject_type": "review_sheet",
                "subject_id": sheet_sha256,
                "action": SHEET_EVENT,
                "tool": "review sheet",
                "tool_version": source[:64],
                "outcome": new_unit_code,
            }
            conn.execute(
                insert(ProvenanceEvent).values(
                    event_key=event_key(**identity),
                    **identity,
                    detail=json.dumps(
                        {**dataclasses.asdict(applied), "new_unit": new_unit_code}, sort_keys=True
                    ),
                    occurred_at=now,
                )
            )
    return applied


_DOCUMENT_FIELDS = frozenset(
    {"registration_date", "registration_place", "registration_number", "received_date", "appointment_date"}
    | {"declared_at", "recruited_date", "receipt_number", "status"}
)


def document_types_for(engine: Engine, former_unit_code: str) -> dict[tuple[str, int], str]:
    """The document types archivists gave a former unit's documents (review items `document:…`):
    (file SHA-256 first 16, first page) → doc_type."""
    corrections = corrections_for(engine, former_unit_code)
    wanted = corrections[corrections["field"] == "doc_type"]
    out = {}
    for record_id, value in zip(wanted["record_id"], wanted["value"], strict=True):
        _, sha16, page, _ = record_id.split(":")
        out[(sha16, int(page))] = str(value)
    return out


def retype_documents(documents: pd.DataFrame, types: Mapping[tuple[str, int], str]) -> pd.DataFrame:
    """The `documents` table with the archivists' types (`document_types_for`) over the recognised
    ones: doc_type replaced, type_rule `archivist: was <type>`. Other rows unchanged."""
    if not types or documents.empty:
        return documents
    out = documents.copy()
    for i, (sha, first, was) in enumerate(
        zip(out["file_sha256"], out["first_page"], out["doc_type"], strict=True)
    ):
        given = types.get((str(sha)[:16], int(first)))
        if given and given != was:
            out.iloc[i, out.columns.get_loc("doc_type")] = given
            out.iloc[i, out.columns.get_loc("type_rule")] = f"archivist: was {was}"
    return out


def file_releases(engine: Engine, shas: Iterable[str] | None = None) -> dict[str, tuple[str, str]]:
    """The files an archivist released: SHA-256 → (reviewer, note), for `shas` (all when None)."""
    query = select(FileRelease.sha256, FileRelease.reviewer, FileRelease.note)
    if shas is not None:
        wanted = sorted(set(shas))
        if not wanted:
            return {}
        query = query.where(FileRelease.sha256.in_(wanted))
    with engine.connect() as conn:
        return {sha: (reviewer, note) for sha, reviewer, note in conn.execute(query)}


# --------------------------------------------------------------------------- applying in the pipeline


def corrections_for(engine: Engine, former_unit_code: str) -> pd.DataFrame:
    """The corrections of a former unit's records: columns record_id, scope, field, value, reviewer,
    note."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                FieldCorrection.record_id, FieldCorrection.scope, FieldCorrection.field, FieldCorrection.value,
                FieldCorrection.reviewer, FieldCorrection.note,
            ).where(FieldCorrection.record_id.like(f"{former_unit_code}:%"))
        ).all()  # fmt: skip
    return pd.DataFrame(rows, columns=["record_id", "scope", "field", "value", "reviewer", "note"])


def releases_for(engine: Engine, former_unit_code: str) -> set[str]:
    """Record ids of the former unit's records an archivist released."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(RecordRelease.record_id).where(RecordRelease.record_id.like(f"{former_unit_code}:%"))
            ).scalars()
        )


def apply_corrections(source: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """`source_records` with archivists' corrections over the readings: the value replaced, the raw
    reading kept, method "archivist", status "found", confidence 100, note naming the reviewer. A
    person field is matched by its record; a document field (scope "document", corrected on any of
    the document's people) by the document. A correction of a field the extraction did not return
    adds the field. Returns a new table; rows not corrected are unchanged."""
    corrections = corrections[corrections["field"] != "doc_type"]  # document types: retype_documents
    if corrections.empty or source.empty:
        return source
    out = source.copy()

    def document(record_id: str) -> str:
        return record_id.rsplit(":", 1)[0]

    wanted: dict[tuple[str, str, str], tuple[str, str]] = {}
    for r in corrections.itertuples(index=False):
        target = r.record_id if r.scope == "person" else f"{document(r.record_id)}:document"
        wanted[(target, r.scope, r.field)] = (
            r.value,
            f"corrected by {r.reviewer}" + (f": {r.note}" if r.note else ""),
        )
    done = set()
    for i, (rid, role, field) in enumerate(zip(out["record_id"], out["role"], out["field"], strict=True)):
        k = (rid, "person" if role else "document", field)
        if k not in wanted:
            continue
        value, note = wanted[k]
        out.iloc[i, [out.columns.get_loc(c) for c in ("value", "method", "status", "note")]] = [
            value, "archivist", "found", note
        ]  # fmt: skip
        out.iloc[i, out.columns.get_loc("confidence")] = 100.0
        done.add(k)
    first = out.drop_duplicates("record_id").set_index("record_id")
    by_document = out.drop_duplicates("file_sha256").set_index("file_sha256")
    extra = []
    for (rid, scope, field), (value, note) in wanted.items():
        if (rid, scope, field) in done:
            continue
        base = first.loc[rid] if rid in first.index else None
        if base is None:
            sha16 = rid.split(":")[1]
            match = [sha for sha in by_document.index if sha.startswith(sha16)]
            if not match:
                continue  # the record's file is not in this extraction (removed): nothing to correct
            base = by_document.loc[match[0]]
        extra.append(
            {**{c: base[c] for c in ("former_unit_code", "file_sha256", "first_page", "doc_type")},
             "record_id": rid, "role": rid.rsplit(":", 1)[1] if scope == "person" else "", "field": field,
             "raw": "", "value": value, "confidence": 100.0, "page": None, "left": None, "top": None,
             "width": None, "height": None, "box_unit": "px", "method": "archivist", "engine": "",
             "engine_version": "", "repaired": False, "note": note, "status": "found"}
        )  # fmt: skip
    if extra:
        out = pd.concat([out, pd.DataFrame(extra, columns=out.columns)], ignore_index=True)
    return out


def release_records(validated: pd.DataFrame, released: set[str]) -> pd.DataFrame:
    """`validated_records` with the released records loaded: a quarantined record an archivist
    released becomes "warning", its errors kept as warnings with `released_by_archivist`."""
    if not released or validated.empty:
        return validated
    out = validated.copy()
    hit = out["record_id"].isin(released) & (out["status"] == "quarantined")
    out.loc[hit, "status"] = "warning"
    out.loc[hit, "n_warnings"] = out.loc[hit, "n_warnings"] + out.loc[hit, "n_errors"] + 1
    out.loc[hit, "n_errors"] = 0
    out.loc[hit, "reasons"] = [
        f"{r};released_by_archivist" if r else "released_by_archivist" for r in out.loc[hit, "reasons"]
    ]
    return out


__all__ = [
    "Applied",
    "apply_corrections",
    "apply_decisions",
    "applied_sheet",
    "corrections_for",
    "document_types_for",
    "file_releases",
    "release_records",
    "releases_for",
    "retype_documents",
]
