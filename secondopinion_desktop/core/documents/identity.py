"""Whom a document names, and whether that is the patient of this data folder.

``found_in`` reads the patient names ("Patient: LOPEZ, MARIA", "Name: Maria E. Lopez", a header line "LOPEZ,
MARIA A  MRN: 123  DOB: 03/14/1968") and dates of birth a document states, with their pages; the reader stores
them with the document's text, so ``problems_by_record`` compares every stored document with the profile in one
query. ``check`` compares one document: a name is the patient's when its words are the profile name's, whatever
their order, case, accents, hyphens, middle names or initials; a name one or two letters off is still reported
(a second-opinion center refuses a misspelt name too), in softer words; a different date of birth is reported,
the same date written another way is not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from secondopinion_desktop.core.documents.model import PageText
from secondopinion_desktop.core.unit import reading
from secondopinion_desktop.core.words import day_month_year

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from secondopinion_desktop.core.documents.suggest import Labelled
    from secondopinion_desktop.core.profile import ProfileData

MAX_FOUND = 20  # names (and dates of birth) kept per document: a mixed-up fax names two or three people
PAGE_HEAD = 6000  # of each page, what is looked at: its header and its footer, where the patient is named
PAGE_TAIL = 2000


@dataclass(frozen=True)
class FoundIdentity:
    """The patient names and dates of birth a document states (as written, ISO dates), with their pages."""

    names: tuple[tuple[str, int], ...] = ()
    birth_dates: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> str:
        if not self.names and not self.birth_dates:
            return ""
        return json.dumps({"names": self.names, "birth_dates": self.birth_dates}, ensure_ascii=False)

    @classmethod
    def from_json(cls, value: str | None) -> FoundIdentity:
        """What ``to_json`` wrote; an empty identity for "" or anything unreadable."""
        if not value:
            return cls()
        try:
            data = json.loads(value)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(names=_pairs(data.get("names")), birth_dates=_pairs(data.get("birth_dates")))


def _pairs(value: Any) -> tuple[tuple[str, int], ...]:
    out: list[tuple[str, int]] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], int):
                out.append((item[0], item[1]))
    return tuple(out)


@dataclass(frozen=True)
class IdentityProblem:
    """A document that names someone else, or another date of birth, than the profile; ``sentence`` says so."""

    record_id: int
    attachment_id: int
    page: int
    sentence: str


# --- reading names and dates of birth ---------------------------------------------------------------------------

_PARTICLES = {"van", "von", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "st", "bin", "ibn",
              "al", "el", "dos", "das", "y", "ten", "ter"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr"}
_NOT_A_NAME = {
    "the", "and", "of", "for", "with", "report", "reports", "reported", "history", "information", "name", "date",
    "birth", "dob", "mrn", "sex", "age", "female", "male", "unknown", "none", "see", "above", "below", "is", "was",
    "has", "had", "presents", "presented", "seen", "states", "denies", "complains", "returns", "here",
    "today", "copy", "portal", "instructions", "education", "consent", "signature", "id", "number", "identifier",
    "hospital", "center", "clinic", "laboratory", "medical", "record", "records", "account", "visit", "care",
    "location", "room", "bed", "status", "class", "type", "services", "service", "demographics", "label",
    "rights", "responsibilities", "safety", "preparation", "questionnaire", "summary", "in", "on", "at", "to",
    "a", "an", "who", "will", "should", "may", "must", "can", "not", "no", "yes", "tolerated", "well",
    "identification", "verified", "verification", "sticker", "plan", "phone", "address", "blood", "count",
    "panel", "test", "tests", "cancer", "breast", "tumor", "carcinoma", "complete", "metabolic", "biopsy", "left",
    "right", "insurance", "group", "health", "program", "department", "office", "pathology", "radiology", "lab",
    "md", "do", "phd", "rn", "np", "facs", "dr", "doctor", "prof", "physician", "provider", "reason", "diagnosis",
}
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*\.?$")
# a line that may name the patient or give a date of birth (the others are not looked at closely)
_WORTH_A_LOOK = re.compile(r"patient|name|\bpt\b|\bdob\b|d\.\s?o\.\s?b|birth|\bborn\b|\bmrn\b|m\.r\.n|member"
                           r"|medical record|med rec|chart", re.IGNORECASE)
_SEX_AGE = re.compile(r"\s+(?:\(?\b(?:[MF]|male|female)\b\)?|\d{1,3}\s?(?:y|yo|yrs?|years?)\b.*)$", re.IGNORECASE)


def clean_name(text: str) -> str:
    """A patient name as written, tidied ("LOPEZ, MARIA A" stays in its own order; blanks collapsed, a trailing
    sex or age dropped); "" when it does not look like a person's name."""
    text = re.sub(r"^\((?:last|first|surname|family)[^)]*\)\s*:?\s*", "", text.strip(), flags=re.IGNORECASE)
    text = re.split(r"\s{2,}|[|;/(\[]|\s[-–—]\s|\t", text)[0]
    text = _SEX_AGE.sub("", " ".join(text.split())).strip(" ,.:-")
    if not text or len(text) > 80:
        return ""
    if text.count(",") > 1:
        return ""
    words = text.replace(",", " ").split()
    if not 2 <= len(words) <= 5:
        return ""
    if not all(_NAME_WORD.match(w) for w in words):
        return ""
    lowered = [w.lower().strip(".") for w in words]
    if any(w in _NOT_A_NAME for w in lowered if len(w) > 1):
        return ""
    if any(w[:1].islower() and w.lower() not in _PARTICLES for w in words):
        return ""
    if sum(len(w.strip(".")) > 1 for w in words) < 2 and "," not in text:
        return ""  # "J. Smith" is too little to compare… unless it is "SMITH, J"
    if sum(len(w.strip(".")) > 1 for w in words) < 1:
        return ""
    return text


# words before a date-of-birth label that make it another person's (an insurance subscriber, a relative)
_SOMEONE_ELSE = re.compile(
    r"\b(?:subscriber|insured|guarantor|policy\s*holder|policyholder|spouse|husband|wife|partner|mother|father"
    r"|parent|guardian|son|daughter|sister|brother|emergency|contact|responsible\s+party)\b", re.IGNORECASE)


def found_in(pages: Sequence[PageText]) -> FoundIdentity:
    """The names and dates of birth stated in these pages (each once, at the first page that states it)."""
    from secondopinion_desktop.core.documents import suggest  # its patterns are compiled when first needed

    lines = suggest.lines_of(list(pages), head=PAGE_HEAD, tail=PAGE_TAIL, near=_WORTH_A_LOOK)
    items = suggest.labelled(lines, only=_WORTH_A_LOOK)
    names: list[tuple[str, int]] = []
    dates: list[tuple[str, int]] = []
    seen_names: set[str] = set()
    seen_dates: set[str] = set()

    def add_name(text: str, page: int) -> None:
        name = clean_name(text)
        key = " ".join(sorted(name_words(name)))
        if name and key and key not in seen_names and len(names) < MAX_FOUND:
            seen_names.add(key)
            names.append((name, page))

    by_line: dict[int, list[Labelled]] = {}
    for item in items:
        by_line.setdefault(id(item.line), []).append(item)
        if item.tag == "patient" and item.value:
            if item.name in ("name", "member", "pt") and not item.colon:
                continue  # "Name" and "Member" without a colon are too often words of a sentence
            if item.name == "name" and re.search(r"[^\W\d_]\s*$", item.line.raw[:item.start]):
                continue  # "Test Name:", "Facility Name:": another thing's name
            add_name(item.value, item.line.page)
        elif item.tag == "dob":
            if _SOMEONE_ELSE.search(item.line.raw[:item.start][-40:]):
                continue  # "Subscriber DOB", "Guarantor … DOB", "mother (DOB …)": another person's birthday
            found = suggest.first_date(item.value, within=10)
            if found is not None and found.value.year >= 1900 and found.value.isoformat() not in seen_dates \
                    and len(dates) < MAX_FOUND:
                seen_dates.add(found.value.isoformat())
                dates.append((found.value.isoformat(), item.line.page))
    # a header line that starts with the name: "LOPEZ, MARIA A   MRN: 123   DOB: 03/14/1968"
    for line in lines:
        on_line = by_line.get(id(line), [])
        if not any(i.tag in ("dob", "mrn") for i in on_line):
            continue
        first = suggest.LABEL_PATTERN.search(line.raw)
        before = line.raw[:first.start()] if first is not None else ""
        if "," in before and before.strip():
            candidate = before.strip()
            if candidate.split(",")[0].strip().isupper():
                add_name(candidate, line.page)
    return FoundIdentity(names=tuple(names), birth_dates=tuple(dates))


# --- comparing with the profile ---------------------------------------------------------------------------------

def _plain(text: str) -> str:
    if text.isascii():
        return text.casefold()
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """The words a name is compared by: accents and case folded, hyphenated names split, titles and suffixes
    (Mr, Jr) dropped; initials kept as one letter."""
    words = _LETTERS.findall(_plain(name).replace("'", "").replace("’", ""))
    return tuple(w for w in words if w not in _TITLES and w not in _SUFFIXES)


_LETTERS = re.compile(r"[^\W\d_]+")


def _same_person(found: Sequence[str], profile: Sequence[str]) -> bool:
    """The same name: the full words of one are all in the other (order, middle names and a part of a double
    surname may differ), and each initial stands for one of the other name's words not written in full (an
    initial the other name has nothing left for, "Maria E Lopez" against "Maria Lopez", is no contradiction)."""
    full_found = {w for w in found if len(w) > 1}
    full_profile = {w for w in profile if len(w) > 1}
    if not full_found or not full_profile:
        return False
    if not (full_found <= full_profile or full_profile <= full_found):
        return False
    for initials, theirs, mine in ((found, profile, full_found), (profile, found, full_profile)):
        left = {w[0] for w in theirs if w not in mine}
        wanted = {w for w in initials if len(w) == 1}
        if wanted and left and not wanted <= left:
            return False
    return True


def _close(found: Sequence[str], profile: Sequence[str]) -> bool:
    """The same name but for a letter or two (a typo, an OCR slip): every longer word has a near twin."""
    from rapidfuzz.distance import Levenshtein

    full_found = [w for w in found if len(w) > 1]
    full_profile = [w for w in profile if len(w) > 1]
    if not full_found or not full_profile:
        return False
    short, long_ = sorted((full_found, full_profile), key=len)
    slips = 0
    for word in short:
        best = min(Levenshtein.distance(word, other) for other in long_)
        if best > (1 if len(word) <= 5 else 2):
            return False
        slips += best
    return 0 < slips <= 3


def _profile_says(profile_name: str) -> str:
    return " ".join(profile_name.split())


def _same_birth_date(found: dt.date, profile: dt.date) -> bool:
    if found == profile:
        return True
    # 03/04/1968 is read month first; written day first it is the profile's 3 April: not a different date
    return found.day <= 12 and found.month != found.day and (found.year, found.day, found.month) == (
        profile.year, profile.month, profile.day)


def check(found: FoundIdentity, profile: ProfileData) -> list[IdentityProblem]:
    """What in this document does not match the profile: each other name and each other date of birth, in one
    sentence (record and attachment ids are 0: ``problems_by_record`` fills them in). Nothing is compared with
    an empty profile name or date of birth."""
    problems: list[IdentityProblem] = []
    if profile.name.strip():
        mine = name_words(profile.name)
        for name, page in found.names:
            words = name_words(name)
            if not words or _same_person(words, mine):
                continue
            shown = " ".join(name.split())
            if _close(words, mine):
                sentence = (f'This document names "{shown}", close to but not the same as '
                            f'{_profile_says(profile.name)}: check it is the patient.')
            else:
                sentence = f'This document names "{shown}", not {_profile_says(profile.name)}.'
            problems.append(IdentityProblem(0, 0, page, sentence))
    own_pages: set[int] = set()  # pages that state the profile's own date of birth: other dates there are others'
    for iso, page in found.birth_dates:
        with contextlib.suppress(ValueError):
            if profile.date_of_birth is not None and _same_birth_date(dt.date.fromisoformat(iso),
                                                                      profile.date_of_birth):
                own_pages.add(page)
    if profile.date_of_birth is not None:
        for iso, page in found.birth_dates:
            try:
                day = dt.date.fromisoformat(iso)
            except ValueError:
                continue
            if _same_birth_date(day, profile.date_of_birth) or page in own_pages:
                continue
            problems.append(IdentityProblem(0, 0, page, (
                f"This document gives the date of birth {day_month_year(day)}; "
                f"the profile says {day_month_year(profile.date_of_birth)}.")))
    return problems


@reading
def problems_by_record(session: Session) -> dict[int, list[IdentityProblem]]:
    """Every record with an attached file whose text names someone else (or another date of birth) than the
    profile: record id → its problems, file by file. One query of the stored identities; each distinct one is
    compared once."""
    from secondopinion_desktop.core.models import Attachment, DocumentText
    from secondopinion_desktop.core.profile import get_profile

    profile = get_profile(session)
    if not profile.name.strip() and profile.date_of_birth is None:
        return {}
    rows = session.execute(
        select(Attachment.record_id, Attachment.id, DocumentText.identity)
        .join(DocumentText, DocumentText.sha256 == Attachment.sha256)
        .where(DocumentText.identity != "")
        .order_by(Attachment.record_id, Attachment.id)).all()
    checked: dict[str, list[IdentityProblem]] = {}
    out: dict[int, list[IdentityProblem]] = {}
    for record_id, attachment_id, stored in rows:
        problems = checked.get(stored)
        if problems is None:
            problems = checked[stored] = check(FoundIdentity.from_json(stored), profile)
        if problems:
            out.setdefault(int(record_id), []).extend(
                replace(p, record_id=int(record_id), attachment_id=int(attachment_id)) for p in problems)
    return out
