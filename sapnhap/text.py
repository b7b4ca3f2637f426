"""Vietnamese text rules: Unicode normalisation, diacritic folding, legacy-encoding detection, CER.

One module, used everywhere text is compared or stored. Stored text is always NFC (Unicode
Standard Annex #15, Normalization Form C): Vietnamese has two ways to write a tone mark over a
vowel (precomposed `ế` U+1EBF or `e` + U+0302 + U+0301), and a string match between the two fails
silently unless both sides are NFC.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

# The look-alike Icelandic eth (U+00D0/U+00F0) that OCR and some fonts emit for Vietnamese Đ/đ.
_ETH_TO_D = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})

# Letters only Vietnamese uses (never produced by TCVN3/VNI mojibake read as Latin-1/cp1252).
_VIETNAMESE_ONLY = set("ăđơưĂĐƠƯĩũĨŨ") | {chr(c) for c in range(0x1EA0, 0x1EFA)}

# Latin-1 letters and symbols that Vietnamese text never contains but that TCVN3 (ABC, TCVN
# 5712:1993) and VNI byte codes turn into when a legacy 8-bit font is read as Latin-1/cp1252.
_TCVN3_MARKERS = set("¸µ¶·¹¨»¼½¾ÆÇÈÉÊËÌÎÏÑ×ØÜÞßåæçëîïñöøûüþÿ¡¢£¤¥¦§©ª«¬®°±²³´º¿")
_VNI_MARKERS = set("øùúûüõöóòñïîíìëäåæçéèÿ") - set("ùúõóòíìéè")
_VNI_PATTERN = re.compile(r"[aeouyAEOUY][äåæçëöøùúûüõñïîÿ]|[aAeEoO][ôõöøùúûüáàâãä](?=\b|\w)")
_CID_TOKEN = re.compile(r"\(cid:\d+\)")


def nfc(text: str) -> str:
    """Return `text` in Unicode NFC with the look-alike `Ð`/`ð` read as Vietnamese `Đ`/`đ`."""
    return unicodedata.normalize("NFC", text).translate(_ETH_TO_D)


def fold_diacritics(text: str) -> str:
    """Fold Vietnamese to plain ASCII letters: `Đặng Thị Hường` → `Dang Thi Huong`.

    Works on either normal form (the input is decomposed first), and maps `Đ`/`đ` to `D`/`d`.
    """
    decomposed = unicodedata.normalize("NFD", nfc(text).replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def match_key(text: str) -> str:
    """The key names are matched on: NFC, diacritics folded (Đ → D), lower case, single spaces.

    `Đặng  Văn` → `dang van`; `Hòa` and `Hoà` (two tone-mark placements) give the same key.
    """
    return " ".join(fold_diacritics(nfc(text)).lower().split())


def cid_token_share(text: str) -> float:
    """Share (0..1) of non-space characters that belong to `(cid:NN)` tokens.

    pdfminer writes `(cid:NN)` for glyphs whose font has no Unicode mapping; such a text layer
    says nothing about the words on the page.
    """
    compact = re.sub(r"\s+", "", text)
    if not compact:
        return 0.0
    cid_chars = sum(len(m.group(0)) for m in _CID_TOKEN.finditer(compact))
    return cid_chars / len(compact)


def legacy_encoding(text: str) -> str | None:
    """Name the legacy Vietnamese 8-bit encoding a text looks written in, or None.

    Before Unicode (TCVN 6909:2001) Vietnamese offices typed in TCVN3 (ABC, TCVN 5712:1993) or VNI
    fonts; their PDFs carry byte codes that read as Latin-1 mojibake, e.g. TCVN3
    `Céng hoµ x· héi chñ nghÜa ViÖt Nam`, VNI `Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam`.
    Returns "tcvn3", "vni" or None. Text that holds letters only Vietnamese uses (`ư`, `ơ`, `ạ`...)
    is taken as real Unicode Vietnamese.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 20:
        return None
    if sum(ch in _VIETNAMESE_ONLY for ch in letters) / len(letters) > 0.01:
        return None
    tcvn3 = sum(ch in _TCVN3_MARKERS for ch in text) / len(letters)
    vni_pairs = len(_VNI_PATTERN.findall(text)) / max(1, len(text.split()))
    vni_marks = sum(ch in _VNI_MARKERS for ch in text) / len(letters)
    if tcvn3 >= 0.03 and tcvn3 >= vni_marks:
        return "tcvn3"
    if vni_marks >= 0.03 or vni_pairs >= 0.15:
        return "vni"
    return None


def letter_entropy(text: str) -> float:
    """Shannon entropy in bits of the case-folded letter distribution of `text` (0 if no letters).

    Running text in Vietnamese, English or French is above 3.5 bits; a scrambled text layer such as
    `Agaaaaa: AAAA AAA/Aaabaaab` (glyphs mapped to a few code points) is far below.
    """
    counts = Counter(ch for ch in text.casefold() if ch.isalpha())
    total = sum(counts.values())
    if not total:
        return 0.0
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def normalise_for_cer(value: str | None) -> str:
    """The text a character error rate compares: NFC (with `Ð` read as `Đ`), every run of whitespace
    (line breaks included) one space, trimmed; None is "". Layout never counts as an error."""
    return " ".join(nfc(value or "").split())


def cer_counts(reference: str | None, hypothesis: str | None) -> tuple[int, int]:
    """(Levenshtein edit distance, reference length), in characters (not UTF-8 bytes), after
    `normalise_for_cer`. Summed over many texts, their ratio is a corpus CER."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = normalise_for_cer(reference), normalise_for_cer(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Character error rate of one text: `cer_counts` distance / reference length.

    Returns 0.0 for two empty texts and 1.0 for an empty reference with a non-empty hypothesis.
    """
    edits, length = cer_counts(reference, hypothesis)
    if not length:
        return 0.0 if not normalise_for_cer(hypothesis) else 1.0
    return edits / length
