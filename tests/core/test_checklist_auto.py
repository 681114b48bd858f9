"""Checklist steps the data shows done tick themselves; the patient's untick of such a step is kept."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from secondopinion_desktop.core import appointments, checklist, directory, profile, records
from secondopinion_desktop.core.appointments import AppointmentData, AppointmentQuestionData
from secondopinion_desktop.core.checklist import ChecklistEvidence, done_by_data
from secondopinion_desktop.core.directory import ClinicianData
from secondopinion_desktop.core.guidance import load_checklist_template
from secondopinion_desktop.core.models import ChecklistItem, ClinicianRole, ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.profile import ProfileData
from secondopinion_desktop.core.records import AttachmentData, RecordData

STAMP = dt.datetime(2026, 3, 1, 12, 0)
K, S = RecordKind, RecordStatus


def rec(id: int, kind: RecordKind, title: str, status: RecordStatus = S.RECEIVED, **fields) -> RecordData:
    values = dict(
        id=id, kind=kind, title=title, date_of_service=None, facility_id=None, facility_name="",
        clinician_id=None, clinician_name="", status=status, requested_on=None, received_on=None, sent_on=None,
        summary="", notes="", imaging_modality="", imaging_body_region="", images_location=None,
        accession_number="", specimen_site="", slides_count=None, blocks_count=None, material_holder="",
        created_at=STAMP, updated_at=STAMP, attachments=(),
    )
    values.update(fields)
    return RecordData(**values)


def doctor(id: int, name: str, role: ClinicianRole, credentials: str = "MD") -> ClinicianData:
    return ClinicianData(id=id, name=name, specialty="", credentials=credentials, board_certification="",
                         facility_id=None, facility_name="", phone="", email="", address="", role=role, notes="")


def visit(id: int, clinician: ClinicianData | None = None, questions: int = 0, attendees: str = "") -> AppointmentData:
    return AppointmentData(
        id=id, starts_at=STAMP, clinician_id=clinician.id if clinician else None,
        clinician_name=clinician.display_name if clinician else "", clinician_specialty="", institution="",
        place="", purpose="", attendees=attendees,
        questions=tuple(AppointmentQuestionData(n, n, f"Question {n}?", False, "") for n in range(1, questions + 1)),
        notes=(),
    )


FULL_PROFILE = ProfileData(name="Test Patient", date_of_birth=dt.date(1970, 3, 4), cancer_type="Breast cancer")
AVERY = doctor(1, "Avery Stone", ClinicianRole.SECOND_OPINION)
TAYLOR = doctor(2, "Taylor Test", ClinicianRole.TREATING)
DICOM = AttachmentData(id=0, record_id=0, original_name="IM0001", media_type="application/dicom", size=1,
                       sha256="0" * 64, added_at=STAMP)
E = ChecklistEvidence

CASES = {
    "nothing yet": (E(), {}),
    "a profile without a birth date is not filled in": (
        E(profile=dataclasses.replace(FULL_PROFILE, date_of_birth=None)), {}),
    "a filled-in profile": (E(profile=FULL_PROFILE),
                            {"fill-profile": "the profile names the diagnosis: Breast cancer"}),
    "a treating doctor is not the second-opinion doctor": (E(clinicians=(TAYLOR,)), {}),
    "a second-opinion doctor in the directory": (E(clinicians=(AVERY, TAYLOR)),
                                                 {"choose-doctor": "Avery Stone, MD chosen"}),
    "an appointment with a doctor": (E(clinicians=(TAYLOR,), appointments=(visit(1, TAYLOR),)), {
        "choose-doctor": "Taylor Test, MD chosen", "book-appointment": "1 appointment booked"}),
    "an appointment without a doctor, two others with the same one": (
        E(clinicians=(AVERY,), appointments=(visit(1), visit(2, AVERY), visit(3, AVERY))),
        {"choose-doctor": "Avery Stone, MD chosen", "book-appointment": "3 appointments booked"}),
    "questions on an appointment": (E(appointments=(visit(1, questions=1), visit(2, questions=6))), {
        "book-appointment": "2 appointments booked", "write-questions": "7 questions written down"}),
    "someone comes along": (E(appointments=(visit(1, attendees="Jamie (spouse)"),)), {
        "book-appointment": "1 appointment booked", "arrange-companion": "Jamie (spouse) coming along"}),
    "one record still needed": (E(records=(rec(1, K.LAB, "Blood work", S.REQUESTED),
                                           rec(2, K.IMAGING, "CT report", S.NEEDED))), {}),
    "every record requested or in hand": (
        E(records=(rec(1, K.LAB, "Blood work", S.REQUESTED, facility_name="Lab A"),
                   rec(2, K.CLINICAL, "Visit note", S.RECEIVED, facility_name="Clinic B"),
                   rec(3, K.CLINICAL, "Discharge note", S.SENT, facility_name="Clinic B"))),
        {"request-records": "every record requested or in hand (3 records from 2 places)"}),
    "slides still needed": (E(records=(rec(1, K.PATHOLOGY, "Biopsy slides", S.NEEDED),)), {}),
    "a pathology report is not the slides": (E(records=(rec(1, K.PATHOLOGY, "Pathology report", S.REQUESTED),)),
                                             {"request-records": "every record requested or in hand (1 record)"}),
    "slides requested": (E(records=(rec(1, K.PATHOLOGY, "Biopsy slides and blocks", S.REQUESTED, slides_count=9),
                                    rec(2, K.LAB, "Blood work", S.NEEDED))),
                         {"send-pathology-slides": "Biopsy slides and blocks requested"}),
    "a signed release in hand": (E(records=(rec(1, K.IDENTITY, "Signed HIPAA release", S.RECEIVED),)), {
        "sign-releases": "1 signed release kept here",
        "request-records": "every record requested or in hand (1 record)"}),
    "a release still to sign": (E(records=(rec(1, K.IDENTITY, "Release form", S.NEEDED),)), {}),
    "a scan report without images": (E(records=(rec(1, K.IMAGING, "CT report", S.RECEIVED),)),
                                     {"request-records": "every record requested or in hand (1 record)"}),
    "scans on a CD and as DICOM files": (
        E(records=(rec(1, K.IMAGING, "CT chest", S.RECEIVED, images_location=ImagesLocation.CD),
                   rec(2, K.IMAGING, "MRI breast", S.RECEIVED, attachments=(DICOM,)),
                   rec(3, K.IMAGING, "PET", S.REQUESTED, images_location=ImagesLocation.CD))),
        {"get-imaging-cd": "the images of 2 scans are here",
         "request-records": "every record requested or in hand (3 records)"}),
    "the insurer is not sure yet": (E(answers={"call-insurer": {"covered": "Not sure yet"}}), {}),
    "the insurer said whether it is covered": (
        E(answers={"call-insurer": {"covered": "Yes", "reference": "R-1"}}),
        {"call-insurer": "the insurer said whether a second opinion is covered (Yes)"}),
}


@pytest.mark.parametrize(("evidence", "expected"), list(CASES.values()), ids=list(CASES))
def test_what_the_data_shows_done(evidence, expected) -> None:
    assert done_by_data(evidence) == expected


def test_steps_only_she_knows_are_never_ticked_by_the_data() -> None:
    rich = E(profile=FULL_PROFILE, clinicians=(AVERY,), appointments=(visit(1, AVERY, 3, "Jamie"),),
             records=(rec(1, K.PATHOLOGY, "Slides", S.SENT, slides_count=2),),
             answers={"call-insurer": {"covered": "No"}})
    shown = done_by_data(rich)
    assert "tell-doctor" not in shown and "confirm-records-arrived" not in shown
    assert set(shown) <= {t.key for t in load_checklist_template()}


def entries(folder) -> dict[str, checklist.ChecklistEntry]:
    with folder.session() as s:
        return {e.key or e.title: e for e in checklist.list_checklist(s)}


def test_the_data_ticks_steps_and_her_untick_is_kept_until_she_ticks_again(folder) -> None:
    assert checklist.progress(list(entries(folder).values()))[0] == 0
    with folder.session() as s:
        avery = directory.create_clinician(s, name="Avery Stone", credentials="MD", role=ClinicianRole.SECOND_OPINION)
        made = appointments.create_appointment(s, dt.datetime.now() + dt.timedelta(days=5), clinician_id=avery.id)
        appointments.add_question(s, made.id, "What do you recommend?")
        profile.save_profile(s, name="Pat", date_of_birth="1970-01-02", cancer_type="Breast cancer")
    steps = entries(folder)
    for key in ("fill-profile", "choose-doctor", "book-appointment", "write-questions"):
        assert steps[key].done and steps[key].done_by_data and steps[key].done_on is None, key
    assert steps["book-appointment"].shown_by_data == "1 appointment booked"
    assert not steps["tell-doctor"].done
    assert checklist.progress(list(steps.values())) == (4, len(steps))

    booked = steps["book-appointment"]
    with folder.session() as s:
        unticked = checklist.set_done(s, booked.id, False)
    assert not unticked.done and unticked.unticked and unticked.shown_by_data == "1 appointment booked"
    with folder.session() as s:  # more data does not tick it again
        appointments.create_appointment(s, dt.datetime.now() + dt.timedelta(days=9))
    again = entries(folder)["book-appointment"]
    assert not again.done and again.unticked and again.answers == {}
    assert checklist.progress(list(entries(folder).values()))[0] == 3

    with folder.session() as s:
        ticked = checklist.set_done(s, booked.id, True)
    assert ticked.done and ticked.ticked and not ticked.unticked and ticked.done_on == dt.date.today()
    with folder.session() as s:  # her own tick, undone: the data shows it again
        checklist.set_done(s, booked.id, False)
    with folder.session() as s:
        row = s.get(ChecklistItem, booked.id)
        assert "_unticked" in row.answers  # kept in the data folder, beside the step
    assert not entries(folder)["book-appointment"].done


def test_unticking_a_step_the_data_does_not_show_leaves_no_mark(folder) -> None:
    step = entries(folder)["book-appointment"]
    with folder.session() as s:
        checklist.set_done(s, step.id, True)
        checklist.set_done(s, step.id, False)
        appointments.create_appointment(s, dt.datetime.now() + dt.timedelta(days=5))
    now = entries(folder)["book-appointment"]
    assert now.done and now.done_by_data and not now.unticked


def test_answers_keep_the_untick_mark_hidden_and_in_place(folder) -> None:
    with folder.session() as s:
        step = next(e for e in checklist.list_checklist(s) if e.key == "call-insurer")
        checklist.set_answers(s, step.id, {"covered": "Yes"})
        assert checklist.get_item(s, step.id).done
        checklist.set_done(s, step.id, False)
        kept = checklist.set_answers(s, step.id, {"reference": "R-9"})
    assert kept.answers == {"covered": "Yes", "reference": "R-9"} and not kept.done and kept.unticked


def test_a_new_first_step_goes_first_in_an_existing_folder(folder) -> None:
    with folder.session() as s:
        checklist.list_checklist(s)
        own = checklist.add_item(s, "Ask my sister to drive")
        s.delete(s.scalars(select(ChecklistItem).where(ChecklistItem.key == "fill-profile")).one())
    with folder.session() as s:
        keys = [e.key for e in checklist.list_checklist(s)]
    assert keys == [t.key for t in load_checklist_template()] + [None]
    assert entries(folder)["Ask my sister to drive"].id == own.id


def test_records_listing_feeds_the_evidence(folder) -> None:
    with folder.session() as s:
        records.create_record(s, kind=RecordKind.PATHOLOGY, title="Biopsy slides", status=RecordStatus.REQUESTED)
    assert entries(folder)["send-pathology-slides"].shown_by_data == "Biopsy slides requested"
