"""The same former unit launched twice at once (two processes, one database, one archive): both runs
finish, and the unified database holds exactly what one run alone writes, row for row."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from sapnhap.db.session import make_engine
from sapnhap.samples.generator import PROFILES, GeneratorConfig, generate
from tests.faults import assert_same_rows, database_rows
from tests.reliability import record
from tests.runs import project

ROOT = Path(__file__).resolve().parents[2]


def _digital_sample(root: Path) -> Path:
    profile = {
        **dataclasses.asdict(PROFILES["clean"]),
        "name": "digital",
        "format_weights": {"pdf_digital": 1.0},
    }
    (root / "digital.json").write_text(json.dumps(profile), encoding="utf-8")
    config = GeneratorConfig(
        dossiers=16, seed=7, profile=str(root / "digital.json"), exact_duplicates=2, broken_files=2, workers=1
    )
    generate(config, root / "sample")
    return root / "sample" / "inbox"


def _empty(db_url: str, home: Path) -> None:
    """The database emptied (SQLite: its file removed; PostgreSQL: a fresh schema), the home removed."""
    if db_url.startswith("sqlite"):
        Path(db_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        engine = make_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    subprocess.run(["rm", "-rf", str(home / "archive"), str(home / "warehouse")], check=True)


def _launch(home: Path, inbox: Path, db_url: str, unit: str, cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults", str(home), str(inbox), db_url, unit, str(cache)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_the_same_former_unit_launched_twice_at_once(db_url, tmp_path):
    inbox = _digital_sample(tmp_path)
    unit = max((p for p in inbox.iterdir() if p.is_dir()), key=lambda p: len(list(p.rglob("*")))).name
    home, cache = tmp_path / "home", tmp_path / "ocr-cache"
    # One run alone: the reference.
    project(home, inbox, db_url, cache)  # migrates the database first, as `make migrate` does
    alone = _launch(home, inbox, db_url, unit, cache)
    assert alone.wait(timeout=600) == 0, alone.stdout.read()[-3000:]
    engine = make_engine(db_url)
    reference = database_rows(engine)
    engine.dispose()
    assert len(reference["file_sources"]) >= 5 and len(reference["person_records"]) >= 5
    # The same unit twice at once on an empty database and archive.
    _empty(db_url, home)
    project(home, inbox, db_url, cache)
    pair = [_launch(home, inbox, db_url, unit, cache) for _ in range(2)]
    codes = [p.wait(timeout=600) for p in pair]
    logs = [p.stdout.read() for p in pair]
    for log in logs:
        assert (
            "database is locked" not in log and "UniqueViolation" not in log and "IntegrityError" not in log
        )
    assert codes == [0, 0], [log[-3000:] for log in logs]
    engine = make_engine(db_url)
    twice = database_rows(engine)
    engine.dispose()
    assert_same_rows(reference, twice)
    record(
        f"the same former unit launched twice at once ({db_url.split(':')[0]}: two processes, one database and archive)",
        "both runs' exit status; no 'database is locked' or duplicate-key error; every table row for row against one run alone (times and surrogate ids aside)",
        f"both succeeded; {sum(len(r) for r in twice.values())} rows identical",
        0,
    )
