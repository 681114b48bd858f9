"""The sample case: what fill_demo_data puts into an empty data folder, and when it refuses."""

from __future__ import annotations

import datetime as dt
import io
import struct
import subprocess
import zlib
from collections import Counter

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from secondopinion_desktop.core import demo, records
from secondopinion_desktop.core.demo import DemoSummary, fill_demo_data, load_case
from secondopinion_desktop.core.directory import create_facility, list_clinicians, list_facilities
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import (
    AllergyRow,
    Attachment,
    Clinician,
    ClinicianRole,
    Facility,
    LabResultRow,
    MaterialShipment,
    MedicationRow,
    Profile,
    Record,
    RecordKind,
    RecordsRequest,
    RecordStatus,
)
from secondopinion_desktop.core.profile import ProfileData, get_profile, save_profile
from secondopinion_desktop.core.records import list_records

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EMPTY = {"Record": 0, "Facility": 0, "Clinician": 0, "Attachment": 0, "Profile": 0, "RecordsRequest": 0,
         "MaterialShipment": 0, "MedicationRow": 0, "AllergyRow": 0, "LabResultRow": 0}


def _counts(folder) -> dict[str, int]:
    with folder.session() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Record, Facility, Clinician, Attachment, Profile, RecordsRequest, MaterialShipment,
                          MedicationRow, AllergyRow, LabResultRow)
        }


def _all_records(folder) -> list[records.RecordData]:
    with folder.session() as session:
        return list_records(session)


@pytest.fixture
def filled(folder):
    return folder, fill_demo_data(folder)


def test_summary_matches_what_is_in_the_folder(filled):
    folder, summary = filled
    assert isinstance(summary, DemoSummary)
    counts = _counts(folder)
    assert summary == DemoSummary(
        records=counts["Record"], facilities=counts["Facility"], clinicians=counts["Clinician"],
        attachments=counts["Attachment"], requests=counts["RecordsRequest"],
        shipments=counts["MaterialShipment"], medications=counts["MedicationRow"], allergies=counts["AllergyRow"],
        lab_results=counts["LabResultRow"],
    )
    assert 20 <= summary.records <= 30
    assert summary.facilities >= 4
    assert summary.clinicians >= 6
    assert summary.attachments >= 11
    assert counts["Profile"] == 1


def test_every_kind_and_every_status_is_present(filled):
    folder, _ = filled
    rows = _all_records(folder)
    assert {r.kind for r in rows} == set(RecordKind)
    assert {r.status for r in rows} == set(RecordStatus)
    assert all(r.title.strip() and r.summary.strip() for r in rows)
    assert len({r.title for r in rows}) == len(rows), "titles should tell the records apart"


def test_profile_is_a_plainly_fictional_patient_with_a_full_diagnosis(filled):
    folder, _ = filled
    with folder.session() as session:
        p = get_profile(session)
    assert p.name == "Alex Sample"
    assert p.date_of_birth is not None and 45 <= (dt.date.today() - p.date_of_birth).days // 365 <= 60
    assert p.diagnosis_date is not None and p.diagnosis_date < dt.date.today()
    assert "breast" in p.cancer_type.lower()
    assert "ductal carcinoma" in p.histology.lower()
    assert p.grade and p.tnm_stage.startswith("cT") and p.stage_group
    for marker in ("ER", "PR", "HER2", "Ki-67"):
        assert marker in p.biomarkers
    assert p.medical_record_numbers and p.member_number and p.insurer == "Example Health Plan"
    assert p.email.endswith("@example.com")
    assert "555-01" in p.phone


def test_directory_has_facilities_with_records_contacts_and_a_second_opinion_doctor(filled):
    folder, _ = filled
    with folder.session() as session:
        facilities = list_facilities(session)
        clinicians = list_clinicians(session)
    assert len({f.kind for f in facilities}) >= 4
    for f in facilities:
        assert f.records_contact and "555-01" in f.records_phone and f.address
        assert f.records_email.endswith("example.com")
    second = [c for c in clinicians if c.role is ClinicianRole.SECOND_OPINION]
    assert len(second) == 1
    assert second[0].facility_name == "Example University Cancer Center"
    for c in clinicians:
        assert c.specialty and c.credentials and c.board_certification and c.facility_id is not None
        assert "555-01" in c.phone


def test_imaging_and_pathology_records_carry_their_own_fields(filled):
    folder, _ = filled
    rows = _all_records(folder)
    imaging = [r for r in rows if r.kind is RecordKind.IMAGING]
    assert {r.imaging_modality for r in imaging} >= {"MG", "US", "MR", "CT"}
    assert all(r.imaging_body_region and r.images_location is not None for r in imaging)
    assert len({r.images_location for r in imaging}) >= 3
    pathology = [r for r in rows if r.kind is RecordKind.PATHOLOGY]
    assert all(r.accession_number and r.specimen_site and r.material_holder for r in pathology)
    slides = [r for r in pathology if r.slides_count]
    assert slides and slides[0].blocks_count and slides[0].status is RecordStatus.REQUESTED
    others = [r for r in rows if r.kind not in (RecordKind.IMAGING, RecordKind.PATHOLOGY)]
    assert all(not r.imaging_modality and r.slides_count is None for r in others)


def test_status_dates_are_present_ordered_and_not_in_the_future(filled):
    folder, _ = filled
    today = dt.date.today()
    for r in _all_records(folder):
        if r.status is RecordStatus.NEEDED:
            assert (r.requested_on, r.received_on, r.sent_on) == (None, None, None), r.title
        if r.status is RecordStatus.REQUESTED:
            assert r.requested_on is not None and r.received_on is None and r.sent_on is None, r.title
        if r.status is RecordStatus.RECEIVED:
            assert r.received_on is not None and r.sent_on is None, r.title
        if r.status is RecordStatus.SENT:
            assert r.received_on is not None and r.sent_on is not None, r.title
        steps = [d for d in (r.requested_on, r.received_on, r.sent_on) if d is not None]
        assert steps == sorted(steps), r.title
        assert all(d <= today for d in steps), r.title
        if r.date_of_service is not None and r.status is not RecordStatus.NEEDED:
            assert r.date_of_service <= min(steps, default=today), r.title


def test_the_story_runs_in_order(filled):
    folder, _ = filled
    by_title = {r.title: r for r in _all_records(folder)}

    def day(fragment: str) -> dt.date:
        [match] = [r.date_of_service for title, r in by_title.items() if fragment in title]
        return match

    assert (
        day("Primary care visit") < day("Diagnostic mammogram") < day("core needle biopsy")
        < day("Breast MRI") < day("Breast surgery consultation") < day("CT chest")
        < day("Referral letter") < dt.date.today() < day("Second-opinion consultation")
    )
    with folder.session() as session:
        diagnosed = get_profile(session).diagnosis_date
    assert day("core needle biopsy") <= diagnosed < day("Breast MRI")


def test_attachments_are_in_the_vault_and_verify(filled):
    folder, _ = filled
    attachments = [a for r in _all_records(folder) for a in r.attachments]
    assert len(attachments) >= 11
    for a in attachments:
        path = records.attachment_path(folder, a)
        assert path is not None and path.stat().st_size == a.size
        assert folder.vault.verify(a.sha256)
    assert set(folder.vault.stored()) == {a.sha256 for a in attachments}
    assert sum(folder.vault.path_for(s).stat().st_size for s in folder.vault.stored()) < 1_000_000


def test_pdfs_are_one_page_reports_marked_as_samples(filled):
    folder, _ = filled
    pdfs = [(r, a) for r in _all_records(folder) for a in r.attachments if a.media_type == "application/pdf"]
    assert len({a.sha256 for _, a in pdfs}) >= 8
    for record, a in pdfs:
        data = folder.vault.path_for(a.sha256).read_bytes()
        assert data.startswith(b"%PDF")
        assert a.original_name.endswith(".pdf")
        if record.date_of_service is not None:
            dated = a.original_name.startswith(record.date_of_service.isoformat())
            assert dated or "release" in a.original_name  # the shared release keeps its own date
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        assert "SAMPLE" in text and "fictional patient" in text
        assert "Alex Sample" in text


def _png_size_and_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    assert data.startswith(PNG_SIGNATURE)
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(tag + body)
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, color_type = header[:4]
    assert depth == 8
    return width, height, color_type, zlib.decompress(idat)


def test_pngs_are_valid_images(filled):
    folder, _ = filled
    pngs = [a for r in _all_records(folder) for a in r.attachments if a.media_type == "image/png"]
    assert len(pngs) >= 3
    for a in pngs:
        width, height, color_type, raw = _png_size_and_pixels(folder.vault.path_for(a.sha256).read_bytes())
        channels = {0: 1, 2: 3}[color_type]
        assert len(raw) == height * (1 + width * channels)
        assert len(set(raw)) > 8, "the image should not be blank"
    assert any(a.original_name.startswith("insurance_card") for a in pngs)
    assert sum(1 for a in pngs if "key_image" in a.original_name) >= 3


def test_one_file_is_attached_to_two_records_but_stored_once(filled):
    folder, _ = filled
    attachments = [a for r in _all_records(folder) for a in r.attachments]
    shared = [sha for sha, n in Counter(a.sha256 for a in attachments).items() if n > 1]
    assert len(shared) == 1
    holders = {a.record_id for a in attachments if a.sha256 == shared[0]}
    assert len(holders) == 2
    assert len(list(folder.vault.stored())) == len(attachments) - 1


def test_second_fill_is_refused_and_changes_nothing(filled):
    folder, _ = filled
    before, stored = _counts(folder), set(folder.vault.stored())
    with pytest.raises(ValidationError, match="already holds 27 records"):
        fill_demo_data(folder)
    assert _counts(folder) == before
    assert set(folder.vault.stored()) == stored


def test_folder_with_real_records_is_refused(folder):
    with folder.session() as session:
        records.create_record(session, RecordKind.LAB, "My own blood test")
    with pytest.raises(ValidationError, match="empty folder"):
        fill_demo_data(folder)
    assert _counts(folder) == {**EMPTY, "Record": 1}


@pytest.mark.parametrize("what", ["profile", "facility"])
def test_folder_with_a_real_profile_or_directory_is_refused(folder, what):
    with folder.session() as session:
        if what == "profile":
            save_profile(session, name="Real Person")
        else:
            create_facility(session, "My own hospital")
    with pytest.raises(ValidationError, match="empty folder"):
        fill_demo_data(folder)
    counts = _counts(folder)
    assert counts["Record"] == 0 and counts["Clinician"] == 0
    with folder.session() as session:
        assert get_profile(session).name == ("Real Person" if what == "profile" else "")
        names = [f.name for f in list_facilities(session)]
    assert names == ([] if what == "profile" else ["My own hospital"])


def test_dates_follow_the_given_today(folder):
    today = dt.date(2025, 3, 1)
    fill_demo_data(folder, today=today)
    rows = _all_records(folder)
    with folder.session() as session:
        p = get_profile(session)
    assert p.diagnosis_date == today - dt.timedelta(days=95)
    assert p.date_of_birth is not None and p.date_of_birth.year == 1973
    all_steps = [d for r in rows for d in (r.requested_on, r.received_on, r.sent_on) if d]
    assert max(all_steps) <= today and min(all_steps) >= today - dt.timedelta(days=120)
    services = [r.date_of_service for r in rows if r.date_of_service]
    assert max(services) > today and min(services) >= today - dt.timedelta(days=420)
    appointment = next(r for r in rows if "Second-opinion consultation" in r.title)
    assert appointment.date_of_service.strftime("%b") in appointment.summary  # {date:-12} was filled in
    assert all("{" not in r.summary + r.notes + r.title for r in rows)
    named = [a for r in rows for a in r.attachments if a.original_name[:4].isdigit()]
    assert named and all(a.original_name.startswith("202") for a in named)
    assert any(a.original_name.startswith("2024-11-") for a in named)  # the diagnostic mammogram


def test_a_today_in_the_future_is_refused(folder):
    with pytest.raises(ValidationError, match="after today") as raised:
        fill_demo_data(folder, today=dt.date.today() + dt.timedelta(days=1))
    assert raised.value.field == "today"
    assert _counts(folder)["Record"] == 0


def test_a_failure_while_attaching_leaves_the_folder_empty(folder, monkeypatch):
    real_attach = records.attach_file
    calls = {"n": 0}

    def flaky_attach(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full (simulated)")
        return real_attach(*args, **kwargs)

    monkeypatch.setattr(records, "attach_file", flaky_attach)
    with pytest.raises(OSError, match="simulated"):
        fill_demo_data(folder)
    assert _counts(folder) == EMPTY
    assert list(folder.vault.stored()) == []
    with folder.session() as session:
        assert get_profile(session) == ProfileData()
    monkeypatch.setattr(records, "attach_file", real_attach)
    assert fill_demo_data(folder).records == 27  # and the folder can be filled afterwards


def test_case_json_is_self_consistent():
    case = load_case()
    facility_keys = {f["key"] for f in case["facilities"]}
    clinician_keys = {c["key"] for c in case["clinicians"]}
    attachment_keys = {a["key"] for r in case["records"] for a in r.get("attachments", ()) if "key" in a}
    assert len({f["name"] for f in case["facilities"]}) == len(case["facilities"])
    assert {c["facility"] for c in case["clinicians"]} <= facility_keys
    for r in case["records"]:
        assert r.get("facility", "community") in facility_keys
        assert r.get("clinician", "primary") in clinician_keys
        for a in r.get("attachments", ()):
            assert ("pdf" in a) + ("png" in a) + ("same_as" in a) == 1
            assert a.get("same_as", next(iter(attachment_keys))) in attachment_keys


def test_demo_module_needs_neither_qt_nor_pillow(python):
    code = (
        "import sys, secondopinion_desktop.core.demo\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'PIL', 'shiboken6')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([python, "-c", code], check=True, timeout=60)


def test_sample_text_dates_are_written_with_the_shared_wording():
    dates = demo._Dates(dt.date(2026, 3, 14))
    assert dates.text("Seen on {date:10}; again {date:0}.") == "Seen on Mar 4, 2026; again Mar 14, 2026."
