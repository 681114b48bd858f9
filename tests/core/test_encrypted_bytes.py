"""The sample case written into an encrypted folder: no byte under the folder (database, its write-ahead log and
shared memory, vault, thumbnails, backups, temporary files) holds the patient's name, date of birth, member
number, a record's title or the start of an attached PDF — while the folder is open and after it is closed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

from sqlalchemy import select

from secondopinion_desktop.core.backup import automatic_backup
from secondopinion_desktop.core.crypto.convert import encrypt_folder
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams, new_recovery_key
from secondopinion_desktop.core.crypto.seal import unlock_folder
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.lock import folder_lock
from secondopinion_desktop.core.models import Attachment, Record
from secondopinion_desktop.core.profile import get_profile

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
PASS = "correct horse battery staple"


def _every_byte(where: Path) -> dict[str, bytes]:
    return {str(p.relative_to(where)): p.read_bytes() for p in sorted(where.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def _forms(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.lower().encode("utf-8")]


def _secrets(folder) -> dict[str, list[bytes]]:  # type: ignore[no-untyped-def]
    with folder.dry_run() as session:
        profile = get_profile(session)
        titles = [t for t in session.execute(select(Record.title)).scalars() if len(t) >= 12][:5]
        digests = sorted(set(session.execute(select(Attachment.sha256)).scalars()))
    pdf_heads = [head[:64] for head in (folder.vault.read_verified(sha)[:64] for sha in digests)
                 if head.startswith(b"%PDF")]
    assert profile.name and profile.date_of_birth and profile.member_number and titles and pdf_heads
    born = profile.date_of_birth
    return {
        "name": _forms(profile.name),
        "date of birth": _forms(born.isoformat()) + _forms(born.strftime("%m/%d/%Y")),
        "member number": _forms(profile.member_number),
        "record title": [f.encode() for t in titles for f in (t,)] + [t.encode("utf-16-le") for t in titles],
        "attached PDF": pdf_heads,
    }


def test_nothing_of_the_sample_case_is_readable_under_the_folder(tmp_path: Path) -> None:
    where = tmp_path / "data"
    open_data_folder(where).close()
    with folder_lock(where, "encrypt") as lock:
        encrypt_folder(where, PASS, new_recovery_key(), lock=lock, params=FAST)
    key = unlock_folder(where, passphrase=PASS)
    folder = open_data_folder(where, key=key)
    try:
        fill_demo_data(folder)
        secrets = _secrets(folder)
        assert automatic_backup(folder) is not None
        assert (where / "secondopinion.db-wal").exists(), "the log is there while the folder is open"
        files = _every_byte(where)
        assert any(name.startswith("backups/") for name in files)
        for name, data in files.items():
            for what, forms in secrets.items():
                for form in forms:
                    assert form not in data, f"{what} found in {name} while the folder is open"
    finally:
        folder.close()
    for name, data in _every_byte(where).items():
        for what, forms in secrets.items():
            for form in forms:
                assert form not in data, f"{what} found in {name} after closing"
