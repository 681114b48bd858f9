"""Import imaging runs as operations: an import and its removal tell every view what changed, the progress is the
operation's dialog with its Cancel, closing while importing waits for that import only, and an export that cannot
be done says so in one sentence."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.records import create_record, list_records
from secondopinion_desktop.ui.events import Changes, notice
from secondopinion_desktop.ui.imaging.dialog import ImportImagingDialog, export_images

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

WHAT_AN_IMPORT_CHANGES = Changes.IMAGING | Changes.RECORDS | Changes.ATTACHMENTS


@pytest.fixture
def patient_folder(folder):
    save_profile(folder, name="Alex Sample", date_of_birth=dt.date(1970, 2, 14))
    return folder


@pytest.fixture
def disc(tmp_path) -> Path:
    root = tmp_path / "cd"
    write_study(root, StudySpec(series=(SeriesSpec(1, "AX 5mm", "CT", 4), SeriesSpec(2, "COR", "CT", 2))), size=16)
    return root


@pytest.fixture
def notices(qapp) -> list[tuple[Changes, object]]:
    seen: list[tuple[Changes, object]] = []

    def heard(changes, initiator) -> None:  # type: ignore[no-untyped-def]
        seen.append((changes, initiator))

    notice().changed.connect(heard)
    yield seen
    notice().changed.disconnect(heard)


@pytest.fixture
def gate(monkeypatch) -> threading.Event:
    """Holds the import at its first file until the test opens the gate (so it is still running meanwhile)."""
    from secondopinion_desktop.core.imaging import vaultbatch

    opened = threading.Event()
    copy = vaultbatch.VaultBatch.copy

    def held(self, source, cancelled=None):  # type: ignore[no-untyped-def]
        opened.wait(30)
        return copy(self, source, cancelled)

    monkeypatch.setattr(vaultbatch.VaultBatch, "copy", held)
    yield opened
    opened.set()


def open_dialog(qtbot, folder, root: Path) -> ImportImagingDialog:
    dialog = ImportImagingDialog(folder, root=root)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.scan_result is not None and not dialog._busy(), timeout=60_000)
    return dialog


def imaging_records(folder) -> list:
    return list_records(folder, kind=RecordKind.IMAGING)


def click_import(qtbot, dialog: ImportImagingDialog) -> None:
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)


def test_an_import_tells_every_view_that_imaging_records_and_files_changed(
        qtbot, patient_folder, disc, notices, screenshot) -> None:
    dialog = open_dialog(qtbot, patient_folder, disc)
    assert notices == [], "reading the disc changes nothing"
    screenshot(dialog, "imaging-synthetic-preview")
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.import_result is not None, timeout=60_000)
    screenshot(dialog, "imaging-synthetic-imported")
    assert len(imaging_records(patient_folder)) == 1
    assert [(changes, who) for changes, who in notices] == [(WHAT_AN_IMPORT_CHANGES, dialog)]


def test_removing_the_import_tells_every_view_too(qtbot, patient_folder, disc, notices) -> None:
    dialog = open_dialog(qtbot, patient_folder, disc)
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.remove_button.isVisible(), timeout=60_000)
    notices.clear()
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert imaging_records(patient_folder) == []
    assert notices == [(WHAT_AN_IMPORT_CHANGES, dialog)]


def test_undo_and_redo_in_the_window_tell_every_view(qtbot, patient_folder, disc, notices, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from secondopinion_desktop.ui.main_window import MainWindow

    window = MainWindow(patient_folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    tab = window.records_tab
    window.tabs.setCurrentWidget(tab)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, **_k: str(disc)))
    tab.import_imaging_action.trigger()  # Edit › Import imaging…
    dialog = tab.findChild(ImportImagingDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.scan_result is not None and not dialog._busy(), timeout=60_000)
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.remove_button.isVisible(), timeout=60_000)
    notices.clear()
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)  # the same step as Ctrl+Z
    assert imaging_records(patient_folder) == []
    assert (WHAT_AN_IMPORT_CHANGES, tab) in notices
    notices.clear()
    window.redo_action.trigger()
    assert len(imaging_records(patient_folder)) == 1
    assert (WHAT_AN_IMPORT_CHANGES, tab) in notices


def progress_dialog() -> QProgressDialog | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QProgressDialog) and w.objectName() == "operationProgress" and w.isVisible()), None)


def test_the_import_shows_the_operation_progress_and_its_cancel_says_nothing_was_imported(
        qtbot, patient_folder, disc, gate, notices, screenshot) -> None:
    dialog = open_dialog(qtbot, patient_folder, disc)
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: progress_dialog() is not None, timeout=10_000)
    shown = progress_dialog()
    screenshot(dialog.window(), "imaging-import-progress")
    screenshot(shown, "imaging-import-progress-dialog")
    assert shown.windowTitle() == "Importing imaging" and shown.labelText() == "Importing 6 images…"
    cancel = next(b for b in shown.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: not dialog._busy(), timeout=60_000)
    assert dialog.status.text() == "Import cancelled. Nothing was imported."
    assert progress_dialog() is None
    assert imaging_records(patient_folder) == [] and set(patient_folder.vault.stored()) == set()
    assert notices == [], "nothing changed, nothing is announced"
    assert dialog.import_button.isEnabled(), "the user may try again"


def test_closing_while_importing_waits_for_that_import_only(
        qtbot, patient_folder, disc, gate, monkeypatch) -> None:
    waited: list[int] = []
    monkeypatch.setattr(QThreadPool, "waitForDone", lambda self, *a: waited.append(1) or True)
    dialog = open_dialog(qtbot, patient_folder, disc)
    click_import(qtbot, dialog)
    op = dialog.last_job
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Escape)
    assert waited == [], "closing never waits on the thread pool"
    assert dialog.isVisible() and not op.done, "the dialog stays until its import has stopped"
    gate.set()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60_000)
    assert op.done and dialog.result() == ImportImagingDialog.DialogCode.Rejected
    assert imaging_records(patient_folder) == [], "the import was cancelled: nothing of it is left"
    assert set(patient_folder.vault.stored()) == set()


def test_an_export_that_cannot_be_done_says_so_in_one_sentence(qtbot, patient_folder, tmp_path) -> None:
    placeholder = create_record(patient_folder, RecordKind.IMAGING, "Chest CT (needed)")
    shown: list[tuple[str, str]] = []
    errors = on_next_dialog(lambda box: (shown.append((box.objectName(), box.text())), box.accept()))
    op = export_images(None, patient_folder, placeholder.id, tmp_path / "for the doctor")
    assert op is not None
    qtbot.waitUntil(lambda: op.done and bool(shown or errors), timeout=30_000)
    assert errors == []
    assert shown == [("operationFailed", f"The images could not be exported: Record {placeholder.id} has no "
                                         "imported DICOM images to export.")]
    assert not (tmp_path / "for the doctor").exists()
