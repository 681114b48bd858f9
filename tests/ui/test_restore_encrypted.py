"""File › Restore… with encrypted backups: a backup under other keys than the open folder's asks for its own
passphrase (typed as a person would; wrong ones said, Cancel changes nothing), the confirmation says what the
restore does to the protection, and the folder is reopened with the keys it has afterwards."""

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
from PySide6.QtWidgets import QDialogButtonBox
from ui.test_fits_screen import assert_fits
from ui.test_safety import JOB_TIMEOUT, close_message, record_titles

from secondopinion_desktop.core.backup import create_backup
from secondopinion_desktop.core.crypto.convert import encrypt_folder
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams, new_recovery_key
from secondopinion_desktop.core.crypto.seal import FolderKey, is_encrypted, unlock_folder
from secondopinion_desktop.core.db import DataFolder, open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.lock import folder_lock
from secondopinion_desktop.ui.safety import common
from secondopinion_desktop.ui.safety import restore as restore_ui

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
THEIRS = "the passphrase the backup was made under"
OURS = "the passphrase the folder has today"


def _encrypted_copy(template: Path, where: Path, passphrase: str) -> FolderKey:
    shutil.copytree(template, where, symlinks=True)
    with folder_lock(where, "encrypt") as lock:
        encrypt_folder(where, passphrase, new_recovery_key(), lock=lock, params=FAST)
    return unlock_folder(where, passphrase=passphrase)


@pytest.fixture(scope="module")
def plain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("plain") / "data"
    folder = open_data_folder(where)
    fill_demo_data(folder)
    folder.close()
    return where


@pytest.fixture(scope="module")
def sealed_backup(plain_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """An encrypted backup of another folder (made under THEIRS), and how many records it holds."""
    where = tmp_path_factory.mktemp("theirs") / "data"
    key = _encrypted_copy(plain_template, where, THEIRS)
    folder = open_data_folder(where, key=key)
    try:
        archive = create_backup(folder, where.parent / "theirs.zip")
        return archive, len(record_titles(folder))
    finally:
        folder.close()


def _runner(folder: DataFolder, holder: dict) -> restore_ui.RestoreRunner:
    runner = restore_ui.RestoreRunner(None, folder)

    def close_folder() -> None:
        holder["folder"].close()

    def reopened(new: DataFolder) -> None:
        holder["folder"] = new

    runner.closeRequested.connect(close_folder)
    runner.reopened.connect(reopened)
    return runner


def _type(qtbot, dialog, text: str) -> None:  # type: ignore[no-untyped-def]
    dialog.secret.setFocus()
    dialog.secret.selectAll()
    qtbot.keyClicks(dialog.secret, text)
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)


def test_a_backup_under_other_keys_asks_for_its_passphrase(qtbot, tmp_path: Path, plain_template: Path,  # type: ignore[no-untyped-def]
                                                           sealed_backup: tuple[Path, int], monkeypatch,
                                                           screenshot) -> None:
    archive, records = sealed_backup
    where = tmp_path / "data"
    our_key = _encrypted_copy(plain_template, where, OURS)
    folder = open_data_folder(where, key=our_key)
    asked: list[str] = []
    monkeypatch.setattr(common, "confirm", lambda parent, title, text, yes: asked.append(text) or True)
    holder = {"folder": folder}
    runner = _runner(folder, holder)
    try:
        runner.start(archive)
        qtbot.waitUntil(lambda: runner.unlock_dialog is not None and runner.unlock_dialog.isVisible(),
                        timeout=JOB_TIMEOUT)
        dialog = runner.unlock_dialog
        screenshot(dialog, f"restore-unlock-backup-{TEXT_SCALE:g}x")
        assert_fits(dialog, "the backup's unlock dialog")
        assert dialog.focusWidget() is dialog.secret
        assert "theirs.zip" in dialog.findChild(type(dialog.message), "unlockIntro").text()
        _type(qtbot, dialog, OURS)  # today's passphrase does not open it
        qtbot.waitUntil(lambda: "does not open this backup" in dialog.message.text(), timeout=JOB_TIMEOUT)
        assert not asked and holder["folder"] is folder, "nothing happened yet"
        _type(qtbot, dialog, THEIRS)
        qtbot.waitUntil(lambda: runner.done, timeout=JOB_TIMEOUT)
        assert asked and "once restored, they open only with that earlier passphrase" in asked[0]
        text = close_message(runner.message)
        assert "restored from theirs.zip" in text and "earlier passphrase" in text
        reopened = holder["folder"]
        assert reopened is not folder and reopened.encrypted and len(record_titles(reopened)) == records
        assert reopened.key is not None and reopened.key.key_id == unlock_folder(where, passphrase=THEIRS).key_id
    finally:
        holder["folder"].close()


def test_cancel_at_the_backup_s_passphrase_changes_nothing(qtbot, tmp_path: Path, plain_template: Path,  # type: ignore[no-untyped-def]
                                                           sealed_backup: tuple[Path, int], monkeypatch) -> None:
    archive, _ = sealed_backup
    where = tmp_path / "data"
    shutil.copytree(plain_template, where, symlinks=True)
    folder = open_data_folder(where)  # a plain folder: an encrypted backup asks for its passphrase too
    before = record_titles(folder)
    asked: list[str] = []
    monkeypatch.setattr(common, "confirm", lambda *a: asked.append("asked") or True)
    holder = {"folder": folder}
    runner = _runner(folder, holder)
    try:
        runner.start(archive)
        qtbot.waitUntil(lambda: runner.unlock_dialog is not None and runner.unlock_dialog.isVisible(),
                        timeout=JOB_TIMEOUT)
        dialog = runner.unlock_dialog
        cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel.text() == "&Cancel"
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: runner.done, timeout=JOB_TIMEOUT)
        assert not asked and holder["folder"] is folder and not is_encrypted(where)
        assert record_titles(folder) == before
    finally:
        holder["folder"].close()


def test_a_plain_backup_into_an_encrypted_folder_says_it_will_not_be_encrypted(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, plain_template: Path, monkeypatch) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(plain_template, plain, symlinks=True)
    source = open_data_folder(plain)
    try:
        archive = create_backup(source, tmp_path / "plain.zip")
    finally:
        source.close()
    where = tmp_path / "data"
    key = _encrypted_copy(plain_template, where, OURS)
    folder = open_data_folder(where, key=key)
    asked: list[str] = []
    monkeypatch.setattr(common, "confirm", lambda parent, title, text, yes: asked.append(text) or True)
    holder = {"folder": folder}
    runner = _runner(folder, holder)
    try:
        runner.start(archive)
        qtbot.waitUntil(lambda: runner.done, timeout=JOB_TIMEOUT)
        assert runner.unlock_dialog is None, "a plain backup has no passphrase to ask for"
        assert "made before your records were protected with a passphrase" in asked[0]
        assert "Protect them again" in close_message(runner.message)
        assert not holder["folder"].encrypted and not is_encrypted(where)
    finally:
        holder["folder"].close()


@pytest.mark.skipif(any(os.environ.get(name) is not None for name in (
    "SECONDOPINION_TEST_TEXT_SCALE", "SECONDOPINION_TEST_SCREEN", "SECONDOPINION_TEST_SCREEN_SCALE")),
    reason="this is the inner run")
def test_it_fits_with_text_at_one_and_a_half() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "other_keys"],
        env={**os.environ, "SECONDOPINION_TEST_TEXT_SCALE": "1.5"}, capture_output=True, text=True, timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
