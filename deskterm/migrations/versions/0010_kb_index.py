"""knowledge base: the search index, saved for the next process to load

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import deskterm.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_index",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("newest", deskterm.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("saved_at", deskterm.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_index")),
    )


def downgrade() -> None:
    op.drop_table("kb_index")
