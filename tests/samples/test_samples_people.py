"""Synthetic Vietnamese people: determinism, valid IDs, name frequencies, family ages, variations."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import astuple
from datetime import date

import pytest
from rapidfuzz.distance import OSA, Levenshtein

from sapnhap.reference.personal_id import check_personal_id, decode_personal_id
from sapnhap.samples import people
from sapnhap.samples.model import Address
from sapnhap.samples.people import (
    DATE_STYLES,
    ETHNICITY_SHARES,
    GIVEN_NAMES_FEMALE,
    GIVEN_NAMES_MALE,
    MIDDLE_NAMES_FEMALE,
    MIDDLE_NAMES_MALE,
    TONE_MARKS,
    VARIATIONS,
    PeopleSampler,
    Person,
    age_on,
    change_tone,
    change_vowel_mark,
    family_name_shares,
    format_date,
    id_missing,
    id_one_digit_wrong,
    strip_diacritics,
    swap_day_month,
    typo,
)

ADDRESS = Address(
    village="Thôn Đông",
    former_commune_code="14899",
    former_commune_name="Xã Gia Tân",
    former_district_code="373",
    former_district_name="Huyện Gia Viễn",
    former_province_name="Tỉnh Ninh Bình",
    new_commune_code="14899",
    new_commune_name="Xã Gia Vân",
    new_province_name="Tỉnh Ninh Bình",
)
ADULTS = (date(1930, 1, 1), date(2006, 12, 31))


def is_nfc(text: str) -> bool:
    return unicodedata.normalize("NFC", text) == text


def without_tones(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONE_MARKS))


def sample(seed: int, n: int, region: str = "north") -> list[Person]:
    sampler = PeopleSampler(random.Random(seed), region)
    return [sampler.person(f"p{i}", None, ADULTS, "37", ADDRESS) for i in range(n)]


# --- sampler ----------------------------------------------------------------------------------------------
def test_same_seed_same_people():
    def draw(seed: int) -> list[tuple]:
        sampler = PeopleSampler(random.Random(seed), "central")
        out = [astuple(p) for p in (sampler.person(f"p{i}", None, ADULTS, "40", ADDRESS) for i in range(300))]
        for i in range(50):
            child, father, mother = sampler.family(
                f"c{i}", f"f{i}", f"m{i}", (date(1980, 1, 1), date(2015, 12, 31)), "40", ADDRESS
            )
            out += [astuple(child), astuple(father), astuple(mother)]
            out.append(astuple(sampler.spouse_for(father, f"s{i}", date(2024, 1, 1))))
        return out

    assert draw(42) == draw(42)
    assert draw(42) != draw(43)


def test_every_generated_personal_id_is_valid_and_unique():
    persons = sample(1, 5000)
    for p in persons:
        assert p.personal_id is not None
        assert check_personal_id(p.personal_id, sex=p.sex, birth_year=p.birth_date.year) == []
        parts = decode_personal_id(p.personal_id)
        assert parts.province_code == p.birth_province_code
    assert len({p.personal_id for p in persons}) == len(persons)


def test_no_personal_id_before_1900():
    sampler = PeopleSampler(random.Random(3))
    p = sampler.person("old", "male", (date(1880, 1, 1), date(1899, 12, 31)), "01", ADDRESS)
    assert p.personal_id is None


def test_person_fields_and_full_name():
    sampler = PeopleSampler(random.Random(5))
    p = sampler.person("x1", "female", (date(1973, 9, 21), date(1973, 9, 21)), "37", ADDRESS)
    assert p.sex == "female" and p.birth_date == date(1973, 9, 21)
    assert p.full_name == f"{p.family_name} {p.middle_name} {p.given_name}"
    assert p.address == ADDRESS and p.father_id is None and p.mother_id is None
    assert p.ethnicity in {name for name, _ in ETHNICITY_SHARES}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"sex": "nam"}, "sex must be"),
        ({"birth_province_code": "99"}, "province"),
        ({"birth_province_code": "001"}, "province"),
        ({"birth_range": (date(2000, 1, 2), date(2000, 1, 1))}, "empty birth range"),
    ],
)
def test_person_rejects_bad_input(kwargs, fragment):
    args = {
        "entity_id": "x",
        "sex": None,
        "birth_range": ADULTS,
        "birth_province_code": "01",
        "address": ADDRESS,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        PeopleSampler(random.Random(0)).person(**args)


def test_unknown_region_rejected():
    with pytest.raises(ValueError, match="region"):
        PeopleSampler(random.Random(0), "west")


def test_family_name_frequencies_follow_the_table():
    persons = sample(11, 20_000)
    counts = Counter(p.family_name for p in persons)
    share = {name: n / len(persons) for name, n in counts.items()}
    expected = family_name_shares("north")
    assert abs(sum(expected.values()) - 1) < 1e-9
    assert expected["Nguyễn"] == pytest.approx(0.384)
    assert 0.35 <= share["Nguyễn"] <= 0.42
    for name in ("Trần", "Lê", "Phạm", "Phan", "Đặng", "Bùi"):
        assert abs(share.get(name, 0) - expected[name]) < 0.012, name
    assert set(share) <= set(expected)


def test_regional_spelling_of_hoang_huynh_and_vu_vo():
    north = Counter(p.family_name for p in sample(2, 8000, "north"))
    south = Counter(p.family_name for p in sample(2, 8000, "south"))
    assert north["Hoàng"] > 5 * north["Huỳnh"] and north["Vũ"] > 5 * north["Võ"]
    assert south["Huỳnh"] > 5 * south["Hoàng"] and south["Võ"] > 5 * south["Vũ"]


def test_van_and_thi_fall_out_of_use():
    sampler = PeopleSampler(random.Random(9))
    old = [
        sampler.person(f"o{i}", None, (date(1940, 1, 1), date(1959, 12, 31)), "01", ADDRESS)
        for i in range(4000)
    ]
    young = [
        sampler.person(f"y{i}", None, (date(2010, 1, 1), date(2020, 12, 31)), "01", ADDRESS)
        for i in range(4000)
    ]

    def share(persons: list[Person], sex: str, middle: str) -> float:
        of_sex = [p for p in persons if p.sex == sex]
        return sum(p.middle_name == middle for p in of_sex) / len(of_sex)

    assert share(old, "female", "Thị") > 0.75 and share(young, "female", "Thị") < 0.2
    assert share(old, "male", "Văn") > 0.5 and share(young, "male", "Văn") < 0.15
    assert all(p.middle_name != "Thị" for p in old + young if p.sex == "male")
    assert all(p.middle_name != "Văn" for p in old + young if p.sex == "female")


def test_name_tables_size_and_nfc():
    assert 60 <= len(GIVEN_NAMES_MALE) <= 120 and 60 <= len(GIVEN_NAMES_FEMALE) <= 120
    for table in (
        GIVEN_NAMES_MALE,
        GIVEN_NAMES_FEMALE,
        MIDDLE_NAMES_MALE,
        MIDDLE_NAMES_FEMALE,
        ETHNICITY_SHARES,
    ):
        names = [name for name, _ in table]
        assert len(names) == len(set(names))
        assert all(is_nfc(name) and weight > 0 for name, weight in table)
    assert all(is_nfc(name) for name in family_name_shares("south"))


def test_generated_strings_are_nfc():
    for p in sample(4, 2000):
        for text in (p.family_name, p.middle_name, p.given_name, p.full_name, p.ethnicity):
            assert is_nfc(text)


def test_family_ages_and_names():
    sampler = PeopleSampler(random.Random(21), "south")
    for i in range(2000):
        child, father, mother = sampler.family(
            f"c{i}", f"f{i}", f"m{i}", (date(1960, 1, 1), date(2024, 12, 31)), "79", ADDRESS
        )
        assert (father.sex, mother.sex) == ("male", "female")
        assert child.family_name == father.family_name
        assert (child.father_id, child.mother_id) == (f"f{i}", f"m{i}")
        father_age = age_on(father.birth_date, child.birth_date)
        mother_age = age_on(mother.birth_date, child.birth_date)
        assert 20 <= father_age <= 45, father_age
        assert 18 <= mother_age <= 45, mother_age
        for p in (child, father, mother):
            assert check_personal_id(p.personal_id, sex=p.sex, birth_year=p.birth_date.year) == []


def test_spouse_ages_respect_the_marriage_law():
    sampler = PeopleSampler(random.Random(8))
    for i in range(2000):
        person = sampler.person(f"p{i}", None, (date(1950, 1, 1), date(2000, 12, 31)), "01", ADDRESS)
        minimum = 20 if person.sex == "male" else 18
        wedding = date(person.birth_date.year + minimum + random.Random(i).randint(0, 20), 6, 15)
        if age_on(person.birth_date, wedding) < minimum:
            continue
        spouse = sampler.spouse_for(person, f"s{i}", wedding)
        assert spouse.sex != person.sex
        husband, wife = (person, spouse) if person.sex == "male" else (spouse, person)
        assert age_on(husband.birth_date, wedding) >= 20
        assert age_on(wife.birth_date, wedding) >= 18
        assert spouse.address == person.address


def test_spouse_for_underage_person_rejected():
    sampler = PeopleSampler(random.Random(8))
    girl = sampler.person("g", "female", (date(2010, 3, 1), date(2010, 3, 1)), "01", ADDRESS)
    with pytest.raises(ValueError, match="must be 18"):
        sampler.spouse_for(girl, "s", date(2028, 2, 28))
    assert sampler.spouse_for(girl, "s", date(2028, 3, 1)).sex == "male"


# --- variations --------------------------------------------------------------------------------------------
def test_variations_list_names_functions():
    assert len(VARIATIONS) == len(set(VARIATIONS))
    for name in VARIATIONS:
        assert callable(getattr(people, name))


def test_strip_diacritics():
    assert strip_diacritics("Đặng Thị Hưng") == "Dang Thi Hung"
    assert strip_diacritics("Nguyễn Văn Đức") == "Nguyen Van Duc"
    assert strip_diacritics(unicodedata.normalize("NFD", "Phạm Thị Hường")) == "Pham Thi Huong"


def test_change_tone_keeps_the_vowels_and_changes_one_tone():
    rng = random.Random(1)
    assert {change_tone("Hùng", rng) for _ in range(200)} == {"Hung", "Húng", "Hủng", "Hũng", "Hụng"}
    assert {change_tone("Hung", rng) for _ in range(200)} == {"Hùng", "Húng", "Hủng", "Hũng", "Hụng"}
    assert {change_tone("Đức", rng) for _ in range(50)} == {"Đực"}  # stop final: sắc <-> nặng only
    assert {change_tone("Hoa", rng) for _ in range(200)} == {"Hòa", "Hóa", "Hỏa", "Hõa", "Họa"}
    assert {change_tone("Quy", rng) for _ in range(200)} == {"Quỳ", "Quý", "Quỷ", "Quỹ", "Quỵ"}
    assert {change_tone("Hương", rng) for _ in range(200)} == {"Hường", "Hướng", "Hưởng", "Hưỡng", "Hượng"}
    for name in ("Nguyễn Văn Đức", "Trần Thị Ngọc Hương", "Lê Quỳnh Giang", "Phạm Tuấn Anh"):
        for _ in range(100):
            changed = change_tone(name, rng)
            assert changed != name and is_nfc(changed)
            assert without_tones(changed) == without_tones(name)
            assert strip_diacritics(changed) == strip_diacritics(name)
            assert Levenshtein.distance(changed, name) == 1


def test_change_vowel_mark_keeps_the_tone():
    rng = random.Random(2)
    assert {change_vowel_mark("Hùng", rng) for _ in range(20)} == {"Hừng"}
    assert {change_vowel_mark("Tâm", rng) for _ in range(50)} == {"Tam", "Tăm"}
    for name in ("Nguyễn Văn Đức", "Trần Thị Ngọc Hương", "Hồ Xuân Hương"):
        for _ in range(100):
            changed = change_vowel_mark(name, rng)
            assert changed != name and is_nfc(changed)
            assert Levenshtein.distance(changed, name) == 1
            assert strip_diacritics(changed) == strip_diacritics(name)
            original = [unicodedata.normalize("NFD", ch) for ch in name]
            new = [unicodedata.normalize("NFD", ch) for ch in changed]
            tones = [[m for m in ch if m in TONE_MARKS] for ch in original]
            assert tones == [[m for m in ch if m in TONE_MARKS] for ch in new]
    with pytest.raises(ValueError):
        change_vowel_mark("Thi Ly", rng)


def test_change_vowel_mark_leaves_the_u_of_qu_alone():
    rng = random.Random(3)
    for name in ("Quy", "Quỳnh"):
        with pytest.raises(ValueError):
            change_vowel_mark(name, rng)
    assert {change_vowel_mark("Quang", rng) for _ in range(50)} == {"Quăng", "Quâng"}


def test_change_tone_without_vowel_rejected():
    with pytest.raises(ValueError):
        change_tone("Ng", random.Random(0))


def test_typo_is_one_edit():
    rng = random.Random(4)
    kinds = Counter()
    for name in ("Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Hoa", "Đỗ Ý"):
        for _ in range(500):
            changed = typo(name, rng)
            assert changed != name and is_nfc(changed)
            assert OSA.distance(changed, name) == 1
            if len(changed) < len(name):
                kinds["deletion"] += 1
            elif len(changed) > len(name):
                kinds["duplication"] += 1
            elif Levenshtein.distance(changed, name) == 1:
                kinds["substitution"] += 1
            else:
                kinds["transposition"] += 1
    assert set(kinds) == {"deletion", "duplication", "substitution", "transposition"}
    with pytest.raises(ValueError):
        typo("123 / 45", rng)


def test_typo_substitution_uses_a_neighbouring_key():
    rng = random.Random(5)
    for _ in range(300):
        changed = typo("an", rng)
        if len(changed) == 2 and changed != "na" and changed[1] == "n":
            assert changed[0] in "qswz"


def test_format_date_examples():
    d = date(1973, 9, 21)
    assert format_date(d, "dd/mm/yyyy") == "21/09/1973"
    assert format_date(d, "d/m/yyyy") == "21/9/1973"
    assert format_date(d, "dd-mm-yyyy") == "21-09-1973"
    assert format_date(d, "dd.mm.yyyy") == "21.09.1973"
    assert format_date(d, "words") == "ngày 21 tháng 9 năm 1973"
    assert format_date(date(2001, 3, 5), "dd/mm/yyyy") == "05/03/2001"
    assert format_date(date(2001, 3, 5), "d/m/yyyy") == "5/3/2001"
    assert format_date(date(2001, 3, 5), "words") == "ngày 5 tháng 3 năm 2001"
    assert len({format_date(d, style) for style in DATE_STYLES}) == len(DATE_STYLES)
    with pytest.raises(ValueError, match="unknown date style"):
        format_date(d, "yyyy-mm-dd")


def test_swap_day_month():
    assert swap_day_month(date(1980, 3, 5)) == date(1980, 5, 3)
    assert swap_day_month(date(1999, 12, 1)) == date(1999, 1, 12)
    with pytest.raises(ValueError):
        swap_day_month(date(1980, 3, 13))
    with pytest.raises(ValueError):
        swap_day_month(date(1980, 4, 4))


def test_id_one_digit_wrong():
    rng = random.Random(6)
    number = "037153000257"
    seen = set()
    for _ in range(1000):
        changed = id_one_digit_wrong(number, rng)
        assert len(changed) == 12 and changed.isdigit()
        diff = [i for i in range(12) if changed[i] != number[i]]
        assert len(diff) == 1
        seen.add(diff[0])
    assert seen == set(range(12))
    with pytest.raises(ValueError):
        id_one_digit_wrong("", rng)


def test_id_missing():
    assert id_missing() is None
