"""Writers while the window is open (issue 12, item 4).

The folder lock used to be the window's alone (a QLockFile), so the command line never took it: with the window
open, `secondopinion restore` swapped the folder under it (every later edit in the window was lost) and a
`records add` during a restore landed in neither folder. The lock now lives in core, is an operating-system lock
that dies with its process, and is taken by the window and by every command that changes the folder. A command
that finds the folder in use says so in one line and changes nothing; reading commands still work.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main
from secondopinion_desktop.core import backup as backup_module
from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_disc
from secondopinion_desktop.core.lock import OWNER_NAME, acquire, is_locked, read_owner, try_acquire

HOLD = (
    "import sys; from secondopinion_desktop.core.lock import acquire; "
    "lock = acquire(sys.argv[1], sys.argv[2]); print('held', flush=True); sys.stdin.read(); lock.release()"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fingerprint(data: Path) -> dict[str, str]:
    """Every file of the data folder (not SQLite's -wal/-shm, not the lock's own files) and its hash."""
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm")) and not p.name.startswith(".secondopinion.lock")}


@pytest.fixture
def filled(tmp_path: Path, capsys) -> Path:
    data = tmp_path / "data"
    assert run(capsys, "demo", "--data-dir", str(data))[0] == 0
    return data


class Holder:
    """Another process holding the folder's lock, as the window (or a command) does."""

    def __init__(self, data: Path, purpose: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD, str(data), purpose],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == b"held"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.communicate(b"")


@pytest.fixture
def holder_of():
    started: list[Holder] = []

    def start(data: Path, purpose: str) -> Holder:
        holder = Holder(data, purpose)
        started.append(holder)
        return holder

    yield start
    for holder in started:
        holder.stop()


def one_line(code: int, err: str, *fragments: str) -> None:
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion: error:"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_with_the_window_open_every_writing_command_is_refused_and_changes_nothing(
    capsys, filled: Path, tmp_path: Path, holder_of
) -> None:
    archive = tmp_path / "saved.zip"
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(archive))[0] == 0
    disc = tmp_path / "cd"
    write_disc(disc, [StudySpec()])
    attach = tmp_path / "report.txt"
    attach.write_text("report")
    before = fingerprint(filled)
    window = holder_of(filled, "window")
    writers = [
        ("restore", str(archive)),
        ("records", "add", "--kind", "lab", "--title", "CBC", "--attach", str(attach)),
        ("import-imaging", str(disc), "--yes"),
        ("check", "--repair"),
        ("demo",),
    ]
    for argv in writers:
        start = time.monotonic()
        code, out, err = run(capsys, *argv, "--data-dir", str(filled))
        one_line(code, err, f"is open in the Second Opinion window (process {window.proc.pid})",
                 "close the window first", "Nothing was changed")
        assert time.monotonic() - start < 5, f"{argv[0]}: a command never waits for the window"
        assert fingerprint(filled) == before, f"{argv[0]} changed the folder"
    # reading commands still work while the window is open
    assert run(capsys, "records", "list", "--data-dir", str(filled))[0] == 0
    assert run(capsys, "check", "--data-dir", str(filled))[0] == 0
    assert run(capsys, "packet", "--data-dir", str(filled), "--out", str(tmp_path / "p.pdf"))[0] == 0
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(tmp_path / "b.zip"))[0] == 0
    assert run(capsys, "import-imaging", str(disc), "--dry-run", "--data-dir", str(filled))[0] == 0
    assert fingerprint(filled) == before
    window.stop()
    code, out, err = run(capsys, "records", "add", "--kind", "lab", "--title", "CBC", "--data-dir", str(filled))
    assert code == 0, err
    assert not (filled / OWNER_NAME).exists(), "the command let go of the folder when it finished"


def test_a_command_waits_for_another_command_then_goes_on(capsys, filled: Path, holder_of, monkeypatch) -> None:
    monkeypatch.setenv("SECONDOPINION_LOCK_WAIT", "0.3")
    other = holder_of(filled, "import-imaging")
    code, out, err = run(capsys, "records", "add", "--kind", "lab", "--title", "CBC", "--data-dir", str(filled))
    one_line(code, err, f"is being changed by the command “secondopinion import-imaging” (process {other.proc.pid})",
             "try again when it has finished", "Nothing was changed")
    titles = [r["title"] for r in json.loads(run(capsys, "records", "list", "--json", "--data-dir", str(filled))[1])]
    assert "CBC" not in titles

    monkeypatch.setenv("SECONDOPINION_LOCK_WAIT", "60")
    import threading

    timer = threading.Timer(1.5, other.stop)  # the other command finishes while this one waits
    timer.start()
    try:
        code, out, err = run(capsys, "records", "add", "--kind", "lab", "--title", "CBC", "--data-dir", str(filled))
    finally:
        timer.join()
    assert code == 0, err
    assert "waiting for the command “secondopinion import-imaging”" in err
    assert "Added record" in out


def test_parallel_writers_all_land(filled: Path, python: str) -> None:
    """Four commands adding records at once: they take turns, none is lost, none fails."""
    script = (
        "import sys; from secondopinion_desktop.cli import main\n"
        "for n in range(6):\n"
        "    assert main(['records', 'add', '--kind', 'lab', '--title', f'w{sys.argv[2]}-{n}',"
        " '--data-dir', sys.argv[1]]) == 0\n"
    )
    procs = [subprocess.Popen([python, "-c", script, str(filled), str(i)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for i in range(4)]
    errors = [p.communicate()[1].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    listing = subprocess.run([python, "-m", "secondopinion_desktop", "records", "list", "--json",
                              "--data-dir", str(filled)], capture_output=True, check=True)
    titles = {r["title"] for r in json.loads(listing.stdout)}
    assert {f"w{i}-{n}" for i in range(4) for n in range(6)} <= titles


def test_the_lock_dies_with_a_killed_command(filled: Path, holder_of, capsys) -> None:
    held = holder_of(filled, "restore")
    assert is_locked(filled)
    held.proc.send_signal(signal.SIGKILL)
    held.proc.wait()
    assert not is_locked(filled), "the operating system let go of it: no stale lock"
    assert read_owner(filled) is None, "the dead process is not named as the owner"
    assert run(capsys, "records", "add", "--kind", "lab", "--title", "after", "--data-dir", str(filled))[0] == 0


def test_a_restore_keeps_the_folder_locked_at_every_moment_of_its_swap(filled: Path, tmp_path: Path,
                                                                        monkeypatch, capsys) -> None:
    """Between and after the swap's renames, no other writer can take the folder (or 'recover' it)."""
    archive = tmp_path / "saved.zip"
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(archive))[0] == 0
    probes: list[object] = []
    real_rename = os.rename

    def rename(src, dst):  # type: ignore[no-untyped-def]
        real_rename(src, dst)
        probe = try_acquire(filled, "records add")  # also in the gap between the two renames
        probes.append(probe)
        if probe is not None:
            probe.release()

    lock = acquire(filled, "restore")
    monkeypatch.setattr(backup_module.os, "rename", rename)
    try:
        backup_module.restore_backup(archive, filled, lock=lock)
        monkeypatch.setattr(backup_module.os, "rename", real_rename)
        assert len(probes) >= 2 and all(p is None for p in probes), probes
        assert lock.locked and try_acquire(filled, "records add") is None, "the restored folder is still held"
    finally:
        monkeypatch.setattr(backup_module.os, "rename", real_rename)
        lock.release()
    again = try_acquire(filled, "records add")
    assert again is not None, "released after the restore"
    again.release()
    assert not any(p.name.startswith(f".{filled.name}.old-") for p in filled.parent.iterdir()), \
        "the old folder was removed after the swap"
    assert run(capsys, "records", "list", "--data-dir", str(filled))[0] == 0


def test_a_command_adding_a_record_during_a_restore_is_refused_not_lost(filled: Path, tmp_path: Path,
                                                                         monkeypatch, capsys, python: str) -> None:
    """The issue's case: 'Added record 32' printed during a restore, and the record was in neither folder."""
    archive = tmp_path / "saved.zip"
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(archive))[0] == 0
    outcome: dict[str, subprocess.CompletedProcess] = {}
    real_extract = backup_module._extract

    def extract(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_extract(*args, **kwargs)
        outcome["add"] = subprocess.run(
            [python, "-m", "secondopinion_desktop", "records", "add", "--kind", "lab", "--title", "During",
             "--data-dir", str(filled)], capture_output=True, text=True,
            env={**os.environ, "SECONDOPINION_LOCK_WAIT": "0"})

    monkeypatch.setattr(backup_module, "_extract", extract)
    code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(filled))
    assert code == 0, err
    added = outcome["add"]
    assert added.returncode == 1 and "Added record" not in added.stdout
    assert "is being changed by the command “secondopinion restore”" in added.stderr, added.stderr
    titles = [r["title"] for r in json.loads(run(capsys, "records", "list", "--json", "--data-dir", str(filled))[1])]
    assert "During" not in titles


def test_a_failed_command_on_a_new_folder_leaves_no_folder_behind(tmp_path: Path, capsys) -> None:
    new = tmp_path / "new"
    code, out, err = run(capsys, "restore", str(tmp_path / "missing.zip"), "--data-dir", str(new))
    assert code == 1
    assert not new.exists(), "the folder made only to be locked is removed again"


def test_the_real_window_holds_the_folder_against_a_restore(qtbot, filled: Path, tmp_path: Path, capsys,
                                                           python: str) -> None:
    """The issue's reproduction with the window itself: `restore` while it is open is refused."""
    archive = tmp_path / "saved.zip"
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(archive))[0] == 0
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    window = subprocess.Popen([python, "-m", "secondopinion_desktop", "--data-dir", str(filled)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def holds_it() -> bool:
        owner = read_owner(filled)
        return owner is not None and owner.is_window and owner.pid == window.pid

    try:
        qtbot.waitUntil(lambda: holds_it() or window.poll() is not None, timeout=60_000)
        if not holds_it():
            pytest.fail(f"the window did not take the folder: {window.stderr.read().decode()}")
        before = fingerprint(filled)
        code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(filled))
        one_line(code, err, f"is open in the Second Opinion window (process {window.pid})")
        assert fingerprint(filled) == before
    finally:
        window.send_signal(signal.SIGTERM)  # closes as Quit does
        try:
            window.wait(timeout=60)
        except subprocess.TimeoutExpired:
            window.kill()
            window.wait()
        window.stderr.close()
    assert not is_locked(filled), "the closed window let go of the folder"


def test_restore_into_a_mount_point_says_why_and_changes_nothing(tmp_path: Path, capsys) -> None:
    """A data folder that is the top of a disk cannot be swapped by renames (EBUSY): said before anything."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root")
    data = tmp_path / "stick"
    data.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(data)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a small disk")
    try:
        assert run(capsys, "demo", "--data-dir", str(data))[0] == 0
        archive = tmp_path / "saved.zip"
        assert run(capsys, "backup", "--data-dir", str(data), "--out", str(archive))[0] == 0
        before = fingerprint(data)
        code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(data))
        one_line(code, err, "it is the top of a disk (a mount point)", f"for example {data / 'secondopinion'}",
                 "nothing was changed")
        assert fingerprint(data) == before
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".stick.")], "no staging left beside it"
        inner = data / "secondopinion"
        code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(inner))
        assert code == 0, err
        assert run(capsys, "records", "list", "--data-dir", str(inner))[0] == 0
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)


def test_a_reading_command_brings_an_older_folder_up_to_date_under_the_lock(tmp_path: Path, capsys,
                                                                             holder_of) -> None:
    """A read-only open cannot read an older schema; the command upgrades it first, as a writer (taking the lock)."""
    from helpers.folders import make_folder_at

    from secondopinion_desktop.core.db import SCHEMA_HEAD, read_schema_revision

    data = tmp_path / "old"
    make_folder_at(data, "0004_imaging_files")

    window = holder_of(data, "window")  # while another window has it, the upgrade (a change) is refused
    code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
    one_line(code, err, "is open in the Second Opinion window")
    assert read_schema_revision(data / "secondopinion.db") == "0004_imaging_files"
    window.stop()

    code, out, err = run(capsys, "records", "list", "--data-dir", str(data))
    assert code == 0, err
    assert "No records yet." in out
    assert read_schema_revision(data / "secondopinion.db") == SCHEMA_HEAD


def test_reads_never_use_an_immutable_view_while_a_writer_holds_the_folder(filled: Path, holder_of) -> None:
    """An immutable read assumes the file cannot change; with a window open its log may be folded in any time."""
    from secondopinion_desktop.core.db import read_only_uris

    db = filled / "secondopinion.db"
    assert any("immutable=1" in uri for uri in read_only_uris(db)), "no writer: the quick way"
    holder = holder_of(filled, "window")
    assert not any("immutable=1" in uri for uri in read_only_uris(db))
    holder.stop()


def test_opening_the_folder_between_a_running_restores_renames_leaves_the_swap_to_it(filled: Path, tmp_path: Path,
                                                                                   monkeypatch, capsys) -> None:
    """A reader that opens the folder in the instant it is missing must not 'recover' the old one under the
    restore's feet (which then failed and left the data aside)."""
    from secondopinion_desktop.core.db import open_data_folder

    archive = tmp_path / "saved.zip"
    assert run(capsys, "backup", "--data-dir", str(filled), "--out", str(archive))[0] == 0
    import threading

    from secondopinion_desktop.core import lock as lock_module

    seen: list[str] = []
    readers: list = []
    looked = threading.Event()
    real_rename = os.rename
    real_mid_swap = lock_module._restore_mid_swap

    def mid_swap(path):  # type: ignore[no-untyped-def]
        found = real_mid_swap(path)
        if threading.current_thread() in readers:
            looked.set()
        return found

    monkeypatch.setattr(lock_module, "_restore_mid_swap", mid_swap)

    def rename(src, dst):  # type: ignore[no-untyped-def]
        real_rename(src, dst)
        if not filled.exists():  # the gap: the old folder is aside, the new one not yet in place
            import threading

            def reader() -> None:  # a reading command in another thread, as another process would be
                try:
                    opened = open_data_folder(filled, read_only=True)
                    seen.append(f"opened {len(list(opened.vault.stored()))}")
                    opened.close()
                except Exception as exc:  # noqa: BLE001
                    seen.append(f"{type(exc).__name__}: {exc}")

            readers.append(threading.Thread(target=reader))
            readers[-1].start()
            # hold the gap open until the reader has looked (it then waits) or has already given its answer
            while not looked.is_set() and readers[-1].is_alive():
                looked.wait(0.01)

    lock = acquire(filled, "restore")
    monkeypatch.setattr(backup_module.os, "rename", rename)
    try:
        backup_module.restore_backup(archive, filled, lock=lock)
    finally:
        monkeypatch.setattr(backup_module.os, "rename", real_rename)
        for thread in readers:
            thread.join(30)
        lock.release()
    assert len(seen) == 1 and seen[0].startswith("opened "), "the reader waited for the restored folder: " + str(seen)
    assert run(capsys, "records", "list", "--data-dir", str(filled))[0] == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".data.old-")], "the swap finished"


def test_closing_the_window_mid_restore_keeps_the_folder_locked_until_the_restore_is_done(filled: Path) -> None:
    """The window's release at exit waits for a restore still using the lock, instead of letting go mid-swap."""
    import threading

    lock = acquire(filled, "window")
    inside, go_on = threading.Event(), threading.Event()

    def restoring() -> None:
        with lock.busy():
            inside.set()
            go_on.wait(30)

    worker = threading.Thread(target=restoring, name="restore")
    worker.start()
    assert inside.wait(30)
    closer = threading.Thread(target=lock.release, name="close")
    closer.start()
    closer.join(0.5)
    try:
        assert closer.is_alive(), "release waits for the restore"
        assert try_acquire(filled, "records add") is None, "the folder is still held meanwhile"
    finally:
        go_on.set()
        worker.join(30)
        closer.join(30)
    assert not is_locked(filled), "let go of once the restore was done"


def test_a_moment_of_an_unknown_holder_does_not_refuse_a_writer(filled: Path) -> None:
    """A reader's look at the lock (or a writer not yet named) holds it for moments: a writer that does not
    wait still gives it that long."""
    import threading

    from filelock import FileLock

    from secondopinion_desktop.core.lock import lock_path

    glance = FileLock(str(lock_path(filled)), thread_local=False)
    glance.acquire()
    timer = threading.Timer(0.15, glance.release)
    timer.start()
    try:
        taken = try_acquire(filled, "window")
    finally:
        timer.join()
    assert taken is not None, "waited out the glance instead of saying the folder is in use"
    taken.release()
