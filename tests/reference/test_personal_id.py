"""The 12-digit personal identification number: structure, checks, decoding, legacy 9-digit numbers."""

from __future__ import annotations

import random

import pytest

from sapnhap.reference.personal_id import (
    IdProblem,
    PersonalIdParts,
    check_personal_id,
    decode_personal_id,
    is_legacy_id,
    make_personal_id,
    province_prefixes,
)


def test_63_prefixes_derived_from_gazetteer_match_the_circulars_appendix():
    prefixes = province_prefixes()
    assert len(prefixes) == 63
    assert all(len(p) == 3 and p.startswith("0") for p in prefixes)
    # A sample of Appendix I of Circular 07/2016/TT-BCA (kept by Circular 59/2021/TT-BCA).
    appendix = {
        "001": "Hà Nội",
        "002": "Hà Giang",
        "004": "Cao Bằng",
        "011": "Điện Biên",
        "031": "Hải Phòng",
        "037": "Ninh Bình",
        "046": "Huế",
        "048": "Đà Nẵng",
        "067": "Đắk Nông",
        "077": "Bà Rịa - Vũng Tàu",
        "079": "Hồ Chí Minh",
        "092": "Cần Thơ",
        "096": "Cà Mau",
    }
    for prefix, name in appendix.items():
        assert prefixes[prefix].endswith(name), (prefix, prefixes[prefix])
    for absent in ("003", "005", "013", "099", "000"):
        assert absent not in prefixes


def test_make_personal_id_known_examples():
    # 037153000257: the example decoded by the npm package vietnam-personal-id-number-explain
    # (Ninh Bình, 1953, female).
    assert make_personal_id("37", "female", 1953, 257) == "037153000257"
    assert make_personal_id("037", "female", 1953, 257) == "037153000257"
    assert make_personal_id("79", "male", 2003, 1) == "079203000001"
    assert make_personal_id("01", "male", 1900, 999_999) == "001000999999"


@pytest.mark.parametrize(
    ("sex", "year", "digit"),
    [
        ("male", 1900, "0"),
        ("female", 1999, "1"),
        ("male", 2000, "2"),
        ("female", 2099, "3"),
        ("male", 2100, "4"),
        ("female", 2199, "5"),
        ("male", 2200, "6"),
        ("female", 2299, "7"),
        ("male", 2300, "8"),
        ("female", 2399, "9"),
    ],
)
def test_century_sex_digit(sex, year, digit):
    number = make_personal_id("01", sex, year, 123456)
    assert number[3] == digit
    assert number[4:6] == f"{year % 100:02d}"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("99", "male", 1980, 1), "63 pre-2025 provinces"),
        (("003", "male", 1980, 1), "63 pre-2025 provinces"),
        (("1", "male", 1980, 1), "2-digit GSO code or the 3-digit prefix"),
        (("0001", "male", 1980, 1), "2-digit GSO code or the 3-digit prefix"),
        (("ab", "male", 1980, 1), "string of digits"),
        (("01", "nam", 1980, 1), "sex must be"),
        (("01", "male", 1899, 1), "1900-2399"),
        (("01", "male", 2400, 1), "1900-2399"),
        (("01", "male", True, 1), "must be an int"),
        (("01", "male", 1980, -1), "0-999999"),
        (("01", "male", 1980, 1_000_000), "0-999999"),
    ],
)
def test_make_personal_id_rejects_bad_input(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_personal_id(*args)


def test_valid_number_has_no_problem():
    assert check_personal_id("037153000257") == []
    assert check_personal_id("037153000257", sex="female", birth_year=1953) == []


@pytest.mark.parametrize(
    ("number", "sex", "year", "code"),
    [
        ("03715300025", None, None, "not_12_digits"),
        ("0371530002570", None, None, "not_12_digits"),
        ("03715300025x", None, None, "not_12_digits"),
        ("037 153000257", None, None, "not_12_digits"),
        ("０３７１５３０００２５７", None, None, "not_12_digits"),  # full-width digits
        ("099153000257", None, None, "unknown_province"),
        ("000153000257", None, None, "unknown_province"),
        ("037153000257", "male", None, "century_sex_mismatch"),
        ("037153000257", None, 2053, "century_sex_mismatch"),
        ("037153000257", "female", 1954, "year_mismatch"),
    ],
)
def test_each_problem_code(number, sex, year, code):
    problems = check_personal_id(number, sex=sex, birth_year=year)
    assert [p.code for p in problems] == [code]
    assert all(isinstance(p, IdProblem) for p in problems)
    # Personal data: a message never repeats the number.
    assert all(number not in p.message for p in problems)


def test_several_problems_at_once():
    codes = [p.code for p in check_personal_id("099253000257", sex="female", birth_year=1954)]
    assert codes == ["unknown_province", "century_sex_mismatch", "century_sex_mismatch", "year_mismatch"]


def test_non_string_is_not_12_digits():
    assert [p.code for p in check_personal_id(None)] == ["not_12_digits"]  # type: ignore[arg-type]
    assert [p.code for p in check_personal_id(37153000257)] == ["not_12_digits"]  # type: ignore[arg-type]


def test_check_rejects_bad_caller_data():
    with pytest.raises(ValueError):
        check_personal_id("037153000257", sex="F")
    with pytest.raises(ValueError):
        check_personal_id("037153000257", birth_year=1800)


def test_decode_known_number():
    assert decode_personal_id("037153000257") == PersonalIdParts(
        province_prefix="037",
        province_code="37",
        province_name="Tỉnh Ninh Bình",
        sex="female",
        century=20,
        birth_year=1953,
    )
    parts = decode_personal_id("079203000001")
    assert (parts.sex, parts.century, parts.birth_year) == ("male", 21, 2003)


def test_decode_round_trip():
    rng = random.Random(7)
    codes = [p[1:] for p in province_prefixes()]
    for _ in range(3000):
        code = rng.choice(codes)
        sex = rng.choice(("male", "female"))
        year = rng.randint(1900, 2399)
        number = make_personal_id(code, sex, year, rng.randrange(1_000_000))
        parts = decode_personal_id(number)
        assert (parts.province_code, parts.sex, parts.birth_year) == (code, sex, year)
        assert parts.century == year // 100 + 1
        assert check_personal_id(number, sex=sex, birth_year=year) == []


@pytest.mark.parametrize("number", ["03715300025", "099153000257", "03715300025x", ""])
def test_decode_rejects_invalid_without_echoing_it(number):
    with pytest.raises(ValueError) as info:
        decode_personal_id(number)
    if number:
        assert number not in str(info.value)


def test_legacy_nine_digit_numbers():
    assert is_legacy_id("012345678")
    assert is_legacy_id("285123456")
    assert not is_legacy_id("01234567")
    assert not is_legacy_id("0123456789")
    assert not is_legacy_id("037153000257")
    assert not is_legacy_id("01234567x")
    assert not is_legacy_id(" 12345678")
    assert not is_legacy_id(None)  # type: ignore[arg-type]
