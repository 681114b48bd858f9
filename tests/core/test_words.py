"""One way to say dates and sizes: fixed English month names whatever the desktop's locale, and one size
precision, the same for the command line and the window (both call core.words)."""

from __future__ import annotations

import ast
import datetime as dt
import locale
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import secondopinion_desktop
from secondopinion_desktop.cli import main
from secondopinion_desktop.core import words

GERMAN = ("de_DE.UTF-8", "de_DE.utf8", "de_DE")
PACKAGE = Path(secondopinion_desktop.__file__).parent
# strftime directives whose words follow the locale; numbers (%Y %m %d %H %M) are the same everywhere
LOCALE_WORDS = re.compile(r"%[aAbBpcxXh]")
QT_WORDS = re.compile(r"MMM|ddd|AP|ap")  # Qt's month and day names and its AM/PM follow the locale


@pytest.fixture
def german_time() -> Iterator[str]:
    """LC_TIME switched to German, as Qt does at start-up under a German desktop; put back afterwards."""
    before = locale.setlocale(locale.LC_TIME)
    for name in GERMAN:
        try:
            locale.setlocale(locale.LC_TIME, name)
        except locale.Error:
            continue
        try:
            yield name
        finally:
            locale.setlocale(locale.LC_TIME, before)
        return
    pytest.skip("no German locale is installed here (locale -a)")


def test_month_names_stay_english_under_a_german_desktop(german_time: str) -> None:
    march = dt.datetime(2026, 3, 4, 14, 5)
    assert f"{march:%b}" == "Mär"  # the locale really is German: strftime says so
    assert words.day_month_year(march.date()) == "4 Mar 2026"
    assert words.month_day_year(march.date()) == "Mar 4, 2026"
    assert words.long_date(march) == "Wed 4 Mar 2026"
    assert words.when_text(march) == "Wed 4 Mar 2026, 14:05"
    assert words.packet_datetime(march) == "Wed, Mar 4, 2026 at 2:05 PM"
    assert words.month_label(dt.date(2026, 5, 1)) == "May"  # "Mai" in German
    assert words.weekday(dt.date(2026, 3, 5)) == "Thu"  # "Do"


def test_the_sample_data_is_dated_in_english_under_a_german_desktop(german_time: str) -> None:
    from secondopinion_desktop.core import demo

    assert demo._Dates(dt.date(2026, 3, 14)).text("Seen on {date:10}.") == "Seen on Mar 4, 2026."


def test_the_command_line_says_dates_and_sizes_as_the_window_does(
    german_time: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data, archive = tmp_path / "data", tmp_path / "saved.zip"
    assert main(["records", "add", "--kind", "lab", "--title", "Blood count", "--data-dir", str(data)]) == 0
    assert main(["backup", "--out", str(archive), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert f", {words.size(archive.stat().st_size)}; checked against its manifest." in out
    assert main(["restore", str(archive), "--data-dir", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    made = re.search(r"\(made (.+?)\)", out)
    assert made, out
    assert re.fullmatch(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} at \d\d:\d\d",
                        made.group(1)), made.group(1)


def locale_formats(source: str) -> list[int]:
    """Lines that format a date with the locale's words: strftime or an f-string spec with %a %b %p…, or a Qt
    date format with MMM / ddd (QDate.toString, QLocale.toString)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            texts = [v.value for v in node.format_spec.values if isinstance(v, ast.Constant)]
            found += [node.lineno for text in texts if LOCALE_WORDS.search(str(text))]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.attr == "strftime":
                found += [node.lineno for text in texts if LOCALE_WORDS.search(text)]
            elif node.func.attr == "toString":
                found += [node.lineno for text in texts if QT_WORDS.search(text)]
    return sorted(found)


def test_no_module_formats_dates_with_the_locale() -> None:
    offenders = {str(path.relative_to(PACKAGE)): lines for path in sorted(PACKAGE.rglob("*.py"))
                 if (lines := locale_formats(path.read_text(encoding="utf-8")))}
    assert offenders == {}, "say dates with core.words (fixed English month and day names)"


def test_the_scan_sees_locale_words() -> None:
    source = ('a = f"{day:%d %b %Y}"\nb = day.strftime("%A")\nc = qdate.toString("d MMM yyyy")\n'
              'd = day.strftime("%Y%m%d-%H%M%S")\ne = f"{day:%Y-%m-%d}"\nf = qdate.toString("yyyy-MM-dd")\n')
    assert locale_formats(source) == [1, 2, 3]


def test_dates_and_times() -> None:
    day = dt.date(2026, 12, 8)
    assert words.day_month_year(day) == "8 Dec 2026"
    assert words.day_month_year(None) == words.month_day_year(None) == "\u2014"
    assert words.long_date(day) == "Tue 8 Dec 2026"
    assert words.clock_24(dt.time(9, 5)) == "09:05"
    assert [words.clock_12(dt.time(h, 0)) for h in (0, 9, 12, 23)] == ["12:00 AM", "9:00 AM", "12:00 PM", "11:00 PM"]
    started = dt.datetime(2026, 12, 8, 9, 42)
    assert words.started_text(started, day) == "Started 09:42"
    assert words.started_text(started, dt.date(2026, 12, 9)) == "Started Tue 8 Dec 2026, 09:42"
    assert words.iso_minutes(dt.datetime(2026, 3, 4, 14, 5)) == "2026-03-04 14:05"


def test_a_stored_utc_stamp_is_said_in_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert words.stamp(dt.datetime(2026, 3, 4, 13, 5)) == "4 Mar 2026 at 14:05"  # naive = UTC
        assert words.stamp(dt.datetime(2026, 7, 4, 23, 30, tzinfo=dt.timezone.utc)) == "5 Jul 2026 at 01:30"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(("count", "said"), [
    (0, "0 bytes"),
    (1, "1 byte"),
    (2, "2 bytes"),
    (1023, "1,023 bytes"),
    (1024, "1.0 KB"),
    (1536, "1.5 KB"),
    (10239, "10 KB"),  # 9.999 KB rounds to ten: said without a tenth, like every size from ten on
    (10240, "10 KB"),
    (1024 * 1023 + 700, "1.0 MB"),  # 1,023.7 KB would round to "1,024 KB"
    (3 * 1024 ** 2 + 1024 ** 2 // 10, "3.1 MB"),
    (int(1.5 * 1024 ** 3), "1.5 GB"),
    (2 * 1024 ** 5, "2,048 TB"),
])
def test_sizes_at_their_boundaries(count: int, said: str) -> None:
    assert words.size(count) == said


def test_counts() -> None:
    assert words.plural(1, "record") == "1 record"
    assert words.plural(0, "record") == "0 records"
    assert words.plural(1200, "study", "studies") == "1,200 studies"
