"""The patient's checklist: the guide's steps (from resources) plus their own, each ticked off with a date."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.guidance import ChecklistTemplateItem, FieldSpec, load_checklist_template
from secondopinion_desktop.core.models import ChecklistItem
from secondopinion_desktop.core.validation import clean_line, clean_text, parse_date


@dataclass(frozen=True)
class ChecklistEntry:
    id: int
    key: str | None  # None: a step the patient added
    title: str
    help: str
    section: str  # guide section it relates to ("" for the patient's own steps)
    fields: tuple[FieldSpec, ...]
    done: bool
    done_on: dt.date | None
    note: str
    answers: Mapping[str, str] = field(default_factory=dict)

    @property
    def custom(self) -> bool:
        return self.key is None


def _templates() -> dict[str, ChecklistTemplateItem]:
    return {t.key: t for t in load_checklist_template()}


def _entry(row: ChecklistItem, templates: dict[str, ChecklistTemplateItem]) -> ChecklistEntry:
    template = templates.get(row.key) if row.key else None
    try:
        answers = json.loads(row.answers or "{}")
    except ValueError:
        answers = {}
    return ChecklistEntry(
        id=row.id, key=row.key, title=template.title if template else row.title,
        help=template.help if template else "", section=template.section if template else "",
        fields=template.fields if template else (), done=row.done, done_on=row.done_on, note=row.note,
        answers={str(k): str(v) for k, v in answers.items()} if isinstance(answers, dict) else {},
    )


def ensure_checklist(session: Session) -> None:
    """Add the guide's steps that this data folder does not have yet (new steps arrive with new versions)."""
    have = set(session.scalars(select(ChecklistItem.key).where(ChecklistItem.key.is_not(None))))
    position = session.scalar(select(func.max(ChecklistItem.position))) or 0
    for template in load_checklist_template():
        if template.key not in have:
            position += 1
            session.add(ChecklistItem(key=template.key, title=template.title, position=position))
    session.flush()


def list_checklist(session: Session) -> list[ChecklistEntry]:
    ensure_checklist(session)
    templates = _templates()
    rows = session.scalars(select(ChecklistItem).order_by(ChecklistItem.position, ChecklistItem.id))
    return [_entry(r, templates) for r in rows]


def progress(entries: list[ChecklistEntry]) -> tuple[int, int]:
    """(done, total)."""
    return sum(1 for e in entries if e.done), len(entries)


def _row(session: Session, item_id: int) -> ChecklistItem:
    row = session.get(ChecklistItem, item_id)
    if row is None:
        raise NotFoundError(f"There is no checklist step {item_id}.")
    return row


def get_item(session: Session, item_id: int) -> ChecklistEntry:
    return _entry(_row(session, item_id), _templates())


def set_done(session: Session, item_id: int, done: bool, on: dt.date | str | None = None) -> ChecklistEntry:
    """Tick (dated ``on``, today when not given) or untick a step."""
    row = _row(session, item_id)
    row.done = bool(done)
    row.done_on = (parse_date(on, "done date", allow_future=False) or dt.date.today()) if done else None
    session.flush()
    return get_item(session, item_id)


def set_note(session: Session, item_id: int, note: str) -> ChecklistEntry:
    _row(session, item_id).note = clean_text(note, "note")
    session.flush()
    return get_item(session, item_id)


def set_answers(session: Session, item_id: int, answers: Mapping[str, Any]) -> ChecklistEntry:
    """Store the answers to a step's questions (e.g. what the insurer said); unknown fields are refused."""
    row = _row(session, item_id)
    entry = _entry(row, _templates())
    specs = {f.key: f for f in entry.fields}
    current = dict(entry.answers)
    for key, value in answers.items():
        spec = specs.get(key)
        if spec is None:
            raise ValidationError(f"The step “{entry.title}” has no question {key!r}.")
        text = clean_line(None if value is None else str(value), spec.label.rstrip("?").lower())
        if text and spec.choices and text not in spec.choices:
            raise ValidationError(f"Answer {spec.label!r} with one of: {', '.join(spec.choices)}.")
        if text:
            current[key] = text
        else:
            current.pop(key, None)
    row.answers = json.dumps(current, ensure_ascii=False, sort_keys=True)
    session.flush()
    return get_item(session, item_id)


def add_item(session: Session, title: str) -> ChecklistEntry:
    """A step of the patient's own, at the end of the list."""
    text = clean_line(title, "step", required=True)
    position = (session.scalar(select(func.max(ChecklistItem.position))) or 0) + 1
    row = ChecklistItem(key=None, title=text, position=position)
    session.add(row)
    session.flush()
    return get_item(session, row.id)


def rename_item(session: Session, item_id: int, title: str) -> ChecklistEntry:
    row = _row(session, item_id)
    if row.key is not None:
        raise ValidationError("The guide's own steps keep their wording; add a step of your own instead.")
    row.title = clean_line(title, "step", required=True)
    session.flush()
    return get_item(session, item_id)


def remove_item(session: Session, item_id: int) -> ChecklistEntry:
    """Remove a step the patient added (the guide's steps stay; untick them instead)."""
    row = _row(session, item_id)
    if row.key is not None:
        raise ValidationError("The guide's own steps cannot be removed; you can leave them unticked.")
    entry = _entry(row, {})
    session.delete(row)
    session.flush()
    return entry
