"""Where outputs are being written outside the data folder, noted inside it, so a killed writer's leftovers are
found wherever they are.

A backup stages its database snapshot and partial archive in a hidden folder beside the archive it writes; an
image export stages the images beside the folder it writes; a restore extracts beside the data folder. All three
are full of the person's records in plain form. A process killed part way leaves them there — in a folder the
next backup or export may never visit. So each one notes the folder it stages in (only that: the place and the
kind, in a file of its own in the data folder's ``.staging-places``) and removes the note when it is done. At the
window's start and in ``check``, every noted place whose writer is gone is swept by that kind's own sweeper
(which removes only its own hidden staging folders of processes that no longer run), then the note goes.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from secondopinion_desktop.core.fsutil import write_small_file

PLACES_DIR = ".staging-places"
BACKUP, EXPORT, RESTORE = "backup", "export", "restore"
_NOTE = re.compile(r"^(\d+)-[0-9a-f]{8}\.json$")
# A restore's staging folder beside the data folder: .NAME.restoring-<pid>-<random>
RESTORING_MARK = ".restoring-"


def _alive(pid: int) -> bool:
    from secondopinion_desktop.core.lock import pid_alive

    return pid_alive(pid)


def note_place(data_dir: Path | str, place: Path | str, kind: str) -> Path | None:
    """Note that this process stages a ``kind`` output in ``place``; returns the note (None when the data folder
    cannot be written, e.g. on a read-only disk: the output is still made, only not noted)."""
    root = Path(data_dir) / PLACES_DIR
    name = f"{os.getpid()}-{secrets.token_hex(4)}.json"
    payload = json.dumps({"kind": kind, "place": os.fsdecode(Path(place).absolute())}).encode()  # ASCII escapes
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        write_small_file(root / name, payload, root / f".{name}.tmp")
    except OSError:
        return None
    return root / name


def forget_place(note: Path | None) -> None:
    if note is not None:
        with contextlib.suppress(OSError):
            note.unlink()


@contextlib.contextmanager
def staging_noted(data_dir: Path | str, place: Path | str, kind: str) -> Iterator[None]:
    """``with staging_noted(folder.path, out.parent, BACKUP):`` around writing there."""
    note = note_place(data_dir, place, kind)
    try:
        yield
    finally:
        forget_place(note)


def restoring_prefix(data_dir: Path) -> str:
    """The name a restore's staging folder starts with: it carries the restoring process's id."""
    return f".{Path(data_dir).name}{RESTORING_MARK}{os.getpid()}-"


def sweep_dead_restores(data_dir: Path | str) -> int:
    """Remove the staging folders beside ``data_dir`` of restores whose process is gone."""
    data_dir = Path(data_dir)
    pattern = re.compile(re.escape(f".{data_dir.name}{RESTORING_MARK}") + r"(\d+)-")
    removed = 0
    try:
        candidates = list(data_dir.parent.glob(f".{glob.escape(data_dir.name)}{RESTORING_MARK}*"))
    except OSError:
        return 0
    for entry in candidates:
        match = pattern.match(entry.name)
        if not match or _alive(int(match.group(1))) or entry.is_symlink() or not entry.is_dir():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += not entry.exists()
    return removed


STDOUT_KIND = "stdout"


def sweep_dead_stdout_staging() -> int:
    """Remove what a killed ``packet --out -`` / ``backup --out -`` staged in the system's temporary folder (only
    when its data folder could not hold it): hidden folders named after a process that no longer runs."""
    import tempfile

    from secondopinion_desktop.core.vault import owned_temp_prefix, temp_in_use

    prefix = owned_temp_prefix(STDOUT_KIND).rsplit("-", 2)[0] + "-"  # ".tmp-stdout-"
    ours = re.compile(re.escape(prefix) + r"\d+-")
    removed = 0
    try:
        entries = list(Path(tempfile.gettempdir()).iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not ours.match(entry.name) or temp_in_use(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += not entry.exists()
    return removed


def _sweep(kind: str, place: Path) -> int:
    if kind == BACKUP:
        from secondopinion_desktop.core.backup import sweep_dead_backups

        return sweep_dead_backups(place)
    if kind == EXPORT:
        from secondopinion_desktop.core.imaging.export import sweep_stale_exports

        return sweep_stale_exports(place)  # only folders whose lock no running export holds
    return 0


def sweep_places(data_dir: Path | str) -> int:
    """Sweep what killed backups, exports and restores left; returns how many staging folders went."""
    from secondopinion_desktop.core.backup import sweep_old_folders

    data_dir = Path(data_dir)
    removed = sweep_dead_restores(data_dir) + sweep_old_folders(data_dir) + sweep_dead_stdout_staging()
    root = data_dir / PLACES_DIR
    try:
        notes = [p for p in root.iterdir() if p.is_file() and not p.is_symlink()]
    except OSError:
        return removed
    for note in notes:
        match = _NOTE.match(note.name)
        if match is None:  # a note a killed process was still writing
            stem = note.name[1:].split("-", 1)[0]
            if note.name.startswith(".") and note.name.endswith(".tmp") and stem.isdigit() and not _alive(int(stem)):
                forget_place(note)
            continue
        if _alive(int(match.group(1))):
            continue  # still writing there
        try:
            raw = json.loads(note.read_bytes().decode("utf-8", "surrogateescape"))
            kind, place = str(raw["kind"]), Path(str(raw["place"]))
        except (OSError, ValueError, KeyError, TypeError):
            forget_place(note)
            continue
        if place.is_dir():
            removed += _sweep(kind, place)
        forget_place(note)
    return removed
