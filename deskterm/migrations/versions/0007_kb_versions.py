"""knowledge base: versions and history of solutions and statements

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deskterm.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (not batch mode): instant on SQLite, no copy of the tables.
    op.add_column("kb_article", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("kb_statement", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "kb_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", deskterm.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(article_id IS NULL) <> (statement_id IS NULL)", name=op.f("ck_kb_revision_one_subject")
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["agent.id"], name=op.f("fk_kb_revision_actor_id_agent")),
        sa.ForeignKeyConstraint(
            ["article_id"], ["kb_article.id"], name=op.f("fk_kb_revision_article_id_kb_article")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["kb_statement.id"], name=op.f("fk_kb_revision_statement_id_kb_statement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_revision")),
    )
    op.create_index("ix_kb_revision_article", "kb_revision", ["article_id", "version"], unique=True)
    op.create_index("ix_kb_revision_statement", "kb_revision", ["statement_id", "version"], unique=True)
    _append_only()


def _append_only() -> None:
    """The history is append-only in the database itself, as the ticket event log is."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER kb_revision_no_{verb.lower()} BEFORE {verb} ON kb_revision "
                "BEGIN SELECT RAISE(ABORT, 'kb_revision is append-only'); END"
            )
        # REPLACE INTO deletes the row it collides with without firing delete triggers
        op.execute(
            "CREATE TRIGGER kb_revision_no_replace BEFORE INSERT ON kb_revision WHEN EXISTS ("
            "SELECT 1 FROM kb_revision WHERE id = NEW.id"
            " OR (article_id = NEW.article_id AND version = NEW.version)"
            " OR (statement_id = NEW.statement_id AND version = NEW.version)) "
            "BEGIN SELECT RAISE(ABORT, 'kb_revision is append-only'); END"
        )
        return
    op.execute(
        """
        CREATE FUNCTION kb_revision_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'kb_revision is append-only';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER kb_revision_no_change BEFORE UPDATE OR DELETE ON kb_revision "
        "FOR EACH ROW EXECUTE FUNCTION kb_revision_append_only()"
    )
    op.execute(
        "CREATE TRIGGER kb_revision_no_truncate BEFORE TRUNCATE ON kb_revision "
        "FOR EACH STATEMENT EXECUTE FUNCTION kb_revision_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS kb_revision_no_change ON kb_revision")
        op.execute("DROP TRIGGER IF EXISTS kb_revision_no_truncate ON kb_revision")
        op.execute("DROP FUNCTION IF EXISTS kb_revision_append_only()")
    op.drop_index("ix_kb_revision_statement", table_name="kb_revision")
    op.drop_index("ix_kb_revision_article", table_name="kb_revision")
    op.drop_table("kb_revision")  # SQLite drops the table's triggers with it
    with op.batch_alter_table("kb_statement") as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("kb_article") as batch_op:
        batch_op.drop_column("version")
