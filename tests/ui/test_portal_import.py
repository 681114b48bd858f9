"""Import records from a portal…: the menu and a drop open one dialog, which reads the download in the background,
shows whose records they are (a different patient must be confirmed), what would be added and what was skipped,
and imports the ticked records all or nothing, as one undo step."""

from __future__ import annotations

import datetime as dt
import threading
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QPushButton, QStyle, QStyleOptionViewItem

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.models import LabResultRow, RecordKind
from secondopinion_desktop.core.portal import importer
from secondopinion_desktop.core.portal.model import Skipped
from secondopinion_desktop.core.portal.package import Package, read_path
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.portal_import import PortalImportDialog, portal_download
from secondopinion_desktop.ui.records.portal_rows import PlannedRecordsModel

# --- a small C-CDA document, written here so that these tests depend on no sample builder -------------------

PLAN = "Return in 3 weeks."


def ccda(*, given: str = "Jane", family: str = "Doe", birth: str = "19700101", plan: str = PLAN,
         title: str = "Continuity of Care Document", hemoglobin: str = "13.2") -> bytes:
    """A CCD: Jane Doe's, a results section (a complete blood count with 2 results) and a plan of treatment
    whose paragraph is ``plan`` (escaped as XML text, so markup in it is text)."""
    from xml.sax.saxutils import escape

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <templateId root="2.16.840.1.113883.10.20.22.1.2"/>
  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summarization of Episode Note"/>
  <title>{escape(title)}</title>
  <effectiveTime value="20240312100000-0500"/>
  <recordTarget><patientRole><id extension="12345" root="1.2.3"/>
    <patient><name><given>{given}</given><family>{family}</family></name>
    <birthTime value="{birth}"/></patient></patientRole></recordTarget>
  <author><assignedAuthor><assignedPerson><name><given>Dana</given><family>Jones</family><suffix>MD</suffix>
  </name></assignedPerson></assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><name>Samplewood Hospital</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  <component><structuredBody>
    <component><section>
      <templateId root="2.16.840.1.113883.10.20.22.2.3.1"/>
      <code code="30954-2" codeSystem="2.16.840.1.113883.6.1"/>
      <title>Results</title>
      <text><table><thead><tr><th>Test</th><th>Value</th></tr></thead>
      <tbody><tr><td>Hemoglobin</td><td>{hemoglobin} g/dL</td></tr></tbody></table></text>
      <entry><organizer classCode="BATTERY" moodCode="EVN">
        <templateId root="2.16.840.1.113883.10.20.22.4.1"/>
        <code code="58410-2" codeSystem="2.16.840.1.113883.6.1" displayName="Complete blood count"/>
        <statusCode code="completed"/>
        <effectiveTime value="20240312093000"/>
        <component><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.22.4.2"/>
          <code code="718-7" codeSystem="2.16.840.1.113883.6.1" displayName="Hemoglobin"/>
          <statusCode code="completed"/><effectiveTime value="20240312093000"/>
          <value xsi:type="PQ" value="{hemoglobin}" unit="g/dL"/>
          <referenceRange><observationRange><text>12.0-15.5 g/dL</text></observationRange></referenceRange>
        </observation></component>
        <component><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.22.4.2"/>
          <code code="6690-2" codeSystem="2.16.840.1.113883.6.1" displayName="WBC"/>
          <statusCode code="completed"/><effectiveTime value="20240312093000"/>
          <value xsi:type="PQ" value="11.2" unit="10*3/uL"/>
          <interpretationCode code="H" codeSystem="2.16.840.1.113883.5.83"/>
        </observation></component>
      </organizer></entry>
    </section></component>
    <component><section>
      <code code="18776-5" codeSystem="2.16.840.1.113883.6.1"/>
      <title>Plan of treatment</title>
      <text><paragraph>{escape(plan)}</paragraph></text>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>
""".encode()


def write_ccda(path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ccda(**kwargs))
    return path


# --- the window, the dialog, clicks -------------------------------------------------------------------------


@pytest.fixture
def jane(folder):
    with folder.session() as s:
        save_profile(s, name="Jane Doe", date_of_birth=dt.date(1970, 1, 1))
    return folder


@pytest.fixture
def window(qtbot, jane):
    w = MainWindow(jane)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.records_tab)
    return w


def portal_dialog(widget) -> PortalImportDialog:
    [dialog] = [d for d in widget.findChildren(PortalImportDialog) if d.isVisible()]
    return dialog


def wait_read(qtbot, dialog: PortalImportDialog) -> None:
    qtbot.waitUntil(lambda: dialog.last_job is not None and dialog.last_job.done, timeout=30_000)


def open_on(qtbot, folder, path: Path | None = None, **kwargs) -> PortalImportDialog:
    dialog = PortalImportDialog(folder, path=path, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    if path is not None or "package" in kwargs:
        wait_read(qtbot, dialog)
    return dialog


def click_import_and_wait(qtbot, dialog: PortalImportDialog) -> None:
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog._busy(), timeout=30_000)


def click_check_box(qtbot, view, row: int) -> None:
    """A click on the box of ``row``, where the style draws it."""
    index = view.model().index(row, PlannedRecordsModel.KIND)
    option = QStyleOptionViewItem()
    option.initFrom(view.viewport())
    option.rect = view.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def drop_on(table, paths: list[Path], point: QPoint) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    table.dropEvent(QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                               Qt.KeyboardModifier.NoModifier))


def titles(folder) -> list[str]:
    with folder.session() as session:
        return sorted(r.title for r in svc.list_records(session))


def rows_text(dialog: PortalImportDialog) -> list[tuple[str, str, str]]:
    model = dialog.table.model()
    return [(model.index(r, 0).data(), model.index(r, 1).data(), model.index(r, 4).data())
            for r in range(model.rowCount())]


def results_count(folder) -> int:
    from sqlalchemy import func, select

    with folder.session() as session:
        return int(session.scalar(select(func.count()).select_from(LabResultRow)))


# --- the menu and the preview -------------------------------------------------------------------------------


def test_the_file_menu_opens_the_dialog_and_the_chosen_file_is_previewed(qtbot, window, tmp_path, monkeypatch,
                                                                          screenshot) -> None:
    path = write_ccda(tmp_path / "download" / "DOC0001.XML")
    asked: list[str] = []

    def chooser(parent, caption, start, filters):  # the file dialog, at its boundary
        asked.append(filters)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(chooser))
    window.file_menu.aboutToShow.emit()
    assert window.portal_import_action.isEnabled()
    window.portal_import_action.trigger()
    dialog = portal_dialog(window.records_tab)
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    assert "Nothing is imported until you press Import" in dialog.source_label.text()
    assert not dialog.import_button.isEnabled()
    screenshot(dialog, "portal-empty")

    qtbot.mouseClick(dialog.choose_file_button, Qt.MouseButton.LeftButton)
    wait_read(qtbot, dialog)
    assert asked and "*.zip" in asked[0] and "*.xml" in asked[0] and "*.ndjson" in asked[0]
    assert "DOC0001.XML" in dialog.source_label.text()
    counts = dialog.counts.text()
    assert counts.startswith("2 records to add (1 × Clinical report, 1 × Lab / test result), with 2 results")
    assert "Jane Doe, born 1 Jan 1970" in dialog.whose.text()
    assert rows_text(dialog) == [
        ("Clinical report", "Continuity of Care Document, 12 Mar 2024", "1 file"),
        ("Lab / test result", "Complete blood count, 12 Mar 2024", "2 results, 1 file"),  # the document, attached
    ]
    assert not dialog.warning_box.isVisible(), "the patient is the profile's: nothing to confirm"
    assert dialog.import_button.isEnabled() and dialog.import_button.text() == "&Import 2 records"
    assert titles(window.folder) == [], "nothing is written before Import"
    screenshot(dialog, "portal-preview")


def test_choose_folder_reads_an_unpacked_download(qtbot, jane, tmp_path, monkeypatch) -> None:
    root = tmp_path / "HealthSummary"
    write_ccda(root / "DOC0001.XML")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args: str(root)))
    dialog = open_on(qtbot, jane)
    qtbot.mouseClick(dialog.choose_folder_button, Qt.MouseButton.LeftButton)
    wait_read(qtbot, dialog)
    assert dialog.preview is not None, dialog.error_label.text()
    assert len(dialog.preview.records) == 2


def test_a_different_patient_must_be_confirmed_before_import_is_enabled(qtbot, jane, tmp_path, screenshot) -> None:
    path = write_ccda(tmp_path / "DOC0001.XML", given="John", family="Smith", birth="19650505")
    dialog = open_on(qtbot, jane, path)
    assert dialog.warning_box.isVisible()
    banner = dialog.banner.text()
    assert "Check that these records are yours" in banner and "John Smith" in banner
    assert "John Smith, born 5 May 1965" in dialog.whose.text() and "Jane Doe" in dialog.whose.text()
    assert not dialog.import_button.isEnabled(), "not before the box is ticked"
    screenshot(dialog, "portal-someone-else")
    qtbot.mouseClick(dialog.confirm_box, Qt.MouseButton.LeftButton)
    assert dialog.confirm_box.isChecked()
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.confirm_box, Qt.MouseButton.LeftButton)
    assert not dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.confirm_box, Qt.MouseButton.LeftButton)
    click_import_and_wait(qtbot, dialog)
    assert titles(jane) == ["Complete blood count, 12 Mar 2024", "Continuity of Care Document, 12 Mar 2024"]


def test_unticking_a_record_leaves_it_out(qtbot, jane, tmp_path) -> None:
    dialog = open_on(qtbot, jane, write_ccda(tmp_path / "DOC0001.XML"))
    click_check_box(qtbot, dialog.table, 1)  # the blood count
    assert dialog.chosen_keys() == ["1"]
    assert dialog.import_button.text() == "&Import 1 record"
    click_import_and_wait(qtbot, dialog)
    assert titles(jane) == ["Continuity of Care Document, 12 Mar 2024"]
    assert results_count(jane) == 0
    click_check_box(qtbot, dialog.table, 0)
    assert not dialog.import_button.isVisible(), "done: only Close is left"


def test_none_then_import_is_not_possible(qtbot, jane, tmp_path) -> None:
    dialog = open_on(qtbot, jane, write_ccda(tmp_path / "DOC0001.XML"))
    qtbot.mouseClick(dialog.select_none, Qt.MouseButton.LeftButton)
    assert dialog.chosen_keys() == [] and not dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.select_all, Qt.MouseButton.LeftButton)
    assert dialog.chosen_keys() == ["1", "1.1"]


# --- importing, undo, cancel --------------------------------------------------------------------------------


def test_a_dropped_download_is_imported_as_one_undo_step_that_removes_it(qtbot, window, tmp_path) -> None:
    from secondopinion_desktop.ui.events import Changes, notice

    tab = window.records_tab
    path = write_ccda(tmp_path / "DOC0001.XML")
    drop_on(tab.table, [path], QPoint(5, tab.table.viewport().height() - 5))
    dialog = portal_dialog(tab)
    wait_read(qtbot, dialog)
    said: list[tuple[object, object]] = []

    def hear(changes: object, initiator: object) -> None:
        said.append((changes, initiator))

    notice().changed.connect(hear)
    try:
        click_import_and_wait(qtbot, dialog)
    finally:
        notice().changed.disconnect(hear)
    assert said == [(Changes.RECORDS | Changes.ATTACHMENTS | Changes.HEALTH, dialog)], (
        "said once, with all it changed (results, medications and allergies too)")
    assert sorted(tab.selected_ids()) == sorted(dialog.result.created_record_ids), "the new records are shown"
    assert dialog.status.text() == ("Imported 2 records from DOC0001.XML with 2 lab results and 2 files. "
                                    "Edit › Undo takes the import away again.")
    assert dialog.close_button.text() == "Close" and not dialog.import_button.isVisible()
    assert tab.model.rowCount() == 2
    assert tab.undo_stack.count() == 1 and tab.undo_stack.undoText() == "Import 2 records from DOC0001.XML"
    assert results_count(window.folder) == 2
    stored = set(window.folder.vault.stored())
    assert stored
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)

    window.undo_action.trigger()
    assert titles(window.folder) == [] and tab.model.rowCount() == 0
    assert results_count(window.folder) == 0
    window.redo_action.trigger()
    assert titles(window.folder) == ["Complete blood count, 12 Mar 2024", "Continuity of Care Document, 12 Mar 2024"]
    assert results_count(window.folder) == 2 and tab.model.rowCount() == 2
    assert set(window.folder.vault.stored()) == stored

    window.undo_action.trigger()
    window.close()  # the history ends: the files only the import brought leave the vault
    assert list(window.folder.vault.stored()) == []


def test_cancel_during_the_import_leaves_the_records_as_they_were(qtbot, jane, tmp_path, monkeypatch) -> None:
    with jane.session() as s:
        svc.create_record(s, RecordKind.LAB, "Blood count")
    before = titles(jane)
    started, release = threading.Event(), threading.Event()
    real_copy = importer._copy_bytes

    def slow_copy(batch, root, data, cancelled):  # the import is under way when Cancel is pressed
        started.set()
        release.wait(20)
        return real_copy(batch, root, data, cancelled)

    monkeypatch.setattr(importer, "_copy_bytes", slow_copy)
    dialog = open_on(qtbot, jane, write_ccda(tmp_path / "DOC0001.XML"))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: started.is_set(), timeout=10_000)
    progress = dialog.progress_dialog
    assert progress is not None
    qtbot.waitUntil(lambda: progress.isVisible(), timeout=10_000)
    [cancel] = [b for b in progress.findChildren(QPushButton) if b.text() == "Cancel"]
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    release.set()
    qtbot.waitUntil(lambda: not dialog._busy(), timeout=20_000)
    assert dialog.status.text() == "Import cancelled. Nothing was imported."
    assert titles(jane) == before
    assert list(jane.vault.stored()) == []
    assert dialog.import_button.isEnabled(), "the person may try again"


def test_a_failed_import_says_why_in_one_sentence_and_nothing_was_imported(qtbot, jane, tmp_path,
                                                                           monkeypatch) -> None:
    from helpers.dialogs import on_next_dialog

    from secondopinion_desktop.core.errors import DiskFullError

    def full(*args, **kwargs):
        raise DiskFullError("The disk holding your data folder is full.")

    monkeypatch.setattr(importer, "import_package", full)
    dialog = open_on(qtbot, jane, write_ccda(tmp_path / "DOC0001.XML"))
    shown: list[str] = []
    errors = on_next_dialog(lambda box: (shown.append(box.text()), box.accept()))
    click_import_and_wait(qtbot, dialog)
    assert errors == []
    assert shown == ["The disk holding your data folder is full.\n\nNothing was imported."]
    assert dialog.status.text() == "The import failed. Nothing was imported."
    assert titles(jane) == [] and dialog.import_button.isEnabled()


def test_everything_imported_before_says_so_and_offers_only_close(qtbot, jane, tmp_path, monkeypatch,
                                                                  screenshot) -> None:
    path = write_ccda(tmp_path / "DOC0001.XML")
    importer.import_package(jane, read_path(path))
    dialog = open_on(qtbot, jane, path)
    assert dialog.status.text() == "Everything in DOC0001.XML is in your records already; there is nothing to import."
    assert not dialog.import_button.isVisible()
    assert dialog.close_button.text() == "Close"
    assert [r[2] for r in rows_text(dialog)] == ["already in your records"] * 2
    model = dialog.table.model()
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEnabled, "greyed"
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsUserCheckable
    screenshot(dialog, "portal-nothing-new")

    other = write_ccda(tmp_path / "later" / "DOC0002.XML", title="Progress note", hemoglobin="12.1")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args: (str(other), "")))
    qtbot.mouseClick(dialog.choose_file_button, Qt.MouseButton.LeftButton)
    wait_read(qtbot, dialog)
    assert dialog.import_button.isVisible() and dialog.import_button.isEnabled()
    assert dialog.close_button.text() == "Cancel"


def test_a_later_visit_adds_only_what_is_new(qtbot, jane, tmp_path) -> None:
    importer.import_package(jane, read_path(write_ccda(tmp_path / "first" / "DOC0001.XML")))
    later = write_ccda(tmp_path / "second" / "DOC0002.XML", title="Progress note", hemoglobin="12.1")
    dialog = open_on(qtbot, jane, later)
    assert not dialog.preview.nothing_new
    click_import_and_wait(qtbot, dialog)
    assert "Imported" in dialog.status.text()


def test_a_refused_file_is_one_sentence_in_the_dialog(qtbot, jane, tmp_path, monkeypatch, screenshot) -> None:
    from secondopinion_desktop.ui import app

    crashes: list[object] = []
    monkeypatch.setattr(app, "show_unexpected_error", lambda *args: crashes.append(args))
    path = tmp_path / "laughs.xml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
                     b"<ClinicalDocument>&lol2;</ClinicalDocument>")
    dialog = open_on(qtbot, jane, path)
    assert crashes == []
    text = dialog.error_label.text()
    assert dialog.error_label.isVisible() and "laughs.xml" in text
    assert "\n" not in text and "Traceback" not in text
    assert dialog.preview is None and not dialog.import_button.isEnabled()
    assert titles(jane) == []
    screenshot(dialog, "portal-refused")


def test_skipped_items_and_repeats_are_shown_with_their_reasons(qtbot, jane, tmp_path) -> None:
    read = read_path(write_ccda(tmp_path / "DOC0001.XML"))
    package = Package(name="HealthSummary.zip", documents=read.documents,
                      skipped=(Skipped("IHE_XDM/SUBSET01/DOC0002.XML", "", "its hash does not match METADATA.XML"),
                               Skipped("DOC0001.XML", "section Medications, entry 3", "no medication named")),
                      repeats=3, repeated_results=12)
    dialog = open_on(qtbot, jane, package=package)
    assert "Left out as repeats of earlier ones: 3 documents and 12 results." in dialog.counts.text()
    assert dialog.skipped_toggle.isVisible() and not dialog.skipped.isVisible()
    assert dialog.skipped_toggle.text() == "▸ 2 items skipped, and why"
    qtbot.mouseClick(dialog.skipped_toggle, Qt.MouseButton.LeftButton)
    assert dialog.skipped.isVisible() and dialog.skipped_toggle.text() == "▾ 2 items skipped, and why"
    lines = [dialog.skipped.item(i).text() for i in range(dialog.skipped.count())]
    assert lines == ["IHE_XDM/SUBSET01/DOC0002.XML — its hash does not match METADATA.XML",
                     "DOC0001.XML, section Medications, entry 3 — no medication named"]


def test_escape_closes_without_importing(qtbot, jane, tmp_path) -> None:
    dialog = open_on(qtbot, jane, write_ccda(tmp_path / "DOC0001.XML"))
    qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert titles(jane) == []


# --- what a drop sends to the dialog ------------------------------------------------------------------------


def test_downloads_are_told_from_other_files_by_name(tmp_path) -> None:
    xml = write_ccda(tmp_path / "a" / "DOC0001.XML")
    unpacked = xml.parent
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    documents = tmp_path / "HealthSummary.zip"
    with zipfile.ZipFile(documents, "w") as z:
        z.writestr("IHE_XDM/SUBSET01/DOC0001.XML", ccda())
    pictures = tmp_path / "photos.zip"
    with zipfile.ZipFile(pictures, "w") as z:
        z.writestr("scan.jpg", b"\xff\xd8\xff")
    not_a_zip = tmp_path / "images.zip"
    not_a_zip.write_bytes(b"\0" * 100)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert [portal_download(p) for p in (xml, unpacked, documents)] == [True, True, True]
    assert [portal_download(p) for p in (pdf, pictures, not_a_zip, empty)] == [False] * 4


def test_a_hostile_zip_dropped_on_the_tab_is_refused_in_one_sentence(qtbot, window, tmp_path) -> None:
    tab = window.records_tab
    archive = tmp_path / "HealthSummary.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../outside.xml", ccda())
    assert portal_download(archive)
    drop_on(tab.table, [archive], QPoint(5, tab.table.viewport().height() - 5))
    dialog = portal_dialog(tab)
    wait_read(qtbot, dialog)
    text = dialog.error_label.text()
    assert dialog.error_label.isVisible() and "HealthSummary.zip" in text and "\n" not in text
    assert titles(window.folder) == [] and list(window.folder.vault.stored()) == []


def test_a_download_dropped_on_a_record_goes_to_the_import_dialog_not_to_the_record(qtbot, window, tmp_path) -> None:
    tab = window.records_tab
    with window.folder.session() as s:
        record = svc.create_record(s, RecordKind.LAB, "Blood count")
    tab.reload()
    archive = tmp_path / "HealthSummary_CCDA.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("IHE_XDM/SUBSET01/DOC0001.XML", ccda())
    drop_on(tab.table, [archive], tab.table.visualRect(tab.model.index(0, 1)).center())
    dialog = portal_dialog(tab)
    assert dialog.path == archive
    wait_read(qtbot, dialog)
    assert svc.get_record(window.folder, record.id).attachments == (), "nothing was attached to the record"


def test_two_downloads_dropped_at_once_read_the_first_and_say_so(qtbot, window, tmp_path) -> None:
    tab = window.records_tab
    first = write_ccda(tmp_path / "DOC0001.XML")
    second = write_ccda(tmp_path / "DOC0002.XML", title="Progress note")
    drop_on(tab.table, [first, second], QPoint(5, tab.table.viewport().height() - 5))
    dialog = portal_dialog(tab)
    wait_read(qtbot, dialog)
    assert dialog.path == first
    assert dialog.status.text().startswith("Only DOC0001.XML is read here (1 other download dropped with it")


# --- fitting the screen -------------------------------------------------------------------------------------


def test_the_dialog_fits_the_screen_with_its_buttons_visible(qtbot, jane, tmp_path, screenshot) -> None:
    from secondopinion_desktop.ui.widgets.screen import available_geometry

    path = write_ccda(tmp_path / "a download with a rather long name from the portal" / "DOC0001.XML",
                      given="Maria Antonietta", family="Rossi-Bianchi", birth="19810702")
    read = read_path(path)
    package = Package(name=read.name, documents=read.documents,
                      skipped=tuple(Skipped(f"DOC{i:04d}.XML", "", "not a health record document")
                                    for i in range(8)), repeats=2, repeated_results=40)
    dialog = open_on(qtbot, jane, package=package, path=path)
    qtbot.mouseClick(dialog.skipped_toggle, Qt.MouseButton.LeftButton)
    screen = available_geometry(dialog)
    assert dialog.frameGeometry().width() <= screen.width() and dialog.frameGeometry().height() <= screen.height()
    for button in (dialog.import_button, dialog.close_button):
        assert button.isVisible()
        assert dialog.rect().contains(button.mapTo(dialog, button.rect().bottomRight())), button.text()
    line = dialog.table.fontMetrics().height()
    assert dialog.table.height() >= 5 * line, "the list of records stays readable; the rest scrolls"
    banner = dialog.warning_box
    assert banner.isVisible() and banner.width() <= dialog.width()
    screenshot(dialog, "portal-fits")


# --- real downloads of every kind, end to end ---------------------------------------------------------------


@pytest.fixture
def alex(folder):
    """A folder for the sample builders' patient, Alex Sample (the profile is set by each test: the builders
    give different birth dates)."""
    return folder


def alex_profile(folder, birth: dt.date) -> None:
    with folder.session() as s:
        save_profile(s, name="Alex Sample", date_of_birth=birth)


def test_a_visit_by_visit_xdm_zip_dropped_on_the_tab_is_previewed_and_imported(qtbot, alex, tmp_path,
                                                                                screenshot) -> None:
    from helpers.xdm_samples import doc_names, visits, write_xdm

    alex_profile(alex, dt.date(1970, 3, 12))
    window = MainWindow(alex)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.records_tab)
    tab = window.records_tab
    archive = write_xdm(tmp_path / "HealthSummary_Dec_02_2026_CCDA.zip", dict(zip(doc_names(4), visits(4),
                                                                                 strict=True)))
    drop_on(tab.table, [archive], QPoint(5, tab.table.viewport().height() - 5))
    dialog = portal_dialog(tab)
    wait_read(qtbot, dialog)
    assert dialog.preview is not None, dialog.error_label.text()
    assert not dialog.warning_box.isVisible()
    assert dialog.preview.repeated_results > 0
    assert "Left out as repeats of earlier ones:" in dialog.counts.text()
    assert "result" in dialog.counts.text() and "medication" in dialog.counts.text()
    screenshot(dialog, "portal-xdm")
    chosen = len(dialog.chosen_keys())
    click_import_and_wait(qtbot, dialog)
    assert dialog.result is not None and len(dialog.result.created_record_ids) == chosen
    assert tab.model.rowCount() == chosen
    assert results_count(alex) == dialog.preview.results
    window.undo_action.trigger()
    assert tab.model.rowCount() == 0 and results_count(alex) == 0


def test_a_fhir_bundle_is_previewed_and_imported(qtbot, alex, tmp_path) -> None:
    from helpers.fhir_samples import r4_bundle

    alex_profile(alex, dt.date(1970, 4, 2))
    path = tmp_path / "bundle.json"
    path.write_bytes(r4_bundle())
    dialog = open_on(qtbot, alex, path)
    assert dialog.preview is not None, dialog.error_label.text()
    assert not dialog.warning_box.isVisible()
    assert dialog.preview.records and dialog.import_button.isEnabled()
    click_import_and_wait(qtbot, dialog)
    assert dialog.status.text().startswith("Imported ")
    assert len(titles(alex)) == len(dialog.result.created_record_ids)


def test_an_apple_health_export_is_previewed(qtbot, alex, tmp_path) -> None:
    from helpers.fhir_samples import apple_export_zip

    alex_profile(alex, dt.date(1970, 4, 2))
    archive = apple_export_zip(tmp_path)
    assert portal_download(archive)
    dialog = open_on(qtbot, alex, archive)
    assert dialog.preview is not None, dialog.error_label.text()
    assert dialog.preview.records


# --- the keyboard, stopping -----------------------------------------------------------------------------------


def test_space_ticks_and_unticks_the_current_record_whatever_its_column(qtbot, jane, tmp_path) -> None:
    dialog = open_on(qtbot, jane, write_ccda(tmp_path / "DOC0001.XML"))
    table = dialog.table
    table.setFocus()
    table.setCurrentIndex(table.model().index(1, PlannedRecordsModel.TITLE))
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert dialog.chosen_keys() == ["1"]
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert dialog.chosen_keys() == ["1", "1.1"]


def test_stop_reading_stops_and_says_nothing_was_imported(qtbot, jane, tmp_path, monkeypatch) -> None:
    from secondopinion_desktop.core.portal import package as package_module
    from secondopinion_desktop.core.progress import Cancelled

    started = threading.Event()

    def slow_read(path, *, progress=None, cancelled=None):  # a large export being read
        started.set()
        while not cancelled():
            threading.Event().wait(0.01)
        raise Cancelled()

    monkeypatch.setattr(package_module, "read_path", slow_read)
    dialog = open_on(qtbot, jane)
    dialog.read(write_ccda(tmp_path / "export.xml"))
    qtbot.waitUntil(started.is_set, timeout=10_000)
    assert dialog.read_box.isVisible()
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    wait_read(qtbot, dialog)
    assert dialog.status.text() == "Stopped reading. Nothing was imported."
    assert not dialog.read_box.isVisible() and dialog.choose_file_button.isEnabled()


def test_an_imaging_report_that_joins_a_study_from_a_disc_is_one_undo_step_too(qtbot, alex, tmp_path) -> None:
    pytest.importorskip("pydicom")
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.plan import scan_and_plan
    from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_study
    from secondopinion_desktop.core.portal.model import Document, Patient, Report

    uid = "1.2.826.0.1.3680043.8.498.777"
    alex_profile(alex, dt.date(1970, 2, 14))
    write_study(tmp_path / "cd", StudySpec(study_uid=uid), size=16)
    disc = import_imaging(alex, scan_and_plan(alex, tmp_path / "cd").scan)
    [study_record] = disc.created_record_ids
    study_title = svc.get_record(alex, study_record).title
    report = Report(kind="imaging", title="CT chest report", when="2024-03-05", study_uid=uid,
                    text="No evidence of disease.", position="entry 3 (DiagnosticReport)")
    package = Package(name="bundle.json", documents=(Document(
        source="bundle.json", format="FHIR R4", kind="clinical", title="Bundle", own_record=False,
        patient=Patient("Alex Sample", dt.date(1970, 2, 14)), reports=(report,), original=b"{}",
        original_name="bundle.json", original_media_type="application/fhir+json"),),
        skipped=(), repeats=0, repeated_results=0)
    window = MainWindow(alex)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    tab = window.records_tab
    dialog = open_on(qtbot, alex, package=package, undo_stack=tab.undo_stack, context=tab)
    [planned] = rows_text(dialog)
    assert planned[2].startswith(f"adds to “{study_title}”")
    click_import_and_wait(qtbot, dialog)
    assert dialog.result is not None and dialog.result.record_ids == (study_record,)
    assert dialog.status.text() == ("Added bundle.json to 1 record already there (1 file). "
                                    "Edit › Undo takes the import away again.")
    assert tab.undo_stack.count() == 1 and tab.undo_stack.undoText() == "Import 1 record from bundle.json"
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    from secondopinion_desktop.core.portal.view import record_view

    with_report = [a.original_name for a in svc.get_record(alex, study_record).attachments]
    assert "bundle.json" in with_report and record_view(alex, study_record) is not None
    window.undo_action.trigger()
    assert "bundle.json" not in [a.original_name for a in svc.get_record(alex, study_record).attachments]
    assert record_view(alex, study_record) is None
    assert svc.get_record(alex, study_record).title == study_title  # the disc's record itself stays
    window.redo_action.trigger()
    assert [a.original_name for a in svc.get_record(alex, study_record).attachments] == with_report
    assert record_view(alex, study_record) is not None
    window.undo_action.trigger()
    window.close()  # the history ends: the file only the import brought leaves the vault
    assert "bundle.json" not in [a.original_name for a in svc.get_record(alex, study_record).attachments]


def test_closing_during_the_import_stops_it_and_leaves_nothing(qtbot, jane, tmp_path, monkeypatch) -> None:
    started, release = threading.Event(), threading.Event()
    real_copy = importer._copy_bytes

    def slow_copy(batch, root, data, cancelled):
        started.set()
        release.wait(20)
        return real_copy(batch, root, data, cancelled)

    monkeypatch.setattr(importer, "_copy_bytes", slow_copy)
    dialog = open_on(qtbot, jane, write_ccda(tmp_path / "DOC0001.XML"))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    dialog.close()  # the title bar's close button (Escape goes to the progress dialog, whose Cancel is tested above)
    assert dialog.isVisible(), "it closes once the import has put everything back"
    release.set()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)
    assert titles(jane) == [] and list(jane.vault.stored()) == []


def test_the_menu_entry_is_in_the_file_menu(window) -> None:
    texts = [a.text() for a in window.file_menu.actions()]
    assert "&Import records from a portal…" in texts
    assert texts.index("&Import records from a portal…") < texts.index("Patient &profile…")


def test_ordinary_files_that_only_share_a_suffix_are_no_download(tmp_path) -> None:
    """A viewer's config.xml on an imaging disc, a photo's .json sidecar, a zip of scans (even an encrypted one
    or one cut short) are files to attach, not portal downloads."""
    disc = tmp_path / "disc"
    (disc / "DICOM").mkdir(parents=True)
    (disc / "config.xml").write_text("<viewer><window>1</window></viewer>")
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        (photos / f"IMG_{i}.jpg").write_bytes(b"\xff\xd8\xff")
        (photos / f"IMG_{i}.jpg.json").write_text('{"title": "IMG", "photoTakenTime": 1}')
    scans = tmp_path / "scans_from_hospital.zip"
    with zipfile.ZipFile(scans, "w") as z:
        z.writestr("scan.pdf", b"%PDF-1.4")
        z.writestr("scan.pdf.json", "{}")
    info = zipfile.ZipInfo("scan.pdf")
    info.flag_bits |= 0x1  # marked encrypted: the core would refuse it, but it is no download
    encrypted = tmp_path / "encrypted.zip"
    with zipfile.ZipFile(encrypted, "w") as z:
        z.writestr(info, b"x" * 100)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(scans.read_bytes()[:40])
    sidecar = photos / "IMG_0.jpg.json"
    assert [portal_download(p) for p in (disc, disc / "config.xml", photos, sidecar, scans, encrypted, cut)] == [
        False] * 7
    # while a folder holding an unpacked XDM download, or FHIR at its top level, is one
    xdm = tmp_path / "download"
    write_ccda(xdm / "IHE_XDM" / "SUBSET01" / "DOC0001.XML")
    fhir = tmp_path / "fhir"
    fhir.mkdir()
    (fhir / "bundle.json").write_text('{"resourceType": "Bundle", "entry": []}')
    assert portal_download(xdm) and portal_download(fhir)


def test_a_loose_pdfs_record_is_proposed_from_its_text_and_the_proposals_are_tinted(qtbot, folder, tmp_path) -> None:
    import io

    from helpers.xdm_samples import visits, write_xdm
    from PySide6.QtGui import QBrush
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n, line in enumerate(["SURGICAL PATHOLOGY REPORT", "Accession #: S23-11822     Collected: 11/22/2023",
                              "FINAL DIAGNOSIS: Left breast, core biopsy: invasive ductal carcinoma."]):
        c.drawString(60, 760 - 18 * n, line)
    c.save()
    path = write_xdm(tmp_path / "dl.zip", {"DOC0001.XML": visits(1)[0], "DOC0002.PDF": out.getvalue()},
                     metadata=False)
    dialog = open_on(qtbot, folder, path)
    model = dialog.table.model()
    [row] = [r for r in range(model.rowCount()) if model.planned(r).source.endswith(".PDF")]
    kind = model.index(row, PlannedRecordsModel.KIND)
    assert kind.data() == "Pathology"
    assert isinstance(kind.data(Qt.ItemDataRole.BackgroundRole), QBrush)
    assert model.index(row, PlannedRecordsModel.DATE).data(Qt.ItemDataRole.ToolTipRole).startswith(
        "<qt>Suggested from the document's text — From &quot;Collected: 11/22/2023&quot;") or \
        model.index(row, PlannedRecordsModel.DATE).data(Qt.ItemDataRole.ToolTipRole).startswith(
        '<qt>Suggested from the document\'s text — From "Collected: 11/22/2023"')
    assert model.index(row, PlannedRecordsModel.BRINGS).data(Qt.ItemDataRole.BackgroundRole) is None
    others = [r for r in range(model.rowCount()) if r != row]  # the download's own records: nothing proposed
    assert others and all(model.index(r, PlannedRecordsModel.KIND).data(Qt.ItemDataRole.BackgroundRole) is None
                          for r in others)
    click_import_and_wait(qtbot, dialog)
    [rec] = [r for r in svc.list_records(folder) if r.accession_number == "S23-11822"]
    assert rec.kind is RecordKind.PATHOLOGY and rec.date_of_service == dt.date(2023, 11, 22)
