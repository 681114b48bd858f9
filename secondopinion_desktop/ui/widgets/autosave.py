"""Saving as the person types: after a pause, and at least every few seconds of steady typing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Autosave(QObject):
    """Calls ``save()`` one ``delay`` after the last change, and at the latest ``max_wait`` after the first
    unsaved one (so steady typing is saved too). ``flush()`` saves now if anything is pending."""

    def __init__(self, save: Callable[[], None], delay: int = 1000, max_wait: int = 3000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._save = save
        self.pending = False
        self._quiet = QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(delay)
        self._quiet.timeout.connect(self.flush)
        self._longest = QTimer(self)
        self._longest.setSingleShot(True)
        self._longest.setInterval(max_wait)
        self._longest.timeout.connect(self.flush)

    def changed(self) -> None:
        self.pending = True
        self._quiet.start()
        if not self._longest.isActive():
            self._longest.start()

    def cancel(self) -> None:
        self.pending = False
        self._quiet.stop()
        self._longest.stop()

    def flush(self) -> None:
        self._quiet.stop()
        self._longest.stop()
        if self.pending:
            self.pending = False
            self._save()
