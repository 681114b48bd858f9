"""Files dropped on empty space in the inventory: one new record per file, with a title and a kind to confirm."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.records import guess_kind, guess_media_type, title_from_file_name
from secondopinion_desktop.core.words import plural, size
from secondopinion_desktop.ui.records.tips import plain_tip
from secondopinion_desktop.ui.widgets.screen import fit_to_screen


class DropImportDialog(QDialog):
    """Files dropped on the records table: one new record per file, with a title and a kind to confirm."""

    ADD, TITLE, KIND, SIZE = range(4)
    HEADERS = ("Add", "Title", "Kind", "Size")

    def __init__(self, files: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files = [Path(f) for f in files]
        self.setObjectName("dropImportDialog")
        self.setWindowTitle("Add records from files")

        self.header = QLabel("One record per file; check the kind Second Opinion guessed.")
        self.header.setObjectName("dropImportHeader")
        self.header.setWordWrap(True)

        self.table = QTableWidget(len(self.files), len(self.HEADERS))
        self.table.setObjectName("dropImportTable")
        self.table.setAccessibleName("Files to add as records")
        self.table.setAccessibleDescription(
            "One row per file: a box to add it, its title, its kind and its size. Space ticks the box, F2 or "
            "typing edits the title."
        )
        self.table.setHorizontalHeaderLabels(list(self.HEADERS))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move, Space ticks, F2 edits
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.kind_combos: list[QComboBox] = []
        for row, path in enumerate(self.files):
            add = QTableWidgetItem(path.name)
            add.setFlags(
                Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
            )
            add.setCheckState(Qt.CheckState.Checked)
            add.setToolTip(plain_tip(str(path)))
            self.table.setItem(row, self.ADD, add)
            title = QTableWidgetItem(title_from_file_name(path.name))
            title.setToolTip("The record's title; type to change it")
            self.table.setItem(row, self.TITLE, title)
            combo = QComboBox()
            combo.setObjectName(f"kindCombo{row}")
            combo.setAccessibleName(f"Kind of record for {path.name}")
            for member in RecordKind:
                combo.addItem(member.label, member.value)
            combo.setCurrentIndex(combo.findData(guess_kind(path.name, guess_media_type(path)).value))
            self.table.setCellWidget(row, self.KIND, combo)
            self.kind_combos.append(combo)
            size = QTableWidgetItem(self._size_text(path))
            size.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, self.SIZE, size)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.ADD, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(self.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.SIZE, QHeaderView.ResizeMode.ResizeToContents)
        self.table.resizeColumnToContents(self.ADD)
        self.table.setColumnWidth(self.ADD, min(self.table.columnWidth(self.ADD), 260))
        self.table.resizeRowsToContents()
        if self.files:
            self.table.setCurrentCell(0, self.ADD)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("okButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.itemChanged.connect(self._update_ok)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        rows_height = sum(self.table.rowHeight(r) for r in range(min(len(self.files), 12)))
        fit_to_screen(self, 760, 160 + rows_height, min_width=560, min_height=300)
        self._update_ok()
        self.table.setFocus()

    @staticmethod
    def _size_text(path: Path) -> str:
        try:
            if path.is_dir():
                return "folder"
            return size(path.stat().st_size)
        except OSError:
            return "not found"

    def _checked_rows(self) -> list[int]:
        return [
            row for row in range(self.table.rowCount())
            if self.table.item(row, self.ADD).checkState() == Qt.CheckState.Checked
        ]

    def _update_ok(self, *_args: object) -> None:
        count = len(self._checked_rows())
        self.ok_button.setEnabled(count > 0)
        self.ok_button.setText(f"Add {plural(count, 'record')}" if count else "Add records")

    def choices(self) -> list[tuple[Path, RecordKind, str]]:
        """(file, kind, title) for each checked row; an empty title falls back to the file's name."""
        result = []
        for row in self._checked_rows():
            path = self.files[row]
            title = " ".join(self.table.item(row, self.TITLE).text().split()) or path.name
            result.append((path, RecordKind(self.kind_combos[row].currentData()), title))
        return result
