"""Import imaging…: preview of a DICOM folder, choosing studies, warnings, cancel, and export for the doctor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox

from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.records import create_record, list_records
from secondopinion_desktop.ui.imaging.dialog import ImportImagingDialog, export_images

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"

STUDIES = (  # (date, modality, SOP class, description, body part, [series descriptions])
    ("20240305", "CT", CT_STORAGE, "CT CHEST WITH CONTRAST", "CHEST", ["Axial 5mm", "Coronal MPR"]),
    ("20240610", "MR", MR_STORAGE, "MRI BREAST BILATERAL", "BREAST", ["T1 pre", "T2 STIR"]),
)


def write_slice(path: Path, *, patient: str, birth: str, study_uid: str, series_uid: str, series_number: int,
                instance: int, date: str, modality: str, sop_class: str, study_desc: str, series_desc: str,
                body_part: str) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = patient
    ds.PatientID = "MRN-" + patient.split("^")[0]
    ds.PatientBirthDate = birth
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyDate = date
    ds.SeriesDate = date
    ds.StudyTime = "101500"
    ds.StudyDescription = study_desc
    ds.SeriesDescription = series_desc
    ds.Modality = modality
    ds.BodyPartExamined = body_part
    ds.InstitutionName = "General Hospital"
    ds.ReferringPhysicianName = "House^Gregory"
    ds.AccessionNumber = "ACC" + date
    ds.StudyID = "1"
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 16
    ds.Columns = 16
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    pixels = (np.arange(256, dtype=np.uint16).reshape(16, 16) * (instance + 1) * 50).astype(np.uint16)
    ds.PixelData = pixels.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def make_disc(root: Path, *, patient: str = "DOE^JANE", birth: str = "19700101", slices: int = 3,
              studies=STUDIES, extra_patient: str | None = None) -> dict[str, str]:
    """A small CD-like folder: studies × series × slices, a fake .dcm and a README. Returns {modality: study uid}."""
    uids: dict[str, str] = {}
    for s, (date, modality, sop, desc, body, series_list) in enumerate(studies):
        who = extra_patient if (extra_patient and s == 1) else patient
        study_uid = generate_uid()
        uids[modality] = study_uid
        for n, series_desc in enumerate(series_list, start=1):
            series_uid = generate_uid()
            for i in range(1, slices + 1):
                write_slice(root / "DICOM" / f"ST{s}" / f"SE{n}" / f"IM{i:04d}.dcm", patient=who, birth=birth,
                            study_uid=study_uid, series_uid=series_uid, series_number=n, instance=i, date=date,
                            modality=modality, sop_class=sop, study_desc=desc, series_desc=series_desc,
                            body_part=body)
    (root / "DICOM" / "notes.dcm").write_text("This is not an image, just a text file with a .dcm name.\n")
    (root / "README.txt").write_text("Patient CD. Insert into a DICOM viewer.\n")
    return uids


@pytest.fixture
def profile_folder(folder):
    with folder.session() as s:
        save_profile(s, name="Jane Doe", date_of_birth=dt.date(1970, 1, 1))
    return folder


@pytest.fixture
def disc(tmp_path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "cd"
    return root, make_disc(root)


def open_dialog(qtbot, folder, root: Path, **kwargs) -> ImportImagingDialog:
    dialog = ImportImagingDialog(folder, root=root, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.last_job is not None and dialog.last_job.done, timeout=60_000)
    assert dialog.scan_result is not None, dialog.status.text()
    return dialog


def run_import(qtbot, dialog: ImportImagingDialog):
    job = dialog.start_import()
    assert job is not None
    qtbot.waitUntil(lambda: job.done, timeout=60_000)
    return job


def imaging_records(folder):
    with folder.session() as s:
        return list_records(s, kind=RecordKind.IMAGING)


def vault_contents(folder) -> set[str]:
    return set(folder.vault.stored())


class Row:
    """One line of the studies tree, read through the view's model as the tree shows it."""

    def __init__(self, index) -> None:
        self.index = index

    def _cell(self, column: int):
        return self.index.sibling(self.index.row(), column)

    def text(self, column: int) -> str:
        return self._cell(column).data() or ""

    def data(self, column: int, role):
        return self._cell(column).data(role)

    def checkState(self, column: int) -> Qt.CheckState:
        return Qt.CheckState(self._cell(column).data(Qt.ItemDataRole.CheckStateRole))

    def font(self, column: int) -> QFont:
        return self._cell(column).data(Qt.ItemDataRole.FontRole) or QFont()

    def childCount(self) -> int:
        return self.index.model().rowCount(self.index)

    def child(self, row: int) -> Row:
        return Row(self.index.model().index(row, 0, self.index))

    def isDisabled(self) -> bool:
        return not (self.index.flags() & Qt.ItemFlag.ItemIsEnabled)


def top_rows(tree) -> list[Row]:
    model = tree.model()
    return [Row(model.index(i, 0)) for i in range(model.rowCount())]


def test_preview_lists_studies_series_counts_and_problems(qtbot, profile_folder, disc, screenshot) -> None:
    root, uids = disc
    dialog = open_dialog(qtbot, profile_folder, root)
    tree = dialog.tree
    assert len(top_rows(tree)) == 2
    studies = {row.data(0, Qt.ItemDataRole.UserRole): row for row in top_rows(tree)}
    assert set(studies) == set(uids.values())
    ct = studies[uids["CT"]]
    assert ct.text(0) == "CT CHEST WITH CONTRAST"
    assert ct.text(1) == "Jane Doe, born 1970-01-01"
    assert ct.text(2) == "2024-03-05"
    assert "CT" in ct.text(3)
    assert ct.text(5) == "6"
    assert ct.checkState(0) == Qt.CheckState.Checked
    assert ct.childCount() == 2
    assert [ct.child(i).text(0) for i in range(2)] == ["Series 1 – Axial 5mm", "Series 2 – Coronal MPR"]
    assert all(ct.child(i).text(5) == "3" for i in range(2))
    mr = studies[uids["MR"]]
    assert mr.text(2) == "2024-06-10" and "MR" in mr.text(3) and mr.childCount() == 2
    assert sorted(dialog.chosen_study_uids()) == sorted(uids.values()), "all studies are ticked by default"

    counts = dialog.counts.text()
    assert counts.startswith("2 studies, 4 series, 12 images"), counts
    problems = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert any("notes.dcm" in p for p in problems), problems
    assert dialog.problems.isVisible()
    assert not dialog.banner.isVisible(), dialog.banner.text()
    assert dialog.import_button.isDefault() and dialog.import_button.isEnabled()
    assert dialog.import_button.text() == "&Import 2 studies"
    assert not dialog.attach.isEnabled() and dialog.new_records.isChecked()
    assert imaging_records(profile_folder) == [], "nothing is written by the preview"
    screenshot(dialog, "imaging-preview")


def test_unticked_study_is_not_imported(qtbot, profile_folder, disc) -> None:
    root, uids = disc
    before = vault_contents(profile_folder)
    dialog = open_dialog(qtbot, profile_folder, root)
    dialog.set_study_checked(uids["MR"], False)
    assert dialog.chosen_study_uids() == [uids["CT"]]
    assert dialog.import_button.text() == "&Import 1 study"
    with qtbot.waitSignal(dialog.imported, timeout=60_000) as signal:
        dialog.start_import()
    qtbot.waitUntil(lambda: dialog.last_job.done)
    records = imaging_records(profile_folder)
    assert len(records) == 1
    record = records[0]
    assert signal.args == [[record.id]]
    assert record.date_of_service == dt.date(2024, 3, 5)
    assert "CT" in record.imaging_modality
    assert len(vault_contents(profile_folder) - before) >= 6
    assert dialog.status.text().startswith("Imported 6 images in 1 new imaging record"), dialog.status.text()
    assert not dialog.import_button.isEnabled(), "an import runs once"
    assert dialog.close_button.text() == "Close"


def test_attach_to_the_selected_record(qtbot, profile_folder, disc) -> None:
    root, uids = disc
    with profile_folder.session() as s:
        placeholder = create_record(s, RecordKind.IMAGING, "Chest CT (needed)")
    dialog = open_dialog(qtbot, profile_folder, root, record_id=placeholder.id)
    assert dialog.attach.isEnabled() and dialog.attach.isChecked()
    assert "Chest CT (needed)" in dialog.attach.text()
    dialog.set_study_checked(uids["MR"], False)
    with qtbot.waitSignal(dialog.imported, timeout=60_000) as signal:
        dialog.start_import()
    assert signal.args == [[placeholder.id]]
    records = imaging_records(profile_folder)
    assert [r.id for r in records] == [placeholder.id]
    assert "attached to “Chest CT (needed)”" in dialog.status.text()


def test_mismatching_patient_shows_the_warning(qtbot, folder, disc, screenshot) -> None:
    root, _uids = disc
    with folder.session() as s:
        save_profile(s, name="Maria Rossi", date_of_birth=dt.date(1981, 7, 2))
    dialog = open_dialog(qtbot, folder, root)
    assert dialog.banner.isVisible()
    assert dialog.mismatch
    text = dialog.banner.text()
    assert "Check that these images are yours" in text
    assert "Jane Doe" in text and "Maria Rossi" in text and "1981-07-02" in text
    screenshot(dialog, "imaging-mismatch")


def test_two_patients_on_one_disc_show_the_warning(qtbot, profile_folder, tmp_path) -> None:
    root = tmp_path / "mixed"
    make_disc(root, extra_patient="SMITH^JOHN")
    dialog = open_dialog(qtbot, profile_folder, root)
    assert dialog.banner.isVisible()
    assert "SMITH" in dialog.banner.text().upper()


def test_failed_import_says_nothing_was_imported(qtbot, profile_folder, disc) -> None:
    from helpers.dialogs import on_next_dialog

    root, _uids = disc
    with profile_folder.session() as s:
        lab = create_record(s, RecordKind.LAB, "Blood count")  # not an imaging record: the core refuses
    dialog = open_dialog(qtbot, profile_folder, root, record_id=lab.id)
    shown: list[str] = []
    errors = on_next_dialog(lambda box: (shown.append(box.text()), box.accept()))
    run_import(qtbot, dialog)
    qtbot.waitUntil(lambda: bool(shown) or bool(errors), timeout=10_000)
    assert errors == []
    assert "not an imaging record" in shown[0] and "Nothing was imported." in shown[0]
    assert dialog.status.text() == "The import failed. Nothing was imported."
    assert imaging_records(profile_folder) == []
    assert vault_contents(profile_folder) == set()


def test_a_folder_that_cannot_be_read_is_reported(qtbot, profile_folder, tmp_path) -> None:
    dialog = ImportImagingDialog(profile_folder, root=tmp_path / "no-such-disc")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.last_job.done, timeout=10_000)
    assert dialog.scan_result is None
    assert "does not exist" in dialog.status.text()
    assert not dialog.import_button.isEnabled()


def test_a_folder_without_images(qtbot, profile_folder, tmp_path) -> None:
    empty = tmp_path / "stick"
    empty.mkdir()
    (empty / "README.txt").write_text("nothing here")
    dialog = open_dialog(qtbot, profile_folder, empty)
    assert top_rows(dialog.tree) == []
    assert dialog.counts.text().startswith("0 studies, 0 series, 0 images; 1 other file skipped")
    assert "No images were found" in dialog.status.text()
    assert not dialog.import_button.isEnabled()


def test_cancelled_import_leaves_nothing(qtbot, profile_folder, disc, monkeypatch) -> None:
    from secondopinion_desktop.ui import jobs

    root, _uids = disc
    with profile_folder.session() as s:
        create_record(s, RecordKind.LAB, "Blood count")
    with profile_folder.session() as s:
        records_before = [(r.id, r.title, len(r.attachments)) for r in list_records(s)]
    vault_before = vault_contents(profile_folder)
    dialog = open_dialog(qtbot, profile_folder, root)
    emitted: list[object] = []
    dialog.imported.connect(emitted.append)
    monkeypatch.setattr(jobs.JobControl, "cancelled", lambda self: True)  # the user pressed Cancel at once
    run_import(qtbot, dialog)
    assert dialog.status.text() == "Import cancelled. Nothing was imported."
    assert emitted == []
    with profile_folder.session() as s:
        assert [(r.id, r.title, len(r.attachments)) for r in list_records(s)] == records_before
    assert vault_contents(profile_folder) == vault_before
    assert dialog.import_button.isEnabled(), "the user may try again"


def test_cancel_button_of_the_progress_dialog_cancels(qtbot, profile_folder, tmp_path) -> None:
    root = tmp_path / "big"
    make_disc(root, slices=40)
    dialog = open_dialog(qtbot, profile_folder, root)
    job = dialog.start_import()
    assert dialog.progress_dialog is not None
    dialog.progress_dialog.cancel()
    qtbot.waitUntil(lambda: job.done, timeout=60_000)
    if dialog.imported_ids:  # the import won the race: it is complete, never partial
        assert len(imaging_records(profile_folder)) == 2
    else:
        assert dialog.status.text() == "Import cancelled. Nothing was imported."
        assert imaging_records(profile_folder) == []
        assert vault_contents(profile_folder) == set()


def test_escape_closes_without_importing(qtbot, profile_folder, disc) -> None:
    root, _uids = disc
    dialog = open_dialog(qtbot, profile_folder, root)
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == ImportImagingDialog.DialogCode.Rejected
    assert imaging_records(profile_folder) == []


def test_export_writes_a_dicomdir(qtbot, profile_folder, disc, tmp_path) -> None:
    root, uids = disc
    dialog = open_dialog(qtbot, profile_folder, root)
    dialog.set_study_checked(uids["CT"], False)
    run_import(qtbot, dialog)
    (record_id,) = dialog.imported_ids
    target = tmp_path / "for-the-doctor"
    job = export_images(None, profile_folder, record_id, target)
    assert job is not None
    qtbot.waitUntil(lambda: job.done, timeout=60_000)
    box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "exportDoneBox" and w.isVisible())
    assert isinstance(box, QMessageBox)
    assert str(target) in box.text()
    box.accept()
    dicomdirs = list(target.rglob("DICOMDIR"))
    assert len(dicomdirs) == 1
    index = pydicom.dcmread(dicomdirs[0])
    kinds = [r.DirectoryRecordType for r in index.DirectoryRecordSequence]
    assert kinds.count("PATIENT") == 1 and kinds.count("STUDY") == 1 and kinds.count("SERIES") == 2
    assert kinds.count("IMAGE") == 6
    images = [f for f in target.rglob("*") if f.is_file() and f.name != "DICOMDIR"]
    assert len(images) >= 6
    assert {pydicom.dcmread(f).Modality for f in images} == {"MR"}


@pytest.mark.parametrize("when", ["at once", "while the files are written"])
def test_cancelling_the_export_leaves_nothing_at_the_target(qtbot, profile_folder, disc, tmp_path, monkeypatch,
                                                            when) -> None:
    from PySide6.QtWidgets import QMainWindow

    from secondopinion_desktop.core.imaging import export as core_export
    from secondopinion_desktop.core.progress import Cancelled
    from secondopinion_desktop.ui import jobs

    root, uids = disc
    dialog = open_dialog(qtbot, profile_folder, root)
    dialog.set_study_checked(uids["CT"], False)
    run_import(qtbot, dialog)
    (record_id,) = dialog.imported_ids
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    pressed = [when == "at once"]
    if not pressed[0]:  # Cancel pressed while the images are being written: nothing may take the folder's name
        real_fsync = core_export._fsync_tree

        def fsync_then_cancel(path: Path) -> None:
            real_fsync(path)
            pressed[0] = True

        monkeypatch.setattr(core_export, "_fsync_tree", fsync_then_cancel)
    monkeypatch.setattr(jobs.JobControl, "cancelled", lambda self: pressed[0])
    target = tmp_path / "usb"
    target.mkdir()
    op = export_images(window, profile_folder, record_id, target / "for-the-doctor")
    assert op is not None
    qtbot.waitUntil(lambda: op.done, timeout=60_000)
    assert window.statusBar().currentMessage() == str(Cancelled())
    assert list(target.iterdir()) == [], "no folder, no hidden staging folder"
    assert not [w for w in QApplication.topLevelWidgets() if w.objectName() == "exportDoneBox" and w.isVisible()]


def test_export_into_a_folder_with_files_uses_a_new_subfolder(qtbot, profile_folder, disc, tmp_path) -> None:
    root, uids = disc
    dialog = open_dialog(qtbot, profile_folder, root)
    dialog.set_study_checked(uids["MR"], False)
    run_import(qtbot, dialog)
    (record_id,) = dialog.imported_ids
    busy = tmp_path / "usb"
    busy.mkdir()
    (busy / "holiday.jpg").write_bytes(b"not touched")
    job = export_images(None, profile_folder, record_id, busy)
    qtbot.waitUntil(lambda: job.done, timeout=60_000)
    for w in QApplication.topLevelWidgets():
        if w.objectName() == "exportDoneBox" and w.isVisible():
            w.accept()
    assert job.out_dir.parent == busy and job.out_dir != busy
    assert (busy / "holiday.jpg").read_bytes() == b"not touched"
    assert list(job.out_dir.rglob("DICOMDIR"))


def test_folder_chosen_in_the_file_dialog(qtbot, profile_folder, disc, monkeypatch) -> None:
    from secondopinion_desktop.ui.imaging import dialog as module

    root, _uids = disc
    monkeypatch.setattr(module.QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, **_k: ""))
    assert module.open_import_imaging(None, profile_folder) is None, "cancelling the folder choice opens nothing"
    monkeypatch.setattr(module.QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, **_k: str(root)))
    dialog = module.open_import_imaging(None, profile_folder)
    assert dialog is not None  # deletes itself when closed
    qtbot.waitUntil(lambda: dialog.scan_result is not None, timeout=60_000)
    assert len(top_rows(dialog.tree)) == 2
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.destroyed):
        dialog.reject()


def test_stopping_the_scan(qtbot, profile_folder, disc, monkeypatch) -> None:
    from secondopinion_desktop.ui import jobs

    root, _uids = disc
    monkeypatch.setattr(jobs.JobControl, "cancelled", lambda self: True)
    dialog = ImportImagingDialog(profile_folder, root=root)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.last_job.done, timeout=10_000)
    assert dialog.scan_result is None
    assert dialog.status.text() == "Stopped reading the folder. Nothing was imported."
    assert dialog.choose_button.isEnabled() and not dialog.import_button.isEnabled()


# --- whose images, duplicates, removing an import, the size on small screens --------------------------------


def click_checkbox(qtbot, tree, item) -> None:
    """Click the tick box of ``item`` where a user would: on its check indicator."""
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    index = item.index
    tree.scrollTo(index)
    option = QStyleOptionViewItem()
    tree.initViewItemOption(option)
    option.rect = tree.visualRect(index)
    tree.itemDelegateForIndex(index).initStyleOption(option, index)
    box = tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, tree)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def study_items(dialog) -> dict[str, object]:
    return {row.data(0, Qt.ItemDataRole.UserRole): row for row in top_rows(dialog.tree)}


def click_import_and_wait(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog._busy(), timeout=60_000)


def test_someone_elses_study_shows_its_patient_starts_unticked_and_asks_before_import(
        qtbot, profile_folder, tmp_path, screenshot) -> None:
    from helpers.dialogs import on_next_dialog

    root = tmp_path / "mixed"
    uids = make_disc(root, extra_patient="SMITH^JOHN")
    dialog = open_dialog(qtbot, profile_folder, root)
    items = study_items(dialog)
    ct, mr = items[uids["CT"]], items[uids["MR"]]
    assert ct.text(1) == "Jane Doe, born 1970-01-01" and ct.checkState(0) == Qt.CheckState.Checked
    assert mr.text(1) == "Not Jane Doe: John Smith, born 1970-01-01"
    assert mr.checkState(0) == Qt.CheckState.Unchecked, "someone else's study is not ticked"
    assert mr.font(1).bold()
    assert "Studies that may be of someone else are not ticked" in dialog.banner.text()
    assert dialog.import_button.text() == "&Import 1 study"
    qtbot.mouseClick(dialog.select_all, Qt.MouseButton.LeftButton)
    assert mr.checkState(0) == Qt.CheckState.Unchecked, "All does not tick someone else's study"
    screenshot(dialog, "imaging-someone-else")

    click_checkbox(qtbot, dialog.tree, mr)
    assert mr.checkState(0) == Qt.CheckState.Checked
    assert dialog.import_button.text() == "&Import 2 studies"

    asked: list[str] = []

    def answer(button):
        def handle(box) -> None:
            assert isinstance(box, QMessageBox) and box.objectName() == "confirmSomeoneElse"
            assert box.defaultButton() is box.button(QMessageBox.StandardButton.No), "the safe answer is the default"
            asked.append(box.text())
            screenshot(box, "imaging-someone-else-confirm")
            qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)
        return handle

    errors = on_next_dialog(answer(QMessageBox.StandardButton.No))
    click_import_and_wait(qtbot, dialog)
    assert errors == [] and len(asked) == 1
    assert "not of Jane Doe" in asked[0]
    assert "MRI BREAST BILATERAL (2024-06-10) — John Smith, born 1970-01-01" in asked[0]
    assert "CT CHEST" not in asked[0], "only the studies of someone else are named"
    assert imaging_records(profile_folder) == [], "No imports nothing"
    assert dialog.status.text().startswith("Nothing was imported.")

    errors = on_next_dialog(answer(QMessageBox.StandardButton.Yes))
    click_import_and_wait(qtbot, dialog)
    assert errors == [] and len(asked) == 2
    assert len(imaging_records(profile_folder)) == 2


def test_unticking_at_the_checkbox_imports_only_the_own_study_without_asking(qtbot, profile_folder, tmp_path) -> None:
    root = tmp_path / "mixed"
    uids = make_disc(root, extra_patient="SMITH^JOHN")
    dialog = open_dialog(qtbot, profile_folder, root)
    assert dialog.chosen_study_uids() == [uids["CT"]]
    click_import_and_wait(qtbot, dialog)  # no question: only the patient's own study is ticked
    [record] = imaging_records(profile_folder)
    assert record.date_of_service == dt.date(2024, 3, 5)


def test_a_disc_imported_before_is_recognised_and_nothing_is_added(qtbot, profile_folder, disc, screenshot) -> None:
    root, uids = disc
    first = open_dialog(qtbot, profile_folder, root)
    click_import_and_wait(qtbot, first)
    assert len(imaging_records(profile_folder)) == 2
    with profile_folder.session() as s:
        rows_before = s.scalar(text_count("imaging_file"))

    again = open_dialog(qtbot, profile_folder, root)
    items = study_items(again)
    ct = items[uids["CT"]]
    assert ct.checkState(0) == Qt.CheckState.Unchecked and ct.isDisabled(), "not importable again"
    assert ct.child(0).text(0) == "Already imported: CT CHEST WITH CONTRAST (2024-03-05) (6 images) — skipped."
    assert "2 studies are already in your records and will be skipped." in again.counts.text()
    assert again.status.text() == "Everything on this disc is already in your records; there is nothing to import."
    assert not again.import_button.isEnabled()
    qtbot.mouseClick(again.select_all, Qt.MouseButton.LeftButton)
    assert again.chosen_study_uids() == [] and not again.import_button.isEnabled()
    screenshot(again, "imaging-already-imported")
    assert len(imaging_records(profile_folder)) == 2
    with profile_folder.session() as s:
        assert s.scalar(text_count("imaging_file")) == rows_before


def text_count(table: str):
    from sqlalchemy import text

    return text(f"SELECT count(*) FROM {table}")


def test_remove_this_import_without_a_window_removes_records_and_files(qtbot, profile_folder, disc) -> None:
    root, _uids = disc
    vault_before = vault_contents(profile_folder)
    dialog = open_dialog(qtbot, profile_folder, root)
    assert not dialog.remove_button.isVisible()
    click_import_and_wait(qtbot, dialog)
    assert len(imaging_records(profile_folder)) == 2
    assert dialog.remove_button.isVisible() and dialog.remove_button.isEnabled()
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert imaging_records(profile_folder) == []
    with profile_folder.session() as s:
        assert s.scalar(text_count("imaging_file")) == 0 and s.scalar(text_count("attachment")) == 0
    assert vault_contents(profile_folder) == vault_before, "no history to bring it back: the files go too"
    assert not dialog.remove_button.isEnabled()
    assert dialog.status.text().startswith("The import was removed")


def test_the_dialog_fits_a_small_screen_with_its_buttons_visible(qtbot, profile_folder, tmp_path, screenshot) -> None:
    from secondopinion_desktop.ui.widgets.screen import available_geometry

    root = tmp_path / "mixed"
    make_disc(root, extra_patient="SMITH^JOHN")
    with profile_folder.session() as s:
        save_profile(s, name="Maria Rossi", date_of_birth=dt.date(1981, 7, 2))  # a long warning banner
    dialog = open_dialog(qtbot, profile_folder, root)
    screen = available_geometry(dialog)
    assert dialog.frameGeometry().width() <= screen.width() and dialog.frameGeometry().height() <= screen.height()
    assert dialog.minimumHeight() <= screen.height() and dialog.minimumWidth() <= screen.width()
    for button in (dialog.import_button, dialog.close_button):
        assert button.isVisible()
        bottom_right = button.mapTo(dialog, button.rect().bottomRight())
        assert dialog.rect().contains(bottom_right), button.text()
    line = dialog.tree.fontMetrics().height()
    assert dialog.tree.height() >= 6 * line, "the list of studies stays readable; the rest scrolls"
    screenshot(dialog, "imaging-small-screen")
