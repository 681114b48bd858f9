"""Requests for records: one written request to one facility's records department, tracked from draft to arrival.

A request asks for a set of inventory records (``records``) plus a scope: the kinds of document in
:data:`SCOPE` between two dates (by default from three months before the diagnosis to the day the facility
processes it). Its status moves draft → sent → extended → partly received → complete, or ends refused or
cancelled; every step, and every call or fee quote the patient logs, is an entry in its event log.

The due-date rules (:func:`due_date`, :func:`extension_limit`):

- Sending dates the request and sets it due ``due_days`` after (the folder's setting ``requests.due_days``,
  30 days by default: the federal right-of-access limit of 45 CFR 164.524(b)(2); some states allow fewer).
  The due date can be edited, never to before the day it was sent.
- A facility that gives written notice may extend once, by at most 30 days past the first due date.
- A request is *overdue* while still open (sent, extended, partly received) after its due date (the extended
  one when there is one), and *due soon* within :data:`DUE_SOON_DAYS` days of it.

Effects on the inventory: marking a request sent moves its records still *needed* to *requested*, dated the
day it was sent; marking it received moves the records that came to *received*, dated the day they came.

Every service takes a ``Session`` or, from the window, the ``DataFolder`` itself (``core.unit``). Each
``ValidationError`` names its field. A request keeps its facility's name, so deleting the facility keeps the
request's history.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from secondopinion_desktop.core import settings
from secondopinion_desktop.core.directory import FacilityData, facility_data, find_facility, get_or_create_facility
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import (
    CopyFormat,
    Delivery,
    Facility,
    ImagesMedia,
    LetterKind,
    Record,
    RecordKind,
    RecordsRequest,
    RecordStatus,
    RequestEvent,
    RequestEventKind,
    RequestLetter,
    RequestStatus,
    RequestVia,
)
from secondopinion_desktop.core.profile import get_profile
from secondopinion_desktop.core.records import json_ready, set_status
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_count, clean_line, clean_text, parse_date, parse_enum

#: The kinds of document a request can ask for (key, words for the letter and the dialog), in letter order.
SCOPE: tuple[tuple[str, str], ...] = (
    ("pathology_reports", "Pathology reports (surgical and biopsy)"),
    ("molecular_reports", "Full genetic and molecular test reports"),
    ("imaging_reports", "Imaging reports"),
    ("images", "The images themselves, in DICOM format"),
    ("lab_results", "Laboratory results"),
    ("operative_notes", "Operative and procedure notes"),
    ("consult_notes", "Consultation and progress notes"),
    ("discharge_summaries", "Discharge summaries"),
    ("medication_list", "Medication list"),
)
SCOPE_WORDS = dict(SCOPE)
#: What a pathology material release request can ask the lab for (key, words for the letter and the dialog).
RELEASE: tuple[tuple[str, str], ...] = (
    ("stained", "The original stained (H&E) slides"),
    ("immunostains", "Slides of the immunohistochemical stains"),
    ("recuts", "Recut stained slides, where the originals cannot leave the lab"),
    ("unstained", "Unstained slides"),
    ("blocks", "The paraffin tissue blocks"),
)
RELEASE_WORDS = dict(RELEASE)
DEFAULT_RELEASE = ("stained", "immunostains", "blocks")
#: What each kind of inventory record suggests asking for, when a new request links such records.
SCOPE_FOR_KIND: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.PATHOLOGY: ("pathology_reports",),
    RecordKind.MOLECULAR: ("molecular_reports",),
    RecordKind.IMAGING: ("imaging_reports", "images"),
    RecordKind.LAB: ("lab_results",),
    RecordKind.CLINICAL: ("consult_notes",),
    RecordKind.TREATMENT: ("operative_notes", "discharge_summaries", "medication_list"),
}
SCOPE_MONTHS_BEFORE_DIAGNOSIS = 3
MRN_LIMIT = 100
MAX_EXTENSION_DAYS = 30
DUE_SOON_DAYS = 7

OPEN = frozenset({RequestStatus.SENT, RequestStatus.EXTENDED, RequestStatus.PARTLY_RECEIVED})
ENDED = frozenset({RequestStatus.COMPLETE, RequestStatus.REFUSED, RequestStatus.CANCELLED})
#: Entries of the log the patient adds by hand; the others come with a step (sent, extended, received…).
LOGGED_BY_HAND = frozenset({RequestEventKind.CALLED, RequestEventKind.OWN_FORM, RequestEventKind.FEE_QUOTED,
                            RequestEventKind.ESCALATED, RequestEventKind.NOTE})
IN_HAND = frozenset({RecordStatus.RECEIVED, RecordStatus.SENT})


@dataclass(frozen=True)
class RequestRecordData:
    """A record a request asks for, as it stands in the inventory now."""

    id: int
    title: str
    kind: RecordKind
    date_of_service: dt.date | None
    status: RecordStatus
    accession_number: str = ""
    specimen_site: str = ""
    slides_count: int | None = None
    blocks_count: int | None = None

    @property
    def in_hand(self) -> bool:
        return self.status in IN_HAND


@dataclass(frozen=True)
class RequestEventData:
    id: int
    kind: RequestEventKind
    on: dt.date
    who: str
    note: str


@dataclass(frozen=True)
class LetterData:
    id: int
    kind: LetterKind
    created_at: dt.datetime
    size: int


@dataclass(frozen=True)
class RequestData:
    id: int
    facility_id: int | None
    facility_name: str
    status: RequestStatus
    medical_record_number: str
    scope_from: dt.date | None
    scope_to: dt.date | None  # None: up to the day the facility processes the request
    scope: tuple[str, ...]  # keys of SCOPE
    copy_format: CopyFormat
    images_media: ImagesMedia
    delivery: Delivery
    send_to_name: str
    send_to_address: str
    send_to_fax: str
    send_to_phone: str
    send_to_email: str
    sent_on: dt.date | None
    sent_via: RequestVia | None
    due_on: dt.date | None
    extended_due_on: dt.date | None
    received_on: dt.date | None
    extra_paragraph: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime
    records: tuple[RequestRecordData, ...] = ()
    events: tuple[RequestEventData, ...] = ()
    letters: tuple[LetterData, ...] = ()
    release_material: tuple[str, ...] = ()  # keys of RELEASE
    unstained_count: int | None = None
    unstained_microns: int | None = None
    return_instructions: str = ""

    @property
    def asks_for_pathology(self) -> bool:
        """Its records include pathology: a material release request can go to the lab."""
        return any(r.kind is RecordKind.PATHOLOGY for r in self.records)

    @property
    def is_open(self) -> bool:
        """Sent and not answered in full yet (nor refused or cancelled)."""
        return self.status in OPEN

    @property
    def effective_due(self) -> dt.date | None:
        """The day the answer is due: the extended due date when there is one."""
        return self.extended_due_on or self.due_on

    def days_left(self, today: dt.date) -> int | None:
        """Days until the answer is due (negative once overdue); None when not open or not dated."""
        due = self.effective_due
        if not self.is_open or due is None:
            return None
        return (due - today).days

    def is_overdue(self, today: dt.date) -> bool:
        left = self.days_left(today)
        return left is not None and left < 0

    def is_due_soon(self, today: dt.date) -> bool:
        left = self.days_left(today)
        return left is not None and 0 <= left <= DUE_SOON_DAYS

    @property
    def records_to_come(self) -> tuple[RequestRecordData, ...]:
        return tuple(r for r in self.records if not r.in_hand)

    @property
    def scope_words(self) -> tuple[str, ...]:
        return tuple(SCOPE_WORDS[key] for key in self.scope if key in SCOPE_WORDS)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready values (ISO dates, enum values); ``facility`` is the facility's name, ``records``
        ids and titles (with kind and status), ``events`` the log, ``letters`` without their PDF."""
        values = json_ready(asdict(self))
        values["facility"] = values.pop("facility_name")
        values["effective_due_on"] = json_ready(self.effective_due)
        return values  # type: ignore[no-any-return]


# --- the due-date rules ----------------------------------------------------------------------------------------


def due_date(sent_on: dt.date, days: int = settings.DEFAULT_DUE_DAYS) -> dt.date:
    """The day an answer to a request sent on ``sent_on`` is due."""
    return sent_on + dt.timedelta(days=days)


def extension_limit(due_on: dt.date) -> dt.date:
    """The latest day an extension may move the due date to (one extension of at most 30 days)."""
    return due_on + dt.timedelta(days=MAX_EXTENSION_DAYS)


def default_scope_from(diagnosis_date: dt.date | None) -> dt.date | None:
    """Three months before the diagnosis (None when its date is not known: all dates)."""
    if diagnosis_date is None:
        return None
    month = diagnosis_date.month - SCOPE_MONTHS_BEFORE_DIAGNOSIS
    year = diagnosis_date.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, min(diagnosis_date.day, calendar.monthrange(year, month)[1]))


def scope_for(kinds: Iterable[RecordKind]) -> tuple[str, ...]:
    """The scope a request for records of these kinds suggests (every kind of document when none)."""
    wanted = {key for kind in kinds for key in SCOPE_FOR_KIND.get(kind, ())}
    if not wanted:
        return tuple(key for key, _words in SCOPE)
    return tuple(key for key, _words in SCOPE if key in wanted)


def medical_record_number_for(numbers: str, facility_name: str) -> str:
    """The number the profile's "medical record numbers" text gives for this facility ("Facility: 12345" on a
    line of its own), or "" when it names none."""
    wanted = " ".join(facility_name.lower().split())
    for line in numbers.splitlines():
        name, sep, number = line.partition(":")
        if not sep:
            name, sep, number = line.partition("—")
        if sep and " ".join(name.lower().split()) == wanted and number.strip():
            found = clean_line(number, "medical record number", max_len=10_000)
            return found if len(found) <= MRN_LIMIT else ""  # too long to be a number: she types it herself
    return ""


def via_words(via: RequestVia | None) -> str:
    """How a request went, as words after "sent": "by fax", "in person", "through the patient portal"."""
    if via is None:
        return ""
    return {RequestVia.IN_PERSON: "in person", RequestVia.PORTAL: "through the patient portal"}.get(
        via, f"by {via.label.lower()}")


def due_words(q: RequestData, today: dt.date) -> str:
    """"Overdue by 5 days", "Due today", "Due tomorrow", "Due in 3 days", "Due Mar 4, 2026" for an open request;
    "" otherwise."""
    from secondopinion_desktop.core.words import month_day_year, plural

    left = q.days_left(today)
    if left is None or q.effective_due is None:
        return ""
    if left < 0:
        return f"Overdue by {plural(-left, 'day')}"
    if left == 0:
        return "Due today"
    if left == 1:
        return "Due tomorrow"
    if left <= DUE_SOON_DAYS:
        return f"Due in {plural(left, 'day')}"
    return f"Due {month_day_year(q.effective_due)}"


# --- reading ---------------------------------------------------------------------------------------------------


def _record_data(r: Record) -> RequestRecordData:
    return RequestRecordData(
        id=r.id, title=r.title, kind=r.kind, date_of_service=r.date_of_service, status=r.status,
        accession_number=r.accession_number, specimen_site=r.specimen_site, slides_count=r.slides_count,
        blocks_count=r.blocks_count,
    )


def _keys(text: str, choices: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    try:
        keys = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(keys, list):
        return ()
    return tuple(key for key, _words in choices if key in keys)


def request_data(q: RecordsRequest) -> RequestData:
    return RequestData(
        id=q.id, facility_id=q.facility_id, facility_name=q.facility_name, status=q.status,
        medical_record_number=q.medical_record_number, scope_from=q.scope_from, scope_to=q.scope_to,
        scope=_keys(q.scope, SCOPE), copy_format=q.copy_format, images_media=q.images_media, delivery=q.delivery,
        send_to_name=q.send_to_name, send_to_address=q.send_to_address, send_to_fax=q.send_to_fax,
        send_to_phone=q.send_to_phone, send_to_email=q.send_to_email, sent_on=q.sent_on, sent_via=q.sent_via,
        due_on=q.due_on, extended_due_on=q.extended_due_on, received_on=q.received_on,
        extra_paragraph=q.extra_paragraph, notes=q.notes, created_at=q.created_at, updated_at=q.updated_at,
        records=tuple(_record_data(r) for r in q.records),
        events=tuple(RequestEventData(id=e.id, kind=e.kind, on=e.happened_on, who=e.who, note=e.note)
                     for e in q.events),
        letters=tuple(LetterData(id=letter.id, kind=letter.kind, created_at=letter.created_at, size=letter.size)
                      for letter in q.letters),
        release_material=_keys(q.release_material, RELEASE), unstained_count=q.unstained_count,
        unstained_microns=q.unstained_microns, return_instructions=q.return_instructions,
    )


def _query() -> Any:
    return select(RecordsRequest).options(
        selectinload(RecordsRequest.records), selectinload(RecordsRequest.events),
        selectinload(RecordsRequest.letters),
    )


def _load(session: Session, request_id: int) -> RecordsRequest:
    row = session.scalars(_query().where(RecordsRequest.id == request_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"There is no request {request_id}.")
    return row  # type: ignore[no-any-return]


def _fresh(session: Session, request_id: int) -> RequestData:
    session.flush()
    session.expire_all()
    return request_data(_load(session, request_id))


@reading
def get_request(session: Session, request_id: int) -> RequestData:
    return request_data(_load(session, request_id))


@reading
def list_requests(session: Session, *, overdue: bool = False, today: dt.date | None = None,
                  record_id: int | None = None) -> list[RequestData]:
    """Every request, by facility name, then newest first; ``overdue`` keeps those past their due date (as of
    ``today``), ``record_id`` those that ask for that record."""
    rows = [request_data(q) for q in session.scalars(_query())]
    if overdue:
        day = today or dt.date.today()
        rows = [q for q in rows if q.is_overdue(day)]
    if record_id is not None:
        rows = [q for q in rows if any(r.id == record_id for r in q.records)]
    rows.sort(key=lambda q: q.id, reverse=True)
    rows.sort(key=lambda q: q.facility_name.casefold())
    return rows


@reading
def records_still_needed(session: Session, facility: str | int) -> list[RequestRecordData]:
    """The facility's records still *needed* (never requested): what a new request to it asks for."""
    facility_id = facility if isinstance(facility, int) else getattr(find_facility(session, facility), "id", None)
    if facility_id is None:
        return []
    rows = session.scalars(select(Record).where(Record.facility_id == facility_id,
                                                Record.status == RecordStatus.NEEDED)
                           .order_by(Record.date_of_service.is_(None), Record.date_of_service, Record.id))
    return [_record_data(r) for r in rows]


@dataclass(frozen=True)
class RequestDraft:
    """What a new request to a facility starts from: its records still needed, the suggested scope and the
    records department's contact (shown where the request is made)."""

    facility_name: str
    facility: FacilityData | None
    records: tuple[RequestRecordData, ...]
    scope: tuple[str, ...]
    scope_from: dt.date | None
    medical_record_number: str
    due_days: int


@reading
def draft_request(session: Session, facility: str | int) -> RequestDraft:
    """The pre-filled new request to ``facility`` (a name or an id); nothing is stored."""
    row: Facility | None
    if isinstance(facility, int):
        row = session.get(Facility, facility)
        if row is None:
            raise NotFoundError(f"There is no facility {facility}.")
    else:
        row = find_facility(session, clean_line(facility, "facility name", max_len=300, field="facility"))
    name = row.name if row is not None else clean_line(str(facility), "facility name", max_len=300,
                                                       field="facility")
    needed = records_still_needed(session, row.id) if row is not None else []
    profile = get_profile(session)
    return RequestDraft(
        facility_name=name, facility=facility_data(row) if row is not None else None, records=tuple(needed),
        scope=scope_for(r.kind for r in needed), scope_from=default_scope_from(profile.diagnosis_date),
        medical_record_number=medical_record_number_for(profile.medical_record_numbers, name),
        due_days=settings.get_setting(session, settings.DUE_DAYS),
    )


# --- changing --------------------------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "facility", "medical_record_number", "scope_from", "scope_to", "scope", "copy_format", "images_media",
    "delivery", "send_to_name", "send_to_address", "send_to_fax", "send_to_phone", "send_to_email",
    "extra_paragraph", "notes", "record_ids", "sent_via", "due_on",
    "release_material", "unstained_count", "unstained_microns", "return_instructions",
)
_LINES = {"medical_record_number": ("medical record number", MRN_LIMIT),
          "send_to_name": ("name to send the copies to", 300),
          "send_to_fax": ("fax number to send the copies to", 100),
          "send_to_phone": ("phone number to send the copies to", 100),
          "send_to_email": ("email address to send the copies to", 200)}
_TEXTS = {"send_to_address": "address to send the copies to", "extra_paragraph": "paragraph of your own",
          "notes": "notes", "return_instructions": "return instructions"}
_DATES = {"scope_from": "first date asked for", "scope_to": "last date asked for", "sent_on": "date sent",
          "due_on": "due date", "extended_due_on": "extended due date"}


def _records(session: Session, record_ids: Iterable[int], facility_id: int | None = None) -> list[Record]:
    """The records of these ids; one kept by another facility than ``facility_id`` is refused (a records
    department sends its own records)."""
    found = []
    for record_id in dict.fromkeys(record_ids):
        record = session.get(Record, record_id)
        if record is None:
            raise ValidationError(f"There is no record {record_id}.", field="record_ids")
        if facility_id is not None and record.facility_id is not None and record.facility_id != facility_id:
            keeper = record.facility.name if record.facility else "another facility"
            raise ValidationError(f"“{record.title}” is kept by {keeper}; ask that facility for it in a request "
                                  "of its own.", field="record_ids")
        found.append(record)
    return found


def _check_dates(q: RecordsRequest) -> None:
    if q.scope_from and q.scope_to and q.scope_to < q.scope_from:
        raise ValidationError(f"The last date asked for ({q.scope_to.isoformat()}) is before the first "
                              f"({q.scope_from.isoformat()}).", field="scope_to")
    if q.due_on and q.sent_on and q.due_on < q.sent_on:
        raise ValidationError(f"The due date {q.due_on.isoformat()} is before the day the request was sent "
                              f"({q.sent_on.isoformat()}).", field="due_on")
    if q.extended_due_on:
        if q.due_on is None:
            raise ValidationError("An extended due date needs the first due date.", field="extended_due_on")
        if q.extended_due_on <= q.due_on:
            raise ValidationError(f"The extended due date {q.extended_due_on.isoformat()} must be after the due "
                                  f"date {q.due_on.isoformat()}.", field="extended_due_on")
        if q.extended_due_on > extension_limit(q.due_on):
            raise ValidationError(f"An extension may add at most {MAX_EXTENSION_DAYS} days to the due date "
                                  f"{q.due_on.isoformat()}: {extension_limit(q.due_on).isoformat()} at the "
                                  "latest.", field="extended_due_on")
    if q.received_on and q.sent_on and q.received_on < q.sent_on:
        raise ValidationError(f"The records cannot have come ({q.received_on.isoformat()}) before the request was "
                              f"sent ({q.sent_on.isoformat()}).", field="received_on")
    if q.delivery is Delivery.THIRD_PARTY and not q.send_to_name:
        raise ValidationError("Name whom the copies are to be sent to.", field="send_to_name")


def _apply(session: Session, q: RecordsRequest, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError(f"Requests have no field {name!r}.", field=name)
    for key, value in fields.items():
        if key == "facility":
            name = clean_line(value, "facility name", required=True, max_len=300, field="facility")
            facility = get_or_create_facility(session, name)
            q.facility_id, q.facility_name = facility.id, facility.name
        elif key in _LINES:
            what, limit = _LINES[key]
            setattr(q, key, clean_line(value, what, max_len=limit, field=key))
        elif key in _TEXTS:
            setattr(q, key, clean_text(value, _TEXTS[key], field=key))
        elif key in _DATES:
            setattr(q, key, parse_date(value, _DATES[key], allow_future=key not in ("sent_on",), field=key))
        elif key in ("scope", "release_material"):
            choices = SCOPE if key == "scope" else RELEASE
            keys = [value] if isinstance(value, str) else list(value or ())
            for item in keys:
                if item not in dict(choices):
                    what = "kind of document" if key == "scope" else "kind of material"
                    raise ValidationError(f"Unknown {what} {item!r}; choose from: "
                                          f"{', '.join(dict(choices))}.", field=key)
            setattr(q, key, json.dumps([k for k, _words in choices if k in keys]))
        elif key == "unstained_count":
            q.unstained_count = clean_count(value, "number of unstained slides", field=key)
        elif key == "unstained_microns":
            microns = clean_count(value, "section thickness", field=key)
            if microns is not None and not 1 <= microns <= 20:
                raise ValidationError("The section thickness is given in microns, between 1 and 20 (4 or 5 is "
                                      "usual).", field=key)
            q.unstained_microns = microns
        elif key == "copy_format":
            q.copy_format = parse_enum(CopyFormat, value, "form of the copies", field=key)
        elif key == "images_media":
            q.images_media = parse_enum(ImagesMedia, value or ImagesMedia.NONE, "way to get the images", field=key)
        elif key == "delivery":
            q.delivery = parse_enum(Delivery, value, "delivery", field=key)
        elif key == "sent_via":
            q.sent_via = parse_enum(RequestVia, value, "way of sending", field=key) if value else None
        elif key == "record_ids":
            q.records = _records(session, value or (), q.facility_id)
            if q.status in OPEN and q.sent_on is not None:  # asked for since it went: requested as of then
                for record in q.records:
                    if record.status is RecordStatus.NEEDED:
                        set_status(session, record.id, RecordStatus.REQUESTED, q.sent_on)
    _check_dates(q)


@unit_of_work
def create_request(session: Session, facility: str, /, **fields: Any) -> RequestData:
    """A new draft request to ``facility`` (a facility of the directory, made when new). Not given, the scope
    is what the linked records suggest (``scope_for``), it asks from three months before the diagnosis, and
    the medical record number is the profile's for that facility."""
    q = RecordsRequest(facility_name="-", scope="[]", release_material="[]")
    session.add(q)
    _apply(session, q, {"facility": facility})
    profile = get_profile(session)
    records = _records(session, fields.get("record_ids") or (), q.facility_id)
    defaults: dict[str, Any] = {
        "scope": scope_for(r.kind for r in records),
        "scope_from": default_scope_from(profile.diagnosis_date),
        "medical_record_number": medical_record_number_for(profile.medical_record_numbers, q.facility_name),
        "copy_format": CopyFormat.PDF, "images_media": ImagesMedia.NONE, "delivery": Delivery.MAIL,
    }
    if any(r.kind is RecordKind.IMAGING for r in records):
        defaults["images_media"] = ImagesMedia.CD
    if any(r.kind is RecordKind.PATHOLOGY for r in records):
        defaults["release_material"] = DEFAULT_RELEASE
    if fields.get("send_to_name"):
        defaults["delivery"] = Delivery.THIRD_PARTY
    for key in ("sent_via", "due_on"):
        if fields.get(key):
            raise ValidationError("A new request is a draft; mark it sent once it has gone.", field=key)
    _apply(session, q, {**defaults, **fields})
    session.flush()
    return _fresh(session, q.id)


@unit_of_work
def update_request(session: Session, request_id: int, /, **fields: Any) -> RequestData:
    q = _load(session, request_id)
    if "due_on" in fields and q.status is RequestStatus.DRAFT and fields["due_on"]:
        raise ValidationError("This request has not been sent yet; mark it sent to date it.", field="due_on")
    if "due_on" in fields and q.status is not RequestStatus.DRAFT and not fields["due_on"]:
        raise ValidationError("A request that has been sent keeps a due date.", field="due_on")
    _apply(session, q, fields)
    return _fresh(session, request_id)


@reading
def check_request(session: Session, fields: Mapping[str, Any], request_id: int | None = None) -> None:
    """Raise the ValidationError storing ``fields`` would raise (nothing is kept)."""
    if request_id is None:
        create_request(session, fields.get("facility", ""), **{k: v for k, v in fields.items() if k != "facility"})
    else:
        update_request(session, request_id, **fields)


def _event(session: Session, q: RecordsRequest, kind: RequestEventKind, on: dt.date, who: str = "",
           note: str = "") -> None:
    session.add(RequestEvent(request_id=q.id, kind=kind, happened_on=on,
                             who=clean_line(who, "name of whom you spoke to", max_len=200, field="who"),
                             note=clean_text(note, "note", field="note")))


def _day(value: dt.date | str | None, what: str, field: str) -> dt.date:
    day = parse_date(value, what, allow_future=False, field=field)
    return day or dt.date.today()


def _not_ended(q: RecordsRequest, doing: str) -> None:
    if q.status in ENDED:
        raise ValidationError(f"This request is {q.status.label.lower()}; it cannot be {doing}.", field="status")


@unit_of_work
def mark_sent(session: Session, request_id: int, on: dt.date | str | None = None,
              via: RequestVia | str | None = None, due_on: dt.date | str | None = None,
              note: str = "") -> RequestData:
    """The request went out ``on`` (today when not given) ``via`` fax, mail…: it is due ``due_days`` later
    (or ``due_on``), and its records still needed become requested, dated that day."""
    q = _load(session, request_id)
    if q.status is not RequestStatus.DRAFT:
        _not_ended(q, "sent again")
        raise ValidationError(f"This request was already sent on {q.sent_on.isoformat() if q.sent_on else '?'}; "
                              "log a call or a note instead.", field="status")
    day = _day(on, "date sent", "sent_on")
    q.sent_on = day
    q.sent_via = parse_enum(RequestVia, via, "way of sending", field="sent_via") if via else None
    given = parse_date(due_on, "due date", field="due_on")
    q.due_on = given or due_date(day, settings.get_setting(session, settings.DUE_DAYS))
    q.status = RequestStatus.SENT
    _check_dates(q)
    words = f"Sent {via_words(q.sent_via)}" if q.sent_via else ""
    _event(session, q, RequestEventKind.SENT, day, note="\n".join(t for t in (words, note) if t))
    for record in q.records:
        if record.status is RecordStatus.NEEDED:
            set_status(session, record.id, RecordStatus.REQUESTED, day)
    return _fresh(session, request_id)


@unit_of_work
def extend(session: Session, request_id: int, new_due_on: dt.date | str, on: dt.date | str | None = None,
           note: str = "") -> RequestData:
    """The facility gave written notice ``on`` that it needs until ``new_due_on`` (at most 30 days more)."""
    q = _load(session, request_id)
    if q.status not in OPEN:
        _not_ended(q, "extended")
        raise ValidationError("Only a request that has been sent can be extended.", field="status")
    if q.extended_due_on is not None:
        raise ValidationError(f"This request was already extended, to {q.extended_due_on.isoformat()}; the "
                              "facility may extend only once.", field="extended_due_on")
    day = _day(on, "date of the notice", "on")
    if q.sent_on and day < q.sent_on:
        raise ValidationError("The extension notice cannot come before the request was sent.", field="on")
    q.extended_due_on = parse_date(new_due_on, "extended due date", field="extended_due_on")
    if q.extended_due_on is None:
        raise ValidationError("Give the new due date the facility wrote.", field="extended_due_on")
    _check_dates(q)
    if q.status is RequestStatus.SENT:
        q.status = RequestStatus.EXTENDED
    _event(session, q, RequestEventKind.EXTENSION, day,
           note="\n".join(t for t in (f"Now due {q.extended_due_on.isoformat()}", note) if t))
    return _fresh(session, request_id)


@unit_of_work
def log_event(session: Session, request_id: int, kind: RequestEventKind | str, on: dt.date | str | None = None,
              who: str = "", note: str = "") -> RequestData:
    """Add a call (``who``, what they said in ``note``), their own form, a fee quote, an escalation or a note to
    the request's log. Steps that change the request (sent, received…) have their own functions."""
    q = _load(session, request_id)
    event_kind = parse_enum(RequestEventKind, kind, "log entry", field="kind")
    if event_kind not in LOGGED_BY_HAND:
        raise ValidationError(f"“{event_kind.label}” is logged by its own step, not by hand.", field="kind")
    day = _day(on, "date", "on")
    _event(session, q, event_kind, day, who, note)
    return _fresh(session, request_id)


@unit_of_work
def mark_received(session: Session, request_id: int, record_ids: Iterable[int] | None = None,
                  on: dt.date | str | None = None, complete: bool | None = None, note: str = "") -> RequestData:
    """What came ``on`` (today when not given): the records ``record_ids`` of the request (all those still to
    come when None) become received. The request is complete once every record it asks for is in hand (or
    when ``complete`` says so), else partly received."""
    q = _load(session, request_id)
    if q.status not in OPEN:
        _not_ended(q, "received")
        raise ValidationError("Mark the request sent before marking what came.", field="status")
    day = _day(on, "date received", "received_on")
    if q.sent_on and day < q.sent_on:
        raise ValidationError(f"The records cannot have come ({day.isoformat()}) before the request was sent "
                              f"({q.sent_on.isoformat()}).", field="received_on")
    linked = {r.id: r for r in q.records}
    if record_ids is not None and not list(record_ids) and q.records and not complete:
        raise ValidationError("Tick the records that came, or say that everything asked for has come.",
                              field="record_ids")
    chosen = list(dict.fromkeys(record_ids)) if record_ids is not None else [
        r.id for r in q.records if r.status not in IN_HAND]
    for record_id in chosen:
        if record_id not in linked:
            if session.get(Record, record_id) is None:
                raise ValidationError(f"There is no record {record_id}.", field="record_ids")
            raise ValidationError(f"Record {record_id} is not one this request asks for.", field="record_ids")
    came = []
    for record_id in chosen:
        record = linked[record_id]
        if record.status not in IN_HAND:
            if record.requested_on and record.requested_on > day:
                raise ValidationError(f"“{record.title}” was requested on {record.requested_on.isoformat()}, after "
                                      f"{day.isoformat()}.", field="received_on")
            set_status(session, record_id, RecordStatus.RECEIVED, day)
        came.append(record.title)
    session.flush()
    session.expire_all()
    q = _load(session, request_id)
    everything = all(r.status in IN_HAND for r in q.records)
    done = complete if complete is not None else (everything if q.records else record_ids is None)
    q.status = RequestStatus.COMPLETE if done else RequestStatus.PARTLY_RECEIVED
    if done:
        q.received_on = day
    kind = RequestEventKind.RECEIVED if done else RequestEventKind.PARTLY_RECEIVED
    _event(session, q, kind, day, note="\n".join(t for t in ("; ".join(came), note) if t))
    return _fresh(session, request_id)


def _needed_again(session: Session, q: RecordsRequest) -> None:
    """The request no longer asks: its records it made *requested* (and no other open request asks for) are
    *needed* again, so that Still missing and a new request to the facility count them."""
    for record in q.records:
        if record.status is not RecordStatus.REQUESTED or record.requested_on != q.sent_on:
            continue
        others = session.scalars(select(RecordsRequest).where(
            RecordsRequest.id != q.id, RecordsRequest.status.in_(OPEN),
            RecordsRequest.records.any(Record.id == record.id)))
        if others.first() is None:
            set_status(session, record.id, RecordStatus.NEEDED)


def _not_before_sent(q: RecordsRequest, day: dt.date, what: str) -> None:
    if q.sent_on and day < q.sent_on:
        raise ValidationError(f"The request cannot have been {what} ({day.isoformat()}) before it was sent "
                              f"({q.sent_on.isoformat()}).", field="on")


@unit_of_work
def refuse(session: Session, request_id: int, why: str = "", on: dt.date | str | None = None) -> RequestData:
    """The facility refused the request (``why``); its records not in hand are needed again."""
    q = _load(session, request_id)
    _not_ended(q, "refused")
    if q.status is RequestStatus.DRAFT:
        raise ValidationError("This request has not been sent, so it cannot have been refused.", field="status")
    day = _day(on, "date refused", "on")
    _not_before_sent(q, day, "refused")
    q.status = RequestStatus.REFUSED
    _event(session, q, RequestEventKind.REFUSED, day, note=why)
    _needed_again(session, q)
    return _fresh(session, request_id)


@unit_of_work
def cancel(session: Session, request_id: int, note: str = "", on: dt.date | str | None = None) -> RequestData:
    """The patient withdrew the request (or never sends the draft); its records not in hand are needed again."""
    q = _load(session, request_id)
    _not_ended(q, "cancelled")
    day = _day(on, "date cancelled", "on")
    _not_before_sent(q, day, "cancelled")
    q.status = RequestStatus.CANCELLED
    _event(session, q, RequestEventKind.CANCELLED, day, note=note)
    if q.sent_on is not None:
        _needed_again(session, q)
    return _fresh(session, request_id)


@unit_of_work
def delete_request(session: Session, request_id: int) -> RequestData:
    """Remove a request with its log and letters; the records it made *requested* (and that no other open
    request asks for) are needed again, the others stay as they are."""
    q = _load(session, request_id)
    data = request_data(q)
    if q.status in OPEN:
        _needed_again(session, q)
    session.delete(q)
    session.flush()
    return data


@unit_of_work
def keep_letter(session: Session, request_id: int, kind: LetterKind | str, pdf: bytes) -> LetterData:
    """Keep the PDF of a letter made for the request (what was printed and sent)."""
    q = _load(session, request_id)
    letter = RequestLetter(request_id=q.id, kind=parse_enum(LetterKind, kind, "letter", field="kind"), pdf=pdf)
    session.add(letter)
    session.flush()
    return LetterData(id=letter.id, kind=letter.kind, created_at=letter.created_at, size=len(pdf))


@reading
def letter_pdf(session: Session, letter_id: int) -> bytes:
    letter = session.get(RequestLetter, letter_id)
    if letter is None:
        raise NotFoundError(f"There is no letter {letter_id}.")
    return letter.pdf
