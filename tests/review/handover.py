"""One former unit's hand-over run end to end for the review tests: its inbox, the project's
definitions on a test database, the review sheet as the linkage job writes it and an archivist fills
it in, and the sheet taken in as the sensors and the `apply_review_sheet` job take it."""

from __future__ import annotations

import csv
from pathlib import Path

from dagster import DagsterInstance, Definitions, RunRequest, build_sensor_context

from pipelines.jobs import apply_review_sheet
from pipelines.sensors import review_follow_ups_sensor, reviews_sensor
from resources import ReviewDesk, UnifiedDatabase
from sapnhap.review.sheet import COLUMNS
from tests import runs


def project(tmp_path: Path, inbox: Path, db_url: str) -> tuple[Definitions, Path]:
    """The definitions over `inbox` and the database at `db_url` (`tests.runs.project`, one OCR worker,
    the OCR cache under `tmp_path`); with the project's home folder (`tmp_path/home`)."""
    home = tmp_path / "home"
    return runs.project(home, inbox, db_url, tmp_path / "ocr-cache"), home


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


def take_in_sheets(
    instance: DagsterInstance, reviews: ReviewDesk, database: UnifiedDatabase
) -> list[RunRequest]:
    """One tick of the reviews sensor, each `apply_review_sheet` run it asks for executed, then the
    first tick of `review_follow_ups_sensor` (started after the runs ended, as a daemon started late);
    returns the runs it asks for. A second tick from its cursor must ask for nothing more."""
    with build_sensor_context(instance=instance, resources={"reviews": reviews}) as context:
        requests = reviews_sensor(context).run_requests
    for request in requests:
        result = apply_review_sheet.execute_in_process(
            run_config=request.run_config,
            instance=instance,
            resources={"reviews": reviews, "database": database},
            tags=request.tags,
        )
        assert result.success
    first = review_follow_ups_sensor(build_sensor_context(instance=instance))
    again = review_follow_ups_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
    assert again.run_requests == [] and (first.cursor is not None) == bool(requests)
    return list(first.run_requests)
