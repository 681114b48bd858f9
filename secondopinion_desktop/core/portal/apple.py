"""Apple Health exports: the clinical records a hospital sent to the Health app, read into one ``Document``.

The Health app's "Export All Health Data" gives ``export.zip`` holding ``apple_health_export/export.xml`` (every
step, heartbeat and workout: often hundreds of megabytes, with an internal DTD) and, when the patient connected
hospital accounts, ``apple_health_export/clinical-records/*.json`` — one FHIR resource each, DSTU2 or R4. The
``ClinicalRecord`` elements of export.xml name those files (``resourceFilePath``), their FHIR version and the
hospital (``sourceName``); ``Me`` gives the birth date.

export.xml is streamed (``safety.iter_xml``: memory flat, entities never expanded); its activity records are
passed over without being read. Each clinical record is mapped by the FHIR reader; each report keeps its
records' JSON files, so nothing the hospital sent is lost.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from secondopinion_desktop.core.portal import safety
from secondopinion_desktop.core.portal.fhir import Item, Reader, version_of
from secondopinion_desktop.core.portal.model import Document, Patient, ReadResult, Skipped, iso_time, plain
from secondopinion_desktop.core.progress import CancelCheck, Cancelled, Progress

EXPORT_FOLDER = "apple_health_export"
_EXPORT_NAMES = ("export.xml", "exportar.xml")  # the Health app names it in the phone's language at times
# Every element that can stand between two clinical records, so that each is let go of as soon as it ends
# (iter_xml frees what came before an element it gives); only Me and ClinicalRecord are read.
_TAGS = ("Me", "ClinicalRecord", "Record", "Correlation", "Workout", "ActivitySummary", "ExportDate",
         "Audiogram", "VisionPrescription")
_SEXES = {"HKBiologicalSexFemale": "female", "HKBiologicalSexMale": "male", "HKBiologicalSexOther": "other"}


@dataclass(frozen=True)
class _Clinical:
    kind: str
    path: str  # relative to the export folder: "clinical-records/Observation-123.json"
    source_name: str
    fhir_version: str
    received: str


def looks_like_apple_health(path: Path | str) -> bool:
    """Whether ``path`` is an Apple Health export: a zip holding ``apple_health_export/export.xml``, the
    unpacked ``apple_health_export`` folder, or a folder holding it."""
    p = Path(path)
    try:
        if p.is_dir():
            return _folder_export(p) is not None
        if p.is_file() and p.suffix.lower() == ".zip":
            with safety.SafeZip(p) as zf:
                return _zip_export(zf) is not None
    except (safety.Refused, OSError):
        return False
    return False


def _folder_export(folder: Path) -> Path | None:
    """export.xml in ``folder`` or in its ``apple_health_export`` folder. Nothing inside the chosen folder is
    reached through a link: the file and the folder holding it must be a file and a folder of their own (seen
    with ``lstat``), and that folder must lie inside the chosen one, so a link to someone else's export placed
    in a folder is never read."""
    try:
        chosen = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    for root in (folder, folder / EXPORT_FOLDER):
        if root is not folder and not _is_dir(root):
            continue
        try:
            inside = root.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if inside != chosen and chosen not in inside.parents:
            continue
        for name in _EXPORT_NAMES:
            candidate = root / name
            if _is_file(candidate) and (root.name == EXPORT_FOLDER or _is_dir(root / "clinical-records")):
                return candidate
    return None


def _is_dir(path: Path) -> bool:
    """A folder of its own, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_file(path: Path) -> bool:
    """A regular file of its own, not a link to one (nor a pipe or a device)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _open_regular(path: Path, shown: str) -> IO[bytes]:
    """``path`` opened for streaming, never through a link and never a pipe or device (``O_NONBLOCK`` so that
    opening a pipe never waits for a writer; the open file is then checked to be a regular file)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise safety.Unreadable(f"{shown} is a link; links are not followed.") from None
        raise safety.Unreadable(f"{shown} cannot be read ({(exc.strerror or 'unreadable').lower()}).") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise safety.Unreadable(f"{shown} is not a regular file; it was not read.")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _zip_export(zf: safety.SafeZip) -> safety.ZipEntry | None:
    for entry in zf.entries:
        parts = entry.name.split("/")
        if len(parts) >= 2 and parts[-2] == EXPORT_FOLDER and parts[-1].lower() in _EXPORT_NAMES:
            return entry
    return None


def read_apple_health(path: Path | str, *, progress: Progress | None = None,
                      cancelled: CancelCheck | None = None) -> ReadResult:
    """The export's clinical records as one ``Document`` (format "Apple Health"). ``safety.Refused`` (naming
    the export) for hostile input or something that is not an export; ``Cancelled`` when asked to stop."""
    p = Path(path)
    name = p.name or str(p)
    if p.is_dir():
        xml_path = _folder_export(p)
        if xml_path is None:
            raise safety.Refused(f"{name} is not an Apple Health export (it holds no export.xml); it was not read.")
        root = xml_path.parent
        with _open_regular(xml_path, xml_path.name) as xml_file:
            total = os.fstat(xml_file.fileno()).st_size
            me, clinical = _scan(xml_file, total, f"{name}/{xml_path.name}", progress, cancelled)
        return _assemble(name, me, clinical, lambda rel: _read_folder_file(root, rel), cancelled)
    with safety.SafeZip(p) as zf:
        entry = _zip_export(zf)
        if entry is None:
            raise safety.Refused(f"{name} is not an Apple Health export (it holds no "
                                 f"{EXPORT_FOLDER}/export.xml); it was not read.")
        prefix = entry.name.rsplit("/", 1)[0] + "/"
        with zf.open(entry) as fh:
            me, clinical = _scan(fh, entry.size, f"{name}/{safety.shown(entry.name)}", progress, cancelled)
        known = {e.name: e for e in zf.entries}

        def read(rel: str) -> bytes:
            found = known.get(prefix + rel)
            if found is None:
                raise FileNotFoundError(rel)
            return zf.read(found)

        return _assemble(name, me, clinical, read, cancelled)


class _Counted(io.RawIOBase):
    """A reader that counts the bytes it gives and checks for cancel between reads."""

    def __init__(self, stream: IO[bytes], cancelled: CancelCheck | None) -> None:
        self._stream = stream
        self._cancelled = cancelled
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._cancelled is not None and self._cancelled():
            raise Cancelled()
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        self.done += len(data)
        return len(data)


def _scan(stream: IO[bytes], total: int, shown: str, progress: Progress | None,
          cancelled: CancelCheck | None) -> tuple[dict[str, str], list[_Clinical]]:
    counted = _Counted(stream, cancelled)
    me: dict[str, str] = {}
    clinical: list[_Clinical] = []
    reported = -1
    step = max(total // 200, 1024 * 1024)
    if progress is not None:
        progress(0, total)
    for n, element in enumerate(safety.iter_xml(io.BufferedReader(counted, 1024 * 1024), shown, _TAGS)):
        tag = element.tag
        if tag == "ClinicalRecord":
            get = element.get
            rel = (get("resourceFilePath") or "").replace("\\", "/").lstrip("/")
            clinical.append(_Clinical(kind=get("type") or "", path=rel, source_name=plain(get("sourceName")),
                                      fhir_version=get("fhirVersion") or "", received=get("receivedDate") or ""))
        elif tag == "Me":
            me = {str(k): str(v) for k, v in element.attrib.items()}
        if n & 0x3FF == 0:
            if cancelled is not None and cancelled():
                raise Cancelled()
            if progress is not None and counted.done - reported >= step:
                reported = counted.done
                progress(min(counted.done, total) if total else counted.done, total)
    if progress is not None:
        progress(total or counted.done, total or counted.done)
    return me, clinical


def _read_folder_file(root: Path, rel: str) -> bytes:
    """A clinical record's file in the export folder ``root``: every folder on the way is a folder of its own
    (a link is never gone through) and the file is read by ``safety.read_file`` (never through a link, never a
    pipe or device, its size checked)."""
    parts = [part for part in rel.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise PermissionError(rel)
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        mode = os.lstat(folder).st_mode
        if stat.S_ISLNK(mode):
            raise safety.Unreadable(f"{safety.shown(part)} is a link; links are not followed.")
        if not stat.S_ISDIR(mode):
            raise NotADirectoryError(rel)
    return safety.read_file(folder / parts[-1], rel)


def _assemble(name: str, me: dict[str, str], clinical: list[_Clinical], read: Callable[[str], bytes],
              cancelled: CancelCheck | None) -> ReadResult:
    skipped: list[Skipped] = []
    items: list[Item] = []
    source_prefix = f"{EXPORT_FOLDER}/"
    if len(clinical) > safety.MAX_RESOURCES:
        raise safety.Refused(f"{name} holds more than {safety.MAX_RESOURCES:,} clinical records; it was not read.")
    for n, record in enumerate(clinical, start=1):
        if n % 200 == 0 and cancelled is not None and cancelled():
            raise Cancelled()
        source = source_prefix + record.path if record.path else name
        label = record.kind.removeprefix("HKClinicalTypeIdentifier").removesuffix("Record") or "clinical"
        if not record.path.lower().endswith(".json") or ".." in record.path.split("/"):
            skipped.append(Skipped(name, f"clinical record {n} ({label})",
                                   "it does not name a clinical-record file"))
            continue
        try:
            data = read(record.path)
        except (OSError, KeyError):
            skipped.append(Skipped(source, f"clinical record {n} ({label})",
                                   "its file is missing from the export or cannot be read"))
            continue
        except safety.Refused as exc:  # a link, a pipe or device, a file far too large
            skipped.append(Skipped(source, f"clinical record {n} ({label})", str(exc)))
            continue
        try:
            resource = safety.load_json(data, record.path)
        except safety.Refused as exc:
            skipped.append(Skipped(source, f"clinical record {n} ({label})", str(exc)))
            continue
        found = _resources(resource)
        if not found:
            skipped.append(Skipped(source, f"clinical record {n} ({label})", "its file is not a FHIR resource"))
            continue
        version = version_of(found, record.fhir_version) if record.fhir_version else version_of(found)
        for res in found:
            items.append(Item(res, f"{record.path} ({res['resourceType']})", source, version=version, raw=data,
                              raw_name=record.path, facility=record.source_name))
    if not items:
        reason = ("it holds no clinical records (its activity and measurement data are not health records)"
                  if not clinical else "none of its clinical records could be read")
        return ReadResult(skipped=(Skipped(name, "", reason), *skipped))
    hint = Patient(birth_date=_birth(me.get("HKCharacteristicTypeIdentifierDateOfBirth", "")),
                   sex=_SEXES.get(me.get("HKCharacteristicTypeIdentifierBiologicalSex", ""), ""))
    parts = Reader(items, name).read(patient_hint=hint)
    received = max((_received(c.received) for c in clinical), default="")
    document = Document(
        source=name, format="Apple Health", kind="clinical", title="Apple Health clinical records",
        when=parts.latest or received, facility=parts.facility, clinician="", patient=parts.patient,
        sections=tuple(parts.sections), reports=tuple(parts.reports), medications=tuple(parts.medications),
        allergies=tuple(parts.allergies), problems=tuple(parts.problems), links=tuple(parts.links),
        skipped=tuple(skipped + parts.skipped), original=None, original_name="", original_media_type="",
        own_record=False,
    )
    return ReadResult(documents=(document,))


def _resources(value: object) -> list[dict[str, Any]]:
    """The resources of one clinical-record file: the resource itself, or a bundle's entries."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry")
        found = [e.get("resource") for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    else:
        found = [value]
    return [r for r in found if isinstance(r, dict) and isinstance(r.get("resourceType"), str)]


def _birth(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def _received(text: str) -> str:
    return iso_time(text.replace(" ", "T", 1).split(" ")[0]) if text else ""


__all__ = ["looks_like_apple_health", "read_apple_health"]
