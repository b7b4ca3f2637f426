"""SQLAlchemy 2 models of the unified database.

Every row is traceable to the SHA-256 of the file it comes from, the page in that file and the former
unit the file was found in. Former administrative units are keyed by (vintage, code): official unit
codes are reused by new units after 2025-07-01 with a different meaning, so a code is never stored
without its vintage (`"pre2025"` for the units that existed before the merger).

Column sizes: hashes, unit codes and short enumerations are `String(n)` (PostgreSQL enforces `n`,
and `sapnhap.db.sql.check_lengths` checks lengths before writing so SQLite rejects the same rows); names, paths,
free text and messages are `Text`. Enumerations are strings with CHECK constraints, not database
enums, so that adding a value is a one-line migration on both backends.

The schema is created by the Alembic migrations in `sapnhap/db/migrations/` (never by
`metadata.create_all` in production); `tests/db/test_db.py` checks that the migrations and these models
agree.

Over 600 lines on purpose: the whole schema (every table with its constraints and documented columns)
in one metadata, the one Alembic's migrations are checked against.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

FILE_STATUSES = ("archived", "duplicate", "quarantined")
# A born-digital register's sheet or table (sapnhap.ocr.sheets) is a "text_layer" page whose boxes
# are in "cell" (column, row) or, for its paragraphs, "char" (character offset, paragraph).
PAGE_METHODS = ("text_layer", "ocr", "failed")
BOX_UNITS = ("px", "pt", "cell", "char")
SUBJECT_TYPES = ("file", "page", "document", "record", "review_item", "review_sheet")
UNIT_LEVELS = ("commune", "district")
PRE2025 = "pre2025"
RECORD_STATUSES = ("valid", "warning")
"""Statuses of the person records loaded into `person_records` (`sapnhap.records.vocabulary.STATUSES` but "quarantined")."""
ROUTE_STATUSES = ("routed", "review", "unresolved")
"""`sapnhap.records.routing.Route.status`: routed to one new unit, left for review, or not resolved."""
FIELD_SCOPES = ("person", "document")
"""A record field is the person's own ("person") or the document's ("document", shared by its people)."""
FIELD_STATUSES = ("found", "missing")
"""`sapnhap.records.values.ExtractedField.status`: the field's label was found on the page, or not."""
PERSON_STATUSES = ("active", "merged", "retired")
"""A person is "active", "merged" into another person (`merged_into`) or "retired" (no record left)."""
LINKED_BY = ("alone", "auto", "archivist")
"""How a record joined its person: it is the person's first record ("alone"), a match at or above the
auto-merge threshold ("auto"), or an archivist's accepted pair ("archivist")."""
DECISIONS = ("must_link", "cannot_link")
"""An archivist's decision on a pair of records: the same person (accept) or two people (reject)."""
REVIEW_KINDS = ("merge_candidate", "uncertain_field", "validation_failure")
"""Kinds of review-queue items (issue 6 adds the OCR field and validation kinds)."""
REVIEW_STATUSES = ("open", "decided", "withdrawn")
"""A review item waits ("open"), was decided by an archivist, or is no longer needed ("withdrawn")."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores `timestamp with time zone`; SQLite has no time zone support, so the value is
    stored as UTC text and returned with `tzinfo=UTC`. Binding a naive datetime raises `ValueError`
    (a naive time is ambiguous: local time of which machine?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base; `Base.metadata` is the target of the Alembic migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class FormerUnit(Base):
    """A former administrative unit (commune, ward, township or district) before the 2025 merger.

    `code` is the official code as a string of digits with its leading zeros ("00004"), never an
    int: 5 digits for a commune, 3 for a district. `vintage` says which code list the code belongs
    to ("pre2025"). `level` is "commune" (communes, wards, townships) or "district" (a former
    district, town or provincial city, whose archive is handed over as a whole); rows stored before
    revision 0002 are communes (the server default). `district_name` is the district a commune
    belonged to (None for a district). The names are None for a code the gazetteer does not know
    (its files are still recorded).
    """

    __tablename__ = "former_units"
    __table_args__ = (CheckConstraint(_in("level", UNIT_LEVELS), name="level"),)

    vintage: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    district_name: Mapped[str | None] = mapped_column(Text)
    province_name: Mapped[str | None] = mapped_column(Text)
    # Last, as revision 0002 added it.
    level: Mapped[str] = mapped_column(String(16), server_default=text("'commune'"))

    sources: Mapped[list[FileSource]] = relationship(back_populates="former_unit")


class File(Base):
    """One file, identified by the SHA-256 of its bytes (lowercase hex).

    The same bytes found twice (in two former units, or at two paths) are one `files` row and two
    `file_sources` rows. `status` is "archived" (copied into the content-addressed archive at
    `archive_path`), "duplicate" (the bytes duplicate the file `duplicate_of`) or "quarantined"
    (not archived; `quarantine_reason` says why). `size_bytes` is in bytes; `page_count` is None
    when it could not be read.
    """

    __tablename__ = "files"
    __table_args__ = (CheckConstraint(_in("status", FILE_STATUSES), name="status"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(255))
    page_count: Mapped[int | None] = mapped_column(Integer)
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    archive_path: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("files.sha256", name="fk_files_duplicate_of_files"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sources: Mapped[list[FileSource]] = relationship(back_populates="file")
    pages: Mapped[list[Page]] = relationship(back_populates="file", order_by="Page.page_number")
    documents: Mapped[list[Document]] = relationship(back_populates="file", order_by="Document.first_page")


class FileSource(Base):
    """Where a file was found: a former unit's inbox and the path relative to it (NFC, `/`-separated).

    The unique constraint leads with (former_unit_code, former_unit_vintage), so it also serves as
    the index of the foreign key to `former_units`.
    """

    __tablename__ = "file_sources"
    __table_args__ = (
        CheckConstraint(_in("status", FILE_STATUSES), name="status"),
        ForeignKeyConstraint(
            ["former_unit_vintage", "former_unit_code"],
            ["former_units.vintage", "former_units.code"],
            name="fk_file_sources_former_unit",
        ),
        UniqueConstraint(
            "former_unit_code",
            "former_unit_vintage",
            "original_path",
            "file_sha256",
            name="uq_file_sources_source",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    former_unit_vintage: Mapped[str] = mapped_column(String(16))
    former_unit_code: Mapped[str] = mapped_column(String(5))
    original_path: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("files.sha256", name="fk_file_sources_file_sha256_files"), index=True
    )
    # This occurrence's state: "archived", "duplicate" (the same bytes were first found elsewhere:
    # `note` says where) or "quarantined" (`note` says why).
    status: Mapped[str] = mapped_column(String(16), default="archived")
    note: Mapped[str] = mapped_column(Text, default="")

    file: Mapped[File] = relationship(back_populates="sources")
    former_unit: Mapped[FormerUnit] = relationship(back_populates="sources")


class Page(Base):
    """One page of a file (see `sapnhap.ocr.page.PageResult` for the meaning of each field).

    `page_number` is 1-based. `width`/`height` and word boxes are in `box_unit` ("px" of the OCR'd
    image, or "pt" = 1/72 inch for text-layer pages). `mean_confidence` is 0..100 for OCR pages,
    None otherwise. The unique (file_sha256, page_number) also indexes the foreign key.
    """

    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("file_sha256", "page_number", name="uq_pages_file_sha256_page_number"),
        CheckConstraint(_in("method", PAGE_METHODS), name="method"),
        CheckConstraint("page_number >= 1", name="page_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("files.sha256", name="fk_pages_file_sha256_files")
    )
    page_number: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    mean_confidence: Mapped[float | None] = mapped_column(Float)
    engine: Mapped[str] = mapped_column(String(64), default="")
    engine_version: Mapped[str] = mapped_column(String(64), default="")
    languages: Mapped[str] = mapped_column(String(64), default="")
    dpi: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[float | None] = mapped_column(Float)
    height: Mapped[float | None] = mapped_column(Float)
    box_unit: Mapped[str] = mapped_column(String(8), default="px")
    image_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    rotation_method: Mapped[str] = mapped_column(String(64), default="")
    skew_degrees: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)

    file: Mapped[File] = relationship(back_populates="pages")
    words: Mapped[list[Word]] = relationship(
        back_populates="page", order_by="Word.word_index", cascade="all, delete-orphan", passive_deletes=True
    )


class Word(Base):
    """One word on a page, in reading order (`word_index` 0-based), with its box in the page's unit.

    `confidence` is 0..100 (Tesseract) or None (text layer). Deleting a page deletes its words.
    """

    __tablename__ = "words"

    page_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("pages.id", name="fk_words_page_id_pages", ondelete="CASCADE"), primary_key=True
    )
    word_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    left: Mapped[float] = mapped_column(Float)
    top: Mapped[float] = mapped_column(Float)
    width: Mapped[float] = mapped_column(Float)
    height: Mapped[float] = mapped_column(Float)
    block: Mapped[int] = mapped_column(Integer, default=0)
    line: Mapped[int] = mapped_column(Integer, default=0)

    page: Mapped[Page] = relationship(back_populates="words")


class Document(Base):
    """A run of pages `first_page..last_page` (1-based, inclusive) of one file that forms a document.

    `doc_type` is the recognised type, `type_rule` the rule that matched. The unique
    (file_sha256, first_page) also indexes the foreign key.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("file_sha256", "first_page", name="uq_documents_file_sha256_first_page"),
        CheckConstraint("first_page >= 1 AND last_page >= first_page", name="page_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("files.sha256", name="fk_documents_file_sha256_files")
    )
    first_page: Mapped[int] = mapped_column(Integer)
    last_page: Mapped[int] = mapped_column(Integer)
    doc_type: Mapped[str] = mapped_column(String(64))
    type_rule: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str | None] = mapped_column(Text)

    file: Mapped[File] = relationship(back_populates="documents")


class ProvenanceEvent(Base):
    """Something a tool did to a file, page or document, or an archivist decided about a person record
    or a review item (PREMIS-style event).

    `event_key` is the SHA-256 (hex) of the event's identity (subject_type, subject_id, action, tool,
    tool_version, outcome), so recording the same event again adds no row. `subject_id` is the file
    SHA-256, `"<sha256>:<page_number>"` for a page, `"<sha256>:<first_page>"` for a document, the
    record id for a record, the item id for a review item. `agent` is who acted when it was a person
    (an archivist's name on a review decision; None for the pipeline's own steps). `occurred_at` is
    timezone-aware UTC.
    """

    __tablename__ = "provenance_events"
    __table_args__ = (
        CheckConstraint(_in("subject_type", SUBJECT_TYPES), name="subject_type"),
        Index("ix_provenance_events_subject", "subject_type", "subject_id"),
    )

    event_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(128))
    tool_version: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agent: Mapped[str | None] = mapped_column(Text)


class RecordColumns:
    """The columns a person record has wherever it is stored, loaded (`PersonRecord`) or quarantined
    (`QuarantinedRecord`): its id, former unit, document (file and first page), type and role, its
    route to a new unit (`route_status`, `former_commune_code`, `route_candidates`, `route_evidence`)
    and how it was read (`extractor`, `entry`). Each table adds its own (status and warnings, or
    reasons and errors) and its own constraints. `sort_order=-1` keeps these columns first,
    `record_id` leading, as the migrations made them."""

    record_id: Mapped[str] = mapped_column(String(128), primary_key=True, sort_order=-1)
    former_unit_vintage: Mapped[str] = mapped_column(String(16), default=PRE2025, sort_order=-1)
    former_unit_code: Mapped[str] = mapped_column(String(5), sort_order=-1)
    file_sha256: Mapped[str] = mapped_column(String(64), sort_order=-1)
    first_page: Mapped[int] = mapped_column(Integer, sort_order=-1)
    doc_type: Mapped[str] = mapped_column(String(64), sort_order=-1)
    role: Mapped[str] = mapped_column(String(32), sort_order=-1)
    route_status: Mapped[str] = mapped_column(String(16), sort_order=-1)
    # A "pre2025" commune code (vintage pre2025).
    former_commune_code: Mapped[str | None] = mapped_column(String(5), sort_order=-1)
    # JSON list of "post2025" commune codes, e.g. '["10105", "10108"]'.
    route_candidates: Mapped[str] = mapped_column(Text, default="[]", sort_order=-1)
    route_evidence: Mapped[str] = mapped_column(Text, default="", sort_order=-1)
    # How the record was read (`sapnhap.records.vocabulary.EXTRACTORS`): "template", "generic" ...
    extractor: Mapped[str] = mapped_column(
        String(16), default="template", server_default="template", sort_order=-1
    )
    # The register row (from 1) the record was read from; 0 for a whole document.
    entry: Mapped[int] = mapped_column(Integer, default=0, server_default="0", sort_order=-1)


class PersonRecord(RecordColumns, Base):
    """One person named in one document whose record passed validation and is in the unified database.

    `record_id` is `<former unit code>:<file SHA-256, first 16 hex digits>:<first page>:<role>`
    (`sapnhap.records.tables`). The record comes from the document (file_sha256, first_page) found in the
    former unit (former_unit_vintage, former_unit_code) and names the person in `role` ("child",
    "mother", "husband" ...; `sapnhap.records.vocabulary.ROLES`) of a document of type `doc_type`
    (`sapnhap.records.vocabulary.DOCUMENT_TYPES`). `status` is "valid" or "warning"; `warnings` is the validator's
    rule codes joined by ";" ("" for a valid record). A record that breaks a hard rule is in
    `quarantined_records` instead, never here.

    Routing (`sapnhap.records.routing`): `route_status` is "routed" (to one new unit), "review" (the former
    commune was split and the address does not say which part: `route_candidates` lists the new
    units it may go to) or "unresolved"; `route_evidence` says what decided. Unit codes are reused
    across vintages with different meanings, so each column names its code list:
    `former_commune_code` is a "pre2025" commune code (the commune the person belonged to before
    2025-07-01; None when not resolved), `new_unit_code` and the codes of `route_candidates` (a JSON
    list of strings) are "post2025" commune codes (None while routing needs review). `extractor`
    says how the record was read: its type's template, the generic label vocabulary, a register
    table or a born-digital register (`sapnhap.records.vocabulary.EXTRACTORS`); `entry` is the register
    row it came from (0 for a whole document; the record_id's page part is then `<first page>.<entry>`). `loaded_at` (UTC) is when
    the row was last written with changed values.
    """

    __tablename__ = "person_records"
    __table_args__ = (
        CheckConstraint(_in("status", RECORD_STATUSES), name="status"),
        CheckConstraint(_in("route_status", ROUTE_STATUSES), name="route_status"),
        ForeignKeyConstraint(
            ["former_unit_vintage", "former_unit_code"],
            ["former_units.vintage", "former_units.code"],
            name="fk_person_records_former_unit",
        ),
        ForeignKeyConstraint(
            ["file_sha256", "first_page"],
            ["documents.file_sha256", "documents.first_page"],
            name="fk_person_records_document",
        ),
        Index("ix_person_records_former_unit", "former_unit_vintage", "former_unit_code"),
        Index("ix_person_records_document", "file_sha256", "first_page"),
    )

    status: Mapped[str] = mapped_column(String(16))
    warnings: Mapped[str] = mapped_column(Text, default="")
    # A "post2025" commune code (vintage post2025); None while routing needs review.
    new_unit_code: Mapped[str | None] = mapped_column(String(5), index=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fields: Mapped[list[RecordField]] = relationship(
        back_populates="record",
        order_by="(RecordField.scope, RecordField.field)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    document: Mapped[Document] = relationship(viewonly=True)
    former_unit: Mapped[FormerUnit] = relationship(viewonly=True)


class RecordField(Base):
    """One field read for a person record, with its lineage to the page (`sapnhap.records.extract`).

    `scope` is "person" (the person's own field: full_name, birth_date, personal_id ...) or
    "document" (a field of the document the person is named in, shared by its people:
    registration_number, registration_date, registration_place ...). `status` is "found" or
    "missing" (the label was not found on the page: raw "" and value None, no page or box).
    `raw` is the text as read; `value` the normalised value as text (names in title case, dates ISO
    `YYYY-MM-DD`, ID numbers as the digits printed, leading zeros kept). `confidence` is the mean OCR
    word confidence 0..100 (None for a text layer, which has none). `page` is the 1-based page of the
    file; `left`/`top`/`width`/`height` the box of the value's words in `box_unit` ("px" of the OCR'd
    image or "pt" of a text layer). `method` is "text_layer", "ocr" or "ocr_crop" (re-read from an
    enlarged crop), `engine`/`engine_version` what read it; `repaired` says the diacritics were
    restored from the name lexicons; `note` what went wrong or was done. Deleting the record deletes
    its fields.
    """

    __tablename__ = "record_fields"
    __table_args__ = (
        CheckConstraint(_in("scope", FIELD_SCOPES), name="scope"),
        CheckConstraint(_in("status", FIELD_STATUSES), name="status"),
    )

    # The primary key leads with record_id, so it also indexes the foreign key.
    record_id: Mapped[str] = mapped_column(
        String(128),
        ForeignKey(
            "person_records.record_id", name="fk_record_fields_record_id_person_records", ondelete="CASCADE"
        ),
        primary_key=True,
    )
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    raw: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    page: Mapped[int | None] = mapped_column(Integer)
    left: Mapped[float | None] = mapped_column(Float)
    top: Mapped[float | None] = mapped_column(Float)
    width: Mapped[float | None] = mapped_column(Float)
    height: Mapped[float | None] = mapped_column(Float)
    box_unit: Mapped[str] = mapped_column(String(8), default="px")
    method: Mapped[str] = mapped_column(String(16), default="")
    engine: Mapped[str] = mapped_column(String(64), default="")
    engine_version: Mapped[str] = mapped_column(String(64), default="")
    repaired: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")

    record: Mapped[PersonRecord] = relationship(back_populates="fields")


class QuarantinedRecord(RecordColumns, Base):
    """A person record held out of `person_records` because it broke a hard rule (`sapnhap.records.rules`).

    Kept with every reason for an archivist's review, never dropped: `reasons` are the rule codes
    joined by ";" (never empty), `n_errors` (>= 1) the number of errors found. `record_id`, the
    former unit, the document (file_sha256, first_page), `doc_type`, `role` and the routing columns
    mean what they mean in `person_records` (`former_commune_code` a "pre2025" commune code,
    `new_unit_code` and `route_candidates` "post2025" codes). `fields` is a JSON object of the
    fields read, field name → {"raw", "value", "page", "confidence", "scope"} (scope "person" or
    "document"), so the archivist sees what was read and where without the page. `quarantined_at`
    (UTC) is when the row was last written with changed values.
    """

    __tablename__ = "quarantined_records"
    __table_args__ = (
        CheckConstraint(_in("route_status", ROUTE_STATUSES), name="route_status"),
        CheckConstraint("reasons <> ''", name="reasons"),
        CheckConstraint("n_errors >= 1", name="n_errors"),
        ForeignKeyConstraint(
            ["former_unit_vintage", "former_unit_code"],
            ["former_units.vintage", "former_units.code"],
            name="fk_quarantined_records_former_unit",
        ),
        ForeignKeyConstraint(
            ["file_sha256", "first_page"],
            ["documents.file_sha256", "documents.first_page"],
            name="fk_quarantined_records_document",
        ),
        Index("ix_quarantined_records_former_unit", "former_unit_vintage", "former_unit_code"),
        Index("ix_quarantined_records_document", "file_sha256", "first_page"),
    )

    reasons: Mapped[str] = mapped_column(Text)
    n_errors: Mapped[int] = mapped_column(Integer)
    # A "post2025" commune code (vintage post2025); None while routing needs review.
    new_unit_code: Mapped[str | None] = mapped_column(String(5))
    fields: Mapped[str] = mapped_column(Text, default="{}")
    quarantined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    document: Mapped[Document] = relationship(viewonly=True)
    former_unit: Mapped[FormerUnit] = relationship(viewonly=True)


class Person(Base):
    """One person of a new unit: the golden record built from every person record linked to them.

    `person_id` is stable: assigned once, never renumbered by later runs. A person joined to another
    one (an archivist's accepted pair across two persons) becomes "merged" with `merged_into` the
    surviving person; a person whose records were all moved away (a split restoring the persons it was
    built from, or records removed) becomes "retired". `new_unit_code` is a "post2025" commune code.
    The golden values (`golden_values`, one row per field with its source record) are repeated here
    for the fields most searched: `full_name` (NFC), `birth_date` (ISO `YYYY-MM-DD`), `birth_year`,
    `sex` ("male"/"female"), `personal_id` (digits as printed). `record_count` counts the person's
    records in `person_members`. Times are UTC.
    """

    __tablename__ = "persons"
    __table_args__ = (CheckConstraint(_in("status", PERSON_STATUSES), name="status"),)

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    new_unit_code: Mapped[str] = mapped_column(String(5), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    merged_into: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("persons.person_id", name="fk_persons_merged_into_persons")
    )
    full_name: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[str | None] = mapped_column(String(4))
    sex: Mapped[str | None] = mapped_column(String(8))
    personal_id: Mapped[str | None] = mapped_column(String(16))
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PersonMember(Base):
    """A person record's membership of a person: which person it belongs to now and how it joined.

    `first_person_id` is the person the record first belonged to: splitting a merged person (an
    archivist's rejected pair) restores the persons its records came from by these ids.
    `linked_by` is one of `LINKED_BY`; `match_probability` (0..1) the score of the pair that joined
    the record (None for a first record or an archivist's decision). Deleting the record (its file
    removed) deletes the membership.
    """

    __tablename__ = "person_members"
    __table_args__ = (CheckConstraint(_in("linked_by", LINKED_BY), name="linked_by"),)

    record_id: Mapped[str] = mapped_column(
        String(128),
        ForeignKey(
            "person_records.record_id", name="fk_person_members_record_id_person_records", ondelete="CASCADE"
        ),
        primary_key=True,
    )
    person_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("persons.person_id", name="fk_person_members_person_id_persons"), index=True
    )
    first_person_id: Mapped[int] = mapped_column(Integer)
    linked_by: Mapped[str] = mapped_column(String(16))
    match_probability: Mapped[float | None] = mapped_column(Float)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GoldenValue(Base):
    """The value of one field of a person's golden record and where it comes from (survivorship).

    `record_id` is the person record the value was taken from (its field in `record_fields` has the
    page, box and OCR confidence: lineage to the page); `rule` says what decided
    (`sapnhap.linkage.golden.SURVIVORSHIP`); `sources` counts the person's records holding a value for the
    field and `distinct_values` how many different values they hold (> 1: the records disagree).
    """

    __tablename__ = "golden_values"

    person_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("persons.person_id", name="fk_golden_values_person_id_persons", ondelete="CASCADE"),
        primary_key=True,
    )
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    record_id: Mapped[str] = mapped_column(
        String(128),
        ForeignKey(
            "person_records.record_id", name="fk_golden_values_record_id_person_records", ondelete="CASCADE"
        ),
        index=True,
    )
    rule: Mapped[str] = mapped_column(String(32))
    sources: Mapped[int] = mapped_column(Integer)
    distinct_values: Mapped[int] = mapped_column(Integer)


class LinkagePair(Base):
    """A scored pair of person records of one new unit, kept when its match probability reached the
    review threshold: the evidence splits and reviews re-use without scoring again.

    `record_id_l` < `record_id_r`; `match_probability` 0..1 and `match_weight` (log2 Bayes factor)
    from the model `model_version` (`sapnhap.linkage.model.model_version`); `comparisons` a JSON object,
    comparison → {"level", "weight"} (the match weight each comparison added).
    """

    __tablename__ = "linkage_pairs"
    __table_args__ = (CheckConstraint("record_id_l < record_id_r", name="ordered"),)

    record_id_l: Mapped[str] = mapped_column(
        String(128),
        ForeignKey(
            "person_records.record_id", name="fk_linkage_pairs_record_id_l_person_records", ondelete="CASCADE"
        ),
        primary_key=True,
    )
    record_id_r: Mapped[str] = mapped_column(
        String(128),
        ForeignKey(
            "person_records.record_id", name="fk_linkage_pairs_record_id_r_person_records", ondelete="CASCADE"
        ),
        primary_key=True,
        index=True,
    )
    new_unit_code: Mapped[str] = mapped_column(String(5), index=True)
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    comparisons: Mapped[str] = mapped_column(Text, default="{}")
    model_version: Mapped[str] = mapped_column(String(16))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LinkageDecision(Base):
    """An archivist's decision on a pair of records, remembered across runs and retraining.

    `decision` is "must_link" (accepted: the same person) or "cannot_link" (rejected: two people);
    `record_id_l` < `record_id_r`. No foreign key: a decision outlives the records it names (a file
    read again keeps its record ids). The latest decision on a pair (highest `decision_id`) counts.
    `reviewer` and `note` are what the archivist wrote; `decided_at` UTC.
    """

    __tablename__ = "linkage_decisions"
    __table_args__ = (
        CheckConstraint(_in("decision", DECISIONS), name="decision"),
        CheckConstraint("record_id_l < record_id_r", name="ordered"),
        Index("ix_linkage_decisions_pair", "record_id_l", "record_id_r"),
    )

    decision_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    new_unit_code: Mapped[str] = mapped_column(String(5), index=True)
    record_id_l: Mapped[str] = mapped_column(String(128))
    record_id_r: Mapped[str] = mapped_column(String(128))
    decision: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReviewItem(Base):
    """An item waiting for an archivist. For a "merge_candidate" (a pair in the review band of match
    probability), `record_id_l`/`record_id_r` are the pair, `match_probability`/`match_weight` its
    score and `evidence` a JSON object with both records side by side (field → [left, right], with
    file and page) and the match weight of each comparison. `status` is one of `REVIEW_STATUSES`:
    an item decided or no longer needed (its records merged by an accepted pair, or removed) stays as
    history. `item_id` is "merge:<record_id_l>|<record_id_r>". Times are UTC.
    """

    __tablename__ = "review_queue"
    __table_args__ = (
        CheckConstraint(_in("kind", REVIEW_KINDS), name="kind"),
        CheckConstraint(_in("status", REVIEW_STATUSES), name="status"),
    )

    item_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    new_unit_code: Mapped[str] = mapped_column(String(5), index=True)
    record_id_l: Mapped[str | None] = mapped_column(String(128))
    record_id_r: Mapped[str | None] = mapped_column(String(128))
    match_probability: Mapped[float | None] = mapped_column(Float)
    match_weight: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class _ArchivistDecision:
    """Who decided (`reviewer`), why (`note`), on which review item (`item_id`) and when
    (`decided_at`, UTC): the columns every stored archivist's decision carries."""

    reviewer: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    item_id: Mapped[str] = mapped_column(String(300))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FieldCorrection(_ArchivistDecision, Base):
    """The right value of a field, given by an archivist in a review sheet (`sapnhap.review.decisions`).

    Applied over the reading every time the former unit's records are extracted again
    (`sapnhap.review.decisions.apply_corrections`: method "archivist", the raw reading kept). `record_id`,
    `scope` ("person" or "document") and `field` name the field as in `record_fields`; `value` is
    normalised as the register stores it (ISO dates, ID digits, names with their marks). `reviewer`,
    `note`, `item_id` (the review item decided) and `decided_at` (UTC) say who, why and when.
    """

    __tablename__ = "field_corrections"
    __table_args__ = (CheckConstraint(_in("scope", FIELD_SCOPES), name="scope"),)

    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RecordRelease(_ArchivistDecision, Base):
    """A quarantined record an archivist released: from the next run on it is loaded, its broken
    rules kept as warnings with `released_by_archivist`. Who, why, which item and when as in
    `FieldCorrection`."""

    __tablename__ = "record_releases"

    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)


class FileRelease(_ArchivistDecision, Base):
    """A quarantined file an archivist released in a review sheet: from the next intake of any former
    unit that handed it over on, it is read (OCR or text layer) as an archived file, its quarantine
    reason kept in the file's detail and in a provenance event with the reviewer as agent. Only a
    file in the archive with at least one page can be released (`sapnhap.review.decisions`). Keyed by the
    file's SHA-256 (the same bytes are one file wherever they were handed over). Who, why, which
    item and when as in `FieldCorrection`."""

    __tablename__ = "file_releases"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)


def table_names() -> list[str]:
    """Return the names of the tables the models define, sorted by dependency."""
    return [t.name for t in Base.metadata.sorted_tables]


__all__ = [
    "BOX_UNITS",
    "DECISIONS",
    "LINKED_BY",
    "PERSON_STATUSES",
    "REVIEW_KINDS",
    "REVIEW_STATUSES",
    "FIELD_SCOPES",
    "FIELD_STATUSES",
    "FILE_STATUSES",
    "PAGE_METHODS",
    "PRE2025",
    "RECORD_STATUSES",
    "ROUTE_STATUSES",
    "SUBJECT_TYPES",
    "UNIT_LEVELS",
    "Base",
    "Document",
    "File",
    "FieldCorrection",
    "FileRelease",
    "FileSource",
    "FormerUnit",
    "GoldenValue",
    "LinkageDecision",
    "LinkagePair",
    "Page",
    "Person",
    "PersonMember",
    "PersonRecord",
    "ProvenanceEvent",
    "QuarantinedRecord",
    "RecordField",
    "RecordRelease",
    "ReviewItem",
    "UTCDateTime",
    "Word",
    "table_names",
]
