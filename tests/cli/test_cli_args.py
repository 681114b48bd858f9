"""Odd arguments on the command line: bytes that are not UTF-8, ids too large for the database, an empty or
mistyped --data-dir, and titles holding terminal escape sequences. Each is one line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def so(*argv: str | bytes, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The installed command run for real, with arguments given as bytes where a test needs exact bytes."""
    return subprocess.run([os.fsencode(sys.executable), b"-m", b"secondopinion_desktop",
                           *(os.fsencode(a) for a in argv)], capture_output=True, check=False, cwd=cwd)


def one_line(err: str, code: int, expected_code: int, *fragments: str) -> str:
    assert code == expected_code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("secondopinion")
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]
    return lines[0]


def add_record(capsys: pytest.CaptureFixture[str], data_dir: Path, title: str = "CBC") -> dict:
    code, out, err = run(capsys, "records", "add", "--data-dir", str(data_dir), "--kind", "lab", "--title", title,
                         "--json")
    assert code == 0, err
    return json.loads(out)


# --- item 15: bytes that are not UTF-8, and ids out of range ------------------------------------------------------


def test_a_title_with_bytes_that_are_not_utf8_is_one_usage_line_and_adds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = so("records", "add", "--data-dir", str(data), "--kind", "lab", "--title", b"Biops\xff report")
    line = one_line(result.stderr.decode(), result.returncode, 2, "--title", "not UTF-8")
    assert "Biops\\xff report" in line  # the bad byte is shown, escaped
    assert not data.exists()


def test_a_file_with_a_latin1_name_never_gives_a_traceback(tmp_path: Path) -> None:
    """A name from an old zip (Latin-1 "résumé.pdf") is attached under a valid display name; the command never
    fails with a traceback."""
    raw = os.fsdecode(b"r\xe9sum\xe9.pdf")
    source = tmp_path / raw
    source.write_bytes(b"%PDF-1.4\n% a letter\n")
    data = tmp_path / "data"
    result = so("records", "add", "--data-dir", str(data), "--kind", "other", "--title", "Letter", "--json",
                "--attach", str(source))
    err = result.stderr.decode()
    assert "Traceback" not in err
    assert result.returncode == 0, err
    [attachment] = json.loads(result.stdout)["attachments"]
    assert attachment["original_name"] == "r\ufffdsum\ufffd.pdf"


def test_display_name_makes_any_file_name_valid_text() -> None:
    from secondopinion_desktop.core.paths import display_name

    assert display_name(Path("/x") / os.fsdecode(b"r\xe9sum\xe9.pdf")) == "r\ufffdsum\ufffd.pdf"
    assert display_name("/x/CBC ✓ 右.pdf") == "CBC ✓ 右.pdf"
    display_name(Path(os.fsdecode(b"\xff\xfe"))).encode("utf-8")  # always encodable


@pytest.mark.parametrize("value", ["9223372036854775808", "99999999999999999999999", "0", "-1", "three", "1.5"])
@pytest.mark.parametrize("command", [
    ["packet", "--out", "{out}/p.pdf", "--appointment"],
    ["import-imaging", "{out}", "--record"],
    ["export-imaging", "--out", "{out}/x", "--record"],
])
def test_ids_out_of_range_are_one_usage_line(capsys, tmp_path: Path, command: list[str], value: str) -> None:
    data = tmp_path / "data"
    add_record(capsys, data)
    argv = [part.format(out=tmp_path) for part in command]
    code, out, err = run(capsys, *argv, value, "--data-dir", str(data))
    one_line(err, code, 2, "is not an id")
    assert out == ""


def test_the_largest_id_sqlite_holds_is_accepted_and_simply_not_found(capsys, tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_record(capsys, data)
    code, _, err = run(capsys, "packet", "--out", str(tmp_path / "p.pdf"), "--appointment", str(2**63 - 1),
                       "--data-dir", str(data))
    one_line(err, code, 1, f"appointment {2**63 - 1}")


# --- item 17: an empty --data-dir, and reading commands on a folder that holds no data ---------------------------


@pytest.mark.parametrize("argv", [
    ["records", "list", "--data-dir", ""],
    ["--data-dir", "", "records", "list"],
    ["records", "add", "--kind", "lab", "--title", "CBC", "--data-dir", ""],
    ["restore", "backup.zip", "--data-dir", ""],
    ["check", "--data-dir", "  "],
    ["--data-dir", ""],  # the window
])
def test_an_empty_data_dir_is_a_usage_error(capsys, monkeypatch, tmp_path: Path, argv: list[str]) -> None:
    real = tmp_path / "real-default"
    monkeypatch.setattr("secondopinion_desktop.core.paths.default_data_dir", lambda: real)
    code, out, err = run(capsys, *argv)
    one_line(err, code, 2, "--data-dir", "empty")
    assert out == "" and not real.exists()


@pytest.mark.parametrize("argv", [
    ["records", "list"],
    ["records", "list", "--json"],
    ["check"],
    ["check", "--repair"],
    ["packet", "--out", "{tmp}/p.pdf"],
    ["backup", "--out", "{tmp}/b.zip"],
    ["export-imaging", "--record", "1", "--out", "{tmp}/images"],
])
@pytest.mark.parametrize("exists", [False, True])
def test_reading_commands_never_create_a_data_folder(capsys, tmp_path: Path, argv: list[str], exists: bool) -> None:
    typo = tmp_path / "recrods"
    if exists:  # a folder that holds something else (say, the user's Documents)
        typo.mkdir()
        (typo / "letter.txt").write_text("hello")
    code, out, err = run(capsys, *(a.format(tmp=tmp_path) for a in argv), "--data-dir", str(typo))
    one_line(err, code, 1, f"there is no Second Opinion data in {typo}")
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == (["recrods"] if exists else [])
    if exists:
        assert [p.name for p in typo.iterdir()] == ["letter.txt"]


def test_a_dry_run_without_data_says_so_and_creates_nothing(capsys, tmp_path: Path) -> None:
    typo = tmp_path / "recrods"
    empty_disc = tmp_path / "disc"
    empty_disc.mkdir()
    (empty_disc / "readme.txt").write_text("not an image")
    code, out, err = run(capsys, "import-imaging", str(empty_disc), "--dry-run", "--data-dir", str(typo))
    assert code == 0, err
    assert f"Note: there is no Second Opinion data in {typo} yet" in out
    assert not typo.exists()


def test_writing_commands_still_create_the_folder(capsys, tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    add_record(capsys, data, "First record")
    assert (data / "secondopinion.db").is_file()
    code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
    assert code == 0, err
    assert "First record" in out


# --- item 18: escape sequences in titles, and what check can see ----------------------------------------------------


def test_records_list_shows_control_characters_escaped_and_json_unchanged(capsys, tmp_path: Path) -> None:
    data = tmp_path / "data"
    record = add_record(capsys, data, "\u009b31mRED")  # an 8-bit CSI, typed: removed as it is stored
    add_record(capsys, data, "placeholder")
    hostile = "CT \x1b[31mHEAD\x1b[0m \x1b]0;owned\x07 scan\u202efdp.exe"  # as a DICOM description may hold
    with sqlite3.connect(data / "secondopinion.db") as db:
        db.execute("UPDATE record SET title = ? WHERE id = ?", (hostile, record["id"] + 1))
    code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
    assert code == 0, err
    assert not any(ch in out for ch in "\x1b\x07\u009b\u202e")
    assert "  31mRED" in out
    assert "CT \\x1b[31mHEAD\\x1b[0m \\x1b]0;owned\\x07 scan\\u202efdp.exe" in out
    assert len(out.strip().splitlines()) == 3  # the header and one line per record
    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    assert code == 0, err
    assert [r["title"] for r in json.loads(out)] == ["31mRED", hostile]


def test_an_error_naming_a_file_with_a_line_break_stays_one_line(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "records", "add", "--data-dir", str(tmp_path / "data"), "--kind", "lab",
                       "--title", "CBC", "--attach", str(tmp_path / "two\nlines\x1b[2J.pdf"))
    line = one_line(err, code, 1, "two\\x0alines\\x1b[2J.pdf", "does not exist")
    assert "\x1b" not in line


def test_check_help_says_it_verifies_what_is_committed(capsys) -> None:
    code, out, _ = run(capsys, "check", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Check what is committed" in text and "write-ahead log" in text
    code, out, _ = run(capsys, "--help")
    assert "check the committed database" in " ".join(out.split())
