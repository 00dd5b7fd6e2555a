"""The tables the project owns (SQLAlchemy 1.4 Core, one MetaData), versioned by the Alembic migrations in
``cases/migrations``. Rasa's own tracker store (``events``) is not here.

A change to a table here needs a new migration: ``tests/test_migrations.py`` compares this metadata with
the migrated schema (Alembic's autogenerate comparison) and fails on any difference.

Times are naive UTC (``DateTime`` without time zone), as the first two tables always stored them.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Names for constraints the migrations create (SQLite's batch mode and PostgreSQL both need them named).
# The two original tables keep the names `metadata.create_all` gave them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

CASE_STATUSES = ("bot", "waiting", "with_staff", "escalated", "resolved")
OPEN_STATUSES = ("bot", "waiting", "with_staff", "escalated")
DIRECTIONS = ("user", "staff", "bot")
DELIVERY_STATUSES = ("sent", "delivered", "undeliverable")
ROLES = ("officer", "supervisor", "programme_manager")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# --- revision 1: the two tables `actions/store.py` created with `metadata.create_all` -------------------

referral_counts = Table(
    "referral_counts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("problem", String(32), nullable=False),
    Column("province", String(64), nullable=False),
    Column("channel", String(32), nullable=False, default="unknown"),
    Column("count", Integer, nullable=False, default=0),
    UniqueConstraint("day", "problem", "province", "channel", name="uq_referral_bucket"),
)

# --- revision 2 ------------------------------------------------------------------------------------------

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),  # argon2id, PHC string format
    Column("role", String(32), nullable=False),
    Column("province", String(64)),  # officers: the province whose cases they handle
    Column("display_name", String(128)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint(_in("role", ROLES), name="role"),
    CheckConstraint("role <> 'officer' OR province IS NOT NULL", name="officer_province"),
)

# The case (revision 1's columns, then revision 2's). One open case per person is the repository's rule
# (`repository.open_or_extend_case`), not a constraint: a "different matter" opens a second one.
cases = Table(
    "handoff_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("sender_hash", String(64), index=True),  # NULL once erased
    Column("channel", String(32), nullable=False, default="unknown"),
    Column("topic", String(64)),
    Column("province", String(64)),
    Column("summary", Text),  # the user's last messages when the case was opened or extended
    Column("status", String(16), nullable=False, default="waiting"),
    # revision 2
    Column("sender_id", String(128)),  # the channel's id of the user, to reply in their channel; NULL once erased
    Column("description", Text),  # the one-line description the user gave
    Column("contact", String(255)),  # how to reach the user besides the chat
    Column("facts", JSON),  # what the bot gathered: topic, province, calculator inputs
    Column("assigned_staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")),
    Column("updated_at", DateTime),
    Column("resolved_at", DateTime),
    Column("erased_at", DateTime),
    # revision 3
    Column("closed_reason", String(16)),  # resolved: "resolved" (staff) or "withdrawn" (the user)
    CheckConstraint(_in("status", CASE_STATUSES), name="status"),
    Index("ix_handoff_cases_status_province", "status", "province"),
)

case_messages = Table(
    "case_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("handoff_cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("direction", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")),
    Column("delivery_status", String(16)),  # staff and bot messages: sent, delivered, undeliverable
    Column("delivery_reason", String(255)),  # why undeliverable (e.g. Zalo's 48-hour window)
    Column("delivery_updated_at", DateTime),
    Column("platform_message_id", String(64)),  # revision 3: the channel's id of a sent message
    CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
    CheckConstraint(f"delivery_status IS NULL OR {_in('delivery_status', DELIVERY_STATUSES)}", name="delivery_status"),
)

case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("handoff_cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("text", Text, nullable=False),
)

case_assignments = Table(
    "case_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("handoff_cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("assigned_by", Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
)

# An escalation to the province's State legal-aid centre or labour federation: what was sent, to whom.
case_referrals = Table(
    "case_referrals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("handoff_cases.id", ondelete="SET NULL"), index=True),
    Column("created_at", DateTime, nullable=False),
    Column("organisation", String(255), nullable=False),
    Column("kind", String(32)),  # e.g. legal_aid, labour_federation (the referral directory's kind)
    Column("province", String(64)),
    Column("topic", String(64)),
    Column("sent_text", Text),  # the summary that was sent; masked when the case is erased
    Column("staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")),
)

case_ratings = Table(
    "case_ratings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("handoff_cases.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("score", Integer, nullable=False),
    Column("comment", Text),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("score BETWEEN 1 AND 5", name="score"),
)

# Who did what to which case (no personal data in `detail`).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False, index=True),
    Column("actor", String(16), nullable=False),  # staff, bot, user, system
    Column("staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")),
    Column("case_id", Integer, ForeignKey("handoff_cases.id", ondelete="SET NULL"), index=True),
    Column("action", String(64), nullable=False),
    Column("detail", JSON),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the opaque cookie token
    Column("staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime),
    Column("revoked_at", DateTime),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("remote_addr", String(64)),
    Column("succeeded", Boolean, nullable=False, default=False),
    Index("ix_login_attempts_username_created_at", "username", "created_at"),
    Index("ix_login_attempts_remote_addr_created_at", "remote_addr", "created_at"),
)

# Consent as Law 91/2025/QH15 expects: for what, when, through which channel, the exact wording shown, and
# its withdrawal. Kept as proof when a case is erased (linked by the sender hash, not the sender id).
consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("handoff_cases.id", ondelete="SET NULL")),
    Column("purpose", String(64), nullable=False),  # e.g. share_with_union_staff
    Column("granted", Boolean, nullable=False, default=True),  # False: the user declined
    Column("channel", String(32), nullable=False),
    Column("wording", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("withdrawn_at", DateTime),
)

# --- revision 4: outreach (outreach/) -------------------------------------------------------------------

SUBSCRIPTION_KINDS = ("vsi_payment", "hi_renewal", "news")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
# pending: claimed by the scheduler, outcome not known yet (a crash leaves it so: never sent again);
# waiting_visit: a web notice shown at the visitor's next visit; skipped: quiet hours or the weekly cap moved it.
OUTREACH_STATUSES = ("pending", "sent", "delivered", "undeliverable", "waiting_visit", "skipped")

# A person's standing request for messages: payment reminders, a card-renewal reminder, or news.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("sender_id", String(128)),  # where to send; NULL once ended or erased
    Column("channel", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("details", JSON),  # vsi_payment: amount, period_months, start (YYYY-MM); hi_renewal: expiry, amount
    # Segment facts, kept only with consent for that purpose (segment_consent):
    Column("province", String(64)),
    Column("group", String(32)),  # farmer, informal, poor, near_poor ...
    Column("topic", String(64)),  # the topic of interest (a registry key)
    Column("segment_consent", Boolean, nullable=False, default=False),
    Column("consent_id", Integer, ForeignKey("consents.id", ondelete="SET NULL")),
    Column("active", Boolean, nullable=False, default=True),
    Column("ended_at", DateTime),
    Column("end_reason", String(16)),  # user (opt-out), erased, restart (a shared device), expired
    CheckConstraint(_in("kind", SUBSCRIPTION_KINDS), name="kind"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")),
    Column("title", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("segment", JSON),  # {"province": ..., "channel": ..., "topic": ..., "group": ..., "kind": ...}
    Column("scheduled_at", DateTime),
    Column("status", String(16), nullable=False, default="draft"),
    Column("source", String(16), nullable=False, default="staff"),  # staff, law_change
    Column("parameter", String(64)),  # law_change: the parameter whose new value starts soon
    Column("effective", Date),  # law_change: the day the new value starts
    Column("recipients", Integer),
    Column("sent_at", DateTime),
    Column("cancelled_at", DateTime),
    CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status"),
    UniqueConstraint("source", "parameter", "effective", name="uq_campaigns_law_change"),
)

# Every message the outreach side sends or tries to: at most once per key (a reminder: subscription and due
# date; a campaign: campaign and subscription), with what became of it.
outreach_deliveries = Table(
    "outreach_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(128), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False, index=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="SET NULL"), index=True),
    Column("channel", String(32)),
    Column("text", Text),
    Column("status", String(16), nullable=False),
    Column("reason", String(255)),
    Column("finished_at", DateTime),
    CheckConstraint(_in("status", OUTREACH_STATUSES), name="status"),
)

PROJECT_TABLES = tuple(metadata.tables)
