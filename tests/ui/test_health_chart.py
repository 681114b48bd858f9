"""The trend chart, painted offscreen: one value, 1,000 values, all equal, mixed units, nothing to draw; hovering
and the keyboard show a value exactly as given with its date."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent
from PySide6.QtWidgets import QToolTip

from secondopinion_desktop.core.health import LabResultData, series_from
from secondopinion_desktop.core.models import TreatmentKind
from secondopinion_desktop.core.portal.labs import Source
from secondopinion_desktop.core.treatments import TreatmentLineData
from secondopinion_desktop.core.trend import trend_frame
from secondopinion_desktop.ui.health.chart import LINE, NOTHING_TO_DRAW, TrendChart

START = dt.date(2025, 1, 6)


def result(n: int, value: str, day: dt.date | None, unit: str = "U/mL", test: str = "CA 15-3",
           reference_range: str = "0-31") -> LabResultData:
    return LabResultData(id=n, test=test, loinc="", value=value, number=None, unit=unit,
                         reference_range=reference_range, flag="", observed_at=day.isoformat() if day else "",
                         observed_on=day, panel="", status="final", source=Source(None, "", "", "", ""),
                         origin="hand")


def series(values, **kwargs):
    rows = [result(n + 1, v, d, **kwargs) if not isinstance(v, tuple) else result(n + 1, v[0], d, unit=v[1])
            for n, (v, d) in enumerate(values)]
    (only,) = series_from(rows)
    return only


def weekly(values):
    return [(v, START + dt.timedelta(days=7 * n)) for n, v in enumerate(values)]



def chart_for(qtbot, s, treatments=()) -> TrendChart:
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(640, 320)
    chart.set_frame(trend_frame(s, treatments, today=dt.date(2026, 1, 1)), series_points=len(s.charted))
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def line_pixels(image: QImage, around: QPointF, reach: int = 5) -> int:
    """How many pixels near ``around`` have the line's blue."""
    count = 0
    for dx in range(-reach, reach + 1):
        for dy in range(-reach, reach + 1):
            x, y = int(around.x()) + dx, int(around.y()) + dy
            if 0 <= x < image.width() and 0 <= y < image.height():
                colour = QColor(image.pixel(x, y))
                if abs(colour.red() - LINE.red()) < 40 and abs(colour.green() - LINE.green()) < 40 \
                        and abs(colour.blue() - LINE.blue()) < 40:
                    count += 1
    return count


def grab(chart: TrendChart, name: str) -> QImage:
    image = chart.grab().toImage()
    image.save(f"/tmp/shots/health/chart-{name}.png")
    return image


def test_one_value_is_drawn_as_a_point(qtbot) -> None:
    chart = chart_for(qtbot, series(weekly(["21"])))
    image = grab(chart, "one")
    (where,) = chart.point_positions()
    assert line_pixels(image, where) > 10, "the point is drawn"
    assert 0.2 * chart.width() < where.x() < 0.9 * chart.width(), "one value sits inside the frame, not on an edge"


def test_a_thousand_values_are_drawn_thinned_with_every_peak(qtbot) -> None:
    values = [str(20 + (n % 37) * 0.5) for n in range(999)] + ["400"]  # one spike at the end
    s = series([(v, START + dt.timedelta(days=n)) for n, v in enumerate(values)])
    chart = chart_for(qtbot, s)
    image = grab(chart, "thousand")
    positions = chart.point_positions()
    assert len(positions) <= 400 < len(values)
    assert max(p.number for p in chart.frame.points) == 400, "the spike is kept"
    middle = positions[len(positions) // 2]
    assert line_pixels(image, middle, 3) > 2, "the line is drawn where the values are"
    assert "drawn, keeping every high and low" in chart.note()


def test_all_values_equal_draw_a_flat_line_inside_the_frame(qtbot) -> None:
    chart = chart_for(qtbot, series(weekly(["5"] * 6), reference_range=""))
    image = grab(chart, "equal")
    positions = chart.point_positions()
    assert len({round(p.y()) for p in positions}) == 1
    assert 0.15 * chart.height() < positions[0].y() < 0.85 * chart.height(), "not squashed onto an axis"
    between = QPointF((positions[1].x() + positions[2].x()) / 2, positions[1].y())
    assert line_pixels(image, between, 2) > 2


def test_mixed_units_draw_the_main_unit_and_say_so(qtbot) -> None:
    values = weekly([("20", "U/mL"), ("22", "U/mL"), ("24", "U/mL"), ("25", "kU/L")])
    s = series(values)
    assert s.mixed_units
    chart = chart_for(qtbot, s)
    grab(chart, "mixed")
    assert len(chart.point_positions()) == 3, "the value in another unit is not drawn"
    note = chart.note()
    assert "1 value not drawn" in note and "other than U/mL" in note
    assert "not converted" in note


def test_nothing_to_draw_says_so(qtbot) -> None:
    s = series([("positive", START), ("see note", None)])
    chart = chart_for(qtbot, s)
    image = grab(chart, "nothing")
    assert chart.frame is None and chart.point_positions() == []
    assert chart.accessibleDescription() == NOTHING_TO_DRAW
    assert not all(image.pixel(x, image.height() // 2) == image.pixel(0, 0) for x in range(image.width())), (
        "the sentence is painted")


def test_hovering_a_point_shows_its_value_as_given_and_its_date(qtbot) -> None:
    chart = chart_for(qtbot, series(weekly(["21", "<0.5", "1,234.5"])))
    positions = chart.point_positions()
    target = positions[1] + QPointF(3, -2)
    event = QMouseEvent(QEvent.Type.MouseMove, target, chart.mapToGlobal(target), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QToolTip.hideText()
    chart.mouseMoveEvent(event)
    second = START + dt.timedelta(days=7)
    assert chart.readout == f"<0.5 U/mL on {second.day} Jan 2025"
    assert QToolTip.text() == chart.readout
    image = grab(chart, "hover")
    assert line_pixels(image, positions[1], 6) > 5
    far = QPointF(2, chart.height() - 2)
    chart.mouseMoveEvent(QMouseEvent(QEvent.Type.MouseMove, far, chart.mapToGlobal(far), Qt.MouseButton.NoButton,
                                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    assert chart.readout == "", "away from every point, nothing is shown"


def test_real_mouse_move_over_a_point(qtbot) -> None:
    chart = chart_for(qtbot, series(weekly(["21", "30"])))
    heard = []
    chart.pointShown.connect(heard.append)
    qtbot.mouseMove(chart, chart.point_positions()[1].toPoint() + QPoint(1, 1))
    qtbot.waitUntil(lambda: bool(heard), timeout=2000)
    assert heard[-1].startswith("30 U/mL on 13 Jan 2025")


def test_left_and_right_step_from_point_to_point(qtbot) -> None:
    chart = chart_for(qtbot, series(weekly(["21", "25", "30"])))
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert chart.current == 2 and chart.readout.startswith("30 U/mL on 20 Jan 2025")
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert chart.readout.startswith("25 U/mL on 13 Jan 2025")
    assert QToolTip.text() == chart.readout
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    qtbot.keyClick(chart, Qt.Key.Key_Right)  # the last one stays
    assert chart.current == 2
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart.readout.startswith("21 U/mL on 6 Jan 2025")
    assert chart.accessibleDescription() == chart.readout


@pytest.mark.parametrize("size", [(260, 140), (1400, 500)])
def test_any_size_paints(qtbot, size) -> None:
    chart = chart_for(qtbot, series(weekly(["21", "25", "30", "28"])))
    chart.resize(*size)
    image = grab(chart, f"{size[0]}x{size[1]}")
    assert line_pixels(image, chart.point_positions()[2], 4) > 3


def test_treatment_lines_are_shaded_periods_with_their_labels(qtbot) -> None:

    lines = [TreatmentLineData(1, TreatmentKind.CHEMOTHERAPY, "AC-T", START + dt.timedelta(days=10),
                               START + dt.timedelta(days=40), ""),
             TreatmentLineData(2, TreatmentKind.SURGERY, "Lumpectomy", START + dt.timedelta(days=50),
                               START + dt.timedelta(days=50), "")]
    chart = chart_for(qtbot, series(weekly(["21", "25", "30", "28", "26", "40", "45", "50", "38", "20"])), lines)
    image = grab(chart, "periods")
    assert [p.label for p in chart.frame.periods] == ["Chemotherapy", "Surgery"]
    plot = chart._plot_rect(chart.fontMetrics())
    y = int(plot.top() + 6)  # above the band and the line
    inside = int(chart._x(plot, (START + dt.timedelta(days=25)).toordinal()))
    outside = int(chart._x(plot, (START + dt.timedelta(days=45)).toordinal()))
    assert QColor(image.pixel(outside, y)) == QColor("white")
    assert QColor(image.pixel(inside, y)) != QColor("white"), "the chemotherapy period is shaded"
    assert QColor(image.pixel(inside, y)).red() > QColor(image.pixel(inside, y)).blue(), "in its own colour"
