"""Archivists' decisions between the review queue and the database (Dagster-free).

- `sheet_rows(engine, new_unit)`: the open items of a new unit as spreadsheet rows
  (`sapnhap.review.SheetRow`) with their evidence in full: an archivist needs the names and numbers to
  decide; the sheet is a work file, not a log.
- `item_states(engine, new_unit)`: every review item of the unit with its kind and status, to
  validate a filled sheet against (`sapnhap.review.validate_sheet`).
- `apply_decisions(engine, new_unit, decisions, source)`: store valid decisions: each as a
  provenance event (who, when, what, why: subject the review item, agent the reviewer), a merge
  decision also as a must-link / cannot-link pair (`linkage_decisions`) that the next linkage run
  applies and every later run respects; the item is marked decided. All in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from sapnhap.db.load import event_key
from sapnhap.db.models import LinkageDecision, ProvenanceEvent, ReviewItem, utcnow
from sapnhap.db.session import write_connection
from sapnhap.review import Decision, ItemState, SheetRow

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


@dataclass(frozen=True)
class _Item:
    item_id: str
    kind: str
    status: str
    record_id_l: str | None
    record_id_r: str | None
    match_probability: float | None
    evidence: str


def _describe(side: dict) -> str:
    """One record of a pair as text: its fields (name, birth, ID ...), document and former unit."""
    fields = side.get("fields", {})
    parts = [f"{label}: {fields[f]}" for f, label in _LABELS.items() if fields.get(f)]
    parts.append(
        f"{side.get('doc_type', '')} ({side.get('role', '')}), former unit {side.get('former_unit', '')}"
    )
    return "; ".join(parts)


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
            item = _Item(**{k: row[k] for k in _Item.__dataclass_fields__})
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
                        score=f"{item.match_probability:.3f}" if item.match_probability is not None else "",
                        details="; ".join(
                            f"{name}: {w['level']} ({w['weight']:+.1f})"
                            for name, w in weights.items()
                            if w.get("weight") is not None
                        ),
                        where=" | ".join(
                            f"{s.get('file_sha256', '')[:16]} p.{s.get('page', '')}" for s in (left, right)
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
    return {
        item: ItemState(kind, status, str(json.loads(evidence or "{}").get("field", "")))
        for item, kind, status, evidence in rows
    }


@dataclass(frozen=True)
class Applied:
    """What `apply_decisions` stored: decisions by action, provenance events added, pairs accepted
    and rejected (must-link / cannot-link)."""

    decisions: int
    events: int
    accepted_pairs: int
    rejected_pairs: int


def apply_decisions(
    engine: Engine, new_unit_code: str, decisions: Sequence[Decision], source: str
) -> Applied:
    """Store `decisions` (already validated against the unit's items) in one transaction: a
    provenance event each (subject_type "review_item", action "review_decision", outcome the action,
    tool "review sheet" with `source` the sheet's file name, agent the reviewer, detail the note, the
    corrected value and the sheet row), a merge decision as a linkage decision, and the item marked
    decided.

    Raises:
        ValueError: a decision on an item that is not open in the unit's queue any more, or a kind
            whose application is not built yet (uncertain fields and validation failures: issue 6).
    """
    now = utcnow()
    accepted = rejected = events = 0
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
            item = _Item(**{k: found[k] for k in _Item.__dataclass_fields__}) if found else None
            if item is None or item.status != "open":
                raise ValueError(f"{d.item_id}: not an open review item of new unit {new_unit_code}")
            if item.kind != "merge_candidate":
                raise ValueError(
                    f"{d.item_id}: applying {item.kind.replace('_', ' ')} decisions is not built yet"
                )
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
            identity = {
                "subject_type": "review_item",
                "subject_id": d.item_id,
                "action": "review_decision",
                "tool": "review sheet",
                "tool_version": source,
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
                            {"note": d.note, "value": d.value, "row": d.row, "kind": d.kind},
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
    return Applied(decisions=len(decisions), events=events, accepted_pairs=accepted, rejected_pairs=rejected)


__all__ = ["Applied", "apply_decisions", "item_states", "sheet_rows"]
