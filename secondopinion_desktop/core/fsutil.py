"""Small file-system steps several modules share."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from secondopinion_desktop.core.progress import CancelCheck, Progress, check


def identity(path: Path | str) -> tuple[int, int] | None:
    """(device, inode) of ``path`` after following links; None when it does not exist or cannot be looked at."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def write_small_file(target: Path, data: bytes, tmp: Path) -> None:
    """Put ``data`` at ``target`` (0600) whole or not at all: written to ``tmp`` (never through a link), flushed to
    the disk, then renamed into place. Raises OSError; ``tmp`` is gone either way."""
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fsync_folder(path: Path | str) -> None:
    """Make a folder's entries (new names, renames) durable. Folders cannot be opened for fsync on Windows."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(target: Path | str, content: bytes | Callable[[BinaryIO], object], *, mode: int = 0o600) -> None:
    """Put a file at ``target`` whole or not at all: written to a private temporary file beside it (``mode``,
    0600 unless asked), flushed to the disk, renamed over ``target``, and the folder flushed too.

    ``content`` is the bytes, or a function that writes them to the open file. Raises OSError (or whatever the
    writer raises); then the temporary file is gone and ``target`` is as it was.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, mode) if hasattr(os, "fchmod") else os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, bytes | bytearray | memoryview):
                fh.write(content)
            else:
                content(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(target.parent)


def copy_atomically(source: Path | str, target: Path | str, *, mode: int = 0o600,
                    progress: Progress | None = None, cancelled: CancelCheck | None = None,
                    chunk: int = 1 << 20) -> None:
    """Copy ``source`` to ``target`` as ``write_atomically`` writes: whole or not at all. Reports bytes copied
    to ``progress``; raises ``core.progress.Cancelled`` (leaving ``target`` as it was) when ``cancelled()``."""
    total = os.path.getsize(source)

    def copy(out: BinaryIO) -> None:
        done = 0
        with open(source, "rb") as src:
            while block := src.read(chunk):
                check(cancelled)
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)

    write_atomically(target, copy, mode=mode)
