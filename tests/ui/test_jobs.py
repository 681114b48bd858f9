"""The background runner: results and errors arrive on the GUI thread; progress and cancel work."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from secondopinion_desktop.ui.jobs import running_jobs, start_job


def test_result_arrives_on_the_gui_thread(qtbot) -> None:
    seen: dict[str, object] = {}
    gui = QThread.currentThread()

    def work(control):
        seen["worker_thread"] = threading.get_ident()
        return 42

    def done(value):
        seen["value"] = value
        seen["on_gui"] = QThread.currentThread() is gui

    job = start_job(work, done, lambda exc: seen.setdefault("error", exc))
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert seen["value"] == 42 and seen["on_gui"] is True
    assert seen["worker_thread"] != threading.get_ident()
    assert running_jobs() == 0


def test_errors_arrive_as_exceptions(qtbot) -> None:
    errors: list[BaseException] = []

    def work(control):
        raise ValueError("disk on fire")

    job = start_job(work, lambda v: None, errors.append)
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert len(errors) == 1 and str(errors[0]) == "disk on fire"


def test_progress_is_reported_and_cancel_is_seen(qtbot) -> None:
    progress: list[tuple[int, int]] = []
    started = threading.Event()
    outcome: dict[str, object] = {}

    def work(control):
        control.progress(1, 10)
        started.set()
        for _ in range(500):
            if control.cancelled():
                return "cancelled"
            threading.Event().wait(0.01)
        return "finished"

    job = start_job(
        work,
        lambda v: outcome.setdefault("result", v),
        lambda e: outcome.setdefault("error", e),
        lambda done, total: progress.append((done, total)),
    )
    assert started.wait(5)
    qtbot.waitUntil(lambda: progress == [(1, 10)], timeout=5000)
    job.cancel()
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert outcome == {"result": "cancelled"}
