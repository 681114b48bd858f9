"""The Guidance tab: the guide on the left; the checklist, what's still missing and the questions beside it.

Data path: each panel reads through one core call that takes the folder (``core.checklist``,
``core.readiness.whats_missing``, ``core.questions``, ``core.guidance_data``); what the panels change is
announced (``ui.events``) with the tab as initiator; the tab watches what the other tabs announce and reloads
the panels that show it (at once while visible, once when shown again while hidden). Requests of other tabs
(show a record, a new record, the profile) go through ``ui.events.requests()``.
"""

from __future__ import annotations

from PySide6.QtCore import QMetaMethod, QSettings, Qt, Signal, SignalInstance
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.guidance import load_sections
from secondopinion_desktop.ui.events import Changes, Watcher, announce, requests, watch
from secondopinion_desktop.ui.guidance.checklist import ChecklistPanel
from secondopinion_desktop.ui.guidance.missing import MissingPanel
from secondopinion_desktop.ui.guidance.questions import QuestionsPanel
from secondopinion_desktop.ui.guidance.reader import GuideReader
from secondopinion_desktop.ui.state import restore_layout, save_layout

LAYOUT_KEY = "guidance"
SIDE_KEY = "guidance/side"
SECTION_KEY = "guidance/section"

#: What Still missing reads: the records (and their files and imaging), the profile and the treatments.
MISSING_SHOWS = Changes.RECORDS | Changes.ATTACHMENTS | Changes.IMAGING | Changes.PROFILE | Changes.TREATMENTS
#: What ticks checklist steps by itself: nearly everything in the folder.
CHECKLIST_SHOWS = (MISSING_SHOWS | Changes.CHECKLIST | Changes.QUESTIONS | Changes.APPOINTMENTS
                   | Changes.DIRECTORY)
QUESTIONS_SHOWS = Changes.QUESTIONS


class GuidanceTab(QWidget):
    # The window's former hand wiring. While one of these is connected the tab uses it; otherwise it asks
    # through ``ui.events.requests()`` (and marks a record requested itself).
    openRecord = Signal(int)  # noqa: N815 - show this record in the Records tab
    markRequested = Signal(int)  # noqa: N815 - move this record from needed to requested (undoable there)
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
        self.checklist.changed.connect(self._own_change)
        self.questions.changed.connect(self._own_change)
        self.missing.countChanged.connect(self._missing_title)
        self.missing.openRecord.connect(self._open_record)
        self.missing.markRequested.connect(self._mark_requested)
        self.missing.addRecord.connect(self._add_record)
        self.missing.editProfile.connect(self._edit_profile)
        self.missing.marked.connect(lambda: self._own_change(Changes.RECORDS))
        self.checklist.editProfile.connect(self._edit_profile)

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

    def _noted(self, changes: Changes) -> None:
        """A change told by hand (not announced): reload now while visible, else when shown."""
        if self.isVisible():
            self._reload(changes)
        else:
            self.watcher.pending |= changes

    def _own_change(self, changes: Changes) -> None:
        """A panel of this tab changed the folder: tell the window; refresh the other panels it affects."""
        announce(changes, self)
        if changes & Changes.QUESTIONS:
            self._questions_title()
            self.checklist.reload()  # "questions written" may tick itself
        if changes & Changes.RECORDS:
            self.missing.refresh()
            self.checklist.reload()

    def inventory_changed(self) -> None:
        """The records changed (told by the Records tab): Still missing and the checklist may have too."""
        self._noted(Changes.RECORDS)

    def profile_changed(self) -> None:
        """The patient profile changed: Still missing and the checklist's profile step may have too."""
        self._noted(Changes.PROFILE)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        """The watcher has caught up on what was announced meanwhile; the checklist is re-read once more, for
        the steps that tick themselves from changes not announced."""
        if not self._fresh and self.folder is not None:
            self.checklist.reload()
        self._fresh = False
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        self._fresh = False  # what is reloaded while shown says nothing about what changes while hidden
        super().hideEvent(event)

    # --- asking the rest of the window -------------------------------------------------------------------

    def _wired(self, signal: SignalInstance) -> bool:
        return self.isSignalConnected(QMetaMethod.fromSignal(signal))

    def _open_record(self, record_id: int) -> None:
        if self._wired(self.openRecord):
            self.openRecord.emit(record_id)
        else:
            requests().showRecord.emit(record_id)

    def _add_record(self, kind: object, title: str) -> None:
        if self._wired(self.addRecord):
            self.addRecord.emit(kind, title)
        else:
            requests().newRecord.emit(kind, title)

    def _edit_profile(self) -> None:
        if self._wired(self.editProfile):
            self.editProfile.emit()
        else:
            requests().editProfile.emit()

    def _mark_requested(self, record_id: int) -> None:
        if self._wired(self.markRequested):
            self.markRequested.emit(record_id)  # the Records tab makes it an undoable step
        else:
            self.missing.mark_requested(record_id)

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
