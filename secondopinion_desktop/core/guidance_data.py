"""What the Guidance tab reads of the records: one call each, in a transaction of its own.

Every function takes a ``Session`` or the ``DataFolder`` (``core.unit``): the window passes the folder and
never holds a session.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from secondopinion_desktop.core.models import RecordStatus
from secondopinion_desktop.core.records import list_record_rows
from secondopinion_desktop.core.unit import reading

NO_FACILITY = "No facility given"


@dataclass(frozen=True)
class FacilityProgress:
    """How far the requests to one facility have come."""

    name: str  # the facility's name, or NO_FACILITY for records that name none
    needed: int  # its records still to request
    total: int  # all its records


@reading
def facility_progress(session: Session) -> list[FacilityProgress]:
    """Per facility, how many of its records are still to request: most still to request first, then by name."""
    per: dict[str, list[int]] = {}
    for row in list_record_rows(session):
        counts = per.setdefault(row.facility_name or NO_FACILITY, [0, 0])
        counts[1] += 1
        if row.status is RecordStatus.NEEDED:
            counts[0] += 1
    ordered = sorted(per.items(), key=lambda kv: (-kv[1][0], kv[0].casefold()))
    return [FacilityProgress(name, needed, total) for name, (needed, total) in ordered]
