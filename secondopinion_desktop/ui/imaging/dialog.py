"""Import imaging…: choose a folder or CD, scan it in the background, preview what was found, then import.

Nothing is written before the user presses Import; the import itself is all or nothing (the core guarantees
it: a cancel or a failure leaves no record and no file behind). ``export_images`` writes one imaging record's
study to a folder the doctor can read (DICOM files plus a DICOMDIR).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QThreadPool, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont, QPalette, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.jobs import Job, start_job
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

if TYPE_CHECKING:
    from secondopinion_desktop.core.imaging.importer import ImportResult
    from secondopinion_desktop.core.imaging.plan import ImportPlan, StudyPlan
    from secondopinion_desktop.core.imaging.scan import ScanResult
    from secondopinion_desktop.ui.imaging.undo import ImportImagingCommand
    from secondopinion_desktop.ui.records.commands import RecordsContext

UID_ROLE = Qt.ItemDataRole.UserRole
BANNER_STYLE = (
    "QLabel { background: #fff3cd; color: #5c4400; border: 1px solid #e0b84c; border-radius: 4px; padding: 8px; }"
)
SOMEONE_ELSE_COLOUR = "#a61b1b"
HOME = Path.home()
# tree columns
STUDY, PATIENT, DATE, MODALITY, BODY_PART, IMAGES = range(6)


def _is_cancel(exc: BaseException) -> bool:
    from secondopinion_desktop.core.progress import Cancelled

    return isinstance(exc, Cancelled)


def _is_user_error(exc: BaseException) -> bool:
    return isinstance(exc, SecondOpinionError | OSError)


class ImportImagingDialog(QDialog):
    """Step 1: which folder; step 2: what is in it (nothing written yet); step 3: import the chosen studies."""

    imported = Signal(list)  # the ids of the records that received the images

    NEW_RECORDS = 0
    ATTACH = 1

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
        self.undo_stack = undo_stack if context is not None else None
        self.context = context
        self.root: Path | None = None
        self.scan_result: ScanResult | None = None
        self.plan: ImportPlan | None = None
        self.import_result: ImportResult | None = None
        self.command: ImportImagingCommand | None = None  # the import's step in the undo history
        self.removed_without_history = False
        self.imported_ids: list[int] = []
        self.last_job: Job | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._working: str | None = None  # "scan" or "import" while a job runs
        self.mismatch: list[str] = []
        self._study_items: dict[str, QTreeWidgetItem] = {}
        self.setObjectName("importImagingDialog")
        self.setWindowTitle("Import imaging from a CD or folder")
        self.setAccessibleName("Import imaging")

        # step 1: the folder
        self.folder_label = QLabel("Choose the CD, USB stick or folder that holds the images.")
        self.folder_label.setObjectName("imagingFolder")
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = QPushButton("&Choose folder…")
        self.choose_button.setObjectName("chooseFolderButton")
        self.choose_button.setAccessibleName("Choose the folder or CD to import from")
        self.choose_button.clicked.connect(self.choose_folder)
        top = QHBoxLayout()
        top.addWidget(self.folder_label, 1)
        top.addWidget(self.choose_button)

        # step 2: scanning, then the preview
        self.scan_bar = QProgressBar()
        self.scan_bar.setObjectName("scanProgress")
        self.scan_bar.setAccessibleName("Reading the folder")
        self.scan_bar.setTextVisible(True)
        self.scan_bar.setFormat("Reading files… %v of %m")
        self.stop_scan_button = QPushButton("&Stop reading")
        self.stop_scan_button.setAccessibleName("Stop reading the folder")
        self.stop_scan_button.clicked.connect(self.stop_scan)
        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan_bar, 1)
        scan_row.addWidget(self.stop_scan_button)
        self.scan_box = QWidget()
        self.scan_box.setLayout(scan_row)
        scan_row.setContentsMargins(0, 0, 0, 0)
        self.scan_box.hide()

        self.banner = QLabel()
        self.banner.setObjectName("imagingWarning")
        self.banner.setAccessibleName("Warning about the patient on the images")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()

        self.counts = QLabel()
        self.counts.setObjectName("imagingCounts")
        self.counts.setAccessibleName("What was found")
        self.counts.setWordWrap(True)

        self.tree = QTreeWidget()
        self.tree.setObjectName("imagingStudies")
        self.tree.setAccessibleName("Studies and series found, with the patient of each; tick the studies to import")
        self.tree.setHeaderLabels(["Study / series", "Patient", "Date", "Modality", "Body part", "Images"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(STUDY, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        samples = {PATIENT: "Alex Sample, born 1970-01-01", DATE: "2024-03-05",
                   MODALITY: "CT, MR", BODY_PART: "Abdomen", IMAGES: "12,345"}
        for column, sample in samples.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 2 * metrics.averageCharWidth())
        self.tree.setMinimumHeight(metrics.height() * 7)
        self.tree.itemChanged.connect(self._update_buttons)
        self.select_all = QPushButton("&All")
        self.select_all.setAccessibleName("Tick all studies of your own that are not imported yet")
        self.select_all.clicked.connect(lambda: self._check_all(True))
        self.select_none = QPushButton("&None")
        self.select_none.setAccessibleName("Untick all studies")
        self.select_none.clicked.connect(lambda: self._check_all(False))
        studies_heading = QHBoxLayout()
        studies_heading.addWidget(QLabel("<b>Studies found</b> — tick the ones to import"), 1)
        studies_heading.addWidget(self.select_all)
        studies_heading.addWidget(self.select_none)

        self.problems_label = QLabel("<b>Files that were skipped</b>")
        self.problems = QListWidget()
        self.problems.setObjectName("imagingProblems")
        self.problems.setAccessibleName("Files that were skipped, and why")
        self.problems.setMaximumHeight(metrics.height() * 4 + 8)
        self.problems_label.setBuddy(self.problems)

        # where the images go
        self.target_box = QGroupBox("Where the images go")
        self.new_records = QRadioButton("One new &imaging record per study")
        self.new_records.setObjectName("newRecordsChoice")
        self.attach = QRadioButton("Attach to the &selected record")
        self.attach.setObjectName("attachChoice")
        self.target_group = QButtonGroup(self)
        self.target_group.addButton(self.new_records, self.NEW_RECORDS)
        self.target_group.addButton(self.attach, self.ATTACH)
        target_layout = QVBoxLayout(self.target_box)
        target_layout.addWidget(self.new_records)
        target_layout.addWidget(self.attach)
        if record_id is not None:
            self.attach.setText(f"Attach to the selected record: “{self._record_title(record_id)}”")
            self.attach.setChecked(True)
        else:
            self.attach.setEnabled(False)
            self.attach.setToolTip("Select an imaging record in the Records tab first.")
            self.new_records.setChecked(True)

        # step 3
        self.status = QLabel()
        self.status.setObjectName("imagingStatus")
        self.status.setAccessibleName("Import status")
        self.status.setWordWrap(True)
        self.remove_button = QPushButton("&Remove this import")
        self.remove_button.setObjectName("removeImportButton")
        self.remove_button.setAccessibleName("Remove everything this import added (the same as Undo)")
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_this_import)
        self.remove_button.hide()
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("importButton")
        self.import_button.setAccessibleName("Import the ticked studies")
        self.import_button.setDefault(True)
        self.import_button.setAutoDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton("Cancel")
        self.close_button.setObjectName("closeButton")
        self.close_button.setAccessibleName("Close without importing")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        # everything above the status and the buttons scrolls when the screen is too small for it
        content = QWidget()
        content.setObjectName("imagingContent")
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addLayout(top)
        inner.addWidget(self.scan_box)
        inner.addWidget(self.banner)
        inner.addWidget(self.counts)
        inner.addLayout(studies_heading)
        inner.addWidget(self.tree, 1)
        inner.addWidget(self.problems_label)
        inner.addWidget(self.problems)
        inner.addWidget(self.target_box)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("imagingScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        fit_to_screen(self, 1040, 720, min_width=640, min_height=420)
        self._show_plan(None)
        if root is not None:
            self.scan(Path(root))

    # --- step 1: which folder ------------------------------------------------------------------------------

    def _record_title(self, record_id: int) -> str:
        from secondopinion_desktop.core.records import get_record

        try:
            with self.folder.session() as session:
                return get_record(session, record_id).title
        except SecondOpinionError:
            return f"record {record_id}"

    def choose_folder(self) -> Job | None:
        start = str(self.root or HOME)
        chosen = QFileDialog.getExistingDirectory(self, "Choose the CD or folder with the images", start)
        if not chosen:
            return None
        return self.scan(Path(chosen))

    # --- step 2: read it, show what is there ---------------------------------------------------------------

    def _busy(self) -> bool:
        """Reading or importing right now (until the job's result has been shown)."""
        return self._working is not None

    def scan(self, root: Path) -> Job | None:
        """Read ``root`` in the background and plan the import against the data folder; nothing is written. The
        preview fills in when it ends."""
        from secondopinion_desktop.core.imaging.plan import plan_import
        from secondopinion_desktop.core.imaging.scan import scan_folder
        from secondopinion_desktop.core.profile import get_profile

        if self._busy():
            return None
        self.root = root
        folder = self.folder
        self.folder_label.setText(f"Reading <b>{_escape(str(root))}</b>…")
        self._show_plan(None)
        self.status.setText("Reading the folder. Nothing is imported until you press Import.")
        self.scan_bar.setRange(0, 0)
        self.scan_box.show()
        self.choose_button.setEnabled(False)
        self._working = "scan"

        def work(control):  # type: ignore[no-untyped-def]
            scan = scan_folder(root, progress=control.progress, cancelled=control.cancelled)
            with folder.session() as session:
                return plan_import(session, scan, get_profile(session), folder.vault)

        def progressed(done: int, total: int) -> None:
            self.scan_bar.setRange(0, max(total, 1))
            self.scan_bar.setValue(min(done, max(total, 1)))

        def finished() -> None:
            self._working = None
            self.scan_box.hide()
            self.choose_button.setEnabled(True)

        def succeeded(result: Any) -> None:
            finished()
            self.folder_label.setText(f"Images from <b>{_escape(str(root))}</b>")
            self._show_plan(result)

        def failed(exc: BaseException) -> None:
            finished()
            self.folder_label.setText(f"Could not read <b>{_escape(str(root))}</b>.")
            if _is_cancel(exc):
                self.status.setText("Stopped reading the folder. Nothing was imported.")
            elif _is_user_error(exc):
                self.status.setText(f"The folder could not be read: {exc}")
            else:
                raise exc

        self.last_job = start_job(work, succeeded, failed, progressed, parent=self)
        return self.last_job

    def stop_scan(self) -> None:
        if self._working == "scan" and self.last_job is not None:
            self.last_job.cancel()

    def _show_plan(self, plan: ImportPlan | None) -> None:
        self.plan = plan
        self.scan_result = scan = plan.scan if plan is not None else None
        self.tree.blockSignals(True)
        self.tree.clear()
        self._study_items.clear()
        self.problems.clear()
        self.mismatch = []
        self.banner.hide()
        if plan is None or scan is None:
            self.counts.setText("")
            self.problems_label.hide()
            self.problems.hide()
            self.tree.blockSignals(False)
            self._update_buttons()
            return
        for study in plan.studies:
            self._add_study(study, plan)
        self.tree.blockSignals(False)
        self._fit_patient_column()
        for problem in scan.problems:
            self.problems.addItem(self._problem_text(problem))
        self._fit_problems()
        self.counts.setText(self._counts_text(plan))
        self._show_warnings(plan)
        if plan.everything_stored:
            self.status.setText("Everything on this disc is already in your records; there is nothing to import.")
        elif scan.studies:
            self.status.setText("Nothing has been imported yet. Tick the studies you want, then press Import.")
        else:
            self.status.setText("No images were found in this folder. Choose another folder.")
        self._update_buttons()
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.import_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fit_problems(self) -> None:
        """The list of skipped files: as tall as its lines, at most four (it scrolls beyond)."""
        count = self.problems.count()
        self.problems_label.setVisible(bool(count))
        self.problems.setVisible(bool(count))
        if count:
            rows = min(count, 4)
            row = max(self.problems.sizeHintForRow(0), self.problems.fontMetrics().height())
            self.problems.setMaximumHeight(rows * row + 2 * self.problems.frameWidth() + 6)

    def _fit_patient_column(self) -> None:
        """Wide enough for the patient (and the "Not …" mark), but the study keeps at least half the width."""
        metrics = self.tree.fontMetrics()
        wanted = max((metrics.horizontalAdvance(item.text(PATIENT)) for item in self._study_items.values()),
                     default=0) + 3 * metrics.averageCharWidth()
        header = self.tree.header()
        others = sum(header.sectionSize(c) for c in (DATE, MODALITY, BODY_PART, IMAGES))
        room = max(self.tree.viewport().width() - others, 0) // 2
        header.resizeSection(PATIENT, max(min(wanted, room), header.sectionSize(PATIENT)))

    def _not_the_patient(self, plan: ImportPlan) -> str:
        return f"Not {plan.profile_name}" if plan.profile_name else "Not the patient of your profile"

    def _add_study(self, entry: StudyPlan, plan: ImportPlan) -> None:
        study = entry.study
        patient = entry.patient_label()
        if entry.someone_else:
            patient = f"{self._not_the_patient(plan)}: {patient}"
        elif entry.uncertain:
            patient = f"One of {len(plan.scan.patients)} patients: {patient}"
        images = (str(study.image_count) if not entry.partly_imported
                  else f"{entry.new_images} new of {study.image_count}")
        item = QTreeWidgetItem([
            study.description or "Study without a description",
            patient,
            study.date.isoformat() if study.date else "—",
            ", ".join(study.modalities),
            ", ".join(study.body_parts),
            images,
        ])
        flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
        if not entry.importable:
            flags &= ~Qt.ItemFlag.ItemIsEnabled  # every image is stored already: nothing to tick
        item.setFlags(flags)
        item.setCheckState(STUDY, Qt.CheckState.Checked if entry.chosen_by_default else Qt.CheckState.Unchecked)
        item.setData(STUDY, UID_ROLE, study.study_uid)
        details = [
            f"Patient on the images: {entry.patient_label()}",
            *(f"Differs from your profile: {d}." for d in entry.differences),
            f"Hospital or clinic: {study.institution}" if study.institution else "",
            f"Referring doctor: {study.referring_physician}" if study.referring_physician else "",
            f"Accession number: {study.accession_number}" if study.accession_number else "",
            plural(len(study.series), "series", "series"),
            entry.stored_sentence(),
        ]
        tip = "\n".join(d for d in details if d)
        for column in range(self.tree.columnCount()):
            item.setToolTip(column, tip)
        if entry.needs_confirmation:
            bold = QFont(item.font(PATIENT))
            bold.setBold(True)
            item.setFont(PATIENT, bold)
            item.setForeground(PATIENT, QBrush(QColor(SOMEONE_ELSE_COLOUR)))
            item.setData(PATIENT, Qt.ItemDataRole.AccessibleTextRole, f"Warning: {patient}")
        self.tree.addTopLevelItem(item)
        note = entry.stored_sentence()
        if note:
            child = QTreeWidgetItem([note])
            child.setFlags(Qt.ItemFlag.ItemIsEnabled)
            italic = QFont(child.font(STUDY))
            italic.setItalic(True)
            child.setFont(STUDY, italic)
            child.setForeground(STUDY, self.palette().brush(QPalette.ColorGroup.Active, QPalette.ColorRole.Text))
            child.setToolTip(STUDY, note)
            item.addChild(child)
            child.setFirstColumnSpanned(True)
        for series in study.series:
            child = QTreeWidgetItem([
                series.label(), "", "", series.modality, series.body_part, str(series.image_count),
            ])
            child.setFlags(child.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.addChild(child)
        item.setExpanded(True)
        self._study_items[study.study_uid] = item

    @staticmethod
    def _problem_text(problem: Any) -> str:
        where, why = getattr(problem, "path", ""), getattr(problem, "reason", "")
        return f"{where} — {why}" if where and why else (where or why or str(problem))

    @staticmethod
    def _counts_text(plan: ImportPlan) -> str:
        scan = plan.scan
        text = (f"{plural(len(scan.studies), 'study', 'studies')}, {plural(scan.series_count, 'series', 'series')}, "
                f"{plural(scan.image_count, 'image')}")
        if scan.non_dicom_count:
            text += f"; {plural(scan.non_dicom_count, 'other file')} skipped"
        if scan.used_dicomdir:
            text += " (read from the disc's DICOMDIR index)"
        text += "."
        stored = [s for s in plan.studies if s.already_imported]
        partly = [s for s in plan.studies if s.partly_imported]
        if stored:
            verb = "is" if len(stored) == 1 else "are"
            text += f" {plural(len(stored), 'study', 'studies')} {verb} already in your records and will be skipped."
        if partly:
            text += (f" {plural(len(partly), 'study', 'studies')} imported in part before: only "
                     f"{plural(sum(s.new_images for s in partly), 'new image')} will be added.")
        return text

    def _show_warnings(self, plan: ImportPlan) -> None:
        lines = list(plan.warnings)
        others = [s for s in plan.studies if s.needs_confirmation]
        self.mismatch = lines
        if lines:
            advice = ("Studies that may be of someone else are not ticked; import one only if you are sure it "
                      "belongs in your records." if others else
                      "Untick the studies that are not yours before importing.")
            self.banner.setText(
                "⚠ <b>Check that these images are yours.</b><br>" + "<br>".join(_escape(line) for line in lines)
                + "<br>" + _escape(advice)
            )
            self.banner.show()
        else:
            self.banner.hide()

    # --- choosing -----------------------------------------------------------------------------------------

    def _check_all(self, checked: bool) -> None:
        """All: every study of the profile's patient with new images (someone else's stay as they are)."""
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for uid, item in self._study_items.items():
            entry = self._entry(uid)
            if not checked or (entry is not None and entry.chosen_by_default):
                item.setCheckState(STUDY, state)

    def _entry(self, uid: str) -> StudyPlan | None:
        if self.plan is None:
            return None
        return next((s for s in self.plan.studies if s.study_uid == uid), None)

    def set_study_checked(self, uid: str, checked: bool) -> None:
        self._study_items[uid].setCheckState(STUDY, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen_study_uids(self) -> list[str]:
        return [uid for uid, item in self._study_items.items()
                if item.checkState(STUDY) == Qt.CheckState.Checked and not item.isDisabled()]

    def attaching(self) -> bool:
        return self.record_id is not None and self.attach.isChecked()

    def _update_buttons(self, *_args: object) -> None:
        has_studies = bool(self._study_items)
        chosen = len(self.chosen_study_uids()) if has_studies else 0
        self.import_button.setEnabled(chosen > 0 and not self._busy() and not self.imported_ids)
        self.import_button.setText(f"&Import {plural(chosen, 'study', 'studies')}" if chosen else "&Import")
        for widget in (self.select_all, self.select_none, self.target_box):
            widget.setEnabled(has_studies and not self.imported_ids)

    # --- step 3: import -----------------------------------------------------------------------------------

    def _confirm_someone_else(self, uids: list[str]) -> bool:
        """Ask before importing studies whose patient is not the profile's; the safe answer (No) is the default."""
        plan = self.plan
        others = [s for s in (self._entry(u) for u in uids) if s is not None and s.needs_confirmation]
        if plan is None or not others:
            return True
        whose = "; ".join(f"{s.study.label()} — {s.patient_label()}" for s in others)
        mine = plan.profile_name or "the patient in your profile"
        if any(s.someone_else for s in others):
            title = "Import someone else's images?"
            said = f"{'This study is' if len(others) == 1 else 'These studies are'} not of {mine}:"
        else:
            title = "Whose images are these?"
            said = (f"This disc holds images of {len(plan.scan.patients)} patients, and the profile has no name or "
                    "birth date yet to tell which are yours:")
        box = QMessageBox(
            QMessageBox.Icon.Warning, title,
            f"{said}\n\n{whose}\n\nImport {'it' if len(others) == 1 else 'them'} into your records anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self,
        )
        box.setObjectName("confirmSomeoneElse")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(
            f"Import {'it' if len(others) == 1 else 'them'} anyway")
        box.button(QMessageBox.StandardButton.No).setText("&No, do not import")
        self.confirm_box = box
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            self.confirm_box = None
            box.deleteLater()

    def start_import(self) -> Job | None:
        from secondopinion_desktop.core.imaging.importer import import_imaging

        uids = self.chosen_study_uids()
        if self.scan_result is None or not uids or self._busy() or self.root is None or self.imported_ids:
            return None
        if not self._confirm_someone_else(uids):
            self.status.setText("Nothing was imported. Untick the studies that are not yours, then press Import.")
            return None
        folder, scan = self.folder, self.scan_result
        record_id = self.record_id if self.attaching() else None
        study_uids = None if len(uids) == len(scan.studies) else list(uids)
        images = sum(e.new_images for e in (self._entry(u) for u in uids) if e is not None)
        progress = QProgressDialog(f"Importing {plural(images, 'image')}…", "Cancel", 0, 1000, self)
        progress.setObjectName("importProgress")
        progress.setWindowTitle("Importing imaging")
        progress.setAccessibleName("Import progress")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoReset(False)
        progress.setAutoClose(False)
        progress.setValue(0)
        self.progress_dialog = progress

        def work(control):  # type: ignore[no-untyped-def]
            return import_imaging(
                folder, scan, study_uids=study_uids, record_id=record_id,
                progress=control.progress, cancelled=control.cancelled,
            )

        def progressed(done: int, total: int) -> None:
            if self.progress_dialog is progress:
                progress.setValue(int(done * 1000 / max(total, 1)))

        def finished() -> None:
            self._working = None
            self.progress_dialog = None
            progress.reset()
            progress.deleteLater()

        def succeeded(result: Any) -> None:
            finished()
            self.import_result = result
            self.imported_ids = list(result.record_ids)
            self._show_done(result)
            self._remember(result)
            self._update_buttons()
            self.imported.emit(list(self.imported_ids))

        def failed(exc: BaseException) -> None:
            finished()
            self._update_buttons()
            if _is_cancel(exc):
                self.status.setText("Import cancelled. Nothing was imported.")
            elif _is_user_error(exc):
                self.status.setText("The import failed. Nothing was imported.")
                QMessageBox.warning(self, "Import imaging", f"{exc}\n\nNothing was imported.")
            else:
                self.status.setText("The import failed. Nothing was imported.")
                raise exc

        self.status.setText("Importing…")
        self._working = "import"
        self._update_buttons()
        self.last_job = start_job(work, succeeded, failed, progressed, parent=self)
        progress.canceled.connect(self.last_job.cancel)
        return self.last_job

    def _remember(self, result: ImportResult) -> None:
        """Put the import into the window's undo history (its first redo only shows the new records)."""
        if not result.files_stored:
            return
        if self.undo_stack is not None and self.context is not None:
            from secondopinion_desktop.ui.imaging.undo import ImportImagingCommand

            self.command = ImportImagingCommand(self.context, result)
            self.undo_stack.push(self.command)
            self.undo_stack.indexChanged.connect(self._history_moved)
        self.remove_button.show()
        self._update_remove_button()

    def _history_moved(self, _index: int) -> None:
        self._update_remove_button()

    def _command_alive(self) -> bool:
        from shiboken6 import isValid

        return self.command is not None and isValid(self.command) and not self.command.isObsolete()

    def _import_applied(self) -> bool:
        if self.import_result is None or not self.import_result.files_stored:
            return False
        if self.command is None:
            return not self.removed_without_history
        return self._command_alive() and self.command.applied

    def _command_on_top(self) -> bool:
        stack = self.undo_stack
        return (stack is not None and self._command_alive() and stack.index() > 0
                and stack.command(stack.index() - 1) is self.command)

    def _update_remove_button(self) -> None:
        if self.import_result is None:
            return
        applied = self._import_applied()
        self.remove_button.setEnabled(applied and (self.command is None or self._command_on_top()))
        if not applied:
            self.remove_button.setText("Import removed")
            self.status.setText(
                "The import was removed; everything it added is gone."
                + (" Redo (Ctrl+Shift+Z) in the main window brings it back."
                   if self._command_alive() else "")
            )
        elif self.remove_button.text() != "&Remove this import":  # brought back by Redo
            self.remove_button.setText("&Remove this import")
            self._show_done(self.import_result)

    def remove_this_import(self) -> None:
        """Remove this import: the same step as Undo in the main window (Redo brings it back)."""
        from secondopinion_desktop.core.imaging.removal import remove_import

        if not self._import_applied() or self.import_result is None:
            return
        if self.command is not None:
            if self._command_on_top():
                assert self.undo_stack is not None
                self.undo_stack.undo()
            return
        try:
            remove_import(self.folder, self.import_result, keep_files=False)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Import imaging", str(exc))
            return
        self.removed_without_history = True
        self._update_remove_button()

    def _show_done(self, result: Any) -> None:
        stored = int(getattr(result, "files_stored", 0) or 0)
        created = list(getattr(result, "created_record_ids", ()) or ())
        others = [r for r in self.imported_ids if r not in created]
        if not stored:
            text = " ".join(line for line in result.summary_lines() if not line.startswith(" "))
            text = text or "Nothing new was imported."
        else:
            where = []
            if created:
                where.append(f"in {plural(len(created), 'new imaging record')}")
            verb = "attached to" if self.attaching() else "added to"
            where += [f"{verb} “{self._record_title(r)}”" for r in others]
            text = f"Imported {plural(stored, 'image')} {' and '.join(where)}."
            skipped = result.skipped_sentence()
            if skipped:
                text += f" {skipped}"
        problems = list(getattr(result, "problems", ()) or ())
        if problems and not self.problems.findItems(self._problem_text(problems[0]), Qt.MatchFlag.MatchExactly):
            for problem in problems:
                self.problems.addItem(self._problem_text(problem))
            self._fit_problems()
        if problems:
            text += f" {plural(len(problems), 'note')} about single files — listed above."
        self.status.setText(text)
        self.close_button.setText("Close")
        self.close_button.setAccessibleName("Close")
        self.close_button.setDefault(True)
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- closing ------------------------------------------------------------------------------------------

    def done(self, code: int) -> None:  # Qt override: stop background work first
        if self.last_job is not None and not self.last_job.done:
            assert self.last_job is not None
            self.last_job.cancel()  # the core leaves nothing behind when cancelled
            QThreadPool.globalInstance().waitForDone(30_000)
        super().done(code)


def _escape(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


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
        chosen = QFileDialog.getExistingDirectory(parent, "Choose the CD or folder with the images", str(HOME))
        if not chosen:
            return None
        root = Path(chosen)
    dialog = ImportImagingDialog(folder, parent, record_id=record_id, root=root, undo_stack=undo_stack,
                                 context=context)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
    return dialog


# --- export for the doctor -----------------------------------------------------------------------------------


def _is_empty_dir(path: Path) -> bool:
    try:
        return path.is_dir() and not any(path.iterdir())
    except OSError:
        return False


def export_images(
    parent: QWidget | None, folder: DataFolder, record_id: int, target: Path | str | None = None,
) -> Job | None:
    """Export images for the doctor…: write the record's images (with a DICOMDIR) into an empty or new folder.

    With ``target`` None the user chooses the folder. A folder that already holds files gets a new, empty
    sub-folder so nothing of the user's is overwritten. The result is reported in a message box.
    """
    from secondopinion_desktop.core.imaging.export import export_study

    if target is None:
        chosen = QFileDialog.getExistingDirectory(
            parent, "Choose an empty folder (or a USB stick) for the doctor's copy of the images", str(HOME)
        )
        if not chosen:
            return None
        target = Path(chosen)
    from secondopinion_desktop.core.outputs import check_output

    try:  # never into the data folder (over the database or a stored file), never onto a device
        out_dir = check_output(target, folder.path, what="the images", folder=True)
    except SecondOpinionError as exc:
        QMessageBox.warning(parent, "Export images", str(exc))
        return None
    if out_dir.exists() and not _is_empty_dir(out_dir):
        out_dir = _fresh_subfolder(out_dir, f"Images for the doctor {record_id}")

    progress = QProgressDialog("Writing the images for the doctor…", "", 0, 0, parent)
    progress.setObjectName("exportProgress")
    progress.setWindowTitle("Export images")
    progress.setCancelButton(None)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(400)
    progress.setValue(0)

    def work(_control):  # type: ignore[no-untyped-def]
        return export_study(folder, record_id, out_dir)

    def finished() -> None:
        progress.reset()
        progress.deleteLater()

    def succeeded(path: Any) -> None:
        finished()
        where = Path(path) if path else out_dir
        box = QMessageBox(QMessageBox.Icon.Information, "Export images",
                          f"The images were written to:\n{where}\n\nGive this folder (or the USB stick) to the "
                          "doctor; their viewer opens it through the DICOMDIR file.",
                          QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("exportDoneBox")
        show = box.addButton("Show folder", QMessageBox.ButtonRole.ActionRole)
        show.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(where))))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        _open_boxes.add(box)  # without a parent nothing else keeps it alive
        box.finished.connect(lambda _code: _open_boxes.discard(box))
        box.open()
        notify = getattr(parent, "notify", None)
        if callable(notify):
            notify(f"Images exported to {where}.")

    def failed(exc: BaseException) -> None:
        finished()
        if _is_user_error(exc):
            QMessageBox.warning(parent, "Export images", f"The images could not be exported: {exc}")
        else:
            raise exc

    job = start_job(work, succeeded, failed, parent=parent)
    job.out_dir = out_dir  # type: ignore[attr-defined] - where it goes, for the caller and tests
    return job


_open_boxes: set[QMessageBox] = set()


def _fresh_subfolder(parent_dir: Path, stem: str) -> Path:
    candidate = parent_dir / stem
    number = 2
    while candidate.exists():
        candidate = parent_dir / f"{stem} ({number})"
        number += 1
    return candidate
