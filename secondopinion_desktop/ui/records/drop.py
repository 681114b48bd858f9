"""Files dropped on empty space in the inventory: one new record per file, with a title and a kind to confirm.

When the files were read first (``hints``, see ``from_file.py``), the table also has each file's date of service,
and every cell filled in from what the file says is tinted, with a tooltip saying where it came from, until the
patient changes it; nothing the patient has not seen here is applied. A title from the text is suggested; when
the text names none, the title is the file's own name, as the patient wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
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

SUGGESTED_COLOUR = "#fff1bf"  # as the record dialog tints a suggested field
SUGGESTED_STYLE = f"QComboBox {{ background-color: {SUGGESTED_COLOUR}; color: #202020; }}"


class DropImportDialog(QDialog):
    """Files dropped on the records table: one new record per file, with a title and a kind to confirm."""

    ADD, TITLE, KIND, SIZE = range(4)
    DATE = -1  # only with hints
    HEADERS = ("Add", "Title", "Kind", "Size")

    def __init__(self, files: list[Path], parent: QWidget | None = None, *, hints: Sequence[Any] = (),
                 folder: Any = None) -> None:
        super().__init__(parent)
        from secondopinion_desktop.ui.records.dialogs import DialogFile

        self.files = [Path(f) for f in files]
        self.hints = list(hints)
        self.folder = folder  # with it, a photo can be turned or cropped here before it is stored
        self.items = [DialogFile(path, path.name) for path in self.files]
        self._working: Any = None
        self.marks: dict[tuple[int, int], str] = {}  # (row, column) → where the suggestion came from
        self._filling = True
        self.setObjectName("dropImportDialog")
        self.setWindowTitle("Add records from files")
        if self.hints:
            self.DATE, self.SIZE = 3, 4
            self.HEADERS = ("Add", "Title", "Kind", "Date of service", "Size")
            unread = sum(1 for h in self.hints if h.unreadable)
            text = ("One record per file, filled in from what each file says: check the tinted cells (hover over "
                    "one to see where it came from).")
            if unread:
                text += (f" The text of {plural(unread, 'file')} could not be read; "
                         f"{'its name gave' if unread == 1 else 'their names gave'} the hints.")
        else:
            text = "One record per file; check the kind Second Opinion guessed."
        self.header = QLabel(text)
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
            hint = self.hints[row] if row < len(self.hints) else None
            found = {item.field: item for item in hint.suggestions.items()} if hint is not None else {}
            if hint is not None and hint.unreadable:
                add.setToolTip(plain_tip(f"{path}\nIts text could not be read: {hint.unreadable}"))
            suggested_title = found.get("title")
            from_text = suggested_title is not None and not suggested_title.why.startswith("From the file name")
            title = QTableWidgetItem(str(suggested_title.value) if from_text else title_from_file_name(path.name))
            title.setToolTip("The record's title; type to change it")
            self.table.setItem(row, self.TITLE, title)
            if from_text:
                self._mark_item(row, self.TITLE, suggested_title.why)
            combo = QComboBox()
            combo.setObjectName(f"kindCombo{row}")
            combo.setAccessibleName(f"Kind of record for {path.name}")
            for member in RecordKind:
                combo.addItem(member.label, member.value)
            suggested_kind = found.get("kind")
            kind = suggested_kind.value if suggested_kind is not None else guess_kind(path.name,
                                                                                     guess_media_type(path))
            combo.setCurrentIndex(combo.findData(RecordKind(kind).value))
            self.table.setCellWidget(row, self.KIND, combo)
            self.kind_combos.append(combo)
            if suggested_kind is not None:
                self.marks[(row, self.KIND)] = suggested_kind.why
                combo.setStyleSheet(SUGGESTED_STYLE)
                combo.setToolTip(f"Suggested — {suggested_kind.why}")
                combo.currentIndexChanged.connect(lambda _i, row=row: self._kind_chosen(row))
            if self.hints:
                suggested_date = found.get("date_of_service")
                day = QTableWidgetItem(suggested_date.value.isoformat() if suggested_date is not None else "")
                day.setToolTip("The date of service, written year-month-day; type to change it")
                self.table.setItem(row, self.DATE, day)
                if suggested_date is not None:
                    self._mark_item(row, self.DATE, suggested_date.why)
            size = QTableWidgetItem(self._size_text(path))
            size.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, self.SIZE, size)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.ADD, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(self.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.SIZE, QHeaderView.ResizeMode.ResizeToContents)
        if self.hints:  # the title gets the room: the kind and the date as wide as their words
            metrics = self.table.fontMetrics()
            header.setSectionResizeMode(self.KIND, QHeaderView.ResizeMode.Interactive)
            header.setSectionResizeMode(self.DATE, QHeaderView.ResizeMode.Interactive)
            longest = max(metrics.horizontalAdvance(member.label) for member in RecordKind)
            self.table.setColumnWidth(self.KIND, longest + metrics.height() * 3)
            self.table.setColumnWidth(self.DATE, metrics.horizontalAdvance("Date of service") + metrics.height() * 2)
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
        self.table.itemChanged.connect(self._item_changed)
        self._filling = False
        self.photo_button: QPushButton | None = None
        if folder is not None:
            self.photo_button = QPushButton("Rotate or crop…")
            self.photo_button.setObjectName("rotateCropButton")
            self.photo_button.setToolTip("Turn, straighten or crop the selected photo before it is stored")
            self.photo_button.clicked.connect(self.edit_photo)
            self.table.currentCellChanged.connect(lambda *_args: self._update_photo_button())
            self._update_photo_button()

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        if self.photo_button is not None:
            bottom.addWidget(self.photo_button)  # about the selected row, apart from the dialog's own buttons
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        rows_height = sum(self.table.rowHeight(r) for r in range(min(len(self.files), 12)))
        fit_to_screen(self, 1040 if self.hints else 760, 160 + rows_height, min_width=560, min_height=300)
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

    # --- suggestions ---------------------------------------------------------------------------------

    def _mark_item(self, row: int, column: int, why: str) -> None:
        item = self.table.item(row, column)
        self.marks[(row, column)] = why
        item.setBackground(QBrush(QColor(SUGGESTED_COLOUR)))
        item.setForeground(QBrush(QColor("#202020")))
        item.setToolTip(f"Suggested — {why}")

    def _item_changed(self, item: QTableWidgetItem) -> None:
        key = (item.row(), item.column())
        if self._filling or key not in self.marks:
            return
        del self.marks[key]
        self.table.blockSignals(True)
        item.setBackground(QBrush())
        item.setForeground(QBrush())
        item.setToolTip("The record's title; type to change it" if item.column() == self.TITLE else
                        "The date of service, written year-month-day; type to change it")
        self.table.blockSignals(False)

    def _kind_chosen(self, row: int) -> None:
        if self.marks.pop((row, self.KIND), None) is not None:
            combo = self.kind_combos[row]
            combo.setStyleSheet("")
            combo.setToolTip("")

    def suggested(self) -> dict[tuple[int, str], str]:
        """The cells still marked suggested: (row, column header) → where the suggestion came from."""
        return {(row, self.HEADERS[column]): why for (row, column), why in self.marks.items()}

    def records(self) -> list[tuple[tuple[Path, ...], RecordKind, str, str | None]]:
        """(files to attach, kind, title, date of service as typed or None) for each checked row: a photo
        turned or cropped here gives its edited copy (and its original, when kept)."""
        out = []
        for row in self._checked_rows():
            path = self.files[row]
            title = " ".join(self.table.item(row, self.TITLE).text().split()) or path.name
            day = self.table.item(row, self.DATE).text().strip() if self.hints else ""
            out.append((tuple(self.items[row].attach()), RecordKind(self.kind_combos[row].currentData()), title,
                        day or None))
        return out

    # --- photos -----------------------------------------------------------------------------------------

    def _update_photo_button(self) -> None:
        if self.photo_button is None:
            return
        from secondopinion_desktop.core.documents.photo import is_photo

        row = self.table.currentRow()
        self.photo_button.setEnabled(0 <= row < len(self.files) and is_photo(self.files[row].name))

    def edit_photo(self) -> None:
        """Rotate or crop… the selected photo: opened in the background, edited, its copies made off the GUI
        thread; the row then says so."""
        from secondopinion_desktop.ui.ops import run_op
        from secondopinion_desktop.ui.records.photo_edit import load_preview

        row = self.table.currentRow()
        if self.folder is None or not 0 <= row < len(self.items):
            return
        item = self.items[row]
        self._working = run_op(self, lambda _control: load_preview(item.source), name="open a photo",
                               writes=False, label=f"Opening {item.name}…", title="Rotate or crop",
                               on_success=lambda preview: self._edit(row, preview))

    def _edit(self, row: int, preview: Any) -> None:
        from secondopinion_desktop.core.documents.photo import original_name
        from secondopinion_desktop.ui.records.photo_edit import PhotoEditDialog, prepare_edited

        item = self.items[row]
        editor = PhotoEditDialog(item.source, edit=item.edit, keep_original=item.keep_original, preview=preview,
                                 parent=self)
        accepted = editor.exec() == PhotoEditDialog.DialogCode.Accepted
        edit, keep = editor.edit(), editor.keep_original()
        editor.deleteLater()
        if not accepted:
            return

        def shown(done: Any, _hint: Any) -> None:
            cell = self.table.item(row, self.ADD)
            if done.edited is None:
                cell.setText(done.name)
            else:
                cell.setText(f"{done.edited.name} — turned or cropped"
                             + (f", with {original_name(done.name)}" if done.original is not None else ""))

        self._working = prepare_edited(self, self.folder, item, edit, keep, shown)

    def take_copies(self) -> list[Path]:
        """The private folders of edited photos: the caller removes them once the records are written."""
        places = [item.place for item in self.items if item.place is not None]
        for item in self.items:
            item.place = None
        return places

    def accept(self) -> None:
        if self._working is not None and not self._working.done:
            return  # a photo is still being prepared (its progress dialog says so)
        super().accept()

    def done(self, result: int) -> None:
        super().done(result)
        if result != QDialog.DialogCode.Accepted:
            import shutil

            for place in self.take_copies():
                shutil.rmtree(place, ignore_errors=True)

    def choices(self) -> list[tuple[Path, RecordKind, str]]:
        """(file, kind, title) for each checked row; an empty title falls back to the file's name."""
        result = []
        for row in self._checked_rows():
            path = self.files[row]
            title = " ".join(self.table.item(row, self.TITLE).text().split()) or path.name
            result.append((path, RecordKind(self.kind_combos[row].currentData()), title))
        return result
