"""Check a data folder: database integrity, foreign keys, every stored file present and intact; a safe repair.

The check only reads. The repair makes a backup first and then removes only what is provably unneeded: vault
files no attachment and no imaging file refers to (and only when the database itself reads cleanly), leftover
temporary files, and links found where a stored file belongs (the link, never what it points at). It never changes
a row.

An operation in progress in another process (an import, an attachment) first gives its files their names in the
vault and only then commits the rows that refer to them; in between they look unreferenced. A stored file
changed in the last ``IN_FLIGHT_SECONDS`` is therefore never called an orphan nor removed: the same age guard the
start-up sweep uses. Its temporary files carry its process id (``vault.owned_temp_prefix``) and are left alone while
that process runs. Within this process (a repair from the window while an import runs), an operation in flight
claims its files (``vault.VaultClaim``), whatever their age: content it shares with an older unreferenced file
included. A claimed file is never called an orphan, and the repair and the sweep remove a file only through
``Vault.remove_unclaimed``, deciding under the claims' lock. Stored files are read without following links.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import DataFolderError, VaultError
from secondopinion_desktop.core.vault import (
    STALE_TEMP_SECONDS,
    TEMP_PREFIX,
    NotARegularFile,
    VaultDamaged,
    open_regular_nofollow,
    sha256_of_fd,
    temp_in_use,
)
from secondopinion_desktop.core.words import plural

BACKUPS_DIR = "backups"
# A file younger than this may belong to an operation still running in another process (copied, row not yet
# committed): it is left alone by check, repair and the start-up sweep.
IN_FLIGHT_SECONDS = float(STALE_TEMP_SECONDS)


def _age(path: Path, now: float) -> float:
    """Seconds since ``path`` (not followed if a link) was last written; 0 when it cannot be read.

    A stored file is always written afresh (a temporary copy renamed to its name), so this is when it was stored.
    """
    try:
        st = path.lstat()
    except OSError:
        return 0.0
    return now - st.st_mtime


@dataclass(frozen=True)
class CheckReport:
    integrity: list[str] = field(default_factory=list)  # empty = the database is sound
    foreign_keys: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)  # "<which row> (sha256 <digest>)"
    damaged_files: list[str] = field(default_factory=list)
    orphan_files: list[str] = field(default_factory=list)  # SHA-256 digests of unreferenced vault files
    temp_files: list[str] = field(default_factory=list)  # paths of leftover temporary files
    links: list[str] = field(default_factory=list)  # paths of links found where stored files belong
    checked_files: int = 0  # distinct vault files referenced by the database
    recent_files: int = 0  # unreferenced files too recent to judge: an operation may still be writing them
    claimed_files: int = 0  # unreferenced files an operation in flight in this process is using (rows to come)
    damaged_digests: frozenset[str] = frozenset()  # digests behind damaged_files (left out of the repair's backup)

    @property
    def ok(self) -> bool:
        return not (self.integrity or self.foreign_keys or self.missing_files or self.damaged_files
                    or self.orphan_files or self.temp_files or self.links)

    @property
    def repairable(self) -> bool:
        """True when ``repair`` has something it may remove."""
        return bool(self.temp_files or self.links or (self.orphan_files and not self.integrity))

    @property
    def problem_count(self) -> int:
        return sum(len(x) for x in (self.integrity, self.foreign_keys, self.missing_files, self.damaged_files,
                                    self.orphan_files, self.temp_files, self.links))

    def lines(self, repair: str = "'check --repair'") -> list[str]:
        """A report a person can read, one line per finding; ``repair`` names the way to repair (the command
        line's ``check --repair``, the window's Repair button)."""
        out: list[str] = []

        def section(title: str, items: list[str], good: str, note: str = "") -> None:
            if not items:
                out.append(f"{title}: {good}")
                return
            out.append(f"{title}: {plural(len(items), 'problem')}{note}")
            out.extend(f"  - {item}" for item in items)

        section("Database integrity", self.integrity, "ok")
        section("Links between records", self.foreign_keys, "ok")
        section("Stored files missing", self.missing_files, f"none (all {self.checked_files} present)")
        section("Stored files damaged", self.damaged_files, "none")
        section("Stored files nothing refers to", self.orphan_files, "none", f" — {repair} removes them after a backup")
        section("Leftover temporary files", self.temp_files, "none", f" — {repair} removes them")
        section("Links in the vault", self.links, "none",
                f" — they are never read; {repair} removes the links (not what they point at)")
        if self.recent_files:
            out.append(f"Not yet judged: {plural(self.recent_files, 'stored file')} from the last hour that nothing "
                       "refers to yet (an import may still be writing them).")
        if self.claimed_files:
            out.append(f"Not yet judged: {plural(self.claimed_files, 'stored file')} that an import or attachment "
                       "in progress, or the undo history of the open window, still needs.")
        if self.ok:
            out.append("Everything is in order.")
        else:
            out.append(f"Found {plural(self.problem_count, 'problem')}.")
            if self.missing_files or self.damaged_files:
                out.append("Missing or damaged files can be mended by attaching the original again, or by "
                           "restoring a backup.")
        return out


def _connect(folder: DataFolder) -> sqlite3.Connection:
    from secondopinion_desktop.core.db import connect_read_only

    key = folder.key.database if folder.key is not None else None
    return connect_read_only(folder.db_path, key)  # creates nothing: works on a full or read-only disk


def _references(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every vault digest the database refers to, with a description of each referring row."""
    refs: dict[str, list[str]] = {}
    for att_id, record_id, name, sha in conn.execute(
        "SELECT id, record_id, original_name, sha256 FROM attachment ORDER BY id"
    ):
        refs.setdefault(str(sha), []).append(f"record {record_id}, attached file “{name}” (attachment {att_id})")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "imaging_file" in tables:
        for img_id, record_id, rel, sha in conn.execute(
            "SELECT id, record_id, relative_path, sha256 FROM imaging_file ORDER BY id"
        ):
            refs.setdefault(str(sha), []).append(f"record {record_id}, image “{rel}” (imaging file {img_id})")
    return refs


def _temp_files(folder: DataFolder) -> list[str]:
    found: list[Path] = []
    for where in (folder.vault.root, folder.path / BACKUPS_DIR):
        if where.is_dir():
            # A temporary file of a process still running (an import copying, a backup being written) is its.
            found.extend(p for p in where.glob(TEMP_PREFIX + "*") if not temp_in_use(p.name))
    return sorted(str(p) for p in found)


def _file_state(folder: DataFolder, sha: str) -> str:
    """'ok', 'missing', 'link' or 'damaged' for the stored file ``sha``, read without following links (and, in an
    encrypted folder, decrypted: a chunk that fails its authentication is damage)."""
    path = folder.vault.path_for(sha)
    if folder.vault.sealed:
        if path.parent.is_symlink():
            return "link"
        if not path.exists() and not path.is_symlink():
            return "missing"
        try:
            with folder.vault.open(sha) as fh:
                return "ok" if sha256_of_fd(fh) == sha else "damaged"
        except VaultDamaged as exc:
            return "link" if path.is_symlink() or "replaced" in str(exc) else "damaged"
        except (VaultError, OSError):
            return "damaged"
    try:
        fd = open_regular_nofollow(path)
    except FileNotFoundError:
        return "link" if path.parent.is_symlink() else "missing"
    except NotARegularFile:
        return "link"
    except OSError:
        return "damaged"
    with open(fd, "rb") as fh:
        try:
            return "ok" if sha256_of_fd(fh) == sha else "damaged"
        except OSError:
            return "damaged"


def _orphan_test(folder: DataFolder, name: str, used: set[str], now: float, older_than: float) -> Callable[[], bool]:
    """For ``Vault.remove_unclaimed_name``: no row refers to the stored file ``name`` (``used``, the names on disk of
    what rows refer to, is read inside the write lock, so no row can have been committed since) and it is old
    enough not to be another process's copy in flight."""
    return lambda: name not in used and _age(folder.vault.path_of_name(name), now) >= older_than


def _used_names(folder: DataFolder, digests: Iterable[str]) -> set[str]:
    """The names on disk of the stored files with these digests (the digests themselves in a plain vault)."""
    names: set[str] = set()
    for sha in digests:
        with contextlib.suppress(VaultError):  # a malformed digest in a row names no file
            names.add(folder.vault.name_of(sha))
    return names


def check_data(folder: DataFolder) -> CheckReport:
    """Check the database and the vault of ``folder``; changes nothing."""
    now = time.time()
    integrity: list[str] = []
    foreign_keys: list[str] = []
    refs: dict[str, list[str]] | None = None
    from secondopinion_desktop.core.db import database_errors

    opening: tuple[type[Exception], ...] = (*database_errors(), DataFolderError)
    try:
        conn = _connect(folder)
    except opening as exc:
        integrity.append(f"The database cannot be opened: {exc}.")
    else:
        damage = database_errors("DatabaseError")
        try:
            if folder.encrypted:
                try:  # every page's authentication code, before SQLite's own check
                    integrity.extend(f"Page check: {r[0]}" for r in conn.execute("PRAGMA cipher_integrity_check"))
                except damage as exc:
                    integrity.append(f"The database is damaged: {exc}.")
            try:
                rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
                if rows != ["ok"]:
                    integrity.extend(rows)
            except damage as exc:  # a damaged page makes SQLite raise instead of returning rows
                integrity.append(f"The database is damaged: {exc}.")
            try:
                for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
                    foreign_keys.append(f"{table} row {rowid} refers to a {parent} that does not exist")
            except damage as exc:
                integrity.append(f"The links between records cannot be checked: {exc}.")
            try:
                refs = _references(conn)
            except damage as exc:
                integrity.append(f"The list of stored files cannot be read: {exc}.")
        finally:
            conn.close()

    missing: list[str] = []
    damaged: list[str] = []
    orphans: list[str] = []
    recent = 0
    claimed = 0
    damaged_digests: set[str] = set()
    if refs is not None:
        for sha, users in sorted(refs.items()):
            try:
                state = _file_state(folder, sha)
            except VaultError:
                damaged.extend(f"{u}: {sha!r} is not a SHA-256 digest" for u in users)
                continue
            if state == "missing":
                missing.extend(f"{u} (sha256 {sha})" for u in users)
            elif state == "link":
                damaged_digests.add(sha)
                damaged.extend(f"{u} (sha256 {sha}): replaced by a link, which is never read" for u in users)
            elif state == "damaged":
                damaged_digests.add(sha)
                damaged.extend(f"{u} (sha256 {sha})" for u in users)
        if not integrity:  # only a database that reads cleanly can prove a file unreferenced
            for name in sorted(set(folder.vault.stored()) - _used_names(folder, refs)):
                if folder.vault.claimed_name(name):
                    claimed += 1
                elif _age(folder.vault.path_of_name(name), now) >= IN_FLIGHT_SECONDS:
                    orphans.append(name)
                else:
                    recent += 1
    return CheckReport(
        integrity=integrity, foreign_keys=foreign_keys, missing_files=missing, damaged_files=damaged,
        orphan_files=orphans, temp_files=_temp_files(folder),
        links=[str(p) for p in folder.vault.links()], checked_files=len(refs or {}), recent_files=recent,
        claimed_files=claimed,
        damaged_digests=frozenset(damaged_digests),
    )


def repair(folder: DataFolder, report: CheckReport) -> list[str]:
    """Remove provably orphaned vault files and leftover temporary files, after a backup; returns what it did.

    Rows are never touched. Orphans are removed only when the database reads cleanly and, checked again right
    before removal while holding the database's write lock, still nothing refers to them and they are still older
    than ``IN_FLIGHT_SECONDS`` (a file renamed into the vault by an import in progress is fresh: its rows come
    later, and the write lock alone cannot see them coming) and no operation in flight in this process claims them
    (``Vault.remove_unclaimed``). A link is removed itself, never what it points at.
    """
    from secondopinion_desktop.core.backup import BACKUP_PREFIX, _private_dir, create_backup

    done: list[str] = []
    orphans = list(report.orphan_files) if not report.integrity else []
    temps = [Path(t) for t in report.temp_files]
    links = [Path(p) for p in report.links]
    if not orphans and not temps and not links:
        return done
    backups = _private_dir(folder.path / BACKUPS_DIR)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = backups / f"{BACKUP_PREFIX}{stamp}-before-repair.zip"
    n = 1
    while kept.exists():
        n += 1
        kept = backups / f"{BACKUP_PREFIX}{stamp}-before-repair-{n}.zip"
    create_backup(folder, kept, leave_out=report.damaged_digests)
    done.append(f"Made a backup first: {kept}"
                + (f" (without the {plural(len(report.damaged_digests), 'damaged file')})"
                   if report.damaged_digests else ""))

    for link in links:
        if folder.vault.remove_link(link):
            done.append(f"Removed the link {link} from the vault (what it pointed at was not touched)")

    allowed_dirs = {folder.vault.root.resolve(), backups.resolve()}
    for tmp in temps:
        if not tmp.name.startswith(TEMP_PREFIX) or tmp.parent.resolve() not in allowed_dirs:
            continue
        if temp_in_use(tmp.name):
            continue
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        if not tmp.exists():
            done.append(f"Removed the leftover temporary file {tmp}")

    if orphans:
        raw = folder.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("BEGIN IMMEDIATE")  # no row can start referring to a file while we decide
            try:
                still_used = _used_names(folder, _references(raw.driver_connection))  # type: ignore[arg-type]
                now = time.time()
                for name in orphans:
                    if folder.vault.remove_unclaimed_name(name, _orphan_test(folder, name, still_used, now,
                                                                            IN_FLIGHT_SECONDS)):
                        done.append(f"Removed the stored file {name}, which nothing refers to")
            finally:
                cursor.execute("ROLLBACK")
                cursor.close()
        finally:
            raw.close()
    return done


def sweep_orphans(folder: DataFolder, *, older_than: float = IN_FLIGHT_SECONDS) -> list[str]:
    """At start-up: remove vault files nothing refers to that are older than ``older_than`` seconds.

    Such files are left by a crash between a copy and its commit, or by a window closed abnormally while an
    undo could still bring a deleted record back. The age limit keeps a copy another process has just made
    (its row not yet committed) safe; a file an operation of this process has claimed stays whatever its age.
    Returns the removed digests.
    """
    removed: list[str] = []
    now = time.time()
    raw = folder.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")  # no row can start referring to a file while we decide
        try:
            used = _used_names(folder, _references(raw.driver_connection))  # type: ignore[arg-type]
            for name in folder.vault.stored():
                if name in used:
                    continue
                with contextlib.suppress(OSError):
                    if folder.vault.remove_unclaimed_name(name, _orphan_test(folder, name, used, now, older_than)):
                        removed.append(name)
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()
    finally:
        raw.close()
    return removed
