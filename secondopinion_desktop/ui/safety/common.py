"""What Back up…, Restore… and Check data… share: the remembered folder, messages, questions and the one
sentence a failure is told in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

LAST_BACKUP_DIR_KEY = "backups/lastDir"


def default_backup_name(today: dt.date | None = None, name: str = "") -> str:
    """"secondopinion-backup-alex-sample-2024-03-09.zip": whose records and when, safe in any file system."""
    from secondopinion_desktop.core.people import file_name_part

    part = file_name_part(name)
    return f"secondopinion-backup-{part + '-' if part else ''}{(today or dt.date.today()).isoformat()}.zip"


def person_name(folder: DataFolder) -> str:
    from secondopinion_desktop.core.people import person_name as name_of

    return name_of(folder)


def last_dir() -> Path:
    value = QSettings().value(LAST_BACKUP_DIR_KEY, "")
    path = Path(str(value)) if value else Path.home()
    return path if path.is_dir() else Path.home()


def remember_dir(path: Path) -> None:
    QSettings().setValue(LAST_BACKUP_DIR_KEY, str(path.parent))


def show_message(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    """A window-modal message that does not block the caller; deleted when closed."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("safetyMessage")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def confirm(parent: QWidget | None, title: str, text: str, yes_text: str) -> bool:
    """Ask before doing something big; True when the user agreed. (Tests replace this.)"""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("safetyConfirm")
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


def is_core_error(exc: BaseException) -> bool:
    from secondopinion_desktop.core.errors import SecondOpinionError

    return isinstance(exc, SecondOpinionError)


def reason(exc: BaseException) -> str:
    """The one sentence that says why: a full or read-only disk as the command line says it, an OSError with
    the file it concerns, a core error's own sentence."""
    from secondopinion_desktop.core.db import explain_storage_error

    explained = explain_storage_error(exc) if isinstance(exc, Exception) else None
    if explained is not None:
        return str(explained)
    if isinstance(exc, OSError) and not is_core_error(exc):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}."
    return str(exc)


def expected_failure(exc: BaseException) -> bool:
    """Failures that become a message; anything else is a bug and goes to the crash dialog."""
    return isinstance(exc, OSError) or is_core_error(exc)  # BackupError is a SecondOpinionError
