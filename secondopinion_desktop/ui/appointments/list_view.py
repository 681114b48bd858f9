"""How the appointments list looks and moves: three lines per appointment, grey headings, and a keyboard
that never stops on a heading."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from secondopinion_desktop.ui.appointments.model import HEADING_ROLE, PAST_COLOUR, PAST_ROLE


class AppointmentDelegate(QStyledItemDelegate):
    """Paints an appointment as three lines (when in bold, the doctor, the place, elided to the width) and the
    Upcoming / Past headings as small grey capitals. Past appointments are grey."""

    PAD = 6

    def _metrics(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, int]:
        bold = QFont(option.font)
        bold.setBold(True)
        small = QFont(option.font)
        small.setBold(True)
        small.setPointSizeF(max(option.font.pointSizeF() * 0.85, 7))
        return bold, small, QFontMetrics(option.font).lineSpacing()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        _bold, small, line = self._metrics(option)
        if index.data(HEADING_ROLE):
            return QSize(1, QFontMetrics(small).lineSpacing() + self.PAD * 2)
        lines = len(str(index.data(Qt.ItemDataRole.DisplayRole) or "").splitlines())
        return QSize(1, line * max(lines, 1) + self.PAD * 2)  # width 1: never wider than the list

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        bold, small, line = self._metrics(option)
        rect = option.rect.adjusted(self.PAD + 2, 0, -self.PAD, 0)
        palette = option.palette
        painter.save()
        try:
            if index.data(HEADING_ROLE):
                painter.setFont(small)
                painter.setPen(QColor(PAST_COLOUR))
                text = str(index.data(Qt.ItemDataRole.DisplayRole)).upper()
                painter.drawText(rect.adjusted(0, self.PAD, 0, 0), Qt.AlignmentFlag.AlignLeft, text)
                y = option.rect.bottom() - 2
                painter.setPen(palette.color(QPalette.ColorRole.Mid))
                painter.drawLine(rect.left(), y, rect.right(), y)
                return
            view_option = QStyleOptionViewItem(option)
            self.initStyleOption(view_option, index)
            view_option.text = ""
            style = option.widget.style() if option.widget else QApplication.style()
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, view_option, painter, option.widget)
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            past = bool(index.data(PAST_ROLE))
            if selected:
                main = palette.color(QPalette.ColorRole.HighlightedText)
                faint = main
            else:
                main = QColor(PAST_COLOUR) if past else palette.color(QPalette.ColorRole.Text)
                faint = QColor(PAST_COLOUR)
            lines = str(index.data(Qt.ItemDataRole.DisplayRole) or "").splitlines()
            y = option.rect.top() + self.PAD
            for number, text in enumerate(lines):
                font = bold if number == 0 else option.font
                painter.setFont(font)
                painter.setPen(main if number < 2 else faint)
                shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
                painter.drawText(QRect(rect.left(), y, rect.width(), line), Qt.AlignmentFlag.AlignLeft, shown)
                y += line
        finally:
            painter.restore()


class AppointmentList(QListView):
    """The appointments with their Upcoming / Past headings; the keyboard never lands on a heading."""

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        index = super().moveCursor(action, modifiers)
        if not index.isValid() or index.flags() & Qt.ItemFlag.ItemIsSelectable:
            return index
        Move = QAbstractItemView.CursorAction  # noqa: N806
        step = -1 if action in (Move.MoveUp, Move.MovePageUp, Move.MoveEnd, Move.MovePrevious) else 1
        row = index.row()
        while 0 <= row < self.count():
            candidate = self.model().index(row, 0)
            if candidate.flags() & Qt.ItemFlag.ItemIsSelectable:
                return candidate
            row += step
        return self.currentIndex()

    def count(self) -> int:
        return self.model().rowCount() if self.model() is not None else 0

    def currentRow(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def setCurrentRow(self, row: int) -> None:
        self.setCurrentIndex(self.model().index(row, 0) if row >= 0 else QModelIndex())
