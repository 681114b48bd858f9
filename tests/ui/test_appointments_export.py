"""The notes PDF is written off the GUI thread as an operation: a progress dialog while it takes time, and
closing the tab stops waiting for it (the window waits for every job once) after saving the typed note."""

from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path

import pytest
from PySide6.QtWidgets import QProgressDialog

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab


@pytest.fixture
def slow_packet(monkeypatch):
    """``core.packet.export_notes_pdf`` that takes until the test lets it finish (at most a few seconds)."""
    release = threading.Event()
    started = threading.Event()
    module = types.ModuleType("secondopinion_desktop.core.packet")

    def export_notes_pdf(folder, appointment_id, out, cancelled=None):
        started.set()
        release.wait(timeout=5)
        Path(out).write_bytes(b"%PDF-1.4 notes")
        return Path(out)

    module.export_notes_pdf = export_notes_pdf  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "secondopinion_desktop.core.packet", module)
    yield started, release
    release.set()


def make_tab(qtbot, folder) -> AppointmentsTab:
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 700)
    tab.set_folder(folder)
    tab.show()
    qtbot.waitExposed(tab)
    return tab


def test_a_slow_export_shows_progress_and_closing_does_not_wait_for_it(qtbot, demo_folder, tmp_path,
                                                                      slow_packet) -> None:
    started, release = slow_packet
    tab = make_tab(qtbot, demo_folder)
    qtbot.keyClicks(tab.notes.editor, "typed while the export runs")
    op = tab.export_notes(tmp_path / "notes.pdf")
    assert op is not None and started.wait(5)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in tab.findChildren(QProgressDialog)), timeout=5000)
    [dialog] = [d for d in tab.findChildren(QProgressDialog) if d.isVisible()]
    assert dialog.objectName() == "operationProgress" and dialog.labelText() == "Writing the notes to PDF…"
    assert not tab.export_button.isEnabled()

    before = time.monotonic()
    tab.shutdown()
    assert time.monotonic() - before < 2  # no waiting for the pool: the window waits once for every job
    assert op.job is not None and op.job.control.cancelled()
    [demo] = svc.list_appointments(demo_folder)
    assert demo.notes[0].text == "typed while the export runs"  # saved on closing, at once

    release.set()
    qtbot.waitUntil(lambda: op.done, timeout=5000)
