"""The backup, restore and check commands."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion: error:"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def records(capsys: pytest.CaptureFixture[str], data_dir: Path) -> list[dict]:
    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data_dir))
    assert code == 0, err
    return json.loads(out)


def test_backup_restore_and_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "src"
    assert run(capsys, "demo", "--data-dir", str(src))[0] == 0
    archive = tmp_path / "b.zip"
    code, out, err = run(capsys, "backup", "--out", str(archive), "--data-dir", str(src))
    assert code == 0, err
    assert out.startswith(f"Wrote {archive}: the database and ") and "checked against its manifest" in out

    new = tmp_path / "new"
    code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(new))
    assert code == 0, err
    assert "nothing needed keeping" in out and f"Restored {archive}" in out
    assert records(capsys, new) == records(capsys, src)

    other = tmp_path / "other"
    run(capsys, "records", "add", "--kind", "lab", "--title", "Mine", "--data-dir", str(other))
    code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(other))
    assert code == 0, err
    assert out.startswith(f"Kept your previous data as a backup: {other.absolute()}/backups/secondopinion-backup-")
    assert "Mine" not in [r["title"] for r in records(capsys, other)]

    code, out, err = run(capsys, "check", "--data-dir", str(new))
    assert code == 0, err
    assert "Everything is in order." in out


def test_check_reports_problems_and_repair_fixes_the_safe_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run(capsys, "demo", "--data-dir", str(data))
    leftover = data / "vault" / ".tmp-leftover"
    leftover.write_bytes(b"half")
    code, out, _ = run(capsys, "check", "--data-dir", str(data))
    assert code == 1
    assert "Leftover temporary files: 1 problem —" in out and str(leftover) in out
    code, out, _ = run(capsys, "check", "--repair", "--data-dir", str(data))
    assert code == 0, out
    assert "Made a backup first:" in out and "Removed the leftover temporary file" in out
    assert out.rstrip().endswith("Everything is in order.")
    assert not leftover.exists()


def test_restore_of_a_hostile_archive_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("secondopinion-backup/../escape", b"x")
    target = tmp_path / "target"
    code, _, err = run(capsys, "restore", str(bad), "--data-dir", str(target))
    one_line_error(code, err, "bad.zip", "'..'", "nothing was changed")
    assert not target.exists() and not (tmp_path / "escape").exists()

    code, _, err = run(capsys, "restore", str(tmp_path / "missing.zip"), "--data-dir", str(target))
    one_line_error(code, err, "does not exist")


def test_backup_into_a_missing_folder_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "backup", "--out", str(tmp_path / "no" / "b.zip"), "--data-dir", str(tmp_path / "d"))
    one_line_error(code, err, "does not exist")
