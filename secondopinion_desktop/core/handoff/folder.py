"""Planning, writing and checking the folder for the doctor (see the package's docstring for what it holds)."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import csv
import datetime as dt
import hashlib
import io
import mimetypes
import os
import re
import secrets
import shutil
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from sqlalchemy import select

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError, ValidationError
from secondopinion_desktop.core.fsutil import fsync_folder
from secondopinion_desktop.core.handoff import names as _names
from secondopinion_desktop.core.handoff.dicomdir import DicomTree, file_meta
from secondopinion_desktop.core.handoff.pages import (
    DOCUMENTS,
    INDEX_NAME,
    MANIFEST_CSV_NAME,
    MANIFEST_NAME,
    PACKET_NAME,
    README_NAME,
    index_html,
    readme_text,
)
from secondopinion_desktop.core.models import Attachment, ImagingFile, Profile, Record, RecordKind
from secondopinion_desktop.core.progress import SCALE, CancelCheck, Cancelled, Progress, check
from secondopinion_desktop.core.words import plural, size

_DIGEST = re.compile(r"[0-9a-f]{64}")
PARTIAL_MARK = ".partial-"  # the folder is written as ".<name>.partial-<random>" beside the target
CHUNK = 1 << 20
_MARGIN_BYTES = 32 * 1024 * 1024
_PACKET_OVERHEAD = 2 * 1024 * 1024  # the packet's own pages, on top of the files it appends
CANCELLED = "The folder for the doctor was cancelled; nothing was left behind."


class HandoffError(SecondOpinionError):
    """The folder for the doctor cannot be written where asked (its message says why, in one sentence)."""


@dataclass(frozen=True)
class HandoffOptions:
    appointment_id: int | None = None  # the packet's appointment; None: the next upcoming one, if any
    as_zip: bool = False  # one .zip file instead of a folder
    include_image_thumbnails: bool = False  # imaging records' pictures among the documents and in the packet


@dataclass(frozen=True)
class PlannedDocument:
    record_id: int
    attachment_id: int
    path: str  # relative, "DOCUMENTS/2024-03-05 CT report.pdf"
    title: str  # as the patient named the record
    kind: str  # "Pathology", "Imaging"…
    date: dt.date | None
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "attachment_id": self.attachment_id, "path": self.path,
                "title": self.title, "kind": self.kind, "date": self.date.isoformat() if self.date else None,
                "size": self.size}


@dataclass(frozen=True)
class PlannedImage:
    sha256: str
    size: int
    instance_number: int | None
    series_uid: str = ""
    modality: str = ""
    sop_uid: str = ""


@dataclass(frozen=True)
class PlannedStudy:
    record_id: int
    study_uid: str
    date: dt.date | None
    modality: str
    description: str
    series_count: int
    image_count: int  # images that will be written
    size: int
    missing: int  # images whose files are missing from the data folder (left out)
    images: tuple[PlannedImage, ...] = field(default=(), repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "study_uid": self.study_uid,
                "date": self.date.isoformat() if self.date else None, "modality": self.modality,
                "description": self.description, "series": self.series_count, "images": self.image_count,
                "size": self.size, "missing": self.missing}


@dataclass(frozen=True)
class HandoffPlan:
    target: Path
    as_zip: bool
    patient_name: str
    date_of_birth: dt.date | None
    documents: tuple[PlannedDocument, ...]
    studies: tuple[PlannedStudy, ...]
    files: int  # files to be written, the packet and the index files included
    total_bytes: int  # estimated (the packet's size is known only once it is built)
    free_bytes: int | None
    disk: str  # the target disk's file system, as the system names it ("" when unknown)
    fat32: bool
    notes: tuple[str, ...]  # plain sentences about the target (FAT32 limits, names spelt in ASCII)
    problems: tuple[str, ...]  # what will be left out, and why

    @property
    def image_count(self) -> int:
        return sum(s.image_count for s in self.studies)

    def summary_lines(self) -> list[str]:
        what = "a zip file" if self.as_zip else "a folder"
        lines = [f"Will write {what} at {self.target}: the records packet, "
                 f"{plural(len(self.documents), 'document')} and "
                 f"{plural(len(self.studies), 'imaging study', 'imaging studies')} "
                 f"({plural(self.image_count, 'image')}); {plural(self.files, 'file')}, about "
                 f"{size(self.total_bytes)}."]
        if self.free_bytes is not None:
            lines.append(f"Free space there: {size(self.free_bytes)}.")
        lines += list(self.notes)
        lines += list(self.problems)
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"target": str(self.target), "zip": self.as_zip, "files": self.files,
                "total_bytes": self.total_bytes, "free_bytes": self.free_bytes, "disk": self.disk,
                "fat32": self.fat32, "documents": [d.to_json() for d in self.documents],
                "studies": [s.to_json() for s in self.studies], "notes": list(self.notes),
                "problems": list(self.problems)}


@dataclass(frozen=True)
class HandoffResult:
    path: Path
    files: int
    bytes: int
    documents: int
    studies: int
    images: int
    packet_pages: int
    problems: tuple[str, ...]

    def summary_lines(self) -> list[str]:
        what = "zip file" if self.path.suffix.lower() == ".zip" and self.path.is_file() else "folder"
        studies = plural(self.studies, "imaging study", "imaging studies")
        lines = [f"Wrote the {what} for the doctor at {self.path}: the records packet "
                 f"({plural(self.packet_pages, 'page')}), {plural(self.documents, 'document')} and {studies} "
                 f"({plural(self.images, 'image')}); {plural(self.files, 'file')}, {size(self.bytes)}, each listed "
                 f"with its checksum in {MANIFEST_NAME}."]
        lines += list(self.problems)
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "files": self.files, "bytes": self.bytes, "documents": self.documents,
                "studies": self.studies, "images": self.images, "packet_pages": self.packet_pages,
                "problems": list(self.problems)}


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    checked: int  # files listed in the manifest
    missing: tuple[str, ...]
    changed: tuple[str, ...]  # a different size or checksum
    extra: tuple[str, ...]  # files not in the manifest

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.extra)

    def problem_lines(self) -> list[str]:
        return ([f"Missing: {p}" for p in self.missing] + [f"Changed: {p}" for p in self.changed]
                + [f"Not in the manifest: {p}" for p in self.extra])

    def summary_lines(self) -> list[str]:
        if self.ok:
            return [f"All {plural(self.checked, 'file')} in {self.path} match the manifest."]
        counts = []
        if self.missing:
            counts.append(f"{plural(len(self.missing), 'file')} missing")
        if self.changed:
            counts.append(f"{plural(len(self.changed), 'file')} changed")
        if self.extra:
            counts.append(f"{plural(len(self.extra), 'file')} not in the manifest")
        return [f"{self.path} does not match its manifest: {', '.join(counts)}.", *self.problem_lines()]

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "ok": self.ok, "checked": self.checked, "missing": list(self.missing),
                "changed": list(self.changed), "extra": list(self.extra)}


# --- planning ------------------------------------------------------------------------------------------------


def _extension(attachment: Attachment, ascii_only: bool) -> str:
    ext = _names.extension_of(attachment.original_name)
    if not ext:
        guessed = mimetypes.guess_extension(attachment.media_type or "") or ""
        ext = guessed if guessed and len(guessed) <= 9 else ""
    return ext


class _Stored:
    """Which digests the vault holds as regular files: each of its 256 subfolders listed once (``Vault.exists``
    asks the disk once per file, which thousands of images feel)."""

    def __init__(self, folder: DataFolder) -> None:
        self.root = os.fspath(folder.vault.root)
        self.vault = folder.vault
        self.listed: dict[str, set[str]] = {}

    def __contains__(self, sha256: str) -> bool:
        if self.vault.sealed:  # an encrypted folder's files are stored under keyed names
            try:
                sha256 = self.vault.name_of(sha256)
            except SecondOpinionError:
                return False
        prefix = sha256[:2]
        names = self.listed.get(prefix)
        if names is None:
            names = set()
            sub = os.path.join(self.root, prefix)
            with contextlib.suppress(OSError):
                if not os.path.islink(sub):
                    with os.scandir(sub) as entries:
                        names = {e.name for e in entries if e.is_file(follow_symlinks=False)}
            self.listed[prefix] = names
        return sha256 in names


def _content(folder: DataFolder, options: HandoffOptions, ascii_only: bool) -> tuple[
        str, dt.date | None, list[PlannedDocument], list[PlannedStudy], list[str]]:
    problems: list[str] = []
    documents: list[PlannedDocument] = []
    studies: list[PlannedStudy] = []
    taken = _names.Names(ascii_only=ascii_only)
    stored = _Stored(folder)
    with folder.session() as session:
        profile = session.scalars(select(Profile).order_by(Profile.id)).first()
        name = profile.name if profile is not None else ""
        born = profile.date_of_birth if profile is not None else None
        records = session.scalars(select(Record).order_by(Record.date_of_service.is_(None),
                                                          Record.date_of_service, Record.id)).all()
        by_id = {r.id: r for r in records}
        for record in records:
            attachments = [a for a in record.attachments
                           if options.include_image_thumbnails or not (
                               record.kind is RecordKind.IMAGING and a.media_type.startswith("image/"))]
            for attachment in attachments:
                day = record.date_of_service.isoformat() if record.date_of_service else "undated"
                stem = f"{day} {record.title}"
                if len(attachments) > 1:
                    stem += f" - {Path(attachment.original_name.replace(chr(92), '/')).stem}"
                if attachment.sha256 not in stored:
                    problems.append(f"The file {attachment.original_name!r} of record {record.id} is missing from "
                                    "the data folder and is left out (attach it again to mend it).")
                    continue
                file_name = taken.take(stem, _extension(attachment, ascii_only))
                documents.append(PlannedDocument(
                    record.id, attachment.id, f"{DOCUMENTS}/{file_name}", record.title, record.kind.label,
                    record.date_of_service, attachment.size, attachment.sha256))
        rows = session.execute(
            select(ImagingFile.record_id, ImagingFile.study_uid, ImagingFile.series_uid, ImagingFile.sop_instance_uid,
                   ImagingFile.sha256, ImagingFile.size, ImagingFile.instance_number, ImagingFile.modality)
            .order_by(ImagingFile.record_id, ImagingFile.study_uid, ImagingFile.series_number,
                      ImagingFile.instance_number, ImagingFile.id)
        ).all()
    groups: dict[tuple[int, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.record_id, row.study_uid), []).append(row)
    seen: set[str] = set()
    for (record_id, study_uid), members in groups.items():
        owner = by_id.get(record_id)
        images: list[PlannedImage] = []
        series: set[str] = set()
        missing = 0
        for row in members:
            if row.sop_instance_uid in seen:
                continue
            seen.add(row.sop_instance_uid)
            if row.sha256 not in stored:
                missing += 1
                continue
            images.append(PlannedImage(row.sha256, row.size, row.instance_number, row.series_uid, row.modality,
                                       row.sop_instance_uid))
            series.add(row.series_uid)
        modalities = sorted({row.modality for row in members if row.modality})
        label = owner.title if owner is not None else study_uid
        if missing:
            problems.append(f"{plural(missing, 'image')} of the study {label!r} "
                            f"{'is' if missing == 1 else 'are'} missing from the data folder and left out "
                            "(import the disc again to mend it).")
        studies.append(PlannedStudy(
            record_id, study_uid, owner.date_of_service if owner is not None else None, "/".join(modalities),
            label, len(series), len(images), sum(i.size for i in images), missing, tuple(images)))
    return name, born, documents, studies, problems


def _free_space(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def plan_handoff(folder: DataFolder, target: Path | str, options: HandoffOptions = HandoffOptions()) -> HandoffPlan:
    """What ``write_handoff`` would write to ``target`` (a new folder, or a new .zip file with ``as_zip``).

    Raises HandoffError (one sentence) when it cannot be written there: ``target`` exists and is not an empty
    folder, its folder is missing or not writable, the disk has too little free space, or the disk is FAT32 and a
    file would be larger than the 4 GB FAT32 holds. What will be left out (files missing from the data folder) is
    listed in ``problems`` and is not an error.
    """
    from secondopinion_desktop.core.outputs import check_output

    target = check_output(target, folder.path, what="the folder for the doctor", folder=not options.as_zip,
                          example="for-the-doctor.zip")
    if options.as_zip:
        if target.exists() or target.is_symlink():
            raise HandoffError(f"{target} exists already; choose a new name for the zip file.")
    elif target.is_symlink() or (target.exists() and any(target.iterdir())):
        raise HandoffError(f"{target} is not an empty folder; choose a new or empty folder.")
    parent = target.parent
    if not parent.is_dir():
        raise HandoffError(f"Cannot write to {target}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise HandoffError(f"Cannot write to {target}: the folder {parent} is not writable.")
    disk = _names.disk_of(parent)
    ascii_only = disk.is_fat and not disk.utf8_names
    if disk.is_fat and _names.safe_name(target.name, ascii_only=ascii_only, limit=255) != target.name:
        raise HandoffError(f"The name {target.name!r} cannot be used on this disk (FAT names cannot hold "
                           '/ \\ : * ? " < > | or end with a dot or a space); choose another name.')
    name, born, documents, studies, problems = _content(folder, options, ascii_only)
    packet_estimate = _PACKET_OVERHEAD + sum(d.size for d in documents if d.path.lower().endswith(".pdf")
                                             or d.kind == RecordKind.IMAGING.label)
    small = 256 * 1024  # index, readme, manifests and DICOMDIR, roughly
    images = sum(s.image_count for s in studies)
    total = packet_estimate + sum(d.size for d in documents) + sum(s.size for s in studies) + small + images * 200
    files = 5 + (1 if images else 0) + len(documents) + images  # packet, INDEX, README, manifests, DICOMDIR
    cluster = 32 * 1024 if disk.is_fat else 4096
    needed = total + files * cluster + max(_MARGIN_BYTES, total // 20)
    free = _free_space(parent)
    if free is not None and free < needed:
        raise HandoffError(f"There is not enough free space at {parent}: the folder for the doctor needs about "
                           f"{size(needed)} and only {size(free)} is free.")
    notes: list[str] = []
    if disk.is_fat32:
        biggest = max([*(d.size for d in documents), *(i.size for s in studies for i in s.images), 0])
        if biggest > _names.FAT32_MAX_FILE:
            raise HandoffError(f"The target is a FAT32 disk, which holds at most 4 GB in one file, and one file is "
                               f"{size(biggest)}; format the stick as exFAT or NTFS, or choose another place.")
        if options.as_zip and total > _names.FAT32_MAX_FILE:
            raise HandoffError(f"The target is a FAT32 disk, which holds at most 4 GB in one file, and the zip "
                               f"would be about {size(total)}; write a folder instead of a zip file.")
        notes.append("The target is a FAT32 disk: each file must stay under 4 GB, and names follow its rules.")
    elif disk.is_fat:
        notes.append("The target is an exFAT disk: names follow its rules.")
    if ascii_only:
        notes.append("This disk cannot hold letters outside plain ASCII in names, so names are spelt in ASCII.")
    return HandoffPlan(target, options.as_zip, name, born, tuple(documents), tuple(studies), files, total, free,
                       disk.kind, disk.is_fat32, tuple(notes), tuple(problems))


# --- writing -------------------------------------------------------------------------------------------------


class _Sink:
    """Where the files go: a folder being written, or a zip file being written. Each file is hashed as it is
    written; ``entries`` is what the manifest lists."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, int, str]] = []  # (relative path, size, sha256)

    def copy(self, relative: str, source: BinaryIO, cancelled: CancelCheck | None,
             advance: Callable[[int], None]) -> str:
        raise NotImplementedError

    def put(self, relative: str, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self.copy(relative, io.BytesIO(data), None, lambda _n: None)
        self.entries[-1] = (relative, len(data), digest)

    def close(self) -> None: ...


class _FolderSink(_Sink):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self._made: set[Path] = set()
        self._folders: dict[str, str] = {}
        self._buffers = threading.local()
        self.written: list[str] = []

    def _target(self, relative: str) -> Path:
        return Path(self.target_name(relative))

    def target_name(self, relative: str) -> str:
        """Where ``relative`` ("DICOM/PT000000/…/IM000001") goes, its folders made (as a string: thousands of
        images are quicker without a Path each)."""
        head, _sep, name = relative.rpartition("/")
        folder = self._folders.get(head)
        if folder is None:
            made = self.root.joinpath(*PurePosixPath(head).parts) if head else self.root
            made.mkdir(parents=True, exist_ok=True)
            self._made.add(made)
            folder = self._folders[head] = os.fspath(made)
        return os.path.join(folder, name)

    def copy(self, relative: str, source: BinaryIO, cancelled: CancelCheck | None,
             advance: Callable[[int], None]) -> str:
        path = self._target(relative)
        digest = hashlib.sha256()
        view = getattr(self._buffers, "view", None)
        if view is None:  # one block buffer per copying thread, not one per file
            view = self._buffers.view = memoryview(bytearray(CHUNK))
        total = 0
        with open(path, "xb") as out:
            while True:
                check(cancelled, CANCELLED)
                n = source.readinto(view)  # type: ignore[attr-defined]
                if not n:
                    break
                digest.update(view[:n])
                out.write(view[:n])
                total += n
                advance(n)
        self.written.append(os.fspath(path))
        hexdigest = digest.hexdigest()
        self.entries.append((relative, total, hexdigest))
        return hexdigest

    def flush(self, cancelled: CancelCheck | None) -> None:
        """Every file and folder on the disk before the folder takes its name: on Linux with one ``syncfs`` of
        the target's disk (what ``sync`` does, for that disk only; far quicker than thousands of fsyncs), else
        file by file."""
        if _syncfs(self.root):
            return
        for path in self.written:
            check(cancelled, CANCELLED)
            flags = os.O_RDWR if os.name == "nt" else os.O_RDONLY
            fd = os.open(path, flags)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for made in sorted(self._made | {self.root}, key=lambda p: len(p.parts), reverse=True):
            fsync_folder(made)


def _syncfs(path: Path) -> bool:
    """Flush everything written to the disk holding ``path``; False when the system cannot (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
        try:
            return bool(libc.syncfs(fd) == 0)
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        return False


class _ZipSink(_Sink):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.file = open(path, "xb")  # noqa: SIM115 - closed in close()
        self.zip = zipfile.ZipFile(self.file, "w", compression=zipfile.ZIP_STORED, allowZip64=True)

    def copy(self, relative: str, source: BinaryIO, cancelled: CancelCheck | None,
             advance: Callable[[int], None]) -> str:
        digest = hashlib.sha256()
        total = 0
        info = zipfile.ZipInfo(relative, date_time=dt.datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        info.flag_bits |= 0x800  # UTF-8 names
        with self.zip.open(info, "w", force_zip64=True) as out:
            while True:
                check(cancelled, CANCELLED)
                block = source.read(CHUNK)
                if not block:
                    break
                digest.update(block)
                out.write(block)
                total += len(block)
                advance(len(block))
        hexdigest = digest.hexdigest()
        self.entries.append((relative, total, hexdigest))
        return hexdigest

    def close(self) -> None:
        self.zip.close()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


def _manifest_text(entries: list[tuple[str, int, str]]) -> tuple[bytes, bytes]:
    ordered = sorted(entries)
    sums = "".join(f"{digest}  {path}\n" for path, _size, digest in ordered).encode("utf-8")
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\r\n")
    writer.writerow(["path", "size", "sha256"])
    for path, length, digest in ordered:
        writer.writerow([path, length, digest])
    return sums, table.getvalue().encode("utf-8")


@dataclass
class _IndexedStudy:
    date: dt.date | None
    modality: str
    description: str
    series_count: int
    image_count: int


def write_handoff(folder: DataFolder, target: Path | str, options: HandoffOptions = HandoffOptions(), *,
                  progress: Progress | None = None, cancelled: CancelCheck | None = None) -> HandoffResult:
    """Write the folder for the doctor (or, with ``as_zip``, a zip file of it) at ``target``.

    The same checks as ``plan_handoff`` come first (its errors, nothing written). Everything is written under a
    hidden name beside ``target`` and renamed to ``target`` once complete and on the disk; a failure or
    ``Cancelled`` removes it, so nothing is ever left half written. ``progress(done, total)`` moves once over the
    packet, the copies and the index files.
    """
    from pydicom import dcmread

    from secondopinion_desktop.core.packet import PacketOptions, build_packet

    plan = plan_handoff(folder, target, options)
    target = plan.target
    reported = [-1]

    def report(fraction: float) -> None:
        value = max(0, min(SCALE, round(fraction * SCALE)))
        if progress is not None and value != reported[0]:
            reported[0] = value
            progress(value, SCALE)

    stop = threading.Event()

    def stopping() -> bool:
        return stop.is_set() or (cancelled is not None and cancelled())

    study_descriptions: dict[str, str] = {}
    copies: _Copies | _ProcessCopies | None = None
    parent = target.parent
    sweep_partials(parent, target.name)
    token = secrets.token_hex(4)
    partial = parent / f".{target.name}{PARTIAL_MARK}{token}"
    work_dir: Path | None = None
    sink: _Sink | None = None
    problems = list(plan.problems)
    copy_total = max(1, sum(d.size for d in plan.documents) + sum(s.size for s in plan.studies))
    copied = 0
    packet_part = 0.0

    def advance(n: int) -> None:
        nonlocal copied
        copied += n  # in child processes the copies are counted as they are made, their outcomes afterwards
        done = max(copied, copies.copier.copied) if isinstance(copies, _ProcessCopies) else copied
        report(0.3 * packet_part + 0.6 * min(1.0, done / copy_total))

    try:
        check(cancelled, CANCELLED)
        if options.as_zip:
            work_dir = parent / f".{target.name}{PARTIAL_MARK}{token}.work"
            work_dir.mkdir(mode=0o700)
            packet_path = work_dir / PACKET_NAME
            partial = parent / f".{target.name}{PARTIAL_MARK}{token}.zip"
        else:
            partial.mkdir(mode=0o700)
            packet_path = partial / PACKET_NAME

        def copy_failed() -> bool:
            return isinstance(copies, _ProcessCopies) and copies.copier.failure is not None

        def stopping_or_failed() -> bool:  # a copy that failed stops the packet at once
            return stopping() or copy_failed()

        def make_packet() -> Any:
            def packet_progress(done: int, total: int, _what: str) -> None:
                nonlocal packet_part
                packet_part = min(1.0, done / total) if total > 0 else 0.0
                advance(0)


            return build_packet(
                folder, packet_path,
                PacketOptions(appointment_id=options.appointment_id,
                              include_image_thumbnails=options.include_image_thumbnails),
                progress=packet_progress, cancelled=stopping_or_failed)

        packet = None
        if options.as_zip:  # the packet first, on its own: beside copies in threads it would hold them up
            packet = make_packet()
            packet_part = 1.0
            check(cancelled, CANCELLED)
        out: _Sink
        if options.as_zip:
            out = sink = _ZipSink(partial)
            copies = _Copies(out, folder, stopping)
        elif folder.vault.sealed:  # an encrypted folder's files are decrypted on the way: copied by this process
            out = sink = _FolderSink(partial)
            copies = _Copies(out, folder, stopping)
        else:  # copies in child processes while this one builds the packet (here if none can start)
            out = sink = folder_sink = _FolderSink(partial)
            copies = _ProcessCopies(folder_sink, folder)

        documents: list[PlannedDocument] = []

        def document_done(doc: PlannedDocument, digest: str, unreadable: str) -> None:
            advance(doc.size)
            if unreadable:
                problems.append(f"The file of record {doc.record_id} ({doc.title!r}) cannot be read in the data "
                                f"folder ({unreadable}) and is left out.")
            elif digest != doc.sha256:
                _drop(out, doc.path)
                problems.append(f"The file of record {doc.record_id} ({doc.title!r}) is damaged in the data folder "
                                "(it no longer matches its checksum) and is left out.")
            else:
                documents.append(doc)

        for doc in plan.documents:
            check(cancelled, CANCELLED)
            copies.start(doc.path, doc.sha256,
                         lambda digest, unreadable, _head, doc=doc: document_done(doc, digest, unreadable))  # type: ignore[misc]

        tree = DicomTree()
        indexed: list[_IndexedStudy] = []
        written_images: dict[str, set[tuple[str, ...]]] = {}

        def header_of(sha256: str, described: list[str]) -> Callable[[], Any]:
            def header() -> Any:
                with folder.vault.open(sha256) as fh:
                    ds = dcmread(fh, stop_before_pixels=True, force=True)
                text = str(getattr(ds, "StudyDescription", "") or "").strip()
                if text and not described:
                    described.append(text)
                return ds

            return header

        def left_out(study: PlannedStudy, exc: Exception) -> None:
            problems.append(f"An image of the study {study.description!r} cannot be listed in a "
                            f"DICOMDIR ({exc.__class__.__name__}) and is left out.")

        def image_done(study: PlannedStudy, parts: tuple[str, ...], image: PlannedImage, instance: int,
                       reserved: bool, digest: str, unreadable: str, head: bytes) -> None:
            advance(image.size)
            if unreadable or digest != image.sha256:
                if not unreadable:
                    _drop(out, "/".join(parts))
                tree.remove(parts)
                written_images[study.study_uid].discard(parts)
                problems.append(f"An image cannot be read in the data folder ({unreadable}) and is left out."
                                if unreadable else "An image is damaged in the data folder (it no longer matches "
                                "its checksum) and is left out.")
                return
            if reserved:  # its record from the first bytes the copy read
                try:
                    tree.fill(parts, meta=file_meta(head), modality=image.modality, instance_number=instance,
                              header=header_of(image.sha256, []))
                except Exception as exc:  # noqa: BLE001 - one image that cannot be listed never stops the rest
                    _drop(out, "/".join(parts))
                    tree.remove(parts)
                    written_images[study.study_uid].discard(parts)
                    left_out(study, exc)

        deferred = isinstance(copies, _ProcessCopies)  # the copies read each image's first bytes
        for study in plan.studies:
            described: list[str] = []
            done_here = written_images.setdefault(study.study_uid, set())
            for number, image in enumerate(study.images, start=1):
                check(cancelled, CANCELLED)
                instance = image.instance_number or number
                reserved = deferred and bool(image.sop_uid)
                found = (tree.reserve(study_uid=study.study_uid, series_uid=image.series_uid, sop_uid=image.sop_uid)
                         if reserved else None)
                if found is None:  # the first image of its series: its header makes the series' records
                    reserved = False
                    try:
                        found = tree.add(meta=file_meta(_head(folder, image.sha256)), study_uid=study.study_uid,
                                         series_uid=image.series_uid, modality=image.modality,
                                         instance_number=instance, header=header_of(image.sha256, described))
                    except Exception as exc:  # noqa: BLE001 - one image that cannot be listed never stops the rest
                        left_out(study, exc)
                        advance(image.size)
                        continue
                parts = found
                done_here.add(parts)
                copies.start("/".join(parts), image.sha256,
                             lambda digest, unreadable, head, s=study, p=parts, i=image, n=instance, r=reserved:
                             image_done(s, p, i, n, r, digest, unreadable, head))  # type: ignore[misc]
            if not described and study.images:
                described.append(study.description)
            study_descriptions[study.study_uid] = described[0] if described else study.description
        if packet is None:
            copies.close_input()
            packet = make_packet()
            packet_part = 1.0
            check(cancelled, CANCELLED)
        def waiting() -> None:
            check(cancelled, CANCELLED)
            advance(0)

        copies.finish(waiting)
        for study in plan.studies:
            kept = written_images.get(study.study_uid, set())
            if kept:
                indexed.append(_IndexedStudy(study.date, study.modality, study_descriptions[study.study_uid],
                                             len({p[:4] for p in kept}), len(kept)))
        images_written = sum(len(k) for k in written_images.values())
        check(cancelled, CANCELLED)
        if options.as_zip:
            with open(packet_path, "rb") as fh:
                sink.copy(PACKET_NAME, fh, cancelled, lambda _n: None)
            packet_path.unlink()
        else:
            _adopt(sink, packet_path, lambda _n: None)
        report(0.9)
        if tree.count:
            dicomdir = io.BytesIO()
            tree.write(dicomdir)
            sink.put("DICOMDIR", dicomdir.getvalue())
        sink.put(INDEX_NAME, index_html(
            patient_name=plan.patient_name, date_of_birth=plan.date_of_birth, prepared=dt.date.today(),
            documents=documents, studies=indexed, has_packet=True, problems=problems).encode("utf-8"))
        sink.put(README_NAME, readme_text(documents=len(documents), studies=len(indexed), images=images_written,
                                          has_packet=True))
        sums, table = _manifest_text(sink.entries)
        listed = list(sink.entries)
        sink.put(MANIFEST_NAME, sums)
        sink.put(MANIFEST_CSV_NAME, table)
        if isinstance(sink, _FolderSink):
            sink.flush(cancelled)
        sink.close()
        sink = None
        check(cancelled, CANCELLED)  # the last moment: after this the folder is in place
        if not options.as_zip:
            with contextlib.suppress(OSError):  # FAT disks have no permissions to set
                os.chmod(partial, 0o777 & ~_umask())
            if target.exists():
                target.rmdir()  # the empty folder chosen
        os.replace(partial, target)
        fsync_folder(parent)
        report(1.0)
    except BaseException as exc:
        stop.set()
        failure = copies.copier.failure if isinstance(copies, _ProcessCopies) else None
        if copies is not None:  # every copy stops at its next block; nothing is removed under it
            copies.abandon()
        if sink is not None:
            with contextlib.suppress(Exception):
                sink.close()
        _remove(partial)
        if failure is not None and not (cancelled is not None and cancelled()):
            raise HandoffError(f"The folder for the doctor cannot be written to {target}: {failure.strerror}; "
                               "nothing was left behind.") from failure
        if isinstance(exc, Cancelled):
            raise Cancelled(CANCELLED) from None
        if isinstance(exc, OSError) and not isinstance(exc, SecondOpinionError):
            raise HandoffError(f"The folder for the doctor cannot be written to {target}: "
                               f"{exc.strerror or exc}; nothing was left behind.") from exc
        raise
    finally:
        if work_dir is not None:
            _remove(work_dir)
    total_bytes = sum(length for _path, length, _digest in listed) + len(sums) + len(table)
    return HandoffResult(target, len(listed) + 2, total_bytes, len(documents), len(indexed), images_written,
                         packet.pages, tuple(problems))


class _Copies:
    """File copies made by this process: by two threads in a folder (each copy is mostly the disk and the
    checksum, which let other threads run), one after the other in ``start`` itself for a zip file (it takes one
    entry at a time). ``start`` takes the stored file (or an open file of it, closed when its copy ends) and what
    to do with the SHA-256 written; that runs on the calling thread, in ``start`` and ``finish``."""

    _IN_FLIGHT = 8

    def __init__(self, sink: _Sink, folder: DataFolder, cancelled: CancelCheck) -> None:
        self.sink = sink
        self.folder = folder
        self.cancelled = cancelled
        self.pool = (concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="handoff-copy")
                     if isinstance(sink, _FolderSink) else None)
        self.pending: collections.deque[
            tuple[concurrent.futures.Future[str], Callable[[str, str, bytes], None], BinaryIO]] = collections.deque()

    def _copy(self, relative: str, source: BinaryIO) -> str:
        try:
            return self.sink.copy(relative, source, self.cancelled, lambda _n: None)
        finally:
            source.close()

    def start(self, relative: str, sha256: str, then: Callable[[str, str, bytes], None],
              source: BinaryIO | None = None) -> None:
        if source is None:
            source = self.folder.vault.open(sha256)
        if self.pool is None:
            then(self._copy(relative, source), "", b"")
            return
        try:
            future = self.pool.submit(self._copy, relative, source)
        except BaseException:
            source.close()
            raise
        self.pending.append((future, then, source))
        while len(self.pending) >= self._IN_FLIGHT or (self.pending and self.pending[0][0].done()):
            self._settle()

    def _settle(self) -> None:
        future, then, _source = self.pending.popleft()
        then(future.result(), "", b"")

    def close_input(self) -> None: ...

    def finish(self, wait: Callable[[], None] | None = None) -> None:
        while self.pending:
            self._settle()
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    def abandon(self) -> None:
        """After a failure: wait for the copies under way to stop (they see the cancel), keep none."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        for future, _then, source in self.pending:
            if future.cancelled():
                source.close()  # never started, so never closed by its copy
            else:
                with contextlib.suppress(BaseException):
                    future.result()
        self.pending.clear()


class _ProcessCopies:
    """The folder's copies made by child processes (``core.copier``), while this process reads the images'
    headers and builds the packet: ``start`` queues a copy (the open file it is given is only closed), ``finish``
    waits for them all and then runs each one's ``then(digest, unreadable, head)`` in order, listing what was written
    in the manifest. A target that cannot be written raises ``CopyFailed`` from ``finish``."""

    def __init__(self, sink: _FolderSink, folder: DataFolder) -> None:
        from secondopinion_desktop.core.copier import ChildCopies

        self.sink = sink
        self.vault_root = os.fspath(folder.vault.root)
        self.copier = ChildCopies()
        self.jobs: list[tuple[str, str, Callable[[str, str, bytes], None]]] = []

    def start(self, relative: str, sha256: str, then: Callable[[str, str, bytes], None],
              source: BinaryIO | None = None) -> None:
        if source is not None:
            source.close()
        if not _DIGEST.fullmatch(sha256):
            raise ValidationError(f"{sha256[:70]!r} is not a SHA-256 digest.")
        target = self.sink.target_name(relative)
        self.copier.add(len(self.jobs), os.path.join(self.vault_root, sha256[:2], sha256), target)
        self.jobs.append((relative, target, then))

    def close_input(self) -> None:
        self.copier.close_input()

    def finish(self, wait: Callable[[], None] | None = None) -> None:
        results = self.copier.finish(wait)
        for key, (relative, target, then) in enumerate(self.jobs):
            outcome = results.get(key)
            if outcome is None or outcome.unreadable:
                then("", outcome.unreadable if outcome is not None else "it was not copied", b"")
                continue
            self.sink.written.append(target)
            self.sink.entries.append((relative, outcome.size, outcome.digest))
            then(outcome.digest, "", outcome.head)

    def abandon(self) -> None:
        self.copier.abandon()


_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


def _head(folder: DataFolder, sha256: str) -> bytes:
    """The first 4 KB of a stored file (its DICOM meta header), read without following a link in its name; b""
    when it cannot be read. Only what the DICOMDIR lists comes from it: the copy opens the file again, safely."""
    if not _DIGEST.fullmatch(sha256):
        return b""
    if folder.vault.sealed:
        try:
            with folder.vault.open(sha256) as fh:
                return bytes(fh.read(4096))
        except (OSError, SecondOpinionError):
            return b""
    try:
        fd = os.open(os.path.join(os.fspath(folder.vault.root), sha256[:2], sha256),
                     os.O_RDONLY | _O_NOFOLLOW | _O_BINARY)
    except OSError:
        return b""
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _adopt(sink: _Sink, path: Path, advance: Callable[[int], None]) -> None:
    """List a file already written in the folder (the packet) in the manifest, hashing it once."""
    assert isinstance(sink, _FolderSink)
    digest = hashlib.sha256()
    total = 0
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            total += len(block)
            advance(len(block))
    sink.written.append(os.fspath(path))
    sink.entries.append((PACKET_NAME, total, digest.hexdigest()))


def _drop(sink: _Sink, relative: str) -> None:
    """Take back the file just written (its content was damaged): off the manifest and, in a folder, off the disk."""
    for entry in [e for e in sink.entries if e[0] == relative]:  # in place: copies under way append to it
        sink.entries.remove(entry)
    if isinstance(sink, _FolderSink):
        path = sink.root.joinpath(*PurePosixPath(relative).parts)
        with contextlib.suppress(OSError):
            path.unlink()
        with contextlib.suppress(ValueError):
            sink.written.remove(os.fspath(path))
    else:
        raise HandoffError("A stored file changed while the zip file was written; try again.")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


STALE_SECONDS = 3600.0  # a partial folder untouched this long is a killed hand-off's, not a running one's


def sweep_partials(parent: Path | str, name: str | None = None, *, older_than: float = STALE_SECONDS) -> int:
    """Remove the hidden folders and zip files (``.NAME.partial-…``) that killed hand-offs left in ``parent``
    (those for the target ``name`` only, when given) and that nothing has changed for ``older_than`` seconds."""
    import time

    removed = 0
    prefix = f".{name}{PARTIAL_MARK}" if name is not None else "."
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            if not (entry.name.startswith(prefix) and PARTIAL_MARK in entry.name):
                continue
            with contextlib.suppress(OSError):
                if time.time() - entry.stat(follow_symlinks=False).st_mtime >= older_than:
                    _remove(Path(entry.path))
                    removed += 1
    return removed


# --- checking ------------------------------------------------------------------------------------------------


def _read_manifest(data: bytes) -> dict[str, str]:
    listed: dict[str, str] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        digest, sep, path = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValidationError(f"The manifest {MANIFEST_NAME} is not in the sha256sum form; it cannot be checked.")
        listed[path.strip()] = digest.lower()
    return listed


def _read_sizes(data: bytes) -> dict[str, int]:
    sizes: dict[str, int] = {}
    with contextlib.suppress(Exception):
        for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
            sizes[row["path"]] = int(row["size"])
    return sizes


def verify_handoff(path: Path | str, *, progress: Progress | None = None,
                   cancelled: CancelCheck | None = None) -> VerifyResult:
    """Check a folder for the doctor (or its zip file) against its manifest: every listed file there, with the
    same size and SHA-256, and no file that is not listed. Raises ValidationError when there is no manifest."""
    path = Path(path).expanduser().absolute()
    if path.is_file() and zipfile.is_zipfile(path):
        return _verify_zip(path, progress, cancelled)
    manifest = path / MANIFEST_NAME
    if not path.is_dir():
        raise ValidationError(f"{path} is not a folder or a zip file for the doctor.")
    if not manifest.is_file():
        raise ValidationError(f"{path} has no {MANIFEST_NAME}, so it cannot be checked.")
    listed = _read_manifest(manifest.read_bytes())
    csv_path = path / MANIFEST_CSV_NAME
    sizes = _read_sizes(csv_path.read_bytes()) if csv_path.is_file() else {}
    present = {p.relative_to(path).as_posix() for p in _files(path)}
    own = {MANIFEST_NAME, MANIFEST_CSV_NAME}
    missing, changed = [], []
    total = sum(sizes.get(p, 0) for p in listed) or len(listed)
    done = 0
    for relative, digest in sorted(listed.items()):
        check(cancelled)
        if relative not in present:
            missing.append(relative)
            continue
        file_path = path.joinpath(*PurePosixPath(relative).parts)
        if relative in sizes and file_path.stat().st_size != sizes[relative]:
            changed.append(relative)
            continue
        hasher = hashlib.sha256()
        with open(file_path, "rb") as fh:
            while block := fh.read(CHUNK):
                check(cancelled)
                hasher.update(block)
                done += len(block)
                if progress is not None and sizes:
                    progress(done, total)
        if hasher.hexdigest() != digest:
            changed.append(relative)
    extra = sorted(present - set(listed) - own)
    return VerifyResult(path, len(listed), tuple(missing), tuple(changed), tuple(extra))


def _files(root: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield Path(current, name)


def _verify_zip(path: Path, progress: Progress | None, cancelled: CancelCheck | None) -> VerifyResult:
    with zipfile.ZipFile(path) as zf:
        names = {i.filename: i for i in zf.infolist() if not i.is_dir()}
        if MANIFEST_NAME not in names:
            raise ValidationError(f"{path} has no {MANIFEST_NAME}, so it cannot be checked.")
        listed = _read_manifest(zf.read(MANIFEST_NAME))
        missing, changed = [], []
        total = sum(names[p].file_size for p in listed if p in names) or 1
        done = 0
        for relative, digest in sorted(listed.items()):
            check(cancelled)
            if relative not in names:
                missing.append(relative)
                continue
            hasher = hashlib.sha256()
            try:
                with zf.open(names[relative]) as fh:
                    while block := fh.read(CHUNK):
                        check(cancelled)
                        hasher.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, total)
            except zipfile.BadZipFile:
                changed.append(relative)
                continue
            if hasher.hexdigest() != digest:
                changed.append(relative)
        extra = sorted(set(names) - set(listed) - {MANIFEST_NAME, MANIFEST_CSV_NAME})
    return VerifyResult(path, len(listed), tuple(missing), tuple(changed), tuple(extra))
