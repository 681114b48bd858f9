"""Exporting an appointment's questions, answers and notes to a PDF: choosing the file, then writing it off the
GUI thread through ``ui.ops.run_op`` (a progress dialog when it takes a while; a failure said in one sentence)."""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from secondopinion_desktop.core.appointments import AppointmentData
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.ui.ops import Op, run_op

EXPORT_DIR_KEY = "appointments/exportDir"  # where the next export starts


def notes_file_name(appointment: AppointmentData | None) -> str:
    day = appointment.starts_at if appointment else dt.datetime.now()
    return f"notes-{day:%Y-%m-%d}.pdf"


def choose_notes_file(parent: QWidget, appointment: AppointmentData) -> Path | None:
    """Ask where to save (starting where the last export went); None when the person cancels."""
    folder_hint = Path(str(QSettings().value(EXPORT_DIR_KEY, "") or Path.home()))
    if not folder_hint.is_dir():
        folder_hint = Path.home()
    name, _ = QFileDialog.getSaveFileName(
        parent, "Export notes to PDF", str(folder_hint / notes_file_name(appointment)), "PDF files (*.pdf)"
    )
    if not name:
        return None
    target = Path(name)
    if target.suffix.lower() != ".pdf":
        target = target.with_name(target.name + ".pdf")
    return target


def start_notes_export(
    parent: QWidget, folder: DataFolder, appointment_id: int, target: Path, *, chosen: bool,
    on_saved: Callable[[Path], object], on_done: Callable[[], object], show_error: Callable[[str], object],
) -> Op:
    """Check the target (never the database, a stored file or a device: raises the core's refusal), then
    write the PDF off the GUI thread. ``chosen``: the person picked the file, so the next export starts in its
    folder. ``show_error(sentence)`` shows a failure to write."""
    from secondopinion_desktop.core.outputs import check_output
    from secondopinion_desktop.core.packet import export_notes_pdf

    out = check_output(target, folder.path, what="the notes", example=target.name)
    if chosen:  # the next export starts there (never in a place that was refused)
        QSettings().setValue(EXPORT_DIR_KEY, str(out.parent))

    def failed(exc: BaseException) -> bool:
        cause = exc.__cause__ if isinstance(exc, SecondOpinionError) else exc
        if isinstance(cause, OSError):  # writing the file failed (the writer's own sentence names a packet)
            show_error(_write_failure(cause, out))
            return True
        if isinstance(exc, SecondOpinionError) and not isinstance(exc, Cancelled):
            show_error(f"The notes could not be exported: {exc}")
            return True
        return False  # a cancel or a bug: the usual display (a status line, or the crash dialog)

    return run_op(
        parent, lambda control: export_notes_pdf(folder, appointment_id, out, cancelled=control.cancelled),
        name="export notes", writes=False,  # reads the folder; writes only the chosen file
        on_success=lambda _result: on_saved(out), on_failure=failed, on_done=on_done,
        label="Writing the notes to PDF…", title="Export notes",
    )


def _write_failure(exc: OSError, out: Path) -> str:
    """The sentence for a notes file that could not be written; nothing was left at ``out``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full: the notes could not be saved to {out.parent}."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write the notes to {out}: the folder {out.parent} is not writable."
    return f"Cannot write the notes to {out}: {exc.strerror or exc}."
