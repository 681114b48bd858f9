"""The patient profile: who the packet is about and what the diagnosis is. One per data folder.

Every service takes a ``Session`` or, from the window, the ``DataFolder`` itself (``core.unit``): called with the
folder, ``save_profile`` runs in a transaction of its own (nothing is kept when one field is refused) and
``get_profile`` / ``check_profile`` keep nothing. Each ``ValidationError`` names its field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import Profile
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_line, clean_text, parse_date


@dataclass(frozen=True)
class ProfileData:
    name: str = ""
    date_of_birth: dt.date | None = None
    medical_record_numbers: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    cancer_type: str = ""
    histology: str = ""
    grade: str = ""
    tnm_stage: str = ""
    stage_group: str = ""
    biomarkers: str = ""
    diagnosis_date: dt.date | None = None
    insurer: str = ""
    member_number: str = ""
    group_number: str = ""


_FIELDS = tuple(f.name for f in dc_fields(ProfileData))

#: What a profile needs before it says who the packet is about and what the diagnosis is (field, words for it).
ESSENTIALS: tuple[tuple[str, str], ...] = (
    ("cancer_type", "diagnosis (cancer type)"),
    ("name", "name"),
    ("date_of_birth", "date of birth"),
)
_TEXT_FIELDS = ("medical_record_numbers", "address", "biomarkers")
_DATE_FIELDS = {"date_of_birth": "date of birth", "diagnosis_date": "diagnosis date"}


def missing_essentials(data: ProfileData) -> tuple[str, ...]:
    """The words for the essentials (see :data:`ESSENTIALS`) this profile does not have yet, diagnosis first."""
    missing = []
    for name, words in ESSENTIALS:
        value = getattr(data, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(words)
    return tuple(missing)


@reading
def get_profile(session: Session) -> ProfileData:
    """The profile, or an empty one when none has been saved yet."""
    row = session.scalars(select(Profile).order_by(Profile.id)).first()
    if row is None:
        return ProfileData()
    return ProfileData(**{name: getattr(row, name) for name in _FIELDS})


@unit_of_work
def save_profile(session: Session, **changes: Any) -> ProfileData:
    """Create or update the profile with the given fields (others keep their value)."""
    row = session.scalars(select(Profile).order_by(Profile.id)).first()
    if row is None:
        row = Profile()
        session.add(row)
    for key, value in changes.items():
        if key not in _FIELDS:
            raise ValidationError(f"The profile has no field {key!r}.", field=key)
        if key in _DATE_FIELDS:
            setattr(row, key, parse_date(value, _DATE_FIELDS[key], allow_future=False, field=key))
        elif key in _TEXT_FIELDS:
            setattr(row, key, clean_text(value, key.replace("_", " "), field=key))
        else:
            setattr(row, key, clean_line(value, key.replace("_", " "), field=key))
    session.flush()
    return get_profile(session)


@reading
def check_profile(session: Session, **changes: Any) -> ProfileData:
    """Raise the ValidationError (naming its ``field``) that ``save_profile`` would raise, and keep nothing."""
    return save_profile(session, **changes)
