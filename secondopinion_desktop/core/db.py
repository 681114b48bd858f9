"""Opening a data folder: the SQLite engine, schema migrations and the session factory.

SQLite runs with foreign keys on, WAL journaling and full sync. Python's sqlite3 module does not wrap DDL in
transactions by itself, so the engine turns off its implicit transaction handling and issues ``BEGIN`` itself
(the recipe from SQLAlchemy's SQLite documentation); this makes each migration one real transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from secondopinion_desktop.core.errors import DataFolderError, NotADatabaseError, SchemaTooNewError
from secondopinion_desktop.core.paths import DB_NAME, VAULT_NAME, ensure_data_dir, recover_interrupted_restore
from secondopinion_desktop.core.vault import Vault

# Every migration revision this version knows, oldest first. The last one is the schema this code expects.
# A test checks this against the Alembic scripts, so that opening an up-to-date folder needs no Alembic import.
SCHEMA_REVISIONS: tuple[str, ...] = (
    "0001_initial", "0002_checklist_questions", "0003_appointments", "0004_imaging_files", "0005_folder_change",
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

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as session:
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
        self.engine.dispose()

    def __enter__(self) -> DataFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_schema_revision(db_path: Path) -> str | None:
    """The Alembic revision stamped in ``db_path`` without changing the file; None for a new database.

    Raises NotADatabaseError for a file that is not SQLite, or a SQLite file that Second Opinion did not make.
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    try:
        with open(db_path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DataFolderError(f"Cannot read the database {db_path}: {exc.strerror or exc}.") from exc
    if header != SQLITE_HEADER:
        raise NotADatabaseError(
            f"{db_path} is not a Second Opinion database (it is not a SQLite file); it was left untouched."
        )
    # Without a -wal or -journal file beside it the main file holds everything, so read it as immutable: a
    # plain read-only connection to a WAL database would create (and leave behind) -wal and -shm files.
    sidecars = (db_path.with_name(db_path.name + suffix) for suffix in ("-wal", "-journal"))
    immutable = "&immutable=1" if not any(p.exists() for p in sidecars) else ""
    try:
        conn = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro{immutable}", uri=True)
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
    except sqlite3.DatabaseError as exc:
        raise NotADatabaseError(f"{db_path} cannot be read as a database ({exc}); it was left untouched.") from exc
    return row[0] if row else None


def _make_engine(db_path: Path) -> Engine:
    engine = create_engine(f"sqlite+pysqlite:///{db_path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see module docstring
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN")

    return engine


def _backup_before_migration(db_path: Path, revision: str) -> Path:
    """Copy the database with SQLite's online backup API before a migration changes it."""
    target = db_path.with_name(f"{db_path.name}.schema-{revision}.bak")
    src = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
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


def explain_storage_error(exc: BaseException, data_dir: Path | None = None) -> Exception | None:
    """The one-sentence error for a failure of the disk under the data folder (full, read-only), or None when
    ``exc`` is not one."""
    return None


def open_data_folder(path: Path | str, *, read_only: bool = False) -> DataFolder:
    """Open (creating if needed) the data folder at ``path`` and bring its schema up to date.

    ``read_only``: for commands that only read (never creates, migrates or changes anything).

    A database that is not SQLite, or whose schema is newer than this version knows, is refused with a
    DataFolderError and left byte-for-byte as it was.
    """
    recover_interrupted_restore(Path(path).absolute())  # never an empty folder where a restore was cut short
    path = ensure_data_dir(Path(path).absolute())  # absolute: the engine must not depend on the cwd
    db_path = path / DB_NAME
    if db_path.is_dir():
        raise DataFolderError(f"{db_path} is a folder, not a database file.")
    revision = read_schema_revision(db_path)
    if revision is not None and revision not in SCHEMA_REVISIONS:
        raise SchemaTooNewError(
            f"The database in {path} was written by a newer version of Second Opinion "
            f"(schema {revision}). Please update the app; the database was left untouched."
        )
    vault = Vault(path / VAULT_NAME)
    engine = _make_engine(db_path)
    try:
        _make_private(db_path)
        if revision != SCHEMA_HEAD:
            if revision is not None:
                _backup_before_migration(db_path, revision)
            migrate(engine)
        vault.ensure()
    except sqlite3.Error as exc:  # pragma: no cover - depends on the file system
        engine.dispose()
        raise DataFolderError(f"Cannot open the database in {path}: {exc}.") from exc
    except OSError as exc:
        engine.dispose()
        raise DataFolderError(f"Cannot prepare the data folder {path}: {exc.strerror or exc}.") from exc
    except Exception as exc:
        engine.dispose()
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            raise DataFolderError(f"Cannot open the database in {path}: {exc.__class__.__name__}: {exc}.") from exc
        raise
    sessions = sessionmaker(engine, expire_on_commit=False)
    return DataFolder(path=path, engine=engine, vault=vault, _sessions=sessions)
