"""Tooltips made from the person's data (a document's title, a file's name): always drawn as the characters they
are. Qt draws a tooltip that merely looks like markup as rich text, so ``<img src=…>`` in a title would load a
local image and ``<b>`` would turn bold; these tooltips are rich text we build, with every text escaped."""

from __future__ import annotations

from html import escape


def plain_tip(text: str) -> str:
    """``text`` as a tooltip that shows it literally (line breaks kept; long lines wrap)."""
    if not text:
        return ""
    return "<qt>" + "<br>".join(escape(line, quote=False) for line in text.split("\n")) + "</qt>"
