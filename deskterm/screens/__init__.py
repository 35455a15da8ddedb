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
    ScreenSpec("agents", "f8", "Agents", MANAGERS, "deskterm.screens.agents:AgentsScreen"),
]


def offered(role: str) -> list[ScreenSpec]:
    return [spec for spec in REGISTRY if role in spec.roles]


def spec(screen_id: str) -> ScreenSpec:
    return next(s for s in REGISTRY if s.id == screen_id)
