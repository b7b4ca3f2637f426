"""Records of a former unit: fields extracted from its documents, then validated and routed.

Dagster-free glue between the stages' own modules, used by the `source_records` and
`validated_records` assets:

- `extract_source_records(ocr_pages, documents, former_unit)`: every field of every document, one row
  per field, with its raw text, normalised value, confidence, provenance (file hash, page, box, OCR
  method and engine version) and the extractor that read it: the type's template
  (`sapnhap.records.extract`) or, for every other type and layout, the generic label vocabulary
  (`sapnhap.records.generic`).
- `validate_records(source_records, router)`: one row per person named in a document, with its status
  (valid, warning, quarantined with every reason — `sapnhap.records.rules`; `reasons` the rule codes,
  `findings` every finding as JSON: rule, severity, field, message, legal source) and its route to the new unit
  (`sapnhap.records.routing`: from the person's residence; a child in a birth extract by the mother's, else
  the father's; a person of a register row without an address by the row's one address; without any
  address by the archive's own commune). No record is ever dropped:
  extracted = valid + warning + quarantined.
- `documents_without_records(documents, source_records)`: every document that yielded no person
  record, with why (type unknown, type without a template, no person label found by either reader).

Tables are pandas DataFrames whose codes and ID numbers are strings.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from sapnhap.documents.titles import EMPTY_SHEET_RULE, UNKNOWN
from sapnhap.ocr import OcrSettings, PageTask
from sapnhap.ocr.page import PageResult, Word
from sapnhap.records.appointments import DOC_TYPE as APPOINTMENT
from sapnhap.records.appointments import read_appointment
from sapnhap.records.extract import extract_document
from sapnhap.records.generic import extract_generic
from sapnhap.records.registers import has_register_table, read_register
from sapnhap.records.reread import PageImageCropReader
from sapnhap.records.routing import Route, Router
from sapnhap.records.rules import DATE_FIELDS, SOURCE_RECORDS_SCHEMA, VALIDATED_RECORDS_SCHEMA, validate
from sapnhap.records.templates import TEMPLATES
from sapnhap.records.values import ExtractedField
from sapnhap.review.masking import mask_date, mask_name

SOURCE_COLUMNS = [
    "record_id", "former_unit_code", "file_sha256", "first_page", "doc_type", "role", "field", "raw",
    "value", "confidence", "page", "left", "top", "width", "height", "box_unit", "method", "engine",
    "engine_version", "repaired", "note", "status", "extractor", "entry",
]  # fmt: skip
VALIDATED_COLUMNS = [
    "record_id", "former_unit_code", "file_sha256", "first_page", "doc_type", "role", "status",
    "n_errors", "n_warnings", "reasons", "route_status", "former_commune_code", "new_unit_code",
    "candidates", "route_evidence", "findings", "extractor", "entry",
]  # fmt: skip
CropReaderFactory = Callable[[str, list[PageResult]], Callable | None]


def page_results(ocr_pages: pd.DataFrame) -> dict[tuple[str, int], PageResult]:
    """The `ocr_pages` table (one row per page, `words` as a list of dicts) back as PageResults,
    keyed by (file SHA-256, page number)."""
    out: dict[tuple[str, int], PageResult] = {}
    for row in ocr_pages.to_dict("records"):
        words = [
            Word(
                text=str(w["text"]),
                confidence=None
                if w.get("confidence") is None or pd.isna(w.get("confidence"))
                else float(w["confidence"]),
                left=float(w["left"]),
                top=float(w["top"]),
                width=float(w["width"]),
                height=float(w["height"]),
                block=int(w.get("block") or 0),
                line=int(w.get("line") or 0),
            )
            for w in (row.get("words") if row.get("words") is not None else [])
        ]
        out[(row["file_sha256"], int(row["page_number"]))] = PageResult(
            file_sha256=row["file_sha256"],
            page_number=int(row["page_number"]),
            method=row["method"],
            reason=row.get("reason") or "",
            text=row.get("text") or "",
            mean_confidence=None if pd.isna(row.get("mean_confidence")) else row.get("mean_confidence"),
            engine=row.get("engine") or "",
            engine_version=row.get("engine_version") or "",
            width=row.get("width"),
            height=row.get("height"),
            box_unit=row.get("box_unit") or "px",
            languages=row.get("languages") or "",
            dpi=None if pd.isna(row.get("dpi")) else int(row["dpi"]),
            image_sha256=row.get("image_sha256"),
            rotation=0 if pd.isna(row.get("rotation")) else int(row["rotation"]),
            rotation_method=row.get("rotation_method") or "",
            skew_degrees=0.0 if pd.isna(row.get("skew_degrees")) else float(row["skew_degrees"]),
            words=words,
        )
    return out


def extract_source_records(
    ocr_pages: pd.DataFrame,
    documents: pd.DataFrame,
    former_unit: str,
    crop_readers: CropReaderFactory | None = None,
) -> pd.DataFrame:
    """One row per field of every document of a type with a template (columns SOURCE_COLUMNS).

    `record_id` is `<former unit>:<file SHA-256 first 16>:<first page>:<role>` (role `document` for
    the document's own fields). `crop_readers(file_sha256, pages)` may give a crop reader for a
    document's pages (re-reading small or doubtful fields); None reads no crops. The table is checked
    against `sapnhap.records.rules.SOURCE_RECORDS_SCHEMA` (pandera.errors.SchemaError if this code broke it).
    """
    pages = page_results(ocr_pages)
    rows: list[dict] = []
    for doc in documents.to_dict("records"):
        sha, first, last = doc["file_sha256"], int(doc["first_page"]), int(doc["last_page"])
        doc_pages = [pages[(sha, n)] for n in range(first, last + 1) if (sha, n) in pages]
        if not doc_pages:
            continue
        reader = crop_readers(sha, doc_pages) if crop_readers else None
        doc_type = str(doc["doc_type"])
        extracted_fields, extractor = read_document(doc_pages, doc_type, reader)
        for extracted in extracted_fields:
            row = extracted.as_row()
            row.update(
                record_id=record_id(former_unit, sha, first, extracted.role, extracted.entry),
                former_unit_code=former_unit,
                file_sha256=sha,
                first_page=first,
                doc_type=doc_type,
                extractor=extractor,
            )
            rows.append(row)
    # The table's contract (text codes and ID numbers, pages from 1, one row per record and field).
    table = pd.DataFrame(rows, columns=SOURCE_COLUMNS)
    numbers = ["confidence", "left", "top", "width", "height"]
    table[numbers] = table[numbers].astype(float)  # a text layer has no confidences: NaN, not None objects
    return SOURCE_RECORDS_SCHEMA.validate(table)


def record_id(former_unit: str, file_sha256: str, first_page: int, role: str, entry: int = 0) -> str:
    """A record's id: `<former unit>:<file SHA-256 first 16>:<first page>:<role>` (role `document` for
    the document's own fields); for row n of a register table (entry n > 0) the page part is
    `<first page>.<n>`: `14488:0a1b…:3.12:child`."""
    where = f"{first_page}.{entry}" if entry else str(first_page)
    return f"{former_unit}:{file_sha256[:16]}:{where}:{role or 'document'}"


def read_document(
    pages: list[PageResult], doc_type: str, crop_reader: Callable | None = None
) -> tuple[list[ExtractedField], str]:
    """The fields of one document and the extractor that read them (`EXTRACTORS`).

    A document whose pages hold a register table (`sapnhap.records.registers.has_register_table`) is
    read row by row (`read_register`; extractor `spreadsheet` for a born-digital register's pages,
    whose boxes are cells, else `register_table`), each row's fields with its entry number. A type with a dedicated template is read by it (`sapnhap.records.extract.extract_document`; an
    appointment decision by its sentence, `sapnhap.records.appointments.read_appointment`);
    when the template finds no person's name (another layout or wording under a known title), the
    generic reader (`sapnhap.records.generic.extract_generic`) is tried and kept if it finds a
    person. Every other type, `unknown` included, is read by the generic reader. ([], "generic")
    when nothing was found.
    """
    if has_register_table(pages):
        reading = read_register(pages, doc_type, crop_reader=crop_reader)
        if reading.entries:
            born_digital = all(p.box_unit in ("cell", "char") for p in pages)  # sapnhap.ocr.sheets
            extractor = "spreadsheet" if born_digital else "register_table"
            return [f for fields in reading.entries.values() for f in fields], extractor
    if doc_type == APPOINTMENT:
        fields = read_appointment(pages, crop_reader=crop_reader)
        if _has_person_name(fields):
            return fields, "template"
        return extract_generic(pages, doc_type, crop_reader=crop_reader), "generic"
    if doc_type in TEMPLATES:
        fields = extract_document(pages, doc_type, crop_reader=crop_reader)
        if _has_person_name(fields):
            return fields, "template"
        generic = extract_generic(pages, doc_type, crop_reader=crop_reader)
        if any(f.role for f in generic):
            return generic, "generic"
        return fields, "template"
    return extract_generic(pages, doc_type, crop_reader=crop_reader), "generic"


def _has_person_name(fields: list[ExtractedField]) -> bool:
    return any(f.role and f.field == "full_name" and f.status == "found" and f.value for f in fields)


WITHOUT_RECORDS_COLUMNS = ["file_sha256", "file", "first_page", "last_page", "doc_type", "title", "why"]
WHY_UNKNOWN = "type unknown (no title matched) and no person label found"
WHY_NO_PERSON = "template and generic reader found no person field"
WHY_GENERIC = "no person label found (type {doc_type} read by the generic reader)"
WHY_EMPTY = "an empty sheet or table of a born-digital register (no cell holds a value)"


def documents_without_records(
    documents: pd.DataFrame, source: pd.DataFrame, dossier_files: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The documents of a former unit that yielded no person record, each with why.

    A document yields a person record when `source` has at least one row of it (same `file_sha256`
    and `first_page`) for a person (`role` not "") with status `found`. Every other document is
    listed, whatever its type, so that no document leaves the pipeline unnoticed.

    Args:
        documents: the `documents` table, one row per document (columns `file_sha256`, `first_page`,
            `last_page`, `doc_type`, `type_rule`, `title`; `title` None when no title matched).
        source: the `source_records` table (columns SOURCE_COLUMNS; only `file_sha256`,
            `first_page`, `role` and `status` are read).
        dossier_files: optional `dossier_files` table (columns `sha256`, `original_path`) naming
            the files; without it, or for a file it lacks, `file` is the hash's first 16 characters.

    Returns:
        One row per document without a person record, in (file, first page) order, columns
        WITHOUT_RECORDS_COLUMNS: `file_sha256`, `file` (original path or short hash), `first_page`,
        `last_page` (ints), `doc_type`, `title` (the title line, "" when none) and `why`, one of
        WHY_EMPTY (an empty sheet or table: `type_rule` EMPTY_SHEET_RULE), WHY_UNKNOWN (no title matched, and the generic reader found no person label), WHY_GENERIC
        (a type of the title catalogue without a template, and the generic reader found no person
        label) and WHY_NO_PERSON (a type with a template: neither its labels nor the generic reader
        found a person's field, or its pages are missing). No field value (no personal data) is included.
    """
    found = source[(source["role"] != "") & (source["status"] == "found")] if not source.empty else source
    yielded = {
        (str(sha), int(page)) for sha, page in zip(found["file_sha256"], found["first_page"], strict=True)
    }
    paths: dict[str, str] = {}
    if dossier_files is not None and not dossier_files.empty:
        unique = dossier_files.drop_duplicates("sha256")
        paths = {str(k): str(v) for k, v in zip(unique["sha256"], unique["original_path"], strict=True)}
    rows: list[dict] = []
    for doc in documents.to_dict("records"):
        sha, first = str(doc["file_sha256"]), int(doc["first_page"])
        if (sha, first) in yielded:
            continue
        doc_type = str(doc["doc_type"])
        if doc.get("type_rule") == EMPTY_SHEET_RULE:
            why = WHY_EMPTY
        elif doc_type == UNKNOWN:
            why = WHY_UNKNOWN
        elif doc_type not in TEMPLATES:
            why = WHY_GENERIC.format(doc_type=doc_type)
        else:
            why = WHY_NO_PERSON
        title = doc.get("title")
        rows.append(
            {
                "file_sha256": sha,
                "file": paths.get(sha, sha[:16]),
                "first_page": first,
                "last_page": int(doc.get("last_page", first)),
                "doc_type": doc_type,
                "title": "" if title is None or pd.isna(title) else str(title),
                "why": why,
            }
        )
    table = pd.DataFrame(rows, columns=WITHOUT_RECORDS_COLUMNS)
    return table.sort_values(["file_sha256", "first_page"], kind="stable").reset_index(drop=True)


def document_balance(documents: pd.DataFrame, validated: pd.DataFrame) -> dict[str, int]:
    """How a former unit's documents end: {"documents", "with_records", "only_quarantined",
    "without_records"}, where documents = with_records (at least one person record loaded, valid or
    with warnings) + only_quarantined (every person record of it quarantined) + without_records
    (no person record: `documents_without_records` lists them).

    documents: the `documents` table (file_sha256, first_page); validated: `validated_records`
    (file_sha256, first_page, status). A validated record of a document not in `documents` is not
    counted (the reconciliation reports the difference).
    """
    keys = {(str(s), int(p)) for s, p in zip(documents["file_sha256"], documents["first_page"], strict=True)}
    loaded: set[tuple[str, int]] = set()
    held: set[tuple[str, int]] = set()
    if not validated.empty:
        for sha, page, status in zip(
            validated["file_sha256"], validated["first_page"], validated["status"], strict=True
        ):
            (held if status == "quarantined" else loaded).add((str(sha), int(page)))
    with_records = len(keys & loaded)
    only_quarantined = len((keys & held) - loaded)
    return {
        "documents": len(keys),
        "with_records": with_records,
        "only_quarantined": only_quarantined,
        "without_records": len(keys) - with_records - only_quarantined,
    }


def validate_records(source: pd.DataFrame, router: Router, today: date | None = None) -> pd.DataFrame:
    """One row per person record (columns VALIDATED_COLUMNS): status and reasons from
    `sapnhap.records.rules.validate`, route to the new unit from `Router.route`."""
    rows: list[dict] = []
    if source.empty:
        return VALIDATED_RECORDS_SCHEMA.validate(pd.DataFrame(rows, columns=VALIDATED_COLUMNS))
    if "entry" not in source:
        source = source.assign(entry=0)
    for (sha, first, entry), doc in source.groupby(["file_sha256", "first_page", "entry"], sort=True):
        entry = int(entry)
        unit = str(doc["former_unit_code"].iloc[0])
        doc_type = str(doc["doc_type"].iloc[0])
        extractor = str(doc["extractor"].iloc[0]) if "extractor" in doc else "template"
        found = doc[doc["status"] == "found"]
        document = {r.field: _typed(r.field, r.value) for r in found[found["role"] == ""].itertuples()}
        document_raw = {r.field: r.raw for r in found[found["role"] == ""].itertuples()}
        people = {role: group for role, group in found[found["role"] != ""].groupby("role")}
        residences = {role: _residence(g) for role, g in people.items()}
        for role in sorted(set(doc["role"]) - {""}):
            group = people.get(role, found.iloc[0:0])
            fields = {r.field: _typed(r.field, r.value) for r in group.itertuples()}
            address = residences.get(role) or (
                residences.get("mother") or residences.get("father") if role == "child" else ""
            )
            if not address and entry:
                # A register row prints one address (the registered person's household): its
                # parents or spouse without their own are routed by it.
                address = next((a for a in residences.values() if a), "")
            route = router.route(address or "", archive_unit=unit)
            record = {
                "record_id": record_id(unit, sha, int(first), role, entry),
                "doc_type": doc_type,
                "role": role,
                "fields": fields,
                "document": document,
                "raw": {**document_raw, **{r.field: r.raw for r in group.itertuples()}},
                "units": _named_units(route),
            }
            outcome = validate(record, today=today)
            rows.append(
                {
                    "record_id": record["record_id"],
                    "former_unit_code": unit,
                    "file_sha256": sha,
                    "first_page": int(first),
                    "doc_type": doc_type,
                    "role": role,
                    "status": outcome.status,
                    "n_errors": len(outcome.errors),
                    "n_warnings": len(outcome.warnings),
                    "reasons": outcome.reasons,
                    "route_status": route.status,
                    "former_commune_code": route.former_unit_code or "",
                    "new_unit_code": route.new_unit_code or "",
                    "candidates": json.dumps(list(route.candidates)),
                    "route_evidence": route.evidence,
                    # Every finding with its field, message (never personal data) and legal source.
                    "findings": json.dumps(
                        [dataclasses.asdict(f) for f in outcome.findings], ensure_ascii=False
                    ),
                    "extractor": extractor,
                    "entry": entry,
                }
            )
    return VALIDATED_RECORDS_SCHEMA.validate(pd.DataFrame(rows, columns=VALIDATED_COLUMNS))


def _typed(field: str, value: object) -> object:
    """Dates as ISO strings stay strings for the rules (they parse them); blanks become None/""."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if field in DATE_FIELDS:
        return text or None
    if field == "birth_year":
        return int(text) if text.isdigit() else None
    return text


def _residence(group: pd.DataFrame) -> str:
    """A person's address for routing: where they live, else their permanent, else temporary residence."""
    for field in ("residence", "permanent_residence", "temporary_residence"):
        if value := _first(group, field):
            return value
    return ""


def _first(group: pd.DataFrame, field: str) -> str:
    values = group.loc[group["field"] == field, "value"]
    return str(values.iloc[0]) if len(values) and isinstance(values.iloc[0], str) else ""


def _named_units(route: Route) -> list[tuple[str, str]]:
    """The unit the address itself names, with its vintage (a new commune named in the new form, or the
    former commune named in the former form); none when it came from the archive."""
    evidence = getattr(route, "evidence", "")
    if evidence.startswith("new commune named") and route.new_unit_code:
        return [(route.new_unit_code, "post2025")]
    if evidence.startswith("former commune named") and route.former_unit_code:
        return [(route.former_unit_code, "pre2025")]
    return []


class CropReaders:
    """A crop-reader factory for `extract_source_records` over a unit's archived files, counting the
    crops its readers read (`crops_read_again`) and how many of them the crop cache served
    (`crops_from_cache`).

    files: the `dossier_files` table (sha256, kind, archive_path); OCR'd pages are read again from
    the archived original, rebuilt exactly as they were OCR'd (same settings, rotation and deskew);
    text-layer pages are never re-read. cache_dir: the OCR cache folder, whose `crops` folder caches
    the readings (`sapnhap.records.reread.CropCache`); None reads every crop with Tesseract.
    """

    def __init__(self, files: pd.DataFrame, settings: OcrSettings, cache_dir: Path | None = None) -> None:
        self.archived = files[files["archive_path"].notna()].drop_duplicates("sha256").set_index("sha256")
        self.settings = settings
        self.cache_dir = cache_dir
        self.readers: list[PageImageCropReader] = []

    def __call__(self, sha: str, pages: list[PageResult]) -> Callable | None:
        """The crop reader of one document's pages of file `sha` (None: nothing to re-read)."""
        if sha not in self.archived.index or all(p.method != "ocr" for p in pages):
            return None
        row = self.archived.loc[sha]
        tasks = {
            p.page_number: PageTask(sha, str(row["archive_path"]), str(row["kind"]), p.page_number - 1)
            for p in pages
        }
        reader = PageImageCropReader(
            tasks, {p.page_number: p for p in pages}, settings=self.settings, cache_dir=self.cache_dir
        )
        self.readers.append(reader)
        return reader

    @property
    def crops_read_again(self) -> int:
        """Crops read again so far (from the page image or from the cache)."""
        return sum(r.calls for r in self.readers)

    @property
    def crops_from_cache(self) -> int:
        """Of `crops_read_again`, those served by the crop cache."""
        return sum(r.from_cache for r in self.readers)


def crop_readers_for(
    files: pd.DataFrame, settings: OcrSettings, cache_dir: Path | None = None
) -> CropReaders:
    """A crop-reader factory for `extract_source_records` over a unit's archived files (`CropReaders`),
    caching the readings under `cache_dir` (the OCR cache folder) when given."""
    return CropReaders(files, settings, cache_dir)


def accounting_problems(source: pd.DataFrame, validated: pd.DataFrame) -> list[str]:
    """What breaks the record contract between `source_records` and `validated_records` ([] when none).

    The contract (checked before anything is loaded into the unified database): every person named in
    a document (a distinct record id of `source` with a role: file, first page, register row and role)
    has exactly one validated row;
    extracted = valid + warning + quarantined; a record that failed a hard rule (`n_errors` > 0) is
    quarantined; a quarantined record says why; a record routed to a new unit names it. Messages name
    record ids and counts only, never personal data.
    """
    problems: list[str] = []
    expected = set(source.loc[source["role"] != "", "record_id"])
    got = list(validated["record_id"])
    if len(got) != len(set(got)):
        problems.append(f"{len(got) - len(set(got))} person records validated more than once")
    lost, extra = expected - set(got), set(got) - expected
    if lost:
        problems.append(f"{len(lost)} person records extracted but not validated")
    if extra:
        problems.append(f"{len(extra)} validated records not in source_records")
    counts = validated["status"].value_counts().to_dict()
    known = sum(int(counts.get(s, 0)) for s in ("valid", "warning", "quarantined"))
    if known != len(validated):
        problems.append(
            f"{len(validated) - known} records with a status other than valid, warning, quarantined"
        )
    failed_hard = validated[(validated["n_errors"] > 0) & (validated["status"] != "quarantined")]
    if len(failed_hard):
        problems.append(
            f"{len(failed_hard)} records failed a hard rule but are not quarantined: "
            + ", ".join(failed_hard["record_id"].head(5))
        )
    silent = validated[(validated["status"] == "quarantined") & (validated["reasons"].fillna("") == "")]
    if len(silent):
        problems.append(
            f"{len(silent)} quarantined records without a reason: " + ", ".join(silent["record_id"].head(5))
        )
    unrouted = validated[
        (validated["route_status"] == "routed") & (validated["new_unit_code"].fillna("") == "")
    ]
    if len(unrouted):
        problems.append(
            f"{len(unrouted)} records routed without a new unit: " + ", ".join(unrouted["record_id"].head(5))
        )
    return problems


def masked_people(source: pd.DataFrame) -> pd.DataFrame:
    """One row per person record of `source` with its name and date of birth masked for display
    (`sapnhap.review.masking`): columns record_id, name (initials), born (year only). Index: record_id."""
    people = source[(source["role"] != "") & source["field"].isin(["full_name", "birth_date"])]
    wide = people.pivot_table(index="record_id", columns="field", values="value", aggfunc="first")
    out = pd.DataFrame(
        index=pd.Index(sorted(set(source.loc[source["role"] != "", "record_id"])), name="record_id")
    )
    out["name"] = [mask_name(v) for v in wide.get("full_name", pd.Series(dtype=object)).reindex(out.index)]
    out["born"] = [mask_date(v) for v in wide.get("birth_date", pd.Series(dtype=object)).reindex(out.index)]
    return out
