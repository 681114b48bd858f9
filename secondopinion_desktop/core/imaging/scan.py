"""Reading what is on an imaging CD or folder: DICOM headers only, grouped into studies and series.

Nothing is written. Files that are not DICOM (the viewer program beside the images, autorun files…) are counted
and skipped quietly; DICOM files that cannot be used (truncated, without a study, unreadable) and files a
DICOMDIR lists but that are missing are each named in ``problems`` with a plain reason.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.words import plural

DICOMDIR_NAME = "DICOMDIR"
PREAMBLE_LEN = 128
MAGIC = b"DICM"
DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")
# The header elements the inventory uses (decoded from their raw bytes; the rest stay undecoded).
HEADER_TAGS = (
    "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "SeriesNumber", "InstanceNumber",
    "Modality", "StudyDate", "StudyTime", "StudyDescription", "SeriesDescription", "BodyPartExamined",
    "InstitutionName", "ReferringPhysicianName", "PatientName", "PatientBirthDate", "PatientID",
    "AccessionNumber",
)


@dataclass(frozen=True)
class ImageFile:
    """One DICOM file found: where it is (relative to the scanned folder) and who it belongs to."""

    relative_path: str
    size: int
    sop_instance_uid: str
    instance_number: int | None


@dataclass(frozen=True)
class SeriesInfo:
    series_uid: str
    number: int | None
    description: str
    modality: str
    body_part: str
    files: tuple[ImageFile, ...]

    @property
    def image_count(self) -> int:
        return len(self.files)

    def label(self) -> str:
        """"Series 3 – AX T1 +C" (or the modality when the series has no description)."""
        number = f"Series {self.number}" if self.number is not None else "Series"
        return f"{number} – {self.description or self.modality or 'no description'}"

    def to_json(self) -> dict[str, Any]:
        return {
            "series_uid": self.series_uid, "number": self.number, "description": self.description,
            "modality": self.modality, "body_part": self.body_part, "images": self.image_count,
        }


@dataclass(frozen=True)
class StudyInfo:
    study_uid: str
    date: dt.date | None
    description: str
    modalities: tuple[str, ...]
    body_parts: tuple[str, ...]
    institution: str
    referring_physician: str
    accession_number: str
    patient_name: str
    patient_birth_date: dt.date | None
    series: tuple[SeriesInfo, ...]

    @property
    def image_count(self) -> int:
        return sum(s.image_count for s in self.series)

    def label(self) -> str:
        what = self.description or " ".join(self.modalities) or "Imaging study"
        return f"{what} ({self.date.isoformat()})" if self.date else what

    def patient_label(self) -> str:
        """Whose images these are, as the headers say: "Alex Sample, born 1970-02-14"."""
        return PatientInfo(self.patient_name, self.patient_birth_date).label()

    def to_json(self) -> dict[str, Any]:
        return {
            "study_uid": self.study_uid, "date": self.date.isoformat() if self.date else None,
            "description": self.description, "modalities": list(self.modalities),
            "body_parts": list(self.body_parts), "institution": self.institution,
            "referring_physician": self.referring_physician, "accession_number": self.accession_number,
            "patient_name": self.patient_name,
            "patient_birth_date": self.patient_birth_date.isoformat() if self.patient_birth_date else None,
            "images": self.image_count, "series": [s.to_json() for s in self.series],
        }


@dataclass(frozen=True)
class ScanProblem:
    path: str  # relative to the scanned folder
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class PatientInfo:
    name: str
    birth_date: dt.date | None

    def label(self) -> str:
        name = person_name(self.name) or "(no name)"
        return f"{name}, born {self.birth_date.isoformat()}" if self.birth_date else f"{name} (no birth date)"


@dataclass(frozen=True)
class ScanResult:
    root: Path
    studies: tuple[StudyInfo, ...]
    non_dicom_count: int
    problems: tuple[ScanProblem, ...]
    patients: tuple[PatientInfo, ...]
    used_dicomdir: bool
    file_count: int  # every regular file looked at

    @property
    def image_count(self) -> int:
        return sum(s.image_count for s in self.studies)

    @property
    def series_count(self) -> int:
        return sum(len(s.series) for s in self.studies)

    def summary_lines(self) -> list[str]:
        """What was found, in plain sentences: studies, series, counts, then anything wrong."""
        lines: list[str] = []
        source = " (read from its DICOMDIR index)" if self.used_dicomdir else ""
        if not self.studies:
            lines.append(f"No DICOM images were found in {self.root}{source}.")
        else:
            lines.append(
                f"Found {plural(len(self.studies), 'study', 'studies')}, "
                f"{plural(self.series_count, 'series', 'series')} and {plural(self.image_count, 'image')} "
                f"in {self.root}{source}."
            )
        for study in self.studies:
            details = [d for d in (
                ", ".join(study.modalities), ", ".join(study.body_parts), study.institution,
                f"referred by {study.referring_physician}" if study.referring_physician else "",
            ) if d]
            lines.append(f"Study: {study.label()}" + (f" — {'; '.join(details)}" if details else ""))
            for series in study.series:
                lines.append(f"  {series.label()}: {plural(series.image_count, 'image')}"
                             + (f" ({series.modality})" if series.modality and series.description else ""))
        if len(self.patients) == 1:
            lines.append(f"Patient on the images: {self.patients[0].label()}.")
        elif len(self.patients) > 1:
            lines.append(f"Warning: the images are of {len(self.patients)} different patients: "
                         + "; ".join(p.label() for p in self.patients) + ".")
        if self.non_dicom_count:
            verb = "is not a DICOM image" if self.non_dicom_count == 1 else "are not DICOM images"
            lines.append(f"Skipped {plural(self.non_dicom_count, 'file')} that {verb} "
                         "(viewer program, index and other files).")
        if self.problems:
            lines.append(f"{plural(len(self.problems), 'problem')}:")
            lines.extend(f"  {p.path}: {p.reason}" for p in self.problems)
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root), "used_dicomdir": self.used_dicomdir, "file_count": self.file_count,
            "studies": [s.to_json() for s in self.studies], "series_count": self.series_count,
            "image_count": self.image_count, "non_dicom_count": self.non_dicom_count,
            "problems": [p.to_json() for p in self.problems],
            "patients": [{"name": p.name, "birth_date": p.birth_date.isoformat() if p.birth_date else None}
                         for p in self.patients],
        }


def _text(ds: Any, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    if not isinstance(value, str) and hasattr(value, "__iter__") and not hasattr(value, "components"):
        value = next(iter(value), "")  # a multi-valued element: the first value
    return " ".join(str(value).split()).strip()


def parse_da(value: str) -> dt.date | None:
    """A DICOM DA value (YYYYMMDD, or the old YYYY.MM.DD) as a date; None when empty or invalid."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if len(digits) < 8:
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def person_name(value: str) -> str:
    """A DICOM person name as people write it: "SAMPLE^ALEX^J" → "Alex J Sample" (family name last).

    Names written all in capitals (as most scanners store them) or all in small letters are capitalised word by
    word; a name already in mixed case ("McDonald^Mary") keeps its own spelling.
    """
    alphabetic = str(value or "").split("=")[0]
    parts = [" ".join(p.split()) for p in alphabetic.split("^")]
    if len(parts) == 1:
        name = parts[0]
    else:
        family, given = parts[0], parts[1:3]
        name = " ".join(p for p in (*given, family) if p)
    if name and (name == name.upper() or name == name.lower()):
        name = _capitalise(name)
    return name


def _capitalise(name: str) -> str:
    """"O'BRIEN-SMITH JEAN" → "O'Brien-Smith Jean": a capital after a space, hyphen or apostrophe."""
    out: list[str] = []
    start = True
    for ch in name.lower():
        out.append(ch.upper() if start else ch)
        start = ch in " -'’."
    return "".join(out)


# --- walking ----------------------------------------------------------------------------------------------


def _walk(root: Path, cancelled: Callable[[], bool] | None) -> tuple[list[Path], list[ScanProblem], dict[Path, int]]:
    """Every regular file under ``root`` (and its size), following links to folders once (a link loop is named,
    not followed)."""
    files: list[Path] = []
    sizes: dict[Path, int] = {}
    problems: list[ScanProblem] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        if cancelled is not None and cancelled():
            raise Cancelled("The scan was cancelled.")
        folder = stack.pop()
        try:
            info = folder.stat()
        except OSError as exc:
            problems.append(ScanProblem(_rel(root, folder), f"cannot be opened ({exc.strerror or exc})"))
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            problems.append(ScanProblem(_rel(root, folder), "is a link back to a folder already read (skipped)"))
            continue
        seen.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(ScanProblem(_rel(root, folder), f"folder cannot be read ({exc.strerror or exc})"))
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            try:
                entry_stat = entry.stat()  # follows links
                mode = entry_stat.st_mode
            except OSError:
                if entry.is_symlink():
                    problems.append(ScanProblem(_rel(root, path), "is a broken link"))
                else:
                    problems.append(ScanProblem(_rel(root, path), "cannot be read"))
                continue
            if stat.S_ISDIR(mode):
                subfolders.append(path)
            elif stat.S_ISREG(mode):
                files.append(path)
                sizes[path] = entry_stat.st_size
        stack.extend(reversed(subfolders))
    return files, problems, sizes


def _rel(root: Path, path: Path) -> str:
    root_text, path_text = str(root), str(path)
    if path_text.startswith(root_text + os.sep):
        rel_text = path_text[len(root_text) + 1:]
        return rel_text.replace(os.sep, "/") if os.sep != "/" else rel_text
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
    return rel if rel != "." else path.name or str(path)


def _dicomdir_files(dicomdir: Path) -> tuple[list[Path], str | None]:
    """The files a DICOMDIR lists (absolute paths), or an error reason when it cannot be read."""
    from pydicom import dcmread

    try:
        ds = dcmread(dicomdir)
        records = ds.DirectoryRecordSequence
    except Exception as exc:  # noqa: BLE001 - a damaged index is searched around, whatever pydicom raises
        return [], f"the DICOMDIR index cannot be read ({exc.__class__.__name__}); the folder was searched instead"
    listed: list[Path] = []
    base = dicomdir.parent
    try:
        for record in records:
            ref = record.get("ReferencedFileID")
            if ref is None:
                continue
            parts = [ref] if isinstance(ref, str) else list(ref)
            listed.append(base.joinpath(*[str(p) for p in parts]))
    except Exception as exc:  # noqa: BLE001 - as above
        return [], f"the DICOMDIR index cannot be read ({exc.__class__.__name__}); the folder was searched instead"
    return listed, None


def _find_case_insensitive(path: Path) -> Path | None:
    """CDs written on Windows list "DICOM\\IM0001" and hold "dicom/im0001;1" and the like: find the file."""
    if path.is_file():
        return path
    parent = path.parent
    if parent != path and not parent.is_dir():
        parent = _find_case_insensitive(parent) or parent
    try:
        for entry in os.scandir(parent):
            name = entry.name.split(";")[0]
            if name.lower() == path.name.lower() or name.lower() == path.name.lower() + ".":
                return Path(entry.path)
    except OSError:
        return None
    return None


# --- reading headers ------------------------------------------------------------------------------------------


@dataclass
class _Header:
    relative_path: str
    size: int
    values: dict[str, str]  # keyword -> first value as text, for HEADER_TAGS


_KEYWORD_BY_TAG: dict[int, str] | None = None


def _header_values(ds: Any) -> dict[str, str]:
    """The HEADER_TAGS values as plain text (first value of multi-valued ones), decoded straight from the raw
    bytes when they are ASCII (the usual case, and much faster than pydicom's value conversion)."""
    global _KEYWORD_BY_TAG
    if _KEYWORD_BY_TAG is None:
        from pydicom.datadict import tag_for_keyword

        _KEYWORD_BY_TAG = {int(tag_for_keyword(k) or 0): k for k in HEADER_TAGS}
    wanted = _KEYWORD_BY_TAG
    values: dict[str, str] = {}
    for element in ds.values():  # raw elements, not yet converted
        keyword = wanted.get(element.tag)
        if keyword is None:
            continue
        raw = element.value
        if isinstance(raw, bytes) and raw.isascii():
            text = raw.decode("ascii")
        else:
            text = _text(ds, keyword)  # pydicom decodes other character sets
        text = text.split("\\")[0].strip("\x00 ")
        if text:
            values[keyword] = " ".join(text.split()) if keyword.endswith("Description") else text
    return values


def _read_header(path: Path, rel: str, expect_dicom: bool, size: int) -> _Header | ScanProblem | None:
    """The file's DICOM header; a problem when it should be DICOM but cannot be used; None when not DICOM.

    Never raises for what is in the file: a damaged file of any kind becomes a problem with a one-phrase reason.
    """
    from pydicom import dcmread

    try:
        with open(path, "rb") as fh:
            head = fh.read(PREAMBLE_LEN + len(MAGIC))
            if head[PREAMBLE_LEN:] != MAGIC:
                if expect_dicom or path.suffix.lower() in DICOM_SUFFIXES:
                    if not head:
                        return ScanProblem(rel, "is empty (0 bytes)")
                    return ScanProblem(rel, "is not a DICOM file (no DICOM header)")
                return None
            fh.seek(0)
            ds = dcmread(fh, stop_before_pixels=True)
            truncated = _truncated(fh, ds, size)
    except PermissionError:
        return ScanProblem(rel, "cannot be read (permission denied)")
    except OSError as exc:
        return ScanProblem(rel, f"cannot be read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - whatever a damaged file makes pydicom raise, it is one file's problem
        return ScanProblem(rel, _damaged_reason(exc))
    if truncated:
        return ScanProblem(rel, f"is truncated ({truncated}); the disc or copy may be damaged")
    if _is_waveform(ds):
        return ScanProblem(rel, "is not an image (a waveform recording such as an ECG); it was skipped")
    try:
        values = _header_values(ds)
    except Exception as exc:  # noqa: BLE001 - a value that cannot be decoded is this file's problem only
        return ScanProblem(rel, f"is damaged and its header cannot be read ({exc.__class__.__name__})")
    if not values.get("StudyInstanceUID"):
        return ScanProblem(rel, "has no study identifier (StudyInstanceUID) and cannot be placed in a study")
    if not values.get("SOPInstanceUID"):
        return ScanProblem(rel, "has no image identifier (SOPInstanceUID)")
    return _Header(rel, size, values)


def _damaged_reason(exc: BaseException) -> str:
    """One phrase for why a DICOM file could not be read (the kind of failure in brackets, never its details)."""
    import zlib

    name = exc.__class__.__name__
    if name == "error":  # struct.error, zlib.error: the module says what kind
        name = f"{exc.__class__.__module__}.error"
    if isinstance(exc, zlib.error):
        return f"is damaged: its compressed header cannot be unpacked ({name})"
    if isinstance(exc, NotImplementedError):
        return f"uses a DICOM encoding that cannot be read ({name})"
    if isinstance(exc, MemoryError):
        return f"is damaged: it declares more data than can be read ({name})"
    return f"is damaged or truncated and cannot be read as DICOM ({name})"


_WAVEFORM_CLASS_PREFIX = "1.2.840.10008.5.1.4.1.1.9."


def _sop_class(ds: Any) -> str:
    return _text(ds, "SOPClassUID") or _text(getattr(ds, "file_meta", {}), "MediaStorageSOPClassUID")


def _is_waveform(ds: Any) -> bool:
    """ECGs, haemodynamic and audio recordings: DICOM objects with a waveform (and no image) instead of an image.

    The Waveform module's sequence is required in every waveform object, so the cheap tag test comes first."""
    return "WaveformSequence" in ds and "Rows" not in ds and (
        "PixelData" not in ds or _sop_class(ds).startswith(_WAVEFORM_CLASS_PREFIX)
    )


_PIXEL_DATA_TAG = (0x7FE0, 0x0010)
_ITEM = (0xFFFE, 0xE000)
_SEQUENCE_DELIMITER = (0xFFFE, 0xE0DD)
_DEFLATED = "1.2.840.10008.1.2.1.99"
_NOT_IMAGE_CLASSES = (88, 104, 66, 11, 481, 9)
# 88 reports, 104 encapsulated documents, 66 registration, 11 presentation states, 481 radiotherapy, 9 waveforms


def _truncated(fh: Any, ds: Any, size: int) -> str | None:
    """Why the file is cut short, or None. Reading stopped at the pixel data (or at the end of the file): the pixel
    data element's length says how long the file must be; a file that ends within its header is cut short too.

    A deflated file is read through zlib, so its position says nothing about the file: zlib itself fails on one
    cut short, and such a file is only checked for holding image data at all."""
    transfer_syntax = _text(getattr(ds, "file_meta", {}), "TransferSyntaxUID")
    if transfer_syntax == _DEFLATED:
        return None
    position = fh.tell()
    if position >= size:
        sop_class = _sop_class(ds)
        image_class = sop_class.startswith("1.2.840.10008.5.1.4.1.1.") and not any(
            sop_class.startswith(f"1.2.840.10008.5.1.4.1.1.{kind}.") for kind in _NOT_IMAGE_CLASSES
        )
        if "Rows" in ds or image_class:
            return "the image data is missing"
        return "the file ends early" if not _text(ds, "StudyInstanceUID") else None
    fh.seek(position)
    header = fh.read(12)
    little = True
    encoding = getattr(ds, "original_encoding", None)
    if isinstance(encoding, tuple) and len(encoding) == 2 and encoding[1] is False:
        little = False
    order = "<" if little else ">"
    if len(header) < 8:
        return "the image data is cut off"
    group, element = struct.unpack(order + "HH", header[:4])
    if (group, element) != _PIXEL_DATA_TAG:
        return None
    if header[4:6] in (b"OB", b"OW", b"UN"):
        if len(header) < 12:
            return "the image data is cut off"
        (length,) = struct.unpack(order + "I", header[8:12])
        start = position + 12
    else:
        (length,) = struct.unpack(order + "I", header[4:8])
        start = position + 8
    if length == 0xFFFFFFFF:  # compressed: fragments, then a sequence delimiter (other elements may follow it)
        return None if _fragments_complete(fh, start, size, order) else "the compressed image data is cut off"
    return "the image data is cut off" if start + length > size else None


def _fragments_complete(fh: Any, start: int, size: int, order: str) -> bool:
    """True when the encapsulated pixel data starting at ``start`` runs to its sequence delimiter within the file.

    Each fragment is an item tag and a length; only those 8 bytes are read, the fragments themselves are skipped.
    """
    position = start
    while position + 8 <= size:
        fh.seek(position)
        raw = fh.read(8)
        if len(raw) < 8:
            return False
        group, element, length = struct.unpack(order + "HHI", raw)
        if (group, element) == _SEQUENCE_DELIMITER:
            return True
        if (group, element) != _ITEM or length == 0xFFFFFFFF:
            return False
        position += 8 + length
    return False


def scan_folder(
    root: Path | str,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ScanResult:
    """Inventory the DICOM images in ``root`` (a folder or a mounted disc), reading headers only.

    ``progress(done, total)`` is called per file; when ``cancelled()`` turns True, ``Cancelled`` is raised.
    """
    root = Path(root).expanduser()
    if not root.exists():
        raise ValidationError(f"The folder {root} does not exist (is the disc inserted?).")
    if not root.is_dir():
        raise ValidationError(f"{root} is not a folder; choose the folder (or disc) that holds the images.")
    root = root.absolute()
    files, problems, sizes = _walk(root, cancelled)

    dicomdir = next((f for f in files if f.parent == root and f.name.upper() == DICOMDIR_NAME), None)
    listed: set[Path] = set()
    used_dicomdir = False
    if dicomdir is not None:
        entries, error = _dicomdir_files(dicomdir)
        if error:
            problems.append(ScanProblem(_rel(root, dicomdir), error))
        else:
            used_dicomdir = True
            for entry in entries:
                found = _find_case_insensitive(entry)
                if found is None:
                    problems.append(ScanProblem(_rel(root, entry), "is listed in the DICOMDIR index but missing"))
                else:
                    listed.add(found)
    candidates = [f for f in files if f.name.upper() != DICOMDIR_NAME]
    # Files the DICOMDIR does not list are read too: discs sometimes hold more images than their index says.
    total = len(candidates)
    non_dicom = 0
    headers: list[_Header] = []
    for done, path in enumerate(candidates, start=1):
        if cancelled is not None and cancelled():
            raise Cancelled("The scan was cancelled.")
        rel = _rel(root, path)
        try:
            result = _read_header(path, rel, path in listed, sizes[path])
        except Exception as exc:  # noqa: BLE001 - one file that cannot be read never stops the scan of the rest
            result = ScanProblem(rel, _damaged_reason(exc))
        if result is None:
            non_dicom += 1
        elif isinstance(result, ScanProblem):
            problems.append(result)
        else:
            headers.append(result)
        if progress is not None:
            progress(done, total)

    studies, patients, duplicates = _group(headers)
    problems.extend(duplicates)
    return ScanResult(
        root=root, studies=studies, non_dicom_count=non_dicom, problems=tuple(problems), patients=patients,
        used_dicomdir=used_dicomdir, file_count=len(files),
    )


def _sort_key(value: int | None) -> tuple[int, int]:
    return (0, value) if value is not None else (1, 0)


def _distinct(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _group(
    headers: list[_Header],
) -> tuple[tuple[StudyInfo, ...], tuple[PatientInfo, ...], list[ScanProblem]]:
    by_study: dict[str, dict[str, list[_Header]]] = {}
    seen_sops: dict[str, str] = {}
    duplicates: list[ScanProblem] = []
    for h in headers:
        sop = _v(h, "SOPInstanceUID")
        if sop in seen_sops:
            duplicates.append(ScanProblem(h.relative_path, f"is the same image as {seen_sops[sop]} (skipped)"))
            continue
        seen_sops[sop] = h.relative_path
        study = by_study.setdefault(_v(h, "StudyInstanceUID"), {})
        study.setdefault(_v(h, "SeriesInstanceUID"), []).append(h)

    studies: list[StudyInfo] = []
    patients: dict[tuple[str, dt.date | None], None] = {}
    for study_uid, by_series in by_study.items():
        series_infos: list[SeriesInfo] = []
        every = [h for hs in by_series.values() for h in hs]
        for series_uid, hs in by_series.items():
            hs.sort(key=lambda h: (_sort_key(_vint(h, "InstanceNumber")), h.relative_path))
            first = hs[0]
            files = tuple(
                ImageFile(h.relative_path, h.size, _v(h, "SOPInstanceUID"), _vint(h, "InstanceNumber"))
                for h in hs
            )
            series_infos.append(SeriesInfo(
                series_uid=series_uid, number=_vint(first, "SeriesNumber"),
                description=_first_text(hs, "SeriesDescription"), modality=_first_text(hs, "Modality"),
                body_part=_first_text(hs, "BodyPartExamined"), files=files,
            ))
        series_infos.sort(key=lambda s: (_sort_key(s.number), s.series_uid))
        for h in every:
            patients[(_v(h, "PatientName"), parse_da(_v(h, "PatientBirthDate")))] = None
        dates = [d for d in (parse_da(_v(h, "StudyDate")) for h in every) if d]
        studies.append(StudyInfo(
            study_uid=study_uid, date=min(dates) if dates else None,
            description=_first_text(every, "StudyDescription"),
            modalities=_distinct([s.modality for s in series_infos]),
            body_parts=_distinct([s.body_part for s in series_infos]),
            institution=_first_text(every, "InstitutionName"),
            referring_physician=person_name(_first_text(every, "ReferringPhysicianName")),
            accession_number=_first_text(every, "AccessionNumber"),
            patient_name=_first_text(every, "PatientName"),
            patient_birth_date=parse_da(_first_text(every, "PatientBirthDate")),
            series=tuple(series_infos),
        ))
    studies.sort(key=lambda s: (s.date is None, s.date or dt.date.min, s.study_uid))
    return tuple(studies), tuple(PatientInfo(n, d) for n, d in patients), duplicates


def _v(h: _Header, keyword: str) -> str:
    return h.values.get(keyword, "")


def _vint(h: _Header, keyword: str) -> int | None:
    value = h.values.get(keyword)
    try:
        return int(float(value)) if value else None
    except ValueError:
        return None


def _first_text(headers: list[_Header], keyword: str) -> str:
    for h in headers:
        value = _v(h, keyword)
        if value:
            return value
    return ""
