"""What the consultant said, the follow-up questions, carrying questions forward, and the center's own list."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from secondopinion_desktop.core import appointments as appts
from secondopinion_desktop.core import opinions as op
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import DiagnosisVerdict
from secondopinion_desktop.core.people import summarize_folder
from secondopinion_desktop.core.records import create_record, delete_record

PAST = "2026-01-10 09:30"


def visit(folder, starts_at: str = PAST, questions: list[str] | None = None) -> int:
    made = appts.create_appointment(folder, starts_at, place="Main campus")
    if questions:
        appts.add_questions(folder, made.id, questions)
    return made.id


# --- the opinion ---------------------------------------------------------------------------------------------

def test_nothing_written_down_yet_is_none(folder) -> None:
    a = visit(folder)
    assert op.get_opinion(folder, a) is None
    assert op.list_opinions(folder) == []
    with pytest.raises(NotFoundError):
        op.get_opinion(folder, a + 99)


def test_save_then_update_keeps_the_fields_not_given(folder) -> None:
    a = visit(folder)
    saved = op.save_opinion(folder, a, verdict="refined", diagnosis="  Invasive lobular carcinoma, grade 2 ",
                            stage="IIA", plan="Surgery first.", trials="NCT01234567\n\n  NCT07654321 \n",
                            further_tests=["Pathology re-review of block A1", "MRI of both breasts"],
                            next_steps="Dr. Lee orders the MRI.")
    assert saved.verdict is DiagnosisVerdict.REFINED
    assert saved.diagnosis == "Invasive lobular carcinoma, grade 2"
    assert saved.trials == ("NCT01234567", "NCT07654321")
    assert saved.further_tests == ("Pathology re-review of block A1", "MRI of both breasts")
    assert not saved.is_empty
    again = op.save_opinion(folder, a, stage="IIB")
    assert again.id == saved.id
    assert (again.stage, again.plan, again.verdict) == ("IIB", "Surgery first.", DiagnosisVerdict.REFINED)
    cleared = op.save_opinion(folder, a, verdict=None, trials="", plan="")
    assert cleared.verdict is None and cleared.trials == () and cleared.plan == ""
    assert op.get_opinion(folder, a) == cleared
    assert [o.id for o in op.list_opinions(folder)] == [saved.id]


@pytest.mark.parametrize("given, verdict", [
    ("confirmed", DiagnosisVerdict.CONFIRMED), ("Changed", DiagnosisVerdict.CHANGED),
    (DiagnosisVerdict.REFINED, DiagnosisVerdict.REFINED), ("", None), (None, None),
])
def test_the_verdict_is_read_from_its_value(folder, given, verdict) -> None:
    assert op.save_opinion(folder, visit(folder), verdict=given).verdict is verdict


def test_a_bad_verdict_or_field_is_refused_naming_its_field(folder) -> None:
    a = visit(folder)
    with pytest.raises(ValidationError) as bad:
        op.save_opinion(folder, a, verdict="maybe")
    assert bad.value.field == "verdict"
    with pytest.raises(ValidationError) as unknown:
        op.save_opinion(folder, a, colour="blue")
    assert unknown.value.field == "colour"
    with pytest.raises(ValidationError) as long_stage:
        op.check_opinion(folder, a, {"stage": "x" * 500})
    assert long_stage.value.field == "stage"
    assert op.get_opinion(folder, a) is None, "nothing was kept"


def test_check_opinion_keeps_nothing(folder) -> None:
    a = visit(folder)
    checked = op.check_opinion(folder, a, {"diagnosis": "Confirmed as written"})
    assert checked.diagnosis == "Confirmed as written"
    assert op.get_opinion(folder, a) is None


def test_the_written_report_is_a_record_and_its_deletion_leaves_the_opinion(folder) -> None:
    a = visit(folder)
    report = create_record(folder, "clinical", "Consult report", status="received")
    saved = op.save_opinion(folder, a, report_record_id=report.id, stage="IIA")
    assert (saved.report_record_id, saved.report_title) == (report.id, "Consult report")
    with pytest.raises(NotFoundError):
        op.save_opinion(folder, a, report_record_id=report.id + 50)
    delete_record(folder, report.id)
    after = op.get_opinion(folder, a)
    assert after is not None and after.report_record_id is None and after.report_title == ""
    assert after.stage == "IIA"


def test_delete_and_restore_the_opinion_with_its_follow_ups(folder) -> None:
    a = visit(folder)
    report = create_record(folder, "clinical", "Consult report", status="received")
    op.save_opinion(folder, a, verdict="changed", diagnosis="Lymphoma", report_record_id=report.id)
    op.add_follow_up(folder, a, "Which lymphoma subtype?", asked_on="2026-01-12")
    assert op.delete_opinion(folder, a + 99) is None
    gone = op.delete_opinion(folder, a)
    assert gone is not None and len(gone.follow_ups) == 1
    assert op.get_opinion(folder, a) is None
    back = op.restore_opinion(folder, gone)
    assert (back.verdict, back.diagnosis, back.report_record_id) == (DiagnosisVerdict.CHANGED, "Lymphoma", report.id)
    assert [(f.question, f.asked_on) for f in back.follow_ups] == [("Which lymphoma subtype?", dt.date(2026, 1, 12))]
    # a report record deleted meanwhile is not linked again
    op.delete_opinion(folder, a)
    delete_record(folder, report.id)
    assert op.restore_opinion(folder, gone).report_record_id is None


# --- follow-up questions -------------------------------------------------------------------------------------

def test_follow_ups_are_added_answered_dated_and_removed(folder) -> None:
    a = visit(folder)
    first = op.add_follow_up(folder, a, "Should I start tamoxifen now?", asked_on="2026-01-15")
    second = op.add_follow_up(folder, a, "Is radiation needed?")
    assert (first.position, second.position) == (1, 2)
    assert first.asked_on == dt.date(2026, 1, 15) and second.asked_on is None
    assert not first.answered
    answered = op.change_follow_up(folder, first.id, answer="Yes, after surgery.")
    assert answered.answered and answered.answered_on == dt.date.today()
    dated = op.change_follow_up(folder, second.id, answer="Probably not.", answered_on="2026-01-20")
    assert dated.answered_on == dt.date(2026, 1, 20)
    cleared = op.change_follow_up(folder, first.id, answer="  ")
    assert not cleared.answered and cleared.answered_on is None
    with pytest.raises(ValidationError) as future:
        op.change_follow_up(folder, first.id, asked_on="2999-01-01")
    assert future.value.field == "asked_on"
    op.remove_follow_up(folder, first.id)
    opinion = op.get_opinion(folder, a)
    assert opinion is not None and [f.question for f in opinion.follow_ups] == ["Is radiation needed?"]
    with pytest.raises(NotFoundError):
        op.remove_follow_up(folder, first.id)


def test_a_follow_up_asked_twice_or_blank_is_refused(folder) -> None:
    a = visit(folder)
    op.add_follow_up(folder, a, "Is radiation needed?")
    with pytest.raises(ValidationError) as twice:
        op.add_follow_up(folder, a, "is RADIATION needed?")
    assert twice.value.field == "question"
    with pytest.raises(ValidationError):
        op.add_follow_up(folder, a, "   ")
    opinion = op.get_opinion(folder, a)
    assert opinion is not None and len(opinion.follow_ups) == 1


# --- carrying questions forward ------------------------------------------------------------------------------

def test_unanswered_questions_go_to_a_new_follow_up_visit(folder) -> None:
    a = visit(folder, questions=["Is surgery needed?", "Which trial?", "How long is recovery?"])
    first_question = appts.get_appointment(folder, a).questions[0]
    appts.answer_question(folder, first_question.id, answer="Yes.")
    carried = op.carry_forward(folder, a, starts_at="2027-01-05 10:00")
    assert carried.created and carried.already_there == 0 and len(carried.question_ids) == 2
    follow = appts.get_appointment(folder, carried.appointment_id)
    assert [q.text for q in follow.questions] == ["Which trial?", "How long is recovery?"]
    assert follow.follow_up_of_id == a
    assert follow.place == "Main campus" and "2026-01-10" in follow.purpose
    assert follow.starts_at == dt.datetime(2027, 1, 5, 10, 0)


def test_carrying_to_an_existing_visit_copies_each_question_once(folder) -> None:
    a = visit(folder, questions=["Is surgery needed?", "Which trial?"])
    b = visit(folder, "2027-02-01 08:00", questions=["which TRIAL?"])
    carried = op.carry_forward(folder, a, to_appointment_id=b)
    assert not carried.created and carried.appointment_id == b
    assert carried.already_there == 1 and len(carried.question_ids) == 1
    assert [q.text for q in appts.get_appointment(folder, b).questions] == ["which TRIAL?", "Is surgery needed?"]
    again = op.carry_forward(folder, a, to_appointment_id=b)
    assert again.question_ids == () and again.already_there == 2


def test_carry_forward_refusals(folder) -> None:
    a = visit(folder, questions=["Is surgery needed?"])
    with pytest.raises(ValidationError) as own:
        op.carry_forward(folder, a, to_appointment_id=a)
    assert own.value.field == "to_appointment_id"
    with pytest.raises(ValidationError) as nowhere:
        op.carry_forward(folder, a)
    assert nowhere.value.field == "starts_at"
    with pytest.raises(NotFoundError):
        op.carry_forward(folder, a, to_appointment_id=a + 99)
    appts.answer_question(folder, appts.get_appointment(folder, a).questions[0].id, answered=True)
    with pytest.raises(ValidationError, match="nothing to carry"):
        op.carry_forward(folder, a, starts_at="2027-01-05 10:00")
    assert len(appts.list_appointments(folder)) == 1, "no appointment was made for nothing"


def test_deleting_the_first_visit_clears_the_follow_ups_link(folder) -> None:
    a = visit(folder, questions=["Which trial?"])
    carried = op.carry_forward(folder, a, starts_at="2027-01-05 10:00")
    appts.delete_appointment(folder, a)
    follow = appts.get_appointment(folder, carried.appointment_id)
    assert follow.follow_up_of_id is None
    assert [q.text for q in follow.questions] == ["Which trial?"]


# --- the center's list ---------------------------------------------------------------------------------------

def test_split_pasted_list() -> None:
    pasted = """Please send the following:
    1. Pathology report of the biopsy
    2) All imaging on CD
       in DICOM format
    - Operative note
    * Operative note
    • Medication list
    [ ] Insurance card, front and back
    [x] Referral letter
    ☐ Last two clinic notes from your oncologist
    and the latest labs

    a) Completed intake form.
    next to it nothing
    Things to bring:
    Referral letter
    """
    assert op.split_pasted_list(pasted) == [
        "Pathology report of the biopsy",
        "All imaging on CD in DICOM format",
        "Operative note",
        "Medication list",
        "Insurance card, front and back",
        "Referral letter",
        "Last two clinic notes from your oncologist and the latest labs",
        "Completed intake form.",
        "next to it nothing",
    ]
    assert op.split_pasted_list("") == []
    assert op.split_pasted_list("\r\n  \r\nOne\rTwo") == ["One", "Two"]


def test_requirements_are_added_pasted_and_never_twice(folder) -> None:
    a = visit(folder)
    added = op.add_requirements(folder, a, "Send:\n- Pathology report\n- CT images on CD")
    assert [r.text for r in added] == ["Pathology report", "CT images on CD"]
    more = op.add_requirements(folder, a, ["pathology REPORT", "Referral letter", "  "])
    assert [r.text for r in more] == ["Referral letter"]
    assert [r.position for r in op.list_requirements(folder, a)] == [1, 2, 3]
    with pytest.raises(ValidationError) as empty:
        op.add_requirements(folder, a, "Please send:\n\n")
    assert empty.value.field == "text"
    with pytest.raises(NotFoundError):
        op.list_requirements(folder, a + 99)


def test_requirements_are_met_by_a_tick_or_a_record_in_hand(folder) -> None:
    a = visit(folder)
    [item] = op.add_requirements(folder, a, ["Pathology report"])
    assert not item.met
    needed = create_record(folder, "pathology", "Biopsy report", status="needed")
    have = create_record(folder, "pathology", "Surgical pathology", status="received")
    linked = op.link_records(folder, item.id, [needed.id])
    assert linked.record_titles == ("Biopsy report",) and not linked.met, "a record still needed is not in hand"
    linked = op.link_records(folder, item.id, [have.id, needed.id])
    assert linked.record_ids == (needed.id, have.id) and linked.met
    unlinked = op.unlink_record(folder, item.id, have.id)
    assert unlinked.record_ids == (needed.id,) and not unlinked.met
    ticked = op.change_requirement(folder, item.id, done=True, note="Sent by fax on 2026-01-02")
    assert ticked.met and ticked.note == "Sent by fax on 2026-01-02"
    changed = op.change_requirement(folder, item.id, text="Pathology report (final)", record_ids=[have.id],
                                    done=False)
    assert (changed.text, changed.record_ids, changed.met) == ("Pathology report (final)", (have.id,), True)
    with pytest.raises(NotFoundError):
        op.link_records(folder, item.id, [have.id + 99])
    with pytest.raises(ValidationError) as blank:
        op.change_requirement(folder, item.id, text=" ")
    assert blank.value.field == "text"
    delete_record(folder, have.id)
    assert op.list_requirements(folder, a)[0].record_ids == ()


def test_requirements_reorder_remove_restore(folder) -> None:
    a = visit(folder)
    one, two, three = op.add_requirements(folder, a, ["One", "Two", "Three"])
    record = create_record(folder, "lab", "CBC", status="received")
    op.link_records(folder, two.id, [record.id])
    order = op.reorder_requirements(folder, a, [three.id, one.id, two.id])
    assert [r.text for r in order] == ["Three", "One", "Two"]
    with pytest.raises(ValidationError):
        op.reorder_requirements(folder, a, [three.id, one.id])
    gone = op.remove_requirement(folder, two.id)
    assert [r.text for r in op.list_requirements(folder, a)] == ["Three", "One"]
    back = op.restore_requirement(folder, gone)
    assert back.text == "Two" and back.record_ids == (record.id,)
    assert [r.text for r in op.list_requirements(folder, a)] == ["Three", "One", "Two"]
    assert len(op.list_requirements(folder)) == 3


def test_upcoming_requirements_leave_past_visits_out(folder) -> None:
    past = visit(folder)
    coming = visit(folder, f"{dt.date.today() + dt.timedelta(days=60):%Y-%m-%d} 09:00")
    op.add_requirements(folder, past, ["Old item"])
    op.add_requirements(folder, coming, ["New item"])
    assert [(a.id, r.text) for a, r in op.upcoming_requirements(folder)] == [(coming, "New item")]


# --- every change is a change of the folder ------------------------------------------------------------------

def test_every_change_stamps_the_folder(folder) -> None:
    a = visit(folder, questions=["Which trial?"])
    record = create_record(folder, "clinical", "Consult report", status="received")
    state: dict[str, int] = {}

    def changes():  # type: ignore[no-untyped-def]
        yield "save", lambda: op.save_opinion(folder, a, stage="IIA", report_record_id=record.id)
        yield "follow-up", lambda: state.update(f=op.add_follow_up(folder, a, "Radiation?").id)
        yield "answer", lambda: op.change_follow_up(folder, state["f"], answer="No.")
        yield "remove follow-up", lambda: op.remove_follow_up(folder, state["f"])
        yield "carry", lambda: op.carry_forward(folder, a, starts_at="2027-01-05 10:00")
        yield "require", lambda: state.update(r=op.add_requirements(folder, a, ["Pathology"])[0].id)
        yield "link", lambda: op.link_records(folder, state["r"], [record.id])
        yield "unlink", lambda: op.unlink_record(folder, state["r"], record.id)
        yield "tick", lambda: op.change_requirement(folder, state["r"], done=True)
        yield "remove item", lambda: state.update(gone=op.remove_requirement(folder, state["r"]))
        yield "restore item", lambda: op.restore_requirement(folder, state["gone"])  # type: ignore[arg-type]
        yield "delete opinion", lambda: state.update(o=op.delete_opinion(folder, a))
        yield "restore opinion", lambda: op.restore_opinion(folder, state["o"])  # type: ignore[arg-type]

    for name, change in changes():
        with folder.session() as s:
            s.execute(text("UPDATE folder_change SET changed_at = '2001-01-01 00:00:00'"))
        assert summarize_folder(folder.path).last_changed.year == 2001
        change()
        assert summarize_folder(folder.path).last_changed.year >= 2026, name
