"""Facilities (hospitals, labs, clinics) and clinicians: the directory the records point into.

Every service takes a ``Session`` or, from the window, the ``DataFolder`` itself (``core.unit``): called with the
folder, a change runs in a transaction of its own and a read (``@reading``) keeps nothing. A dialog checks a
clinician with ``check_clinician`` before storing it; each ``ValidationError`` names its input (``field``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import Clinician, ClinicianRole, Facility, FacilityKind
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_line, clean_text, parse_enum


@dataclass(frozen=True)
class FacilityData:
    id: int
    name: str
    kind: FacilityKind
    address: str
    phone: str
    records_contact: str
    records_phone: str
    records_fax: str
    records_email: str
    notes: str
    records_portal: str = ""  # the patient portal's web address
    records_address: str = ""  # the records department's mailing address (when not the facility's)
    records_form: str = ""  # its own release form, if it has one: its name and where to get it

    @property
    def records_mailing_address(self) -> str:
        """Where a written request goes by mail: the records department's address, else the facility's."""
        return self.records_address or self.address


@dataclass(frozen=True)
class ClinicianData:
    id: int
    name: str
    specialty: str
    credentials: str
    board_certification: str
    facility_id: int | None
    facility_name: str
    phone: str
    email: str
    address: str
    role: ClinicianRole
    notes: str

    @property
    def display_name(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


_FACILITY_LINES = ("phone", "records_contact", "records_phone", "records_fax", "records_email", "records_portal")
_CLINICIAN_LINES = ("specialty", "credentials", "board_certification", "phone", "email")


def name_key(text: str) -> str:
    """A name as the directory compares names: blanks collapsed, case folded."""
    return " ".join(text.split()).casefold()


def facility_choice(text: str, facilities: Iterable[tuple[int, str]]) -> dict[str, Any]:
    """What a typed facility name means as a service's fields: none (empty), one of ``facilities`` (id, name)
    named the same way (``facility_id``), or a new one the service creates by name (``facility``)."""
    wanted = name_key(text)
    if not wanted:
        return {"facility_id": None}
    for facility_id, name in facilities:
        if name_key(name) == wanted:
            return {"facility_id": facility_id}
    return {"facility": text}


def facility_data(f: Facility) -> FacilityData:
    return FacilityData(
        id=f.id, name=f.name, kind=f.kind, address=f.address, phone=f.phone,
        records_contact=f.records_contact, records_phone=f.records_phone, records_fax=f.records_fax,
        records_email=f.records_email, notes=f.notes, records_portal=f.records_portal,
        records_address=f.records_address, records_form=f.records_form,
    )


def clinician_data(c: Clinician) -> ClinicianData:
    return ClinicianData(
        id=c.id, name=c.name, specialty=c.specialty, credentials=c.credentials,
        board_certification=c.board_certification, facility_id=c.facility_id,
        facility_name=c.facility.name if c.facility else "", phone=c.phone, email=c.email, address=c.address,
        role=c.role, notes=c.notes,
    )


def _apply_facility(f: Facility, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "name":
            f.name = clean_line(value, "facility name", required=True, max_len=300, field=key)
        elif key == "kind":
            f.kind = parse_enum(FacilityKind, value, "facility kind", field=key)
        elif key in _FACILITY_LINES:
            setattr(f, key, clean_line(value, key.replace("_", " "), field=key))
        elif key in ("address", "notes", "records_address", "records_form"):
            setattr(f, key, clean_text(value, key, field=key))
        else:
            raise ValidationError(f"Facilities have no field {key!r}.", field=key)


def find_facility(session: Session, name: str) -> Facility | None:
    """The facility with this name, ignoring case.

    SQLite's lower() folds only ASCII ("KÖLN" would not match "Köln"), so the names are compared in Python; a
    directory holds a handful of facilities.
    """
    wanted = clean_line(name, "facility name").casefold()
    facilities = session.scalars(select(Facility).order_by(Facility.id))
    return next((f for f in facilities if f.name.casefold() == wanted), None)


@unit_of_work
def create_facility(session: Session, name: str, **fields: Any) -> FacilityData:
    if find_facility(session, name) is not None:
        raise ValidationError(f"A facility named {clean_line(name, 'name')!r} already exists.", field="name")
    f = Facility()
    _apply_facility(f, {"name": name, **fields})
    session.add(f)
    session.flush()
    return facility_data(f)


def get_or_create_facility(session: Session, name: str) -> FacilityData:
    """The facility with this name (ignoring case), created with just its name if there is none."""
    existing = find_facility(session, name)
    return facility_data(existing) if existing else create_facility(session, name)


@unit_of_work
def update_facility(session: Session, facility_id: int, **fields: Any) -> FacilityData:
    f = session.get(Facility, facility_id)
    if f is None:
        raise NotFoundError(f"There is no facility {facility_id}.")
    if "name" in fields:
        other = find_facility(session, fields["name"])
        if other is not None and other.id != facility_id:
            raise ValidationError(f"A facility named {other.name!r} already exists.", field="name")
    _apply_facility(f, fields)
    session.flush()
    return facility_data(f)


@reading
def list_facilities(session: Session) -> list[FacilityData]:
    return [facility_data(f) for f in session.scalars(select(Facility).order_by(func.lower(Facility.name)))]


def _apply_clinician(session: Session, c: Clinician, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "name":
            c.name = clean_line(value, "clinician's name", required=True, max_len=200, field=key)
        elif key == "role":
            c.role = parse_enum(ClinicianRole, value, "clinician role", field=key)
        elif key == "facility_id":
            if value is not None and session.get(Facility, value) is None:
                raise NotFoundError(f"There is no facility {value}.")
            c.facility_id = value
        elif key == "facility":  # by name, created when new
            name = clean_line(value, "facility", max_len=300, field=key)
            try:
                c.facility_id = get_or_create_facility(session, name).id if name else None
            except ValidationError as exc:
                raise ValidationError(str(exc), field=key) from None
        elif key in _CLINICIAN_LINES:
            setattr(c, key, clean_line(value, key.replace("_", " "), field=key))
        elif key in ("address", "notes"):
            setattr(c, key, clean_text(value, key, field=key))
        else:
            raise ValidationError(f"Clinicians have no field {key!r}.", field=key)


@unit_of_work
def create_clinician(session: Session, name: str, **fields: Any) -> ClinicianData:
    c = Clinician()
    _apply_clinician(session, c, {"name": name, **fields})
    session.add(c)
    session.flush()
    return clinician_data(c)


@unit_of_work
def update_clinician(session: Session, clinician_id: int, **fields: Any) -> ClinicianData:
    c = session.get(Clinician, clinician_id)
    if c is None:
        raise NotFoundError(f"There is no clinician {clinician_id}.")
    _apply_clinician(session, c, fields)
    session.flush()
    return clinician_data(c)


def find_clinician(session: Session, name: str) -> Clinician | None:
    wanted = clean_line(name, "clinician's name").casefold()  # compared in Python: see find_facility
    clinicians = session.scalars(select(Clinician).order_by(Clinician.id))
    return next((c for c in clinicians if c.name.casefold() == wanted), None)


def get_or_create_clinician(session: Session, name: str, **new_fields: Any) -> ClinicianData:
    """The clinician with this name (ignoring case); if there is none, one is created with the name and
    ``new_fields`` (for example the role and specialty the record it was typed into suggests)."""
    existing = find_clinician(session, name)
    return clinician_data(existing) if existing else create_clinician(session, name, **new_fields)


@reading
def list_clinicians(session: Session, role: ClinicianRole | str | None = None) -> list[ClinicianData]:
    query = select(Clinician).order_by(func.lower(Clinician.name))
    if role is not None:
        query = query.where(Clinician.role == parse_enum(ClinicianRole, role, "clinician role"))
    return [clinician_data(c) for c in session.scalars(query)]


@reading
def check_clinician(session: Session, fields: dict[str, Any], clinician_id: int | None = None) -> ClinicianData:
    """Raise the ValidationError (naming its ``field``) that storing ``fields`` would raise — as a new
    clinician, or as a change to ``clinician_id`` — and keep nothing."""
    if clinician_id is None:
        return create_clinician(session, **fields)
    return update_clinician(session, clinician_id, **fields)
