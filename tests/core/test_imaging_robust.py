"""Imaging scan robustness: damaged files are named and the rest of the disc is read; valid images are never
called damaged (compressed images with trailing padding, deflated files); a waveform is "not an image"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.errors import BytesLengthException  # noqa: E402

from secondopinion_desktop.core.imaging.importer import import_imaging  # noqa: E402
from secondopinion_desktop.core.imaging.scan import scan_folder  # noqa: E402
from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_study  # noqa: E402


def _testdata(name: str) -> Path:
    found = get_testdata_file(name, download=False)
    if found is None:
        pytest.skip(f"pydicom's test file {name} is not installed")
    return Path(str(found))


def _only(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name.replace(".", "_")
    root.mkdir()
    shutil.copy(_testdata(name), root / name)
    return root


def _reasons(scan) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {p.path: p.reason for p in scan.problems}


@pytest.mark.parametrize("name", [
    "MR_small_RLE.dcm",  # RLE fragments, then Data Set Trailing Padding (FFFC,FFFC)
    "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "image_dfl.dcm",  # Deflated Explicit VR Little Endian
])
def test_valid_compressed_and_deflated_images_are_not_called_truncated(tmp_path: Path, name: str) -> None:
    scan = scan_folder(_only(tmp_path, name))
    assert scan.problems == ()
    assert scan.image_count == 1


def test_compressed_image_cut_within_its_fragments_is_still_truncated(tmp_path: Path) -> None:
    root = tmp_path / "cut"
    root.mkdir()
    data = _testdata("MR_small_RLE.dcm").read_bytes()
    (root / "cut.dcm").write_bytes(data[: len(data) - 3000])
    scan = scan_folder(root)
    assert _reasons(scan) == {"cut.dcm": "is truncated (the compressed image data is cut off); the disc or copy "
                                         "may be damaged"}


def test_an_ecg_waveform_is_not_an_image_rather_than_damaged(tmp_path: Path) -> None:
    scan = scan_folder(_only(tmp_path, "waveform_ecg.dcm"))
    (reason,) = _reasons(scan).values()
    assert reason.startswith("is not an image") and "ECG" in reason
    assert "damaged" not in reason and "truncated" not in reason
    assert scan.image_count == 0


def _damaged_disc(tmp_path: Path) -> Path:
    root = tmp_path / "disc"
    write_study(root, StudySpec(), subfolder="CT")
    ct_small = _testdata("CT_small.dcm").read_bytes()
    (root / "head154.dcm").write_bytes(ct_small[:154])  # struct.error inside pydicom's meta reader
    deflated = bytearray(_testdata("image_dfl.dcm").read_bytes())
    for i in range(400, 420):  # damage the deflated stream itself
        deflated[i] ^= 0x5A
    (root / "deflated.dcm").write_bytes(bytes(deflated))
    return root


def test_one_damaged_file_does_not_stop_the_scan_of_the_disc(folder, tmp_path: Path) -> None:
    root = _damaged_disc(tmp_path)
    scan = scan_folder(root)
    reasons = _reasons(scan)
    assert reasons["head154.dcm"] == "is damaged or truncated and cannot be read as DICOM (struct.error)"
    assert reasons["deflated.dcm"].startswith("is damaged")
    assert scan.image_count == 9, "every good image is still found"
    result = import_imaging(folder, scan)
    assert result.files_stored == 9


@pytest.mark.parametrize("failure", [
    NotImplementedError("no reader"), BytesLengthException("odd length"), RuntimeError("odd"), ZeroDivisionError(),
    MemoryError(), LookupError("x"),
], ids=lambda exc: exc.__class__.__name__)
def test_any_failure_reading_one_file_is_that_files_problem(tmp_path: Path, monkeypatch, failure) -> None:
    root = tmp_path / "disc"
    write_study(root, StudySpec(), subfolder="CT")
    victim = sorted(root.rglob("*.dcm"))[0]
    real = pydicom.dcmread

    def dcmread(fp, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(getattr(fp, "name", fp)) == victim:
            raise failure
        return real(fp, *args, **kwargs)

    monkeypatch.setattr(pydicom, "dcmread", dcmread)
    scan = scan_folder(root)
    (problem,) = scan.problems
    assert problem.path == victim.relative_to(root).as_posix()
    assert problem.reason.endswith(f"({failure.__class__.__name__})") and "\n" not in problem.reason
    assert scan.image_count == 8
