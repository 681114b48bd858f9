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
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from secondopinion_desktop.core import words
from secondopinion_desktop.core.models import ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.profile import ProfileData, get_profile, missing_essentials
from secondopinion_desktop.core.records import RecordData, list_records
from secondopinion_desktop.core.unit import reading

FOLLOW_UP_DAYS = 14
RECENT_LAB_DAYS = 90


class Action(str, enum.Enum):
    OPEN = "open"  # go to the record
    MARK_REQUESTED = "mark_requested"  # move that record from needed to requested
    ADD = "add"  # add a record of `kind` titled `suggested_title`
    FOLLOW_UP = "follow_up"  # requested long ago: call them (also opens the record)
    PROFILE = "profile"  # fill in the patient profile


@dataclass(frozen=True)
class Finding:
    rule: str  # stable key of the rule, e.g. "pathology-report"
    message: str  # one or two plain sentences for the patient, naming the record/facility where known
    action: Action
    record_id: int | None = None
    kind: RecordKind | None = None  # for ADD
    suggested_title: str = ""  # for ADD


Rule = Callable[[Sequence[RecordData], ProfileData, dt.date], list[Finding]]

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


def recent_labs(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """recent-labs: a lab result (blood work, tumor markers) dated within RECENT_LAB_DAYS of today.

    A lab record still needed that is recent or undated is to be requested; a requested one waits for the
    follow-up rule; otherwise add one.
    """
    since = today - dt.timedelta(days=RECENT_LAB_DAYS)

    def recent(r: RecordData) -> bool:
        return r.date_of_service is not None and since <= r.date_of_service <= today

    labs = [r for r in records if r.kind is RecordKind.LAB]
    if any(in_hand(r) and recent(r) for r in labs):
        return []
    candidates = [r for r in labs if still_to_get(r) and (r.date_of_service is None or recent(r))]
    why = "The second-opinion doctor will want recent blood counts and chemistry."
    return _get_or_add(
        "recent-labs", candidates, why,
        f"There is no blood work from the last {RECENT_LAB_DAYS} days yet. {why} If you have some, make sure "
        "its date of service is filled in.",
        RecordKind.LAB, "Recent blood work",
    )


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


def _order(record: RecordData) -> tuple[bool, dt.date, int]:
    return (record.date_of_service is None, record.date_of_service or dt.date.min, record.id)


def find_missing(records: Sequence[RecordData], profile: ProfileData, today: dt.date) -> list[Finding]:
    """Every rule's findings, rules in RULES order; within a rule by date of service (undated last), then id.

    A rule never reports the same record twice, nor suggests adding the same thing twice.
    """
    ordered = sorted(records, key=_order)
    findings: list[Finding] = []
    seen: set[tuple[str, object]] = set()
    for rule in RULES:
        for finding in rule(ordered, profile, today):
            key = (finding.rule, finding.record_id if finding.record_id is not None
                   else (finding.kind, finding.suggested_title))
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    return findings


@reading
def whats_missing(session: Session, today: dt.date | None = None) -> list[Finding]:
    """The findings for the records and profile in ``session``, as of ``today`` (the real today if None)."""
    return find_missing(list_records(session), get_profile(session), today or dt.date.today())
