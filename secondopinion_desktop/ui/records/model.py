"""The inventory table model: plain rows from the core, filtered and sorted in Python.

It holds ``RecordRow`` values (one query, no ORM objects). Filtering is a substring test on a prepared,
case-folded text per row, and sorting a Python sort on prepared keys, so a keystroke in the search box over
ten thousand records costs a few milliseconds. A record whose documents hold the words is shown too: the tab
hands the records the full-text index found (``core.documents.index.matching_records``) to ``set_filter``, and
the title's tooltip says where the words were found (the snippet is made when it is first shown). A record whose
documents name someone else (``set_problems``) has a warning mark in its title cell, its sentences in the tooltip.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from enum import IntEnum
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.core.records import RecordRow
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.records.style import STATUS_BACKGROUND, STATUS_WORDS, kind_icon
from secondopinion_desktop.ui.records.text_view import found_html
from secondopinion_desktop.ui.records.tips import plain_tip

if TYPE_CHECKING:
    from secondopinion_desktop.core.documents.model import Hit

Index = QModelIndex | QPersistentModelIndex


STILL_TO_GET = frozenset(STATUS_BACKGROUND)  # the statuses marked in colour: needed, requested


class Column(IntEnum):
    KIND = 0
    TITLE = 1
    DATE = 2
    FACILITY = 3
    STATUS = 4
    FILES = 5


HEADERS = {
    Column.KIND: "Kind",
    Column.TITLE: "Title",
    Column.DATE: "Date",
    Column.FACILITY: "Facility",
    Column.STATUS: "Status",
    Column.FILES: "Files",
}
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
HIT_ROLE = Qt.ItemDataRole.UserRole + 3  # the Hit of a record found by its documents' text (None otherwise)
PROBLEMS_ROLE = Qt.ItemDataRole.UserRole + 4  # the identity sentences of a record's documents (a list, maybe empty)

_FAR_FUTURE = dt.date.max
_SORT_KEYS: dict[Column, Callable[[RecordRow], Any]] = {
    Column.KIND: lambda r: list(RecordKind).index(r.kind),
    Column.TITLE: lambda r: r.title.casefold(),
    Column.DATE: lambda r: r.date_of_service or _FAR_FUTURE,
    Column.FACILITY: lambda r: r.facility_name.casefold(),
    Column.STATUS: lambda r: list(RecordStatus).index(r.status),
    Column.FILES: lambda r: r.attachment_count,
}


def _haystack(row: RecordRow) -> str:
    return "\n".join((row.title, row.facility_name, row.clinician_name, row.summary, row.notes)).casefold()


class RecordsTableModel(QAbstractTableModel):
    """All records of a data folder; shows those matching the search text, kind and status filters."""

    countsChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[int, RecordRow] = {}
        self._hay: dict[int, str] = {}
        self._order: list[int] = []  # all ids, sorted
        self._visible: list[int] = []  # ids shown, in order
        self._text: list[str] = []
        self._kind: RecordKind | None = None
        self._statuses: frozenset[RecordStatus] | None = None
        self._sort_column = Column.DATE
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._bold = QFont()
        self._bold.setBold(True)
        self._status_brush = {s: QBrush(QColor(c)) for s, c in STATUS_BACKGROUND.items()}
        self._dark = QBrush(QColor("#1a1a1a"))
        self._hits: Mapping[int, Hit] = {}
        self._counts: tuple[list[str], str] | None = None  # the summary's counts, until the rows change
        self._snippets: dict[int, str] = {}
        self._problems: Mapping[int, list[str]] = {}
        self._warning: QIcon | None = None
        # Makes the snippet of a hit for the words typed (the tab sets it; no snippet without it).
        self.snippet_source: Callable[[Hit], str] | None = None

    # --- loading -----------------------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[RecordRow]) -> None:
        self.beginResetModel()
        self._counts = None
        self._rows = {r.id: r for r in rows}
        self._hay = {i: _haystack(r) for i, r in self._rows.items()}
        self._resort()
        self._refilter()
        self.endResetModel()
        self.countsChanged.emit()

    def upsert_rows(self, rows: Iterable[RecordRow]) -> None:
        """Add or replace these rows (after an add or edit)."""
        self.beginResetModel()
        self._counts = None
        for r in rows:
            self._rows[r.id] = r
            self._hay[r.id] = _haystack(r)
        self._resort()
        self._refilter()
        self.endResetModel()
        self.countsChanged.emit()

    def remove_ids(self, ids: Iterable[int]) -> None:
        self.beginResetModel()
        self._counts = None
        for i in ids:
            self._rows.pop(i, None)
            self._hay.pop(i, None)
        self._resort()
        self._refilter()
        self.endResetModel()
        self.countsChanged.emit()

    # --- filtering and sorting ---------------------------------------------------------------------------

    def set_filter(
        self,
        text: str | None = None,
        kind: RecordKind | None = None,
        statuses: Iterable[RecordStatus] | None = None,
        text_hits: Mapping[int, Hit] | None = None,
    ) -> None:
        """Show rows containing every word of ``text`` (in title, facility, clinician, summary or notes) or
        found by it in their documents (``text_hits``, by record id), of ``kind`` and with one of ``statuses``
        (None: any)."""
        self.beginResetModel()
        self._text = (text or "").casefold().split()
        self._hits = dict(text_hits or {}) if self._text else {}
        self._snippets = {}
        self._kind = kind
        self._statuses = frozenset(statuses) if statuses is not None else None
        self._refilter()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._visible[i.row()] if i.isValid() and i.row() < len(self._visible) else None for i in persistent]
        self._sort_column, self._sort_order = Column(column), order
        self._resort()
        self._refilter()
        position = {record_id: row for row, record_id in enumerate(self._visible)}
        self.changePersistentIndexList(
            persistent,
            [self.index(position[i], p.column()) if i in position else QModelIndex()
             for i, p in zip(ids, persistent, strict=True)],
        )
        self.layoutChanged.emit()

    def _resort(self) -> None:
        key = _SORT_KEYS[self._sort_column]
        rows = self._rows
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        # Ties keep a stable, sensible order: newest first by date, then id.
        ids = sorted(rows, key=lambda i: (rows[i].date_of_service or _FAR_FUTURE, i), reverse=True)
        ids.sort(key=lambda i: key(rows[i]), reverse=descending)
        if self._sort_column == Column.DATE:  # undated records last, whichever the direction
            ids.sort(key=lambda i: rows[i].date_of_service is None)
        self._order = ids

    def _refilter(self) -> None:
        rows, hay, words, hits = self._rows, self._hay, self._text, self._hits
        kind, statuses = self._kind, self._statuses
        ids = self._order
        if kind is not None or statuses is not None:
            ids = [i for i in ids if (kind is None or rows[i].kind is kind)
                   and (statuses is None or rows[i].status in statuses)]
        if len(words) == 1:  # the usual case, while the first word is typed: one substring test per row
            word = words[0]
            ids = [i for i in ids if i in hits or word in hay[i]]
        elif words:
            ids = [i for i in ids if i in hits or all(w in hay[i] for w in words)]
        self._visible = list(ids)

    # --- found in documents, and whom they name ------------------------------------------------------------

    def text_hit(self, record_id: int) -> Hit | None:
        """Where the words typed were found in this record's documents (None: not found there)."""
        return self._hits.get(record_id)

    def snippet(self, record_id: int) -> str:
        """The snippet of the record's hit, words between MARK_START and MARK_END ("" when none)."""
        hit = self._hits.get(record_id)
        if hit is None:
            return ""
        if record_id not in self._snippets:
            made = hit.snippet
            if not made and self.snippet_source is not None:
                made = self.snippet_source(hit)
            self._snippets[record_id] = made
        return self._snippets[record_id]

    def set_problems(self, problems: Mapping[int, list[str]]) -> None:
        """The identity sentences by record id (``core.documents.identity.problems_by_record``)."""
        if dict(problems) == dict(self._problems):
            return
        self._problems = {i: list(s) for i, s in problems.items() if s}
        if self._visible:
            self.dataChanged.emit(self.index(0, Column.TITLE), self.index(len(self._visible) - 1, Column.TITLE))

    def problems(self, record_id: int) -> list[str]:
        return list(self._problems.get(record_id, ()))

    def _warning_icon(self) -> QIcon:
        if self._warning is None:
            self._warning = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._warning

    def _title_tip(self, row: RecordRow) -> str:
        parts = [escape(row.title, quote=False).replace("\n", "<br>")]
        for sentence in self._problems.get(row.id, ()):
            parts.append(f"<span style='color:#9A3412'>⚠ {escape(sentence, quote=False)}</span>")
        hit = self._hits.get(row.id)
        if hit is not None:
            parts.append(found_html(hit, self.snippet(row.id)))
        return "<qt>" + "<br><br>".join(parts) + "</qt>"

    # --- Qt model API ------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._visible):
            return None
        row = self._rows[self._visible[index.row()]]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.KIND:
                return row.kind.label
            if column == Column.TITLE:
                return row.title
            if column == Column.DATE:
                return row.date_of_service.isoformat() if row.date_of_service else "—"
            if column == Column.FACILITY:
                return row.facility_name
            if column == Column.STATUS:
                return STATUS_WORDS[row.status.value]
            if column == Column.FILES:
                return str(row.attachment_count) if row.attachment_count else "—"
        elif role == Qt.ItemDataRole.DecorationRole and column == Column.KIND:
            return kind_icon(row.kind.value)
        elif role == Qt.ItemDataRole.DecorationRole and column == Column.TITLE and row.id in self._problems:
            return self._warning_icon()
        elif role == Qt.ItemDataRole.BackgroundRole and column == Column.STATUS:
            return self._status_brush.get(row.status.value)
        elif role == Qt.ItemDataRole.ForegroundRole and column == Column.STATUS and row.status.value in STILL_TO_GET:
            return self._dark
        elif role == Qt.ItemDataRole.FontRole and column == Column.STATUS and row.status.value in STILL_TO_GET:
            return self._bold
        elif role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.TITLE:
                if row.id in self._hits or row.id in self._problems:
                    return self._title_tip(row)
                return plain_tip(row.title)
            if column == Column.STATUS:
                return plain_tip(self._status_tip(row))
        elif role == Qt.ItemDataRole.TextAlignmentRole and column == Column.FILES:
            return int(Qt.AlignmentFlag.AlignCenter)
        elif role == RECORD_ID_ROLE:
            return row.id
        elif role == ROW_ROLE:
            return row
        elif role == HIT_ROLE:
            return self._hits.get(row.id)
        elif role == PROBLEMS_ROLE:
            return self.problems(row.id)
        elif role == Qt.ItemDataRole.AccessibleDescriptionRole and column == Column.TITLE and row.id in self._problems:
            return " ".join(self._problems[row.id])
        return None

    @staticmethod
    def _status_tip(row: RecordRow) -> str:
        steps = [("Requested", row.requested_on), ("Received", row.received_on), ("Sent", row.sent_on)]
        dated = [f"{name} {day.isoformat()}" for name, day in steps if day]
        return row.status.label + (" — " + ", ".join(dated) if dated else "")

    # --- lookups -----------------------------------------------------------------------------------------

    def record_id(self, row: int) -> int:
        return self._visible[row]

    def row_of(self, record_id: int) -> int | None:
        try:
            return self._visible.index(record_id)
        except ValueError:
            return None

    def rows_of(self, record_ids: Iterable[int]) -> list[tuple[int, int]]:
        """(row, record id) of those of ``record_ids`` that are shown, in the order given."""
        position = {record_id: row for row, record_id in enumerate(self._visible)}
        return [(position[i], i) for i in record_ids if i in position]

    def row_data(self, record_id: int) -> RecordRow | None:
        return self._rows.get(record_id)

    @property
    def total(self) -> int:
        return len(self._rows)

    def summary(self) -> str:
        """Counts per kind and per status, e.g. "Pathology 3 (1 still to request) · …"."""
        if not self._rows:
            return "No records yet. Add one with New record (Ctrl+N) or drop files here."
        if self._counts is None:  # counted once per change of the rows, not on every keystroke
            self._counts = self._count_words()
        parts, status_line = self._counts
        visible, total = len(self._visible), len(self._rows)
        shown = "" if visible == total else f"Showing {visible:,} of {total:,}. "
        return f"{shown}{plural(len(self._rows), 'record')}: " + " · ".join(parts) + f"\n{status_line}"

    def _count_words(self) -> tuple[list[str], str]:
        kinds = Counter(r.kind for r in self._rows.values())
        needed = Counter(r.kind for r in self._rows.values() if r.status is RecordStatus.NEEDED)
        waiting = Counter(r.kind for r in self._rows.values() if r.status is RecordStatus.REQUESTED)
        parts = []
        for kind in RecordKind:
            if kinds[kind]:
                extra = []
                if needed[kind]:
                    extra.append(f"{needed[kind]} still to request")
                if waiting[kind]:
                    extra.append(f"{waiting[kind]} waiting")
                parts.append(f"{kind.label} {kinds[kind]}" + (f" ({', '.join(extra)})" if extra else ""))
        statuses = Counter(r.status for r in self._rows.values())
        status_line = " · ".join(f"{s.label} {statuses[s]}" for s in RecordStatus if statuses[s])
        return parts, status_line
