"""The one-page timeline of key dates, drawn as a reportlab graphics Drawing.

A horizontal time axis with month ticks; a coloured marker on the axis for each key date (diagnosis,
pathology and biomarker tests, imaging, surgery, treatments, the appointment) with its label on a leader line;
labels that would overlap go to the next free row, alternately above and below the axis; treatment lines are
bars from their start to their end (or to today, with an arrow, while they go on).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from secondopinion_desktop.core import words
from secondopinion_desktop.core.models import RecordKind, TreatmentKind
from secondopinion_desktop.core.packet.data import PacketData
from secondopinion_desktop.core.packet.text import FONT, plain, runs
from secondopinion_desktop.core.readiness import is_surgery


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    color: str


DIAGNOSIS = Category("diagnosis", "Diagnosis, pathology, biomarkers", "#b03a2e")
IMAGING = Category("imaging", "Imaging", "#1f618d")
SURGERY = Category("surgery", "Surgery", "#7d3c98")
TREATMENT = Category("treatment", "Treatment", "#1e8449")
APPOINTMENT = Category("appointment", "Second-opinion appointment", "#d35400")
CATEGORIES = (DIAGNOSIS, IMAGING, SURGERY, TREATMENT, APPOINTMENT)


@dataclass(frozen=True)
class Event:
    day: dt.date
    label: str
    category: Category


@dataclass(frozen=True)
class Span:
    start: dt.date
    end: dt.date
    label: str
    ongoing: bool


def timeline_events(data: PacketData) -> tuple[list[Event], list[Span]]:
    events: list[Event] = []
    spans: list[Span] = []
    if data.profile.diagnosis_date:
        events.append(Event(data.profile.diagnosis_date, "Diagnosis", DIAGNOSIS))
    for r in data.records:
        if r.date_of_service is None:
            continue
        if r.kind in (RecordKind.PATHOLOGY, RecordKind.MOLECULAR):
            events.append(Event(r.date_of_service, r.title, DIAGNOSIS))
        elif r.kind is RecordKind.IMAGING:
            events.append(Event(r.date_of_service, r.title, IMAGING))
        elif r.kind in (RecordKind.TREATMENT, RecordKind.CLINICAL, RecordKind.OTHER) and is_surgery(
            r, data.today
        ):
            events.append(Event(r.date_of_service, r.title, SURGERY))
    for t in data.treatments:
        name = t.description or t.kind.label
        if t.start_date is None:
            continue
        category = SURGERY if t.kind is TreatmentKind.SURGERY else TREATMENT
        events.append(Event(t.start_date, name, category))
        end = t.end_date or (data.today if t.start_date <= data.today else None)
        if category is TREATMENT and end is not None and end > t.start_date:
            spans.append(Span(t.start_date, end, name, t.end_date is None))
    if data.appointment is not None:
        who = data.appointment.clinician_name or "second opinion"
        events.append(Event(data.appointment.starts_at.date(), f"Appointment: {who}", APPOINTMENT))
    seen: set[tuple[dt.date, str]] = set()
    unique = []
    for e in sorted(events, key=lambda e: (e.day, CATEGORIES.index(e.category), e.label)):
        key = (e.day, e.label.casefold())
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique, spans


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


class _Axis:
    """Dates to x positions; long empty stretches (over four months) shortened to a short broken piece."""

    GAP_DAYS = 120
    MARGIN_DAYS = 20
    BREAK_W = 26.0

    def __init__(self, start: dt.date, end: dt.date, dates: list[dt.date], left: float, right: float) -> None:
        self.breaks: list[tuple[dt.date, dt.date]] = []
        for a, b in itertools.pairwise(dates):
            if (b - a).days > self.GAP_DAYS:
                margin = dt.timedelta(days=self.MARGIN_DAYS)
                self.breaks.append((a + margin, b - margin))
        self.start, self.end, self.left, self.right = start, end, left, right
        shown_days = (end - start).days - sum((b - a).days for a, b in self.breaks)
        self.scale = (right - left - self.BREAK_W * len(self.breaks)) / max(1, shown_days)

    def x_of(self, day: dt.date) -> float:
        x = self.left
        cursor = self.start
        for a, b in self.breaks:
            if day <= a:
                break
            x += (a - cursor).days * self.scale
            if day < b:
                return x + self.BREAK_W * (day - a).days / max(1, (b - a).days)
            x += self.BREAK_W
            cursor = b
        return x + (day - cursor).days * self.scale

    def solid_parts(self) -> list[tuple[float, float]]:
        edges = [self.left] + [v for a, b in self.breaks for v in (self.x_of(a), self.x_of(b))] + [self.right]
        return list(zip(edges[::2], edges[1::2], strict=True))

    def break_parts(self) -> list[tuple[float, float]]:
        return [(self.x_of(a), self.x_of(b)) for a, b in self.breaks]

    def in_break(self, day: dt.date) -> bool:
        return any(a < day < b for a, b in self.breaks)

    def after_break(self, day: dt.date) -> bool:
        return any(b <= day < b + dt.timedelta(days=40) for _, b in self.breaks)

    def visible_months(self) -> list[dt.date]:
        out, m = [], self.start
        while m <= self.end:
            if not self.in_break(m):
                out.append(m)
            m = _add_months(m, 1)
        return out


def _width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(chunk, font, size) for font, chunk in runs(text))


def _label(d, x: float, y: float, text: str, size: float, color) -> None:  # type: ignore[no-untyped-def]
    """User text as Strings: CJK runs in their CID font, the rest in DejaVu."""
    from reportlab.graphics.shapes import String
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for font, chunk in runs(text):
        d.add(String(x, y, chunk, fontName=font, fontSize=size, fillColor=color))
        x += stringWidth(chunk, font, size)


LABEL_SIZE = 7.2
ROW = 12.5
BAR_ROW = 9.0
MAX_LABEL = 42


def timeline_drawing(data: PacketData, width: float, height: float):  # type: ignore[no-untyped-def]
    """The timeline as a Drawing ``width`` × ``height`` points, or None when there is no dated event."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
    from reportlab.lib.colors import HexColor
    from reportlab.pdfbase.pdfmetrics import stringWidth

    events, spans = timeline_events(data)
    if not events:
        return None
    dates = sorted({e.day for e in events} | {s.start for s in spans} | {s.end for s in spans})
    start = _month_start(dates[0])
    end = _add_months(_month_start(dates[-1]), 1)
    while _months_between(start, end) < 4:  # a short history still gets a readable axis
        start, end = _add_months(start, -1), _add_months(end, 1)

    d = Drawing(width, height)
    left, right = 8.0, width - 8.0
    axis = _Axis(start, end, dates, left, right)
    legend_h = 30.0
    bars_h = BAR_ROW * min(len(spans), 6)
    axis_y = legend_h + (height - legend_h) * 0.42 + bars_h / 2
    x_of = axis.x_of

    grey = HexColor("#7b8794")
    ink = HexColor("#34495e")
    for x0, x1 in axis.solid_parts():
        d.add(Line(x0, axis_y, x1, axis_y, strokeColor=ink, strokeWidth=1.2))
    for x0, x1 in axis.break_parts():  # a gap with nothing in it, shortened: drawn as a broken axis
        d.add(Line(x0, axis_y, x1, axis_y, strokeColor=ink, strokeWidth=0.6, strokeDashArray=[1.5, 2]))
        for bx in (x0 + 2, x1 - 6):
            d.add(Line(bx, axis_y - 5, bx + 4, axis_y + 5, strokeColor=ink, strokeWidth=0.8))
    months = axis.visible_months()
    step = next(s for limit, s in ((14, 1), (28, 2), (48, 3), (96, 6), (10**6, 12)) if len(months) <= limit)
    shown = [m for n, m in enumerate(months) if n % step == 0 or m.month == 1]
    last_label_end = -1e9
    for n, tick in enumerate(shown):
        x = x_of(tick)
        d.add(Line(x, axis_y - 4, x, axis_y + 4, strokeColor=grey, strokeWidth=0.6))
        month_label = words.month_label(tick)
        if tick.month == 1 or n == 0 or axis.after_break(tick):
            month_label += f" {tick.year}"
        lw = stringWidth(month_label, FONT, 6.5)
        if x - lw / 2 > last_label_end + 3:
            d.add(String(x, axis_y - 12, month_label, fontName=FONT, fontSize=6.5, fillColor=grey,
                         textAnchor="middle"))
            last_label_end = x + lw / 2

    # Treatment bars just below the axis (named by their start marker's label); an ongoing one ends in an
    # arrow at today.
    for row, span in enumerate(spans[:6]):
        y = axis_y - 22 - row * BAR_ROW
        x0, x1 = x_of(span.start), max(x_of(span.end), x_of(span.start) + 2)
        d.add(Rect(x0, y - 3, x1 - x0, 6, fillColor=HexColor("#a9dfbf"),
                   strokeColor=HexColor(TREATMENT.color), strokeWidth=0.5))
        if span.ongoing:
            d.add(Polygon([x1, y - 4.5, x1 + 6, y, x1, y + 4.5], fillColor=HexColor(TREATMENT.color),
                          strokeColor=None))

    # Labels. Each label sits on a row above the axis or below the treatment bars, reached by a leader line
    # from its marker. Going from the latest event to the earliest, each takes the nearest row where it
    # overlaps no label and crosses no leader line, and where its own leader crosses no label.
    above_base = axis_y + 16
    below_base = axis_y - 22 - bars_h - 6
    rows_above = max(1, int((height - above_base - 4) // ROW))
    rows_below = max(0, int((below_base - legend_h - 6) // ROW))
    order: list[tuple[str, int]] = []
    for n in range(max(rows_above, rows_below)):
        if n < rows_above:
            order.append(("up", n))
        if n < rows_below:
            order.append(("down", n))
    labels: dict[str, list[tuple[int, float, float]]] = {"up": [], "down": []}  # row, from x, to x
    leaders: dict[str, list[tuple[int, float]]] = {"up": [], "down": []}  # row reached, x

    def fits(side: str, row: int, a: float, b: float, x: float, strict: bool = True) -> bool:
        for r, la, lb in labels[side]:
            if r == row and not (a > lb + 5 or b < la - 5):
                return False  # overlaps a label on the same row
            if strict and r < row and la - 1 <= x <= lb + 1:
                return False  # our leader would cross a label nearer the axis
        return all(not (r > row and a - 2 <= lx <= b + 2) for r, lx in leaders[side])

    # Labels run right of their marker, or left of it near the right edge. Leftward labels are placed
    # earliest first and rightward ones latest first: then a label further from the axis never has to cross
    # a nearer one with its leader.
    prepared = []
    for e in events:
        x = x_of(e.day)
        text = f"{words.month_label(e.day)} {e.day.day}: {plain(e.label, MAX_LABEL)}"
        w = _width(text, LABEL_SIZE)
        leftward = x + 3 + w > right or x > left + 0.6 * (right - left)
        lx = max(left, x - 3 - w) if leftward else x + 3
        prepared.append((e, x, lx, w, text, leftward))
    sequence = sorted((p for p in prepared if p[5]), key=lambda p: p[1]) + sorted(
        (p for p in prepared if not p[5]), key=lambda p: p[1], reverse=True)
    placed = []
    for e, x, lx, w, text, _ in sequence:
        slot = next((c for c in order if fits(c[0], c[1], lx, lx + w, x)), None) or next(
            (c for c in order if fits(c[0], c[1], lx, lx + w, x, strict=False)), order[-1])
        side, n = slot
        labels[side].append((n, lx, lx + w))
        leaders[side].append((n, x))
        placed.append((e, x, lx, w, slot, text))

    for e, x, lx, w, (side, n), text in placed:
        ly = above_base + n * ROW if side == "up" else below_base - n * ROW
        color = HexColor(e.category.color)
        y_line = ly + 2.5
        d.add(Line(x, axis_y, x, y_line, strokeColor=color, strokeWidth=0.5))
        end_x = lx - 1.5 if lx > x else lx + w + 1.5
        d.add(Line(x, y_line, end_x, y_line, strokeColor=color, strokeWidth=0.5))
        _label(d, lx, ly, text, LABEL_SIZE, HexColor("#1c2833"))
    for e, x, *_ in placed:
        d.add(Circle(x, axis_y, 3.6, fillColor=HexColor(e.category.color), strokeColor=HexColor("#ffffff"),
                     strokeWidth=0.8))

    # Legend.
    x = left
    for c in CATEGORIES:
        d.add(Circle(x + 4, 10, 3.6, fillColor=HexColor(c.color), strokeColor=None))
        d.add(String(x + 11, 7.5, c.label, fontName=FONT, fontSize=7, fillColor=HexColor("#1c2833")))
        x += 18 + stringWidth(c.label, FONT, 7)
    if spans:
        d.add(Rect(x, 7, 16, 6, fillColor=HexColor("#a9dfbf"), strokeColor=HexColor(TREATMENT.color),
                   strokeWidth=0.5))
        d.add(String(x + 20, 7.5, "Treatment period", fontName=FONT, fontSize=7,
                     fillColor=HexColor("#1c2833")))
    return d
