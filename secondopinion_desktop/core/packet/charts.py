"""The packet's lab trend charts: a :class:`core.trend.TrendFrame` drawn as a reportlab vector Drawing.

Each chart shows the test's name and unit, the reference range as a light band, the treatment lines as shaded
periods labelled with their kind, the values as a line with points (a value given as "<0.5" or ">1000" is an
open marker: the true value lies beyond it), the date and value ticks, and a note when values were left out or
the test has mixed units. Every text is drawn as plain characters (a reportlab String parses no markup), with
CJK runs in their own font. :func:`safe_trend_drawing` never raises: a chart never fails the packet.

reportlab is imported inside the functions (the window must not load it at start-up).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from secondopinion_desktop.core.packet.text import FONT, FONT_BOLD, plain, register_fonts, runs
from secondopinion_desktop.core.trend import TrendFrame, band_fractions, point_x, x_fraction, y_fraction

__all__ = ["FAILED_TEXT", "chart_note", "safe_trend_drawing", "trend_drawing"]

FAILED_TEXT = "This chart could not be drawn."
TITLE_SIZE = 7.5
TICK_SIZE = 6.0
NOTE_SIZE = 6.0
PERIOD_SIZE = 5.6
MARKERS_UP_TO = 80  # more points than this: the line alone (open markers are always drawn)

INK = "#34495e"
GREY = "#7b8794"
GRID = "#e4e8ec"
BAND = "#d9efdf"
BAND_EDGE = "#9fd3ad"
LINE = "#1f5f99"
NOTE = "#9a3412"
# Shaded periods per treatment kind (light fills; the label carries the meaning, the colour only helps).
PERIOD_FILL = {
    "Chemotherapy": "#f4d3d3", "Hormone therapy": "#e3d8f3", "Radiation therapy": "#f9e3bd",
    "Targeted therapy": "#d6e6f6", "Immunotherapy": "#d8f0ee", "Surgery": "#e6e6e6",
}
PERIOD_OTHER = "#ece6da"


def chart_note(frame: TrendFrame) -> str:
    """The small note under a chart: values not drawn, mixed units ("" when nothing to say)."""
    parts = []
    if frame.mixed_units:
        parts.append(f"Mixed units: only values in {plain(frame.unit, 20) or 'no unit'} are drawn")
    if frame.left_out:
        verb = "value not drawn" if frame.left_out == 1 else "values not drawn"
        parts.append(f"{frame.left_out} {verb}: another unit, no number or no date")
    return "; ".join(parts) + ("." if parts else "")


def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return float(sum(stringWidth(chunk, f, size) for f, chunk in runs(text, font)))


def _fit(text: str, font: str, size: float, room: float) -> str:
    """``text`` shortened with an ellipsis to fit ``room`` points ("" when not even one letter fits)."""
    if _width(text, font, size) <= room:
        return text
    for n in range(len(text) - 1, 0, -1):
        candidate = text[:n].rstrip() + "\u2026"
        if _width(candidate, font, size) <= room:
            return candidate
    return ""


def _wrap(text: str, font: str, size: float, room: float, max_lines: int) -> list[str]:
    """``text`` cut into at most ``max_lines`` lines that fit ``room`` points, the last one shortened."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and _width(f"{line} {words[0]}", font, size) <= room:
            line += " " + words.pop(0)
        if len(lines) == max_lines - 1 and words:
            line = _fit(f"{line} {' '.join(words)}", font, size, room)
            words = []
        lines.append(_fit(line, font, size, room))
    return [line for line in lines if line]


def _text(d: Any, x: float, y: float, text: str, font: str, size: float, color: Any, anchor: str = "start") -> None:
    """Plain text at (x, y), CJK runs in their CID font; ``anchor`` "start", "middle" or "end"."""
    from reportlab.graphics.shapes import String

    width = _width(text, font, size)
    if anchor == "middle":
        x -= width / 2
    elif anchor == "end":
        x -= width
    for f, chunk in runs(text, font):
        d.add(String(x, y, chunk, fontName=f, fontSize=size, fillColor=color))
        x += _width(chunk, f, size)


def _title(frame: TrendFrame) -> str:
    name = plain(frame.name, 60) or "Unnamed test"
    unit = plain(frame.unit, 30)
    return f"{name} ({unit})" if unit else name


def trend_drawing(frame: TrendFrame, width: float, height: float, *, show_title: bool = True) -> Any:
    """The chart of ``frame`` as a reportlab ``Drawing`` of ``width`` × ``height`` points (a Flowable)."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect
    from reportlab.lib.colors import HexColor, white

    if not (math.isfinite(width) and math.isfinite(height)) or width < 60 or height < 50:
        raise ValueError("a chart needs at least 60 × 50 points")
    register_fonts()
    ink, grey, grid = HexColor(INK), HexColor(GREY), HexColor(GRID)
    d = Drawing(width, height)

    note_lines = _wrap(chart_note(frame), FONT, NOTE_SIZE, width - 4, 2)
    top_room = TITLE_SIZE + 6 if show_title else 4
    bottom_room = TICK_SIZE + 5 + (NOTE_SIZE + 1.5) * len(note_lines) + (2.5 if note_lines else 0)
    tick_w = max((_width(t.label, FONT, TICK_SIZE) for t in frame.y_ticks), default=0.0)
    left = 3 + tick_w + 4
    right = width - 6
    bottom = bottom_room
    top = height - top_room
    plot_w, plot_h = right - left, top - bottom
    if plot_w < 30 or plot_h < 20:
        raise ValueError("no room for the plot")

    def x_at(ordinal: float) -> float:
        return left + x_fraction(frame, ordinal) * plot_w

    def y_at(value: float) -> float:
        return bottom + y_fraction(frame, value) * plot_h

    if show_title:
        _text(d, 2, height - TITLE_SIZE - 1, _fit(_title(frame), FONT_BOLD, TITLE_SIZE, width - 4), FONT_BOLD,
              TITLE_SIZE, ink)

    # treatment periods: shaded spans, labelled along the top of the plot, under the band
    label_y = top - PERIOD_SIZE - 1.5
    label_end = -1e9
    for period in frame.periods:
        x0, x1 = x_at(period.clipped_start), x_at(period.clipped_end)
        if x1 - x0 < 1.2:
            x1 = x0 + 1.2
        fill = HexColor(PERIOD_FILL.get(period.label, PERIOD_OTHER))
        d.add(Rect(x0, bottom, x1 - x0, plot_h, fillColor=fill, fillOpacity=0.55, strokeColor=None))
        d.add(Line(x0, top, x1, top, strokeColor=fill, strokeWidth=2.4))
        start = max(x0 + 1.5, label_end + 3)
        room = x1 - start - 1
        label = _fit(plain(period.label, 40), FONT, PERIOD_SIZE, room) if room > 8 else ""
        if label:
            _text(d, start, label_y, label, FONT, PERIOD_SIZE, ink)
            label_end = start + _width(label, FONT, PERIOD_SIZE)

    # the reference range, over the periods' shading
    fractions = band_fractions(frame)
    if fractions is not None:
        b0, b1 = bottom + fractions[0] * plot_h, bottom + fractions[1] * plot_h
        d.add(Rect(left, b0, plot_w, max(b1 - b0, 0.8), fillColor=HexColor(BAND), fillOpacity=0.75, strokeColor=None))
        band = frame.band
        if band is not None:
            for bound in (band.low, band.high):
                if bound is not None and frame.y_min <= bound <= frame.y_max:
                    y = y_at(bound)
                    d.add(Line(left, y, right, y, strokeColor=HexColor(BAND_EDGE), strokeWidth=0.5))

    # grid and value ticks
    for tick in frame.y_ticks:
        y = y_at(tick.value)
        d.add(Line(left, y, right, y, strokeColor=grid, strokeWidth=0.4))
        _text(d, left - 3, y - TICK_SIZE * 0.35, tick.label, FONT, TICK_SIZE, grey, anchor="end")
    d.add(Line(left, bottom, right, bottom, strokeColor=grey, strokeWidth=0.6))
    d.add(Line(left, bottom, left, top, strokeColor=grey, strokeWidth=0.6))

    # date ticks, skipping any label that would overlap the one before
    last_end = -1e9
    for tick in frame.x_ticks:
        x = x_at(tick.value)
        d.add(Line(x, bottom, x, bottom - 2.5, strokeColor=grey, strokeWidth=0.5))
        w = _width(tick.label, FONT, TICK_SIZE)
        x_text = min(max(x - w / 2, 1.0), width - w - 1)
        if x_text > last_end + 3:
            _text(d, x_text, bottom - TICK_SIZE - 3, tick.label, FONT, TICK_SIZE, grey)
            last_end = x_text + w

    # the values
    line_color = HexColor(LINE)
    xy = [(x_at(point_x(p)), y_at(p.number if p.number is not None else 0.0)) for p in frame.points]
    if len(xy) > 1:
        flat = [c for pair in xy for c in pair]
        d.add(PolyLine(flat, strokeColor=line_color, strokeWidth=0.9 if len(xy) > MARKERS_UP_TO else 1.1))
    many = len(xy) > MARKERS_UP_TO
    for p, (x, y) in zip(frame.points, xy, strict=True):
        if p.comparator:  # "<0.5", ">1000": the value lies beyond the mark
            d.add(Circle(x, y, 2.2, fillColor=white, strokeColor=line_color, strokeWidth=0.9))
        elif not many or len(xy) == 1:
            d.add(Circle(x, y, 1.8, fillColor=line_color, strokeColor=None))

    for n, line in enumerate(reversed(note_lines)):
        _text(d, 2, 2 + n * (NOTE_SIZE + 1.5), line, FONT, NOTE_SIZE, HexColor(NOTE))
    return d


def _failed_drawing(width: float, height: float) -> Any:
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib.colors import HexColor

    w = width if math.isfinite(width) and width > 0 else 200.0
    h = min(height, 24.0) if math.isfinite(height) and height > 0 else 24.0
    d = Drawing(w, h)
    with contextlib.suppress(Exception):  # an empty drawing is still a drawing
        d.add(String(2, max(2.0, h / 2 - 3), FAILED_TEXT, fontName="Helvetica", fontSize=7,
                     fillColor=HexColor(GREY)))
    return d


def safe_trend_drawing(frame: TrendFrame | None, width: float, height: float, *, show_title: bool = True) -> Any:
    """:func:`trend_drawing`, or a small Drawing saying "This chart could not be drawn." — never raises."""
    try:
        if frame is None:
            raise ValueError("no frame")
        return trend_drawing(frame, width, height, show_title=show_title)
    except Exception:  # noqa: BLE001 - charts never fail the packet
        return _failed_drawing(width, height)

