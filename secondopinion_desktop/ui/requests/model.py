"""The requests list as a Qt model: a tree of facilities, each with its requests below it.

A facility row names the facility and counts its requests (in its first cell, which the view spans over the
row); a request row says what it asks for, its status,
when it was sent and when the answer is due. Overdue requests and those due within a week stand out in colour
and in words ("Overdue by 5 days", "Due in 3 days"); ended ones (complete, refused, cancelled) are greyed. The
words come from :func:`due_words`, which the detail pane uses too.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core.models import RequestStatus
from secondopinion_desktop.core.requests import ENDED, RequestData
from secondopinion_desktop.core.words import NO_DATE, day_month_year, plural

REQUEST_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # a request row's id (None on a facility row)
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the RequestData of a request row
URGENCY_ROLE = Qt.ItemDataRole.UserRole + 3  # an Urgency value
FACILITY_ROLE = Qt.ItemDataRole.UserRole + 4  # the facility's name (on both kinds of row)


class Column(enum.IntEnum):
    REQUEST = 0
    STATUS = 1
    DUE = 2
    SENT = 3


HEADERS = {Column.REQUEST: "Facility / what is asked for", Column.STATUS: "Status", Column.DUE: "Due",
           Column.SENT: "Sent"}


class Urgency(enum.IntEnum):
    ENDED = 0
    CALM = 1  # a draft, or open with time left
    DUE_SOON = 2
    OVERDUE = 3


OVERDUE_COLOURS = ("#fdecea", "#8b1a1a")  # background, text
DUE_SOON_COLOURS = ("#fff3cd", "#6b4e00")
ENDED_TEXT = "#6b6b6b"


def urgency(q: RequestData, today: dt.date) -> Urgency:
    if q.status in ENDED:
        return Urgency.ENDED
    if q.is_overdue(today):
        return Urgency.OVERDUE
    if q.is_due_soon(today):
        return Urgency.DUE_SOON
    return Urgency.CALM


def plain_tip(text: str) -> str:
    """A tooltip that shows ``text`` as typed (a tooltip that looks like markup is drawn as markup)."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def due_words(q: RequestData, today: dt.date) -> str:
    """When the answer is due, in words: "Overdue by 5 days", "Due today", "Due in 3 days", "Due 4 Apr 2026";
    "Not sent yet" for a draft; "Received 3 Mar 2026" once complete."""
    if q.status is RequestStatus.DRAFT:
        return "Not sent yet"
    if q.status is RequestStatus.COMPLETE:
        return f"Received {day_month_year(q.received_on)}" if q.received_on else "Received"
    if q.status in ENDED:
        return NO_DATE
    if q.days_left(today) is None:
        return "No due date"
    if q.is_overdue(today) or q.is_due_soon(today):
        return svc.due_words(q, today)  # the words the CLI and the packet use
    extended = " (extended)" if q.extended_due_on else ""
    return f"Due {day_month_year(q.effective_due)}{extended}"


def asked_for(q: RequestData) -> str:
    """What the request asks for, in one line: its records' titles, else the kinds of document."""
    titles = [r.title for r in q.records]
    if titles:
        shown = "; ".join(titles[:2])
        more = len(titles) - 2
        return f"{shown}; and {plural(more, 'more record')}" if more > 0 else shown
    words = q.scope_words
    if words:
        return words[0] + (f" and {plural(len(words) - 1, 'other kind')}" if len(words) > 1 else "")
    return "Records of every kind"


class RequestsModel(QStandardItemModel):
    """Facilities (top level) and their requests (children); read-only. ``set_requests(rows, today)``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setHorizontalHeaderLabels([HEADERS[c] for c in Column])
        self._rows: tuple[RequestData, ...] = ()
        self.today = dt.date.today()

    @property
    def requests(self) -> tuple[RequestData, ...]:
        return self._rows

    def set_requests(self, rows: Sequence[RequestData], today: dt.date | None = None) -> None:
        self.today = today or dt.date.today()
        self._rows = tuple(rows)
        self.beginResetModel()
        blocked = self.blockSignals(True)
        try:
            self.removeRows(0, self.rowCount())
            groups: dict[str, list[RequestData]] = {}
            for q in rows:
                groups.setdefault(q.facility_name, []).append(q)
            for name, items in groups.items():
                items.sort(key=lambda q: q.status in ENDED)  # open and drafts first, ended ones after (stable)
                self.appendRow(self._facility_row(name, items))
        finally:
            self.blockSignals(blocked)
            self.endResetModel()

    def _facility_row(self, name: str, items: list[RequestData]) -> list[QStandardItem]:
        """The facility's name and, after it, how many requests it has and how many are late (one cell: the
        view spans it over the row)."""
        overdue = sum(urgency(q, self.today) is Urgency.OVERDUE for q in items)
        soon = sum(urgency(q, self.today) is Urgency.DUE_SOON for q in items)
        open_count = sum(q.is_open for q in items)
        summary = [plural(len(items), "request")]
        if open_count:
            summary.append(f"{open_count} waiting")
        if overdue:
            summary.append(f"{overdue} overdue")
        elif soon:
            summary.append(f"{soon} due soon")
        title = QStandardItem(f"{name} — {', '.join(summary)}")
        title.setToolTip(plain_tip(title.text()))
        bold = QFont()
        bold.setBold(True)
        title.setFont(bold)
        cells = [title, *(QStandardItem("") for _ in range(len(Column) - 1))]
        level = Urgency.OVERDUE if overdue else Urgency.DUE_SOON if soon else Urgency.CALM
        for cell in cells:
            cell.setEditable(False)
            cell.setData(None, REQUEST_ID_ROLE)
            cell.setData(name, FACILITY_ROLE)
            cell.setData(level, URGENCY_ROLE)
        if level is Urgency.OVERDUE:
            title.setForeground(QBrush(QColor(OVERDUE_COLOURS[1])))
        for q in items:
            title.appendRow(self._request_row(q))
        return cells

    def _request_row(self, q: RequestData) -> list[QStandardItem]:
        level = urgency(q, self.today)
        due = due_words(q, self.today)
        texts = {Column.REQUEST: asked_for(q), Column.STATUS: q.status.label, Column.SENT: day_month_year(q.sent_on),
                 Column.DUE: due}
        cells = []
        for column in Column:
            cell = QStandardItem(texts[column])
            cell.setEditable(False)
            cell.setData(q.id, REQUEST_ID_ROLE)
            cell.setData(q, ROW_ROLE)
            cell.setData(q.facility_name, FACILITY_ROLE)
            cell.setData(level, URGENCY_ROLE)
            cell.setToolTip(plain_tip(f"{q.facility_name}: {q.status.label.lower()}; {due[:1].lower()}{due[1:]}"))
            if level is Urgency.ENDED:
                cell.setForeground(QBrush(QColor(ENDED_TEXT)))
            cells.append(cell)
        cells[Column.REQUEST].setToolTip(plain_tip("\n".join([r.title for r in q.records] or list(q.scope_words))))
        self._colour(cells[Column.DUE], level)
        self._colour(cells[Column.STATUS], level)
        return cells

    @staticmethod
    def _colour(cell: QStandardItem, level: Urgency) -> None:
        colours = {Urgency.OVERDUE: OVERDUE_COLOURS, Urgency.DUE_SOON: DUE_SOON_COLOURS}.get(level)
        if colours is None:
            return
        cell.setBackground(QBrush(QColor(colours[0])))
        cell.setForeground(QBrush(QColor(colours[1])))
        font = QFont()
        font.setBold(level is Urgency.OVERDUE)
        cell.setFont(font)

    # --- finding rows ------------------------------------------------------------------------------------

    def index_of(self, request_id: int | None, column: int = 0) -> QModelIndex:
        """The index of this request's row (an invalid index when it is not listed)."""
        for top in range(self.rowCount()):
            facility = self.item(top, 0)
            for child in range(facility.rowCount()):
                if facility.child(child, 0).data(REQUEST_ID_ROLE) == request_id:
                    return self.index(child, column, facility.index())
        return QModelIndex()

    def facility_index(self, name: str) -> QModelIndex:
        for top in range(self.rowCount()):
            if self.item(top, 0).data(FACILITY_ROLE) == name:
                return self.index(top, 0)
        return QModelIndex()

    def request_ids(self) -> list[int]:
        """Every listed request's id, in the order shown."""
        ids = []
        for top in range(self.rowCount()):
            facility = self.item(top, 0)
            ids += [facility.child(child, 0).data(REQUEST_ID_ROLE) for child in range(facility.rowCount())]
        return ids
