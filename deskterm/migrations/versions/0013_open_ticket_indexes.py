"""the watcher's unanswered tickets and the monitor's oldest new ones: partial indexes

The open unassigned tickets by priority then response due (services/escalation/due.py), so the
watcher's pass reads a range of them instead of checking every open unassigned ticket's row; the
open tickets by team, status and creation (services/kpi/book.py), so each team's oldest new ticket
is the first entry of a range.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNANSWERED_SQLITE = sa.text("assignee_id IS NULL AND is_open = 1")
UNANSWERED_POSTGRESQL = sa.text("assignee_id IS NULL AND is_open")
OPEN_SQLITE = sa.text("is_open = 1")
OPEN_POSTGRESQL = sa.text("is_open")


def upgrade() -> None:
    # A plain CREATE INDEX: no batch copy of the ticket table on SQLite.
    op.create_index(
        "ix_ticket_unanswered",
        "ticket",
        ["priority", "respond_by"],
        unique=False,
        sqlite_where=UNANSWERED_SQLITE,
        postgresql_where=UNANSWERED_POSTGRESQL,
    )
    op.create_index(
        "ix_ticket_open_oldest",
        "ticket",
        ["team_id", "status", "created_at", "id"],
        unique=False,
        sqlite_where=OPEN_SQLITE,
        postgresql_where=OPEN_POSTGRESQL,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_ticket_open_oldest",
        table_name="ticket",
        sqlite_where=OPEN_SQLITE,
        postgresql_where=OPEN_POSTGRESQL,
    )
    op.drop_index(
        "ix_ticket_unanswered",
        table_name="ticket",
        sqlite_where=UNANSWERED_SQLITE,
        postgresql_where=UNANSWERED_POSTGRESQL,
    )
