"""Clusters of person records from scored pairs: union-find groups that never hold two different
well-formed ID numbers nor a cannot-link pair (`RecordGroups`, the one union-find of the project), and
`cluster_records` over a batch's pairs."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import pandas as pd
from rapidfuzz.distance import Levenshtein

from sapnhap.reference.personal_id import decode_personal_id

logger = logging.getLogger(__name__)


# Splink's Linker sets its own logger to INFO and prints every training step and, on a small batch, a
# warning per untrained level: only its errors are shown (our own log line says what training left out).
@dataclass(slots=True)
class RecordGroup:
    """One group of `RecordGroups`: its records, the well-formed 12-digit ID numbers they hold, the
    existing person ids (`persons` table) among them, and the full dates of birth (ISO) they print."""

    members: set[str]
    ids: set[str]
    persons: set[int]
    # None while the group is one record (read from `RecordGroups.birth_dates` / `.relatives`, so a
    # million singletons carry no sets); set when it merges.
    dates: frozenset[str] | None = None
    relatives: dict[str, frozenset[str]] | None = None
    numbers: frozenset[str] | None = None


class RecordGroups:
    """Union-find over person records under the hard rules of record linkage: a group never holds
    two different well-formed 12-digit ID numbers (Decree 137/2015/NĐ-CP Art. 13: one number per
    citizen), nor two records an archivist said are different people (`apart`: record id → the
    records it must stay apart from). The rules hold for the whole group, so a third record never
    chains two ID holders together. An automatic merge (`auto_blocked`) also keeps one date of birth
    per group (`birth_dates`: record id → ISO date or None), allowing an OCR or typing slip
    (`dates_agree`): a record without a date never chains two namesakes born on other days; and
    one name per relative (`relatives`: record id → {"father"|"mother"|"spouse": folded name}, see
    `relatives_of`), allowing two characters of difference: two namesakes of one village and year
    whose fathers, mothers or spouses differ wait for an archivist. Used by `cluster_records` (a batch) and by the incremental
    linkage of `sapnhap.linkage.persons` (which also tracks the existing person each record belongs to).

    parent: record id → parent record id; group: root record id → `RecordGroup`.
    """

    def __init__(
        self,
        personal_ids: Mapping[str, object] | None = None,
        apart: Mapping[str, set[str]] | None = None,
        birth_dates: Mapping[str, object] | None = None,
        relatives: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.parent: dict[str, str] = {}
        self.group: dict[str, RecordGroup] = {}
        self.personal_ids = personal_ids or {}
        self.apart = apart or {}
        self.birth_dates = birth_dates or {}
        self.relatives = relatives or {}

    def add(self, record: str, person: int | None = None) -> None:
        """Add `record` as a group of its own (in existing person `person`, if any)."""
        number = self.personal_ids.get(record)
        self.parent[record] = record
        self.group[record] = RecordGroup(
            {record}, {number} if well_formed_id(number) else set(), {person} if person else set()
        )

    def dates_of(self, group: RecordGroup) -> frozenset[str]:
        """The well-formed ISO dates of birth printed in `group`'s records."""
        if group.dates is not None:
            return group.dates
        born = self.birth_dates.get(next(iter(group.members)))
        return frozenset((born,)) if isinstance(born, str) and _ISO_DATE.fullmatch(born) else _NO_DATES

    def numbers_of(self, group: RecordGroup) -> frozenset[str]:
        """The identity numbers (six digits or more, any scheme: a 12-digit ID, a 9-digit former ID
        card, a foreign benchmark's social security number) printed in `group`'s records."""
        if group.numbers is not None:
            return group.numbers
        number = self.personal_ids.get(next(iter(group.members)))
        return frozenset((number,)) if isinstance(number, str) and _NUMBER.fullmatch(number) else _NO_DATES

    def relatives_in(self, group: RecordGroup) -> Mapping[str, frozenset[str]]:
        """Relative ("father", "mother", "spouse") → the folded names `group`'s records give it."""
        if group.relatives is not None:
            return group.relatives
        named = self.relatives.get(next(iter(group.members)))
        return {kind: frozenset((name,)) for kind, name in named.items() if name} if named else {}

    def find(self, record: str) -> str:
        """The root of the record's group (path halving). Raises KeyError for a record not added."""
        while self.parent[record] != record:
            self.parent[record] = self.parent[self.parent[record]]
            record = self.parent[record]
        return record

    def blocked(self, a: str, b: str) -> str | None:
        """Why the groups of a and b may not merge: "id" (two different ID numbers) or
        "cannot_link" (an archivist's decision), else None."""
        ga, gb = self.group[self.find(a)], self.group[self.find(b)]
        if ga.ids and gb.ids and ga.ids != gb.ids:
            return "id"
        if self.apart and any(self.apart.get(m, set()) & gb.members for m in ga.members):
            return "cannot_link"
        return None

    def auto_blocked(self, a: str, b: str) -> str | None:
        """Why the groups of a and b may not merge without an archivist: as `blocked`, or
        "birth_date" when a date of birth printed in either group agrees with none of the other's
        (`dates_agree`; a group may hold a date and its slips, each of which must agree with one
        date of the other group), or "father", "mother" or "spouse" when a name of that relative in
        either group is more than two characters from every one in the other. Neither date nor
        relatives block two groups that print one same identity number (`numbers_of`): there the
        number tells who the person is and the differing value is a slip."""
        why = self.blocked(a, b)
        if why:
            return why
        ga, gb = self.group[self.find(a)], self.group[self.find(b)]
        if self.numbers_of(ga) & self.numbers_of(gb):
            return None  # one identity number printed in both: a differing date or relative is a slip
        da, db = self.dates_of(ga), self.dates_of(gb)
        if (
            da
            and db
            and not (
                all(any(dates_agree(x, y) for y in db) for x in da)
                and all(any(dates_agree(x, y) for x in da) for y in db)
            )
        ):
            return "birth_date"
        ra, rb = self.relatives_in(ga), self.relatives_in(gb)
        for kind in ra.keys() & rb.keys():
            x, y = ra[kind], rb[kind]
            if not (
                all(any(_close(m, n) for n in y) for m in x) and all(any(_close(m, n) for m in x) for n in y)
            ):
                return kind
        return None

    def merge(self, a: str, b: str) -> None:
        """Merge the groups of a and b, whatever the rules (check `blocked` first)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.group[ra].members) < len(self.group[rb].members):
            ra, rb = rb, ra
        self.parent[rb] = ra
        g, h = self.group[ra], self.group.pop(rb)
        # Dates and relatives first: a group of one record reads them from its record.
        dates, relatives = self.dates_of(g) | self.dates_of(h), dict(self.relatives_in(g))
        for kind, names in self.relatives_in(h).items():
            relatives[kind] = relatives.get(kind, _NO_DATES) | names
        g.dates, g.relatives, g.numbers = dates, relatives, self.numbers_of(g) | self.numbers_of(h)
        g.members |= h.members
        g.ids |= h.ids
        g.persons |= h.persons

    def join(self, a: str, b: str, auto: bool = False) -> bool:
        """Merge the groups of a and b unless a rule blocks it (`auto`: also the date rule of
        `auto_blocked`); True when they are one group now."""
        if self.find(a) == self.find(b):
            return True
        if self.auto_blocked(a, b) if auto else self.blocked(a, b):
            return False
        self.merge(a, b)
        return True


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d{6,}")
_NO_DATES: frozenset[str] = frozenset()


RELATIVES = ("father", "mother", "spouse")


def relatives_of(features: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Record id → {relative: folded name} from `linkage_features` output (columns unique_id and
    `father_folded`, `mother_folded`, `spouse_folded`; a missing column or blank value is left out),
    for `RecordGroups(relatives=...)`."""
    out: dict[str, dict[str, str]] = {}
    if features.empty:
        return out
    columns = [k for k in RELATIVES if f"{k}_folded" in features.columns]
    # tolist: one conversion per column (iterating an Arrow-backed column converts value by value).
    lists = [features["unique_id"].tolist(), *(features[f"{k}_folded"].tolist() for k in columns)]
    for row in zip(*lists, strict=True):
        named = {k: v for k, v in zip(columns, row[1:], strict=True) if isinstance(v, str) and v}
        if named:
            out[str(row[0])] = named
    return out


def _close(a: str, b: str) -> bool:
    """Two folded names of one relative: at most two characters apart (a typing or OCR slip)."""
    return Levenshtein.distance(a, b, score_cutoff=2) <= 2


def dates_agree(a: str, b: str) -> bool:
    """True when two ISO dates of birth (`YYYY-MM-DD`) can be one person's: equal, one character
    apart (a digit misread or mistyped), or day and month swapped (`04/12` printed for `12/04`)."""
    if a == b:
        return True
    if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
        return True
    return a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]


def cluster_records(
    record_ids: Sequence[str],
    pairs: pd.DataFrame,
    threshold: float,
    personal_ids: dict[str, str | None] | None = None,
    cannot_link: Sequence[tuple[str, str]] = (),
    must_link: Sequence[tuple[str, str]] = (),
    birth_dates: Mapping[str, object] | None = None,
    relatives: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """Persons from scored pairs: record id → cluster id (the smallest record id of the cluster).

    pairs: columns unique_id_l, unique_id_r, match_probability (0..1), e.g. Splink's predictions.
    Pairs at or above `threshold` are merged strongest first (`RecordGroups`), except when the merge
    would put two different well-formed 12-digit ID numbers in one person (`personal_ids`: record id
    → ID or None), join two records an archivist said are different (`cannot_link`), or put dates
    of birth (`birth_dates`: record id → ISO date or None) or relatives' names (`relatives`, see
    `relatives_of`) that do not agree in one person (`RecordGroups.auto_blocked`). `must_link` pairs (an archivist's accepted matches) are merged
    first, whatever their score, under the ID and cannot-link rules. Every record of `record_ids` ends in exactly one cluster (a record without a pair is its
    own person).
    """
    apart: dict[str, set[str]] = {}
    known = set(record_ids)
    for a, b in cannot_link:
        if a in known and b in known:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    groups = RecordGroups(personal_ids, apart, birth_dates, relatives)
    strong = pairs[pairs["match_probability"] >= threshold].sort_values(
        ["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True]
    )
    left, right = strong["unique_id_l"].astype(str).tolist(), strong["unique_id_r"].astype(str).tolist()
    # Only records named in a pair can leave their own group: the others are persons of one record
    # (their own cluster id) and get no group (at a million records most records are in no pair).
    for r in known.intersection(chain(left, right, *must_link)):
        groups.add(r)
    for a, b in must_link:
        if a in known and b in known:
            groups.join(a, b)
    for a, b in zip(left, right, strict=True):
        if a in known and b in known:
            groups.join(a, b, auto=True)
    first = {root: min(g.members) for root, g in groups.group.items()}
    return {r: first[groups.find(r)] if r in groups.parent else r for r in record_ids}


def well_formed_id(number: object) -> bool:
    """True for a 12-digit personal ID number that passes the structure rules (`sapnhap.reference.personal_id`,
    Decree 137/2015/NĐ-CP Art. 13): two different such numbers are never one person."""
    if not (isinstance(number, str) and len(number) == 12 and number.isdigit()):
        return False
    try:
        decode_personal_id(number)
    except ValueError:
        return False
    return True
