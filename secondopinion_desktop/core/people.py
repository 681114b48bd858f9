"""Whose records a data folder (or a backup's database) holds: the person's name, how many records, when last
changed — read without opening the folder for writing, so a menu or a restore question can show it.

A caregiver may keep one data folder per person; each folder is a separate, complete set of records.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secondopinion_desktop.core.errors import DataFolderError
from secondopinion_desktop.core.paths import DB_NAME, default_data_dir

if TYPE_CHECKING:
    from secondopinion_desktop.core.crypto.seal import FolderKey
    from secondopinion_desktop.core.db import DataFolder

# Tables whose rows carry the time of their last change; the latest of them is "last changed".
_STAMPED = (("record", "updated_at"), ("record", "created_at"), ("profile", "updated_at"),
            ("appointment", "updated_at"), ("appointment_note", "updated_at"), ("checklist_item", "updated_at"),
            ("question", "created_at"), ("treatment_line", "created_at"))


@dataclass(frozen=True)
class FolderSummary:
    """What a data folder holds, in a few words."""

    name: str  # the profile's name; "" when nobody is named yet
    date_of_birth: dt.date | None
    records: int
    last_changed: dt.datetime | None  # UTC, timezone-aware; None for an empty folder

    def who(self, fallback: str = "someone not named yet") -> str:
        return self.name or fallback


def _read_only(db_path: Path, key: bytes | None = None) -> sqlite3.Connection:
    from secondopinion_desktop.core.db import connect_read_only

    return connect_read_only(db_path, key)  # creates nothing beside it: works on a full or read-only disk


def _stamp(value: object) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when


def person_name(folder: DataFolder) -> str:
    """The name in the open folder's profile ("" when none is entered yet)."""
    from secondopinion_desktop.core.profile import get_profile

    with folder.session() as session:
        return get_profile(session).name


def summarize_database(db_path: Path | str, key: FolderKey | None = None) -> FolderSummary | None:
    """The summary of a Second Opinion database file (an encrypted folder's with its ``key``), or None when it
    cannot be read as one."""
    from secondopinion_desktop.core.db import database_errors

    errors: tuple[type[Exception], ...] = (*database_errors(), DataFolderError)
    db_path = Path(db_path)
    if not db_path.is_file():
        return None
    try:
        conn = _read_only(db_path, key.database if key is not None else None)
    except errors:
        return None
    errors = database_errors()
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "record" not in tables or "profile" not in tables:
            return None
        row = conn.execute("SELECT name, date_of_birth FROM profile ORDER BY id LIMIT 1").fetchone()
        name = " ".join(str(row[0] or "").split()) if row else ""
        birth = None
        if row and row[1]:
            try:
                birth = dt.date.fromisoformat(str(row[1])[:10])
            except ValueError:
                birth = None
        records = int(conn.execute("SELECT count(*) FROM record").fetchone()[0])
        if "folder_change" in tables:  # kept by triggers on every change, deletions and answers included
            row = conn.execute("SELECT changed_at FROM folder_change WHERE id = 1").fetchone()
            return FolderSummary(name, birth, records, _stamp(row[0]) if row else None)
        stamps: list[dt.datetime] = []  # an older schema: the latest stamp its rows carry
        for table, column in _STAMPED:
            if table not in tables:
                continue
            try:
                value = conn.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            except errors:
                continue
            if (when := _stamp(value)) is not None:
                stamps.append(when)
        return FolderSummary(name, birth, records, max(stamps) if stamps else None)
    except errors:
        return None
    finally:
        conn.close()


def summarize_folder(data_dir: Path | str, key: FolderKey | None = None) -> FolderSummary | None:
    """The summary of the data folder at ``data_dir`` (an encrypted one's with its ``key``), or None when it holds
    no readable database."""
    return summarize_database(Path(data_dir) / DB_NAME, key)


def file_name_part(name: str) -> str:
    """A person's name made safe for a file name: "José O'Brien" → "jose-obrien"; "" when nothing is left."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    words = ["".join(c for c in word if c.isalnum()) for word in plain.replace("-", " ").split()]
    return "-".join(w for w in words if w)[:60].strip("-")


def new_person_folder(name: str, base: Path | None = None) -> Path:
    """Where a new person's records go by default: beside the default data folder, named after them."""
    base = base or default_data_dir()
    slug = file_name_part(name) or "person"
    candidate, n = base.with_name(f"{base.name}-{slug}"), 1
    while candidate.exists() and any(candidate.iterdir()):
        n += 1
        candidate = base.with_name(f"{base.name}-{slug}-{n}")
    return candidate


def create_person_folder(path: Path | str, name: str) -> FolderSummary:
    """Make a new data folder for ``name`` at ``path`` (which must not hold anything yet)."""
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.profile import save_profile

    path = Path(path)
    name = " ".join(name.split())
    if not name:
        raise DataFolderError("Type the name of the person whose records these will be.")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DataFolderError(f"{path} already holds files; choose an empty or new folder.")
    folder = open_data_folder(path)
    try:
        with folder.session() as session:
            save_profile(session, name=name)
    finally:
        folder.close()
    summary = summarize_folder(path)
    assert summary is not None
    return summary


def same_name(a: str, b: str) -> bool:
    """Whether two ways of writing a name name the same person: "SAMPLE, Alex" and "alex sample" do."""
    def words(name: str) -> set[str]:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii") or name
        return {"".join(c for c in w if c.isalnum()).casefold() for w in plain.replace(",", " ").split()} - {""}

    return words(a) == words(b)


def same_folder(a: Path | str, b: Path | str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).absolute() == Path(b).absolute()
