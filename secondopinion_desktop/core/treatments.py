"""The treatment history: each line of treatment with its dates and how the cancer responded.

Every service takes a ``Session`` or, from the window, the ``DataFolder`` itself (``core.unit``): called with the
folder, a change runs in a transaction of its own and a read (``@reading``) keeps nothing. A dialog checks a line
with ``check_treatment_line`` before storing it; each ``ValidationError`` names its input (``field``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import TreatmentKind, TreatmentLine
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_line, parse_date, parse_enum


@dataclass(frozen=True)
class TreatmentLineData:
    id: int
    kind: TreatmentKind
    description: str
    start_date: dt.date | None
    end_date: dt.date | None
    response: str


def _data(t: TreatmentLine) -> TreatmentLineData:
    return TreatmentLineData(t.id, t.kind, t.description, t.start_date, t.end_date, t.response)


def _apply(t: TreatmentLine, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "kind":
            t.kind = parse_enum(TreatmentKind, value, "treatment kind", field=key)
        elif key == "description":
            t.description = clean_line(value, "description", max_len=300, field=key)
        elif key in ("start_date", "end_date"):
            setattr(t, key, parse_date(value, key.replace("_", " "), allow_future=True, field=key))
        elif key == "response":
            t.response = clean_line(value, "response", max_len=500, field=key)
        else:
            raise ValidationError(f"Treatment lines have no field {key!r}.", field=key)
    if t.start_date and t.end_date and t.end_date < t.start_date:
        raise ValidationError(
            f"The end date {t.end_date.isoformat()} is before the start date {t.start_date.isoformat()}.",
            field="end_date",
        )


@reading
def list_treatment_lines(session: Session) -> list[TreatmentLineData]:
    """Oldest first; lines without a start date last."""
    rows = session.scalars(select(TreatmentLine))
    return sorted((_data(t) for t in rows), key=lambda t: (t.start_date is None, t.start_date or dt.date.max, t.id))


@unit_of_work
def create_treatment_line(session: Session, kind: TreatmentKind | str, **fields: Any) -> TreatmentLineData:
    t = TreatmentLine(kind=parse_enum(TreatmentKind, kind, "treatment kind", field="kind"))
    _apply(t, fields)
    session.add(t)
    session.flush()
    return _data(t)


@unit_of_work
def update_treatment_line(session: Session, line_id: int, **fields: Any) -> TreatmentLineData:
    t = session.get(TreatmentLine, line_id)
    if t is None:
        raise NotFoundError(f"There is no treatment line {line_id}.")
    _apply(t, fields)
    session.flush()
    return _data(t)


@unit_of_work
def delete_treatment_line(session: Session, line_id: int) -> TreatmentLineData:
    t = session.get(TreatmentLine, line_id)
    if t is None:
        raise NotFoundError(f"There is no treatment line {line_id}.")
    data = _data(t)
    session.delete(t)
    session.flush()
    return data


@reading
def check_treatment_line(session: Session, fields: dict[str, Any], line_id: int | None = None) -> TreatmentLineData:
    """Raise the ValidationError (naming its ``field``) that storing ``fields`` would raise — as a new line, or
    as a change to ``line_id`` — and keep nothing."""
    if line_id is None:
        return create_treatment_line(session, **fields)
    return update_treatment_line(session, line_id, **fields)
