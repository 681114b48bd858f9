"""The record detail pane on real data, offscreen: fields per kind, status badges, attachments, previews,
missing files, hostile text, long notes and the signals the records tab listens to."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QLabel

from secondopinion_desktop.core.records import (
    attach_file,
    create_record,
    get_record,
    list_records,
    update_record,
)
from secondopinion_desktop.core.words import day_month_year as human_date
from secondopinion_desktop.core.words import size as human_size
from secondopinion_desktop.ui.records import files_list, preview
from secondopinion_desktop.ui.records.detail import RecordDetailPane
from secondopinion_desktop.ui.records.files_list import MISSING_TEXT, NO_FILES_TEXT
from secondopinion_desktop.ui.records.preview import PDF_UNREADABLE, THUMBNAIL_SIZE, type_words

IMAGING_FIELDS = ("imaging_modality", "imaging_body_region", "images_location")
PATHOLOGY_FIELDS = ("accession_number", "specimen_site", "slides_count", "blocks_count", "material_holder")




@pytest.fixture
def pane(qtbot) -> RecordDetailPane:
    widget = RecordDetailPane()
    qtbot.addWidget(widget)
    widget.resize(380, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def demo_record(folder, fragment: str):
    with folder.session() as s:
        matches = [r for r in list_records(s) if fragment in r.title]
    assert len(matches) == 1, [r.title for r in matches]
    return matches[0]


def new_record(folder, kind="lab", title="CBC", **fields):
    with folder.session() as s:
        return create_record(s, kind, title, **fields)


def reload(folder, record):
    with folder.session() as s:
        return get_record(s, record.id)


def field(pane: RecordDetailPane, name: str) -> QLabel:
    label = pane.findChild(QLabel, f"field_{name}")
    assert label is not None, name
    return label


def shown(pane: RecordDetailPane, name: str) -> bool:
    return field(pane, name).isVisibleTo(pane)


def visible_text(pane: RecordDetailPane) -> str:
    """Everything the pane shows in words: labels, free text, file list (for 'is it there / is it absent')."""
    parts = [label.text() for label in pane.findChildren(QLabel) if label.isVisibleTo(pane)]
    parts += [view.toPlainText() for view in (pane.summary_view, pane.notes_view) if view.isVisibleTo(pane)]
    parts += [file_data(pane, i) for i in range(pane.attachments_list.count())]
    return "\n".join(parts)


def file_data(pane: RecordDetailPane, row: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole):
    """What the files list shows in ``row`` (its text, or another role: tooltip, colour, icon)."""
    return pane.attachments_list.model().index(row, 0).data(role)


def preview_made(qtbot, pane: RecordDetailPane) -> None:
    """Wait for the preview, which is made in the background."""
    qtbot.waitUntil(lambda: not pane.preview_pending, timeout=5000)


def select_row(qtbot, pane: RecordDetailPane, row: int) -> None:
    with qtbot.waitSignal(pane.attachmentSelectionChanged, timeout=2000):
        pane.attachments_list.setCurrentIndex(pane.attachments_list.model().index(row, 0))
    preview_made(qtbot, pane)


def row_of(pane: RecordDetailPane, name_end: str) -> int:
    rows = [i for i, a in enumerate(pane.record.attachments) if a.original_name.endswith(name_end)]
    assert len(rows) == 1
    return rows[0]


# --- fields -------------------------------------------------------------------------------------------------


def test_imaging_record_shows_its_imaging_fields_and_no_pathology_fields(pane, demo_folder, screenshot) -> None:
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, demo_folder)

    assert pane.record == record
    assert pane.stack.currentWidget() is pane.scroll
    assert pane.title_label.text() == record.title
    assert field(pane, "kind").text() == "Imaging"
    assert field(pane, "date_of_service").text() == human_date(record.date_of_service)
    assert field(pane, "facility").text() == record.facility_name
    assert field(pane, "clinician").text() == record.clinician_name
    assert "CT" in field(pane, "imaging_modality").text()
    assert field(pane, "imaging_body_region").text() == record.imaging_body_region
    assert field(pane, "images_location").text() == record.images_location.label
    assert all(shown(pane, name) for name in IMAGING_FIELDS)
    assert not any(shown(pane, name) for name in PATHOLOGY_FIELDS)
    text = visible_text(pane)
    assert "Accession number" not in text and "Slides" not in text
    status = field(pane, "status").text()
    assert f"Requested on {human_date(record.requested_on)}" in status
    assert f"Received on {human_date(record.received_on)}" in status
    assert pane.summary_view.toPlainText() == record.summary
    assert pane.notes_view.toPlainText() == record.notes
    assert f"Record {record.id}" in pane.timestamps_label.text() and "Added" in pane.timestamps_label.text()
    assert not pane.badge_label.isVisibleTo(pane)  # received: nothing is waiting
    screenshot(pane, "detail-pane-imaging")


def test_pathology_record_shows_accession_slides_blocks_and_holder(pane, demo_folder, screenshot) -> None:
    record = demo_record(demo_folder, "Biopsy slides and tissue block")
    pane.show_record(record, demo_folder)

    assert field(pane, "kind").text() == "Pathology"
    assert field(pane, "accession_number").text() == "SCH-S-10442"
    assert field(pane, "slides_count").text() == str(record.slides_count)
    assert field(pane, "blocks_count").text() == str(record.blocks_count)
    assert field(pane, "material_holder").text() == record.material_holder
    assert field(pane, "specimen_site").text() == record.specimen_site
    assert all(shown(pane, name) for name in PATHOLOGY_FIELDS)
    assert not any(shown(pane, name) for name in IMAGING_FIELDS)
    assert "Modality" not in visible_text(pane)
    # still requested: visibly marked as waiting, with the date
    assert pane.badge_label.isVisibleTo(pane)
    assert pane.badge_label.text().startswith("Requested — waiting")
    assert human_date(record.requested_on) in pane.badge_label.text()
    screenshot(pane, "detail-pane-pathology")


def test_needed_record_is_marked_and_empty_fields_show_a_dash(pane, folder) -> None:
    record = new_record(folder, "imaging", "Prior mammogram")
    pane.show_record(record, folder)

    assert pane.badge_label.isVisibleTo(pane) and pane.badge_label.text() == "Still needed"
    for name in ("date_of_service", "facility", "clinician", *IMAGING_FIELDS):
        assert field(pane, name).text() == "—", name
    assert field(pane, "status").text() == "Needed"
    # no summary or notes: their headings go too
    assert not pane.summary_view.isVisibleTo(pane) and not pane.summary_heading.isVisibleTo(pane)
    assert not pane.notes_view.isVisibleTo(pane) and not pane.notes_heading.isVisibleTo(pane)


def test_switching_kind_hides_the_previous_kinds_rows(pane, demo_folder) -> None:
    pane.show_record(demo_record(demo_folder, "Biopsy slides"), demo_folder)
    pane.show_record(demo_record(demo_folder, "Complete blood count"), demo_folder)
    assert not any(shown(pane, name) for name in IMAGING_FIELDS + PATHOLOGY_FIELDS)
    assert field(pane, "kind").text() == "Lab / test result"


def test_markup_in_user_text_shows_literally(pane, folder, tmp_path) -> None:
    record = new_record(
        folder, "lab", "<b>x</b> & y", facility="<i>Lab</i> & Co", clinician="Dr <script>",
        summary="<h1>big</h1> &amp;", notes="<a href='x'>link</a>",
    )
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    attach_file(folder, record.id, path, original_name="<b>scan</b>.pdf")
    pane.show_record(reload(folder, record), folder)

    assert pane.title_label.textFormat() == Qt.TextFormat.PlainText
    assert pane.title_label.text() == "<b>x</b> & y"
    assert field(pane, "facility").text() == "<i>Lab</i> & Co"
    assert field(pane, "clinician").text() == "Dr <script>"
    assert pane.summary_view.toPlainText() == "<h1>big</h1> &amp;"
    assert pane.notes_view.toPlainText() == "<a href='x'>link</a>"
    assert file_data(pane, 0).startswith("<b>scan</b>.pdf")
    tooltip = file_data(pane, 0, Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;scan&lt;/b&gt;.pdf" in tooltip  # tooltips are rich text, so escaped
    assert "<b>scan" not in tooltip


def test_emoji_and_right_to_left_text_display(pane, folder, screenshot) -> None:
    title = "فحص الدم 🩸 CBC"
    notes = "שלום — הערות 🙂\nسطر ثانٍ"
    record = new_record(folder, "lab", title, facility="مستشفى 🏥", notes=notes)
    pane.show_record(record, folder)
    assert pane.title_label.text() == title
    assert field(pane, "facility").text() == "مستشفى 🏥"
    assert pane.notes_view.toPlainText() == notes
    pane.resize(pane.minimumWidth(), 600)  # the narrowest the window may make it
    settle(pane)
    assert pane.scroll.widget().width() <= pane.scroll.viewport().width()
    screenshot(pane, "detail-pane-narrow-rtl")


def test_long_unbroken_text_wraps_instead_of_widening_the_pane(pane, folder) -> None:
    record = new_record(folder, "lab", "A" * 400, facility="F" * 300)
    pane.show_record(record, folder)
    settle(pane)
    assert pane.scroll.widget().width() <= pane.scroll.viewport().width()
    assert pane.title_label.text().replace("\u200b", "") == "A" * 400


# --- long notes ---------------------------------------------------------------------------------------------


def settle(pane: RecordDetailPane) -> None:
    """Bring the layout up to date now (what the event loop would do next) and paint once."""
    pane.scroll.widget().layout().activate()
    pane.grab()


@pytest.mark.parametrize("kind", ["words", "one-run"])
def test_50000_character_notes_display_quickly_and_the_pane_scrolls(qtbot, pane, folder, kind) -> None:
    if kind == "words":
        words = ("biopsy", "margin", "ductal", "carcinoma", "ER+", "HER2-", "nodes", "follow-up", "scan")
        notes = " ".join(words[i % len(words)] for i in range(10_000))[:50_000]
    else:
        notes = "x" * 50_000
    assert len(notes) == 50_000
    record = new_record(folder, "clinical", "Long notes", notes=notes)
    pane.show_record(new_record(folder, "lab", "Short", notes="Warms up fonts and styles."), folder)
    settle(pane)

    started = time.perf_counter()
    pane.show_record(record, folder)
    shown_in = time.perf_counter() - started
    settle(pane)
    laid_out_in = time.perf_counter() - started

    assert shown_in < 0.1, f"show_record took {shown_in * 1000:.0f} ms"
    assert laid_out_in < 1.0, f"show_record plus layout and paint took {laid_out_in * 1000:.0f} ms"
    assert pane.notes_view.toPlainText().replace("\u200b", "") == notes
    # the notes are shown in full height and the pane scrolls; nothing got wider than the pane
    qtbot.waitUntil(lambda: pane.scroll.verticalScrollBar().maximum() > 5000, timeout=3000)
    assert pane.notes_view.height() > 5000
    assert pane.scroll.widget().width() <= pane.scroll.viewport().width()
    assert pane.width() == 380


# --- attachments --------------------------------------------------------------------------------------------


def test_attachments_are_listed_with_size_and_type(pane, demo_folder) -> None:
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, demo_folder)
    listing = pane.attachments_list

    assert listing.objectName() == "attachmentsList"
    assert listing.accessibleName() == "Attached files"
    assert listing.count() == len(record.attachments) == 2
    for i, a in enumerate(record.attachments):
        text = file_data(pane, i)
        assert a.original_name in text
        assert human_size(a.size) in text
        assert type_words(a.media_type) in text
        assert MISSING_TEXT not in text
    texts = [file_data(pane, i) for i in range(2)]
    assert any("PDF document" in t for t in texts) and any("PNG image" in t for t in texts)
    assert pane.selected_attachment() is None


def test_record_without_files_says_how_to_add_some(pane, demo_folder) -> None:
    record = demo_record(demo_folder, "Whole-body bone scan")
    assert record.attachments == ()
    pane.show_record(record, demo_folder)
    assert pane.attachments_list.count() == 0
    assert pane.attachments_list.placeholder == NO_FILES_TEXT
    assert pane.attachments_list.accessibleDescription() == NO_FILES_TEXT
    assert not pane.thumbnail_label.isVisibleTo(pane)
    assert pane.selected_attachment() is None


def test_sizes_and_types_in_words() -> None:
    assert human_size(0) == "0 bytes"
    assert human_size(1) == "1 byte"
    assert human_size(1023) == "1,023 bytes"  # the one wording of core.words, as the CLI says it
    assert human_size(48 * 1024) == "48 KB"
    assert human_size(3189) == "3.1 KB"
    assert human_size(int(2.1 * 1024 * 1024)) == "2.1 MB"
    assert human_size(5 * 1024**3) == "5.0 GB"
    assert type_words("application/pdf") == "PDF document"
    assert type_words("image/png") == "PNG image"
    assert type_words("image/jpeg") == "JPEG image"
    assert type_words("application/dicom") == "DICOM image"
    assert type_words("application/octet-stream", "IM0001.dcm") == "DICOM image"
    assert type_words("application/octet-stream", "results.xyz") == "XYZ file"
    assert type_words("", "noextension") == "File"
    assert human_date(dt.date(2026, 3, 4)) == "4 Mar 2026"
    assert human_date(None) == "—"


def test_png_attachment_gets_a_thumbnail(qtbot, pane, demo_folder) -> None:
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, demo_folder)
    preview_made(qtbot, pane)
    # nothing selected yet: the record's image is previewed rather than its report
    assert pane.thumbnail_label.pixmap() is not None and not pane.thumbnail_label.pixmap().isNull()

    row = row_of(pane, ".png")
    select_row(qtbot, pane, row)
    assert pane.selected_attachment() == record.attachments[row]
    pixmap = pane.thumbnail_label.pixmap()
    assert not pixmap.isNull()
    logical = pixmap.deviceIndependentSize()
    assert 0 < logical.width() <= THUMBNAIL_SIZE and 0 < logical.height() <= THUMBNAIL_SIZE
    assert pane.thumbnail_label.objectName() == "thumbnail"
    assert pane.thumbnail_label.isVisibleTo(pane)
    assert record.attachments[row].original_name in pane.thumbnail_caption.text()
    assert "PNG image" in pane.thumbnail_caption.text()


def test_big_images_are_decoded_at_thumbnail_size(qtbot, pane, folder, tmp_path) -> None:
    record = new_record(folder, "imaging", "Photos")
    for name, fmt in (("big.png", "PNG"), ("big.jpg", "JPEG")):
        image = QImage(QSize(3000, 1500), QImage.Format.Format_RGB32)
        image.fill(QColor("#336699"))
        assert image.save(str(tmp_path / name), fmt)
        attach_file(folder, record.id, tmp_path / name)
    pane.show_record(reload(folder, record), folder)
    for row in range(2):
        select_row(qtbot, pane, row)
        size = pane.thumbnail_label.pixmap().deviceIndependentSize()
        assert size.width() == pytest.approx(THUMBNAIL_SIZE, abs=1)
        assert size.height() == pytest.approx(THUMBNAIL_SIZE / 2, abs=1)
        assert "3000 × 1500 pixels" in pane.thumbnail_caption.text()


def test_files_over_the_preview_limit_are_not_decoded(qtbot, pane, demo_folder, monkeypatch) -> None:
    monkeypatch.setattr(preview, "PREVIEW_MAX_BYTES", 1000)
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, demo_folder)
    select_row(qtbot, pane, row_of(pane, ".png"))
    assert not pane.thumbnail_label.isVisibleTo(pane)
    assert "too large to preview" in pane.thumbnail_caption.text()


def test_pdf_attachment_shows_its_page_count_read_once(qtbot, pane, demo_folder, monkeypatch) -> None:
    calls: list[Path] = []
    real = preview.pdf_page_count
    monkeypatch.setattr(preview, "pdf_page_count", lambda path: calls.append(path) or real(path))
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, demo_folder)
    pdf, png = row_of(pane, ".pdf"), row_of(pane, ".png")
    assert calls == []  # read lazily: the PDF was not previewed yet

    select_row(qtbot, pane, pdf)
    assert "PDF document · 1 page" in pane.thumbnail_caption.text()
    assert not pane.thumbnail_label.pixmap().isNull()  # the document placeholder
    select_row(qtbot, pane, png)
    select_row(qtbot, pane, pdf)
    assert "1 page" in pane.thumbnail_caption.text()
    assert len(calls) == 1  # cached per file content


@pytest.mark.parametrize("case", ["broken", "encrypted", "not-a-pdf-at-all"])
def test_unreadable_pdf_says_so_and_never_raises(qtbot, pane, folder, tmp_path, case) -> None:
    path = tmp_path / "report.pdf"
    if case == "broken":
        path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Pages /Kids [ 9 0 R >> garbage\n%%EOF")
    elif case == "encrypted":
        from pypdf import PdfWriter

        writer = PdfWriter()
        writer.add_blank_page(200, 200)
        writer.encrypt("secret", algorithm="RC4-128")
        with open(path, "wb") as fh:
            writer.write(fh)
    else:
        path.write_bytes(b"%PDF-" + os.urandom(2000))
    record = new_record(folder, "lab", "Scanned result")
    attach_file(folder, record.id, path)
    pane.show_record(reload(folder, record), folder)
    select_row(qtbot, pane, 0)
    assert PDF_UNREADABLE in pane.thumbnail_caption.text()
    assert pane.attachments_list.count() == 1


def test_file_deleted_from_the_vault_is_marked_missing(qtbot, pane, demo_folder, screenshot) -> None:
    record = demo_record(demo_folder, "CT chest")
    png = next(a for a in record.attachments if a.media_type == "image/png")
    demo_folder.vault.path_for(png.sha256).unlink()

    pane.show_record(record, demo_folder)
    row = row_of(pane, ".png")
    assert MISSING_TEXT in file_data(pane, row)
    assert file_data(pane, row, Qt.ItemDataRole.ForegroundRole) == QColor(files_list.MISSING_COLOUR)
    assert "no longer in the data folder" in file_data(pane, row, Qt.ItemDataRole.ToolTipRole)
    assert MISSING_TEXT not in file_data(pane, 1 - row)

    select_row(qtbot, pane, row)
    assert pane.selected_attachment() == png
    assert not pane.thumbnail_label.isVisibleTo(pane)
    assert "missing from the data folder" in pane.thumbnail_caption.text()
    screenshot(pane, "detail-pane-missing-file")
    # the record stays usable: the other file still previews, activation still reaches the caller
    select_row(qtbot, pane, 1 - row)
    assert "PDF document" in pane.thumbnail_caption.text()
    select_row(qtbot, pane, row)
    pane.attachments_list.setFocus()
    with qtbot.waitSignal(pane.attachmentActivated, timeout=2000) as blocker:
        qtbot.keyClick(pane.attachments_list, Qt.Key.Key_Return)
    assert blocker.args == [png]


# --- signals and state --------------------------------------------------------------------------------------


def test_double_click_and_enter_emit_the_attachment(qtbot, pane, demo_folder) -> None:
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, demo_folder)
    listing = pane.attachments_list

    settle(pane)
    centre = listing.visualRect(listing.model().index(1, 0)).center()
    with qtbot.waitSignal(pane.attachmentActivated, timeout=2000) as blocker:
        # a real double-click: press/release, then the double-click event on the same item
        qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.mouseDClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert blocker.args == [record.attachments[1]]

    select_row(qtbot, pane, 0)
    listing.setFocus()
    with qtbot.waitSignal(pane.attachmentActivated, timeout=2000) as blocker:
        qtbot.keyClick(listing, Qt.Key.Key_Return)
    assert blocker.args == [record.attachments[0]]


def test_selection_changes_are_signalled_and_survive_a_refresh(qtbot, pane, demo_folder) -> None:
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, demo_folder)
    select_row(qtbot, pane, 1)
    chosen = pane.selected_attachment()
    assert chosen == record.attachments[1]

    # the same record again (say, after an edit elsewhere): the file stays selected, no selection signal
    with demo_folder.session() as s:
        edited = update_record(s, record.id, notes="Edited.")
    with qtbot.assertNotEmitted(pane.attachmentSelectionChanged):
        pane.show_record(edited, demo_folder)
    assert pane.selected_attachment() == chosen
    assert pane.notes_view.toPlainText() == "Edited."

    # another record: the selection goes, and the change is signalled
    with qtbot.waitSignal(pane.attachmentSelectionChanged, timeout=2000):
        pane.show_record(demo_record(demo_folder, "Breast MRI"), demo_folder)
    assert pane.selected_attachment() is None


def test_nothing_selected_shows_a_friendly_empty_state(qtbot, pane, demo_folder, screenshot) -> None:
    assert pane.record is None
    assert pane.stack.currentWidget() is pane.empty_label
    assert pane.empty_label.text() == "Select a record to see its details"

    pane.show_record(demo_record(demo_folder, "CT chest"), demo_folder)
    select_row(qtbot, pane, 0)
    with qtbot.waitSignal(pane.attachmentSelectionChanged, timeout=2000):
        pane.show_record(None, None)
    assert pane.record is None
    assert pane.selected_attachment() is None
    assert pane.attachments_list.count() == 0
    assert pane.stack.currentWidget() is pane.empty_label
    assert pane.empty_label.isVisible()
    screenshot(pane, "detail-pane-empty")


def test_record_without_its_folder_still_shows(pane, demo_folder) -> None:
    record = demo_record(demo_folder, "CT chest")
    pane.show_record(record, None)
    assert pane.attachments_list.count() == 2
    assert not pane.thumbnail_label.isVisibleTo(pane)
    assert "No preview" in pane.thumbnail_caption.text()


def _drop(widget, paths: list[Path]) -> tuple[bool, bool]:
    """Drag local files over ``widget`` and drop them: (enter accepted, drop accepted)."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(widget.rect().center())
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(point, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_files_dropped_on_the_pane_are_offered_to_the_caller(qtbot, pane, demo_folder, tmp_path) -> None:
    files = [tmp_path / "a.pdf", tmp_path / "b.png"]
    for f in files:
        f.write_bytes(b"x")
    # no record shown: nothing to attach to, the drop is refused
    with qtbot.assertNotEmitted(pane.filesDropped):
        assert _drop(pane, files) == (False, False)

    pane.show_record(demo_record(demo_folder, "Whole-body bone scan"), demo_folder)
    with qtbot.waitSignal(pane.filesDropped, timeout=2000) as blocker:
        assert _drop(pane, files) == (True, True)
    assert blocker.args == [files]


def test_accessible_names_and_minimum_width(pane) -> None:
    assert pane.accessibleName() == "Record details"
    assert pane.minimumWidth() >= 240  # its text wraps; the table needs the room on a small screen
    assert pane.attachments_list.accessibleName() == "Attached files"
    assert pane.thumbnail_label.accessibleName()
    assert pane.title_label.accessibleName() == "Title"
    assert pane.notes_view.accessibleName() == "Notes"
    assert pane.summary_view.accessibleName() == "Summary"
    for name in ("kind", "status", "facility"):
        assert pane.findChild(QLabel, f"field_{name}").accessibleName()


def test_module_loads_without_the_core() -> None:
    """The pane is imported with the window; SQLAlchemy must wait until a record is shown."""
    code = (
        "import sys; import secondopinion_desktop.ui.records.detail; "
        "print(any(m == 'sqlalchemy' or m.startswith('sqlalchemy.') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


def _one_page_pdf(path: Path, *, password: str | None = None, algorithm: str = "AES-128") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if password is not None:
        writer.encrypt(password, algorithm=algorithm)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path.read_bytes()


@pytest.mark.parametrize("case", ["junk-before-header", "opens-without-password", "named-without-pdf"])
def test_every_readable_pdf_shows_its_pages_and_a_pdf_icon(qtbot, pane, folder, tmp_path, case) -> None:
    path = tmp_path / "report.pdf"
    if case == "junk-before-header":  # saved from a mail program: a few header bytes first
        data = _one_page_pdf(path)
        path.write_bytes(b"\xef\xbb\xbfContent-Type: application/pdf\r\n\r\n" + data)
    elif case == "opens-without-password":  # encrypted against changes only, as many hospital PDFs are
        _one_page_pdf(path, password="", algorithm="RC4-128")
    else:  # a name without ".pdf" and a byte-order mark first: only a look inside tells it is a PDF
        data = _one_page_pdf(path)
        path.write_bytes(b"\xef\xbb\xbf\r\n" + data)
        path = path.rename(tmp_path / "scan from the clinic")
    record = new_record(folder, "lab", "Scanned result")
    attach_file(folder, record.id, path)
    pane.show_record(reload(folder, record), folder)
    assert "PDF document" in file_data(pane, 0)
    icon = file_data(pane, 0, Qt.ItemDataRole.DecorationRole)
    assert icon.cacheKey() == preview.page_icon("PDF", "#B3261E").cacheKey()
    select_row(qtbot, pane, 0)
    assert "PDF document · 1 page" in pane.thumbnail_caption.text()


def test_a_password_protected_pdf_says_so(qtbot, pane, folder, tmp_path) -> None:
    path = tmp_path / "report.pdf"
    _one_page_pdf(path, password="secret", algorithm="RC4-128")
    record = new_record(folder, "lab", "Scanned result")
    attach_file(folder, record.id, path)
    pane.show_record(reload(folder, record), folder)
    select_row(qtbot, pane, 0)
    assert pane.thumbnail_caption.text().endswith(f"{PDF_UNREADABLE} (password-protected)")
