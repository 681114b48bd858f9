"""Settings › Protect my data with a passphrase…: turning encryption on from the window.

Two steps in one dialog. First the passphrase, typed twice, with a hint of how hard it is to guess
(``core.crypto.strength``, given the patient's own name and date of birth, which guessers try first) and the plain
warning. Then the recovery key, made now and shown only here: the person saves the sheet to print
(``core.crypto.sheet``) or writes it down, and says so, before Encrypt is possible.

Data path: the window closes its folder, then ``core.crypto.convert.encrypt_folder`` runs in one writing operation
(``ui.ops.run_op``: progress, cancel, the folder's lock moving along with the swap), the folder is reopened with
its new keys and every view reloads. A cancel or a failure leaves the folder as it was, and it is reopened as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop import APP_NAME
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

Window = Any  # the main window (ui.main_window), which holds every tab: never imported here

WARNING = ("Without the passphrase or the recovery key, nobody can open your records again — not you, not "
           f"{APP_NAME}'s makers: there is no reset. Keep the recovery key on paper, away from the computer.")
WHAT = ("Your records and every attached file are then stored encrypted: someone who takes or borrows this "
        "computer, or copies the folder, cannot read them. The app asks for the passphrase when it opens. "
        "Packets, letters and the folder for the doctor that you save stay readable, as they are meant to be "
        "shared. Backups made from now on are encrypted too.")


def _wrapped(text: str, name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


class ProtectDialog(QDialog):
    """Choose a passphrase, keep the recovery key; accepted with ``passphrase`` and ``recovery_key`` set."""

    def __init__(self, folder: DataFolder, parent: QWidget | None = None, *, changing: bool = False) -> None:
        super().__init__(parent)
        self.changing = changing  # a new passphrase for an encrypted folder: no recovery key step
        self.setObjectName("changePassphraseDialog" if changing else "protectDialog")
        self.setWindowTitle("Change the passphrase" if changing else "Protect my data with a passphrase")
        self.folder_path = Path(folder.path)
        from secondopinion_desktop.core.crypto.strength import guessable_words

        self.avoid = guessable_words(folder)
        self.passphrase = ""
        self.recovery_key = ""
        self.sheet_saved: Path | None = None

        self.pages = QStackedWidget()
        self.pages.addWidget(self._passphrase_page())
        self.pages.addWidget(self._recovery_page())

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.next_button = QPushButton("&Continue")
        self.next_button.setObjectName("okButton")
        self.next_button.setDefault(True)
        self.buttons.addButton(self.next_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        self.next_button.clicked.connect(self._next)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)
        if changing:
            self.next_button.setText("&Change the passphrase")
        self._judge()
        fit_to_screen(self, 620, 520, min_width=420)
        self.first.setFocus()

    # --- step 1: the passphrase ------------------------------------------------------------------------------

    def _passphrase_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        if self.changing:
            box.addWidget(_wrapped("Choose a new passphrase. The recovery key you kept stays the same and still "
                                   "opens your records; the old passphrase no longer does."))
        else:
            box.addWidget(_wrapped(WHAT))
            box.addWidget(_wrapped(f"<b>{WARNING}</b>", "protectWarning"))
        self.first = QLineEdit()
        self.first.setObjectName("protectPassphrase")
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit()
        self.second.setObjectName("protectPassphraseAgain")
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        first_label = QLabel("&Passphrase (several unusual words are easy to remember and hard to guess):")
        first_label.setWordWrap(True)
        first_label.setBuddy(self.first)
        second_label = QLabel("The same passphrase &again:")
        second_label.setBuddy(self.second)
        self.hint = _wrapped("", "protectStrength")
        box.addSpacing(6)
        box.addWidget(first_label)
        box.addWidget(self.first)
        box.addWidget(self.hint)
        box.addWidget(second_label)
        box.addWidget(self.second)
        box.addStretch(1)
        self.first.textChanged.connect(self._judge)
        self.second.textChanged.connect(self._judge)
        return page

    def _judge(self) -> None:
        if self.pages.currentIndex() != 0:
            return
        from secondopinion_desktop.core.crypto.strength import strength

        typed = self.first.text()
        judged = strength(typed, self.avoid)
        same = typed == self.second.text()
        text = judged.sentence
        if typed and self.second.text() and not same:
            text += " The two passphrases are not the same yet."
        self.hint.setText(text)
        self.next_button.setEnabled(judged.acceptable and same)

    # --- step 2: the recovery key ------------------------------------------------------------------------------

    def _recovery_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(_wrapped("Your recovery key opens your records if the passphrase is ever forgotten. It is "
                               "shown only now: print the sheet, or write the key down exactly, and keep it "
                               "somewhere safe away from the computer."))
        self.key_label = QLabel("")
        self.key_label.setObjectName("protectRecoveryKey")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(self.font().pointSizeF() * 1.4)
        font.setBold(True)
        self.key_label.setFont(font)
        self.key_label.setWordWrap(True)
        self.sheet_button = QPushButton("&Save the recovery sheet to print…")
        self.sheet_button.setObjectName("protectSheetButton")
        self.sheet_button.clicked.connect(self._save_sheet)
        self.sheet_note = _wrapped("", "protectSheetNote")
        self.kept = QCheckBox("I have &printed the sheet or written the recovery key down")
        self.kept.setObjectName("protectKept")
        self.kept.toggled.connect(lambda on: self.next_button.setEnabled(on))
        box.addSpacing(8)
        box.addWidget(self.key_label)
        box.addSpacing(8)
        box.addWidget(self.sheet_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.sheet_note)
        box.addWidget(self.kept)
        box.addWidget(_wrapped(f"<b>{WARNING}</b>"))
        box.addStretch(1)
        return page

    def _next(self) -> None:
        if self.pages.currentIndex() == 0 and self.changing:
            self.passphrase = self.first.text()
            self.accept()
            return
        if self.pages.currentIndex() == 0:
            from secondopinion_desktop.core.crypto.keys import new_recovery_key

            self.passphrase = self.first.text()
            self.first.clear()
            self.second.clear()
            self.recovery_key = new_recovery_key()
            self.key_label.setText(self.recovery_key)
            self.pages.setCurrentIndex(1)
            self.next_button.setText("&Encrypt my records")
            self.next_button.setEnabled(False)
            self.kept.setFocus()
            return
        self.accept()

    def _save_sheet(self) -> None:
        target, _filter = QFileDialog.getSaveFileName(self, "Save the recovery sheet",
                                                      str(Path.home() / "recovery-sheet.pdf"), "PDF (*.pdf)")
        if target:
            self.write_sheet(Path(target))

    def write_sheet(self, target: Path) -> bool:
        """Write the sheet (a deliberate, readable export: the key is on it) to ``target``; True when written."""
        from secondopinion_desktop.core.crypto.sheet import recovery_sheet_pdf
        from secondopinion_desktop.core.errors import SecondOpinionError
        from secondopinion_desktop.core.outputs import check_output

        try:
            check_output(str(target), self.folder_path, what="the recovery sheet", example="recovery-sheet.pdf")
            recovery_sheet_pdf(target, self.recovery_key, folder=self.folder_path, key_id="")
        except (OSError, SecondOpinionError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.sheet_note.setText(f"The sheet was not saved: {why}")
            return False
        self.sheet_saved = target
        self.sheet_note.setText(f"Saved {target}. Print it, then delete the file: anyone who finds it can open "
                                "your records.")
        return True

    def done(self, result: int) -> None:
        self.first.clear()
        self.second.clear()
        if result != QDialog.DialogCode.Accepted:
            self.passphrase = self.recovery_key = ""
        super().done(result)


def protect_folder(window: Window) -> None:
    """Settings › Protect my data with a passphrase…: the dialog, then the encryption as one operation."""
    folder = window.folder
    if folder is None or folder.encrypted or window.demo:
        return
    dialog = ProtectDialog(folder, window)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    passphrase, recovery = dialog.passphrase, dialog.recovery_key
    dialog.deleteLater()
    if not accepted or not passphrase:
        return
    encrypt_now(window, passphrase, recovery)


def encrypt_now(window: Window, passphrase: str, recovery: str):  # type: ignore[no-untyped-def]
    """Close the folder, encrypt it off the GUI thread (progress, cancel), reopen it with its keys."""
    from secondopinion_desktop.ui.ops import run_op

    folder = window.folder
    assert folder is not None
    path, lock = Path(folder.path), window.folder_lock

    def work(control):  # type: ignore[no-untyped-def]
        from secondopinion_desktop.core.crypto.convert import encrypt_folder
        from secondopinion_desktop.core.db import open_data_folder

        try:
            key, _result = encrypt_folder(path, passphrase, recovery, lock=lock, progress=control.progress,
                                          cancelled=control.cancelled)
        except BaseException as exc:
            reopened = open_data_folder(path)  # as it was: never a window without its records
            return reopened, exc
        return open_data_folder(path, key=key), None

    def done(outcome) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtWidgets import QMessageBox

        from secondopinion_desktop.ui.ops import is_cancel
        from secondopinion_desktop.ui.safety import common

        reopened, error = outcome
        window.set_folder(reopened)
        if error is None:
            common.show_message(window, QMessageBox.Icon.Information, "Protected",
                                "Your records are now encrypted. The app asks for the passphrase each time it "
                                "opens; File › Lock (Ctrl+L) closes them until it is typed again.")
        elif is_cancel(error):
            common.show_message(window, QMessageBox.Icon.Information, "Not protected",
                                "Cancelled. Your records were not changed.")
        else:
            common.show_message(window, QMessageBox.Icon.Warning, "Not protected",
                                f"Your records could not be encrypted: {error}\n\nThey were not changed.")

    window.close_folder()
    window.folder_label.setText("Encrypting your records…")
    return run_op(window, work, name="encrypt folder", label="Encrypting your records…",
                  title="Protect my data", delay_ms=0, on_success=done)


def change_passphrase_of(window: Window):  # type: ignore[no-untyped-def]
    """Settings › Change the passphrase…: the new one typed twice, then the key file rewrapped (off the GUI thread:
    the passphrase's key derivation takes about half a second). The data itself is not touched."""
    from secondopinion_desktop.ui.ops import run_op

    folder = window.folder
    if folder is None or not folder.encrypted or folder.key is None:
        return None
    dialog = ProtectDialog(folder, window, changing=True)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    new = dialog.passphrase
    dialog.deleteLater()
    if not accepted or not new:
        return None
    path, key = Path(folder.path), folder.key

    def work(_control):  # type: ignore[no-untyped-def]
        from secondopinion_desktop.core.crypto.convert import change_passphrase

        change_passphrase(path, key, new)

    def done(_result: object) -> None:
        from PySide6.QtWidgets import QMessageBox

        from secondopinion_desktop.ui.safety import common

        common.show_message(window, QMessageBox.Icon.Information, "Passphrase changed",
                            "The new passphrase opens your records from now on; the recovery key is the same.")

    return run_op(window, work, name="change passphrase", label="Changing the passphrase…",
                  title="Change the passphrase", cancellable=False, on_success=done)


def turn_off_protection(window: Window, *, confirmed: bool = False):  # type: ignore[no-untyped-def]
    """Settings › Turn off the passphrase…: after asking, the folder is written unencrypted again (one operation,
    progress and cancel; a cancel or a failure leaves it encrypted) and reopened."""
    from secondopinion_desktop.ui.ops import run_op
    from secondopinion_desktop.ui.safety import common

    folder = window.folder
    if folder is None or not folder.encrypted or folder.key is None:
        return None
    if not confirmed and not common.confirm(
            window, "Turn off the passphrase",
            "Your records and files will be written unencrypted again: anyone who uses this account or takes the "
            "computer can then read them. Backups made while they were encrypted stay encrypted.",
            "Turn it off"):
        return None
    path, key, lock = Path(folder.path), folder.key, window.folder_lock

    def work(control):  # type: ignore[no-untyped-def]
        from secondopinion_desktop.core.crypto.convert import decrypt_folder
        from secondopinion_desktop.core.db import open_data_folder

        try:
            decrypt_folder(path, key, lock=lock, progress=control.progress, cancelled=control.cancelled)
        except BaseException as exc:
            return open_data_folder(path, key=key), exc  # as it was
        return open_data_folder(path), None

    def done(outcome) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtWidgets import QMessageBox

        from secondopinion_desktop.ui.ops import is_cancel

        reopened, error = outcome
        window.set_folder(reopened)
        if error is None:
            common.show_message(window, QMessageBox.Icon.Information, "Passphrase turned off",
                                "Your records are no longer encrypted.")
        elif is_cancel(error):
            common.show_message(window, QMessageBox.Icon.Information, "Still protected",
                                "Cancelled. Your records are still encrypted.")
        else:
            common.show_message(window, QMessageBox.Icon.Warning, "Still protected",
                                f"The passphrase could not be turned off: {error}\n\nYour records are still "
                                "encrypted.")

    window.close_folder()
    window.folder_label.setText("Decrypting your records…")
    return run_op(window, work, name="decrypt folder", label="Writing your records unencrypted…",
                  title="Turn off the passphrase", delay_ms=0, on_success=done)
