"""--out aimed at the data folder itself, at a device, through links; and --out - (standard output).

A packet or backup written over the database or a stored file destroyed every record; written over /dev/null (as
root) it replaced the device. Every --out now goes through one rule (core/outputs.py)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code: int, err: str, *fragments: str) -> None:
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion: error:"), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def fingerprint(data: Path) -> dict[str, str]:
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


@pytest.fixture
def data(capsys, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    source = tmp_path / "report.pdf"
    source.write_bytes(b"%PDF-1.4\n% pathology report\n" + b"x" * 2000)
    code, _, err = run(capsys, "records", "add", "--data-dir", str(folder), "--kind", "pathology", "--title",
                       "Biopsy", "--attach", str(source))
    assert code == 0, err
    return folder


def vault_file(data: Path) -> Path:
    [stored] = [p for p in (data / "vault").rglob("*") if p.is_file() and len(p.name) == 64]
    return stored


@pytest.mark.parametrize("command", ["packet", "backup"])
@pytest.mark.parametrize("target", ["database", "vault file", "data folder", "new file in the vault",
                                    "backups folder", "link to the database", "link to the vault"])
def test_out_inside_the_data_folder_is_refused_and_changes_nothing(
    capsys, data: Path, tmp_path: Path, command: str, target: str
) -> None:
    (data / "backups").mkdir(exist_ok=True)
    if target == "database":
        out = data / "secondopinion.db"
    elif target == "vault file":
        out = vault_file(data)
    elif target == "data folder":
        out = data
    elif target == "new file in the vault":
        out = data / "vault" / "packet.pdf"
    elif target == "backups folder":
        out = data / "backups" / "mine.zip"
    elif target == "link to the database":  # a link outside the data folder, leading inside
        out = tmp_path / "innocent.pdf"
        out.symlink_to(data / "secondopinion.db")
    else:
        (tmp_path / "elsewhere").symlink_to(data / "vault", target_is_directory=True)
        out = tmp_path / "elsewhere" / "x.zip"
    before = fingerprint(data)
    code, stdout, err = run(capsys, command, "--out", str(out), "--data-dir", str(data))
    one_line(code, err, "inside the data folder", str(data))
    assert stdout == ""
    assert fingerprint(data) == before
    code, listed, err = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    assert code == 0, err
    assert [r["title"] for r in json.loads(listed)] == ["Biopsy"]


def test_export_into_the_data_folder_is_refused(capsys, data: Path, tmp_path: Path) -> None:
    before = fingerprint(data)
    for out in (data / "vault" / "images", data):
        code, _, err = run(capsys, "export-imaging", "--record", "1", "--out", str(out), "--data-dir", str(data))
        one_line(code, err, "inside the data folder")
    assert not (data / "vault" / "images").exists()
    assert fingerprint(data) == before


@pytest.mark.parametrize("command", ["packet", "backup"])
def test_out_onto_a_device_or_a_pipe_is_refused_and_leaves_it_in_place(
    capsys, data: Path, tmp_path: Path, command: str
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    places = [(fifo, stat.S_ISFIFO)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a private copy of /dev/null: never risk the real one
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        places.append((device, stat.S_ISCHR))
    for out, kind in places:
        code, _, err = run(capsys, command, "--out", str(out), "--data-dir", str(data))
        one_line(code, err, "special file", str(out))
        assert kind(os.stat(out).st_mode), f"{out} was replaced"
    link = tmp_path / "to-pipe"
    link.symlink_to(fifo)
    code, _, err = run(capsys, command, "--out", str(link), "--data-dir", str(data))
    one_line(code, err, "special file")
    assert link.is_symlink()


def test_a_link_to_a_regular_file_outside_is_still_a_fine_place(capsys, data: Path, tmp_path: Path) -> None:
    real = tmp_path / "out" / "packet.pdf"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "packet-link.pdf"
    link.symlink_to(real)
    code, out, err = run(capsys, "packet", "--out", str(link), "--data-dir", str(data))
    assert code == 0, err
    assert link.read_bytes().startswith(b"%PDF")


def so(*argv: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "secondopinion_desktop", *argv], capture_output=True,
                          check=False, cwd=cwd)


def test_packet_to_standard_output(data: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    result = so("packet", "--out", "-", "--data-dir", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"%PDF") and b"%%EOF" in result.stdout[-64:]
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(result.stdout)).pages)
    said = result.stderr.decode().splitlines()
    assert said[0] == f"Wrote the packet to standard output: {pages} pages"
    assert said[1:] == ["Not included: Biopsy — report.pdf: the PDF is incomplete (the file ends too early; it may "
                        "have been cut off while copying)"]  # the fixture's file is a stub, and is said to be
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file named "-", nothing left beside
    assert not any(p.name.startswith(".tmp-") for p in (data / "backups").iterdir())


def test_backup_to_standard_output_is_a_whole_checked_archive(data: Path, tmp_path: Path) -> None:
    from secondopinion_desktop.core.backup import verify_backup

    result = so("backup", "--out", "-", "--data-dir", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Wrote the backup to standard output: the database and 1 stored file" in result.stderr.decode()
    archive = tmp_path / "piped.zip"
    archive.write_bytes(result.stdout)
    assert verify_backup(archive).vault_files == 1
    assert zipfile.is_zipfile(archive)
    assert not any(p.name.startswith(".tmp-") for p in (data / "backups").iterdir())


def test_standard_output_on_a_terminal_is_refused(data: Path, tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "secondopinion_desktop", "packet", "--out", "-",
                                 "--data-dir", str(data)], stdout=follower, stderr=subprocess.PIPE, check=False)
    finally:
        os.close(follower)
        os.close(leader)
    err = result.stderr.decode()
    one_line(result.returncode, err, "standard output", "terminal")
