"""Scores of the commune office's reports against a generated batch's ground truth: headcount per
new unit and position mapping (exact), and the backlog classification ("overdue at the cut-over":
precision and recall).

Truth: the staff CVs of `documents.csv` / `records.csv` (one entity per staff member, the new unit
their record belongs to) and the canonical `position` of each CV in `fields.csv`, mapped by the same
rule table (`sapnhap.staffing.positions.map_title`: the evaluation scores what the pipeline read and
linked, not the rule table, which has no truth of its own); the receipts' canonical receipt number,
received and appointment dates and status, classified at the cut-over by
`sapnhap.backlog.classify.classify_dossier`. Predicted: `staffing_picture` and `classify_backlog` over
what the pipeline loaded and linked.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine

from sapnhap.backlog.classify import CUT_OVER, classify_dossier
from sapnhap.backlog.report import classify_backlog, receipts
from sapnhap.evaluation.scores import documents_by_key, precision_recall
from sapnhap.staffing.picture import STAFF_TYPES, placement_of, staff_records, staffing_picture
from sapnhap.staffing.positions import load_positions, load_title_rules, map_title


def _canonical(fields: pd.DataFrame, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """doc_id → {field: canonical value} for the document-level fields `names`."""
    part = fields[fields["field"].isin(names)]
    out: dict[str, dict[str, str]] = {}
    for doc, name, value in zip(part["doc_id"], part["field"], part["canonical"], strict=True):
        out.setdefault(str(doc), {})[str(name)] = str(value)
    return out


def score_staffing(
    engine: Engine, documents: pd.DataFrame, fields: pd.DataFrame, records: pd.DataFrame, today: date
) -> dict:
    """Per new unit taking staff (their folder's former unit merged whole into it, `placement_of`):
    headcount expected (distinct staff entities) and found (`staffing_picture`), exact or not; and over the persons found whose records have a truth,
    the share whose position code equals the truth's (the latest CV's canonical title mapped)."""
    staff = records[records["doc_type"].isin(STAFF_TYPES)]
    if staff.empty:
        return {"status": "not scored", "reason": "the batch holds no staff record"}
    # Staff belong to the new unit of their employer, the folder that handed their papers over.
    placed = [placement_of(str(f)) for f in staff["folder"]]
    staff = staff.assign(employer_unit=[p[0] if len(p) == 1 else "" for p in placed])
    awaiting = int(sum(1 for p in placed if len(p) != 1))
    doc_of = documents_by_key(documents)
    issued = dict(zip(documents["doc_id"], documents["issued"], strict=True))
    titles = _canonical(fields, ("position",))
    rules, positions = load_title_rules(), load_positions()
    units = []
    mapped = correct = 0
    for unit in sorted(u for u in staff["employer_unit"].unique() if u):
        expected = staff[staff["employer_unit"] == unit]
        frame = staff_records(engine, unit)
        picture = staffing_picture(frame, unit, today, None, positions=positions, rules=rules)
        found = picture.summary["headcount"]
        units.append(
            {
                "new_unit": unit,
                "expected": int(expected["entity_id"].nunique()),
                "found": int(found),
                "exact": int(expected["entity_id"].nunique()) == int(found),
            }
        )
        # The truth's entity of each record found, and the position the truth's latest CV maps to.
        entity_of_record = {}
        for r in frame.itertuples():
            doc = doc_of.get((r.file_sha256, int(r.first_page), int(r.entry or 0)))
            hit = expected[expected["doc_id"] == doc]
            if len(hit):
                entity_of_record[r.record_id] = hit["entity_id"].iloc[0]
        truth_position = {}
        for entity, group in expected.groupby("entity_id"):
            latest = max(group["doc_id"], key=lambda d: (issued.get(d, ""), d))
            truth_position[entity] = map_title(
                titles.get(latest, {}).get("position"), rules, positions
            ).position_code
        for p in picture.people.itertuples():
            entity = entity_of_record.get(p.record_id)
            if entity is None:
                continue
            mapped += 1
            found = None if pd.isna(p.position_code) else p.position_code  # pandas reads None as NaN
            correct += found == truth_position.get(entity)
    exact = sum(u["exact"] for u in units)
    return {
        "status": "scored",
        "units": units,
        "headcount_exact_units": exact,
        "headcount_units": len(units),
        "staff_records_awaiting_placement_truth": awaiting,
        "position_mapping_scored": mapped,
        "position_mapping_correct": correct,
        "position_mapping_accuracy": correct / mapped if mapped else None,
    }


def score_backlog(
    engine: Engine, documents: pd.DataFrame, fields: pd.DataFrame, records: pd.DataFrame, today: date
) -> dict:
    """ "Overdue at the cut-over" by receipt number: the truth's receipts classified at CUT_OVER from
    their canonical values against the pipeline's dossiers (`classify_backlog` over the loaded
    receipts of every new unit): precision, recall, F1; and the dossiers counted on each side."""
    receipt_docs = documents[documents["doc_type"] == "procedure_receipt"]
    if receipt_docs.empty:
        return {"status": "not scored", "reason": "the batch holds no procedure receipt"}
    values = _canonical(fields, ("receipt_number", "received_date", "appointment_date", "status"))
    # The truth's dossiers: the receipts of one number (a later one may say the result was returned,
    # and on which day), classified at the cut-over from their canonical values.
    truth: dict[str, list[dict[str, str]]] = {}
    for doc in receipt_docs["doc_id"]:
        v = values.get(str(doc), {})
        if v.get("receipt_number"):
            truth.setdefault(v["receipt_number"], []).append(v)
    truth_numbers, truth_overdue = set(truth), set()
    for number, group in truth.items():
        first = min(group, key=lambda v: v.get("received_date", ""))
        status = next(
            (v["status"] for v in group if v.get("status", "").startswith("Đã trả")), first.get("status", "")
        )
        received = date.fromisoformat(first["received_date"][:10]) if first.get("received_date") else None
        due = date.fromisoformat(first["appointment_date"][:10]) if first.get("appointment_date") else None
        if classify_dossier(received, due, status, CUT_OVER).state == "overdue":
            truth_overdue.add(number)
    units = sorted(
        u for u in records.loc[records["doc_type"] == "procedure_receipt", "new_unit_code"].unique() if u
    )
    frames = [classify_backlog(receipts(engine, unit), today) for unit in units]
    dossiers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["receipt_number"])
    found_overdue = (
        set(dossiers.loc[dossiers["state_at_cut_over"] == "overdue", "receipt_number"].dropna())
        if len(dossiers)
        else set()
    )
    tp = len(found_overdue & truth_overdue)
    return {
        "status": "scored",
        "dossiers_truth": len(truth_numbers),
        "dossiers_found": int(len(dossiers)),
        "overdue_at_cut_over_truth": len(truth_overdue),
        "overdue_at_cut_over_found": len(found_overdue),
        **precision_recall(tp, len(found_overdue - truth_overdue), len(truth_overdue - found_overdue)),
    }
