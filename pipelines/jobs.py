"""Jobs: the per-former-unit ingest job materializes intake → OCR → documents → register → reconciliation;
the per-new-unit linkage job builds the new unit's persons from every former unit merged into it."""

from dagster import AssetSelection, define_asset_job

ingest_former_unit = define_asset_job(
    name="ingest_former_unit",
    selection=AssetSelection.groups("intake", "ocr", "records", "unified_register"),
    description="Take in one former unit's hand-over: fixity and archive, OCR, documents, records, load, reconcile.",
)

link_new_unit = define_asset_job(
    name="link_new_unit",
    selection=AssetSelection.groups("linkage", "review"),
    description="Link the person records of one new unit into persons with golden records; pairs in doubt go to the review sheet.",
)
