"""The portal import and the Document page as a patient meets them: a long document drawn once per record, markup
in a download's words never drawn as markup, the Document tab whole on a scaled screen, words that say what
happened, Tab through visible controls only, a download dropped anywhere on the pane, an import that finished as
the dialog was closed, and undo and redo of a whole import at once."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
from helpers.ccda_samples import ccd
from helpers.xdm_samples import doc_names, visits, write_xdm
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QHelpEvent, QTextDocument
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QFileDialog, QMessageBox, QToolTip

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.portal import importer
from secondopinion_desktop.core.portal import view as portal_view
from secondopinion_desktop.core.portal.package import read_path
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.document_view import DocumentWindow
from secondopinion_desktop.ui.records.model import Column
from secondopinion_desktop.ui.records.portal_import import PortalImportDialog
from secondopinion_desktop.ui.records.portal_rows import PlannedRecordsModel

CCD_TITLE = "Continuity of Care Document, 12 Mar 2024"
PANEL_TITLE = "Complete blood count, 12 Mar 2024"


# --- set-up and what a user does ----------------------------------------------------------------------------


@pytest.fixture
def alex(folder):
    with folder.session() as s:
        save_profile(s, name="Alex Sample", date_of_birth=dt.date(1970, 1, 1))
    return folder


def open_window(qtbot, folder) -> MainWindow:
    w = MainWindow(folder)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.records_tab)
    return w


def write_ccd(path: Path, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ccd(**options))
    return path


def imported_window(qtbot, folder, tmp_path) -> MainWindow:
    """Alex's folder with one CCD imported (a document record and its panel) and a record typed by hand."""
    with folder.session() as s:
        svc.create_record(s, RecordKind.OTHER, "Insurance card")
    importer.import_package(folder, read_path(write_ccd(tmp_path / "DOC0001.XML")))
    return open_window(qtbot, folder)


def click_record(qtbot, tab, title: str) -> None:
    model = tab.model
    [row] = [r for r in range(model.rowCount()) if model.row_data(model.record_id(r)).title == title]
    index = model.index(row, Column.TITLE)
    tab.table.scrollTo(index)
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=tab.table.visualRect(index).center())
    qtbot.waitUntil(lambda: tab.current_record is not None and tab.current_record.title == title)


def click_page(qtbot, pane, index: int) -> None:
    bar = pane.page_tabs
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def mime_of(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop_on(widget, paths: list[Path], point: QPoint | None = None) -> bool:
    """Files dragged over ``widget`` and dropped: whether the drag was taken."""
    mime = mime_of(paths)
    at = QPointF(point if point is not None else widget.rect().center())
    enter = QDragEnterEvent(at.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(widget, QDropEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                              Qt.KeyboardModifier.NoModifier))
    return True


def drop_on_table(table, paths: list[Path]) -> None:
    """Files dropped on the empty space under the records table's rows."""
    point = QPointF(5, table.viewport().height() - 5)
    mime = mime_of(paths)  # kept alive while the event is handled
    table.dropEvent(QDropEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                               Qt.KeyboardModifier.NoModifier))


def portal_dialog(widget) -> PortalImportDialog:
    [dialog] = [d for d in widget.findChildren(PortalImportDialog) if d.isVisible()]
    return dialog


def wait_job(qtbot, dialog: PortalImportDialog) -> None:
    qtbot.waitUntil(lambda: dialog.last_job is not None and dialog.last_job.done, timeout=30_000)


def open_dialog_on(qtbot, folder, path: Path, monkeypatch) -> PortalImportDialog:
    """The dialog, and "Choose file…" clicked with ``path`` picked in the file dialog (replaced at its boundary)."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    dialog = PortalImportDialog(folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.choose_file_button, Qt.MouseButton.LeftButton)
    wait_job(qtbot, dialog)
    return dialog


def click_import_and_wait(qtbot, dialog: PortalImportDialog) -> None:
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog._busy(), timeout=30_000)


def titles(folder) -> list[str]:
    with folder.session() as session:
        return sorted(r.title for r in svc.list_records(session))


def as_qt_draws_a_tooltip(tip: str) -> QTextDocument:
    """The tooltip as Qt draws it: rich text when it looks like markup, plain text otherwise."""
    from PySide6 import QtGui

    document = QTextDocument()
    if QtGui.Qt.mightBeRichText(tip):
        document.setHtml(tip)
    else:
        document.setPlainText(tip)
    return document


def images_in(document: QTextDocument) -> int:
    found = 0
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            found += it.fragment().charFormat().isImageFormat()
            it += 1
        block = block.next()
    return found


def hover_tooltip(qtbot, view, index) -> str:
    """The tooltip shown when the mouse rests on ``index`` of ``view``."""
    at = view.visualRect(index).center()
    QApplication.sendEvent(view.viewport(), QHelpEvent(QHelpEvent.Type.ToolTip, at, view.viewport().mapToGlobal(at)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    text = QToolTip.text()
    QToolTip.hideText()
    return text


# --- 1. a long document is drawn once per record ------------------------------------------------------------


def test_a_record_shown_again_is_not_drawn_again_and_the_page_is_laid_out_only_when_read(qtbot, alex, tmp_path,
                                                                                         monkeypatch) -> None:
    drawn: list[str] = []
    real_render = portal_view.render_html

    def counting_render(view):
        drawn.append(view.title)
        return real_render(view)

    monkeypatch.setattr(portal_view, "render_html", counting_render)
    window = imported_window(qtbot, alex, tmp_path)
    tab = window.records_tab
    pane = tab.detail
    click_record(qtbot, tab, CCD_TITLE)
    assert pane.page_tabs.isVisible()
    assert pane.document_view.toPlainText() == "", "not laid out while the Details page is read"
    click_page(qtbot, pane, 1)
    assert "Plan of treatment" in pane.document_view.toPlainText() or "Results" in pane.document_view.toPlainText()
    changes: list[int] = []
    pane.document_view.document().contentsChanged.connect(lambda: changes.append(1))
    click_page(qtbot, pane, 0)
    click_page(qtbot, pane, 1)
    assert changes == [], "turning between the pages lays nothing out again"

    drawn.clear()
    for title in (PANEL_TITLE, CCD_TITLE, PANEL_TITLE, "Insurance card", CCD_TITLE, PANEL_TITLE):
        click_record(qtbot, tab, title)
    click_page(qtbot, pane, 1)
    click_record(qtbot, tab, CCD_TITLE)
    assert pane.stack.currentWidget() is pane.document_view and "Results" in pane.document_view.toPlainText()
    assert len(drawn) == 1, f"each record's page is drawn once, however often it is shown: {drawn}"

    # a file attached to the record (a change of records and files) draws its page again
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4\n%%EOF\n")
    drawn.clear()
    assert drop_on(pane, [letter])
    qtbot.waitUntil(lambda: tab.current_record is not None and len(tab.current_record.attachments) == 2,
                    timeout=10_000)
    assert len(drawn) == 1 and pane.stack.currentWidget() is pane.document_view


# --- 2. markup in a download's words is text -----------------------------------------------------------------


def test_markup_in_a_title_is_literal_in_every_tooltip_and_label(qtbot, alex, tmp_path, monkeypatch) -> None:
    from PySide6.QtGui import QColor, QImage

    probe = tmp_path / "probe.png"
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    assert image.save(str(probe))
    title = f'<img src="{probe}"> <b>Visit</b> summary'
    path = write_ccd(tmp_path / "<b>dl</b>" / "DOC0001.XML", title=title, facility="<i>Clinic</i> & Co",
                     patient_name="Alex <u>Sample</u>")
    dialog = open_dialog_on(qtbot, alex, path, monkeypatch)
    assert dialog.preview is not None, dialog.error_label.text()
    model = dialog.table.model()
    [row] = [r for r in range(model.rowCount()) if "Visit" in model.index(r, PlannedRecordsModel.TITLE).data()]
    tip = hover_tooltip(qtbot, dialog.table, model.index(row, PlannedRecordsModel.TITLE))
    shown = as_qt_draws_a_tooltip(tip)
    assert title in shown.toPlainText() and images_in(shown) == 0, tip
    # the rich-text labels made from the download (its file's name, the patient's name) escape it
    assert dialog.whose.textFormat() == dialog.source_label.textFormat() == Qt.TextFormat.RichText
    assert "Alex <u>Sample</u>" in as_qt_draws_a_tooltip(dialog.whose.text()).toPlainText()
    assert "<b>dl</b>" in as_qt_draws_a_tooltip(dialog.source_label.text()).toPlainText()
    assert dialog.records_heading.textFormat() == Qt.TextFormat.RichText  # our own words only
    click_import_and_wait(qtbot, dialog)
    dialog.close()

    window = open_window(qtbot, alex)
    tab = window.records_tab
    [row] = [r for r in range(tab.model.rowCount()) if "Visit" in tab.model.index(r, Column.TITLE).data()]
    tip = hover_tooltip(qtbot, tab.table, tab.model.index(row, Column.TITLE))
    shown = as_qt_draws_a_tooltip(tip)
    assert title in shown.toPlainText() and images_in(shown) == 0, tip


# --- 3. the Document tab whole on a narrow pane and with large text ------------------------------------------


def test_the_document_tab_is_whole_beside_the_window_button_even_in_a_narrow_pane(qtbot, alex, tmp_path,
                                                                                  screenshot) -> None:
    window = imported_window(qtbot, alex, tmp_path)
    tab = window.records_tab
    pane = tab.detail
    click_record(qtbot, tab, CCD_TITLE)
    narrowest = max(pane.minimumWidth(), tab.splitter.widget(1).minimumSizeHint().width())
    for pane_width in (None, narrowest):
        if pane_width is not None:  # the person drags the splitter as far as it goes
            total = sum(tab.splitter.sizes())
            tab.splitter.setSizes([total - pane_width, pane_width])
            qtbot.waitUntil(lambda wanted=pane_width: pane.width() <= wanted + 40)
        qtbot.wait(20)
        bar, button = pane.page_tabs, pane.larger_button
        assert bar.width() >= bar.sizeHint().width(), "both tabs whole, no scroll buttons"
        assert bar.tabRect(1).right() <= bar.width()
        assert bar.geometry().right() < button.geometry().left(), "the button beside the tabs, not over them"
        assert button.geometry().right() <= pane.width()
        assert button.isVisible() and button.text() and button.width() >= button.minimumSizeHint().width() - 1
        assert button.accessibleName() == "Read the document in a window of its own"
        screenshot(window, f"portal-review-tabs-{pane_width or 'wide'}")
    click_page(qtbot, pane, 1)
    assert pane.stack.currentWidget() is pane.document_view


# --- 4. words --------------------------------------------------------------------------------------------------


def test_after_stop_reading_the_source_line_says_stopped_and_the_button_says_close(qtbot, alex, tmp_path,
                                                                                   monkeypatch) -> None:
    from secondopinion_desktop.core.portal import package as package_module
    from secondopinion_desktop.core.progress import Cancelled

    started = threading.Event()

    def slow_read(path, *, progress=None, cancelled=None):  # a large export being read
        started.set()
        while not cancelled():
            threading.Event().wait(0.01)
        raise Cancelled()

    monkeypatch.setattr(package_module, "read_path", slow_read)
    path = write_ccd(tmp_path / "export.xml")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    dialog = PortalImportDialog(alex)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.choose_file_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    wait_job(qtbot, dialog)
    assert dialog.status.text() == "Stopped reading. Nothing was imported."
    assert dialog.source_label.text().startswith("Stopped reading"), dialog.source_label.text()
    assert "Could not" not in dialog.source_label.text()
    assert dialog.close_button.text() == "Close"


def test_after_a_failed_read_the_button_says_close(qtbot, alex, tmp_path, monkeypatch) -> None:
    bad = tmp_path / "HealthSummary.xml"
    bad.write_bytes(b"<ClinicalDocument><unclosed>")
    dialog = open_dialog_on(qtbot, alex, bad, monkeypatch)
    assert dialog.error_label.isVisible() and dialog.source_label.text().startswith("Could not read")
    assert dialog.close_button.text() == "Close", "nothing is under way to cancel"
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def files_in(brings: str) -> int:
    found = re.search(r"(\d+) files?\b", brings)
    return int(found.group(1)) if found else 0


def test_the_files_the_preview_says_each_record_brings_add_up_to_what_the_import_says(qtbot, alex, tmp_path,
                                                                                     monkeypatch) -> None:
    with alex.session() as s:
        save_profile(s, name="Alex Sample", date_of_birth=dt.date(1970, 3, 12))
    archive = write_xdm(tmp_path / "HealthSummary_CCDA.zip", dict(zip(doc_names(2), visits(2), strict=True)))
    dialog = open_dialog_on(qtbot, alex, archive, monkeypatch)
    assert dialog.preview is not None, dialog.error_label.text()
    model = dialog.table.model()
    brought = sum(files_in(model.index(r, PlannedRecordsModel.BRINGS).data()) for r in range(model.rowCount()))
    click_import_and_wait(qtbot, dialog)
    assert dialog.result is not None
    assert brought == dialog.result.files > 0
    assert f"{dialog.result.files} files" in dialog.status.text()


# --- 5. Tab goes through visible controls only ----------------------------------------------------------------


def test_tab_goes_through_visible_controls_only(qtbot, alex, tmp_path, monkeypatch) -> None:
    dialog = open_dialog_on(qtbot, alex, write_ccd(tmp_path / "DOC0001.XML"), monkeypatch)
    assert dialog.import_button.hasFocus()
    met = []
    for _ in range(16):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        assert widget is not None and widget.isVisible(), widget
        assert not isinstance(widget, QAbstractScrollArea) or widget is dialog.table, widget.objectName()
        assert widget is not dialog.scroll_area.viewport()
        met.append(widget)
    for control in (dialog.choose_file_button, dialog.choose_folder_button, dialog.table, dialog.select_all,
                    dialog.select_none, dialog.import_button, dialog.close_button):
        assert control in met, control.text() if hasattr(control, "text") else control


# --- 6. a download dropped on the pane with no record selected ------------------------------------------------


def test_a_download_dropped_on_the_empty_pane_goes_to_the_import_dialog(qtbot, alex, tmp_path) -> None:
    window = open_window(qtbot, alex)
    tab = window.records_tab
    pane = tab.detail
    assert tab.current_record is None and pane.stack.currentWidget() is pane.empty_label
    plain = tmp_path / "photo.jpg"
    plain.write_bytes(b"\xff\xd8\xff\xe0")
    assert not drop_on(pane, [plain]), "an ordinary file has no record to go to"
    assert drop_on(pane, [write_ccd(tmp_path / "DOC0001.XML")])
    dialog = portal_dialog(tab)
    wait_job(qtbot, dialog)
    assert dialog.preview is not None and len(dialog.preview.records) == 3


# --- 7. closing as the import finishes; a window whose record went --------------------------------------------


def test_closing_the_dialog_as_the_import_finishes_keeps_it_open_with_what_was_imported(qtbot, alex, tmp_path,
                                                                                       monkeypatch) -> None:
    started, release = threading.Event(), threading.Event()
    real_import = importer.import_package

    def import_that_cannot_stop(folder, package, **options):  # past the last point where a cancel is noticed
        started.set()
        release.wait(20)
        options["cancelled"] = None
        return real_import(folder, package, **options)

    monkeypatch.setattr(importer, "import_package", import_that_cannot_stop)
    window = open_window(qtbot, alex)
    tab = window.records_tab
    drop_on_table(tab.table, [write_ccd(tmp_path / "DOC0001.XML")])
    dialog = portal_dialog(tab)
    wait_job(qtbot, dialog)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    dialog.close()  # the title bar's close button
    release.set()
    qtbot.waitUntil(lambda: not dialog._busy(), timeout=20_000)
    assert len(titles(alex)) == 3, "the import had finished: its records are there"
    assert dialog.isVisible(), "the person is told what is now in the records"
    assert dialog.status.text().startswith("The import had already finished when you closed this window. "
                                           "Imported 3 records")
    assert "Edit › Undo" in dialog.status.text()
    assert dialog.close_button.text() == "Close"
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert tab.undo_stack.count() == 1


def test_a_document_window_closes_when_undo_takes_its_record_away(qtbot, alex, tmp_path) -> None:
    window = open_window(qtbot, alex)
    tab = window.records_tab
    drop_on_table(tab.table, [write_ccd(tmp_path / "DOC0001.XML")])
    dialog = portal_dialog(tab)
    wait_job(qtbot, dialog)
    click_import_and_wait(qtbot, dialog)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    click_record(qtbot, tab, CCD_TITLE)
    qtbot.mouseClick(tab.detail.larger_button, Qt.MouseButton.LeftButton)
    [opened] = [w for w in tab.detail.findChildren(DocumentWindow) if w.isVisible()]
    qtbot.waitExposed(opened)
    assert "Results" in opened.view.toPlainText()
    window.undo_action.trigger()
    assert tab.model.rowCount() == 0
    qtbot.waitUntil(lambda: not [w for w in tab.detail.findChildren(DocumentWindow) if w.isVisible()])


# --- 8. undo and redo of a whole import at once ---------------------------------------------------------------


def test_redo_brings_every_record_of_an_import_back_or_none(qtbot, alex, tmp_path, monkeypatch) -> None:
    with alex.session() as s:
        save_profile(s, name="Alex Sample", date_of_birth=dt.date(1970, 3, 12))
    window = open_window(qtbot, alex)
    tab = window.records_tab
    archive = write_xdm(tmp_path / "HealthSummary_CCDA.zip", dict(zip(doc_names(3), visits(3), strict=True)))
    drop_on_table(tab.table, [archive])
    dialog = portal_dialog(tab)
    wait_job(qtbot, dialog)
    click_import_and_wait(qtbot, dialog)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    made = svc.get_records(alex, list(dialog.result.created_record_ids))
    assert len(made) >= 3
    last_file = svc.attachment_path(alex, made[-1].attachments[0])
    assert last_file is not None
    window.undo_action.trigger()
    assert titles(alex) == []
    last_file.unlink()  # one of the documents' stored copies is gone (a damaged disk)
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warned.append(text))
    window.redo_action.trigger()
    assert titles(alex) == [], "all of them or none"
    assert tab.model.rowCount() == 0
    assert len(warned) == 1 and "no longer stored" in warned[0]
