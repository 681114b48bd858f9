"""Custody of pathology material: shipments of slides and blocks, their dates and where the material is."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core import requests as rq
from secondopinion_desktop.core import shipments as sh
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import MaterialKind
from secondopinion_desktop.core.records import create_record, delete_records

TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def pathology(folder):  # type: ignore[no-untyped-def]
    return folder, create_record(folder, "pathology", "Slides S26-1234", facility="City Pathology")


def test_a_shipment_in_transit_then_with_the_consultant_then_returned(pathology) -> None:  # type: ignore[no-untyped-def]
    folder, record = pathology
    s = sh.create_shipment(folder, record_id=record.id, material="unstained_slides", count="10",
                           from_lab="City Pathology", to_whom="Dr. Chen, Consult Pathology", carrier="FedEx",
                           tracking_number="7712 3456 7890", shipped_on=days(-3), due_back_on=days(20))
    assert s.record_title == "Slides S26-1234" and s.material is MaterialKind.UNSTAINED_SLIDES and s.count == 10
    assert s.what == "10 unstained slides"
    assert s.in_transit and not s.with_consultant and not s.returned
    assert sh.where_it_is(s, TODAY).startswith("In transit to Dr. Chen, Consult Pathology since ")
    s = sh.update_shipment(folder, s.id, received_on=days(-1))
    assert s.with_consultant and not s.in_transit
    assert sh.where_it_is(s, TODAY).startswith("With Dr. Chen, Consult Pathology since ")
    assert not s.is_due_back(TODAY)
    assert s.is_due_back(days(14)) and not s.is_overdue_back(days(14)), "due back within a week"
    assert s.is_overdue_back(days(21)) and "overdue back since" in sh.where_it_is(s, days(21))
    s = sh.update_shipment(folder, s.id, returned_on=TODAY)
    assert s.returned and not s.is_due_back(days(30)) and sh.where_it_is(s, TODAY).startswith("Returned on ")
    assert [x.id for x in sh.list_shipments(folder, record_id=record.id)] == [s.id]


def test_bad_input_is_one_sentence_naming_its_field(pathology) -> None:  # type: ignore[no-untyped-def]
    folder, record = pathology
    lab = create_record(folder, "lab", "Blood count")
    cases = [
        ({"record_id": record.id, "count": -2}, "count"),
        ({"record_id": record.id, "count": "a dozen"}, "count"),
        ({"record_id": 4321}, "record_id"),
        ({"record_id": lab.id}, "record_id"),
        ({"request_id": 77}, "request_id"),
        ({"material": "teeth"}, "material"),
        ({"shipped_on": days(-2), "received_on": days(-5)}, "received_on"),
        ({"shipped_on": days(-2), "received_on": days(-1), "returned_on": days(-3)}, "returned_on"),
        ({"shipped_on": days(-2), "due_back_on": days(-4)}, "due_back_on"),
        ({"shipped_on": days(3)}, "shipped_on"),
        ({"colour": "red"}, "colour"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as caught:
            sh.create_shipment(folder, **fields)
        assert caught.value.field == field, fields
        assert str(caught.value).endswith("."), "one sentence"
        with pytest.raises(ValidationError):
            sh.check_shipment(folder, fields)
    assert sh.list_shipments(folder) == [], "nothing stored"
    with pytest.raises(NotFoundError):
        sh.update_shipment(folder, 5, notes="x")


def test_a_shipment_belongs_to_a_request_and_outlives_its_record(pathology) -> None:  # type: ignore[no-untyped-def]
    folder, record = pathology
    q = rq.create_request(folder, "City Pathology", record_ids=[record.id])
    s = sh.create_shipment(folder, record_id=record.id, request_id=q.id, material="blocks", count=2,
                           shipped_on=days(-1))
    sh.check_shipment(folder, {"notes": "<b>fragile</b>"}, s.id)
    assert sh.get_shipment(folder, s.id).notes == "", "a check keeps nothing"
    assert [x.id for x in sh.list_shipments(folder, request_id=q.id)] == [s.id]
    delete_records(folder, [record.id])
    kept = sh.get_shipment(folder, s.id)
    assert kept.record_id is None and kept.record_title == "" and kept.what == "2 paraffin blocks"
    rq.delete_request(folder, q.id)
    assert sh.get_shipment(folder, s.id).request_id is None
    assert sh.delete_shipment(folder, s.id).id == s.id and sh.list_shipments(folder) == []


def test_newest_first_and_not_yet_shipped_on_top(pathology) -> None:  # type: ignore[no-untyped-def]
    folder, record = pathology
    old = sh.create_shipment(folder, record_id=record.id, shipped_on=days(-30), received_on=days(-28),
                             returned_on=days(-2))
    new = sh.create_shipment(folder, record_id=record.id, shipped_on=days(-1))
    planned = sh.create_shipment(folder, record_id=record.id, count=0)
    assert [s.id for s in sh.list_shipments(folder)] == [planned.id, new.id, old.id]
    assert sh.where_it_is(planned, TODAY) == "Not shipped yet"
    assert planned.what == "0 stained slides"


def test_one_slide_or_block_is_said_in_the_singular(pathology) -> None:  # type: ignore[no-untyped-def]
    folder, record = pathology
    words = {kind: sh.create_shipment(folder, record_id=record.id, material=kind, count=1).what
             for kind in ("blocks", "stained_slides", "recuts", "other")}
    assert words == {"blocks": "1 paraffin block", "stained_slides": "1 stained slide", "recuts": "1 recut",
                     "other": "1 other material"}


def test_material_that_never_left_the_lab_is_not_due_back(pathology) -> None:  # type: ignore[no-untyped-def]
    folder, record = pathology
    planned = sh.create_shipment(folder, record_id=record.id, due_back_on=days(-1))
    assert not planned.is_due_back(TODAY) and not planned.is_overdue_back(TODAY)
    out = sh.update_shipment(folder, planned.id, shipped_on=days(-5))
    assert out.is_due_back(TODAY) and out.is_overdue_back(TODAY)
