"""A new record's fields proposed from a document's text: kind, title, date of service, facility, accession number
and ordering clinician, each with one sentence that says where it came from.

Everything here is read from labelled lines ("Date of service: 10/14/2026", "Ordering physician Dr. Jane Smith")
and the document's first lines (the letterhead and the heading); free text is only used for the kind. The patient
confirms every suggestion: nothing is stored from here.

Dates are read by the small parser below rather than a general one (dateparser): only the written forms records use
are accepted, and only in a labelled value or a file name, so words such as "May" or "2 mg" in a sentence never
become dates; it also keeps a large library and its start-up time out of the app.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secondopinion_desktop.core.documents.model import BY_OCR
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.unit import reading
from secondopinion_desktop.core.words import day_month_year

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from secondopinion_desktop.core.documents.model import PageText

TITLE_MAX = 120
FIELDS = ("kind", "title", "date_of_service", "facility", "accession_number", "clinician")
QUOTE_MAX = 70  # how much of a line a `why` quotes


@dataclass(frozen=True)
class Suggested:
    """One proposed field: its record field name, the value (RecordKind, str or date) and where it came from."""

    field: str
    value: object
    why: str

    def json_value(self) -> object:
        if isinstance(self.value, RecordKind):
            return self.value.value
        if isinstance(self.value, dt.date):
            return self.value.isoformat()
        return self.value


@dataclass(frozen=True)
class Suggestions:
    """What a document's text proposes for a new record; a field is None when nothing was found for it."""

    kind: Suggested | None = None
    title: Suggested | None = None
    date_of_service: Suggested | None = None
    facility: Suggested | None = None
    accession_number: Suggested | None = None
    clinician: Suggested | None = None

    def items(self) -> list[Suggested]:
        found = (getattr(self, name) for name in FIELDS)
        return [item for item in found if item is not None]

    def fields(self) -> dict[str, object]:
        """The suggestions as a record's fields (``kind``, ``title``, ``date_of_service``, ``facility``,
        ``accession_number``, ``clinician``), only those found."""
        return {item.field: item.value for item in self.items()}

    def to_json(self) -> dict[str, Any]:
        return {item.field: {"value": item.json_value(), "why": item.why} for item in self.items()}


# --- the text, line by line -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    page: int
    number: int  # the line's place on its page, from 0
    raw: str  # as read (its spacing kept: two spaces or more may separate columns)
    text: str  # blanks collapsed


# OCR often runs two words together ("SamplewoodCommunity Hospital", "DiagnosticMammogram"): a small word
# followed by a capitalised one is split again (never after two letters, so McDonald and DeVita stay whole)
_JOINED = re.compile(r"(?<=[a-z][a-z][a-z])(?=[A-Z][a-z][a-z])")


def _page_texts(pages: Sequence[str | PageText] | str) -> Iterator[tuple[int, str]]:
    if isinstance(pages, str):
        yield from enumerate(pages.split("\f"), start=1)
        return
    for n, page in enumerate(pages, start=1):
        if isinstance(page, str):
            yield n, page
        else:
            yield page.number, _JOINED.sub(" ", page.text) if page.method == BY_OCR else page.text


def lines_of(pages: Sequence[str | PageText] | str, *, head: int = 0, tail: int = 0, limit: int | None = None,
             near: re.Pattern[str] | None = None) -> list[Line]:
    """Every non-blank line of the pages (the first ``limit`` of them); with ``head``/``tail`` only the
    first/last so many characters of each page (headers and footers, for a quick look at a very long document);
    with ``near`` only the lines that hold that pattern and the line after each (where a label's value may be)."""
    out: list[Line] = []
    for number, body in _page_texts(pages):
        if limit is not None and len(out) >= limit:
            break
        if head and len(body) > head + tail:
            body = body[:head] + "\n" + (body[-tail:] if tail else "")
        body = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
        place = 0
        wanted = near is None
        for raw in body.split("\n"):
            if not raw.strip():
                continue
            if near is not None:
                hit = near.search(raw) is not None
                if not (hit or wanted):
                    place += 1
                    continue
                wanted = hit
            raw = raw.replace("\t", "   ").rstrip()
            out.append(Line(number, place, raw.strip(), " ".join(raw.split())))
            place += 1
    return out[:limit] if limit is not None else out


def quote(line: Line | str, limit: int = QUOTE_MAX) -> str:
    text = line.text if isinstance(line, Line) else " ".join(line.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def where(line: Line) -> str:
    return f'From "{quote(line)}" on page {line.page}'


# --- dates ------------------------------------------------------------------------------------------------------

_MONTH_NAMES = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d|'?\d\d)"
_DATE_FORMS = [
    # 2026-10-14, 2026/10/14, 2026.10.14
    ("iso", r"(?<!\d)(?P<year>(?:19|20)\d\d)[-/.](?P<month>[01]?\d)[-/.](?P<day>[0-3]?\d)(?!\d)"),
    # 10/14/2026, 10-14-26, 14.10.2026
    ("numeric", r"(?<![\d/.-])(?P<a>[0-3]?\d)(?P<sep>[-/.])(?P<b>[0-3]?\d)(?P=sep)(?P<year>(?:19|20)\d\d|\d\d)"
                r"(?![\d/-]|\.\d)"),
    # Oct 14, 2026 / October 14th 2026 / Oct. 14 2026
    ("month_first", rf"(?<![a-z]){_MONTH}\s?{_DAY},?\s*{_YEAR}(?!\d)"),
    # 14 October 2026 / 14-OCT-2026 / 14OCT2026 / 14 Oct, 2026
    ("day_first", rf"(?<!\d){_DAY}(?:\s?(?:of\s)?|-|/){_MONTH}(?:,?\s?|-|/){_YEAR}(?!\d)"),
]
_COMPACT = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)")


def _fix_backrefs(pattern: str) -> str:
    return pattern.replace("(?P=sep)", "(?P=numeric_sep)")


_DATES = re.compile(_fix_backrefs("|".join(
    f"(?P<f_{name}>{body.replace('(?P<', f'(?P<{name}_')})" for name, body in _DATE_FORMS)), re.IGNORECASE)


@dataclass(frozen=True)
class FoundDate:
    value: dt.date
    start: int
    end: int
    text: str
    note: str = ""  # how an ambiguous day and month were read ("read as month/day")


def _year(text: str, today: dt.date) -> int:
    text = text.lstrip("'")
    if len(text) == 4:
        return int(text)
    two = int(text)
    return 2000 + two if 2000 + two <= today.year else 1900 + two


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, *, today: dt.date | None = None, compact: bool = False) -> list[FoundDate]:
    """The dates written in ``text`` in the forms records use, in order. Numbers such as 03/04/2026 are read
    month first (the US order) unless the first is over 12, or the parts are separated by dots (14.10.2026, the
    European order); ``note`` says when a day and month could have been read the other way. ``compact`` also
    takes 20261014 (only in a labelled value or a file name: in free text eight digits are often something else).
    Two-digit years are this century's unless that would be after ``today``."""
    today = today or dt.date.today()
    found: list[FoundDate] = []
    for m in _DATES.finditer(text):
        g = m.groupdict()
        note = ""
        value: dt.date | None = None
        if g["f_iso"]:
            value = _make(int(g["iso_year"]), int(g["iso_month"]), int(g["iso_day"]))
        elif g["f_numeric"]:
            a, b, year = int(g["numeric_a"]), int(g["numeric_b"]), _year(g["numeric_year"], today)
            if g["numeric_sep"] == ".":
                value = _make(year, b, a)
                if value is not None and a <= 12 and b <= 12 and a != b:
                    note = "read as day.month, as dots are written"
            elif a > 12:
                value = _make(year, b, a)
            else:
                value = _make(year, a, b)
                if value is not None and b <= 12 and a != b:
                    note = "read as month/day, the US order"
        elif g["f_month_first"]:
            value = _make(_year(g["month_first_year"], today), _MONTH_NAMES[g["month_first_mon"].lower()],
                          int(g["month_first_day"]))
        elif g["f_day_first"]:
            value = _make(_year(g["day_first_year"], today), _MONTH_NAMES[g["day_first_mon"].lower()],
                          int(g["day_first_day"]))
        if value is not None and value.year >= 1900:
            found.append(FoundDate(value, m.start(), m.end(), m.group(0), note))
    if compact:
        for m in _COMPACT.finditer(text):
            value = _make(int(m["year"]), int(m["month"]), int(m["day"]))
            if value is not None and not any(f.start <= m.start() < f.end for f in found):
                found.append(FoundDate(value, m.start(), m.end(), m.group(0)))
        found.sort(key=lambda f: f.start)
    return found


def first_date(value: str, *, today: dt.date | None = None, within: int = 14) -> FoundDate | None:
    """The date a labelled value starts with (a few words such as "on" may come first)."""
    dates = [d for d in find_dates(value, today=today, compact=True) if d.start <= within]
    return dates[0] if dates else None


# --- labels -----------------------------------------------------------------------------------------------------

# (label, tag, weak): a weak label is an ordinary word ("Collected", "Provider"), taken as a label only with a
# colon after it, at the start of a line, or after a column gap; a strong one wherever it is written.
_LABELS: tuple[tuple[str, str, bool], ...] = (
    # dates of service, best first: collected / procedure / service, then received, then reported / signed
    (r"collection date|date collected|date of collection|specimen collected|collected on", "svc3", False),
    (r"collected|collection", "svc3", True),
    (r"procedure date|date of procedure|exam date|date of exam(?:ination)?|examination date|study date"
     r"|date of study|date of service|service date|dates? of services?|visit date|date of visit|encounter date"
     r"|date of encounter|surgery date|date of surgery|biopsy date|date of biopsy|test date|date performed"
     r"|performed on|dos|admission date|date of admission|admit date|admitted|date of consultation"
     r"|consultation date|date/time collected|collection date/time|date & time collected", "svc3", False),
    (r"discharge date|date of discharge|discharged", "svc2", False),
    (r"date received|received date|received on|date of receipt", "svc2", False),
    (r"received", "svc2", True),
    (r"report date|date reported|reported on|date of report|signed out|sign[- ]out date|date signed out"
     r"|final report date|date finalized|finalized|verified on|date verified|resulted on|result date", "svc1",
     False),
    (r"reported|signed|resulted|verified|report", "svc1", True),
    (r"date", "svc0", True),
    # dates that are never the service's
    (r"date of birth ?/ ?(?:age|sex)|dob ?/ ?(?:age|sex)|d\.o\.b\.? ?/ ?(?:age|sex)|date of birth|birth ?date"
     r"|d\.? ?o\.? ?b\.?|born", "dob", False),
    (r"printed on|print date|date printed|printed|page printed|run date|generated on|faxed on|fax date"
     r"|date of fax|sent on|electronically signed on|copy printed", "printed", False),
    (r"age", "other", True),
    # identifiers
    (r"mrn|m\.r\.n\.|medical record (?:number|no\.?|#)|med rec (?:no\.?|#)|patient id|pt id|chart (?:no\.?|#)"
     r"|account (?:number|no\.?|#)|acct ?(?:no\.?|#)?|encounter (?:number|no\.?|#)|fin|csn|visit (?:no\.?|#)",
     "mrn", False),
    (r"member id|member (?:number|no\.?|#)|subscriber id|group (?:number|no\.?|#)|policy (?:number|no\.?|#)"
     r"|rx ?bin|rx ?pcn|rx ?grp|ssn", "mrn", False),
    (r"accession (?:number|no\.?|#)|accession|acc\.? ?(?:no\.?|#)|case (?:number|no\.?|#)"
     r"|surgical pathology (?:number|no\.?|#)|pathology (?:number|no\.?|#)|specimen (?:number|no\.?|#|id)"
     r"|lab (?:number|no\.?|#)|lab accession|order (?:number|no\.?|#)|report (?:number|no\.?|#)", "acc", False),
    (r"phone|tel|telephone|fax|ph|cell", "phone", True),
    # places
    (r"performed at|performing (?:facility|site|location|laboratory|lab)|testing (?:performed at|laboratory)"
     r"|facility name|ordering facility|testing facility", "fac", False),
    (r"facility|hospital|institution|clinic|location|laboratory|lab", "fac", True),
    (r"address", "other", True),
    # clinicians: ordering first; those who read or signed the report are not the ordering one
    (r"ordering (?:physician|provider|doctor|clinician|md|practitioner)|ordered by|requesting (?:physician"
     r"|provider|doctor|clinician)|requested by|submitting (?:physician|provider|doctor|clinician)|submitted by"
     r"|order(?:ing)? md", "clin3", False),
    (r"referring (?:physician|provider|doctor|clinician|md)|referred by|referral from", "clin2", False),
    (r"referring", "clin2", True),
    (r"attending (?:physician|provider|doctor)|treating (?:physician|provider|doctor)|primary care "
     r"(?:physician|provider|doctor)|pcp|seen by|visit provider|author", "clin1", False),
    (r"provider|physician|attending|doctor|clinician|surgeon|oncologist", "clin1", True),
    (r"pathologist|reading radiologist|radiologist|interpreting (?:physician|radiologist)|interpreted by"
     r"|electronically signed by|signed by|verified by|reviewed by|dictated by|transcribed by|cytotechnologist"
     r"|resident|fellow|laboratory director|medical director|to", "clinx", False),
    (r"cc|copy to|copies to", "clinx", True),
    (r"from", "clin1", True),  # a letter's author
    # who the document is about
    (r"patient name|patient's name|name of patient|pt name|patient|pt|member name|member|name|patient \(last, "
     r"first\)", "patient", True),
    (r"sex|gender", "other", True),
    # parts of a report the title may use
    (r"specimens? submitted|specimens? source|specimen description|specimen site|specimen type|specimens?"
     r"|source|site|tissue|procedure|exam"
     r"|examination|study"
     r"|indication|clinical history|history", "specimen", True),
)


def _alternatives(body: str) -> list[str]:
    """A pattern's top-level alternatives ("a|b(?:c|d)" → "a", "b(?:c|d)")."""
    out, depth, start = [], 0, 0
    for n, char in enumerate(body):
        if char == "(" and (n == 0 or body[n - 1] != "\\"):
            depth += 1
        elif char == ")" and (n == 0 or body[n - 1] != "\\"):
            depth -= 1
        elif char == "|" and depth == 0:
            out.append(body[start:n])
            start = n + 1
    out.append(body[start:])
    return out


# every label's alternatives, longest first: "Date of birth" is tried before "Date", "Specimen #" before "Specimen"
_ALTERNATIVES = sorted(((alt, tag, weak) for body, tag, weak in _LABELS for alt in _alternatives(body)),
                       key=lambda a: -len(a[0]))


def _label_pattern() -> re.Pattern[str]:
    # grouped by first letter behind a look-ahead, so each place in a line tries a handful of labels, not all
    by_letter: dict[str, list[str]] = {}
    for n, (alt, _tag, _weak) in enumerate(_ALTERNATIVES):
        assert alt[0].isalpha(), alt  # every label starts with a letter written as such
        by_letter.setdefault(alt[0].lower(), []).append(f"(?P<l{n}>{alt})")
    groups = [f"(?={letter})(?:{'|'.join(parts)})" for letter, parts in sorted(by_letter.items())]
    return re.compile(r"(?<![\w#.])(?=[a-z])(?:" + "|".join(groups) + r")(?![\w])"
                      r"(?P<colon>\s*[:#]|\s*\.(?=\s)|\s*-(?=\s))?", re.IGNORECASE)


LABEL_PATTERN = _label_pattern()  # any label, for a line's first one
_LABEL = LABEL_PATTERN
_GROUP_NAMES = {index: name for name, index in LABEL_PATTERN.groupindex.items() if name != "colon"}


@dataclass(frozen=True)
class Labelled:
    """A value written after a label on a line: ``tag`` is what the label is for (see ``_LABELS``)."""

    tag: str
    label: str  # as written, with its colon
    value: str
    line: Line
    colon: bool
    start: int = 0  # where the label starts in the line's raw text

    @property
    def name(self) -> str:
        """The label itself, lower case, without its colon: "date of service"."""
        return self.label.rstrip(":#.- ").lower()


def _accept(line: Line, m: re.Match[str], weak: bool) -> bool:
    if not weak or m.group("colon"):
        return True
    before = line.raw[:m.start()]
    if not before.strip():
        return True
    return bool(re.search(r"(?:\s{2,}|[|—–·;]\s*|\s-\s)$", before))


def _tag_of(m: re.Match[str]) -> tuple[str, bool]:
    index = m.lastindex
    if index is not None and m.re.groupindex.get("colon") == index:  # the label's group is the one before it
        index = next(i for i in range(index - 1, 0, -1) if m.group(i) is not None)
    name = _GROUP_NAMES.get(index or 0, "")
    if not name:
        return "other", True  # pragma: no cover - one label group always matched
    _alt, tag, weak = _ALTERNATIVES[int(name[1:])]
    return tag, weak


def labelled(lines: Sequence[Line], *, only: re.Pattern[str] | None = None) -> list[Labelled]:
    """Every labelled value of these lines, in order. A value runs to the next label on the line; a label at the
    end of its line takes the next line as its value (a table read column by column). With ``only``, lines
    that do not hold that pattern are skipped (a quick look for a few labels in a long document)."""
    out: list[Labelled] = []
    for i, line in enumerate(lines):
        if only is not None and only.search(line.raw) is None:
            continue
        matches: list[tuple[re.Match[str], str]] = []
        for m in _LABEL.finditer(line.raw):
            tag, weak = _tag_of(m)
            after_empty = bool(matches) and not line.raw[matches[-1][0].end():m.start()].strip(" —–-|:")
            if _accept(line, m, weak) or (after_empty and m.group(0)[:1].isupper()):
                matches.append((m, tag))  # "MRN Date Nov 12, 2026": a label with no value, then the next
        for k, (m, tag) in enumerate(matches):
            end = matches[k + 1][0].start() if k + 1 < len(matches) else len(line.raw)
            value = " ".join(line.raw[m.end():end].split()).strip(" :;,|-–—")
            if not value and k + 1 == len(matches) and i + 1 < len(lines) and lines[i + 1].page == line.page:
                following = lines[i + 1]
                nxt = _LABEL.match(following.raw)
                if nxt is None or not _accept(following, nxt, _tag_of(nxt)[1]):
                    value = following.text
            out.append(Labelled(tag, " ".join(m.group(0).split()), value, line, bool(m.group("colon")), m.start()))
    return out


# --- kind -------------------------------------------------------------------------------------------------------

_KIND_WORDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.PATHOLOGY: (
        "surgical pathology", "pathology report", "final diagnosis", "final pathologic diagnosis", "specimen",
        "gross description", "microscopic description", "cytology", "cytopathology", "frozen section",
        "pathologist", "biopsy", "histologic", "margins", "synoptic", "excision", "resection", "diagnosis",
        "immunohistochemistry", "lymph node", "carcinoma", "hematopathology", "bone marrow",
    ),
    RecordKind.IMAGING: (
        "ct", "ct chest", "ct abdomen", "computed tomography", "mri", "magnetic resonance", "mammogram",
        "mammography", "ultrasound", "sonogram", "sonography", "pet", "pet/ct", "pet-ct", "x-ray", "xray",
        "radiograph", "bone scan", "impression", "findings", "technique", "comparison", "contrast", "radiology",
        "radiologist", "bi-rads", "tomosynthesis", "dexa", "echocardiogram", "nuclear medicine", "scan",
    ),
    RecordKind.LAB: (
        "complete blood count", "cbc", "metabolic panel", "cmp", "reference range", "ref range",
        "reference interval", "units", "hemoglobin", "platelets", "wbc", "tumor markers", "tumor marker",
        "urinalysis", "lipid panel", "laboratory report", "lab report", "lab results", "test results",
        "creatinine", "glucose", "flag", "abnormal", "ca 15-3", "ca-125", "cea", "psa", "hematocrit",
    ),
    RecordKind.MOLECULAR: (
        "foundation medicine", "foundationone", "oncotype", "oncotype dx", "recurrence score", "mammaprint",
        "guardant", "tempus", "caris", "genomic", "genomics", "gene panel", "germline", "somatic", "variant",
        "variants", "mutation", "next-generation sequencing", "ngs", "tumor mutational burden", "microsatellite",
        "brca1", "brca2", "pathogenic", "biomarker", "biomarkers", "estrogen receptor", "progesterone receptor",
        "her2", "ki-67", "fish", "pd-l1", "21-gene", "genes analyzed", "sequencing", "alterations",
    ),
    RecordKind.CLINICAL: (
        "progress note", "office visit", "visit note", "clinic note", "consultation", "consult", "consult note",
        "discharge summary", "history of present illness", "hpi", "assessment and plan", "assessment", "plan",
        "chief complaint", "reason for visit", "review of systems", "physical exam", "exam", "referral",
        "history and physical", "h&p", "new patient", "follow-up visit", "letter", "dear dr",
    ),
    RecordKind.TREATMENT: (
        "treatment plan", "tumor board", "chemotherapy", "regimen", "cycle", "infusion", "radiation therapy",
        "radiation oncology", "medication list", "medications", "prescription", "operative report",
        "operative note", "procedure note", "treatment summary", "endocrine therapy", "allergies", "dose",
        "proposed plan",
    ),
    RecordKind.IDENTITY: (
        "insurance card", "member id", "member number", "group number", "subscriber", "policy number", "rxbin",
        "rx bin", "rxpcn", "rx pcn", "payer", "copay", "driver license", "driver's license", "health plan",
        "insurance", "identification card", "id card", "plan type", "ppo", "hmo",
    ),
    RecordKind.OTHER: (
        "authorization to release", "release of information", "authorization", "hipaa", "consent", "invoice",
        "statement", "billing", "release",
    ),
}
# words a file name may carry for a kind
_NAME_WORDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.PATHOLOGY: ("pathology", "path", "biopsy", "cytology", "surgpath"),
    RecordKind.IMAGING: ("ct", "mri", "pet", "xray", "x-ray", "mammogram", "mammo", "ultrasound", "us",
                         "imaging", "radiology"),  # not "scan": scanners name every paper so ("Scan 0001.pdf")
    RecordKind.LAB: ("lab", "labs", "cbc", "cmp", "bloodwork", "blood"),
    RecordKind.MOLECULAR: ("genomic", "genomics", "foundation", "foundationone", "oncotype", "ngs", "brca",
                           "germline", "molecular", "biomarker"),
    RecordKind.CLINICAL: ("note", "notes", "visit", "consult", "consultation", "discharge", "referral", "letter"),
    RecordKind.TREATMENT: ("treatment", "chemo", "medications", "medication", "meds", "plan"),
    RecordKind.IDENTITY: ("insurance", "card", "id", "license"),
    RecordKind.OTHER: ("authorization", "release", "consent"),
}
_ORDER = list(_KIND_WORDS)  # ties go to the kind listed first
_TITLE_LABEL = {
    RecordKind.PATHOLOGY: "Pathology report", RecordKind.IMAGING: "Imaging report", RecordKind.LAB: "Lab results",
    RecordKind.MOLECULAR: "Molecular report", RecordKind.CLINICAL: "Clinical note",
    RecordKind.TREATMENT: "Treatment record", RecordKind.IDENTITY: "Insurance card", RecordKind.OTHER: "Document",
}


def _word_pattern(words: Iterable[str]) -> re.Pattern[str]:
    alts = sorted({re.escape(w).replace(r"\ ", r"\s+") for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


_KIND_PATTERNS = {kind: _word_pattern(words) for kind, words in _KIND_WORDS.items()}
_STRONG = {  # a few words count double: they name the document itself
    "surgical pathology", "final diagnosis", "pathology report", "cytology", "foundation medicine", "oncotype",
    "complete blood count", "reference range", "insurance card", "member id", "progress note", "consultation",
    "discharge summary", "ct chest", "mri", "mammogram", "ultrasound", "tumor board", "medication list",
    "treatment plan", "authorization to release", "recurrence score", "gene panel", "germline", "biomarker",
    "metabolic panel", "tumor markers", "office visit", "visit note", "ct", "operative report", "pet/ct",
    "estrogen receptor", "foundationone", "guardant", "tempus", "caris", "mammaprint",
    "history and physical", "operative note", "procedure note", "radiation therapy", "chemotherapy", "referral",
}


def _weight(line: Line, title: Line | None) -> float:
    """How much a kind's word counts on this line: the document's own heading most, then a section heading
    (a short line in capitals, or ending with a colon, or near the top), then a word of the body."""
    if title is not None and line is title:
        return 5.0
    letters = [c for c in line.text if c.isalpha()]
    if not letters or len(line.text.split()) > 10:
        return 1.0
    upper = sum(c.isupper() for c in letters) / len(letters)
    if (upper > 0.9 and len(line.text.split()) <= 6) or line.text.endswith(":") or \
            (line.number < 6 and line.page == 1):
        return 2.0
    return 1.0


BODY_POINTS = 4.0  # what all of a kind's words in the body may add up to


def weight_of_heading(points: float, word: str) -> bool:
    """Whether a word's points came from a heading (weight 2 or more) rather than the body."""
    return points >= (4.0 if word in _STRONG else 2.0)


def _suggest_kind(lines: Sequence[Line], file_name: str) -> Suggested | None:
    scores: dict[RecordKind, float] = {kind: 0.0 for kind in _ORDER}
    best_line: dict[RecordKind, tuple[float, Line, str]] = {}
    counted: dict[tuple[RecordKind, str], float] = {}
    title = _heading_line(lines)
    looked = list(lines[:400])
    if title is not None and not any(line is title for line in looked):
        looked.append(title)  # the heading cut from a line it shared with a labelled value
    if len(lines) >= 2 and lines[0].page == lines[1].page:  # a letterhead broken over two lines
        joined = f"{lines[0].text} {lines[1].text}"
        looked.append(Line(lines[0].page, 0, joined, joined))
    for line in looked:
        weight = _weight(line, title)
        for kind, pattern in _KIND_PATTERNS.items():
            for m in pattern.finditer(line.text):
                word = " ".join(m.group(0).lower().split())
                if word in ("ct", "pet", "mri", "cbc", "cmp", "cea", "psa", "ngs", "fish", "hpi", "ppo", "hmo") \
                        and not m.group(0).isupper():
                    continue  # "ct" in a word list, "Fish" in a name: only the capitals count
                points = weight * (2.0 if word in _STRONG else 1.0)
                before = counted.get((kind, word), 0.0)
                if points <= before:
                    continue  # each word counts once, where it counts most
                counted[(kind, word)] = points
                if kind not in best_line or points > best_line[kind][0]:
                    best_line[kind] = (points, line, m.group(0))
    for (kind, word), points in counted.items():
        scores[kind] += points if weight_of_heading(points, word) else 0.0
    for kind in _ORDER:  # words of the body count, but no more than one heading does
        body = sum(p for (k, w), p in counted.items() if k == kind and not weight_of_heading(p, w))
        scores[kind] += min(body, BODY_POINTS)
    name_words = set(re.split(r"[^a-z0-9-]+", _file_stem(file_name).lower()))
    name_hint: dict[RecordKind, str] = {}
    for kind, words in _NAME_WORDS.items():
        hit = next((w for w in words if w in name_words), None)
        if hit is not None:
            scores[kind] += 2.0
            name_hint[kind] = hit
    kind = max(_ORDER, key=lambda k: (scores[k], -_ORDER.index(k)))
    if scores[kind] < 2.0:
        return None
    if kind in best_line and (best_line[kind][0] >= 2.0 or kind not in name_hint):
        _points, line, word = best_line[kind]
        return Suggested("kind", kind, f'From the words "{quote(word, 40)}" in "{quote(line)}" on page {line.page}')
    if kind in name_hint:
        return Suggested("kind", kind, f'From the word "{name_hint[kind]}" in the file name')
    return None


# --- title ------------------------------------------------------------------------------------------------------

_SMALL_WORDS = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with", "without", "from",
                "vs", "via", "de", "la", "du", "von"}
_KEEP_UPPER = {"CT", "MRI", "PET", "CBC", "CMP", "DNA", "RNA", "HER2", "ER", "PR", "IHC", "FISH", "NGS", "BRCA1",
               "BRCA2", "PD-L1", "US", "IV", "MD", "DO", "PA", "NP", "LLC", "PC", "PLLC", "INC", "USA", "UCLA",
               "UCSF", "NYU", "MSK", "MSKCC", "UPMC", "VA", "HMO", "PPO", "ID", "CEA", "PSA", "TMB", "MSI", "DCIS",
               "IDC", "H&P", "BI-RADS", "PET/CT", "EKG", "ECG", "ICU", "ER/PR", "II", "III", "IV,", "OHSU",
               "UT", "UC", "UNC", "UAB", "UW", "MUSC", "CHOP", "NIH", "NCI", "MDACC"}


def smart_title(text: str, *, sentence: bool = False) -> str:
    """Words written in capitals, as a person would write them: "SURGICAL PATHOLOGY REPORT" → "Surgical Pathology
    Report" (``sentence``: "Surgical pathology report"); known short forms (CT, MRI, HER2) stay in capitals.
    Text already in mixed case is left as it is."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) < 0.8:
        return text
    out = []
    for n, word in enumerate(text.split()):
        core = word.strip("().,;:")
        if core.upper() in ("ST", "MT", "FT", "DR"):
            out.append(word[:1].upper() + word[1:].lower())
        elif core.upper() in _KEEP_UPPER or (len(core) <= 4 and core.isalpha() and not re.search("[AEIOUY]", core)):
            out.append(word)
        elif n and (core.lower() in _SMALL_WORDS or sentence):
            out.append(word.lower())
        else:
            out.append("-".join(p[:1].upper() + p[1:].lower() for p in word.lower().split("-")).replace(
                "'S", "'s"))
    result = " ".join(out)
    return result[:1].upper() + result[1:]


_CAPITALISED = re.compile(r"^[(\[\"']?[A-Z][a-z]+(?:-[A-Za-z][a-z]*)*[)\]\"',.:;]*$")


def sentence_case(text: str) -> str:
    """A heading written in Title Case as record titles are written: "Breast Surgical Oncology Consultation" →
    "Breast surgical oncology consultation". Short forms (MRI, HER2), words with capitals inside
    (FoundationOne) or digits (21-Gene) keep theirs; text that is not in Title Case is left as it is."""
    words = text.split()
    capitalised = [bool(_CAPITALISED.match(w)) for w in words]
    outside = re.sub(r"\([^()]*\)", " ", text).split()  # "(with tomosynthesis)" does not decide it
    counted = [w.strip("[\"',.:;") for w in outside if w.strip("[\"',.:;").lower() not in _SMALL_WORDS]
    if len(words) < 2 or sum(w[:1].isupper() or w[:1].isdigit() for w in counted) < 0.8 * len(counted):
        return text
    return " ".join(w.lower() if n and capitalised[n] else w for n, w in enumerate(words))


def _cut(text: str, limit: int = TITLE_MAX) -> str:
    text = text.strip(" .:;,-–—")
    if len(text) <= limit:
        return text
    cut = text[:limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return cut[:limit]


_DOC_WORDS = re.compile(
    r"\b(report|note|summary|panel|count|assay|consult(?:ation)?|results?|scan|study|exam|examination|letter"
    r"|list|card|authorization|pathology|cytology|ct|mri|pet|mammogram|ultrasound|x-ray|radiograph|profile"
    r"|test|analysis|plan|markers?|biopsy|visit|discharge|referral|history|addendum|sequencing)\b",
    re.IGNORECASE)
_NOT_TITLE = re.compile(r"\b(sample|fictional|confidential|page \d|patient copy|continued)\b|@|www\.|https?:",
                        re.IGNORECASE)


_NOT_FACILITY = re.compile(r"\b(records?|personal|patient|confidential|page|kept by|prepared by|fax|attention)\b",
                           re.IGNORECASE)


def _looks_like_facility_line(text: str) -> bool:
    return bool(_ORG_WORDS.search(text)) and not _DOC_WORDS.search(text) and not _NOT_FACILITY.search(text)


_NUMBERED = re.compile(r"\s*\([^()]*\d{3,}[^()]*\)")  # "(Addendum to S26-04412)"


_INLINE_LABEL = re.compile(r"\s(?=\S[^:]{0,30}:(?:\s|$))")  # where "Accession:" may start inside a line


def _before_inline_label(line: Line) -> Line:
    """A heading that OCR or a layout put on one line with a labelled value ("SURGICAL PATHOLOGY REPORT
    Accession: S26-04412"): the words before the label, as a line of their own."""
    for m in _INLINE_LABEL.finditer(line.text):
        rest = line.text[m.end():]
        label = _LABEL.match(rest)
        if label is not None and label.group("colon") and m.start() >= 4:
            head = line.text[:m.start()].rstrip(" -–—|")
            return Line(line.page, line.number, head, head)
    return line


def _heading_line(lines: Sequence[Line]) -> Line | None:
    """The document's own heading: the first short line near the top of page 1 that names a kind of document
    (not the letterhead, not an address, not a labelled value)."""
    if not lines:
        return None
    first = lines[0].page
    candidates = []
    for line in lines[:25]:
        if line.page != first:
            break
        line = _before_inline_label(line)
        text = line.text
        words = text.split()
        if len(words) > 14 or len(text) < 4 or _NOT_TITLE.search(text) or _PHONE.search(text):
            continue
        if re.search(r"\d{3,}", _NUMBERED.sub("", text)):
            continue
        m = _LABEL.match(line.raw)
        if m is not None and (m.group("colon") or _tag_of(m)[0] not in ("fac", "specimen", "other")):
            continue  # "Report date", "Patient name": a labelled value, not a heading
        if _DOC_WORDS.search(text):
            return line
        candidates.append(line)
    for line in candidates[:10]:  # no line names a kind of document: one that names a test ("FoundationOne CDx")
        if any(" ".join(m.group(0).lower().split()) in _STRONG for p in _KIND_PATTERNS.values()
               for m in p.finditer(line.text)):
            return line
    return None


_PROCEDURES = re.compile(
    r"(core (?:needle )?biopsy|needle core biopsy|excisional biopsy|incisional biopsy|punch biopsy|shave biopsy"
    r"|fine[- ]needle aspiration|lumpectomy|partial mastectomy|mastectomy|excision|resection|biopsy)",
    re.IGNORECASE)


def _specimen_words(items: Sequence[Labelled], lines: Sequence[Line]) -> str:
    """"left breast core biopsy" from "SPECIMEN: A. Left breast, 2 o'clock, core needle biopsy"."""
    texts = [i.value for i in items if i.tag == "specimen" and i.name.startswith("specimen") and i.value]
    for n, line in enumerate(lines[:60]):  # "SPECIMEN" on a line of its own, the description below
        if re.fullmatch(r"specimens?(?: submitted)?:?", line.text, re.IGNORECASE) and n + 1 < len(lines):
            texts.append(lines[n + 1].text)
    for text in texts:
        text = re.sub(r"^\(?[A-Z1-9][.)]\s+", "", text.strip())
        site = re.split(r"[,;:(]", text, maxsplit=1)[0].strip()
        site = re.sub(r"\s*[-–—]\s*.*$", "", site)
        if not site or len(site.split()) > 6 or re.search(r"\d", site):
            continue
        procedure = _PROCEDURES.search(text)
        words = site.lower()
        if procedure is not None and procedure.group(0).lower() not in words:
            words += " " + procedure.group(0).lower()
        return words
    return ""


def _suggest_title(lines: Sequence[Line], items: Sequence[Labelled], kind: RecordKind | None,
                   file_name: str) -> Suggested | None:
    heading = _heading_line(lines)
    if heading is not None:
        title = sentence_case(smart_title(_NUMBERED.sub("", heading.text).strip(" :"), sentence=True))
        if kind == RecordKind.PATHOLOGY and len(title.split()) <= 4:
            specimen = _specimen_words(items, lines)
            if specimen and specimen not in title.lower():
                return Suggested("title", _cut(f"{title} — {specimen}"),
                                 f'{where(heading)}, with the specimen described below it')
        return Suggested("title", _cut(title), where(heading))
    for item in items:  # "EXAM: CT CHEST W/O CONTRAST"
        if item.tag == "specimen" and item.colon and item.value and \
                item.name in ("exam", "examination", "study", "procedure", "test") and \
                len(item.value.split()) <= 14 and not first_date(item.value):
            return Suggested("title", _cut(smart_title(item.value, sentence=True)), where(item.line))
    stem = _file_words(file_name)
    if stem:
        return Suggested("title", _cut(stem), f'From the file name "{quote(file_name, 60)}"')
    if kind is not None:
        return Suggested("title", _TITLE_LABEL[kind], "No heading was found; named after its kind")
    return None


def _file_stem(file_name: str) -> str:
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


_CAMERA_NAME = re.compile(r"^(img|image|scan|scanned|doc|document|dsc|pxl|photo|file|page|untitled|download"
                          r"|screenshot|fax|att|attachment|new|copy)?[\s_-]*\d*$", re.IGNORECASE)


def _file_words(file_name: str) -> str:
    """A title from a file name written by a person ("2026-08-26_breast_biopsy_report.pdf" → "Breast biopsy
    report"); "" for names a camera or scanner gives ("IMG_2041.jpg", "scan0001.pdf")."""
    stem = _file_stem(file_name)
    for m in _file_name_dates(stem):
        stem = stem[:m[1]] + " " + stem[m[2]:]
    words = " ".join(re.sub(r"[_]+|(?<=[a-z])-(?=[a-z])|\s+-\s+", " ", stem).split()).strip(" -.")
    if not words or _CAMERA_NAME.match(words) or not re.search(r"[A-Za-z]{3}", words):
        return ""
    words = smart_title(words, sentence=True)
    return words[:1].upper() + words[1:]


# --- date of service --------------------------------------------------------------------------------------------

_RANK = {"svc3": 3, "svc2": 2, "svc1": 1, "svc0": 0}  # collected / procedure / service, received, reported, "Date"
_REPORT_DATE_ONLY = " (the report's own date: no date of collection or service was found)"
_FILE_DATES = [
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)[-_. ]?(?P<m>[01]\d)[-_. ]?(?P<d>[0-3]\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<d>[0-3]\d)[-_.](?P<m>[01]\d)[-_.](?P<y>(?:19|20)\d\d)(?!\d)"),
]


def _file_name_dates(stem: str) -> list[tuple[dt.date, int, int]]:
    found: list[tuple[dt.date, int, int]] = []
    for pattern in _FILE_DATES:
        for m in pattern.finditer(stem):
            value = _make(int(m["y"]), int(m["m"]), int(m["d"]))
            if value is not None and not any(s <= m.start() < e for _v, s, e in found):
                found.append((value, m.start(), m.end()))
    return sorted(found, key=lambda f: f[1])


def _usable(day: dt.date, today: dt.date) -> bool:
    return dt.date(1900, 1, 1) <= day <= today


def _suggest_date(items: Sequence[Labelled], file_name: str, today: dt.date) -> Suggested | None:
    """The best-ranked labelled date (the first of equal rank) that is neither in the future nor before 1900;
    else a date in the file name. A date of birth or a printed-on date has labels of its own, never ranked."""
    best: tuple[int, FoundDate, Labelled] | None = None
    for item in items:
        rank = _RANK.get(item.tag)
        if rank is None:
            continue
        found = first_date(item.value, today=today)
        if found is None or not _usable(found.value, today):
            continue
        if best is None or rank > best[0]:
            best = (rank, found, item)
    if best is not None:
        rank, found, item = best
        why = f'From "{quote(item.label + " " + item.value)}" on page {item.line.page}'
        if found.note:
            why += f" ({found.note}: {day_month_year(found.value)})"
        return Suggested("date_of_service", found.value, why + (_REPORT_DATE_ONLY if rank == 1 else ""))
    for value, _start, _end in _file_name_dates(_file_stem(file_name)):
        if _usable(value, today):
            return Suggested("date_of_service", value, f'From the date in the file name "{quote(file_name, 60)}"')
    return None


# --- facility ---------------------------------------------------------------------------------------------------

_ORG_WORDS = re.compile(
    r"\b(hospitals?|hosp|center|centre|ctr|clinics?|medical|medicine|health|healthcare|laborator(?:y|ies)|labs?"
    r"|institute|inst|imaging|radiology|diagnostics|oncology|associates|university|univ|foundation|group"
    r"|practice|care|system|kettering|mayo|cancer|genomics|genetics|pathology associates|physicians|partners"
    r"|infirmary|sanatorium|klinik|klinikum|hôpital|hopital|ospedale|hospital|corporation|inc|llc|ltd|gmbh"
    r"|sciences|biosciences|medicine)\b", re.IGNORECASE)
_ABBREVIATIONS = {
    "ctr": "center", "cntr": "center", "centre": "center", "hosp": "hospital", "med": "medical", "univ": "university",
    "inst": "institute", "lab": "laboratory", "labs": "laboratories", "lab.": "laboratory", "st": "saint",
    "mt": "mount", "ft": "fort", "hlth": "health", "sys": "system", "assoc": "associates", "dept": "department",
    "&": "and", "intl": "international", "natl": "national", "reg": "regional", "comm": "community",
    "gen": "general", "mem": "memorial", "ctr.": "center",
}
_NOISE = {"the", "of", "and", "at", "inc", "llc", "pc", "pllc", "ltd", "corp", "co", "department", "dept",
          "division", "a", "an", "for"}
_PHONE = re.compile(r"\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\+\d[\d\s().-]{8,}\d")


def _org_tokens(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower().replace("&", " and ")
    tokens = []
    for word in re.findall(r"[a-z0-9]+", plain.replace("-", " ")):
        word = _ABBREVIATIONS.get(word, word)
        if word not in _NOISE:
            tokens.append(word)
    return tokens


def _initials(tokens: Sequence[str]) -> str:
    return "".join(t[0] for t in tokens)


def match_facility(text: str, facilities: Sequence[str]) -> tuple[str, float] | None:
    """The known facility ``text`` names (abbreviations such as Ctr, Hosp, Univ read in full; case, accents
    and "Inc." ignored; a known name's initials, MSKCC, count too), with the score; None when none is close.

    Scores are rapidfuzz's token_sort_ratio (≥ 86: the same words, one or two spelt differently), or
    token_set_ratio ≥ 95 when the text holds most (60 %) of the known name's words ("Memorial Sloan
    Kettering"): a bare "Hospital" or a shared town name is never a match."""
    from rapidfuzz import fuzz

    tokens = _org_tokens(text)
    if not tokens:
        return None
    wanted = " ".join(tokens)
    best: tuple[str, float] | None = None
    for name in facilities:
        known = _org_tokens(name)
        if not known:
            continue
        joined = " ".join(known)
        if len(tokens) == 1 and len(tokens[0]) >= 3 and tokens[0] == _initials(known) and len(known) >= 3:
            score = 90.0
        else:
            score = fuzz.token_sort_ratio(wanted, joined)
            if score < 86:
                common = set(tokens) & set(known)
                if len(tokens) >= 2 and len(common) >= 0.6 * len(set(known)) and \
                        fuzz.token_set_ratio(wanted, joined) >= 95:
                    score = max(score, 86.0)
        if score >= 86 and (best is None or score > best[1]):
            best = (name, score)
    return best


def _facility_candidates(items: Sequence[Labelled], lines: Sequence[Line]) -> list[tuple[str, Line, str]]:
    """(text, line, how) to try as the facility, best source first: a "Facility:" / "Performed at:" value, then
    the letterhead (the first lines of page 1, split at separators)."""
    out: list[tuple[str, Line, str]] = []
    for item in items:
        if item.tag == "fac" and item.value and (item.colon or item.name not in ("lab", "laboratory")):
            value = _PHONE.split(item.value)[0].strip(" ,;")
            out.append((value, item.line, "labelled"))
    if lines:
        first = lines[0].page
        if len(lines) >= 2 and lines[1].page == first and all(
                len(x.text.split()) <= 3 and not _LABEL.match(x.raw) for x in lines[:2]):
            joined = Line(first, 0, f"{lines[0].raw} {lines[1].raw}", f"{lines[0].text} {lines[1].text}")
            out.append((joined.text, joined, "letterhead"))  # "FOUNDATION" / "MEDICINE"
        for line in lines[:8]:
            if line.page != first:
                break
            label = _LABEL.match(line.raw)
            if label is not None and label.group("colon"):
                continue
            for part in re.split(r"\s*(?:[|·•—–]|\s-\s|\s{2,}|,\s(?=department|dept|division))\s*", line.raw):
                part = part.strip(" ,;")
                if part and not _PHONE.search(part) and not re.match(r"^\d", part):
                    out.append((part, line, "letterhead"))
    return out


def _clean_org(text: str) -> str:
    text = re.sub(r"\s*\(.*?\)\s*", " ", text)
    text = re.split(r",\s*(?=\d)|\s+\d{2,}", text)[0]
    return smart_title(" ".join(text.split()).strip(" ,;:.-"))


def _suggest_facility(items: Sequence[Labelled], lines: Sequence[Line],
                      facilities: Sequence[str]) -> Suggested | None:
    candidates = _facility_candidates(items, lines)
    if facilities:
        for text, line, _how in candidates:
            match = match_facility(text, facilities)
            if match is not None:
                why = where(line)
                if " ".join(text.split()).casefold() != match[0].casefold():
                    why += f", a known facility ({match[0]})"
                return Suggested("facility", match[0], why)
    for text, line, how in candidates:
        if how == "labelled" or _looks_like_facility_line(text):
            name = _clean_org(text)
            if 3 <= len(name) <= 300 and len(name.split()) <= 10 and re.search(r"[A-Za-z]{2}", name):
                return Suggested("facility", name, where(line) + " (not in your facilities yet)")
    return None


# --- accession number -------------------------------------------------------------------------------------------

_ID_TOKEN = re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)[A-Z0-9]{1,8}(?:[-/][A-Z0-9]{1,10}){0,3}(?![\w-])",
                       re.IGNORECASE)
# accession numbers as pathology and labs write them: S26-04412, SP-26-1234, 26-SP-004412, SCH-S-10442
_ACCESSION = re.compile(
    r"(?<![\w-])(?:[A-Z]{1,4}-?\d{2}-\d{3,7}|\d{2}-[A-Z]{1,4}-\d{3,7}|[A-Z]{2,4}-[A-Z]{1,3}-\d{3,7}"
    r"|[A-Z]{1,3}\d{2}-\d{3,7})(?![\w-])")


def _suggest_accession(items: Sequence[Labelled], lines: Sequence[Line],
                       kind: RecordKind | None) -> Suggested | None:
    not_these: set[str] = set()
    for item in items:
        if item.tag in ("mrn", "phone"):
            not_these.update(t.upper() for t in _ID_TOKEN.findall(item.value))
    for item in items:
        if item.tag != "acc" or not item.value:
            continue
        value = _PHONE.sub(" ", item.value)
        for token in _ID_TOKEN.findall(value.split(" (")[0])[:2]:
            if token.upper() in not_these or first_date(token) is not None:
                continue
            if len(token) < 4 or not re.search(r"\d", token):
                continue
            return Suggested("accession_number", token.upper(),
                             f'From "{quote(item.label + " " + item.value)}" on page {item.line.page}')
    if kind not in (RecordKind.PATHOLOGY, RecordKind.MOLECULAR, None):
        return None
    for line in lines[:80]:  # a pathology number written without its label, near the top
        if _PHONE.search(line.text):
            continue
        for m in _ACCESSION.finditer(line.text):
            token = m.group(0).upper()
            if token in not_these or first_date(token) is not None:
                continue
            before = line.text[:m.start()].lower()
            if re.search(r"\b(see|of|to|from|addendum|prior|previous)\W*$", before) or "(" in before[-2:]:
                continue
            return Suggested("accession_number", token, where(line))
    return None


# --- clinician --------------------------------------------------------------------------------------------------

_DEGREES = {"md", "m.d", "do", "d.o", "phd", "ph.d", "ms", "msc", "cgc", "np", "pa", "pa-c", "rn", "facs", "facp",
            "mbbs", "frcpc", "frcp", "dnp", "arnp", "aprn", "fnp", "fnp-c", "mph", "mba", "faap", "fasco", "ma",
            "bsn", "msn", "crnp", "pharmd", "rd", "lcsw", "dds", "dmd", "od", "jr", "sr", "ii", "iii", "mbchb",
            "frcs", "fcap", "esq"}
_TITLES = re.compile(r"^(?:dr|doctor|prof|professor|mr|mrs|ms|miss|mx)\.?\s+", re.IGNORECASE)
_NAME_WORD = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’.-]*$")


def clean_person(text: str) -> str:
    """A clinician's name without title, degrees, phone or department: "Dr. Jane Smith, MD" → "Jane Smith",
    "SMITH, JANE A MD" → "Jane A Smith"; "" when it does not look like a name."""
    text = _PHONE.split(text)[0]
    text = re.split(r"[;(/]| - |\s{2,}| – | — ", text)[0]
    text = _TITLES.sub("", text.strip())
    parts = [p.strip() for p in text.split(",")]
    kept: list[str] = []
    for part in parts:
        words = [w for w in part.split() if w.lower().strip(".") not in _DEGREES]
        if not words:
            continue
        kept.append(" ".join(words))
    if not kept:
        return ""
    if len(kept) >= 2 and len(kept[0].split()) == 1 and all(_NAME_WORD.match(w) for w in kept[1].split()):
        name = f"{kept[1]} {kept[0]}"  # LAST, FIRST
    else:
        name = kept[0]
    words = name.split()
    words = [w for w in words if w.lower().strip(".") not in _DEGREES]
    if not 1 <= len(words) <= 5 or not all(_NAME_WORD.match(w) for w in words):
        return ""
    if any(w.lower() in _NOT_NAME for w in words) or not any(len(w.strip(".")) > 1 for w in words):
        return ""
    if not all(w[:1].isupper() for w in words if w.lower() not in ("van", "von", "de", "da", "del", "la", "le")):
        return ""
    return smart_title(" ".join(words))


_NOT_NAME = {"the", "of", "and", "laboratory", "director", "department", "hospital", "center", "clinic", "reading",
             "radiologist", "pathologist", "patient", "unknown", "none", "n/a", "na", "self", "staff", "team",
             "oncology", "medical", "services", "report", "see", "on", "file", "to", "for", "office",
             "physician", "provider", "doctor", "not", "applicable", "pending", "same", "as", "above", "name",
             "date", "signed", "by", "md", "medicine", "surgery", "radiology", "pathology"}


def match_clinician(name: str, clinicians: Sequence[str]) -> str | None:
    """The known clinician this cleaned name is (order, case, accents, middle initials and degrees ignored;
    a surname alone when only one known clinician has it)."""
    from rapidfuzz import fuzz

    def key(text: str) -> list[str]:
        plain = unicodedata.normalize("NFKD", clean_person(text) or text)
        plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
        return [w for w in re.findall(r"[a-z]+", plain.replace("-", " ")) if len(w) > 1 and w not in _DEGREES]

    wanted = key(name)
    if not wanted:
        return None
    best: tuple[float, str] | None = None
    for known in clinicians:
        words = key(known)
        if not words:
            continue
        score = fuzz.token_sort_ratio(" ".join(wanted), " ".join(words))
        if set(wanted) <= set(words) and len(wanted) >= 2:
            score = max(score, 95.0)
        if score >= 88 and (best is None or score > best[0]):
            best = (score, known)
    if best is not None:
        return best[1]
    if len(wanted) == 1:
        same = [known for known in clinicians if key(known) and key(known)[-1] == wanted[0]]
        if len(same) == 1:
            return same[0]
    return None


def _suggest_clinician(items: Sequence[Labelled], kind: RecordKind | None,
                       clinicians: Sequence[str]) -> Suggested | None:
    ranks = {"clin3": 3, "clin2": 2, "clin1": 1}
    if kind == RecordKind.CLINICAL:  # a visit note's clinician is the one who saw the patient, not the referrer
        ranks = {"clin3": 3, "clin1": 2, "clin2": 1}
    if kind == RecordKind.IDENTITY:
        return None  # an insurance card's primary care doctor did not order anything
    best: tuple[int, int, str, Labelled] | None = None
    for n, item in enumerate(items):
        rank = ranks.get(item.tag)
        if rank is None or not item.value:
            continue
        if item.tag == "clin1" and not item.colon and item.name in ("doctor", "clinician", "surgeon", "oncologist"):
            continue
        name = clean_person(item.value)
        if not name:
            continue
        if best is None or rank > best[0]:
            best = (rank, -n, name, item)
    if best is None:
        return None
    _rank, _n, name, item = best
    why = f'From "{quote(item.label + " " + item.value)}" on page {item.line.page}'
    known = match_clinician(name, clinicians) if clinicians else None
    if known is not None:
        if known.casefold() != name.casefold():
            why += f", a known clinician ({known})"
        return Suggested("clinician", known, why)
    return Suggested("clinician", name, why + " (not in your clinicians yet)" if clinicians else why)


# --- the whole of it --------------------------------------------------------------------------------------------

MAX_LINES = 3000  # what is looked at of a long document: its first pages say what it is


def suggest(
    pages: Sequence[str | PageText] | str,
    *,
    file_name: str = "",
    facilities: Sequence[str] = (),
    clinicians: Sequence[str] = (),
    today: dt.date | None = None,
) -> Suggestions:
    """What this document's text (a string, or its pages in order) proposes for a new record. ``facilities``
    and ``clinicians`` are the known names: a match gives the known name exactly. ``file_name`` gives hints: a
    date in it is taken when the text has none, and its words help tell the kind."""
    today = today or dt.date.today()
    lines = lines_of(pages, limit=MAX_LINES)
    items = labelled(lines)
    kind = _suggest_kind(lines, file_name)
    kind_value = kind.value if kind is not None and isinstance(kind.value, RecordKind) else None
    return Suggestions(
        kind=kind,
        title=_suggest_title(lines, items, kind_value, file_name),
        date_of_service=_suggest_date(items, file_name, today),
        facility=_suggest_facility(items, lines, facilities) if lines else None,
        accession_number=_suggest_accession(items, lines, kind_value) if lines else None,
        clinician=_suggest_clinician(items, kind_value, clinicians),
    )


@reading
def suggest_for(session: Session, pages: Sequence[str | PageText] | str, *, file_name: str = "",
                today: dt.date | None = None) -> Suggestions:
    """``suggest`` with this data folder's facilities and clinicians as the known names."""
    from secondopinion_desktop.core import directory

    facilities = [f.name for f in directory.list_facilities(session)]
    clinicians = [c.name for c in directory.list_clinicians(session)]
    return suggest(pages, file_name=file_name, facilities=facilities, clinicians=clinicians, today=today)
