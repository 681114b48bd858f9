"""Copying thousands of files into the vault at `cp` speed, with the vault's guarantees.

``Vault.store`` makes each file durable on its own (fsync of the file and of its folder, per file); for a
2,000-image disc that costs more than the copy itself. A batch writes every file to a temporary name in the vault
(the same ``.tmp-`` names ``Vault.sweep_temp_files`` cleans up after a crash), then flushes them all to disk at
once, then renames each to its content address and flushes the folders. The result is the same as calling
``Vault.store`` for each file: no half-written file ever has a real name, and the same content is stored once.
(``fsutil.copy_atomically`` per file would flush each one on its own, which is what a batch avoids; the folders
are flushed with ``fsutil.fsync_folder``.)
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from secondopinion_desktop.core.errors import VaultError
from secondopinion_desktop.core.fsutil import fsync_folder
from secondopinion_desktop.core.vault import SourceUnreadable, Vault

__all__ = ["BatchItem", "SourceUnreadable", "VaultBatch"]


@dataclass(frozen=True)
class BatchItem:
    sha256: str
    size: int


class VaultBatch:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._pending: list[tuple[Path, str]] = []  # temporary file, digest
        self.new_digests: list[str] = []  # content that was not in the vault before this batch (after commit)

    def copy(self, source: Path, cancelled: Callable[[], bool] | None = None) -> BatchItem:
        """Copy ``source`` to a temporary file in the vault, hashing it on the way (not yet flushed)."""
        tmp, sha, size = self.vault.copy_to_temp(source, cancelled=cancelled, durable=False)
        self._pending.append((tmp, sha))
        return BatchItem(sha, size)

    def commit(self) -> None:
        """Make every copied file durable and give it its real name. ``new_digests`` then lists the new ones."""
        try:
            _flush_files([tmp for tmp, _ in self._pending])
            folders: set[Path] = set()
            while self._pending:
                tmp, sha = self._pending[0]
                final = self.vault.path_for(sha)
                if final.is_file():
                    tmp.unlink()  # already stored (perhaps earlier in this batch): keep the one that is there
                else:
                    if final.parent not in folders:
                        final.parent.mkdir(mode=0o700, exist_ok=True)
                    os.replace(tmp, final)
                    self.new_digests.append(sha)
                    folders.add(final.parent)
                self._pending.pop(0)
            for folder in sorted(folders):
                fsync_folder(folder)
        except OSError as exc:
            raise VaultError(f"Cannot store the images in the vault: {exc.strerror or exc}.") from exc

    def discard(self) -> None:
        """Remove the temporary files not yet committed (new files already committed are the caller's to undo)."""
        for tmp, _ in self._pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._pending.clear()


def _flush_files(paths: list[Path]) -> None:
    if not paths:
        return
    if sys.platform.startswith("linux") and hasattr(os, "sync"):
        os.sync()  # one flush for the whole batch
        return
    for path in paths:
        with open(path, "r+b") as fh:  # Windows needs write access to flush a file
            os.fsync(fh.fileno())
