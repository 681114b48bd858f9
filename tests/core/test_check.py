"""Check data: a healthy folder is ok; missing, damaged, orphaned and temporary files and a damaged database are
found; repair removes only orphans and temporary files, after a backup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secondopinion_desktop.core.backup import list_backups, restore_backup, verify_backup
from secondopinion_desktop.core.check import check_data, repair
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.models import Attachment
from secondopinion_desktop.core.records import list_records


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "data"
    with open_data_folder(path) as folder:
        fill_demo_data(folder)
    return path


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    opened = open_data_folder(target)
    yield opened
    opened.close()


def test_healthy_demo_folder_is_ok(demo) -> None:  # type: ignore[no-untyped-def]
    report = check_data(demo)
    assert report.ok, report.lines()
    assert report.checked_files == len(list(demo.vault.stored())) > 5
    assert report.lines()[-1] == "Everything is in order."
    assert repair(demo, report) == []  # nothing to do: no backup made either
    assert list_backups(demo) == []


def test_check_finds_missing_damaged_orphan_and_temp_files_and_repair_removes_only_the_safe_ones(
    demo, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with demo.session() as session:
        shas = sorted({a.sha256 for a in session.query(Attachment)})
        names = {a.sha256: a.original_name for a in session.query(Attachment)}
        records_before = [r.to_json() for r in list_records(session)]
    missing, damaged = shas[0], shas[1]
    demo.vault.path_for(missing).unlink()
    damaged_path = demo.vault.path_for(damaged)
    damaged_path.write_bytes(b"tampered" + damaged_path.read_bytes()[8:])
    damaged_bytes = damaged_path.read_bytes()
    source = tmp_path / "stray.txt"
    source.write_bytes(b"a file nothing refers to")
    orphan = demo.vault.store(source).sha256
    temp = demo.vault.root / ".tmp-leftover"
    temp.write_bytes(b"half a copy")
    _age_by_two_hours(demo.vault.path_for(orphan), temp)  # left by a crash: older than any operation in progress

    report = check_data(demo)
    assert not report.ok
    assert report.integrity == [] and report.foreign_keys == []
    assert len(report.missing_files) >= 1 and all(missing in m for m in report.missing_files)
    assert names[missing] in report.missing_files[0]
    assert all(damaged in d for d in report.damaged_files) and report.damaged_files
    assert report.orphan_files == [orphan]
    assert report.temp_files == [str(temp)]
    text = "\n".join(report.lines())
    assert orphan in text and str(temp) in text and missing in text and damaged in text

    done = repair(demo, report)
    assert done[0].startswith("Made a backup first:")
    kept = list_backups(demo)
    assert len(kept) == 1
    manifest = verify_backup(kept[0])  # the backup holds the orphan: it was made before anything was removed
    assert f"vault/{orphan[:2]}/{orphan}" in {f.name for f in manifest.files}
    assert any(orphan in line for line in done) and any(str(temp) in line for line in done)
    assert not demo.vault.exists(orphan) and not temp.exists()
    assert damaged_path.read_bytes() == damaged_bytes  # damaged files are reported, never touched
    with demo.session() as session:
        assert [r.to_json() for r in list_records(session)] == records_before  # rows untouched

    after = check_data(demo)
    assert after.orphan_files == [] and after.temp_files == []
    assert after.missing_files == report.missing_files and after.damaged_files == report.damaged_files

    # The backup made first brings the orphan back when restored.
    restored = restore_backup(kept[0], tmp_path / "restored")
    with open_data_folder(restored) as again:
        assert again.vault.exists(orphan)


def _age_by_two_hours(*paths: Path) -> None:
    import os
    import time

    then = time.time() - 7200
    for path in paths:
        os.utime(path, (then, then))


def test_corrupted_database_page_is_reported_without_a_traceback(demo) -> None:  # type: ignore[no-untyped-def]
    demo.engine.dispose()  # all connections closed: the WAL is folded into the file
    db = demo.db_path
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    for offset in range(middle, middle + 8192, 61):  # overwrite bytes across pages in the middle of the file
        data[offset:offset + 13] = b"\xde\xad\xbe\xef garbage"
    db.write_bytes(bytes(data))

    report = check_data(demo)
    assert not report.ok
    assert report.integrity, report
    assert report.orphan_files == []  # nothing is provably orphaned when the database cannot be trusted
    lines = report.lines()
    assert lines[0].startswith("Database integrity:") and "problem" in lines[0]
    assert repair(demo, report) == []  # nothing it may remove
    assert db.read_bytes() == bytes(data)  # the check and the repair never wrote to the damaged database


def test_imaging_files_count_as_references(demo) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.models import ImagingFile

    source = demo.path.parent / "image.dcm"
    source.write_bytes(b"DICM-ish bytes")
    stored = demo.vault.store(source)
    with demo.session() as session:
        record_id = list_records(session)[0].id
        session.add(ImagingFile(record_id=record_id, sha256=stored.sha256, size=stored.size, relative_path="IM1"))
    report = check_data(demo)
    assert report.ok, report.lines()


def test_start_up_sweep_removes_only_old_unreferenced_files(folder, tmp_path) -> None:
    import os
    import time

    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.core.check import sweep_orphans

    kept_src = tmp_path / "kept.pdf"
    kept_src.write_bytes(b"%PDF-1.4 attached")
    with folder.session() as s:
        record = svc.create_record(s, "lab", "CBC")
    kept = svc.attach_file(folder, record.id, kept_src)
    old_src = tmp_path / "old.bin"
    old_src.write_bytes(b"left by a crash long ago")
    old = folder.vault.store(old_src)
    new_src = tmp_path / "new.bin"
    new_src.write_bytes(b"another process just copied me")
    new = folder.vault.store(new_src)
    two_hours_ago = time.time() - 7200
    for sha in (old.sha256, kept.sha256):
        os.utime(folder.vault.path_for(sha), (two_hours_ago, two_hours_ago))

    assert sweep_orphans(folder) == [old.sha256]
    assert not folder.vault.exists(old.sha256)
    assert folder.vault.exists(kept.sha256), "referenced files stay whatever their age"
    assert folder.vault.exists(new.sha256), "a recent copy may still be waiting for its row"
