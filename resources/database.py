"""The unified database resource: one SQLAlchemy URL and its password, the schema checked, never changed.

Migrations are an explicit step (`make migrate`, `python -m pipelines.migrate`, also run by `make
demo`); a run on a database whose schema is not at this code's revision fails at once with the
command to run, rather than altering a production schema as a side effect of a run.
"""

from __future__ import annotations

from functools import cached_property

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from sapnhap.db.session import check_revision, make_engine


class UnifiedDatabase(ConfigurableResource):
    """The unified database (SQLite file by default, PostgreSQL in production).

    url: SQLAlchemy URL, best without a password (`postgresql+psycopg://sapnhap@db.example/sapnhap`).
    password: the database password, given as `EnvVar("SAPNHAP_DATABASE_PASSWORD")` by the project's
    definitions, so the UI's resource page shows the variable's name, never the secret; it replaces
    any password in `url`. "" for none (SQLite, trust or peer authentication).
    """

    url: str
    password: str = ""

    def full_url(self) -> str:
        """The URL with the password set (for the engine only: never log it; see `display_url`).
        Fields still holding an `EnvVar` (the resource used outside a run) read their variable."""
        url = make_url(_resolved(self.url))
        password = _resolved(self.password)
        if password:
            url = url.set(password=password)
        return url.render_as_string(hide_password=False)

    @cached_property
    def engine(self) -> Engine:
        """An engine on the database, its schema checked to be at this code's revision.

        Raises:
            sapnhap.db.session.SchemaNotCurrent: the database is empty, behind or ahead: run
                `make migrate`.
        """
        engine = make_engine(self.full_url())
        try:
            check_revision(engine)
        except Exception:
            engine.dispose()
            raise
        return engine

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Close the engine's pooled connections when the run or step ends: a run's steps each make
        an engine, and idle pooled connections left to the garbage collector add up to PostgreSQL's
        `max_connections` over many runs in one process (tests, the demo)."""
        engine = self.__dict__.pop("engine", None)
        if engine is not None:
            engine.dispose()

    def display_url(self) -> str:
        """The URL with any password hidden, for logs and metadata."""
        return make_url(_resolved(self.url)).render_as_string(hide_password=True)


def _resolved(value: str) -> str:
    """A field's value; an unresolved `EnvVar` (a str naming the variable) read from the environment.

    Raises:
        ValueError: the variable is not set.
    """
    if isinstance(value, EnvVar):
        resolved = value.get_value()
        if resolved is None:
            raise ValueError(f"the environment variable {value.env_var_name} is not set")
        return resolved
    return value
