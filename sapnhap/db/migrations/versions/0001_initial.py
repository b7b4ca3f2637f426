"""Initial schema of the unified database.

Tables: former_units, files, file_sources, pages, words, documents, provenance_events (see
`sapnhap.db.models` for the meaning of every column). Written by hand from the models and checked
against them by `tests/db/test_db.py::test_migration_matches_models` (autogenerate compare, both
backends). Constraint and index names are spelled out so they are the same on SQLite and PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2025-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "former_units",
        sa.Column("vintage", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("district_name", sa.Text(), nullable=True),
        sa.Column("province_name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("vintage", "code", name="pk_former_units"),
    )

    op.create_table(
        "files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=255), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("quarantine_reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("archive_path", sa.Text(), nullable=True),
        sa.Column("duplicate_of", sa.String(length=64), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('archived', 'duplicate', 'quarantined')", name="ck_files_status"),
        sa.ForeignKeyConstraint(["duplicate_of"], ["files.sha256"], name="fk_files_duplicate_of_files"),
        sa.PrimaryKeyConstraint("sha256", name="pk_files"),
    )
    op.create_index("ix_files_duplicate_of", "files", ["duplicate_of"], unique=False)

    op.create_table(
        "file_sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("former_unit_vintage", sa.String(length=16), nullable=False),
        sa.Column("former_unit_code", sa.String(length=5), nullable=False),
        sa.Column("original_path", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('archived', 'duplicate', 'quarantined')", name="ck_file_sources_status"
        ),
        sa.ForeignKeyConstraint(
            ["former_unit_vintage", "former_unit_code"],
            ["former_units.vintage", "former_units.code"],
            name="fk_file_sources_former_unit",
        ),
        sa.ForeignKeyConstraint(["file_sha256"], ["files.sha256"], name="fk_file_sources_file_sha256_files"),
        sa.PrimaryKeyConstraint("id", name="pk_file_sources"),
        # Leads with the former unit's key, so it also indexes fk_file_sources_former_unit.
        sa.UniqueConstraint(
            "former_unit_code",
            "former_unit_vintage",
            "original_path",
            "file_sha256",
            name="uq_file_sources_source",
        ),
    )
    op.create_index("ix_file_sources_file_sha256", "file_sources", ["file_sha256"], unique=False)

    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("page_number", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mean_confidence", sa.Float(), nullable=True),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.String(length=64), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=True),
        sa.Column("width", sa.Float(), nullable=True),
        sa.Column("height", sa.Float(), nullable=True),
        sa.Column("box_unit", sa.String(length=8), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("rotation_method", sa.String(length=64), nullable=False),
        sa.Column("skew_degrees", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("method IN ('text_layer', 'ocr', 'failed')", name="ck_pages_method"),
        sa.CheckConstraint("page_number >= 1", name="ck_pages_page_number"),
        sa.ForeignKeyConstraint(["file_sha256"], ["files.sha256"], name="fk_pages_file_sha256_files"),
        sa.PrimaryKeyConstraint("id", name="pk_pages"),
        # Leads with file_sha256, so it also indexes fk_pages_file_sha256_files.
        sa.UniqueConstraint("file_sha256", "page_number", name="uq_pages_file_sha256_page_number"),
    )
    op.create_index("ix_pages_image_sha256", "pages", ["image_sha256"], unique=False)

    op.create_table(
        "words",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("word_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("left", sa.Float(), nullable=False),
        sa.Column("top", sa.Float(), nullable=False),
        sa.Column("width", sa.Float(), nullable=False),
        sa.Column("height", sa.Float(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name="fk_words_page_id_pages", ondelete="CASCADE"),
        # Leads with page_id, so it also indexes fk_words_page_id_pages.
        sa.PrimaryKeyConstraint("page_id", "word_index", name="pk_words"),
    )

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("first_page", sa.Integer(), nullable=False),
        sa.Column("last_page", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=64), nullable=False),
        sa.Column("type_rule", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.CheckConstraint("first_page >= 1 AND last_page >= first_page", name="ck_documents_page_range"),
        sa.ForeignKeyConstraint(["file_sha256"], ["files.sha256"], name="fk_documents_file_sha256_files"),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        # Leads with file_sha256, so it also indexes fk_documents_file_sha256_files.
        sa.UniqueConstraint("file_sha256", "first_page", name="uq_documents_file_sha256_first_page"),
    )

    op.create_table(
        "provenance_events",
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("tool", sa.String(length=128), nullable=False),
        sa.Column("tool_version", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "subject_type IN ('file', 'page', 'document')", name="ck_provenance_events_subject_type"
        ),
        sa.PrimaryKeyConstraint("event_key", name="pk_provenance_events"),
    )
    op.create_index(
        "ix_provenance_events_subject", "provenance_events", ["subject_type", "subject_id"], unique=False
    )
    op.create_index("ix_provenance_events_run_id", "provenance_events", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_provenance_events_run_id", table_name="provenance_events")
    op.drop_index("ix_provenance_events_subject", table_name="provenance_events")
    op.drop_table("provenance_events")
    op.drop_table("documents")
    op.drop_table("words")
    op.drop_index("ix_pages_image_sha256", table_name="pages")
    op.drop_table("pages")
    op.drop_index("ix_file_sources_file_sha256", table_name="file_sources")
    op.drop_table("file_sources")
    op.drop_index("ix_files_duplicate_of", table_name="files")
    op.drop_table("files")
    op.drop_table("former_units")
