"""The request letters: built from a request and read back with pypdf."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.core import letters
from secondopinion_desktop.core import requests as rq
from secondopinion_desktop.core.directory import create_facility
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import LetterKind
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.records import create_record


def text_of(pdf: bytes | Path) -> str:
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return "\n".join(page.extract_text() for page in reader.pages)


def body_text(pdf: Path) -> str:
    """The pages' text without their footers (which stand between a paragraph's parts on two pages)."""
    footer = re.compile(r"^(Page \d+ of \d+|Records request letter \u2014 .*|Pathology material release .*)$")
    return "\n".join(line for page in PdfReader(pdf).pages for line in page.extract_text().splitlines()
                     if not footer.match(line))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_of(pdf: bytes | Path) -> int:
    return len(PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf).pages)


@pytest.fixture
def case(folder):  # type: ignore[no-untyped-def]
    save_profile(folder, name="Alex Sample", date_of_birth="1970-05-04", diagnosis_date="2026-05-31",
                 address="12 Elm Street\nSpringfield, IL 62701", phone="555-0100", email="alex@example.org",
                 medical_record_numbers="City Hospital: MRN-4411")
    create_facility(folder, "City Hospital", address="1 Hospital Way\nSpringfield, IL", records_fax="555-0199",
                    records_contact="Release of Information Office")
    biopsy = create_record(folder, "pathology", "Core biopsy report", facility="City Hospital",
                           date_of_service="2026-05-20", accession_number="S26-1234",
                           specimen_site="Left breast, 2 o'clock")
    excision = create_record(folder, "pathology", "Lumpectomy report", facility="City Hospital",
                             date_of_service="2026-06-15", accession_number="S26-2077", specimen_site="Left breast")
    ct = create_record(folder, "imaging", "CT chest", facility="City Hospital", date_of_service="2026-05-25")
    return folder, biopsy, excision, ct


def test_the_request_letter_names_the_patient_the_facility_every_record_and_the_rule(case) -> None:
    folder, biopsy, excision, ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, excision.id, ct.id],
                          extra_paragraph="Please include the addendum of May 28.")
    pdf = letters.letter_bytes(folder, q.id, LetterKind.REQUEST)
    text = text_of(pdf)
    flat = " ".join(text.split())
    for words in ("Alex Sample", "May 4, 1970", "City Hospital", "MRN-4411", "Core biopsy report",
                  "Lumpectomy report", "CT chest", "164.524", "1 Hospital Way", "555-0199", "555-0100",
                  "alex@example.org", "Release of Information Office",
                  "Re: Request for copies of my health information", "Please include the addendum of May 28.",
                  "DICOM", "cost in advance", "Signature:", "Date:", "May 20, 2026"):
        assert words in flat, words
    assert "Pathology reports (surgical and biopsy)" in flat
    assert " ".join(letters.RIGHT_OF_ACCESS.split()) in flat
    assert "None" not in flat
    assert flat.index("Please include the addendum") < flat.index("Thank you,")
    assert letters.letter_warnings(folder, q.id, "request") == ()
    assert "Page 1 of 1" in flat
    assert pages_of(pdf) == 1
    assert rq.get_request(folder, q.id).letters == ()  # letter_bytes keeps nothing


def test_the_scope_reads_up_to_the_day_the_request_is_processed(case) -> None:
    folder, _biopsy, _excision, _ct = case
    q = rq.create_request(folder, "City Hospital", scope=["lab_results"], scope_from="2026-03-01")
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "request")).split())
    assert "from Mar 1, 2026 to the date this request is processed" in flat
    assert "Laboratory results" in flat
    q = rq.update_request(folder, q.id, scope_to="2026-06-30")
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "request")).split())
    assert "from Mar 1, 2026 to Jun 30, 2026" in flat


def test_the_third_party_letter_directs_the_copies_to_the_named_center(case) -> None:
    folder, biopsy, _excision, _ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id],
                          send_to_name="Lakeside Cancer Center, Second Opinion Office",
                          send_to_address="400 Lake Drive\nChicago, IL 60601", send_to_fax="312-555-0142",
                          send_to_phone="312-555-0100", send_to_email="intake@lakeside.example")
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "request")).split())
    assert "send the copies directly to Lakeside Cancer Center, Second Opinion Office, not to me" in flat
    for words in ("400 Lake Drive", "312-555-0142", "312-555-0100", "intake@lakeside.example"):
        assert words in flat, words
    assert "mail the copies to me" not in flat


def test_the_release_letter_lists_accessions_the_unstained_slides_and_the_ship_to(case) -> None:
    folder, biopsy, excision, ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id, excision.id, ct.id],
                          release_material=["stained", "unstained", "blocks"], unstained_count=10,
                          unstained_microns=4, send_to_name="Lakeside Cancer Center Pathology",
                          send_to_address="400 Lake Drive\nChicago, IL 60601", send_to_phone="312-555-0177",
                          send_to_fax="312-555-0178")
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "release")).split())
    for words in ("S26-1234", "S26-2077", "Left breast, 2 o'clock", "May 20, 2026", "Jun 15, 2026",
                  "Unstained slides: 10 slides, cut 4 microns thick", "The original stained (H&E) slides",
                  "The paraffin tissue blocks", "Lakeside Cancer Center Pathology", "400 Lake Drive",
                  "312-555-0177", "312-555-0178", "second-opinion review", "Alex Sample", "May 4, 1970",
                  "must be returned", "Signature:"):
        assert words in flat, words
    assert "CT chest" not in flat  # only the pathology records are specimens
    assert "None" not in flat
    assert letters.letter_warnings(folder, q.id, "release") == ()


def test_the_release_letter_uses_the_return_instructions_and_warns_of_a_missing_ship_to(case) -> None:
    folder, biopsy, _excision, _ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id],
                          return_instructions="Return the blocks within 60 days.")
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "release")).split())
    assert "Return the blocks within 60 days." in flat
    assert "must be returned" not in flat
    assert "____" in flat
    warnings = letters.letter_warnings(folder, q.id, "release")
    assert len(warnings) == 1 and "ship the material to" in warnings[0], warnings


def test_a_release_for_a_request_without_pathology_is_refused(case) -> None:
    folder, _biopsy, _excision, ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[ct.id])
    for call in (lambda: letters.letter_bytes(folder, q.id, "release"),
                 lambda: letters.letter_warnings(folder, q.id, "release"),
                 lambda: letters.make_letter(folder, q.id, "release", Path("/nonexistent/never.pdf"))):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.field == "kind"
    assert rq.get_request(folder, q.id).letters == ()
    with pytest.raises(ValidationError) as caught:
        letters.letter_bytes(folder, q.id, "postcard")
    assert caught.value.field == "kind"


def test_a_facility_without_address_or_fax_gets_a_blank_line_and_a_warning(case, tmp_path: Path) -> None:
    folder, _biopsy, _excision, _ct = case
    record = create_record(folder, "lab", "Tumour markers", facility="Valley Lab", date_of_service="2026-05-02")
    q = rq.create_request(folder, "Valley Lab", record_ids=[record.id])
    warnings = letters.letter_warnings(folder, q.id, "request")
    assert warnings == ("Valley Lab has no mailing address or fax number in the directory; the letter leaves a "
                        "line to write one in by hand.",)
    out = tmp_path / "valley.pdf"
    result = letters.make_letter(folder, q.id, "request", out)
    assert result.warnings == warnings
    flat = " ".join(text_of(out).split())
    assert "Address or fax: ____" in flat
    assert "Tumour markers" in flat and "None" not in flat


def test_a_profile_without_name_or_birth_date_leaves_lines_and_warns(folder) -> None:
    create_facility(folder, "City Hospital", records_fax="555-0199")
    record = create_record(folder, "lab", "Blood count", facility="City Hospital")
    q = rq.create_request(folder, "City Hospital", record_ids=[record.id])
    warnings = letters.letter_warnings(folder, q.id, "request")
    assert any("no name" in w for w in warnings) and any("no date of birth" in w for w in warnings)
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "request")).split())
    assert "Name: ____" in flat and "Date of birth: ____" in flat
    assert "None" not in flat and "\u2014 patient \u2014" in flat  # the footer names no one


def test_make_letter_writes_the_file_and_keeps_the_same_pdf(case, tmp_path: Path) -> None:
    folder, biopsy, _excision, _ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id])
    out = tmp_path / "letter.pdf"
    result = letters.make_letter(folder, q.id, "request", out)
    assert result.pages == pages_of(out) == 1
    kept = rq.get_request(folder, q.id).letters
    assert [k.id for k in kept] == [result.letter.id] and kept[0].kind is LetterKind.REQUEST
    assert rq.letter_pdf(folder, result.letter.id) == out.read_bytes()
    assert kept[0].size == len(out.read_bytes())
    release = letters.make_letter(folder, q.id, LetterKind.RELEASE, tmp_path / "release.pdf")
    assert [k.kind for k in rq.get_request(folder, q.id).letters] == [LetterKind.REQUEST, LetterKind.RELEASE]
    assert rq.letter_pdf(folder, release.letter.id) == (tmp_path / "release.pdf").read_bytes()


def test_a_cancelled_letter_writes_and_keeps_nothing(case, tmp_path: Path) -> None:
    folder, biopsy, _excision, _ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id])
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) >= 2  # asked once before the build: it stops after building, before writing

    with pytest.raises(Cancelled):
        letters.make_letter(folder, q.id, "request", tmp_path / "letter.pdf", cancelled=cancelled)
    assert not (tmp_path / "letter.pdf").exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "data"]
    assert rq.get_request(folder, q.id).letters == ()


def test_a_long_list_spills_onto_more_pages_and_loses_nothing(case, tmp_path: Path) -> None:
    folder, _biopsy, _excision, _ct = case
    ids = [create_record(folder, "clinical", f"Clinic visit note number {n:03d}", facility="City Hospital",
                         date_of_service="2026-04-01").id for n in range(60)]
    paragraph = " ".join(f"sentence{n}" for n in range(400))
    q = rq.create_request(folder, "City Hospital", record_ids=ids, extra_paragraph=paragraph,
                          scope=[key for key, _words in rq.SCOPE])
    out = tmp_path / "long.pdf"
    result = letters.make_letter(folder, q.id, "request", out)
    assert result.pages == pages_of(out) > 1
    text = text_of(out)
    flat = " ".join(text.split())
    for n in range(60):
        assert f"Clinic visit note number {n:03d}" in flat
    for _key, words in rq.SCOPE:
        assert words in flat, words
    assert squash(paragraph) in squash(body_text(out))
    assert f"Page {result.pages} of {result.pages}" in flat
    last = PdfReader(out).pages[-1].extract_text()
    assert "Signature:" in last and "Thank you," in last  # the signature block is kept together


def test_a_request_whose_facility_was_deleted_still_gets_its_letter(case) -> None:
    from sqlalchemy import delete

    from secondopinion_desktop.core.models import Facility

    folder, biopsy, _excision, _ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id])
    with folder.session() as session:
        session.execute(delete(Facility).where(Facility.name == "City Hospital"))
    assert rq.get_request(folder, q.id).facility_id is None
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "request")).split())
    assert "City Hospital" in flat and "Address or fax: ____" in flat
    assert len(letters.letter_warnings(folder, q.id, "request")) == 1


@pytest.mark.parametrize(("delivery", "profile_field", "words"), [
    ("mail", "address", "mailing address"), ("email", "email", "email address"), ("fax", None, "fax number")])
def test_copies_to_the_patient_without_an_address_for_them_leave_a_line_and_warn(
        case, delivery: str, profile_field: str | None, words: str) -> None:
    folder, biopsy, _excision, _ct = case
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id], delivery=delivery)
    if profile_field is not None:
        assert letters.letter_warnings(folder, q.id, "request") == ()
        save_profile(folder, **{profile_field: ""})
    (warning,) = letters.letter_warnings(folder, q.id, "request")
    assert warning.startswith(f"The copies are to be sent to your {words}, and ")
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "request")).split())
    assert "copies to me at: ____" in flat


def test_copies_through_the_portal_name_its_address(case) -> None:
    from secondopinion_desktop.core.directory import list_facilities, update_facility

    folder, biopsy, _excision, _ct = case
    (hospital,) = list_facilities(folder)
    update_facility(folder, hospital.id, records_portal="https://mychart.city.example")
    q = rq.create_request(folder, "City Hospital", record_ids=[biopsy.id], delivery="portal")
    flat = " ".join(text_of(letters.letter_bytes(folder, q.id, "request")).split())
    assert "through the patient portal (https://mychart.city.example)." in flat


def test_the_signature_never_stands_alone_on_a_page(folder) -> None:  # type: ignore[no-untyped-def]
    """Whatever the number of records, the page with the signature also carries the letter's last paragraph."""
    from secondopinion_desktop.core.demo import fill_demo_data

    fill_demo_data(folder)
    for q in rq.list_requests(folder):
        pdf = letters.letter_bytes(folder, q.id, LetterKind.REQUEST)
        last = PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
        assert "Signature" in last and "164.524" in last, (q.id, pages_of(pdf))
