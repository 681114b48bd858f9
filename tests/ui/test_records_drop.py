"""Files dropped on empty space in the inventory: every record with its file in one transaction (as the command
line adds a record), one undo step, and a cancel that leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.errors import NotFoundError
from secondopinion_desktop.ui.events import Changes, notice
from secondopinion_desktop.ui.main_window import MainWindow


def shown_window(qtbot, folder) -> MainWindow:
    w = MainWindow(folder)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.records_tab)
    return w


def drop_on_empty_space(tab, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(QPoint(5, tab.table.viewport().height() - 5))
    tab.table.dropEvent(QDropEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                   Qt.KeyboardModifier.NoModifier))


def titles(folder) -> list[str]:
    with folder.session() as session:
        return sorted(r.title for r in svc.list_records(session))


def test_dropped_files_become_records_in_one_undo_step(qtbot, folder, tmp_path) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    files = [tmp_path / "CT_chest_report.pdf", tmp_path / "tumor markers.pdf"]
    for path in files:
        path.write_bytes(b"%PDF-1.4 " + path.name.encode())
    errors = on_next_dialog(lambda dialog: dialog.accept())
    drop_on_empty_space(tab, files)
    qtbot.waitUntil(lambda: tab.last_job is not None and tab.last_job.done, timeout=10_000)
    assert errors == []
    assert titles(folder) == ["CT chest report", "tumor markers"]
    assert tab.model.rowCount() == 2
    assert tab.undo_stack.count() == 1 and tab.undo_stack.undoText() == "Add 2 records from files"

    window.undo_action.trigger()
    assert titles(folder) == [] and tab.model.rowCount() == 0
    window.redo_action.trigger()
    assert titles(folder) == ["CT chest report", "tumor markers"]
    with folder.session() as session:
        assert all(len(r.attachments) == 1 for r in svc.list_records(session))


def test_cancelling_a_drop_adds_no_record_and_no_file(qtbot, folder, tmp_path) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    small = tmp_path / "report.pdf"
    small.write_bytes(b"%PDF-1.4 small report")
    big = tmp_path / "images.zip"
    with open(big, "wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: 300 MB to copy
    errors = on_next_dialog(lambda dialog: dialog.accept())
    drop_on_empty_space(tab, [small, big])
    qtbot.waitUntil(lambda: tab.last_job is not None, timeout=5000)
    assert errors == []
    tab.last_job.cancel()
    qtbot.waitUntil(lambda: tab.last_job.done, timeout=30_000)
    assert tab.last_notice == "Cancelled: no record was added."
    assert titles(folder) == []
    assert list(folder.vault.stored()) == []
    assert tab.undo_stack.count() == 0


@pytest.fixture
def said():
    """Every change notice said while the test runs: (kinds, initiator)."""
    heard: list[tuple[Changes, object]] = []

    def hear(changes: Changes, initiator: object) -> None:
        heard.append((changes, initiator))

    notice().changed.connect(hear)
    yield heard
    notice().changed.disconnect(hear)


def drop_two_files(qtbot, tab, tmp_path) -> None:
    files = [tmp_path / "CT_chest_report.pdf", tmp_path / "tumor markers.pdf"]
    for path in files:
        path.write_bytes(b"%PDF-1.4 " + path.name.encode())
    errors = on_next_dialog(lambda dialog: dialog.accept())
    drop_on_empty_space(tab, files)
    qtbot.waitUntil(lambda: tab.last_job is not None and tab.last_job.done, timeout=10_000)
    assert errors == []
    assert titles(tab.folder) == ["CT chest report", "tumor markers"]


def test_a_drop_and_its_undo_and_redo_are_each_announced_once(qtbot, folder, tmp_path, said) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    drop_two_files(qtbot, tab, tmp_path)
    assert said == [(Changes.RECORDS | Changes.ATTACHMENTS, tab)], "the records and their files, said once"
    assert tab.model.rowCount() == 2

    said.clear()
    window.undo_action.trigger()
    assert said == [(Changes.RECORDS | Changes.ATTACHMENTS, tab)]
    said.clear()
    window.redo_action.trigger()
    assert said == [(Changes.RECORDS | Changes.ATTACHMENTS, tab)]
    assert tab.model.rowCount() == 2


def test_an_undo_that_fails_midway_keeps_every_record_and_can_be_tried_again(
        qtbot, folder, tmp_path, monkeypatch) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    drop_two_files(qtbot, tab, tmp_path)
    second = max(tab.model.record_id(r) for r in range(tab.model.rowCount()))
    stored = set(folder.vault.stored())
    real_data = svc.record_data
    failing = [True]

    def data(record):  # the second record cannot be taken away, once (its snapshot is made as it goes)
        if record.id == second and failing[0]:
            failing[0] = False
            raise NotFoundError("The record could not be removed.")
        return real_data(record)

    monkeypatch.setattr(svc, "record_data", data)
    shown: list[str] = []
    errors = on_next_dialog(lambda box: (shown.append(box.text()), box.accept()))
    window.undo_action.trigger()
    assert errors == [] and shown == ["The record could not be removed."]
    assert titles(folder) == ["CT chest report", "tumor markers"], "nothing was taken away"
    assert set(folder.vault.stored()) == stored
    qtbot.waitUntil(lambda: tab.undo_stack.canUndo(), timeout=5000)
    assert tab.undo_stack.index() == 1 and tab.undo_stack.undoText() == "Add 2 records from files"
    assert tab.model.rowCount() == 2

    window.undo_action.trigger()  # tried again, it works
    assert titles(folder) == [] and tab.model.rowCount() == 0
    window.redo_action.trigger()
    assert titles(folder) == ["CT chest report", "tumor markers"]
