from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from secondopinion_desktop import APP_NAME, ORG_NAME


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
