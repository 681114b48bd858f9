"""The Guidance tab: the guide on the left; the checklist, what's still missing and the questions beside it."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.guidance import load_sections
from secondopinion_desktop.ui.guidance.checklist import ChecklistPanel
from secondopinion_desktop.ui.guidance.missing import MissingPanel
from secondopinion_desktop.ui.guidance.questions import QuestionsPanel
from secondopinion_desktop.ui.guidance.reader import GuideReader

SPLITTER_KEY = "guidance/splitter"
SIDE_KEY = "guidance/side"
SECTION_KEY = "guidance/section"


class GuidanceTab(QWidget):
    openRecord = Signal(int)  # noqa: N815 - show this record in the Records tab
    markRequested = Signal(int)  # noqa: N815 - move this record from needed to requested
    addRecord = Signal(object, str)  # noqa: N815 - new record of this kind with this title
    editProfile = Signal()  # noqa: N815 - open the patient profile (its checklist step, or Still missing)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Guidance")
        self.folder: DataFolder | None = None
        self.reader = GuideReader(load_sections())
        self.checklist = ChecklistPanel()
        self.missing = MissingPanel()
        self.questions = QuestionsPanel()
        self.side = QTabWidget()
        self.side.setObjectName("guidanceSide")
        self.side.addTab(self.checklist, "Checklist")
        self.side.addTab(self.missing, "Still missing")
        self.side.addTab(self.questions, "Questions")
        self.checklist.progressChanged.connect(self._checklist_title)
        self.checklist.openSection.connect(self.reader.show_section)
        self.missing.countChanged.connect(self._missing_title)
        self.missing.openRecord.connect(self.openRecord)
        self.missing.markRequested.connect(self.markRequested)
        self.missing.addRecord.connect(self.addRecord)
        self.missing.editProfile.connect(self.editProfile)
        self.checklist.editProfile.connect(self.editProfile)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("guidanceSplitter")
        self.splitter.addWidget(self.reader)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)
        self._restore_settings()

    def set_folder(self, folder: DataFolder) -> None:
        self.folder = folder
        self.checklist.set_folder(folder)
        self.missing.set_folder(folder)
        self.questions.set_folder(folder)
        self.side.setTabText(2, f"Questions ({self.questions.question_count()})")

    def inventory_changed(self) -> None:
        """The records changed: what is missing (and the per-facility progress) may have too.

        Reading the whole inventory is not free, so while the tab is hidden this only notes it; the tab
        catches up when it is shown.
        """
        if self.isVisible():
            self._catch_up()
        else:
            self._stale = True

    def profile_changed(self) -> None:
        """The patient profile changed: Still missing and the checklist's profile step may have too."""
        self.inventory_changed()

    def _catch_up(self) -> None:
        self._stale = False
        self.missing.refresh()
        self.checklist.reload()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        """Catch up on record changes; and re-read the checklist, whose steps tick themselves from what the
        other tabs changed meanwhile (appointments, questions, the directory, the profile)."""
        if getattr(self, "_stale", False):
            self._catch_up()
        elif self.folder is not None:
            self.checklist.reload()
        super().showEvent(event)

    def _checklist_title(self, done: int, total: int) -> None:
        self.side.setTabText(0, f"Checklist ({done} of {total})")

    def _missing_title(self, count: int) -> None:
        self.side.setTabText(1, f"Still missing ({count})" if count else "Still missing")

    def _restore_settings(self) -> None:
        settings = QSettings()
        state = settings.value(SPLITTER_KEY)
        if state is None or not self.splitter.restoreState(state):
            self.splitter.setSizes([640, 460])
        self.side.setCurrentIndex(int(settings.value(SIDE_KEY, 0, type=int)))
        self.reader.show_section(str(settings.value(SECTION_KEY, "") or ""))

    def shutdown(self) -> None:
        self.checklist.save_note()
        settings = QSettings()
        settings.setValue(SPLITTER_KEY, self.splitter.saveState())
        settings.setValue(SIDE_KEY, self.side.currentIndex())
        settings.setValue(SECTION_KEY, self.reader.current_key)
