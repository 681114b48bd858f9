"""What the Appointments tab says about one appointment: the details above its questions and notes (with the
Build packet and Export notes buttons beside them), a warning above the details when the pathology material
has not reached the consultant, a records request is overdue or material is due back
(``core.readiness.appointment_warnings``), and the question asked before deleting it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from secondopinion_desktop.core.appointments import AppointmentData
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.readiness import appointment_warnings
from secondopinion_desktop.core.words import clock_24, long_date, plural
from secondopinion_desktop.ui.appointments.model import PAST_COLOUR, appointment_title, relative_day

WARNING_COLOUR = "#8a1c1c"  # dark red text on a pale amber band: readable, and the words say it too
WARNING_BACKGROUND = "#fff3d6"
WARNING_BORDER = "#d9a441"


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


def warnings_html(warnings: Sequence[str]) -> str:
    """``Before this appointment:`` and each warning on a line of its own (empty when there is none)."""
    if not warnings:
        return ""
    lines = "".join(f"<br>\u2022 {escape(w)}" for w in warnings)
    return f"<b>Before this appointment:</b>{lines}"


def deletion_question(a: AppointmentData, *, opinion: bool = False, follow_ups: int = 0,
                      requirements: int = 0) -> str:
    """``Delete the appointment on …? Its 7 questions (2 answered), 1 note, the second opinion written down
    (with 2 follow-up questions) and the center's list of 4 items go with it. …``"""
    questions = len(a.questions)
    answered = sum(q.answered for q in a.questions)
    notes = len(a.notes)
    parts = []
    if questions:
        parts.append(plural(questions, "question") + (f" ({answered} answered)" if answered else ""))
    if notes:
        parts.append(plural(notes, "note"))
    if opinion:
        parts.append("the second opinion written down" +
                     (f" (with {plural(follow_ups, 'follow-up question')})" if follow_ups else ""))
    if requirements:
        parts.append(f"the center's list of {plural(requirements, 'item')}")
    if not parts:
        return f"Delete the appointment on {appointment_title(a)}?\n\nIt has no questions or notes.\n\n" \
               "This cannot be undone."
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    many = len(parts) > 1 or questions + notes > 1
    goes = listed + (" go" if many else " goes") + " with it."
    return f"Delete the appointment on {appointment_title(a)}?\n\nIts {goes}\n\nThis cannot be undone."


class DetailsPane(QWidget):
    """The details (selectable text that scrolls when long, below the warning when there is one) and, beside
    them, the two buttons; the tab connects the buttons and shows an appointment with ``show_appointment``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.warning = QLabel()
        self.warning.setObjectName("appointmentWarning")
        self.warning.setAccessibleName("Warning before this appointment")
        self.warning.setTextFormat(Qt.TextFormat.RichText)
        self.warning.setWordWrap(True)
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.warning.setStyleSheet(
            f"QLabel#appointmentWarning {{ color: {WARNING_COLOUR}; background: {WARNING_BACKGROUND}; "
            f"border: 1px solid {WARNING_BORDER}; border-radius: 3px; padding: 4px 6px; }}")
        self.warning.hide()
        self.label = QLabel()
        self.label.setObjectName("appointmentDetails")
        self.label.setAccessibleName("Appointment details")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.label.setContentsMargins(8, 6, 8, 6)
        scroll = QScrollArea()
        scroll.setObjectName("detailsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.StyledPanel)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        inside = QWidget()
        column = QVBoxLayout(inside)
        column.setContentsMargins(4, 4, 4, 0)
        column.setSpacing(2)
        column.addWidget(self.warning)
        column.addWidget(self.label, 1)
        scroll.setWidget(inside)
        scroll.setBackgroundRole(QPalette.ColorRole.Base)

        self.packet_button = QPushButton("&Build packet…")
        self.packet_button.setObjectName("buildPacketButton")
        self.packet_button.setAccessibleName("Build the packet for this appointment")
        self.packet_button.setToolTip("Put together the PDF packet to send or bring to this doctor")
        self.export_button = QPushButton("E&xport notes to PDF…")
        self.export_button.setObjectName("exportNotesButton")
        self.export_button.setAccessibleName("Export this appointment's questions, answers and notes to PDF")
        self.carry_button = QPushButton("&Carry questions forward…")
        self.carry_button.setObjectName("carryForwardButton")
        self.carry_button.setAccessibleName("Carry the unanswered questions forward to a follow-up visit")
        self.carry_button.setToolTip("Copy the questions not answered at this visit to a follow-up appointment")
        buttons = QVBoxLayout()
        buttons.addWidget(self.packet_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.carry_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    def show_warnings(self, warnings: Sequence[str]) -> None:
        self.warning.setText(warnings_html(warnings))
        self.warning.setVisible(bool(warnings))

    def show_appointment(self, folder: DataFolder | None, a: AppointmentData | None, *, any_appointments: bool,
                         today: dt.date | None = None) -> None:
        """The details of ``a`` (or what to do without one), and its warnings read from ``folder``."""
        self.label.setText(details_html(a, folder_open=folder is not None, any_appointments=any_appointments))
        warnings: tuple[str, ...] = ()
        if folder is not None and a is not None:
            try:
                warnings = appointment_warnings(folder, a.id, today)
            except SecondOpinionError:  # deleted meanwhile: the tab reloads on the change
                warnings = ()
        self.show_warnings(warnings)
