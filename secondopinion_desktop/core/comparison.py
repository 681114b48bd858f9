"""The first and the second opinion side by side: diagnosis, stage, treatment plan, clinical trials and further
tests, each with what the treating team said (from the profile, the treatment plan records and the ongoing
treatment lines) next to what the consultant said at one appointment, and whether the two differ.

Differences are found plainly: the two texts are compared once case, spacing, punctuation and a few common
abbreviations ("IDC" for "invasive ductal carcinoma") are set aside. For the diagnosis the consultant's own
verdict (confirmed, refined, changed) decides when it was written down. When one side says nothing, the row
cannot tell (``differs`` is None). Facts only: nothing here judges which opinion is right.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secondopinion_desktop.core import words
from secondopinion_desktop.core.appointments import AppointmentData, get_appointment
from secondopinion_desktop.core.directory import ClinicianData, list_clinicians
from secondopinion_desktop.core.models import ClinicianRole, DiagnosisVerdict, Record, RecordKind, TreatmentKind
from secondopinion_desktop.core.opinions import OpinionData, get_opinion
from secondopinion_desktop.core.profile import ProfileData, get_profile
from secondopinion_desktop.core.treatments import TreatmentLineData, list_treatment_lines
from secondopinion_desktop.core.unit import reading

DIAGNOSIS = "Diagnosis"
STAGE = "Stage"
PLAN = "Treatment plan"
TRIALS = "Clinical trials"
FURTHER_TESTS = "Further tests or reviews"
TOPICS = (DIAGNOSIS, STAGE, PLAN, TRIALS, FURTHER_TESTS)

SAME = "Same"
DIFFERS = "Differs"
NOT_DISCUSSED = "Not discussed"
NOT_KNOWN = "Not known"
CONFIRMED = "Confirmed by the consultant"
REFINED = "Refined by the consultant"
CHANGED = "Changed by the consultant"
SUGGESTED = "Suggested by the consultant"

# A few spellings that mean the same thing, written out before two texts are compared.
ABBREVIATIONS = {
    "idc": "invasive ductal carcinoma",
    "ilc": "invasive lobular carcinoma",
    "dcis": "ductal carcinoma in situ",
    "lcis": "lobular carcinoma in situ",
    "nsclc": "non small cell lung cancer",
    "sclc": "small cell lung cancer",
    "crc": "colorectal cancer",
    "hcc": "hepatocellular carcinoma",
    "rcc": "renal cell carcinoma",
    "scc": "squamous cell carcinoma",
    "bcc": "basal cell carcinoma",
    "tnbc": "triple negative breast cancer",
    "ca": "cancer",
    "gr": "grade",
    "neg": "negative",
    "pos": "positive",
}
_FILLER = {"stage", "ajcc", "the", "of", "a", "an", "and"}


@dataclass(frozen=True)
class Row:
    topic: str  # one of TOPICS
    first: str  # what the first opinion says ("" when not known)
    second: str  # what the second opinion says ("" when not said)
    differs: bool | None  # True differs, False same, None cannot tell (one side empty)
    note: str  # "Confirmed by the consultant", "Changed by the consultant", "Not discussed"…


@dataclass(frozen=True)
class Comparison:
    appointment_id: int
    visit_on: dt.date
    consultant: str  # "Name, MD" or ""; the institution separately
    institution: str
    first_by: str  # the treating doctor(s), "" if none is named
    rows: tuple[Row, ...]
    has_opinion: bool  # False when nothing has been written down for this appointment yet
    report_title: str  # the consultant's written report record title, "" if none
    next_steps: str

    def row(self, topic: str) -> Row:
        return next(r for r in self.rows if r.topic == topic)

    @property
    def differences(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.differs)


# --- comparing text --------------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """``text`` reduced to what a comparison should look at: lower case, accents, punctuation and spacing gone,
    the common abbreviations written out, filler words ("stage", "the") dropped."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    plain = plain.replace("+", " positive ").replace("\u2212", " negative ")
    plain = re.sub(r"(?<=\w)-(?=[\s,;/)]|$)", " negative ", plain)  # "HER2-"
    tokens = re.findall(r"[^\W_]+", plain)
    out: list[str] = []
    for token in tokens:
        out.extend(ABBREVIATIONS.get(token, token).split())
    return " ".join(t for t in out if t not in _FILLER)


def _squashed(text: str) -> str:
    return normalise(text).replace(" ", "")


def same_text(a: str, b: str) -> bool:
    """Whether two texts say the same once case, spacing, punctuation and the usual abbreviations are set aside
    ("T2 N1 M0, Stage IIB" and "t2n1m0 IIB" do)."""
    return bool(_squashed(a)) and _squashed(a) == _squashed(b)


def loose(text: str) -> str:
    """A diagnosis or stage without its asides: text in brackets dropped ("IIB (clinical, anatomic)"), and the
    "c" of clinical T, N and M categories, the default ("cT2 cN1 cM0" is "T2 N1 M0"; "pT2" stays)."""
    text = re.sub(r"\([^()]*\)", " ", text or "")
    return re.sub(r"(?<![A-Za-z0-9])c(?=[TNMtnm](?:[0-9xX]|is))", "", text)


def _same_as_any(second: str, firsts: Iterable[str]) -> bool:
    return any(same_text(loose(second), loose(first)) for first in firsts if first.strip())


def _side_by_side(topic: str, first: str, second: str, *, firsts: Sequence[str] = (),
                  missing_first: str = NOT_KNOWN) -> Row:
    """A row decided by the texts alone; ``firsts`` are parts of ``first`` the second may match on its own
    (a consultant who writes only the stage group agrees with "T2 N1 M0 · stage group IIB"), compared without
    their asides (:func:`loose`)."""
    if not second.strip():
        return Row(topic, first, "", None, NOT_DISCUSSED if first.strip() else NOT_KNOWN)
    if not first.strip():
        return Row(topic, "", second, None, missing_first)
    if same_text(first, second) or _same_as_any(second, [first, *firsts] if firsts else []):
        return Row(topic, first, second, False, SAME)
    return Row(topic, first, second, True, DIFFERS)


# --- the first opinion -----------------------------------------------------------------------------------------

def _grade(grade: str) -> str:
    grade = grade.strip()
    return grade if not grade or grade.casefold().startswith("grade") else f"grade {grade}"


def diagnosis_parts(p: ProfileData) -> tuple[str, ...]:
    """The profile's diagnosis in its parts: cancer type, histology, grade, markers."""
    return tuple(x for x in (p.cancer_type.strip(), p.histology.strip(), _grade(p.grade),
                             " ".join(p.biomarkers.split())) if x)


def _combinations(parts: Sequence[str]) -> list[str]:
    """Every run of the parts in their order, as one text: a consultant who writes only "invasive ductal
    carcinoma, grade 2" agrees with the type, histology, grade and markers of the profile on those two."""
    return ["; ".join(c) for n in range(1, len(parts) + 1) for c in itertools.combinations(parts, n)]


def first_diagnosis(p: ProfileData) -> str:
    text = "; ".join(diagnosis_parts(p))
    if text and p.diagnosis_date:
        text += f" (diagnosed {words.month_day_year(p.diagnosis_date)})"
    return text


def first_stage(p: ProfileData) -> str:
    tnm, group = p.tnm_stage.strip(), p.stage_group.strip()
    if tnm and group:
        return f"{tnm}, stage {group}" if not group.casefold().startswith("stage") else f"{tnm}, {group}"
    return tnm or (group if not group or group.casefold().startswith("stage") else f"stage {group}")


def _ongoing(t: TreatmentLineData, on: dt.date) -> bool:
    """Still going, or still to come, on the day of the visit (an operation only when still to come)."""
    if t.kind is TreatmentKind.SURGERY:
        return t.start_date is not None and t.start_date >= on and t.end_date is None
    return t.end_date is None or t.end_date >= on


def _treatment_line(t: TreatmentLineData, on: dt.date) -> str:
    when = ""
    if t.start_date and t.start_date > on:
        when = f" (planned from {words.month_day_year(t.start_date)})"
    elif t.start_date:
        when = f" (since {words.month_day_year(t.start_date)})"
    description = t.description.strip() or t.kind.label
    lead = f"{t.kind.label}: " if t.description.strip() and t.kind is not TreatmentKind.OTHER else ""
    return f"{lead}{description}{when}"


_PLAN_WORDS = re.compile(r"(?i)\b(plans?|regimens?|protocols?|recommendations?)\b")


def _plan_records(session: Session) -> list[Record]:
    """The treatment records that call themselves a plan (regimen, protocol) by title, the latest first; when
    none does, every treatment record (a medication list filed as treatment is no plan when a plan is there)."""
    rows = list(session.scalars(
        select(Record).where(Record.kind == RecordKind.TREATMENT)
        .order_by(Record.date_of_service.is_(None), Record.date_of_service.desc(), Record.id.desc())
    ))
    plans = [r for r in rows if _PLAN_WORDS.search(r.title)]
    return plans or rows


def first_plan(session: Session, on: dt.date) -> str:
    """The treatment plan records (title and summary, the latest first), then the treatment lines still
    going or still to come on the day of the visit."""
    parts: list[str] = []
    for record in _plan_records(session):
        summary = " ".join(record.summary.split())
        parts.append(f"{record.title.strip()}: {summary}" if summary else record.title.strip())
    parts.extend(_treatment_line(t, on) for t in list_treatment_lines(session) if _ongoing(t, on))
    return "\n".join(p for p in parts if p)


def _clinician_name(c: ClinicianData) -> str:
    return f"{c.name}, {c.credentials}" if c.credentials.strip() else c.name


def _oncology_rank(c: ClinicianData) -> int:
    specialty = c.specialty.casefold()
    if "oncolog" not in specialty:
        return 9
    for n, kind in enumerate(("medical", "hematolog", "surgical", "radiation")):
        if kind in specialty:
            return n
    return 4


def treating_clinicians(session: Session, consultant_id: int | None = None) -> list[ClinicianData]:
    """Who gave the first opinion: the clinicians with the treating role, the consultant of the visit left out;
    when some of them are oncologists, those only (medical oncology first, then surgical, then radiation)."""
    treating = [c for c in list_clinicians(session, ClinicianRole.TREATING) if c.id != consultant_id]
    oncologists = [c for c in treating if _oncology_rank(c) < 9]
    return sorted(oncologists, key=_oncology_rank) if oncologists else treating


# --- the second opinion -----------------------------------------------------------------------------------------

def _diagnosis_row(first: str, parts: Sequence[str], opinion: OpinionData | None) -> Row:
    said = opinion.diagnosis.strip() if opinion else ""
    verdict = opinion.verdict if opinion else None
    if verdict is None:
        return _side_by_side(DIAGNOSIS, first, said, firsts=_combinations(parts), missing_first="Not in your profile")
    second = said or verdict.label.split(" (")[0]
    if verdict is DiagnosisVerdict.CONFIRMED:
        return Row(DIAGNOSIS, first, second, False, CONFIRMED)
    return Row(DIAGNOSIS, first, second, True, REFINED if verdict is DiagnosisVerdict.REFINED else CHANGED)


def _stage_row(p: ProfileData, opinion: OpinionData | None) -> Row:
    said = opinion.stage.strip() if opinion else ""
    parts = [p.tnm_stage, p.stage_group]
    return _side_by_side(STAGE, first_stage(p), said, firsts=parts, missing_first="Not in your profile")


def _suggested_row(topic: str, items: Sequence[str]) -> Row:
    second = "\n".join(items)
    return Row(topic, "", second, None, SUGGESTED if second else NOT_DISCUSSED)


def _consultant(a: AppointmentData) -> tuple[str, str]:
    return a.clinician_name, a.institution  # the consultant's facility (the place may be a room)


@reading
def compare(session: Session, appointment_id: int) -> Comparison:
    """The first opinion and the second (of appointment ``appointment_id``) side by side, topic by topic."""
    a = get_appointment(session, appointment_id)
    opinion = get_opinion(session, appointment_id)
    profile = get_profile(session)
    on = a.starts_at.date()
    consultant, institution = _consultant(a)
    first_by = "; ".join(_clinician_name(c) for c in treating_clinicians(session, a.clinician_id))
    rows = (
        _diagnosis_row(first_diagnosis(profile), diagnosis_parts(profile), opinion),
        _stage_row(profile, opinion),
        _side_by_side(PLAN, first_plan(session, on), opinion.plan.strip() if opinion else "",
                      missing_first="Not in your records"),
        _suggested_row(TRIALS, opinion.trials if opinion else ()),
        _suggested_row(FURTHER_TESTS, opinion.further_tests if opinion else ()),
    )
    return Comparison(
        appointment_id=a.id, visit_on=on, consultant=consultant, institution=institution, first_by=first_by,
        rows=rows, has_opinion=opinion is not None and not opinion.is_empty,
        report_title=opinion.report_title if opinion else "", next_steps=opinion.next_steps.strip() if opinion else "",
    )
