"""The inventory table: its header, how its columns share the width, and files dropped on it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyleOptionHeader, QTableView, QWidget

from secondopinion_desktop.ui.records.model import RECORD_ID_ROLE, Column, RecordsTableModel
from secondopinion_desktop.ui.records.style import STATUS_WORDS


class SortHeader(QHeaderView):
    """A header whose arrow points the way the values grow: ▲ for oldest (or A, or fewest) first, ▼ for newest
    first. Qt's own styles draw it the other way round, so the arrow and the order disagreed."""

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logical_index: int) -> None:
        super().initStyleOptionForIndex(option, logical_index)
        arrow = QStyleOptionHeader.SortIndicator
        if option.sortIndicator == arrow.SortUp:
            option.sortIndicator = arrow.SortDown
        elif option.sortIndicator == arrow.SortDown:
            option.sortIndicator = arrow.SortUp


def local_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
    """The local files a drag carries (none for text, links or remote files)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class RecordsTable(QTableView):
    """The inventory table; files dropped on a row attach to it, dropped elsewhere become new records.

    Kind, Date, Status and Files fit their content in the current font (larger text keeps them readable);
    Title takes the rest and is the first to give way when the table is narrow, Facility the next."""

    filesDropped = Signal(list, object)

    def __init__(self, model: RecordsTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordsTable")
        self.setAccessibleName("Records inventory")
        header = SortHeader(Qt.Orientation.Horizontal, self)
        header.setSectionsClickable(True)  # as the table's own header is
        self.setHorizontalHeader(header)
        self.setModel(model)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several records at once (Shift/Ctrl+click, Shift+arrows) for deleting and changing status; the detail
        # pane shows the current one.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        self.size_columns()
        self.viewport().installEventFilter(self)

    # --- columns -------------------------------------------------------------------------------------------

    def _column_widths(self) -> dict[Column, int]:
        """Widths that fit the columns' usual content in the current font, so larger text keeps them readable."""
        metrics = self.fontMetrics()
        bold = self.font()
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        arrow = metrics.height()  # room for the sort arrow beside a header's text
        icon = self.iconSize().width() if self.iconSize().isValid() else 16
        self._kind_wide = icon + metrics.horizontalAdvance("Clinical report") + 24  # when there is room
        return {
            Column.KIND: icon + metrics.horizontalAdvance("Pathology") + 24,
            Column.DATE: max(metrics.horizontalAdvance("2026-09-15"), metrics.horizontalAdvance("Date") + arrow) + 20,
            Column.FACILITY: metrics.horizontalAdvance("Samplewood Community") + 12,
            Column.STATUS: max(bold_metrics.horizontalAdvance(w) for w in STATUS_WORDS.values()) + 16,
            Column.FILES: max(metrics.horizontalAdvance("Files") + arrow, metrics.horizontalAdvance("99")) + 16,
        }

    def size_columns(self) -> None:
        header = self.horizontalHeader()
        self._widths = self._column_widths()
        for column, width in self._widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Share the table's width: Kind shows its longer names when there is room; Facility narrows when the
        table is narrow, so that the title keeps about half of what the other columns leave and no column
        hides behind a scroll bar."""
        header = self.horizontalHeader()
        width = self.viewport().width()
        fixed = sum(self._widths[c] for c in (Column.DATE, Column.STATUS, Column.FILES))
        kind = self._widths[Column.KIND]
        if width - fixed - self._kind_wide >= 2 * self._widths[Column.FACILITY]:
            kind = self._kind_wide
        room = width - fixed - kind
        # Too narrow for both (a small or scaled screen): the facility, which the detail pane shows too, steps
        # aside so the title stays readable; it comes back when there is room.
        too_narrow = room < self.fontMetrics().averageCharWidth() * 30
        if header.isSectionHidden(Column.FACILITY) != too_narrow:
            header.setSectionHidden(Column.FACILITY, too_narrow)
        facility = min(self._widths[Column.FACILITY], max(header.minimumSectionSize(), room * 45 // 100))
        for column, size in ((Column.KIND, kind), (Column.FACILITY, facility)):
            if header.sectionSize(column) != size:
                header.resizeSection(column, size)

    def room_needed(self) -> int:
        """The width the table needs to show Kind, Date, Status, Files and a readable Title (about 24
        characters) with a narrowed Facility, in the current font."""
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        fixed = sum(max(self._widths[c], header.sectionSize(c))
                    for c in (Column.KIND, Column.DATE, Column.STATUS, Column.FILES))
        title = metrics.averageCharWidth() * 24
        facility = metrics.averageCharWidth() * 8
        frame = self.frameWidth() * 2 + self.verticalScrollBar().sizeHint().width()
        return fixed + title + facility + frame

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    # --- dropped files -------------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = local_files(event)
        if not files:
            event.ignore()
            return
        index = self.indexAt(event.position().toPoint())
        record_id = index.data(RECORD_ID_ROLE) if index.isValid() else None
        event.acceptProposedAction()
        self.filesDropped.emit(files, record_id)
