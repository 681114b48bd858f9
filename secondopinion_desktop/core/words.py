"""Wording shared by the window, the CLI and the PDFs: counts, dates, times and sizes, said one way everywhere.

Month and day names are fixed English, whatever the desktop's locale: the rest of the app is English, and a
packet built from the window must read the same as one built from the command line.
"""

from __future__ import annotations

import datetime as dt

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_DATE = "\u2014"  # an em dash where a date is unknown


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``"1 record"``, ``"2 records"``, ``"0 records"``; ``many`` for irregular words ("series", "studies")."""
    word = singular if count == 1 else (many if many is not None else singular + "s")
    return f"{count:,} {word}"


# --- dates and times -----------------------------------------------------------------------------------------


def day_month_year(day: dt.date | None) -> str:
    """``4 Mar 2026`` (the window's lists and details), or an em dash."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else NO_DATE


def month_day_year(day: dt.date | None) -> str:
    """``Mar 4, 2026`` (the packet, the guide's sample text, Still missing), or an em dash."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}" if day else NO_DATE


def month_label(day: dt.date) -> str:
    """``Mar``: a month on a time line."""
    return MONTHS[day.month - 1]


def weekday(day: dt.date) -> str:
    """``Tue``."""
    return WEEKDAYS[day.weekday()]


def long_date(moment: dt.datetime | dt.date) -> str:
    """``Tue 8 Dec 2026``: an appointment's day."""
    return f"{weekday(moment)} {moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def clock_24(moment: dt.datetime | dt.time) -> str:
    """``09:30``."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def clock_12(moment: dt.datetime | dt.time) -> str:
    """``9:30 AM`` (the packet's times)."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def local_time(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp in this computer's time zone; a naive one is taken as UTC (how the database keeps
    them)."""
    aware = moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment
    return aware.astimezone()


def stamp(moment: dt.datetime) -> str:
    """``4 Mar 2026 at 14:05`` in local time, for a stored (UTC) timestamp."""
    local = local_time(moment)
    return f"{day_month_year(local.date())} at {clock_24(local)}"


def when_text(moment: dt.datetime) -> str:
    """``Tue 8 Dec 2026, 09:30``: when an appointment is."""
    return f"{long_date(moment)}, {clock_24(moment)}"


def started_text(started: dt.datetime, day: dt.date | None = None) -> str:
    """``Started 09:42``, with the date too when the note was not begun on ``day`` (the appointment's)."""
    if day is None or started.date() == day:
        return f"Started {clock_24(started)}"
    return f"Started {long_date(started)}, {clock_24(started)}"


def packet_datetime(moment: dt.datetime) -> str:
    """``Tue, Mar 4, 2026 at 9:30 AM`` (the packet's appointment times, as entered)."""
    return f"{weekday(moment)}, {month_day_year(moment.date())} at {clock_12(moment)}"


def iso_minutes(moment: dt.datetime) -> str:
    """``2026-03-04 14:05`` in local time: the command line's and the safety dialogs' machine-like stamps."""
    local = moment.astimezone() if moment.tzinfo is not None else moment
    return f"{local:%Y-%m-%d %H:%M}"


# --- sizes ---------------------------------------------------------------------------------------------------


def size(count: int) -> str:
    """``812 bytes``, ``1 byte``, ``3.1 KB``, ``48 KB``, ``2.1 MB``, ``1.4 GB`` (units of 1024): one precision
    everywhere, the window and the CLI alike."""
    if count < 1024:
        return "1 byte" if count == 1 else f"{count:,} bytes"
    value = float(count)
    unit = "KB"
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if round(value) < 1024 or unit == "TB":  # 1,023.6 KB would be written "1,024 KB": say 1.0 MB
            break
    tenths = f"{value:.1f}"
    return f"{tenths} {unit}" if float(tenths) < 10 else f"{value:,.0f} {unit}"  # 9.99 KB is "10 KB", not "10.0"
