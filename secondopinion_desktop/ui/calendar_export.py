"""File › Export calendar…: appointments and due dates as an .ics file for any calendar app.

The person chooses where (the last folder used is offered again); the file is written off the GUI thread by
``core.calendar.write_calendar`` (temporary name, flushed, renamed; refused inside the data folder). The status
bar then says how many events it holds. Importing a newer file into the same calendar updates the events.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.ops import Op, run_op, status_line

CALENDAR_DIR_KEY = "calendar/dir"
FILE_NAME = "second-opinion-appointments.ics"


def choose_ics(parent: QWidget | None) -> Path | None:
    """Ask where to save the calendar; None when the person cancels. ``.ics`` is added when left off."""
    start = Path(str(QSettings().value(CALENDAR_DIR_KEY, "") or Path.home()))
    if not start.is_dir():
        start = Path.home()
    chosen, _ = QFileDialog.getSaveFileName(parent, "Export calendar", str(start / FILE_NAME),
                                            "Calendar files (*.ics)")
    if not chosen:
        return None
    target = Path(chosen)
    return target if target.suffix.lower() == ".ics" else target.with_name(target.name + ".ics")


def save_calendar(parent: QWidget | None, folder: DataFolder, target: Path) -> Op:
    """Write the calendar to ``target`` off the GUI thread; the status bar says what it holds."""
    from secondopinion_desktop.core.calendar import CalendarResult, write_calendar

    def done(result: CalendarResult) -> None:
        QSettings().setValue(CALENDAR_DIR_KEY, str(target.parent))
        status_line(parent, f"Saved the calendar: {plural(result.appointments, 'appointment')} and "
                            f"{plural(result.due_dates, 'due date')}; open the file with your calendar app "
                            "to add them.", 12000)

    return run_op(parent, lambda control: write_calendar(folder, target, progress=control.progress,
                                                         cancelled=control.cancelled),
                  name="export the calendar", writes=False, on_success=done, label="Writing the calendar…",
                  title="Export calendar", failure_title="Cannot export the calendar")


def export_calendar(window: QWidget, folder: DataFolder) -> Op | None:
    """Asks where to save the .ics file and writes it."""
    target = choose_ics(window)
    if target is None:
        return None
    return save_calendar(window, folder, target)
