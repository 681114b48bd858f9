"""File → Back up…, File → Restore…, Help → Check data…: the names the window opens them by.

Each lives in its own module (``backup``, ``restore``, ``check``); what they share is in ``common``. All the
work runs off the GUI thread through ``ui.ops.run_op``. Messages are shown with ``QMessageBox.open()``
(window-modal, not blocking), and the last one is kept on the object that showed it (``op.message`` /
``runner.message`` / ``dialog.message``) so tests and callers can read it.
"""

from __future__ import annotations

from secondopinion_desktop.ui.safety.backup import backup_now, choose_backup_target
from secondopinion_desktop.ui.safety.check import CheckDialog, report_lines
from secondopinion_desktop.ui.safety.common import confirm, default_backup_name, reason, show_message
from secondopinion_desktop.ui.safety.restore import RestoreRunner, describe_manifest, restore_from, restore_question

_reason = reason  # the name an older test reads it by

__all__ = [
    "CheckDialog", "RestoreRunner", "backup_now", "choose_backup_target", "confirm", "default_backup_name",
    "describe_manifest", "reason", "report_lines", "restore_from", "restore_question", "show_message",
]
