"""A refused input gets the cursor: the dialogs put it on the input the core's ValidationError names
(``field``), whatever words its sentence uses."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget

from secondopinion_desktop.core import profile
from secondopinion_desktop.ui.appointments.dialogs import AppointmentDialog
from secondopinion_desktop.ui.directory.dialogs import ClinicianDialog
from secondopinion_desktop.ui.profile.dialog import ProfileDialog
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import focus_input


def open_dialog(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    return dialog


def press_ok(qtbot, dialog: QDialog) -> None:
    qtbot.mouseClick(dialog.findChild(QWidget, "okButton"), Qt.MouseButton.LeftButton)


def test_a_too_long_email_in_the_profile_gets_the_cursor(qtbot, demo_folder) -> None:
    dialog = open_dialog(qtbot, ProfileDialog(demo_folder))
    email = dialog.findChild(QLineEdit, "emailEdit")
    email.setText("x" * 600 + "@example.com")  # as a paste would
    dialog.findChild(QLineEdit, "nameEdit").setFocus()
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and "email is 612 characters long" in dialog.error_label.text()
    qtbot.waitUntil(email.hasFocus, timeout=2000)  # its label says "E-mail": no word of the sentence matches
    assert email.selectedText() == email.text()
    assert profile.get_profile(demo_folder).email == "alex.sample@example.com"  # nothing stored
    dialog.reject()


def test_a_future_birth_date_puts_the_cursor_in_the_date(qtbot, demo_folder) -> None:
    dialog = open_dialog(qtbot, ProfileDialog(demo_folder))
    born = dialog.findChild(QLineEdit, "date_of_birthEdit")
    born.setText("2999-01-01")
    dialog.findChild(QLineEdit, "stage_groupEdit").setText("IIIA")
    dialog.findChild(QLineEdit, "stage_groupEdit").setFocus()
    press_ok(qtbot, dialog)
    qtbot.waitUntil(born.hasFocus, timeout=2000)
    assert profile.get_profile(demo_folder).stage_group != "IIIA"  # all or nothing
    dialog.reject()


def test_a_too_long_place_puts_the_cursor_in_the_place(qtbot, demo_folder) -> None:
    dialog = open_dialog(qtbot, AppointmentDialog(demo_folder))
    dialog.when_edit.setFocus()
    qtbot.keyClicks(dialog.when_edit, "2026-12-08 09:30")
    dialog.place_edit.setText("Building " * 40)
    dialog.attendees_edit.setFocus()
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and "place is" in dialog.error_label.text()
    qtbot.waitUntil(dialog.place_edit.hasFocus, timeout=2000)
    dialog.reject()


def test_a_clinician_without_a_name_gets_the_cursor_in_the_name(qtbot, demo_folder) -> None:
    dialog = open_dialog(qtbot, ClinicianDialog(demo_folder))
    dialog.phone_edit.setFocus()
    qtbot.keyClicks(dialog.phone_edit, "(201) 555-0199")
    press_ok(qtbot, dialog)
    assert "name is required" in dialog.error_label.text()
    qtbot.waitUntil(dialog.name_edit.hasFocus, timeout=2000)
    dialog.reject()


def test_focus_input_types_into_a_date_fields_line_and_ignores_unknown_fields(qtbot) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    field = DateField("startEdit", "Start date", holder)
    other = QLineEdit(holder)
    holder.show()
    qtbot.waitExposed(holder)
    holder.activateWindow()
    other.setFocus()
    assert focus_input({"start_date": field}, "start_date")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field.edit, timeout=2000)
    assert not focus_input({"start_date": field}, "end_date") and not focus_input({"start_date": field}, None)
    assert QApplication.focusWidget() is field.edit
