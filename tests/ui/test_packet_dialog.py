"""Build packet…: choose records, build in the background, preview the pages, save, print, cancel."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.core.records import list_record_rows
from secondopinion_desktop.ui.packet.dialog import PacketDialog
from secondopinion_desktop.ui.packet.preview import print_pdf


@pytest.fixture
def dialog(qtbot, demo_folder):
    d = PacketDialog(demo_folder)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def build(qtbot, dialog) -> None:
    job = dialog.build()
    qtbot.waitUntil(lambda: job.done, timeout=120_000)


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_build_preview_and_save(qtbot, dialog, demo_folder, tmp_path, screenshot) -> None:
    assert not dialog.save_button.isEnabled()
    assert dialog.appointment_combo.currentData() is not None, "the upcoming visit is chosen"
    build(qtbot, dialog)
    assert dialog.built_path is not None and dialog.result is not None
    pages = len(PdfReader(str(dialog.built_path)).pages)
    assert pages == dialog.result.pages > 5
    assert dialog.preview.pages.rowCount() == pages
    assert dialog.preview.pages.data(dialog.preview.pages.index(0)) == f"Page 1 of {pages}"
    from PySide6.QtCore import Qt

    pixmap = dialog.preview.pages.data(dialog.preview.pages.index(0), Qt.ItemDataRole.DecorationRole)
    assert not pixmap.isNull() and pixmap.width() > 300
    assert f"{pages} pages" in dialog.status.text()
    screenshot(dialog, "packet-dialog")

    target = tmp_path / "packet.pdf"
    saving = dialog.save_as(target)
    assert saving is not None
    qtbot.waitUntil(lambda: saving.done, timeout=60_000)
    assert dialog.last_saved == target
    assert len(PdfReader(str(target)).pages) == pages
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("how", ["click", "alt+s"])
def test_save_as_button_and_shortcut_save_the_packet(qtbot, dialog, tmp_path, monkeypatch, how) -> None:
    """The real Save as… button (and Alt+S) opens the file dialog and saves; clicked(bool) must not crash it."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    build(qtbot, dialog)
    asked: list[str] = []
    target = tmp_path / "chosen"  # typed without .pdf

    def fake_dialog(parent, title, start, filters):  # the real dialog replaced at its boundary only
        asked.append(start)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    if how == "click":
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    else:
        dialog.activateWindow()
        qtbot.waitUntil(lambda: dialog.isActiveWindow())
        dialog.records.setFocus()
        qtbot.keyClick(dialog.records, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(asked))  # a mnemonic "animates" the click: it lands a moment later
    assert asked[0].endswith(".pdf")
    saved = tmp_path / "chosen.pdf"
    qtbot.waitUntil(lambda: dialog.last_saved == saved, timeout=60_000)  # copied in the background
    assert len(PdfReader(str(saved)).pages) == dialog.result.pages
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert dialog.status.text() == f"Saved to {saved}."


def test_print_to_pdf_file_copies_the_packet(qtbot, dialog, tmp_path, monkeypatch) -> None:
    """Print → "Print to file (PDF)" writes the packet itself (text, not page images), private to the user."""
    from PySide6.QtCore import Qt
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    build(qtbot, dialog)
    out = tmp_path / "printed.pdf"

    def fake_exec(self):  # the print dialog replaced at its boundary: the user chose "Print to file"
        self.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        self.printer().setOutputFileName(str(out))
        return QPrintDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", fake_exec)
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.last_saved == out, timeout=60_000)  # copied in the background
    assert out.read_bytes() == dialog.built_path.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_only_the_chosen_records_go_in(qtbot, dialog, demo_folder) -> None:
    with demo_folder.session() as s:
        rows = list_record_rows(s)
    keep = next(r for r in rows if r.title.startswith("Breast MRI"))
    drop = next(r for r in rows if r.title.startswith("Complete blood count"))
    dialog.select_none.click()
    dialog.set_record_checked(keep.id, True)
    assert dialog.chosen_record_ids() == {keep.id}
    dialog.appendix.setChecked(False)
    build(qtbot, dialog)
    text = text_of(dialog.built_path)
    assert "Breast MRI" in text
    assert drop.title not in text


def test_cancel_leaves_nothing(qtbot, dialog) -> None:
    job = dialog.build()
    job.cancel()
    qtbot.waitUntil(lambda: job.done, timeout=120_000)
    if dialog.built_path is None:  # cancelled in time
        assert dialog.status.text() == "Cancelled. Nothing was written."
        assert list(dialog._tmpdir.iterdir()) == []
    tmpdir = dialog._tmpdir
    dialog.reject()
    assert not tmpdir.exists(), "the private copy is removed when the dialog closes"


def test_printing_paints_every_page(qtbot, dialog, tmp_path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    build(qtbot, dialog)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert print_pdf(dialog.built_path, printer) == dialog.result.pages
    assert len(PdfReader(str(out)).pages) == dialog.result.pages


def test_the_preview_copy_stays_in_the_data_folder(qtbot, dialog, demo_folder) -> None:
    """The packet being previewed is a plain copy: it is kept in the data folder's private scratch space, never
    in the shared temporary folder, so a crash cannot leave it readable there."""
    from secondopinion_desktop.core.scratch import SCRATCH_NAME

    build(qtbot, dialog)
    assert dialog.built_path is not None
    assert dialog.built_path.is_relative_to(demo_folder.path / SCRATCH_NAME)


def test_save_as_refuses_the_database_and_changes_nothing(qtbot, dialog, demo_folder, monkeypatch) -> None:
    """Item 12.3 in the window: saving the packet over the database (or anything in the data folder) is refused."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    build(qtbot, dialog)
    db = demo_folder.path / "secondopinion.db"
    before = db.read_bytes()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(db), "PDF files (*.pdf)"))
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warned.append(text))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert warned and "inside the data folder" in warned[0]
    assert db.read_bytes() == before
