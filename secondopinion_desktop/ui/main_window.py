"""The main window: the one place that knows every tab. It answers what a tab asks (``ui.events.requests``),
names whose records these are, opens and closes the data folder, and closes as Quit does (each tab shuts down,
then every job is cancelled and waited for once, then today's backup). The tabs are built by ``ui.window_tabs``,
the menus by ``ui.window_menus``; geometry is remembered through ``ui.state``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from secondopinion_desktop import APP_NAME
from secondopinion_desktop.ui.events import Changes, announce, requests, watch
from secondopinion_desktop.ui.widgets.screen import available_geometry, keep_on_screen
from secondopinion_desktop.ui.window_tabs import HEALTH_TITLE, TAB_NAMES, WindowTabs

OLD_TAB_ORDER = ("guidance", "records", "appointments")  # the tabs before Requests came between the last two

if TYPE_CHECKING:  # the core (and SQLAlchemy) loads after the window is on screen
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.ui.appointments.tab import AppointmentsTab
    from secondopinion_desktop.ui.guidance.tab import GuidanceTab
    from secondopinion_desktop.ui.health.tab import HealthTab
    from secondopinion_desktop.ui.records.tab import RecordsTab
    from secondopinion_desktop.ui.requests.tab import RequestsTab


class MainWindow(WindowTabs, QMainWindow):
    SETTINGS_KEY = "mainWindow"  # ui.state keeps "mainWindow/geometry" and "mainWindow/state"
    SETTINGS_TAB = "mainWindow/tab"  # the tab's place, as versions with three tabs kept it
    SETTINGS_TAB_NAME = "mainWindow/tabName"  # the tab on screen when the window closed, by name

    def __init__(
        self, folder: DataFolder | None = None, *, demo: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.packet_dialog: QWidget | None = None
        self.folder_lock = None  # set by ui/app.py; a restore replaces it
        self._shut_down = False  # the tabs have been shut down by a close
        self._close_backup = None  # the job saving today's backup while the window closes
        self.restore_runner = None
        self.window_lock = None  # an encrypted folder's: locks on Ctrl+L and when idle (ui.safety.locking)
        self.demo = demo
        self.person_name = ""
        self._update_title()
        self.setObjectName("mainWindow")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        # The tabs need the core (and SQLAlchemy): each is built once the data folder is open (set_folder).
        self.guidance_tab: GuidanceTab | None = None
        self.guidance_placeholder = QLabel("Opening the guide…")
        self.guidance_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.records_tab: RecordsTab | None = None
        self.records_placeholder = QLabel("Opening your records…")
        self.records_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.health_tab: HealthTab | None = None
        self.health_placeholder = QLabel("Opening your health summary…")
        self.health_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.requests_tab: RequestsTab | None = None
        self.requests_placeholder = QLabel("Opening your requests…")
        self.requests_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.appointments_tab: AppointmentsTab | None = None
        self.appointments_placeholder = QLabel("Opening your appointments…")
        self.appointments_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tabs.addTab(self.guidance_placeholder, "&Guidance")
        self.tabs.addTab(self.records_placeholder, "&Records")
        self.tabs.addTab(self.health_placeholder, HEALTH_TITLE)
        self.tabs.addTab(self.requests_placeholder, "Re&quests")
        self.tabs.addTab(self.appointments_placeholder, "A&ppointments")
        self.setCentralWidget(self.tabs)

        self._build_menus()
        from secondopinion_desktop.ui.widgets.elided import ElidedLabel

        self.folder_label = ElidedLabel("Preparing sample data…" if demo else "Opening your data folder…")
        self.folder_label.setObjectName("dataFolderLabel")
        # no stretch: the bar's messages ("Saved the calendar…") have the room to its left; a long path is elided
        self.statusBar().addPermanentWidget(self.folder_label)
        from secondopinion_desktop.ui.reading import BackgroundReading

        # The attached documents waiting to be read are read in the background; its indicator is on the right.
        self.reading = BackgroundReading(self)
        self.statusBar().addPermanentWidget(self.reading.indicator)
        self._restore_settings()
        # The one place that knows every tab answers what one part of the window asks of another, and shows
        # whose records these are whenever the profile changes, whoever changed it.
        desk = requests()  # bound methods: the connections end with this window
        desk.showRecord.connect(self._asked_show_record)
        desk.newRecord.connect(self._asked_new_record)
        desk.editProfile.connect(self._asked_edit_profile)
        desk.buildPacket.connect(self._asked_build_packet)
        desk.markRequested.connect(self._asked_mark_requested)
        desk.newRequest.connect(self._asked_new_request)
        desk.showRequest.connect(self._asked_show_request)
        desk.showHealth.connect(self._asked_show_health)
        self.person_watcher = watch(self, Changes.PROFILE, self._profile_changed)
        self._eager = folder is not None  # given a folder at once (as tests do): every tab is built at once
        self._building_later = False
        self.tabs.currentChanged.connect(self._tab_clicked)
        if folder is not None:
            self.set_folder(folder)

    def set_folder(self, folder: DataFolder) -> None:
        """Show the contents of an opened data folder (the first, or a restored one: ``Changes.FOLDER``)."""
        replacing = bool(self._built_tabs())  # views exist that showed another folder
        self.folder = folder
        where = f"Data folder: {folder.path}"
        if self.demo:
            where = f"Sample data (discarded when you close the window) — {folder.path}"
        self.folder_label.setText(where)
        self.folder_label.setToolTip(str(folder.path))
        for action in self._folder_actions():
            action.setEnabled(True)
        self.tabs.setEnabled(True)
        self.edit_menu.setEnabled(True)
        if not self.demo:
            from secondopinion_desktop.ui.people import remember_folder

            remember_folder(folder.path)
        self.refresh()
        self._show_person()
        self.reading.set_folder(folder)
        self.lock_action.setEnabled(folder.encrypted)
        self.protect_action.setEnabled(not folder.encrypted and not self.demo and not folder.read_only)
        self.change_passphrase_action.setEnabled(folder.encrypted and not folder.read_only)
        self.unprotect_action.setEnabled(folder.encrypted and not folder.read_only)
        if folder.encrypted and self.window_lock is None:
            from secondopinion_desktop.ui.safety.locking import WindowLock

            self.window_lock = WindowLock(self)
        if self.window_lock is not None:
            self.window_lock.restart()
        if replacing:
            announce(Changes.FOLDER, self)  # everything may differ: every view reloads (a hidden one when shown)

    def _folder_actions(self) -> tuple[QAction, ...]:
        return (self.packet_action, self.backup_action, self.restore_action, self.check_action, self.profile_action,
                self.portal_import_action, self.handoff_action, self.calendar_action)

    # --- whose records -----------------------------------------------------------------------------------

    def _update_title(self) -> None:
        """ "Alex Sample — Second Opinion": whose records this window shows, at a glance (and in the task bar)."""
        who = self.person_name
        if self.demo:
            who = f"{who} (sample data)" if who else "Sample data"
        self.setWindowTitle(f"{who} — {APP_NAME}" if who else APP_NAME)

    # --- what the tabs ask (ui.events.requests); a closed window answers nothing --------------------------

    def _answering(self) -> bool:
        return self.folder is not None and self.isVisible()

    def _asked_show_record(self, record_id: int) -> None:
        if self._answering():
            self.show_record(record_id)

    def _asked_new_record(self, kind: object, title: str) -> None:
        if self._answering():
            self._new_record(kind, title)

    def _asked_edit_profile(self) -> None:
        if self._answering():
            self.edit_profile()

    def _asked_build_packet(self, appointment_id: int | None) -> None:
        if self._answering():
            self.open_packet_dialog(appointment_id)

    def _asked_mark_requested(self, record_id: int) -> None:
        if self._answering():
            self._tab("records").mark_requested(record_id)  # type: ignore[attr-defined]  # undoable there

    def _asked_new_request(self, facility_name: str) -> None:
        if self._answering():
            self.new_request(facility_name)

    def _asked_show_request(self, request_id: int) -> None:
        if self._answering():
            self.show_request(request_id)

    def _asked_show_health(self, section: str) -> None:
        if self._answering():
            self.show_health(section)

    def _profile_changed(self, _changes: Changes) -> None:
        self._show_person()

    def _show_person(self) -> None:
        """The title names whose records these are (the folder opened, or ``Changes.PROFILE`` announced)."""
        if self.folder is None:
            return
        from secondopinion_desktop.core.people import person_name

        self.person_name = person_name(self.folder)
        self._update_title()

    def edit_profile(self) -> None:
        """File → Patient profile…: the diagnosis, stage, markers and insurer, from any tab."""
        if self.folder is not None:
            self._tab("appointments").edit_profile()  # type: ignore[attr-defined]

    # --- other people's records --------------------------------------------------------------------------

    def new_person(self) -> None:
        from secondopinion_desktop.ui import people

        people.new_person(self, self.folder.path if self.folder else None)

    def open_other_person(self) -> None:
        from secondopinion_desktop.ui import people

        people.choose_and_open(self, self.folder.path if self.folder else None)

    def _fill_recent_menu(self) -> None:
        from secondopinion_desktop.ui import people

        people.fill_recent_menu(self.recent_menu, self, self.folder.path if self.folder else None)

    # --- safety: backup, restore, check ------------------------------------------------------------------

    def back_up(self) -> None:
        from secondopinion_desktop.ui.safety.backup import backup_now

        if self.folder is not None:
            backup_now(self, self.folder)

    def restore_backup(self) -> None:
        from secondopinion_desktop.ui.safety.restore import restore_from

        if self.folder is None:
            return
        self.restore_runner = restore_from(
            self, self.folder, close_folder=self.close_folder, set_folder=self.set_folder,
            lock=self.folder_lock, set_lock=self._set_lock,
        )

    def _set_lock(self, lock: object) -> None:
        self.folder_lock = lock

    def close_folder(self) -> None:
        """Stop using the data folder (a restore is about to replace it)."""
        for tab in (self.guidance_tab, self.appointments_tab, self.requests_tab, self.health_tab, self.records_tab):
            if tab is not None:
                tab.shutdown()
        from secondopinion_desktop.ui import jobs

        self.reading.shut_down()  # the background reader stops first (its child process closed)
        jobs.shut_down()  # every job that still reads or writes the folder ends first
        for action in self._folder_actions():
            action.setEnabled(False)
        # Nothing in the tabs may reach the folder while it is swapped: they still hold the closed one.
        self.tabs.setEnabled(False)
        self.edit_menu.setEnabled(False)
        if self.folder is not None:
            self.folder.close()
            self.folder = None
        self.folder_label.setText("Restoring your data…")

    def lock_records(self) -> None:
        """File › Lock (Ctrl+L): an encrypted folder is closed until its passphrase is typed again."""
        if self.window_lock is not None:
            self.window_lock.lock()

    def check_data(self) -> None:
        from secondopinion_desktop.ui.safety.check import CheckDialog

        if self.folder is None:
            return
        dialog = CheckDialog(self, self.folder)
        dialog.exec()
        dialog.deleteLater()

    def backup_settings(self) -> None:
        from secondopinion_desktop.ui.safety.autobackup import BackupSettingsDialog

        dialog = BackupSettingsDialog(self, self.folder.path / "backups" if self.folder else None)
        dialog.exec()
        dialog.deleteLater()

    def _packet_from_menu(self) -> None:
        tab = self.appointments_tab
        self.open_packet_dialog(tab.current_appointment_id() if tab is not None else None)

    def open_packet_dialog(self, appointment_id: int | None = None) -> None:
        """Build packet…: choose, build, preview, save or print."""
        from secondopinion_desktop.ui.packet.dialog import PacketDialog

        if self.folder is None:
            return
        dialog = PacketDialog(self.folder, appointment_id, parent=self)
        self.packet_dialog = dialog
        dialog.exec()
        dialog.deleteLater()
        self.packet_dialog = None

    def show_record(self, record_id: int) -> None:
        """Switch to the Records tab with this record selected (clearing filters that hide it)."""
        if self.folder is None:
            return
        self._tab("records")
        assert self.records_tab is not None
        self.tabs.setCurrentWidget(self.records_tab)
        if not self.records_tab.select_record(record_id):
            self.records_tab.clear_filters()
            self.records_tab.select_record(record_id)

    def new_request(self, facility_name: str = "") -> None:
        """Switch to the Requests tab and open the new-request dialog for this facility."""
        if self.folder is None:
            return
        tab = self._tab("requests")
        self.tabs.setCurrentWidget(tab)
        tab.new_request(facility_name)  # type: ignore[attr-defined]

    def show_request(self, request_id: int) -> None:
        """Switch to the Requests tab with this request chosen."""
        if self.folder is None:
            return
        tab = self._tab("requests")
        self.tabs.setCurrentWidget(tab)
        tab.select_request(request_id)  # type: ignore[attr-defined]

    def show_health(self, section: str = "") -> None:
        """Switch to the Health summary at ``section`` ("medications", "allergies", "labs"; "" the top)."""
        if self.folder is None:
            return
        tab = self._tab("health")
        self.tabs.setCurrentWidget(tab)
        tab.show_section(section)  # type: ignore[attr-defined]

    def _new_record(self, kind: object, title: str) -> None:
        """A new record of this kind with this title (the guide's "Add…"), in the Records tab."""
        if self.folder is not None:
            self._tab("records").new_record(kind, title)  # type: ignore[attr-defined]

    # --- menus and Help ------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        from secondopinion_desktop.ui.window_menus import build_menus

        build_menus(self)

    def open_log_folder(self) -> None:
        """Help → Open log folder: where the app writes down what went wrong (never the person's data)."""
        from secondopinion_desktop.ui.window_menus import open_log_folder

        open_log_folder(self)

    def about_text(self) -> str:
        from secondopinion_desktop.ui.window_menus import about_text

        return about_text(self.folder.path if self.folder else None)

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", self.about_text())

    # --- settings ----------------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        from secondopinion_desktop.ui.state import restore_layout

        # The window's own geometry and bars; each tab remembers its own splitters and columns.
        if "geometry" not in restore_layout(self, self.SETTINGS_KEY, geometry=True, children=False):
            self.resize(*self.first_size())
            available = available_geometry(self)
            if available is not None:
                frame = self.frameGeometry()
                frame.moveCenter(available.center())
                self.move(frame.topLeft())
        settings = QSettings()
        name = str(settings.value(self.SETTINGS_TAB_NAME, "") or "")
        if name not in TAB_NAMES:  # kept by a version that saved the tab's place among its three tabs
            old = settings.value(self.SETTINGS_TAB, 0, type=int)
            name = OLD_TAB_ORDER[old] if 0 <= old < len(OLD_TAB_ORDER) else TAB_NAMES[0]
        self.tabs.setCurrentIndex(TAB_NAMES.index(name))

    def first_size(self) -> tuple[int, int]:
        """The size the window opens at the first time: most of a laptop's screen, a generous part of a big one."""
        available = available_geometry(self)
        if available is None:
            return 1100, 720
        share = 0.9 if available.width() <= 1440 else 0.8
        return (min(int(available.width() * share), 2000), min(int(available.height() * share), 1300))

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if not self.isMaximized() and not self.isFullScreen():
            keep_on_screen(self)  # geometry saved on a bigger monitor must not open off this one

    def save_settings(self) -> None:
        from secondopinion_desktop.ui.state import save_layout

        settings = QSettings()
        index = self.tabs.currentIndex()
        settings.setValue(self.SETTINGS_TAB_NAME, TAB_NAMES[index] if 0 <= index < len(TAB_NAMES) else TAB_NAMES[0])
        save_layout(self, self.SETTINGS_KEY, geometry=True, children=False)  # syncs

    def closeEvent(self, event: QCloseEvent) -> None:
        from PySide6.QtCore import QThread

        from secondopinion_desktop.ui import jobs

        looping = QThread.currentThread().loopLevel() > 0  # False once the application has stopped (a signal)
        if self._close_backup is not None:  # today's backup is being saved: the window closes when it is done
            if looping:
                event.ignore()
                return
            self._close_backup.cancel()  # the application is stopping: skip it
            self._close_backup = None
            jobs.shut_down(60_000)  # the skipped backup lets go of the folder first
        elif not self._shut_down:
            self._shut_down = True
            self.save_settings()
            for tab in (self.guidance_tab, self.appointments_tab, self.requests_tab, self.health_tab, self.records_tab):
                if tab is not None:
                    tab.shutdown()  # each tab saves what is pending and cancels its own work
            self.reading.shut_down()  # the background reader stops (its child process closed) and is waited for
            # Once for the whole process: every job is cancelled (each leaves the folder as it was) and waited for,
            # a restore included (the lock is never let go of mid-restore).
            jobs.shut_down(60_000)
            if self.folder is not None and not self.demo:
                from secondopinion_desktop.ui.safety.autobackup import backup_on_close, start_backup_on_close

                if looping:  # off the GUI thread, with progress: a big vault never freezes the window
                    self._close_backup = start_backup_on_close(self, self.folder, self._close_backup_done)
                    if self._close_backup is not None:
                        event.ignore()
                        return
                else:
                    backup_on_close(self.folder)  # at most once a day; never raises
        self._shut_down = False  # closed: shown again, it would shut down again on its next close
        super().closeEvent(event)

    def _close_backup_done(self) -> None:
        self._close_backup = None
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self.close)  # now the window closes for real
