"""Whose records a folder holds (for the window title, Recent, the restore question) and new person folders."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core.errors import DataFolderError
from secondopinion_desktop.core.people import (
    create_person_folder,
    file_name_part,
    new_person_folder,
    summarize_database,
    summarize_folder,
)
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.records import create_record


def test_summary_of_a_folder(folder) -> None:
    with folder.session() as s:
        save_profile(s, name="  Maria   José ", date_of_birth="1961-04-02")
        create_record(s, "lab", "CBC")
        create_record(s, "imaging", "CT")
    summary = summarize_folder(folder.path)
    assert summary is not None
    assert (summary.name, summary.date_of_birth, summary.records) == ("Maria José", dt.date(1961, 4, 2), 2)
    assert summary.last_changed is not None
    assert abs(summary.last_changed - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)


def test_empty_and_unreadable_folders(folder, tmp_path) -> None:
    summary = summarize_folder(folder.path)
    assert summary is not None and (summary.name, summary.records, summary.last_changed) == ("", 0, None)
    assert summary.who() == "someone not named yet"
    assert summarize_folder(tmp_path / "nothing") is None
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 10)
    assert summarize_database(junk) is None


def test_summary_leaves_no_files_behind(folder) -> None:
    folder.close()
    before = sorted(p.name for p in folder.path.iterdir())
    assert summarize_folder(folder.path) is not None
    assert sorted(p.name for p in folder.path.iterdir()) == before


@pytest.mark.parametrize(("name", "part"), [
    ("José O'Brien", "jose-obrien"), ("Anne-Marie  Smith", "anne-marie-smith"), ("右 ", ""),
    ("../../etc/passwd", "etcpasswd"), ("", ""),
])
def test_file_name_part(name, part) -> None:
    assert file_name_part(name) == part


def test_new_person_folder(tmp_path) -> None:
    base = tmp_path / "SecondOpinion"
    target = new_person_folder("Ruth Ng", base)
    assert target == tmp_path / "SecondOpinion-ruth-ng"
    summary = create_person_folder(target, " Ruth  Ng ")
    assert (summary.name, summary.records) == ("Ruth Ng", 0)
    assert new_person_folder("Ruth Ng", base) == tmp_path / "SecondOpinion-ruth-ng-2"
    with pytest.raises(DataFolderError, match="already holds files"):
        create_person_folder(target, "Someone Else")
    with pytest.raises(DataFolderError, match="Type the name"):
        create_person_folder(tmp_path / "x", "   ")


def test_same_name() -> None:
    from secondopinion_desktop.core.people import same_name

    assert same_name("SAMPLE, Alex", "alex sample")
    assert same_name("José Núñez", "Jose Nunez")
    assert not same_name("Alex Sample", "Jamie Sample")


def test_every_change_moves_last_changed_deletions_and_answers_included(folder) -> None:
    """Triggers on every data table keep the folder's last change, so a restore can tell an older backup."""
    import sqlite3

    from sqlalchemy import text

    from secondopinion_desktop.core.models import Base
    from secondopinion_desktop.core.records import delete_record

    with folder.session() as s:
        record = create_record(s, "lab", "CBC")
    assert summarize_folder(folder.path).last_changed is not None
    with folder.session() as s:  # as if the record had been added long ago
        s.execute(text("UPDATE folder_change SET changed_at = '2001-01-01 00:00:00'"))
    assert summarize_folder(folder.path).last_changed.year == 2001
    delete_record(folder, record.id)
    after_delete = summarize_folder(folder.path).last_changed
    assert after_delete is not None and after_delete.year >= 2026, "a deletion counts"

    conn = sqlite3.connect(folder.db_path)
    try:
        stamping = ("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                    "AND name LIKE '%\\_changes\\_folder' ESCAPE '\\'")
        triggers = {row[0] for row in conn.execute(stamping)}
        counts = {t: n for t, n in conn.execute(
            f"SELECT tbl_name, count(*) FROM ({stamping.replace('tbl_name', 'tbl_name, name')}) GROUP BY tbl_name")}
    finally:
        conn.close()
    # a document's text is read from its file, not entered by the patient: reading it is not a change (0008)
    derived = {"document_text", "document_page"}
    data_tables = set(Base.metadata.tables) - {"folder_change"} - derived
    assert triggers == data_tables, "a new table needs its three triggers (see migration 0005)"
    assert set(counts.values()) == {3}
