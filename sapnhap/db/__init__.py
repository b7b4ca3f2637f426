"""The unified database: SQLAlchemy models, Alembic migrations, one engine factory, idempotent loads.

Typical use::

    engine = make_engine(url)            # sqlite:///... (default_database_url) or postgresql://...
    migrate(engine)                      # Alembic upgrade head
    upsert_former_units(engine, units)
    load_files(engine, files_df)         # then load_pages, load_documents, record_events
    load_records(engine, validated, source)  # person records, their fields, the quarantine
"""

from sapnhap.db.load import (
    event_key,
    load_documents,
    load_files,
    load_pages,
    record_events,
    upsert_former_units,
)
from sapnhap.db.load_records import count_records, load_records
from sapnhap.db.models import (
    Base,
    Document,
    File,
    FileSource,
    FormerUnit,
    Page,
    PersonRecord,
    ProvenanceEvent,
    QuarantinedRecord,
    RecordField,
    Word,
)
from sapnhap.db.queries import count_files, count_pages, count_sources, first_sources, summary
from sapnhap.db.session import (
    current_revision,
    default_database_url,
    make_engine,
    migrate,
    session_scope,
    write_connection,
)
from sapnhap.db.sql import LoadCounts

__all__ = [
    "Base",
    "Document",
    "File",
    "FileSource",
    "FormerUnit",
    "LoadCounts",
    "Page",
    "PersonRecord",
    "ProvenanceEvent",
    "QuarantinedRecord",
    "RecordField",
    "Word",
    "count_files",
    "count_pages",
    "count_records",
    "count_sources",
    "current_revision",
    "default_database_url",
    "event_key",
    "first_sources",
    "load_documents",
    "load_files",
    "load_pages",
    "load_records",
    "make_engine",
    "migrate",
    "record_events",
    "session_scope",
    "summary",
    "upsert_former_units",
    "write_connection",
]
