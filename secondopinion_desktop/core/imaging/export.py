"""Writing a record's DICOM images back out as a folder with a DICOMDIR, for the second-opinion doctor.

pydicom's ``FileSet`` writes the DICOMDIR index and names the files as the DICOM media standard requires
(``PT000000/ST000000/SE000000/IM000000``). Everything is written beside the target, in a hidden staging folder
(``.NAME.export-…``, readable by the user only) that also holds pydicom's own staging copies, so no image is ever
written to the system's temporary folder. The finished folder is renamed into place at the end: a failed export
leaves no half-written folder, and one killed half-way leaves only the hidden staging folder, which the next export
into the same place removes (``sweep_stale_exports``). The guarantee is the folder's, not each file's:
``fsutil.write_atomically`` would flush and rename every image on its own, so the files pydicom writes are flushed
once (``_fsync_tree``) and the folder is renamed whole, then its parent flushed (``fsutil.fsync_folder``).

An image that cannot be put in a DICOMDIR (an unusual encoding, a damaged header) is left out and named in the
result's ``problems``; the rest are exported.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.fsutil import fsync_folder
from secondopinion_desktop.core.models import ImagingFile, Record
from secondopinion_desktop.core.progress import CancelCheck, Progress, Steps, check
from secondopinion_desktop.core.staging import EXPORT, forget_place, note_place
from secondopinion_desktop.core.words import plural

# Elements a DICOMDIR record must carry (type 1). Files from real scanners sometimes lack one; the exported copy
# then gets a neutral value so the index can be written. The images themselves are unchanged.
_REQUIRED_PLACEHOLDERS = {
    "PatientID": "UNKNOWN",
    "StudyDate": "19000101",
    "StudyTime": "000000",
    "StudyID": "1",
    "Modality": "OT",
    "SeriesNumber": "0",
}
STAGING_MARK = ".export-"  # the staging folder is ".<target name>.export-<random>"
_LOCK_NAME = "export-in-progress"
_STAGE_NAME = "stage"
_IMAGES_NAME = "images"
# A lock file younger than this is left alone even when unlocked: its export has made it and is about to lock it.
_LOCK_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class ExportProblem:
    """An image left out of the export: where it was on the disc it came from, its identifier, and why."""

    relative_path: str
    sop_instance_uid: str
    reason: str

    def line(self) -> str:
        return f"{self.relative_path or self.sop_instance_uid}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"path": self.relative_path, "sop_instance_uid": self.sop_instance_uid, "reason": self.reason}


class ExportedFolder(type(Path())):  # type: ignore[misc]  # PosixPath or WindowsPath, as Path() is here
    """The folder written (a path, so callers that only need where it is use it as one) and what was left out.

    ``images_written`` counts the images in the folder; ``problems`` names each image that could not be exported.
    Paths derived from it (its parent, a file inside it) carry no problems.
    """

    images_written: int = 0
    problems: tuple[ExportProblem, ...] = ()

    @classmethod
    def of(cls, path: Path, images_written: int, problems: tuple[ExportProblem, ...]) -> ExportedFolder:
        folder = cls(path)
        folder.images_written = images_written
        folder.problems = problems
        return folder

    def summary_lines(self) -> list[str]:
        """What was written and, when some images were left out, which and why (one line each)."""
        lines = [f"Wrote {plural(self.images_written, 'image')} with a DICOMDIR to {self}."]
        if self.problems:
            lines.append(f"Left out {plural(len(self.problems), 'image')} that cannot be put in a DICOMDIR:")
            lines.extend(f"  {p.line()}" for p in self.problems)
        return lines


def export_study(folder: DataFolder, record_id: int, out_dir: Path | str, *, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> ExportedFolder:
    """Write the record's imported DICOM files to ``out_dir`` (new or empty) with a DICOMDIR.

    Returns ``out_dir`` as an ``ExportedFolder``, whose ``problems`` name the images left out. Raises a
    ``ValidationError`` (nothing written) when no image at all can be exported. ``cancelled`` is checked between
    images and before the folder takes its name: ``Cancelled`` then leaves nothing at ``out_dir``. ``progress``
    counts the images put in the DICOMDIR, then the writing.
    """
    from pydicom.fileset import FileSet

    out_dir = Path(out_dir).expanduser().absolute()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValidationError(f"{out_dir} is not an empty folder; choose a new or empty folder for the export.")
    with folder.session() as session:
        if session.get(Record, record_id) is None:
            raise NotFoundError(f"There is no record {record_id}.")
        rows = session.execute(
            select(ImagingFile.sha256, ImagingFile.sop_instance_uid, ImagingFile.instance_number,
                   ImagingFile.relative_path)
            .where(ImagingFile.record_id == record_id)
            .order_by(ImagingFile.study_uid, ImagingFile.series_number, ImagingFile.instance_number, ImagingFile.id)
        ).all()
    if not rows:
        raise ValidationError(f"Record {record_id} has no imported DICOM images to export.")
    missing = [sha for sha, _, _, _ in rows if not folder.vault.exists(sha)]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise NotFoundError(f"{len(missing):,} of the record's image files {verb} missing from the vault; "
                            "run a backup check, then import the disc again.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_exports(out_dir.parent)
    # noted in the data folder while it is written, so a killed export's staging is found wherever it is
    note = note_place(folder.path, out_dir.parent, EXPORT)
    try:
        temp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{STAGING_MARK}", dir=out_dir.parent))  # 0700
    except BaseException:
        forget_place(note)
        raise
    lock = None
    fileset = None
    try:
        lock = _hold(temp / _LOCK_NAME)
        images = temp / _IMAGES_NAME
        images.mkdir(mode=0o700)
        fileset = FileSet()
        _stage_in(fileset, temp / _STAGE_NAME)
        problems: list[ExportProblem] = []
        seen: set[str] = set()
        steps = Steps(progress, (1, 3))  # reading the images, then writing them with their index
        adding = steps.phase(0)
        for done, (sha, sop_uid, instance_number, relative_path) in enumerate(rows):
            check(cancelled)
            adding(done, len(rows))
            if sop_uid in seen:
                continue
            seen.add(sop_uid)
            reason = _add(fileset, folder, sha, instance_number or len(seen))
            if reason:
                problems.append(ExportProblem(relative_path, sop_uid, reason))
        if not len(fileset):
            first = f" — {problems[0].line()}" if problems else ""
            raise ValidationError(f"Nothing was exported: none of the images of record {record_id} can be put "
                                  f"in a DICOMDIR{first}.")
        check(cancelled)
        try:
            fileset.write(images)
        except OSError:
            raise  # a full or read-only disk is said as such by the caller
        except Exception as exc:  # noqa: BLE001 - pydicom's own failures become one sentence
            raise ValidationError(f"The DICOMDIR index for record {record_id} cannot be written "
                                  f"({exc.__class__.__name__}); nothing was exported.") from exc
        written = len(fileset)
        shutil.rmtree(temp / _STAGE_NAME, ignore_errors=True)
        _fsync_tree(images)  # on the disk before the folder takes its name: never a folder of empty files
        check(cancelled)  # the last moment: after this the folder is in place
        if out_dir.exists():
            out_dir.rmdir()
        images.rename(out_dir)
        fsync_folder(out_dir.parent)
        steps.finish()
    finally:
        if fileset is not None:  # after writing, pydicom starts an empty staging folder in the temporary folder
            with contextlib.suppress(Exception):
                fileset._stage["t"].cleanup()  # noqa: SLF001
        with contextlib.suppress(OSError):
            shutil.rmtree(temp)  # the staging copies, and everything when the export failed
        if lock is not None:
            lock.close()
        forget_place(note)
    return ExportedFolder.of(out_dir, written, tuple(problems))


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` to the disk, deepest first."""
    folders = [root]
    for current, dirs, files in os.walk(root):
        for name in files:
            flags = os.O_RDWR if os.name == "nt" else os.O_RDONLY | os.O_NOFOLLOW  # Windows flushes writable files only
            fd = os.open(os.path.join(current, name), flags)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        folders.extend(Path(current, d) for d in dirs)
    for path in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        fsync_folder(path)


def _add(fileset: Any, folder: DataFolder, sha: str, instance_number: int) -> str | None:
    """Put one stored image in the file set; None when it went in, else why it could not (it is then left out)."""
    from pydicom import dcmread

    ds = None
    try:
        with folder.vault.open_verified(sha) as fh:  # a damaged or replaced stored file is never exported
            ds = dcmread(fh)
            for keyword, value in _REQUIRED_PLACEHOLDERS.items():
                if keyword not in ds or ds[keyword].VM == 0:
                    setattr(ds, keyword, value)
            if "InstanceNumber" not in ds or ds["InstanceNumber"].VM == 0:
                ds.InstanceNumber = instance_number
            fileset.add(ds)
    except Exception as exc:  # noqa: BLE001 - one image that cannot be exported never stops the export of the rest
        _withdraw(fileset, ds)
        return _reason(exc)
    return None


def _withdraw(fileset: Any, ds: Any) -> None:
    """Take a half-added image out of the file set again (``FileSet.add`` may fail after placing its records)."""
    uid = str(getattr(ds, "SOPInstanceUID", "") or "") if ds is not None else ""
    if not uid:
        return
    for instance in list(fileset):
        if str(getattr(instance, "SOPInstanceUID", "")) == uid:
            fileset.remove(instance)


def _reason(exc: BaseException) -> str:
    from secondopinion_desktop.core.vault import VaultDamaged

    name = exc.__class__.__name__
    if isinstance(exc, VaultDamaged):
        return "its stored copy in the data folder is damaged (import the disc again to mend it)"
    if isinstance(exc, NotImplementedError):
        return f"it is of a kind a DICOMDIR cannot list ({name})"
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return f"it cannot be read from the data folder ({exc.strerror or name})"
    return f"its header cannot be put in a DICOMDIR ({name})"


class _StagingFolder:
    """Stands in for the ``TemporaryDirectory`` pydicom stages added images in: a folder we choose."""

    def __init__(self, path: Path) -> None:
        path.mkdir(mode=0o700)
        self.name = str(path)

    def cleanup(self) -> None:
        shutil.rmtree(self.name, ignore_errors=True)


def _stage_in(fileset: Any, path: Path) -> None:
    """Make pydicom stage the images it is given in ``path`` instead of the system's temporary folder."""
    stage = getattr(fileset, "_stage", None)
    if not (isinstance(stage, dict) and "t" in stage and "path" in stage):
        raise RuntimeError("this version of pydicom stages DICOMDIR exports differently; the export would leave "
                           "copies of the images in the temporary folder")
    stage["t"].cleanup()  # the empty folder pydicom made in the temporary folder
    stage["t"] = _StagingFolder(path)
    stage["path"] = path


# --- the staging folders of exports that were killed ------------------------------------------------------------


def _hold(path: Path) -> Any:
    """Create ``path`` and hold an exclusive OS lock on it for as long as the returned file is open."""
    fh = open(path, "w+b")  # noqa: SIM115 - held open until the export ends
    try:
        if not _try_lock(fh):
            raise ValidationError(f"{path.parent} is in use by another export.")
    except BaseException:
        fh.close()
        raise
    return fh


def _try_lock(fh: Any) -> bool:
    """An exclusive lock that dies with its process (a killed export's lock is free again at once)."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def sweep_stale_exports(parent: Path | str, *, grace: float = _LOCK_GRACE_SECONDS) -> int:
    """Remove the staging folders that killed exports left in ``parent``; returns how many were removed.

    Only folders named like our staging folders that hold our lock file are touched, and only when no running
    export holds that lock. ``grace``: a lock file younger than this is left alone (an export may be about to
    lock it); the sweep of a place noted by an export known to be dead needs none.
    """
    removed = 0
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(".") and STAGING_MARK in entry.name):
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        lock_path = Path(entry.path) / _LOCK_NAME
        try:
            info = lock_path.lstat()
            if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < grace:
                continue  # not ours, or made a moment ago by an export about to lock it
            with open(lock_path, "r+b") as fh:
                free = _try_lock(fh)
            if not free:
                continue  # an export is writing there right now
            shutil.rmtree(entry.path)  # after closing the lock file: Windows cannot delete an open file
            removed += 1
        except OSError:
            continue
    return removed
