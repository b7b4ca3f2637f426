"""Alembic environment of the unified database.

Run programmatically by `sapnhap.db.session.migrate`, which passes an open connection in
`config.attributes["connection"]` (the migration runs on it, inside the caller's transaction).
From the command line (`alembic -c sapnhap/db/migrations/alembic.ini upgrade head`) the URL is
taken from `-x url=...`, else `$SAPNHAP_DATABASE_URL`, else `sqlalchemy.url` of the ini file.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from sapnhap.db.models import Base
from sapnhap.db.session import make_engine, write_connection

config = context.config
target_metadata = Base.metadata

if config.config_file_name and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("SAPNHAP_DATABASE_URL")
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set SAPNHAP_DATABASE_URL")
    return url


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # Both backends run DDL inside the transaction (on SQLite SQLAlchemy emits BEGIN itself, see
        # sapnhap.db.session), so a failed migration leaves the database as it was.
        transactional_ddl=True,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit the migration SQL for the URL's dialect without connecting (`alembic upgrade --sql`)."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a new one to the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with write_connection(engine) as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
