"""The unlock dialog of an encrypted folder: typed into and clicked as a person would; three wrong tries pause,
the recovery key opens it too, it fits a 1280×720 screen; the window opens the folder with the keys it gives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

from conftest import TEXT_SCALE
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from ui.test_fits_screen import assert_fits

from secondopinion_desktop.core.crypto.convert import encrypt_folder
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams, new_recovery_key
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.lock import folder_lock
from secondopinion_desktop.ui.safety.unlock import UnlockDialog

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
PASS = "correct horse battery staple"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    where = tmp_path_factory.mktemp("sealed") / "data"
    folder = open_data_folder(where)
    fill_demo_data(folder)
    folder.close()
    recovery = new_recovery_key()
    with folder_lock(where, "encrypt") as lock:
        encrypt_folder(where, PASS, recovery, lock=lock, params=FAST)
    return where, recovery


@pytest.fixture
def sealed(template: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    where = tmp_path / "data"
    shutil.copytree(template[0], where, symlinks=True)
    return where, template[1]


def _type_and_open(qtbot, dialog: UnlockDialog, text: str) -> None:  # type: ignore[no-untyped-def]
    dialog.secret.setFocus()
    dialog.secret.selectAll()
    qtbot.keyClicks(dialog.secret, text)
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)  # Enter in the field presses Open


def test_wrong_tries_then_a_pause_then_the_right_passphrase(qtbot, sealed, screenshot) -> None:  # type: ignore[no-untyped-def]
    where, _ = sealed
    dialog = UnlockDialog(where, pause_seconds=2)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    screenshot(dialog, f"unlock-{TEXT_SCALE:g}x")
    assert_fits(dialog, "unlock")
    assert dialog.focusWidget() is dialog.secret, "the cursor is in the passphrase field"
    assert dialog.secret.echoMode() == dialog.secret.EchoMode.Password
    assert not dialog.open_button.isEnabled(), "nothing typed: nothing to open with"
    for n in (1, 2):
        _type_and_open(qtbot, dialog, f"wrong guess {n}")
        qtbot.waitUntil(lambda n=n: dialog.failures == n, timeout=10_000)
        assert "does not open your records" in dialog.message.text()
        assert dialog.secret.isEnabled()
    _type_and_open(qtbot, dialog, "wrong guess 3")
    qtbot.waitUntil(lambda: dialog.failures == 3, timeout=10_000)
    assert "Wait 2 seconds" in dialog.message.text()
    screenshot(dialog, f"unlock-paused-{TEXT_SCALE:g}x")
    assert not dialog.secret.isEnabled() and not dialog.open_button.isEnabled()
    qtbot.waitUntil(dialog.secret.isEnabled, timeout=5_000)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        _type_and_open(qtbot, dialog, PASS)
    assert dialog.key is not None and dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.secret.text() == "", "nothing typed is kept"
    folder = open_data_folder(where, key=dialog.key)
    folder.close()


def test_the_recovery_key_opens_it_too(qtbot, sealed) -> None:  # type: ignore[no-untyped-def]
    where, recovery = sealed
    dialog = UnlockDialog(where)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.use_recovery, Qt.MouseButton.LeftButton)
    assert dialog.use_recovery.isChecked() and dialog.prompt.text() == "&Recovery key:"
    assert dialog.secret.echoMode() == dialog.secret.EchoMode.Normal
    qtbot.keyClicks(dialog.secret, recovery.lower())
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.key is not None


def test_quit_leaves_no_key(qtbot, sealed) -> None:  # type: ignore[no-untyped-def]
    where, _ = sealed
    dialog = UnlockDialog(where)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.secret, PASS)
    with qtbot.waitSignal(dialog.rejected, timeout=5_000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.key is None and dialog.secret.text() == ""


def test_the_window_opens_an_encrypted_folder_with_the_keys(qtbot, sealed) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.crypto.seal import unlock_folder
    from secondopinion_desktop.ui.app import open_folder_for_gui
    from secondopinion_desktop.ui.main_window import MainWindow

    where, _ = sealed
    folder, _demo = open_folder_for_gui(str(where), False, key=unlock_folder(where, passphrase=PASS))
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.records_tab is not None and window.records_tab.model.rowCount() > 10
    finally:
        window.close()
        folder.close()


@pytest.mark.skipif(any(os.environ.get(name) is not None for name in (
    "SECONDOPINION_TEST_TEXT_SCALE", "SECONDOPINION_TEST_SCREEN", "SECONDOPINION_TEST_SCREEN_SCALE")),
    reason="this is the inner run")
def test_it_fits_with_text_at_one_and_a_half() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "pause"],
        env={**os.environ, "SECONDOPINION_TEST_TEXT_SCALE": "1.5"}, capture_output=True, text=True, timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _open_window(qtbot, where: Path):  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.crypto.seal import unlock_folder
    from secondopinion_desktop.ui.app import open_folder_for_gui
    from secondopinion_desktop.ui.main_window import MainWindow

    folder, _demo = open_folder_for_gui(str(where), False, key=unlock_folder(where, passphrase=PASS))
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_ctrl_l_locks_and_the_passphrase_opens_it_again(qtbot, sealed, screenshot) -> None:  # type: ignore[no-untyped-def]
    where, _ = sealed
    window = _open_window(qtbot, where)
    try:
        assert window.lock_action.isEnabled()
        window.tabs.setCurrentWidget(window.records_tab)
        table = window.records_tab.table
        table.setFocus()
        qtbot.waitUntil(table.hasFocus)
        old = window.folder
        qtbot.keyClick(table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.window_lock.dialog is not None and window.window_lock.dialog.isVisible())
        assert window.folder is None and not window.tabs.isVisible(), "locked: nothing of the records shows"
        assert old.engine.pool.checkedout() == 0
        dialog = window.window_lock.dialog
        screenshot(window, "locked-window")
        _type_and_open(qtbot, dialog, PASS)
        qtbot.waitUntil(lambda: window.folder is not None and window.tabs.isVisible(), timeout=10_000)
        assert window.records_tab.model.rowCount() > 10
        assert not window.window_lock.locked and window.lock_action.isEnabled()
    finally:
        window.close()
        if window.folder is not None:
            window.folder.close()


def test_an_idle_window_locks_itself_but_not_under_a_dialog(qtbot, sealed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.ui.safety import locking

    monkeypatch.setattr(locking, "idle_minutes", lambda: 1)
    where, _ = sealed
    window = _open_window(qtbot, where)
    try:
        lock = window.window_lock
        assert lock.timer.isActive() and lock.timer.interval() == 60_000
        qtbot.keyClick(window.records_tab.table, Qt.Key.Key_Down)  # any key press counts from now
        assert lock.timer.remainingTime() > 59_000
        from secondopinion_desktop.ui import jobs

        qtbot.waitUntil(lambda: jobs.running_jobs() == 0, timeout=20_000)  # the documents read on opening
        busy = QDialog(window)
        busy.setModal(True)
        busy.show()
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is busy)
        lock.timer.setInterval(50)
        lock.timer.start()
        qtbot.waitUntil(lambda: lock.timer.interval() == 60_000, timeout=5_000)  # put off while a dialog is open
        assert not lock.locked and window.folder is not None
        busy.close()
        lock.timer.setInterval(50)
        lock.timer.start()
        qtbot.waitUntil(lambda: lock.locked, timeout=5_000)
        assert window.folder is None
        with qtbot.waitSignal(lock.dialog.rejected, timeout=5_000):
            lock.dialog.reject()  # Quit from the lock closes the window
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    finally:
        window.close()


def test_a_plain_folder_has_nothing_to_lock(qtbot, demo_folder) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.ui.main_window import MainWindow

    window = MainWindow(demo_folder)
    qtbot.addWidget(window)
    assert not window.lock_action.isEnabled() and window.window_lock is None
    window.lock_records()
    assert window.folder is demo_folder
    window.close()
