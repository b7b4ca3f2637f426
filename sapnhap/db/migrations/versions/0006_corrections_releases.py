"""Archivists' corrections and releases, kept across runs.

- `field_corrections`: the right value of a field an archivist gave in a review sheet, applied over
  the OCR reading every time the former unit's records are extracted again (method "archivist").
- `record_releases`: a quarantined record an archivist released: loaded with its reasons kept as
  warnings and `released_by_archivist`.

No foreign key to the records: a decision outlives a record read again (its id names the file,
page and role, which stay). The downgrade drops both tables and their rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _decision_columns() -> list[sa.Column]:
    return [
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("item_id", sa.String(length=300), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "field_corrections",
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        *_decision_columns(),
        sa.CheckConstraint("scope IN ('person', 'document')", name=op.f("ck_field_corrections_scope")),
        sa.PrimaryKeyConstraint("record_id", "scope", "field", name=op.f("pk_field_corrections")),
    )
    op.create_table(
        "record_releases",
        sa.Column("record_id", sa.String(length=128), nullable=False),
        *_decision_columns(),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_releases")),
    )


def downgrade() -> None:
    op.drop_table("record_releases")
    op.drop_table("field_corrections")
