"""Stored files are only ever read as what they are: a file renamed into the vault moments ago (its rows not yet
committed by the operation in progress) is not removed by repair; links in the vault are never followed; damaged
content never passes as good (vault, check, backup, restore)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.backup import BackupError, create_backup, restore_backup, verify_backup
from secondopinion_desktop.core.check import check_data, repair
from secondopinion_desktop.core.errors import VaultError
from secondopinion_desktop.core.vault import VaultDamaged


def _attached(folder, tmp_path: Path, content: bytes, name: str = "scan.pdf"):  # type: ignore[no-untyped-def]
    src = tmp_path / name
    src.write_bytes(content)
    with folder.session() as s:
        record = svc.create_record(s, "lab", "CBC")
    att = svc.attach_file(folder, record.id, src)
    return record, att


def _age(path: Path, seconds: float = 7200) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


# --- item 1: a file an import in progress has just renamed into the vault ------------------------------------


def test_repair_keeps_a_file_just_renamed_into_the_vault_whose_rows_are_not_committed_yet(folder, tmp_path) -> None:
    src = tmp_path / "IM1.dcm"
    src.write_bytes(b"an image an import has just copied; its row comes after the thumbnails")
    fresh = folder.vault.store(src).sha256  # what import_imaging does before it writes rows
    old_src = tmp_path / "old.bin"
    old_src.write_bytes(b"left behind by a crash long ago")
    old = folder.vault.store(old_src).sha256
    _age(folder.vault.path_for(old))

    report = check_data(folder)
    assert report.orphan_files == [old]
    assert report.recent_files == 1
    assert any("1 stored file from the last hour" in line for line in report.lines())
    done = repair(folder, report)
    assert any(old in line for line in done)
    assert folder.vault.exists(fresh), "repair removed a file an operation in progress still needs"
    assert not folder.vault.exists(old)


def test_repair_rechecks_the_age_right_before_removing(folder, tmp_path) -> None:
    src = tmp_path / "IM1.dcm"
    src.write_bytes(b"stored again by an import since the check ran")
    sha = folder.vault.store(src).sha256
    _age(folder.vault.path_for(sha))
    report = check_data(folder)
    assert report.orphan_files == [sha]
    folder.vault.store(src)  # an import stores the same content again (a fresh copy) before repair acts
    repair(folder, report)
    assert folder.vault.exists(sha)


# --- item 7: links in the vault -------------------------------------------------------------------------------


def _replace_by_link(folder, sha: str, target: Path) -> Path:  # type: ignore[no-untyped-def]
    path = folder.vault.path_for(sha)
    path.unlink()
    path.symlink_to(target)
    return path


def test_vault_never_reads_through_a_link(folder, tmp_path) -> None:
    _record, att = _attached(folder, tmp_path, b"%PDF-1.4 mine")
    secret = tmp_path / "another-patients.pdf"
    secret.write_bytes(b"%PDF-1.4 someone else's")
    _replace_by_link(folder, att.sha256, secret)

    with pytest.raises(VaultDamaged, match="not a stored file"):
        folder.vault.open(att.sha256)
    with pytest.raises(VaultDamaged):
        folder.vault.open_verified(att.sha256)
    assert not folder.vault.exists(att.sha256)
    assert not folder.vault.verify(att.sha256)
    assert att.sha256 not in set(folder.vault.stored())


def test_a_linked_folder_in_the_vault_is_not_followed(folder, tmp_path) -> None:
    _record, att = _attached(folder, tmp_path, b"%PDF-1.4 mine")
    outside = tmp_path / "outside"
    outside.mkdir()
    sub = folder.vault.path_for(att.sha256).parent
    shutil.copy(folder.vault.path_for(att.sha256), outside / att.sha256)
    shutil.rmtree(sub)
    sub.symlink_to(outside, target_is_directory=True)
    with pytest.raises(VaultError):
        folder.vault.open(att.sha256)
    assert att.sha256 not in set(folder.vault.stored())
    assert str(sub) in check_data(folder).links


def test_check_reports_a_link_and_repair_removes_the_link_never_its_target(folder, tmp_path) -> None:
    _record, att = _attached(folder, tmp_path, b"%PDF-1.4 mine")
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:$6$secret")
    link = _replace_by_link(folder, att.sha256, secret)

    report = check_data(folder)
    assert not report.ok and report.repairable
    assert report.links == [str(link)]
    assert any("replaced by a link" in d for d in report.damaged_files)
    assert "Links in the vault: 1 problem" in "\n".join(report.lines())

    done = repair(folder, report)
    assert any("Removed the link" in line for line in done)
    assert not link.is_symlink() and not link.exists()
    assert secret.read_bytes() == b"root:$6$secret"
    kept = Path(done[0].split(": ", 1)[1].split(" (")[0])
    assert b"root:$6$secret" not in kept.read_bytes()


def test_backup_never_carries_what_a_link_in_the_vault_points_at(folder, tmp_path) -> None:
    _attached(folder, tmp_path, b"%PDF-1.4 mine")
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"nothing refers to me")
    orphan = folder.vault.store(stray).sha256
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:$6$secret-hash")
    _replace_by_link(folder, orphan, secret)

    out = create_backup(folder, tmp_path / "b.zip")
    assert b"secret-hash" not in out.read_bytes()
    assert f"vault/{orphan[:2]}/{orphan}" not in {f.name for f in verify_backup(out).files}


# --- item 6: damaged content -----------------------------------------------------------------------------------


def test_open_verified_refuses_damaged_content_and_returns_sound_content(folder, tmp_path) -> None:
    _record, att = _attached(folder, tmp_path, b"%PDF-1.4 sound content")
    with folder.vault.open_verified(att.sha256) as fh:
        assert fh.read() == b"%PDF-1.4 sound content"
    assert folder.vault.read_verified(att.sha256) == b"%PDF-1.4 sound content"
    folder.vault.path_for(att.sha256).write_bytes(b"%PDF-1.4 bit rot")
    with pytest.raises(VaultDamaged, match="damaged") as caught:
        folder.vault.open_verified(att.sha256)
    assert caught.value.sha256 == att.sha256
    with pytest.raises(VaultDamaged):
        folder.vault.read_verified(att.sha256)


def test_backup_refuses_a_damaged_stored_file_naming_its_record(folder, tmp_path) -> None:
    record, att = _attached(folder, tmp_path, b"%PDF-1.4 the pathology report", name="pathology.pdf")
    folder.vault.path_for(att.sha256).write_bytes(b"%PDF-1.4 the pathology rep0rt")
    out = tmp_path / "b.zip"
    with pytest.raises(BackupError) as caught:
        create_backup(folder, out)
    message = str(caught.value)
    assert message.startswith("The backup was not made:") and message.count(". ") == 0
    assert f"record {record.id}" in message and "pathology.pdf" in message and "damaged" in message
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_backup_leaves_out_a_damaged_file_nothing_refers_to(folder, tmp_path) -> None:
    _attached(folder, tmp_path, b"%PDF-1.4 sound")
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"nothing refers to me")
    orphan = folder.vault.store(stray).sha256
    folder.vault.path_for(orphan).write_bytes(b"nothing refers to me, damaged")
    out = create_backup(folder, tmp_path / "b.zip")
    names = {f.name for f in verify_backup(out).files}
    assert f"vault/{orphan[:2]}/{orphan}" not in names and len(names) == 2


def test_repair_still_works_when_a_file_is_damaged_and_its_backup_leaves_that_file_out(folder, tmp_path) -> None:
    _record, att = _attached(folder, tmp_path, b"%PDF-1.4 sound")
    folder.vault.path_for(att.sha256).write_bytes(b"%PDF-1.4 s0und")
    leftover = folder.vault.root / ".tmp-leftover"
    leftover.write_bytes(b"half")
    done = repair(folder, check_data(folder))
    assert "without the 1 damaged file" in done[0]
    assert not leftover.exists()


def _rewrite_archive(src: Path, dst: Path, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        entries = {i.filename: zin.read(i) for i in zin.infolist()}
        for name, data in change(entries).items():
            zout.writestr(name, data)


def test_restore_refuses_a_vault_entry_whose_name_does_not_match_its_content(folder, tmp_path) -> None:
    _record, att = _attached(folder, tmp_path, b"%PDF-1.4 sound")
    good = create_backup(folder, tmp_path / "good.zip")
    entry = f"secondopinion-backup/vault/{att.sha256[:2]}/{att.sha256}"

    def damage(entries: dict[str, bytes]) -> dict[str, bytes]:
        # As a backup made before the check existed would hold it: damaged bytes, the manifest hashing those.
        damaged = b"%PDF-1.4 s0und"
        entries[entry] = damaged
        manifest = json.loads(entries["secondopinion-backup/manifest.json"])
        for item in manifest["files"]:
            if item["name"].endswith(att.sha256):
                item["sha256"] = hashlib.sha256(damaged).hexdigest()
                item["size"] = len(damaged)
        entries["secondopinion-backup/manifest.json"] = json.dumps(manifest).encode()
        return entries

    bad = tmp_path / "bad.zip"
    _rewrite_archive(good, bad, damage)
    target = tmp_path / "restored"
    with pytest.raises(BackupError, match="does not hold the content its name says"):
        restore_backup(bad, target)
    assert not target.exists()


def test_temporary_copies_of_a_running_process_are_left_alone_and_a_dead_ones_removed(folder, tmp_path) -> None:
    import subprocess
    import sys

    from secondopinion_desktop.core.vault import owned_temp_prefix

    src = tmp_path / "IM1.dcm"
    src.write_bytes(b"an import is still copying me")
    mine, _sha, _size = folder.vault.copy_to_temp(src, durable=False)  # as VaultBatch.copy does
    assert mine.name.startswith(owned_temp_prefix())
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = folder.vault.root / f".tmp-{int(done.stdout)}-abcdefgh"
    dead.write_bytes(b"left by an import that was killed")
    _age(mine)
    _age(dead)

    report = check_data(folder)
    assert report.temp_files == [str(dead)]
    repair(folder, report)
    assert mine.exists(), "repair removed a copy a running import still has to give its name"
    assert not dead.exists()
    assert folder.vault.sweep_temp_files(older_than=0) == 0 and mine.exists()


def test_attachment_path_is_none_when_the_stored_file_was_replaced_by_a_link(folder, tmp_path) -> None:
    _record, att = _attached(folder, tmp_path, b"%PDF-1.4 mine")
    assert svc.attachment_path(folder, att) == folder.vault.path_for(att.sha256)
    other = tmp_path / "another-patients.pdf"
    other.write_bytes(b"%PDF-1.4 someone else's")
    _replace_by_link(folder, att.sha256, other)
    assert svc.attachment_path(folder, att) is None
