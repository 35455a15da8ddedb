"""Command-line commands for the watch area; they register on the Typer apps of deskterm.cli."""

from __future__ import annotations
