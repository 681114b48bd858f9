"""Taking an imaging import away again as a whole, and bringing it back: what undo and redo of an import do.

``remove_import`` deletes exactly what ``import_imaging`` wrote: the records it made (with everything now in
them), the image rows and thumbnails it added to existing records, the values it filled into their empty fields,
and the facilities it created for its new records. ``restore_import`` puts all of it back with the same ids. Each
is one transaction. The vault files stay unless ``keep_files`` is False: the window keeps them while its undo
history may bring the import back, and purges them when the history ends (``records.purge_unused_files``). A purge
removes only files no committed row uses and no operation in flight claims (an import or attachment of the same
content whose rows are not committed yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, SecondOpinionError
from secondopinion_desktop.core.imaging.importer import ImportResult
from secondopinion_desktop.core.models import Attachment, Clinician, Facility, ImagingFile, Record

_CHUNK = 500


class ImportChangedError(SecondOpinionError):
    """A removed import cannot be put back: what it held was overwritten meanwhile; nothing was changed."""


@dataclass(frozen=True)
class RemovedImport:
    """Everything ``remove_import`` took away, as plain column values, to put back with ``restore_import``."""

    result: ImportResult
    records: tuple[Mapping[str, Any], ...]
    attachments: tuple[Mapping[str, Any], ...]
    imaging_files: tuple[Mapping[str, Any], ...]
    facilities: tuple[Mapping[str, Any], ...]
    digests: frozenset[str]  # the vault files these rows refer to


def _rows(session: Session, table: Table, column: Any, values: Iterable[int]) -> list[dict[str, Any]]:
    wanted = sorted(set(values))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), _CHUNK):
        rows.extend(dict(r) for r in session.execute(
            select(table).where(column.in_(wanted[start:start + _CHUNK])).order_by(table.c.id)
        ).mappings())
    return rows


def _delete(session: Session, table: Table, values: Iterable[int]) -> None:
    wanted = sorted(set(values))
    for start in range(0, len(wanted), _CHUNK):
        session.execute(delete(table).where(table.c.id.in_(wanted[start:start + _CHUNK])))


def remove_import(folder: DataFolder, result: ImportResult, *, keep_files: bool = True) -> RemovedImport:
    """Take the import ``result`` describes out of the data folder, in one transaction."""
    from secondopinion_desktop.core.records import purge_unused_files

    records_t: Table = Record.__table__  # type: ignore[assignment]
    attachments_t: Table = Attachment.__table__  # type: ignore[assignment]
    imaging_t: Table = ImagingFile.__table__  # type: ignore[assignment]
    facilities_t: Table = Facility.__table__  # type: ignore[assignment]
    created = set(result.created_record_ids)
    with folder.session() as session:
        records = _rows(session, records_t, records_t.c.id, created)
        if len(records) != len(created):
            missing = sorted(created - {int(r["id"]) for r in records})[0]
            raise NotFoundError(f"The imported record {missing} is no longer there, so the import cannot be removed.")
        # what the new records hold now, and what the import added to the records that existed before
        imaging = _rows(session, imaging_t, imaging_t.c.record_id, created)
        imaging_ids = {int(r["id"]) for r in imaging}
        imaging += [r for r in _rows(session, imaging_t, imaging_t.c.id, result.imaging_file_ids)
                    if int(r["id"]) not in imaging_ids]
        attachments = _rows(session, attachments_t, attachments_t.c.record_id, created)
        attachment_ids = {int(r["id"]) for r in attachments}
        attachments += [r for r in _rows(session, attachments_t, attachments_t.c.id, result.attachment_ids)
                        if int(r["id"]) not in attachment_ids]
        _delete(session, imaging_t, (int(r["id"]) for r in imaging))
        _delete(session, attachments_t, (int(r["id"]) for r in attachments))
        _delete(session, records_t, created)
        for filled in result.filled:
            session.execute(update(records_t).where(records_t.c.id == filled.record_id).values(dict(filled.before)))
        facilities = []
        for row in _rows(session, facilities_t, facilities_t.c.id, result.facility_ids):
            in_use = session.scalar(select(func.count()).select_from(records_t).where(
                records_t.c.facility_id == row["id"])) or session.scalar(
                select(func.count()).select_from(Clinician).where(Clinician.facility_id == row["id"]))
            if not in_use:
                facilities.append(row)
        _delete(session, facilities_t, (int(r["id"]) for r in facilities))
    digests = frozenset(str(r["sha256"]) for r in imaging + attachments)
    if not keep_files:
        purge_unused_files(folder, digests)
    return RemovedImport(
        result=result, records=tuple(records), attachments=tuple(attachments), imaging_files=tuple(imaging),
        facilities=tuple(facilities), digests=digests,
    )


def restore_import(folder: DataFolder, removed: RemovedImport) -> ImportResult:
    """Put a removed import back exactly as it was (same ids), in one transaction; the vault files must be there.

    They are claimed before that is checked and until the rows are committed, so a purge, a cancelled import of the
    same content or a repair running meanwhile in this process leaves them in place (see ``vault.VaultClaim``).
    """
    from secondopinion_desktop.core.records import _roll_back_files

    with folder.vault.claim(removed.digests) as claim:
        try:
            return _restore_import(folder, removed)
        except BaseException:
            _roll_back_files(folder, claim, ())  # what a purge left to this claim goes now, if nothing uses it
            raise


def _restore_import(folder: DataFolder, removed: RemovedImport) -> ImportResult:
    missing = sorted(sha for sha in removed.digests if not folder.vault.exists(sha))
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise NotFoundError(f"Cannot bring the import back: {len(missing)} of its files {verb} no longer stored.")
    records_t: Table = Record.__table__  # type: ignore[assignment]
    facilities_t: Table = Facility.__table__  # type: ignore[assignment]
    try:
        with folder.session() as session:
            for model, rows in ((Record, removed.records), (Attachment, removed.attachments),
                                (ImagingFile, removed.imaging_files)):
                table: Table = model.__table__  # type: ignore[attr-defined]
                taken = _rows(session, table, table.c.id, (int(r["id"]) for r in rows))
                if taken:  # written meanwhile by something outside the undo history (an attached file, say)
                    raise ImportChangedError(
                        "The import cannot be brought back: the data folder changed since it was removed. "
                        "Import the disc again instead."
                    )
            # Facilities may have been added or renamed meanwhile (the directory is not part of the undo
            # history): put each back under its name, reusing one that exists now.
            facility_ids: dict[int, int] = {}
            for row in removed.facilities:
                same_name = session.scalar(select(facilities_t.c.id).where(facilities_t.c.name == row["name"]))
                if same_name is not None:
                    facility_ids[int(row["id"])] = int(same_name)
                    continue
                values = dict(row)
                if session.scalar(select(facilities_t.c.id).where(facilities_t.c.id == row["id"])) is not None:
                    values.pop("id")
                facility_ids[int(row["id"])] = int(session.execute(facilities_t.insert().values(values))
                                                   .inserted_primary_key[0])
            records = [dict(r, facility_id=facility_ids.get(r["facility_id"], r["facility_id"]))
                       for r in removed.records]
            for model, rows in ((Record, records), (Attachment, removed.attachments),
                                (ImagingFile, removed.imaging_files)):
                if rows:
                    session.execute(model.__table__.insert(), [dict(r) for r in rows])  # type: ignore[attr-defined]
            for filled in removed.result.filled:
                after = dict(filled.after)
                if "facility_id" in after:
                    after["facility_id"] = facility_ids.get(after["facility_id"], after["facility_id"])
                session.execute(update(records_t).where(records_t.c.id == filled.record_id).values(after))
    except IntegrityError as exc:
        raise ImportChangedError(
            "The import cannot be brought back: the data folder changed since it was removed. "
            "Import the disc again instead."
        ) from exc
    return removed.result

