"""The structured rows a portal import kept: lab results, medications, allergies and problems, each with the
record, file and place it was read from."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.models import AllergyRow, LabResultRow, MedicationRow, ProblemRow, Record
from secondopinion_desktop.core.unit import reading


@dataclass(frozen=True)
class Source:
    record_id: int | None  # None: typed in by hand, from no record
    record_title: str
    source_name: str  # the file inside the download
    sha256: str  # its vault copy ("" when none)
    position: str  # where in that file


@dataclass(frozen=True)
class LabResultData:
    id: int
    test: str
    loinc: str
    value: str
    number: float | None
    unit: str
    reference_range: str
    flag: str
    observed_at: str  # ISO text as precise as the source
    observed_on: dt.date | None
    panel: str
    status: str
    source: Source
    origin: str = "import"  # "import" (read from a download) or "hand" (typed in)

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["observed_on"] = self.observed_on.isoformat() if self.observed_on else None
        return values


@dataclass(frozen=True)
class MedicationData:
    id: int
    name: str
    code: str
    dose: str
    route: str
    frequency: str
    instructions: str
    status: str
    start: str
    end: str
    source: Source
    reason: str = ""  # why it is taken
    prescriber: str = ""
    origin: str = "import"


@dataclass(frozen=True)
class AllergyData:
    id: int
    substance: str
    code: str
    reaction: str
    severity: str
    status: str
    onset: str
    source: Source
    category: str = ""  # "allergy", "intolerance" or "" (not said)
    origin: str = "import"


@dataclass(frozen=True)
class ProblemData:
    id: int
    name: str
    code: str
    code_system: str
    status: str
    onset: str
    resolved: str
    stage: str
    source: Source


def _source(row: Any, title: str | None) -> Source:
    return Source(record_id=row.record_id, record_title=title or "", source_name=row.source_name, sha256=row.sha256,
                  position=row.position)


def lab_result_data(row: LabResultRow, title: str | None) -> LabResultData:
    return LabResultData(
        id=row.id, test=row.test, loinc=row.loinc, value=row.value, number=row.number, unit=row.unit,
        reference_range=row.reference_range, flag=row.flag, observed_at=row.observed_at, observed_on=row.observed_on,
        panel=row.panel, status=row.status, source=_source(row, title), origin=row.origin or "import",
    )


def medication_data(row: MedicationRow, title: str | None) -> MedicationData:
    return MedicationData(
        id=row.id, name=row.name, code=row.code, dose=row.dose, route=row.route, frequency=row.frequency,
        instructions=row.instructions, status=row.status, start=row.start, end=row.end, source=_source(row, title),
        reason=row.reason or "", prescriber=row.prescriber or "", origin=row.origin or "import",
    )


def allergy_data(row: AllergyRow, title: str | None) -> AllergyData:
    return AllergyData(id=row.id, substance=row.substance, code=row.code, reaction=row.reaction,
                       severity=row.severity, status=row.status, onset=row.onset, source=_source(row, title),
                       category=row.category or "", origin=row.origin or "import")


def problem_data(row: ProblemRow, title: str) -> ProblemData:
    return ProblemData(id=row.id, name=row.name, code=row.code, code_system=row.code_system, status=row.status,
                       onset=row.onset, resolved=row.resolved, stage=row.stage, source=_source(row, title))


@reading
def list_lab_results(session: Session, test: str | None = None, record_id: int | None = None) -> list[LabResultData]:
    """Every lab result kept, newest first, then by test; ``test`` keeps those whose name contains it (any case)
    or whose LOINC code is it."""
    query = select(LabResultRow, Record.title).outerjoin(Record, Record.id == LabResultRow.record_id)
    if test and test.strip():
        wanted = test.strip()
        query = query.where(or_(func.lower(LabResultRow.test).contains(wanted.lower(), autoescape=True),
                                LabResultRow.loinc == wanted))
    if record_id is not None:
        query = query.where(LabResultRow.record_id == record_id)
    query = query.order_by(LabResultRow.observed_at.desc(), LabResultRow.test, LabResultRow.id)
    return [lab_result_data(row, title) for row, title in session.execute(query)]


@reading
def list_medications(session: Session, record_id: int | None = None) -> list[MedicationData]:
    query = select(MedicationRow, Record.title).outerjoin(Record, Record.id == MedicationRow.record_id)
    if record_id is not None:
        query = query.where(MedicationRow.record_id == record_id)
    return [medication_data(row, title) for row, title in
            session.execute(query.order_by(MedicationRow.start.desc(), MedicationRow.name, MedicationRow.id))]


@reading
def list_allergies(session: Session, record_id: int | None = None) -> list[AllergyData]:
    query = select(AllergyRow, Record.title).outerjoin(Record, Record.id == AllergyRow.record_id)
    if record_id is not None:
        query = query.where(AllergyRow.record_id == record_id)
    return [allergy_data(row, title) for row, title in
            session.execute(query.order_by(AllergyRow.substance, AllergyRow.id))]


@reading
def list_problems(session: Session, record_id: int | None = None) -> list[ProblemData]:
    query = select(ProblemRow, Record.title).join(Record, Record.id == ProblemRow.record_id)
    if record_id is not None:
        query = query.where(ProblemRow.record_id == record_id)
    return [problem_data(row, title) for row, title in
            session.execute(query.order_by(ProblemRow.onset.desc(), ProblemRow.name, ProblemRow.id))]
