"""Upgrading an older data folder: every step in order, data kept, a backup taken first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers.folders import make_folder_at

from secondopinion_desktop.core.db import SCHEMA_HEAD, SCHEMA_REVISIONS, open_data_folder, read_schema_revision


def test_a_folder_from_the_first_version_is_upgraded_with_its_records_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_folder_at(data, SCHEMA_REVISIONS[0])
    db = data / "secondopinion.db"
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO record (kind, title, status, summary, notes, imaging_modality, imaging_body_region, "
        "accession_number, specimen_site, material_holder, created_at, updated_at) VALUES "
        "('pathology', 'Core biopsy report', 'received', '', '', '', '', '', '', '', '2026-01-01', '2026-01-01')"
    )
    conn.commit()
    conn.close()
    old_bytes = db.read_bytes()
    assert read_schema_revision(db) == SCHEMA_REVISIONS[0]

    folder = open_data_folder(data)
    try:
        assert read_schema_revision(db) == SCHEMA_HEAD
        from secondopinion_desktop.core.checklist import list_checklist
        from secondopinion_desktop.core.records import list_records

        with folder.session() as session:
            assert [r.title for r in list_records(session)] == ["Core biopsy report"]
            assert len(list_checklist(session)) >= 10  # the tables added later work
    finally:
        folder.close()
    from secondopinion_desktop.core.people import summarize_folder

    changed = summarize_folder(data).last_changed  # seeded from the rows' own times by migration 0005
    assert changed is not None and changed.year >= 2026
    backup = data / f"secondopinion.db.schema-{SCHEMA_REVISIONS[0]}.bak"
    assert backup.is_file() and (backup.stat().st_mode & 0o777) == 0o600
    check = sqlite3.connect(backup)
    try:
        assert check.execute("SELECT title FROM record").fetchall() == [("Core biopsy report",)]
        assert check.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_REVISIONS[0],)
    finally:
        check.close()
    assert len(old_bytes) > 0


def test_each_revision_upgrades_to_the_head(tmp_path: Path) -> None:
    for i, revision in enumerate(SCHEMA_REVISIONS):
        data = tmp_path / f"data-{i}"
        make_folder_at(data, revision)
        open_data_folder(data).close()
        assert read_schema_revision(data / "secondopinion.db") == SCHEMA_HEAD
