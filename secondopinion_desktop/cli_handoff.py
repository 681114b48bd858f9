"""`secondopinion handoff`."""

from __future__ import annotations

from typing import Any


def add_commands(commands: Any) -> None:
    """Registers the command (filled in with the command itself)."""
