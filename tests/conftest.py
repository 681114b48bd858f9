"""Shared test set-up: headless Qt, and a fresh data folder and settings location for every test."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

# PySide6 6.12 on Python 3.11 drops references to None/True/False it never took (processEvents, among others);
# the test helpers call such bindings thousands of times. Pin them as the app does (see ui/refpin.py).
from secondopinion_desktop.ui.refpin import pin_singletons

pin_singletons(3_000_000)

# Keep QSettings and platform data paths out of the developer's home folder.
_SANDBOX = Path(tempfile.mkdtemp(prefix="secondopinion-tests-"))
# Headless Qt for every test, whatever the developer's shell says. Must happen before Qt is imported. The screen
# is a common laptop's, 1280×720 (SECONDOPINION_TEST_SCREEN=1920x1080 picks another), and
# SECONDOPINION_TEST_TEXT_SCALE=1.5 makes text 1.5× larger as a desktop's text-size setting does (applied to the
# application font in tests/ui/conftest.py), so windows and dialogs are tested where users open them.
TEXT_SCALE = float(os.environ.get("SECONDOPINION_TEST_TEXT_SCALE", "1"))
# SECONDOPINION_TEST_SCREEN_SCALE=1.5 scales the whole screen as X11 desktops do when their text is set to 1.5×
# (Xft.dpi 144): Qt then draws everything 1.5× larger, and a 1280×720 screen holds 853×480 of the window's pixels.
SCREEN_SCALE = float(os.environ.get("SECONDOPINION_TEST_SCREEN_SCALE", "1"))
SCREEN_SIZE = tuple(int(n) for n in os.environ.get("SECONDOPINION_TEST_SCREEN", "1280x720").split("x"))
_SCREEN_CONFIG = _SANDBOX / "screen.json"
_SCREEN_CONFIG.write_text(json.dumps({"screens": [{
    "name": "laptop", "x": 0, "y": 0, "width": SCREEN_SIZE[0], "height": SCREEN_SIZE[1],
    "logicalDpi": round(96 * SCREEN_SCALE), "logicalBaseDpi": 96, "dpr": 1,
}]}))
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN_CONFIG}"
os.environ["XDG_CONFIG_HOME"] = str(_SANDBOX / "config")
os.environ["XDG_DATA_HOME"] = str(_SANDBOX / "data")
os.environ["XDG_STATE_HOME"] = str(_SANDBOX / "state")
os.environ["SECONDOPINION_LOG_DIR"] = str(_SANDBOX / "log")  # the app's log, never the developer's own
os.environ.pop("SECONDOPINION_DATA_DIR", None)


@pytest.fixture(autouse=True)
def _dialog_handlers_end_with_their_test():
    """A dialog handler a test armed and no dialog took stops with that test (see helpers/dialogs.py)."""
    yield
    dialogs = sys.modules.get("helpers.dialogs")
    if dialogs is not None:
        dialogs.end_of_test()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A path for a data folder that does not exist yet."""
    return tmp_path / "data"


# SECONDOPINION_TEST_ENCRYPTED=1: the ``folder`` fixture is an encrypted folder (tests/core/test_encrypted_suite.py
# runs a chosen part of the suite that way, so the same features are checked on an encrypted folder).
ENCRYPTED = os.environ.get("SECONDOPINION_TEST_ENCRYPTED") == "1"


@pytest.fixture
def folder(data_dir: Path):
    """An opened, empty data folder (encrypted under SECONDOPINION_TEST_ENCRYPTED=1)."""
    from secondopinion_desktop.core.db import open_data_folder

    key = None
    if ENCRYPTED:
        from secondopinion_desktop.core.crypto.convert import encrypt_folder
        from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams, new_recovery_key

        open_data_folder(data_dir).close()
        key, _ = encrypt_folder(data_dir, "the test suite's passphrase", new_recovery_key(),
                                params=KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1))
    opened = open_data_folder(data_dir, key=key)
    assert opened.encrypted == ENCRYPTED
    yield opened
    opened.close()


@pytest.fixture
def python() -> str:
    return sys.executable
