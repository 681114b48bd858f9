"""The Requests tab: every records request, grouped by facility, with the chosen one's details and log.

A thin view over ``core.requests``: each step (new, edit, mark sent, log a call, extension, mark received,
refused, cancel, delete) is one core call with the data folder from its dialog, then ``announce(Changes…,
self)``; the tab reloads when requests, shipments, records or the directory change elsewhere
(``ui.events.watch``). Letters are made off the GUI thread (``ui.requests.letter``), and so are the files
attached to the records that came (``core.records.attach_files`` through ``ui.ops.run_op``). The default
number of days a facility has to answer is this folder's setting (``core.settings``), beside the list.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QSplitter,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core import settings
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RequestStatus
from secondopinion_desktop.ui.events import Changes, watch
from secondopinion_desktop.ui.ops import Op
from secondopinion_desktop.ui.requests.actions import RequestActions
from secondopinion_desktop.ui.requests.detail import DetailPane, detail_html
from secondopinion_desktop.ui.requests.model import FACILITY_ROLE, REQUEST_ID_ROLE, Column, RequestsModel, urgency
from secondopinion_desktop.ui.requests.shipments import shipments_of, shippable_records
from secondopinion_desktop.ui.requests.steps import FEDERAL_LIMIT
from secondopinion_desktop.ui.state import restore_layout, save_layout
from secondopinion_desktop.ui.widgets.actions import action_button, make_action

SETTINGS = "requests/"
LAYOUT_KEY = "requests/layout"
SHOWN = Changes.REQUESTS | Changes.SHIPMENTS | Changes.RECORDS | Changes.DIRECTORY  # what this tab shows
FIRST_SIZES = {"requestsSplitter": [640, 520]}


class RequestsTab(RequestActions, QWidget):
    """Records requests to each facility; ``set_folder(folder)`` shows a data folder, ``shutdown()`` saves the
    view state and stops work still running. The window opens it for ``requests().newRequest`` and
    ``requests().showRequest`` (``new_request``, ``select_request``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestsTab")
        self.setAccessibleName("Requests")
        self.folder: DataFolder | None = None
        self.current: svc.RequestData | None = None
        self.jobs: list[Op] = []
        self.last_notice = ""

        self._build_actions()
        top = QHBoxLayout()
        self.top_buttons: list[QToolButton] = []
        for action in (self.new_action, self.edit_action, self.letter_action, self.sent_action, self.call_action,
                       self.received_action, self.shipments_action):
            self.top_buttons.append(action_button(action))
            top.addWidget(self.top_buttons[-1])
        top.addStretch(1)

        self.model = RequestsModel(self)
        self.tree = QTreeView()
        self.tree.setObjectName("requestsTree")
        self.tree.setAccessibleName("Requests by facility")
        self.tree.setAccessibleDescription("Each facility, then its requests with their status and due date.")
        self.tree.setModel(self.model)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setUniformRowHeights(True)
        self.model.modelReset.connect(self._span_facilities)
        self.tree.setAllColumnsShowFocus(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.viewport().installEventFilter(self)  # the columns share the width anew when it changes
        self.tree.selectionModel().currentChanged.connect(lambda current, _previous: self._current_changed(current))
        self.tree.doubleClicked.connect(lambda _index: self.edit_request())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.tree)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.edit_request)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.tree)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_request)

        self.due_days = QSpinBox()
        self.due_days.setObjectName("dueDaysSpin")
        self.due_days.setRange(1, settings.DEFAULT_DUE_DAYS)
        self.due_days.setSuffix(" days")
        self.due_days.setAccessibleName("Days a facility has to answer, by default")
        self.due_days.setToolTip(FEDERAL_LIMIT)
        due_label = QLabel("Answer due &in:")
        due_label.setBuddy(self.due_days)
        self.due_hint = QLabel("after sending, by default. The federal limit is 30 days; some states allow fewer.")
        self.due_hint.setWordWrap(True)
        self.due_hint.setToolTip(FEDERAL_LIMIT)
        self.due_days.valueChanged.connect(lambda value: self._due_days_changed(value))
        due_row = QHBoxLayout()
        due_row.addWidget(due_label)
        due_row.addWidget(self.due_days)
        due_row.addWidget(self.due_hint, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree, 1)
        left_layout.addLayout(due_row)

        self.detail = DetailPane()
        self.detail.save_letter_button.clicked.connect(lambda: self.save_kept_letter())
        more = QHBoxLayout()
        self.more_buttons = [action_button(a) for a in (self.extension_action, self.refused_action,
                                                       self.cancel_action, self.delete_action)]
        for button in self.more_buttons:
            more.addWidget(button)
        more.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail, 1)
        right_layout.addLayout(more)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("requestsSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        chain: list[QWidget] = [*self.top_buttons, self.tree, self.due_days, self.detail.browser,
                                self.detail.letters, self.detail.save_letter_button, *self.more_buttons]
        for first, second in itertools.pairwise(chain):
            self.setTabOrder(first, second)
        self._restore_settings()
        self._show(None)
        self.watcher = watch(self, SHOWN, self._changed_elsewhere, skip_own=True)

    def _build_actions(self) -> None:
        def action(text: str, name: str, slot: Callable[[], object], shortcut: Any, tip: str):  # type: ignore[no-untyped-def]
            return make_action(self, text, name, slot, shortcut, tip)

        self.new_action = action("&New request…", "newRequestAction", lambda: self.new_request(),
                                 QKeySequence.StandardKey.New, "Write a new request to a facility's records department")
        self.edit_action = action("Edi&t…", "editRequestAction", self.edit_request, None,
                                  "Edit the chosen request (Enter)")
        self.letter_action = action("Make &letter…", "makeLetterAction", self.make_letter, "Ctrl+Shift+L",
                                    "Make the letter to sign and send, as PDF")
        self.sent_action = action("Mar&k sent…", "markSentAction", self.mark_sent, None,
                                  "The request has gone: date it and start counting the days")
        self.call_action = action("Log a &call", "logCallAction", self.log_call, "Ctrl+Shift+C",
                                  "Log a call: whom you spoke to, what they said")
        self.received_action = action("Mark recei&ved…", "markReceivedAction", self.mark_received, None,
                                      "Mark which records came, and attach their files")
        self.shipments_action = action("Ship&ments…", "shipmentsAction", self.open_shipments, None,
                                       "Slides and blocks shipped for review: where they are")
        self.extension_action = action("E&xtension…", "extensionAction", self.extend, None,
                                       "The facility gave written notice that it needs more time")
        self.refused_action = action("Ref&used…", "refusedAction", self.refuse, None, "The facility refused")
        self.cancel_action = action("C&ancel request…", "cancelRequestAction", self.cancel_request, None,
                                    "Withdraw the request; it stays in the list, marked cancelled")
        self.delete_action = action("&Delete…", "deleteRequestAction", self.delete_request, None,
                                    "Delete the request with its log and letters (Delete in the list)")

    # --- data --------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder) -> None:
        """Show this data folder (again: the window calls this on every refresh; the selection stays)."""
        same = folder is self.folder
        self.folder = folder
        blocked = self.due_days.blockSignals(True)
        try:
            self.due_days.setValue(int(settings.get_setting(folder, settings.DUE_DAYS)))
        finally:
            self.due_days.blockSignals(blocked)
        if same:
            self.reload()
            return
        self.current = None
        remembered = QSettings().value(SETTINGS + "current")
        try:
            select = int(remembered) if remembered not in (None, "") else None
        except (TypeError, ValueError):
            select = None
        self.reload(select=select)

    def reload(self, select: int | None = None) -> None:
        if self.folder is None:
            return
        wanted = select if select is not None else (self.current.id if self.current is not None else None)
        facility = self._current_facility()
        rows = svc.list_requests(self.folder)
        self.tree.selectionModel().blockSignals(True)
        try:
            self.model.set_requests(rows, dt.date.today())
            self.tree.expandAll()
        finally:
            self.tree.selectionModel().blockSignals(False)
        self._fit_columns()  # now that the requests' rows show: the widths follow their words
        ids = self.model.request_ids()
        if wanted not in ids and facility is None and rows:  # the most pressing one first: overdue, due soon…
            today = self.model.today
            pressing = max(rows, key=lambda q: (urgency(q, today), -ids.index(q.id)))
            wanted = pressing.id
        index = self.model.index_of(wanted if wanted in ids else None)
        if not index.isValid() and facility is not None:
            index = self.model.facility_index(facility)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
        self._current_changed(self.tree.currentIndex())

    def _span_facilities(self) -> None:
        for row in range(self.model.rowCount()):
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Status, sent and due as wide as their words; what is asked for takes the rest, but never less than
        a third of the list (the list scrolls sideways instead)."""
        width = self.tree.viewport().width()
        others = 0
        for column in (Column.STATUS, Column.DUE, Column.SENT):
            wanted = max(self.tree.sizeHintForColumn(column), self.tree.header().sectionSizeHint(column))
            self.tree.setColumnWidth(column, wanted)
            others += wanted
        self.tree.setColumnWidth(Column.REQUEST, max(width - others, width // 3, 120))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return False

    def _changed_elsewhere(self, changes: Changes) -> None:
        if changes & Changes.FOLDER:
            return  # the window hands the new folder over with set_folder
        self.reload()

    def _current_facility(self) -> str | None:
        index = self.tree.currentIndex()
        return index.data(FACILITY_ROLE) if index.isValid() else None

    def _current_changed(self, index: QModelIndex) -> None:
        request_id = index.data(REQUEST_ID_ROLE) if index.isValid() else None
        self._show(request_id)

    def _show(self, request_id: int | None) -> None:
        q = None
        if request_id is not None and self.folder is not None:
            try:
                q = svc.get_request(self.folder, request_id)
            except SecondOpinionError:
                q = None
        self.current = q
        facility = shipments = None
        if q is not None and self.folder is not None:
            from secondopinion_desktop.core import directory

            facility = next((f for f in directory.list_facilities(self.folder) if f.id == q.facility_id), None)
            shipments = shipments_of(self.folder, q)
        self.detail.show_request(detail_html(q, facility, shipments or [], dt.date.today(),
                                             any_requests=bool(self.model.requests)), q.letters if q else ())
        self._update_actions()

    def _update_actions(self) -> None:
        q = self.current
        status = q.status if q is not None else None
        self.new_action.setEnabled(self.folder is not None)
        for action in (self.edit_action, self.call_action, self.delete_action):
            action.setEnabled(q is not None)
        self.letter_action.setEnabled(q is not None and status not in svc.ENDED)
        self.sent_action.setEnabled(status is RequestStatus.DRAFT)
        self.received_action.setEnabled(status in svc.OPEN)
        self.refused_action.setEnabled(status in svc.OPEN)
        self.extension_action.setEnabled(status in svc.OPEN and q is not None and q.extended_due_on is None)
        self.cancel_action.setEnabled(q is not None and status not in svc.ENDED)
        self.shipments_action.setEnabled(q is not None and bool(shippable_records(q)))

    def select_request(self, request_id: int) -> bool:
        index = self.model.index_of(request_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
        return index.isValid()

    def listed_ids(self) -> list[int]:
        return self.model.request_ids()

    def notify(self, message: str) -> None:
        self.last_notice = message
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 8000)

    def _due_days_changed(self, value: int) -> None:
        if self.folder is None:
            return
        try:
            settings.set_setting(self.folder, settings.DUE_DAYS, value)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Requests", str(exc))

    # --- settings and shutdown ---------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        restored = restore_layout(self, LAYOUT_KEY)
        for splitter in self.findChildren(QSplitter):
            sizes = FIRST_SIZES.get(splitter.objectName())
            if sizes is not None and f"splitter/{splitter.objectName()}" not in restored:
                splitter.setSizes(sizes)

    def save_settings(self) -> None:
        save_layout(self, LAYOUT_KEY)
        QSettings().setValue(SETTINGS + "current", self.current.id if self.current is not None else "")

    def shutdown(self) -> None:
        """Save the view state; stop the letters and attachments still being made (the window waits once)."""
        self.save_settings()
        for job in self.jobs:
            if not job.done:
                job.cancel()
        self.jobs = []
