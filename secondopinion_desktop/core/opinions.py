"""After the consult: the second opinion of each appointment, the questions sent afterwards, carrying the
unanswered questions forward to a follow-up visit, and the receiving center's own list of what to send.

Services follow ``core.appointments``: each takes a ``Session`` or the ``DataFolder`` (``core.unit``), a change
runs in a transaction of its own, every ``ValidationError`` names its ``field``, and frozen dataclasses come back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import (
    Appointment,
    AppointmentQuestion,
    AppointmentRequirement,
    DiagnosisVerdict,
    Opinion,
    OpinionFollowUp,
    Record,
)
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_line, clean_text, parse_date, parse_enum

#: The opinion's free-text fields, with what each is called in messages and its longest length.
TEXT_FIELDS: dict[str, tuple[str, int]] = {
    "diagnosis": ("diagnosis in the consultant's words", 20_000),
    "plan": ("recommended treatment plan", 50_000),
    "trials": ("clinical trials suggested", 20_000),
    "further_tests": ("further tests or reviews suggested", 20_000),
    "next_steps": ("next steps", 20_000),
}
MAX_FOLLOW_UPS = 50
MAX_REQUIREMENTS = 200


# --- what comes back -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUpData:
    id: int
    position: int
    question: str
    asked_on: dt.date | None
    answer: str
    answered_on: dt.date | None

    @property
    def answered(self) -> bool:
        return bool(self.answer.strip())


@dataclass(frozen=True)
class OpinionData:
    id: int
    appointment_id: int
    verdict: DiagnosisVerdict | None
    diagnosis: str
    stage: str
    plan: str
    trials: tuple[str, ...]  # one per line, blanks dropped
    further_tests: tuple[str, ...]
    next_steps: str
    report_record_id: int | None
    report_title: str
    follow_ups: tuple[FollowUpData, ...]
    updated_at: dt.datetime

    @property
    def is_empty(self) -> bool:
        return (self.verdict is None and not any((self.diagnosis, self.stage, self.plan, self.next_steps))
                and not self.trials and not self.further_tests and self.report_record_id is None
                and not self.follow_ups)


@dataclass(frozen=True)
class RequirementData:
    id: int
    appointment_id: int
    position: int
    text: str
    done: bool  # ticked by hand: an item no record stands for
    note: str
    record_ids: tuple[int, ...]
    record_titles: tuple[str, ...]
    received_record_ids: tuple[int, ...]  # the linked records the patient has (status received or sent)

    @property
    def met(self) -> bool:
        """Ticked, or linked to at least one record that is in hand."""
        return self.done or bool(self.received_record_ids)


def lines(text: str) -> tuple[str, ...]:
    """The non-blank lines of a multi-line field, each trimmed."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _follow_up(f: OpinionFollowUp) -> FollowUpData:
    return FollowUpData(f.id, f.position, f.question, f.asked_on, f.answer, f.answered_on)


def _opinion(o: Opinion) -> OpinionData:
    return OpinionData(
        id=o.id, appointment_id=o.appointment_id, verdict=o.verdict, diagnosis=o.diagnosis, stage=o.stage,
        plan=o.plan, trials=lines(o.trials), further_tests=lines(o.further_tests), next_steps=o.next_steps,
        report_record_id=o.report_record_id, report_title=o.report.title if o.report is not None else "",
        follow_ups=tuple(_follow_up(f) for f in o.follow_ups), updated_at=o.updated_at,
    )


def _in_hand(record: Record) -> bool:
    return str(record.status) in ("received", "sent")


def _requirement(r: AppointmentRequirement) -> RequirementData:
    return RequirementData(
        id=r.id, appointment_id=r.appointment_id, position=r.position, text=r.text, done=r.done, note=r.note,
        record_ids=tuple(rec.id for rec in r.records), record_titles=tuple(rec.title for rec in r.records),
        received_record_ids=tuple(rec.id for rec in r.records if _in_hand(rec)),
    )


def _appointment(session: Session, appointment_id: int) -> Appointment:
    a = session.get(Appointment, appointment_id)
    if a is None:
        raise NotFoundError(f"There is no appointment {appointment_id}.")
    return a


def _record(session: Session, record_id: int) -> Record:
    r = session.get(Record, record_id)
    if r is None:
        raise NotFoundError(f"There is no record {record_id}.")
    return r


# --- the opinion ---------------------------------------------------------------------------------------------

def _load_opinion(session: Session, appointment_id: int) -> Opinion | None:
    return session.scalars(
        select(Opinion).where(Opinion.appointment_id == appointment_id)
        .options(selectinload(Opinion.follow_ups), selectinload(Opinion.report))
    ).first()


@reading
def get_opinion(session: Session, appointment_id: int) -> OpinionData | None:
    """The appointment's opinion, or None when nothing has been written down yet."""
    _appointment(session, appointment_id)
    o = _load_opinion(session, appointment_id)
    return _opinion(o) if o is not None else None


@reading
def list_opinions(session: Session) -> list[OpinionData]:
    """Every opinion written down, the latest visit first."""
    rows = session.scalars(
        select(Opinion).join(Appointment, Opinion.appointment_id == Appointment.id)
        .options(selectinload(Opinion.follow_ups), selectinload(Opinion.report))
        .order_by(Appointment.starts_at.desc(), Opinion.id.desc())
    )
    return [_opinion(o) for o in rows]


def _apply_opinion(session: Session, o: Opinion, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "verdict":
            o.verdict = (None if value in (None, "") else
                         parse_enum(DiagnosisVerdict, value, "verdict on the diagnosis", field=key))
        elif key == "stage":
            o.stage = clean_line(value, "stage", max_len=200, field=key)
        elif key in TEXT_FIELDS:
            what, limit = TEXT_FIELDS[key]
            if isinstance(value, (list, tuple)):
                value = "\n".join(str(v) for v in value)
            setattr(o, key, clean_text(value, what, max_len=limit, field=key).strip())
        elif key == "report_record_id":
            if value is not None:
                _record(session, int(value))
            o.report_record_id = None if value is None else int(value)
        else:
            raise ValidationError(f"An opinion has no field {key!r}.", field=key)


@unit_of_work
def save_opinion(session: Session, /, appointment_id: int, **fields: Any) -> OpinionData:
    """Write down (or change) what the consultant said; fields not given stay as they are.

    Fields: ``verdict`` (confirmed / refined / changed, or None), ``diagnosis``, ``stage``, ``plan``, ``trials``
    and ``further_tests`` (one per line, or a list), ``next_steps``, ``report_record_id``."""
    _appointment(session, appointment_id)
    o = _load_opinion(session, appointment_id)
    if o is None:
        o = Opinion(appointment_id=appointment_id, diagnosis="", stage="", plan="", trials="", further_tests="",
                    next_steps="")
        session.add(o)
    _apply_opinion(session, o, fields)
    session.flush()
    session.expire(o)
    loaded = _load_opinion(session, appointment_id)
    assert loaded is not None
    return _opinion(loaded)


@reading
def check_opinion(session: Session, appointment_id: int, fields: dict[str, Any]) -> OpinionData:
    """Raise the ValidationError (naming its ``field``) that saving ``fields`` would raise; keep nothing."""
    return save_opinion(session, appointment_id, **fields)


@unit_of_work
def delete_opinion(session: Session, appointment_id: int) -> OpinionData | None:
    """Remove the appointment's opinion and its follow-up questions (the report record stays a record)."""
    o = _load_opinion(session, appointment_id)
    if o is None:
        return None
    data = _opinion(o)
    session.delete(o)
    session.flush()
    return data


@unit_of_work
def restore_opinion(session: Session, data: OpinionData) -> OpinionData:
    """Put back an opinion that ``delete_opinion`` returned (undo), its follow-up questions with it."""
    report = data.report_record_id if data.report_record_id is not None and session.get(
        Record, data.report_record_id) is not None else None
    saved = save_opinion(session, data.appointment_id, verdict=data.verdict, diagnosis=data.diagnosis,
                         stage=data.stage, plan=data.plan, trials=list(data.trials),
                         further_tests=list(data.further_tests), next_steps=data.next_steps,
                         report_record_id=report)
    o = session.get(Opinion, saved.id)
    assert o is not None
    for f in data.follow_ups:
        session.add(OpinionFollowUp(opinion_id=o.id, position=f.position, question=f.question, asked_on=f.asked_on,
                                    answer=f.answer, answered_on=f.answered_on))
    session.flush()
    session.expire(o)
    result = get_opinion(session, data.appointment_id)
    assert result is not None
    return result


# --- follow-up questions to the consultant -------------------------------------------------------------------

def _opinion_for(session: Session, appointment_id: int) -> Opinion:
    o = _load_opinion(session, appointment_id)
    if o is None:
        save_opinion(session, appointment_id)
        o = _load_opinion(session, appointment_id)
    assert o is not None
    return o


def _follow_up_row(session: Session, follow_up_id: int) -> OpinionFollowUp:
    f = session.get(OpinionFollowUp, follow_up_id)
    if f is None:
        raise NotFoundError(f"There is no follow-up question {follow_up_id}.")
    return f


@unit_of_work
def add_follow_up(session: Session, appointment_id: int, question: str,
                  asked_on: str | dt.date | None = None) -> FollowUpData:
    """A question sent to the consultant after the visit (by the portal, e-mail or the program's form)."""
    o = _opinion_for(session, appointment_id)
    text = clean_line(question, "follow-up question", required=True, max_len=1000, field="question")
    if len(o.follow_ups) >= MAX_FOLLOW_UPS:
        raise ValidationError(f"An opinion keeps at most {MAX_FOLLOW_UPS} follow-up questions.", field="question")
    if any(f.question.casefold() == text.casefold() for f in o.follow_ups):
        raise ValidationError(f"“{text}” is already among the follow-up questions.", field="question")
    f = OpinionFollowUp(opinion_id=o.id, question=text, answer="",
                        position=max((f.position for f in o.follow_ups), default=0) + 1,
                        asked_on=parse_date(asked_on, "date it was asked", allow_future=False, field="asked_on"))
    session.add(f)
    session.flush()
    return _follow_up(f)


@unit_of_work
def change_follow_up(session: Session, /, follow_up_id: int, **fields: Any) -> FollowUpData:
    """Change ``question``, ``asked_on``, ``answer`` or ``answered_on``. Typing an answer dates it today unless a
    date is given; clearing the answer clears its date."""
    f = _follow_up_row(session, follow_up_id)
    for key, value in fields.items():
        if key == "question":
            f.question = clean_line(value, "follow-up question", required=True, max_len=1000, field=key)
        elif key == "asked_on":
            f.asked_on = parse_date(value, "date it was asked", allow_future=False, field=key)
        elif key == "answer":
            f.answer = clean_text(value, "answer", max_len=100_000, field=key).strip()
            if not f.answer:
                f.answered_on = None
            elif f.answered_on is None and "answered_on" not in fields:
                f.answered_on = dt.date.today()
        elif key == "answered_on":
            f.answered_on = parse_date(value, "date of the answer", allow_future=False, field=key)
        else:
            raise ValidationError(f"A follow-up question has no field {key!r}.", field=key)
    session.flush()
    return _follow_up(f)


@unit_of_work
def remove_follow_up(session: Session, follow_up_id: int) -> FollowUpData:
    f = _follow_up_row(session, follow_up_id)
    data = _follow_up(f)
    session.delete(f)
    session.flush()
    return data


# --- carrying unanswered questions forward -------------------------------------------------------------------

@dataclass(frozen=True)
class CarriedForward:
    appointment_id: int  # the follow-up visit
    created: bool  # a new appointment was made for it
    question_ids: tuple[int, ...]  # the questions added to it
    already_there: int  # unanswered questions the follow-up already had


def unanswered_questions(session: Session, appointment_id: int) -> list[AppointmentQuestion]:
    a = session.get(Appointment, appointment_id, options=[selectinload(Appointment.questions)])
    if a is None:
        raise NotFoundError(f"There is no appointment {appointment_id}.")
    return [q for q in a.questions if not q.answered]


@unit_of_work
def carry_forward(session: Session, appointment_id: int, *, to_appointment_id: int | None = None,
                  starts_at: str | dt.datetime | None = None) -> CarriedForward:
    """Copy the questions not answered at ``appointment_id`` to a follow-up visit: an existing appointment, or a
    new one at ``starts_at`` (same clinician and place) that notes which visit it follows. Questions the follow-up
    already lists are not copied twice. Nothing to carry is a ValidationError."""
    from secondopinion_desktop.core import appointments

    source = _appointment(session, appointment_id)
    pending = unanswered_questions(session, appointment_id)
    if not pending:
        raise ValidationError("Every question of this appointment is answered; there is nothing to carry forward.")
    created = False
    if to_appointment_id is None:
        if starts_at is None:
            raise ValidationError("Choose the follow-up appointment, or give the date and time of a new one.",
                                  field="starts_at")
        made = appointments.create_appointment(
            session, starts_at, clinician_id=source.clinician_id, place=source.place,
            purpose=f"Follow-up of the visit on {source.starts_at:%Y-%m-%d}")
        target_id, created = made.id, True
    else:
        if to_appointment_id == appointment_id:
            raise ValidationError("A visit cannot be its own follow-up; choose another appointment.",
                                  field="to_appointment_id")
        target_id = _appointment(session, to_appointment_id).id
    target = _appointment(session, target_id)
    if target.follow_up_of_id is None:
        target.follow_up_of_id = appointment_id
    have = {q.text.casefold() for q in appointments._load(session, target_id).questions}
    texts = [q.text for q in pending if q.text.casefold() not in have]
    added = appointments.add_questions(session, target_id, texts) if texts else []
    session.flush()
    return CarriedForward(target_id, created, tuple(q.id for q in added), len(pending) - len(texts))


def forget_follow_up_links(session: Session, appointment_id: int) -> None:
    """An appointment is going: visits that followed it up no longer name it."""
    session.execute(update(Appointment).where(Appointment.follow_up_of_id == appointment_id)
                    .values(follow_up_of_id=None))


# --- the receiving center's own list -------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*•·◦▪‣–—]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|\[\s?[xX ]?\s?\]|☐|☑|✓|✔)\s+")


def split_pasted_list(text: str) -> list[str]:
    """A list pasted from a center's instructions, one item per line: bullets, numbers ("1.", "a)") and check
    boxes stripped, blank lines, headings ending in a colon and repeats dropped, a line that only continues the
    previous one (starts in lower case after a line without a full stop) joined to it."""
    items: list[str] = []
    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = raw.strip()
        if not stripped:
            continue
        bulleted = bool(_BULLET.match(stripped))
        line = " ".join(_BULLET.sub("", stripped).split())
        if not line or (not bulleted and line.endswith(":")):  # a heading ("Please send:") is not an item
            continue
        if (items and not bulleted and line[:1].islower() and not items[-1].endswith((".", ":", ";", "?", "!"))):
            items[-1] = f"{items[-1]} {line}"
            continue
        items.append(line)
    seen: set[str] = set()
    unique: list[str] = []
    for item in items:
        key = item.casefold().rstrip(".;:")
        if key not in seen:
            seen.add(key)
            unique.append(item[:1000])
    return unique


def _load_requirements(session: Session, appointment_id: int) -> list[AppointmentRequirement]:
    return list(session.scalars(
        select(AppointmentRequirement).where(AppointmentRequirement.appointment_id == appointment_id)
        .options(selectinload(AppointmentRequirement.records))
        .order_by(AppointmentRequirement.position, AppointmentRequirement.id)
    ))


def _requirement_row(session: Session, requirement_id: int) -> AppointmentRequirement:
    r = session.get(AppointmentRequirement, requirement_id, options=[selectinload(AppointmentRequirement.records)])
    if r is None:
        raise NotFoundError(f"There is no required item {requirement_id}.")
    return r


@reading
def list_requirements(session: Session, appointment_id: int | None = None) -> list[RequirementData]:
    """One appointment's list, in its order; or (None) every appointment's, by appointment then position."""
    if appointment_id is not None:
        _appointment(session, appointment_id)
        return [_requirement(r) for r in _load_requirements(session, appointment_id)]
    rows = session.scalars(
        select(AppointmentRequirement).options(selectinload(AppointmentRequirement.records))
        .order_by(AppointmentRequirement.appointment_id, AppointmentRequirement.position, AppointmentRequirement.id)
    )
    return [_requirement(r) for r in rows]


@reading
def upcoming_requirements(session: Session, now: dt.datetime | None = None) -> list[tuple[Any, RequirementData]]:
    """(appointment, item) for the lists of appointments still to come, soonest visit first: what Still missing
    and the pre-flight check look at."""
    from secondopinion_desktop.core import appointments

    out: list[tuple[Any, RequirementData]] = []
    for appointment in appointments.list_appointments(session, now=now):
        if not appointment.is_upcoming(now):
            continue
        out.extend((appointment, r) for r in list_requirements(session, appointment.id))
    return out


@unit_of_work
def add_requirements(session: Session, appointment_id: int, texts: list[str] | str) -> list[RequirementData]:
    """Add items to the center's list: a list of texts, or one pasted block (``split_pasted_list``). Items the
    list already has are skipped; all are added, or (one refused) none."""
    _appointment(session, appointment_id)
    existing = _load_requirements(session, appointment_id)
    wanted = split_pasted_list(texts) if isinstance(texts, str) else [t for t in texts if (t or "").strip()]
    if not wanted:
        raise ValidationError("Type or paste at least one item of the center's list.", field="text")
    have = {r.text.casefold() for r in existing}
    position = max((r.position for r in existing), default=0)
    made: list[AppointmentRequirement] = []
    for text in wanted:
        cleaned = clean_line(text, "required item", required=True, max_len=1000, field="text")
        if cleaned.casefold() in have:
            continue
        have.add(cleaned.casefold())
        position += 1
        row = AppointmentRequirement(appointment_id=appointment_id, position=position, text=cleaned, done=False,
                                     note="")
        session.add(row)
        made.append(row)
    if len(existing) + len(made) > MAX_REQUIREMENTS:
        raise ValidationError(f"A center's list keeps at most {MAX_REQUIREMENTS} items.", field="text")
    session.flush()
    return [_requirement(_requirement_row(session, r.id)) for r in made]


@unit_of_work
def change_requirement(session: Session, /, requirement_id: int, **fields: Any) -> RequirementData:
    """Change ``text``, ``done`` or ``note``; ``record_ids`` sets the linked records (each must exist)."""
    r = _requirement_row(session, requirement_id)
    for key, value in fields.items():
        if key == "text":
            r.text = clean_line(value, "required item", required=True, max_len=1000, field=key)
        elif key == "done":
            r.done = bool(value)
        elif key == "note":
            r.note = clean_text(value, "note", max_len=5000, field=key).strip()
        elif key == "record_ids":
            r.records = [_record(session, int(i)) for i in dict.fromkeys(value or ())]
        else:
            raise ValidationError(f"A required item has no field {key!r}.", field=key)
    session.flush()
    return _requirement(r)


@unit_of_work
def link_records(session: Session, requirement_id: int, record_ids: list[int]) -> RequirementData:
    """Link more records to an item (those already linked stay)."""
    r = _requirement_row(session, requirement_id)
    have = {rec.id for rec in r.records}
    for record_id in record_ids:
        if record_id not in have:
            r.records.append(_record(session, record_id))
            have.add(record_id)
    session.flush()
    return _requirement(r)


@unit_of_work
def unlink_record(session: Session, requirement_id: int, record_id: int) -> RequirementData:
    r = _requirement_row(session, requirement_id)
    r.records = [rec for rec in r.records if rec.id != record_id]
    session.flush()
    return _requirement(r)


@unit_of_work
def reorder_requirements(session: Session, appointment_id: int, requirement_ids: list[int]) -> list[RequirementData]:
    rows = {r.id: r for r in _load_requirements(session, appointment_id)}
    if sorted(requirement_ids) != sorted(rows):
        raise ValidationError("The new order must name every item of this list once.")
    for position, requirement_id in enumerate(requirement_ids, start=1):
        rows[requirement_id].position = position
    session.flush()
    return [_requirement(rows[i]) for i in requirement_ids]


@unit_of_work
def remove_requirement(session: Session, requirement_id: int) -> RequirementData:
    r = _requirement_row(session, requirement_id)
    data = _requirement(r)
    session.delete(r)
    session.flush()
    return data


@unit_of_work
def restore_requirement(session: Session, data: RequirementData) -> RequirementData:
    """Put back an item ``remove_requirement`` returned (undo), with the links to records that still exist."""
    _appointment(session, data.appointment_id)
    row = AppointmentRequirement(appointment_id=data.appointment_id, position=data.position, text=data.text,
                                 done=data.done, note=data.note)
    row.records = [rec for rec in (session.get(Record, i) for i in data.record_ids) if rec is not None]
    session.add(row)
    session.flush()
    return _requirement(row)
