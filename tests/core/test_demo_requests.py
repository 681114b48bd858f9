"""The sample case's requests for records and slide shipments: every state, dated from the demo's today, with the
linked records' statuses following the requests' steps."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from secondopinion_desktop.core import demo, records, requests, shipments
from secondopinion_desktop.core.demo import fill_demo_data, load_case
from secondopinion_desktop.core.directory import list_facilities
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import (
    Delivery,
    MaterialKind,
    MaterialShipment,
    Record,
    RecordsRequest,
    RecordStatus,
    RequestEventKind,
    RequestStatus,
)
from secondopinion_desktop.core.profile import ProfileData, get_profile
from secondopinion_desktop.core.requests import IN_HAND, RequestData

TODAY = dt.date(2025, 3, 1)


@pytest.fixture
def filled(folder):
    fill_demo_data(folder, today=TODAY)
    return folder


def _requests(folder) -> list[RequestData]:
    return requests.list_requests(folder)


def _one(folder, status: RequestStatus) -> RequestData:
    [found] = [q for q in _requests(folder) if q.status is status]
    return found


def _records_by_id(folder) -> dict[int, records.RecordData]:
    with folder.session() as session:
        return {r.id: r for r in records.list_records(session)}


def _days_ago(day: dt.date | None) -> int:
    assert day is not None
    return (TODAY - day).days


def test_every_state_of_a_request_is_in_the_sample(filled):
    statuses = {q.status for q in _requests(filled)}
    assert statuses == set(RequestStatus)
    assert len(_requests(filled)) == 8


def test_each_request_goes_to_a_facility_of_the_case_and_asks_for_its_records(filled):
    facilities = {f.name: f.id for f in list_facilities(filled)}
    by_id = _records_by_id(filled)
    for q in _requests(filled):
        assert q.facility_id == facilities[q.facility_name], q.facility_name
        assert q.records, q.facility_name
        for linked in q.records:
            assert by_id[linked.id].facility_id == q.facility_id, linked.title
        assert q.scope, "the scope follows the linked records' kinds"


def test_the_sent_one_is_due_soon_as_of_the_demo_today(filled):
    sent = [q for q in _requests(filled) if q.status is RequestStatus.SENT]
    assert len(sent) == 2  # the one due soon and the overdue one
    [soon] = [q for q in sent if q.is_due_soon(TODAY)]
    assert soon.due_on == soon.sent_on + dt.timedelta(days=30)
    assert 0 <= soon.days_left(TODAY) <= requests.DUE_SOON_DAYS
    assert [e.kind for e in soon.events][0] is RequestEventKind.SENT
    assert soon.records and all(r.status is RecordStatus.REQUESTED for r in soon.records)


def test_the_overdue_one_was_sent_forty_days_ago_and_chased_by_phone(filled):
    [late] = requests.list_requests(filled, overdue=True, today=TODAY)
    assert late.status is RequestStatus.SENT
    assert 35 <= _days_ago(late.sent_on) <= 45
    assert late.is_overdue(TODAY) and late.days_left(TODAY) < 0
    assert late.due_on == requests.due_date(late.sent_on)
    calls = [e for e in late.events if e.kind is RequestEventKind.CALLED]
    assert calls and all(e.who and e.note for e in calls)
    assert all(late.sent_on < e.on <= TODAY for e in calls)
    assert late.records_to_come, "what it asks for has not come"


def test_the_extended_one_stays_within_the_limit_and_the_notice_came_in_time(filled):
    q = _one(filled, RequestStatus.EXTENDED)
    assert q.due_on is not None and q.extended_due_on is not None
    assert q.due_on < q.extended_due_on <= requests.extension_limit(q.due_on)
    assert q.effective_due == q.extended_due_on and not q.is_overdue(TODAY)
    assert q.due_on < TODAY, "it would be late without the extension"
    [notice] = [e for e in q.events if e.kind is RequestEventKind.EXTENSION]
    assert q.sent_on < notice.on <= q.due_on, "written notice within the first 30 days"
    assert notice.note


def test_partly_received_has_some_records_in_hand_and_some_to_come(filled):
    q = _one(filled, RequestStatus.PARTLY_RECEIVED)
    in_hand = [r for r in q.records if r.in_hand]
    assert in_hand and q.records_to_come
    assert all(r.status is RecordStatus.REQUESTED for r in q.records_to_come)
    assert RequestEventKind.PARTLY_RECEIVED in {e.kind for e in q.events}
    assert q.received_on is None and q.is_open


def test_complete_has_everything_and_its_log_tells_the_story(filled):
    q = _one(filled, RequestStatus.COMPLETE)
    assert q.records and all(r.in_hand for r in q.records)
    kinds = [e.kind for e in q.events]
    assert kinds[0] is RequestEventKind.SENT and kinds[-1] is RequestEventKind.RECEIVED
    assert {RequestEventKind.OWN_FORM, RequestEventKind.FEE_QUOTED, RequestEventKind.PARTLY_RECEIVED} <= set(kinds)
    assert q.received_on == q.events[-1].on
    assert not q.is_open and q.days_left(TODAY) is None


def test_the_draft_the_refused_and_the_cancelled_ones(filled):
    draft = _one(filled, RequestStatus.DRAFT)
    assert draft.sent_on is None and draft.due_on is None and draft.events == ()
    assert all(r.status is RecordStatus.NEEDED for r in draft.records), "a draft changes no record"
    assert draft.delivery is Delivery.THIRD_PARTY and draft.send_to_name
    refused = _one(filled, RequestStatus.REFUSED)
    assert [e.kind for e in refused.events] == [RequestEventKind.SENT, RequestEventKind.REFUSED]
    assert refused.events[-1].note, "the reason they gave"
    cancelled = _one(filled, RequestStatus.CANCELLED)
    assert [e.kind for e in cancelled.events] == [RequestEventKind.CANCELLED]
    assert cancelled.sent_on is None


def test_every_date_is_ordered_and_none_is_after_the_demo_today(filled):
    for q in _requests(filled):
        days = [e.on for e in q.events]
        assert days == sorted(days), q.facility_name
        assert all(TODAY - dt.timedelta(days=120) <= d <= TODAY for d in days)
        if q.sent_on:
            assert q.events[0].kind is RequestEventKind.SENT and q.events[0].on == q.sent_on


def test_linked_records_follow_their_requests(filled):
    by_id = _records_by_id(filled)
    # A request refused or cancelled leaves its records needed again: what they are then is the case's own story.
    sent_requests = [q for q in _requests(filled) if q.sent_on is not None
                     and q.status not in (RequestStatus.REFUSED, RequestStatus.CANCELLED)]
    asked = {r.id for q in sent_requests for r in q.records}
    for record_id in asked:
        record = by_id[record_id]
        first_sent = min(q.sent_on for q in sent_requests if any(r.id == record_id for r in q.records))
        assert record.status is not RecordStatus.NEEDED, record.title
        assert record.requested_on == first_sent, record.title  # dated by "Mark sent", not by hand
    for q in sent_requests:
        came = {e.on for e in q.events if e.kind in (RequestEventKind.RECEIVED, RequestEventKind.PARTLY_RECEIVED)}
        for linked in q.records:
            record = by_id[linked.id]
            if q.status in (RequestStatus.COMPLETE, RequestStatus.PARTLY_RECEIVED) and record.status in IN_HAND:
                assert record.received_on in came, record.title
            if q.is_open and not linked.in_hand:
                assert record.status is RecordStatus.REQUESTED, record.title


def test_records_end_with_the_status_the_case_gives_them(filled):
    case_status = {spec["title"]: spec.get("status", "needed") for spec in load_case()["records"]}
    for record in _records_by_id(filled).values():
        assert record.status.value == case_status[record.title], record.title


def test_the_slides_are_in_transit_to_the_consultant(filled):
    moving = [s for s in shipments.list_shipments(filled) if s.in_transit]
    [slides] = moving
    assert slides.material is MaterialKind.STAINED_SLIDES and slides.count
    assert slides.carrier and slides.tracking_number
    assert slides.shipped_on is not None and slides.shipped_on <= TODAY and slides.received_on is None
    assert shipments.where_it_is(slides, TODAY).startswith("In transit")
    extended = _one(filled, RequestStatus.EXTENDED)
    assert slides.request_id == extended.id
    assert slides.record_id in {r.id for r in extended.records}
    assert slides.shipped_on > extended.sent_on


def test_a_returned_shipment_has_every_date(filled):
    [back] = [s for s in shipments.list_shipments(filled) if s.returned]
    days = (back.shipped_on, back.received_on, back.due_back_on, back.returned_on)
    assert None not in days
    assert back.shipped_on <= back.received_on <= back.returned_on <= TODAY
    assert back.returned_on <= back.due_back_on, "returned in time"
    assert back.record_id is not None and back.carrier and back.tracking_number
    assert shipments.where_it_is(back, TODAY).startswith("Returned on")


def test_facilities_have_their_records_departments(filled):
    facilities = list_facilities(filled)
    assert len(facilities) == 6
    for f in facilities:
        for name in ("records_contact", "records_phone", "records_fax", "records_email", "records_portal",
                     "records_address"):
            assert getattr(f, name), (f.name, name)
        assert f.records_portal.startswith("https://") and f.records_portal.endswith(".example.com")
    assert sum(bool(f.records_form) for f in facilities) >= 4


def test_a_real_today_keeps_the_same_story(folder):
    fill_demo_data(folder)
    today = dt.date.today()
    assert len(requests.list_requests(folder, overdue=True, today=today)) == 1
    assert {q.status for q in requests.list_requests(folder)} == set(RequestStatus)
    assert sum(s.in_transit for s in shipments.list_shipments(folder)) == 1


# --- refusing and undoing ---------------------------------------------------------------------------------------


def _rows(folder) -> dict[str, int]:
    with folder.session() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Record, RecordsRequest, MaterialShipment)}


def test_a_second_fill_is_refused_and_keeps_the_requests_as_they_are(filled):
    before = [q.to_json() for q in _requests(filled)]
    with pytest.raises(ValidationError, match="empty folder"):
        fill_demo_data(filled, today=TODAY)
    assert [q.to_json() for q in _requests(filled)] == before
    assert len(shipments.list_shipments(filled)) == 2


def test_a_folder_holding_only_a_shipment_is_refused(folder):
    shipments.create_shipment(folder, material="blocks", count=1, from_lab="My lab")
    with pytest.raises(ValidationError, match="requests for records or shipments"):
        fill_demo_data(folder)
    assert _rows(folder) == {"Record": 0, "RecordsRequest": 0, "MaterialShipment": 1}


def test_a_failure_during_the_requests_leaves_the_folder_empty(folder, monkeypatch):
    real = requests.mark_received
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("simulated failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(requests, "mark_received", flaky)
    with pytest.raises(OSError, match="simulated"):
        fill_demo_data(folder)
    assert _rows(folder) == {"Record": 0, "RecordsRequest": 0, "MaterialShipment": 0}
    assert list_facilities(folder) == []
    with folder.session() as session:
        assert get_profile(session) == ProfileData()
    monkeypatch.setattr(requests, "mark_received", real)
    assert fill_demo_data(folder).requests == 8


def test_a_failure_while_attaching_removes_the_requests_and_shipments_too(folder, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(records, "attach_file", broken)
    with pytest.raises(OSError, match="simulated"):
        fill_demo_data(folder)
    assert _rows(folder) == {"Record": 0, "RecordsRequest": 0, "MaterialShipment": 0}
    assert list_facilities(folder) == []


def test_summary_counts_the_requests_and_shipments(folder):
    summary = fill_demo_data(folder)
    assert (summary.requests, summary.shipments) == (8, 2)
    assert _rows(folder)["RecordsRequest"] == 8 and _rows(folder)["MaterialShipment"] == 2


# --- the case file ----------------------------------------------------------------------------------------------


def test_requests_in_the_case_refer_to_its_own_facilities_and_records():
    case = load_case()
    facilities = {f["key"] for f in case["facilities"]}
    record_facility = {r["key"]: r.get("facility") for r in case["records"]}
    keys = [q["key"] for q in case["requests"]]
    assert len(set(keys)) == len(keys)
    for q in case["requests"]:
        assert q["facility"] in facilities
        for key in q["records"]:
            assert record_facility[key] == q["facility"], key
        for step in q.get("steps", ()):
            assert step["step"] in ("sent", "log", "extend", "received", "refused", "cancelled"), step
            assert set(step.get("records", ())) <= set(q["records"])
    for s in case["shipments"]:
        assert s["record"] in record_facility
        assert s.get("request", keys[0]) in keys


def test_records_a_sent_request_dates_carry_no_request_or_receipt_date_of_their_own():
    """The request's steps date them; a date in the case as well would be silently different."""
    case = load_case()
    asked = demo._asked_for_by_sent_requests(case)
    assert asked
    came = {key for q in case["requests"] for step in q.get("steps", ()) if step["step"] == "received"
            for key in step.get("records", q["records"])}
    unanswered = {key for q in case["requests"] if any(step["step"] in ("refused", "cancelled")
                                                       for step in q.get("steps", ())) for key in q["records"]}
    answered = {key for q in case["requests"] if not any(step["step"] in ("refused", "cancelled")
                                                         for step in q.get("steps", ())) for key in q["records"]}
    for spec in case["records"]:
        if spec["key"] in asked and (spec["key"] in answered or spec["key"] not in unanswered):
            assert "requested_on" not in spec, spec["key"]
            if spec["key"] in came:
                assert "received_on" not in spec, spec["key"]
