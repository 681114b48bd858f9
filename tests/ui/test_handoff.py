"""File › Prepare a folder for the doctor…: planned as the person chooses, written with progress, cancelled with
nothing left behind, checked again against its manifest; the dialog fits a 1280×720 screen (also at 1.5× text)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialogButtonBox, QProgressDialog

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from secondopinion_desktop.core.appointments import create_appointment
from secondopinion_desktop.core.imaging.importer import import_imaging
from secondopinion_desktop.core.imaging.scan import scan_folder
from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.records import attach_file, create_record
from secondopinion_desktop.ui.handoff import HandoffDialog
from secondopinion_desktop.ui.main_window import MainWindow


@pytest.fixture
def filled(folder, tmp_path: Path):
    write_study(tmp_path / "cd", StudySpec(series=(SeriesSpec(1, "AX", "CT", 3),)), size=8)
    import_imaging(folder, scan_folder(tmp_path / "cd"))
    record = create_record(folder, "pathology", "Biopsy report", date_of_service="2024-02-01")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n% report\n")
    attach_file(folder, record.id, report)
    create_appointment(folder, "2026-12-20 10:00", place="Cancer center")
    return folder


@pytest.fixture
def window(qtbot, filled):
    made = MainWindow(filled)
    qtbot.addWidget(made)
    made.resize(1280, 700)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.close()


def open_dialog(qtbot, window) -> HandoffDialog:
    window.findChild(type(window.handoff_action), "handoffAction").trigger()
    qtbot.waitUntil(lambda: getattr(window, "handoff_dialog", None) is not None, timeout=3000)
    dialog = window.handoff_dialog
    qtbot.waitExposed(dialog)
    return dialog


def choose(qtbot, dialog: HandoffDialog, place: Path) -> None:
    dialog.place.setFocus()
    qtbot.keyClicks(dialog.place, str(place))
    qtbot.waitUntil(dialog.write_button.isEnabled, timeout=5000)


def test_write_then_check_again_from_the_menu(qtbot, window, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    dialog = open_dialog(qtbot, window)
    assert dialog.appointment.count() == 2  # the next one, and the one there is
    choose(qtbot, dialog, usb)
    summary = dialog.summary.text()
    assert "1 document" in summary and "1 imaging study (3 images)" in summary and "Free space" in summary

    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Wrote"), timeout=10000)
    target = usb / "Records for the doctor"
    assert (target / "DICOMDIR").is_file() and (target / "INDEX.HTM").is_file()
    assert not dialog.write_button.isEnabled()  # written: a new place or name for another

    qtbot.mouseClick(dialog.again_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "match the manifest" in dialog.status.text(), timeout=5000)
    assert dialog.status.text().startswith("All ")

    (target / "README.TXT").write_text("changed")
    qtbot.mouseClick(dialog.again_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "does not match" in dialog.status.text(), timeout=5000)
    assert "Changed: README.TXT" in dialog.status.text()


def test_a_zip_and_a_folder_that_is_not_empty(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    busy = tmp_path / "busy"
    (busy / "Records for the doctor").mkdir(parents=True)
    (busy / "Records for the doctor" / "x.txt").write_text("x")
    dialog = open_dialog(qtbot, window)
    dialog.place.setFocus()
    qtbot.keyClicks(dialog.place, str(busy))
    qtbot.waitUntil(lambda: "not an empty folder" in dialog.summary.text(), timeout=5000)
    assert not dialog.write_button.isEnabled()

    as_zip = dialog.findChild(QAbstractButton, "handoff_zip")
    qtbot.mouseClick(as_zip, Qt.MouseButton.LeftButton, pos=QPoint(8, as_zip.height() // 2))
    assert dialog.kind() == "zip"
    qtbot.waitUntil(dialog.write_button.isEnabled, timeout=5000)
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Wrote"), timeout=10000)
    assert (busy / "Records for the doctor.zip").is_file()

    monkeypatch.setattr("secondopinion_desktop.ui.handoff.QFileDialog.getOpenFileName",
                        lambda *a, **k: (str(busy / "Records for the doctor.zip"), ""))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "match the manifest" in dialog.status.text(), timeout=5000)

    usb = dialog.findChild(QAbstractButton, "handoff_usb")
    qtbot.mouseClick(usb, Qt.MouseButton.LeftButton, pos=QPoint(8, usb.height() // 2))
    monkeypatch.setattr("secondopinion_desktop.ui.handoff.QFileDialog.getExistingDirectory",
                        lambda *a, **k: str(busy / "Records for the doctor"))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "MANIFEST.SHA256" in dialog.status.text(), timeout=5000)


def test_cancel_leaves_nothing_behind(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    def slow_packet(folder, out, options, *, progress=None, cancelled=None):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if cancelled is not None and cancelled():
                raise Cancelled()
            time.sleep(0.02)
        raise AssertionError("never cancelled")

    monkeypatch.setattr("secondopinion_desktop.core.packet.build_packet", slow_packet)
    usb = tmp_path / "usb"
    usb.mkdir()
    dialog = open_dialog(qtbot, window)
    choose(qtbot, dialog, usb)
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)

    def progress_shown() -> QProgressDialog | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: progress_shown() is not None, timeout=5000)
    cancel = progress_shown().findChild(QAbstractButton)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Cancelled"), timeout=10000)
    assert list(usb.iterdir()) == []
    assert dialog.write_button.isEnabled()  # it can be tried again


def test_the_dialog_fits_the_screen(qtbot, window, tmp_path: Path, screenshot) -> None:
    dialog = open_dialog(qtbot, window)
    choose(qtbot, dialog, tmp_path)
    screenshot(dialog, "handoff-dialog")
    screen = dialog.screen().availableGeometry()
    assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
    box = dialog.findChild(QDialogButtonBox)
    for button in [b for b in box.findChildren(QAbstractButton) if b.isVisibleTo(dialog)]:
        assert QRect(QPoint(0, 0), dialog.size()).contains(QRect(button.mapTo(dialog, QPoint(0, 0)),
                                                                 button.size())), button.text()
        assert not button.visibleRegion().isEmpty(), button.text()
    dialog.reject()
