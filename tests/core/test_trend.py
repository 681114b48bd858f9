"""A lab trend's chart geometry (core.trend): thinning, frames, ticks, the band and treatment periods."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core.health import LabPoint, LabSeries, add_lab_result, lab_series, parse_range
from secondopinion_desktop.core.models import TreatmentKind
from secondopinion_desktop.core.treatments import TreatmentLineData, create_treatment_line, list_treatment_lines
from secondopinion_desktop.core.trend import (
    MONTHS,
    band_fractions,
    trend_frame,
    x_fraction,
    y_fraction,
)

D0 = dt.date(2025, 1, 6)


def _point(i: int, day: dt.date | None, number: float | None, unit: str = "U/mL", value: str | None = None,
           comparator: str = "") -> LabPoint:
    text = value if value is not None else ("" if number is None else f"{number:g}")
    return LabPoint(i, day, text, number, comparator, unit, "0-30", "", "hand", None, "", "")


def _series(points, band: str = "0-30", units: tuple[str, ...] = ("U/mL",)) -> LabSeries:
    parsed = parse_range(band)
    return LabSeries("ca15-3", "CA 15-3", "marker", tuple(points), units, parsed if parsed.usable else None)


def _line(kind: TreatmentKind, start: dt.date | None, end: dt.date | None, description: str = "") -> TreatmentLineData:
    return TreatmentLineData(1, kind, description, start, end, "")


def _spaced(n: int, days: int, values) -> list[LabPoint]:
    return [_point(i, D0 + dt.timedelta(days=round(days * i / max(1, n - 1))), v) for i, v in enumerate(values)]


def test_no_charted_point_gives_no_frame():
    assert trend_frame(_series([])) is None
    undated = _series([_point(1, None, 5.0), _point(2, D0, None, value="positive")])
    assert trend_frame(undated) is None


def test_one_point_gets_a_month_wide_frame_around_it():
    frame = trend_frame(_series([_point(1, D0, 22.0)]))
    assert frame is not None
    assert frame.x_min == D0.toordinal() - 15 and frame.x_max == D0.toordinal() + 15
    assert x_fraction(frame, D0.toordinal()) == pytest.approx(0.5)
    assert frame.y_min <= 0 <= 22 <= 30 <= frame.y_max  # the value and the band both show
    assert 2 <= len(frame.x_ticks) <= 7 and 3 <= len(frame.y_ticks) <= 6


def test_all_points_on_one_day_and_all_values_equal():
    frame = trend_frame(_series([_point(i, D0, 7.0) for i in range(5)], band=""))
    assert frame is not None
    assert frame.x_max - frame.x_min == 30
    assert frame.y_min <= 6.3 and frame.y_max >= 7.7  # widened by at least ±10 %
    assert frame.y_min < frame.y_max
    assert y_fraction(frame, 7.0) == pytest.approx(0.5, abs=0.25)


def test_all_values_zero_are_widened_by_one():
    frame = trend_frame(_series([_point(i, D0 + dt.timedelta(days=40 * i), 0.0) for i in range(3)], band=""))
    assert frame is not None
    assert frame.y_min <= -1 and frame.y_max >= 1


def test_thinning_a_thousand_points_keeps_the_peaks_and_the_ends():
    values = [20.0 + (i % 7) for i in range(1000)]
    values[437] = 950.0  # one spike
    values[811] = -3.0  # one dip
    points = _spaced(1000, 3 * 365, values)
    frame = trend_frame(_series(points), max_points=400)
    assert frame is not None
    assert len(frame.points) <= 400 and frame.thinned
    kept = {p.result_id for p in frame.points}
    assert {0, 999, 437, 811} <= kept
    days = [p.day for p in frame.points]
    assert days == sorted(days)  # still oldest first
    assert frame.y_max >= 950 and frame.y_min <= -3


def test_few_points_are_not_thinned():
    frame = trend_frame(_series(_spaced(12, 300, range(12))))
    assert frame is not None
    assert len(frame.points) == 12 and not frame.thinned


@pytest.mark.parametrize("max_points", [1, 2, 3, 5])
def test_tiny_point_budgets_still_keep_the_last_point(max_points):
    points = _spaced(50, 100, [float(i % 5) for i in range(50)])
    frame = trend_frame(_series(points), max_points=max_points)
    assert frame is not None
    assert 1 <= len(frame.points) <= max_points
    assert frame.points[-1].result_id == (49 if max_points > 1 else 0)


@pytest.mark.parametrize("days", [2, 20, 45, 90, 200, 400, 800, 2000, 3650, 7300])
def test_x_ticks_are_few_inside_the_frame_and_in_english(days):
    frame = trend_frame(_series(_spaced(10, days, [10.0 + i for i in range(10)])))
    assert frame is not None
    assert 2 <= len(frame.x_ticks) <= 7
    values = [t.value for t in frame.x_ticks]
    assert values == sorted(values)
    assert all(frame.x_min <= v <= frame.x_max for v in values)
    for tick in frame.x_ticks:
        words = tick.label.split()
        assert all(w.isdigit() or w in MONTHS for w in words), tick.label
        assert any(w.isdigit() and len(w) == 4 for w in frame.x_ticks[0].label.split())  # the first shows the year


def test_month_ticks_fall_on_the_first_of_a_month_with_the_year_when_it_changes():
    frame = trend_frame(_series(_spaced(6, 200, [1.0, 2, 3, 4, 5, 6])))
    assert frame is not None
    labels = [t.label for t in frame.x_ticks]
    assert labels[0] == "Feb 2025" or labels[0] == "Jan 2025"
    for tick in frame.x_ticks:
        assert dt.date.fromordinal(int(tick.value)).day == 1
    twenty_years = trend_frame(_series(_spaced(5, 7300, [1.0, 2, 3, 4, 5])))
    assert twenty_years is not None
    assert all(t.label.isdigit() for t in twenty_years.x_ticks)


def test_y_ticks_are_nice_numbers_covering_the_values():
    frame = trend_frame(_series(_spaced(4, 100, [12.3, 48.9, 77.1, 33.0]), band=""))
    assert frame is not None
    assert 3 <= len(frame.y_ticks) <= 6
    assert frame.y_ticks[0].value == frame.y_min and frame.y_ticks[-1].value == frame.y_max
    step = frame.y_ticks[1].value - frame.y_ticks[0].value
    mantissa = step / 10 ** len(str(int(step))) * 10
    assert round(mantissa, 6) in (1, 2, 2.5, 5)
    assert frame.y_min <= 12.3 and frame.y_max >= 77.1


def test_small_decimal_values_have_decimal_tick_labels():
    frame = trend_frame(_series(_spaced(3, 100, [0.52, 0.61, 0.57]), band=""))
    assert frame is not None
    assert all("." in t.label for t in frame.y_ticks[1:])
    assert len({t.label for t in frame.y_ticks}) == len(frame.y_ticks)


def test_large_values_have_thousands_separators():
    frame = trend_frame(_series(_spaced(3, 100, [1200.0, 5400.0, 8800.0]), band=""))
    assert frame is not None
    assert any("," in t.label for t in frame.y_ticks)


def test_negative_values_are_not_cut_at_zero():
    frame = trend_frame(_series(_spaced(3, 100, [-4.0, 2.0, -1.0]), band=""))
    assert frame is not None
    assert frame.y_min <= -4 and frame.y_max >= 2
    assert all(not t.label.startswith("-0") for t in frame.y_ticks)


def test_positive_values_start_at_zero_not_below():
    frame = trend_frame(_series(_spaced(3, 100, [1.0, 40.0, 80.0]), band=""))
    assert frame is not None
    assert frame.y_min == 0


def test_band_with_only_a_high_reaches_the_bottom():
    frame = trend_frame(_series(_spaced(3, 100, [10.0, 20.0, 25.0]), band="<35"))
    assert frame is not None and frame.band is not None
    assert frame.band.low is None and frame.band.high == 35
    assert frame.y_max >= 35
    bottom, top = band_fractions(frame) or (None, None)
    assert bottom == 0.0 and top == pytest.approx(y_fraction(frame, 35))


def test_band_with_only_a_low_reaches_the_top():
    frame = trend_frame(_series(_spaced(3, 100, [70.0, 90.0, 85.0]), band=">60"))
    assert frame is not None
    assert frame.y_min <= 60
    assert band_fractions(frame) == (pytest.approx(y_fraction(frame, 60)), 1.0)


def test_band_far_from_the_values_does_not_squash_them():
    frame = trend_frame(_series(_spaced(3, 100, [5.0, 6.0, 5.5]), band="1000-2000"))
    assert frame is not None
    assert frame.y_max < 100  # the values keep the frame
    assert band_fractions(frame) is None  # the band is wholly above it: nothing to draw
    # a marker far above its range keeps its zero: the band shows as a thin strip at the bottom
    below = trend_frame(_series(_spaced(3, 100, [5000.0, 5200.0, 5100.0]), band="10-20"))
    assert below is not None
    assert below.y_min == 0 and below.y_max >= 5200
    bottom, top = band_fractions(below) or (1.0, 1.0)
    assert bottom < top < 0.01


def test_band_near_the_values_is_inside_the_frame():
    frame = trend_frame(_series(_spaced(3, 100, [10.5, 11.2, 13.0]), band="12.0-15.5"))
    assert frame is not None
    assert frame.y_min <= 10.5 and frame.y_max >= 15.5
    bottom, top = band_fractions(frame) or (0.0, 0.0)
    assert 0 < bottom < top < 1


def test_treatment_periods_are_clipped_labelled_and_outside_ones_left_out():
    points = _spaced(5, 200, [40.0, 35, 28, 22, 18])  # 6 Jan … 25 Jul 2025
    lines = [
        _line(TreatmentKind.SURGERY, dt.date(2020, 1, 1), dt.date(2020, 1, 2)),  # long before: left out
        _line(TreatmentKind.CHEMOTHERAPY, dt.date(2024, 11, 1), dt.date(2025, 3, 1)),  # starts before the frame
        _line(TreatmentKind.HORMONE, dt.date(2025, 4, 1), None),  # ongoing
        _line(TreatmentKind.RADIATION, dt.date(2026, 1, 1), dt.date(2026, 2, 1)),  # after: left out
        _line(TreatmentKind.OTHER, dt.date(2025, 2, 1), dt.date(2025, 2, 10), "Cold cap  trial"),
        _line(TreatmentKind.TARGETED, None, None),  # no start: cannot be placed
    ]
    frame = trend_frame(_series(points), lines, today=dt.date(2025, 8, 1))
    assert frame is not None
    labels = [p.label for p in frame.periods]
    assert labels == ["Chemotherapy", "Hormone therapy", "Cold cap trial"]
    chemo, hormone, _other = frame.periods
    assert chemo.clipped_start == frame.x_min and chemo.clipped_end == dt.date(2025, 3, 1).toordinal()
    assert hormone.end is None
    assert hormone.clipped_end == min(frame.x_max, dt.date(2025, 8, 1).toordinal())
    without_today = trend_frame(_series(points), lines)
    assert without_today is not None
    assert without_today.periods[1].clipped_end == without_today.x_max  # ongoing: to the frame's right edge


def test_ongoing_line_ends_at_today_when_today_is_inside_the_frame():
    points = _spaced(3, 300, [5.0, 6.0, 7.0])
    today = D0 + dt.timedelta(days=200)
    frame = trend_frame(_series(points), [_line(TreatmentKind.HORMONE, D0, None)], today=today)
    assert frame is not None
    assert frame.periods[0].clipped_end == today.toordinal()


def test_values_left_out_and_mixed_units_are_counted():
    points = [_point(1, D0, 20.0), _point(2, D0 + dt.timedelta(days=30), 25.0),
              _point(3, D0 + dt.timedelta(days=60), 300.0, unit="kU/L"),
              _point(4, D0 + dt.timedelta(days=90), None, value="see note"),
              _point(5, None, 21.0)]
    frame = trend_frame(_series(points, units=("U/mL", "kU/L")))
    assert frame is not None
    assert [p.result_id for p in frame.points] == [1, 2, 5][:2]
    assert frame.left_out == 3 and frame.mixed_units
    assert frame.unit == "U/mL" and frame.name == "CA 15-3"
    assert frame.y_max < 300  # the other unit's value does not stretch the frame


def test_fractions_are_clamped_and_ordered():
    frame = trend_frame(_series(_spaced(3, 100, [1.0, 2.0, 3.0]), band=""))
    assert frame is not None
    assert x_fraction(frame, frame.x_min - 100) == 0 and x_fraction(frame, frame.x_max + 100) == 1
    assert y_fraction(frame, -1e9) == 0 and y_fraction(frame, 1e9) == 1
    xs = [x_fraction(frame, p.day.toordinal()) for p in frame.points]
    assert xs == sorted(xs) and 0 < xs[0] < xs[-1] < 1


def test_a_real_series_from_the_folder(folder):
    for day, value in [("2025-01-10", "48"), ("2025-03-02", "<31.3"), ("2025-05-20", "22.5")]:
        add_lab_result(folder, "CA 15-3", value, day, unit="U/mL", reference_range="<31.3")
    add_lab_result(folder, "CA 15-3", "see note", "2025-06-01", unit="U/mL")
    create_treatment_line(folder, "chemotherapy", start_date="2024-12-01", end_date="2025-04-15")
    (series,) = lab_series(folder, key_tests_only=True)
    frame = trend_frame(series, list_treatment_lines(folder), today=dt.date(2025, 7, 1))
    assert frame is not None
    assert [p.value for p in frame.points] == ["48", "<31.3", "22.5"]
    assert frame.points[1].comparator == "<"
    assert frame.left_out == 1
    assert [p.label for p in frame.periods] == ["Chemotherapy"]
    assert frame.band is not None and frame.band.high == 31.3
