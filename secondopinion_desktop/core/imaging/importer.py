"""Putting a scanned imaging folder into the inventory: records, vault copies, thumbnails. All or nothing.

Every DICOM file is copied into the vault (content-addressed, so the same image is stored once) and gets an
``ImagingFile`` row; DICOM files are not attachments. Each series gets a thumbnail PNG, which *is* an attachment
of the record so the detail pane and the packet show it. The rows are written in one transaction after every
file is copied; if the import is cancelled or fails, the vault files it added are deleted again, so the database
and the vault are exactly as before. The import claims its files (``vault.VaultClaim``) until its rows are
committed, so no cancel, undo, purge or repair of another operation in this process removes them meanwhile; and its
own rollback keeps a file another operation in flight (the same disc imported twice, one of its images attached as
a file) has claimed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.imaging.plan import (
    lost_files,
    stored_images,
    stored_in,
)
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
from secondopinion_desktop.core.models import (
    Attachment,
    Facility,
    ImagesLocation,
    ImagingFile,
    Record,
    RecordKind,
    utcnow,
)
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.unit import reading
from secondopinion_desktop.core.vault import VaultClaim
from secondopinion_desktop.core.words import plural

IMPORT_CANCELLED = "The imaging import was cancelled; nothing was changed."


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
class SkippedStudy:
    """A study (or the part of it) that was not imported because the data folder holds its images already."""

    study_uid: str
    label: str
    images: int  # images skipped
    whole: bool  # every image of the study was stored already

    def to_json(self) -> dict[str, Any]:
        return {"study_uid": self.study_uid, "label": self.label, "images": self.images, "whole": self.whole}


@dataclass(frozen=True)
class FilledFields:
    """Record columns an import changed in an existing record: their values before and after it."""

    record_id: int
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass(frozen=True)
class ImportResult:
    record_ids: tuple[int, ...]  # every record that received images
    files_stored: int  # ImagingFile rows added
    thumbnails: int  # thumbnail attachments added (placeholders included)
    problems: tuple[ScanProblem, ...]  # files that could not be copied, thumbnails that are placeholders
    skipped: tuple[SkippedStudy, ...] = ()  # already in the data folder: not imported again
    created_record_ids: tuple[int, ...] = ()  # the records this import made (the others existed before)
    # What the import wrote, so that ``removal.remove_import`` can take exactly that away again.
    imaging_file_ids: tuple[int, ...] = field(default=(), repr=False)
    attachment_ids: tuple[int, ...] = field(default=(), repr=False)
    filled: tuple[FilledFields, ...] = field(default=(), repr=False)
    facility_ids: tuple[int, ...] = field(default=(), repr=False)  # facilities made for the new records
    new_digests: tuple[str, ...] = field(default=(), repr=False)  # vault files that were not there before
    files_repaired: int = 0  # files of images imported before that had gone missing from the vault, put back

    @property
    def images_skipped(self) -> int:
        return sum(s.images for s in self.skipped)

    def skipped_sentence(self) -> str:
        """One sentence about what was already in the data folder, or ""."""
        if not self.skipped:
            return ""
        labels = ", ".join(s.label for s in self.skipped)
        if not self.files_stored and not self.files_repaired:
            verb = "is" if len(self.skipped) == 1 else "are"
            return (f"Nothing new was imported: {labels} {verb} already in your records "
                    f"({plural(self.images_skipped, 'image')} skipped).")
        return f"Skipped {plural(self.images_skipped, 'image')} already in your records ({labels})."

    def summary_lines(self) -> list[str]:
        lines: list[str] = []
        if self.files_stored:
            records = ", ".join(str(r) for r in self.record_ids)
            word = "record" if len(self.record_ids) == 1 else "records"
            lines.append(f"Imported {plural(self.files_stored, 'image file')} into {word} {records}, "
                         f"with {plural(self.thumbnails, 'series thumbnail')}.")
        if self.files_repaired:
            lines.append(f"Put back {plural(self.files_repaired, 'image file')} that had gone missing from the "
                         "data folder.")
        if self.skipped:
            lines.append(self.skipped_sentence())
        lines += [f"  {p.path}: {p.reason}" for p in self.problems]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "record_ids": list(self.record_ids), "files_stored": self.files_stored, "thumbnails": self.thumbnails,
            "problems": [p.to_json() for p in self.problems],
            "created_record_ids": list(self.created_record_ids),
            "skipped": [s.to_json() for s in self.skipped], "images_skipped": self.images_skipped,
            "files_repaired": self.files_repaired,
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


@reading
def record_title(session: Session, record_id: int) -> str:
    """The title of the record an import goes to, for the window to name it. Raises ``NotFoundError``."""
    record = session.get(Record, record_id)
    if record is None:
        raise NotFoundError(f"There is no record {record_id}.")
    return record.title


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

    Images the data folder holds already (the same SOP Instance UID) are skipped and named in ``skipped``; the new
    images of a study imported in part before go into the record that holds the rest of it. When nothing is new,
    nothing is written and the result says so.

    ``progress(done, total)`` counts files copied then thumbnails made. When ``cancelled()`` turns True,
    ``Cancelled`` is raised; then, as after any failure, nothing of the import is left.
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

    with folder.session() as session:
        stored_before = stored_images(session, (s.study_uid for s in studies))
        held = _series_held(session, (s.study_uid for s in studies))
    skipped: list[SkippedStudy] = []
    targets: dict[str, int | None] = {}  # study uid -> the existing record it goes into, None for a new one
    work: list[tuple[StudyInfo, SeriesInfo, ImageFile]] = []
    repairs: list[tuple[ImageFile, str]] = []  # imported before, but the vault lost the file: (file, its digest)
    for study in studies:
        already = stored_in(study, stored_before)
        lost = lost_files(already, folder.vault)
        new = [(study, series, f) for series in study.series for f in series.files
               if f.sop_instance_uid not in already]
        repairs += [(f, already[f.sop_instance_uid].sha256) for series in study.series for f in series.files
                    if f.sop_instance_uid in lost]
        if len(already) > len(lost):
            skipped.append(SkippedStudy(study.study_uid, study.label(), len(already) - len(lost), whole=not new))
        if new:
            work.extend(new)
            first = next(iter(already.values()), None)
            targets[study.study_uid] = (record_id if record_id is not None
                                        else first.record_id if first is not None else None)
    studies = [s for s in studies if s.study_uid in targets]
    if not work and not repairs:
        return ImportResult(record_ids=(), files_stored=0, thumbnails=0, problems=(), skipped=tuple(skipped))

    new_sops = {f.sop_instance_uid for _, _, f in work}
    series_list = [(study, series) for study in studies for series in study.series
                   if any(f.sop_instance_uid in new_sops for f in series.files)]
    total = len(work) + len(repairs) + len(series_list)
    done = 0
    new_digests: list[str] = []
    stored: list[_Stored] = []
    problems: list[ScanProblem] = []
    thumbnails: list[tuple[StudyInfo, SeriesInfo, str, int, str | None]] = []
    repaired = 0

    def check_cancel() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled(IMPORT_CANCELLED)

    batch = VaultBatch(folder.vault)
    # Every file this import copies into the vault (images, thumbnails) is claimed from the moment its digest is
    # known until the rows are committed or the import is rolled back: no cancel, undo, purge or repair of another
    # operation in this process removes it in between (see vault.VaultClaim).
    claim = folder.vault.claim()

    def copy(image):  # type: ignore[no-untyped-def]  # the vault copy, or None with the reason noted
        check_cancel()
        try:
            return batch.copy(scan.root / image.relative_path, cancelled=cancelled)
        except SourceUnreadable as exc:
            problems.append(ScanProblem(image.relative_path, str(exc)))
            return None

    try:
        with claim:
            for study, series, image in work:
                if (item := copy(image)) is not None:
                    stored.append(_Stored(study, series, image, item.sha256, item.size))
                done += 1
                if progress is not None:
                    progress(done, total)
            for image, expected in repairs:
                if (item := copy(image)) is not None:
                    if item.sha256 == expected:
                        repaired += 1
                    else:
                        problems.append(ScanProblem(
                            image.relative_path, "differs from the image stored before under the same identifier; "
                            "its missing file could not be put back"))
                done += 1
                if progress is not None:
                    progress(done, total)
            check_cancel()
            batch.commit()
            copied = {(s.series.series_uid, s.file.sop_instance_uid) for s in stored}
            for study, series in series_list:
                check_cancel()
                present = [f for f in series.files if (series.series_uid, f.sop_instance_uid) in copied]
                target = targets[study.study_uid]
                if present and (target is None or (target, series.series_uid[:64]) not in held):
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
            if work and not stored:
                raise ValidationError("None of the image files could be copied; nothing was imported.")
            check_cancel()
            if stored:
                with folder.session() as session:
                    written = _write_rows(session, studies, stored, thumbnails, targets)
            else:
                written = _Written((), (), (), (), (), ())
    except Cancelled as exc:
        _roll_back(folder, batch, claim, new_digests)
        raise Cancelled(IMPORT_CANCELLED) from exc
    except BaseException:
        _roll_back(folder, batch, claim, new_digests)
        raise
    if repairs:  # a copy that put no lost file back (other bytes under the same identifier) is not kept
        useful = {expected for _, expected in repairs} | {s.sha256 for s in stored}
        _undo(folder, [sha for sha in batch.new_digests if sha not in useful])
    return ImportResult(
        record_ids=written.record_ids, files_stored=len(stored), thumbnails=len(thumbnails),
        problems=tuple(problems), skipped=tuple(skipped), created_record_ids=written.created_record_ids,
        imaging_file_ids=written.imaging_file_ids, attachment_ids=written.attachment_ids, filled=written.filled,
        facility_ids=written.facility_ids, new_digests=tuple(dict.fromkeys(batch.new_digests + new_digests)),
        files_repaired=repaired,
    )


def _series_held(session: Session, study_uids: Iterable[str]) -> set[tuple[int, str]]:
    """(record id, series uid) of every series of these studies some record holds images of."""
    wanted = list(dict.fromkeys(uid[:64] for uid in study_uids))
    held: set[tuple[int, str]] = set()
    for start in range(0, len(wanted), 500):
        held.update((int(record_id), str(series_uid)) for record_id, series_uid in session.execute(
            select(ImagingFile.record_id, ImagingFile.series_uid).distinct()
            .where(ImagingFile.study_uid.in_(wanted[start:start + 500]))
        ))
    return held


def _store_bytes(folder: DataFolder, data: bytes) -> tuple[str, int, bool]:
    """A thumbnail into the vault through its own temporary area (0600), never the system's temporary folder."""
    from secondopinion_desktop.core.imaging.thumbnails import store_thumbnail

    result = store_thumbnail(folder.vault, data)
    return result.sha256, result.size, not result.already_present


def _roll_back(folder: DataFolder, batch: VaultBatch, claim: VaultClaim, new_digests: list[str]) -> None:
    """Take away what a failed or cancelled import put into the vault: its temporary copies, then the files that
    were new to the vault — unless a committed row or another operation in flight (the same content imported or
    attached at the same time) uses them. Content that was in the vault before is never among ``new_digests``."""
    batch.discard()
    # This import's own claim goes first; another operation's claim on the same content still protects it. What a
    # remover wanted gone while only this import held it is taken too, if nothing uses it.
    handed = claim.release()
    _undo(folder, new_digests + batch.new_digests + sorted(handed))


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
        lines.append(f"Imported from DICOM: {plural(len(study.series), 'series', 'series')}, "
                     f"{plural(images, 'image')}.")
        for series in study.series:
            modality = f"{series.modality}, " if series.modality and series.description else ""
            lines.append(f"- {series.label()} ({modality}{plural(counts.get(series.series_uid, 0), 'image')})")
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


# The record columns an import may fill in an existing record (only where they are empty), and its timestamp.
FILLED_COLUMNS = ("date_of_service", "imaging_modality", "imaging_body_region", "images_location", "facility_id",
                  "summary", "updated_at")


@dataclass(frozen=True)
class _Written:
    record_ids: tuple[int, ...]
    created_record_ids: tuple[int, ...]
    imaging_file_ids: tuple[int, ...]
    attachment_ids: tuple[int, ...]
    filled: tuple[FilledFields, ...]
    facility_ids: tuple[int, ...]


def _fill_empty_fields(session: Session, record: Record, studies: list[StudyInfo], stored: list[_Stored]) -> None:
    from secondopinion_desktop.core.directory import get_or_create_facility

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


def _write_rows(
    session: Session,
    studies: list[StudyInfo],
    stored: list[_Stored],
    thumbnails: list[tuple[StudyInfo, SeriesInfo, str, int, str | None]],
    targets: Mapping[str, int | None],
) -> _Written:
    from secondopinion_desktop.core.records import create_record

    facilities_before = set(session.scalars(select(Facility.id)))
    record_for: dict[str, int] = {}
    filled: list[FilledFields] = []
    existing = list(dict.fromkeys(t for t in targets.values() if t is not None))
    for target in existing:
        record = session.get(Record, target)
        if record is None:
            raise NotFoundError(f"There is no record {target}.")
        before = {c: getattr(record, c) for c in FILLED_COLUMNS}
        mine = [s for s in studies if targets[s.study_uid] == target]
        _fill_empty_fields(session, record, mine, [s for s in stored if s.study in mine])
        session.flush()
        filled.append(FilledFields(target, before, {c: getattr(record, c) for c in FILLED_COLUMNS}))
        record_for.update({s.study_uid: target for s in mine})
    created: list[int] = []
    for study in studies:
        if targets[study.study_uid] is not None:
            continue
        new = create_record(
            session, RecordKind.IMAGING, _record_title(study), date_of_service=study.date,
            facility=study.institution[:300] or None, status="received",
            summary=_series_summary([study], [s for s in stored if s.study is study]),
            imaging_modality=_modality([study]), imaging_body_region=_body_region([study]),
            images_location=ImagesLocation.FILES,
        )
        record_for[study.study_uid] = new.id
        created.append(new.id)
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
    file_ids = session.scalars(
        insert(ImagingFile).returning(ImagingFile.id, sort_by_parameter_order=True), rows
    ).all()
    attachments = [
        Attachment(record_id=record_for[study.study_uid], original_name=_thumbnail_name(series),
                   media_type="image/png", size=size, sha256=sha, added_at=now)
        for study, series, sha, size, _reason in thumbnails
    ]
    session.add_all(attachments)
    session.flush()
    facilities = sorted(set(session.scalars(select(Facility.id))) - facilities_before)
    return _Written(
        record_ids=tuple(dict.fromkeys(record_for[s.study_uid] for s in studies)),
        created_record_ids=tuple(created), imaging_file_ids=tuple(file_ids),
        attachment_ids=tuple(a.id for a in attachments), filled=tuple(filled), facility_ids=tuple(facilities),
    )


# --- deleting ------------------------------------------------------------------------------------------------


def delete_imaging_record(folder: DataFolder, record_id: int) -> None:
    """Delete a record with ``records.delete_record`` and also the DICOM vault files nothing else uses."""
    from secondopinion_desktop.core.records import delete_record, purge_unused_files

    with folder.session() as session:
        digests = set(session.scalars(select(ImagingFile.sha256).where(ImagingFile.record_id == record_id)))
    delete_record(folder, record_id)
    purge_unused_files(folder, digests)
