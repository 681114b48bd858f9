"""QApplication set-up, the crash dialog, and opening the window on a data folder."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from secondopinion_desktop import APP_ID, APP_NAME, ORG_NAME, __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from secondopinion_desktop.core.crypto.seal import FolderKey
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.lock import FolderLock


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with names set so QSettings and data paths are right."""
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QApplication.setDesktopFileName(APP_ID)
    from importlib.resources import files

    from PySide6.QtGui import QIcon

    icon_dir = files("secondopinion_desktop.resources") / "icons"
    icon = QIcon(str(icon_dir / "secondopinion.svg"))  # PNGs too, for Qt without the SVG plugin
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addFile(str(icon_dir / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
    app.setWindowIcon(icon)
    from secondopinion_desktop.ui import gc_guard

    gc_guard.install(app)
    from secondopinion_desktop.ui.refpin import pin_singletons

    pin_singletons()
    return app  # type: ignore[return-value]


def show_unexpected_error(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """sys.excepthook for the GUI: a dialog with the details instead of a silent death or a lost traceback."""
    from secondopinion_desktop.core.db import explain_storage_error

    explained = explain_storage_error(exc) if isinstance(exc, Exception) else None
    if explained is not None:  # a full or read-only disk is no bug: said in one sentence, no crash box
        print(f"secondopinion: error: {explained}", file=sys.stderr)
        if QApplication.instance() is not None:
            QMessageBox.warning(QApplication.activeWindow(), "Cannot save", str(explained))
        return
    from secondopinion_desktop.core.log import log_failure, start_logging

    details = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(details)
    written = start_logging()
    log_failure("unexpected error in the window", exc)
    if QApplication.instance() is None:
        return
    where = (f"\n\nWhat happened is written down, without any of your data, in {written}."
             if written is not None else "")
    box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                      "Second Opinion hit an unexpected problem. Your saved records are safe.\n\n"
                      f"{exc_type.__name__}: {exc}{where}")
    box.setDetailedText(details)
    box.exec()


def use_private_settings(directory: Path) -> None:
    """Keep this process's settings (window layout, Recent, search…) in ``directory`` instead of the user's own.

    The sample-data window uses it, so nothing done in ``--demo`` comes back in the user's real records.
    """
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(directory))


def quit_on_signals(app: QApplication) -> Callable[[], None]:
    """Ctrl+C in the terminal (SIGINT), a polite kill (SIGTERM), the terminal closing (SIGHUP) and the desktop
    logging out (the session manager's commit-data request) close the window as its Quit does — notes saved,
    jobs cancelled, the lock released, a sample-data folder removed — instead of a KeyboardInterrupt traceback
    or a death on the spot. Returns a function that puts the old handlers back."""
    import signal

    from PySide6.QtCore import QTimer

    def close(*_args: object) -> None:
        # Once the event loop turns (at once when it runs; as soon as it starts when it does not yet): the
        # application closes its windows, each as its Quit does, then app.exec() returns and run_gui cleans up.
        QTimer.singleShot(0, app.quit)

    wanted = [signal.SIGINT, signal.SIGTERM] + [signal.SIGHUP] * hasattr(signal, "SIGHUP")
    previous = {sig: signal.signal(sig, close) for sig in wanted}
    app.commitDataRequest.connect(close)  # the desktop is logging out
    # Python runs signal handlers only when it holds the interpreter: a short timer lets it look regularly.
    waker = QTimer(app)
    waker.setObjectName("signalWaker")
    waker.timeout.connect(lambda: None)
    waker.start(200)

    def restore() -> None:
        waker.stop()
        waker.deleteLater()
        with contextlib.suppress(RuntimeError, TypeError):
            app.commitDataRequest.disconnect(close)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def run_gui(data_dir: str | None = None, demo: bool = False) -> int:
    """Open the main window; returns the process exit code."""
    app = make_application()
    # The log (ids, operation names and exception types only: never the person's data) starts once the records
    # are on screen (_open_and_run); a failure before then starts it itself (show_unexpected_error).
    previous_hook, sys.excepthook = sys.excepthook, show_unexpected_error
    restore_signals = quit_on_signals(app)
    settings_dir = None
    if demo:
        settings_dir = Path(tempfile.mkdtemp(prefix="secondopinion-demo-settings-"))
        use_private_settings(settings_dir)
    try:
        return _open_and_run(app, data_dir, demo)
    finally:
        sys.excepthook = previous_hook
        restore_signals()
        if settings_dir is not None:
            shutil.rmtree(settings_dir, ignore_errors=True)


def open_folder_for_gui(data_dir: str | None, demo: bool, demo_dir: Path | None = None, *,
                        key: FolderKey | None = None) -> tuple[DataFolder, Path | None]:
    """Open (or, for the demo, fill ``demo_dir``, a new empty folder made when not given) the data folder, with
    ``key`` when it is encrypted (``ui.safety.unlock``). Runs off the GUI thread."""
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.paths import resolve_data_dir

    if not demo:
        from secondopinion_desktop.core.check import sweep_orphans
        from secondopinion_desktop.core.scratch import sweep_scratch

        folder = open_data_folder(resolve_data_dir(data_dir), key=key)
        sweep_orphans(folder)  # files a crash left behind; recent ones stay (another process may be mid-copy)
        sweep_scratch(folder.path)  # plain copies an earlier window left (this window holds the folder lock)
        from secondopinion_desktop.core.staging import sweep_places

        sweep_places(folder.path)  # staging of backups, exports and restores that were killed, wherever it is
        return folder, None
    from secondopinion_desktop.core.demo import fill_demo_data

    if demo_dir is None:
        demo_dir = Path(tempfile.mkdtemp(prefix="secondopinion-demo-"))
    try:
        folder = open_data_folder(demo_dir)
        try:
            fill_demo_data(folder)
        except BaseException:
            folder.close()
            raise
    except BaseException:
        shutil.rmtree(demo_dir, ignore_errors=True)
        raise
    return folder, demo_dir


def _close_unopened(window: QWidget, lock: FolderLock | None) -> int:
    """Quit before the folder was opened (its passphrase was not given): the window goes, the lock is let go."""
    import shiboken6

    window.close()
    shiboken6.delete(window)
    if lock is not None:
        lock.release()
    return 0


def _open_and_run(app: QApplication, data_dir: str | None, demo: bool) -> int:
    """Show the window at once, open the data folder in the background, then fill the window."""
    from secondopinion_desktop.core.lock import acquire_for_window, refusal
    from secondopinion_desktop.ui.jobs import run_in_background
    from secondopinion_desktop.ui.main_window import MainWindow

    lock = None
    if not demo:  # the demo folder is a fresh temporary folder of its own
        from secondopinion_desktop.core.paths import resolve_data_dir

        target = resolve_data_dir(data_dir)
        from secondopinion_desktop.core.errors import DataFolderError, ReadOnlyFolderError

        try:
            lock = acquire_for_window(target)
        except ReadOnlyFolderError:
            lock = None  # nothing can change there anyway: opening it reports why
        except (OSError, DataFolderError) as exc:  # never a window writing without the lock
            message = str(exc) if isinstance(exc, DataFolderError) else (
                f"The data folder {target} cannot be locked for changes: {exc.strerror or exc}.")
            print(f"secondopinion: error: {message}", file=sys.stderr)
            QMessageBox.critical(None, "Cannot open your data", message)
            return 1
        else:
            if lock is None:  # never two windows writing the same records
                title, message = refusal(target)
                print(f"secondopinion: error: {message}", file=sys.stderr)
                QMessageBox.critical(None, title, message)
                return 1
    window = MainWindow(demo=demo)
    window.folder_lock = lock
    window.show()
    key = None
    if not demo:
        from secondopinion_desktop.core.crypto.seal import needs_key

        if needs_key(target):  # an encrypted folder: its passphrase first, over the (still empty) window
            from PySide6.QtWidgets import QDialog

            from secondopinion_desktop.ui.safety.unlock import UnlockDialog

            dialog = UnlockDialog(target, window)
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            key = dialog.key
            dialog.deleteLater()
            if not accepted or key is None:
                return _close_unopened(window, lock)
    # Kept here as soon as they exist, so that whenever the application stops (a signal during the demo's fill)
    # the folder is closed and the sample data removed, even if the result never reached the window.
    opened: dict[str, object] = {"demo_dir": Path(tempfile.mkdtemp(prefix="secondopinion-demo-")) if demo else None}

    def open_it() -> tuple[DataFolder, Path | None]:
        result = open_folder_for_gui(data_dir, demo, opened["demo_dir"], key=key)  # type: ignore[arg-type]
        opened["folder"] = result[0]
        return result

    def on_opened(result: tuple[DataFolder, Path | None]) -> None:
        from PySide6.QtCore import QTimer

        from secondopinion_desktop.core.log import start_logging

        window.set_folder(result[0])
        QTimer.singleShot(0, lambda: QTimer.singleShot(0, start_logging))  # after the first paint
        if not demo and not result[0].encrypted and not result[0].read_only:
            from secondopinion_desktop.ui.safety.offer import offer_protection_once

            QTimer.singleShot(0, lambda: offer_protection_once(window))  # the first start offers a passphrase

    def on_failed(exc: BaseException) -> None:
        from secondopinion_desktop.core.errors import SecondOpinionError

        if not isinstance(exc, SecondOpinionError):
            show_unexpected_error(type(exc), exc, exc.__traceback__)
            app.exit(1)
            return
        print(f"secondopinion: error: {exc}", file=sys.stderr)
        QMessageBox.critical(window, "Cannot open your data", str(exc))
        app.exit(1)

    run_in_background(open_it, on_opened, on_failed)
    try:
        return app.exec()
    finally:
        window.close()
        from secondopinion_desktop.ui.jobs import shut_down

        shut_down()  # the window did so when it closed; this covers a folder still opening then
        folder = window.folder or opened.get("folder")  # after a restore the window holds the reopened folder
        lock = window.folder_lock  # a restore may have replaced the lock
        import shiboken6

        shiboken6.delete(window)  # now, on this thread: never left for the garbage collector
        if folder is not None:
            folder.close()  # type: ignore[attr-defined]
        if lock is not None:
            lock.release()
        if opened.get("demo_dir") is not None:
            shutil.rmtree(opened["demo_dir"], ignore_errors=True)  # type: ignore[arg-type]
