"""A portal download into the inventory: the preview against the data folder, then the import, all or nothing.

``preview_import`` says what an import would add: one record per document (a continuity-of-care document is a
clinical record, a pathology report document a pathology record) and one per report inside it (a lab panel on
a day, a diagnostic report, an attached PDF), with the new results, medications, allergies and problems each
brings; what the inventory holds already (an earlier import of the same download, the same result read from
another document); an imaging report that belongs to a study imported from a disc; and whether the patient on
the download is the one in the profile.

``import_package`` then writes it in one transaction: facilities and clinicians matched by name (never made
twice), the records (Received, today), the original files attached (stored once in the vault however many
records share them), where each record came from (``RecordSource``), and the structured rows, each knowing its
record, file and position. Every file goes into the vault before the rows are committed; if the import fails or
is cancelled, the files it added are taken out again, so the database and the vault are exactly as before.
Importing the same download again adds nothing and says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.imaging.plan import names_match
from secondopinion_desktop.core.imaging.vaultbatch import VaultBatch
from secondopinion_desktop.core.models import (
    AllergyRow,
    Attachment,
    ImagingFile,
    LabResultRow,
    MedicationRow,
    ProblemRow,
    Record,
    RecordKind,
    RecordSource,
    RecordStatus,
)
from secondopinion_desktop.core.portal.model import (
    KINDS,
    Document,
    Embedded,
    Patient,
    Report,
    ResultKey,
    Skipped,
    day_of,
    plain,
    result_key,
    sections_to_json,
)
from secondopinion_desktop.core.progress import CancelCheck, Cancelled, Progress
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.words import day_month_year, plural

if TYPE_CHECKING:
    from secondopinion_desktop.core.portal.package import Package

_ACCESSION_IN_SUMMARY = re.compile(r"Accession number (\S+?)\.(?:\s|$)")

IMPORT_CANCELLED = "The import was cancelled; nothing was changed."

# --- what the preview says -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRecord:
    key: str  # "3" for document 3's own record, "3.1" for its report 1 (stable for one package)
    source: str  # the document's file
    kind: RecordKind
    title: str
    date: dt.date | None
    facility: str
    clinician: str
    results: int  # new ones it brings
    medications: int
    allergies: int
    problems: int
    files: int
    already: bool  # imported before: nothing of it is added
    adds_to: int | None  # an existing record it is added to (an imaging study imported from a disc)
    adds_to_title: str
    suggested: tuple[tuple[str, str], ...] = ()  # fields proposed from a loose PDF's text: (field, why)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "source": self.source, "kind": self.kind.value, "title": self.title,
            "date": self.date.isoformat() if self.date else None, "facility": self.facility,
            "clinician": self.clinician, "lab_results": self.results, "medications": self.medications,
            "allergies": self.allergies, "problems": self.problems, "files": self.files, "already": self.already,
            "adds_to": self.adds_to, "suggested": dict(self.suggested),
        }


@dataclass(frozen=True)
class ImportPreview:
    name: str
    patients: tuple[Patient, ...]
    warnings: tuple[str, ...]  # the patient differs from the profile: the import must be confirmed
    records: tuple[PlannedRecord, ...]
    skipped: tuple[Skipped, ...]
    results: int  # new ones in all
    medications: int
    allergies: int
    problems: int
    repeats: int  # whole documents left out as repeats of another in the download
    repeated_results: int
    documents: int

    @property
    def nothing_new(self) -> bool:
        return not any(not r.already for r in self.records)

    @property
    def to_add(self) -> tuple[PlannedRecord, ...]:
        return tuple(r for r in self.records if not r.already)

    def counts_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.to_add:
            counts[r.kind.value] = counts.get(r.kind.value, 0) + 1
        return counts

    def sentence(self) -> str:
        """One line for the preview: what an import would add."""
        if self.nothing_new:
            return f"Everything in {self.name} is in your records already; nothing would be added."
        parts = [plural(len(self.to_add), "record")]
        parts += _amounts(self.results, self.medications, self.allergies, self.problems)
        return f"{self.name}: {_join(parts)} to add."

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.name,
            "patients": [{"name": p.name, "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                          "identifiers": list(p.identifiers)} for p in self.patients],
            "warnings": list(self.warnings),
            "documents": self.documents,
            "repeated_documents": self.repeats,
            "repeated_results": self.repeated_results,
            "records_to_add": [r.to_json() for r in self.to_add],
            "records_already_imported": [r.to_json() for r in self.records if r.already],
            "records_by_kind": self.counts_by_kind(),
            "lab_results": self.results,
            "medications": self.medications,
            "allergies": self.allergies,
            "problems": self.problems,
            "skipped": [s.to_json() for s in self.skipped],
            "nothing_new": self.nothing_new,
        }


@dataclass(frozen=True)
class ImportResult:
    name: str
    record_ids: tuple[int, ...]  # created or added to
    created_record_ids: tuple[int, ...]
    results: int
    medications: int
    allergies: int
    problems: int
    files: int
    new_digests: tuple[str, ...] = ()  # vault files that were new (for an undo to remove)
    # What went into records that were there before (an imaging report joining its disc study): (table, row id)
    # of each row, for ``take_back_added``.
    added_rows: tuple[tuple[str, int], ...] = ()

    def sentence(self) -> str:
        if not self.record_ids:
            return f"Nothing new: everything in {self.name} was imported before."
        parts = [plural(len(self.created_record_ids), "record")]
        added_to = len(self.record_ids) - len(self.created_record_ids)
        extras = _amounts(self.results, self.medications, self.allergies, self.problems, self.files)
        if self.created_record_ids:
            text = f"Imported {parts[0]} from {self.name}"
            if extras:
                text += f" with {_join(extras)}"
            if added_to:
                text += f", and added to {plural(added_to, 'record')} already there"
        else:
            text = f"Added {self.name} to {plural(added_to, 'record')} already there"
            if extras:
                text += f" ({_join(extras)})"
        return text + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.name, "record_ids": list(self.record_ids),
            "created_record_ids": list(self.created_record_ids), "lab_results": self.results,
            "medications": self.medications, "allergies": self.allergies, "problems": self.problems,
            "files": self.files, "message": self.sentence(),
        }


def _amounts(results: int, medications: int, allergies: int, problems: int, files: int = 0) -> list[str]:
    """ "3 lab results", "1 allergy"…: the counts that are not nought."""
    counted = ((results, "lab result", "lab results"), (medications, "medication", "medications"),
               (allergies, "allergy", "allergies"), (problems, "problem", "problems"), (files, "file", "files"))
    return [plural(n, one, many) for n, one, many in counted if n]


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# --- the plan (shared by the preview and the import) ------------------------------------------------------------


@dataclass
class _Item:
    key: str
    document: Document
    report: Report | None  # None: the document's own record
    kind: RecordKind
    title: str
    when: str
    facility: str
    clinician: str
    digest: str
    results: list[Any]
    medications: list[Any]
    allergies: list[Any]
    problems: list[Any]
    files: list[Embedded]
    already: bool
    adds_to: int | None
    adds_to_title: str

    def planned(self) -> PlannedRecord:
        return PlannedRecord(
            key=self.key, source=self.document.source, kind=self.kind, title=self.title, date=day_of(self.when),
            facility=self.facility, clinician=self.clinician, results=len(self.results),
            medications=len(self.medications), allergies=len(self.allergies), problems=len(self.problems),
            # the original document is attached to every record made from it, reports included
            files=len(self.files) + (1 if self.document.original is not None else 0),
            already=self.already, adds_to=self.adds_to, adds_to_title=self.adds_to_title,
            suggested=self.document.suggested if self.report is None else (),
        )


def _kind(value: str) -> RecordKind:
    return RecordKind(value) if value in KINDS else RecordKind.OTHER


def _report_digest(doc: Document, report: Report) -> str:
    body = dataclasses.asdict(report) | {"files": [hashlib.sha256(f.data).hexdigest() for f in report.files]}
    text = json.dumps([doc.format, body], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _has_own_record(doc: Document) -> bool:
    return doc.own_record or bool(doc.sections or doc.medications or doc.allergies or doc.problems or doc.files)


class _Known:
    """What the data folder holds already, read once per plan."""

    def __init__(self, session: Session) -> None:
        self.digests = set(session.scalars(select(RecordSource.digest)))
        self.results: set[ResultKey] = {
            (loinc or " ".join(test.split()).casefold(), "" if loinc else " ".join(panel.split()).casefold(), when,
             " ".join(value.split()).casefold(), unit.strip())
            for loinc, test, panel, when, value, unit in session.execute(
                select(LabResultRow.loinc, LabResultRow.test, LabResultRow.panel, LabResultRow.observed_at,
                       LabResultRow.value, LabResultRow.unit))
            if when}
        self.medications = {(" ".join(n.split()).casefold(), d.strip().casefold(), s) for n, d, s in session.execute(
            select(MedicationRow.name, MedicationRow.dose, MedicationRow.start))}
        self.allergies = {(" ".join(n.split()).casefold(), r.strip().casefold()) for n, r in session.execute(
            select(AllergyRow.substance, AllergyRow.reaction))}
        self.problems = {(c or " ".join(n.split()).casefold(), o) for n, c, o in session.execute(
            select(ProblemRow.name, ProblemRow.code, ProblemRow.onset))}
        self.studies: dict[str, int] = {}
        for record_id, study_uid in session.execute(select(ImagingFile.record_id, ImagingFile.study_uid).distinct()):
            if study_uid:
                self.studies.setdefault(str(study_uid), int(record_id))
        # Accession numbers: a pathology record's own field; an imaging record imported from a disc says its
        # study's in its summary ("Accession number A123.", see imaging.importer).
        self.accessions: dict[str, int] = {}
        for record_id, accession in session.execute(
                select(Record.id, Record.accession_number).where(Record.accession_number != "")):
            self.accessions.setdefault(str(accession).strip().casefold(), int(record_id))
        for record_id, summary in session.execute(
                select(Record.id, Record.summary).where(Record.kind == RecordKind.IMAGING,
                                                        Record.summary.contains("Accession number "))):
            for accession in _ACCESSION_IN_SUMMARY.findall(str(summary)):
                self.accessions.setdefault(accession.strip().casefold(), int(record_id))
        self.titles = {int(i): str(t) for i, t in session.execute(select(Record.id, Record.title))}


    def study_or_accession(self, study_uid: str, accession: str) -> int | None:
        """The record holding the imaging study with this UID, or the record with this accession number."""
        if study_uid and study_uid in self.studies:
            return self.studies[study_uid]
        if accession and accession.strip().casefold() in self.accessions:
            return self.accessions[accession.strip().casefold()]
        return None


def _plan(session: Session, package: Package) -> list[_Item]:
    known = _Known(session)
    items: list[_Item] = []
    for i, doc in enumerate(package.documents, start=1):
        meds = [m for m in doc.medications if m.key() not in known.medications]
        allergies = [a for a in doc.allergies if a.key() not in known.allergies]
        problems = [p for p in doc.problems if p.key() not in known.problems]
        if _has_own_record(doc):
            digest = doc.digest()
            doc_adds_to = known.study_or_accession(doc.study_uid, doc.accession_number)
            items.append(_Item(
                key=str(i), document=doc, report=None, kind=_kind(doc.kind), title=_title(doc.title, doc.when),
                when=doc.when, facility=doc.facility, clinician=doc.clinician, digest=digest, results=[],
                medications=meds, allergies=allergies, problems=problems, files=list(doc.files),
                already=digest in known.digests, adds_to=doc_adds_to,
                adds_to_title=known.titles.get(doc_adds_to, "") if doc_adds_to is not None else "",
            ))
        for j, report in enumerate(doc.reports, start=1):
            digest = _report_digest(doc, report)
            when = report.when or doc.when
            results = [r for r in report.results
                       if (key := result_key(r, when, report.title)) is None or key not in known.results]
            already = digest in known.digests or (
                bool(report.results) and not results and not report.files and not report.text)
            adds_to = known.study_or_accession(report.study_uid, report.accession_number)
            items.append(_Item(
                key=f"{i}.{j}", document=doc, report=report, kind=_kind(report.kind),
                title=_title(report.title, report.when), when=report.when or doc.when,
                facility=report.facility or doc.facility, clinician=report.clinician or doc.clinician,
                digest=digest, results=results, medications=[], allergies=[], problems=[],
                files=list(report.files), already=already, adds_to=adds_to,
                adds_to_title=known.titles.get(adds_to, "") if adds_to is not None else "",
            ))
    return items


def _title(title: str, when: str) -> str:
    text = " ".join(title.split()) or "Imported document"
    day = day_of(when)
    if day is not None and day.isoformat() not in text and day_month_year(day) not in text:
        text = f"{text}, {day_month_year(day)}"
    return text[:500]


def _warnings(session: Session, patients: Iterable[Patient]) -> tuple[str, ...]:
    from secondopinion_desktop.core.profile import get_profile

    profile = get_profile(session)
    messages = []
    if not (profile.name.strip() or profile.date_of_birth):
        # Nothing to compare with in the profile: the downloads imported before say whose records these are.
        earlier = list(session.execute(select(RecordSource.patient_name, RecordSource.patient_birth_date).distinct()
                                       .where(RecordSource.patient_name != "")))
        for patient in patients:
            if earlier and not any(names_match(patient.name, name) and (
                    not born or not patient.birth_date or born == patient.birth_date) for name, born in earlier):
                name, born = earlier[0]
                messages.append(
                    f"These records may be someone else's: the download is about “{plain(patient.name)}”"
                    + (f", born {day_month_year(patient.birth_date)}" if patient.birth_date else "")
                    + f", the records imported before are about “{plain(name)}”"
                    + (f", born {day_month_year(born)}" if born else "")
                    + ". Filling in the patient profile lets every download be checked against it.")
        return tuple(messages)
    for patient in patients:
        differences = []
        if profile.name.strip() and patient.name.strip() and not names_match(patient.name, profile.name):
            differences.append(f"the name on the download is “{plain(patient.name)}”, "
                               f"the profile says “{plain(profile.name)}”")
        if profile.date_of_birth and patient.birth_date and patient.birth_date != profile.date_of_birth:
            differences.append(f"the birth date on the download is {day_month_year(patient.birth_date)}, "
                               f"the profile says {day_month_year(profile.date_of_birth)}")
        if differences:
            messages.append("These records may be someone else's: " + "; ".join(differences) + ".")
    return tuple(messages)


@reading
def preview_import(session: Session, package: Package) -> ImportPreview:
    """What importing ``package`` would add to the data folder (nothing is written)."""
    items = _plan(session, package)
    todo = [it for it in items if not it.already]
    return ImportPreview(
        name=package.name, patients=package.patients, warnings=_warnings(session, package.patients),
        records=tuple(it.planned() for it in items), skipped=package.skipped,
        results=sum(len(it.results) for it in todo), medications=sum(len(it.medications) for it in todo),
        allergies=sum(len(it.allergies) for it in todo), problems=sum(len(it.problems) for it in todo),
        repeats=package.repeats, repeated_results=package.repeated_results, documents=len(package.documents),
    )


# --- the import -------------------------------------------------------------------------------------------------


def import_package(
    folder: DataFolder,
    package: Package,
    *,
    keys: Iterable[str] | None = None,
    confirmed: bool = False,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> ImportResult:
    """Import the planned records of ``package`` (all, or those whose ``PlannedRecord.key`` is in ``keys``).

    A patient who differs from the profile must be ``confirmed`` (``ValidationError`` with field "patient"
    otherwise). ``progress(done, total)`` counts bytes stored; ``cancelled()`` turning True raises ``Cancelled``
    after everything is put back as it was."""
    with folder.dry_run() as session:
        warnings = _warnings(session, package.patients)
        items = _plan(session, package)
    if warnings and not confirmed:
        raise ValidationError(warnings[0] + " Confirm that they are yours to import them.", field="patient")
    wanted = None if keys is None else set(keys)
    if wanted is not None:
        unknown = wanted - {it.key for it in items}
        if unknown:
            raise ValidationError(f"There is no record {sorted(unknown)[0]} in {package.name}.", field="keys")
    todo = [it for it in items if not it.already and (wanted is None or it.key in wanted)]
    if not todo:
        return ImportResult(package.name, (), (), 0, 0, 0, 0, 0)

    def check_cancel() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled(IMPORT_CANCELLED)

    blobs: dict[int, tuple[bytes, str, str]] = {}  # id(bytes) -> (bytes, name, media type): each stored once

    def add_blob(data: bytes, name: str, media_type: str) -> None:
        blobs.setdefault(id(data), (data, name, media_type))

    for it in todo:
        if it.report is None and it.document.original is not None:
            add_blob(it.document.original, it.document.original_name or "document", it.document.original_media_type)
        for f in it.files:
            add_blob(f.data, f.name, f.media_type)
        if it.report is not None and it.document.original is not None:
            add_blob(it.document.original, it.document.original_name or "document", it.document.original_media_type)
    total = sum(len(b[0]) for b in blobs.values()) or 1
    done = 0
    batch = VaultBatch(folder.vault)
    claim = folder.vault.claim()
    digests: dict[int, tuple[str, int]] = {}
    try:
        with claim:
            root = _vault_root(folder)
            for blob_id, (data, _name, _type) in blobs.items():
                check_cancel()
                digests[blob_id] = _copy_bytes(batch, root, data, cancelled)
                done += len(data)
                if progress is not None:
                    progress(done, total)
            check_cancel()
            batch.commit()
            check_cancel()
            with folder.session() as session:
                result = _write(session, package, todo, digests, blobs)
    except Cancelled:
        _roll_back(folder, batch, claim)
        raise Cancelled(IMPORT_CANCELLED) from None
    except BaseException:
        _roll_back(folder, batch, claim)
        raise
    return dataclasses.replace(result, new_digests=tuple(batch.new_digests))


def _vault_root(folder: DataFolder) -> Path:
    folder.vault.ensure()
    return folder.vault.root


def _staging_prefix() -> str:
    from secondopinion_desktop.core.vault import owned_temp_prefix

    return owned_temp_prefix("portal")


def _copy_bytes(batch: VaultBatch, root: Path, data: bytes, cancelled: CancelCheck | None) -> tuple[str, int]:
    """``data`` into the vault batch through a private (0600) file in the vault's own temporary area (the name
    the start-up sweep removes after a crash), removed at once: a plain copy never lands anywhere else."""
    fd, name = tempfile.mkstemp(prefix=_staging_prefix(), dir=root)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        item = batch.copy(Path(name), cancelled=cancelled)
        return item.sha256, item.size
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _roll_back(folder: DataFolder, batch: VaultBatch, claim: Any) -> None:
    from secondopinion_desktop.core.records import _remove_if_unused

    batch.discard()
    handed = claim.release()
    for sha in dict.fromkeys([*batch.new_digests, *sorted(handed)]):
        with contextlib.suppress(Exception):
            _remove_if_unused(folder, sha)


def _write(session: Session, package: Package, todo: list[_Item], digests: dict[int, tuple[str, int]],
           blobs: dict[int, tuple[bytes, str, str]]) -> ImportResult:
    from secondopinion_desktop.core import records as rec

    today = dt.date.today()
    record_ids: list[int] = []
    created: list[int] = []
    added: list[Any] = []  # rows given to records that were there before
    made: list[Any] = []

    def add(row: Any) -> None:
        session.add(row)
        made.append(row)

    counts = {"results": 0, "medications": 0, "allergies": 0, "problems": 0, "files": 0}
    # The directory entries each name stands for, made once (matched by the core's name rule, never twice).
    facilities: dict[str, int | None] = {}
    clinicians: dict[str, int | None] = {}

    def directory_id(names: dict[str, int | None], kind: RecordKind, field: str, name: str) -> int | None:
        key = " ".join(name.split()).casefold()
        if key not in names:
            probe = Record(kind=kind, status=RecordStatus.NEEDED)
            rec._apply(session, probe, {field: name})  # checks the name and finds or makes the entry
            names[key] = probe.facility_id if field == "facility" else probe.clinician_id
        return names[key]

    # First every new record (checked by the records service's own rules), written in one go…
    targets: list[tuple[_Item, Record, bool]] = []
    for it in todo:
        if it.adds_to is not None and (existing := session.get(Record, it.adds_to)) is not None:
            targets.append((it, existing, True))
            continue
        fields: dict[str, Any] = {"title": it.title, "status": RecordStatus.RECEIVED, "received_on": today,
                                  "summary": _summary(it), "notes": _notes(package, it)}
        day = day_of(it.when)
        if day is not None and day <= today:
            fields["date_of_service"] = day
        if it.kind is RecordKind.IMAGING and it.report is not None:
            fields["imaging_modality"] = it.report.modality[:50]
            fields["imaging_body_region"] = it.report.body_site[:200]
        if it.kind is RecordKind.PATHOLOGY and it.report is not None:
            fields["accession_number"] = it.report.accession_number[:100]
            fields["specimen_site"] = it.report.body_site[:200]
        elif it.kind is RecordKind.PATHOLOGY and it.report is None and it.document.suggested:
            fields["accession_number"] = it.document.accession_number[:100]  # proposed by a loose PDF's text
        record = Record(kind=it.kind, status=RecordStatus.NEEDED)
        with session.no_autoflush:
            rec._apply(session, record, fields)
        # the entries were found or made (and their names checked) by the same rule, once per name
        if it.facility.strip():
            record.facility_id = directory_id(facilities, it.kind, "facility", it.facility.strip()[:300])
        if it.clinician.strip():
            record.clinician_id = directory_id(clinicians, it.kind, "clinician", it.clinician.strip()[:200])
        session.add(record)
        targets.append((it, record, False))
    session.flush()
    existing_files: dict[int, set[str]] = {}
    joined = [record.id for _it, record, joins in targets if joins]
    if joined:
        for record_id, sha in session.execute(select(Attachment.record_id, Attachment.sha256)
                                              .where(Attachment.record_id.in_(joined))):
            existing_files.setdefault(int(record_id), set()).add(str(sha))
    # …then what each brings.
    for it, record, joins in targets:
        doc = it.document
        original = digests.get(id(doc.original)) if doc.original is not None else None
        before = len(made)
        record_id = record.id
        if not joins:
            created.append(record_id)
        record_ids.append(record_id)
        attached = existing_files.setdefault(record_id, set())

        def attach(blob_id: int, record_id: int = record_id, attached: set[str] = attached) -> str:
            sha, size = digests[blob_id]
            if sha not in attached:
                _data, name, media_type = blobs[blob_id]
                add(Attachment(record_id=record_id, original_name=name[:1000] or "document",
                                       media_type=media_type or "application/octet-stream", size=size, sha256=sha))
                attached.add(sha)
                counts["files"] += 1
            return sha

        source_sha = attach(id(doc.original)) if original is not None else ""
        for f in it.files:
            attach(id(f.data))
        report = it.report
        add(RecordSource(
            record_id=record_id, format=doc.format[:40], source_name=doc.source[:1000],
            position=(report.position if report else "")[:300], sha256=source_sha, digest=it.digest,
            title=(report.title if report else doc.title)[:500], type_code=doc.type_code[:40] if not report else "",
            sections=json.dumps(sections_to_json(doc.sections) if report is None else []),
            patient_name=plain(doc.patient.name if doc.patient else "")[:200],
            patient_birth_date=doc.patient.birth_date if doc.patient else None,
        ))
        common = {"record_id": record_id, "source_name": doc.source[:1000], "sha256": source_sha}
        for r in it.results:
            add(LabResultRow(
                **common, position=r.position[:300], test=(r.test or r.loinc or "Result")[:300], loinc=r.loinc[:20],
                value=r.value[:500], number=r.number, unit=r.unit[:50], reference_range=r.reference_range[:200],
                flag=r.flag[:50], observed_at=(r.when or it.when)[:20], observed_on=day_of(r.when or it.when),
                panel=(r.panel or (report.title if report else ""))[:300], status=r.status[:40],
            ))
        for m in it.medications:
            add(MedicationRow(
                **common, position=m.position[:300], name=m.name[:500] or "Medication", code=m.code[:40],
                dose=m.dose[:200], route=m.route[:100], frequency=m.frequency[:200], instructions=m.instructions,
                status=m.status[:40], start=m.start[:20], end=m.end[:20],
            ))
        for a in it.allergies:
            add(AllergyRow(
                **common, position=a.position[:300], substance=a.substance[:500] or "Allergy", code=a.code[:40],
                reaction=a.reaction[:500], severity=a.severity[:100], status=a.status[:40], onset=a.onset[:20],
            ))
        for p in it.problems:
            add(ProblemRow(
                **common, position=p.position[:300], name=p.name[:500] or "Problem", code=p.code[:40],
                code_system=p.code_system[:40], status=p.status[:40], onset=p.onset[:20], resolved=p.resolved[:20],
                stage=p.stage[:200],
            ))
        if joins:
            added.extend(made[before:])
        counts["results"] += len(it.results)
        counts["medications"] += len(it.medications)
        counts["allergies"] += len(it.allergies)
        counts["problems"] += len(it.problems)
    session.flush()
    return ImportResult(package.name, tuple(dict.fromkeys(record_ids)), tuple(created), counts["results"],
                        counts["medications"], counts["allergies"], counts["problems"], counts["files"],
                        added_rows=tuple((row.__tablename__, int(row.id)) for row in added))


# --- taking back what an import added to records that were there before (its undo) ----------------------------

_ADDED_TABLES = {t.__tablename__: t for t in (RecordSource, Attachment, LabResultRow, MedicationRow, AllergyRow,
                                              ProblemRow)}


@dataclass(frozen=True)
class AddedRows:
    """The rows an import added to records that were there before, as they were (``put_back_added``)."""

    rows: tuple[tuple[str, dict[str, Any]], ...]

    @property
    def record_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(int(values["record_id"]) for _table, values in self.rows))

    @property
    def digests(self) -> set[str]:
        """The vault files the attachments among them use (kept while the step may be redone)."""
        return {str(values["sha256"]) for table, values in self.rows if table == "attachment"}


@unit_of_work
def take_back_added(session: Session, result: ImportResult) -> AddedRows:
    """Remove, in one transaction, what ``result``'s import added to records that were there before; their
    vault files stay (``records.purge_unused_files`` once nothing may bring them back)."""
    taken: list[tuple[str, dict[str, Any]]] = []
    for table_name, row_id in result.added_rows:
        table = _ADDED_TABLES[table_name]
        row = session.get(table, row_id)
        if row is None:
            continue
        taken.append((table_name, {c.name: getattr(row, c.key) for c in table.__table__.columns}))
        session.delete(row)
    session.flush()
    return AddedRows(tuple(taken))


@unit_of_work
def put_back_added(session: Session, added: AddedRows) -> None:
    """Put back what ``take_back_added`` removed (into the records still there)."""
    for table_name, values in added.rows:
        if session.get(Record, values["record_id"]) is None:
            continue
        session.execute(insert(_ADDED_TABLES[table_name]), [values])
    session.flush()


def _summary(it: _Item) -> str:
    if it.report is not None and it.report.text.strip():
        return it.report.text.strip()[:4000]
    parts = _amounts(len(it.results), len(it.medications), len(it.allergies), len(it.problems))
    return f"{_join(parts).capitalize()} read from the download." if parts else ""


def _notes(package: Package, it: _Item) -> str:
    links = list(it.report.links if it.report is not None else it.document.links)
    text = f"Imported from {package.name} ({it.document.format}, {it.document.source})."
    if links:
        text += "\nNot downloaded (only an address was given): " + "; ".join(
            f"{link.description or 'a file'} at {link.url}" for link in links[:20])
    return text

