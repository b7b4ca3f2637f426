"""The repair rule shared by names and places: a spelling chosen among a lexicon bucket (see `sapnhap.records.normalise`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sapnhap.records.normalise.text import without_tone
from sapnhap.text import fold_diacritics

# --- names and places: repair ------------------------------------------------------------------------


DOMINANCE = 3.0  # a candidate is restored when its weight is >= DOMINANCE x the next candidate's


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


def choose_spelling(
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
        same_vowels = [s for s in ranked if without_tone(s) == without_tone(word)]
        if len(same_vowels) == 1:
            return same_vowels[0], "tone", ()
    return word, "ambiguous", tuple(ranked)
