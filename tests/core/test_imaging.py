"""Imaging CDs and folders: scanning, the patient check, import (all or nothing), thumbnails, export, deletion."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from secondopinion_desktop.core import records  # noqa: E402
from secondopinion_desktop.core.errors import NotFoundError, ValidationError  # noqa: E402
from secondopinion_desktop.core.imaging.export import export_study  # noqa: E402
from secondopinion_desktop.core.imaging.importer import (  # noqa: E402
    delete_imaging_record,
    import_imaging,
    list_imaging_files,
)
from secondopinion_desktop.core.imaging.plan import names_match, patient_mismatch  # noqa: E402
from secondopinion_desktop.core.imaging.scan import scan_folder  # noqa: E402
from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_disc, write_study  # noqa: E402
from secondopinion_desktop.core.imaging.thumbnails import placeholder_png, thumbnail_png  # noqa: E402
from secondopinion_desktop.core.models import Attachment, ImagingFile, Record, RecordKind, RecordStatus  # noqa: E402
from secondopinion_desktop.core.profile import ProfileData  # noqa: E402
from secondopinion_desktop.core.progress import Cancelled  # noqa: E402

CT = StudySpec()  # CT chest: series 2 (5 images) and 3 (4 images)
MR = StudySpec(
    description="MRI BRAIN", date="20240401", institution="Imaging Center West",
    series=(SeriesSpec(1, "AX T1 +C", "MR", 6, compressed=True, body_part="HEAD", window=None),
            SeriesSpec(4, "SAG FLAIR", "MR", 3, body_part="HEAD", photometric="MONOCHROME1")),
)


def _rle_available() -> bool:
    try:
        from pydicom.pixels import get_encoder
        from pydicom.uid import RLELossless

        return bool(get_encoder(RLELossless).is_available)
    except Exception:  # noqa: BLE001
        return False


def _snapshot(folder) -> tuple:  # type: ignore[no-untyped-def]
    with folder.session() as session:
        return (
            set(folder.vault.stored()),
            sorted(session.scalars(select(Record.id))),
            sorted(session.scalars(select(Attachment.id))),
            sorted(session.scalars(select(ImagingFile.id))),
        )


@pytest.fixture
def plain_folder(tmp_path: Path) -> Path:
    """A folder without DICOMDIR: two studies, a viewer program, and broken files mixed in."""
    root = tmp_path / "usb"
    write_study(root, CT, subfolder="CT")
    write_study(root, MR, subfolder="MR")
    (root / "viewer").mkdir()
    (root / "viewer" / "viewer.exe").write_bytes(b"MZ\x90\x00" * 100)
    (root / "autorun.inf").write_text("[autorun]\nopen=viewer\\viewer.exe\n")
    (root / "viewer" / "settings.ini").write_text("x=1\n")
    return root


def _add_broken_files(root: Path) -> None:
    good = next((root / "CT").rglob("IM00001.dcm"))
    data = good.read_bytes()
    (root / "truncated.dcm").write_bytes(data[:300])
    (root / "notes.dcm").write_text("This is not an image.\n")
    ds = pydicom.dcmread(good)
    del ds.StudyInstanceUID
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.save_as(root / "nostudy.dcm", enforce_file_format=True)
    os.symlink(root, root / "loop")  # a link back to the top: must not be followed forever


# --- scanning -----------------------------------------------------------------------------------------------


def test_scan_groups_studies_and_series_and_names_every_problem(plain_folder: Path) -> None:
    _add_broken_files(plain_folder)
    scan = scan_folder(plain_folder)

    assert not scan.used_dicomdir
    assert [s.description for s in scan.studies] == ["CT CHEST WITH CONTRAST", "MRI BRAIN"]
    ct, mr = scan.studies
    assert ct.date == dt.date(2024, 3, 5) and ct.modalities == ("CT",) and ct.body_parts == ("CHEST",)
    assert ct.institution == "General Hospital" and ct.referring_physician == "Marcus Welby"
    assert ct.patient_name == "SAMPLE^ALEX" and ct.patient_birth_date == dt.date(1970, 2, 14)
    assert [(s.number, s.description, s.image_count) for s in ct.series] == [(2, "AX 5mm", 5), (3, "COR 3mm", 4)]
    assert [(s.number, s.modality, s.image_count) for s in mr.series] == [(1, "MR", 6), (4, "MR", 3)]
    assert [f.instance_number for f in ct.series[0].files] == [1, 2, 3, 4, 5]
    assert scan.image_count == 18 and scan.series_count == 4
    assert scan.non_dicom_count == 3  # viewer.exe, settings.ini, autorun.inf
    reasons = {p.path: p.reason for p in scan.problems}
    assert "truncated" in reasons["truncated.dcm"] or "damaged" in reasons["truncated.dcm"]
    assert "not a DICOM file" in reasons["notes.dcm"]
    assert "StudyInstanceUID" in reasons["nostudy.dcm"]
    assert "loop" in reasons and "link back" in reasons["loop"]
    assert len(scan.patients) == 1

    text = "\n".join(scan.summary_lines())
    assert "Found 2 studies, 4 series and 18 images" in text
    assert "Series 1 – AX T1 +C: 6 images" in text
    assert "Skipped 3 files that are not DICOM images" in text
    assert "truncated.dcm" in text and "4 problems" in text
    assert scan.to_json()["studies"][0]["series"][0]["images"] == 5


def test_scan_reads_a_dicomdir_and_names_files_it_lists_that_are_missing(tmp_path: Path) -> None:
    disc = tmp_path / "cd"
    written = write_disc(disc, [CT, MR])
    (disc / "AUTORUN.INF").write_text("[autorun]\n")
    written[0].path.unlink()

    scan = scan_folder(disc)
    assert scan.used_dicomdir
    assert scan.image_count == 17
    missing = [p for p in scan.problems if "missing" in p.reason]
    assert [p.path for p in missing] == [written[0].path.relative_to(disc).as_posix()]
    assert scan.non_dicom_count == 1
    assert "read from its DICOMDIR index" in scan.summary_lines()[0]


def test_scan_reports_two_patients_an_empty_folder_and_a_missing_one(tmp_path: Path) -> None:
    root = tmp_path / "two"
    write_study(root, CT, subfolder="a")
    write_study(root, StudySpec(patient_name="OTHER^PAT", patient_birth_date="19800101"), subfolder="b")
    scan = scan_folder(root)
    assert {p.name for p in scan.patients} == {"SAMPLE^ALEX", "OTHER^PAT"}
    assert any("2 different patients" in line for line in scan.summary_lines())

    (tmp_path / "empty").mkdir()
    empty = scan_folder(tmp_path / "empty")
    assert empty.studies == () and empty.problems == ()
    assert empty.summary_lines()[0].startswith("No DICOM images were found")
    with pytest.raises(ValidationError, match="does not exist"):
        scan_folder(tmp_path / "nowhere")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file_is_named(plain_folder: Path) -> None:
    locked = next((plain_folder / "CT").rglob("IM00002.dcm"))
    locked.chmod(0)
    try:
        scan = scan_folder(plain_folder)
    finally:
        locked.chmod(0o600)
    assert any("permission denied" in p.reason for p in scan.problems)
    assert scan.image_count == 17


def test_scan_can_be_cancelled(plain_folder: Path) -> None:
    calls = []
    with pytest.raises(Cancelled):
        scan_folder(plain_folder, progress=lambda d, t: calls.append(d), cancelled=lambda: len(calls) >= 3)


def test_pydicom_bundled_test_files_are_read_where_they_ship(tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    names = ["CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "JPEG2000.dcm"]
    paths = [get_testdata_file(n, download=False) for n in names]
    available = [Path(p) for p in paths if p]
    if not available:
        pytest.skip("pydicom's test files are not installed")
    root = tmp_path / "bundled"
    root.mkdir()
    for p in available:
        shutil.copy(p, root / p.name)
    scan = scan_folder(root)
    assert scan.image_count + len(scan.problems) == len(available)
    assert scan.image_count >= 1
    for study in scan.studies:
        for series in study.series:
            png, reason = thumbnail_png(root / series.files[0].relative_path)
            assert Image.open(io.BytesIO(png)).format == "PNG"  # decoded or a placeholder: never a crash


# --- the patient check ------------------------------------------------------------------------------------------


def test_patient_names_are_compared_loosely_and_birth_dates_exactly(plain_folder: Path) -> None:
    assert names_match("SAMPLE^ALEX", "Alex Sample")
    assert names_match("SAMPLE^ALEX^J", "alex sample")
    assert names_match("Müller^José", "Jose Muller")
    assert not names_match("OTHER^PAT", "Alex Sample")
    scan = scan_folder(plain_folder)
    assert patient_mismatch(scan, ProfileData()) == []
    assert patient_mismatch(scan, ProfileData(name="Alex Sample", date_of_birth=dt.date(1970, 2, 14))) == []
    [message] = patient_mismatch(scan, ProfileData(name="Alex Sample", date_of_birth=dt.date(1971, 2, 14)))
    assert "birth date" in message and "1970-02-14" in message
    [message] = patient_mismatch(scan, ProfileData(name="Robin Other"))
    assert "Alex Sample" in message and "Robin Other" in message


# --- import -------------------------------------------------------------------------------------------------


def test_import_makes_one_imaging_record_per_study_with_files_in_the_vault(folder, plain_folder: Path) -> None:
    _add_broken_files(plain_folder)
    shutil.copy(next((plain_folder / "CT").rglob("IM00003.dcm")), plain_folder / "copy-of-an-image.dcm")
    scan = scan_folder(plain_folder)
    assert any("same image" in p.reason for p in scan.problems)
    steps = []
    result = import_imaging(folder, scan, progress=lambda d, t: steps.append((d, t)))

    assert len(result.record_ids) == 2 and result.files_stored == 18 and result.thumbnails == 4
    assert steps[-1] == (22, 22)
    with folder.session() as session:
        ct = records.get_record(session, result.record_ids[0])
        mr = records.get_record(session, result.record_ids[1])
        ct_files = list_imaging_files(session, ct.id)
    assert ct.kind is RecordKind.IMAGING and ct.status is RecordStatus.RECEIVED
    assert ct.title == "CT CHEST WITH CONTRAST, 2024-03-05" and ct.date_of_service == dt.date(2024, 3, 5)
    assert ct.imaging_modality == "CT" and ct.imaging_body_region == "Chest"
    assert ct.images_location.value == "files" and ct.facility_name == "General Hospital"
    assert "Series 2 – AX 5mm (CT, 5 images)" in ct.summary and "Marcus Welby" in ct.summary
    assert mr.facility_name == "Imaging Center West" and mr.imaging_modality == "MR"

    # the DICOM files are not attachments; the thumbnails are
    assert [a.original_name for a in ct.attachments] == [
        "Series 2 – AX 5mm (middle slice).png", "Series 3 – COR 3mm (middle slice).png",
    ]
    for a in ct.attachments + mr.attachments:
        assert a.media_type == "image/png"
        with Image.open(folder.vault.path_for(a.sha256)) as image:
            assert image.format == "PNG" and image.mode in ("L", "RGB") and 32 <= max(image.size) <= 512
    assert len(ct_files) == 9
    assert [f.instance_number for f in ct_files[:5]] == [1, 2, 3, 4, 5]
    # the copy of an image is stored once: under whichever of its two paths was read first
    assert {f.relative_path.split("/")[0] for f in ct_files} <= {"CT", "copy-of-an-image.dcm"}
    # each file stored once, byte-identical to the original
    digests = {f.sha256 for f in ct_files}
    assert len(digests) == 9
    for f in ct_files:
        assert folder.vault.path_for(f.sha256).read_bytes() == (plain_folder / f.relative_path).read_bytes()
    thumbs = {a.sha256 for a in ct.attachments + mr.attachments}
    with folder.session() as session:
        all_files = set(session.scalars(select(ImagingFile.sha256)))
    assert set(folder.vault.stored()) == all_files | thumbs

    # importing the same disc again stores no new vault file
    before = set(folder.vault.stored())
    import_imaging(folder, scan)
    assert set(folder.vault.stored()) == before


def test_import_into_an_existing_imaging_record_fills_only_its_empty_fields(folder, plain_folder: Path) -> None:
    with folder.session() as session:
        report = records.create_record(session, "imaging", "CT report", summary="Radiology report, see PDF.")
        lab = records.create_record(session, "lab", "CBC")
    scan = scan_folder(plain_folder)
    ct_uid = scan.studies[0].study_uid
    result = import_imaging(folder, scan, study_uids=[ct_uid], record_id=report.id)
    assert result.record_ids == (report.id,)
    with folder.session() as session:
        record = records.get_record(session, report.id)
        assert len(list_imaging_files(session, report.id)) == 9
    assert record.title == "CT report" and record.summary == "Radiology report, see PDF."
    assert record.date_of_service == dt.date(2024, 3, 5) and record.imaging_modality == "CT"
    assert record.facility_name == "General Hospital" and len(record.attachments) == 2

    with pytest.raises(ValidationError, match="not an imaging record"):
        import_imaging(folder, scan, record_id=lab.id)
    with pytest.raises(NotFoundError):
        import_imaging(folder, scan, record_id=9999)
    with pytest.raises(ValidationError, match="not among"):
        import_imaging(folder, scan, study_uids=["1.2.3"])


def test_cancel_mid_copy_leaves_the_database_and_vault_exactly_as_before(folder, plain_folder: Path) -> None:
    # something already in the vault that the import would store again must survive the cancel
    existing = next((plain_folder / "CT").rglob("IM00001.dcm"))
    with folder.session() as session:
        other = records.create_record(session, "imaging", "Older CT")
    records.attach_file(folder, other.id, existing)
    scan = scan_folder(plain_folder)
    before = _snapshot(folder)

    copied = []
    with pytest.raises(Cancelled):
        import_imaging(folder, scan, progress=lambda d, t: copied.append(d), cancelled=lambda: len(copied) >= 7)
    assert 0 < len(copied) < scan.image_count
    assert _snapshot(folder) == before
    assert not list(folder.vault.root.glob(".tmp-*"))

    # a failure while writing the rows is undone the same way
    def fail(*_a: object) -> None:
        raise RuntimeError("disk trouble")

    with pytest.raises(RuntimeError):
        import_imaging(folder, scan, progress=lambda d, t: fail() if d == scan.image_count + 2 else None)
    assert _snapshot(folder) == before


def test_thumbnails_window_invert_and_fall_back_to_a_placeholder(tmp_path: Path) -> None:
    written = write_study(tmp_path / "t", MR, subfolder="x")
    flair = [w for w in written if "SE0004" in str(w.path)][1]
    png, reason = thumbnail_png(flair.path)
    assert reason is None
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "L" and image.size == (64, 64)
        # MONOCHROME1: the bright disc in the pixel data shows dark
        assert image.getpixel((32, 32)) < image.getpixel((2, 2))
    if _rle_available():
        rle = [w for w in written if "SE0001" in str(w.path)][0]
        assert pydicom.dcmread(rle.path).file_meta.TransferSyntaxUID == pydicom.uid.RLELossless
        png, reason = thumbnail_png(rle.path)
        assert reason is None

    ds = pydicom.dcmread(flair.path)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no decoder
    ds.PixelData = pydicom.encaps.encapsulate([b"\x00\x00\x01\xb3" * 64])
    ds.save_as(tmp_path / "mpeg.dcm")
    png, reason = thumbnail_png(tmp_path / "mpeg.dcm")
    assert reason and Image.open(io.BytesIO(png)).format == "PNG"
    (tmp_path / "junk.dcm").write_bytes(b"\0" * 10)
    png, reason = thumbnail_png(tmp_path / "junk.dcm")
    assert reason and png.startswith(b"\x89PNG")
    assert placeholder_png("x" * 500).startswith(b"\x89PNG")


# --- export and deletion ------------------------------------------------------------------------------------


def test_export_writes_a_dicomdir_that_reads_back_with_the_same_images(folder, tmp_path: Path) -> None:
    disc = tmp_path / "cd"
    write_disc(disc, [CT, MR])
    scan = scan_folder(disc)
    result = import_imaging(folder, scan)
    ct_id = result.record_ids[0]
    out = export_study(folder, ct_id, tmp_path / "for-the-doctor")

    from pydicom.fileset import FileSet

    fileset = FileSet(pydicom.dcmread(out / "DICOMDIR"))
    with folder.session() as session:
        expected = {f.sop_instance_uid for f in list_imaging_files(session, ct_id)}
    assert {str(i.SOPInstanceUID) for i in fileset} == expected
    assert {str(i.StudyInstanceUID) for i in fileset} == {scan.studies[0].study_uid}
    again = scan_folder(out)
    assert again.used_dicomdir and again.image_count == 9 and again.problems == ()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".for-the-doctor")]

    with pytest.raises(ValidationError, match="not an empty folder"):
        export_study(folder, ct_id, out)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_study(folder, ct_id, empty) == empty.absolute()
    with folder.session() as session:
        plain = records.create_record(session, "imaging", "No images")
    with pytest.raises(ValidationError, match="no imported DICOM images"):
        export_study(folder, plain.id, tmp_path / "nothing")


def test_deleting_an_imaging_record_removes_only_files_nothing_else_uses(folder, plain_folder: Path) -> None:
    scan = scan_folder(plain_folder)
    ct_uid, mr_uid = (s.study_uid for s in scan.studies)
    first = import_imaging(folder, scan, study_uids=[ct_uid]).record_ids[0]
    with folder.session() as session:
        holder = records.create_record(session, "imaging", "Second copy")
        # importing the study again skips it now; data folders from before kept a second copy of its rows
        copies = [{c.name: getattr(row, c.name) for c in ImagingFile.__table__.columns if c.name != "id"}
                  for row in session.scalars(select(ImagingFile).where(ImagingFile.record_id == first))]
        session.execute(ImagingFile.__table__.insert(), [{**row, "record_id": holder.id} for row in copies])
    second = holder.id
    with folder.session() as session:
        shared = {f.sha256 for f in list_imaging_files(session, first)}

    # records.delete_record keeps DICOM files another record's ImagingFile rows still use
    records.delete_record(folder, first)
    assert all(folder.vault.exists(sha) for sha in shared)

    mr_record = import_imaging(folder, scan, study_uids=[mr_uid]).record_ids[0]
    with folder.session() as session:
        mr_files = {f.sha256 for f in list_imaging_files(session, mr_record)}
    delete_imaging_record(folder, mr_record)
    assert not any(folder.vault.exists(sha) for sha in mr_files)
    delete_imaging_record(folder, second)
    assert not any(folder.vault.exists(sha) for sha in shared)
    with folder.session() as session:
        assert session.scalars(select(ImagingFile)).all() == []
    assert set(folder.vault.stored()) == set()


def test_plain_delete_purges_dicom_files_and_undo_brings_them_back(folder, plain_folder: Path) -> None:
    scan = scan_folder(plain_folder)
    record_id = import_imaging(folder, scan, study_uids=[scan.studies[0].study_uid]).record_ids[0]
    with folder.session() as session:
        before = sorted((f.relative_path, f.sha256) for f in list_imaging_files(session, record_id))
    assert before

    # the window's undoable delete: files kept, the snapshot carries the imaging rows, restore puts them back
    snapshot = records.delete_record(folder, record_id, keep_files=True)
    assert len(snapshot.imaging_files) == len(before)
    assert "imaging_files" not in snapshot.to_json()
    records.restore_record(folder, snapshot)
    with folder.session() as session:
        assert sorted((f.relative_path, f.sha256) for f in list_imaging_files(session, record_id)) == before

    # a plain delete (the CLI's) removes the DICOM files nothing else uses
    records.delete_record(folder, record_id)
    assert not any(folder.vault.exists(sha) for _, sha in before)
    with folder.session() as session:
        assert session.scalars(select(ImagingFile)).all() == []
