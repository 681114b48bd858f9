"""Content-addressed file store for attachments.

A file lives at ``vault/<first two hex digits>/<sha256>``. It is streamed in chunks (memory stays flat for
multi-gigabyte files) into a temporary file in the vault, fsynced, then renamed to its final name and the folder
fsynced, so a crash never leaves a half-written file under a real name. The same content is stored once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from secondopinion_desktop.core.errors import VaultError

CHUNK_SIZE = 1024 * 1024
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600


class SourceUnreadable(VaultError):
    """The file to be stored could not be read (moved, unreadable, a disc error)."""


class Cancelled(Exception):
    """Raised inside a copy when the caller's ``cancelled()`` returns True. Nothing is left behind."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    already_present: bool


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new names, renames) durable. Folders cannot be fsynced on Windows."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Vault:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def ensure(self) -> None:
        self.root.mkdir(mode=0o700, exist_ok=True)
        self.sweep_temp_files()

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise VaultError(f"{sha256!r} is not a SHA-256 digest.")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def copy_to_temp(
        self,
        source: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        durable: bool = True,
    ) -> tuple[Path, str, int]:
        """Stream ``source`` into a new temporary file in the vault; returns (temporary path, SHA-256, size).

        The file has no real name yet (see ``store`` and ``imaging.vaultbatch``); with ``durable`` it is
        fsynced. A source that cannot be read raises ``SourceUnreadable``; cancel raises ``Cancelled``; either
        way the temporary file is gone.
        """
        source = Path(source)
        try:
            total = source.stat().st_size
            src = open(source, "rb")
        except OSError as exc:
            raise SourceUnreadable(f"Cannot read {source.name}: {exc.strerror or exc}.") from exc
        try:
            try:
                fd, tmp_name = _mkstemp(self.root)
            except VaultError:
                if self.root.is_dir():
                    raise
                self.root.mkdir(mode=0o700, parents=True, exist_ok=True)  # first file of a new vault
                fd, tmp_name = _mkstemp(self.root)
        except BaseException:
            src.close()
            raise
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            done = 0
            with src, os.fdopen(fd, "wb") as dst:
                while True:
                    if cancelled is not None and cancelled():
                        raise Cancelled()
                    try:
                        chunk = src.read(CHUNK_SIZE)
                    except OSError as exc:
                        raise SourceUnreadable(
                            f"Cannot read {source.name} to the end: {exc.strerror or exc}."
                        ) from exc
                    if not chunk:
                        break
                    digest.update(chunk)
                    dst.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                if durable:
                    dst.flush()
                    os.fsync(dst.fileno())
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if isinstance(exc, OSError) and not isinstance(exc, VaultError):
                raise VaultError(f"Cannot store {source.name} in the vault: {exc.strerror or exc}.") from exc
            raise
        return tmp, digest.hexdigest(), done

    def store(
        self,
        source: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> StoredFile:
        """Copy ``source`` into the vault and return its digest and size.

        ``progress(done, total)`` is called after each chunk; when ``cancelled()`` turns True the copy stops,
        the temporary file is removed and ``Cancelled`` is raised.
        """
        tmp, sha, done = self.copy_to_temp(Path(source), progress=progress, cancelled=cancelled)
        try:
            final = self.path_for(sha)
            already_present = final.is_file()
            # Even when the content is already stored, the fresh copy replaces it (one atomic rename), so a
            # damaged vault file is mended by attaching the original again.
            final.parent.mkdir(mode=0o700, exist_ok=True)
            os.replace(tmp, final)
            fsync_dir(final.parent)
            return StoredFile(sha256=sha, size=done, already_present=already_present)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if isinstance(exc, OSError) and not isinstance(exc, VaultError):
                raise VaultError(f"Cannot store {Path(source).name} in the vault: {exc.strerror or exc}.") from exc
            raise

    def open(self, sha256: str):  # type: ignore[no-untyped-def]
        try:
            return open(self.path_for(sha256), "rb")
        except FileNotFoundError as exc:
            raise VaultError(f"The stored file {sha256[:12]}… is missing from the vault.") from exc

    def remove(self, sha256: str) -> bool:
        """Delete a stored file; True if it was there."""
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only succeeds when empty
        return True

    def verify(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        return path.is_file() and sha256_of(path) == sha256

    def stored(self) -> Iterator[str]:
        """Digests of every file in the vault."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for f in sorted(sub.iterdir()):
                    if f.is_file() and len(f.name) == 64:
                        yield f.name

    def sweep_temp_files(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Remove temporary files left by an interrupted copy; returns how many were removed."""
        removed = 0
        now = time.time()
        for tmp in self.root.glob(TEMP_PREFIX + "*"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime >= older_than:
                    tmp.unlink()
                    removed += 1
        return removed


def _mkstemp(folder: Path) -> tuple[int, str]:
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    except OSError as exc:
        raise VaultError(f"Cannot write to the vault {folder}: {exc.strerror or exc}.") from exc
    return fd, name
