"""Whom a document names, and whether that is the patient of this data folder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from secondopinion_desktop.core.documents.model import PageText


@dataclass(frozen=True)
class FoundIdentity:
    """The patient names and dates of birth a document states (as written, ISO dates), with their pages."""

    names: tuple[tuple[str, int], ...] = ()
    birth_dates: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> str:
        if not self.names and not self.birth_dates:
            return ""
        return json.dumps({"names": self.names, "birth_dates": self.birth_dates}, ensure_ascii=False)


def found_in(pages: Sequence[PageText]) -> FoundIdentity:
    """The names and dates of birth stated in these pages."""
    return FoundIdentity()
