"""A data folder on a read-only disk (a write-protected stick, a read-only mount): a real tmpfs remounted ro.

The reading commands open the folder read-only and work, leaving it byte-for-byte as it was (no -wal/-shm made);
the changing ones say in one line that the folder "is on a read-only disk", never "cannot be read and written by
you". Needs root to mount (as on CI); skipped, saying why, elsewhere.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="mounting a small disk (tmpfs) and remounting it read-only needs root, as on CI")


def _sh(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True)


class Stick:
    """A small disk of its own that can be write-protected and unprotected, like a USB stick with a switch."""

    def __init__(self, where: Path) -> None:
        self.path = where

    def protect(self) -> None:
        gc.collect()
        done = _sh("mount", "-o", "remount,ro", str(self.path))
        if done.returncode != 0:
            pytest.skip(f"remounting a disk read-only is not permitted here: {done.stderr.strip()}")
        assert os.statvfs(self.path).f_flag & os.ST_RDONLY

    def unprotect(self) -> None:
        assert _sh("mount", "-o", "remount,rw", str(self.path)).returncode == 0


@pytest.fixture
def stick(tmp_path: Path):
    where = tmp_path / "stick"
    where.mkdir()
    done = _sh("mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(where))
    if done.returncode != 0:
        pytest.skip(f"mounting a small disk is not permitted here: {done.stderr.strip() or done.returncode}")
    try:
        yield Stick(where)
    finally:
        gc.collect()  # a connection that failed to open may still hold a file on the disk
        if _sh("umount", str(where)).returncode != 0:
            _sh("umount", "-l", str(where))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every entry under ``folder`` with its mode, modification time and (for files) content."""
    found = {}
    for path in sorted([folder, *folder.rglob("*")]):
        st = path.lstat()
        found[str(path.relative_to(folder))] = (st.st_mode, st.st_mtime_ns,
                                                path.read_bytes() if path.is_file() else None)
    return found


@pytest.fixture
def disc(tmp_path: Path) -> Path:
    pytest.importorskip("pydicom")
    pytest.importorskip("numpy")
    from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_disc

    root = tmp_path / "cd"
    write_disc(root, [StudySpec()])
    return root


@pytest.fixture
def protected(stick: Stick, tmp_path: Path, disc: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data folder on the stick with records, an attached file and imported images; then write-protected."""
    data = stick.path / "data"
    report = tmp_path / "report.txt"
    report.write_text("Hemoglobin 13.1 g/dL\n")
    assert run(capsys, "import-imaging", str(disc), "--data-dir", str(data), "--yes")[0] == 0
    assert run(capsys, "backup", "--data-dir", str(data), "--out", str(tmp_path / "before.zip"))[0] == 0
    assert run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "CBC March",
               "--attach", str(report))[0] == 0
    # closed cleanly, as a stick is before it is write-protected: the database file holds everything
    assert not [p.name for p in data.iterdir() if p.name.endswith(("-wal", "-shm", "-journal"))]
    stick.protect()
    return data


def test_reading_commands_work_on_a_read_only_disk_and_change_nothing(
        capsys: pytest.CaptureFixture[str], protected: Path, tmp_path: Path, disc: Path) -> None:
    data = protected
    before = snapshot(data)

    code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
    assert code == 0, err
    assert "CBC March" in out and err == ""

    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    assert code == 0, err
    records = json.loads(out)
    assert [r["kind"] for r in records].count("imaging") == 1 and "CBC March" in [r["title"] for r in records]
    imaging_id = next(r["id"] for r in records if r["kind"] == "imaging")

    code, out, err = run(capsys, "packet", "--data-dir", str(data), "--out", str(tmp_path / "packet.pdf"))
    assert code == 0, err
    assert (tmp_path / "packet.pdf").read_bytes().startswith(b"%PDF")

    code, out, err = run(capsys, "import-imaging", str(disc), "--dry-run", "--data-dir", str(data))
    assert code == 0, err
    assert "Dry run: nothing was written." in out

    code, out, err = run(capsys, "export-imaging", "--record", str(imaging_id), "--data-dir", str(data),
                         "--out", str(tmp_path / "export"))
    assert code == 0, err
    assert (tmp_path / "export" / "DICOMDIR").is_file()

    assert snapshot(data) == before
    assert not [p.name for p in data.iterdir() if p.name.endswith(("-wal", "-shm", "-journal"))]


def test_check_works_on_a_read_only_disk(capsys: pytest.CaptureFixture[str], protected: Path) -> None:
    before = snapshot(protected)
    code, out, err = run(capsys, "check", "--data-dir", str(protected))
    assert code == 0, out + err
    assert "Everything is in order." in out
    assert snapshot(protected) == before


def test_backup_from_a_read_only_disk_works(capsys: pytest.CaptureFixture[str], protected: Path,
                                            tmp_path: Path) -> None:
    before = snapshot(protected)
    code, out, err = run(capsys, "backup", "--data-dir", str(protected), "--out", str(tmp_path / "copy.zip"))
    assert code == 0, err
    assert "checked against its manifest" in out
    assert snapshot(protected) == before


def test_changing_commands_say_the_disk_is_read_only(
        capsys: pytest.CaptureFixture[str], protected: Path, tmp_path: Path, disc: Path) -> None:
    data = protected
    before = snapshot(data)
    attempts = [
        ("records", "add", "--kind", "lab", "--title", "PSA"),
        ("import-imaging", str(disc), "--yes"),
        ("check", "--repair"),
        ("restore", str(tmp_path / "before.zip")),
        ("demo",),
    ]
    for argv in attempts:
        code, out, err = run(capsys, *argv, "--data-dir", str(data))
        assert code == 1, (argv, out, err)
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("secondopinion: error:"), (argv, err)
        assert f"The data folder {data} is on a read-only disk" in lines[0], (argv, lines[0])
        assert "cannot be read and written by you" not in lines[0]
    assert snapshot(data) == before


def test_a_log_left_with_its_shm_on_a_read_only_disk_is_read(
        stick: Stick, capsys: pytest.CaptureFixture[str]) -> None:
    """A stick pulled out while a writer had the folder open keeps its latest changes in secondopinion.db-wal
    (with -shm beside it): they are read, not ignored."""
    data = stick.path / "data"
    assert run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "CBC")[0] == 0
    writer = ("import sys\n"
              "from secondopinion_desktop.core.db import open_data_folder\n"
              "from secondopinion_desktop.core import records\n"
              "folder = open_data_folder(sys.argv[1])\n"
              "records.create_record_with_files(folder, 'lab', 'Written last', [])\n"
              "import os; os._exit(0)\n")  # no close: the change stays in the log, as after a pulled stick
    subprocess.run([sys.executable, "-c", writer, str(data)], check=True)
    assert (data / "secondopinion.db-wal").stat().st_size > 0 and (data / "secondopinion.db-shm").exists()
    stick.protect()
    before = snapshot(data)
    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    assert code == 0, err
    assert [r["title"] for r in json.loads(out)] == ["CBC", "Written last"]
    assert snapshot(data) == before


def test_a_log_without_its_shm_on_a_read_only_disk_is_said_so(
        stick: Stick, capsys: pytest.CaptureFixture[str]) -> None:
    data = stick.path / "data"
    assert run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "CBC")[0] == 0
    writer = ("import sys, os\n"
              "from secondopinion_desktop.core.db import open_data_folder\n"
              "from secondopinion_desktop.core import records\n"
              "folder = open_data_folder(sys.argv[1])\n"
              "records.create_record_with_files(folder, 'lab', 'Written last', [])\n"
              "os.unlink(os.path.join(sys.argv[1], 'secondopinion.db-shm'))\n"
              "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", writer, str(data)], check=True)
    stick.protect()
    code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"The data folder {data} is on a read-only disk" in lines[0] and "-wal" in lines[0]


# open_data_folder(read_only=True) on an ordinary disk

def test_a_read_only_open_creates_and_changes_nothing(data_dir: Path) -> None:
    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.core.db import open_data_folder

    with open_data_folder(data_dir) as folder:
        svc.create_record_with_files(folder, "lab", "CBC", [])
    os.chmod(data_dir / "secondopinion.db", 0o644)  # a read-only open must not make it private either
    before = snapshot(data_dir)
    with open_data_folder(data_dir, read_only=True) as folder:
        assert folder.read_only
        with folder.session() as session:
            assert [r.title for r in svc.list_records(session)] == ["CBC"]
        with pytest.raises(Exception, match="readonly|read-only|query_only"), folder.session() as session:
            svc.create_record(session, "lab", "PSA")
    assert snapshot(data_dir) == before


def test_a_read_only_open_never_creates_a_folder(tmp_path: Path) -> None:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.errors import DataFolderError

    missing = tmp_path / "typo"
    with pytest.raises(DataFolderError, match="There is no Second Opinion data in"):
        open_data_folder(missing, read_only=True)
    assert not missing.exists()


def test_a_read_only_open_of_an_older_schema_needs_an_upgrade(data_dir: Path) -> None:
    import sqlite3

    from secondopinion_desktop.core.db import SCHEMA_REVISIONS, open_data_folder
    from secondopinion_desktop.core.errors import DataFolderError, NeedsUpgradeError

    open_data_folder(data_dir).close()
    conn = sqlite3.connect(data_dir / "secondopinion.db")
    conn.execute("UPDATE alembic_version SET version_num = ?", (SCHEMA_REVISIONS[-2],))
    conn.commit()
    conn.close()
    before = snapshot(data_dir)
    with pytest.raises(NeedsUpgradeError, match="must be brought up to date") as caught:
        open_data_folder(data_dir, read_only=True)
    assert isinstance(caught.value, DataFolderError)
    assert snapshot(data_dir) == before


def test_a_writable_open_on_a_read_only_disk_says_so(stick: Stick, capsys: pytest.CaptureFixture[str]) -> None:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.errors import ReadOnlyFolderError

    data = stick.path / "data"
    assert run(capsys, "records", "add", "--data-dir", str(data), "--kind", "lab", "--title", "CBC")[0] == 0
    stick.protect()
    for where in (data, stick.path / "new-folder"):
        with pytest.raises(ReadOnlyFolderError, match="is on a read-only disk"):
            open_data_folder(where)
    assert not (stick.path / "new-folder").exists()
