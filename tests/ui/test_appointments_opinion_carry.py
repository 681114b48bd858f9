"""Carry unanswered questions forward, from the button beside a past appointment's details."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QPushButton

from secondopinion_desktop.core import appointments as appts
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab

QUESTIONS = ["Is surgery needed?", "Which trial would suit me?", "How long is recovery?", "Can I keep working?"]


@pytest.fixture
def past(folder) -> int:
    a = appts.create_appointment(folder, "2026-01-10 09:30", place="Main campus")
    appts.add_questions(folder, a.id, QUESTIONS)
    first = appts.get_appointment(folder, a.id).questions[0]
    appts.answer_question(folder, first.id, answer="Yes, a lumpectomy.")
    return a.id


@pytest.fixture
def tab(qtbot, folder, past):
    made = AppointmentsTab()
    qtbot.addWidget(made)
    made.resize(1280, 760)
    made.set_folder(folder)
    made.show()
    qtbot.waitExposed(made)
    made.select_appointment(past)
    yield made
    made.shutdown()


def click(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_to_a_visit_already_planned_each_question_once(qtbot, tab, folder, past) -> None:
    later = appts.create_appointment(folder, "2027-01-05 10:00", place="Main campus")
    appts.add_questions(folder, later.id, ["which trial would suit me?"])
    tab.reload(select=past)
    assert tab.carry_button.isEnabled()
    def choose(dialog: QDialog) -> None:
        intro = dialog.findChild(QLabel, "carryIntro").text()
        assert "Is surgery needed?" not in intro and "Can I keep working?" in intro
        assert dialog.existing_radio.isChecked(), "a planned later visit is offered first"
        dialog.target_combo.setCurrentIndex(dialog.target_combo.findData(later.id))
        click(qtbot, dialog.findChild(QPushButton, "okButton"))

    errors = on_next_dialog(choose)
    click(qtbot, tab.carry_button)
    assert errors == []
    assert tab.current_appointment_id() == later.id
    assert tab.last_notice == "2 questions carried to the visit on 2027-01-05; 1 was already there."
    assert [q.text for q in appts.get_appointment(folder, later.id).questions] == [
        "which trial would suit me?", "How long is recovery?", "Can I keep working?"]
    assert appts.get_appointment(folder, later.id).follow_up_of_id == past
    assert tab.work_tabs.currentWidget() is tab.work_splitter, "the questions are in sight"


def test_to_a_new_follow_up_visit(qtbot, tab, folder, past) -> None:
    def new_visit(dialog: QDialog) -> None:
        assert not dialog.existing_radio.isEnabled(), "there is no later appointment"
        assert dialog.new_radio.isChecked()
        dialog.when_edit.setFocus()
        qtbot.keyClicks(dialog.when_edit, "2027-02-03 14:30")
        click(qtbot, dialog.findChild(QPushButton, "okButton"))

    errors = on_next_dialog(new_visit)
    click(qtbot, tab.carry_button)
    assert errors == []
    made = appts.get_appointment(folder, tab.current_appointment_id())
    assert made.id != past and made.starts_at == dt.datetime(2027, 2, 3, 14, 30)
    assert [q.text for q in made.questions] == QUESTIONS[1:]
    assert tab.last_notice == "3 questions carried to the new follow-up visit on 2027-02-03."
    assert len(appts.list_appointments(folder)) == 2


def test_no_date_for_the_new_visit_is_refused_in_the_dialog(qtbot, tab, folder) -> None:
    seen: dict[str, object] = {}

    def no_date(dialog: QDialog) -> None:
        click(qtbot, dialog.findChild(QPushButton, "okButton"))
        qtbot.waitUntil(dialog.error_label.isVisible, timeout=10_000)
        seen.update(open=dialog.isVisible(), text=dialog.error_label.text())
        dialog.reject()

    errors = on_next_dialog(no_date)
    click(qtbot, tab.carry_button)
    assert errors == []
    assert seen["open"] and "date and time" in str(seen["text"])
    assert len(appts.list_appointments(folder)) == 1


def test_only_a_past_visit_with_open_questions_carries_forward(qtbot, tab, folder, past) -> None:
    coming = appts.create_appointment(folder, dt.datetime.now() + dt.timedelta(days=20))
    appts.add_questions(folder, coming.id, ["Anything?"])
    tab.reload(select=coming.id)
    assert not tab.carry_button.isEnabled(), "an upcoming visit has its questions still to ask"
    for q in appts.get_appointment(folder, past).questions:
        appts.answer_question(folder, q.id, answered=True)
    tab.reload(select=past)
    assert not tab.carry_button.isEnabled(), "every question answered"
