"""Driving modal dialogs from a test: the handler runs once the dialog is open and its event loop runs."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def on_next_dialog(handler) -> list[str]:
    """Run ``handler(dialog)`` on the next modal dialog that opens; returns a list that records failures."""
    errors: list[str] = []
    seen_before = QApplication.activeModalWidget()

    def poll(tries: int = 0) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog is seen_before:
            if tries < 300:
                QTimer.singleShot(10, lambda: poll(tries + 1))
            else:
                errors.append("no dialog opened")
            return
        try:
            handler(dialog)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))
            dialog.reject()

    QTimer.singleShot(0, poll)
    return errors
