"""KPI rollup of today's settled hours: each hour's sums by team and agent (as kpi_day's), and how
far the rollup holds them, so the monitor's first view reads a few rows instead of today's tickets

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskterm.models.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INTS = (
    "calls",
    "first_contact",
    "first_line_calls",
    "first_line_fc",
    "still_open",
    "resolved",
    "sla_met",
    "sla_due",
    "handovers",
    "surveys",
    "satisfied",
    "answers",
    "score_sum",
    "reopened",
    "contacts",
)
FLOATS = ("resolve_seconds", "handover_seconds", "talk_seconds", "acw_seconds")


def upgrade() -> None:
    when = deskterm.models.base.UtcDateTime(timezone=True)
    op.create_table(
        "kpi_hour_tally",
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("of_agent", sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in INTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in FLOATS),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour", when, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_hour_tally")),
    )
    op.create_index("ix_kpi_hour_tally_hour", "kpi_hour_tally", ["hour", "team_id", "agent_id"], unique=False)
    # A plain ADD COLUMN (nullable): no batch copy of the table on SQLite.
    op.add_column("kpi_rollup", sa.Column("hours_until", when, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kpi_rollup") as batch:
        batch.drop_column("hours_until")
    op.drop_index("ix_kpi_hour_tally_hour", table_name="kpi_hour_tally")
    op.drop_table("kpi_hour_tally")
