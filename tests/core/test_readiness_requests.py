"""What's still missing about the requests desk: overdue and nearly due requests, material due back at the lab,
an appointment before the consultant has the slides, "Request from <facility>", and the appointment's
warnings read from a real data folder."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from secondopinion_desktop.core import appointments, records, requests, shipments
from secondopinion_desktop.core.appointments import AppointmentData
from secondopinion_desktop.core.errors import NotFoundError
from secondopinion_desktop.core.models import MaterialKind, RecordKind, RecordStatus, RequestStatus
from secondopinion_desktop.core.readiness import (
    DESK_RULE_KEYS,
    DESK_RULES,
    Action,
    Desk,
    appointment_warnings,
    find_missing,
    whats_missing,
)
from secondopinion_desktop.core.requests import RequestData, RequestRecordData
from secondopinion_desktop.core.shipments import ShipmentData
from tests.core.test_readiness import COMPLETE, PROFILE, TODAY, ago, change, edit, rec

K, S, A = RecordKind, RecordStatus, Action
STAMP = dt.datetime(2025, 5, 1, 9, 0)
LAB = "Samplewood Hospital Pathology"


def later(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


def req(id: int = 1, status: RequestStatus = RequestStatus.SENT, *, sent_on: dt.date | None = None,
        due_on: dt.date | None = None, extended_due_on: dt.date | None = None, facility: str = "Samplewood Hospital",
        records_: tuple[RequestRecordData, ...] = ()) -> RequestData:
    from secondopinion_desktop.core.models import CopyFormat, Delivery, ImagesMedia

    return RequestData(
        id=id, facility_id=None, facility_name=facility, status=status, medical_record_number="", scope_from=None,
        scope_to=None, scope=(), copy_format=CopyFormat.PDF, images_media=ImagesMedia.NONE, delivery=Delivery.MAIL,
        send_to_name="", send_to_address="", send_to_fax="", send_to_phone="", send_to_email="", sent_on=sent_on,
        sent_via=None, due_on=due_on, extended_due_on=extended_due_on, received_on=None, extra_paragraph="",
        notes="", created_at=STAMP, updated_at=STAMP, records=records_,
    )


def linked(record_id: int, title: str = "Letter", kind: RecordKind = K.CLINICAL,
           status: RecordStatus = S.REQUESTED) -> RequestRecordData:
    return RequestRecordData(id=record_id, title=title, kind=kind, date_of_service=None, status=status)


def ship(id: int = 1, *, record_id: int | None = 2, request_id: int | None = None, count: int | None = 9,
         shipped_on: dt.date | None = None, received_on: dt.date | None = None,
         due_back_on: dt.date | None = None, returned_on: dt.date | None = None) -> ShipmentData:
    return ShipmentData(
        id=id, record_id=record_id, record_title="Biopsy slides and tissue blocks" if record_id else "",
        request_id=request_id, material=MaterialKind.STAINED_SLIDES, count=count, from_lab=LAB,
        to_whom="Dr. Chen, consulting pathology", carrier="FedEx", tracking_number="7712 3456 0001",
        shipped_on=shipped_on, received_on=received_on, due_back_on=due_back_on, returned_on=returned_on, notes="",
    )


def visit(days_ahead: int, id: int = 1, hour: int = 10) -> AppointmentData:
    return AppointmentData(
        id=id, starts_at=dt.datetime.combine(later(days_ahead), dt.time(hour, 0)), clinician_id=None,
        clinician_name="Dr. Rivera", clinician_specialty="", institution="", place="", purpose="", attendees="",
        questions=(), notes=(),
    )


def desk_findings(desk: Desk, records=COMPLETE, today: dt.date = TODAY):  # type: ignore[no-untyped-def]
    return [f for f in find_missing(list(records), PROFILE, today, desk)]


def by_rule(findings, rule: str):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.rule == rule]


# --- requests ------------------------------------------------------------------------------------------------

def test_an_overdue_request_says_when_it_was_due_and_opens_the_request() -> None:
    q = req(7, sent_on=ago(40), due_on=ago(10))
    (finding,) = desk_findings(Desk(requests=(q,)))
    assert (finding.rule, finding.action, finding.request_id, finding.facility) == (
        "request-overdue", A.OPEN_REQUEST, 7, "")
    assert finding.message == (
        "Records request to Samplewood Hospital was due on May 23, 2025, 10 days ago — call them (or send a "
        "written reminder)."
    )


def test_an_extended_request_is_due_on_its_extended_date() -> None:
    waiting = req(sent_on=ago(40), due_on=ago(10), extended_due_on=later(20), status=RequestStatus.EXTENDED)
    assert desk_findings(Desk(requests=(waiting,))) == []
    late = dataclasses.replace(waiting, extended_due_on=ago(1))
    (finding,) = desk_findings(Desk(requests=(late,)))
    assert finding.message.startswith(
        "Records request to Samplewood Hospital was due on Jun 1, 2025 (after its extension), 1 day ago")


@pytest.mark.parametrize("status", [RequestStatus.COMPLETE, RequestStatus.REFUSED, RequestStatus.CANCELLED,
                                    RequestStatus.DRAFT])
def test_a_request_that_is_not_open_is_never_overdue(status) -> None:  # type: ignore[no-untyped-def]
    q = req(status=status, sent_on=ago(60), due_on=ago(30))
    assert desk_findings(Desk(requests=(q,))) == []


def test_a_partly_received_request_is_still_overdue() -> None:
    q = req(status=RequestStatus.PARTLY_RECEIVED, sent_on=ago(60), due_on=ago(30))
    assert [f.rule for f in desk_findings(Desk(requests=(q,)))] == ["request-overdue"]


@pytest.mark.parametrize(("days_left", "words"), [
    (0, "is due today."), (1, "is due on Jun 3, 2025, in 1 day."), (7, "is due on Jun 9, 2025, in 7 days."),
])
def test_a_request_due_within_a_week_is_mentioned_quietly(days_left, words) -> None:  # type: ignore[no-untyped-def]
    q = req(3, sent_on=ago(25), due_on=later(days_left))
    (finding,) = desk_findings(Desk(requests=(q,)))
    assert (finding.rule, finding.action, finding.request_id) == ("request-due-soon", A.OPEN_REQUEST, 3)
    assert finding.message == f"Records request to Samplewood Hospital {words} If nothing has come by then, call them."


def test_a_request_due_in_more_than_a_week_is_not_mentioned() -> None:
    assert desk_findings(Desk(requests=(req(sent_on=ago(20), due_on=later(8)),))) == []


def test_overdue_requests_longest_overdue_first() -> None:
    qs = (req(1, sent_on=ago(35), due_on=ago(5), facility="B"), req(2, sent_on=ago(50), due_on=ago(20), facility="A"))
    assert [f.request_id for f in desk_findings(Desk(requests=qs))] == [2, 1]


def test_follow_up_leaves_out_records_of_a_request_reported_overdue() -> None:
    letter = rec(11, K.CLINICAL, "Surgeon's letter", S.REQUESTED, requested_on=ago(40))
    other = rec(12, K.CLINICAL, "Clinic letter", S.REQUESTED, requested_on=ago(40))
    records = edit(COMPLETE, letter, other)
    assert {f.record_id for f in by_rule(find_missing(records, PROFILE, TODAY), "follow-up")} == {11, 12}
    overdue = req(5, sent_on=ago(40), due_on=ago(10), records_=(linked(11),))
    findings = find_missing(records, PROFILE, TODAY, Desk(requests=(overdue,)))
    assert [(f.rule, f.record_id or f.request_id) for f in findings] == [("request-overdue", 5), ("follow-up", 12)]


def test_follow_up_leaves_a_record_of_an_open_request_to_its_due_date() -> None:
    records = edit(COMPLETE, rec(11, K.CLINICAL, "Surgeon's letter", S.REQUESTED, requested_on=ago(20)))
    waiting = req(5, sent_on=ago(20), due_on=later(10), records_=(linked(11),))
    assert find_missing(records, PROFILE, TODAY, Desk(requests=(waiting,))) == []
    # an ended request no longer answers for the record: the follow-up speaks again
    refused = dataclasses.replace(waiting, status=RequestStatus.REFUSED)
    assert [f.rule for f in find_missing(records, PROFILE, TODAY, Desk(requests=(refused,)))] == ["follow-up"]


def test_follow_up_leaves_out_slides_already_shipped() -> None:
    records = edit(COMPLETE, change(2, status=S.REQUESTED, requested_on=ago(30)))
    assert [f.rule for f in find_missing(records, PROFILE, TODAY)] == ["follow-up"]
    assert find_missing(records, PROFILE, TODAY, Desk(shipments=(ship(shipped_on=ago(2)),))) == []


# --- shipments -----------------------------------------------------------------------------------------------

def test_material_overdue_back_at_the_lab() -> None:
    s = ship(4, shipped_on=ago(40), received_on=ago(35), due_back_on=ago(3))
    (finding,) = desk_findings(Desk(shipments=(s,)))
    assert (finding.rule, finding.action, finding.record_id) == ("material-due-back", A.OPEN, 2)
    assert finding.message == (
        "9 stained slides of Biopsy slides and tissue blocks were due back at Samplewood Hospital Pathology on "
        "May 30, 2025, 3 days ago — ask Dr. Chen, consulting pathology to return them."
    )


def test_material_due_back_within_a_week_opens_its_request_when_it_has_one() -> None:
    s = ship(4, request_id=9, shipped_on=ago(20), due_back_on=later(5))
    (finding,) = desk_findings(Desk(shipments=(s,)))
    assert (finding.action, finding.request_id) == (A.OPEN_REQUEST, 9)
    assert finding.message == (
        "9 stained slides of Biopsy slides and tissue blocks are due back at Samplewood Hospital Pathology on "
        "Jun 7, 2025, in 5 days. Remind Dr. Chen, consulting pathology to send the material back in time."
    )


@pytest.mark.parametrize("shipment", [
    ship(shipped_on=ago(40), received_on=ago(35), due_back_on=ago(3), returned_on=ago(4)),  # returned
    ship(shipped_on=ago(10), due_back_on=later(8)),  # due back in more than a week
    ship(due_back_on=later(2)),  # not shipped yet: still at the lab
], ids=["returned", "due in 8 days", "not shipped"])
def test_material_not_due_back(shipment) -> None:  # type: ignore[no-untyped-def]
    assert desk_findings(Desk(shipments=(shipment,))) == []


# --- the appointment before the slides arrive ----------------------------------------------------------------

def test_an_appointment_before_the_consultant_confirms_the_slides() -> None:
    s = ship(shipped_on=ago(2))
    (finding,) = desk_findings(Desk(shipments=(s,), appointments=(visit(9),)))
    assert (finding.rule, finding.action, finding.record_id) == ("appointment-material", A.OPEN, 2)
    assert finding.message == (
        "Your appointment with Dr. Rivera on Jun 11, 2025 is in 9 days, and the consultant has not confirmed "
        "receiving the pathology material yet: 9 stained slides of Biopsy slides and tissue blocks (in transit "
        "from Samplewood Hospital Pathology since May 31, 2025). Ask them whether it has arrived."
    )


def test_slides_still_to_get_before_an_appointment_open_their_request() -> None:
    records = edit(COMPLETE, change(2, status=S.REQUESTED, requested_on=ago(5), facility_name="Samplewood Hospital"))
    q = req(8, sent_on=ago(5), due_on=later(25), records_=(linked(2, "Biopsy slides", K.PATHOLOGY),))
    findings = by_rule(desk_findings(Desk(requests=(q,), appointments=(visit(1),)), records), "appointment-material")
    (finding,) = findings
    assert (finding.action, finding.request_id, finding.record_id) == (A.OPEN_REQUEST, 8, 2)
    assert "is tomorrow" in finding.message
    assert "Biopsy slides and tissue blocks (requested from Samplewood Hospital)" in finding.message


@pytest.mark.parametrize("desk", [
    Desk(shipments=(ship(shipped_on=ago(9), received_on=ago(2)),), appointments=(visit(9),)),  # received
    Desk(shipments=(ship(shipped_on=ago(9), received_on=ago(8), returned_on=ago(1)),), appointments=(visit(9),)),
    Desk(shipments=(ship(shipped_on=ago(2)),), appointments=(visit(-1),)),  # the appointment is over
    Desk(shipments=(ship(shipped_on=ago(2)),)),  # no appointment
], ids=["received by the consultant", "returned", "past appointment", "no appointment"])
def test_no_appointment_warning(desk) -> None:  # type: ignore[no-untyped-def]
    assert desk_findings(desk) == []


def test_slides_received_by_the_consultant_are_not_still_to_come_whatever_the_record_says() -> None:
    records = edit(COMPLETE, change(2, status=S.REQUESTED, requested_on=ago(5)))
    desk = Desk(shipments=(ship(shipped_on=ago(9), received_on=ago(2)),), appointments=(visit(3),))
    assert by_rule(desk_findings(desk, records), "appointment-material") == []
    assert by_rule(desk_findings(Desk(appointments=(visit(3),)), records), "appointment-material")


def test_only_the_next_appointment_is_named() -> None:
    desk = Desk(shipments=(ship(shipped_on=ago(2)),), appointments=(visit(20, id=2), visit(4, id=1)))
    (finding,) = desk_findings(desk)
    assert "on Jun 6, 2025 is in 4 days" in finding.message


# --- Request from <facility> ---------------------------------------------------------------------------------

def test_mark_requested_findings_name_the_facility_to_ask() -> None:
    records = edit(COMPLETE, change(1, status=S.NEEDED), change(3, status=S.NEEDED), change(7, status=S.NEEDED))
    facilities = {f.record_id: f.facility for f in find_missing(records, PROFILE, TODAY)
                  if f.action is A.MARK_REQUESTED}
    # an identity card of your own is not asked of a facility
    assert facilities == {1: "Samplewood Hospital", 3: "Samplewood Imaging", 7: ""}
    assert all(f.facility == "" for f in find_missing(records, PROFILE, TODAY) if f.action is not A.MARK_REQUESTED)


def test_a_record_on_a_draft_request_points_at_the_draft() -> None:
    records = edit(COMPLETE, change(1, status=S.NEEDED))
    draft = req(4, RequestStatus.DRAFT, records_=(linked(1, "Pathology report", K.PATHOLOGY, S.NEEDED),))
    (finding,) = find_missing(records, PROFILE, TODAY, Desk(requests=(draft,)))
    assert (finding.action, finding.record_id, finding.request_id, finding.facility) == (
        A.MARK_REQUESTED, 1, 4, "")
    assert finding.message.endswith(
        "A draft request to Samplewood Hospital asks for it: print and send it, then mark it sent.")
    cancelled = dataclasses.replace(draft, status=RequestStatus.CANCELLED)
    (again,) = find_missing(records, PROFILE, TODAY, Desk(requests=(cancelled,)))
    assert (again.request_id, again.facility) == (None, "Samplewood Hospital")


def test_desk_rules_are_documented() -> None:
    assert [r.__name__ for r in DESK_RULES] == [
        "request_overdue", "request_due_soon", "material_due_back", "appointment_before_material"]
    for rule in DESK_RULES:
        assert rule.__doc__
    findings = desk_findings(Desk(
        requests=(req(1, sent_on=ago(40), due_on=ago(3)), req(2, sent_on=ago(20), due_on=later(2))),
        shipments=(ship(1, shipped_on=ago(3), due_back_on=later(1)),), appointments=(visit(2),),
    ))
    assert {f.rule for f in findings} == DESK_RULE_KEYS
    for f in findings:
        assert f.message.strip() == f.message and f.message.endswith(".")
        assert "  " not in f.message and "None" not in f.message


# --- from a data folder --------------------------------------------------------------------------------------

@pytest.fixture
def desk_folder(folder):  # type: ignore[no-untyped-def]
    """Slides requested from a lab by a request sent 40 days ago (overdue), a shipment of them in transit with
    its due-back day near, and a consult in five days."""
    today = dt.date.today()
    slides = records.create_record(folder, "pathology", "Biopsy slides", facility=LAB, slides_count=9)
    q = requests.create_request(folder, LAB, record_ids=[slides.id])
    requests.mark_sent(folder, q.id, on=today - dt.timedelta(days=40))
    s = shipments.create_shipment(folder, record_id=slides.id, request_id=q.id, count=9, from_lab=LAB,
                                  to_whom="Dr. Chen", carrier="FedEx", tracking_number="7712",
                                  shipped_on=today - dt.timedelta(days=3), due_back_on=today + dt.timedelta(days=4))
    a = appointments.create_appointment(folder, dt.datetime.combine(today + dt.timedelta(days=5), dt.time(9, 30)))
    return folder, q.id, s.id, a.id


def test_whats_missing_reads_the_desk(desk_folder) -> None:  # type: ignore[no-untyped-def]
    folder, request_id, _shipment_id, _a = desk_folder
    found = {(f.rule, f.request_id) for f in whats_missing(folder)}
    assert {("request-overdue", request_id), ("material-due-back", request_id),
            ("appointment-material", request_id)} <= found
    assert not [f for f in whats_missing(folder) if f.rule == "follow-up"], "reported once, as the overdue request"


def test_appointment_warnings(desk_folder) -> None:  # type: ignore[no-untyped-def]
    folder, request_id, shipment_id, appointment_id = desk_folder
    warnings = appointment_warnings(folder, appointment_id)
    assert len(warnings) == 3
    assert "the consultant has not confirmed receiving the pathology material yet" in warnings[0]
    assert warnings[1].startswith(f"Records request to {LAB} was due on")
    assert "due back at" in warnings[2]
    # the consultant has the slides and the lab has been answered: nothing left to warn about
    shipments.update_shipment(folder, shipment_id, received_on=dt.date.today(), returned_on=dt.date.today())
    requests.mark_received(folder, request_id)
    assert appointment_warnings(folder, appointment_id) == ()


def test_appointment_warnings_for_a_past_appointment_or_none(desk_folder) -> None:  # type: ignore[no-untyped-def]
    folder, _r, _s, appointment_id = desk_folder
    past = appointments.create_appointment(folder, dt.datetime.now() - dt.timedelta(days=3))
    assert appointment_warnings(folder, past.id) == ()
    assert appointment_warnings(folder, appointment_id, dt.date.today() + dt.timedelta(days=6)) == ()
    with pytest.raises(NotFoundError):
        appointment_warnings(folder, 999)


def test_two_shipments_of_one_record_due_back_are_both_said(folder) -> None:  # type: ignore[no-untyped-def]
    import datetime as _dt

    from secondopinion_desktop.core import shipments as _sh
    from secondopinion_desktop.core.readiness import whats_missing as _missing
    from secondopinion_desktop.core.records import create_record as _create

    today = _dt.date.today()
    record = _create(folder, "pathology", "Slides and blocks S26-99", status="received")
    slides = _sh.create_shipment(folder, record_id=record.id, count=12, shipped_on=today - _dt.timedelta(days=20),
                                 due_back_on=today + _dt.timedelta(days=2))
    blocks = _sh.create_shipment(folder, record_id=record.id, material="blocks", count=2,
                                 received_on=today - _dt.timedelta(days=20), due_back_on=today - _dt.timedelta(days=1))
    due = [f for f in _missing(folder) if f.rule == "material-due-back"]
    assert sorted(f.shipment_id for f in due) == sorted([slides.id, blocks.id]), "one line per shipment"
