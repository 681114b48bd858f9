"""Driving modal dialogs from a test: the handler runs once the dialog is open and its event loop runs."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog

#: How long to wait for the dialog. A dialog that follows a background read (a document reader process to
#: start, a slow CI machine) can take seconds; the handler must still be there when it opens, or the test
#: would wait on a modal dialog that nobody closes.
WAIT_SECONDS = 60.0

#: Bumped as each test ends (``tests/conftest.py``), so a handler still waiting never takes a later test's dialog.
_test_generation = [0]


def end_of_test() -> None:
    _test_generation[0] += 1


def on_next_dialog(handler, *, wait: float = WAIT_SECONDS) -> list[str]:
    """Run ``handler(dialog)`` on the next modal dialog that opens; returns a list that records failures.

    A progress dialog is not "the next dialog": an operation's progress shows while it works and the dialog
    the test means opens after it."""
    errors: list[str] = []
    seen_before = QApplication.activeModalWidget()
    deadline = time.monotonic() + wait
    generation = _test_generation[0]

    def poll() -> None:
        if _test_generation[0] != generation:
            return
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog is seen_before or isinstance(dialog, QProgressDialog):
            if time.monotonic() < deadline:
                QTimer.singleShot(10, poll)
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
