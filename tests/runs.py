"""Running the project's jobs in tests: one way to build the definitions of a test inbox and database,
and one way to read a run's check results."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetCheckEvaluation, Definitions, ExecuteInProcessResult

from pipelines.definitions import build_definitions
from pipelines.migrate import migrate_database
from resources import ProjectSettings


def project(
    home: Path,
    inbox: Path,
    db_url: str | None = None,
    ocr_cache: Path | None = None,
    ocr_workers: int = 1,
    ocr_replay: Path | None = None,
    archive: Path | None = None,
) -> Definitions:
    """The project's definitions over `inbox` (a folder per former unit) with `home` as SAPNHAP_HOME,
    the database at `db_url` (default: SQLite under `home`) migrated first, the OCR cache at
    `ocr_cache` (default under `home`) and `ocr_workers` Tesseract processes; with `ocr_replay`, pages
    are replayed from that recording (`sapnhap.ocr.replay`) and Tesseract is not run."""
    env = {"SAPNHAP_HOME": str(home), "SAPNHAP_INBOX": str(inbox), "SAPNHAP_OCR_WORKERS": str(ocr_workers)}
    if db_url:
        env["SAPNHAP_DATABASE_URL"] = db_url
    if ocr_replay:
        env["SAPNHAP_OCR_REPLAY"] = str(ocr_replay)
    if archive:
        env["SAPNHAP_ARCHIVE"] = str(archive)
    settings = ProjectSettings.from_env(env)
    migrate_database(settings)
    return build_definitions(settings, ocr_cache_dir=ocr_cache or home / "ocr-cache")


def check_evaluations(result: ExecuteInProcessResult) -> dict[str, AssetCheckEvaluation]:
    """Check name → its evaluation (passed, severity, metadata) for every check the run evaluated."""
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
