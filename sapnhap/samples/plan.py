"""Who appears in which former unit's archive, in which document, printed how: the generator's plan.

The plan is everything the generator decides before any pixel is drawn, so the records-only mode
(`records_only`) and the dossier mode share it: the people (with their true values), the documents
(type, folder, date, the people named and each field as printed) and the records (one per person
named in a document) with the former and new unit each record belongs to.

Planted duplicates: a share of documents (`duplicate_share`) name a person already named in another
former unit's archive, printed with the variations real registers have (diacritics lost or different,
a typing error, the day and month swapped, the ID number missing or one digit wrong, the other address
form). Every variation is recorded on the record and on each field it touched.

Over 600 lines: the plan of a generated batch (people, events, dossiers, their truth) in one place; it
is test-data tooling, never imported by production.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sapnhap.records.normalise import title_case_name
from sapnhap.samples import people as ppl
from sapnhap.samples.geography import Scenario
from sapnhap.samples.model import Address
from sapnhap.samples.templates import DocumentPlan, PrintedPerson

REFORM_DATE = date(2025, 7, 1)
LATEST_DATE = date(2025, 11, 28)
# ID numbers were printed on civil-status papers from 2016 (Circular 07/2016/TT-BCA put the 12-digit
# number into use); older records usually have none.
ID_ERA = date(2016, 1, 1)

DOC_TYPE_WEIGHTS = {
    "birth_registration": 0.34,
    "marriage_registration": 0.16,
    "death_registration": 0.08,
    "staff_cv": 0.14,
    "procedure_receipt": 0.28,
}
MAIN_ROLE = {
    "birth_registration": "child",
    "marriage_registration": "husband",
    "death_registration": "deceased",
    "staff_cv": "staff",
    "procedure_receipt": "applicant",
}
# Birth years of a person who may be named again in a document of each type: civil-status books of
# the communes start about 1950; a marriage, a staff CV or a receipt needs an adult of working age.
REUSE_BIRTH_YEARS = {
    "birth_registration": (1950, 2025),
    "marriage_registration": (1950, 2005),
    "death_registration": (1925, 2025),
    "staff_cv": (1962, 2003),
    "procedure_receipt": (1935, 2007),
}
# Variations planted on a repeated appearance (at least one, at most two per appearance).
NAME_VARIATIONS = ("strip_diacritics", "change_tone", "typo")
OTHER_VARIATIONS = ("date_style", "swap_day_month", "id_missing", "id_one_digit_wrong", "other_address_form")

PROCEDURES = (
    "Đăng ký khai sinh",
    "Đăng ký kết hôn",
    "Đăng ký khai tử",
    "Cấp bản sao trích lục hộ tịch",
    "Chứng thực bản sao từ bản chính",
    "Xác nhận tình trạng hôn nhân",
    "Đăng ký thường trú",
    "Cấp giấy chứng nhận quyền sử dụng đất",
    "Hỗ trợ hộ nghèo xây dựng nhà ở",
)
STATUSES = ("Đang giải quyết", "Chờ bổ sung hồ sơ", "Đã trả kết quả", "Quá hạn giải quyết")
OPEN_STATUSES = ("Đang giải quyết", "Quá hạn giải quyết")
DEATH_CAUSES = ("Bệnh già", "Bệnh tim mạch", "Tai nạn giao thông", "Ung thư", "Đột quỵ", "Bệnh phổi")
# Commune posts (Decree 33/2023/NĐ-CP) and district posts, with the civil-service rank held.
COMMUNE_POSTS = (
    "Chủ tịch Ủy ban nhân dân",
    "Phó Chủ tịch Ủy ban nhân dân",
    "Công chức Văn phòng - Thống kê",
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Tài chính - Kế toán",
    "Công chức Địa chính - Xây dựng",
    "Công chức Văn hóa - Xã hội",
    "Chỉ huy trưởng Ban Chỉ huy Quân sự",
)
DISTRICT_POSTS = (
    "Chuyên viên Phòng Tư pháp",
    "Chuyên viên Phòng Nội vụ",
    "Phó Trưởng phòng Tài nguyên và Môi trường",
    "Chuyên viên Văn phòng HĐND và UBND",
    "Trưởng phòng Văn hóa và Thông tin",
)
# Rank, code (Circular 02/2021/TT-BNV) and salary coefficients by step (Decree 204/2004/NĐ-CP, table 2).
RANKS = (
    ("Chuyên viên chính", "01.002", (4.40, 4.74, 5.08, 5.42, 5.76, 6.10, 6.44, 6.78)),
    ("Chuyên viên", "01.003", (2.34, 2.67, 3.00, 3.33, 3.66, 3.99, 4.32, 4.65, 4.98)),
    ("Cán sự", "01.004", (2.10, 2.41, 2.72, 3.03, 3.34, 3.65, 3.96, 4.27, 4.58, 4.89)),
)
QUALIFICATIONS = (
    "Đại học Luật",
    "Đại học Hành chính",
    "Đại học Kinh tế",
    "Cao đẳng Kế toán",
    "Đại học Xây dựng",
)


@dataclass(frozen=True)
class PlanConfig:
    """What to plan: how many documents, the share naming an already-seen person, and the share kept by
    the former district (the rest is spread over the former communes' archives). `seed` fixes it all."""

    documents: int = 60
    duplicate_share: float = 0.3
    district_share: float = 0.2
    seed: int = 20250701


@dataclass
class RecordTruth:
    """One person named in one document: the record an extractor should produce, and where it belongs.

    `folder` is the archive it was found in (former commune or district code, vintage pre2025);
    `former_commune_code` and `new_unit_code` come from the person's address as printed; when the
    printed address gives no village and its former commune was split, `routing_decidable` is False
    and the record should go to review with the candidates.
    """

    record_id: str
    doc_id: str
    role: str
    entity_id: str
    folder: str
    doc_type: str
    former_commune_code: str
    new_unit_code: str
    routing_decidable: bool
    variations: str


@dataclass
class Plan:
    """The whole plan: persons by entity id, documents in order, one record per person per document."""

    persons: dict[str, ppl.Person] = field(default_factory=dict)
    documents: list[DocumentPlan] = field(default_factory=list)
    records: list[RecordTruth] = field(default_factory=list)


def make_plan(scenario: Scenario, config: PlanConfig) -> Plan:
    """Plan `config.documents` documents over the scenario's archive folders.

    Deterministic: the same scenario and config give the same plan.
    """
    return Planner(scenario, config).run()


def region_of(province_code: str) -> str:
    """North, central or south, from a pre-2025 province code (GSO numbering runs north to south)."""
    number = int(province_code)
    return "north" if number <= 37 else "central" if number <= 68 else "south"


class Planner:
    """Plans documents one at a time (`document(index)`), keeping the people it made in `plan.persons`.

    `keep_documents` False (records-only mode) streams: documents and records are returned, not kept,
    so memory grows with the number of people only.
    """

    def __init__(self, scenario: Scenario, config: PlanConfig) -> None:
        self.scenario = scenario
        self.config = config
        self.rng = random.Random(f"sapnhap-plan:{config.seed}")
        first = next(iter(scenario.district_communes.values()))
        self.province_code = first.province_code
        self.sampler = ppl.PeopleSampler(self.rng, region=region_of(self.province_code))
        self.plan = Plan()
        self.keep_documents = True  # records-only mode streams documents instead of keeping them
        self.seen_in: dict[str, set[str]] = {}
        self.reusable: list[str] = []
        self.dead: set[str] = set()
        self.registration_numbers: dict[tuple[str, str, int], int] = {}
        self.receipt_numbers: dict[tuple[str, date], int] = {}
        # Receipts left open in each archive folder: a later receipt of the same number may settle one.
        self.open_receipts: dict[str, list[tuple[ppl.Person, dict[str, tuple[str, str]], date]]] = {}
        self.folders = list(scenario.merged)
        self.own_district_codes = sorted(
            code
            for code, c in scenario.district_communes.items()
            if c.district_code == scenario.district_code
        )
        self.provinces = sorted(ppl_province_codes())

    def run(self) -> Plan:
        for index in range(self.config.documents):
            self.document(index)
        return self.plan

    # -- one document ---------------------------------------------------------------------------

    def document(self, index: int) -> tuple[DocumentPlan, list[RecordTruth]]:
        rng = self.rng
        folder = (
            self.scenario.district_code
            if rng.random() < self.config.district_share
            else rng.choice(self.folders)
        )
        if index < len(self.scenario.folders):
            folder = self.scenario.folders[index]  # every archive folder gets at least one document
        # A former district ceased on 1 July 2025: its archive holds nothing dated after that.
        self.latest = (
            REFORM_DATE - timedelta(days=1) if folder == self.scenario.district_code else LATEST_DATE
        )
        doc_type = rng.choices(list(DOC_TYPE_WEIGHTS), weights=list(DOC_TYPE_WEIGHTS.values()))[0]
        reuse = self._pick_reuse(folder, doc_type) if rng.random() < self.config.duplicate_share else None
        doc_id = f"D{index + 1:06d}"
        builder = getattr(self, f"_{doc_type}")
        doc, people = builder(doc_id, folder, reuse)
        records = []
        for printed, person, address, decidable in people:
            doc.people.append(printed)
            self.seen_in.setdefault(person.entity_id, set()).add(folder)
            if len(self.seen_in[person.entity_id]) == 1 and person.entity_id not in self.dead:
                self.reusable.append(person.entity_id)
            records.append(
                RecordTruth(
                    record_id=f"{doc_id}:{printed.role}",
                    doc_id=doc_id,
                    role=printed.role,
                    entity_id=person.entity_id,
                    folder=folder,
                    doc_type=doc_type,
                    former_commune_code=address.former_commune_code,
                    new_unit_code=address.new_commune_code,
                    routing_decidable=decidable,
                    variations=";".join(printed.variations),
                )
            )
        if self.keep_documents:
            self.plan.documents.append(doc)
            self.plan.records.extend(records)
        return doc, records

    def _pick_reuse(self, folder: str, doc_type: str) -> ppl.Person | None:
        rng = self.rng
        low, high = REUSE_BIRTH_YEARS[doc_type]
        for _ in range(8):
            if not self.reusable:
                return None
            entity = rng.choice(self.reusable)
            seen = self.seen_in.get(entity, set())
            person = self.plan.persons[entity]
            if folder in seen or len(seen) >= 3 or entity in self.dead:
                continue
            adult = doc_type != "birth_registration"
            latest_birth = _add_years(self.latest, -20) if adult else self.latest - timedelta(days=3)
            if not (low <= person.birth_date.year <= high and person.birth_date <= latest_birth):
                continue
            return person
        return None

    # -- people ---------------------------------------------------------------------------------

    def _home_commune(self, folder: str) -> str:
        """Where a new person lives: for a former commune's archive mostly that commune (1 in 10 moved
        in from elsewhere in the district); for the district's archive any of the district's communes."""
        if folder == self.scenario.district_code or self.rng.random() < 0.1:
            return self.rng.choice(self.own_district_codes)
        return folder

    def _new_person(
        self, folder: str, sex: str | None, born: tuple[date, date], home: str | None = None
    ) -> ppl.Person:
        commune = self.scenario.commune(home or self._home_commune(folder))
        village = self.rng.choice(commune.villages)[0]
        address = self.scenario.address(commune.code, village)
        birth_province = self.province_code if self.rng.random() < 0.9 else self.rng.choice(self.provinces)
        entity_id = f"P{len(self.plan.persons) + 1:07d}"
        person = self.sampler.person(entity_id, sex, born, birth_province, address)
        self.plan.persons[entity_id] = person
        return person

    def _printed(
        self,
        person: ppl.Person,
        role: str,
        issued: date,
        style: str,
        repeat: bool,
        capitals: bool = False,
        with_birth_date: bool = True,
        with_residence: bool = True,
        with_id: bool = True,
        extra: tuple[str, ...] = (),
    ) -> tuple[PrintedPerson, Address, bool]:
        """Print a person as this document does; a repeated appearance gets one or two variations."""
        rng = self.rng
        variations: list[str] = []
        if repeat:
            pool = [*NAME_VARIATIONS, *OTHER_VARIATIONS]
            variations = rng.sample(pool, rng.choice((1, 1, 2)))
        canonical_name = person.full_name
        name = canonical_name
        if "strip_diacritics" in variations:
            name = ppl.strip_diacritics(name)
        if "change_tone" in variations:
            name = ppl.change_tone(name, rng)
        if "typo" in variations:
            name = ppl.typo(name, rng)
        printed_name = name.upper() if capitals else name
        # The value a register stores is the name in title case, word by word, whatever the slip:
        # a transposed `gNuyễn` is stored `Gnuyễn` (`sapnhap.records.normalise.title_case_name`).
        fields: dict[str, tuple[str, str]] = {"full_name": (printed_name, title_case_name(name))}
        canonical: dict[str, str] = {"full_name": canonical_name}
        if with_birth_date:
            born = person.birth_date
            if "swap_day_month" in variations and born.day <= 12 and born.day != born.month:
                born = ppl.swap_day_month(born)
            elif "swap_day_month" in variations:
                variations.remove("swap_day_month")
            if "date_style" in variations:
                style = rng.choice([s for s in ppl.DATE_STYLES if s != style])
            fields["birth_date"] = (ppl.format_date(born, style), born.isoformat())
            canonical["birth_date"] = person.birth_date.isoformat()
        else:
            fields["birth_year"] = (str(person.birth_date.year), str(person.birth_date.year))
            canonical["birth_year"] = str(person.birth_date.year)
            for v in ("swap_day_month", "date_style"):
                if v in variations:
                    variations.remove(v)
        if "sex" in extra:
            word = "Nam" if person.sex == "male" else "Nữ"
            fields["sex"] = (word, person.sex)
            canonical["sex"] = person.sex
        fields["ethnicity"] = (person.ethnicity, person.ethnicity)
        canonical["ethnicity"] = person.ethnicity
        if "nationality" in extra:
            fields["nationality"] = ("Việt Nam", "Việt Nam")
        if with_id:
            number = person.personal_id or ""
            if "id_missing" in variations or issued < ID_ERA:
                number = ""
            elif "id_one_digit_wrong" in variations and number:
                number = ppl.id_one_digit_wrong(number, rng)
            fields["personal_id"] = (number, number)
            canonical["personal_id"] = person.personal_id or ""
        else:
            for v in ("id_missing", "id_one_digit_wrong"):
                if v in variations:
                    variations.remove(v)
        address = person.address
        decidable = True
        if with_residence:
            new_form = issued >= REFORM_DATE
            if "other_address_form" in variations:
                new_form = not new_form
            commune = self.scenario.commune(address.former_commune_code)
            if commune.split and rng.random() < 0.15:
                # Written without the village: in the former form a split commune's record cannot be
                # routed by address (in the new form the new commune is named, which decides it).
                address = dataclasses.replace(address, village="")
                decidable = new_form or commune.population_target is not None
            text = _address_text(address, new_form)
            fields["residence"] = (text, text)
            canonical["residence"] = person.address.former_form()
        else:
            for v in ("other_address_form",):
                if v in variations:
                    variations.remove(v)
        if "birth_place" in extra:
            place = _commune_text(person.address)
            fields["birth_place"] = (f"Trạm y tế {place}", f"Trạm y tế {place}")
        if "hometown" in extra:
            place = _commune_text(person.address)
            fields["hometown"] = (place, place)
        if repeat and not variations:
            variations = ["none"]
        printed = PrintedPerson(role, person.entity_id, fields, canonical, tuple(variations))
        return printed, address, decidable

    # -- document types -------------------------------------------------------------------------

    def _issuer(self, folder: str, issued: date, home: str | None = None) -> tuple[str, str]:
        """(issuer header as printed, registration place) for a document of this folder and date.

        Civil status is registered by communes: a civil-status extract in a former district's archive
        (filed in a district dossier) was issued by the person's own former commune (`home`).
        """
        if folder == self.scenario.district_code and home is None:
            name = self.scenario.district_name
            place = f"Ủy ban nhân dân {name}, {self.scenario.province_name}"
        elif issued >= REFORM_DATE:
            name = self.scenario.new_unit_name
            place = f"Ủy ban nhân dân {name}, {self.scenario.new_province_name}"
        else:
            commune = self.scenario.commune(home if folder == self.scenario.district_code else folder)
            name = commune.name
            place = f"Ủy ban nhân dân {name}, {commune.district_name}, {commune.province_name}"
        return f"UBND {name.upper()}", place

    def _number(self, folder: str, kind: str, year: int) -> str:
        key = (folder, kind, year)
        self.registration_numbers[key] = self.registration_numbers.get(key, 0) + self.rng.randint(1, 40)
        return f"{self.registration_numbers[key]}/{year}"

    def _style(self) -> str:
        return self.rng.choices(ppl.DATE_STYLES, weights=[5, 3, 1, 1, 1][: len(ppl.DATE_STYLES)])[0]

    def _birth_registration(self, doc_id: str, folder: str, reuse: ppl.Person | None):
        rng = self.rng
        if reuse is not None:
            child = reuse
        else:
            child = self._new_person(
                folder, None, (date(1962, 1, 1), min(date(2025, 10, 1), self.latest - timedelta(days=3)))
            )
        registered = min(child.birth_date + timedelta(days=rng.randint(3, 60)), self.latest)
        parents = self._parents(child, folder)
        child = self.plan.persons[child.entity_id]
        style = self._style()
        issuer, place = self._issuer(folder, registered, child.address.former_commune_code)
        doc = DocumentPlan(doc_id, folder, "birth_registration", issuer, registered, [])
        doc.extra = {
            "registration_number": (n := self._number(folder, "KS", registered.year), n),
            "registration_place": (place, place),
            "registration_date": (ppl.format_date(registered, style), registered.isoformat()),
        }
        out = [
            (
                *self._printed(
                    child,
                    "child",
                    registered,
                    style,
                    reuse is not None,
                    capitals=True,
                    with_residence=False,
                    extra=("sex", "nationality", "birth_place", "hometown"),
                ),
            )
        ]
        # The child's record is routed by the mother's residence (where the family lives).
        for parent, role in ((parents[1], "mother"), (parents[0], "father")):
            out.append(
                (
                    *self._printed(
                        parent, role, registered, style, False, with_birth_date=False, with_id=False
                    ),
                )
            )
        child_printed, _, _ = out[0]
        _, mother_address, mother_decidable = out[1]
        out[0] = (child_printed, mother_address, mother_decidable)
        self._seal(doc)
        return doc, [(p, self.plan.persons[p.entity_id], a, d) for p, a, d in out]

    def _parents(self, child: ppl.Person, folder: str) -> tuple[ppl.Person, ppl.Person]:
        """The child's parents, made on first need. A child already named elsewhere keeps its name and
        address (the father is given the child's family name); a new child takes the father's."""
        if child.father_id and child.mother_id:
            return self.plan.persons[child.father_id], self.plan.persons[child.mother_id]
        already_named = child.entity_id in self.seen_in
        home = child.address.former_commune_code
        year = child.birth_date.year
        father = self._new_person(folder, "male", (date(year - 45, 1, 1), date(year - 21, 1, 1)), home)
        mother = self._new_person(folder, "female", (date(year - 42, 1, 1), date(year - 19, 1, 1)), home)
        if already_named:
            father = dataclasses.replace(father, family_name=child.family_name, address=child.address)
        mother = dataclasses.replace(mother, address=father.address)
        self.plan.persons[father.entity_id] = father
        self.plan.persons[mother.entity_id] = mother
        changes: dict = {"father_id": father.entity_id, "mother_id": mother.entity_id}
        if not already_named:
            changes.update(family_name=father.family_name, address=father.address)
        self.plan.persons[child.entity_id] = dataclasses.replace(child, **changes)
        return father, mother

    def _marriage_registration(self, doc_id: str, folder: str, reuse: ppl.Person | None):
        rng = self.rng
        first = reuse or self._new_person(folder, None, (date(1950, 1, 1), date(2004, 1, 1)))
        earliest = _add_years(first.birth_date, 20 if first.sex == "male" else 18)
        start = max(earliest, date(1975, 1, 1))
        married = start + timedelta(
            days=rng.randint(0, max(0, (min(self.latest, _add_years(start, 15)) - start).days))
        )
        married = min(married, self.latest)
        other_sex = "female" if first.sex == "male" else "male"
        age = rng.randint(20 if other_sex == "male" else 18, 35)
        born = _add_years(married, -age)
        spouse = self._new_person(
            folder, other_sex, (born - timedelta(days=300), born), first.address.former_commune_code
        )
        husband, wife = (first, spouse) if first.sex == "male" else (spouse, first)
        style = self._style()
        issuer, place = self._issuer(folder, married, first.address.former_commune_code)
        doc = DocumentPlan(doc_id, folder, "marriage_registration", issuer, married, [])
        doc.extra = {
            "registration_number": (n := self._number(folder, "KH", married.year), n),
            "registration_place": (place, place),
            "registration_date": (ppl.format_date(married, style), married.isoformat()),
        }
        out = []
        for person, role in ((husband, "husband"), (wife, "wife")):
            repeat = reuse is not None and person.entity_id == reuse.entity_id
            out.append((*self._printed(person, role, married, style, repeat, extra=("nationality",)),))
        self._seal(doc)
        return doc, [(p, self.plan.persons[p.entity_id], a, d) for p, a, d in out]

    def _death_registration(self, doc_id: str, folder: str, reuse: ppl.Person | None):
        rng = self.rng
        person = reuse or self._new_person(folder, None, (date(1925, 1, 1), date(1990, 1, 1)))
        start = max(_add_years(person.birth_date, 18), date(2000, 1, 1))
        died = min(start + timedelta(days=rng.randint(0, max(1, (self.latest - start).days))), self.latest)
        registered = min(died + timedelta(days=rng.randint(1, 15)), self.latest)
        self.dead.add(person.entity_id)
        style = self._style()
        issuer, place = self._issuer(folder, registered, person.address.former_commune_code)
        doc = DocumentPlan(doc_id, folder, "death_registration", issuer, registered, [])
        home = _address_text(person.address, registered >= REFORM_DATE)
        doc.extra = {
            "registration_number": (n := self._number(folder, "KT", registered.year), n),
            "death_time": (
                f"{rng.randint(0, 23):02d} giờ {rng.randint(0, 59):02d} phút, {ppl.format_date(died, style)}",
                died.isoformat(),
            ),
            "death_place": (f"Tại nhà, {home}", f"Tại nhà, {home}"),
            "death_cause": (c := rng.choice(DEATH_CAUSES), c),
            "registration_place": (place, place),
            "registration_date": (ppl.format_date(registered, style), registered.isoformat()),
        }
        printed = self._printed(
            person, "deceased", registered, style, reuse is not None, extra=("sex", "nationality")
        )
        self._seal(doc)
        return doc, [(printed[0], person, printed[1], printed[2])]

    def _staff_cv(self, doc_id: str, folder: str, reuse: ppl.Person | None):
        rng = self.rng
        person = reuse or self._new_person(folder, None, (date(1965, 1, 1), date(2001, 1, 1)))
        issued = date(
            rng.randint(min(2025, max(2012, person.birth_date.year + 22)), 2025),
            rng.randint(1, 12),
            rng.randint(1, 28),
        )
        issued = min(issued, self.latest)
        style = self._style()
        district = folder == self.scenario.district_code
        rank, code, coefficients = rng.choice(RANKS)
        step = rng.randint(1, len(coefficients))
        commune_name = (
            self.scenario.new_unit_name
            if issued >= REFORM_DATE
            else (self.scenario.commune(folder).name if not district else self.scenario.district_name)
        )
        managing = (
            f"Ủy ban nhân dân {self.scenario.new_province_name}"
            if issued >= REFORM_DATE or district
            else f"Ủy ban nhân dân {self.scenario.district_name}"
        )
        doc = DocumentPlan(doc_id, folder, "staff_cv", f"UBND {commune_name.upper()}", issued, [])
        recruited = date(
            rng.randint(person.birth_date.year + 22, max(person.birth_date.year + 22, issued.year)),
            rng.randint(1, 12),
            1,
        )
        place = commune_name.split(" ", 1)[1] if " " in commune_name else commune_name
        doc.extra = {
            "managing_unit": (managing, managing),
            "employer_unit": (f"Ủy ban nhân dân {commune_name}", f"Ủy ban nhân dân {commune_name}"),
            "position": (p := rng.choice(DISTRICT_POSTS if district else COMMUNE_POSTS), p),
            "civil_service_rank": (rank, rank),
            "rank_code": (code, code),
            "salary_step": (str(step), str(step)),
            "salary_coefficient": (
                f"{coefficients[step - 1]:.2f}".replace(".", ","),
                f"{coefficients[step - 1]:.2f}",
            ),
            "recruited_date": (ppl.format_date(recruited, style), recruited.isoformat()),
            "schooling": ("12/12", "12/12"),
            "qualification": (q := rng.choice(QUALIFICATIONS), q),
            "political_theory": (t := rng.choice(("Sơ cấp", "Trung cấp", "Cao cấp")), t),
            "declared_at": (
                f"{place}, ngày {issued.day} tháng {issued.month} năm {issued.year}",
                issued.isoformat(),
            ),
        }
        printed = self._printed(
            person,
            "staff",
            issued,
            style,
            reuse is not None,
            capitals=True,
            extra=("sex", "birth_place", "hometown"),
        )
        return doc, [(printed[0], person, printed[1], printed[2])]

    def _procedure_receipt(self, doc_id: str, folder: str, reuse: ppl.Person | None):
        """A receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả). One in three times, when this archive
        folder holds a receipt left open, it is instead that dossier's later receipt: the same number,
        applicant and dates, the status `Đã trả kết quả ngày …` naming the day the result was returned
        (before or after the cut-over), the archive's evidence that the dossier was settled."""
        rng = self.rng
        waiting = self.open_receipts.get(folder)
        if reuse is None and waiting and rng.random() < 1 / 3:
            return self._settling_receipt(doc_id, folder, waiting.pop(rng.randrange(len(waiting))))
        person = reuse or self._new_person(folder, None, (date(1950, 1, 1), date(2005, 1, 1)))
        received = date(2024, 1, 2) + timedelta(days=rng.randint(0, (self.latest - date(2024, 1, 2)).days))
        received = min(max(received, _add_years(person.birth_date, 18)), self.latest)
        appointment = received + timedelta(days=rng.choice((1, 3, 5, 7, 10, 15)))
        style = self._style()
        issuer, _ = self._issuer(folder, received)
        doc = DocumentPlan(doc_id, folder, "procedure_receipt", issuer, received, [])
        key = (folder, received)
        self.receipt_numbers[key] = self.receipt_numbers.get(key, 0) + 1
        unit = self.scenario.new_unit if received >= REFORM_DATE else folder
        number = f"000.00.{unit}.H{self.province_code}-{received:%y%m%d}-{self.receipt_numbers[key]:04d}"
        doc.extra = {
            "receipt_number": (number, number),
            "phone": (
                ph := "0" + rng.choice("389") + "".join(rng.choice("0123456789") for _ in range(8)),
                ph,
            ),
            "procedure": (pr := rng.choice(PROCEDURES), pr),
            "received_date": (
                f"{rng.randint(7, 16):02d} giờ {rng.randint(0, 59):02d} phút, {ppl.format_date(received, style)}",
                received.isoformat(),
            ),
            "appointment_date": (ppl.format_date(appointment, style), appointment.isoformat()),
            "status": (s := rng.choice(STATUSES), s),
        }
        if s in OPEN_STATUSES and appointment < self.latest:
            self.open_receipts.setdefault(folder, []).append((person, dict(doc.extra), appointment))
        return self._receipt_people(doc, person, received, style, reuse is not None)

    def _settling_receipt(
        self, doc_id: str, folder: str, opened: tuple[ppl.Person, dict[str, tuple[str, str]], date]
    ):
        rng = self.rng
        person, extra, appointment = opened
        returned = appointment + timedelta(days=rng.randint(-2, 60))
        returned = min(max(returned, date.fromisoformat(extra["received_date"][1])), self.latest)
        style = self._style()
        issuer, _ = self._issuer(folder, returned)
        doc = DocumentPlan(doc_id, folder, "procedure_receipt", issuer, returned, [])
        status = f"Đã trả kết quả ngày {returned:%d/%m/%Y}"
        doc.extra = {**extra, "status": (status, status)}
        return self._receipt_people(doc, person, returned, style, True)

    def _receipt_people(self, doc: DocumentPlan, person: ppl.Person, when: date, style: str, reused: bool):
        printed = self._printed(person, "applicant", when, style, reused, with_birth_date=False)
        # The receipt names the applicant without a birth date: drop the birth year field it does not print.
        printed[0].fields.pop("birth_year", None)
        printed[0].canonical.pop("birth_year", None)
        printed[0].fields.pop("ethnicity", None)
        printed[0].canonical.pop("ethnicity", None)
        self._seal(doc)
        return doc, [(printed[0], person, printed[1], printed[2])]

    def _seal(self, doc: DocumentPlan) -> None:
        doc.seal = self.rng.random() < 0.6
        doc.seal_text = doc.issuer.replace("UBND", "ỦY BAN NHÂN DÂN")


def ppl_province_codes() -> list[str]:
    """The 63 pre-2025 province codes (2 digits) people may have been born in."""
    from sapnhap.reference.units import units_table

    return sorted(units_table("pre2025")["province_code"].unique())


def _address_text(address: Address, new_form: bool) -> str:
    text = address.new_form() if new_form else address.former_form()
    return text.lstrip(", ")


def _commune_text(address: Address) -> str:
    return f"{address.former_commune_name}, {address.former_district_name}, {address.former_province_name}"


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)
