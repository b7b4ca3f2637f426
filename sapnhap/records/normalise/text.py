"""Text normalisation shared by names, places, dates and ID numbers: NFC, look-alikes, spaces, title case."""

from __future__ import annotations

import re
import unicodedata

from sapnhap.text import nfc

# --- text -------------------------------------------------------------------------------------------

# Zero-width space/joiners, BOM, soft hyphen, word joiner: invisible characters PDF text layers and
# OCR post-processing leave inside words.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?%)\]}…])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[{])\s+")


def normalise_text(raw: str) -> str:
    """Normalise one field's text: NFC, `Ð`/`ð` (U+00D0/U+00F0) read as `Đ`/`đ`, invisible characters
    (zero-width space, BOM, soft hyphen) dropped, every whitespace run (newlines, tabs, no-break
    spaces included) made one space, ends stripped, and the stray space OCR puts before `, . ; : ! ? %
    ) ] } …` or after `( [ {` removed: `"Xã  Gia Tân ,\\nHuyện Gia Viễn"` → `"Xã Gia Tân, Huyện Gia Viễn"`.

    Case is never changed here (see `title_case_name`). `None` or a non-string raises TypeError.

    Raises:
        TypeError: when `raw` is not a str.
    """
    if not isinstance(raw, str):
        raise TypeError(f"expected str, got {type(raw).__name__}")
    text = nfc(raw).translate(_INVISIBLE)
    text = " ".join(text.split())
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _SPACE_AFTER_OPEN.sub(r"\1", text)


def _title_word(word: str) -> str:
    # Hyphenated parts each start with a capital (rare in Kinh names, common in minority names).
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def title_case_name(raw: str) -> str:
    """Vietnamese-aware title case of a name, after `normalise_text` (so after NFC):
    `NGUYỄN THỊ HƯƠNG` → `Nguyễn Thị Hương`, `đặng văn hùng` → `Đặng Văn Hùng`.

    Each space-separated syllable gets a capital first letter and lower-case rest (each part of a
    hyphenated word too). Unlike `str.title()`, an apostrophe or a combining mark never starts a new
    word, and since the text is NFC first no letter is split from its marks.

    Raises:
        TypeError: when `raw` is not a str.
    """
    return " ".join(_title_word(word) for word in normalise_text(raw).split(" ") if word)


TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


def without_tone(text: str) -> str:
    """The text with its tone marks removed but its vowel marks and đ kept: `Đặng` → `Đăng`."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONE_MARKS))
