"""The receiving center's own list of what to send, in Still missing and the pre-flight check: each item of an
upcoming appointment's list that is not met yet is one finding (an item linked to a record still needed or
requested names that record and opens it; one linked to nothing names its appointment); met items, ticked items
and the lists of past appointments say nothing."""

from __future__ import annotations

import datetime as dt

from secondopinion_desktop.core import appointments, directory, opinions, records
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.core.preflight import preflight, read_facts
from secondopinion_desktop.core.readiness import RULE_CATEGORY, Action, whats_missing

TODAY = dt.date(2027, 3, 1)
VISIT = dt.datetime(2027, 3, 10, 9, 30)
CENTER = "Northfield Cancer Institute"


def visit(folder, starts_at: dt.datetime = VISIT) -> int:  # type: ignore[no-untyped-def]
    doctor = directory.create_clinician(folder, "Dr. Ada Quill", facility=CENTER)
    return appointments.create_appointment(folder, starts_at, clinician_id=doctor.id).id


def center_findings(folder, today: dt.date = TODAY) -> list:  # type: ignore[no-untyped-def]
    return [f for f in whats_missing(folder, today) if f.rule == "center-list"]


def test_an_unlinked_item_says_who_asks_for_it_and_names_its_appointment(folder) -> None:
    appointment = visit(folder)
    [item] = opinions.add_requirements(folder, appointment, ["Pathology slides from the 2026 biopsy"])
    [finding] = center_findings(folder)
    assert finding.message.startswith(f"{CENTER} asks for \u201cPathology slides from the 2026 biopsy\u201d")
    assert "Mar 10, 2027" in finding.message
    assert "not yet linked to a record you have" in finding.message
    assert finding.action is Action.OPEN
    assert finding.appointment_id == appointment
    assert finding.requirement_id == item.id
    assert finding.category == "completeness" == RULE_CATEGORY["center-list"]
    assert finding.record_ids == ()


def test_every_unmet_item_is_its_own_finding_in_the_lists_order(folder) -> None:
    appointment = visit(folder)
    opinions.add_requirements(folder, appointment, "1. Insurance card\n2. Imaging on CD\n3. Referral letter")
    messages = [f.message for f in center_findings(folder)]
    assert len(messages) == 3
    assert ["Insurance card" in messages[0], "Imaging on CD" in messages[1], "Referral letter" in messages[2]] == [
        True, True, True]


def test_an_item_linked_to_a_record_still_requested_names_that_record(folder) -> None:
    appointment = visit(folder)
    scan = records.create_record(folder, RecordKind.IMAGING, "Chest CT March 2026", status=RecordStatus.REQUESTED,
                                 facility="Samplewood Hospital")
    [item] = opinions.add_requirements(folder, appointment, ["Most recent CT images"])
    opinions.link_records(folder, item.id, [scan.id])
    [finding] = center_findings(folder)
    assert "\u201cMost recent CT images\u201d" in finding.message
    assert "Chest CT March 2026 from Samplewood Hospital is still requested" in finding.message
    assert finding.action is Action.OPEN
    assert finding.record_ids == (scan.id,)
    assert finding.appointment_id == appointment


def test_an_item_linked_to_a_record_still_needed_says_so(folder) -> None:
    appointment = visit(folder)
    report = records.create_record(folder, RecordKind.PATHOLOGY, "Biopsy pathology report")
    [item] = opinions.add_requirements(folder, appointment, ["Pathology report"])
    opinions.link_records(folder, item.id, [report.id])
    [finding] = center_findings(folder)
    assert "Biopsy pathology report is still needed" in finding.message
    assert finding.record_ids == (report.id,)


def test_met_items_say_nothing(folder) -> None:
    appointment = visit(folder)
    report = records.create_record(folder, RecordKind.PATHOLOGY, "Biopsy pathology report",
                                   status=RecordStatus.RECEIVED)
    linked, ticked = opinions.add_requirements(folder, appointment, ["Pathology report", "Signed consent form"])
    opinions.link_records(folder, linked.id, [report.id])
    opinions.change_requirement(folder, ticked.id, done=True)
    assert center_findings(folder) == []


def test_receiving_the_awaited_record_meets_the_item(folder) -> None:
    appointment = visit(folder)
    scan = records.create_record(folder, RecordKind.IMAGING, "Chest CT", status=RecordStatus.REQUESTED)
    [item] = opinions.add_requirements(folder, appointment, ["CT images"])
    opinions.link_records(folder, item.id, [scan.id])
    assert len(center_findings(folder)) == 1
    records.set_status(folder, scan.id, RecordStatus.RECEIVED)
    assert center_findings(folder) == []


def test_a_past_appointments_list_says_nothing(folder) -> None:
    appointment = visit(folder)
    opinions.add_requirements(folder, appointment, ["Pathology slides"])
    assert len(center_findings(folder, today=TODAY)) == 1
    assert center_findings(folder, today=VISIT.date() + dt.timedelta(days=2)) == []


def test_the_center_falls_back_to_the_clinician_then_the_place(folder) -> None:
    doctor = directory.create_clinician(folder, "Dr. Bo Lind")
    by_doctor = appointments.create_appointment(folder, VISIT, clinician_id=doctor.id).id
    by_place = appointments.create_appointment(folder, VISIT + dt.timedelta(days=1), place="Eastgate Clinic").id
    nobody = appointments.create_appointment(folder, VISIT + dt.timedelta(days=2)).id
    for appointment in (by_doctor, by_place, nobody):
        opinions.add_requirements(folder, appointment, ["Slides"])
    starts = [f.message.split(" asks for ")[0] for f in center_findings(folder)]
    assert starts == ["Dr. Bo Lind", "Eastgate Clinic", "The center"]


def test_a_long_item_is_cut_in_the_sentence_and_the_item_stays_one_line(folder) -> None:
    appointment = visit(folder)
    long_item = "Copies of every report " + "and every page of it " * 30
    opinions.add_requirements(folder, appointment, [long_item])
    [finding] = center_findings(folder)
    quoted = finding.message.split("\u201c")[1].split("\u201d")[0]
    assert quoted.endswith("\u2026") and len(quoted) <= 161
    assert "\n" not in finding.message


def test_the_preflight_check_has_the_same_findings_under_completeness(folder) -> None:
    appointment = visit(folder)
    opinions.add_requirements(folder, appointment, ["Pathology slides", "Imaging on CD"])
    checked = [f for f in preflight(folder, TODAY) if f.rule == "center-list"]
    assert checked == center_findings(folder)
    assert {f.category for f in checked} == {"completeness"}


def test_the_facts_hold_every_appointments_list_with_its_appointment(folder) -> None:
    first = visit(folder)
    second = appointments.create_appointment(folder, VISIT + dt.timedelta(days=30)).id
    opinions.add_requirements(folder, first, ["A", "B"])
    opinions.add_requirements(folder, second, ["C"])
    with folder.session() as session:
        facts = read_facts(session)
    assert [(a.id, r.text) for a, r in facts.requirements] == [(first, "A"), (first, "B"), (second, "C")]
