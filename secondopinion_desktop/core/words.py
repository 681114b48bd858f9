"""Wording shared by the window, the CLI and the PDFs: counts with the right plural."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``"1 record"``, ``"2 records"``, ``"0 records"``; ``many`` for irregular words ("series", "studies")."""
    word = singular if count == 1 else (many if many is not None else singular + "s")
    return f"{count:,} {word}"
