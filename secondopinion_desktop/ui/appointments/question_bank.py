"""Adding questions from the question bank: the guide's questions and the patient's own, by group, with
check boxes; questions already on the appointment are ticked and greyed out."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QTreeWidgetItem, QVBoxLayout, QWidget

from secondopinion_desktop.core import questions as bank_svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.widgets.screen import fit_to_screen
from secondopinion_desktop.ui.widgets.wrapping import WrappingTree


class QuestionBankDialog(QDialog):
    """The question bank by group, with check boxes; questions already on the appointment are ticked and
    disabled. ``chosen()`` gives the newly ticked ones in the bank's order."""

    def __init__(self, folder: DataFolder, existing: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("questionBankDialog")
        self.setWindowTitle("Add from the question bank")
        groups = bank_svc.question_bank(folder)
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
