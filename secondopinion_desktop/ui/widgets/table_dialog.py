"""A dialog showing a table of items with Add / Edit (and, where items can go, Delete): the clinicians
directory and the treatment history.

A subclass gives the model (a ``RowsTableModel``), reads the items (``load``: one core read with the folder)
and opens its own item dialog to add or edit; it hands ``store`` the core call that writes, which runs it,
announces ``CHANGES`` with the dialog as initiator, and selects what was stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.widgets.form_dialog import remember_size
from secondopinion_desktop.ui.widgets.rows_model import RowsTableModel


class TableDialog(QDialog):
    TITLE = ""
    WIDTHS: tuple[int, ...] = ()
    CHANGES = Changes.NONE

    def __init__(
        self, folder: DataFolder, model: RowsTableModel[Any], parent: QWidget | None, *, name: str,
        table_name: str, table_label: str, intro: str, add_text: str, edit_label: str, delete_label: str | None,
        size: tuple[int, int],
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.model = model
        model.setParent(self)
        self.setObjectName(name)
        self.setWindowTitle(self.TITLE)
        intro_label = QLabel(intro)
        intro_label.setTextFormat(Qt.TextFormat.PlainText)  # it may name a facility or a record, as typed
        intro_label.setWordWrap(True)
        self.table = QTableView()
        self.table.setObjectName(table_name)
        self.table.setAccessibleName(table_label)
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.edit_item())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.edit_item)
        self.add_button = QPushButton(add_text)
        self.add_button.setAccessibleName(add_text.replace("&", "").rstrip("…"))
        self.add_button.clicked.connect(lambda: self.add_item())
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setAccessibleName(edit_label)
        self.edit_button.clicked.connect(lambda: self.edit_item())
        buttons = [self.add_button, self.edit_button]
        self.delete_button: QPushButton | None = None
        if delete_label is not None:
            self.delete_button = QPushButton("&Delete")
            self.delete_button.setAccessibleName(delete_label)
            self.delete_button.clicked.connect(lambda: self.delete_item())
            delete = QShortcut(QKeySequence.StandardKey.Delete, self.table)
            delete.setContext(Qt.ShortcutContext.WidgetShortcut)
            delete.activated.connect(self.delete_item)
            buttons.append(self.delete_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        QShortcut(QKeySequence.StandardKey.New, self, self.add_item)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.reload()
        for column, width in enumerate(self.WIDTHS):
            self.table.setColumnWidth(column, width)
        remember_size(self, name, *size)
        self.table.setFocus()

    # --- what subclasses provide -------------------------------------------------------------------------------

    def load(self) -> Sequence[Any]:
        raise NotImplementedError

    def add_item(self) -> None:
        raise NotImplementedError

    def edit_item(self) -> None:
        raise NotImplementedError

    def delete_item(self) -> None:
        pass

    # --- shared ------------------------------------------------------------------------------------------------

    @property
    def items(self) -> tuple[Any, ...]:
        return self.model.rows

    def reload(self, select: int | None = None) -> None:
        self.model.set_rows(self.load())
        row = self.model.row_of(select) if select is not None else (0 if self.model.rows else -1)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        self._update_buttons()

    def current(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        for button in (self.edit_button, self.delete_button):
            if button is not None:
                button.setEnabled(self.current() is not None)

    def store(self, write: Callable[[], Any]) -> bool:
        """Run ``write()`` (one core call with the folder, returning the stored item or None); show a refusal,
        else announce the change and select what was stored."""
        try:
            stored = write()
        except SecondOpinionError as exc:
            QMessageBox.warning(self, self.TITLE, str(exc))
            return False
        announce(self.CHANGES, self)
        self.reload(select=getattr(stored, "id", None))
        return True
