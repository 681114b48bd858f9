"""The files of records: attach (from a dialog or dropped on a row or the detail pane), open, save a copy,
remove, and files dropped on empty space that become new records.

Copies into the vault run off the GUI thread through ``ui.ops.run_op`` (a progress dialog with Cancel, all or
nothing); every change is announced (``Changes.ATTACHMENTS``) with the tab as its initiator.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QMessageBox, QPushButton

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.errors import SecondOpinionError, ValidationError, VaultError
from secondopinion_desktop.core.models import RecordStatus
from secondopinion_desktop.core.words import plural, size
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.jobs import Job
from secondopinion_desktop.ui.ops import Op, is_cancel, run_op
from secondopinion_desktop.ui.records.commands import AddedRecordsCommand

if TYPE_CHECKING:
    from secondopinion_desktop.ui.records.tab import RecordsTab

FILES_CHANGED = Changes.ATTACHMENTS | Changes.RECORDS  # a record's file count is part of its row


PLAIN_COPY_NOTICE_KEY = "security/plainCopyNoticeShown"

class AttachmentsController(QObject):
    """What the Records tab does with files; the buttons under the detail pane act on ``chosen()``."""

    def __init__(self, tab: RecordsTab) -> None:
        super().__init__(tab)
        self.tab = tab
        self._open_dir: Path | None = None
        self.reading: Op | None = None  # the files dropped, being read before their review
        self.open_button = QPushButton("&Open")
        self.open_button.setAccessibleName("Open the selected file with its usual program")
        self.open_button.clicked.connect(lambda: self.open_attachment(self.chosen()))
        self.save_copy_button = QPushButton("Save a cop&y…")
        self.save_copy_button.setAccessibleName("Save a copy of the selected file")
        self.save_copy_button.clicked.connect(lambda: self.save_attachment_copy(self.chosen()))
        self.remove_file_button = QPushButton("Remo&ve")
        self.remove_file_button.setAccessibleName("Remove the selected file from this record")
        self.remove_file_button.clicked.connect(lambda: self.remove_attachment(self.chosen()))
        self.buttons = QHBoxLayout()
        for button in (self.open_button, self.save_copy_button, self.remove_file_button):
            button.setToolTip(button.accessibleName())  # short labels leave the table room with large text
            self.buttons.addWidget(button)

    def chosen(self) -> svc.AttachmentData | None:
        """The file the buttons act on: the one selected in the pane, else the record's only or first file."""
        selected = self.tab.detail.selected_attachment()
        if selected is not None:
            return selected
        record = self.tab.current_record
        return record.attachments[0] if record and record.attachments else None

    def update_buttons(self) -> None:
        attachment = self.chosen() if self.tab.current_record else None
        for button in (self.open_button, self.save_copy_button, self.remove_file_button):
            button.setEnabled(attachment is not None)

    # --- attaching -----------------------------------------------------------------------------------------

    def attach_with_dialog(self) -> None:
        record = self.tab.current_record
        if record is None:
            return
        names, _ = QFileDialog.getOpenFileNames(self.tab, f"Attach files to “{record.title}”", str(Path.home()))
        if names:
            self.attach_files([(record.id, Path(n)) for n in names])

    def attach_files(self, pairs: list[tuple[int, Path]]) -> Job | None:
        """Copy files into the vault in the background, with a cancellable progress dialog; all or nothing."""
        folder = self.tab.folder
        if folder is None:
            return None
        good: list[tuple[int, Path]] = []
        problems: list[str] = []
        for record_id, path in pairs:
            try:
                svc.check_attachable(path)
            except ValidationError as exc:
                problems.append(str(exc))
            else:
                good.append((record_id, path))
        if problems:
            QMessageBox.warning(
                self.tab, "Some files cannot be attached",
                "\n".join(problems) + ("\n\nThe other files will be attached." if good else ""),
            )
        if not good:
            return None
        touched = sorted({record_id for record_id, _ in good})

        def finished() -> None:
            current = self.tab.current_record
            self.tab.refresh_rows(touched, select=current.id if current else touched[0])

        def failed(exc: BaseException) -> bool:
            if is_cancel(exc):
                self.tab.notify("Cancelled: nothing was attached.")
                return True
            if isinstance(exc, SecondOpinionError):
                self.tab.show_error(f"{exc}\n\nNothing was attached.")
                return True
            return False

        op = run_op(
            self.tab, lambda control: svc.attach_files(folder, good, progress=control.progress,
                                                       cancelled=control.cancelled),
            name="attach files", changes=FILES_CHANGED, on_failure=failed, on_done=finished,
            label=f"Copying {plural(len(good), 'file')} into your data folder…", title="Attaching files",
        )
        return self.tab.track(op)

    def files_dropped_on_detail(self, paths: list[Path]) -> None:
        record = self.tab.current_record
        portal, paths = self._portal_downloads(paths)
        if record is not None and paths:
            self.attach_files([(record.id, p) for p in paths])
        self._import_portal(portal)

    def files_dropped(self, paths: list[Path], record_id: int | None) -> None:
        if self.tab.folder is None:
            return
        portal, paths = self._portal_downloads(paths)
        if paths and record_id is not None:
            self.attach_files([(record_id, p) for p in paths])
        elif paths:
            self.import_files(paths)
        self._import_portal(portal)

    @staticmethod
    def _portal_downloads(paths: list[Path]) -> tuple[list[Path], list[Path]]:
        """(what looks like a portal download, everything else): a download dropped anywhere on the tab goes to
        the import dialog (``portal_import``), whatever it was dropped on; other files are attached or become
        records as before."""
        from secondopinion_desktop.ui.records.portal_import import portal_download

        portal = [p for p in paths if portal_download(p)]
        return portal, [p for p in paths if p not in portal]

    def _import_portal(self, portal: list[Path]) -> None:
        if not portal:
            return
        note = ""
        if len(portal) > 1:
            others = plural(len(portal) - 1, "other download")
            note = (f"Only {portal[0].name} is read here ({others} dropped with it: drop them one at a time, or "
                    "the folder that holds them).")
        self.tab.import_portal(portal[0], note=note)

    def import_files(self, paths: list[Path]) -> Job | None:
        """One new record per file, each with its file attached: the files are read first (progress, Cancel),
        then a review lists the kind, title and date each one suggests (``DropImportDialog``, every suggestion
        marked) for the patient to confirm; every record and file in one transaction
        (``create_records_with_files``, as the command line adds a record), one undo step."""
        from secondopinion_desktop.ui.records.from_file import start_reading

        folder = self.tab.folder
        if folder is None:
            return None
        files = [p for p in paths if p.is_file()]
        skipped = [p for p in paths if not p.is_file()]
        if skipped:
            self.tab.show_error("These cannot become records (only files can):\n"
                                + "\n".join(str(p) for p in skipped))
        if not files:
            return None

        def cancelled(exc: BaseException) -> bool:
            if is_cancel(exc):
                self.tab.notify("Cancelled: no record was added.")
                return True
            return False

        self.reading = start_reading(self.tab, folder, files, lambda hints: self._review(files, hints),
                                     on_failure=cancelled, ocr=False)
        return self.reading.job

    def _review(self, files: list[Path], hints: list[Any]) -> Job | None:
        from secondopinion_desktop.ui.records.drop import DropImportDialog

        folder = self.tab.folder
        if folder is None:
            return None
        from secondopinion_desktop.ui.records.from_file import remove_copies

        dialog = DropImportDialog(files, parent=self.tab, hints=hints, folder=folder)
        accepted = dialog.exec() == DropImportDialog.DialogCode.Accepted
        chosen = dialog.records()
        copies = dialog.take_copies()
        dialog.deleteLater()
        if not accepted or not chosen:
            remove_copies(copies)
            return None
        items = [svc.NewRecord(kind, title, paths, {"status": RecordStatus.RECEIVED, "date_of_service": day})
                 for paths, kind, title, day in chosen]

        def failed(exc: BaseException) -> bool:
            if is_cancel(exc):
                self.tab.notify("Cancelled: no record was added.")
                return True
            if isinstance(exc, SecondOpinionError):
                self.tab.show_error(f"{exc}\n\nNo record was added.")
                return True
            return False

        op = run_op(
            self.tab, lambda control: svc.create_records_with_files(folder, items, progress=control.progress,
                                                                    cancelled=control.cancelled),
            name="add records from files", changes=FILES_CHANGED, on_failure=failed,  # said once, here
            on_success=lambda made: self.tab.undo_stack.push(AddedRecordsCommand(self.tab, made)),
            cleanup=lambda: remove_copies(copies),
            label=f"Adding {plural(len(items), 'record')} from files…", title="Adding records",
        )
        return self.tab.track(op)

    # --- one file ------------------------------------------------------------------------------------------

    def _vault_file(self, attachment: svc.AttachmentData) -> Path | None:
        assert self.tab.folder is not None
        path = svc.attachment_path(self.tab.folder, attachment)
        if path is None:
            self.tab.show_error(
                f"The file {attachment.original_name} is missing from the data folder. The record is still "
                "here; attach the file again to restore it."
            )
        return path

    def open_attachment(self, attachment: svc.AttachmentData | None) -> Path | None:
        """Open with the system's viewer: a private copy under the file's own name (so the viewer knows it)."""
        folder = self.tab.folder
        if attachment is None or folder is None or self._vault_file(attachment) is None:
            return None
        name = attachment.original_name
        try:
            if self._open_dir is None or not self._open_dir.is_dir():  # (a restore replaces the data folder)
                from secondopinion_desktop.core.scratch import scratch_dir

                self._open_dir = scratch_dir(folder.path, "open-")
            target = svc.viewing_copy(folder, attachment, self._open_dir)
        except VaultError as exc:
            self.tab.show_error(f"Cannot open {name}: {exc}")
            return None
        except OSError as exc:
            self.tab.show_error(f"Cannot prepare {name} for viewing: {exc.strerror or exc}.")
            return None
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            self.tab.show_error(f"No program on this computer could open {name}.")
        elif folder.encrypted:
            self._say_plain_copies_once()
        return target

    def _say_plain_copies_once(self) -> None:
        """The first time a file of an encrypted folder is opened: where its readable copy is, and when it goes."""
        from PySide6.QtCore import QSettings

        settings = QSettings()
        if settings.value(PLAIN_COPY_NOTICE_KEY, False, type=bool):
            return
        settings.setValue(PLAIN_COPY_NOTICE_KEY, True)
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, "A readable copy",
                          "Your records are encrypted, so the other program is given a readable copy of this file, "
                          "kept in a private folder only your account can open. The copies go when you lock "
                          "(Ctrl+L) or close Second Opinion, and anything left after a crash goes the next time it "
                          "opens.", QMessageBox.StandardButton.Ok, self.tab)
        box.setObjectName("plainCopyNotice")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, blocks nothing: the file is already opening

    def save_attachment_copy(self, attachment: svc.AttachmentData | None, target: Path | None = None) -> Job | None:
        """Save a copy as…: the stored file, checked against its SHA-256 while it is copied, written beside
        ``target`` and renamed into place. A place inside the data folder or a device is refused before
        anything is written (the rule packets and backups follow)."""
        from secondopinion_desktop.core.outputs import check_output

        folder = self.tab.folder
        if attachment is None or folder is None or self._vault_file(attachment) is None:
            return None
        if target is None:
            from secondopinion_desktop.ui.widgets.forms import export_title

            name, _ = QFileDialog.getSaveFileName(
                self.tab, export_title("Save a copy as", folder),
                str(Path.home() / svc.safe_file_name(attachment.original_name))
            )
            if not name:
                return None
            target = Path(name)
        try:  # never over the database, a stored file or a device
            out = check_output(target, folder.path, what="the copy")
        except SecondOpinionError as exc:
            self.tab.show_error(str(exc))
            return None
        shown = attachment.original_name

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, OSError):
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    self.tab.show_error(f"The disk is full: the copy could not be saved to {out.parent}.")
                else:
                    self.tab.show_error(f"Cannot save the copy to {out}: {exc.strerror or exc}.")
                return True
            if isinstance(exc, SecondOpinionError):
                self.tab.show_error(f"{exc} Nothing was saved.")
                return True
            return False

        op = run_op(self.tab, lambda _control: svc.save_attachment_copy(folder, attachment, out),
                    name="save a copy of a file", writes=False, on_failure=failed,
                    on_success=lambda _path: self.tab.notify(f"Saved a copy of {shown} to {out}."))
        return self.tab.track(op)

    def remove_attachment(self, attachment: svc.AttachmentData | None) -> None:
        folder = self.tab.folder
        if attachment is None or folder is None:
            return
        answer = QMessageBox.question(
            self.tab, "Remove file",
            f"Remove {attachment.original_name} ({size(attachment.size)}) from this record?\n\n"
            "This cannot be undone; the file on your disk where it came from is not touched.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            svc.remove_attachment(folder, attachment.id)
        except SecondOpinionError as exc:
            self.tab.show_error(str(exc))
        self.tab.records_changed([attachment.record_id], select=attachment.record_id, changes=FILES_CHANGED)

    def shutdown(self) -> None:
        """Remove the private copies made for viewing."""
        if self._open_dir is not None:
            shutil.rmtree(self._open_dir, ignore_errors=True)
            self._open_dir = None
