"""The appointments as a list model: an "Upcoming" heading, the coming consults (soonest first), a "Past"
heading, the past ones (latest first). Headings are shown only when there are both kinds, and can never be
selected. Each appointment row's text is three lines: when (with how far away), the doctor, the place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from secondopinion_desktop.core.appointments import AppointmentData
from secondopinion_desktop.core.words import plural, when_text

APPOINTMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
PAST_ROLE = Qt.ItemDataRole.UserRole + 2
HEADING_ROLE = Qt.ItemDataRole.UserRole + 3
APPOINTMENT_ROLE = Qt.ItemDataRole.UserRole + 4  # the frozen row itself
PAST_COLOUR = "#6b6b6b"

Index = QModelIndex | QPersistentModelIndex


def relative_day(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """``today``, ``tomorrow``, ``in 12 days``, ``yesterday``, ``3 days ago``."""
    days = (moment.date() - (now or dt.datetime.now()).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {plural(days, 'day')}" if days > 0 else f"{plural(-days, 'day')} ago"


def appointment_title(a: AppointmentData) -> str:
    """``Tue 8 Dec 2026, 09:30 with Avery Example-Stone, MD`` (for messages and tooltips)."""
    return when_text(a.starts_at) + (f" with {a.clinician_name}" if a.clinician_name else "")


@dataclass(frozen=True)
class _Row:
    heading: str = ""  # "Upcoming" or "Past" for a heading row
    appointment: AppointmentData | None = None
    past: bool = False
    lines: tuple[str, ...] = ()


class AppointmentsModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []

    def set_appointments(self, appointments: Sequence[AppointmentData], now: dt.datetime | None = None) -> None:
        now = now or dt.datetime.now()
        upcoming = [a for a in appointments if a.is_upcoming(now)]
        past = [a for a in appointments if not a.is_upcoming(now)]
        rows: list[_Row] = []
        if upcoming and past:
            rows.append(_Row(heading="Upcoming"))
        rows.extend(self._row(a, False, now) for a in upcoming)
        if upcoming and past:
            rows.append(_Row(heading="Past"))
        rows.extend(self._row(a, True, now) for a in past)
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    @staticmethod
    def _row(a: AppointmentData, past: bool, now: dt.datetime) -> _Row:
        lines = [f"{when_text(a.starts_at)}  ·  {relative_day(a.starts_at, now)}",
                 a.clinician_name or "No doctor chosen"]
        place = a.place or a.institution
        if place:
            lines.append(place)
        return _Row(appointment=a, past=past, lines=tuple(lines))

    # --- looking up ----------------------------------------------------------------------------------------

    def appointment_at(self, row: int) -> AppointmentData | None:
        return self._rows[row].appointment if 0 <= row < len(self._rows) else None

    def row_of(self, appointment_id: int | None) -> int:
        return next((n for n, r in enumerate(self._rows)
                     if r.appointment is not None and r.appointment.id == appointment_id), -1)

    def ids(self) -> list[int]:
        """The appointment ids in the order shown (headings skipped)."""
        return [r.appointment.id for r in self._rows if r.appointment is not None]

    # --- Qt ------------------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        row = self._rows[index.row()] if index.isValid() and index.row() < len(self._rows) else None
        if row is None or row.appointment is None:
            return Qt.ItemFlag.NoItemFlags  # a heading: never selected, never the keyboard's stop
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        a = row.appointment
        if a is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return row.heading
            if role == HEADING_ROLE:
                return True
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return f"{row.heading} appointments"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return "\n".join(row.lines)
        if role == APPOINTMENT_ID_ROLE:
            return a.id
        if role == APPOINTMENT_ROLE:
            return a
        if role == PAST_ROLE:
            return row.past
        if role == HEADING_ROLE:
            return False
        if role == Qt.ItemDataRole.ToolTipRole:
            answered = sum(q.answered for q in a.questions)
            place = a.place or a.institution
            return (f"{appointment_title(a)}\n{place}\n{plural(len(a.questions), 'question')} ({answered} answered), "
                    f"{plural(len(a.notes), 'note')}")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return ", ".join(row.lines) + (" (past)" if row.past else "")
        if role == Qt.ItemDataRole.ForegroundRole and row.past:
            return QBrush(QColor(PAST_COLOUR))
        return None
