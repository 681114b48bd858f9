"""One place that runs work off the GUI thread and reports back by signal.

The work function must not touch widgets. It receives a ``JobControl`` to report progress and to ask whether
the user cancelled; its result (or the exception it raised) arrives on the GUI thread through ``succeeded`` /
``failed``. ``progressed`` carries (done, total) to the GUI thread. A database error that means the disk is full
or read-only arrives as the one-sentence DiskFullError / ReadOnlyFolderError instead, which the window shows as
it shows any other DataFolderError.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot


class JobControl:
    """What the work function may use: report progress, and check for cancellation."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self._cancel = threading.Event()

    def progress(self, done: int, total: int) -> None:
        self._job.progressed.emit(int(done), int(total))

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class Job(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal("qint64", "qint64")
    finished = Signal()

    def __init__(
        self,
        work: Callable[[JobControl], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None],
        on_progress: Callable[[int, int], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._work = work
        self._on_success = on_success
        self._on_failure = on_failure
        self._on_progress = on_progress
        self.control = JobControl(self)
        self.done = False
        self.owner: QObject | None = None  # when set and destroyed, no callback runs (nobody is left to tell)
        # Bound methods of this QObject (which lives on the GUI thread): Qt queues the calls to that thread.
        self.succeeded.connect(self._deliver_success)
        self.failed.connect(self._deliver_failure)
        self.progressed.connect(self._deliver_progress)

    def _owner_gone(self) -> bool:
        if self.owner is None:
            return False
        import shiboken6

        return not shiboken6.isValid(self.owner)

    @Slot("qint64", "qint64")
    def _deliver_progress(self, done: int, total: int) -> None:
        if self._on_progress is not None and not self.done and not self._owner_gone():
            self._on_progress(done, total)

    @Slot(object)
    def _deliver_success(self, result: object) -> None:
        try:
            if not self._owner_gone():
                self._on_success(result)
        finally:
            _finish(self)

    @Slot(object)
    def _deliver_failure(self, exc: object) -> None:
        try:
            if not self._owner_gone():
                self._on_failure(exc)  # type: ignore[arg-type]
        finally:
            _finish(self)

    def cancel(self) -> None:
        self.control.cancel()

    def run(self) -> None:  # on a pool thread
        try:
            result = self._work(self.control)
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread, which decides
            self.failed.emit(_explained(exc))
        else:
            self.succeeded.emit(result)


def _explained(exc: BaseException) -> BaseException:
    """A database error that is really a full or read-only disk, as the one-sentence DataFolderError the
    window shows (``core.db.explain_storage_error``); anything else as it is. An OSError stays one, so that a
    failure handler can still name the file it was writing."""
    from secondopinion_desktop.core.errors import SecondOpinionError

    if isinstance(exc, SecondOpinionError | OSError) or not isinstance(exc, Exception):
        return exc
    from secondopinion_desktop.core.db import explain_storage_error

    explained = explain_storage_error(exc)
    if explained is None:
        return exc
    explained.__cause__ = exc
    return explained


class _Runnable(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:
        self.job.run()


_running: set[Job] = set()
_writer: QThreadPool | None = None


def writer_pool() -> QThreadPool:
    """The one worker that changes the data folder: database writes run one after another, in the order asked
    (as Anki runs every collection task on one thread). Reads use the global pool and run alongside."""
    global _writer
    if _writer is None:
        _writer = QThreadPool()
        _writer.setObjectName("dataFolderWriter")
        _writer.setMaxThreadCount(1)
        _writer.setExpiryTimeout(-1)
    return _writer


_background: QThreadPool | None = None


def background_pool() -> QThreadPool:
    """One low-priority worker for long work the patient did not ask for and need not wait on (reading the
    attached documents): it never holds up the writer or the reads of the window, and ``wait_for_all`` waits
    for it with the others."""
    global _background
    if _background is None:
        _background = QThreadPool()
        _background.setObjectName("backgroundWork")
        _background.setMaxThreadCount(1)
        _background.setThreadPriority(QThread.Priority.LowPriority)
    return _background


def _finish(job: Job) -> None:
    job.done = True
    _running.discard(job)
    job.finished.emit()


def start_job(
    work: Callable[[JobControl], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
    on_progress: Callable[[int, int], None] | None = None,
    parent: QObject | None = None,
    *,
    writes: bool = False,
    background: bool = False,
) -> Job:
    """Run ``work(control)`` on the thread pool; one of the callbacks runs on the GUI thread when it ends.

    ``on_progress(done, total)`` runs on the GUI thread for each ``control.progress`` call before the end.
    ``writes=True`` queues it on the one writer (``writer_pool``) instead, ``background=True`` on the
    low-priority ``background_pool``. The job belongs to ``parent``: when
    ``parent`` is destroyed the job is cancelled (it is no child of it: the pool thread still reports to it, and
    the job list keeps it until it has ended).
    """
    job = Job(work, on_success, on_failure, on_progress)
    if parent is not None:
        job.owner = parent
        parent.destroyed.connect(job.cancel)
    _running.add(job)
    pool = writer_pool() if writes else background_pool() if background else QThreadPool.globalInstance()
    pool.start(_Runnable(job))
    return job


def run_in_background(
    work: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
    parent: QObject | None = None,
) -> Job:
    """``start_job`` for work that reports no progress and cannot be cancelled."""
    return start_job(lambda _control: work(), on_success, on_failure, parent=parent)


def running_jobs() -> int:
    return len(_running)


def cancel_all() -> int:
    """Ask every running job to stop (each leaves the folder as it was); returns how many were running."""
    jobs = list(_running)
    for job in jobs:
        job.cancel()
    return len(jobs)


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Wait, once, for every job in the process (the writer and the global pool) to end; True if all did.
    The work itself ends on its threads; the results are delivered when the event loop next turns."""
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    done = True
    for pool in (writer_pool(), background_pool(), QThreadPool.globalInstance()):
        left = max(0, int((deadline - time.monotonic()) * 1000))
        done = pool.waitForDone(left) and done
    return done


def shut_down(timeout_ms: int = 30_000) -> bool:
    """Cancel every job and wait for them once: the window's close and a restore use it."""
    cancel_all()
    return wait_for_all(timeout_ms)
