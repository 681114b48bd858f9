"""Opening a data folder: migrations, the schema, permissions, SQLite settings and refusing foreign files."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateTable

from secondopinion_desktop.core import db as core_db
from secondopinion_desktop.core.db import (
    MIGRATIONS_DIR,
    SCHEMA_HEAD,
    SCHEMA_REVISIONS,
    open_data_folder,
    read_schema_revision,
)
from secondopinion_desktop.core.errors import DataFolderError, NotADatabaseError, SchemaTooNewError
from secondopinion_desktop.core.models import Base
from secondopinion_desktop.core.paths import DB_NAME, ENV_VAR, VAULT_NAME, default_data_dir, resolve_data_dir

APP_TABLES = {
    "profile", "facility", "clinician", "record", "attachment", "checklist_item", "question", "appointment",
    "appointment_question", "appointment_note", "treatment_line", "imaging_file", "folder_change",
    "records_request", "request_record", "request_event", "request_letter", "material_shipment", "setting",
    "record_source", "lab_result", "medication", "allergy", "problem", "document_text", "document_page",
    "opinion", "opinion_follow_up", "appointment_requirement", "requirement_record",
}
FTS_TABLES = {"document_fts", "document_fts_data", "document_fts_idx", "document_fts_docsize", "document_fts_config"}
RECORD_INSERT = text(
    "INSERT INTO record (kind, title, status, summary, notes, imaging_modality, imaging_body_region,"
    " accession_number, specimen_site, material_holder, created_at, updated_at, slides_count)"
    " VALUES (:kind, :title, 'needed', '', '', '', '', '', '', '', '2024-01-01', '2024-01-01', :slides)"
)
PROFILE_INSERT = text(
    "INSERT INTO profile (name, medical_record_numbers, phone, email, address, cancer_type, histology, grade,"
    " tnm_stage, stage_group, biomarkers, insurer, member_number, group_number, created_at, updated_at)"
    " VALUES (:name, '', '', '', '', '', '', '', '', '', '', '', '', '', '2024-01-01', '2024-01-01')"
)


def _tables(db_path: Path) -> set[str]:
    conn = sqlite3.connect(db_path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def _snapshot(path: Path) -> tuple[bytes, int, int]:
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns, st.st_size


def _make_stamped_db(db_path: Path, revision: str, *, wal: bool = False) -> None:
    conn = sqlite3.connect(db_path)
    try:
        if wal:
            assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
        conn.execute("CREATE TABLE record (id INTEGER PRIMARY KEY, title TEXT, future_column TEXT)")
        conn.execute("INSERT INTO record VALUES (1, 'keep me', 'x')")
        conn.commit()
    finally:
        conn.close()


# --- migrations --------------------------------------------------------------------------------------------


def test_schema_revisions_match_the_alembic_scripts() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    # walk_revisions goes newest first; SCHEMA_REVISIONS is oldest first.
    revisions = [script.revision for script in scripts.walk_revisions()]
    assert tuple(reversed(revisions)) == SCHEMA_REVISIONS
    assert scripts.get_heads() == [SCHEMA_HEAD]
    assert SCHEMA_REVISIONS[-1] == SCHEMA_HEAD
    # each revision's parent is the one before it in SCHEMA_REVISIONS
    for older, newer in zip((None, *SCHEMA_REVISIONS), SCHEMA_REVISIONS, strict=False):
        assert scripts.get_revision(newer).down_revision == older


def test_first_open_creates_every_table_and_stamps_head(data_dir: Path) -> None:
    assert not data_dir.exists()
    with open_data_folder(data_dir) as folder:
        assert folder.path == data_dir
        assert folder.db_path == data_dir / DB_NAME
        assert folder.vault.root == data_dir / VAULT_NAME
        assert (data_dir / VAULT_NAME).is_dir()
        with folder.session() as session:
            versions = session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert versions == [SCHEMA_HEAD]
    assert _tables(data_dir / DB_NAME) == APP_TABLES | FTS_TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == APP_TABLES
    assert read_schema_revision(data_dir / DB_NAME) == SCHEMA_HEAD
    # a first open has nothing to back up
    assert not list(data_dir.glob("*.bak"))


def test_orm_metadata_matches_migrated_schema(folder) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with folder.engine.connect() as conn:
        opts = {"compare_type": True, "compare_server_default": True,
                # the FTS5 index of document text and its shadow tables are made by migration 0008 alone
                "include_object": lambda obj, name, kind, reflected, other: not str(name).startswith("document_fts")}
        context = MigrationContext.configure(conn, opts=opts)
        assert context.get_current_revision() == SCHEMA_HEAD
        assert compare_metadata(context, Base.metadata) == []


def test_metadata_comparison_would_notice_a_difference(folder) -> None:
    """Guard for the test above: the comparison does see a schema that differs from the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with folder.engine.connect() as conn:
        conn.execute(text("DROP INDEX ix_record_kind"))
        conn.execute(text("ALTER TABLE profile ADD COLUMN extra TEXT"))
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
        conn.rollback()
    kinds = {entry[0] if isinstance(entry, tuple) else entry[0][0] for entry in diff}
    assert "add_index" in kinds
    assert "remove_column" in kinds


def test_check_constraints_of_the_models_are_in_the_migrated_schema(folder) -> None:
    """Alembic's comparison ignores CHECK constraints, so compare their names with the models' DDL."""
    conn = sqlite3.connect(folder.db_path)
    try:
        sql = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='table'"))
    finally:
        conn.close()
    pattern = re.compile(r"CONSTRAINT (\w+) CHECK")
    total = 0
    for name, table in Base.metadata.tables.items():
        expected = set(pattern.findall(str(CreateTable(table).compile(dialect=sqlite_dialect.dialect()))))
        assert set(pattern.findall(sql[name])) == expected, name
        total += len(expected)
    assert total >= 10  # enums and the explicit checks on record and attachment


def test_schema_constraints_are_enforced(folder) -> None:
    with folder.session() as session:  # a valid row goes in, so the failures below are the constraints'
        session.execute(RECORD_INSERT, {"kind": "pathology", "title": "t", "slides": 1})
        session.execute(text("DELETE FROM record"))
    bad_rows = [
        {"kind": "pathology", "title": "t", "slides": -1},
        {"kind": "astrology", "title": "t", "slides": 1},
        {"kind": "lab", "title": "   ", "slides": None},
    ]
    for bad in bad_rows:
        with pytest.raises(IntegrityError):
            with folder.session() as session:
                session.execute(RECORD_INSERT, bad)
    with pytest.raises(IntegrityError):  # foreign key to a record that does not exist
        with folder.session() as session:
            session.execute(text(
                "INSERT INTO attachment (record_id, original_name, media_type, size, sha256, added_at)"
                " VALUES (999, 'a.pdf', 'application/pdf', 1, :sha, '2024-01-01')"
            ), {"sha": "a" * 64})
    with folder.session() as session:
        assert session.execute(text("SELECT count(*) FROM record")).scalar() == 0
        assert session.execute(text("SELECT count(*) FROM attachment")).scalar() == 0


def test_reopening_keeps_data_and_does_not_migrate_again(data_dir: Path, monkeypatch) -> None:
    with open_data_folder(data_dir) as folder:
        with folder.session() as session:
            session.execute(PROFILE_INSERT, {"name": "Ada"})

    def no_migration(engine):  # pragma: no cover - called only on failure
        raise AssertionError("an up-to-date folder must not be migrated")

    monkeypatch.setattr(core_db, "migrate", no_migration)
    with open_data_folder(data_dir) as folder:
        with folder.session() as session:
            assert session.execute(text("SELECT name FROM profile")).scalars().all() == ["Ada"]
    assert not list(data_dir.glob("*.bak"))


def test_reopening_an_up_to_date_folder_does_not_import_alembic(data_dir: Path, python: str) -> None:
    script = (
        "import sys; from secondopinion_desktop.core.db import open_data_folder; "
        f"open_data_folder({str(data_dir)!r}).close(); print('alembic' in sys.modules)"
    )
    first = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert first.stdout.strip() == "True"  # the first open migrates, which needs Alembic
    assert (data_dir / DB_NAME).is_file()
    second = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert second.stdout.strip() == "False"


def test_relative_data_dir_can_be_opened_and_reopened(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_data_folder("relative-data") as folder:
        assert folder.path.is_absolute()
    with open_data_folder(Path("relative-data")) as folder:
        with folder.session() as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
        monkeypatch.chdir("/")  # new connections still find the same database
        with folder.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        folder.engine.dispose()
        with folder.session() as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    assert _tables(tmp_path / "relative-data" / DB_NAME) == APP_TABLES | FTS_TABLES | {"alembic_version"}


def test_empty_database_file_is_treated_as_new(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / DB_NAME).touch()
    with open_data_folder(data_dir):
        pass
    assert _tables(data_dir / DB_NAME) == APP_TABLES | FTS_TABLES | {"alembic_version"}


# --- permissions and SQLite settings -----------------------------------------------------------------------


def test_data_folder_is_private(data_dir: Path) -> None:
    old = os.umask(0o022)
    try:
        with open_data_folder(data_dir / "nested") as folder:
            with folder.session() as session:
                session.execute(text("SELECT count(*) FROM record"))
            assert stat.S_IMODE(folder.path.stat().st_mode) == 0o700
            assert stat.S_IMODE(folder.db_path.stat().st_mode) == 0o600
            assert stat.S_IMODE(folder.vault.root.stat().st_mode) == 0o700
            # the WAL files hold the same data as the database
            for suffix in ("-wal", "-shm"):
                side = folder.db_path.with_name(DB_NAME + suffix)
                if side.exists():
                    assert stat.S_IMODE(side.stat().st_mode) == 0o600, suffix
    finally:
        os.umask(old)


def test_sessions_have_foreign_keys_and_wal(folder) -> None:
    with folder.session() as session:
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    # every pooled connection, not only the first one
    connections = [folder.engine.connect() for _ in range(3)]
    try:
        for conn in connections:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        for conn in connections:
            conn.close()


def test_session_rolls_back_when_block_raises(folder) -> None:
    with pytest.raises(RuntimeError):
        with folder.session() as session:
            session.execute(text("INSERT INTO facility (name, kind, address, phone, records_contact,"
                                 " records_phone, records_fax, records_email, notes)"
                                 " VALUES ('X', 'hospital', '', '', '', '', '', '', '')"))
            raise RuntimeError("boom")
    with folder.session() as session:
        assert session.execute(text("SELECT count(*) FROM facility")).scalar() == 0


# --- refusing files that are not ours ----------------------------------------------------------------------


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_newer_schema_is_refused_and_left_untouched(data_dir: Path, wal: bool) -> None:
    data_dir.mkdir()
    db_path = data_dir / DB_NAME
    _make_stamped_db(db_path, "9999_future", wal=wal)
    before = _snapshot(db_path)
    assert sorted(os.listdir(data_dir)) == [DB_NAME]

    with pytest.raises(SchemaTooNewError) as info:
        open_data_folder(data_dir)

    assert "9999_future" in str(info.value)
    assert "newer version" in str(info.value)
    assert _snapshot(db_path) == before
    assert sorted(os.listdir(data_dir)) == [DB_NAME]  # no -wal, -shm, backup or vault
    assert not (data_dir / VAULT_NAME).exists()


def test_schema_too_new_is_a_data_folder_error() -> None:
    assert issubclass(SchemaTooNewError, DataFolderError)
    assert issubclass(NotADatabaseError, DataFolderError)


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(8192),
        b"Dear diary,\nthis is a text file that happens to be called secondopinion.db.\n" * 50,
        b"SQLite format 3\x00" + b"\xff" * 4000,  # right header, garbage after it
    ],
    ids=["random-bytes", "text", "corrupt-sqlite"],
)
def test_non_sqlite_file_is_refused_and_left_untouched(data_dir: Path, content: bytes) -> None:
    data_dir.mkdir()
    db_path = data_dir / DB_NAME
    db_path.write_bytes(content)
    before = _snapshot(db_path)

    with pytest.raises(NotADatabaseError) as info:
        open_data_folder(data_dir)

    assert str(db_path) in str(info.value)
    assert "untouched" in str(info.value)
    assert _snapshot(db_path) == before
    assert db_path.read_bytes() == content
    assert sorted(os.listdir(data_dir)) == [DB_NAME]


def test_sqlite_database_of_another_program_is_refused(data_dir: Path) -> None:
    data_dir.mkdir()
    db_path = data_dir / DB_NAME
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO contacts (name) VALUES ('someone')")
    conn.commit()
    conn.close()
    before = _snapshot(db_path)

    with pytest.raises(NotADatabaseError) as info:
        open_data_folder(data_dir)

    assert "another program" in str(info.value)
    assert _snapshot(db_path) == before
    assert sorted(os.listdir(data_dir)) == [DB_NAME]
    assert _tables(db_path) == {"contacts"}


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_text("not a folder")
    with pytest.raises(DataFolderError, match="is a file"):
        open_data_folder(path)
    assert path.read_text() == "not a folder"


def test_data_dir_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataFolderError, match="Cannot create"):
        open_data_folder(tmp_path / "file" / "data")


def test_database_path_that_is_a_folder_is_refused(data_dir: Path) -> None:
    (data_dir / DB_NAME).mkdir(parents=True)
    with pytest.raises(DataFolderError, match="is a folder"):
        open_data_folder(data_dir)
    assert not (data_dir / VAULT_NAME).exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_data_dir_is_refused(data_dir: Path) -> None:  # pragma: no cover - not run as root
    data_dir.mkdir(mode=0o500)
    try:
        with pytest.raises(DataFolderError, match="cannot be read and written"):
            open_data_folder(data_dir)
    finally:
        data_dir.chmod(0o700)


def test_read_schema_revision(tmp_path: Path) -> None:
    assert read_schema_revision(tmp_path / "missing.db") is None
    empty_sqlite = tmp_path / "empty.db"
    sqlite3.connect(empty_sqlite).execute("PRAGMA user_version=1").connection.close()
    assert empty_sqlite.stat().st_size > 0
    assert read_schema_revision(empty_sqlite) is None
    stamped = tmp_path / "stamped.db"
    _make_stamped_db(stamped, "0001_initial")
    before = _snapshot(stamped)
    assert read_schema_revision(stamped) == "0001_initial"
    assert _snapshot(stamped) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "stamped.db"]


# --- where the data folder is ------------------------------------------------------------------------------


def test_resolve_data_dir_cli_value_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from-env"))
    assert resolve_data_dir(str(tmp_path / "from-cli")) == tmp_path / "from-cli"
    assert resolve_data_dir(tmp_path / "from-cli") == tmp_path / "from-cli"


def test_resolve_data_dir_env_beats_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, f"  {tmp_path / 'from-env'}  ")
    assert resolve_data_dir() == tmp_path / "from-env"
    assert resolve_data_dir(None) == tmp_path / "from-env"
    assert resolve_data_dir("") == tmp_path / "from-env"


def test_resolve_data_dir_default(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_data_dir() == default_data_dir()
    monkeypatch.setenv(ENV_VAR, "   ")  # blank means unset
    assert resolve_data_dir() == default_data_dir()
    assert default_data_dir().name == "SecondOpinion"
    if sys.platform.startswith("linux"):
        assert default_data_dir() == Path(os.environ["XDG_DATA_HOME"]) / "SecondOpinion"


def test_resolve_data_dir_makes_paths_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_data_dir("rel") == tmp_path / "rel"
    assert resolve_data_dir("~/so") == tmp_path / "home" / "so"
    monkeypatch.setenv(ENV_VAR, "~/env-so")
    assert resolve_data_dir() == tmp_path / "home" / "env-so"
    monkeypatch.setenv(ENV_VAR, "env-rel")
    assert resolve_data_dir() == tmp_path / "env-rel"


def test_a_change_that_reads_first_waits_for_another_writer_instead_of_failing(data_dir: Path) -> None:
    """Two changes at once (the window's autosave while an import commits): the one that read first must not fail
    with "database is locked" when the other commits in between; each waits its turn (BEGIN IMMEDIATE)."""
    import threading

    from secondopinion_desktop.core.records import create_record, list_record_rows

    folder = open_data_folder(data_dir)
    read_done, other_started, other_done = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def other() -> None:
        try:
            assert read_done.wait(10)
            other_started.set()
            with folder.session() as session:
                create_record(session, "lab", "From the other writer")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            other_done.set()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        with folder.session() as session:
            before = len(list_record_rows(session))
            read_done.set()
            assert other_started.wait(10)
            other_done.wait(0.5)  # the other writer would commit now if this transaction held no lock
            create_record(session, "lab", "From the first writer")
    finally:
        thread.join(10)
    try:
        assert failures == []
        with folder.session() as session:
            assert len(list_record_rows(session)) == before + 2
    finally:
        folder.close()
