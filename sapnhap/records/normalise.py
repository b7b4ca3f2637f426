"""The one normalisation module of the extraction stage: text, names, dates, ID numbers, unit names.

Every function here is pure (no I/O apart from reading the shipped gazetteer once, no logging: the
values are personal data) and returns NFC text (Unicode Standard Annex #15; see `sapnhap.text`).

* `normalise_text`: NFC, the look-alike `Ð`/`ð` read as `Đ`/`đ`, invisible characters dropped,
  whitespace runs collapsed, stray OCR spaces before punctuation removed. Never changes case: case
  changes are only safe after NFC (`str.title()` on decomposed `nguyễn` gives `NguyễN`, because the
  combining marks are not letters and the letter after them starts a new "word").
* `title_case_name`, `split_name`: Vietnamese personal names, family name first.
* `parse_date`, `parse_year`: dates as registers print them; a failure keeps the raw text and says why.
* `normalise_personal_id`: the 12-digit number as a string, end to end.
* `repair_name`, `repair_place`: diacritics restored from the lexicons (name tables of
  `sapnhap.reference.names`, unit names of `sapnhap.reference.units.units_table`) when the choice is clear.
* `expand_unit_abbreviations`: `P.`, `Q.`, `TP.` … and unaccented `Xa`, `Huyen` … as unit prefixes.

Repair rule (names and places): a part is looked up on its folded key (`fold_diacritics`, lower
case; `Đ` folds to `D`). Among the lexicon spellings with that key the part is restored to one when
(1) it is the only one ("unique"), or (2) its weight is at least `DOMINANCE` (3) times the next one's
("dominant"; names only: places have no weights), or (3) the input carries marks and exactly one
candidate differs from it by the tone mark alone ("tone": OCR and typists confuse the five tone marks
far more often than the vowel letters ă/â/ê/ô/ơ/ư). A marked input that is itself a lexicon spelling is
kept ("exact"). Otherwise the input is kept and the candidates are listed ("ambiguous"), or, with no
spelling under its key, kept as "not_in_lexicon". The original text is always returned too. A name
typed wholly without marks does not trust an unmarked spelling that is itself a name (`Thanh` competes
with `Thành` by weight). Example of a tone error: OCR `Đăng` for `Đặng` folds to `dang`, under which
the family table has `Đặng` only, so it is restored ("unique"). On the generator's people
(tests/records/test_normalise.py) unaccented names are restored exactly for about 92 % with the sex known and
86 % without; every name whose parts each have a single spelling is restored.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sapnhap.text import fold_diacritics, match_key, nfc

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


_key = match_key  # the matching key of names and places (sapnhap.text.match_key)


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


def _without_tone(text: str) -> str:
    """The text with its tone marks removed but its vowel marks and đ kept: `Đặng` → `Đăng`."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))


# --- names: lexicons ---------------------------------------------------------------------------------

# Compound (two-syllable) family names. They are not in the generator's tables (sapnhap.reference.names
# draws one-syllable family names), so they are listed here. Those whose first syllable is a common
# family name on its own (Nguyễn Phúc, Nguyễn Phước, Hoàng Phủ) are only read as compound in names of
# four or more syllables: `Nguyễn Phúc Thành` is far more often family Nguyễn, middle Phúc.
COMPOUND_FAMILY_NAMES: tuple[str, ...] = (
    "Tôn Thất",
    "Tôn Nữ",
    "Âu Dương",
    "Tư Mã",
    "Công Tôn",
    "Nguyễn Phúc",
    "Nguyễn Phước",
    "Hoàng Phủ",
)
# Middle-name shares of Văn (men) and Thị (women) used by the lexicon: the generator's 1980 cohort.
LEXICON_COHORT = 1980
DOMINANCE = 3.0  # a candidate is restored when its weight is >= DOMINANCE x the next candidate's

Sex = Literal["male", "female"]
Lexicon = dict[str, dict[str, float]]  # folded key -> {spelling: weight}


def _lexicon(weights: Iterable[tuple[str, float]]) -> Lexicon:
    table: Lexicon = {}
    for spelling, weight in weights:
        spelling = nfc(spelling)
        bucket = table.setdefault(_key(spelling), {})
        bucket[spelling] = bucket.get(spelling, 0.0) + weight
    return table


def _normalised(pairs: Iterable[tuple[str, float]], scale: float = 1.0) -> list[tuple[str, float]]:
    pairs = list(pairs)
    total = sum(w for _, w in pairs)
    return [(name, w / total * scale) for name, w in pairs]


@functools.cache
def name_lexicons() -> dict[str, Lexicon]:
    """The name lexicons by part and sex, from `sapnhap.reference.names` (sources there).

    Keys: `family`, `middle_male`, `middle_female`, `middle`, `given_male`, `given_female`, `given`;
    each maps a folded key to {NFC spelling: weight}, weights summing to 1 per table. `family` is the
    mean of the three regional tables (Hoàng/Huỳnh, Vũ/Võ fold to different keys, so the region never
    decides a repair). Middle names give Văn (men) / Thị (women) their share in the 1980 birth cohort
    (`people.van_thi_share`) and share the rest by the tables' weights. The sex-blind tables (`middle`,
    `given`) weigh both sexes equally. Compound family names (`COMPOUND_FAMILY_NAMES`) are kept apart.
    """
    from sapnhap.reference import names as ppl

    family: dict[str, float] = {}
    for region in ppl.REGIONS:
        for name, share in ppl.family_name_shares(region).items():
            family[name] = family.get(name, 0.0) + share / len(ppl.REGIONS)
    tables: dict[str, Lexicon] = {"family": _lexicon(family.items())}
    marked = {"male": ("Văn", ppl.MIDDLE_NAMES_MALE), "female": ("Thị", ppl.MIDDLE_NAMES_FEMALE)}
    given = {"male": ppl.GIVEN_NAMES_MALE, "female": ppl.GIVEN_NAMES_FEMALE}
    both_middle: list[tuple[str, float]] = []
    both_given: list[tuple[str, float]] = []
    for sex, (common, others) in marked.items():
        share = ppl.van_thi_share(sex, LEXICON_COHORT)
        middle = [(common, share), *_normalised(others, 1.0 - share)]
        tables[f"middle_{sex}"] = _lexicon(middle)
        tables[f"given_{sex}"] = _lexicon(_normalised(given[sex]))
        both_middle += [(name, w / 2) for name, w in middle]
        both_given += _normalised(given[sex], 0.5)
    tables["middle"] = _lexicon(both_middle)
    tables["given"] = _lexicon(both_given)
    return tables


_COMPOUNDS = {_key(name): nfc(name) for name in COMPOUND_FAMILY_NAMES}


@functools.cache
def _compound_needs_four() -> frozenset[str]:
    family = name_lexicons()["family"]
    return frozenset(key for key in _COMPOUNDS if key.split(" ")[0] in family)


# --- names: split ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameParts:
    """A personal name split family name first.

    `family` (one syllable, or two for a compound family name), `middle` (chữ đệm; zero or more
    syllables, "" when none), `given` (the last syllable; a one-word name is given-only), each title-
    cased NFC; `raw` the text as read; `folded` the whole name's matching key (folded, lower case:
    `nguyen van hung`).
    """

    family: str
    middle: str
    given: str
    raw: str
    folded: str

    @property
    def full(self) -> str:
        """The parts joined by single spaces: `Nguyễn Văn Hùng`."""
        return " ".join(part for part in (self.family, self.middle, self.given) if part)


def _family_width(words: list[str]) -> int:
    """1 or 2: how many leading syllables form the family name (see `COMPOUND_FAMILY_NAMES`)."""
    if len(words) >= 3:
        head = _key(" ".join(words[:2]))
        if head in _COMPOUNDS and (len(words) >= 4 or head not in _compound_needs_four()):
            return 2
    return 1


def split_name(raw: str) -> NameParts:
    """Split a Vietnamese personal name, family name first: `NGUYỄN VĂN HÙNG` →
    (`Nguyễn`, `Văn`, `Hùng`); `Tran Van Binh` → (`Tran`, `Van`, `Binh`); `Tôn Thất Thuyết` →
    (`Tôn Thất`, ``, `Thuyết`); `Hùng` → (``, ``, `Hùng`); `Lê Lợi` → (`Lê`, ``, `Lợi`).

    The text is normalised (`normalise_text`) and title-cased (`title_case_name`); diacritics are
    neither added nor removed (that is `repair_name`). Compound family names are recognised on the
    folded key, so unaccented and capitalised input split the same way. Blank input gives empty parts.

    Raises:
        TypeError: when `raw` is not a str.
    """
    words = title_case_name(raw).split()
    folded = _key(" ".join(words))
    if not words:
        return NameParts("", "", "", raw, "")
    if len(words) == 1:
        return NameParts("", "", words[0], raw, folded)
    width = _family_width(words)
    family = " ".join(words[:width])
    return NameParts(family, " ".join(words[width:-1]), words[-1], raw, folded)


# --- names and places: repair ------------------------------------------------------------------------


@dataclass(frozen=True)
class Repair:
    """The outcome of a diacritic repair.

    `value` the text to use (NFC; for names title-cased), `original` the text as read, `repaired` True
    when `value` differs from the original in more than case, spacing (and, for places, expanded
    abbreviations), `candidates` the lexicon
    spellings of every part left unrepaired among several (part name → spellings, most frequent
    first; parts are `family`, `middle`, `given` for names and `place` for places), `reason` the
    decision: for a place one code, for a name `part=code` pairs joined by `;`
    (`family=unique;middle=exact;given=ambiguous`). Codes: `exact`, `unique`, `dominant`, `tone`,
    `ambiguous`, `not_in_lexicon` (`not_in_gazetteer` for places), `blank`.
    """

    value: str
    original: str
    repaired: bool
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    reason: str = ""


def _choose(
    word: str,
    bucket: Mapping[str, float] | None,
    trust_exact: bool,
    weighted: bool = True,
    known: Collection[str] = (),
) -> tuple[str, str, tuple[str, ...]]:
    """(value, code, candidates) for one part against its lexicon bucket (spellings of one key).

    `known` are further spellings accepted as exact (a name of the other sex's table stays as is)."""
    if trust_exact and (word in known or (bucket and word in bucket)):
        return word, "exact", ()
    if not bucket:
        return word, "not_in_lexicon", ()
    ranked = sorted(bucket, key=lambda s: (-bucket[s], s))
    if len(ranked) == 1:
        return ranked[0], "unique", ()
    if weighted and bucket[ranked[0]] >= DOMINANCE * bucket[ranked[1]]:
        return ranked[0], "dominant", ()
    if word != fold_diacritics(word):  # the input has marks: a tone-only difference decides
        same_vowels = [s for s in ranked if _without_tone(s) == _without_tone(word)]
        if len(same_vowels) == 1:
            return same_vowels[0], "tone", ()
    return word, "ambiguous", tuple(ranked)


def repair_name(raw: str, sex: Sex | None = None) -> Repair:
    """Restore a person name's diacritics from the name lexicons (`name_lexicons`), part by part.

    The name is split (`split_name`); the family name is matched against the family table (or the
    compound family names), each middle syllable against the middle-name table and the given name
    against the given-name table of `sex` ("male"/"female"; None: both sexes weighed equally). The
    rule is the module's (unique, dominant at `DOMINANCE` = 3x, tone-only; see the module docstring).
    A marked part that is a spelling of either sex's table is kept (`Văn` in a woman's name stays).
    When the name carries no mark at all (typed without diacritics), an unmarked spelling that is
    itself in the lexicon (`Thanh`) is not trusted as is: it competes with the marked ones (`Thành`)
    by weight. `Tran Van Binh` → `Trần Văn Bình`; `Đăng Văn Hùng` → `Đặng Văn Hùng` (tone error:
    `dang` has only `Đặng` in the family table); `Nguyen Van Hung` keeps `Hung` and lists
    (`Hùng`, `Hưng`).

    Raises:
        TypeError: when `raw` is not a str.
        ValueError: for a sex other than "male", "female" or None.
    """
    if sex not in (None, "male", "female"):
        raise ValueError(f"sex must be 'male', 'female' or None, got {sex!r}")
    parts = split_name(raw)
    if not parts.folded:
        return Repair("", raw, False, {}, "blank")
    tables = name_lexicons()
    suffix = f"_{sex}" if sex else ""
    unaccented = parts.full == fold_diacritics(parts.full)
    values: list[str] = []
    reasons: list[str] = []
    candidates: dict[str, tuple[str, ...]] = {}

    def decide(role: str, word: str, bucket: Mapping[str, float] | None, known: Collection[str] = ()) -> None:
        value, code, options = _choose(word, bucket, trust_exact=not unaccented, known=known)
        values.append(value)
        reasons.append(f"{role}={code}")
        if options:
            candidates[role] = candidates.get(role, ()) + options

    if parts.family:
        key = _key(parts.family)
        if key in _COMPOUNDS:
            decide("family", parts.family, {_COMPOUNDS[key]: 1.0})
        else:
            decide("family", parts.family, tables["family"].get(key))
    for word in parts.middle.split():
        decide(
            "middle", word, tables["middle" + suffix].get(_key(word)), tables["middle"].get(_key(word), ())
        )
    given_key = _key(parts.given)
    decide("given", parts.given, tables["given" + suffix].get(given_key), tables["given"].get(given_key, ()))
    value = " ".join(values)
    return Repair(value, raw, value != parts.full, candidates, ";".join(reasons))


def _needs_marks(word: str, bucket: Collection[str] | None) -> bool:
    """True when `word` is written without marks and its lexicon bucket (the spellings sharing its key
    in that name part's table) has no spelling without marks: `Nguyen` as a family name, `Thi` as a
    middle name. A word the lexicon does not know is never said to need marks."""
    return word == fold_diacritics(word) and bool(bucket) and all(s != fold_diacritics(s) for s in bucket)


def typed_without_marks(name: str) -> bool:
    """Whether a name reads as typed without diacritics, even where OCR put some marks back.

    Registers and foreign systems often hold names typed without marks (`NGUYEN THI LAN`); Tesseract's
    Vietnamese model then tends to "restore" a mark on a frequent syllable (`NGUYEN THỊ LAN`). A name is
    taken as typed without marks when at least one of its syllables is written without marks although
    that name part is never spelt so (`_needs_marks`: `Nguyen`, `Thi`, `Tran`, `Pham` …) and at least
    half of its syllables carry no mark. `Nguyen Thị Lan` → True; `Nguyễn Thị Lan` → False (every
    syllable spelt right); `Nguyễn Minh Anh` → False (`Minh` and `Anh` are spellings of their own);
    `Nguyen Thị Hương` → False (two of three syllables marked: a mark lost by OCR, for `repair_name`).
    A blank name is False.
    """
    parts = split_name(name)
    if not parts.folded:
        return False
    tables = name_lexicons()
    family = (
        {_COMPOUNDS[_key(parts.family)]: 1.0}
        if _key(parts.family) in _COMPOUNDS
        else tables["family"].get(_key(parts.family))
    )
    words = [(parts.family, family)] if parts.family else []
    words += [(w, tables["middle"].get(_key(w))) for w in parts.middle.split()]
    if parts.given:
        words.append((parts.given, tables["given"].get(_key(parts.given))))
    unmarked = [(w, bucket) for w, bucket in words if w == fold_diacritics(w)]
    return 2 * len(unmarked) >= len(words) and any(_needs_marks(w, bucket) for w, bucket in unmarked)


# Unit type words as the gazetteer writes them, longest first (for prefix stripping).
UNIT_TYPES: tuple[str, ...] = ("Thành phố", "Thị trấn", "Thị xã", "Phường", "Huyện", "Quận", "Tỉnh", "Xã")


def _bare(name: str) -> str:
    for unit_type in UNIT_TYPES:
        if _key(name).startswith(_key(unit_type) + " "):
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
        full.setdefault(_key(name), set()).add(name)
        bare.setdefault(_key(_bare(name)), set()).add(_bare(name))
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
    key = _key(text)
    spellings = full.get(key) or bare.get(key)
    if not spellings:
        return Repair(text, raw, False, {}, "not_in_gazetteer")
    unaccented = text == fold_diacritics(text)
    # A marked input is compared without case: `XÃ GIA TÂN` is the gazetteer's `Xã Gia Tân`.
    as_written = next((s for s in spellings if s.casefold() == text.casefold()), text)
    value, code, options = _choose(as_written, dict.fromkeys(spellings, 1.0), not unaccented, weighted=False)
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
            type_key = next((_key(t) for t in UNIT_TYPES if key.startswith(_key(t) + " ")), None)
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
    key = _key(unit)
    type_key = next((_key(t) for t in UNIT_TYPES if key.startswith(_key(t) + " ")), None)
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
_UNACCENTED_TYPES = {_key(t): t for t in UNIT_TYPES}
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
        _key(_bare(nfc(name)))
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
            if _key(name.strip(" .")) not in _province_keys():
                return match.group(0)
        return _ABBREVIATIONS[abbr] + " "

    def unaccented(match: re.Match[str]) -> str:
        word = match.group("word")
        if not _opens_name(match.string, match.end()):
            return match.group(0)
        spelling = _UNACCENTED_TYPES[_key(word)]
        return match.group("space") + (spelling.upper() if word.isupper() else spelling) + " "

    text = _ABBREVIATION.sub(abbreviation, text)
    return normalise_text(_UNACCENTED.sub(unaccented, text))


# --- dates -------------------------------------------------------------------------------------------

# OCR confusions inside a number: letters that stand for digits (l, I, | for 1; O, o for 0).
_OCR_DIGITS = str.maketrans({"l": "1", "I": "1", "|": "1", "i": "1", "O": "0", "o": "0"})
_D = r"[0-9OolIi|]"
_NUMERIC_DATE = re.compile(
    rf"(?<![\d/.\-])(?P<d>{_D}{{1,2}})\s*[/.\-]\s*(?P<m>{_D}{{1,2}})\s*[/.\-]\s*(?P<y>{_D}{{2,4}})(?![\w/\-]|\.\d)"
)
_ISO_DATE = re.compile(r"(?<![\w/.\-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w/\-]|\.\d)")
# On the folded, lower-cased text: ngày 21 tháng 9 năm 1973 (ngày optional; commas allowed).
_WORDS_DATE = re.compile(
    rf"(?:ngay\s*)?(?<![\w])(?P<d>{_D}{{1,2}})\s*,?\s*thang\s*(?P<m>{_D}{{1,2}})\s*,?\s*nam\s*(?P<y>{_D}{{2,4}})(?!\w)"
)
_MONTH_YEAR = re.compile(
    rf"thang\s*{_D}{{1,2}}\s*(?:,?\s*nam|/)\s*{_D}{{4}}(?!\w)"
    rf"|(?<![\w/.\-]){_D}{{1,2}}\s*[/.\-]\s*{_D}{{4}}(?![\w/\-]|\.\d)"
)
_YEAR = re.compile(rf"(?<![\w/.\-])(?P<y>{_D}{{4}})(?![\w/\-]|\.\d)")
# Day and month run together or split by a stray colon, the year last (`13042003`, `2/42008`,
# `22/011961`, `18-08: 1975`): separators lost by the writer or by OCR.
_RUN_DATE = re.compile(
    r"(?<![\w/.\-])(?P<a>\d{1,4})(?:\s*[/.\-:]\s*(?P<b>\d{1,2}))?(?P<sep>\s*[/.\-:]?\s*)(?P<y>\d{4})(?![\w/\-])"
)
_TWO_DIGIT_YEAR = re.compile(r"(?:nam|sinh)\s*:?\s*(?P<y>\d{2})(?!\w)")
YEAR_RANGE = (1800, 2100)  # years outside are taken as misreadings (error year_out_of_range)

DateError = Literal[
    "blank", "unparseable_date", "two_digit_year", "impossible_date", "year_out_of_range", "incomplete_date"
]


@dataclass(frozen=True)
class ParsedDate:
    """A date read from text. `value` the date or None; `raw` the text as given (always kept); `error`
    None on success, else a reason code: `blank` (no text), `unparseable_date` (no date found),
    `incomplete_date` (month and year only), `two_digit_year` (century ambiguous: `21/09/73`),
    `impossible_date` (no such day: `31/02/1990`, month 13), `year_out_of_range` (outside `YEAR_RANGE`,
    taken as a misreading). `separators_inferred` is True when the day and month were told apart
    without the separators the text lost (`_run_together`)."""

    value: date | None
    raw: str
    error: DateError | None = None
    separators_inferred: bool = False


@dataclass(frozen=True)
class ParsedYear:
    """A year read from text (`Năm sinh: 1950`): `value` or None, `raw` kept, `error` one of
    `ParsedDate`'s codes (`blank`, `unparseable_date`, `two_digit_year`, `year_out_of_range`,
    `impossible_date`)."""

    value: int | None
    raw: str
    error: DateError | None = None


def _digits(group: str) -> str | None:
    """The group with OCR letters read as digits, or None when it has no real digit at all."""
    if not any(ch.isdigit() for ch in group):
        return None
    return group.translate(_OCR_DIGITS)


def _to_date(raw: str, d: str, m: str, y: str) -> ParsedDate:
    day, month, year = _digits(d), _digits(m), _digits(y)
    if day is None or month is None or year is None:
        return ParsedDate(None, raw, "unparseable_date")
    if len(year) == 2:
        return ParsedDate(None, raw, "two_digit_year")
    if len(year) != 4:
        return ParsedDate(None, raw, "unparseable_date")
    if not YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]:
        return ParsedDate(None, raw, "year_out_of_range")
    try:
        return ParsedDate(date(int(year), int(month), int(day)), raw, None)
    except ValueError:
        return ParsedDate(None, raw, "impossible_date")


def parse_date(raw: str) -> ParsedDate:
    """Read a date as Vietnamese registers print it, day first: `21/9/1973`, `21/09/1973`,
    `21-09-1973`, `21.09.1973`, `ngày 21 tháng 9 năm 1973` (with or without diacritics, `ngày`
    optional), and ISO `1973-09-21`. Words around are ignored, also a label OCR glued to the date
    (`Ngày12/03/1990`), and the first date in the text is taken
    (`09 giờ 15 phút, ngày 12/06/2025` → 2025-06-12; `Sinh ngày: 21/09/1973`). Spaces around the
    separators are allowed, and inside the numbers the OCR confusions `l`/`I`/`i`/`|` → 1 and
    `O`/`o` → 0 are read as digits (`2l/O9/1973`) when each number keeps at least one real digit.

    When no date is printed with its separators, a numeric date that lost them is read if only one
    reading is a real date (`13042003`, `2/42008`, `18-08: 1975`; `separators_inferred` is then True).

    Never fails silently: the raw text is always returned and a failure has an error code (see
    `ParsedDate`): `31/02/1990` → `impossible_date`; `21/09/73` → `two_digit_year` (no century rule:
    registers hold births of 1900s and 2000s alike, so `73` cannot be decided safely).

    Raises:
        TypeError: when `raw` is not a str.
    """
    text = normalise_text(raw)
    if not text:
        return ParsedDate(None, raw, "blank")
    folded = fold_diacritics(text).lower()
    found: list[tuple[int, re.Match[str]]] = []
    for pattern, source in ((_NUMERIC_DATE, text), (_ISO_DATE, text), (_WORDS_DATE, folded)):
        match = pattern.search(source)
        if match:
            # Positions in `folded` and `text` differ only by removed combining marks: compare via
            # the folded prefix length, which is what both texts share up to the match.
            start = match.start() if source is folded else len(fold_diacritics(text[: match.start()]))
            found.append((start, match))
    if not found:
        run = _run_together(raw, text)
        if run is not None:
            return run
        if _MONTH_YEAR.search(folded):
            return ParsedDate(None, raw, "incomplete_date")
        return ParsedDate(None, raw, "unparseable_date")
    _, match = min(found, key=lambda item: item[0])
    return _to_date(raw, match.group("d"), match.group("m"), match.group("y"))


def _run_together(raw: str, text: str) -> ParsedDate | None:
    """A numeric date whose separators were lost, when only one reading is a real date; else None.

    The year is the last four digits. The digits before it are the day and month: split at a
    separator left between them (`2/42008` → 2/4/2008, `22/011961` → 22/01/1961), else two and two
    (`13042003` → 13/04/2003), one and one (`152003` → 1/5/2003), or, for three digits, the one split
    that gives a real date (`3122003` → 31/2 impossible, 3/12 → 2003-12-03). A single digit, an
    ambiguous split, or digits set apart from the year by a separator or a space (`12/2000` is a month
    and a year, `1203 2003` unclear) give None (the caller reports the text), never a guess; when
    every split names a day that does not exist the date is `impossible_date`.
    """
    match = _RUN_DATE.search(text)
    if match is None:
        return None
    a, b, y = match.group("a"), match.group("b"), match.group("y")
    if b is None and match.group("sep"):
        return None  # `12/2000`, `1203 2003`: a month and year, or a split that is not a lost separator
    if b is not None:
        splits = [(a, b)] if len(a) <= 2 else []
    elif len(a) == 4:
        splits = [(a[:2], a[2:])]
    elif len(a) == 2:
        splits = [(a[0], a[1])]
    elif len(a) == 3:
        splits = [(a[:1], a[1:]), (a[:2], a[2:])]
    else:
        splits = []
    readings = [_to_date(raw, d, m, y) for d, m in splits]
    real = [r for r in readings if r.value is not None]
    if not real and readings and all(r.error == "impossible_date" for r in readings):
        return ParsedDate(None, raw, "impossible_date")  # `29022001` as `29/02/2001`
    if len(real) != 1:
        return None
    return ParsedDate(real[0].value, raw, None, separators_inferred=True)


def parse_year(raw: str) -> ParsedYear:
    """Read a year: `Năm sinh: 1950` → 1950, `1950` → 1950; from a full date its year
    (`Sinh ngày 21/09/1950` → 1950). OCR confusions as in `parse_date` (`l950`). A two-digit year
    (`Năm sinh: 50`) is the error `two_digit_year`; a year outside `YEAR_RANGE` `year_out_of_range`;
    a full date that does not exist (`31/02/1990`) keeps `parse_date`'s error (`impossible_date`), the
    year is not guessed from it; no year `unparseable_date`; blank `blank`. The raw text is always kept.

    Raises:
        TypeError: when `raw` is not a str.
    """
    text = normalise_text(raw)
    if not text:
        return ParsedYear(None, raw, "blank")
    parsed = parse_date(text)
    if parsed.value is not None:
        return ParsedYear(parsed.value.year, raw, None)
    if parsed.error in ("two_digit_year", "impossible_date", "year_out_of_range"):
        return ParsedYear(None, raw, parsed.error)  # a full date is there but wrong: no guessing
    month_year = re.search(r"(?<![\d/.\-])\d{1,2}\s*[/.\-]\s*(?P<y>\d{4})(?![\w/\-])", text)
    if month_year and parsed.error == "incomplete_date":
        year = int(month_year.group("y"))  # `06/2000`: the year of a month and year
        if YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            return ParsedYear(year, raw, None)
    for match in _YEAR.finditer(fold_diacritics(text).lower()):
        year = _digits(match.group("y"))
        if year is None:
            continue
        if not YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]:
            return ParsedYear(None, raw, "year_out_of_range")
        return ParsedYear(int(year), raw, None)
    if _TWO_DIGIT_YEAR.search(fold_diacritics(text).lower()) or parsed.error == "two_digit_year":
        return ParsedYear(None, raw, "two_digit_year")
    return ParsedYear(None, raw, "unparseable_date")


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
