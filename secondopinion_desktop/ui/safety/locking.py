"""Locking the window of an encrypted folder: on demand (File › Lock, Ctrl+L) and after some minutes without a
key press or a click (Settings › Lock when idle; 15 minutes unless changed, or never).

Locking closes the data folder (its database and the plain copies made for viewers go with it), hides every view
and asks for the passphrase again (``ui.safety.unlock``); the folder is then reopened off the GUI thread and
every view reloads (``Changes.FOLDER``). Quit instead closes the window. An idle lock waits while a dialog is
open or an operation runs (an import is never cut short by it); Ctrl+L is not reachable from a dialog.

Data path: ``core.db.open_data_folder(path, key=…)`` through ``ui.jobs.run_in_background``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.ui.safety.unlock import UnlockDialog

Window = Any  # the main window (ui.main_window), which holds every tab: never imported here

IDLE_KEY = "security/lockAfterMinutes"
DEFAULT_IDLE_MINUTES = 15
IDLE_CHOICES = (5, 15, 30, 60, 0)  # 0: never
_ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.MouseMove,
             QEvent.Type.TouchBegin}


def idle_minutes() -> int:
    try:
        value = int(QSettings().value(IDLE_KEY, DEFAULT_IDLE_MINUTES))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES
    return value if value in IDLE_CHOICES else DEFAULT_IDLE_MINUTES


def set_idle_minutes(minutes: int) -> None:
    QSettings().setValue(IDLE_KEY, int(minutes))


class WindowLock(QObject):
    """Locks ``window`` when asked or when the person has been away; owns the idle timer."""

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.window = window
        self.locked = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._idle)
        self.dialog: UnlockDialog | None = None
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.restart()

    def restart(self) -> None:
        """Count the idle time from now (after any key press or click, or a change of the setting)."""
        minutes = idle_minutes()
        folder = self.window.folder
        if minutes and folder is not None and folder.encrypted and not self.locked:
            self.timer.start(minutes * 60_000)
        else:
            self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()  # same interval, from now
        return False

    def _idle(self) -> None:
        from secondopinion_desktop.ui import jobs

        if QApplication.activeModalWidget() is not None or jobs.running_jobs():
            self.timer.start(60_000)  # a dialog is open or work runs: try again in a minute
            return
        self.lock()

    def lock(self) -> bool:
        """Close the folder, hide the views, ask for the passphrase; True when it locked."""
        window = self.window
        folder = window.folder
        if self.locked or folder is None or not folder.encrypted:
            return False
        path = folder.path
        self.locked = True
        self.timer.stop()
        window.close_folder()
        window.tabs.hide()
        window.lock_action.setEnabled(False)
        window.folder_label.setText("Locked")
        self._ask(path)
        return True

    def _ask(self, path: Path) -> None:
        from secondopinion_desktop.ui.safety.unlock import UnlockDialog

        dialog = UnlockDialog(path, self.window)
        self.dialog = dialog
        dialog.finished.connect(lambda result: self._answered(dialog, path, result))
        dialog.open()

    def _answered(self, dialog: UnlockDialog, path: Path, result: int) -> None:
        key = dialog.key
        dialog.deleteLater()
        self.dialog = None
        if result != QDialog.DialogCode.Accepted or key is None:
            QTimer.singleShot(0, self.window.close)  # Quit: the folder is closed already
            return
        from secondopinion_desktop.core.db import open_data_folder
        from secondopinion_desktop.ui.jobs import run_in_background

        self.window.folder_label.setText("Opening your data folder…")
        run_in_background(lambda: open_data_folder(path, key=key), self._reopened, self._failed, parent=self)

    def _reopened(self, folder: DataFolder) -> None:
        self.locked = False
        window = self.window
        window.tabs.show()
        window.set_folder(folder)
        window.lock_action.setEnabled(True)
        self.restart()

    def _failed(self, exc: BaseException) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(self.window, "Cannot open your data", str(exc))
        QTimer.singleShot(0, self.window.close)
