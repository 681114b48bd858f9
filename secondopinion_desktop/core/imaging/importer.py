"""Putting a scanned imaging folder into the inventory: records, vault copies, thumbnails. All or nothing.

Every DICOM file is copied into the vault (content-addressed, so the same image is stored once) and gets an
``ImagingFile`` row; DICOM files are not attachments. Each series gets a thumbnail PNG, which *is* an attachment
of the record so the detail pane and the packet show it. The rows are written in one transaction after every
file is copied; if the import is cancelled or fails, the vault files it added are deleted again, so the database
and the vault are exactly as before.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.imaging import ImportCancelled
from secondopinion_desktop.core.imaging.scan import (
    ImageFile,
    ScanProblem,
    ScanResult,
    SeriesInfo,
    StudyInfo,
    person_name,
)
from secondopinion_desktop.core.imaging.thumbnails import middle_index, thumbnail_png
from secondopinion_desktop.core.imaging.vaultbatch import SourceUnreadable, VaultBatch
from secondopinion_desktop.core.models import Attachment, ImagesLocation, ImagingFile, Record, RecordKind, utcnow
from secondopinion_desktop.core.profile import ProfileData
from secondopinion_desktop.core.vault import Cancelled

# --- the patient check ---------------------------------------------------------------------------------------


def _name_tokens(name: str) -> set[str]:
    alphabetic = name.split("=")[0]  # DICOM: alphabetic=ideographic=phonetic
    plain = unicodedata.normalize("NFKD", alphabetic)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return {t for t in re.split(r"[^\w]+|_", plain) if t}


def names_match(dicom_name: str, profile_name: str) -> bool:
    """Loose: "SAMPLE^ALEX" matches "Alex Sample" and "Alex J. Sample"; one name's words within the other's."""
    a, b = _name_tokens(dicom_name), _name_tokens(profile_name)
    if not a or not b:
        return True  # nothing to compare
    return a <= b or b <= a


def patient_mismatch(scan: ScanResult, profile: ProfileData) -> list[str]:
    """Sentences saying where the patient on the images differs from the profile; empty when they agree."""
    messages: list[str] = []
    for patient in scan.patients:
        differences = []
        if profile.name.strip() and patient.name and not names_match(patient.name, profile.name):
            differences.append(f"the name on the images is {person_name(patient.name)!r}, "
                               f"the profile says {profile.name.strip()!r}")
        if profile.date_of_birth and patient.birth_date and patient.birth_date != profile.date_of_birth:
            differences.append(f"the birth date on the images is {patient.birth_date.isoformat()}, "
                               f"the profile says {profile.date_of_birth.isoformat()}")
        if differences:
            messages.append("These images may be of someone else: " + "; ".join(differences) + ".")
    return messages


# --- results ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImagingFileData:
    id: int
    record_id: int
    sha256: str
    size: int
    relative_path: str
    study_uid: str
    series_uid: str
    sop_instance_uid: str
    series_number: int | None
    instance_number: int | None
    modality: str
    added_at: dt.datetime


def imaging_file_data(row: ImagingFile) -> ImagingFileData:
    return ImagingFileData(
        id=row.id, record_id=row.record_id, sha256=row.sha256, size=row.size, relative_path=row.relative_path,
        study_uid=row.study_uid, series_uid=row.series_uid, sop_instance_uid=row.sop_instance_uid,
        series_number=row.series_number, instance_number=row.instance_number, modality=row.modality,
        added_at=row.added_at,
    )


@dataclass(frozen=True)
class ImportResult:
    record_ids: tuple[int, ...]
    files_stored: int  # ImagingFile rows added
    thumbnails: int  # thumbnail attachments added (placeholders included)
    problems: tuple[ScanProblem, ...]  # files that could not be copied, thumbnails that are placeholders

    def summary_lines(self) -> list[str]:
        records = ", ".join(str(r) for r in self.record_ids)
        word = "record" if len(self.record_ids) == 1 else "records"
        lines = [f"Imported {self.files_stored} image file(s) into {word} {records}, "
                 f"with {self.thumbnails} series thumbnail(s)."]
        lines += [f"  {p.path}: {p.reason}" for p in self.problems]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "record_ids": list(self.record_ids), "files_stored": self.files_stored, "thumbnails": self.thumbnails,
            "problems": [p.to_json() for p in self.problems],
        }


def list_imaging_files(session: Session, record_id: int) -> list[ImagingFileData]:
    rows = session.scalars(
        select(ImagingFile).where(ImagingFile.record_id == record_id)
        .order_by(ImagingFile.study_uid, ImagingFile.series_number, ImagingFile.instance_number, ImagingFile.id)
    )
    return [imaging_file_data(r) for r in rows]


# --- import -------------------------------------------------------------------------------------------------


@dataclass
class _Stored:
    study: StudyInfo
    series: SeriesInfo
    file: ImageFile
    sha256: str
    size: int


def _check_target(folder: DataFolder, record_id: int) -> None:
    with folder.session() as session:
        record = session.get(Record, record_id)
        if record is None:
            raise NotFoundError(f"There is no record {record_id}.")
        if record.kind is not RecordKind.IMAGING:
            raise ValidationError(
                f"Record {record_id} is not an imaging record ({record.kind.label}); choose an imaging record."
            )


def import_imaging(
    folder: DataFolder,
    scan: ScanResult,
    *,
    study_uids: Iterable[str] | None = None,
    record_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import the scanned studies (all, or those in ``study_uids``): one imaging record each, or all into the
    existing imaging record ``record_id``.

    ``progress(done, total)`` counts files copied then thumbnails made. When ``cancelled()`` turns True,
    ``ImportCancelled`` is raised; then, as after any failure, nothing of the import is left.
    """
    studies = list(scan.studies)
    if study_uids is not None:
        wanted = list(dict.fromkeys(study_uids))
        known = {s.study_uid for s in studies}
        unknown = [u for u in wanted if u not in known]
        if unknown:
            raise ValidationError(f"The study {unknown[0]} is not among those found in {scan.root}.")
        studies = [s for s in studies if s.study_uid in wanted]
    if not studies:
        raise ValidationError(f"No DICOM images were found in {scan.root}; nothing was imported.")
    if record_id is not None:
        _check_target(folder, record_id)

    work = [(study, series, f) for study in studies for series in study.series for f in series.files]
    series_list = [(study, series) for study in studies for series in study.series]
    total = len(work) + len(series_list)
    done = 0
    new_digests: list[str] = []
    stored: list[_Stored] = []
    problems: list[ScanProblem] = []
    thumbnails: list[tuple[StudyInfo, SeriesInfo, str, int, str | None]] = []

    def check_cancel() -> None:
        if cancelled is not None and cancelled():
            raise ImportCancelled()

    batch = VaultBatch(folder.vault)
    try:
        for study, series, image in work:
            check_cancel()
            try:
                item = batch.copy(scan.root / image.relative_path, cancelled=cancelled)
            except SourceUnreadable as exc:
                problems.append(ScanProblem(image.relative_path, str(exc)))
            else:
                stored.append(_Stored(study, series, image, item.sha256, item.size))
            done += 1
            if progress is not None:
                progress(done, total)
        check_cancel()
        batch.commit()
        copied = {(s.series.series_uid, s.file.sop_instance_uid) for s in stored}
        for study, series in series_list:
            check_cancel()
            present = [f for f in series.files if (series.series_uid, f.sop_instance_uid) in copied]
            if present:
                middle = present[middle_index(len(present))]
                png, reason = thumbnail_png(scan.root / middle.relative_path)
                sha, size, new = _store_bytes(folder, png)
                if new:
                    new_digests.append(sha)
                thumbnails.append((study, series, sha, size, reason))
                if reason:
                    problems.append(ScanProblem(middle.relative_path, f"no thumbnail: {reason}"))
            done += 1
            if progress is not None:
                progress(done, total)
        if not stored:
            raise ValidationError("None of the image files could be copied; nothing was imported.")
        check_cancel()
        with folder.session() as session:
            record_ids = _write_rows(session, studies, stored, thumbnails, record_id)
    except Cancelled as exc:
        batch.discard()
        _undo(folder, new_digests + batch.new_digests)
        raise ImportCancelled() from exc
    except BaseException:
        batch.discard()
        _undo(folder, new_digests + batch.new_digests)
        raise
    return ImportResult(
        record_ids=tuple(record_ids), files_stored=len(stored), thumbnails=len(thumbnails), problems=tuple(problems)
    )


def _store_bytes(folder: DataFolder, data: bytes) -> tuple[str, int, bool]:
    fd, name = tempfile.mkstemp(prefix=".thumb-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        result = folder.vault.store(Path(name))
    finally:
        os.unlink(name)
    return result.sha256, result.size, not result.already_present


def _undo(folder: DataFolder, new_digests: list[str]) -> None:
    from secondopinion_desktop.core.records import _remove_if_unused

    for sha in dict.fromkeys(new_digests):
        try:
            _remove_if_unused(folder, sha)
        except Exception:  # noqa: BLE001 - best effort: leave the rest clean even if one removal fails
            continue


def _record_title(study: StudyInfo) -> str:
    what = study.description or (" ".join(study.modalities) + " study" if study.modalities else "Imaging study")
    title = f"{what}, {study.date.isoformat()}" if study.date else what
    return title[:500]


def _series_summary(studies: list[StudyInfo], stored: list[_Stored]) -> str:
    counts: dict[str, int] = {}
    for s in stored:
        counts[s.series.series_uid] = counts.get(s.series.series_uid, 0) + 1
    lines: list[str] = []
    for study in studies:
        if len(studies) > 1:
            lines.append(f"{study.label()}:")
        images = sum(counts.get(se.series_uid, 0) for se in study.series)
        lines.append(f"Imported from DICOM: {len(study.series)} series, {images} images.")
        for series in study.series:
            modality = f"{series.modality}, " if series.modality and series.description else ""
            lines.append(f"- {series.label()} ({modality}{counts.get(series.series_uid, 0)} images)")
        extra = []
        if study.referring_physician:
            extra.append(f"Referred by {study.referring_physician}.")
        if study.accession_number:
            extra.append(f"Accession number {study.accession_number}.")
        if study.patient_name:
            born = f", born {study.patient_birth_date.isoformat()}" if study.patient_birth_date else ""
            extra.append(f"Patient on the images: {person_name(study.patient_name)}{born}.")
        lines.extend(extra)
    return "\n".join(lines)


def _body_region(studies: list[StudyInfo]) -> str:
    parts = dict.fromkeys(p.replace("_", " ").title() for s in studies for p in s.body_parts)
    return ", ".join(parts)[:200]


def _modality(studies: list[StudyInfo]) -> str:
    return ", ".join(dict.fromkeys(m for s in studies for m in s.modalities))[:50]


def _thumbnail_name(series: SeriesInfo) -> str:
    label = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", series.label())
    return f"{' '.join(label.split())} (middle slice).png"[:1000]


def _write_rows(
    session: Session,
    studies: list[StudyInfo],
    stored: list[_Stored],
    thumbnails: list[tuple[StudyInfo, SeriesInfo, str, int, str | None]],
    record_id: int | None,
) -> list[int]:
    from secondopinion_desktop.core.directory import get_or_create_facility
    from secondopinion_desktop.core.records import create_record

    record_for: dict[str, int] = {}
    if record_id is not None:
        record = session.get(Record, record_id)
        if record is None:
            raise NotFoundError(f"There is no record {record_id}.")
        dates = [s.date for s in studies if s.date]
        if record.date_of_service is None and dates:
            record.date_of_service = min(dates)
        if not record.imaging_modality:
            record.imaging_modality = _modality(studies)
        if not record.imaging_body_region:
            record.imaging_body_region = _body_region(studies)
        if record.images_location is None:
            record.images_location = ImagesLocation.FILES
        institution = next((s.institution for s in studies if s.institution), "")
        if record.facility_id is None and institution:
            record.facility_id = get_or_create_facility(session, institution[:300]).id
        if not record.summary.strip():
            record.summary = _series_summary(studies, stored)
        record.updated_at = utcnow()
        record_for = {s.study_uid: record_id for s in studies}
    else:
        for study in studies:
            created = create_record(
                session, RecordKind.IMAGING, _record_title(study), date_of_service=study.date,
                facility=study.institution[:300] or None, status="received",
                summary=_series_summary([study], [s for s in stored if s.study is study]),
                imaging_modality=_modality([study]), imaging_body_region=_body_region([study]),
                images_location=ImagesLocation.FILES,
            )
            record_for[study.study_uid] = created.id
    now = utcnow()
    rows = [
        {
            "record_id": record_for[s.study.study_uid], "sha256": s.sha256, "size": s.size,
            "relative_path": s.file.relative_path[:1000], "study_uid": s.study.study_uid[:64],
            "series_uid": s.series.series_uid[:64], "sop_instance_uid": s.file.sop_instance_uid[:64],
            "series_number": s.series.number, "instance_number": s.file.instance_number,
            "modality": s.series.modality[:16], "added_at": now,
        }
        for s in stored
    ]
    session.execute(insert(ImagingFile), rows)
    for study, series, sha, size, _reason in thumbnails:
        session.add(Attachment(
            record_id=record_for[study.study_uid], original_name=_thumbnail_name(series), media_type="image/png",
            size=size, sha256=sha, added_at=now,
        ))
    session.flush()
    return list(dict.fromkeys(record_for.values()))


# --- deleting ------------------------------------------------------------------------------------------------


def delete_imaging_record(folder: DataFolder, record_id: int) -> None:
    """Delete a record with ``records.delete_record`` and also the DICOM vault files nothing else uses."""
    from secondopinion_desktop.core.records import delete_record, purge_unused_files

    with folder.session() as session:
        digests = set(session.scalars(select(ImagingFile.sha256).where(ImagingFile.record_id == record_id)))
    delete_record(folder, record_id)
    purge_unused_files(folder, digests)
