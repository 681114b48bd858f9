"""The window's other outputs follow the packet's and the backup's rule: never into the data folder, never onto a
device.

"Save a copy…" of an attachment (Records), "Export notes to PDF…" (Appointments) and "Export images for the
doctor…" (Edit menu) are driven through their real button or menu action, with only the file dialog replaced. A
place inside the data folder (the database, a stored file, a folder in it, a link outside that leads in) or a
device is refused with the one sentence core/outputs.py gives, in a real message box; nothing anywhere changes;
the next choice of a good place works.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.paths import DB_NAME
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.model import Column

SHOTS = "outputs"


def tree(root: Path) -> dict[str, object]:
    """Every entry below ``root`` (links not followed): its type, a regular file's SHA-256, a link's target.

    The database's -wal and -shm files are listed by name only: a reader updates the shared-memory index."""
    seen: dict[str, object] = {}
    for here, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(here) / name
            st = os.lstat(path)
            key = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                seen[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                seen[key] = ("file", None if name.endswith(("-wal", "-shm"))
                             else hashlib.sha256(path.read_bytes()).hexdigest())
            else:
                seen[key] = ("other", stat.S_IFMT(st.st_mode))
    return seen


def device_clone(where: Path) -> Path:
    """A character device like /dev/null, made where the test may replace it (as root only)."""
    if os.geteuid() != 0:
        pytest.skip("only root can make a device node")
    null = os.stat("/dev/null")
    os.mknod(where, stat.S_IFCHR | 0o666, null.st_rdev)
    return where


# (name, how to make the place: (tmp_path, data folder, a stored file) -> target path, what the sentence says)
FILE_PLACES = [
    ("the-database", lambda tmp, data, stored: data / DB_NAME, "inside the data folder"),
    ("a-stored-file", lambda tmp, data, stored: stored, "inside the data folder"),
    ("a-folder-inside", lambda tmp, data, stored: data / "vault" / "copy.pdf", "inside the data folder"),
    ("a-link-to-the-database", lambda tmp, data, stored: _link(tmp / "looks-outside.pdf", data / DB_NAME),
     "inside the data folder"),
    ("a-linked-folder-leading-inside", lambda tmp, data, stored: _link(tmp / "usb", data) / "copy.pdf",
     "inside the data folder"),
    ("a-device", lambda tmp, data, stored: device_clone(tmp / "null"), "a device or other special file"),
    ("a-pipe", lambda tmp, data, stored: _fifo(tmp / "pipe.pdf"), "a device or other special file"),
]


def _link(link: Path, to: Path) -> Path:
    link.symlink_to(to)
    return link


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def refused(qtbot, click, target: Path, reason: str, what: str, screenshot, name: str) -> None:
    """``click()`` with the file dialog answering ``target``: one warning box with the rule's sentence opens
    (it is closed here) and nothing is written."""
    seen: dict[str, str] = {}

    def read(box) -> None:
        assert isinstance(box, QMessageBox)
        seen["title"], seen["text"] = box.windowTitle(), box.text()
        screenshot(box, f"{SHOTS}-{name}")
        box.accept()

    errors = on_next_dialog(read)
    click()
    qtbot.waitUntil(lambda: bool(seen) or bool(errors), timeout=10_000)
    assert errors == []
    assert seen["text"].startswith(f"Cannot write {what} to {target}: it is "), seen["text"]
    assert reason in seen["text"]
    assert "choose" in seen["text"] or "special file" in seen["text"]


@pytest.fixture(autouse=True)
def system_temp(tmp_path, monkeypatch) -> Path:
    """The system's temporary folder, for this test: no copy of a patient's file may be staged there."""
    import tempfile

    where = tmp_path / "system-temp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def close_boxes() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.accept()


@pytest.fixture
def window(qtbot, folder):
    made = MainWindow(folder)
    qtbot.addWidget(made)
    made.resize(1280, 720)
    made.show()
    qtbot.waitExposed(made)
    yield made
    close_boxes()


# --- Records › Save a copy… --------------------------------------------------------------------------------------

@pytest.fixture
def attached(folder, tmp_path):
    source = tmp_path / "from the clinic" / "CBC 2026-03-14.pdf"
    source.parent.mkdir()
    source.write_bytes(b"%PDF-1.4\n" + os.urandom(300_000))
    with folder.session() as s:
        record = svc.create_record(s, "lab", "Complete blood count")
    attachment = svc.attach_file(folder, record.id, source)
    return record, attachment, source


def show_record(qtbot, window, record_id: int):
    tab = window.records_tab
    window.tabs.setCurrentWidget(tab)
    tab.reload()
    row = tab.model.row_of(record_id)
    rect = tab.table.visualRect(tab.model.index(row, Column.TITLE))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: tab.current_record is not None and tab.current_record.id == record_id, timeout=2000)
    assert tab.save_copy_button.isEnabled()
    return tab


@pytest.mark.parametrize(("name", "place", "reason"), FILE_PLACES, ids=[p[0] for p in FILE_PLACES])
def test_save_a_copy_refuses_the_data_folder_and_devices(qtbot, window, folder, attached, tmp_path, monkeypatch,
                                                         screenshot, system_temp, name, place, reason) -> None:
    record, attachment, source = attached
    tab = show_record(qtbot, window, record.id)
    target = place(tmp_path, folder.path, folder.vault.path_for(attachment.sha256))
    before = tree(tmp_path)
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: asked.append(a[1]) or (str(target), ""))
    tab.last_job = None

    refused(qtbot, lambda: qtbot.mouseClick(tab.save_copy_button, Qt.MouseButton.LeftButton),
            target, reason, "the copy", screenshot, f"save-copy-{name}")
    assert asked == ["Save a copy as"]
    assert tab.last_job is None, "nothing was started"
    assert tree(tmp_path) == before, "nothing was written or replaced"

    good = tmp_path / "for the doctor" / "CBC copy.pdf"
    good.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(good), ""))
    qtbot.mouseClick(tab.save_copy_button, Qt.MouseButton.LeftButton)
    assert tab.last_job is not None
    qtbot.waitUntil(lambda: tab.last_job.done, timeout=10_000)
    assert good.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(good.stat().st_mode) == 0o600
    assert sorted(p.name for p in good.parent.iterdir()) == ["CBC copy.pdf"], "no temporary file left beside it"
    assert list(system_temp.iterdir()) == []


def test_save_a_copy_of_a_damaged_stored_file_writes_nothing(qtbot, window, folder, attached, tmp_path,
                                                              monkeypatch) -> None:
    """The copy is checked against its SHA-256 on the way; a damaged stored file leaves no file behind."""
    record, attachment, _source = attached
    stored = folder.vault.path_for(attachment.sha256)
    stored.chmod(0o600)
    with open(stored, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"XXXX")
    tab = show_record(qtbot, window, record.id)
    good = tmp_path / "for the doctor" / "CBC copy.pdf"
    good.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(good), ""))
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warned.append(text))
    tab.last_job = None
    qtbot.mouseClick(tab.save_copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.last_job is not None and tab.last_job.done, timeout=10_000)
    assert len(warned) == 1 and "damaged" in warned[0] and "Nothing was saved" in warned[0]
    assert list(good.parent.iterdir()) == []


# --- Appointments › Export notes to PDF… -------------------------------------------------------------------------

NOTES_PLACES = [
    ("the-database", lambda tmp, data, stored: data / DB_NAME, "inside the data folder"),
    ("a-stored-file", lambda tmp, data, stored: stored, "inside the data folder"),
    ("a-folder-inside", lambda tmp, data, stored: data / "vault" / "notes.pdf", "inside the data folder"),
    ("a-link-to-the-database", lambda tmp, data, stored: _link(tmp / "looks-outside.pdf", data / DB_NAME),
     "inside the data folder"),
    ("a-linked-folder-leading-inside", lambda tmp, data, stored: _link(tmp / "usb", data) / "notes.pdf",
     "inside the data folder"),
    ("a-device", lambda tmp, data, stored: device_clone(tmp / "null.pdf"), "a device or other special file"),
    ("a-pipe", lambda tmp, data, stored: _fifo(tmp / "pipe.pdf"), "a device or other special file"),
]


@pytest.mark.parametrize(("name", "place", "reason"), NOTES_PLACES, ids=[p[0] for p in NOTES_PLACES])
def test_export_notes_refuses_the_data_folder_and_devices(qtbot, folder, tmp_path, monkeypatch, screenshot,
                                                          system_temp, name, place, reason) -> None:
    from secondopinion_desktop.core.demo import fill_demo_data

    fill_demo_data(folder)
    made = MainWindow(folder)
    qtbot.addWidget(made)
    made.resize(1280, 720)
    made.show()
    qtbot.waitExposed(made)
    tab = made.appointments_tab
    made.tabs.setCurrentWidget(tab)
    assert tab.export_button.isEnabled()
    stored = folder.vault.path_for(next(iter(folder.vault.stored())))
    chosen = place(tmp_path, folder.path, stored)
    # the dialog adds ".pdf" to a name without it: the place refused is the one the notes would have gone to
    target = chosen if chosen.suffix == ".pdf" else chosen.with_name(chosen.name + ".pdf")
    before = tree(tmp_path)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), "PDF files (*.pdf)"))

    try:
        refused(qtbot, lambda: qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton),
                target, reason, "the notes", screenshot, f"notes-{name}")
        assert tab.export_job is None, "nothing was started"
        assert tree(tmp_path) == before, "nothing was written or replaced"

        good = tmp_path / "for the doctor" / "notes.pdf"
        good.parent.mkdir()
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(good), "PDF files (*.pdf)"))
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
        job = tab.export_job
        assert job is not None
        qtbot.waitUntil(lambda: job.done, timeout=30_000)
        assert good.read_bytes().startswith(b"%PDF")
        assert sorted(p.name for p in good.parent.iterdir()) == ["notes.pdf"]
        assert list(system_temp.iterdir()) == []
    finally:
        close_boxes()


# --- Edit › Export images for the doctor… ------------------------------------------------------------------------

@pytest.fixture
def imaging_record(folder, tmp_path) -> int:
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

    disc = tmp_path / "cd"
    write_study(disc, StudySpec(series=(SeriesSpec(2, "AX 5mm", "CT", 3),)), size=16)
    import_imaging(folder, scan_folder(disc))
    (record_id,) = _imaging_ids(folder)
    return record_id


def _imaging_ids(folder) -> set[int]:
    from secondopinion_desktop.core.models import RecordKind

    with folder.session() as s:
        return {r.id for r in svc.list_records(s, kind=RecordKind.IMAGING)}


FOLDER_PLACES = [
    ("the-data-folder", lambda tmp, data: data, "inside the data folder"),
    ("the-vault", lambda tmp, data: data / "vault", "inside the data folder"),
    ("a-new-folder-inside", lambda tmp, data: data / "for the doctor", "inside the data folder"),
    ("a-link-leading-inside", lambda tmp, data: _link(tmp / "usb", data), "inside the data folder"),
    ("a-device", lambda tmp, data: device_clone(tmp / "null"), "not a folder"),
]


@pytest.mark.parametrize(("name", "place", "reason"), FOLDER_PLACES, ids=[p[0] for p in FOLDER_PLACES])
def test_export_images_refuses_the_data_folder_and_devices(qtbot, window, folder, imaging_record, tmp_path,
                                                           monkeypatch, screenshot, system_temp, name, place,
                                                           reason) -> None:
    tab = show_record(qtbot, window, imaging_record)
    action = tab.export_images_action
    assert action in window.edit_menu.actions() and action.isEnabled()
    target = place(tmp_path, folder.path)
    before = tree(tmp_path)
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: asked.append(a[1]) or str(target))
    tab.last_job = None

    refused(qtbot, action.trigger, target, reason, "the images", screenshot, f"export-images-{name}")
    assert len(asked) == 1
    assert tab.last_job is None, "nothing was started"
    assert tree(tmp_path) == before, "nothing was written or replaced"

    good = tmp_path / "for the doctor"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(good))
    action.trigger()
    job = tab.last_job
    assert job is not None
    qtbot.waitUntil(lambda: job.done, timeout=60_000)
    close_boxes()
    assert (good / "DICOMDIR").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "no staging left"
    assert list(system_temp.iterdir()) == []


# --- a write that fails half-way leaves nothing and says so of the right thing --------------------------------

def disk_full(*_args) -> None:
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_save_a_copy_is_made_durable_before_it_takes_its_name(qtbot, window, folder, attached, tmp_path,
                                                               monkeypatch) -> None:
    """The copy is fsynced before the rename: when that fails (a full disk), no file and no leftover is there."""
    record, _attachment, _source = attached
    tab = show_record(qtbot, window, record.id)
    good = tmp_path / "for the doctor" / "CBC copy.pdf"
    good.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(good), ""))
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warned.append(text))
    tab.last_job = None
    with monkeypatch.context() as full:
        full.setattr(os, "fsync", disk_full)
        qtbot.mouseClick(tab.save_copy_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: tab.last_job is not None and tab.last_job.done, timeout=10_000)
    assert warned == [f"The disk is full: the copy could not be saved to {good.parent}."]
    assert list(good.parent.iterdir()) == []


def test_export_notes_on_a_full_disk_speaks_of_the_notes(qtbot, folder, tmp_path, monkeypatch) -> None:
    from secondopinion_desktop.core.demo import fill_demo_data

    fill_demo_data(folder)
    made = MainWindow(folder)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    tab = made.appointments_tab
    made.tabs.setCurrentWidget(tab)
    good = tmp_path / "for the doctor" / "notes.pdf"
    good.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(good), "PDF files (*.pdf)"))
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warned.append(text))
    with monkeypatch.context() as full:
        full.setattr(os, "fsync", disk_full)
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
        job = tab.export_job
        assert job is not None
        qtbot.waitUntil(lambda: job.done, timeout=30_000)
    assert warned == [f"The disk is full: the notes could not be saved to {good.parent}."]
    assert list(good.parent.iterdir()) == []
