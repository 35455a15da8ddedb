"""Notifications: mentions, the inbox and its unread count, and e-mail after commit with retries
against a local SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from deskterm.db import Database
from deskterm.models import Agent, Notification, Ticket
from deskterm.services import notify
from tests.factories import make_agent, make_ticket


@pytest.fixture
def people(db: Database) -> dict:
    out = {login: make_agent(db, login) for login in ("ann", "bob", "zhang.wei")}
    with db.write() as s:
        for a in s.exec(select(Agent)).all():
            a.email = f"{a.login}@desk.example"
    return out


def _ticket(db: Database, number: str) -> Ticket:
    with db.read() as s:
        return s.exec(select(Ticket).where(Ticket.number == number)).one()


def test_mentions_notify_named_agents_once_and_not_the_writer(db: Database, people: dict) -> None:
    t = make_ticket(db, people["ann"])
    body = "@bob please look; cc @zhang.wei. Not @nobody, not ann@example.com, and @ann herself, @bob again"
    with db.write() as s:
        done = notify.notify_mentions(s, _ticket(db, t.number), people["ann"].id, body)
    assert done == ["bob", "zhang.wei"]
    (bob_note,) = notify.list_inbox(db, people["bob"])
    assert bob_note.kind == "mention" and bob_note.ticket == t.number and "Ann mentioned you" in bob_note.body
    assert notify.list_inbox(db, people["ann"]) == []
    assert notify.mentioned_logins("mail x@y.z, @a.b.c.") == ["a.b.c"]


def test_inbox_counts_and_marks_only_ones_own(db: Database, people: dict) -> None:
    t = make_ticket(db, people["ann"])
    with db.write() as s:
        ticket = _ticket(db, t.number)
        for i in range(3):
            notify.add(s, people["bob"].id, "breach", f"late {i}", ticket)
        notify.add(s, people["ann"].id, "assigned", "yours")
    assert notify.unread_count(db, people["bob"]) == 3
    first = notify.list_inbox(db, people["bob"])
    assert [n.body for n in first] == ["late 2", "late 1", "late 0"]
    assert notify.mark_read(db, people["ann"], [first[0].id]) == 0  # not hers
    assert notify.mark_read(db, people["bob"], [first[0].id]) == 1
    assert [n.body for n in notify.list_inbox(db, people["bob"], unread_only=True)] == ["late 1", "late 0"]
    news = notify.news(db, people["bob"], first[-1].id)
    assert news.unread == 2 and [n.body for n in news.new] == ["late 1", "late 2"]
    assert notify.mark_all_read(db, people["bob"]) == 2
    assert notify.unread_count(db, people["bob"]) == 0 and notify.unread_count(db, people["ann"]) == 1
    with pytest.raises(ValueError), db.write() as s:
        notify.add(s, people["bob"].id, "gossip", "x")


def test_assignment_notifies_the_assignee_unless_self(db: Database, people: dict) -> None:
    t = make_ticket(db, people["ann"])
    with db.write() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == t.number)).one()
        ticket.assignee_id = people["bob"].id
        notify.notify_assigned(s, ticket, people["ann"].id)
        notify.notify_assigned(s, ticket, people["bob"].id)
    assert [n.kind for n in notify.list_inbox(db, people["bob"])] == ["assigned"]


# --- e-mail --------------------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler: refuses the first `failures` messages (451), can hold delivery."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts = 0
        self.messages: list[tuple[list[str], str]] = []
        self.release = threading.Event()
        self.release.set()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.attempts += 1
        self.release.wait(10)
        if self.attempts <= self.failures:
            return "451 try again later"
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    handlers: list[Controller] = []

    def start(handler: Inbox) -> int:
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        handlers.append(controller)
        return port

    yield start
    for c in handlers:
        c.stop()


def _mailer(db: Database, port: int, **kw) -> notify.Mailer:  # type: ignore[no-untyped-def]
    settings = notify.MailSettings(
        host="127.0.0.1", port=port, retry_delays=kw.pop("delays", (0, 0, 0)), **kw
    )
    mailer = notify.configure_mail(db, settings)
    assert mailer is not None
    return mailer


def _emailed(db: Database) -> list[bool]:
    with db.read() as s:
        return [
            n.emailed_at is not None for n in s.exec(select(Notification).order_by(Notification.id)).all()
        ]


def test_mail_goes_after_commit_only_for_chosen_kinds(db: Database, people: dict, smtp) -> None:  # type: ignore[no-untyped-def]
    handler = Inbox()
    mailer = _mailer(db, smtp(handler), kinds=("breach",))
    try:
        t = make_ticket(db, people["ann"])
        with pytest.raises(RuntimeError), db.write() as s:  # rolled back: nothing is sent
            notify.add(s, people["bob"].id, "breach", "never happened", _ticket(db, t.number))
            raise RuntimeError
        with db.write() as s:
            notify.add(s, people["bob"].id, "breach", "SR late: résumé 超时", _ticket(db, t.number))
            notify.add(s, people["bob"].id, "mention", "not mailed")
            assert mailer.sent == 0  # nothing leaves before the commit
        assert mailer.flush(10)
    finally:
        notify.configure_mail(db, None)
    assert len(handler.messages) == 1
    rcpt, content = handler.messages[0]
    assert rcpt == ["bob@desk.example"] and "breach" in content
    assert _emailed(db) == [True, False]


def test_mail_is_retried_then_delivered(db: Database, people: dict, smtp) -> None:  # type: ignore[no-untyped-def]
    handler = Inbox(failures=2)
    mailer = _mailer(db, smtp(handler))
    try:
        with db.write() as s:
            notify.add(s, people["bob"].id, "escalated", "up you go")
        assert mailer.flush(10)
    finally:
        notify.configure_mail(db, None)
    assert handler.attempts == 3 and len(handler.messages) == 1
    assert mailer.sent == 1 and mailer.failed == 0 and _emailed(db) == [True]


def test_mail_gives_up_after_the_retries(db: Database, people: dict, smtp) -> None:  # type: ignore[no-untyped-def]
    handler = Inbox(failures=99)
    mailer = _mailer(db, smtp(handler), delays=(0,))
    try:
        with db.write() as s:
            notify.add(s, people["bob"].id, "escalated", "nobody hears")
        assert mailer.flush(10)
    finally:
        notify.configure_mail(db, None)
    assert handler.attempts == 2 and mailer.failed == 1 and _emailed(db) == [False]


def test_a_slow_mail_server_never_blocks_the_commit(db: Database, people: dict, smtp) -> None:  # type: ignore[no-untyped-def]
    handler = Inbox()
    handler.release.clear()  # the server hangs on DATA until released
    mailer = _mailer(db, smtp(handler))
    try:
        for i in range(3):
            with db.write() as s:
                notify.add(s, people["bob"].id, "escalated", f"n{i}")
        assert notify.unread_count(db, people["bob"]) == 3  # all committed while the server hangs
        assert not mailer.flush(0.05)
        handler.release.set()
        assert mailer.flush(10)
    finally:
        notify.configure_mail(db, None)
    assert len(handler.messages) == 3
