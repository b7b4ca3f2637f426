"""Bring the unified database to this code's schema: the one step that changes a schema.

    make migrate                    # or: .venv/bin/python -m pipelines.migrate

Reads SAPNHAP_DATABASE_URL (default the SQLite file under SAPNHAP_HOME) and SAPNHAP_DATABASE_PASSWORD,
applies the Alembic migrations up to the newest (`sapnhap.db.session.migrate`: one transaction, safe
against a parallel call) and prints the revision. Runs refuse a database whose schema is not current
(`resources.UnifiedDatabase`), so this runs before the first run and after every upgrade of the code.
`make demo` runs it first.
"""

from __future__ import annotations

import argparse
import sys

from pipelines.definitions import database_resource
from resources import ProjectSettings
from sapnhap.db.session import current_revision, make_engine, migrate


def migrate_database(settings: ProjectSettings | None = None) -> str:
    """Migrate the configured database (default: from the environment) to the newest revision;
    returns it. The SQLite file's folder is made when missing.

    Raises:
        DatabaseUnreachable (sapnhap.db.session): the database cannot be reached; alembic's CommandError for a
            schema this code's migrations do not know.
    """
    resource = database_resource(settings)
    engine = make_engine(resource.full_url())
    try:
        migrate(engine)
        revision = current_revision(engine)
    finally:
        engine.dispose()
    assert revision is not None
    return revision


def main(argv: list[str] | None = None) -> int:
    """Migrate and print where to; exit code 0, or 1 with one line on stderr (`--help` explains and
    migrates nothing)."""
    argparse.ArgumentParser(
        prog="python -m pipelines.migrate",
        description=(
            "Bring the unified database (SAPNHAP_DATABASE_URL, default the SQLite file under "
            "SAPNHAP_HOME; password from SAPNHAP_DATABASE_PASSWORD) to this code's schema with the "
            "Alembic migrations, in one transaction. Takes no arguments."
        ),
    ).parse_args([] if argv is None else argv)
    try:
        resource = database_resource()
        revision = migrate_database()
    except Exception as exc:  # one clear line for the operator, not a traceback
        print(
            f"migrate: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr
        )
        return 1
    print(f"database {resource.display_url()} is at revision {revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
