"""A run killed with SIGKILL (kill -9) during OCR, during the register load and during linkage, then
run again: the database equals an uninterrupted run's row for row (times, run ids and surrogate ids
aside), the archive holds no half-written file and every archived file matches its digest, and the
OCR cache holds no damaged entry."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sapnhap.db.session import make_engine
from sapnhap.intake.files import sha256_file
from tests.faults import database_rows
from tests.pipelines.test_concurrent_runs import _empty
from tests.reliability import record
from tests.runs import project

ROOT = Path(__file__).resolve().parents[2]
NEW_UNIT = "14488"


def _command(home: Path, inbox: Path, db_url: str, unit: str, cache: Path, job: str) -> list[str]:
    return [sys.executable, "-m", "tests.faults", str(home), str(inbox), db_url, unit, str(cache), job]


def _run(command: list[str]) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def _run_and_kill(
    command: list[str],
    step: str,
    delay: float,
    ready: Callable[[], bool] = lambda: True,
    act: Callable[[], None] | None = None,
    log: list[str] | None = None,
) -> str:
    """Start the run, SIGKILL it `delay` seconds after it logs the start of `step` and `ready()` holds
    (or call `act` instead and wait for the run to fail on its own); returns the step it was in (the
    last one started). The run's output lines go to `log`."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
        },  # each line as it is written: the step is the current one
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    current, deadline, seen = "", None, []
    started = time.monotonic()
    while time.monotonic() - started < 600:
        try:
            line = lines.get(timeout=0.05)
            seen.append(line)
            if 'Started execution of step "' in line:
                current = line.split('Started execution of step "', 1)[1].split('"', 1)[0]
                if current == step and deadline is None:
                    deadline = time.monotonic() + delay
        except queue.Empty:
            if process.poll() is not None:
                break
        if deadline is not None and time.monotonic() >= deadline and ready():
            if act is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
            else:
                act()
                assert process.wait(timeout=600) != 0, "the run went on as if nothing happened"
                time.sleep(0.5)  # the last lines
                while not lines.empty():
                    seen.append(lines.get())
            if log is not None:
                log.extend(seen)
            return current
    raise AssertionError(
        f"the run ended ({process.poll()}) before it was killed in {step}: {''.join(seen)[-2000:]}"
    )


def _units(inbox: Path) -> list[str]:
    return sorted(p.name for p in inbox.iterdir() if p.is_dir())


def _check_archive_and_cache(home: Path, cache: Path) -> int:
    """No temporary file left in the archive, every archived file matches its name's digest, every
    OCR cache entry parses; returns the number of archived files."""
    archived = [p for p in (home / "archive" / "sha256").rglob("*") if p.is_file()]
    assert [p for p in archived if p.name.endswith(".tmp")] == []
    for path in archived:
        assert sha256_file(path) == path.name
    for entry in cache.rglob("*.json"):
        json.loads(entry.read_text(encoding="utf-8"))
    return len(archived)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("job", "step", "delay"),
    [
        ("ingest_former_unit", "ocr_pages", 0.0),
        ("ingest_former_unit", "record_register", 0.0),
        ("link_new_unit", "entities", 0.5),
    ],
)
def test_a_run_killed_mid_step_and_run_again_equals_an_uninterrupted_one(
    scanned_inbox, db_url, tmp_path, job, step, delay
):
    home, cache = tmp_path / "home", tmp_path / "ocr-cache"
    units = _units(scanned_inbox)
    target = max(units, key=lambda u: len(list((scanned_inbox / u).rglob("*"))))
    project(home, scanned_inbox, db_url, cache)  # migrated first
    if job == "link_new_unit":
        for unit in units:
            _run(_command(home, scanned_inbox, db_url, unit, cache, "ingest_former_unit"))
        target = NEW_UNIT
    # During OCR: once the first page is in the cache, the others still being read.
    ready = (lambda: next(cache.rglob("*.json"), None) is not None) if step == "ocr_pages" else (lambda: True)
    killed_in = _run_and_kill(_command(home, scanned_inbox, db_url, target, cache, job), step, delay, ready)
    assert killed_in == step
    _run(_command(home, scanned_inbox, db_url, target, cache, job))  # run again to the end
    if job == "ingest_former_unit":
        for unit in units:  # and the others, so that both databases hold the whole inbox
            if unit != target:
                _run(_command(home, scanned_inbox, db_url, unit, cache, job))
        _run(_command(home, scanned_inbox, db_url, NEW_UNIT, cache, "link_new_unit"))
    files = _check_archive_and_cache(home, cache)
    engine = make_engine(db_url)
    after_kill = database_rows(engine)
    engine.dispose()
    # The uninterrupted run of the same inbox, on an emptied database and archive.
    _empty(db_url, home)
    project(home, scanned_inbox, db_url, cache)
    for unit in units:
        _run(_command(home, scanned_inbox, db_url, unit, cache, "ingest_former_unit"))
    _run(_command(home, scanned_inbox, db_url, NEW_UNIT, cache, "link_new_unit"))
    engine = make_engine(db_url)
    uninterrupted = database_rows(engine)
    engine.dispose()
    assert len(uninterrupted["person_records"]) >= 10 and len(uninterrupted["persons"]) >= 5
    for table in uninterrupted:
        extra = set(after_kill[table]) - set(uninterrupted[table])
        missing = set(uninterrupted[table]) - set(after_kill[table])
        assert not extra and not missing, (
            table,
            len(extra),
            len(missing),
            sorted(extra)[:2],
            sorted(missing)[:2],
        )
    record(
        f"kill -9 during {step} ({job}, {db_url.split(':')[0]}), then the run again",
        "every table row for row against an uninterrupted run; no temporary file in the archive; each archived file matches its digest; every OCR cache entry parses",
        f"identical ({sum(len(r) for r in uninterrupted.values())} rows, {files} archived files)",
        0,
    )
