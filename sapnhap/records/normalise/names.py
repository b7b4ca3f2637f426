"""Vietnamese personal names: lexicons, splitting (family, middle, given) and diacritic repair."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from sapnhap.records.normalise.repair import Repair, choose_spelling
from sapnhap.records.normalise.text import title_case_name
from sapnhap.text import fold_diacritics, match_key, nfc

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

Sex = Literal["male", "female"]
Lexicon = dict[str, dict[str, float]]  # folded key -> {spelling: weight}


def _lexicon(weights: Iterable[tuple[str, float]]) -> Lexicon:
    table: Lexicon = {}
    for spelling, weight in weights:
        spelling = nfc(spelling)
        bucket = table.setdefault(match_key(spelling), {})
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


_COMPOUNDS = {match_key(name): nfc(name) for name in COMPOUND_FAMILY_NAMES}


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
        head = match_key(" ".join(words[:2]))
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
    folded = match_key(" ".join(words))
    if not words:
        return NameParts("", "", "", raw, "")
    if len(words) == 1:
        return NameParts("", "", words[0], raw, folded)
    width = _family_width(words)
    family = " ".join(words[:width])
    return NameParts(family, " ".join(words[width:-1]), words[-1], raw, folded)


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
        value, code, options = choose_spelling(word, bucket, trust_exact=not unaccented, known=known)
        values.append(value)
        reasons.append(f"{role}={code}")
        if options:
            candidates[role] = candidates.get(role, ()) + options

    if parts.family:
        key = match_key(parts.family)
        if key in _COMPOUNDS:
            decide("family", parts.family, {_COMPOUNDS[key]: 1.0})
        else:
            decide("family", parts.family, tables["family"].get(key))
    for word in parts.middle.split():
        decide(
            "middle",
            word,
            tables["middle" + suffix].get(match_key(word)),
            tables["middle"].get(match_key(word), ()),
        )
    given_key = match_key(parts.given)
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
        {_COMPOUNDS[match_key(parts.family)]: 1.0}
        if match_key(parts.family) in _COMPOUNDS
        else tables["family"].get(match_key(parts.family))
    )
    words = [(parts.family, family)] if parts.family else []
    words += [(w, tables["middle"].get(match_key(w))) for w in parts.middle.split()]
    if parts.given:
        words.append((parts.given, tables["given"].get(match_key(parts.given))))
    unmarked = [(w, bucket) for w, bucket in words if w == fold_diacritics(w)]
    return 2 * len(unmarked) >= len(words) and any(_needs_marks(w, bucket) for w, bucket in unmarked)
