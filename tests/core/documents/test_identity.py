"""Whom a document names: the patient names and dates of birth it states, compared with the profile, and the
records whose files name someone else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secondopinion_desktop.core import profile as profiles
from secondopinion_desktop.core import records
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.documents.identity import (
    FoundIdentity,
    IdentityProblem,
    check,
    found_in,
    problems_by_record,
)
from secondopinion_desktop.core.documents.model import PageText, ReadResult
from secondopinion_desktop.core.profile import ProfileData

MARIA = ProfileData(name="Maria Elena López-García", date_of_birth=dt.date(1968, 3, 14))


def found(*pages: str) -> FoundIdentity:
    return found_in([PageText(n, text) for n, text in enumerate(pages, start=1)])


# --- what a document states -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "name"), [
    ("Patient: LOPEZ, MARIA", "LOPEZ, MARIA"),
    ("Name: Maria E. Lopez", "Maria E. Lopez"),
    ("Patient Name: Maria Lopez   DOB: 03/14/1968   Sex: F", "Maria Lopez"),
    ("PATIENT:  LOPEZ,  MARIA  E     MRN:  00412278", "LOPEZ, MARIA E"),
    ("Pt: Maria Lopez (58 y)", "Maria Lopez"),
    ("LOPEZ, MARIA A  MRN: 123  DOB: 03/14/1968", "LOPEZ, MARIA A"),
    ("Patient Alex Sample Date of birth Jul 12, 1975", "Alex Sample"),
    ("Member Name: MARIA E LOPEZ", "MARIA E LOPEZ"),
    ("Patient Name (Last, First): LOPEZ, MARIA", "LOPEZ, MARIA"),
    ("Name: DE LA CRUZ, MARÍA", "DE LA CRUZ, MARÍA"),
    ("Patient: Seán O'Brien", "Seán O'Brien"),
])
def test_names_a_document_states(text: str, name: str) -> None:
    assert found("SURGICAL PATHOLOGY REPORT\n" + text).names == ((name, 1),)


@pytest.mark.parametrize("text", [
    "Patient reports a painless lump in the left breast, first noticed two weeks ago.",
    "The patient tolerated the procedure well.",
    "Name of test: Complete blood count",
    "Patient: see label",
    "Patient education: Breast cancer",
    "Thank you for seeing my patient, Alex Sample, for a second opinion.",
    "Test Name: Complete Blood Count",
    "Facility Name: Samplewood Community Hospital",
    "Name: Dr. Jane Smith",
    "Patient: Maria Lopez is a 58 year old woman with a breast mass.",
    "Patient signature: ________",
    "Guarantor: LOPEZ, JOSE",
    "Patient seen by: Dr. Jane Smith",
])
def test_sentences_are_not_names(text: str) -> None:
    assert found(text).names == ()


@pytest.mark.parametrize("text", [
    "DOB: 03/14/1968", "Date of birth: 14 March 1968", "Birth date 1968-03-14", "D.O.B. 14-MAR-1968",
    "DOB 03/14/68", "Date of Birth: March 14th, 1968", "Birthdate: 19680314", "DOB/Age: 03/14/1968 (58)",
])
def test_dates_of_birth_in_every_form(text: str) -> None:
    assert found(text).birth_dates == (("1968-03-14", 1),)


def test_pages_are_kept_and_each_name_once() -> None:
    result = found("Patient: Maria Lopez\nDOB: 03/14/1968", "Patient: LOPEZ, MARIA\nDOB: 1968-03-14",
                   "Patient: John Smith\nDOB: 05/04/1960")
    assert result.names == (("Maria Lopez", 1), ("John Smith", 3))  # LOPEZ, MARIA is the same name again
    assert result.birth_dates == (("1968-03-14", 1), ("1960-05-04", 3))


def test_json_round_trip() -> None:
    result = found("Patient: Maria López\nDOB: 03/14/1968")
    assert FoundIdentity.from_json(result.to_json()) == result
    assert FoundIdentity().to_json() == ""
    for broken in ("", "{", "[]", '{"names": [[1, "x"]]}', "null"):
        assert FoundIdentity.from_json(broken) == FoundIdentity()


# --- compared with the profile ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "LOPEZ-GARCIA, MARIA", "Maria Lopez-Garcia", "María Elena López-García", "LOPEZ GARCIA, MARIA E",
    "Maria E. Lopez-Garcia", "M. Lopez-Garcia", "Maria Lopez", "GARCIA, MARIA ELENA",
])
def test_the_same_patient_written_another_way_is_no_problem(name: str) -> None:
    assert check(FoundIdentity(names=((name, 1),)), MARIA) == []


def test_particles_and_apostrophes() -> None:
    profile = ProfileData(name="María de la Cruz O'Neil")
    for name in ("DE LA CRUZ O'NEIL, MARIA", "Maria de la Cruz ONeil", "MARIA DE LA CRUZ"):
        assert check(FoundIdentity(names=((name, 1),)), profile) == []


def test_a_different_person_is_a_problem() -> None:
    problems = check(FoundIdentity(names=(("SMITH, JOHN", 2),)), MARIA)
    assert problems == [IdentityProblem(0, 0, 2, 'This document names "SMITH, JOHN", not Maria Elena López-García.')]


def test_a_different_initial_or_surname_is_a_problem() -> None:
    assert check(FoundIdentity(names=(("Maria Gonzalez", 1),)), MARIA) != []
    assert check(FoundIdentity(names=(("J. Lopez-Garcia", 1),)), MARIA) != []


def test_a_near_match_is_reported_more_softly() -> None:
    problems = check(FoundIdentity(names=(("Maria Lopes-Garcia", 1),)), MARIA)
    assert len(problems) == 1
    assert problems[0].sentence == ('This document names "Maria Lopes-Garcia", close to but not the same as '
                                    'Maria Elena López-García: check it is the patient.')


def test_date_of_birth_compared_as_a_date() -> None:
    assert check(found("DOB: 14.03.1968"), MARIA) == []
    assert check(found("Date of birth: March 14, 1968"), MARIA) == []
    problems = check(found("x\nDOB: 05/04/1960"), MARIA)
    assert problems == [IdentityProblem(0, 0, 1, "This document gives the date of birth 4 May 1960; "
                                                 "the profile says 14 Mar 1968.")]


def test_day_and_month_written_the_other_way_round_is_not_a_different_date() -> None:
    april = ProfileData(name="Maria Lopez", date_of_birth=dt.date(1968, 4, 3))
    assert check(found("DOB: 03/04/1968"), april) == []  # read as 4 Mar (US order), written day first
    assert check(found("DOB: 03/05/1968"), april) != []


def test_nothing_to_compare_with_an_empty_profile() -> None:
    result = found("Patient: John Smith\nDOB: 05/04/1960")
    assert check(result, ProfileData()) == []
    assert [p.sentence.split(";")[0] for p in check(result, ProfileData(date_of_birth=dt.date(1968, 3, 14)))] == \
        ["This document gives the date of birth 4 May 1960"]
    assert len(check(result, ProfileData(name="Maria Lopez"))) == 1


# --- every record of a data folder ------------------------------------------------------------------------------

def _attach(folder, tmp_path: Path, title: str, name: str, text: str) -> records.RecordData:
    path = tmp_path / name
    path.write_text(text)  # the content makes each file distinct in the vault
    record = records.create_record_with_files(folder, "pathology", title, [path])
    pages = tuple(PageText(n, body) for n, body in enumerate(text.split("\f"), start=1))
    index.store_result(folder, record.attachments[0].sha256, ReadResult(pages, len(pages)))
    return record


def test_problems_by_record_in_a_data_folder(folder, tmp_path: Path) -> None:
    mine = _attach(folder, tmp_path, "Mine", "mine.pdf", "Patient: LOPEZ, MARIA\nDOB: 03/14/1968")
    other = _attach(folder, tmp_path, "Fax", "fax.pdf",
                    "Patient: LOPEZ, MARIA\nDOB: 03/14/1968\fPatient: John Smith\nDOB: 05/04/1960")
    unnamed = _attach(folder, tmp_path, "Plain", "plain.pdf", "Invasive ductal carcinoma")
    assert problems_by_record(folder) == {}  # no profile yet: nothing to compare with
    profiles.save_profile(folder, name="Maria Lopez", date_of_birth=dt.date(1968, 3, 14))
    problems = problems_by_record(folder)
    assert set(problems) == {other.id}
    attachment = other.attachments[0].id
    assert problems[other.id] == [
        IdentityProblem(other.id, attachment, 2, 'This document names "John Smith", not Maria Lopez.'),
        IdentityProblem(other.id, attachment, 2,
                        "This document gives the date of birth 4 May 1960; the profile says 14 Mar 1968."),
    ]
    assert mine.id not in problems and unnamed.id not in problems
    profiles.save_profile(folder, name="John Smith", date_of_birth=dt.date(1960, 5, 4))
    assert set(problems_by_record(folder)) == {mine.id, other.id}


def test_problems_by_record_over_2000_documents(folder, tmp_path: Path) -> None:
    from sqlalchemy import update

    from secondopinion_desktop.core.models import Attachment, DocumentText, Record

    profiles.save_profile(folder, name="Maria Lopez", date_of_birth=dt.date(1968, 3, 14))
    with folder.session() as session:  # 2,000 records, each with its own file and stored identity
        for n in range(2000):
            session.add(Record(kind="lab", title=f"Result {n}"))
        session.flush()
        ids = [r.id for r in session.query(Record).order_by(Record.id)]
        for n, record_id in enumerate(ids):
            sha = f"{n:064x}"
            session.add(Attachment(record_id=record_id, original_name=f"{n}.pdf", size=1, sha256=sha))
        session.flush()
        session.execute(update(DocumentText).values(state="read"))
        for n in range(2000):
            who = "John Smith" if n % 100 == 0 else "LOPEZ, MARIA"
            identity = FoundIdentity(names=((who, 1),), birth_dates=(("1968-03-14", 1),)).to_json()
            session.execute(update(DocumentText).where(DocumentText.sha256 == f"{n:064x}").values(identity=identity))
    problems = problems_by_record(folder)
    assert sorted(problems) == ids[::100]
    assert all(p[0].sentence == 'This document names "John Smith", not Maria Lopez.' for p in problems.values())


def test_middle_initials() -> None:
    plain = ProfileData(name="Maria Lopez")
    assert check(FoundIdentity(names=(("LOPEZ, MARIA A", 1),)), plain) == []  # the profile has no middle name
    assert check(FoundIdentity(names=(("M Lopez", 1),)), plain) == []
    assert check(FoundIdentity(names=(("R Lopez", 1),)), plain) != []  # another first name
    middle = ProfileData(name="Maria E. Lopez")
    assert check(FoundIdentity(names=(("Maria Elena Lopez", 1),)), middle) == []
    assert check(FoundIdentity(names=(("Maria Anne Lopez", 1),)), middle) != []
