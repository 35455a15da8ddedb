"""telephony: call records and events, tickets per call, wrap-up codes, call thresholds, desk
secrets (the CTI token), agents' extensions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import deskterm.models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_threshold",
        sa.Column("figure", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("amber", sa.Float(), nullable=False),
        sa.Column("red", sa.Float(), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("figure", name=op.f("pk_call_threshold")),
    )
    op.create_table(
        "desk_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("changed_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_secret")),
        sa.UniqueConstraint("name", name="uq_desk_secret_name"),
    )
    op.create_table(
        "wrapup_code",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_wrapup_code")),
    )
    op.create_table(
        "call_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("at", deskterm.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_call_event_agent_id_agent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_event")),
        sa.UniqueConstraint("call_id", "event", name="uq_call_event_call_event"),
    )
    with op.batch_alter_table("call_event", schema=None) as batch_op:
        batch_op.create_index("ix_call_event_agent", ["agent_id", "id"], unique=False)

    op.create_table(
        "phone_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("caller_raw", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("caller", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("dialled", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("queue", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("extension", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("arrived_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("acw_seconds", sa.Integer(), nullable=True),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("wrapup", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("seen_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("seen_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_phone_call_agent_id_agent")),
        sa.ForeignKeyConstraint(["seen_by_id"], ["agent.id"], name=op.f("fk_phone_call_seen_by_id_agent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_call")),
        sa.UniqueConstraint("call_id", name=op.f("uq_phone_call_call_id")),
    )
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.create_index("ix_phone_call_agent", ["agent_id", "answered_at"], unique=False)
        batch_op.create_index("ix_phone_call_arrived", ["arrived_at"], unique=False)
        batch_op.create_index(
            "ix_phone_call_missed",
            ["seen_at", "ended_at"],
            unique=False,
            sqlite_where=sa.text("answered_at IS NULL AND ended_at IS NOT NULL"),
            postgresql_where=sa.text("answered_at IS NULL AND ended_at IS NOT NULL"),
        )

    op.create_table(
        "phone_call_ticket",
        sa.Column("call_pk", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_pk"], ["phone_call.id"], name=op.f("fk_phone_call_ticket_call_pk_phone_call")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_phone_call_ticket_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("call_pk", "ticket_id", name=op.f("pk_phone_call_ticket")),
    )
    with op.batch_alter_table("phone_call_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_call_ticket_ticket_id"), ["ticket_id"], unique=False)

    # A plain ADD COLUMN and a unique index: on SQLite a batch (a copy of the agent table) would fail
    # on a desk whose tickets and logs point at its agents.
    op.add_column("agent", sa.Column("extension", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.create_index("ix_agent_extension", "agent", ["extension"], unique=True)

    if op.get_bind().dialect.name == "postgresql":
        # A call event wakes every console's call feed (an answer pops the agent's console at once).
        op.execute(
            """
            CREATE FUNCTION call_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('deskterm_calls', '');
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER call_event_notify AFTER INSERT ON call_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION call_event_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS call_event_notify ON call_event")
        op.execute("DROP FUNCTION IF EXISTS call_event_notify()")
    op.drop_index("ix_agent_extension", table_name="agent")
    op.drop_column("agent", "extension")  # SQLite 3.35+: ALTER TABLE … DROP COLUMN, no copy

    with op.batch_alter_table("phone_call_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_call_ticket_ticket_id"))

    op.drop_table("phone_call_ticket")
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_phone_call_missed",
            sqlite_where=sa.text("answered_at IS NULL AND ended_at IS NOT NULL"),
            postgresql_where=sa.text("answered_at IS NULL AND ended_at IS NOT NULL"),
        )
        batch_op.drop_index("ix_phone_call_arrived")
        batch_op.drop_index("ix_phone_call_agent")

    op.drop_table("phone_call")
    with op.batch_alter_table("call_event", schema=None) as batch_op:
        batch_op.drop_index("ix_call_event_agent")

    op.drop_table("call_event")
    op.drop_table("wrapup_code")
    op.drop_table("desk_secret")
    op.drop_table("call_threshold")
