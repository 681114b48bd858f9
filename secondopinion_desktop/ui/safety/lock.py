"""One window per data folder, and no command changing the folder while a window has it open.

The lock itself lives in core (``core/lock.py``): an operating-system lock that dies with its process, taken by
the window for as long as it has the folder open and by every command-line command that changes the folder.
This module is the window's side of it: take it at start (waiting a few seconds for a command that is just
finishing, never for another window), say who has it when it is refused, let go of it at exit.
"""

from __future__ import annotations

from pathlib import Path

from secondopinion_desktop.core.lock import (
    WINDOW,
    FolderInUseError,
    FolderLock,
    acquire,
    default_wait,
    lock_path,
    read_owner,
)

__all__ = [
    "acquire_folder_lock", "lock_owner_pid", "lock_owner_text", "lock_owner_title", "lock_path",
    "reacquire_folder_lock",
    "release_folder_lock",
]

# A command (a `records add`, a backup) is usually done within moments: the window waits that long for it.
WAIT_FOR_COMMAND_SECONDS = 5.0


def acquire_folder_lock(data_dir: Path, *, wait: float | None = None) -> FolderLock | None:
    """Lock ``data_dir`` for this window; None when another window (or a long-running command) holds it.

    Keep the returned lock for as long as the folder is open; ``release_folder_lock`` it at exit. The data
    folder is created if it does not exist yet (0700), as opening it would. Raises DataFolderError (saying why:
    a read-only disk, a folder that cannot be made) or OSError when the folder cannot be locked at all.
    """
    if wait is None:
        wait = min(WAIT_FOR_COMMAND_SECONDS, default_wait())
    try:
        return acquire(Path(data_dir), WINDOW, wait=wait)
    except FolderInUseError:
        return None


def lock_owner_pid(data_dir: Path) -> int | None:
    owner = read_owner(Path(data_dir))
    return owner.pid if owner is not None else None


def lock_owner_text(data_dir: Path) -> str:
    """The message for a refused window."""
    owner = read_owner(Path(data_dir))
    if owner is None or owner.is_window:
        which = f" (process {owner.pid})" if owner is not None else ""
        return (
            f"Second Opinion is already open on this data folder{which}. "
            "Close it first — two windows must never write the same records."
        )
    return (f"This data folder is being changed by {owner.describe()}. "
            "Try again when it has finished — two programs must never write the same records.")


def lock_owner_title(data_dir: Path) -> str:
    """The title of that message."""
    owner = read_owner(Path(data_dir))
    if owner is None or owner.is_window:
        return "Second Opinion is already open"
    return "The records are being changed"


def release_folder_lock(lock: FolderLock | None) -> None:
    if lock is not None:
        lock.release()


def reacquire_folder_lock(lock: FolderLock | None, data_dir: Path) -> FolderLock | None:
    """After a restore: the lock to keep for ``data_dir``.

    A restore given the window's lock moves it into the restored folder with the swap, so the same lock comes
    back. A lock that is no longer held (the restore was not given it) is taken again.
    """
    if lock is not None and lock.locked and Path(lock.data_dir) == Path(data_dir).absolute():
        return lock
    release_folder_lock(lock)
    return acquire_folder_lock(data_dir, wait=0.0)
