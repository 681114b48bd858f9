"""The Records tab: the inventory table with search and filters, the detail pane, and the record actions."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QObject,
    QSettings,
    Qt,
    QThreadPool,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFontMetrics,
    QHideEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QStyleOptionHeader,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError, ValidationError, VaultError
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.jobs import Job, start_job
from secondopinion_desktop.ui.records.commands import (
    AddRecordCommand,
    DeleteRecordsCommand,
    EditRecordCommand,
    StatusCommand,
)
from secondopinion_desktop.ui.records.detail import RecordDetailPane
from secondopinion_desktop.ui.records.model import Column, RecordsTableModel
from secondopinion_desktop.ui.records.style import STATUS_WORDS, human_size, kind_icon

STILL_TO_GET = (RecordStatus.NEEDED, RecordStatus.REQUESTED)


class SortHeader(QHeaderView):
    """A header whose arrow points the way the values grow: ▲ for oldest (or A, or fewest) first, ▼ for newest
    first. Qt's own styles draw it the other way round, so the arrow and the order disagreed."""

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logical_index: int) -> None:  # noqa: N802
        super().initStyleOptionForIndex(option, logical_index)
        arrow = QStyleOptionHeader.SortIndicator
        if option.sortIndicator == arrow.SortUp:
            option.sortIndicator = arrow.SortDown
        elif option.sortIndicator == arrow.SortDown:
            option.sortIndicator = arrow.SortUp


class RecordsTable(QTableView):
    """The inventory table; files dropped on a row attach to it, dropped elsewhere become new records."""

    filesDropped = Signal(list, object)  # noqa: N815 - (paths, record id or None)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        header = SortHeader(Qt.Orientation.Horizontal, self)
        header.setSectionsClickable(True)  # as the table's own header is
        self.setHorizontalHeader(header)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)

    @staticmethod
    def _local_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = self._local_files(event)
        if not files:
            event.ignore()
            return
        index = self.indexAt(event.position().toPoint())
        record_id = index.data(Qt.ItemDataRole.UserRole + 1) if index.isValid() else None
        event.acceptProposedAction()
        self.filesDropped.emit(files, record_id)


class RecordsTab(QWidget):
    """Inventory of the patient's records. Works on a DataFolder through core services only."""

    SETTINGS = "records/"
    inventoryChanged = Signal()  # noqa: N815 - records were added, changed or removed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Records")
        self.folder: DataFolder | None = None
        self.undo_stack = QUndoStack(self)
        self.last_job: Job | None = None
        self.last_notice = ""
        self._kept_files: set[str] = set()
        self._kept_claim = None  # the undo history's hold on those files: no repair or purge removes them meanwhile
        self._open_dir: Path | None = None
        self._current: svc.RecordData | None = None
        self._shown = False  # the actions work only while the tab is shown (see _action)

        self.model = RecordsTableModel(self)
        self.table = RecordsTable()
        self.table.setObjectName("recordsTable")
        self.table.setAccessibleName("Records inventory")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several records at once (Shift/Ctrl+click, Shift+arrows) for deleting and changing status; the detail
        # pane shows the current one.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        self._size_columns()
        self.table.viewport().installEventFilter(self)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self._edit_from_index)
        self.table.filesDropped.connect(self._files_dropped)
        self.model.countsChanged.connect(self._update_summary)
        self.model.modelReset.connect(self._update_summary)

        self.search = QLineEdit()
        self.search.setObjectName("searchEdit")
        self.search.setPlaceholderText("Search title, facility, doctor, summary and notes  (Ctrl+F)")
        self.search.setAccessibleName("Search records")
        self.search.setClearButtonEnabled(True)
        self.kind_filter = QComboBox()
        self.kind_filter.setObjectName("kindFilter")
        self.kind_filter.setAccessibleName("Show kind")
        self.kind_filter.addItem("All kinds", None)
        for kind in RecordKind:
            self.kind_filter.addItem(kind_icon(kind.value), kind.label, kind.value)  # Qt hands plain str back
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.setAccessibleName("Show status")
        self.status_filter.addItem("All statuses", None)
        self.status_filter.addItem("Still to get (needed or requested)", "missing")
        for status in RecordStatus:
            self.status_filter.addItem(status.label, status.value)
        self.search.textChanged.connect(self._apply_filter)
        self.kind_filter.currentIndexChanged.connect(self._apply_filter)
        self.status_filter.currentIndexChanged.connect(self._apply_filter)

        self.summary = QLabel()
        self.summary.setObjectName("recordsSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Record counts")

        self.detail = RecordDetailPane()
        self.detail.attachmentActivated.connect(self.open_attachment)
        self.detail.attachmentSelectionChanged.connect(self._update_actions)
        self.detail.filesDropped.connect(self._files_dropped_on_detail)

        self._build_actions()
        top = QHBoxLayout()
        for action in (self.new_action, self.edit_action, self.delete_action, self.next_action, self.attach_action,
                       self.import_imaging_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            top.addWidget(button)
            if action is self.next_action:
                status_button = QToolButton()
                status_button.setObjectName("statusButton")
                status_button.setDefaultAction(self.status_menu_action)
                status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
                status_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
                top.addWidget(status_button)
        top.addStretch(1)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        for combo in (self.kind_filter, self.status_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            filters.addWidget(combo)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail, 1)
        file_buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open")
        self.open_button.setAccessibleName("Open the selected file with its usual program")
        self.open_button.clicked.connect(self._open_selected)
        self.save_copy_button = QPushButton("Save a cop&y…")
        self.save_copy_button.setAccessibleName("Save a copy of the selected file")
        self.save_copy_button.clicked.connect(self._save_selected)
        self.remove_file_button = QPushButton("Remo&ve")
        self.remove_file_button.setAccessibleName("Remove the selected file from this record")
        self.remove_file_button.clicked.connect(self._remove_selected)
        for button in (self.open_button, self.save_copy_button, self.remove_file_button):
            button.setToolTip(button.accessibleName())  # short labels leave the table room with large text
            file_buttons.addWidget(button)
        right_layout.addLayout(file_buttons)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("recordsSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        self.setTabOrder(self.search, self.kind_filter)
        self.setTabOrder(self.kind_filter, self.status_filter)
        self.setTabOrder(self.status_filter, self.table)

        self._restore_settings()
        self.table.setSortingEnabled(True)
        self._update_actions()

    def _column_widths(self) -> dict[Column, int]:
        """Widths that fit the columns' usual content in the current font, so larger text keeps them readable."""
        metrics = self.table.fontMetrics()
        bold = self.table.font()
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        arrow = metrics.height()  # room for the sort arrow beside a header's text
        icon = self.table.iconSize().width() if self.table.iconSize().isValid() else 16
        self._kind_wide = icon + metrics.horizontalAdvance("Clinical report") + 24  # when there is room
        return {
            Column.KIND: icon + metrics.horizontalAdvance("Pathology") + 24,
            Column.DATE: max(metrics.horizontalAdvance("2026-09-15"), metrics.horizontalAdvance("Date") + arrow) + 20,
            Column.FACILITY: metrics.horizontalAdvance("Samplewood Community") + 12,
            Column.STATUS: max(bold_metrics.horizontalAdvance(w) for w in STATUS_WORDS.values()) + 16,
            Column.FILES: max(metrics.horizontalAdvance("Files") + arrow, metrics.horizontalAdvance("99")) + 16,
        }

    def _size_columns(self) -> None:
        """Kind, Date, Status and Files fit their content; Title takes the rest and is the first to give way
        when the table is narrow, Facility the next (see ``_fit_columns``)."""
        header = self.table.horizontalHeader()
        self._widths = self._column_widths()
        for column, width in self._widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Share the table's width: Kind shows its longer names when there is room; Facility narrows when the
        table is narrow, so that the title keeps about half of what the other columns leave and no column
        hides behind a scroll bar."""
        header = self.table.horizontalHeader()
        width = self.table.viewport().width()
        fixed = sum(self._widths[c] for c in (Column.DATE, Column.STATUS, Column.FILES))
        kind = self._widths[Column.KIND]
        if width - fixed - self._kind_wide >= 2 * self._widths[Column.FACILITY]:
            kind = self._kind_wide
        room = width - fixed - kind
        # Too narrow for both (a small or scaled screen): the facility, which the detail pane shows too, steps
        # aside so the title stays readable; it comes back when there is room.
        too_narrow = room < self.table.fontMetrics().averageCharWidth() * 30
        if header.isSectionHidden(Column.FACILITY) != too_narrow:
            header.setSectionHidden(Column.FACILITY, too_narrow)
        facility = min(self._widths[Column.FACILITY], max(header.minimumSectionSize(), room * 45 // 100))
        for column, size in ((Column.KIND, kind), (Column.FACILITY, facility)):
            if header.sectionSize(column) != size:
                header.resizeSection(column, size)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    # --- actions -----------------------------------------------------------------------------------------

    def _new_from_action(self) -> None:
        self.new_record()

    def _import_imaging_from_action(self) -> None:
        self.import_imaging()

    def _export_images_from_action(self) -> None:
        self.export_images()

    def import_imaging(self, root: Path | None = None):  # type: ignore[no-untyped-def]
        """Import imaging…: a CD or folder of DICOM files, previewed before anything is written."""
        from secondopinion_desktop.ui.imaging import open_import_imaging

        if self.folder is None:
            return None
        record = self._current
        record_id = record.id if record is not None and record.kind is RecordKind.IMAGING else None
        # the dialog puts a finished import into this tab's undo history, which also shows the new records
        return open_import_imaging(self, self.folder, record_id, root, undo_stack=self.undo_stack, context=self)

    def export_images(self, target: Path | None = None) -> Job | None:
        """Export images for the doctor…: the record's DICOM files with a DICOMDIR."""
        from secondopinion_desktop.ui.imaging import export_images

        if self.folder is None or self._current is None:
            return None
        job = export_images(self, self.folder, self._current.id, target)
        if job is not None:
            self.last_job = job  # shutdown waits for it
        return job

    def _selection_changed(self, *_args: object) -> None:
        self._update_actions()

    def _edit_from_index(self, _index: object) -> None:
        self.edit_record()

    def chosen_attachment(self) -> svc.AttachmentData | None:
        """The file the buttons act on: the one selected in the pane, else the record's only or first file."""
        selected = self.detail.selected_attachment()
        if selected is not None:
            return selected
        return self._current.attachments[0] if self._current and self._current.attachments else None

    def _open_selected(self) -> None:
        self.open_attachment(self.chosen_attachment())

    def _save_selected(self) -> None:
        self.save_attachment_copy(self.chosen_attachment())

    def _remove_selected(self) -> None:
        self.remove_attachment(self.chosen_attachment())

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:  # type: ignore[no-untyped-def]
        """An action calling ``slot()`` (a method taking no arguments; the ``checked`` flag is not passed).

        Its shortcut works anywhere in the window (focus may be on the tab bar, or nowhere right after start-up)
        but only while this tab is shown: ``_update_actions`` disables the actions while the tab is hidden, so
        the same keys can mean something else in another tab. A line edit with focus still gets the keys it
        edits with (Delete, Ctrl+Right) first, through Qt's ShortcutOverride.
        """
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        sequence = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text.replace('&', '')}" + (f" ({sequence})" if sequence else ""))
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action("&New record…", self._new_from_action, QKeySequence.StandardKey.New,
                                       "Add a record to the inventory")
        self.edit_action = self._action("&Edit…", self.edit_record, None, "Edit the selected record (Enter)")
        self.delete_action = self._action("&Delete", self.delete_record, QKeySequence.StandardKey.Delete,
                                          "Delete the selected records")
        self.next_action = self._action("Next &step", self.advance_status, "Ctrl+Right",
                                        "Move the selected records to their next status")
        self.attach_action = self._action("&Attach file…", self.attach_with_dialog, "Ctrl+Shift+A",
                                          "Attach files to the selected record")
        self.find_action = self._action("Find", self._focus_search, QKeySequence.StandardKey.Find)
        self.import_imaging_action = self._action(
            "Import &imaging…", self._import_imaging_from_action, "Ctrl+Shift+I",
            "Import a CD or folder of DICOM images (you see what was found before anything is written)",
        )
        self.export_images_action = self._action(
            "E&xport images for the doctor…", self._export_images_from_action, None,
            "Write this record's images, with a DICOMDIR, to an empty folder",
        )
        # "Set status": one action per status, for every selected record at once.
        self.status_menu = QMenu("Set s&tatus", self)
        self.status_menu.setObjectName("statusMenu")
        self.status_actions: dict[RecordStatus, QAction] = {}
        group = QActionGroup(self)
        group.setExclusive(False)
        for status in RecordStatus:
            action = self._action(status.label, lambda status=status: self.set_status_of_selected(status), None,
                                  f"Mark the selected records {status.label.lower()}")
            group.addAction(action)
            self.status_menu.addAction(action)
            self.status_actions[status] = action
        self.status_menu_action = self.status_menu.menuAction()
        self.status_menu_action.setToolTip("Set the status of the selected records")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._table_menu)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.edit_record)

    def _table_menu(self, position) -> None:  # type: ignore[no-untyped-def]
        menu = QMenu(self.table)
        for action in (self.edit_action, self.next_action):
            menu.addAction(action)
        menu.addMenu(self.status_menu)
        menu.addAction(self.attach_action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu.exec(self.table.viewport().mapToGlobal(position))
        menu.deleteLater()

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if getattr(self, "_split_pending", False):
            QTimer.singleShot(0, self, self._split_table_and_pane)  # once the layout has its final width
        self._shown = True
        self._update_actions()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        if not event.spontaneous():  # a minimized window keeps its tab; another tab hides this one
            self._shown = False
            with contextlib.suppress(RuntimeError):  # the window is being taken down: the actions are gone
                self._update_actions()

    def selected_ids(self) -> list[int]:
        """The ids of the selected records, top to bottom (the current record when none is selected)."""
        selection = self.table.selectionModel()
        rows = sorted({index.row() for index in selection.selectedRows()}) if selection is not None else []
        ids = [self.model.record_id(r) for r in rows if r < self.model.rowCount()]
        if not ids and self._current is not None and self.model.row_of(self._current.id) is not None:
            ids = [self._current.id]
        return ids

    def _selected_records(self) -> list[svc.RecordData]:
        if self.folder is None:
            return []
        ids = self.selected_ids()
        if not ids:
            return []
        with self.folder.session() as session:
            found = []
            for record_id in ids:
                with contextlib.suppress(SecondOpinionError):
                    found.append(svc.get_record(session, record_id))
        return found

    def _update_actions(self) -> None:
        shown = getattr(self, "_shown", False)
        has_folder = self.folder is not None and shown
        record = self._current if shown else None
        selected = self.selected_ids() if shown else []
        rows = [self.model.row_data(i) for i in selected]
        statuses = [r.status for r in rows if r is not None]
        for action in (self.edit_action, self.attach_action):
            action.setEnabled(record is not None)
        self.delete_action.setEnabled(bool(selected))
        self.delete_action.setText(f"&Delete {plural(len(selected), 'record')}" if len(selected) > 1 else "&Delete")
        following = svc.next_status(record.status) if record else None
        movable = [s for s in statuses if svc.next_status(s) is not None]
        self.next_action.setEnabled(bool(movable))
        if len(selected) > 1:
            self.next_action.setText(f"Next &step for {plural(len(movable), 'record')}")
        else:
            self.next_action.setText(f"Mark {following.label.lower()}" if following else "Next &step")
        self.status_menu_action.setEnabled(bool(selected))
        for action in self.status_actions.values():
            action.setEnabled(bool(selected))
        self.new_action.setEnabled(has_folder)
        self.find_action.setEnabled(has_folder)
        self.import_imaging_action.setEnabled(has_folder)
        self.export_images_action.setEnabled(record is not None and record.kind is RecordKind.IMAGING)
        attachment = self.chosen_attachment() if self._current else None
        for button in (self.open_button, self.save_copy_button, self.remove_file_button):
            button.setEnabled(attachment is not None)

    # --- data --------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder) -> None:
        new_folder = self.folder is None or self.folder.path != folder.path
        if new_folder and self.folder is not None:
            self._save_filters()
        self.folder = folder
        if new_folder:
            self._restore_filters()
        self.reload()

    def reload(self) -> None:
        if self.folder is None:
            return
        with self.folder.session() as session:
            rows = svc.list_record_rows(session)
        self.model.set_rows(rows)
        self.inventoryChanged.emit()
        self.table.selectionModel().currentRowChanged.connect(self._current_changed, Qt.ConnectionType.UniqueConnection)
        if self.model.rowCount():
            self.table.selectRow(0)
        else:
            self._show(None)

    def _current_changed(self, current, _previous) -> None:  # type: ignore[no-untyped-def]
        if not current.isValid():
            self._show(None)
            return
        self._show(self.model.record_id(current.row()))

    def _show(self, record_id: int | None) -> None:
        record = None
        if record_id is not None and self.folder is not None:
            with self.folder.session() as session:
                with contextlib.suppress(SecondOpinionError):
                    record = svc.get_record(session, record_id)
        self._current = record
        self.detail.show_record(record, self.folder)
        self._update_actions()

    def select_record(self, record_id: int) -> bool:
        row = self.model.row_of(record_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        self._show(record_id)
        return True

    @property
    def current_record(self) -> svc.RecordData | None:
        return self._current

    def _apply_filter(self) -> None:
        status = self.status_filter.currentData()
        statuses = STILL_TO_GET if status == "missing" else ([RecordStatus(status)] if status else None)
        kind = self.kind_filter.currentData()
        current = self._current.id if self._current else None
        self.model.set_filter(self.search.text(), RecordKind(kind) if kind else None, statuses)
        if current is not None and self.model.row_of(current) is not None:
            self.select_record(current)
        elif self.model.rowCount():
            self.table.selectRow(0)
        else:
            self._show(None)

    def _update_summary(self) -> None:
        self.summary.setText(self.model.summary())

    # --- RecordsContext (used by the undo commands) -------------------------------------------------------

    def records_changed(self, record_ids: list[int], *, select: int | list[int] | None = None) -> None:
        """These records were added or changed; ``select`` the one (or all of a list) afterwards."""
        assert self.folder is not None
        with self.folder.session() as session:
            rows = svc.list_record_rows(session, record_ids)
        self.model.upsert_rows(rows)
        self.inventoryChanged.emit()
        if isinstance(select, list):
            if not self.select_records(select):
                self._show(self._current.id if self._current else None)
        elif select is not None and not self.select_record(select):
            self._show(self._current.id if self._current else None)
        elif select is None and self._current is not None:
            self._show(self._current.id)

    def select_records(self, record_ids: list[int]) -> bool:
        """Select these records (those shown); the first becomes the current one. False if none is shown."""
        shown = self.model.rows_of(record_ids)
        if not shown:
            return False
        first_row, first_id = shown[0]
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for row, _record_id in shown:
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        model = self.table.selectionModel()
        model.setCurrentIndex(self.model.index(first_row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.table.scrollTo(self.model.index(first_row, 0))
        self._show(first_id)
        return True

    def records_removed(self, record_ids: list[int]) -> None:
        self.model.remove_ids(record_ids)
        self.inventoryChanged.emit()
        if self.model.rowCount():
            self.table.selectRow(0)
        else:
            self._show(None)

    def kept_files(self, digests: set[str]) -> None:
        self._kept_files |= digests
        if self.folder is not None and digests:
            if self._kept_claim is None:
                self._kept_claim = self.folder.vault.claim()
            self._kept_claim.add(digests)

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "Second Opinion", message)

    def notify(self, message: str) -> None:
        """A passing message in the window's status bar."""
        self.last_notice = message
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 6000)

    # --- record operations -------------------------------------------------------------------------------

    def new_record(self, kind: RecordKind | None = None, title: str = "") -> int | None:
        from secondopinion_desktop.ui.records.dialogs import RecordDialog

        if self.folder is None:
            return None
        dialog = RecordDialog(self.folder, kind=kind, title=title, parent=self)
        if dialog.exec() != RecordDialog.DialogCode.Accepted:
            return None
        command = AddRecordCommand(self, dialog.fields())
        self.undo_stack.push(command)
        return command.record_id

    def edit_record(self) -> None:
        from secondopinion_desktop.ui.records.dialogs import RecordDialog

        if self.folder is None or self._current is None:
            return
        before = self._current
        dialog = RecordDialog(self.folder, before, parent=self)
        if dialog.exec() != RecordDialog.DialogCode.Accepted:
            return
        changes = dialog.fields()
        old = svc.record_fields(before)
        if all(old.get(k) == v for k, v in changes.items() if k in old) and not set(changes) - set(old):
            return  # nothing changed: no history entry
        self.undo_stack.push(EditRecordCommand(self, before, changes))

    def delete_record(self) -> None:
        """Delete the selected records after one question; one undo step brings them all back."""
        chosen = self._selected_records()
        if self.folder is None or not chosen:
            return
        files = sum(len(r.attachments) for r in chosen)
        images = svc.count_images(self.folder, (r.id for r in chosen))
        if files or images:
            held = " and ".join(part for part in (
                plural(files, "attached file") if files else "", plural(images, "imported image") if images else "",
            ) if part)
            detail = (
                f"{held} will be removed from "
                f"{'the record' if len(chosen) == 1 else 'these records'}; files no other record uses leave the "
                "data folder when you close Second Opinion."
            )
        else:
            detail = "It has no attached files." if len(chosen) == 1 else "They have no attached files."
        if len(chosen) == 1:
            record = chosen[0]
            what = f"Delete “{record.title}” ({record.kind.label}, {record.status.label.lower()})?"
        else:
            names = "\n".join(f"  • {r.title}" for r in chosen[:8])
            more = f"\n  … and {len(chosen) - 8} more" if len(chosen) > 8 else ""
            what = f"Delete {plural(len(chosen), 'record')}?\n\n{names}{more}"
        answer = QMessageBox.question(
            self, "Delete records" if len(chosen) > 1 else "Delete record",
            f"{what}\n\n{detail}\n\nYou can undo this with Ctrl+Z until you close the window.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.undo_stack.push(DeleteRecordsCommand(self, chosen))

    def mark_requested(self, record_id: int) -> None:
        """Move a needed record to requested (dated today), as an undoable step."""
        if self.folder is None:
            return
        with self.folder.session() as session:
            record = svc.get_record(session, record_id)
        if record.status is RecordStatus.NEEDED:
            self.undo_stack.push(StatusCommand(self, [(record, RecordStatus.REQUESTED)]))

    def clear_filters(self) -> None:
        self.search.clear()
        self.kind_filter.setCurrentIndex(0)
        self.status_filter.setCurrentIndex(0)

    def advance_status(self) -> None:
        """Move every selected record one step along the workflow (those already sent stay)."""
        chosen = self._selected_records()
        if not chosen:
            return
        moves = [(r, svc.next_status(r.status)) for r in chosen]
        moves = [(r, following) for r, following in moves if following is not None]
        if not moves:
            self.show_error(
                "This record has already been sent to the second-opinion doctor." if len(chosen) == 1
                else "These records have already been sent to the second-opinion doctor."
            )
            return
        self.undo_stack.push(StatusCommand(self, moves))

    def set_status_of_selected(self, status: RecordStatus) -> None:
        """Give every selected record ``status`` (each new step dated today), as one undoable step."""
        moves = [(r, status) for r in self._selected_records() if r.status is not status]
        if moves:
            self.undo_stack.push(StatusCommand(self, moves))

    # --- attachments -------------------------------------------------------------------------------------

    def attach_with_dialog(self) -> None:
        if self._current is None:
            return
        names, _ = QFileDialog.getOpenFileNames(self, f"Attach files to “{self._current.title}”", str(Path.home()))
        if names:
            self.attach_files([(self._current.id, Path(n)) for n in names])

    def attach_files(self, pairs: list[tuple[int, Path]]) -> Job | None:
        """Copy files into the vault in the background, with a cancellable progress dialog; all or nothing."""
        if self.folder is None:
            return None
        good: list[tuple[int, Path]] = []
        problems: list[str] = []
        for record_id, path in pairs:
            try:
                svc.check_attachable(path)
            except ValidationError as exc:
                problems.append(str(exc))
            else:
                good.append((record_id, path))
        if problems:
            QMessageBox.warning(
                self, "Some files cannot be attached",
                "\n".join(problems) + ("\n\nThe other files will be attached." if good else ""),
            )
        if not good:
            return None
        folder = self.folder
        total = sum(p.stat().st_size for _, p in good) or 1
        progress = QProgressDialog(f"Copying {plural(len(good), 'file')} into your data folder…", "Cancel", 0, 1000, self)
        progress.setWindowTitle("Attaching files")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)
        progress.setAutoReset(False)
        progress.setValue(0)

        def work(control) -> list[svc.AttachmentData]:  # type: ignore[no-untyped-def]
            attached: list[svc.AttachmentData] = []
            done = 0
            try:
                for record_id, path in good:
                    base = done
                    attached.append(svc.attach_file(
                        folder, record_id, path,
                        progress=lambda d, _t, base=base: control.progress(base + d, total),
                        cancelled=control.cancelled,
                    ))
                    done += attached[-1].size
            except BaseException:
                for attachment in attached:  # all or nothing
                    svc.remove_attachment(folder, attachment.id)
                raise
            return attached

        touched = sorted({record_id for record_id, _ in good})

        def finished() -> None:
            progress.reset()
            progress.deleteLater()
            self.records_changed(touched, select=self._current.id if self._current else touched[0])

        def succeeded(_attached: object) -> None:
            finished()

        def failed(exc: BaseException) -> None:
            finished()
            if isinstance(exc, Cancelled):
                self.notify("Cancelled: nothing was attached.")
            elif isinstance(exc, SecondOpinionError):
                self.show_error(f"{exc}\n\nNothing was attached.")
            else:
                raise exc

        job = start_job(work, succeeded, failed, lambda d, t: progress.setValue(int(d * 1000 / max(t, 1))))
        progress.canceled.connect(job.cancel)
        self.last_job = job
        return job

    def _files_dropped_on_detail(self, paths: list[Path]) -> None:
        if self._current is not None:
            self.attach_files([(self._current.id, p) for p in paths])

    def _files_dropped(self, paths: list[Path], record_id: int | None) -> None:
        if self.folder is None:
            return
        if record_id is not None:
            self.attach_files([(record_id, p) for p in paths])
            return
        self.import_files(paths)

    def import_files(self, paths: list[Path]) -> Job | None:
        """One new record per file (kind guessed, confirmed by the user), each with its file attached."""
        from secondopinion_desktop.ui.records.dialogs import DropImportDialog

        files = [p for p in paths if p.is_file()]
        skipped = [p for p in paths if not p.is_file()]
        if skipped:
            self.show_error("These cannot become records (only files can):\n" + "\n".join(str(p) for p in skipped))
        if not files:
            return None
        dialog = DropImportDialog(files, parent=self)
        if dialog.exec() != DropImportDialog.DialogCode.Accepted:
            return None
        pairs: list[tuple[int, Path]] = []
        self.undo_stack.beginMacro(f"Add {plural(len(dialog.choices()), 'record')} from files")
        try:
            for path, kind, title in dialog.choices():
                command = AddRecordCommand(self, {"kind": kind, "title": title, "status": RecordStatus.RECEIVED})
                self.undo_stack.push(command)
                if command.record_id is not None:
                    pairs.append((command.record_id, path))
        finally:
            self.undo_stack.endMacro()
        return self.attach_files(pairs)

    def _vault_file(self, attachment: svc.AttachmentData) -> Path | None:
        assert self.folder is not None
        path = svc.attachment_path(self.folder, attachment)
        if path is None:
            self.show_error(
                f"The file {attachment.original_name} is missing from the data folder. The record is still "
                "here; attach the file again to restore it."
            )
        return path

    def open_attachment(self, attachment: svc.AttachmentData | None) -> Path | None:
        """Open with the system's viewer: a private copy under the file's own name (so the viewer knows it)."""
        if attachment is None or self.folder is None:
            return None
        source = self._vault_file(attachment)
        if source is None:
            return None
        if self._open_dir is None or not self._open_dir.is_dir():  # (a restore replaces the data folder)
            from secondopinion_desktop.core.scratch import scratch_dir

            try:
                self._open_dir = scratch_dir(self.folder.path, "open-")
            except OSError as exc:
                self.show_error(f"Cannot prepare {attachment.original_name} for viewing: {exc.strerror or exc}.")
                return None
        target = self._open_dir / str(attachment.id) / _safe_name(attachment.original_name)
        try:
            target.parent.mkdir(mode=0o700, exist_ok=True)
            if not target.exists():
                # checked against its SHA-256 on the way: a damaged stored copy is never shown as the record's
                with self.folder.vault.open_verified(attachment.sha256) as src, \
                        open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                target.chmod(0o400)
        except VaultError as exc:
            self.show_error(f"Cannot open {attachment.original_name}: {exc}")
            return None
        except OSError as exc:
            self.show_error(f"Cannot prepare {attachment.original_name} for viewing: {exc.strerror or exc}.")
            return None
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            self.show_error(f"No program on this computer could open {attachment.original_name}.")
        return target

    def save_attachment_copy(self, attachment: svc.AttachmentData | None, target: Path | None = None) -> Job | None:
        """Save a copy as…: the stored file, checked against its SHA-256 while it is copied, written beside
        ``target`` and renamed into place (temp → fsync → rename). A place inside the data folder or a device is
        refused before anything is written (the rule packets and backups follow)."""
        from secondopinion_desktop.core.outputs import check_output

        if attachment is None or self.folder is None:
            return None
        if self._vault_file(attachment) is None:
            return None
        if target is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Save a copy as", str(Path.home() / _safe_name(attachment.original_name))
            )
            if not name:
                return None
            target = Path(name)
        try:  # never over the database, a stored file or a device
            out = check_output(target, self.folder.path, what="the copy")
        except SecondOpinionError as exc:
            self.show_error(str(exc))
            return None
        vault, sha256, shown = self.folder.vault, attachment.sha256, attachment.original_name

        def work(_control) -> Path:  # type: ignore[no-untyped-def]
            from secondopinion_desktop.core.packet.build import write_atomically

            with vault.open(sha256) as src:  # never through a link
                try:
                    write_atomically(out, lambda dst: _copy_checked(src, dst, sha256, shown))
                except VaultError:
                    raise
                except SecondOpinionError as exc:  # the writer's sentence speaks of a packet: say it of the copy
                    if isinstance(exc.__cause__, OSError):
                        raise exc.__cause__ from None
                    raise
            return out

        def failed(exc: BaseException) -> None:
            if isinstance(exc, OSError):
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    self.show_error(f"The disk is full: the copy could not be saved to {out.parent}.")
                else:
                    self.show_error(f"Cannot save the copy to {out}: {exc.strerror or exc}.")
            elif isinstance(exc, SecondOpinionError):
                self.show_error(f"{exc} Nothing was saved.")
            else:
                raise exc

        job = start_job(work, lambda _p: self.notify(f"Saved a copy of {shown} to {out}."), failed)
        self.last_job = job
        return job

    def remove_attachment(self, attachment: svc.AttachmentData | None) -> None:
        if attachment is None or self.folder is None:
            return
        answer = QMessageBox.question(
            self, "Remove file",
            f"Remove {attachment.original_name} ({human_size(attachment.size)}) from this record?\n\n"
            "This cannot be undone; the file on your disk where it came from is not touched.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            svc.remove_attachment(self.folder, attachment.id)
        except SecondOpinionError as exc:
            self.show_error(str(exc))
        self.records_changed([attachment.record_id], select=attachment.record_id)

    # --- settings and shutdown ---------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        settings = QSettings()
        header = settings.value(self.SETTINGS + "header")
        if header is None or not self.table.horizontalHeader().restoreState(header):
            self.table.horizontalHeader().setSortIndicator(Column.DATE, Qt.SortOrder.DescendingOrder)
        self._size_columns()  # widths follow the text size; the order of the columns and the sort are kept
        splitter = settings.value(self.SETTINGS + "splitter")
        self._split_pending = splitter is None or not self.splitter.restoreState(splitter)
        if self._split_pending:
            self.splitter.setSizes([760, 440])  # refined once the real width is known (_split_table_and_pane)

    def table_room_needed(self) -> int:
        """The width the table needs to show Kind, Date, Status, Files and a readable Title (about 24
        characters) with a narrowed Facility, in the current font."""
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        fixed = sum(max(self._widths[c], header.sectionSize(c))
                    for c in (Column.KIND, Column.DATE, Column.STATUS, Column.FILES))
        title = metrics.averageCharWidth() * 24
        facility = metrics.averageCharWidth() * 8
        frame = self.table.frameWidth() * 2 + self.table.verticalScrollBar().sizeHint().width()
        return fixed + title + facility + frame

    def _split_table_and_pane(self) -> None:
        """First show without a remembered layout: the table gets what its columns need (more with large text),
        at least 60 % of the width; the detail pane the rest."""
        total = self.splitter.width() - self.splitter.handleWidth()
        if total <= 0 or not self._split_pending:
            return
        self._split_pending = False
        pane_min = max(self.splitter.widget(1).minimumSizeHint().width(), 240)
        table = min(max(self.table_room_needed(), total * 3 // 5), total - pane_min)
        self.splitter.setSizes([table, total - table])

    def _folder_settings(self) -> str:
        """The settings group of this data folder's view state: each folder keeps its own filters."""
        assert self.folder is not None
        digest = hashlib.sha256(str(Path(self.folder.path).resolve()).encode()).hexdigest()[:16]
        return f"{self.SETTINGS}folders/{digest}/"

    def _restore_filters(self) -> None:
        """The kind and status filters last used on this data folder. The search text is never kept: a word
        typed once must not hide records the next time (or in another folder)."""
        settings = QSettings()
        group = self._folder_settings()
        kind = str(settings.value(group + "kind", "") or "")
        status = str(settings.value(group + "status", "") or "")
        for combo in (self.kind_filter, self.status_filter):
            combo.blockSignals(True)
        self.kind_filter.setCurrentIndex(max(0, self.kind_filter.findData(kind)) if kind else 0)
        self.status_filter.setCurrentIndex(max(0, self.status_filter.findData(status)) if status else 0)
        for combo in (self.kind_filter, self.status_filter):
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._apply_filter()

    def _save_filters(self) -> None:
        if self.folder is None:
            return
        settings = QSettings()
        group = self._folder_settings()
        settings.setValue(group + "kind", self.kind_filter.currentData() or "")
        settings.setValue(group + "status", self.status_filter.currentData() or "")

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue(self.SETTINGS + "header", self.table.horizontalHeader().saveState())
        settings.setValue(self.SETTINGS + "splitter", self.splitter.saveState())
        for old in ("kind", "status", "search"):  # kept for every folder alike by earlier versions
            settings.remove(self.SETTINGS + old)
        self._save_filters()

    def shutdown(self) -> None:
        """Save the view state, finish background copies, drop the undo history, remove files no record uses."""
        from secondopinion_desktop.ui.imaging import ImportImagingDialog

        for dialog in self.findChildren(ImportImagingDialog):
            dialog.reject()  # cancels a running import and waits for it
        self.save_settings()
        if self.last_job is not None and not self.last_job.done:
            self.last_job.cancel()  # a copy still running leaves nothing behind when cancelled
            QThreadPool.globalInstance().waitForDone(30_000)
        self.undo_stack.clear()
        if self._kept_claim is not None:
            self._kept_claim.release()  # the history is gone: its files may go now, if nothing else uses them
            self._kept_claim = None
        if self.folder is not None and self._kept_files:
            svc.purge_unused_files(self.folder, self._kept_files)
            self._kept_files.clear()
        if self._open_dir is not None:
            shutil.rmtree(self._open_dir, ignore_errors=True)
            self._open_dir = None


def _safe_name(name: str) -> str:
    """A file name safe to create: no folders, no control characters, not too long (suffix kept)."""
    cleaned = "".join("_" if c in '/\\\x00' or ord(c) < 32 else c for c in name).strip(" .") or "file"
    if len(cleaned.encode()) > 200:
        suffix = Path(cleaned).suffix[:20]
        stem = cleaned[: len(cleaned) - len(suffix)]
        while len((stem + suffix).encode()) > 200:
            stem = stem[:-1]
        cleaned = stem + suffix
    return cleaned


def _copy_checked(src, dst, sha256: str, shown: str) -> None:  # type: ignore[no-untyped-def]
    """Copy the open stored file ``src`` to ``dst``, hashing on the way: a stored copy whose content no longer
    matches its SHA-256 raises VaultDamaged (the caller then leaves nothing behind). A read failure is a
    VaultError, so that only a failure to write reaches the caller as an OSError."""
    from secondopinion_desktop.core.vault import CHUNK_SIZE, VaultDamaged

    digest = hashlib.sha256()
    while True:
        try:
            chunk = src.read(CHUNK_SIZE)
        except OSError as exc:
            raise VaultError(f"The stored copy of {shown} cannot be read: {exc.strerror or exc}.") from exc
        if not chunk:
            break
        digest.update(chunk)
        dst.write(chunk)
    if digest.hexdigest() != sha256:
        raise VaultDamaged(sha256, f"The stored copy of {shown} is damaged: its content no longer matches the "
                                   "SHA-256 it was stored with.")
