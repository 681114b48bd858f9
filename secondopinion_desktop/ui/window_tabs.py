"""The main window's tabs: the one on screen is built (and shown the data folder) first, the others once it has
been painted, one per turn of the event loop, or at once when clicked or asked for. A window given its folder
when it is made (as tests make it) builds them all at once. No tab is connected to another by hand: what one
asks of another goes through ``ui.events.requests()`` and the window answers it (``ui/main_window.py``); what one
changes is announced through ``ui.events`` and the others watch for it.

``WindowTabs`` is a mixin of ``MainWindow`` (``ui/main_window.py``), which owns ``tabs``, the five placeholders,
``folder``, ``edit_menu`` and ``_eager`` / ``_building_later``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from secondopinion_desktop.ui.records.tab import RecordsTab

HEALTH_TITLE = "Health s&ummary"  # Alt+U: a letter no menu and no other tab's title takes
TAB_NAMES = ("guidance", "records", "health", "requests", "appointments")  # in the order of the tabs


class WindowTabs:
    """Building the window's tabs; see the module's docstring."""

    # Set by MainWindow (declared for readers and type checkers).
    folder: Any
    tabs: Any
    edit_menu: Any
    guidance_tab: Any
    records_tab: Any
    health_tab: Any
    requests_tab: Any
    appointments_tab: Any
    guidance_placeholder: QWidget
    records_placeholder: QWidget
    health_placeholder: QWidget
    requests_placeholder: QWidget
    appointments_placeholder: QWidget
    _eager: bool
    _building_later: bool

    def refresh(self) -> None:
        """Re-read what the tabs show from the data folder. The tab on screen is built first; the others are
        built once it has been painted (one per turn of the event loop), or at once when asked for."""
        if self.folder is None:
            return
        for tab in self._built_tabs():
            tab.set_folder(self.folder)  # type: ignore[attr-defined]
        self._tab(self._current_tab_name())  # a tab built now is shown the folder as it is built
        if self._eager:
            for name in TAB_NAMES:
                self._tab(name)
        elif not self._building_later:
            self._building_later = True
            # Twice deferred: the first turn paints the tab on screen, the next builds the others.
            QTimer.singleShot(0, lambda: QTimer.singleShot(0, self._build_one_more_tab))

    def _built_tabs(self) -> list[QWidget]:
        built = (self.guidance_tab, self.records_tab, self.health_tab, self.requests_tab, self.appointments_tab)
        return [tab for tab in built if tab is not None]

    def _current_tab_name(self) -> str:
        index = self.tabs.currentIndex()
        return TAB_NAMES[index] if 0 <= index < len(TAB_NAMES) else TAB_NAMES[0]

    def _build_one_more_tab(self) -> None:
        if not shiboken6.isValid(self):  # type: ignore[arg-type]
            return
        missing = [name for name in TAB_NAMES if getattr(self, f"{name}_tab") is None]
        if not missing or self.folder is None:
            self._building_later = False
            return
        self._tab(missing[0])
        QTimer.singleShot(0, self._build_one_more_tab)

    def _tab_clicked(self, index: int) -> None:
        if self.folder is not None and 0 <= index < len(TAB_NAMES):
            self._tab(TAB_NAMES[index])  # a tab clicked before it was built is built now

    def _tab(self, name: str) -> QWidget:
        """The tab called ``name`` ("guidance", "records", "health", "requests", "appointments"), built (and shown the
        folder) if it was not yet."""
        built = getattr(self, f"{name}_tab")
        if built is not None:
            return built
        if name == "guidance":
            from secondopinion_desktop.ui.guidance.tab import GuidanceTab

            tab: QWidget = GuidanceTab()
            self._replace_placeholder(self.guidance_placeholder, tab, "&Guidance")
        elif name == "records":
            from secondopinion_desktop.ui.records.tab import RecordsTab

            tab = RecordsTab()
            self._replace_placeholder(self.records_placeholder, tab, "&Records")
        elif name == "health":
            from secondopinion_desktop.ui.health.tab import HealthTab

            tab = HealthTab()
            self._replace_placeholder(self.health_placeholder, tab, HEALTH_TITLE)
        elif name == "requests":
            from secondopinion_desktop.ui.requests.tab import RequestsTab

            tab = RequestsTab()
            self._replace_placeholder(self.requests_placeholder, tab, "Re&quests")
        else:
            from secondopinion_desktop.ui.appointments.tab import AppointmentsTab

            tab = AppointmentsTab()
            self._replace_placeholder(self.appointments_placeholder, tab, "A&ppointments")
        setattr(self, f"{name}_tab", tab)
        if name == "records":
            self._add_records_actions(tab)  # type: ignore[arg-type]
        if self.folder is not None:
            tab.set_folder(self.folder)  # type: ignore[attr-defined]
        return tab

    def _replace_placeholder(self, placeholder: QWidget, tab: QWidget, title: str) -> None:
        index = self.tabs.indexOf(placeholder)
        current = self.tabs.currentIndex()
        blocked = self.tabs.blockSignals(True)  # the same tab stays current: nothing to tell
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, tab, title)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(blocked)
        placeholder.deleteLater()

    def _add_records_actions(self, tab: RecordsTab) -> None:
        """The Edit menu holds the Records tab's actions and its undo history."""
        self.undo_action = tab.undo_stack.createUndoAction(self, "&Undo")  # type: ignore[arg-type]
        self.redo_action = tab.undo_stack.createRedoAction(self, "&Redo")  # type: ignore[arg-type]
        # Ctrl+Z undoes a Records step only while the Records tab shows it happen; from the menu (which names
        # the step) it works from any tab.
        self.tabs.currentChanged.connect(lambda _index: self._undo_keys_follow_the_tab())
        self._undo_keys_follow_the_tab()
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self.edit_menu.addSeparator()
        for action in (tab.new_action, tab.actions.from_file_action, tab.edit_action, tab.delete_action,
                       tab.next_action):
            self.edit_menu.addAction(action)
        self.edit_menu.addMenu(tab.status_menu)
        self.edit_menu.addAction(tab.attach_action)
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(tab.import_imaging_action)
        self.edit_menu.addAction(tab.export_images_action)

    def _undo_keys_follow_the_tab(self) -> None:
        on_records = self.records_tab is not None and self.tabs.currentWidget() is self.records_tab
        self.undo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)] if on_records else [])
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")] if on_records else [])
