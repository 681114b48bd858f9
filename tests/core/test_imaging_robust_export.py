"""Exporting images for the doctor: an image that cannot go in a DICOMDIR is named and the rest are exported;
nothing is staged in the system's temporary folder; a killed export's staging folder is removed by the next one."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.fileset import FileSet  # noqa: E402

from secondopinion_desktop.core.errors import ValidationError  # noqa: E402
from secondopinion_desktop.core.imaging import export  # noqa: E402
from secondopinion_desktop.core.imaging.export import export_study, sweep_stale_exports  # noqa: E402
from secondopinion_desktop.core.imaging.importer import import_imaging  # noqa: E402
from secondopinion_desktop.core.imaging.scan import scan_folder  # noqa: E402
from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_study  # noqa: E402


def _testdata(name: str) -> Path:
    found = get_testdata_file(name, download=False)
    if found is None:
        pytest.skip(f"pydicom's test file {name} is not installed")
    return Path(str(found))


@pytest.fixture
def ct_record(folder, tmp_path: Path) -> int:
    disc = tmp_path / "disc"
    write_study(disc, StudySpec(), subfolder="CT")
    (record_id,) = import_imaging(folder, scan_folder(disc)).record_ids
    return record_id


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch) -> Path:
    """The system's temporary folder, empty, so anything written there shows."""
    where = tmp_path / "system-tmp"
    where.mkdir()
    monkeypatch.setenv("TMPDIR", str(where))
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def _exported_sops(out: Path) -> set[str]:
    return {str(i.SOPInstanceUID) for i in FileSet(pydicom.dcmread(out / "DICOMDIR"))}


def test_an_image_that_cannot_go_in_a_dicomdir_is_named_and_the_rest_exported(folder, ct_record, tmp_path) -> None:
    other = tmp_path / "sc"
    other.mkdir()
    shutil.copy(_testdata("SC_rgb_jpeg.dcm"), other / "SC_rgb_jpeg.dcm")  # TypeError inside FileSet.add
    import_imaging(folder, scan_folder(other), record_id=ct_record)
    sc_uid = str(pydicom.dcmread(other / "SC_rgb_jpeg.dcm").SOPInstanceUID)

    out = export_study(folder, ct_record, tmp_path / "for-the-doctor")
    assert out == (tmp_path / "for-the-doctor").absolute()
    assert out.images_written == 9
    (problem,) = out.problems
    assert (problem.relative_path, problem.sop_instance_uid) == ("SC_rgb_jpeg.dcm", sc_uid)
    assert problem.reason == "its header cannot be put in a DICOMDIR (TypeError)"
    assert len(_exported_sops(out)) == 9 and sc_uid not in _exported_sops(out)
    lines = out.summary_lines()
    assert lines[0] == f"Wrote 9 images with a DICOMDIR to {out}."
    assert lines[1] == "Left out 1 image that cannot be put in a DICOMDIR:"
    assert lines[2] == "  SC_rgb_jpeg.dcm: its header cannot be put in a DICOMDIR (TypeError)"


@pytest.mark.parametrize("failure", [ValueError("bad"), NotImplementedError("odd"), KeyError("x")],
                         ids=lambda exc: exc.__class__.__name__)
def test_a_failure_after_the_image_was_half_added_leaves_it_out_cleanly(
    folder, ct_record, tmp_path, monkeypatch, failure,
) -> None:
    real_add = FileSet.add
    victims: list[str] = []

    def add(self, ds):  # type: ignore[no-untyped-def]
        instance = real_add(self, ds)  # its records are in the tree already when it fails
        if not victims:
            victims.append(str(ds.SOPInstanceUID))
            raise failure
        return instance

    monkeypatch.setattr(FileSet, "add", add)
    out = export_study(folder, ct_record, tmp_path / "out")
    assert [p.sop_instance_uid for p in out.problems] == victims
    assert out.images_written == 8
    exported = _exported_sops(out)
    assert len(exported) == 8 and victims[0] not in exported
    assert scan_folder(out).problems == ()


def test_when_no_image_can_be_exported_nothing_is_written(folder, tmp_path, monkeypatch, ct_record) -> None:
    def add(self, ds):  # type: ignore[no-untyped-def]
        raise ValueError("no")

    monkeypatch.setattr(FileSet, "add", add)
    with pytest.raises(ValidationError, match=r"^Nothing was exported: none of the images of record \d+ can be put "
                                              r"in a DICOMDIR — CT/"):
        export_study(folder, ct_record, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "disc"]


def test_nothing_is_staged_in_the_system_temporary_folder(folder, ct_record, tmp_path, private_tmp) -> None:
    seen: list[tuple[Path, int]] = []
    real_write = FileSet.write

    def write(self, path=None, **kwargs):  # type: ignore[no-untyped-def]
        staged = Path(self._stage["path"])
        seen.append((staged, stat.S_IMODE(staged.parent.stat().st_mode)))
        return real_write(self, path, **kwargs)

    try:
        FileSet.write = write  # type: ignore[method-assign]
        out = export_study(folder, ct_record, tmp_path / "usb" / "for-the-doctor")
    finally:
        FileSet.write = real_write  # type: ignore[method-assign]
    assert list(private_tmp.iterdir()) == []
    ((staged, mode),) = seen
    assert staged.parent.parent == out.parent and staged.parent.name.startswith(".for-the-doctor.export-")
    assert mode == 0o700
    assert sorted(p.name for p in out.parent.iterdir()) == ["for-the-doctor"]
    assert len(_exported_sops(out)) == 9


def test_a_killed_exports_staging_folder_is_swept_by_the_next_export(folder, ct_record, tmp_path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    left = usb / ".first.export-abc123"  # what a killed export leaves: its lock file, staged copies
    (left / "stage").mkdir(parents=True)
    (left / "export-in-progress").write_bytes(b"")
    os.utime(left / "export-in-progress", (1e9, 1e9))
    (left / "stage" / "copy").write_bytes(b"DICM patient data")
    mine = usb / ".holiday.export-photos"  # the user's own folder with a look-alike name: never touched
    mine.mkdir()
    (mine / "photo.jpg").write_bytes(b"x")

    out = export_study(folder, ct_record, usb / "second")
    assert sorted(p.name for p in usb.iterdir()) == [".holiday.export-photos", "second"]
    assert out.is_dir()


def test_a_running_exports_staging_folder_is_not_swept(tmp_path) -> None:
    running = tmp_path / ".x.export-123"
    running.mkdir()
    held = export._hold(running / "export-in-progress")
    os.utime(running / "export-in-progress", (1e9, 1e9))
    try:
        assert sweep_stale_exports(tmp_path) == 0 and running.is_dir()
    finally:
        held.close()
    assert sweep_stale_exports(tmp_path) == 1 and not running.exists()


def test_a_lock_file_made_a_moment_ago_is_left_for_its_export_to_lock(tmp_path) -> None:
    starting = tmp_path / ".x.export-123"
    starting.mkdir()
    (starting / "export-in-progress").write_bytes(b"")  # not locked yet: its export is between open and lock
    assert sweep_stale_exports(tmp_path) == 0 and starting.is_dir()


@pytest.mark.skipif(os.name != "posix", reason="a link only matters where links are followed")
def test_the_sweep_never_follows_a_link(tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "export-in-progress").write_bytes(b"")
    (tmp_path / "usb").mkdir()
    (tmp_path / "usb" / ".x.export-1").symlink_to(elsewhere)
    assert sweep_stale_exports(tmp_path / "usb") == 0
    assert (elsewhere / "export-in-progress").exists()


# --- thumbnails never pass through the system's temporary folder ------------------------------------------------


def test_a_thumbnail_is_stored_through_the_vaults_own_temporary_area(folder, private_tmp, monkeypatch) -> None:
    from secondopinion_desktop.core.imaging.thumbnails import placeholder_png, store_thumbnail

    png = placeholder_png("No preview for this series")
    sources: list[tuple[Path, int]] = []
    real_copy = type(folder.vault)._copy_from

    def copy_from(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        tmp, sha, done = real_copy(self, *args, **kwargs)
        sources.append((Path(tmp), stat.S_IMODE(os.stat(tmp).st_mode)))
        return tmp, sha, done

    monkeypatch.setattr(type(folder.vault), "_copy_from", copy_from)
    stored = store_thumbnail(folder.vault, png)
    assert folder.vault.read_verified(stored.sha256) == png
    ((source, mode),) = sources
    assert source.parent == folder.vault.root and source.name.startswith(f".tmp-{os.getpid()}-") and mode == 0o600
    assert not source.exists(), "the temporary copy is gone"
    assert list(private_tmp.iterdir()) == []
    assert store_thumbnail(folder.vault, png).already_present


def test_an_import_writes_no_thumbnail_outside_the_data_folder(folder, tmp_path, private_tmp, monkeypatch) -> None:
    disc = tmp_path / "disc"
    write_study(disc, StudySpec(), subfolder="CT")
    sources: list[Path] = []
    real_copy = type(folder.vault)._copy_from

    def copy_from(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        tmp, sha, done = real_copy(self, *args, **kwargs)
        sources.append(Path(tmp))
        return tmp, sha, done

    monkeypatch.setattr(type(folder.vault), "_copy_from", copy_from)
    result = import_imaging(folder, scan_folder(disc))
    assert result.thumbnails == 2
    assert sources and all(s.parent == folder.vault.root for s in sources), sources


def test_a_damaged_stored_image_is_named_and_left_out(folder, ct_record, tmp_path) -> None:
    from sqlalchemy import select

    from secondopinion_desktop.core.models import ImagingFile

    with folder.session() as session:
        sha, sop, rel = session.execute(select(ImagingFile.sha256, ImagingFile.sop_instance_uid,
                                               ImagingFile.relative_path)
                                        .where(ImagingFile.record_id == ct_record)).first()
    stored = folder.vault.path_for(sha)
    data = bytearray(stored.read_bytes())
    data[-10] ^= 0xFF  # one changed byte in the pixel data: still readable DICOM, not the bytes imported
    stored.chmod(0o600)
    stored.write_bytes(bytes(data))

    out = export_study(folder, ct_record, tmp_path / "out")
    assert [(p.relative_path, p.sop_instance_uid) for p in out.problems] == [(rel, sop)]
    assert "damaged" in out.problems[0].reason
    assert out.images_written == 8 and sop not in _exported_sops(out)
