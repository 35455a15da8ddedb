"""Working a ticket after intake: the status life cycle, notes, assignment and transfer, resolution,
reopening, field edits with optimistic locking, and who may do which of these.

The package along its seams: `rights` (who may do what; the life cycle's moves), `guard` (the row
lock, the version check and its refusal, the write), `view` (the ticket as the ticket screen shows
it; watching it), `lifecycle` (notes, status moves, resolve, reopen), `routing` (assign, transfer),
`bulk` (assigning marked tickets at once) and `fields` (editing the ticket's own fields). Callers
use the names below:
`from deskterm.services import workflow; workflow.assign(...)`.

The life cycle (STATUS_MOVES): new → assigned → in progress ⇄ pending customer / pending third
party → resolved → closed; reopen from resolved (and from closed by a supervisor). A ticket waiting
on the customer or a third party stops its SLA clock (`sla.stop`, `sla.resume`: `sla_paused_at` marks
the open pause, the event that ends a pause records it as data {"pause": [start, end]}, and the due
times are recomputed with every closed pause). A reopened ticket's clock starts again from the
reopen with the whole targets (`sla.restart`).

Every edit names the version it was based on; if the ticket changed meanwhile it is refused with a
message that says what changed, and nothing is written. The console passes the version it showed and
the CLI the one it read as the command started (a test holds them to it); `version=None` acts on the
ticket as it is now, for scripts and tests that decide nothing from a view. The ticket row is locked
(FOR UPDATE on PostgreSQL; SQLite write transactions begin IMMEDIATE) before the version is compared,
so two concurrent edits cannot both pass. Notes append and never conflict: they do not bump the
version."""

from ...models import OPEN_STATUSES  # the screens ask the service which statuses are open
from .bulk import BulkResult, assign_many
from .fields import EDITABLE, SERVICE_MODES, WARRANTY, edit
from .guard import SNAPSHOT_FIELDS
from .lifecycle import NOTE_MAX, add_note, change_status, reopen, resolve
from .rights import STATUS_MOVES, WORKSHEET_MODES, allowed_actions, may_transfer, may_work
from .routing import assign, transfer
from .view import TicketView, get_view, snapshot, watch

__all__ = [
    "EDITABLE",
    "NOTE_MAX",
    "OPEN_STATUSES",
    "SERVICE_MODES",
    "SNAPSHOT_FIELDS",
    "STATUS_MOVES",
    "WARRANTY",
    "WORKSHEET_MODES",
    "BulkResult",
    "TicketView",
    "add_note",
    "allowed_actions",
    "assign",
    "assign_many",
    "change_status",
    "edit",
    "get_view",
    "may_transfer",
    "may_work",
    "reopen",
    "resolve",
    "snapshot",
    "transfer",
    "watch",
]
