"""The one engine/session factory of the unified database, and its Alembic migration entry point.

The database is chosen by one URL: `sqlite:///<path>` (the default, see `default_database_url`) or
`postgresql://...` in production (run through the psycopg 3 driver).

SQLite settings, applied on every new connection: `busy_timeout=30000` (ms; a writer waits up to
30 s for another writer instead of failing), `journal_mode=WAL` (readers do not block the writer),
`foreign_keys=ON`. SQLAlchemy emits `BEGIN` itself (the sqlite3 module's own transaction handling
is switched off) so DDL is transactional; write transactions (`write_connection`, `session_scope`,
`migrate`) start with `BEGIN IMMEDIATE` so that two processes never both read and then fail to
upgrade to the write lock ("database is locked" without waiting).
"""

from __future__ import annotations

import fcntl
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "sapnhap_sqlite_begin"
# An arbitrary constant: the PostgreSQL advisory lock taken while migrating, so that parallel runs
# that all call `migrate` at start-up apply the migrations once.
_MIGRATION_LOCK_ID = 0x5A9_0DB


def default_database_url(home: Path) -> str:
    """Return the default database URL, `sqlite:///<home>/sapnhap.db` (absolute path).

    `home` is the project's data folder (e.g. `$SAPNHAP_HOME`); it is created by `make_engine`.
    """
    return f"sqlite:///{(Path(home).expanduser().resolve() / 'sapnhap.db').as_posix()}"


def normalise_url(url: str | URL) -> URL:
    """Return `url` as a SQLAlchemy URL with the psycopg 3 driver for PostgreSQL.

    `postgresql://` and `postgres://` become `postgresql+psycopg://`; an explicit driver is kept.
    Raises `sqlalchemy.exc.ArgumentError` for a string that is not a database URL.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if (
        not database
        or database == ":memory:"
        or database.startswith("file:")
        or url.query.get("mode") == "memory"
    ):
        return None
    return Path(database)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create the engine for `url` (SQLite or PostgreSQL), configured as described in the module doc.

    For a SQLite file the parent folder is created. Extra keyword arguments go to
    `sqlalchemy.create_engine`. Raises `sqlalchemy.exc.ArgumentError` for a malformed URL and
    `sqlalchemy.exc.NoSuchModuleError` for an unknown dialect/driver. No connection is made here.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **kwargs)
    _name_unreachable_server(engine)
    return engine


class DatabaseUnreachable(ConnectionError):
    """The database server could not be reached, or the connection to it was lost mid-run. The step
    stops: what earlier steps committed stays, the open transaction is rolled back (nothing of it is
    recorded); run the job again once the server is back. The message names the server (password
    hidden) and the driver's first line of error."""


def _name_unreachable_server(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        if context.is_pre_ping:
            return  # the pool reconnects by itself
        original = context.original_exception
        lost = context.is_disconnect or (context.connection is None and "connect" in str(original).lower())
        if not lost:
            return
        where = engine.url.render_as_string(hide_password=True)
        first = (str(original).strip().splitlines() or [type(original).__name__])[0]
        raise DatabaseUnreachable(
            f"the unified database at {where} cannot be reached ({first}); this step stopped and its "
            "open transaction was rolled back, so nothing of it is recorded (what earlier steps committed "
            "stays). Run the job again once the database is back."
        ) from original


def _set_wal(cursor: Any) -> None:
    """Switch to WAL. On a new database file, connections opened at once race for the switch and
    SQLite answers "database is locked" at once, without its busy handler: retry for up to the busy
    timeout (seen with three parallel `migrate` calls on a loaded machine)."""
    import sqlite3

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN (see the `begin` listener): the sqlite3 module's legacy
        # transaction control would autocommit DDL and never BEGIN before a SELECT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _set_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def writer(engine: Engine) -> Engine:
    """Return `engine` set up for write transactions (`BEGIN IMMEDIATE` on SQLite; same pool)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    return engine


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """Yield a connection inside one write transaction; commit on success, roll back on error."""
    with writer(engine).begin() as connection:
        yield connection


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock `name` for the block, across every process (and, on PostgreSQL, every machine)
    that uses this database, so that a read-then-write such as "is this file known? then record it"
    cannot interleave with another run's. PostgreSQL: a session advisory lock on a connection of its
    own (key: CRC-32 of `name`); SQLite: `flock` on the file `<database>.<name>.lock` beside it (an
    in-memory SQLite database has one process: no lock). A process that dies loses the lock with
    its connection or file descriptor, so a killed run never leaves it held. Blocks until the lock
    is free."""
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"sapnhap:{name}".encode())
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        return
    database = _sqlite_file(engine.url)
    if database is None:
        yield
        return
    with open(f"{database}.{name}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """Yield an ORM session in one transaction: commit when the block ends, roll back on an exception.

    Objects stay usable after the commit (`expire_on_commit=False`). With `write=False` on SQLite the
    transaction starts as a plain (deferred) read transaction and does not wait for writers.
    The exception that caused a rollback is re-raised.
    """
    factory = sessionmaker(bind=writer(engine) if write else engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an `alembic.config.Config` for the packaged migrations (works from any cwd).

    When `connection` is given the migration environment runs on it (`config.attributes`).
    """
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR.as_posix())
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Upgrade the database to `revision` (default: the newest) with Alembic, in one transaction.

    Accepts an engine (used as is) or a URL (an engine is made with `make_engine` and disposed).
    Safe to call from parallel runs: SQLite serialises them with `BEGIN IMMEDIATE`, PostgreSQL with an
    advisory lock; a database already at `revision` is left unchanged. Raises
    `alembic.util.CommandError` for an unknown revision and SQLAlchemy errors if the database refuses.
    """
    own = not isinstance(engine_or_url, Engine)
    engine = make_engine(engine_or_url) if own else engine_or_url
    try:
        with write_connection(engine) as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_ID})
            command.upgrade(alembic_config(connection), revision)
    finally:
        if own:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """Return the Alembic revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision of the packaged migrations (what this code's models expect)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError(f"no migrations in {MIGRATIONS_DIR}")
    return head


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not at the revision this code expects: `make migrate` brings it there."""


def check_revision(engine: Engine) -> str:
    """The database's revision, checked against `head_revision()`; nothing is changed.

    Raises:
        SchemaNotCurrent: the database is empty, behind or ahead of this code; the message names both
            revisions, the database (password hidden) and the command that migrates it.
    """
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "empty (no schema)" if current is None else f"at revision {current}"
        raise SchemaNotCurrent(
            f"the database {where} is {state}; this code needs revision {head}: run `make migrate` "
            "(python -m pipelines.migrate) with the same SAPNHAP_DATABASE_URL"
        )
    return current
