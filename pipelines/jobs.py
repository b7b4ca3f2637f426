"""Jobs: the per-former-unit ingest job materializes intake → OCR → documents → register → reconciliation;
the per-new-unit linkage job builds the new unit's persons from every former unit merged into it; the
review-sheet job takes in one sheet an archivist dropped back (requested by the reviews sensor)."""

from dagster import AssetSelection, Config, OpExecutionContext, define_asset_job, job, op

from assets.operations import DATABASE_POOL
from resources import ReviewDesk, UnifiedDatabase
from sapnhap.review.intake import take_in_sheet

ingest_former_unit = define_asset_job(
    name="ingest_former_unit",
    selection=AssetSelection.groups("intake", "ocr", "records", "unified_register"),
    description="Take in one former unit's hand-over: fixity and archive, OCR, documents, records, load, reconcile.",
)

link_new_unit = define_asset_job(
    name="link_new_unit",
    selection=AssetSelection.groups("linkage", "review", "staffing"),
    description="Link the person records of one new unit into persons with golden records (pairs in doubt go to "
    "the review sheet), then its staffing picture and procedure backlog.",
)


class ReviewSheetConfig(Config):
    """sheet: the file name of a review sheet waiting in the reviews folder (`ReviewDesk.pending`)."""

    sheet: str


FOLLOW_UP_INGEST_TAG = "sapnhap/ingest_former_units"
FOLLOW_UP_LINK_TAG = "sapnhap/link_new_unit"
SHEET_TAG = "sapnhap/review_sheet_sha256"


@op(pool=DATABASE_POOL)
def apply_review_sheet_op(
    context: OpExecutionContext, config: ReviewSheetConfig, reviews: ReviewDesk, database: UnifiedDatabase
) -> None:
    """Check one review sheet whole, store its decisions and file it away (`sapnhap.review.intake`):
    `applied/`, or `rejected/` with every problem listed and nothing stored. What the decisions ask
    to run next is put on this run's tags (FOLLOW_UP_INGEST_TAG: former units to take in again;
    FOLLOW_UP_LINK_TAG: the new unit to link again), which `review_follow_ups_sensor` turns into runs.
    The log names the sheet and counts, never a value from it.

    Raises:
        FileNotFoundError: the sheet is not waiting in the reviews folder (taken in already).
    """
    sheet = reviews.pending_sheet(config.sheet)
    outcome = take_in_sheet(sheet, database.engine, reviews.file_away)
    context.log.info(outcome.message)
    tags = {SHEET_TAG: outcome.sheet_sha256}
    if outcome.ingest:
        tags[FOLLOW_UP_INGEST_TAG] = ",".join(outcome.ingest)
    if outcome.link:
        tags[FOLLOW_UP_LINK_TAG] = outcome.link
    context.instance.add_run_tags(context.run_id, tags)
    needed = [f"ingest_former_unit for former unit {code}" for code in outcome.ingest]
    needed += [f"link_new_unit for new unit {outcome.link}"] if outcome.link else []
    if needed:
        context.log.info(
            "follow-up runs needed for these decisions to take effect: "
            + "; ".join(needed)
            + " (review_follow_ups_sensor requests them once a Dagster daemon runs; without one, "
            "launch them from the UI (the job's partition) or with `dagster job execute -m pipelines.definitions -j "
            '<job> --tags \'{"dagster/partition": "<code>"}\'`)'
        )
    if outcome.problems:
        context.log.warning(f"review sheet {sheet.name}: {len(outcome.problems)} problems, nothing applied")


@job(
    description="Take in one review sheet an archivist dropped back: checked whole, its decisions stored and "
    "the sheet filed away in one step, safe to run again (a sheet already stored is only filed)."
)
def apply_review_sheet() -> None:
    """One op: `apply_review_sheet_op`."""
    apply_review_sheet_op()
