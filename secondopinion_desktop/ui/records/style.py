"""How kinds and statuses look: kind icons drawn here, status colours and words."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

# Keyed by the stored values of RecordKind / RecordStatus (both str enums), so that this module loads without
# the core and its database libraries.
KIND_STYLE: dict[str, tuple[str, str]] = {  # glyph, colour
    "lab": ("Lb", "#2e7d32"),
    "imaging": ("Im", "#1565c0"),
    "pathology": ("Pa", "#6a1b9a"),
    "molecular": ("Mo", "#ad1457"),
    "clinical": ("Cl", "#00838f"),
    "treatment": ("Tx", "#ef6c00"),
    "identity": ("ID", "#5d4037"),
    "other": ("…", "#546e7a"),
}

# Records still to get are marked: amber for needed, blue for requested (waiting to arrive).
STATUS_BACKGROUND: dict[str, str] = {
    "needed": "#ffe0a3",
    "requested": "#cfe3ff",
}
STATUS_WORDS: dict[str, str] = {  # short: the colour says "still to get"; the tooltip has the dates
    "needed": "Needed",
    "requested": "Requested",
    "received": "Received",
    "sent": "Sent to doctor",
}


@cache
def kind_icon(kind: str) -> QIcon:
    """The icon of a record kind (a RecordKind or its value)."""
    glyph, colour = KIND_STYLE[str(kind)]
    icon = QIcon()
    for size in (16, 24, 32, 48):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size / 5, size / 5)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(7, int(size * 0.5)))
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, glyph)
        painter.end()
        icon.addPixmap(pixmap)
    return icon
