"""The patient's checklist: the guide's steps (from resources) plus their own, each ticked off with a date.

A step the data folder itself shows to be done ticks itself (:func:`done_by_data`): a profile with a diagnosis,
a second-opinion doctor chosen, an appointment booked, questions written, every record requested, and so on.
The patient can untick such a step; that choice is kept (in the step's row, under the answers key
:data:`UNTICKED_KEY`, which no question's key can be) until she ticks it again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.appointments import AppointmentData, list_appointments
from secondopinion_desktop.core.directory import ClinicianData, list_clinicians
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.guidance import ChecklistTemplateItem, FieldSpec, load_checklist_template
from secondopinion_desktop.core.models import ChecklistItem, ClinicianRole, RecordKind, RecordStatus
from secondopinion_desktop.core.profile import ProfileData, get_profile, missing_essentials
from secondopinion_desktop.core.readiness import IMAGES_HERE, in_hand, is_pathology_material, is_release
from secondopinion_desktop.core.records import RecordData, list_records
from secondopinion_desktop.core.unit import unit_of_work
from secondopinion_desktop.core.validation import clean_line, clean_text, parse_date
from secondopinion_desktop.core.words import plural

#: Kept in a step's answers when the patient unticked it although the data shows it done. Question keys start
#: with a letter, so this key never meets one.
UNTICKED_KEY = "_unticked"


@dataclass(frozen=True)
class ChecklistEntry:
    id: int
    key: str | None  # None: a step the patient added
    title: str
    help: str
    section: str  # guide section it relates to ("" for the patient's own steps)
    fields: tuple[FieldSpec, ...]
    done: bool  # ticked by her, or shown done by the data (and not unticked by her)
    done_on: dt.date | None  # the day she ticked it (None when only the data shows it)
    note: str
    answers: Mapping[str, str] = field(default_factory=dict)
    ticked: bool = False  # she ticked it herself
    shown_by_data: str = ""  # what in the data shows the step done ("1 appointment booked"), "" when nothing
    unticked: bool = False  # she unticked it although the data shows it done

    @property
    def custom(self) -> bool:
        return self.key is None

    @property
    def done_by_data(self) -> bool:
        """Shown ticked because of the data alone (she did not tick it herself)."""
        return self.done and not self.ticked


# --- what the data shows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistEvidence:
    """A snapshot of what the data folder holds, for :func:`done_by_data`."""

    profile: ProfileData = ProfileData()
    clinicians: tuple[ClinicianData, ...] = ()
    appointments: tuple[AppointmentData, ...] = ()
    records: tuple[RecordData, ...] = ()
    answers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # step key -> its answers


def gather_evidence(session: Session) -> ChecklistEvidence:
    rows = session.scalars(select(ChecklistItem).where(ChecklistItem.key.is_not(None)))
    return ChecklistEvidence(
        profile=get_profile(session), clinicians=tuple(list_clinicians(session)),
        appointments=tuple(list_appointments(session)), records=tuple(list_records(session)),
        answers={str(r.key): _answers(r) for r in rows},
    )


def _profile_done(e: ChecklistEvidence) -> str:
    if missing_essentials(e.profile):
        return ""
    return f"the profile names the diagnosis: {e.profile.cancer_type}"


def _doctor_chosen(e: ChecklistEvidence) -> str:
    names = [c.display_name for c in e.clinicians if c.role is ClinicianRole.SECOND_OPINION]
    names += [a.clinician_name for a in e.appointments if a.clinician_id is not None and a.clinician_name]
    names = list(dict.fromkeys(names))
    if not names:
        return ""
    return f"{names[0]} chosen" if len(names) == 1 else f"{names[0]} and {plural(len(names) - 1, 'other')} chosen"


def _appointment_booked(e: ChecklistEvidence) -> str:
    return f"{plural(len(e.appointments), 'appointment')} booked" if e.appointments else ""


def _questions_written(e: ChecklistEvidence) -> str:
    count = sum(len(a.questions) for a in e.appointments)
    return f"{plural(count, 'question')} written down" if count else ""


def _records_requested(e: ChecklistEvidence) -> str:
    """Every record asked for or in hand, and at least one that had to be asked for or is here."""
    if not e.records or any(r.status is RecordStatus.NEEDED for r in e.records):
        return ""
    facilities = {r.facility_name for r in e.records if r.facility_name}
    where = f" from {plural(len(facilities), 'place')}" if facilities else ""
    return f"every record requested or in hand ({plural(len(e.records), 'record')}{where})"


def _releases_signed(e: ChecklistEvidence) -> str:
    signed = [r for r in e.records if is_release(r) and in_hand(r)]
    return f"{plural(len(signed), 'signed release')} kept here" if signed else ""


def _scans_here(e: ChecklistEvidence) -> str:
    scans = [r for r in e.records if r.kind is RecordKind.IMAGING and in_hand(r) and (
        r.images_location in IMAGES_HERE or any(a.media_type == "application/dicom" for a in r.attachments))]
    return f"the images of {plural(len(scans), 'scan')} are here" if scans else ""


def _slides_requested(e: ChecklistEvidence) -> str:
    asked = [r for r in e.records if is_pathology_material(r) and r.status is not RecordStatus.NEEDED]
    if not asked:
        return ""
    return f"{asked[0].title} requested" if len(asked) == 1 else f"{plural(len(asked), 'slides record')} requested"


def _insurer_answered(e: ChecklistEvidence) -> str:
    """Only what the insurer said shows the call happened: a Yes or No to "Is a second opinion covered?"."""
    covered = e.answers.get("call-insurer", {}).get("covered", "")
    return f"the insurer said whether a second opinion is covered ({covered})" if covered in ("Yes", "No") else ""


def _companion(e: ChecklistEvidence) -> str:
    who = next((a.attendees for a in e.appointments if a.attendees.strip()), "")
    return f"{who} coming along" if who else ""


#: Step key -> what shows it done. Steps not here (telling the doctor, confirming the records arrived) are
#: things only the patient knows.
DATA_RULES: Mapping[str, Callable[[ChecklistEvidence], str]] = {
    "fill-profile": _profile_done,
    "call-insurer": _insurer_answered,
    "choose-doctor": _doctor_chosen,
    "book-appointment": _appointment_booked,
    "request-records": _records_requested,
    "sign-releases": _releases_signed,
    "get-imaging-cd": _scans_here,
    "send-pathology-slides": _slides_requested,
    "write-questions": _questions_written,
    "arrange-companion": _companion,
}


def done_by_data(evidence: ChecklistEvidence) -> dict[str, str]:
    """Step key -> a few words on what shows it done (first letter lower case), for the steps the data shows."""
    shown = {key: rule(evidence) for key, rule in DATA_RULES.items()}
    return {key: words for key, words in shown.items() if words}


# --- the stored steps ----------------------------------------------------------------------------------------


def _templates() -> dict[str, ChecklistTemplateItem]:
    return {t.key: t for t in load_checklist_template()}


def _answers(row: ChecklistItem) -> dict[str, str]:
    """The step's answers, without the patient's untick mark."""
    return {k: v for k, v in _stored(row).items() if k != UNTICKED_KEY}


def _stored(row: ChecklistItem) -> dict[str, str]:
    try:
        answers = json.loads(row.answers or "{}")
    except ValueError:
        answers = {}
    return {str(k): str(v) for k, v in answers.items()} if isinstance(answers, dict) else {}


def _entry(row: ChecklistItem, templates: dict[str, ChecklistTemplateItem],
           shown: Mapping[str, str] | None = None) -> ChecklistEntry:
    template = templates.get(row.key) if row.key else None
    words = (shown or {}).get(row.key or "", "")
    unticked = bool(words) and not row.done and UNTICKED_KEY in _stored(row)
    return ChecklistEntry(
        id=row.id, key=row.key, title=template.title if template else row.title,
        help=template.help if template else "", section=template.section if template else "",
        fields=template.fields if template else (), done=row.done or (bool(words) and not unticked),
        done_on=row.done_on if row.done else None, note=row.note, answers=_answers(row),
        ticked=row.done, shown_by_data=words, unticked=unticked,
    )


def ensure_checklist(session: Session) -> None:
    """Add the guide's steps that this data folder does not have yet (new steps arrive with new versions),
    each where the guide has it: before the next guide step the folder already has, or at the end."""
    rows = list(session.scalars(select(ChecklistItem).order_by(ChecklistItem.position, ChecklistItem.id)))
    have = {r.key: r for r in rows if r.key is not None}
    templates = load_checklist_template()
    if all(t.key in have for t in templates):
        return
    for number, template in enumerate(templates):
        if template.key in have:
            continue
        following = next((have[t.key] for t in templates[number + 1:] if t.key in have), None)
        if following is None:
            position = max((r.position for r in rows), default=0) + 1
        else:
            position = following.position
            for r in rows:
                if r.position >= position:
                    r.position += 1
        row = ChecklistItem(key=template.key, title=template.title, position=position)
        session.add(row)
        rows.append(row)
        have[template.key] = row
    session.flush()


@unit_of_work
def list_checklist(session: Session, evidence: ChecklistEvidence | None = None) -> list[ChecklistEntry]:
    """Every step in order; those the data shows done (``evidence``, read from ``session`` when None) ticked."""
    ensure_checklist(session)
    templates = _templates()
    shown = done_by_data(evidence if evidence is not None else gather_evidence(session))
    rows = session.scalars(select(ChecklistItem).order_by(ChecklistItem.position, ChecklistItem.id))
    return [_entry(r, templates, shown) for r in rows]


def progress(entries: list[ChecklistEntry]) -> tuple[int, int]:
    """(done, total)."""
    return sum(1 for e in entries if e.done), len(entries)


def _row(session: Session, item_id: int) -> ChecklistItem:
    row = session.get(ChecklistItem, item_id)
    if row is None:
        raise NotFoundError(f"There is no checklist step {item_id}.")
    return row


@unit_of_work
def get_item(session: Session, item_id: int) -> ChecklistEntry:
    row = _row(session, item_id)
    shown = done_by_data(gather_evidence(session)) if row.key in DATA_RULES else {}
    return _entry(row, _templates(), shown)


@unit_of_work
def set_done(session: Session, item_id: int, done: bool, on: dt.date | str | None = None) -> ChecklistEntry:
    """Tick (dated ``on``, today when not given) or untick a step.

    Unticking a step the data shows done keeps it unticked (until she ticks it again); ticking clears that.
    """
    row = _row(session, item_id)
    day = (parse_date(on, "done date", allow_future=False, field="on") or dt.date.today()) if done else None
    stored = _stored(row)
    stored.pop(UNTICKED_KEY, None)
    if not done and row.key in DATA_RULES and row.key in done_by_data(gather_evidence(session)):
        stored[UNTICKED_KEY] = "yes"
    row.done = bool(done)
    row.done_on = day
    row.answers = json.dumps(stored, ensure_ascii=False, sort_keys=True)
    session.flush()
    return get_item(session, item_id)


@unit_of_work
def set_note(session: Session, item_id: int, note: str) -> ChecklistEntry:
    _row(session, item_id).note = clean_text(note, "note", field="note")
    session.flush()
    return get_item(session, item_id)


@unit_of_work
def set_answers(session: Session, item_id: int, answers: Mapping[str, Any]) -> ChecklistEntry:
    """Store the answers to a step's questions (e.g. what the insurer said); unknown fields are refused."""
    row = _row(session, item_id)
    entry = _entry(row, _templates())
    specs = {f.key: f for f in entry.fields}
    current = _stored(row)
    for key, value in answers.items():
        spec = specs.get(key)
        if spec is None:
            raise ValidationError(f"The step “{entry.title}” has no question {key!r}.", field=key)
        text = clean_line(None if value is None else str(value), spec.label.rstrip("?").lower(), field=key)
        if text and spec.choices and text not in spec.choices:
            raise ValidationError(f"Answer {spec.label!r} with one of: {', '.join(spec.choices)}.", field=key)
        if text:
            current[key] = text
        else:
            current.pop(key, None)
    row.answers = json.dumps(current, ensure_ascii=False, sort_keys=True)
    session.flush()
    return get_item(session, item_id)


@unit_of_work
def add_item(session: Session, title: str) -> ChecklistEntry:
    """A step of the patient's own, at the end of the list."""
    text = clean_line(title, "step", required=True, field="title")
    position = (session.scalar(select(func.max(ChecklistItem.position))) or 0) + 1
    row = ChecklistItem(key=None, title=text, position=position)
    session.add(row)
    session.flush()
    return get_item(session, row.id)


@unit_of_work
def rename_item(session: Session, item_id: int, title: str) -> ChecklistEntry:
    row = _row(session, item_id)
    if row.key is not None:
        raise ValidationError("The guide's own steps keep their wording; add a step of your own instead.",
                              field="title")
    row.title = clean_line(title, "step", required=True, field="title")
    session.flush()
    return get_item(session, item_id)


@unit_of_work
def remove_item(session: Session, item_id: int) -> ChecklistEntry:
    """Remove a step the patient added (the guide's steps stay; untick them instead)."""
    row = _row(session, item_id)
    if row.key is not None:
        raise ValidationError("The guide's own steps cannot be removed; you can leave them unticked.")
    entry = _entry(row, {})
    session.delete(row)
    session.flush()
    return entry
