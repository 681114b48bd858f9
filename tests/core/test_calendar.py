"""The .ics calendar: appointments with their questions, open requests' due dates, shipments due back; parsed
back with icalendar."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import icalendar
import pytest

from secondopinion_desktop.core import requests as req
from secondopinion_desktop.core.appointments import add_questions, answer_question, create_appointment
from secondopinion_desktop.core.calendar import PRODID, calendar_ics, write_calendar
from secondopinion_desktop.core.directory import create_clinician
from secondopinion_desktop.core.opinions import add_requirements, change_requirement
from secondopinion_desktop.core.outputs import OutputPathError
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.shipments import create_shipment

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def events(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def dated(folder):
    doctor = create_clinician(folder, "Avery Stone", credentials="MD", specialty="Medical oncology")
    visit = create_appointment(folder, "2026-12-16 09:30", clinician_id=doctor.id, place="Cancer Center; 3rd floor",
                               purpose="Second opinion, before surgery")
    asked, still = add_questions(folder, visit.id, ["Do you agree with the stage?", "Is there a trial for me?"])
    answer_question(folder, asked.id, answered=True, answer="Yes")
    first, _second = add_requirements(folder, visit.id, ["Pathology report", "Slides from block A1"])
    change_requirement(folder, first.id, done=True)
    create_appointment(folder, "2026-11-02 14:00")  # a past one, no clinician: still in the calendar

    sent = req.create_request(folder, "Samplewood Hospital")
    req.mark_sent(folder, sent.id, on="2026-11-10", due_on="2026-12-10")
    longer = req.create_request(folder, "Imaging Center")
    req.mark_sent(folder, longer.id, on="2026-11-01", due_on="2026-12-01")
    req.extend(folder, longer.id, "2026-12-20", on="2026-11-25")
    stopped = req.create_request(folder, "Old Clinic")
    req.mark_sent(folder, stopped.id, on="2026-11-01", due_on="2026-12-01")
    req.cancel(folder, stopped.id)
    req.create_request(folder, "Draft Lab")  # a draft has no due date yet

    out = create_shipment(folder, from_lab="Samplewood Pathology", count=4, shipped_on="2026-11-20",
                          due_back_on="2027-01-15")
    create_shipment(folder, from_lab="Back already", due_back_on="2026-12-05", returned_on="2026-12-01")
    return {"visit": visit.id, "sent": sent.id, "longer": longer.id, "stopped": stopped.id, "shipment": out.id}


def test_every_appointment_and_open_due_date_parses_back(folder, dated) -> None:
    data = calendar_ics(folder, now=NOW)
    assert b"\r\n" in data
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["PRODID"]) == PRODID and str(cal["VERSION"]) == "2.0"
    got = events(data)
    visit = got[f"appointment-{dated['visit']}@secondopinion.local"]
    assert visit.decoded("DTSTART") == dt.datetime(2026, 12, 16, 9, 30)  # floating: the wall-clock hour
    assert visit.decoded("DTSTART").tzinfo is None
    assert visit.decoded("DTEND") - visit.decoded("DTSTART") == dt.timedelta(hours=1)
    assert str(visit["SUMMARY"]) == "Appointment with Avery Stone, MD"
    assert str(visit["LOCATION"]) == "Cancer Center; 3rd floor"
    description = str(visit["DESCRIPTION"])
    assert "Second opinion, before surgery" in description
    assert "Is there a trial for me?" in description and "agree with the stage" not in description  # answered
    assert "Slides from block A1" in description and "Pathology report" not in description  # met
    alarm = visit.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == -dt.timedelta(days=1)
    assert len([u for u in got if u.startswith("appointment-")]) == 2

    assert got[f"request-{dated['sent']}@secondopinion.local"].decoded("DTSTART") == dt.date(2026, 12, 10)
    longer = got[f"request-{dated['longer']}@secondopinion.local"]
    assert longer.decoded("DTSTART") == dt.date(2026, 12, 20)  # the extended date
    assert str(longer["SUMMARY"]) == "Records due from Imaging Center"
    assert f"request-{dated['stopped']}@secondopinion.local" not in got
    shipment = got[f"shipment-{dated['shipment']}@secondopinion.local"]
    assert shipment.decoded("DTSTART") == dt.date(2027, 1, 15)
    assert "Samplewood Pathology" in str(shipment["SUMMARY"])
    assert len(got) == 2 + 2 + 1  # the cancelled request, the draft and the returned slides stay out


def test_the_uids_stay_the_same_so_a_new_import_updates(folder, dated) -> None:
    first = events(calendar_ics(folder, now=NOW))
    second = events(calendar_ics(folder, now=NOW + dt.timedelta(days=3)))
    assert set(first) == set(second)


def test_written_whole_private_and_counted(folder, dated, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "appointments.ics"
    out.write_text("old calendar")
    steps: list[tuple[int, int]] = []
    result = write_calendar(folder, out, now=NOW, progress=lambda d, t: steps.append((d, t)))
    assert result.path == out and result.events == 5 and result.appointments == 2 and result.due_dates == 3
    assert len(events(out.read_bytes())) == 5
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert steps[-1] == (3, 3)
    assert [p.name for p in out.parent.iterdir()] == ["appointments.ics"]  # no temporary file left


def test_markup_and_control_characters_in_text_are_kept_as_text(folder, tmp_path: Path) -> None:
    visit = create_appointment(folder, "2026-12-16 09:30", place="Room 1\x00\nBEGIN:VEVENT")
    add_questions(folder, visit.id, ["What about <b>this</b>; and, that?\r\nEND:VCALENDAR"])
    got = events(calendar_ics(folder, now=NOW))
    assert len(got) == 1
    event = got[f"appointment-{visit.id}@secondopinion.local"]
    assert str(event["LOCATION"]) == "Room 1 BEGIN:VEVENT"
    assert "What about <b>this</b>; and, that? END:VCALENDAR" in str(event["DESCRIPTION"])


def test_an_empty_folder_gives_an_empty_calendar(folder) -> None:
    cal = icalendar.Calendar.from_ical(calendar_ics(folder, now=NOW))
    assert cal.walk("VEVENT") == []


def test_bad_places_are_refused_in_one_sentence(folder, tmp_path: Path) -> None:
    for place, words in ((folder.path / "a.ics", "inside the data folder"), (tmp_path, "it is a folder"),
                         (tmp_path / "missing" / "a.ics", "does not exist")):
        with pytest.raises(OutputPathError, match=words):
            write_calendar(folder, place)
    with pytest.raises(Cancelled):
        write_calendar(folder, tmp_path / "a.ics", cancelled=lambda: True)
    assert not (tmp_path / "a.ics").exists()
