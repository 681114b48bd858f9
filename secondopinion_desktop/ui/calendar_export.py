"""File › Export calendar…"""

from __future__ import annotations

from typing import Any


def export_calendar(window: Any, folder: Any) -> None:
    """Asks where to save the .ics file and writes it (filled in with the export itself)."""
