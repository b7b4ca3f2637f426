from datetime import date

from sapnhap.backlog.classify import CUT_OVER, classify_dossier, returned_on


def test_backlog_classification_at_the_cut_over():
    # Due Friday 20 June 2025, still being handled on 1 July: 23-27 June, 30 June, 1 July = 7 working days.
    late = classify_dossier(date(2025, 6, 10), date(2025, 6, 20), "Đang giải quyết", CUT_OVER)
    assert (late.state, late.working_days_late, late.bucket) == ("overdue", 7, "6-30")
    due = classify_dossier(date(2025, 6, 25), date(2025, 7, 3), "Đang giải quyết", CUT_OVER)
    assert (due.state, due.working_days_late, due.bucket) == ("not_due", 0, "not due")
    assert (
        classify_dossier(date(2025, 6, 25), date(2025, 7, 1), "", CUT_OVER).state == "not_due"
    )  # due that day
    # Across 2 September 2025 (1 and 2 September off): due 29 August, open on 5 September = 3 days late.
    sept = classify_dossier(date(2025, 8, 20), date(2025, 8, 29), "Quá hạn giải quyết", date(2025, 9, 5))
    assert (sept.state, sept.working_days_late, sept.bucket) == ("overdue", 3, "1-5")
    assert (
        classify_dossier(date(2025, 1, 2), date(2025, 1, 10), "Đang giải quyết", CUT_OVER).bucket == "over 30"
    )
    assert (
        classify_dossier(date(2025, 6, 2), date(2025, 6, 9), "ĐÃ TRẢ KẾT QUẢ", CUT_OVER).state == "returned"
    )
    waiting = classify_dossier(date(2025, 5, 2), date(2025, 5, 9), "Chờ bổ sung hồ sơ", CUT_OVER)
    assert waiting.state == "awaiting_applicant" and waiting.working_days_late is None
    assert classify_dossier(date(2025, 7, 2), date(2025, 7, 9), "", CUT_OVER).state == "not_yet_received"


def test_a_receipt_that_cannot_be_classified_says_why():
    backwards = classify_dossier(date(2025, 6, 20), date(2025, 6, 10), "Đang giải quyết", CUT_OVER)
    assert (
        backwards.state == "unreadable"
        and backwards.reason == "the appointment date is before the day received"
    )
    assert (
        classify_dossier(date(2025, 6, 20), None, "", CUT_OVER).reason
        == "no appointment date read from the receipt"
    )


def test_a_result_returned_after_the_cut_over_was_open_at_it():
    status = "Đã trả kết quả ngày 15/07/2025"
    assert returned_on(status) == date(2025, 7, 15)
    assert returned_on("Đã trả kết quả") is None and returned_on("Đã trả kết quả ngày 31/02/2025") is None
    # Due 20 June, returned 15 July: 7 working days late on 1 July, returned on 15 July and after.
    at_cut = classify_dossier(date(2025, 6, 10), date(2025, 6, 20), status, CUT_OVER)
    assert (at_cut.state, at_cut.working_days_late, at_cut.bucket) == ("overdue", 7, "6-30")
    assert (
        classify_dossier(date(2025, 6, 10), date(2025, 6, 20), status, date(2025, 7, 15)).state == "returned"
    )
    # Returned before the cut-over: returned at it.
    early = classify_dossier(date(2025, 6, 10), date(2025, 6, 20), "Đã trả kết quả ngày 19/6/2025", CUT_OVER)
    assert early.state == "returned"
