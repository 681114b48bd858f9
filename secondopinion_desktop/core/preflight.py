"""The pre-flight check: everything the readiness rules look at beyond the records, read once into :class:`Facts`.

``preflight(folder)`` and ``core.readiness.whats_missing(folder)`` return the same findings from the same rules
(``core.readiness.find_missing`` with the facts): Still missing, Help → Check my packet…, the packet dialog and
``secondopinion preflight`` all show one list.

What the facts hold, besides the records, the profile and the requests desk:

- whether there is a structured medication list (``core.health.has_medication_list``) and the newest lab
  result's date;
- each document's identity problems: the names and dates of birth its text states that are not the profile's
  (``core.documents.identity``, stored when the document was read);
- whom each imported download says it is about (``RecordSource.patient_name`` / ``patient_birth_date``);
- whom each imported DICOM study is of: the import keeps only the images, so one header per study is read from
  the vault (the name and date of birth only; each file is read once per run of the app, then remembered by its
  SHA-256, which never changes);
- the language of each document's text (``core.language``), remembered the same way;
- how many pages each file has, and the records with imported DICOM images;
- the freshness setting ``preflight.fresh_weeks`` (``core.settings``);
- each appointment's list of what its receiving center asks for (``core.opinions.list_requirements``), with the
  records each item is linked to.

Nothing here writes; nothing here logs a name, a title or a file name.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.profile import ProfileData, get_profile
from secondopinion_desktop.core.records import RecordData, list_records
from secondopinion_desktop.core.settings import DEFAULT_FRESH_WEEKS, FRESH_WEEKS

if TYPE_CHECKING:
    from secondopinion_desktop.core.appointments import AppointmentData
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.documents.identity import IdentityProblem
    from secondopinion_desktop.core.opinions import RequirementData
    from secondopinion_desktop.core.readiness import Desk, Finding
    from secondopinion_desktop.core.vault import Vault

LANGUAGE_PAGES = 3  # of a document, the first pages are enough to tell its language


@dataclass(frozen=True)
class PersonNamed:
    """Whom an imported download or an imaging study says it is about (as written), and where."""

    record_id: int
    name: str
    birth_date: dt.date | None
    source: str = ""  # the download's file name, or the study's description


@dataclass(frozen=True)
class Facts:
    """What the readiness rules read, read once (see the module's docstring)."""

    records: tuple[RecordData, ...]
    profile: ProfileData
    desk: Desk
    has_medication_list: bool = False
    fresh_weeks: int = DEFAULT_FRESH_WEEKS
    latest_lab_result: dt.date | None = None
    identity: Mapping[int, tuple[IdentityProblem, ...]] = field(default_factory=dict)  # record id → problems
    downloads: tuple[PersonNamed, ...] = ()
    studies: tuple[PersonNamed, ...] = ()
    dicom_records: frozenset[int] = frozenset()  # records with imported DICOM images
    pages: Mapping[str, int] = field(default_factory=dict)  # file SHA-256 → its pages (files read so far)
    languages: Mapping[int, tuple[tuple[int, str], ...]] = field(default_factory=dict)  # record → (file id, name)
    #: (appointment, item) of every appointment's list of what its center asks for (``core.opinions``), by
    #: appointment then position; the rule keeps those of appointments still to come.
    requirements: tuple[tuple[AppointmentData, RequirementData], ...] = ()

    @property
    def fresh_days(self) -> int:
        return 7 * self.fresh_weeks


# --- what is remembered between runs of the check (by SHA-256: a stored file never changes) ---------------------

_lock = threading.Lock()
_languages: dict[tuple[str, int], str] = {}
_headers: dict[str, tuple[str, dt.date | None]] = {}


def _vault_of(session: Session) -> Vault | None:
    """The vault beside the database this session reads (``<folder>/vault``, with an encrypted folder's keys)."""
    from secondopinion_desktop.core.db import vault_of

    return vault_of(session)


def _fresh_weeks(session: Session) -> int:
    from secondopinion_desktop.core.settings import get_setting

    return int(get_setting(session, FRESH_WEEKS))


def _downloads(session: Session) -> tuple[PersonNamed, ...]:
    from secondopinion_desktop.core.models import RecordSource

    rows = session.execute(
        select(RecordSource.record_id, RecordSource.patient_name, RecordSource.patient_birth_date,
               RecordSource.source_name)
        .where((RecordSource.patient_name != "") | (RecordSource.patient_birth_date.is_not(None)))
        .order_by(RecordSource.record_id, RecordSource.id)).all()
    seen: set[tuple[int, str, dt.date | None]] = set()
    out: list[PersonNamed] = []
    for record_id, name, born, source in rows:
        key = (int(record_id), name or "", born)
        if key not in seen:
            seen.add(key)
            out.append(PersonNamed(int(record_id), name or "", born, source or ""))
    return tuple(out)


_HEAD_BYTES = 256 * 1024  # the patient module comes early: in this much of the file, or pydicom reads it
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
_CHARSETS = {"": "ascii", "ISO_IR 6": "ascii", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}


class _NotSimple(Exception):
    """The header is not one the quick reader follows: pydicom reads it instead."""


def _skip_items(data: bytes, at: int, explicit: bool) -> int:
    """Past an undefined-length sequence starting at ``at``: its items, to the sequence delimiter."""
    import struct

    while True:
        if at + 8 > len(data):
            raise _NotSimple
        group, element, length = struct.unpack_from("<HHI", data, at)
        at += 8
        if (group, element) == (0xFFFE, 0xE0DD):
            return at
        if (group, element) != (0xFFFE, 0xE000):
            raise _NotSimple
        if length != 0xFFFFFFFF:
            at += length
            continue
        at = _walk(data, at, explicit, None, until_item_end=True)


def _walk(data: bytes, at: int, explicit: bool, found: dict[int, bytes] | None, *,
          until_item_end: bool = False) -> int:
    """Read elements from ``at``; into ``found`` the values of the tags wanted (group 0008's character set and
    group 0010's name and birth date), stopping past group 0010 (or at an item's end)."""
    import struct

    while at + 8 <= len(data):
        group, element = struct.unpack_from("<HH", data, at)
        if until_item_end and (group, element) == (0xFFFE, 0xE00D):
            return at + 8
        if found is not None and group > 0x0010:
            return at
        if explicit:
            vr = data[at + 4:at + 6]
            if vr in _LONG_VRS:
                if at + 12 > len(data):
                    raise _NotSimple
                (length,) = struct.unpack_from("<I", data, at + 8)
                at += 12
            else:
                (length,) = struct.unpack_from("<H", data, at + 6)
                at += 8
        else:
            vr = b""
            (length,) = struct.unpack_from("<I", data, at + 4)
            at += 8
        if length == 0xFFFFFFFF:
            if explicit and vr not in (b"SQ",):
                raise _NotSimple  # undefined-length UN or OB: implicit inside, or pixel data
            at = _skip_items(data, at, explicit)
            continue
        if found is not None and (group, element) in ((0x0008, 0x0005), (0x0010, 0x0010), (0x0010, 0x0030)):
            found[(group << 16) | element] = data[at:at + length]
        at += length
    if until_item_end or found is None:
        raise _NotSimple
    return at


def quick_patient(data: bytes) -> tuple[str, str] | None:
    """The raw PatientName and PatientBirthDate of a DICOM file's first bytes, without pydicom (which takes about
    a second to import); None when the header is not a plain little-endian one this reader follows."""
    import struct

    try:
        if data[128:132] != b"DICM":
            return None
        at = 132
        syntax = ""
        while at + 8 <= len(data):  # the file meta group: explicit VR little endian
            group, element = struct.unpack_from("<HH", data, at)
            if group != 0x0002:
                break
            vr = data[at + 4:at + 6]
            if vr in _LONG_VRS:
                (length,) = struct.unpack_from("<I", data, at + 8)
                at += 12
            else:
                (length,) = struct.unpack_from("<H", data, at + 6)
                at += 8
            if element == 0x0010:
                syntax = data[at:at + length].decode("ascii").strip("\x00 ")
            at += length
        if syntax not in (_EXPLICIT_LE, _IMPLICIT_LE):
            return None
        found: dict[int, bytes] = {}
        _walk(data, at, syntax == _EXPLICIT_LE, found)
        charset = found.get(0x00080005, b"").decode("ascii").split("\\")[0].strip("\x00 ")
        if charset not in _CHARSETS:
            return None
        encoding = _CHARSETS[charset]
        name = found.get(0x00100010, b"").decode(encoding).split("\\")[0].strip("\x00 ")
        born = found.get(0x00100030, b"").decode("ascii").strip("\x00 ")
        return name, born
    except (_NotSimple, struct.error, UnicodeDecodeError):
        return None


def read_study_patient(vault: Vault, sha256: str) -> tuple[str, dt.date | None]:
    """The patient name (as people write it) and birth date in one stored DICOM file's header; ("", None) when
    it cannot be read. Remembered by SHA-256. A plain header is read directly; any other by pydicom."""
    with _lock:
        if sha256 in _headers:
            return _headers[sha256]
    from secondopinion_desktop.core.imaging.scan import parse_da, person_name

    name, born = "", None
    try:
        with vault.open(sha256) as fh:
            quick = quick_patient(fh.read(_HEAD_BYTES))
            if quick is None:
                from pydicom import dcmread

                fh.seek(0)
                ds = dcmread(fh, stop_before_pixels=True, specific_tags=["PatientName", "PatientBirthDate"])
                quick = (str(ds.get("PatientName", "") or ""), str(ds.get("PatientBirthDate", "") or ""))
        name, born = person_name(quick[0]), parse_da(quick[1])
    except Exception:  # noqa: BLE001 - a file that cannot be read names nobody; the check goes on
        name, born = "", None
    with _lock:
        _headers[sha256] = (name, born)
    return name, born


def _studies(session: Session, vault: Vault | None) -> tuple[tuple[PersonNamed, ...], frozenset[int]]:
    """One header per imported study (its first stored file), and the records with DICOM images."""
    from secondopinion_desktop.core.models import ImagingFile

    rows = session.execute(
        select(ImagingFile.record_id, ImagingFile.study_uid, func.min(ImagingFile.id))
        .group_by(ImagingFile.record_id, ImagingFile.study_uid)
        .order_by(ImagingFile.record_id, ImagingFile.study_uid)).all()
    records = frozenset(int(r[0]) for r in rows)
    if vault is None or not rows:
        return (), records
    first = {int(i): sha for i, sha in session.execute(
        select(ImagingFile.id, ImagingFile.sha256).where(ImagingFile.id.in_([r[2] for r in rows]))).all()}
    out: list[PersonNamed] = []
    for record_id, _study, file_id in rows:
        name, born = read_study_patient(vault, first[int(file_id)])
        if name or born:
            out.append(PersonNamed(int(record_id), name, born))
    return tuple(out), records


def _pages(session: Session) -> dict[str, int]:
    from secondopinion_desktop.core.models import DocumentText

    return {sha: int(pages or 0) for sha, pages in session.execute(
        select(DocumentText.sha256, DocumentText.pages).where(DocumentText.state == "read")).all()}


def _languages_of(session: Session, records: tuple[RecordData, ...], pages: Mapping[str, int]
                  ) -> dict[int, tuple[tuple[int, str], ...]]:
    """Each record's files whose text is not in English: (file id, language name)."""
    from secondopinion_desktop.core.language import language_of
    from secondopinion_desktop.core.models import DocumentPage

    found: dict[str, str] = {}
    for sha, count in pages.items():
        with _lock:
            known = _languages.get((sha, count))
        if known is None:
            texts = session.scalars(
                select(DocumentPage.text).where(DocumentPage.sha256 == sha)
                .order_by(DocumentPage.page).limit(LANGUAGE_PAGES)).all()
            known = language_of("\n".join(t or "" for t in texts)) if texts else ""
            with _lock:
                _languages[(sha, count)] = known
        if known:
            found[sha] = known
    out: dict[int, tuple[tuple[int, str], ...]] = {}
    for r in records:
        langs = tuple((a.id, found[a.sha256]) for a in r.attachments if a.sha256 in found)
        if langs:
            out[r.id] = langs
    return out


def _latest_lab(session: Session) -> dt.date | None:
    from secondopinion_desktop.core.models import LabResultRow

    value = session.scalar(select(func.max(LabResultRow.observed_on)))
    return value if isinstance(value, dt.date) else None


def _requirements(session: Session, desk: Desk) -> tuple[tuple[AppointmentData, RequirementData], ...]:
    """Every appointment's list of what its center asks for, with its appointment (one query)."""
    from secondopinion_desktop.core.opinions import list_requirements

    appointments = {a.id: a for a in desk.appointments}
    return tuple((appointments[r.appointment_id], r) for r in list_requirements(session)
                 if r.appointment_id in appointments)


def read_facts(session: Session, vault: Vault | None = None, *, desk: Desk | None = None) -> Facts:
    """Everything the rules read, in ``session``'s transaction; DICOM headers from ``vault`` (by default the
    one beside the database)."""
    from secondopinion_desktop.core.documents.identity import problems_by_record
    from secondopinion_desktop.core.health import has_medication_list
    from secondopinion_desktop.core.readiness import read_desk

    records = tuple(list_records(session))
    desk = desk if desk is not None else read_desk(session)
    pages = _pages(session)
    studies, dicom = _studies(session, vault if vault is not None else _vault_of(session))
    return Facts(
        records=records,
        profile=get_profile(session),
        desk=desk,
        has_medication_list=has_medication_list(session),
        fresh_weeks=_fresh_weeks(session),
        latest_lab_result=_latest_lab(session),
        identity={rid: tuple(ps) for rid, ps in problems_by_record(session).items()},
        downloads=_downloads(session),
        studies=studies,
        dicom_records=dicom,
        pages=pages,
        languages=_languages_of(session, records, pages),
        requirements=_requirements(session, desk),
    )


def preflight(target: Session | DataFolder, today: dt.date | None = None) -> list[Finding]:
    """The pre-flight findings for ``target`` (a session, or the data folder: read in a transaction of its own)
    as of ``today`` (the real today if None): the same as ``core.readiness.whats_missing``."""
    from secondopinion_desktop.core.readiness import whats_missing

    return whats_missing(target, today)


def fresh_weeks(target: Session | DataFolder) -> int:
    """How many weeks old the latest imaging and labs may be before the check says so."""
    from secondopinion_desktop.core.settings import get_setting

    return int(get_setting(target, FRESH_WEEKS))
