"""The inbox (F6, every role): escalations to me, tickets assigned to me, breaches of my tickets,
mentions. Read, open the ticket, mark read, mark all read. And the feed that keeps the header's
unread count current and shows each new notification as a toast, live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ..i18n import _, _n
from ..services import notify
from ..services.changes import FeedPosition
from ..text import clean
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.labels import NOTIFICATION_KINDS, label
from ..widgets.service import ServiceDone, call_service
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell, local
from .base import DeskScreen
from .ticket import TicketScreen

if TYPE_CHECKING:
    from ..app import DeskApp

COLUMNS = [(name, name) for name in ("Time", "Kind", "Ticket", "Message")]


class InboxRead(ServiceDone[list[notify.NotificationView]]):
    """A page of the agent's notifications."""


class MarkedRead(ServiceDone[int]):
    """Notifications were marked read."""


class NewsRead(ServiceDone[notify.InboxNews]):
    """What is new in the agent's inbox since the feed last looked (the app hands it to InboxFeed)."""


class InboxScreen(DeskScreen):
    TITLE_TEXT = "Inbox"
    BINDINGS = [
        Binding("enter", "open", "Open", id="inbox.open"),
        Binding("r", "read", "Mark read", id="inbox.read"),
        Binding("a", "read_all", "Mark all read", id="inbox.read_all"),
        Binding("u", "toggle_unread", "Unread only / all", id="inbox.unread"),
        Binding("escape", "app.back", "Back", show=False, id="inbox.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.unread_only = False
        self.rows: dict[str, notify.NotificationView] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="inbox-summary", markup=False)
        yield FastTable(
            columns=COLUMNS, flex="Message", id="inbox-table", cursor_type="row", zebra_stripes=True
        )
        yield Static("", id="inbox-body", markup=False)
        yield DeskFooter()

    def relabel(self) -> None:
        self.refresh(recompose=True)  # the new table reports Ready: it is filled then

    @on(FastTable.Ready)
    def reload(self) -> None:
        self.call(
            notify.list_inbox,
            self.desk.database,
            self.desk.actor,
            unread_only=self.unread_only,
            result=InboxRead,
            group="inbox-list",
        )

    def on_desk_changes(self, changes: list[Any]) -> None:
        self.reload()  # a page of at most 200 rows by an index: cheap

    def on_inbox_read(self, message: InboxRead) -> None:
        rows = message.value
        table = self.query_one(FastTable)
        keys = [str(r.id) for r in rows]
        current = table.cursor_key()
        if keys != [str(k.value) for k in table.rows]:
            table.clear()  # the order changed (new ones on top): rebuild, then find the cursor again
            for r in rows:
                table.add_row(*self._cells(r), key=str(r.id))
        else:
            for r in rows:
                if self.rows.get(str(r.id)) != r:
                    for (column, _label), value in zip(COLUMNS, self._cells(r), strict=True):
                        table.update_cell(str(r.id), column, value)
        self.rows = {str(r.id): r for r in rows}
        if current in self.rows:
            table.move_cursor(row=table.get_row_index(current))
        unread = sum(not r.read for r in rows)
        self.query_one("#inbox-summary", Static).update(
            _n(
                "1 notification, {unread} unread",
                "{n} notifications, {unread} unread",
                len(rows),
                unread=unread,
            )
            + (" · " + _("unread only") if self.unread_only else "")
        )
        self._show_body()

    def _cells(self, r: notify.NotificationView) -> tuple[Text, ...]:
        style = "" if r.read else "bold"
        settings = self.desk.settings  # the desk's time zone, not the host's
        when = local(r.created_at, settings.timezone if settings else "Asia/Shanghai")[5:]
        return (
            Text(when, style=style),
            Text(label(NOTIFICATION_KINDS, r.kind), style=style),
            Text(r.ticket, style=style),
            cell(r.body, style),
        )

    def _selected(self) -> notify.NotificationView | None:
        key = self.query_one(FastTable).cursor_key()
        return self.rows.get(key) if key else None

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_body()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def _show_body(self) -> None:
        r = self._selected()
        self.query_one("#inbox-body", Static).update(clean(r.body) if r else _("Nothing here."))

    def on_marked_read(self, _message: MarkedRead) -> None:
        self.reload()
        feed = getattr(self.desk, "inbox_feed", None)
        if feed is not None:
            feed.poll()

    def action_read(self) -> None:
        r = self._selected()
        if r is not None and not r.read:
            self.call(notify.mark_read, self.desk.database, self.desk.actor, [r.id], result=MarkedRead)

    def action_read_all(self) -> None:
        self.call(notify.mark_all_read, self.desk.database, self.desk.actor, result=MarkedRead)

    def action_toggle_unread(self) -> None:
        self.unread_only = not self.unread_only
        self.reload()

    def action_open(self) -> None:
        r = self._selected()
        if r is None:
            return
        if not r.read:
            self.call(
                notify.mark_read,
                self.desk.database,
                self.desk.actor,
                [r.id],
                result=MarkedRead,
                group="read",
            )
        if r.ticket:
            self.app.push_screen(TicketScreen(r.ticket))


class InboxFeed:
    """Keeps `app.unread` current and toasts each new notification of the agent: looks when the
    change feed reports ticket events (escalations, notes and assignments write them) and, for
    notifications without one, every `inbox_poll` seconds (the newest id: a cheap query). It reads
    on from the last notification id it saw, a page at a time, so nothing written while the
    console was cut off (or committed out of id order) is skipped."""

    PAGE = 500

    def __init__(self, app: DeskApp) -> None:
        self.app = app
        self.position: FeedPosition | None = None  # from the login on: what was there is not news
        self.toasted: set[int] = set()

    @property
    def last_id(self) -> int | None:
        return None if self.position is None else self.position.last

    def start(self) -> None:
        assert self.app.database is not None
        if self.app.settings is not None:
            settings = notify.mail_settings_from(self.app.settings)
            if settings is not None:
                notify.configure_mail(self.app.database, settings)
        self.poll()
        interval = self.app.settings.inbox_poll if self.app.settings else 2.0
        self.app.set_interval(interval, self.poll)

    def poll(self) -> None:
        app = self.app
        if app.actor is None or app.database is None:
            return
        position = self.position
        call_service(
            app,
            notify.news,
            app.database,
            app.actor,
            None if position is None else position.last,
            also=() if position is None else position.missing(),
            limit=self.PAGE,
            result=NewsRead,
            group="inbox",
        )

    def read(self, news: notify.InboxNews) -> None:
        """Take in what the last poll found (DeskApp.on_news_read hands it here)."""
        app = self.app
        if self.position is None:
            self.position = FeedPosition(news.latest_id)
        else:
            self.position.seen(news.seen)
        fresh = [n for n in news.new if n.id not in self.toasted and not n.read]
        for n in fresh:
            self.toasted.add(n.id)
            app.notify(
                clean(n.body, single_line=True),
                title=_("Inbox: {kind}", kind=label(NOTIFICATION_KINDS, n.kind)),
                markup=False,
                timeout=8,
            )
        if len(self.toasted) > 5000:
            self.toasted = set(sorted(self.toasted)[-1000:])
        if app.unread != news.unread:
            app.unread = news.unread
            app.refresh_header()
        if fresh:
            for screen in app.screen_stack:
                if isinstance(screen, InboxScreen):
                    screen.reload()
        if news.more:
            self.poll()
