"""One appointment's questions as a list model: the wording (editable in place), the answered tick, and the
order, changed by dragging or Alt+Up / Alt+Down through ``moveRows``.

The model never writes to the data folder. A reword or a tick is asked for with ``changeRequested(id, text,
answered)`` (one of the two None) and a new order is told with ``orderChanged(ids)``; the pane stores it through
the core and puts back what was stored (``replace``) — or, when the core refuses, reloads the rows it has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from secondopinion_desktop.core.appointments import AppointmentQuestionData

QUESTION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
QUESTION_ROLE = Qt.ItemDataRole.UserRole + 2  # the frozen row itself

Index = QModelIndex | QPersistentModelIndex


def _checked(value: Any) -> bool:
    return int(getattr(value, "value", value)) == Qt.CheckState.Checked.value


class QuestionsModel(QAbstractListModel):
    changeRequested = Signal(int, object, object)
    orderChanged = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AppointmentQuestionData] = []

    # --- the rows ----------------------------------------------------------------------------------------------

    def set_questions(self, questions: Sequence[AppointmentQuestionData]) -> None:
        self.beginResetModel()
        self._rows = list(questions)
        self.endResetModel()

    @property
    def questions(self) -> tuple[AppointmentQuestionData, ...]:
        return tuple(self._rows)

    def ids(self) -> list[int]:
        return [q.id for q in self._rows]

    def question_at(self, row: int) -> AppointmentQuestionData | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, question_id: int | None) -> int:
        return next((n for n, q in enumerate(self._rows) if q.id == question_id), -1)

    def replace(self, question: AppointmentQuestionData) -> None:
        """Show what the core stored for this question (its wording, tick and answer)."""
        row = self.row_of(question.id)
        if row >= 0:
            self._rows[row] = question
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def answered_count(self) -> int:
        return sum(q.answered for q in self._rows)

    # --- Qt ----------------------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        q = self.question_at(index.row()) if index.isValid() else None
        if q is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return q.text
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if q.answered else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            state = "answered" if q.answered else "not answered yet"
            return f"{q.text}\n({state}{' — has a written answer' if q.answer.strip() else ''})"
        if role == QUESTION_ID_ROLE:
            return q.id
        if role == QUESTION_ROLE:
            return q
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # a question is dropped between others, never onto one
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsEditable)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        q = self.question_at(index.row()) if index.isValid() else None
        if q is None:
            return False
        if role == Qt.ItemDataRole.CheckStateRole:
            answered = _checked(value)
            if answered != q.answered:
                self.changeRequested.emit(q.id, None, answered)
            return True
        if role == Qt.ItemDataRole.EditRole:
            text = str(value)
            if text != q.text:
                self.changeRequested.emit(q.id, text, None)
            return True
        return False

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def moveRows(self, source_parent: Index, source_row: int, count: int,
                 destination_parent: Index, destination_child: int) -> bool:
        """Move ``count`` questions from ``source_row`` to before ``destination_child`` (Qt's meaning), then
        tell the new order once."""
        if source_parent.isValid() or destination_parent.isValid() or count < 1:
            return False
        if source_row < 0 or source_row + count > len(self._rows) or not 0 <= destination_child <= len(self._rows):
            return False
        if source_row <= destination_child <= source_row + count:
            return False  # onto itself
        if not self.beginMoveRows(QModelIndex(), source_row, source_row + count - 1, QModelIndex(),
                                  destination_child):
            return False
        moving = self._rows[source_row:source_row + count]
        rest = self._rows[:source_row] + self._rows[source_row + count:]
        at = destination_child if destination_child < source_row else destination_child - count
        self._rows = rest[:at] + moving + rest[at:]
        self.endMoveRows()
        self.orderChanged.emit(self.ids())
        return True
