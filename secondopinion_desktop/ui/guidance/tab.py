"""The Guidance tab: the guide on the left; the checklist, what's still missing and the questions beside it.

Data path: each panel reads through one core call that takes the folder (``core.checklist``,
``core.readiness.whats_missing``, ``core.questions``, ``core.guidance_data``); what the panels change is
announced (``ui.events``) with the tab as initiator; the tab watches what the other tabs announce and reloads
the panels that show it (at once while visible, once when shown again while hidden). Requests of other tabs
(show a record, a new record, the profile, mark a record requested) go through ``ui.events.requests()``; the
main window answers them.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.guidance import load_sections
from secondopinion_desktop.ui.events import Changes, Watcher, announce, watch
from secondopinion_desktop.ui.guidance.checklist import ChecklistPanel
from secondopinion_desktop.ui.guidance.missing import MissingPanel
from secondopinion_desktop.ui.guidance.questions import QuestionsPanel
from secondopinion_desktop.ui.guidance.reader import GuideReader
from secondopinion_desktop.ui.state import restore_layout, save_layout

LAYOUT_KEY = "guidance"
SIDE_KEY = "guidance/side"
SECTION_KEY = "guidance/section"

#: What Still missing reads: the records (and their files and imaging), the profile, the treatments, the requests
#: for records, the slide shipments and the appointments (one before the consultant has the slides is said).
MISSING_SHOWS = (Changes.RECORDS | Changes.ATTACHMENTS | Changes.IMAGING | Changes.PROFILE | Changes.TREATMENTS
                 | Changes.REQUESTS | Changes.SHIPMENTS | Changes.APPOINTMENTS)
#: What ticks checklist steps by itself: nearly everything in the folder.
CHECKLIST_SHOWS = (MISSING_SHOWS | Changes.CHECKLIST | Changes.QUESTIONS | Changes.APPOINTMENTS
                   | Changes.DIRECTORY)
QUESTIONS_SHOWS = Changes.QUESTIONS


class GuidanceTab(QWidget):
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
        self.checklist.changed.connect(self._own_change)
        self.questions.changed.connect(self._own_change)
        self.missing.countChanged.connect(self._missing_title)

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
        self._fresh = False  # the watcher has just reloaded everything (no second reload on this Show)
        self.watcher: Watcher = watch(self, CHECKLIST_SHOWS, self._reload, skip_own=True)

    def set_folder(self, folder: DataFolder) -> None:
        self.folder = folder
        self.watcher.pending = Changes.NONE
        self.checklist.set_folder(folder)
        self.missing.set_folder(folder)
        self.questions.set_folder(folder)
        self._questions_title()

    # --- what changed ------------------------------------------------------------------------------------

    def _reload(self, changes: Changes) -> None:
        """Reload the panels that show something in ``changes`` (announced by another part of the window)."""
        if self.folder is None:
            return
        if changes & Changes.FOLDER:
            changes = Changes.EVERYTHING
        if changes & MISSING_SHOWS:
            self.missing.refresh()
        if changes & CHECKLIST_SHOWS:
            self.checklist.reload()
        if changes & QUESTIONS_SHOWS:
            self.questions.reload()
            self._questions_title()
        self._fresh = True

    def _own_change(self, changes: Changes) -> None:
        """A panel of this tab changed the folder: tell the window; refresh the other panels it affects."""
        announce(changes, self)
        if changes & Changes.QUESTIONS:
            self._questions_title()
            self.checklist.reload()  # "questions written" may tick itself

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        """The watcher has caught up on what was announced meanwhile; the checklist is re-read once more, for
        the steps that tick themselves from changes not announced."""
        if not self._fresh and self.folder is not None:
            self.checklist.reload()
        self._fresh = False
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self._fresh = False  # what is reloaded while shown says nothing about what changes while hidden
        super().hideEvent(event)

    # --- titles and layout -------------------------------------------------------------------------------

    def _checklist_title(self, done: int, total: int) -> None:
        self.side.setTabText(0, f"Checklist ({done} of {total})")

    def _missing_title(self, count: int) -> None:
        self.side.setTabText(1, f"Still missing ({count})" if count else "Still missing")

    def _questions_title(self) -> None:
        self.side.setTabText(2, f"Questions ({self.questions.question_count()})")

    def _restore_settings(self) -> None:
        if "splitter/guidanceSplitter" not in restore_layout(self, LAYOUT_KEY):
            self.splitter.setSizes([640, 460])
        settings = QSettings()
        self.side.setCurrentIndex(int(settings.value(SIDE_KEY, 0, type=int)))
        self.reader.show_section(str(settings.value(SECTION_KEY, "") or ""))

    def shutdown(self) -> None:
        self.checklist.save_note()
        save_layout(self, LAYOUT_KEY)
        settings = QSettings()
        settings.setValue(SIDE_KEY, self.side.currentIndex())
        settings.setValue(SECTION_KEY, self.reader.current_key)
