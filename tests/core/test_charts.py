"""The packet's trend charts (core.packet.charts) rendered into a real PDF and read back."""

from __future__ import annotations

import datetime as dt
import io
import math

import pytest
from pypdf import PdfReader

from secondopinion_desktop.core.health import LabPoint, LabSeries, parse_range
from secondopinion_desktop.core.models import TreatmentKind
from secondopinion_desktop.core.packet.charts import FAILED_TEXT, chart_note, safe_trend_drawing, trend_drawing
from secondopinion_desktop.core.treatments import TreatmentLineData
from secondopinion_desktop.core.trend import TrendFrame, trend_frame

D0 = dt.date(2025, 1, 6)
TODAY = dt.date(2026, 3, 1)
LINES = (
    TreatmentLineData(1, TreatmentKind.CHEMOTHERAPY, "AC then paclitaxel", dt.date(2024, 12, 1), dt.date(2025, 5, 1),
                      ""),
    TreatmentLineData(2, TreatmentKind.SURGERY, "Lumpectomy", dt.date(2025, 5, 20), dt.date(2025, 5, 20), ""),
    TreatmentLineData(3, TreatmentKind.HORMONE, "Letrozole", dt.date(2025, 6, 15), None, ""),
)


def _point(i: int, day: dt.date | None, number: float | None, unit: str = "U/mL", comparator: str = "",
           value: str | None = None) -> LabPoint:
    text = value if value is not None else f"{comparator}{number:g}" if number is not None else ""
    return LabPoint(i, day, text, number, comparator, unit, "", "", "hand", None, "", "")


def _series(points, band: str = "0-30", units: tuple[str, ...] = ("U/mL",), name: str = "CA 15-3") -> LabSeries:
    parsed = parse_range(band)
    return LabSeries("ca15-3", name, "marker", tuple(points), units, parsed if parsed.usable else None)


def _frame(series: LabSeries, lines=LINES) -> TrendFrame:
    frame = trend_frame(series, lines, today=TODAY)
    assert frame is not None
    return frame


def _monthly(values, comparators=None) -> list[LabPoint]:
    comparators = comparators or {}
    return [_point(i, D0 + dt.timedelta(days=30 * i), v, comparator=comparators.get(i, ""))
            for i, v in enumerate(values)]


def _pdf(*drawings) -> PdfReader:
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import SimpleDocTemplate, Spacer

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=letter)
    story = []
    for drawing in drawings:
        story += [drawing, Spacer(1, 12)]
    doc.build(story)
    return PdfReader(io.BytesIO(buffer.getvalue()))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _strings(drawing) -> list[str]:
    from reportlab.graphics.shapes import String

    return [s.text for s in drawing.contents if isinstance(s, String)]


def test_a_chart_shows_its_title_ticks_periods_and_values():
    frame = _frame(_series(_monthly([48, 52, 61, 44, 35, 31.3, 27, 22, 24, 21], {5: "<"})))
    drawing = trend_drawing(frame, 233, 150)
    assert drawing.width == 233 and drawing.height == 150
    reader = _pdf(drawing)
    assert len(reader.pages) == 1
    text = _text(reader)
    assert "CA 15-3 (U/mL)" in text
    assert "Chemotherapy" in text and "Hormone" in text
    assert "Jan 2025" in text
    for tick in frame.y_ticks:
        assert tick.label in text
    assert "not drawn" not in text  # nothing left out: no note


def test_a_value_given_with_a_comparator_is_an_open_marker():
    from reportlab.graphics.shapes import Circle

    frame = _frame(_series(_monthly([5.0, 4.0, 3.0], {1: "<", 2: ">"})), lines=())
    circles = [c for c in trend_drawing(frame, 233, 150).contents if isinstance(c, Circle)]
    assert len(circles) == 3
    open_ones = [c for c in circles if c.fillColor is not None and c.fillColor.hexval() == "0xffffff"]
    assert len(open_ones) == 2


def test_one_point():
    frame = _frame(_series([_point(1, D0, 22.0)]), lines=())
    reader = _pdf(trend_drawing(frame, 233, 150))
    assert "CA 15-3" in _text(reader)


def test_a_thousand_points_render_on_one_page_and_keep_the_spike():
    values = [20.0 + (i % 9) for i in range(1000)]
    values[500] = 480.0
    points = [_point(i, D0 + dt.timedelta(days=i), v) for i, v in enumerate(values)]
    frame = _frame(_series(points))
    assert len(frame.points) <= 400
    assert max(p.number or 0 for p in frame.points) == 480
    reader = _pdf(trend_drawing(frame, 233, 150), trend_drawing(frame, 480, 200))
    assert len(reader.pages) == 1
    assert frame.y_max >= 480


def test_all_values_equal():
    frame = _frame(_series(_monthly([7.0] * 8), band=""))
    reader = _pdf(trend_drawing(frame, 233, 150))
    assert len(reader.pages) == 1
    assert frame.y_min < 7 < frame.y_max


def test_mixed_units_and_left_out_values_have_a_note():
    points = _monthly([20.0, 25.0, 22.0]) + [
        _point(10, D0 + dt.timedelta(days=120), 300.0, unit="kU/L"),
        _point(11, D0 + dt.timedelta(days=150), None, value="see note"),
    ]
    frame = _frame(_series(points, units=("U/mL", "kU/L")))
    assert chart_note(frame) == ("Mixed units: only values in U/mL are drawn; 2 values not drawn: another unit, "
                                 "no number or no date.")
    wide = " ".join(_text(_pdf(trend_drawing(frame, 480, 200))).split())
    assert "Mixed units: only values in U/mL are drawn; 2 values not drawn" in wide
    narrow = " ".join(_text(_pdf(trend_drawing(frame, 233, 150))).split())
    assert "Mixed units" in narrow and "2 values not drawn" in narrow  # wrapped onto two lines, not cut


def test_one_value_left_out_is_singular():
    frame = _frame(_series(_monthly([20.0, 25.0]) + [_point(9, None, 21.0)]))
    assert chart_note(frame) == "1 value not drawn: another unit, no number or no date."


@pytest.mark.parametrize("name", ["<b>CA 15-3</b> &amp;", "סמן גידול CA 15-3", "مؤشر الورم", "标志物 CA 15-3"])
def test_markup_and_rtl_names_print_as_their_characters(name):
    frame = _frame(_series(_monthly([30.0, 28.0, 25.0]), name=name), lines=())
    drawing = trend_drawing(frame, 300, 150)
    assert any(name.split()[0] in s for s in _strings(drawing))  # drawn as typed, never parsed
    text = _text(_pdf(drawing))
    if name.startswith("<b>"):
        assert "<b>CA 15-3</b> &amp;" in text
    # every letter reaches the page as itself (pypdf reads right-to-left runs back reversed, so compare letters)
    assert set(name.replace(" ", "")) <= set(text)


def test_a_band_with_only_a_high_is_drawn_from_the_bottom():
    from reportlab.graphics.shapes import Rect

    frame = _frame(_series(_monthly([10.0, 20.0, 25.0]), band="<35"), lines=())
    drawing = trend_drawing(frame, 233, 150)
    rects = [r for r in drawing.contents if isinstance(r, Rect)]
    assert len(rects) == 1  # the band
    band = rects[0]
    plot_bottom = min(line.y1 for line in drawing.contents if type(line).__name__ == "Line")
    assert math.isclose(band.y, plot_bottom, abs_tol=0.01)
    assert len(_pdf(drawing).pages) == 1


def test_long_period_labels_are_shortened_to_fit():
    lines = (TreatmentLineData(9, TreatmentKind.OTHER, "A clinical trial with a very long name indeed",
                               dt.date(2025, 1, 20), dt.date(2025, 2, 20), ""),)
    frame = _frame(_series(_monthly([5.0, 6.0, 7.0, 6.0, 5.0, 4.0])), lines=lines)
    strings = _strings(trend_drawing(frame, 233, 150))
    shortened = [s for s in strings if s.startswith("A clin") or s.startswith("A c")]
    assert shortened and shortened[0].endswith("\u2026")


def test_a_chart_that_cannot_be_drawn_says_so_and_never_raises():
    frame = _frame(_series(_monthly([1.0, 2.0])))
    assert FAILED_TEXT in _strings(safe_trend_drawing(frame, 10, 10))  # no room
    assert FAILED_TEXT in _strings(safe_trend_drawing(None, 233, 150))
    broken = TrendFrame(**{**frame.__dict__, "y_ticks": None})  # type: ignore[arg-type]
    drawing = safe_trend_drawing(broken, 233, 150)
    assert FAILED_TEXT in _strings(drawing)
    assert FAILED_TEXT in _text(_pdf(drawing))
    assert FAILED_TEXT in _strings(safe_trend_drawing(frame, float("nan"), 150))


def test_trend_drawing_itself_raises_on_no_room():
    frame = _frame(_series(_monthly([1.0, 2.0])))
    with pytest.raises(ValueError):
        trend_drawing(frame, 20, 20)


def test_without_a_title():
    frame = _frame(_series(_monthly([1.0, 2.0])))
    assert "CA 15-3 (U/mL)" not in _strings(trend_drawing(frame, 233, 150, show_title=False))
    assert "CA 15-3 (U/mL)" in _strings(trend_drawing(frame, 233, 150))
