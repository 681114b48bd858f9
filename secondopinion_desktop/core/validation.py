"""Parsing and checking of user input shared by the services, the CLI and the dialogs.

Each function takes ``field``: the service's name for the input (``"title"``, ``"date"``…), carried by the
ValidationError it raises so that a dialog can put the cursor on that input (``ValidationError.field``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeVar

from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import LabelledEnum

E = TypeVar("E", bound=LabelledEnum)

EARLIEST_DATE = dt.date(1900, 1, 1)
MAX_FUTURE_DAYS = 366
MAX_LINE = 500
MAX_TEXT = 1_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0, DEL and the C1 controls (8-bit CSI)
# Bidirectional embedding/override/isolate controls can make a name display as something else
# ("scan\u202efdp.exe" shows as "scanexe.pdf"); right-to-left text itself needs none of them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def parse_enum(cls: type[E], value: str | E, what: str, *, field: str | None = None) -> E:
    """Accept an enum member, its stored value or its label, case-insensitively."""
    if isinstance(value, cls):
        return value
    text = str(value).strip().lower()
    key = text.replace("-", "_")  # "second-opinion" for the value second_opinion; labels keep their hyphens
    for member in cls:
        if key in (member.value, member.name.lower()) or text == member.label.lower():
            return member
    choices = ", ".join(m.value for m in cls)
    raise ValidationError(f"Unknown {what} {str(value)!r}; choose one of: {choices}.", field=field)


def parse_date(
    value: str | dt.date | None, what: str = "date", *, allow_future: bool = True, field: str | None = None
) -> dt.date | None:
    """A date from ``YYYY-MM-DD`` (or a date); None for empty. Rejects dates before 1900 or far ahead."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValidationError(
                    f"The {what} {text!r} does not exist on the calendar; please check the month and day.",
                    field=field,
                ) from None
            raise ValidationError(f"The {what} {value!r} is not a date; write it as YYYY-MM-DD.", field=field) from None
    if day < EARLIEST_DATE:
        raise ValidationError(f"The {what} {day.isoformat()} is before 1900; please check it.", field=field)
    today = dt.date.today()
    if not allow_future and day > today:
        raise ValidationError(f"The {what} {day.isoformat()} is in the future; it can be today at the latest.",
                              field=field)
    if day > today + dt.timedelta(days=MAX_FUTURE_DAYS):
        raise ValidationError(f"The {what} {day.isoformat()} is too far in the future; please check it.", field=field)
    return day


def clean_line(
    value: str | None, what: str, *, required: bool = False, max_len: int = MAX_LINE, field: str | None = None
) -> str:
    """One line of text: control characters and line breaks become spaces, surrounding blanks go."""
    text = " ".join(_CONTROL.sub(" ", _BIDI_CONTROLS.sub("", value or "")).split())
    if required and not text:
        raise ValidationError(f"The {what} is required.", field=field)
    if len(text) > max_len:
        raise ValidationError(f"The {what} is {len(text):,} characters long; the limit is {max_len:,}.", field=field)
    return text


def clean_text(value: str | None, what: str, *, max_len: int = MAX_TEXT, field: str | None = None) -> str:
    """Free text (notes, summaries): line breaks kept, other control characters removed."""
    text = _CONTROL.sub("", (value or "").replace("\r\n", "\n"))
    if len(text) > max_len:
        raise ValidationError(f"The {what} is {len(text):,} characters long; the limit is {max_len:,}.", field=field)
    return text


def clean_count(value: int | str | None, what: str, *, field: str | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"The {what} must be a whole number, not {value!r}.", field=field) from None
    if not 0 <= number <= 100_000:
        raise ValidationError(f"The {what} must be between 0 and 100,000.", field=field)
    return number
