"""The core owns the transaction: a service called with the data folder runs in a unit of work of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import Record
from secondopinion_desktop.core.records import create_record
from secondopinion_desktop.core.unit import reading, unit_of_work

SESSIONS: list[Session] = []


@unit_of_work
def add_two(session: Session, first: str, *, second: str = "Second", fail: bool = False) -> int:
    """A service of two steps: both stay, or (when it raises half-way) neither does."""
    SESSIONS.append(session)
    made = create_record(session, "lab", first)
    session.flush()
    if fail:
        raise ValidationError("The second title cannot be stored.", field="second")
    create_record(session, "imaging", second)
    return made.id


@reading
def try_adding(session: Session, title: str) -> int:
    """Checks input by really doing it, then counts: nothing of it may be kept."""
    create_record(session, "lab", title)
    session.flush()
    return count(session)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Record)) or 0


def titles(folder: DataFolder) -> list[str]:
    with folder.session() as session:
        return sorted(session.scalars(select(Record.title)))


def test_called_with_the_folder_it_commits(folder: DataFolder) -> None:
    record_id = add_two(folder, "Blood count", second="CT scan")
    assert isinstance(record_id, int)
    assert titles(folder) == ["Blood count", "CT scan"]


def test_raising_rolls_the_whole_unit_back(folder: DataFolder) -> None:
    with pytest.raises(ValidationError) as raised:
        add_two(folder, "Blood count", fail=True)
    assert raised.value.field == "second"
    assert titles(folder) == []


def test_called_with_a_session_it_joins_that_transaction(folder: DataFolder) -> None:
    SESSIONS.clear()
    with folder.session() as session:
        add_two(session, "One")
        assert [session] == SESSIONS  # no session of its own
        assert count(session) == 2  # seen inside the caller's transaction at once
    assert titles(folder) == ["One", "Second"]

    with pytest.raises(RuntimeError), folder.session() as session:
        add_two(session, "Two")
        raise RuntimeError("the caller fails after the service")
    assert titles(folder) == ["One", "Second"]  # the caller's rollback takes the service's work too


def test_reading_never_keeps_changes(folder: DataFolder) -> None:
    add_two(folder, "Kept")
    assert try_adding(folder, "Only tried") == 3  # it saw its own change…
    assert titles(folder) == ["Kept", "Second"]  # …which was not kept


def test_reading_with_a_session_uses_it_as_it_is(folder: DataFolder) -> None:
    with folder.session() as session:
        assert try_adding(session, "Part of a bigger change") == 1
    assert titles(folder) == ["Part of a bigger change"]  # the caller's transaction decides


def test_the_decorated_service_keeps_its_name_and_help() -> None:
    assert add_two.__name__ == "add_two" and "two steps" in (add_two.__doc__ or "")
    assert try_adding.__name__ == "try_adding"
