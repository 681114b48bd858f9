"""The app's log (issue 13, item 9): a rotating file in the per-user log folder that never holds patient data.

Before, an error message said "Details are in the log" and no log existed."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtWidgets import QMessageBox

from secondopinion_desktop.core import log as app_log


@pytest.fixture
def log_here(tmp_path: Path, monkeypatch) -> Path:
    app_log.stop_logging()
    where = tmp_path / "log"
    monkeypatch.setenv(app_log.ENV_VAR, str(where))
    yield where
    app_log.stop_logging()


def persons_data(folder) -> list[str]:
    """What must never reach the log: the demo patient's name, every record title, every attached file name."""
    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.core.people import person_name

    with folder.session() as session:
        rows = svc.list_records(session)
    words = [person_name(folder)] + [r.title for r in rows]
    words += [a.original_name for r in rows for a in r.attachments]
    return [w for w in words if w and len(w) > 3]


def test_the_log_never_holds_the_persons_data(qtbot, demo_folder, log_here: Path, monkeypatch, capsys) -> None:
    from secondopinion_desktop import cli
    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.ui.app import show_unexpected_error

    secret = persons_data(demo_folder)
    assert len(secret) > 10 and "Alex Sample" in secret
    leaky = " / ".join(secret)  # failures whose messages quote everything the person has

    # 1. a bug in the window: the crash dialog
    errors = on_next_dialog(lambda box: box.accept())
    try:
        raise RuntimeError(leaky)
    except RuntimeError as exc:
        show_unexpected_error(type(exc), exc, exc.__traceback__)
    assert not errors, errors
    # 2. a bug in a command
    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise ValueError(leaky)

    monkeypatch.setattr(svc, "list_records", broken)
    with pytest.raises(ValueError):
        cli.main(["records", "list", "--data-dir", str(demo_folder.path)])
    # 3. a failure the Appointments tab writes down ("Details are in the log"), chained to another
    try:
        try:
            raise OSError(28, "No space left on device", str(demo_folder.path / secret[-1]))
        except OSError as inner:
            raise KeyError(leaky) from inner
    except KeyError as exc:
        logging.getLogger("secondopinion_desktop.ui.appointments.tab").error("notes export failed", exc_info=exc)
    capsys.readouterr()

    written = (log_here / app_log.LOG_NAME).read_text(encoding="utf-8")
    for word in secret:
        assert word not in written, f"the log holds {word!r}"
    assert str(demo_folder.path) not in written, "not even the data folder's path (it may carry the name)"
    assert "builtins.RuntimeError" in written and "builtins.ValueError" in written
    assert "caused by builtins.OSError" in written, "a chained cause is named by its type"
    assert "secondopinion_desktop/cli.py:" in written, "where it happened, in the code"
    assert "command records list failed" in written and "notes export failed" in written


def test_the_log_is_private_and_rotates(log_here: Path) -> None:
    path = app_log.start_logging()
    assert path == log_here / app_log.LOG_NAME
    logger = logging.getLogger("secondopinion_desktop.core.test")
    for n in range(app_log.MAX_BYTES // 60 + 100):
        logger.info("operation %s done for record id %s", "import", n)
    assert stat.S_IMODE(log_here.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rotated = sorted(p.name for p in log_here.iterdir())
    assert rotated[:2] == [app_log.LOG_NAME, app_log.LOG_NAME + ".1"], rotated
    assert stat.S_IMODE((log_here / (app_log.LOG_NAME + ".1")).stat().st_mode) == 0o600
    assert path.stat().st_size <= app_log.MAX_BYTES


def test_the_crash_dialog_names_the_log_file(qtbot, log_here: Path) -> None:
    from secondopinion_desktop.ui.app import show_unexpected_error

    seen: list[str] = []

    def read(box: QMessageBox) -> None:
        seen.append(box.text())
        box.accept()

    errors = on_next_dialog(read)
    exc = RuntimeError("a bug")
    show_unexpected_error(type(exc), exc, None)
    assert not errors and seen
    assert f"without any of your data, in {log_here / app_log.LOG_NAME}" in seen[0]


def test_help_opens_the_log_folder(qtbot, demo_folder, log_here: Path, monkeypatch) -> None:
    from PySide6.QtGui import QDesktopServices

    from secondopinion_desktop.ui.main_window import MainWindow

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window = MainWindow(demo_folder)
    qtbot.addWidget(window)
    window.show()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.log_folder_action in help_menu.actions(), "it is in the Help menu"
    window.log_folder_action.trigger()
    assert opened == [str(log_here)]
    assert log_here.is_dir() and stat.S_IMODE(log_here.stat().st_mode) == 0o700
    window.close()


def test_logging_writes_nothing_until_the_app_starts_it(log_here: Path) -> None:
    logging.getLogger("secondopinion_desktop.core.x").error("something")
    assert not log_here.exists()
    assert os.environ[app_log.ENV_VAR] == str(log_here)
