"""The records inventory: records, their status workflow and their attached files.

How callers use it (the window, the CLI, other services alike): every service that works inside one
transaction is written against a ``Session`` and decorated (``core.unit``): ``@unit_of_work`` for changes,
``@reading`` for reads and checks. The window calls them with the ``DataFolder``, so each call is a transaction
of its own (``create_record(folder, "lab", "CBC")``); a service calls another with its own session. Work
that needs several steps together has a service of its own (``set_statuses``, ``update_records``,
``create_records_with_files``, ``delete_records``); input is checked without writing by ``check_record``.
Services that copy files into the vault (``attach_file``, ``attach_files``, ``create_record_with_files``,
``delete_record``…) take the folder itself: their file copies and their rows are ordered by the vault's claims.
Every ValidationError names the parameter at fault in ``field``
(``"title"``, ``"date_of_service"``, ``"received_on"``…).
"""

from __future__ import annotations

import datetime as dt
import enum
import mimetypes
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.directory import (
    ClinicianData,
    FacilityData,
    get_or_create_clinician,
    get_or_create_facility,
    list_clinicians,
    list_facilities,
)
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import (
    Attachment,
    Clinician,
    ClinicianRole,
    Facility,
    ImagesLocation,
    Record,
    RecordKind,
    RecordStatus,
)
from secondopinion_desktop.core.paths import display_name
from secondopinion_desktop.core.progress import CancelCheck, Progress, check
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import (
    clean_count,
    clean_line,
    clean_text,
    parse_date,
    parse_enum,
)
from secondopinion_desktop.core.vault import VaultClaim


@dataclass(frozen=True)
class AttachmentData:
    id: int
    record_id: int
    original_name: str
    media_type: str
    size: int
    sha256: str
    added_at: dt.datetime


@dataclass(frozen=True)
class RecordData:
    id: int
    kind: RecordKind
    title: str
    date_of_service: dt.date | None
    facility_id: int | None
    facility_name: str
    clinician_id: int | None
    clinician_name: str
    status: RecordStatus
    requested_on: dt.date | None
    received_on: dt.date | None
    sent_on: dt.date | None
    summary: str
    notes: str
    imaging_modality: str
    imaging_body_region: str
    images_location: ImagesLocation | None
    accession_number: str
    specimen_site: str
    slides_count: int | None
    blocks_count: int | None
    material_holder: str
    created_at: dt.datetime
    updated_at: dt.datetime
    attachments: tuple[AttachmentData, ...]
    # Rows of imported DICOM files (column name -> value). Filled only in the snapshot delete_record returns, so
    # that an undo can put them back; everyday listings leave it empty (a study can hold thousands).
    imaging_files: tuple[Mapping[str, Any], ...] = ()
    # Likewise only in that snapshot: the requests that asked for the record and the shipments of its material,
    # so that an undone deletion links them again.
    request_ids: tuple[int, ...] = ()
    shipment_ids: tuple[int, ...] = ()
    # And what a portal import read into it (table name -> its rows: where it came from, lab results,
    # medications, allergies, problems), put back with it.
    imported_rows: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready values: ISO dates, enum values."""
        values = asdict(self)
        for snapshot_only in ("imaging_files", "request_ids", "shipment_ids", "imported_rows"):
            values.pop(snapshot_only)
        return json_ready(values)  # type: ignore[no-any-return]


def json_ready(value: Any) -> Any:
    """``value`` with dates as ISO text, enums as their values and tuples as lists (for ``json.dumps``)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    return value


IMAGING_FIELDS = ("imaging_modality", "imaging_body_region", "images_location")
PATHOLOGY_FIELDS = ("accession_number", "specimen_site", "slides_count", "blocks_count", "material_holder")
STATUS_DATE_FIELD = {
    RecordStatus.REQUESTED: "requested_on",
    RecordStatus.RECEIVED: "received_on",
    RecordStatus.SENT: "sent_on",
}
# A clinician typed into a record of these kinds is created as who writes such records, not as a treating doctor.
NEW_CLINICIAN_FIELDS: dict[RecordKind, dict[str, Any]] = {
    RecordKind.PATHOLOGY: {"role": ClinicianRole.OTHER, "specialty": "Pathology"},
    RecordKind.IMAGING: {"role": ClinicianRole.OTHER, "specialty": "Radiology"},
}
EDITABLE_FIELDS = (
    "kind", "title", "date_of_service", "facility_id", "facility", "clinician_id", "clinician", "status",
    "requested_on", "received_on", "sent_on", "summary", "notes", *IMAGING_FIELDS, *PATHOLOGY_FIELDS,
)


def attachment_data(a: Attachment) -> AttachmentData:
    return AttachmentData(
        id=a.id, record_id=a.record_id, original_name=a.original_name, media_type=a.media_type, size=a.size,
        sha256=a.sha256, added_at=a.added_at,
    )


def record_data(r: Record) -> RecordData:
    return RecordData(
        id=r.id, kind=r.kind, title=r.title, date_of_service=r.date_of_service, facility_id=r.facility_id,
        facility_name=r.facility.name if r.facility else "", clinician_id=r.clinician_id,
        clinician_name=r.clinician.name if r.clinician else "", status=r.status, requested_on=r.requested_on,
        received_on=r.received_on, sent_on=r.sent_on, summary=r.summary, notes=r.notes,
        imaging_modality=r.imaging_modality, imaging_body_region=r.imaging_body_region,
        images_location=r.images_location, accession_number=r.accession_number, specimen_site=r.specimen_site,
        slides_count=r.slides_count, blocks_count=r.blocks_count, material_holder=r.material_holder,
        created_at=r.created_at, updated_at=r.updated_at,
        attachments=tuple(attachment_data(a) for a in r.attachments),
    )


def _apply(session: Session, record: Record, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Records have no field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    if "kind" in fields:
        record.kind = parse_enum(RecordKind, fields["kind"], "record kind", field="kind")
    for key, value in fields.items():
        if key == "kind":
            continue
        if key in IMAGING_FIELDS and record.kind is not RecordKind.IMAGING and value not in (None, ""):
            raise ValidationError("Modality, body region and image location apply only to imaging records.",
                                  field=key)
        if key in PATHOLOGY_FIELDS and record.kind is not RecordKind.PATHOLOGY and value not in (None, ""):
            raise ValidationError("Accession number, specimen, slides and blocks apply only to pathology records.",
                                  field=key)
        if key == "title":
            record.title = clean_line(value, "title", required=True, field="title")
        elif key in ("date_of_service", "requested_on", "received_on", "sent_on"):
            what = "date of service" if key == "date_of_service" else key.replace("_on", " date")
            setattr(record, key, parse_date(value, what, allow_future=key == "date_of_service", field=key))
        elif key == "status":
            record.status = parse_enum(RecordStatus, value, "status", field="status")
        elif key == "facility_id":
            if value is not None and session.get(Facility, value) is None:
                raise NotFoundError(f"There is no facility {value}.")
            record.facility_id = value
        elif key == "facility":
            name = clean_line(value, "facility name", max_len=300, field="facility")
            record.facility_id = _named(get_or_create_facility, session, name, field="facility") if name else None
        elif key == "clinician_id":
            if value is not None and session.get(Clinician, value) is None:
                raise NotFoundError(f"There is no clinician {value}.")
            record.clinician_id = value
        elif key == "clinician":
            name = clean_line(value, "clinician's name", max_len=200, field="clinician")
            new_fields = NEW_CLINICIAN_FIELDS.get(record.kind, {"role": ClinicianRole.TREATING})
            record.clinician_id = (_named(get_or_create_clinician, session, name, field="clinician", **new_fields)
                                   if name else None)
        elif key in ("summary", "notes"):
            setattr(record, key, clean_text(value, key, field=key))
        elif key == "images_location":
            record.images_location = (parse_enum(ImagesLocation, value, "image location", field=key)
                                      if value else None)
        elif key in ("slides_count", "blocks_count"):
            setattr(record, key, clean_count(value, key.replace("_count", ""), field=key))
        else:
            limit = Record.__table__.c[key].type.length  # type: ignore[attr-defined]
            setattr(record, key, clean_line(value, key.replace("_", " "), max_len=limit, field=key))
    if record.kind is not RecordKind.IMAGING:
        record.imaging_modality, record.imaging_body_region, record.images_location = "", "", None
    if record.kind is not RecordKind.PATHOLOGY:
        record.accession_number = record.specimen_site = record.material_holder = ""
        record.slides_count = record.blocks_count = None
    order = list(RecordStatus)
    if "status" in fields:
        # Moving back along the workflow clears the dates of the steps now undone.
        for later, later_field in STATUS_DATE_FIELD.items():
            if order.index(later) > order.index(record.status):
                setattr(record, later_field, None)
    # Reaching a status dates it (today) unless the date was given.
    date_field = STATUS_DATE_FIELD.get(record.status)
    if date_field and getattr(record, date_field) is None:
        setattr(record, date_field, dt.date.today())
    steps = [(s.label.lower(), f, getattr(record, f)) for s, f in STATUS_DATE_FIELD.items()]
    dated = [(name, f, day) for name, f, day in steps if day is not None]
    for (earlier, _f, earlier_day), (later, later_field, later_day) in zip(dated, dated[1:], strict=False):
        if later_day < earlier_day:
            raise ValidationError(
                f"The {later} date {later_day.isoformat()} is before the {earlier} date {earlier_day.isoformat()}.",
                field=later_field,
            )


def _named(make: Callable[..., Any], session: Session, name: str, *, field: str, **fields: Any) -> int:
    """The id of the directory entry called ``name`` (made when new); a refusal names ``field``."""
    try:
        return int(make(session, name, **fields).id)
    except ValidationError as exc:
        if exc.field is None:
            exc.field = field
        raise


def _load(session: Session, record_id: int) -> Record:
    record = session.get(Record, record_id, options=[selectinload(Record.attachments)])
    if record is None:
        raise NotFoundError(f"There is no record {record_id}.")
    return record


@reading
def get_record(session: Session, record_id: int) -> RecordData:
    return record_data(_load(session, record_id))


@reading
def get_records(session: Session, record_ids: Iterable[int]) -> list[RecordData]:
    """The records with these ids that still exist, in the order asked."""
    found = []
    for record_id in record_ids:
        record = session.get(Record, record_id, options=[selectinload(Record.attachments)])
        if record is not None:
            found.append(record_data(record))
    return found


@unit_of_work
def create_record(session: Session, kind: RecordKind | str, title: str, **fields: Any) -> RecordData:
    """A new record; its status is Needed unless ``status`` says otherwise."""
    if fields.get("status") is None:
        fields.pop("status", None)
    record = Record(kind=parse_enum(RecordKind, kind, "record kind", field="kind"), status=RecordStatus.NEEDED)
    _apply(session, record, {"title": title, **fields})
    session.add(record)
    session.flush()
    session.refresh(record)
    return record_data(record)


@unit_of_work
def update_record(session: Session, record_id: int, **fields: Any) -> RecordData:
    record = _load(session, record_id)
    _apply(session, record, fields)
    session.flush()
    session.refresh(record)
    return record_data(record)


@unit_of_work
def update_records(session: Session, changes: Mapping[int, Mapping[str, Any]]) -> list[RecordData]:
    """Several records' fields changed together (``{record id: fields}``): all of them, or none."""
    return [update_record(session, record_id, **dict(fields)) for record_id, fields in changes.items()]


@reading
def check_record(session: Session, fields: Mapping[str, Any], record_id: int | None = None) -> None:
    """Refuse what ``create_record`` (``record_id`` None; ``fields`` hold ``kind`` and ``title`` too) or
    ``update_record`` would refuse, with the same ValidationError; nothing is kept."""
    values = dict(fields)
    if record_id is None:
        create_record(session, values.pop("kind", RecordKind.OTHER), values.pop("title", ""), **values)
    else:
        update_record(session, record_id, **values)


@dataclass(frozen=True)
class RecordChoices:
    """What a record form offers to choose from: the directory's facilities and clinicians, by name."""

    facilities: tuple[FacilityData, ...]
    clinicians: tuple[ClinicianData, ...]


@reading
def record_choices(session: Session) -> RecordChoices:
    return RecordChoices(tuple(list_facilities(session)), tuple(list_clinicians(session)))


@unit_of_work
def set_status(
    session: Session, record_id: int, status: RecordStatus | str, on: dt.date | str | None = None
) -> RecordData:
    """Move a record to ``status``, dating the step ``on`` (today when not given)."""
    status = parse_enum(RecordStatus, status, "status", field="status")
    fields: dict[str, Any] = {"status": status}
    if status in STATUS_DATE_FIELD:
        fields[STATUS_DATE_FIELD[status]] = on or dt.date.today()
    return update_record(session, record_id, **fields)


def next_status(status: RecordStatus) -> RecordStatus | None:
    """The next step of needed → requested → received → sent, or None after the last."""
    order = list(RecordStatus)
    position = order.index(status)
    return order[position + 1] if position + 1 < len(order) else None


@unit_of_work
def set_statuses(
    session: Session, moves: Iterable[tuple[int, RecordStatus | str]], on: dt.date | str | None = None
) -> list[RecordData]:
    """Move each record to its status (``(record id, status)`` pairs), each step dated ``on`` or today: all of
    them, or none."""
    return [set_status(session, record_id, status, on) for record_id, status in moves]


@unit_of_work
def advance_status(session: Session, record_id: int, on: dt.date | str | None = None) -> RecordData:
    """Move a record one step along the workflow, dated ``on`` (today when not given)."""
    current = _load(session, record_id).status
    following = next_status(current)
    if following is None:
        raise ValidationError("This record has already been sent to the second-opinion doctor; no step follows.",
                              field="status")
    return set_status(session, record_id, following, on)


@dataclass(frozen=True)
class RecordRow:
    """What the inventory table shows of a record: read in one query, light enough for tens of thousands."""

    id: int
    kind: RecordKind
    title: str
    date_of_service: dt.date | None
    facility_name: str
    clinician_name: str
    status: RecordStatus
    requested_on: dt.date | None
    received_on: dt.date | None
    sent_on: dt.date | None
    summary: str
    notes: str
    attachment_count: int


@reading
def list_record_rows(session: Session, record_ids: Iterable[int] | None = None) -> list[RecordRow]:
    """Every record (or those with ``record_ids``) as a table row, in id order."""
    files = (
        select(Attachment.record_id, func.count().label("n")).group_by(Attachment.record_id).subquery()
    )
    query = (
        select(
            Record.id, Record.kind, Record.title, Record.date_of_service, Facility.name, Clinician.name,
            Record.status, Record.requested_on, Record.received_on, Record.sent_on, Record.summary, Record.notes,
            func.coalesce(files.c.n, 0),
        )
        .outerjoin(Facility, Record.facility_id == Facility.id)
        .outerjoin(Clinician, Record.clinician_id == Clinician.id)
        .outerjoin(files, files.c.record_id == Record.id)
        .order_by(Record.id)
    )
    if record_ids is not None:
        query = query.where(Record.id.in_(list(record_ids)))
    return [
        RecordRow(r[0], r[1], r[2], r[3], r[4] or "", r[5] or "", r[6], r[7], r[8], r[9], r[10], r[11], r[12])
        for r in session.execute(query)
    ]


@reading
def list_records(
    session: Session,
    *,
    kind: RecordKind | str | None = None,
    status: RecordStatus | str | None = None,
    text: str | None = None,
) -> list[RecordData]:
    """Records, newest date of service first (undated last), optionally filtered."""
    query = select(Record).options(
        selectinload(Record.attachments), selectinload(Record.facility), selectinload(Record.clinician)
    )
    if kind is not None:
        query = query.where(Record.kind == parse_enum(RecordKind, kind, "record kind", field="kind"))
    if status is not None:
        query = query.where(Record.status == parse_enum(RecordStatus, status, "status", field="status"))
    if text:
        # % and _ typed by the user are literal characters, not LIKE wildcards
        escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        query = query.outerjoin(Record.facility).where(
            or_(*(column.ilike(like, escape="\\")
                  for column in (Record.title, Record.summary, Record.notes, Facility.name)))
        )
    query = query.order_by(Record.date_of_service.is_(None), Record.date_of_service.desc(), Record.id)
    return [record_data(r) for r in session.scalars(query)]


@reading
def count_records(session: Session) -> dict[tuple[RecordKind, RecordStatus], int]:
    rows = session.execute(select(Record.kind, Record.status, func.count()).group_by(Record.kind, Record.status))
    return {(k, s): n for k, s, n in rows}


# --- attachments -------------------------------------------------------------------------------------------

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
)


def guess_media_type(path: Path) -> str:
    """Media type from the file's first bytes, then from its name."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        head = b""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[128:132] == b"DICM":
        return "application/dicom"
    if b"%PDF-" in head:  # PDF readers accept a little junk (a mail header, a byte-order mark) first
        return "application/pdf"
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


# Words in a file name that suggest its kind; the first kind with a match wins. Each pattern must start at a
# word boundary (so "ct" does not match "contract"); a pattern ending in a letter may run on ("patholog…").
_KIND_PATTERNS: tuple[tuple[RecordKind, str], ...] = (
    (RecordKind.PATHOLOGY, r"patholog|biops|cytolog|slides?\b|specimen|fna\b|histolog"),
    (RecordKind.MOLECULAR, r"ngs\b|genomic|molecular|mutation|brca|her2\b|fish\b|ihc\b|oncotype|biomarker|germline"
                           r"|recurrence score|genetic"),
    (RecordKind.IMAGING, r"ct\b|mri?\b|pet\b|mammo|ultrasound|sonogra|x ?ray|radiolog|imaging|dicom|dexa\b"
                         r"|bone scan|scan of\b"),
    (RecordKind.LAB, r"cbc\b|cmp\b|blood|labs?\b|laboratory|tumou?r markers?|cea\b|ca ?15|ca ?125|ca ?19|psa\b"
                     r"|metabolic|hemoglobin|haemoglobin|results?\b"),
    (RecordKind.IDENTITY, r"insurance|insurance card|id card|ids?\b|driver|license|licence|passport|release\b"
                          r"|authori[sz]ation|hipaa|consent"),
    (RecordKind.TREATMENT, r"treatment|medications?\b|meds\b|allerg|chemo|regimen|radiation summary"),
    (RecordKind.CLINICAL, r"consult|notes?\b|operative|op note|discharge|h ?& ?p\b|history|visit|letter|summary"),
)
_KIND_REGEXES = tuple((kind, re.compile(rf"\b(?:{pattern})")) for kind, pattern in _KIND_PATTERNS)


def guess_kind(name: str, media_type: str = "") -> RecordKind:
    """A first guess at a dropped file's kind from its name and type; the user confirms it."""
    if media_type == "application/dicom" or name.lower().endswith(".dcm"):
        return RecordKind.IMAGING
    text = " ".join(re.split(r"[\s_\-.]+", Path(name).stem.lower()))
    for kind, regex in _KIND_REGEXES:
        if regex.search(text):
            return kind
    return RecordKind.OTHER


def title_from_file_name(name: str) -> str:
    """A readable record title from a file name: no extension, separators as spaces (dates keep hyphens)."""
    stem = re.sub(r"(?<!\d)-|-(?!\d)", " ", Path(name).stem.replace("_", " "))
    return " ".join(stem.split()) or name


def check_attachable(path: Path) -> None:
    """Raise a clear ValidationError for a path that cannot be attached."""
    if not path.exists():
        raise ValidationError(f"The file {path} does not exist (was it moved or deleted?).")
    if path.is_dir():
        raise ValidationError(f"{path} is a folder; choose the files inside it instead.")
    if not path.is_file():
        raise ValidationError(f"{path} is not a regular file.")
    if path.stat().st_size == 0:
        raise ValidationError(f"The file {path.name} is empty (0 bytes); nothing to attach.")
    if not os.access(path, os.R_OK):
        raise ValidationError(f"The file {path.name} cannot be read (permission denied).")


def attach_file(
    folder: DataFolder,
    record_id: int,
    path: Path | str,
    *,
    original_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> AttachmentData:
    """Copy ``path`` into the vault and attach it to the record.

    The file is in the vault before the row is committed; if anything fails, no row is added and a file that
    was new to the vault is removed again.
    """
    path = Path(path)
    check_attachable(path)
    name = clean_line(original_name or display_name(path), "file name", required=True, max_len=1000)
    with folder.session() as session:
        _load(session, record_id)
    media_type = guess_media_type(path)
    with folder.vault.claim() as claim:  # the copy is claimed until its row is committed (see vault.VaultClaim)
        stored = folder.vault.store(path, progress=progress, cancelled=cancelled)
        try:
            with folder.session() as session:
                attachment = Attachment(
                    record_id=record_id, original_name=name, media_type=media_type, size=stored.size,
                    sha256=stored.sha256,
                )
                session.add(attachment)
                session.flush()
                _load(session, record_id).updated_at = attachment.added_at
                return attachment_data(attachment)
        except BaseException:
            _roll_back_files(folder, claim, [] if stored.already_present else [stored.sha256])
            raise


@dataclass(frozen=True)
class NewRecord:
    """One record to create with its files (``create_records_with_files``)."""

    kind: RecordKind | str
    title: str
    files: tuple[Path, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)


def create_record_with_files(
    folder: DataFolder, kind: RecordKind | str, title: str, files: Iterable[Path | str] = (), *,
    progress: Progress | None = None, cancelled: CancelCheck | None = None, **fields: Any
) -> RecordData:
    """Create a record and attach files in one step: all of it, or (after a failure or a crash) none of it.

    Every file is checked and copied into the vault first; the record and its attachment rows are then
    committed in one transaction. If anything fails, vault files new to this call are removed again. A record
    that comes with its files has been received: its status is Received unless ``status`` says otherwise.
    """
    item = NewRecord(kind, title, tuple(Path(f) for f in files), fields)
    return create_records_with_files(folder, [item], progress=progress, cancelled=cancelled)[0]


def create_records_with_files(
    folder: DataFolder, items: Iterable[NewRecord], *, progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> list[RecordData]:
    """``create_record_with_files`` for several records at once (files dropped on the inventory): every record
    and every file, in one transaction, or none of them. ``progress`` counts bytes copied of all the files."""
    plans: list[tuple[NewRecord, dict[str, Any], list[str]]] = []
    for item in items:
        values = dict(item.fields)
        if values.get("status") is None:
            values["status"] = RecordStatus.RECEIVED if item.files else RecordStatus.NEEDED
        for path in item.files:
            check_attachable(path)
        names = [clean_line(display_name(p), "file name", required=True, max_len=1000, field="files")
                 for p in item.files]
        plans.append((item, values, names))
    with folder.dry_run() as session:  # refuse bad fields before copying anything
        for item, values, _names in plans:
            create_record(session, item.kind, item.title, **values)
    total = sum(p.stat().st_size for item, _v, _n in plans for p in item.files) or 1
    copied = 0
    stored: list[list[tuple[str, str, Any]]] = []
    with folder.vault.claim() as claim:  # every copy is claimed until the rows are committed
        try:
            for item, _values, names in plans:
                copies: list[tuple[str, str, Any]] = []
                stored.append(copies)
                for path, name in zip(item.files, names, strict=True):
                    check(cancelled)
                    base = copied
                    step = None if progress is None else (lambda d, _t, base=base: progress(base + d, total))
                    copy = folder.vault.store(path, progress=step, cancelled=cancelled)
                    copies.append((name, guess_media_type(path), copy))
                    copied += copy.size
            check(cancelled)
            with folder.session() as session:
                made = []
                for (item, values, _names), copies in zip(plans, stored, strict=True):
                    record = create_record(session, item.kind, item.title, **values)
                    for name, media_type, copy in copies:
                        session.add(Attachment(record_id=record.id, original_name=name, media_type=media_type,
                                               size=copy.size, sha256=copy.sha256))
                    made.append(record.id)
                session.flush()
                return [record_data(_load(session, record_id)) for record_id in made]
        except BaseException:
            new = [copy.sha256 for copies in stored for *_rest, copy in copies if not copy.already_present]
            _roll_back_files(folder, claim, new)
            raise


def attach_files(
    folder: DataFolder, pairs: Iterable[tuple[int, Path | str]], *, progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> list[AttachmentData]:
    """Attach each ``(record id, file)``: every one of them, or (after a failure or a cancel) none.
    ``progress`` counts bytes copied of all the files."""
    good = [(record_id, Path(path)) for record_id, path in pairs]
    for _record_id, path in good:
        check_attachable(path)
    total = sum(path.stat().st_size for _, path in good) or 1
    attached: list[AttachmentData] = []
    done = 0
    try:
        for record_id, path in good:
            base = done
            step = None if progress is None else (lambda d, _t, base=base: progress(base + d, total))
            attached.append(attach_file(folder, record_id, path, progress=step, cancelled=cancelled))
            done += attached[-1].size
    except BaseException:
        for attachment in attached:  # all or nothing
            remove_attachment(folder, attachment.id)
        raise
    return attached


def _roll_back_files(folder: DataFolder, claim: VaultClaim, new_digests: Iterable[str]) -> None:
    """After a failed attach or undo: give up the claim, then remove the files that were new to the vault (and
    those a remover handed over to this claim) unless a committed row or another operation in flight uses them.
    Content that was stored before is never passed in ``new_digests``."""
    handed = claim.release()
    for sha in dict.fromkeys([*new_digests, *sorted(handed)]):
        _remove_if_unused(folder, sha)


def _remove_if_unused(folder: DataFolder, sha256: str) -> bool:
    """Delete a vault file that no committed attachment or imaging file refers to and that no operation in flight
    claims (an import or attachment of the same content whose rows are not committed yet); True if removed."""
    from secondopinion_desktop.core.models import ImagingFile

    def unused() -> bool:
        with folder.session() as session:
            used = session.scalar(select(func.count()).select_from(Attachment).where(Attachment.sha256 == sha256))
            if not used:
                used = session.scalar(
                    select(func.count()).select_from(ImagingFile).where(ImagingFile.sha256 == sha256)
                )
        return not used

    # decided and deleted under the claims' lock: nothing can claim the file in between
    return folder.vault.remove_unclaimed(sha256, unused)


def remove_attachment(folder: DataFolder, attachment_id: int) -> AttachmentData:
    """Detach a file; its vault copy goes when no other attachment uses the same content."""
    with folder.session() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            raise NotFoundError(f"There is no attachment {attachment_id}.")
        data = attachment_data(attachment)
        session.delete(attachment)
    _remove_if_unused(folder, data.sha256)
    return data


def delete_record(folder: DataFolder, record_id: int, *, keep_files: bool = False) -> RecordData:
    """Delete a record, its attachments and its imported DICOM files.

    Vault files no other record uses are removed after the commit, unless ``keep_files`` (the window keeps them
    while the deletion can still be undone, then calls ``purge_unused_files``). The returned snapshot carries
    the imaging rows, so ``restore_record`` can put everything back.
    """
    data = delete_records(folder, [record_id])[0]
    if not keep_files:
        purge_unused_files(folder, record_digests(data))
    return data


@unit_of_work
def delete_records(session: Session, record_ids: Iterable[int]) -> list[RecordData]:
    """Delete several records (with their attachments and imported DICOM files) in one transaction: all of them
    or, when one cannot go, none. Their vault files stay, for ``restore_record`` to bring the records back; the
    caller purges them (``purge_unused_files``) once nothing may. Returns the snapshots, in the order given."""
    from secondopinion_desktop.core.models import ImagingFile, MaterialShipment, RequestRecord

    ids = list(dict.fromkeys(record_ids))
    # Everything the snapshots hold is read a few hundred records at a time (an import's undo takes hundreds).
    records: dict[int, Record] = {}
    imaging: dict[int, list[Mapping[str, Any]]] = {}
    asked: dict[int, list[int]] = {}
    shipped: dict[int, list[int]] = {}
    imported: dict[int, list[tuple[str, tuple[Mapping[str, Any], ...]]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        _unlink_typed_rows(session, chunk)
        for record in session.scalars(select(Record).where(Record.id.in_(chunk))
                                      .options(selectinload(Record.attachments))):
            records[record.id] = record
        for row in session.scalars(select(ImagingFile).where(ImagingFile.record_id.in_(chunk))
                                   .order_by(ImagingFile.id)):
            imaging.setdefault(row.record_id, []).append(
                {column.name: getattr(row, column.name) for column in ImagingFile.__table__.columns})
        for record_id, request_id in session.execute(
                select(RequestRecord.record_id, RequestRecord.request_id)
                .where(RequestRecord.record_id.in_(chunk)).order_by(RequestRecord.request_id)):
            asked.setdefault(int(record_id), []).append(int(request_id))
        for record_id, shipment_id in session.execute(
                select(MaterialShipment.record_id, MaterialShipment.id)
                .where(MaterialShipment.record_id.in_(chunk)).order_by(MaterialShipment.id)):
            shipped.setdefault(int(record_id), []).append(int(shipment_id))
        for record_id, rows in _imported_rows_of(session, chunk).items():
            imported[record_id] = rows
    snapshots: list[RecordData] = []
    for record_id in ids:
        record = records.get(record_id)
        if record is None:
            raise NotFoundError(f"There is no record {record_id}.")
        snapshots.append(replace(record_data(record), imaging_files=tuple(imaging.get(record_id, ())),
                                 request_ids=tuple(asked.get(record_id, ())),
                                 shipment_ids=tuple(shipped.get(record_id, ())),
                                 imported_rows=tuple(imported.get(record_id, ()))))
        session.delete(record)
    session.flush()
    return snapshots


def _unlink_typed_rows(session: Session, record_ids: list[int]) -> None:
    """Medications, allergies and lab values the patient typed in herself stay when the record of their paper
    goes: they are unlinked from it, never deleted with it (imported rows go with their record)."""
    from secondopinion_desktop.core.models import AllergyRow, LabResultRow, MedicationRow

    for table in (LabResultRow, MedicationRow, AllergyRow):
        session.execute(update(table).where(table.record_id.in_(record_ids), table.origin == "hand")
                        .values(record_id=None).execution_options(synchronize_session="fetch"))


def _imported_tables() -> tuple[Any, ...]:
    from secondopinion_desktop.core.models import AllergyRow, LabResultRow, MedicationRow, ProblemRow, RecordSource

    return (RecordSource, LabResultRow, MedicationRow, AllergyRow, ProblemRow)


def _imported_rows_of(session: Session, record_ids: list[int]
                      ) -> dict[int, list[tuple[str, tuple[Mapping[str, Any], ...]]]]:
    """The rows a portal import gave each of these records, table by table (for ``restore_record``)."""
    out: dict[int, list[tuple[str, tuple[Mapping[str, Any], ...]]]] = {}
    for table in _imported_tables():
        columns = table.__table__.columns
        rows: dict[int, list[Mapping[str, Any]]] = {}
        for row in session.scalars(select(table).where(table.record_id.in_(record_ids)).order_by(table.id)):
            rows.setdefault(row.record_id, []).append({c.name: getattr(row, c.key) for c in columns})
        for record_id, found in rows.items():
            out.setdefault(record_id, []).append((table.__tablename__, tuple(found)))
    return out


def count_images(folder: DataFolder, record_ids: Iterable[int]) -> int:
    """How many imported DICOM images the records hold (what deleting them takes along)."""
    from secondopinion_desktop.core.models import ImagingFile

    ids = sorted(set(record_ids))
    if not ids:
        return 0
    with folder.session() as session:
        return int(session.scalar(
            select(func.count()).select_from(ImagingFile).where(ImagingFile.record_id.in_(ids))) or 0)


def record_digests(data: RecordData) -> set[str]:
    """Every vault file a record (snapshot) refers to: attachments and imported DICOM files."""
    return {a.sha256 for a in data.attachments} | {str(row["sha256"]) for row in data.imaging_files}


def purge_unused_files(folder: DataFolder, digests: Iterable[str]) -> list[str]:
    """Remove those of ``digests`` that no committed row refers to any more and no operation in flight claims;
    returns the removed ones."""
    return [sha for sha in sorted(set(digests)) if _remove_if_unused(folder, sha)]


def restore_record(folder: DataFolder, data: RecordData) -> RecordData:
    """Put back a deleted record exactly as it was (same id, attachments and timestamps).

    The attachments' vault files must still be there (see ``delete_record(keep_files=True)``). They are claimed
    before that is checked and until the rows are committed, so no purge in flight removes them in between.
    """
    with folder.vault.claim(record_digests(data)) as claim:
        try:
            return _restore_record(folder, data)
        except BaseException:
            _roll_back_files(folder, claim, ())  # what a purge left to this claim goes now, if nothing uses it
            raise


def restore_records(folder: DataFolder, snapshots: Iterable[RecordData]) -> list[RecordData]:
    """``restore_record`` for several records in one transaction: every one of them comes back, or (when one
    cannot) none does. For undoing an import or a drop of many files at once."""
    items = list(snapshots)
    digests = set().union(*(record_digests(data) for data in items)) if items else set()
    with folder.vault.claim(digests) as claim:
        try:
            with folder.session() as session:
                return _restore_all(session, folder, items)
        except BaseException:
            _roll_back_files(folder, claim, ())
            raise


def _restore_all(session: Session, folder: DataFolder, items: list[RecordData]) -> list[RecordData]:
    """The records of ``items`` back in ``session``: rows written together (not one record at a time), then read
    back in one query."""
    from secondopinion_desktop.core.models import ImagingFile

    for data in items:
        missing = [a.original_name for a in data.attachments if not folder.vault.exists(a.sha256)]
        missing += [str(row["relative_path"]) for row in data.imaging_files
                    if not folder.vault.exists(row["sha256"])]
        if missing:
            raise NotFoundError(f"Cannot bring the record back: the file {missing[0]} is no longer stored.")
    ids = [data.id for data in items]
    there = set(session.scalars(select(Record.id).where(Record.id.in_(ids)))) if ids else set()
    if there:
        raise ValidationError(f"Record {min(there)} exists already.")
    for data in items:
        record = Record(id=data.id, kind=data.kind, title=data.title, status=data.status)
        with session.no_autoflush:
            _apply(session, record, record_fields(data))
        record.created_at, record.updated_at = data.created_at, data.updated_at
        session.add(record)
        for a in data.attachments:
            session.add(Attachment(
                id=a.id, record_id=data.id, original_name=a.original_name, media_type=a.media_type, size=a.size,
                sha256=a.sha256, added_at=a.added_at,
            ))
    session.flush()
    imaging = [dict(row) for data in items for row in data.imaging_files]
    if imaging:
        session.execute(ImagingFile.__table__.insert(), imaging)
    tables = {table.__tablename__: table for table in _imported_tables()}
    rows: dict[str, list[dict[str, Any]]] = {}
    for data in items:
        for name, table_rows in data.imported_rows:
            rows.setdefault(name, []).extend(dict(row) for row in table_rows)
    for name, values in rows.items():
        session.execute(tables[name].__table__.insert(), values)
    for data in items:
        _link_again(session, data)
    session.flush()
    session.expire_all()
    loaded = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(ids))
                                                 .options(selectinload(Record.attachments)))}
    return [record_data(loaded[record_id]) for record_id in ids]


def _restore_record(folder: DataFolder, data: RecordData) -> RecordData:
    with folder.session() as session:
        return _restore_into(session, folder, data)


def _restore_into(session: Session, folder: DataFolder, data: RecordData) -> RecordData:
    missing = [a.original_name for a in data.attachments if not folder.vault.exists(a.sha256)]
    missing += [str(row["relative_path"]) for row in data.imaging_files if not folder.vault.exists(row["sha256"])]
    if missing:
        raise NotFoundError(f"Cannot bring the record back: the file {missing[0]} is no longer stored.")
    if session.get(Record, data.id) is not None:
        raise ValidationError(f"Record {data.id} exists already.")
    record = Record(id=data.id, kind=data.kind, title=data.title, status=data.status)
    _apply(session, record, record_fields(data))
    record.created_at, record.updated_at = data.created_at, data.updated_at
    session.add(record)
    session.flush()
    for a in data.attachments:
        session.add(Attachment(
            id=a.id, record_id=data.id, original_name=a.original_name, media_type=a.media_type, size=a.size,
            sha256=a.sha256, added_at=a.added_at,
        ))
    if data.imaging_files:
        from secondopinion_desktop.core.models import ImagingFile

        session.execute(ImagingFile.__table__.insert(), [dict(row) for row in data.imaging_files])
    tables = {table.__tablename__: table for table in _imported_tables()}
    for name, rows in data.imported_rows:
        session.execute(tables[name].__table__.insert(), [dict(row) for row in rows])
    _link_again(session, data)
    session.flush()
    session.refresh(record)
    return record_data(_load(session, data.id))


def _link_again(session: Session, data: RecordData) -> None:
    """Link a restored record to the requests and shipments it had (those that still exist)."""
    from secondopinion_desktop.core.models import MaterialShipment, RecordsRequest, RequestRecord

    for request_id in data.request_ids:
        if session.get(RecordsRequest, request_id) is not None:
            session.add(RequestRecord(request_id=request_id, record_id=data.id))
    for shipment_id in data.shipment_ids:
        shipment = session.get(MaterialShipment, shipment_id)
        if shipment is not None and shipment.record_id is None:
            shipment.record_id = data.id


def record_fields(data: RecordData) -> dict[str, Any]:
    """The editable fields of a record, as ``update_record`` takes them (for edits and their undo)."""
    fields: dict[str, Any] = {
        "kind": data.kind, "title": data.title, "date_of_service": data.date_of_service,
        "facility_id": data.facility_id, "clinician_id": data.clinician_id, "status": data.status,
        "requested_on": data.requested_on, "received_on": data.received_on, "sent_on": data.sent_on,
        "summary": data.summary, "notes": data.notes,
    }
    if data.kind is RecordKind.IMAGING:
        fields.update({k: getattr(data, k) for k in IMAGING_FIELDS})
    if data.kind is RecordKind.PATHOLOGY:
        fields.update({k: getattr(data, k) for k in PATHOLOGY_FIELDS})
    return fields


def attachment_path(folder: DataFolder, attachment: AttachmentData) -> Path | None:
    """Where the attachment's bytes are, or None when the vault file is missing or has been replaced by a link
    (in an encrypted folder: a private plain copy, or None when the file is damaged too).

    Reading the bytes for output goes through ``folder.vault.open_verified(sha256)`` instead (no link followed,
    content checked against its SHA-256 through the same open file).
    """
    if not folder.vault.exists(attachment.sha256):
        return None
    if not folder.vault.sealed:
        return folder.vault.path_for(attachment.sha256)
    from secondopinion_desktop.core.errors import VaultError

    try:  # an encrypted folder's file is read through a private plain copy (removed when the folder closes)
        return folder.vault.plain_path(attachment.sha256)
    except VaultError:
        return None


def safe_file_name(name: str) -> str:
    """A file name safe to create: no folders, no control characters, not too long (suffix kept)."""
    cleaned = "".join("_" if c in '/\\\x00' or ord(c) < 32 else c for c in name).strip(" .") or "file"
    if len(cleaned.encode()) > 200:
        suffix = Path(cleaned).suffix[:20]
        stem = cleaned[: len(cleaned) - len(suffix)]
        while len((stem + suffix).encode()) > 200:
            stem = stem[:-1]
        cleaned = stem + suffix
    return cleaned


def _copy_checked(src: Any, dst: Any, sha256: str, shown: str) -> None:
    """Copy the open stored file ``src`` to ``dst``, hashing on the way: a stored copy whose content no longer
    matches its SHA-256 raises VaultDamaged (the caller then leaves nothing behind). A read failure is a
    VaultError, so that only a failure to write reaches the caller as an OSError."""
    import hashlib

    from secondopinion_desktop.core.errors import VaultError
    from secondopinion_desktop.core.vault import CHUNK_SIZE, VaultDamaged

    digest = hashlib.sha256()
    while True:
        try:
            chunk = src.read(CHUNK_SIZE)
        except OSError as exc:
            raise VaultError(f"The stored copy of {shown} cannot be read: {exc.strerror or exc}.") from exc
        if not chunk:
            break
        digest.update(chunk)
        dst.write(chunk)
    if digest.hexdigest() != sha256:
        raise VaultDamaged(sha256, f"The stored copy of {shown} is damaged: its content no longer matches the "
                                   "SHA-256 it was stored with.")


def save_attachment_copy(folder: DataFolder, attachment: AttachmentData, out: Path) -> Path:
    """Save a copy of the stored file at ``out`` (already checked by ``outputs.check_output``): checked against
    its SHA-256 while it is copied, whole or not at all. A write failure arrives as OSError."""
    from secondopinion_desktop.core.fsutil import write_atomically

    shown = attachment.original_name
    with folder.vault.open(attachment.sha256) as src:  # never through a link
        write_atomically(out, lambda dst: _copy_checked(src, dst, attachment.sha256, shown))
    return out


def viewing_copy(folder: DataFolder, attachment: AttachmentData, place: Path) -> Path:
    """A read-only private copy of the stored file under its own name inside ``place`` (a private scratch
    folder), for the system's viewer; made once, checked against its SHA-256 on the way."""
    from secondopinion_desktop.core.fsutil import write_atomically

    target = place / str(attachment.id) / safe_file_name(attachment.original_name)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    if not target.exists():
        with folder.vault.open_verified(attachment.sha256) as src:
            write_atomically(target, lambda dst: _copy_stream(src, dst))
        target.chmod(0o400)
    return target


def _copy_stream(src: Any, dst: Any) -> None:
    import shutil

    shutil.copyfileobj(src, dst, 1 << 20)
