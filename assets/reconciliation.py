"""Reconciliation: nothing handed over is lost between the inbox and the unified database."""

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MetadataValue,
    Output,
    asset,
)

from assets.metadata import markdown_table
from assets.operations import ARCHIVISTS
from assets.partitions import former_units
from resources import DossierStore, UnifiedDatabase
from sapnhap.db.queries import count_pages, recorded_sources
from sapnhap.records.tables import document_balance
from sapnhap.reference.units import former_unit_label


@asset(
    partitions_def=former_units,
    group_name="unified_register",
    kinds={"python"},
    owners=[ARCHIVISTS],
    io_manager_key="warehouse",
    deps=[AssetKey("unified_register")],
    check_specs=[
        AssetCheckSpec(
            "balanced",
            asset="reconciliation",
            blocking=True,
            description="Blocking: every file handed over is archived, a recorded duplicate or quarantined, "
            "every page of an archived file is in the database, and every document ends with loaded "
            "person records, only quarantined ones, or none (listed for review): nothing lost.",
        )
    ],
)
def reconciliation(
    context: AssetExecutionContext,
    dossier_files: pd.DataFrame,
    documents: pd.DataFrame,
    validated_records: pd.DataFrame,
    store: DossierStore,
    database: UnifiedDatabase,
):
    """Per former unit (commune or district), the balance an archivist signs off: files found in the
    inbox = archived + duplicates + quarantined = file records in the database; pages expected (page
    counts of the archived files) = pages stored; documents found in the pages = documents with loaded
    person records + documents whose person records are all quarantined + documents without any
    person record (each listed by the `every_document_yields_records` check and put on the review
    sheet). The `balanced` check fails (ERROR, blocking) when they differ.
    Records of files later removed, renamed or replaced in the inbox stay in the database as
    history and are counted on a line of their own.
    """
    unit = context.partition_key
    found = len(store.files(unit))
    not_read = store.ignored_entries(unit)
    statuses = dossier_files["status"].value_counts().to_dict()
    archived = dossier_files[dossier_files["status"] == "archived"]
    recorded = recorded_sources(database.engine, unit, "pre2025")
    current = {(r.original_path, r.sha256) for r in dossier_files.itertuples() if r.sha256 is not None}
    in_db = len(current & recorded)
    history = len(recorded - current)
    pages_expected = int(archived["page_count"].sum())
    pages_stored = count_pages(database.engine, archived["sha256"].tolist())
    lines = [
        ("files found in the inbox", found),
        ("archived", int(statuses.get("archived", 0))),
        ("exact duplicates", int(statuses.get("duplicate", 0))),
        ("quarantined", int(statuses.get("quarantined", 0))),
        ("file records in the database", in_db),
        ("pages expected", pages_expected),
        ("pages stored", pages_stored),
        ("earlier records of files since removed, renamed or replaced (kept as history)", history),
        # Not files to read: each listed with why in dossier_files' `not_read` table.
        ("entries not read: links, system files, special files (listed in dossier_files)", len(not_read)),
    ]
    docs = document_balance(documents, validated_records)
    lines += [
        ("documents found in the archived files' pages", docs["documents"]),
        ("documents with loaded person records", docs["with_records"]),
        ("documents whose person records are all quarantined", docs["only_quarantined"]),
        ("documents without any person record (listed, on the review sheet)", docs["without_records"]),
    ]
    accounted = sum(v for _, v in lines[1:4])
    ends = docs["with_records"] + docs["only_quarantined"] + docs["without_records"]
    problems = []
    if found != accounted:
        problems.append(f"{found} files found but {accounted} accounted for")
    if in_db != found:
        problems.append(f"{found} files found but {in_db} file records in the database")
    if pages_expected != pages_stored:
        problems.append(f"{pages_expected} pages expected but {pages_stored} stored")
    if ends != docs["documents"]:
        problems.append(f"{docs['documents']} documents found but {ends} accounted for")
    table = pd.DataFrame(lines, columns=["line", "count"])
    table.insert(0, "former_unit_code", unit)
    summary = MetadataValue.md(
        f"**{former_unit_label(unit)}**: "
        + ("every file and page accounted for" if not problems else "; ".join(problems))
        + "\n\n"
        + markdown_table(["", "count"], lines)
    )
    yield Output(
        table, metadata={"former_unit": former_unit_label(unit), "balanced": not problems, "summary": summary}
    )
    yield AssetCheckResult(
        check_name="balanced",
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        description="Files in = archived + duplicates + quarantined = database records; pages expected = stored; "
        "documents = with records + only quarantined + without records.",
        metadata={"problems": "; ".join(problems) or "none", "balance": summary},
    )
