"""Vietnam's 12-digit personal identification number (số định danh cá nhân): make, check, decode.

The one place in sapnhap that knows the number's rules. Every Vietnamese citizen has one number for
life; it is printed on the citizen identity card (căn cước công dân, CCCD) and, since 1 July 2024, on
the identity card (thẻ căn cước), and it replaced the old 9-digit identity-card number (chứng minh nhân
dân, CMND) that earlier registers carry.

Structure, digit by digit (positions counted from 1, left to right)::

    PPP C YY RRRRRR
    1-3 PPP     code of the province / centrally run city where the birth was registered
    4   C       century of birth and sex: 1900-1999 male 0, female 1; 2000-2099 male 2, female 3;
                2100-2199 male 4, female 5; 2200-2299 male 6, female 7; 2300-2399 male 8, female 9
    5-6 YY      last two digits of the year of birth
    7-12 RRRRRR six random digits

There is no check digit: a number with one digit wrong may still be well formed, so `check_personal_id`
can only catch an error that breaks the structure or contradicts the sex and year of birth recorded
beside the number.

Legal sources (read through the search tool; article numbers as those sources give them):

* Decree 137/2015/NĐ-CP, Art. 13 (as amended by Decree 37/2021/NĐ-CP): the number is a string of
  12 digits, 6 coding the century of birth, sex, year of birth and the province (or the country) where
  the birth was registered, and 6 random digits; the century/sex table above is quoted under that
  article by lawnet.vn ("Structure of personal identification numbers…", 23/07/2024).
* Circular 07/2016/TT-BCA, Art. 7 and Appendix I ("Bảng danh mục mã tỉnh, thành phố trực thuộc trung
  ương nơi công dân đăng ký khai sinh"), replaced by Circular 59/2021/TT-BCA, which keeps the same codes
  and the same 63-province table (mylaw.vn and thuvienphapluat.vn reproduce it). Secondary sources
  disagree on which article of Circular 59/2021/TT-BCA holds the codes (one cites Art. 4); the text of
  that Circular itself could not be checked here.
* Law on Identification 2023 (Luật Căn cước, No. 26/2023/QH15), Art. 12: the number is 12 digits, set
  by the National Population Database, one per citizen, never reused. Decree 70/2024/NĐ-CP elaborates
  that Law (generation and re-generation of numbers); whether it restates the digit structure could not
  be checked here, so it is not relied on.

The 63 province prefixes are "0" + the pre-2025 two-digit GSO province code (001 Hà Nội, 002 Hà Giang,
004 Cao Bằng … 079 Hồ Chí Minh … 096 Cà Mau). They are derived from the gazetteer
(`sapnhap.reference.units.units_table("pre2025")`) rather than typed in; `tests/reference/test_personal_id.py` checks a
few against the Circular's appendix. The number keeps the prefix of the province of birth registration
even after the 2025 merger of provinces. Country codes for births registered abroad (allowed by
Decree 137/2015/NĐ-CP Art. 13) are not modelled: such a number is reported as `unknown_province`.

A personal identification number is personal data. Nothing here logs a number, and no problem message
repeats one: a message names the positions and the digits at fault, never the whole number.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sapnhap.reference.units import units_table

SEXES = ("male", "female")
FIRST_YEAR = 1900  # first year the century/sex digit can express (20th century, digits 0/1)
LAST_YEAR = 2399  # last year it can express (24th century, digits 8/9)
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class IdProblem:
    """One thing wrong with a personal identification number.

    `code` is one of `not_12_digits`, `unknown_province`, `century_sex_mismatch`, `year_mismatch`;
    `message` says which positions and digits are at fault, never the whole number.
    """

    code: str
    message: str


@dataclass(frozen=True)
class PersonalIdParts:
    """What a well-formed personal identification number says about its holder.

    `province_prefix` is the 3-digit code (`001`), `province_code` the 2-digit pre-2025 GSO code
    (`01`) and `province_name` its name in the gazetteer (`Thành phố Hà Nội`); `century` is the
    ordinal century of birth (20 for 1900-1999); `birth_year` is the full year.
    """

    province_prefix: str
    province_code: str
    province_name: str
    sex: str
    century: int
    birth_year: int


@functools.cache
def province_prefixes() -> dict[str, str]:
    """The 63 province prefixes of the number, `{"001": "Thành phố Hà Nội", …, "096": "Tỉnh Cà Mau"}`.

    Derived from the pre-2025 gazetteer: "0" + the two-digit GSO province code (Circular
    07/2016/TT-BCA Appendix I, kept by Circular 59/2021/TT-BCA).
    """
    table = units_table("pre2025")[["province_code", "province_name"]].drop_duplicates()
    return {
        "0" + str(code): str(name)
        for code, name in zip(table["province_code"], table["province_name"], strict=True)
    }


def _prefix_for(province_code: str) -> str:
    """The 3-digit prefix for a 2-digit GSO code or a 3-digit prefix; ValueError when unknown."""
    if not isinstance(province_code, str) or not province_code or not set(province_code) <= _DIGITS:
        raise ValueError(f"province code must be a string of digits, got {province_code!r}")
    if len(province_code) == 2:
        prefix = "0" + province_code
    elif len(province_code) == 3:
        prefix = province_code
    else:
        raise ValueError(
            f"province code must be the 2-digit GSO code or the 3-digit prefix, got {len(province_code)} digits"
        )
    if prefix not in province_prefixes():
        raise ValueError(f"{province_code!r} is not the code of one of the 63 pre-2025 provinces")
    return prefix


def century_sex_digit(sex: str, birth_year: int) -> str:
    """The 4th digit of the number for a sex ("male"/"female") and a year of birth (1900-2399).

    Raises:
        ValueError: for another sex or a year outside 1900-2399.
    """
    if sex not in SEXES:
        raise ValueError(f"sex must be 'male' or 'female', got {sex!r}")
    if isinstance(birth_year, bool) or not isinstance(birth_year, int):
        raise ValueError(f"birth year must be an int, got {birth_year!r}")
    if not FIRST_YEAR <= birth_year <= LAST_YEAR:
        raise ValueError(
            f"birth year {birth_year} cannot be coded: the century digit covers {FIRST_YEAR}-{LAST_YEAR}"
        )
    return str(2 * (birth_year // 100 - 19) + (0 if sex == "male" else 1))


def make_personal_id(province_code: str, sex: str, birth_year: int, serial: int) -> str:
    """Build the 12-digit number: province prefix, century/sex digit, year's last two digits, serial.

    `province_code` is the 2-digit pre-2025 GSO code (`"01"`) or the 3-digit prefix (`"001"`) of the
    province where the birth was registered; `sex` is "male" or "female"; `birth_year` 1900-2399;
    `serial` the six random digits as an int 0-999999. Example:
    `make_personal_id("37", "female", 1953, 257) == "037153000257"`.
    Source: Decree 137/2015/NĐ-CP Art. 13; Circular 07/2016/TT-BCA Art. 7 (now Circular 59/2021/TT-BCA).

    Raises:
        ValueError: for an unknown province, a sex other than "male"/"female", a year outside
            1900-2399, or a serial outside 0-999999.
    """
    prefix = _prefix_for(province_code)
    digit = century_sex_digit(sex, birth_year)
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= 999_999:
        raise ValueError(f"serial must be an int 0-999999, got {serial!r}")
    return f"{prefix}{digit}{birth_year % 100:02d}{serial:06d}"


def check_personal_id(number: str, sex: str | None = None, birth_year: int | None = None) -> list[IdProblem]:
    """Check a number against the structure and, when given, the holder's sex and year of birth.

    Returns the problems found, empty when the number is valid: `not_12_digits` (wrong length or a
    character other than 0-9; nothing else is checked then), `unknown_province` (positions 1-3 are
    none of the 63 prefixes), `century_sex_mismatch` (position 4 contradicts `sex`, or codes another
    century than `birth_year`'s) and `year_mismatch` (positions 5-6 are not the last two digits of
    `birth_year`). The number is taken as written: no spaces are stripped.
    Source: Decree 137/2015/NĐ-CP Art. 13; Circular 07/2016/TT-BCA Art. 7 (now Circular 59/2021/TT-BCA).

    Raises:
        ValueError: when `sex` or `birth_year` (the caller's own data) is itself invalid.
    """
    if sex is not None and sex not in SEXES:
        raise ValueError(f"sex must be 'male', 'female' or None, got {sex!r}")
    if birth_year is not None:
        century_sex_digit("male", birth_year)  # validates the year's type and range
    if not isinstance(number, str):
        return [IdProblem("not_12_digits", f"expected a string of 12 digits, got {type(number).__name__}")]
    if len(number) != 12 or not set(number) <= _DIGITS:
        bad = [i + 1 for i, ch in enumerate(number) if ch not in _DIGITS]
        detail = f"; position {bad[0]} is not a digit 0-9" if bad else ""
        return [IdProblem("not_12_digits", f"expected 12 digits 0-9, got {len(number)} characters{detail}")]
    problems: list[IdProblem] = []
    prefix = number[:3]
    if prefix not in province_prefixes():
        problems.append(
            IdProblem(
                "unknown_province",
                f"positions 1-3 ({prefix}) are not the code of any of the 63 pre-2025 provinces",
            )
        )
    digit = int(number[3])
    coded_sex = "male" if digit % 2 == 0 else "female"
    coded_century = digit // 2 + 20
    if sex is not None and coded_sex != sex:
        problems.append(
            IdProblem(
                "century_sex_mismatch", f"position 4 ({digit}) codes a {coded_sex}, the record says {sex}"
            )
        )
    if birth_year is not None and coded_century != birth_year // 100 + 1:
        problems.append(
            IdProblem(
                "century_sex_mismatch",
                f"position 4 ({digit}) codes birth in {_century_range(coded_century)}, "
                f"the record's year of birth is in {_century_range(birth_year // 100 + 1)}",
            )
        )
    if birth_year is not None and number[4:6] != f"{birth_year % 100:02d}":
        problems.append(
            IdProblem(
                "year_mismatch",
                f"positions 5-6 ({number[4:6]}) are not the last two digits of the year of birth "
                f"({birth_year % 100:02d})",
            )
        )
    return problems


def _century_range(century: int) -> str:
    """`20` → `1900-1999`."""
    return f"{(century - 1) * 100}-{(century - 1) * 100 + 99}"


def decode_personal_id(number: str) -> PersonalIdParts:
    """Read the province, sex, century and year of birth out of a well-formed number.

    Example: `decode_personal_id("079203000001")` is a male born in 2003 whose birth was registered in
    Hồ Chí Minh City (prefix 079). Source: Decree 137/2015/NĐ-CP Art. 13.

    Raises:
        ValueError: when the number is not 12 digits or its prefix is no province's; the message
            names the problems, not the number.
    """
    problems = check_personal_id(number)
    if problems:
        raise ValueError(
            "not a valid personal identification number: " + "; ".join(p.message for p in problems)
        )
    digit = int(number[3])
    return PersonalIdParts(
        province_prefix=number[:3],
        province_code=number[1:3],
        province_name=province_prefixes()[number[:3]],
        sex="male" if digit % 2 == 0 else "female",
        century=digit // 2 + 20,
        birth_year=FIRST_YEAR + 100 * (digit // 2) + int(number[4:6]),
    )


def is_legacy_id(number: str) -> bool:
    """True when `number` looks like an old 9-digit identity-card number (chứng minh nhân dân, CMND).

    Only the form is checked (exactly nine digits 0-9, as written): the 9-digit numbers were issued
    by provincial police with their own prefixes and carry no checkable sex or year of birth. Since
    1 July 2024 a citizen can ask for a certificate linking the old 9-digit number to the personal
    identification number (Decree 70/2024/NĐ-CP Art. 1 names that verification).
    """
    return isinstance(number, str) and len(number) == 9 and set(number) <= _DIGITS
