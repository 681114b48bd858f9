"""Issue 12, item 5: a restore cut short between its two renames never leaves an empty data folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.records import list_records

SO = [sys.executable, "-m", "secondopinion_desktop"]


def titles(data: Path) -> list[str]:
    folder = open_data_folder(data)
    try:
        with folder.session() as session:
            return sorted(r.title for r in list_records(session))
    finally:
        folder.close()


def test_the_old_data_is_put_back_when_the_swap_was_cut_between_its_renames(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = open_data_folder(data)
    fill_demo_data(folder)
    folder.close()
    before = titles(data)
    # what a crash right after the first rename of the swap leaves behind
    os.rename(data, tmp_path / ".data.old-1a2b3c4d")
    staging = tmp_path / ".data.restoring-xyz"
    staging.mkdir()
    (staging / "secondopinion.db").write_bytes(b"half of a restore")
    listed = subprocess.run([*SO, "records", "list", "--data-dir", str(data)], capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "No records yet" not in listed.stdout and before[0] in listed.stdout
    assert titles(data) == before, "the records as they were before the restore"
    assert not (tmp_path / ".data.old-1a2b3c4d").exists()


def test_staging_of_a_restore_killed_long_ago_is_removed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    open_data_folder(data).close()
    old = tmp_path / ".data.restoring-old"
    old.mkdir()
    (old / "vault").mkdir()
    hour_ago = time.time() - 2 * 3600
    os.utime(old, (hour_ago, hour_ago))
    fresh = tmp_path / ".data.restoring-now"  # may belong to a restore running right now
    fresh.mkdir()
    open_data_folder(data).close()
    assert not old.exists() and fresh.exists()
