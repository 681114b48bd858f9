"""Backups: one zip archive with a consistent database snapshot, the vault files and a manifest; restore.

Archive layout (every name under one root folder)::

    secondopinion-backup/manifest.json        format, schema revision, creation time, every file's size + SHA-256
    secondopinion-backup/secondopinion.db     snapshot made with SQLite's online backup API (never a file copy)
    secondopinion-backup/vault/<xx>/<sha256>  the vault files, stored uncompressed

An archive is written into a private temporary folder beside its destination, fsynced and renamed into place, so
a crash or a cancel never leaves a half-written archive under a real name. A restore checks the whole archive
against its manifest before anything is touched, extracts into a new sibling folder and switches by renames only
when that folder is complete; the current data is kept as a backup first.

A backup of an encrypted folder is encrypted too (backup format 2): its database is a SQLCipher snapshot under the
folder's database key, its stored files are the sealed files as they are (under their keyed names), and it carries
the folder's key file (``keys.json``: the data key wrapped by the passphrase and by the recovery key, nothing
else), so it restores only with the passphrase or the recovery key it was made under. Its manifest's digests are
keyed (HMAC-SHA-256 under a key derived from the data key), so it names no plain content and cannot be forged; the
sizes and number of files are visible, as in the folder itself. Such a backup's file name never carries the
patient's name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from secondopinion_desktop.core.db import (
    SCHEMA_REVISIONS,
    DataFolder,
    connect_read_only,
    open_data_folder,
    read_schema_revision,
)
from secondopinion_desktop.core.errors import DataFolderError, SecondOpinionError
from secondopinion_desktop.core.fsutil import fsync_folder
from secondopinion_desktop.core.lock import LOCK_FILES, FolderLock
from secondopinion_desktop.core.paths import DB_NAME, VAULT_NAME
from secondopinion_desktop.core.people import FolderSummary
from secondopinion_desktop.core.progress import CancelCheck, Progress, check
from secondopinion_desktop.core.staging import (
    BACKUP,
    PLACES_DIR,
    forget_place,
    note_place,
    restoring_prefix,
    sweep_dead_restores,
)
from secondopinion_desktop.core.vault import (
    CHUNK_SIZE,
    NotARegularFile,
    Vault,
    open_regular_nofollow,
    owned_temp_prefix,
    sha256_of_fd,
    temp_in_use,
)
from secondopinion_desktop.core.words import plural

if TYPE_CHECKING:
    from secondopinion_desktop.core.crypto.keys import Keyring
    from secondopinion_desktop.core.crypto.seal import FolderKey

FORMAT = 1
ENCRYPTED_FORMAT = 2  # an encrypted folder's backup; a version that knows only FORMAT refuses it as newer
ROOT = "secondopinion-backup"
MANIFEST_NAME = "manifest.json"
BACKUPS_DIR = "backups"
BACKUP_PREFIX = "secondopinion-backup-"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
# Automatic backups: secondopinion-backup-YYYYMMDD-HHMMSS[-of-person-name].zip, and only those are pruned. The
# data kept before a restore (…-before-restore[-N].zip) or a repair (…-before-repair[-N].zip) is never pruned.
KEPT_SUFFIX = "-before-restore"
PERSON_MARK = "-of-"
_AUTOMATIC_NAME = re.compile(r"^secondopinion-backup-(\d{8})-(\d{6})(?:-of-[a-z0-9]+(?:-[a-z0-9]+)*)?\.zip$")
_ANY_BACKUP_NAME = re.compile(r"^secondopinion-backup-\d{8}-\d{6}(-[a-z0-9-]+)?\.zip$")


def _is_automatic(name: str) -> bool:
    return _AUTOMATIC_NAME.match(name) is not None
_VAULT_NAME_RE = re.compile(r"^vault/([0-9a-f]{2})/([0-9a-f]{64})$")
_MAX_KEYRING_BYTES = 64 * 1024
_ZIP64_LIMIT = 1 << 30


class BackupError(SecondOpinionError):
    """A backup cannot be written, or an archive cannot be restored (it was refused, nothing was changed)."""


class BackupLocked(BackupError):
    """The backup is encrypted and no key was given: unlock it (``backup_keyring``) with its passphrase or
    recovery key."""


@dataclass(frozen=True)
class ManifestEntry:
    name: str  # relative to the archive root: "secondopinion.db" or "vault/<xx>/<sha256>"
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    format: int
    schema: str
    created_at: str
    files: tuple[ManifestEntry, ...]
    key_id: str = ""  # an encrypted backup's: which data key it opens with ("" for a plain one)

    @property
    def encrypted(self) -> bool:
        return self.format == ENCRYPTED_FORMAT

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def vault_files(self) -> int:
        return sum(1 for f in self.files if f.name.startswith(f"{VAULT_NAME}/"))

    def to_json(self) -> dict[str, Any]:
        digest = "hmac_sha256" if self.encrypted else "sha256"
        data: dict[str, Any] = {
            "format": self.format,
            "app": "Second Opinion",
            "schema": self.schema,
            "created_at": self.created_at,
        }
        if self.encrypted:
            data["key_id"] = self.key_id
        data["files"] = [{"name": f.name, "size": f.size, digest: f.sha256} for f in self.files]
        return data


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    manifest: Manifest
    kept: Path | None  # the backup of the data that was there before, if there was any


# ---------------------------------------------------------------------------------------------- small helpers


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


class _Bytes:
    """A backup's or a restore's progress in bytes over all its phases (one ``total``), and its cancel check."""

    def __init__(self, total: int, progress: Progress | None, cancelled: CancelCheck | None) -> None:
        self.total = max(total, 0)
        self.done = 0
        self._progress = progress
        self._cancelled = cancelled

    def check(self) -> None:
        check(self._cancelled)

    def advance(self, n: int) -> None:
        self.done += n
        if self._progress is not None:
            self._progress(min(self.done, self.total), self.total)


def _new_digest(key: FolderKey | None) -> Any:
    """The manifest's digest: SHA-256, or for an encrypted backup HMAC-SHA-256 under the data key's backup key."""
    if key is None:
        return hashlib.sha256()
    import hmac

    return hmac.new(key.subkey("backup-manifest"), digestmod=hashlib.sha256)


def _copy_stream(src: IO[bytes], dst: IO[bytes], steps: _Bytes, key: FolderKey | None = None) -> tuple[int, str]:
    digest = _new_digest(key)
    size = 0
    while True:
        steps.check()
        chunk = src.read(CHUNK_SIZE)
        if not chunk:
            break
        digest.update(chunk)
        dst.write(chunk)
        size += len(chunk)
        steps.advance(len(chunk))
    return size, digest.hexdigest()


def _zip_info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"{ROOT}/{name}", date_time=dt.datetime.now().timetuple()[:6])
    info.compress_type = compress_type
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    return info


def _snapshot_database(db_path: Path, target: Path, key: FolderKey | None = None) -> str:
    """Copy ``db_path`` with SQLite's online backup API into ``target`` (encrypted under the same database key
    in an encrypted folder); returns the schema revision."""
    from secondopinion_desktop.core.db import database_errors

    errors: tuple[type[Exception], ...] = database_errors()
    try:
        src = connect_read_only(db_path, key.database if key else None)  # creates nothing beside it
        errors = database_errors()
        try:
            if key is None:
                dst = sqlite3.connect(target)
            else:
                from secondopinion_desktop.core.crypto.database import connect as cipher_connect

                dst = cipher_connect(target, key.database)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # the snapshot is one self-contained file
                row = dst.execute("SELECT version_num FROM alembic_version").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except errors as exc:
        if getattr(exc, "sqlite_errorcode", None) == getattr(sqlite3, "SQLITE_FULL", 13) or "disk is full" in str(exc):
            # the snapshot is written beside the backup: it is that disk that is full, not the data folder's
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target)) from exc
        raise BackupError(f"The database {db_path} could not be copied for the backup ({exc}).") from exc
    if not row or not row[0]:
        raise BackupError(f"The database {db_path} has no schema revision; it cannot be backed up.")
    return str(row[0])


def _vault_files(vault: Vault) -> list[tuple[str, Path, int]]:
    """(name in the archive, path, size) of every stored file: regular files only, links are never followed."""
    files = []
    for name in vault.stored():
        path = vault.path_of_name(name)
        try:
            size = path.lstat().st_size
        except FileNotFoundError:
            continue  # removed since it was listed
        files.append((f"{VAULT_NAME}/{name[:2]}/{name}", path, size))
    return files


def _snapshot_references(snapshot: Path, key: FolderKey | None = None) -> dict[str, list[str]]:
    """Which rows of the snapshot refer to each stored file (to name a damaged file by its record)."""
    from secondopinion_desktop.core.check import _references
    from secondopinion_desktop.core.db import database_errors

    opening: tuple[type[Exception], ...] = (*database_errors(), DataFolderError)
    try:
        conn = connect_read_only(snapshot, key.database if key else None)
    except opening:
        return {}
    try:
        return _references(conn)
    except database_errors():
        return {}
    finally:
        conn.close()


def _damaged_refusal(sha: str, users: list[str], why: str) -> BackupError:
    who = users[0] + (f" (and {plural(len(users) - 1, 'other use')})" if len(users) > 1 else "")
    return BackupError(f"The backup was not made: the stored file of {who} {why}; attach the original again or "
                       f"restore an earlier backup, then back up again (sha256 {sha}).")


def _unreferenced_is_sound(path: Path, sha: str, key: FolderKey | None = None) -> bool:
    """A stored file nothing refers to is checked before it is copied; a damaged one is left out of the backup.
    (A sealed one, whose plain digest is not known, must decrypt whole: every chunk authenticated.)"""
    try:
        if key is None:
            with open(open_regular_nofollow(path), "rb") as fh:
                return sha256_of_fd(fh) == sha
        from secondopinion_desktop.core.crypto.seal import open_sealed

        with open_sealed(open_regular_nofollow(path), key.content) as fh:
            while fh.read(CHUNK_SIZE):
                pass
        return True
    except (OSError, SecondOpinionError):
        return False


def _sealed_is_sound(vault: Vault, sha: str) -> bool:
    """A sealed stored file a row refers to decrypts whole to content of that plain SHA-256."""
    return vault.verify(sha)


# ------------------------------------------------------------------------------------------------------ backup


def sweep_dead_backups(where: Path) -> int:
    """Remove what a killed backup left in ``where`` (its database snapshot and partial archive, under a hidden
    name carrying its process id) once that process is gone; a running backup's folder is left alone. Returns
    how many such folders went."""
    prefix = owned_temp_prefix("backup").rsplit("-", 2)[0] + "-"  # ".tmp-backup-"
    ours = re.compile(re.escape(prefix) + r"\d+-")  # carries a process id: never another program's folder
    try:
        entries = [p for p in Path(where).iterdir() if ours.match(p.name)]
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        if temp_in_use(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += not entry.exists()
    return removed


def _write_backup(
    db_path: Path, vault: Vault, out: Path, *, steps: _Bytes | None = None,
    progress: Progress | None = None, cancelled: CancelCheck | None = None, leave_out: frozenset[str] = frozenset(),
) -> Manifest:
    out = Path(out).absolute()
    key = vault.key  # an encrypted folder's: the backup is encrypted too
    if not out.parent.is_dir():
        raise BackupError(f"Cannot write the backup: the folder {out.parent} does not exist.")
    if out.is_dir():
        raise BackupError(f"Cannot write the backup: {out} is a folder.")
    if not db_path.is_file():
        raise BackupError(f"There is no database in {db_path.parent} to back up.")
    keyring = b""
    if key is not None:
        from secondopinion_desktop.core.crypto.keys import keyring_path

        try:
            keyring = keyring_path(db_path.parent).read_bytes()
        except OSError as exc:
            raise BackupError(f"Cannot back up {db_path.parent}: its key file cannot be read ({_why(exc)}).") from exc
    sweep_dead_backups(out.parent)
    # noted in the data folder while it is written, so a killed backup's staging is found wherever it is
    note = note_place(db_path.parent, out.parent, BACKUP)
    try:
        work = Path(tempfile.mkdtemp(prefix=owned_temp_prefix("backup"), dir=out.parent))
    except OSError as exc:
        forget_place(note)
        raise BackupError(f"Cannot write the backup into {out.parent}: {_why(exc)}.") from exc
    try:
        os.chmod(work, 0o700)
        snapshot = work / DB_NAME
        schema = _snapshot_database(db_path, snapshot, key)
        vault_files = _vault_files(vault)
        if steps is None:
            total = snapshot.stat().st_size + sum(size for _, _, size in vault_files)
            steps = _Bytes(total, progress, cancelled)
        steps.check()
        refs = _snapshot_references(snapshot, key)
        by_name = {vault.name_of(sha): sha for sha in refs} if key is not None else {sha: sha for sha in refs}
        left_out = {vault.name_of(sha) for sha in leave_out}
        entries: list[ManifestEntry] = []
        tmp_zip = work / "backup.zip"
        fd = os.open(tmp_zip, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
                db_size = snapshot.stat().st_size
                # an encrypted snapshot does not compress: stored as it is
                kind = zipfile.ZIP_DEFLATED if key is None else zipfile.ZIP_STORED
                with open(snapshot, "rb") as src, zf.open(
                    _zip_info(DB_NAME, kind), "w", force_zip64=db_size >= _ZIP64_LIMIT
                ) as dst:
                    written, sha = _copy_stream(src, dst, steps, key)
                entries.append(ManifestEntry(name=DB_NAME, size=written, sha256=sha))
                if key is not None:
                    from secondopinion_desktop.core.crypto.keys import KEYRING_NAME

                    zf.writestr(_zip_info(KEYRING_NAME, zipfile.ZIP_STORED), keyring)
                    mac = _new_digest(key)
                    mac.update(keyring)
                    entries.append(ManifestEntry(name=KEYRING_NAME, size=len(keyring), sha256=mac.hexdigest()))
                for name, path, size in vault_files:
                    expected = path.name
                    plain_sha = by_name.get(expected)
                    if expected in left_out:
                        steps.advance(size)
                        continue
                    users = refs.get(plain_sha) if plain_sha is not None else None
                    if not users and not _unreferenced_is_sound(path, expected, key):
                        steps.advance(size)
                        continue  # nothing refers to it and it is damaged (or gone): nothing worth keeping
                    if users and key is not None and plain_sha is not None and not _sealed_is_sound(vault, plain_sha):
                        raise _damaged_refusal(plain_sha, users, "is damaged (it no longer decrypts to what was "
                                                                 "stored)")
                    try:
                        src_fd = open_regular_nofollow(path)
                    except NotARegularFile as exc:
                        if not users:
                            continue
                        raise _damaged_refusal(plain_sha or expected, users, "has been replaced by a link") from exc
                    except FileNotFoundError:
                        if not users:
                            continue  # removed since it was listed
                        raise
                    with open(src_fd, "rb") as src, zf.open(
                        _zip_info(name, zipfile.ZIP_STORED), "w", force_zip64=size >= _ZIP64_LIMIT
                    ) as dst:
                        written, sha = _copy_stream(src, dst, steps, key)  # hashed while copying: one read
                    if key is None and sha != expected:
                        raise _damaged_refusal(expected, users or ["a file nothing refers to"],
                                               "is damaged (its content no longer matches its SHA-256)")
                    entries.append(ManifestEntry(name=name, size=written, sha256=sha))
                manifest = Manifest(
                    format=FORMAT if key is None else ENCRYPTED_FORMAT, schema=schema,
                    created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    files=tuple(entries), key_id=key.key_id if key is not None else "",
                )
                payload = json.dumps(manifest.to_json(), indent=1).encode()
                zf.writestr(_zip_info(MANIFEST_NAME, zipfile.ZIP_DEFLATED), payload)
            raw.flush()
            os.fsync(raw.fileno())
        steps.check()
        os.replace(tmp_zip, out)
        fsync_folder(out.parent)
        return manifest
    except OSError as exc:
        raise BackupError(f"Cannot write the backup {out.name}: {_why(exc)}.") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
        forget_place(note)


def create_backup(
    folder: DataFolder, out: Path, *, progress: Progress | None = None, cancelled: CancelCheck | None = None,
    leave_out: frozenset[str] = frozenset(),
) -> Path:
    """Write one backup archive of ``folder`` to ``out`` (mode 0600); returns ``out``.

    ``progress(done, total)`` reports bytes; when ``cancelled()`` turns True, Cancelled is raised and no
    file is left behind. Every stored file is hashed while it is copied (one read) and compared with the SHA-256
    it is stored under: a damaged file a record refers to refuses the backup with one sentence naming the record
    (a backup that says "checked" must not carry damaged bytes); a damaged file nothing refers to is left out.
    Links in the vault are never followed. ``leave_out`` names digests known to be damaged that are left out
    instead (the backup ``check --repair`` makes first, which must not be blocked by the damage it reports).
    """
    out = Path(out).absolute()
    _write_backup(folder.db_path, folder.vault, out, progress=progress, cancelled=cancelled, leave_out=leave_out)
    return out


def list_backups(folder_or_path: DataFolder | Path | str) -> list[Path]:
    """The backups in a data folder's ``backups/`` (or in the given backups folder), newest first."""
    if isinstance(folder_or_path, DataFolder):
        where = folder_or_path.path / BACKUPS_DIR
    else:
        where = Path(folder_or_path)
        if where.name != BACKUPS_DIR and (where / BACKUPS_DIR).is_dir():
            where = where / BACKUPS_DIR
    if not where.is_dir():
        return []
    found = [p for p in where.iterdir() if p.is_file() and _ANY_BACKUP_NAME.match(p.name)]
    return sorted(found, key=lambda p: (p.name[len(BACKUP_PREFIX):len(BACKUP_PREFIX) + 15], p.name), reverse=True)


def _stamp(now: dt.datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S")


def _unique(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _person_part(folder: DataFolder) -> str:
    """"-of-alex-sample" for Alex Sample's records ("" before a name is entered): whose backup it is."""
    from secondopinion_desktop.core.people import file_name_part
    from secondopinion_desktop.core.profile import get_profile

    if folder.encrypted:
        return ""  # a file name is visible to anyone: an encrypted folder's backups never name the patient
    with folder.session() as session:
        part = file_name_part(get_profile(session).name)
    return f"{PERSON_MARK}{part}" if part else ""


def summarize_backup(archive: Path | str, key: FolderKey | None = None) -> FolderSummary | None:
    """Whose records a backup holds (name, records, last change), read from a private temporary copy of its
    database; None when the archive holds no readable database. Check the archive with verify_backup first."""
    from secondopinion_desktop.core.people import summarize_database

    archive = Path(archive)
    try:
        ring = backup_keyring(archive)
    except BackupError:
        return None
    if ring is not None and (key is None or key.key_id != ring.key_id):
        return None  # an encrypted backup says whose it is only opened with its keys
    with tempfile.TemporaryDirectory(prefix="secondopinion-peek-") as work:
        os.chmod(work, 0o700)
        copy = Path(work) / DB_NAME
        try:
            with _open_archive(archive) as zf, zf.open(f"{ROOT}/{DB_NAME}") as src:
                fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        except (KeyError, OSError, zipfile.BadZipFile, zlib.error, BackupError):
            return None
        return summarize_database(copy, key if ring is not None else None)


def automatic_backup_due(folder: DataFolder, *, now: dt.datetime | None = None) -> bool:
    """True when ``backups/`` holds no automatic backup from today yet."""
    where = folder.path / BACKUPS_DIR
    today = (now or dt.datetime.now()).strftime("%Y%m%d")
    try:
        names = [p.name for p in where.iterdir() if _is_automatic(p.name)]
    except OSError:
        return True
    return not any(_AUTOMATIC_NAME.match(name).group(1) == today for name in names)  # type: ignore[union-attr]


def automatic_backup(folder: DataFolder, *, keep: int = 7, now: dt.datetime | None = None,
                     progress: Progress | None = None, cancelled: CancelCheck | None = None) -> Path | None:
    """Back up into ``backups/`` at most once per calendar day; keep the newest ``keep`` automatic backups.

    Returns the new archive, or None when there already is one from today. ``progress`` and ``cancelled`` as
    for ``create_backup`` (a cancel leaves nothing and raises Cancelled).
    """
    now = now or dt.datetime.now()
    if not automatic_backup_due(folder, now=now):
        return None
    where = _private_dir(folder.path / BACKUPS_DIR)
    out = where / f"{BACKUP_PREFIX}{_stamp(now)}{_person_part(folder)}.zip"
    create_backup(folder, out, progress=progress, cancelled=cancelled)
    automatic = sorted((p for p in where.iterdir() if _is_automatic(p.name)), key=lambda p: p.name)
    for old in automatic[: max(len(automatic) - max(keep, 1), 0)]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
    return out


# ------------------------------------------------------------------------------------------------------ verify


def _refuse(archive: Path, why: str) -> BackupError:
    return BackupError(f"The backup {archive.name} was refused: {why}; nothing was changed.")


def _check_entry_name(archive: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    shown = repr(name)
    if "\\" in name:
        raise _refuse(archive, f"the entry {shown} contains a backslash")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise _refuse(archive, f"the entry {shown} has an absolute path")
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        raise _refuse(archive, f"the entry {shown} contains '..' (it points outside the archive)")
    if any(p in ("", ".") for p in parts) or "\x00" in name:
        raise _refuse(archive, f"the entry {shown} has a malformed path")
    if parts[0] != ROOT:
        raise _refuse(archive, f"the entry {shown} is outside the archive's {ROOT}/ folder")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise _refuse(archive, f"the entry {shown} is a symbolic link")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _refuse(archive, f"the entry {shown} is not a regular file")


def _parse_manifest(archive: Path, raw: bytes) -> Manifest:
    from secondopinion_desktop.core.crypto.keys import KEYRING_NAME

    try:
        data = json.loads(raw.decode("utf-8"))
        fmt = data["format"]
        schema = data["schema"]
        created_at = data.get("created_at", "")
        files = data["files"]
        key_id = data.get("key_id", "") if fmt == ENCRYPTED_FORMAT else ""
        digest = "hmac_sha256" if fmt == ENCRYPTED_FORMAT else "sha256"
        if not isinstance(fmt, int) or not isinstance(schema, str) or not isinstance(files, list):
            raise TypeError
        if not isinstance(created_at, str) or not isinstance(key_id, str):
            raise TypeError
        entries = []
        for item in files:
            name, size, sha = item["name"], item["size"], item[digest]
            if not isinstance(name, str) or not isinstance(size, int) or not isinstance(sha, str) or size < 0:
                raise TypeError
            entries.append(ManifestEntry(name=name, size=size, sha256=sha.lower()))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _refuse(archive, f"its {MANIFEST_NAME} is not a valid Second Opinion manifest") from exc
    if fmt > ENCRYPTED_FORMAT:
        raise _refuse(archive, f"it was made by a newer version of Second Opinion (backup format {fmt}); "
                               "please update the app")
    if fmt < 1:
        raise _refuse(archive, f"its {MANIFEST_NAME} has an unknown backup format {fmt}")
    if schema not in SCHEMA_REVISIONS:
        raise _refuse(archive, f"it was made by a newer version of Second Opinion (database schema {schema}); "
                               "please update the app")
    encrypted = fmt == ENCRYPTED_FORMAT
    if encrypted and not re.fullmatch(r"[0-9a-f]{16}", key_id):
        raise _refuse(archive, f"its {MANIFEST_NAME} does not say which keys it opens with")
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise _refuse(archive, f"the manifest lists {entry.name!r} twice")
        seen.add(entry.name)
        match = _VAULT_NAME_RE.match(entry.name)
        known = entry.name == DB_NAME or (encrypted and entry.name == KEYRING_NAME)
        if not known and not (match and match.group(1) == match.group(2)[:2]):
            raise _refuse(archive, f"the manifest lists an unexpected file {entry.name!r}")
        if not re.fullmatch(r"[0-9a-f]{64}", entry.sha256):
            raise _refuse(archive, f"the manifest gives no valid SHA-256 for {entry.name!r}")
        # (a sealed file's name is a keyed digest of its plain content: checked when it is restored)
        if match and not encrypted and match.group(2) != entry.sha256:
            # A stored file is named by its content: the content (checked against the manifest's SHA-256 later)
            # must be what its name says, or a damaged file would be restored as if it were sound.
            raise _refuse(archive, f"the stored file {entry.name!r} does not hold the content its name says (it "
                                   "was damaged before the backup was made)")
    if DB_NAME not in seen:
        raise _refuse(archive, f"it holds no database ({ROOT}/{DB_NAME})")
    if encrypted and KEYRING_NAME not in seen:
        raise _refuse(archive, f"it is encrypted but holds no key file ({ROOT}/{KEYRING_NAME})")
    return Manifest(format=fmt, schema=schema, created_at=created_at, files=tuple(entries), key_id=key_id)


def _read_limited(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError("too large")
    return data


def _check_content(
    archive: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry: ManifestEntry, steps: _Bytes,
    sink: IO[bytes] | None = None, key: FolderKey | None = None,
) -> None:
    """Stream one entry, checking its size and SHA-256 (an encrypted backup's keyed digest, with ``key``)
    against the manifest (and copying it into ``sink``)."""
    full = f"{ROOT}/{entry.name}"
    if info.file_size != entry.size:
        raise _refuse(archive, f"the entry {full!r} has size {info.file_size} but the manifest says {entry.size}")
    digest = _new_digest(key)
    size = 0
    try:
        with zf.open(info) as fh:
            while True:
                steps.check()
                chunk = fh.read(CHUNK_SIZE)
                if not chunk:
                    break
                size += len(chunk)
                if size > entry.size:
                    break
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
                steps.advance(len(chunk))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _refuse(archive, f"the entry {full!r} cannot be read ({exc})") from exc
    if size != entry.size:
        raise _refuse(archive, f"the entry {full!r} has {size} bytes but the manifest says {entry.size}")
    if digest.hexdigest() != entry.sha256:
        raise _refuse(archive, f"the entry {full!r} does not match its SHA-256 in the manifest (it was changed "
                               "or damaged)")


def _open_archive(archive: Path) -> zipfile.ZipFile:
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"The backup {archive} does not exist or is not a file.")
    try:
        return zipfile.ZipFile(archive, "r")
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise _refuse(archive, "it is not a Second Opinion backup (not a zip archive, or truncated)") from exc
    except OSError as exc:
        raise BackupError(f"Cannot read the backup {archive}: {_why(exc)}.") from exc


def _verify_open(
    archive: Path, zf: zipfile.ZipFile, steps: _Bytes | None = None, key: FolderKey | None = None,
) -> tuple[Manifest, dict[str, zipfile.ZipInfo]]:
    infos = zf.infolist()
    for info in infos:
        _check_entry_name(archive, info)
    counts = Counter(info.filename for info in infos)
    for name, count in counts.items():
        if count > 1:
            raise _refuse(archive, f"the entry {name!r} appears {count} times")
    manifest_name = f"{ROOT}/{MANIFEST_NAME}"
    by_name = {info.filename: info for info in infos if not info.is_dir()}
    if manifest_name not in by_name:
        raise _refuse(archive, f"it has no {manifest_name} (it is not a Second Opinion backup)")
    try:
        raw = _read_limited(zf, by_name[manifest_name], MAX_MANIFEST_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise _refuse(archive, f"the entry {manifest_name!r} cannot be read ({exc})") from exc
    manifest = _parse_manifest(archive, raw)
    if manifest.encrypted:
        if key is None:
            raise BackupLocked(f"The backup {archive.name} is encrypted: it opens only with the passphrase or the "
                               "recovery key of the folder it was made from.")
        if key.key_id != manifest.key_id:
            raise _refuse(archive, "it was made under other keys than the ones given")
    listed = {f"{ROOT}/{e.name}": e for e in manifest.files}
    for name in by_name:
        if name != manifest_name and name not in listed:
            raise _refuse(archive, f"the entry {name!r} is not listed in its manifest")
    for name in listed:
        if name not in by_name:
            raise _refuse(archive, f"the entry {name!r} listed in its manifest is missing")
    if steps is None:
        steps = _Bytes(manifest.total_size, None, None)
    for name, entry in listed.items():
        _check_content(archive, zf, by_name[name], entry, steps, key=key if manifest.encrypted else None)
    return manifest, by_name


def backup_keyring(archive: Path | str) -> Keyring | None:
    """The key file an encrypted backup carries (None for a plain backup), to unlock it with
    ``crypto.keys.unlock``; raises BackupError when the archive cannot be read."""
    from secondopinion_desktop.core.crypto.keys import KEYRING_NAME, Keyring, KeyringError

    archive = Path(archive)
    with _open_archive(archive) as zf:
        try:
            info = zf.getinfo(f"{ROOT}/{KEYRING_NAME}")
        except KeyError:
            return None
        try:
            raw = _read_limited(zf, info, _MAX_KEYRING_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
                OSError) as exc:
            raise _refuse(archive, f"its key file cannot be read ({exc})") from exc
    try:
        return Keyring.from_bytes(raw)
    except KeyringError as exc:
        raise _refuse(archive, f"its key file is damaged ({exc})") from exc


def unlock_backup(archive: Path | str, *, passphrase: str | None = None, recovery_key: str | None = None
                  ) -> FolderKey | None:
    """The keys of an encrypted backup from its passphrase or recovery key (WrongSecret when it does not
    open); None for a plain backup."""
    from secondopinion_desktop.core.crypto.keys import unlock
    from secondopinion_desktop.core.crypto.seal import FolderKey

    ring = backup_keyring(archive)
    if ring is None:
        return None
    return FolderKey.from_data_key(unlock(ring, passphrase=passphrase, recovery_key=recovery_key))


def verify_backup(archive: Path, key: FolderKey | None = None) -> Manifest:
    """Check the whole archive against its manifest; return the manifest or raise BackupError naming the problem.
    An encrypted backup needs its ``key`` (``unlock_backup``); without it BackupLocked is raised."""
    archive = Path(archive)
    with _open_archive(archive) as zf:
        try:
            manifest, _ = _verify_open(archive, zf, key=key)
        except OSError as exc:
            raise BackupError(f"Cannot read the backup {archive}: {_why(exc)}.") from exc
    return manifest


# ----------------------------------------------------------------------------------------------------- restore


def _holds_data(data_dir: Path) -> bool:
    """True when ``data_dir`` holds a database or vault files; refuses a folder holding something else."""
    if not data_dir.exists():
        return False
    if not data_dir.is_dir():
        raise BackupError(f"Cannot restore into {data_dir}: it is a file, not a folder.")
    db = data_dir / DB_NAME
    if db.is_file() and db.stat().st_size > 0:
        return True
    if any(Vault(data_dir / VAULT_NAME).stored()):
        raise BackupError(
            f"Cannot restore into {data_dir}: it holds stored files but no database; move them away first."
        )
    from secondopinion_desktop.core.crypto.keys import KEYRING_NAME

    known = (VAULT_NAME, BACKUPS_DIR, DB_NAME, PLACES_DIR, KEYRING_NAME, *LOCK_FILES)
    others = [p.name for p in data_dir.iterdir() if p.name not in known]
    if others:
        raise BackupError(
            f"Cannot restore into {data_dir}: it is not empty and is not a Second Opinion data folder."
        )
    return False


def _extract(archive: Path, zf: zipfile.ZipFile, manifest: Manifest, by_name: dict[str, zipfile.ZipInfo], staging: Path,
             steps: _Bytes, key: FolderKey | None = None) -> None:
    dirs = {staging}
    for entry in manifest.files:
        target = staging.joinpath(*PurePosixPath(entry.name).parts)
        if target.parent != staging:
            _private_dir(target.parent)
            dirs.update({target.parent, target.parent.parent})
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as sink:
            _check_content(archive, zf, by_name[f"{ROOT}/{entry.name}"], entry, steps, sink=sink,
                           key=key if manifest.encrypted else None)
            sink.flush()
            os.fsync(sink.fileno())
    _private_dir(staging / VAULT_NAME)
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        fsync_folder(d)


def _current_total(data_dir: Path) -> int:
    total = (data_dir / DB_NAME).stat().st_size
    return total + sum(size for _, _, size in _vault_files(Vault(data_dir / VAULT_NAME)))


def refuse_mount_point(data_dir: Path) -> None:
    """A restore swaps the whole folder by renames, which the top of a disk (a mount point) cannot take."""
    if data_dir.is_dir() and os.path.ismount(data_dir):
        raise BackupError(
            f"Cannot restore into {data_dir}: it is the top of a disk (a mount point), which cannot be replaced "
            f"as a whole. Restore into a folder inside it instead (for example {data_dir / 'secondopinion'}) and "
            "open that folder; nothing was changed."
        )


def restore_backup_with_details(
    archive: Path, data_dir: Path, *, progress: Progress | None = None, cancelled: CancelCheck | None = None,
    lock: FolderLock | None = None, key: FolderKey | None = None, current_key: FolderKey | None = None,
) -> RestoreResult:
    """``restore_backup``, also telling which manifest was restored and where the previous data was kept.

    ``lock``: the caller's held lock of ``data_dir``; it moves into the restored folder with the swap, so the
    folder is never unlocked in between. ``key``: an encrypted backup's keys (``unlock_backup``): the restored
    folder is encrypted under them. ``current_key``: the keys of an encrypted folder at ``data_dir``, so its data
    can be kept as a (likewise encrypted) backup first.
    """
    archive = Path(archive)
    data_dir = Path(data_dir).absolute()
    refuse_mount_point(data_dir)
    with lock.busy() if lock is not None else contextlib.nullcontext():  # never let go of mid-restore
        return _restore(archive, data_dir, progress, cancelled, lock, key, current_key)


def _current_vault(data_dir: Path, current_key: FolderKey | None) -> Vault:
    """The vault of the folder being replaced, opened with its keys when it is encrypted."""
    from secondopinion_desktop.core.crypto.keys import read_keyring

    ring = read_keyring(data_dir)
    if ring is None:
        return Vault(data_dir / VAULT_NAME)
    if current_key is None:
        raise BackupLocked(f"The data folder {data_dir} is protected with a passphrase: unlock it first, so that its "
                           "data can be kept as a backup before the restore; nothing was changed.")
    if current_key.key_id != ring.key_id:
        raise BackupError(f"The keys given are not those of the data folder {data_dir}; nothing was changed.")
    return Vault(data_dir / VAULT_NAME, current_key)


def _restore(archive: Path, data_dir: Path, progress: Progress | None, cancelled: CancelCheck | None,
             lock: FolderLock | None, key: FolderKey | None = None,
             current_key: FolderKey | None = None) -> RestoreResult:
    with _open_archive(archive) as zf:
        try:
            manifest, by_name = _verify_open(archive, zf, _Bytes(0, None, cancelled), key)
            holds_data = _holds_data(data_dir)
            current_vault = _current_vault(data_dir, current_key) if holds_data else None
            total = 2 * manifest.total_size + (_current_total(data_dir) if holds_data else 0)
            steps = _Bytes(total, progress, cancelled)
            steps.advance(manifest.total_size)  # the verification above
            parent = data_dir.parent
            parent.mkdir(parents=True, exist_ok=True)
            sweep_dead_restores(data_dir)  # what killed restores left beside it
            sweep_old_folders(data_dir)
            staging = Path(tempfile.mkdtemp(prefix=restoring_prefix(data_dir), dir=parent))
        except OSError as exc:
            raise BackupError(f"Cannot restore into {data_dir}: {_why(exc)}; nothing was changed.") from exc
        try:
            os.chmod(staging, 0o700)
            _extract(archive, zf, manifest, by_name, staging, steps, key)
            restored_key = key if manifest.encrypted else None
            if restored_key is not None:
                _check_sealed_names(archive, staging, restored_key, cancelled)
            _check_restored_database(archive, staging, manifest, restored_key)
            if restored_key is not None and current_vault is not None and current_key is not None \
                    and current_key.key_id == restored_key.key_id:
                _keep_current_keyring(data_dir, staging)
            steps.check()
            kept = None
            if current_vault is not None:
                kept_dir = _private_dir(staging / BACKUPS_DIR)
                kept = kept_dir / f"{BACKUP_PREFIX}{_stamp(dt.datetime.now())}{KEPT_SUFFIX}.zip"
                _write_backup(data_dir / DB_NAME, current_vault, kept, steps=steps)
            steps.check()
            _swap(staging, data_dir, lock)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError):
                raise BackupError(f"Cannot restore into {data_dir}: {_why(exc)}; nothing was changed.") from exc
            raise
    if kept is not None:
        kept = data_dir / BACKUPS_DIR / kept.name
    return RestoreResult(data_dir=data_dir, manifest=manifest, kept=kept)


def _keep_current_keyring(data_dir: Path, staging: Path) -> None:
    """A backup of this folder made before its passphrase (or recovery key) was changed holds the same data key
    wrapped the old way: the restored folder keeps today's key file, so that the passphrase it opens with now still
    opens it and a passphrase given up is not brought back."""
    from secondopinion_desktop.core.crypto.keys import read_keyring, write_keyring

    ring = read_keyring(data_dir)
    if ring is not None:
        write_keyring(staging, ring)


def _check_sealed_names(archive: Path, staging: Path, key: FolderKey, cancelled: CancelCheck | None) -> None:
    """Every restored sealed file decrypts whole, to content whose keyed name is the one it is stored under."""
    from secondopinion_desktop.core.crypto.seal import open_sealed

    vault = Vault(staging / VAULT_NAME, key)
    for name in vault.stored():
        check(cancelled)
        try:
            with open_sealed(open_regular_nofollow(vault.path_of_name(name)), key.content) as fh:
                sha = sha256_of_fd(fh)
        except (OSError, SecondOpinionError) as exc:
            raise _refuse(archive, f"the stored file {name[:12]}… in it is damaged ({exc})") from exc
        if key.name_of(sha) != name:
            raise _refuse(archive, f"the stored file {name[:12]}… does not hold the content its name says")


def _check_restored_database(archive: Path, staging: Path, manifest: Manifest, key: FolderKey | None = None) -> None:
    """The extracted database must be ours, of the schema the manifest says; migrate it to this version."""
    try:
        revision = read_schema_revision(staging / DB_NAME, key.database if key is not None else None)
    except DataFolderError as exc:
        raise _refuse(archive, "its database is not a Second Opinion database") from exc
    if revision != manifest.schema:
        raise _refuse(archive, f"its database has schema {revision}, not {manifest.schema} as its manifest says")
    try:
        opened = open_data_folder(staging, key=key)  # migrates an older schema, in the new folder only
    except DataFolderError as exc:
        raise _refuse(archive, f"its database cannot be opened ({exc})") from exc
    opened.close()
    for suffix in ("-wal", "-shm"):  # a clean close leaves none; never remove a -wal that still holds data
        side = staging / (DB_NAME + suffix)
        if suffix == "-shm" and side.exists() and not (staging / (DB_NAME + "-wal")).exists():
            side.unlink()


def _swap(staging: Path, data_dir: Path, lock: FolderLock | None = None) -> None:
    """Put ``staging`` in place of ``data_dir`` by renames; keep the old folder's backups; remove the old folder.

    With ``lock`` (the held lock of ``data_dir``), the lock file inside ``staging`` is locked before the swap and
    the old one let go after it, so no other writer can take the folder at any moment of the swap. (On Windows a
    folder holding an open file cannot be renamed: there the lock is let go of just before the renames and taken
    again in the restored folder right after.)

    Once the second rename is done the restore has happened: what follows (flushing, moving the old folder's
    backups over, removing it) is tidying up that never turns the restore into a failure.
    """
    parent = data_dir.parent
    old = None
    if lock is not None:
        lock.prepare_move(staging)
    try:
        if data_dir.exists():
            old = parent / f".{data_dir.name}.old-{secrets.token_hex(4)}"
            os.rename(data_dir, old)
        try:
            os.rename(staging, data_dir)
        except BaseException:
            if old is not None:
                os.rename(old, data_dir)
            raise
    except BaseException:
        if lock is not None:
            lock.abort_move()
        raise
    if lock is not None:
        lock.complete_move()
    with contextlib.suppress(OSError):
        fsync_folder(parent)
    if old is not None:
        finish_old_folder(old, data_dir)


def finish_old_folder(old: Path, data_dir: Path) -> bool:
    """After a swap: move the backups kept in the previous folder ``old`` into ``data_dir``'s, then remove
    ``old`` (a plain copy of the previous records). Returns True when it is gone; on any trouble it stays,
    complete, for the next sweep."""
    old_backups = old / BACKUPS_DIR
    keep_old = False
    try:
        if old_backups.is_dir():
            new_backups = _private_dir(data_dir / BACKUPS_DIR)
            for item in old_backups.iterdir():
                target = new_backups / item.name
                try:
                    if target.exists():
                        target = _unique(target)
                    os.rename(item, target)
                except OSError:
                    keep_old = True
            fsync_folder(new_backups)
    except OSError:
        keep_old = True
    if keep_old:
        return False
    shutil.rmtree(old, ignore_errors=True)
    return not old.exists()


def sweep_old_folders(data_dir: Path | str) -> int:
    """Finish what restores left beside ``data_dir`` (its hidden ``.NAME.old-*`` previous folders) once the data
    folder is back in place and no running restore holds them; returns how many went."""
    import glob

    from secondopinion_desktop.core.lock import is_locked

    data_dir = Path(data_dir)
    if not (data_dir / DB_NAME).is_file():
        return 0  # the folder itself is missing: opening it puts the previous one back instead
    removed = 0
    try:
        olds = list(data_dir.parent.glob(f".{glob.escape(data_dir.name)}.old-*"))
    except OSError:
        return 0
    for old in olds:
        if old.is_dir() and not old.is_symlink() and not is_locked(old):
            removed += finish_old_folder(old, data_dir)
    return removed


def restore_backup(
    archive: Path, data_dir: Path, *, progress: Progress | None = None, cancelled: CancelCheck | None = None,
    lock: FolderLock | None = None, key: FolderKey | None = None, current_key: FolderKey | None = None,
) -> Path:
    """Restore ``archive`` into ``data_dir`` after checking all of it; the data there before is kept as a backup.

    Any failure or a cancel leaves ``data_dir`` exactly as it was. Returns ``data_dir``.
    """
    return restore_backup_with_details(archive, data_dir, progress=progress, cancelled=cancelled,
                                       lock=lock, key=key, current_key=current_key).data_dir
