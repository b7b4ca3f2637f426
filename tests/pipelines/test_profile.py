"""The production deployment profile (`deploy/`, `pipelines.profile`) with its real parts: the Dagster
instance on PostgreSQL, the queued run coordinator and daemon, the webserver, two Celery workers on
RabbitMQ. Four former units are launched at once through the queue; every run succeeds, both workers
execute steps, and the unified database equals a single-process run of the same inbox row for row.

Needs PostgreSQL and RabbitMQ on loopback (the CI machine runs both): skipped without them, failed
when CI=true."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from dagster import DagsterInstance
from sqlalchemy import text

from pipelines.profile import ensure_database, launch, profile_from_env, start, stop, wait_for_runs
from sapnhap.db.session import make_engine, normalise_url
from tests.conftest import PG_ADMIN_URL
from tests.faults import assert_same_rows, database_rows
from tests.reliability import record
from tests.runs import project

BROKER = os.environ.get("SAPNHAP_TEST_BROKER", "pyamqp://guest@127.0.0.1:5672//")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _relative(rows: dict[str, list[tuple]], home: str) -> dict[str, list[tuple]]:
    return {
        table: sorted(tuple(v.replace(home, "<home>") for v in row) for row in got)
        for table, got in rows.items()
    }


@pytest.fixture
def databases():
    """Three fresh PostgreSQL databases (the profile's instance, its unified database, the
    single-process run's), dropped afterwards."""
    if not _reachable("127.0.0.1", 5672):
        message = "RabbitMQ is not listening on 127.0.0.1:5672"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required when CI=true)")
        pytest.skip(message)
    tag = uuid.uuid4().hex[:10]
    base = normalise_url(PG_ADMIN_URL)
    names = [f"sapnhap_test_{kind}_{tag}" for kind in ("dagster", "profile", "single")]
    urls = [
        base.set(drivername="postgresql+psycopg2", database=names[0]).render_as_string(hide_password=False),
        *(base.set(database=name).render_as_string(hide_password=False) for name in names[1:]),
    ]
    try:
        for url in urls:
            ensure_database(url)
    except Exception as exc:  # noqa: BLE001 - no server: fail in CI, skip elsewhere
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required when CI=true: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield urls
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(1500)
def test_four_former_units_through_the_queue_on_two_celery_workers(scanned_inbox, databases, tmp_path):
    dagster_url, profile_url, single_url = databases
    units = sorted(p.name for p in scanned_inbox.iterdir() if p.is_dir())
    assert len(units) == 4, units
    queue = f"sapnhap-test-{uuid.uuid4().hex[:8]}"  # no other worker on this broker takes these steps
    environ = {
        **os.environ,
        "SAPNHAP_HOME": str(tmp_path / "profile-home"),
        "SAPNHAP_INBOX": str(scanned_inbox),
        "SAPNHAP_DAGSTER_PG_URL": dagster_url,
        "SAPNHAP_DATABASE_URL": profile_url,
        "SAPNHAP_CELERY_BROKER": BROKER,
        "SAPNHAP_CELERY_QUEUE": queue,
    }
    profile = profile_from_env(environ, state_dir=tmp_path / "profile", workers=2, port=_free_port())
    start(profile)
    try:
        run_ids = launch(profile, units)
        statuses = wait_for_runs(profile, run_ids, timeout=1200)
        logs = {
            p.stem: p.read_text(encoding="utf-8", errors="replace")
            for p in (profile.state_dir / "logs").iterdir()
        }
        os.environ["SAPNHAP_DAGSTER_PG_URL"] = dagster_url  # the instance's dagster.yaml reads it
        try:
            with DagsterInstance.from_config(str(profile.dagster_home)) as instance:
                entries = [entry for run_id in run_ids for entry in instance.all_logs(run_id)]
                tags = {run_id: instance.get_run_by_id(run_id).tags for run_id in run_ids}
        finally:
            os.environ.pop("SAPNHAP_DAGSTER_PG_URL", None)
    finally:
        stop(profile)
    assert sorted(statuses.values()) == ["SUCCESS"] * 4, statuses
    assert sorted(t["dagster/partition"] for t in tags.values()) == units
    messages = [entry.user_message for entry in entries]
    # The order in which the runs' intakes took the database-wide intake lock: the concurrent runs
    # must equal one process taking the units in that order (which copy of a file two units share
    # is "the first" depends on it, nothing else does).
    intake_done = {
        entry.run_id: entry.timestamp
        for entry in entries
        if entry.step_key == "dossier_files" and entry.dagster_event and entry.dagster_event.is_step_success
    }
    order = [tags[run_id]["dagster/partition"] for run_id in sorted(intake_done, key=intake_done.get)]
    assert sorted(order) == units, order
    everything = "\n".join([*logs.values(), *messages])
    for error in ("database is locked", "UniqueViolation", "duplicate key", "IntegrityError"):
        assert error not in everything, error
    # Steps really went to the workers, and both took some.
    per_worker = {name: log.count("succeeded in") for name, log in logs.items() if name.startswith("worker")}
    assert len(per_worker) == 2 and all(n >= 1 for n in per_worker.values()), per_worker
    assert any("celery" in m.lower() for m in messages), [m for m in messages if "step" in m.lower()][:5]

    # The same inbox in one process, unit after unit, in the order the intakes took the lock.
    defs = project(tmp_path / "single-home", scanned_inbox, single_url, tmp_path / "single-ocr-cache")
    job = defs.resolve_job_def("ingest_former_unit")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", units)
        for unit in order:
            assert job.execute_in_process(partition_key=unit, instance=instance).success
    engines = [make_engine(single_url), make_engine(profile_url)]
    single, profiled = (database_rows(engine) for engine in engines)
    for engine in engines:
        engine.dispose()
    assert len(single["pages"]) >= 10 and len(single["person_records"]) >= 5
    # The two runs archive into homes of their own: archive paths are compared relative to them.
    homes = (str(tmp_path / "single-home"), str(tmp_path / "profile-home"))
    assert_same_rows(*(_relative(rows, home) for rows, home in zip((single, profiled), homes, strict=True)))
    record(
        "4 former units launched at once through the queue of the deployment profile (Dagster instance on "
        "PostgreSQL, queued run coordinator, daemon, 2 Celery workers on RabbitMQ)",
        "every run's status; steps executed by both workers; no 'database is locked' or duplicate-key "
        "error in any log; every table of the unified database row for row against a single-process run",
        f"4 runs succeeded; steps per worker {sorted(per_worker.values())}; "
        f"{sum(len(r) for r in profiled.values())} rows identical",
        0,
    )
