"""The first and second opinion side by side: what each row says and whether the two differ."""

from __future__ import annotations

import pytest

from secondopinion_desktop.core import comparison as cmp
from secondopinion_desktop.core.appointments import create_appointment
from secondopinion_desktop.core.directory import create_clinician
from secondopinion_desktop.core.errors import NotFoundError
from secondopinion_desktop.core.opinions import add_follow_up, save_opinion
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.records import create_record
from secondopinion_desktop.core.treatments import create_treatment_line


@pytest.fixture
def visit(folder):  # type: ignore[no-untyped-def]
    save_profile(folder, name="Alex Sample", date_of_birth="1970-05-04", cancer_type="Breast cancer",
                 histology="Invasive ductal carcinoma", grade="2", tnm_stage="T2 N1 M0", stage_group="IIB",
                 biomarkers="ER+ PR+ HER2-", diagnosis_date="2026-05-31")
    consultant = create_clinician(folder, "Dana Lee", credentials="MD", role="second_opinion",
                                  facility="University Cancer Center")
    create_clinician(folder, "Jane Smith", credentials="MD", role="treating", facility="City Hospital")
    create_clinician(folder, "Ravi Patel", role="treating")
    create_clinician(folder, "Sam Path", credentials="MD", role="other")
    a = create_appointment(folder, "2026-11-20 10:00", clinician_id=consultant.id)
    return folder, a.id


def test_the_visit_and_the_treating_doctors_head_the_comparison(visit) -> None:
    folder, appointment = visit
    c = cmp.compare(folder, appointment)
    assert (c.appointment_id, c.visit_on.isoformat()) == (appointment, "2026-11-20")
    assert (c.consultant, c.institution) == ("Dana Lee, MD", "University Cancer Center")
    assert c.first_by == "Jane Smith, MD; Ravi Patel"  # the treating ones only, not the consultant nor others
    assert [r.topic for r in c.rows] == list(cmp.TOPICS)


def test_nothing_written_down_yet_has_no_opinion_and_every_row_cannot_tell(visit) -> None:
    folder, appointment = visit
    c = cmp.compare(folder, appointment)
    assert not c.has_opinion
    assert all(r.differs is None and r.second == "" for r in c.rows)
    assert c.row(cmp.DIAGNOSIS).first.startswith("Breast cancer; Invasive ductal carcinoma; grade 2; ER+ PR+ HER2-")
    assert "May 31, 2026" in c.row(cmp.DIAGNOSIS).first
    assert c.row(cmp.DIAGNOSIS).note == cmp.NOT_DISCUSSED
    assert c.row(cmp.STAGE).first == "T2 N1 M0, stage IIB"
    # an empty opinion (saved with nothing in it) is still no opinion
    save_opinion(folder, appointment, diagnosis="", plan="")
    assert not cmp.compare(folder, appointment).has_opinion


def test_a_confirmed_diagnosis_is_the_same_whatever_the_wording(visit) -> None:
    folder, appointment = visit
    save_opinion(folder, appointment, verdict="confirmed", diagnosis="IDC of the left breast")
    row = cmp.compare(folder, appointment).row(cmp.DIAGNOSIS)
    assert (row.differs, row.note, row.second) == (False, cmp.CONFIRMED, "IDC of the left breast")


def test_a_confirmed_diagnosis_without_words_says_confirmed(visit) -> None:
    folder, appointment = visit
    save_opinion(folder, appointment, verdict="confirmed")
    c = cmp.compare(folder, appointment)
    assert c.has_opinion
    assert (c.row(cmp.DIAGNOSIS).second, c.row(cmp.DIAGNOSIS).differs) == ("Confirmed", False)


@pytest.mark.parametrize(("verdict", "note"), [("refined", cmp.REFINED), ("changed", cmp.CHANGED)])
def test_a_refined_or_changed_diagnosis_differs_even_in_the_same_words(visit, verdict: str, note: str) -> None:
    folder, appointment = visit
    save_opinion(folder, appointment, verdict=verdict, diagnosis="Invasive ductal carcinoma")
    row = cmp.compare(folder, appointment).row(cmp.DIAGNOSIS)
    assert (row.differs, row.note) == (True, note)


def test_without_a_verdict_the_words_decide(visit) -> None:
    folder, appointment = visit
    save_opinion(folder, appointment, diagnosis="invasive ductal carcinoma, GRADE 2")
    assert cmp.compare(folder, appointment).row(cmp.DIAGNOSIS).differs is False
    save_opinion(folder, appointment, diagnosis="IDC; grade 2")  # the abbreviation written out
    assert cmp.compare(folder, appointment).row(cmp.DIAGNOSIS).differs is False
    save_profile(folder, histology="Invasive ductal carcinoma (no special type)")
    save_opinion(folder, appointment, diagnosis="invasive ductal carcinoma")  # the aside in brackets set aside
    assert cmp.compare(folder, appointment).row(cmp.DIAGNOSIS).differs is False
    save_opinion(folder, appointment, diagnosis="Invasive lobular carcinoma, grade 1")
    row = cmp.compare(folder, appointment).row(cmp.DIAGNOSIS)
    assert (row.differs, row.note) == (True, cmp.DIFFERS)


def test_the_first_opinion_is_the_treating_oncologists_when_there_are_some(visit) -> None:
    folder, appointment = visit
    create_clinician(folder, "Morgan Cutter", credentials="MD", role="treating", specialty="Breast surgical oncology")
    create_clinician(folder, "Taylor Chemo", credentials="MD", role="treating", specialty="Medical oncology")
    create_clinician(folder, "Pat Family", role="treating", specialty="Family medicine")
    assert cmp.compare(folder, appointment).first_by == "Taylor Chemo, MD; Morgan Cutter, MD"


def test_a_medication_list_filed_as_treatment_is_no_plan_when_a_plan_is_there(visit) -> None:
    folder, appointment = visit
    create_record(folder, "treatment", "Current medications", summary="Lisinopril 10 mg")
    assert "Lisinopril" in cmp.compare(folder, appointment).row(cmp.PLAN).first  # nothing else to go by
    create_record(folder, "treatment", "Proposed treatment plan", summary="Chemotherapy first")
    assert cmp.compare(folder, appointment).row(cmp.PLAN).first == "Proposed treatment plan: Chemotherapy first"


def test_a_missing_first_diagnosis_cannot_be_compared_unless_the_consultant_gave_a_verdict(folder) -> None:
    save_profile(folder, name="Alex Sample")
    a = create_appointment(folder, "2026-11-20 10:00", place="Room 4")  # a room is no institution
    save_opinion(folder, a.id, diagnosis="Invasive ductal carcinoma", stage="IIA")
    c = cmp.compare(folder, a.id)
    assert (c.consultant, c.institution, c.first_by) == ("", "", "")
    assert (c.row(cmp.DIAGNOSIS).first, c.row(cmp.DIAGNOSIS).differs) == ("", None)
    assert c.row(cmp.DIAGNOSIS).note == "Not in your profile"
    assert c.row(cmp.STAGE).differs is None
    save_opinion(folder, a.id, verdict="changed")
    assert cmp.compare(folder, a.id).row(cmp.DIAGNOSIS).differs is True


@pytest.mark.parametrize(("said", "differs"), [
    ("T2N1M0, stage IIB", False), ("Stage IIB", False), ("t2 n1 m0", False), ("IIB", False),
    ("cT2 cN1 cM0, stage IIB (clinical)", False),  # "c" is the default, asides in brackets are set aside
    ("T2 N0 M0, stage IIA", True), ("IIIA", True), ("pT2 pN1 M0", True),
])
def test_the_stage_compares_tnm_and_the_stage_group(visit, said: str, differs: bool) -> None:
    folder, appointment = visit
    save_opinion(folder, appointment, stage=said)
    row = cmp.compare(folder, appointment).row(cmp.STAGE)
    assert (row.second, row.differs) == (said, differs)


def test_the_plan_is_the_plan_records_and_the_ongoing_treatment(visit) -> None:
    folder, appointment = visit
    create_record(folder, "treatment", "Treatment plan from Dr Smith", summary="AC-T then surgery\nthen radiation",
                  date_of_service="2026-06-10")
    create_record(folder, "pathology", "Core biopsy")  # not a plan
    create_treatment_line(folder, "chemotherapy", description="AC-T", start_date="2026-06-20")
    create_treatment_line(folder, "surgery", description="Biopsy", start_date="2026-05-20")  # done: not current
    create_treatment_line(folder, "hormone", description="Tamoxifen", start_date="2026-01-01",
                          end_date="2026-03-01")  # stopped before the visit
    create_treatment_line(folder, "surgery", description="Lumpectomy", start_date="2026-12-15")  # still to come
    save_opinion(folder, appointment, plan="Neoadjuvant chemotherapy with TCHP")
    row = cmp.compare(folder, appointment).row(cmp.PLAN)
    assert row.first.splitlines() == [
        "Treatment plan from Dr Smith: AC-T then surgery then radiation",
        "Chemotherapy: AC-T (since Jun 20, 2026)",
        "Surgery: Lumpectomy (planned from Dec 15, 2026)",
    ]
    assert (row.second, row.differs, row.note) == ("Neoadjuvant chemotherapy with TCHP", True, cmp.DIFFERS)


def test_a_plan_with_nothing_on_record_cannot_tell(visit) -> None:
    folder, appointment = visit
    save_opinion(folder, appointment, plan="Surgery first")
    row = cmp.compare(folder, appointment).row(cmp.PLAN)
    assert (row.first, row.differs, row.note) == ("", None, "Not in your records")


def test_trials_and_further_tests_come_from_the_consultant(visit) -> None:
    folder, appointment = visit
    save_opinion(folder, appointment, trials="NCT01234567\n\n  NCT07654321 ", further_tests=["Re-review of block A1"],
                 next_steps="Dr Smith to order the re-review", report_record_id=create_record(
                     folder, "clinical", "Consult report, Dr Lee").id)
    add_follow_up(folder, appointment, "Is radiation needed?")
    c = cmp.compare(folder, appointment)
    trials, tests = c.row(cmp.TRIALS), c.row(cmp.FURTHER_TESTS)
    assert (trials.first, trials.second, trials.differs, trials.note) == (
        "", "NCT01234567\nNCT07654321", None, cmp.SUGGESTED)
    assert (tests.second, tests.differs) == ("Re-review of block A1", None)
    assert (c.report_title, c.next_steps) == ("Consult report, Dr Lee", "Dr Smith to order the re-review")
    assert c.differences == ()


def test_an_unknown_appointment_is_one_sentence(folder) -> None:
    with pytest.raises(NotFoundError, match=r"^There is no appointment 99\.$"):
        cmp.compare(folder, 99)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Invasive Ductal Carcinoma", "invasive  ductal carcinoma.", True),
    ("IDC", "invasive ductal carcinoma", True),
    ("ER+ / HER2−", "ER positive, HER2 negative", True),
    ("Adenocarcinoma", "Squamous cell carcinoma", False),
    ("", "", False),
])
def test_texts_are_compared_without_case_spacing_punctuation_or_abbreviations(a: str, b: str, same: bool) -> None:
    assert cmp.same_text(a, b) is same
