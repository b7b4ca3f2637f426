"""`make screenshots`: regenerate docs/screenshots/*.png, the archivist's pages of the Dagster UI.

Does what tests/pipelines/test_ui_browser.py does, the same way (scripts/ui_instance.py): a generated batch of
born-digital dossiers with two broken files, every former unit ingested and every new unit linked on
a Dagster instance in a temporary folder (linkage model trained on 5,000 generated records, as the
tests' `linkage_model` fixture does), `dagster-webserver` on loopback, Debian's chromium headless
through Playwright, each page saved once it shows its data, not the UI's loading placeholders; writes
catalog.png, entities_partition.png, entities_partition_tables.png,
failing_check.png, review_queue_partition.png, review_queue_items.png and staffing_partition.png
(1400×900), and the staffing asset's chart as staffing_chart.png, into $SAPNHAP_SCREENSHOTS, or
docs/screenshots by default.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scripts.ui_instance import (  # noqa: E402 - after the repository root is on sys.path
    browser_unavailable,
    build_ui_sample,
    capture_archivist_pages,
    launch_chromium,
    materialize_sample,
    running_webserver,
)

NEW_UNIT = "14488"


def train_model(out: Path) -> Path:
    """A linkage model trained on 5,000 generated records (records-only mode, fixed seed), saved as
    the pipeline saves it; the same model as the tests' `linkage_model` fixture."""
    import pandas as pd

    from sapnhap.linkage.features import linkage_features
    from sapnhap.linkage.model import save_model, train_linker
    from sapnhap.samples.records import RecordsConfig, write_records

    out.mkdir(parents=True, exist_ok=True)
    write_records(RecordsConfig(records=5000), out)
    records = pd.read_parquet(out / "records.parquet")
    path = out / "model.json"
    save_model(train_linker(linkage_features(records)), path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Build the sample, serve it, save the screenshots; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = os.environ.get("SAPNHAP_SCREENSHOTS") or str(REPO / "docs" / "screenshots")
    parser.add_argument("--out", type=Path, default=Path(default_out), help=f"folder (default {default_out})")
    args = parser.parse_args(argv)
    reason = browser_unavailable()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 1
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sapnhap-screenshots-") as tmp:
        root = Path(tmp)
        model = train_model(root / "model")
        sample = materialize_sample(build_ui_sample(root), root, linkage_model=model)
        print(f"sample materialized: former units {sample.former_units}, new units {sample.new_units}")
        with running_webserver(sample) as base_url, launch_chromium() as browser:
            shots = capture_archivist_pages(browser, base_url, NEW_UNIT, args.out)
        # The staffing chart the staffing asset wrote for the commune office, beside the UI's pages.
        chart = sample.sapnhap_home / "reports" / NEW_UNIT / "staffing.png"
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "staffing_chart.png").write_bytes(chart.read_bytes())
    for shot in shots.values():
        size = shot.screenshot.stat().st_size
        print(f"{shot.screenshot}  {size / 1024:.0f} KiB  /{shot.url.split('/', 3)[3]}")
    print(f"{len(shots)} screenshots in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
