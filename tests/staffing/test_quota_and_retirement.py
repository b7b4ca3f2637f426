from datetime import date

import pytest

from sapnhap.staffing.quota import staffing_quota
from sapnhap.staffing.retirement import retirement_age, retirement_date


@pytest.mark.parametrize(
    ("population", "unit_type", "mountain", "positions"),
    [
        (24_000, "commune", True, 40),  # 32 + 8 (one per 1,000 above 16,000)
        (150_000, "ward", False, 70),  # 32 + 67 = 99, capped at 70
        (40_000, "commune", False, 44),  # 32 + 12 (one per 2,000)
        (60_000, "commune", True, 50),  # 32 + 44 = 76, capped at 50
        (16_999, "commune", True, 32),  # not a full 1,000 above
        (9_000, "special_zone", None, 32),  # below 16,000 the mountain status does not matter
    ],
)
def test_the_quota_rule_on_worked_examples(population, unit_type, mountain, positions):
    quota = staffing_quota(population, unit_type, mountain)
    assert quota.positions == positions and quota.source == "Official Dispatch 09/CV-BCĐ (30 May 2025)"


def test_an_unknown_population_gives_no_number_but_the_rule():
    quota = staffing_quota(None, "commune", True)
    assert quota.positions is None and quota.rule.startswith("unknown: no published population")
    assert staffing_quota(30_000, "ward", None).positions is None
    assert "capped at 70 for a ward" in staffing_quota(150_000, "ward", False).rule
    with pytest.raises(ValueError, match="unit type 'district'"):
        staffing_quota(1000, "district", False)


@pytest.mark.parametrize(
    ("birth", "sex", "reached"),
    [
        (date(1961, 1, 15), "male", date(2021, 4, 15)),  # 60 years 3 months (Decree 135/2020, Appendix I)
        (date(1961, 10, 10), "male", date(2022, 4, 10)),  # 60 years 6 months, in 2022
        (date(1966, 9, 1), "male", date(2028, 9, 1)),  # 62 from 2028
        (date(1960, 11, 20), "male", date(2020, 11, 20)),  # 60 reached in 2020, under the old rule
        (date(1966, 5, 2), "female", date(2021, 9, 2)),  # 55 years 4 months
        (date(1970, 1, 31), "female", date(2027, 5, 31)),  # 57 years 4 months, in 2027
        (date(1980, 6, 1), "female", date(2040, 6, 1)),  # 60 from 2035
    ],
)
def test_retirement_follows_the_labour_code_schedule(birth, sex, reached):
    assert retirement_date(birth, sex) == reached


def test_retirement_ages_by_year():
    assert [retirement_age(y, "male") for y in (2020, 2021, 2024, 2028, 2030)] == [
        (60, 0), (60, 3), (61, 0), (62, 0), (62, 0),
    ]  # fmt: skip
    assert [retirement_age(y, "female") for y in (2021, 2023, 2035)] == [(55, 4), (56, 0), (60, 0)]
