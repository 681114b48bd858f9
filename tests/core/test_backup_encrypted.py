"""Backups of an encrypted folder: encrypted themselves (the database under SQLCipher, the sealed files as they
are, keyed digests in the manifest, no name in the file name), restored only with the passphrase or the recovery
key; tampering refused with nothing changed; the repair's backup and the data kept before a restore too."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

from sqlalchemy import func, select

from secondopinion_desktop.core.backup import (
    ROOT,
    BackupError,
    BackupLocked,
    automatic_backup,
    backup_keyring,
    create_backup,
    restore_backup_with_details,
    summarize_backup,
    unlock_backup,
    verify_backup,
)
from secondopinion_desktop.core.check import check_data, repair
from secondopinion_desktop.core.crypto.convert import encrypt_folder
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams, WrongSecret, new_recovery_key
from secondopinion_desktop.core.crypto.seal import FolderKey, is_encrypted, unlock_folder
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.lock import folder_lock
from secondopinion_desktop.core.models import Attachment, Record
from secondopinion_desktop.core.profile import get_profile

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
PASS = "correct horse battery staple"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    where = tmp_path_factory.mktemp("sealed") / "data"
    folder = open_data_folder(where)
    fill_demo_data(folder)
    folder.close()
    recovery = new_recovery_key()
    with folder_lock(where, "encrypt") as lock:
        encrypt_folder(where, PASS, recovery, lock=lock, params=FAST)
    return where, recovery


@pytest.fixture
def sealed(template: tuple[Path, str], tmp_path: Path) -> tuple[Path, FolderKey, str]:
    where = tmp_path / "data"
    shutil.copytree(template[0], where, symlinks=True)
    return where, unlock_folder(where, passphrase=PASS), template[1]


def _contents(where: Path, key: FolderKey | None) -> tuple[int, dict[str, bytes]]:
    folder = open_data_folder(where, key=key)
    try:
        with folder.session() as s:
            records = s.execute(select(func.count()).select_from(Record)).scalar_one()
            digests = sorted(set(s.execute(select(Attachment.sha256)).scalars()))
        return records, {sha: folder.vault.read_verified(sha) for sha in digests}
    finally:
        folder.close()


def _backup(where: Path, key: FolderKey, out: Path) -> Path:
    folder = open_data_folder(where, key=key)
    try:
        return create_backup(folder, out)
    finally:
        folder.close()


def _rewrite(archive: Path, target: Path, change) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(archive) as zf:
        entries = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(target, "w") as zf:
        for info, data in entries:
            zf.writestr(info, change(info.filename, data))
    return target


def test_the_backup_is_encrypted_and_restores_with_the_passphrase_or_the_recovery_key(
        sealed: tuple[Path, FolderKey, str], tmp_path: Path) -> None:
    where, key, recovery = sealed
    expected = _contents(where, key)
    with open_data_folder(where, key=key) as folder, folder.dry_run() as session:
        profile_name = get_profile(session).name
    archive = _backup(where, key, tmp_path / "b.zip")
    raw = archive.read_bytes()
    assert profile_name and profile_name.encode() not in raw
    for sha, data in expected[1].items():
        assert data[:64] not in raw and sha.encode() not in raw
    assert b"CREATE TABLE" not in raw
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(f"{ROOT}/manifest.json"))
    assert manifest["format"] == 2 and manifest["key_id"] == key.key_id
    assert all("hmac_sha256" in f and "sha256" not in f for f in manifest["files"])

    with pytest.raises(BackupLocked):
        verify_backup(archive)
    assert verify_backup(archive, key).vault_files == len(list((where / "vault").glob("??/*")))
    assert summarize_backup(archive) is None
    summary = summarize_backup(archive, key)
    assert summary is not None and summary.name == profile_name and summary.records == expected[0]
    with pytest.raises(WrongSecret):
        unlock_backup(archive, passphrase="not it")
    assert unlock_backup(archive, passphrase=PASS).key_id == key.key_id  # type: ignore[union-attr]
    opened = unlock_backup(archive, recovery_key=recovery)
    assert opened is not None and opened.key_id == key.key_id

    new = tmp_path / "restored"
    with pytest.raises(BackupLocked):
        restore_backup_with_details(archive, new)
    assert not new.exists()
    result = restore_backup_with_details(archive, new, key=opened)
    assert result.kept is None and is_encrypted(new)
    assert _contents(new, unlock_folder(new, passphrase=PASS)) == expected
    folder = open_data_folder(new, key=key)
    try:
        assert check_data(folder).ok
    finally:
        folder.close()


def test_tampering_with_an_encrypted_backup_is_refused_and_nothing_changes(
        sealed: tuple[Path, FolderKey, str], tmp_path: Path) -> None:
    where, key, _ = sealed
    archive = _backup(where, key, tmp_path / "b.zip")

    def flip_vault(name: str, data: bytes) -> bytes:
        if "/vault/" in name and not flip_vault.done:  # type: ignore[attr-defined]
            flip_vault.done = True  # type: ignore[attr-defined]
            return data[:50] + bytes([data[50] ^ 1]) + data[51:]
        return data
    flip_vault.done = False  # type: ignore[attr-defined]

    def forge_manifest(name: str, data: bytes) -> bytes:
        """Change a file and give it a plain SHA-256 in the manifest: without the key no digest matches."""
        if name.endswith("manifest.json"):
            manifest = json.loads(data)
            manifest["files"][0]["hmac_sha256"] = hashlib.sha256(b"other").hexdigest()
            return json.dumps(manifest).encode()
        return data

    def drop_keys(name: str, data: bytes) -> bytes:
        if name.endswith("manifest.json"):
            manifest = json.loads(data)
            manifest["files"] = [f for f in manifest["files"] if f["name"] != "keys.json"]
            return json.dumps(manifest).encode()
        return data

    target = tmp_path / "target"
    shutil.copytree(where, target, symlinks=True)
    before = {p: p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file()}
    for change, said in ((flip_vault, "does not match"), (forge_manifest, "does not match"),
                         (drop_keys, "holds no key file")):
        bad = _rewrite(archive, tmp_path / f"bad-{change.__name__}.zip", change)
        with pytest.raises(BackupError, match=said):
            verify_backup(bad, key)
        with pytest.raises(BackupError, match="nothing was changed"):
            restore_backup_with_details(bad, target, key=key, current_key=key)
        assert {p: p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file()} == before
    other = FolderKey.from_data_key(bytes(32))
    with pytest.raises(BackupError, match="other keys"):
        verify_backup(archive, other)


def test_restoring_over_an_encrypted_folder_keeps_it_as_an_encrypted_backup(
        sealed: tuple[Path, FolderKey, str], tmp_path: Path) -> None:
    where, key, _ = sealed
    archive = _backup(where, key, tmp_path / "b.zip")
    with pytest.raises(BackupLocked, match="unlock it first"):
        restore_backup_with_details(archive, where, key=key)
    result = restore_backup_with_details(archive, where, key=key, current_key=key)
    assert result.kept is not None and result.kept.is_file()
    assert backup_keyring(result.kept) is not None
    assert verify_backup(result.kept, key).encrypted


def test_a_backup_from_before_the_passphrase_changed_keeps_today_s_passphrase(
        sealed: tuple[Path, FolderKey, str], tmp_path: Path) -> None:
    """Same data key, wrapped the old way in the backup: the restored folder opens with the passphrase it has now,
    not with the one given up (nor the backup's own)."""
    from secondopinion_desktop.core.crypto.convert import change_passphrase

    where, key, recovery = sealed
    archive = _backup(where, key, tmp_path / "before.zip")
    change_passphrase(where, key, "a new passphrase, long enough", params=FAST)
    assert unlock_backup(archive, passphrase=PASS).key_id == key.key_id, "the backup itself keeps its old keys"
    restore_backup_with_details(archive, where, key=key, current_key=key)
    assert unlock_folder(where, passphrase="a new passphrase, long enough").key_id == key.key_id
    assert unlock_folder(where, recovery_key=recovery).key_id == key.key_id
    with pytest.raises(WrongSecret):
        unlock_folder(where, passphrase=PASS)
    assert _contents(where, key)[0] > 0


def test_a_backup_under_other_keys_restores_under_its_own(
        sealed: tuple[Path, FolderKey, str], tmp_path: Path) -> None:
    """A backup of another encrypted folder (or of this one before protection was turned off and on again):
    the restored folder opens with that backup's passphrase, and the data it replaces was kept under today's."""
    where, key, _ = sealed
    other = tmp_path / "other"
    folder = open_data_folder(other)
    fill_demo_data(folder)
    folder.close()
    with folder_lock(other, "encrypt") as lock:
        encrypt_folder(other, "the other folder's passphrase", new_recovery_key(), lock=lock, params=FAST)
    other_key = unlock_folder(other, passphrase="the other folder's passphrase")
    archive = _backup(other, other_key, tmp_path / "other.zip")
    with pytest.raises(BackupError, match="other keys"):
        restore_backup_with_details(archive, where, key=key, current_key=key)
    assert unlock_folder(where, passphrase=PASS).key_id == key.key_id, "refused: nothing changed"
    result = restore_backup_with_details(archive, where, key=other_key, current_key=key)
    assert unlock_folder(where, passphrase="the other folder's passphrase").key_id == other_key.key_id
    with pytest.raises(WrongSecret):
        unlock_folder(where, passphrase=PASS)
    assert result.kept is not None and verify_backup(result.kept, key).encrypted, "kept under today's keys"
    assert _contents(where, other_key)[0] == _contents(other, other_key)[0]


def test_automatic_backups_of_an_encrypted_folder_do_not_name_the_patient(
        sealed: tuple[Path, FolderKey, str]) -> None:
    where, key, _ = sealed
    folder = open_data_folder(where, key=key)
    try:
        made = automatic_backup(folder)
    finally:
        folder.close()
    assert made is not None and "-of-" not in made.name
    assert verify_backup(made, key).encrypted


def test_a_damaged_sealed_file_refuses_the_backup_and_the_repair_backs_up_encrypted(
        sealed: tuple[Path, FolderKey, str], tmp_path: Path) -> None:
    where, key, _ = sealed
    folder = open_data_folder(where, key=key)
    try:
        _records, files = _contents(where, key)
        victim = sorted(files)[0]
        path = folder.vault.path_for(victim)
        data = bytearray(path.read_bytes())
        data[-30] ^= 0x04
        path.write_bytes(bytes(data))
        with pytest.raises(BackupError, match="damaged"):
            create_backup(folder, tmp_path / "refused.zip")
        assert not (tmp_path / "refused.zip").exists()
        orphan = folder.vault.store_bytes(b"a file nothing refers to")
        aged = time.time() - 7200
        os.utime(folder.vault.path_for(orphan.sha256), (aged, aged))
        report = check_data(folder)
        assert report.damaged_files and len(report.orphan_files) == 1
        assert report.orphan_files == [folder.vault.name_of(orphan.sha256)]
        done = repair(folder, report)
    finally:
        folder.close()
    assert done[0].startswith("Made a backup first:")
    kept = Path(done[0].split(": ", 1)[1].split(" (", 1)[0])
    assert verify_backup(kept, key).encrypted and "-of-" not in kept.name
    assert any("Removed the stored file" in line for line in done)
