"""FHIR JSON downloads (R4 bundles, IPS documents, single resources, NDJSON, DSTU2) read into the portal model."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import fhir_samples as fs

from secondopinion_desktop.core.portal import safety
from secondopinion_desktop.core.portal.fhir import looks_like_fhir, read_fhir
from secondopinion_desktop.core.portal.model import Document, Report


@pytest.fixture(autouse=True)
def in_chicago() -> Iterator[None]:
    """The computer these records are read on is in US Central time."""
    yield from fs.local_zone(fs.CHICAGO)


def one(data: bytes, name: str = "bundle.json") -> Document:
    result = read_fhir(data, name)
    assert len(result.documents) == 1
    return result.documents[0]


def report(doc: Document, title: str) -> Report:
    found = [r for r in doc.reports if r.title == title]
    assert len(found) == 1, [r.title for r in doc.reports]
    return found[0]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the reader tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# --- an R4 collection bundle -------------------------------------------------------------------------------------


def test_a_bundle_is_one_document_with_its_patient_facility_and_original() -> None:
    data = fs.r4_bundle()
    doc = one(data, "downloads/MyRecord.json")
    assert doc.source == "downloads/MyRecord.json"
    assert doc.format == "FHIR R4"
    assert doc.kind == "clinical"
    assert doc.title == "Health record download"
    assert doc.when == "2024-03-15T07:00"  # Bundle.timestamp, 12:00 UTC, in Chicago time
    assert doc.facility == "Example Hospital"
    assert doc.clinician == "Dana Jones, MD"
    assert doc.patient is not None
    assert doc.patient.name == "Alex Sample"
    assert str(doc.patient.birth_date) == "1970-04-02"
    assert doc.patient.identifiers == ("MRN 12345 (Example Hospital)",)
    assert doc.original == data
    assert doc.original_name == "MyRecord.json"
    assert doc.original_media_type == "application/fhir+json"
    assert doc.own_record  # it carries medications, allergies, problems and sections
    assert doc.skipped == ()


def test_a_diagnostic_report_holds_its_results_and_its_attached_pdf() -> None:
    doc = one(fs.r4_bundle())
    cbc = report(doc, "Complete blood count")
    assert cbc.kind == "lab"
    assert cbc.when == "2024-03-12T09:30"
    assert cbc.facility == "Example Hospital"
    assert [(r.test, r.loinc, r.value, r.number, r.unit) for r in cbc.results] == [
        ("Hemoglobin", "718-7", "11.2", 11.2, "g/dL"),
        ("Leukocytes", "6690-2", "13.4", 13.4, "10*3/uL"),
        ("Platelets", "777-3", "250", 250.0, "10*3/uL"),
    ]
    assert [r.flag for r in cbc.results] == ["Low", "High", "Normal"]
    assert [r.reference_range for r in cbc.results] == ["12.0-15.5 g/dL", "4.0-11.0 10*3/uL", "150-400 10*3/uL"]
    assert {r.panel for r in cbc.results} == {"Complete blood count"}
    assert cbc.results[0].position == "entry 5 (Observation)"
    assert [(f.name, f.media_type, f.data) for f in cbc.files] == [("CBC report.pdf", "application/pdf", fs.PDF)]
    # the report's results are not repeated in the loose groups
    loose = [r for r in doc.reports if r.title in ("Test results", "Vital signs")]
    assert "Hemoglobin" not in {x.test for r in loose for x in r.results}


def test_loose_observations_make_one_report_per_category_and_day() -> None:
    doc = one(fs.r4_bundle())
    tests = report(doc, "Test results")
    assert (tests.kind, tests.when) == ("lab", "2024-03-14")
    assert [(r.test, r.value, r.flag, r.reference_range) for r in tests.results] == [
        ("CA 15-3", "48", "Critical high", "<=30 U/mL")]
    vitals = report(doc, "Vital signs")
    assert (vitals.kind, vitals.when) == ("lab", "2024-03-12")
    # a blood pressure's components are separate results
    assert [(r.test, r.loinc, r.value, r.unit, r.flag) for r in vitals.results] == [
        ("Systolic blood pressure", "8480-6", "142", "mmHg", "High"),
        ("Diastolic blood pressure", "8462-4", "88", "mmHg", ""),
        ("Body weight", "29463-7", "64.5", "kg", ""),
    ]
    assert vitals.results[0].position == "entry 10 (Observation), component 1"


def test_the_same_category_on_two_days_is_two_reports() -> None:
    day1 = fs.observation("g1", "2345-7", "Glucose", 5.4, "mmol/L", when="2024-01-02T08:00:00Z")
    day2 = fs.observation("g2", "2345-7", "Glucose", 6.1, "mmol/L", when="2024-01-09T08:00:00Z")
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), day1, day2], "searchset")))
    assert [(r.title, r.when, len(r.results)) for r in doc.reports] == [
        ("Test results", "2024-01-02", 1), ("Test results", "2024-01-09", 1)]
    assert not doc.own_record  # only results: the reports are the records
    assert doc.when == "2024-03-15T07:00"


def test_values_of_every_kind_are_kept_as_written() -> None:
    base = {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2024-01-02"}
    resources = [
        fs.patient(),
        base | {"id": "1", "code": {"text": "Troponin"}, "valueQuantity": {"value": 0.01, "comparator": "<",
                                                                             "unit": "ng/mL"}},
        base | {"id": "2", "code": {"text": "Urine culture"}, "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "264868006", "display": "No growth"}]}},
        base | {"id": "3", "code": {"text": "Pregnant"}, "valueBoolean": False},
        base | {"id": "4", "code": {"text": "Pain score"}, "valueInteger": 3},
        base | {"id": "5", "code": {"text": "Estimated range"}, "valueRange": {"low": {"value": 2}, "high": {
            "value": 4, "unit": "mg"}}},
        base | {"id": "6", "code": {"text": "Comment"}, "valueString": "  See   note  "},
        base | {"id": "7", "code": {"text": "Potassium"}, "valueQuantity": {"value": 5.9, "unit": "mmol/L"},
                "referenceRange": [{"text": "3.5 - 5.1"}],
                "interpretation": [{"coding": [{"code": "A"}]}]},
    ]
    results = one(fs.to_bytes(fs.bundle(resources))).reports[0].results
    assert [(r.test, r.value, r.number, r.unit) for r in results] == [
        ("Troponin", "<0.01", None, "ng/mL"), ("Urine culture", "No growth", None, ""), ("Pregnant", "No", None, ""),
        ("Pain score", "3", 3.0, ""), ("Estimated range", "2-4 mg", None, ""), ("Comment", "See note", None, ""),
        ("Potassium", "5.9", 5.9, "mmol/L")]
    assert results[-1].reference_range == "3.5 - 5.1"
    assert results[-1].flag == "Abnormal"


def test_interpretation_codes_become_words() -> None:
    flags = {"H": "High", "L": "Low", "HH": "Critical high", "LL": "Critical low", "A": "Abnormal", "N": "Normal"}
    resources: list[dict[str, Any]] = [fs.patient()]
    for n, code in enumerate(flags):
        resources.append(fs.observation(f"o{n}", "2345-7", f"Test {code}", 1.0, "x", flag=code))
    results = one(fs.to_bytes(fs.bundle(resources))).reports[0].results
    assert {r.test: r.flag for r in results} == {f"Test {code}": word for code, word in flags.items()}


def test_a_panel_observation_names_its_members() -> None:
    a = fs.observation("a", "2093-3", "Cholesterol", 5.2, "mmol/L")
    b = fs.observation("b", "2085-9", "HDL", 1.3, "mmol/L")
    panel = {"resourceType": "Observation", "id": "lipid", "status": "final", "code": {"text": "Lipid panel"},
             "effectiveDateTime": "2024-03-12", "hasMember": [fs.ref(a), fs.ref(b)]}
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), panel, a, b])))
    results = doc.reports[0].results
    assert [(r.test, r.panel) for r in results] == [("Cholesterol", "Lipid panel"), ("HDL", "Lipid panel")]
    assert doc.skipped == ()  # the panel itself, without a value of its own, is not "skipped"


@pytest.mark.parametrize("style", ["stu3", "r4"])
def test_a_culture_reads_the_members_its_contained_panels_name_and_susceptibilities_given_as_words(
        style: str) -> None:
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), fs.culture_report(style)])))
    culture = report(doc, "Culture, MRSA")
    assert culture.kind == "lab"
    assert [(r.test, r.value, r.unit, r.flag, r.panel) for r in culture.results] == [
        ("Organism identified", "Methicillin resistant Staphylococcus aureus", "", "",
         "Staphylococcus aureus panel"),
        ("Culture result", "Positive", "", "", "Staphylococcus aureus panel"),
        ("Ampicillin", "Resistant", "", "", "Susceptibility by broth dilution"),
        ("Vancomycin", "<=1", "ug/mL", "Susceptible", "Susceptibility by broth dilution"),
        ("Oxacillin", "Resistant", "", "", "Susceptibility by disk diffusion"),
        ("Clindamycin", "Intermediate", "", "", "Susceptibility by disk diffusion"),
    ]
    assert {r.when for r in culture.results} == {"2024-03-12T10:00"}
    assert [r.title for r in doc.reports] == ["Culture, MRSA"]  # no member read twice as a loose result
    assert doc.skipped == ()


def test_an_observation_with_neither_value_nor_interpretation_in_a_report_is_said_to_be_skipped() -> None:
    culture = fs.culture_report("r4")
    amp = next(c for c in culture["contained"] if c["id"] == "amp")
    del amp["interpretation"]
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), culture])))
    assert "Ampicillin" not in {r.test for r in report(doc, "Culture, MRSA").results}
    assert [(s.where, s.reason) for s in doc.skipped] == [
        ("entry 2 (DiagnosticReport), contained amp", "an Observation with no value")]


def test_contained_references_are_local_to_their_container() -> None:
    """"#amp" inside one report's contained panel names that report's Ampicillin, never another report's."""
    first = fs.culture_report("r4")
    second = fs.culture_report("r4")
    second["id"] = "micro2"
    second["code"] = {"text": "Culture, repeat"}
    next(c for c in second["contained"] if c["id"] == "amp")["interpretation"][0]["coding"][0]["code"] = "S"
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), first, second])))
    assert {r.test: r.value for r in report(doc, "Culture, MRSA").results}["Ampicillin"] == "Resistant"
    assert {r.test: r.value for r in report(doc, "Culture, repeat").results}["Ampicillin"] == "Susceptible"


def test_pathology_report_keeps_conclusion_specimen_and_lists_its_link_without_fetching(no_network: None) -> None:
    doc = one(fs.r4_bundle())
    path = report(doc, "Surgical pathology report")
    assert path.kind == "pathology"
    assert path.clinician == "Dana Jones, MD"
    assert "Invasive ductal carcinoma, grade 2." in path.text
    assert "Specimen: Core needle biopsy from Left breast collected 2024-02-18T08:00 (accession S24-1234)" in path.text
    assert path.files == ()
    assert [(link.description, link.url) for link in path.links] == [
        ("Full pathology report", "https://portal.example.org/documents/path-1.pdf")]
    assert [(r.test, r.value) for r in path.results] == [("HER2 [Interpretation] in Tissue", "Negative (score 1+)")]


@pytest.mark.parametrize(("category", "code", "kind"), [
    ({"coding": [{"code": "LAB"}]}, {"text": "Chemistry"}, "lab"),
    ({"coding": [{"code": "RAD"}]}, {"text": "CT chest"}, "imaging"),
    ({"coding": [{"code": "LP29684-5", "system": "http://loinc.org"}]}, {"text": "Chest film"}, "imaging"),
    ({"coding": [{"code": "PAT"}]}, {"text": "Biopsy"}, "pathology"),
    ({"text": "Other"}, fs.loinc("11526-1", "Pathology study"), "pathology"),
    ({"text": "Other"}, fs.loinc("60567-5", "Comprehensive pathology report panel"), "pathology"),
    ({"coding": [{"code": "GE"}]}, {"text": "BRCA1/2"}, "molecular"),
    ({"text": "Other"}, fs.loinc("51969-4", "Genetic analysis report"), "molecular"),
    ({"text": "Cardiology"}, {"text": "Echocardiogram note"}, "clinical"),
])
def test_a_diagnostic_report_kind_follows_its_category_and_code(category: Any, code: Any, kind: str) -> None:
    dr = {"resourceType": "DiagnosticReport", "id": "r", "status": "final", "category": [category], "code": code,
          "effectiveDateTime": "2024-01-01", "conclusion": "Text."}
    assert one(fs.to_bytes(fs.bundle([fs.patient(), dr]))).reports[0].kind == kind


def test_problems_medications_and_allergies() -> None:
    doc = one(fs.r4_bundle())
    (problem,) = doc.problems
    assert (problem.name, problem.code, problem.code_system, problem.status, problem.onset, problem.stage) == (
        "Breast cancer, left", "353431000119107", "SNOMED CT", "active", "2024-02-20", "Stage 2A")
    (med,) = doc.medications
    assert (med.name, med.code, med.dose, med.route, med.frequency, med.status, med.start) == (
        "Tamoxifen 20 MG Oral Tablet", "198240", "20 mg", "Oral", "every 12 hours", "active", "2024-03-01")
    assert med.instructions == "Take one tablet by mouth daily"
    (allergy,) = doc.allergies
    assert (allergy.substance, allergy.code, allergy.reaction, allergy.severity, allergy.status, allergy.onset) == (
        "Penicillin", "7980", "Hives; Shortness of breath", "moderate", "active", "2001")


def test_a_stage_given_only_by_an_assessment_observation() -> None:
    tnm = {"resourceType": "Observation", "id": "stage", "status": "final", "code": {"text": "TNM stage group"},
           "valueCodeableConcept": {"text": "Stage IIIB"}, "effectiveDateTime": "2023-05-01"}
    condition = {"resourceType": "Condition", "id": "c", "code": {"text": "Lung cancer"},
                 "stage": [{"assessment": [fs.ref(tnm)]}]}
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), condition, tnm])))
    assert doc.problems[0].stage == "Stage IIIB"


@pytest.mark.parametrize(("repeat", "words"), [
    ({"frequency": 1, "period": 12, "periodUnit": "h"}, "every 12 hours"),
    ({"frequency": 2, "period": 1, "periodUnit": "d"}, "twice a day"),
    ({"frequency": 3, "period": 1, "periodUnit": "d"}, "3 times a day"),
    ({"frequency": 1, "period": 1, "periodUnit": "d"}, "once a day"),
    ({"frequency": 1, "period": 1, "periodUnit": "wk"}, "once a week"),
    ({"period": 3, "periodUnit": "wk"}, "every 3 weeks"),
    ({"when": ["HS"]}, "at bedtime"),
])
def test_a_timing_becomes_words(repeat: dict[str, Any], words: str) -> None:
    med = {"resourceType": "MedicationStatement", "id": "m", "status": "active",
           "medicationCodeableConcept": {"text": "Medicine"}, "dosage": [{"timing": {"repeat": repeat}}]}
    assert one(fs.to_bytes(fs.bundle([fs.patient(), med]))).medications[0].frequency == words


def test_an_imaging_study_carries_its_study_uid_and_accession_number() -> None:
    study = report(one(fs.r4_bundle()), "Diagnostic mammogram, bilateral")
    assert study.kind == "imaging"
    assert study.study_uid == fs.STUDY_UID  # without the "urn:oid:" prefix
    assert study.accession_number == "ACC-778"
    assert study.modality == "MG"
    assert study.body_site == "Breast"
    assert study.when == "2024-02-10T02:15"  # 08:15 UTC


def test_a_report_naming_an_imaging_study_takes_its_uid_instead_of_a_second_report() -> None:
    resources = fs.r4_resources()
    study = next(r for r in resources if r["resourceType"] == "ImagingStudy")
    dr = {"resourceType": "DiagnosticReport", "id": "rad", "status": "final", "code": {"text": "Mammogram report"},
          "effectiveDateTime": "2024-02-10", "imagingStudy": [fs.ref(study)], "conclusion": "BI-RADS 4."}
    doc = one(fs.to_bytes(fs.bundle([*resources, dr])))
    rad = report(doc, "Mammogram report")
    assert (rad.kind, rad.study_uid, rad.accession_number, rad.text) == ("imaging", fs.STUDY_UID, "ACC-778",
                                                                        "BI-RADS 4.")
    assert not [r for r in doc.reports if r.title == "Diagnostic mammogram, bilateral"]


def test_procedures_visits_and_specimens_are_readable_sections() -> None:
    sections = {s.title: s for s in one(fs.r4_bundle()).sections}
    assert list(sections) == ["Procedures", "Visits", "Specimens"]
    assert sections["Procedures"].blocks[0].rows == (
        ("Procedure", "Date", "Status", "Body site"),
        ("Core needle biopsy of left breast", "2024-02-18", "completed", "Left breast"))
    assert sections["Visits"].blocks[0].rows[1] == ("Oncology consultation", "2024-03-01T04:00", "Example Hospital",
                                                    "")
    assert sections["Specimens"].blocks[0].rows[1] == ("Core needle biopsy", "2024-02-18T08:00", "Left breast",
                                                       "S24-1234")


def test_a_document_reference_with_inline_data_is_a_report_with_that_file() -> None:
    doc_ref = {"resourceType": "DocumentReference", "id": "d", "status": "current",
               "type": fs.loinc("11526-1", "Pathology study"), "date": "2024-02-21T09:00:00Z",
               "description": "Outside pathology consult", "custodian": {"display": "Other Lab"},
               "content": [{"attachment": {"contentType": "application/pdf",
                                           "data": base64.b64encode(fs.PDF).decode()}}]}
    (rep,) = one(fs.to_bytes(fs.bundle([fs.patient(), doc_ref]))).reports
    assert (rep.kind, rep.title, rep.when, rep.facility) == ("pathology", "Outside pathology consult",
                                                             "2024-02-21T03:00", "Other Lab")
    assert [(f.name, f.media_type, f.data) for f in rep.files] == [
        ("Outside pathology consult.pdf", "application/pdf", fs.PDF)]


def test_a_url_only_attachment_is_listed_and_never_fetched(no_network: None) -> None:
    doc_ref = {"resourceType": "DocumentReference", "id": "d", "status": "current",
               "type": {"text": "Discharge summary"}, "date": "2024-02-21",
               "content": [{"attachment": {"contentType": "text/html", "url": "https://ehr.example.org/Binary/9"}},
                           {"attachment": {"contentType": "application/pdf", "url": "Binary/10",
                                           "title": "Printable"}}]}
    (rep,) = one(fs.to_bytes(fs.bundle([fs.patient(), doc_ref]))).reports
    assert rep.files == ()
    assert [(link.description, link.url) for link in rep.links] == [
        ("Discharge summary", "https://ehr.example.org/Binary/9"), ("Printable", "Binary/10")]


def test_an_attachment_pointing_at_a_binary_in_the_bundle_is_read_from_it(no_network: None) -> None:
    binary = {"resourceType": "Binary", "id": "bin1", "contentType": "application/pdf",
              "data": base64.b64encode(fs.PDF).decode()}
    doc_ref = {"resourceType": "DocumentReference", "id": "d", "status": "current", "type": {"text": "Letter"},
               "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/bin1"}}]}
    (rep,) = one(fs.to_bytes(fs.bundle([fs.patient(), doc_ref, binary]))).reports
    assert [f.data for f in rep.files] == [fs.PDF]
    assert rep.links == ()


# --- IPS document bundle -----------------------------------------------------------------------------------------


def test_an_ips_document_takes_title_date_custodian_and_sections_from_its_composition() -> None:
    doc = one(fs.ips_bundle(), "ips.json")
    assert doc.title == "Patient Summary"
    assert doc.type_code == "60591-5"
    assert doc.when == "2024-05-01T10:00"  # the place's own wall clock, as written (+02:00)
    assert doc.facility == "Example Clinic"
    assert doc.clinician == "Dana Jones, MD"
    meds, problems, allergies = doc.sections
    assert (meds.title, meds.code) == ("Medication Summary", "10160-0")
    assert [b.kind for b in meds.blocks] == ["paragraph", "list", "table"]
    assert meds.blocks[0].text == "Current medicines:"
    assert meds.blocks[1].items == ("Ibuprofen 200 mg twice a day",)
    assert meds.blocks[2].rows == (("Medicine", "Since"), ("Ibuprofen", "2023"))
    assert meds.blocks[2].header
    # a section without narrative lists its entries
    assert problems.blocks[0].items == ("Hypertension, 2019-05",)
    assert allergies.blocks[0].text == "No information available"
    # and the entries are read as structured data too (a contained Medication gives the name)
    assert [(m.name, m.dose, m.frequency) for m in doc.medications] == [
        ("Ibuprofen 200 MG Oral Tablet", "200 mg", "twice a day")]
    assert [p.name for p in doc.problems] == ["Hypertension"]


def test_markup_in_a_narrative_stays_literal_and_nothing_in_it_runs_or_loads(no_network: None) -> None:
    div = ('<div xmlns="http://www.w3.org/1999/xhtml"><p>Dose &lt;b&gt;5&lt;/b&gt; mg&nbsp;daily &amp; '
           '&lt;script&gt;alert(1)&lt;/script&gt;</p><script>steal()</script>'
           '<img src="https://tracker.example.org/pixel.png"/><p>Second <b>bold</b> line</p></div>')
    meds = one(fs.ips_bundle(div)).sections[0]
    texts = [b.text for b in meds.blocks]
    assert texts == ["Dose <b>5</b> mg daily & <script>alert(1)</script>", "Second bold line"]
    assert "steal" not in json.dumps(texts)


def test_a_narrative_that_declares_an_entity_is_not_expanded() -> None:
    div = ('<!DOCTYPE div [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<div xmlns="http://www.w3.org/1999/xhtml"><p>&x;</p></div>')
    doc = one(fs.ips_bundle(div))
    # the narrative is left out; the section lists its entries instead
    assert [b.items for b in doc.sections[0].blocks] == [("Ibuprofen 200 MG Oral Tablet, 2023-01-01",)]
    assert "root:" not in repr(doc)


def test_a_narrative_that_is_not_well_formed_is_read_as_plain_text() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Unclosed <br> line &copy; 2024</div>'
    blocks = one(fs.ips_bundle(div)).sections[0].blocks
    assert [b.text for b in blocks] == ["Unclosed line \xa9 2024"]


# --- single resources and NDJSON ---------------------------------------------------------------------------------


def test_a_single_resource_file() -> None:
    dr = {"resourceType": "DiagnosticReport", "id": "x", "status": "final", "code": {"text": "Chest X-ray"},
          "category": [{"coding": [{"code": "RAD"}]}], "effectiveDateTime": "2024-01-05",
          "subject": {"reference": "Patient/1", "display": "Alex Sample"}, "conclusion": "No acute findings."}
    doc = one(json.dumps(dr).encode(), "report.json")
    assert doc.patient is not None and doc.patient.name == "Alex Sample"  # from the reference's display
    assert [(r.kind, r.title, r.text, r.position) for r in doc.reports] == [
        ("imaging", "Chest X-ray", "No acute findings.", "the resource (DiagnosticReport)")]
    assert doc.when == "2024-01-05"
    assert not doc.own_record


def test_a_file_without_any_patient_gives_a_document_without_one() -> None:
    obs = fs.observation("o", "2345-7", "Glucose", 5.0, "mmol/L")
    del obs["subject"]
    doc = one(fs.to_bytes(fs.bundle([obs])))
    assert doc.patient is None  # the package refuses a document with no patient


def relative(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resources with ``Type/id`` references, as bulk-data NDJSON has them."""
    text = json.dumps(resources)
    for r in resources:
        text = text.replace(f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", f"{r['resourceType']}/{r['id']}")
    return list(json.loads(text))


def test_ndjson_reads_each_line_and_a_bad_line_is_one_skipped() -> None:
    data = fs.ndjson(relative(fs.r4_resources()), bad_lines=(3,))
    doc = one(data, "export/Observation.ndjson")
    assert doc.original_media_type == "application/fhir+ndjson"
    assert [(s.where, s.reason) for s in doc.skipped] == [("line 4", "this line is not readable JSON")]
    cbc = report(doc, "Complete blood count")
    assert [r.test for r in cbc.results] == ["Hemoglobin", "Leukocytes", "Platelets"]
    assert cbc.results[0].position == "line 6 (Observation)"
    assert len(doc.medications) == len(doc.allergies) == len(doc.problems) == 1


def test_ndjson_is_recognised_without_its_extension() -> None:
    data = fs.ndjson([fs.patient(), fs.observation("o", "2345-7", "Glucose", 5.0, "mmol/L")])
    doc = one(data, "download.json")
    assert doc.original_media_type == "application/fhir+ndjson"
    assert doc.reports[0].results[0].test == "Glucose"



def test_ndjson_lines_end_at_newlines_only_never_at_other_line_break_characters() -> None:
    """U+2028, U+0085 and the like inside a JSON string are characters of the string, not ends of lines."""
    obs = fs.observation("o", "6875-9", "CA 15-3", 31, "U/mL",
                         note=[{"text": "Drawn before cycle 3.\u2028Fasting.\u0085\u000b\u000c\u001c\u001d\u001e"}])
    lines = [json.dumps(fs.patient()), json.dumps(obs, ensure_ascii=False)]
    for data in (("\n".join(lines) + "\n").encode(), ("\r\n".join(lines) + "\r\n").encode()):
        result = read_fhir(data, "Observation.ndjson")
        assert result.skipped == ()
        (doc,) = result.documents
        assert doc.skipped == ()
        assert [(r.test, r.value, r.position) for rep in doc.reports for r in rep.results] == [
            ("CA 15-3", "31", "line 2 (Observation)")]
        # recognised as NDJSON without its extension too
        assert one(data, "download.json").original_media_type == "application/fhir+ndjson"


def test_a_bundle_on_one_ndjson_line_gives_its_entries_as_resources() -> None:
    by_id = {r["id"]: r for r in fs.r4_resources()}
    data = fs.ndjson([fs.patient(), fs.bundle([fs.organization()] + [by_id[k] for k in ("cbc", "hb", "wbc", "plt")])])
    doc = one(data, "export.ndjson")
    assert doc.skipped == ()
    panel = report(doc, "Complete blood count")
    assert [(r.test, r.value, r.position) for r in panel.results] == [
        ("Hemoglobin", "11.2", "line 2, entry 3 (Observation)"),
        ("Leukocytes", "13.4", "line 2, entry 4 (Observation)"),
        ("Platelets", "250", "line 2, entry 5 (Observation)")]
    assert doc.facility == "Example Hospital"


def test_a_time_in_utc_is_said_in_the_computers_local_time_and_an_offset_time_as_the_place_wrote_it() -> None:
    """A draw at 21:00 in Chicago that the portal stores as 02:00 UTC the next day stays on the patient's day; a
    time written with its place's own offset is that place's wall clock (the day on that lab's report), and a
    time without a zone and a date stay as written."""
    times = {"utc": "2024-03-13T02:00:00Z", "offset": "2024-03-13T07:30:00+05:30", "local": "2024-03-12T16:00:00-05:00",
             "no zone": "2024-03-13T02:00:00", "date": "2024-03-13", "minutes only": "2024-03-13T02:00Z",
             "leap second": "2024-03-13T02:00:60Z", "far future": "9999-12-31T23:30:00-10:00"}
    observations = [fs.observation(f"g{n}", "2345-7", label, n, "mmol/L", when=when)
                    for n, (label, when) in enumerate(times.items(), start=1)]
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), *observations])))
    found = {r.test: r.when for rep in doc.reports for r in rep.results}
    assert found == {"utc": "2024-03-12T21:00", "offset": "2024-03-13T07:30", "local": "2024-03-12T16:00",
                     "no zone": "2024-03-13T02:00", "date": "2024-03-13", "minutes only": "2024-03-12T21:00",
                     "leap second": "2024-03-13T02:00", "far future": "9999-12-31T23:30"}
    day = next(rep for rep in doc.reports if rep.when == "2024-03-12")
    assert sorted(r.test for r in day.results) == ["local", "minutes only", "utc"]
    assert doc.when == "2024-03-15T07:00"  # Bundle.timestamp 12:00 UTC
    with contextlib.contextmanager(fs.local_zone)("UTC0"):
        again = one(fs.to_bytes(fs.bundle([fs.patient(), *observations])))
    assert {r.test: r.when for rep in again.reports for r in rep.results}["utc"] == "2024-03-13T02:00"
    assert {r.test: r.when for rep in again.reports for r in rep.results}["local"] == "2024-03-12T16:00"


def untimed(rid: str, text: str, value: float, **extra: Any) -> dict[str, Any]:
    res = fs.observation(rid, "", text, value, "U/mL", **extra)
    del res["effectiveDateTime"]
    res["code"] = {"text": text}
    return res


def test_a_result_without_a_time_of_its_own_carries_its_reports_time() -> None:
    """So the same test in two visits' downloads is never taken for one result of one day."""
    def visit(day: str, issued_only: bool = False) -> Document:
        member = untimed("m1", "CEA", 2.1)
        panel = untimed("panel", "Tumor marker panel", 0, hasMember=[{"reference": "Observation/m1"}])
        del panel["valueQuantity"]
        timed = fs.observation("t1", "2857-1", "PSA", 0.5, "ng/mL", when=f"{day}T08:00:00-05:00")
        dr: dict[str, Any] = {
            "resourceType": "DiagnosticReport", "id": "dr", "status": "final", "code": {"text": "Tumor markers"},
            "category": [{"coding": [{"code": "LAB"}]}], "subject": {"reference": "Patient/p1"},
            "result": [{"reference": "#c1"}, {"reference": "Observation/o1"}, {"reference": "Observation/t1"},
                       {"reference": "Observation/panel"}],
            "contained": [untimed("c1", "CA 15-3", 31)]}
        if issued_only:
            dr["issued"] = f"{day}T10:00:00-05:00"
        else:
            dr["effectiveDateTime"] = day
        return one(fs.to_bytes(fs.bundle([fs.patient(), dr, untimed("o1", "CA 27.29", 40), timed, panel, member])))

    march, june = visit("2024-03-12"), visit("2024-06-12", issued_only=True)
    assert [(r.test, r.when) for r in report(march, "Tumor markers").results] == [
        ("CA 15-3", "2024-03-12"), ("CA 27.29", "2024-03-12"), ("PSA", "2024-03-12T08:00"), ("CEA", "2024-03-12")]
    assert [(r.test, r.when) for r in report(june, "Tumor markers").results] == [
        ("CA 15-3", "2024-06-12T10:00"), ("CA 27.29", "2024-06-12T10:00"), ("PSA", "2024-06-12T08:00"),
        ("CEA", "2024-06-12T10:00")]
    same = {(r.test, r.value, r.when) for r in report(march, "Tumor markers").results} & {
        (r.test, r.value, r.when) for r in report(june, "Tumor markers").results}
    assert same == set()


# --- DSTU2 -------------------------------------------------------------------------------------------------------


def test_a_dstu2_bundle_is_read_where_it_maps_simply() -> None:
    doc = one(fs.dstu2_bundle(), "dstu2.json")
    assert doc.format == "FHIR DSTU2"
    assert doc.patient is not None and doc.patient.name == "Alex Sample"  # family given as a list
    (med,) = doc.medications
    assert (med.name, med.dose, med.route, med.frequency, med.instructions, med.start) == (
        "Letrozole 2.5 mg tablet", "2.5 mg", "Oral", "once a day", "2.5 mg daily", "2015-03-25")
    (allergy,) = doc.allergies
    assert (allergy.substance, allergy.reaction, allergy.severity, allergy.status) == (
        "Sulfa drugs", "Rash", "mild", "confirmed")
    (problem,) = doc.problems
    assert (problem.code, problem.code_system, problem.status, problem.stage, problem.onset) == (
        "C50.912", "ICD-10-CM", "active", "T2 N0 M0", "2015-02-20")
    panel = report(doc, "Basic metabolic panel")
    assert (panel.kind, panel.facility) == ("lab", "Example Lab")
    assert [(r.test, r.value, r.flag, r.reference_range) for r in panel.results] == [
        ("Creatinine", "0.9", "Normal", "0.6-1.1 mg/dL")]
    ct = report(doc, "CT chest")
    assert (ct.study_uid, ct.accession_number, ct.modality) == (fs.STUDY_UID, "ACC-1", "CT")
    assert [(s.where, s.reason) for s in doc.skipped] == [
        ("entry 8 (DiagnosticOrder)", "a DSTU2 DiagnosticOrder resource is not read")]


@pytest.mark.parametrize("resource", [
    {"resourceType": "Observation", "id": "o", "category": {"text": "Laboratory"}, "code": {"text": "Na"},
     "valueQuantity": {"value": 140, "unit": "mmol/L"}},
    {"resourceType": "Condition", "id": "c", "clinicalStatus": "active", "dateRecorded": "2015-03-01",
     "code": {"text": "Asthma"}},
    {"resourceType": "AllergyIntolerance", "id": "a", "substance": {"text": "Latex"}},
    {"resourceType": "MedicationOrder", "id": "m", "medicationCodeableConcept": {"text": "Aspirin"}},
    {"resourceType": "Observation", "id": "o", "meta": {"fhirVersion": "1.0.2"}, "code": {"text": "Na"},
     "valueQuantity": {"value": 140}},
])
def test_dstu2_is_recognised_by_its_shapes(resource: dict[str, Any]) -> None:
    assert one(fs.to_bytes(fs.bundle([fs.patient(), resource]))).format == "FHIR DSTU2"


@pytest.mark.parametrize("resource", [
    # shapes DSTU2 and STU3 share (R4 changed them): nothing DSTU2-only, so STU3
    {"resourceType": "DiagnosticReport", "id": "d", "status": "final", "code": {"text": "Culture"},
     "category": {"coding": [{"code": "MB"}]}, "conclusion": "No growth."},
    {"resourceType": "Condition", "id": "c", "clinicalStatus": "active", "code": {"text": "Asthma"}},
    # STU3's own
    {"resourceType": "AllergyIntolerance", "id": "a", "code": {"text": "Latex"}, "assertedDate": "2016-01-01"},
    {"resourceType": "DiagnosticReport", "id": "d", "status": "final", "code": {"text": "Culture"},
     "performer": [{"actor": {"reference": "Organization/o1"}}], "conclusion": "No growth."},
    {"resourceType": "Observation", "id": "o", "meta": {"fhirVersion": "3.0.1"}, "code": {"text": "Na"},
     "valueQuantity": {"value": 140}},
])
def test_stu3_is_named_stu3_never_dstu2(resource: dict[str, Any]) -> None:
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), fs.organization(), resource])))
    assert doc.format == "FHIR STU3"
    assert doc.skipped == ()  # read as R4 is, where the fields agree


def test_a_stu3_bundle_with_a_dstu2_only_shape_stays_dstu2_and_r4_stays_r4() -> None:
    dstu2_observation = {"resourceType": "Observation", "id": "o", "category": {"text": "Laboratory"},
                         "code": {"text": "Na"}, "valueQuantity": {"value": 140, "unit": "mmol/L"}}
    mixed = [fs.patient(), fs.culture_report("stu3"), dstu2_observation]
    assert one(fs.to_bytes(fs.bundle(mixed))).format == "FHIR DSTU2"
    assert one(fs.to_bytes(fs.bundle([fs.patient(), fs.culture_report("r4")]))).format == "FHIR R4"
    assert one(fs.to_bytes(fs.bundle([fs.patient(), fs.culture_report("stu3")]))).format == "FHIR STU3"


def test_dstu2_resources_we_do_not_map_are_named_as_skipped() -> None:
    resources = [fs.patient(), {"resourceType": "MedicationOrder", "id": "m",
                                "medicationCodeableConcept": {"text": "Aspirin"}},
                 {"resourceType": "FamilyMemberHistory", "id": "f"}]
    doc = one(fs.to_bytes(fs.bundle(resources)))
    assert [s.reason for s in doc.skipped] == ["a DSTU2 FamilyMemberHistory resource is not read"]


# --- odd and hostile input ---------------------------------------------------------------------------------------


def test_unknown_resource_types_are_skipped_with_their_type_named() -> None:
    resources = [*fs.r4_resources(), {"resourceType": "Coverage", "id": "cov"},
                 {"resourceType": "Immunization", "id": "im", "vaccineCode": {"text": "Flu"}}]
    doc = one(fs.to_bytes(fs.bundle(resources)))
    assert doc.format == "FHIR R4"
    assert [(s.where, s.reason) for s in doc.skipped] == [
        ("entry 20 (Coverage)", "a Coverage resource is not read"),
        ("entry 21 (Immunization)", "an Immunization resource is not read")]


def test_one_broken_resource_among_good_ones_is_one_skipped() -> None:
    resources = fs.r4_resources()
    broken_med = {"resourceType": "MedicationRequest", "id": "odd", "medicationCodeableConcept": {"text": "X"},
                  "dosageInstruction": [{"timing": {"repeat": {"frequency": 1e400, "period": 1, "periodUnit": "d"}}}]}
    no_type = {"resourceType": ["Observation"], "id": "weird"}
    text = fs.to_bytes(fs.bundle([*resources, broken_med, no_type]))
    bundle = json.loads(text)
    bundle["entry"].append({"fullUrl": "urn:uuid:nothing"})
    doc = one(json.dumps(bundle).replace("Infinity", "1e400").encode())
    assert [(s.where, s.reason) for s in doc.skipped] == [
        ("entry 20 (MedicationRequest)", "this MedicationRequest could not be read (OverflowError)"),
        ("entry 21 (no type)", "an entry with no resource type"),
        ("entry 22", "an entry with no resource"),
    ]
    assert len(doc.medications) == 1 and len(doc.problems) == 1 and len(doc.reports) == 5


def test_a_resource_entered_in_error_is_skipped() -> None:
    obs = fs.observation("o", "2345-7", "Glucose", 5.0, "mmol/L", status="entered-in-error")
    good = fs.observation("g", "2345-7", "Glucose", 5.5, "mmol/L")
    doc = one(fs.to_bytes(fs.bundle([fs.patient(), obs, good])))
    assert [r.value for r in doc.reports[0].results] == ["5.5"]
    assert [s.reason for s in doc.skipped] == ["this Observation was entered in error"]


def test_an_attachment_that_is_not_base64_is_skipped_and_the_rest_read() -> None:
    doc_ref = {"resourceType": "DocumentReference", "id": "d", "type": {"text": "Letter"},
               "content": [{"attachment": {"contentType": "application/pdf", "data": "not*base64!"}}]}
    doc = one(fs.to_bytes(fs.bundle([*fs.r4_resources(), doc_ref])))
    assert [s.reason for s in doc.skipped] == ["its attached file is not valid base64"]
    assert len(doc.medications) == 1


def test_an_attachment_over_the_size_limit_refuses_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_EMBEDDED_BYTES", 1024)
    doc_ref = {"resourceType": "DocumentReference", "id": "d", "type": {"text": "Letter"},
               "content": [{"attachment": {"contentType": "application/pdf",
                                           "data": base64.b64encode(b"x" * 4096).decode()}}]}
    with pytest.raises(safety.Refused, match=r"^big\.json carries a file of over"):
        read_fhir(fs.to_bytes(fs.bundle([fs.patient(), doc_ref])), "some/folder/big.json")


def test_json_nested_ten_thousand_deep_is_refused() -> None:
    data = b'{"resourceType": "Bundle", "entry": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    with pytest.raises(safety.Refused, match=r"^deep\.json nests its data"):
        read_fhir(data, "x/deep.json")


def test_ndjson_with_a_line_nested_ten_thousand_deep_is_refused() -> None:
    data = fs.ndjson([fs.patient()]) + b'{"resourceType": "Observation", "x": ' + b"[" * 10_000 + b"]" * 10_000 \
        + b"}\n"
    with pytest.raises(safety.Refused, match=r"^deep\.ndjson nests its data"):
        read_fhir(data, "deep.ndjson")


@pytest.mark.parametrize("ndjson", [False, True])
def test_more_resources_than_the_limit_are_refused(monkeypatch: pytest.MonkeyPatch, ndjson: bool) -> None:
    monkeypatch.setattr(safety, "MAX_RESOURCES", 10)
    resources = [fs.patient(), *(fs.observation(f"o{n}", "2345-7", "Glucose", n, "x") for n in range(12))]
    data = fs.ndjson(resources) if ndjson else fs.to_bytes(fs.bundle(resources))
    with pytest.raises(safety.Refused, match=r"^many\.json holds more than 10 resources"):
        read_fhir(data, "many.json")
    assert read_fhir(fs.to_bytes(fs.bundle(resources[:10])), "ten.json").documents


def test_entries_without_resource_types_still_count_against_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_RESOURCES", 10)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": {"resourceType": "Basic", "id": str(n)}} for n in range(3)]
              + [{"resource": {"id": str(n)}} for n in range(20)]}
    with pytest.raises(safety.Refused, match="holds more than 10 resources"):
        read_fhir(json.dumps(bundle).encode(), "many.json")


@pytest.mark.parametrize(("data", "message"), [
    (b"not json at all", r"^x\.json is not readable JSON"),
    (b'{"hello": "world"}', r"^x\.json is JSON but not a FHIR resource or bundle"),
    (b'[{"resourceType": "Patient"}]', r"^x\.json is JSON but not a FHIR resource or bundle"),
    (b'{"resourceType": "Patient", "name": "\xff\xfe"}', r"^x\.json is not UTF-8 text"),
])
def test_a_file_that_is_not_fhir_json_is_refused_naming_it(data: bytes, message: str) -> None:
    with pytest.raises(safety.Refused, match=message):
        read_fhir(data, "folder/x.json")


def test_two_different_patients_in_one_bundle_are_refused() -> None:
    resources = [fs.patient(), fs.patient("Jordan Other", "1980-01-01", rid="p2")]
    with pytest.raises(safety.Refused, match=r"^two\.json holds the records of two different patients"):
        read_fhir(fs.to_bytes(fs.bundle(resources)), "two.json")


def test_a_resource_about_another_patient_is_left_out_with_its_reason() -> None:
    def med(rid: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
                "medicationCodeableConcept": {"text": name}, "authoredOn": "2024-03-01", **extra}

    other_result = fs.observation("x1", "718-7", "Hemoglobin", 9.0, "g/dL", subject={"reference": "Patient/pat1"})
    report_ = {"resourceType": "DiagnosticReport", "id": "r1", "status": "final", "code": {"text": "Blood count"},
               "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-03-12",
               "result": [{"reference": "Observation/x1"},
                          {"reference": "urn:uuid:observation-wbc"}]}
    resources = [
        fs.patient(),
        med("m1", "Tamoxifen", subject={"reference": "urn:uuid:patient-p1"}),
        med("m2", "Letrozole", subject={"reference": "Patient/p1"}),
        med("m3", "Anastrozole", subject={"display": "Alex Sample"}),  # named only: as it is
        med("m4", "Exemestane"),  # no subject: as it is
        med("m5", "Prescribed medication", subject={"reference": "Patient/pat1", "display": "Donald Duck"}),
        {"resourceType": "AllergyIntolerance", "id": "a9", "code": {"text": "Peanut"},
         "patient": {"reference": "https://other.example.org/fhir/Patient/pat2/_history/3"}},
        fs.observation("grp", "2345-7", "Glucose", 5.0, "mmol/L", subject={"reference": "Group/g1"}),
        fs.observation("uu", "2345-7", "Glucose", 6.0, "mmol/L", subject={"reference": "urn:uuid:someone-else"}),
        report_, other_result, fs.observation("wbc", "6690-2", "Leukocytes", 5.1, "10*3/uL"),
    ]
    doc = one(fs.to_bytes(fs.bundle(resources)))
    assert [m.name for m in doc.medications] == ["Tamoxifen", "Letrozole", "Anastrozole", "Exemestane"]
    assert doc.allergies == ()
    assert [r.test for r in report(doc, "Blood count").results] == ["Leukocytes"]
    assert [(r.test, r.value) for r in report(doc, "Test results").results] == [("Glucose", "5.0")]  # a Group's
    assert [(s.where, s.reason) for s in doc.skipped] == [
        ("entry 6 (MedicationRequest)",
         "this MedicationRequest is about another patient (Patient/pat1); it was left out"),
        ("entry 7 (AllergyIntolerance)",
         "this AllergyIntolerance is about another patient (Patient/pat2); it was left out"),
        ("entry 9 (Observation)",
         "this Observation is about another patient (urn:uuid:someone-else); it was left out"),
        ("entry 11 (Observation)", "this Observation is about another patient (Patient/pat1); it was left out"),
    ]


def test_a_resource_about_another_patient_in_ndjson_is_left_out_too() -> None:
    obs = fs.observation("o1", "2345-7", "Glucose", 5.0, "mmol/L", subject={"reference": "Patient/p1"})
    stranger = fs.observation("o2", "2345-7", "Glucose", 9.9, "mmol/L", subject={"reference": "Patient/pat1"})
    doc = one(fs.ndjson([fs.patient(), obs, stranger]), "Observation.ndjson")
    assert [r.value for rep in doc.reports for r in rep.results] == ["5.0"]
    assert [(s.where, s.reason) for s in doc.skipped] == [
        ("line 3 (Observation)", "this Observation is about another patient (Patient/pat1); it was left out")]


def test_the_same_patient_written_twice_is_one_patient() -> None:
    twin = fs.patient(rid="p2")
    twin["name"] = [{"text": "SAMPLE, ALEX"}]
    doc = one(fs.to_bytes(fs.bundle([*fs.r4_resources(), twin])))
    assert doc.patient is not None and doc.patient.name == "Alex Sample"


def test_a_file_with_nothing_to_read_gives_no_document_and_says_why() -> None:
    result = read_fhir(fs.to_bytes(fs.bundle([fs.patient(), {"resourceType": "Coverage", "id": "c"}])), "p.json")
    assert result.documents == ()
    assert [s.reason for s in result.skipped] == [
        "it holds no results, reports, medications, allergies or problems that could be read",
        "a Coverage resource is not read"]


def test_looks_like_fhir() -> None:
    assert looks_like_fhir(fs.r4_bundle())
    assert looks_like_fhir(b'\xef\xbb\xbf  {"resourceType":"Patient"}')
    assert looks_like_fhir(fs.ndjson([fs.patient()]))
    assert not looks_like_fhir(b"<ClinicalDocument/>")
    assert not looks_like_fhir(b'{"name": "x"}')
    assert not looks_like_fhir(b"")


def test_the_same_birth_date_and_a_name_in_common_is_one_patient() -> None:
    twin = fs.patient("Alexandra Sample", rid="p2")
    doc = one(fs.to_bytes(fs.bundle([*fs.r4_resources(), twin])))
    assert doc.patient is not None and doc.patient.name == "Alex Sample"
    stranger = fs.patient("Jordan Other", rid="p3")  # the same birth date, no name in common
    with pytest.raises(safety.Refused, match="two different patients"):
        read_fhir(fs.to_bytes(fs.bundle([*fs.r4_resources(), stranger])), "two.json")


def test_a_composition_section_with_an_odd_narrative_leaves_the_rest_read() -> None:
    bundle = json.loads(fs.ips_bundle())
    bundle["entry"][0]["resource"]["section"] = [{"title": "Medication Summary", "text": {"div": 12}}] * 2
    doc = one(json.dumps(bundle).encode())
    assert [m.name for m in doc.medications] == ["Ibuprofen 200 MG Oral Tablet"]


def test_a_resource_whose_type_comes_after_a_long_narrative_is_still_fhir() -> None:
    obs = fs.observation("o", "2345-7", "Glucose", 5.0, "mmol/L")
    text = json.dumps({"text": {"status": "generated", "div": "<div>" + "x" * 100_000 + "</div>"}} | obs)
    assert text.index('"resourceType"') > 100_000
    assert looks_like_fhir(text.encode())
