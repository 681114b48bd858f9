"""One laptop, several people: File → New person…, Open another person's records…, Open recent.

Each person's records live in a data folder of their own, opened in a window of its own (one window per folder,
as always: the folder lock refuses a second one). The Recent list keeps only folder paths in the settings; the
names it shows are read from each folder when the menu opens.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.ui.widgets.screen import fit_to_screen

RECENT_KEY = "people/recent"
MAX_RECENT = 8


# --- the Recent list -----------------------------------------------------------------------------------------


def recent_folders() -> list[Path]:
    value = QSettings().value(RECENT_KEY, [])
    if isinstance(value, str):  # QSettings gives a single-entry list back as a plain string
        value = [value]
    return [Path(str(v)) for v in (value or []) if str(v)]


def remember_folder(path: Path) -> None:
    """Put ``path`` first in the Recent list (a folder appears once)."""
    path = Path(path).absolute()
    kept = [p for p in recent_folders() if p.absolute() != path]
    settings = QSettings()
    settings.setValue(RECENT_KEY, [str(p) for p in [path, *kept][:MAX_RECENT]])
    settings.sync()


def forget_folder(path: Path) -> None:
    settings = QSettings()
    settings.setValue(RECENT_KEY, [str(p) for p in recent_folders() if p.absolute() != Path(path).absolute()])
    settings.sync()


def folder_label(path: Path) -> str:
    """ "Ruth Ng — /home/ann/.local/share/SecondOpinion-ruth-ng" (the name read from the folder itself)."""
    from secondopinion_desktop.core.people import summarize_folder

    summary = summarize_folder(path)
    who = summary.who("No name yet") if summary is not None else "Not readable"
    return f"{who} — {path}"


# --- opening a window on another folder -----------------------------------------------------------------------


def window_command(data_dir: Path) -> tuple[str, list[str]]:
    """The program and arguments that open a window on ``data_dir`` (the bundled app runs itself)."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["--data-dir", str(data_dir)]
    return sys.executable, ["-m", "secondopinion_desktop", "--data-dir", str(data_dir)]


def launch_window(data_dir: Path) -> bool:
    """Start a window of its own on ``data_dir``; False when the program could not be started."""
    program, arguments = window_command(data_dir)
    started = QProcess.startDetached(program, arguments)
    return bool(started[0] if isinstance(started, tuple) else started)


def open_person(parent: QWidget, data_dir: Path, current: Path | None) -> bool:
    """Open the records in ``data_dir`` in a new window, unless they are already open; True when launched."""
    from secondopinion_desktop.core.lock import acquire_for_window
    from secondopinion_desktop.core.people import same_folder, summarize_folder

    data_dir = Path(data_dir).absolute()
    if current is not None and same_folder(data_dir, current):
        QMessageBox.information(parent, "Already open", "These records are the ones open in this window.")
        return False
    if not data_dir.is_dir():
        forget_folder(data_dir)
        QMessageBox.warning(parent, "Cannot open", f"The folder {data_dir} is not there any more.")
        return False
    summary = summarize_folder(data_dir)
    if summary is None and any(data_dir.iterdir()):
        QMessageBox.warning(parent, "Cannot open",
                            f"{data_dir} does not hold Second Opinion records. Choose the folder that holds "
                            "secondopinion.db, or use File → New person… to start a new one.")
        return False
    try:
        lock = acquire_for_window(data_dir, wait=0.0)  # only a look: the new window takes it
    except Exception as exc:  # noqa: BLE001 - a DataFolderError or OSError: the folder cannot be locked
        from secondopinion_desktop.core.errors import DataFolderError

        if not isinstance(exc, DataFolderError | OSError):
            raise
        text = str(exc) if isinstance(exc, DataFolderError) else f"The folder {data_dir} cannot be written by you."
        QMessageBox.warning(parent, "Cannot open", text)
        return False
    if lock is None:
        whose = f"{summary.name}'s records are" if summary is not None and summary.name else "These records are"
        QMessageBox.information(parent, "Already open", f"{whose} already open in another window.")
        return False
    lock.release()  # the new window takes it
    if not launch_window(data_dir):
        QMessageBox.warning(parent, "Cannot open", "A new window could not be started.")
        return False
    remember_folder(data_dir)
    return True


def choose_and_open(parent: QWidget, current: Path | None) -> bool:
    """File → Open another person's records…: pick their data folder, open it in a new window."""
    start = str(current.parent if current is not None else Path.home())
    chosen = QFileDialog.getExistingDirectory(parent, "Open another person's records", start)
    if not chosen:
        return False
    return open_person(parent, Path(chosen), current)


def fill_recent_menu(menu: QMenu, parent: QWidget, current: Path | None) -> None:
    """(Re)build File → Open recent: each folder with the person's name; the open one is marked."""
    from secondopinion_desktop.core.people import same_folder

    menu.clear()
    shown = 0
    for path in recent_folders():
        if not path.is_dir():
            continue
        action = QAction(folder_label(path), menu)
        action.setData(str(path))
        if current is not None and same_folder(path, current):
            action.setText(f"{action.text()} (this window)")
            action.setEnabled(False)
        else:
            action.triggered.connect(lambda _checked=False, p=path: open_person(parent, p, current))
        menu.addAction(action)
        shown += 1
    if not shown:
        empty = menu.addAction("No other records opened yet")
        empty.setEnabled(False)


# --- File → New person… ---------------------------------------------------------------------------------------


class NewPersonDialog(QDialog):
    """The name of the person whose records these will be, and where to keep them (a new folder)."""

    def __init__(self, parent: QWidget | None = None, base: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newPersonDialog")
        self.setWindowTitle("New person")
        self.base = base
        self.chosen_folder: Path | None = None  # set when the user picks a folder of their own
        self.created: Path | None = None
        intro = QLabel("Keep another person's records — a parent's, a partner's — apart from these. They get "
                       "a folder and a window of their own.")
        intro.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("newPersonName")
        self.name_edit.setAccessibleName("Name of the person")
        self.name_edit.setPlaceholderText("e.g. Ruth Ng")
        self.name_edit.textChanged.connect(self._update)
        self.folder_label = QLineEdit()  # read-only: a long path scrolls instead of being cut
        self.folder_label.setObjectName("newPersonFolder")
        self.folder_label.setAccessibleName("Folder the new records are kept in")
        self.folder_label.setReadOnly(True)
        self.change_button = QPushButton("C&hange…")
        self.change_button.setObjectName("newPersonChangeButton")
        self.change_button.clicked.connect(lambda: self._choose_folder())
        where = QHBoxLayout()
        where.addWidget(self.folder_label, 1)
        where.addWidget(self.change_button)
        self.error_label = QLabel()
        self.error_label.setObjectName("newPersonError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a00;")
        self.error_label.hide()
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("Kept in:", where)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("&Create and open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("newPersonCreateButton")
        self.create_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 560, 240, min_width=380)
        self._update()

    def target(self) -> Path:
        from secondopinion_desktop.core.people import new_person_folder

        return self.chosen_folder or new_person_folder(self.name_edit.text(), self.base)

    def _update(self) -> None:
        self.folder_label.setText(str(self.target()))
        self.folder_label.setCursorPosition(0)
        self.create_button.setEnabled(bool(self.name_edit.text().strip()))
        self.error_label.hide()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Where to keep the new records", str(self.target().parent))
        if chosen:
            self.chosen_folder = Path(chosen)
            self._update()

    def accept(self) -> None:
        from secondopinion_desktop.core.errors import SecondOpinionError
        from secondopinion_desktop.core.people import create_person_folder

        target = self.target()
        try:
            create_person_folder(target, self.name_edit.text())
        except (SecondOpinionError, OSError) as exc:
            self.error_label.setText(str(exc) if isinstance(exc, SecondOpinionError)
                                     else f"Cannot create {target}: {exc.strerror or exc}.")
            self.error_label.show()
            return
        self.created = target
        super().accept()


def new_person(parent: QWidget, current: Path | None, base: Path | None = None) -> Path | None:
    """File → New person…: name them, make their folder, open it in a new window; the folder, or None."""
    dialog = NewPersonDialog(parent, base)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.created is None:
            return None
        created = dialog.created
    finally:
        dialog.deleteLater()
    remember_folder(created)
    open_person(parent, created, current)
    return created
