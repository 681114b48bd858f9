"""The question bank: questions to ask at a second-opinion consult, from the guide plus the patient's own.

Every service takes a ``Session`` or, from the window, the ``DataFolder`` itself (``core.unit``): called with
the folder, each runs in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.guidance import load_question_bank
from secondopinion_desktop.core.models import Question
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_line


@dataclass(frozen=True)
class BankQuestion:
    text: str
    group_key: str
    id: int | None = None  # set for the patient's own questions

    @property
    def custom(self) -> bool:
        return self.id is not None


@dataclass(frozen=True)
class BankGroup:
    key: str
    title: str
    questions: tuple[BankQuestion, ...]


@reading
def question_bank(session: Session) -> list[BankGroup]:
    """Every group with the guide's questions first, then the patient's own (oldest first)."""
    own: dict[str, list[BankQuestion]] = {}
    for row in session.scalars(select(Question).order_by(Question.id)):
        own.setdefault(row.group_key, []).append(BankQuestion(row.text, row.group_key, row.id))
    groups = []
    for group in load_question_bank():
        shipped = tuple(BankQuestion(text, group.key) for text in group.questions)
        groups.append(BankGroup(group.key, group.title, shipped + tuple(own.get(group.key, ()))))
    return groups


@unit_of_work
def add_question(session: Session, group_key: str, text: str) -> BankQuestion:
    groups = {g.key: g for g in question_bank(session)}
    if group_key not in groups:
        raise ValidationError(
            f"There is no question group {group_key!r}; choose one of: {', '.join(groups)}.", field="group_key"
        )
    cleaned = clean_line(text, "question", required=True, max_len=1000, field="text")
    if not cleaned.endswith("?"):
        cleaned += "?"
    wanted = cleaned.casefold()
    for group in groups.values():
        if any(q.text.casefold() == wanted for q in group.questions):
            raise ValidationError(f"“{cleaned}” is already in the list under {group.title}.", field="text")
    row = Question(group_key=group_key, text=cleaned)
    session.add(row)
    session.flush()
    return BankQuestion(row.text, row.group_key, row.id)


@unit_of_work
def remove_question(session: Session, question_id: int) -> BankQuestion:
    """Remove one of the patient's own questions (the guide's questions stay)."""
    row = session.get(Question, question_id)
    if row is None:
        raise NotFoundError(f"There is no question {question_id} of your own.")
    removed = BankQuestion(row.text, row.group_key, row.id)
    session.delete(row)
    session.flush()
    return removed
