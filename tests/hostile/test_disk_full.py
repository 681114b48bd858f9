"""A full disk under the data folder: a real small tmpfs, filled until the kernel says ENOSPC.

A change that finds no room says so in one line ("the disk holding the data folder … is full"), changes nothing
and leaves the folder readable: the reading commands keep working while the disk is full, and once space is freed
the same change works. The failed write must not leave anything behind that makes later commands fail (it used
to: an open on a full disk left an empty -wal and a 3-byte -shm, and every later command called the database
"cannot be read"). Needs root to mount (as on CI); skipped, saying why, elsewhere.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="mounting a small disk (tmpfs) needs root, as on CI")


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a small disk is not permitted here: {done.stderr.strip() or done.returncode}")


def _unmount(where: Path) -> None:
    gc.collect()  # a connection that failed to open may still hold a file on the disk
    if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 4 MB disk of its own (tmpfs), unmounted at the end whatever happens."""
    where = tmp_path / "small-disk"
    _mount_tmpfs(where, "4m")
    try:
        yield where
    finally:
        _unmount(where)


def fill(disk: Path) -> Path:
    """Fill ``disk`` until the kernel refuses another byte; returns the filler file (remove it to free space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 16, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def leave_room(filler: Path, room: int) -> None:
    """Free ``room`` bytes of a filled disk again (the end of the filler file)."""
    os.truncate(filler, filler.stat().st_size - room)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *fragments: str) -> str:
    assert code == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion: error:"), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def listed_titles(capsys: pytest.CaptureFixture[str], data: Path) -> list[str]:
    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    assert code == 0, err
    return [r["title"] for r in json.loads(out)]


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def full_folder(small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """A data folder with two records (one with a file) on the small disk, then the disk filled up."""
    data = small_disk / "data"
    report = tmp_path / "report.txt"
    report.write_text("Hemoglobin 13.1 g/dL\n")
    assert run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "CBC March")[0] == 0
    assert run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "CMP",
               "--attach", str(report))[0] == 0
    return data, fill(small_disk)


def test_records_add_on_a_full_disk_says_so_once_and_changes_nothing(
        capsys: pytest.CaptureFixture[str], full_folder: tuple[Path, Path]) -> None:
    data, filler = full_folder
    before = files_of(data)

    code, out, err = run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "PSA")
    line = one_line_error(code, err, f"The disk holding the data folder {data} is full", "nothing was changed",
                          "free some space")
    assert out == "" and "I/O" not in line
    # nothing half-written: the database and the stored files are as they were (an empty log may have been made)
    after = files_of(data)
    assert {k: v for k, v in after.items() if k in before} == before
    assert all(after[k] == b"" or k.endswith("-shm") for k in set(after) - set(before)), sorted(after)

    # the folder still opens and lists, with the record count unchanged
    assert listed_titles(capsys, data) == ["CBC March", "CMP"]

    # said again the same way (not "cannot be read") while the disk stays full
    code, _out, err = run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "PSA")
    one_line_error(code, err, "is full")

    filler.unlink()
    code, out, err = run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "PSA")
    assert code == 0, err
    assert "Added record 3: PSA" in out
    assert listed_titles(capsys, data) == ["CBC March", "CMP", "PSA"]


def test_a_change_too_big_for_the_room_left_says_the_disk_is_full(
        capsys: pytest.CaptureFixture[str], full_folder: tuple[Path, Path]) -> None:
    """Room for SQLite's -shm but not for the change: SQLite's own SQLITE_FULL at the commit, in one line."""
    data, filler = full_folder
    leave_room(filler, 200 * 1024)
    code, out, err = run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "Notes",
                         "--notes", "n" * 900_000)
    one_line_error(code, err, f"The disk holding the data folder {data} is full", "nothing was changed")
    assert listed_titles(capsys, data) == ["CBC March", "CMP"]
    filler.unlink()
    assert listed_titles(capsys, data) == ["CBC March", "CMP"]
    assert not [p.name for p in data.iterdir() if p.name.endswith("-wal") and p.stat().st_size]


def test_reading_commands_keep_working_while_the_disk_is_full(
        capsys: pytest.CaptureFixture[str], full_folder: tuple[Path, Path], tmp_path: Path) -> None:
    data, _filler = full_folder
    # the failed change first: what it leaves must not stop the reading commands
    one_line_error(*run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "x")[::2])
    before = files_of(data)

    code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
    assert code == 0, err
    assert "CBC March" in out and "CMP" in out and err == ""
    assert listed_titles(capsys, data) == ["CBC March", "CMP"]

    code, out, err = run(capsys, "packet", "--data-dir", str(data), "--out", str(tmp_path / "packet.pdf"))
    assert code == 0, err
    assert (tmp_path / "packet.pdf").read_bytes().startswith(b"%PDF")
    assert files_of(data) == before  # reading changed nothing in the folder


def test_packet_to_standard_output_works_while_the_disk_is_full(
        full_folder: tuple[Path, Path], tmp_path: Path) -> None:
    """``packet --out -`` stages the PDF before copying it out: not on the full disk, where it cannot fit."""
    import sys

    data, _filler = full_folder
    target = tmp_path / "streamed.pdf"
    with open(target, "wb") as stream:
        done = subprocess.run([sys.executable, "-m", "secondopinion_desktop", "packet", "--data-dir", str(data),
                               "--out", "-"], stdout=stream, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert "Wrote the packet to standard output" in done.stderr
    assert target.read_bytes().startswith(b"%PDF")
    assert not (data / "backups").exists() or not any((data / "backups").iterdir())  # nothing left there


def test_check_works_while_the_disk_is_full(capsys: pytest.CaptureFixture[str],
                                            full_folder: tuple[Path, Path]) -> None:
    data, _filler = full_folder
    one_line_error(*run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "x")[::2])
    code, out, err = run(capsys, "check", "--data-dir", str(data))
    assert code == 0, out + err
    assert "Everything is in order." in out


def test_backup_to_another_disk_works_while_the_disk_is_full(
        capsys: pytest.CaptureFixture[str], full_folder: tuple[Path, Path], tmp_path: Path) -> None:
    data, _filler = full_folder
    one_line_error(*run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "x")[::2])
    out_zip = tmp_path / "backup.zip"  # on the ordinary disk, not the full one
    code, out, err = run(capsys, "backup", "--data-dir", str(data), "--out", str(out_zip))
    assert code == 0, err
    assert "the database and 1 stored file" in out
    assert out_zip.stat().st_size > 0


def test_a_change_that_runs_out_of_room_while_the_folder_is_open_is_rolled_back(
        small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The window's case: the folder was opened (its log ready) before the disk filled, so SQLite itself
    reports SQLITE_FULL at the commit; the error is explained, and the transaction left nothing."""
    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.core.db import explain_storage_error, open_data_folder
    from secondopinion_desktop.core.errors import DiskFullError

    data = small_disk / "data"
    with open_data_folder(data) as folder:
        svc.create_record_with_files(folder, "lab", "CBC", [])
        filler = fill(small_disk)
        with pytest.raises(Exception) as caught:
            svc.create_record_with_files(folder, "lab", "Biopsy report", [],
                                         notes="n" * 900_000)
        explained = explain_storage_error(caught.value, data)
        assert isinstance(explained, DiskFullError), repr(caught.value)
        assert str(explained).startswith(f"The disk holding the data folder {data} is full; nothing was changed")
        with folder.session() as session:
            assert [r.title for r in svc.list_records(session)] == ["CBC"]
    filler.unlink()
    assert listed_titles(capsys, data) == ["CBC"]


# explain_storage_error on its own: what counts as a full or read-only disk, and what does not.

def _real_sqlite_error(sql: str, uri: str) -> sqlite3.Error:
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute(sql)
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("no error")


def test_explain_maps_sqlite_full_and_enospc_to_one_sentence_naming_the_folder(tmp_path: Path) -> None:
    from sqlalchemy.exc import OperationalError

    from secondopinion_desktop.core.db import explain_storage_error
    from secondopinion_desktop.core.errors import DataFolderError, DiskFullError

    data = tmp_path / "data"
    full = sqlite3.OperationalError("database or disk is full")
    wrapped = OperationalError("INSERT INTO records …", {}, full)
    for exc in (full, wrapped, OSError(errno.ENOSPC, "No space left on device", str(data / "vault" / "ab")),
                OSError(errno.EDQUOT, "Disk quota exceeded")):
        explained = explain_storage_error(exc, data)
        assert isinstance(explained, DiskFullError) and isinstance(explained, DataFolderError), exc
        assert str(explained) == (f"The disk holding the data folder {data} is full; nothing was changed: free "
                                  "some space on it and try again.")
        assert "\n" not in str(explained)
    # raised from something else (a VaultError wrapping ENOSPC, say): found by its cause. Without a file name
    # it is the data folder's disk only when that disk is full; else it was an output's disk (a USB stick), which
    # the error's own message names
    from secondopinion_desktop.core import db as db_module

    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("could not store") from inner
    except RuntimeError as outer:
        assert explain_storage_error(outer, data) is None, "the data folder's disk has room: not blamed"
        real = db_module._no_room
        db_module._no_room = lambda path: True
        try:
            assert isinstance(explain_storage_error(outer, data), DiskFullError)
        finally:
            db_module._no_room = real
    # without a folder, still one sentence
    assert str(explain_storage_error(full)).startswith("The disk holding the data folder is full")


def test_explain_names_an_output_disk_that_is_full_by_its_own_folder(tmp_path: Path) -> None:
    from secondopinion_desktop.core.db import explain_storage_error
    from secondopinion_desktop.core.errors import DiskFullError

    stick = tmp_path / "stick"
    explained = explain_storage_error(OSError(errno.ENOSPC, "No space left on device", str(stick / "b.zip")),
                                      tmp_path / "data")
    assert isinstance(explained, DiskFullError)
    assert str(explained).startswith(f"The disk holding {stick} is full")


def test_explain_maps_read_only_errors(tmp_path: Path) -> None:
    from secondopinion_desktop.core.db import explain_storage_error
    from secondopinion_desktop.core.errors import ReadOnlyFolderError

    data = tmp_path / "data"
    explained = explain_storage_error(OSError(errno.EROFS, "Read-only file system", str(data / "x")), data)
    assert isinstance(explained, ReadOnlyFolderError)
    assert str(explained).startswith(f"The data folder {data} is on a read-only disk, so nothing was changed")

    # a real SQLITE_READONLY (a write through a read-only connection), on a disk that is not read-only
    db = tmp_path / "t.db"
    sqlite3.connect(db).close()
    readonly = _real_sqlite_error("CREATE TABLE t(x)", f"{db.as_uri()}?mode=ro")
    assert readonly.sqlite_errorcode == 8  # type: ignore[attr-defined]
    explained = explain_storage_error(readonly, data)
    assert isinstance(explained, ReadOnlyFolderError) and "cannot be written" in str(explained)


def test_explain_calls_an_io_error_a_full_disk_only_when_the_disk_is_full_and_leaves_others_alone(
        small_disk: Path) -> None:
    """SQLite says only "disk I/O error" when it cannot grow its -shm file on a full disk."""
    from secondopinion_desktop.core.db import explain_storage_error
    from secondopinion_desktop.core.errors import DiskFullError

    data = small_disk / "data"
    data.mkdir()
    io_error = sqlite3.OperationalError("disk I/O error")
    assert explain_storage_error(io_error, data) is None  # a disk with room: an I/O error is not "full"
    # nor is anything else that is not a full or read-only disk
    for exc in (ValueError("bad"), OSError(errno.EACCES, "Permission denied", str(data)),
                sqlite3.IntegrityError("UNIQUE constraint failed"), sqlite3.OperationalError("no such table: x"),
                KeyError("x")):
        assert explain_storage_error(exc, data) is None, exc
    moved = sqlite3.OperationalError("attempt to write a readonly database")
    moved.sqlite_errorcode = 8 | (4 << 8)  # type: ignore[attr-defined]  # SQLITE_READONLY_DBMOVED: no disk issue
    assert explain_storage_error(moved, data) is None
    fill(small_disk)
    explained = explain_storage_error(io_error, data)
    assert isinstance(explained, DiskFullError) and str(explained).startswith(
        f"The disk holding the data folder {data} is full")


def test_the_window_gets_the_same_sentence_from_a_background_job(small_disk: Path, qtbot) -> None:
    """The window's background jobs hand a full disk to their failure handler as the DiskFullError sentence,
    not as SQLAlchemy's "(sqlite3.OperationalError) database or disk is full [SQL: …]"."""
    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.errors import DiskFullError
    from secondopinion_desktop.ui.jobs import start_job

    data = small_disk / "data"
    errors: list[BaseException] = []
    with open_data_folder(data) as folder:
        svc.create_record_with_files(folder, "lab", "CBC", [])
        fill(small_disk)
        job = start_job(lambda _control: svc.create_record_with_files(folder, "lab", "Biopsy", [],
                                                                      notes="n" * 900_000),
                        lambda _value: None, errors.append)
        qtbot.waitUntil(lambda: job.done, timeout=10000)
    assert len(errors) == 1 and isinstance(errors[0], DiskFullError), repr(errors)
    assert str(errors[0]).startswith("The disk holding the data folder is full; nothing was changed")


def test_a_new_data_folder_on_a_full_disk_is_not_left_half_made(
        small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = small_disk / "new"
    fill(small_disk)
    for argv in (("records", "add", "--kind", "lab", "--title", "CBC"), ("demo",)):
        code, out, err = run(capsys, *argv, "--data-dir", str(data))
        one_line_error(code, err, f"The disk holding the data folder {data} is full", "nothing was changed")
        # no empty database that a later command would take for one needing an upgrade
        assert not (data / "secondopinion.db").exists()
        code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
        one_line_error(code, err, f"There is no Second Opinion data in {data}")


def test_a_full_stick_the_output_goes_to_is_not_called_the_data_folders_disk(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup or packet onto a full USB stick: the stick is full, not the disk of the data folder."""
    data = tmp_path / "data"
    assert run(capsys, "demo", "--data-dir", str(data))[0] == 0
    fill(small_disk)
    for argv in (("backup", "--out", str(small_disk / "b.zip")), ("packet", "--out", str(small_disk / "p.pdf"))):
        code, out, err = run(capsys, *argv, "--data-dir", str(data))
        line = one_line_error(code, err)
        assert str(data) not in line and "data folder" not in line, line
        assert "No space left on device" in line or "is full" in line, line
    assert listed_titles(capsys, data), "the data folder is untouched"
