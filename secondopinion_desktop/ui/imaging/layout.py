"""The import dialog's widgets and how they are laid out: the folder, the scan bar, the warning banner, the studies
tree, the skipped files, where the images go, the status line and the buttons. What they do is in ``dialog``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.ui.imaging.scan_view import StudiesModel, StudiesView
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

BANNER_STYLE = (
    "QLabel { background: #fff3cd; color: #5c4400; border: 1px solid #e0b84c; border-radius: 4px; padding: 8px; }"
)


class ImportDialogLayout(QDialog):
    """Builds the widgets (nothing connected yet); ``ImportImagingDialog`` gives them their behaviour."""

    NEW_RECORDS = 0
    ATTACH = 1

    def _build(self, record_title: str | None) -> None:
        """``record_title``: the record selected in the Records tab, which the images may be attached to."""
        # step 1: the folder
        self.folder_label = QLabel("Choose the CD, USB stick or folder that holds the images.")
        self.folder_label.setObjectName("imagingFolder")
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = QPushButton("&Choose folder…")
        self.choose_button.setObjectName("chooseFolderButton")
        self.choose_button.setAccessibleName("Choose the folder or CD to import from")
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

        self.studies = StudiesModel(self)
        self.tree = StudiesView(self.studies)
        metrics = self.fontMetrics()
        self.select_all = QPushButton("&All")
        self.select_all.setAccessibleName("Tick all studies of your own that are not imported yet")
        self.select_none = QPushButton("&None")
        self.select_none.setAccessibleName("Untick all studies")
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
        if record_title is not None:
            self.attach.setText(f"Attach to the selected record: “{record_title}”")
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
        self.remove_button.hide()
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("importButton")
        self.import_button.setAccessibleName("Import the ticked studies")
        self.import_button.setDefault(True)
        self.import_button.setAutoDefault(True)
        self.close_button = QPushButton("Cancel")
        self.close_button.setObjectName("closeButton")
        self.close_button.setAccessibleName("Close without importing")
        self.close_button.setAutoDefault(False)
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
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("imagingScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        fit_to_screen(self, 1040, 720, min_width=640, min_height=420)
