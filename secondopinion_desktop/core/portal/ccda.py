"""Reading C-CDA R2.x documents (HL7 Clinical Document Architecture with the Consolidated templates):
continuity-of-care documents, discharge summaries, progress and consultation notes, history and physical,
imaging and pathology report documents, and unstructured documents (a ``nonXMLBody`` carrying a PDF or image).

What is read, and where it goes:

- header: ``recordTarget/patientRole`` -> ``Patient`` (name, birth date, identifiers other than a social
  security number, sex); the custodian's organization (else the author's, the service event performer's, the
  encounter's facility) -> facility; the author's person (else the service event performer, the encounter's
  participant, the legal authenticator) -> clinician; ``code`` -> document type and title (the document's own
  ``<title>`` when it has one); ``effectiveTime`` -> the document's time. A pathology report document becomes a
  pathology record, an imaging report an imaging record, every other one a clinical record.
- every section (found by templateId, any version, or by its LOINC code) -> a ``Section`` of readable text from
  its narrative (paragraphs, lists, tables; plain text only, nothing in it run or fetched; text marked deleted
  left out), nested sections as subsections;
- results sections -> one lab ``Report`` per organizer and day, observations outside organizers grouped per day
  ("Test results"); a results section with no (or only empty) entries but a narrative table -> its rows as
  results, columns matched by their header words; vital signs organizers -> lab reports too;
- medications (discharge and admission medications too), allergies and problems (discharge, admission and past
  diagnoses too) -> ``Medication``, ``Allergy``, ``Problem`` (a cancer stage when a related observation carries
  one);
- procedures, encounters, plan of treatment, notes and everything else -> sections only;
- ``nonXMLBody`` -> the file it carries (``Embedded``), a ``Link`` when it only names an address, a section when
  it is plain text; files carried in entries (an image, a note sent as base64 RTF) -> ``Embedded`` too.

A ``nullFlavor`` means "absent" everywhere. One entry that cannot be read is one ``Skipped`` in the document's
``skipped`` (with where it was and why). Hostile input (entities, a file too large) is ``safety.Refused``; a
file that is broken or not a clinical document is ``safety.Unreadable``.
"""
from __future__ import annotations

import dataclasses
import functools
import re
import zlib
from collections.abc import Iterable
from typing import Any

from secondopinion_desktop.core.portal import safety
from secondopinion_desktop.core.portal.model import (
    Allergy,
    Block,
    Document,
    Embedded,
    LabResult,
    Link,
    Medication,
    Patient,
    Problem,
    ReadResult,
    Report,
    Section,
    Skipped,
    day_of,
    iso_time,
    number_of,
    plain,
)

LOINC = "2.16.840.1.113883.6.1"
SNOMED = "2.16.840.1.113883.6.96"
ICD10CM = "2.16.840.1.113883.6.90"
ICD9CM = "2.16.840.1.113883.6.103"
RXNORM = "2.16.840.1.113883.6.88"
SSN = "2.16.840.1.113883.4.1"  # never kept: a social security number is not a record identifier
CODE_SYSTEMS = {SNOMED: "SNOMED CT", ICD10CM: "ICD-10-CM", ICD9CM: "ICD-9-CM", LOINC: "LOINC", RXNORM: "RxNorm",
                "2.16.840.1.113883.6.3": "ICD-10", "2.16.840.1.113883.6.2": "ICD-9-CM",
                "2.16.840.1.113883.6.43.1": "ICD-O-3"}
NULL_FLAVORS = frozenset({"NI", "NA", "UNK", "ASKU", "NAV", "NASK", "MSK", "OTH", "NINF", "PINF", "TRC", "QS", "NP"})
# Written as text or as a display name these are no value; "NA" (sodium's symbol), "TRC" and "QS" may be words.
NULL_WORDS = NULL_FLAVORS - {"NA", "TRC", "QS"}

NULL_MEANINGS = {"NI": "no information", "NA": "not applicable", "UNK": "unknown", "ASKU": "asked but unknown",
                 "NAV": "not available yet", "NASK": "not asked", "MSK": "withheld", "OTH": "another kind of value",
                 "NP": "not present", "QS": "a sufficient quantity"}
EPISODE = frozenset({"2.16.840.1.113883.10.20.1.41"})  # CCD 1.0 episode observation

MAX_SECTION_DEPTH = 12
MAX_NARRATIVE_DEPTH = 24

# --- document types -------------------------------------------------------------------------------------------

DOCUMENT_TYPES = {
    "34133-9": "Summarization of episode note",
    "18842-5": "Discharge summary",
    "11506-3": "Progress note",
    "11488-4": "Consultation note",
    "34117-2": "History and physical",
    "18748-4": "Diagnostic imaging study",
    "11526-1": "Pathology study",
    "60591-5": "Patient summary",
    "60567-5": "Comprehensive pathology report",
    "60568-3": "Pathology synoptic report",
    "11529-5": "Surgical pathology study",
    "33717-0": "Cytology study",
    "18726-0": "Radiology study",
    "57133-1": "Referral note",
    "28570-0": "Procedure note",
    "11504-8": "Surgical operation note",
    "34111-5": "Emergency department note",
    "18761-7": "Transfer summary",
    "34109-9": "Note",
    "51852-2": "Letter",
    "18776-5": "Plan of care note",
    "11490-0": "Discharge summary",
    "11492-6": "History and physical",
    "11505-5": "Procedure note",
    "34746-8": "Nurse note",
}
PATHOLOGY_TYPES = frozenset({"11526-1", "60567-5", "60568-3", "11529-5", "33717-0", "22637-3", "66117-3"})
IMAGING_TYPES = frozenset({"18748-4", "18726-0", "18782-3"})
CCD_TEMPLATE = "2.16.840.1.113883.10.20.22.1.2"
IMAGING_TEMPLATE = "2.16.840.1.113883.10.20.22.1.5"

# --- sections: (what is read from it, default title, templateIds (any version), LOINC codes) --------------------

_T = "2.16.840.1.113883.10.20.22.2."
_IHE = "1.3.6.1.4.1.19376.1.5.3.1."
SECTION_TYPES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("results", "Results", (_T + "3.1", _T + "3"), ("30954-2", "26436-6", "11502-2")),
    ("medications", "Medications", (_T + "1.1", _T + "1"), ("10160-0",)),
    ("medications", "Discharge medications", (_T + "11.1", _T + "11"), ("10183-2", "75311-1")),
    ("medications", "Admission medications", (_T + "44",), ("42346-7",)),
    ("medications", "Medications administered", (_T + "38",), ("29549-3",)),
    ("allergies", "Allergies", (_T + "6.1", _T + "6"), ("48765-2",)),
    ("problems", "Problems", (_T + "5.1", _T + "5"), ("11450-4",)),
    ("problems", "Discharge diagnosis", (_T + "24",), ("11535-2",)),
    ("problems", "Admission diagnosis", (_T + "43",), ("46241-6",)),
    ("problems", "Past medical history", (_T + "20",), ("11348-0",)),
    ("procedures", "Procedures", (_T + "7.1", _T + "7"), ("47519-4",)),
    ("encounters", "Encounters", (_T + "22.1", _T + "22"), ("46240-8",)),
    ("plan", "Plan of treatment", (_T + "10",), ("18776-5",)),
    ("vitals", "Vital signs", (_T + "4.1", _T + "4"), ("8716-3",)),
    ("immunizations", "Immunizations", (_T + "2.1", _T + "2"), ("11369-6",)),
    ("notes", "Notes", (_T + "65",), ()),
    ("notes", "Assessment", (_T + "8",), ("51848-0",)),
    ("notes", "Assessment and plan", (_T + "9",), ("51847-2",)),
    ("notes", "History of present illness", (_IHE + "3.4",), ("10164-2",)),
    ("notes", "Chief complaint", (_IHE + "1.13.2.1",), ("10154-3",)),
    ("notes", "Reason for visit", (_T + "12",), ("29299-5",)),
    ("notes", "Chief complaint and reason for visit", (_T + "13",), ("46239-0",)),
    ("notes", "Hospital course", (_IHE + "3.5",), ("8648-8",)),
    ("notes", "Reason for referral", (_IHE + "3.1",), ("42349-1",)),
    ("notes", "Physical exam", ("2.16.840.1.113883.10.20.2.10",), ("29545-1",)),
    ("notes", "Review of systems", (_IHE + "3.18",), ("10187-3",)),
    ("notes", "Instructions", (_T + "45",), ("69730-0",)),
    ("notes", "Discharge instructions", (), ("8653-8",)),
    ("notes", "Goals", (_T + "60",), ("61146-7",)),
    ("notes", "Health concerns", (_T + "58",), ("75310-3",)),
    ("notes", "Social history", (_T + "17",), ("29762-2",)),
    ("notes", "Family history", (_T + "15",), ("10157-6",)),
    ("notes", "Functional status", (_T + "14",), ("47420-5",)),
    ("notes", "Mental status", (_T + "56",), ("10190-7",)),
    ("notes", "Medical equipment", (_T + "23",), ("46264-8",)),
    ("notes", "Payers", (_T + "18",), ("48768-6",)),
    ("notes", "Advance directives", (_T + "21.1", _T + "21"), ("42348-3",)),
    ("notes", "Findings", ("2.16.840.1.113883.10.20.6.1.2",), ("18782-3",)),
    ("notes", "Impression", (), ("19005-8",)),
    ("notes", "Final diagnosis", (), ("22637-3",)),
    ("notes", "Gross description", (), ("22634-0",)),
    ("notes", "Microscopic description", (), ("22635-7",)),
    ("notes", "Clinical history", (), ("22636-5",)),
    ("notes", "Comments", (), ("22638-1",)),
)
_BY_TEMPLATE = {t: (key, title) for key, title, templates, _codes in SECTION_TYPES for t in templates}
_BY_CODE = {c: (key, title) for key, title, _templates, codes in SECTION_TYPES for c in codes}

# --- words ------------------------------------------------------------------------------------------------------

INTERPRETATIONS = {
    "H": "High", "L": "Low", "HH": "Critical high", "LL": "Critical low", "A": "Abnormal", "N": "Normal",
    "AA": "Critical", "HU": "Very high", "LU": "Very low", ">": "Above range", "<": "Below range",
    "POS": "Positive", "NEG": "Negative", "IND": "Indeterminate", "DET": "Detected", "ND": "Not detected",
    "S": "Susceptible", "R": "Resistant", "I": "Intermediate",
}
RESULT_STATUS = {"completed": "final", "active": "preliminary", "aborted": "cancelled", "cancelled": "cancelled"}
MEDICATION_STATUS = {"aborted": "stopped", "cancelled": "stopped"}
CONCERN_STATUS = {"active": "active", "completed": "resolved", "aborted": "inactive", "suspended": "inactive"}
SEX = {"M": "male", "F": "female", "UN": "other"}
PERIOD_UNITS = {"min": "minute", "h": "hour", "hr": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}
TIMES_A_DAY = {1: "once a day", 2: "twice a day", 3: "three times a day", 4: "four times a day"}
EVENTS = {"AC": "before meals", "ACM": "before breakfast", "ACD": "before lunch", "ACV": "before dinner",
          "PC": "after meals", "PCM": "after breakfast", "PCD": "after lunch", "PCV": "after dinner",
          "HS": "at bedtime", "WAKE": "on waking", "C": "with meals", "CM": "with breakfast", "CD": "with lunch",
          "CV": "with dinner"}
MEDIA_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/png": ".png",
                    "image/gif": ".gif", "image/tiff": ".tif", "image/bmp": ".bmp", "text/plain": ".txt",
                    "text/rtf": ".rtf", "application/rtf": ".rtf", "text/html": ".html", "text/xml": ".xml",
                    "application/msword": ".doc", "application/dicom": ".dcm",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}
# allergy "types" that name no substance (used as the substance only when nothing else names one)
ALLERGY_TYPES = frozenset({"419199007", "416098002", "414285001", "419511003", "420134006", "418038007",
                           "418471000", "59037007", "235719002", "232347008", "418545003", "418689008"})
CONCERN_DETAILS = frozenset({"2.16.840.1.113883.10.20.22.4.143", "2.16.840.1.113883.10.20.22.4.31",
                          "2.16.840.1.113883.10.20.22.4.6", "2.16.840.1.113883.10.20.22.4.5",
                          "2.16.840.1.113883.10.20.22.4.64"})
NO_KNOWN_ALLERGY = frozenset({"716186003", "409137002", "428607008", "429625007", "428197003"})


# --- element helpers (namespace-tolerant: elements are matched by their local name) ----------------------------


_LOCAL_NAMES: dict[str, str] = {}


def _local(el: Any) -> str:
    """An element's name without its namespace: documents with the HL7 namespace as default, under a prefix,
    declared differently or not at all read the same."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[1] if tag[:1] == "{" else tag
        if len(_LOCAL_NAMES) < 10_000:
            _LOCAL_NAMES[tag] = name
    return name


@functools.lru_cache(maxsize=512)
def _path(steps: tuple[str, ...]) -> str:
    """A find path matching each step's local name in any namespace or none ("{*}component/{*}section")."""
    return "/".join("{*}" + step for step in steps)


def _kids(el: Any, name: str) -> list[Any]:
    if el is None:
        return []
    return list(el.iterchildren("{*}" + name))


def _kid(el: Any, *path: str) -> Any:
    """The first element along ``path`` (local names), or None."""
    for step in path:
        if el is None:
            return None
        el = next(el.iterchildren("{*}" + step), None)
    return el


_NUMBER_AND_UNIT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s+([A-Za-z%µ][A-Za-z0-9%µ/*^.\[\]]{0,19})$")
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")


def _all(el: Any, *path: str) -> list[Any]:
    """Every element along ``path``."""
    if el is None:
        return []
    if len(path) == 1:
        return list(el.iterchildren("{*}" + path[0]))
    return list(el.findall(_path(path)))


def _descendants(el: Any, *names: str) -> Any:
    return el.iter(*("{*}" + name for name in names))


def _has(el: Any, *names: str) -> bool:
    """Whether ``el`` holds an element of one of ``names`` (at any depth)."""
    return next(_descendants(el, *names), None) is not None


def _clean(text: str | None) -> str:
    """Text with white space made one space; a null flavor written as text ("UNK") is no text."""
    value = plain(text)
    return "" if value in NULL_FLAVORS else value


def _attr(el: Any, name: str) -> str:
    if el is None:
        return ""
    value = el.get(name)
    if not value:
        return ""
    value = value.strip()
    if "  " in value or "\n" in value or "\t" in value or "\r" in value:
        value = plain(value)
    return "" if value in NULL_WORDS else str(value)


def _xsi_type(el: Any) -> str:
    if el is None:
        return ""
    for key, value in el.attrib.items():
        if key == "type" or key.endswith("}type"):
            return str(value).rsplit(":", 1)[-1].strip().upper()
    return ""


def _is_null(el: Any) -> bool:
    return el is None or el.get("nullFlavor") is not None


def _time(el: Any) -> str:
    """A TS or IVL_TS as ISO text: its value, else its low, else its center."""
    if el is None:
        return ""
    value = iso_time(_attr(el, "value"))
    if value:
        return value
    for part in ("low", "center"):
        value = iso_time(_attr(_kid(el, part), "value"))
        if value:
            return value
    return ""


def _interval(el: Any) -> tuple[str, str]:
    if el is None:
        return "", ""
    low = iso_time(_attr(_kid(el, "low"), "value")) or iso_time(_attr(el, "value"))
    high = iso_time(_attr(_kid(el, "high"), "value"))
    return low, high


def _templates(el: Any) -> list[str]:
    return [_attr(t, "root") for t in _kids(el, "templateId") if _attr(t, "root")]


def _lines(text: str) -> str:
    if "\n" not in text:
        return plain(text)
    return "\n".join(line for line in (plain(part) for part in text.split("\n")) if line)


def _number_text(value: str) -> str:
    number = number_of(value)
    if number is not None and number == int(number) and abs(number) < 1e15 and "e" not in value.lower():
        return str(int(number)) if "." not in value else value
    return value


def _person(name_el: Any, *, suffix: bool) -> str:
    """A person's name: given names then family name (prefixes left out), with a suffix ("MD") when asked."""
    if name_el is None or name_el.get("nullFlavor") is not None and not len(name_el):
        return ""
    given = [_clean("".join(g.itertext())) for g in _kids(name_el, "given")]
    family = [_clean("".join(f.itertext())) for f in _kids(name_el, "family")]
    parts = [p for p in given + family if p]
    if not parts:  # an unstructured name: <name>Alex Sample</name> (prefixes and suffixes left out)
        return _clean("".join([name_el.text or ""] + [c.tail or "" for c in name_el]))
    text = " ".join(parts)
    if suffix:
        suffixes = [s for s in (_clean("".join(x.itertext())) for x in _kids(name_el, "suffix")) if s]
        if suffixes:
            text += ", " + ", ".join(suffixes)
    return text


def _best_name(parent: Any, *, suffix: bool) -> str:
    names = _kids(parent, "name")
    legal = [n for n in names if "L" in (n.get("use") or "").split()]
    for name_el in legal + names:
        text = _person(name_el, suffix=suffix)
        if text:
            return text
    return ""


def _placeholder(text: str) -> bool:
    """A display name that says nothing ("????", "--")."""
    return not any(c.isalnum() for c in text)


def _org_name(org: Any) -> str:
    for name_el in _kids(org, "name"):
        text = _clean("".join(name_el.itertext()))
        if text:
            return text
    return ""


_STRUCTURAL = frozenset({"classCode", "moodCode", "typeCode", "nullFlavor", "inversionInd", "contextConductionInd",
                         "negationInd"})


def _empty(el: Any) -> bool:
    """Whether an entry says nothing at all (``<entry><act nullFlavor="NI"/></entry>``: a placeholder)."""
    for node in el.iter():
        if (node.text or "").strip() or any(key not in _STRUCTURAL for key in node.attrib):
            return False
    return True


def _file_title(title: str) -> str:
    text = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', " ", title)
    return plain(text)[:80].strip(" .") or "Document"


# --- the reader ---------------------------------------------------------------------------------------------------


MEMO_LIMIT = 50_000


class Memo:
    """What the documents of one download read already, by the markup it came from: downloads visit by visit
    repeat the same observations and result tables document after document."""

    def __init__(self) -> None:
        # observation markup, panel, panel time, narrative it refers to -> (result or None, why it was skipped)
        self.observations: dict[tuple[bytes, str, str, tuple[bytes, ...]], tuple[LabResult | None, tuple[str, ...]]]
        self.observations = {}
        self.rows: dict[bytes, tuple[str, ...]] = {}  # narrative table row markup -> its cells
        # organizer markup and the narrative it refers to -> (panel, time, facility, results, skips after it)
        self.organizers: dict[tuple[bytes, tuple[bytes, ...]],
                              tuple[str, str, str, tuple[LabResult, ...], tuple[tuple[str, str], ...]]] = {}


def _placed(result: LabResult, position: str) -> LabResult:
    """``result`` read at another place (a frozen copy with its own position)."""
    again = object.__new__(LabResult)
    again.__dict__.update(result.__dict__)
    again.__dict__["position"] = position
    return again


class _Reader:
    def __init__(self, root: Any, data: bytes, name: str, memo: Memo | None = None) -> None:
        self.memo = memo
        self.carried = 0  # bytes of the files the document carries, unpacked
        self.root = root
        self.data = data
        self.name = name
        self.skipped: list[Skipped] = []
        self.reports: list[Report] = []
        self.medications: list[Medication] = []
        self.allergies: list[Allergy] = []
        self.problems: list[Problem] = []
        self.files: list[Embedded] = []
        self.links: list[Link] = []
        self.facility = ""
        if b"revised" in data or not data.isascii():
            _drop_deleted(root)
        self.carries_files = b"B64" in data or b"b64" in data or not data.isascii()  # UTF-16: look everywhere
        self.ids: dict[str, Any] = {}
        for el in root.iterfind(".//*[@ID]"):
            ident = (el.get("ID") or "").strip()
            if ident and ident not in self.ids:
                self.ids[ident] = el

    # -- text helpers --------------------------------------------------------------------------------------------

    def referenced(self, ref: Any) -> str:
        """The narrative text a ``<reference value="#id">`` points at."""
        value = _attr(ref, "value")
        if not value.startswith("#"):
            return ""
        target = self.ids.get(value[1:].strip())
        return _clean(_lines(self.flat(target)).replace("\n", " ")) if target is not None else ""

    def original(self, el: Any) -> str:
        """An ``originalText`` or ``text``: its reference resolved, else its own text."""
        if el is None:
            return ""
        ref = _kid(el, "reference")
        if ref is not None:
            text = self.referenced(ref)
            if text:
                return text
        return _clean("".join(c for c in [el.text or ""] + [
            "".join(k.itertext()) + (k.tail or "") for k in el if _local(k) != "reference"]))

    def code_name(self, el: Any) -> str:
        """What a coded element says in words: the words the record itself shows (its originalText, often a
        reference into the narrative), else the code's displayName, else a translation's. The record's own words
        read better than a terminology's ("Potassium Level", not "POTASSIUM:SCNC:PT:BLD:QN:"; "Exercise-induced
        angina", not "Angina (disorder)"), and some systems send a placeholder or a misspelt display name."""
        if el is None:
            return ""
        for candidate in [el, *_kids(el, "translation")]:
            original = self.original(_kid(candidate, "originalText"))
            display = _attr(candidate, "displayName")
            if display and original and len(display) > len(original) and original.casefold() in display.casefold():
                return display  # "Metoprolol 25 MG oral tablet" says more than "Metoprolol"
            if original and len(original) <= 200:
                return original
            if display and not _placeholder(display):
                return display
            if original:
                return original
        return ""

    @staticmethod
    def code_in(el: Any, systems: Iterable[str]) -> tuple[str, str]:
        """(code, system) of ``el`` or a translation of it in one of ``systems``."""
        wanted = tuple(systems)
        for candidate in [el, *_kids(el, "translation")]:
            if candidate is None:
                continue
            system = _attr(candidate, "codeSystem")
            code = _attr(candidate, "code")
            if code and system in wanted:
                return code, system
        return "", ""

    def flat(self, el: Any) -> str:
        """An element's text with line breaks where the narrative breaks lines (``<br/>``, paragraphs, rows)."""
        if el is None:
            return ""
        if not len(el):
            return str(el.text or "")
        from lxml import etree

        pieces: list[str] = []
        for event, node in etree.iterwalk(el, events=("start", "end")):
            name = _local(node)
            if event == "start":
                if name == "br" or name in ("paragraph", "item", "tr", "caption", "list", "table"):
                    pieces.append("\n")
                elif name in ("td", "th", "footnote"):
                    pieces.append(" ")
                if node.text and name not in ("footnoteRef",):
                    pieces.append(node.text)
            else:
                if name in ("paragraph", "item", "tr", "caption"):
                    pieces.append("\n")
                if node is not el and node.tail:
                    pieces.append(node.tail)
        return "".join(pieces)

    # -- narrative -> blocks -------------------------------------------------------------------------------------

    def blocks(self, el: Any, depth: int = 0) -> list[Block]:
        out: list[Block] = []
        inline: list[str] = []

        def flush() -> None:
            text = _lines("".join(inline))
            inline.clear()
            if text:
                out.append(Block(kind="paragraph", text=text))

        if el is None:
            return out
        if el.text:
            inline.append(el.text)
        for child in el:
            name = _local(child)
            if name == "paragraph":
                flush()
                text = _lines(self.flat(child))
                if text:
                    out.append(Block(kind="paragraph", text=text))
            elif name == "list":
                flush()
                out.extend(self.list_blocks(child, depth))
            elif name == "table":
                flush()
                out.extend(self.table_blocks(child))
            elif name == "br":
                inline.append("\n")
            elif name in ("footnoteRef", ""):
                pass
            elif depth < MAX_NARRATIVE_DEPTH and _has(child, "paragraph", "list", "table"):
                flush()
                out.extend(self.blocks(child, depth + 1))
            else:
                inline.append(self.flat(child))
            if child.tail:
                inline.append(child.tail)
        flush()
        return out

    def list_blocks(self, el: Any, depth: int = 0) -> list[Block]:
        out: list[Block] = []
        caption = _lines(self.flat(_kid(el, "caption")))
        if caption:
            out.append(Block(kind="paragraph", text=caption))
        items: list[str] = []
        for item in _kids(el, "item"):
            if depth < MAX_NARRATIVE_DEPTH and _has(item, "table"):
                # a list of tables (one per panel, as some systems write results): each table stays a table
                if items:
                    out.append(Block(kind="list", items=tuple(items)))
                    items = []
                out.extend(self.blocks(item, depth + 1))
                continue
            text = _lines(self.flat(item))
            if text:
                items.append(text)
        if items:
            out.append(Block(kind="list", items=tuple(items)))
        return out

    def table_rows(self, el: Any) -> tuple[list[tuple[str, ...]], bool]:
        """A narrative table's rows (padded to one width) and whether the first is a header row."""
        head: list[Any] = []
        body: list[Any] = []
        for child in el:
            name = _local(child)
            if name == "thead":
                head.extend(_kids(child, "tr"))
            elif name in ("tbody", "tfoot"):
                body.extend(_kids(child, "tr"))
            elif name == "tr":
                body.append(child)

        memo = self.memo

        def read_cells(tr: Any) -> tuple[str, ...]:
            """A row's cells; a cell spanning columns is followed by empty ones, so later cells keep their column."""
            out: list[str] = []
            for c in tr:
                if _local(c) not in ("td", "th"):
                    continue
                out.append(_lines(self.flat(c)))
                span = (c.get("colspan") or "1").strip()
                out.extend([""] * (min(int(span), 50) - 1 if span.isdigit() and int(span) > 1 else 0))
            return tuple(out)

        def cells(tr: Any) -> tuple[str, ...]:  # a row seen in an earlier document of the download is not read again
            if memo is None:
                return read_cells(tr)
            from lxml import etree

            key = etree.tostring(tr)
            hit = memo.rows.get(key)
            if hit is None:
                hit = read_cells(tr)
                if len(memo.rows) < MEMO_LIMIT:
                    memo.rows[key] = hit
            return hit

        rows: list[tuple[str, ...]] = []
        header = False
        if head:
            rows.append(cells(head[0]))
            header = True
            body = head[1:] + body
        elif body and all(_local(c) == "th" for c in body[0] if _local(c) in ("td", "th")) and len(body[0]):
            header = True
        rows.extend(cells(tr) for tr in body)
        rows = [r for r in rows if any(r)] if not header else [rows[0]] + [r for r in rows[1:] if any(r)]
        width = max((len(r) for r in rows), default=0)
        return [r + ("",) * (width - len(r)) for r in rows], header

    def table_blocks(self, el: Any) -> list[Block]:
        out: list[Block] = []
        caption = _lines(self.flat(_kid(el, "caption")))
        if caption:
            out.append(Block(kind="paragraph", text=caption))
        rows, header = self.table_rows(el)
        if rows and any(any(r) for r in rows):
            out.append(Block(kind="table", rows=tuple(rows), header=header))
        return out

    # -- header --------------------------------------------------------------------------------------------------

    def patient(self) -> Patient | None:
        role = _kid(self.root, "recordTarget", "patientRole")
        if role is None:
            return None
        person = _kid(role, "patient")
        name = _best_name(person, suffix=False) if person is not None else ""
        birth = day_of(iso_time(_attr(_kid(person, "birthTime"), "value"))) if person is not None else None
        identifiers: list[str] = []
        for ident in _kids(role, "id"):
            extension = _attr(ident, "extension")
            if not extension or _attr(ident, "root") == SSN:
                continue
            authority = _attr(ident, "assigningAuthorityName")
            text = f"{extension} ({authority})" if authority else extension
            if text not in identifiers:
                identifiers.append(text)
        gender = _kid(person, "administrativeGenderCode")
        sex = SEX.get(_attr(gender, "code").upper(), "") or _attr(gender, "displayName").lower()
        found = Patient(name=name, birth_date=birth, identifiers=tuple(identifiers), sex=sex)
        return found if found.named or identifiers else None

    def header(self) -> tuple[str, str]:
        """(facility, clinician)."""
        root = self.root
        facility = _org_name(_kid(root, "custodian", "assignedCustodian", "representedCustodianOrganization"))
        clinician = ""
        for author in _all(root, "author", "assignedAuthor"):
            if not clinician:
                clinician = _best_name(_kid(author, "assignedPerson"), suffix=True)
            if not facility:
                facility = _org_name(_kid(author, "representedOrganization"))
        for performer in _all(root, "documentationOf", "serviceEvent", "performer", "assignedEntity"):
            if not clinician:
                clinician = _best_name(_kid(performer, "assignedPerson"), suffix=True)
            if not facility:
                facility = _org_name(_kid(performer, "representedOrganization"))
        encounter = _kid(root, "componentOf", "encompassingEncounter")
        for participant in _all(encounter, "encounterParticipant", "assignedEntity"):
            if not clinician:
                clinician = _best_name(_kid(participant, "assignedPerson"), suffix=True)
        if not clinician:
            clinician = _best_name(_kid(root, "legalAuthenticator", "assignedEntity", "assignedPerson"), suffix=True)
        if not facility:
            facility = _org_name(_kid(encounter, "location", "healthCareFacility", "serviceProviderOrganization")) \
                or _org_name(_kid(encounter, "location", "healthCareFacility", "location"))
        return facility, clinician

    def document_type(self) -> tuple[str, str, str]:
        """(title, LOINC code, record kind)."""
        code_el = _kid(self.root, "code")
        code = _attr(code_el, "code") if _attr(code_el, "codeSystem") in ("", LOINC) else ""
        if not code:
            code = self.code_in(code_el, (LOINC,))[0]
        title = _clean("".join(_kid(self.root, "title").itertext())) if _kid(self.root, "title") is not None else ""
        templates = _templates(self.root)
        if not title:
            if code == "34133-9" and CCD_TEMPLATE in templates:
                title = "Continuity of Care Document"
            else:
                title = DOCUMENT_TYPES.get(code, "") or self.code_name(code_el) or "Clinical document"
        words = f"{title} {self.code_name(code_el)}".casefold()
        if code in PATHOLOGY_TYPES or "pathology" in words or "cytology" in words:
            kind = "pathology"
        elif code in IMAGING_TYPES or IMAGING_TEMPLATE in templates or "radiology" in words or "imaging" in words:
            kind = "imaging"
        else:
            kind = "clinical"
        return title, code, kind

    # -- sections ------------------------------------------------------------------------------------------------

    def section_type(self, section: Any) -> tuple[str, str]:
        for template in _templates(section):
            if template in _BY_TEMPLATE:
                return _BY_TEMPLATE[template]
        code = _attr(_kid(section, "code"), "code")
        if code in _BY_CODE:
            return _BY_CODE[code]
        return "", ""

    def section(self, el: Any, inherited: str, depth: int) -> Section | None:
        key, default_title = self.section_type(el)
        key = key or inherited
        title_el = _kid(el, "title")
        title = _lines(self.flat(title_el)).replace("\n", " ") if title_el is not None else ""
        title = title or default_title or self.code_name(_kid(el, "code")) or "Section"
        code_el = _kid(el, "code")
        code = _attr(code_el, "code") if _attr(code_el, "codeSystem") in ("", LOINC) else ""
        text_el = _kid(el, "text")
        blocks = self.blocks(text_el)
        entries = _kids(el, "entry")
        where = f"section {title}"
        if key == "vitals" and entries:
            self.read_results(entries, where)
        elif key == "results":
            found = (len(self.reports), len(self.skipped))
            if entries:
                self.read_results(entries, where)
            if text_el is not None and (len(self.reports), len(self.skipped)) == found:
                self.table_results(text_el, where)  # no entries, or only empty ones: the narrative table
        elif key == "medications":
            self.read_each(entries, where, self.medication)
        elif key == "allergies":
            self.read_each(entries, where, self.allergy)
        elif key == "problems":
            self.read_each(entries, where, self.problem)
        self.entry_files(entries, where, title)
        subsections: list[Section] = []
        if depth < MAX_SECTION_DEPTH:
            for child in _all(el, "component", "section"):
                sub = self.section(child, key if key in ("results", "medications", "allergies", "problems") else "",
                                   depth + 1)
                if sub is not None:
                    subsections.append(sub)
        if not blocks and not subsections:
            return None
        return Section(title=title, code=code, blocks=tuple(blocks), subsections=tuple(subsections))

    def read_each(self, entries: list[Any], where: str, read: Any) -> None:
        for number, entry in enumerate(entries, 1):
            position = f"{where}, entry {number}"
            try:
                read(entry, position)
            except safety.Refused:
                raise
            except Exception as exc:  # noqa: BLE001 - one odd entry never fails the file
                self.skip(position, f"it could not be read ({exc.__class__.__name__})")

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append(Skipped(source=self.name, where=where, reason=reason))

    # -- results -------------------------------------------------------------------------------------------------

    def read_results(self, entries: list[Any], where: str) -> None:
        first = len(self.reports)
        self.read_result_entries(entries, where)
        self.merge_panels(first)

    def merge_panels(self, first: int) -> None:
        """One blood draw is one report: organizers of one section with the same panel (or none named) at the
        same time, as some systems send one organizer per test, become one report."""
        merged: list[Report] = []
        by_key: dict[tuple[str, str, str], int] = {}
        for report in self.reports[first:]:
            key = (report.title.casefold(), report.when[:16], report.facility)
            if report.when and key in by_key:
                at = by_key[key]
                merged[at] = dataclasses.replace(merged[at], results=merged[at].results + report.results)
                continue
            by_key[key] = len(merged)
            merged.append(report)
        self.reports[first:] = merged

    def read_result_entries(self, entries: list[Any], where: str) -> None:
        loose: list[LabResult] = []
        organizers = 0
        loose_count = 0
        for number, entry in enumerate(entries, 1):
            organizer = _kid(entry, "organizer")
            if organizer is not None:
                organizers += 1
                position = f"{where}, organizer {organizers}"
                try:
                    self.organizer(organizer, position)
                except Exception as exc:  # noqa: BLE001 - one odd entry never fails the file
                    self.skip(position, f"it could not be read ({exc.__class__.__name__})")
                continue
            observations = _kids(entry, "observation")
            if not observations:
                if not _empty(entry):
                    self.skip(f"{where}, entry {number}", "it holds no result observation")
                continue
            for observation in observations:
                loose_count += 1
                position = f"{where}, entry {number}"
                try:
                    result = self.observation(observation, "", "", position)
                except Exception as exc:  # noqa: BLE001 - one odd entry never fails the file
                    self.skip(position, f"it could not be read ({exc.__class__.__name__})")
                    continue
                if result is not None:
                    loose.append(result)
        self.group(loose, "Test results", where, "")

    def group(self, results: list[LabResult], title: str, position: str, when: str,
              facility: str = "") -> None:
        """One lab report per day of ``results`` (in the order the days first appear)."""
        days: dict[str, list[LabResult]] = {}
        for result in results:
            days.setdefault(result.when[:10], []).append(result)
        for day, items in days.items():
            report_when = when if when and when[:10] == day else items[0].when
            self.reports.append(Report(kind="lab", title=title, when=report_when, facility=facility or self.facility,
                                       results=tuple(items), position=position))

    def organizer(self, organizer: Any, position: str) -> None:
        """A results organizer (a panel): one lab report per day of its results. With a memo, an organizer an
        earlier document of the download held (the same markup and the narrative it refers to) is not read
        again: its results come back with this place in their positions."""
        if self.memo is None:
            panel, when, facility, results = self.read_organizer(organizer, position)
            self.group(results, panel, position, when, facility)
            return
        from lxml import etree

        refs = tuple(etree.tostring(target) if (target := self.ids.get(_attr(ref, "value")[1:].strip())) is not None
                     else b"" for ref in organizer.iter("{*}reference"))
        key = (etree.tostring(organizer), refs)
        hit = self.memo.organizers.get(key)
        if hit is not None:
            panel, when, facility, relative, skips = hit
            for suffix, reason in skips:
                self.skip(position + suffix, reason)
            self.group([_placed(r, position + r.position) for r in relative], panel, position, when, facility)
            return
        skipped = len(self.skipped)
        panel, when, facility, results = self.read_organizer(organizer, position)
        new_skips = self.skipped[skipped:]
        if (len(self.memo.organizers) < MEMO_LIMIT and all(s.where.startswith(position) for s in new_skips)
                and all(r.position.startswith(position) for r in results)):
            self.memo.organizers[key] = (
                panel, when, facility, tuple(_placed(r, r.position[len(position):]) for r in results),
                tuple((s.where[len(position):], s.reason) for s in new_skips))
        self.group(results, panel, position, when, facility)

    def read_organizer(self, organizer: Any, position: str) -> tuple[str, str, str, list[LabResult]]:
        """(panel, time, facility, results) of an organizer."""
        code_el = _kid(organizer, "code")
        panel = self.code_name(code_el) or _attr(code_el, "code") or "Test results"
        when = _time(_kid(organizer, "effectiveTime"))
        facility = ""
        for performer in _all(organizer, "performer", "assignedEntity"):
            facility = facility or _org_name(_kid(performer, "representedOrganization"))
        results: list[LabResult] = []
        count = 0

        def walk(parent: Any, depth: int) -> None:
            nonlocal count
            for component in _kids(parent, "component"):
                for child in component:
                    name = _local(child)
                    if name == "organizer" and depth < 4:
                        walk(child, depth + 1)
                    elif name == "observation":
                        count += 1
                        where = f"{position}, observation {count}"
                        try:
                            result = self.observation(child, panel, when, where)
                        except Exception as exc:  # noqa: BLE001 - one odd entry never fails the file
                            self.skip(where, f"it could not be read ({exc.__class__.__name__})")
                            continue
                        if result is not None:
                            results.append(result)

        walk(organizer, 0)
        if not when:
            times = sorted(r.when for r in results if r.when)
            when = times[0] if times else ""
        return panel, when, facility, results

    def observation(self, obs: Any, panel: str, panel_when: str, position: str) -> LabResult | None:
        """One result observation. Downloads visit by visit repeat the same observations document after document:
        with a memo, one already read (the same markup, panel, panel time and the narrative it refers to) is
        taken from it, with this place as its position."""
        if self.memo is None:
            return self.read_observation(obs, panel, panel_when, position)
        from lxml import etree

        refs = tuple(etree.tostring(target) if (target := self.ids.get(_attr(ref, "value")[1:].strip())) is not None
                     else b"" for ref in obs.iter("{*}reference"))
        key = (etree.tostring(obs), panel, panel_when, refs)
        hit = self.memo.observations.get(key)
        if hit is None:
            before = len(self.skipped)
            result = self.read_observation(obs, panel, panel_when, position)
            new = self.skipped[before:]
            if all(s.where == position for s in new) and len(self.memo.observations) < MEMO_LIMIT:
                self.memo.observations[key] = (result, tuple(s.reason for s in new))
            return result
        result, reasons = hit
        for reason in reasons:
            self.skip(position, reason)
        if result is None:
            return None
        return _placed(result, position)

    def read_observation(self, obs: Any, panel: str, panel_when: str, position: str) -> LabResult | None:
        if not len(obs) or (obs.get("negationInd") or "").lower() == "true":
            return None  # an empty placeholder (<observation nullFlavor="NI"/>), or a test not done
        code_el = _kid(obs, "code")
        test = self.code_name(code_el) or self.original(_kid(obs, "text"))
        loinc = self.code_in(code_el, (LOINC,))[0]
        if not test:
            if loinc:
                test = f"LOINC {loinc}"
            else:
                self.skip(position, "it names no test")
                return None
        value, number, unit = self.value(obs)
        flag = ""
        for interp in _kids(obs, "interpretationCode"):
            code = _attr(interp, "code").upper()
            flag = INTERPRETATIONS.get(code, "") or _attr(interp, "displayName") or self.original(
                _kid(interp, "originalText"))
            if flag:
                break
        if not value:  # a blank value flagged "Normal" would mislead: say what the absence means, or leave it out
            flavor = (_kid(obs, "value").get("nullFlavor") or "").upper() if _kid(obs, "value") is not None else ""
            if flavor == "TRC":
                value = "Trace"
            elif flag and flag != "Normal":
                value, flag = flag, ""  # a result given only as its interpretation ("Positive", "Abnormal")
            else:
                why = NULL_MEANINGS.get(flavor)
                self.skip(position, f"it gives no value{f' ({why})' if why else ''}")
                return None
        status = _attr(_kid(obs, "statusCode"), "code").lower()
        return LabResult(
            test=test, loinc=loinc, value=value, number=number, unit=unit,
            reference_range=self.reference_range(obs), flag=flag,
            when=_time(_kid(obs, "effectiveTime")) or panel_when, panel=panel,
            status=RESULT_STATUS.get(status, status), position=position,
        )

    def value(self, obs: Any) -> tuple[str, float | None, str]:
        """(value as written, the number when it is one, unit) of an observation's first value."""
        for el in _kids(obs, "value"):
            kind = _xsi_type(el)
            if kind in ("PQ", "REAL", "INT", "MO") or (not kind and el.get("value") is not None):
                text, unit = self.pq(el)
                if not text and not len(el):
                    text, unit = self.original(el), ""
                if text:
                    return text, number_of(text), (unit if kind != "INT" else "") or self.unit_of(obs)
                continue
            if kind in ("IVL_PQ", "IVL_REAL", "IVL_INT"):
                text, unit = self.bounds(_kid(el, "low"), _kid(el, "high"))
                if text:
                    return text, None, unit or self.unit_of(obs)
                continue
            if kind in ("CD", "CE", "CV", "CO", "CS"):
                text = self.code_name(el) or _attr(el, "code")
                if text:
                    return text, None, ""
                continue
            if kind == "BL":
                text = _attr(el, "value")
                if text:
                    return {"true": "Yes", "false": "No"}.get(text.lower(), text), None, ""
                continue
            if kind in ("TS", "IVL_TS"):
                text = _time(el)
                if text:
                    return text, None, ""
                continue
            if kind == "RTO" or kind.startswith("RTO_"):
                numerator = _attr(_kid(el, "numerator"), "value")
                denominator = _attr(_kid(el, "denominator"), "value")
                if numerator and denominator:
                    return f"{numerator}:{denominator}", None, ""
                continue
            text = self.original(el)
            if text:
                unit = self.unit_of(obs) if kind in ("ST", "ED") else ""
                split = _NUMBER_AND_UNIT.match(text) if not unit else None
                if split:  # "155 MG/DL" written as text: the number and its unit
                    return split.group(1), number_of(split.group(1)), split.group(2)
                return text, number_of(text), unit
        return "", None, ""

    def pq(self, el: Any) -> tuple[str, str]:
        """(value, unit) of a physical quantity; a unit that is not UCUM sits in a translation's original text."""
        if el is None:
            return "", ""
        value = _attr(el, "value")
        if value:
            unit = _attr(el, "unit")
            if unit in ("", "1"):  # "1": no UCUM unit; the unit as written may sit in a translation
                unit = next((u for u in (_attr(tr, "unit") or self.original(_kid(tr, "originalText"))
                                         for tr in _kids(el, "translation")) if u and u != "1"), "")
            return value, unit
        for tr in _kids(el, "translation"):
            value = _attr(tr, "value")
            if value:
                unit = _attr(tr, "unit") or self.original(_kid(tr, "originalText")) or _attr(tr, "code")
                return value, "" if unit == "1" else unit
        return "", ""

    def unit_of(self, obs: Any) -> str:
        """A unit given in a related observation (code 246514001 "units"), as non-numeric results carry it."""
        for rel in _kids(obs, "entryRelationship"):
            for sub in _kids(rel, "observation"):
                if _attr(_kid(sub, "code"), "code") == "246514001":
                    value = _kid(sub, "value")
                    return _attr(value, "code") or self.original(value)
        return ""

    def bounds(self, low: Any, high: Any) -> tuple[str, str]:
        """An interval as text ("12.0-15.5", ">500", "<=30") and its unit."""
        lo, lo_unit = self.pq(low)
        hi, hi_unit = self.pq(high)
        unit = lo_unit or hi_unit
        if lo and hi:
            return f"{lo}-{hi}", unit
        if lo:
            return (">" if (low.get("inclusive") or "").lower() == "false" else ">=") + lo, unit
        if hi:
            return ("<" if (high.get("inclusive") or "").lower() == "false" else "<=") + hi, unit
        return "", unit

    def reference_range(self, obs: Any) -> str:
        ranges = _all(obs, "referenceRange", "observationRange")
        normal = [r for r in ranges if _attr(_kid(r, "interpretationCode"), "code").upper() in ("N", "")]
        for rng in normal or ranges:
            text = self.original(_kid(rng, "text"))
            if text:
                return text
            value = _kid(rng, "value")
            if value is None:
                continue
            low, high = _kid(value, "low"), _kid(value, "high")
            if low is not None or high is not None:
                text, unit = self.bounds(low, high)
                if text:
                    return f"{text} {unit}" if unit else text
            text = self.code_name(value) or self.original(value)
            if text:
                return text
        return ""

    # -- results in a narrative table only -----------------------------------------------------------------------

    COLUMNS = (
        ("unit", ("unit",)),
        ("range", ("range", "reference", "normal", "ref ")),
        ("flag", ("flag", "interpretation", "abnormal", "indicator")),
        ("date", ("date", "time", "collected", "resulted on")),
        ("status", ("status",)),
        ("panel", ("panel", "order", "battery")),
        ("test", ("test", "component", "name", "analyte", "result type", "description", "observation", "item",
                  "lab")),
        ("value", ("value", "result")),
    )

    def columns(self, header: tuple[str, ...]) -> dict[str, int]:
        found: dict[str, int] = {}
        for index, cell in enumerate(header):
            words = f" {cell.casefold()} "
            kinds = [kind for kind, keys in self.COLUMNS if kind not in found and any(k in words for k in keys)]
            if "value" in kinds and "unit" in kinds:
                kinds = ["value"]  # "Value / Unit": the unit is split from the value
            if kinds:
                found[kinds[0]] = index
        return found

    def table_results(self, text_el: Any, where: str) -> None:
        row_number = 0
        tables = list(_descendants(text_el, "table"))
        for table_number, table in enumerate(tables, 1):
            rows, _header = self.table_rows(table)
            if len(rows) < 2:
                continue
            columns = self.columns(rows[0])
            if "test" not in columns or "value" not in columns:
                self.skip(f"{where}, table {table_number}",
                          "its columns do not name a test and a value; it is kept as text")
                continue
            caption = _lines(self.flat(_kid(table, "caption"))).replace("\n", " ")
            previous = table.getprevious()
            if not caption and previous is not None and _local(previous) in ("paragraph", "content"):
                text = _clean(_lines(self.flat(previous)).replace("\n", " "))
                caption = text if 0 < len(text) <= 80 else ""
            current_panel, current_when = _heading(caption or "Test results")
            found: list[tuple[str, LabResult]] = []
            for row in rows[1:]:
                filled = [c for c in row if c]
                if len(filled) == 1 and not row[columns["value"]]:
                    # a heading row naming the panel that follows ("Lipid Panel, 10/20/2013 9:08 am")
                    current_panel, current_when = _heading(plain(filled[0]))
                    continue
                row_number += 1
                position = f"{where}, table row {row_number}"
                try:
                    result = self.table_result(row, columns, position)
                except Exception as exc:  # noqa: BLE001 - one odd row never fails the file
                    self.skip(position, f"it could not be read ({exc.__class__.__name__})")
                    continue
                if result is None:
                    continue
                if not result.when and current_when:
                    result = LabResult(**{**_fields(result), "when": current_when})
                panel = plain(row[columns["panel"]]) if "panel" in columns and row[columns["panel"]] else current_panel
                found.append((panel, LabResult(**{**_fields(result), "panel": panel})))
            panels: dict[str, list[LabResult]] = {}
            for panel, result in found:
                panels.setdefault(panel, []).append(result)
            for panel, results in panels.items():
                self.group(results, panel, f"{where}, table {table_number}", "")

    def table_result(self, row: tuple[str, ...], columns: dict[str, int], position: str) -> LabResult | None:
        def cell(kind: str) -> str:
            return _clean(row[columns[kind]]) if kind in columns and columns[kind] < len(row) else ""

        test = cell("test")
        if not test:
            self.skip(position, "it names no test")
            return None
        value = cell("value")
        unit = cell("unit")
        if not unit:
            m = re.match(r"^([<>]=?\s*)?(-?\d+(?:[.,]\d+)?)\s+([^\s\d].{0,30})$", value)
            if m:
                value, unit = (m.group(1) or "").replace(" ", "") + m.group(2), m.group(3).strip()
        flag_text = cell("flag")
        flag = INTERPRETATIONS.get(flag_text.upper(), flag_text)
        status = cell("status").lower()
        return LabResult(test=test, value=value, number=number_of(value), unit=unit,
                         reference_range=cell("range"), flag=flag, when=loose_time(cell("date")),
                         status=RESULT_STATUS.get(status, status), position=position)

    # -- medications ---------------------------------------------------------------------------------------------

    def medication(self, entry: Any, position: str) -> None:
        administrations = _kids(entry, "substanceAdministration")
        for act in _kids(entry, "act"):  # a discharge medication act wraps the medication
            administrations.extend(_all(act, "entryRelationship", "substanceAdministration"))
        if not administrations:
            if not _empty(entry):
                self.skip(position, "it holds no medication")
            return
        for sa in administrations:
            if not len(sa):
                continue  # an empty placeholder
            material = _kid(sa, "consumable", "manufacturedProduct", "manufacturedMaterial")
            if material is None:
                material = _kid(sa, "consumable", "manufacturedProduct", "manufacturedLabeledDrug")
            code_el = _kid(material, "code")
            sig = self.original(_kid(sa, "text"))
            name = self.code_name(code_el) or _org_name(material) or sig  # else the narrative line it points at
            if not name:
                self.skip(position, "it names no medicine")
                continue
            code = self.code_in(code_el, (RXNORM,))[0] or _attr(code_el, "code")
            start, end = "", ""
            frequency: list[str] = []
            for et in _kids(sa, "effectiveTime"):
                kind = _xsi_type(et)
                if kind in ("PIVL_TS", "EIVL_TS", "SXPR_TS") or _kid(et, "period") is not None \
                        or _kid(et, "event") is not None:
                    words = self.frequency(et)
                    if words and words not in frequency:
                        frequency.append(words)
                elif not start and not end:
                    start, end = _interval(et)
            if _kids(sa, "precondition"):
                frequency.append("as needed")
            instructions: list[str] = []
            if sig and sig != name:
                instructions.append(sig)
            for rel in _kids(sa, "entryRelationship"):
                for act in _kids(rel, "act"):  # instructions
                    text = self.original(_kid(act, "text")) or self.code_name(_kid(act, "code"))
                    if text and text not in instructions and "2.16.840.1.113883.10.20.22.4.20" in _templates(act):
                        instructions.append(text)
                for free in _kids(rel, "substanceAdministration"):  # a free-text sig
                    text = self.original(_kid(free, "text"))
                    if text and text not in instructions and "2.16.840.1.113883.10.20.22.4.147" in _templates(free):
                        instructions.append(text)
            status = _attr(_kid(sa, "statusCode"), "code").lower()
            self.medications.append(Medication(
                name=name, code=code, dose=self.dose(sa), route=self.code_name(_kid(sa, "routeCode")),
                frequency=", ".join(frequency), instructions="; ".join(instructions),
                status=MEDICATION_STATUS.get(status, status), start=start, end=end, position=position,
            ))

    def dose(self, sa: Any) -> str:
        dose = _kid(sa, "doseQuantity")
        if dose is None:
            return ""
        value, unit = self.pq(dose)
        if not value:
            value, unit = self.bounds(_kid(dose, "low"), _kid(dose, "high"))
        if not value:
            return ""
        if not unit:
            unit = self.code_name(_kid(sa, "administrationUnitCode")).lower()
        return f"{value} {unit}".strip()

    @staticmethod
    def frequency(et: Any) -> str:
        event = _attr(_kid(et, "event"), "code").upper()
        if event:
            return EVENTS.get(event, "")
        period = _kid(et, "period")
        text = _attr(period, "value")
        unit = _attr(period, "unit").lower()
        number = number_of(text) if text else None
        if number is None or number <= 0:
            return ""
        if unit == "d" and number < 1:
            number, unit = number * 24, "h"
        word = PERIOD_UNITS.get(unit, "")
        if not word:
            return f"every {_number_text(text)} {unit}".strip()
        institution = (et.get("institutionSpecified") or "").lower() == "true"
        if unit in ("h", "hr") and institution and number and 24 % number == 0 and 24 // number in TIMES_A_DAY:
            return TIMES_A_DAY[int(24 // number)]
        if number == 1:
            return {"day": "once a day", "week": "once a week", "month": "once a month",
                    "year": "once a year"}.get(word, f"every {word}")
        shown_number = str(int(number)) if number == int(number) else f"{number:g}"
        return f"every {shown_number} {word}s"

    # -- allergies -----------------------------------------------------------------------------------------------

    def allergy(self, entry: Any, position: str) -> None:
        acts = _kids(entry, "act")
        found: list[tuple[Any, Any]] = [(o, act) for act in acts for o in _all(act, "entryRelationship",
                                                                            "observation")]
        found.extend((o, None) for o in _kids(entry, "observation"))
        if not found:
            if not _empty(entry):
                self.skip(position, "it holds no allergy")
            return
        for obs, act in found:
            if not len(obs) or (obs.get("negationInd") or "").lower() == "true":
                continue  # a placeholder, or "no known allergies": a statement, kept in the section's text
            if act is not None and CONCERN_DETAILS & set(_templates(obs)):
                continue  # a priority or status said of the concern
            value = _kid(obs, "value")
            if _attr(value, "code") in NO_KNOWN_ALLERGY:
                continue
            entity = None
            for participant in _kids(obs, "participant"):
                entity = _kid(participant, "participantRole", "playingEntity")
                if entity is not None:
                    break
            code_el = _kid(entity, "code")
            # a code that is a null flavor often points at placeholder words; the entity's own name is the substance
            substance = ((_org_name(entity) if _is_null(code_el) else "") or self.code_name(code_el)
                         or _org_name(entity))
            code = _attr(code_el, "code")
            if not substance and _attr(value, "code") not in ALLERGY_TYPES:
                substance = self.code_name(value)
                code = code or _attr(value, "code")
            if not substance:
                self.skip(position, "it names no substance")
                continue
            reactions: list[str] = []
            severity = ""
            status = ""
            for rel in _kids(obs, "entryRelationship"):
                for sub in _kids(rel, "observation"):
                    templates = _templates(sub)
                    sub_code = _attr(_kid(sub, "code"), "code")
                    words = self.code_name(_kid(sub, "value")) or self.original(_kid(sub, "text"))
                    if (rel.get("typeCode") or "").upper() == "MFST" or "2.16.840.1.113883.10.20.22.4.9" in templates:
                        if words and words not in reactions:
                            reactions.append(words)
                        severity = severity or self.severity(sub)
                    elif "2.16.840.1.113883.10.20.22.4.8" in templates or sub_code == "SEV":
                        severity = severity or words
                    elif "2.16.840.1.113883.10.20.22.4.28" in templates or sub_code == "33999-4":
                        status = status or words.lower()
            if not status and act is not None:
                status = CONCERN_STATUS.get(_attr(_kid(act, "statusCode"), "code").lower(), "")
            if substance.casefold() in {r.casefold() for r in reactions}:
                # the substance's text points at the allergy's own reaction (a reference to the wrong cell):
                # the code's display name, or the entity's own name, says what the substance is
                display = _attr(code_el, "displayName")
                substance = (display if display and not _placeholder(display) else "") or _org_name(entity) or \
                    substance
            onset = _interval(_kid(obs, "effectiveTime"))[0]
            self.allergies.append(Allergy(substance=substance, code=code, reaction="; ".join(reactions),
                                          severity=severity, status=status, onset=onset, position=position))

    def severity(self, obs: Any) -> str:
        for rel in _kids(obs, "entryRelationship"):
            for sub in _kids(rel, "observation"):
                if "2.16.840.1.113883.10.20.22.4.8" in _templates(sub) or _attr(_kid(sub, "code"), "code") == "SEV":
                    return self.code_name(_kid(sub, "value"))
        return ""

    # -- problems ------------------------------------------------------------------------------------------------

    def problem(self, entry: Any, position: str) -> None:
        found: list[tuple[Any, Any]] = []
        for act in _kids(entry, "act"):
            found.extend((o, act) for o in _all(act, "entryRelationship", "observation"))
        found.extend((o, None) for o in _kids(entry, "observation"))
        if not found:
            if not _empty(entry):
                self.skip(position, "it holds no problem")
            return
        for obs, act in found:
            if not len(obs) or (obs.get("negationInd") or "").lower() == "true":
                continue  # a placeholder, or "no known problems"
            if act is not None and CONCERN_DETAILS & set(_templates(obs)):
                continue  # a priority, age or status said of the concern, not a problem of its own
            if EPISODE & set(_templates(obs)):
                continue  # a CCD 1.0 episode observation only ties problem entries together
            value = _kid(obs, "value")
            name = self.code_name(value) or self.original(_kid(obs, "text")) or (
                self.original(value) if _xsi_type(value) in ("ED", "ST") else "")
            code, system = self.code_in(value, CODE_SYSTEMS)
            if not code:
                code, system = _attr(value, "code"), _attr(value, "codeSystem")
            if not name:
                if code:
                    name = f"{CODE_SYSTEMS.get(system, 'Code')} {code}"
                else:
                    self.skip(position, "it names no problem")
                    continue
            onset, resolved = _interval(_kid(obs, "effectiveTime"))
            if not onset and act is not None:
                onset = _interval(_kid(act, "effectiveTime"))[0]
            status = ""
            stage = ""
            for rel in _kids(obs, "entryRelationship"):
                for sub in _kids(rel, "observation"):
                    sub_code_el = _kid(sub, "code")
                    sub_code = _attr(sub_code_el, "code")
                    words = self.code_name(_kid(sub, "value")) or self.original(_kid(sub, "value"))
                    if "2.16.840.1.113883.10.20.22.4.6" in _templates(sub) or sub_code == "33999-4":
                        status = status or words.lower()
                    elif sub_code in ("21908-9", "21902-2", "21914-7", "21901-4", "21900-6") or \
                            "stage" in self.code_name(sub_code_el).casefold():
                        stage = stage or words
            if not status and act is not None:
                status = CONCERN_STATUS.get(_attr(_kid(act, "statusCode"), "code").lower(), "")
            if not status and resolved:
                status = "resolved"
            self.problems.append(Problem(name=name, code=code, code_system=CODE_SYSTEMS.get(system, ""),
                                         status=status, onset=onset, resolved=resolved, stage=stage,
                                         position=position))

    # -- files ---------------------------------------------------------------------------------------------------

    def body_file(self, body: Any, title: str) -> list[Section]:
        """A nonXMLBody: the file it carries, the address it names, or its plain text as a section."""
        text_el = _kid(body, "text")
        if text_el is None:
            self.skip("body", "the document's body is empty")
            return []
        ref = _kid(text_el, "reference")
        address = _attr(ref, "value")
        if address:
            self.links.append(Link(description=title, url=address, position="body"))
            return []
        media = (_attr(text_el, "mediaType") or "text/plain").lower()
        embedded = self.embedded(text_el, media, _file_title(title), "body")
        if embedded is not None:
            self.files.append(embedded)
            return []
        if media == "text/plain":
            paragraphs = [p for p in (_lines(part) for part in re.split(r"\n\s*\n", "".join(text_el.itertext())))
                          if p]
            if paragraphs:
                return [Section(title=title, blocks=tuple(Block(kind="paragraph", text=p) for p in paragraphs))]
        return []

    def embedded(self, el: Any, media: str, base: str, position: str) -> Embedded | None:
        """The file an ED value carries (base64, maybe compressed), or inline text of another media type."""
        representation = (_attr(el, "representation") or "TXT").upper()
        payload = "".join(c for c in [el.text or ""] + [k.tail or "" for k in el])
        if not payload.strip():
            return None
        if representation == "B64":
            try:
                raw = safety.decode_base64(payload, self.name)
            except safety.Refused as exc:
                if len("".join(payload.split())) * 3 // 4 > safety.MAX_EMBEDDED_BYTES:
                    raise
                self.skip(position, str(exc))
                return None
            unpacked = self.decompress(raw, _attr(el, "compression").upper(), position)
            if unpacked is None:
                return None
            data = unpacked
            media = _sniffed(data, media)
            self.carried += len(data)
            if self.carried > safety.MAX_CARRIED_BYTES:  # many compressed files, each under the limit
                raise safety.Refused(f"{safety.shown(self.name)} carries more than "
                                     f"{safety.MAX_CARRIED_BYTES // 2**20} MB of files inside it; it was not read.")
        elif media == "text/plain":
            return None
        else:
            data = payload.strip().encode("utf-8")
        extension = MEDIA_EXTENSIONS.get(media, ".bin")
        name = base if base.lower().endswith(extension) else base + extension
        return Embedded(name=name, media_type=media, data=data, position=position)

    def decompress(self, data: bytes, compression: str, position: str) -> bytes | None:
        bits = {"DF": -15, "GZ": 31, "ZL": 15}.get(compression)
        if compression and bits is None:
            self.skip(position, f"its file is compressed in a way that is not read ({compression})")
            return None
        if bits is None:
            return data
        try:
            inflater = zlib.decompressobj(bits)
            out = inflater.decompress(data, safety.MAX_EMBEDDED_BYTES + 1)
        except zlib.error:
            self.skip(position, "its compressed file is damaged")
            return None
        if len(out) > safety.MAX_EMBEDDED_BYTES or inflater.unconsumed_tail:
            raise safety.Refused(f"{safety.shown(self.name)} carries a file of over "
                                 f"{safety.MAX_EMBEDDED_BYTES // 2**20} MB inside it; it was not read.")
        return out

    def entry_files(self, entries: list[Any], where: str, title: str) -> None:
        """Files carried inside a section's entries (an image in an observationMedia, a note's text sent as a
        base64 RTF or PDF in a note activity)."""
        if not self.carries_files:
            return
        count = 0
        for number, entry in enumerate(entries, 1):
            for el in entry.iterfind(".//*[@representation]"):
                if (el.get("representation") or "").strip().upper() != "B64":
                    continue
                count += 1
                media = (_attr(el, "mediaType") or "application/octet-stream").lower()
                position = f"{where}, entry {number}"
                try:
                    embedded = self.embedded(el, media, _file_title(f"{title} {count}"), position)
                except safety.Refused:
                    raise
                except Exception as exc:  # noqa: BLE001 - one odd entry never fails the file
                    self.skip(position, f"it could not be read ({exc.__class__.__name__})")
                    continue
                if embedded is not None:
                    self.files.append(embedded)

    # -- the whole document --------------------------------------------------------------------------------------

    def document(self) -> Document:
        title, type_code, kind = self.document_type()
        facility, clinician = self.header()
        self.facility = facility
        when = _time(_kid(self.root, "effectiveTime"))
        if not when:  # a document time that cannot be read: the service it documents says when
            for event in _all(self.root, "documentationOf", "serviceEvent"):
                span = _kid(event, "effectiveTime")
                when = _time(_kid(span, "high")) or _time(span)
                if when:
                    break
        sections: list[Section] = []
        body = _kid(self.root, "component", "structuredBody")
        if body is not None:
            for number, el in enumerate(_all(body, "component", "section"), 1):
                try:
                    section = self.section(el, "", 0)
                except safety.Refused:
                    raise
                except Exception as exc:  # noqa: BLE001 - one odd section never fails the file
                    self.skip(f"section {number}", f"it could not be read ({exc.__class__.__name__})")
                    continue
                if section is not None:
                    sections.append(section)
        for other in _all(self.root, "component", "nonXMLBody"):
            sections.extend(self.body_file(other, title))
        return Document(
            source=self.name, format="C-CDA", kind=kind, title=title, type_code=type_code, when=when,
            facility=facility, clinician=clinician, patient=self.patient(), sections=tuple(sections),
            reports=tuple(self.reports), medications=tuple(self.medications), allergies=tuple(self.allergies),
            problems=tuple(self.problems), files=tuple(self.files), links=tuple(self.links),
            skipped=tuple(self.skipped), original=self.data, original_name=safety.shown(self.name),
            original_media_type="application/xml", study_uid=self.study_uid(), accession_number=self.accession(),
        )

    def study_uid(self) -> str:
        """The Study Instance UID a diagnostic imaging report names (its service event's id: a bare OID root)."""
        for event in _all(self.root, "documentationOf", "serviceEvent"):
            for el in _all(event, "id"):
                root = _attr(el, "root")
                if root and not _attr(el, "extension") and _OID.match(root):
                    return root[:64]
        return ""

    def accession(self) -> str:
        """The accession number of the order the document fulfils (``inFulfillmentOf/order/id``)."""
        for el in _all(self.root, "inFulfillmentOf", "order", "id"):
            extension = _attr(el, "extension")
            if extension:
                return extension[:100]
        return ""


def _drop_deleted(root: Any) -> None:
    """Narrative marked as deleted (``<content revised="delete">``) is not text of the document any more."""
    for el in list(root.iterfind(".//*[@revised]")):
        if (el.get("revised") or "").strip().lower() != "delete":
            continue
        parent = el.getparent()
        if parent is None:
            continue
        tail = el.tail or ""
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(el)


_HEADING_TIME = re.compile(
    r"(?:\s*(?:,|-|\bat\b|\bon\b)\s*)*\(?(\d{1,2}[/-]\d{1,2}[/-]\d{4}(?:\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]?\.?)?)?)\)?")


def _heading(text: str) -> tuple[str, str]:
    """A panel heading in a narrative table split into its name and the time it gives ("Lipid Panel,
    10/20/2013 9:08 am" -> ("Lipid Panel", "2013-10-20T09:08"))."""
    m = _HEADING_TIME.search(text)
    if not m:
        return text, ""
    when = loose_time(m.group(1).replace("-", "/"))
    name = (text[:m.start()] + " " + text[m.end():]).strip(" ,-:") or text
    return plain(name), when


_MAGIC = ((b"%PDF", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF8", "image/gif"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"), (b"{\\rtf", "text/rtf"))


def _sniffed(data: bytes, media: str) -> str:
    """The media type a decoded file shows by its first bytes, when the document names none or a vague one."""
    if media not in ("text/plain", "application/octet-stream", ""):
        return media
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return media


def _fields(result: LabResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in result.__dataclass_fields__}


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _century(two: str) -> str:
    """A two-digit year as a four-digit one: not in the future (a lab date is never ahead of today)."""
    import datetime as dt

    year = 2000 + int(two)
    return str(year if year <= dt.date.today().year else year - 100)


def loose_time(text: str) -> str:
    """A time as a narrative table writes it ("03/12/2024 10:05", "Mar 12, 2024", "2024-03-12") as ISO text."""
    text = plain(text)
    if not text:
        return ""
    value = iso_time(text)
    if value:
        return value
    clock = ""
    m = re.search(r"(\d{1,2}):(\d{2})(?::\d{2})?\s*(?:([AaPp])\.?[Mm]?\.?)?", text)
    if m:
        hour = int(m.group(1)) % 12 + (12 if (m.group(3) or "").lower() == "p" else 0) if m.group(3) \
            else int(m.group(1))
        clock = f"T{hour:02d}:{m.group(2)}" if hour < 24 else ""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})\b", text)  # "2024-03-12 9:08 AM": ISO day, a clock after it
    if m:
        day = iso_time(f"{m.group(1)}{m.group(2)}{m.group(3)}")
        return day + clock if day else ""
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b", text)  # US order, "03/12/2024" or "03/12/24"
    if m:
        year = m.group(3) if len(m.group(3)) == 4 else _century(m.group(3))
        day = iso_time(f"{year}{int(m.group(1)):02d}{int(m.group(2)):02d}")
        return day + clock if day else ""
    m = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\b", text)  # "12.03.2024": day first, as written with dots
    if m:
        day = iso_time(f"{m.group(3)}{int(m.group(2)):02d}{int(m.group(1)):02d}")
        return day + clock if day else ""
    m = re.match(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})", text)
    if m and m.group(1).lower() in _MONTHS:
        day = iso_time(f"{m.group(3)}{_MONTHS[m.group(1).lower()]:02d}{int(m.group(2)):02d}")
        return day + clock if day else ""
    m = re.match(r"^(\d{1,2})[\s-]([A-Za-z]{3})[a-z]*[\s-](\d{4})", text)
    if m and m.group(2).lower() in _MONTHS:
        day = iso_time(f"{m.group(3)}{_MONTHS[m.group(2).lower()]:02d}{int(m.group(1)):02d}")
        return day + clock if day else ""
    return ""


# --- the API ------------------------------------------------------------------------------------------------------

_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?ClinicalDocument[\s>/]")


def looks_like_ccda(data: bytes) -> bool:
    """Whether ``data`` starts like a C-CDA document (a cheap look at its first bytes, nothing parsed)."""
    head = data[:64 * 1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\x00" or head[:1] == b"\x00":
        try:
            head = head.decode("utf-16", "ignore").encode("utf-8", "ignore")
        except UnicodeError:
            return False
    return bool(_ROOT.search(head))


def read_ccda(data: bytes, name: str, memo: Memo | None = None) -> ReadResult:
    """The C-CDA document in ``data`` (the file named ``name`` inside what was opened). Entries that cannot be
    read are the document's ``skipped``. Hostile input is ``safety.Refused``; a file that is broken or not a
    clinical document is ``safety.Unreadable`` (one sentence naming the file either way). ``memo``, shared by
    the documents of one download, spares reading an observation again that an earlier document held."""
    root = safety.parse_xml(data, name)
    if _local(root) != "ClinicalDocument":
        raise safety.Unreadable(f"{safety.shown(name)} is not a C-CDA clinical document; it was not read.")
    document = _Reader(root, data, name, memo).document()
    return ReadResult(documents=(document,))


__all__ = ["looks_like_ccda", "loose_time", "read_ccda"]
