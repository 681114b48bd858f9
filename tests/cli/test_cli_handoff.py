"""`secondopinion handoff`: writing the folder for the doctor, JSON, --verify, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from secondopinion_desktop.cli import main
from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study


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
def data(capsys, tmp_path: Path, data_dir: Path) -> Path:
    disc = tmp_path / "cd"
    write_study(disc, StudySpec(series=(SeriesSpec(1, "AX", "CT", 3),)), size=8)
    code, _out, err = run(capsys, "import-imaging", str(disc), "--data-dir", str(data_dir), "--yes")
    assert code == 0, err
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n% report\n")
    code, _out, err = run(capsys, "records", "add", "--kind", "pathology", "--title", "Biopsy: CON/..",
                          "--attach", str(report), "--data-dir", str(data_dir))
    assert code == 0, err
    return data_dir


def test_handoff_writes_the_folder_and_verify_checks_it(capsys, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "usb" / "for-doctor"
    out.parent.mkdir()
    db_before = (data / "secondopinion.db").stat().st_mtime_ns
    code, stdout, err = run(capsys, "handoff", "--out", str(out), "--json", "--data-dir", str(data))
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["images"] == 3 and payload["documents"] == 1 and payload["studies"] == 1
    assert (out / "DICOMDIR").is_file() and (out / "INDEX.HTM").is_file()
    assert (data / "secondopinion.db").stat().st_mtime_ns == db_before  # read only

    code, stdout, err = run(capsys, "handoff", "--verify", str(out))
    assert code == 0 and "match the manifest" in stdout, err

    next((out / "DOCUMENTS").iterdir()).write_bytes(b"changed")
    (out / "DICOM" / "PT000000" / "ST000000" / "SE000000" / "IM000000").unlink()
    code, stdout, err = run(capsys, "handoff", "--verify", str(out))
    assert code == 1
    lines = err.strip().splitlines()
    assert any(line.startswith("Changed: DOCUMENTS/") for line in lines)
    assert "Missing: DICOM/PT000000/ST000000/SE000000/IM000000" in lines

    code, stdout, err = run(capsys, "handoff", "--verify", str(out), "--json")
    assert code == 1 and json.loads(stdout)["ok"] is False


def test_handoff_as_zip(capsys, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "for-doctor.zip"
    code, stdout, err = run(capsys, "handoff", "--out", str(out), "--zip", "--data-dir", str(data))
    assert code == 0, err
    assert "zip file" in stdout and out.is_file()
    code, stdout, err = run(capsys, "handoff", "--verify", str(out))
    assert code == 0, err


def test_bad_targets_are_one_line_errors(capsys, data: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    code, _out, err = run(capsys, "handoff", "--out", str(busy), "--data-dir", str(data))
    one_line_error(code, err, "not an empty folder")

    code, _out, err = run(capsys, "handoff", "--out", str(data / "inside"), "--data-dir", str(data))
    one_line_error(code, err, "inside the data folder")

    code, _out, err = run(capsys, "handoff", "--out", str(tmp_path / "new"), "--appointment", "99",
                          "--data-dir", str(data))
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "new").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]

    code, _out, err = run(capsys, "handoff", "--verify", str(tmp_path / "busy"))
    one_line_error(code, err, "no MANIFEST.SHA256")

    code, _out, err = run(capsys, "handoff", "--data-dir", str(data))
    assert code == 2  # --out or --verify is required (argparse's usage line)
