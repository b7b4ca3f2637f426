"""sapnhap: domain logic for migrating Vietnamese local-government archives after the 2025 merger.

No Dagster import anywhere in this package. One stage, one package, the same name on every floor
(`assets/<stage>.py`, `tests/<stage>/`):

- `sapnhap.intake`: a former unit's hand-over in: fixity (SHA-256), type from the bytes, page count,
  content-addressed archive, duplicates, quarantine (`files`, `handover`).
- `sapnhap.ocr`: per page, the PDF text layer when it is real text, else Tesseract `vie`
  (`pdf`, `images`, `page` — the shapes every later stage reads —, `pages`, `engine`, `colour`, `geometry`).
- `sapnhap.documents`: pages grouped into documents, each typed from its title (`titles`).
- `sapnhap.records`: fields extracted (`extract`, `templates`, `reread`, `vocabulary`), normalised
  (`normalise`), validated (`rules`) and routed to the new unit (`routing`); the stage's tables (`tables`).
- `sapnhap.linkage`: the same person across former units: the Splink model (`model`), persons and
  golden records of a new unit (`persons`).
- `sapnhap.review`: archivists' review: the sheet (`sheet`), decisions back into the database
  (`decisions`), page images and field crops (`images`), masking of personal data (`masking`).
- `sapnhap.db`: the unified database: models, session and migrations, idempotent loads.
- `sapnhap.evaluation`: the scoreboard against a generated batch's ground truth (`scores`), FEBRL (`febrl`).
- `sapnhap.reference`: what every stage reads: administrative units and the old→new mapping
  (`units`), the personal ID number (`personal_id`), the shipped linkage model.
- `sapnhap.samples`: the generator of dossiers with ground truth (tests, `make evaluate`, `make bench`).
- `sapnhap.text`: Vietnamese text rules shared by all stages (NFC, diacritic folding, CER).

Imports run down the list's dependencies: a stage imports `text`, `reference`, `ocr.page` and earlier
stages, never a later one.
"""

__version__ = "0.1.0"
