"""Validation of extracted records: rules as plain functions, each naming its legal source, and the
pandera schemas of the record tables the pipeline writes.

Dagster-free. A rule takes one record and returns a list of `Finding`s (empty when the record passes);
`validate` runs every rule and gives the record's status; `validate_many` does it for a batch and
never drops a record.

The record
----------
A record is one person named in one document, as a plain dict, with values already normalised
(`sapnhap.records.normalise`)::

    {
        "record_id": "D000001:child",            # optional; copied to validate_many's output
        "doc_type": "birth_registration",        # one of DOCUMENT_TYPES
        "role": "child",                         # one of ROLES (the person's part in the document)
        "document_date": date(2019, 3, 4),       # date the document was issued/registered, or None
        "fields": {                              # the person's fields
            "full_name": "Nguyễn Văn An",        # str ("" when blank)
            "birth_date": date(2019, 2, 1),      # datetime.date or None
            "birth_year": 1990,                  # int or None (parents of a birth extract)
            "sex": "male",                       # "male", "female" or ""
            "personal_id": "037219000257",       # str of digits as printed, "" when blank; never an int
            "ethnicity": "Kinh", "nationality": "Việt Nam", "residence": "...",
            "birth_place": "...", "hometown": "...",
        },
        "document": {                            # optional: the document's own fields
            "registration_date": date(2019, 3, 4), "registration_place": "...",
            "registration_number": "12/2019", "death_time": date(...),   # the date of death
            "received_date": date(...), "appointment_date": date(...), "receipt_number": "...",
            "position": "...", ...
        },
        "raw": {"birth_date": "31/02/2019"},     # optional: text as read, for person and document
                                                 # fields alike (their names never collide)
        "units": [("14503", "pre2025")],         # optional: units the document names, see below
    }

A date field (`DATE_FIELDS`) whose value is None while `raw` holds text for it was read but is not a
real date (`31/02/2019`): that is the error `invalid_date`. A date may also be given as an ISO
string (`"2019-02-01"`); any other string in a date field is an `invalid_date` too.

`units` lists the administrative units the document names (issuer, addresses) as the router resolved
them: `(code, vintage)` pairs, the vintage `"pre2025"`, `"post2025"` or None (then the document's
date decides: `pre2025` before 1 July 2025, `post2025` from then). It is not the routing target.

Document-level findings (a missing registration date, say) are reported on every person record of
the document: each record is validated on its own.

Findings and personal data
--------------------------
A finding's message never repeats an ID number, a name or a date of birth: it names the field, the
positions and digits at fault, or the ages and years involved. Findings can reach logs and the UI.

Severity: "error" quarantines the record (an archivist must look); "warning" lets it through with
the reason recorded.

Legal sources (read through the search tool, article numbers as those sources give them):

* Law on Marriage and Family 2014 (52/2014/QH13) Art. 8(1)(a): a man from full 20 years, a woman from
  full 18 years; "full" counted by day, month and year of birth (Joint Circular
  01/2016/TTLT-TANDTC-VKSNDTC-BTP Art. 2(1), as quoted by familylawyers.vn).
* Law on Civil Status 2014 (60/2014/QH13, in force 1 January 2016): Art. 14(1) the contents of birth
  registration (the child's name, sex, date of birth, place of birth, hometown, ethnicity,
  nationality; the parents' name, year of birth, ethnicity, nationality, residence; (c) the child's
  personal identification number); Art. 17(2) the contents of the marriage certificate (both
  parties' name, date of birth, ethnicity, nationality, residence, identity papers; the date of
  registration); Art. 4(9) an extract proves an event already registered.
* Circular 04/2020/TT-BTP Art. 34: how the death extract is filled in ("Đã chết vào lúc" from the
  death notice: hour, minute, day, month, year of death).
* Law on Identification 2023 (26/2023/QH15) Art. 46(2): an old identity card (CMND, 9 digits) is
  valid until 31 December 2024 at the latest, and papers issued with CMND data keep their validity
  (state bodies may not require them to be changed). So a 9-digit number is a warning, not an error.
* The 12-digit number's structure: `sapnhap.reference.personal_id` (Decree 137/2015/NĐ-CP Art. 13 as amended
  by Decree 37/2021/NĐ-CP; Circular 07/2016/TT-BCA, now Circular 59/2021/TT-BCA).
* Not verified here (cited as the project's templates cite them): the staff CV template 2C-BNV/2008
  (Decision 02/2008/QĐ-BNV) and the receipt form of Circular 01/2018/TT-VPCP guiding Decree
  61/2018/NĐ-CP; the search tool found no text of either, so the required fields of those two types
  are the fields their templates print, not a list quoted from the law.

Over 600 lines on purpose: every validation rule with its legal source sits here, so that an auditor
reads the whole rule book in one file; each rule is a small pure function.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

# pandera imports pyspark.pandas whenever pyspark is installed (the optional Spark linkage backend,
# `sapnhap.linkage.backends`), and pyspark.pandas warns on import that it does not support pandas 3.
# This project never uses pyspark.pandas: the warning would only repeat in every run's log.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    import pandera.pandas as pa

from sapnhap.records.normalise import parse_date
from sapnhap.records.vocabulary import (
    DOCUMENT_TYPES,
    ROLES,
    STATUSES,
)
from sapnhap.reference.personal_id import FIRST_YEAR, LAST_YEAR, check_personal_id, is_legacy_id
from sapnhap.reference.units import find_unit

Severity = Literal["error", "warning"]
Status = Literal["valid", "warning", "quarantined"]

REFORM_DATE = date(2025, 7, 1)  # two-level local government and the new unit codes
ID_ERA = date(2016, 1, 1)  # Law on Civil Status 2014 in force: the number is part of birth registration

# The sex a role implies, used when the record has no sex field (a birth extract's parents, spouses).
ROLE_SEX = {
    "mother": "female",
    "father": "male",
    "husband": "male",
    "wife": "female",
    "recognized_mother": "female",
    "recognized_father": "male",
}
# Roles whose document prints a personal identification number for them (the birth extract prints
# the child's only: Law on Civil Status 2014 Art. 14(1)(c)).
ID_ROLES = frozenset({"child", "husband", "wife", "deceased", "staff", "applicant"})

# Date fields: person-level and document-level (the names never collide).
PERSON_DATE_FIELDS = ("birth_date",)
DOCUMENT_DATE_FIELDS = (
    "registration_date",
    "death_time",
    "received_date",
    "appointment_date",
    "recruited_date",
    "declared_at",
)
DATE_FIELDS = PERSON_DATE_FIELDS + DOCUMENT_DATE_FIELDS
# Dates of past events: none may lie after today. An appointment date may (it is a promise).
PAST_DATE_FIELDS = tuple(f for f in DATE_FIELDS if f != "appointment_date")

SOURCE_ID = (
    "Decree 137/2015/NĐ-CP Art. 13 (amended by Decree 37/2021/NĐ-CP); "
    "Circular 07/2016/TT-BCA Art. 7 (now Circular 59/2021/TT-BCA)"
)
SOURCE_LEGACY_ID = (
    "Law on Identification 2023 (26/2023/QH15) Art. 46(2): identity cards (CMND) valid until "
    "31/12/2024; papers issued with CMND data keep their validity"
)
SOURCE_ID_ERA = (
    "Law on Civil Status 2014 (60/2014/QH13, in force 01/01/2016) Art. 14(1)(c); Circular 07/2016/TT-BCA"
)
SOURCE_DATES = "Law on Civil Status 2014 Art. 4(9): an extract proves an event already registered"
SOURCE_RECEIPT = "Decree 61/2018/NĐ-CP; Circular 01/2018/TT-VPCP form 01 (receipt and appointment slip)"
SOURCE_MARRIAGE_AGE = (
    "Law on Marriage and Family 2014 (52/2014/QH13) Art. 8(1)(a); "
    "Joint Circular 01/2016/TTLT-TANDTC-VKSNDTC-BTP Art. 2(1) (full years by date of birth)"
)
SOURCE_BIRTH = "Law on Civil Status 2014 (60/2014/QH13) Art. 14(1): contents of birth registration"
SOURCE_MARRIAGE = "Law on Civil Status 2014 (60/2014/QH13) Art. 17(2): contents of the marriage certificate"
SOURCE_DEATH = "Circular 04/2020/TT-BTP Art. 34: contents of the death extract (date of death)"
SOURCE_STAFF_CV = "Staff CV template 2C-BNV/2008 (Decision 02/2008/QĐ-BNV)"
SOURCE_UNITS = (
    "Law 72/2025/QH15 and Resolution 203/2025/QH15 (two-level local government from 01/07/2025); "
    "Decision 19/2025/QĐ-TTg (unit codes); gazetteer in sapnhap/reference/admin_units"
)

MARRIAGE_AGE = {"male": 20, "female": 18}


@dataclass(frozen=True)
class RequiredFields:
    """What a document type must state: `person` fields per role, `document` fields, and the source."""

    person: Mapping[str, tuple[str, ...]]
    document: tuple[str, ...]
    source: str


# Required fields per document type. A birth extract's parents are not required: the law lets the
# father's (or mother's) part stay blank when not established, so an empty parent record is normal.
REQUIRED_FIELDS: dict[str, RequiredFields] = {
    "birth_registration": RequiredFields(
        {"child": ("full_name", "birth_date", "sex")},
        ("registration_date", "registration_place"),
        SOURCE_BIRTH,
    ),
    "marriage_registration": RequiredFields(
        {"husband": ("full_name", "birth_date"), "wife": ("full_name", "birth_date")},
        ("registration_date",),
        SOURCE_MARRIAGE,
    ),
    "death_registration": RequiredFields(
        {"deceased": ("full_name",)}, ("death_time", "registration_date"), SOURCE_DEATH
    ),
    "staff_cv": RequiredFields({"staff": ("full_name", "birth_date")}, ("position",), SOURCE_STAFF_CV),
    "procedure_receipt": RequiredFields(
        {"applicant": ("full_name",)}, ("receipt_number", "received_date"), SOURCE_RECEIPT
    ),
}
# Every other type (read by the generic extractor): a person needs a name to be linked and looked up.
# Not a legal requirement: the forms of Circular 04/2024/TT-BTP all print the person's full name, but
# which other fields each prints is not encoded here.
SOURCE_GENERIC = (
    "project rule for documents read by the generic extractor (sapnhap.records.generic): every civil-status "
    "form of Circular 04/2020/TT-BTP as amended by 04/2024/TT-BTP names its person; other fields not required"
)
GENERIC_REQUIRED = RequiredFields({}, (), SOURCE_GENERIC)
GENERIC_PERSON_FIELDS: tuple[str, ...] = ("full_name",)


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a record.

    `rule` is a stable code (`under_marriage_age`, `id_year_mismatch` …); `severity` "error"
    (quarantine) or "warning"; `field` the field at fault ("" when none); `message` says what is wrong
    without any personal data (never a whole ID number, a name or a date of birth); `source` the legal
    source of the rule.
    """

    rule: str
    severity: Severity
    field: str
    message: str
    source: str


@dataclass(frozen=True)
class Outcome:
    """The result of `validate`: `status` "valid" (no finding), "warning" (warnings only) or
    "quarantined" (at least one error), and every finding, in rule order."""

    status: Status
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity "error"."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings of severity "warning"."""
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def reasons(self) -> str:
        """The distinct rule codes, in order of first finding, joined by ";" ("" when valid)."""
        return ";".join(dict.fromkeys(f.rule for f in self.findings))


# --- reading a record -----------------------------------------------------------------------------

_BAD = object()  # a date field holding something that is not a date


def _fields(record: Mapping[str, Any]) -> Mapping[str, Any]:
    return record.get("fields") or {}


def _document(record: Mapping[str, Any]) -> Mapping[str, Any]:
    return record.get("document") or {}


def _raw(record: Mapping[str, Any], name: str) -> str:
    value = (record.get("raw") or {}).get(name)
    return value.strip() if isinstance(value, str) else ""


def _value(record: Mapping[str, Any], name: str) -> Any:
    """A field's value, person-level first, then document-level."""
    fields = _fields(record)
    return fields[name] if name in fields else _document(record).get(name)


def _date_value(value: Any) -> Any:
    """A date, None (blank), or `_BAD`."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return _BAD
    return _BAD


def _date(record: Mapping[str, Any], name: str) -> date | None:
    """A date field's value as a date; None when blank or not a date (rule_dates reports that)."""
    value = _date_value(_value(record, name))
    return None if value is _BAD else value


def _birth_year(record: Mapping[str, Any]) -> int | None:
    born = _date(record, "birth_date")
    if born is not None:
        return born.year
    year = _fields(record).get("birth_year")
    if isinstance(year, bool):
        return None
    if isinstance(year, int):
        return year
    if isinstance(year, str) and year.strip().isdigit():
        return int(year.strip())
    return None


def _sex(record: Mapping[str, Any]) -> str | None:
    sex = _fields(record).get("sex")
    if sex in ("male", "female"):
        return sex
    return ROLE_SEX.get(record.get("role", ""))


def document_date(record: Mapping[str, Any]) -> date | None:
    """The date a record's document speaks from: `document_date`, else its registration date, else
    its received date (receipts), else None."""
    for value in (
        record.get("document_date"),
        _document(record).get("registration_date"),
        _document(record).get("received_date"),
    ):
        parsed = _date_value(value)
        if parsed is not None and parsed is not _BAD:
            return parsed
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def full_years(born: date, on: date) -> int:
    """Age in full years on a day (a birthday counts from that day): born 2005-05-01 is 20 on
    2025-05-01 and 19 on 2025-04-30. Born on 29 February: a year is full on 1 March in other years."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --- rules ------------------------------------------------------------------------------------------


def rule_personal_id(record: Mapping[str, Any]) -> list[Finding]:
    """The personal identification number: 12-digit structure, and agreement with sex and year of birth.

    Source: Decree 137/2015/NĐ-CP Art. 13 (amended by Decree 37/2021/NĐ-CP); Circular 07/2016/TT-BCA
    Art. 7, now Circular 59/2021/TT-BCA (structure, via `sapnhap.reference.personal_id.check_personal_id`).
    Law on Identification 2023 Art. 46(2) (old 9-digit CMND numbers). Law on Civil Status 2014 Art.
    14(1)(c), in force 1 January 2016 (the number belongs to birth registration).

    Errors: `id_not_12_digits`, `id_unknown_province` (positions 1-3), `id_century_sex_mismatch`
    (position 4 against the sex or the century of birth), `id_year_mismatch` (positions 5-6).
    Warnings: `legacy_id_number` (a 9-digit CMND number: valid papers, but not the personal number);
    `missing_personal_id` (no number on a document dated from 2016 on, for a role its document prints
    a number for; before 2016, or with the date unknown, a missing number is normal and not reported).
    """
    number = _fields(record).get("personal_id")
    if _blank(number):
        when = document_date(record)
        if record.get("role") in ID_ROLES and when is not None and when >= ID_ERA:
            return [
                Finding(
                    "missing_personal_id",
                    "warning",
                    "personal_id",
                    f"no personal identification number on a document dated {when.year} "
                    f"(printed on civil-status papers from {ID_ERA.year})",
                    SOURCE_ID_ERA,
                )
            ]
        return []
    if isinstance(number, str) and is_legacy_id(number):
        return [
            Finding(
                "legacy_id_number",
                "warning",
                "personal_id",
                "a 9-digit identity-card (CMND) number, not the 12-digit personal identification number",
                SOURCE_LEGACY_ID,
            )
        ]
    year = _birth_year(record)
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        year = None  # the century digit cannot express it; rule_dates reports impossible years
    problems = check_personal_id(number, _sex(record), year) if isinstance(number, str) else None
    if problems is None:
        return [
            Finding(
                "id_not_12_digits",
                "error",
                "personal_id",
                f"the number is a {type(number).__name__}, not text: leading zeros may be lost",
                SOURCE_ID,
            )
        ]
    return [Finding(f"id_{p.code}", "error", "personal_id", p.message, SOURCE_ID) for p in problems]


def rule_dates(record: Mapping[str, Any], today: date | None = None) -> list[Finding]:
    """Dates are real, in the past, and in order.

    Source: Law on Civil Status 2014 Art. 4(9) (an extract proves an event already registered) and
    Art. 14(1)(a) (the date of birth is registered); Circular 04/2020/TT-BTP Art. 34 (date of death);
    Decree 61/2018/NĐ-CP with Circular 01/2018/TT-VPCP form 01 (receipt: received and appointment
    dates).

    Errors: `invalid_date` (a date field read as text that is no real date: `31/02/2019`, or holding
    a non-date value; the reason code of `sapnhap.records.normalise.parse_date` is given, not the text);
    `future_date` (a past event dated after `today`, default the current date; the appointment date
    is exempt); `born_after_registration` (birth after the registration or document date);
    `died_before_birth`; `registered_before_death`. Warning: `appointment_before_received` (a
    receipt's appointment date before its received date).
    """
    today = today or date.today()
    findings: list[Finding] = []
    for name in DATE_FIELDS:
        value = _date_value(_value(record, name))
        raw = _raw(record, name)
        if value is _BAD or (value is None and raw):
            reason = parse_date(raw).error if raw else None
            findings.append(
                Finding(
                    "invalid_date",
                    "error",
                    name,
                    f"{name} is not a real date" + (f" ({reason})" if reason else ""),
                    SOURCE_DATES,
                )
            )
        elif value is not None and name in PAST_DATE_FIELDS and value > today:
            findings.append(
                Finding(
                    "future_date",
                    "error",
                    name,
                    f"{name} lies {(value - today).days} days after the validation date",
                    SOURCE_DATES,
                )
            )
    born = _date(record, "birth_date")
    registered = _date(record, "registration_date")
    issued = _date_value(record.get("document_date"))
    issued = None if issued is _BAD else issued
    for name, on in (("registration_date", registered), ("document_date", issued)):
        if on is None:
            continue
        if born is not None and born > on:
            findings.append(
                Finding(
                    "born_after_registration",
                    "error",
                    "birth_date",
                    f"birth_date is {(born - on).days} days after the {name}",
                    SOURCE_DATES,
                )
            )
            break
        year = _birth_year(record)
        if born is None and year is not None and year > on.year:
            findings.append(
                Finding(
                    "born_after_registration",
                    "error",
                    "birth_year",
                    f"birth_year is {year - on.year} years after the {name}'s year",
                    SOURCE_DATES,
                )
            )
            break
    died = _date(record, "death_time")
    if died is not None and born is not None and died < born:
        findings.append(
            Finding(
                "died_before_birth",
                "error",
                "death_time",
                f"the date of death is {(born - died).days} days before the birth_date",
                SOURCE_DEATH,
            )
        )
    if died is not None and registered is not None and record.get("doc_type") == "death_registration":
        if died > registered:
            findings.append(
                Finding(
                    "registered_before_death",
                    "error",
                    "death_time",
                    f"the date of death is {(died - registered).days} days after the registration_date",
                    SOURCE_DEATH,
                )
            )
    received = _date(record, "received_date")
    appointment = _date(record, "appointment_date")
    if received is not None and appointment is not None and appointment < received:
        findings.append(
            Finding(
                "appointment_before_received",
                "warning",
                "appointment_date",
                f"appointment_date is {(received - appointment).days} days before the received_date",
                SOURCE_RECEIPT,
            )
        )
    return findings


def rule_marriage_age(record: Mapping[str, Any]) -> list[Finding]:
    """Minimum marriage ages: a man from full 20 years, a woman from full 18 years, on the day of
    registration (the registration date, else the document date).

    Source: Law on Marriage and Family 2014 (52/2014/QH13) Art. 8(1)(a); full years counted by day,
    month and year of birth (Joint Circular 01/2016/TTLT-TANDTC-VKSNDTC-BTP Art. 2(1)).

    Error: `under_marriage_age`. Only for the spouses of a marriage registration. With the year of
    birth alone, reported only when the person cannot have been old enough whatever the birthday.
    """
    if record.get("doc_type") != "marriage_registration" or record.get("role") not in ("husband", "wife"):
        return []
    sex = _sex(record)
    on = _date(record, "registration_date") or document_date(record)
    if sex not in MARRIAGE_AGE or on is None:
        return []
    minimum = MARRIAGE_AGE[sex]
    born = _date(record, "birth_date")
    if born is not None:
        age = full_years(born, on)
        if age >= minimum:
            return []
        detail = f"{age} full years"
    else:
        year = _birth_year(record)
        if year is None or on.year - year >= minimum:
            return []  # old enough, or undecidable from the year alone
        detail = f"at most {on.year - year} full years"
    field = "birth_date" if born is not None else "birth_year"
    return [
        Finding(
            "under_marriage_age",
            "error",
            field,
            f"the {'man' if sex == 'male' else 'woman'} was {detail} old at registration; "
            f"the minimum is {minimum}",
            SOURCE_MARRIAGE_AGE,
        )
    ]


def required_fields_of(doc_type: str, role: str) -> tuple[str, ...] | None:
    """The fields a record of `role` on a `doc_type` document must state, person fields first, then
    the document's (`REQUIRED_FIELDS`; `GENERIC_PERSON_FIELDS` for a type without a template); None
    for a type outside `DOCUMENT_TYPES`. Sources: see `rule_required_fields`."""
    required = REQUIRED_FIELDS.get(doc_type)
    if required is None:
        return tuple(GENERIC_PERSON_FIELDS) if doc_type in DOCUMENT_TYPES else None
    return (*required.person.get(role, ()), *required.document)


def rule_required_fields(record: Mapping[str, Any]) -> list[Finding]:
    """The fields a document type must state (`REQUIRED_FIELDS`), for the record's role and document.

    Sources: Law on Civil Status 2014 Art. 14(1) (birth), Art. 17(2) (marriage); Circular
    04/2020/TT-BTP Art. 34 (death extract); staff CV template 2C-BNV/2008 (Decision 02/2008/QĐ-BNV);
    Decree 61/2018/NĐ-CP with Circular 01/2018/TT-VPCP form 01 (receipt). The last two are cited as
    the templates cite them, not read here.

    Error: `missing_required_field`, one per missing field. A field whose text was read but is not a
    valid date counts as present (it is `rule_dates`'s `invalid_date`). A type without a template
    (read by the generic extractor, or `unknown`) requires each person's `full_name`
    (`SOURCE_GENERIC`). A type outside `DOCUMENT_TYPES` is `unknown_doc_type`.
    """
    doc_type = record.get("doc_type")
    required = REQUIRED_FIELDS.get(doc_type) if isinstance(doc_type, str) else None
    generic = required is None and doc_type in DOCUMENT_TYPES
    if generic:
        required = GENERIC_REQUIRED
    if required is None:
        return [
            Finding(
                "unknown_doc_type",
                "error",
                "doc_type",
                f"document type {doc_type!r} has no validation rules; known: {', '.join(DOCUMENT_TYPES)}",
                "",
            )
        ]
    findings = []
    role = record.get("role", "")
    person = GENERIC_PERSON_FIELDS if generic else required.person.get(role, ())
    names = [(n, _fields(record).get(n)) for n in person]
    names += [(n, _document(record).get(n)) for n in required.document]
    for name, value in names:
        if _blank(value) and not _raw(record, name):
            findings.append(
                Finding(
                    "missing_required_field",
                    "error",
                    name,
                    f"{name} is required on a {doc_type} ({record.get('role', '')})",
                    required.source,
                )
            )
    return findings


def rule_units(record: Mapping[str, Any]) -> list[Finding]:
    """The units a document names exist in the gazetteer of its date.

    Source: Law 72/2025/QH15 and Resolution 203/2025/QH15 (two-level local government from 1 July
    2025); Decision 19/2025/QĐ-TTg (the new unit codes); the gazetteer `sapnhap.reference.units`.

    `record["units"]` holds `(code, vintage)` pairs (vintage None: `pre2025` for a document dated
    before 1 July 2025, `post2025` from then, either when the date is unknown). Error `unknown_unit`:
    the code is in neither the given vintage nor (vintage None) the vintage of the date. Warning
    `former_unit_after_reform`: a `pre2025` code on a document dated from 1 July 2025 (old papers
    keep old names, but a new document should name the new unit). Warning `new_unit_before_reform`:
    a code given as `post2025` on a document dated before 1 July 2025.
    """
    when = document_date(record)
    findings: list[Finding] = []
    for entry in record.get("units") or ():
        code, vintage = (entry, None) if isinstance(entry, str) else tuple(entry)
        shown = code if isinstance(code, str) and code.isascii() and len(code) <= 5 else "(malformed)"
        if vintage not in (None, "pre2025", "post2025"):
            findings.append(
                Finding("unknown_unit", "error", "units", f"unit {shown}: unknown vintage", SOURCE_UNITS)
            )
            continue
        if vintage is None:
            if when is None:
                found = find_unit(code, "pre2025") or find_unit(code, "post2025")
                vintage = found.vintage if found else "pre2025"
            else:
                vintage = "pre2025" if when < REFORM_DATE else "post2025"
                if when >= REFORM_DATE and find_unit(code, "post2025") is None and find_unit(code, "pre2025"):
                    vintage = "pre2025"
        if find_unit(code, vintage) is None:
            findings.append(
                Finding(
                    "unknown_unit",
                    "error",
                    "units",
                    f"unit {shown} is not a {vintage} commune or district code",
                    SOURCE_UNITS,
                )
            )
        elif vintage == "pre2025" and when is not None and when >= REFORM_DATE:
            findings.append(
                Finding(
                    "former_unit_after_reform",
                    "warning",
                    "units",
                    f"former unit {shown} named on a document dated after {REFORM_DATE.isoformat()}",
                    SOURCE_UNITS,
                )
            )
        elif vintage == "post2025" and when is not None and when < REFORM_DATE:
            findings.append(
                Finding(
                    "new_unit_before_reform",
                    "warning",
                    "units",
                    f"new unit {shown} named on a document dated before {REFORM_DATE.isoformat()}",
                    SOURCE_UNITS,
                )
            )
    return findings


RULES: tuple[Callable[[Mapping[str, Any]], list[Finding]], ...] = (
    rule_required_fields,
    rule_personal_id,
    rule_dates,
    rule_marriage_age,
    rule_units,
)


def validate(record: Mapping[str, Any], today: date | None = None) -> Outcome:
    """Run every rule on one record and return its status with all findings (not just the first).

    `today` is the date "future" is measured from (default the current date). A rule that fails
    on malformed input does not stop the others: its failure is the error finding `rule_failed`
    (naming the rule and the exception type only).
    """
    findings: list[Finding] = []
    for rule in RULES:
        try:
            findings += rule_dates(record, today) if rule is rule_dates else rule(record)
        except Exception as exc:  # noqa: BLE001 - a record must never be lost to a rule's bug
            findings.append(
                Finding("rule_failed", "error", "", f"{rule.__name__} failed: {type(exc).__name__}", "")
            )
    if any(f.severity == "error" for f in findings):
        status: Status = "quarantined"
    elif findings:
        status = "warning"
    else:
        status = "valid"
    return Outcome(status, tuple(findings))


def validate_many(records: Iterable[Mapping[str, Any]], today: date | None = None) -> pd.DataFrame:
    """Validate a batch: one row per record, in order, none dropped.

    Columns: `record_id` (the record's own, else its position as text), `status`, `n_errors`,
    `n_warnings`, `reasons` (distinct rule codes joined by ";", "" when valid).
    """
    rows = []
    for position, record in enumerate(records):
        outcome = validate(record, today)
        rows.append(
            {
                "record_id": str(record.get("record_id", position)),
                "status": outcome.status,
                "n_errors": len(outcome.errors),
                "n_warnings": len(outcome.warnings),
                "reasons": outcome.reasons,
            }
        )
    columns = ["record_id", "status", "n_errors", "n_warnings", "reasons"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"n_errors": "int64", "n_warnings": "int64"})


# --- table schemas ------------------------------------------------------------------------------------


def _all_text(series: pd.Series) -> pd.Series:
    """True where the value is a str or missing: catches ints hidden in an object column."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return pd.Series(False, index=series.index)
    return series.map(lambda v: v is None or isinstance(v, str) or (isinstance(v, float) and v != v))


def _text_column(nullable: bool = False, **kwargs: Any) -> pa.Column:
    """A str column whose values really are str (an int ID loses the province code's leading zeros).

    The check gives one verdict for the column, so a failure never lists the values (IDs, names) in
    the exception's text: schema errors end up in logs.
    """
    checks = [
        pa.Check(
            lambda series: bool(_all_text(series).all()),  # one verdict: no failing value in the error
            name="values_are_text",
            error="values must be text (str), never numbers: an ID number as int loses its leading zeros",
        ),
        *kwargs.pop("checks", []),
    ]
    # No pandera dtype: its own dtype error names "string[pyarrow]" and says nothing of why; the check
    # above accepts pandas' str dtype and object columns of str alike and rejects any number.
    return pa.Column(None, checks=checks, nullable=nullable, coerce=False, **kwargs)


def _id_columns_are_text(frame: pd.DataFrame) -> bool:
    """Every column named `personal_id` or `*_personal_id` holds text."""
    columns = [c for c in frame.columns if str(c) == "personal_id" or str(c).endswith("_personal_id")]
    return all(bool(_all_text(frame[c]).all()) for c in columns)


_ID_COLUMNS_CHECK = pa.Check(
    _id_columns_are_text,
    name="personal_id_columns_are_text",
    error="personal_id columns must be text (str), not numbers: an int loses the leading zeros (001…)",
)

SOURCE_RECORDS_SCHEMA = pa.DataFrameSchema(
    {
        "record_id": _text_column(),
        "doc_type": _text_column(checks=[pa.Check.isin(DOCUMENT_TYPES)]),
        "role": _text_column(checks=[pa.Check.isin((*ROLES, ""))]),
        "former_unit_code": _text_column(checks=[pa.Check.str_matches(r"^(?:\d{3}|\d{5})$")]),
        "file_sha256": _text_column(checks=[pa.Check.str_matches(r"^[0-9a-f]{64}$")]),
        # A field whose label was not found has no page (None); pages read are counted from 1.
        "page": pa.Column("Int64", checks=[pa.Check.ge(1)], nullable=True, coerce=True),
        "field": _text_column(checks=[pa.Check.str_length(min_value=1)]),
        "raw": _text_column(),
        "value": _text_column(nullable=True),
        "confidence": pa.Column(float, checks=[pa.Check.in_range(0.0, 100.0)], nullable=True, coerce=False),
    },
    checks=[_ID_COLUMNS_CHECK],
    unique=["record_id", "field"],
    strict=False,
    name="source_records",
    description="One row per field of a person record (or of the document) read from a page: where it "
    "came from, the text as read, the value; (record_id, field) is unique.",
)

VALIDATED_RECORDS_SCHEMA = pa.DataFrameSchema(
    {
        "record_id": _text_column(unique=True),
        "status": _text_column(checks=[pa.Check.isin(STATUSES)]),
        "reasons": _text_column(),
        "new_unit_code": _text_column(checks=[pa.Check.str_matches(r"^(?:\d{5})?$")]),
    },
    checks=[_ID_COLUMNS_CHECK],
    strict=False,
    name="validated_records",
    description="One row per record after validation; new_unit_code empty when routing needs review.",
)
