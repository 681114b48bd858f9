"""One window per data folder: a lock file (``QLockFile``) with stale-lock detection.

``QLockFile`` is per object and per process: a second ``QLockFile`` on the same path fails while the first holds
it, even inside one process. A lock left behind by a crashed process (its pid no longer runs on this host) is
removed and taken over.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

from PySide6.QtCore import QLockFile, QSysInfo

LOCK_NAME = ".secondopinion.lock"
# A live process keeps its lock however old it is: only a dead owner makes the lock stale.
STALE_LOCK_TIME_MS = 0


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def _lock_info(lock: QLockFile) -> tuple[int, str, str] | None:
    """(pid, hostname, appname) of the lock's owner, or None when unreadable."""
    info = lock.getLockInfo()
    if not info or len(info) < 3 or not info[0]:
        return None
    pid, host, app = info[0], info[1], info[2]
    return int(pid), str(host or ""), str(app or "")


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return True
    return True


def _owner_is_gone(info: tuple[int, str, str] | None) -> bool:
    if info is None:
        return False  # cannot tell: do not steal
    pid, host, _app = info
    if host and host not in (socket.gethostname(), QSysInfo.machineHostName()):
        return False  # held from another computer (shared folder): we cannot see its processes
    return not _process_alive(pid)


def _make_private(data_dir: Path) -> None:
    """The lock file names this computer and process: readable by the user only, like the rest of the folder."""
    with contextlib.suppress(OSError):
        os.chmod(lock_path(data_dir), 0o600)


def acquire_folder_lock(data_dir: Path) -> QLockFile | None:
    """Lock ``data_dir`` for this window; None when another running instance holds it.

    Keep the returned object alive for as long as the folder is open; ``unlock()`` it (or let it be deleted)
    at exit. The data folder is created if it does not exist yet (0700), as opening it would. Raises OSError
    when the folder or the lock file cannot be created at all (opening the folder then reports why).
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = QLockFile(str(lock_path(data_dir)))
    lock.setStaleLockTime(STALE_LOCK_TIME_MS)
    if lock.tryLock(0):
        _make_private(data_dir)
        return lock
    if lock.error() != QLockFile.LockError.LockFailedError:
        raise PermissionError(f"Cannot create the lock file {lock_path(data_dir)} ({lock.error().name}).")
    if _owner_is_gone(_lock_info(lock)):
        if lock.removeStaleLockFile() and lock.tryLock(0):
            _make_private(data_dir)
            return lock
    return None


def lock_owner_pid(data_dir: Path) -> int | None:
    info = _lock_info(QLockFile(str(lock_path(data_dir))))
    return info[0] if info else None


def lock_owner_text(data_dir: Path) -> str:
    """The message for a refused second window."""
    pid = lock_owner_pid(data_dir)
    which = f" (process {pid})" if pid else ""
    return (
        f"Second Opinion is already open on this data folder{which}. "
        "Close it first — two windows must never write the same records."
    )


def release_folder_lock(lock: QLockFile | None) -> None:
    if lock is not None:
        with contextlib.suppress(RuntimeError):
            lock.unlock()


def reacquire_folder_lock(lock: QLockFile | None, data_dir: Path) -> QLockFile | None:
    """After a restore swapped the data folder: put this window's lock into the new folder.

    ``restore_backup`` replaces ``data_dir`` by renaming folders, so the lock file went away with the old one.
    ``lock`` is released first only when its file is gone (releasing removes the file at its path, which must
    never be another instance's lock), then the folder is locked again. Returns the lock to keep (the same
    object when nothing moved), or None when the folder could not be locked again.
    """
    path = lock_path(data_dir)
    if lock is not None and lock.isLocked() and path.exists():
        info = _lock_info(QLockFile(str(path)))
        if info is not None and info[0] == os.getpid():
            return lock  # still ours: nothing was swapped
        return None  # someone else's: leave both alone
    if lock is not None:
        release_folder_lock(lock)  # its file is gone: this removes nothing
    return acquire_folder_lock(data_dir)
