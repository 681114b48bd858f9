"""The main window: tabs, menus, status bar, remembered geometry."""

from __future__ import annotations

from html import escape

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from secondopinion_desktop import APP_NAME, __version__
from secondopinion_desktop.ui.placeholder import PlannedPage

if TYPE_CHECKING:  # the core (and SQLAlchemy) loads after the window is on screen
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.ui.records.tab import RecordsTab


class MainWindow(QMainWindow):
    SETTINGS_GEOMETRY = "mainWindow/geometry"
    SETTINGS_STATE = "mainWindow/state"
    SETTINGS_TAB = "mainWindow/tab"

    def __init__(
        self, folder: DataFolder | None = None, *, demo: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.demo = demo
        self.setWindowTitle(f"{APP_NAME} — sample data" if demo else APP_NAME)
        self.setObjectName("mainWindow")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.guidance_tab = PlannedPage(
            "Guidance",
            "How to ask for a second opinion, step by step, in plain words — and what is still missing from "
            "your preparation.",
            [
                "read why people ask for a second opinion and what it can give you",
                "tick off each step: tell your doctor, call your insurer, choose a specialist, request records",
                "keep a bank of questions to take to the appointment",
                "see at a glance which records are still missing",
            ],
        )
        # The Records tab needs the core; it is built once the data folder is open (see set_folder).
        self.records_tab: RecordsTab | None = None
        self.records_placeholder = QLabel("Opening your records…")
        self.records_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.appointments_tab = PlannedPage(
            "Appointments",
            "Your consults: who, where and when, the questions you want answered, and the notes you take while "
            "the doctor speaks.",
            [
                "keep the appointments and the doctors' details in one place",
                "prepare questions and write the answers down during the visit",
                "print a packet for the doctor and your notes as PDF",
            ],
        )
        self.tabs.addTab(self.guidance_tab, "&Guidance")
        self.tabs.addTab(self.records_placeholder, "&Records")
        self.tabs.addTab(self.appointments_tab, "A&ppointments")
        self.setCentralWidget(self.tabs)

        self._build_menus()
        self.folder_label = QLabel("Preparing sample data…" if demo else "Opening your data folder…")
        self.folder_label.setObjectName("dataFolderLabel")
        self.statusBar().addPermanentWidget(self.folder_label, 1)
        self._restore_settings()
        if folder is not None:
            self.set_folder(folder)

    def set_folder(self, folder: DataFolder) -> None:
        """Show the contents of an opened data folder."""
        self.folder = folder
        where = f"Data folder: {folder.path}"
        if self.demo:
            where = f"Sample data (discarded when you close the window) — {folder.path}"
        self.folder_label.setText(where)
        self.folder_label.setToolTip(str(folder.path))
        self.refresh()

    # --- content -----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read what the tabs show from the data folder."""
        if self.folder is None:
            return
        if self.records_tab is None:
            self._build_records_tab()
        assert self.records_tab is not None
        self.records_tab.set_folder(self.folder)

    def _build_records_tab(self) -> None:
        from secondopinion_desktop.ui.records.tab import RecordsTab

        tab = RecordsTab()
        index = self.tabs.indexOf(self.records_placeholder)
        current = self.tabs.currentIndex()
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, tab, "&Records")
        self.tabs.setCurrentIndex(current)
        self.records_placeholder.deleteLater()
        self.records_tab = tab

        self.undo_action = tab.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = tab.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self.edit_menu.addSeparator()
        for action in (tab.new_action, tab.edit_action, tab.delete_action, tab.next_action, tab.attach_action):
            self.edit_menu.addAction(action)

    # --- menus -------------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        self.edit_menu = self.menuBar().addMenu("&Edit")  # filled when the Records tab is built

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction(f"&About {APP_NAME}", self)
        about.setObjectName("aboutAction")
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)
        self.about_action = about

    def about_text(self) -> str:
        return (
            f"<h3>{APP_NAME} {escape(__version__)}</h3>"
            "<p>Gather your records, prepare for a second-opinion consult and print a packet for the doctor.</p>"
            "<p>Everything stays on this computer; nothing is sent over the network.</p>"
            f"<p>Data folder: {escape(str(self.folder.path if self.folder else '(not open)'))}</p>"
        )

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", self.about_text())

    # --- settings ----------------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value(self.SETTINGS_GEOMETRY)
        if geometry is None or not self.restoreGeometry(geometry):
            available = self.screen().availableGeometry()
            self.resize(min(1100, available.width() * 9 // 10), min(720, available.height() * 9 // 10))
        state = settings.value(self.SETTINGS_STATE)
        if state is not None:
            self.restoreState(state)
        tab = settings.value(self.SETTINGS_TAB, 0, type=int)
        if 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue(self.SETTINGS_GEOMETRY, self.saveGeometry())
        settings.setValue(self.SETTINGS_STATE, self.saveState())
        settings.setValue(self.SETTINGS_TAB, self.tabs.currentIndex())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        if self.records_tab is not None:
            self.records_tab.shutdown()
        super().closeEvent(event)
