"""``run_op``: one call runs an action's work off the GUI thread, with its progress dialog, cancel, change notice
and default failure display."""

from __future__ import annotations

import threading

import pytest
import shiboken6
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QProgressDialog, QPushButton

from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.progress import Cancelled, check
from secondopinion_desktop.ui import app as ui_app
from secondopinion_desktop.ui.events import Changes, notice
from secondopinion_desktop.ui.jobs import running_jobs, shut_down
from secondopinion_desktop.ui.ops import PROGRESS_SCALE, run_op

WAIT = 10_000


@pytest.fixture
def window(qtbot):
    """A main window whose central widget is the view that starts the operations."""
    main = QMainWindow()
    main.setCentralWidget(QLabel("records"))
    qtbot.addWidget(main)
    main.resize(600, 400)
    main.show()
    qtbot.waitExposed(main)
    yield main
    shut_down(5000)  # nothing outlives the test
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=WAIT)


def progress_dialog(window: QMainWindow) -> QProgressDialog | None:
    for dialog in window.findChildren(QProgressDialog):
        if dialog.objectName() == "operationProgress":
            return dialog
    return None


def visible_dialog(window: QMainWindow) -> QProgressDialog | None:
    dialog = progress_dialog(window)
    return dialog if dialog is not None and dialog.isVisible() else None


class Gate:
    """Holds the work on its thread until the test opens it (never longer than the test's wait)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.opened = threading.Event()

    def wait(self) -> None:
        self.started.set()
        assert self.opened.wait(WAIT / 1000), "the test never let the work go on"


def test_success_announces_the_changes_then_calls_on_success_on_the_gui_thread(qtbot, window) -> None:
    view = window.centralWidget()
    heard: list[tuple[str, object, object]] = []
    notice().changed.connect(lambda changes, initiator: heard.append(("changed", changes, initiator)))
    gui = QThread.currentThread()
    worker: list[int] = []

    def work(control):
        worker.append(threading.get_ident())
        return 42

    def on_success(result):
        heard.append(("success", result, QThread.currentThread() is gui))

    done: list[bool] = []
    run_op(view, work, name="test work", changes=Changes.RECORDS | Changes.ATTACHMENTS, on_success=on_success,
           on_done=lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    assert heard == [("changed", Changes.RECORDS | Changes.ATTACHMENTS, view), ("success", 42, True)]
    assert worker and worker[0] != threading.get_ident(), "the work ran off the GUI thread"
    assert progress_dialog(window) is None, "no progress dialog without a label"


def test_the_progress_dialog_appears_after_the_delay_determinate_then_busy(qtbot, window, screenshot) -> None:
    gate, busy = Gate(), Gate()

    def work(control):
        control.progress(3, 10)
        gate.wait()
        control.progress(0, 0)
        busy.wait()
        return "done"

    results: list[object] = []
    run_op(window.centralWidget(), work, name="test work", label="Copying your files…", title="Copying",
           delay_ms=300, on_success=results.append)
    assert gate.started.wait(WAIT / 1000)
    dialog = progress_dialog(window)
    assert dialog is not None and not dialog.isVisible(), "nothing flashes up for quick work"
    qtbot.waitUntil(lambda: visible_dialog(window) is not None, timeout=WAIT)
    assert dialog.labelText() == "Copying your files…" and dialog.windowTitle() == "Copying"
    assert dialog.isModal() and dialog.windowModality() == Qt.WindowModality.WindowModal
    qtbot.waitUntil(lambda: dialog.value() == 3 * PROGRESS_SCALE // 10, timeout=WAIT)
    assert dialog.maximum() == PROGRESS_SCALE, "a bar that fills when the work reports a total"
    screenshot(window, "operation-progress")
    gate.opened.set()
    assert busy.started.wait(WAIT / 1000)
    qtbot.waitUntil(lambda: dialog.maximum() == 0, timeout=WAIT)
    assert dialog.minimum() == 0, "a busy bar when the work cannot tell how far it is"
    busy.opened.set()
    qtbot.waitUntil(lambda: results == ["done"], timeout=WAIT)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible(), "the dialog closes when the work is done"


def test_quick_work_never_shows_the_dialog(qtbot, window) -> None:
    results: list[object] = []
    run_op(window.centralWidget(), lambda control: 7, name="test work", label="Saving…", delay_ms=2000,
           on_success=results.append)
    shown: list[bool] = []
    qtbot.waitUntil(lambda: shown.append(visible_dialog(window) is not None) or bool(results), timeout=WAIT)
    assert results == [7] and not any(shown)


def test_cancel_clicked_stops_the_work_and_says_so_in_the_status_bar(qtbot, window) -> None:
    seen: dict[str, object] = {}
    started = threading.Event()

    def work(control):
        started.set()
        while not control.cancelled():
            threading.Event().wait(0.005)
        seen["cancelled"] = control.cancelled()
        check(control.cancelled)
        return "finished"

    ended: list[bool] = []
    successes: list[object] = []
    run_op(window.centralWidget(), work, name="test work", label="Copying…", delay_ms=0,
           on_success=successes.append, on_done=lambda: ended.append(True))
    assert started.wait(WAIT / 1000)
    qtbot.waitUntil(lambda: visible_dialog(window) is not None, timeout=WAIT)
    dialog = visible_dialog(window)
    button = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    assert seen["cancelled"] is True, "the work saw the cancel"
    assert successes == []
    assert window.statusBar().currentMessage() == str(Cancelled())
    assert QApplication.activeModalWidget() is None, "a cancel is a status-bar line, not a box"


def test_a_user_error_shows_its_sentence_in_a_warning(qtbot, window, monkeypatch) -> None:
    shown: list[tuple[str, str, str]] = []

    def exec_box(box: QMessageBox) -> int:
        shown.append((box.objectName(), box.windowTitle(), box.text()))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "exec", exec_box)
    crashes: list[BaseException] = []
    monkeypatch.setattr(ui_app, "show_unexpected_error", lambda t, exc, tb: crashes.append(exc))

    def work(control):
        raise SecondOpinionError("The file report.pdf cannot be read: it is not a PDF.")

    ended: list[bool] = []
    run_op(window.centralWidget(), work, name="test work", title="Attach files", on_done=lambda: ended.append(True))
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    assert shown == [("operationFailed", "Attach files", "The file report.pdf cannot be read: it is not a PDF.")]
    assert crashes == []


def test_a_file_the_system_refuses_is_a_warning_with_its_reason_not_a_crash(qtbot, window, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or QMessageBox.StandardButton.Ok)
    crashes: list[BaseException] = []
    monkeypatch.setattr(ui_app, "show_unexpected_error", lambda t, exc, tb: crashes.append(exc))

    def work(control):
        raise FileNotFoundError(2, "No such file or directory", "/media/stick/scan.pdf")

    ended: list[bool] = []
    cleaned: list[bool] = []
    run_op(window.centralWidget(), work, name="test work", title="Attach files", on_done=lambda: ended.append(True),
           cleanup=lambda: cleaned.append(bool(ended)))
    qtbot.waitUntil(lambda: bool(cleaned), timeout=WAIT)
    assert shown == ["No such file or directory (/media/stick/scan.pdf); nothing more was done."]
    assert crashes == []
    assert cleaned == [True], "the clean-up runs after on_done"


def test_on_failure_that_shows_the_failure_itself_replaces_the_default(qtbot, window, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
    handled: list[BaseException] = []

    def work(control):
        raise SecondOpinionError("No room left.")

    ended: list[bool] = []
    run_op(window.centralWidget(), work, name="test work", on_failure=lambda exc: handled.append(exc) or True,
           on_done=lambda: ended.append(True))
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    assert [str(e) for e in handled] == ["No room left."] and shown == []


def test_an_unexpected_exception_reaches_the_crash_dialog(qtbot, window, monkeypatch) -> None:
    crashes: list[tuple[type, BaseException, object]] = []
    monkeypatch.setattr(ui_app, "show_unexpected_error", lambda t, exc, tb: crashes.append((t, exc, tb)))
    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: boxes.append(box.text()))

    def work(control):
        raise KeyError("row 12")

    ended: list[bool] = []
    run_op(window.centralWidget(), work, name="test work", on_done=lambda: ended.append(True))
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    assert len(crashes) == 1 and crashes[0][0] is KeyError and crashes[0][2] is not None
    assert boxes == [], "a bug is the crash dialog's, not a warning"


def test_writes_run_one_at_a_time_in_the_order_asked(qtbot, window) -> None:
    lock = threading.Lock()
    running = {"now": 0, "most": 0}
    order: list[int] = []
    threads: set[int] = set()

    def write(n: int):
        def work(control):
            with lock:
                running["now"] += 1
                running["most"] = max(running["most"], running["now"])
            threads.add(threading.get_ident())
            threading.Event().wait(0.02)
            order.append(n)
            with lock:
                running["now"] -= 1
            return n
        return work

    finished: list[int] = []
    for n in range(6):
        run_op(window.centralWidget(), write(n), name="test write", on_success=finished.append)
    qtbot.waitUntil(lambda: len(finished) == 6, timeout=WAIT)
    assert order == list(range(6)) and finished == list(range(6))
    assert running["most"] == 1, "never two writes at once"
    assert len(threads) == 1, "all on the one writer"


def test_reads_run_beside_a_write(qtbot, window) -> None:
    gate = Gate()
    finished: list[str] = []
    run_op(window.centralWidget(), lambda control: gate.wait() or "write", name="test write",
           on_success=finished.append)
    assert gate.started.wait(WAIT / 1000)
    run_op(window.centralWidget(), lambda control: "read", name="test read", writes=False, on_success=finished.append)
    qtbot.waitUntil(lambda: finished == ["read"], timeout=WAIT)
    gate.opened.set()
    qtbot.waitUntil(lambda: finished == ["read", "write"], timeout=WAIT)


@pytest.mark.parametrize("outcome", ["success", "user error", "bug"])
def test_a_view_deleted_while_its_op_runs_is_never_touched(qtbot, window, monkeypatch, outcome) -> None:
    crashes: list[BaseException] = []
    monkeypatch.setattr(ui_app, "show_unexpected_error", lambda t, exc, tb: crashes.append(exc))
    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: boxes.append(box.text()))
    view = QLabel("a dialog's page", window)
    view.show()
    gate = Gate()
    seen: dict[str, object] = {}

    def work(control):
        gate.wait()
        seen["cancelled"] = control.cancelled()
        if outcome == "user error":
            raise SecondOpinionError("Cannot.")
        if outcome == "bug":
            raise KeyError("x")
        return 1

    called: list[str] = []
    heard: list[object] = []
    cleaned: list[bool] = []
    notice().changed.connect(lambda changes, initiator: heard.append(changes))
    op = run_op(view, work, name="test work", label="Working…", delay_ms=0, changes=Changes.RECORDS,
                on_success=lambda r: called.append(view.text()), on_failure=lambda e: called.append(view.text()),
                on_done=lambda: called.append(view.text()), cleanup=lambda: cleaned.append(True))
    job = op.job
    assert gate.started.wait(WAIT / 1000)
    qtbot.waitUntil(lambda: visible_dialog(window) is not None, timeout=WAIT)
    shiboken6.delete(view)
    gate.opened.set()
    qtbot.waitUntil(lambda: job.done, timeout=WAIT)
    qtbot.wait(20)  # anything queued after the end runs now
    assert seen["cancelled"] is True, "deleting the view cancelled its work"
    assert called == [] and boxes == [] and crashes == []
    assert cleaned == [True], "the clean-up (a private copy to remove) runs even though the view is gone"
    assert visible_dialog(window) is None, "its progress dialog went with it"
    if outcome == "success":
        assert heard == [Changes.RECORDS], "the change was made: the other views still hear of it"
    else:
        assert heard == []


def test_work_that_cannot_be_cancelled_has_no_cancel_and_escape_does_not_stop_it(qtbot, window) -> None:
    gate = Gate()
    seen: dict[str, object] = {}

    def work(control):
        gate.wait()
        seen["cancelled"] = control.cancelled()
        return "saved"

    results: list[object] = []
    run_op(window.centralWidget(), work, name="test work", label="Saving…", delay_ms=0, cancellable=False,
           on_success=results.append)
    assert gate.started.wait(WAIT / 1000)
    qtbot.waitUntil(lambda: visible_dialog(window) is not None, timeout=WAIT)
    dialog = visible_dialog(window)
    assert [b for b in dialog.findChildren(QPushButton) if b.isVisible()] == []
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.close()  # the title bar's close button
    gate.opened.set()
    qtbot.waitUntil(lambda: bool(results), timeout=WAIT)
    assert seen["cancelled"] is False and results == ["saved"]
