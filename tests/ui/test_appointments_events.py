"""What the Appointments tab and the dialogs it opens tell the rest of the window (``ui.events``), and how the
tab follows changes made elsewhere."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QWidget

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core import directory, profile
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab
from secondopinion_desktop.ui.events import Changes, announce, notice, requests


@pytest.fixture
def heard(qapp):
    said: list[tuple[Changes, object]] = []

    def record(changes: Changes, initiator: object) -> None:
        said.append((changes, initiator))

    notice().changed.connect(record)
    yield said
    notice().changed.disconnect(record)


@pytest.fixture
def demo_tab(qtbot, demo_folder):
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 700)
    tab.set_folder(demo_folder)
    tab.show()
    qtbot.waitExposed(tab)
    yield tab
    tab.shutdown()


def kinds(said, initiator_type=None) -> list[Changes]:
    return [c for c, who in said if initiator_type is None or isinstance(who, initiator_type)]


def test_saving_the_profile_with_its_ok_button_announces_the_profile(qtbot, demo_tab, demo_folder, heard) -> None:
    def change_stage(dialog: QDialog) -> None:
        edit = dialog.findChild(QLineEdit, "stage_groupEdit")
        edit.setFocus()
        edit.selectAll()
        qtbot.keyClicks(edit, "IIIA")
        qtbot.mouseClick(dialog.findChild(QWidget, "okButton"), Qt.MouseButton.LeftButton)

    errors = on_next_dialog(change_stage)
    qtbot.mouseClick(demo_tab.findChild(QWidget, "profileButton"), Qt.MouseButton.LeftButton)
    assert errors == []
    assert profile.get_profile(demo_folder).stage_group == "IIIA"
    assert [(c, type(who).__name__) for c, who in heard] == [(Changes.PROFILE, "ProfileDialog")]


def test_adding_a_clinician_in_the_directory_announces_the_directory(qtbot, demo_tab, demo_folder, heard) -> None:
    seen: dict[str, object] = {}

    def directory_dialog(dialog: QDialog) -> None:
        def add(inner: QDialog) -> None:
            qtbot.keyClicks(inner.findChild(QLineEdit, "nameEdit"), "Quinn Radiant")
            qtbot.mouseClick(inner.findChild(QWidget, "okButton"), Qt.MouseButton.LeftButton)

        seen["inner"] = on_next_dialog(add)
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        seen["said"] = [(c, who is dialog) for c, who in heard]
        dialog.reject()

    errors = on_next_dialog(directory_dialog)
    qtbot.mouseClick(demo_tab.findChild(QWidget, "cliniciansButton"), Qt.MouseButton.LeftButton)
    assert errors == [] and seen["inner"] == []
    assert seen["said"] == [(Changes.DIRECTORY, True)]  # the directory dialog, as it was made
    assert any(c.name == "Quinn Radiant" for c in directory.list_clinicians(demo_folder))


def test_questions_and_notes_are_announced_by_the_tab(qtbot, demo_tab, demo_folder, heard) -> None:
    tab = demo_tab
    tab.questions.new_edit.setFocus()
    qtbot.keyClicks(tab.questions.new_edit, "Who reads my scans?")
    qtbot.keyClick(tab.questions.new_edit, Qt.Key.Key_Return)
    tab.questions.list.setFocus()
    tab.questions.list.setCurrentRow(0)
    qtbot.keyClick(tab.questions.list, Qt.Key.Key_Space)  # ticked: answered
    tab.notes.editor.setFocus()
    qtbot.keyClicks(tab.notes.editor, "Biopsy review agrees.")
    tab.questions.list.setFocus()  # leaving the editor saves the note
    assert {c for c, who in heard if who is tab} == {Changes.QUESTIONS, Changes.NOTES}
    assert all(who is tab for _c, who in heard)


def test_build_packet_asks_the_window_through_the_request(qtbot, demo_tab, demo_folder) -> None:
    [demo] = svc.list_appointments(demo_folder)
    with qtbot.waitSignal(requests().buildPacket, timeout=1000) as asked:
        qtbot.mouseClick(demo_tab.packet_button, Qt.MouseButton.LeftButton)
    assert asked.args == [demo.id]


def test_adding_deleting_an_appointment_is_announced(qtbot, demo_tab, demo_folder, heard, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    when = (dt.datetime.now() + dt.timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)

    def fill(dialog: QDialog) -> None:
        dialog.when_edit.setFocus()
        qtbot.keyClicks(dialog.when_edit, f"{when:%Y-%m-%d %H:%M}")
        qtbot.mouseClick(dialog.findChild(QWidget, "okButton"), Qt.MouseButton.LeftButton)

    errors = on_next_dialog(fill)
    made = demo_tab.new_appointment()
    assert errors == [] and made is not None
    assert heard == [(Changes.APPOINTMENTS, demo_tab)]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    demo_tab.select_appointment(made)
    demo_tab.delete_action.trigger()
    assert heard[-1] == (Changes.APPOINTMENTS | Changes.QUESTIONS | Changes.NOTES, demo_tab)


def test_a_clinician_renamed_elsewhere_shows_at_once(qtbot, demo_tab, demo_folder) -> None:
    [demo] = svc.list_appointments(demo_folder)
    directory.update_clinician(demo_folder, demo.clinician_id, name="Avery Renamed")
    announce(Changes.DIRECTORY, None)  # as the Records tab does after editing a clinician
    first = demo_tab.list.model().index(0, 0).data().splitlines()
    assert first[1] == "Avery Renamed, MD"
    assert "Avery Renamed, MD" in demo_tab.details.text()


def test_a_hidden_tab_catches_up_when_shown(qtbot, demo_tab, demo_folder) -> None:
    demo_tab.hide()
    svc.create_appointment(demo_folder, dt.datetime.now() + dt.timedelta(days=40), place="Later")
    announce(Changes.APPOINTMENTS, None)
    assert len(demo_tab.listed_ids()) == 1  # hidden: only marked stale
    assert demo_tab.watcher.stale
    demo_tab.show()
    qtbot.waitUntil(lambda: len(demo_tab.listed_ids()) == 2, timeout=2000)


def test_its_own_changes_do_not_reload_the_tab(qtbot, demo_tab, demo_folder, monkeypatch) -> None:
    reloads: list[bool] = []
    monkeypatch.setattr(demo_tab, "reload", lambda *a, **k: reloads.append(True))
    announce(Changes.QUESTIONS, demo_tab)
    assert reloads == []
    announce(Changes.QUESTIONS, None)
    assert reloads == [True]
