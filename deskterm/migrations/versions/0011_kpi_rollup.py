"""KPI rollups: each settled day's sums by team and agent, arrivals per hour, the rollup's state

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import deskterm.models.base

revision: str = "0011"
down_revision: str | None = "0010"
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
        "kpi_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", when, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("of_agent", sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in INTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in FLOATS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_day")),
    )
    op.create_index("ix_kpi_day_day", "kpi_day", ["day", "team_id", "agent_id"], unique=False)
    op.create_table(
        "kpi_hour",
        sa.Column("hour", when, nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_kpi_hour")),
    )
    op.create_table(
        "kpi_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("covered_from", when, nullable=False),
        sa.Column("covered_until", when, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("holes", sa.Text(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("caught_up_at", when, nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_rollup")),
    )


def downgrade() -> None:
    op.drop_table("kpi_rollup")
    op.drop_table("kpi_hour")
    op.drop_index("ix_kpi_day_day", table_name="kpi_day")
    op.drop_table("kpi_day")
