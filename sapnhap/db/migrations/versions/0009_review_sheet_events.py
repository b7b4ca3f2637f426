"""Provenance events for whole review sheets: subject type `review_sheet`.

The `apply_review_sheet` job stores a sheet's decisions and, in the same transaction, one event whose
subject is the sheet's SHA-256 (`sapnhap.review.decisions.SHEET_EVENT`): proof that the sheet was
applied, so that a run that crashed before filing the sheet away, or the same file dropped again, is
filed without storing anything twice. SQLite rebuilds the table (batch mode) to change the CHECK
constraint. The downgrade refuses while such events exist: delete them first.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ck_provenance_events_subject_type"
_BEFORE = "subject_type IN ('file', 'page', 'document', 'record', 'review_item')"
_AFTER = "subject_type IN ('file', 'page', 'document', 'record', 'review_item', 'review_sheet')"


def upgrade() -> None:
    with op.batch_alter_table("provenance_events", recreate="auto") as batch:
        batch.drop_constraint(op.f(_NAME), type_="check")
        batch.create_check_constraint(op.f(_NAME), _AFTER)


def downgrade() -> None:
    sheets = (
        op.get_bind()
        .execute(sa.text("SELECT COUNT(*) FROM provenance_events WHERE subject_type = 'review_sheet'"))
        .scalar_one()
    )
    if sheets:
        raise RuntimeError(
            f"{sheets} provenance events are about review sheets, which revision 0008 cannot hold: delete them first"
        )
    with op.batch_alter_table("provenance_events", recreate="auto") as batch:
        batch.drop_constraint(op.f(_NAME), type_="check")
        batch.create_check_constraint(op.f(_NAME), _BEFORE)
