"""The procedure backlog of a new unit from its former units' receipts: one dossier per receipt
number, states at the cut-over and today, aggregates that add up, the overdue list, the workbook."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd

from sapnhap.backlog.classify import BUCKETS
from sapnhap.backlog.report import (
    backlog_aggregates,
    classify_backlog,
    procedure_field,
    stalled,
    write_backlog_xlsx,
)

TODAY = date(2026, 12, 4)


def receipt(
    rid: str, unit: str, number: str | None, received: str, due: str | None, status: str, procedure: str
) -> dict:
    return {
        "record_id": rid,
        "person_id": None,
        "former_unit_code": unit,
        "file_sha256": "c" * 64,
        "first_page": 1,
        "receipt_number": number,
        "procedure": procedure,
        "received_date": received,
        "appointment_date": due,
        "status": status,
    }


RECEIPTS = pd.DataFrame(
    [
        # Open at the cut-over, 7 working days late; settled by a later receipt of the same number.
        receipt(
            "r1",
            "14479",
            "000.00.14479-250610-0001",
            "2025-06-10",
            "2025-06-20",
            "Đang giải quyết",
            "Đăng ký khai sinh",
        ),
        receipt(
            "r1b",
            "14482",
            "000.00.14479-250610-0001",
            "2025-06-10",
            "2025-06-20",
            "Đã trả kết quả",
            "Đăng ký khai sinh",
        ),
        # Open at the cut-over and returned on 15 July 2025, as the later receipt of its number says.
        receipt(
            "r7",
            "14479",
            "000.00.14479-250611-0001",
            "2025-06-11",
            "2025-06-20",
            "Đang giải quyết",
            "Đăng ký kết hôn",
        ),
        receipt(
            "r7b",
            "14479",
            "000.00.14479-250611-0001",
            "2025-06-11",
            "2025-06-20",
            "Đã trả kết quả ngày 15/07/2025",
            "Đăng ký kết hôn",
        ),
        # Still open today: overdue since 9 January 2025.
        receipt(
            "r2",
            "14479",
            "000.00.14479-250102-0002",
            "2025-01-02",
            "2025-01-09",
            "Đang giải quyết",
            "Chứng thực bản sao từ bản chính",
        ),
        # Waiting for the applicant.
        receipt(
            "r3",
            "14482",
            "000.00.14482-250502-0001",
            "2025-05-02",
            "2025-05-09",
            "Chờ bổ sung hồ sơ",
            "Đăng ký thường trú",
        ),
        # The appointment before the day received: unreadable, to decide.
        receipt(
            "r4",
            "14482",
            None,
            "2025-06-20",
            "2025-06-10",
            "Đang giải quyết",
            "Hỗ trợ hộ nghèo xây dựng nhà ở",
        ),
        # Received after the cut-over, due in the future.
        receipt(
            "r5",
            "14479",
            "000.00.14488-261201-0001",
            "2026-12-01",
            "2026-12-08",
            "Đang giải quyết",
            "Cấp giấy chứng nhận quyền sử dụng đất",
        ),
    ]
)


def test_dossiers_at_the_cut_over_and_today():
    dossiers = classify_backlog(RECEIPTS, TODAY).set_index("record_id")
    assert len(dossiers) == 6  # r1 and r1b: one dossier, r7 and r7b another
    # Two receipts without a number, read back from a frame as NaN: two dossiers, not one.
    unnumbered = pd.concat([RECEIPTS, RECEIPTS.iloc[[6]].assign(record_id="r6")])
    unnumbered["receipt_number"] = unnumbered["receipt_number"].fillna(float("nan"))
    assert len(classify_backlog(unnumbered, TODAY)) == 7
    one = dossiers.loc["r1"]
    assert (one["receipts"], one["state_at_cut_over"], one["state_today"]) == (2, "returned", "returned")
    # The returned receipt names its day: at the cut-over the dossier was 7 working days late.
    seven = dossiers.loc["r7"]
    assert (
        seven["receipts"],
        seven["state_at_cut_over"],
        seven["late_at_cut_over"],
        seven["state_today"],
    ) == (
        2,
        "overdue",
        7,
        "returned",
    )
    two = dossiers.loc["r2"]
    assert (two["state_at_cut_over"], two["bucket_at_cut_over"], two["state_today"]) == (
        "overdue",
        "over 30",
        "overdue",
    )
    assert two["late_today"] > two["late_at_cut_over"] > 30
    assert dossiers.loc["r3", "state_today"] == "awaiting_applicant"
    assert (dossiers.loc["r4", "state_today"], dossiers.loc["r4", "reason"]) == (
        "unreadable",
        "the appointment date is before the day received",
    )
    assert (dossiers.loc["r5", "state_at_cut_over"], dossiers.loc["r5", "state_today"]) == (
        "not_yet_received",
        "not_due",
    )
    assert [procedure_field(p) for p in ("Đăng ký khai sinh", "Chứng thực bản sao", "Đăng ký thường trú", "Cấp giấy chứng nhận quyền sử dụng đất", "Hỗ trợ hộ nghèo", "Cấp phép xây dựng")] == [
        "Hộ tịch", "Chứng thực", "Cư trú", "Đất đai", "Bảo trợ xã hội", "Khác",
    ]  # fmt: skip
    assert stalled(classify_backlog(RECEIPTS, TODAY))["record_id"].tolist() == ["r2"]


def test_the_aggregates_add_up_and_the_workbook_holds_them(tmp_path: Path):
    dossiers = classify_backlog(RECEIPTS, TODAY)
    for when in ("today", "at_cut_over"):
        table = backlog_aggregates(dossiers, when)
        assert table["dossiers"].sum() == len(dossiers)
        parts = table["returned"] + table["open"] + table["unreadable"] + table["not_yet_received"]
        assert (parts == table["dossiers"]).all()
        assert (table["open"] == table["awaiting_applicant"] + table[list(BUCKETS)].sum(axis=1)).all()
    cut = backlog_aggregates(dossiers, "at_cut_over").set_index(["former_unit_code", "field"])
    assert cut.loc[("14479", "Chứng thực"), "over 30"] == 1
    assert cut.loc[("14479", "Đất đai"), "not_yet_received"] == 1
    book = openpyxl.load_workbook(write_backlog_xlsx(dossiers, tmp_path / "backlog.xlsx", TODAY))
    assert book.sheetnames == ["Summary", "Today", "At cut-over", "Overdue", "Dossiers"]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["dossiers"], summary["overdue today"], summary["open at cut-over"]) == (6, 1, 3)
    assert book["Overdue"].max_row == 2


def test_a_receipt_held_in_quarantine_is_named_on_the_dossier_it_may_settle(engine):
    """The later receipt of a dossier quarantined (a misread ID number): not counted, but the open
    dossier says a receipt of its number awaits review; the count comes from the database."""
    from sapnhap.backlog.report import held_receipts
    from sapnhap.db import upsert_former_units
    from tests.db.test_db import UNITS
    from tests.linkage.test_persons import NEW_UNIT, hand_over

    upsert_former_units(engine, UNITS)
    number = "000.00.14479-250102-0002"
    hand_over(
        engine,
        "00004",
        [
            dict(unit="00004", doc="tn-held", role="applicant", full_name="Nguyễn Văn Hùng", status="quarantined",
                 receipt_number=number, status_text="Đã trả kết quả ngày 10/02/2025"),
            dict(unit="00004", doc="tn-other", role="applicant", full_name="Trần Thị Mai", receipt_number="X-1"),
        ],
    )  # fmt: skip
    held = held_receipts(engine, NEW_UNIT)
    assert held == {number: 1}  # the valid receipt X-1 is not held
    dossiers = classify_backlog(RECEIPTS, TODAY, held=held).set_index("record_id")
    assert dossiers.loc["r2", "held_in_quarantine"] == 1 and dossiers.loc["r2", "state_today"] == "overdue"
    assert dossiers.loc["r2", "reason"].endswith(
        "1 receipt(s) of this number held in quarantine (its review may settle it)"
    )
    assert dossiers.loc["r3", "held_in_quarantine"] == 0 and "quarantine" not in dossiers.loc["r3", "reason"]
