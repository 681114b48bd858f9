"""New record from file…: the file's text is read in the background, the New record dialog opens filled in with
each suggested field marked, the mark goes when the patient changes the field, and nothing is written until
"Add record" (one undo step, the file attached). Several files: one dialog each, with Skip and Cancel the rest.
The dialog itself takes files ("Add files…", or dropped on it). Screenshots go to $SECONDOPINION_SCREENSHOTS."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QPushButton, QToolButton

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.directory import create_facility
from secondopinion_desktop.core.documents.model import BY_OCR, BY_TEXT, PageText, ReadResult, Unreadable
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records import from_file
from secondopinion_desktop.ui.records.dialogs import RecordDialog

PATHOLOGY_TEXT = """Samplewood University Hospital
Department of Pathology
SURGICAL PATHOLOGY REPORT
Patient: Alex Sample    Accession: S26-4411
Date of service: 10/14/2026
Ordering physician: Dr. Jordan Reyes
FINAL DIAGNOSIS: Invasive ductal carcinoma, grade 2. HER2 negative.
"""


class FakeReader:
    """The document reader's protocol (``read(path, media_type, cancelled=)``), answering from a table."""

    def __init__(self, texts: dict[str, str | Exception]) -> None:
        self.texts = texts
        self.read_names: list[str] = []

    def __enter__(self) -> FakeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self, path: Path, media_type: str, *, cancelled=None) -> ReadResult:
        self.read_names.append(path.name)
        text = self.texts.get(path.name, "")
        if isinstance(text, Exception):
            raise text
        method = BY_OCR if media_type.startswith("image/") else BY_TEXT
        return ReadResult((PageText(1, text, method),), 1)


@pytest.fixture
def reader(monkeypatch):
    fake = FakeReader({})
    monkeypatch.setattr(from_file, "open_reader", lambda ocr=True: fake)
    return fake


@pytest.fixture
def window(qtbot, folder):
    made = MainWindow(folder)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    made.tabs.setCurrentWidget(made.records_tab)
    yield made
    made.close()


def choose(monkeypatch, paths: list[Path]) -> list[str]:
    asked: list[str] = []

    def pick(parent, caption, *args, **kwargs):
        asked.append(caption)
        return [str(p) for p in paths], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", pick)
    return asked


def toolbar_button(tab) -> QToolButton:
    return next(b for b in tab.findChildren(QToolButton) if b.defaultAction() is tab.actions.from_file_action)


def pdf(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 " + name.encode())
    return path


def records(folder) -> list[svc.RecordData]:
    with folder.session() as session:
        return sorted(svc.list_records(session), key=lambda r: r.id)


def label_text(dialog: RecordDialog, buddy) -> str:
    return dialog._label_of(buddy).text()


def test_a_pathology_report_fills_in_the_dialog_marked_and_ok_adds_it_with_its_file(
        qtbot, window, folder, tmp_path, monkeypatch, reader, screenshot) -> None:
    create_facility(folder, "Samplewood University Hospital")
    path = pdf(tmp_path, "scan_0042.pdf")
    reader.texts[path.name] = PATHOLOGY_TEXT
    asked = choose(monkeypatch, [path])
    tab = window.records_tab
    seen: dict[str, object] = {}

    def check(dialog: RecordDialog) -> None:
        seen["title"] = dialog.windowTitle()
        seen["marks"] = dict(dialog.suggested())
        seen["kind"] = dialog.kind()
        seen["date"] = dialog.date_field.value()
        seen["facility"] = dialog.fields().get("facility_id")
        seen["accession"] = dialog.accession_edit.text()
        seen["date label"] = label_text(dialog, dialog.date_edit)
        seen["date tip"] = dialog.date_edit.toolTip()
        seen["tinted"] = dialog.date_edit.property("suggested")
        seen["note"] = dialog.note_label.text()
        seen["files"] = [dialog.files_list.item(i).text() for i in range(dialog.files_list.count())]
        screenshot(dialog, "new-record-from-file")
        # the patient corrects the title: that mark goes, the others stay
        dialog.title_edit.selectAll()
        qtbot.keyClicks(dialog.title_edit, "Breast biopsy pathology")
        seen["marks after"] = set(dialog.suggested())
        seen["title label after"] = label_text(dialog, dialog.title_edit)
        seen["tinted after"] = dialog.title_edit.property("suggested")
        assert records(folder) == []  # nothing written before the patient confirms
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    errors = on_next_dialog(check)
    qtbot.mouseClick(toolbar_button(tab), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(records(folder)) == 1 and tab.undo_stack.count() == 1, timeout=10_000)
    assert errors == []
    assert asked == ["New record from file"]
    assert seen["title"] == "New record from file"
    assert seen["kind"] is RecordKind.PATHOLOGY
    assert seen["date"] == dt.date(2026, 10, 14)
    assert seen["facility"] is not None  # the known facility was chosen, not typed in as a new one
    assert seen["accession"] == "S26-4411"
    marks = seen["marks"]
    assert {"kind", "date_of_service", "facility", "accession_number"} <= set(marks)
    assert "10/14/2026" in marks["date_of_service"] and "page 1" in marks["date_of_service"]
    assert seen["date label"] == "&Date of service (suggested):"
    assert "10/14/2026" in str(seen["date tip"]) and seen["tinted"] is True
    assert "scan_0042.pdf" in str(seen["note"]) and seen["files"] == ["scan_0042.pdf"]
    assert "title" not in seen["marks after"] and "date_of_service" in seen["marks after"]
    assert seen["title label after"] == "&Title:" and not seen["tinted after"]

    [record] = records(folder)
    assert record.title == "Breast biopsy pathology"
    assert record.kind is RecordKind.PATHOLOGY and record.date_of_service == dt.date(2026, 10, 14)
    assert record.accession_number == "S26-4411" and record.facility_name == "Samplewood University Hospital"
    assert record.status is RecordStatus.RECEIVED
    assert [a.original_name for a in record.attachments] == ["scan_0042.pdf"]
    assert tab.model.rowCount() == 1

    window.undo_action.trigger()  # one step takes it away, file and all
    assert records(folder) == [] and tab.model.rowCount() == 0
    window.redo_action.trigger()
    assert [r.title for r in records(folder)] == ["Breast biopsy pathology"]


def test_a_new_facility_is_typed_in_as_new(qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    path = pdf(tmp_path, "report.pdf")
    reader.texts[path.name] = PATHOLOGY_TEXT
    choose(monkeypatch, [path])
    seen: dict[str, object] = {}

    def check(dialog: RecordDialog) -> None:
        seen["fields"] = dialog.fields()
        seen["tip"] = dialog.facility_combo.toolTip()
        dialog.reject()

    errors = on_next_dialog(check)
    window.records_tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: "fields" in seen, timeout=10_000)
    assert errors == []
    assert seen["fields"]["facility"] == "Samplewood University Hospital"
    assert "new facility" in str(seen["tip"]).lower()


def test_cancel_adds_nothing(qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    path = pdf(tmp_path, "report.pdf")
    reader.texts[path.name] = PATHOLOGY_TEXT
    choose(monkeypatch, [path])
    done: list[bool] = []
    errors = on_next_dialog(lambda dialog: (done.append(True), dialog.cancel_button.click()))
    window.records_tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    assert errors == []
    assert records(folder) == [] and list(folder.vault.stored()) == []
    assert window.records_tab.undo_stack.count() == 0


def test_an_unreadable_file_gives_the_name_hints_and_says_why(
        qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    path = pdf(tmp_path, "CT_chest_2026-10-14.pdf")
    reader.texts[path.name] = Unreadable("It is protected by a password, so its text cannot be read.")
    choose(monkeypatch, [path])
    seen: dict[str, object] = {}

    def check(dialog: RecordDialog) -> None:
        seen["note"] = dialog.note_label.text()
        seen["visible"] = dialog.note_label.isVisible()
        seen["date"] = dialog.date_field.value()
        seen["marks"] = set(dialog.suggested())
        dialog.reject()

    errors = on_next_dialog(check)
    window.records_tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: "note" in seen, timeout=10_000)
    assert errors == []
    assert seen["visible"] is True
    assert seen["note"] == ("The text of CT_chest_2026-10-14.pdf could not be read: It is protected by a password, "
                            "so its text cannot be read. Only its name gave hints.")
    assert "\n" not in str(seen["note"])
    assert seen["date"] == dt.date(2026, 10, 14)  # the date in the file's name
    assert "date_of_service" in seen["marks"]


def test_several_files_one_dialog_each_with_skip_and_cancel_the_rest(
        qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    files = [pdf(tmp_path, f"{name}.pdf") for name in ("first report", "second report", "third report")]
    choose(monkeypatch, files)
    tab = window.records_tab
    titles: list[str] = []

    def third(dialog: RecordDialog) -> None:
        titles.append(dialog.windowTitle())
        assert dialog.cancel_button.text() == "Cancel"  # nothing after it
        dialog.cancel_button.click()

    def second(dialog: RecordDialog) -> None:
        titles.append(dialog.windowTitle())
        assert dialog.cancel_button.text() == "Cancel the rest"
        on_next_dialog(third)
        dialog.skip_button.click()

    def first(dialog: RecordDialog) -> None:
        titles.append(dialog.windowTitle())
        assert dialog.title_edit.text().lower() == "first report"
        on_next_dialog(second)
        dialog.ok_button.click()

    errors = on_next_dialog(first)
    tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: len(titles) == 3 or bool(errors), timeout=10_000)
    assert errors == [], titles
    qtbot.waitUntil(lambda: tab.undo_stack.count() == 1, timeout=10_000)
    assert errors == []
    assert titles == [f"New record from file ({n} of 3)" for n in (1, 2, 3)]
    assert [r.title.lower() for r in records(folder)] == ["first report"]
    assert reader.read_names == ["first report.pdf", "second report.pdf", "third report.pdf"]


def test_cancel_the_rest_stops_at_once(qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    files = [pdf(tmp_path, f"{name}.pdf") for name in ("one", "two", "three")]
    choose(monkeypatch, files)
    tab = window.records_tab
    opened: list[str] = []
    errors = on_next_dialog(lambda dialog: (opened.append(dialog.windowTitle()), dialog.cancel_button.click()))
    tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    qtbot.waitUntil(lambda: tab.last_notice != "", timeout=5000)
    assert errors == [] and opened == ["New record from file (1 of 3)"]
    assert tab.last_notice == "2 other files left without a record."
    assert records(folder) == []


def test_the_file_menu_and_the_shortcut_open_it(qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    asked = choose(monkeypatch, [])
    window.tabs.setCurrentWidget(window.guidance_tab or window.tabs.widget(0))
    assert window.from_file_action.isEnabled()
    window.from_file_action.trigger()
    assert window.tabs.currentWidget() is window.records_tab and asked == ["New record from file"]
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert asked == ["New record from file", "New record from file"]


def test_the_new_record_dialog_takes_files_and_never_overwrites_what_was_typed(
        qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    first = pdf(tmp_path, "pathology.pdf")
    reader.texts[first.name] = PATHOLOGY_TEXT
    dropped = pdf(tmp_path, "page 2.pdf")
    reader.texts[dropped.name] = "Date of service: 11/03/2026\nRadiology report"
    asked = choose(monkeypatch, [first])
    tab = window.records_tab
    seen: dict[str, object] = {}

    def fill(dialog: RecordDialog) -> None:
        qtbot.keyClicks(dialog.title_edit, "My biopsy")
        qtbot.mouseClick(dialog.add_files_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.files_list.count() == 1, timeout=5000)
        seen["title"] = dialog.title_edit.text()
        seen["marks"] = set(dialog.suggested())
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(dropped))])
        dialog.dropEvent(QDropEvent(QPointF(QPoint(20, 20)), Qt.DropAction.CopyAction, mime,
                                    Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
        qtbot.waitUntil(lambda: dialog.files_list.count() == 2, timeout=5000)
        seen["date"] = dialog.date_field.value()  # the first file's date stays
        seen["files"] = dialog.files_to_attach()
        dialog.ok_button.click()

    errors = on_next_dialog(fill)
    tab.actions.new_action.trigger()
    qtbot.waitUntil(lambda: tab.undo_stack.count() == 1, timeout=10_000)
    assert errors == []
    assert asked == ["Add files to the new record"]
    assert seen["title"] == "My biopsy" and "title" not in seen["marks"] and "kind" in seen["marks"]
    assert seen["date"] == dt.date(2026, 10, 14)
    assert seen["files"] == [first, dropped]
    [record] = records(folder)
    assert record.title == "My biopsy" and sorted(a.original_name for a in record.attachments) == [
        "page 2.pdf", "pathology.pdf"]
    window.undo_action.trigger()
    assert records(folder) == []


def test_a_new_record_without_files_is_still_one_undo_step(qtbot, window, folder) -> None:
    tab = window.records_tab

    def fill(dialog: RecordDialog) -> None:
        qtbot.keyClicks(dialog.title_edit, "Needed: slides")
        dialog.ok_button.click()

    errors = on_next_dialog(fill)
    tab.actions.new_action.trigger()
    qtbot.waitUntil(lambda: tab.undo_stack.count() == 1, timeout=5000)
    assert errors == []
    [record] = records(folder)
    assert record.title == "Needed: slides" and record.status is RecordStatus.NEEDED and not record.attachments
    assert tab.undo_stack.undoText() == "Add “Needed: slides”"


def fits(dialog) -> None:
    """The whole dialog is on the screen, and so are its buttons."""
    available = dialog.screen().availableGeometry()
    assert available.contains(dialog.frameGeometry()), (dialog.objectName(), dialog.frameGeometry(), available)
    for box in dialog.findChildren(QDialogButtonBox):
        for b in box.buttons():
            corner = b.mapTo(dialog, QPoint(b.width(), b.height()))
            assert dialog.rect().contains(corner - QPoint(1, 1)), (dialog.objectName(), b.text())
    for button in dialog.findChildren(QPushButton):
        if button.isVisibleTo(dialog) and button.text():
            assert button.width() >= button.minimumSizeHint().width() - 1, button.text()


def test_the_filled_in_dialog_fits_the_screen(qtbot, window, folder, tmp_path, monkeypatch, reader,
                                              screenshot) -> None:
    files = [pdf(tmp_path, f"report {n}.pdf") for n in (1, 2)]
    for path in files:
        reader.texts[path.name] = PATHOLOGY_TEXT
    choose(monkeypatch, files)
    seen: list[str] = []

    def look(dialog: RecordDialog) -> None:
        fits(dialog)
        screenshot(dialog, "new-record-from-file-1-of-2")
        seen.append(dialog.windowTitle())
        dialog.cancel_button.click()

    errors = on_next_dialog(look)
    window.records_tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert errors == []


def test_ctrl_shift_n_is_the_records_tabs_only(qtbot, window, monkeypatch, reader) -> None:
    asked = choose(monkeypatch, [])
    window.tabs.setCurrentWidget(window._tab("appointments"))
    qtbot.waitUntil(lambda: not window.records_tab.actions.from_file_action.isEnabled(), timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert asked == []  # there it starts a note, as before


def test_the_files_row_comes_first_in_the_tab_order(qtbot, folder) -> None:
    dialog = RecordDialog(folder, takes_files=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()  # as the window manager does for a new dialog
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.files_list.setFocus()
    order = []
    for _ in range(5):
        order.append(dialog.focusWidget().objectName())
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert order == ["filesList", "addFilesButton", "kindCombo", "titleEdit", "dateEdit"]  # (no file to remove)
    dialog.notes_edit.setFocus()
    walked = []
    for _ in range(3):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        walked.append(dialog.focusWidget().objectName())
    assert walked == ["okButton", "cancelButton", "filesList"]


def test_a_suggested_clinician_keeps_its_mark_when_the_kind_changes(qtbot, folder) -> None:
    from secondopinion_desktop.core.documents.suggest import Suggested, Suggestions

    dialog = RecordDialog(folder, takes_files=True)
    qtbot.addWidget(dialog)
    found = Suggestions(kind=Suggested("kind", RecordKind.PATHOLOGY, 'From "PATHOLOGY" on page 1'),
                        clinician=Suggested("clinician", "Jordan Reyes", 'From "Dr. Jordan Reyes" on page 1'))
    dialog.apply_suggestions(found, "report.pdf")
    assert dialog.clinician_label.text() == "&Clinician (pathologist, suggested):"
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(RecordKind.IMAGING.value))
    assert dialog.clinician_label.text() == "&Clinician (radiologist, suggested):"
    assert set(dialog.suggested()) == {"clinician"}  # the kind was changed by hand: its mark went
    assert dialog._label_of(dialog.kind_combo).text() == "&Kind:"
    qtbot.keyClicks(dialog.clinician_combo.lineEdit(), "x")
    assert dialog.clinician_label.text() == "&Clinician (radiologist):" and dialog.suggested() == {}


def test_the_record_waits_for_a_file_still_being_read(qtbot, folder, tmp_path, monkeypatch) -> None:
    import threading

    release = threading.Event()

    class Slow(FakeReader):
        def read(self, path, media_type, *, cancelled=None):
            release.wait(10)
            return super().read(path, media_type, cancelled=cancelled)

    monkeypatch.setattr(from_file, "open_reader", lambda ocr=True: Slow({"late.pdf": PATHOLOGY_TEXT}))
    dialog = RecordDialog(folder, takes_files=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.title_edit, "Biopsy")
    dialog.add_files([pdf(tmp_path, "late.pdf")])
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.error_label.text().startswith("A file is still being read")
    release.set()
    qtbot.waitUntil(lambda: dialog.files_list.count() == 1, timeout=10_000)
    dialog.ok_button.click()
    assert dialog.result() == RecordDialog.DialogCode.Accepted and dialog.files_to_attach()[0].name == "late.pdf"


def test_the_guides_add_dialog_takes_a_file_and_adds_it_with_the_record(
        qtbot, window, folder, tmp_path, monkeypatch, reader) -> None:
    report = pdf(tmp_path, "biopsy.pdf")
    reader.texts[report.name] = PATHOLOGY_TEXT
    choose(monkeypatch, [report])
    tab = window.records_tab
    seen: dict[str, object] = {}

    def fill(dialog: RecordDialog) -> None:
        qtbot.mouseClick(dialog.add_files_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.files_list.count() == 1, timeout=5000)
        seen["title"] = dialog.title_edit.text()
        seen["marks"] = set(dialog.suggested())
        dialog.ok_button.click()

    errors = on_next_dialog(fill)
    window._new_record(RecordKind.PATHOLOGY, "Pathology report of the biopsy")  # what the guide's Add… calls
    qtbot.waitUntil(lambda: tab.undo_stack.count() == 1, timeout=10_000)
    assert errors == []
    assert seen["title"] == "Pathology report of the biopsy"  # the guide's title is kept, not a suggestion's
    assert "title" not in seen["marks"] and "date_of_service" in seen["marks"]
    [record] = records(folder)
    assert record.kind is RecordKind.PATHOLOGY and [a.original_name for a in record.attachments] == ["biopsy.pdf"]


def test_the_edit_menu_has_new_record_from_file(window) -> None:
    names = [a.objectName() for a in window.edit_menu.actions()]
    assert names.index("newRecordFromFileAction") == names.index("newRecordAction") + 1
