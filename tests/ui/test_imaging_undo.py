"""An imaging import is one step of the window's history: Ctrl+Z takes it all away, Ctrl+Shift+Z brings it back,
and the import dialog's "Remove this import" button does the same as Ctrl+Z."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.ui.events import Changes, notice
from secondopinion_desktop.ui.imaging import dialog as dialog_module
from secondopinion_desktop.ui.imaging.dialog import ImportImagingDialog
from secondopinion_desktop.ui.main_window import MainWindow

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

TABLES = ("record", "attachment", "imaging_file", "facility")
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def make_disc(root: Path) -> None:
    """Two studies of Alex Sample: a CT chest (9 images in 2 series) and a PET CT (3 images)."""
    write_study(root, StudySpec(), subfolder="CT")
    write_study(root, StudySpec(description="PET CT", date="20240410", series=(SeriesSpec(1, "WB", "CT", 3),)),
                subfolder="PET")


def database(folder) -> tuple:  # type: ignore[no-untyped-def]
    with folder.session() as session:
        return tuple(tuple(session.execute(text(f"SELECT * FROM {t} ORDER BY id")).all()) for t in TABLES)


def vault(folder) -> set[str]:  # type: ignore[no-untyped-def]
    return set(folder.vault.stored())


@pytest.fixture
def patient_folder(folder):
    with folder.session() as s:
        save_profile(s, name="Alex Sample", date_of_birth=dt.date(1970, 2, 14))
    return folder


@pytest.fixture
def window(qtbot, patient_folder):
    w = MainWindow(patient_folder)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    w.tabs.setCurrentWidget(w.records_tab)
    return w


def focused(window) -> object:  # type: ignore[no-untyped-def]
    """Where the keyboard is: the window's focus widget (the records table after a dialog closed)."""
    widget = QApplication.focusWidget() or window.focusWidget()
    assert widget is not None and widget.window() is window, widget
    return widget


def import_through_the_window(qtbot, window, root: Path, monkeypatch) -> ImportImagingDialog:
    """Edit › Import imaging… (Ctrl+Shift+I), the folder chosen in the file dialog, then the Import button."""
    monkeypatch.setattr(dialog_module.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *_a, **_k: str(root)))
    tab = window.records_tab
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_I, CTRL_SHIFT)
    dialog = tab.findChild(ImportImagingDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.scan_result is not None and not dialog._busy(), timeout=60_000)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_result is not None, timeout=60_000)
    return dialog


def close(qtbot, dialog: ImportImagingDialog) -> None:
    """The Close button; the window is active again, as a desktop makes it when its dialog closes."""
    window = dialog.parentWidget().window()
    with qtbot.waitSignal(dialog.destroyed, timeout=10_000):
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)


def test_ctrl_z_takes_the_whole_import_away_and_ctrl_shift_z_brings_it_back(
        qtbot, window, patient_folder, tmp_path, monkeypatch) -> None:
    root = tmp_path / "cd"
    make_disc(root)
    db_before, vault_before = database(patient_folder), vault(patient_folder)
    dialog = import_through_the_window(qtbot, window, root, monkeypatch)
    db_after, vault_after = database(patient_folder), vault(patient_folder)
    tab = window.records_tab
    assert len(db_after[0]) == 2 and len(db_after[2]) == 12, "imported once; pushing the step did not import again"
    assert tab.undo_stack.count() == 1 and window.undo_action.text() == "&Undo Import imaging (12 images)"
    assert tab.model.rowCount() == 2 and tab.current_record is not None
    close(qtbot, dialog)

    qtbot.keyClick(focused(window), Qt.Key.Key_Z, CTRL)
    assert database(patient_folder) == db_before, "records, thumbnails, imaging rows and facility are gone"
    assert vault(patient_folder) == vault_after, "the files stay while Redo may need them"
    assert tab.model.rowCount() == 0

    qtbot.keyClick(focused(window), Qt.Key.Key_Z, CTRL_SHIFT)
    assert database(patient_folder) == db_after, "the same rows with the same ids"
    assert tab.model.rowCount() == 2

    qtbot.keyClick(focused(window), Qt.Key.Key_Z, CTRL)
    window.close()  # the history ends: the files nothing uses leave the vault
    assert vault(patient_folder) == vault_before


def test_remove_this_import_is_the_same_as_ctrl_z(qtbot, window, patient_folder, tmp_path, monkeypatch,
                                                  screenshot) -> None:
    root = tmp_path / "cd"
    make_disc(root)
    db_before = database(patient_folder)
    dialog = import_through_the_window(qtbot, window, root, monkeypatch)
    db_after, vault_after = database(patient_folder), vault(patient_folder)
    assert dialog.remove_button.isVisible() and dialog.remove_button.isEnabled()
    screenshot(dialog, "imaging-imported")

    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert database(patient_folder) == db_before
    assert vault(patient_folder) == vault_after
    assert window.records_tab.model.rowCount() == 0
    assert not dialog.remove_button.isEnabled() and dialog.remove_button.text() == "Import removed"
    assert "Ctrl+Shift+Z" in dialog.status.text()
    assert window.records_tab.undo_stack.index() == 0, "it is the Undo step, so Redo brings it back"
    screenshot(dialog, "imaging-removed")
    close(qtbot, dialog)

    qtbot.keyClick(focused(window), Qt.Key.Key_Z, CTRL_SHIFT)
    assert database(patient_folder) == db_after


def test_undo_of_images_attached_to_a_record_empties_what_the_import_filled(
        qtbot, window, patient_folder, tmp_path, monkeypatch) -> None:
    root = tmp_path / "cd"
    make_disc(root)
    with patient_folder.session() as s:
        placeholder = svc.create_record(s, "imaging", "Chest CT (needed)")
    tab = window.records_tab
    tab.reload()
    assert tab.select_record(placeholder.id)
    db_before = database(patient_folder)
    dialog = import_through_the_window(qtbot, window, root, monkeypatch)
    assert dialog.attaching()
    with patient_folder.session() as s:
        filled = svc.get_record(s, placeholder.id)
    assert filled.date_of_service == dt.date(2024, 3, 5) and len(filled.attachments) == 3
    assert "attached to “Chest CT (needed)”" in dialog.status.text()
    close(qtbot, dialog)

    qtbot.keyClick(focused(window), Qt.Key.Key_Z, CTRL)
    assert database(patient_folder) == db_before
    assert tab.current_record is not None and tab.current_record.id == placeholder.id
    assert tab.current_record.date_of_service is None and tab.current_record.attachments == ()


def test_an_import_its_undo_and_its_redo_are_each_announced_once_with_all_they_changed(
        qtbot, window, tmp_path, monkeypatch) -> None:
    root = tmp_path / "cd"
    make_disc(root)
    said: list[tuple[Changes, object]] = []

    def hear(changes: Changes, initiator: object) -> None:
        said.append((changes, initiator))

    notice().changed.connect(hear)
    try:
        dialog = import_through_the_window(qtbot, window, root, monkeypatch)
        everything = Changes.RECORDS | Changes.ATTACHMENTS | Changes.IMAGING
        assert said == [(everything, dialog)], "the new records, their thumbnails and images: said once"
        close(qtbot, dialog)
        tab = window.records_tab

        said.clear()
        qtbot.keyClick(focused(window), Qt.Key.Key_Z, CTRL)
        assert said == [(everything, tab)]
        assert tab.model.rowCount() == 0

        said.clear()
        qtbot.keyClick(focused(window), Qt.Key.Key_Z, CTRL_SHIFT)
        assert said == [(everything, tab)]
        assert tab.model.rowCount() == 2
    finally:
        notice().changed.disconnect(hear)
