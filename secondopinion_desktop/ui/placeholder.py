"""A tab page that says plainly what the tab will hold, until its feature is built."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlannedPage(QWidget):
    """Heading, one paragraph and a list of what is coming; optional live status line underneath."""

    def __init__(self, heading: str, intro: str, coming: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        items = "".join(f"<li>{escape(item)}</li>" for item in coming)
        self.text = QLabel(
            f"<h2>{escape(heading)}</h2><p>{escape(intro)}</p>"
            f"<p><b>This tab will let you:</b></p><ul>{items}</ul>"
        )
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setObjectName("plannedPageStatus")
        self.status.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(self.text)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.text.setMaximumWidth(820)
        self.status.setMaximumWidth(820)
        self.setAccessibleName(heading)

    def set_status(self, html: str) -> None:
        self.status.setText(html)
        self.status.setVisible(bool(html))
