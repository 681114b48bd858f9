"""`secondopinion import-imaging` and `export-imaging`: the same summary as the window, JSON, dry runs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from secondopinion_desktop.cli import main
from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_disc, write_study


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, fragment: str) -> None:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion: error:"), err
    assert fragment.lower() in lines[0].lower(), lines[0]


@pytest.fixture
def disc(tmp_path: Path) -> Path:
    root = tmp_path / "cd"
    write_disc(root, [StudySpec(), StudySpec(description="PET CT", date="20240410",
                                             series=(SeriesSpec(1, "WB", "CT", 3),))])
    (root / "bad.dcm").write_text("not an image")
    return root


def test_dry_run_prints_the_summary_and_writes_nothing(capsys, disc: Path, data_dir: Path) -> None:
    code, out, err = run(capsys, "import-imaging", str(disc), "--dry-run", "--data-dir", str(data_dir))
    assert code == 0, err
    assert "Found 2 studies, 3 series and 12 images" in out
    assert "Series 2 – AX 5mm: 5 images" in out
    assert "bad.dcm: is not a DICOM file" in out
    assert "Dry run: nothing was written." in out
    assert not data_dir.exists()


def test_import_then_list_then_export(capsys, disc: Path, data_dir: Path, tmp_path: Path) -> None:
    code, out, err = run(capsys, "import-imaging", str(disc), "--data-dir", str(data_dir), "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["scan"]["image_count"] == 12 and payload["patient_mismatch"] == []
    assert payload["import"]["files_stored"] == 12 and payload["import"]["thumbnails"] == 3
    ct_id, pet_id = payload["import"]["record_ids"]

    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data_dir))
    listed = {r["id"]: r for r in json.loads(out)}
    assert listed[ct_id]["kind"] == "imaging" and listed[ct_id]["imaging_modality"] == "CT"
    assert [a["media_type"] for a in listed[ct_id]["attachments"]] == ["image/png", "image/png"]

    out_dir = tmp_path / "for-doctor"
    code, out, err = run(capsys, "export-imaging", "--record", str(pet_id), "--out", str(out_dir),
                         "--data-dir", str(data_dir))
    assert code == 0, err
    assert (out_dir / "DICOMDIR").is_file() and str(out_dir) in out

    code, out, err = run(capsys, "export-imaging", "--record", str(pet_id), "--out", str(out_dir),
                         "--data-dir", str(data_dir))
    one_line_error(code, err, "not an empty folder")


def test_patient_mismatch_is_a_warning_line(capsys, tmp_path: Path, data_dir: Path) -> None:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.profile import save_profile

    with open_data_folder(data_dir) as folder, folder.session() as session:
        save_profile(session, name="Robin Other", date_of_birth="1980-01-01")
    root = tmp_path / "usb"
    write_study(root, StudySpec())
    code, out, err = run(capsys, "import-imaging", str(root), "--dry-run", "--data-dir", str(data_dir))
    assert code == 0, err
    warnings = [line for line in out.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "someone else" in warnings[0] and "1970-02-14" in warnings[0]


def test_import_into_an_existing_record_and_clear_errors(capsys, disc: Path, data_dir: Path, tmp_path: Path) -> None:
    code, out, err = run(capsys, "records", "add", "--kind", "imaging", "--title", "CT report", "--json",
                         "--data-dir", str(data_dir))
    record_id = json.loads(out)["id"]
    code, out, err = run(capsys, "import-imaging", str(disc), "--record", str(record_id), "--data-dir", str(data_dir))
    assert code == 0, err
    assert f"into record {record_id}" in out

    code, out, err = run(capsys, "import-imaging", str(tmp_path / "nowhere"), "--data-dir", str(data_dir))
    one_line_error(code, err, "does not exist")
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, "import-imaging", str(tmp_path / "empty"), "--data-dir", str(data_dir))
    one_line_error(code, err, "no DICOM images were found")
    code, out, err = run(capsys, "import-imaging", str(disc), "--record", "999", "--data-dir", str(data_dir))
    one_line_error(code, err, "no record 999")
    code, out, err = run(capsys, "export-imaging", "--record", str(record_id + 50), "--out", str(tmp_path / "x"),
                         "--data-dir", str(data_dir))
    one_line_error(code, err, "no record")


def test_a_disc_of_someone_else_is_not_imported_without_yes(capsys, tmp_path: Path, data_dir: Path) -> None:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.profile import save_profile
    from secondopinion_desktop.core.records import list_records

    with open_data_folder(data_dir) as folder, folder.session() as session:
        save_profile(session, name="Robin Other", date_of_birth="1980-01-01")
    root = tmp_path / "usb"
    write_study(root, StudySpec())
    code, out, err = run(capsys, "import-imaging", str(root), "--data-dir", str(data_dir))
    assert code == 1
    assert "Warning:" in out
    assert err.strip().startswith("secondopinion: error: the images may not be yours") and "--yes" in err
    with open_data_folder(data_dir) as folder, folder.session() as session:
        assert list_records(session) == []
    assert not any((data_dir / "vault").rglob("*.dcm"))
    code, out, err = run(capsys, "import-imaging", str(root), "--yes", "--data-dir", str(data_dir))
    assert code == 0, err
    with open_data_folder(data_dir) as folder, folder.session() as session:
        assert [r.kind.value for r in list_records(session)] == ["imaging"]


def test_two_patients_and_an_empty_profile_need_yes(capsys, tmp_path: Path, data_dir: Path) -> None:
    """A new user with no profile yet: a disc holding two people's images is not imported on its own."""
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.imaging.synthetic import write_disc
    from secondopinion_desktop.core.records import list_records

    root = tmp_path / "cd"
    write_disc(root, [StudySpec(), StudySpec(description="MRI BREAST", date="20240610", patient_name="OTHER^ROBIN",
                                             patient_birth_date="19810702",
                                             series=(SeriesSpec(7, "T1", "MR", 3),))])
    code, out, err = run(capsys, "import-imaging", str(root), "--data-dir", str(data_dir))
    assert code == 1 and "2 different patients" in out
    assert err.strip().startswith("secondopinion: error: the images may not be yours") and "--yes" in err
    with open_data_folder(data_dir) as folder, folder.session() as session:
        assert list_records(session) == []
    code, out, err = run(capsys, "import-imaging", str(root), "--yes", "--data-dir", str(data_dir))
    assert code == 0, err


def test_importing_the_same_disc_twice_adds_nothing_and_says_so(capsys, disc: Path, data_dir: Path) -> None:
    from sqlalchemy import func, select

    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.models import ImagingFile, Record

    def counts() -> tuple[int, int]:
        with open_data_folder(data_dir) as folder, folder.session() as session:
            return (session.scalar(select(func.count()).select_from(Record)),
                    session.scalar(select(func.count()).select_from(ImagingFile)))

    code, out, err = run(capsys, "import-imaging", str(disc), "--data-dir", str(data_dir))
    assert code == 0, err
    assert counts() == (2, 12)

    code, out, err = run(capsys, "import-imaging", str(disc), "--data-dir", str(data_dir))
    assert code == 0, err
    assert counts() == (2, 12), "no record and no imaging row added"
    assert ("Nothing new was imported: CT CHEST WITH CONTRAST (2024-03-05), PET CT (2024-04-10) are already in "
            "your records (12 images skipped).") in out.splitlines()
    assert "Imported" not in out

    code, out, err = run(capsys, "import-imaging", str(disc), "--dry-run", "--data-dir", str(data_dir))
    assert code == 0, err
    assert "Already imported: PET CT (2024-04-10) (3 images) — skipped." in out.splitlines()

    code, out, err = run(capsys, "import-imaging", str(disc), "--json", "--data-dir", str(data_dir))
    assert code == 0, err
    payload = json.loads(out)
    assert payload["import"]["files_stored"] == 0 and payload["import"]["record_ids"] == []
    assert [(s["label"], s["images"], s["whole"]) for s in payload["skipped"]] == [
        ("CT CHEST WITH CONTRAST (2024-03-05)", 9, True), ("PET CT (2024-04-10)", 3, True)]
    assert payload["import"]["images_skipped"] == 12
    assert counts() == (2, 12)
