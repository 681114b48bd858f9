"""The Appointments tab from the keyboard: the question bank hands the focus back to the typed question, and the
tab's shortcuts work whenever the tab is shown, wherever the focus is."""

from __future__ import annotations

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QDialog

from secondopinion_desktop.ui.appointments.tab import AppointmentsTab
from secondopinion_desktop.ui.main_window import MainWindow


@pytest.fixture
def demo_tab(qtbot, demo_folder):
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 700)
    tab.set_folder(demo_folder)
    tab.show()
    qtbot.waitExposed(tab)
    tab.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is tab, timeout=2000)
    yield tab
    tab.shutdown()


def type_then_open_the_bank(qtbot, tab, handler) -> list[str]:
    edit = tab.questions.new_edit
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    qtbot.keyClicks(edit, "Who reads my scans")
    errors = on_next_dialog(handler)
    qtbot.mouseClick(tab.questions.bank_button, Qt.MouseButton.LeftButton)
    return errors


@pytest.mark.parametrize("close", ["cancel", "add"])
def test_closing_the_question_bank_returns_to_the_typed_question(qtbot, demo_tab, close) -> None:
    tab = demo_tab
    before = tab.questions.list.count()

    def handle(dialog: QDialog) -> None:
        if close == "cancel":
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
            return
        item = next(i for i in dialog.items if i.flags() & Qt.ItemFlag.ItemIsEnabled)
        item.setCheckState(0, Qt.CheckState.Checked)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    errors = type_then_open_the_bank(qtbot, tab, handle)
    assert errors == []
    edit = tab.questions.new_edit
    assert tab.focusWidget() is edit  # where the keyboard goes once the window is active again
    tab.activateWindow()  # the window manager does this when a dialog closes; the offscreen platform does not
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    assert edit.text() == "Who reads my scans"
    assert tab.questions.list.count() == before + (close == "add")
    qtbot.keyClicks(edit, "?")  # the typing goes on where it was
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert tab.questions.model.questions[-1].text == "Who reads my scans?"


@pytest.fixture
def window(qtbot, demo_folder):
    made = MainWindow(demo_folder)
    qtbot.addWidget(made)
    made.resize(1280, 700)
    made.show()
    qtbot.waitExposed(made)
    made.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is made, timeout=2000)
    yield made
    made.close()


def click_tab(qtbot, window, widget) -> None:
    """Switch tabs as a user does: a click on the tab bar, which leaves the focus there."""
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(window.tabs.indexOf(widget)).center())
    assert window.tabs.currentWidget() is widget
    bar.setFocus()  # a click on a tab bar focuses it on every platform style; the offscreen one may not
    qtbot.waitUntil(bar.hasFocus, timeout=2000)


def test_new_appointment_shortcut_works_with_the_focus_on_the_tab_bar(qtbot, window) -> None:
    tab = window.appointments_tab
    click_tab(qtbot, window, tab)
    seen: list[str] = []
    errors = on_next_dialog(lambda dialog: (seen.append(dialog.objectName()), dialog.reject()))
    qtbot.keyClick(window.tabs.tabBar(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(seen) or bool(errors), timeout=5000)
    assert errors == [] and seen == ["appointmentDialog"]


def test_new_note_shortcut_works_right_after_start_up_with_no_focus_in_the_tab(qtbot, window) -> None:
    tab = window.appointments_tab
    window.tabs.setCurrentWidget(tab)  # as the window reopens on the last tab
    focused = QApplication.focusWidget()
    if focused is not None:
        focused.clearFocus()
    assert QApplication.focusWidget() is None
    notes = len(tab.notes.notes)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(tab.notes.notes) == notes + 1


def test_tab_shortcuts_sleep_while_another_tab_is_shown(qtbot, window) -> None:
    tab = window.appointments_tab
    click_tab(qtbot, window, window.guidance_tab)
    notes = len(tab.notes.notes)
    qtbot.keyClick(window.tabs.tabBar(), Qt.Key.Key_N,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(tab.notes.notes) == notes
    assert QApplication.activeModalWidget() is None


def test_guide_text_size_keys_work_with_the_focus_on_the_tab_bar(qtbot, window) -> None:
    reader = window.guidance_tab.reader
    click_tab(qtbot, window, window.appointments_tab)
    click_tab(qtbot, window, window.guidance_tab)
    zoom = reader.zoom
    for sequence in QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomIn)[:1]:
        combo = sequence[0]
        qtbot.keyClick(window.tabs.tabBar(), combo.key(), combo.keyboardModifiers())
    assert reader.zoom == zoom + 1
