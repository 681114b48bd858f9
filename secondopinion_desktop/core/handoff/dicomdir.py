"""The DICOMDIR of the folder for the doctor: one index at the root over every study, as imaging CDs have it.

The files go under ``DICOM/PT000000/ST000000/SE000000/IM000000`` (short upper-case names, at most 8 characters
each, as the DICOM media standard requires) and keep their bytes: each is copied as stored, so its SHA-256 in the
manifest is the one it was imported with. The directory records are pydicom's own (``pydicom.fileset``'s record
makers, the same ``PATIENT``/``STUDY``/``SERIES``/``IMAGE`` records ``FileSet`` writes); this module only lays
them out and links them by offset. ``FileSet`` itself stages a copy of every image and compares every new image
with all before it, which takes minutes for a few thousand images; reading the index back with
``pydicom.fileset.FileSet`` lists every image (the tests do).

An image whose header lacks an element a record must carry gets a neutral value in its record only (the file is
unchanged), as the imaging export does.
"""

from __future__ import annotations

import struct
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
    records: Any  # the directory record (a pydicom Dataset)
    children: dict[str, _Node] = field(default_factory=dict)


class DicomTree:
    """The studies being written: ``add`` each image's header (read with ``stop_before_pixels``), in order;
    ``file_id`` is where its file goes; ``write`` writes the DICOMDIR."""

    def __init__(self) -> None:
        self._patients: dict[str, _Node] = {}
        self._last: tuple[str, str, str, str] | None = None
        self.count = 0

    def add(self, header: Any, instance_number: int) -> tuple[str, ...]:
        """Make the records for one image; returns its File ID (the path's parts under the root). Raises
        ValueError (nothing added) when the image cannot be listed in a DICOMDIR."""
        from pydicom.dataset import Dataset
        from pydicom.fileset import DIRECTORY_RECORDERS

        ds = Dataset()
        for keyword in ("SpecificCharacterSet", "SOPClassUID", "SOPInstanceUID", "PatientID", "PatientName",
                        "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "StudyDescription",
                        "StudyInstanceUID", "StudyID", "AccessionNumber", "ReferringPhysicianName", "Modality",
                        "SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "InstanceNumber",
                        "ImageType", "Rows", "Columns"):
            if keyword in header and header[keyword].VM:
                setattr(ds, keyword, header[keyword].value)
        for keyword, value in _REQUIRED_PLACEHOLDERS.items():
            if keyword not in ds:
                setattr(ds, keyword, value)
        if "InstanceNumber" not in ds:
            ds.InstanceNumber = instance_number
        meta = getattr(header, "file_meta", None)
        syntax = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
        for keyword in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
            if keyword not in ds:
                raise ValueError(f"it has no {keyword}")
        if not syntax:
            raise ValueError("it has no transfer syntax")
        leaf_type = _leaf_type(ds)
        made = []
        for kind in ("PATIENT", "STUDY", "SERIES", leaf_type):
            record = DIRECTORY_RECORDERS[kind](ds)
            record.OffsetOfTheNextDirectoryRecord = 0
            record.RecordInUseFlag = 0xFFFF
            record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
            record.DirectoryRecordType = kind
            if "SpecificCharacterSet" in ds:
                record.SpecificCharacterSet = ds.SpecificCharacterSet
            made.append(record)
        patient = self._patients.get(str(ds.PatientID))
        if patient is None:
            patient = self._patients.setdefault(str(ds.PatientID), _Node(made[0]))
        study = patient.children.get(str(ds.StudyInstanceUID))
        if study is None:
            study = patient.children.setdefault(str(ds.StudyInstanceUID), _Node(made[1]))
        series = study.children.get(str(ds.SeriesInstanceUID))
        if series is None:
            series = study.children.setdefault(str(ds.SeriesInstanceUID), _Node(made[2]))
        leaf = made[3]
        parts = (ROOT,
                 f"PT{list(self._patients).index(str(ds.PatientID)):06d}",
                 f"ST{list(patient.children).index(str(ds.StudyInstanceUID)):06d}",
                 f"SE{list(study.children).index(str(ds.SeriesInstanceUID)):06d}",
                 f"IM{len(series.children):06d}")
        leaf.ReferencedFileID = list(parts)
        leaf.ReferencedSOPClassUIDInFile = ds.SOPClassUID
        leaf.ReferencedSOPInstanceUIDInFile = ds.SOPInstanceUID
        leaf.ReferencedTransferSyntaxUIDInFile = syntax
        series.children[str(ds.SOPInstanceUID)] = _Node(leaf)
        self._last = (str(ds.PatientID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
        self.count += 1
        return parts

    def remove_last(self) -> None:
        """Take the image added last out again (its file could not be written as it should)."""
        if self._last is None:
            return
        patient_key, study_key, series_key, sop = self._last
        patient = self._patients[patient_key]
        study = patient.children[study_key]
        series = study.children[series_key]
        del series.children[sop]
        if not series.children:
            del study.children[series_key]
        if not study.children:
            del patient.children[study_key]
        if not patient.children:
            del self._patients[patient_key]
        self._last = None
        self.count -= 1

    def write(self, fh: BinaryIO) -> None:
        """Write the DICOMDIR to the open file ``fh``."""
        from pydicom.dataset import Dataset, FileMetaDataset
        from pydicom.filebase import DicomBytesIO
        from pydicom.filewriter import write_dataset, write_file_meta_info
        from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian, generate_uid

        def encode(ds: Any) -> bytes:
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
        order: list[tuple[_Node, list[_Node]]] = []  # (node, its siblings in order)

        def walk(siblings: list[_Node]) -> None:
            for node in siblings:
                order.append((node, siblings))
                walk(list(node.children.values()))

        roots = list(self._patients.values())
        walk(roots)
        sizes = [len(encode(node.records)) + 8 for node, _ in order]
        start = len(preamble) + top_length + len(sequence_header)
        offset_of: dict[int, int] = {}
        position = start
        for (node, _), size in zip(order, sizes, strict=True):
            offset_of[id(node)] = position
            position += size
        body = bytearray()
        for node, siblings in order:
            index = next(i for i, s in enumerate(siblings) if s is node)
            after = siblings[index + 1] if index + 1 < len(siblings) else None
            node.records.OffsetOfTheNextDirectoryRecord = offset_of[id(after)] if after is not None else 0
            first_child = next(iter(node.children.values()), None)
            node.records.OffsetOfReferencedLowerLevelDirectoryEntity = (
                offset_of[id(first_child)] if first_child is not None else 0)
            encoded = encode(node.records)
            body += _ITEM + struct.pack("<I", len(encoded)) + encoded
        top.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = offset_of[id(roots[0])] if roots else 0
        top.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = offset_of[id(roots[-1])] if roots else 0
        fh.write(preamble)
        fh.write(encode(top))
        fh.write(sequence_header)
        fh.write(body)
        fh.write(_SEQ_END)


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
