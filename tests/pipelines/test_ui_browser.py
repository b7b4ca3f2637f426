"""What an archivist sees in the Dagster UI, read in a real browser (issue 6, "Tested in a real browser").

A session-scoped test instance holds a materialized sample (born-digital dossiers, no OCR, plus two
broken files); `dagster-webserver` runs on it on loopback; Debian's chromium, headless and driven by
Playwright, opens the asset catalog, the `entities` materialization of the sample's new unit, the
failing check `no_quarantined_files` and the `review_queue` materialization of the new unit, and the
test asserts the text on those pages, each read once it shows every text asserted on it (the UI
fills its pages in as its queries answer: waited for in the page, no fixed sleep). Screenshots go to
`tmp_path`, or to the folder named by $SAPNHAP_SCREENSHOTS (`scripts/screenshots.py` writes
`docs/screenshots/` the same way). Without playwright or chromium the test is skipped, or fails when
CI=true.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sapnhap.linkage.model import DEFAULT_THRESHOLDS
from scripts.ui_instance import (
    Shown,
    UiSample,
    browser_unavailable,
    build_ui_sample,
    capture_archivist_pages,
    launch_chromium,
    materialize_sample,
    running_webserver,
    shows,
)

NEW_UNIT = "14488"  # Xã Gia Vân, Tỉnh Ninh Bình: the generator's new unit, its former units merged into it
GROUPS = ("intake", "ocr", "records", "unified_register", "linkage", "staffing")
ASSETS = (
    "dossier_files",
    "ocr_pages",
    "documents",
    "source_records",
    "validated_records",
    "unified_register",
    "record_register",
    "reconciliation",
    "entities",
    "staffing",
    "procedure_backlog",
)


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Skip (locally) or fail (CI=true) when playwright or Debian's chromium is missing."""
    reason = browser_unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test is required when CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ui_sample(browser_ready, tmp_path_factory, linkage_model) -> UiSample:
    """A persistent Dagster instance (own DAGSTER_HOME, SQLite) and SAPNHAP_HOME holding a materialized
    sample: every former unit ingested, every new unit linked."""
    root = tmp_path_factory.mktemp("ui")
    sample = build_ui_sample(root)
    return materialize_sample(sample, root, linkage_model=linkage_model)


@pytest.fixture(scope="session")
def webserver(ui_sample) -> Iterator[str]:
    """Base URL of a `dagster-webserver` on loopback reading the sample's instance."""
    with running_webserver(ui_sample) as base_url:
        yield base_url


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """Where the screenshots go: $SAPNHAP_SCREENSHOTS when set, else the test's tmp_path."""
    named = os.environ.get("SAPNHAP_SCREENSHOTS")
    return Path(named) if named else tmp_path / "screenshots"


def _sample_people(sample: UiSample) -> tuple[list[str], list[str]]:
    """Full names (of more than one word) and personal ID numbers of the generated people."""
    with open(sample.inbox.parent / "ground_truth" / "persons.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    names = [r["full_name"] for r in rows if len(r["full_name"].split()) > 1]
    ids = [r["personal_id"] for r in rows if len(r["personal_id"]) == 12]
    return names, ids


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_archivist_pages_show_the_catalog_a_partitions_metadata_and_a_failing_check(
    ui_sample, webserver, screenshot_dir
):
    from sapnhap.db.models import Person
    from sapnhap.db.session import make_engine
    from sapnhap.linkage.queries import merged_persons
    from sapnhap.review.masking import mask_name
    from sapnhap.review.queue import sheet_rows
    from sapnhap.staffing.picture import staff_records

    assert NEW_UNIT in ui_sample.new_units
    # What the pages must show, from the sample: the persons merged in the new unit and its people's
    # names, the items of its review sheet, and the broken files of the former unit ingested last.
    engine = make_engine(ui_sample.database_url)
    try:
        merged = merged_persons(engine, NEW_UNIT)
        with engine.connect() as conn:
            persons = conn.execute(
                select(Person.full_name).where(
                    Person.new_unit_code == NEW_UNIT, Person.full_name.is_not(None)
                )
            ).scalars()
            unit_names = [n for n in persons if len(n.split()) > 1]
        rows = sheet_rows(engine, NEW_UNIT)
        staff = staff_records(engine, NEW_UNIT)
    finally:
        engine.dispose()
    names, ids = _sample_people(ui_sample)
    # The check's page shows its latest result: that of the former unit ingested last, which holds
    # a broken file (materialize_sample runs those last).
    with open(ui_sample.inbox.parent / "ground_truth" / "files.csv", encoding="utf-8", newline="") as f:
        broken = [
            r
            for r in csv.DictReader(f)
            if r["expected_outcome"] == "quarantined" and r["folder"] == ui_sample.former_units[-1]
        ]
    assert len(merged) >= 1  # the sample has the same person in two former units' archives
    assert unit_names and names and ids
    assert broken
    kinds = {r.kind for r in rows}
    assert "merge_candidate" in kinds

    # Every text asserted below on a page: each page is captured once it shows all of its own (the UI
    # fills its pages in as its queries answer; the catalog reads "- partitions" until the counts come).
    must_show: dict[str, list[Shown]] = {
        # The catalog: every asset with its group, the partitioned ones materialized for every partition.
        "catalog": [
            *ASSETS,
            # each group on a line of its own
            *(re.compile(rf"^\s*{re.escape(group)}\s*$", re.MULTILINE) for group in GROUPS),
            f"{len(ui_sample.former_units)} partitions",  # the former units' assets
            f"{len(ui_sample.new_units)} partitions",  # entities, one per new unit
        ],
        # The entities materialization of the new unit: its summary and its tables, names masked.
        "entities_partition": [
            f"Partition {NEW_UNIT} materialized",
            f"new unit {NEW_UNIT} Xã Gia Vân, Tỉnh Ninh Bình",
            "person records",  # the Markdown summary
            "pairs waiting for review",
            f"auto-merge ≥ {DEFAULT_THRESHOLDS.auto_merge}, review ≥ {DEFAULT_THRESHOLDS.review}",
            # the merged_persons table's header
            *("person", "name", "born", "records", "former units", "linked by"),
            *(mask_name(row.full_name) for row in merged.itertuples()),
            *(row.former_units for row in merged.itertuples()),
        ],
        # The failing WARN check and the quarantined files it lists, each with its reason.
        "failing_check": [
            "no_quarantined_files",
            "non-blocking",
            "Failed",
            "Files that could not be taken in and wait for an archivist.",
            *(row["path"] for row in broken),
            *(row["expected_reason"] for row in broken),
            f"quarantined\n{len(broken)}",
        ],
        # The review sheet of the new unit: how many items wait, where the sheet is, each item masked.
        "review_queue_partition": [
            f"{len(rows)} items wait for an archivist in new unit {NEW_UNIT} Xã Gia Vân, Tỉnh Ninh Bình",
            f"{NEW_UNIT}.xlsx",
            "reviews_folder",
            *(row.item_id for row in rows),
        ],
        # The staffing picture of the new unit: headcount against the quota, each person masked.
        "staffing_partition": [
            f"Partition {NEW_UNIT} materialized",
            f"staff (from {len(staff)} staff records",
            "quota of",
            *(mask_name(n) for n in staff["full_name"] if isinstance(n, str)),
        ],
    }
    assert len(staff) >= 1  # the sample holds staff CVs

    started = time.monotonic()
    with launch_chromium() as browser:
        shots = capture_archivist_pages(browser, webserver, NEW_UNIT, screenshot_dir, must_show=must_show)
    elapsed = time.monotonic() - started

    # Every page was saved as a 1400×900 PNG.
    for name, shot in shots.items():
        data = shot.screenshot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1400, 900)

    assert shots["catalog"].url.endswith("/assets")
    assert shots["entities_partition"].url.endswith(f"/assets/entities?view=events&partition={NEW_UNIT}")
    assert shots["failing_check"].url.endswith("/assets/dossier_files?view=checks")
    assert shots["review_queue_partition"].url.endswith(
        f"/assets/review_queue?view=events&partition={NEW_UNIT}"
    )
    for page, texts in must_show.items():
        for text in texts:
            assert shows(shots[page].text, text), f"{page}: {text!r}"
    lines = {line.strip() for line in shots["catalog"].text.splitlines()}
    assert set(GROUPS) <= lines, set(GROUPS) - lines
    # Each broken file on a row of the check's items, with its reason.
    check_rows = shots["failing_check"].text.splitlines()
    for row in broken:
        assert any(row["path"] in r and row["expected_reason"] in r for r in check_rows), row["path"]

    # Personal data stays masked: no full name nor ID number of the sample's people on the pages
    # (read once they show their tables, so the absence means something).
    text = shots["entities_partition"].text
    for name in {*unit_names, *names}:
        assert name not in text, f"unmasked name {name!r} on the partition page"
    for number in ids:
        assert number not in text, "an unmasked ID number on the partition page"
    review = shots["review_queue_partition"].text
    for name in names:
        assert name not in review, f"unmasked name {name!r} on the review_queue page"
    for number in ids:
        assert number not in review, "an unmasked ID number on the review_queue page"

    staffing = shots["staffing_partition"].text
    for name in {n for n in staff["full_name"] if isinstance(n, str)}:
        assert name not in staffing, f"unmasked name {name!r} on the staffing page"

    assert elapsed < 120, f"the browser part took {elapsed:.0f} s"
