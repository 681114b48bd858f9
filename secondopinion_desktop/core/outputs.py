"""Where Second Opinion may write what the user asked for: the one rule every "write it here" goes through.

A packet, a backup or an export is never written into the data folder (that would overwrite the database or a
stored file, and a backup kept there is lost with the folder), and never over something that is not a plain
file (``/dev/null``, a pipe, a socket: replacing such an entry by rename would remove it). Paths are compared
after resolving symbolic links, and by file identity, so a link outside that leads inside, a bind mount or a
differently spelt name on a case-insensitive disk is caught too. The window's save dialogs use the same rule.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.fsutil import identity

STDOUT = "-"  # the command-line spelling of "write it to standard output"


class OutputPathError(SecondOpinionError):
    """The place chosen for a packet, backup or export cannot be used."""


def is_inside(path: Path | str, folder: Path | str) -> bool:
    """True when ``path`` is ``folder`` or lies below it, once links are followed (``path`` need not exist)."""
    real = Path(os.path.realpath(Path(path).expanduser().absolute()))
    real_folder = Path(os.path.realpath(Path(folder).expanduser().absolute()))
    if real == real_folder or real_folder in real.parents:
        return True
    target = identity(real_folder)
    if target is None:
        return False
    # the same folder reached by another name (bind mount, letter case)
    return any(identity(candidate) == target for candidate in (real, *real.parents))


def check_output(out: Path | str, data_dir: Path | str, *, what: str, folder: bool = False,
                 example: str = "") -> Path:
    """Check that ``what`` (e.g. "the packet") may be written to ``out``; returns ``out`` made absolute.

    ``folder`` True: ``out`` is a folder to create or fill (an export). Otherwise ``out`` is a file: an existing
    entry there must be a regular file (or a link to one), and its folder must exist and be writable. Raises
    OutputPathError with one sentence naming the problem.
    """
    out = Path(out).expanduser().absolute()
    data_dir = Path(data_dir).expanduser().absolute()
    if is_inside(out, data_dir):
        raise OutputPathError(
            f"Cannot write {what} to {out}: it is inside the data folder {data_dir}; choose a place outside it."
        )
    try:
        st = os.stat(out)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise OutputPathError(f"Cannot write {what} to {out}: {exc.strerror or exc}.") from exc
    if folder:
        if st is not None and not stat.S_ISDIR(st.st_mode):
            raise OutputPathError(f"Cannot write {what} to {out}: it is not a folder; choose a new or empty folder.")
        return out
    if st is not None and stat.S_ISDIR(st.st_mode):
        hint = f"; give a file name, such as {example}" if example else "; give a file name"
        raise OutputPathError(f"Cannot write {what} to {out}: it is a folder{hint}.")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputPathError(
            f"Cannot write {what} to {out}: it is a device or other special file, not a regular file."
        )
    parent = out.parent
    if not parent.exists():
        raise OutputPathError(f"Cannot write {what} to {out}: the folder {parent} does not exist.")
    if not parent.is_dir():
        raise OutputPathError(f"Cannot write {what} to {out}: {parent} is not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"Cannot write {what} to {out}: the folder {parent} is not writable.")
    return out


# Below this much free space on the data folder's disk, output for standard output is staged in the system's
# temporary folder instead: a packet or backup would not fit, and the user asked for a stream, not a file there.
ROOM_FOR_STAGING = 64 * 1024 * 1024


def _room(path: Path) -> int | None:
    try:
        st = os.statvfs(path)
    except (OSError, AttributeError):  # no statvfs (Windows), or it cannot be asked
        return None
    return st.f_bavail * st.f_frsize


@contextlib.contextmanager
def private_staging(data_dir: Path | str, prefix: str = "stdout-"):  # type: ignore[no-untyped-def]
    """A private (0700) folder for output that is then copied elsewhere (e.g. to standard output), removed when
    the block ends. It lies in the data folder's ``backups/`` under the temporary-file prefix that ``check
    --repair`` clears after a crash, so patient data never lands in the shared temporary folder; a data folder
    that cannot be written (a read-only disk) or whose disk is (nearly) full falls back to the system's
    temporary folder."""
    import shutil
    import tempfile

    from secondopinion_desktop.core.vault import owned_temp_prefix

    backups = Path(data_dir) / "backups"
    work: Path | None = None
    room = _room(Path(data_dir))
    if room is None or room >= ROOM_FOR_STAGING:
        try:
            if not backups.is_dir():
                backups.mkdir(mode=0o700)
            # named after this process, so that check --repair leaves it alone while the command runs
            work = Path(tempfile.mkdtemp(prefix=owned_temp_prefix(prefix.rstrip("-")), dir=backups))
        except OSError:
            work = None
    if work is None:  # named after this process, so that a sweep removes it if the command is killed
        work = Path(tempfile.mkdtemp(prefix=owned_temp_prefix("stdout")))
    try:
        os.chmod(work, 0o700)
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def copy_to_stream(source: Path, stream) -> None:  # type: ignore[no-untyped-def]
    """Copy the file ``source`` to the binary ``stream`` and flush it."""
    import shutil

    with open(source, "rb") as src:
        shutil.copyfileobj(src, stream, 1024 * 1024)
    stream.flush()
