"""Unlocking an encrypted data folder: the passphrase (or the recovery key) asked for when the window opens it;
and, with ``for_backup``, an encrypted backup made under other keys than the open folder's (File › Restore…).

Data path: ``core.crypto.seal.unlock_folder(path, passphrase=…)`` (or ``core.backup.unlock_backup``; Argon2id,
about half a second) runs off the GUI thread through ``ui.jobs.run_in_background``; the dialog keeps the keys
(``key``) for the window to open the folder (or restore the backup) with. Three wrong tries in a row make it
wait ``PAUSE_SECONDS`` before the next one: guessing gets slow, and the data is never locked out (the recovery
key always opens it). Nothing typed is kept once the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop import APP_NAME
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

if TYPE_CHECKING:
    from secondopinion_desktop.core.crypto.seal import FolderKey

TRIES_BEFORE_PAUSE = 3
PAUSE_SECONDS = 30


Unlocker = Callable[[str | None, str | None], "FolderKey | None"]  # (passphrase, recovery key) → keys


class UnlockDialog(QDialog):
    """Asks for the passphrase of the encrypted data folder at ``path``; ``key`` holds its keys once accepted.

    ``unlock``, ``intro``, ``what`` and ``cancel_text`` make it ask for something else's (``for_backup``):
    ``unlock(passphrase, recovery_key)`` runs off the GUI thread and raises ``WrongSecret`` for a wrong one."""

    def __init__(self, path: Path, parent: QWidget | None = None, *, pause_seconds: int = PAUSE_SECONDS,
                 unlock: Unlocker | None = None, intro: str | None = None, what: str = "your records",
                 cancel_text: str = "&Quit", title: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle(title or f"Unlock your records — {APP_NAME}")
        self.path = Path(path)
        self.key: FolderKey | None = None
        self.failures = 0
        self._pause_seconds = pause_seconds
        self._pause_left = 0
        self._job = None
        self._unlock = unlock
        self._what = what

        intro = QLabel(intro or f"Your records in {self.path} are protected with a passphrase. Type it to open them.")
        intro.setObjectName("unlockIntro")
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt = QLabel("&Passphrase:")
        self.secret = QLineEdit()
        self.secret.setObjectName("unlockSecret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Passphrase")
        self.prompt.setBuddy(self.secret)
        self.use_recovery = QCheckBox("Use the &recovery key from the printed sheet instead")
        self.use_recovery.setObjectName("unlockUseRecovery")
        self.use_recovery.toggled.connect(self._recovery_toggled)
        self.message = QLabel("")
        self.message.setObjectName("unlockMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.open_button.setText("&Open")
        self.open_button.setObjectName("okButton")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(cancel_text)
        cancel.setObjectName("cancelButton")
        self.buttons.accepted.connect(self.try_unlock)
        self.buttons.rejected.connect(self.reject)
        self.secret.textChanged.connect(self._update_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.prompt)
        layout.addWidget(self.secret)
        layout.addWidget(self.use_recovery)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._update_button()
        fit_to_screen(self, 520, 260, min_width=360)
        self.secret.setFocus()

    # --- what the person does -----------------------------------------------------------------------------

    def _recovery_toggled(self, on: bool) -> None:
        self.prompt.setText("&Recovery key:" if on else "&Passphrase:")
        self.secret.setAccessibleName("Recovery key" if on else "Passphrase")
        # the recovery key is read off paper: shown as it is typed, so a slip can be seen
        self.secret.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX" if on else "")
        self.secret.clear()
        self.secret.setFocus()

    def _update_button(self) -> None:
        busy = self._job is not None
        self.open_button.setEnabled(bool(self.secret.text()) and not busy and self._pause_left == 0)
        self.secret.setEnabled(not busy and self._pause_left == 0)
        self.use_recovery.setEnabled(not busy)

    def try_unlock(self) -> None:
        """Open with what was typed, off the GUI thread; a wrong one is said, and after three a pause."""
        typed = self.secret.text()
        if not typed or self._job is not None or self._pause_left:
            return
        from secondopinion_desktop.core.crypto.seal import unlock_folder
        from secondopinion_desktop.ui.jobs import run_in_background

        recovery = self.use_recovery.isChecked()
        path, unlock = self.path, self._unlock

        def work() -> FolderKey | None:
            if unlock is not None:
                return unlock(None, typed) if recovery else unlock(typed, None)
            if recovery:
                return unlock_folder(path, recovery_key=typed)
            return unlock_folder(path, passphrase=typed)

        self._say("Opening…")
        self._job = run_in_background(work, self._unlocked, self._refused, parent=self)
        self._update_button()

    def _unlocked(self, key: FolderKey | None) -> None:
        self._job = None
        if key is None:  # nothing to unlock after all (a plain backup): there is nothing to type
            self.accept()
            return
        self.key = key
        self.secret.clear()
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        from secondopinion_desktop.core.crypto.keys import WrongSecret
        from secondopinion_desktop.core.errors import SecondOpinionError

        self._job = None
        if isinstance(exc, WrongSecret):
            self.failures += 1
            what = "recovery key" if self.use_recovery.isChecked() else "passphrase"
            text = f"That {what} does not open {self._what}."
            if self.failures % TRIES_BEFORE_PAUSE == 0:
                self._pause_left = self._pause_seconds
                self._timer.start()
                text += f" Wait {self._pause_left} seconds before the next try."
            else:
                text += " Check Caps Lock and try again."
            self._say(text)
            self.secret.selectAll()
        elif isinstance(exc, SecondOpinionError):
            self._say(str(exc))
        else:
            self._say(f"{self._what[0].upper()}{self._what[1:]} could not be opened ({type(exc).__name__}).")
        self._update_button()
        if self.secret.isEnabled():
            self.secret.setFocus()

    def _tick(self) -> None:
        self._pause_left = max(0, self._pause_left - 1)
        if self._pause_left == 0:
            self._timer.stop()
            self._say("Try again.")
            self._update_button()
            self.secret.setFocus()
        else:
            self._say(f"That did not open {self._what}. Wait {self._pause_left} seconds before the next try.")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def done(self, result: int) -> None:
        self._timer.stop()
        self.secret.clear()
        super().done(result)


def for_backup(archive: Path, parent: QWidget | None = None, *, pause_seconds: int = PAUSE_SECONDS) -> UnlockDialog:
    """The dialog asking for the passphrase (or recovery key) an encrypted backup was made under, when it is not
    the open folder's: a backup of this folder from before the passphrase changed keeps opening with the old one."""
    from secondopinion_desktop.core.backup import unlock_backup

    archive = Path(archive)

    def unlock(passphrase: str | None, recovery_key: str | None) -> FolderKey | None:
        return unlock_backup(archive, passphrase=passphrase, recovery_key=recovery_key)

    return UnlockDialog(
        archive, parent, pause_seconds=pause_seconds, unlock=unlock, what="this backup", cancel_text="&Cancel",
        title=f"Unlock the backup — {APP_NAME}",
        intro=(f"The backup {archive.name} is protected with its own passphrase: the one its records had when it "
               "was made, not the one of the records you have open. Type that passphrase, or use the recovery key "
               "from the sheet printed when those records were protected."),
    )
