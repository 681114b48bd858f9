"""Pieces every form dialog shares: the error banner, labelled rows, text-box hints."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QFormLayout, QLabel, QPlainTextEdit, QWidget

ERROR_STYLE = (
    "QLabel#errorLabel { color: #8b1a1a; background: #fdecea; border: 1px solid #e0a8a8;"
    " border-radius: 4px; padding: 6px; font-weight: bold; }"
)


def error_label() -> QLabel:
    """The red banner at the top of a dialog that says what the core refused (hidden until then)."""
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName("Problem")
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.show()
    QAccessible.updateAccessibility(QAccessibleEvent(label, QAccessible.Event.Alert))


def set_placeholder(edit: QPlainTextEdit, text: str) -> None:
    """Change a text box's grey hint and repaint all of it: Qt repaints only the lines whose text changed, so
    the old hint would show through the new one where they differ in length."""
    if edit.placeholderText() != text:
        edit.setPlaceholderText(text)
        edit.viewport().update()


def add_row(
    form: QFormLayout, text: str, widget: QWidget, object_name: str, accessible_name: str,
    *, buddy: QWidget | None = None,
) -> QLabel:
    """A labelled form row; the label's mnemonic moves to the input, which gets an objectName and a11y name."""
    label = QLabel(text)
    label.setObjectName(f"{object_name}Label")
    target = buddy or widget
    target.setObjectName(object_name)
    target.setAccessibleName(accessible_name)
    label.setBuddy(target)
    form.addRow(label, widget)
    return label


def export_title(title: str, folder: object) -> str:
    """A save dialog's title, saying that what is saved from an encrypted folder is written unencrypted (the
    packet, letters, copies and the folder for the doctor are meant to be shared and read)."""
    if getattr(folder, "encrypted", False):
        return f"{title} (written unencrypted, to be shared)"
    return title
