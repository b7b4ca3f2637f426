"""Realistic Vietnamese people for the sample generator, and the errors real registers make with them.

Like the FEBRL generator used in record-linkage research, the generator first makes true people
(`PeopleSampler`) and then writes them into records with the variations clerks and OCR really
introduce (`strip_diacritics`, `change_tone`, `typo`, `swap_day_month` …, listed in `VARIATIONS`), so
that planted duplicates differ from the truth in known ways. Every random choice comes from the
`random.Random` passed in: the same seed gives the same people, byte for byte.

Name tables and their sources (all strings NFC):

* Family names: the head of the table is the distribution reported in Wikipedia's "Vietnamese name"
  (copied in 2009 by waiwiki.blogspot.com, "Vietnamese Family Names / Surnames"): Nguyễn 38.4 %,
  Trần 11 %, Lê 9.5 %, Phạm 7.1 %, Hoàng/Huỳnh 5.1 %, Phan 4.5 %, Vũ/Võ 3.9 %, Đặng 2.1 %, Bùi 2 %,
  Đỗ 1.4 %, Hồ 1.3 %, Ngô 1.3 %, Dương 1 %, Lý 0.5 % (89.1 % together; later copies of the same article
  round Nguyễn to 39 %; the figures are usually credited to Lê Trung Hoa's study of Vietnamese family
  names, which could not be read here). No more recent nationwide count was found. The tail of less
  common names shares the remaining 10.9 % by the project's own estimate. Hoàng/Huỳnh and Vũ/Võ are one
  name written differently in the north and the south (Huỳnh and Võ from the southern naming taboo
  on the Nguyễn lords' names); the split by region is the project's own estimate.
* Middle names: "Văn" for men and "Thị" for women dominate older cohorts and are falling out of use
  (Vietcetera, "Why are middle names Văn and Thị popular in Vietnam?", 2024; Báo Hải Dương, "Vì sao cha
  mẹ Việt ít dùng 'nam Văn, nữ Thị' đặt tên con"). The shares by birth cohort and the other middle
  names' weights are the project's own estimate.
* Given names: the project's own estimate of relative frequency. The one public frequency list found
  (github.com/toanluu/vietname, 115,000 names) has no licence, no sex and no diacritics, so its counts
  are not used.
* Ethnicity: 2019 census shares of the largest groups (Kinh 85.32 %, Tày 1.92 %, Thái 1.89 %,
  Mường 1.51 %, Mông 1.45 %, Khmer 1.32 %, Nùng 1.13 %, Dao 0.93 %, Hoa 0.78 %; Wikipedia "List of
  ethnic groups in Vietnam"); the other 44 groups (3.75 %) are left out, so these shares are
  renormalised (Kinh ≈ 88.6 %). Names are drawn from the Kinh tables whatever the ethnicity.
* Minimum ages: marriage at 20 full years for men and 18 for women (Law on Marriage and Family 2014,
  No. 52/2014/QH13, Art. 8(1)(a)).
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from sapnhap.reference.personal_id import FIRST_YEAR, LAST_YEAR, make_personal_id, province_prefixes
from sapnhap.samples.model import Address
from sapnhap.text import fold_diacritics, nfc

REGIONS = ("north", "central", "south")
SEXES = ("male", "female")
MIN_MARRIAGE_AGE = {"male": 20, "female": 18}  # Law on Marriage and Family 2014, Art. 8(1)(a)
PARENT_AGE_GAP = (18, 45)  # parents are 18-45 years older than the child
MIN_PARENT_AGE = {"male": 20, "female": 18}  # father >= 20, mother >= 18 at the child's birth

# --- family names -------------------------------------------------------------------------------------
# Percent of the population (head: Wikipedia "Vietnamese name", see the module docstring). "Hoàng/Huỳnh"
# and "Vũ/Võ" are split by region below.
FAMILY_NAME_SHARES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.4),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.1),
    ("Hoàng/Huỳnh", 5.1),
    ("Phan", 4.5),
    ("Vũ/Võ", 3.9),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
)
# Less common names: relative weights (project's own estimate), scaled to share the remaining 10.9 %.
_FAMILY_TAIL_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("Đinh", 9),
    ("Đào", 9),
    ("Trịnh", 8),
    ("Trương", 8),
    ("Lương", 7),
    ("Đoàn", 7),
    ("Mai", 6),
    ("Hà", 6),
    ("Lâm", 5),
    ("Lưu", 4),
    ("Cao", 4),
    ("Tạ", 3),
    ("Phùng", 3),
    ("Vương", 3),
    ("Tô", 3),
    ("Châu", 3),
    ("Quách", 2),
    ("Kiều", 2),
    ("Triệu", 2),
    ("La", 2),
    ("Thái", 2),
    ("Từ", 1.5),
    ("Chu", 1.5),
    ("Nghiêm", 1),
    ("Tống", 1),
    ("Đàm", 1),
    ("Lại", 1),
    ("Kim", 1),
    ("Thạch", 1),
    ("Giang", 1),
    ("Hứa", 1),
    ("Diệp", 0.5),
    ("Mạc", 0.5),
    ("Lục", 0.5),
    ("Tăng", 0.5),
)
FAMILY_NAME_TAIL_SHARE = 100.0 - sum(share for _, share in FAMILY_NAME_SHARES)  # 10.9
# Share written Hoàng (vs Huỳnh) and Vũ (vs Võ) by region: project's own estimate.
REGIONAL_SPELLING = {
    "north": {"Hoàng/Huỳnh": ("Hoàng", 0.95, "Huỳnh"), "Vũ/Võ": ("Vũ", 0.90, "Võ")},
    "central": {"Hoàng/Huỳnh": ("Hoàng", 0.50, "Huỳnh"), "Vũ/Võ": ("Vũ", 0.35, "Võ")},
    "south": {"Hoàng/Huỳnh": ("Hoàng", 0.10, "Huỳnh"), "Vũ/Võ": ("Vũ", 0.10, "Võ")},
}

# --- middle names -------------------------------------------------------------------------------------
# Share of men named "Văn" and women named "Thị", by first birth year of the cohort (own estimate).
VAN_THI_SHARE_BY_COHORT: tuple[tuple[int, float, float], ...] = (
    (0, 0.60, 0.85),
    (1960, 0.50, 0.75),
    (1980, 0.40, 0.60),
    (1990, 0.25, 0.40),
    (2000, 0.15, 0.25),
    (2010, 0.08, 0.12),
)
# The other middle names, relative weights (own estimate).
MIDDLE_NAMES_MALE: tuple[tuple[str, float], ...] = (
    ("Đức", 9),
    ("Minh", 9),
    ("Hữu", 8),
    ("Quang", 7),
    ("Công", 6),
    ("Thanh", 6),
    ("Đình", 6),
    ("Quốc", 6),
    ("Ngọc", 5),
    ("Xuân", 5),
    ("Trọng", 4),
    ("Thế", 4),
    ("Duy", 4),
    ("Hoàng", 4),
    ("Tiến", 3),
    ("Mạnh", 3),
    ("Anh", 3),
    ("Việt", 3),
    ("Gia", 3),
    ("Bảo", 3),
    ("Chí", 3),
    ("Thành", 3),
    ("Tấn", 3),
    ("Tuấn", 2),
    ("Khánh", 2),
    ("Nhật", 2),
    ("Trung", 2),
    ("Hải", 2),
    ("Phúc", 2),
    ("Kim", 1),
)
MIDDLE_NAMES_FEMALE: tuple[tuple[str, float], ...] = (
    ("Ngọc", 10),
    ("Thu", 7),
    ("Thanh", 7),
    ("Phương", 6),
    ("Hồng", 6),
    ("Kim", 5),
    ("Thúy", 5),
    ("Minh", 4),
    ("Bích", 4),
    ("Thảo", 4),
    ("Mỹ", 4),
    ("Khánh", 4),
    ("Bảo", 4),
    ("Lan", 3),
    ("Diệu", 3),
    ("Hoài", 3),
    ("Gia", 3),
    ("Hải", 3),
    ("Mai", 3),
    ("Quỳnh", 3),
    ("Xuân", 3),
    ("Hoàng", 3),
    ("Như", 3),
    ("Thùy", 3),
    ("Tuyết", 2),
    ("Ánh", 2),
    ("Huyền", 2),
    ("Cẩm", 2),
    ("Vân", 2),
    ("Yến", 2),
)

# --- given names (relative weights, project's own estimate) -----------------------------------------------
GIVEN_NAMES_MALE: tuple[tuple[str, float], ...] = (
    ("Hùng", 3.0),
    ("Dũng", 3.0),
    ("Tuấn", 3.0),
    ("Minh", 3.0),
    ("Anh", 2.5),
    ("Hải", 2.5),
    ("Nam", 2.5),
    ("Sơn", 2.5),
    ("Long", 2.5),
    ("Huy", 2.4),
    ("Đức", 2.2),
    ("Cường", 2.2),
    ("Thành", 2.2),
    ("Hưng", 2.0),
    ("Thắng", 2.0),
    ("Hiếu", 2.0),
    ("Trung", 2.0),
    ("Phong", 1.8),
    ("Quang", 1.8),
    ("Duy", 1.8),
    ("Đạt", 1.8),
    ("Hoàng", 1.6),
    ("Quân", 1.6),
    ("Tâm", 1.5),
    ("Phúc", 1.5),
    ("Tùng", 1.5),
    ("Bình", 1.5),
    ("Khánh", 1.4),
    ("Việt", 1.4),
    ("Vinh", 1.4),
    ("Toàn", 1.4),
    ("Tiến", 1.4),
    ("Khoa", 1.2),
    ("Lâm", 1.2),
    ("Nghĩa", 1.2),
    ("Tài", 1.2),
    ("Mạnh", 1.2),
    ("Bảo", 1.2),
    ("Thịnh", 1.0),
    ("Tân", 1.0),
    ("Lộc", 1.0),
    ("Phát", 1.0),
    ("Kiên", 1.0),
    ("Chiến", 1.0),
    ("Tú", 1.0),
    ("Nhân", 1.0),
    ("Vũ", 1.0),
    ("Thanh", 1.0),
    ("Thuận", 0.9),
    ("Khang", 0.9),
    ("Hiệp", 0.8),
    ("Công", 0.8),
    ("Lợi", 0.8),
    ("Khôi", 0.8),
    ("Hậu", 0.8),
    ("Hòa", 0.8),
    ("Trí", 0.8),
    ("Thông", 0.7),
    ("Thái", 0.7),
    ("Sang", 0.7),
    ("Thiện", 0.7),
    ("Quốc", 0.6),
    ("Trọng", 0.6),
    ("Tín", 0.6),
    ("Đông", 0.6),
    ("Hào", 0.6),
    ("Giang", 0.6),
    ("Kiệt", 0.6),
    ("Dương", 0.6),
    ("Quý", 0.6),
    ("Chính", 0.6),
    ("Tuân", 0.5),
    ("Luân", 0.5),
    ("Định", 0.5),
    ("Danh", 0.5),
    ("Lực", 0.5),
    ("Khải", 0.5),
    ("Phương", 0.5),
    ("Ngọc", 0.5),
    ("Vương", 0.4),
    ("Hoan", 0.4),
    ("Tuyên", 0.4),
    ("Cảnh", 0.4),
    ("Thạch", 0.3),
)
GIVEN_NAMES_FEMALE: tuple[tuple[str, float], ...] = (
    ("Anh", 3.4),
    ("Linh", 3.2),
    ("Trang", 3.0),
    ("Hương", 2.8),
    ("Thảo", 2.8),
    ("Phương", 2.6),
    ("Thủy", 2.4),
    ("Hằng", 2.2),
    ("Hà", 2.2),
    ("Lan", 2.0),
    ("Hoa", 2.0),
    ("Ngọc", 2.0),
    ("Mai", 2.0),
    ("Huyền", 2.0),
    ("Yến", 1.8),
    ("Hiền", 1.8),
    ("Nhi", 1.8),
    ("Nhung", 1.6),
    ("Hạnh", 1.6),
    ("Dung", 1.6),
    ("Giang", 1.6),
    ("Vy", 1.6),
    ("Quỳnh", 1.6),
    ("Nga", 1.5),
    ("Uyên", 1.4),
    ("Ngân", 1.4),
    ("Thu", 1.4),
    ("Vân", 1.4),
    ("My", 1.3),
    ("Loan", 1.2),
    ("Dương", 1.2),
    ("Hồng", 1.2),
    ("Chi", 1.2),
    ("Thư", 1.2),
    ("Trinh", 1.2),
    ("Trâm", 1.0),
    ("Tâm", 1.0),
    ("Oanh", 1.0),
    ("Xuân", 1.0),
    ("Hân", 1.0),
    ("Như", 1.0),
    ("Tiên", 1.0),
    ("Duyên", 1.0),
    ("Thanh", 1.0),
    ("Liên", 0.9),
    ("Lý", 0.8),
    ("Lệ", 0.8),
    ("Tuyết", 0.8),
    ("Châu", 0.8),
    ("Khánh", 0.8),
    ("Ly", 0.8),
    ("Thương", 0.8),
    ("Quyên", 0.8),
    ("Thúy", 0.8),
    ("An", 0.8),
    ("Nguyệt", 0.7),
    ("Huệ", 0.7),
    ("Ánh", 0.7),
    ("Diệp", 0.6),
    ("Tú", 0.6),
    ("Hậu", 0.6),
    ("Thơ", 0.6),
    ("Diễm", 0.6),
    ("Thắm", 0.6),
    ("Hoài", 0.6),
    ("Nhàn", 0.6),
    ("Tuyền", 0.6),
    ("Hường", 0.6),
    ("Vi", 0.6),
    ("Minh", 0.6),
    ("Cúc", 0.5),
    ("Thoa", 0.5),
    ("Bích", 0.5),
    ("Đào", 0.4),
    ("Kiều", 0.4),
    ("Sương", 0.4),
    ("Lụa", 0.3),
    ("Gấm", 0.3),
    ("Mến", 0.3),
)

# --- ethnicity (2019 census, percent; the other 44 groups left out) ----------------------------------------
ETHNICITY_SHARES: tuple[tuple[str, float], ...] = (
    ("Kinh", 85.32),
    ("Tày", 1.92),
    ("Thái", 1.89),
    ("Mường", 1.51),
    ("Mông", 1.45),
    ("Khmer", 1.32),
    ("Nùng", 1.13),
    ("Dao", 0.93),
    ("Hoa", 0.78),
)


class _Table:
    """Weighted values with cumulative weights: one `random()` and one bisect per draw."""

    __slots__ = ("values", "cum", "total", "hi")

    def __init__(self, pairs: Sequence[tuple[str, float]]) -> None:
        self.values = tuple(nfc(value) for value, _ in pairs)
        self.cum = list(accumulate(weight for _, weight in pairs))
        self.total = self.cum[-1]
        self.hi = len(self.values) - 1

    def pick(self, rng: random.Random) -> str:
        """One value; the same draw as `rng.choices(values, cum_weights=cum)[0]`."""
        return self.values[bisect_right(self.cum, rng.random() * self.total, 0, self.hi)]


def family_name_shares(region: str = "north") -> dict[str, float]:
    """The probability of each family name in a region ("north"/"central"/"south"), summing to 1.

    Raises:
        ValueError: for an unknown region.
    """
    if region not in REGIONS:
        raise ValueError(f"region must be one of {REGIONS}, got {region!r}")
    tail_total = sum(weight for _, weight in _FAMILY_TAIL_WEIGHTS)
    pairs: list[tuple[str, float]] = []
    for name, share in FAMILY_NAME_SHARES:
        if name in REGIONAL_SPELLING[region]:
            first, first_share, second = REGIONAL_SPELLING[region][name]
            pairs += [(first, share * first_share), (second, share * (1 - first_share))]
        else:
            pairs.append((name, share))
    pairs += [(name, weight / tail_total * FAMILY_NAME_TAIL_SHARE) for name, weight in _FAMILY_TAIL_WEIGHTS]
    return {nfc(name): share / 100.0 for name, share in pairs}


_FAMILY_TABLES = {region: _Table(list(family_name_shares(region).items())) for region in REGIONS}
_MIDDLE_TABLES = {"male": _Table(MIDDLE_NAMES_MALE), "female": _Table(MIDDLE_NAMES_FEMALE)}
_GIVEN_TABLES = {"male": _Table(GIVEN_NAMES_MALE), "female": _Table(GIVEN_NAMES_FEMALE)}
_ETHNICITY_TABLE = _Table(ETHNICITY_SHARES)
_VAN, _THI = nfc("Văn"), nfc("Thị")


def van_thi_share(sex: str, birth_year: int) -> float:
    """Probability that a person of this sex born in this year has the middle name "Văn" / "Thị"."""
    share = 0.0
    for start, male, female in VAN_THI_SHARE_BY_COHORT:
        if birth_year >= start:
            share = male if sex == "male" else female
    return share


def age_on(birth_date: date, on: date) -> int:
    """Age in full years (tuổi tròn) on a date: the birthday must have been reached."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _years_before(d: date, years: int) -> date:
    """The same day `years` earlier (29 February becomes 28 February in a common year)."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def _birth_date_for_age(rng: random.Random, on: date, age: int) -> date:
    """A uniformly random birth date of someone exactly `age` full years old on `on`."""
    latest = _years_before(on, age)
    earliest = _years_before(on, age + 1) + timedelta(days=1)
    return date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))


@dataclass(frozen=True, slots=True)
class Person:
    """One true person of the synthetic population.

    `sex` is "male" or "female"; `birth_province_code` the 2-digit pre-2025 GSO code of the province
    where the birth was registered; `personal_id` the true 12-digit number (None only for people born
    before 1900, whom the number's century digit cannot express; old records may still lack a number
    the person has: that is a record variation, see `id_missing`); `father_id` / `mother_id` the
    parents' entity ids when the generator made them.
    """

    entity_id: str
    family_name: str
    middle_name: str
    given_name: str
    sex: str
    birth_date: date
    birth_province_code: str
    personal_id: str | None
    ethnicity: str
    address: Address
    father_id: str | None = None
    mother_id: str | None = None

    @property
    def full_name(self) -> str:
        """Family, middle and given name joined by single spaces: `Nguyễn Văn Hùng`."""
        return " ".join(part for part in (self.family_name, self.middle_name, self.given_name) if part)


class PeopleSampler:
    """Draws realistic Vietnamese people; every random choice comes from `rng`.

    `region` ("north", "central" or "south") picks the spelling of Hoàng/Huỳnh and Vũ/Võ. With
    `unique_ids` (default) the sampler remembers the personal identification numbers it issued and
    draws the six random digits again on a collision, as the real register never reuses a number.

    Raises:
        ValueError: for an unknown region.
    """

    def __init__(self, rng: random.Random, region: str = "north", unique_ids: bool = True) -> None:
        if region not in REGIONS:
            raise ValueError(f"region must be one of {REGIONS}, got {region!r}")
        self.rng = rng
        self.region = region
        self._family = _FAMILY_TABLES[region]
        self._issued: set[int] | None = set() if unique_ids else None

    # -- building blocks ---------------------------------------------------------------------------
    def _personal_id(self, province_code: str, sex: str, birth_year: int) -> str | None:
        if not FIRST_YEAR <= birth_year <= LAST_YEAR:
            return None
        while True:
            number = make_personal_id(province_code, sex, birth_year, self.rng.randrange(1_000_000))
            if self._issued is None:
                return number
            key = int(number)
            if key not in self._issued:
                self._issued.add(key)
                return number

    def _make(
        self,
        entity_id: str,
        sex: str,
        birth_date: date,
        birth_province_code: str,
        address: Address,
        family_name: str | None = None,
        father_id: str | None = None,
        mother_id: str | None = None,
    ) -> Person:
        rng = self.rng
        year = birth_date.year
        if rng.random() < van_thi_share(sex, year):
            middle = _VAN if sex == "male" else _THI
        else:
            middle = _MIDDLE_TABLES[sex].pick(rng)
        given = _GIVEN_TABLES[sex].pick(rng)
        if family_name is None:
            family_name = self._family.pick(rng)
        return Person(
            entity_id=entity_id,
            family_name=family_name,
            middle_name=middle,
            given_name=given,
            sex=sex,
            birth_date=birth_date,
            birth_province_code=birth_province_code,
            personal_id=self._personal_id(birth_province_code, sex, year),
            ethnicity=_ETHNICITY_TABLE.pick(rng),
            address=address,
            father_id=father_id,
            mother_id=mother_id,
        )

    @staticmethod
    def _check_province(code: str) -> None:
        if not isinstance(code, str) or len(code) != 2 or "0" + code not in province_prefixes():
            raise ValueError(f"birth province must be a 2-digit pre-2025 GSO province code, got {code!r}")

    @staticmethod
    def _check_sex(sex: str | None) -> None:
        if sex is not None and sex not in SEXES:
            raise ValueError(f"sex must be 'male', 'female' or None, got {sex!r}")

    # -- public API ----------------------------------------------------------------------------------
    def person(
        self,
        entity_id: str,
        sex: str | None,
        birth_range: tuple[date, date],
        birth_province_code: str,
        address: Address,
    ) -> Person:
        """One person born on a uniformly random day of `birth_range` (both ends included).

        `sex` None draws male or female with equal chance; the personal identification number is
        made with `sapnhap.reference.personal_id.make_personal_id` and random serial digits.

        Raises:
            ValueError: for a sex other than "male"/"female"/None, an empty birth range or an unknown
                province code.
        """
        self._check_sex(sex)
        self._check_province(birth_province_code)
        first, last = birth_range
        if first > last:
            raise ValueError(f"empty birth range: {first} is after {last}")
        rng = self.rng
        if sex is None:
            sex = "male" if rng.random() < 0.5 else "female"
        birth = date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))
        return self._make(entity_id, sex, birth, birth_province_code, address)

    def family(
        self,
        child_id: str,
        father_id: str,
        mother_id: str,
        child_birth_range: tuple[date, date],
        birth_province_code: str,
        address: Address,
        child_sex: str | None = None,
        parents_birth_province_code: str | None = None,
    ) -> tuple[Person, Person, Person]:
        """A child with father and mother: returns `(child, father, mother)`.

        The child takes the father's family name; the mother keeps her own. On the child's birth date
        each parent is 18-45 full years old, the father at least 20 and the mother at least 18. The
        parents' births are registered in `parents_birth_province_code` (default: the child's) and
        all three live at `address`.

        Raises:
            ValueError: as `person` does.
        """
        self._check_sex(child_sex)
        self._check_province(birth_province_code)
        parents_province = parents_birth_province_code or birth_province_code
        self._check_province(parents_province)
        rng = self.rng
        first, last = child_birth_range
        if first > last:
            raise ValueError(f"empty birth range: {first} is after {last}")
        child_birth = date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))
        low, high = PARENT_AGE_GAP
        mother_age = max(MIN_PARENT_AGE["female"], min(high, int(rng.triangular(low, high + 1, 25))))
        father_age = mother_age + round(rng.gauss(3.0, 3.0))
        father_age = max(MIN_PARENT_AGE["male"], min(high, father_age))
        father = self._make(
            father_id, "male", _birth_date_for_age(rng, child_birth, father_age), parents_province, address
        )
        mother = self._make(
            mother_id, "female", _birth_date_for_age(rng, child_birth, mother_age), parents_province, address
        )
        if child_sex is None:
            child_sex = "male" if rng.random() < 0.5 else "female"
        child = self._make(
            child_id,
            child_sex,
            child_birth,
            birth_province_code,
            address,
            family_name=father.family_name,
            father_id=father_id,
            mother_id=mother_id,
        )
        return child, father, mother

    def spouse_for(
        self,
        person: Person,
        entity_id: str,
        marriage_date: date,
        birth_province_code: str | None = None,
        address: Address | None = None,
    ) -> Person:
        """A spouse of the other sex for `person`, both of legal marriage age on `marriage_date`.

        The husband is on average three years older than the wife (normal spread of three years);
        on `marriage_date` the husband is at least 20 and the wife at least 18 full years old (Law on
        Marriage and Family 2014, Art. 8(1)(a)). The spouse's birth is registered in
        `birth_province_code` and lives at `address` (defaults: the person's).

        Raises:
            ValueError: when `person` is under the minimum marriage age on `marriage_date`.
        """
        own_age = age_on(person.birth_date, marriage_date)
        if own_age < MIN_MARRIAGE_AGE[person.sex]:
            raise ValueError(
                f"a {person.sex} must be {MIN_MARRIAGE_AGE[person.sex]} to marry; "
                f"{person.entity_id} is {own_age} on {marriage_date.isoformat()}"
            )
        province = birth_province_code or person.birth_province_code
        self._check_province(province)
        sex = "female" if person.sex == "male" else "male"
        gap = round(self.rng.gauss(3.0, 3.0))  # husband's age minus wife's
        age = own_age - gap if sex == "female" else own_age + gap
        age = max(MIN_MARRIAGE_AGE[sex], age)
        birth = _birth_date_for_age(self.rng, marriage_date, age)
        return self._make(entity_id, sex, birth, province, address or person.address)


# --- data variations ------------------------------------------------------------------------------------
VARIATIONS: list[str] = [
    "strip_diacritics",
    "change_tone",
    "change_vowel_mark",
    "typo",
    "format_date",
    "swap_day_month",
    "id_one_digit_wrong",
    "id_missing",
]

# Combining marks (NFD): the five tone marks and the vowel-quality marks.
GRAVE, ACUTE, HOOK, TILDE, DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
TONE_MARKS = (GRAVE, ACUTE, HOOK, TILDE, DOT)  # huyền, sắc, hỏi, ngã, nặng (ngang: no mark)
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_VOWELS = frozenset("aeiouy")
# Vowel-quality variants by base letter: a ă â, e ê, o ô ơ, u ư.
_QUALITY_VARIANTS = {
    "a": ("", _BREVE, _CIRCUMFLEX),
    "e": ("", _CIRCUMFLEX),
    "o": ("", _CIRCUMFLEX, _HORN),
    "u": ("", _HORN),
}
_STOP_FINALS = ("p", "t", "c", "ch")  # syllables ending so take only sắc or nặng


def _split(ch: str) -> tuple[str, str, str]:
    """A letter as (base letter, quality marks, tone mark), e.g. `ặ` → (`a`, breve, dot below)."""
    decomposed = unicodedata.normalize("NFD", ch)
    marks = decomposed[1:]
    tone = "".join(m for m in marks if m in TONE_MARKS)
    return decomposed[0], "".join(m for m in marks if m not in TONE_MARKS), tone


def _join(base: str, quality: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + quality + tone)


def _syllables(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of letters in `text`."""
    spans: list[tuple[int, int]] = []
    start = None
    for i, ch in enumerate(text):
        if ch.isalpha():
            if start is None:
                start = i
        elif start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def _tone_position(syllable: str) -> int | None:
    """Index of the letter that carries (or would carry) the syllable's tone mark; None: no vowel.

    An existing tone mark stays where it is. Otherwise the traditional placement: the vowel with a
    quality mark (the last one: ươ → ơ); a single vowel; in an open syllable the first of two vowels
    (mái, hóa, mùa) or the middle of three (ngoái); before a final consonant the last vowel (toán).
    The u of qu- and the i of gi- (before another vowel) belong to the initial consonant.
    """
    parts = [_split(ch) for ch in syllable]
    for i, (_, _, tone) in enumerate(parts):
        if tone:
            return i
    vowels = [i for i, (base, _, _) in enumerate(parts) if base.lower() in _VOWELS]
    if not vowels:
        return None
    lower = "".join(base.lower() for base, _, _ in parts)
    if len(vowels) > 1 and (lower.startswith("qu") or lower.startswith("gi")) and vowels[0] == 1:
        vowels = vowels[1:]
    marked = [i for i in vowels if parts[i][1]]
    if marked:
        return marked[-1]
    if len(vowels) == 1:
        return vowels[0]
    if vowels[-1] == len(syllable) - 1:  # open syllable
        return vowels[0] if len(vowels) == 2 else vowels[1]
    return vowels[-1]


def strip_diacritics(text: str) -> str:
    """All marks removed and Đ/đ written D/d, as on an unaccented keyboard or in a foreign system.

    `strip_diacritics("Đặng Thị Hưng") == "Dang Thi Hung"` (uses `sapnhap.text.fold_diacritics`).
    """
    return fold_diacritics(text)


def change_tone(text: str, rng: random.Random) -> str:
    """One syllable's tone changed to another of the six tones, the vowels kept: `Hùng` → `Húng`.

    The syllable is drawn at random among those with a vowel; the new tone among the five others,
    including ngang (no mark: `Hùng` → `Hung`) and, on a syllable without a mark, the five marked
    ones placed by the traditional rule (`Hung` → `Hùng`). A syllable ending in p, t, c or ch takes
    only sắc or nặng (`Đức` → `Đực`), so the result is still a Vietnamese syllable.

    Raises:
        ValueError: when `text` has no vowel.
    """
    text = nfc(text)
    candidates = []
    for start, end in _syllables(text):
        position = _tone_position(text[start:end])
        if position is not None:
            candidates.append((start, end, start + position))
    if not candidates:
        raise ValueError("no vowel to carry a tone")
    start, end, index = candidates[rng.randrange(len(candidates))]
    base, quality, tone = _split(text[index])
    if fold_diacritics(text[start:end]).lower().endswith(_STOP_FINALS):
        options = [t for t in (ACUTE, DOT) if t != tone]
    else:
        options = [t for t in ("", *TONE_MARKS) if t != tone]
    new = options[rng.randrange(len(options))]
    return text[:index] + _join(base, quality, new) + text[index + 1 :]


def change_vowel_mark(text: str, rng: random.Random) -> str:
    """One vowel's quality mark changed, the tone kept: `Hùng` → `Hừng`, `Tâm` → `Tăm`, `Hồ` → `Hò`.

    Among a/ă/â, e/ê, o/ô/ơ and u/ư (i and y have no variants). Together with `change_tone` this
    makes the confusions between real names such as Hùng and Hưng (vowel mark and tone both changed).

    Raises:
        ValueError: when `text` has no vowel of those four families.
    """
    text = nfc(text)
    positions = [
        i
        for i, ch in enumerate(text)
        if _split(ch)[0].lower() in _QUALITY_VARIANTS
        and not (ch in "uU" and i > 0 and text[i - 1] in "qQ")  # the u of qu- is no vowel
    ]
    if not positions:
        raise ValueError("no a, e, o or u vowel whose mark can change")
    index = positions[rng.randrange(len(positions))]
    base, quality, tone = _split(text[index])
    options = [q for q in _QUALITY_VARIANTS[base.lower()] if q != quality]
    return text[:index] + _join(base, options[rng.randrange(len(options))], tone) + text[index + 1 :]


_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ROW_OFFSETS = (0.0, 0.25, 0.75)


def _keyboard_neighbours() -> dict[str, str]:
    """Keys next to each letter key on a QWERTY keyboard (the layout Telex typing uses)."""
    where = {
        key: (row, col + _ROW_OFFSETS[row])
        for row, keys in enumerate(_KEY_ROWS)
        for col, key in enumerate(keys)
    }
    neighbours: dict[str, str] = {}
    for key, (row, x) in where.items():
        near = [
            other
            for other, (orow, ox) in where.items()
            if other != key
            and ((orow == row and abs(ox - x) == 1) or (abs(orow - row) == 1 and abs(ox - x) < 1))
        ]
        neighbours[key] = "".join(sorted(near))
    return neighbours


KEYBOARD_NEIGHBOURS = _keyboard_neighbours()
TYPO_KINDS = ("substitution", "transposition", "deletion", "duplication")


def typo(text: str, rng: random.Random) -> str:
    """One keying slip on a letter: a neighbouring QWERTY/Telex key, two adjacent letters swapped,
    a letter dropped or a letter typed twice (kind drawn among those possible for `text`).

    Substitution types the plain neighbouring key, so a marked letter loses its marks
    (`Hùng` → `Hjng`). The result is at Levenshtein distance 1 from `text` or is a transposition of
    two different adjacent letters.

    Raises:
        ValueError: when `text` has no letter.
    """
    text = nfc(text)
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if not letters:
        raise ValueError("no letter to mistype")
    swaps = [i for i in letters if i + 1 < len(text) and text[i + 1].isalpha() and text[i] != text[i + 1]]
    kinds = [kind for kind in TYPO_KINDS if kind != "transposition" or swaps]
    kind = kinds[rng.randrange(len(kinds))]
    if kind == "transposition":
        i = swaps[rng.randrange(len(swaps))]
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    i = letters[rng.randrange(len(letters))]
    if kind == "deletion":
        return text[:i] + text[i + 1 :]
    if kind == "duplication":
        return text[: i + 1] + text[i] + text[i + 1 :]
    base = fold_diacritics(text[i]).lower()
    near = KEYBOARD_NEIGHBOURS.get(base, "")
    if not near:  # a letter not on the keyboard (not Vietnamese): duplicate it instead
        return text[: i + 1] + text[i] + text[i + 1 :]
    key = near[rng.randrange(len(near))]
    return text[:i] + (key.upper() if text[i].isupper() else key) + text[i + 1 :]


DATE_STYLES = ("dd/mm/yyyy", "d/m/yyyy", "dd-mm-yyyy", "dd.mm.yyyy", "words")


def format_date(d: date, style: str) -> str:
    """A date as registers write it. Styles (`DATE_STYLES`), for 21 September 1973:
    `dd/mm/yyyy` 21/09/1973, `d/m/yyyy` 21/9/1973, `dd-mm-yyyy` 21-09-1973, `dd.mm.yyyy` 21.09.1973,
    `words` "ngày 21 tháng 9 năm 1973" (day and month without leading zeros).

    Raises:
        ValueError: for an unknown style.
    """
    if style == "dd/mm/yyyy":
        return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    if style == "d/m/yyyy":
        return f"{d.day}/{d.month}/{d.year:04d}"
    if style == "dd-mm-yyyy":
        return f"{d.day:02d}-{d.month:02d}-{d.year:04d}"
    if style == "dd.mm.yyyy":
        return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"
    if style == "words":
        return f"ngày {d.day} tháng {d.month} năm {d.year}"
    raise ValueError(f"unknown date style {style!r}: use one of {DATE_STYLES}")


def swap_day_month(d: date) -> date:
    """Day and month exchanged, as a clerk reading 05/03 the other way: 5 March 1980 → 3 May 1980.

    Raises:
        ValueError: when the day is over 12 (no such month) or equals the month (nothing changes).
    """
    if d.day > 12:
        raise ValueError(f"day {d.day} cannot be read as a month")
    if d.day == d.month:
        raise ValueError("day equals month: swapping changes nothing")
    return date(d.year, d.day, d.month)


def id_one_digit_wrong(number: str, rng: random.Random) -> str:
    """The number with one digit, at a random position, replaced by another digit (never the same).

    Raises:
        ValueError: when `number` has no digit.
    """
    positions = [i for i, ch in enumerate(number) if ch in "0123456789"]
    if not positions:
        raise ValueError("no digit to change")
    i = positions[rng.randrange(len(positions))]
    others = [d for d in "0123456789" if d != number[i]]
    return number[:i] + others[rng.randrange(9)] + number[i + 1 :]


def id_missing() -> None:
    """No number written: old records (people born before about 1960 above all) often have none."""
    return None
