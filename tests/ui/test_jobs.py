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


def test_a_job_whose_owner_is_deleted_mid_run_is_cancelled_and_still_ends(qtbot) -> None:
    import shiboken6
    from PySide6.QtCore import QObject

    owner = QObject()
    started, go = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def work(control):
        started.set()
        assert go.wait(10)
        seen["cancelled"] = control.cancelled()
        return 1

    results: list[object] = []
    job = start_job(work, results.append, results.append, parent=owner)
    assert started.wait(5)
    shiboken6.delete(owner)
    go.set()
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=5000)
    assert seen["cancelled"] is True, "the owner's end cancelled its job"
    assert job.done and results == [], "and nothing is reported to an owner that is gone"


def test_shut_down_cancels_every_job_on_both_pools_and_waits_once(qtbot) -> None:
    from secondopinion_desktop.ui.jobs import shut_down, writer_pool

    started = [threading.Event(), threading.Event()]
    stopped: list[str] = []

    def work(n: int, name: str):
        def run(control):
            started[n].set()
            while not control.cancelled():
                threading.Event().wait(0.005)
            stopped.append(name)
        return run

    start_job(work(0, "read"), lambda v: None, lambda e: None)
    start_job(work(1, "write"), lambda v: None, lambda e: None, writes=True)
    assert all(event.wait(5) for event in started)
    assert shut_down(5000) is True
    assert sorted(stopped) == ["read", "write"], "both had ended when shut_down returned"
    assert writer_pool().maxThreadCount() == 1
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=5000)


def test_wait_for_all_says_when_a_job_did_not_end_in_time(qtbot) -> None:
    from secondopinion_desktop.ui.jobs import wait_for_all

    go = threading.Event()
    started = threading.Event()

    def work(control):
        started.set()
        assert go.wait(10)

    start_job(work, lambda v: None, lambda e: None)
    assert started.wait(5)
    assert wait_for_all(50) is False
    go.set()
    assert wait_for_all(5000) is True
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=5000)
