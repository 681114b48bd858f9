"""The questions of one appointment: an ordered list (drag to reorder), answered check boxes, the answer
editor (saved as you type), adding from the question bank or typing your own, removing."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core import questions as bank_svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.widgets.autosave import Autosave
from secondopinion_desktop.ui.widgets.forms import set_placeholder
from secondopinion_desktop.ui.widgets.wrapping import WrappingTree
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

QUESTION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ANSWER_SAVE_DELAY_MS = 1000


class QuestionList(QListWidget):
    """The appointment's questions; rows are moved by dragging (or Alt+Up / Alt+Down)."""

    dropped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setSpacing(2)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        super().dropEvent(event)
        self.dropped.emit()  # in case Qt moved the rows by removing and inserting them


class QuestionsPane(QWidget):
    """Works on one appointment at a time (``set_appointment``); every change goes straight to the core."""

    questionsChanged = Signal()  # noqa: N815 - added, removed, reworded, (un)answered or reordered

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.appointment_id: int | None = None
        self.questions: dict[int, svc.AppointmentQuestionData] = {}
        self._loading = False
        self._answer_for: int | None = None  # the question whose answer the editor shows

        self.title = QLabel("&Questions")
        self.title.setObjectName("questionsTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.list = QuestionList()
        self.list.setObjectName("questionList")
        self.list.setAccessibleName("Questions for this appointment")
        self.list.setAccessibleDescription(
            "Tick a question when it has been answered. Drag, or press Alt+Up and Alt+Down, to change the order; "
            "F2 edits the wording; Delete removes it."
        )
        self.title.setBuddy(self.list)
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.model().rowsMoved.connect(self._rows_moved)
        self.list.dropped.connect(lambda: self._persist_order())

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
        self.add_button.clicked.connect(self.add_typed_question)
        self.bank_button = QPushButton("From question ban&k…")
        self.bank_button.setObjectName("questionBankButton")
        self.bank_button.setAccessibleName("Add questions from the question bank")
        self.bank_button.setToolTip("Pick questions from the guide's question bank and your own saved ones")
        self.bank_button.clicked.connect(self.add_from_bank)
        self.remove_button = QPushButton("Remo&ve")
        self.remove_button.setObjectName("removeQuestionButton")
        self.remove_button.setAccessibleName("Remove the selected question")
        self.remove_button.setToolTip("Remove the selected question (Delete)")
        self.remove_button.clicked.connect(self.remove_question)

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
        with self.folder.session() as session:
            appointment = svc.get_appointment(session, self.appointment_id)
        self._fill(appointment.questions, select if select is not None else self.current_question_id())

    def _fill(self, questions: tuple[svc.AppointmentQuestionData, ...], select: int | None) -> None:
        self._loading = True
        try:
            self.questions = {q.id: q for q in questions}
            self.list.clear()
            for q in questions:
                item = QListWidgetItem(q.text)
                item.setData(QUESTION_ID_ROLE, q.id)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsEditable
                )
                self._style(item, q)
                self.list.addItem(item)
                if q.id == select:
                    self.list.setCurrentItem(item)
        finally:
            self._loading = False
        self._show_answer()
        self._update_title()
        self._update_actions()

    def _style(self, item: QListWidgetItem, q: svc.AppointmentQuestionData) -> None:
        item.setCheckState(Qt.CheckState.Checked if q.answered else Qt.CheckState.Unchecked)
        state = "answered" if q.answered else "not answered yet"
        item.setToolTip(f"{q.text}\n({state}{' — has a written answer' if q.answer.strip() else ''})")

    def _update_title(self) -> None:
        total = len(self.questions)
        answered = sum(q.answered for q in self.questions.values())
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
        item = self.list.currentItem()
        return int(item.data(QUESTION_ID_ROLE)) if item is not None else None

    def question_ids(self) -> list[int]:
        return [int(self.list.item(row).data(QUESTION_ID_ROLE)) for row in range(self.list.count())]

    # --- the answer editor -----------------------------------------------------------------------------------

    def _current_changed(self, *_args: object) -> None:
        if self._loading:
            return
        self.flush()
        self._show_answer()
        self._update_actions()

    def _show_answer(self) -> None:
        question = self.questions.get(self.current_question_id() or -1)
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
                "Select a question to write down the doctor's answer." if self.questions
                else "Add the questions you want answered; then write the answers here during the visit."
            )
        else:
            shown = question.text if len(question.text) < 140 else question.text[:137] + "…"
            self.answer_label.setText(f"Ans&wer to “{shown.replace('&', '&&')}”")
            set_placeholder(self.answer_edit, "What the doctor said (saved as you type)")

    def _answer_typed(self) -> None:
        if not self._loading and self._answer_for is not None:
            self.answer_saver.changed()

    def _save_answer(self) -> None:
        question_id = self._answer_for
        if self.folder is None or question_id is None:
            return
        try:
            with self.folder.session() as session:
                saved = svc.answer_question(session, question_id, answer=self.answer_edit.toPlainText())
        except NotFoundError:
            return  # removed meanwhile
        except SecondOpinionError as exc:
            self.answer_saver.pending = True
            QMessageBox.warning(self, "Answer not saved", str(exc))
            return
        self._stored(saved)

    def _stored(self, saved: svc.AppointmentQuestionData) -> None:
        before = self.questions.get(saved.id)
        self.questions[saved.id] = saved
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(QUESTION_ID_ROLE) == saved.id:
                self._loading = True
                try:
                    self._style(item, saved)
                finally:
                    self._loading = False
        self._update_title()
        if before is None or (before.answered, before.text) != (saved.answered, saved.text):
            self.questionsChanged.emit()  # not for every autosave of the answer text

    def flush(self) -> None:
        """Save the answer being typed now (on leaving the question, the appointment or the app)."""
        self.answer_saver.flush()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.answer_edit and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return super().eventFilter(watched, event)

    # --- list edits ------------------------------------------------------------------------------------------

    def _item_changed(self, item: QListWidgetItem) -> None:
        if self._loading or self.folder is None:
            return
        question = self.questions.get(int(item.data(QUESTION_ID_ROLE)))
        if question is None:
            return
        answered = item.checkState() == Qt.CheckState.Checked
        if question.id == self._answer_for:
            self.flush()  # the typed answer first: typing an answer marks the question answered
            question = self.questions[question.id]
        try:
            with self.folder.session() as session:
                saved = question
                if item.text() != question.text:
                    saved = svc.edit_question(session, question.id, item.text())
                if answered != question.answered:
                    saved = svc.answer_question(session, question.id, answered=answered)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Questions", str(exc))
            self.reload()
            return
        self._loading = True
        try:
            item.setText(saved.text)
        finally:
            self._loading = False
        self._stored(saved)
        if question.id == self._answer_for:
            self._show_answer_label_only(saved)

    def _show_answer_label_only(self, question: svc.AppointmentQuestionData) -> None:
        shown = question.text if len(question.text) < 140 else question.text[:137] + "…"
        self.answer_label.setText(f"Ans&wer to “{shown.replace('&', '&&')}”")

    def _rows_moved(self, _parent: QModelIndex, _start: int, _end: int, _dest: QModelIndex, _row: int) -> None:
        if not self._loading:
            self._persist_order()

    def _persist_order(self, attempt: int = 0) -> None:
        """Store the order the list shows now (after a drag, or Alt+Up / Alt+Down)."""
        if self.folder is None or self.appointment_id is None:
            return
        ids = self.question_ids()
        if len(ids) != len(set(ids)) or set(ids) != set(self.questions):
            # a drop done as insert-then-remove is half-way: look again once the drag has finished
            if attempt < 10:
                QTimer.singleShot(50, lambda: self._persist_order(attempt + 1))
            else:
                self.reload()
            return
        stored = [q.id for q in sorted(self.questions.values(), key=lambda q: q.position)]
        if ids == stored:
            return
        try:
            with self.folder.session() as session:
                appointment = svc.reorder_questions(session, self.appointment_id, ids)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Questions", str(exc))
            self.reload()
            return
        self.questions = {q.id: q for q in appointment.questions}
        self._update_actions()
        self.questionsChanged.emit()

    def move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        self.flush()
        # the same model move a drag makes (QListWidget's drop calls moveRow)
        destination = target + 1 if step > 0 else target
        self.list.model().moveRow(QModelIndex(), row, QModelIndex(), destination)
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
        added: list[int] = []
        try:
            with self.folder.session() as session:
                for text in texts:
                    added.append(svc.add_question(session, self.appointment_id, text).id)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Questions", str(exc))
            return False
        self.reload(select=added[-1] if added else None)
        self.questionsChanged.emit()
        return True

    def add_from_bank(self) -> list[str]:
        if self.folder is None or self.appointment_id is None:
            return []
        dialog = QuestionBankDialog(self.folder, [q.text for q in self.questions.values()], parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        chosen = dialog.chosen() if accepted else []
        dialog.deleteLater()
        if chosen:
            self._add(chosen)
        # back to typing: a question typed before opening the bank is still there, ready to finish or add
        self.new_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return chosen

    def remove_question(self) -> None:
        question = self.questions.get(self.current_question_id() or -1)
        if self.folder is None or question is None:
            return
        self.flush()
        question = self.questions[question.id]
        if question.answer.strip():
            answer = QMessageBox.question(
                self, "Remove question",
                f"Remove “{question.text}”? Its written answer goes with it.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        row = self.list.currentRow()
        with contextlib.suppress(NotFoundError), self.folder.session() as session:
            svc.remove_question(session, question.id)
        self.answer_saver.cancel()
        self._answer_for = None
        ids = [i for i in self.question_ids() if i != question.id]
        self.reload(select=ids[min(row, len(ids) - 1)] if ids else None)
        self.questionsChanged.emit()


class QuestionBankDialog(QDialog):
    """The question bank by group, with check boxes; questions already on the appointment are ticked and
    disabled. ``chosen()`` gives the newly ticked ones in the bank's order."""

    def __init__(self, folder: DataFolder, existing: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("questionBankDialog")
        self.setWindowTitle("Add from the question bank")
        with folder.dry_run() as session:
            groups = bank_svc.question_bank(session)
        have = {text.casefold() for text in existing}
        intro = QLabel("Tick the questions to take along. Those already on this appointment's list are ticked and "
                       "greyed out. Your own questions from the Guidance tab are here too.")
        intro.setWordWrap(True)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("bankFilterEdit")
        self.filter_edit.setAccessibleName("Show questions containing")
        self.filter_edit.setPlaceholderText("Show questions containing…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        self.tree = WrappingTree()
        self.tree.setObjectName("bankTree")
        self.tree.setAccessibleName("Question bank")
        self.items: list[QTreeWidgetItem] = []
        for group in groups:
            parent_item = QTreeWidgetItem([group.title])
            font = parent_item.font(0)
            font.setBold(True)
            parent_item.setFont(0, font)
            parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(parent_item)
            for question in group.questions:
                item = QTreeWidgetItem([question.text + ("  (yours)" if question.custom else "")])
                item.setData(0, Qt.ItemDataRole.UserRole, question.text)
                item.setToolTip(0, question.text)
                if question.text.casefold() in have:
                    item.setCheckState(0, Qt.CheckState.Checked)
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                    item.setText(0, item.text(0) + "  — already on the list")
                else:
                    item.setCheckState(0, Qt.CheckState.Unchecked)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                                  | Qt.ItemFlag.ItemIsUserCheckable)
                parent_item.addChild(item)
                self.items.append(item)
            parent_item.setExpanded(True)
        self.tree.itemChanged.connect(self._update_count)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("okButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 640, 620, min_width=420, min_height=320)
        self._update_count()
        self.tree.setFocus()

    def chosen(self) -> list[str]:
        return [
            str(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.items
            if item.flags() & Qt.ItemFlag.ItemIsEnabled and item.checkState(0) == Qt.CheckState.Checked
        ]

    def set_checked(self, text: str, checked: bool = True) -> bool:
        for item in self.items:
            if item.data(0, Qt.ItemDataRole.UserRole) == text and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return True
        return False

    def _update_count(self, *_args: object) -> None:
        count = len(self.chosen())
        self.ok_button.setText(f"Add {plural(count, 'question')}" if count else "Add")
        self.ok_button.setEnabled(count > 0)

    def _filter(self, text: str) -> None:
        wanted = text.casefold().strip()
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            visible = 0
            for child_index in range(group.childCount()):
                child = group.child(child_index)
                hide = bool(wanted) and wanted not in child.text(0).casefold()
                child.setHidden(hide)
                visible += not hide
            group.setHidden(visible == 0)
