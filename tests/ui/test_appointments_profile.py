"""The patient profile from the Appointments tab: saving says so, and tells the window the profile changed
(``Changes.PROFILE`` announced)."""

from __future__ import annotations

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QMainWindow, QWidget

from secondopinion_desktop.core import profile
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab
from secondopinion_desktop.ui.events import Changes, notice


def profile_announced(changes: Changes, _initiator: object) -> bool:
    return bool(changes & Changes.PROFILE)


@pytest.fixture
def window(qtbot, folder):
    """The tab in a main window, whose status bar shows the tab's passing messages."""
    main = QMainWindow()
    tab = AppointmentsTab()
    main.setCentralWidget(tab)
    qtbot.addWidget(main)
    main.resize(1280, 700)
    tab.set_folder(folder)
    main.show()
    qtbot.waitExposed(main)
    yield main
    tab.shutdown()


def fill_in_diagnosis(qtbot, text: str):
    def handle(dialog: QDialog) -> None:
        edit = dialog.findChild(QLineEdit, "cancer_typeEdit")
        edit.setFocus()
        qtbot.keyClicks(edit, text)
        qtbot.mouseClick(dialog.findChild(QWidget, "okButton"), Qt.MouseButton.LeftButton)

    return on_next_dialog(handle)


def test_saving_the_profile_says_saved_and_tells_the_window(qtbot, window, folder) -> None:
    tab = window.centralWidget()
    errors = fill_in_diagnosis(qtbot, "Breast cancer")
    with qtbot.waitSignal(notice().changed, timeout=5000, check_params_cb=profile_announced):
        qtbot.mouseClick(tab.findChild(QWidget, "profileButton"), Qt.MouseButton.LeftButton)
    assert errors == []
    assert window.statusBar().currentMessage() == "Saved the patient profile."
    with folder.session() as s:
        assert profile.get_profile(s).cancer_type == "Breast cancer"


def test_saving_an_unchanged_profile_says_so_and_changes_nothing(qtbot, window) -> None:
    tab = window.centralWidget()
    changed: list[bool] = []
    notice().changed.connect(lambda changes, _who: changed.append(True) if changes & Changes.PROFILE else None)

    def save_as_is(dialog: QDialog) -> None:
        qtbot.mouseClick(dialog.findChild(QWidget, "okButton"), Qt.MouseButton.LeftButton)

    errors = on_next_dialog(save_as_is)
    qtbot.mouseClick(tab.findChild(QWidget, "profileButton"), Qt.MouseButton.LeftButton)
    assert errors == [] and changed == []
    assert window.statusBar().currentMessage() == "The patient profile is unchanged."


def test_edit_profile_opens_the_same_dialog_as_the_button(qtbot, window, folder) -> None:
    tab = window.centralWidget()
    errors = fill_in_diagnosis(qtbot, "Lung cancer")
    with qtbot.waitSignal(notice().changed, timeout=5000, check_params_cb=profile_announced):
        assert tab.edit_profile() is True  # what the window calls for the Guidance tab's profile buttons
    assert errors == []
    with folder.session() as s:
        assert profile.get_profile(s).cancer_type == "Lung cancer"
