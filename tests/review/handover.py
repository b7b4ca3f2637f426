"""One former unit's hand-over run end to end for the review tests: its inbox, the project's
definitions on a test database, and the review sheet as the linkage job writes it and an archivist
fills it in."""

from __future__ import annotations

import csv
from pathlib import Path

from dagster import Definitions

from pipelines.definitions import build_definitions
from pipelines.migrate import migrate_database
from resources import ProjectSettings
from sapnhap.review.sheet import COLUMNS


def project(tmp_path: Path, inbox: Path, db_url: str) -> tuple[Definitions, Path]:
    """The definitions over `inbox` (a folder per former unit) and the database at `db_url`, one OCR
    worker, the OCR cache under `tmp_path`; with the project's home folder (`tmp_path/home`)."""
    home = tmp_path / "home"
    settings = ProjectSettings.from_env(
        {
            "SAPNHAP_HOME": str(home),
            "SAPNHAP_INBOX": str(inbox),
            "SAPNHAP_DATABASE_URL": db_url,
            "SAPNHAP_OCR_WORKERS": "1",
        }
    )
    migrate_database(settings)
    return build_definitions(settings, ocr_cache_dir=tmp_path / "ocr-cache"), home


def read_sheet(home: Path, unit: str) -> dict[str, dict[str, str]]:
    """The review sheet the linkage job wrote for new unit `unit`: item id → row."""
    with (home / "review_queue" / f"{unit}.csv").open(encoding="utf-8-sig") as handle:
        return {r["item_id"]: r for r in csv.DictReader(handle)}


def write_sheet(path: Path, rows: list[dict[str, str]]) -> None:
    """A filled-in review sheet at `path`: the sheet's columns, `rows` under them."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
