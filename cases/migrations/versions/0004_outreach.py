"""Outreach: subscriptions (reminders, news) with their consent, campaigns (staff-written and law-change
drafts), and one delivery record per message (at most once).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(128)),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("details", sa.JSON()),
        sa.Column("province", sa.String(64)),
        sa.Column("group", sa.String(32)),
        sa.Column("topic", sa.String(64)),
        sa.Column("segment_consent", sa.Boolean(), nullable=False),
        sa.Column("consent_id", sa.Integer(), sa.ForeignKey("consents.id", name="fk_subscriptions_consent_id_consents", ondelete="SET NULL")),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime()),
        sa.Column("end_reason", sa.String(16)),
        sa.CheckConstraint("kind IN ('vsi_payment', 'hi_renewal', 'news')", name=op.f("ck_subscriptions_kind")),
    )
    op.create_index("ix_subscriptions_sender_hash", "subscriptions", ["sender_hash"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("staff_accounts.id", name="fk_campaigns_created_by_staff_accounts", ondelete="SET NULL")),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("segment", sa.JSON()),
        sa.Column("scheduled_at", sa.DateTime()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("parameter", sa.String(64)),
        sa.Column("effective", sa.Date()),
        sa.Column("recipients", sa.Integer()),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("cancelled_at", sa.DateTime()),
        sa.CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')", name=op.f("ck_campaigns_status")),
        sa.UniqueConstraint("source", "parameter", "effective", name=op.f("uq_campaigns_law_change")),
    )
    op.create_table(
        "outreach_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), sa.ForeignKey("subscriptions.id", name="fk_outreach_deliveries_subscription_id_subscriptions", ondelete="SET NULL")),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", name="fk_outreach_deliveries_campaign_id_campaigns", ondelete="SET NULL")),
        sa.Column("channel", sa.String(32)),
        sa.Column("text", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(255)),
        sa.Column("finished_at", sa.DateTime()),
        sa.CheckConstraint("status IN ('pending', 'sent', 'delivered', 'undeliverable', 'waiting_visit', 'skipped')", name=op.f("ck_outreach_deliveries_status")),
        sa.UniqueConstraint("key", name=op.f("uq_outreach_deliveries_key")),
    )
    op.create_index("ix_outreach_deliveries_due_at", "outreach_deliveries", ["due_at"])
    op.create_index("ix_outreach_deliveries_subscription_id", "outreach_deliveries", ["subscription_id"])
    op.create_index("ix_outreach_deliveries_campaign_id", "outreach_deliveries", ["campaign_id"])


def downgrade() -> None:
    op.drop_table("outreach_deliveries")
    op.drop_table("campaigns")
    op.drop_index("ix_subscriptions_sender_hash", "subscriptions")
    op.drop_table("subscriptions")
