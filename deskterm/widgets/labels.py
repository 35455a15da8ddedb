"""Every label the console shows for a stored code, in one place: statuses, ticket kinds, levels,
service modes, warranty, timeline events, notification kinds, survey answers and agent states.
Codes are stored in English; these texts are translated when shown (i18n), so no internal code
reaches the screen."""

from __future__ import annotations

from typing import Any

from ..i18n import _, language
from ..services.errors import STATUS_IN_SENTENCE as STATUS_IN_SENTENCE  # a refusal says it so too

# A ticket's status as a column or a heading shows it.
STATUS = {
    "new": "New",
    "assigned": "Assigned",
    "in_progress": "In progress",
    "pending_customer": "Pending customer",
    "pending_third_party": "Pending third party",
    "resolved": "Resolved",
    "closed": "Closed",
}
TICKET_KINDS = {
    "incident": "Incident",
    "request": "Request",
    "consultation": "Consultation",
    "complaint": "Complaint",
}
LEVELS = {1: "High", 2: "Medium", 3: "Low"}  # impact and urgency
PRIORITIES = {p: f"P{p}" for p in range(1, 6)}
SERVICE_MODES = {
    "phone": "Phone answer",
    "on_site": "On-site",
    "carry_in": "Carry-in",
    "mail_in": "Mail-in",
    "paid": "Paid",
    "exchange": "Exchange",
}
WARRANTY = {"in": "In warranty", "out": "Out of warranty", "unknown": "Unknown"}
# How a ticket reached the desk.
CHANNELS = {"phone": "Phone", "email": "E-mail", "web": "Web", "api": "API"}
CUSTOMER_CLASSES = {"key": "Key account", "standard": "Standard"}
# The knowledge base: a solution's status (shown in sentences too, hence lower case), its language,
# and what a version in its history did.
KB_STATUSES = {"draft": "draft", "published": "published", "retired": "retired"}
KB_LANGUAGES = {"en": "English", "zh": "Chinese"}
KB_ACTIONS = {"created": "created", "edited": "edited", "imported": "imported"}
# A ticket's timeline, by event kind.
EVENTS = {
    "created": "created",
    "note": "note",
    "status": "status",
    "assigned": "assigned",
    "claimed": "claimed",
    "transferred": "transferred",
    "updated": "edited",
    "escalated": "escalated",
    "chased": "chased",
    "linked": "linked",
    "resolved": "resolved",
    "reopened": "reopened",
    "callback": "callback",
    "survey": "survey",
    "closed": "closed",
    "worksheet": "work sheet",
}
NOTIFICATION_KINDS = {
    "escalated": "Escalated",
    "assigned": "Assigned",
    "breach": "SLA",
    "mention": "Mention",
}
# A satisfaction survey: the four rated aspects (its fields) and the ratings 1-4.
SURVEY_QUESTIONS = {
    "attitude": "Service attitude",
    "quality": "Service quality",
    "technical": "Technical ability",
    "speed": "Response speed",
}
SURVEY_RATINGS = {1: "Very satisfied", 2: "Satisfied", 3: "Average", 4: "Dissatisfied"}
# An agent's presence: label and the style the monitor gives it.
AGENT_STATES = {
    "available": ("Available", "green"),
    "on_call": ("On a call", "bold yellow"),
    "after_call": ("After-call work", "cyan"),
    "away": ("Away", "dim"),
    "logged_out": ("Logged out", "dim"),
}


# Every table above (the translation test checks each value has a Chinese text).
TABLES: dict[str, dict[Any, Any]] = {
    name: value for name, value in globals().items() if name.isupper() and isinstance(value, dict)
}


def label(table: dict[Any, str], code: Any) -> str:
    """The translated label of `code`; a code the table does not know is shown as it is."""
    return _(table.get(code, str(code)))


def choices(table: dict[Any, str]) -> list[tuple[str, Any]]:
    """(translated label, code) pairs in the table's order, for a Select or a ChoiceField."""
    return [(_(text), code) for code, text in table.items()]


def status_label(status: str) -> str:
    return label(STATUS, status)


def in_language(name: str, name_zh: str) -> str:
    """A name the desk keeps in both languages (an away reason): the Chinese one when shown in
    Chinese and there is one."""
    return name_zh if language() == "zh" and name_zh else name
