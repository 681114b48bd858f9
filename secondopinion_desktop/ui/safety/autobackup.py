"""The automatic backup when the window closes (at most once a day), and how many of them to keep."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

BACKUPS_TO_KEEP_KEY = "backups/keep"
DEFAULT_BACKUPS_TO_KEEP = 7
MIN_BACKUPS_TO_KEEP = 1
MAX_BACKUPS_TO_KEEP = 60


def backups_to_keep() -> int:
    """The setting, clamped to 1–60 (a damaged value falls back to the default)."""
    try:
        value = int(QSettings().value(BACKUPS_TO_KEEP_KEY, DEFAULT_BACKUPS_TO_KEEP))
    except (TypeError, ValueError):
        return DEFAULT_BACKUPS_TO_KEEP
    return max(MIN_BACKUPS_TO_KEEP, min(MAX_BACKUPS_TO_KEEP, value))


def set_backups_to_keep(keep: int) -> None:
    settings = QSettings()
    settings.setValue(BACKUPS_TO_KEEP_KEY, max(MIN_BACKUPS_TO_KEEP, min(MAX_BACKUPS_TO_KEEP, int(keep))))
    settings.sync()


def backup_on_close(folder: DataFolder, keep: int | None = None, *, progress: Any = None,
                    cancelled: Any = None) -> Path | None:
    """Write today's automatic backup into ``backups/`` unless there already is one; never raises.

    Returns the new archive, or None when none was due, it was skipped (``cancelled``) or it failed (the
    failure is written to stderr: a failed automatic backup must never stop the window from closing).
    """
    from secondopinion_desktop.core.progress import Cancelled

    try:
        from secondopinion_desktop.core.backup import automatic_backup

        return automatic_backup(folder, keep=backups_to_keep() if keep is None else keep, progress=progress,
                                cancelled=cancelled)
    except Cancelled:
        print("secondopinion: today's automatic backup was skipped", file=sys.stderr)
        return None
    except Exception as exc:  # noqa: BLE001 - closing must go on whatever happened
        print(f"secondopinion: warning: the automatic backup failed: {exc}", file=sys.stderr)
        if not _is_user_error(exc):
            traceback.print_exc(file=sys.stderr)
            from secondopinion_desktop.core.log import log_failure

            log_failure("automatic backup on close", exc)
        return None


CLOSE_BACKUP_LABEL = "Saving today's backup of your records…"


def start_backup_on_close(window: QWidget, folder: DataFolder, done: Callable[[], None]) -> Any:
    """Today's automatic backup, off the GUI thread (``ui.ops.run_op``), with a progress dialog on ``window``
    whose Skip button stops it; ``done()`` runs on the GUI thread when it is over (made, skipped or failed).
    Returns the operation, or None (and ``done`` is not called) when no backup is due today."""
    from secondopinion_desktop.core.backup import automatic_backup_due
    from secondopinion_desktop.ui.ops import run_op

    if not automatic_backup_due(folder):
        return None

    def work(control: Any) -> Path | None:
        return backup_on_close(folder, progress=control.progress, cancelled=control.cancelled)

    op = run_op(window, work, name="automatic backup on close", on_done=done, label=CLOSE_BACKUP_LABEL,
                title="Closing Second Opinion", cancel_text="Skip", delay_ms=300)
    if op.dialog is not None:
        op.dialog.setObjectName("closeBackupProgress")
    return op


def _is_user_error(exc: BaseException) -> bool:
    from secondopinion_desktop.core.errors import SecondOpinionError

    return isinstance(exc, SecondOpinionError | OSError)


class BackupSettingsDialog(QDialog):
    """Settings → Backups…: how many automatic backups to keep."""

    def __init__(self, parent: QWidget | None = None, backups_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backupSettingsDialog")
        self.setWindowTitle("Automatic backups")
        self.keep = QSpinBox()
        self.keep.setObjectName("backupsToKeep")
        self.keep.setAccessibleName("Automatic backups to keep")
        self.keep.setRange(MIN_BACKUPS_TO_KEEP, MAX_BACKUPS_TO_KEEP)
        self.keep.setValue(backups_to_keep())
        self.keep.setSuffix(" backups")
        where = f" in {backups_dir}" if backups_dir is not None else " in the backups folder inside your data folder"
        explain = QLabel(
            "When you close Second Opinion it saves a backup of your records (at most once a day)"
            f"{where}. The oldest are removed once there are more than this."
        )
        explain.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Keep the last", self.keep)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(420, self.sizeHint().height())

    def accept(self) -> None:
        set_backups_to_keep(self.keep.value())
        super().accept()
