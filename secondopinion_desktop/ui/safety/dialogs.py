"""File → Back up…, File → Restore…, Help → Check data…: thin views around ``core.backup`` and ``core.check``.

All the work runs off the GUI thread through ``ui.jobs``; the results come back as messages. Messages are
shown with ``QMessageBox.open()`` (window-modal, not blocking), and the last one is kept on the object that
showed it (``job.message`` / ``runner.message`` / ``dialog.message``) so tests and callers can read it.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Qt, QThreadPool, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.jobs import Job, JobControl, start_job

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

LAST_BACKUP_DIR_KEY = "backups/lastDir"
PROGRESS_STEPS = 1000


# --- small shared pieces ---------------------------------------------------------------------------------------


def default_backup_name(today: dt.date | None = None, name: str = "") -> str:
    """"secondopinion-backup-alex-sample-2024-03-09.zip": whose records and when, safe in any file system."""
    from secondopinion_desktop.core.people import file_name_part

    part = file_name_part(name)
    return f"secondopinion-backup-{part + '-' if part else ''}{(today or dt.date.today()).isoformat()}.zip"


def _person_name(folder: DataFolder) -> str:
    from secondopinion_desktop.core.people import person_name

    return person_name(folder)


def _last_dir() -> Path:
    value = QSettings().value(LAST_BACKUP_DIR_KEY, "")
    path = Path(str(value)) if value else Path.home()
    return path if path.is_dir() else Path.home()


def _remember_dir(path: Path) -> None:
    QSettings().setValue(LAST_BACKUP_DIR_KEY, str(path.parent))


def show_message(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    """A window-modal message that does not block the caller; deleted when closed."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("safetyMessage")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def confirm(parent: QWidget | None, title: str, text: str, yes_text: str) -> bool:
    """Ask before doing something big; True when the user agreed. (Tests replace this.)"""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("safetyConfirm")
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


def _progress_dialog(parent: QWidget | None, title: str, label: str, cancellable: bool = True) -> QProgressDialog:
    progress = QProgressDialog(label, "Cancel" if cancellable else "", 0, PROGRESS_STEPS, parent)
    progress.setObjectName("safetyProgress")
    progress.setWindowTitle(title)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    if not cancellable:
        progress.setCancelButton(None)
    progress.setValue(0)
    return progress


def _reporter(control: JobControl) -> Callable[..., None]:
    """A core ``progress`` callback: (done, total[, what]) → the job's progress in steps of 1/1000."""

    def report(done: int, total: int, *_rest: Any) -> None:
        control.progress(int(done) * PROGRESS_STEPS // max(int(total), 1), PROGRESS_STEPS)

    return report


def _close_progress(progress: QProgressDialog) -> None:
    progress.reset()
    progress.hide()
    progress.deleteLater()


def _reason(exc: BaseException) -> str:
    from secondopinion_desktop.core.db import explain_storage_error

    explained = explain_storage_error(exc) if isinstance(exc, Exception) else None
    if explained is not None:  # a full or read-only disk: the one sentence the command line gives too
        return str(explained)
    if isinstance(exc, OSError) and not _is_core_error(exc):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or exc}{where}."
    return str(exc)


def _is_core_error(exc: BaseException) -> bool:
    from secondopinion_desktop.core.errors import SecondOpinionError

    return isinstance(exc, SecondOpinionError)


def _expected_failure(exc: BaseException) -> bool:
    """Failures that become a message; anything else is a bug and goes to the crash dialog."""
    from secondopinion_desktop.core.backup import BackupError

    return isinstance(exc, BackupError | OSError) or _is_core_error(exc)


def _wait_for(job: Job | None) -> None:
    if job is not None and not job.done:
        job.cancel()
        QThreadPool.globalInstance().waitForDone(60_000)


# --- Back up… --------------------------------------------------------------------------------------------------


def choose_backup_target(parent: QWidget | None, name: str = "") -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "Back up your records", str(_last_dir() / default_backup_name(name=name)), "Backup archives (*.zip)"
    )
    if not chosen:
        return None
    target = Path(chosen)
    if target.suffix.lower() != ".zip":
        target = target.with_name(target.name + ".zip")
    return target


def backup_now(parent: QWidget | None, folder: DataFolder, target: Path | None = None) -> Job | None:
    """Back up…: write one archive of the whole data folder, in the background, with a Cancel button.

    ``target`` skips the file dialog. Returns the running job (None when the user cancelled the file dialog).
    When it ends, ``job.outcome`` is the archive's Path or the exception, and ``job.message`` the message shown.
    A failed or cancelled backup leaves nothing at ``target`` (the core writes to a temporary name first).
    """
    from secondopinion_desktop.core.progress import Cancelled
    from secondopinion_desktop.core.backup import create_backup

    if target is None:
        target = choose_backup_target(parent, _person_name(folder))
        if target is None:
            return None
    from secondopinion_desktop.core.errors import SecondOpinionError
    from secondopinion_desktop.core.outputs import check_output

    try:  # never over the database, a stored file or a device
        target = check_output(target, folder.path, what="the backup")
    except SecondOpinionError as exc:
        show_message(parent, QMessageBox.Icon.Warning, "Backup failed", f"{exc}\n\nNothing was written.")
        return None
    _remember_dir(target)
    progress = _progress_dialog(parent, "Back up", f"Backing up your records to {target.name}…")

    def work(control: JobControl) -> Path:
        return create_backup(folder, target, progress=_reporter(control), cancelled=control.cancelled)

    def succeeded(path: Path) -> None:
        _close_progress(progress)
        job.outcome = Path(path)
        job.message = show_message(
            parent, QMessageBox.Icon.Information, "Backup saved",
            f"Your records were backed up to:\n{path}\n\nKeep a copy somewhere other than this computer.",
        )

    def failed(exc: BaseException) -> None:
        _close_progress(progress)
        job.outcome = exc
        if isinstance(exc, Cancelled):
            job.message = show_message(parent, QMessageBox.Icon.Information, "Backup cancelled",
                                       "The backup was cancelled. Nothing was written.")
        elif _expected_failure(exc):
            job.message = show_message(parent, QMessageBox.Icon.Warning, "Backup failed",
                                       f"The backup could not be written: {_reason(exc)}\n\n"
                                       "Nothing was written; your records are unchanged.")
        else:
            raise exc

    job = start_job(work, succeeded, failed, lambda done, _total: progress.setValue(int(done)))
    job.outcome = None
    job.message = None
    progress.canceled.connect(job.cancel)
    return job


# --- Restore… --------------------------------------------------------------------------------------------------


def describe_manifest(manifest: Any) -> str:
    """What an archive holds, in words: how many files, the database schema, when it was made, the size."""
    files = getattr(manifest, "files", ())
    attached = getattr(manifest, "vault_files", len(files))
    parts = [f"{plural(attached, 'attached file')} and the database"]
    created = getattr(manifest, "created_at", None)
    if created:
        parts.append(f"made {_local_time(created)}")
    size = getattr(manifest, "total_size", None)
    if isinstance(size, int) and size > 0:
        parts.append(_human_size(size))
    return f"{parts[0]} ({', '.join(parts[1:])})" if len(parts) > 1 else parts[0]


def _whose(summary: Any) -> str:
    """ "Alex Sample's records: 26 records, last changed 2024-03-09 14:02" """
    who = f"{summary.name}'s records" if summary.name else "records with no name in the profile"
    when = f", last changed {_local_time(summary.last_changed)}" if summary.last_changed else ""
    return f"{who}: {plural(summary.records, 'record')}{when}"


def restore_question(archive_name: str, manifest: Any, backup: Any, current: Any, data_dir: Path) -> str:
    """What a restore would do, in words: whose records the backup holds, what it replaces, and any warning."""
    from secondopinion_desktop.core.people import same_name

    held = f"{_whose(backup)} ({describe_manifest(manifest)})" if backup else describe_manifest(manifest)
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
                f"{_local_time(backup.last_changed)} would be undone (they stay in the backup kept first)."
            )
    return text + "".join(f"\n\nWarning: {w}" for w in warnings)


def _local_time(stamp: str | dt.datetime) -> str:
    try:
        when = stamp if isinstance(stamp, dt.datetime) else dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M")


def _first(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if callable(value):
            value = value()
        if value is not None:
            return value
    return None


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


def choose_archive(parent: QWidget | None) -> Path | None:
    chosen, _ = QFileDialog.getOpenFileName(
        parent, "Restore from a backup", str(_last_dir()), "Backup archives (*.zip);;All files (*)"
    )
    return Path(chosen) if chosen else None


class RestoreRunner(QObject):
    """Restore…: verify the archive, confirm, then replace the data folder's contents and reopen it.

    The owner (MainWindow) connects:
      * ``closeRequested`` → close the current DataFolder *synchronously* (shut the tabs down, ``folder.close()``,
        ``self.folder = None``). It is emitted on the GUI thread right before the restore starts; nothing may
        use the old DataFolder afterwards.
      * ``reopened(DataFolder)`` → ``set_folder(folder)``. Emitted after the restore whether it succeeded or
        not (a failed restore leaves the old data in place, and that is reopened).
      * ``restored(Path)`` → optional; the restore succeeded (the Path is what ``restore_backup`` returned).
      * ``failed(str)`` → optional; the message already shown to the user.
      * ``relocked(FolderLock | None)`` → keep this lock object from now on (the restore replaces the data folder,
        and the single-instance lock file with it, so the runner locks the new folder; pass the window's lock as
        ``lock``). None means the folder could not be locked again; it is then not reopened.
      * ``finished()`` → the runner is done (after a refusal, a cancel, a failure or a success).
    """

    verified = Signal(object)
    relocked = Signal(object)
    closeRequested = Signal()
    reopened = Signal(object)
    restored = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, parent: QWidget | None, folder: DataFolder, lock: Any = None) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.data_dir = Path(folder.path)
        self.lock = lock
        self.archive: Path | None = None
        self.manifest: Any = None
        self.job: Job | None = None
        self.message: QMessageBox | None = None
        self.done = False
        self._new_lock: Any = lock
        self.backup_summary: Any = None  # core.people.FolderSummary of the archive, once verified
        self.current_summary: Any = None  # … and of the data it would replace

    def _finish(self) -> None:
        self.done = True
        self.finished.emit()

    def _show(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        self.message = show_message(self.parent_widget, icon, title, text)

    def start(self, archive: Path | None = None) -> Job | None:
        """Choose the archive (unless given) and verify it in the background; the rest follows by itself."""
        from secondopinion_desktop.core.backup import summarize_backup, verify_backup
        from secondopinion_desktop.core.people import summarize_folder

        if archive is None:
            archive = choose_archive(self.parent_widget)
            if archive is None:
                self._finish()
                return None
        self.archive = Path(archive)
        _remember_dir(self.archive)
        progress = _progress_dialog(self.parent_widget, "Restore", f"Checking {self.archive.name}…",
                                    cancellable=False)
        progress.setRange(0, 0)
        chosen = self.archive

        def succeeded(found: tuple[Any, Any, Any]) -> None:
            _close_progress(progress)
            manifest, self.backup_summary, self.current_summary = found
            self.manifest = manifest
            self.verified.emit(manifest)
            self._confirm_and_restore()

        def failed(exc: BaseException) -> None:
            _close_progress(progress)
            if not _expected_failure(exc):
                self._finish()
                raise exc
            message = f"{chosen.name} cannot be restored: {_reason(exc)}\n\nNothing was changed."
            self._show(QMessageBox.Icon.Warning, "Cannot restore", message)
            self.failed.emit(message)
            self._finish()

        data_dir = self.data_dir

        def work(_control: JobControl) -> tuple[Any, Any, Any]:
            manifest = verify_backup(chosen)
            return manifest, summarize_backup(chosen), summarize_folder(data_dir)

        self.job = start_job(work, succeeded, failed, parent=self)
        return self.job

    def _confirm_and_restore(self) -> None:
        assert self.archive is not None
        text = restore_question(self.archive.name, self.manifest, self.backup_summary, self.current_summary,
                                self.data_dir)
        if not confirm(self.parent_widget, "Restore from a backup", text, "&Restore"):
            self._finish()
            return
        self.restore()

    def restore(self) -> Job:
        """Close the folder (via ``closeRequested``), restore, reopen. Call directly to skip the confirmation."""
        from secondopinion_desktop.core.backup import restore_backup_with_details
        from secondopinion_desktop.core.progress import Cancelled
        from secondopinion_desktop.core.db import open_data_folder
        from secondopinion_desktop.core.errors import DataFolderError

        assert self.archive is not None
        archive, data_dir = self.archive, self.data_dir
        self.closeRequested.emit()
        progress = _progress_dialog(self.parent_widget, "Restore", f"Restoring {archive.name}…")

        lock = self.lock

        def work(control: JobControl) -> tuple[Any, BaseException | None, Any, BaseException | None]:
            result: Any = None
            error: BaseException | None = None
            try:
                result = restore_backup_with_details(  # the lock moves into the restored folder with the swap
                    archive, data_dir, progress=_reporter(control), cancelled=control.cancelled, lock=lock
                )
            except Exception as exc:  # noqa: BLE001 - reported on the GUI thread after reopening
                error = exc
            if lock is not None:
                from secondopinion_desktop.core.lock import acquire_for_window, refusal

                # the restore moves the window's lock into the restored folder; one it could not keep is taken again
                new_lock = lock if lock.locked else acquire_for_window(data_dir, wait=0.0)
                self._new_lock = new_lock
                if new_lock is None:
                    return result, error, None, DataFolderError(refusal(data_dir)[1])
            try:
                return result, error, open_data_folder(data_dir), None
            except Exception as exc:  # noqa: BLE001
                return result, error, None, exc

        def succeeded(outcome: tuple[Any, BaseException | None, Any, BaseException | None]) -> None:
            _close_progress(progress)
            result, error, reopened, reopen_error = outcome
            if self.lock is not None and self._new_lock is not self.lock:
                self.lock = self._new_lock
                self.relocked.emit(self._new_lock)
            if reopened is not None:
                self.reopened.emit(reopened)
            try:
                if error is None and reopen_error is None:
                    kept = getattr(result, "kept", None)
                    self._show(QMessageBox.Icon.Information, "Restored",
                               f"Your records were restored from {archive.name}."
                               + (f"\n\nYour previous data was kept as a backup:\n{kept}" if kept else ""))
                    self.restored.emit(getattr(result, "data_dir", data_dir))
                    return
                if error is not None and not _expected_failure(error):
                    raise error
                if isinstance(error, Cancelled):
                    message = "The restore was cancelled. Your data was not changed."
                elif error is not None:
                    message = f"The backup could not be restored: {_reason(error)}\n\nYour data was not changed."
                else:
                    message = f"The data folder could not be opened again: {_reason(reopen_error)}"  # type: ignore[arg-type]
                if reopen_error is not None and error is not None:
                    message += f"\n\nThe data folder could not be opened again: {_reason(reopen_error)}"
                print(f"secondopinion: restore: {message.splitlines()[0]}", file=sys.stderr)
                self._show(QMessageBox.Icon.Warning, "Restore", message)
                self.failed.emit(message)
            finally:
                self._finish()

        def failed(exc: BaseException) -> None:  # only a bug in work() itself gets here
            _close_progress(progress)
            self._finish()
            raise exc

        self.job = start_job(work, succeeded, failed, lambda done, _total: progress.setValue(int(done)), parent=self)
        progress.canceled.connect(self.job.cancel)
        return self.job


def restore_from(
    parent: QWidget | None,
    folder: DataFolder,
    archive: Path | None = None,
    *,
    close_folder: Callable[[], None] | None = None,
    set_folder: Callable[[Any], None] | None = None,
    lock: Any = None,
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


# --- Check data… -----------------------------------------------------------------------------------------------


def _repairable(report: Any) -> bool:
    value = _first(report, "repairable", "can_repair")
    if isinstance(value, bool):
        return value
    for name in ("orphans", "orphaned_files", "orphan_files", "temp_files", "leftover_temp_files"):
        if _first(report, name):
            return True
    return False


def _report_lines(result: Any) -> list[str]:
    if result is None:
        return []
    lines = _first(result, "lines")
    if lines is None:
        lines = result if isinstance(result, list | tuple) else [str(result)]
    return [str(line).replace("'check --repair'", "Repair") for line in lines]


class CheckDialog(QDialog):
    """Help → Check data…: the integrity check in the background, its report, and a Repair button.

    Repair is enabled only when the check found something provably orphaned (vault files nothing refers to,
    temporary files left by an interrupted copy); it backs up first (the core does) and removes only those.
    """

    def __init__(self, parent: QWidget | None, folder: DataFolder) -> None:
        super().__init__(parent)
        self.folder = folder
        self.setObjectName("checkDialog")
        self.setWindowTitle("Check your data")
        self.report: Any = None
        self.repair_result: Any = None
        self.job: Job | None = None
        self.message: QMessageBox | None = None

        self.status = QLabel()
        self.status.setObjectName("checkStatus")
        self.status.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setObjectName("checkReport")
        self.details.setAccessibleName("Check report")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.details.setFont(mono)
        self.again_button = QPushButton("Check &again")
        self.again_button.setObjectName("checkAgainButton")
        self.again_button.clicked.connect(self.check)
        self.repair_button = QPushButton("&Repair…")
        self.repair_button.setObjectName("repairButton")
        self.repair_button.setToolTip("Removes only files nothing refers to, after backing up your data first.")
        self.repair_button.clicked.connect(self.repair)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("closeButton")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.again_button)
        buttons.addWidget(self.repair_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)
        self.resize(720, 440)
        self.check()

    def busy(self) -> bool:
        return self.job is not None and not self.job.done

    def _set_busy(self, text: str) -> None:
        self.status.setText(text)
        self.again_button.setEnabled(False)
        self.repair_button.setEnabled(False)

    def check(self) -> Job:
        """Run the check in the background; the report replaces what is shown."""
        from secondopinion_desktop.core.check import check_data

        if self.busy():
            assert self.job is not None
            return self.job
        folder = self.folder
        self._set_busy("Checking the database and every stored file…")

        def succeeded(report: Any) -> None:
            self.report = report
            self._show_report(report)

        self.job = start_job(lambda _control: check_data(folder), succeeded, self._failed, parent=self)
        return self.job

    def _show_report(self, report: Any) -> None:
        self.details.setPlainText("\n".join(_report_lines(report)))
        repairable = _repairable(report)
        if report.ok:
            self.status.setText("<b>No problems found.</b> The database and every stored file are intact.")
        elif repairable:
            self.status.setText("<b>Problems found</b> — see below. Repair can remove the leftover files "
                                "listed; your records are not touched.")
        else:
            self.status.setText("<b>Problems found</b> — see below. Repair cannot fix these; restore a "
                                "backup (File → Restore…) or re-attach the missing files.")
        self.again_button.setEnabled(True)
        self.repair_button.setEnabled(repairable)

    def _failed(self, exc: BaseException) -> None:
        self.again_button.setEnabled(True)
        self.repair_button.setEnabled(False)
        if not _expected_failure(exc):
            self.status.setText("The check stopped with an unexpected error.")
            raise exc
        self.status.setText(f"The check could not run: {_reason(exc)}")

    def repair(self) -> Job | None:
        """Ask, then remove what the check found orphaned (after a backup) and check again."""
        from secondopinion_desktop.core.check import repair

        if self.busy() or self.report is None or not _repairable(self.report):
            return None
        if not confirm(self, "Repair", "Repair removes only the leftover files listed in the report — files "
                       "none of your records refers to. A backup of your data is saved first.\n\nRepair now?",
                       "&Repair"):
            return None
        folder, report = self.folder, self.report
        self._set_busy("Backing up, then removing the leftover files…")

        def succeeded(result: Any) -> None:
            self.repair_result = result
            done = _report_lines(result) or ["Nothing needed removing."]
            self.message = show_message(self, QMessageBox.Icon.Information, "Repair done", "\n".join(done))
            self.job = None  # this job is ending: the check below must start, not wait for it
            self.report = None
            self.check()  # show the state after the repair

        self.job = start_job(lambda _control: repair(folder, report), succeeded, self._failed, parent=self)
        return self.job

    def done(self, code: int) -> None:  # noqa: D401 - Qt override: never leave a check running behind
        _wait_for(self.job)
        super().done(code)
