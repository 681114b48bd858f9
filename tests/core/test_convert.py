"""Turning a folder's encryption on and off, and changing its passphrase: every record and file kept, nothing
readable left behind, damage and cancelling leave the folder as it was, the check works on the result."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

from sqlalchemy import func, select

from secondopinion_desktop.core.check import check_data
from secondopinion_desktop.core.crypto.convert import (
    ConversionError,
    change_passphrase,
    decrypt_folder,
    encrypt_folder,
)
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams, WrongSecret, new_recovery_key
from secondopinion_desktop.core.crypto.seal import is_encrypted, needs_key, unlock_folder
from secondopinion_desktop.core.db import FolderLocked, open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.lock import folder_lock
from secondopinion_desktop.core.models import Attachment, Record
from secondopinion_desktop.core.progress import Cancelled

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
PASS = "correct horse battery staple"


def _contents(folder) -> tuple[int, dict[str, bytes]]:  # type: ignore[no-untyped-def]
    """How many records, and the bytes of every attached file by digest (read through the vault)."""
    with folder.session() as s:
        records = s.execute(select(func.count()).select_from(Record)).scalar_one()
        digests = sorted(set(s.execute(select(Attachment.sha256)).scalars()))
    return records, {sha: folder.vault.read_verified(sha) for sha in digests}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("sample") / "data"
    folder = open_data_folder(where)
    fill_demo_data(folder)
    folder.close()
    return where


@pytest.fixture
def plain(sample: Path, tmp_path: Path) -> Path:
    where = tmp_path / "data"
    shutil.copytree(sample, where, symlinks=True)
    return where


def _plain_contents(where: Path) -> tuple[int, dict[str, bytes]]:
    folder = open_data_folder(where)
    try:
        return _contents(folder)
    finally:
        folder.close()


def _tree_bytes(where: Path) -> dict[str, bytes]:
    return {str(p.relative_to(where)): p.read_bytes() for p in sorted(where.rglob("*"))
            if p.is_file() and not p.is_symlink() and not p.name.startswith(".secondopinion.lock")}


def test_encrypt_keeps_every_record_and_file_and_leaves_nothing_readable(plain: Path) -> None:
    records, files = _plain_contents(plain)
    assert records > 10 and len(files) >= 5
    stored = sum(1 for _ in (plain / "vault").glob("??/*"))
    recovery = new_recovery_key()
    with folder_lock(plain, "encrypt") as lock:
        key, result = encrypt_folder(plain, PASS, recovery, lock=lock, params=FAST)
    assert result.files == stored and result.plain_backups == 0
    assert is_encrypted(plain) and needs_key(plain)
    with pytest.raises(FolderLocked):
        open_data_folder(plain)
    for opened in (unlock_folder(plain, passphrase=PASS), unlock_folder(plain, recovery_key=recovery)):
        assert opened.key_id == key.key_id
        folder = open_data_folder(plain, key=opened)
        try:
            assert _contents(folder) == (records, files)
            assert check_data(folder).ok
        finally:
            folder.close()
    on_disk = b"".join(_tree_bytes(plain).values())
    for sha, data in files.items():
        assert data[:64] not in on_disk
        assert sha.encode() not in on_disk
        assert not list(plain.rglob(sha))
    assert b"CREATE TABLE" not in on_disk
    assert not [p for p in plain.parent.iterdir() if p.name.startswith(".")], "no staging or old folder is left"


def test_wrong_secrets_are_one_sentence(plain: Path) -> None:
    with folder_lock(plain, "encrypt") as lock:
        encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    with pytest.raises(WrongSecret) as wrong:
        unlock_folder(plain, passphrase="not it")
    assert "\n" not in str(wrong.value) and str(wrong.value).endswith(".")
    with pytest.raises(WrongSecret):
        unlock_folder(plain, recovery_key=new_recovery_key())
    with pytest.raises(ConversionError, match="already protected"):
        encrypt_folder(plain, PASS, new_recovery_key(), params=FAST)


def test_change_passphrase_keeps_the_recovery_key_and_the_data(plain: Path) -> None:
    recovery = new_recovery_key()
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, recovery, lock=lock, params=FAST)
    data_before = {k: v for k, v in _tree_bytes(plain).items() if k != "keys.json"}
    change_passphrase(plain, key, "a new long passphrase", params=FAST)
    with pytest.raises(WrongSecret):
        unlock_folder(plain, passphrase=PASS)
    assert unlock_folder(plain, passphrase="a new long passphrase").key_id == key.key_id
    assert unlock_folder(plain, recovery_key=recovery).key_id == key.key_id
    assert {k: v for k, v in _tree_bytes(plain).items() if k != "keys.json"} == data_before
    ring_before = (plain / "keys.json").read_bytes()
    stranger = type(key).from_data_key(bytes(32))
    with pytest.raises(ConversionError, match="not the keys of this folder"):
        change_passphrase(plain, stranger, "whatever it is", params=FAST)
    assert (plain / "keys.json").read_bytes() == ring_before


def test_decrypt_gives_back_the_plain_folder(plain: Path) -> None:
    records, files = _plain_contents(plain)
    stored = sum(1 for _ in (plain / "vault").glob("??/*"))
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
        result = decrypt_folder(plain, key, lock=lock)
    assert result.files == stored
    assert not is_encrypted(plain)
    assert _plain_contents(plain) == (records, files)
    for sha in files:
        assert (plain / "vault" / sha[:2] / sha).is_file()
    folder = open_data_folder(plain)
    try:
        assert check_data(folder).ok
    finally:
        folder.close()
    with pytest.raises(ConversionError, match="not protected"):
        decrypt_folder(plain, key)


def test_a_damaged_stored_file_stops_the_conversion_and_check_names_it(plain: Path) -> None:
    _records, files = _plain_contents(plain)
    victim = sorted(files)[0]
    path = plain / "vault" / victim[:2] / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    before = _tree_bytes(plain)
    damaged = f"^The stored file {victim[:12]}… is damaged.*nothing was changed.$"
    with folder_lock(plain, "encrypt") as lock, pytest.raises(ConversionError, match=damaged):
        encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    assert _tree_bytes(plain) == before
    assert not is_encrypted(plain)


def test_a_tampered_sealed_file_stops_decryption_and_check_reports_it(plain: Path) -> None:
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    folder = open_data_folder(plain, key=key)
    try:
        _records, files = _contents(folder)
        victim = sorted(files)[0]
        sealed = folder.vault.path_for(victim)
    finally:
        folder.close()
    data = bytearray(sealed.read_bytes())
    data[40] ^= 0x80
    sealed.write_bytes(bytes(data))
    before = _tree_bytes(plain)
    with folder_lock(plain, "encrypt") as lock, pytest.raises(ConversionError, match="damaged.*nothing was changed.$"):
        decrypt_folder(plain, key, lock=lock)
    assert _tree_bytes(plain) == before and is_encrypted(plain)
    folder = open_data_folder(plain, key=key)
    try:
        report = check_data(folder)
    finally:
        folder.close()
    assert not report.ok
    assert len(report.damaged_files) >= 1 and all(victim in line for line in report.damaged_files)


def test_a_truncated_sealed_file_is_reported_by_check(plain: Path) -> None:
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    folder = open_data_folder(plain, key=key)
    try:
        _records, files = _contents(folder)
        victim = sorted(files)[-1]
        sealed = folder.vault.path_for(victim)
        sealed.write_bytes(sealed.read_bytes()[:-20])
        missing = sorted(files)[0]
        folder.vault.path_for(missing).unlink()
        report = check_data(folder)
    finally:
        folder.close()
    assert any(victim in line for line in report.damaged_files)
    assert any(missing in line for line in report.missing_files)


def test_a_tampered_database_page_is_reported_by_check(plain: Path) -> None:
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    db = plain / "secondopinion.db"
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    data[6 * 4096 + 200] ^= 0xFF
    db.write_bytes(bytes(data))
    folder = open_data_folder(plain, key=key)
    try:
        report = check_data(folder)
    finally:
        folder.close()
    assert not report.ok
    assert any("HMAC" in line or "damaged" in line for line in report.integrity)


def test_cancelling_leaves_the_folder_as_it_was(plain: Path) -> None:
    before = _tree_bytes(plain)
    calls = {"n": 0}

    def cancel_later() -> bool:
        calls["n"] += 1
        return calls["n"] > 5

    with folder_lock(plain, "encrypt") as lock, pytest.raises(Cancelled):
        encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST, cancelled=cancel_later)
    assert _tree_bytes(plain) == before and not is_encrypted(plain)
    assert not [p for p in plain.parent.iterdir() if p.name.startswith(".")]
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    folder = open_data_folder(plain, key=key)
    try:
        contents = _contents(folder)
    finally:
        folder.close()
    sealed = {k: v for k, v in _tree_bytes(plain).items() if k != "secondopinion.db"}
    calls["n"] = 0
    with folder_lock(plain, "encrypt") as lock, pytest.raises(Cancelled):
        decrypt_folder(plain, key, lock=lock, cancelled=cancel_later)
    # the database was opened (a page written again is sealed afresh), so it is compared by what it holds
    assert {k: v for k, v in _tree_bytes(plain).items() if k != "secondopinion.db"} == sealed
    assert is_encrypted(plain)
    folder = open_data_folder(plain, key=key)
    try:
        assert _contents(folder) == contents
    finally:
        folder.close()


def test_progress_goes_up_to_the_total(plain: Path) -> None:
    seen: list[tuple[int, int]] = []
    with folder_lock(plain, "encrypt") as lock:
        encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST,
                       progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 5
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1]


def test_the_same_content_attached_twice_is_stored_once_sealed(plain: Path, tmp_path: Path) -> None:
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    folder = open_data_folder(plain, key=key)
    try:
        source = tmp_path / "scan.pdf"
        source.write_bytes(b"%PDF-1.4 the same scan twice")
        first = folder.vault.store(source)
        again = folder.vault.store(source)
        assert again.already_present and first.sha256 == again.sha256 == hashlib.sha256(
            source.read_bytes()).hexdigest()
    finally:
        folder.close()


def test_the_packet_is_the_same_from_an_encrypted_folder_and_plain_copies_go_when_it_closes(
        plain: Path, tmp_path: Path) -> None:
    from secondopinion_desktop.core.packet import PacketOptions, build_packet

    folder = open_data_folder(plain)
    try:
        before = build_packet(folder, tmp_path / "plain.pdf", PacketOptions())
    finally:
        folder.close()
    with folder_lock(plain, "encrypt") as lock:
        key, _ = encrypt_folder(plain, PASS, new_recovery_key(), lock=lock, params=FAST)
    folder = open_data_folder(plain, key=key)
    try:
        after = build_packet(folder, tmp_path / "sealed.pdf", PacketOptions())
        copies = [p for p in (plain / ".scratch").rglob("*") if p.is_file()]
        assert copies and all(p.stat().st_mode & 0o077 == 0 for p in copies)
    finally:
        folder.close()
    assert (after.pages, after.included_files, after.problems) == (before.pages, before.included_files,
                                                                   before.problems)
    assert after.included_files > 0
    assert not [p for p in (plain / ".scratch").rglob("*") if p.is_file()], "no plain copy outlives the folder"
