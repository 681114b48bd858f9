"""A PDF preview: pages rendered with pdfium on demand (only the visible ones), with a small cache.

Every PDFium call goes through ``core.pdfium`` (one call at a time, whatever the thread): the preview renders on
the GUI thread while printing may render on a pool thread."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QListView, QWidget

from secondopinion_desktop.core import pdfium
from secondopinion_desktop.ui.widgets.pdf_print import print_pdf, render_page  # noqa: F401 - the packet prints with it

Index = QModelIndex | QPersistentModelIndex
PREVIEW_WIDTH = 560
CACHE_PAGES = 24


class PdfPagesModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Any = None
        self.sizes: list[tuple[float, float]] = []
        self.width = PREVIEW_WIDTH
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()

    def load(self, path: Path | None) -> None:
        self.beginResetModel()
        self.close()
        if path is not None:
            self.document = pdfium.open_pdf(path)
            self.sizes = pdfium.page_sizes(self.document)
        self.endResetModel()

    def close(self) -> None:
        self._cache.clear()
        document, self.document = self.document, None
        pdfium.close_pdf(document)
        self.sizes = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.sizes)

    def _pixmap(self, row: int) -> QPixmap:
        if row in self._cache:
            self._cache.move_to_end(row)
            return self._cache[row]
        pixmap = QPixmap.fromImage(render_page(self.document, row, self.width))
        self._cache[row] = pixmap
        while len(self._cache) > CACHE_PAGES:
            self._cache.popitem(last=False)
        return pixmap

    def page_size(self, row: int) -> QSize:
        w, h = self.sizes[row]
        return QSize(self.width, int(self.width * h / w))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.document is None:
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(index.row())
        if role == Qt.ItemDataRole.SizeHintRole:
            size = self.page_size(index.row())
            return QSize(size.width() + 16, size.height() + 24)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"Page {index.row() + 1} of {len(self.sizes)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Page {index.row() + 1} of {len(self.sizes)}"
        return None


class PdfPreview(QListView):
    """Pages one under the other, as a reader scrolls through them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages = PdfPagesModel(self)
        self.setModel(self.pages)
        self.setObjectName("packetPreview")
        self.setAccessibleName("Packet preview")
        self.setViewMode(QListView.ViewMode.IconMode)  # the caption under each page
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSpacing(6)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QListView.SelectionMode.NoSelection)
        self.setIconSize(QSize(PREVIEW_WIDTH, int(PREVIEW_WIDTH * 1.5)))
        self.setStyleSheet("QListView#packetPreview { background: #7a7a7a; }")
        self.setMinimumWidth(PREVIEW_WIDTH + 40)

    def load(self, path: Path | None) -> None:
        self.pages.load(path)

    def close_document(self) -> None:
        self.pages.beginResetModel()
        self.pages.close()
        self.pages.endResetModel()
