"""File › Export calendar…: chosen from the real menu, written off the GUI thread, said in the status bar."""

from __future__ import annotations

from pathlib import Path

import icalendar
from PySide6.QtWidgets import QFileDialog

from secondopinion_desktop.ui.main_window import MainWindow


def window_for(qtbot, folder) -> MainWindow:
    made = MainWindow(folder)
    qtbot.addWidget(made)
    made.resize(1280, 700)
    made.show()
    qtbot.waitExposed(made)
    return made


def file_menu_action(window: MainWindow):
    menu = window.menuBar().actions()[0].menu()
    return next(a for a in menu.actions() if a.objectName() == "calendarAction")


def test_export_from_the_file_menu(qtbot, demo_folder, tmp_path: Path, monkeypatch) -> None:
    window = window_for(qtbot, demo_folder)
    action = file_menu_action(window)
    assert action.isVisible() and action.isEnabled()
    asked: list[str] = []

    def save_name(_parent, _title, start, _filter):
        asked.append(start)
        return str(tmp_path / "my dates"), "Calendar files (*.ics)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    action.trigger()
    out = tmp_path / "my dates.ics"  # the extension is added
    qtbot.waitUntil(lambda: "Saved the calendar" in window.statusBar().currentMessage(), timeout=10000)
    assert asked and asked[0].endswith("second-opinion-appointments.ics")
    assert "1 appointment and " in window.statusBar().currentMessage()
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert any(str(e["UID"]).startswith("appointment-") for e in cal.walk("VEVENT"))
    window.close()


def test_a_place_inside_the_data_folder_is_refused_in_a_sentence(qtbot, demo_folder, monkeypatch) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    window = window_for(qtbot, demo_folder)
    said: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *_a: (str(demo_folder.path / "cal.ics"), "Calendar files (*.ics)"))

    def close_box() -> None:  # the box is modal: read it and press OK from inside its own loop
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.objectName() == "operationFailed" and widget.isVisible():
                said.append(widget.text())
                widget.button(QMessageBox.StandardButton.Ok).click()
                return
        QTimer.singleShot(50, close_box)

    QTimer.singleShot(50, close_box)
    file_menu_action(window).trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=10000)
    assert "inside the data folder" in said[0] and "\n" not in said[0].strip()
    assert not (demo_folder.path / "cal.ics").exists()
    window.close()


def test_cancelling_the_save_dialog_writes_nothing(qtbot, demo_folder, tmp_path: Path, monkeypatch) -> None:
    window = window_for(qtbot, demo_folder)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: ("", ""))
    file_menu_action(window).trigger()
    assert window._calendar_op is None
    assert list(tmp_path.glob("*.ics")) == []
    window.close()
