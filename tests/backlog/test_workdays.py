from datetime import date

import pytest

from sapnhap.backlog.workdays import add_working_days, is_working_day, working_days_between


def test_working_days_skip_weekends_and_tet():
    # Friday before Tết 2026 (16-20 February): the next working day is Monday 23 February.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert not is_working_day(date(2026, 2, 17)) and is_working_day(date(2026, 2, 23))
    # Across 2 September 2026 (31 August a day off, 1 and 2 September National Day).
    assert add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    # A dossier due on 13 February 2026 and still open on 27 February is 5 working days late.
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == 0
    assert add_working_days(date(2025, 6, 27), 0) == date(2025, 6, 27)
    with pytest.raises(ValueError, match="not -1"):
        add_working_days(date(2025, 6, 27), -1)
