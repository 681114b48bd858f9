"""What every portal reader returns: plain frozen dataclasses, the same for C-CDA, FHIR and Apple Health.

A reader turns one file into one or more ``Document``s. A document becomes a record of its own kind (a
continuity-of-care document is a clinical record, a pathology report document a pathology record) with the
original file attached; each of its ``Report``s becomes a record too (a lab panel on a day, a diagnostic report,
an attached PDF). Results belong to a report; medications, allergies and problems to the document.

Times are kept as precise as the source gives them, as ISO 8601 text (``"2024"``, ``"2024-03"``,
``"2024-03-12"``, ``"2024-03-12T10:05"``): ``day_of`` gives the calendar day when the text names one.
``position`` says where in its file an item was (``"section Results, organizer 2, observation 3"``,
``"entry 12 (Observation)"``), so the patient can see where a value came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# --- time -----------------------------------------------------------------------------------------------------

_HL7_TIME = re.compile(
    r"^\s*(\d{4})(?:-?(\d{2})(?:-?(\d{2})(?:[T ]?(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)


def iso_time(value: str | None) -> str:
    """HL7 v3 (``20240312100500-0500``) or ISO 8601 (``2024-03-12T10:05:00Z``) time as ISO text as precise as
    given, without seconds or zone (``"2024-03-12T10:05"``); ``""`` when it is not a time."""
    if not value:
        return ""
    m = _HL7_TIME.match(value)
    if not m:
        return ""
    year, month, day, hour, minute, _second, _zone = m.groups()
    try:
        if month is None:
            return year if 1800 <= int(year) <= 2200 else ""
        if day is None:
            dt.date(int(year), int(month), 1)
            return f"{year}-{month}"
        dt.date(int(year), int(month), int(day))
        if hour is None:
            return f"{year}-{month}-{day}"
        if int(hour) > 23 or (minute is not None and int(minute) > 59):
            return f"{year}-{month}-{day}"
        return f"{year}-{month}-{day}T{hour}:{minute or '00'}"
    except ValueError:
        return ""


def day_of(text: str) -> dt.date | None:
    """The calendar day an ISO text (from ``iso_time``) names, or None when it names only a year or month."""
    if len(text) < 10:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


# --- the pieces -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    """The patient a document is about (C-CDA recordTarget, FHIR Patient, Apple Health's owner)."""

    name: str = ""  # "Alex Sample" (given names then family name)
    birth_date: dt.date | None = None
    identifiers: tuple[str, ...] = ()  # medical record numbers as written ("MRN 12345 (Example Hospital)")
    sex: str = ""

    @property
    def named(self) -> bool:
        return bool(self.name.strip() or self.birth_date)


@dataclass(frozen=True)
class Skipped:
    """Something a reader could not use, and why (one plain sentence, no traceback)."""

    source: str  # the file, as named inside what was opened
    where: str  # "section Medications, entry 3", "entry 12 (Coverage)", "" for the whole file
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.source, "where": self.where, "reason": self.reason}


@dataclass(frozen=True)
class LabResult:
    test: str  # the name as the source gives it ("Hemoglobin")
    loinc: str = ""  # LOINC code when coded with LOINC ("718-7")
    value: str = ""  # as written: "13.2", "Positive", "<0.01"
    number: float | None = None  # the value when it is a plain number
    unit: str = ""
    reference_range: str = ""  # "12.0-15.5 g/dL", "Negative"
    flag: str = ""  # interpretation as a word: "High", "Low", "Abnormal", "Critical high", "Normal"…
    when: str = ""  # ISO text (see the module docstring)
    panel: str = ""  # the organizer / DiagnosticReport it came in ("Complete blood count")
    status: str = ""  # "final", "preliminary", "corrected"…
    position: str = ""


ResultKey = tuple[str, str, str, str, str]


def result_key(result: LabResult, when: str = "", panel: str = "") -> ResultKey | None:
    """Two results with the same key are the same result (downloads visit by visit repeat them): the same test
    (its LOINC code, or its name within its panel), the same time, value and unit. ``when`` and ``panel`` are
    the report's, for a result that gives none of its own (the importer stores them so). A result with no time
    at all is never taken for another: the same value months apart would be."""
    at = result.when or when
    if not at:
        return None
    test = result.loinc or " ".join((result.test or "Result").split()).casefold()
    group = "" if result.loinc else " ".join((result.panel or panel).split()).casefold()
    return (test, group, at, " ".join(result.value.split()).casefold(), result.unit.strip())


@dataclass(frozen=True)
class Medication:
    name: str
    code: str = ""  # RxNorm or other code as "system|code" is not needed: the code alone
    dose: str = ""  # "500 mg"
    route: str = ""
    frequency: str = ""  # "twice a day", "every 12 hours"
    instructions: str = ""
    status: str = ""  # "active", "completed", "stopped"…
    start: str = ""  # ISO text
    end: str = ""
    position: str = ""

    def key(self) -> tuple[str, str, str]:
        return (" ".join(self.name.split()).casefold(), self.dose.strip().casefold(), self.start)


@dataclass(frozen=True)
class Allergy:
    substance: str
    code: str = ""
    reaction: str = ""  # "Hives; shortness of breath"
    severity: str = ""
    status: str = ""
    onset: str = ""
    position: str = ""

    def key(self) -> tuple[str, str]:
        return (" ".join(self.substance.split()).casefold(), self.reaction.strip().casefold())


@dataclass(frozen=True)
class Problem:
    name: str  # "Malignant neoplasm of upper-outer quadrant of left female breast"
    code: str = ""  # SNOMED CT or ICD-10 code
    code_system: str = ""  # "SNOMED CT", "ICD-10-CM"
    status: str = ""  # "active", "resolved"…
    onset: str = ""  # ISO text
    resolved: str = ""
    stage: str = ""  # "Stage IIA", "T2 N0 M0" when the source gives one
    position: str = ""

    def key(self) -> tuple[str, str]:
        return ((self.code or " ".join(self.name.split()).casefold()), self.onset)


@dataclass(frozen=True)
class Block:
    """A piece of readable text: a paragraph, a list or a table (``rows[0]`` is the header row when
    ``header``). Plain text only: any markup in a document arrives here as the characters it was."""

    kind: str  # "paragraph", "list", "table"
    text: str = ""  # a paragraph's text
    items: tuple[str, ...] = ()  # a list's items
    rows: tuple[tuple[str, ...], ...] = ()  # a table's rows
    header: bool = True


@dataclass(frozen=True)
class Section:
    title: str
    code: str = ""  # the section's LOINC code ("30954-2" results)
    blocks: tuple[Block, ...] = ()
    subsections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Embedded:
    """A file carried inside a document (a C-CDA nonXMLBody, a FHIR presentedForm or DocumentReference with
    inline data, an Apple Health clinical-record JSON): stored in the vault and attached to its record."""

    name: str  # a file name to show and save as ("Pathology report.pdf")
    media_type: str
    data: bytes
    position: str = ""


@dataclass(frozen=True)
class Link:
    """An attachment given only by address: listed for the patient, never fetched."""

    description: str
    url: str
    position: str = ""


@dataclass(frozen=True)
class Report:
    """Something in a document that becomes a record of its own: a lab panel on a day, a diagnostic report,
    an attached document."""

    kind: str  # a RecordKind value: "lab", "imaging", "pathology", "molecular", "clinical", "other"
    title: str
    when: str = ""  # ISO text
    facility: str = ""
    clinician: str = ""
    results: tuple[LabResult, ...] = ()
    files: tuple[Embedded, ...] = ()
    links: tuple[Link, ...] = ()
    text: str = ""  # a conclusion or the report's text, plain
    study_uid: str = ""  # an ImagingStudy's Study Instance UID, to link an imported DICOM study
    accession_number: str = ""
    modality: str = ""
    body_site: str = ""
    position: str = ""


@dataclass(frozen=True)
class Document:
    """One source document: a C-CDA document, a FHIR bundle, resource or NDJSON file, an Apple Health export."""

    source: str  # the file as named inside what was opened: "IHE_XDM/SUBSET01/DOC0001.XML", "bundle.json"
    format: str  # "C-CDA", "FHIR R4", "FHIR DSTU2", "Apple Health"
    kind: str  # the RecordKind value of the document's own record
    title: str  # "Continuity of Care Document", "Discharge summary"
    type_code: str = ""  # the document type's LOINC code ("34133-9")
    when: str = ""  # ISO text: the document's effective time
    facility: str = ""  # custodian (C-CDA) or the main Organization (FHIR)
    clinician: str = ""  # the author, "Dana Jones, MD"
    patient: Patient | None = None
    sections: tuple[Section, ...] = ()
    reports: tuple[Report, ...] = ()
    medications: tuple[Medication, ...] = ()
    allergies: tuple[Allergy, ...] = ()
    problems: tuple[Problem, ...] = ()
    files: tuple[Embedded, ...] = ()  # carried by the document itself (nonXMLBody)
    links: tuple[Link, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    original: bytes | None = None  # the file's own bytes, attached to the document's record; None: nothing to keep
    original_name: str = ""  # "DOC0001.XML"
    original_media_type: str = "application/xml"
    own_record: bool = True  # False: only the reports become records (an Apple Health export, an NDJSON file)
    study_uid: str = ""  # an imaging report document's Study Instance UID, to link an imported DICOM study
    accession_number: str = ""  # the order it fulfils (an imaging or pathology accession number)
    # fields proposed from a loose PDF's own text, each with where it came from: (field, why)
    suggested: tuple[tuple[str, str], ...] = ()

    def digest(self) -> str:
        """The same document text gives the same digest, whatever ids and times its file carries: downloads
        visit by visit repeat whole documents."""
        body = json.dumps(
            [self.format, self.title, self.when, sections_to_json(self.sections),
             [asdict(r) | {"files": [hashlib.sha256(f.data).hexdigest() for f in r.files]} for r in self.reports],
             [asdict(m) for m in self.medications], [asdict(a) for a in self.allergies],
             [asdict(p) for p in self.problems], [hashlib.sha256(f.data).hexdigest() for f in self.files]],
            sort_keys=True, default=str,
        )
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReadResult:
    """What a reader gives back for one file: its documents and what it skipped."""

    documents: tuple[Document, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    # people a file names without anything else to read (a FHIR export's Patient.json beside Condition.json)
    patients: tuple[Patient, ...] = ()


# --- sections as JSON (kept with the record for the readable view) --------------------------------------------


def sections_to_json(sections: Iterable[Section]) -> list[dict[str, Any]]:
    return [
        {"title": s.title, "code": s.code,
         "blocks": [{"kind": b.kind, "text": b.text, "items": list(b.items), "rows": [list(r) for r in b.rows],
                     "header": b.header} for b in s.blocks],
         "subsections": sections_to_json(s.subsections)}
        for s in sections
    ]


def sections_from_json(value: Any, depth: int = 0) -> tuple[Section, ...]:
    """The sections ``sections_to_json`` wrote; anything malformed is left out, never raised."""
    if not isinstance(value, list) or depth > 20:
        return ()
    out: list[Section] = []
    for item in value:
        if not isinstance(item, dict):
            continue
        blocks = []
        for b in item.get("blocks") or ():
            if isinstance(b, dict) and b.get("kind") in ("paragraph", "list", "table"):
                blocks.append(Block(
                    kind=b["kind"], text=str(b.get("text") or ""),
                    items=tuple(str(i) for i in b.get("items") or ()),
                    rows=tuple(tuple(str(c) for c in r) for r in b.get("rows") or () if isinstance(r, list)),
                    header=bool(b.get("header", True)),
                ))
        out.append(Section(title=str(item.get("title") or ""), code=str(item.get("code") or ""),
                           blocks=tuple(blocks), subsections=sections_from_json(item.get("subsections"), depth + 1)))
    return tuple(out)


def plain(text: str | None) -> str:
    """Text with its runs of white space made one space."""
    return " ".join((text or "").split())


# Record kinds a reader may give (RecordKind values; the importer checks them again).
KINDS = ("lab", "imaging", "pathology", "molecular", "clinical", "treatment", "identity", "other")


_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")  # "1,200" or "12,500.5": commas group thousands


def number_of(value: str) -> float | None:
    """The value as a number when it is a plain one ("13.2", "-1", "1e3", "1,200"), else None ("<0.01",
    "Positive", and "0,8": a decimal comma is not guessed at, it would be read ten times too large)."""
    text = value.strip()
    if _GROUPED.match(text):
        text = text.replace(",", "")
    elif not _PLAIN_NUMBER.match(text):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


__all__ = [
    "KINDS", "Allergy", "Block", "Document", "Embedded", "LabResult", "Link", "Medication", "Patient", "Problem",
    "ReadResult", "Report", "ResultKey", "Section", "Skipped", "day_of", "iso_time", "number_of", "plain",
    "result_key", "sections_from_json",
    "sections_to_json",
]
