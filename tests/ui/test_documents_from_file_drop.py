"""Files dropped on the inventory are read first, and the review lists the kind, title and date each one
suggests, every suggested cell tinted with where it came from until the patient changes it; what the review
shows is what is added, in one undo step. Screenshots go to $SECONDOPINION_SCREENSHOTS."""

from __future__ import annotations

import datetime as dt

from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from ui.test_documents_from_file import PATHOLOGY_TEXT, FakeReader, fits, pdf, records
from ui.test_records_drop import drop_on_empty_space, shown_window

from secondopinion_desktop.core.documents.model import Unreadable
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.ui.records import from_file
from secondopinion_desktop.ui.records.drop import DropImportDialog


def test_a_drop_is_reviewed_with_its_suggestions_marked(qtbot, folder, tmp_path, monkeypatch, screenshot) -> None:
    asked: list[bool] = []
    reader = FakeReader({})

    def reader_for(ocr: bool = True) -> FakeReader:
        asked.append(ocr)
        return reader

    monkeypatch.setattr(from_file, "open_reader", reader_for)
    report = pdf(tmp_path, "scan_0042.pdf")
    reader.texts[report.name] = PATHOLOGY_TEXT
    locked = pdf(tmp_path, "tumor_markers_2026-11-03.pdf")
    reader.texts[locked.name] = Unreadable("It is protected by a password, so its text cannot be read.")
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    seen: dict[str, object] = {}

    def review(dialog: DropImportDialog) -> None:
        fits(dialog)
        screenshot(dialog, "drop-review")
        table = dialog.table
        seen["headers"] = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        seen["header"] = dialog.header.text()
        seen["marks"] = dict(dialog.suggested())
        seen["titles"] = [table.item(r, dialog.TITLE).text() for r in range(2)]
        seen["dates"] = [table.item(r, dialog.DATE).text() for r in range(2)]
        seen["kinds"] = [RecordKind(c.currentData()) for c in dialog.kind_combos]
        seen["tip"] = table.item(0, dialog.DATE).toolTip()
        # the patient writes the first title their own way: that cell's mark goes, the others stay
        table.item(0, dialog.TITLE).setText("Breast biopsy")
        seen["marks after"] = set(dialog.suggested())
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    errors = on_next_dialog(review)
    drop_on_empty_space(tab, [report, locked])
    qtbot.waitUntil(lambda: tab.undo_stack.count() == 1, timeout=10_000)
    assert errors == []
    assert asked == [False]  # the text layer only, so the review comes at once
    assert seen["headers"] == ["Add", "Title", "Kind", "Date of service", "Size"]
    assert "check the tinted cells" in str(seen["header"])
    assert "The text of 1 file could not be read; its name gave the hints." in str(seen["header"])
    marks = seen["marks"]
    assert (0, "Kind") in marks and (0, "Date of service") in marks and (0, "Title") in marks
    assert "10/14/2026" in marks[(0, "Date of service")]
    assert (1, "Date of service") in marks and "file name" in marks[(1, "Date of service")]
    assert (1, "Title") not in marks  # its own name, as the patient wrote it
    assert seen["titles"][1] == "tumor markers 2026-11-03"
    assert seen["dates"] == ["2026-10-14", "2026-11-03"]
    assert seen["kinds"][0] is RecordKind.PATHOLOGY
    assert "Suggested" in str(seen["tip"]) and "page 1" in str(seen["tip"])
    assert (0, "Title") not in seen["marks after"] and (0, "Date of service") in seen["marks after"]

    made = records(folder)
    assert [(r.title, r.kind, r.date_of_service) for r in made] == [
        ("Breast biopsy", RecordKind.PATHOLOGY, dt.date(2026, 10, 14)),
        ("tumor markers 2026-11-03", seen["kinds"][1], dt.date(2026, 11, 3)),
    ]
    assert all(len(r.attachments) == 1 for r in made)
    window.undo_action.trigger()
    assert records(folder) == []


def test_a_drop_whose_reading_is_cancelled_adds_nothing(qtbot, folder, tmp_path, monkeypatch) -> None:
    from secondopinion_desktop.core.progress import Cancelled

    class Stops(FakeReader):
        def read(self, path, media_type, *, cancelled=None):
            raise Cancelled()

    monkeypatch.setattr(from_file, "open_reader", lambda ocr=True: Stops({}))
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    drop_on_empty_space(tab, [pdf(tmp_path, "report.pdf")])
    qtbot.waitUntil(lambda: tab.last_notice == "Cancelled: no record was added.", timeout=10_000)
    assert records(folder) == [] and tab.undo_stack.count() == 0


def test_a_dropped_photo_can_be_turned_before_it_is_stored(qtbot, folder, tmp_path, monkeypatch) -> None:
    from PIL import Image
    from ui.test_documents_from_file_photo import photo

    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.core.scratch import SCRATCH_NAME

    monkeypatch.setattr(from_file, "open_reader", lambda ocr=True: FakeReader({}))
    source = photo(tmp_path)
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    seen: dict[str, object] = {}

    def turn(editor) -> None:
        qtbot.mouseClick(editor.turn_right_button, Qt.MouseButton.LeftButton)
        editor.ok_button.click()

    def review(dialog: DropImportDialog) -> None:
        dialog.table.setCurrentCell(0, dialog.TITLE)
        assert dialog.photo_button.isEnabled()
        on_next_dialog(turn)
        qtbot.mouseClick(dialog.photo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "turned" in dialog.table.item(0, dialog.ADD).text(), timeout=10_000)
        seen["row"] = dialog.table.item(0, dialog.ADD).text()
        dialog.ok_button.click()

    errors = on_next_dialog(review)
    drop_on_empty_space(tab, [source])
    qtbot.waitUntil(lambda: tab.undo_stack.count() == 1, timeout=15_000)
    assert errors == []
    assert seen["row"] == "photo.jpg — turned or cropped, with photo (original).jpg"
    [made] = records(folder)
    edited, original = sorted(made.attachments, key=lambda a: a.id)
    assert (edited.original_name, original.original_name) == ("photo.jpg", "photo (original).jpg")
    with Image.open(svc.attachment_path(folder, edited)) as im:
        assert im.size == (200, 400)
    assert [p for p in (folder.path / SCRATCH_NAME).rglob("*") if p.is_file()] == []


def test_a_dropped_pdf_is_read_by_the_real_reader_in_its_own_process(qtbot, folder, tmp_path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "report.pdf"
    c = canvas.Canvas(str(path))
    for n, line in enumerate(PATHOLOGY_TEXT.splitlines()):
        c.drawString(60, 760 - 18 * n, line)
    c.save()
    window = shown_window(qtbot, folder)
    tab = window.records_tab
    seen: dict[str, object] = {}

    def review(dialog: DropImportDialog) -> None:
        seen["kind"] = RecordKind(dialog.kind_combos[0].currentData())
        seen["date"] = dialog.table.item(0, dialog.DATE).text()
        dialog.reject()

    errors = on_next_dialog(review)
    drop_on_empty_space(tab, [path])
    qtbot.waitUntil(lambda: "date" in seen or bool(errors), timeout=30_000)
    assert errors == []
    assert seen == {"kind": RecordKind.PATHOLOGY, "date": "2026-10-14"}
    assert records(folder) == []  # the review was closed: nothing added
