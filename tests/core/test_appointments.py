"""Appointments (with ordered, answerable questions and timed notes) and the treatment history."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core import appointments as ap
from secondopinion_desktop.core import treatments as tr
from secondopinion_desktop.core.directory import create_clinician
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import TreatmentKind

NOW = dt.datetime(2026, 11, 26, 12, 0)


def test_create_list_upcoming_first_then_past(folder) -> None:
    with folder.session() as s:
        doctor = create_clinician(s, "Avery Example-Stone", credentials="MD", specialty="Medical oncology",
                                  facility="Example University Cancer Center", role="second_opinion")
        later = ap.create_appointment(s, "2026-12-20 10:00", clinician_id=doctor.id, place="Suite 300")
        soon = ap.create_appointment(s, dt.datetime(2026, 12, 8, 9, 30), purpose="Second opinion",
                                     attendees="Jamie (spouse)")
        old = ap.create_appointment(s, "2026-10-01 14:15")
        older = ap.create_appointment(s, "2026-09-01")
        listed = ap.list_appointments(s, now=NOW)
    assert [a.id for a in listed] == [soon.id, later.id, old.id, older.id]
    assert later.clinician_name == "Avery Example-Stone, MD"
    assert later.institution == "Example University Cancer Center"
    assert later.clinician_specialty == "Medical oncology"
    assert older.starts_at == dt.datetime(2026, 9, 1, 0, 0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is required"),
        ("next Tuesday", "YYYY-MM-DD HH:MM"),
        ("1850-01-01 10:00", "before 1990"),
        ("2099-01-01 10:00", "too far in the future"),
    ],
)
def test_bad_times_are_refused(folder, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        with folder.session() as s:
            ap.create_appointment(s, value)
    with folder.session() as s:
        assert ap.list_appointments(s) == []


def test_questions_add_reorder_answer_remove(folder) -> None:
    with folder.session() as s:
        a = ap.create_appointment(s, "2026-12-08 09:30")
        q1 = ap.add_question(s, a.id, "Do you agree with my diagnosis?")
        q2 = ap.add_question(s, a.id, "What are my options?")
        q3 = ap.add_question(s, a.id, "Is there a trial for me? <b>&amp;</b>")
    with pytest.raises(ValidationError, match="already on this appointment"):
        with folder.session() as s:
            ap.add_question(s, a.id, "what are my OPTIONS?")
    with folder.session() as s:
        reordered = ap.reorder_questions(s, a.id, [q3.id, q1.id, q2.id])
    assert [q.id for q in reordered.questions] == [q3.id, q1.id, q2.id]
    assert [q.position for q in reordered.questions] == [1, 2, 3]
    with pytest.raises(ValidationError, match="every question"):
        with folder.session() as s:
            ap.reorder_questions(s, a.id, [q1.id, q2.id])
    with folder.session() as s:
        answered = ap.answer_question(s, q1.id, "Yes — the stage is IIB.")
        assert answered.answered and answered.answer == "Yes — the stage is IIB."
        unmarked = ap.answer_question(s, q1.id, answered=False)
        assert not unmarked.answered and unmarked.answer == "Yes — the stage is IIB."
        ap.remove_question(s, q2.id)
        assert [q.text for q in ap.get_appointment(s, a.id).questions] == [q3.text, q1.text]
    assert q3.text == "Is there a trial for me? <b>&amp;</b>"  # stored as typed


def test_notes_are_timed_and_saved_whole(folder) -> None:
    with folder.session() as s:
        a = ap.create_appointment(s, "2026-12-08 09:30")
        first = ap.start_note(s, a.id, dt.datetime(2026, 12, 8, 9, 42, 17, 5))
        second = ap.start_note(s, a.id, dt.datetime(2026, 12, 8, 10, 5))
        ap.save_note(s, first.id, "Dr. said: review slides.\n" + "x" * 20_000)
        ap.save_note(s, second.id, "تقرير — 右 — 🙂")
    with folder.session() as s:
        notes = ap.get_appointment(s, a.id).notes
    assert [n.started_at for n in notes] == [dt.datetime(2026, 12, 8, 9, 42, 17), dt.datetime(2026, 12, 8, 10, 5)]
    assert len(notes[0].text) == len("Dr. said: review slides.\n") + 20_000
    assert notes[1].text == "تقرير — 右 — 🙂"
    with folder.session() as s:
        ap.delete_note(s, second.id)
        assert len(ap.get_appointment(s, a.id).notes) == 1
        with pytest.raises(NotFoundError):
            ap.save_note(s, second.id, "gone")


def test_deleting_an_appointment_removes_its_questions_and_notes(folder) -> None:
    from sqlalchemy import func, select

    from secondopinion_desktop.core.models import AppointmentNote, AppointmentQuestion

    with folder.session() as s:
        a = ap.create_appointment(s, "2026-12-08 09:30")
        ap.add_question(s, a.id, "One?")
        ap.start_note(s, a.id)
    with folder.session() as s:
        ap.delete_appointment(s, a.id)
    with folder.session() as s:
        assert s.scalar(select(func.count()).select_from(AppointmentQuestion)) == 0
        assert s.scalar(select(func.count()).select_from(AppointmentNote)) == 0
        with pytest.raises(NotFoundError):
            ap.get_appointment(s, a.id)


def test_treatment_lines(folder) -> None:
    with folder.session() as s:
        chemo = tr.create_treatment_line(s, "chemotherapy", description="AC then paclitaxel",
                                         start_date="2026-01-10", end_date="2026-05-01", response="Partial response")
        surgery = tr.create_treatment_line(s, TreatmentKind.SURGERY, description="Lumpectomy",
                                           start_date="2025-12-01")
        planned = tr.create_treatment_line(s, "radiation")
        assert [t.id for t in tr.list_treatment_lines(s)] == [surgery.id, chemo.id, planned.id]
    assert chemo.kind is TreatmentKind.CHEMOTHERAPY
    with pytest.raises(ValidationError, match="before the start date"):
        with folder.session() as s:
            tr.update_treatment_line(s, chemo.id, end_date="2025-01-01")
    with pytest.raises(ValidationError, match="Unknown treatment kind"):
        with folder.session() as s:
            tr.create_treatment_line(s, "homeopathy")
    with folder.session() as s:
        tr.delete_treatment_line(s, planned.id)
        assert len(tr.list_treatment_lines(s)) == 2


def test_the_sample_case_has_the_upcoming_visit(folder) -> None:
    from secondopinion_desktop.core.demo import fill_demo_data

    fill_demo_data(folder)
    with folder.session() as s:
        [visit] = ap.list_appointments(s)
    assert visit.is_upcoming()
    assert visit.clinician_name.startswith("Avery Example-Stone")
    assert len(visit.questions) == 7


# --- the notes PDF -------------------------------------------------------------------------------------------

def _pages(path) -> list[list[str]]:
    from pypdf import PdfReader

    return [[line.strip() for line in (page.extract_text() or "").splitlines()] for page in PdfReader(path).pages]


def test_a_heading_in_the_notes_pdf_never_ends_a_page(folder, tmp_path) -> None:
    """With more and more answered questions, the "Notes" heading comes to the foot of a page: it moves on with
    the first note (as "Questions" stays with the first question)."""
    from secondopinion_desktop.core.packet import export_notes_pdf

    with folder.session() as s:
        a = ap.create_appointment(s, "2026-12-08 09:30", purpose="Second opinion " * 40)
        ap.start_note(s, a.id, dt.datetime(2026, 12, 8, 9, 40), text="First words of the note.\n" + "More. " * 30)
    opens_a_page = []
    for n in range(1, 26):
        with folder.session() as s:
            q = ap.add_question(s, a.id, f"Question number {n} about the treatment plan?")
            ap.answer_question(s, q.id, answer=f"Answer {n}: " + "the doctor explained this part at length. " * 3)
        if n < 8:
            continue
        pages = _pages(export_notes_pdf(folder, a.id, tmp_path / f"notes-{n}.pdf"))
        for heading, follows in (("Notes", "Note started"), ("Questions", "1.")):
            [(number, page)] = [(i, p) for i, p in enumerate(pages) if heading in p]
            after = page[page.index(heading) + 1:]
            assert any(line.startswith(follows) for line in after), (heading, n, page[-6:])
            if heading == "Notes" and number > 0 and page.index(heading) == 0:
                opens_a_page.append(n)
    assert opens_a_page, "no case brought the heading to the foot of a page"


# --- called with the data folder: a transaction of its own; refusals name their input ----------------------

def test_services_take_the_folder_and_keep_a_refused_batch_out(folder) -> None:
    made = ap.create_appointment(folder, "2026-12-08 09:30", place="Suite 300")
    assert ap.get_appointment(folder, made.id).place == "Suite 300"
    first, second = ap.add_questions(folder, made.id, ["One?", "Two?"])
    with pytest.raises(ValidationError) as refused:
        ap.add_questions(folder, made.id, ["Three?", "one?"])  # the second is already there: neither is added
    assert refused.value.field == "text"
    assert [q.text for q in ap.get_appointment(folder, made.id).questions] == ["One?", "Two?"]
    changed = ap.change_question(folder, first.id, text="One, reworded?", answered=True)
    assert (changed.text, changed.answered) == ("One, reworded?", True)
    assert ap.change_question(folder, second.id) == ap.get_appointment(folder, made.id).questions[1]
    with pytest.raises(ValidationError) as empty:
        ap.change_question(folder, second.id, text="  ", answered=True)
    assert empty.value.field == "text"
    assert ap.get_appointment(folder, made.id).questions[1].answered is False  # nothing of the refused change


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_at": "next Tuesday"}, "starts_at"),
        ({"starts_at": "2026-12-08 09:30", "place": "x" * 301}, "place"),
        ({"starts_at": "2026-12-08 09:30", "attendees": "x" * 301}, "attendees"),
        ({"starts_at": "2026-12-08 09:30", "purpose": "x" * 5001}, "purpose"),
    ],
)
def test_checking_an_appointment_names_the_field_and_keeps_nothing(folder, fields, field) -> None:
    with pytest.raises(ValidationError) as refused:
        ap.check_appointment(folder, fields)
    assert refused.value.field == field
    ap.check_appointment(folder, {"starts_at": "2026-12-08 09:30", "place": "Suite 300"})
    assert ap.list_appointments(folder) == []


def test_checking_a_treatment_line_or_clinician_or_profile_names_the_field(folder) -> None:
    from secondopinion_desktop.core import directory, profile

    with pytest.raises(ValidationError) as late:
        tr.check_treatment_line(folder, {"kind": "surgery", "start_date": "2026-03-01", "end_date": "2026-02-01"})
    assert late.value.field == "end_date"
    with pytest.raises(ValidationError) as bad_kind:
        tr.check_treatment_line(folder, {"kind": "astrology"})
    assert bad_kind.value.field == "kind"
    tr.check_treatment_line(folder, {"kind": "surgery", "description": "Lumpectomy"})
    assert tr.list_treatment_lines(folder) == []
    with pytest.raises(ValidationError) as nameless:
        directory.check_clinician(folder, {"name": " ", "specialty": "Pathology"})
    assert nameless.value.field == "name"
    with pytest.raises(ValidationError) as long_place:
        directory.check_clinician(folder, {"name": "Pat Example", "facility": "x" * 301})
    assert long_place.value.field == "facility"
    directory.check_clinician(folder, {"name": "Pat Example", "facility": "Example Hospital"})
    assert directory.list_clinicians(folder) == [] and directory.list_facilities(folder) == []
    with pytest.raises(ValidationError) as born:
        profile.check_profile(folder, name="Pat", date_of_birth="2999-01-01")
    assert born.value.field == "date_of_birth"
    assert profile.save_profile(folder, name="Pat").name == "Pat"
    assert profile.get_profile(folder).name == "Pat"
