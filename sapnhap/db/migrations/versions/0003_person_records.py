"""Person records: the validated records in the unified database, their fields, and the quarantine.

Adds three tables (see `sapnhap.db.models` for the meaning of every column):

- `person_records`: one row per person record that passed validation (status "valid" or "warning"),
  with its route to the new unit. Foreign keys to `former_units` (vintage, code) and to `documents`
  (file_sha256, first_page), both indexed; `new_unit_code` indexed.
- `record_fields`: every field read for a person record (scope "person" or "document"), with its
  lineage to the page; primary key (record_id, scope, field); deleted with its record (ON DELETE
  CASCADE).
- `quarantined_records`: a person record that broke a hard rule, kept with every reason
  (`reasons` never empty, `n_errors >= 1`) and the fields read as JSON, for an archivist's review.

Written by hand from the models and checked against them by
`tests/db/test_db.py::test_migration_matches_models` (autogenerate compare, both backends). Every
constraint name is given in full through `op.f`: the metadata's naming convention would otherwise
prefix a CHECK's name again (`ck_person_records_ck_person_records_status`, the doubling 0001's
CHECKs have). New tables only, so SQLite needs no batch copy. The downgrade drops the three tables
and their rows.

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROUTE_STATUSES = "route_status IN ('routed', 'review', 'unresolved')"


def _record_columns() -> list[sa.Column]:
    """The columns `person_records` and `quarantined_records` share, in model order (up to `role`)."""
    return [
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("former_unit_vintage", sa.String(length=16), nullable=False),
        sa.Column("former_unit_code", sa.String(length=5), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("first_page", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
    ]


def _route_columns() -> list[sa.Column]:
    return [
        sa.Column("former_commune_code", sa.String(length=5), nullable=True),  # a pre2025 code
        sa.Column("new_unit_code", sa.String(length=5), nullable=True),  # a post2025 code
        sa.Column("route_candidates", sa.Text(), nullable=False),  # JSON list of post2025 codes
        sa.Column("route_evidence", sa.Text(), nullable=False),
    ]


def _references(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["former_unit_vintage", "former_unit_code"],
            ["former_units.vintage", "former_units.code"],
            name=op.f(f"fk_{table}_former_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["file_sha256", "first_page"],
            ["documents.file_sha256", "documents.first_page"],
            name=op.f(f"fk_{table}_document"),
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "person_records",
        *_record_columns(),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("route_status", sa.String(length=16), nullable=False),
        *_route_columns(),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('valid', 'warning')", name=op.f("ck_person_records_status")),
        sa.CheckConstraint(_ROUTE_STATUSES, name=op.f("ck_person_records_route_status")),
        *_references("person_records"),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_person_records")),
    )
    op.create_index(
        op.f("ix_person_records_former_unit"),
        "person_records",
        ["former_unit_vintage", "former_unit_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_person_records_document"), "person_records", ["file_sha256", "first_page"], unique=False
    )
    op.create_index(
        op.f("ix_person_records_new_unit_code"), "person_records", ["new_unit_code"], unique=False
    )

    op.create_table(
        "record_fields",
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("left", sa.Float(), nullable=True),
        sa.Column("top", sa.Float(), nullable=True),
        sa.Column("width", sa.Float(), nullable=True),
        sa.Column("height", sa.Float(), nullable=True),
        sa.Column("box_unit", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=64), nullable=False),
        sa.Column("repaired", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("scope IN ('person', 'document')", name=op.f("ck_record_fields_scope")),
        sa.CheckConstraint("status IN ('found', 'missing')", name=op.f("ck_record_fields_status")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["person_records.record_id"],
            name=op.f("fk_record_fields_record_id_person_records"),
            ondelete="CASCADE",
        ),
        # Leads with record_id, so it also indexes fk_record_fields_record_id_person_records.
        sa.PrimaryKeyConstraint("record_id", "scope", "field", name=op.f("pk_record_fields")),
    )

    op.create_table(
        "quarantined_records",
        *_record_columns(),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("n_errors", sa.Integer(), nullable=False),
        sa.Column("route_status", sa.String(length=16), nullable=False),
        *_route_columns(),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_ROUTE_STATUSES, name=op.f("ck_quarantined_records_route_status")),
        sa.CheckConstraint("reasons <> ''", name=op.f("ck_quarantined_records_reasons")),
        sa.CheckConstraint("n_errors >= 1", name=op.f("ck_quarantined_records_n_errors")),
        *_references("quarantined_records"),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_quarantined_records")),
    )
    op.create_index(
        op.f("ix_quarantined_records_former_unit"),
        "quarantined_records",
        ["former_unit_vintage", "former_unit_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_quarantined_records_document"),
        "quarantined_records",
        ["file_sha256", "first_page"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_quarantined_records_document"), table_name="quarantined_records")
    op.drop_index(op.f("ix_quarantined_records_former_unit"), table_name="quarantined_records")
    op.drop_table("quarantined_records")
    op.drop_table("record_fields")
    op.drop_index(op.f("ix_person_records_new_unit_code"), table_name="person_records")
    op.drop_index(op.f("ix_person_records_document"), table_name="person_records")
    op.drop_index(op.f("ix_person_records_former_unit"), table_name="person_records")
    op.drop_table("person_records")
