"""Choices kept with the data folder (not with the computer): a key and a JSON value each.

Known keys, each with its default and its check, are listed in :data:`KNOWN`; any other key is refused, so a
typing slip never stores a setting nothing reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import Setting
from secondopinion_desktop.core.unit import reading, unit_of_work

#: The federal right-of-access limit (45 CFR 164.524(b)(2)): a request is acted on within 30 days of receipt.
DEFAULT_DUE_DAYS = 30
DUE_DAYS = "requests.due_days"


def _whole_days(value: Any) -> int:
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise TypeError(value)
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"The number of days must be a whole number, not {value!r}.", field="due_days") from None
    if not 1 <= days <= DEFAULT_DUE_DAYS:
        raise ValidationError(f"The number of days a facility has to answer must be between 1 and "
                              f"{DEFAULT_DUE_DAYS} (the federal limit).", field="due_days")
    return days


#: How many weeks old the latest imaging and lab results may be before the pre-flight check says so.
DEFAULT_FRESH_WEEKS = 8
FRESH_WEEKS = "preflight.fresh_weeks"


def _whole_weeks(value: Any) -> int:
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise TypeError(value)
        weeks = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"The number of weeks must be a whole number, not {value!r}.",
                              field="fresh_weeks") from None
    if not 1 <= weeks <= 104:
        raise ValidationError("The number of weeks must be between 1 and 104.", field="fresh_weeks")
    return weeks


KNOWN: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    DUE_DAYS: (DEFAULT_DUE_DAYS, _whole_days),
    FRESH_WEEKS: (DEFAULT_FRESH_WEEKS, _whole_weeks),
}


def _known(key: str) -> tuple[Any, Callable[[Any], Any]]:
    if key not in KNOWN:
        raise ValidationError(f"There is no setting {key!r}.", field="key")
    return KNOWN[key]


@reading
def get_setting(session: Session, key: str) -> Any:
    """The stored value of ``key``, or its default (also when what is stored no longer passes its check)."""
    default, check = _known(key)
    row = session.get(Setting, key)
    if row is None:
        return default
    try:
        return check(json.loads(row.value))
    except (ValueError, ValidationError):
        return default


@unit_of_work
def set_setting(session: Session, key: str, value: Any) -> Any:
    """Store ``value`` for ``key`` after its check; returns the value kept."""
    _default, check = _known(key)
    kept = check(value)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=json.dumps(kept)))
    else:
        row.value = json.dumps(kept)
    session.flush()
    return kept
