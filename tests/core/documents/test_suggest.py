"""A new record's fields proposed from a document's text: kind, title, date of service, facility, accession number
and ordering clinician, from reports as a PDF's text layer gives them and as OCR of a scan gives them."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core import directory
from secondopinion_desktop.core.documents.model import BY_OCR, PageText
from secondopinion_desktop.core.documents.suggest import (
    Suggested,
    find_dates,
    match_facility,
    suggest,
    suggest_for,
)
from secondopinion_desktop.core.models import RecordKind

TODAY = dt.date(2026, 12, 2)

SURGICAL_PATHOLOGY = """\
Memorial Sloan Kettering Cancer Center
Department of Pathology · 1275 York Avenue · New York, NY 10065 · (212) 639-2000
SURGICAL PATHOLOGY REPORT
Patient: LOPEZ, MARIA E          MRN: 00412278        DOB: 03/14/1968
Accession #: S26-04412           Collected: 10/14/2026   Received: 10/15/2026
Ordering Physician: Dr. Jane Smith, MD
Pathologist: Robert Chen, MD
SPECIMEN:
A. Left breast, 2 o'clock, ultrasound-guided core needle biopsy
FINAL DIAGNOSIS:
A. Invasive ductal carcinoma, Nottingham grade 2. Ductal carcinoma in situ present.
Signed out: 10/18/2026 by Robert Chen, MD
Printed on 11/02/2026 09:14
"""

# the same report as OCR of a fax gives it: capitals, columns run together, odd spacing
SURGICAL_PATHOLOGY_OCR = """\
MEMORIAL SLOAN KETTERING CANCER CTR
SURGICAL  PATHOLOGY  REPORT
PATIENT:  LOPEZ,  MARIA  E     MRN:  00412278    DOB:  03/14/1968
ACC#  S26-04412     COLLECTED  14-OCT-2026
ORDERED BY:  SMITH,  JANE  MD
PATHOLOGIST  ROBERT  CHEN  MD
SPECIMEN:  LEFT BREAST, CORE BIOPSY
FINAL  DIAGNOSIS:  INVASIVE DUCTAL CARCINOMA
PHONE  (212) 639-2000
"""

CT_REPORT = """\
Samplewood Community Hospital
Department of Radiology
CT CHEST WITH CONTRAST
Name: Maria E. Lopez    Date of birth: March 14, 1968
Exam date: Sep 16, 2026
Referring physician: Morgan Example, MD, FACS
Reading radiologist: Casey Placeholder, MD
TECHNIQUE: Axial images of the chest after IV contrast.
COMPARISON: CT of Jan 3, 2025.
FINDINGS: No pulmonary nodules. No lymphadenopathy.
IMPRESSION: No evidence of metastatic disease.
Report date: 09/17/2026
"""

CBC_REPORT = """\
EXAMPLE REFERENCE LABORATORIES
9 Research Park Way, Exampleton, EX 00002   Tel 201-555-0120
COMPLETE BLOOD COUNT (CBC) WITH DIFFERENTIAL
Patient Name: Maria Lopez   DOB: 1968-03-14   Sex: F
Lab #: 26-LAB-0099812
Collection date: 2026-09-15 08:10        Reported: 2026-09-15 14:02
Ordering provider: Morgan Example MD
Test                 Result   Units    Reference range
WBC                  6.4      K/uL     4.0 - 10.5
Hemoglobin           13.1     g/dL     12.0 - 15.5
Platelets            251      K/uL     150 - 400
"""

MOLECULAR_REPORT = """\
FOUNDATION MEDICINE
FoundationOne CDx
PATIENT  Maria Lopez       DATE OF BIRTH  14 March 1968
ORDERING PHYSICIAN  Taylor Testwell, MD
SPECIMEN ID  ORD-1234567-01     SPECIMEN RECEIVED  October 20th 2026
SPECIMEN COLLECTED  October 14th 2026
REPORT DATE  November 3, 2026
GENOMIC FINDINGS
PIK3CA H1047R   Tumor Mutational Burden 4 Muts/Mb   Microsatellite status MS-Stable
"""

CLINIC_NOTE = """\
Samplewood Family Medicine
Progress Note
Patient: Maria Lopez   DOB: 3/14/1968
Date of service: 08/12/26
Provider: Pat Example, MD
Referred by: Taylor Testwell, MD
CHIEF COMPLAINT: Lump in the left breast.
HISTORY OF PRESENT ILLNESS: The patient reports a painless lump noticed 2 weeks ago.
ASSESSMENT AND PLAN: Palpable left breast mass. Diagnostic mammogram ordered.
"""

INSURANCE_CARD = """\
BLUE CROSS BLUE SHIELD
Member Name: MARIA E LOPEZ
Member ID: XYZ123456789
Group No: 0012345
RxBIN 610014  RxPCN BCBS
PPO
Customer Service 1-800-555-0199
"""


def run(text: str | list[str], **kwargs: object) -> dict[str, object]:
    return suggest(text, today=TODAY, **kwargs).fields()  # type: ignore[arg-type]


# --- whole documents --------------------------------------------------------------------------------------------

def test_surgical_pathology_report() -> None:
    found = suggest(SURGICAL_PATHOLOGY, today=TODAY, facilities=["Memorial Sloan Kettering Cancer Center"],
                    clinicians=["Jane Smith", "Robert Chen"])
    assert found.fields() == {
        "kind": RecordKind.PATHOLOGY,
        "title": "Surgical pathology report — left breast core needle biopsy",
        "date_of_service": dt.date(2026, 10, 14),
        "facility": "Memorial Sloan Kettering Cancer Center",
        "accession_number": "S26-04412",
        "clinician": "Jane Smith",  # the ordering physician, never the pathologist
    }
    assert found.date_of_service is not None and "Collected: 10/14/2026" in found.date_of_service.why
    assert found.accession_number is not None and found.accession_number.why.startswith('From "Accession #')


def test_surgical_pathology_as_ocr_gives_the_same_fields() -> None:
    found = run(SURGICAL_PATHOLOGY_OCR, facilities=["Memorial Sloan Kettering Cancer Center"],
                clinicians=["Jane Smith", "Robert Chen"])
    assert found["kind"] == RecordKind.PATHOLOGY
    assert found["date_of_service"] == dt.date(2026, 10, 14)
    assert found["facility"] == "Memorial Sloan Kettering Cancer Center"
    assert found["accession_number"] == "S26-04412"
    assert found["clinician"] == "Jane Smith"
    assert str(found["title"]).startswith("Surgical pathology report")


def test_ct_report() -> None:
    found = suggest(CT_REPORT, today=TODAY, facilities=["Samplewood Community Hospital"],
                    clinicians=["Morgan Example", "Casey Placeholder"])
    values = found.fields()
    assert values["kind"] == RecordKind.IMAGING
    assert values["title"] == "CT chest with contrast"
    assert values["date_of_service"] == dt.date(2026, 9, 16)  # the exam's, not the report's or the comparison's
    assert values["facility"] == "Samplewood Community Hospital"
    assert values["clinician"] == "Morgan Example"  # the referring one, not the radiologist
    assert "accession_number" not in values
    assert found.kind is not None and "CT CHEST" in found.kind.why


def test_cbc_report() -> None:
    found = run(CBC_REPORT, facilities=["Example Reference Laboratories"], clinicians=["Morgan Example"])
    assert found["kind"] == RecordKind.LAB
    assert found["title"] == "Complete blood count (CBC) with differential"
    assert found["date_of_service"] == dt.date(2026, 9, 15)
    assert found["facility"] == "Example Reference Laboratories"
    assert found["accession_number"] == "26-LAB-0099812"
    assert found["clinician"] == "Morgan Example"


def test_molecular_report() -> None:
    found = run(MOLECULAR_REPORT, facilities=["Foundation Medicine, Inc."], clinicians=["Taylor Testwell"])
    assert found["kind"] == RecordKind.MOLECULAR
    assert found["date_of_service"] == dt.date(2026, 10, 14)  # collected beats received and the report date
    assert found["facility"] == "Foundation Medicine, Inc."
    assert found["accession_number"] == "ORD-1234567-01"
    assert found["clinician"] == "Taylor Testwell"


def test_clinic_note_takes_the_provider_who_saw_the_patient() -> None:
    found = run(CLINIC_NOTE, clinicians=["Pat Example", "Taylor Testwell"])
    assert found["kind"] == RecordKind.CLINICAL
    assert found["title"] == "Progress note"
    assert found["date_of_service"] == dt.date(2026, 8, 12)
    assert found["facility"] == "Samplewood Family Medicine"  # a new name, as the letterhead writes it
    assert found["clinician"] == "Pat Example"


FOUNDATION_OCR = """\
FOUNDATION
MEDICINE
FoundationOne®CDx
PATIENT
Maria Lopez
DATE OF BIRTH
14 March 1968
ORDERING PHYSICIAN
Taylor Testwell
DATE OF COLLECTION
14 October 2026
SPECIMEN RECEIVED
20 October 2026
FMI CASE #
ORD-1234567-01
"""


def test_molecular_report_read_column_by_column() -> None:
    found = run(FOUNDATION_OCR, facilities=["Foundation Medicine, Inc."], clinicians=["Taylor Testwell"])
    assert found == {
        "kind": RecordKind.MOLECULAR, "title": "FoundationOne®CDx", "date_of_service": dt.date(2026, 10, 14),
        "facility": "Foundation Medicine, Inc.", "accession_number": "ORD-1234567-01",
        "clinician": "Taylor Testwell",
    }


DISCHARGE = """\
ST. JUDE MEDICAL CENTER
DISCHARGE SUMMARY
Patient: Maria Lopez  MRN: 555123  DOB: 03/14/1968
Admission date: 10/10/2026   Discharge date: 10/14/2026
Attending physician: Dr. Alan Grant, MD
HOSPITAL COURSE: CT chest showed a mass. MRI brain negative. Biopsy showed carcinoma.
Final diagnosis: lung adenocarcinoma.
"""


def test_discharge_summary_is_clinical_whatever_its_body_mentions() -> None:
    assert run(DISCHARGE) == {
        "kind": RecordKind.CLINICAL, "title": "Discharge summary", "date_of_service": dt.date(2026, 10, 10),
        "facility": "St. Jude Medical Center", "clinician": "Alan Grant",
    }


def test_exam_line_is_the_title_when_there_is_no_heading() -> None:
    text = ("10/15/2026 09:12 FAX 2125551234   MSK RADIOLOGY   PAGE 01/03\nEXAM:  CT CHEST W/O CONTRAST\n"
            "DATE OF EXAM: 10/14/2026     ACCESSION: 88812345\nREFERRING:  GRANT, ALAN\nIMPRESSION: No acute findings.")
    found = run(text, clinicians=["Alan Grant"])
    assert found["title"] == "CT chest w/o contrast"
    assert found["date_of_service"] == dt.date(2026, 10, 14)
    assert found["accession_number"] == "88812345"
    assert found["clinician"] == "Alan Grant"


def test_insurance_card() -> None:
    found = suggest(INSURANCE_CARD, today=TODAY)
    assert found.kind is not None and found.kind.value == RecordKind.IDENTITY
    assert found.accession_number is None  # a member ID, a group number, a phone: none is an accession number
    assert found.date_of_service is None
    assert found.clinician is None


def test_pages_as_page_texts_and_form_feeds() -> None:
    pages = [PageText(1, "Samplewood Community Hospital\nCT CHEST"), PageText(2, "Exam date: 09/16/2026")]
    assert run(pages)["date_of_service"] == dt.date(2026, 9, 16)  # type: ignore[arg-type]
    found = suggest("CT CHEST\fExam date: 09/16/2026", today=TODAY)
    assert found.date_of_service is not None and "on page 2" in found.date_of_service.why


def test_nothing_to_suggest() -> None:
    found = suggest("", today=TODAY)
    assert found.items() == [] and found.fields() == {} and found.to_json() == {}
    assert suggest("lorem ipsum dolor sit amet", today=TODAY).date_of_service is None


def test_to_json_is_plain() -> None:
    data = suggest(CBC_REPORT, today=TODAY).to_json()
    assert data["kind"]["value"] == "lab"
    assert data["date_of_service"]["value"] == "2026-09-15"
    assert all(isinstance(v["why"], str) and v["why"] for v in data.values())


def test_every_suggestion_says_where_it_came_from() -> None:
    for text in (SURGICAL_PATHOLOGY, CT_REPORT, CBC_REPORT, MOLECULAR_REPORT, CLINIC_NOTE, INSURANCE_CARD):
        for item in suggest(text, today=TODAY).items():
            assert isinstance(item, Suggested)
            assert item.why and "\n" not in item.why and len(item.why) < 200


# --- dates ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", [
    "2026-10-14", "10/14/2026", "10/14/26", "14.10.2026", "Oct 14, 2026", "14 October 2026", "October 14th 2026",
    "14-OCT-2026", "20261014", "Oct. 14 2026", "14OCT2026", "14-Oct-26", "2026/10/14", "OCTOBER 14, 2026",
])
def test_date_of_service_in_every_written_form(written: str) -> None:
    found = suggest(f"CT CHEST\nDate of service: {written}\n", today=TODAY)
    assert found.date_of_service is not None
    assert found.date_of_service.value == dt.date(2026, 10, 14)
    assert written in found.date_of_service.why


def test_ambiguous_day_and_month_read_in_us_order_and_say_so() -> None:
    found = suggest("Collected: 03/04/2026", today=TODAY).date_of_service
    assert found is not None and found.value == dt.date(2026, 3, 4)
    assert "month/day" in found.why and "4 Mar 2026" in found.why
    day_first = suggest("Collected: 13/04/2026", today=TODAY).date_of_service
    assert day_first is not None and day_first.value == dt.date(2026, 4, 13) and "month/day" not in day_first.why
    dots = suggest("Collected: 03.04.2026", today=TODAY).date_of_service
    assert dots is not None and dots.value == dt.date(2026, 4, 3) and "day.month" in dots.why


def test_a_future_date_or_one_before_1900_is_never_suggested() -> None:
    assert suggest("Date of service: 12/03/2026", today=TODAY).date_of_service is None
    assert suggest("Date of service: 01/01/1899", today=TODAY).date_of_service is None
    later = suggest("Collected: 12/24/2026\nReported: 11/30/2026", today=TODAY).date_of_service
    assert later is not None and later.value == dt.date(2026, 11, 30)


def test_date_of_birth_and_printed_dates_are_never_the_date_of_service() -> None:
    assert suggest("Patient: Maria Lopez  DOB: 03/14/1968", today=TODAY).date_of_service is None
    assert suggest("D.O.B. 14 March 1968\nPrinted on 11/02/2026", today=TODAY).date_of_service is None
    assert suggest("Date of birth: 1968-03-14  Date printed: 2026-11-02", today=TODAY).date_of_service is None
    found = suggest("DOB 03/14/1968   Date 10/01/2026", today=TODAY).date_of_service
    assert found is not None and found.value == dt.date(2026, 10, 1)
    found = suggest("Date of Birth: 03/14/1968\nDate: 10/01/2026", today=TODAY).date_of_service
    assert found is not None and found.value == dt.date(2026, 10, 1)


def test_collected_beats_report_date_whatever_their_order() -> None:
    found = suggest("Report date: 10/20/2026\nSigned out: 10/21/2026\nProcedure date: 10/14/2026", today=TODAY)
    assert found.date_of_service is not None and found.date_of_service.value == dt.date(2026, 10, 14)
    only_report = suggest("Report date: 10/20/2026", today=TODAY).date_of_service
    assert only_report is not None and only_report.value == dt.date(2026, 10, 20)
    assert "report's own date" in only_report.why


def test_a_date_in_a_sentence_is_not_a_date_of_service() -> None:
    assert suggest("COMPARISON: CT of Jan 3, 2025. She was seen in May.", today=TODAY).date_of_service is None


def test_label_on_one_line_value_on_the_next() -> None:
    found = suggest("Date of Service\n10/14/2026", today=TODAY).date_of_service
    assert found is not None and found.value == dt.date(2026, 10, 14)


@pytest.mark.parametrize(("name", "day"), [
    ("2026-10-14_pathology.pdf", dt.date(2026, 10, 14)),
    ("scan 20261103.pdf", dt.date(2026, 11, 3)),
    ("labs_2026_10_14.jpg", dt.date(2026, 10, 14)),
    ("CT 14-10-2026.png", dt.date(2026, 10, 14)),
])
def test_a_date_in_the_file_name_is_a_hint(name: str, day: dt.date) -> None:
    found = suggest("no date written here", file_name=name, today=TODAY).date_of_service
    assert found is not None and found.value == day and "file name" in found.why


def test_the_text_beats_the_file_name_and_the_file_name_beats_nothing() -> None:
    found = suggest("Collected: 10/01/2026", file_name="2026-10-14_labs.pdf", today=TODAY).date_of_service
    assert found is not None and found.value == dt.date(2026, 10, 1)
    assert suggest("", file_name="2027-01-01_labs.pdf", today=TODAY).date_of_service is None  # in the future
    assert suggest("", file_name="IMG_20261014.jpg", today=TODAY).date_of_service is not None


def test_find_dates_leaves_numbers_alone() -> None:
    assert find_dates("2.5 mg, 10 cm, 1/2/3, 4.0 - 10.5, 251 K/uL", today=TODAY) == []
    assert find_dates("12345678", today=TODAY) == []  # eight digits only count in a labelled value
    two_digit = find_dates("DOB 03/14/68", today=TODAY)
    assert [d.value for d in two_digit] == [dt.date(1968, 3, 14)]


# --- kind and title ---------------------------------------------------------------------------------------------

def test_headings_weigh_more_than_body_words() -> None:
    text = ("SURGICAL PATHOLOGY REPORT\nClinical history: abnormal mammogram and ultrasound; "
            "CT scan and MRI pending.\nFINAL DIAGNOSIS: fibroadenoma.")
    assert run(text)["kind"] == RecordKind.PATHOLOGY


def test_the_file_name_hints_the_kind() -> None:
    assert run("", file_name="2026-10-14_pathology.pdf")["kind"] == RecordKind.PATHOLOGY
    assert run("", file_name="CT chest.pdf")["kind"] == RecordKind.IMAGING
    assert run("", file_name="labs october.pdf")["kind"] == RecordKind.LAB
    found = suggest("", file_name="labs october.pdf", today=TODAY)
    assert found.kind is not None and "file name" in found.kind.why
    assert run("", file_name="IMG_4031.jpg").get("kind") is None


def test_oncotype_report_is_molecular() -> None:
    text = "Exact Sciences\nOncotype DX Breast Recurrence Score Report\nRecurrence Score Result: 18"
    assert run(text)["kind"] == RecordKind.MOLECULAR


@pytest.mark.parametrize(("heading", "title"), [
    ("Breast Surgical Oncology Consultation", "Breast surgical oncology consultation"),
    ("MRI Breast, Bilateral, Without and With Contrast", "MRI breast, bilateral, without and with contrast"),
    ("21-Gene Recurrence Score Assay (Breast)", "21-Gene recurrence score assay (breast)"),
    ("FoundationOne CDx Report", "FoundationOne CDx report"),
    ("Breast biomarker report", "Breast biomarker report"),
    ("HISTORY AND PHYSICAL", "History and physical"),
])
def test_title_written_as_record_titles_are(heading: str, title: str) -> None:
    assert run(f"Samplewood Community Hospital\n{heading}\nPatient: Maria Lopez")["title"] == title


def test_title_is_cut_to_120_characters_at_a_word() -> None:
    heading = ("DISCHARGE SUMMARY: multidisciplinary postoperative hospitalization following laparoscopic "
               "hemicolectomy, complicated anastomotic leakage, prolonged parenteral nutrition")
    assert len(heading) > 120
    title = str(run(heading)["title"])
    assert len(title) <= 120 and not title.endswith(" ")
    assert title.lower() == heading[:len(title)].lower()


def test_title_from_the_file_name_when_there_is_no_heading() -> None:
    assert run("", file_name="2026-08-26_breast_biopsy_pathology_report.pdf")["title"] == \
        "Breast biopsy pathology report"
    assert "title" not in run("", file_name="IMG_4031.jpg")


# --- facility ---------------------------------------------------------------------------------------------------

KNOWN = ["Memorial Sloan Kettering Cancer Center", "Samplewood Community Hospital", "Samplewood Breast Imaging Center",
         "Example Reference Laboratories"]


@pytest.mark.parametrize(("written", "known"), [
    ("Memorial Sloan Kettering Cancer Center", "Memorial Sloan Kettering Cancer Center"),
    ("MEMORIAL SLOAN KETTERING CANCER CTR", "Memorial Sloan Kettering Cancer Center"),
    ("Memorial Sloan Kettering", "Memorial Sloan Kettering Cancer Center"),
    ("MSKCC", "Memorial Sloan Kettering Cancer Center"),
    ("SAMPLEWOOD COMMUNITY HOSP", "Samplewood Community Hospital"),
    ("Example Reference Labs", "Example Reference Laboratories"),
])
def test_facility_matched_to_a_known_one(written: str, known: str) -> None:
    match = match_facility(written, KNOWN)
    assert match is not None and match[0] == known


@pytest.mark.parametrize("written", [
    "Hospital", "Samplewood", "Memorial Hospital", "Example Genomics Laboratory", "Mount Sinai Hospital",
    "Samplewood Family Medicine",
])
def test_facility_not_matched_to_a_different_one(written: str) -> None:
    assert match_facility(written, KNOWN) is None


def test_facility_from_a_performed_at_line_is_a_new_name_title_cased() -> None:
    found = suggest("COMPLETE BLOOD COUNT\nPERFORMED AT: QUEST DIAGNOSTICS NICHOLS INSTITUTE, 33608 ORTEGA HWY",
                    facilities=KNOWN, today=TODAY).facility
    assert found is not None and found.value == "Quest Diagnostics Nichols Institute"
    assert "not in your facilities yet" in found.why


def test_facility_from_the_letterhead_matched_in_the_text() -> None:
    found = suggest(SURGICAL_PATHOLOGY_OCR, facilities=KNOWN, today=TODAY).facility
    assert found is not None and found.value == "Memorial Sloan Kettering Cancer Center"
    assert "MEMORIAL SLOAN KETTERING CANCER CTR" in found.why


# --- accession number -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "number"), [
    ("Accession: S26-04412", "S26-04412"),
    ("Case #: SP-26-1234", "SP-26-1234"),
    ("Surgical pathology #: 26-SP-004412", "26-SP-004412"),
    ("Acc# S26-04412", "S26-04412"),
    ("Specimen #: 26-SP-004412", "26-SP-004412"),
])
def test_accession_number_from_its_label(line: str, number: str) -> None:
    assert run(f"SURGICAL PATHOLOGY REPORT\n{line}")["accession_number"] == number


def test_accession_never_an_mrn_or_a_phone_number() -> None:
    text = "SURGICAL PATHOLOGY REPORT\nMRN: S26-99999\nPhone: (212) 639-2000\nFax 212-639-2001"
    assert "accession_number" not in run(text)
    assert run("SURGICAL PATHOLOGY\nMRN 26-SP-000001\nS26-04412 left breast")["accession_number"] == "S26-04412"


def test_accession_pattern_without_its_label_only_for_pathology() -> None:
    assert run("SURGICAL PATHOLOGY REPORT\nCase S26-04412")["accession_number"] == "S26-04412"
    assert "accession_number" not in run("PROGRESS NOTE\nSee pathology S26-04412.")


# --- clinician --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "name"), [
    ("Ordering physician: Dr. Jane Smith, MD", "Jane Smith"),
    ("Ordered by: SMITH, JANE MD", "Jane Smith"),
    ("Requesting physician: Jane A. Smith, M.D., PhD", "Jane A. Smith"),
    ("Referring: Dr. Jane Smith (Oncology) 212-555-0100", "Jane Smith"),
])
def test_clinician_cleaned(line: str, name: str) -> None:
    assert run(f"CT CHEST\n{line}")["clinician"] == name


def test_pathologist_and_radiologist_are_not_the_ordering_clinician() -> None:
    assert "clinician" not in run("SURGICAL PATHOLOGY\nPathologist: Robert Chen, MD\nSigned by Robert Chen, MD")
    assert "clinician" not in run("CT CHEST\nReading radiologist: Casey Placeholder, MD")


def test_clinician_matched_to_a_known_one() -> None:
    found = suggest("CT CHEST\nOrdering physician: DR. JANE A SMITH", clinicians=["Jane Smith", "John Smith"],
                    today=TODAY).clinician
    assert found is not None and found.value == "Jane Smith" and "known clinician" in found.why
    new = suggest("CT CHEST\nOrdering physician: Dr. Priya Raman", clinicians=["Jane Smith"], today=TODAY).clinician
    assert new is not None and new.value == "Priya Raman" and "not in your clinicians yet" in new.why
    surname = suggest("CT CHEST\nOrdered by: Dr. Testwell", clinicians=["Taylor Testwell", "Jane Smith"],
                      today=TODAY).clinician
    assert surname is not None and surname.value == "Taylor Testwell"


# --- with a data folder -----------------------------------------------------------------------------------------

def test_suggest_for_uses_the_folders_facilities_and_clinicians(folder) -> None:
    directory.create_facility(folder, "Memorial Sloan Kettering Cancer Center")
    directory.create_clinician(folder, "Jane Smith")
    found = suggest_for(folder, SURGICAL_PATHOLOGY_OCR, file_name="path.pdf", today=TODAY)
    assert found.facility is not None and found.facility.value == "Memorial Sloan Kettering Cancer Center"
    assert found.clinician is not None and found.clinician.value == "Jane Smith"


def test_a_personal_record_header_is_not_a_facility() -> None:
    text = ("Personal health record\nKept by Alex Sample · (201) 555-0147\nMedication and Allergy List\n"
            "Date Nov 12, 2026")
    found = suggest(text, today=TODAY)
    assert found.facility is None
    assert found.title is not None and found.title.value == "Medication and allergy list"


def test_the_sample_case_reports_give_their_records_fields(folder) -> None:
    """The sample data's own reports (PDFs whose text layer is read here directly): each gives its record's
    date of service, facility and kind; the pathology reports their accession numbers."""
    import pypdfium2

    from secondopinion_desktop.core import records
    from secondopinion_desktop.core.demo import fill_demo_data

    fill_demo_data(folder, today=TODAY)
    facilities = [f.name for f in directory.list_facilities(folder)]
    clinicians = [c.name for c in directory.list_clinicians(folder)]
    checked = 0
    for record in records.list_records(folder):
        for attachment in record.attachments:
            own = record.date_of_service is not None and \
                attachment.original_name.startswith(record.date_of_service.isoformat())
            if attachment.media_type != "application/pdf" or not own:
                continue
            pdf = pypdfium2.PdfDocument(str(folder.vault.path_for(attachment.sha256)))
            try:
                pages = [pdf[n].get_textpage().get_text_bounded() for n in range(len(pdf))]
            finally:
                pdf.close()
            found = suggest(pages, file_name=attachment.original_name, facilities=facilities,
                            clinicians=clinicians, today=TODAY).fields()
            assert found["date_of_service"] == record.date_of_service, record.title
            assert found.get("facility") == (record.facility_name or None), record.title
            if record.kind != RecordKind.OTHER:
                assert found["kind"] == record.kind, record.title
            if record.kind == RecordKind.PATHOLOGY:
                assert found.get("accession_number") == record.accession_number, record.title
            checked += 1
    assert checked >= 15


def test_words_ocr_ran_together_are_read_apart() -> None:
    page = PageText(1, "SamplewoodCommunity Hospital SAMPLE\nDiagnosticMammogram, Bilateral\n"
                       "Patient Alex Sample Date of birth Jul 12, 1975\nMRN Date Nov.12, 2026", BY_OCR)
    found = suggest([page], facilities=["Samplewood Community Hospital"], today=TODAY).fields()
    assert found["facility"] == "Samplewood Community Hospital"
    assert found["title"] == "Diagnostic mammogram, bilateral"
    assert found["kind"] == RecordKind.IMAGING
    assert found["date_of_service"] == dt.date(2026, 11, 12)
    # a PDF's own text is taken as written
    assert suggest([PageText(1, "FoundationOne CDx")], today=TODAY).fields()["title"] == "FoundationOne CDx"


def test_a_letter_about_many_tests_is_still_a_letter() -> None:
    text = ("Samplewood Community Hospital\nReferral for Second Opinion\nDear Dr. Example-Stone,\n"
            "She has a HER2-negative, Ki-67 15% carcinoma. Germline testing was negative. The 21-gene recurrence "
            "score was 18. CT showed no distant disease; the bone scan was negative.")
    assert run(text)["kind"] == RecordKind.CLINICAL


def test_a_heading_sharing_its_line_with_a_labelled_value_still_names_the_document() -> None:
    text = ("SURGICAL PATHOLOGY REPORT Accession: S26-04412\nPatient: Maria Lopez DOB: 03/14/1968\n"
            "Estrogen receptor: Positive (95%), HER2: 1+ negative\nKi-67: 22% Date of service: 10/14/2026")
    found = suggest(text, today=dt.date(2026, 12, 1))
    assert found.kind is not None and found.kind.value is RecordKind.PATHOLOGY
    assert found.title is not None and found.title.value == "Surgical pathology report"
    assert found.accession_number is not None and found.accession_number.value == "S26-04412"


@pytest.mark.parametrize("name", ["Scan 2026-10-14.pdf", "scan0001.pdf", "SCAN_20261103.jpg"])
def test_a_scanners_file_name_says_nothing_of_the_kind(name: str) -> None:
    found = suggest("", file_name=name, today=dt.date(2026, 12, 1))
    assert found.kind is None
    assert suggest("", file_name="CT scan 2026-10-14.pdf", today=dt.date(2026, 12, 1)).kind.value is RecordKind.IMAGING
