"""Synthetic DICOM studies (small 16-bit CT/MR slices with proper file meta) for tests, benchmarks and demos.

Nothing here is real patient data. Requires numpy.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"


@dataclass(frozen=True)
class SeriesSpec:
    number: int
    description: str
    modality: str = "CT"
    images: int = 5
    compressed: bool = False  # RLE Lossless (needs numpy; pydicom encodes it)
    body_part: str = "CHEST"
    photometric: str = "MONOCHROME2"
    window: tuple[float, float] | None = (40.0, 400.0)


@dataclass(frozen=True)
class StudySpec:
    description: str = "CT CHEST WITH CONTRAST"
    date: str = "20240305"
    patient_name: str = "SAMPLE^ALEX"
    patient_birth_date: str = "19700214"
    patient_id: str = "MRN0001"
    institution: str = "General Hospital"
    referring_physician: str = "WELBY^MARCUS"
    accession_number: str = "ACC123"
    series: tuple[SeriesSpec, ...] = field(default_factory=lambda: (
        SeriesSpec(2, "AX 5mm", "CT", 5), SeriesSpec(3, "COR 3mm", "CT", 4),
    ))
    study_uid: str | None = None


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    study_uid: str
    series_uid: str
    sop_instance_uid: str


def write_study(
    folder: Path, spec: StudySpec = StudySpec(), *, subfolder: str = "DICOM", size: int = 64
) -> list[WrittenFile]:
    """Write the study's slices under ``folder/subfolder`` (one folder per series); returns what was written."""
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

    study_uid = spec.study_uid or generate_uid()
    written: list[WrittenFile] = []
    for series in spec.series:
        series_uid = generate_uid()
        base = Path(folder) / subfolder if subfolder else Path(folder)
        target = base / f"SE{series.number:04d}"
        target.mkdir(parents=True, exist_ok=True)
        sop_class = CT_IMAGE_STORAGE if series.modality == "CT" else MR_IMAGE_STORAGE
        yy, xx = np.mgrid[0:size, 0:size]
        for i in range(series.images):
            sop_uid = generate_uid()
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = sop_class
            meta.MediaStorageSOPInstanceUID = sop_uid
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds = Dataset()
            ds.file_meta = meta
            ds.SpecificCharacterSet = "ISO_IR 192"
            ds.SOPClassUID = sop_class
            ds.SOPInstanceUID = sop_uid
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = series_uid
            ds.StudyDate = spec.date
            ds.StudyTime = "101500"
            ds.StudyID = "1"
            ds.AccessionNumber = spec.accession_number
            ds.StudyDescription = spec.description
            ds.SeriesDescription = series.description
            ds.SeriesNumber = series.number
            ds.InstanceNumber = i + 1
            ds.Modality = series.modality
            ds.BodyPartExamined = series.body_part
            ds.InstitutionName = spec.institution
            ds.ReferringPhysicianName = spec.referring_physician
            ds.PatientName = spec.patient_name
            ds.PatientID = spec.patient_id
            ds.PatientBirthDate = spec.patient_birth_date
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = series.photometric
            ds.Rows = ds.Columns = size
            ds.BitsAllocated = 16
            ds.BitsStored = 12
            ds.HighBit = 11
            ds.PixelRepresentation = 0
            ds.RescaleSlope = 1
            ds.RescaleIntercept = -1024 if series.modality == "CT" else 0
            if series.window is not None:
                ds.WindowCenter, ds.WindowWidth = series.window
            # a bright disc whose size changes along the series, on a dark background
            radius = size * (0.15 + 0.25 * (i + 1) / max(series.images, 1))
            disc = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2) < radius**2
            pixels = np.where(disc, 1100 + 10 * i, 24).astype(np.uint16)
            ds.PixelData = pixels.tobytes()
            if series.compressed:
                # without an RLE encoder here it stays uncompressed
                with contextlib.suppress(RuntimeError, ImportError, ValueError):
                    ds.compress(RLELossless, pixels, generate_instance_uid=False)
            path = target / f"IM{i + 1:05d}.dcm"
            ds.save_as(path, enforce_file_format=True)
            written.append(WrittenFile(path, study_uid, series_uid, sop_uid))
    return written


def write_disc(folder: Path, specs: list[StudySpec], *, size: int = 64) -> list[WrittenFile]:
    """A disc as burned by a hospital: the studies under ``folder`` with a DICOMDIR, laid out by pydicom's FileSet
    (``PT000000/ST000000/SE000000/IM000000``). Returns the files as written in ``folder``."""
    import tempfile

    from pydicom.fileset import FileSet

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staged = [f for spec in specs for f in write_study(Path(tmp), spec, subfolder="", size=size)]
        fs = FileSet()
        for f in staged:
            fs.add(f.path)
        fs.write(folder)
    placed = {inst.SOPInstanceUID: Path(inst.path) for inst in fs}
    return [WrittenFile(placed[f.sop_instance_uid], f.study_uid, f.series_uid, f.sop_instance_uid) for f in staged]
