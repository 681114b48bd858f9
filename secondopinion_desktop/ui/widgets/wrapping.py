"""Trees whose long entries wrap onto more lines instead of being cut with "…"."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget, QWidget


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their text wrapped at the column's width, so long questions are never cut with "…"."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        view = self.parent()
        if not isinstance(view, QTreeWidget):
            return hint
        depth, parent = 0, index.parent()
        while parent.isValid():
            depth, parent = depth + 1, parent.parent()
        indent = view.indentation() * (depth + (1 if view.rootIsDecorated() else 0))
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.rect = QRect(0, 0, max(view.columnWidth(index.column()) - indent, 40), 100_000)
        style = view.style()
        text = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, item, view)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
        metrics = QFontMetrics(item.font)
        bound = metrics.boundingRect(
            QRect(0, 0, max(text.width() - 2 * margin, 20), 100_000),
            int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft), item.text,
        )
        return QSize(hint.width(), hint.height() + max(0, bound.height() - metrics.height()))  # the extra lines


class WrappingTree(QTreeWidget):
    """A one-column tree whose long entries wrap onto more lines (the row heights follow the width)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setWordWrap(True)
        self.setUniformRowHeights(False)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setItemDelegate(WrappingDelegate(self))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.scheduleDelayedItemsLayout()  # the rows' heights depend on the width
