from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from secondopinion_desktop import APP_NAME, ORG_NAME


@pytest.fixture(scope="session", autouse=True)
def text_scale(qapp):
    """Scale the application font as a desktop's text-size setting does (SECONDOPINION_TEST_TEXT_SCALE)."""
    from conftest import TEXT_SCALE

    if TEXT_SCALE != 1:
        font = qapp.font()
        font.setPointSizeF(font.pointSizeF() * TEXT_SCALE)
        qapp.setFont(font)
    return TEXT_SCALE


@pytest.fixture(autouse=True)
def clean_settings(qapp):
    from secondopinion_desktop.ui import gc_guard

    gc_guard.install(qapp)  # as the app does: collect garbage (and widgets in it) on the GUI thread only
    """Application names as the real app sets them, and no settings left over from another test."""
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QSettings().clear()
    yield
    QSettings().clear()


@pytest.fixture
def demo_folder(folder):
    from secondopinion_desktop.core.demo import fill_demo_data

    fill_demo_data(folder)
    return folder


@pytest.fixture
def screenshot(qtbot):
    """``screenshot(widget, name)`` saves a PNG into $SECONDOPINION_SCREENSHOTS when set (to look at, not assert)."""
    import os
    from pathlib import Path

    def save(widget, name: str) -> None:
        target = os.environ.get("SECONDOPINION_SCREENSHOTS")
        if not target:
            return
        qtbot.wait(50)  # pending layout requests run first, as they would before a real paint
        Path(target).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(target) / f"{name}.png"))

    return save


@pytest.fixture(autouse=True)
def background_reading_waits(monkeypatch):
    """Window tests about other things do not start the background reader (its own tests set the delay)."""
    monkeypatch.setattr("secondopinion_desktop.ui.reading.START_DELAY_MS", 600_000)
