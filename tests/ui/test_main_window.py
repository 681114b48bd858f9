"""The window shell on real data, offscreen: tabs, status bar, About, remembered settings, start-up errors."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import TEXT_SCALE
from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QMessageBox

from secondopinion_desktop import __version__
from secondopinion_desktop.ui.main_window import MainWindow


def open_window(qtbot, folder, **kwargs) -> MainWindow:
    window = MainWindow(folder, **kwargs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_window_opens_on_demo_data_with_all_tabs(qtbot, demo_folder, screenshot) -> None:
    from secondopinion_desktop.core.records import list_records

    window = open_window(qtbot, demo_folder, demo=True)
    titles = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert titles == ["Guidance", "Records", "Health summary", "Requests", "Appointments"]
    assert "sample data" in window.windowTitle().lower()
    assert str(demo_folder.path) in window.folder_label.text()
    with demo_folder.session() as session:
        total = len(list_records(session))
    window.tabs.setCurrentWidget(window.records_tab)
    assert window.records_tab.model.rowCount() == total
    assert f"{total} records:" in window.records_tab.summary.text()
    assert window.records_tab.current_record is not None
    assert window.appointments_tab.current_appointment_id() is not None  # the upcoming visit
    assert window.guidance_tab.reader.section_list.count() == 8  # as test_guidance_tab counts them
    assert window.guidance_tab.missing.findings
    assert len(window.requests_tab.listed_ids()) >= 6  # the sample case's requests, in every state
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        screenshot(window, f"main-window-tab-{i}")


def test_empty_folder_says_so(qtbot, folder) -> None:
    window = open_window(qtbot, folder)
    assert "No records yet" in window.records_tab.summary.text()
    assert window.windowTitle() == "Second Opinion"
    assert window.folder_label.text() == f"Data folder: {folder.path}"


def test_status_messages_have_room_beside_the_data_folder(qtbot, folder, screenshot) -> None:
    from PySide6.QtCore import QPoint

    window = open_window(qtbot, folder)
    window.resize(1280, 720)
    bar = window.statusBar()
    message = "Saved the calendar: 1 appointment and 5 due dates; open the file with your calendar app."
    bar.showMessage(message, 60_000)
    qtbot.waitUntil(lambda: window.folder_label.isVisible() and window.folder_label.width() > 0, timeout=5_000)
    label_left = window.folder_label.mapTo(bar, QPoint(0, 0)).x()
    needed = bar.fontMetrics().horizontalAdvance(message)
    assert label_left > needed, (label_left, needed)  # the whole message fits left of the label
    assert window.folder_label.shown_text() == window.folder_label.text()  # and the path is whole too
    screenshot(window, "main-window-status-message")
    # a very long path gives way: elided in the middle, the bar keeps room for the message
    long_path = "Data folder: " + "/".join(["a-very-long-folder-name"] * 20)
    window.folder_label.setText(long_path)
    qtbot.waitUntil(lambda: "…" in window.folder_label.shown_text(), timeout=5_000)
    assert window.folder_label.text() == long_path
    assert window.folder_label.mapTo(bar, QPoint(0, 0)).x() > bar.width() // 4
    bar.clearMessage()


def test_geometry_and_tab_are_remembered(qtbot, folder) -> None:
    first = open_window(qtbot, folder)
    chosen = QSize(770, 540).expandedTo(first.minimumSizeHint())  # as small as the tabs allow at this text size
    first.resize(chosen)
    first.tabs.setCurrentIndex(3)
    first.close()
    assert QSettings().value(MainWindow.SETTINGS_TAB_NAME) == "requests"

    second = open_window(qtbot, folder)
    assert second.size() == chosen
    assert second.tabs.currentIndex() == 3


def test_the_tab_an_earlier_version_remembered_opens_by_name(qtbot, folder) -> None:
    """Versions with three tabs kept the tab's place: Appointments was third, and stays Appointments."""
    QSettings().setValue(MainWindow.SETTINGS_TAB, 2)
    window = open_window(qtbot, folder)
    assert window.tabs.currentWidget() is window.appointments_tab
    window.close()
    assert QSettings().value(MainWindow.SETTINGS_TAB_NAME) == "appointments"


def test_first_start_has_a_sensible_size(qtbot, folder) -> None:
    window = open_window(qtbot, folder)
    available = window.screen().availableGeometry()
    assert available.size().toTuple() == (1280, 720)
    wanted = QSize(int(1280 * 0.9), int(720 * 0.9))  # most of a laptop's screen
    wanted = wanted.expandedTo(window.minimumSizeHint())  # never smaller than the tabs can show
    assert window.size() == wanted
    assert available.contains(window.frameGeometry()), "centred on the screen, entirely on it"
    assert window.minimumSizeHint().width() <= min(800 * TEXT_SCALE, 1280 * 0.9), "fits a small screen"
    assert window.height() <= available.height()


def test_about_names_the_version(qtbot, folder, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window = open_window(qtbot, folder)
    window.about_action.trigger()
    assert len(shown) == 1 and __version__ in shown[0] and str(folder.path) in shown[0]


# run_gui runs the application's event loop; each run gets a process of its own, as the real app does.
DRIVER = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from secondopinion_desktop.ui import app
from secondopinion_desktop.ui.main_window import MainWindow

seen = {"messages": [], "polls": 0}
QMessageBox.critical = lambda parent, title, text: seen["messages"].append(text)

def poll():
    seen["polls"] += 1
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    # ready: the folder is open and every tab built (the tab on screen first, the others right after)
    ready = [w for w in windows if w.folder is not None and None not in (w.guidance_tab, w.records_tab,
                                                                           w.appointments_tab)]
    if not ready and seen["polls"] < 400:
        return
    seen["windows"] = len(windows)
    seen["path"] = str(ready[0].folder.path) if ready else None
    seen["summary"] = ready[0].records_tab.summary.text() if ready else ""
    seen["rows"] = ready[0].records_tab.model.rowCount() if ready else 0
    seen["title"] = ready[0].windowTitle() if ready else ""
    timer.stop()
    QApplication.quit()

application = app.make_application()
timer = QTimer()
timer.timeout.connect(poll)
timer.start(25)
data_dir = sys.argv[1] if sys.argv[1] != "-" else None
seen["code"] = app.run_gui(data_dir=data_dir, demo=data_dir is None)
print("RESULT " + json.dumps(seen))
"""


def run_driver(data_dir: str, **extra_env: str) -> tuple[dict, str]:
    import json
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **extra_env)
    result = subprocess.run([sys.executable, "-c", DRIVER, data_dir], capture_output=True, text=True, env=env,
                            timeout=120, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    return json.loads(lines[-1][len("RESULT "):]), result.stderr


def test_start_up_on_a_bad_database_shows_a_message_and_exits_non_zero(tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    junk = b"\x00\x01 not sqlite at all " * 100
    (data / "secondopinion.db").write_bytes(junk)
    seen, stderr = run_driver(str(data))
    assert seen["code"] == 1
    assert len(seen["messages"]) == 1 and "not a Second Opinion database" in seen["messages"][0]
    errors = [line for line in stderr.splitlines() if line.startswith("secondopinion:")]
    assert len(errors) == 1 and errors[0].startswith("secondopinion: error:")
    assert "Traceback" not in stderr
    assert (data / "secondopinion.db").read_bytes() == junk


def test_run_gui_opens_the_window_on_the_data_folder(tmp_path) -> None:
    data = tmp_path / "data"
    seen, _ = run_driver(str(data))
    assert seen["code"] == 0 and seen["windows"] == 1
    assert seen["path"] == str(data) and (data / "secondopinion.db").is_file()
    assert "No records yet" in seen["summary"]


def test_run_gui_demo_fills_a_throwaway_folder_and_deletes_it(tmp_path) -> None:
    seen, _ = run_driver("-")
    assert seen["code"] == 0 and seen["windows"] == 1
    assert seen["path"] and not Path(seen["path"]).exists(), "the demo folder is deleted at exit"
    assert seen["rows"] >= 20 and "records:" in seen["summary"]


def test_a_second_window_on_the_same_folder_is_refused(tmp_path) -> None:
    from secondopinion_desktop.core.lock import acquire_for_window

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    lock = acquire_for_window(data)  # this test process plays the first window
    assert lock is not None
    try:
        seen, stderr = run_driver(str(data))
        assert seen["code"] == 1
        assert seen["messages"] and "already open on this data folder" in seen["messages"][0]
        errors = [line for line in stderr.splitlines() if line.startswith("secondopinion:")]
        assert len(errors) == 1 and "already open" in errors[0]
        assert not (data / "secondopinion.db").exists(), "the refused window never opened the database"
    finally:
        lock.release()
    seen, _ = run_driver(str(data))
    assert seen["code"] == 0 and seen["path"] == str(data)


def test_the_demo_never_writes_the_user_s_settings(tmp_path) -> None:
    """Layout, Recent and search typed in --demo stay in the demo: the user's settings are not touched."""
    config = tmp_path / "config"
    config.mkdir()
    seen, _ = run_driver("-", XDG_CONFIG_HOME=str(config))
    assert seen["code"] == 0 and seen["rows"] >= 20
    assert seen["title"] == "Alex Sample (sample data) — Second Opinion"
    assert [p.relative_to(config) for p in config.rglob("*")] == []


def test_a_real_folder_is_remembered_with_its_layout(tmp_path) -> None:
    config = tmp_path / "config"
    data = tmp_path / "data"
    seen, _ = run_driver(str(data), XDG_CONFIG_HOME=str(config))
    assert seen["code"] == 0 and seen["title"] == "Second Opinion", "nobody is named yet"
    written = "\n".join(p.read_text(errors="replace") for p in config.rglob("*") if p.is_file())
    assert str(data) in written, "the folder is in Recent"


def test_edit_menu_holds_the_records_actions_and_set_status(qtbot, demo_folder) -> None:
    window = open_window(qtbot, demo_folder)
    menus = [a.menu() for a in window.edit_menu.actions() if a.menu() is not None]
    assert window.records_tab.status_menu in menus
    assert window.records_tab.attach_action in window.edit_menu.actions()


SIGNAL_DRIVER = """
import os, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from secondopinion_desktop.ui import app
from secondopinion_desktop.ui.main_window import MainWindow

def poll():
    ready = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.folder is not None]
    if ready:
        timer.stop()
        print("READY", flush=True)
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))  # as Ctrl+C in the terminal does

application = app.make_application()
timer = QTimer()
timer.timeout.connect(poll)
timer.start(25)
code = app.run_gui(data_dir=sys.argv[1])
print("EXIT", code, flush=True)
"""


def test_ctrl_c_in_the_terminal_closes_the_window_cleanly(tmp_path) -> None:
    """SIGINT (and SIGTERM) close the window as Quit does — settings saved — with no traceback."""
    import subprocess
    import sys

    config = tmp_path / "config"
    for sig in ("SIGINT", "SIGTERM"):
        result = subprocess.run([sys.executable, "-c", SIGNAL_DRIVER, str(tmp_path / "data"), sig],
                                capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(config)))
        assert "READY" in result.stdout, result.stderr
        assert "EXIT 0" in result.stdout, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr
        written = "\n".join(p.read_text(errors="replace") for p in config.rglob("*.conf"))
        assert "geometry" in written, "the window closed as Quit does: its layout was saved"


def test_plain_copies_a_crash_left_are_swept_when_the_window_opens(tmp_path) -> None:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.scratch import scratch_dir

    data = tmp_path / "data"
    open_data_folder(data).close()
    left = scratch_dir(data, "open-") / "12" / "pathology report.pdf"
    left.parent.mkdir()
    left.write_bytes(b"%PDF- a copy the viewer had open when the computer crashed")
    seen, _ = run_driver(str(data))
    assert seen["code"] == 0 and seen["path"] == str(data)
    assert not left.exists() and list((data / ".scratch").iterdir()) == []


def test_a_window_waits_a_moment_for_a_command_then_says_which_one_has_the_folder(tmp_path) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    hold = ("import sys; from secondopinion_desktop.core.lock import acquire; "
            "lock = acquire(sys.argv[1], 'import-imaging'); print('held', flush=True); sys.stdin.read()")
    command = subprocess.Popen([sys.executable, "-c", hold, str(data)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert command.stdout.readline().strip() == b"held"
        seen, stderr = run_driver(str(data), SECONDOPINION_LOCK_WAIT="0.3")
        assert seen["code"] == 1
        assert seen["messages"] == [
            f"This data folder is being changed by the command “secondopinion import-imaging” (process "
            f"{command.pid}). Try again when it has finished — two programs must never write the same records."
        ]
        assert "Traceback" not in stderr
    finally:
        command.communicate(b"")
        command.stdout.close()
    seen, _ = run_driver(str(data))
    assert seen["code"] == 0 and seen["path"] == str(data), "once the command is done the window opens"


def test_a_window_that_cannot_lock_its_folder_refuses_rather_than_writing_unlocked(tmp_path) -> None:
    from secondopinion_desktop.core.db import open_data_folder

    data = tmp_path / "data"
    open_data_folder(data).close()
    (data / ".secondopinion.lock").mkdir()  # a lock that cannot be taken (as a root-owned lock file would be)
    seen, stderr = run_driver(str(data))
    assert seen["code"] == 1
    assert len(seen["messages"]) == 1 and "cannot be locked for changes" in seen["messages"][0]
    assert "Traceback" not in stderr


def test_closing_cancels_every_job_once_after_each_tab_has_shut_down(qtbot, folder, monkeypatch) -> None:
    import threading

    from secondopinion_desktop.ui import jobs
    from secondopinion_desktop.ui.ops import run_op

    window = open_window(qtbot, folder)
    order: list[str] = []
    for name in ("guidance_tab", "appointments_tab", "records_tab"):
        tab = getattr(window, name)
        own = tab.shutdown
        monkeypatch.setattr(tab, "shutdown", lambda own=own, name=name: (order.append(name), own())[1])
    real_shut_down = jobs.shut_down
    monkeypatch.setattr(jobs, "shut_down", lambda *a, **k: (order.append("jobs"), real_shut_down(*a, **k))[1])
    started, seen = threading.Event(), {}

    def work(control):  # work no tab knows of, as a dialog's would be
        started.set()
        while not control.cancelled():
            threading.Event().wait(0.005)
        seen["stopped"] = True

    run_op(window.tabs, work, name="test work", writes=False)
    assert started.wait(10)
    window.quit_action.trigger()  # File → Quit
    assert not window.isVisible()
    assert order == ["guidance_tab", "appointments_tab", "records_tab", "jobs"]
    assert seen == {"stopped": True}, "the job was cancelled and waited for before the window closed"


def test_a_profile_saved_from_anywhere_renames_the_window(qtbot, demo_folder) -> None:
    """The title watches Changes.PROFILE: whichever view saved the profile, the window names the person."""
    from helpers.dialogs import on_next_dialog
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    from secondopinion_desktop.ui.profile.dialog import ProfileDialog

    window = open_window(qtbot, demo_folder)
    assert window.windowTitle() == "Alex Sample — Second Opinion"

    def rename(dialog) -> None:
        name = dialog.findChild(QLineEdit, "nameEdit")
        name.selectAll()
        qtbot.keyClicks(name, "Jamie Doe")
        box = dialog.findChild(QDialogButtonBox)
        save = next(b for b in box.buttons() if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)

    errors = on_next_dialog(rename)
    dialog = ProfileDialog(demo_folder, parent=window.records_tab)  # as any view of the window may open it
    dialog.exec()
    assert errors == []
    assert window.windowTitle() == "Jamie Doe — Second Opinion"


def test_a_tab_asks_the_window_to_show_a_record(qtbot, demo_folder) -> None:
    from secondopinion_desktop.core.records import list_record_rows
    from secondopinion_desktop.ui.events import requests

    window = open_window(qtbot, demo_folder)
    window.tabs.setCurrentWidget(window.appointments_tab)
    last = list_record_rows(demo_folder)[-1].id
    window.records_tab.filters.search.setText("no record is called this")
    requests().showRecord.emit(last)  # what the guide's "Open" and every other view's link do
    assert window.tabs.currentWidget() is window.records_tab
    assert window.records_tab.current_record is not None and window.records_tab.current_record.id == last


def test_another_folder_in_the_window_is_announced_to_every_view(qtbot, demo_folder, tmp_path) -> None:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.ui.events import Changes, watch

    window = open_window(qtbot, demo_folder)
    window.tabs.setCurrentWidget(window.records_tab)
    heard: list[Changes] = []
    watch(window.records_tab, Changes.RECORDS, heard.append)
    hidden: list[Changes] = []
    watcher = watch(window.guidance_tab, Changes.RECORDS, hidden.append)
    other = open_data_folder(tmp_path / "restored")
    try:
        window.set_folder(other)  # what a restore does once the restored folder is open
        assert heard == [Changes.FOLDER]
        assert hidden == [] and watcher.stale, "a hidden view reloads when it is shown"
        assert "No records yet" in window.records_tab.summary.text()
        assert window.windowTitle() == "Second Opinion"
    finally:
        window.close()
        other.close()


def open_window_then_folder(qtbot, folder) -> MainWindow:
    """As the app starts: the window first, the folder once it is open."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.set_folder(folder)
    return window


def test_the_tab_on_screen_is_built_first_and_the_others_right_after(qtbot, demo_folder) -> None:
    window = open_window_then_folder(qtbot, demo_folder)
    assert window.tabs.currentWidget() is window.guidance_tab and window.guidance_tab.missing.findings
    assert window.records_tab is None and window.requests_tab is None and window.appointments_tab is None, (
        "painted before the others are built")
    assert window.health_tab is None
    qtbot.waitUntil(lambda: None not in (window.records_tab, window.health_tab, window.requests_tab,
                                         window.appointments_tab), timeout=10_000)
    assert window.tabs.currentWidget() is window.guidance_tab, "the tab on screen stays"
    assert [window.tabs.tabText(i) for i in range(5)] == ["&Guidance", "&Records", "Health s&ummary", "Re&quests",
                                                          "A&ppointments"]
    assert window.records_tab.model.rowCount() >= 20
    assert window.appointments_tab.current_appointment_id() is not None
    assert window.records_tab.attach_action in window.edit_menu.actions()


def test_a_tab_clicked_before_it_is_built_is_built_at_once(qtbot, demo_folder) -> None:
    from PySide6.QtCore import Qt

    window = open_window_then_folder(qtbot, demo_folder)
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(4).center())
    assert window.appointments_tab is not None and window.tabs.currentWidget() is window.appointments_tab
    assert window.appointments_tab.current_appointment_id() is not None


def test_showing_a_record_before_the_records_tab_is_built_builds_it(qtbot, demo_folder) -> None:
    from secondopinion_desktop.core.records import list_record_rows
    from secondopinion_desktop.ui.events import requests

    window = open_window_then_folder(qtbot, demo_folder)
    first = list_record_rows(demo_folder)[0].id
    requests().showRecord.emit(first)
    assert window.tabs.currentWidget() is window.records_tab
    assert window.records_tab.current_record.id == first


def test_a_tab_asks_the_window_to_mark_a_record_requested_as_an_undoable_step(qtbot, demo_folder) -> None:
    from secondopinion_desktop.core.models import RecordStatus
    from secondopinion_desktop.core.records import list_record_rows
    from secondopinion_desktop.ui.events import requests

    window = open_window(qtbot, demo_folder)
    needed = next(r for r in list_record_rows(demo_folder) if r.status == RecordStatus.NEEDED)
    requests().markRequested.emit(needed.id)
    qtbot.waitUntil(lambda: next(r for r in list_record_rows(demo_folder) if r.id == needed.id).status
                    == RecordStatus.REQUESTED, timeout=10_000)
    assert window.undo_action.isEnabled(), "the Records tab's history holds the step"
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: next(r for r in list_record_rows(demo_folder) if r.id == needed.id).status
                    == RecordStatus.NEEDED, timeout=10_000)


def test_mark_requested_in_still_missing_is_a_records_step_undone_from_the_edit_menu(qtbot, demo_folder) -> None:
    from PySide6.QtCore import Qt

    from secondopinion_desktop.core.models import RecordStatus
    from secondopinion_desktop.core.readiness import Action
    from secondopinion_desktop.ui.records.model import RECORD_ID_ROLE, Column

    window = open_window(qtbot, demo_folder)
    window.tabs.setCurrentWidget(window.guidance_tab)
    guidance = window.guidance_tab
    guidance.side.setCurrentIndex(1)
    missing = guidance.missing
    index = next(i for i, f in enumerate(missing.findings) if f.action is Action.MARK_REQUESTED)
    record_id = missing.findings[index].record_id
    model = window.records_tab.model

    def status_in_records_tab() -> str:
        row = next(r for r in range(model.rowCount()) if model.index(r, 0).data(RECORD_ID_ROLE) == record_id)
        return model.index(row, Column.STATUS).data()

    before = status_in_records_tab()
    qtbot.mouseClick(missing.buttons[index], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_in_records_tab() != before, timeout=5000)
    assert model.row_data(record_id).status is RecordStatus.REQUESTED
    assert record_id not in {f.record_id for f in missing.findings if f.action is Action.MARK_REQUESTED}

    menu = window.edit_menu
    undo = next(a for a in menu.actions() if a.text().startswith("&Undo"))
    assert undo.isEnabled() and undo.text() != "&Undo", "the step is named in the Edit menu"
    window.menuBar().setActiveAction(menu.menuAction())  # Edit opened, as a click on it does
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(undo).center())
    qtbot.waitUntil(lambda: status_in_records_tab() == before, timeout=5000)
    assert model.row_data(record_id).status is RecordStatus.NEEDED
    assert record_id in {f.record_id for f in missing.findings if f.action is Action.MARK_REQUESTED}
    window.close()


def test_no_tab_is_connected_to_another_by_hand() -> None:
    import re

    import secondopinion_desktop.ui.main_window as main_window
    import secondopinion_desktop.ui.window_tabs as window_tabs

    tab = r"(?:self\.)?(?:guidance|records|appointments)(?:_tab)?"
    wiring = re.compile(rf"\b{tab}\.\w+\.connect\(\s*{tab}\.")
    for module in (main_window, window_tabs):
        text = Path(module.__file__).read_text(encoding="utf-8")
        assert not wiring.search(text), f"{Path(module.__file__).name} connects one tab to another"
