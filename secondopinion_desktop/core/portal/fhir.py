"""FHIR JSON (R4, STU3 read as R4 where their fields agree, and DSTU2 where it maps simply) read into the
portal model.

A file is a Bundle of any type (collection, searchset, transaction, a document bundle such as an International
Patient Summary, whose Composition gives the title and the readable sections), a single resource, or NDJSON
(one resource a line). Plain ``json`` through ``safety.load_json`` reads R4 and DSTU2 alike; nothing in a file
is ever fetched (an attachment given only by address becomes a ``Link``) or run (narrative XHTML is read as
text through ``safety.parse_xml``).

What maps to what:

- Patient → the document's patient; Organization → its facility (the Composition's custodian, the Patient's
  managing organization, else the one most referred to); Practitioner → clinicians ("Dana Jones, MD").
- Condition → a problem (stage from ``stage.summary`` or its assessment); AllergyIntolerance → an allergy;
  MedicationStatement, MedicationRequest (DSTU2 MedicationOrder) → medications.
- DiagnosticReport → a report of its kind (lab, imaging, pathology, molecular, clinical) holding the
  Observations it names (and their members, panels within panels; "#id" inside a contained resource names a
  sibling; a susceptibility given only as an interpretation is the result "Resistant"), its conclusion, its
  attached files and links; DocumentReference → a report holding its attachment; ImagingStudy → an imaging
  report carrying the Study Instance UID and accession number.
- Observations no report names → one lab report a category and day ("Test results", "Vital signs").
- Procedure, Encounter, Specimen → readable sections ("Procedures", "Visits", "Specimens").
- Anything else is skipped with its type named; one resource that cannot be read is one ``Skipped``.
- A resource whose subject (or patient) names a Patient the file does not hold is about someone else: it is
  left out, with its reason. One named only by a display name, or naming no one, is read as the file's.
"""

from __future__ import annotations

import datetime as dt
import html
import html.entities
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
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

J = dict[str, Any]

R4 = "R4"
STU3 = "STU3"
DSTU2 = "DSTU2"

LOINC = "http://loinc.org"

# Types read for what they tell about others (never skipped, never a record of their own).
_CONTEXT_TYPES = {"Patient", "Organization", "Practitioner", "PractitionerRole", "Medication", "Location",
                  "Composition", "Bundle", "Binary"}
_DSTU2_ONLY_TYPES = {"MedicationOrder", "DiagnosticOrder", "Order", "OrderResponse", "DeviceUseRequest",
                     "Conformance", "BodySite"}

_FLAGS = {
    "H": "High", "L": "Low", "HH": "Critical high", "LL": "Critical low", "HU": "Very high", "LU": "Very low",
    "A": "Abnormal", "AA": "Critical abnormal", "N": "Normal", ">": "Above the measurable range",
    "<": "Below the measurable range", "POS": "Positive", "NEG": "Negative", "DET": "Detected",
    "ND": "Not detected", "IND": "Indeterminate", "R": "Resistant", "S": "Susceptible", "I": "Intermediate",
    "W": "Worse", "B": "Better", "U": "Significant change up", "D": "Significant change down",
}

_CODE_SYSTEMS = {
    "http://snomed.info/sct": "SNOMED CT", "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10", "http://hl7.org/fhir/sid/icd-9-cm": "ICD-9-CM",
    "urn:oid:2.16.840.1.113883.6.90": "ICD-10-CM", "urn:oid:2.16.840.1.113883.6.96": "SNOMED CT",
    "urn:oid:2.16.840.1.113883.6.103": "ICD-9-CM", LOINC: "LOINC",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm", "http://hl7.org/fhir/sid/icd-o-3": "ICD-O-3",
}

# DiagnosticReport / DocumentReference kinds by category and code (HL7 v2 table 0074, LOINC).
_PATHOLOGY = {"PAT", "SP", "CP", "LP7839-6", "11526-1", "60567-5", "60568-3", "22637-3", "22634-0", "33717-0"}
_MOLECULAR = {"GE", "CG", "51969-4", "81247-9", "55232-3", "LP29693-6-GEN"}
_IMAGING = {"RAD", "CT", "NMR", "NMS", "OUS", "RUS", "RX", "VUS", "XRC", "CUS", "LP29684-5", "18748-4",
            "18726-0", "imaging"}
_LAB = {"LAB", "BG", "BLB", "CH", "HM", "IMM", "MB", "MCB", "MYC", "OSL", "PAR", "SR", "TX", "URN", "VR",
        "LP29693-6", "11502-2", "laboratory", "26436-6"}

_UNITS = {"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}
_WHEN = {"MORN": "in the morning", "AFT": "in the afternoon", "EVE": "in the evening", "NIGHT": "at night",
         "HS": "at bedtime", "WAKE": "on waking", "C": "with a meal", "CM": "with breakfast", "CD": "with lunch",
         "CV": "with dinner", "AC": "before meals", "PC": "after meals", "ACM": "before breakfast",
         "ACD": "before lunch", "ACV": "before dinner", "PCM": "after breakfast", "PCD": "after lunch",
         "PCV": "after dinner"}


# --- small readers of JSON values -------------------------------------------------------------------------------


def _d(value: object) -> J:
    return value if isinstance(value, dict) else {}


def _l(value: object) -> list[Any]:
    """A list whatever the version gives: R4 repeats what DSTU2 sometimes gives once."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _ds(value: object) -> list[J]:
    return [v for v in _l(value) if isinstance(v, dict)]


def _s(value: object) -> str:
    if isinstance(value, str):
        return plain(value)
    if isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        return _num(value)
    return ""


def _num(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _s(value)
    return str(value)


def _cc(value: object) -> str:
    """A CodeableConcept's (or a list of them, or a Coding's) words: text, else a display, else a code."""
    for cc in _ds(value):
        text = _s(cc.get("text"))
        if text:
            return text
        for coding in _ds(cc.get("coding")) or [cc]:
            display = _s(coding.get("display"))
            if display:
                return display
    for cc in _ds(value):
        for coding in _ds(cc.get("coding")) or [cc]:
            code = _s(coding.get("code"))
            if code:
                return code
    return ""


def _codings(value: object) -> list[J]:
    out: list[J] = []
    for cc in _ds(value):
        out.extend(_ds(cc.get("coding")))
        if "code" in cc and "coding" not in cc:
            out.append(cc)
    return out


def _codes(value: object) -> list[str]:
    return [_s(c.get("code")) for c in _codings(value) if _s(c.get("code"))]


def _status(value: object) -> str:
    """A status given as a code (R4 ``clinicalStatus`` coding) or as a plain string (DSTU2)."""
    if isinstance(value, str):
        return plain(value)
    codes = _codes(value)
    return codes[0] if codes else _cc(value)


_ZONED = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*"
                    r"([Zz]|[+-]\d{2}:?\d{2})\s*$")


def _when(value: str) -> str:
    """A FHIR date or time as ISO text (``iso_time``). A time in UTC ("Z", "+00:00": how many systems store a
    moment) is said in this computer's local time, so a blood draw at 21:00 in Chicago written as 02:00 UTC the
    next day keeps its own day. A time with another offset ("-05:00", "+10:00") is already the wall-clock time
    of the place it was taken, the day printed on that lab's report: it stays as written, as do times without a
    zone and dates."""
    m = _ZONED.match(value) if value else None
    if m is not None and m.group(7).replace(":", "")[1:] not in ("", "0000") and m.group(7) not in ("Z", "z"):
        m = None
    if m is not None:
        year, month, day, hour, minute, second, zone = m.groups()
        try:
            offset = dt.timedelta(0)
            if zone not in ("Z", "z"):
                digits = zone[1:].replace(":", "")
                offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                offset = -offset if zone[0] == "-" else offset
            moment = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                                 tzinfo=dt.timezone(offset)).astimezone()
            return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}"
        except (ValueError, OverflowError, OSError):  # out of range (a leap second, year 9999 +14:00): as written
            pass
    return iso_time(value)


def _time(resource: J, *names: str) -> str:
    for name in names:
        value = resource.get(name)
        if isinstance(value, str):
            text = _when(value)
            if text:
                return text
        elif isinstance(value, dict):
            text = _when(_s(value.get("start"))) or _when(_s(value.get("end")))
            if text:
                return text
    return ""


def _quantity(q: object) -> tuple[str, str]:
    """A Quantity's value (with its comparator, "<0.01") and unit."""
    qd = _d(q)
    value = _num(qd.get("value"))
    if value:
        value = _s(qd.get("comparator")) + value
    return value, _s(qd.get("unit")) or _s(qd.get("code"))


def _range(r: object) -> str:
    rd = _d(r)
    low, low_unit = _quantity(rd.get("low"))
    high, high_unit = _quantity(rd.get("high"))
    unit = high_unit or low_unit
    if low and high:
        text = f"{low}-{high}"
    elif low:
        text = f">={low}"
    elif high:
        text = f"<={high}"
    else:
        return ""
    return f"{text} {unit}".strip()


def _person(name: object) -> str:
    """A HumanName (R4 list or DSTU2 single; DSTU2 ``family`` a list) as "Given Family"."""
    names = _ds(name)
    if not names:
        return _s(name)
    chosen = next((n for n in names if n.get("use") == "official"), None) or next(
        (n for n in names if n.get("use") not in ("old", "nickname", "anonymous", "maiden")), names[0])
    text = _s(chosen.get("text"))
    given = " ".join(_s(g) for g in _l(chosen.get("given")) if _s(g))
    family = " ".join(_s(f) for f in _l(chosen.get("family")) if _s(f))
    built = " ".join(p for p in (given, family) if p)
    return built or text


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def _kind(category: object, code: object, extra: Iterable[str] = ()) -> str:
    codes = {c.upper() for c in _codes(category) + _codes(code)} | set(_codes(category)) | set(_codes(code))
    words = " ".join([_cc(category), _cc(code), *extra]).casefold()
    if codes & _PATHOLOGY or "patholog" in words or "biopsy" in words or "cytolog" in words:
        return "pathology"
    if codes & _MOLECULAR or "genetic" in words or "genomic" in words or "molecular" in words:
        return "molecular"
    if codes & _IMAGING or "radiolog" in words or "imaging" in words:
        return "imaging"
    if codes & _LAB or "laborator" in words:
        return "lab"
    return "clinical"


# --- narrative -----------------------------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "section", "article", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul",
               "ol", "table", "dl", "header", "footer", "center"}
_DROP_TAGS = {"script", "style", "head", "title", "object", "embed", "iframe"}
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_KEPT_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def _local(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _text_of(element: Any) -> str:
    parts: list[str] = []

    def walk(el: Any) -> None:
        name = _local(el)
        if name in _DROP_TAGS:
            return
        if name == "br":
            parts.append(" ")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if name in ("p", "div", "li", "td", "th", "tr"):
            parts.append(" ")

    if _local(element):
        walk(element)
    return plain("".join(parts))


def narrative_blocks(div: str, name: str) -> tuple[Block, ...]:
    """An XHTML narrative (``text.div``) as plain paragraphs, lists and tables. Nothing in it is run or
    fetched; markup written as text stays the characters it was."""
    if not div.strip():
        return ()
    fixed = _ENTITY.sub(
        lambda m: m.group(0) if m.group(1) in _KEPT_ENTITIES or m.group(1) not in html.entities.name2codepoint
        else f"&#{html.entities.name2codepoint[m.group(1)]};", div)
    try:
        root = safety.parse_xml(fixed.encode("utf-8"), name)
    except safety.Refused:
        if "<!" in div:
            return ()  # a declaration inside a narrative: nothing of it is worth the risk
        text = plain(html.unescape(re.sub(r"<[^>]*>", " ", re.sub(
            r"(?is)<(script|style)\b.*?</\1\s*>", " ", div))))
        return (Block(kind="paragraph", text=text),) if text else ()
    blocks: list[Block] = []
    _collect(root, blocks)
    return tuple(blocks)


def _collect(element: Any, blocks: list[Block]) -> None:
    inline: list[str] = []

    def flush() -> None:
        text = plain(" ".join(inline))
        inline.clear()
        if text:
            blocks.append(Block(kind="paragraph", text=text))

    if element.text:
        inline.append(element.text)
    for child in element:
        name = _local(child)
        if name in _DROP_TAGS:
            pass
        elif name in _BLOCK_TAGS:
            flush()
            _block(child, name, blocks)
        elif name == "br":
            flush()
        elif name:
            inline.append(_text_of(child))
        if child.tail:
            inline.append(child.tail)
    flush()


def _block(element: Any, name: str, blocks: list[Block]) -> None:
    if name in ("ul", "ol"):
        items = tuple(t for t in (_text_of(li) for li in element if _local(li) == "li") if t)
        if items:
            blocks.append(Block(kind="list", items=items))
    elif name == "dl":
        items_: list[str] = []
        for child in element:
            text = _text_of(child)
            if not text:
                continue
            if _local(child) == "dd" and items_:
                items_[-1] = f"{items_[-1]}: {text}"
            else:
                items_.append(text)
        if items_:
            blocks.append(Block(kind="list", items=tuple(items_)))
    elif name == "table":
        _table(element, blocks)
    elif name in ("div", "section", "article", "blockquote", "header", "footer", "center"):
        _collect(element, blocks)
    else:
        text = _text_of(element)
        if text:
            blocks.append(Block(kind="paragraph", text=text))


def _table(element: Any, blocks: list[Block]) -> None:
    rows: list[tuple[str, ...]] = []
    header = False
    for part in element.iter():
        name = _local(part)
        if name == "caption":
            text = _text_of(part)
            if text:
                blocks.append(Block(kind="paragraph", text=text))
        elif name == "tr":
            cells = [c for c in part if _local(c) in ("td", "th")]
            if not rows and cells and (all(_local(c) == "th" for c in cells) or _local(part.getparent()) == "thead"):
                header = True
            rows.append(tuple(_text_of(c) for c in cells))
    rows = [r for r in rows if any(r)]
    if rows:
        blocks.append(Block(kind="table", rows=tuple(rows), header=header))


def _narrative(resource: J, name: str) -> tuple[Block, ...]:
    div = _d(resource.get("text")).get("div")
    return narrative_blocks(div, name) if isinstance(div, str) else ()


# --- the input: resources with where they were ---------------------------------------------------------------------


@dataclass
class Item:
    """One resource to read, and where it came from."""

    resource: J
    where: str  # "entry 12 (Observation)"
    source: str  # the file, as named inside what was opened
    version: str = R4
    raw: bytes | None = None  # the resource's own file (Apple Health keeps it with its report)
    raw_name: str = ""
    facility: str = ""  # the facility the source names (Apple Health's sourceName)
    full_url: str = ""
    container: Item | None = None  # the resource this one is contained in ("#id" references are local to it)

    @property
    def type(self) -> str:
        return _s(self.resource.get("resourceType"))


@dataclass
class Parts:
    """What a set of resources gives, before it is made a ``Document``."""

    patient: Patient | None = None
    facility: str = ""
    clinician: str = ""
    title: str = ""
    type_code: str = ""
    when: str = ""
    sections: list[Section] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)

    @property
    def latest(self) -> str:
        return max(self.dates, default="")

    @property
    def empty(self) -> bool:
        return not (self.sections or self.reports or self.medications or self.allergies or self.problems
                    or self.links)


def _ref(value: object) -> str:
    return _s(_d(value).get("reference"))


_REF_TAIL = re.compile(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")


class Reader:
    """Reads a set of resources (one file's, or an Apple Health export's) into ``Parts``."""

    def __init__(self, items: list[Item], name: str) -> None:
        self.items = items
        self.name = name
        self.by_key: dict[str, Item] = {}
        for item in items:
            rid = _s(item.resource.get("id"))
            if item.type and rid:
                self.by_key.setdefault(f"{item.type}/{rid}", item)
                self.by_key.setdefault(f"urn:uuid:{rid}", item)
            if item.full_url:
                self.by_key.setdefault(item.full_url, item)
        self.used: set[int] = set()  # id() of resources that belong to a report (or section) already
        self.parts = Parts()
        self._panels: dict[int, str] = {}
        self.check_subjects = False  # leave out resources about a patient other than the file's (``read``)
        self.patients_have_urls = False  # every Patient has a fullUrl: a urn:uuid naming none of them is a stranger

    # -- references --

    def resolve(self, value: object, container: Item | None = None) -> Item | None:
        ref = _ref(value)
        if not ref:
            return None
        if ref.startswith("#"):
            if container is None:
                return None
            # contained ids are local to the containing resource: from inside a contained resource, "#id" names
            # a sibling, and "#" the container itself
            scope = container.container or container
            if ref == "#":
                return scope
            for contained in _ds(scope.resource.get("contained")):
                if _s(contained.get("id")) == ref[1:]:
                    return Item(contained, scope.where, scope.source, scope.version, scope.raw, scope.raw_name,
                                scope.facility, container=scope)
            return None
        found = self.by_key.get(ref)
        if found is not None:
            return found
        m = _REF_TAIL.search(ref)
        return self.by_key.get(f"{m.group(1)}/{m.group(2)}") if m else None

    def display(self, value: object, container: Item | None = None, depth: int = 0) -> str:
        """The name a reference points at: the resource's name, else the reference's display."""
        target = self.resolve(value, container)
        if target is not None and depth < 3:
            res = target.resource
            if target.type in ("Practitioner", "Patient", "RelatedPerson"):
                return self.practitioner(target) if target.type == "Practitioner" else _person(res.get("name"))
            if target.type == "PractitionerRole":
                return (self.display(res.get("practitioner"), target, depth + 1)
                        or self.display(res.get("organization"), target, depth + 1))
            text = _s(res.get("name")) or _cc(res.get("code"))
            if text:
                return text
        return _s(_d(value).get("display"))

    def practitioner(self, item: Item) -> str:
        res = item.resource
        name = _person(res.get("name"))
        quals = [q for q in (_cc(_d(q).get("code")) for q in _ds(res.get("qualification"))) if q]
        if not quals:
            names = _ds(res.get("name"))
            quals = [_s(s) for n in names[:1] for s in _l(n.get("suffix")) if _s(s)]
        qual = next((q for q in quals if len(q) <= 12), "")
        return f"{name}, {qual}" if name and qual else name

    def of_type(self, *types: str) -> list[Item]:
        return [i for i in self.items if i.type in types]

    def stranger(self, item: Item) -> str:
        """The patient ("Patient/pat1") this resource's subject (or DSTU2 patient) names when that is not one
        of the file's Patients; "" when it is one of them, a Group or Device, given only by name, or not given."""
        if not self.check_subjects:
            return ""
        for key in ("subject", "patient"):
            value = item.resource.get(key)
            ref = _ref(value)
            if not ref or ref.startswith("#"):
                continue
            if self.resolve(value, item) is not None:
                continue  # one of the file's Patients (two different ones refuse the file), or not a person
            m = _REF_TAIL.search(ref)
            if m is not None and m.group(1) == "Patient":
                return f"Patient/{m.group(2)}"
            if ref.lower().startswith("urn:uuid:") and self.patients_have_urls:
                return ref[:80]  # a bundle's urn:uuid names one of its entries, and this one it does not hold
        return ""

    def left_out(self, item: Item, where: str = "") -> bool:
        """Whether ``item`` is about another patient; if so, it is said in a Skipped."""
        other = self.stranger(item)
        if other:
            self.parts.skipped.append(Skipped(item.source, where or item.where,
                                              f"this {item.type or 'entry'} is about another patient ({other}); "
                                              "it was left out"))
        return bool(other)

    # -- the whole --

    def read(self, *, patient_hint: Patient | None = None, own_patient_only: bool = False) -> Parts:
        """``own_patient_only``: the resources are one file's, so a resource whose subject (or patient) names a
        Patient that is not the file's own is about someone else and is left out, with its reason."""
        parts = self.parts
        parts.patient = self.patient(patient_hint)
        patients = self.of_type("Patient")
        self.check_subjects = own_patient_only and bool(patients)
        self.patients_have_urls = all(p.full_url for p in patients)
        composition = next(iter(self.of_type("Composition")), None)
        parts.facility = self.facility(composition)
        if composition is not None:
            try:
                self.composition(composition)
            except Exception as exc:  # noqa: BLE001 - the resources are still read without its sections
                parts.skipped.append(Skipped(composition.source, composition.where,
                                             f"its sections could not be read ({exc.__class__.__name__})"))
        else:
            practitioners = self.of_type("Practitioner")
            if len(practitioners) == 1:
                parts.clinician = self.practitioner(practitioners[0])
        self.claim_results()
        procedures: list[tuple[str, ...]] = []
        visits: list[tuple[str, ...]] = []
        specimens: list[tuple[str, ...]] = []
        loose: list[tuple[Item, list[LabResult]]] = []
        for item in self.items:
            try:
                self.one(item, procedures, visits, specimens, loose)
            except safety.Refused:
                raise  # hostile input stops the whole file
            except Exception as exc:  # noqa: BLE001 - one odd resource never fails the whole file
                parts.skipped.append(Skipped(item.source, item.where,
                                             f"this {item.type or 'entry'} could not be read "
                                             f"({exc.__class__.__name__})"))
        self.loose_reports(loose)
        for title, header, rows in (("Procedures", ("Procedure", "Date", "Status", "Body site"), procedures),
                                    ("Visits", ("Visit", "Date", "Where", "Reason"), visits),
                                    ("Specimens", ("Specimen", "Collected", "Body site", "Identifier"), specimens)):
            if rows:
                parts.sections.append(Section(title=title, blocks=(Block(kind="table", rows=(header, *rows)),)))
        return parts

    def patient(self, hint: Patient | None) -> Patient | None:
        patients = self.of_type("Patient")
        found: Patient | None = None
        for item in patients:
            res = item.resource
            ids = []
            for ident in _ds(res.get("identifier")):
                value = _s(ident.get("value"))
                if not value:
                    continue
                label = _cc(ident.get("type")) or ""
                assigner = _s(_d(ident.get("assigner")).get("display"))
                ids.append(" ".join(p for p in (label, value) if p) + (f" ({assigner})" if assigner else ""))
            birth = day_of(_when(_s(res.get("birthDate"))))
            this = Patient(name=_person(res.get("name")), birth_date=birth, identifiers=tuple(ids),
                           sex=_s(res.get("gender")))
            if found is None:
                found = this
            elif not _same_patient(found, this):
                raise safety.Refused(f"{safety.shown(self.name)} holds the records of two different patients; "
                                     "it was not read.")
        if found is None:
            name = ""
            for item in self.items:
                for key in ("subject", "patient"):
                    name = _s(_d(item.resource.get(key)).get("display"))
                    if name:
                        break
                if name:
                    break
            if name or (hint is not None and hint.named):
                found = Patient(name=name)
        if hint is not None and found is not None:
            found = replace(found, birth_date=found.birth_date or hint.birth_date, sex=found.sex or hint.sex,
                            name=found.name or hint.name)
        elif hint is not None and hint.named:
            found = hint
        return found

    def facility(self, composition: Item | None) -> str:
        if composition is not None:
            name = self.display(composition.resource.get("custodian"), composition)
            if name:
                return name
        for item in self.of_type("Patient"):
            name = self.display(item.resource.get("managingOrganization"), item)
            if name:
                return name
        counts: Counter[str] = Counter()
        organizations = {f"Organization/{_s(i.resource.get('id'))}": i for i in self.of_type("Organization")}
        for item in self.items:
            for ref in _references(item.resource):
                m = _REF_TAIL.search(ref)
                target = self.by_key.get(ref) or (self.by_key.get(f"{m.group(1)}/{m.group(2)}") if m else None)
                if target is not None and target.type == "Organization":
                    counts[f"Organization/{_s(target.resource.get('id'))}"] += 1
        for key, _count in counts.most_common():
            org = organizations.get(key)
            if org is not None and _s(org.resource.get("name")):
                return _s(org.resource.get("name"))
        named = [_s(o.resource.get("name")) for o in organizations.values() if _s(o.resource.get("name"))]
        if named:
            return named[0]
        sources = Counter(i.facility for i in self.items if i.facility)
        return sources.most_common(1)[0][0] if sources else ""

    def composition(self, item: Item) -> None:
        res = item.resource
        parts = self.parts
        parts.title = _s(res.get("title")) or _cc(res.get("type"))
        parts.type_code = next((_s(c.get("code")) for c in _codings(res.get("type"))
                                if _s(c.get("system")) == LOINC), "")
        parts.when = _time(res, "date")
        authors = [self.display(a, item) for a in _ds(res.get("author"))]
        parts.clinician = next((a for a in authors if a), "")
        for section in _ds(res.get("section")):
            built = self.section(section, item, 0)
            if built is not None:
                parts.sections.append(built)

    def section(self, section: J, container: Item, depth: int) -> Section | None:
        if depth > 10:
            return None
        title = _s(section.get("title")) or _cc(section.get("code"))
        code = next((_s(c.get("code")) for c in _codings(section.get("code")) if _s(c.get("system")) == LOINC),
                    "") or next(iter(_codes(section.get("code"))), "")
        div = _d(section.get("text")).get("div")
        blocks = list(narrative_blocks(div, self.name)) if isinstance(div, str) else []
        entries: list[str] = []
        for entry in _ds(section.get("entry")):
            target = self.resolve(entry, container)
            if target is not None and self.stranger(target):
                continue  # said once, where the resource itself is read
            if target is not None:
                self.used.add(id(target.resource))
                line = _summary(target.resource)
                if target.resource.get("medicationReference") is not None and line.startswith(target.type):
                    name = self.display(target.resource.get("medicationReference"), target)
                    line = name + line[len(target.type):] if name else line
            else:
                line = _s(entry.get("display"))
            if line:
                entries.append(line)
        if not blocks and entries:
            blocks.append(Block(kind="list", items=tuple(entries)))
        if not blocks:
            empty = _cc(section.get("emptyReason"))
            if empty:
                blocks.append(Block(kind="paragraph", text=empty))
        subsections = tuple(s for s in (self.section(sub, container, depth + 1)
                                        for sub in _ds(section.get("section"))) if s is not None)
        if not title and not blocks and not subsections:
            return None
        return Section(title=title or "Section", code=code, blocks=tuple(blocks), subsections=subsections)

    def claim_results(self) -> None:
        """Observations a DiagnosticReport names belong to that report, not to the loose groups."""
        for item in self.of_type("DiagnosticReport"):
            for ref in _ds(item.resource.get("result")):
                target = self.resolve(ref, item)
                if target is not None and target.type == "Observation":
                    self.used.add(id(target.resource))
                    for member in self.member_tree(target):
                        self.used.add(id(member.resource))
            for ref in _ds(item.resource.get("imagingStudy")):
                target = self.resolve(ref, item)
                if target is not None and target.type == "ImagingStudy":
                    self.used.add(id(target.resource))
        for item in self.of_type("Observation"):
            members = self.members(item)
            for member in members:
                self._panels.setdefault(id(member.resource), _cc(item.resource.get("code")))

    def members(self, item: Item) -> list[Item]:
        res = item.resource
        refs = _ds(res.get("hasMember")) + [_d(r.get("target")) for r in _ds(res.get("related"))
                                            if _s(r.get("type")) in ("has-member", "")]
        out = []
        for ref in refs:
            target = self.resolve(ref, item)
            if target is not None and target.type == "Observation" and target.resource is not res:
                out.append(target)
        return out

    def member_tree(self, item: Item, depth: int = 0, seen: set[int] | None = None) -> Iterator[Item]:
        """Every Observation a panel holds, its member panels' members too (a culture's organism holding its
        susceptibility panels), each once."""
        seen = {id(item.resource)} if seen is None else seen
        if depth > 8:
            return
        for member in self.members(item):
            if id(member.resource) not in seen:
                seen.add(id(member.resource))
                yield member
                yield from self.member_tree(member, depth + 1, seen)

    def report_results(self, target: Item, panel: str, when: str, raws: list[Item], seen: set[int],
                       depth: int = 0) -> list[LabResult]:
        """A report's result: the Observation's own values, else its members' (panels within panels)."""
        if id(target.resource) in seen or depth > 8:
            return []
        seen.add(id(target.resource))
        where = target.where
        if target.container is not None:
            where = f"{where}, contained {_s(target.resource.get('id'))}"
        if self.left_out(target, where):
            return []
        raws.append(target)
        got = self.observation(target, panel, when)
        if got:
            return got
        members = self.members(target)
        if not members:
            self.parts.skipped.append(Skipped(target.source, where, "an Observation with no value"))
            return []
        panel_when = _time(target.resource, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued",
                           "appliesDateTime") or when
        inner = _cc(target.resource.get("code")) or panel
        out: list[LabResult] = []
        for member in members:
            out.extend(self.report_results(member, inner, panel_when, raws, seen, depth + 1))
        return out

    # -- one resource --

    def one(self, item: Item, procedures: list[tuple[str, ...]], visits: list[tuple[str, ...]],
            specimens: list[tuple[str, ...]], loose: list[tuple[Item, list[LabResult]]]) -> None:
        kind = item.type
        res = item.resource
        parts = self.parts
        if not kind:
            parts.skipped.append(Skipped(item.source, item.where, "an entry with no resource type"))
            return
        if kind in _CONTEXT_TYPES:
            return
        if kind == "Observation" and id(res) in self.used:
            return  # read with its report
        if self.left_out(item):
            return
        if _s(res.get("status")) == "entered-in-error" or _status(res.get("verificationStatus")) == "entered-in-error":
            parts.skipped.append(Skipped(item.source, item.where, f"this {kind} was entered in error"))
            return
        if kind == "Observation":
            if id(res) in self.used:
                return
            results = self.observation(item, self._panels.get(id(res), ""))
            if results:
                loose.append((item, results))
            elif not self.members(item):
                parts.skipped.append(Skipped(item.source, item.where, "an Observation with no value"))
        elif kind == "DiagnosticReport":
            parts.reports.append(self.diagnostic_report(item))
        elif kind == "DocumentReference":
            report = self.document_reference(item)
            if report is not None:
                parts.reports.append(report)
        elif kind == "ImagingStudy":
            if id(res) not in self.used:
                parts.reports.append(self.imaging_study(item))
        elif kind == "Condition":
            parts.problems.append(self.condition(item))
        elif kind in ("MedicationStatement", "MedicationRequest", "MedicationOrder"):
            parts.medications.append(self.medication(item))
        elif kind == "AllergyIntolerance":
            parts.allergies.append(self.allergy(item))
        elif kind == "Procedure":
            when = _time(res, "performedDateTime", "performedPeriod", "performedString", "date")
            self._date(when)
            if id(res) not in self.used:
                procedures.append((_cc(res.get("code")) or "Procedure", when, _s(res.get("status")),
                                   _cc(res.get("bodySite"))))
        elif kind == "Encounter":
            when = _time(res, "period", "actualPeriod")
            self._date(when)
            where = next((w for w in (self.display(_d(loc).get("location"), item)
                                      for loc in _ds(res.get("location"))) if w), "") \
                or self.display(res.get("serviceProvider"), item)
            what = _cc(res.get("type")) or _cc(res.get("class")) or _s(res.get("class")) or "Visit"
            reason = _cc(res.get("reasonCode")) or _cc(res.get("reason"))
            if id(res) not in self.used:
                visits.append((what, when, where, reason))
        elif kind == "Specimen":
            collection = _d(res.get("collection"))
            when = _time(collection, "collectedDateTime", "collectedPeriod") or _time(res, "receivedTime")
            ident = _s(_d(res.get("accessionIdentifier")).get("value"))
            if id(res) not in self.used:
                specimens.append((_cc(res.get("type")) or "Specimen", when, _cc(collection.get("bodySite")), ident))
        elif item.version == DSTU2 or kind in _DSTU2_ONLY_TYPES:
            parts.skipped.append(Skipped(item.source, item.where, f"a DSTU2 {kind} resource is not read"))
        else:
            parts.skipped.append(Skipped(item.source, item.where, f"{_article(kind)} {kind} resource is not read"))

    def _date(self, when: str) -> None:
        if when:
            self.parts.dates.append(when)

    def observation(self, item: Item, panel: str = "", report_when: str = "") -> list[LabResult]:
        """The Observation's results; one with no time of its own carries its report's (``report_when``), so
        that the same test on two days is never taken for one result."""
        res = item.resource
        when = _time(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued",
                     "appliesDateTime") or report_when
        self._date(when)
        status = _s(res.get("status"))
        flag = _flag(res.get("interpretation"))
        ranges = "; ".join(r for r in (_s(rr.get("text")) or _range(rr) for rr in _ds(res.get("referenceRange")))
                           if r)
        out: list[LabResult] = []
        own = _value(res)
        test = _cc(res.get("code"))
        if own is not None:
            value, unit = own
            out.append(LabResult(test=test or "Result", loinc=_loinc(res.get("code")), value=value,
                                 number=number_of(value), unit=unit, reference_range=ranges, flag=flag,
                                 when=when, panel=panel, status=status, position=item.where))
        for n, comp in enumerate(_ds(res.get("component")), start=1):
            got = _value(comp)
            if got is None:
                continue
            value, unit = got
            comp_ranges = "; ".join(r for r in (_s(rr.get("text")) or _range(rr)
                                                for rr in _ds(comp.get("referenceRange"))) if r)
            out.append(LabResult(test=_cc(comp.get("code")) or test or "Result", loinc=_loinc(comp.get("code")),
                                 value=value, number=number_of(value), unit=unit,
                                 reference_range=comp_ranges, flag=_flag(comp.get("interpretation")) or "",
                                 when=when, panel=panel or (test if own is None else ""), status=status,
                                 position=f"{item.where}, component {n}"))
        if own is None and not out and flag and not self.members(item):
            # no value but an interpretation: a susceptibility given only as "R" is the result "Resistant"
            out.append(LabResult(test=test or "Result", loinc=_loinc(res.get("code")), value=flag, number=None,
                                 unit="", reference_range=ranges, flag="", when=when, panel=panel, status=status,
                                 position=item.where))
        return out

    def diagnostic_report(self, item: Item) -> Report:
        res = item.resource
        title = _cc(res.get("code")) or "Report"
        when = _time(res, "effectiveDateTime", "effectivePeriod", "issued")
        self._date(when)
        kind = _kind(res.get("category"), res.get("code"))
        results: list[LabResult] = []
        raws: list[Item] = [item]
        seen: set[int] = set()
        for ref in _ds(res.get("result")):
            target = self.resolve(ref, item)
            if target is None or target.type != "Observation":
                continue
            results.extend(self.report_results(target, title, when, raws, seen))
        texts = [_s(res.get("conclusion"))] + [_cc(c) for c in _ds(res.get("conclusionCode"))] + \
            [_cc(c) for c in _ds(res.get("codedDiagnosis"))]
        for ref in _ds(res.get("specimen")):
            target = self.resolve(ref, item)
            if target is not None and target.type == "Specimen":
                texts.append(_specimen_text(target.resource))
            elif _s(ref.get("display")):
                texts.append(f"Specimen: {_s(ref.get('display'))}")
        text = "\n".join(t for t in texts if t)
        if not text and not results:
            text = "\n".join(b.text or "; ".join(b.items) or " | ".join(" ".join(r) for r in b.rows)
                             for b in _narrative(res, self.name))
        files, links = self.attachments(_ds(res.get("presentedForm")), title, item)
        study_uid = accession = modality = body_site = ""
        for ref in _ds(res.get("imagingStudy")):
            target = self.resolve(ref, item)
            if target is not None and target.type == "ImagingStudy":
                study = self.imaging_study(target)
                study_uid, accession = study.study_uid, study.accession_number
                modality, body_site = study.modality, study.body_site
                raws.append(target)
                kind = "imaging" if kind == "clinical" else kind
                break
        # STU3 wraps each performer as {"actor": reference, "role": …}; an actor named only is not a facility
        performers = _ds(res.get("resultsInterpreter")) + [
            _d(p.get("actor")) if "actor" in p else p for p in _ds(res.get("performer"))
            if "actor" not in p or _ref(p.get("actor"))]
        clinician = facility = ""
        for ref in performers:
            target = self.resolve(ref, item)
            if target is not None and target.type == "Organization":
                facility = facility or _s(target.resource.get("name"))
            elif target is not None and target.type in ("Practitioner", "PractitionerRole"):
                clinician = clinician or self.display(ref, item)
            elif target is None and "Practitioner" in _ref(ref):
                clinician = clinician or _s(ref.get("display"))
            elif target is None:  # a performer named only: for a report, the laboratory or department
                facility = facility or _s(ref.get("display"))
        return Report(kind=kind, title=title, when=when, facility=facility or item.facility or self.parts.facility,
                      clinician=clinician, results=tuple(results), files=tuple(files + self.sources(raws)),
                      links=tuple(links), text=text, study_uid=study_uid, accession_number=accession,
                      modality=modality, body_site=body_site, position=item.where)

    def sources(self, items: Iterable[Item]) -> list[Embedded]:
        """The resources' own files (Apple Health keeps each clinical record's JSON with its report)."""
        out: list[Embedded] = []
        seen: set[str] = set()
        for it in items:
            if it.raw is not None and it.raw_name not in seen:
                seen.add(it.raw_name)
                out.append(Embedded(name=safety.shown(it.raw_name), media_type="application/fhir+json", data=it.raw,
                                    position=it.where))
        return out

    def attachments(self, attachments: list[J], title: str, item: Item) -> tuple[list[Embedded], list[Link]]:
        files: list[Embedded] = []
        links: list[Link] = []
        for n, att in enumerate(attachments, start=1):
            media = _s(att.get("contentType")).split(";")[0].strip().lower() or "application/octet-stream"
            label = _s(att.get("title")) or title
            data = att.get("data")
            where = item.where if len(attachments) == 1 else f"{item.where}, attachment {n}"
            if isinstance(data, str) and data.strip():
                body = self.decode(data, item, where)
                if body is not None:
                    files.append(Embedded(name=_file_name(label, media, n), media_type=media, data=body,
                                          position=where))
            elif _s(att.get("url")):
                url = _s(att.get("url"))
                target = self.resolve({"reference": url}, item) if not url.startswith("#") else None
                binary = target.resource if target is not None and target.type == "Binary" else None
                if binary is not None and isinstance(binary.get("data") or binary.get("content"), str):
                    body = self.decode(str(binary.get("data") or binary.get("content")), item, where)
                    media = _s(binary.get("contentType")) or media
                    if body is not None:
                        files.append(Embedded(name=_file_name(label, media, n), media_type=media, data=body,
                                              position=where))
                else:
                    links.append(Link(description=label, url=url, position=where))
        return files, links

    def decode(self, data: str, item: Item, where: str) -> bytes | None:
        """An attachment's base64 data; None (and one Skipped) when it is not base64. A body over the size
        limit is refused with the whole file: it is hostile, not odd."""
        if len(data) - sum(data.count(c) for c in " \n\r\t") > safety.MAX_EMBEDDED_BYTES * 4 // 3 + 4:
            return safety.decode_base64(data, self.name)  # raises Refused
        try:
            return safety.decode_base64(data, self.name)
        except safety.Refused:
            self.parts.skipped.append(Skipped(item.source, where, "its attached file is not valid base64"))
            return None

    def document_reference(self, item: Item) -> Report | None:
        res = item.resource
        attachments = [_d(c.get("attachment")) for c in _ds(res.get("content")) if _d(c.get("attachment"))]
        title = (_s(res.get("description")) or _cc(res.get("type"))
                 or next((_s(a.get("title")) for a in attachments if _s(a.get("title"))), "") or "Document")
        when = _time(res, "date", "created", "indexed") or _time(_d(res.get("context")), "period") or next(
            (_when(_s(a.get("creation"))) for a in attachments if _when(_s(a.get("creation")))), "")
        self._date(when)
        before = len(self.parts.skipped)
        files, links = self.attachments(attachments, title, item)
        if not files and not links and item.raw is None:
            if len(self.parts.skipped) == before:  # not already said of its one attachment
                self.parts.skipped.append(Skipped(item.source, item.where, "a DocumentReference with no attachment"))
            return None
        clinician = ""
        for ref in _ds(res.get("author")):
            target = self.resolve(ref, item)
            if (target.type if target is not None else _ref(ref).split("/")[0]) != "Organization":
                clinician = self.display(ref, item)
                if clinician:
                    break
        facility = self.display(res.get("custodian"), item)
        return Report(kind=_kind(res.get("category") or res.get("class"), res.get("type")), title=title, when=when,
                      facility=facility or item.facility or self.parts.facility, clinician=clinician,
                      files=tuple(files + self.sources([item])), links=tuple(links), position=item.where)

    def imaging_study(self, item: Item) -> Report:
        res = item.resource
        uid = ""
        accession = ""
        for ident in _ds(res.get("identifier")):
            value = _s(ident.get("value"))
            if _s(ident.get("system")) == "urn:dicom:uid" and value:
                uid = uid or value
            elif "ACSN" in _codes(ident.get("type")) and value:
                accession = accession or value
        uid = uid or _s(res.get("uid"))
        if uid.lower().startswith("urn:oid:"):
            uid = uid[8:]
        accession = accession or _s(_d(res.get("accession")).get("value"))
        series = _ds(res.get("series"))
        modalities: list[str] = []
        for code in [_s(c.get("code")) for c in _ds(res.get("modality")) + _ds(res.get("modalityList"))] + \
                [_s(_d(s.get("modality")).get("code")) for s in series]:
            if code and code not in modalities:
                modalities.append(code)
        body_site = next((b for b in (_cc(s.get("bodySite")) for s in series) if b), "")
        description = _s(res.get("description")) or _cc(res.get("procedureCode"))
        title = description or (f"{' '.join(modalities)} imaging study" if modalities else "Imaging study")
        when = _time(res, "started")
        self._date(when)
        n_series = len(series)
        text = description
        if n_series:
            text = "; ".join(t for t in (description, f"{n_series} series") if t)
        return Report(kind="imaging", title=title, when=when, facility=item.facility or self.parts.facility,
                      clinician=self.display(res.get("referrer"), item), files=tuple(self.sources([item])),
                      text=text, study_uid=uid, accession_number=accession, modality=", ".join(modalities),
                      body_site=body_site, position=item.where)

    def condition(self, item: Item) -> Problem:
        res = item.resource
        code_cc = res.get("code")
        name = _cc(code_cc) or "Condition"
        code = code_system = ""
        for coding in _codings(code_cc):
            if _s(coding.get("code")):
                code = _s(coding.get("code"))
                system = _s(coding.get("system"))
                code_system = _CODE_SYSTEMS.get(system, system.rsplit("/", 1)[-1] if system else "")
                break
        stages: list[str] = []
        for stage in _ds(res.get("stage")):
            text = _cc(stage.get("summary"))
            if not text:
                for ref in _ds(stage.get("assessment")):
                    target = self.resolve(ref, item)
                    if target is not None and target.type == "Observation":
                        got = _value(target.resource)
                        text = (got[0] if got else "") or _cc(target.resource.get("code"))
                    else:
                        text = _s(ref.get("display"))
                    if text:
                        break
            if text and text not in stages:
                stages.append(text)
        onset = _time(res, "onsetDateTime", "onsetPeriod", "recordedDate", "dateRecorded", "assertedDate")
        resolved = _time(res, "abatementDateTime", "abatementPeriod")
        self._date(onset)
        return Problem(name=name, code=code, code_system=code_system, status=_status(res.get("clinicalStatus")),
                       onset=onset, resolved=resolved, stage="; ".join(stages), position=item.where)

    def medication(self, item: Item) -> Medication:
        res = item.resource
        concept: object = res.get("medicationCodeableConcept")
        name = _cc(concept)
        if not name and res.get("medicationReference") is not None:
            target = self.resolve(res.get("medicationReference"), item)
            if target is not None:
                concept = target.resource.get("code")
                name = _cc(concept)
            name = name or _s(_d(res.get("medicationReference")).get("display"))
        if not name and isinstance(res.get("medication"), dict):  # R5 CodeableReference
            med = _d(res.get("medication"))
            concept = med.get("concept")
            name = _cc(concept) or self.display(med.get("reference"), item)
        codings = _codings(concept)
        code = next((_s(c.get("code")) for c in codings if "rxnorm" in _s(c.get("system")).lower()), "") or next(
            (_s(c.get("code")) for c in codings if _s(c.get("code"))), "")
        dosages = _ds(res.get("dosageInstruction")) + _ds(res.get("dosage"))
        dose = route = frequency = ""
        instructions: list[str] = []
        for dosage in dosages:
            if not dose:
                quantity: object = dosage.get("doseQuantity") or dosage.get("quantityQuantity")
                dose_range: object = dosage.get("doseRange")
                for dr in _ds(dosage.get("doseAndRate")):
                    quantity = quantity or dr.get("doseQuantity")
                    dose_range = dose_range or dr.get("doseRange")
                value, unit = _quantity(quantity)
                dose = f"{value} {unit}".strip() if value else _range(dose_range)
            route = route or _cc(dosage.get("route"))
            frequency = frequency or _timing(_d(dosage.get("timing")))
            if dosage.get("asNeededBoolean") is True and "as needed" not in frequency:
                frequency = f"{frequency} as needed".strip()
            for text in (_s(dosage.get("text")), _s(dosage.get("patientInstruction"))):
                if text and text not in instructions:
                    instructions.append(text)
        start = _time(res, "effectiveDateTime", "effectivePeriod", "authoredOn", "dateWritten", "dateAsserted")
        end = _when(_s(_d(res.get("effectivePeriod")).get("end"))) or _when(_s(res.get("dateEnded")))
        self._date(start)
        return Medication(name=name or "Medication", code=code, dose=dose, route=route, frequency=frequency,
                          instructions="; ".join(instructions), status=_s(res.get("status")), start=start, end=end,
                          position=item.where)

    def allergy(self, item: Item) -> Allergy:
        res = item.resource
        reactions = _ds(res.get("reaction"))
        concept = res.get("code") or res.get("substance") or next(
            (r.get("substance") for r in reactions if r.get("substance")), None)
        manifestations: list[str] = []
        severities: list[str] = []
        for reaction in reactions:
            for m in _ds(reaction.get("manifestation")):
                text = _cc(m) or _cc(m.get("concept"))
                if text and text not in manifestations:
                    manifestations.append(text)
            sev = _s(reaction.get("severity"))
            if sev and sev not in severities:
                severities.append(sev)
        criticality = {"CRITL": "low", "CRITH": "high", "CRITU": "unable-to-assess"}.get(
            _s(res.get("criticality")), _s(res.get("criticality")))
        severity = ", ".join(severities) or (f"criticality {criticality}" if criticality else "")
        onset = _time(res, "onsetDateTime", "onset", "onsetPeriod", "recordedDate", "assertedDate")
        return Allergy(substance=_cc(concept) or "Allergy", code=next(iter(_codes(concept)), ""),
                       reaction="; ".join(manifestations), severity=severity,
                       status=_status(res.get("clinicalStatus")) or _s(res.get("status")), onset=onset,
                       position=item.where)

    def loose_reports(self, loose: list[tuple[Item, list[LabResult]]]) -> None:
        groups: dict[tuple[str, str, str], list[LabResult]] = {}
        sources: dict[tuple[str, str, str], list[Item]] = {}
        titles: dict[tuple[str, str, str], tuple[str, str]] = {}
        for item, results in loose:
            cat_codes = [c.lower() for c in _codes(item.resource.get("category"))]
            if "vital-signs" in cat_codes:
                title, kind = "Vital signs", "lab"
            elif not cat_codes or "laboratory" in cat_codes:
                title, kind = "Test results", "lab"
            else:
                title, kind = (_cc(item.resource.get("category")) or "Observations").capitalize(), "clinical"
            day = results[0].when[:10] if day_of(results[0].when) else results[0].when
            key = (title, day, item.facility)
            groups.setdefault(key, []).extend(results)
            sources.setdefault(key, []).append(item)
            titles[key] = (title, kind)
        for key, results in groups.items():
            title, kind = titles[key]
            self.parts.reports.append(Report(
                kind=kind, title=title, when=key[1], facility=key[2] or self.parts.facility,
                results=tuple(results), files=tuple(self.sources(sources[key])),
                position=sources[key][0].where))


def _same_patient(a: Patient, b: Patient) -> bool:
    """Two Patient resources of one file name the same person: the same birth date and a name in common
    ("Alex Sample" and "Alexandra Sample" on the same day are one person written two ways)."""
    from secondopinion_desktop.core.people import same_name

    if a.birth_date and b.birth_date and a.birth_date != b.birth_date:
        return False
    if not (a.name and b.name) or same_name(a.name, b.name):
        return True
    if a.birth_date and a.birth_date == b.birth_date:
        def words(name: str) -> set[str]:
            return {w.strip(".,").casefold() for w in name.split() if len(w.strip(".,")) > 1}
        return bool(words(a.name) & words(b.name))
    return False


def _references(value: object, depth: int = 0) -> Iterator[str]:
    if depth > 30:
        return
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str):
            yield ref
        for key, inner in value.items():
            if key not in ("contained", "text") and isinstance(inner, (dict, list)):
                yield from _references(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner, depth + 1)


def _value(res: J) -> tuple[str, str] | None:
    """An Observation's (or component's) value as written and its unit; None when it has none."""
    if isinstance(res.get("valueQuantity"), dict):
        value, unit = _quantity(res["valueQuantity"])
        if value:
            return value, unit
    for key in ("valueString", "valueDateTime", "valueTime", "valueDate"):
        text = _s(res.get(key))
        if text:
            return text, ""
    if res.get("valueCodeableConcept") is not None:
        text = _cc(res.get("valueCodeableConcept"))
        if text:
            return text, ""
    if isinstance(res.get("valueBoolean"), bool):
        return ("Yes" if res["valueBoolean"] else "No"), ""
    if isinstance(res.get("valueInteger"), int) and not isinstance(res.get("valueInteger"), bool):
        return str(res["valueInteger"]), ""
    if isinstance(res.get("valueRange"), dict):
        text = _range(res["valueRange"])
        if text:
            return text, ""
    if isinstance(res.get("valueRatio"), dict):
        num, num_unit = _quantity(res["valueRatio"].get("numerator"))
        den, den_unit = _quantity(res["valueRatio"].get("denominator"))
        if num and den:
            return f"{num}{(' ' + num_unit) if num_unit else ''}/{den}{(' ' + den_unit) if den_unit else ''}", ""
    if isinstance(res.get("valuePeriod"), dict):
        start = _when(_s(res["valuePeriod"].get("start")))
        end = _when(_s(res["valuePeriod"].get("end")))
        if start or end:
            return f"{start} to {end}".strip(), ""
    return None


def _loinc(code: object) -> str:
    return next((_s(c.get("code")) for c in _codings(code) if _s(c.get("system")).rstrip("/") == LOINC), "")


def _flag(interpretation: object) -> str:
    for coding in _codings(interpretation):
        code = _s(coding.get("code"))
        if code in _FLAGS:
            return _FLAGS[code]
    return _cc(interpretation)


def _timing(timing: J) -> str:
    repeat = _d(timing.get("repeat"))
    words = ""
    period = repeat.get("period")
    unit = _UNITS.get(_s(repeat.get("periodUnit")), "")
    freq = repeat.get("frequency", 1)
    if isinstance(period, (int, float)) and not isinstance(period, bool) and period > 0 and unit:
        p = int(period) if float(period).is_integer() else period
        f = int(freq) if isinstance(freq, (int, float)) and not isinstance(freq, bool) and freq > 0 else 1
        if f == 1:
            words = f"once a {unit}" if p == 1 else f"every {p} {unit}s"
        elif p == 1:
            words = f"twice a {unit}" if f == 2 else f"{f} times a {unit}"
        else:
            words = f"{f} times every {p} {unit}s"
    whens = [_WHEN.get(_s(w), "") for w in _l(repeat.get("when"))]
    extra = " and ".join(w for w in whens if w)
    words = " ".join(w for w in (words, extra) if w)
    return words or _cc(timing.get("code"))


def _file_name(label: str, media: str, n: int) -> str:
    ext = {"application/pdf": ".pdf", "text/plain": ".txt", "text/html": ".html", "image/jpeg": ".jpg",
           "image/png": ".png", "image/tiff": ".tif", "application/rtf": ".rtf", "text/rtf": ".rtf",
           "application/xml": ".xml", "text/xml": ".xml", "application/dicom": ".dcm",
           "image/gif": ".gif"}.get(media, "")
    base = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", " ", label).strip(" .") or f"Attachment {n}"
    base = base[:100]
    return base if ext and base.lower().endswith(ext) else base + ext


def _specimen_text(res: J) -> str:
    collection = _d(res.get("collection"))
    bits = [_cc(res.get("type")) or "Specimen"]
    site = _cc(collection.get("bodySite"))
    if site:
        bits.append(f"from {site}")
    when = _time(collection, "collectedDateTime", "collectedPeriod")
    if when:
        bits.append(f"collected {when}")
    ident = _s(_d(res.get("accessionIdentifier")).get("value"))
    if ident:
        bits.append(f"(accession {ident})")
    return "Specimen: " + " ".join(bits)


def _summary(res: J) -> str:
    """One line naming a resource for a section without narrative."""
    kind = _s(res.get("resourceType"))
    name = (_cc(res.get("code")) or _cc(res.get("medicationCodeableConcept")) or _cc(res.get("vaccineCode"))
            or _s(res.get("description")) or _cc(res.get("type")) or _s(res.get("title")))
    if not name and isinstance(res.get("medicationReference"), dict):
        name = _s(res["medicationReference"].get("display"))
    value = _value(res) if kind == "Observation" else None
    when = _time(res, "effectiveDateTime", "effectivePeriod", "onsetDateTime", "performedDateTime",
                 "performedPeriod", "occurrenceDateTime", "authoredOn", "date", "recordedDate")
    bits = [name or kind]
    if value is not None:
        bits.append(f"{value[0]} {value[1]}".strip())
    if when:
        bits.append(when)
    return ", ".join(b for b in bits if b)


# --- version -------------------------------------------------------------------------------------------------------


def version_of(resources: Iterable[J], hint: str = "") -> str:
    """The FHIR version the resources (or the ``hint``, a fhirVersion such as "1.0.2") are written in.

    DSTU2 only for shapes DSTU2 alone has (a single Observation category, an AllergyIntolerance substance, a
    MedicationOrder…). STU3 for shapes STU3 alone has, and for those DSTU2 and STU3 share but R4 changed (a
    single DiagnosticReport category, a Condition status given as a plain code, Observation ``related``) when
    nothing DSTU2-only is there. Else R4. STU3 is read as R4 is, where their fields agree."""
    hint = hint.strip().upper()
    if hint:
        if hint.startswith(("1.0", "0.", "DSTU2", "DSTU 2", "R2")):
            return DSTU2
        if hint.startswith(("3.", "1.4", "1.6", "1.8", "STU3", "STU 3", "R3")):
            return STU3
        if hint[:1].isdigit() or hint.startswith("R"):
            return R4
    found = {_version_hint(res) for res in resources}
    if DSTU2 in found:
        return DSTU2
    return STU3 if STU3 in found else R4


_PRE_R4_TYPES = {"ProcedureRequest", "ReferralRequest", "ImagingManifest", "ProcessRequest", "DataElement"}


def _version_hint(res: J) -> str:
    """DSTU2, STU3 (a shape of STU3's, or one DSTU2 and STU3 share and R4 changed), or "" (nothing tells)."""
    kind = _s(res.get("resourceType"))
    meta = _d(res.get("meta"))
    version = (_s(meta.get("fhirVersion")) or _s(res.get("fhirVersion"))).upper()
    if version:
        return version_of((), version) if version[:1].isdigit() else ""
    profiles = [_s(p).upper() for p in _l(meta.get("profile"))]
    if any("/DSTU2/" in p for p in profiles):
        return DSTU2
    if any("/STU3/" in p for p in profiles):
        return STU3
    # DSTU2 alone
    if kind in _DSTU2_ONLY_TYPES:
        return DSTU2
    if kind == "AllergyIntolerance" and "substance" in res:
        return DSTU2
    if kind == "Condition" and ("dateRecorded" in res or isinstance(res.get("patient"), dict)):
        return DSTU2
    if kind == "Observation" and isinstance(res.get("category"), dict):  # STU3 made it a list
        return DSTU2
    if kind == "DiagnosticReport" and (isinstance(res.get("request"), list) or (
            isinstance(res.get("performer"), dict) and "actor" not in res["performer"])):
        return DSTU2
    if kind == "Patient" and "careProvider" in res:
        return DSTU2
    # STU3 alone, or shared by DSTU2 and STU3
    if kind in _PRE_R4_TYPES:
        return STU3
    if kind == "DiagnosticReport" and (isinstance(res.get("category"), dict) or any(
            isinstance(p, dict) and "actor" in p for p in _l(res.get("performer")))):
        return STU3
    if kind in ("Condition", "AllergyIntolerance") and (
            isinstance(res.get("clinicalStatus"), str) or isinstance(res.get("verificationStatus"), str)
            or "assertedDate" in res):
        return STU3
    if kind in ("Observation", "DiagnosticReport") and ("related" in res or isinstance(res.get("context"), dict)):
        return STU3
    if kind == "ImagingStudy" and "uid" in res and "modalityList" in res:
        return STU3
    return ""


# --- the file ------------------------------------------------------------------------------------------------------


def looks_like_fhir(data: bytes) -> bool:
    """Whether ``data`` looks like FHIR JSON (a resource, a bundle or NDJSON): a cheap look at its start."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    # "resourceType" comes first in most files, but a writer may put a long narrative before it
    return head.startswith(b"{") and data.find(b'"resourceType"', 0, 8 * 1024 * 1024) >= 0


def read_fhir(data: bytes, name: str) -> ReadResult:
    """One FHIR JSON file (a Bundle, a single resource, or NDJSON) as one ``Document``. ``safety.Refused``
    (one sentence naming the file) when the file as a whole cannot be read."""
    shown = safety.shown(name)
    if len(data) > safety.MAX_DOCUMENT_BYTES:
        safety.load_json(data, name)  # refuses with its own sentence
    text = safety.decode_text(data, name)
    if text.count('"resourceType"') > safety.MAX_RESOURCES + 1:
        raise _too_many(shown)
    ndjson = _is_ndjson(text, name)
    skipped: list[Skipped] = []
    items: list[Item] = []
    version_hint = ""
    bundle: J = {}
    if ndjson:
        # one resource a line, lines ending at "\n" only: a JSON string may hold U+2028 and other characters
        # that str.splitlines takes for line ends
        lines = [(n, line.removesuffix("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
        if len(lines) > safety.MAX_RESOURCES:
            raise _too_many(shown)
        for n, line in lines:
            try:
                res = safety.load_json(line, name)
            except safety.Refused:
                if line.count("[") + line.count("{") > safety.MAX_JSON_DEPTH:
                    raise
                skipped.append(Skipped(name, f"line {n}", "this line is not readable JSON"))
                continue
            if not isinstance(res, dict) or not _s(res.get("resourceType")):
                skipped.append(Skipped(name, f"line {n}", "this line is not a FHIR resource"))
                continue
            if res.get("resourceType") == "Bundle":  # a bundle on one line: its entries are the resources
                version_hint = version_hint or _s(_d(res.get("meta")).get("fhirVersion"))
                _flatten(res, f"line {n}, entry", name, items, skipped, 0)
            else:
                items.append(Item(res, f"line {n} ({_s(res.get('resourceType'))})", name))
            if len(items) > safety.MAX_RESOURCES:
                raise _too_many(shown)
    else:
        top = safety.load_json(text, name)
        if not isinstance(top, dict) or not _s(top.get("resourceType")):
            raise safety.Unreadable(f"{shown} is JSON but not a FHIR resource or bundle; it was not read.")
        if top.get("resourceType") == "Bundle":
            bundle = top
            version_hint = _s(_d(top.get("meta")).get("fhirVersion"))
            _flatten(top, "entry", name, items, skipped, 0)
            if len(items) > safety.MAX_RESOURCES:
                raise _too_many(shown)
        else:
            items.append(Item(top, f"the resource ({_s(top.get('resourceType'))})", name))
    version = version_of((i.resource for i in items), version_hint)
    for item in items:
        item.version = version
    reader = Reader(items, name)
    parts = reader.read(own_patient_only=True)
    parts.skipped[:0] = skipped
    parts.skipped.sort(key=lambda sk: [int(n) for n in re.findall(r"\d+", sk.where)[:3]])
    when = parts.when or _when(_s(bundle.get("timestamp"))) or parts.latest
    if parts.empty:
        # A file of only the person (a FHIR export's Patient.ndjson) names whose the download's other files are.
        patients = (parts.patient,) if parts.patient is not None and parts.patient.named else ()
        if patients and not parts.skipped:
            return ReadResult(patients=patients)
        return ReadResult(skipped=(Skipped(name, "", "it holds no results, reports, medications, allergies or "
                                                     "problems that could be read"), *parts.skipped),
                          patients=patients)
    document = Document(
        source=name, format=f"FHIR {version}", kind="clinical", title=parts.title or "Health record download",
        type_code=parts.type_code, when=when, facility=parts.facility, clinician=parts.clinician,
        patient=parts.patient, sections=tuple(parts.sections), reports=tuple(parts.reports),
        medications=tuple(parts.medications), allergies=tuple(parts.allergies), problems=tuple(parts.problems),
        links=tuple(parts.links), skipped=tuple(parts.skipped), original=data, original_name=shown,
        original_media_type="application/fhir+ndjson" if ndjson else "application/fhir+json",
        own_record=bool(parts.medications or parts.allergies or parts.problems or parts.sections),
    )
    return ReadResult(documents=(document,))


def _too_many(shown: str) -> safety.Refused:
    return safety.Refused(f"{shown} holds more than {safety.MAX_RESOURCES:,} resources, more than any health "
                          "record download; it was not read.")


def _is_ndjson(text: str, name: str) -> bool:
    if name.lower().endswith((".ndjson", ".jsonl")):
        return True
    lines = [line for line in text.split("\n", 3)[:3] if line.strip()]
    if len(lines) < 2:
        return False
    first = lines[0].strip()
    if not (first.startswith("{") and first.endswith("}") and '"resourceType"' in first):
        return False
    try:
        return isinstance(safety.load_json(first, name), dict)
    except safety.Refused:
        return False


def _flatten(bundle: J, prefix: str, name: str, items: list[Item], skipped: list[Skipped], depth: int) -> None:
    entries = _l(bundle.get("entry"))
    if len(entries) > safety.MAX_RESOURCES:
        raise _too_many(safety.shown(name))
    for n, entry in enumerate(entries, start=1):
        where = f"{prefix} {n}"
        res = _d(entry).get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            if not (isinstance(entry, dict) and (entry.get("request") or entry.get("response"))):
                skipped.append(Skipped(name, where, "an entry with no resource"))
            continue
        kind = _s(res.get("resourceType"))
        if kind == "Bundle" and depth < 3:
            _flatten(res, f"{where}, entry", name, items, skipped, depth + 1)
            continue
        items.append(Item(res, f"{where} ({kind or 'no type'})", name, full_url=_s(entry.get("fullUrl"))))
        if len(items) > safety.MAX_RESOURCES:
            raise _too_many(safety.shown(name))


__all__ = ["DSTU2", "R4", "STU3", "Item", "Parts", "Reader", "looks_like_fhir", "narrative_blocks", "read_fhir",
           "version_of"]
