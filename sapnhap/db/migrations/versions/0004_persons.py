"""Persons: golden records of linked person records, their lineage, archivists' decisions, the review queue.

Adds six tables (see `sapnhap.db.models` for the meaning of every column):

- `persons`: one row per person of a new unit, stable `person_id`, status active / merged / retired.
- `person_members`: which person each person record belongs to, how it joined, and the person it
  first belonged to (splits restore persons by it); deleted with its record.
- `golden_values`: the golden record field by field, each value with the record it was taken from.
- `linkage_pairs`: scored pairs at or above the review threshold, with the weight of each comparison.
- `linkage_decisions`: archivists' must-link / cannot-link decisions, kept across runs.
- `review_queue`: items waiting for an archivist (merge candidates; issue 6 adds the other kinds).

Written by hand from the models and checked against them by
`tests/db/test_db.py::test_migration_matches_models` (both backends). New tables only. The downgrade
drops them and their rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _record_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["person_records.record_id"],
        name=op.f(f"fk_{table}_{column}_person_records"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("person_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("new_unit_code", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.String(length=10), nullable=True),
        sa.Column("birth_year", sa.String(length=4), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("personal_id", sa.String(length=16), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'merged', 'retired')", name=op.f("ck_persons_status")),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["persons.person_id"], name=op.f("fk_persons_merged_into_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_persons")),
    )
    op.create_index(op.f("ix_persons_new_unit_code"), "persons", ["new_unit_code"], unique=False)

    op.create_table(
        "person_members",
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("first_person_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=16), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "linked_by IN ('alone', 'auto', 'archivist')", name=op.f("ck_person_members_linked_by")
        ),
        _record_fk("person_members", "record_id"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_person_members_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_person_members")),
    )
    op.create_index(op.f("ix_person_members_person_id"), "person_members", ["person_id"], unique=False)

    op.create_table(
        "golden_values",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("distinct_values", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.person_id"],
            name=op.f("fk_golden_values_person_id_persons"),
            ondelete="CASCADE",
        ),
        _record_fk("golden_values", "record_id"),
        sa.PrimaryKeyConstraint("person_id", "field", name=op.f("pk_golden_values")),
    )
    op.create_index(op.f("ix_golden_values_record_id"), "golden_values", ["record_id"], unique=False)

    op.create_table(
        "linkage_pairs",
        sa.Column("record_id_l", sa.String(length=128), nullable=False),
        sa.Column("record_id_r", sa.String(length=128), nullable=False),
        sa.Column("new_unit_code", sa.String(length=5), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("comparisons", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=16), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("record_id_l < record_id_r", name=op.f("ck_linkage_pairs_ordered")),
        _record_fk("linkage_pairs", "record_id_l"),
        _record_fk("linkage_pairs", "record_id_r"),
        sa.PrimaryKeyConstraint("record_id_l", "record_id_r", name=op.f("pk_linkage_pairs")),
    )
    op.create_index(op.f("ix_linkage_pairs_record_id_r"), "linkage_pairs", ["record_id_r"], unique=False)
    op.create_index(op.f("ix_linkage_pairs_new_unit_code"), "linkage_pairs", ["new_unit_code"], unique=False)

    op.create_table(
        "linkage_decisions",
        sa.Column("decision_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("new_unit_code", sa.String(length=5), nullable=False),
        sa.Column("record_id_l", sa.String(length=128), nullable=False),
        sa.Column("record_id_r", sa.String(length=128), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('must_link', 'cannot_link')", name=op.f("ck_linkage_decisions_decision")
        ),
        sa.CheckConstraint("record_id_l < record_id_r", name=op.f("ck_linkage_decisions_ordered")),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_linkage_decisions")),
    )
    op.create_index(
        op.f("ix_linkage_decisions_pair"), "linkage_decisions", ["record_id_l", "record_id_r"], unique=False
    )
    op.create_index(
        op.f("ix_linkage_decisions_new_unit_code"), "linkage_decisions", ["new_unit_code"], unique=False
    )

    op.create_table(
        "review_queue",
        sa.Column("item_id", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("new_unit_code", sa.String(length=5), nullable=False),
        sa.Column("record_id_l", sa.String(length=128), nullable=True),
        sa.Column("record_id_r", sa.String(length=128), nullable=True),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('merge_candidate', 'uncertain_field', 'validation_failure')",
            name=op.f("ck_review_queue_kind"),
        ),
        sa.CheckConstraint("status IN ('open', 'decided', 'withdrawn')", name=op.f("ck_review_queue_status")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_review_queue")),
    )
    op.create_index(op.f("ix_review_queue_new_unit_code"), "review_queue", ["new_unit_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_review_queue_new_unit_code"), table_name="review_queue")
    op.drop_table("review_queue")
    op.drop_index(op.f("ix_linkage_decisions_new_unit_code"), table_name="linkage_decisions")
    op.drop_index(op.f("ix_linkage_decisions_pair"), table_name="linkage_decisions")
    op.drop_table("linkage_decisions")
    op.drop_index(op.f("ix_linkage_pairs_new_unit_code"), table_name="linkage_pairs")
    op.drop_index(op.f("ix_linkage_pairs_record_id_r"), table_name="linkage_pairs")
    op.drop_table("linkage_pairs")
    op.drop_index(op.f("ix_golden_values_record_id"), table_name="golden_values")
    op.drop_table("golden_values")
    op.drop_index(op.f("ix_person_members_person_id"), table_name="person_members")
    op.drop_table("person_members")
    op.drop_index(op.f("ix_persons_new_unit_code"), table_name="persons")
    op.drop_table("persons")
