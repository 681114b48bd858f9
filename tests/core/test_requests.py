"""Records requests: the model, the due-date rules, the event log and what each step does to the records."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from secondopinion_desktop.core import requests as rq
from secondopinion_desktop.core import settings
from secondopinion_desktop.core.directory import list_facilities, update_facility
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import (
    CopyFormat,
    Delivery,
    Facility,
    ImagesMedia,
    LetterKind,
    RecordStatus,
    RequestEventKind,
    RequestStatus,
    RequestVia,
)
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.records import create_record, delete_records, get_record, set_status

TODAY = dt.date.today()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def case(folder):  # type: ignore[no-untyped-def]
    """A profile and three records at City Hospital (two still needed, one received), one elsewhere."""
    save_profile(folder, name="Alex Sample", date_of_birth="1970-05-04", diagnosis_date="2026-05-31",
                 medical_record_numbers="City Hospital: MRN-4411\nValley Lab — VL-9")
    biopsy = create_record(folder, "pathology", "Core biopsy report", facility="City Hospital",
                           date_of_service="2026-05-20", accession_number="S26-1234")
    ct = create_record(folder, "imaging", "CT chest", facility="City Hospital", date_of_service="2026-05-25")
    old = create_record(folder, "lab", "Blood count", facility="City Hospital", status="received")
    other = create_record(folder, "lab", "Tumour markers", facility="Valley Lab")
    return folder, biopsy, ct, old, other


def snapshot(folder) -> str:  # type: ignore[no-untyped-def]
    """Everything a failed step must leave as it was: the requests and the records."""
    from secondopinion_desktop.core.records import list_records

    return json.dumps([q.to_json() for q in rq.list_requests(folder)], sort_keys=True) + json.dumps(
        [r.to_json() for r in list_records(folder)], sort_keys=True)


# --- the model and its defaults ----------------------------------------------------------------------------------


def test_a_draft_to_a_facility_is_prefilled_with_its_records_still_needed(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, ct, old, other = case
    draft = rq.draft_request(folder, "city hospital")
    assert draft.facility_name == "City Hospital" and draft.facility is not None
    assert [r.id for r in draft.records] == [biopsy.id, ct.id], "the received record and the other facility's stay out"
    assert draft.scope == ("pathology_reports", "imaging_reports", "images")
    assert draft.scope_from == dt.date(2026, 2, 28), "three months before the diagnosis (31 May → 28 Feb)"
    assert draft.medical_record_number == "MRN-4411"
    assert draft.due_days == settings.DEFAULT_DUE_DAYS == 30
    assert rq.draft_request(folder, "Nowhere Clinic").records == (), "a facility not in the directory yet"


def test_a_new_request_is_a_draft_with_the_suggested_scope(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, ct, _old, _other = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, ct.id])
    assert q.status is RequestStatus.DRAFT and q.sent_on is None and q.due_on is None
    assert q.facility_name == "City Hospital" and q.facility_id is not None
    assert [(r.id, r.title) for r in q.records] == [(biopsy.id, "Core biopsy report"), (ct.id, "CT chest")]
    assert q.scope_words[0].startswith("Pathology reports")
    assert q.images_media is ImagesMedia.CD, "imaging records ask for the images too"
    assert q.release_material == rq.DEFAULT_RELEASE and q.asks_for_pathology
    assert q.medical_record_number == "MRN-4411" and q.copy_format is CopyFormat.PDF
    assert q.delivery is Delivery.MAIL
    assert get_record(folder, biopsy.id).status is RecordStatus.NEEDED, "a draft changes no record"


def test_a_request_to_a_new_facility_adds_it_to_the_directory(folder) -> None:  # type: ignore[no-untyped-def]
    q = rq.create_request(folder, "  Harbor   Imaging ", send_to_name="Second Opinion Center")
    assert q.facility_name == "Harbor Imaging"
    assert [f.name for f in list_facilities(folder)] == ["Harbor Imaging"]
    assert q.delivery is Delivery.THIRD_PARTY, "naming someone to send to sends it there"
    assert q.scope == tuple(key for key, _ in rq.SCOPE), "no records linked: every kind of document"
    assert q.release_material == () and not q.asks_for_pathology


def test_sending_to_a_third_party_needs_its_name(folder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        rq.create_request(folder, "City Hospital", delivery="third_party")
    assert caught.value.field == "send_to_name"
    assert rq.list_requests(folder) == []


def test_fields_are_checked_and_name_their_input(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, *_ = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id])
    before = snapshot(folder)
    bad = {
        "scope": (["x-rays"], "scope"), "copy_format": ("carrier pigeon", "copy_format"),
        "scope_to": ("2026-01-01", "scope_to"), "record_ids": ([99_999], "record_ids"),
        "unstained_count": (-1, "unstained_count"), "unstained_microns": (50, "unstained_microns"),
        "release_material": (["everything"], "release_material"), "colour": ("blue", "colour"),
    }
    for key, (value, field) in bad.items():
        fields = {key: value, "scope_from": "2026-02-01"} if key == "scope_to" else {key: value}
        with pytest.raises(ValidationError) as caught:
            rq.update_request(folder, q.id, **fields)
        assert caught.value.field == field, key
        assert str(caught.value).endswith("."), "one sentence"
    with pytest.raises(ValidationError) as caught:
        rq.update_request(folder, q.id, due_on=TODAY)
    assert caught.value.field == "due_on", "a draft has no due date yet"
    with pytest.raises(ValidationError):
        rq.create_request(folder, "   ")
    assert snapshot(folder) == before, "nothing changed"
    with pytest.raises(NotFoundError):
        rq.get_request(folder, 12345)


def test_check_request_keeps_nothing(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, *_ = case
    rq.check_request(folder, {"facility": "Brand New Clinic", "scope": ["lab_results"]})
    assert rq.list_requests(folder) == []
    assert "Brand New Clinic" not in [f.name for f in list_facilities(folder)]
    with pytest.raises(ValidationError) as caught:
        rq.check_request(folder, {"facility": "City Hospital", "record_ids": [404]})
    assert caught.value.field == "record_ids"


def test_markup_and_control_characters_are_kept_as_text(folder) -> None:  # type: ignore[no-untyped-def]
    q = rq.create_request(folder, "<b>St. Mary's</b> & Co\x1b[31m", send_to_name="مركز الرأي الثاني",
                          extra_paragraph="Line one\nLine <two>\x07")
    assert q.facility_name == "<b>St. Mary's</b> & Co [31m"
    assert q.send_to_name == "مركز الرأي الثاني"
    assert q.extra_paragraph == "Line one\nLine <two>"


# --- sending and the due-date rules ---------------------------------------------------------------------------------


def test_sending_dates_the_request_and_requests_its_records(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, ct, old, _other = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, ct.id, old.id])
    sent = rq.mark_sent(folder, q.id, on=days_ago(3), via="fax", note="Cover sheet page 1")
    assert sent.status is RequestStatus.SENT and sent.sent_on == days_ago(3) and sent.sent_via is RequestVia.FAX
    assert sent.due_on == days_ago(3) + dt.timedelta(days=30), "due 30 days after it was sent"
    assert [(e.kind, e.on) for e in sent.events] == [(RequestEventKind.SENT, days_ago(3))]
    assert "fax" in sent.events[0].note and "Cover sheet" in sent.events[0].note
    for record_id in (biopsy.id, ct.id):
        record = get_record(folder, record_id)
        assert record.status is RecordStatus.REQUESTED and record.requested_on == days_ago(3)
    assert get_record(folder, old.id).status is RecordStatus.RECEIVED, "a record in hand is left as it is"


def test_the_folder_setting_sets_the_default_due_days(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, *_ = case
    assert settings.set_setting(folder, settings.DUE_DAYS, "15") == 15
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital").id, on=days_ago(1))
    assert q.due_on == days_ago(1) + dt.timedelta(days=15)
    for wrong in (0, 31, "soon"):
        with pytest.raises(ValidationError) as caught:
            settings.set_setting(folder, settings.DUE_DAYS, wrong)
        assert caught.value.field == "due_days"
    assert settings.get_setting(folder, settings.DUE_DAYS) == 15
    with pytest.raises(ValidationError):
        settings.set_setting(folder, "requests.typo", 3)


def test_a_due_date_given_when_sending_is_kept_but_never_before_sending(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, *_ = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id])
    before = snapshot(folder)
    with pytest.raises(ValidationError) as caught:
        rq.mark_sent(folder, q.id, on=days_ago(2), due_on=days_ago(5))
    assert caught.value.field == "due_on"
    with pytest.raises(ValidationError) as caught:
        rq.mark_sent(folder, q.id, on=TODAY + dt.timedelta(days=2))
    assert caught.value.field == "sent_on", "a request cannot have been sent tomorrow"
    with pytest.raises(ValidationError) as caught:
        rq.mark_sent(folder, q.id, via="pigeon")
    assert caught.value.field == "sent_via"
    assert snapshot(folder) == before, "a refused step changes neither the request nor its records"
    q = rq.mark_sent(folder, q.id, on=days_ago(2), due_on=days_ago(2) + dt.timedelta(days=10))
    assert q.due_on == days_ago(2) + dt.timedelta(days=10)
    with pytest.raises(ValidationError) as caught:
        rq.update_request(folder, q.id, due_on=days_ago(3))
    assert caught.value.field == "due_on"
    with pytest.raises(ValidationError) as caught:
        rq.mark_sent(folder, q.id)
    assert caught.value.field == "status", "sent once"


def test_overdue_and_due_soon(case) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = case
    late = rq.mark_sent(folder, rq.create_request(folder, "City Hospital").id, on=days_ago(31))
    soon = rq.mark_sent(folder, rq.create_request(folder, "Valley Lab").id, on=days_ago(25))
    fresh = rq.mark_sent(folder, rq.create_request(folder, "Harbor Imaging").id, on=days_ago(1))
    draft = rq.create_request(folder, "Draft Clinic")
    assert late.is_overdue(TODAY) and late.days_left(TODAY) == -1 and not late.is_due_soon(TODAY)
    assert soon.is_due_soon(TODAY) and soon.days_left(TODAY) == 5 and not soon.is_overdue(TODAY)
    assert not fresh.is_due_soon(TODAY) and not fresh.is_overdue(TODAY)
    assert draft.days_left(TODAY) is None and not draft.is_overdue(TODAY)
    assert [q.id for q in rq.list_requests(folder, overdue=True)] == [late.id]
    assert [q.facility_name for q in rq.list_requests(folder)] == [
        "City Hospital", "Draft Clinic", "Harbor Imaging", "Valley Lab"], "by facility"
    done = rq.mark_received(folder, late.id)
    assert not done.is_overdue(TODAY), "a complete request is never overdue"


def test_one_extension_of_at_most_thirty_days(case) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = case
    q = rq.create_request(folder, "City Hospital")
    with pytest.raises(ValidationError) as caught:
        rq.extend(folder, q.id, TODAY + dt.timedelta(days=10))
    assert caught.value.field == "status", "a draft cannot be extended"
    q = rq.mark_sent(folder, q.id, on=days_ago(28))
    assert q.due_on == TODAY + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as caught:
        rq.extend(folder, q.id, q.due_on + dt.timedelta(days=31))
    assert caught.value.field == "extended_due_on" and "30 days" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        rq.extend(folder, q.id, q.due_on)
    assert caught.value.field == "extended_due_on", "an extension moves the date later"
    extended = rq.extend(folder, q.id, q.due_on + dt.timedelta(days=30), on=days_ago(1), note="Letter came")
    assert extended.status is RequestStatus.EXTENDED and extended.effective_due == q.due_on + dt.timedelta(days=30)
    assert extended.events[-1].kind is RequestEventKind.EXTENSION and "Letter came" in extended.events[-1].note
    assert not extended.is_due_soon(TODAY) and extended.days_left(TODAY) == 32
    with pytest.raises(ValidationError) as caught:
        rq.extend(folder, q.id, q.due_on + dt.timedelta(days=20))
    assert caught.value.field == "extended_due_on", "only once"
    assert rq.extension_limit(dt.date(2026, 1, 31)) == dt.date(2026, 3, 2)
    assert rq.due_date(dt.date(2026, 12, 15)) == dt.date(2027, 1, 14)


# --- the event log --------------------------------------------------------------------------------------------------


def test_calls_and_notes_go_into_the_log_in_date_order(case) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital").id, on=days_ago(20))
    rq.log_event(folder, q.id, "called", on=days_ago(5), who="Ms. Lee, release of information",
                 note="Said it is in the queue")
    rq.log_event(folder, q.id, RequestEventKind.FEE_QUOTED, on=days_ago(10), note="$25 for the CD")
    q = rq.log_event(folder, q.id, "own_form", on=days_ago(12), note="Their form HIM-7")
    assert [e.kind for e in q.events] == [RequestEventKind.SENT, RequestEventKind.OWN_FORM,
                                          RequestEventKind.FEE_QUOTED, RequestEventKind.CALLED]
    call = q.events[-1]
    assert call.who == "Ms. Lee, release of information" and call.note == "Said it is in the queue"
    before = snapshot(folder)
    for kind in ("received", "sent", "extension"):
        with pytest.raises(ValidationError) as caught:
            rq.log_event(folder, q.id, kind)
        assert caught.value.field == "kind", f"{kind} is a step of its own"
    with pytest.raises(ValidationError) as caught:
        rq.log_event(folder, q.id, "called", on=TODAY + dt.timedelta(days=1))
    assert caught.value.field == "on"
    with pytest.raises(ValidationError):
        rq.log_event(folder, q.id, "gossip")
    assert snapshot(folder) == before


# --- receiving, refusing, cancelling -------------------------------------------------------------------------------


def test_receiving_part_then_the_rest(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, ct, _old, other = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, ct.id]).id,
                     on=days_ago(10))
    before = snapshot(folder)
    with pytest.raises(ValidationError) as caught:
        rq.mark_received(folder, q.id, [biopsy.id], on=days_ago(11))
    assert caught.value.field == "received_on", "received before sent"
    with pytest.raises(ValidationError) as caught:
        rq.mark_received(folder, q.id, [other.id])
    assert caught.value.field == "record_ids" and "not one this request" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        rq.mark_received(folder, q.id, [987_654])
    assert caught.value.field == "record_ids" and "no record 987654" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        rq.mark_received(folder, q.id, [], on=days_ago(4))
    assert caught.value.field == "record_ids", "nothing ticked: nothing came"
    assert snapshot(folder) == before, "nothing changed"

    part = rq.mark_received(folder, q.id, [biopsy.id], on=days_ago(4))
    assert part.status is RequestStatus.PARTLY_RECEIVED and part.received_on is None
    assert [r.id for r in part.records_to_come] == [ct.id]
    assert get_record(folder, biopsy.id).status is RecordStatus.RECEIVED
    assert get_record(folder, biopsy.id).received_on == days_ago(4)
    assert part.events[-1].kind is RequestEventKind.PARTLY_RECEIVED and "Core biopsy report" in part.events[-1].note
    assert part.is_open, "still waiting for the rest"

    done = rq.mark_received(folder, q.id, on=days_ago(1))
    assert done.status is RequestStatus.COMPLETE and done.received_on == days_ago(1)
    assert get_record(folder, ct.id).status is RecordStatus.RECEIVED
    assert done.events[-1].kind is RequestEventKind.RECEIVED and not done.is_open
    with pytest.raises(ValidationError) as caught:
        rq.mark_received(folder, q.id)
    assert caught.value.field == "status"


def test_receiving_before_sending_is_refused(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, *_ = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id])
    with pytest.raises(ValidationError) as caught:
        rq.mark_received(folder, q.id)
    assert caught.value.field == "status"
    assert get_record(folder, biopsy.id).status is RecordStatus.NEEDED


def test_a_request_for_no_particular_record_completes_when_it_comes(folder) -> None:  # type: ignore[no-untyped-def]
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital").id, on=days_ago(3))
    assert rq.mark_received(folder, q.id, [], on=days_ago(1)).status is RequestStatus.PARTLY_RECEIVED
    assert rq.mark_received(folder, q.id, complete=True).status is RequestStatus.COMPLETE


def test_refused_and_cancelled_requests_end(case) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = case
    draft = rq.create_request(folder, "City Hospital")
    with pytest.raises(ValidationError):
        rq.refuse(folder, draft.id, "no")
    cancelled = rq.cancel(folder, draft.id, "Sent through the portal instead")
    assert cancelled.status is RequestStatus.CANCELLED and cancelled.events[-1].note.startswith("Sent through")
    sent = rq.mark_sent(folder, rq.create_request(folder, "Valley Lab").id, on=days_ago(3))
    refused = rq.refuse(folder, sent.id, "They want their own form, notarised")
    assert refused.status is RequestStatus.REFUSED and refused.events[-1].kind is RequestEventKind.REFUSED
    for step in (lambda: rq.cancel(folder, refused.id), lambda: rq.extend(folder, refused.id, TODAY),
                 lambda: rq.mark_sent(folder, cancelled.id)):
        with pytest.raises(ValidationError) as caught:
            step()
        assert caught.value.field == "status"


def test_a_request_outlives_its_facility_and_records(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, ct, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, ct.id]).id)
    delete_records(folder, [ct.id])
    with folder.session() as session:
        session.delete(session.scalars(select(Facility).where(Facility.name == "City Hospital")).one())
    kept = rq.get_request(folder, q.id)
    assert kept.facility_name == "City Hospital" and kept.facility_id is None, "the name is kept"
    assert [r.id for r in kept.records] == [biopsy.id] and len(kept.events) == 1


def test_deleting_a_request_keeps_its_records(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[biopsy.id]).id)
    rq.keep_letter(folder, q.id, LetterKind.REQUEST, b"%PDF-1.4 letter")
    gone = rq.delete_request(folder, q.id)
    assert gone.id == q.id and len(gone.letters) == 1
    assert rq.list_requests(folder) == []
    assert get_record(folder, biopsy.id).status is RecordStatus.NEEDED, "nobody asks for it any more"


def test_letters_are_kept_with_the_request(case) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = case
    q = rq.create_request(folder, "City Hospital")
    kept = rq.keep_letter(folder, q.id, "release", b"%PDF-1.4 some bytes")
    assert kept.kind is LetterKind.RELEASE and kept.size == len(b"%PDF-1.4 some bytes")
    assert rq.get_request(folder, q.id).letters == (kept,)
    assert rq.letter_pdf(folder, kept.id) == b"%PDF-1.4 some bytes"
    with pytest.raises(NotFoundError):
        rq.letter_pdf(folder, kept.id + 1)
    with pytest.raises(ValidationError):
        rq.keep_letter(folder, q.id, "poem", b"x")


def test_json_has_the_fields_scripts_rely_on(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[biopsy.id]).id,
                     on=days_ago(2), via="portal")
    data = json.loads(json.dumps(q.to_json()))
    assert {"id", "facility", "status", "sent_on", "due_on", "records", "events"} <= set(data)
    assert data["facility"] == "City Hospital" and data["status"] == "sent" and data["sent_via"] == "portal"
    assert data["sent_on"] == days_ago(2).isoformat()
    assert data["records"][0]["id"] == biopsy.id and data["records"][0]["title"] == "Core biopsy report"
    assert data["events"][0]["kind"] == "sent"


def test_scope_dates_and_the_medical_record_number(folder) -> None:  # type: ignore[no-untyped-def]
    assert rq.default_scope_from(dt.date(2026, 1, 15)) == dt.date(2025, 10, 15)
    assert rq.default_scope_from(dt.date(2026, 5, 31)) == dt.date(2026, 2, 28)
    assert rq.default_scope_from(None) is None
    assert rq.default_scope_from(dt.date(2024, 5, 29)) == dt.date(2024, 2, 29), "a leap year's February"
    assert rq.default_scope_from(dt.date(2026, 2, 10)) == dt.date(2025, 11, 10), "across the year"
    assert rq.medical_record_number_for("City: " + "9" * 120, "City") == "", "too long to be a number"
    numbers = "City Hospital: 123\n  valley   LAB : 456 \nno number here"
    assert rq.medical_record_number_for(numbers, "Valley Lab") == "456"
    assert rq.medical_record_number_for(numbers, "City") == ""


def test_the_records_department_of_a_facility(folder) -> None:  # type: ignore[no-untyped-def]
    q = rq.create_request(folder, "City Hospital")
    assert q.facility_id is not None
    update_facility(folder, q.facility_id, address="1 Main St", records_address="PO Box 7, Records",
                    records_portal="https://portal.example", records_form="Form HIM-7 on their website")
    facility = rq.draft_request(folder, q.facility_id).facility
    assert facility is not None and facility.records_mailing_address == "PO Box 7, Records"
    assert facility.records_portal == "https://portal.example"
    assert facility.records_form.startswith("Form HIM-7")
    with pytest.raises(NotFoundError):
        rq.draft_request(folder, 9999)


def test_records_move_only_forward(case) -> None:  # type: ignore[no-untyped-def]
    """A record already sent on to the second-opinion doctor stays sent when its request is marked received."""
    folder, biopsy, ct, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, ct.id]).id,
                     on=days_ago(6))
    set_status(folder, biopsy.id, RecordStatus.RECEIVED, days_ago(5))
    set_status(folder, biopsy.id, RecordStatus.SENT, days_ago(4))
    done = rq.mark_received(folder, q.id, on=days_ago(2))
    assert done.status is RequestStatus.COMPLETE
    assert get_record(folder, biopsy.id).status is RecordStatus.SENT


def test_undoing_a_record_deletion_links_it_to_its_request_and_shipments_again(case) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core import shipments as sh
    from secondopinion_desktop.core.records import restore_record

    folder, biopsy, ct, *_ = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, ct.id])
    shipment = sh.create_shipment(folder, record_id=biopsy.id, count=3)
    snapshot_ = delete_records(folder, [biopsy.id])[0]
    assert [r.id for r in rq.get_request(folder, q.id).records] == [ct.id]
    assert sh.get_shipment(folder, shipment.id).record_id is None
    assert snapshot_.request_ids == (q.id,) and snapshot_.shipment_ids == (shipment.id,)
    assert "request_ids" not in snapshot_.to_json()
    restore_record(folder, snapshot_)
    assert [r.id for r in rq.get_request(folder, q.id).records] == [biopsy.id, ct.id]
    assert sh.get_shipment(folder, shipment.id).record_id == biopsy.id


def test_a_request_asks_a_facility_for_its_own_records(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, _ct, _old, other = case
    before = snapshot(folder)
    with pytest.raises(ValidationError) as caught:
        rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, other.id])
    assert caught.value.field == "record_ids" and "Valley Lab" in str(caught.value)
    assert snapshot(folder) == before
    loose = create_record(folder, "clinical", "Consult letter")  # no facility yet: any request may ask for it
    assert [r.id for r in rq.create_request(folder, "City Hospital", record_ids=[loose.id]).records] == [loose.id]


def test_a_record_added_to_a_sent_request_is_requested_as_of_its_sending(case) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, ct, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[biopsy.id]).id, on=days_ago(6))
    assert get_record(folder, ct.id).status is RecordStatus.NEEDED
    rq.update_request(folder, q.id, record_ids=[biopsy.id, ct.id])
    assert get_record(folder, ct.id).status is RecordStatus.REQUESTED
    assert get_record(folder, ct.id).requested_on == days_ago(6)
    assert rq.draft_request(folder, "City Hospital").records == ()
    with pytest.raises(ValidationError) as caught:
        rq.update_request(folder, q.id, due_on="")
    assert caught.value.field == "due_on", "a sent request keeps its due date"
    with pytest.raises(ValidationError) as caught:
        rq.update_request(folder, q.id, sent_on=days_ago(2))
    assert caught.value.field == "sent_on", "the day it went is set by marking it sent"


@pytest.mark.parametrize("end", ["cancel", "refuse", "delete"])
def test_a_request_that_ends_unanswered_leaves_its_records_needed_again(case, end) -> None:  # type: ignore[no-untyped-def]
    folder, biopsy, ct, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, ct.id]).id,
                     on=days_ago(9))
    second = rq.mark_sent(folder, rq.create_request(folder, "City Hospital", record_ids=[ct.id]).id,
                          on=days_ago(9))
    rq.mark_received(folder, q.id, [biopsy.id], on=days_ago(2))
    {"cancel": lambda: rq.cancel(folder, q.id), "refuse": lambda: rq.refuse(folder, q.id, "No release on file"),
     "delete": lambda: rq.delete_request(folder, q.id)}[end]()
    assert get_record(folder, biopsy.id).status is RecordStatus.RECEIVED, "what came stays"
    assert get_record(folder, ct.id).status is RecordStatus.REQUESTED, "another open request still asks for it"
    rq.cancel(folder, second.id)
    assert get_record(folder, ct.id).status is RecordStatus.NEEDED
    assert [r.id for r in rq.draft_request(folder, "City Hospital").records] == [ct.id], "a new request asks again"


def test_an_end_cannot_come_before_the_request_went(case) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = case
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital").id, on=days_ago(3))
    for step in (lambda: rq.refuse(folder, q.id, on=days_ago(4)), lambda: rq.cancel(folder, q.id, on=days_ago(4))):
        with pytest.raises(ValidationError) as caught:
            step()
        assert caught.value.field == "on"
    assert rq.get_request(folder, q.id).status is RequestStatus.SENT


def test_words_for_how_it_went_and_when_it_is_due(case) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = case
    assert [rq.via_words(v) for v in (RequestVia.FAX, RequestVia.IN_PERSON, RequestVia.PORTAL, None)] == [
        "by fax", "in person", "through the patient portal", ""]
    q = rq.mark_sent(folder, rq.create_request(folder, "City Hospital").id, on=days_ago(31), via="in-person")
    assert q.events[0].note == "Sent in person"
    assert rq.due_words(q, TODAY) == "Overdue by 1 day"
    assert rq.due_words(q, days_ago(1)) == "Due today"
    assert rq.due_words(q, days_ago(4)) == "Due in 3 days"
    assert rq.due_words(q, days_ago(30)).startswith("Due ") and "," in rq.due_words(q, days_ago(30))
    assert rq.due_words(rq.create_request(folder, "Valley Lab"), TODAY) == ""
    for wrong in (True, 2.5):
        with pytest.raises(ValidationError):
            settings.set_setting(folder, settings.DUE_DAYS, wrong)


def test_listing_requests_leaves_the_letters_unread(case) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    folder, *_ = case
    q = rq.create_request(folder, "City Hospital")
    rq.keep_letter(folder, q.id, LetterKind.REQUEST, b"%PDF" + b"x" * 50_000)
    statements: list[str] = []
    event.listen(folder.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    listed = rq.list_requests(folder)
    assert listed[0].letters[0].size == 50_004
    letter_reads = [s for s in statements if "request_letter" in s]
    assert letter_reads and all("request_letter.pdf" not in s.replace("length(request_letter.pdf)", "")
                                for s in letter_reads), "only the size is read"
    assert rq.letter_pdf(folder, listed[0].letters[0].id).startswith(b"%PDFxxx")
