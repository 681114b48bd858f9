"""The database of an encrypted folder: SQLCipher 4 through ``sqlcipher3`` (a maintained DB-API module shipped
as wheels with SQLCipher built in, the same API as ``sqlite3``).

SQLCipher encrypts every page (AES-256-CBC) and authenticates it (HMAC-SHA512), the write-ahead log's pages
too; the shared-memory index holds no content. The key given is the folder's database subkey, used raw
(``x'…'``): it is already derived from the passphrase with Argon2id, so SQLCipher's own PBKDF2 is skipped and
opening costs nothing extra. ``encrypt_copy`` and ``decrypt_copy`` convert a whole database with
``sqlcipher_export`` into a new file (the caller renames it into place), ``integrity_problems`` lists pages
that fail their HMAC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secondopinion_desktop.core.crypto.keys import WrongSecret
from secondopinion_desktop.core.errors import DataFolderError


class DatabaseUnavailable(DataFolderError):
    """SQLCipher is not installed, so an encrypted folder cannot be opened here."""


class DatabaseDoesNotOpen(WrongSecret):
    """The database does not open with the key given: a wrong key, or a damaged first page."""


def _module() -> Any:
    try:
        from sqlcipher3 import dbapi2
    except ImportError as exc:  # pragma: no cover - a dependency; only a broken install lacks it
        raise DatabaseUnavailable("This copy of the app cannot open encrypted data folders (SQLCipher is "
                                  "missing); reinstall it.") from exc
    return dbapi2


def _key_literal(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("a database key is 32 bytes")
    return f"\"x'{key.hex()}'\""


def _quiet(conn: Any) -> None:
    """SQLCipher logs what fails (a page's HMAC) to stderr itself; the app says it in its own sentence."""
    conn.execute("PRAGMA cipher_log_level = NONE")


def connect(path: Path | str, key: bytes, **kwargs: Any) -> Any:
    """An open SQLCipher connection to ``path`` with ``key``; DatabaseDoesNotOpen when the key does not open it."""
    module = _module()
    conn = module.connect(str(path), **kwargs)
    try:
        _quiet(conn)
        conn.execute(f"PRAGMA key = {_key_literal(key)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except module.DatabaseError as exc:
        conn.close()
        raise DatabaseDoesNotOpen("The database does not open with this key: the passphrase is not this "
                                  "folder's, or the database is damaged.") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _export(conn: Any, target: Path, key_literal: str) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute(f"ATTACH DATABASE ? AS converted KEY {key_literal}", (str(target),))
    try:
        conn.execute("SELECT sqlcipher_export('converted')")
        conn.execute(f"PRAGMA converted.user_version = {int(version)}")
    finally:
        conn.execute("DETACH DATABASE converted")


def encrypt_copy(plain: Path | str, target: Path | str, key: bytes) -> None:
    """Write an encrypted copy of the plain database ``plain`` to the new file ``target``."""
    module = _module()
    target = Path(target)
    if target.exists():
        raise FileExistsError(str(target))
    conn = module.connect(str(plain))
    try:
        _quiet(conn)
        _export(conn, target, _key_literal(key))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        conn.close()


def decrypt_copy(encrypted: Path | str, target: Path | str, key: bytes) -> None:
    """Write a plain copy of the encrypted database to the new file ``target`` (turning encryption off)."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(str(target))
    conn = connect(encrypted, key)
    try:
        _export(conn, target, "''")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        conn.close()


def integrity_problems(path: Path | str, key: bytes) -> list[str]:
    """The pages that fail their HMAC or SQLite's own check, in plain words (empty when the database is sound)."""
    module = _module()
    try:
        conn = connect(path, key)
    except DatabaseDoesNotOpen as exc:
        return [str(exc)]
    try:
        found = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
        try:
            checked = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        except module.DatabaseError as exc:
            checked = [f"the database cannot be read: {exc}"]
    finally:
        conn.close()
    problems = [f"Database: {line}" for line in found]
    problems += [f"Database: {line}" for line in checked if line != "ok"]
    return problems
