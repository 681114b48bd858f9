"""A record imported from a portal reads as a document in the Records detail pane: its sections with headings and
its results as a table, drawn by our own code; markup in the document shows as the characters it was, and nothing
in it is ever loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.ccda_samples import ccd, note_section
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextTable

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.portal import importer
from secondopinion_desktop.core.portal.package import read_path
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.document_view import DocumentView

MARKUP = ("Return in 3 weeks. <b>x</b> <img src=http://example.com/track.png> "
          "<script>alert('hi')</script> <a href=http://example.com/>here</a>")


@pytest.fixture
def imported(folder, tmp_path):
    """Jane Doe's folder with one CCD imported (its plan of treatment full of markup) and a record typed by hand."""
    with folder.session() as s:
        save_profile(s, name="Jane Doe", date_of_birth=dt.date(1970, 1, 1))
        svc.create_record(s, RecordKind.OTHER, "Insurance card")
    path = tmp_path / "DOC0001.XML"
    path.write_bytes(ccd(patient_name="Jane Doe", birth="19700101",
                         extra_sections=[note_section("Plan of treatment", "18776-5", None, MARKUP)]))
    result = importer.import_package(folder, read_path(path))
    return folder, result


@pytest.fixture
def window(qtbot, imported):
    folder, _result = imported
    w = MainWindow(folder)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.records_tab)
    return w


def click_record(qtbot, tab, title: str) -> None:
    model = tab.model
    [row] = [r for r in range(model.rowCount()) if model.row_data(model.record_id(r)).title == title]
    table = tab.table
    index = model.index(row, 1)
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    qtbot.waitUntil(lambda: tab.current_record is not None and tab.current_record.title == title)


def click_page(qtbot, pane, index: int) -> None:
    bar = pane.page_tabs
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def tables(document) -> list[list[list[str]]]:
    """Every table of the page, as rows of cell text."""
    found = []
    frames = [document.rootFrame()]
    while frames:
        frame = frames.pop(0)
        if isinstance(frame, QTextTable):
            found.append([[frame.cellAt(r, c).firstCursorPosition().block().text()
                           for c in range(frame.columns())] for r in range(frame.rows())])
        frames.extend(frame.childFrames())
    return found


def test_an_imported_record_shows_its_document_with_sections_and_a_results_table(qtbot, window, screenshot) -> None:
    tab = window.records_tab
    pane = tab.detail
    click_record(qtbot, tab, "Complete blood count, 12 Mar 2024")
    assert pane.page_tabs.isVisible(), "an imported record has a Document page"
    assert pane.stack.currentWidget() is pane.scroll, "the details come first"
    click_page(qtbot, pane, 1)
    view = pane.document_view
    assert pane.stack.currentWidget() is view and view.isVisible()
    text = view.toPlainText()
    assert "Complete blood count" in text and "Results" in text
    [results] = [t for t in tables(view.document()) if t and t[0][0] == "Test"]
    assert results[0] == ["Test", "Value", "Unit", "Reference range", "Flag", "When"]
    assert results[1][:3] == ["Hemoglobin", "13.2", "g/dL"]
    assert results[2][0] == "Leukocytes" and results[2][1:3] == ["11.8", "10*3/uL"] and results[2][4] == "High"
    screenshot(window, "portal-view-results")

    click_record(qtbot, tab, "Continuity of Care Document, 12 Mar 2024")
    assert pane.stack.currentWidget() is view, "going to another imported record stays on its document"
    text = view.toPlainText()
    assert "Plan of treatment" in text and "Medications" in text and "Allergies" in text
    assert "Anastrozole 1 MG Oral Tablet" in text
    assert len(tables(view.document())) >= 3, "problems, medications and allergies as tables"
    screenshot(window, "portal-view-document")

    click_page(qtbot, pane, 0)
    assert pane.stack.currentWidget() is pane.scroll
    click_record(qtbot, tab, "Insurance card")
    assert not pane.page_tabs.isVisible(), "a record typed by hand has no Document page"
    assert pane.stack.currentWidget() is pane.scroll


def test_markup_in_a_document_is_literal_text_and_nothing_is_loaded(qtbot, window) -> None:
    tab = window.records_tab
    pane = tab.detail
    click_record(qtbot, tab, "Continuity of Care Document, 12 Mar 2024")
    click_page(qtbot, pane, 1)
    view = pane.document_view
    qtbot.waitExposed(view)
    text = view.toPlainText()
    assert "<b>x</b>" in text
    assert "<img src=http://example.com/track.png>" in text
    assert "<script>alert('hi')</script>" in text
    assert "<a href=http://example.com/>here</a>" in text
    document = view.document()
    fragments = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragments.append(it.fragment().charFormat())
            it += 1
        block = block.next()
    assert not any(f.isImageFormat() for f in fragments), "no image in the page"
    assert not any(f.isAnchor() for f in fragments), "no link in the page"
    assert view.resource_requests == 0
    assert not view.openLinks() and not view.openExternalLinks() and view.isReadOnly()


def test_the_view_loads_nothing_even_when_a_page_names_a_file_on_this_computer(qtbot, tmp_path) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QColor, QImage, QTextDocument

    picture = tmp_path / "picture.png"
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    assert image.save(str(picture))
    url = QUrl.fromLocalFile(str(picture))
    view = DocumentView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_page(f"<p>before</p><img src='{url.toString()}'><img src='http://example.com/x.png'>")
    view.grab()  # laid out and painted, as on screen
    qtbot.waitUntil(lambda: view.resource_requests >= 2)
    shown = view.document().resource(QTextDocument.ResourceType.ImageResource, url)
    assert shown is not None and shown.width() <= 1 and shown.height() <= 1, "the file was not read"
    assert "before" in view.toPlainText()


def test_the_document_page_fits_at_the_window_size_and_reads_well(qtbot, window, screenshot) -> None:
    tab = window.records_tab
    pane = tab.detail
    click_record(qtbot, tab, "Complete blood count, 12 Mar 2024")
    click_page(qtbot, pane, 1)
    view = pane.document_view
    assert view.width() >= 240 and view.height() >= 200
    assert pane.page_tabs.tabRect(1).right() <= pane.width()
    screenshot(window, "portal-view-window")


def test_the_document_opens_in_a_window_of_its_own(qtbot, window, screenshot) -> None:
    from secondopinion_desktop.ui.records.document_view import DocumentWindow

    tab = window.records_tab
    pane = tab.detail
    click_record(qtbot, tab, "Continuity of Care Document, 12 Mar 2024")
    assert pane.larger_button.isVisible()
    qtbot.mouseClick(pane.larger_button, Qt.MouseButton.LeftButton)
    [opened] = [w for w in pane.findChildren(DocumentWindow) if w.isVisible()]
    qtbot.waitExposed(opened)
    assert opened.windowTitle() == "Continuity of Care Document, 12 Mar 2024"
    assert "Plan of treatment" in opened.view.toPlainText() and "<b>x</b>" in opened.view.toPlainText()
    assert opened.view.openLinks() is False and opened.view.resource_requests == 0
    screenshot(opened, "portal-view-window-of-its-own")
    qtbot.mouseClick(opened.close_button, Qt.MouseButton.LeftButton)
    assert not opened.isVisible()
    click_record(qtbot, tab, "Insurance card")
    assert not pane.larger_button.isVisible()
