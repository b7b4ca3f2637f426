"""How each person record was read, and from which register row: `extractor` and `entry` on
`person_records` and `quarantined_records`.

"template" (the type's dedicated template), "generic" (the shared label vocabulary,
`sapnhap.records.generic`), "register_table" or "spreadsheet" (`sapnhap.records.rules.EXTRACTORS`).
`entry` is the register row (from 1) a record was read from, 0 for a whole document. Rows loaded
before this revision were all read by templates from whole documents: the server defaults fill them
in. The downgrade drops the columns.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("person_records", "quarantined_records")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("extractor", sa.String(length=16), nullable=False, server_default="template")
            )
            batch.add_column(sa.Column("entry", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("entry")
            batch.drop_column("extractor")
