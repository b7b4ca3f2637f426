"""Masking of personal data shown in UI metadata."""

import unicodedata

import pandas as pd

from sapnhap.records.tables import masked_people
from sapnhap.review.masking import mask_date, mask_id, mask_name, mask_value


def test_names_become_initials_in_nfc():
    assert mask_name("Nguyễn Văn Hùng") == "N. V. H."
    assert mask_name(unicodedata.normalize("NFD", "Đặng thị Mai")) == "Đ. T. M."
    assert mask_name("Tôn Thất  Thuyết") == "T. T. T."
    assert mask_name("") == mask_name(None) == mask_name(float("nan")) == ""


def test_id_numbers_keep_the_province_code_and_two_last_digits():
    assert mask_id("001085012345") == "001*******45"
    assert mask_id("012345678") == "012****78"  # a legacy 9-digit number
    assert mask_id("1234") == "****"
    assert mask_id(None) == ""


def test_dates_of_birth_keep_the_year_only():
    assert mask_date("1985-04-12") == "1985-**-**"
    assert mask_date("12/4/1985") == "1985"
    assert mask_date("không rõ") == "***"


def test_mask_value_by_field_name():
    assert mask_value("father_name", "Trần Văn Bình") == "T. V. B."
    assert mask_value("personal_id", "036190001234") == "036*******34"
    assert mask_value("birth_date", "1990-01-02") == "1990-**-**"
    assert mask_value("ethnicity", "Kinh") == "Kinh"
    assert mask_value("place", None) == ""


def test_masked_people_one_row_per_person_record():
    source = pd.DataFrame(
        [
            ("u:a:1:child", "child", "full_name", "Nguyễn Văn Hùng"),
            ("u:a:1:child", "child", "birth_date", "1985-04-12"),
            ("u:a:1:mother", "mother", "full_name", None),
            ("u:a:1:document", "", "registration_number", "12"),
        ],
        columns=["record_id", "role", "field", "value"],
    )
    shown = masked_people(source)
    assert shown.to_dict("index") == {
        "u:a:1:child": {"name": "N. V. H.", "born": "1985-**-**"},
        "u:a:1:mother": {"name": "", "born": ""},
    }


def test_masked_dates_never_show_day_or_month_digits():
    assert mask_date("1112000") == mask_date("29022001") == "***"
    assert mask_name("ÐẶNG VĂN AN") == "Đ. V. A."  # the look-alike U+00D0 read as Đ
