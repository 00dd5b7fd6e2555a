"""The two tables actions/store.py created with metadata.create_all, exactly as they were.

A database made by create_all (these tables, no alembic_version) is stamped at this revision by
cases.db.upgrade instead of running it.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "referral_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("problem", sa.String(32), nullable=False),
        sa.Column("province", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("day", "problem", "province", "channel", name="uq_referral_bucket"),
    )
    op.create_table(
        "handoff_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("province", sa.String(64)),
        sa.Column("summary", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_handoff_cases_sender_hash", "handoff_cases", ["sender_hash"])


def downgrade() -> None:
    op.drop_index("ix_handoff_cases_sender_hash", table_name="handoff_cases")
    op.drop_table("handoff_cases")
    op.drop_table("referral_counts")
