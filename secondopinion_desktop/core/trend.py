"""The geometry of a lab trend chart, shared by the window's chart and the packet's: which points to draw, the
frame's date and value ranges with their tick labels, the reference range as a band, and the treatment lines as
marked periods.

Pure Python (no Qt, no reportlab): a drawing asks :func:`trend_frame` for a :class:`TrendFrame`, then places
things with :func:`x_fraction` / :func:`y_fraction` (0..1 across and up the plot area, clamped to it).

- A series with 1,000+ values is thinned to ``max_points`` by buckets that keep each bucket's first, last, lowest
  and highest value, so a peak or a dip is never lost.
- One value, or every value on one day, gets a frame of ±15 days; all values equal get a value range widened by
  ±10 % (±1 around zero).
- The frame covers every value and the reference range, unless a bound lies more than eight times the values'
  size away (a range of 1000–2000 for values near 5); then the band is only drawn where it meets the frame
  (:func:`band_fractions`, None when it misses the frame). A frame of positive values never dips
  below zero.
- Tick labels use fixed English month names (no locale): "Mar 2025", "3 Mar", "2025".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from secondopinion_desktop.core.health import LabPoint, LabSeries, RangeBand
from secondopinion_desktop.core.treatments import TreatmentLineData

__all__ = ["MONTHS", "Period", "Tick", "TrendFrame", "band_fractions", "period_label", "point_x", "trend_frame",
           "x_fraction", "y_fraction"]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_X_TICKS = 7
MIN_SPAN_DAYS = 30  # a frame narrower than this (one value, values days apart) is widened around its middle
_Y_STEPS = (1.0, 2.0, 2.5, 5.0)


@dataclass(frozen=True)
class Tick:
    value: float  # x ticks: a date's ordinal (date.toordinal()); y ticks: the value
    label: str


@dataclass(frozen=True)
class Period:
    """A treatment line drawn as a shaded period. ``end`` None: ongoing. ``clipped_start`` / ``clipped_end`` are
    ordinals clipped to the frame (an ongoing line ends at today, or at the frame's right edge)."""

    start: dt.date
    end: dt.date | None
    label: str
    clipped_start: float
    clipped_end: float


@dataclass(frozen=True)
class TrendFrame:
    name: str
    unit: str
    points: tuple[LabPoint, ...]  # charted points (dated, numeric, main unit), oldest first, thinned
    x_min: float  # ordinals, padded
    x_max: float
    y_min: float
    y_max: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    band: RangeBand | None  # low/high may be None: open to the frame's edge
    periods: tuple[Period, ...]
    left_out: int  # values not charted: no date, no number, or another unit
    mixed_units: bool
    key: str = ""  # the series' key ("ca15-3")
    thinned: bool = False  # True when points were dropped to fit max_points


def x_fraction(frame: TrendFrame, ordinal: float) -> float:
    """Where a date (its ordinal) falls across the frame: 0 at the left edge, 1 at the right (clamped)."""
    span = frame.x_max - frame.x_min
    if span <= 0:
        return 0.5
    return min(1.0, max(0.0, (ordinal - frame.x_min) / span))


def y_fraction(frame: TrendFrame, value: float) -> float:
    """Where a value falls up the frame: 0 at the bottom, 1 at the top (clamped)."""
    span = frame.y_max - frame.y_min
    if span <= 0:
        return 0.5
    return min(1.0, max(0.0, (value - frame.y_min) / span))


def point_x(point: LabPoint) -> float:
    """A charted point's x value (its day's ordinal)."""
    assert point.day is not None
    return float(point.day.toordinal())


def band_fractions(frame: TrendFrame) -> tuple[float, float] | None:
    """The reference band's bottom and top as fractions of the frame's height (an open end reaches the frame's
    edge); None when there is no band or it lies wholly outside the frame."""
    band = frame.band
    if band is None or not band.usable:
        return None
    low = frame.y_min if band.low is None else band.low
    high = frame.y_max if band.high is None else band.high
    if high < frame.y_min or low > frame.y_max:
        return None
    bottom, top = y_fraction(frame, low), y_fraction(frame, high)
    if top - bottom <= 0 and not (band.low is not None and band.high is not None and band.low == band.high):
        return None
    return bottom, top


def period_label(line: TreatmentLineData) -> str:
    """The short label of a treatment line: its kind ("Chemotherapy"); an "other" line its description."""
    kind = line.kind
    value = str(getattr(kind, "value", kind))
    label = str(getattr(kind, "label", "") or value.replace("_", " ").capitalize())
    if value == "other" and line.description.strip():
        return " ".join(line.description.split())
    return label


# --- thinning -------------------------------------------------------------------------------------------------


def _thin(points: Sequence[LabPoint], max_points: int) -> tuple[LabPoint, ...]:
    """At most ``max_points`` points, oldest first: the series cut into buckets, each keeping its first, last,
    lowest and highest point."""
    if len(points) <= max_points:
        return tuple(points)
    if max_points < 2:
        return (points[0],) if max_points == 1 else ()
    buckets = max(1, max_points // 4)
    size = len(points) / buckets
    kept: list[int] = []
    for b in range(buckets):
        lo, hi = int(round(b * size)), int(round((b + 1) * size))
        if hi <= lo:
            continue
        idx = range(lo, hi)
        chosen = {lo, hi - 1,
                  min(idx, key=lambda i: points[i].number or 0.0),
                  max(idx, key=lambda i: points[i].number or 0.0)}
        kept.extend(sorted(chosen))
    if len(kept) > max_points:  # only when max_points < 4: keep the extremes and the ends
        ends = {0, len(points) - 1}
        lowest = min(range(len(points)), key=lambda i: points[i].number or 0.0)
        highest = max(range(len(points)), key=lambda i: points[i].number or 0.0)
        kept = sorted(ends | {lowest, highest})[:max_points]
        if len(points) - 1 not in kept:
            kept[-1] = len(points) - 1
    return tuple(points[i] for i in sorted(set(kept)))


# --- x axis ---------------------------------------------------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _day_ticks(lo: int, hi: int, step: int) -> list[dt.date]:
    first = lo + (-lo) % step
    return [dt.date.fromordinal(o) for o in range(first, hi + 1, step)]


def _month_ticks(lo: int, hi: int, step: int) -> list[dt.date]:
    day = _month_start(dt.date.fromordinal(lo))
    if day.toordinal() < lo:
        day = _add_months(day, 1)
    while (day.month - 1) % step:
        day = _add_months(day, 1)
    out = []
    while day.toordinal() <= hi:
        out.append(day)
        day = _add_months(day, step)
    return out


def _year_ticks(lo: int, hi: int, step: int) -> list[dt.date]:
    start, end = dt.date.fromordinal(lo), dt.date.fromordinal(hi)
    year = start.year if start == dt.date(start.year, 1, 1) else start.year + 1
    year += (-year) % step
    return [dt.date(y, 1, 1) for y in range(year, end.year + 1, step)]


def _x_ticks(x_min: float, x_max: float) -> tuple[Tick, ...]:
    lo, hi = math.ceil(x_min), math.floor(x_max)
    if hi < lo:
        return ()
    candidates: list[tuple[str, list[dt.date]]] = []
    for step in (1, 2, 3, 7, 14):
        candidates.append(("day", _day_ticks(lo, hi, step)))
    for step in (1, 2, 3, 6):
        candidates.append(("month", _month_ticks(lo, hi, step)))
    for step in (1, 2, 5, 10, 20, 50, 100):
        candidates.append(("year", _year_ticks(lo, hi, step)))
    kind, days = next(((k, d) for k, d in candidates if len(d) <= MAX_X_TICKS), candidates[-1])
    ticks = []
    previous_year: int | None = None
    for day in days:
        new_year = day.year != previous_year
        if kind == "day":
            label = f"{day.day} {MONTHS[day.month - 1]}" + (f" {day.year}" if new_year else "")
        elif kind == "month":
            label = MONTHS[day.month - 1] + (f" {day.year}" if new_year else "")
        else:
            label = str(day.year)
        previous_year = day.year
        ticks.append(Tick(float(day.toordinal()), label))
    return tuple(ticks)


def _x_range(first: dt.date, last: dt.date) -> tuple[float, float]:
    lo, hi = float(first.toordinal()), float(last.toordinal())
    span = hi - lo
    if span < MIN_SPAN_DAYS:
        middle = (lo + hi) / 2
        return middle - MIN_SPAN_DAYS / 2, middle + MIN_SPAN_DAYS / 2
    pad = max(1.0, span * 0.04)
    return lo - pad, hi + pad


# --- y axis ---------------------------------------------------------------------------------------------------


def _nice_step(lo: float, hi: float) -> float:
    span = hi - lo
    exponent = math.floor(math.log10(span / 6)) if span > 0 else 0
    for k in range(exponent - 1, exponent + 3):
        for mantissa in _Y_STEPS:
            step = mantissa * 10.0 ** k
            intervals = math.ceil(hi / step - 1e-9) - math.floor(lo / step + 1e-9)
            if intervals <= 5:  # at most 6 ticks (and, stepping up by ≤ 2.5×, at least 3)
                return step
    return 10.0 ** (exponent + 3)


def _decimals(step: float) -> int:
    if step >= 1 and float(step).is_integer():
        return 0
    for d in range(1, 12):
        if abs(round(step, d) - step) < step * 1e-9:
            return d
    return 6


def _format(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    return text


def _y_range(values: Sequence[float], band: RangeBand | None) -> tuple[float, float, tuple[Tick, ...]]:
    v_lo, v_hi = min(values), max(values)
    lo, hi = v_lo, v_hi
    # the band widens the frame unless it lies so far from the values that they would shrink to a sliver
    allowed = max(4 * (v_hi - v_lo), 8 * max(abs(v_lo), abs(v_hi)))
    if band is not None:
        for bound in (band.low, band.high):
            if bound is not None and max(hi, bound) - min(lo, bound) <= allowed:
                lo, hi = min(lo, bound), max(hi, bound)
    if hi == lo:
        delta = abs(hi) * 0.1 or 1.0
        lo, hi = lo - delta, hi + delta
    else:
        pad = (hi - lo) * 0.05
        all_positive = v_lo >= 0 and (band is None or band.low is None or band.low >= 0)
        lo, hi = lo - pad, hi + pad
        if all_positive and lo < 0:
            lo = 0.0
    step = _nice_step(lo, hi)
    y_min = math.floor(lo / step + 1e-9) * step
    y_max = math.ceil(hi / step - 1e-9) * step
    if y_max <= y_min:
        y_max = y_min + step
    decimals = _decimals(step)
    ticks = []
    k = 0
    while True:
        value = round(y_min + k * step, 10)
        if value > y_max + step * 1e-6:
            break
        ticks.append(Tick(value, _format(value, decimals)))
        k += 1
    return round(y_min, 10), round(y_max, 10), tuple(ticks)


# --- the frame ------------------------------------------------------------------------------------------------


def _periods(treatments: Sequence[TreatmentLineData], x_min: float, x_max: float,
             today: dt.date | None) -> tuple[Period, ...]:
    out = []
    for line in treatments:
        if line.start_date is None:
            continue  # a line without a start cannot be placed
        start = float(line.start_date.toordinal())
        if line.end_date is not None:
            end = float(line.end_date.toordinal())
        elif today is not None:
            end = float(max(today, line.start_date).toordinal())
        else:
            end = x_max
        if end < start:
            continue
        if start > x_max or end < x_min:
            continue  # wholly outside the frame: left out
        out.append(Period(line.start_date, line.end_date, period_label(line), max(start, x_min), min(end, x_max)))
    return tuple(out)


def trend_frame(series: LabSeries, treatments: Sequence[TreatmentLineData] = (), *, max_points: int = 400,
                today: dt.date | None = None) -> TrendFrame | None:
    """The chart of one series, with the treatment lines that overlap it as periods; None when the series has
    no value that can be charted (dated, a number, in its main unit)."""
    charted = [p for p in series.charted if p.day is not None and p.number is not None
               and math.isfinite(p.number)]
    if not charted:
        return None
    charted.sort(key=lambda p: p.day or dt.date.min)
    points = _thin(charted, max(1, max_points))
    first, last = charted[0].day, charted[-1].day
    assert first is not None and last is not None
    x_min, x_max = _x_range(first, last)
    band = series.band if series.band is not None and series.band.usable else None
    y_min, y_max, y_ticks = _y_range([p.number for p in charted if p.number is not None], band)
    return TrendFrame(
        name=series.name, unit=series.unit, points=points, x_min=x_min, x_max=x_max, y_min=y_min, y_max=y_max,
        x_ticks=_x_ticks(x_min, x_max), y_ticks=y_ticks, band=band,
        periods=_periods(treatments, x_min, x_max, today), left_out=len(series.points) - len(charted),
        mixed_units=series.mixed_units, key=series.key, thinned=len(points) < len(charted),
    )
