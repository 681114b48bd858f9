"""The Records tab's actions (toolbar, Edit menu, the table's context menu, shortcuts) and when each is enabled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMenu, QToolButton

from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.core.records import next_status
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.widgets.actions import make_action

if TYPE_CHECKING:
    from secondopinion_desktop.ui.records.tab import RecordsTab


def new_record(tab: RecordsTab) -> None:
    """New record…: the record dialog, which also takes files (``from_file.new_record``)."""
    from secondopinion_desktop.ui.records.from_file import new_record as open_new_record

    open_new_record(tab)


def new_record_from_file(tab: RecordsTab) -> None:
    from secondopinion_desktop.ui.records.from_file import new_record_from_file as from_file

    from_file(tab)


class RecordActions:
    """Every action of the tab, made once; ``update`` enables them for the records selected.

    Their shortcuts work anywhere in the window (focus may be on the tab bar, or nowhere right after start-up)
    but only while the tab is shown: ``update`` disables the actions while the tab is hidden, so the same keys
    can mean something else in another tab. A line edit with focus still gets the keys it edits with (Delete,
    Ctrl+Right) first, through Qt's ShortcutOverride.
    """

    def __init__(self, tab: RecordsTab) -> None:
        self.tab = tab
        act = make_action
        self.new_action = act(tab, "&New record…", "newRecordAction", lambda: new_record(tab),
                              QKeySequence.StandardKey.New, "Add a record to the inventory")
        # Ctrl+Shift+N means "New note" in the Appointments tab; like Ctrl+N, each tab's keys work only there.
        self.from_file_action = act(
            tab, "New record from &file…", "newRecordFromFileAction", lambda: new_record_from_file(tab),
            "Ctrl+Shift+N", "Choose files: each becomes a record, filled in from what its text says, for you to check",
        )
        self.edit_action = act(tab, "&Edit…", "editRecordAction", tab.edit_record, None,
                               "Edit the selected record (Enter)")
        self.delete_action = act(tab, "&Delete", "deleteRecordsAction", tab.delete_record,
                                 QKeySequence.StandardKey.Delete, "Delete the selected records")
        self.next_action = act(tab, "Next &step", "nextStepAction", tab.advance_status, "Ctrl+Right",
                               "Move the selected records to their next status")
        self.attach_action = act(tab, "&Attach file…", "attachFileAction", tab.files.attach_with_dialog,
                                 "Ctrl+Shift+A", "Attach files to the selected record")
        self.find_action = act(tab, "Find", "findRecordsAction", tab.focus_search, QKeySequence.StandardKey.Find)
        self.import_imaging_action = act(
            tab, "Import &imaging…", "importImagingAction", lambda: tab.import_imaging(), "Ctrl+Shift+I",
            "Import a CD or folder of DICOM images (you see what was found before anything is written)",
        )
        self.export_images_action = act(
            tab, "E&xport images for the doctor…", "exportImagesAction", lambda: tab.export_images(), None,
            "Write this record's images, with a DICOMDIR, to an empty folder",
        )
        # "Set status": one action per status, for every selected record at once.
        self.status_menu = QMenu("Set s&tatus", tab)
        self.status_menu.setObjectName("statusMenu")
        self.status_actions: dict[RecordStatus, QAction] = {}
        group = QActionGroup(tab)
        group.setExclusive(False)
        for status in RecordStatus:
            action = act(tab, status.label, f"status{status.name.title().replace('_', '')}Action",
                         lambda status=status: tab.set_status_of_selected(status), None,
                         f"Mark the selected records {status.label.lower()}")
            group.addAction(action)
            self.status_menu.addAction(action)
            self.status_actions[status] = action
        self.status_menu_action = self.status_menu.menuAction()
        self.status_menu_action.setToolTip("Set the status of the selected records")
        table = tab.table
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._table_menu)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(tab.edit_record)

    def toolbar(self) -> QHBoxLayout:
        """The row of buttons above the table."""
        top = QHBoxLayout()
        for action in (self.new_action, self.from_file_action, self.edit_action, self.delete_action,
                       self.next_action, self.attach_action, self.import_imaging_action):
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
        return top

    def _table_menu(self, position) -> None:  # type: ignore[no-untyped-def]
        table = self.tab.table
        menu = QMenu(table)
        for action in (self.edit_action, self.next_action):
            menu.addAction(action)
        menu.addMenu(self.status_menu)
        menu.addAction(self.attach_action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu.exec(table.viewport().mapToGlobal(position))
        menu.deleteLater()

    def update(self, *, shown: bool) -> None:
        tab = self.tab
        has_folder = tab.folder is not None and shown
        record = tab.current_record if shown else None
        selected = tab.selected_ids() if shown else []
        rows = [tab.model.row_data(i) for i in selected]
        statuses = [r.status for r in rows if r is not None]
        for action in (self.edit_action, self.attach_action):
            action.setEnabled(record is not None)
        self.delete_action.setEnabled(bool(selected))
        self.delete_action.setText(f"&Delete {plural(len(selected), 'record')}" if len(selected) > 1 else "&Delete")
        following = next_status(record.status) if record else None
        movable = [s for s in statuses if next_status(s) is not None]
        self.next_action.setEnabled(bool(movable))
        if len(selected) > 1:
            self.next_action.setText(f"Next &step for {plural(len(movable), 'record')}")
        else:
            self.next_action.setText(f"Mark {following.label.lower()}" if following else "Next &step")
        self.status_menu_action.setEnabled(bool(selected))
        for action in self.status_actions.values():
            action.setEnabled(bool(selected))
        self.new_action.setEnabled(has_folder)
        self.from_file_action.setEnabled(has_folder)
        self.find_action.setEnabled(has_folder)
        self.import_imaging_action.setEnabled(has_folder)
        self.export_images_action.setEnabled(record is not None and record.kind is RecordKind.IMAGING)
