"""A guard against a reference-counting slip in PySide6 on Python 3.11 (imports no Qt)."""

from __future__ import annotations


def pin_singletons(count: int = 200_000) -> None:
    """Work around PySide6 6.12 dropping references to None/True/False on Python < 3.12.

    Some bindings (``QCoreApplication.processEvents`` for one) release a reference to None, True or False
    that they never took. On Python 3.12+ these objects are immortal; on 3.11 enough such calls free them and
    the process aborts ("deallocating None"). A tuple holding extra references (200,000 each by default),
    never freed, keeps them alive for the life of the process (≈5 MB; the tests ask for more).
    """
    import ctypes
    import sys

    if sys.version_info >= (3, 12) or getattr(pin_singletons, "done", False):
        return
    pinned = (None, True, False) * count
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(pinned))  # never released: survives interpreter shutdown
    pin_singletons.done = True  # type: ignore[attr-defined]
