"""Staff lists of the generated batch: one `.xlsx` staff list (danh sách cán bộ, công chức) per former
commune, with ground truth, for the staffing picture (`sapnhap.staffing`) to be measured.

Each list holds the commune's staff on the eve of the merger (20 June 2025): the people of its staff
CVs in the batch (the same person, so record linkage must join the CV and the list's row) and new
ones: the chairman and a vice-chairman, the commune civil servants of Decree 33/2023/NĐ-CP, one or two
part-time workers (no rank), some within a few years of retirement age; now and then a title the
position table does not know (a review item in the staffing report). Rows are drawn from their own
seed, so the rest of the batch does not change with them. And an appointment decision per former
commune not split (`plan_appointments`): a later title than the list's for one of its civil servants.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sapnhap.samples import people as ppl
from sapnhap.samples.geography import Scenario
from sapnhap.samples.plan import COMMUNE_POSTS, QUALIFICATIONS, RANKS, Plan, RecordTruth
from sapnhap.samples.registers import RegisterPage, register_xlsx
from sapnhap.samples.templates import DocumentPlan, FieldTruth, PrintedPerson

LIST_DATE = date(2025, 6, 20)
"""The day the former communes' staff lists are dated: before the cut-over of 1 July 2025."""
TITLE = "DANH SÁCH CÁN BỘ, CÔNG CHỨC CẤP XÃ"
HEADERS = (
    "STT", "Họ và tên", "Ngày sinh", "Giới tính", "Chức vụ", "Ngạch", "Mã ngạch", "Hệ số lương",
    "Trình độ chuyên môn", "Ngày tuyển dụng",
)  # fmt: skip
# What each column holds: (role, field) of the ground truth; role "" for the row's own.
COLUMNS = (
    ("", "row_number"), ("staff", "full_name"), ("staff", "birth_date"), ("staff", "sex"), ("", "position"),
    ("", "civil_service_rank"), ("", "rank_code"), ("", "salary_coefficient"), ("", "qualification"),
    ("", "recruited_date"),
)  # fmt: skip
PART_TIME = "Người hoạt động không chuyên trách"
UNKNOWN_TITLE = "Thủ quỹ"  # not in the position table: the staffing report asks about it
LAYOUT = "staff_list"


@dataclass
class StaffList:
    """One former commune's staff list: its folder, file name, the truth's doc ids (one per row), the
    page as printed and the truth of its cells."""

    folder: str
    name: str
    doc_ids: list[str]
    page: RegisterPage
    fields: list[FieldTruth]


def _cv_rows(plan: Plan, folder: str) -> list[tuple[ppl.Person, dict[str, tuple[str, str]]]]:
    """The (person, CV fields) of the staff CVs planned in `folder`, in document order."""
    entity = {r.doc_id: r.entity_id for r in plan.records if r.role == "staff"}
    return [
        (plan.persons[entity[d.doc_id]], d.extra)
        for d in plan.documents
        if d.doc_type == "staff_cv" and d.folder == folder and d.doc_id in entity
    ]


def plan_staff_lists(plan: Plan, scenario: Scenario, seed: int) -> list[StaffList]:
    """A staff list per former commune folder of `scenario`, its new people added to `plan.persons` and
    one record per row to `plan.records` (routing decidable unless the commune was split)."""
    rng = random.Random(f"sapnhap-samples-staff:{seed}")
    sampler = ppl.PeopleSampler(rng)
    taken = {p.personal_id for p in plan.persons.values() if p.personal_id}
    out = []
    for folder in scenario.merged:
        commune = scenario.commune(folder)
        rows: list[tuple[ppl.Person, str, tuple[str, str, tuple[float, ...]] | None, str, date | None]] = []
        for person, extra in _cv_rows(plan, folder):
            rank = next((r for r in RANKS if r[1] == extra["rank_code"][1]), None)
            recruited = date.fromisoformat(extra["recruited_date"][1])
            rows.append((person, extra["position"][1], rank, extra["qualification"][1], recruited))
        titles = [
            "Chủ tịch Ủy ban nhân dân",
            "Phó Chủ tịch Ủy ban nhân dân",
            *rng.sample(COMMUNE_POSTS[2:], 4),
        ]
        titles += [PART_TIME] * rng.choice((1, 2)) + ([UNKNOWN_TITLE] if rng.random() < 0.4 else [])
        for title in titles:
            near = rng.random() < 0.2  # some within a few years of retirement age
            born = (date(1963, 6, 1), date(1966, 12, 31)) if near else (date(1970, 1, 1), date(2000, 12, 31))
            village = rng.choice(commune.villages)[0]
            entity_id = f"P{len(plan.persons) + 1:07d}"
            person = sampler.person(
                entity_id, None, born, commune.province_code, scenario.address(folder, village)
            )
            if person.personal_id in taken:
                continue  # never two people with one number
            taken.add(person.personal_id)
            plan.persons[entity_id] = person
            recruited = date(rng.randint(person.birth_date.year + 22, 2024), rng.randint(1, 12), 1)
            if title == PART_TIME:
                rows.append(
                    (
                        person,
                        f"{title} {rng.choice(('Văn phòng', 'Thủ quỹ - Văn thư', 'Phụ trách đài truyền thanh'))}",
                        None,
                        "",
                        recruited,
                    )
                )
            else:
                rows.append((person, title, rng.choice(RANKS), rng.choice(QUALIFICATIONS), recruited))
        out.append(_staff_list(plan, scenario, folder, rows, rng, len(out) + 1))
    return out


def _staff_list(
    plan: Plan, scenario: Scenario, folder: str, rows: list, rng: random.Random, number: int
) -> StaffList:
    commune = scenario.commune(folder)
    printed_rows, fields, doc_ids = [], [], []
    for entry, (person, title, rank, qualification, recruited) in enumerate(rows, 1):
        doc_id = f"L{number:02d}{entry:03d}"
        doc_ids.append(doc_id)
        step = rng.randint(1, len(rank[2])) if rank else 0
        coefficient = f"{rank[2][step - 1]:.2f}" if rank else ""
        values = {
            ("", "row_number"): (str(entry), str(entry)),
            ("staff", "full_name"): (person.full_name, person.full_name),
            ("staff", "birth_date"): (person.birth_date.strftime("%d/%m/%Y"), person.birth_date.isoformat()),
            ("staff", "sex"): ("Nam" if person.sex == "male" else "Nữ", person.sex),
            ("", "position"): (title, title),
            ("", "civil_service_rank"): (rank[0], rank[0]) if rank else ("", ""),
            ("", "rank_code"): (rank[1], rank[1]) if rank else ("", ""),
            ("", "salary_coefficient"): (coefficient.replace(".", ","), coefficient),
            ("", "qualification"): (qualification, qualification),
            ("", "recruited_date"): (recruited.strftime("%d/%m/%Y"), recruited.isoformat())
            if recruited
            else ("", ""),
        }
        printed_rows.append(tuple(values[c][0] for c in COLUMNS))
        for (role, name), (printed, value) in values.items():
            if printed:
                fields.append(FieldTruth(doc_id, role, name, printed, value, value, ""))
        plan.records.append(
            RecordTruth(
                record_id=f"{doc_id}:staff",
                doc_id=doc_id,
                role="staff",
                entity_id=person.entity_id,
                folder=folder,
                doc_type="staff_list",
                former_commune_code=folder,
                # A row gives no address: it is routed by the archive's former commune.
                new_unit_code=commune.targets[0],
                routing_decidable=not commune.split,
                variations="",
            )
        )
    page = RegisterPage(TITLE, HEADERS, tuple(printed_rows))
    return StaffList(folder, f"DS_CBCC_{folder}.xlsx", doc_ids, page, fields)


def staff_list_bytes(staff_list: StaffList) -> tuple[bytes, str]:
    """(the `.xlsx` file, the page's text as printed) of a staff list."""
    page = staff_list.page
    text = "\n".join(" | ".join(c for c in row if c) for row in [(page.title,), page.headers, *page.rows])
    return register_xlsx([page]), text


APPOINTMENT_TITLE = "QUYẾT ĐỊNH"
APPOINTMENT_SUBJECT = "Về việc bổ nhiệm công chức cấp xã"
APPOINTMENT_DAYS = (date(2025, 6, 23), date(2025, 6, 27))
"""Appointment decisions are dated in the last week before the cut-over, after the staff lists
(LIST_DATE): the decision, not the list, says the person's current title."""


def plan_appointments(
    plan: Plan, scenario: Scenario, lists: list[StaffList], seed: int
) -> list[DocumentPlan]:
    """One appointment decision (quyết định bổ nhiệm) per staff list of a former commune that was not
    split: the former district's chairman appoints one of the list's civil servants to another commune
    post (Decree 33/2023/NĐ-CP, Art. 11-12: the district chairman manages commune civil servants),
    effective a few days later, before the cut-over. Each decision is a `DocumentPlan` of type
    `appointment_decision` (its person `staff`: name and birth date; its own fields: `position`, the
    new post, and `declared_at`, the day it takes effect), and a record of the truth in `plan.records`.
    Drawn from their own seed: the rest of the batch does not change with them."""
    rng = random.Random(f"sapnhap-samples-appointments:{seed}")
    out: list[DocumentPlan] = []
    posts = COMMUNE_POSTS[2:]
    truth = {(f.doc_id, f.role, f.field): f.value for staff_list in lists for f in staff_list.fields}
    entity_of = {r.doc_id: r.entity_id for r in plan.records if r.doc_type == "staff_list"}
    for staff_list in lists:
        commune = scenario.commune(staff_list.folder)
        if commune.split:
            continue
        eligible = [
            d
            for d in staff_list.doc_ids
            if truth.get((d, "", "position")) in posts and truth.get((d, "", "rank_code"))
        ]
        if not eligible:
            continue
        row = rng.choice(eligible)
        person = plan.persons[entity_of[row]]
        post = rng.choice([p for p in posts if p != truth[(row, "", "position")]])
        issued = APPOINTMENT_DAYS[0] + timedelta(
            days=rng.randint(0, (APPOINTMENT_DAYS[1] - APPOINTMENT_DAYS[0]).days)
        )
        effective = issued + timedelta(days=rng.randint(0, 3))
        doc_id = f"Q{len(out) + 1:05d}"
        number = f"{rng.randint(100, 990)}/QĐ-UBND"
        birth = person.birth_date.strftime("%d/%m/%Y")
        doc = DocumentPlan(
            doc_id,
            staff_list.folder,
            "appointment_decision",
            f"UBND {commune.district_name.upper()}",
            issued,
            [
                PrintedPerson(
                    "staff",
                    person.entity_id,
                    {
                        "full_name": (person.full_name, person.full_name),
                        "birth_date": (birth, person.birth_date.isoformat()),
                    },
                    # the sex only chooses "ông" or "bà": not a printed field of the truth
                    {
                        "full_name": person.full_name,
                        "birth_date": person.birth_date.isoformat(),
                        "sex": person.sex,
                    },
                )
            ],
            extra={
                "decision_number": (number, number),
                "position": (post, post),
                "employer_unit": (f"Ủy ban nhân dân {commune.name}",) * 2,
                "declared_at": (effective.strftime("%d/%m/%Y"), effective.isoformat()),
            },
        )
        doc.seal, doc.seal_text = True, f"ỦY BAN NHÂN DÂN {commune.district_name.upper()}"
        out.append(doc)
        plan.records.append(
            RecordTruth(
                record_id=f"{doc_id}:staff",
                doc_id=doc_id,
                role="staff",
                entity_id=person.entity_id,
                folder=staff_list.folder,
                doc_type="appointment_decision",
                former_commune_code=staff_list.folder,
                new_unit_code=commune.targets[0],
                routing_decidable=True,
                variations="",
            )
        )
    return out
