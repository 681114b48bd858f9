"""One call runs an action's work off the GUI thread: ``run_op``.

    run_op(self, lambda control: records.set_status(folder, ids, status),
           name="set record status", changes=Changes.RECORDS, on_success=self._select)

- The work runs on the one writer (``ui.jobs.writer_pool``, so database writes never race) or, with
  ``writes=False``, on the global pool beside other reads. It receives a ``JobControl``: ``control.progress`` and
  ``control.cancelled`` are exactly the ``progress``/``cancelled`` callables every core operation takes
  (``core.progress``).
- With a ``label``, a window-modal progress dialog appears if the work takes longer than ``delay_ms``: a bar that
  fills when the work reports a total, a busy bar when it cannot tell, and a Cancel button unless
  ``cancellable=False``.
- When it succeeds: the dialog closes, ``announce(changes, parent)`` tells every view, then ``on_success(result)``.
- When it fails, ``on_failure(exc)`` runs first if given; it returns True when it has shown the failure itself.
  Otherwise the default display: a cancel → one line in the window's status bar; a failure the person can act on
  (a ``SecondOpinionError``; an ``OSError`` such as a full disk or a file that went away) → a warning with its
  sentence; anything else → the crash
  dialog, which names the log file. Every failure but a cancel is written to the log (its kind and place only).
- The job belongs to ``parent``: when ``parent`` is destroyed its jobs are cancelled, and closing the window
  cancels every job and waits once (``ui.jobs.shut_down``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox, QProgressDialog, QWidget

from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.jobs import Job, JobControl, start_job

T = TypeVar("T")

PROGRESS_SCALE = 1000  # the dialog's range; the work's (done, total) is mapped onto it


class Op(QObject):
    """A running operation: its job and (while it runs) its progress dialog."""

    def __init__(self, parent: QObject | None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self.dialog: QProgressDialog | None = None
        self.result: object = None
        self.error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.job is None or self.job.done

    def cancel(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            if self.dialog is not None:
                self.dialog.setLabelText("Stopping…")
                self.dialog.setCancelButtonText("")  # pressed once is enough


def is_cancel(exc: BaseException) -> bool:
    from secondopinion_desktop.core.progress import Cancelled

    return isinstance(exc, Cancelled)


def is_user_error(exc: BaseException) -> bool:
    """A failure the person can understand and act on (its sentence is the message), not a bug: the core's
    own errors, and a file the operating system would not let us use (a full or read-only disk, a file that
    went away, no permission)."""
    from secondopinion_desktop.core.errors import SecondOpinionError

    return isinstance(exc, SecondOpinionError | OSError)


def failure_sentence(exc: BaseException) -> str:
    """What to tell the person: a core error's own sentence; for an OSError, the system's reason and the file."""
    from secondopinion_desktop.core.errors import SecondOpinionError

    if isinstance(exc, OSError) and not isinstance(exc, SecondOpinionError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        reason = exc.strerror or "the file could not be used"
        return f"{reason[:1].upper()}{reason[1:]}{where}; nothing more was done."
    return str(exc)


def status_line(parent: QObject | None, text: str, timeout_ms: int = 8000) -> bool:
    """Show ``text`` in the status bar of ``parent``'s window; False when there is none."""
    widget = parent if isinstance(parent, QWidget) else None
    window = widget.window() if widget is not None else None
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, timeout_ms)
        return True
    return False


def show_failure(parent: QWidget | None, exc: BaseException, *, title: str = "Cannot do that",
                 name: str = "operation") -> None:
    """The default failure display (see the module's docstring)."""
    if is_cancel(exc):
        if not status_line(parent, str(exc)):
            QMessageBox.information(parent, title, str(exc))
        return
    if is_user_error(exc):
        from secondopinion_desktop.core.log import log_failure

        log_failure(name, exc)
        box = QMessageBox(QMessageBox.Icon.Warning, title, failure_sentence(exc), QMessageBox.StandardButton.Ok,
                          parent)
        box.setObjectName("operationFailed")
        box.exec()
        box.deleteLater()
        return
    from secondopinion_desktop.ui.app import show_unexpected_error

    show_unexpected_error(type(exc), exc, exc.__traceback__)


def _progress_dialog(parent: QWidget | None, title: str | None, label: str, cancellable: bool,
                     cancel_text: str, delay_ms: int) -> QProgressDialog:
    dialog = QProgressDialog(label, cancel_text if cancellable else "", 0, PROGRESS_SCALE, parent)
    dialog.setObjectName("operationProgress")
    if title:
        dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(delay_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)
    dialog.setValue(0)
    return dialog


def run_op(
    parent: QWidget | None,
    work: Callable[[JobControl], T],
    *,
    name: str,
    on_success: Callable[[T], object] | None = None,
    on_failure: Callable[[BaseException], bool | None] | None = None,
    on_done: Callable[[], object] | None = None,
    cleanup: Callable[[], object] | None = None,
    changes: Changes = Changes.NONE,
    writes: bool = True,
    label: str | None = None,
    title: str | None = None,
    cancellable: bool = True,
    cancel_text: str = "Cancel",
    delay_ms: int = 400,
    failure_title: str | None = None,
) -> Op:
    """Run ``work(control)`` off the GUI thread; see the module's docstring. ``name`` is the app's own words
    for the operation, for the log (never the person's data). ``on_done()`` runs last, whatever happened, while
    ``parent`` is still there; ``cleanup()`` runs after it in every case, even when ``parent`` was deleted while
    the work ran — so it must not touch widgets (removing a private temporary copy is what it is for)."""
    op = Op(parent)
    op.setObjectName(f"op:{name}")
    if label is not None:
        op.dialog = _progress_dialog(parent, title, label, cancellable, cancel_text, delay_ms)
        op.dialog.canceled.connect(op.cancel)

    def close_dialog() -> None:
        if op.dialog is not None and _alive(op.dialog):
            op.dialog.canceled.disconnect(op.cancel)
            op.dialog.reset()
            op.dialog.hide()
            op.dialog.deleteLater()
        op.dialog = None

    def progressed(done: int, total: int) -> None:
        dialog = op.dialog
        if dialog is None or not _alive(dialog):
            return
        if total <= 0:
            if dialog.maximum() != 0:
                dialog.setRange(0, 0)  # cannot tell how far: a busy bar
            return
        if dialog.maximum() == 0:
            dialog.setRange(0, PROGRESS_SCALE)
        dialog.setValue(min(PROGRESS_SCALE, int(done * PROGRESS_SCALE // total)))

    def finish() -> None:
        if cleanup is not None:
            cleanup()

    def succeeded(result: Any) -> None:
        close_dialog()
        op.result = result
        if parent is not None and not _alive(parent):
            announce(changes, None)  # the view that asked is gone, but the change is made: the others show it
            finish()
            return
        try:
            announce(changes, parent)
            if on_success is not None:
                on_success(result)
        finally:
            try:
                if on_done is not None:
                    on_done()
            finally:
                finish()

    def failed(exc: BaseException) -> None:
        close_dialog()
        op.error = exc
        if parent is not None and not _alive(parent):
            if not is_cancel(exc) and not is_user_error(exc):
                from secondopinion_desktop.core.log import log_failure

                log_failure(name, exc)
            finish()
            return
        try:
            if on_failure is not None and on_failure(exc):
                return
            show_failure(parent if _alive(parent) else None, exc, title=failure_title or title or "Cannot do that",
                         name=name)
        finally:
            try:
                if on_done is not None:
                    on_done()
            finally:
                finish()

    # The job is no child of the view: it must outlive a view deleted while the work runs (the pool thread still
    # reports to it); the job list keeps it alive until it has finished.
    op.job = start_job(work, succeeded, failed, progressed, writes=writes)
    if parent is not None:
        parent.destroyed.connect(op.job.cancel)
    return op


def _alive(obj: QObject | None) -> bool:
    if obj is None:
        return False
    import shiboken6

    return shiboken6.isValid(obj)


def later(callback: Callable[[], object], ms: int = 0) -> None:
    """Run ``callback`` on the GUI thread once the event loop turns (after the current signal is handled)."""
    QTimer.singleShot(ms, callback)
