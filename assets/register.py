"""The unified register: files, pages, words, documents and person records loaded into the unified database."""

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.metadata import markdown_table
from assets.operations import DATA_ENGINEERS, DATABASE_POOL
from assets.partitions import add_partitions, former_units, new_units
from resources import UnifiedDatabase
from sapnhap.db.load import load_documents, load_files, load_pages, upsert_former_units
from sapnhap.db.load_records import load_records, stored_records
from sapnhap.reference.units import find_unit, former_unit_label, level_of_code, new_unit_label
from sapnhap.review.queue import file_review_units


@asset(
    partitions_def=former_units,
    group_name="unified_register",
    kinds={"sqlalchemy"},
    pool=DATABASE_POOL,
    owners=[DATA_ENGINEERS],
)
def unified_register(
    context: AssetExecutionContext,
    dossier_files: pd.DataFrame,
    ocr_pages: pd.DataFrame,
    documents: pd.DataFrame,
    database: UnifiedDatabase,
) -> MaterializeResult:
    """One former unit's files, pages (with words) and documents, upserted into the unified database.

    The former unit (a commune, or a former district whose archive is handed over as a whole) is
    stored with its level, name and province from the gazetteer; an unknown code is stored too,
    without names, and flagged in the log.

    Keyed by content hashes (file SHA-256, page number), so loading the same partition again adds no
    row and changes nothing. Every row keeps its lineage: former unit, original path, file hash, page.
    """
    unit = context.partition_key
    engine = database.engine
    known = find_unit(unit, "pre2025")  # a former commune (5 digits) or a former district (3 digits)
    level = known.level if known else (level_of_code(unit) or "commune")
    upsert_former_units(
        engine,
        [
            {
                "code": unit,
                "vintage": "pre2025",
                "level": level,
                "name": known.name if known else None,
                "district_name": known.district_name if known else None,
                "province_name": known.province_name if known else None,
            }
        ],
    )
    if known is None:
        context.log.warning(f"folder {unit} is not a pre-2025 {level} code in the gazetteer")
    files = load_files(engine, dossier_files[dossier_files["sha256"].notna()])
    pages = load_pages(engine, ocr_pages)
    docs = load_documents(engine, documents)
    rows = {}
    for counts in (files, pages, docs):
        for table in {**counts.inserted, **counts.updated}:
            rows[table] = (counts.inserted.get(table, 0), counts.updated.get(table, 0))
    context.log.info(
        f"loaded former unit {unit}: rows new / updated per table: "
        + ", ".join(f"{table} {new} / {updated}" for table, (new, updated) in rows.items())
    )
    return MaterializeResult(
        metadata={
            "summary": MetadataValue.md(
                f"**{former_unit_label(unit)}** in the unified database ({database.display_url()}): "
                f"{len(dossier_files)} files, {len(ocr_pages)} pages, {len(documents)} documents; "
                f"**{files.total_new + pages.total_new + docs.total_new} new rows** this run."
            ),
            "former_unit": former_unit_label(unit),
            "level": level,
            "database": database.display_url(),
            "new_rows": files.total_new + pages.total_new + docs.total_new,
            "files": str(files),
            "pages": str(pages),
            "documents": str(docs),
        }
    )


@asset(
    partitions_def=former_units,
    group_name="unified_register",
    kinds={"sqlalchemy"},
    pool=DATABASE_POOL,
    owners=[DATA_ENGINEERS],
    deps=[AssetKey("unified_register")],
    check_specs=[
        AssetCheckSpec(
            "records_reconciled",
            asset="record_register",
            blocking=True,
            description="Every record of validated_records is in the database with its status: valid + "
            "warning in person_records, quarantined in quarantined_records. Records of files since removed "
            "or replaced stay as history and are counted apart.",
        )
    ],
)
def record_register(
    context: AssetExecutionContext,
    validated_records: pd.DataFrame,
    source_records: pd.DataFrame,
    database: UnifiedDatabase,
) -> MaterializeResult:
    """The former unit's person records in the unified database, with every field's lineage.

    Valid records and records with warnings go to `person_records`, each with its fields
    (`record_fields`: raw text, value, OCR confidence, page and box, method, engine version) and its
    route to the new unit; records that failed a hard rule go to `quarantined_records` with every
    reason, for an archivist, and are kept out of the unified records. Runs only when the blocking
    `every_record_accounted` check of `validated_records` passed in the same run. Keyed by record id
    (file, page, role): loading again changes nothing.
    """
    unit = context.partition_key
    counts = load_records(database.engine, validated_records, source_records)
    context.log.info(
        f"loaded records of former unit {unit}: rows new / updated / deleted per table: "
        + ", ".join(
            f"{t} {counts.inserted.get(t, 0)} / {counts.updated.get(t, 0)} / {counts.deleted.get(t, 0)}"
            for t in ("person_records", "record_fields", "quarantined_records")
        )
    )
    stored = stored_records(database.engine, unit)
    # Each new unit the records were routed to gets its partition of the linkage assets (`entities`).
    routed_to = sorted({c for c in validated_records["new_unit_code"].dropna() if c})
    # The review sheet that carries the former unit's quarantined files (none may hold a record).
    routed_to = sorted(set(routed_to) | set(file_review_units(database.engine, unit)))
    add_partitions(context.instance, new_units, routed_to)
    statuses = validated_records["status"].value_counts().to_dict()
    expected = {s: int(statuses.get(s, 0)) for s in ("valid", "warning", "quarantined")}
    routed = validated_records[validated_records["status"] != "quarantined"]
    metadata = {
        "summary": MetadataValue.md(
            f"**{former_unit_label(unit)}: {expected['valid'] + expected['warning']} person records loaded**, "
            f"**{expected['quarantined']} held in quarantine** with their reasons; {counts.total_new} new rows this "
            "run. By new unit below; linking them into persons is the `entities` asset of each new unit."
        ),
        "former_unit": former_unit_label(unit),
        "database": database.display_url(),
        "records_loaded": expected["valid"] + expected["warning"],
        "records_quarantined": expected["quarantined"],
        "new_units": MetadataValue.json(routed_to),
        "new_rows": counts.total_new,
        "rows_changed": counts.total_changed,
        "by_new_unit": MetadataValue.md(
            markdown_table(
                ["new unit", "records"],
                [
                    [new_unit_label(code) if code else "review: no new unit yet", n]
                    for code, n in routed["new_unit_code"].fillna("").value_counts().sort_index().items()
                ],
            )
        ),
        **counts.as_metadata(),
    }
    wanted = dict(zip(validated_records["record_id"], validated_records["status"], strict=True))
    missing = [r for r, status in wanted.items() if r not in stored]
    wrong = [r for r, status in wanted.items() if r in stored and stored[r] != status]
    # Records of files since removed, replaced or read differently stay as history, counted apart.
    history = [r for r in stored if r not in wanted]
    problems = [
        *(
            [f"{len(missing)} validated records not in the database: {', '.join(missing[:5])}"]
            if missing
            else []
        ),
        *([f"{len(wrong)} records stored with another status: {', '.join(wrong[:5])}"] if wrong else []),
    ]
    check = AssetCheckResult(
        check_name="records_reconciled",
        passed=not problems,
        metadata={
            "former_unit": former_unit_label(unit),
            "validated": len(wanted),
            "in_database": len(wanted) - len(missing),
            "earlier_records_kept_as_history": len(history),
            "problems": MetadataValue.md("\n".join(f"- {p}" for p in problems) or "_none_"),
        },
    )
    return MaterializeResult(metadata=metadata, check_results=[check])
