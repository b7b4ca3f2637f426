"""Intake: every file a former unit hands over gets fixity, an archived original, and a state."""

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
from assets.operations import DATA_ENGINEERS, DATABASE_POOL
from assets.partitions import former_units
from resources import DossierStore, UnifiedDatabase
from sapnhap.db.load import record_events
from sapnhap.intake.claim import take_in_former_unit
from sapnhap.reference.units import former_unit_label
from sapnhap.review.decisions import file_releases


@asset(
    partitions_def=former_units,
    group_name="intake",
    kinds={"python", "files"},
    pool=DATABASE_POOL,
    owners=[DATA_ENGINEERS],
    io_manager_key="warehouse",
    check_specs=[
        AssetCheckSpec(
            "no_quarantined_files",
            asset="dossier_files",
            description="Lists the files that could not be taken in (broken, unsupported, password-protected, "
            "too small) with the reason and what to ask the former unit for; they wait for an archivist.",
        )
    ],
)
def dossier_files(context: AssetExecutionContext, store: DossierStore, database: UnifiedDatabase):
    """The files one former unit (a commune, or a district whose archive is handed over as a whole)
    handed over, each with SHA-256 fixity, size, type read from its bytes, page count and state:
    archived (original copied, read-only, into the content-addressed archive),
    duplicate (same bytes already handed over, linked to the first) or quarantined (with the reason).
    The files are recorded in the unified database at once, under a lock, so that former units taken
    in at the same time never both claim the same bytes (`sapnhap.intake.claim`).
    """
    unit = context.partition_key
    paths = store.files(unit)
    files = [(p, store.relative_path(p)) for p in paths]
    # Quarantined files an archivist released in a review sheet are read like archived ones.
    released = file_releases(database.engine)
    taken = take_in_former_unit(database.engine, unit, files, store.archive(), released)
    ignored = store.ignored_entries(unit)
    if ignored:
        context.log.warning(f"former unit {unit}: {len(ignored)} entries not read (links or system files)")
    record_events(database.engine, [dict(e, run_id=context.run.run_id) for e in taken.events])
    table = pd.DataFrame(taken.rows, columns=_COLUMNS)
    counts = table["status"].value_counts().to_dict()
    quarantined = table[table["status"] == "quarantined"]
    duplicates = table[table["status"] == "duplicate"]
    # Files an archivist released from quarantine in a review sheet, read this time.
    freed = table[table["sha256"].isin(list(released)) & (table["status"] == "archived")]
    context.log.info(
        f"{former_unit_label(unit)}: {len(table)} files, "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    yield Output(
        table,
        metadata={
            "former_unit": former_unit_label(unit),
            "files": len(table),
            "archived": int(counts.get("archived", 0)),
            "duplicates": int(counts.get("duplicate", 0)),
            "quarantined": int(counts.get("quarantined", 0)),
            "released_by_archivist": len(freed),
            "pages_to_read": int(table.loc[table["status"] == "archived", "page_count"].sum()),
            "archive": store.archive_dir,
            "not_read": len(ignored),
            "summary": MetadataValue.md(
                _summary_md(unit, table, quarantined, duplicates)
                + "\n\n#### Released by an archivist (read despite their quarantine reason)\n\n"
                + markdown_table(["file", "detail"], freed[["original_path", "detail"]].values.tolist())
                + "\n\n#### Not read (links, system files)\n\n"
                + markdown_table(["entry", "why"], ignored)
            ),
        },
    )
    yield AssetCheckResult(
        check_name="no_quarantined_files",
        passed=quarantined.empty,
        severity=AssetCheckSeverity.WARN,
        description="Files that could not be taken in and wait for an archivist.",
        metadata={
            "quarantined": len(quarantined),
            "former_unit": former_unit_label(unit),
            "items": metadata_table(
                ["file", "reason", "detail"],
                quarantined[["original_path", "quarantine_reason", "detail"]].values.tolist(),
            ),
        },
    )


_COLUMNS = [
    "former_unit_code",
    "former_unit_vintage",
    "original_path",
    "sha256",
    "size_bytes",
    "kind",
    "mime",
    "page_count",
    "encrypted",
    "status",
    "quarantine_reason",
    "detail",
    "archive_path",
    "duplicate_of",
]


def _summary_md(unit: str, table: pd.DataFrame, quarantined: pd.DataFrame, duplicates: pd.DataFrame) -> str:
    by_kind = table.groupby("kind").size().to_dict()
    label = former_unit_label(unit)
    parts = [
        f"### {label[:1].upper()}{label[1:]}: {len(table)} files",
        markdown_table(["type", "files"], sorted(by_kind.items())),
        "#### Quarantined",
        markdown_table(
            ["file", "reason", "detail"],
            quarantined[["original_path", "quarantine_reason", "detail"]].values.tolist(),
        ),
        "#### Exact duplicates",
        markdown_table(["file", "note"], duplicates[["original_path", "detail"]].values.tolist()),
    ]
    return "\n\n".join(parts)
