"""QApplication set-up, the crash dialog, and opening the window on a data folder."""

from __future__ import annotations

import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from secondopinion_desktop import APP_ID, APP_NAME, ORG_NAME, __version__


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with names set so QSettings and data paths are right."""
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QApplication.setDesktopFileName(APP_ID)
    return app  # type: ignore[return-value]


def show_unexpected_error(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """sys.excepthook for the GUI: a dialog with the details instead of a silent death or a lost traceback."""
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(details)
    if QApplication.instance() is None:
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                      "Second Opinion hit an unexpected problem. Your saved records are safe.\n\n"
                      f"{exc_type.__name__}: {exc}")
    box.setDetailedText(details)
    box.exec()


def run_gui(data_dir: str | None = None, demo: bool = False) -> int:
    """Open the main window; returns the process exit code."""
    app = make_application()
    previous_hook, sys.excepthook = sys.excepthook, show_unexpected_error
    try:
        return _open_and_run(app, data_dir, demo)
    finally:
        sys.excepthook = previous_hook


def _open_and_run(app: QApplication, data_dir: str | None, demo: bool) -> int:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.errors import SecondOpinionError
    from secondopinion_desktop.core.paths import resolve_data_dir

    demo_dir: Path | None = None
    try:
        if demo:
            from secondopinion_desktop.core.demo import fill_demo_data

            demo_dir = Path(tempfile.mkdtemp(prefix="secondopinion-demo-"))
            folder = open_data_folder(demo_dir)
            fill_demo_data(folder)
        else:
            folder = open_data_folder(resolve_data_dir(data_dir))
    except SecondOpinionError as exc:
        print(f"secondopinion: error: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "Cannot open your data", str(exc))
        if demo_dir is not None:
            shutil.rmtree(demo_dir, ignore_errors=True)
        return 1

    from secondopinion_desktop.ui.main_window import MainWindow

    window = MainWindow(folder, demo=demo)
    window.show()
    try:
        return app.exec()
    finally:
        folder.close()
        if demo_dir is not None:
            shutil.rmtree(demo_dir, ignore_errors=True)
