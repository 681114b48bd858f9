"""The list of a record's files in the detail pane: a model over frozen rows (tested without a view) and the
view that says what to do when it is empty and is as tall as its rows."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QListView, QSizePolicy, QStyle, QWidget

from secondopinion_desktop.core.words import size, stamp
from secondopinion_desktop.ui.records.preview import PDF_COLOUR, page_icon, type_words

if TYPE_CHECKING:
    from secondopinion_desktop.core.records import AttachmentData

NO_FILES_TEXT = "No files attached yet — drop files here or use Attach file…"
MISSING_TEXT = "(file missing from the data folder)"
MISSING_TOOLTIP = (
    "The stored copy of this file is no longer in the data folder (it may have been deleted or moved by "
    "hand). "
    "The record itself is fine; attach the original file again to put it back."
)
MISSING_COLOUR = "#C62828"
LIST_MAX_ROWS = 6

ATTACHMENT_ROLE = Qt.ItemDataRole.UserRole  # the AttachmentData of a row
ATTACHMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
MISSING_ROLE = Qt.ItemDataRole.UserRole + 2  # True when the stored copy is gone

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class FileRow:
    """One attached file as the list shows it: ``path`` is where its stored copy is (None: missing or no data
    folder to look in), ``missing`` whether the data folder lacks it, ``pdf`` whether it is a PDF."""

    attachment: AttachmentData
    path: Path | None
    missing: bool
    pdf: bool

    @property
    def details(self) -> str:
        a = self.attachment
        return f"{size(a.size)} · {type_words(a.media_type, a.original_name)}"


class FilesModel(QAbstractListModel):
    """The rows of ``FileRow``: two lines each (name, then size and type), a third when the file is missing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[FileRow] = []

    def set_rows(self, rows: list[FileRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[FileRow]:
        return list(self._rows)

    def row_of(self, attachment_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.attachment.id == attachment_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        a = row.attachment
        if role == Qt.ItemDataRole.DisplayRole:
            text = f"{a.original_name}\n{row.details}"
            return f"{text}\n{MISSING_TEXT}" if row.missing else text
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.missing:
                return f"<p>{escape(a.original_name)}: {escape(MISSING_TOOLTIP)}</p>"
            return f"<p>{escape(a.original_name)}<br>{escape(row.details)}, added {escape(stamp(a.added_at))}</p>"
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(MISSING_COLOUR) if row.missing else None
        if role == Qt.ItemDataRole.DecorationRole:
            return self.icon(row)
        if role == ATTACHMENT_ROLE:
            return a
        if role == ATTACHMENT_ID_ROLE:
            return a.id
        if role == MISSING_ROLE:
            return row.missing
        return None

    @staticmethod
    def icon(row: FileRow) -> QIcon:
        style = QApplication.style()
        if row.missing:
            return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if row.pdf:
            return page_icon("PDF", PDF_COLOUR)
        return style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)


class FilesView(QListView):
    """A list that says what to do when it is empty, and is as tall as its rows (up to a few)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = NO_FILES_TEXT
        self.files = FilesModel(self)
        self.setModel(self.files)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # Each row is a fixed number of lines, long names elided in the middle (the tooltip has them whole),
        # so the rows' heights do not depend on the pane's width.
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setUniformItemSizes(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def count(self) -> int:
        return self.files.rowCount()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.files.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(8, 4, -8, -4),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
            painter.end()

    def fit_height(self) -> None:
        frame = 2 * self.frameWidth()
        count = self.files.rowCount()
        if count == 0:
            self.setFixedHeight(3 * self.fontMetrics().lineSpacing() + frame + 8)
            return
        rows = min(count, LIST_MAX_ROWS)
        height = sum(max(self.sizeHintForRow(i), 1) for i in range(rows)) + 2 * self.spacing() * rows
        self.setFixedHeight(height + frame + 2)
