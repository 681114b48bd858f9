"""The comparison PDF and the two letters after a second opinion, read back with pypdf."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.core.appointments import create_appointment
from secondopinion_desktop.core.directory import create_clinician, list_clinicians
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.opinions import add_follow_up, add_requirements, change_follow_up, save_opinion
from secondopinion_desktop.core.outputs import OutputPathError
from secondopinion_desktop.core.packet import after_consult as ac
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.records import create_record

HOSTILE = "<b>bold</b> & <script>alert(1)</script>"


def text_of(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_of(pdf: Path) -> int:
    return len(PdfReader(pdf).pages)


@pytest.fixture
def case(folder):  # type: ignore[no-untyped-def]
    save_profile(folder, name="Alex Sample", date_of_birth="1970-05-04", cancer_type="Breast cancer",
                 histology="Invasive ductal carcinoma", grade="2", tnm_stage="T2 N1 M0", stage_group="IIB",
                 biomarkers="ER+ PR+ HER2-", address="12 Elm Street\nSpringfield, IL 62701", phone="555-0100",
                 email="alex@example.org")
    consultant = create_clinician(folder, "Dana Lee", credentials="MD", role="second_opinion",
                                  facility="University Cancer Center", phone="555-0300", email="dlee@ucc.example")
    create_clinician(folder, "Ravi Patel", role="treating")
    smith = create_clinician(folder, "Jane Smith", credentials="MD", role="treating", facility="City Hospital",
                             address="1 Hospital Way\nSpringfield, IL")
    a = create_appointment(folder, "2026-11-20 10:00", clinician_id=consultant.id)
    create_record(folder, "treatment", "Plan from Dr Smith", summary="AC-T, then lumpectomy")
    return folder, a.id, smith.id


def _opinion(folder, appointment: int, **extra) -> None:  # type: ignore[no-untyped-def]
    report = create_record(folder, "clinical", "Consult report, Dr Lee")
    fields = dict(verdict="refined", diagnosis="Invasive ductal carcinoma, grade 3", stage="T2 N1 M0, stage IIB",
                  plan="Neoadjuvant TCHP, then surgery", trials="NCT01234567",
                  further_tests="Pathology re-review of block A1", next_steps="Dr Smith to order the re-review",
                  report_record_id=report.id)
    fields.update(extra)
    save_opinion(folder, appointment, **fields)


def test_the_comparison_shows_both_sides_and_marks_the_differences(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    _opinion(folder, appointment)
    add_follow_up(folder, appointment, "Is radiation needed?")
    answered = add_follow_up(folder, appointment, "Should I test for BRCA?")
    change_follow_up(folder, answered.id, answer="Yes, genetic counselling.", answered_on="2026-11-28")
    steps: list[tuple[int, int]] = []
    out = ac.write_comparison_pdf(folder, appointment, tmp_path / "comparison.pdf",
                                  progress=lambda d, t: steps.append((d, t)))
    text = text_of(out)
    assert pages_of(out) == 1
    for expected in ("First and second opinion", "Alex Sample", "born May 4, 1970", "Nov 20, 2026",
                     "Dana Lee, MD", "University Cancer Center", "Jane Smith, MD; Ravi Patel",
                     "Invasive ductal carcinoma, grade 3", "Breast cancer; Invasive ductal carcinoma",
                     "Refined by the consultant", "Neoadjuvant TCHP", "Plan from Dr Smith: AC-T, then lumpectomy",
                     "NCT01234567", "Pathology re-review of block A1", "Dr Smith to order the re-review",
                     "Enclosed: Consult report, Dr Lee", "Is radiation needed?", "Not answered yet.",
                     "Yes, genetic counselling."):
        assert squash(expected) in squash(text), expected
    # two rows differ (diagnosis refined, another plan), the stage is the same: each said in words
    assert text.count("\u2260 Differs") == 1 + 2  # the legend above the table, then the two rows
    assert "= Same" in text
    assert "Diagnosis and treatment plan" in text
    assert steps[-1] == (3, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comparison.pdf", "data"]  # no temporary file left beside it


def test_no_opinion_yet_is_one_sentence_and_writes_nothing(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    with pytest.raises(ValidationError, match=r"^There is no opinion written down for this appointment yet\.$"):
        ac.write_comparison_pdf(folder, appointment, tmp_path / "c.pdf")
    with pytest.raises(NotFoundError, match=r"^There is no appointment 99\.$"):
        ac.write_comparison_pdf(folder, 99, tmp_path / "c.pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # only the data folder of the test


def test_long_text_keeps_the_comparison_to_two_pages_and_says_where_the_rest_is(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    long = "A long paragraph of reasons and details. " * 450  # ~18,000 characters
    _opinion(folder, appointment, diagnosis=long, plan=long, next_steps=long, trials=[f"Trial {n} " + "x" * 300
                                                                                      for n in range(40)])
    for n in range(30):
        add_follow_up(folder, appointment, f"Question {n}: " + "why " * 200)
    out = ac.write_comparison_pdf(folder, appointment, tmp_path / "c.pdf")
    text = text_of(out)
    assert pages_of(out) <= 2
    assert squash("(continued in the consultant's report)") in squash(text)
    assert "more question" in text  # the questions not shown are counted
    assert "Differs" in text


def test_long_text_without_a_report_says_it_was_shortened(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    save_opinion(folder, appointment, plan="Reasons. " * 3000)
    out = ac.write_comparison_pdf(folder, appointment, tmp_path / "c.pdf")
    assert pages_of(out) <= 2
    assert squash("(shortened to fit two pages)") in squash(text_of(out))


def test_markup_in_any_text_prints_as_typed(case, tmp_path: Path) -> None:
    folder, appointment, smith = case
    save_profile(folder, name=f"Alex {HOSTILE}", cancer_type=HOSTILE)
    _opinion(folder, appointment, diagnosis=HOSTILE, plan=HOSTILE, trials=HOSTILE, next_steps=HOSTILE)
    add_follow_up(folder, appointment, HOSTILE)
    add_requirements(folder, appointment, [HOSTILE])
    for write in (ac.write_comparison_pdf, ac.write_cover_letter, ac.write_physician_letter):
        out = write(folder, appointment, tmp_path / f"{write.__name__}.pdf")
        text = squash(text_of(out))
        assert squash(HOSTILE) in text, write.__name__
        assert "&amp;" not in text and "&lt;" not in text


def test_the_cover_letter_names_the_consult_and_what_is_enclosed(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    _opinion(folder, appointment)
    out = ac.write_cover_letter(folder, appointment, tmp_path / "cover.pdf")
    text = squash(text_of(out))
    assert pages_of(out) == 1
    for expected in ("Alex Sample", "12 Elm Street", "Phone: 555-0100", "Email: alex@example.org",
                     "Jane Smith, MD", "City Hospital", "1 Hospital Way",  # the first treating clinician by name
                     "Dear Dr. Smith,", "second-opinion consultation with Dana Lee, MD at University Cancer Center "
                     "on Nov 20, 2026", "A side-by-side comparison of the first and second opinion",
                     "The consultant's written report: Consult report, Dr Lee",
                     "on record: diagnosis and treatment plan",
                     "discuss the consultant's opinion and the next steps with you at my next visit",
                     "Signature:", "Printed name: Alex Sample"):
        assert squash(expected) in text, expected


def test_a_letter_goes_to_the_clinician_asked_for(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    _opinion(folder, appointment, report_record_id=None)
    patel = next(c for c in list_clinicians(folder) if c.name == "Ravi Patel")
    out = ac.write_cover_letter(folder, appointment, tmp_path / "cover.pdf", to_clinician_id=patel.id)
    text = squash(text_of(out))
    assert squash("Dear Ravi Patel,") in text and "JaneSmith" not in text
    assert "writtenreport" not in text  # no report: none enclosed
    with pytest.raises(NotFoundError, match=r"^There is no clinician 999\.$"):
        ac.write_cover_letter(folder, appointment, tmp_path / "x.pdf", to_clinician_id=999)


def test_the_physician_letter_asks_for_records_or_a_call_and_says_where_to_send_them(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    add_requirements(folder, appointment, "Pathology slides\nCT images on CD")
    out = ac.write_physician_letter(folder, appointment, tmp_path / "physician.pdf")
    text = squash(text_of(out))
    assert pages_of(out) == 1
    for expected in ("Alex Sample", "Phone: 555-0100", "Dear Dr. Smith,", "send my records to Dana Lee, MD",
                     "join a call with Dana Lee, MD", "Pathology slides", "CT images on CD",
                     "Consultant: Dana Lee, MD", "Institution: University Cancer Center", "Phone: 555-0300",
                     "Email: dlee@ucc.example", "You have my permission to share my records", "Signature:"):
        assert squash(expected) in text, expected


def test_the_letters_stay_on_one_page_with_long_input(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    _opinion(folder, appointment, next_steps="Many steps to take. " * 800)
    add_requirements(folder, appointment, [f"Item {n}: " + "detail " * 40 for n in range(30)])
    assert pages_of(ac.write_cover_letter(folder, appointment, tmp_path / "a.pdf")) == 1
    out = ac.write_physician_letter(folder, appointment, tmp_path / "b.pdf")
    assert pages_of(out) == 1
    assert "more items" in text_of(out)


def test_a_letter_with_nobody_to_address_leaves_lines_to_write_on(folder, tmp_path: Path) -> None:
    a = create_appointment(folder, "2026-11-20 10:00")
    save_opinion(folder, a.id, verdict="confirmed")
    out = ac.write_cover_letter(folder, a.id, tmp_path / "cover.pdf")
    text = text_of(out)
    assert "Dear Doctor," in text and "To: ____" in text and "a consulting doctor" in text
    assert "Printed name: ____" in text  # no name in the profile either


def test_the_cover_letter_needs_an_opinion_but_the_physician_letter_comes_before_the_visit(case, tmp_path: Path
                                                                                          ) -> None:
    folder, appointment, _ = case
    with pytest.raises(ValidationError, match=r"^There is no opinion written down for this appointment yet\.$"):
        ac.write_cover_letter(folder, appointment, tmp_path / "cover.pdf")
    out = ac.write_physician_letter(folder, appointment, tmp_path / "physician.pdf")
    assert squash("send my records to Dana Lee, MD") in squash(text_of(out))
    assert "itemslistedbelow" not in squash(text_of(out))  # the center asked for nothing in particular
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "physician.pdf"]


def test_a_session_can_write_them_too(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    _opinion(folder, appointment)
    with folder.session() as session:
        assert ac.write_comparison_pdf(session, appointment, tmp_path / "c.pdf").is_file()
        with pytest.raises(OutputPathError, match="inside the data folder"):
            ac.write_cover_letter(session, appointment, folder.path / "c.pdf")


def test_a_cancel_leaves_nothing_and_a_bad_place_is_refused(case, tmp_path: Path) -> None:
    folder, appointment, _ = case
    _opinion(folder, appointment)
    calls = {"n": 0}

    def cancel_later() -> bool:
        calls["n"] += 1
        return calls["n"] > 3  # once the layout has begun

    for write in (ac.write_comparison_pdf, ac.write_cover_letter, ac.write_physician_letter):
        calls["n"] = 0
        with pytest.raises(Cancelled):
            write(folder, appointment, tmp_path / "out.pdf", cancelled=cancel_later)
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # only the data folder of the test
    with pytest.raises(OutputPathError, match="inside the data folder"):
        ac.write_comparison_pdf(folder, appointment, folder.path / "c.pdf")
    with pytest.raises(OutputPathError, match="does not exist"):
        ac.write_cover_letter(folder, appointment, tmp_path / "nowhere" / "c.pdf")
