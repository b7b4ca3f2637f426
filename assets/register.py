"""The unified register: files, pages, words and documents loaded into the unified database."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.partitions import former_units
from resources import UnifiedDatabase
from sapnhap.db.load import load_documents, load_files, load_pages, upsert_former_units
from sapnhap.units import find_unit, former_unit_label, level_of_code


@asset(
    partitions_def=former_units,
    group_name="unified_register",
    kinds={"sqlalchemy"},
    owners=["team:data-engineering"],
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
            "former_unit": former_unit_label(unit),
            "level": level,
            "database": database.display_url(),
            "new_rows": files.total_new + pages.total_new + docs.total_new,
            "files": str(files),
            "pages": str(pages),
            "documents": str(docs),
        }
    )
