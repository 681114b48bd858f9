"""Python's garbage collector, run on the GUI thread only.

The cyclic collector runs in whichever thread happens to allocate when a threshold is crossed. If that is a
background job's thread and the garbage holds Qt widgets, they are destroyed off the GUI thread, which crashes
Qt. So automatic collection is switched off and a timer on the GUI thread does the same work (the approach of
pyqtgraph's GarbageCollector).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer.start()

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, as the automatic collector would."""
        counts = gc.get_count()
        if counts[0] > self.threshold[0]:
            generation = 0
            if counts[1] > self.threshold[1]:
                generation = 1
                if counts[2] > self.threshold[2]:
                    generation = 2
            gc.collect(generation)


_installed: GuiThreadCollector | None = None


def install(app: QObject) -> GuiThreadCollector:
    """Install once per process on the application object."""
    global _installed
    if _installed is None:
        _installed = GuiThreadCollector(app)
    return _installed

