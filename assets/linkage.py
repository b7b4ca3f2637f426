"""Record linkage: the persons of a new unit, built from the records of every former unit merged into it."""

from dagster import (
    AllPartitionMapping,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.metadata import markdown_table, metadata_table
from assets.operations import ARCHIVISTS, DATABASE_POOL
from assets.partitions import new_units
from resources import LinkageModel, UnifiedDatabase
from sapnhap.linkage.persons import link_unit
from sapnhap.linkage.queries import id_rule_violations, merged_persons, open_review_items, unlinked_records
from sapnhap.reference.units import new_unit_label
from sapnhap.review.masking import mask_name


class EntitiesConfig(Config):
    """retrain: train the linkage model again on this unit's records (and keep it as the project's
    model) instead of reusing the saved one."""

    retrain: bool = False


def _side(side: dict) -> str:
    fields = side.get("fields", {})
    born = fields.get("birth_date") or fields.get("birth_year") or ""
    return (
        f"{mask_name(fields.get('full_name'))} {str(born)[:4]} · {side.get('former_unit', '')} · "
        f"{str(side.get('file_sha256', ''))[:12]} p.{side.get('page', '')}"
    )


@asset(
    partitions_def=new_units,
    group_name="linkage",
    kinds={"splink", "duckdb", "sqlalchemy"},
    pool=DATABASE_POOL,
    owners=[ARCHIVISTS],
    deps=[AssetDep("record_register", partition_mapping=AllPartitionMapping())],
    check_specs=[
        AssetCheckSpec(
            "one_id_number_per_person",
            asset="entities",
            blocking=True,
            description="No person holds two different valid 12-digit ID numbers (Decree 137/2015/NĐ-CP "
            "Art. 13: one number per citizen).",
        ),
        AssetCheckSpec(
            "every_record_in_one_person",
            asset="entities",
            blocking=True,
            description="Every person record routed to the new unit belongs to exactly one active person.",
        ),
        AssetCheckSpec(
            "no_pairs_waiting",
            asset="entities",
            description="No pair of records waits for an archivist's decision (the review band of match "
            "probability).",
        ),
    ],
)
def entities(
    context: AssetExecutionContext, config: EntitiesConfig, database: UnifiedDatabase, linkage: LinkageModel
) -> MaterializeResult:
    """The persons of one new unit: the same person found in several former units' archives becomes
    one person with one golden record.

    Records not linked before are scored against the persons already built and among themselves
    (Splink on DuckDB or Spark, the former unit as the source dataset); existing persons keep their ids. Pairs
    sure enough merge by themselves, pairs in the review band wait in the review queue with both
    records side by side, and archivists' decisions (accept, reject) are applied and kept: a rejected
    merge is split back. Each golden value names the record, page and file it comes from.
    """
    unit = context.partition_key
    thresholds = linkage.thresholds()
    model = linkage.path_for(config.retrain)
    outcome = link_unit(
        database.engine, unit, model, thresholds, retrain=config.retrain, backend=linkage.linkage_backend()
    )
    context.log.info(
        f"linked new unit {unit}: {outcome.records} records ({outcome.new_records} new), "
        f"{outcome.persons_active} persons ({outcome.persons_created} new), "
        f"{outcome.records_auto_merged} records merged automatically, {outcome.review_open} pairs waiting"
        + (" — model trained on this unit's records" if outcome.model_trained else "")
    )
    merged = merged_persons(database.engine, unit)
    waiting = open_review_items(database.engine, unit)
    violations = id_rule_violations(database.engine, unit)
    unlinked = unlinked_records(database.engine, unit)
    summary = (
        f"**{new_unit_label(unit)}**: {outcome.records} person records ({outcome.new_records} new this run) "
        f"→ **{outcome.persons_active} persons**; {len(merged)} persons built from several records, "
        f"{outcome.records_auto_merged} records merged automatically this run, "
        f"**{outcome.review_open} pairs waiting for review**. Decisions applied: "
        f"{outcome.accepted_applied} accepted, {outcome.rejected_applied} rejected ({outcome.splits} splits)."
    )
    metadata = {
        "new_unit": new_unit_label(unit),
        "summary": MetadataValue.md(summary),
        "records": outcome.records,
        "new_records": outcome.new_records,
        "persons": outcome.persons_active,
        "persons_created": outcome.persons_created,
        "records_auto_merged": outcome.records_auto_merged,
        "pairs_waiting": outcome.review_open,
        "review_items_added": outcome.review_added,
        "decisions_accepted_applied": outcome.accepted_applied,
        "decisions_rejected_applied": outcome.rejected_applied,
        "decisions_conflicting": outcome.decisions_conflicting,
        "golden_values_written": outcome.golden_values_written,
        "model": str(model),
        "model_version": outcome.model_version,
        "model_trained_this_run": outcome.model_trained,
        "thresholds": f"auto-merge ≥ {thresholds.auto_merge}, review ≥ {thresholds.review}",
        "candidate_pairs_by_blocking_rule": MetadataValue.md(
            markdown_table(
                ["blocking rule", "candidate pairs"],
                sorted(outcome.candidate_pairs_by_rule.items(), key=lambda kv: -kv[1]),
            )
        ),
        "merged_persons": MetadataValue.md(
            markdown_table(
                ["person", "name", "born", "records", "former units", "linked by"],
                [
                    [
                        r.person_id,
                        mask_name(r.full_name),
                        r.birth_year or "",
                        r.records,
                        r.former_units,
                        r.linked_by,
                    ]
                    for r in merged.itertuples()
                ],
            )
        ),
        "pairs_waiting_for_review": MetadataValue.md(
            markdown_table(
                ["item", "match probability", "left", "right"],
                [
                    [r.item_id[:40], f"{r.match_probability:.3f}", _side(r.left), _side(r.right)]
                    for r in waiting.itertuples()
                ],
            )
        ),
    }
    checks = [
        AssetCheckResult(
            check_name="one_id_number_per_person",
            passed=not violations,
            metadata={"new_unit": new_unit_label(unit), "persons": MetadataValue.json(violations[:50])},
        ),
        AssetCheckResult(
            check_name="every_record_in_one_person",
            passed=not unlinked,
            metadata={
                "new_unit": new_unit_label(unit),
                "records_not_linked": len(unlinked),
                "records": MetadataValue.json(unlinked[:50]),
            },
        ),
        AssetCheckResult(
            check_name="no_pairs_waiting",
            passed=waiting.empty,
            severity=AssetCheckSeverity.WARN,
            metadata={
                "new_unit": new_unit_label(unit),
                "pairs_waiting": len(waiting),
                "items": metadata_table(
                    ["item", "match probability", "left", "right"],
                    [
                        [r.item_id, f"{r.match_probability:.3f}", _side(r.left), _side(r.right)]
                        for r in waiting.itertuples()
                    ],
                ),
            },
        ),
    ]
    return MaterializeResult(metadata=metadata, check_results=checks)
