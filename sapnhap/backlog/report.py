"""The procedure backlog of one new unit: every procedure dossier received by its former units (their
receipts), where each stood at the cut-over (1 July 2025) and stands today, the aggregates by former
unit and procedure field, the dossiers still open with no later document showing them settled, and
the `.xlsx` report for the commune's office.

A dossier is its receipt number: when several receipts of one number were handed over (a copy in the
commune's and in the district's archive, a later receipt with the result), one dossier is counted,
and a receipt saying the result was returned settles it. A receipt without a number counts alone.
Classification rules and their sources: `sapnhap.backlog.classify` (Decree 61/2018/NĐ-CP, Circular
01/2018/TT-VPCP, Decree 118/2025/NĐ-CP); working days: `sapnhap.backlog.workdays`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from sapnhap.backlog.classify import BUCKETS, CUT_OVER, classify_dossier
from sapnhap.db.models import PersonMember, PersonRecord, QuarantinedRecord, RecordField
from sapnhap.text import fold_diacritics

RECEIPT_TYPES = ("procedure_receipt",)
RECEIPT_FIELDS = ("receipt_number", "procedure", "received_date", "appointment_date", "status")

FIELD_RULES: tuple[tuple[str, str], ...] = (
    ("dang ky khai sinh", "Hộ tịch"),
    ("dang ky ket hon", "Hộ tịch"),
    ("dang ky khai tu", "Hộ tịch"),
    ("trich luc ho tich", "Hộ tịch"),
    ("xac nhan tinh trang hon nhan", "Hộ tịch"),
    ("chung thuc", "Chứng thực"),
    ("dang ky thuong tru", "Cư trú"),
    ("dang ky tam tru", "Cư trú"),
    ("quyen su dung dat", "Đất đai"),
    ("ho ngheo", "Bảo trợ xã hội"),
    ("tro cap", "Bảo trợ xã hội"),
)
"""Procedure name (folded, a phrase it contains) → procedure field, as the National Database of
Administrative Procedures groups them (Decree 63/2010/NĐ-CP, Art. 24; fields Hộ tịch, Chứng thực,
Đăng ký và quản lý cư trú, Đất đai, Bảo trợ xã hội). A procedure matching none is "Khác" (other)."""


def procedure_field(procedure: str | None) -> str:
    """The field of a procedure name by FIELD_RULES; "Khác" when none matches or it is empty."""
    key = " ".join(fold_diacritics(procedure or "").lower().split())
    return next((name for phrase, name in FIELD_RULES if phrase in key), "Khác")


def receipts(engine: Engine, new_unit_code: str) -> pd.DataFrame:
    """The receipts routed to `new_unit_code`: columns record_id, person_id (the applicant's person,
    None when not linked), former_unit_code, file_sha256, first_page and RECEIPT_FIELDS (as stored:
    ISO dates, NFC text; None where not read)."""
    with engine.connect() as conn:
        records = conn.execute(
            select(
                PersonRecord.record_id,
                PersonMember.person_id,
                PersonRecord.former_unit_code,
                PersonRecord.file_sha256,
                PersonRecord.first_page,
            )
            .outerjoin(PersonMember, PersonMember.record_id == PersonRecord.record_id)
            .where(PersonRecord.new_unit_code == new_unit_code, PersonRecord.doc_type.in_(RECEIPT_TYPES))
            .order_by(PersonRecord.record_id)
        ).all()
        ids = [r.record_id for r in records]
        values: dict[str, dict[str, str]] = {i: {} for i in ids}
        for start in range(0, len(ids), 500):
            for rid, name, value in conn.execute(
                select(RecordField.record_id, RecordField.field, RecordField.value).where(
                    RecordField.record_id.in_(ids[start : start + 500]), RecordField.field.in_(RECEIPT_FIELDS)
                )
            ).all():
                if value not in (None, ""):
                    values[rid][name] = value
    rows = [
        {
            "record_id": r.record_id,
            "person_id": r.person_id,
            "former_unit_code": r.former_unit_code,
            "file_sha256": r.file_sha256,
            "first_page": r.first_page,
            **{name: values[r.record_id].get(name) for name in RECEIPT_FIELDS},
        }
        for r in records
    ]
    columns = ["record_id", "person_id", "former_unit_code", "file_sha256", "first_page", *RECEIPT_FIELDS]
    return pd.DataFrame(rows, columns=columns)


def _day(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


OPEN_STATES = ("not_due", "overdue", "awaiting_applicant")
HELD_NOTE = "; {count} receipt(s) of this number held in quarantine (its review may settle it)"

DOSSIER_COLUMNS = (
    "dossier",
    "receipt_number",
    "receipts",
    "record_id",
    "former_unit_code",
    "procedure",
    "field",
    "person_id",
    "received_date",
    "appointment_date",
    "status",
    "state_at_cut_over",
    "late_at_cut_over",
    "bucket_at_cut_over",
    "state_today",
    "late_today",
    "bucket_today",
    "reason",
    "held_in_quarantine",
)


def classify_backlog(
    receipts_df: pd.DataFrame,
    today: date,
    cut_over: date = CUT_OVER,
    held: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """One row per dossier (DOSSIER_COLUMNS) with its state at `cut_over` and on `today`
    (`classify_dossier`): the receipts of one number folded into one dossier, a returned one
    settling it; the other values from its earliest receipt. `reason` is today's (or, when the
    receipt cannot be classified, why). `held` (receipt number → receipts of that number held in
    quarantine, `held_receipts`) fills `held_in_quarantine`; an open dossier with one says so in its
    reason: the held receipt is not counted (it is not validated) but its review may settle it."""
    out = []
    receipts_df = receipts_df.astype(object).where(receipts_df.notna(), None)  # NaN from a frame: None
    frame = receipts_df.assign(
        _key=[
            f"n:{n}" if n else f"r:{rid}"
            for n, rid in zip(receipts_df["receipt_number"], receipts_df["record_id"], strict=True)
        ]
    )
    for key, group in frame.sort_values(["received_date", "record_id"], na_position="last").groupby("_key"):
        first = group.iloc[0]
        statuses = [s for s in group["status"] if s]
        returned = next(
            (s for s in statuses if classify_dossier(None, None, s, today).state == "returned"), None
        )
        status = returned or (statuses[-1] if statuses else "")
        received, appointment = _day(first["received_date"]), _day(first["appointment_date"])
        at_cut = classify_dossier(received, appointment, status, cut_over)
        now = classify_dossier(received, appointment, status, today)
        waiting = (held or {}).get(str(first["receipt_number"] or ""), 0)
        out.append(
            {
                "dossier": key,
                "receipt_number": first["receipt_number"],
                "receipts": len(group),
                "record_id": first["record_id"],
                "former_unit_code": first["former_unit_code"],
                "procedure": first["procedure"],
                "field": procedure_field(first["procedure"]),
                "person_id": None if first["person_id"] is None else int(first["person_id"]),
                "received_date": first["received_date"],
                "appointment_date": first["appointment_date"],
                "status": status,
                "state_at_cut_over": at_cut.state,
                "late_at_cut_over": at_cut.working_days_late,
                "bucket_at_cut_over": at_cut.bucket,
                "state_today": now.state,
                "late_today": now.working_days_late,
                "bucket_today": now.bucket,
                "reason": now.reason
                + (HELD_NOTE.format(count=waiting) if waiting and now.state in OPEN_STATES else ""),
                "held_in_quarantine": waiting,
            }
        )
    return pd.DataFrame(out, columns=list(DOSSIER_COLUMNS))


def backlog_aggregates(dossiers: pd.DataFrame, when: str = "today") -> pd.DataFrame:
    """Counts by former unit and procedure field on `when` ("today" or "at_cut_over"): columns
    former_unit_code, field, dossiers, returned, open, awaiting_applicant, one per BUCKETS (the open
    dossiers not awaiting the applicant by working days late), unreadable, not_yet_received. The
    counts of a row add up: dossiers = returned + open + unreadable + not_yet_received, and open =
    awaiting_applicant + the buckets."""
    state, bucket = f"state_{when}", f"bucket_{when}"
    rows = []
    for (unit, fld), group in dossiers.groupby(["former_unit_code", "field"], sort=True):
        states = group[state]
        row = {
            "former_unit_code": unit,
            "field": fld,
            "dossiers": len(group),
            "returned": int((states == "returned").sum()),
            "open": int(states.isin(OPEN_STATES).sum()),
            "awaiting_applicant": int((states == "awaiting_applicant").sum()),
        }
        for name in BUCKETS:
            row[name] = int(((group[bucket] == name) & states.isin(("not_due", "overdue"))).sum())
        row["unreadable"] = int((states == "unreadable").sum())
        row["not_yet_received"] = int((states == "not_yet_received").sum())
        rows.append(row)
    columns = [
        "former_unit_code",
        "field",
        "dossiers",
        "returned",
        "open",
        "awaiting_applicant",
        *BUCKETS,
        "unreadable",
        "not_yet_received",
    ]
    return pd.DataFrame(rows, columns=columns)


def held_receipts(engine: Engine, new_unit_code: str) -> dict[str, int]:
    """Receipt number → how many receipts of that number routed to `new_unit_code` are held in
    quarantine (a misread ID number, a date out of range …): evidence a reviewer may release, read from
    the held record's fields as extracted (`QuarantinedRecord.fields`, JSON)."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for (fields,) in conn.execute(
            select(QuarantinedRecord.fields).where(
                QuarantinedRecord.new_unit_code == new_unit_code,
                QuarantinedRecord.doc_type.in_(RECEIPT_TYPES),
            )
        ):
            try:
                number = (json.loads(fields or "{}").get("receipt_number") or {}).get("value")
            except (ValueError, AttributeError):
                continue  # fields that are not the loader's JSON: nothing to match on
            if number:
                out[str(number)] = out.get(str(number), 0) + 1
    return out


def stalled(dossiers: pd.DataFrame) -> pd.DataFrame:
    """The dossiers overdue today (no later document shows them settled), most late first."""
    return dossiers[dossiers["state_today"] == "overdue"].sort_values("late_today", ascending=False)


def write_backlog_xlsx(dossiers: pd.DataFrame, path: Path, today: date) -> Path:
    """Write the backlog workbook: `Summary` (rules and sources), `Today` and `At cut-over`
    (aggregates), `Overdue` (stalled dossiers) and `Dossiers` (all). Applicants appear by person id,
    never by name. Returns `path`.

    Raises:
        OSError: the file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = pd.DataFrame(
        [
            ("today", today.isoformat()),
            ("cut-over", CUT_OVER.isoformat()),
            ("dossiers", len(dossiers)),
            ("open today", int(dossiers["state_today"].isin(OPEN_STATES).sum())),
            ("overdue today", int((dossiers["state_today"] == "overdue").sum())),
            ("open at cut-over", int(dossiers["state_at_cut_over"].isin(OPEN_STATES).sum())),
            ("overdue at cut-over", int((dossiers["state_at_cut_over"] == "overdue").sum())),
            ("unreadable (to decide)", int((dossiers["state_today"] == "unreadable").sum())),
            ("rule: before 1 July 2025", "Decree 61/2018/NĐ-CP Art. 19; Circular 01/2018/TT-VPCP"),
            ("rule: from 1 July 2025", "Decree 118/2025/NĐ-CP"),
            ("working days", "weekends and Vietnam's public holidays (python-holidays, VN)"),
        ],
        columns=["figure", "value"],
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        summary.to_excel(writer, sheet_name="Summary", index=False)
        backlog_aggregates(dossiers, "today").to_excel(writer, sheet_name="Today", index=False)
        backlog_aggregates(dossiers, "at_cut_over").to_excel(writer, sheet_name="At cut-over", index=False)
        stalled(dossiers).to_excel(writer, sheet_name="Overdue", index=False)
        dossiers.to_excel(writer, sheet_name="Dossiers", index=False)
    return path
