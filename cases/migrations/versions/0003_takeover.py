"""Takeover: why a case was closed (resolved by staff, withdrawn by the user) and the platform's id of a
staff message (Telegram message id, Zalo msg_id) for its delivery status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_cases") as batch:
        batch.add_column(sa.Column("closed_reason", sa.String(16)))
    with op.batch_alter_table("case_messages") as batch:
        batch.add_column(sa.Column("platform_message_id", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("case_messages") as batch:
        batch.drop_column("platform_message_id")
    with op.batch_alter_table("handoff_cases") as batch:
        batch.drop_column("closed_reason")
