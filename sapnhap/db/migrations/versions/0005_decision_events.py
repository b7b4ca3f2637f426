"""Provenance events for archivists' decisions: an `agent` (who) and two more subject types.

`provenance_events` gets a nullable `agent` column (the person or tool that acted: an archivist's
name for a review decision, empty for the pipeline's own steps), and its subject types grow from
file / page / document to also `record` (a person record) and `review_item` (an item of the review
queue: a merge candidate, an uncertain field, a validation failure). SQLite rebuilds the table
(batch mode) to change the CHECK constraint; revision 0001 named it with the doubled prefix
(`ck_provenance_events_ck_provenance_events_subject_type`), which is dropped here and replaced by
`ck_provenance_events_subject_type`. The downgrade restores both, and refuses while events of the new
subject types exist (they would break the old constraint): delete them first.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_NAME = "ck_provenance_events_ck_provenance_events_subject_type"
_NEW_NAME = "ck_provenance_events_subject_type"


def upgrade() -> None:
    with op.batch_alter_table("provenance_events", recreate="auto") as batch:
        batch.drop_constraint(op.f(_OLD_NAME), type_="check")
        batch.create_check_constraint(
            op.f(_NEW_NAME), "subject_type IN ('file', 'page', 'document', 'record', 'review_item')"
        )
        batch.add_column(sa.Column("agent", sa.Text(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    newer = bind.execute(
        sa.text("SELECT COUNT(*) FROM provenance_events WHERE subject_type IN ('record', 'review_item')")
    ).scalar_one()
    if newer:
        raise RuntimeError(
            f"{newer} provenance events are about records or review items, which revision 0004 cannot "
            "hold: delete them first"
        )
    with op.batch_alter_table("provenance_events", recreate="auto") as batch:
        batch.drop_column("agent")
        batch.drop_constraint(op.f(_NEW_NAME), type_="check")
        batch.create_check_constraint(op.f(_OLD_NAME), "subject_type IN ('file', 'page', 'document')")
