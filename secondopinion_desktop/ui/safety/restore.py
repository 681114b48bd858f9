"""File → Restore…: check the archive, say whose records it holds and what it replaces, then swap it in.

Data path: ``core.backup.verify_backup`` / ``summarize_backup`` and ``core.people.summarize_folder`` in one
reading operation (an encrypted backup made under other keys than the open folder's — before the passphrase was
changed, or of another folder — first asks for its own passphrase, ``ui.safety.unlock.for_backup``); after the
confirmation ``core.backup.restore_backup_with_details`` in a writing one (after
every write queued before it), which also takes the folder's lock again and reopens the folder.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from secondopinion_desktop.core.words import iso_minutes, plural, size
from secondopinion_desktop.ui.jobs import JobControl
from secondopinion_desktop.ui.ops import Op, is_cancel, run_op
from secondopinion_desktop.ui.safety import common

if TYPE_CHECKING:
    from secondopinion_desktop.core.backup import Manifest, RestoreResult
    from secondopinion_desktop.core.crypto.seal import FolderKey
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.lock import FolderLock
    from secondopinion_desktop.core.people import FolderSummary
    from secondopinion_desktop.ui.safety.unlock import UnlockDialog


def _stamp(when: str | dt.datetime) -> str:
    """``2024-03-09 14:02`` in local time; a manifest's stamp that cannot be read is shown as written."""
    try:
        moment = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(when)
    except ValueError:
        return str(when)
    return iso_minutes(moment)


def describe_manifest(manifest: Manifest) -> str:
    """What an archive holds, in words: how many files, when it was made, the size."""
    parts = [f"{plural(manifest.vault_files, 'attached file')} and the database"]
    if manifest.created_at:
        parts.append(f"made {_stamp(manifest.created_at)}")
    if manifest.total_size > 0:
        parts.append(size(manifest.total_size))
    return f"{parts[0]} ({', '.join(parts[1:])})" if len(parts) > 1 else parts[0]


def _whose(summary: FolderSummary) -> str:
    """ "Alex Sample's records: 26 records, last changed 2024-03-09 14:02" """
    who = f"{summary.name}'s records" if summary.name else "records with no name in the profile"
    when = f", last changed {_stamp(summary.last_changed)}" if summary.last_changed else ""
    return f"{who}: {plural(summary.records, 'record')}{when}"


def protection_note(backup_encrypted: bool, same_keys: bool, folder_encrypted: bool) -> str:
    """What a restore does to the passphrase protection, in words ("" when nothing changes)."""
    if backup_encrypted and not folder_encrypted:
        return ("This backup is protected with a passphrase: once restored, your records are too, and open only "
                "with the passphrase (or the recovery key) they had when it was made.")
    if backup_encrypted and not same_keys:
        return ("This backup was made under another passphrase than the one your records have now: once "
                "restored, they open only with that earlier passphrase (or its recovery key).")
    if not backup_encrypted and folder_encrypted:
        return ("This backup was made before your records were protected with a passphrase: once restored, they "
                "are not encrypted. Protect them again with Settings › Protect my data with a passphrase….")
    return ""


def restore_question(archive_name: str, manifest: Manifest | None, backup: FolderSummary | None,
                     current: FolderSummary | None, data_dir: Path, protection: str = "") -> str:
    """What a restore would do, in words: whose records the backup holds, what it replaces, and any warning
    (``protection``: what it does to the passphrase, ``protection_note``)."""
    from secondopinion_desktop.core.people import same_name

    what = describe_manifest(manifest) if manifest is not None else ""
    if backup is not None:
        held = f"{_whose(backup)} ({what})" if what else _whose(backup)
    else:
        held = what or "a backup of unknown contents"
    text = f"{archive_name} holds {held}.\n\n"
    if current is not None and (current.records or current.name):
        text += (f"Restore it into {data_dir}? It replaces {_whose(current)}; "
                 "those will be kept as a backup first.")
    else:
        text += f"Restore it into {data_dir}?"
    warnings = []
    if backup is not None and current is not None:
        if backup.name and current.name and not same_name(backup.name, current.name):
            warnings.append(f"This backup is of {backup.name}, not of {current.name}.")
        if backup.last_changed and current.last_changed and backup.last_changed < current.last_changed:
            warnings.append(
                f"This backup is older than the records it replaces: changes made after "
                f"{_stamp(backup.last_changed)} would be undone (they stay in the backup kept first)."
            )
    if protection:
        warnings.append(protection)
    return text + "".join(f"\n\nWarning: {w}" for w in warnings)


def choose_archive(parent: QWidget | None) -> Path | None:
    chosen, _ = QFileDialog.getOpenFileName(
        parent, "Restore from a backup", str(common.last_dir()), "Backup archives (*.zip);;All files (*)"
    )
    return Path(chosen) if chosen else None


class Verified(NamedTuple):
    manifest: Manifest
    backup: FolderSummary | None  # whose records the archive holds
    current: FolderSummary | None  # … and those it would replace
    encrypted: bool  # the backup is; it is then restored with the keys it was verified with


class Outcome(NamedTuple):
    """What the restore job hands back to the window: the restore's result or error, and the folder reopened
    (or why it could not be)."""

    result: RestoreResult | None
    error: BaseException | None
    reopened: DataFolder | None
    reopen_error: BaseException | None
    lock: FolderLock | None  # the lock the window holds from now on


class RestoreRunner(QObject):
    """Restore…: verify the archive, confirm, then replace the data folder's contents and reopen it.

    The owner (MainWindow) connects:
      * ``closeRequested`` → close the current DataFolder *synchronously* (shut the tabs down, ``folder.close()``,
        ``self.folder = None``). It is emitted on the GUI thread right before the restore starts; nothing may
        use the old DataFolder afterwards.
      * ``reopened(DataFolder)`` → ``set_folder(folder)``. Emitted after the restore whether it succeeded or
        not (a failed restore leaves the old data in place, and that is reopened).
      * ``restored(Path)`` → optional; the restore succeeded (the Path of the restored data folder).
      * ``failed(str)`` → optional; the message already shown to the user.
      * ``relocked(FolderLock | None)`` → keep this lock object from now on (the restore moves the window's
        lock into the restored folder; one it could not keep is taken again). None means the folder could not
        be locked again; it is then not reopened.
      * ``finished()`` → the runner is done (after a refusal, a cancel, a failure or a success).
    """

    relocked = Signal(object)
    closeRequested = Signal()
    reopened = Signal(object)
    restored = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, parent: QWidget | None, folder: DataFolder, lock: FolderLock | None = None) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.data_dir = Path(folder.path)
        self.key = folder.key  # an encrypted folder's: its own backups open with it, and its data is kept with it
        self.backup_key: FolderKey | None = None  # an encrypted backup's keys (the folder's, or typed for it)
        self.protection = ""  # what the restore does to the passphrase protection, in words
        self.unlock_dialog: QDialog | None = None
        self.lock = lock
        self.archive: Path | None = None
        self.manifest: Manifest | None = None
        self.job: Op | None = None
        self.message: QMessageBox | None = None
        self.done = False
        self.backup_summary: FolderSummary | None = None
        self.current_summary: FolderSummary | None = None

    def _finish(self) -> None:
        self.done = True
        self.finished.emit()

    def _show(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        self.message = common.show_message(self.parent_widget, icon, title, text)

    def start(self, archive: Path | None = None) -> Op | None:
        """Choose the archive (unless given) and verify it in the background; the rest follows by itself."""
        if archive is None:
            archive = choose_archive(self.parent_widget)
            if archive is None:
                self._finish()
                return None
        self.archive = Path(archive)
        common.remember_dir(self.archive)
        return self._verify()

    def _verify(self) -> Op:
        """Check the archive with the keys at hand (the folder's, or those typed for the backup); an encrypted
        backup they do not open asks for its own passphrase first."""
        from secondopinion_desktop.core.backup import backup_keyring, summarize_backup, verify_backup
        from secondopinion_desktop.core.people import summarize_folder

        assert self.archive is not None
        chosen, data_dir, key = self.archive, self.data_dir, self.key
        use = self.backup_key if self.backup_key is not None else key

        def work(_control: JobControl) -> Verified | None:
            ring = backup_keyring(chosen)
            if ring is not None and (use is None or use.key_id != ring.key_id):
                return None  # its own passphrase first
            with_key = use if ring is not None else None
            return Verified(verify_backup(chosen, with_key), summarize_backup(chosen, with_key),
                            summarize_folder(data_dir, key), ring is not None)

        def succeeded(found: Verified | None) -> None:
            if found is None:
                self._ask_backup_passphrase()
                return
            self.manifest, self.backup_summary, self.current_summary = found.manifest, found.backup, found.current
            self.backup_key = use if found.encrypted else None
            same = use is not None and key is not None and use.key_id == key.key_id
            self.protection = protection_note(found.encrypted, same, key is not None)
            self._confirm_and_restore()

        def failed(exc: BaseException) -> bool:
            self._finish()
            if not common.expected_failure(exc):
                return False  # a bug: the crash dialog
            message = f"{chosen.name} cannot be restored: {common.reason(exc)}\n\nNothing was changed."
            self._show(QMessageBox.Icon.Warning, "Cannot restore", message)
            self.failed.emit(message)
            return True

        self.job = run_op(self.parent_widget, work, name="check backup", writes=False,
                          label=f"Checking {chosen.name}…", title="Restore", cancellable=False,
                          on_success=succeeded, on_failure=failed)
        return self.job

    def _ask_backup_passphrase(self) -> None:
        from secondopinion_desktop.ui.safety.unlock import for_backup

        assert self.archive is not None
        dialog = for_backup(self.archive, self.parent_widget)
        self.unlock_dialog = dialog
        dialog.finished.connect(lambda result: self._backup_unlocked(dialog, result))
        dialog.open()

    def _backup_unlocked(self, dialog: UnlockDialog, result: int) -> None:
        key = dialog.key
        self.unlock_dialog = None
        dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted or key is None:
            self._finish()  # cancelled: nothing was changed
            return
        self.backup_key = key
        self._verify()

    def _confirm_and_restore(self) -> None:
        assert self.archive is not None
        text = restore_question(self.archive.name, self.manifest, self.backup_summary, self.current_summary,
                                self.data_dir, self.protection)
        if not common.confirm(self.parent_widget, "Restore from a backup", text, "&Restore"):
            self._finish()
            return
        self.restore()

    def restore(self) -> Op:
        """Close the folder (via ``closeRequested``), restore, reopen. Call directly to skip the confirmation."""
        assert self.archive is not None
        archive, data_dir, lock, key, backup_key = self.archive, self.data_dir, self.lock, self.key, self.backup_key
        self.closeRequested.emit()
        self.job = run_op(self.parent_widget,
                          lambda control: _restore_and_reopen(archive, data_dir, lock, control, key, backup_key),
                          name="restore backup", label=f"Restoring {archive.name}…", title="Restore",
                          delay_ms=0, on_success=self._restored, on_failure=lambda _exc: self._finish())
        return self.job

    def _restored(self, outcome: Outcome) -> None:
        assert self.archive is not None
        try:
            if self.lock is not None and outcome.lock is not self.lock:
                self.lock = outcome.lock
                self.relocked.emit(outcome.lock)
            if outcome.reopened is not None:
                self.reopened.emit(outcome.reopened)
            self._tell(outcome)
        finally:
            self._finish()

    def _tell(self, outcome: Outcome) -> None:
        assert self.archive is not None
        error, reopen_error = outcome.error, outcome.reopen_error
        if error is None and reopen_error is None and outcome.result is not None:
            kept = outcome.result.kept
            self._show(QMessageBox.Icon.Information, "Restored",
                       f"Your records were restored from {self.archive.name}."
                       + (f"\n\nYour previous data was kept as a backup:\n{kept}" if kept else "")
                       + (f"\n\n{self.protection}" if self.protection else ""))
            self.restored.emit(outcome.result.data_dir)
            return
        if error is not None and not common.expected_failure(error):
            raise error  # a bug: the crash dialog (after the folder was reopened)
        if error is not None and is_cancel(error):
            message = "The restore was cancelled. Your data was not changed."
        elif error is not None:
            message = f"The backup could not be restored: {common.reason(error)}\n\nYour data was not changed."
        else:
            message = f"The data folder could not be opened again: {common.reason(reopen_error)}"  # type: ignore[arg-type]
        if reopen_error is not None and error is not None:
            message += f"\n\nThe data folder could not be opened again: {common.reason(reopen_error)}"
        print(f"secondopinion: restore: {message.splitlines()[0]}", file=sys.stderr)
        self._show(QMessageBox.Icon.Warning, "Restore", message)
        self.failed.emit(message)


def _restore_and_reopen(archive: Path, data_dir: Path, lock: FolderLock | None, control: JobControl,
                        key: FolderKey | None = None, backup_key: FolderKey | None = None) -> Outcome:
    """The restore job: restore (the lock moves into the restored folder with the swap), keep or retake the
    lock, reopen the folder — with the keys its key file names: ``backup_key`` (an encrypted backup's) once
    restored, ``key`` (the folder's own) when the restore failed. Failures are handed back, to be told after the
    folder is open again."""
    from secondopinion_desktop.core.backup import restore_backup_with_details
    from secondopinion_desktop.core.crypto.keys import read_keyring
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.errors import DataFolderError

    result: RestoreResult | None = None
    error: BaseException | None = None
    try:
        result = restore_backup_with_details(archive, data_dir, progress=control.progress,
                                             cancelled=control.cancelled, lock=lock, key=backup_key,
                                             current_key=key)
    except Exception as exc:  # noqa: BLE001 - told on the GUI thread after reopening
        error = exc
    if lock is not None:
        from secondopinion_desktop.core.lock import acquire_for_window, refusal

        held = lock if lock.locked else acquire_for_window(data_dir, wait=0.0)
        if held is None:
            return Outcome(result, error, None, DataFolderError(refusal(data_dir)[1]), None)
        lock = held
    try:
        ring = read_keyring(data_dir)
        opens = next((k for k in (backup_key, key) if ring is not None and k is not None and k.key_id == ring.key_id),
                     None)
        return Outcome(result, error, open_data_folder(data_dir, key=opens), None, lock)
    except Exception as exc:  # noqa: BLE001
        return Outcome(result, error, None, exc, lock)


def restore_from(
    parent: QWidget | None,
    folder: DataFolder,
    archive: Path | None = None,
    *,
    close_folder: Callable[[], None] | None = None,
    set_folder: Callable[[Any], None] | None = None,
    lock: FolderLock | None = None,
    set_lock: Callable[[Any], None] | None = None,
) -> RestoreRunner:
    """Restore…: a RestoreRunner wired to the window's ``close_folder`` / ``set_folder``, started."""
    runner = RestoreRunner(parent, folder, lock)
    if set_lock is not None:
        runner.relocked.connect(set_lock)
    if close_folder is not None:
        runner.closeRequested.connect(close_folder)
    if set_folder is not None:
        runner.reopened.connect(set_folder)
    runner.finished.connect(runner.deleteLater)
    runner.start(archive)
    return runner
