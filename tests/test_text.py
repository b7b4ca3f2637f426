import unicodedata

import pytest

from sapnhap.text import (
    character_error_rate,
    cid_token_share,
    fold_diacritics,
    legacy_encoding,
    letter_entropy,
    nfc,
)

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"


def test_nfc_composes_and_reads_eth_as_d():
    decomposed = unicodedata.normalize("NFD", "Đặng Thị Hường")
    assert decomposed != "Đặng Thị Hường"
    assert nfc(decomposed) == "Đặng Thị Hường"
    assert nfc("\u00d0\u1eb7ng") == "Đặng"


def test_fold_diacritics_from_either_normal_form():
    assert fold_diacritics("Đặng Thị Hường") == "Dang Thi Huong"
    assert fold_diacritics(unicodedata.normalize("NFD", "Nguyễn Văn Đức")) == "Nguyen Van Duc"


def test_legacy_encodings_detected_and_unicode_is_not():
    tcvn3 = "Céng hoµ x· héi chñ nghÜa ViÖt Nam §éc lËp - Tù do - H¹nh phóc ñy ban nh©n d©n"
    vni = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam Ñoäc laäp - Töï do - Haïnh phuùc UÛy ban nhaân daân"
    assert legacy_encoding(tcvn3) == "tcvn3"
    assert legacy_encoding(vni) == "vni"
    assert legacy_encoding(MOTTO * 2) is None
    assert (
        legacy_encoding("The LinnSequencer is a 32 track MIDI sequence recorder with many features") is None
    )
    assert legacy_encoding("Portez ce vieux whisky au juge blond qui fume sur son île intérieure") is None


def test_cid_tokens_and_scrambled_text_measured():
    assert cid_token_share("(cid:12)(cid:7) (cid:99)") == 1.0
    assert cid_token_share("Ủy ban nhân dân") == 0.0
    assert letter_entropy("Agaaaaa: AAAA AAA/Aaabaaab 7728A-2076 AabaaAA aambaa") < 2.0
    assert letter_entropy(MOTTO) > 3.5


def test_character_error_rate_counts_characters_not_bytes():
    assert character_error_rate("tiếng", "tiếng") == 0.0
    # One wrong tone mark is one character error out of five, although it is 3 UTF-8 bytes.
    assert character_error_rate("tiếng", "tiêng") == 0.2
    assert character_error_rate("a  b\nc", "a b c") == 0.0
    assert character_error_rate(unicodedata.normalize("NFD", "Hưng"), "Hưng") == 0.0
    assert character_error_rate("", "") == 0.0
    assert character_error_rate("", "x") == 1.0


@pytest.mark.slow
def test_match_key_folds_marks_case_and_spacing():
    from sapnhap.text import match_key

    assert match_key("Đặng  Văn") == "dang van"
    assert match_key("Hòa") == match_key("Hoà") == match_key(unicodedata.normalize("NFD", "HÒA")) == "hoa"
