"""The command line: demo data, records add/list, and clear one-line errors for bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secondopinion_desktop import __version__
from secondopinion_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("secondopinion")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


def list_json(capsys: pytest.CaptureFixture[str], data_dir: Path) -> list[dict]:
    code, out, err = run(capsys, "--data-dir", str(data_dir), "records", "list", "--json")
    assert code == 0, err
    return json.loads(out)


def test_module_entry_point_prints_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secondopinion_desktop", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"Second Opinion {__version__}"


def test_demo_then_list_json_prints_the_sample_records(capsys, data_dir: Path) -> None:
    code, out, err = run(capsys, "demo", "--data-dir", str(data_dir))
    assert code == 0, err
    assert "sample data" in out
    records = list_json(capsys, data_dir)
    assert 20 <= len(records) <= 30
    assert {r["kind"] for r in records} == {
        "lab", "imaging", "pathology", "molecular", "clinical", "treatment", "identity", "other"
    }
    assert {r["status"] for r in records} == {"needed", "requested", "received", "sent"}
    assert sum(len(r["attachments"]) for r in records) >= 8
    # plain listing shows the same number of rows (plus a header)
    code, out, _ = run(capsys, "records", "list", "--data-dir", str(data_dir))
    assert code == 0 and len(out.strip().splitlines()) == len(records) + 1


def test_demo_refuses_a_folder_that_already_holds_records(capsys, data_dir: Path) -> None:
    assert run(capsys, "demo", "--data-dir", str(data_dir))[0] == 0
    before = list_json(capsys, data_dir)
    code, _, err = run(capsys, "demo", "--data-dir", str(data_dir))
    assert_one_line_error(code, err, "already")
    assert list_json(capsys, data_dir) == before


def test_demo_needs_an_explicit_folder(capsys, monkeypatch) -> None:
    monkeypatch.delenv("SECONDOPINION_DATA_DIR", raising=False)
    code, _, err = run(capsys, "demo")
    assert_one_line_error(code, err, "--data-dir")


def test_records_add_with_attachment_round_trips_through_list_json(capsys, data_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "CBC 2026-03-14.pdf"
    report.write_bytes(b"%PDF-1.4\n% sample blood count\n" + bytes(range(256)) * 40)
    photo = tmp_path / "insurance card – front ✓.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 500)
    code, out, err = run(
        capsys, "records", "add", "--data-dir", str(data_dir), "--kind", "lab", "--title", "Complete blood count",
        "--date", "2026-03-14", "--facility", "Riverside Community Hospital", "--status", "received",
        "--attach", str(report), str(photo), "--json",
    )
    assert code == 0, err
    added = json.loads(out)
    [listed] = list_json(capsys, data_dir)
    assert listed == added
    assert listed["kind"] == "lab" and listed["status"] == "received"
    assert listed["title"] == "Complete blood count"
    assert listed["date_of_service"] == "2026-03-14"
    assert listed["facility_name"] == "Riverside Community Hospital"
    assert listed["received_on"] is not None
    files = {a["original_name"]: a for a in listed["attachments"]}
    assert set(files) == {report.name, photo.name}
    assert files[report.name]["media_type"] == "application/pdf"
    assert files[photo.name]["media_type"] == "image/png"
    for source in (report, photo):
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        assert files[source.name]["sha256"] == digest
        assert files[source.name]["size"] == source.stat().st_size
        assert (data_dir / "vault" / digest[:2] / digest).read_bytes() == source.read_bytes()


def test_data_dir_from_the_environment(capsys, monkeypatch, data_dir: Path) -> None:
    monkeypatch.setenv("SECONDOPINION_DATA_DIR", str(data_dir))
    code, out, err = run(capsys, "records", "add", "--kind", "other", "--title", "Referral letter")
    assert code == 0, err
    assert (data_dir / "secondopinion.db").is_file()
    assert [r["title"] for r in list_json(capsys, data_dir)] == ["Referral letter"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--kind", "xray", "--title", "Chest film"], "unknown record kind"),
        (["--kind", "lab", "--title", "CBC", "--date", "14/03/2026"], "YYYY-MM-DD"),
        (["--kind", "lab", "--title", "CBC", "--date", "1850-01-01"], "before 1900"),
        (["--kind", "lab", "--title", "CBC", "--status", "lost"], "unknown status"),
        (["--kind", "lab", "--title", "   "], "title is required"),
        (["--kind", "lab"], "--title"),
    ],
)
def test_records_add_bad_input_is_one_clear_line_and_adds_nothing(capsys, data_dir: Path, args, fragment) -> None:
    code, _, err = run(capsys, "records", "add", "--data-dir", str(data_dir), *args)
    assert_one_line_error(code, err, fragment)
    if (data_dir / "secondopinion.db").exists():
        assert list_json(capsys, data_dir) == []


def test_records_add_with_a_missing_attachment_adds_nothing(capsys, data_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(b"%PDF-1.4 good")
    code, _, err = run(
        capsys, "records", "add", "--data-dir", str(data_dir), "--kind", "lab", "--title", "CBC",
        "--attach", str(good), str(tmp_path / "vanished.pdf"),
    )
    assert_one_line_error(code, err, "vanished.pdf", "does not exist")
    if (data_dir / "secondopinion.db").exists():  # the files are checked before the folder is opened
        assert list_json(capsys, data_dir) == []
    assert not any((data_dir / "vault").rglob("*")), "nothing may land in the vault"


def test_records_add_with_an_empty_file_or_a_folder_is_refused(capsys, data_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.touch()
    code, _, err = run(capsys, "records", "add", "--data-dir", str(data_dir), "--kind", "lab", "--title", "CBC",
                       "--attach", str(empty))
    assert_one_line_error(code, err, "empty")
    code, _, err = run(capsys, "records", "add", "--data-dir", str(data_dir), "--kind", "lab", "--title", "CBC",
                       "--attach", str(tmp_path))
    assert_one_line_error(code, err, "folder")
    if (data_dir / "secondopinion.db").exists():
        assert list_json(capsys, data_dir) == []


def test_unusable_data_folders_are_one_clear_line(capsys, tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("hello")
    code, _, err = run(capsys, "--data-dir", str(a_file), "records", "list")
    assert_one_line_error(code, err, "is a file")
    code, _, err = run(capsys, "--data-dir", str(a_file / "below"), "records", "add", "--kind", "lab", "--title", "x")
    assert_one_line_error(code, err, "cannot create")
    code, _, err = run(capsys, "--data-dir", str(a_file / "below"), "records", "list")
    assert_one_line_error(code, err, "there is no second opinion data in")
    not_db = tmp_path / "holds-junk"
    not_db.mkdir()
    (not_db / "secondopinion.db").write_bytes(b"this is a shopping list, not a database\n" * 50)
    before = (not_db / "secondopinion.db").read_bytes()
    code, _, err = run(capsys, "--data-dir", str(not_db), "records", "list")
    assert_one_line_error(code, err, "not a second opinion database")
    assert (not_db / "secondopinion.db").read_bytes() == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any folder")
def test_unreadable_data_folder_is_one_clear_line(capsys, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o000)
    try:
        code, _, err = run(capsys, "--data-dir", str(locked), "records", "list")
        assert_one_line_error(code, err, "cannot be read")
    finally:
        locked.chmod(0o700)


def test_errors_from_the_installed_command_have_no_traceback(data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secondopinion_desktop", "records", "add", "--kind", "bogus", "--title", "x",
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "secondopinion: error: Unknown record kind 'bogus'; choose one of: lab, imaging, pathology, molecular, "
        "clinical, treatment, identity, other."
    )


def test_records_add_with_files_starts_as_received(tmp_path) -> None:
    import json
    import subprocess
    import sys

    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n%%EOF\n")
    data = tmp_path / "data"
    base = [sys.executable, "-m", "secondopinion_desktop", "records", "add", "--data-dir", str(data), "--json"]
    with_file = subprocess.run([*base, "--kind", "pathology", "--title", "Biopsy report", "--attach", str(report)],
                               capture_output=True, text=True, check=True)
    without = subprocess.run([*base, "--kind", "lab", "--title", "CBC"], capture_output=True, text=True, check=True)
    chosen = subprocess.run([*base, "--kind", "lab", "--title", "CMP", "--status", "requested",
                             "--attach", str(report)], capture_output=True, text=True, check=True)
    assert json.loads(with_file.stdout)["status"] == "received"
    assert json.loads(without.stdout)["status"] == "needed"
    assert json.loads(chosen.stdout)["status"] == "requested"
