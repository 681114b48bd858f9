"""A document that names another patient (or another date of birth) than the profile is flagged: a mark and its
sentence in the Records list, a banner in the detail pane, and a mark in the packet dialog's list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from secondopinion_desktop.core import profile as profiles
from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.documents.model import PageText, ReadResult
from secondopinion_desktop.ui import reading
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.model import PROBLEMS_ROLE, Column

JOHN = 'This document names "John Smith", not Maria Lopez.'
JOHN_BORN = "This document gives the date of birth 4 May 1960; the profile says 14 Mar 1968."


def attach_read(folder, tmp_path: Path, title: str, text: str):
    path = tmp_path / f"{title}.pdf"
    path.write_text(text)  # distinct content per file
    record = svc.create_record_with_files(folder, "pathology", title, [path])
    pages = tuple(PageText(n, body) for n, body in enumerate(text.split("\f"), start=1))
    index.store_result(folder, record.attachments[0].sha256, ReadResult(pages, len(pages)))
    return record


@pytest.fixture
def case(folder, tmp_path):
    profiles.save_profile(folder, name="Maria Lopez", date_of_birth=dt.date(1968, 3, 14))
    mine = attach_read(folder, tmp_path, "Core biopsy", "Patient: LOPEZ, MARIA\nDOB: 03/14/1968\nHER2 negative")
    fax = attach_read(folder, tmp_path, "Faxed pathology",
                      "Patient: LOPEZ, MARIA\nDOB: 03/14/1968\fPatient: John Smith\nDOB: 05/04/1960")
    return {"mine": mine.id, "fax": fax.id}


@pytest.fixture
def window(qtbot, folder, case, monkeypatch):
    monkeypatch.setattr(reading, "START_DELAY_MS", 60_000)  # every file is read already
    w = MainWindow(folder)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.records_tab)
    return w


def title_cell(tab, record_id: int):
    return tab.model.index(tab.model.row_of(record_id), Column.TITLE)


def test_the_list_and_the_detail_pane_flag_a_document_naming_someone_else(qtbot, window, case,
                                                                          screenshot) -> None:
    tab = window.records_tab
    fax, mine = title_cell(tab, case["fax"]), title_cell(tab, case["mine"])
    assert fax.data(Qt.ItemDataRole.DecorationRole) is not None, "a warning mark in the title cell"
    assert mine.data(Qt.ItemDataRole.DecorationRole) is None
    assert fax.data(PROBLEMS_ROLE) == [JOHN, JOHN_BORN]
    tip = fax.data(Qt.ItemDataRole.ToolTipRole)
    assert '"John Smith"' in tip
    assert "not Maria Lopez" in tip and "4 May 1960" in tip
    rect = tab.table.visualRect(fax)
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    banner = tab.detail.identity_banner
    assert banner.isVisible()
    assert banner.text() == f"⚠ {JOHN}\n⚠ {JOHN_BORN}"
    screenshot(window, "documents-identity-detail")
    rect = tab.table.visualRect(mine)
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert not banner.isVisible()


def test_the_marks_follow_the_profile_and_documents_read_later(qtbot, window, case, folder, tmp_path) -> None:
    tab = window.records_tab
    profiles.save_profile(folder, name="John Smith", date_of_birth=dt.date(1960, 5, 4))
    announce(Changes.PROFILE)  # as the profile dialog does
    assert title_cell(tab, case["mine"]).data(PROBLEMS_ROLE) != []
    profiles.save_profile(folder, name="Maria Lopez", date_of_birth=dt.date(1968, 3, 14))
    announce(Changes.PROFILE)
    assert title_cell(tab, case["mine"]).data(PROBLEMS_ROLE) == []

    path = tmp_path / "later.pdf"
    path.write_text("later")
    later = svc.create_record_with_files(folder, "lab", "Blood count", [path])
    announce(Changes.RECORDS | Changes.ATTACHMENTS)
    assert title_cell(tab, later.id).data(PROBLEMS_ROLE) == []
    index.store_result(folder, later.attachments[0].sha256,
                       ReadResult((PageText(1, "Patient Name: Jane Doe   DOB: 01/02/1970"),), 1))
    announce(Changes.DOCUMENT_TEXT)  # as the background reader does
    assert title_cell(tab, later.id).data(PROBLEMS_ROLE)[0] == 'This document names "Jane Doe", not Maria Lopez.'


def test_the_packet_dialog_marks_the_records_that_may_not_be_the_patient_s(qtbot, folder, case, screenshot) -> None:
    from secondopinion_desktop.ui.packet.dialog import IDENTITY_ROLE, PacketDialog

    dialog = PacketDialog(folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    fax, mine = dialog._items[case["fax"]], dialog._items[case["mine"]]
    assert fax.data(0, IDENTITY_ROLE) == [JOHN, JOHN_BORN]
    assert not fax.icon(0).isNull() and mine.icon(0).isNull()
    assert "not Maria Lopez" in fax.toolTip(0)
    note = dialog.identity_note
    assert note.isVisible() and note.text().startswith("⚠ 1 record may not be the patient's: " + JOHN)
    screenshot(dialog, "documents-identity-packet")
    job = dialog.build()
    qtbot.waitUntil(lambda: job.done, timeout=120_000)
    assert "Check before sending: 1 record in it may not be the patient's" in dialog.status.text()
    dialog.set_record_checked(case["fax"], False)
    job = dialog.build()
    qtbot.waitUntil(lambda: job.done, timeout=120_000)
    assert "Check before sending" not in dialog.status.text()
