"""Start-up benchmark: time until the main window is on screen, against a bare PySide6 window.

Run:  .venv/bin/python tests/benchmarks/startup.py [--runs N]

Each sample is a fresh process, timed from spawn until the window has been shown and the event loop has
turned once (the point where a user sees it), both measured in the same run. Prints medians and the ratio.
A third line times the window until an existing data folder's records are shown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QLabel
app = QApplication([])
w = QMainWindow(); tabs = QTabWidget(); tabs.addTab(QLabel("x"), "x"); w.setCentralWidget(tabs)
w.resize(1100, 720); w.show()
QTimer.singleShot(0, app.quit)
app.exec()
"""

APP_SHOWN = """
from PySide6.QtCore import QTimer
from secondopinion_desktop.ui.app import make_application
from secondopinion_desktop.ui.main_window import MainWindow
app = make_application()
w = MainWindow(); w.show()
QTimer.singleShot(0, app.quit)
app.exec()
"""

APP_WITH_DATA = """
import sys
from PySide6.QtCore import QTimer
from secondopinion_desktop.ui.app import make_application, open_folder_for_gui
from secondopinion_desktop.ui.jobs import run_in_background
from secondopinion_desktop.ui.main_window import MainWindow
app = make_application()
w = MainWindow(); w.show()
def done(result):
    w.set_folder(result[0]); QTimer.singleShot(0, app.quit)
run_in_background(lambda: open_folder_for_gui(sys.argv[1], False), done, lambda e: app.exit(1))
sys.exit(app.exec())
"""


def sample(code: str, *args: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([sys.executable, "-m", "secondopinion_desktop", "demo", "--data-dir", data], check=True,
                       stdout=subprocess.DEVNULL)
        sample(BARE)  # warm the file cache
        bare, shown, with_data = [], [], []
        for _ in range(runs):  # interleaved, so drift affects all three alike
            bare.append(sample(BARE))
            shown.append(sample(APP_SHOWN))
            with_data.append(sample(APP_WITH_DATA, data))
    b, s, d = (statistics.median(x) for x in (bare, shown, with_data))
    print(f"bare PySide6 window          {b * 1000:7.0f} ms  (median of {runs})")
    print(f"Second Opinion window shown  {s * 1000:7.0f} ms  ratio {s / b:.2f}")
    print(f"... with the records shown   {d * 1000:7.0f} ms  ratio {d / b:.2f}")


if __name__ == "__main__":
    main()
