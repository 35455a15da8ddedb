"""Each agent's inbox: escalations to them, tickets assigned to them, breaches of their tickets and
mentions (@login) in notes; unread counts; and optional e-mail for chosen kinds.

Notifications are written in the caller's transaction, so they exist exactly when the change that
caused them commits. E-mail is queued only when that transaction commits and is sent by one
background thread with retries: a slow or dead mail server never blocks a console or the watcher."""

from __future__ import annotations

import logging
import queue
import re
import smtplib
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import event, func, or_, update
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..models import Agent, Notification, Ticket
from .auth import Actor, require

log = logging.getLogger("deskterm.notify")

KINDS = ("escalated", "assigned", "breach", "mention")
# @login: logins are letters, digits, '.', '_' and '-'; a sentence's final '.' is not part of it.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]{0,39})")


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    body: str
    ticket: str  # the ticket's number, "" when none
    created_at: datetime
    read: bool


# --- writing (in the caller's transaction) -----------------------------------------------------------


def add(session: Session, agent_id: int, kind: str, body: str, ticket: Ticket | None = None) -> Notification:
    """Put a notification in an agent's inbox; e-mail follows the commit if configured for the kind."""
    if kind not in KINDS:
        raise ValueError(f"notification kind {kind!r} is not one of {KINDS}")
    row = Notification(
        agent_id=agent_id,
        ticket_id=ticket.id if ticket else None,
        kind=kind,
        body=body,
        created_at=clock.now(),
    )
    session.add(row)
    mailer = _mailer
    if mailer is not None and kind in mailer.kinds:
        agent = session.get(Agent, agent_id)
        if agent is not None and agent.email and agent.active:
            subject = f"[deskterm] {ticket.number + ' ' if ticket else ''}{kind}: {_first_line(body)}"
            _after_commit(session, mailer, row, agent.email, subject[:200], body)
    return row


def notify_assigned(session: Session, ticket: Ticket, actor_id: int | None) -> None:
    """Tell the new assignee (unless they took it themselves)."""
    if ticket.assignee_id is None or ticket.assignee_id == actor_id:
        return
    by = session.get(Agent, actor_id) if actor_id else None
    add(
        session,
        ticket.assignee_id,
        "assigned",
        f"{ticket.number} was assigned to you{' by ' + by.name if by else ''}: {ticket.summary}",
        ticket,
    )


def mentioned_logins(body: str) -> list[str]:
    seen: list[str] = []
    for m in MENTION.finditer(body):
        login = m.group(1).rstrip(".-_")
        if login and login not in seen:
            seen.append(login)
    return seen


def notify_mentions(session: Session, ticket: Ticket, actor_id: int | None, body: str) -> list[str]:
    """Notify every active agent named as @login in a note (not the writer); returns their logins."""
    logins = mentioned_logins(body)
    if not logins:
        return []
    agents = session.exec(
        select(Agent).where(col(Agent.login).in_(logins), col(Agent.active).is_(True))
    ).all()
    writer = session.get(Agent, actor_id) if actor_id else None
    excerpt = _first_line(body, 160)
    done = []
    for agent in sorted(agents, key=lambda a: logins.index(a.login)):
        if agent.id == actor_id:
            continue
        assert agent.id is not None
        who = writer.name if writer else "someone"
        add(session, agent.id, "mention", f"{who} mentioned you on {ticket.number}: {excerpt}", ticket)
        done.append(agent.login)
    return done


def _first_line(text: str, width: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


# --- the inbox -------------------------------------------------------------------------------------


def _views(
    session: Session, *where: Any, newest_first: bool = True, limit: int = 200
) -> list[NotificationView]:
    order = col(Notification.id).desc() if newest_first else col(Notification.id)
    rows = session.exec(
        select(Notification, Ticket.number)
        .join(Ticket, col(Ticket.id) == Notification.ticket_id, isouter=True)
        .where(*where)
        .order_by(order)
        .limit(limit)
    ).all()
    return [
        NotificationView(
            id=n.id or 0,
            kind=n.kind,
            body=n.body,
            ticket=number or "",
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n, number in rows
    ]


def list_inbox(
    db: Database, actor: Actor, *, unread_only: bool = False, limit: int = 200
) -> list[NotificationView]:
    """The agent's notifications, newest first (one page: `limit`)."""
    where = [col(Notification.agent_id) == actor.id]
    if unread_only:
        where.append(col(Notification.read_at).is_(None))
    with db.read() as s:
        require(s, actor)
        return _views(s, *where, limit=max(1, min(limit, 1000)))


def unread_count(db: Database, actor: Actor) -> int:
    with db.read() as s:
        require(s, actor)
        return _unread(s, actor.id)


def _unread(s: Session, agent_id: int) -> int:
    return s.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.agent_id == agent_id, col(Notification.read_at).is_(None))
    ).one()


def latest_id(db: Database) -> int:
    """The newest notification's id (the primary key's maximum: a cheap poll)."""
    with db.read() as s:
        return s.exec(select(func.max(Notification.id))).one() or 0


@dataclass(frozen=True)
class InboxNews:
    unread: int
    latest_id: int
    new: list[NotificationView]  # the agent's notifications among `seen`, oldest first
    seen: list[int] = field(default_factory=list)  # every agent's notification ids read, ascending
    more: bool = False  # a full page was read: read on


def news(
    db: Database, actor: Actor, after_id: int | None, *, also: Collection[int] = (), limit: int = 500
) -> InboxNews:
    """Unread count and what arrived since `after_id` (None: nothing, just the state): the next
    `limit` notification ids above it, and those of `also` (ids below it not seen yet); all agents'
    ids, so that the reader's position (changes.FeedPosition) sees holes, and the agent's own
    notifications among them."""
    with db.read() as s:
        require(s, actor)
        latest = s.exec(select(func.max(Notification.id))).one() or 0
        new: list[NotificationView] = []
        seen: list[int] = []
        if after_id is not None and (latest > after_id or also):
            newer = col(Notification.id) > after_id
            seen = [
                i
                for i in s.exec(
                    select(Notification.id)
                    .where(or_(newer, col(Notification.id).in_(also)) if also else newer)
                    .order_by(col(Notification.id))
                    .limit(limit)
                ).all()
                if i is not None
            ]
            if seen:
                new = _views(
                    s,
                    Notification.agent_id == actor.id,
                    col(Notification.id).in_(seen),
                    newest_first=False,
                    limit=len(seen),
                )
        return InboxNews(_unread(s, actor.id), latest, new, seen, more=len(seen) == limit)


def mark_read(db: Database, actor: Actor, ids: Iterable[int]) -> int:
    """Mark the agent's own notifications read; returns how many changed."""
    ids = list(ids)
    if not ids:
        return 0
    return _mark_read(db, actor, col(Notification.id).in_(ids))


def mark_all_read(db: Database, actor: Actor) -> int:
    return _mark_read(db, actor)


def _mark_read(db: Database, actor: Actor, *where: Any) -> int:
    """Mark the agent's unread notifications (that meet `where`) read; how many changed."""
    with db.write() as s:
        require(s, actor)
        done = s.connection().execute(
            update(Notification)
            .where(*where, col(Notification.agent_id) == actor.id, col(Notification.read_at).is_(None))
            .values(read_at=clock.now())
        )
        return done.rowcount


# --- e-mail ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    sender: str = "deskterm@localhost"
    user: str = ""
    password: str = ""
    starttls: bool = False
    kinds: Sequence[str] = ("escalated", "breach")
    retry_delays: Sequence[float] = (2.0, 10.0, 60.0, 300.0)  # waits between attempts
    timeout: float = 10.0


@dataclass(frozen=True)
class _Mail:
    notification_id: int
    to: str
    subject: str
    body: str


class Mailer:
    """One daemon thread sending queued mails, each retried on failure after `retry_delays`."""

    def __init__(self, db: Database, settings: MailSettings) -> None:
        self.db = db
        self.settings = settings
        self.kinds = frozenset(settings.kinds)
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[_Mail | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deskterm-mailer", daemon=True)
        self._thread.start()

    def put(self, mail: _Mail) -> None:
        self._queue.put(mail)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued mail is sent or given up (tests, shutdown); True when done."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        self.flush(timeout)
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            mail = self._queue.get()
            try:
                if mail is None:
                    return
                self._deliver(mail)
            finally:
                self._queue.task_done()

    def _deliver(self, mail: _Mail) -> None:
        delays = list(self.settings.retry_delays)
        attempt = 0
        while True:
            attempt += 1
            try:
                self._send(mail)
            except (OSError, smtplib.SMTPException) as e:
                if not delays or self._stop.is_set():
                    self.failed += 1
                    log.warning("mail to %s given up after %d attempts: %s", mail.to, attempt, e)
                    return
                wait = delays.pop(0)
                log.info("mail to %s failed (%s); retry in %.0f s", mail.to, e, wait)
                self._stop.wait(wait)
                continue
            self.sent += 1
            try:
                with self.db.write() as s:
                    s.execute(
                        update(Notification)
                        .where(col(Notification.id) == mail.notification_id)
                        .values(emailed_at=clock.now())
                    )
            except Exception as e:  # noqa: BLE001 - the mail went; a failed bookkeeping write is only logged
                log.warning("mail sent but not recorded for notification %d: %s", mail.notification_id, e)
            return

    def _send(self, mail: _Mail) -> None:
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg.set_content(mail.body)
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.user:
                smtp.login(s.user, s.password)
            smtp.send_message(msg)


_mailer: Mailer | None = None


def configure_mail(db: Database, settings: MailSettings | None) -> Mailer | None:
    """Start (or stop, with None) the process's mailer; consoles and the watcher call it at start."""
    global _mailer
    if _mailer is not None:
        _mailer.close()
    _mailer = Mailer(db, settings) if settings is not None else None
    return _mailer


def mail_settings_from(settings: Any) -> MailSettings | None:
    """MailSettings from deskterm's Settings, or None when e-mail is off (the default)."""
    if not getattr(settings, "mail_enabled", False):
        return None
    return MailSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
        kinds=tuple(settings.mail_kinds),
    )


def _after_commit(
    session: Session, mailer: Mailer, row: Notification, to: str, subject: str, body: str
) -> None:
    pending = session.info.setdefault("deskterm_mail", [])
    pending.append((mailer, row, to, subject, body))
    if session.info.get("deskterm_mail_hooked"):
        return
    session.info["deskterm_mail_hooked"] = True

    def committed(sess: Session) -> None:
        for m, r, t, subj, b in sess.info.pop("deskterm_mail", []):
            if r.id is not None:
                m.put(_Mail(r.id, t, subj, b))

    def rolled_back(sess: Session) -> None:
        sess.info.pop("deskterm_mail", None)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)
