"""Settings › Protect my data with a passphrase…: typed into as a person would; the strength hint, the two
passphrases, the recovery key shown once and its sheet; then the folder is encrypted and reopened in the window."""

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
from ui.test_fits_screen import assert_fits

from secondopinion_desktop.core.crypto import keys
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams
from secondopinion_desktop.core.crypto.seal import is_encrypted, unlock_folder
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.ui.safety.protect import ProtectDialog, encrypt_now

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
PASS = "violet umbrella quarry tides"


def test_the_dialog_step_by_step(qtbot, demo_folder, screenshot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = ProtectDialog(demo_folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.focusWidget() is dialog.first
    assert not dialog.next_button.isEnabled()
    qtbot.keyClicks(dialog.first, "password1")
    assert "Too easy" in dialog.hint.text() or "at least" in dialog.hint.text()
    assert not dialog.next_button.isEnabled()
    dialog.first.clear()
    qtbot.keyClicks(dialog.first, PASS)
    assert dialog.hint.text().startswith("Strong")
    qtbot.keyClicks(dialog.second, PASS[:-1])
    assert "not the same" in dialog.hint.text() and not dialog.next_button.isEnabled()
    qtbot.keyClicks(dialog.second, PASS[-1])
    assert dialog.next_button.isEnabled()
    screenshot(dialog, f"protect-passphrase-{TEXT_SCALE:g}x")
    assert_fits(dialog, "protect, passphrase")
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert dialog.pages.currentIndex() == 1 and dialog.first.text() == ""
    key = dialog.key_label.text()
    assert len(key.replace("-", "")) == 32
    assert not dialog.next_button.isEnabled(), "not before the key is kept"
    sheet = tmp_path / "sheet.pdf"
    assert dialog.write_sheet(sheet) and sheet.read_bytes().startswith(b"%PDF")
    assert dialog.write_sheet(demo_folder.path / "inside.pdf") is False, "never inside the data folder"
    assert "not saved" in dialog.sheet_note.text()
    qtbot.mouseClick(dialog.kept, Qt.MouseButton.LeftButton)
    assert dialog.next_button.isEnabled()
    screenshot(dialog, f"protect-recovery-{TEXT_SCALE:g}x")
    assert_fits(dialog, "protect, recovery key")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert dialog.passphrase == PASS and dialog.recovery_key == key


def test_the_window_encrypts_and_reopens_the_folder(qtbot, tmp_path: Path, demo_folder,  # type: ignore[no-untyped-def]
                                                    monkeypatch) -> None:
    from secondopinion_desktop.core.crypto.keys import new_recovery_key
    from secondopinion_desktop.ui.main_window import MainWindow

    monkeypatch.setattr(keys, "calibrate", lambda *a, **k: FAST)
    where = tmp_path / "copy"
    shutil.copytree(demo_folder.path, where, symlinks=True)
    folder = open_data_folder(where)
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.protect_action.isEnabled() and not window.lock_action.isEnabled()
        rows = window.records_tab.model.rowCount()
        recovery = new_recovery_key()
        encrypt_now(window, PASS, recovery)
        qtbot.waitUntil(lambda: window.folder is not None and window.folder.encrypted, timeout=30_000)
        assert is_encrypted(where)
        assert window.lock_action.isEnabled() and not window.protect_action.isEnabled()
        qtbot.waitUntil(lambda: window.records_tab.model.rowCount() == rows, timeout=10_000)
        assert unlock_folder(where, recovery_key=recovery).key_id == window.folder.key.key_id
    finally:
        window.close()
        if window.folder is not None:
            window.folder.close()


@pytest.mark.skipif(any(os.environ.get(name) is not None for name in (
    "SECONDOPINION_TEST_TEXT_SCALE", "SECONDOPINION_TEST_SCREEN", "SECONDOPINION_TEST_SCREEN_SCALE")),
    reason="this is the inner run")
def test_it_fits_with_text_at_one_and_a_half() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "step_by_step"],
        env={**os.environ, "SECONDOPINION_TEST_TEXT_SCALE": "1.5"}, capture_output=True, text=True, timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_first_start_offers_it_once(qtbot, demo_folder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.ui.main_window import MainWindow
    from secondopinion_desktop.ui.safety import offer, protect

    window = MainWindow(demo_folder)
    qtbot.addWidget(window)
    window.show()
    opened: list[object] = []
    monkeypatch.setattr(protect, "protect_folder", lambda w: opened.append(w))
    box = offer.offer_protection_once(window)
    assert box is not None and box.isVisible() and "passphrase" in box.text()
    assert not box.isModal(), "the window works on while it is asked"
    protect_button = next(b for b in box.buttons() if b.text() == "&Protect my data…")
    qtbot.mouseClick(protect_button, Qt.MouseButton.LeftButton)
    assert opened == [window]
    assert offer.offer_protection_once(window) is None, "only once"
    window.close()


def test_change_the_passphrase_then_turn_it_off(qtbot, tmp_path: Path, demo_folder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.crypto.convert import encrypt_folder
    from secondopinion_desktop.core.crypto.keys import WrongSecret, new_recovery_key
    from secondopinion_desktop.core.lock import folder_lock
    from secondopinion_desktop.ui.main_window import MainWindow
    from secondopinion_desktop.ui.safety import protect

    where = tmp_path / "copy"
    shutil.copytree(demo_folder.path, where, symlinks=True)
    with folder_lock(where, "encrypt") as lock:
        encrypt_folder(where, PASS, new_recovery_key(), lock=lock, params=FAST)
    folder = open_data_folder(where, key=unlock_folder(where, passphrase=PASS))
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.change_passphrase_action.isEnabled() and window.unprotect_action.isEnabled()
        new = "a quite different passphrase"

        def typed(dialog: ProtectDialog) -> int:
            assert dialog.changing and dialog.pages.count() == 2
            qtbot.keyClicks(dialog.first, new)
            qtbot.keyClicks(dialog.second, new)
            assert dialog.next_button.text() == "&Change the passphrase" and dialog.next_button.isEnabled()
            dialog.next_button.click()
            return int(dialog.result())

        monkeypatch.setattr(ProtectDialog, "exec", typed)
        op = protect.change_passphrase_of(window)
        assert op is not None
        qtbot.waitUntil(lambda: unlock_ok(where, new), timeout=20_000)
        with pytest.raises(WrongSecret):
            unlock_folder(where, passphrase=PASS)

        from secondopinion_desktop.ui.widgets.forms import export_title

        assert export_title("Save the packet", window.folder) == "Save the packet (written unencrypted, to be shared)"
        rows = window.records_tab.model.rowCount()
        protect.turn_off_protection(window, confirmed=True)
        qtbot.waitUntil(lambda: window.folder is not None and not window.folder.encrypted, timeout=30_000)
        assert not is_encrypted(where) and window.protect_action.isEnabled()
        assert export_title("Save the packet", window.folder) == "Save the packet"
        qtbot.waitUntil(lambda: window.records_tab.model.rowCount() == rows, timeout=10_000)
    finally:
        window.close()
        if window.folder is not None:
            window.folder.close()


def unlock_ok(where: Path, passphrase: str) -> bool:
    from secondopinion_desktop.core.crypto.keys import WrongSecret

    try:
        unlock_folder(where, passphrase=passphrase)
    except WrongSecret:
        return False
    return True
