"""Custody of pathology material: each shipment of slides or blocks from a lab to the consulting pathologist.

A shipment belongs to a pathology (or molecular) record of the inventory and, when it answers one, to a
records request. Its dates follow the material: shipped, received by the consultant, due back at the lab,
returned. :func:`where_it_is` says in words where the material is on a given day.

Every service takes a ``Session`` or, from the window, the ``DataFolder`` itself (``core.unit``). Each
``ValidationError`` names its field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import MaterialKind, MaterialShipment, Record, RecordKind, RecordsRequest
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_count, clean_line, clean_text, parse_date, parse_enum

#: Record kinds whose material can be shipped.
SHIPPABLE = frozenset({RecordKind.PATHOLOGY, RecordKind.MOLECULAR})
DUE_BACK_SOON_DAYS = 7


@dataclass(frozen=True)
class ShipmentData:
    id: int
    record_id: int | None
    record_title: str
    request_id: int | None
    material: MaterialKind
    count: int | None
    from_lab: str
    to_whom: str
    carrier: str
    tracking_number: str
    shipped_on: dt.date | None
    received_on: dt.date | None  # by the consultant
    due_back_on: dt.date | None
    returned_on: dt.date | None
    notes: str

    @property
    def what(self) -> str:
        """"12 stained slides", "Paraffin blocks"."""
        label = self.material.label
        if self.count is None:
            return label
        words = f"{label[0].lower()}{label[1:]}"
        if self.count == 1:  # "1 paraffin block", "1 stained slide"; "Other material" stays as it is
            words = words.removesuffix("s") if words.endswith(("slides", "blocks", "recuts")) else words
        return f"{self.count} {words}"

    @property
    def in_transit(self) -> bool:
        """Shipped, not yet confirmed received by the consultant."""
        return self.shipped_on is not None and self.received_on is None and self.returned_on is None

    @property
    def with_consultant(self) -> bool:
        return self.received_on is not None and self.returned_on is None

    @property
    def returned(self) -> bool:
        return self.returned_on is not None

    def is_due_back(self, today: dt.date) -> bool:
        """Out of the lab, and due back there within a week (or already past that day)."""
        left = self.shipped_on is not None or self.received_on is not None
        return (left and self.returned_on is None and self.due_back_on is not None
                and (self.due_back_on - today).days <= DUE_BACK_SOON_DAYS)

    def is_overdue_back(self, today: dt.date) -> bool:
        return self.is_due_back(today) and self.due_back_on is not None and self.due_back_on < today


def where_it_is(s: ShipmentData, today: dt.date) -> str:
    """One line: where the material is and what is due ("With Dr. Chen since Mar 12, 2026; due back Apr 2, 2026")."""
    from secondopinion_desktop.core.words import month_day_year

    if s.returned_on is not None:
        return f"Returned on {month_day_year(s.returned_on)}"
    due = ""
    if s.due_back_on is not None:
        late = s.due_back_on < today
        due = f"; {'overdue back since' if late else 'due back'} {month_day_year(s.due_back_on)}"
    to = f" to {s.to_whom}" if s.to_whom else ""
    if s.received_on is not None:
        return f"With {s.to_whom or 'the consultant'} since {month_day_year(s.received_on)}{due}"
    if s.shipped_on is not None:
        return f"In transit{to} since {month_day_year(s.shipped_on)}{due}"
    return f"Not shipped yet{due}"


def shipment_data(s: MaterialShipment) -> ShipmentData:
    return ShipmentData(
        id=s.id, record_id=s.record_id, record_title=s.record.title if s.record else "", request_id=s.request_id,
        material=s.material, count=s.count, from_lab=s.from_lab, to_whom=s.to_whom, carrier=s.carrier,
        tracking_number=s.tracking_number, shipped_on=s.shipped_on, received_on=s.received_on,
        due_back_on=s.due_back_on, returned_on=s.returned_on, notes=s.notes,
    )


EDITABLE_FIELDS = ("record_id", "request_id", "material", "count", "from_lab", "to_whom", "carrier",
                   "tracking_number", "shipped_on", "received_on", "due_back_on", "returned_on", "notes")
_LINES = {"from_lab": ("lab it comes from", 300), "to_whom": ("pathologist it goes to", 300),
          "carrier": ("carrier", 100), "tracking_number": ("tracking number", 200)}
_DATES = {"shipped_on": "date shipped", "received_on": "date the consultant received it",
          "due_back_on": "date it is due back", "returned_on": "date it was returned"}


def _apply(session: Session, s: MaterialShipment, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError(f"Shipments have no field {name!r}.", field=name)
    for key, value in fields.items():
        if key == "record_id":
            if value is None:
                s.record_id = None
                continue
            record = session.get(Record, value)
            if record is None:
                raise ValidationError(f"There is no record {value}.", field="record_id")
            if record.kind not in SHIPPABLE:
                raise ValidationError(f"“{record.title}” is not a pathology record; slides and blocks belong to "
                                      "the pathology record they come from.", field="record_id")
            s.record_id = record.id
        elif key == "request_id":
            if value is not None and session.get(RecordsRequest, value) is None:
                raise ValidationError(f"There is no request {value}.", field="request_id")
            s.request_id = value
        elif key == "material":
            s.material = parse_enum(MaterialKind, value, "kind of material", field=key)
        elif key == "count":
            s.count = clean_count(value, "number of slides or blocks", field=key)
        elif key in _LINES:
            what, limit = _LINES[key]
            setattr(s, key, clean_line(value, what, max_len=limit, field=key))
        elif key in _DATES:
            setattr(s, key, parse_date(value, _DATES[key], allow_future=key == "due_back_on", field=key))
        elif key == "notes":
            s.notes = clean_text(value, "notes", field=key)
    steps = [(key, getattr(s, key)) for key in ("shipped_on", "received_on", "returned_on")]
    dated = [(key, day) for key, day in steps if day is not None]
    for (earlier, earlier_day), (later, later_day) in zip(dated, dated[1:], strict=False):
        if later_day < earlier_day:
            raise ValidationError(f"The {_DATES[later]} ({later_day.isoformat()}) is before the {_DATES[earlier]} "
                                  f"({earlier_day.isoformat()}).", field=later)
    if s.due_back_on and s.shipped_on and s.due_back_on < s.shipped_on:
        raise ValidationError(f"The {_DATES['due_back_on']} ({s.due_back_on.isoformat()}) is before the "
                              f"{_DATES['shipped_on']} ({s.shipped_on.isoformat()}).", field="due_back_on")


def _load(session: Session, shipment_id: int) -> MaterialShipment:
    s = session.get(MaterialShipment, shipment_id)
    if s is None:
        raise NotFoundError(f"There is no shipment {shipment_id}.")
    return s


def _fresh(session: Session, shipment_id: int) -> ShipmentData:
    session.flush()
    session.expire_all()
    return shipment_data(_load(session, shipment_id))


@unit_of_work
def create_shipment(session: Session, /, **fields: Any) -> ShipmentData:
    s = MaterialShipment(material=MaterialKind.STAINED_SLIDES)
    session.add(s)
    _apply(session, s, fields)
    session.flush()
    return _fresh(session, s.id)


@unit_of_work
def update_shipment(session: Session, shipment_id: int, /, **fields: Any) -> ShipmentData:
    _apply(session, _load(session, shipment_id), fields)
    return _fresh(session, shipment_id)


@unit_of_work
def delete_shipment(session: Session, shipment_id: int) -> ShipmentData:
    s = _load(session, shipment_id)
    data = shipment_data(s)
    session.delete(s)
    session.flush()
    return data


@reading
def check_shipment(session: Session, fields: Mapping[str, Any], shipment_id: int | None = None) -> None:
    """Raise the ValidationError storing ``fields`` would raise (nothing is kept)."""
    if shipment_id is None:
        create_shipment(session, **fields)
    else:
        update_shipment(session, shipment_id, **fields)


@reading
def get_shipment(session: Session, shipment_id: int) -> ShipmentData:
    return shipment_data(_load(session, shipment_id))


@reading
def list_shipments(session: Session, *, record_id: int | None = None,
                   request_id: int | None = None) -> list[ShipmentData]:
    """Shipments, newest first (not yet shipped first of all), optionally of one record or one request."""
    query = select(MaterialShipment).options(selectinload(MaterialShipment.record))
    if record_id is not None:
        query = query.where(MaterialShipment.record_id == record_id)
    if request_id is not None:
        query = query.where(MaterialShipment.request_id == request_id)
    query = query.order_by(MaterialShipment.shipped_on.is_(None).desc(), MaterialShipment.shipped_on.desc(),
                           MaterialShipment.id.desc())
    return [shipment_data(s) for s in session.scalars(query)]
