"""One appointment on paper: when, with whom, who came along, the questions with their answers, and the notes
(each with the time it was started)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from secondopinion_desktop.core.appointments import get_appointment
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.directory import list_clinicians
from secondopinion_desktop.core.profile import get_profile
from secondopinion_desktop.core.progress import CancelCheck, check


def _with_heading(heading: Any, flowables: list[Any]) -> list[Any]:
    """The heading kept on one page with what it heads, up to the first block of text (a note's "Note started"
    line comes with the note's first paragraph), so a heading never ends a page."""
    from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph

    rest = list(flowables)
    while rest and isinstance(rest[0], CondPageBreak):  # keeping together does what that break was for
        rest.pop(0)
    first: list[Any] = []
    while rest:
        flowable = rest.pop(0)
        first.append(flowable)
        if not (isinstance(flowable, Paragraph) and flowable.style.name == "h3"):  # a sub-heading: one more
            break
    return [KeepTogether([heading, *first]), *rest]


def export_notes_pdf(folder: DataFolder, appointment_id: int, out: Path,
                     cancelled: CancelCheck | None = None) -> Path:
    """Write the appointment's sheet to ``out`` (whole or not at all). ``cancelled()`` is checked before the
    work, after every paragraph, table or note laid out, and before the file is written: Cancelled then, with
    nothing at ``out``."""
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph

    from secondopinion_desktop.core.packet import story as st
    from secondopinion_desktop.core.packet.build import check_destination, footer_left, write_atomically
    from secondopinion_desktop.core.packet.data import PacketData
    from secondopinion_desktop.core.packet.text import binary_streams, para, plain, register_fonts

    out = Path(out).expanduser().absolute()
    check_destination(out)
    check(cancelled)
    with folder.session() as session:
        appointment = get_appointment(session, appointment_id)  # NotFoundError when there is none
        profile = get_profile(session)
        doctor = next((c for c in list_clinicians(session) if c.id == appointment.clinician_id), None)
    data = PacketData(
        today=appointment.starts_at.date(), profile=profile, appointment=appointment, doctor=doctor,
        clinicians=(), treatments=(), records=(), all_records=(), findings=(), facilities={},
    )
    register_fonts()
    s = st._styles()
    w = st.GEOMETRY.width
    name = plain(profile.name) or "Patient"
    story = [
        st.Heading("Appointment", s["h1"], 0, toc=False),
        Paragraph(f"{para(profile.name) or 'Patient'} \u00b7 born {st.human_date(profile.date_of_birth)}",
                  s["muted"]),
        st._pairs([
            ("Date and time", st.human_datetime(appointment.starts_at)),
            ("Doctor", appointment.clinician_name + (f" ({appointment.clinician_specialty})"
                                                     if appointment.clinician_specialty else "")),
            ("Institution", appointment.institution),
            ("Place", appointment.place),
            ("Who came along", appointment.attendees),
            ("Purpose", appointment.purpose),
        ], s, (1.4 * inch, w - 1.4 * inch)),
    ]
    story += _with_heading(st.Heading("Questions", s["h2"], 0, toc=False),
                           st.question_flowables(appointment.questions, s) or [Paragraph("No questions.", s["muted"])])
    story += _with_heading(st.Heading("Notes", s["h2"], 0, toc=False),
                           st.note_flowables(appointment.notes, s) or [Paragraph("No notes taken.", s["muted"])])

    buf = io.BytesIO()
    title = f"Appointment notes \u2014 {name} \u2014 {appointment.starts_at:%Y-%m-%d}"
    doc = st.PacketDoc(buf, st.Marks(), title=title, author=name, subject="Notes from a medical appointment",
                       creator="Second Opinion")
    laid_out = doc.afterFlowable

    def after_flowable(flowable: Any) -> None:  # the cheap place to stop: between the parts of the sheet
        laid_out(flowable)
        check(cancelled)

    doc.afterFlowable = after_flowable  # type: ignore[method-assign]
    with binary_streams():
        doc.build(story, canvasmaker=st.footer_canvas(st.Footer(footer_left(data))))
    check(cancelled)
    write_atomically(out, lambda fh: fh.write(buf.getvalue()))
    return out
