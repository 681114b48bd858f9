"""Back up…, Restore…, Check data…, the automatic backup on close, and one window per data folder."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from secondopinion_desktop.core.lock import acquire_for_window, lock_path, read_owner, refusal
from secondopinion_desktop.ui.safety import autobackup, common
from secondopinion_desktop.ui.safety import backup as backup_ui
from secondopinion_desktop.ui.safety import check as check_ui
from secondopinion_desktop.ui.safety import restore as restore_ui

JOB_TIMEOUT = 60_000


def owner_pid(data_dir: Path) -> int | None:
    owner = read_owner(data_dir)
    return owner.pid if owner is not None else None


def close_message(box: QMessageBox | None) -> str:
    """The text of a message the code showed, which is then closed as the user would."""
    assert box is not None, "a message was shown"
    text = box.text()
    box.accept()
    return text


def record_titles(folder) -> list[str]:
    from secondopinion_desktop.core.records import list_record_rows

    with folder.session() as session:
        return sorted(row.title for row in list_record_rows(session))


# --- one instance per data folder ------------------------------------------------------------------------------


def test_second_lock_on_the_same_folder_is_refused_until_the_first_is_released(tmp_path: Path) -> None:
    first = acquire_for_window(tmp_path / "data")
    assert first is not None and first.locked
    assert lock_path(tmp_path / "data").is_file()
    assert oct(lock_path(tmp_path / "data").stat().st_mode & 0o777) == "0o600"
    assert acquire_for_window(tmp_path / "data", wait=0) is None, "a second writer on the same folder is refused"
    text = refusal(tmp_path / "data")[1]
    assert text == (
        f"Second Opinion is already open on this data folder (process {__import__('os').getpid()}). "
        "Close it first — two windows must never write the same records."
    )
    first.release()
    assert owner_pid(tmp_path / "data") is None
    again = acquire_for_window(tmp_path / "data")
    assert again is not None
    again.release()


def test_a_folder_that_cannot_be_created_raises_rather_than_claiming_another_window(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    from secondopinion_desktop.core.errors import DataFolderError

    with pytest.raises((OSError, DataFolderError)):
        acquire_for_window(tmp_path / "file" / "data")


def test_other_folders_are_not_blocked(tmp_path: Path) -> None:
    one, two = acquire_for_window(tmp_path / "one"), acquire_for_window(tmp_path / "two")
    assert one is not None and two is not None
    one.release()
    two.release()


_HOLD = (
    "import sys; from secondopinion_desktop.core.lock import acquire; "
    "lock = acquire(sys.argv[1], sys.argv[2]); print('held', flush=True); sys.stdin.read()"
)


def test_a_lock_left_by_a_killed_window_is_free_at_once(tmp_path: Path) -> None:
    """The operating system lets go of a killed process's lock: no stale lock, nothing to guess."""
    import signal

    data = tmp_path / "data"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(data), "window"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        assert acquire_for_window(data, wait=0) is None
        assert owner_pid(data) == holder.pid
        assert f"(process {holder.pid})" in refusal(data)[1]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdin.close()
        holder.stdout.close()
    assert owner_pid(data) is None, "a dead process's name is not shown as the owner"
    taken = acquire_for_window(data, wait=0)
    assert taken is not None, "a crashed window's lock does not lock the user out"
    assert owner_pid(data) == __import__("os").getpid()
    taken.release()


def test_a_window_says_which_command_is_changing_the_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(data), "import-imaging"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        assert acquire_for_window(data, wait=0) is None
        assert refusal(data)[1] == (
            f"This data folder is being changed by the command “secondopinion import-imaging” (process "
            f"{holder.pid}). Try again when it has finished — two programs must never write the same records."
        )
    finally:
        holder.communicate(b"")


# --- Back up… --------------------------------------------------------------------------------------------------


def test_back_up_now_writes_an_archive_that_verifies(qtbot, demo_folder, tmp_path: Path) -> None:
    from secondopinion_desktop.core.backup import verify_backup

    target = tmp_path / "out" / common.default_backup_name()
    target.parent.mkdir()
    job = backup_ui.backup_now(None, demo_folder, target)
    assert job is not None
    qtbot.waitUntil(lambda: job.done, timeout=JOB_TIMEOUT)
    assert job.result == target
    assert target.is_file()
    manifest = verify_backup(target)
    assert "file" in restore_ui.describe_manifest(manifest)
    assert str(target) in close_message(job.message)
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name], "no temporary file left"


def test_back_up_default_name_is_dated() -> None:
    import datetime as dt

    assert common.default_backup_name(dt.date(2024, 3, 9)) == "secondopinion-backup-2024-03-09.zip"


def test_back_up_to_an_impossible_place_says_so_and_leaves_nothing(qtbot, demo_folder, tmp_path: Path,
                                                                  monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    shown: list[str] = []
    real = common.show_message
    monkeypatch.setattr(common, "show_message", lambda parent, icon, title, text: shown.append(text)
                        or real(parent, icon, title, text))
    assert backup_ui.backup_now(None, demo_folder, blocker / "backup.zip") is None, "refused before it starts"
    assert len(shown) == 1 and "is not a folder" in shown[0] and "Nothing was written" in shown[0]
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox):
            box.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "not-a-folder"]


def test_back_up_file_dialog_cancelled_does_nothing(qtbot, demo_folder, monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert backup_ui.backup_now(None, demo_folder) is None


def test_back_up_file_dialog_suggests_the_dated_name(qtbot, demo_folder, monkeypatch, tmp_path: Path) -> None:
    seen: list[str] = []

    def fake(parent, caption, suggested, filters):
        seen.append(suggested)
        return str(tmp_path / "mine"), filters  # no extension typed: .zip is added

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    job = backup_ui.backup_now(None, demo_folder)
    qtbot.waitUntil(lambda: job.done, timeout=JOB_TIMEOUT)
    assert Path(seen[0]).name == common.default_backup_name(name="Alex Sample")
    assert Path(seen[0]).name.startswith("secondopinion-backup-alex-sample-"), "whose backup it is"
    assert job.result == tmp_path / "mine.zip"
    close_message(job.message)


# --- Check data… -----------------------------------------------------------------------------------------------


def open_check(qtbot, folder) -> check_ui.CheckDialog:
    dialog = check_ui.CheckDialog(None, folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.report is not None, timeout=JOB_TIMEOUT)
    return dialog


def test_check_on_healthy_data_says_no_problems(qtbot, demo_folder, screenshot) -> None:
    dialog = open_check(qtbot, demo_folder)
    assert dialog.report.ok
    assert "No problems found" in dialog.status.text()
    assert dialog.details.toPlainText().strip(), "the report lists what was checked"
    assert not dialog.repair_button.isEnabled()
    assert dialog.again_button.isEnabled()
    screenshot(dialog, "check-ok")


def test_check_reports_a_missing_file_and_repair_cannot_fix_it(qtbot, demo_folder, screenshot) -> None:
    digest = next(iter(demo_folder.vault.stored()))
    demo_folder.vault.path_for(digest).unlink()
    dialog = open_check(qtbot, demo_folder)
    assert not dialog.report.ok
    assert "Problems found" in dialog.status.text()
    assert "missing" in dialog.details.toPlainText().lower()
    assert digest[:12] in dialog.details.toPlainText()
    assert not dialog.repair_button.isEnabled(), "repair never invents a missing record file"
    screenshot(dialog, "check-missing")


def age_past_the_guard(path: Path) -> None:
    """A file nothing refers to counts as an orphan only when older than an hour (an import may be writing)."""
    import os
    import time

    old = time.time() - 2 * 3600
    os.utime(path, (old, old))


def test_an_orphan_file_enables_repair_and_repair_removes_it(qtbot, demo_folder, screenshot) -> None:
    content = b"a file no record refers to"
    digest = hashlib.sha256(content).hexdigest()
    orphan = demo_folder.vault.path_for(digest)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(content)
    age_past_the_guard(orphan)
    kept = set(demo_folder.vault.stored()) - {digest}

    dialog = open_check(qtbot, demo_folder)
    assert not dialog.report.ok
    assert digest[:12] in dialog.details.toPlainText()
    assert dialog.repair_button.isEnabled()
    screenshot(dialog, "check-orphan")

    errors = on_next_dialog(lambda box: next(b for b in box.buttons() if "Repair" in b.text()).click())
    qtbot.mouseClick(dialog.repair_button, Qt.MouseButton.LeftButton)
    assert errors == []
    qtbot.waitUntil(lambda: dialog.repair_result is not None and not dialog.busy(), timeout=JOB_TIMEOUT)
    assert not orphan.exists()
    assert set(demo_folder.vault.stored()) == kept, "only the orphan was removed"
    close_message(dialog.message)
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.report.ok, timeout=JOB_TIMEOUT)
    assert "No problems found" in dialog.status.text()
    assert not dialog.repair_button.isEnabled()


def test_repair_declined_changes_nothing(qtbot, demo_folder, monkeypatch) -> None:
    content = b"another orphan"
    orphan = demo_folder.vault.path_for(hashlib.sha256(content).hexdigest())
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(content)
    age_past_the_guard(orphan)
    dialog = open_check(qtbot, demo_folder)
    monkeypatch.setattr(common, "confirm", lambda *a: False)
    assert dialog.repair() is None
    assert orphan.exists()
    assert dialog.repair_button.isEnabled()


# --- automatic backups -----------------------------------------------------------------------------------------


def test_backup_on_close_runs_once_a_day(demo_folder) -> None:
    first = autobackup.backup_on_close(demo_folder, keep=3)
    assert first is not None and first.is_file()
    assert first.parent.name == "backups" and first.parent.parent == demo_folder.path
    assert autobackup.backup_on_close(demo_folder, keep=3) is None, "at most once a day"
    assert list(first.parent.glob("*.zip")) == [first]


def test_backup_on_close_never_raises(demo_folder, monkeypatch, capsys) -> None:
    import secondopinion_desktop.core.backup as core_backup

    def broken(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(core_backup, "automatic_backup", broken)
    assert autobackup.backup_on_close(demo_folder) is None
    assert "the automatic backup failed: [Errno 28] No space left on device" in capsys.readouterr().err


def test_backup_on_close_uses_the_setting(demo_folder, monkeypatch) -> None:
    import secondopinion_desktop.core.backup as core_backup

    seen: list[int] = []
    monkeypatch.setattr(core_backup, "automatic_backup", lambda folder, *, keep, **_k: seen.append(keep))
    assert autobackup.backups_to_keep() == 7
    autobackup.backup_on_close(demo_folder)
    QSettings().setValue(autobackup.BACKUPS_TO_KEEP_KEY, 500)
    assert autobackup.backups_to_keep() == 60
    QSettings().setValue(autobackup.BACKUPS_TO_KEEP_KEY, "nonsense")
    assert autobackup.backups_to_keep() == 7
    assert seen == [7]


def test_backup_settings_dialog_saves_how_many_to_keep(qtbot) -> None:
    dialog = autobackup.BackupSettingsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.keep.value() == 7
    assert (dialog.keep.minimum(), dialog.keep.maximum()) == (1, 60)
    dialog.keep.selectAll()
    qtbot.keyClicks(dialog.keep, "14")
    qtbot.keyClick(dialog.keep, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert autobackup.backups_to_keep() == 14
    again = autobackup.BackupSettingsDialog()
    qtbot.addWidget(again)
    assert again.keep.value() == 14


# --- Restore… --------------------------------------------------------------------------------------------------


@pytest.fixture
def backup_of(qtbot, tmp_path: Path):
    def make(folder) -> Path:
        from secondopinion_desktop.core.backup import create_backup

        return create_backup(folder, tmp_path / "saved.zip")

    return make


def wire(runner, folder_holder: dict) -> dict:
    """What MainWindow does: close the folder when asked, take the reopened one."""
    events: dict = {"closed": 0, "reopened": None, "restored": None, "failed": None}

    def close_folder() -> None:
        events["closed"] += 1
        folder_holder["folder"].close()

    def reopened(folder) -> None:
        events["reopened"] = folder
        folder_holder["folder"] = folder

    runner.closeRequested.connect(close_folder)
    runner.reopened.connect(reopened)
    runner.restored.connect(lambda path: events.__setitem__("restored", path))
    runner.failed.connect(lambda message: events.__setitem__("failed", message))
    return events


def test_restore_brings_back_the_backup_and_reopens(qtbot, demo_folder, backup_of, monkeypatch) -> None:
    from secondopinion_desktop.core.records import delete_record, list_record_rows

    before = record_titles(demo_folder)
    archive = backup_of(demo_folder)
    with demo_folder.session() as session:
        doomed = list_record_rows(session)[0]
    delete_record(demo_folder, doomed.id)
    from secondopinion_desktop.core.records import update_record

    with demo_folder.session() as session:  # a change after the backup: the backup is older than the data
        update_record(session, list_record_rows(session)[0].id, notes="changed after the backup")
    assert record_titles(demo_folder) != before

    asked: list[str] = []
    monkeypatch.setattr(common, "confirm", lambda parent, title, text, yes: asked.append(text) or True)
    holder = {"folder": demo_folder}
    lock = acquire_for_window(demo_folder.path)
    assert lock is not None
    runner = restore_ui.RestoreRunner(None, demo_folder, lock)
    events = wire(runner, holder)
    relocked: list = []
    runner.relocked.connect(relocked.append)
    with qtbot.waitSignal(runner.restored, timeout=JOB_TIMEOUT):
        runner.start(archive)
    qtbot.waitUntil(lambda: runner.done, timeout=JOB_TIMEOUT)
    reopened = events["reopened"]
    try:
        assert events["closed"] == 1 and events["failed"] is None
        assert "saved.zip holds" in asked[0] and "file" in asked[0]
        assert f"Alex Sample's records: {len(before)} records, last changed " in asked[0], "whose, how many, when"
        assert f"It replaces Alex Sample's records: {len(before) - 1} records" in asked[0]
        assert "kept as a backup first" in asked[0]
        assert "Warning: This backup is older than the records it replaces" in asked[0]
        assert "schema" not in asked[0]
        assert reopened is not None and reopened.path == demo_folder.path
        assert record_titles(reopened) == before, "the deleted record is back"
        text = close_message(runner.message)
        assert "restored from saved.zip" in text and "before-restore" in text, "the previous data was kept"
        assert relocked == [], "the window's lock moved into the restored folder with the swap: the same lock"
        assert lock.locked and runner.lock is lock
        assert owner_pid(demo_folder.path) == __import__("os").getpid()
        assert acquire_for_window(demo_folder.path, wait=0) is None, "still one window per folder after a restore"
        lock.release()
        assert owner_pid(demo_folder.path) is None
    finally:
        if reopened is not None:
            reopened.close()


def test_restore_declined_changes_nothing(qtbot, demo_folder, backup_of, monkeypatch) -> None:
    archive = backup_of(demo_folder)
    monkeypatch.setattr(common, "confirm", lambda *a: False)
    runner = restore_ui.RestoreRunner(None, demo_folder)
    events = wire(runner, {"folder": demo_folder})
    runner.start(archive)
    qtbot.waitUntil(lambda: runner.done, timeout=JOB_TIMEOUT)
    assert events == {"closed": 0, "reopened": None, "restored": None, "failed": None}
    assert record_titles(demo_folder), "the folder is still open and usable"


def test_restore_of_a_damaged_archive_is_refused_before_anything_is_touched(
    qtbot, demo_folder, tmp_path: Path, monkeypatch
) -> None:
    before = record_titles(demo_folder)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip archive")
    monkeypatch.setattr(common, "confirm", lambda *a: pytest.fail("a bad archive must not get this far"))
    runner = restore_ui.RestoreRunner(None, demo_folder)
    events = wire(runner, {"folder": demo_folder})
    runner.start(bad)
    qtbot.waitUntil(lambda: runner.done, timeout=JOB_TIMEOUT)
    assert events["closed"] == 0 and events["restored"] is None
    assert events["failed"].startswith("bad.zip cannot be restored:")
    assert events["failed"].endswith("Nothing was changed.")
    close_message(runner.message)
    assert record_titles(demo_folder) == before


def test_restore_from_asks_for_the_archive_and_stops_when_declined(qtbot, demo_folder, backup_of, monkeypatch) -> None:
    # One successful restore per test process only: a second one crashes CPython at interpreter exit
    # ("bool_dealloc" during the final garbage collection) — under investigation, see the report.
    archive = backup_of(demo_folder)
    asked: list[str] = []
    monkeypatch.setattr(common, "confirm", lambda parent, title, text, yes: asked.append(text) and False)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(archive), ""))
    calls: list[object] = []
    runner = restore_ui.restore_from(None, demo_folder, close_folder=lambda: calls.append("close"),
                                  set_folder=calls.append)
    with qtbot.waitSignal(runner.finished, timeout=JOB_TIMEOUT):
        pass
    assert asked and "saved.zip holds" in asked[0]
    assert calls == [], "declined: the folder stays open, nothing is reopened"


def test_restore_question_warns_about_someone_else_s_records(tmp_path: Path) -> None:
    import datetime as dt

    from secondopinion_desktop.core.people import FolderSummary

    utc = dt.timezone.utc
    backup = FolderSummary("Ruth Ng", None, 3, dt.datetime(2024, 5, 1, 10, 0, tzinfo=utc))
    current = FolderSummary("Alex Sample", None, 1, dt.datetime(2024, 4, 1, 10, 0, tzinfo=utc))
    text = restore_ui.restore_question("b.zip", None, backup, current, tmp_path)
    assert text.startswith("b.zip holds Ruth Ng's records: 3 records, last changed 2024-05-01")
    assert "It replaces Alex Sample's records: 1 record, last changed 2024-04-01" in text
    assert "Warning: This backup is of Ruth Ng, not of Alex Sample." in text
    assert "older" not in text, "this backup is newer than the data it replaces"
    empty = FolderSummary("", None, 0, None)
    assert "It replaces" not in restore_ui.restore_question("b.zip", None, backup, empty, tmp_path)


def test_the_lock_file_is_private(tmp_path: Path) -> None:
    import stat


    lock = acquire_for_window(tmp_path / "data")
    try:
        assert lock is not None
        assert stat.S_IMODE(lock_path(tmp_path / "data").stat().st_mode) == 0o600
    finally:
        lock.release()


def test_back_up_into_the_data_folder_is_refused(qtbot, demo_folder) -> None:
    target = demo_folder.path / "vault" / "backup.zip"
    assert backup_ui.backup_now(None, demo_folder, target) is None
    assert not target.exists()


def test_while_a_restore_runs_the_window_cannot_reach_the_folder(qtbot, demo_folder, backup_of, monkeypatch) -> None:
    """The tabs hold the closed folder while it is swapped: nothing in them (or in the Edit menu) may be used
    until the restored folder is open, and the restore's progress shows at once (it is modal)."""
    import threading

    from PySide6.QtWidgets import QFileDialog, QProgressDialog

    from secondopinion_desktop.ui.main_window import MainWindow

    archive = backup_of(demo_folder)
    lock = acquire_for_window(demo_folder.path)
    assert lock is not None
    window = MainWindow(demo_folder)
    window.folder_lock = lock
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(archive), ""))
    monkeypatch.setattr(common, "confirm", lambda *a: True)
    monkeypatch.setattr(common, "show_message", lambda *a, **k: None)
    gate, started = threading.Event(), threading.Event()
    real = restore_ui._restore_and_reopen

    def held(*args):
        started.set()
        assert gate.wait(JOB_TIMEOUT / 1000)
        return real(*args)

    monkeypatch.setattr(restore_ui, "_restore_and_reopen", held)
    window.restore_action.trigger()
    try:
        qtbot.waitUntil(started.is_set, timeout=JOB_TIMEOUT)  # the archive is checked first, then the swap
        assert not window.tabs.isEnabled() and not window.edit_menu.isEnabled()
        qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(QProgressDialog)), timeout=2000)
    finally:
        gate.set()
    qtbot.waitUntil(lambda: window.restore_runner is not None and window.restore_runner.done, timeout=JOB_TIMEOUT)
    assert window.folder is not None and window.tabs.isEnabled() and window.edit_menu.isEnabled()
    window.close()
    if window.folder is not None:
        window.folder.close()
    lock.release()
