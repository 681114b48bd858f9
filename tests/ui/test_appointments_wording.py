"""Counts in the Appointments tab read right in the singular: "1 question", "1 note"."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab


def test_an_appointment_with_one_question_and_one_note_says_so_in_the_singular(qtbot, folder) -> None:
    with folder.session() as s:
        made = svc.create_appointment(s, dt.datetime.now() + dt.timedelta(days=3))
        svc.add_question(s, made.id, "What would you recommend?")
        svc.start_note(s, made.id, text="x")
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.set_folder(folder)
    tip = tab.list.currentIndex().data(Qt.ItemDataRole.ToolTipRole)
    assert tip.endswith("\n1 question (0 answered), 1 note")
    tab.shutdown()
