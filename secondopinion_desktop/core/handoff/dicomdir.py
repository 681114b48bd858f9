"""The DICOMDIR of the folder for the doctor: one index at the root over every study, as imaging CDs have it.

The files go under ``DICOM/PT000000/ST000000/SE000000/IM000000`` (short upper-case names, at most 8 characters
each, as the DICOM media standard requires) and keep their bytes: each is copied as stored, so its SHA-256 in the
manifest is the one it was imported with. The PATIENT, STUDY and SERIES records are pydicom's own
(``pydicom.fileset.DIRECTORY_RECORDERS``, as ``FileSet`` makes them, from the first image of each series); an
IMAGE record holds only its file's ID, SOP class and instance, transfer syntax (from the file's meta header) and
instance number, so it is encoded here directly. ``pydicom.fileset.FileSet`` itself stages a copy of every image
and compares each new image with all before it: minutes for a few thousand images, where this takes well under a
second. Reading the index back with ``FileSet`` lists every image (the tests do).

An image whose header lacks an element a record must carry gets a neutral value in its record only (the file is
unchanged), as the imaging export does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

_REQUIRED_PLACEHOLDERS = {
    "PatientID": "UNKNOWN",
    "StudyDate": "19000101",
    "StudyTime": "000000",
    "StudyID": "1",
    "Modality": "OT",
    "SeriesNumber": "0",
}
ROOT = "DICOM"
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
_ITEM = b"\xfe\xff\x00\xe0"
_SEQ_END = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


@dataclass
class _Node:
    record: Any  # the directory record: a pydicom Dataset, or an IMAGE record already encoded (bytes)
    children: dict[str, _Node] = field(default_factory=dict)
    index: int = 0  # its number among its parent's children, as in its folder name
    issued: int = 0  # numbers given to its children so far (never given twice, even after a removal)

    def child(self, key: str, record: Any) -> _Node:
        node = self.children[key] = _Node(record, index=self.issued)
        self.issued += 1
        return node


def _element(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    """One element in Explicit VR Little Endian, for the VRs with a 2-byte length (UL, US, CS, UI, IS)."""
    if len(value) % 2:
        value += b"\0" if vr == b"UI" else b" "
    return struct.pack("<HH2sH", group, element, vr, len(value)) + value


def file_meta(head: bytes) -> dict[int, str] | None:
    """The text elements of a DICOM file's meta header (group 0002: 2 SOP class, 3 SOP instance, 16 transfer
    syntax) read from its first bytes; None when it has no Part 10 header there."""
    if len(head) < 140 or head[128:132] != b"DICM":
        return None
    long_vrs = {b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV", b"SV", b"UV"}
    found: dict[int, str] = {}
    pos = 132
    while pos + 8 <= len(head):
        group, element = struct.unpack_from("<HH", head, pos)
        if group != 2:
            break
        vr = head[pos + 4:pos + 6]
        if vr in long_vrs:
            if pos + 12 > len(head):
                return None
            length, start = struct.unpack_from("<I", head, pos + 8)[0], pos + 12
        else:
            length, start = struct.unpack_from("<H", head, pos + 6)[0], pos + 8
        if start + length > len(head):
            return None
        if vr in (b"UI", b"CS", b"SH", b"AE"):
            found[element] = head[start:start + length].decode("ascii", "replace").strip("\0 ")
        pos = start + length
    return found if found.get(2) and found.get(3) and found.get(16) else None


class DicomTree:
    """The studies being written: ``add`` each image in order; ``write`` writes the DICOMDIR.

    An image's records come from what the data folder knows of it (its study, series and instance) and from its
    file's meta header; its full header is read (``header()``) only for the first image of a series, whose
    PATIENT, STUDY and SERIES records it gives, and for instances that are not plain images.
    """

    def __init__(self) -> None:
        self._root = _Node(None)
        self._patients = self._root.children
        self._study_patient: dict[str, str] = {}
        self._where: dict[tuple[str, ...], tuple[str, str, str, str]] = {}
        self.count = 0

    def add(self, *, meta: dict[int, str] | None, study_uid: str, series_uid: str, modality: str,
            instance_number: int, header: Callable[[], Any]) -> tuple[str, ...]:
        """Make the records for one image; returns its File ID (the path's parts under the root). Raises
        ValueError (nothing added) when the image cannot be listed in a DICOMDIR. ``header()`` reads the image's
        header (``stop_before_pixels``)."""
        from pydicom import fileset

        four_level = getattr(fileset, "_FOUR_LEVEL_SOP_CLASSES", {})
        plain_image = (meta is not None and meta[2] not in four_level
                       and modality not in ("RTINTENT", "RTSEGANN", "RTRAD", "PLAN"))
        patient_key = self._study_patient.get(study_uid)
        patient = self._patients.get(patient_key) if patient_key is not None else None
        study = patient.children.get(study_uid) if patient is not None else None
        series = study.children.get(series_uid) if study is not None else None
        ds = None
        if series is None or not plain_image:
            ds = _complete(header(), instance_number)
            if str(ds.StudyInstanceUID) != study_uid or str(ds.SeriesInstanceUID) != series_uid:
                study_uid, series_uid = str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)
                patient_key = self._study_patient.get(study_uid)
                patient = self._patients.get(patient_key) if patient_key is not None else None
                study = patient.children.get(study_uid) if patient is not None else None
                series = study.children.get(series_uid) if study is not None else None
        if ds is not None:
            records = {kind: _record(kind, ds) for kind in ("PATIENT", "STUDY", "SERIES")
                       if (kind == "PATIENT" and patient is None and str(ds.PatientID) not in self._patients)
                       or (kind == "STUDY" and study is None) or (kind == "SERIES" and series is None)}
            if patient is None:
                patient_key = str(ds.PatientID)
                patient = self._patients.get(patient_key)
                if patient is None:
                    patient = self._root.child(patient_key, records["PATIENT"])
                self._study_patient[study_uid] = patient_key
            if study is None:
                study = patient.child(study_uid, records["STUDY"])
            if series is None:
                series = study.child(series_uid, records["SERIES"])
        assert patient is not None and study is not None and series is not None and patient_key is not None
        parts = (ROOT, f"PT{patient.index:06d}", f"ST{study.index:06d}", f"SE{series.index:06d}",
                 f"IM{series.issued:06d}")
        if plain_image and meta is not None:
            sop_uid = meta[3]
        else:
            assert ds is not None
            sop_uid = str(ds.SOPInstanceUID)
        if sop_uid in series.children:
            raise ValueError("it is in the folder already")
        leaf = self._leaf(parts, meta, ds, instance_number, plain_image)
        series.child(sop_uid, leaf)
        self._where[parts] = (patient_key, study_uid, series_uid, sop_uid)
        self.count += 1
        return parts

    def reserve(self, *, study_uid: str, series_uid: str, sop_uid: str) -> tuple[str, ...] | None:
        """The File ID of the next image of a series already here (None when the series is not: ``add`` it), its
        record made later by ``fill`` from the file's first bytes, once the file is copied."""
        patient_key = self._study_patient.get(study_uid)
        patient = self._patients.get(patient_key) if patient_key is not None else None
        study = patient.children.get(study_uid) if patient is not None else None
        series = study.children.get(series_uid) if study is not None else None
        if series is None or patient_key is None or not sop_uid or sop_uid in series.children:
            return None
        assert patient is not None and study is not None
        parts = (ROOT, f"PT{patient.index:06d}", f"ST{study.index:06d}", f"SE{series.index:06d}",
                 f"IM{series.issued:06d}")
        series.child(sop_uid, None)
        self._where[parts] = (patient_key, study_uid, series_uid, sop_uid)
        self.count += 1
        return parts

    def fill(self, parts: tuple[str, ...], *, meta: dict[int, str] | None, modality: str, instance_number: int,
             header: Callable[[], Any]) -> None:
        """Make the record of a reserved image. Raises ValueError when it cannot be listed, or is not in the study
        and series the data folder knows (the caller then ``remove``s it)."""
        from pydicom import fileset

        patient_key, study_uid, series_uid, sop_uid = self._where[parts]
        node = self._patients[patient_key].children[study_uid].children[series_uid].children[sop_uid]
        four_level = getattr(fileset, "_FOUR_LEVEL_SOP_CLASSES", {})
        plain_image = (meta is not None and meta[2] not in four_level
                       and modality not in ("RTINTENT", "RTSEGANN", "RTRAD", "PLAN"))
        ds = None
        if not plain_image:
            ds = _complete(header(), instance_number)
            if (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)) != (study_uid, series_uid):
                raise ValueError("it is not in the series the data folder knows")
        node.record = self._leaf(parts, meta, ds, instance_number, plain_image)

    @staticmethod
    def _leaf(parts: tuple[str, ...], meta: dict[int, str] | None, ds: Any, instance_number: int,
              plain_image: bool) -> Any:
        if plain_image and meta is not None:
            return b"".join((
                _element(0x0004, 0x1400, b"UL", b"\0\0\0\0"),
                _element(0x0004, 0x1410, b"US", b"\xff\xff"),
                _element(0x0004, 0x1420, b"UL", b"\0\0\0\0"),
                _element(0x0004, 0x1430, b"CS", b"IMAGE"),
                _element(0x0004, 0x1500, b"CS", "\\".join(parts).encode("ascii")),
                _element(0x0004, 0x1510, b"UI", meta[2].encode("ascii")),
                _element(0x0004, 0x1511, b"UI", meta[3].encode("ascii")),
                _element(0x0004, 0x1512, b"UI", meta[16].encode("ascii")),
                _element(0x0020, 0x0013, b"IS", str(instance_number)[:12].encode("ascii")),
            ))
        assert ds is not None
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        if not syntax:
            raise ValueError("it has no transfer syntax")
        leaf = _record(_leaf_type(ds), ds)
        leaf.ReferencedFileID = list(parts)
        leaf.ReferencedSOPClassUIDInFile = ds.SOPClassUID
        leaf.ReferencedSOPInstanceUIDInFile = ds.SOPInstanceUID
        leaf.ReferencedTransferSyntaxUIDInFile = syntax
        return leaf

    def remove(self, parts: tuple[str, ...]) -> None:
        """Take an image out again (its file could not be written as it should)."""
        where = self._where.pop(parts, None)
        if where is None:
            return
        patient_key, study_key, series_key, sop = where
        patient = self._patients[patient_key]
        study = patient.children[study_key]
        series = study.children[series_key]
        del series.children[sop]
        if not series.children:
            del study.children[series_key]
        if not study.children:
            del patient.children[study_key]
            self._study_patient.pop(study_key, None)
        if not patient.children:
            del self._patients[patient_key]
        self.count -= 1

    def write(self, fh: BinaryIO) -> None:
        """Write the DICOMDIR to the open file ``fh``."""
        from pydicom.dataset import Dataset, FileMetaDataset
        from pydicom.filebase import DicomBytesIO
        from pydicom.filewriter import write_dataset, write_file_meta_info
        from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian, generate_uid

        def encode(ds: Any) -> bytes:
            if isinstance(ds, bytes):
                return ds
            fp = DicomBytesIO()
            fp.is_little_endian = True
            fp.is_implicit_VR = False
            write_dataset(fp, ds)
            return fp.getvalue()

        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = UID(MEDIA_STORAGE_DIRECTORY)
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        head = DicomBytesIO()
        head.is_little_endian = True
        head.is_implicit_VR = False
        head.write(b"\x00" * 128 + b"DICM")
        write_file_meta_info(head, meta, enforce_standard=True)
        preamble = head.getvalue()

        top = Dataset()
        top.FileSetID = ""
        top.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
        top.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
        top.FileSetConsistencyFlag = 0
        top_length = len(encode(top))
        sequence_header = struct.pack("<HH2sHI", 0x0004, 0x1220, b"SQ", 0, 0xFFFFFFFF)

        # depth first, as pydicom lays records out: each record followed by the records below it
        order: list[tuple[_Node, _Node | None]] = []  # (node, the next one at its level)

        def walk(siblings: list[_Node]) -> None:
            for i, node in enumerate(siblings):
                order.append((node, siblings[i + 1] if i + 1 < len(siblings) else None))
                walk(list(node.children.values()))

        roots = list(self._patients.values())
        walk(roots)
        if any(node.record is None for node, _ in order):
            raise ValueError("an image reserved in the index has no record yet")
        encoded = [encode(node.record) for node, _ in order]
        offset_of: dict[int, int] = {}
        position = len(preamble) + top_length + len(sequence_header)
        for (node, _), data in zip(order, encoded, strict=True):
            offset_of[id(node)] = position
            position += len(data) + 8
        body = bytearray()
        for (node, after), data in zip(order, encoded, strict=True):
            first_child = next(iter(node.children.values()), None)
            record = bytearray(data)
            _patch(record, _NEXT, offset_of[id(after)] if after is not None else 0)
            _patch(record, _LOWER, offset_of[id(first_child)] if first_child is not None else 0)
            body += _ITEM + struct.pack("<I", len(record)) + record
        top.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = offset_of[id(roots[0])] if roots else 0
        top.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = offset_of[id(roots[-1])] if roots else 0
        fh.write(preamble)
        fh.write(encode(top))
        fh.write(sequence_header)
        fh.write(body)
        fh.write(_SEQ_END)


_NEXT = struct.pack("<HH2sH", 0x0004, 0x1400, b"UL", 4)
_LOWER = struct.pack("<HH2sH", 0x0004, 0x1420, b"UL", 4)


def _patch(record: bytearray, element: bytes, value: int) -> None:
    """Set one of a record's offsets (fixed-size UL elements among its first few) in its encoded bytes."""
    at = record.find(element, 0, 64)
    if at < 0:
        raise ValueError("a directory record lacks its offsets")
    record[at + 8:at + 12] = struct.pack("<I", value)


def _complete(ds: Any, instance_number: int) -> Any:
    """The header with a neutral value for each element a record must carry and the image lacks."""
    for keyword in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        if keyword not in ds or not ds[keyword].VM:
            raise ValueError(f"it has no {keyword}")
    for keyword, value in _REQUIRED_PLACEHOLDERS.items():
        if keyword not in ds or ds[keyword].VM == 0:
            setattr(ds, keyword, value)
    if "InstanceNumber" not in ds or ds["InstanceNumber"].VM == 0:
        ds.InstanceNumber = instance_number
    return ds


def _record(kind: str, ds: Any) -> Any:
    from pydicom.fileset import DIRECTORY_RECORDERS

    record = DIRECTORY_RECORDERS[kind](ds)
    record.OffsetOfTheNextDirectoryRecord = 0
    record.RecordInUseFlag = 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = kind
    if "SpecificCharacterSet" in ds:
        record.SpecificCharacterSet = ds.SpecificCharacterSet
    return record


def _leaf_type(ds: Any) -> str:
    """The record type pydicom gives an instance of this SOP class ("IMAGE" for images)."""
    from pydicom import fileset

    decide = getattr(fileset, "_four_level_record_type", None)  # pydicom's own choice, as FileSet.add makes it
    if decide is None:
        return "IMAGE"
    try:
        return str(decide(ds))
    except (ValueError, AttributeError, KeyError):
        return "IMAGE"
