"""The main window's menu bar (File, Edit, Settings, Help) and what Help shows."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from secondopinion_desktop import APP_NAME, __version__

if TYPE_CHECKING:
    from secondopinion_desktop.ui.main_window import MainWindow


def build_menus(window: MainWindow) -> None:
    """The menus and their actions, as attributes of ``window`` (``file_menu``, ``quit_action``…). The Edit
    menu is filled when the Records tab is built."""
    file_menu = window.menuBar().addMenu("&File")
    window.file_menu = file_menu
    window.new_person_action = QAction("&New person…", window)
    window.new_person_action.setObjectName("newPersonAction")
    window.new_person_action.setStatusTip("Keep another person's records in a folder and window of their own")
    window.new_person_action.triggered.connect(lambda: window.new_person())
    file_menu.addAction(window.new_person_action)
    window.open_person_action = QAction("&Open another person's records…", window)
    window.open_person_action.setObjectName("openPersonAction")
    window.open_person_action.setShortcut(QKeySequence.StandardKey.Open)
    window.open_person_action.triggered.connect(lambda: window.open_other_person())
    file_menu.addAction(window.open_person_action)
    window.recent_menu = file_menu.addMenu("Open &recent")
    window.recent_menu.setObjectName("recentMenu")
    window.recent_menu.aboutToShow.connect(window._fill_recent_menu)
    file_menu.addSeparator()
    window.from_file_action = QAction("New record from &file…", window)
    window.from_file_action.setObjectName("fileNewRecordFromFileAction")
    window.from_file_action.setStatusTip(
        "Choose files: each becomes a record, filled in from what its text says, for you to check (Ctrl+Shift+N "
        "in the Records tab)")
    window.from_file_action.triggered.connect(lambda: new_record_from_file(window))
    file_menu.addAction(window.from_file_action)
    window.portal_import_action = QAction("&Import records from a portal…", window)
    window.portal_import_action.setObjectName("portalImportAction")
    window.portal_import_action.setStatusTip(
        "Read what a patient portal gave you (a .zip, .xml, .json or .ndjson download, or its folder); you see "
        "what was found before anything is written")
    window.portal_import_action.triggered.connect(lambda: import_from_portal(window))
    file_menu.addAction(window.portal_import_action)
    window.profile_action = QAction("Patient &profile…", window)
    window.profile_action.setObjectName("profileAction")
    window.profile_action.setStatusTip("The diagnosis, stage, markers and insurer")
    window.profile_action.triggered.connect(lambda: window.edit_profile())
    file_menu.addAction(window.profile_action)
    window.packet_action = QAction("Build &packet for the doctor…", window)
    window.packet_action.setObjectName("packetAction")
    window.packet_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
    window.packet_action.setEnabled(False)
    window.packet_action.triggered.connect(lambda: window._packet_from_menu())
    file_menu.addAction(window.packet_action)
    window.handoff_action = QAction("Prepare a &folder for the doctor…", window)
    window.handoff_action.setObjectName("handoffAction")
    window.handoff_action.setStatusTip(
        "Onto a USB stick, a folder to burn or a zip: the packet, every imaging study as DICOM, the documents "
        "and an index that opens in any browser")
    window.handoff_action.triggered.connect(lambda: prepare_folder_for_the_doctor(window))
    file_menu.addAction(window.handoff_action)
    window.calendar_action = QAction("Export &calendar…", window)
    window.calendar_action.setObjectName("calendarAction")
    window.calendar_action.setStatusTip("Appointments and the dates requests are due, as an .ics file for any "
                                        "calendar app")
    window.calendar_action.triggered.connect(lambda: export_calendar(window))
    file_menu.addAction(window.calendar_action)
    file_menu.addSeparator()
    window.backup_action = QAction("&Back up…", window)
    window.backup_action.setObjectName("backupAction")
    window.backup_action.triggered.connect(window.back_up)
    file_menu.addAction(window.backup_action)
    window.restore_action = QAction("&Restore…", window)
    window.restore_action.setObjectName("restoreAction")
    window.restore_action.triggered.connect(window.restore_backup)
    file_menu.addAction(window.restore_action)
    file_menu.addSeparator()
    window.lock_action = QAction("&Lock", window)
    window.lock_action.setObjectName("lockAction")
    window.lock_action.setShortcut(QKeySequence("Ctrl+L"))
    window.lock_action.setStatusTip("Close your records until the passphrase is typed again (for a folder protected "
                                    "with a passphrase)")
    window.lock_action.setEnabled(False)
    window.lock_action.triggered.connect(lambda: window.lock_records())
    file_menu.addAction(window.lock_action)
    window.quit_action = QAction("&Quit", window)
    window.quit_action.setObjectName("quitAction")
    window.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    window.quit_action.triggered.connect(lambda: window.close())
    file_menu.addAction(window.quit_action)

    window.edit_menu = window.menuBar().addMenu("&Edit")  # filled when the Records tab is built

    settings_menu = window.menuBar().addMenu("&Settings")
    window.backup_settings_action = QAction("Automatic &backups…", window)
    window.backup_settings_action.setObjectName("backupSettingsAction")
    window.backup_settings_action.triggered.connect(window.backup_settings)
    settings_menu.addAction(window.backup_settings_action)
    window.protect_action = QAction("&Protect my data with a passphrase…", window)
    window.protect_action.setObjectName("protectAction")
    window.protect_action.setStatusTip("Encrypt your records and files, so that only the passphrase (or the "
                                       "recovery key) opens them")
    window.protect_action.setEnabled(False)
    window.protect_action.triggered.connect(lambda: protect_folder(window))
    settings_menu.addAction(window.protect_action)
    window.change_passphrase_action = QAction("C&hange the passphrase…", window)
    window.change_passphrase_action.setObjectName("changePassphraseAction")
    window.change_passphrase_action.setEnabled(False)
    window.change_passphrase_action.triggered.connect(lambda: _protection(window, "change_passphrase_of"))
    settings_menu.addAction(window.change_passphrase_action)
    window.unprotect_action = QAction("&Turn off the passphrase…", window)
    window.unprotect_action.setObjectName("unprotectAction")
    window.unprotect_action.setEnabled(False)
    window.unprotect_action.triggered.connect(lambda: _protection(window, "turn_off_protection"))
    settings_menu.addAction(window.unprotect_action)
    add_idle_menu(window, settings_menu)

    help_menu = window.menuBar().addMenu("&Help")
    window.check_action = QAction("&Check data…", window)
    window.check_action.setObjectName("checkDataAction")
    window.check_action.triggered.connect(window.check_data)
    help_menu.addAction(window.check_action)
    for action in (window.backup_action, window.restore_action, window.check_action, window.profile_action,
                   window.portal_import_action, window.from_file_action):
        action.setEnabled(False)
    # usable exactly when a portal import is: while a data folder is open
    portal = window.portal_import_action
    portal.changed.connect(lambda: window.from_file_action.setEnabled(portal.isEnabled()))
    window.check_packet_action = QAction("Check my &packet…", window)
    window.check_packet_action.setObjectName("checkPacketAction")
    window.check_packet_action.setStatusTip(
        "Before the packet goes out: whose records they are, what is missing, how recent, language and timing")
    window.check_packet_action.triggered.connect(lambda: check_my_packet(window))
    window.check_packet_action.setEnabled(False)
    portal.changed.connect(lambda: window.check_packet_action.setEnabled(portal.isEnabled()))
    help_menu.insertAction(window.check_action, window.check_packet_action)
    window.log_folder_action = QAction("Open &log folder", window)
    window.log_folder_action.setObjectName("openLogFolderAction")
    window.log_folder_action.triggered.connect(lambda: window.open_log_folder())
    help_menu.addAction(window.log_folder_action)
    about = QAction(f"&About {APP_NAME}", window)
    about.setObjectName("aboutAction")
    about.triggered.connect(window.show_about)
    help_menu.addAction(about)
    window.about_action = about


def protect_folder(window: MainWindow) -> None:
    from secondopinion_desktop.ui.safety.protect import protect_folder as protect

    protect(window)


def _protection(window: MainWindow, name: str) -> None:
    from secondopinion_desktop.ui.safety import protect

    getattr(protect, name)(window)


def add_idle_menu(window: MainWindow, settings_menu) -> None:  # type: ignore[no-untyped-def]
    """Settings › Lock when idle: after 5, 15, 30 or 60 minutes without a key press or a click, or never (for a
    folder protected with a passphrase)."""
    from PySide6.QtGui import QActionGroup

    from secondopinion_desktop.ui.safety.locking import IDLE_CHOICES, idle_minutes, set_idle_minutes

    menu = settings_menu.addMenu("&Lock when idle")
    menu.setObjectName("idleLockMenu")
    group = QActionGroup(window)
    current = idle_minutes()
    for minutes in IDLE_CHOICES:
        action = QAction(f"After {minutes} minutes" if minutes else "Never", window)
        action.setObjectName(f"idleLock{minutes}Action")
        action.setCheckable(True)
        action.setChecked(minutes == current)
        group.addAction(action)

        def chosen(_checked: bool = False, minutes: int = minutes) -> None:
            set_idle_minutes(minutes)
            if window.window_lock is not None:
                window.window_lock.restart()

        action.triggered.connect(chosen)
        menu.addAction(action)
    window.idle_menu = menu


def check_my_packet(window: MainWindow) -> None:
    """Help › Check my packet…: the pre-flight check's findings, in a dialog of their own."""
    if window.folder is None:
        return
    from secondopinion_desktop.ui.preflight import CheckPacketDialog

    dialog = CheckPacketDialog(window, window.folder)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.check_packet_dialog = dialog  # type: ignore[attr-defined]
    dialog.open()


def prepare_folder_for_the_doctor(window: MainWindow) -> None:
    """File › Prepare a folder for the doctor…"""
    if window.folder is None:
        return
    from secondopinion_desktop.ui.handoff import prepare_folder

    prepare_folder(window, window.folder)


def export_calendar(window: MainWindow) -> None:
    """File › Export calendar…"""
    if window.folder is None:
        return
    from secondopinion_desktop.ui.calendar_export import export_calendar as export

    window._calendar_op = export(window, window.folder)


def import_from_portal(window: MainWindow) -> None:
    """File › Import records from a portal…: the Records tab comes to the front with the import dialog."""
    if window.folder is None:
        return
    tab = window._tab("records")
    window.tabs.setCurrentWidget(tab)
    tab.import_portal()  # type: ignore[attr-defined]


def new_record_from_file(window: MainWindow) -> None:
    """File › New record from file…: the Records tab comes to the front and the files are chosen."""
    if window.folder is None:
        return
    tab = window._tab("records")
    window.tabs.setCurrentWidget(tab)
    from secondopinion_desktop.ui.records.from_file import new_record_from_file as from_file

    from_file(tab)  # type: ignore[arg-type]


def open_log_folder(parent: QWidget) -> None:
    """Help → Open log folder: where the app writes down what went wrong (never the person's data)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from secondopinion_desktop.core.log import log_dir

    folder = log_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        QMessageBox.information(parent, "Log folder", f"The log is in {folder}.")


def about_text(folder: Path | None) -> str:
    return (
        f"<h3>{APP_NAME} {escape(__version__)}</h3>"
        "<p>Gather your records, prepare for a second-opinion consult and print a packet for the doctor.</p>"
        "<p>Everything stays on this computer; nothing is sent over the network.</p>"
        f"<p>Data folder: {escape(str(folder if folder is not None else '(not open)'))}</p>"
    )
