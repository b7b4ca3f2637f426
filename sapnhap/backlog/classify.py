"""Where a procedure dossier (hồ sơ thủ tục hành chính) stands on a given day: returned, not yet due,
overdue by how many working days, or waiting for the applicant; and the overdue buckets.

Sources: a receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả) states the day the dossier was received
and the appointment day for the result: Decree 61/2018/NĐ-CP, Art. 19, with the receipt form of
Circular 01/2018/TT-VPCP, for receipts before 1 July 2025; Decree 118/2025/NĐ-CP (the one-stop shop
of the two-level local government) for later ones. A dossier the applicant must complete (`chờ bổ
sung`) waits on the applicant: its time limit runs again from the completed dossier (both decrees),
so it is not counted late. Lateness is counted in working days (`sapnhap.backlog.workdays`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sapnhap.backlog.workdays import working_days_between
from sapnhap.text import fold_diacritics

CUT_OVER = date(2025, 7, 1)
"""The two-level local government begins (Law 72/2025/QH15): the day the backlog is handed over."""

State = Literal["returned", "not_due", "overdue", "awaiting_applicant", "not_yet_received", "unreadable"]
BUCKETS = ("not due", "1-5", "6-30", "over 30")
"""Overdue buckets, in working days late."""

_RETURNED = ("da tra ket qua", "da giai quyet", "hoan thanh", "da tra")
_AWAITING = ("cho bo sung", "yeu cau bo sung")
_DAY = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")


def returned_on(status: str | None) -> date | None:
    """The day a status says the result was returned (`Đã trả kết quả ngày 15/07/2025` → 2025-07-15),
    None when it names no valid day (day/month/year, as Vietnamese documents print dates)."""
    match = _DAY.search(status or "")
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class DossierState:
    """A dossier on a day: its `state`, working days late (None unless overdue or not due: 0), the
    overdue bucket (one of BUCKETS, "" when the state is not open) and why, without personal data."""

    state: State
    working_days_late: int | None
    bucket: str
    reason: str


def _bucket(late: int) -> str:
    if late <= 0:
        return BUCKETS[0]
    if late <= 5:
        return BUCKETS[1]
    return BUCKETS[2] if late <= 30 else BUCKETS[3]


def classify_dossier(received: date | None, appointment: date | None, status: str, on: date) -> DossierState:
    """The state of a dossier received on `received`, due on `appointment`, with `status` as read
    from its receipt, on the day `on` (the cut-over, CUT_OVER, or today).

    A status saying the result was returned (`Đã trả kết quả`, `Đã giải quyết` …) is `returned`,
    unless it names the day returned (`… ngày 15/07/2025`, `returned_on`) and that day is after `on`:
    then on `on` the dossier was still open and is classified as one. A status asking the applicant to complete the dossier is `awaiting_applicant`; any other open dossier is
    `not_due` until its appointment day and `overdue` after it, by the working days since. A
    dossier received after `on` is `not_yet_received`. No appointment day, or one before the day
    received, is `unreadable` with the reason (a review item, never counted as on time).
    """
    key = " ".join(fold_diacritics(status or "").lower().split())
    if any(word in key for word in _RETURNED):
        day = returned_on(status)
        if day is None or day <= on:
            return DossierState("returned", None, "", "the receipt says the result was returned")
        key = ""  # returned after `on`: open on that day
    if received is not None and received > on:
        return DossierState("not_yet_received", None, "", f"received after {on.isoformat()}")
    if appointment is None:
        return DossierState("unreadable", None, "", "no appointment date read from the receipt")
    if received is not None and appointment < received:
        return DossierState("unreadable", None, "", "the appointment date is before the day received")
    if any(word in key for word in _AWAITING):
        return DossierState(
            "awaiting_applicant", None, "", "waiting for the applicant to complete the dossier"
        )
    late = working_days_between(appointment, on)
    if late == 0:
        return DossierState("not_due", 0, BUCKETS[0], f"due on {appointment.isoformat()}")
    return DossierState("overdue", late, _bucket(late), f"{late} working days past {appointment.isoformat()}")
