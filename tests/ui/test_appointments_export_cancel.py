"""Export notes to PDF only reads the data folder (it never queues behind, or holds up, a change being saved),
and its progress dialog's Cancel stops it with nothing written at the chosen place."""

from __future__ import annotations

import threading

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QPushButton

from secondopinion_desktop.core.packet import story
from secondopinion_desktop.ui import jobs
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab


@pytest.fixture
def held_layout(monkeypatch):
    """The real notes export, held after laying out its first part until the test lets it go on."""
    reached, release = threading.Event(), threading.Event()
    real = story.PacketDoc.afterFlowable

    def after_flowable(self, flowable):
        real(self, flowable)
        if not reached.is_set():
            reached.set()
            release.wait(timeout=10)

    monkeypatch.setattr(story.PacketDoc, "afterFlowable", after_flowable)
    yield reached, release
    release.set()


def start_export(qtbot, folder, target, monkeypatch) -> AppointmentsTab:
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 700)
    tab.set_folder(folder)
    tab.show()
    qtbot.waitExposed(tab)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PDF files (*.pdf)"))
    qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    assert tab.export_job is not None
    return tab


def test_cancel_in_the_progress_dialog_leaves_nothing_at_the_target(qtbot, demo_folder, tmp_path, monkeypatch,
                                                                    held_layout) -> None:
    reached, release = held_layout
    target = tmp_path / "out" / "notes.pdf"
    target.parent.mkdir()
    tab = start_export(qtbot, demo_folder, target, monkeypatch)
    op = tab.export_job
    assert reached.wait(10)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in tab.findChildren(QProgressDialog)), timeout=5000)
    [dialog] = [d for d in tab.findChildren(QProgressDialog) if d.isVisible()]
    assert dialog.objectName() == "operationProgress"
    [cancel] = [b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel"]
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    told: list[str] = []  # a tab on its own has no status bar: the cancel is said in a box
    errors = on_next_dialog(lambda box: (told.append(box.text()), box.accept()))
    release.set()
    qtbot.waitUntil(lambda: op.done and bool(told), timeout=30_000)
    assert errors == []
    assert "nothing" in told[0].lower()
    assert op.error is not None and type(op.error).__name__ == "Cancelled"
    assert list(target.parent.iterdir()) == []  # neither the file nor a temporary one
    assert tab.export_button.isEnabled()


def test_a_change_being_saved_does_not_wait_for_the_export(qtbot, demo_folder, tmp_path, monkeypatch,
                                                          held_layout) -> None:
    reached, release = held_layout
    target = tmp_path / "notes.pdf"
    tab = start_export(qtbot, demo_folder, target, monkeypatch)
    op = tab.export_job
    assert reached.wait(10)
    saved: list[str] = []
    write = jobs.start_job(lambda _control: "saved", saved.append, lambda exc: saved.append(repr(exc)), writes=True)
    try:
        qtbot.waitUntil(lambda: saved == ["saved"], timeout=5000)  # the writer is free while the export runs
    finally:
        release.set()
    qtbot.waitUntil(lambda: op.done and write.done, timeout=30_000)
    assert op.error is None and target.read_bytes().startswith(b"%PDF-")
