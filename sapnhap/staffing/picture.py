"""The staffing picture of one new unit: who works there (the golden person records of staff across
every former unit merged into it), which catalogue position each former title maps to, headcount
against the quota, per position planned / assigned / gap, and who reaches retirement age soon.

Input rows come from `staff_records` (records of staff CVs, form 2C-BNV/2008, and of staff lists read
from spreadsheets or register tables). Staff belong to the new unit by their **employer**, the former
unit whose archive holds their papers, not by where they live (which is how a person record is
routed): a former commune merged whole gives its staff to its one new unit (`placement_of`). Staff of
a former commune split between several new units, or of a former district, are placed by the
province: they are listed as "awaiting placement" in the report of the new unit that carries the
former unit's own items (`sapnhap.reference.units.review_unit_of`), never counted in a headcount. A person found in several former units'
archives is counted once (their person id from record linkage); among their records the latest
document (declared date) gives the current title and rank. A record not yet linked counts as its own
person, said in its row. Every problem (no birth date, an unknown title, a rank code that does not
exist) is a row of `problems` and a reason in the person's row, never a silent omission: the
headcount counts every person, mapped or not.

Rules and sources: the quota `sapnhap.staffing.quota` (Official Dispatch 09/CV-BCĐ); positions and
former titles `sapnhap.staffing.positions` (Decree 150/2025/NĐ-CP, Decree 33/2023/NĐ-CP, provisional
catalogue); retirement `sapnhap.staffing.retirement` (Labour Code 2019 Art. 169, Decree 135/2020).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from sapnhap.db.models import Person, PersonMember, PersonRecord, QuarantinedRecord, RecordField
from sapnhap.linkage.clusters import RecordGroups
from sapnhap.reference.units import find_unit, level_of_code, mapping_table, review_unit_of, targets_by_former
from sapnhap.staffing.positions import (
    CATALOGUE_VERSION,
    Population,
    Position,
    TitleRule,
    load_positions,
    load_ranks,
    load_title_rules,
    map_title,
)
from sapnhap.staffing.quota import StaffingQuota, UnitType, staffing_quota
from sapnhap.staffing.retirement import retirement_date
from sapnhap.text import match_key

STAFF_TYPES = ("staff_cv", "staff_list", "appointment_decision")
"""Document types whose people are staff of the unit (a CV, a row of a staff list, the person an
appointment decision appoints)."""

STAFF_FIELDS = (
    "full_name",
    "birth_date",
    "sex",
    "personal_id",
    "position",
    "civil_service_rank",
    "rank_code",
    "salary_step",
    "salary_coefficient",
    "qualification",
    "recruited_date",
    "declared_at",
    "employer_unit",
)
RECORD_COLUMNS = (
    "record_id",
    "person_id",
    "former_unit_code",
    "doc_type",
    "file_sha256",
    "first_page",
    "entry",
    *STAFF_FIELDS,
)


def placement_of(former_code: str) -> tuple[str, ...]:
    """The new units (post2025 codes) the staff of a former unit may go to: one for a former commune
    merged whole; several for a split commune (all its targets) or a former district (every new unit
    of its communes); none for a code the mapping does not know."""
    if level_of_code(former_code) == "commune":
        return targets_by_former().get(former_code, ())
    if level_of_code(former_code) == "district":
        table = mapping_table()
        return tuple(sorted(set(table.loc[table["old_district_code"] == former_code, "new_ward_code"])))
    return ()


def _former_units_of(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(PersonRecord.former_unit_code).where(PersonRecord.doc_type.in_(STAFF_TYPES)).distinct()
            ).scalars()
        )


def employers_of(engine: Engine, new_unit_code: str) -> tuple[list[str], list[str]]:
    """(former units whose staff the unit takes: merged whole into it; former units whose staff await
    the province's placement and are listed in this unit's report), among those holding staff
    records, sorted."""
    whole, pending = [], []
    for code in _former_units_of(engine):
        targets = placement_of(code)
        if targets == (new_unit_code,):
            whole.append(code)
        elif len(targets) > 1 and review_unit_of(code) == new_unit_code:
            pending.append(code)
    return sorted(whole), sorted(pending)


def staff_records(engine: Engine, new_unit_code: str, former_units: list[str] | None = None) -> pd.DataFrame:
    """The staff records of the former units merged whole into `new_unit_code` (or of `former_units`
    when given: those awaiting placement): one row per record with RECORD_COLUMNS (values as stored:
    NFC text, ISO dates; None where not read). `person_id` is the record's person (None when not
    linked yet); the person's golden full name, birth date and sex replace the record's when linked.
    Person-scope fields win over document-scope fields of the same name."""
    units = employers_of(engine, new_unit_code)[0] if former_units is None else former_units
    with engine.connect() as conn:
        records = conn.execute(
            select(
                PersonRecord.record_id,
                PersonMember.person_id,
                PersonRecord.former_unit_code,
                PersonRecord.doc_type,
                PersonRecord.file_sha256,
                PersonRecord.first_page,
                PersonRecord.entry,
            )
            .outerjoin(PersonMember, PersonMember.record_id == PersonRecord.record_id)
            .where(PersonRecord.former_unit_code.in_(units), PersonRecord.doc_type.in_(STAFF_TYPES))
            .order_by(PersonRecord.record_id)
        ).all()
        ids = [r.record_id for r in records]
        values: dict[str, dict[str, Any]] = {i: {} for i in ids}
        for start in range(0, len(ids), 500):
            for rid, _scope, name, value in conn.execute(
                select(RecordField.record_id, RecordField.scope, RecordField.field, RecordField.value)
                .where(
                    RecordField.record_id.in_(ids[start : start + 500]), RecordField.field.in_(STAFF_FIELDS)
                )
                .order_by(RecordField.scope)  # "document" before "person": the person's field wins
            ).all():
                if value not in (None, ""):
                    values[rid][name] = value
        persons = {r.person_id for r in records if r.person_id is not None}
        golden = {
            p.person_id: p
            for p in conn.execute(
                select(Person.person_id, Person.full_name, Person.birth_date, Person.sex).where(
                    Person.person_id.in_(persons)
                )
            ).all()
        }
    rows = []
    for r in records:
        row = {
            "record_id": r.record_id,
            "person_id": r.person_id,
            "former_unit_code": r.former_unit_code,
            "doc_type": r.doc_type,
            "file_sha256": r.file_sha256,
            "first_page": r.first_page,
            "entry": r.entry,
        }
        row.update({name: values[r.record_id].get(name) for name in STAFF_FIELDS})
        person = golden.get(r.person_id)
        if person is not None:
            for name in ("full_name", "birth_date", "sex"):
                row[name] = getattr(person, name) or row[name]
        rows.append(row)
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS))


def held_staff_records(engine: Engine, new_unit_code: str) -> int:
    """How many staff records of the former units merged whole into the unit are held in quarantine
    (not in the headcount until released: the report states them, so its totals reconcile)."""
    units = [c for c in _former_units_of(engine) + _held_units(engine) if placement_of(c) == (new_unit_code,)]
    with engine.connect() as conn:
        return len(
            conn.execute(
                select(QuarantinedRecord.record_id).where(
                    QuarantinedRecord.former_unit_code.in_(sorted(set(units))),
                    QuarantinedRecord.doc_type.in_(STAFF_TYPES),
                )
            ).all()
        )


def _held_units(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(QuarantinedRecord.former_unit_code)
                .where(QuarantinedRecord.doc_type.in_(STAFF_TYPES))
                .distinct()
            ).scalars()
        )


def unit_type_of(new_unit_code: str) -> UnitType:
    """ "ward", "special_zone" or "commune" from the official list's division type (Phường, Đặc
    khu, Xã); a code not in the list counts as a commune."""
    known = find_unit(new_unit_code, "post2025")
    name = known.name if known else ""
    if name.startswith("Phường"):
        return "ward"
    if name.startswith("Đặc khu"):
        return "special_zone"
    return "commune"


@dataclass
class StaffingPicture:
    """The staffing picture of one unit on `as_of` (see the module docstring).

    `people`: one row per person (PEOPLE_COLUMNS); `positions`: one row per catalogue position plus
    a row "(no position)" for people whose title maps to none (POSITION_COLUMNS); `problems`: rows
    record_id, field, reason; `summary`: the figures (headcount, quota, retiring within 1 and 5
    years …) with `quota_rule`, `quota_source` and `catalogue_version`; `awaiting`: the staff of
    split former communes and former districts awaiting the province's placement (AWAITING_COLUMNS),
    not in the headcount."""

    unit: str
    as_of: date
    quota: StaffingQuota
    people: pd.DataFrame
    positions: pd.DataFrame
    problems: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    awaiting: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(AWAITING_COLUMNS)))


PEOPLE_COLUMNS = (
    "person",
    "person_id",
    "record_id",
    "records",
    "former_units",
    "full_name",
    "sex",
    "birth_date",
    "age",
    "retirement_date",
    "retires_within_1y",
    "retires_within_5y",
    "former_title",
    "position_code",
    "position",
    "category",
    "civil_service_rank",
    "rank_code",
    "salary_coefficient",
    "qualification",
    "recruited_date",
    "problems",
)
POSITION_COLUMNS = ("position_code", "position", "group", "office", "planned", "assigned", "gap", "status")
NO_POSITION = "(no position)"


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def same_staff(records: pd.DataFrame) -> dict[str, str]:
    """Person key (`_key`: `p<person id>`, or `r:<record id>` when not linked) → the key the person is
    counted under. Linkage joins records within one new unit, but staff are counted by employer: a CV
    routed by its holder's residence to another new unit than the staff list row of the same person
    makes two persons. Among the staff of one employer's former units, keys whose records give the
    same full name (`match_key`: case and marks folded, spaces aside) and the same birth date are one
    person, unless
    their ID numbers differ (`RecordGroups`: one number per citizen, Decree 137/2015/NĐ-CP Art. 13).
    Columns read: `_key`, `full_name`, `birth_date`, `personal_id`."""
    keys = list(dict.fromkeys(records["_key"]))
    numbers: dict[str, object] = {}
    for key, number in zip(records["_key"], records["personal_id"], strict=True):
        if number:
            numbers.setdefault(key, number)
    groups = RecordGroups(personal_ids=numbers)
    for key in keys:
        groups.add(key)
    same: dict[tuple[str, str], list[str]] = {}
    for key, name, born in zip(records["_key"], records["full_name"], records["birth_date"], strict=True):
        if name and born:
            # Spaces aside: OCR splits a syllable now and then (`Hươ Ng` for `Hương`).
            same.setdefault(("".join(match_key(str(name)).split()), str(born)[:10]), []).append(key)
    for group in same.values():
        for other in group[1:]:
            groups.join(group[0], other)
    root = {key: groups.find(key) for key in keys}
    # The smallest key of each group names it (stable whatever the order records come in).
    name = {}
    for key in sorted(keys):
        name.setdefault(root[key], key)
    return {key: name[root[key]] for key in keys}


def staffing_picture(
    records: pd.DataFrame,
    unit: str,
    as_of: date,
    population: Population | None,
    *,
    positions: tuple[Position, ...] | None = None,
    rules: tuple[TitleRule, ...] | None = None,
    ranks: dict[str, str] | None = None,
    held: int = 0,
    awaiting: pd.DataFrame | None = None,
) -> StaffingPicture:
    """The picture of `unit` on `as_of` from its staff `records` (RECORD_COLUMNS, `staff_records`),
    its `population` (None: not known, the quota is unknown) and the reference tables (default the
    shipped ones). `held` staff records in quarantine are stated in the summary, not counted; so are
    the records `awaiting` the province's placement (RECORD_COLUMNS; persons counted once), listed in
    the picture's `awaiting` table.

    Raises:
        KeyError: `records` lacks a RECORD_COLUMNS column.
    """
    positions = positions if positions is not None else load_positions()
    rules = rules if rules is not None else load_title_rules()
    ranks = ranks if ranks is not None else load_ranks()
    unit_type = unit_type_of(unit)
    quota = staffing_quota(
        population.population if population else None, unit_type, population.mountain if population else None
    )
    by_code = {p.code: p for p in positions}
    people, problems = [], []
    records = records.astype(object).where(records.notna(), None)  # NaN read from a frame: None
    records = records.assign(
        _key=[
            f"p{int(pid)}" if pid is not None else f"r:{rid}"
            for pid, rid in zip(records["person_id"], records["record_id"], strict=True)
        ],
        _declared=[str(d or "") for d in records["declared_at"]],
    )
    records["_key"] = records["_key"].map(same_staff(records))
    for key, group in records.sort_values(["_declared", "record_id"]).groupby("_key", sort=True):
        # The latest document that states a field gives it: an appointment decision names the post
        # and its effective day, not the rank or the birth date the staff list gave.
        current = group.iloc[-1].copy()
        for name in STAFF_FIELDS:
            known = [v for v in group[name] if v not in (None, "")]
            if known:
                current[name] = known[-1]
        row: dict[str, Any] = {name: current[name] for name in STAFF_FIELDS if name in PEOPLE_COLUMNS}
        reasons: list[tuple[str, str]] = []
        row.update(
            person=key,
            person_id=None if current["person_id"] is None else int(current["person_id"]),
            record_id=current["record_id"],
            records=len(group),
            former_units=", ".join(sorted(set(group["former_unit_code"]))),
            former_title=current["position"],
        )
        if row["person_id"] is None:
            reasons.append(("", "not linked yet: counted as its own person"))
        match = map_title(current["position"], rules, positions)
        row["position_code"] = match.position_code
        row["position"] = by_code[match.position_code].title if match.position_code else NO_POSITION
        row["category"] = match.category or ("công chức" if current["rank_code"] in ranks else "unknown")
        if match.position_code is None:
            reasons.append(("position", match.rule))
        code = current["rank_code"]
        if code and code not in ranks:
            reasons.append(("rank_code", f"rank code {code} is not a rank of the rank table"))
        born = _date(current["birth_date"])
        sex = current["sex"] if current["sex"] in ("male", "female") else None
        row["age"] = (
            as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day)) if born else None
        )
        retire = retirement_date(born, sex) if born and sex else None
        row["retirement_date"] = retire.isoformat() if retire else None
        row["retires_within_1y"] = bool(retire and as_of <= retire <= _add_years(as_of, 1))
        row["retires_within_5y"] = bool(retire and as_of <= retire <= _add_years(as_of, 5))
        if born is None:
            reasons.append(("birth_date", "no birth date read: age and retirement date unknown"))
        elif sex is None:
            reasons.append(("sex", "no sex read: the retirement age (Labour Code 2019 Art. 169) is unknown"))
        elif retire < as_of:
            reasons.append(
                ("birth_date", f"past retirement age since {retire.isoformat()}: check the birth date")
            )
        row["problems"] = "; ".join(reason for _, reason in reasons)
        problems += [{"record_id": current["record_id"], "field": f, "reason": r} for f, r in reasons if f]
        people.append(row)
    people_df = pd.DataFrame(people, columns=list(PEOPLE_COLUMNS))
    assigned = people_df["position_code"].value_counts().to_dict() if len(people_df) else {}
    table = []
    for p in positions:
        planned = p.planned(unit_type)
        have = int(assigned.get(p.code, 0))
        gap = None if planned is None else have - planned
        status = (
            "not set"
            if planned is None
            else "surplus"
            if have > planned
            else "shortage"
            if have < planned
            else "filled"
        )
        table.append([p.code, p.title, p.group, p.office, planned, have, gap, status])
    unmapped = int(people_df["position_code"].isna().sum()) if len(people_df) else 0
    if unmapped:
        table.append(["", NO_POSITION, "", "", None, unmapped, None, "review"])
    headcount = len(people_df)
    awaiting_people = _awaiting(awaiting)
    summary = {
        "new_unit": unit,
        "unit_type": unit_type,
        "as_of": as_of.isoformat(),
        "staff_records": len(records),
        "staff_records_held_in_quarantine": held,
        "headcount": headcount,
        "quota": quota.positions,
        "quota_rule": quota.rule,
        "quota_source": quota.source,
        "population_source": population.source
        if population
        else "no population figure in the reference table",
        "over_quota": None if quota.positions is None else headcount - quota.positions,
        "people_without_position": unmapped,
        "staff_awaiting_placement": int(awaiting_people["person"].nunique()) if len(awaiting_people) else 0,
        "former_units_awaiting_placement": ", ".join(sorted(set(awaiting_people["former_unit_code"])))
        if len(awaiting_people)
        else "",
        "retiring_within_1y": int(people_df["retires_within_1y"].sum()) if headcount else 0,
        "retiring_within_5y": int(people_df["retires_within_5y"].sum()) if headcount else 0,
        "problems": len(problems),
        "catalogue_version": CATALOGUE_VERSION,
    }
    return StaffingPicture(
        unit,
        as_of,
        quota,
        people_df,
        pd.DataFrame(table, columns=list(POSITION_COLUMNS)),
        pd.DataFrame(problems, columns=["record_id", "field", "reason"]),
        summary,
        awaiting_people,
    )


AWAITING_COLUMNS = ("person", "former_unit_code", "full_name", "birth_date", "former_title", "candidates")


def _awaiting(records: pd.DataFrame | None) -> pd.DataFrame:
    """One row per person awaiting placement (AWAITING_COLUMNS): their former unit, name, birth date,
    former title and the new units they may go to."""
    if records is None or records.empty:
        return pd.DataFrame(columns=list(AWAITING_COLUMNS))
    records = records.astype(object).where(records.notna(), None)
    records = records.assign(
        _key=[
            f"p{int(pid)}" if pid is not None else f"r:{rid}"
            for pid, rid in zip(records["person_id"], records["record_id"], strict=True)
        ]
    )
    counted_as = same_staff(records)  # one person once, even when linkage left two
    rows = {}
    for own, r in zip(records["_key"], records.itertuples(), strict=True):
        key = counted_as[own]
        rows[key] = {
            "person": key,
            "former_unit_code": r.former_unit_code,
            "full_name": r.full_name,
            "birth_date": r.birth_date,
            "former_title": r.position,
            "candidates": ", ".join(placement_of(r.former_unit_code)),
        }
    return pd.DataFrame(list(rows.values()), columns=list(AWAITING_COLUMNS))


def province_balance(pictures: dict[str, StaffingPicture]) -> pd.DataFrame:
    """Across the units of `pictures` (one province's), "surplus here, shortage there": one row per
    position with a planned number where some unit has a surplus and another a shortage: columns
    position_code, position, surplus_units (`code +n` joined), shortage_units (`code -n`)."""
    rows = []
    by_position: dict[str, dict[str, list[str]]] = {}
    titles: dict[str, str] = {}
    for unit, picture in sorted(pictures.items()):
        for p in picture.positions.itertuples():
            if p.gap is None or pd.isna(p.gap) or p.gap == 0 or not p.position_code:
                continue
            titles[p.position_code] = p.position
            side = "surplus" if p.gap > 0 else "shortage"
            by_position.setdefault(p.position_code, {"surplus": [], "shortage": []})[side].append(
                f"{unit} {int(p.gap):+d}"
            )
    for code, sides in sorted(by_position.items()):
        if sides["surplus"] and sides["shortage"]:
            rows.append([code, titles[code], ", ".join(sides["surplus"]), ", ".join(sides["shortage"])])
    return pd.DataFrame(rows, columns=["position_code", "position", "surplus_units", "shortage_units"])


def summary_json(picture: StaffingPicture) -> str:
    """The summary as JSON (for `make evaluate` and the demo), no personal data."""
    return json.dumps(picture.summary, ensure_ascii=False, sort_keys=True)
