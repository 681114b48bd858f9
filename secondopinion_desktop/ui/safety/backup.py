"""File → Back up…: one archive of the whole data folder, written in the background with a Cancel button.

Data path: ``core.backup.create_backup(folder, target, progress=, cancelled=)`` run by ``ui.ops.run_op``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from secondopinion_desktop.ui.ops import Op, is_cancel, run_op
from secondopinion_desktop.ui.safety import common

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder


def choose_backup_target(parent: QWidget | None, name: str = "") -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "Back up your records", str(common.last_dir() / common.default_backup_name(name=name)),
        "Backup archives (*.zip)",
    )
    if not chosen:
        return None
    target = Path(chosen)
    if target.suffix.lower() != ".zip":
        target = target.with_name(target.name + ".zip")
    return target


def backup_now(parent: QWidget | None, folder: DataFolder, target: Path | None = None) -> Op | None:
    """Back up…: write one archive of the whole data folder, in the background, with a Cancel button.

    ``target`` skips the file dialog. Returns the running operation (None when the user cancelled the file
    dialog or the place was refused). When it ends, ``op.result`` is the archive's Path (``op.error`` the
    exception), and ``op.message`` the message shown. A failed or cancelled backup leaves nothing at ``target``
    (the core writes to a temporary name first).
    """
    from secondopinion_desktop.core.backup import create_backup
    from secondopinion_desktop.core.errors import SecondOpinionError
    from secondopinion_desktop.core.outputs import check_output

    if target is None:
        target = choose_backup_target(parent, common.person_name(folder))
        if target is None:
            return None
    try:  # never over the database, a stored file or a device
        target = check_output(target, folder.path, what="the backup")
    except SecondOpinionError as exc:
        common.show_message(parent, QMessageBox.Icon.Warning, "Backup failed", f"{exc}\n\nNothing was written.")
        return None
    common.remember_dir(target)
    chosen = target

    def succeeded(path: Path) -> None:
        op.message = common.show_message(
            parent, QMessageBox.Icon.Information, "Backup saved",
            f"Your records were backed up to:\n{path}\n\nKeep a copy somewhere other than this computer.",
        )

    def failed(exc: BaseException) -> bool:
        if is_cancel(exc):
            op.message = common.show_message(parent, QMessageBox.Icon.Information, "Backup cancelled",
                                             "The backup was cancelled. Nothing was written.")
            return True
        if common.expected_failure(exc):
            op.message = common.show_message(parent, QMessageBox.Icon.Warning, "Backup failed",
                                             f"The backup could not be written: {common.reason(exc)}\n\n"
                                             "Nothing was written; your records are unchanged.")
            return True
        return False  # a bug: the crash dialog

    op = run_op(
        parent, lambda control: create_backup(folder, chosen, progress=control.progress, cancelled=control.cancelled),
        name="back up", writes=False, label=f"Backing up your records to {chosen.name}…", title="Back up",
        delay_ms=300, on_success=succeeded, on_failure=failed,
    )
    op.message = None
    return op
