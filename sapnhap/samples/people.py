"""Realistic Vietnamese people for the sample generator, and the errors real registers make with them.

Like the FEBRL generator used in record-linkage research, the generator first makes true people
(`PeopleSampler`) and then writes them into records with the variations clerks and OCR really
introduce (`strip_diacritics`, `change_tone`, `typo`, `swap_day_month` …, listed in `VARIATIONS`), so
that planted duplicates differ from the truth in known ways. Every random choice comes from the
`random.Random` passed in: the same seed gives the same people, byte for byte.

Name tables and their sources: `sapnhap.reference.names`.

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

from sapnhap.reference.names import (  # noqa: F401  (re-exported for the generator's modules)
    ETHNICITY_SHARES,
    FAMILY_NAME_SHARES,
    FAMILY_NAME_TAIL_SHARE,
    GIVEN_NAMES_FEMALE,
    GIVEN_NAMES_MALE,
    MIDDLE_NAMES_FEMALE,
    MIDDLE_NAMES_MALE,
    REGIONAL_SPELLING,
    REGIONS,
    SEXES,
    VAN_THI_SHARE_BY_COHORT,
    family_name_shares,
    van_thi_share,
)
from sapnhap.reference.personal_id import FIRST_YEAR, LAST_YEAR, make_personal_id, province_prefixes
from sapnhap.samples.model import Address
from sapnhap.text import fold_diacritics, nfc

MIN_MARRIAGE_AGE = {"male": 20, "female": 18}  # Law on Marriage and Family 2014, Art. 8(1)(a)
PARENT_AGE_GAP = (18, 45)  # parents are 18-45 years older than the child
MIN_PARENT_AGE = {"male": 20, "female": 18}  # father >= 20, mother >= 18 at the child's birth


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


_FAMILY_TABLES = {region: _Table(list(family_name_shares(region).items())) for region in REGIONS}
_MIDDLE_TABLES = {"male": _Table(MIDDLE_NAMES_MALE), "female": _Table(MIDDLE_NAMES_FEMALE)}
_GIVEN_TABLES = {"male": _Table(GIVEN_NAMES_MALE), "female": _Table(GIVEN_NAMES_FEMALE)}
_ETHNICITY_TABLE = _Table(ETHNICITY_SHARES)
_VAN, _THI = nfc("Văn"), nfc("Thị")


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
