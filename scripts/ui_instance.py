"""A Dagster instance holding a materialized sample, the webserver on it, and the browser that reads it.

Used by `scripts/screenshots.py` and by `tests/pipelines/test_ui_browser.py` (a script's tool that
a test uses, not a test helper that a script reaches into):

- `build_ui_sample` generates a small batch of born-digital dossiers (no OCR needed) with a couple of
  broken files, so the WARN check `no_quarantined_files` fails with items to show;
- `materialize_sample` runs every former unit through `ingest_former_unit` and every new unit through
  `link_new_unit` on a persistent DagsterInstance in its own DAGSTER_HOME (SQLite storage), so a
  webserver started on the same DAGSTER_HOME reads the same runs, materializations and check results;
- `running_webserver` starts `dagster-webserver` on a free loopback port and stops it afterwards;
- `launch_chromium` starts Debian's chromium (`/usr/bin/chromium`) headless through Playwright (no
  browser download), and `browser_unavailable` says why it cannot when it cannot;
- `capture_archivist_pages` opens the archivist's pages and saves a screenshot and the text of each,
  once the page shows its data (the UI draws placeholders first and fills them as its queries answer:
  the catalog reads "- partitions" until the counts arrive), waited for in the page, never a fixed
  sleep.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
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
    """Generate a batch of born-digital PDFs (text layers, so no OCR), each former commune's staff list
    (.xlsx) and `broken_files` broken files under `root/sample`; returns that folder (its `inbox/` holds one folder per former unit)."""
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
        staff_lists=True,  # each former commune's staff list: the staffing page has people to show
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
    from pipelines.migrate import migrate_database
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
    migrate_database(settings)
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


Shown = str | re.Pattern[str]
"""What a page must show: a text its visible text (`innerText` of the body) contains, or a regular
expression found in it (`re.M`, `re.I` and `re.S` only, and valid in JavaScript too: the browser
evaluates it)."""

_JS_FLAGS = {re.MULTILINE: "m", re.IGNORECASE: "i", re.DOTALL: "s"}

# The page's visible text, as `page.inner_text("body")` returns it, holds every `present` and no
# `absent`: evaluated in the page until true (Playwright's wait_for_function).
_SHOWS_JS = """({present, absent}) => {
  const text = document.body ? document.body.innerText : "";
  const found = (t) => t.source === undefined ? text.includes(t.text) : new RegExp(t.source, t.flags).test(text);
  return present.every(found) && !absent.some(found);
}"""


def shows(text: str, expected: Shown) -> bool:
    """Whether the page text `text` shows `expected` (a text it contains, or a pattern found in it)."""
    return expected.search(text) is not None if isinstance(expected, re.Pattern) else expected in text


def _js(expected: Shown) -> dict[str, str]:
    if isinstance(expected, str):
        return {"text": expected}
    flags = expected.flags & ~re.UNICODE
    if flags & ~(re.MULTILINE | re.IGNORECASE | re.DOTALL):
        raise ValueError(f"only re.M, re.I and re.S can be passed to the browser: {expected!r}")
    return {"source": expected.pattern, "flags": "".join(f for k, f in _JS_FLAGS.items() if flags & k)}


@dataclass(frozen=True)
class Ready:
    """When a page has loaded what it is captured for: its text shows every `present` (the data it was
    opened for, not a placeholder: the UI draws each table and its rows before their data arrives) and
    no `absent` (the UI's loading placeholders)."""

    present: tuple[Shown, ...]
    absent: tuple[Shown, ...] = ()

    def plus(self, present: Iterable[Shown]) -> Ready:
        return Ready((*self.present, *present), self.absent)

    def missing(self, text: str) -> list[Shown]:
        """What `text` lacks or still shows, empty once the page is ready."""
        return [t for t in self.present if not shows(text, t)] + [t for t in self.absent if shows(text, t)]


def _wait_until_ready(page: Any, ready: Ready, timeout_ms: float) -> None:
    """Wait until the page's text shows what `ready` asks for (polled in the page, no fixed sleep);
    raises TimeoutError naming what it still lacks (or still shows) after `timeout_ms`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    arg = {"present": [_js(t) for t in ready.present], "absent": [_js(t) for t in ready.absent]}
    try:
        page.wait_for_function(_SHOWS_JS, arg=arg, polling=100, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        text = page.inner_text("body")
        raise TimeoutError(
            f"{page.url} did not become ready within {timeout_ms / 1000:.0f} s; lacking (or still "
            f"showing a placeholder): {ready.missing(text)!r}; its text:\n{text}"
        ) from None


def _open(page: Any, url: str, ready: Ready, timeout_ms: float) -> None:
    """Go to `url` and wait until the page shows what `ready` asks for (the UI loads in pieces: a
    page's frame, then its tables with placeholders, then their data), then until the network is idle
    (the icons and images of the screenshot; not a sign that the data is there)."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    _wait_until_ready(page, ready, timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)


def _ready_pages(new_unit: str) -> dict[str, Ready]:
    """What each page shows once its data has loaded, whatever the sample."""
    line = re.MULTILINE
    catalog = Ready(
        present=("validated_records", re.compile(r"^\d+ partitions?$", line)),
        # A row whose status has not loaded yet reads "- partitions", an unpartitioned one "Loading...".
        absent=(re.compile(r"^- partitions$", line), re.compile(r"^Loading\.\.\.$", line)),
    )
    entities = Ready(
        present=(
            f"Partition {new_unit} materialized",
            "person records",  # the summary's Markdown, rendered after the metadata's labels
            re.compile(r"blocking rule\s+candidate pairs"),  # the header of each of the three tables
            re.compile(r"person\s+name\s+born\s+records\s+former units\s+linked by"),
            re.compile(r"item\s+match probability\s+left\s+right"),
        )
    )
    check = Ready(
        present=(
            "no_quarantined_files",
            "Latest execution",
            "Evaluation result",
            re.compile(r"file\s+reason\s+detail"),  # the items table
            re.compile(r"^quarantined\n\d+$", line),  # the count
        )
    )
    review = Ready(
        present=(
            f"Partition {new_unit} materialized",
            f"items wait for an archivist in new unit {new_unit}",  # the summary's Markdown
            "sheet_xlsx",
            re.compile(r"kind\s+about\s+score\s+left\s+right\s+item"),  # the items table
        )
    )
    staffing = Ready(
        present=(
            f"Partition {new_unit} materialized",
            re.compile(r"staff \(from \d+ staff records"),  # the summary's Markdown
            re.compile(r"position\s+group\s+planned\s+assigned\s+gap\s+status"),  # the positions table
            "province_balance",
            re.compile(r"person\s+former units\s+former title\s+position\s+age\s+retires\s+problems"),
        )
    )
    return {
        "catalog": catalog,
        "staffing_partition": staffing,
        "entities_partition": entities,
        "entities_partition_tables": entities,
        "failing_check": check,
        "review_queue_partition": review,
        "review_queue_items": review,
    }


def capture_archivist_pages(
    browser: Any,
    base_url: str,
    new_unit: str,
    out_dir: Path,
    timeout_ms: float = 60_000,
    must_show: Mapping[str, Iterable[Shown]] | None = None,
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
      items;
    - `staffing_partition`: the `staffing` materialization of new unit `new_unit`
      (`/assets/staffing?view=events&partition=<new_unit>`): headcount against the quota with its
      rule, the positions table and the people, names masked.

    A page is captured once its data has loaded (every partition count of the catalog, the summaries
    and tables of a materialization, the check's result and items) and shows what `must_show` lists
    for it (by the names above; texts or patterns, see `Shown`); the text of every Shot shows them.
    Raises TimeoutError naming what a page still lacks after `timeout_ms`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    shots: dict[str, Shot] = {}
    extra = {name: tuple(texts) for name, texts in (must_show or {}).items()}
    ready = {
        name: page_ready.plus(extra.pop(name, ())) for name, page_ready in _ready_pages(new_unit).items()
    }
    if extra:
        raise ValueError(f"no such page: {sorted(extra)}")
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Asia/Ho_Chi_Minh")
    try:
        page = context.new_page()

        def save(name: str) -> None:
            # The screenshot and the text are taken once the page is ready, and again should the text
            # read after the screenshot lack something (the UI redrew the page in between).
            deadline = time.monotonic() + timeout_ms / 1000
            while True:
                _wait_until_ready(page, ready[name], max(deadline - time.monotonic(), 0.001) * 1000)
                png = page.screenshot()
                text = page.inner_text("body")
                if not ready[name].missing(text):
                    break
            path = out_dir / f"{name}.png"
            small_png(png, path)
            shots[name] = Shot(url=page.url, text=text, screenshot=path)

        _open(page, f"{base_url}/assets", ready["catalog"], timeout_ms)
        save("catalog")

        _open(
            page,
            f"{base_url}/assets/entities?view=events&partition={new_unit}",
            ready["entities_partition"],
            timeout_ms,
        )
        save("entities_partition")
        # The metadata scrolls inside the event's panel: bring its three tables to the top.
        page.get_by_text("candidate_pairs_by_blocking_rule", exact=True).first.evaluate(
            "el => el.scrollIntoView({block: 'start'})"
        )
        save("entities_partition_tables")

        _open(page, f"{base_url}/assets/dossier_files?view=checks", ready["failing_check"], timeout_ms)
        save("failing_check")

        _open(
            page,
            f"{base_url}/assets/review_queue?view=events&partition={new_unit}",
            ready["review_queue_partition"],
            timeout_ms,
        )
        save("review_queue_partition")
        page.get_by_text("field_crops_rendered", exact=True).first.evaluate(
            "el => el.scrollIntoView({block: 'start'})"
        )
        save("review_queue_items")

        _open(
            page,
            f"{base_url}/assets/staffing?view=events&partition={new_unit}",
            ready["staffing_partition"],
            timeout_ms,
        )
        save("staffing_partition")
    finally:
        context.close()
    return shots
