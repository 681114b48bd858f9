"""The questions of one appointment: an ordered list (drag to reorder), answered check boxes, the answer
editor (saved as you type), adding from the question bank or typing your own, removing.

The list shows a ``QuestionsModel``; a drag or Alt+Up / Alt+Down is the model's ``moveRows``, and the new order
is stored at once (``core.appointments.reorder_questions``). ``questionsChanged`` is emitted after each change
that was stored (the tab announces it).
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, SecondOpinionError
from secondopinion_desktop.ui.appointments.question_bank import QuestionBankDialog
from secondopinion_desktop.ui.appointments.questions_model import QuestionsModel
from secondopinion_desktop.ui.widgets.autosave import Autosave
from secondopinion_desktop.ui.widgets.forms import set_placeholder

ANSWER_SAVE_DELAY_MS = 1000


class QuestionList(QListView):
    """The appointment's questions; rows are moved by dragging (or Alt+Up / Alt+Down), through the model."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setSpacing(2)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )

    def count(self) -> int:
        return self.model().rowCount() if self.model() is not None else 0

    def currentRow(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def setCurrentRow(self, row: int) -> None:
        self.setCurrentIndex(self.model().index(row, 0) if row >= 0 else QModelIndex())


class QuestionsPane(QWidget):
    """Works on one appointment at a time (``set_appointment``); every change goes straight to the core."""

    questionsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.appointment_id: int | None = None
        self._loading = False
        self._answer_for: int | None = None  # the question whose answer the editor shows

        self.title = QLabel("&Questions")
        self.title.setObjectName("questionsTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.model = QuestionsModel(self)
        self.model.changeRequested.connect(self._change)
        self.model.orderChanged.connect(self._persist_order)
        self.list = QuestionList()
        self.list.setObjectName("questionList")
        self.list.setAccessibleName("Questions for this appointment")
        self.list.setAccessibleDescription(
            "Tick a question when it has been answered. Drag, or press Alt+Up and Alt+Down, to change the order; "
            "F2 edits the wording; Delete removes it."
        )
        self.list.setModel(self.model)
        self.title.setBuddy(self.list)
        self.list.selectionModel().currentChanged.connect(self._current_changed)

        self.up_button = self._tool("▲", "Move the question up (Alt+Up)", "moveUpButton", lambda: self.move(-1))
        self.down_button = self._tool("▼", "Move the question down (Alt+Down)", "moveDownButton",
                                      lambda: self.move(1))
        for key, step in (("Alt+Up", -1), ("Alt+Down", 1)):
            shortcut = QShortcut(QKeySequence(key), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda step=step: self.move(step))
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_question)

        self.new_edit = QLineEdit()
        self.new_edit.setObjectName("newQuestionEdit")
        self.new_edit.setAccessibleName("Type a question of your own")
        self.new_edit.setPlaceholderText("Type a question of your own and press Enter…")
        self.new_edit.returnPressed.connect(self.add_typed_question)
        self.add_button = QPushButton("&Add")
        self.add_button.setObjectName("addQuestionButton")
        self.add_button.setAccessibleName("Add the typed question")
        self.add_button.clicked.connect(lambda: self.add_typed_question())
        self.bank_button = QPushButton("From question ban&k…")
        self.bank_button.setObjectName("questionBankButton")
        self.bank_button.setAccessibleName("Add questions from the question bank")
        self.bank_button.setToolTip("Pick questions from the guide's question bank and your own saved ones")
        self.bank_button.clicked.connect(lambda: self.add_from_bank())
        self.remove_button = QPushButton("Remo&ve")
        self.remove_button.setObjectName("removeQuestionButton")
        self.remove_button.setAccessibleName("Remove the selected question")
        self.remove_button.setToolTip("Remove the selected question (Delete)")
        self.remove_button.clicked.connect(lambda: self.remove_question())

        self.answer_label = QLabel("Ans&wer")
        self.answer_label.setObjectName("answerLabel")
        self.answer_label.setWordWrap(True)
        self.answer_edit = QPlainTextEdit()
        self.answer_edit.setObjectName("answerEdit")
        self.answer_edit.setAccessibleName("Answer to the selected question")
        self.answer_edit.setTabChangesFocus(True)
        self.answer_label.setBuddy(self.answer_edit)
        self.answer_edit.textChanged.connect(self._answer_typed)
        self.answer_edit.installEventFilter(self)
        self.answer_saver = Autosave(self._save_answer, ANSWER_SAVE_DELAY_MS, 3000, self)

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.up_button)
        head.addWidget(self.down_button)
        adding = QHBoxLayout()
        adding.addWidget(self.new_edit, 1)
        adding.addWidget(self.add_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.bank_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(head)
        top_layout.addWidget(self.list, 1)
        top_layout.addLayout(adding)
        top_layout.addLayout(buttons)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.answer_label)
        bottom_layout.addWidget(self.answer_edit, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("questionsSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.setTabOrder(self.list, self.new_edit)
        self.setTabOrder(self.new_edit, self.add_button)
        self.setTabOrder(self.add_button, self.bank_button)
        self.setTabOrder(self.bank_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.answer_edit)
        self._update_actions()

    def _tool(self, text: str, tip: str, name: str, slot) -> QToolButton:  # type: ignore[no-untyped-def]
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setObjectName(name)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard way is Alt+Up / Alt+Down in the list
        button.clicked.connect(slot)
        return button

    # --- showing ---------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder | None) -> None:
        self.folder = folder

    def set_appointment(self, appointment: svc.AppointmentData | None, select: int | None = None) -> None:
        """Show this appointment's questions (saving a pending answer of the one shown before)."""
        self.flush()
        self.appointment_id = appointment.id if appointment else None
        self._fill(appointment.questions if appointment else (), select)

    def reload(self, select: int | None = None) -> None:
        if self.folder is None or self.appointment_id is None:
            return
        try:
            appointment = svc.get_appointment(self.folder, self.appointment_id)
        except NotFoundError:
            self.set_appointment(None)
            return
        self._fill(appointment.questions, select if select is not None else self.current_question_id())

    def _fill(self, questions: tuple[svc.AppointmentQuestionData, ...], select: int | None) -> None:
        self._loading = True
        try:
            self.model.set_questions(questions)
            row = self.model.row_of(select)
            if row >= 0:
                self.list.setCurrentRow(row)
        finally:
            self._loading = False
        self._show_answer()
        self._update_title()
        self._update_actions()

    @property
    def questions(self) -> dict[int, svc.AppointmentQuestionData]:
        """The questions shown, by id."""
        return {q.id: q for q in self.model.questions}

    def _update_title(self) -> None:
        total = self.model.rowCount()
        answered = self.model.answered_count()
        self.title.setText(f"&Questions ({answered} of {total} answered)" if total else "&Questions")

    def _update_actions(self) -> None:
        has_appointment = self.appointment_id is not None and self.folder is not None
        current = self.list.currentRow()
        for widget in (self.new_edit, self.add_button, self.bank_button, self.list):
            widget.setEnabled(has_appointment)
        self.remove_button.setEnabled(has_appointment and current >= 0)
        self.up_button.setEnabled(has_appointment and current > 0)
        self.down_button.setEnabled(has_appointment and 0 <= current < self.list.count() - 1)

    def current_question_id(self) -> int | None:
        question = self.model.question_at(self.list.currentRow())
        return question.id if question is not None else None

    def question_ids(self) -> list[int]:
        return self.model.ids()

    # --- the answer editor -----------------------------------------------------------------------------------

    def _current_changed(self, *_args: object) -> None:
        if self._loading:
            return
        self.flush()
        self._show_answer()
        self._update_actions()

    def _show_answer(self) -> None:
        question = self.model.question_at(self.list.currentRow())
        self._answer_for = question.id if question else None
        self._loading = True
        try:
            self.answer_edit.setPlainText(question.answer if question else "")
        finally:
            self._loading = False
        self.answer_edit.setEnabled(question is not None)
        if question is None:
            self.answer_label.setText("Ans&wer")
            set_placeholder(
                self.answer_edit,
                "Select a question to write down the doctor's answer." if self.model.rowCount()
                else "Add the questions you want answered; then write the answers here during the visit."
            )
        else:
            self._show_answer_label(question)
            set_placeholder(self.answer_edit, "What the doctor said (saved as you type)")

    def _show_answer_label(self, question: svc.AppointmentQuestionData) -> None:
        shown = question.text if len(question.text) < 140 else question.text[:137] + "…"
        self.answer_label.setText(f"Ans&wer to “{shown.replace('&', '&&')}”")

    def _answer_typed(self) -> None:
        if not self._loading and self._answer_for is not None:
            self.answer_saver.changed()

    def _save_answer(self) -> None:
        question_id = self._answer_for
        if self.folder is None or question_id is None:
            return
        try:
            saved = svc.answer_question(self.folder, question_id, answer=self.answer_edit.toPlainText())
        except NotFoundError:
            return  # removed meanwhile
        except SecondOpinionError as exc:
            self.answer_saver.pending = True
            QMessageBox.warning(self, "Answer not saved", str(exc))
            return
        self._stored(saved)

    def _stored(self, saved: svc.AppointmentQuestionData) -> None:
        self.model.replace(saved)
        self._update_title()
        if saved.id == self._answer_for:
            self._show_answer_label(saved)
        self.questionsChanged.emit()

    def flush(self) -> None:
        """Save the answer being typed now (on leaving the question, the appointment or the app)."""
        self.answer_saver.flush()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.answer_edit and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return super().eventFilter(watched, event)

    # --- list edits (through the model) ----------------------------------------------------------------------

    def _change(self, question_id: int, text: str | None, answered: bool | None) -> None:
        """The model asks to reword a question or to tick it: store it, then show what was stored."""
        if self.folder is None:
            return
        if question_id == self._answer_for:
            self.flush()  # the typed answer first: typing an answer marks the question answered
        try:
            saved = svc.change_question(self.folder, question_id, text=text, answered=answered)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Questions", str(exc))
            self.reload()
            return
        self._stored(saved)

    def _persist_order(self, ids: list[int]) -> None:
        """Store the order the model has now (after a drag, or Alt+Up / Alt+Down)."""
        if self.folder is None or self.appointment_id is None:
            return
        try:
            svc.reorder_questions(self.folder, self.appointment_id, ids)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Questions", str(exc))
            self.reload()
            return
        self._update_actions()
        self.questionsChanged.emit()

    def move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        self.flush()
        destination = target + 1 if step > 0 else target  # Qt's moveRow counts the row before which it lands
        self.model.moveRow(QModelIndex(), row, QModelIndex(), destination)
        self.list.setCurrentRow(target)
        self._update_actions()

    def add_typed_question(self) -> None:
        text = self.new_edit.text()
        if not text.strip():
            self.new_edit.setFocus()
            return
        if self._add([text]):
            self.new_edit.clear()

    def _add(self, texts: list[str]) -> bool:
        if self.folder is None or self.appointment_id is None:
            return False
        try:
            added = svc.add_questions(self.folder, self.appointment_id, texts)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Questions", str(exc))
            return False
        self.reload(select=added[-1].id if added else None)
        self.questionsChanged.emit()
        return True

    def add_from_bank(self) -> list[str]:
        if self.folder is None or self.appointment_id is None:
            return []
        dialog = QuestionBankDialog(self.folder, [q.text for q in self.model.questions], parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        chosen = dialog.chosen() if accepted else []
        dialog.deleteLater()
        if chosen:
            self._add(chosen)
        # back to typing: a question typed before opening the bank is still there, ready to finish or add
        self.new_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return chosen

    def remove_question(self) -> None:
        question_id = self.current_question_id()
        if self.folder is None or question_id is None:
            return
        self.flush()
        question = self.questions[question_id]
        if question.answer.strip():
            answer = QMessageBox.question(
                self, "Remove question",
                f"Remove “{question.text}”? Its written answer goes with it.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        row = self.list.currentRow()
        with contextlib.suppress(NotFoundError):  # removed meanwhile
            svc.remove_question(self.folder, question.id)
        self.answer_saver.cancel()
        self._answer_for = None
        ids = [i for i in self.question_ids() if i != question.id]
        self.reload(select=ids[min(row, len(ids) - 1)] if ids else None)
        self.questionsChanged.emit()
