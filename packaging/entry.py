"""PyInstaller entry point: the bundled ``secondopinion`` executable is the ``secondopinion`` command.

Kept outside the package so PyInstaller analyses it as a plain script; it only hands over to the CLI,
which opens the window when no subcommand is given.
"""

import multiprocessing
import sys

from secondopinion_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless on Linux; needed on Windows if anything ever spawns workers
    sys.exit(main())
