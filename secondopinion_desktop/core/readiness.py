"""What's still missing: rules that read the records inventory and list what a second-opinion doctor will
expect but is not there yet.

Each rule is a small function ``(records, profile, today) -> list[Finding]``; :data:`RULES` runs them in
order. A record is *in hand* when it has been received (or already sent on); it is *still to get* while it is
needed or requested. A record still needed gets a "mark requested" finding from the rule that cares about it;
one already requested is left to the follow-up rule, which speaks up once the request is
:data:`FOLLOW_UP_DAYS` old, so the same record is not reported twice.

Words are matched case-insensitively from the start of a word (``\\b``), so "ct" never matches "contract" and
"id" never matches "idea"; a pattern ending in ``\\b`` must match the whole word.

The rules are heuristics over titles and a few fields. They only point at documents that are usually asked
for; they give no medical advice.

The requests desk adds bookkeeping rules (:data:`DESK_RULES`, each ``(records, desk, today) -> list[Finding]``)
over a :class:`Desk`: the records requests, the shipments of pathology material and the appointments. They say
when a request is overdue or due within a week, when material is due back at the lab, and when an upcoming
appointment comes before the consultant has confirmed receiving the slides and blocks. A record asked for by
an open request, or material already shipped, is left to them by the follow-up rule (:func:`tracked_elsewhere`),
so it is never reported twice. :func:`appointment_warnings` gives the same
facts for one appointment.

The pre-flight rules (:data:`IDENTITY_RULES`, :data:`FACT_RULES`, :data:`FACT_DESK_RULES`, each
``(facts, today) -> list[Finding]``) read what ``core.preflight.read_facts`` gathers beyond the records: whom
each document, imported download and DICOM study names, the health summary's medications and lab results, the
files' pages and languages, the freshness setting. :func:`whats_missing` always runs them, so Still missing, the
pre-flight check (``core.preflight.preflight``), the packet and ``secondopinion preflight`` share one rule set;
:func:`find_missing` without ``facts`` runs the record and desk rules alone. Every finding has a kind
(``Finding.category``, one of :data:`CATEGORIES`); :data:`PATIENT_ONLY_RULES` are the patient's alone and stay
out of the packet.

A receiving center's own list of what to send for an upcoming appointment (``core.opinions``) is read into the
facts too: each item not met yet is a "center-list" finding (:func:`center_list`), under completeness.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from secondopinion_desktop.core import words
from secondopinion_desktop.core.appointments import AppointmentData, get_appointment, list_appointments
from secondopinion_desktop.core.models import ImagesLocation, RecordKind, RecordStatus, RequestStatus
from secondopinion_desktop.core.profile import ProfileData, missing_essentials
from secondopinion_desktop.core.records import RecordData, list_records
from secondopinion_desktop.core.requests import RequestData, list_requests
from secondopinion_desktop.core.shipments import ShipmentData, list_shipments
from secondopinion_desktop.core.unit import reading

if TYPE_CHECKING:
    from secondopinion_desktop.core.preflight import Facts

FOLLOW_UP_DAYS = 14
RECENT_LAB_DAYS = 90


class Action(str, enum.Enum):
    OPEN = "open"  # go to the record
    MARK_REQUESTED = "mark_requested"  # move that record from needed to requested
    ADD = "add"  # add a record of `kind` titled `suggested_title`
    FOLLOW_UP = "follow_up"  # requested long ago: call them (also opens the record)
    PROFILE = "profile"  # fill in the patient profile
    OPEN_REQUEST = "open_request"  # go to the records request `request_id`
    OPEN_HEALTH = "open_health"  # the health summary at `health_section` ("medications", "labs"…)
    OPEN_SHIPMENT = "open_shipment"  # the shipment `shipment_id` (its request when it has one, else its record)


#: The kinds of finding, in the order they are shown: whose records they are, what is missing, how recent they
#: are, their language, and what comes too late.
CATEGORIES = ("identity", "completeness", "freshness", "language", "timing")

#: The kind of each rule's findings (``Finding.rule`` → one of :data:`CATEGORIES`).
RULE_CATEGORY: dict[str, str] = {
    "profile": "completeness",
    "pathology-report": "completeness",
    "pathology-material": "completeness",
    "pathology-release": "completeness",
    "imaging-needed": "completeness",
    "imaging-images": "completeness",
    "imaging-report": "completeness",
    "imaging-dicom": "completeness",
    "molecular": "completeness",
    "molecular-report": "completeness",
    "operative-note": "completeness",
    "recent-labs": "freshness",
    "recent-imaging": "freshness",
    "treatment-summary": "completeness",
    "medication-list": "completeness",
    "id-insurance": "completeness",
    "insurance-one-side": "completeness",
    "no-file": "completeness",
    "identity-document": "identity",
    "identity-download": "identity",
    "identity-imaging": "identity",
    "language": "language",
    "follow-up": "timing",
    "request-overdue": "timing",
    "request-due-soon": "timing",
    "material-due-back": "timing",
    "appointment-material": "timing",
    "due-after-appointment": "timing",
    "center-list": "completeness",
}

#: Rules whose findings are for the patient only, never printed in the packet's "still missing" section: a
#: document naming someone else is hers to sort out, and a translation is hers to arrange.
PATIENT_ONLY_RULES: frozenset[str] = frozenset({"identity-document", "identity-download", "identity-imaging",
                                                "language"})


@dataclass(frozen=True)
class Finding:
    rule: str  # stable key of the rule, e.g. "pathology-report"
    message: str  # one or two plain sentences for the patient, naming the record/facility where known
    action: Action
    record_id: int | None = None
    kind: RecordKind | None = None  # for ADD
    suggested_title: str = ""  # for ADD
    request_id: int | None = None  # for OPEN_REQUEST
    facility: str = ""  # MARK_REQUESTED: the facility to ask ("Request from <facility>"); "" when not known
    shipment_id: int | None = None  # the shipment a finding about material speaks of
    category: str = ""  # one of CATEGORIES; "" is filled in from RULE_CATEGORY (else "completeness")
    health_section: str = ""  # OPEN_HEALTH: "medications", "allergies", "labs" or "" (the top)
    appointment_id: int | None = None  # the visit a center-list finding is for
    requirement_id: int | None = None  # the item of the center's list a center-list finding speaks of

    def __post_init__(self) -> None:
        if not self.category:
            object.__setattr__(self, "category", RULE_CATEGORY.get(self.rule, "completeness"))

    @property
    def record_ids(self) -> tuple[int, ...]:
        """The records this finding speaks of (none for one about something not listed yet)."""
        return () if self.record_id is None else (self.record_id,)


@dataclass(frozen=True)
class Desk:
    """What the requests desk knows: every records request, shipment of pathology material and appointment."""

    requests: tuple[RequestData, ...] = ()
    shipments: tuple[ShipmentData, ...] = ()
    appointments: tuple[AppointmentData, ...] = ()


NO_DESK = Desk()

Rule = Callable[[Sequence[RecordData], ProfileData, dt.date], list[Finding]]
DeskRule = Callable[[Sequence[RecordData], Desk, dt.date], list[Finding]]

IN_HAND = frozenset({RecordStatus.RECEIVED, RecordStatus.SENT})
TO_GET = frozenset({RecordStatus.NEEDED, RecordStatus.REQUESTED})
IMAGES_HERE = frozenset({ImagesLocation.CD, ImagesLocation.FILES, ImagesLocation.PORTAL})


# --- word matching -----------------------------------------------------------------------------------------


def _words(pattern: str) -> re.Pattern[str]:
    """Alternatives that must start at a word boundary; end one with ``\\b`` to require the whole word."""
    return re.compile(rf"\b(?:{pattern})", re.IGNORECASE)


REPORT = _words(r"reports?\b")
PATHOLOGY_MATERIAL = _words(r"slides?\b|blocks?\b|paraffin\b|unstained\b|recuts?\b|tissue samples?\b")
RELEASE = _words(r"releas|hipaa\b|disclos")
AUTHORIZATION = _words(r"authori[sz]")
INSURANCE_PAPERWORK = _words(r"insurance\b|insurer\b|referral\b|prior auth|pre-?auth|pre-?cert|health plan\b")
# Surgery: any "-ectomy" word (lumpectomy, mastectomy, colectomy, prostatectomy, lobectomy…) or one of these.
PROCEDURE = _words(
    r"\w*ectom(?:y|ies)\b|resect(?:ions?|ed)\b|re-?excision|excision|excised\b|whipple\b"
    r"|surgery on\b|operations?\b|operated\b|(?:lymph )?node dissection\b|axillary dissection\b"
    r"|sentinel (?:lymph )?node biops"
)
# Words of a visit or paper about *planning* surgery or treatment rather than one that happened.
PLANNING = _words(
    r"consult|plans?\b|planned\b|planning\b|propos|options?\b|discuss|schedul|referr|recommend|pre-?op\b"
    r"|preoperative\b|candidate\b|consider|upcoming\b|second[- ]opinion\b|tumou?r board\b"
)
OPERATIVE_NOTE = _words(
    r"operative\b|op[- ]?(?:notes?|reports?)\b|operation (?:notes?|reports?)\b|surgical (?:notes?|reports?)\b"
    r"|surgeon(?:'|\u2019)?s (?:notes?|reports?)\b|procedure (?:notes?|reports?)\b"
)
SUMMARY = _words(r"summary\b|summaries\b")
MEDICATIONS = _words(r"medications?\b|medicines?\b|meds\b|drug list|allerg")
INSURANCE_CARD = _words(
    r"insurance (?:id |member |medical |benefits? )?cards?\b"
    r"|(?:member|medicare|medicaid|health plan|benefits?) (?:id )?cards?\b"
)
PHOTO_ID_STRONG = _words(r"photo\b|driver|passport|licen[cs]e|identity card|identification\b|state id\b")
PHOTO_ID_WEAK = _words(r"ids?\b")
INSURANCE_WORDS = _words(r"insurance\b|member\b|medicare\b|medicaid\b|health plan\b")


def _text(record: RecordData, *, summary: bool = False, files: bool = False) -> str:
    parts = [record.title]
    if summary:
        parts.append(record.summary)
    if files:
        parts += [a.original_name.replace("_", " ") for a in record.attachments]
    return "\n".join(parts)


# --- record classes ----------------------------------------------------------------------------------------


def in_hand(record: RecordData) -> bool:
    return record.status in IN_HAND


def still_to_get(record: RecordData) -> bool:
    return record.status in TO_GET


def is_pathology_material(record: RecordData) -> bool:
    """Slides or blocks rather than a report: a pathology record whose title names slides, blocks, paraffin,
    unstained slides or recuts, or that counts slides or blocks, unless its title says it is a report.

    ``material_holder`` alone does not decide: report records fill it in too, to say where the material is.
    """
    if record.kind is not RecordKind.PATHOLOGY or REPORT.search(record.title):
        return False
    counted = (record.slides_count or 0) > 0 or (record.blocks_count or 0) > 0
    return counted or bool(PATHOLOGY_MATERIAL.search(record.title))


def is_pathology_report(record: RecordData) -> bool:
    return record.kind is RecordKind.PATHOLOGY and not is_pathology_material(record)


def is_release(record: RecordData) -> bool:
    """A signed release: an identity or other record whose title mentions a release, HIPAA or disclosure,
    or an authorization that is not insurance paperwork (a referral or prior authorization)."""
    if record.kind not in (RecordKind.IDENTITY, RecordKind.OTHER):
        return False
    title = record.title
    return bool(RELEASE.search(title)) or (
        bool(AUTHORIZATION.search(title)) and not INSURANCE_PAPERWORK.search(title)
    )


def is_surgery(record: RecordData, today: dt.date) -> bool:
    """A record showing that an operation took place, not one about planning it.

    Its title names a procedure (an "-ectomy" word, resection, excision, "surgery on", "operation", node
    dissection, sentinel node biopsy, or it is an operative note) and does not read like planning (consult,
    plan, proposed, options, discussed, scheduled, referral, recommended, pre-op…); or its summary names a
    procedure and neither title nor summary reads like planning. A future date of service means it has not
    happened yet.
    """
    if record.date_of_service is not None and record.date_of_service > today:
        return False
    if PLANNING.search(record.title):
        return False
    if PROCEDURE.search(record.title) or OPERATIVE_NOTE.search(record.title):
        return True
    return bool(PROCEDURE.search(record.summary)) and not PLANNING.search(record.summary)


def is_operative_note(record: RecordData) -> bool:
    return bool(OPERATIVE_NOTE.search(record.title))


def is_treatment_summary(record: RecordData) -> bool:
    return record.kind is RecordKind.TREATMENT and bool(SUMMARY.search(record.title)) and not PLANNING.search(
        record.title
    )


def is_medication_list(record: RecordData) -> bool:
    return record.kind in (RecordKind.TREATMENT, RecordKind.OTHER) and bool(MEDICATIONS.search(record.title))


def is_insurance_card(record: RecordData) -> bool:
    return record.kind in (RecordKind.IDENTITY, RecordKind.OTHER) and bool(
        INSURANCE_CARD.search(record.title)
    )


def is_photo_id(record: RecordData) -> bool:
    """Driver's license, passport, photo/state ID…; a bare "ID" counts unless the title is about insurance
    ("Insurance ID card" is the insurance card, not a photo ID)."""
    if record.kind not in (RecordKind.IDENTITY, RecordKind.OTHER):
        return False
    title = record.title
    if PHOTO_ID_STRONG.search(title):
        return True
    return bool(PHOTO_ID_WEAK.search(title)) and not INSURANCE_WORDS.search(title)


def treatment_started(records: Sequence[RecordData], today: dt.date) -> bool:
    """A treatment record dated before today that is not a plan, proposal or medication list, or surgery."""
    for r in records:
        if (
            r.kind is RecordKind.TREATMENT
            and r.date_of_service is not None
            and r.date_of_service < today
            and not PLANNING.search(r.title)
            and not MEDICATIONS.search(r.title)
        ):
            return True
    return any(is_surgery(r, today) for r in records)


# --- message helpers ---------------------------------------------------------------------------------------

def _from(record: RecordData) -> str:
    return f" from {record.facility_name}" if record.facility_name else ""


def _ask(record: RecordData, what: str = "it") -> str:
    return f"ask {record.facility_name} for {what}" if record.facility_name else f"ask for {what}"


def _mark_requested(rule: str, record: RecordData, why: str) -> Finding:
    if record.kind is RecordKind.IDENTITY:  # a card or form of your own: its facility is where it goes
        return Finding(
            rule, f"{record.title} is still needed. {why} Mark it requested while you get a copy ready.",
            Action.MARK_REQUESTED, record_id=record.id,
        )
    return Finding(
        rule,
        f"{record.title}{_from(record)} is still needed. {why} "
        "Once you have asked for it, mark it requested.",
        Action.MARK_REQUESTED,
        record_id=record.id,
        facility=record.facility_name,
    )


def _add(rule: str, message: str, kind: RecordKind, title: str) -> Finding:
    return Finding(rule, message, Action.ADD, kind=kind, suggested_title=title)


def _get_or_add(
    rule: str, candidates: Iterable[RecordData], why: str, missing: str, kind: RecordKind, title: str
) -> list[Finding]:
    """Nothing when one of ``candidates`` is in hand or requested; mark-requested for those still needed;
    with no candidate at all, add one (``missing`` is then the message)."""
    candidates = list(candidates)
    if any(in_hand(r) or r.status is RecordStatus.REQUESTED for r in candidates):
        return []
    if candidates:
        return [_mark_requested(rule, r, why) for r in candidates]
    return [_add(rule, missing, kind, title)]


# --- the rules ---------------------------------------------------------------------------------------------


def _either(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def patient_profile(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """profile: the profile names the patient and the diagnosis.

    "Empty" here means missing any of the essentials (:data:`~secondopinion_desktop.core.profile.ESSENTIALS`:
    the cancer type, the name, the date of birth); the message names those still missing.
    """
    missing = missing_essentials(profile)
    if not missing:
        return []
    return [Finding(
        "profile",
        f"The patient profile has no {_either(missing)} yet. The packet and the records requests start from it.",
        Action.PROFILE,
    )]


def pathology_report(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """pathology-report: a pathology report should be listed and asked for.

    Each report record still needed is to be requested (a patient can have several: biopsy, surgery,
    lymph nodes); with no report record at all, add one. Requested reports are left to the follow-up rule.
    """
    reports = [r for r in records if is_pathology_report(r)]
    why = "It confirms the diagnosis, and the second-opinion doctor will ask for it."
    if not reports:
        return [_add("pathology-report", f"There is no pathology report yet. {why}",
                     RecordKind.PATHOLOGY, "Pathology report")]
    return [_mark_requested("pathology-report", r, why) for r in reports if r.status is RecordStatus.NEEDED]


def pathology_material(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """pathology-material / pathology-release: once there is a pathology report, the slides and blocks.

    No slides/blocks record → add one; each one still needed → request it. While any is still to get and no
    signed release (see :func:`is_release`) is in hand → open the release record listed but not in hand, or
    add one; the message names who holds the material.
    """
    findings: list[Finding] = []
    material = [r for r in records if is_pathology_material(r)]
    why = "Second-opinion centers usually have their own pathologists look at the slides."
    if not material and any(is_pathology_report(r) for r in records):
        findings.append(_add(
            "pathology-material",
            "The biopsy slides and tissue blocks are not listed yet. " + why
            + " They are sent from the pathology department to the other hospital, not to you.",
            RecordKind.PATHOLOGY, "Biopsy slides and tissue blocks",
        ))
    findings += [
        _mark_requested("pathology-material", r, why) for r in material if r.status is RecordStatus.NEEDED
    ]
    pending = [r for r in material if still_to_get(r)]
    releases = [r for r in records if is_release(r)]
    if pending and not any(in_hand(r) for r in releases):
        holders: list[str] = []
        for r in pending:
            holder = r.material_holder or r.facility_name
            if holder and holder not in holders:
                holders.append(holder)
        whom = " or ".join(holders) if holders else "the pathology department"
        message = (f"No signed release for {whom} is here yet. Pathology departments usually need one before "
                   "they send slides or blocks")
        if releases:  # listed but not signed and kept yet
            release = releases[0]
            findings.append(Finding(
                "pathology-release",
                f"{message}: sign {release.title}, keep a copy here and mark it received.",
                Action.OPEN, record_id=release.id,
            ))
        else:
            findings.append(_add(
                "pathology-release", f"{message}; add your signed copy once you have it.",
                RecordKind.IDENTITY, "Signed release for slides and blocks",
            ))
    return findings


def imaging(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """imaging-needed / imaging-images / imaging-report: each scan needs both its images and its report.

    Images are here when the image location is a CD, files on this computer or a patient portal, or a DICOM
    file is attached (a key-image PNG or JPEG alone is not the study the doctor needs). The report is here
    when a PDF is attached, or the title, summary or a file name mentions a report.
    Records still needed are to be requested.
    """
    findings: list[Finding] = []
    for r in records:
        if r.kind is not RecordKind.IMAGING:
            continue
        if r.status is RecordStatus.NEEDED:
            findings.append(_mark_requested(
                "imaging-needed", r,
                "The radiologists compare new scans with earlier ones, so they will want both the report and "
                "the images (usually on a CD).",
            ))
            continue
        if not in_hand(r):
            continue
        has_images = r.images_location in IMAGES_HERE or any(
            a.media_type == "application/dicom" for a in r.attachments
        )
        has_report = any(a.media_type == "application/pdf" for a in r.attachments) or bool(
            REPORT.search(_text(r, summary=True, files=True))
        )
        if not has_images:
            findings.append(Finding(
                "imaging-images",
                f"The images of {r.title} are not here yet — {_ask(r, 'a CD')} (or a link to the images). "
                "The second-opinion radiologists look at the images themselves, not only the report.",
                Action.OPEN, record_id=r.id,
            ))
        if not has_report:
            findings.append(Finding(
                "imaging-report",
                f"The written report of {r.title} is not here yet — {_ask(r, 'the radiology report')}, or "
                "attach it if you have it.",
                Action.OPEN, record_id=r.id,
            ))
    return findings


def molecular(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """molecular: the profile lists biomarkers, so the report they come from should be in hand."""
    if not profile.biomarkers.strip():
        return []
    candidates = [r for r in records if r.kind is RecordKind.MOLECULAR]
    if any(in_hand(r) for r in candidates):
        return []
    why = "Your profile lists biomarkers; the second-opinion doctor will want the report they come from."
    return _get_or_add(
        "molecular", candidates, why, f"There is no biomarker report yet. {why}",
        RecordKind.MOLECULAR, "Biomarker report (IHC, FISH or NGS)",
    )


def operative_note(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """operative-note: after surgery (see :func:`is_surgery`) the surgeon's operative note should be there."""
    surgeries = [r for r in records if is_surgery(r, today) and not is_operative_note(r)]
    notes = [r for r in records if is_operative_note(r)]
    if not surgeries and not notes:
        return []
    why = "The surgeon's operative note says what was done during the operation."
    where = f" (the operation is listed under {surgeries[-1].title})" if surgeries else ""
    return _get_or_add(
        "operative-note", notes, why, f"There is no operative note yet{where}. {why}",
        RecordKind.CLINICAL, "Operative note",
    )


def _span(days: int) -> str:
    """"8 weeks" for a whole number of weeks, else "90 days"."""
    return words.plural(days // 7, "week") if days % 7 == 0 else words.plural(days, "day")


def _recent_labs(records: Sequence[RecordData], today: dt.date, days: int,
                 latest_result: dt.date | None = None) -> list[Finding]:
    since = today - dt.timedelta(days=days)

    def recent(r: RecordData) -> bool:
        return r.date_of_service is not None and since <= r.date_of_service <= today

    labs = [r for r in records if r.kind is RecordKind.LAB]
    if any(in_hand(r) and recent(r) for r in labs):
        return []
    if latest_result is not None and since <= latest_result <= today:
        return []  # a value typed in or imported into the health summary is recent
    candidates = [r for r in labs if still_to_get(r) and (r.date_of_service is None or recent(r))]
    why = "The second-opinion doctor will want recent blood counts and chemistry."
    return _get_or_add(
        "recent-labs", candidates, why,
        f"There is no blood work from the last {_span(days)} yet. {why} If you have some, make sure "
        "its date of service is filled in.",
        RecordKind.LAB, "Recent blood work",
    )


def recent_labs(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """recent-labs: a lab result (blood work, tumor markers) dated within RECENT_LAB_DAYS of today.

    A lab record still needed that is recent or undated is to be requested; a requested one waits for the
    follow-up rule; otherwise add one. With the pre-flight facts the window is the ``preflight.fresh_weeks``
    setting, and a result in the health summary counts too (see :func:`find_missing`).
    """
    return _recent_labs(records, today, RECENT_LAB_DAYS)


def treatment(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """treatment-summary / medication-list: once treatment has started (see :func:`treatment_started`), a
    treatment summary and a medication and allergy list."""
    if not treatment_started(records, today):
        return []
    summary_why = "It lists the treatments given so far, with dates and doses."
    medicines_why = "The second-opinion doctor needs to know every medicine you take and any allergies."
    return _get_or_add(
        "treatment-summary", [r for r in records if is_treatment_summary(r)], summary_why,
        f"There is no treatment summary yet. {summary_why} Your oncology team can give you one.",
        RecordKind.TREATMENT, "Treatment summary",
    ) + _get_or_add(
        "medication-list", [r for r in records if is_medication_list(r)], medicines_why,
        f"There is no list of your medications and allergies yet. {medicines_why} You can write it yourself.",
        RecordKind.TREATMENT, "Current medications and allergies",
    )


def identity_insurance(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """id-insurance: a copy of the insurance card and of a photo ID, which registration asks for."""
    why = "Registration at the second-opinion center asks for it."
    return _get_or_add(
        "id-insurance", [r for r in records if is_insurance_card(r)], why,
        f"There is no copy of your insurance card yet. {why} Scan or photograph both sides.",
        RecordKind.IDENTITY, "Insurance card, front and back",
    ) + _get_or_add(
        "id-insurance", [r for r in records if is_photo_id(r)], why,
        f"There is no copy of a photo ID (driver's license or passport) yet. {why}",
        RecordKind.IDENTITY, "Photo ID",
    )


def follow_up(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """follow-up: every record requested FOLLOW_UP_DAYS or more days ago and not received yet, oldest request
    first. A requested record without a request date is not flagged."""
    due: list[tuple[dt.date, int, RecordData]] = [
        (r.requested_on, r.id, r) for r in records
        if r.status is RecordStatus.REQUESTED
        and r.requested_on is not None
        and (today - r.requested_on).days >= FOLLOW_UP_DAYS
    ]
    return [
        Finding(
            "follow-up",
            f"{r.title}: requested{_from(r)} on {words.month_day_year(asked)}, {(today - asked).days} days ago — "
            "time to call them.",
            Action.FOLLOW_UP, record_id=r.id,
        )
        for asked, _id, r in sorted(due, key=lambda item: item[:2])
    ]


RULES: tuple[Rule, ...] = (
    patient_profile,
    pathology_report,
    pathology_material,
    imaging,
    molecular,
    operative_note,
    recent_labs,
    treatment,
    identity_insurance,
    follow_up,
)


# --- the requests desk's rules ----------------------------------------------------------------------------


def _days(n: int) -> str:
    return words.plural(n, "day")


def _request_to(q: RequestData) -> str:
    return f"Records request to {q.facility_name or 'a facility'}"


def overdue_message(q: RequestData, today: dt.date) -> str:
    due = q.effective_due
    assert due is not None
    extended = " (after its extension)" if q.extended_due_on else ""
    return (f"{_request_to(q)} was due on {words.month_day_year(due)}{extended}, {_days((today - due).days)} "
            "ago \u2014 call them (or send a written reminder).")


def request_overdue(records: Sequence[RecordData], desk: Desk, today: dt.date) -> list[Finding]:
    """request-overdue: every request still open after its due date (the extended one when there is one),
    longest overdue first."""
    late = sorted((q for q in desk.requests if q.is_overdue(today)),
                  key=lambda q: (q.effective_due or today, q.id))
    return [Finding("request-overdue", overdue_message(q, today), Action.OPEN_REQUEST, request_id=q.id)
            for q in late]


def request_due_soon(records: Sequence[RecordData], desk: Desk, today: dt.date) -> list[Finding]:
    """request-due-soon: every open request due within DUE_SOON_DAYS days, soonest first."""
    soon = sorted((q for q in desk.requests if q.is_due_soon(today)), key=lambda q: (q.effective_due, q.id))
    findings = []
    for q in soon:
        left = q.days_left(today) or 0
        when = "today" if left == 0 else f"on {words.month_day_year(q.effective_due)}, in {_days(left)}"
        findings.append(Finding(
            "request-due-soon",
            f"{_request_to(q)} is due {when}. If nothing has come by then, call them.",
            Action.OPEN_REQUEST, request_id=q.id,
        ))
    return findings


def _out(s: ShipmentData) -> bool:
    """Left the lab and not back yet."""
    return (s.shipped_on is not None or s.received_on is not None) and s.returned_on is None


@dataclass(frozen=True)
class _Target:
    """Where a finding's button goes: the request when there is one, else the record."""

    action: Action
    record_id: int | None = None
    request_id: int | None = None

    def finding(self, rule: str, message: str) -> Finding:
        return Finding(rule, message, self.action, record_id=self.record_id, request_id=self.request_id)


def _shipment_target(s: ShipmentData) -> _Target:
    if s.request_id is not None:
        return _Target(Action.OPEN_REQUEST, s.record_id, s.request_id)
    return _Target(Action.OPEN, s.record_id)


def _material_words(s: ShipmentData) -> str:
    of = f" of {s.record_title}" if s.record_title else ""
    return f"{s.what}{of}"


def due_back_message(s: ShipmentData, today: dt.date) -> str:
    assert s.due_back_on is not None
    holder = s.to_whom or "the consultant"
    lab = f" at {s.from_lab}" if s.from_lab else " at the lab"
    late = (today - s.due_back_on).days
    if late > 0:
        return (f"{_material_words(s)} {'was' if s.count == 1 else 'were'} due back{lab} on "
                f"{words.month_day_year(s.due_back_on)}, {_days(late)} ago \u2014 ask {holder} to return "
                f"{'it' if s.count == 1 else 'them'}.")
    when = "today" if late == 0 else f"on {words.month_day_year(s.due_back_on)}, in {_days(-late)}"
    return (f"{_material_words(s)} {'is' if s.count == 1 else 'are'} due back{lab} {when}. Remind {holder} "
            "to send the material back in time.")


def material_due_back(records: Sequence[RecordData], desk: Desk, today: dt.date) -> list[Finding]:
    """material-due-back: pathology material out of the lab (shipped or with the consultant, not returned) that
    is due back within a week, or past that day."""
    due = sorted((s for s in desk.shipments if _out(s) and s.is_due_back(today)),
                 key=lambda s: (s.due_back_on, s.id))
    return [replace(_shipment_target(s).finding("material-due-back", due_back_message(s, today)), shipment_id=s.id)
            for s in due]


@dataclass(frozen=True)
class _Coming:
    """Pathology material the consultant has not confirmed receiving: a shipment in transit, or a slides or
    blocks record still to get with no shipment of it received."""

    words: str
    target: _Target


def material_to_come(records: Sequence[RecordData], desk: Desk) -> list[_Coming]:
    coming: list[_Coming] = []
    for s in desk.shipments:
        if s.in_transit:
            since = f" since {words.month_day_year(s.shipped_on)}" if s.shipped_on else ""
            frm = f" from {s.from_lab}" if s.from_lab else ""
            coming.append(_Coming(f"{_material_words(s)} (in transit{frm}{since})", _shipment_target(s)))
    accounted = {s.record_id for s in desk.shipments
                 if s.record_id is not None and (s.in_transit or s.received_on is not None)}
    for r in records:
        if is_pathology_material(r) and still_to_get(r) and r.id not in accounted:
            request = next((q for q in desk.requests if q.is_open and any(x.id == r.id for x in q.records)), None)
            target = _Target(Action.OPEN_REQUEST, r.id, request.id) if request else _Target(Action.OPEN, r.id)
            coming.append(_Coming(f"{r.title} ({r.status.label.lower()}{_from(r)})", target))
    return coming


def appointment_message(a: AppointmentData, coming: Sequence[_Coming], today: dt.date) -> str:
    days = (a.starts_at.date() - today).days
    when = "today" if days <= 0 else ("tomorrow" if days == 1 else f"in {_days(days)}")
    doctor = f" with {a.clinician_name}" if a.clinician_name else ""
    what = "; ".join(c.words for c in coming)
    return (f"Your appointment{doctor} on {words.month_day_year(a.starts_at.date())} is {when}, and the "
            f"consultant has not confirmed receiving the pathology material yet: {what}. Ask them whether it "
            "has arrived.")


def _upcoming(appointments: Iterable[AppointmentData], today: dt.date) -> list[AppointmentData]:
    now = dt.datetime.combine(today, dt.time(0, 0))
    return sorted((a for a in appointments if a.is_upcoming(now)), key=lambda a: (a.starts_at, a.id))


def appointment_before_material(records: Sequence[RecordData], desk: Desk, today: dt.date) -> list[Finding]:
    """appointment-material: the next appointment comes before the consultant has confirmed receiving the
    pathology material (see :func:`material_to_come`)."""
    upcoming = _upcoming(desk.appointments, today)
    coming = material_to_come(records, desk)
    if not upcoming or not coming:
        return []
    return [coming[0].target.finding("appointment-material", appointment_message(upcoming[0], coming, today))]


DESK_RULES: tuple[DeskRule, ...] = (
    request_overdue,
    request_due_soon,
    material_due_back,
    appointment_before_material,
)
#: The keys (``Finding.rule``) of the desk rules' findings.
DESK_RULE_KEYS = frozenset({"request-overdue", "request-due-soon", "material-due-back", "appointment-material"})


def tracked_elsewhere(desk: Desk) -> frozenset[int]:
    """Records the follow-up rule leaves to the desk: those an open request asks for (its due date says when to
    chase it, and the desk rules say so when it is overdue or nearly due), and material already shipped."""
    asked = {r.id for q in desk.requests if q.is_open for r in q.records}
    shipped = {s.record_id for s in desk.shipments
               if s.record_id is not None and (s.shipped_on or s.received_on or s.returned_on)}
    return frozenset(asked | shipped)


def _with_draft(finding: Finding, desk: Desk) -> Finding:
    """A record still needed that a draft request already asks for: point at the draft (sending it marks the
    record requested) rather than offer a second request to the same facility."""
    if finding.action is not Action.MARK_REQUESTED or finding.record_id is None:
        return finding
    draft = next((q for q in desk.requests if q.status is RequestStatus.DRAFT
                  and any(r.id == finding.record_id for r in q.records)), None)
    if draft is None:
        return finding
    return dataclasses.replace(
        finding, request_id=draft.id, facility="",
        message=f"{finding.message} A draft request to {draft.facility_name or 'the facility'} asks for it: "
                "print and send it, then mark it sent.")


# --- the pre-flight rules: they read the facts (core.preflight.Facts) beyond the records -----------------------

FactRule = Callable[["Facts", dt.date], list[Finding]]

FRONT = _words(r"front\b")
BACK = _words(r"back\b|reverse\b|rear\b")
MAX_NAMED = 2  # problems named in one finding; the rest are counted


def _by_id(facts: Facts) -> dict[int, RecordData]:
    return {r.id: r for r in facts.records}


def _quoted(text: str) -> str:
    return f"\u201c{' '.join(text.split())}\u201d"


def _more(n: int) -> str:
    return f" (and {words.plural(n, 'more mismatch', 'more mismatches')})" if n > 0 else ""


def identity_documents(facts: Facts, today: dt.date) -> list[Finding]:
    """identity-document: a document whose text names another person, or another date of birth, than the
    profile (``core.documents.identity``); one finding per record, naming the file, the page and what it says."""
    records = _by_id(facts)
    out: list[Finding] = []
    for record_id, problems in sorted(facts.identity.items()):
        r = records.get(record_id)
        if r is None or not problems:
            continue
        files = {a.id: a.original_name for a in r.attachments}
        first = problems[0]
        where = f"{r.title} ({files.get(first.attachment_id, 'a file')}, page {first.page})"
        said = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", first.sentence.removeprefix("This document ").rstrip("."))
        check = "" if ": check" in said else ": check that it is yours before it goes in the packet"
        out.append(Finding("identity-document", f"{where} {said}{_more(len(problems) - 1)}{check}.",
                           Action.OPEN, record_id=r.id))
    return out


def _person_problems(name: str, born: dt.date | None, profile: ProfileData) -> list[str]:
    """How a name and a date of birth differ from the profile, in words ("another name", "born …")."""
    from secondopinion_desktop.core.documents.identity import FoundIdentity, check

    found = FoundIdentity(names=((name, 1),) if name.strip() else (),
                          birth_dates=((born.isoformat(), 1),) if born else ())
    return [p.sentence for p in check(found, profile)]


def _person(name: str, born: dt.date | None) -> str:
    shown = _quoted(name) if name.strip() else "someone with no name"
    return f"{shown}, born {words.month_day_year(born)}" if born else shown


def identity_downloads(facts: Facts, today: dt.date) -> list[Finding]:
    """identity-download: an imported portal download says it is about another person (or another date of
    birth) than the profile."""
    records = _by_id(facts)
    out: list[Finding] = []
    seen: set[int] = set()
    for p in facts.downloads:
        r = records.get(p.record_id)
        if r is None or p.record_id in seen or not _person_problems(p.name, p.birth_date, facts.profile):
            continue
        seen.add(p.record_id)
        out.append(Finding(
            "identity-download",
            f"{r.title} was imported from a download for {_person(p.name, p.birth_date)}, not "
            f"{_profile_person(facts.profile)}: check that these are your records.",
            Action.OPEN, record_id=r.id))
    return out


def _profile_person(profile: ProfileData) -> str:
    name = " ".join(profile.name.split()) or "the patient in the profile"
    return f"{name}, born {words.month_day_year(profile.date_of_birth)}" if profile.date_of_birth else name


def identity_imaging(facts: Facts, today: dt.date) -> list[Finding]:
    """identity-imaging: the DICOM header of an imported study names another person (or another date of
    birth) than the profile."""
    records = _by_id(facts)
    out: list[Finding] = []
    seen: set[int] = set()
    for p in facts.studies:
        r = records.get(p.record_id)
        if r is None or p.record_id in seen or not _person_problems(p.name, p.birth_date, facts.profile):
            continue
        seen.add(p.record_id)
        out.append(Finding(
            "identity-imaging",
            f"The images of {r.title} are of {_person(p.name, p.birth_date)}, not "
            f"{_profile_person(facts.profile)}: check that they are yours before they are sent.",
            Action.OPEN, record_id=r.id))
    return out


def _has_dicom(r: RecordData, facts: Facts) -> bool:
    return r.id in facts.dicom_records or any(a.media_type == "application/dicom" for a in r.attachments)


def imaging_dicom(facts: Facts, today: dt.date) -> list[Finding]:
    """imaging-dicom: an imaging record whose images are said to be on this computer, but only as pictures or
    PDF pages (or not at all): the radiologists need the DICOM images (a CD, or imported here)."""
    out: list[Finding] = []
    for r in facts.records:
        if r.kind is not RecordKind.IMAGING or not in_hand(r) or _has_dicom(r, facts):
            continue
        if r.images_location is not ImagesLocation.FILES:
            continue  # a CD or a portal holds the study; "not here" is the imaging-images rule's
        pictures = [a for a in r.attachments if a.media_type.startswith("image/")
                    or a.media_type == "application/pdf"]
        if pictures:
            message = (f"The images of {r.title} are here only as pictures or PDF pages, not as DICOM files: "
                       f"{_ask(r, 'the images on a CD')}, or import them from the disc, so the radiologists can "
                       "look at them in their viewer.")
        else:
            message = (f"The images of {r.title} are marked as files on this computer, but no DICOM images are "
                       "imported: import them from the disc or folder.")
        out.append(Finding("imaging-dicom", message, Action.OPEN, record_id=r.id))
    return out


def molecular_report(facts: Facts, today: dt.date) -> list[Finding]:
    """molecular-report: the molecular results are only summarized: every molecular record in hand has no
    file (the profile's biomarkers with no molecular record at all are the molecular rule's)."""
    molecular = [r for r in facts.records if r.kind is RecordKind.MOLECULAR and in_hand(r)]
    if not molecular or any(r.attachments for r in molecular):
        return []
    r = molecular[-1]
    return [Finding(
        "molecular-report",
        f"{r.title} is here only as a summary, without the full report: {_ask(r, 'the complete report')} from "
        "the testing lab, which lists every marker tested.",
        Action.OPEN, record_id=r.id)]


def medication_list(facts: Facts, today: dt.date) -> list[Finding]:
    """medication-list: neither a structured medication list (the health summary) nor a medication-list
    record; whether or not treatment has started, the second-opinion doctor asks for it."""
    if facts.has_medication_list or any(is_medication_list(r) for r in facts.records):
        return []
    return [Finding(
        "medication-list",
        "There is no list of your medications and allergies yet: the second-opinion doctor needs every medicine "
        "you take and any allergies, so type them into the health summary.",
        Action.OPEN_HEALTH, health_section="medications")]


def _sides(r: RecordData, facts: Facts) -> int | None:
    """How many pictures or pages the record's files have; None while a file's pages are not known yet."""
    total = 0
    for a in r.attachments:
        if a.media_type.startswith("image/"):
            total += 1
        elif a.sha256 in facts.pages:
            total += facts.pages[a.sha256]
        else:
            return None
    return total


def insurance_one_side(facts: Facts, today: dt.date) -> list[Finding]:
    """insurance-one-side: a copy of the insurance card with only one side: one picture or page attached
    (unless its title says both sides are on it), or cards titled "front" and none "back"."""
    cards = [r for r in facts.records if is_insurance_card(r) and in_hand(r)]
    if not cards:
        return []
    both = [r for r in cards if FRONT.search(r.title) and BACK.search(r.title)]
    fronts = [r for r in cards if FRONT.search(r.title) and not BACK.search(r.title)]
    backs = [r for r in cards if BACK.search(r.title) and not FRONT.search(r.title)]
    one: RecordData | None = None
    if fronts and not backs and not both:
        one = fronts[0]
    elif not backs and not both:
        one = next((r for r in cards if r.attachments and _sides(r, facts) == 1), None)
    if one is None:
        return []
    return [Finding(
        "insurance-one-side",
        f"{one.title} shows only one side of the insurance card: add the other side too, as registration "
        "usually asks for both.",
        Action.OPEN, record_id=one.id)]


def no_file(facts: Facts, today: dt.date) -> list[Finding]:
    """no-file: a record marked received with no file attached (slides and blocks, scans and molecular
    results have rules of their own)."""
    out: list[Finding] = []
    for r in facts.records:
        if r.status is not RecordStatus.RECEIVED or r.attachments:
            continue
        if r.kind in (RecordKind.IMAGING, RecordKind.MOLECULAR) or is_pathology_material(r):
            continue
        out.append(Finding(
            "no-file",
            f"{r.title} is marked received, but no file of it is attached: attach the file or a scan so it can "
            "go into the packet.",
            Action.OPEN, record_id=r.id))
    return out


def recent_imaging(facts: Facts, today: dt.date) -> list[Finding]:
    """recent-imaging: the latest imaging in hand is older than the ``preflight.fresh_weeks`` setting."""
    dated = [r for r in facts.records if r.kind is RecordKind.IMAGING and in_hand(r)
             and r.date_of_service is not None and r.date_of_service <= today]
    if not dated:
        return []
    latest = max(dated, key=lambda r: (r.date_of_service or dt.date.min, r.id))
    assert latest.date_of_service is not None
    age = (today - latest.date_of_service).days
    if age <= facts.fresh_days:
        return []
    return [Finding(
        "recent-imaging",
        f"The latest imaging here, {latest.title} ({words.month_day_year(latest.date_of_service)}), is "
        f"{words.plural(age // 7, 'week')} old: ask your care team whether there are newer scans to add.",
        Action.OPEN, record_id=latest.id)]


def languages(facts: Facts, today: dt.date) -> list[Finding]:
    """language: a document whose text is not in English (``core.language``)."""
    records = _by_id(facts)
    out: list[Finding] = []
    for record_id, found in sorted(facts.languages.items()):
        r = records.get(record_id)
        if r is None:
            continue
        files = {a.id: a.original_name for a in r.attachments}
        attachment_id, language = found[0]
        which = f"{r.title} ({files.get(attachment_id, 'a file')})"
        out.append(Finding(
            "language", f"{which} seems to be in {language}; the consultant may need a translation.",
            Action.OPEN, record_id=r.id))
    return out


def due_after_appointment(facts: Facts, today: dt.date) -> list[Finding]:
    """due-after-appointment: before the next appointment, an open records request due after it, or pathology
    material not shipped yet."""
    upcoming = _upcoming(facts.desk.appointments, today)
    if not upcoming:
        return []
    visit = upcoming[0]
    day = visit.starts_at.date()
    out: list[Finding] = []
    for q in sorted(facts.desk.requests, key=lambda q: (q.effective_due or dt.date.max, q.id)):
        due = q.effective_due
        if q.is_open and due is not None and due > day:
            out.append(Finding(
                "due-after-appointment",
                f"{_request_to(q)} is due on {words.month_day_year(due)}, after your appointment on "
                f"{words.month_day_year(day)}: ask them to send the records before then.",
                Action.OPEN_REQUEST, request_id=q.id))
    coming = {c.target.record_id for c in material_to_come(facts.records, facts.desk)}  # said by its own rule
    for sh in facts.desk.shipments:
        if sh.record_id is not None and sh.record_id in coming:
            continue
        if sh.shipped_on is None and sh.received_on is None and sh.returned_on is None:
            target = _shipment_target(sh)
            out.append(Finding(
                "due-after-appointment",
                f"{_material_words(sh)} {'has' if sh.count == 1 else 'have'} not been shipped yet, and your "
                f"appointment is on {words.month_day_year(day)}: ask {sh.from_lab or 'the lab'} when they will "
                "be sent.",
                Action.OPEN_SHIPMENT, record_id=target.record_id, request_id=target.request_id,
                shipment_id=sh.id))
    return out


ITEM_IN_MESSAGE = 160  # characters of a center's item quoted in a finding (the appointment shows it whole)


def _center(a: AppointmentData) -> str:
    """Who asks: the clinician's center, else the clinician, else the place of the visit."""
    return a.institution or a.clinician_name or a.place or "The center"


def _item_words(text: str) -> str:
    line = " ".join(text.split())
    if len(line) <= ITEM_IN_MESSAGE:
        return line
    cut = line[:ITEM_IN_MESSAGE].rsplit(" ", 1)[0] if " " in line[:ITEM_IN_MESSAGE] else line[:ITEM_IN_MESSAGE]
    return cut.rstrip(" ,;:-") + "\u2026"


def center_list(facts: Facts, today: dt.date) -> list[Finding]:
    """center-list: an item of the list a receiving center sent for an upcoming appointment that is not met yet
    (neither ticked nor linked to a record in hand). An item linked to records still needed or requested says
    which record is awaited and opens it; an item linked to nothing names its appointment (``appointment_id``),
    where a record is linked to it, and has no record to open. Soonest appointment first, each list in its order;
    a met item says nothing."""
    upcoming = {a.id for a in _upcoming((a for a, _ in facts.requirements), today)}
    records = _by_id(facts)
    out: list[Finding] = []
    for a, item in sorted(facts.requirements, key=lambda p: (p[0].starts_at, p[0].id, p[1].position, p[1].id)):
        if a.id not in upcoming or item.met:
            continue
        who, what = _center(a), _item_words(item.text)
        day = words.month_day_year(a.starts_at.date())
        awaited = [records[i] for i in item.record_ids if i in records and still_to_get(records[i])]
        if awaited:
            r = awaited[0]
            state = "still requested" if r.status is RecordStatus.REQUESTED else "still needed"
            more = f" (and {words.plural(len(awaited) - 1, 'other record')})" if len(awaited) > 1 else ""
            out.append(Finding(
                "center-list",
                f"{who} asks for {_quoted(what)} for your appointment on {day}: {r.title}{_from(r)}{more} "
                f"is {state}, so it is not in hand yet.",
                Action.OPEN, record_id=r.id, appointment_id=a.id, requirement_id=item.id))
        else:
            out.append(Finding(
                "center-list",
                f"{who} asks for {_quoted(what)} for your appointment on {day}, and it is not yet linked to "
                "a record you have: link the record on the appointment, or tick the item once it is sent.",
                Action.OPEN, appointment_id=a.id, requirement_id=item.id))
    return out


#: Rules that read the identity facts; they come first.
IDENTITY_RULES: tuple[FactRule, ...] = (identity_documents, identity_downloads, identity_imaging)
#: Completeness and freshness rules that need the facts; after the record rules.
FACT_RULES: tuple[FactRule, ...] = (center_list, imaging_dicom, molecular_report, medication_list,
                                    insurance_one_side, no_file, recent_imaging, languages)
#: Timing with the facts; beside the desk's rules.
FACT_DESK_RULES: tuple[FactRule, ...] = (due_after_appointment,)


def _material_accounted(desk: Desk) -> bool:
    """Slides or blocks are on the desk already: a shipment, or a request asking to release material."""
    return bool(desk.shipments) or any(q.release_material for q in desk.requests)


def _order(record: RecordData) -> tuple[bool, dt.date, int]:
    return (record.date_of_service is None, record.date_of_service or dt.date.min, record.id)


def find_missing(records: Sequence[RecordData], profile: ProfileData, today: dt.date,
                 desk: Desk = NO_DESK, facts: Facts | None = None) -> list[Finding]:
    """Every rule's findings, rules in RULES order, then DESK_RULES; within a record rule by date of service
    (undated last), then id. The follow-up rule comes last of all.

    With ``facts`` (``core.preflight.read_facts``: what the pre-flight check reads beyond the records), the
    identity rules come first, the other fact rules after the record rules, and the timing rule beside the
    desk's; the recent-labs rule then uses the ``preflight.fresh_weeks`` setting and the health summary's
    results, the medication list counts the health summary's, and slides already shipped or asked for by a
    release request need not be listed. ``facts.records``/``profile``/``desk`` are used in place of the others.

    A rule never reports the same record twice, nor suggests adding the same thing twice; the follow-up rule
    leaves out the records :func:`tracked_elsewhere`.
    """
    if facts is not None:
        records, profile, desk = facts.records, facts.profile, facts.desk
    ordered = sorted(records, key=_order)
    findings: list[Finding] = []
    seen: set[tuple[str, object]] = set()
    desk_findings = [f for rule in DESK_RULES for f in rule(ordered, desk, today)]
    chased = tracked_elsewhere(desk)

    def add(found: Iterable[Finding]) -> None:
        for finding in found:
            finding = _with_draft(finding, desk)
            key = (finding.rule, ("item", finding.requirement_id) if finding.requirement_id is not None
                   else ("shipment", finding.shipment_id) if finding.shipment_id is not None
                   else finding.record_id if finding.record_id is not None
                   else finding.request_id if finding.request_id is not None
                   else (finding.kind, finding.suggested_title))
            if key not in seen:
                seen.add(key)
                findings.append(finding)

    if facts is not None:
        facts = replace(facts, records=tuple(ordered))
        add(f for rule in IDENTITY_RULES for f in rule(facts, today))
        timing = [f for rule in FACT_DESK_RULES for f in rule(facts, today)]
        late = {f.request_id for f in timing if f.request_id is not None and f.rule == "due-after-appointment"}
        desk_findings = [f for f in desk_findings if not (f.rule == "request-due-soon" and f.request_id in late)]
        desk_findings += timing
    for rule in RULES:
        if rule is follow_up:
            if facts is not None:
                add(f for fact_rule in FACT_RULES for f in fact_rule(facts, today))
            found = desk_findings + [f for f in rule(ordered, profile, today) if f.record_id not in chased]
        elif rule is recent_labs and facts is not None:
            found = _recent_labs(ordered, today, facts.fresh_days, facts.latest_lab_result)
        else:
            found = rule(ordered, profile, today)
            if facts is not None and rule is treatment:  # the fact rule speaks of a medication list missing
                found = [f for f in found if f.rule != "medication-list"
                         or (f.action is not Action.ADD and not facts.has_medication_list)]
            if facts is not None and rule is pathology_material and _material_accounted(desk):
                found = [f for f in found if not (f.rule == "pathology-material" and f.action is Action.ADD)]
        add(found)
    return findings


@reading
def read_desk(session: Session) -> Desk:
    """The requests, shipments and appointments of ``session``."""
    return Desk(tuple(list_requests(session)), tuple(list_shipments(session)), tuple(list_appointments(session)))


@reading
def whats_missing(session: Session, today: dt.date | None = None) -> list[Finding]:
    """The findings for everything in ``session`` (records, profile, requests desk and the pre-flight facts:
    ``core.preflight.read_facts``), as of ``today`` (the real today if None). Still missing, the pre-flight
    check and the packet read this one list."""
    from secondopinion_desktop.core.preflight import read_facts

    facts = read_facts(session)
    return find_missing(facts.records, facts.profile, today or dt.date.today(), facts.desk, facts)


@reading
def appointment_warnings(session: Session, appointment_id: int, today: dt.date | None = None) -> tuple[str, ...]:
    """What to look out for before this appointment, one or two sentences each: it comes before the consultant
    has confirmed receiving the pathology material, a records request is overdue, material is due back at the
    lab. Nothing for an appointment that is over. NotFoundError when there is no such appointment."""
    day = today or dt.date.today()
    appointment = get_appointment(session, appointment_id)
    if not _upcoming([appointment], day):
        return ()
    records = sorted(list_records(session), key=_order)
    desk = read_desk(session)
    out: list[str] = []
    coming = material_to_come(records, desk)
    if coming:
        out.append(appointment_message(appointment, coming, day))
    out += [f.message for f in request_overdue(records, desk, day)]
    out += [f.message for f in material_due_back(records, desk, day)]
    return tuple(out)
