"""One writer per data folder: an operating-system lock that the window holds while it has the folder open and
every command that changes the folder holds while it runs.

The lock is the file ``.secondopinion.lock`` inside the data folder, locked through ``filelock`` (``flock`` on
Linux and macOS, ``LockFileEx`` on Windows). The operating system lets go of it when its process ends, however
it ends — a crash or a kill -9 included — so a lock is never left behind and nothing has to guess whether an old
lock is stale. Who holds it (the window or which command, and its process id; never anything about the person)
is written beside it in ``.secondopinion.lock.owner``, so that a refused writer can say who has the folder.

Reading commands take no lock: they work while the window is open.

A restore replaces the data folder by renames. Its lock first locks the lock file inside the new folder, before
that folder is renamed into place (``prepare_move``), and lets go of the old one only after the swap
(``complete_move``): at no moment can another writer take the folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secondopinion_desktop.core.errors import DataFolderError
from secondopinion_desktop.core.fsutil import identity, write_small_file

LOCK_NAME = ".secondopinion.lock"
OWNER_NAME = ".secondopinion.lock.owner"
# Names the lock leaves in a data folder; nothing else in the project may treat them as data.
LOCK_FILES = frozenset({LOCK_NAME, OWNER_NAME})

WINDOW = "window"
# How long a command waits for another command (never for the window, which holds the folder while open).
WAIT_ENV = "SECONDOPINION_LOCK_WAIT"
DEFAULT_WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.05
_UNKNOWN_HOLDER_GRACE = 0.5


@dataclass(frozen=True)
class LockOwner:
    """Who holds a data folder's lock: ``purpose`` is ``"window"`` or the command (``"records add"``)."""

    pid: int
    purpose: str
    host: str = ""

    @property
    def is_window(self) -> bool:
        return self.purpose == WINDOW

    def describe(self) -> str:
        """'the Second Opinion window (process 123)' / 'the command “secondopinion restore” (process 123)'."""
        if self.is_window:
            who = "the Second Opinion window"
        else:
            who = f"the command “secondopinion {self.purpose}”"
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"{who} (process {self.pid}{where})"


class FolderInUseError(DataFolderError):
    """Another window or command is changing the data folder; nothing was changed."""

    def __init__(self, message: str, owner: LockOwner | None = None) -> None:
        super().__init__(message)
        self.owner = owner


def lock_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / LOCK_NAME


def _owner_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / OWNER_NAME


def _new_file_lock(path: Path) -> Any:
    from filelock import FileLock

    # thread_local=False: the window takes the lock on one thread and a restore moves it on another.
    return FileLock(str(path), mode=0o600, thread_local=False)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this computer. On Windows, where ``os.kill(pid, 0)`` would send Ctrl+C,
    a process is asked for through the system's process API instead."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - Windows only
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    still_active = 259
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return bool(kernel32.GetLastError() == 5)  # access denied: it exists, owned by someone else
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def read_owner(data_dir: Path | str) -> LockOwner | None:
    """Who says they hold the folder's lock, when that process still runs; None when unknown."""
    try:
        with open(_owner_path(data_dir), "rb") as fh:
            raw = json.loads(fh.read(4096).decode("utf-8"))
        owner = LockOwner(pid=int(raw["pid"]), purpose=str(raw["purpose"]), host=str(raw.get("host", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if owner.host and owner.host != socket.gethostname():
        return owner  # another computer's process (a shared folder): we cannot see whether it runs
    return owner if pid_alive(owner.pid) else None


def _write_owner(data_dir: Path, purpose: str) -> None:
    """Say who holds the lock: written to a temporary file, flushed to disk, renamed into place."""
    payload = json.dumps({"pid": os.getpid(), "purpose": purpose, "host": socket.gethostname()}).encode()
    target = _owner_path(data_dir)
    with contextlib.suppress(OSError):  # only a courtesy for a refused writer's message: the lock is what counts
        write_small_file(target, payload, target.with_name(f"{OWNER_NAME}.tmp-{os.getpid()}"))


def _remove_owner(data_dir: Path) -> None:
    owner_file = _owner_path(data_dir)
    try:
        with open(owner_file, "rb") as fh:
            raw = json.loads(fh.read(4096).decode("utf-8"))
        if int(raw.get("pid", -1)) != os.getpid():
            return  # not ours
    except (OSError, ValueError, TypeError, AttributeError):
        return
    with contextlib.suppress(OSError):
        owner_file.unlink()


def _remove_if_only_lock(data_dir: Path) -> None:
    """A folder made only to be locked, by a command that then stored nothing, is removed again."""
    try:
        names = {entry.name for entry in os.scandir(data_dir)}
        if not names <= LOCK_FILES:
            return
        for name in names:
            os.unlink(data_dir / name)
        os.rmdir(data_dir)
    except OSError:
        pass


def in_use_message(data_dir: Path, owner: LockOwner | None) -> str:
    if owner is not None and owner.is_window:
        return (f"The data folder {data_dir} is open in {owner.describe()}; close the window first, or make "
                "this change there. Nothing was changed.")
    who = owner.describe() if owner is not None else "another Second Opinion window or command"
    return f"The data folder {data_dir} is being changed by {who}; try again when it has finished. Nothing was changed."


class FolderLock:
    """The held lock of one data folder. Release it with ``release()`` (or use it as a context manager).

    A restore marks the lock busy for as long as it runs (``busy()``): a ``release()`` from another thread
    meanwhile (the window closing) waits until the restore is done with the folder, so the folder is never let
    go of in the middle of a restore.
    """

    def __init__(self, data_dir: Path, purpose: str, file_lock: Any, *, created: bool = False) -> None:
        self.data_dir = data_dir
        self.purpose = purpose
        self._lock = file_lock
        self._pending: tuple[Any, Path] | None = None
        self._created = created  # the folder was made for this lock: a command that then failed leaves none
        self._state = threading.Condition(threading.Lock())
        self._busy = 0

    @property
    def locked(self) -> bool:
        return self._lock is not None and bool(self._lock.is_locked)

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Hold off ``release()`` from other threads while the block runs (a restore swapping the folder)."""
        with self._state:
            self._busy += 1
        try:
            yield
        finally:
            with self._state:
                self._busy -= 1
                self._state.notify_all()

    def release(self) -> None:
        """Let go of the folder (again: no-op); waits for a restore that is using the lock to finish first."""
        with self._state:
            while self._busy:
                self._state.wait()
            if self._pending is not None:
                self._abort_move_locked()
            lock, self._lock = self._lock, None
        if lock is None:
            return
        _remove_owner(self.data_dir)
        if self._created and os.name != "nt":
            # while still holding it: a writer waiting on this lock file then finds it gone, and tries again
            _remove_if_only_lock(self.data_dir)
        with contextlib.suppress(OSError, RuntimeError):
            lock.release(force=True)
        if self._created and os.name == "nt":  # a file that is open cannot be removed there: after letting go
            _remove_if_only_lock(self.data_dir)

    # --- a restore that swaps the whole folder -----------------------------------------------------------------
    def prepare_move(self, staging: Path) -> None:
        """``staging`` is about to be renamed onto this folder: lock the lock file inside it too.

        ``staging`` is a private folder nobody else knows of, so this never waits.
        """
        from filelock import Timeout

        staging = Path(staging)
        if os.name == "nt":  # pragma: no cover - Windows cannot rename a folder holding an open file
            with self._state:
                self._pending = (None, staging)
                if self._lock is not None:
                    _remove_owner(self.data_dir)
                    with contextlib.suppress(OSError, RuntimeError):
                        self._lock.release(force=True)  # taken again in the restored folder by complete_move
            return
        new = _new_file_lock(staging / LOCK_NAME)
        try:
            new.acquire(timeout=0)
        except Timeout as exc:  # pragma: no cover - a private folder nobody else can know of
            raise FolderInUseError(in_use_message(self.data_dir, None)) from exc
        _write_owner(staging, self.purpose)
        with self._state:
            self._pending = (new, staging)

    def complete_move(self) -> None:
        """The new folder is in place: from now on this lock is the new folder's; the old one is let go."""
        with self._state:
            if self._pending is None:
                return
            new, _staging = self._pending
            if new is None:  # pragma: no cover - Windows: take the restored folder's lock now
                self._pending, self._created = None, False
                self._lock = _new_file_lock(lock_path(self.data_dir))
                self._lock.acquire(timeout=default_wait())
                _write_owner(self.data_dir, self.purpose)
                return
            old, self._lock, self._pending = self._lock, new, None
            self._created = False
        if old is not None:
            with contextlib.suppress(OSError, RuntimeError):
                old.release(force=True)

    def abort_move(self) -> None:
        """The swap did not happen: let go of the staging folder's lock; this folder's lock stays held."""
        with self._state:
            self._abort_move_locked()

    def _abort_move_locked(self) -> None:
        if self._pending is None:
            return
        new, staging = self._pending
        self._pending = None
        if new is None:  # pragma: no cover - Windows: the swap did not happen, take this folder's lock again
            if self._lock is not None:
                self._lock.acquire(timeout=default_wait())
                _write_owner(self.data_dir, self.purpose)
            return
        _remove_owner(staging)
        with contextlib.suppress(OSError, RuntimeError):
            new.release(force=True)

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:  # never the folder's path in a log line: it may hold the person's name
        return f"FolderLock(purpose={self.purpose!r}, locked={self.locked})"


def default_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_SECONDS)))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def _cannot_lock(data_dir: Path, exc: OSError) -> DataFolderError:
    from secondopinion_desktop.core.db import explain_storage_error

    explained = explain_storage_error(exc, data_dir)
    if isinstance(explained, DataFolderError):
        return explained
    return DataFolderError(f"The data folder {data_dir} cannot be locked for changes: {exc.strerror or exc}.")


def acquire(
    data_dir: Path | str,
    purpose: str,
    *,
    wait: float = 0.0,
    on_wait: Callable[[LockOwner | None], None] | None = None,
) -> FolderLock:
    """Lock ``data_dir`` (created 0700 if it does not exist yet) for ``purpose``.

    Waits up to ``wait`` seconds while another *command* holds it (``on_wait`` is called once, after a second of
    waiting); never waits for the window, which keeps the folder while it is open. Raises FolderInUseError when
    the folder stays taken, or DataFolderError when it cannot be locked at all (a read-only disk, no room).
    """
    from filelock import Timeout

    from secondopinion_desktop.core.paths import ensure_data_dir, recover_interrupted_restore

    data_dir = Path(data_dir).absolute()
    if not data_dir.exists() and _restore_mid_swap(data_dir) is None:
        recover_interrupted_restore(data_dir)  # put back what a killed restore left aside, never lock an empty one
    deadline = time.monotonic() + wait
    said_waiting = False
    started = time.monotonic()
    while True:
        created = not data_dir.exists()
        swapping = _restore_mid_swap(data_dir) if created else None
        try:
            if swapping is not None:  # a restore has the old folder aside and the new one not yet in place
                raise Timeout(str(lock_path(data_dir)))
            ensure_data_dir(data_dir)  # made 0700 when new; says why it cannot be made or used
            before = identity(data_dir)
            file_lock = _new_file_lock(lock_path(data_dir))
            file_lock.acquire(timeout=0)
        except Timeout:
            owner = read_owner(swapping if swapping is not None else data_dir)
            # an unknown holder may be a reader's look at the lock (``is_locked``) or a writer that has not yet
            # said who it is: that is over in moments, so even a caller that does not wait gives it that long
            give_up = max(deadline, started + _UNKNOWN_HOLDER_GRACE) if owner is None else deadline
            if (owner is not None and owner.is_window) or time.monotonic() >= give_up:
                raise FolderInUseError(in_use_message(data_dir, owner), owner) from None
            if on_wait is not None and not said_waiting and time.monotonic() - started >= 1.0:
                said_waiting = True
                on_wait(owner)
            time.sleep(_POLL_SECONDS)
            continue
        except OSError as exc:
            raise _cannot_lock(data_dir, exc) from exc
        if before is None or identity(data_dir) != before:
            # a restore swapped the folder while we were locking: what we hold is the old folder's lock
            with contextlib.suppress(OSError, RuntimeError):
                file_lock.release(force=True)
            continue
        with contextlib.suppress(OSError):
            os.chmod(lock_path(data_dir), 0o600)
        _write_owner(data_dir, purpose)
        return FolderLock(data_dir, purpose, file_lock, created=created)


def _restore_mid_swap(data_dir: Path) -> Path | None:
    """The old folder a running restore has renamed aside (``.NAME.old-*``, its lock still held), if any."""
    import glob

    try:
        olds = list(data_dir.parent.glob(f".{glob.escape(data_dir.name)}.old-*"))
    except OSError:
        return None
    for old in olds:
        if old.is_dir() and not old.is_symlink() and is_locked(old):
            return old
    return None


# A command (a `records add`, a backup) is usually done within moments: a window waits that long for it.
WINDOW_WAIT_SECONDS = 5.0


def acquire_for_window(data_dir: Path | str, *, wait: float | None = None) -> FolderLock | None:
    """The window's lock on ``data_dir``, kept for as long as it has the folder open; None when another window
    (or a command still running after ``wait`` seconds, a few by default) holds it. Raises DataFolderError
    (saying why: a read-only disk, a folder that cannot be made) or OSError when the folder cannot be locked."""
    if wait is None:
        wait = min(WINDOW_WAIT_SECONDS, default_wait())
    try:
        return acquire(data_dir, WINDOW, wait=wait)
    except FolderInUseError:
        return None


def refusal(data_dir: Path | str) -> tuple[str, str]:
    """(title, message) for a window that another window, or a command, keeps from opening ``data_dir``."""
    owner = read_owner(Path(data_dir))
    if owner is None or owner.is_window:
        which = f" (process {owner.pid})" if owner is not None else ""
        return ("Second Opinion is already open",
                f"Second Opinion is already open on this data folder{which}. "
                "Close it first — two windows must never write the same records.")
    return ("The records are being changed",
            f"This data folder is being changed by {owner.describe()}. "
            "Try again when it has finished — two programs must never write the same records.")


def try_acquire(data_dir: Path | str, purpose: str) -> FolderLock | None:
    """``acquire`` without waiting; None when another window or command holds the folder."""
    try:
        return acquire(data_dir, purpose, wait=0.0)
    except FolderInUseError:
        return None


def is_locked(data_dir: Path | str) -> bool:
    """True when some window or command holds ``data_dir`` right now (this process included)."""
    from filelock import Timeout

    if not lock_path(data_dir).is_file():
        return False
    probe = _new_file_lock(lock_path(data_dir))
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return False
    probe.release(force=True)
    return False


@contextlib.contextmanager
def folder_lock(data_dir: Path | str, purpose: str, *, wait: float = 0.0,
                on_wait: Callable[[LockOwner | None], None] | None = None) -> Iterator[FolderLock]:
    """``with folder_lock(path, "records add"):`` — hold the folder for the block."""
    lock = acquire(data_dir, purpose, wait=wait, on_wait=on_wait)
    try:
        yield lock
    finally:
        lock.release()
