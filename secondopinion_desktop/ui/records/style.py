"""How kinds and statuses look: kind icons drawn here, status colours, human sizes."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from secondopinion_desktop.core.models import RecordKind, RecordStatus

KIND_STYLE: dict[RecordKind, tuple[str, str]] = {  # glyph, colour
    RecordKind.LAB: ("Lb", "#2e7d32"),
    RecordKind.IMAGING: ("Im", "#1565c0"),
    RecordKind.PATHOLOGY: ("Pa", "#6a1b9a"),
    RecordKind.MOLECULAR: ("Mo", "#ad1457"),
    RecordKind.CLINICAL: ("Cl", "#00838f"),
    RecordKind.TREATMENT: ("Tx", "#ef6c00"),
    RecordKind.IDENTITY: ("ID", "#5d4037"),
    RecordKind.OTHER: ("…", "#546e7a"),
}

# Records still to get are marked: amber for needed, blue for requested (waiting to arrive).
STATUS_BACKGROUND: dict[RecordStatus, str] = {
    RecordStatus.NEEDED: "#ffe0a3",
    RecordStatus.REQUESTED: "#cfe3ff",
}
STATUS_WORDS: dict[RecordStatus, str] = {
    RecordStatus.NEEDED: "Needed — not yet requested",
    RecordStatus.REQUESTED: "Requested — waiting",
    RecordStatus.RECEIVED: "Received",
    RecordStatus.SENT: "Sent to doctor",
}


@cache
def kind_icon(kind: RecordKind) -> QIcon:
    glyph, colour = KIND_STYLE[kind]
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


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(value)} bytes"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover
