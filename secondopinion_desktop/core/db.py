"""Opening a data folder: the SQLite engine, schema migrations and the session factory.

SQLite runs with foreign keys on, WAL journaling and full sync. Python's sqlite3 module does not wrap DDL in
transactions by itself, so the engine turns off its implicit transaction handling and issues ``BEGIN`` itself
(the recipe from SQLAlchemy's SQLite documentation); this makes each migration one real transaction.

Commands that only read open the folder read-only (``open_data_folder(path, read_only=True)``): nothing is
created, made private, migrated or swept, and the database is read without making -wal/-shm files where SQLite
allows it (``read_only_uris``), so that reading works on a write-protected stick and on a full disk and leaves
the folder as it was. A full or read-only disk is said in one sentence (``explain_storage_error``), never as
SQLite's "disk I/O error".
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sqlite3
import struct
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from secondopinion_desktop.core.errors import (
    DataFolderError,
    DiskFullError,
    FolderLocked,
    NeedsUpgradeError,
    NotADatabaseError,
    ReadOnlyFolderError,
    SchemaTooNewError,
    SecondOpinionError,
)
from secondopinion_desktop.core.paths import (
    DB_NAME,
    VAULT_NAME,
    disk_full_error,
    ensure_data_dir,
    on_read_only_disk,
    read_only_folder_error,
    recover_interrupted_restore,
)
from secondopinion_desktop.core.vault import Vault

if TYPE_CHECKING:
    from secondopinion_desktop.core.crypto.seal import FolderKey

# Every migration revision this version knows, oldest first. The last one is the schema this code expects.
# A test checks this against the Alembic scripts, so that opening an up-to-date folder needs no Alembic import.
SCHEMA_REVISIONS: tuple[str, ...] = (
    "0001_initial", "0002_checklist_questions", "0003_appointments", "0004_imaging_files", "0005_folder_change",
    "0006_requests", "0007_portal", "0008_documents", "0009_health", "0010_opinion",
)
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass
class DataFolder:
    """An open data folder: ``secondopinion.db`` plus ``vault/``."""

    path: Path
    engine: Engine
    vault: Vault
    _sessions: sessionmaker[Session] = field(repr=False)
    read_only: bool = False  # opened for reading only: nothing in the folder is created or changed
    key: FolderKey | None = field(default=None, repr=False)  # an encrypted folder's keys, while it is unlocked

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as session:
            if not self.read_only:
                # BEGIN IMMEDIATE: this transaction may write, so it takes the write lock first (waiting up to the
                # busy timeout) instead of failing at once when another connection committed since it read
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session

    @contextlib.contextmanager
    def dry_run(self) -> Iterator[Session]:
        """A session whose changes are always rolled back: for checking input before doing it for real."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def close(self) -> None:
        self.vault.drop_plain_copies()  # an encrypted folder's plain copies go when it closes (or locks)
        self.engine.dispose()

    def __enter__(self) -> DataFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_schema_revision(db_path: Path, key: bytes | None = None) -> str | None:
    """The Alembic revision stamped in ``db_path`` without changing the file; None for a new database.

    Raises NotADatabaseError for a file that is not SQLite, or a SQLite file that Second Opinion did not make.
    ``key``: the database key of an encrypted folder (its file has no plain header to look at).
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    try:
        with open(db_path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DataFolderError(f"Cannot read the database {db_path}: {exc.strerror or exc}.") from exc
    if header != SQLITE_HEADER and key is None:
        raise NotADatabaseError(
            f"{db_path} is not a Second Opinion database (it is not a SQLite file); it was left untouched."
        )
    from secondopinion_desktop.core.crypto.keys import WrongSecret

    try:
        try:
            conn = connect_read_only(db_path, key)
        except WrongSecret as exc:
            raise NotADatabaseError(f"The encrypted database {db_path} does not open with this folder's key: it "
                                    "is damaged, or it is another folder's; it was left untouched.") from exc
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables:
                if tables:
                    raise NotADatabaseError(
                        f"{db_path} is a SQLite database made by another program; it was left untouched."
                    )
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except database_errors("DatabaseError") as exc:
        explained = explain_storage_error(exc, db_path.parent)
        if explained is not None:
            raise explained from exc
        if _code(exc) in _DISK_CODES:  # the disk or a lock, not the file: say so, never "not ours"
            raise DataFolderError(f"The database {db_path} cannot be read just now ({exc}); it was left "
                                  "untouched.") from exc
        raise NotADatabaseError(f"{db_path} cannot be read as a database ({exc}); it was left untouched.") from exc
    return row[0] if row else None


# SQLite's primary result codes this module tells apart (https://sqlite.org/rescode.html).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 7, 8, 10
SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PERM = 13, 14, 3
SQLITE_READONLY_DBMOVED = SQLITE_READONLY | (4 << 8)  # the file was renamed or deleted under an open connection
_DISK_CODES = frozenset({SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL,
                         SQLITE_CANTOPEN, SQLITE_PERM})


def _code(exc: BaseException | None) -> int | None:
    """The primary SQLite result code of a sqlite3 error, or None."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _sidecar(db_path: Path, suffix: str) -> Path:
    return db_path.with_name(db_path.name + suffix)


def _wal_has_data(db_path: Path) -> bool:
    """True when a write-ahead log beside ``db_path`` holds frames (committed changes not yet in the main file);
    an empty one, as an open that failed on a full disk leaves, holds nothing."""
    try:
        return _sidecar(db_path, "-wal").stat().st_size > 0
    except OSError:
        return False


def _main_file_is_whole(db_path: Path) -> bool:
    """True when the main database file holds every committed change: no write-ahead log with frames and no
    rollback journal beside it. It can then be read as immutable, which needs no -wal/-shm files at all."""
    return not _wal_has_data(db_path) and not _sidecar(db_path, "-journal").exists()


def read_only_uris(db_path: Path) -> list[str]:
    """The SQLite URIs to try, in order, to read ``db_path`` without changing anything beside it.

    SQLite's documented ways (https://sqlite.org/wal.html#readonly): when the main file holds everything,
    ``immutable=1`` reads it with no -wal/-shm (which a plain ``mode=ro`` connection to a WAL database creates
    and leaves behind, and which a full or read-only disk cannot hold). When the log holds committed changes
    they must be read through it: ``mode=ro`` shares the -shm of a running writer; where that -shm cannot be
    grown (a full disk) or written (a read-only disk), ``readonly_shm=1`` reads the log into private memory
    instead (SQLite 3.22 and later). A log with frames but no -shm on a read-only disk cannot be read at all.
    An immutable read takes no locks, so ``connect_read_only`` takes the one a reader would (``_ReadHold``)."""
    base = f"{db_path.absolute().as_uri()}?mode=ro"
    if _main_file_is_whole(db_path) and not _writer_present(db_path):
        return [f"{base}&immutable=1"]
    return [base, f"{base}&readonly_shm=1"]


def _writer_present(db_path: Path) -> bool:
    """True while a window or command holds the folder to change it: its log may grow and be folded into the
    main file at any moment, so reads then go through SQLite's own locking, never ``immutable=1``."""
    from secondopinion_desktop.core.lock import is_locked

    return is_locked(db_path.parent)


class _ReleasesHold:
    """Mixed into a DB-API connection class: ``close`` also releases the ``_ReadHold`` taken for it."""

    hold: _ReadHold | None = None

    def close(self) -> None:
        try:
            super().close()  # type: ignore[misc]
        finally:
            if self.hold is not None:
                self.hold.release()
                self.hold = None


class _HeldConnection(_ReleasesHold, sqlite3.Connection):
    """A sqlite3 connection that releases its ``_ReadHold`` when it is closed."""


def _held_class(key: bytes | None) -> type:
    """The connection class whose ``close`` releases its ``_ReadHold``: sqlite3's, or SQLCipher's."""
    if key is None:
        return _HeldConnection
    return _held_cipher_class()


@functools.cache
def _held_cipher_class() -> type:
    from secondopinion_desktop.core.crypto.database import _module

    class _HeldCipherConnection(_ReleasesHold, _module().Connection):  # type: ignore[misc]
        """A SQLCipher connection that releases its ``_ReadHold`` when it is closed."""

    return _HeldCipherConnection


def connect_read_only(db_path: Path, key: bytes | None = None, **kwargs: object) -> sqlite3.Connection:
    """A sqlite3 connection that can only read ``db_path`` and creates nothing beside it where that can be
    helped (see ``read_only_uris``); works on a full disk and on a read-only one. An immutable connection holds
    a shared lock on the file until it is closed (see ``_ReadHold``). Raises the last sqlite3 error.

    With ``key`` (an encrypted folder's database key) the connection is SQLCipher's, and a key that does not
    open the file raises ``DatabaseDoesNotOpen``."""
    db_path = Path(db_path)
    errors = database_errors("DatabaseError") if key is None else ()
    last: BaseException | None = None
    # first, so that a writer cannot fold its log in between the look and the read
    hold: _ReadHold | None = _ReadHold(db_path)
    for uri in read_only_uris(db_path):
        conn = None
        try:
            if key is None:
                conn = sqlite3.connect(uri, uri=True, factory=_HeldConnection, **kwargs)  # type: ignore[call-overload]
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the log now, not at use
            else:
                from secondopinion_desktop.core.crypto.database import DatabaseDoesNotOpen, connect

                try:
                    conn = connect(uri, key, uri=True, factory=_held_class(key), **kwargs)
                except DatabaseDoesNotOpen as exc:
                    last = exc
                    if _code(exc.__cause__) in (SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_FULL):
                        continue
                    break
        except UnicodeDecodeError:  # a damaged schema page: SQLite's message quotes its bytes, not text
            if conn is not None:
                conn.close()
            last = sqlite3.DatabaseError("database disk image is malformed")
            break
        except errors as exc:
            if conn is not None:
                conn.close()  # never keep a failed connection's files open (a mount could not be released)
            last = exc
            if _code(exc) not in (SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_FULL):
                break
            continue
        if "immutable=1" in uri:
            conn.hold, hold = hold, None
        if hold is not None:
            hold.release()
        return conn  # type: ignore[no-any-return]
    if hold is not None:
        hold.release()
    assert last is not None
    raise last


def database_errors(kind: str = "Error") -> tuple[type[Exception], ...]:
    """The DB-API error classes of this ``kind`` ("Error", "DatabaseError", "OperationalError"…) a folder can
    raise: sqlite3's, and SQLCipher's once an encrypted folder has loaded it."""
    import sys

    found: list[type[Exception]] = [getattr(sqlite3, kind)]
    cipher = sys.modules.get("sqlcipher3.dbapi2")
    if cipher is not None:
        found.append(getattr(cipher, kind))
    return tuple(found)


class _ReadHold:
    """A shared lock on the database file, held while an immutable read is open: the lock a SQLite reader
    holds, so that a writer closing the folder meanwhile leaves its log in place instead of folding it into the
    main file under the reader. An open-file-description lock (Linux), so that closing it never drops the locks
    SQLite itself holds on the same file in this process; where the system has none, nothing is held."""

    _SHARED_FIRST, _SHARED_SIZE = 0x40000000 + 2, 510  # SQLite's unix lock bytes (os_unix.c)

    def __init__(self, db_path: Path) -> None:
        self._fd: int | None = None
        try:
            import fcntl
        except ImportError:  # Windows: SQLite's own locking there is not POSIX's; nothing to mimic
            return
        setlk = getattr(fcntl, "F_OFD_SETLK", None)
        if setlk is None:
            return
        try:
            fd = os.open(db_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
        import time

        flock = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, self._SHARED_FIRST, self._SHARED_SIZE, 0)
        deadline = time.monotonic() + 5.0  # SQLite's busy timeout here
        while True:
            try:
                fcntl.fcntl(fd, setlk, flock)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES) and time.monotonic() < deadline:
                    time.sleep(0.02)  # a writer is folding its log into the main file right now
                    continue
                os.close(fd)  # no lock to be had (or none on this file system): read as SQLite would, unlocked
                return
            self._fd = fd
            return

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _make_engine(db_path: Path, key: bytes | None = None, *, read_only: bool = False) -> Engine:
    """The folder's engine: sqlite3, or SQLCipher with the database ``key`` (SQLAlchemy then wraps SQLCipher's
    errors as it wraps sqlite3's); ``read_only`` connections only read (``connect_read_only``)."""
    options: dict[str, object] = {}
    if key is not None:
        from secondopinion_desktop.core.crypto.database import _module, connect

        options["module"] = _module()
    if read_only:
        options["creator"] = lambda: connect_read_only(db_path, key, check_same_thread=False)
    elif key is not None:
        options["creator"] = lambda: connect(db_path, key, check_same_thread=False)
    else:
        options["connect_args"] = {"check_same_thread": False}
    engine = create_engine(f"sqlite+pysqlite:///{db_path}", **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see module docstring
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
                             else "BEGIN")

    return engine


def _backup_before_migration(db_path: Path, revision: str, key: bytes | None = None) -> Path:
    """Copy the database with SQLite's online backup API before a migration changes it (encrypted with the same
    key in an encrypted folder)."""
    target = db_path.with_name(f"{db_path.name}.schema-{revision}.bak")
    if key is not None:
        from secondopinion_desktop.core.crypto.database import connect

        src = connect(f"{db_path.absolute().as_uri()}?mode=ro", key, uri=True)
    else:
        src = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target) if key is None else connect(target, key)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except BaseException:
        target.unlink(missing_ok=True)  # a copy cut short (a full disk) is no backup: never leave half of one
        raise
    finally:
        src.close()
    target.chmod(0o600)
    return target


def _make_private(db_path: Path) -> None:
    """Make the database (creating it empty if needed) and its WAL files readable by the user only.

    This happens before the first connection because SQLite gives new -wal and -shm files the database's mode.
    """
    if not db_path.exists():
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


def _remove_if_empty(db_path: Path) -> None:
    with contextlib.suppress(OSError):
        if db_path.stat().st_size == 0:
            db_path.unlink()


def migrate(engine: Engine) -> None:
    """Bring the schema to ``SCHEMA_HEAD`` with Alembic, in-process, one transaction per migration."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the DB-API error a SQLAlchemy error wraps, and what it was raised from, nearest first."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen or len(seen) > 16:
            continue
        seen.add(id(current))
        yield current
        for nxt in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _no_room(path: Path | None) -> bool:
    """True when the disk holding ``path`` has (next to) no free space left for this user."""
    if path is None:
        return False
    for candidate in (path, *path.parents):
        try:
            st = os.statvfs(candidate)
        except FileNotFoundError:
            continue
        except (OSError, AttributeError):
            return False
        return st.f_bavail * st.f_frsize < 64 * 1024 or (st.f_files > 0 and st.f_favail == 0)
    return False


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


def explain_storage_error(exc: BaseException, data_dir: Path | None = None) -> Exception | None:
    """The one-sentence error for a failure of the disk under the data folder (full, read-only), or None when
    ``exc`` is not one.

    A full disk is SQLite's SQLITE_FULL ("database or disk is full"), an OSError ENOSPC/EDQUOT, or SQLite's
    "disk I/O error" while the disk holding the data folder has no room left (SQLite cannot grow the -shm file
    of its write-ahead log then, and says only that). A read-only disk is SQLITE_READONLY ("attempt to write a
    readonly database") or an OSError EROFS. An OSError naming a file outside the data folder names that file's
    folder instead (a full USB stick the backup was going to, say). ``exc`` may be a SQLAlchemy error wrapping
    the sqlite3 one, or a DataFolderError of these kinds already (returned as it is).
    """
    data_dir = Path(data_dir).absolute() if data_dir is not None else None
    for cause in _causes(exc):
        if isinstance(cause, DiskFullError | ReadOnlyFolderError):
            return cause
        if isinstance(cause, SecondOpinionError) and cause is exc:
            continue  # another kind of error the user can already read: look at what it was raised from
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            where = Path(os.fsdecode(cause.filename)) if cause.filename else None
            if where is not None and (data_dir is None or not _inside(where, data_dir)):
                folder = where.parent if where.parent != where else where
                if cause.errno == errno.EROFS:
                    return ReadOnlyFolderError(f"Cannot write to {folder}: it is on a read-only disk; nothing "
                                               "was changed.")
                return disk_full_error(folder, data_folder=False)
            if (where is None and cause.errno != errno.EDQUOT and data_dir is not None and not _no_room(data_dir)
                    and not on_read_only_disk(data_dir)):
                return None  # a file with no name (an output being written) on another disk: its own message says
            if cause.errno == errno.EROFS:
                return read_only_folder_error(data_dir)
            return disk_full_error(data_dir)
        if isinstance(cause, database_errors()):
            code = _code(cause)
            text = str(cause).lower()
            if code == SQLITE_FULL or "database or disk is full" in text:
                return disk_full_error(data_dir)
            if (code == SQLITE_READONLY and getattr(cause, "sqlite_errorcode", None) != SQLITE_READONLY_DBMOVED) or (
                    code is None and "attempt to write a readonly database" in text):
                on_mount = data_dir is None or on_read_only_disk(data_dir)
                return read_only_folder_error(data_dir, mount=on_mount)
            if (code == SQLITE_IOERR or "disk i/o error" in text) and _no_room(data_dir):
                return disk_full_error(data_dir)
            if code in (SQLITE_CANTOPEN, SQLITE_IOERR) and data_dir is not None and on_read_only_disk(data_dir):
                return read_only_folder_error(data_dir)
    return None


def _wait_for_a_running_restore(path: Path, timeout: float = 10.0) -> None:
    """A restore between its two renames has the folder aside for an instant: wait for the new one to appear
    rather than say there is no data."""
    import time

    from secondopinion_desktop.core.lock import _restore_mid_swap

    deadline = time.monotonic() + timeout
    while not path.exists() and _restore_mid_swap(path) is not None and time.monotonic() < deadline:
        time.sleep(0.02)


def _database_key(path: Path, key: FolderKey | None) -> bytes | None:
    """The database key to open the folder at ``path`` with: None for a plain folder, the key's database subkey
    for an encrypted one. An encrypted folder opened without its key raises FolderLocked, with another folder's
    key WrongSecret, and a key given for a plain folder DataFolderError."""
    from secondopinion_desktop.core.crypto.keys import KEYRING_NAME

    ring_file = path / KEYRING_NAME
    if key is None:
        if ring_file.exists() or ring_file.is_symlink():
            raise FolderLocked(f"The data folder {path} is protected with a passphrase; unlock it with the "
                               "passphrase or the recovery key first.")
        return None
    from secondopinion_desktop.core.crypto.keys import WrongSecret, read_keyring

    ring = read_keyring(path)
    if ring is None:
        raise DataFolderError(f"The data folder {path} is not protected with a passphrase; open it without one.")
    if ring.key_id != key.key_id:
        raise WrongSecret(f"This key is not the key of the data folder {path}.")
    return key.database


# The keys of each open encrypted folder's engine, so that a service handed only a session can reach the folder's
# sealed files (``vault_of``); an entry goes with its engine.
_ENGINE_KEYS: weakref.WeakKeyDictionary[Engine, FolderKey] = weakref.WeakKeyDictionary()


def vault_of(session: Session) -> Vault | None:
    """The vault of the data folder this session reads (``<folder>/vault``, with its keys when it is encrypted);
    None for a database in memory."""
    engine = session.get_bind().engine
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Vault(Path(database).parent / VAULT_NAME, _ENGINE_KEYS.get(engine))


def _open_read_only(path: Path, key: FolderKey | None = None) -> DataFolder:
    """Open ``path`` for reading only: nothing is created, made private, migrated or swept, so that it works on
    a read-only disk and on a full one and leaves the folder as it was."""
    if not path.exists() and not path.is_symlink():
        _wait_for_a_running_restore(path)
        recover_interrupted_restore(path)  # put back the folder a cut-short restore left aside (a rename)
    if path.exists() and not path.is_dir():
        raise DataFolderError(f"The data folder {path} is a file, not a folder.")
    if not path.is_dir():
        raise DataFolderError(f"There is no Second Opinion data in {path}; check the folder name.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise DataFolderError(f"The data folder {path} cannot be read by you.")
    db_path = path / DB_NAME
    if db_path.is_dir():
        raise DataFolderError(f"{db_path} is a folder, not a database file.")
    if not db_path.exists():
        raise DataFolderError(f"There is no Second Opinion data in {path}; check the folder name.")
    if not os.access(db_path, os.R_OK):
        raise DataFolderError(f"The database {db_path} cannot be read by you.")
    db_key = _database_key(path, key)
    engine: Engine | None = None
    try:
        if (on_read_only_disk(path) and _wal_has_data(db_path) and not _sidecar(db_path, "-shm").exists()):
            raise ReadOnlyFolderError(
                f"The data folder {path} is on a read-only disk and its latest changes (in {DB_NAME}-wal) can "
                "only be read where the folder can be written; make the disk writable, or copy the folder to a "
                "writable one, and try again."
            )
        revision = read_schema_revision(db_path, db_key)
        if revision is not None and revision not in SCHEMA_REVISIONS:
            raise SchemaTooNewError(
                f"The database in {path} was written by a newer version of Second Opinion "
                f"(schema {revision}). Please update the app; the database was left untouched."
            )
        if revision is None:
            raise NeedsUpgradeError(
                f"The database in {path} has not been set up yet (it is empty), so there is nothing to read; "
                "it was left untouched."
            )
        if revision != SCHEMA_HEAD:
            raise NeedsUpgradeError(
                f"The database in {path} must be brought up to date by this version of Second Opinion before "
                "it can be read; it was left untouched."
            )
        engine = _make_engine(db_path, db_key, read_only=True)
        with engine.connect() as connection:  # fail here, in one sentence, rather than at the first query
            connection.exec_driver_sql("SELECT count(*) FROM alembic_version").fetchone()
    except BaseException as exc:
        if engine is not None:
            engine.dispose()
        if isinstance(exc, SecondOpinionError) or not isinstance(exc, Exception):
            raise
        explained = explain_storage_error(exc, path)
        if explained is not None:
            raise explained from exc
        raise DataFolderError(f"Cannot read the database in {path}: {_db_reason(exc)}.") from exc
    sessions = sessionmaker(engine, expire_on_commit=False)
    if key is not None:
        _ENGINE_KEYS[engine] = key
    return DataFolder(path=path, engine=engine, vault=Vault(path / VAULT_NAME, key), _sessions=sessions,
                      read_only=True, key=key)


def _db_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc)


def open_data_folder(path: Path | str, *, read_only: bool = False, key: FolderKey | None = None) -> DataFolder:
    """Open (creating if needed) the data folder at ``path`` and bring its schema up to date.

    ``read_only``: for commands that only read. Nothing is created, made private, migrated or swept, and the
    folder may be on a read-only or full disk; a folder whose schema needs bringing up to date raises
    NeedsUpgradeError (open it without ``read_only`` for that), one that does not exist DataFolderError.

    A database that is not SQLite, or whose schema is newer than this version knows, is refused with a
    DataFolderError and left byte-for-byte as it was. A disk with no room left raises DiskFullError and a
    read-only one ReadOnlyFolderError (for a writable open), each with nothing changed.

    An encrypted folder (one with a key file) opens only with its ``key`` (``crypto.seal.unlock_folder``):
    without one it raises FolderLocked, with another folder's WrongSecret.
    """
    if read_only:
        return _open_read_only(Path(path).absolute(), key)
    recover_interrupted_restore(Path(path).absolute())  # never an empty folder where a restore was cut short
    path = ensure_data_dir(Path(path).absolute())  # absolute: the engine must not depend on the cwd
    db_path = path / DB_NAME
    if db_path.is_dir():
        raise DataFolderError(f"{db_path} is a folder, not a database file.")
    db_key = _database_key(path, key)
    if db_key is not None and not db_path.exists():
        raise DataFolderError(f"The encrypted data folder {path} has lost its database; restore it from a "
                              "backup.")
    revision = read_schema_revision(db_path, db_key)
    if revision is not None and revision not in SCHEMA_REVISIONS:
        raise SchemaTooNewError(
            f"The database in {path} was written by a newer version of Second Opinion "
            f"(schema {revision}). Please update the app; the database was left untouched."
        )
    vault = Vault(path / VAULT_NAME, key)
    engine = _make_engine(db_path, db_key)
    created = not db_path.exists()
    try:
        _make_private(db_path)
        if revision != SCHEMA_HEAD:
            if revision is not None:
                _backup_before_migration(db_path, revision, db_key)
            migrate(engine)
        else:
            with engine.connect():  # the first connection turns on the log: a full disk is said here, not later
                pass
        vault.ensure()
    except Exception as exc:
        engine.dispose()
        if created:
            _remove_if_empty(db_path)  # a database this open made and could not set up is no database
        explained = explain_storage_error(exc, path)
        if explained is not None:
            raise explained from exc
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, database_errors()):  # pragma: no cover - depends on the file system
            raise DataFolderError(f"Cannot open the database in {path}: {exc}.") from exc
        if isinstance(exc, OSError):
            raise DataFolderError(f"Cannot prepare the data folder {path}: {exc.strerror or exc}.") from exc
        if isinstance(exc, SQLAlchemyError):
            raise DataFolderError(f"Cannot open the database in {path}: {exc.__class__.__name__}: {exc}.") from exc
        raise
    sessions = sessionmaker(engine, expire_on_commit=False)
    if key is not None:
        _ENGINE_KEYS[engine] = key
    return DataFolder(path=path, engine=engine, vault=vault, _sessions=sessions, key=key)
