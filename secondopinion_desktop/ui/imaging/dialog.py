"""Import imaging…: choose a folder or CD, scan it in the background, preview what was found, then import.

Nothing is written before the user presses Import; the import itself is all or nothing (the core guarantees
it: a cancel or a failure leaves no record and no file behind). The scan and the import run through
``ui.ops.run_op``; a finished import or its removal is announced (``ui.events``) so every view reloads.

The parts: ``scan_view`` (the studies found: rows, model, tree), ``wording`` (what the dialog says),
``history`` (the import's undo step and "Remove this import"), ``export`` (Export images for the doctor…).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import announce
from secondopinion_desktop.ui.imaging import wording
from secondopinion_desktop.ui.imaging.export import export_images
from secondopinion_desktop.ui.imaging.history import ImportHistory
from secondopinion_desktop.ui.imaging.layout import ImportDialogLayout
from secondopinion_desktop.ui.imaging.scan_view import UID_ROLE
from secondopinion_desktop.ui.imaging.undo import import_changes
from secondopinion_desktop.ui.ops import Op, is_cancel, is_user_error, run_op, show_failure

if TYPE_CHECKING:
    from secondopinion_desktop.core.imaging.importer import ImportResult
    from secondopinion_desktop.core.imaging.plan import ImportPlan, StudyPlan
    from secondopinion_desktop.core.imaging.scan import ScanResult
    from secondopinion_desktop.ui.records.commands import RecordsContext

__all__ = ["UID_ROLE", "ImportImagingDialog", "export_images", "open_import_imaging"]

HOME = Path.home()
FOLDER_QUESTION = "Choose the CD or folder with the images"


def _readable(exc: BaseException) -> bool:
    return is_user_error(exc) or isinstance(exc, OSError)


class ImportImagingDialog(ImportDialogLayout):
    """Step 1: which folder; step 2: what is in it (nothing written yet); step 3: import the chosen studies."""

    imported = Signal(list)  # the ids of the records that received the images

    def __init__(
        self,
        folder: DataFolder,
        parent: QWidget | None = None,
        *,
        record_id: int | None = None,
        root: Path | str | None = None,
        undo_stack: QUndoStack | None = None,
        context: RecordsContext | None = None,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.record_id = record_id
        self.history = ImportHistory(folder, undo_stack, context, self)
        self.history.moved.connect(self._update_remove_button)
        self.root: Path | None = None
        self.plan: ImportPlan | None = None
        self.import_result: ImportResult | None = None
        self.imported_ids: list[int] = []
        self.last_job: Op | None = None  # the scan or the import, running or done
        self.confirm_box: QMessageBox | None = None
        self._working: str | None = None  # "scan" or "import" while a job runs
        self._close_code: int | None = None  # closing was asked while the import was stopping
        self.mismatch: list[str] = []
        self.setObjectName("importImagingDialog")
        self.setWindowTitle("Import imaging from a CD or folder")
        self.setAccessibleName("Import imaging")
        self._build(self._title_of(record_id) if record_id is not None else None)
        self.choose_button.clicked.connect(lambda: self.choose_folder())
        self.stop_scan_button.clicked.connect(lambda: self.stop_scan())
        self.studies.dataChanged.connect(self._update_buttons)
        self.select_all.clicked.connect(lambda: self.studies.check_all(True))
        self.select_none.clicked.connect(lambda: self.studies.check_all(False))
        self.remove_button.clicked.connect(lambda: self.remove_this_import())
        self.import_button.clicked.connect(lambda: self.start_import())
        self.close_button.clicked.connect(self.reject)
        self._show_plan(None)
        if root is not None:
            self.scan(Path(root))

    @property
    def scan_result(self) -> ScanResult | None:
        return self.plan.scan if self.plan is not None else None

    @property
    def progress_dialog(self) -> QProgressDialog | None:
        """The import's progress dialog while it runs."""
        op = self.last_job
        return op.dialog if op is not None and self._working == "import" else None

    def _title_of(self, record_id: int) -> str:
        from secondopinion_desktop.core.imaging.importer import record_title

        try:
            return record_title(self.folder, record_id)
        except SecondOpinionError:
            return f"record {record_id}"

    # --- step 1 and 2: which folder, what is in it ----------------------------------------------------------

    def choose_folder(self) -> Op | None:
        chosen = QFileDialog.getExistingDirectory(self, FOLDER_QUESTION, str(self.root or HOME))
        return self.scan(Path(chosen)) if chosen else None

    def _busy(self) -> bool:
        """Reading or importing right now (until the job's result has been shown)."""
        return self._working is not None

    def scan(self, root: Path) -> Op | None:
        """Read ``root`` in the background and plan the import against the data folder; nothing is written. The
        preview fills in when it ends."""
        from secondopinion_desktop.core.imaging.plan import scan_and_plan

        if self._busy():
            return None
        self.root = root
        folder = self.folder
        where = wording.escape(str(root))
        self.folder_label.setText(f"Reading <b>{where}</b>…")
        self._show_plan(None)
        self.status.setText("Reading the folder. Nothing is imported until you press Import.")
        self.scan_bar.setRange(0, 0)
        self.scan_box.show()
        self.choose_button.setEnabled(False)
        self._working = "scan"

        def finished() -> None:
            self._working = None
            self.scan_box.hide()
            self.choose_button.setEnabled(True)

        def succeeded(plan: ImportPlan) -> None:
            finished()
            self.folder_label.setText(f"Images from <b>{where}</b>")
            self._show_plan(plan)

        def failed(exc: BaseException) -> bool:
            finished()
            self.folder_label.setText(f"Could not read <b>{where}</b>.")
            if is_cancel(exc):
                self.status.setText("Stopped reading the folder. Nothing was imported.")
            elif _readable(exc):
                self.status.setText(f"The folder could not be read: {exc}")
            else:
                return False  # a bug: the crash dialog
            return True

        self.last_job = op = run_op(
            self, lambda control: scan_and_plan(folder, root, progress=control.progress,
                                                cancelled=control.cancelled),
            name="read imaging folder", writes=False, on_success=succeeded, on_failure=failed)
        assert op.job is not None
        op.job.progressed.connect(self._scan_progressed)  # the bar in the dialog, not a progress dialog
        return op

    def _scan_progressed(self, done: int, total: int) -> None:
        if self._working == "scan":
            self.scan_bar.setRange(0, max(total, 1))
            self.scan_bar.setValue(min(done, max(total, 1)))

    def stop_scan(self) -> None:
        if self._working == "scan" and self.last_job is not None:
            self.last_job.cancel()

    def _show_plan(self, plan: ImportPlan | None) -> None:
        from secondopinion_desktop.ui.imaging.scan_view import study_rows

        self.plan = plan
        self.studies.set_rows(study_rows(plan))
        self.problems.clear()
        self.mismatch = list(plan.warnings) if plan is not None else []
        banner = wording.warning_html(plan) if plan is not None else ""
        self.banner.setText(banner)
        self.banner.setVisible(bool(banner))
        if plan is None:
            self.counts.setText("")
            self._fit_problems()
            self._update_buttons()
            return
        self._add_problems(plan.scan.problems)
        self.counts.setText(wording.counts_text(plan))
        self.status.setText(wording.plan_status(plan))
        self._update_buttons()
        self.import_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _add_problems(self, problems: Any) -> None:
        for problem in problems:
            self.problems.addItem(wording.problem_text(problem))
        self._fit_problems()

    def _fit_problems(self) -> None:
        """The list of skipped files: as tall as its lines, at most four (it scrolls beyond)."""
        count = self.problems.count()
        self.problems_label.setVisible(bool(count))
        self.problems.setVisible(bool(count))
        if count:
            rows = min(count, 4)
            row = max(self.problems.sizeHintForRow(0), self.problems.fontMetrics().height())
            self.problems.setMaximumHeight(rows * row + 2 * self.problems.frameWidth() + 6)

    # --- choosing -----------------------------------------------------------------------------------------

    def _entry(self, uid: str) -> StudyPlan | None:
        if self.plan is None:
            return None
        return next((s for s in self.plan.studies if s.study_uid == uid), None)

    def set_study_checked(self, uid: str, checked: bool) -> None:
        self.studies.set_checked(uid, checked)

    def chosen_study_uids(self) -> list[str]:
        return self.studies.chosen_uids()

    def attaching(self) -> bool:
        return self.record_id is not None and self.attach.isChecked()

    def _update_buttons(self, *_args: object) -> None:
        has_studies = bool(self.studies.rowCount())
        chosen = len(self.chosen_study_uids())
        self.import_button.setEnabled(chosen > 0 and not self._busy() and not self.imported_ids)
        self.import_button.setText(f"&Import {plural(chosen, 'study', 'studies')}" if chosen else "&Import")
        for widget in (self.select_all, self.select_none, self.target_box):
            widget.setEnabled(has_studies and not self.imported_ids)

    # --- step 3: import -----------------------------------------------------------------------------------

    def _confirm_someone_else(self, uids: list[str]) -> bool:
        """Ask before importing studies whose patient is not the profile's; the safe answer (No) is the default."""
        others = [s for s in (self._entry(u) for u in uids) if s is not None and s.needs_confirmation]
        if self.plan is None or not others:
            return True
        question = wording.someone_else_question(self.plan, others)
        box = QMessageBox(QMessageBox.Icon.Warning, question.title, question.text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("confirmSomeoneElse")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(question.yes)
        box.button(QMessageBox.StandardButton.No).setText("&No, do not import")
        self.confirm_box = box
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            self.confirm_box = None
            box.deleteLater()

    def start_import(self) -> Op | None:
        from secondopinion_desktop.core.imaging.importer import import_imaging

        uids = self.chosen_study_uids()
        scan = self.scan_result
        if scan is None or not uids or self._busy() or self.root is None or self.imported_ids:
            return None
        if not self._confirm_someone_else(uids):
            self.status.setText("Nothing was imported. Untick the studies that are not yours, then press Import.")
            return None
        folder = self.folder
        record_id = self.record_id if self.attaching() else None
        study_uids = None if len(uids) == len(scan.studies) else list(uids)
        images = sum(e.new_images for e in (self._entry(u) for u in uids) if e is not None)

        def succeeded(result: ImportResult) -> None:
            self._working = None
            self.import_result = result
            self.imported_ids = list(result.record_ids)
            self._show_done(result)
            self.history.remember(result)
            if result.files_stored:
                self.remove_button.show()
                self._update_remove_button()
            self._update_buttons()
            announce(import_changes(result), self)
            self.imported.emit(list(self.imported_ids))

        def failed(exc: BaseException) -> bool:
            self._working = None
            self._update_buttons()
            if is_cancel(exc):
                self.status.setText("Import cancelled. Nothing was imported.")
                return True
            self.status.setText("The import failed. Nothing was imported.")
            if not _readable(exc):
                return False  # a bug: the crash dialog
            show_failure(self, SecondOpinionError(f"{exc}\n\nNothing was imported."), title="Import imaging",
                         name="import imaging")
            return True

        self.status.setText("Importing…")
        self._working = "import"
        self._update_buttons()
        self.last_job = op = run_op(
            self, lambda control: import_imaging(folder, scan, study_uids=study_uids, record_id=record_id,
                                                 progress=control.progress, cancelled=control.cancelled),
            name="import imaging", on_success=succeeded, on_failure=failed, on_done=self._closed_if_asked,
            label=f"Importing {plural(images, 'image')}…", title="Importing imaging", delay_ms=300)
        if op.dialog is not None:
            op.dialog.setAccessibleName("Import progress")
        return op

    def _update_remove_button(self) -> None:
        if self.import_result is None:
            return
        applied = self.history.applied()
        self.remove_button.setEnabled(self.history.can_remove())
        if not applied:
            self.remove_button.setText("Import removed")
            self.status.setText(wording.removed_text(self.history.can_redo()))
        elif self.remove_button.text() != "&Remove this import":  # brought back by Redo
            self.remove_button.setText("&Remove this import")
            self._show_done(self.import_result)

    def remove_this_import(self) -> None:
        """Remove this import: the same step as Undo in the main window (Redo brings it back)."""
        try:
            self.history.remove()
        except SecondOpinionError as exc:
            show_failure(self, exc, title="Import imaging", name="remove imaging import")

    def _show_done(self, result: ImportResult) -> None:
        if result.problems and not self.problems.findItems(wording.problem_text(result.problems[0]),
                                                            Qt.MatchFlag.MatchExactly):
            self._add_problems(result.problems)
        self.status.setText(wording.done_text(result, self.imported_ids, attaching=self.attaching(),
                                              title_of=self._title_of))
        self.close_button.setText("Close")
        self.close_button.setAccessibleName("Close")
        self.close_button.setDefault(True)
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- closing ------------------------------------------------------------------------------------------

    def done(self, code: int) -> None:  # Qt override: stop background work first
        op = self.last_job
        if op is not None and not op.done:
            op.cancel()  # the core leaves nothing behind when cancelled
            if self._working == "import":  # close once the import has put everything back (or finished)
                self._close_code = code
                return
        super().done(code)

    def _closed_if_asked(self) -> None:
        if self._close_code is not None:
            code, self._close_code = self._close_code, None
            super().done(code)


# --- opening the dialog --------------------------------------------------------------------------------------


def open_import_imaging(
    parent: QWidget | None,
    folder: DataFolder,
    record_id: int | None = None,
    root: Path | None = None,
    *,
    undo_stack: QUndoStack | None = None,
    context: RecordsContext | None = None,
) -> ImportImagingDialog | None:
    """Ask for the folder first (unless ``root`` is given), then show the preview dialog (window-modal).

    With ``undo_stack`` and ``context`` (the records tab) a finished import becomes one step of that history.
    """
    if root is None:
        chosen = QFileDialog.getExistingDirectory(parent, FOLDER_QUESTION, str(HOME))
        if not chosen:
            return None
        root = Path(chosen)
    dialog = ImportImagingDialog(folder, parent, record_id=record_id, root=root, undo_stack=undo_stack,
                                 context=context)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
    return dialog
