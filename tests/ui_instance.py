"""A Dagster instance holding a materialized sample, the webserver on it, and the browser that reads it.

Shared by `tests/pipelines/test_ui_browser.py` and `scripts/screenshots.py`:

- `build_ui_sample` generates a small batch of born-digital dossiers (no OCR needed) with a couple of
  broken files, so the WARN check `no_quarantined_files` fails with items to show;
- `materialize_sample` runs every former unit through `ingest_former_unit` and every new unit through
  `link_new_unit` on a persistent DagsterInstance in its own DAGSTER_HOME (SQLite storage), so a
  webserver started on the same DAGSTER_HOME reads the same runs, materializations and check results;
- `running_webserver` starts `dagster-webserver` on a free loopback port and stops it afterwards;
- `launch_chromium` starts Debian's chromium (`/usr/bin/chromium`) headless through Playwright (no
  browser download), and `browser_unavailable` says why it cannot when it cannot.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("SAPNHAP_CHROMIUM", "/usr/bin/chromium"))
VIEWPORT = {"width": 1400, "height": 900}
# Flags from the machine notes: without the background-networking ones chromium keeps dialling
# Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class UiSample:
    """A materialized sample: where it lives and what was run on it."""

    root: Path
    dagster_home: Path
    sapnhap_home: Path
    inbox: Path
    database_url: str
    former_units: list[str]
    new_units: list[str]

    def environ(self) -> dict[str, str]:
        """The environment a webserver (or any Dagster process) needs to see this sample."""
        return {
            "DAGSTER_HOME": str(self.dagster_home),
            "SAPNHAP_HOME": str(self.sapnhap_home),
            "SAPNHAP_INBOX": str(self.inbox),
            "SAPNHAP_DATABASE_URL": self.database_url,
        }


def build_ui_sample(root: Path, dossiers: int = 16, broken_files: int = 2, seed: int = 11) -> Path:
    """Generate a batch of born-digital PDFs (text layers, so no OCR) plus `broken_files` broken
    files under `root/sample`; returns that folder (its `inbox/` holds one folder per former unit)."""
    from sapnhap.samples.generator import PROFILES, GeneratorConfig, generate

    root.mkdir(parents=True, exist_ok=True)
    profile = {
        **dataclasses.asdict(PROFILES["clean"]),
        "name": "digital",
        "format_weights": {"pdf_digital": 1.0},
    }
    (root / "digital.json").write_text(json.dumps(profile), encoding="utf-8")
    config = GeneratorConfig(
        dossiers=dossiers,
        seed=seed,
        profile=str(root / "digital.json"),
        exact_duplicates=0,
        broken_files=broken_files,
        workers=1,
    )
    generate(config, root / "sample")
    return root / "sample"


def materialize_sample(sample: Path, root: Path, linkage_model: Path | None = None) -> UiSample:
    """Run every former unit of `sample/inbox` through `ingest_former_unit`, then every new unit its
    records were routed to through `link_new_unit`, on a persistent instance in `root/dagster_home`.

    `linkage_model` is copied to `$SAPNHAP_HOME/models/linkage_model.json`; without it the model
    shipped in `sapnhap/reference` is used. Raises AssertionError when a run fails.
    """
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from resources import ProjectSettings

    dagster_home = root / "dagster_home"
    sapnhap_home = root / "sapnhap_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    # No telemetry (nothing leaves the machine) and no "join the community" dialog over the pages.
    (dagster_home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nnux:\n  enabled: false\n", encoding="utf-8"
    )
    if linkage_model is not None:
        (sapnhap_home / "models").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(linkage_model, sapnhap_home / "models" / "linkage_model.json")
    inbox = sample / "inbox"
    database_url = f"sqlite:///{sapnhap_home / 'sapnhap.db'}"
    settings = ProjectSettings.from_env(
        {"SAPNHAP_HOME": str(sapnhap_home), "SAPNHAP_INBOX": str(inbox), "SAPNHAP_DATABASE_URL": database_url}
    )
    defs = build_definitions(settings)
    ingest, link = defs.resolve_job_def("ingest_former_unit"), defs.resolve_job_def("link_new_unit")
    units = _ingest_order(sample)
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("former_units", units)
        for unit in units:
            result = ingest.execute_in_process(partition_key=unit, instance=instance, raise_on_error=False)
            assert result.success, f"ingest_former_unit failed for former unit {unit}"
        # record_register added one partition per new unit the records were routed to.
        new_units = sorted(instance.get_dynamic_partitions("new_units"))
        for code in new_units:
            result = link.execute_in_process(partition_key=code, instance=instance, raise_on_error=False)
            assert result.success, f"link_new_unit failed for new unit {code}"
    return UiSample(
        root=root,
        dagster_home=dagster_home,
        sapnhap_home=sapnhap_home,
        inbox=inbox,
        database_url=database_url,
        former_units=units,
        new_units=new_units,
    )


def _ingest_order(sample: Path) -> list[str]:
    """The former units of `sample/inbox`, those holding a file the generator broke last, so that the
    latest result of the per-asset check `no_quarantined_files` (what its page shows first) is a
    failure with items."""
    import csv

    units = sorted(p.name for p in (sample / "inbox").iterdir() if p.is_dir())
    with open(sample / "ground_truth" / "files.csv", encoding="utf-8", newline="") as f:
        broken = {row["folder"] for row in csv.DictReader(f) if row["expected_outcome"] == "quarantined"}
    return sorted(units, key=lambda unit: (unit in broken, unit))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _webserver_command() -> list[str]:
    exe = Path(sys.executable).with_name("dagster-webserver")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dagster_webserver"]


@contextmanager
def running_webserver(sample: UiSample, timeout: float = 120.0) -> Iterator[str]:
    """Start `dagster-webserver -w workspace.yaml` from the repository root on a free loopback port
    with the sample's environment; yield its base URL once `GET /server_info` answers; stop it after.

    Raises RuntimeError (with the server's output) when it exits or does not answer within `timeout`.
    """
    port = free_port()
    log = sample.root / f"webserver-{port}.log"
    # This checkout's code, whatever checkout the shared venv's editable install points at.
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, **sample.environ(), "PYTHONPATH": pythonpath}
    cmd = [*_webserver_command(), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited with {proc.returncode}:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"dagster-webserver did not answer {base}/server_info within {timeout:.0f} s:\n{_tail(log)}"
                )
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def browser_unavailable() -> str | None:
    """Why the browser test cannot run here (playwright or Debian's chromium missing), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (Debian's chromium: apt-get install chromium, or make test as root)"
    return None


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class Shot:
    """One page as the browser showed it: its URL, its visible text and the screenshot saved of it."""

    url: str
    text: str
    screenshot: Path


def small_png(data: bytes, path: Path, colours: int = 128) -> None:
    """Write the PNG `data` to `path` with a palette of `colours` (the UI is flat colours: about a
    third of the size, no visible change)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        palette = image.convert("RGB").quantize(
            colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        palette.save(path, format="PNG", optimize=True)


def _open(page: Any, url: str, ready: list[str], timeout_ms: float) -> None:
    """Go to `url` and wait until every text of `ready` is on the page (the UI loads in pieces)."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    for text in ready:
        page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)


def capture_archivist_pages(
    browser: Any, base_url: str, new_unit: str, out_dir: Path, timeout_ms: float = 60_000
) -> dict[str, Shot]:
    """Open the pages an archivist uses and save a 1400×900 PNG of each in `out_dir`.

    - `catalog`: the asset catalog (`/assets`), every asset with its group and partition status;
    - `entities_partition`: the `entities` materialization of new unit `new_unit`
      (`/assets/entities?view=events&partition=<new_unit>`) with its summary at the top;
    - `entities_partition_tables`: the same page scrolled to its tables (merged persons, pairs waiting);
    - `failing_check`: the check `no_quarantined_files` of `dossier_files`
      (`/assets/dossier_files?view=checks`), its latest result and the quarantined files it lists;
    - `review_queue_partition`: the `review_queue` materialization of new unit `new_unit`
      (`/assets/review_queue?view=events&partition=<new_unit>`): how many items wait, where the sheet
      is, and the items, personal data masked; `review_queue_items`: the same page scrolled to its
      items.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    shots: dict[str, Shot] = {}
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Asia/Ho_Chi_Minh")
    try:
        page = context.new_page()

        def save(name: str) -> None:
            path = out_dir / f"{name}.png"
            small_png(page.screenshot(), path)
            shots[name] = Shot(url=page.url, text=page.inner_text("body"), screenshot=path)

        _open(page, f"{base_url}/assets", ["validated_records", "partitions"], timeout_ms)
        save("catalog")

        _open(
            page,
            f"{base_url}/assets/entities?view=events&partition={new_unit}",
            [f"Partition {new_unit} materialized", "merged_persons"],
            timeout_ms,
        )
        save("entities_partition")
        # The metadata scrolls inside the event's panel: bring its three tables to the top.
        page.get_by_text("candidate_pairs_by_blocking_rule", exact=True).first.evaluate(
            "el => el.scrollIntoView({block: 'start'})"
        )
        save("entities_partition_tables")

        _open(
            page,
            f"{base_url}/assets/dossier_files?view=checks",
            ["no_quarantined_files", "Latest execution", "quarantined"],
            timeout_ms,
        )
        save("failing_check")

        _open(
            page,
            f"{base_url}/assets/review_queue?view=events&partition={new_unit}",
            [f"Partition {new_unit} materialized", "wait for an archivist", "sheet_xlsx"],
            timeout_ms,
        )
        save("review_queue_partition")
        page.get_by_text("field_crops_rendered", exact=True).first.evaluate(
            "el => el.scrollIntoView({block: 'start'})"
        )
        save("review_queue_items")
    finally:
        context.close()
    return shots
