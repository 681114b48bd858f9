"""One place that runs work off the GUI thread and reports back by signal.

The work function must not touch widgets; its result (or the exception it raised) arrives on the GUI thread
through ``succeeded`` / ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Job(QObject):
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.done = False
        self.succeeded.connect(self._mark_done)
        self.failed.connect(self._mark_done)

    def _mark_done(self, _value: object) -> None:
        self.done = True

    def run(self) -> None:  # on a pool thread
        try:
            result = self._work()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread, which decides
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)


class _Runnable(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:
        self.job.run()


_running: set[Job] = set()


def run_in_background(
    work: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
    parent: QObject | None = None,
) -> Job:
    """Run ``work()`` on the thread pool; call one of the callbacks on the GUI thread when it ends."""
    job = Job(work, parent)
    _running.add(job)
    job.succeeded.connect(on_success)
    job.failed.connect(on_failure)
    job.succeeded.connect(lambda _v: _running.discard(job))
    job.failed.connect(lambda _v: _running.discard(job))
    QThreadPool.globalInstance().start(_Runnable(job))
    return job
