"""The Records search box finds words in the documents' text as well as in the typed fields, and says where:
the list's tooltip, the detail pane's snippet and its Open at page button."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QToolTip

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.documents.model import BY_OCR, BY_TEXT, PageText, ReadResult
from secondopinion_desktop.ui import reading
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.model import HIT_ROLE, Column


def pdf_file(path: Path, pages: list[str]) -> Path:
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path))
    for body in pages:
        canvas.drawString(72, 720, body[:80])
        canvas.showPage()
    canvas.save()
    return path


def with_text(folder, record, pages: list[str], method: str = BY_TEXT) -> None:
    """Store a file's text as the reader would have."""
    [attachment] = record.attachments
    result = ReadResult(tuple(PageText(i, t, method) for i, t in enumerate(pages, start=1)), len(pages))
    index.store_result(folder, attachment.sha256, result)


@pytest.fixture
def case(folder, tmp_path):
    """Three records: a pathology report whose PDF says HER2 on page 2 (its typed fields do not), a lab report
    typed with "HER2" in its summary and no file, and a photographed note whose text is not read yet."""
    biopsy_pages = ["Surgical pathology report. Invasive ductal carcinoma, grade 2.",
                    "Receptors: ER positive, PR positive, HER2 negative (IHC 1+). Ki-67 22 %. <b>not bold</b>"]
    biopsy = svc.create_record_with_files(
        folder, "pathology", "Core biopsy", [pdf_file(tmp_path / "report.pdf", biopsy_pages)])
    with_text(folder, biopsy, biopsy_pages)
    lab = svc.create_record(folder, "lab", "Tumour markers", summary="HER2 retest asked for")
    note_path = tmp_path / "note.txt"
    note_path.write_text("call back")
    note = svc.create_record_with_files(folder, "clinical", "Phone note", [note_path])
    with_text(folder, note, ["Oncologist asked for an Oncotype DX test on the biopsy."], BY_OCR)
    return {"biopsy": biopsy.id, "lab": lab.id, "note": note.id}


@pytest.fixture
def window(qtbot, folder, case, monkeypatch):
    monkeypatch.setattr(reading, "START_DELAY_MS", 60_000)  # nothing is waiting; the reader stays out of it
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.records_tab)
    return window


def shown_ids(tab) -> set[int]:
    return {tab.model.record_id(r) for r in range(tab.model.rowCount())}


def title_cell(tab, record_id: int):
    return tab.model.index(tab.model.row_of(record_id), Column.TITLE)


def test_typing_finds_a_record_by_its_document_text_and_the_tooltip_says_where(qtbot, window, case,
                                                                             screenshot) -> None:
    tab = window.records_tab
    assert "documents" in tab.search.placeholderText()
    qtbot.keyClicks(tab.search, "k")
    assert shown_ids(tab) == {case["lab"]}, "one letter filters the typed fields only (Tumour markers)"
    qtbot.keyClicks(tab.search, "i-6")  # a word still being typed
    assert shown_ids(tab) == {case["biopsy"]}, "found only by the text of its PDF"
    tab.search.clear()
    qtbot.keyClicks(tab.search, "her2")
    assert shown_ids(tab) == {case["biopsy"], case["lab"]}, "the typed fields still count"
    cell = title_cell(tab, case["biopsy"])
    tip = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "Core biopsy" in tip
    assert "Found on page 2 of report.pdf:" in tip
    assert "<b>HER2</b>" in tip
    assert "&lt;b&gt;not bold" in tip and "<b>not bold" not in tip, "the document's own markup is text"
    assert title_cell(tab, case["lab"]).data(HIT_ROLE) is None, "the lab report matched by its summary"
    assert "Found on" not in title_cell(tab, case["lab"]).data(Qt.ItemDataRole.ToolTipRole)
    assert "Showing 2 of 3" in tab.summary.text()
    screenshot(window, "documents-search-hit")
    # the tooltip as hovering shows it
    rect = tab.table.visualRect(cell)
    QToolTip.showText(tab.table.viewport().mapToGlobal(rect.center()), tip, tab.table.viewport())
    qtbot.waitUntil(QToolTip.isVisible)
    [label] = [w for w in QApplication.topLevelWidgets() if w.inherits("QTipLabel") and w.isVisible()]
    assert "HER2" in label.text()
    screenshot(label, "documents-search-tooltip")
    QToolTip.hideText()


def test_diacritics_and_case_do_not_matter_and_clearing_shows_everything(qtbot, window, case) -> None:
    tab = window.records_tab
    qtbot.keyClicks(tab.search, "ONCOTYPE")
    assert shown_ids(tab) == {case["note"]}
    tab.search.clear()
    assert shown_ids(tab) == set(case.values())
    assert all(tab.model.index(r, Column.TITLE).data(HIT_ROLE) is None for r in range(tab.model.rowCount()))


def test_the_detail_pane_shows_the_snippet_and_opens_the_pdf_at_its_page(qtbot, window, case, screenshot) -> None:
    from secondopinion_desktop.ui.records.preview import PdfPageWindow

    tab = window.records_tab
    qtbot.keyClicks(tab.search, "ki-67")
    assert tab.current_record is not None and tab.current_record.id == case["biopsy"]
    pane = tab.detail
    assert pane.found_box.isVisible()
    assert pane.found_label.text().startswith("Found on page 2 of report.pdf:")
    assert "<b>Ki-67</b> 22 %" in pane.found_label.text()
    assert pane.open_at_page_button.text() == "Open at page 2"
    screenshot(window, "documents-search-detail")
    qtbot.mouseClick(pane.open_at_page_button, Qt.MouseButton.LeftButton)
    [viewer] = [w for w in pane.window().findChildren(PdfPageWindow) if w.isVisible()]
    qtbot.waitExposed(viewer)
    qtbot.waitUntil(lambda: viewer.first_visible_page() == 2)
    assert viewer.where.text() == "Page 2 of 2"
    screenshot(viewer, "documents-open-at-page")
    viewer.close()

    tab.search.clear()
    assert not pane.found_box.isVisible(), "no search, nothing found"


def test_a_file_the_app_cannot_show_at_a_page_opens_in_the_system_viewer_and_the_page_is_said(
        qtbot, window, case, monkeypatch) -> None:
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    tab = window.records_tab
    qtbot.keyClicks(tab.search, "oncotype")
    pane = tab.detail
    assert pane.open_at_page_button.text() == "Open at page 1"
    qtbot.mouseClick(pane.open_at_page_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1 and opened[0].endswith("note.txt")
    assert window.statusBar().currentMessage() == "Opened note.txt: the words are on page 1."


def test_text_read_while_a_search_is_typed_shows_the_new_record(qtbot, window, case, folder, tmp_path) -> None:
    from secondopinion_desktop.ui.events import Changes, announce

    tab = window.records_tab
    qtbot.keyClicks(tab.search, "mammaprint")
    assert shown_ids(tab) == set()
    path = tmp_path / "later.txt"
    path.write_text("x")
    record = svc.create_record_with_files(folder, "molecular", "Genomic test", [path])
    announce(Changes.RECORDS | Changes.ATTACHMENTS)
    with_text(folder, record, ["MammaPrint: low risk."])
    announce(Changes.DOCUMENT_TEXT)  # as the background reader does when a file is read
    assert shown_ids(tab) == {record.id}
