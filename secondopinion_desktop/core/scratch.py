"""Private scratch space inside the data folder, for the window's short-lived plain copies.

A copy opened in the system's viewer, or a packet being previewed, holds patient data in plain form. Kept in the
data folder's ``.scratch`` (0700, files 0600) instead of the shared temporary folder, such copies never outlive
the folder's privacy, and whatever a crash left there is swept the next time the window opens the folder (it
holds the folder lock then, so no other window can be using them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SCRATCH_NAME = ".scratch"


def scratch_dir(data_dir: Path | str, prefix: str) -> Path:
    """A new private folder (0700) for plain copies, inside the data folder's scratch space."""
    root = Path(data_dir) / SCRATCH_NAME
    root.mkdir(mode=0o700, exist_ok=True)
    os.chmod(root, 0o700)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


def sweep_scratch(data_dir: Path | str) -> int:
    """Remove what earlier sessions (or a crash) left in the scratch space; returns how many entries went. The
    plain copies of a process still running (a command reading an encrypted folder) stay."""
    root = Path(data_dir) / SCRATCH_NAME
    if not root.is_dir() or root.is_symlink():
        return 0
    from secondopinion_desktop.core.vault import temp_in_use

    removed = 0
    for entry in list(root.iterdir()):
        if temp_in_use(entry.name):
            continue  # plain copies a running command is reading (named by its process id)
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                continue
        removed += 1
    return removed
