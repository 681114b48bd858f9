"""A one-line label that gives up room gracefully: drawn with "…" in the middle when it is narrower than its text
(``text()`` and the tooltip keep the whole of it). The status bar's "Data folder: …" is one, so that it leaves the
bar's messages their room."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyleOption, QWidget


class ElidedLabel(QLabel):
    MIN_CHARS = 12  # never narrower than about this many characters

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        least = self.fontMetrics().horizontalAdvance("M") * self.MIN_CHARS
        return QSize(min(hint.width(), least), hint.height())

    def shown_text(self) -> str:
        """The text as drawn at the label's width."""
        room = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, max(room, 0))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), option.palette,
                                  self.isEnabled(), self.shown_text(), self.foregroundRole())
        painter.end()
        del event
