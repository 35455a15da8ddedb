"""records: the event log refuses an insert of an existing id (SQLite)

On SQLite `REPLACE INTO ticket_event (id, …)` (and INSERT OR REPLACE, an UPSERT) with the id of an
existing event deletes that event without firing the delete trigger and inserts a forged one in its
place. A BEFORE INSERT trigger refuses any insert whose id is not above every id so far, whatever its
conflict clause: an existing id, and a gap a reader of the change feed has passed already. (An
auto-numbered insert reaches the trigger with id -1.) It costs a bulk load of explicit ids about 10 %;
checking EXISTS for the id itself cost 35 %. PostgreSQL needs no trigger: the primary key refuses the
insert, and an ON CONFLICT DO UPDATE or a MERGE is an update or a delete, which 0001's triggers refuse.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER ticket_event_no_replace BEFORE INSERT ON ticket_event "
            "WHEN NEW.id <> -1 AND NEW.id <= (SELECT coalesce(max(id), 0) FROM ticket_event) "
            "BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only: an event id must be new'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ticket_event_no_replace")
