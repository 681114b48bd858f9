"""File › Prepare a folder for the doctor…"""

from __future__ import annotations

from typing import Any


def prepare_folder(window: Any, folder: Any) -> None:
    """Opens the dialog (filled in with the dialog itself)."""
