"""Start-up benchmark: time until the main window is on screen, against a bare PySide6 window.

Run:  TMPDIR=/dev/shm .venv/bin/python tests/benchmarks/startup.py [--runs N] [--against OTHER_CHECKOUT]

Each sample is a fresh process, timed from spawn until the window has been shown and the event loop has
turned once (the point where a user sees it), both measured in the same run. Prints medians and the ratio.
A third line times the window until an existing data folder's records are shown. ``--against`` also times
another checkout of the app (an older commit, say) in the same run, alternating with this one, so that a
before/after comparison sees the same machine load. Settings are a fresh private set for every run (the window
opens as on a first start), never the user's own. The app's bytecode is cached (as an installed app's is) even
where PYTHONDONTWRITEBYTECODE is set. Each tree fills a data folder with its own sample case; the editable install
maps ``secondopinion_desktop.resources`` to this tree's ``resources/``, so for an ``--against`` checkout to read
its own, link it first (``ln -s ../resources OTHER/secondopinion_desktop/resources``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# Each snippet prints the wall-clock time when what it waits for is on screen (the event loop has turned once
# after it), then quits; the parent takes both that moment and the process's end.
ON_SCREEN = "QTimer.singleShot(0, lambda: (print(f'{time.time():.6f}', flush=True), app.quit()))"

BARE = """
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QLabel
app = QApplication([])
w = QMainWindow(); tabs = QTabWidget(); tabs.addTab(QLabel("x"), "x"); w.setCentralWidget(tabs)
w.resize(1100, 720); w.show()
""" + ON_SCREEN + """
app.exec()
"""

APP_SHOWN = """
import time
from PySide6.QtCore import QTimer
from secondopinion_desktop.ui.app import make_application
from secondopinion_desktop.ui.main_window import MainWindow
app = make_application()
w = MainWindow(); w.show()
""" + ON_SCREEN + """
app.exec()
"""

APP_WITH_DATA = """
import sys, time
from PySide6.QtCore import QTimer
from secondopinion_desktop.ui.app import make_application, open_folder_for_gui
from secondopinion_desktop.ui.jobs import run_in_background
from secondopinion_desktop.ui.main_window import MainWindow
app = make_application()
w = MainWindow(); w.show()
def done(result):
    w.set_folder(result[0])
    """ + ON_SCREEN + """
run_in_background(lambda: open_folder_for_gui(sys.argv[1], False), done, lambda e: app.exit(1))
sys.exit(app.exec())
"""


HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sample(code: str, *args: str, tree: str = HERE, config: str = "") -> tuple[float, float]:
    """(seconds until on screen, seconds until the process ended)."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app has its bytecode compiled: so does each tree here
    if config:
        env["XDG_CONFIG_HOME"] = config
    start_wall, start = time.time(), time.perf_counter()
    # ``-c`` puts the working folder first on the path: the app is imported from ``tree``
    done = subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, stderr=subprocess.DEVNULL,
                          cwd=tree, stdout=subprocess.PIPE, text=True)
    ended = time.perf_counter() - start
    return float(done.stdout.split()[-1]) - start_wall, ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", help="another checkout of the app to time in the same run")
    options = parser.parse_args()
    runs = options.runs
    trees = {"this": HERE} | ({"against": os.path.abspath(options.against)} if options.against else {})
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "config")
        data: dict[str, str] = {}
        for name, tree in trees.items():  # each tree fills its own folder: an older one cannot open a newer schema
            data[name] = os.path.join(tmp, f"data-{name}")
            subprocess.run([sys.executable, "-m", "secondopinion_desktop", "demo", "--data-dir", data[name]],
                           check=True, stdout=subprocess.DEVNULL, cwd=tree)
        sample(BARE)  # warm the file cache
        for name, tree in trees.items():
            sample(APP_WITH_DATA, data[name], tree=tree, config=config)
        bare: list[tuple[float, float]] = []
        shown: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        with_data: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(runs):  # interleaved, so drift affects all alike
            bare.append(sample(BARE))
            for name, tree in trees.items():
                shown[name].append(sample(APP_SHOWN, tree=tree, config=config))
                with_data[name].append(sample(APP_WITH_DATA, data[name], tree=tree, config=config))

    def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)

    b, b_end = medians(bare)
    print(f"median of {runs}            on screen         process ended")
    print(f"bare PySide6 window          {b * 1000:7.0f} ms           {b_end * 1000:7.0f} ms")
    for name in trees:
        label = "" if len(trees) == 1 else f"[{name}] "
        for what, samples in (("window shown", shown[name]), ("records shown", with_data[name])):
            on, end = medians(samples)
            print(f"{label}{what:<20} {on * 1000:7.0f} ms  ratio {on / b:.2f}  {end * 1000:7.0f} ms  ratio "
                  f"{end / b_end:.2f}")


if __name__ == "__main__":
    main()
