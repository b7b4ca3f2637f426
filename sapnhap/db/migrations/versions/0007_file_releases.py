"""Quarantined files an archivist released in a review sheet.

- `file_releases`: one row per released file (its SHA-256), with who released it, why, the review
  item and when. The next intake of a former unit that handed the file over reads it as an archived
  file (`sapnhap.intake.handover.intake_handover`), its quarantine reason kept in the file's detail.

No foreign key to `files`: the decision is about bytes, kept even if the file row is rebuilt. The
downgrade drops the table and its rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_releases",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("item_id", sa.String(length=300), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_file_releases")),
    )


def downgrade() -> None:
    op.drop_table("file_releases")
