"""The window shell on real data, offscreen: tabs, status bar, About, remembered settings, start-up errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QMessageBox

from secondopinion_desktop import __version__
from secondopinion_desktop.ui.main_window import MainWindow


def screenshot(widget, name: str) -> None:
    """Save a picture of the widget when SECONDOPINION_SCREENSHOTS names a folder (for looking, not asserting)."""
    target = os.environ.get("SECONDOPINION_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(target) / f"{name}.png"))


def open_window(qtbot, folder, **kwargs) -> MainWindow:
    window = MainWindow(folder, **kwargs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_window_opens_on_demo_data_with_all_tabs(qtbot, demo_folder) -> None:
    from secondopinion_desktop.core.records import list_records

    window = open_window(qtbot, demo_folder, demo=True)
    titles = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert titles == ["Guidance", "Records", "Appointments"]
    assert "sample data" in window.windowTitle().lower()
    assert str(demo_folder.path) in window.folder_label.text()
    with demo_folder.session() as session:
        total = len(list_records(session))
    window.tabs.setCurrentWidget(window.records_tab)
    assert f"holds {total} records" in window.records_tab.status.text()
    assert window.records_tab.status.isVisible()
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        page = window.tabs.currentWidget()
        assert "This tab will let you" in page.text.text()
        screenshot(window, f"main-window-tab-{i}")


def test_empty_folder_says_so(qtbot, folder) -> None:
    window = open_window(qtbot, folder)
    assert "No records" in window.records_tab.status.text()
    assert window.windowTitle() == "Second Opinion"
    assert window.folder_label.text() == f"Data folder: {folder.path}"


def test_geometry_and_tab_are_remembered(qtbot, folder) -> None:
    first = open_window(qtbot, folder)
    first.resize(QSize(730, 530))
    first.tabs.setCurrentIndex(2)
    first.close()
    assert QSettings().value(MainWindow.SETTINGS_TAB, type=int) == 2

    second = open_window(qtbot, folder)
    assert second.size() == QSize(730, 530)
    assert second.tabs.currentIndex() == 2


def test_first_start_has_a_sensible_size(qtbot, folder) -> None:
    window = open_window(qtbot, folder)
    available = window.screen().availableGeometry()
    wanted = QSize(min(1100, available.width() * 9 // 10), min(720, available.height() * 9 // 10))
    assert window.size() == wanted
    assert window.width() <= available.width() and window.height() <= available.height()


def test_about_names_the_version(qtbot, folder, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window = open_window(qtbot, folder)
    window.about_action.trigger()
    assert len(shown) == 1 and __version__ in shown[0] and str(folder.path) in shown[0]


def test_start_up_on_a_bad_database_shows_a_message_and_exits_non_zero(qtbot, tmp_path, monkeypatch, capsys) -> None:
    from secondopinion_desktop.ui import app

    data = tmp_path / "data"
    data.mkdir()
    junk = b"\x00\x01 not sqlite at all " * 100
    (data / "secondopinion.db").write_bytes(junk)
    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: messages.append(text))
    assert app.run_gui(data_dir=str(data)) == 1
    assert len(messages) == 1 and "not a Second Opinion database" in messages[0]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("secondopinion: error:")
    assert (data / "secondopinion.db").read_bytes() == junk


@pytest.mark.parametrize("demo", [False, True])
def test_run_gui_opens_the_window_and_cleans_up(qtbot, tmp_path, demo) -> None:
    """run_gui end to end: the window appears, the folder opens in the background, a demo folder is deleted."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from secondopinion_desktop.ui import app

    seen: dict[str, object] = {"polls": 0}

    def poll() -> None:
        seen["polls"] = int(seen["polls"]) + 1  # type: ignore[call-overload]
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        ready = [w for w in windows if w.folder is not None]
        if not ready and int(seen["polls"]) < 400:  # type: ignore[call-overload]
            return
        seen["windows"] = len(windows)
        seen["path"] = ready[0].folder.path if ready else None
        seen["status"] = ready[0].records_tab.status.text() if ready else ""
        timer.stop()
        QApplication.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(25)
    data = tmp_path / "data"
    assert app.run_gui(data_dir=None if demo else str(data), demo=demo) == 0
    assert seen["windows"] == 1
    assert seen["path"] is not None, "the data folder never opened"
    if demo:
        assert seen["path"] != data and not Path(seen["path"]).exists()
        assert "holds" in str(seen["status"])
    else:
        assert seen["path"] == data and (data / "secondopinion.db").is_file()
        assert "No records" in str(seen["status"])
