"""The question bank panel: questions to take to the consult, grouped; the patient can add their own.

Read and changed through ``core.questions`` called with the folder; a change is told through ``changed`` (the
tab announces it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import questions as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.widgets.wrapping import WrappingTree

OWN_MARK = "  (yours)"


class QuestionsPanel(QWidget):
    changed = Signal(object)  # Changes: what this panel changed in the folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.groups: list[svc.BankGroup] = []
        intro = QLabel("Questions people often ask at a second-opinion visit. Add your own; the Appointments tab "
                       "will let you pick the ones to take along.")
        intro.setWordWrap(True)
        self.tree = WrappingTree()
        self.tree.setObjectName("questionTree")
        self.tree.setAccessibleName("Question bank")
        self.tree.currentItemChanged.connect(self._update_buttons)
        self.group_combo = QComboBox()
        self.group_combo.setObjectName("questionGroup")
        self.group_combo.setAccessibleName("Group for the new question")
        self.group_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.group_combo.setMinimumContentsLength(10)
        self.new_question = QLineEdit()
        self.new_question.setObjectName("newQuestionEdit")
        self.new_question.setAccessibleName("New question")
        self.new_question.setPlaceholderText("Type a question of your own…")
        self.new_question.returnPressed.connect(self.add_question)
        self.add_button = QPushButton("Add question")
        self.add_button.clicked.connect(self.add_question)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the selected question of your own")
        self.remove_button.clicked.connect(self.remove_question)
        row = QHBoxLayout()
        row.addWidget(self.group_combo, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.new_question)
        layout.addLayout(row)
        self._update_buttons()

    def set_folder(self, folder: DataFolder) -> None:
        self.folder = folder
        self.reload()

    def reload(self, select_text: str | None = None) -> None:
        if self.folder is None:
            return
        self.groups = svc.question_bank(self.folder)
        current_group = self.group_combo.currentData()
        self.group_combo.clear()
        self.tree.clear()
        for group in self.groups:
            self.group_combo.addItem(group.title, group.key)
            parent = QTreeWidgetItem([f"{group.title} ({len(group.questions)})"])
            font = parent.font(0)
            font.setBold(True)
            parent.setFont(0, font)
            parent.setFlags(parent.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(parent)
            for question in group.questions:
                child = QTreeWidgetItem([question.text + (OWN_MARK if question.custom else "")])
                child.setData(0, Qt.ItemDataRole.UserRole, question.id)
                child.setToolTip(0, question.text)
                parent.addChild(child)
                if select_text is not None and question.text == select_text:
                    self.tree.setCurrentItem(child)
            parent.setExpanded(True)
        if current_group is not None:
            self.group_combo.setCurrentIndex(max(0, self.group_combo.findData(current_group)))
        self._update_buttons()

    def question_count(self) -> int:
        return sum(len(g.questions) for g in self.groups)

    def add_question(self) -> None:
        if self.folder is None:
            return
        text = self.new_question.text()
        if not text.strip():
            self.new_question.setFocus()
            return
        try:
            added = svc.add_question(self.folder, self.group_combo.currentData(), text)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Question bank", str(exc))
            return
        self.new_question.clear()
        self.reload(select_text=added.text)
        self.changed.emit(Changes.QUESTIONS)

    def remove_question(self) -> None:
        item = self.tree.currentItem()
        question_id = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if self.folder is None or question_id is None:
            return
        svc.remove_question(self.folder, int(question_id))
        self.reload()
        self.changed.emit(Changes.QUESTIONS)

    def _update_buttons(self, *_args: object) -> None:
        item = self.tree.currentItem()
        self.remove_button.setEnabled(item is not None and item.data(0, Qt.ItemDataRole.UserRole) is not None)
