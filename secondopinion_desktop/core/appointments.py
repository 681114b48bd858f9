"""Appointments: the consults, their questions (ordered, answered) and the notes taken there.

Every service takes a ``Session`` or, from the window, the ``DataFolder`` itself (``core.unit``): called with the
folder, a change runs in a transaction of its own and a read (``@reading``) keeps nothing. What the window does
in one step across several calls is one service here (``add_questions``, ``change_question``), and a dialog
checks its input with ``check_appointment`` before the tab stores it. Each ``ValidationError`` names its input
(``field``: the service's own parameter name, ``"starts_at"``, ``"place"``…).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import Appointment, AppointmentNote, AppointmentQuestion, Clinician
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_line, clean_text

EARLIEST = dt.datetime(1990, 1, 1)
MAX_YEARS_AHEAD = 5


@dataclass(frozen=True)
class AppointmentQuestionData:
    id: int
    position: int
    text: str
    answered: bool
    answer: str


@dataclass(frozen=True)
class NoteData:
    id: int
    started_at: dt.datetime
    text: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class AppointmentData:
    id: int
    starts_at: dt.datetime
    clinician_id: int | None
    clinician_name: str  # "Name, MD"
    clinician_specialty: str
    institution: str  # the clinician's facility
    place: str
    purpose: str
    attendees: str
    questions: tuple[AppointmentQuestionData, ...]
    notes: tuple[NoteData, ...]
    follow_up_of_id: int | None = None  # the visit this one follows up (``opinions.carry_forward``)

    def is_upcoming(self, now: dt.datetime | None = None) -> bool:
        return self.starts_at >= (now or dt.datetime.now()).replace(second=0, microsecond=0) - dt.timedelta(hours=2)


def _data(a: Appointment) -> AppointmentData:
    c = a.clinician
    return AppointmentData(
        id=a.id, starts_at=a.starts_at, clinician_id=a.clinician_id,
        clinician_name=(f"{c.name}, {c.credentials}" if c and c.credentials else (c.name if c else "")),
        clinician_specialty=c.specialty if c else "", institution=c.facility.name if c and c.facility else "",
        place=a.place, purpose=a.purpose, attendees=a.attendees,
        questions=tuple(
            AppointmentQuestionData(q.id, q.position, q.text, q.answered, q.answer) for q in a.questions
        ),
        notes=tuple(NoteData(n.id, n.started_at, n.text, n.updated_at) for n in a.notes),
        follow_up_of_id=a.follow_up_of_id,
    )


def parse_datetime(
    value: str | dt.datetime | None, what: str = "appointment time", *, field: str | None = "starts_at"
) -> dt.datetime:
    """``YYYY-MM-DD HH:MM`` (or a datetime); between 1990 and five years from now."""
    if isinstance(value, dt.datetime):
        moment = value.replace(second=0, microsecond=0, tzinfo=None)
    else:
        text = (value or "").strip().replace("T", " ")
        if not text:
            raise ValidationError(f"The {what} is required.", field=field)
        try:
            moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
        except ValueError:
            try:
                moment = dt.datetime.strptime(text, "%Y-%m-%d")
            except ValueError:
                raise ValidationError(
                    f"The {what} {text!r} is not a date and time; write it as YYYY-MM-DD HH:MM.", field=field
                ) from None
    if moment < EARLIEST:
        raise ValidationError(f"The {what} {moment:%Y-%m-%d} is before 1990; please check it.", field=field)
    if moment > dt.datetime.now() + dt.timedelta(days=365 * MAX_YEARS_AHEAD):
        raise ValidationError(f"The {what} {moment:%Y-%m-%d} is too far in the future; please check it.", field=field)
    return moment


def _load(session: Session, appointment_id: int) -> Appointment:
    a = session.get(
        Appointment, appointment_id,
        options=[selectinload(Appointment.questions), selectinload(Appointment.notes)],
    )
    if a is None:
        raise NotFoundError(f"There is no appointment {appointment_id}.")
    return a


def _apply(session: Session, a: Appointment, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "starts_at":
            a.starts_at = parse_datetime(value)
        elif key == "clinician_id":
            if value is not None and session.get(Clinician, value) is None:
                raise NotFoundError(f"There is no clinician {value}.")
            a.clinician_id = value
        elif key == "place":
            a.place = clean_line(value, "place", max_len=300, field=key)
        elif key == "attendees":
            a.attendees = clean_line(value, "who comes along", max_len=300, field=key)
        elif key == "purpose":
            a.purpose = clean_text(value, "purpose", max_len=5000, field=key)
        else:
            raise ValidationError(f"Appointments have no field {key!r}.", field=key)


@reading
def get_appointment(session: Session, appointment_id: int) -> AppointmentData:
    return _data(_load(session, appointment_id))


@reading
def list_appointments(session: Session, now: dt.datetime | None = None) -> list[AppointmentData]:
    """Upcoming appointments first (soonest first), then past ones (most recent first)."""
    rows = session.scalars(
        select(Appointment).options(selectinload(Appointment.questions), selectinload(Appointment.notes))
    )
    items = [_data(a) for a in rows]
    upcoming = sorted((a for a in items if a.is_upcoming(now)), key=lambda a: (a.starts_at, a.id))
    past = sorted((a for a in items if not a.is_upcoming(now)), key=lambda a: (a.starts_at, a.id), reverse=True)
    return upcoming + past


@unit_of_work
def create_appointment(session: Session, starts_at: str | dt.datetime, **fields: Any) -> AppointmentData:
    a = Appointment()
    _apply(session, a, {"starts_at": starts_at, **fields})
    session.add(a)
    session.flush()
    return get_appointment(session, a.id)


@unit_of_work
def update_appointment(session: Session, appointment_id: int, **fields: Any) -> AppointmentData:
    a = _load(session, appointment_id)
    _apply(session, a, fields)
    session.flush()
    return get_appointment(session, appointment_id)


@unit_of_work
def delete_appointment(session: Session, appointment_id: int) -> AppointmentData:
    from secondopinion_desktop.core.opinions import forget_follow_up_links

    a = _load(session, appointment_id)
    data = _data(a)
    forget_follow_up_links(session, appointment_id)
    session.delete(a)
    session.flush()
    return data


@reading
def check_appointment(session: Session, fields: dict[str, Any], appointment_id: int | None = None) -> AppointmentData:
    """Raise the ValidationError (naming its ``field``) that storing ``fields`` would raise — as a new
    appointment, or as a change to ``appointment_id`` — and keep nothing."""
    if appointment_id is None:
        return create_appointment(session, **fields)
    return update_appointment(session, appointment_id, **fields)


# --- questions -----------------------------------------------------------------------------------------------

@unit_of_work
def add_question(session: Session, appointment_id: int, text: str) -> AppointmentQuestionData:
    a = _load(session, appointment_id)
    cleaned = clean_line(text, "question", required=True, max_len=1000, field="text")
    if any(q.text.casefold() == cleaned.casefold() for q in a.questions):
        raise ValidationError(f"“{cleaned}” is already on this appointment's list.", field="text")
    position = max((q.position for q in a.questions), default=0) + 1
    q = AppointmentQuestion(appointment_id=appointment_id, text=cleaned, position=position)
    session.add(q)
    session.flush()
    return AppointmentQuestionData(q.id, q.position, q.text, q.answered, q.answer)


@unit_of_work
def add_questions(session: Session, appointment_id: int, texts: list[str]) -> list[AppointmentQuestionData]:
    """Add several questions in one go: all of them, or (when one is refused) none."""
    return [add_question(session, appointment_id, text) for text in texts]


@unit_of_work
def reorder_questions(session: Session, appointment_id: int, question_ids: list[int]) -> AppointmentData:
    """Put the appointment's questions in this order (every question exactly once)."""
    a = _load(session, appointment_id)
    have = {q.id: q for q in a.questions}
    if sorted(question_ids) != sorted(have):
        raise ValidationError("The new order must name every question of this appointment once.")
    for position, question_id in enumerate(question_ids, start=1):
        have[question_id].position = position
    session.flush()
    session.expire(a, ["questions"])
    return get_appointment(session, appointment_id)


def _question(session: Session, question_id: int) -> AppointmentQuestion:
    q = session.get(AppointmentQuestion, question_id)
    if q is None:
        raise NotFoundError(f"There is no question {question_id} on an appointment.")
    return q


@unit_of_work
def answer_question(
    session: Session, question_id: int, answer: str | None = None, answered: bool | None = None
) -> AppointmentQuestionData:
    """Type the answer and/or mark the question answered (typing an answer marks it answered)."""
    q = _question(session, question_id)
    if answer is not None:
        q.answer = clean_text(answer, "answer", max_len=100_000, field="answer")
        if answered is None and q.answer.strip():
            q.answered = True
    if answered is not None:
        q.answered = bool(answered)
    session.flush()
    return AppointmentQuestionData(q.id, q.position, q.text, q.answered, q.answer)


@unit_of_work
def edit_question(session: Session, question_id: int, text: str) -> AppointmentQuestionData:
    q = _question(session, question_id)
    q.text = clean_line(text, "question", required=True, max_len=1000, field="text")
    session.flush()
    return AppointmentQuestionData(q.id, q.position, q.text, q.answered, q.answer)


@unit_of_work
def change_question(
    session: Session, question_id: int, *, text: str | None = None, answered: bool | None = None
) -> AppointmentQuestionData:
    """Reword a question and/or tick it answered (or not), in one step; what is None stays."""
    q = _question(session, question_id)
    saved = AppointmentQuestionData(q.id, q.position, q.text, q.answered, q.answer)
    if text is not None and text != q.text:
        saved = edit_question(session, question_id, text)
    if answered is not None and answered != q.answered:
        saved = answer_question(session, question_id, answered=answered)
    return saved


@unit_of_work
def remove_question(session: Session, question_id: int) -> AppointmentQuestionData:
    q = _question(session, question_id)
    data = AppointmentQuestionData(q.id, q.position, q.text, q.answered, q.answer)
    session.delete(q)
    session.flush()
    return data


# --- notes ---------------------------------------------------------------------------------------------------

@unit_of_work
def start_note(
    session: Session, appointment_id: int, started_at: dt.datetime | None = None, text: str = ""
) -> NoteData:
    _load(session, appointment_id)
    note = AppointmentNote(
        appointment_id=appointment_id,
        started_at=(started_at or dt.datetime.now()).replace(microsecond=0, tzinfo=None),
        text=clean_text(text, "note", field="text"),
    )
    session.add(note)
    session.flush()
    return NoteData(note.id, note.started_at, note.text, note.updated_at)


@unit_of_work
def save_note(session: Session, note_id: int, text: str) -> NoteData:
    """Store the note's whole text (called every second or two while typing)."""
    note = session.get(AppointmentNote, note_id)
    if note is None:
        raise NotFoundError(f"There is no note {note_id}.")
    note.text = clean_text(text, "note", field="text")
    session.flush()
    return NoteData(note.id, note.started_at, note.text, note.updated_at)


@unit_of_work
def delete_note(session: Session, note_id: int) -> None:
    note = session.get(AppointmentNote, note_id)
    if note is None:
        raise NotFoundError(f"There is no note {note_id}.")
    session.delete(note)
    session.flush()
