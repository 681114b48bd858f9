"""The notes taken during a consult: a roomy editor saved as you type, one tab per note when there are several.

Saving happens one second after the last keystroke (and at the latest three seconds after the first unsaved
one, so steady typing is saved too), when the editor loses focus, when another note or appointment is shown,
and on shutdown. There is no Save button. The first keystroke in an appointment without notes starts one.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, SecondOpinionError
from secondopinion_desktop.core.words import plural, started_text
from secondopinion_desktop.ui.widgets.autosave import Autosave
from secondopinion_desktop.ui.widgets.forms import set_placeholder

NOTE_SAVE_DELAY_MS = 1000
NOTE_MAX_WAIT_MS = 3000


class NotesPane(QWidget):
    """The notes of one appointment (``set_appointment``); every change goes straight to the core.

    ``notesChanged`` says a note was started or deleted, ``noteSaved(id)`` that a note's text was stored (every
    second or two while typing); the tab announces both.
    """

    notesChanged = Signal()
    noteSaved = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.appointment: svc.AppointmentData | None = None
        self.notes: list[svc.NoteData] = []
        self.note_id: int | None = None
        self.last_error = ""
        self._loading = False

        self.title = QLabel("N&otes from the visit")
        self.title.setObjectName("notesTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.new_button = QPushButton("&Start a new note")
        self.new_button.setObjectName("newNoteButton")
        self.new_button.setAccessibleName("Start a new note")
        self.new_button.setToolTip("Start a new note stamped with the time now (Ctrl+Shift+N)")
        self.new_button.clicked.connect(self.new_note)
        self.delete_button = QPushButton("Delete note…")
        self.delete_button.setObjectName("deleteNoteButton")
        self.delete_button.setAccessibleName("Delete the note shown")
        self.delete_button.clicked.connect(self.delete_note)

        self.tabs = QTabBar()
        self.tabs.setObjectName("noteTabs")
        self.tabs.setAccessibleName("Notes of this appointment")
        self.tabs.setDocumentMode(True)
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("notesEdit")
        self.editor.setAccessibleName("Notes from the visit")
        self.editor.setAccessibleDescription("Saved automatically as you type.")
        self.editor.setTabChangesFocus(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        bigger = QFont(self.editor.font())
        bigger.setPointSizeF(bigger.pointSizeF() * 1.1 if bigger.pointSizeF() > 0 else 11)
        self.editor.setFont(bigger)
        self.editor.textChanged.connect(self._typed)
        self.editor.installEventFilter(self)
        self.title.setBuddy(self.editor)
        self.saver = Autosave(self._save, NOTE_SAVE_DELAY_MS, NOTE_MAX_WAIT_MS, self)

        self.status = QLabel()
        self.status.setObjectName("noteStatus")
        self.status.setAccessibleName("Note status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.new_button)
        foot = QHBoxLayout()
        foot.addWidget(self.status, 1)
        foot.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.tabs)
        layout.addWidget(self.editor, 1)
        layout.addLayout(foot)
        self.setTabOrder(self.new_button, self.editor)
        self.setTabOrder(self.editor, self.delete_button)
        self._show_note(None)

    # --- showing ---------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder | None) -> None:
        self.folder = folder

    def set_appointment(self, appointment: svc.AppointmentData | None) -> None:
        """Show this appointment's notes (the latest one), saving what was typed in the one shown before."""
        self.flush()
        self.appointment = appointment
        self.notes = list(appointment.notes) if appointment else []
        self._fill_tabs(self.notes[-1].id if self.notes else None)

    def _fill_tabs(self, select: int | None, keep_editor: bool = False) -> None:
        day = self.appointment.starts_at.date() if self.appointment else None
        self._loading = True
        try:
            while self.tabs.count():
                self.tabs.removeTab(0)
            for note in self.notes:
                index = self.tabs.addTab(started_text(note.started_at, day).removeprefix("Started "))
                self.tabs.setTabData(index, note.id)
                first_line = note.text.strip().splitlines()[0][:80] if note.text.strip() else "(empty)"
                self.tabs.setTabToolTip(index, f"{started_text(note.started_at, day)}: {first_line}")
            chosen = next((i for i, n in enumerate(self.notes) if n.id == select), -1)
            if chosen >= 0:
                self.tabs.setCurrentIndex(chosen)
        finally:
            self._loading = False
        self.tabs.setVisible(len(self.notes) > 1)
        if keep_editor:  # the first keystroke started this note: leave the editor (and its undo) alone
            self.note_id = select
            self.delete_button.setEnabled(True)
            set_placeholder(self.editor, "Saved as you type.")
        else:
            self._show_note(self.notes[chosen] if chosen >= 0 else None)

    def _show_note(self, note: svc.NoteData | None) -> None:
        self.note_id = note.id if note else None
        self._loading = True
        try:
            self.editor.setPlainText(note.text if note else "")
        finally:
            self._loading = False
        has_appointment = self.appointment is not None and self.folder is not None
        self.editor.setEnabled(has_appointment)
        self.new_button.setEnabled(has_appointment)
        self.delete_button.setEnabled(note is not None)
        if not has_appointment:
            set_placeholder(self.editor, "Choose or add an appointment to take notes.")
        elif note is None:
            set_placeholder(
                self.editor,
                "Type here during the visit: what the doctor says, the plan, names, next steps. "
                "A note starts with your first keystroke and is saved as you type."
            )
        else:
            set_placeholder(self.editor, "Saved as you type.")
        self._set_status(self._started() if note else "")

    def _started(self) -> str:
        note = self.current_note()
        if note is None:
            return ""
        day = self.appointment.starts_at.date() if self.appointment else None
        return started_text(note.started_at, day)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #8b1a1a; font-weight: bold;" if error else "")

    def current_note(self) -> svc.NoteData | None:
        return next((n for n in self.notes if n.id == self.note_id), None)

    def _tab_changed(self, index: int) -> None:
        if self._loading or index < 0:
            return
        self.flush()
        note_id = self.tabs.tabData(index)
        self._show_note(next((n for n in self.notes if n.id == note_id), None))

    # --- typing and saving -----------------------------------------------------------------------------------

    def _typed(self) -> None:
        if self._loading or self.appointment is None or self.folder is None:
            return
        if self.note_id is None:
            if not self.editor.toPlainText():
                return
            if self._start(dt.datetime.now(), keep_text=True) is None:
                return
        self.saver.changed()
        self._set_status(f"{self._started()} · typing…")

    def _start(self, when: dt.datetime, keep_text: bool) -> svc.NoteData | None:
        assert self.folder is not None and self.appointment is not None
        try:
            note = svc.start_note(self.folder, self.appointment.id, started_at=when)
        except SecondOpinionError as exc:
            self._set_status(f"Could not start a note: {exc}", error=True)
            return None
        self.notes.append(note)
        self._fill_tabs(note.id, keep_editor=keep_text)
        self.notesChanged.emit()
        return note

    def _save(self) -> None:
        if self.folder is None or self.note_id is None:
            return
        text = self.editor.toPlainText()
        try:
            saved = svc.save_note(self.folder, self.note_id, text)
        except NotFoundError:
            self.last_error = "This note was deleted elsewhere; copy its text before switching away."
            self._set_status(self.last_error, error=True)
            return
        except SecondOpinionError as exc:
            self.saver.pending = True  # still unsaved: the next keystroke, focus change or shutdown tries again
            self.last_error = str(exc)
            self._set_status(f"Not saved: {exc}", error=True)
            return
        self.last_error = ""
        self.notes = [saved if n.id == saved.id else n for n in self.notes]
        self._set_status(f"{self._started()} · saved {dt.datetime.now():%H:%M:%S}")
        self.noteSaved.emit(saved.id)

    def flush(self) -> None:
        """Save what was typed now, if anything is unsaved."""
        self.saver.flush()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.editor and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return super().eventFilter(watched, event)

    # --- note actions ----------------------------------------------------------------------------------------

    def new_note(self) -> svc.NoteData | None:
        """Start a note stamped with the time now and put the cursor in it."""
        if self.folder is None or self.appointment is None:
            return None
        self.flush()
        note = self._start(dt.datetime.now(), keep_text=False)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return note

    def delete_note(self) -> None:
        note = self.current_note()
        if self.folder is None or note is None:
            return
        self.flush()
        text = self.editor.toPlainText().strip()
        size = plural(len(text), "character") if text else "empty"
        answer = QMessageBox.question(
            self, "Delete note", f"Delete the note {self._started().lower()} ({size})?\n\nThis cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.saver.cancel()
        with contextlib.suppress(NotFoundError):  # deleted meanwhile
            svc.delete_note(self.folder, note.id)
        self.notes = [n for n in self.notes if n.id != note.id]
        self._fill_tabs(self.notes[-1].id if self.notes else None)
        self.notesChanged.emit()
