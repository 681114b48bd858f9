"""What killed writers leave outside the data folder is swept at the window's start and by `check` (issue 12,
item 8).

A killed `backup` left its database snapshot and partial archive in a hidden folder beside the archive, a killed
`export-imaging` its staged images beside the export, a killed `restore` its extracted copy beside the data
folder (1.6 GB after five kills). Before, only the next backup or export *to the same place* (or an hour's wait
for restores) removed them. Each writer now notes where it stages inside the data folder, and those notes are
swept — only the hidden staging folders of processes that no longer run.

Each case kills the real command (SIGKILL) at an exact moment: when it has staged part of its output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main
from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_disc
from secondopinion_desktop.core.staging import PLACES_DIR

ROOT = Path(__file__).resolve().parents[2]

# Runs the CLI with one function wrapped so that, once called, the process says STAGED and waits to be killed.
DRIVER = """
import sys, importlib
module_name, function_name = sys.argv[1], sys.argv[2]
module = importlib.import_module(module_name)
real = getattr(module, function_name)
def stop_here(*args, **kwargs):
    result = real(*args, **kwargs)
    print("STAGED", flush=True)
    sys.stdin.read()
    return result
setattr(module, function_name, stop_here)
from secondopinion_desktop import cli
sys.exit(cli.main(sys.argv[3:]))
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def kill_when_staged(module: str, function: str, *argv: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, module, function, *argv], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        assert line.strip() == b"STAGED", (line, proc.stderr.read())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def filled(tmp_path: Path, capsys) -> Path:
    data = tmp_path / "data"
    assert run(capsys, "demo", "--data-dir", str(data))[0] == 0
    return data


def test_a_killed_backups_staging_is_swept_by_check_wherever_it_was(filled: Path, tmp_path: Path, capsys) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    kill_when_staged("secondopinion_desktop.core.backup", "_snapshot_database",
                     "backup", "--data-dir", str(filled), "--out", str(stick / "b.zip"))
    left = hidden(stick)
    assert len(left) == 1 and left[0].startswith(".tmp-backup-"), left
    assert (stick / left[0] / "secondopinion.db").is_file(), "the snapshot (all the records) was left there"
    assert list((filled / PLACES_DIR).iterdir()), "the place was noted in the data folder"

    code, out, err = run(capsys, "check", "--data-dir", str(filled))
    assert code == 0, out + err
    assert "Removed 1 leftover folder of a backup, export or restore that was cut short." in out
    assert hidden(stick) == [] and not (stick / "b.zip").exists()
    assert list((filled / PLACES_DIR).iterdir()) == [], "the note went with it"
    code, out, _ = run(capsys, "check", "--data-dir", str(filled))
    assert "leftover" not in out, "said once"


def test_a_killed_exports_staging_is_swept_when_the_window_opens_the_folder(filled: Path, tmp_path: Path,
                                                                             capsys) -> None:
    disc = tmp_path / "cd"
    write_disc(disc, [StudySpec()])
    assert run(capsys, "import-imaging", str(disc), "--yes", "--data-dir", str(filled), "--json")[0] == 0
    import json

    records = json.loads(run(capsys, "records", "list", "--json", "--data-dir", str(filled))[1])
    imaging = max(r["id"] for r in records if r["kind"] == "imaging")  # the study just imported
    usb = tmp_path / "usb"
    usb.mkdir()
    kill_when_staged("secondopinion_desktop.core.imaging.export", "_add",
                     "export-imaging", "--data-dir", str(filled), "--record", str(imaging), "--out",
                     str(usb / "for the doctor"))
    left = hidden(usb)
    assert len(left) == 1, left
    # the window opens later: by then the killed export's lock file is past the moment a starting export needs
    lock_file = usb / left[0] / "export-in-progress"
    os.utime(lock_file, (lock_file.stat().st_mtime - 60,) * 2)

    from secondopinion_desktop.ui.app import open_folder_for_gui

    folder, _ = open_folder_for_gui(str(filled), False)  # what the window does at start, off the GUI thread
    folder.close()
    assert hidden(usb) == [], "the window's start swept the killed export's images"
    assert not (usb / "for the doctor").exists()


def test_a_killed_restores_copy_is_swept_at_once_not_after_an_hour(filled: Path, tmp_path: Path, capsys) -> None:
    archive = tmp_path / "saved.zip"
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(archive))[0] == 0
    kill_when_staged("secondopinion_desktop.core.backup", "_extract", "restore", str(archive),
                     "--data-dir", str(filled))
    beside = [p.name for p in tmp_path.iterdir() if p.name.startswith(".data.restoring-")]
    assert len(beside) == 1, beside
    code, out, err = run(capsys, "check", "--data-dir", str(filled))
    assert code == 0, out + err
    assert "Removed 1 leftover folder" in out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".data.restoring-")]
    assert run(capsys, "records", "list", "--data-dir", str(filled))[0] == 0, "the data is as it was"


def test_a_running_backups_staging_is_left_alone(filled: Path, tmp_path: Path, capsys) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, "secondopinion_desktop.core.backup", "_snapshot_database",
                             "backup", "--data-dir", str(filled), "--out", str(stick / "b.zip")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == b"STAGED"
        code, out, _ = run(capsys, "check", "--data-dir", str(filled))
        assert "leftover" not in out
        assert len(hidden(stick)) == 1, "a backup still being written keeps its staging"
    finally:
        proc.communicate(b"")
    assert proc.returncode == 0
    assert (stick / "b.zip").is_file() and hidden(stick) == []
    assert list((filled / PLACES_DIR).iterdir()) == [], "a finished backup removes its note"


def test_notes_cannot_point_the_sweep_at_anything_else(filled: Path, tmp_path: Path, capsys) -> None:
    """A note is only a place to look: the sweep removes the kind's own hidden staging folders there, nothing else."""
    precious = tmp_path / "precious"
    (precious / ".tmp-backup-notapid-x").mkdir(parents=True)
    (precious / "photos").mkdir()
    notes = filled / PLACES_DIR
    notes.mkdir(exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import json

    (notes / f"{dead.stdout.strip()}-0123abcd.json").write_text(json.dumps({"kind": "backup", "place": str(precious)}))
    (notes / f"{dead.stdout.strip()}-4567abcd.json").write_text(json.dumps({"kind": "rm -rf", "place": "/"}))
    run(capsys, "check", "--data-dir", str(filled))
    assert sorted(p.name for p in precious.iterdir()) == [".tmp-backup-notapid-x", "photos"]
    assert list(notes.iterdir()) == []
    assert os.path.isdir("/usr")


def test_a_previous_folder_a_restore_left_beside_the_data_is_finished_and_removed(filled: Path, tmp_path: Path,
                                                                                  capsys) -> None:
    """A kill after the swap (or a backup that could not be moved over) left `.data.old-*`: a whole plain copy
    of the previous records, which a later open could even bring back. The sweep moves its backups over and
    removes it."""
    import shutil

    old = tmp_path / ".data.old-1234abcd"
    shutil.copytree(filled, old)
    kept = old / "backups" / "secondopinion-backup-20260101-120000-before-restore.zip"
    kept.parent.mkdir(exist_ok=True)
    kept.write_bytes(b"PK a backup kept before that restore")
    code, out, err = run(capsys, "check", "--data-dir", str(filled))
    assert code == 0, out + err
    assert "Removed 1 leftover folder" in out
    assert not old.exists()
    assert (filled / "backups" / kept.name).read_bytes() == b"PK a backup kept before that restore"


def test_a_killed_packet_to_standard_output_staged_in_the_temporary_folder_is_swept(tmp_path: Path, capsys,
                                                                                    monkeypatch) -> None:
    """Where the data folder cannot hold the staged packet, it goes to the temporary folder named after its
    process, so a kill leaves nothing a sweep cannot find."""
    import tempfile

    from secondopinion_desktop.core import outputs
    from secondopinion_desktop.core.staging import sweep_dead_stdout_staging

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(outputs, "_room", lambda path: 0)  # the data folder's disk is full
    data = tmp_path / "data"
    with outputs.private_staging(data) as work:
        assert work.parent == temp and work.name.startswith(f".tmp-stdout-{os.getpid()}-")
        assert sweep_dead_stdout_staging() == 0, "this process is still writing it"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = temp / f".tmp-stdout-{dead.stdout.strip()}-abc123"
    left.mkdir()
    (left / "packet.pdf").write_bytes(b"%PDF- the records")
    (temp / "someone-elses").mkdir()
    assert sweep_dead_stdout_staging() == 1
    assert sorted(p.name for p in temp.iterdir()) == ["someone-elses"]


def test_a_failure_after_the_swap_is_not_reported_as_nothing_changed(filled: Path, tmp_path: Path, capsys,
                                                                     monkeypatch) -> None:
    """Once the restored folder is in place the restore has happened: a flush or tidy-up failing afterwards
    must not say 'nothing was changed'."""
    from secondopinion_desktop.core import backup as backup_module

    archive = tmp_path / "saved.zip"
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(archive))[0] == 0
    assert run(capsys, "records", "add", "--kind", "lab", "--title", "After the backup", "--data-dir",
               str(filled))[0] == 0
    real = backup_module.fsync_folder
    swapped = {"done": False}

    def fsync_folder(path):  # type: ignore[no-untyped-def]
        if Path(path) == filled.parent and (filled / "secondopinion.db").is_file() and swapped["done"]:
            raise OSError(5, "Input/output error")
        return real(path)

    real_rename = backup_module.os.rename

    def rename(src, dst):  # type: ignore[no-untyped-def]
        real_rename(src, dst)
        if Path(dst) == filled:
            swapped["done"] = True

    monkeypatch.setattr(backup_module, "fsync_folder", fsync_folder)
    monkeypatch.setattr(backup_module.os, "rename", rename)
    code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(filled))
    monkeypatch.undo()
    assert code == 0, err
    assert "nothing was changed" not in (out + err)
    assert "Restored" in out
    import json

    titles = [r["title"] for r in json.loads(run(capsys, "records", "list", "--json", "--data-dir", str(filled))[1])]
    assert "After the backup" not in titles, "the restore did happen"
