"""The records a portal download would add, as the import dialog lists them: one row per planned record, ticked by
default; one imported before is greyed ("already in your records") and cannot be ticked. Plain rows, no widgets
(the view is a plain QTableView)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from secondopinion_desktop.ui.records.portal_wording import brings_text, date_text, kind_label
from secondopinion_desktop.ui.records.tips import plain_tip

if TYPE_CHECKING:
    from secondopinion_desktop.core.portal.importer import PlannedRecord

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # the planned record's key ("3", "3.1")
SUGGESTED_TINT = QColor("#fff1bf")  # as the record dialog and the drop review tint a suggested field
Index = QModelIndex | QPersistentModelIndex


class PlannedRecordsModel(QAbstractTableModel):
    KIND, TITLE, DATE, FACILITY, BRINGS = range(5)
    HEADERS = ("Kind", "Title", "Date", "Facility", "Brings")


    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PlannedRecord] = []
        self._checked: list[bool] = []

    # --- contents ------------------------------------------------------------------------------------------

    def set_rows(self, rows: tuple[PlannedRecord, ...] | list[PlannedRecord]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._checked = [not r.already for r in self._rows]
        self.endResetModel()

    def planned(self, row: int) -> PlannedRecord:
        return self._rows[row]

    def row_of(self, key: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.key == key), None)

    def checkable(self, row: int) -> bool:
        return not self._rows[row].already

    def chosen_keys(self) -> list[str]:
        return [r.key for r, checked in zip(self._rows, self._checked, strict=True) if checked and not r.already]

    def choosable(self) -> int:
        return sum(1 for r in self._rows if not r.already)

    def set_checked(self, key: str, checked: bool) -> None:
        row = self.row_of(key)
        if row is not None and self.checkable(row) and self._checked[row] != checked:
            self._checked[row] = checked
            index = self.index(row, self.KIND)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])

    def check_all(self, checked: bool) -> None:
        for row in self._rows:
            self.set_checked(row.key, checked)

    # --- QAbstractTableModel -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self._rows[index.row()].already:
            return Qt.ItemFlag.ItemIsSelectable  # greyed: imported before, nothing to choose
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.KIND:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        planned = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.KIND:
                return kind_label(planned.kind)
            if column == self.TITLE:
                return planned.title
            if column == self.DATE:
                return date_text(planned)
            if column == self.FACILITY:
                return planned.facility or "—"
            return brings_text(planned)
        if role == Qt.ItemDataRole.CheckStateRole and column == self.KIND:
            if planned.already:
                return Qt.CheckState.Unchecked
            return Qt.CheckState.Checked if self._checked[row] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{planned.title} — {brings_text(planned)}"
            if planned.clinician:
                tip += f"\nClinician: {planned.clinician}"
            if planned.source:
                tip += f"\nFrom {planned.source}"
            why = dict(planned.suggested).get(SUGGESTED_FIELD.get(column, ""), "")
            if why:
                tip = f"Suggested from the document's text — {why}\n{tip}"
            return plain_tip(tip)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and \
                dict(planned.suggested).get(SUGGESTED_FIELD.get(column, "")):
            return QBrush(SUGGESTED_TINT if role == Qt.ItemDataRole.BackgroundRole else QColor("#202020"))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            state = "already in your records" if planned.already else (
                "ticked" if self._checked[row] else "not ticked")
            return f"{planned.title}, {kind_label(planned.kind)}, {date_text(planned)}, {state}"
        if role == KEY_ROLE:
            return planned.key
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole or index.column() != self.KIND:
            return False
        row = index.row()
        if not self.checkable(row):
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        if self._checked[row] != checked:
            self._checked[row] = checked
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


class PlannedRecordsView(QTableView):
    """The list of records to add: Kind (with its box) and Date fit their text; Title takes the room left."""

    def __init__(self, model: PlannedRecordsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("portalRecords")
        self.setAccessibleName("Records to add")
        self.setAccessibleDescription("One row per record: a box to import it, its kind, title, date, facility "
                                      "and what it brings. Space ticks the box.")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        metrics = self.fontMetrics()
        box = self.style().pixelMetric(self.style().PixelMetric.PM_IndicatorWidth) + 16
        widths = {
            PlannedRecordsModel.KIND: box + metrics.horizontalAdvance("Lab / test result") + 12,
            PlannedRecordsModel.DATE: metrics.horizontalAdvance("22 Sep 2026") + 20,
            PlannedRecordsModel.FACILITY: metrics.horizontalAdvance("Samplewood Hospital") + 12,
            PlannedRecordsModel.BRINGS: metrics.horizontalAdvance("already in your records") + 16,
        }
        self._widths = widths
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSectionResizeMode(PlannedRecordsModel.TITLE, QHeaderView.ResizeMode.Stretch)
        model.modelReset.connect(self.fit_columns)

    def fit_columns(self) -> None:
        """Facility and Brings as wide as their text (within reason: about 34 characters), Title the rest."""
        header = self.horizontalHeader()
        most = self.fontMetrics().averageCharWidth() * 34
        for column in (PlannedRecordsModel.FACILITY, PlannedRecordsModel.BRINGS):
            wanted = max(self._widths[column], self.sizeHintForColumn(column) + 8)
            header.resizeSection(column, min(wanted, max(most, self._widths[column])))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space ticks or unticks the current record, whichever of its cells is current."""
        index = self.currentIndex()
        model = self.model()
        if (event.key() == Qt.Key.Key_Space and not event.modifiers() and index.isValid()
                and isinstance(model, PlannedRecordsModel) and model.checkable(index.row())):
            box = model.index(index.row(), PlannedRecordsModel.KIND)
            checked = box.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
            model.setData(box, Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked,
                          Qt.ItemDataRole.CheckStateRole)
            event.accept()
            return
        super().keyPressEvent(event)


# the field of a loose PDF's record each column shows, when its text proposed it (``PlannedRecord.suggested``)
SUGGESTED_FIELD = {PlannedRecordsModel.KIND: "kind", PlannedRecordsModel.TITLE: "title",
                   PlannedRecordsModel.DATE: "date_of_service", PlannedRecordsModel.FACILITY: "facility"}
