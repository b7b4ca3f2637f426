"""Review items for what the commune office's reports could not settle by rule: a staff member whose
former title maps to no catalogue position, whose rank code does not exist or whose birth date is
missing (`sapnhap.staffing.picture`), and a procedure receipt whose dates cannot be classified
(`sapnhap.backlog.report`). Each is an item on a field of the record (`field:<record_id>|<scope>|<field>`,
kind "uncertain_field"): the archivist accepts the reading as it is or writes the right value, which
the next intake applies like any correction; the reports then count the corrected value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from sapnhap.backlog.report import classify_backlog, receipts
from sapnhap.db.models import RecordField
from sapnhap.db.queries import first_sources
from sapnhap.staffing.picture import staff_records, staffing_picture

QUESTIONS = {
    "position": "The former title maps to no position of the catalogue ({reason}). Accept to keep it without "
    "a position, or write the title as the position table knows it",
    "rank_code": "{reason}. Accept, or write the right rank code (Circular 02/2021/TT-BNV)",
    "birth_date": "{reason}. Accept, or write the birth date (DD/MM/YYYY) from the CV",
    "sex": "{reason}. Accept, or write Nam or Nữ",
    "appointment_date": "The receipt cannot be classified: {reason}. Accept, or write the right appointment date",
}


def office_items(engine: Engine, new_unit_code: str, today: date | None = None) -> dict[str, dict[str, Any]]:
    """Item id → {kind, record_id_l, evidence} for the staffing and backlog problems of the unit on
    `today` (default: the date of the machine). No personal value is put in the question; the
    reading is shown as the review sheet shows any field."""
    today = today or date.today()
    staff = staff_records(engine, new_unit_code)
    picture = staffing_picture(staff, new_unit_code, today, None)
    problems = [(p.record_id, p.field, p.reason) for p in picture.problems.itertuples()]
    dossiers = classify_backlog(receipts(engine, new_unit_code), today)
    unreadable = dossiers[dossiers["state_today"] == "unreadable"]
    problems += [(r.record_id, "appointment_date", r.reason) for r in unreadable.itertuples()]
    if not problems:
        return {}
    ids = sorted({rid for rid, _, _ in problems})
    with engine.connect() as conn:
        stored = {
            (r.record_id, r.field): r
            for r in conn.execute(
                select(
                    RecordField.record_id, RecordField.scope, RecordField.field, RecordField.raw,
                    RecordField.value, RecordField.page,
                ).where(RecordField.record_id.in_(ids))
            ).all()
        }  # fmt: skip
    files = {rid: sha for rid, sha in zip(staff["record_id"], staff["file_sha256"], strict=True)}
    files.update(
        zip(dossiers["record_id"], [rid.split(":")[1] for rid in dossiers["record_id"]], strict=True)
    )
    paths = first_sources(engine, {sha for sha in files.values() if len(sha) == 64})
    out = {}
    for rid, name, reason in problems:
        field = stored.get((rid, name))
        scope = field.scope if field is not None else "person"
        sha = files.get(rid, "")
        out[f"field:{rid}|{scope}|{name}"] = {
            "kind": "uncertain_field",
            "record_id_l": rid,
            "evidence": {
                "field": name,
                "question": QUESTIONS[name].format(reason=reason),
                "read": "" if field is None else str(field.value or field.raw or ""),
                "value": None if field is None else field.value,
                "score": "",
                "details": reason,
                "where": f"{paths.get(sha, sha[:16])} p.{field.page if field is not None and field.page else ''}",
            },
        }
    return out
