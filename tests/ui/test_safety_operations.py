"""Back up…, Restore… and Check data… run as operations and read the core's reports by their fields."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

from secondopinion_desktop.core.backup import Manifest, ManifestEntry
from secondopinion_desktop.core.check import CheckReport
from secondopinion_desktop.ui.safety import check, restore
from secondopinion_desktop.ui.safety.check import CheckDialog

JOB_TIMEOUT = 60_000


def test_closing_check_data_while_it_runs_waits_for_nothing(qtbot, demo_folder, monkeypatch) -> None:
    waited: list[int] = []
    monkeypatch.setattr(QThreadPool, "waitForDone", lambda self, *a: waited.append(1) or True)
    dialog = CheckDialog(None, demo_folder)
    qtbot.addWidget(dialog)
    dialog.show()
    running = dialog.job
    assert running is not None
    dialog.reject()
    assert waited == [], "closing the dialog never waits on the thread pool"
    qtbot.waitUntil(lambda: running.done, timeout=JOB_TIMEOUT)


def test_what_a_backup_holds_is_said_from_its_manifest(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        files = (ManifestEntry("secondopinion.db", 40 * 1024, "a" * 64),
                 ManifestEntry("vault/bb/" + "b" * 64, 4 * 1024, "b" * 64),
                 ManifestEntry("vault/cc/" + "c" * 64, 4 * 1024, "c" * 64))
        manifest = Manifest(format=1, schema="x", created_at="2024-03-09T14:02:00+00:00", files=files)
        assert restore.describe_manifest(manifest) == "2 attached files and the database (made 2024-03-09 14:02, 48 KB)"
        empty = Manifest(format=1, schema="x", created_at="", files=())
        assert restore.describe_manifest(empty) == "0 attached files and the database"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_check_report_names_the_windows_repair_button() -> None:
    report = CheckReport(orphan_files=["d" * 64], temp_files=["/x/.tmp-1"], checked_files=3,
                         damaged_digests=frozenset())
    lines = check.report_lines(report)
    assert lines[0] == "Database integrity: ok"
    assert "Stored files missing: none (all 3 present)" in lines
    assert "Stored files nothing refers to: 1 problem — Repair removes them after a backup" in lines
    assert "Leftover temporary files: 1 problem — Repair removes them" in lines
    assert lines[-1] == "Found 2 problems."
    assert not any("--repair" in line for line in lines)
