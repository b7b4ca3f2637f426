"""The one normalisation package of the extraction stage: text, names, dates, ID numbers, unit names.

Modules: `text` (NFC, spaces, title case), `names` (lexicons, split, repair), `places` (unit names,
abbreviations), `repair` (the rule both use), `dates`, `ids`; everything public is re-exported here.

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

from sapnhap.records.normalise.dates import (
    YEAR_RANGE,
    DateError,
    ParsedDate,
    ParsedYear,
    parse_date,
    parse_year,
)
from sapnhap.records.normalise.ids import normalise_personal_id
from sapnhap.records.normalise.names import (
    COMPOUND_FAMILY_NAMES,
    LEXICON_COHORT,
    Lexicon,
    NameParts,
    Sex,
    name_lexicons,
    repair_name,
    split_name,
    typed_without_marks,
)
from sapnhap.records.normalise.places import (
    PLACE_CLOSEST_MARGIN,
    PLACE_CLOSEST_MIN,
    UNIT_TYPES,
    expand_unit_abbreviations,
    repair_address_units,
    repair_place,
)
from sapnhap.records.normalise.repair import DOMINANCE, Repair
from sapnhap.records.normalise.text import normalise_text, title_case_name

__all__ = [
    "COMPOUND_FAMILY_NAMES",
    "DOMINANCE",
    "LEXICON_COHORT",
    "PLACE_CLOSEST_MARGIN",
    "PLACE_CLOSEST_MIN",
    "UNIT_TYPES",
    "YEAR_RANGE",
    "DateError",
    "Lexicon",
    "NameParts",
    "ParsedDate",
    "ParsedYear",
    "Repair",
    "Sex",
    "expand_unit_abbreviations",
    "name_lexicons",
    "normalise_personal_id",
    "normalise_text",
    "parse_date",
    "parse_year",
    "repair_address_units",
    "repair_name",
    "repair_place",
    "split_name",
    "title_case_name",
    "typed_without_marks",
]
