"""The Records tab and the window's one change notice: what the tab changes it announces, as its initiator;
what others change it shows (at once while shown, when next shown while hidden)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Qt

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.directory import get_or_create_facility, update_facility
from secondopinion_desktop.ui.events import Changes, announce, notice
from secondopinion_desktop.ui.main_window import MainWindow


def shown_window(qtbot, folder) -> MainWindow:
    w = MainWindow(folder)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.records_tab)
    return w


def heard(qtbot) -> list[tuple[Changes, object]]:
    said: list[tuple[Changes, object]] = []
    notice().changed.connect(lambda changes, initiator: said.append((changes, initiator)))
    return said


def add(folder, kind: str, title: str, **fields):
    with folder.session() as session:
        return svc.create_record(session, kind, title, **fields)


def titles(tab) -> set[str]:
    return {tab.model.row_data(tab.model.record_id(r)).title for r in range(tab.model.rowCount())}


def test_a_change_made_elsewhere_reloads_the_tab_now_when_shown_and_on_show_when_hidden(qtbot, folder) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    other = QObject()  # the guidance tab, an imaging import… anything but the records tab
    add(folder, "lab", "CBC")
    announce(Changes.RECORDS, other)
    assert titles(tab) == {"CBC"}, "shown: reloaded at once"
    assert tab.current_record is not None and tab.current_record.title == "CBC"

    window.tabs.setCurrentWidget(window.guidance_tab)
    qtbot.waitUntil(lambda: not tab.isVisible())
    add(folder, "imaging", "CT chest")
    announce(Changes.ATTACHMENTS, other)
    assert titles(tab) == {"CBC"}, "hidden: not read again yet"
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(tab.isVisible)
    assert titles(tab) == {"CBC", "CT chest"}, "shown again: reloaded"


def test_the_record_shown_stays_when_another_tab_changes_it(qtbot, folder) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    first = add(folder, "lab", "CBC")
    add(folder, "lab", "CMP")
    tab.reload()
    assert tab.select_record(first.id)
    with folder.session() as session:
        svc.set_status(session, first.id, "requested")
    announce(Changes.RECORDS, QObject())
    assert tab.current_record.id == first.id
    assert tab.current_record.status.value == "requested"


def test_a_renamed_facility_shows_in_the_detail_pane(qtbot, folder) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    record = add(folder, "lab", "CBC", facility="Samplewood Clinic")
    tab.reload()
    assert tab.detail.field_labels["facility"].text() == "Samplewood Clinic"
    with folder.session() as session:
        update_facility(session, get_or_create_facility(session, "Samplewood Clinic").id, name="Samplewood Hospital")
    announce(Changes.DIRECTORY, QObject())
    assert tab.current_record.id == record.id
    assert tab.detail.field_labels["facility"].text() == "Samplewood Hospital"


def test_the_tab_announces_its_own_changes(qtbot, folder, tmp_path: Path) -> None:
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    record = add(folder, "lab", "CBC")
    tab.reload()
    said = heard(qtbot)
    tab.next_action.trigger()
    assert said == [(Changes.RECORDS, tab)]

    source = tmp_path / "cbc.pdf"
    source.write_bytes(b"%PDF-1.4\n" + os.urandom(2000))
    said.clear()
    job = tab.attach_files([(record.id, source)])
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    assert said == [(Changes.ATTACHMENTS | Changes.RECORDS, tab)]

    said.clear()
    window.activateWindow()  # the Edit menu's shortcut works in the active window, where the person types
    qtbot.waitUntil(window.isActiveWindow)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the status step
    assert said == [(Changes.RECORDS, tab)]
    with folder.session() as session:
        assert svc.get_record(session, record.id).status.value == "needed"


def test_after_the_folder_is_closed_and_set_again_the_tab_still_hears_changes(qtbot, folder, monkeypatch) -> None:
    """A restore closes the folder (the tab's ``shutdown``) and sets it again: changes made elsewhere still show,
    and setting the folder again does not make the tab read the inventory twice per change."""
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    record = add(folder, "lab", "CBC", facility="Samplewood Clinic")
    tab.reload()
    tab.shutdown()
    tab.set_folder(folder)
    tab.set_folder(folder)
    assert tab.detail.field_labels["facility"].text() == "Samplewood Clinic"
    with folder.session() as session:
        update_facility(session, get_or_create_facility(session, "Samplewood Clinic").id, name="Samplewood Hospital")
    reads: list[object] = []
    real = svc.list_record_rows
    monkeypatch.setattr(svc, "list_record_rows", lambda *a, **k: reads.append(a) or real(*a, **k))
    announce(Changes.DIRECTORY, QObject())
    assert tab.current_record.id == record.id
    assert tab.detail.field_labels["facility"].text() == "Samplewood Hospital"
    assert len(reads) == 1, "one watcher: one reading of the inventory per change"
