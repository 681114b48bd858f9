"""Closing the window saves today's backup off the GUI thread, with progress (issue 13): a big vault never freezes
the window. Before, `closeEvent` ran the whole backup on the GUI thread: with a few GB of imaging the window was
frozen for minutes with nothing on screen."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QPushButton

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.backup import list_backups, verify_backup
from secondopinion_desktop.ui.main_window import MainWindow

GB = 1024**3


def fill_vault(folder, tmp_path: Path, total: int = GB, pieces: int = 4) -> None:
    """Attach ``pieces`` files of ``total`` bytes together to one record (distinct content each)."""
    with folder.session() as session:
        record = svc.create_record(session, "imaging", "CT scans")
    for n in range(pieces):
        source = tmp_path / f"scan{n}.bin"
        with open(source, "wb") as fh:
            block = os.urandom(1 << 20)
            for i in range(total // pieces // len(block)):
                fh.write(bytes([n, i & 0xFF]) + block[2:])
        svc.attach_file(folder, record.id, source)
        source.unlink()


def close_in_an_event_loop(window: MainWindow, seen: dict, screenshot=None) -> None:
    """Close the window as the user does, inside a running event loop; note every tick and the progress shown."""
    loop = QEventLoop()
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))

    def look() -> None:
        for dialog in window.findChildren(QProgressDialog):
            if dialog.objectName() == "closeBackupProgress" and dialog.isVisible():
                seen.setdefault("progress", []).append((dialog.labelText(), dialog.value()))
                if screenshot is not None and len(seen["progress"]) == 3:
                    screenshot(dialog, "closing-with-todays-backup")
        if not window.isVisible():
            loop.quit()

    timer.timeout.connect(look)
    timer.start(50)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(300_000)
    QTimer.singleShot(0, window.close)
    start = time.monotonic()
    loop.exec()
    timer.stop()
    guard.stop()
    seen["seconds"] = time.monotonic() - start
    seen["ticks"] = ticks
    seen["longest_pause"] = max((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=0.0)


def stored_bytes(folder) -> int:
    """What the backup has to read: every file of the data folder but its backups, as really stored on disk."""
    total = 0
    for path in folder.path.rglob("*"):
        if path.is_file() and "backups" not in path.relative_to(folder.path).parts:
            total += min(path.stat().st_size, path.stat().st_blocks * 512)  # a sparse file counts what it holds
    return total


def test_closing_with_a_1_gb_vault_shows_progress_and_keeps_the_window_responsive(qtbot, folder, tmp_path,
                                                                                   screenshot) -> None:
    fill_vault(folder, tmp_path)
    assert stored_bytes(folder) >= GB, "the vault really holds 1 GB"
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    seen: dict = {}
    close_in_an_event_loop(window, seen, screenshot)
    assert not window.isVisible(), f"the window closed once the backup was saved ({seen.get('seconds'):.1f} s)"
    backups = list_backups(folder)
    assert len(backups) == 1 and verify_backup(backups[0]).vault_files == 4, "today's backup was made, whole"
    assert seen.get("progress"), "the progress of the backup was shown while the window closed"
    assert seen["progress"][0][0] == "Saving today's backup of your records…"
    assert max(value for _, value in seen["progress"]) > 0, "the progress moved"
    assert len({value for _, value in seen["progress"]}) >= 3, "and went on moving while the window was drawn"
    assert len(seen["ticks"]) >= seen["seconds"] / 0.05 / 4, "the event loop kept turning"
    assert seen["longest_pause"] < 1.0, f"the window froze for {seen['longest_pause']:.2f} s"


def test_skipping_the_backup_closes_at_once_and_leaves_nothing(qtbot, folder, tmp_path) -> None:
    fill_vault(folder, tmp_path)
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    def skip() -> None:
        for dialog in window.findChildren(QProgressDialog):
            if dialog.objectName() == "closeBackupProgress" and dialog.isVisible():
                button = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Skip")
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the dialog's own button, as the user does
                clicked.append(dialog.value())
                return
        QTimer.singleShot(20, skip)

    clicked: list[int] = []
    QTimer.singleShot(0, skip)
    seen: dict = {}
    close_in_an_event_loop(window, seen)
    assert clicked and clicked[0] < 1000, "Skip was clicked while the backup was being saved"
    assert not window.isVisible()
    assert list_backups(folder) == [], "a skipped backup leaves no archive"
    assert not [p for p in (folder.path / "backups").iterdir()], "and no temporary files"


def test_with_no_backup_due_the_window_closes_without_a_progress_dialog(qtbot, folder, tmp_path) -> None:
    from secondopinion_desktop.core.backup import automatic_backup

    automatic_backup(folder)  # today's is there already
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    seen: dict = {}
    close_in_an_event_loop(window, seen)
    assert not window.isVisible() and "progress" not in seen
    assert len(list_backups(folder)) == 1
