"""The ``health``-related subcommands (filled in by the work on the clinical summary)."""

from __future__ import annotations

from typing import Any


def add_commands(commands: Any) -> None:
    return None
