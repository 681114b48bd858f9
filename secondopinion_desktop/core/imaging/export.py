"""Writing a record's DICOM images back out as a folder with a DICOMDIR, for the second-opinion doctor.

pydicom's ``FileSet`` writes the DICOMDIR index and names the files as the DICOM media standard requires
(``PT000000/ST000000/SE000000/IM000000``). The folder is written beside the target under a temporary name and
renamed at the end, so a failed export leaves no half-written folder.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import ImagingFile, Record

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


def export_study(folder: DataFolder, record_id: int, out_dir: Path | str) -> Path:
    """Write the record's imported DICOM files to ``out_dir`` (new or empty) with a DICOMDIR; returns ``out_dir``."""
    from pydicom import dcmread
    from pydicom.fileset import FileSet

    out_dir = Path(out_dir).expanduser().absolute()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValidationError(f"{out_dir} is not an empty folder; choose a new or empty folder for the export.")
    with folder.session() as session:
        if session.get(Record, record_id) is None:
            raise NotFoundError(f"There is no record {record_id}.")
        rows = session.execute(
            select(ImagingFile.sha256, ImagingFile.sop_instance_uid, ImagingFile.instance_number)
            .where(ImagingFile.record_id == record_id)
            .order_by(ImagingFile.study_uid, ImagingFile.series_number, ImagingFile.instance_number, ImagingFile.id)
        ).all()
    if not rows:
        raise ValidationError(f"Record {record_id} has no imported DICOM images to export.")
    missing = [sha for sha, _, _ in rows if not folder.vault.exists(sha)]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise NotFoundError(f"{len(missing):,} of the record's image files {verb} missing from the vault; "
                            "run a backup check, then import the disc again.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.export-", dir=out_dir.parent))
    try:
        fileset = FileSet()
        seen: set[str] = set()
        for sha, sop_uid, instance_number in rows:
            if sop_uid in seen:
                continue
            seen.add(sop_uid)
            ds = dcmread(folder.vault.path_for(sha))
            for keyword, value in _REQUIRED_PLACEHOLDERS.items():
                if keyword not in ds or ds[keyword].VM == 0:
                    setattr(ds, keyword, value)
            if "InstanceNumber" not in ds or ds["InstanceNumber"].VM == 0:
                ds.InstanceNumber = instance_number or len(seen)
            try:
                fileset.add(ds)
            except (ValueError, KeyError) as exc:
                raise ValidationError(f"An image ({sop_uid}) cannot be put in a DICOMDIR: {exc}.") from exc
        fileset.write(temp)
        if out_dir.exists():
            out_dir.rmdir()
        temp.rename(out_dir)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(temp)
        raise
    return out_dir
