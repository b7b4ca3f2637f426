"""Personal identification numbers (and old CMND numbers) as digit strings, end to end."""

from __future__ import annotations

import re
import unicodedata

from sapnhap.records.normalise.text import normalise_text

# --- personal identification numbers -------------------------------------------------------------------

_ID_SEPARATORS = re.compile(r"[\s.\-‐‑‒–—_]+")
_ID_OCR = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})


def normalise_personal_id(raw: str) -> str:
    """A personal identification number (or old 9-digit CMND number) as a string of digits:
    `001 085 012 345`, `001.085.012.345`, `001-085-012-345` → `001085012345`; never an int (the
    leading zeros of the province code are part of the number; see `sapnhap.reference.personal_id`).

    Spaces, dots, dashes and underscores are removed and Unicode decimal digits (full-width `００１`)
    read as ASCII. The OCR confusions O/o → 0, l/I/| → 1, S → 5, B → 8 are mapped only when every
    other character is a digit (`0O1085Ol2345` → `001085012345`); text with any other letter is
    returned cleaned but unmapped (`CMND123` stays, for `check_personal_id` to report). Blank → "".
    The function does not check the number (that is `sapnhap.reference.personal_id.check_personal_id`).

    Raises:
        TypeError: when `raw` is not a str (an int or float has already lost the leading zeros).
    """
    text = normalise_text(raw)
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
    text = _ID_SEPARATORS.sub("", text)
    if not text:
        return ""
    rest = [ch for ch in text if not ch.isdigit()]
    if rest and any(ch.isdigit() for ch in text) and all(ch in "OolI|SB" for ch in rest):
        return text.translate(_ID_OCR)
    return text
