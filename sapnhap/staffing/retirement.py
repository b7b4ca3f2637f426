"""When a staff member reaches retirement age under normal working conditions.

Source: Labour Code 2019 (45/2019/QH14), Art. 169(2), and Decree 135/2020/NĐ-CP, Art. 4 and
Appendix I: from 2021 the age rises from 60 for men by 3 months a year until 62 in 2028, and from 55
for women by 4 months a year until 60 in 2035; the age that applies is the one of the year in which
the person reaches it (men born in January 1961 retire at 60 years 3 months, in April 2021). Before
2021: 60 and 55. The pension starts the month after (Decree 135/2020, Art. 4); early or late
retirement (hard work, shortage professions) is not modelled.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

Sex = Literal["male", "female"]

_START = {"male": 60 * 12, "female": 55 * 12}  # months, before 2021
_STEP = {"male": 3, "female": 4}  # months added each year from 2021
_FINAL = {"male": 62 * 12, "female": 60 * 12}


def retirement_age(year: int, sex: Sex) -> tuple[int, int]:
    """(years, months) of the retirement age that applies to someone reaching it in `year`."""
    if year < 2021:
        months = _START[sex]
    else:
        months = min(_START[sex] + _STEP[sex] * (year - 2020), _FINAL[sex])
    return divmod(months, 12)


def _plus_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    target_year, target_month = day.year + year, month + 1
    for d in (day.day, 30, 29, 28):  # the 31st of a shorter month: its last day
        try:
            return date(target_year, target_month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def retirement_date(birth: date, sex: Sex) -> date:
    """The day `birth` + the retirement age of the year in which that day falls (see the module
    docstring). A man born 1961-01-15 reaches 60 years 3 months on 2021-04-15.

    Raises:
        ValueError: `sex` is neither "male" nor "female".
    """
    if sex not in _START:
        raise ValueError(f"sex must be male or female, not {sex!r}")
    before = _plus_months(birth, _START[sex])
    if before.year < 2021:  # reached the age of before 2021 (60, 55) while it applied
        return before
    for year in range(2021, 2041):
        years, months = retirement_age(year, sex)
        reached = _plus_months(birth, years * 12 + months)
        if reached.year <= year:
            return reached
    return _plus_months(birth, _FINAL[sex])
