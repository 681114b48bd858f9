"""The trend chart of one lab test, drawn with plain QPainter.

Plain QPainter, not QtCharts or pyqtgraph: QtCharts needs PySide6's large Addons wheel and pyqtgraph brings numpy
and its own widget stack into the window; a line with points, a band and a few shaded periods is a hundred lines
of painting, starts at once and looks like the rest of the window.

What it draws comes from ``core.trend.trend_frame`` (the same geometry as the packet's chart): the reference range
as a green band, the treatment lines as shaded periods labelled along the top, the values as a line with points
(an open point for a value given as "<0.5" or ">1000": the true value lies below or above it), the axes with
their ticks, and a note under the plot when some values were not drawn (undated, in words, or in another unit).

Hovering shows the value exactly as given and its date for the nearest point (a tooltip, the point ringed, and the
same words at the top of the chart); with the keyboard, Left/Right (Home/End) step from point to point.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from secondopinion_desktop.core.words import day_month_year, plural

NOTHING_TO_DRAW = "Nothing to draw: no dated number for this test yet."
LINE = QColor("#1f5fa8")
BAND = QColor(46, 139, 87, 45)
BAND_EDGE = QColor(46, 139, 87, 110)
PERIOD_FILLS = (QColor(230, 145, 56, 38), QColor(142, 68, 173, 32), QColor(41, 128, 185, 30))
PERIOD_EDGES = (QColor(200, 110, 30), QColor(130, 60, 160), QColor(41, 110, 170))
GRID = QColor("#e3e3e3")
AXIS = QColor("#8a8a8a")
TEXT = QColor("#333333")
NOTE = QColor("#6b4e00")
HOVER_RADIUS = 48  # pixels: how near the pointer must be to a point to show it


def point_words(point: Any, unit: str) -> str:
    """ "32 U/mL on 4 Mar 2025 (high)": the value exactly as given, with its date and flag."""
    value = f"{point.value} {point.unit or unit}".strip()
    flag = f" ({point.flag})" if point.flag else ""
    return f"{value} on {day_month_year(point.day)}{flag}"


class TrendChart(QWidget):
    """One test's values over time; ``set_frame(frame)`` shows a ``core.trend.TrendFrame`` (None: nothing to
    draw). ``readout`` is the words for the point shown (hovered or stepped to), ``pointShown`` says them."""

    pointShown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendChart")
        self.setAccessibleName("Trend chart")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAutoFillBackground(False)
        self.frame: Any = None
        self.series_points = 0  # every value of the test, drawn or not
        self.current = -1  # index into frame.points of the point shown, or -1
        self.readout = ""
        self._positions: list[QPointF] = []

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(520, line * 14)

    def minimumSizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(200, line * 7)

    # --- what it shows ------------------------------------------------------------------------------------

    def set_frame(self, frame: Any, *, series_points: int = 0) -> None:
        self.frame = frame
        self.series_points = series_points
        self.current = -1
        self.readout = ""
        self._positions = []
        QToolTip.hideText()
        if frame is None:
            self.setAccessibleDescription(NOTHING_TO_DRAW)
        else:
            points = frame.points
            first, last = points[0], points[-1]
            unit = f" {frame.unit}" if frame.unit else ""
            self.setAccessibleName(f"Trend chart of {frame.name}")
            self.setAccessibleDescription(
                f"{plural(len(points), 'value')} of {frame.name}{unit} from {day_month_year(first.day)} to "
                f"{day_month_year(last.day)}; the latest is {point_words(last, frame.unit)}. Left and Right step "
                "from value to value.")
        self.update()

    def note(self) -> str:
        """What the chart does not show, in words ("" when it shows everything)."""
        frame = self.frame
        if frame is None:
            return ""
        parts = []
        if frame.left_out:
            reasons = "no date, words rather than a number"
            if frame.mixed_units:
                reasons += f", or a unit other than {frame.unit or 'none'}"
            parts.append(f"{plural(frame.left_out, 'value')} not drawn ({reasons}): see the table.")
        if frame.mixed_units:
            parts.append("Mixed units: values are shown as given and not converted.")
        if getattr(frame, "thinned", False):
            parts.append(f"{plural(len(frame.points), 'value')} of {self.series_points or len(frame.points):,} "
                         "drawn, keeping every high and low.")
        return " ".join(parts)

    # --- geometry -------------------------------------------------------------------------------------------

    def _plot_rect(self, metrics: QFontMetrics) -> QRectF:
        frame = self.frame
        line = metrics.height()
        widest = max((metrics.horizontalAdvance(t.label) for t in frame.y_ticks), default=20)
        left = widest + 14
        top = line * 2 + 10  # the readout, then the treatment labels
        bottom = line + 10 + (self._note_height(metrics) if self.note() else 0)
        right = 18
        return QRectF(left, top, max(10.0, self.width() - left - right), max(10.0, self.height() - top - bottom))

    def _note_height(self, metrics: QFontMetrics) -> int:
        width = max(50, self.width() - 16)
        rect = metrics.boundingRect(0, 0, width, 1000, int(Qt.TextFlag.TextWordWrap), self.note())
        return rect.height() + 6

    def _x(self, plot: QRectF, ordinal: float) -> float:
        frame = self.frame
        span = frame.x_max - frame.x_min
        fraction = 0.5 if span <= 0 else min(1.0, max(0.0, (ordinal - frame.x_min) / span))
        return plot.left() + fraction * plot.width()

    def _y(self, plot: QRectF, value: float) -> float:
        frame = self.frame
        span = frame.y_max - frame.y_min
        fraction = 0.5 if span <= 0 else min(1.0, max(0.0, (value - frame.y_min) / span))
        return plot.bottom() - fraction * plot.height()

    def point_positions(self) -> list[QPointF]:
        """Where each drawn point is, in the widget (for hovering, and for tests)."""
        if self.frame is None:
            return []
        plot = self._plot_rect(self.fontMetrics())
        return [QPointF(self._x(plot, p.day.toordinal()), self._y(plot, p.number)) for p in self.frame.points]

    # --- painting ---------------------------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        metrics = painter.fontMetrics()
        if self.frame is None:
            painter.setPen(TEXT)
            painter.drawText(self.rect().adjusted(12, 12, -12, -12),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), NOTHING_TO_DRAW)
            self._focus_frame(painter)
            painter.end()
            return
        plot = self._plot_rect(metrics)
        self._positions = self.point_positions()
        self._draw_periods(painter, plot, metrics)
        self._draw_band(painter, plot)
        self._draw_axes(painter, plot, metrics)
        self._draw_line(painter, plot)
        self._draw_readout(painter, metrics)
        self._draw_note(painter, metrics)
        self._focus_frame(painter)
        painter.end()

    def _focus_frame(self, painter: QPainter) -> None:
        if self.hasFocus():
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))

    def _draw_periods(self, painter: QPainter, plot: QRectF, metrics: QFontMetrics) -> None:
        label_y = plot.top() - 4
        periods = self.frame.periods
        starts = [self._x(plot, p.clipped_start) for p in periods]
        for n, period in enumerate(periods):
            x1, x2 = starts[n], self._x(plot, period.clipped_end)
            rect = QRectF(x1, plot.top(), max(2.0, x2 - x1), plot.height())
            painter.fillRect(rect, PERIOD_FILLS[n % len(PERIOD_FILLS)])
            painter.setPen(QPen(PERIOD_EDGES[n % len(PERIOD_EDGES)], 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x1, plot.top()), QPointF(x1, plot.bottom()))
            # the label may run on past a short period (a day's surgery), up to where the next one starts
            following = [x for x in starts[n + 1:] if x > x1 + 1]
            room = int(min([plot.right() + 14, *following]) - x1) - 6
            if room >= metrics.horizontalAdvance("Xx…"):
                text = metrics.elidedText(period.label, Qt.TextElideMode.ElideRight, room)
                painter.setPen(PERIOD_EDGES[n % len(PERIOD_EDGES)])
                painter.drawText(QPointF(x1 + 3, label_y - metrics.descent()), text)

    def _draw_band(self, painter: QPainter, plot: QRectF) -> None:
        band = self.frame.band
        if band is None or (band.low is None and band.high is None):
            return
        low = self.frame.y_min if band.low is None else max(band.low, self.frame.y_min)
        high = self.frame.y_max if band.high is None else min(band.high, self.frame.y_max)
        if high < low:
            return
        top, bottom = self._y(plot, high), self._y(plot, low)
        rect = QRectF(plot.left(), top, plot.width(), max(1.5, bottom - top))
        painter.fillRect(rect, BAND)
        painter.setPen(QPen(BAND_EDGE, 1))
        if band.high is not None and band.high <= self.frame.y_max:
            painter.drawLine(QPointF(plot.left(), top), QPointF(plot.right(), top))
        if band.low is not None and band.low >= self.frame.y_min:
            painter.drawLine(QPointF(plot.left(), bottom), QPointF(plot.right(), bottom))

    def _draw_axes(self, painter: QPainter, plot: QRectF, metrics: QFontMetrics) -> None:
        frame = self.frame
        last_y = 1e9
        for tick in frame.y_ticks:  # bottom up
            y = self._y(plot, tick.value)
            painter.setPen(QPen(GRID, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            if last_y - y < metrics.height():
                continue  # a short chart: every other label, never overlapping
            last_y = y
            painter.setPen(TEXT)
            width = metrics.horizontalAdvance(tick.label)
            painter.drawText(QPointF(plot.left() - 6 - width, y + metrics.ascent() / 2 - 1), tick.label)
        painter.setPen(QPen(AXIS, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        last_right = -1e9
        for tick in frame.x_ticks:
            x = self._x(plot, tick.value)
            painter.setPen(QPen(AXIS, 1))
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            width = metrics.horizontalAdvance(tick.label)
            left = min(max(x - width / 2, 0), self.width() - width - 2)
            if left < last_right + 6:
                continue  # no room: the labels never overlap
            painter.setPen(TEXT)
            painter.drawText(QPointF(left, plot.bottom() + 6 + metrics.ascent()), tick.label)
            last_right = left + width

    def _draw_line(self, painter: QPainter, plot: QRectF) -> None:
        positions = self._positions
        if not positions:
            return
        painter.save()
        painter.setClipRect(plot.adjusted(-6, -6, 6, 6))
        if len(positions) > 1:
            path = QPainterPath(positions[0])
            for point in positions[1:]:
                path.lineTo(point)
            painter.setPen(QPen(LINE, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        spacing = plot.width() / max(1, len(positions))
        radius = 4.0 if spacing >= 6 or len(positions) == 1 else 0.0  # a dense line shows no separate points
        if radius:
            for point, value in zip(positions, self.frame.points, strict=True):
                painter.setPen(QPen(LINE, 2))
                painter.setBrush(QColor("white") if value.comparator else LINE)
                painter.drawEllipse(point, radius, radius)
        if 0 <= self.current < len(positions):
            point = positions[self.current]
            painter.setPen(QPen(QColor("#d35400"), 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(point, 7.5, 7.5)
            painter.setPen(QPen(QColor(211, 84, 0, 110), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(point.x(), plot.top()), QPointF(point.x(), plot.bottom()))
        painter.restore()

    def _draw_readout(self, painter: QPainter, metrics: QFontMetrics) -> None:
        frame = self.frame
        unit = f" ({frame.unit})" if frame.unit else ""
        text = self.readout or f"{frame.name}{unit}: point at a value, or press Left/Right, to read it"
        painter.setPen(TEXT if self.readout else AXIS)
        font = painter.font()
        font.setBold(bool(self.readout))
        painter.setFont(font)
        shown = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(40, self.width() - 16))
        painter.drawText(QPointF(8, 4 + metrics.ascent()), shown)
        font.setBold(False)
        painter.setFont(font)

    def _draw_note(self, painter: QPainter, metrics: QFontMetrics) -> None:
        note = self.note()
        if not note:
            return
        height = self._note_height(metrics)
        rect = QRectF(8, self.height() - height - 2, self.width() - 16, height)
        painter.setPen(NOTE)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap), note)

    # --- hover and keys -----------------------------------------------------------------------------------

    def nearest(self, pos: QPointF) -> int:
        """The drawn point nearest ``pos`` across (then up), or -1 when none is within reach."""
        positions = self._positions or self.point_positions()
        best, best_distance = -1, float("inf")
        for n, point in enumerate(positions):
            distance = abs(point.x() - pos.x()) * 4 + abs(point.y() - pos.y())
            if distance < best_distance:
                best, best_distance = n, distance
        if best < 0:
            return -1
        point = positions[best]
        if abs(point.x() - pos.x()) > HOVER_RADIUS:
            return -1
        return best

    def show_point(self, index: int, *, tooltip_at: QPoint | None = None) -> None:
        """Show the point ``index`` (ringed, its words at the top and in a tooltip); -1 shows none."""
        frame = self.frame
        if frame is None or not 0 <= index < len(frame.points):
            self.current, self.readout = -1, ""
            QToolTip.hideText()
            self.update()
            return
        self.current = index
        self.readout = point_words(frame.points[index], frame.unit)
        positions = self._positions or self.point_positions()
        at = tooltip_at or positions[index].toPoint()
        QToolTip.showText(self.mapToGlobal(at + QPoint(12, 12)), self.readout, self)
        self.setAccessibleDescription(self.readout)
        self.pointShown.emit(self.readout)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.nearest(event.position())
        if index != self.current:
            self.show_point(index, tooltip_at=event.position().toPoint())
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: Any) -> None:
        if not self.hasFocus():
            self.show_point(-1)
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        frame = self.frame
        key = event.key()
        if frame is not None and key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End):
            last = len(frame.points) - 1
            if key == Qt.Key.Key_Home:
                index = 0
            elif key == Qt.Key.Key_End:
                index = last
            elif self.current < 0:
                index = last if key == Qt.Key.Key_Left else 0
            else:
                step = -1 if key == Qt.Key.Key_Left else 1
                index = min(last, max(0, self.current + step))
            self.show_point(index)
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()
