"""The checklist panel: the guide's steps and the patient's own, ticked off with a date, with notes/answers.

Read and changed through ``core.checklist`` called with the folder (each call a transaction of its own); a
change is told through ``changed`` (the tab announces it). The steps are a ``ChecklistModel``
(``checklist_model.py``) in a ``QListView``; the model is reset with the rows as they are after each change.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TypeVar

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import checklist as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes, requests
from secondopinion_desktop.ui.guidance.checklist_model import ChecklistModel

T = TypeVar("T")

NOTE_SAVE_DELAY_MS = 800
FACILITY_STEP = "request-records"
PROFILE_STEP = "fill-profile"


class ChecklistPanel(QWidget):
    """List of steps with check boxes; the selected step's help, note and answers below."""

    openSection = Signal(str)
    progressChanged = Signal(int, int)
    changed = Signal(object)  # Changes: what this panel changed in the folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.entries: list[svc.ChecklistEntry] = []
        self._loading = False

        self.progress_label = QLabel()
        self.progress_label.setObjectName("checklistProgress")
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(8)
        self.progress_bar.setAccessibleName("Checklist progress")

        self.model = ChecklistModel(self)
        self.model.checkRequested.connect(self._check_requested)
        self.list = QListView()
        self.list.setObjectName("checklistList")
        self.list.setAccessibleName("Checklist steps")
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.setUniformItemSizes(False)
        self.list.setModel(self.model)
        self.list.selectionModel().currentRowChanged.connect(lambda _current, _previous: self._show_details())

        self.new_step = QLineEdit()
        self.new_step.setObjectName("newStepEdit")
        self.new_step.setPlaceholderText("Add a step of your own…")
        self.new_step.setAccessibleName("New step")
        self.new_step.returnPressed.connect(self.add_step)
        self.add_button = QPushButton("Add step")
        self.add_button.clicked.connect(self.add_step)
        self.remove_button = QPushButton("Remove step")
        self.remove_button.setAccessibleName("Remove the selected step of your own")
        self.remove_button.clicked.connect(self.remove_step)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_step, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)

        # details of the selected step
        self.details = QWidget()
        self.help_label = QLabel()
        self.help_label.setObjectName("stepHelp")
        self.help_label.setWordWrap(True)
        self.help_label.setTextFormat(Qt.TextFormat.RichText)
        self.help_label.setOpenExternalLinks(False)
        self.help_label.linkActivated.connect(self._link)
        self.data_label = QLabel()
        self.data_label.setObjectName("stepShownByData")
        self.data_label.setWordWrap(True)
        self.data_label.setTextFormat(Qt.TextFormat.PlainText)
        self.profile_button = QPushButton("Fill in the profi&le…")
        self.profile_button.setObjectName("fillProfileButton")
        self.profile_button.setAccessibleName("Fill in the patient profile")
        self.profile_button.clicked.connect(lambda _checked=False: requests().editProfile.emit())
        self.profile_button.hide()
        self.answers_form = QFormLayout()
        self.answer_widgets: dict[str, QComboBox | QLineEdit] = {}
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("stepNote")
        self.note_edit.setAccessibleName("Note for this step")
        self.note_edit.setPlaceholderText("A note: who you spoke to, what they said, what happens next…")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setMinimumHeight(70)
        self.note_edit.textChanged.connect(self._note_edited)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_DELAY_MS)
        self._note_timer.timeout.connect(self.save_note)
        details_layout = QVBoxLayout(self.details)
        details_layout.setContentsMargins(0, 4, 0, 0)
        details_layout.addWidget(self.help_label)
        details_layout.addWidget(self.data_label)
        details_layout.addWidget(self.profile_button, 0, Qt.AlignmentFlag.AlignLeft)
        details_layout.addLayout(self.answers_form)
        note_label = QLabel("&Note:")
        note_label.setBuddy(self.note_edit)
        details_layout.addWidget(note_label)
        details_layout.addWidget(self.note_edit, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.progress_label)
        top_layout.addWidget(self.progress_bar)
        top_layout.addWidget(self.list, 1)
        top_layout.addLayout(add_row)
        # The step's details scroll, so with large text they never squeeze the list of steps to a line or two.
        details_scroll = QScrollArea()
        details_scroll.setObjectName("checklistDetailsScroll")
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        details_scroll.setWidget(self.details)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("checklistSplitter")
        splitter.addWidget(top)
        splitter.addWidget(details_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._update_buttons()

    # --- loading -----------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder) -> None:
        self.folder = folder
        self.reload()

    def reload(self, select_id: int | None = None) -> None:
        if self.folder is None:
            return
        self.save_note()
        current = select_id if select_id is not None else self.current_id()
        self.entries = svc.list_checklist(self.folder)
        self._loading = True
        try:
            self.model.set_entries(self.entries)
        finally:
            self._loading = False
        row = max(self.model.row_of(current), 0)
        if self.entries:
            self.list.setCurrentIndex(self.model.index(row, 0))
        self._show_details()
        done, total = svc.progress(self.entries)
        self.progress_label.setText(f"<b>{done} of {total} done</b>")
        self.progress_bar.setMaximum(max(total, 1))
        self.progress_bar.setValue(done)
        self.progressChanged.emit(done, total)

    def entry(self, key: str) -> svc.ChecklistEntry | None:
        """The guide's step with this key."""
        return next((e for e in self.entries if e.key == key), None)

    def index_of(self, key: str) -> QModelIndex:
        """The model index of the guide's step with this key (invalid when there is none)."""
        return self.model.index_of_key(key)

    def current_id(self) -> int | None:
        entry = self.model.entry_at(self.list.currentIndex().row()) if self.list.currentIndex().isValid() else None
        return entry.id if entry is not None else None

    def current_entry(self) -> svc.ChecklistEntry | None:
        current = self.current_id()
        return next((e for e in self.entries if e.id == current), None)

    # --- editing -----------------------------------------------------------------------------------------

    def _check_requested(self, item_id: int, done: bool) -> None:
        """A step's box was ticked or unticked (by mouse or Space): store it, show the rows as they now are."""
        if self._loading or self.folder is None:
            return
        self._run(lambda folder: svc.set_done(folder, item_id, done))
        self.reload(item_id)

    def add_step(self) -> None:
        text = self.new_step.text()
        if not text.strip():
            self.new_step.setFocus()
            return
        entry = self._run(lambda folder: svc.add_item(folder, text))
        if entry is not None:
            self.new_step.clear()
            self.reload(entry.id)

    def remove_step(self) -> None:
        entry = self.current_entry()
        if entry is None or not entry.custom:
            return
        answer = QMessageBox.question(
            self, "Remove step", f"Remove the step “{entry.title}”?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._run(lambda folder: svc.remove_item(folder, entry.id))
            self.reload()

    def _note_edited(self) -> None:
        if not self._loading:
            self._note_timer.start()

    def save_note(self) -> None:
        """Store the note now (it is also stored a moment after typing stops, and when leaving the step)."""
        self._note_timer.stop()
        entry = self._details_entry if hasattr(self, "_details_entry") else None
        if entry is None or self.folder is None:
            return
        text = self.note_edit.toPlainText()
        if text != entry.note:
            updated = self._run(lambda folder: svc.set_note(folder, entry.id, text))
            if updated is not None:
                self._details_entry = updated
                self.entries = [updated if e.id == updated.id else e for e in self.entries]

    def _answer_changed(self, key: str) -> None:
        entry = getattr(self, "_details_entry", None)
        if self._loading or entry is None:
            return
        widget = self.answer_widgets[key]
        value = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
        updated = self._run(lambda folder: svc.set_answers(folder, entry.id, {key: value}))
        if updated is not None:
            self._details_entry = updated
            self.entries = [updated if e.id == updated.id else e for e in self.entries]

    # --- details -----------------------------------------------------------------------------------------

    def _show_details(self) -> None:
        if getattr(self, "_details_entry", None) is not None:
            self.save_note()
        entry = self.current_entry()
        self._details_entry = entry
        self._loading = True
        try:
            while self.answers_form.rowCount():
                self.answers_form.removeRow(0)
            self.answer_widgets = {}
            self.profile_button.setVisible(entry is not None and entry.key == PROFILE_STEP)
            self.data_label.setText(self._data_text(entry) if entry is not None else "")
            self.data_label.setVisible(bool(self.data_label.text()))
            if entry is None:
                self.help_label.setText("")
                self.note_edit.setPlainText("")
                self.details.setEnabled(False)
                return
            self.details.setEnabled(True)
            parts = [f"<b>{escape(entry.title)}</b>"]
            if entry.help:
                parts.append(escape(entry.help))
            if entry.key == FACILITY_STEP:
                parts.append(self._facility_progress())
            if entry.section:
                parts.append(f'<a href="section:{escape(entry.section)}">Read about this in the guide</a>')
            self.help_label.setText("<br>".join(p for p in parts if p))
            for spec in entry.fields:
                if spec.choices:
                    widget: QComboBox | QLineEdit = QComboBox()
                    widget.addItem("")
                    widget.addItems(list(spec.choices))
                    widget.setCurrentText(entry.answers.get(spec.key, ""))
                    widget.currentTextChanged.connect(lambda _t, k=spec.key: self._answer_changed(k))
                else:
                    widget = QLineEdit(entry.answers.get(spec.key, ""))
                    widget.editingFinished.connect(lambda k=spec.key: self._answer_changed(k))
                widget.setObjectName(f"answer_{spec.key}")
                widget.setAccessibleName(spec.label)
                self.answers_form.addRow(spec.label, widget)
                self.answer_widgets[spec.key] = widget
            self.note_edit.setPlainText(entry.note)
        finally:
            self._loading = False
            self._update_buttons()

    @staticmethod
    def _data_text(entry: svc.ChecklistEntry) -> str:
        if not entry.shown_by_data:
            return ""
        shown = entry.shown_by_data[0].upper() + entry.shown_by_data[1:]
        if entry.done_by_data:
            return f"Done — {shown}. Ticked for you because your data shows it; untick it if it is not done yet."
        if entry.unticked:
            return f"Your data shows: {shown}. You unticked this step, so it stays unticked until you tick it."
        return ""

    def _facility_progress(self) -> str:
        """Per facility: how many of its records are still to request — the step's live progress."""
        if self.folder is None:
            return ""
        from secondopinion_desktop.core.guidance_data import facility_progress

        facilities = facility_progress(self.folder)
        if not facilities:
            return "<i>Add your records in the Records tab to see what to ask each facility for.</i>"
        lines = []
        for facility in facilities:
            name, needed, total = facility.name, facility.needed, facility.total
            if needed:
                state = f"{needed} of {plural(total, 'record')} still to request"
            else:
                state = f"all {plural(total, 'record')} requested or in hand" if total > 1 else (
                    "its record is requested or in hand")
            lines.append(f"{escape(name)}: {state}")
        return "<br>".join(lines)

    def _link(self, href: str) -> None:
        if href.startswith("section:"):
            self.openSection.emit(href.removeprefix("section:"))

    def _update_buttons(self) -> None:
        entry = self.current_entry()
        self.remove_button.setEnabled(entry is not None and entry.custom)

    # --- errors ------------------------------------------------------------------------------------------

    def _run(self, change: Callable[[DataFolder], T]) -> T | None:
        """``change(folder)``: one core call that changes the checklist; its result, or None when it was refused
        (the reason shown)."""
        assert self.folder is not None
        try:
            result = change(self.folder)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Checklist", str(exc))
            return None
        self.changed.emit(Changes.CHECKLIST)
        return result
