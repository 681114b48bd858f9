"""Where the data folder is: ``--data-dir``, then ``SECONDOPINION_DATA_DIR``, then the platform default."""

from __future__ import annotations

import errno
import glob
import os
import re
from pathlib import Path

from secondopinion_desktop.core.errors import DataFolderError, DiskFullError, ReadOnlyFolderError
from secondopinion_desktop.core.fsutil import fsync_folder

ENV_VAR = "SECONDOPINION_DATA_DIR"
DB_NAME = "secondopinion.db"
VAULT_NAME = "vault"


def default_data_dir() -> Path:
    """The platform's per-user application-data folder (e.g. ``~/.local/share/SecondOpinion``)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("SecondOpinion", appauthor=False, roaming=False))


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The data folder to use: the command-line value wins, then the environment, then the default."""
    if cli_value:
        return Path(cli_value).expanduser().absolute()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser().absolute()
    return default_data_dir()


def on_read_only_disk(path: Path) -> bool:
    """True when ``path`` (or, if it does not exist yet, its nearest existing parent) lies on a file system
    mounted read-only: a write-protected stick, a read-only mount, a disc."""
    for candidate in (path, *path.parents):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except FileNotFoundError:
            continue
        except (OSError, AttributeError):  # no statvfs (Windows), or it cannot be asked
            break
    return False


def read_only_folder_error(path: Path | None, *, mount: bool = True) -> ReadOnlyFolderError:
    """The one sentence for a change refused because the data folder cannot be written."""
    if not mount and path is not None:
        return ReadOnlyFolderError(
            f"The data folder {path} cannot be written (its database is read-only); nothing was changed."
        )
    folder = f"The data folder {path}" if path is not None else "The data folder"
    return ReadOnlyFolderError(f"{folder} is on a read-only disk, so nothing was changed; make the disk writable "
                               "(or copy the folder to a writable one) to make changes.")


def disk_full_error(path: Path | None, *, data_folder: bool = True) -> DiskFullError:
    """The one sentence for a change that found no room on the disk holding ``path`` (the data folder, or
    with ``data_folder`` False another folder, such as where a backup was going)."""
    if path is None:
        what = "the data folder"
    else:
        what = f"the data folder {path}" if data_folder else str(path)
    return DiskFullError(f"The disk holding {what} is full; nothing was changed: free some space on it and "
                         "try again.")


def ensure_data_dir(path: Path) -> Path:
    """Create the data folder (permissions 0700) if needed and check it is a usable folder.

    A folder on a read-only disk raises ReadOnlyFolderError, a disk with no room for it DiskFullError."""
    if path.exists() and not path.is_dir():
        raise DataFolderError(f"The data folder {path} is a file, not a folder.")
    if not path.exists():
        try:
            path.mkdir(mode=0o700, parents=True)
            os.chmod(path, 0o700)  # mkdir's mode is masked by the umask
        except OSError as exc:
            if exc.errno == errno.EROFS:
                raise read_only_folder_error(path) from exc
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full_error(path) from exc
            raise DataFolderError(f"Cannot create the data folder {path}: {exc.strerror or exc}.") from exc
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        if os.access(path, os.R_OK | os.X_OK) and on_read_only_disk(path):
            raise read_only_folder_error(path)
        raise DataFolderError(f"The data folder {path} cannot be read and written by you.")
    return path


STALE_RESTORE_SECONDS = 3600


def recover_interrupted_restore(path: Path) -> bool:
    """Finish what a restore interrupted between its two renames left: no data folder, the data as it was in a
    hidden ``.NAME.old-*`` sibling. That folder is put back (the restore did not happen; it can be run again),
    never an empty folder made in its place. Staging folders (``.NAME.restoring-*``) of restores killed more
    than an hour ago are removed. Returns True when the data folder was put back."""
    path = Path(path)
    parent = path.parent
    name = glob.escape(path.name)
    try:
        if not parent.is_dir():
            return False
        restored = False
        if not path.exists() and not path.is_symlink():
            from secondopinion_desktop.core.lock import is_locked

            olds = [p for p in parent.glob(f".{name}.old-*")
                    if p.is_dir() and not p.is_symlink() and (p / DB_NAME).is_file()]
            if any(is_locked(p) for p in olds):
                return False  # a running restore is between its two renames: it finishes the swap itself
            if olds:
                newest = max(olds, key=lambda p: p.stat().st_mtime)
                os.rename(newest, path)
                fsync_folder(parent)
                restored = True
        if path.is_dir():
            import shutil
            import time

            named = re.compile(re.escape(f".{path.name}.restoring-") + r"\d+-")
            for staging in parent.glob(f".{name}.restoring-*"):
                if named.match(staging.name):
                    continue  # carries its process id: swept once that process is gone (core/staging.py)
                if (staging.is_dir() and not staging.is_symlink()
                        and time.time() - staging.stat().st_mtime > STALE_RESTORE_SECONDS):
                    shutil.rmtree(staging, ignore_errors=True)
        return restored
    except OSError:
        return False


def holds_data(path: Path) -> bool:
    """True when ``path`` is a data folder Second Opinion has written (it holds the database), or one that an
    interrupted restore left mid-swap (a hidden ``.NAME.old-*`` / ``.NAME.restoring-*`` sibling), which opening
    it must finish or roll back rather than find empty. Raises DataFolderError for a file; a folder that cannot be
    looked into counts as holding data, so that opening it reports why it cannot be read."""
    try:
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                return True
            return (path / DB_NAME).exists()
        if path.exists():
            raise DataFolderError(f"The data folder {path} is a file, not a folder.")
        name = glob.escape(path.name)
        return path.parent.is_dir() and any(
            True for pattern in (f".{name}.old-*", f".{name}.restoring-*") for _ in path.parent.glob(pattern)
        )
    except PermissionError:
        return True


def display_name(path: Path | str) -> str:
    """A file's name as valid text: bytes that are not UTF-8 (a Latin-1 name from an old zip, say, which Python
    carries as surrogate escapes) become U+FFFD, so the name can be stored and shown; the path itself still
    opens the file."""
    return os.fsencode(Path(path).name).decode("utf-8", "replace")
