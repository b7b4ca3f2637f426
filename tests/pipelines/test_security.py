"""No credential leaves the database resource: after real runs on PostgreSQL with a password set, the
password is in no file the runs wrote (event log, archive, reports, review sheets, warehouse), no row
of the unified database (provenance included), no run config, event or resource config the UI shows;
and a review sheet's name cannot point outside the reviews folder."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from dagster import DagsterInstance
from sqlalchemy import inspect, select, text

from resources import ReviewDesk
from sapnhap.db.session import make_engine
from sapnhap.samples.generator import PROFILES, GeneratorConfig, generate
from tests.reliability import record
from tests.runs import project

SECRET = "pw-7f3a9c-never-logged"  # trust authentication ignores it: the runs connect all the same


def _files_holding(root: Path, needle: bytes) -> list[str]:
    """Every file under `root` whose bytes contain `needle` (any encoding of text files, SQLite and
    Parquet included: the needle is ASCII)."""
    return [
        str(p.relative_to(root)) for p in sorted(root.rglob("*")) if p.is_file() and needle in p.read_bytes()
    ]


@pytest.mark.slow
@pytest.mark.postgres
def test_no_credential_in_a_log_the_ui_or_a_provenance_row(pg_database_url, tmp_path, monkeypatch, capfd):
    profile = {
        **dataclasses.asdict(PROFILES["clean"]),
        "name": "digital",
        "format_weights": {"pdf_digital": 1.0},
    }
    (tmp_path / "digital.json").write_text(json.dumps(profile), encoding="utf-8")
    generate(
        GeneratorConfig(
            dossiers=8, seed=5, profile=str(tmp_path / "digital.json"), staff_lists=True, workers=1
        ),
        tmp_path / "sample",
    )
    inbox = tmp_path / "sample" / "inbox"
    monkeypatch.setenv("SAPNHAP_DATABASE_PASSWORD", SECRET)
    engine = make_engine(pg_database_url)
    with engine.begin() as conn:  # an empty schema (the session's database is shared by the tests)
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    home = tmp_path / "home"
    defs = project(home, inbox, pg_database_url, tmp_path / "ocr-cache")
    # The resource the UI shows names the variable, never its value.
    database = defs.resources["database"]
    assert SECRET not in repr(database) and "SAPNHAP_DATABASE_PASSWORD" in repr(database)
    assert SECRET in database.full_url()  # the password does reach the engine
    ingest, link = defs.resolve_job_def("ingest_former_unit"), defs.resolve_job_def("link_new_unit")
    formers = sorted(p.name for p in inbox.iterdir() if p.is_dir())
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster_home")) as instance:
        instance.add_dynamic_partitions("former_units", formers)
        for former in formers:
            assert ingest.execute_in_process(partition_key=former, instance=instance).success
        new_units = instance.get_dynamic_partitions("new_units")
        assert new_units
        for unit in new_units:
            assert link.execute_in_process(partition_key=unit, instance=instance).success
        runs = instance.get_runs()
        assert len(runs) == len(formers) + len(new_units)
        for run in runs:
            assert SECRET not in json.dumps(run.run_config, default=str)
            for entry in instance.all_logs(run.run_id):
                assert SECRET not in str(entry), entry.dagster_event_type
    output = capfd.readouterr()
    assert SECRET not in output.out and SECRET not in output.err
    # No file the runs wrote (Dagster's event log and storage, the archive, OCR cache, reports, review
    # sheets, warehouse) holds it.
    assert _files_holding(tmp_path, SECRET.encode()) == []
    assert len(_files_holding(home, b"%PDF-")) >= 8  # the search reads the archive's files
    assert (home / "reports").is_dir() and (home / "review_queue").is_dir()  # they were written
    # No row of the unified database, provenance events included.
    found, rows = [], 0
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(select(text("*")).select_from(text(f'"{table}"'))):
                rows += 1
                if SECRET in str(tuple(row)):
                    found.append(table)
        assert conn.execute(text("SELECT count(*) FROM provenance_events")).scalar_one() > 0
    engine.dispose()
    assert rows > 100 and found == []
    record(
        "a database password set for runs on PostgreSQL",
        "every event and run config of the runs, every file they wrote, every row of the unified database",
        f"password found nowhere ({rows} rows, {len(runs)} runs searched)",
        0,
    )


def test_a_review_sheet_name_cannot_leave_the_reviews_folder(tmp_path):
    reviews = tmp_path / "reviews"
    reviews.mkdir()
    outside = tmp_path / "secret.csv"
    outside.write_text("item_id\n", encoding="utf-8")
    (reviews / "14488.csv").write_text("item_id\n", encoding="utf-8")
    desk = ReviewDesk(sheets_dir=str(tmp_path / "sheets"), reviews_dir=str(reviews))
    assert desk.pending_sheet("14488.csv") == reviews / "14488.csv"
    for name in ("../secret.csv", str(outside), "applied/../../secret.csv", "./14488.csv", "", ".", ".."):
        with pytest.raises(FileNotFoundError):
            desk.pending_sheet(name)
    # Filing away keeps the sheet's own name under applied/ or rejected/, never a path it carries.
    moved = desk.file_away(reviews / "14488.csv", "rejected", ["row 2: unknown item ../../x"])
    assert moved.parent == reviews / "rejected" and moved.name.endswith("-14488.csv")
    assert outside.read_text(encoding="utf-8") == "item_id\n"
