"""The patient's dates as an iCalendar (.ics) file any calendar app can import.

What goes in:

- every appointment, as a one-hour event at its local wall-clock time ("floating" time: the calendar app shows it
  at that hour in whatever time zone it is set to), with the place, the clinician, the questions still to ask
  and what the receiving center asked for that is not yet in hand, and a reminder the day before;
- every records request still open (not complete, refused or cancelled) that has a due date, as an all-day
  event on the day it is due (the extended date once the facility took more time);
- every pathology shipment whose material is due back and has not been returned, as an all-day event.

Each event has a stable UID (``appointment-12@secondopinion.local``), so importing a newer file updates the
events instead of doubling them. The file is written to a temporary name, flushed to disk and renamed.
``icalendar`` is imported only here, when a calendar is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secondopinion_desktop.core.progress import CancelCheck, Progress, check

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from secondopinion_desktop.core.db import DataFolder

PRODID = "-//Second Opinion//Second Opinion desktop//EN"
CALENDAR_NAME = "Second Opinion"
UID_DOMAIN = "secondopinion.local"
APPOINTMENT_LENGTH = dt.timedelta(hours=1)
OPEN_REQUEST_STATUSES = ("draft", "sent", "extended", "partly_received")


@dataclass(frozen=True)
class CalendarResult:
    path: Path | None  # None when the calendar went to a stream
    events: int
    appointments: int
    due_dates: int  # records requests and shipments due back


@dataclass(frozen=True)
class CalendarEvent:
    """One event before it becomes iCalendar text (what the tests and the window can look at)."""

    uid: str
    summary: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    location: str = ""
    description: str = ""
    reminder: bool = False
    kind: str = "appointment"  # "appointment", "request" or "shipment"


def _uid(kind: str, ident: int) -> str:
    return f"{kind}-{ident}@{UID_DOMAIN}"


def _clean(text: str) -> str:
    """One line of text without control characters (icalendar escapes commas, semicolons and newlines)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")).split())


def _appointment_events(session: Session) -> list[CalendarEvent]:
    from secondopinion_desktop.core.appointments import list_appointments
    from secondopinion_desktop.core.opinions import list_requirements

    requirements: dict[int, list[str]] = {}
    for r in list_requirements(session):
        if not r.met:
            requirements.setdefault(r.appointment_id, []).append(_clean(r.text))
    events = []
    for a in sorted(list_appointments(session), key=lambda a: (a.starts_at, a.id)):
        who = _clean(a.clinician_name)
        purpose = _clean(a.purpose)
        if who:
            summary = f"Appointment with {who}"
        elif purpose:
            summary = purpose if len(purpose) <= 60 else purpose[:60].rsplit(" ", 1)[0] + "…"
        else:
            summary = "Appointment"
        place, institution = _clean(a.place), _clean(a.institution)
        location = place if institution and institution.casefold() in place.casefold() else ", ".join(
            p for p in (place, institution) if p)
        lines = [purpose] if purpose else []
        if who:
            lines.append(f"With: {who}" + (f", {_clean(a.clinician_specialty)}" if a.clinician_specialty else ""))
        if a.attendees.strip():
            lines.append(f"Coming along: {_clean(a.attendees)}")
        open_questions = [q for q in a.questions if not q.answered]
        if open_questions:
            lines.append("")
            lines.append("Questions to ask:")
            lines.extend(f"- {_clean(q.text)}" for q in open_questions)
        if requirements.get(a.id):
            lines.append("")
            lines.append("The center asked for (not yet in hand):")
            lines.extend(f"- {text}" for text in requirements[a.id])
        events.append(CalendarEvent(
            uid=_uid("appointment", a.id), summary=summary, start=a.starts_at,
            end=a.starts_at + APPOINTMENT_LENGTH, location=location, description="\n".join(lines).strip(),
            reminder=True, kind="appointment",
        ))
    return events


def _request_events(session: Session) -> list[CalendarEvent]:
    from sqlalchemy import select

    from secondopinion_desktop.core.models import RecordsRequest

    events = []
    for r in session.scalars(select(RecordsRequest).order_by(RecordsRequest.id)):
        if r.status.value not in OPEN_REQUEST_STATUSES:
            continue
        due = max((d for d in (r.due_on, r.extended_due_on) if d is not None), default=None)
        if due is None:
            continue
        facility = _clean(r.facility_name) or "the facility"
        lines = [f"Status: {r.status.label}"]
        if r.sent_on is not None:
            lines.append(f"Sent on {r.sent_on.isoformat()}")
        if r.extended_due_on is not None and r.due_on is not None and r.extended_due_on != r.due_on:
            lines.append(f"First due {r.due_on.isoformat()}, extended to {r.extended_due_on.isoformat()}")
        events.append(CalendarEvent(
            uid=_uid("request", r.id), summary=f"Records due from {facility}", start=due,
            end=due + dt.timedelta(days=1), description="\n".join(lines), kind="request",
        ))
    return events


def _shipment_events(session: Session) -> list[CalendarEvent]:
    from sqlalchemy import select

    from secondopinion_desktop.core.models import MaterialShipment

    events = []
    for s in session.scalars(select(MaterialShipment).order_by(MaterialShipment.id)):
        if s.due_back_on is None or s.returned_on is not None:
            continue
        what = s.material.label
        if s.count:
            what = f"{what} ({s.count})"
        lab = _clean(s.from_lab)
        summary = f"{what} due back to {lab}" if lab else f"{what} due back"
        lines = []
        if s.to_whom.strip():
            lines.append(f"With: {_clean(s.to_whom)}")
        if s.carrier.strip() or s.tracking_number.strip():
            lines.append("Sent by " + " ".join(p for p in (_clean(s.carrier), _clean(s.tracking_number)) if p))
        events.append(CalendarEvent(
            uid=_uid("shipment", s.id), summary=summary, start=s.due_back_on,
            end=s.due_back_on + dt.timedelta(days=1), description="\n".join(lines), kind="shipment",
        ))
    return events


def calendar_events(folder: DataFolder | Session) -> list[CalendarEvent]:
    """Every event of the calendar: appointments, then requests due, then shipments due back."""
    from sqlalchemy.orm import Session as _Session

    if isinstance(folder, _Session):
        session = folder
        return _appointment_events(session) + _request_events(session) + _shipment_events(session)
    with folder.dry_run() as session:
        return _appointment_events(session) + _request_events(session) + _shipment_events(session)


def calendar_ics(folder: DataFolder | Session, now: dt.datetime | None = None,
                 events: list[CalendarEvent] | None = None) -> bytes:
    """The calendar as iCalendar bytes (RFC 5545, CRLF line ends, lines folded at 75 octets)."""
    import icalendar

    stamp = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", CALENDAR_NAME)
    for e in events if events is not None else calendar_events(folder):
        event: Any = icalendar.Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", e.start)
        event.add("dtend", e.end)
        event.add("summary", e.summary)
        if e.location:
            event.add("location", e.location)
        if e.description:
            event.add("description", e.description)
        event.add("categories", ["Second Opinion"])
        if isinstance(e.start, dt.date) and not isinstance(e.start, dt.datetime):
            event.add("transp", "TRANSPARENT")  # a due date does not make the patient busy all day
        if e.reminder:
            alarm: Any = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", e.summary)
            alarm.add("trigger", dt.timedelta(days=-1))
            event.add_component(alarm)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def write_calendar(folder: DataFolder, out: Path | str, *, now: dt.datetime | None = None,
                   progress: Progress | None = None, cancelled: CancelCheck | None = None) -> CalendarResult:
    """Write the calendar to ``out`` (temporary name, fsync, rename); refused inside the data folder or onto a
    device. Raises OutputPathError with one sentence when ``out`` cannot be used."""
    from secondopinion_desktop.core.fsutil import write_atomically
    from secondopinion_desktop.core.outputs import check_output

    target = check_output(out, folder.path, what="the calendar", example="appointments.ics")
    check(cancelled)
    events = calendar_events(folder)
    if progress is not None:
        progress(1, 3)
    data = calendar_ics(folder, now=now, events=events)
    check(cancelled)
    if progress is not None:
        progress(2, 3)
    try:
        write_atomically(target, data)  # private, like every export
    except OSError as exc:
        from secondopinion_desktop.core.outputs import OutputPathError

        raise OutputPathError(f"Cannot write the calendar to {target}: {exc.strerror or exc}.") from exc
    if progress is not None:
        progress(3, 3)
    return _result(target, events)


def _result(path: Path | None, events: list[CalendarEvent]) -> CalendarResult:
    appointments = sum(1 for e in events if e.kind == "appointment")
    return CalendarResult(path=path, events=len(events), appointments=appointments,
                          due_dates=len(events) - appointments)


def stream_calendar(folder: DataFolder, write: Callable[[bytes], object], *,
                    now: dt.datetime | None = None) -> CalendarResult:
    """The calendar passed to ``write`` (standard output, for the command line)."""
    events = calendar_events(folder)
    write(calendar_ics(folder, now=now, events=events))
    return _result(None, events)
