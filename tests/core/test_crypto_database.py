"""The encrypted database (SQLCipher through sqlcipher3): rows written through SQLAlchemy and read back, nothing
readable in the database, its write-ahead log or shared memory, a wrong key, conversion both ways, a damaged page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

from sqlalchemy import text

from secondopinion_desktop.core.crypto import database as encdb
from secondopinion_desktop.core.crypto.database import DatabaseDoesNotOpen
from secondopinion_desktop.core.db import _make_engine

KEY = bytes(range(32))
NAME = "Zoë Sample-Patient"


def _fill(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, born TEXT)"))
        conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, person_id INTEGER REFERENCES person(id), "
                          "body TEXT)"))
        conn.execute(text("INSERT INTO person (name, born) VALUES (:n, '1970-02-14')"), {"n": NAME})
        for i in range(300):
            conn.execute(text("INSERT INTO note (person_id, body) VALUES (1, :b)"), {"b": f"{NAME} note {i} " * 5})


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def test_rows_round_trip_and_nothing_is_readable_on_the_disk(tmp_path: Path) -> None:
    path = tmp_path / "secondopinion.db"
    engine = _make_engine(path, KEY)
    _fill(engine)
    with engine.connect() as conn:  # the log and shared memory exist while a connection is open
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        names = {p.name for p in tmp_path.iterdir()}
        assert {"secondopinion.db-wal", "secondopinion.db-shm"} <= names
        raw = _all_bytes(tmp_path)
        for secret in (NAME.encode("utf-8"), NAME.encode("utf-16-le"), b"1970-02-14", b"CREATE TABLE"):
            assert secret not in raw
    engine.dispose()
    again = _make_engine(path, KEY)
    with again.connect() as conn:
        assert conn.execute(text("SELECT name FROM person")).scalar() == NAME
        assert conn.execute(text("SELECT count(*) FROM note")).scalar() == 300
    again.dispose()
    with pytest.raises(sqlite3.DatabaseError):  # plain SQLite sees no database at all
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()


def test_a_wrong_key_is_one_sentence_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "secondopinion.db"
    engine = _make_engine(path, KEY)
    _fill(engine)
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(DatabaseDoesNotOpen, match="^The database does not open with this key: .*damaged.$"):
        encdb.connect(path, bytes(32))
    assert path.read_bytes() == before
    assert encdb.integrity_problems(path, bytes(32)) != []
    assert encdb.integrity_problems(path, KEY) == []


def test_conversion_both_ways_keeps_every_row(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.executescript("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT); PRAGMA user_version = 12;")
    conn.execute("INSERT INTO person (name) VALUES (?)", (NAME,))
    conn.commit()
    conn.close()
    sealed = tmp_path / "sealed.db"
    encdb.encrypt_copy(plain, sealed, KEY)
    assert NAME.encode() not in sealed.read_bytes()
    opened = encdb.connect(sealed, KEY)
    assert opened.execute("SELECT name FROM person").fetchone()[0] == NAME
    assert opened.execute("PRAGMA user_version").fetchone()[0] == 12
    opened.close()
    back = tmp_path / "back.db"
    encdb.decrypt_copy(sealed, back, KEY)
    check = sqlite3.connect(back)
    assert check.execute("SELECT name FROM person").fetchone()[0] == NAME
    assert check.execute("PRAGMA user_version").fetchone()[0] == 12
    check.close()
    with pytest.raises(FileExistsError):
        encdb.encrypt_copy(plain, sealed, KEY)  # never over an existing file
    with pytest.raises(DatabaseDoesNotOpen):
        encdb.decrypt_copy(sealed, tmp_path / "other.db", bytes(32))
    assert not (tmp_path / "other.db").exists()


def test_a_damaged_page_is_found(tmp_path: Path, capfd) -> None:
    path = tmp_path / "secondopinion.db"
    engine = _make_engine(path, KEY)
    _fill(engine)
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[3 * page + 100] ^= 0xFF  # one byte inside the fourth page
    path.write_bytes(bytes(data))
    problems = encdb.integrity_problems(path, KEY)
    assert problems[0] == "Database: HMAC verification failed for page 4"
    assert all(p.startswith("Database: ") for p in problems)
    assert capfd.readouterr().err == "", "SQLCipher's own log stays quiet: the app says it in its sentence"
