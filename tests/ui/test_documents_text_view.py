"""The Text tab beside the preview: the selected file's text page by page, how it was read, and Read again."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.documents.model import BY_OCR, BY_TEXT, PENDING, PageText, ReadResult
from secondopinion_desktop.ui import reading
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.detail import TEXT_TAB

PASSWORD = "It is protected by a password, so its text cannot be read."


class FileTextReader:
    """Reads the text a test wrote into the file, pages split on form feeds."""

    def read(self, path: Path, media_type: str, *, cancelled=None) -> ReadResult:
        pages = path.read_text().split("\f")
        return ReadResult(tuple(PageText(i, t, BY_TEXT) for i, t in enumerate(pages, start=1)), len(pages))

    def close(self) -> None:
        pass


@pytest.fixture
def window(qtbot, folder, monkeypatch):
    monkeypatch.setattr(reading, "reader_factory", FileTextReader)
    monkeypatch.setattr(reading, "START_DELAY_MS", 60_000)  # each test says when reading starts

    def open_it() -> MainWindow:
        window = MainWindow(folder)
        qtbot.addWidget(window)
        window.resize(1280, 720)
        window.show()
        qtbot.waitExposed(window)
        window.tabs.setCurrentWidget(window.records_tab)
        return window

    return open_it


def attach(folder, tmp_path: Path, title: str, name: str, body: str):
    path = tmp_path / title / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return svc.create_record_with_files(folder, "pathology", title, [path])


def open_text_tab(qtbot, tab, title: str):
    model = tab.model
    [row] = [r for r in range(model.rowCount()) if model.index(r, 1).data() == title]
    rect = tab.table.visualRect(model.index(row, 1))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    pane = tab.detail
    bar = pane.file_tabs.tabBar()
    pane.scroll.ensureWidgetVisible(bar)  # as the person scrolls down to the tabs
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(TEXT_TAB).center())
    assert pane.file_tabs.currentIndex() == TEXT_TAB
    viewport = pane.scroll.viewport()

    def text_in_sight() -> bool:
        top = pane.text_view.mapTo(viewport, pane.text_view.rect().topLeft()).y()
        bottom = top + pane.text_view.height()
        return top >= 0 and (bottom <= viewport.height() or top < viewport.height() // 2)

    qtbot.waitUntil(text_in_sight)  # the pane scrolls to the text
    return pane.text_view


def test_the_text_tab_shows_the_pages_says_how_they_were_read_and_copies(qtbot, folder, tmp_path, window,
                                                                        screenshot) -> None:
    record = attach(folder, tmp_path, "Biopsy", "scan.pdf", "ignored")
    index.store_result(folder, record.attachments[0].sha256, ReadResult((
        PageText(1, "SURGICAL PATHOLOGY REPORT\nSpecimen: left breast core biopsy", BY_OCR),
        PageText(2, "Diagnosis: invasive ductal carcinoma <grade 2> & DCIS", BY_OCR),
        PageText(3, "Ki-67 22 %", BY_OCR)), 3))
    w = window()
    view = open_text_tab(qtbot, w.records_tab, "Biopsy")
    assert view.state_label.text() == "Text read from 3 pages (recognised from the picture)."
    text = view.plain_text()
    assert text.index("Page 1") < text.index("SURGICAL PATHOLOGY") < text.index("Page 2") < text.index("Page 3")
    assert "invasive ductal carcinoma <grade 2> & DCIS" in text, "the text as written, never markup"
    assert view.read_again_button.isVisible()
    assert view.text.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    view.text.setFocus()
    qtbot.keySequence(view.text, QKeySequence.StandardKey.SelectAll)
    qtbot.keySequence(view.text, QKeySequence.StandardKey.Copy)
    assert "Specimen: left breast core biopsy" in QApplication.clipboard().text()
    screenshot(w, "documents-text-tab")


def test_a_file_waiting_says_so_and_a_failed_one_gives_its_reason_and_is_read_again(qtbot, folder, tmp_path,
                                                                                   window) -> None:
    waiting = attach(folder, tmp_path, "Fax", "fax.pdf", "Pending")
    locked = attach(folder, tmp_path, "Locked", "locked.pdf", "Oncotype DX\fRecurrence score 18")
    index.mark_failed(folder, locked.attachments[0].sha256, PASSWORD)
    w = window()
    tab = w.records_tab
    view = open_text_tab(qtbot, tab, "Fax")
    assert view.state_label.text() == "Waiting to be read."
    assert not view.read_again_button.isVisible() and not view.text.isVisible()

    view = open_text_tab(qtbot, tab, "Locked")
    assert view.state_label.text() == PASSWORD
    assert view.read_again_button.isVisible()
    with qtbot.waitSignal(w.reading.passEnded, timeout=10_000):  # queued again: the background reader reads it
        qtbot.mouseClick(view.read_again_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.state_label.text() == "Waiting to be read.")
    qtbot.waitUntil(lambda: view.state_label.text() == "Text read from 2 pages.", timeout=5000)
    assert "Recurrence score 18" in view.plain_text()
    state = index.document_state(folder, waiting.attachments[0].sha256)
    assert state is not None and state.state != PENDING, "the waiting file was read in the same pass"


def test_a_very_long_file_shows_its_first_pages_and_says_how_many_it_has(qtbot, folder, tmp_path, window,
                                                                         monkeypatch) -> None:
    from secondopinion_desktop.ui.records import text_view

    record = attach(folder, tmp_path, "Chart", "chart.pdf", "ignored")
    pages = tuple(PageText(n, f"page body {n}", BY_TEXT) for n in range(1, 2001))
    index.store_result(folder, record.attachments[0].sha256, ReadResult(pages, 2000))
    asked: list[object] = []
    real = index.pages_of

    def counted(*args, **kwargs):
        asked.append(kwargs.get("limit", args[2] if len(args) > 2 else None))
        return real(*args, **kwargs)

    monkeypatch.setattr(index, "pages_of", counted)
    w = window()
    view = open_text_tab(qtbot, w.records_tab, "Chart")
    assert asked and all(limit == text_view.PAGES_SHOWN + 1 for limit in asked)  # only what is shown is read
    text = view.plain_text()
    assert f"Page {text_view.PAGES_SHOWN}" in text and f"Page {text_view.PAGES_SHOWN + 1}\n" not in text
    assert f"The first {text_view.PAGES_SHOWN} of 2,000 pages are shown here" in text
