"""What the Appointments tab says about one appointment: the details above its questions and notes, and the
question asked before deleting it."""

from __future__ import annotations

from html import escape

from secondopinion_desktop.core.appointments import AppointmentData
from secondopinion_desktop.core.words import clock_24, long_date, plural
from secondopinion_desktop.ui.appointments.model import PAST_COLOUR, appointment_title, relative_day


def details_html(a: AppointmentData | None, *, folder_open: bool, any_appointments: bool) -> str:
    """When (and how far away), the doctor, the place, the purpose, who comes along; or what to do."""
    if not folder_open:
        return "<p>Opening your data folder…</p>"
    if a is None:
        if any_appointments:
            return "<p>Choose an appointment on the left.</p>"
        return (
            "<h3>No appointments yet</h3><p>Add the consult you are preparing for with "
            "<b>New appointment…</b> (Ctrl+N): when and where it is and with whom. Then collect the "
            "questions you want answered and take notes during the visit.</p>"
        )

    def row(label: str, value: str) -> str:
        return (f"<tr><td style='padding-right:12px; color:{PAST_COLOUR}; white-space:nowrap'>{label}</td>"
                f"<td>{value}</td></tr>")

    doctor = escape(a.clinician_name) if a.clinician_name else "<i>not chosen</i>"
    extra = ", ".join(escape(p) for p in (a.clinician_specialty, a.institution) if p)
    if extra:
        doctor += f" — {extra}"
    rows = [row("Doctor", doctor)]
    if a.place:
        rows.append(row("Place", escape(a.place)))
    if a.purpose:
        rows.append(row("Purpose", escape(a.purpose).replace("\n", "<br>")))
    if a.attendees:
        rows.append(row("Coming along", escape(a.attendees)))
    when = f"{escape(long_date(a.starts_at))}, {escape(clock_24(a.starts_at))}"
    return (
        f"<div style='font-size:large; font-weight:bold'>{when}"
        f" <span style='font-weight:normal; color:{PAST_COLOUR}'>({relative_day(a.starts_at)})</span></div>"
        f"<table cellspacing='2' style='margin-top:4px'>{''.join(rows)}</table>"
    )


def deletion_question(a: AppointmentData) -> str:
    """``Delete the appointment on …? Its 7 questions (2 answered) and 1 note go with it. …``"""
    questions = len(a.questions)
    answered = sum(q.answered for q in a.questions)
    notes = len(a.notes)
    parts = []
    if questions:
        parts.append(plural(questions, "question") + (f" ({answered} answered)" if answered else ""))
    if notes:
        parts.append(plural(notes, "note"))
    if not parts:
        return f"Delete the appointment on {appointment_title(a)}?\n\nIt has no questions or notes.\n\n" \
               "This cannot be undone."
    goes = " and ".join(parts) + (" go" if questions + notes > 1 else " goes") + " with it."
    return f"Delete the appointment on {appointment_title(a)}?\n\nIts {goes}\n\nThis cannot be undone."
