"""Former units get a level: "commune" (5-digit code) or "district" (3-digit code).

Former districts hand over their archives too, so they are former units of their own. Adds
`former_units.level` (String(16), NOT NULL, CHECK `ck_former_units_level` in ('commune', 'district'),
server default 'commune'): every row stored before this revision was a commune and keeps its data.

Written by hand. The column is added with its CHECK as a column constraint in one
`ALTER TABLE ... ADD COLUMN`, which both SQLite and PostgreSQL accept, so batch mode does not copy
the table on SQLite (copying would drop `former_units` while `file_sources` rows point at it, which
SQLite's foreign keys refuse inside the migration's transaction). The downgrade drops the column
and its CHECK (SQLite >= 3.35 drops a column natively); which units were districts is lost.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("former_units", recreate="never") as batch:
        batch.add_column(
            sa.Column(
                "level",
                sa.String(length=16),
                # op.f: the name as written (the metadata's naming convention would prefix it again).
                sa.CheckConstraint("level IN ('commune', 'district')", name=op.f("ck_former_units_level")),
                server_default=sa.text("'commune'"),
                nullable=False,
            )
        )


def downgrade() -> None:
    # PostgreSQL drops the column's CHECK with it; SQLite (>= 3.35) drops the column natively.
    op.drop_column("former_units", "level")
