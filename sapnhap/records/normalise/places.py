"""Place and unit names: diacritic repair from the gazetteer, unit words and their abbreviations."""

from __future__ import annotations

import functools
import re
from typing import Literal

from sapnhap.records.normalise.repair import Repair, choose_spelling
from sapnhap.records.normalise.text import normalise_text
from sapnhap.text import fold_diacritics, match_key, nfc

# Unit type words as the gazetteer writes them, longest first (for prefix stripping).
UNIT_TYPES: tuple[str, ...] = ("Thành phố", "Thị trấn", "Thị xã", "Phường", "Huyện", "Quận", "Tỉnh", "Xã")


def _bare(name: str) -> str:
    for unit_type in UNIT_TYPES:
        if match_key(name).startswith(match_key(unit_type) + " "):
            return name.split(" ", len(unit_type.split()))[-1]
    return name


@functools.cache
def _place_index(vintage: str) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(full-name index, bare-name index): folded key → distinct spellings, for one vintage."""
    from sapnhap.reference.units import units_table

    table = units_table(vintage)  # type: ignore[arg-type]
    names: set[str] = set(table["ward_name"]) | set(table["province_name"])
    if "district_name" in table.columns:
        names |= set(table["district_name"])
    full: dict[str, set[str]] = {}
    bare: dict[str, set[str]] = {}
    for name in names:
        name = nfc(name)
        full.setdefault(match_key(name), set()).add(name)
        bare.setdefault(match_key(_bare(name)), set()).add(_bare(name))
    return (
        {k: frozenset(v) for k, v in full.items()},
        {k: frozenset(v) for k, v in bare.items()},
    )


def repair_place(raw: str, vintage: Literal["pre2025", "post2025"] = "pre2025") -> Repair:
    """Restore a unit name's diacritics from the gazetteer (`sapnhap.reference.units.units_table(vintage)`:
    commune, ward and township names, province names, and for `pre2025` district names).

    Abbreviations are expanded first (`expand_unit_abbreviations`), then the whole name is matched on
    its folded key against every distinct spelling in the gazetteer: `Xa Gia Tan` → `Xã Gia Tân`,
    `Huyen Gia Vien` → `Huyện Gia Viễn`, `TINH NINH BINH` → `Tỉnh Ninh Bình`. A name written without its
    type word (`Gia Tan`) is matched against the bare names and restored without one (`Gia Tân`). Only
    an unambiguous spelling is restored (the rule has no weights: several units may share one spelling,
    which is then still one spelling; two spellings under one key, e.g. `Xã Tân An`/`Xã Tấn An`, are
    not). A marked input that is a gazetteer spelling is kept. Not found: the normalised input is kept,
    reason `not_in_gazetteer`. The repair restores the spelling only; which unit it is needs the
    other parts of the address.

    Raises:
        TypeError: when `raw` is not a str.
        ValueError: for an unknown vintage.
    """
    if vintage not in ("pre2025", "post2025"):
        raise ValueError(f"unknown vintage {vintage!r}: use 'pre2025' or 'post2025'")
    text = expand_unit_abbreviations(raw)
    if not text:
        return Repair("", raw, False, {}, "blank")
    full, bare = _place_index(vintage)
    key = match_key(text)
    spellings = full.get(key) or bare.get(key)
    if not spellings:
        return Repair(text, raw, False, {}, "not_in_gazetteer")
    unaccented = text == fold_diacritics(text)
    # A marked input is compared without case: `XÃ GIA TÂN` is the gazetteer's `Xã Gia Tân`.
    as_written = next((s for s in spellings if s.casefold() == text.casefold()), text)
    value, code, options = choose_spelling(
        as_written, dict.fromkeys(spellings, 1.0), not unaccented, weighted=False
    )
    repaired = value.casefold() != text.casefold()
    return Repair(value, raw, repaired, {"place": options} if options else {}, code)


# Closest-spelling repair of unit names misread by OCR (`Tỉnh Ninlí: Bình`): rapidfuzz `ratio` on the
# folded names (0..100), among the gazetteer's units of the same type; the best must be this close and
# this far ahead of the next distinct name.
PLACE_CLOSEST_MIN = 85.0
PLACE_CLOSEST_MARGIN = 8.0
_UNIT_WORD = re.compile(r"(?<!\w)(?:Thành phố|Thị trấn|Thị xã|Phường|Huyện|Quận|Tỉnh|Xã)(?!\w)")


@functools.cache
def _places_by_type() -> dict[str, dict[str, str]]:
    """Unit-type key (`tinh`, `xa` …) → {folded full name: spelling} over both vintages, for names with
    a single spelling under their key (two spellings under one key are never chosen between)."""
    out: dict[str, dict[str, str]] = {}
    for vintage in ("pre2025", "post2025"):
        full, _ = _place_index(vintage)
        for key, spellings in full.items():
            type_key = next((match_key(t) for t in UNIT_TYPES if key.startswith(match_key(t) + " ")), None)
            if type_key is None or len(spellings) != 1:
                continue
            spelling = next(iter(spellings))
            known = out.setdefault(type_key, {})
            if known.get(key, spelling) != spelling:
                known[key] = ""  # the vintages spell it differently: ambiguous
            else:
                known[key] = spelling
    return out


def _closest_place(unit: str) -> str | None:
    """The gazetteer spelling of `unit` (`Tỉnh Ninlí: Bình`), exact on its folded key or clearly the
    closest of its type; None when neither."""
    key = match_key(unit)
    type_key = next((match_key(t) for t in UNIT_TYPES if key.startswith(match_key(t) + " ")), None)
    if type_key is None:
        return None
    names = _places_by_type().get(type_key, {})
    if key in names:
        return names[key] or None
    from rapidfuzz import fuzz, process

    best = process.extract(key, list(names), scorer=fuzz.ratio, limit=2)
    if not best or best[0][1] < PLACE_CLOSEST_MIN:
        return None
    if len(best) > 1 and best[0][1] - best[1][1] < PLACE_CLOSEST_MARGIN:
        return None
    return names[best[0][0]] or None


def repair_address_units(raw: str) -> Repair:
    """An address or place (`Trạm y tế Xã Gia Tân, Huyện Gia Viễn, Tỉnh Ninh Bình`) with each unit
    name it holds set to the gazetteer's spelling when OCR misread it.

    The text is split at commas; in each part, from the first unit-type word (`Xã`, `Phường`, `Thị
    trấn`, `Huyện`, `Quận`, `Thị xã`, `Thành phố`, `Tỉnh`; abbreviations expanded to find it, and kept
    as written in a part that needs no repair) to the part's end is
    the unit's name; what comes before it (`Ủy ban nhân dân`, `Trạm y tế`, a village) is kept as read.
    The name is replaced by the gazetteer spelling (both vintages) whose folded name equals it, or which
    is clearly the closest among the units of that type (`PLACE_CLOSEST_MIN` similarity,
    `PLACE_CLOSEST_MARGIN` ahead of the next): `Tỉnh Ninlí: Bình` → `Tỉnh Ninh Bình`, `Tỉnh Ninh-Bình`
    → `Tỉnh Ninh Bình`. A name too far from every unit (`Tỉnh Niaft8 d*`) is kept as read. `repaired`
    says whether anything changed, `reason` lists the repaired parts' positions (`unit:2`).
    Which unit a commune name designates still needs its district and province (`sapnhap.records.routing`).

    Raises:
        TypeError: when `raw` is not a str.
    """
    text = normalise_text(raw)
    if not text:
        return Repair("", raw, False, {}, "blank")
    parts = [p.strip() for p in text.split(",")]
    fixed: list[str] = []
    reasons: list[str] = []
    for index, written in enumerate(parts):
        # Abbreviations are expanded to find the unit; a part left alone keeps them as written.
        part = expand_unit_abbreviations(written)
        match = _UNIT_WORD.search(part)
        if match is None:
            fixed.append(written)
            continue
        head, unit = part[: match.start()], part[match.start() :].strip(" .;:“”\"'")
        spelling = _closest_place(unit)
        if spelling is None or spelling == part[match.start() :]:
            fixed.append(written)
            continue
        fixed.append(head + spelling)
        reasons.append(f"unit:{index}")
    value = ", ".join(p for p in fixed if p)
    return Repair(value, raw, bool(reasons), {}, ";".join(reasons))


# --- unit abbreviations ------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "TP": "Thành phố",
    "TX": "Thị xã",
    "TT": "Thị trấn",
    "P": "Phường",
    "Q": "Quận",
    "X": "Xã",
    "H": "Huyện",
    "T": "Tỉnh",
}
# Unaccented unit words (folded key → spelling); only at the start of an address part.
_UNACCENTED_TYPES = {match_key(t): t for t in UNIT_TYPES}
# The word after a prefix is checked in code (`_opens_name`): a regex class such as [À-Ỹ] would also
# take the lower-case letters that alternate with the capitals in Latin Extended Additional.
_ABBREVIATION = re.compile(
    r"(?<![\w.])(?:(?P<abbr>TP|TX|TT|Tp|Tx|Tt|P|Q|X|H|T)\.\s*|(?P<bare>TP|TX|TT)\s+)(?=\S)"
)
_UNACCENTED = re.compile(
    r"(?:^|(?<=[,;(]))(?P<space>\s*)(?P<word>thanh\s+pho|thi\s+tran|thi\s+xa|phuong|huyen|quan|tinh|xa)"
    r"\s+(?=\S)",
    re.IGNORECASE,
)


def _opens_name(text: str, position: int) -> bool:
    """Whether a unit name starts at `position`: a capital letter or a digit."""
    return position < len(text) and (text[position].isupper() or text[position].isdigit())


@functools.cache
def _province_keys() -> frozenset[str]:
    """Folded province names without their type word, of both vintages (`ninh binh`, `ha noi`)."""
    from sapnhap.reference.units import units_table

    return frozenset(
        match_key(_bare(nfc(name)))
        for vintage in ("pre2025", "post2025")
        for name in units_table(vintage)["province_name"]
    )


def expand_unit_abbreviations(raw: str) -> str:
    """Write unit-type prefixes out in full, after `normalise_text`: `P.` Phường, `Q.` Quận,
    `TP.`/`Tp.` Thành phố, `TX.` Thị xã, `TT.` Thị trấn, `X.` Xã, `H.` Huyện, `T.` Tỉnh (only before a
    province's name: `Đường T. Hưng Đạo` keeps its initial):
    `X. Gia Tân, H.Gia Viễn, T. Ninh Bình` → `Xã Gia Tân, Huyện Gia Viễn, Tỉnh Ninh Bình`;
    `P.5, Q.10, TP HCM` → `Phường 5, Quận 10, Thành phố HCM`.

    An abbreviation is expanded only as a prefix: not preceded by a letter, digit or dot (never inside
    a word or an initialism like `U.B.N.D.`), with its dot (`TP`, `TX`, `TT` also without), and followed
    by a capital letter or a digit (after optional spaces). Unaccented type words (`Xa`, `Huyen`,
    `Tinh`, `Phuong`, `Quan`, `Thi tran`, `Thi xa`, `Thanh pho`) get their marks back when they open
    the text or an address part (after `,` `;` `(`) and a capital or a digit follows: `Xa Gia Tan,
    Huyen Gia Vien` → `Xã Gia Tan, Huyện Gia Vien` (the name itself is `repair_place`'s job). An
    all-capitals word stays in capitals (`XA` → `XÃ`). Words elsewhere are left alone (`xa` means
    "far"). Meant for address text: in a person's name an initial (`Nguyễn T. Hương`) would be read
    as a prefix.

    Raises:
        TypeError: when `raw` is not a str.
    """
    text = normalise_text(raw)

    def abbreviation(match: re.Match[str]) -> str:
        if not _opens_name(match.string, match.end()):
            return match.group(0)
        abbr = (match.group("abbr") or match.group("bare")).upper()
        if abbr == "T":
            # `T.` is also an initial (`Đường T. Hưng Đạo`): Tỉnh only before a province's name.
            name = re.split(r"[,;(]", match.string[match.end() :], maxsplit=1)[0]
            if match_key(name.strip(" .")) not in _province_keys():
                return match.group(0)
        return _ABBREVIATIONS[abbr] + " "

    def unaccented(match: re.Match[str]) -> str:
        word = match.group("word")
        if not _opens_name(match.string, match.end()):
            return match.group(0)
        spelling = _UNACCENTED_TYPES[match_key(word)]
        return match.group("space") + (spelling.upper() if word.isupper() else spelling) + " "

    text = _ABBREVIATION.sub(abbreviation, text)
    return normalise_text(_UNACCENTED.sub(unaccented, text))
