"""desk server: agents' public keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import deskterm.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("added_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["added_by_id"], ["agent.id"], name=op.f("fk_agent_key_added_by_id_agent")),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_agent_key_agent_id_agent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_key")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_agent_key_fingerprint")),
    )
    with op.batch_alter_table("agent_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_key_agent_id"), ["agent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_key_agent_id"))
    op.drop_table("agent_key")
