"""Import records from a portal…: a C-CDA document, a FHIR bundle or NDJSON file, a "download my record" zip, an
Apple Health export, or the folder one was unpacked into.

Reading happens in the background and writes nothing (``core.portal.package.read_path`` then
``core.portal.importer.preview_import``); the preview says whose records they are against the profile (a
different name or birth date must be confirmed with the box under the warning), what would be added, what is
already in the inventory, what was skipped and why. Import runs ``import_package`` in the background with
progress and Cancel — all or nothing, the core guarantees it — and becomes one step of the Records tab's undo
history (``commands.PortalImportCommand``); it is announced once (``Changes.RECORDS | ATTACHMENTS``).

The list of records: ``portal_rows``; what the dialog says: ``portal_wording``. Files dropped on the Records tab
come here when ``portal_download`` says they look like a portal download (by name; the core decides).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.ops import Op, is_cancel, is_user_error, run_op, show_failure
from secondopinion_desktop.ui.records import portal_wording as wording
from secondopinion_desktop.ui.records.portal_rows import PlannedRecordsModel, PlannedRecordsView
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

if TYPE_CHECKING:
    from secondopinion_desktop.core.portal.importer import ImportPreview, ImportResult
    from secondopinion_desktop.core.portal.package import Package
    from secondopinion_desktop.core.profile import ProfileData
    from secondopinion_desktop.ui.records.commands import RecordsContext

__all__ = ["PortalImportDialog", "open_portal_import", "portal_download"]

HOME = Path.home()
FILE_QUESTION = "Choose the file your patient portal gave you"
FOLDER_QUESTION = "Choose the folder you unpacked the portal download into"
IMPORTED = Changes.RECORDS | Changes.ATTACHMENTS | Changes.HEALTH  # results, medications, allergies

WARNING_STYLE = (
    "#portalWarningBox { background: #fff3cd; border: 1px solid #e0b84c; border-radius: 4px; }"
    " #portalWarningBox QLabel { color: #5c4400; background: transparent; }"
)
WARNING_TEXT = "#5c4400"
ERROR_STYLE = (
    "QLabel { background: #fde2e1; color: #6b1111; border: 1px solid #e39a97; border-radius: 4px; padding: 8px; }"
)


# --- what goes to the dialog from a drop ---------------------------------------------------------------------

_DOCUMENT_SUFFIXES = (".xml", ".json", ".ndjson")
_LAYOUTS = ("ihe_xdm", "apple_health_export")  # folders a portal's zip unpacks into
_FOLDER_LOOK = 200  # files looked at in a dropped folder (its top level) before deciding it is no download
_HEAD = 64 * 1024  # how much of a file is looked at to tell a health record from another .xml or .json
_IGNORED = ("index.htm", "index.html", "readme.txt", ".ds_store")


def _looks_like_record(path: Path) -> bool:
    """A .xml/.json/.ndjson file whose start says it is a clinical document or FHIR (a viewer's config.xml, a
    photo's .json sidecar are not)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError:
        return False
    return b"ClinicalDocument" in head or b'"resourceType"' in head


def _zip_looks_like_download(archive: Any) -> bool:
    """An IHE XDM or Apple Health layout by its names, or a document among its first entries whose start says it
    is a clinical document or FHIR (a photo's .json sidecar is not)."""
    infos = archive.infolist()
    if any(part in _LAYOUTS for i in infos for part in i.filename.lower().replace("\\", "/").split("/")[:-1]):
        return True
    looked = 0
    for info in infos:
        if info.is_dir() or not info.filename.lower().endswith(_DOCUMENT_SUFFIXES) or info.flag_bits & 0x1:
            continue
        looked += 1
        if looked > 20:
            return False
        with archive.open(info) as fh:
            head = fh.read(_HEAD)
        if b"ClinicalDocument" in head or b'"resourceType"' in head:
            return True
    return False


def _zip_holds_documents(path: Path) -> bool:
    """A zip laid out as a portal download (``_zip_looks_like_download``: its names, and the start of at most 20
    of its documents). A zip that cannot be listed, or one of other things (photos, PDFs, an encrypted scan), is
    an ordinary file to attach. One that looks like a download but is refused by the core (a bomb, names
    leaving the folder) gets its sentence in the import dialog."""
    import zipfile

    try:
        with path.open("rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as archive:
            return _zip_looks_like_download(archive)
    except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError, RuntimeError, EOFError):
        return False


def portal_download(path: Path) -> bool:
    """Whether a dropped path looks like what a patient portal hands out: a clinical document or FHIR file, a
    zip laid out as a download, or a folder one was unpacked into (an ``IHE_XDM`` or ``apple_health_export``
    folder, or documents at its top level). Quick, so a drop never waits: names and the start of a few files
    only, never a walk through a whole tree or into the zips a folder holds; the core decides the rest."""
    try:
        if path.is_dir():
            if path.name.lower() in _LAYOUTS:
                return True
            looked = 0
            for entry in sorted(os.scandir(path), key=lambda e: e.name):
                lower = entry.name.lower()
                if entry.is_dir(follow_symlinks=False):
                    if lower in _LAYOUTS:
                        return True
                    continue
                looked += 1
                if looked > _FOLDER_LOOK:
                    return False
                if lower.endswith(_DOCUMENT_SUFFIXES) and entry.is_file(follow_symlinks=False) and \
                        _looks_like_record(Path(entry.path)):
                    return True
            return False
        lower = path.name.lower()
        if lower.endswith(_DOCUMENT_SUFFIXES):
            return path.is_file() and _looks_like_record(path)
        return lower.endswith(".zip") and path.is_file() and _zip_holds_documents(path)
    except OSError:
        return False


# --- the dialog ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadResult:
    """What reading a download gives the dialog: the package, its preview and the profile it was checked against."""

    package: Package
    preview: ImportPreview
    profile: ProfileData | None


class PortalImportDialog(QDialog):
    """Step 1: which download; step 2: what is in it (nothing written yet); step 3: import the ticked records."""

    imported = Signal(list)  # the ids of the records created or added to

    def __init__(
        self,
        folder: DataFolder,
        parent: QWidget | None = None,
        *,
        path: Path | str | None = None,
        package: Package | None = None,
        undo_stack: QUndoStack | None = None,
        context: RecordsContext | None = None,
        note: str = "",
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.undo_stack = undo_stack
        self.context = context
        self.path: Path | None = None
        self.package: Package | None = None
        self.preview: ImportPreview | None = None
        self.profile: ProfileData | None = None
        self.result: ImportResult | None = None
        self.last_job: Op | None = None  # the reading or the import, running or done
        self._working: str | None = None  # "read" or "import" while a job runs
        self._close_code: int | None = None  # closing was asked while the import was stopping
        self._note = note
        self.setObjectName("portalImportDialog")
        self.setWindowTitle("Import records from a portal")
        self.setAccessibleName("Import records from a portal")
        self._build()
        self.choose_file_button.clicked.connect(lambda: self.choose_file())
        self.choose_folder_button.clicked.connect(lambda: self.choose_folder())
        self.stop_button.clicked.connect(lambda: self.stop_reading())
        self.confirm_box.toggled.connect(lambda _on: self._update_buttons())
        self.records.dataChanged.connect(lambda *_: self._update_buttons())
        self.select_all.clicked.connect(lambda: self.records.check_all(True))
        self.select_none.clicked.connect(lambda: self.records.check_all(False))
        self.skipped_toggle.toggled.connect(lambda on: self._show_skipped(on))
        self.import_button.clicked.connect(lambda: self.start_import())
        self.close_button.clicked.connect(self.reject)
        self._show_preview(None)
        if package is not None:
            self.read(package=package, path=Path(path) if path is not None else None)
        elif path is not None:
            self.read(Path(path))

    # --- the widgets ---------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.source_label = QLabel(wording.NO_SOURCE_TEXT)
        self.source_label.setObjectName("portalSource")
        self.source_label.setWordWrap(True)
        self.source_label.setTextFormat(Qt.TextFormat.RichText)
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.choose_file_button = QPushButton("Choose &file…")
        self.choose_file_button.setObjectName("chooseFileButton")
        self.choose_file_button.setAccessibleName("Choose the file your portal gave you")
        self.choose_folder_button = QPushButton("Choose f&older…")
        self.choose_folder_button.setObjectName("chooseFolderButton")
        self.choose_folder_button.setAccessibleName("Choose the folder you unpacked the download into")
        for button in (self.choose_file_button, self.choose_folder_button):
            button.setAutoDefault(False)
        top = QHBoxLayout()
        self.source_label.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.source_label, 1, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.choose_file_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.choose_folder_button, 0, Qt.AlignmentFlag.AlignTop)

        self.read_bar = QProgressBar()
        self.read_bar.setObjectName("portalReadProgress")
        self.read_bar.setAccessibleName("Reading the download")
        self.read_bar.setFormat("Reading… %p%")
        self.stop_button = QPushButton("&Stop reading")
        self.stop_button.setAccessibleName("Stop reading the download")
        self.stop_button.setAutoDefault(False)
        read_row = QHBoxLayout()
        read_row.setContentsMargins(0, 0, 0, 0)
        read_row.addWidget(self.read_bar, 1)
        read_row.addWidget(self.stop_button)
        self.read_box = QWidget()
        self.read_box.setLayout(read_row)
        self.read_box.hide()

        self.error_label = QLabel()
        self.error_label.setObjectName("portalError")
        self.error_label.setAccessibleName("Why the download could not be read")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.error_label.hide()

        self.warning_box = QFrame()
        self.warning_box.setObjectName("portalWarningBox")
        self.warning_box.setStyleSheet(WARNING_STYLE)
        self.banner = QLabel()
        self.banner.setObjectName("portalWarning")
        self.banner.setAccessibleName("Warning about the patient on the documents")
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setWordWrap(True)
        self.banner.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.confirm_box = QCheckBox("&These are my records: import them even though the name or birth date differs")
        self.confirm_box.setObjectName("confirmPatient")
        self.confirm_box.setAccessibleName("Confirm that these records are yours")
        font = self.confirm_box.font()
        font.setBold(True)
        self.confirm_box.setFont(font)
        palette = self.confirm_box.palette()  # (a style sheet on a check box would hide its box in some styles)
        palette.setColor(QPalette.ColorRole.WindowText, QColor(WARNING_TEXT))
        self.confirm_box.setPalette(palette)
        warning_layout = QVBoxLayout(self.warning_box)
        warning_layout.setContentsMargins(10, 8, 10, 8)
        warning_layout.addWidget(self.banner)
        warning_layout.addWidget(self.confirm_box)
        self.warning_box.hide()

        self.whose = QLabel()
        self.whose.setObjectName("portalWhose")
        self.whose.setAccessibleName("Whose records these are")
        self.whose.setTextFormat(Qt.TextFormat.RichText)
        self.whose.setWordWrap(True)
        self.whose.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.whose.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.counts = QLabel()
        self.counts.setObjectName("portalCounts")
        self.counts.setAccessibleName("What was found")
        self.counts.setTextFormat(Qt.TextFormat.PlainText)
        self.counts.setWordWrap(True)
        self.counts.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.records = PlannedRecordsModel(self)
        self.table = PlannedRecordsView(self.records)
        self.records_heading = QLabel()
        self.records_heading.setTextFormat(Qt.TextFormat.RichText)  # our own words (portal_wording)
        self.records_heading.setBuddy(self.table)
        self.select_all = QPushButton("&All")
        self.select_all.setAccessibleName("Tick every record that is not in your records yet")
        self.select_none = QPushButton("&None")
        self.select_none.setAccessibleName("Untick every record")
        for button in (self.select_all, self.select_none):
            button.setAutoDefault(False)
        heading = QHBoxLayout()
        heading.addWidget(self.records_heading, 1)
        heading.addWidget(self.select_all)
        heading.addWidget(self.select_none)
        self.records_box = QWidget()
        records_layout = QVBoxLayout(self.records_box)
        records_layout.setContentsMargins(0, 0, 0, 0)
        records_layout.addLayout(heading)
        records_layout.addWidget(self.table, 1)

        self.skipped_toggle = QToolButton()
        self.skipped_toggle.setObjectName("skippedToggle")
        self.skipped_toggle.setCheckable(True)
        self.skipped_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.skipped_toggle.setAutoRaise(True)
        self.skipped_toggle.setAccessibleName("Show what was skipped, and why")
        self.skipped = QListWidget()
        self.skipped.setObjectName("portalSkipped")
        self.skipped.setAccessibleName("What was skipped, and why")
        self.skipped.setWordWrap(True)
        self.skipped.hide()

        self.status = QLabel()
        self.status.setObjectName("portalStatus")
        self.status.setAccessibleName("Import status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("importButton")
        self.import_button.setAccessibleName("Import the ticked records")
        self.import_button.setDefault(True)
        self.close_button = QPushButton("Cancel")
        self.close_button.setObjectName("closeButton")
        self.close_button.setAccessibleName("Close without importing")
        self.close_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        # everything above the status and the buttons scrolls when the screen is too small for it
        content = QWidget()
        content.setObjectName("portalContent")
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addLayout(top)
        inner.addWidget(self.read_box)
        inner.addWidget(self.error_label)
        inner.addWidget(self.warning_box)
        inner.addWidget(self.whose)
        inner.addWidget(self.counts)
        inner.addWidget(self.records_box, 1)
        inner.addWidget(self.skipped_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        inner.addWidget(self.skipped)
        self.filler = QWidget()  # takes the room the list of records takes once there is one
        self.filler.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        inner.addWidget(self.filler, 1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("portalScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes through what is in it, not to it
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        line = self.fontMetrics().height()
        self.table.setMinimumHeight(6 * (line + 10) + self.table.horizontalHeader().sizeHint().height())
        fit_to_screen(self, 1120, 720, min_width=600, min_height=420)

    @property
    def progress_dialog(self) -> QProgressDialog | None:
        """The import's progress dialog while it runs."""
        op = self.last_job
        return op.dialog if op is not None and self._working == "import" else None

    # --- step 1 and 2: which download, what is in it ------------------------------------------------------

    def choose_file(self) -> Op | None:
        from PySide6.QtWidgets import QFileDialog

        start = str(self.path.parent if self.path is not None else HOME)
        chosen, _ = QFileDialog.getOpenFileName(self, FILE_QUESTION, start, wording.FILE_FILTER)
        return self.read(Path(chosen)) if chosen else None

    def choose_folder(self) -> Op | None:
        from PySide6.QtWidgets import QFileDialog

        start = str(self.path.parent if self.path is not None else HOME)
        chosen = QFileDialog.getExistingDirectory(self, FOLDER_QUESTION, start)
        return self.read(Path(chosen)) if chosen else None

    def _busy(self) -> bool:
        return self._working is not None

    def read(self, path: Path | None = None, *, package: Package | None = None) -> Op | None:
        """Read ``path`` (or preview ``package``, already read) in the background, against the data folder;
        nothing is written. The preview fills in when it ends."""
        from secondopinion_desktop.core.portal.importer import preview_import
        from secondopinion_desktop.core.profile import get_profile

        if self._busy() or self.result is not None or (path is None and package is None):
            return None
        if package is None:
            from secondopinion_desktop.core.portal.package import read_path
        given = package
        self.path = path
        name = wording.source_name(path, package.name if package is not None else "")
        shown = wording.escape(str(path) if path is not None else name)
        folder = self.folder
        self.source_label.setText(f"Reading <b>{shown}</b>…")
        self._show_preview(None)
        self.error_label.hide()
        self.status.setText("Reading. Nothing is imported until you press Import.")
        self.read_bar.setRange(0, 0)
        self.read_box.show()
        self._working = "read"
        self._update_buttons()

        def work(control) -> ReadResult:  # type: ignore[no-untyped-def]
            read = given if given is not None else read_path(
                path, progress=control.progress, cancelled=control.cancelled)
            preview = preview_import(folder, read)
            return ReadResult(read, preview, get_profile(folder))

        def finished() -> None:
            self._working = None
            self.read_box.hide()
            self._update_buttons()

        def succeeded(result: ReadResult) -> None:
            finished()
            self.package, self.profile = result.package, result.profile
            self.source_label.setText(f"Records from <b>{shown}</b>")
            self._show_preview(result.preview)

        def failed(exc: BaseException) -> bool:
            finished()
            if is_cancel(exc):
                self.source_label.setText(f"Stopped reading <b>{shown}</b>.")
                self.status.setText("Stopped reading. Nothing was imported.")
                self._closing_words()  # nothing is under way to cancel
                return True
            self.source_label.setText(f"Could not read <b>{shown}</b>.")
            if is_user_error(exc):
                from secondopinion_desktop.core.log import log_failure
                from secondopinion_desktop.ui.ops import failure_sentence

                log_failure("read portal download", exc)
                self.error_label.setText(failure_sentence(exc))
                self.error_label.show()
                self.status.setText("Nothing was imported. Choose another file or folder.")
                self._closing_words()
                return True
            return False  # a bug: the crash dialog

        self.last_job = op = run_op(self, work, name="read portal download", writes=False, on_success=succeeded,
                                    on_failure=failed)
        assert op.job is not None
        op.job.progressed.connect(self._read_progressed)  # the bar in the dialog, not a progress dialog
        return op

    def _read_progressed(self, done: int, total: int) -> None:
        if self._working == "read" and total > 0:
            self.read_bar.setRange(0, 1000)
            self.read_bar.setValue(min(1000, done * 1000 // total))

    def stop_reading(self) -> None:
        if self._working == "read" and self.last_job is not None:
            self.last_job.cancel()

    def _show_preview(self, preview: ImportPreview | None) -> None:
        self.preview = preview
        self.records.set_rows(preview.records if preview is not None else ())
        self.skipped.clear()
        self.confirm_box.setChecked(False)
        banner = wording.warning_html(preview) if preview is not None else ""
        self.banner.setText(banner)
        self.warning_box.setVisible(bool(banner))
        if preview is None:
            self.whose.hide()
            self.counts.setText("")
            self.counts.hide()
            self.records_box.hide()
            self.filler.show()
            self._fill_skipped([])
            self._update_buttons()
            return
        self.whose.setText(wording.whose_html(preview, self.profile))
        self.whose.show()
        self.counts.setText(wording.counts_text(preview))
        self.counts.show()
        self.records_box.setVisible(bool(preview.records))
        self.filler.setVisible(not preview.records)
        self.records_heading.setText(wording.records_heading(preview))
        self._fill_skipped([wording.skipped_text(s) for s in preview.skipped])
        status = wording.ready_text(preview)
        if self._note and not preview.nothing_new:
            status = f"{self._note} {status}"
        self.status.setText(status)
        if preview.nothing_new:
            self.import_button.hide()
            self._closing_words()
        else:  # another download, after one that held nothing new
            self.import_button.show()
            self.import_button.setDefault(True)
            self.close_button.setText("Cancel")
            self.close_button.setAccessibleName("Close without importing")
        self._update_buttons()
        if banner:
            self.confirm_box.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.import_button.isVisible() and self.import_button.isEnabled():
            self.import_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fill_skipped(self, lines: list[str]) -> None:
        self.skipped.addItems(lines)
        count = len(lines)
        self.skipped_toggle.setVisible(bool(count))
        self.skipped_toggle.setChecked(False)
        self.skipped_toggle.setText(wording.skipped_heading(count, False))
        self.skipped.hide()

    def _show_skipped(self, shown: bool) -> None:
        count = self.skipped.count()
        self.skipped_toggle.setText(wording.skipped_heading(count, shown))
        self.skipped.setVisible(shown and bool(count))
        if shown and count:
            rows = min(count, 6)
            row = max(self.skipped.sizeHintForRow(0), self.skipped.fontMetrics().height())
            self.skipped.setFixedHeight(rows * row + 2 * self.skipped.frameWidth() + 6)
            self.scroll_area.ensureWidgetVisible(self.skipped)

    # --- choosing -----------------------------------------------------------------------------------------

    def chosen_keys(self) -> list[str]:
        return self.records.chosen_keys()

    def needs_confirmation(self) -> bool:
        return self.preview is not None and bool(self.preview.warnings)

    def _update_buttons(self) -> None:
        chosen = len(self.chosen_keys())
        preview = self.preview
        done = self.result is not None
        confirmed = not self.needs_confirmation() or self.confirm_box.isChecked()
        ready = preview is not None and not preview.nothing_new and not done and not self._busy()
        self.import_button.setEnabled(ready and chosen > 0 and confirmed)
        self.import_button.setText(f"&Import {plural(chosen, 'record')}" if chosen and ready else "&Import")
        choosing = ready and self.records.choosable() > 0
        for widget in (self.select_all, self.select_none):
            widget.setEnabled(choosing)
        self.table.setEnabled(preview is not None and not done)
        self.confirm_box.setEnabled(ready)
        for button in (self.choose_file_button, self.choose_folder_button):
            button.setEnabled(not self._busy() and not done)
        if ready and chosen and not confirmed:
            self.import_button.setToolTip("Tick the box under the warning first.")
        else:
            self.import_button.setToolTip("")

    # --- step 3: import -----------------------------------------------------------------------------------

    def start_import(self) -> Op | None:
        from secondopinion_desktop.core.portal.importer import import_package

        package, preview = self.package, self.preview
        keys = self.chosen_keys()
        if (package is None or preview is None or not keys or self._busy() or self.result is not None
                or not self.import_button.isEnabled()):
            return None
        folder = self.folder
        confirmed = self.confirm_box.isChecked()
        every = len(keys) == self.records.choosable()
        chosen = None if every else list(keys)

        def succeeded(result: ImportResult) -> None:
            self._working = None
            self.result = result
            text = self._done_text(result)
            if self._close_code is not None:
                # Closing was asked, but the import had finished before it could stop: the dialog stays, to say
                # what is now in the records (and how to take it away), until the person closes it.
                self._close_code = None
                text = f"The import had already finished when you closed this window. {text}"
            self.status.setText(text)
            self.import_button.hide()
            self._closing_words()
            self._update_buttons()
            announce(IMPORTED, self)  # every view reloads first; then the history's step shows the new records
            self._remember(result)
            self.imported.emit(list(result.record_ids))

        def failed(exc: BaseException) -> bool:
            self._working = None
            self._update_buttons()
            if is_cancel(exc):
                self.status.setText("Import cancelled. Nothing was imported.")
                return True
            self.status.setText("The import failed. Nothing was imported.")
            if not is_user_error(exc):
                return False  # a bug: the crash dialog
            show_failure(self, SecondOpinionError(f"{exc}\n\nNothing was imported."),
                         title="Import records from a portal", name="import portal download")
            return True

        self.status.setText("Importing…")
        self._working = "import"
        self._update_buttons()
        self.last_job = op = run_op(
            self, lambda control: import_package(folder, package, keys=chosen, confirmed=confirmed,
                                                 progress=control.progress, cancelled=control.cancelled),
            name="import portal download", on_success=succeeded, on_failure=failed,
            on_done=self._closed_if_asked, label=f"Importing {plural(len(keys), 'record')}…",
            title="Importing records", delay_ms=300)
        if op.dialog is not None:
            op.dialog.setAccessibleName("Import progress")
        return op

    def _undoable(self, result: ImportResult) -> bool:
        """An import that changed anything is one step of the Records tab's history: the records it made and
        what it added to records already there (an imaging report joining its study)."""
        return self.undo_stack is not None and self.context is not None and bool(result.record_ids)

    def _done_text(self, result: ImportResult) -> str:
        text = result.sentence()
        if self._undoable(result):
            text += " Edit › Undo takes the import away again."
        return text

    def _remember(self, result: ImportResult) -> None:
        """The import becomes one step of the Records tab's history (its first redo only shows the records)."""
        if not self._undoable(result):
            return
        assert self.undo_stack is not None and self.context is not None
        from secondopinion_desktop.ui.records.commands import PortalImportCommand

        name = self.preview.name if self.preview is not None else ""
        self.undo_stack.push(PortalImportCommand(self.context, result, name))

    def _closing_words(self) -> None:
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


def open_portal_import(
    parent: QWidget | None,
    folder: DataFolder,
    path: Path | None = None,
    *,
    undo_stack: QUndoStack | None = None,
    context: RecordsContext | None = None,
    note: str = "",
) -> PortalImportDialog:
    """Show the import dialog (window-modal): reading ``path`` at once when given (a drop), else waiting for the
    person to choose a file or a folder (File › Import records from a portal…)."""
    dialog = PortalImportDialog(folder, parent, path=path, undo_stack=undo_stack, context=context, note=note)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
    if path is None:
        dialog.choose_file_button.setDefault(True)
        dialog.choose_file_button.setFocus(Qt.FocusReason.OtherFocusReason)
    return dialog
