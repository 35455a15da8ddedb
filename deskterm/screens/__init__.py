"""The console's screens. Each top-level screen is registered here with its key and the roles
that may use it; the shell offers only these, and only to those roles (the services refuse the
rest anyway). Register a screen only once it works: no placeholders."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

ALL_ROLES = frozenset({"operator", "engineer", "supervisor", "admin"})
MANAGERS = frozenset({"supervisor", "admin"})


@dataclass(frozen=True)
class ScreenSpec:
    id: str  # mode name and binding id suffix ("app.agents")
    key: str  # F-key
    title: str  # English; shown through the translation function
    roles: frozenset[str]
    target: str  # "module:Class", imported when first opened (keeps start-up light)

    def load(self) -> type[Screen]:
        module, cls = self.target.split(":")
        return getattr(importlib.import_module(module), cls)


REGISTRY: list[ScreenSpec] = [
    ScreenSpec("intake", "f2", "Intake", ALL_ROLES, "deskterm.screens.intake:IntakeScreen"),
    ScreenSpec("queue", "f3", "Work queue", ALL_ROLES, "deskterm.screens.queue:QueueScreen"),
    ScreenSpec("knowledge", "f4", "Knowledge", ALL_ROLES, "deskterm.screens.knowledge:KnowledgeScreen"),
    ScreenSpec("monitor", "f5", "Monitor", MANAGERS, "deskterm.screens.monitor:MonitorScreen"),
    ScreenSpec("inbox", "f6", "Inbox", ALL_ROLES, "deskterm.screens.inbox:InboxScreen"),
    ScreenSpec(
        "callbacks",
        "f7",
        "Callbacks",
        frozenset({"operator", "supervisor", "admin"}),
        "deskterm.screens.callbacks:CallbacksScreen",
    ),
    ScreenSpec("agents", "f8", "Agents", MANAGERS, "deskterm.screens.agents:AgentsScreen"),
]


# Where each role starts: operators take calls, engineers work their queue, supervisors watch the desk.
HOME = {"operator": "intake", "engineer": "queue", "supervisor": "monitor", "admin": "monitor"}


def home(role: str) -> ScreenSpec | None:
    specs = offered(role)
    return next((s for s in specs if s.id == HOME.get(role)), specs[0] if specs else None)


def offered(role: str) -> list[ScreenSpec]:
    return [spec for spec in REGISTRY if role in spec.roles]


def spec(screen_id: str) -> ScreenSpec:
    return next(s for s in REGISTRY if s.id == screen_id)
