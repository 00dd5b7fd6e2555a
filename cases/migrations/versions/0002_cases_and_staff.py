"""Cases for the staff console: new case columns (sender id, description, contact, facts, assignment, times;
status bot/waiting/with_staff/escalated/resolved, the old "open" becoming "waiting"), messages, notes,
assignments, referral records, ratings, audit log, staff accounts, login sessions, login attempts, consents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATUSES = "'bot', 'waiting', 'with_staff', 'escalated', 'resolved'"


# Names are given whole (op.f): the target metadata's naming convention must not rename them.


def _fk(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("province", sa.String(64)),
        sa.Column("display_name", sa.String(128)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("username", name="uq_staff_accounts_username"),
        sa.CheckConstraint("role IN ('officer', 'supervisor', 'programme_manager')", name=op.f("ck_staff_accounts_role")),
        sa.CheckConstraint("role <> 'officer' OR province IS NOT NULL", name=op.f("ck_staff_accounts_officer_province")),
    )

    # Existing cases: the one status there was ("open") means waiting for staff.
    op.execute(f"UPDATE handoff_cases SET status = 'waiting' WHERE status NOT IN ({STATUSES})")
    with op.batch_alter_table("handoff_cases") as batch:
        batch.alter_column("sender_hash", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("sender_id", sa.String(128)))
        batch.add_column(sa.Column("description", sa.Text()))
        batch.add_column(sa.Column("contact", sa.String(255)))
        batch.add_column(sa.Column("facts", sa.JSON()))
        batch.add_column(sa.Column("assigned_staff_id", sa.Integer()))
        batch.add_column(sa.Column("updated_at", sa.DateTime()))
        batch.add_column(sa.Column("resolved_at", sa.DateTime()))
        batch.add_column(sa.Column("erased_at", sa.DateTime()))
        batch.create_foreign_key(
            _fk("handoff_cases", "assigned_staff_id", "staff_accounts"), "staff_accounts",
            ["assigned_staff_id"], ["id"], ondelete="SET NULL",
        )
        batch.create_check_constraint(op.f("ck_handoff_cases_status"), f"status IN ({STATUSES})")
        batch.create_index("ix_handoff_cases_status_province", ["status", "province"])

    def case_fk(table: str, ondelete: str = "CASCADE", nullable: bool = False) -> sa.Column:
        return sa.Column(
            "case_id", sa.Integer(),
            sa.ForeignKey("handoff_cases.id", name=_fk(table, "case_id", "handoff_cases"), ondelete=ondelete),
            nullable=nullable,
        )

    def staff_fk(table: str, column: str = "staff_id", ondelete: str = "SET NULL", nullable: bool = True) -> sa.Column:
        return sa.Column(
            column, sa.Integer(),
            sa.ForeignKey("staff_accounts.id", name=_fk(table, column, "staff_accounts"), ondelete=ondelete),
            nullable=nullable,
        )

    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        case_fk("case_messages"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        staff_fk("case_messages"),
        sa.Column("delivery_status", sa.String(16)),
        sa.Column("delivery_reason", sa.String(255)),
        sa.Column("delivery_updated_at", sa.DateTime()),
        sa.CheckConstraint("direction IN ('user', 'staff', 'bot')", name=op.f("ck_case_messages_direction")),
        sa.CheckConstraint(
            "delivery_status IS NULL OR delivery_status IN ('sent', 'delivered', 'undeliverable')",
            name=op.f("ck_case_messages_delivery_status"),
        ),
    )
    op.create_index("ix_case_messages_case_id", "case_messages", ["case_id"])

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        case_fk("case_notes"),
        staff_fk("case_notes"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])

    op.create_table(
        "case_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        case_fk("case_assignments"),
        staff_fk("case_assignments", ondelete="CASCADE", nullable=False),
        staff_fk("case_assignments", column="assigned_by"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_assignments_case_id", "case_assignments", ["case_id"])

    op.create_table(
        "case_referrals",
        sa.Column("id", sa.Integer(), primary_key=True),
        case_fk("case_referrals", ondelete="SET NULL", nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("organisation", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32)),
        sa.Column("province", sa.String(64)),
        sa.Column("topic", sa.String(64)),
        sa.Column("sent_text", sa.Text()),
        staff_fk("case_referrals"),
    )
    op.create_index("ix_case_referrals_case_id", "case_referrals", ["case_id"])

    op.create_table(
        "case_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        case_fk("case_ratings"),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("case_id", name="uq_case_ratings_case_id"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_case_ratings_score")),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        staff_fk("audit_log"),
        case_fk("audit_log", ondelete="SET NULL", nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON()),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    op.create_index("ix_audit_log_case_id", "audit_log", ["case_id"])

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        staff_fk("staff_sessions", ondelete="CASCADE", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()),
        sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("remote_addr", sa.String(64)),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_login_attempts_username_created_at", "login_attempts", ["username", "created_at"])
    op.create_index("ix_login_attempts_remote_addr_created_at", "login_attempts", ["remote_addr", "created_at"])

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        case_fk("consents", ondelete="SET NULL", nullable=True),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime()),
    )
    op.create_index("ix_consents_sender_hash", "consents", ["sender_hash"])


def downgrade() -> None:
    for table in ("consents", "login_attempts", "staff_sessions", "audit_log", "case_ratings", "case_referrals",
                  "case_assignments", "case_notes", "case_messages"):
        op.drop_table(table)
    op.execute("UPDATE handoff_cases SET sender_hash = '' WHERE sender_hash IS NULL")
    with op.batch_alter_table("handoff_cases") as batch:
        batch.drop_index("ix_handoff_cases_status_province")
        batch.drop_constraint(op.f("ck_handoff_cases_status"), type_="check")
        batch.drop_constraint(_fk("handoff_cases", "assigned_staff_id", "staff_accounts"), type_="foreignkey")
        for column in ("erased_at", "resolved_at", "updated_at", "assigned_staff_id", "facts", "contact",
                       "description", "sender_id"):
            batch.drop_column(column)
        batch.alter_column("sender_hash", existing_type=sa.String(64), nullable=False)
    op.execute("UPDATE handoff_cases SET status = 'open' WHERE status <> 'resolved'")
    op.drop_table("staff_accounts")
