"""The PySide6 reference slip that ui/refpin.py works around, measured so that everyone sees when it can go.

The slip is measured in a fresh interpreter that does not pin (this test session pins in tests/conftest.py).
When test_the_slip_is_still_there fails because nothing drops any more, PySide6 is fixed: raise its floor in
pyproject.toml to that release and remove ui/refpin.py (see its docstring).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Signal

from secondopinion_desktop.ui import refpin

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None, True and False are immortal on Python 3.12+: nothing can slip"
)

ROOT = Path(__file__).resolve().parents[2]
CALLS = 200  # below True's natural count (≈600; None's ≈5,000): the unpinned measuring process survives

# Per call, the change of sys.getrefcount(None), (True), (False) with PySide6 6.12.0 on Python 3.11.
KNOWN_SLIP = {
    "QCoreApplication.processEvents()": [-1.0, 0.0, 0.0],
    "QPoint.setX(1)": [-1.0, 0.0, 0.0],
    "Signal.emit()": [0.0, -1.0, 0.0],
}
NO_SLIP = {"QWidget.isVisible()": [0.0, 0.0, 0.0]}  # a bool-returning binding: shows the measuring is sound

MEASURE = """
import json, os, sys
from PySide6.QtCore import QCoreApplication, QObject, QPoint, Signal
from PySide6.QtWidgets import QApplication, QWidget

app = QApplication([])
calls = int(sys.argv[1])

class Emitter(QObject):
    fired = Signal()

emitter, point, widget = Emitter(), QPoint(), QWidget()
suspects = {
    "QCoreApplication.processEvents()": QCoreApplication.processEvents,
    "QPoint.setX(1)": lambda: point.setX(1),
    "Signal.emit()": emitter.fired.emit,
    "QWidget.isVisible()": widget.isVisible,
}

def counts():
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)

result = {}
for name, call in suspects.items():
    call()
    before = counts()
    for _ in range(calls):
        call()
    after = counts()  # on its own line: a comprehension's function object holds None while it runs
    result[name] = [(now - was) / calls for now, was in zip(after, before)]
print(json.dumps(result), flush=True)
os._exit(0)  # True has lost `calls` references by now: a normal exit could free it and abort
"""

SURVIVE = """
import os, sys
from PySide6.QtCore import QCoreApplication
from secondopinion_desktop.ui import refpin

pin = int(sys.argv[1])
if pin:
    refpin.pin_singletons(pin)
app = QCoreApplication([])
for _ in range(int(sys.argv[2])):
    QCoreApplication.processEvents()
import gc
gc.collect()  # the pin checks its counts after each collection
print(sys.getrefcount(None), refpin.top_up(), flush=True)
os._exit(0)
"""


def _run(script: str, *args: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))

    def no_core_dump() -> None:  # the unpinned run is expected to abort
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, env=env, timeout=120,
        cwd=ROOT, preexec_fn=no_core_dump if os.name == "posix" else None,
    )


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__


def test_the_slip_is_still_there():
    """Fails the day PySide6 stops dropping references: then the pin in ui/refpin.py can go."""
    run = _run(MEASURE, CALLS)
    assert run.returncode == 0, run.stderr
    measured = json.loads(run.stdout)
    assert {k: measured[k] for k in NO_SLIP} == NO_SLIP, f"the measuring itself is off: {measured}"
    slipping = {name: change for name, change in measured.items() if name in KNOWN_SLIP}
    if all(change == [0.0, 0.0, 0.0] for change in slipping.values()):
        pytest.fail(
            f"PySide6 {_pyside_version()} no longer drops references to None/True: the workaround can go. "
            f"Raise the PySide6 floor in pyproject.toml to {_pyside_version()} and remove "
            "secondopinion_desktop/ui/refpin.py with its callers (ui/app.py, tests/conftest.py)."
        )
    assert slipping == KNOWN_SLIP, (
        f"PySide6 {_pyside_version()} slips differently than ui/refpin.py describes "
        f"(per call, None/True/False): {slipping}; update its docstring and this test."
    )


def test_without_the_pin_enough_process_events_calls_abort_the_process():
    run = _run(SURVIVE, 0, 20_000)
    assert run.returncode == -signal.SIGABRT, (
        f"20,000 processEvents() calls without the pin no longer abort (PySide6 {_pyside_version()}): "
        f"the workaround in ui/refpin.py may go. Exit {run.returncode}, {run.stderr[-300:]}"
    )
    assert "deallocating None" in run.stderr


def test_the_pin_keeps_a_process_alive_and_tops_itself_up():
    """A small pin, used up past a quarter: the collection after the calls adds another block."""
    run = _run(SURVIVE, 20_000, 24_000)  # None ends near 1,000 before the top-up
    assert run.returncode == 0, run.stderr[-500:]
    none_count, topped_up_again = run.stdout.split()
    assert int(none_count) > 15_000, "the pin was not topped up after the collection"
    assert topped_up_again == "False"  # counts are high again: nothing more to pin


class _Emitter(QObject):
    fired = Signal()


def test_pin_singletons_keeps_the_counts_high_in_this_session(qapp):
    refpin.pin_singletons()  # tests/conftest.py pinned already: a repeated call adds nothing
    block = refpin._pins[0]
    assert min(refpin.counts()) > block // 4, refpin.counts()
    before = refpin.counts()
    refpin.pin_singletons()
    assert refpin.counts() == before
    emitter = _Emitter()
    for _ in range(10_000):  # twice None's and fifteen times True's natural count: fatal without the pin
        QCoreApplication.processEvents()
        emitter.fired.emit()
    none, true, false = refpin.counts()
    assert min(none, true, false) > block // 4 - 10_000 > 0
    assert none <= before[0] - 10_000 + 100 and true <= before[1] - 10_000 + 100  # the slip happened here too
