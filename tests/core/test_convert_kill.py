"""SIGKILL at moments spread over encrypting a folder, changing its passphrase and decrypting it: the folder then
opens (with the passphrase when it is encrypted) holding every record and file, and the check passes."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

from sqlalchemy import func, select

from secondopinion_desktop.core.check import check_data
from secondopinion_desktop.core.crypto.convert import encrypt_folder
from secondopinion_desktop.core.crypto.keys import WrongSecret, new_recovery_key
from secondopinion_desktop.core.crypto.seal import FolderKey, is_encrypted, needs_key, unlock_folder
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.lock import folder_lock
from secondopinion_desktop.core.models import Attachment, Record
from secondopinion_desktop.core.staging import sweep_places

CHILD = Path(__file__).with_name("convert_child.py")
sys.path.insert(0, str(CHILD.parent))
from convert_child import FAST, NEW_PASS, PASS, RECOVERY_FILE  # noqa: E402

SPREAD = {"encrypt": 10, "passphrase": 5, "decrypt": 10}  # with the moments around renames: 30+ in all


def _contents(where: Path, key: FolderKey | None) -> tuple[int, dict[str, str]]:
    folder = open_data_folder(where, key=key)
    try:
        with folder.session() as s:
            records = s.execute(select(func.count()).select_from(Record)).scalar_one()
            digests = sorted(set(s.execute(select(Attachment.sha256)).scalars()))
        files = {sha: folder.vault.read_verified(sha)[:64].hex() for sha in digests}
        sweep_places(where)
        report = check_data(folder)
        assert report.ok, report.lines()
        return records, files
    finally:
        folder.close()


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kill")
    plain = root / "plain" / "data"
    folder = open_data_folder(plain)
    fill_demo_data(folder)
    folder.close()
    recovery = new_recovery_key()
    (plain.parent / RECOVERY_FILE).write_text(recovery)
    sealed = root / "sealed" / "data"
    shutil.copytree(plain.parent, sealed.parent, symlinks=True)
    with folder_lock(sealed, "encrypt") as lock:
        encrypt_folder(sealed, PASS, recovery, lock=lock, params=FAST)
    return {"encrypt": plain, "passphrase": sealed, "decrypt": sealed}


def _run(case: Path, where: Path, operation: str, kill_at: int) -> subprocess.CompletedProcess[str]:
    shutil.copytree(case.parent, where, symlinks=True)
    return subprocess.run([sys.executable, str(CHILD), str(where / "data"), operation, str(kill_at)],
                          capture_output=True, text=True, timeout=120)


def _moments(labels: list[str], spread: int) -> list[int]:
    """Every moment around the swap's renames and ``spread`` more spread evenly over the rest (1-based, as the
    child counts); all of them when there are few."""
    total = len(labels)
    if total <= spread * 2:
        return list(range(1, total + 1))
    picks = {i + 1 for i, what in enumerate(labels) if what.endswith(" rename")}
    picks.update(p + 1 for p in list(picks) if p < total)
    picks.update({1, total})
    step = total / (spread + 1)
    picks.update(max(1, round(step * i)) for i in range(1, spread + 1))
    return sorted(picks)


def _unlock_after(where: Path, operation: str) -> FolderKey | None:
    if not needs_key(where):
        return None
    recovery = (where.parent / RECOVERY_FILE).read_text().strip()
    key = unlock_folder(where, recovery_key=recovery)  # the recovery key always opens it
    if operation == "passphrase":
        opened = []
        for passphrase in (PASS, NEW_PASS):
            with contextlib.suppress(WrongSecret):
                opened.append(unlock_folder(where, passphrase=passphrase))
        assert len(opened) == 1, "exactly one of the old and the new passphrase opens it"
    else:
        unlock_folder(where, passphrase=PASS)
    return key


@pytest.mark.parametrize("operation", ["encrypt", "passphrase", "decrypt"])
def test_a_kill_at_any_moment_leaves_a_folder_that_opens_whole(operation: str, cases: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    case = cases[operation]
    start_key = None if operation == "encrypt" else unlock_folder(case, passphrase=PASS)
    expected = _contents(case, start_key)
    done = _run(case, tmp_path / "whole", operation, 0)
    assert done.returncode == 0, done.stderr
    labels = json.loads(done.stdout.strip().splitlines()[-1])
    total = len(labels)
    after = tmp_path / "whole" / "data"
    assert is_encrypted(after) == (operation != "decrypt")
    assert _contents(after, _unlock_after(after, operation)) == expected
    moments = _moments(labels, SPREAD[operation])
    assert len(moments) >= 8, (total, moments)
    outcomes = set()
    for n in moments:
        run = _run(case, tmp_path / f"kill-{n}", operation, n)
        assert run.returncode == -9, (n, run.returncode, run.stderr)
        where = tmp_path / f"kill-{n}" / "data"
        key = _unlock_after(where, operation)
        outcomes.add(key is not None)
        assert _contents(where, key) == expected, f"killed at moment {n} of {total}"
        left = sorted(p.name for p in where.parent.iterdir() if p.name.startswith("."))
        assert left == [], f"killed at moment {n}: {left} left beside the folder"
    if operation != "passphrase":
        assert outcomes == {False, True}, "some kills come before the swap and some after"
