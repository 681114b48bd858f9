"""Backups and restore: a faithful round trip, the old data kept, hostile archives refused with nothing changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from secondopinion_desktop.core.backup import (
    ROOT,
    BackupError,
    automatic_backup,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from secondopinion_desktop.core.db import SCHEMA_HEAD, open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.records import create_record, list_records


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "data"
    with open_data_folder(path) as folder:
        fill_demo_data(folder)
    return path


@pytest.fixture(scope="module")
def good_archive(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("archive") / "good.zip"
    with open_data_folder(demo_template) as folder:
        create_backup(folder, out)
    return out


@pytest.fixture
def demo_dir(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    return target


def file_hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its SHA-256 (and every folder), to prove nothing changed."""
    result = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        result[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
    return result


def records_json(data_dir: Path) -> str:
    with open_data_folder(data_dir) as folder, folder.session() as session:
        return json.dumps([r.to_json() for r in list_records(session)], sort_keys=True, default=str)


def vault_contents(data_dir: Path) -> dict[str, str]:
    return file_hashes(data_dir / "vault")


def test_backup_then_restore_gives_identical_records_and_vault(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    seen: list[tuple[int, int]] = []
    with open_data_folder(demo_dir) as folder:
        assert create_backup(folder, out, progress=lambda d, t: seen.append((d, t))) == out
        stored = sorted(folder.vault.stored())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert seen and seen[-1][0] == seen[-1][1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.zip", "demo"]  # no temporary file left
    with zipfile.ZipFile(out) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    assert f"{ROOT}/manifest.json" in infos and f"{ROOT}/secondopinion.db" in infos
    vault_entries = [n for n in infos if n.startswith(f"{ROOT}/vault/")]
    assert sorted(n.rsplit("/", 1)[1] for n in vault_entries) == stored
    assert all(infos[n].compress_type == zipfile.ZIP_STORED for n in vault_entries)
    assert infos[f"{ROOT}/secondopinion.db"].compress_type == zipfile.ZIP_DEFLATED

    manifest = verify_backup(out)
    assert manifest.schema == SCHEMA_HEAD and manifest.format == 1
    assert {f.name for f in manifest.files} == {"secondopinion.db"} | {n[len(ROOT) + 1:] for n in vault_entries}

    new_dir = tmp_path / "restored"
    assert restore_backup(out, new_dir) == new_dir.absolute()
    assert records_json(new_dir) == records_json(demo_dir)
    assert vault_contents(new_dir) == vault_contents(demo_dir)
    assert stat.S_IMODE(new_dir.stat().st_mode) == 0o700
    assert not (new_dir / "backups").exists()  # nothing was there before, so nothing was kept
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_restore_over_existing_data_keeps_it_as_a_backup(good_archive: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "mine"
    with open_data_folder(data_dir) as folder, folder.session() as session:
        create_record(session, "lab", "My only record")
    (data_dir / "backups").mkdir()
    earlier = data_dir / "backups" / "secondopinion-backup-20200101-120000.zip"
    earlier.write_bytes(b"an earlier backup")

    restore_backup(good_archive, data_dir)

    titles = json.loads(records_json(data_dir))
    assert "My only record" not in [r["title"] for r in titles] and len(titles) > 10
    backups = list_backups(data_dir)
    assert earlier.name in [p.name for p in backups]  # the older backups moved over
    kept = [p for p in backups if p.name.endswith("-before-restore.zip")]
    assert len(kept) == 1 and backups[0] == kept[0]
    assert (data_dir / "backups" / earlier.name).read_bytes() == b"an earlier backup"
    verify_backup(kept[0])
    back = tmp_path / "back"
    restore_backup(kept[0], back)
    assert [r["title"] for r in json.loads(records_json(back))] == ["My only record"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no .old or staging folder left


# ------------------------------------------------------------------------------------------- hostile archives


def _entries(archive: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(archive) as zf:
        return [(i, zf.read(i)) for i in zf.infolist()]


def _write(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicated names
        with zipfile.ZipFile(path, "w") as zf:
            for info, data in entries:
                zf.writestr(info, data)
    return path


def _manifest_edit(entries, change):  # type: ignore[no-untyped-def]
    out = []
    for info, data in entries:
        if info.filename.endswith("manifest.json"):
            manifest = json.loads(data)
            change(manifest)
            data = json.dumps(manifest).encode()
        out.append((info, data))
    return out


def _first_vault(entries):  # type: ignore[no-untyped-def]
    return next(i for i, (info, _) in enumerate(entries) if "/vault/" in info.filename)


def make_symlink(good: Path, path: Path) -> Path:
    link = zipfile.ZipInfo(f"{ROOT}/vault/evil")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _write(path, [*_entries(good), (link, b"/etc/passwd")])


def make_dotdot(good: Path, path: Path) -> Path:
    return _write(path, [*_entries(good), (f"{ROOT}/../x", b"escape")])


def make_absolute(good: Path, path: Path) -> Path:
    return _write(path, [*_entries(good), ("/abs/x", b"escape")])


def make_backslash(good: Path, path: Path) -> Path:
    return _write(path, [*_entries(good), (f"{ROOT}\\..\\x", b"escape")])


def make_outside_root(good: Path, path: Path) -> Path:
    return _write(path, [*_entries(good), ("elsewhere/x", b"stray")])


def make_duplicate(good: Path, path: Path) -> Path:
    entries = _entries(good)
    info, _ = entries[_first_vault(entries)]
    return _write(path, [*entries, (info.filename, b"a second file under the same name")])


def make_wrong_hash(good: Path, path: Path) -> Path:
    entries = _entries(good)
    i = _first_vault(entries)
    info, data = entries[i]
    entries[i] = (info, bytes([data[0] ^ 0xFF]) + data[1:])  # same size, different content
    return _write(path, entries)


def make_wrong_size(good: Path, path: Path) -> Path:
    entries = _entries(good)
    i = _first_vault(entries)
    entries[i] = (entries[i][0], entries[i][1] + b"more")
    return _write(path, entries)


def make_newer_schema(good: Path, path: Path) -> Path:
    return _write(path, _manifest_edit(_entries(good), lambda m: m.update(schema="9999_from_the_future")))


def make_newer_format(good: Path, path: Path) -> Path:
    return _write(path, _manifest_edit(_entries(good), lambda m: m.update(format=99)))


def make_unknown_file(good: Path, path: Path) -> Path:
    return _write(path, [*_entries(good), (f"{ROOT}/vault/notes.txt", b"not in the manifest")])


def make_missing_file(good: Path, path: Path) -> Path:
    entries = _entries(good)
    del entries[_first_vault(entries)]
    return _write(path, entries)


def make_no_manifest(good: Path, path: Path) -> Path:
    return _write(path, [(i, d) for i, d in _entries(good) if not i.filename.endswith("manifest.json")])


def make_truncated(good: Path, path: Path) -> Path:
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def make_not_a_zip(good: Path, path: Path) -> Path:
    path.write_text("This is a README, not a backup.\n")
    return path


HOSTILE = {
    "symlink entry": (make_symlink, "symbolic link"),
    "dot-dot path": (make_dotdot, "'..'"),
    "absolute path": (make_absolute, "absolute path"),
    "backslash path": (make_backslash, "backslash"),
    "outside the root": (make_outside_root, "outside the archive"),
    "duplicated name": (make_duplicate, "appears 2 times"),
    "wrong hash": (make_wrong_hash, "does not match its SHA-256"),
    "wrong size": (make_wrong_size, "size"),
    "newer schema": (make_newer_schema, "newer version of Second Opinion (database schema 9999_from_the_future)"),
    "newer format": (make_newer_format, "newer version of Second Opinion (backup format 99)"),
    "unknown extra file": (make_unknown_file, "not listed in its manifest"),
    "manifest entry missing": (make_missing_file, "listed in its manifest is missing"),
    "no manifest": (make_no_manifest, "has no secondopinion-backup/manifest.json"),
    "truncated zip": (make_truncated, "not a zip archive, or truncated"),
    "not a zip": (make_not_a_zip, "not a zip archive, or truncated"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_archive_is_refused_and_nothing_changes(
    case: str, good_archive: Path, demo_dir: Path, tmp_path: Path
) -> None:
    make, fragment = HOSTILE[case]
    archive = make(good_archive, tmp_path / "hostile.zip")
    before = file_hashes(demo_dir)
    siblings = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(BackupError) as verified:
        verify_backup(archive)
    with pytest.raises(BackupError) as restored:
        restore_backup(archive, demo_dir)

    for exc in (verified.value, restored.value):
        message = str(exc)
        assert fragment in message, message
        assert "hostile.zip" in message and "\n" not in message
    assert "nothing was changed" in str(restored.value)
    assert file_hashes(demo_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings
    assert not (tmp_path / "x").exists()


def test_hostile_entry_names_are_named_in_the_message(good_archive: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"secondopinion-backup/\.\./x"):
        verify_backup(make_dotdot(good_archive, tmp_path / "a.zip"))
    with pytest.raises(BackupError, match="/abs/x"):
        verify_backup(make_absolute(good_archive, tmp_path / "b.zip"))


def test_good_archive_verifies(good_archive: Path) -> None:
    assert verify_backup(good_archive).vault_files > 5


# ----------------------------------------------------------------------------------------------- cancelling


def _cancel_after(n: int):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > n

    return cancelled


@pytest.mark.parametrize("after", [0, 3, 15])
def test_cancel_mid_backup_leaves_no_file(demo_dir: Path, tmp_path: Path, after: int) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with open_data_folder(demo_dir) as folder, pytest.raises(Cancelled):
        create_backup(folder, out_dir / "b.zip", cancelled=_cancel_after(after))
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("after", [2, 30, 60])
def test_cancel_mid_restore_leaves_data_as_it_was(
    good_archive: Path, demo_dir: Path, tmp_path: Path, after: int
) -> None:
    with open_data_folder(demo_dir) as folder, folder.session() as session:
        create_record(session, "lab", "Only here")
    before = file_hashes(demo_dir)
    siblings = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(Cancelled):
        restore_backup(good_archive, demo_dir, cancelled=_cancel_after(after))
    assert file_hashes(demo_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings


def test_backup_into_a_missing_folder_is_a_clear_error(folder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BackupError, match="does not exist"):
        create_backup(folder, tmp_path / "nowhere" / "b.zip")


# ------------------------------------------------------------------------------------------ automatic backups


def test_automatic_backup_once_a_day_and_pruned(folder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with folder.session() as session:
        create_record(session, "lab", "Blood count")
    day = dt.datetime(2024, 3, 1, 9, 30, 0)
    first = automatic_backup(folder, keep=3, now=day)
    assert first is not None and first.name == "secondopinion-backup-20240301-093000.zip"
    assert stat.S_IMODE((folder.path / "backups").stat().st_mode) == 0o700
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert automatic_backup(folder, keep=3, now=day.replace(hour=18)) is None  # same calendar day
    made = [first]
    for n in range(1, 6):
        made.append(automatic_backup(folder, keep=3, now=day + dt.timedelta(days=n)))  # type: ignore[arg-type]
    remaining = list_backups(folder)
    assert remaining == made[-1:-4:-1]  # the newest three, newest first
    assert list_backups(folder.path / "backups") == remaining
    verify_backup(remaining[0])


def test_automatic_backup_names_the_person_and_keeps_the_data_kept_before_a_restore(folder) -> None:
    from secondopinion_desktop.core.profile import save_profile

    with folder.session() as session:
        save_profile(session, name="José O'Brien")
    backups = folder.path / "backups"
    backups.mkdir(mode=0o700)
    kept = [backups / f"secondopinion-backup-2024010{n}-080000-{what}.zip" for n, what in enumerate(
        ("before-restore", "before-restore-2", "before-repair", "before-repair-3"), start=1)]
    for path in kept:
        path.write_bytes(b"the data as it was before a restore or a repair")
    day = dt.datetime(2024, 3, 1, 9, 30, 0)
    today_repair = backups / "secondopinion-backup-20240301-080000-before-repair.zip"
    today_repair.write_bytes(b"kept before this morning's repair")
    first = automatic_backup(folder, keep=1, now=day)
    assert first is not None, "a backup kept before a repair is not today's automatic one"
    assert first.name == "secondopinion-backup-20240301-093000-of-jose-obrien.zip"
    assert automatic_backup(folder, keep=1, now=day.replace(hour=20)) is None, "still once a day"
    second = automatic_backup(folder, keep=1, now=day + dt.timedelta(days=1))
    assert second is not None and not first.exists(), "older automatic backups are pruned"
    assert all(path.exists() for path in [*kept, today_repair]), "what was kept before a restore/repair stays"
    assert set(list_backups(folder)) == {second, today_repair, *kept}


def test_summary_of_a_backup(demo_dir: Path, tmp_path: Path) -> None:
    from secondopinion_desktop.core.backup import summarize_backup

    folder = open_data_folder(demo_dir)
    try:
        archive = create_backup(folder, tmp_path / "b.zip")
        with folder.session() as session:
            count = len(list_records(session))
    finally:
        folder.close()
    summary = summarize_backup(archive)
    assert summary is not None and (summary.name, summary.records) == ("Alex Sample", count)
    assert summary.last_changed is not None
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"PK nothing")
    assert summarize_backup(not_zip) is None


def test_what_a_killed_backup_left_beside_its_archive_is_swept_by_the_next(folder, tmp_path: Path) -> None:
    """A killed backup leaves its database snapshot and partial archive in a hidden folder beside the target;
    the next backup there removes it once its process is gone, and leaves a running backup's folder alone."""
    import os
    import subprocess

    out = tmp_path / "usb"
    out.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = out / f".tmp-backup-{dead.pid}-abc123"
    left.mkdir()
    (left / "secondopinion.db").write_bytes(b"a snapshot with the patient's records")
    running = out / f".tmp-backup-{os.getppid()}-def456"  # a live process (the test runner's parent)
    running.mkdir()
    create_backup(folder, out / "b.zip")
    assert not left.exists(), "the killed backup's leftovers are gone"
    assert running.exists(), "a backup still running is left alone"
    assert sorted(p.name for p in out.iterdir()) == sorted(["b.zip", running.name])


def test_a_database_that_cannot_be_copied_is_refused_in_one_sentence_on_python_3_10(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.10's sqlite3 has no SQLITE_FULL constant: a failed snapshot must still be a BackupError."""
    import sqlite3

    from secondopinion_desktop.core import backup

    db = tmp_path / "secondopinion.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE other (x)")  # a SQLite file, but no schema revision table to read
    conn.commit()
    conn.close()
    monkeypatch.delattr(sqlite3, "SQLITE_FULL", raising=False)
    with pytest.raises(BackupError, match="could not be copied for the backup"):
        backup._snapshot_database(db, tmp_path / "snapshot.db")
