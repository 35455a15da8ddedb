"""Command-line commands for the work area; they register on the Typer apps of deskterm.cli."""

from __future__ import annotations
