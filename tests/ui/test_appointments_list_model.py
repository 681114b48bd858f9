"""The appointments list model on its own (no view): headings, order, roles, flags, look-ups."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, Qt

from secondopinion_desktop.core.appointments import AppointmentData, AppointmentQuestionData, NoteData
from secondopinion_desktop.ui.appointments.model import (
    APPOINTMENT_ID_ROLE,
    APPOINTMENT_ROLE,
    HEADING_ROLE,
    PAST_COLOUR,
    PAST_ROLE,
    AppointmentsModel,
    relative_day,
)

NOW = dt.datetime(2026, 11, 26, 12, 0)


def appointment(appointment_id: int, starts_at: dt.datetime, doctor: str = "", place: str = "",
                institution: str = "", questions: int = 0, answered: int = 0, notes: int = 0) -> AppointmentData:
    return AppointmentData(
        appointment_id, starts_at, None, doctor, "", institution, place, "", "",
        tuple(AppointmentQuestionData(n, n, f"Q{n}?", n < answered, "") for n in range(questions)),
        tuple(NoteData(n, starts_at, "", starts_at) for n in range(notes)),
    )


SOON = appointment(1, dt.datetime(2026, 12, 8, 9, 30), "Avery Example-Stone, MD", "Suite 300", questions=7,
                   answered=2, notes=1)
LATER = appointment(2, dt.datetime(2026, 12, 20, 14, 0), institution="Example Hospital")
PAST = appointment(3, dt.datetime(2026, 10, 1, 8, 15), "Pat Example, MD", questions=1, notes=1)


def texts(model: AppointmentsModel) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_upcoming_and_past_under_headings_that_cannot_be_selected(qapp) -> None:
    model = AppointmentsModel()
    model.set_appointments([SOON, LATER, PAST], now=NOW)
    assert model.rowCount() == 5
    assert [model.index(r, 0).data(HEADING_ROLE) for r in range(5)] == [True, False, False, True, False]
    assert texts(model)[0] == "Upcoming" and texts(model)[3] == "Past"
    assert model.index(0, 0).flags() == Qt.ItemFlag.NoItemFlags
    assert model.index(1, 0).flags() & Qt.ItemFlag.ItemIsSelectable
    assert model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole) == "Upcoming appointments"
    assert model.ids() == [1, 2, 3]
    assert [model.row_of(i) for i in (1, 2, 3, 99)] == [1, 2, 4, -1]
    assert model.appointment_at(4) == PAST and model.appointment_at(0) is None
    assert model.index(4, 0).data(APPOINTMENT_ROLE) == PAST and model.index(4, 0).data(APPOINTMENT_ID_ROLE) == 3


def test_no_headings_when_all_are_upcoming(qapp) -> None:
    model = AppointmentsModel()
    model.set_appointments([SOON, LATER], now=NOW)
    assert model.ids() == [1, 2] and model.rowCount() == 2
    assert not any(model.index(r, 0).data(HEADING_ROLE) for r in range(2))
    model.set_appointments([], now=NOW)
    assert model.rowCount() == 0 and model.ids() == []


def test_three_lines_a_tooltip_and_past_ones_grey(qapp) -> None:
    model = AppointmentsModel()
    model.set_appointments([SOON, LATER, PAST], now=NOW)
    soon = model.index(1, 0)
    assert soon.data().splitlines() == ["Tue 8 Dec 2026, 09:30  ·  in 12 days", "Avery Example-Stone, MD", "Suite 300"]
    assert model.index(2, 0).data().splitlines()[1:] == ["No doctor chosen", "Example Hospital"]
    assert soon.data(Qt.ItemDataRole.ToolTipRole).endswith("7 questions (2 answered), 1 note")
    assert model.index(4, 0).data(Qt.ItemDataRole.ToolTipRole).endswith("1 question (0 answered), 1 note")
    assert soon.data(PAST_ROLE) is False and model.index(4, 0).data(PAST_ROLE) is True
    assert soon.data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.index(4, 0).data(Qt.ItemDataRole.ForegroundRole).color().name() == PAST_COLOUR
    assert model.index(4, 0).data(Qt.ItemDataRole.AccessibleTextRole).endswith("(past)")
    assert model.index(9, 0).data() is None and model.rowCount(model.index(1, 0)) == 0
    assert model.rowCount(QModelIndex()) == 5


def test_relative_day_words() -> None:
    assert [relative_day(NOW + dt.timedelta(days=d), NOW) for d in (0, 1, -1, 12, -3)] == [
        "today", "tomorrow", "yesterday", "in 12 days", "3 days ago"]
