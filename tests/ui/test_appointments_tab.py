"""The Appointments tab driven through its real widgets: the list, the dialogs, questions, answers and notes."""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLineEdit, QMessageBox, QWidget

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core import directory, profile, treatments
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import ClinicianRole, TreatmentKind
from secondopinion_desktop.core.words import long_date, started_text
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab
from secondopinion_desktop.ui.events import Changes, notice, requests

DEMO_QUESTIONS = [
    "Do you agree with my diagnosis and the stage?",
    "Would your pathologists review my biopsy slides?",
    "Do I need more tests before deciding on treatment?",
    "What treatment would you recommend, and why?",
    "Should chemotherapy come before or after surgery in my case?",
    "Is there a clinical trial that might suit me?",
    "Can my care be coordinated with my doctors near home?",
]


def make_tab(qtbot, folder) -> AppointmentsTab:
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 760)
    tab.set_folder(folder)
    tab.show()
    qtbot.waitExposed(tab)
    return tab


@pytest.fixture
def tab(qtbot, folder):
    made = make_tab(qtbot, folder)
    yield made
    made.shutdown()


@pytest.fixture
def demo_tab(qtbot, demo_folder):
    made = make_tab(qtbot, demo_folder)
    yield made
    made.shutdown()


def stored(folder, appointment_id: int) -> svc.AppointmentData:
    with folder.session() as s:
        return svc.get_appointment(s, appointment_id)


def only_appointment(folder) -> svc.AppointmentData:
    with folder.session() as s:
        [a] = svc.list_appointments(s)
    return a


def list_texts(tab: AppointmentsTab) -> list[str]:
    return [tab.list.model().index(r, 0).data() for r in range(tab.list.count())]


def question_texts(tab: AppointmentsTab) -> list[str]:
    return [tab.questions.list.model().index(r, 0).data() for r in range(tab.questions.list.count())]


def check_state(view, row: int) -> Qt.CheckState:
    return Qt.CheckState(view.model().index(row, 0).data(Qt.ItemDataRole.CheckStateRole))


def table_cells(table, row: int) -> list[str]:
    return [table.model().index(row, c).data() for c in range(table.model().columnCount())]


def focus(qtbot, widget: QWidget) -> None:
    """Give ``widget`` the keyboard focus in an active window (a closed dialog may leave no window active)."""
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=2000)


def type_datetime(qtbot, dialog: QDialog, moment: dt.datetime) -> None:
    edit = dialog.when_edit
    edit.setFocus()
    qtbot.keyClicks(edit, f"{moment:%Y-%m-%d %H:%M}")


# --- the list and the details ---------------------------------------------------------------------------------

def test_demo_appointment_is_listed_first_with_its_seven_questions(qtbot, demo_tab, demo_folder, screenshot) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    assert tab.listed_ids() == [demo.id]
    assert tab.current_appointment_id() == demo.id
    assert question_texts(tab) == DEMO_QUESTIONS
    assert all(check_state(tab.questions.list, r) == Qt.CheckState.Unchecked for r in range(7))
    assert "0 of 7 answered" in tab.questions.title.text()
    first = list_texts(tab)[0].splitlines()
    assert first[0].startswith(f"{demo.starts_at:%a} {demo.starts_at.day} {demo.starts_at:%b %Y}, 09:30")
    assert first[0].endswith("·  in 12 days")
    assert first[1] == "Avery Example-Stone, MD"
    assert first[2].startswith("Example University Cancer Center")
    details = tab.details.text()
    for words in ("Avery Example-Stone, MD", "Medical oncology (breast cancer)", "Suite 300",
                  "Second opinion on the diagnosis", "Jamie Sample (spouse)", "09:30"):
        assert words in details
    assert tab.packet_button.isEnabled() and tab.export_button.isEnabled()
    assert tab.notes.editor.isEnabled() and tab.notes.editor.toPlainText() == ""
    tab.questions.list.setCurrentRow(3)
    assert "What treatment would you recommend" in tab.questions.answer_label.text()
    screenshot(tab, "appointments-tab-demo")


def test_empty_folder_says_what_to_do(qtbot, tab, screenshot) -> None:
    assert tab.list.count() == 0
    assert "No appointments yet" in tab.details.text()
    assert not tab.notes.editor.isEnabled()
    assert not tab.questions.new_edit.isEnabled()
    assert not tab.packet_button.isEnabled()
    assert tab.new_action.isEnabled()
    screenshot(tab, "appointments-tab-empty")


def test_add_appointments_through_the_dialog_in_date_order(qtbot, demo_tab, demo_folder, screenshot) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    sooner = (dt.datetime.now() + dt.timedelta(days=5)).replace(hour=14, minute=30, second=0, microsecond=0)
    earlier = (dt.datetime.now() - dt.timedelta(days=20)).replace(hour=8, minute=15, second=0, microsecond=0)

    def fill(when: dt.datetime, doctor: str, place: str, shot: str | None = None):
        def handler(dialog: QDialog) -> None:
            type_datetime(qtbot, dialog, when)
            assert dialog.when_edit.value() == when
            assert dialog.weekday_label.text() == long_date(when)
            combo = dialog.findChild(QComboBox, "clinicianCombo")
            combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemText(i).startswith(doctor)))
            qtbot.keyClicks(dialog.findChild(QLineEdit, "placeEdit"), place)
            qtbot.keyClicks(dialog.purpose_edit, "Surgical consult")
            qtbot.keyClicks(dialog.findChild(QLineEdit, "attendeesEdit"), "Jamie")
            if shot:
                screenshot(dialog, shot)
            qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
        return handler

    tab.list.setFocus()
    errors = on_next_dialog(fill(sooner, "Morgan Example", "Samplewood Community Hospital, Clinic B",
                                 "appointment-dialog"))
    qtbot.keyClick(tab.list, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # Ctrl+N, as in Records
    assert errors == []
    errors = on_next_dialog(fill(earlier, "Pat Example", "Family practice"))
    tab.new_appointment()
    assert errors == []

    with demo_folder.session() as s:
        listed = svc.list_appointments(s)
    assert [a.starts_at for a in listed] == [sooner, demo.starts_at, earlier]
    assert tab.listed_ids() == [a.id for a in listed]
    assert list_texts(tab)[0] == "Upcoming" and list_texts(tab)[3] == "Past"  # heading rows
    assert not tab.list.model().index(3, 0).flags() & Qt.ItemFlag.ItemIsSelectable
    new = listed[0]
    assert (new.clinician_name, new.place, new.purpose, new.attendees) == (
        "Morgan Example, MD, FACS", "Samplewood Community Hospital, Clinic B", "Surgical consult", "Jamie")
    assert tab.current_appointment_id() == listed[2].id  # the one just added is selected
    past = tab.list.model().index(tab.list.count() - 1, 0).data(Qt.ItemDataRole.ForegroundRole)
    upcoming = tab.list.model().index(1, 0).data(Qt.ItemDataRole.ForegroundRole)
    upcoming_colour = upcoming.color() if upcoming is not None else tab.list.palette().text().color()
    assert past is not None and past.color().name() != upcoming_colour.name()
    screenshot(tab, "appointments-tab-three")

    # the keyboard skips the headings
    focus(qtbot, tab.list)
    qtbot.keyClick(tab.list, Qt.Key.Key_Up)
    assert tab.current_appointment_id() == demo.id
    qtbot.keyClick(tab.list, Qt.Key.Key_Home)
    assert tab.current_appointment_id() == listed[0].id
    tab.set_folder(demo_folder)  # the window refreshes: the selection stays
    assert tab.current_appointment_id() == listed[0].id

    # edit: move the soon one after the demo appointment
    tab.select_appointment(new.id)
    later = demo.starts_at + dt.timedelta(days=2)

    def move(dialog: QDialog) -> None:
        assert dialog.when_edit.value() == sooner
        dialog.when_edit.set_value(later)
        dialog.accept()

    errors = on_next_dialog(move)
    tab.edit_appointment()
    assert errors == []
    assert stored(demo_folder, new.id).starts_at == later
    assert tab.listed_ids()[:2] == [demo.id, new.id]


def test_bad_input_keeps_the_dialog_open_with_a_message(qtbot, tab, folder) -> None:
    seen: dict[str, object] = {}

    def handler(dialog: QDialog) -> None:
        assert dialog.when_edit.text() == dialog.when_edit.HINT
        dialog.accept()  # no date chosen
        seen["none"] = dialog.error_label.text()
        seen["open"] = dialog.isVisible()
        seen["focus"] = dialog.focusWidget() is dialog.when_edit
        type_datetime(qtbot, dialog, dt.datetime(1850, 3, 4, 10, 0))
        assert dialog.when_edit.value() == dt.datetime(1850, 3, 4, 10, 0)
        dialog.accept()
        seen["1850"] = dialog.error_label.text()
        seen["still open"] = dialog.isVisible()
        dialog.reject()

    errors = on_next_dialog(handler)
    assert tab.new_appointment() is None
    assert errors == []
    assert "appointment time is required" in str(seen["none"])
    assert seen["open"] is True and seen["still open"] is True and seen["focus"] is True
    assert "1850-03-04 is before 1990" in str(seen["1850"])
    with folder.session() as s:
        assert svc.list_appointments(s) == []


def test_new_clinician_from_the_appointment_dialog(qtbot, tab, folder) -> None:
    when = (dt.datetime.now() + dt.timedelta(days=3)).replace(hour=11, minute=0, second=0, microsecond=0)

    def handler(dialog: QDialog) -> None:
        def clinician(inner: QDialog) -> None:
            qtbot.keyClicks(inner.name_edit, "Robin Newdoc")
            qtbot.keyClicks(inner.credentials_edit, "MD")
            inner.specialty_combo.setCurrentIndex(inner.specialty_combo.findText("Surgical oncology"))
            qtbot.keyClicks(inner.facility_combo.lineEdit(), "Harbor Cancer Institute")
            inner.accept()

        inner_errors = on_next_dialog(clinician)
        dialog.new_clinician_button.click()
        assert inner_errors == []
        assert dialog.clinician_combo.currentText().startswith("Robin Newdoc, MD — Surgical oncology")
        assert "Harbor Cancer Institute" in dialog.place_edit.placeholderText()
        dialog.when_edit.set_value(when)
        dialog.accept()

    errors = on_next_dialog(handler)
    tab.new_appointment()
    assert errors == []
    a = only_appointment(folder)
    assert (a.clinician_name, a.clinician_specialty, a.institution) == (
        "Robin Newdoc, MD", "Surgical oncology", "Harbor Cancer Institute")
    with folder.session() as s:
        assert directory.list_clinicians(s)[0].role is ClinicianRole.SECOND_OPINION


# --- questions ------------------------------------------------------------------------------------------------

def test_reorder_questions_by_drag_and_by_keyboard_is_stored(qtbot, demo_tab, demo_folder) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    model = tab.questions.list.model()
    # what QListWidget's drop does for an internal move: the first question dropped below the fourth
    assert model.moveRow(QModelIndex(), 0, QModelIndex(), 4)
    expected = DEMO_QUESTIONS[1:4] + DEMO_QUESTIONS[:1] + DEMO_QUESTIONS[4:]
    assert question_texts(tab) == expected
    assert [q.text for q in stored(demo_folder, demo.id).questions] == expected

    tab.questions.list.setFocus()
    tab.questions.list.setCurrentRow(6)
    qtbot.keyClick(tab.questions.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    expected = expected[:5] + [expected[6], expected[5]]
    assert question_texts(tab) == expected
    assert tab.questions.list.currentRow() == 5
    assert [q.text for q in stored(demo_folder, demo.id).questions] == expected

    again = make_tab(qtbot, demo_folder)  # a restart shows the stored order
    assert question_texts(again) == expected
    again.shutdown()


def test_mark_answered_and_type_an_answer(qtbot, demo_tab, demo_folder) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    questions = tab.questions
    questions.list.setFocus()
    questions.list.setCurrentRow(1)
    qtbot.keyClick(questions.list, Qt.Key.Key_Space)  # the check box of the current question
    assert check_state(questions.list, 1) == Qt.CheckState.Checked
    assert [q.answered for q in stored(demo_folder, demo.id).questions][:3] == [False, True, False]
    assert "1 of 7 answered" in questions.title.text()

    questions.list.setCurrentRow(3)
    questions.answer_edit.setFocus()
    qtbot.keyClicks(questions.answer_edit, "Surgery first, then maybe chemo.")
    qtbot.waitUntil(
        lambda: stored(demo_folder, demo.id).questions[3].answer == "Surgery first, then maybe chemo.", timeout=5000
    )
    assert stored(demo_folder, demo.id).questions[3].answered  # typing an answer marks it answered
    assert check_state(questions.list, 3) == Qt.CheckState.Checked
    # more typing, then moving to another question at once: saved on leaving
    qtbot.keyClicks(questions.answer_edit, " Ask about Oncotype.")
    questions.list.setCurrentRow(0)
    assert stored(demo_folder, demo.id).questions[3].answer.endswith("Ask about Oncotype.")
    assert questions.answer_edit.toPlainText() == ""
    questions.list.setCurrentRow(3)
    assert questions.answer_edit.toPlainText() == "Surgery first, then maybe chemo. Ask about Oncotype."

    # untick: stays unticked although it has an answer
    questions.list.setFocus()
    qtbot.keyClick(questions.list, Qt.Key.Key_Space)
    assert not stored(demo_folder, demo.id).questions[3].answered


def test_add_own_question_and_from_the_bank_then_remove(qtbot, demo_tab, demo_folder, screenshot, monkeypatch) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    from secondopinion_desktop.core import questions as bank

    with demo_folder.session() as s:
        groups = bank.question_bank(s)
    bank_texts = [q.text for g in groups for q in g.questions]
    first_bank = next(t for t in bank_texts if t not in DEMO_QUESTIONS)
    second_bank = next(t for t in bank_texts if t not in DEMO_QUESTIONS and t != first_bank)

    tab.questions.new_edit.setFocus()
    qtbot.keyClicks(tab.questions.new_edit, first_bank)  # typed by hand, the same words as in the bank
    qtbot.keyClick(tab.questions.new_edit, Qt.Key.Key_Return)
    assert tab.questions.new_edit.text() == ""
    assert question_texts(tab)[-1] == first_bank

    seen: dict[str, object] = {}

    def choose(dialog: QDialog) -> None:
        by_text = {item.data(0, Qt.ItemDataRole.UserRole): item for item in dialog.items}
        seen["demo disabled"] = not by_text[first_bank].flags() & Qt.ItemFlag.ItemIsEnabled
        seen["demo checked"] = by_text[first_bank].checkState(0) == Qt.CheckState.Checked
        seen["ok before"] = dialog.ok_button.isEnabled()
        by_text[second_bank].setCheckState(0, Qt.CheckState.Checked)  # the user ticks it
        seen["ok text"] = dialog.ok_button.text()
        screenshot(dialog, "question-bank-dialog")
        dialog.accept()

    errors = on_next_dialog(choose)
    qtbot.mouseClick(tab.questions.bank_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert seen == {"demo disabled": True, "demo checked": True, "ok before": False, "ok text": "Add 1 question"}
    assert [q.text for q in stored(demo_folder, demo.id).questions] == DEMO_QUESTIONS + [first_bank, second_bank]
    assert tab.questions.current_question_id() == stored(demo_folder, demo.id).questions[-1].id

    # a duplicate is refused with the core's message
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warnings.append(text))
    qtbot.keyClicks(tab.questions.new_edit, DEMO_QUESTIONS[0].upper())
    qtbot.keyClick(tab.questions.new_edit, Qt.Key.Key_Return)
    assert warnings and "already on this appointment's list" in warnings[0]
    assert tab.questions.new_edit.text() == DEMO_QUESTIONS[0].upper()  # kept, to fix

    # remove with the Delete key
    focus(qtbot, tab.questions.list)
    tab.questions.list.setCurrentRow(8)
    qtbot.keyClick(tab.questions.list, Qt.Key.Key_Delete)
    assert [q.text for q in stored(demo_folder, demo.id).questions] == DEMO_QUESTIONS + [first_bank]
    assert tab.questions.list.currentRow() == 7


# --- notes ----------------------------------------------------------------------------------------------------

def test_notes_save_themselves_and_come_back_after_a_restart(qtbot, demo_tab, demo_folder, screenshot) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    editor = tab.notes.editor
    editor.setFocus()
    before = dt.datetime.now().replace(microsecond=0)
    qtbot.keyClicks(editor, "D")
    notes = stored(demo_folder, demo.id).notes
    assert len(notes) == 1, "the first keystroke starts a note"
    assert before <= notes[0].started_at <= dt.datetime.now()
    qtbot.keyClicks(editor, "r. Stone: surgery first.")
    qtbot.waitUntil(lambda: stored(demo_folder, demo.id).notes[0].text == "Dr. Stone: surgery first.", timeout=5000)
    started = started_text(notes[0].started_at, demo.starts_at.date())  # the day too: not the visit's day
    assert started.startswith("Started ") and f"{notes[0].started_at:%H:%M}" in started
    assert tab.notes.status.text().startswith(f"{started} · saved")

    qtbot.keyClicks(editor, " Then radiation.")  # and the window closes at once
    tab.shutdown()
    assert stored(demo_folder, demo.id).notes[0].text == "Dr. Stone: surgery first. Then radiation."

    again = make_tab(qtbot, demo_folder)
    assert again.notes.editor.toPlainText() == "Dr. Stone: surgery first. Then radiation."
    assert again.notes.status.text() == started
    assert not again.notes.tabs.isVisible()  # one note: no tabs
    screenshot(again, "appointments-tab-with-note")
    again.shutdown()


def test_new_note_tabs_and_saving_on_focus_out_and_switching(qtbot, demo_tab, demo_folder) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    with demo_folder.session() as s:
        other = svc.create_appointment(s, dt.datetime.now() + dt.timedelta(days=30), place="Elsewhere")
    tab.reload()
    tab.select_appointment(demo.id)
    tab.notes.new_note()
    assert QApplication.focusWidget() is tab.notes.editor
    qtbot.keyClicks(tab.notes.editor, "first note")
    tab.questions.list.setFocus()  # focus leaves the editor: saved at once
    assert stored(demo_folder, demo.id).notes[0].text == "first note"

    tab.notes.editor.setFocus()
    qtbot.keyClick(tab, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(stored(demo_folder, demo.id).notes) == 2
    assert tab.notes.tabs.isVisible() and tab.notes.tabs.count() == 2
    assert tab.notes.editor.toPlainText() == ""
    qtbot.keyClicks(tab.notes.editor, "second note")
    tab.select_appointment(other.id)  # switching appointment saves
    assert [n.text for n in stored(demo_folder, demo.id).notes] == ["first note", "second note"]
    assert tab.notes.editor.toPlainText() == "" and tab.notes.note_id is None

    tab.select_appointment(demo.id)
    assert tab.notes.editor.toPlainText() == "second note"  # the latest note is shown
    tab.notes.tabs.setCurrentIndex(0)
    assert tab.notes.editor.toPlainText() == "first note"


def test_long_note_and_emoji_and_right_to_left_text_round_trip(qtbot, demo_tab, demo_folder) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    chunk = "Plan: 化疗 then surgery — الجراحة أولاً 🙂👍🏽 שלום. "
    long_text = (chunk * (20_000 // len(chunk) + 1))[:20_000]
    tab.notes.editor.setFocus()
    qtbot.keyClicks(tab.notes.editor, "x")
    tab.notes.editor.selectAll()
    tab.notes.editor.insertPlainText(long_text)  # as a paste would
    qtbot.waitUntil(lambda: stored(demo_folder, demo.id).notes[0].text == long_text, timeout=6000)
    assert len(stored(demo_folder, demo.id).notes[0].text) == 20_000

    tab.questions.list.setCurrentRow(0)
    tab.questions.answer_edit.setFocus()
    tab.questions.answer_edit.insertPlainText("نعم — yes 👍 是的\nsecond line")
    tab.shutdown()
    assert stored(demo_folder, demo.id).questions[0].answer == "نعم — yes 👍 是的\nsecond line"

    again = make_tab(qtbot, demo_folder)
    assert again.notes.editor.toPlainText() == long_text
    again.questions.list.setCurrentRow(0)
    assert again.questions.answer_edit.toPlainText() == "نعم — yes 👍 是的\nsecond line"
    again.shutdown()


# --- delete ---------------------------------------------------------------------------------------------------

def test_delete_asks_naming_the_appointment_and_what_goes_with_it(qtbot, demo_tab, demo_folder, monkeypatch) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    tab.notes.new_note()
    qtbot.keyClicks(tab.notes.editor, "kept until deleted")
    asked: list[str] = []
    reply = [QMessageBox.StandardButton.No]

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return reply[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    tab.list.setFocus()
    qtbot.keyClick(tab.list, Qt.Key.Key_Delete)
    assert len(asked) == 1
    assert f"{demo.starts_at:%a} {demo.starts_at.day} {demo.starts_at:%b %Y}, 09:30" in asked[0]
    assert "Avery Example-Stone, MD" in asked[0]
    assert "7 questions and 1 note go with it" in asked[0]
    assert tab.listed_ids() == [demo.id]
    assert stored(demo_folder, demo.id).notes[0].text == "kept until deleted"  # saved before asking

    reply[0] = QMessageBox.StandardButton.Yes
    tab.delete_action.trigger()
    with demo_folder.session() as s:
        assert svc.list_appointments(s) == []
    assert tab.listed_ids() == [] and tab.current_appointment_id() is None
    assert "No appointments yet" in tab.details.text()
    assert tab.notes.editor.toPlainText() == "" and tab.questions.list.count() == 0
    assert tab.last_notice.startswith("Deleted the appointment on")


# --- directory, profile, history ------------------------------------------------------------------------------

def test_clinicians_directory_adds_and_edits_a_clinician(qtbot, demo_tab, demo_folder, screenshot) -> None:
    tab = demo_tab
    seen: dict[str, object] = {}

    def directory_dialog(dialog: QDialog) -> None:
        seen["rows"] = dialog.table.model().rowCount()
        screenshot(dialog, "clinicians-directory")

        def add(inner: QDialog) -> None:
            inner.accept()  # no name
            seen["error"] = inner.error_label.text()
            qtbot.keyClicks(inner.findChild(QLineEdit, "nameEdit"), "Quinn Radiant")
            combo = inner.findChild(QComboBox, "specialtyCombo")
            combo.setCurrentIndex(combo.findText("Radiation oncology"))
            qtbot.keyClicks(inner.findChild(QLineEdit, "credentialsEdit"), "MD, PhD")
            qtbot.keyClicks(inner.findChild(QLineEdit, "boardEdit"), "American Board of Radiology")
            qtbot.keyClicks(inner.findChild(QComboBox, "facilityCombo").lineEdit(), "Lakeside Proton Center")
            qtbot.keyClicks(inner.findChild(QLineEdit, "phoneEdit"), "(201) 555-0199")
            qtbot.keyClicks(inner.findChild(QLineEdit, "emailEdit"), "q.radiant@example.com")
            role = inner.findChild(QComboBox, "roleCombo")
            role.setCurrentIndex(role.findData(ClinicianRole.SECOND_OPINION.value))
            screenshot(inner, "clinician-dialog")
            inner.accept()

        inner_errors = on_next_dialog(add)
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        seen["inner"] = inner_errors
        seen["selected"] = dialog.current().name if dialog.current() else None

        def edit(inner: QDialog) -> None:
            assert inner.name_edit.text() == "Quinn Radiant"
            assert inner.facility_combo.currentText() == "Lakeside Proton Center"
            inner.phone_edit.setText("(201) 555-0100")
            inner.accept()

        edit_errors = on_next_dialog(edit)
        dialog.edit_button.click()
        seen["edit"] = edit_errors
        dialog.reject()

    errors = on_next_dialog(directory_dialog)
    with qtbot.waitSignal(notice().changed, timeout=1000,
                          check_params_cb=lambda changes, _who: bool(changes & Changes.DIRECTORY)):
        qtbot.mouseClick(tab.findChild(QWidget, "cliniciansButton"), Qt.MouseButton.LeftButton)
    assert errors == []
    assert seen["rows"] == 8 and seen["inner"] == [] and seen["edit"] == []
    assert "name is required" in str(seen["error"])
    assert seen["selected"] == "Quinn Radiant"
    with demo_folder.session() as s:
        quinn = directory.find_clinician(s, "quinn radiant")
        assert quinn is not None
        made = directory.clinician_data(quinn)
    assert (made.specialty, made.credentials, made.facility_name, made.role, made.phone, made.email) == (
        "Radiation oncology", "MD, PhD", "Lakeside Proton Center", ClinicianRole.SECOND_OPINION,
        "(201) 555-0100", "q.radiant@example.com")


def test_profile_dialog_saves_a_field_and_refuses_a_future_birth_date(qtbot, demo_tab, demo_folder,
                                                                    screenshot) -> None:
    tab = demo_tab
    with demo_folder.session() as s:
        before = profile.get_profile(s)
    seen: dict[str, object] = {}

    def future(dialog: QDialog) -> None:
        seen["treating"] = [dialog.treating_list.item(i).text() for i in range(dialog.treating_list.count())]
        screenshot(dialog, "profile-dialog")
        edit = dialog.findChild(QLineEdit, "date_of_birthEdit")
        edit.clear()
        qtbot.keyClicks(edit, f"{dt.date.today().year + 1}-01-01")
        dialog.findChild(QLineEdit, "stage_groupEdit").setText("IIIA")
        dialog.accept()
        seen["error"] = dialog.error_label.text()
        seen["open"] = dialog.isVisible()
        dialog.reject()

    errors = on_next_dialog(future)
    tab.profile_action.trigger()
    assert errors == []
    assert "is in the future" in str(seen["error"]) and seen["open"] is True
    assert "Taylor Testwell, MD — Medical oncology — Samplewood Community Hospital" in seen["treating"]
    assert not any("Avery" in t for t in seen["treating"])  # the second-opinion doctor is not treating
    with demo_folder.session() as s:
        assert profile.get_profile(s) == before  # nothing stored

    def save(dialog: QDialog) -> None:
        edit = dialog.findChild(QLineEdit, "tnm_stageEdit")
        edit.selectAll()
        qtbot.keyClicks(edit, "pT2 pN1a cM0")
        dialog.accept()

    errors = on_next_dialog(save)
    profile_button = tab.findChild(QWidget, "profileButton")
    assert profile_button.text() == "Pat&ient profile…"  # Alt+I (mnemonics do not fire on the offscreen platform)
    qtbot.mouseClick(profile_button, Qt.MouseButton.LeftButton)
    assert errors == []
    with demo_folder.session() as s:
        after = profile.get_profile(s)
    assert after.tnm_stage == "pT2 pN1a cM0"
    assert after == profile.ProfileData(**{**before.__dict__, "tnm_stage": "pT2 pN1a cM0"})  # nothing else changed


def test_treatment_history_adds_a_line_and_refuses_end_before_start(qtbot, tab, folder, screenshot,
                                                                   monkeypatch) -> None:
    seen: dict[str, object] = {}

    def history(dialog: QDialog) -> None:
        def add(inner: QDialog) -> None:
            inner.kind_combo.setCurrentIndex(inner.kind_combo.findData(TreatmentKind.CHEMOTHERAPY.value))
            qtbot.keyClicks(inner.description_edit, "AC-T, 8 cycles")
            qtbot.keyClicks(inner.start_field.edit, "2026-01-10")
            qtbot.keyClicks(inner.end_field.edit, "2025-12-01")
            qtbot.keyClicks(inner.response_edit, "partial response")
            inner.accept()
            seen["error"] = inner.error_label.text()
            seen["open"] = inner.isVisible()
            seen["focus"] = inner.focusWidget() is inner.end_field.edit
            inner.end_field.edit.setText("2026-04-20")
            inner.accept()

        inner_errors = on_next_dialog(add)
        dialog.add_button.click()
        seen["inner"] = inner_errors
        seen["row"] = table_cells(dialog.table, 0)
        screenshot(dialog, "treatment-history")
        dialog.reject()

    errors = on_next_dialog(history)
    tab.open_treatments()
    assert errors == [] and seen["inner"] == []
    assert "end date 2025-12-01 is before the start date 2026-01-10" in str(seen["error"])
    assert seen["open"] is True and seen["focus"] is True
    assert seen["row"] == ["Chemotherapy", "AC-T, 8 cycles", "2026-01-10", "2026-04-20", "partial response"]
    with folder.session() as s:
        [line] = treatments.list_treatment_lines(s)
    assert (line.kind, line.start_date, line.end_date) == (
        TreatmentKind.CHEMOTHERAPY, dt.date(2026, 1, 10), dt.date(2026, 4, 20))

    # delete, after confirming
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)

    def delete(dialog: QDialog) -> None:
        dialog.table.selectRow(0)
        dialog.delete_button.click()
        seen["rows after"] = dialog.table.model().rowCount()
        dialog.reject()

    errors = on_next_dialog(delete)
    tab.open_treatments()
    assert errors == [] and seen["rows after"] == 0
    with folder.session() as s:
        assert treatments.list_treatment_lines(s) == []


# --- packet and notes export ----------------------------------------------------------------------------------

def test_build_packet_asks_the_window_with_the_appointment_id(qtbot, demo_tab, demo_folder) -> None:
    demo = only_appointment(demo_folder)
    with qtbot.waitSignal(requests().buildPacket, timeout=1000) as signal:
        qtbot.mouseClick(demo_tab.packet_button, Qt.MouseButton.LeftButton)
    assert signal.args == [demo.id]


@pytest.fixture
def fake_packet(monkeypatch):
    """Stands in for ``core.packet.export_notes_pdf`` (written elsewhere) with the same signature."""
    calls: list[tuple[object, int, Path]] = []
    module = types.ModuleType("secondopinion_desktop.core.packet")

    def export_notes_pdf(folder, appointment_id, out, cancelled=None):
        calls.append((folder, appointment_id, Path(out)))
        if Path(out).name.startswith("refuse"):
            raise ValidationError("This appointment has nothing to print yet.")
        Path(out).write_bytes(b"%PDF-1.4 notes")
        return Path(out)

    module.export_notes_pdf = export_notes_pdf  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "secondopinion_desktop.core.packet", module)
    return calls


def test_export_notes_to_pdf_in_the_background(qtbot, demo_tab, demo_folder, tmp_path, fake_packet,
                                               monkeypatch) -> None:
    tab = demo_tab
    demo = only_appointment(demo_folder)
    qtbot.keyClicks(tab.notes.editor, "typed just before exporting")
    offered: list[str] = []

    def save_name(parent, caption, directory_, filter_):
        offered.append(directory_)
        return str(tmp_path / "my notes"), filter_

    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    job = tab.export_notes()
    assert Path(offered[0]).name == f"notes-{demo.starts_at:%Y-%m-%d}.pdf"
    assert not tab.export_button.isEnabled()  # while it runs
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert fake_packet == [(demo_folder, demo.id, tmp_path / "my notes.pdf")]
    assert (tmp_path / "my notes.pdf").read_bytes() == b"%PDF-1.4 notes"
    assert stored(demo_folder, demo.id).notes[0].text == "typed just before exporting"  # saved first
    assert tab.last_notice == f"Notes saved to {tmp_path / 'my notes.pdf'}."
    assert tab.export_button.isEnabled()

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warnings.append(text))
    job = tab.export_notes(tmp_path / "refuse.pdf")
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert warnings == ["The notes could not be exported: This appointment has nothing to print yet."]


# --- state ----------------------------------------------------------------------------------------------------

def test_splitters_and_selection_are_remembered(qtbot, demo_folder) -> None:
    with demo_folder.session() as s:
        later = svc.create_appointment(s, dt.datetime.now() + dt.timedelta(days=40), place="Later")
    first = make_tab(qtbot, demo_folder)
    first.select_appointment(later.id)
    first.splitter.setSizes([420, 860])
    # wider than the questions' minimum at any text size, so the size is the one asked for
    wanted = first.questions.minimumSizeHint().width() + 40
    first.work_splitter.setSizes([wanted, sum(first.work_splitter.sizes()) - wanted])
    assert abs(first.work_splitter.sizes()[0] - wanted) <= 2
    first.shutdown()
    second = make_tab(qtbot, demo_folder)
    assert second.current_appointment_id() == later.id
    assert abs(second.splitter.sizes()[0] - first.splitter.sizes()[0]) <= 2
    assert abs(second.work_splitter.sizes()[0] - first.work_splitter.sizes()[0]) <= 2
    second.shutdown()


def test_every_control_has_an_accessible_name(qtbot, demo_tab) -> None:
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLineEdit, QPlainTextEdit

    unnamed = [
        w.objectName() or type(w).__name__
        for w in demo_tab.findChildren(QWidget)
        if isinstance(w, (QAbstractButton, QAbstractItemView, QLineEdit, QPlainTextEdit))
        and w.isVisibleTo(demo_tab) and not w.accessibleName() and not (
            isinstance(w, QAbstractButton) and w.text().replace("&", "").strip())
    ]
    assert unnamed == []


def test_date_time_field_starts_unset_and_opens_its_calendar_from_the_keyboard(qtbot) -> None:
    from secondopinion_desktop.ui.widgets.dates import DateTimeField

    field = DateTimeField()
    qtbot.addWidget(field)
    field.set_value(None)
    field.show()
    focus(qtbot, field)
    assert field.value() is None and field.text() == DateTimeField.HINT
    qtbot.keyClick(field, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    popup = QApplication.activePopupWidget()
    assert popup is not None and field.calendarWidget().isVisible()
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert field.value() == dt.datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0)
    calendar = field.calendarWidget()
    from PySide6.QtWidgets import QTableView

    days = calendar.findChild(QTableView)  # the grid of days, which takes the keys
    qtbot.keyClick(days, Qt.Key.Key_Right)
    qtbot.keyClick(days, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not calendar.isVisible(), timeout=2000)
    after = tomorrow + dt.timedelta(days=1)
    assert field.value() == dt.datetime(after.year, after.month, after.day, 9, 0)


def test_export_notes_with_the_real_packet_module(qtbot, demo_tab, demo_folder, tmp_path) -> None:
    packet = pytest.importorskip("secondopinion_desktop.core.packet")
    if not hasattr(packet, "export_notes_pdf"):
        pytest.skip("core.packet has no export_notes_pdf yet")
    tab = demo_tab
    qtbot.keyClicks(tab.notes.editor, "Biopsy review: agrees")
    job = tab.export_notes(tmp_path / "notes.pdf")
    qtbot.waitUntil(lambda: job.done, timeout=30_000)
    assert (tmp_path / "notes.pdf").read_bytes().startswith(b"%PDF")
    assert tab.last_notice == f"Notes saved to {tmp_path / 'notes.pdf'}."


def test_delete_names_the_opinion_and_the_centers_list_that_go_with_it(qtbot, demo_tab, demo_folder,
                                                                       monkeypatch) -> None:
    from secondopinion_desktop.core.opinions import add_requirements, list_requirements, save_opinion

    demo = only_appointment(demo_folder)
    save_opinion(demo_folder, demo.id, diagnosis="Invasive ductal carcinoma, as first found")
    before = len(list_requirements(demo_folder, demo.id))
    add_requirements(demo_folder, demo.id, ["A form signed by the patient", "Slides from block A1"])
    demo_tab.reload()
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _p, _t, text, *_a, **_k: asked.append(text) or QMessageBox.StandardButton.No)
    demo_tab.list.setFocus()
    qtbot.keyClick(demo_tab.list, Qt.Key.Key_Delete)
    assert len(asked) == 1
    assert "the second opinion written down" in asked[0]
    assert f"the center's list of {before + 2} items go with it" in asked[0]
    assert demo_tab.listed_ids() == [demo.id]
