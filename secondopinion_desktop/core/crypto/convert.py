"""Turning a data folder's encryption on and off, and changing its passphrase — each crash-safe.

Encrypting and decrypting build the whole converted folder beside the data folder, in a private staging folder
named like a restore's (``.NAME.restoring-<pid>-…``), then put it in place with the restore's two renames while
the folder's lock moves along. A process killed at any moment leaves the data folder as it was (the staging
folder is swept later) or, once the second rename is done, fully converted; a kill between the two renames
leaves the previous folder aside under ``.NAME.old-*``, which opening the folder puts back. Nothing in the data
folder itself is rewritten in place, so there is never a half-encrypted folder.

Every stored file is checked against its name while it is converted: a damaged one stops the conversion
(nothing changed) and ``check`` names it. Backups made before encryption was turned on stay as they were (plain
archives in ``backups``): the result says how many, so the person can remove them.

Changing the passphrase rewraps the data key only: the key file is written temp → fsync → rename, so after any
crash it is the old or the new one, and the data itself is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secondopinion_desktop.core.crypto.keys import KdfParams
from secondopinion_desktop.core.crypto.seal import FolderKey
from secondopinion_desktop.core.errors import DataFolderError, VaultError
from secondopinion_desktop.core.fsutil import fsync_folder
from secondopinion_desktop.core.progress import CancelCheck, Cancelled, Progress

if TYPE_CHECKING:
    from secondopinion_desktop.core.lock import FolderLock

# Never carried into the converted folder: the lock files (the lock moves with the swap), what SQLite keeps
# beside the database (the copy is made through SQLite, so it holds everything committed), scratch space.
_SKIP = frozenset({".secondopinion.lock", ".secondopinion.lock.owner", "secondopinion.db-wal",
                   "secondopinion.db-shm", "secondopinion.db-journal", ".scratch"})


class ConversionError(DataFolderError):
    """The folder could not be converted; it was left exactly as it was."""


@dataclass(frozen=True)
class ConversionResult:
    data_dir: Path
    files: int  # stored files converted
    plain_backups: int  # backups kept as they were (made before; plain archives)


def _stored_total(vault_root: Path) -> tuple[list[Path], int]:
    files: list[Path] = []
    total = 0
    if vault_root.is_dir():
        for sub in sorted(vault_root.iterdir()):
            if sub.is_symlink() or not sub.is_dir() or len(sub.name) != 2:
                continue
            for entry in sorted(sub.iterdir()):
                if entry.is_file() and not entry.is_symlink() and len(entry.name) == 64:
                    files.append(entry)
                    total += entry.stat().st_size
    return files, total


class _Steps:
    def __init__(self, total: int, progress: Progress | None, cancelled: CancelCheck | None) -> None:
        self.total, self.done, self._progress, self._cancelled = max(total, 1), 0, progress, cancelled

    def check(self) -> None:
        if self._cancelled is not None and self._cancelled():
            raise Cancelled("Cancelled; nothing was changed.")

    def advance(self, amount: int) -> None:
        self.done = min(self.total, self.done + amount)
        if self._progress is not None:
            self._progress(self.done, self.total)
        self.check()


def _fsync_tree(root: Path) -> None:
    for here, dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(here, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_folder(Path(here))
        dirs.sort()


def _copy_other(source: Path, target: Path) -> None:
    """Copy what else the folder holds (notes of staging places …) as it is."""
    if source.is_symlink():
        return
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False, ignore_dangling_symlinks=True)
    elif source.is_file():
        shutil.copy2(source, target)


def _convert(data_dir: Path, lock: FolderLock | None, build: Callable[[Path, _Steps], None], total: int,
             progress: Progress | None, cancelled: CancelCheck | None, doing: str) -> None:
    from secondopinion_desktop.core.backup import _swap, sweep_old_folders
    from secondopinion_desktop.core.staging import restoring_prefix, sweep_dead_restores

    steps = _Steps(total, progress, cancelled)
    steps.check()
    try:
        sweep_dead_restores(data_dir)
        sweep_old_folders(data_dir)
        staging = Path(tempfile.mkdtemp(prefix=restoring_prefix(data_dir), dir=data_dir.parent))
        os.chmod(staging, 0o700)
    except OSError as exc:
        raise ConversionError(f"Cannot {doing} {data_dir}: {exc.strerror or exc}; nothing was changed.") from exc
    try:
        build(staging, steps)
        _fsync_tree(staging)
        steps.check()
        with lock.busy() if lock is not None else contextlib.nullcontext():
            _swap(staging, data_dir, lock)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ConversionError(f"Cannot {doing} {data_dir}: {exc.strerror or exc}; nothing was changed."
                                  ) from exc
        raise


def _plain_backups(data_dir: Path) -> int:
    from secondopinion_desktop.core.backup import BACKUPS_DIR

    where = data_dir / BACKUPS_DIR
    try:
        return sum(1 for p in where.iterdir() if p.is_file() and p.suffix == ".zip")
    except OSError:
        return 0


def _bring_up_to_date(data_dir: Path, key: FolderKey | None) -> None:
    """Open the folder once, so its database is of this version's schema (and any recovery is done)."""
    from secondopinion_desktop.core.db import open_data_folder

    open_data_folder(data_dir, key=key).close()


def encrypt_folder(data_dir: Path | str, passphrase: str, recovery_key: str, *, lock: FolderLock | None = None,
                   params: KdfParams | None = None, progress: Progress | None = None,
                   cancelled: CancelCheck | None = None) -> tuple[FolderKey, ConversionResult]:
    """Encrypt the plain data folder at ``data_dir`` (the caller holds its ``lock``): its database with SQLCipher,
    every stored file sealed under its keyed name. Returns the folder's keys and what was done."""
    from secondopinion_desktop.core.crypto import database
    from secondopinion_desktop.core.crypto.keys import create_keyring, write_keyring
    from secondopinion_desktop.core.crypto.seal import is_encrypted
    from secondopinion_desktop.core.paths import DB_NAME, VAULT_NAME
    from secondopinion_desktop.core.vault import Vault

    data_dir = Path(data_dir).absolute()
    if is_encrypted(data_dir):
        raise ConversionError(f"The data folder {data_dir} is already protected with a passphrase.")
    _bring_up_to_date(data_dir, None)
    ring, data_key = create_keyring(passphrase, recovery_key, params)
    key = FolderKey.from_data_key(data_key)
    files, total = _stored_total(data_dir / VAULT_NAME)
    db_size = (data_dir / DB_NAME).stat().st_size

    def build(staging: Path, steps: _Steps) -> None:
        write_keyring(staging, ring)
        _databases(data_dir, staging, lambda s, t: database.encrypt_copy(s, t, key.database))
        steps.advance(db_size)
        sealed = Vault(staging / VAULT_NAME, key)
        sealed.root.mkdir(mode=0o700)
        for path in files:
            steps.check()
            try:
                stored = sealed.store(path, cancelled=steps._cancelled)
            except Cancelled:
                raise Cancelled("Cancelled; nothing was changed.") from None
            if stored.sha256 != path.name:
                raise ConversionError(
                    f"The stored file {path.name[:12]}… is damaged (its content no longer matches its name), so the "
                    "folder was not encrypted; run `secondopinion check` to see it; nothing was changed.")
            steps.advance(stored.size)
        _others(data_dir, staging)

    _convert(data_dir, lock, build, total + db_size, progress, cancelled, "encrypt")
    return key, ConversionResult(data_dir, len(files), _plain_backups(data_dir))


def decrypt_folder(data_dir: Path | str, key: FolderKey, *, lock: FolderLock | None = None,
                   progress: Progress | None = None, cancelled: CancelCheck | None = None) -> ConversionResult:
    """Turn encryption off: write the folder plain again (the caller holds its ``lock``)."""
    from secondopinion_desktop.core.crypto import database
    from secondopinion_desktop.core.crypto.seal import is_encrypted, open_sealed
    from secondopinion_desktop.core.crypto.stream import DamagedFile
    from secondopinion_desktop.core.paths import DB_NAME, VAULT_NAME
    from secondopinion_desktop.core.vault import Vault, open_regular_nofollow

    data_dir = Path(data_dir).absolute()
    if not is_encrypted(data_dir):
        raise ConversionError(f"The data folder {data_dir} is not protected with a passphrase.")
    _bring_up_to_date(data_dir, key)
    files, total = _stored_total(data_dir / VAULT_NAME)
    db_size = (data_dir / DB_NAME).stat().st_size

    def build(staging: Path, steps: _Steps) -> None:
        _databases(data_dir, staging, lambda s, t: database.decrypt_copy(s, t, key.database))
        steps.advance(db_size)
        plain = Vault(staging / VAULT_NAME)
        plain.root.mkdir(mode=0o700)
        for path in files:
            steps.check()
            damaged = (f"The stored file {path.name[:12]}… is damaged, so the folder was not decrypted; run "
                       "`secondopinion check` to see it; nothing was changed.")
            try:
                with open_sealed(open_regular_nofollow(path), key.content) as source:
                    stored = plain.store_from(source, label="a stored file", cancelled=steps._cancelled)
            except (DamagedFile, VaultError) as exc:
                raise ConversionError(damaged) from exc
            except Cancelled:
                raise Cancelled("Cancelled; nothing was changed.") from None
            if key.name_of(stored.sha256) != path.name:
                raise ConversionError(damaged)
            steps.advance(path.stat().st_size)
        _others(data_dir, staging)

    _convert(data_dir, lock, build, total + db_size, progress, cancelled, "decrypt")
    return ConversionResult(data_dir, len(files), 0)


def change_passphrase(data_dir: Path | str, key: FolderKey, new_passphrase: str, *,
                      params: KdfParams | None = None) -> None:
    """Wrap the data key under a new passphrase; the recovery key still opens the folder. Instant, and after any
    crash the key file is the old one or the new one (the caller holds the folder's lock)."""
    from secondopinion_desktop.core.crypto.keys import read_keyring, with_passphrase, write_keyring

    data_dir = Path(data_dir)
    ring = read_keyring(data_dir)
    if ring is None:
        raise ConversionError(f"The data folder {data_dir} is not protected with a passphrase.")
    if ring.key_id != key.key_id:
        raise ConversionError("These keys are not the keys of this folder; nothing was changed.")
    try:
        write_keyring(data_dir, with_passphrase(ring, key.data_key, new_passphrase, params))
    except OSError as exc:
        raise ConversionError(f"Cannot change the passphrase: {exc.strerror or exc}; nothing was changed."
                              ) from exc


def _databases(data_dir: Path, staging: Path, copy: Callable[[Path, Path], None]) -> None:
    """The database and the copies kept before a schema upgrade (``secondopinion.db.schema-*.bak``)."""
    from secondopinion_desktop.core.paths import DB_NAME

    copy(data_dir / DB_NAME, staging / DB_NAME)
    os.chmod(staging / DB_NAME, 0o600)
    for kept in sorted(data_dir.glob(f"{DB_NAME}.schema-*.bak")):
        if kept.is_file() and not kept.is_symlink():
            copy(kept, staging / kept.name)
            os.chmod(staging / kept.name, 0o600)


def _others(data_dir: Path, staging: Path) -> None:
    from secondopinion_desktop.core.backup import BACKUPS_DIR
    from secondopinion_desktop.core.crypto.keys import KEYRING_NAME
    from secondopinion_desktop.core.paths import DB_NAME, VAULT_NAME

    done = {DB_NAME, VAULT_NAME, BACKUPS_DIR}  # backups: moved over by the swap, as they are
    for entry in sorted(data_dir.iterdir()):
        name = entry.name
        if name in done or name in _SKIP or (name.startswith(f"{DB_NAME}.schema-") and name.endswith(".bak")):
            continue
        if name == KEYRING_NAME or name.startswith(".tmp"):
            continue  # the new key file is written already (or there is none when decrypting)
        _copy_other(entry, staging / name)
