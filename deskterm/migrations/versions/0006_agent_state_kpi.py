"""agent states and KPI figures

The console's state log and away reasons; a ticket's first pick-up (backfilled from the event log);
categories a first line cannot resolve (net first-contact rate); resolutions counted from the event
log; on PostgreSQL a state change wakes the consoles' change feed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import deskterm.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The shipped categories whose contacts need the second line (services/reference.py).
NOT_FIRST_LINE = (
    "Hardware/Server",
    "Accounts/Access",
    "ERP/Reports",
    "Security/Virus and phishing",
    "Warranty and repair",
)
RESOLVED = sa.text("kind = 'resolved'")


def upgrade() -> None:
    op.create_table(
        "agent_state_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("started_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_agent_state_log_agent_id_agent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_log")),
    )
    with op.batch_alter_table("agent_state_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_state_log_kpi", ["ended_at", "state", "agent_id", "handled", "started_at"], unique=False
        )
        batch_op.create_index("ix_agent_state_log_open", ["agent_id", "ended_at"], unique=False)
    op.create_table(
        "away_reason",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_away_reason")),
    )
    with op.batch_alter_table("agent_presence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=""
            )
        )
    with op.batch_alter_table("category", schema=None) as batch_op:
        # A plain default ('1' is true on both backends): an expression would make SQLite copy the
        # table, which tickets' foreign keys refuse.
        batch_op.add_column(sa.Column("first_line", sa.Boolean(), nullable=False, server_default="1"))
    category = sa.table("category", sa.column("path", sa.String), sa.column("first_line", sa.Boolean))
    op.execute(category.update().where(category.c.path.in_(NOT_FIRST_LINE)).values(first_line=False))

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_assigned_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_index("ix_ticket_assigned_kpi")
        batch_op.drop_index("ix_ticket_created_kpi")
        batch_op.drop_index("ix_ticket_resolved_kpi")  # resolutions are counted from the event log now
    # The first pick-up: the earliest claim, assignment or transfer to an agent in the event log (one
    # pass over the log, then one update by key); a ticket without one keeps its assignment time.
    op.execute(
        """
        UPDATE ticket SET first_assigned_at = f.at
        FROM (SELECT ticket_id, min(at) AS at FROM ticket_event
              WHERE kind IN ('claimed', 'assigned')
                 OR (kind = 'transferred' AND data NOT LIKE '%"to_agent": ""%')
              GROUP BY ticket_id) AS f
        WHERE f.ticket_id = ticket.id
        """
    )
    op.execute(
        "UPDATE ticket SET first_assigned_at = assigned_at "
        "WHERE first_assigned_at IS NULL AND assigned_at IS NOT NULL"
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_assigned_kpi",
            ["first_assigned_at", "created_at", "first_contact", "team_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ticket_created_kpi",
            ["created_at", "created_by_id", "first_contact", "category_id", "is_open", "team_id", "id"],
            unique=False,
        )
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_event_resolved",
            ["at", "ticket_id", "actor_id", "data"],
            unique=False,
            sqlite_where=RESOLVED,
            postgresql_where=RESOLVED,
        )
    if op.get_bind().dialect.name == "postgresql":
        # A state change wakes every console's change feed (the monitor shows it at once).
        op.execute(
            """
            CREATE FUNCTION agent_state_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('deskterm_presence', '');
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER agent_state_notify AFTER INSERT ON agent_state_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION agent_state_notify()"
        )
        op.execute("ANALYZE ticket")  # the backfill rewrote every picked-up ticket


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS agent_state_notify ON agent_state_log")
        op.execute("DROP FUNCTION IF EXISTS agent_state_notify()")
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_event_resolved", sqlite_where=RESOLVED, postgresql_where=RESOLVED)
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_created_kpi")
        batch_op.drop_index("ix_ticket_assigned_kpi")
        batch_op.create_index(
            "ix_ticket_resolved_kpi",
            ["resolved_at", "assignee_id", "created_at", "resolve_by", "first_contact", "team_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ticket_created_kpi",
            ["created_at", "created_by_id", "first_contact", "handle_seconds", "is_open", "team_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ticket_assigned_kpi", ["assigned_at", "created_at", "first_contact", "team_id"], unique=False
        )
        batch_op.drop_column("first_assigned_at")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_column("first_line")
    with op.batch_alter_table("agent_presence", schema=None) as batch_op:
        batch_op.drop_column("reason")
    op.drop_table("away_reason")
    with op.batch_alter_table("agent_state_log", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_state_log_open")
        batch_op.drop_index("ix_agent_state_log_kpi")
    op.drop_table("agent_state_log")
