"""The Appointments tab's dialogs fit a 1280×720 screen (run also with SECONDOPINION_TEST_TEXT_SCALE=1.5): the
whole frame is on the screen and the OK and Cancel buttons are in sight, even after an error banner appears."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize
from PySide6.QtWidgets import QAbstractButton, QDialog, QDialogButtonBox

from secondopinion_desktop.core.appointments import list_appointments
from secondopinion_desktop.ui.appointments.dialogs import AppointmentDialog
from secondopinion_desktop.ui.appointments.question_bank import QuestionBankDialog
from secondopinion_desktop.ui.directory.dialogs import ClinicianDialog, CliniciansDialog
from secondopinion_desktop.ui.profile.dialog import ProfileDialog
from secondopinion_desktop.ui.treatments.dialogs import TreatmentHistoryDialog, TreatmentLineDialog
from secondopinion_desktop.ui.widgets.forms import show_error


def factories(folder):
    with folder.session() as s:
        appointment = list_appointments(s)[0]
    return {
        "appointment": lambda: AppointmentDialog(folder, appointment),
        "clinician": lambda: ClinicianDialog(folder),
        "clinicians": lambda: CliniciansDialog(folder),
        "profile": lambda: ProfileDialog(folder),
        "treatment": lambda: TreatmentLineDialog(folder),
        "treatments": lambda: TreatmentHistoryDialog(folder),
        "question bank": lambda: QuestionBankDialog(folder, []),
    }


def assert_in_sight(dialog: QDialog) -> None:
    screen = dialog.screen().availableGeometry()
    assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
    box = dialog.findChild(QDialogButtonBox)
    buttons = [b for b in box.findChildren(QAbstractButton) if b.isVisibleTo(dialog)]
    assert buttons
    inside = QRect(QPoint(0, 0), dialog.size())
    for button in buttons:
        assert inside.contains(QRect(button.mapTo(dialog, QPoint(0, 0)), button.size())), button.text()
        assert not button.visibleRegion().isEmpty(), button.text()


@pytest.mark.parametrize("name", ["appointment", "clinician", "clinicians", "profile", "treatment", "treatments",
                                  "question bank"])
def test_each_dialog_fits_with_its_buttons_in_sight(qtbot, demo_folder, name, screenshot) -> None:
    dialog = factories(demo_folder)[name]()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert_in_sight(dialog)
    banner = getattr(dialog, "error_label", None)
    if banner is not None:  # a long refusal message pushes the form, not the buttons, out of sight
        show_error(banner, "The date of birth 2099-01-01 is in the future; please check it. " * 4)
        qtbot.waitUntil(banner.isVisible, timeout=2000)
        assert_in_sight(dialog)
    screenshot(dialog, f"appointments-dialog-{name.replace(' ', '-')}")
    dialog.reject()


def test_a_remembered_size_larger_than_the_screen_is_cut_down(qtbot, demo_folder) -> None:
    QSettings().setValue("appointments/profileDialogSize", QSize(1800, 1400))
    dialog = ProfileDialog(demo_folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert_in_sight(dialog)
    dialog.reject()


def test_the_size_she_gave_a_dialog_is_kept(qtbot, demo_folder) -> None:
    dialog = CliniciansDialog(demo_folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.resize(700, 380)
    dialog.reject()
    again = CliniciansDialog(demo_folder)
    qtbot.addWidget(again)
    assert again.size() == QSize(700, 380)
