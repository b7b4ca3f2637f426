"""Unicode → TCVN3 ("ABC", TCVN 5712:1993 VN3) byte codes, read back as Latin-1 text.

Before Unicode, Vietnamese offices typed in ABC fonts (.VnTime, .VnArial...). The font draws
Vietnamese letters at byte codes 0xA1–0xFE; a PDF made from such a document keeps those byte codes
in its text layer, and a reader decoding them as Latin-1/cp1252 gets mojibake such as
`Céng hoµ x· héi chñ nghÜa ViÖt Nam` for `Cộng hoà xã hội chủ nghĩa Việt Nam`.

Source of the table: TCVN 5712:1993 has three levels; VN1 (the full set, glibc/iconv `TCVN5712-1`,
X11 `xc/extras/X-TrueType/TCVN/TCVNtoUCS2.c`) holds every letter, VN3 (the 8-bit "ABC" set
actually used in fonts) keeps only VN1's lowercase precomposed letters at the *same* byte values
plus the seven bare capitals Ă Â Ê Ô Ơ Ư Đ at 0xA1–0xA7. The lowercase bytes below were checked
against `iconv -t TCVN5712-1` (e.g. ộàãủĩệ → E9 B5 B7 F1 DC D6) and against public Unicode↔TCVN3
converters (e.g. the UNI/TCVN3 arrays of github.com/Eruylz/XuatThuy `Utils/Unicode2TCVN3.cs`).

Capitals with tone marks (À, Ộ, Ữ...) do not exist in VN3: offices set such words in the companion
capital font (.VnTimeH), which draws the *lowercase* byte codes as capitals. We follow that
convention: a toned capital is written as its lowercase letter's byte (`CỘNG` → `CéNG`), so the
text layer is what a PDF of such a document holds. Characters outside VN3 and ASCII become a close
ASCII stand-in (dashes, quotes, ellipsis) or `?`.
"""

from __future__ import annotations

import unicodedata

# Lowercase letter → VN3 byte, grouped by base vowel: plain, grave, acute, hook above, tilde, dot below.
_LOWER = {
    "a": (0x61, 0xB5, 0xB8, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBB, 0xBE, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xC7, 0xCA, 0xC8, 0xC9, 0xCB),
    "e": (0x65, 0xCC, 0xD0, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD2, 0xD5, 0xD3, 0xD4, 0xD6),
    "i": (0x69, 0xD7, 0xDD, 0xD8, 0xDC, 0xDE),
    "o": (0x6F, 0xDF, 0xE3, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE5, 0xE8, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xEA, 0xED, 0xEB, 0xEC, 0xEE),
    "u": (0x75, 0xEF, 0xF3, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF5, 0xF8, 0xF6, 0xF7, 0xF9),
    "y": (0x79, 0xFA, 0xFD, 0xFB, 0xFC, 0xFE),
}
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_BARE = {"Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7, "đ": 0xAE}
_FALLBACK = {"–": "-", "—": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "\u00a0": " "}


def _build_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for base, codes in _LOWER.items():
        for tone, code in zip(_TONES, codes, strict=True):
            letter = unicodedata.normalize("NFC", base + tone)
            table[letter] = chr(code)
            capital = letter.upper()
            if capital not in _BARE and capital != letter:
                # Toned capitals: the lowercase byte, drawn as a capital by the .VnTimeH font.
                # Bare capitals A E I O U Y stay ASCII.
                table[capital] = chr(code) if tone else capital
    table.update({letter: chr(code) for letter, code in _BARE.items()})
    return table


UNICODE_TO_TCVN3: dict[str, str] = _build_table()
"""Every Vietnamese letter (NFC) → its TCVN3 byte as a one-character Latin-1 string."""


def to_tcvn3(text: str) -> str:
    """Return `text` as TCVN3 (ABC) byte codes read as Latin-1: each character is one byte 0–255.

    `text` is NFC-normalised first. ASCII passes through; Vietnamese letters map through
    `UNICODE_TO_TCVN3` (toned capitals use the capital-font convention, see the module docstring);
    other characters become an ASCII stand-in or `?`. The result has the same length as the NFC text
    except where `…` expands to `...`.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in UNICODE_TO_TCVN3:
            out.append(UNICODE_TO_TCVN3[ch])
        elif ord(ch) < 0x80:
            out.append(ch)
        else:
            out.append(_FALLBACK.get(ch, "?"))
    return "".join(out)
