"""A polite kill (SIGTERM), the terminal closing (SIGHUP) and a desktop logout close the app as its Quit does:
jobs cancelled, the lock released, the sample-data folder and its settings removed, within a few seconds.

Each test starts the real ``python -m secondopinion_desktop --demo`` with its temporary folders in a folder of
the test's own, so it can see the demo's folders come and go."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

START_TIMEOUT = 60.0  # a loaded machine may take a while to start Qt
EXIT_TIMEOUT = 10.0


def start_demo(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TMPDIR=str(temp),
               SECONDOPINION_LOG_DIR=str(tmp_path / "log"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_RUNTIME_DIR=str(tmp_path / "runtime"))
    (tmp_path / "runtime").mkdir(mode=0o700)
    process = subprocess.Popen([sys.executable, "-m", "secondopinion_desktop", "--demo"], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return process, temp


def wait_for(process: subprocess.Popen, ready, what: str, timeout: float = START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ready()
        if found:
            return found
        try:
            process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        out, err = process.communicate()
        pytest.fail(f"the app ended (code {process.returncode}) before {what}: {err.decode(errors='replace')}")
    process.kill()
    process.communicate()
    pytest.fail(f"no {what} within {timeout:.0f} s")


def demo_folder(temp: Path) -> Path | None:
    """The sample-data folder (it exists once the window is on screen)."""
    found = [p for p in temp.glob("secondopinion-demo-*") if "settings" not in p.name]
    return found[0] if found else None


def records_in(folder: Path) -> int:
    try:
        with sqlite3.connect(f"file:{folder / 'secondopinion.db'}?mode=ro", uri=True, timeout=0.05) as db:
            return db.execute("select count(*) from record").fetchone()[0]
    except sqlite3.Error:
        return 0


def stop_and_wait(process: subprocess.Popen, signum: int) -> tuple[float, str]:
    process.send_signal(signum)
    sent = time.monotonic()
    try:
        _out, err = process.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
        pytest.fail(f"still running {EXIT_TIMEOUT:.0f} s after the signal: {err.decode(errors='replace')}")
    return time.monotonic() - sent, err.decode(errors="replace")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_closes_the_demo_as_quit_does_and_removes_its_folders(tmp_path, signum) -> None:
    process, temp = start_demo(tmp_path)
    folder = wait_for(process, lambda: demo_folder(temp), "sample-data folder")
    wait_for(process, lambda: records_in(folder) >= 20, "sample records")
    assert any(temp.glob("secondopinion-demo-settings-*")), "the demo keeps its settings apart"
    seconds, stderr = stop_and_wait(process, signum)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert not folder.exists(), "the sample data is removed"
    assert list(temp.iterdir()) == [], "and so are its settings and every temporary copy"
    assert seconds < EXIT_TIMEOUT


def test_a_signal_while_the_sample_data_is_being_made_still_removes_it(tmp_path) -> None:
    process, temp = start_demo(tmp_path)
    folder = wait_for(process, lambda: demo_folder(temp), "sample-data folder")
    _seconds, stderr = stop_and_wait(process, signal.SIGTERM)  # the sample data is still being written
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert not folder.exists()
    assert list(temp.iterdir()) == []


def test_a_desktop_logout_and_the_signals_reach_the_same_close(qapp) -> None:
    """The session manager's commit-data request (a logout) is answered like the signals above. (No test can
    make Qt emit it without a desktop session manager: the test sees the connection and the handlers.)"""
    from PySide6.QtCore import SIGNAL

    from secondopinion_desktop.ui.app import quit_on_signals

    logout = SIGNAL("commitDataRequest(QSessionManager&)")
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    listening = qapp.receivers(logout)
    restore = quit_on_signals(qapp)
    try:
        assert qapp.receivers(logout) == listening + 1
        handlers = {signal.getsignal(sig) for sig in before}
        assert len(handlers) == 1 and not handlers & set(before.values()), "one close for every signal"
    finally:
        restore()
    assert qapp.receivers(logout) == listening
    assert {sig: signal.getsignal(sig) for sig in before} == before, "the old handlers are back"


TYPING_DRIVER = """
import os, signal, sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from secondopinion_desktop.ui import app
from secondopinion_desktop.ui.main_window import MainWindow

def poll():
    ready = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.folder is not None
             and w.appointments_tab is not None]
    if not ready:
        return
    timer.stop()
    window = ready[0]
    window.tabs.setCurrentWidget(window.appointments_tab)
    notes = window.appointments_tab.notes
    if notes.note_id is None:
        QTest.mouseClick(notes.new_button, Qt.MouseButton.LeftButton)
    notes.editor.setFocus()
    QTest.keyClicks(notes.editor, " Typed just before the signal.")
    print("TYPED", flush=True)
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))  # the note is not saved yet: its autosave waits

application = app.make_application()
timer = QTimer()
timer.timeout.connect(poll)
timer.start(25)
print("EXIT", app.run_gui(data_dir=sys.argv[1]), flush=True)
"""


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGHUP"])
def test_a_signal_saves_the_note_being_typed_and_lets_go_of_the_folder(tmp_path, signum) -> None:
    from secondopinion_desktop.core.lock import acquire_for_window

    data = tmp_path / "data"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               SECONDOPINION_LOG_DIR=str(tmp_path / "log"))
    subprocess.run([sys.executable, "-m", "secondopinion_desktop", "demo", "--data-dir", str(data)], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    result = subprocess.run([sys.executable, "-c", TYPING_DRIVER, str(data), signum], capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert "TYPED" in result.stdout, result.stderr
    assert "EXIT 0" in result.stdout and result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    with sqlite3.connect(data / "secondopinion.db") as db:
        saved = db.execute("select count(*) from appointment_note where text like ?",
                           ("%Typed just before the signal.%",)).fetchone()[0]
    assert saved == 1, "the note being typed was saved"
    lock = acquire_for_window(data)
    assert lock is not None, "the folder's lock was let go of"
    lock.release()
