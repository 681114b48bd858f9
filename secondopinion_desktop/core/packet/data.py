"""Everything the packet shows, read through the core services into plain dataclasses (no ORM objects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from secondopinion_desktop.core.appointments import AppointmentData, get_appointment, list_appointments
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.directory import ClinicianData, FacilityData, list_clinicians, list_facilities
from secondopinion_desktop.core.errors import NotFoundError
from secondopinion_desktop.core.health import HealthSummary, health_summary
from secondopinion_desktop.core.models import ClinicianRole, RecordKind, RecordStatus
from secondopinion_desktop.core.profile import ProfileData, get_profile
from secondopinion_desktop.core.readiness import DESK_RULE_KEYS, PATIENT_ONLY_RULES, Finding, whats_missing
from secondopinion_desktop.core.records import RecordData, RecordRow, list_record_rows, list_records
from secondopinion_desktop.core.requests import RequestData, list_requests
from secondopinion_desktop.core.shipments import ShipmentData, list_shipments
from secondopinion_desktop.core.treatments import TreatmentLineData, list_treatment_lines
from secondopinion_desktop.core.unit import reading


@dataclass(frozen=True)
class PacketData:
    today: dt.date
    profile: ProfileData
    appointment: AppointmentData | None
    doctor: ClinicianData | None  # the appointment's clinician, for phone and address
    clinicians: tuple[ClinicianData, ...]  # everyone in the directory: treating first, then second opinion, others
    treatments: tuple[TreatmentLineData, ...]
    records: tuple[RecordData, ...]  # the chosen records, grouped by kind, oldest first within a kind
    all_records: tuple[RecordData, ...]  # every record (the timeline and what's missing look at all of them)
    findings: tuple[Finding, ...]
    facilities: dict[str, FacilityData]  # by name
    # What is still on its way: requests sent and not answered in full (oldest sent first), and pathology
    # material not back at its lab (shipped first, oldest first).
    requests: tuple[RequestData, ...] = ()
    shipments: tuple[ShipmentData, ...] = ()
    # Medications, allergies and lab results (the front pages); None only for data made by hand in tests.
    health: HealthSummary | None = None

    @property
    def latest_imaging(self) -> RecordData | None:
        """The newest imaging record in hand (received or sent on, with a date), or None."""
        in_hand = [r for r in self.all_records if r.kind is RecordKind.IMAGING and r.date_of_service is not None
                   and r.status in (RecordStatus.RECEIVED, RecordStatus.SENT)]
        return max(in_hand, key=lambda r: (r.date_of_service, r.id)) if in_hand else None


#: Findings the packet leaves out of "Still missing": the profile reminder, those meant for the patient alone
#: (core.readiness.PATIENT_ONLY_RULES), and the requests desk's reminders (the packet lists the requests and
#: the material in transit itself).
PACKETS_OWN = frozenset({"profile"}) | DESK_RULE_KEYS | PATIENT_ONLY_RULES




@dataclass(frozen=True)
class PacketChoices:
    """What the packet dialog offers: the appointments (newest first, as listed) and every record's row."""

    appointments: tuple[AppointmentData, ...]
    records: tuple[RecordRow, ...]


@reading
def packet_choices(session: Session) -> PacketChoices:
    """The appointments and records the packet can be built from, read in one transaction."""
    return PacketChoices(tuple(list_appointments(session)), tuple(list_record_rows(session)))


KIND_ORDER = {kind: n for n, kind in enumerate(RecordKind)}


def record_order(r: RecordData) -> tuple[int, bool, dt.date, int]:
    return (KIND_ORDER[r.kind], r.date_of_service is None, r.date_of_service or dt.date.max, r.id)


#: The appendix in the order a consultant reads: pathology, the imaging reports (newest first), molecular
#: reports, labs, the treatment plan, then the rest in the inventory's order.
APPENDIX_KINDS = (RecordKind.PATHOLOGY, RecordKind.IMAGING, RecordKind.MOLECULAR, RecordKind.LAB,
                  RecordKind.TREATMENT)
_APPENDIX_RANK = {kind: n for n, kind in enumerate(APPENDIX_KINDS)}


def appendix_order(r: RecordData) -> tuple[int, int, bool, int, int]:
    """Sort key of a record's place in the appendix (see :data:`APPENDIX_KINDS`); undated records last within
    their kind."""
    rank = _APPENDIX_RANK.get(r.kind, len(APPENDIX_KINDS) + KIND_ORDER[r.kind])
    day = r.date_of_service.toordinal() if r.date_of_service else 0
    return (rank, 0, r.date_of_service is None, -day if r.kind is RecordKind.IMAGING else day, r.id)


def choose_appointment(
    appointments: list[AppointmentData], today: dt.date | None
) -> AppointmentData | None:
    """The next upcoming appointment (as of ``today``, or now), or None."""
    now = dt.datetime.combine(today, dt.time(0, 0)) if today else dt.datetime.now()
    upcoming = [a for a in appointments if a.is_upcoming(now)]
    return min(upcoming, key=lambda a: (a.starts_at, a.id)) if upcoming else None


def load_packet_data(
    folder: DataFolder,
    *,
    appointment_id: int | None,
    record_ids: frozenset[int] | None,
    today: dt.date | None,
) -> PacketData:
    day = today or dt.date.today()
    with folder.session() as session:
        profile = get_profile(session)
        if appointment_id is not None:
            appointment = get_appointment(session, appointment_id)  # NotFoundError when there is none
        else:
            appointment = choose_appointment(list_appointments(session), today)
        clinicians = list_clinicians(session)
        treatments = tuple(list_treatment_lines(session))
        records = list_records(session)
        facilities = {f.name: f for f in list_facilities(session)}
        # The doctor needs the missing records, not the patient's own to-do (an incomplete profile shows on the
        # summary page as blanks); requests and shipments have a section of their own.
        findings = tuple(f for f in whats_missing(session, day) if f.rule not in PACKETS_OWN)
        outstanding = sorted((q for q in list_requests(session) if q.is_open),
                             key=lambda q: (q.sent_on or day, q.id))
        out_of_lab = sorted((s for s in list_shipments(session) if not s.returned),
                            key=lambda s: (s.shipped_on is None, s.shipped_on or day, s.id))
        health = health_summary(session, day)
    if record_ids is not None:
        known = {r.id for r in records}
        unknown = sorted(set(record_ids) - known)
        if unknown:
            raise NotFoundError(f"There is no record {unknown[0]}.")
    ordered = tuple(sorted(records, key=record_order))
    chosen = ordered if record_ids is None else tuple(r for r in ordered if r.id in record_ids)
    doctor = None
    if appointment is not None and appointment.clinician_id is not None:
        doctor = next((c for c in clinicians if c.id == appointment.clinician_id), None)
    return PacketData(
        today=day,
        profile=profile,
        appointment=appointment,
        doctor=doctor,
        clinicians=tuple(sorted(clinicians, key=lambda c: (ROLE_ORDER[c.role], c.name.casefold(), c.id))),
        treatments=treatments,
        records=chosen,
        all_records=ordered,
        findings=findings,
        facilities=facilities,
        requests=tuple(outstanding),
        shipments=tuple(out_of_lab),
        health=health,
    )


ROLE_ORDER = {ClinicianRole.TREATING: 0, ClinicianRole.SECOND_OPINION: 1, ClinicianRole.OTHER: 2}
