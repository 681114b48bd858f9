"""The Records tab driven through its real widgets: add, attach, filter, sort, status, undo/redo, delete."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit, QMessageBox

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.model import RECORD_ID_ROLE, Column


def shown_window(qtbot, folder, **kwargs) -> MainWindow:
    w = MainWindow(folder, **kwargs)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.records_tab)
    return w


@pytest.fixture
def window(qtbot, folder):
    return shown_window(qtbot, folder)


@pytest.fixture
def demo_window(qtbot, demo_folder):
    return shown_window(qtbot, demo_folder, demo=True)


def rows(tab) -> list[svc.RecordRow]:
    return [tab.model.row_data(tab.model.index(r, 0).data(RECORD_ID_ROLE)) for r in range(tab.model.rowCount())]


def answer_yes(monkeypatch) -> list[str]:
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def add_through_dialog(qtbot, tab, title: str, kind_label: str, date: str, facility: str) -> None:
    def fill(dialog: QDialog) -> None:
        kind = dialog.findChild(QComboBox, "kindCombo")
        kind.setCurrentIndex(kind.findText(kind_label))
        title_edit = dialog.findChild(QLineEdit, "titleEdit")
        typed, _, pasted = title.partition("|")  # QTest types ASCII; the rest arrives as a paste would
        qtbot.keyClicks(title_edit, typed)
        title_edit.insert(pasted)
        date_edit = dialog.findChild(QLineEdit, "dateEdit")
        qtbot.keyClicks(date_edit, date)
        facility_combo = dialog.findChild(QComboBox, "facilityCombo")
        qtbot.keyClicks(facility_combo.lineEdit(), facility)
        dialog.accept()

    errors = on_next_dialog(fill)
    qtbot.keyClick(tab.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert errors == []


def test_add_record_through_the_dialog_then_undo_and_redo(qtbot, window, folder) -> None:
    tab = window.records_tab
    assert "No records yet" in tab.summary.text()
    tab.table.setFocus()
    add_through_dialog(qtbot, tab, "Core biopsy report |✓ تقرير", "Pathology", "2026-02-20",
                       "Samplewood Community Hospital")
    [row] = rows(tab)
    assert (row.title, row.kind, row.facility_name) == (
        "Core biopsy report ✓ تقرير", RecordKind.PATHOLOGY, "Samplewood Community Hospital")
    assert tab.current_record is not None and tab.current_record.id == row.id
    assert "Pathology 1 (1 still to request)" in tab.summary.text()

    window.undo_action.trigger()
    assert rows(tab) == []
    with folder.session() as s:
        assert svc.list_record_rows(s) == []
    window.redo_action.trigger()
    assert [r.title for r in rows(tab)] == ["Core biopsy report ✓ تقرير"]
    assert rows(tab)[0].id == row.id  # the same record came back


def test_bad_input_in_the_dialog_keeps_it_open_with_a_message(qtbot, window, folder) -> None:
    tab = window.records_tab
    seen: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.findChild(QLineEdit, "dateEdit"), "1850-01-01")
        dialog.accept()  # blank title and an absurd date
        label = dialog.findChild(object, "errorLabel")
        seen["first"] = label.text()
        seen["open"] = dialog.isVisible()
        qtbot.keyClicks(dialog.findChild(QLineEdit, "titleEdit"), "CBC")
        dialog.accept()
        seen["second"] = label.text()
        dialog.reject()

    errors = on_next_dialog(fill)
    tab.new_record()
    assert errors == []
    assert seen["open"] is True
    assert "title is required" in str(seen["first"]).lower()
    assert "1900" in str(seen["second"])
    with folder.session() as s:
        assert svc.list_record_rows(s) == []
    assert tab.undo_stack.count() == 0


def test_attach_a_file_and_save_a_copy(qtbot, window, folder, tmp_path: Path) -> None:
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "lab", "Complete blood count")
    tab.reload()
    source = tmp_path / "CBC 2026-03-14.pdf"
    source.write_bytes(b"%PDF-1.4\n" + os.urandom(200_000))
    job = tab.attach_files([(record.id, source)])
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    assert [a.original_name for a in tab.current_record.attachments] == [source.name]
    assert rows(tab)[0].attachment_count == 1
    attachment = tab.current_record.attachments[0]
    assert folder.vault.path_for(attachment.sha256).read_bytes() == source.read_bytes()

    copy = tmp_path / "out" / "copy.pdf"
    copy.parent.mkdir()
    job = tab.save_attachment_copy(attachment, copy)
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    assert copy.read_bytes() == source.read_bytes()


def test_open_attachment_hands_a_named_private_copy_to_the_system(qtbot, window, folder, tmp_path, monkeypatch) -> None:
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "imaging", "CT chest")
    source = tmp_path / "ct report.pdf"
    source.write_bytes(b"%PDF-1.4 ct")
    attachment = svc.attach_file(folder, record.id, source)
    tab.reload()
    path = tab.open_attachment(attachment)
    assert opened == [str(path)] and path.name == "ct report.pdf"
    assert path.read_bytes() == source.read_bytes()
    from secondopinion_desktop.core.scratch import SCRATCH_NAME

    assert path.is_relative_to(folder.path / SCRATCH_NAME), "the plain copy stays in the private data folder"
    window.close()
    assert not path.exists(), "private copies are removed when the window closes"


def test_attaching_bad_files_gets_a_clear_message_and_nothing_lost(
    qtbot, window, folder, tmp_path, monkeypatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warnings.append(text))
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "lab", "CBC")
    tab.reload()
    empty = tmp_path / "empty.pdf"
    empty.touch()
    assert tab.attach_files([(record.id, tmp_path / "vanished.pdf"), (record.id, empty), (record.id, tmp_path)]) is None
    assert len(warnings) == 1
    assert "does not exist" in warnings[0] and "empty (0 bytes)" in warnings[0] and "is a folder" in warnings[0]
    assert tab.current_record.attachments == ()
    assert list(folder.vault.stored()) == []


def test_cancelling_a_large_copy_leaves_nothing_behind(qtbot, window, folder, tmp_path, monkeypatch) -> None:
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "imaging", "PET/CT images")
    tab.reload()
    small = tmp_path / "report.pdf"
    small.write_bytes(b"%PDF-1.4 small report")
    big = tmp_path / "images.zip"
    with open(big, "wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: 300 MB to copy
    job = tab.attach_files([(record.id, small), (record.id, big)])
    qtbot.waitUntil(lambda: job.control is not None, timeout=1000)
    job.cancel()
    qtbot.waitUntil(lambda: job.done, timeout=30_000)
    assert tab.last_notice == "Cancelled: nothing was attached."
    with folder.session() as s:
        assert svc.get_record(s, record.id).attachments == ()
    assert list(folder.vault.stored()) == []
    assert not any(p.name.startswith(".tmp-") for p in folder.vault.root.iterdir())


def test_drop_files_on_a_row_attaches_and_on_empty_space_creates_records(qtbot, window, folder, tmp_path) -> None:
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "lab", "CBC")
    tab.reload()
    first = tmp_path / "cbc page 2.pdf"
    first.write_bytes(b"%PDF-1.4 page two")

    def drop(paths: list[Path], point: QPoint) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        event = QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                           Qt.KeyboardModifier.NoModifier)
        tab.table.dropEvent(event)

    row_point = tab.table.visualRect(tab.model.index(0, Column.TITLE)).center()
    drop([first], row_point)
    qtbot.waitUntil(lambda: tab.last_job is not None and tab.last_job.done, timeout=10_000)
    assert [a.original_name for a in tab.current_record.attachments] == [first.name]

    scan = tmp_path / "CT_chest_report.pdf"
    scan.write_bytes(b"%PDF-1.4 ct")
    labs = tmp_path / "tumor markers.pdf"
    labs.write_bytes(b"%PDF-1.4 markers")
    errors = on_next_dialog(lambda dialog: dialog.accept())
    previous = tab.last_job
    drop([scan, labs], QPoint(5, tab.table.viewport().height() - 5))
    qtbot.waitUntil(lambda: tab.last_job is not previous and tab.last_job.done, timeout=10_000)
    assert errors == []
    with folder.session() as s:
        made = {r.title: r for r in svc.list_records(s) if r.id != record.id}
    assert set(made) == {"CT chest report", "tumor markers"}
    assert made["CT chest report"].kind is RecordKind.IMAGING
    assert made["tumor markers"].kind is RecordKind.LAB
    assert all(len(r.attachments) == 1 for r in made.values())


def test_filter_and_sort_through_the_widgets(qtbot, demo_window, screenshot) -> None:
    tab = demo_window.records_tab
    total = tab.model.rowCount()
    assert total >= 20
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert tab.search.hasFocus()
    qtbot.keyClicks(tab.search, "biopsy")
    shown = rows(tab)
    assert 0 < len(shown) < total
    assert all("biopsy" in " ".join((r.title, r.summary, r.notes, r.facility_name, r.clinician_name)).lower()
               for r in shown)
    tab.search.clear()
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData("pathology"))
    assert {r.kind for r in rows(tab)} == {RecordKind.PATHOLOGY}
    tab.kind_filter.setCurrentIndex(0)
    tab.status_filter.setCurrentIndex(tab.status_filter.findData("missing"))
    assert {r.status for r in rows(tab)} == {RecordStatus.NEEDED, RecordStatus.REQUESTED}
    assert tab.summary.text().startswith(f"Showing {len(rows(tab))} of {total}.")
    tab.status_filter.setCurrentIndex(0)

    header = tab.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(Column.TITLE) + 10, header.height() // 2))
    titles = [r.title.casefold() for r in rows(tab)]
    assert titles in (sorted(titles), sorted(titles, reverse=True))
    screenshot(demo_window, "records-tab-demo")


def test_next_step_and_undo(qtbot, window, folder) -> None:
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "pathology", "Biopsy slides")
    tab.reload()
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert tab.current_record.status is RecordStatus.REQUESTED and tab.current_record.requested_on is not None
    tab.next_action.trigger()
    assert tab.current_record.status is RecordStatus.RECEIVED
    window.undo_action.trigger()
    assert tab.current_record.status is RecordStatus.REQUESTED and tab.current_record.received_on is None
    window.undo_action.trigger()
    with folder.session() as s:
        assert svc.get_record(s, record.id).status is RecordStatus.NEEDED
    window.redo_action.trigger()
    assert tab.current_record.status is RecordStatus.REQUESTED


def test_edit_through_the_dialog_and_undo(qtbot, window, folder) -> None:
    tab = window.records_tab
    with folder.session() as s:
        svc.create_record(s, "lab", "CBC", notes="old")

    def change(dialog: QDialog) -> None:
        title = dialog.findChild(QLineEdit, "titleEdit")
        title.selectAll()
        qtbot.keyClicks(title, "Complete blood count")
        dialog.findChild(object, "notesEdit").setPlainText("x" * 50_000)  # a big paste
        dialog.accept()

    tab.reload()
    errors = on_next_dialog(change)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert errors == []
    assert tab.current_record.title == "Complete blood count" and len(tab.current_record.notes) == 50_000
    window.undo_action.trigger()
    assert (tab.current_record.title, tab.current_record.notes) == ("CBC", "old")


def test_delete_asks_first_keeps_shared_files_and_undo_restores(qtbot, window, folder, tmp_path, monkeypatch) -> None:
    tab = window.records_tab
    release = tmp_path / "release.pdf"
    release.write_bytes(b"%PDF-1.4 signed release")
    own = tmp_path / "own.pdf"
    own.write_bytes(b"%PDF-1.4 only here")
    with folder.session() as s:
        a = svc.create_record(s, "identity", "Signed release", date_of_service="2026-03-01")
        b = svc.create_record(s, "pathology", "Slides request", date_of_service="2026-01-01")
    shared = svc.attach_file(folder, a.id, release)
    svc.attach_file(folder, b.id, release)
    only = svc.attach_file(folder, a.id, own)
    tab.reload()
    assert tab.select_record(a.id)

    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kw: QMessageBox.StandardButton.No)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert len(rows(tab)) == 2, "saying No keeps the record"

    asked = answer_yes(monkeypatch)
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert len(asked) == 1 and "Signed release" in asked[0] and "2 attached files" in asked[0]
    assert [r.id for r in rows(tab)] == [b.id]
    window.undo_action.trigger()
    assert {r.id for r in rows(tab)} == {a.id, b.id}
    with folder.session() as s:
        assert len(svc.get_record(s, a.id).attachments) == 2
    window.redo_action.trigger()
    window.close()  # the history ends: unused files leave the vault, the shared one stays
    assert folder.vault.exists(shared.sha256)
    assert not folder.vault.exists(only.sha256)


def test_missing_vault_file_is_shown_and_the_record_stays_usable(qtbot, window, folder, tmp_path, monkeypatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warnings.append(text))
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "imaging", "Mammogram")
    source = tmp_path / "mammo.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    attachment = svc.attach_file(folder, record.id, source)
    folder.vault.path_for(attachment.sha256).unlink()
    tab.reload()
    assert tab.open_attachment(attachment) is None
    assert "missing" in warnings[-1]
    tab.next_action.trigger()
    assert tab.current_record.status is RecordStatus.REQUESTED


def test_view_state_is_remembered(qtbot, folder) -> None:
    first = MainWindow(folder)
    qtbot.addWidget(first)
    tab = first.records_tab
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData("imaging"))
    tab.status_filter.setCurrentIndex(tab.status_filter.findData("missing"))
    tab.search.setText("chest")
    tab.table.sortByColumn(Column.TITLE, Qt.SortOrder.AscendingOrder)
    tab.splitter.setSizes([500, 300])
    sizes = tab.splitter.sizes()
    first.close()

    second = MainWindow(folder)
    qtbot.addWidget(second)
    tab = second.records_tab
    assert tab.kind_filter.currentData() == "imaging"
    assert tab.status_filter.currentData() == "missing"
    assert tab.search.text() == ""  # a search is for now: it never hides records in a later session
    assert tab.table.horizontalHeader().sortIndicatorSection() == Column.TITLE
    assert tab.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert tab.splitter.sizes() == sizes


def test_controls_have_accessible_names(window) -> None:
    tab = window.records_tab
    for widget in (tab.table, tab.search, tab.kind_filter, tab.status_filter, tab.summary):
        assert widget.accessibleName(), widget.objectName()


def test_imaging_actions_follow_the_selected_record(demo_window, demo_folder) -> None:
    tab = demo_window.records_tab
    with demo_folder.session() as s:
        rows = svc.list_record_rows(s)
    imaging = next(r for r in rows if r.kind is RecordKind.IMAGING)
    lab = next(r for r in rows if r.kind is RecordKind.LAB)
    assert tab.import_imaging_action.isEnabled()
    tab.select_record(lab.id)
    assert not tab.export_images_action.isEnabled()
    tab.select_record(imaging.id)
    assert tab.export_images_action.isEnabled()
    assert tab.import_imaging_action in demo_window.edit_menu.actions()


def test_a_damaged_stored_file_is_not_opened(qtbot, window, folder, tmp_path, monkeypatch) -> None:
    import os

    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: errors.append(text))
    tab = window.records_tab
    with folder.session() as s:
        record = svc.create_record(s, "imaging", "CT chest")
    source = tmp_path / "ct report.pdf"
    source.write_bytes(b"%PDF-1.4 the report as it was stored")
    attachment = svc.attach_file(folder, record.id, source)
    stored = folder.vault.path_for(attachment.sha256)
    os.chmod(stored, 0o600)
    stored.write_bytes(b"%PDF-1.4 the report, changed on disk")
    tab.reload()
    assert tab.open_attachment(attachment) is None
    assert opened == [] and errors and "damaged" in errors[-1]


def test_a_repair_while_a_deleted_record_can_be_undone_keeps_its_files(qtbot, window, folder, tmp_path,
                                                                       monkeypatch) -> None:
    """The undo history holds the deleted record's files: Check data's repair (files nothing refers to, over an
    hour old) leaves them, so Undo brings the record back whole; once the history ends they go."""
    import time

    from secondopinion_desktop.core.check import check_data, repair

    tab = window.records_tab
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 only in this record")
    with folder.session() as s:
        record = svc.create_record(s, "pathology", "Biopsy report", date_of_service="2026-02-01")
    stored = svc.attach_file(folder, record.id, scan)
    old = time.time() - 3 * 3600
    os.utime(folder.vault.path_for(stored.sha256), (old, old))  # stored long ago: past the repair's age guard
    tab.reload()
    assert tab.select_record(record.id)
    answer_yes(monkeypatch)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert record.id not in [r.id for r in rows(tab)]

    report = check_data(folder)
    repair(folder, report)
    assert folder.vault.exists(stored.sha256), "the undo history still needs it"
    assert any("undo history" in line for line in report.lines())

    window.undo_action.trigger()
    with folder.session() as s:
        back = svc.get_record(s, record.id)
    assert [a.sha256 for a in back.attachments] == [stored.sha256]
    assert folder.vault.exists(stored.sha256)
    window.redo_action.trigger()  # deleted again; closing ends the history and the file goes
    window.close()
    assert not folder.vault.exists(stored.sha256)
