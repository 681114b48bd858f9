"""Small file-system steps several modules share."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


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
