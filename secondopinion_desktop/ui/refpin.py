"""A guard against a reference-counting slip in PySide6 on Python 3.10 and 3.11 (imports no Qt).

What slips (measured with PySide6-Essentials/shiboken6 6.12.0 on CPython 3.11.7, Linux, offscreen; the
numbers are checked by tests/ui/test_refpin.py, which fails the day they change):

- Every call *from Python* into a binding of a C++ function that returns ``void`` gives back ``None``
  without adding a reference to it: ``sys.getrefcount(None)`` drops by exactly 1 per call.
  ``QCoreApplication.processEvents()``, ``sendPostedEvents()``, ``QTimer.start()``/``stop()``/
  ``setInterval()``, ``QWidget.setEnabled()``, ``QObject.setObjectName()``, even ``QPoint.setX()`` with
  no application object at all. A binding that returns nothing useful as ``None`` does the same
  (``QObject.property("unknown")``).
- ``Signal.emit()`` (and ``Signal.disconnect()``) give back ``True`` without a reference to it:
  ``sys.getrefcount(True)`` drops by 1 per emit, whatever the signal carries.
- Bindings returning a real ``bool`` (``isVisible()``, ``signalsBlocked()``), ``QApplication.instance()``,
  and Qt calling Python slots from its event loop (timers, ``clicked(bool)``) do not slip. ``False`` was not
  seen to slip, but is pinned too as it is the same kind of object.

On Python 3.12+ ``None``/``True``/``False`` are immortal and the slip is harmless. On 3.10/3.11 their count
starts near 5,000 (``None``) and 600 (``True``), so a few thousand ``processEvents()`` calls or a few hundred
emits abort the process with "Fatal Python error: none_dealloc: deallocating None" (or "bool_dealloc:
deallocating True or False"): that is why this module exists. Python 3.10/3.11 stay supported (Debian 12 and
Ubuntu 22.04 ship them).

Upstream: no report of this was found (searched the Qt bug tracker's PYSIDE project as mirrored in public
issue threads, GitHub issues and forums for "deallocating None", Py_None/Py_True reference counts and
processEvents with PySide6 6.12). The registry offers PySide6 6.12.0 as its newest release and no older one
could be measured here, so there is no known-good version to constrain to. Text ready to file at
bugreports.qt.io (project PYSIDE, component Shiboken, affects 6.12.0)::

    Title: void bindings return a borrowed None, Signal.emit a borrowed True (crash on Python < 3.12)

    With PySide6 6.12.0 on CPython 3.11 (not 3.12+, where None/True are immortal), each call of a
    binding of a void C++ function lowers the reference count of None by one, and each Signal.emit()
    lowers that of True by one. After enough calls CPython aborts with "Fatal Python error:
    none_dealloc: deallocating None".

        import sys
        from PySide6.QtCore import QCoreApplication, QObject, QPoint, Signal

        app = QCoreApplication([])

        class Emitter(QObject):
            fired = Signal()

        emitter = Emitter()
        point = QPoint()
        for label, call, obj in (("processEvents", QCoreApplication.processEvents, None),
                                 ("QPoint.setX", lambda: point.setX(1), None),
                                 ("Signal.emit", emitter.fired.emit, True)):
            before = sys.getrefcount(obj)
            for _ in range(100):
                call()
            print(label, (sys.getrefcount(obj) - before) / 100, "per call")  # expected 0.0
        # prints -1.0 three times, then aborts at exit ("deallocating True or False": True started
        # near 600); with 10000 instead of 100 it aborts inside the first loop ("deallocating None").

    The generated wrapper seems to return Py_None (and libpyside's emit Py_True) without Py_INCREF,
    i.e. as if they were immortal on every Python version.

When the pin can go: when tests/ui/test_refpin.py's test_the_slip_is_still_there fails because the counts
no longer drop, on every PySide6 the project allows. Then raise the PySide6 floor in pyproject.toml to that
release and delete this module with its two callers (ui/app.py and tests/conftest.py).
"""

from __future__ import annotations

import sys

# Each call lowers the counts by one: pin this many extra references, and pin another block whenever a
# count falls below a quarter of it, so a long session can never run out.
DEFAULT_COUNT = 200_000
_pins: list[int] = []  # the block size while pinned (empty until pin_singletons runs)


def counts() -> tuple[int, int, int]:
    """The reference counts of None, True and False, in that order."""
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def _pin(count: int) -> None:
    import ctypes

    block = (None, True, False) * count
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(block))  # never released: survives interpreter shutdown


def top_up() -> bool:
    """Pin another block if any of the three counts fell below a quarter of the block size; True if it did."""
    if not _pins or min(counts()) >= _pins[0] // 4:
        return False
    _pin(_pins[0])
    return True


def _after_collection(phase: str, info: dict[str, int]) -> None:
    if phase == "stop":
        top_up()


def pin_singletons(count: int = DEFAULT_COUNT) -> None:
    """Keep None/True/False alive despite the slip described above (no-op on Python 3.12+, and when repeated).

    Holds ``count`` extra references to each (≈5 MB for 200,000; the tests ask for more) and re-checks
    after every garbage collection (gc_guard runs them on the GUI thread at most every 500 ms), pinning
    another block when a count falls below a quarter of ``count``.
    """
    import gc

    if sys.version_info >= (3, 12) or _pins:
        return
    _pins.append(count)
    _pin(count)
    gc.callbacks.append(_after_collection)
