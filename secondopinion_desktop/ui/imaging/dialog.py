"""Import imaging…: choose a folder or CD, scan it in the background, preview what was found, then import.

Nothing is written before the user presses Import; the import itself is all or nothing (the core guarantees
it: a cancel or a failure leaves no record and no file behind). ``export_images`` writes one imaging record's
study to a folder the doctor can read (DICOM files plus a DICOMDIR).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QThreadPool, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QFileDialog,
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
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.ui.jobs import Job, start_job

if TYPE_CHECKING:
    from secondopinion_desktop.core.imaging.scan import ScanResult, StudyInfo

UID_ROLE = Qt.ItemDataRole.UserRole
BANNER_STYLE = (
    "QLabel { background: #fff3cd; color: #5c4400; border: 1px solid #e0b84c; border-radius: 4px; padding: 8px; }"
)
HOME = Path.home()


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def _person(value: str) -> str:
    """A DICOM person name as people write it ("DOE^JANE" → "JANE DOE")."""
    from secondopinion_desktop.core.imaging.scan import person_name

    return person_name(value)


def _is_cancel(exc: BaseException) -> bool:
    from secondopinion_desktop.core.imaging import ImportCancelled
    from secondopinion_desktop.core.vault import Cancelled

    return isinstance(exc, ImportCancelled | Cancelled)


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
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.record_id = record_id
        self.root: Path | None = None
        self.scan_result: ScanResult | None = None
        self.import_result: Any = None
        self.imported_ids: list[int] = []
        self.last_job: Job | None = None
        self.progress_dialog: QProgressDialog | None = None
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
        self.tree.setAccessibleName("Studies and series found; tick the studies to import")
        self.tree.setHeaderLabels(["Study / series", "Date", "Modality", "Body part", "Images"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 90), (2, 75), (3, 110), (4, 60)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.tree.itemChanged.connect(self._update_buttons)
        self.select_all = QPushButton("&All")
        self.select_all.setAccessibleName("Tick all studies")
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
        self.problems.setMaximumHeight(110)
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
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.scan_box)
        layout.addWidget(self.banner)
        layout.addWidget(self.counts)
        layout.addLayout(studies_heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems)
        layout.addWidget(self.target_box)
        layout.addLayout(buttons)
        self.resize(860, 640)
        self._show_scan(None)
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
        """Read ``root`` in the background; nothing is written. The preview fills in when it ends."""
        from secondopinion_desktop.core.imaging.scan import scan_folder

        if self._busy():
            return None
        self.root = root
        self.folder_label.setText(f"Reading <b>{_escape(str(root))}</b>…")
        self._show_scan(None)
        self.status.setText("Reading the folder. Nothing is imported until you press Import.")
        self.scan_bar.setRange(0, 0)
        self.scan_box.show()
        self.choose_button.setEnabled(False)
        self._working = "scan"

        def work(control):  # type: ignore[no-untyped-def]
            return scan_folder(root, progress=control.progress, cancelled=control.cancelled)

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
            self._show_scan(result)

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

    def _show_scan(self, scan: ScanResult | None) -> None:
        self.scan_result = scan
        self.tree.blockSignals(True)
        self.tree.clear()
        self._study_items.clear()
        self.problems.clear()
        self.mismatch = []
        self.banner.hide()
        if scan is None:
            self.counts.setText("")
            self.problems_label.hide()
            self.problems.hide()
            self.tree.blockSignals(False)
            self._update_buttons()
            return
        for study in scan.studies:
            self._add_study(study)
        self.tree.blockSignals(False)
        for problem in scan.problems:
            self.problems.addItem(self._problem_text(problem))
        self.problems_label.setVisible(bool(scan.problems))
        self.problems.setVisible(bool(scan.problems))
        self.counts.setText(self._counts_text(scan))
        self._show_warnings(scan)
        if scan.studies:
            self.status.setText("Nothing has been imported yet. Tick the studies you want, then press Import.")
        else:
            self.status.setText("No images were found in this folder. Choose another folder.")
        self._update_buttons()
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.import_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _add_study(self, study: StudyInfo) -> None:
        item = QTreeWidgetItem([
            study.description or "Study without a description",
            study.date.isoformat() if study.date else "—",
            ", ".join(study.modalities),
            ", ".join(study.body_parts),
            str(study.image_count),
        ])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(0, Qt.CheckState.Checked)
        item.setData(0, UID_ROLE, study.study_uid)
        details = [
            f"Hospital or clinic: {study.institution}" if study.institution else "",
            f"Referring doctor: {study.referring_physician}" if study.referring_physician else "",
            f"Accession number: {study.accession_number}" if study.accession_number else "",
            f"Patient on the images: {_person(study.patient_name)}" if study.patient_name else "",
            _plural(len(study.series), "series", "series"),
        ]
        item.setToolTip(0, "\n".join(d for d in details if d))
        for series in study.series:
            child = QTreeWidgetItem([
                series.label(), "", series.modality, series.body_part, str(series.image_count),
            ])
            child.setFlags(child.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.addChild(child)
        self.tree.addTopLevelItem(item)
        item.setExpanded(True)
        self._study_items[study.study_uid] = item

    @staticmethod
    def _problem_text(problem: Any) -> str:
        where, why = getattr(problem, "path", ""), getattr(problem, "reason", "")
        return f"{where} — {why}" if where and why else (where or why or str(problem))

    @staticmethod
    def _counts_text(scan: ScanResult) -> str:
        text = (f"{_plural(len(scan.studies), 'study', 'studies')}, {_plural(scan.series_count, 'series', 'series')}, "
                f"{_plural(scan.image_count, 'image')}")
        if scan.non_dicom_count:
            text += f"; {_plural(scan.non_dicom_count, 'other file')} skipped"
        if scan.used_dicomdir:
            text += " (read from the disc's DICOMDIR index)"
        return text + "."

    def _show_warnings(self, scan: ScanResult) -> None:
        from secondopinion_desktop.core.imaging.importer import patient_mismatch
        from secondopinion_desktop.core.profile import get_profile

        with self.folder.session() as session:
            profile = get_profile(session)
        lines = [line for line in patient_mismatch(scan, profile) if line]
        patients = list(scan.patients)
        if len(patients) > 1:
            names = "; ".join(_person(p.name) + (f", born {p.birth_date.isoformat()}" if p.birth_date else "")
                              for p in patients)
            several = f"These images belong to {len(patients)} different patients: {names}."
            if not any(str(len(patients)) in line and "patient" in line.lower() for line in lines):
                lines.append(several)
        self.mismatch = lines
        if lines:
            self.banner.setText(
                "⚠ <b>Check that these images are yours.</b><br>" + "<br>".join(_escape(line) for line in lines)
                + "<br>Untick the studies that are not yours before importing."
            )
            self.banner.show()
        else:
            self.banner.hide()

    # --- choosing -----------------------------------------------------------------------------------------

    def _check_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for item in self._study_items.values():
            item.setCheckState(0, state)

    def set_study_checked(self, uid: str, checked: bool) -> None:
        self._study_items[uid].setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen_study_uids(self) -> list[str]:
        return [uid for uid, item in self._study_items.items() if item.checkState(0) == Qt.CheckState.Checked]

    def attaching(self) -> bool:
        return self.record_id is not None and self.attach.isChecked()

    def _update_buttons(self, *_args: object) -> None:
        has_studies = bool(self._study_items)
        chosen = len(self.chosen_study_uids()) if has_studies else 0
        self.import_button.setEnabled(chosen > 0 and not self._busy() and not self.imported_ids)
        self.import_button.setText(f"&Import {_plural(chosen, 'study', 'studies')}" if chosen else "&Import")
        for widget in (self.select_all, self.select_none, self.target_box):
            widget.setEnabled(has_studies and not self.imported_ids)

    # --- step 3: import -----------------------------------------------------------------------------------

    def start_import(self) -> Job | None:
        from secondopinion_desktop.core.imaging.importer import import_imaging

        uids = self.chosen_study_uids()
        if self.scan_result is None or not uids or self._busy() or self.root is None:
            return None
        folder, scan = self.folder, self.scan_result
        record_id = self.record_id if self.attaching() else None
        study_uids = None if len(uids) == len(self._study_items) else list(uids)
        images = sum(s.image_count for s in scan.studies if s.study_uid in uids)
        progress = QProgressDialog(f"Importing {_plural(images, 'image')}…", "Cancel", 0, 1000, self)
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

    def _show_done(self, result: Any) -> None:
        records = len(self.imported_ids)
        stored = int(getattr(result, "files_stored", 0) or 0)
        where = (f"attached to “{self._record_title(self.imported_ids[0])}”" if self.attaching() and records
                 else f"in {_plural(records, 'new imaging record')}")
        text = f"Imported {_plural(stored, 'image')} {where}."
        problems = list(getattr(result, "problems", ()) or ())
        if problems:
            text += f" {_plural(len(problems), 'note')} about single files — listed above."
            for problem in problems:
                self.problems.addItem(self._problem_text(problem))
            self.problems_label.show()
            self.problems.show()
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
    parent: QWidget | None, folder: DataFolder, record_id: int | None = None, root: Path | None = None,
) -> ImportImagingDialog | None:
    """Ask for the folder first (unless ``root`` is given), then show the preview dialog (window-modal)."""
    if root is None:
        chosen = QFileDialog.getExistingDirectory(parent, "Choose the CD or folder with the images", str(HOME))
        if not chosen:
            return None
        root = Path(chosen)
    dialog = ImportImagingDialog(folder, parent, record_id=record_id, root=root)
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
    out_dir = Path(target)
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
