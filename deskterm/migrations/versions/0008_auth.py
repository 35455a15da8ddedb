"""logins: throttling by login and source

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # "ssh:" and an IPv6 address do not fit in 40 characters
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.alter_column(
            "source",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sqlmodel.sql.sqltypes.AutoString(length=80),
            existing_nullable=False,
        )
        batch_op.create_index("ix_login_attempt_login_source_at", ["login", "source", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_login_source_at")
        batch_op.alter_column(
            "source",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=80),
            type_=sqlmodel.sql.sqltypes.AutoString(length=40),
            existing_nullable=False,
        )
