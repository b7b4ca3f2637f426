"""The review queue: what waits for an archivist in a new unit, written out as a spreadsheet to decide in."""

from pathlib import Path

from dagster import AssetDep, AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.metadata import metadata_table
from assets.operations import ARCHIVISTS, DATABASE_POOL
from assets.partitions import new_units
from resources import CommuneOffice, DossierStore, OcrEngine, ReviewDesk, UnifiedDatabase
from sapnhap.reference.units import new_unit_label
from sapnhap.review.images import render_field_images, render_page_images
from sapnhap.review.queue import (
    attach_images,
    item_states,
    refresh_review_items,
    review_pages,
    sheet_rows,
    uncertain_field_boxes,
)
from sapnhap.review.sheet import write_sheet


@asset(
    partitions_def=new_units,
    group_name="review",
    kinds={"excel", "csv"},
    pool=DATABASE_POOL,
    owners=[ARCHIVISTS],
    deps=[AssetDep("entities")],
)
def review_queue(
    context: AssetExecutionContext,
    database: UnifiedDatabase,
    reviews: ReviewDesk,
    store: DossierStore,
    ocr: OcrEngine,
    office: CommuneOffice,
) -> MaterializeResult:
    """The review sheet of one new unit: every open item waiting for an archivist, with its evidence
    and empty decision columns (accept, reject, corrected value, release, note, reviewer), as XLSX and
    CSV. Fill it in and drop it into the reviews folder: the reviews sensor checks the whole sheet,
    records each decision with who made it and why, and runs the linkage again to apply them.

    Three kinds of items: a merge candidate (two records that may be one person: accept or reject),
    an uncertain field (read by OCR with low confidence or with repaired diacritics: accept, or write
    the right value) and a validation failure (a quarantined record: release it, correct a field as
    `field = value`, or reject to keep it in quarantine; a quarantined file its former unit handed
    over: release it to have it read as it is, or reject to keep it in quarantine until a new copy
    comes). A decided item is never asked again. For each
    uncertain field the page image and the field's crop, as the OCR saw them, are rendered into the
    archive (`<archive>/review/`) and named in the sheet; so is the page of a quarantined record's
    document and the page of each side of a merge candidate (an OCR'd page as the OCR saw it, a
    born-digital page rendered from its PDF).
    """
    unit = context.partition_key
    refreshed = refresh_review_items(database.engine, unit, today=office.day())  # the reports' day
    review_dir = Path(store.archive_dir) / "review"
    # The page and the field as the OCR saw them, rendered into the archive for each uncertain field.
    images = render_field_images(uncertain_field_boxes(database.engine, unit), review_dir, ocr.settings())
    # The page of each quarantined record and of each side of a merge candidate.
    pages = render_page_images(review_pages(database.engine, unit), review_dir, ocr.settings())
    attach_images(database.engine, {item: found.paths() for item, found in images.items()} | pages)
    rows = sheet_rows(database.engine, unit)
    states = item_states(database.engine, unit)
    xlsx, csv = reviews.sheet_paths(unit)
    write_sheet(rows, xlsx, csv)
    Path(reviews.reviews_dir).mkdir(parents=True, exist_ok=True)  # where the filled sheet is dropped
    by_kind: dict[str, int] = {}
    for row in rows:
        by_kind[row.kind] = by_kind.get(row.kind, 0) + 1
    context.log.info(f"review sheet of new unit {unit}: {len(rows)} open items")
    return MaterializeResult(
        metadata={
            "new_unit": new_unit_label(unit),
            "summary": MetadataValue.md(
                f"**{len(rows)} items wait for an archivist** in {new_unit_label(unit)}"
                + (
                    ": " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(by_kind.items()))
                    if rows
                    else ""
                )
                + f". Sheet: `{xlsx}` (and `{csv.name}`); drop the filled sheet into `{reviews.reviews_dir}`."
            ),
            "open_items": len(rows),
            "items_opened_this_run": refreshed["opened"],
            "items_withdrawn_this_run": refreshed["withdrawn"],
            "sheet_xlsx": MetadataValue.path(str(xlsx)),
            "sheet_csv": MetadataValue.path(str(csv)),
            "reviews_folder": MetadataValue.path(reviews.reviews_dir),
            "field_images": MetadataValue.path(str(Path(store.archive_dir) / "review")),
            "field_crops_rendered": len(images),
            "page_images_rendered": len({p for found in pages.values() for p in found.values()}),
            "items": metadata_table(
                # The evidence first; the item id (as in the sheet's first column) last, as it is long.
                ["kind", "about", "score", "left", "right", "item"],
                [
                    [
                        r.kind.replace("_", " "),
                        (states[r.item_id].field if r.item_id in states else "")
                        or {"file": "a file", "record": "a record", "merge": "a pair"}.get(
                            r.item_id.split(":")[0], ""
                        ),
                        r.score,
                        r.left_masked,
                        r.right_masked,
                        r.item_id,
                    ]
                    for r in rows
                ],
            ),
        }
    )
