"""Clusters of person records from scored pairs: union-find groups that never hold two different
well-formed ID numbers nor a cannot-link pair (`RecordGroups`, the one union-find of the project), and
`cluster_records` over a batch's pairs."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sapnhap.reference.personal_id import decode_personal_id

logger = logging.getLogger(__name__)


# Splink's Linker sets its own logger to INFO and prints every training step and, on a small batch, a
# warning per untrained level: only its errors are shown (our own log line says what training left out).
@dataclass
class RecordGroup:
    """One group of `RecordGroups`: its records, the well-formed 12-digit ID numbers they hold, and
    the existing person ids (`persons` table) among them."""

    members: set[str]
    ids: set[str]
    persons: set[int]


class RecordGroups:
    """Union-find over person records under the hard rules of record linkage: a group never holds
    two different well-formed 12-digit ID numbers (Decree 137/2015/NĐ-CP Art. 13: one number per
    citizen), nor two records an archivist said are different people (`apart`: record id → the
    records it must stay apart from). The rules hold for the whole group, so a third record never
    chains two ID holders together. Used by `cluster_records` (a batch) and by the incremental
    linkage of `sapnhap.linkage.persons` (which also tracks the existing person each record belongs to).

    parent: record id → parent record id; group: root record id → `RecordGroup`.
    """

    def __init__(
        self, personal_ids: Mapping[str, object] | None = None, apart: Mapping[str, set[str]] | None = None
    ) -> None:
        self.parent: dict[str, str] = {}
        self.group: dict[str, RecordGroup] = {}
        self.personal_ids = personal_ids or {}
        self.apart = apart or {}

    def add(self, record: str, person: int | None = None) -> None:
        """Add `record` as a group of its own (in existing person `person`, if any)."""
        number = self.personal_ids.get(record)
        self.parent[record] = record
        self.group[record] = RecordGroup(
            {record}, {number} if well_formed_id(number) else set(), {person} if person else set()
        )

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

    def merge(self, a: str, b: str) -> None:
        """Merge the groups of a and b, whatever the rules (check `blocked` first)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.group[ra].members) < len(self.group[rb].members):
            ra, rb = rb, ra
        self.parent[rb] = ra
        g, h = self.group[ra], self.group.pop(rb)
        g.members |= h.members
        g.ids |= h.ids
        g.persons |= h.persons

    def join(self, a: str, b: str) -> bool:
        """Merge the groups of a and b unless a rule blocks it; True when they are one group now."""
        if self.find(a) == self.find(b):
            return True
        if self.blocked(a, b):
            return False
        self.merge(a, b)
        return True


def cluster_records(
    record_ids: Sequence[str],
    pairs: pd.DataFrame,
    threshold: float,
    personal_ids: dict[str, str | None] | None = None,
    cannot_link: Sequence[tuple[str, str]] = (),
    must_link: Sequence[tuple[str, str]] = (),
) -> dict[str, str]:
    """Persons from scored pairs: record id → cluster id (the smallest record id of the cluster).

    pairs: columns unique_id_l, unique_id_r, match_probability (0..1), e.g. Splink's predictions.
    Pairs at or above `threshold` are merged strongest first (`RecordGroups`), except when the merge
    would put two different well-formed 12-digit ID numbers in one person (`personal_ids`: record id
    → ID or None) or join two records an archivist said are different (`cannot_link`). `must_link`
    pairs (an archivist's accepted matches) are merged first, whatever their score, under the same
    rules. Every record of `record_ids` ends in exactly one cluster (a record without a pair is its
    own person).
    """
    apart: dict[str, set[str]] = {}
    known = set(record_ids)
    for a, b in cannot_link:
        if a in known and b in known:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    groups = RecordGroups(personal_ids, apart)
    for r in record_ids:
        groups.add(r)
    for a, b in must_link:
        if a in known and b in known:
            groups.join(a, b)
    strong = pairs[pairs["match_probability"] >= threshold].sort_values(
        ["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True]
    )
    for a, b in zip(strong["unique_id_l"], strong["unique_id_r"], strict=True):
        if a in known and b in known:
            groups.join(str(a), str(b))
    first = {root: min(g.members) for root, g in groups.group.items()}
    return {r: first[groups.find(r)] for r in record_ids}


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
