"""Two people, one laptop: File → New person…, Open another person's records…, Open recent, whose window."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from secondopinion_desktop.core.people import create_person_folder
from secondopinion_desktop.ui import people
from secondopinion_desktop.ui.main_window import MainWindow


@pytest.fixture
def launched(monkeypatch) -> list[Path]:
    """New windows are separate processes: the launch is replaced at that boundary and recorded."""
    started: list[Path] = []
    monkeypatch.setattr(people, "launch_window", lambda path: started.append(Path(path)) or True)
    return started


@pytest.fixture
def messages(monkeypatch) -> list[str]:
    said: list[str] = []
    for kind in ("information", "warning"):
        monkeypatch.setattr(QMessageBox, kind, lambda parent, title, text, *a, **k: said.append(text))
    return said


def open_window(qtbot, folder) -> MainWindow:
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def test_window_title_names_the_person_and_follows_the_profile(qtbot, demo_folder) -> None:
    from secondopinion_desktop.core.profile import save_profile

    window = open_window(qtbot, demo_folder)
    assert window.windowTitle() == "Alex Sample — Second Opinion"
    with demo_folder.session() as session:
        save_profile(session, name="Alexandra Sample")
    from secondopinion_desktop.ui.events import Changes, announce

    announce(Changes.PROFILE, window.appointments_tab)  # what saving the profile dialog announces
    assert window.windowTitle() == "Alexandra Sample — Second Opinion"


def test_new_person_makes_their_folder_and_opens_it(qtbot, demo_folder, launched) -> None:
    window = open_window(qtbot, demo_folder)
    seen: dict[str, str] = {}

    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.name_edit, "Ruth Ng")
        seen["folder"] = dialog.folder_label.text()
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    errors = on_next_dialog(fill)
    window.file_menu.setActiveAction(window.new_person_action)
    window.new_person_action.trigger()  # File → New person… (the menu's action, as a click on it does)
    assert errors == []
    target = Path(seen["folder"])
    assert target.name.endswith("-ruth-ng")
    assert launched == [target]
    from secondopinion_desktop.core.people import summarize_folder

    assert summarize_folder(target).name == "Ruth Ng"
    assert people.recent_folders()[0] == target


def test_recent_menu_shows_each_person_and_opens_them(qtbot, demo_folder, tmp_path, launched) -> None:
    other = tmp_path / "ruth"
    create_person_folder(other, "Ruth Ng")
    people.remember_folder(other)
    window = open_window(qtbot, demo_folder)  # remembered too, first
    window.recent_menu.aboutToShow.emit()
    labels = [a.text() for a in window.recent_menu.actions()]
    assert labels == [f"Alex Sample — {demo_folder.path} (this window)", f"Ruth Ng — {other}"]
    assert not window.recent_menu.actions()[0].isEnabled()
    window.recent_menu.actions()[1].trigger()
    assert launched == [other.absolute()]


def test_open_another_person_refuses_what_is_not_theirs_to_open(qtbot, demo_folder, tmp_path, launched,
                                                                 messages, monkeypatch) -> None:
    from secondopinion_desktop.core.lock import acquire_for_window

    window = open_window(qtbot, demo_folder)
    stranger = tmp_path / "photos"
    stranger.mkdir()
    (stranger / "holiday.jpg").write_bytes(b"jpeg")
    ruth = tmp_path / "ruth"
    create_person_folder(ruth, "Ruth Ng")
    chosen: list[Path] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(chosen[-1]))

    window.activateWindow()
    for folder, expected in ((stranger, "does not hold Second Opinion records"),
                             (demo_folder.path, "the ones open in this window")):
        chosen.append(folder)
        qtbot.keyClick(window.tabs.tabBar(), Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)  # Ctrl+O
        assert expected in messages[-1]
    lock = acquire_for_window(ruth)  # another window has Ruth's records open
    try:
        chosen.append(ruth)
        qtbot.keyClick(window.tabs.tabBar(), Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
        assert messages[-1] == "Ruth Ng's records are already open in another window."
    finally:
        lock.release()
    assert launched == []
    qtbot.keyClick(window.tabs.tabBar(), Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert launched == [ruth.absolute()]


def test_profile_is_in_the_file_menu(qtbot, demo_folder, monkeypatch) -> None:
    window = open_window(qtbot, demo_folder)
    opened: list[str] = []

    def look(dialog) -> None:
        opened.append(dialog.objectName())
        dialog.reject()

    errors = on_next_dialog(look)
    assert window.profile_action in window.file_menu.actions()
    window.profile_action.trigger()
    assert errors == [] and opened == ["profileDialog"]


def test_window_command_runs_this_program(tmp_path) -> None:
    """The command a new window runs is this very program (checked by asking it for its version)."""
    import subprocess
    import sys

    from secondopinion_desktop import __version__

    program, args = people.window_command(tmp_path / "x")
    assert program == sys.executable and args[-2:] == ["--data-dir", str(tmp_path / "x")]
    result = subprocess.run([program, *args, "--version"], capture_output=True, text=True, timeout=60)
    assert __version__ in result.stdout + result.stderr
