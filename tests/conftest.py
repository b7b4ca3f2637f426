"""Shared test fixtures.

Database fixtures: `db_url` and `engine` are parametrised over SQLite (a file in tmp_path) and
PostgreSQL (a throwaway database `sapnhap_test_<random>` created once per test session on the server
at $SAPNHAP_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres, and dropped at
the end; each test gets an empty `public` schema). When PostgreSQL cannot be reached its tests are
skipped, or fail when CI=true.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from sapnhap.db.session import default_database_url, make_engine, migrate, normalise_url

PG_ADMIN_URL = os.environ.get("SAPNHAP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required when CI=true: {reason}")
    pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} not reachable: {reason}")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        admin.dispose()
        _postgres_unavailable(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    name = f"sapnhap_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """URL of an empty database: SQLite under tmp_path, or the session's PostgreSQL database, emptied."""
    if request.param == "sqlite":
        return default_database_url(tmp_path / "home")
    url = request.getfixturevalue("pg_database_url")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on `db_url`, migrated to the newest revision."""
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def linkage_model() -> Path:
    """The linkage model shipped with the code (`sapnhap.linkage.model.DEFAULT_MODEL_PATH`, trained on
    generated records by `scripts/train_linkage_model.py`), as the pipeline uses it."""
    from sapnhap.linkage.model import DEFAULT_MODEL_PATH

    return DEFAULT_MODEL_PATH
