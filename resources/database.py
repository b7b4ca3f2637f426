"""The unified database resource: one SQLAlchemy URL, migrated to the current schema on first use."""

from __future__ import annotations

from functools import cached_property

from dagster import ConfigurableResource
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from sapnhap.db.session import make_engine, migrate


class UnifiedDatabase(ConfigurableResource):
    """The unified database (SQLite file by default, PostgreSQL in production), by SQLAlchemy URL."""

    url: str

    @cached_property
    def engine(self) -> Engine:
        """An engine on the database, after Alembic has brought its schema to the latest revision."""
        engine = make_engine(self.url)
        migrate(engine)
        return engine

    def display_url(self) -> str:
        """The URL with any password hidden, for logs and metadata."""
        return make_url(self.url).render_as_string(hide_password=True)
