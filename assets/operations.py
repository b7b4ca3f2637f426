"""Who owns each asset and which concurrency pool its step draws from: one name each, everywhere.

Owners (shown in the UI's catalog): `DATA_ENGINEERS` run the intake, OCR, extraction and loading;
`ARCHIVISTS` own what needs a human: persons and their review, the reconciliation they sign off.

Pools (Dagster's pool concurrency, `concurrency.pools` in the instance's `dagster.yaml`): `OCR_POOL`
for the Tesseract-bound step (each step already runs `SAPNHAP_OCR_WORKERS` processes, so a limit of
one or two steps per machine keeps many former units' runs from oversubscribing the cores);
`DATABASE_POOL` for the steps that write the unified database (SQLite takes one writer at a time;
PostgreSQL's connections are finite). Without a configured limit a pool does not restrict anything.
"""

DATA_ENGINEERS = "team:data-engineering"
ARCHIVISTS = "team:archivists"
OCR_POOL = "ocr"
DATABASE_POOL = "database_writes"
COMMUNE_OFFICE = "team:commune-office"
"""Owner of the new commune's staffing picture and procedure backlog (the office that reads them)."""
