"""Jobs: the per-former-unit ingest job materializes intake → OCR → documents → register → reconciliation."""

from dagster import AssetSelection, define_asset_job

ingest_former_unit = define_asset_job(
    name="ingest_former_unit",
    selection=AssetSelection.groups("intake", "ocr", "records", "unified_register"),
    description="Take in one former unit's hand-over: fixity and archive, OCR, documents, records, load, reconcile.",
)
