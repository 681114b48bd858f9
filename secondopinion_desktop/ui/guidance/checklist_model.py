"""The checklist's list model: the frozen ``core.checklist.ChecklistEntry`` rows, one step a row, with a check box.

The model only shows the rows it was given (``set_entries``, a reset). Ticking or unticking a step's box (by
mouse or Space in the view) does not change the row: the model asks through ``checkRequested(entry id, done)``,
the panel makes the change in the folder and gives the model the rows as they now are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from secondopinion_desktop.core.checklist import ChecklistEntry
from secondopinion_desktop.core.words import day_month_year

Index = QModelIndex | QPersistentModelIndex

ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the step's id (int)
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2  # the ChecklistEntry itself
KEY_ROLE = Qt.ItemDataRole.UserRole + 3  # the guide's key of the step ("" for a step of her own)


def step_text(entry: ChecklistEntry) -> str:
    """What a row shows: the step, and when it was done or what in the data shows it done (a second line)."""
    if entry.done_by_data:
        return f"{entry.title}\nDone — {entry.shown_by_data}"
    when = f"  — done {day_month_year(entry.done_on)}" if entry.done and entry.done_on else ""
    return f"{entry.title}{when}"


def spoken_text(entry: ChecklistEntry) -> str:
    """The row as a screen reader says it: one sentence-like line, ticked or not."""
    state = "done" if entry.done else "not done"
    shown = f"; {entry.shown_by_data}" if entry.done_by_data else ""
    return f"{entry.title}: {state}{shown}"


class ChecklistModel(QAbstractListModel):
    """The checklist's steps, in the order the core gives them."""

    checkRequested = Signal(int, bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[ChecklistEntry] = []

    # --- rows ---------------------------------------------------------------------------------------------

    def set_entries(self, entries: Iterable[ChecklistEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entries(self) -> list[ChecklistEntry]:
        return list(self._entries)

    def entry_at(self, row: int) -> ChecklistEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of(self, entry_id: int | None) -> int:
        """The row of the step with this id, -1 when it is not shown."""
        return next((r for r, e in enumerate(self._entries) if e.id == entry_id), -1)

    def index_of(self, entry_id: int | None) -> QModelIndex:
        row = self.row_of(entry_id)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def index_of_key(self, key: str) -> QModelIndex:
        """The index of the guide's step with this key (invalid when there is none)."""
        return self.index_of(next((e.id for e in self._entries if e.key == key), None))

    # --- Qt's model interface -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._entries)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return step_text(entry)
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if entry.done else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.help or entry.title
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return spoken_text(entry)
        if role == ENTRY_ID_ROLE:
            return entry.id
        if role == ENTRY_ROLE:
            return entry
        if role == KEY_ROLE:
            return entry.key or ""
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A click on a step's box: asked through ``checkRequested``; the row changes when the rows are reloaded."""
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None or role != Qt.ItemDataRole.CheckStateRole:
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(int(value))
        done = state == Qt.CheckState.Checked
        if done != entry.done:
            self.checkRequested.emit(entry.id, done)
        return True
