"""The checklist (guide steps + the patient's own) and the question bank, as stored per data folder."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core import checklist, questions
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.guidance import load_checklist_template, load_question_bank


def entries(folder) -> list[checklist.ChecklistEntry]:
    with folder.session() as s:
        return checklist.list_checklist(s)


def test_the_guide_steps_are_there_in_order_and_only_once(folder) -> None:
    first = entries(folder)
    again = entries(folder)
    assert [e.key for e in first] == [t.key for t in load_checklist_template()]
    assert [e.id for e in again] == [e.id for e in first]
    assert checklist.progress(first) == (0, len(first))
    assert all(not e.custom and e.title and e.help for e in first)


def test_tick_untick_and_dates(folder) -> None:
    step = entries(folder)[0]
    with folder.session() as s:
        ticked = checklist.set_done(s, step.id, True)
    assert ticked.done and ticked.done_on == dt.date.today()
    with folder.session() as s:
        dated = checklist.set_done(s, step.id, True, "2026-01-05")
    assert dated.done_on == dt.date(2026, 1, 5)
    assert checklist.progress(entries(folder))[0] == 1
    with folder.session() as s:
        unticked = checklist.set_done(s, step.id, False)
    assert not unticked.done and unticked.done_on is None
    with pytest.raises(ValidationError, match="in the future"):
        with folder.session() as s:
            checklist.set_done(s, step.id, True, dt.date.today() + dt.timedelta(days=3))


def test_insurer_answers_are_checked_and_kept(folder) -> None:
    insurer = next(e for e in entries(folder) if e.key == "call-insurer")
    keys = {f.key for f in insurer.fields}
    assert {"covered", "network", "preapproval", "reference"} <= keys
    covered = next(f for f in insurer.fields if f.key == "covered")
    with folder.session() as s:
        checklist.set_answers(s, insurer.id, {"covered": covered.choices[0], "reference": " REF-2231 "})
    with pytest.raises(ValidationError, match="one of"):
        with folder.session() as s:
            checklist.set_answers(s, insurer.id, {"covered": "Perhaps on Tuesdays"})
    with pytest.raises(ValidationError, match="no question"):
        with folder.session() as s:
            checklist.set_answers(s, insurer.id, {"colour": "blue"})
    stored = next(e for e in entries(folder) if e.key == "call-insurer")
    assert stored.answers == {"covered": covered.choices[0], "reference": "REF-2231"}
    with folder.session() as s:
        cleared = checklist.set_answers(s, insurer.id, {"reference": ""})
    assert cleared.answers == {"covered": covered.choices[0]}


def test_notes_and_own_steps(folder) -> None:
    step = entries(folder)[0]
    with folder.session() as s:
        checklist.set_note(s, step.id, "Dr. Example said fine.\nShe suggested the university center.")
        own = checklist.add_item(s, "  Ask my sister to drive  ")
    assert own.custom and own.title == "Ask my sister to drive"
    listed = entries(folder)
    assert listed[-1].id == own.id
    assert listed[0].note.startswith("Dr. Example said fine.\n")
    with folder.session() as s:
        renamed = checklist.rename_item(s, own.id, "Ask my sister to drive me")
    assert renamed.title == "Ask my sister to drive me"
    with pytest.raises(ValidationError, match="cannot be removed"):
        with folder.session() as s:
            checklist.remove_item(s, step.id)
    with pytest.raises(ValidationError, match="keep their wording"):
        with folder.session() as s:
            checklist.rename_item(s, step.id, "Something else")
    with pytest.raises(ValidationError, match="required"):
        with folder.session() as s:
            checklist.add_item(s, "   ")
    with folder.session() as s:
        checklist.remove_item(s, own.id)
    assert own.id not in {e.id for e in entries(folder)}
    with pytest.raises(NotFoundError):
        with folder.session() as s:
            checklist.set_done(s, own.id, True)


def test_question_bank_groups_and_own_questions(folder) -> None:
    with folder.session() as s:
        bank = questions.question_bank(s)
    shipped = load_question_bank()
    assert [g.key for g in bank] == [g.key for g in shipped]
    assert all(not q.custom for g in bank for q in g.questions)
    group = bank[0]
    with folder.session() as s:
        added = questions.add_question(s, group.key, "Could my slides be reviewed by a second pathologist")
    assert added.custom and added.text.endswith("pathologist?")
    with folder.session() as s:
        again = questions.question_bank(s)
    assert again[0].questions[-1] == added
    with pytest.raises(ValidationError, match="already in the list"):
        with folder.session() as s:
            questions.add_question(s, bank[1].key, added.text.upper())
    with pytest.raises(ValidationError, match="already in the list"):
        with folder.session() as s:
            questions.add_question(s, group.key, group.questions[0].text)
    with pytest.raises(ValidationError, match="no question group"):
        with folder.session() as s:
            questions.add_question(s, "astrology", "Is Mercury in retrograde?")
    with folder.session() as s:
        questions.remove_question(s, added.id)
        assert questions.question_bank(s)[0] == group
    with pytest.raises(NotFoundError):
        with folder.session() as s:
            questions.remove_question(s, added.id)
