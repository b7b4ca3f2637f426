"""Records: the fields of every person and event named in each document, validated and routed."""

import json
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from assets.metadata import markdown_table, metadata_table
from assets.operations import DATA_ENGINEERS
from assets.partitions import former_units
from resources import DossierStore, OcrEngine, UnifiedDatabase
from sapnhap.records.routing import Router
from sapnhap.records.tables import (
    accounting_problems,
    crop_readers_for,
    documents_without_records,
    extract_source_records,
    masked_people,
    validate_records,
)
from sapnhap.reference.units import former_unit_label
from sapnhap.review.decisions import apply_corrections, corrections_for, release_records, releases_for


@asset(
    partitions_def=former_units,
    group_name="records",
    kinds={"python"},
    owners=[DATA_ENGINEERS],
    io_manager_key="warehouse",
    check_specs=[
        AssetCheckSpec(
            "every_document_yields_records",
            asset="source_records",
            description="Lists the documents that yielded no person record and why (type unknown and no "
            "person label found; a catalogue type where the generic reader found no person label; the "
            "template and the generic reader found no person field), "
            "so that no document is left out silently.",
        ),
    ],
)
def source_records(
    context: AssetExecutionContext,
    dossier_files: pd.DataFrame,
    ocr_pages: pd.DataFrame,
    documents: pd.DataFrame,
    ocr: OcrEngine,
    database: UnifiedDatabase,
):
    """Every field of every document of the former unit, found by labels in the page's words: by the
    type's template for civil-status extracts (birth, marriage, death), staff CVs and procedure receipts,
    by the generic label vocabulary (`sapnhap.records.generic`) for every other title, layout or
    wording (column `extractor`): for each person (child, mother, father, spouses, deceased, staff,
    applicant, person …) and for the document itself. One row per field,
    with the text as read, the normalised value (names NFC, dates ISO, ID numbers as text), the words'
    OCR confidence and where it was read (file, page, box, OCR method and engine version). A label that
    is not found is a `missing` row, never an invented value. Small or doubtful words of an OCR'd field
    are read again from the archived page, enlarged, as one line (method `ocr_crop`), each reading
    cached beside the OCR cache by the page's cache key and the box (metadata `crops_read_again`,
    `crops_from_cache`: a re-run over cached pages runs no Tesseract on crops). A value an
    archivist corrected in a review sheet replaces the reading (method `archivist`, the reading kept).
    Every document that yielded no person record is counted and named, with why (type unknown, no person
    label found by the template or the generic reader), and listed by the WARN check
    `every_document_yields_records`: no document leaves the pipeline silently.
    """
    unit = context.partition_key
    # Crop readings are cached beside the OCR pages, by the page's cache key, box and settings.
    crops = crop_readers_for(dossier_files, ocr.settings(), Path(ocr.cache_dir) if ocr.cache_dir else None)
    table = extract_source_records(ocr_pages, documents, unit, crops)
    # Archivists' corrections from review sheets replace the readings, every run (kept in the database).
    table = apply_corrections(table, corrections_for(database.engine, unit))
    found = table[table["status"] == "found"]
    people = table.loc[table["role"] != "", "record_id"].drop_duplicates()  # one per register row too
    by_extractor = table[table["role"] != ""].drop_duplicates("record_id")["extractor"].value_counts()
    unknown = int((documents["doc_type"] == "unknown").sum())
    missing = table[table["status"] == "missing"]
    # Documents with no person record, with why: never left out silently (no field values here).
    silent = documents_without_records(documents, table, dossier_files)
    whys = silent["why"].value_counts()
    context.log.info(
        f"former unit {unit}: {len(table)} fields of {table[['file_sha256', 'first_page']].drop_duplicates().shape[0]} "
        f"documents, {len(people)} person records, {len(missing)} fields not found; "
        f"{len(silent)} of {len(documents)} documents yielded no person record"
        + (": " + ", ".join(f"{why} {n}" for why, n in whys.items()) if len(silent) else "")
        + f"; {crops.crops_read_again} crops read again, {crops.crops_from_cache} of them from the cache"
    )
    yield Output(
        table,
        metadata={
            "summary": MetadataValue.md(
                f"**{former_unit_label(unit)}: {len(people)} person records** in "
                f"{table[['file_sha256', 'first_page']].drop_duplicates().shape[0]} documents ("
                + ", ".join(f"{n} read by {k.replace('_', ' ')}" for k, n in sorted(by_extractor.items()))
                + f"; {unknown} documents of unknown type); {len(found)} fields "
                f"read ({int((found['method'] == 'ocr_crop').sum())} read again from the page, "
                f"{int((found['method'] == 'archivist').sum())} corrected by archivists), {len(missing)} not found. "
                f"**{len(silent)} of {len(documents)} documents yielded no person record**"
                + (
                    " (listed in the check `every_document_yields_records`): "
                    + "; ".join(f"{n} {why}" for why, n in whys.items())
                    + ".\n\n"
                    + markdown_table(
                        ["file", "pages", "document type", "title line", "why"],
                        [
                            [r.file, f"{r.first_page}-{r.last_page}", r.doc_type, r.title, r.why]
                            for r in silent.itertuples()
                        ],
                    )
                    if len(silent)
                    else "."
                )
            ),
            "documents_without_records": len(silent),
            "documents_of_unknown_type": unknown,
            **{f"person_records_{k}": int(v) for k, v in sorted(by_extractor.items())},
            "fields": len(table),
            "fields_found": len(found),
            "fields_missing": len(missing),
            "person_records": len(people),
            "fields_read_again": int((found["method"] == "ocr_crop").sum()),
            "fields_corrected_by_archivists": int((found["method"] == "archivist").sum()),
            "crops_read_again": crops.crops_read_again,
            "crops_from_cache": crops.crops_from_cache,
            "mean_confidence": float(found["confidence"].dropna().mean())
            if found["confidence"].notna().any()
            else 0.0,
            "missing_by_field": MetadataValue.md(
                markdown_table(
                    ["document type", "role", "field", "not found"],
                    missing.groupby(["doc_type", "role", "field"]).size().reset_index().values.tolist(),
                )
            ),
        },
    )
    yield AssetCheckResult(
        check_name="every_document_yields_records",
        passed=silent.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "former_unit": former_unit_label(unit),
            "documents": len(documents),
            "documents_without_records": len(silent),
            "by_why": MetadataValue.md(markdown_table(["why", "documents"], list(whys.items()))),
            "documents_listed": metadata_table(
                ["file", "pages", "document type", "title line", "why"],
                [
                    [r.file, f"{r.first_page}-{r.last_page}", r.doc_type, r.title, r.why]
                    for r in silent.itertuples()
                ],
            ),
        },
    )


@asset(
    partitions_def=former_units,
    group_name="records",
    kinds={"python"},
    owners=[DATA_ENGINEERS],
    io_manager_key="warehouse",
    check_specs=[
        AssetCheckSpec(
            "every_record_accounted",
            asset="validated_records",
            blocking=True,
            description="Blocking: every person extracted is validated once (extracted = valid + warning + "
            "quarantined), hard-rule failures are quarantined with a reason, routed records name a new unit. "
            "When it fails, nothing of this former unit's records is loaded in that run.",
        ),
        AssetCheckSpec(
            "no_quarantined_records",
            asset="validated_records",
            description="Lists the records held out of the unified database for an archivist's review.",
        ),
        AssetCheckSpec(
            "no_warnings", asset="validated_records", description="Lists records loaded with warnings."
        ),
        AssetCheckSpec(
            "routing_decided",
            asset="validated_records",
            description="Lists records whose new unit needs an archivist (split former unit, no evidence).",
        ),
    ],
)
def validated_records(
    context: AssetExecutionContext,
    source_records: pd.DataFrame,
    dossier_files: pd.DataFrame,
    store: DossierStore,
    database: UnifiedDatabase,
):
    """One row per person named in a document: valid, valid with warnings, or quarantined with every
    reason (rules with their legal sources: personal ID structure, real dates, marriage ages, required
    fields, units existing at the document's date), and the new unit (after 1 July 2025) the record
    belongs to, from the person's address: a split former commune is decided by the merger plan's
    villages or goes to review with its candidates. Quarantined records are kept and listed, never
    dropped. A quarantined record an archivist released in a review sheet is loaded, its broken rules
    kept as warnings with `released_by_archivist`. Record ids name the file and page, not the
    person; names and dates of birth in the metadata are masked (initials, year).
    """
    unit = context.partition_key
    router = Router(store.merger_plan_villages())
    # A quarantined record an archivist released is loaded, its broken rules kept as warnings.
    table = release_records(validate_records(source_records, router), releases_for(database.engine, unit))
    statuses = table["status"].value_counts().to_dict()
    routes = table["route_status"].value_counts().to_dict()
    context.log.info(f"former unit {unit}: records {statuses}; routing {routes}")
    people = masked_people(source_records)
    paths = dossier_files.drop_duplicates("sha256").set_index("sha256")["original_path"]
    shown = table.join(people, on="record_id").assign(
        file=lambda t: [
            f"{paths.get(sha, sha[:16])} p. {page}"
            for sha, page in zip(t["file_sha256"], t["first_page"], strict=True)
        ],
        detail=lambda t: [_finding_text(f) for f in t["findings"]],
    )
    quarantined = shown[shown["status"] == "quarantined"]
    warned = shown[shown["status"] == "warning"]
    review = shown[shown["route_status"] != "routed"]
    yield Output(
        table,
        metadata={
            "summary": MetadataValue.md(
                f"**{former_unit_label(unit)}: {len(table)} person records** — "
                f"{int(statuses.get('valid', 0))} valid, {int(statuses.get('warning', 0))} with warnings, "
                f"**{int(statuses.get('quarantined', 0))} quarantined** (held for an archivist, listed in the check "
                f"`no_quarantined_records`); {int(routes.get('routed', 0))} routed to their new unit, "
                f"**{len(review)} waiting for a routing decision** (listed below)."
            ),
            "records": len(table),
            **{f"status_{k}": int(v) for k, v in sorted(statuses.items())},
            **{f"route_{k}": int(v) for k, v in sorted(routes.items())},
            "routing_review": MetadataValue.md(
                markdown_table(
                    ["record", "name", "document type", "role", "route", "candidates", "evidence"],
                    review[
                        [
                            "record_id",
                            "name",
                            "doc_type",
                            "role",
                            "route_status",
                            "candidates",
                            "route_evidence",
                        ]
                    ].values.tolist(),
                )
            ),
        },
    )
    problems = accounting_problems(source_records, table)
    yield AssetCheckResult(
        check_name="every_record_accounted",
        passed=not problems,
        metadata={
            "former_unit": former_unit_label(unit),
            "person_records_extracted": len(people),
            "valid": int(statuses.get("valid", 0)),
            "warning": int(statuses.get("warning", 0)),
            "quarantined": int(statuses.get("quarantined", 0)),
            "problems": MetadataValue.md("\n".join(f"- {p}" for p in problems) or "_none_"),
        },
    )
    columns = ["file", "role", "name", "born", "doc_type", "detail", "record_id"]
    headers = ["file and page", "role", "name", "born", "document type", "findings (field: rule)", "record"]
    where = {"former_unit": former_unit_label(unit)}
    for check_name, count_key, listed in (
        ("no_quarantined_records", "quarantined", quarantined),
        ("no_warnings", "warning", warned),
    ):
        yield AssetCheckResult(
            check_name=check_name,
            passed=listed.empty,
            severity=AssetCheckSeverity.WARN,
            metadata={
                **where,
                count_key: len(listed),
                "by_reason": MetadataValue.md(_reason_counts(listed)),
                "records": metadata_table(headers, listed[columns].values.tolist()),
            },
        )
    yield AssetCheckResult(
        check_name="routing_decided",
        passed=review.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            **where,
            "routing_review": metadata_table(
                ["file and page", "role", "name", "route", "candidates", "evidence"],
                review[
                    ["file", "role", "name", "route_status", "candidates", "route_evidence"]
                ].values.tolist(),
            ),
            "review": int((table["route_status"] == "review").sum()),
            "unresolved": int((table["route_status"] == "unresolved").sum()),
        },
    )


def _finding_text(findings: str) -> str:
    """`field: rule` for each finding of a record (the JSON of `validated_records.findings`)."""
    return "; ".join(f"{f['field'] or '-'}: {f['rule']}" for f in json.loads(findings or "[]"))


def _reason_counts(table: pd.DataFrame) -> str:
    """A Markdown table of rule codes and how many records each one holds."""
    reasons = table["reasons"].fillna("").str.split(";").explode()
    counts = reasons[reasons != ""].value_counts()
    return markdown_table(["rule", "records"], list(counts.items()))
