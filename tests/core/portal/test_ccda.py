"""The C-CDA reader on synthetic documents (tests/helpers/ccda_samples.py): header, sections, results,
medications, allergies, problems, unstructured bodies, vendor quirks and hostile input."""

from __future__ import annotations

import base64
import datetime as dt
import zlib
from dataclasses import astuple

import pytest
from helpers import ccda_samples as samples
from helpers.ccda_samples import (
    AllergyItem,
    Med,
    Panel,
    ProblemItem,
    Result,
    header,
    section,
    structured,
    wrap,
)

from secondopinion_desktop.core.portal import ccda, safety
from secondopinion_desktop.core.portal.ccda import looks_like_ccda, loose_time, read_ccda
from secondopinion_desktop.core.portal.model import Document, LabResult, Section


def read(data: bytes, name: str = "IHE_XDM/SUBSET01/DOC0001.XML") -> Document:
    result = read_ccda(data, name)
    assert len(result.documents) == 1
    return result.documents[0]


def all_sections(sections: tuple[Section, ...]) -> list[Section]:
    out: list[Section] = []
    for s in sections:
        out.append(s)
        out.extend(all_sections(s.subsections))
    return out


def all_text(doc: Document) -> list[str]:
    """Every string the reader gave for the document (sections, reports, entries, patient)."""
    texts: list[str] = [doc.title, doc.facility, doc.clinician]
    if doc.patient:
        texts += [doc.patient.name, doc.patient.sex, *doc.patient.identifiers]
    for s in all_sections(doc.sections):
        texts.append(s.title)
        for b in s.blocks:
            texts += [b.text, *b.items, *(c for r in b.rows for c in r)]
    for r in doc.reports:
        texts.append(r.title)
        for x in r.results:
            texts += [str(v) for v in astuple(x)]
    for item in (*doc.medications, *doc.allergies, *doc.problems):
        texts += [str(v) for v in astuple(item)]
    return texts


def results(doc: Document) -> list[LabResult]:
    return [x for r in doc.reports for x in r.results]


# --- header --------------------------------------------------------------------------------------------------


def test_a_ccd_names_its_patient_facility_clinician_type_and_time() -> None:
    doc = read(samples.ccd(patient_name="Alex Sample", birth="19700101", when="20240312", mrn="12345"))
    assert doc.format == "C-CDA"
    assert doc.kind == "clinical"
    assert doc.title == "Continuity of Care Document"
    assert doc.type_code == "34133-9"
    assert doc.when == "2024-03-12T10:30"
    assert doc.facility == "Example Hospital"  # the custodian, before the author's organization
    assert doc.clinician == "Dana Jones, MD"  # the author's person, prefix left out, suffix kept
    assert doc.patient is not None
    assert doc.patient.name == "Alex Sample"  # "Ms." left out
    assert doc.patient.birth_date == dt.date(1970, 1, 1)
    assert doc.patient.identifiers == ("12345 (Example Hospital)",)  # the social security number is not kept
    assert doc.patient.sex == "female"
    assert doc.original == samples.ccd(patient_name="Alex Sample", birth="19700101", when="20240312", mrn="12345")
    assert doc.original_name == "DOC0001.XML"
    assert doc.original_media_type == "application/xml"
    assert doc.source == "IHE_XDM/SUBSET01/DOC0001.XML"
    assert doc.skipped == ()


def test_without_a_title_the_document_type_names_the_document() -> None:
    doc = read(samples.ccd(title="", type_code="11488-4", type_name="Consult note"))
    assert doc.title == "Consultation note"
    doc = read(samples.ccd(title="", type_code="34117-2", document_template="2.16.840.1.113883.10.20.22.1.3"))
    assert doc.title == "History and physical"
    doc = read(samples.ccd(title=""))  # a CCD by its templateId
    assert doc.title == "Continuity of Care Document"


def test_the_clinician_falls_back_to_the_service_event_performer_and_the_facility_to_the_author() -> None:
    head = header().replace("<assignedPerson><name><given>Dana</given><family>Jones</family><suffix>MD</suffix>"
                            "</name></assignedPerson>", "<assignedPerson><name nullFlavor=\"UNK\"/></assignedPerson>")
    assert "Dana" not in head
    head = head.replace("<representedCustodianOrganization><id root=\"2.16.840.1.113883.19.5\"/>\n    "
                        "<name>Example Hospital</name>", "<representedCustodianOrganization><name nullFlavor=\"NI\"/>")
    doc = read(wrap(head, structured(samples.problems_section())))
    assert doc.clinician == "Robin Lee, DO"
    assert doc.facility == "Example Hospital Oncology Clinic"


def test_with_a_device_as_author_the_encounter_names_clinician_and_facility() -> None:
    head = header()
    head = head[:head.index("<author>")] + head[head.index("</author>") + len("</author>"):]  # the person author
    head = head[:head.index("<custodian>")] + head[head.index("</custodian>") + len("</custodian>"):]
    head = head[:head.index("<documentationOf>")] + head[head.index("</documentationOf>") + len("</documentationOf>"):]
    head += ("<componentOf><encompassingEncounter><effectiveTime><low value=\"20240312\"/></effectiveTime>"
             "<encounterParticipant typeCode=\"ATND\"><assignedEntity><assignedPerson><name><given>Sam</given>"
             "<family>Park</family><suffix>MD</suffix></name></assignedPerson></assignedEntity></encounterParticipant>"
             "<location><healthCareFacility><serviceProviderOrganization><name>Example Cancer Center</name>"
             "</serviceProviderOrganization></healthCareFacility></location></encompassingEncounter></componentOf>")
    doc = read(wrap(head, structured(samples.problems_section())))
    assert (doc.clinician, doc.facility) == ("Sam Park, MD", "Example Cancer Center")


def test_a_document_without_a_patient_has_none() -> None:
    head = header()
    start, end = head.index("<recordTarget>"), head.index("</recordTarget>") + len("</recordTarget>")
    doc = read(wrap(head[:start] + head[end:], structured(samples.problems_section())))
    assert doc.patient is None


def test_pathology_and_imaging_report_documents_are_records_of_their_kind() -> None:
    doc = read(samples.pathology_report())
    assert doc.kind == "pathology"
    assert doc.title == "Surgical Pathology Report"
    final = next(s for s in doc.sections if s.code == "22637-3")
    assert final.blocks[0].items[1] == "ER positive (95%), PR positive (60%), HER2 negative (1+)"
    assert read(samples.pdf_document(type_code="18748-4")).kind == "imaging"
    assert read(samples.discharge_summary()).kind == "clinical"


# --- results ---------------------------------------------------------------------------------------------------


def test_each_organizer_is_a_lab_report_with_its_results() -> None:
    doc = read(samples.ccd())
    assert [(r.kind, r.title, r.when) for r in doc.reports] == [
        ("lab", "Complete blood count", "2024-03-12"), ("lab", "CA 15-3", "2024-03-12")]
    assert doc.reports[0].position == "section Results, organizer 1"
    hgb, wbc, plt = doc.reports[0].results
    assert (hgb.test, hgb.loinc, hgb.value, hgb.number, hgb.unit) == ("Hemoglobin", "718-7", "13.2", 13.2, "g/dL")
    assert hgb.reference_range == "12.0-15.5 g/dL"
    assert hgb.flag == "Normal"
    assert hgb.when == "2024-03-12"
    assert hgb.panel == "Complete blood count"
    assert hgb.status == "final"
    assert hgb.position == "section Results, organizer 1, observation 1"
    assert wbc.flag == "High"
    assert plt.flag == ""
    marker = doc.reports[1].results[0]
    assert marker.reference_range == "<=30 U/mL"  # low given as nullFlavor: only the high bound
    assert marker.position == "section Results, organizer 2, observation 1"


def test_an_organizer_over_two_days_is_one_report_per_day_and_observations_take_its_time() -> None:
    panel = Panel("Tumor markers", "", "20240301", (
        Result("CEA", "2039-6", "3.1", "ng/mL", when="20240301"),
        Result("CA 27.29", "17842-6", "41", "U/mL", when="20240305093000"),
        Result("CA 125", "10334-1", "12", "U/mL"),  # no time of its own: the organizer's
    ))
    doc = read(samples.ccd(results=[panel]))
    assert [(r.title, r.when, [x.test for x in r.results]) for r in doc.reports] == [
        ("Tumor markers", "2024-03-01", ["CEA", "CA 125"]),
        ("Tumor markers", "2024-03-05T09:30", ["CA 27.29"]),
    ]


def test_observations_outside_organizers_are_grouped_per_day_as_test_results() -> None:
    loose = [Result("Hemoglobin A1c", "4548-4", "6.1", "%", when="20240110"),
             Result("TSH", "3016-3", "2.2", "m[IU]/L", when="20240110"),
             Result("PSA", "2857-1", "0.4", "ng/mL", when="20240220")]
    doc = read(samples.ccd(results=[], loose_results=loose))
    assert [(r.title, r.when, len(r.results)) for r in doc.reports] == [
        ("Test results", "2024-01-10", 2), ("Test results", "2024-02-20", 1)]
    assert doc.reports[0].results[1].position == "section Results, entry 2"


@pytest.mark.parametrize(("result", "value", "number", "unit"), [
    (Result("HER2", "48676-1", "Negative", kind="ST"), "Negative", None, ""),
    (Result("ER", "16112-5", "Positive", kind="CD"), "Positive", None, ""),
    (Result("Ki-67", "29593-1", "15-20", "%", kind="IVL_PQ"), "15-20", None, "%"),
    (Result("Nodes", "21893-3", "2", kind="INT"), "2", 2.0, ""),
    (Result("Ratio", "48676-1", "1.8", kind="REAL"), "1.8", 1.8, ""),
    (Result("Score", "72133-2", "Moderate", kind="CO"), "Moderate", None, ""),
    (Result("Troponin", "6598-7", "<0.01", kind="ST"), "<0.01", None, ""),
])
def test_values_of_every_type_are_read(result: Result, value: str, number: float | None, unit: str) -> None:
    doc = read(samples.ccd(results=[Panel("Panel", "", "20240101", (result,))]))
    got = results(doc)[0]
    assert (got.value, got.number, got.unit) == (value, number, unit)


@pytest.mark.parametrize(("code", "word"), [("H", "High"), ("L", "Low"), ("HH", "Critical high"),
                                            ("LL", "Critical low"), ("A", "Abnormal"), ("AA", "Critical"),
                                            ("N", "Normal")])
def test_interpretation_codes_are_words(code: str, word: str) -> None:
    doc = read(samples.ccd(results=[Panel("P", "", "20240101", (Result("X", "1-8", "1", "mg", flag=code),))]))
    assert results(doc)[0].flag == word


def test_a_reference_range_given_as_text_is_kept_as_written() -> None:
    doc = read(samples.ccd(results=[Panel("P", "", "20240101", (
        Result("HIV 1+2 Ab", "75622-1", "Nonreactive", kind="ST", range_text="Nonreactive"),))]))
    assert results(doc)[0].reference_range == "Nonreactive"


def test_vital_signs_organizers_are_lab_reports_too() -> None:
    vitals = samples.results_section([Panel("Vital signs", "46680005", "20240312", (
        Result("Body weight", "29463-7", "64.5", "kg", when="20240312"),))])
    vitals = vitals.replace("2.16.840.1.113883.10.20.22.2.3.1", "2.16.840.1.113883.10.20.22.2.4.1").replace(
        '"30954-2"', '"8716-3"').replace("<title>Results</title>", "<title>Vital Signs</title>")
    doc = read(samples.ccd(results=None, extra_sections=[vitals]))
    assert [(r.title, r.results[0].test, r.results[0].value) for r in doc.reports] == [
        ("Vital signs", "Body weight", "64.5")]
    assert doc.reports[0].results[0].position == "section Vital Signs, organizer 1, observation 1"


# --- vendor quirks ---------------------------------------------------------------------------------------------


def test_epic_like_names_and_values_are_taken_from_the_narrative_they_reference() -> None:
    doc = read(samples.epic_like())
    report = doc.reports[0]
    assert report.title == "Basic metabolic panel"  # the record's own words before the code's display name
    assert report.when == "2024-03-12T08:05"
    sodium, glucose = report.results
    assert (sodium.test, sodium.loinc, sodium.value, sodium.unit) == ("Sodium", "2951-2", "139", "mmol/L")
    assert sodium.reference_range == "135 - 145 mmol/L"
    assert (glucose.test, glucose.value, glucose.flag) == ("Glucose", "182 (H)", "High")
    assert glucose.reference_range == "70 - 99 mg/dL"  # the range's text, through its reference
    results_section = doc.sections[0]
    # a list of tables (one per panel) stays tables, each with its caption
    assert results_section.blocks[0].text == "Basic metabolic panel - Final result (03/12/2024 8:05 AM CDT)"
    assert results_section.blocks[1].kind == "table"
    assert results_section.blocks[1].rows[0] == ("Component", "Value", "Ref Range", "Performed At")
    note = next(s for s in doc.sections if s.title == "Progress Notes")
    assert note.blocks[0].text == "Assessment: Tolerating therapy.\nPlan: continue."


def test_cerner_like_results_only_in_the_narrative_table_are_read_as_results() -> None:
    doc = read(samples.cerner_like())
    assert [(r.title, r.when) for r in doc.reports] == [
        ("Complete Blood Count", "2024-03-12T09:15"), ("Tumor Markers", "2024-03-14")]
    hgb, wbc = doc.reports[0].results
    assert (hgb.test, hgb.value, hgb.number, hgb.unit, hgb.reference_range, hgb.flag) == (
        "Hemoglobin", "10.1", 10.1, "g/dL", "12.0-15.5", "Low")
    assert hgb.position == "section Results, table row 1"
    assert wbc.position == "section Results, table row 2"
    cea = doc.reports[1].results[0]
    assert (cea.test, cea.value, cea.unit, cea.reference_range, cea.position) == (
        "CEA", "3.1", "ng/mL", "<5.0", "section Results, table row 3")
    assert doc.facility == "Example Regional Medical Center"
    assert doc.skipped == ()


def test_a_results_table_with_value_and_unit_in_one_column_and_panel_headings_with_times() -> None:
    narrative = (
        "<table border=\"1\"><thead><tr><th>Description</th><th>Value / Unit</th><th>Interpretation</th>"
        "<th>Reference Range</th></tr></thead><tbody>"
        "<tr><th colspan=\"4\">Glucose [Mass/Volume] In Capillary Blood at 03-02-2014 9:08p</th></tr>"
        "<tr><td>Glucose [Mass/Volume] In Capillary Blood</td><td>&gt; 500 mg/dL</td><td>High</td>"
        "<td>80-140 mg/dL</td></tr>"
        "<tr><th colspan=\"4\"><content ID=\"test1\">CBC</content> at 02-13-2014 10:37a</th></tr>"
        "<tr><td>Platelet count</td><td>152 THOUS/MCL</td><td>Normal</td><td>150-400</td></tr>"
        "</tbody></table>")
    doc = read(samples.ccd(results=None, extra_sections=[
        section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1", narrative)]))
    assert [(r.title, r.when) for r in doc.reports] == [
        ("Glucose [Mass/Volume] In Capillary Blood", "2014-03-02T21:08"), ("CBC", "2014-02-13T10:37")]
    glucose, platelets = results(doc)
    assert (glucose.value, glucose.unit, glucose.flag, glucose.reference_range) == (
        ">500", "mg/dL", "High", "80-140 mg/dL")
    assert (platelets.value, platelets.number, platelets.unit, platelets.flag) == ("152", 152.0, "THOUS/MCL",
                                                                                 "Normal")
    assert doc.skipped == ()


def test_a_results_section_with_only_empty_entries_reads_its_table() -> None:
    data = samples.cerner_like().replace(b"</tbody></table></text>", b'</tbody></table></text><entry nullFlavor="NI"/>')
    assert b'<entry nullFlavor="NI"/>' in data
    doc = read(data)
    assert [r.title for r in doc.reports] == ["Complete Blood Count", "Tumor Markers"]


def test_a_results_table_without_test_and_value_columns_is_kept_as_text_and_said_so() -> None:
    narrative = "<table><thead><tr><th>Note</th><th>Author</th></tr></thead><tbody><tr><td>See scanned report</td>" \
                "<td>Lab</td></tr></tbody></table>"
    doc = read(samples.ccd(results=None, extra_sections=[
        section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1", narrative)]))
    assert doc.reports == ()
    assert doc.sections[-1].blocks[0].rows[1] == ("See scanned report", "Lab")
    assert [(k.where, k.reason) for k in doc.skipped] == [
        ("section Results, table 1", "its columns do not name a test and a value; it is kept as text")]


def test_allscripts_like_old_templates_null_flavors_and_missing_codes() -> None:
    doc = read(samples.allscripts_like())
    assert doc.title == "Clinical document"  # code and title null: still a document
    assert doc.facility == "Example Hospital Oncology Clinic"  # custodian null: the author's organization
    assert doc.patient is not None and doc.patient.sex == ""
    [chol] = doc.reports[0].results
    assert (chol.test, chol.loinc, chol.value, chol.flag) == ("Cholesterol", "", "212", "High")
    # a null value is no value: the HDL result is left out, and said so (a blank kept would read as a result)
    assert [k.reason for k in doc.skipped if "observation 2" in k.where] == ["it gives no value (no information)"]
    assert [m.name for m in doc.medications] == ["Metformin 500 mg tablet", "Lisinopril"]
    assert doc.medications[0].frequency == "every 12 hours"
    assert doc.medications[0].code == ""
    assert [(p.name, p.code, p.onset) for p in doc.problems] == [
        ("Type 2 diabetes mellitus", "", ""), ("Hyperlipidemia", "55822004", "")]
    assert "Custom Vendor Section" in [s.title for s in doc.sections]  # an unknown templateId: kept as text
    assert "Procedures" not in [s.title for s in doc.sections]  # an empty section: nothing to show
    shown = all_text(doc)
    for flavor in ("UNK", "NI", "NA", "ASKU", "NINF", "PINF", "OTH"):
        assert flavor not in shown


def test_null_flavored_values_never_show_anywhere() -> None:
    panel = Panel("P", "", "20240101", (Result("Sodium", "2951-2", "", "mmol/L"),))
    data = samples.ccd(results=[panel], allergies=[AllergyItem("Latex")], problems=[ProblemItem("Asthma")])
    data = data.replace(b"<value xsi:type=\"PQ\" nullFlavor=\"NI\"/>", b"<value xsi:type=\"ST\">UNK</value>")
    doc = read(data)
    assert results(doc) == [] and [k.reason for k in doc.skipped] == ["it gives no value"]
    assert doc.allergies[0].onset == ""
    assert doc.problems[0].onset == ""
    assert not {"UNK", "NI"} & set(all_text(doc))


def test_a_namespace_prefixed_document_reads_like_any_other() -> None:
    plain_doc = read(samples.ccd(medications=None, allergies=None, procedures=None))
    doc = read(samples.prefixed("v3"))
    assert b"<v3:ClinicalDocument" in samples.prefixed("v3")
    assert doc.patient == plain_doc.patient
    assert [astuple(r) for r in doc.reports] == [astuple(r) for r in plain_doc.reports]
    assert doc.problems == plain_doc.problems


def test_a_document_without_the_hl7_namespace_is_read_too() -> None:
    data = samples.ccd().replace(b'xmlns="urn:hl7-org:v3"', b"")
    doc = read(data)
    assert doc.patient is not None and doc.patient.name == "Alex Sample"
    assert len(results(doc)) == 4


def test_an_iso_8859_1_document_keeps_its_accents() -> None:
    data = samples.latin1("Zoë Müller")
    assert b"<given>Zo\xeb</given><family>M\xfcller</family>" in data
    doc = read(data)
    assert doc.patient is not None and doc.patient.name == "Zoë Müller"
    assert doc.facility == "Clínica São José"
    assert doc.sections[0].blocks[0].text == "Résumé: état général satisfaisant, 37,5 °C."


def test_a_utf_16_document_reads_like_any_other() -> None:
    data = samples.ccd().decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    doc = read(data)
    assert doc.patient is not None and doc.patient.name == "Alex Sample"
    assert len(results(doc)) == 4 and len(doc.medications) == 2


def test_one_broken_entry_is_one_skipped_and_the_others_are_read() -> None:
    doc = read(samples.broken_entry(), "DOC0002.XML")
    assert [m.name for m in doc.medications] == ["Tamoxifen 20 MG Oral Tablet", "Ibuprofen"]
    assert doc.medications[1].frequency == ""  # a period that is not a number gives no words
    assert [(k.source, k.where, k.reason) for k in doc.skipped] == [
        ("DOC0002.XML", "section Medications, entry 2", "it names no medicine")]
    assert len(doc.problems) == 2


def test_an_entry_that_fails_to_read_is_skipped_never_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ccda._Reader.dose

    def failing(self: ccda._Reader, sa: object) -> str:
        if "Ondansetron" in "".join(sa.itertext()) or b"Ondansetron" in __import__("lxml.etree").etree.tostring(sa):
            raise ValueError("odd entry")
        return real(self, sa)

    monkeypatch.setattr(ccda._Reader, "dose", failing)
    doc = read(samples.ccd())
    assert [m.name for m in doc.medications] == ["Anastrozole 1 MG Oral Tablet"]
    assert [(k.where, k.reason) for k in doc.skipped] == [
        ("section Medications, entry 2", "it could not be read (ValueError)")]
    assert len(doc.allergies) == 1 and len(doc.problems) == 2  # the rest of the file is read


def test_an_observation_that_fails_to_read_is_skipped_and_its_panel_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ccda._Reader.reference_range

    def failing(self: ccda._Reader, obs: object) -> str:
        if b"6690-2" in __import__("lxml.etree").etree.tostring(obs):
            raise KeyError("odd")
        return real(self, obs)

    monkeypatch.setattr(ccda._Reader, "reference_range", failing)
    doc = read(samples.ccd())
    assert [x.test for x in doc.reports[0].results] == ["Hemoglobin", "Platelets"]
    assert [k.where for k in doc.skipped] == ["section Results, organizer 1, observation 2"]


def test_empty_placeholder_entries_are_neither_read_nor_reported() -> None:
    placeholder = ('<entry><observation classCode="OBS" moodCode="EVN" nullFlavor="NI"/></entry>'
                   '<entry><act classCode="ACT" moodCode="EVN"><entryRelationship typeCode="SUBJ"><observation '
                   'classCode="OBS" moodCode="EVN" nullFlavor="NI"/></entryRelationship></act></entry>'
                   '<entry><substanceAdministration classCode="SBADM" moodCode="EVN" nullFlavor="NI"/></entry>')
    sections = [section(title, code, template, "<paragraph>No information</paragraph>", placeholder)
                for title, code, template in (("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1"),
                                              ("Problems", "11450-4", "2.16.840.1.113883.10.20.22.2.5.1"),
                                              ("Allergies", "48765-2", "2.16.840.1.113883.10.20.22.2.6.1"),
                                              ("Medications", "10160-0", "2.16.840.1.113883.10.20.22.2.1.1"))]
    doc = read(samples.ccd(results=None, medications=None, allergies=None, problems=None, extra_sections=sections))
    assert (doc.reports, doc.problems, doc.allergies, doc.medications) == ((), (), (), ())
    assert doc.skipped == ()
    assert [s.blocks[0].text for s in doc.sections if s.title != "Procedures"] == ["No information"] * 4


def test_an_observation_naming_no_test_is_skipped() -> None:
    data = samples.ccd(results=[Panel("P", "", "20240101", (Result("Sodium", "2951-2", "139", "mmol/L"),))])
    data = data.replace(b'<code code="2951-2" codeSystem="2.16.840.1.113883.6.1" displayName="Sodium"/>',
                        b'<code nullFlavor="UNK"/>')
    doc = read(data)
    assert results(doc) == []
    assert [(k.where, k.reason) for k in doc.skipped] == [
        ("section Results, organizer 1, observation 1", "it names no test")]


# --- medications, allergies, problems --------------------------------------------------------------------------


def test_medications_with_dose_route_frequency_period_and_instructions() -> None:
    doc = read(samples.ccd())
    anastrozole, ondansetron = doc.medications
    assert anastrozole.name == "Anastrozole 1 MG Oral Tablet"
    assert anastrozole.code == "199224"
    assert anastrozole.dose == "1 tablet"  # unit-less dose: the administration unit
    assert anastrozole.route == "Oral"
    assert anastrozole.frequency == "every 24 hours"
    assert anastrozole.instructions == "Take one tablet daily"
    assert anastrozole.status == "active"
    assert anastrozole.start == "2024-01-15" and anastrozole.end == ""
    assert anastrozole.position == "section Medications, entry 1"
    assert ondansetron.dose == "4 mg"
    assert ondansetron.frequency == "every 8 hours, as needed"


def test_a_medication_named_only_in_the_narrative_line_its_text_points_at() -> None:
    meds = samples.section(
        "Medications", "10160-0", "2.16.840.1.113883.10.20.22.2.1.1",
        '<list><item ID="med1">Letrozole 2.5 mg tablet, 1 daily</item></list>',
        '<entry><substanceAdministration classCode="SBADM" moodCode="EVN"><text><reference value="#med1"/></text>'
        '<statusCode code="active"/><consumable><manufacturedProduct><manufacturedMaterial><code nullFlavor="UNK"/>'
        "</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>")
    [med] = read(samples.ccd(medications=None, extra_sections=[meds])).medications
    assert (med.name, med.instructions, med.status) == ("Letrozole 2.5 mg tablet, 1 daily", "", "active")


def test_a_dose_in_units_that_are_not_ucum_takes_the_unit_from_its_translation() -> None:
    data = samples.ccd(medications=[Med("Insulin glargine 100 UNT/ML Injectable Solution", "311041", "30.0", "1",
                                        "Subcutaneous")])
    data = data.replace(b'<doseQuantity value="30.0" unit="1"/>',
                        b'<doseQuantity value="30.0" unit="1"><translation value="30.0"><originalText>units'
                        b"</originalText></translation></doseQuantity>")
    assert b"<originalText>units" in data
    assert read(data).medications[0].dose == "30.0 units"


@pytest.mark.parametrize(("period", "unit", "institution", "words"), [
    ("12", "h", "false", "every 12 hours"), ("1", "d", "false", "once a day"), ("2", "d", "false", "every 2 days"),
    ("1", "wk", "false", "once a week"), ("12", "h", "true", "twice a day"), ("0.5", "d", "false", "every 12 hours"),
    ("8", "h", "true", "three times a day"), ("3", "wk", "false", "every 3 weeks"),
])
def test_frequency_in_words(period: str, unit: str, institution: str, words: str) -> None:
    med = Med("Capecitabine 500 MG Oral Tablet", "200328", "1500", "mg", "Oral", period, unit)
    data = samples.ccd(medications=[med])
    data = data.replace(b'institutionSpecified="false"', f'institutionSpecified="{institution}"'.encode())
    assert read(data).medications[0].frequency == words


def test_a_discharge_medication_act_and_discharge_diagnosis_are_read() -> None:
    doc = read(samples.discharge_summary())
    assert doc.title == "Discharge Summary" and doc.type_code == "18842-5"
    [med] = doc.medications
    assert (med.name, med.dose, med.frequency, med.start, med.end) == (
        "Levofloxacin 500 MG Oral Tablet", "500 mg", "once a day", "2024-03-20", "2024-03-27")
    assert med.position == "section Discharge Medications, entry 1"
    [problem] = doc.problems
    assert (problem.name, problem.status, problem.onset, problem.resolved) == (
        "Neutropenic fever", "resolved", "2024-03-17", "2024-03-20")
    assert [s.title for s in doc.sections] == ["Hospital Course", "Discharge Diagnosis", "Discharge Medications",
                                               "Discharge Instructions"]


def test_allergies_with_substance_reaction_severity_and_status() -> None:
    doc = read(samples.ccd(allergies=[AllergyItem("Penicillin G", "7980", "Hives", "Moderate", onset="19950601"),
                                AllergyItem("Peanut", "", "Anaphylaxis", "Severe", status="resolved")]))
    penicillin, peanut = doc.allergies
    assert (penicillin.substance, penicillin.code, penicillin.reaction, penicillin.severity, penicillin.status,
            penicillin.onset) == ("Penicillin G", "7980", "Hives", "Moderate", "active", "1995-06-01")
    assert (peanut.substance, peanut.code, peanut.reaction, peanut.status) == ("Peanut", "", "Anaphylaxis",
                                                                               "resolved")
    assert peanut.position == "section Allergies, entry 2"


def test_no_known_allergies_is_no_allergy_and_nothing_skipped() -> None:
    data = samples.ccd(allergies=[AllergyItem("Penicillin G", "7980")])
    allergy = b'<templateId root="2.16.840.1.113883.10.20.22.4.7"'
    data = data.replace(b'<observation classCode="OBS" moodCode="EVN">' + allergy,
                        b'<observation classCode="OBS" moodCode="EVN" negationInd="true">' + allergy)
    doc = read(data)
    assert doc.allergies == ()
    assert doc.skipped == ()


def test_problems_with_code_system_status_onset_and_cancer_stage() -> None:
    doc = read(samples.ccd(problems=[
        ProblemItem("Malignant neoplasm of upper-outer quadrant of left female breast", "C50.412", samples.ICD10CM,
                    onset="20231120", stage="Stage IIA"),
        ProblemItem("Invasive ductal carcinoma", "408643008", onset="202311", stage="pT2 pN0 M0",
                    stage_code="21902-2"),
        ProblemItem("Appendicitis", "74400008", onset="19900101", resolved="19900110", status="resolved"),
    ]))
    cancer, idc, old = doc.problems
    assert (cancer.code, cancer.code_system, cancer.status, cancer.onset, cancer.stage) == (
        "C50.412", "ICD-10-CM", "active", "2023-11-20", "Stage IIA")
    assert (idc.code_system, idc.onset, idc.stage) == ("SNOMED CT", "2023-11", "pT2 pN0 M0")
    assert (old.status, old.onset, old.resolved) == ("resolved", "1990-01-01", "1990-01-10")
    assert old.position == "section Problems, entry 3"


def test_a_priority_said_of_a_concern_is_not_a_problem_or_allergy_of_its_own() -> None:
    priority = ('<entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">'
                '<templateId root="2.16.840.1.113883.10.20.22.4.143"/><code code="225773000" '
                'codeSystem="2.16.840.1.113883.6.96" displayName="Preference"/><value xsi:type="CD" code="394849002" '
                'codeSystem="2.16.840.1.113883.6.96" displayName="High priority"/></observation></entryRelationship>')
    data = samples.ccd(problems=[ProblemItem("Essential hypertension", "59621000", onset="20150301")])
    data = data.replace(b"</observation></entryRelationship></act>",
                        b"</observation></entryRelationship>" + priority.encode() + b"</act>")
    assert b"High priority" in data
    doc = read(data)
    assert [p.name for p in doc.problems] == ["Essential hypertension"]
    assert [a.substance for a in doc.allergies] == ["Penicillin G"]  # its concern carries the priority too


def test_a_stage_named_only_in_its_code_display_name_is_found() -> None:
    data = samples.ccd(problems=[ProblemItem("Lung cancer", "254637007", stage="Stage IIIB", stage_code="99999-9")])
    data = data.replace(b'displayName="Stage group.clinical Cancer"', b'displayName="TNM stage"')
    assert read(data).problems[0].stage == "Stage IIIB"


# --- sections and narrative ------------------------------------------------------------------------------------


def test_procedures_encounters_plan_and_notes_are_kept_as_readable_sections() -> None:
    encounters = section("Encounters", "46240-8", "2.16.840.1.113883.10.20.22.2.22.1",
                         "<table><thead><tr><th>Visit</th><th>Date</th></tr></thead><tbody><tr><td>Oncology follow-up"
                         "</td><td>03/12/2024</td></tr></tbody></table>")
    plan = section("Plan of Treatment", "18776-5", "2.16.840.1.113883.10.20.22.2.10",
                   "<list><item>CT chest in 3 months</item><item>Return in 6 weeks</item></list>")
    doc = read(samples.ccd(extra_sections=[encounters, plan]))
    by_title = {s.title: s for s in doc.sections}
    assert by_title["Procedures"].blocks[0].rows == (("Procedure", "Date"), ("Lumpectomy of left breast", "20231215"))
    assert by_title["Encounters"].code == "46240-8"
    assert by_title["Encounters"].blocks[0].rows[1] == ("Oncology follow-up", "03/12/2024")
    assert by_title["Plan of Treatment"].blocks[0].items == ("CT chest in 3 months", "Return in 6 weeks")


def test_a_section_without_a_title_takes_its_type_name_and_nested_sections_are_subsections() -> None:
    inner = section("", "10164-2", None, "<paragraph>Two weeks of cough.</paragraph>")
    outer = section("", "", "2.16.840.1.113883.10.20.22.2.65", "<paragraph>Visit notes</paragraph>",
                    subsections=[inner])
    doc = read(samples.ccd(extra_sections=[outer]))
    notes = doc.sections[-1]
    assert notes.title == "Notes"
    assert [(s.title, s.blocks[0].text) for s in notes.subsections] == [
        ("History of present illness", "Two weeks of cough.")]


def test_narrative_tables_lists_and_inline_markup_become_plain_blocks() -> None:
    narrative = (
        '<paragraph styleCode="Bold">Summary<footnoteRef IDREF="f1"/></paragraph>'
        "Loose text <content styleCode=\"Italics\">with content</content><br/>and a second line"
        "<list listType=\"ordered\"><caption>Steps</caption><item>First <content>step</content></item>"
        "<item><paragraph>Second</paragraph><paragraph>step</paragraph></item></list>"
        "<table><caption>Marker trend</caption><colgroup><col/></colgroup>"
        "<tbody><tr><th>Date</th><th>CA 15-3</th></tr>"
        "<tr><td>01/2024<br/>(baseline)</td><td><content>31</content><footnote ID=\"f1\">lab changed</footnote>"
        "</td></tr>"
        "<tr><td>03/2024</td></tr></tbody></table>"
        "<renderMultiMedia referencedObject=\"img1\"><caption>Figure 1</caption></renderMultiMedia>"
        "<linkHtml href=\"https://example.org/x\">See the leaflet</linkHtml>"
    )
    doc = read(samples.ccd(extra_sections=[section("Notes", "", "2.16.840.1.113883.10.20.22.2.65", narrative)]))
    blocks = doc.sections[-1].blocks
    assert [(b.kind, b.text or b.items or b.rows) for b in blocks] == [
        ("paragraph", "Summary"),
        ("paragraph", "Loose text with content\nand a second line"),
        ("paragraph", "Steps"),
        ("list", ("First step", "Second\nstep")),
        ("paragraph", "Marker trend"),
        ("table", (("Date", "CA 15-3"), ("01/2024\n(baseline)", "31 lab changed"), ("03/2024", ""))),
        ("paragraph", "Figure 1\nSee the leaflet"),
    ]
    assert blocks[5].header is True  # a first row of th cells is the header


def test_narrative_marked_as_deleted_is_left_out() -> None:
    narrative = ('<paragraph>Dose <content revised="delete">100 mg</content><content revised="insert">75 mg'
                 "</content> daily</paragraph>")
    doc = read(samples.ccd(extra_sections=[section("Notes", "", "2.16.840.1.113883.10.20.22.2.65", narrative)]))
    assert doc.sections[-1].blocks[0].text == "Dose 75 mg daily"


def test_markup_in_the_narrative_stays_literal_text() -> None:
    narrative = ("<paragraph>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</paragraph>"
                 "<paragraph><![CDATA[<img src=x onerror=alert(2)>]]></paragraph>"
                 "<table><tbody><tr><td>&lt;a href=\"javascript:x\"&gt;</td></tr></tbody></table>")
    notes_section = section("Notes &lt;i&gt;", "", "2.16.840.1.113883.10.20.22.2.65", narrative)
    doc = read(samples.ccd(extra_sections=[notes_section], patient_name="Alex <b>Sample</b>"))
    notes = doc.sections[-1]
    assert notes.title == "Notes &lt;i&gt;"  # the title as written (the builder escapes what it is given)
    assert notes.blocks[0].text == "<script>alert(1)</script> & <b>bold</b>"
    assert notes.blocks[1].text == "<img src=x onerror=alert(2)>"
    assert notes.blocks[2].rows == (('<a href="javascript:x">',),)
    assert doc.patient is not None and doc.patient.name == "Alex <b>Sample</b>"


# --- unstructured documents ------------------------------------------------------------------------------------


def test_a_non_xml_body_pdf_is_the_documents_file_with_its_patient() -> None:
    doc = read(samples.pdf_document(samples.MINIMAL_PDF, title="CT Chest Report"))
    assert doc.patient is not None and doc.patient.name == "Alex Sample"
    [file] = doc.files
    assert (file.name, file.media_type, file.data, file.position) == (
        "CT Chest Report.pdf", "application/pdf", samples.MINIMAL_PDF, "body")
    assert doc.sections == () and doc.skipped == ()


@pytest.mark.parametrize(("media", "name"), [("image/jpeg", "Photo.jpg"), ("text/rtf", "Photo.rtf"),
                                             ("image/png", "Photo.png"), ("application/x-odd", "Photo.bin")])
def test_other_media_types_are_carried_with_a_fitting_name(media: str, name: str) -> None:
    doc = read(samples.pdf_document(b"\x89PNG-ish bytes", media_type=media, title="Photo"))
    assert [(f.name, f.media_type, f.data) for f in doc.files] == [(name, media, b"\x89PNG-ish bytes")]


def test_a_body_without_a_media_type_is_named_by_its_first_bytes() -> None:
    data = samples.pdf_document(samples.MINIMAL_PDF, title="scan.pdf").replace(b' mediaType="application/pdf"', b"")
    assert b"mediaType" not in data
    [file] = read(data).files
    assert (file.name, file.media_type) == ("scan.pdf", "application/pdf")  # no "scan.pdf.pdf"


def test_a_compressed_body_is_unpacked_and_a_title_is_made_a_safe_file_name() -> None:
    packed = zlib.compressobj(wbits=-15)
    raw = packed.compress(samples.MINIMAL_PDF) + packed.flush()
    data = samples.pdf_document(raw, title="Scan: 03/12 <final>").replace(
        b'representation="B64"', b'representation="B64" compression="DF"')
    [file] = read(data).files
    assert file.data == samples.MINIMAL_PDF
    assert file.name == "Scan 03 12 final.pdf"


def test_a_plain_text_body_is_a_section() -> None:
    head = header(title="Clinic Letter", type_code="51852-2")
    doc = read(wrap(head, "<nonXMLBody><text mediaType=\"text/plain\">Dear colleague,\n\nThank you &lt;3."
                          "</text></nonXMLBody>"))
    assert [(s.title, [b.text for b in s.blocks]) for s in doc.sections] == [
        ("Clinic Letter", ["Dear colleague,", "Thank you <3."])]


def test_a_reference_only_body_is_a_link_never_fetched() -> None:
    doc = read(samples.reference_document("https://portal.example.org/documents/123.pdf"))
    assert [(link.description, link.url) for link in doc.links] == [
        ("Progress Note", "https://portal.example.org/documents/123.pdf")]
    assert doc.files == ()


def test_a_body_that_is_not_base64_is_skipped_with_the_document_kept() -> None:
    data = samples.pdf_document().replace(b'representation="B64">', b'representation="B64">***not base64***')
    doc = read(data, "DOC0003.XML")
    assert doc.files == ()
    assert doc.patient is not None
    assert [(k.where, k.reason) for k in doc.skipped] == [
        ("body", "DOC0003.XML carries a file that is not valid base64.")]


def test_a_body_over_the_size_limit_refuses_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_EMBEDDED_BYTES", 1000)
    with pytest.raises(safety.Refused, match=r"^DOC0004\.XML carries a file of over"):
        read_ccda(samples.pdf_document(b"x" * 5000), "IHE_XDM/SUBSET01/DOC0004.XML")


def test_a_compressed_body_unpacking_over_the_limit_refuses_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_EMBEDDED_BYTES", 10_000)
    bomb = zlib.compress(b"\0" * 1_000_000)
    data = samples.pdf_document(bomb).replace(b'representation="B64"', b'representation="B64" compression="ZL"')
    with pytest.raises(safety.Refused, match="carries a file of over"):
        read_ccda(data, "DOC0005.XML")


def test_an_image_in_the_structured_body_is_carried() -> None:
    encoded = base64.b64encode(b"GIF89a-bytes").decode()
    media = (f'<entry><observationMedia classCode="OBS" moodCode="EVN" ID="img1"><value xsi:type="ED" '
             f'mediaType="image/gif" representation="B64">{encoded}</value></observationMedia></entry>')
    doc = read(samples.ccd(extra_sections=[section("Notes", "", "2.16.840.1.113883.10.20.22.2.65",
                                             "<paragraph>Wound photo</paragraph>", media)]))
    assert [(f.name, f.data, f.position) for f in doc.files] == [
        ("Notes 1.gif", b"GIF89a-bytes", "section Notes, entry 1")]


def test_a_note_sent_as_base64_rtf_in_a_note_activity_is_carried() -> None:
    encoded = base64.b64encode(b"{\\rtf1 Oncology consult}").decode()
    note = ('<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.202" '
            'extension="2016-11-01"/><code code="34109-9" codeSystem="2.16.840.1.113883.6.1"/>'
            f'<text mediaType="text/rtf" representation="B64">{encoded}</text><statusCode code="completed"/>'
            "</act></entry>")
    doc = read(samples.ccd(extra_sections=[section("Consult Note", "11488-4", "2.16.840.1.113883.10.20.22.2.65",
                                                   "<paragraph>See attached note</paragraph>", note)]))
    assert [(f.name, f.media_type, f.data) for f in doc.files] == [
        ("Consult Note 1.rtf", "text/rtf", b"{\\rtf1 Oncology consult}")]


def test_a_free_text_sig_is_the_medications_instructions() -> None:
    sig = ('<entryRelationship typeCode="COMP"><substanceAdministration classCode="SBADM" moodCode="EVN">'
           '<templateId root="2.16.840.1.113883.10.20.22.4.147" extension="2015-08-01"/><code code="76662-6" '
           'codeSystem="2.16.840.1.113883.6.1"/><text>Take 2 tablets twice daily with food for 14 days</text>'
           "<consumable><manufacturedProduct><manufacturedLabeledDrug nullFlavor=\"NA\"/></manufacturedProduct>"
           "</consumable></substanceAdministration></entryRelationship>")
    data = samples.ccd(medications=[Med("Capecitabine 500 MG Oral Tablet", "200328", "1000", "mg", "Oral")])
    data = data.replace(b"</consumable></substanceAdministration>", b"</consumable>" + sig.encode()
                        + b"</substanceAdministration>")
    [med] = read(data).medications
    assert med.instructions == "Take 2 tablets twice daily with food for 14 days"


# --- whole-file problems and hostile input ---------------------------------------------------------------------


def test_billion_laughs_is_refused_naming_the_file() -> None:
    with pytest.raises(safety.Refused, match=r"^DOC0001\.XML declares XML entities") as refused:
        read_ccda(samples.billion_laughs(), "IHE_XDM/SUBSET01/DOC0001.XML")
    assert not isinstance(refused.value, safety.Unreadable)  # hostile: the whole download is refused


def test_an_external_entity_is_refused_and_never_fetched(tmp_path: object) -> None:
    with pytest.raises(safety.Refused, match=r"^evil\.xml declares XML entities"):
        read_ccda(samples.external_entity("file:///etc/passwd"), "evil.xml")
    with pytest.raises(safety.Refused):
        read_ccda(samples.external_entity("http://127.0.0.1:9/x"), "evil.xml")


def test_a_file_that_is_not_xml_or_not_a_clinical_document_is_refused() -> None:
    with pytest.raises(safety.Unreadable, match=r"^notes\.xml is not readable XML"):
        read_ccda(b"this is not xml", "folder/notes.xml")
    with pytest.raises(safety.Unreadable, match=r"^other\.xml is not a C-CDA clinical document; it was not read\.$"):
        read_ccda(b'<?xml version="1.0"?><Bundle xmlns="http://hl7.org/fhir"/>', "other.xml")
    with pytest.raises(safety.Refused, match="is not readable XML"):
        read_ccda(samples.ccd()[:-40], "cut.xml")


def test_invalid_utf8_is_refused() -> None:
    data = samples.ccd().replace(b"Example Hospital", b"Example \xff\xfe Hospital", 1)
    assert b"\xff\xfe" in data
    with pytest.raises(safety.Refused, match=r"^bad\.xml is not readable XML"):
        read_ccda(data, "bad.xml")


# --- sniffing and loose times ----------------------------------------------------------------------------------


def test_looks_like_ccda() -> None:
    assert looks_like_ccda(samples.ccd())
    assert looks_like_ccda(samples.prefixed("cda"))
    assert looks_like_ccda(samples.latin1())
    assert looks_like_ccda(samples.ccd().decode().encode("utf-16"))
    assert not looks_like_ccda(b'{"resourceType": "Bundle"}')
    assert not looks_like_ccda(b'<?xml version="1.0"?><Submission/>')
    assert not looks_like_ccda(b"%PDF-1.4")
    assert not looks_like_ccda(b"")


@pytest.mark.parametrize(("text", "iso"), [
    ("03/12/2024", "2024-03-12"), ("3/2/2024 9:05", "2024-03-02T09:05"), ("03/12/2024 8:05 PM", "2024-03-12T20:05"),
    ("03/02/2014 9:08p", "2014-03-02T21:08"), ("03/02/2014 12:30 a.m.", "2014-03-02T00:30"),
    ("Mar 14, 2024", "2024-03-14"), ("March 14 2024 10:30", "2024-03-14T10:30"), ("14-Mar-2024", "2024-03-14"),
    ("2024-03-12", "2024-03-12"), ("20240312", "2024-03-12"), ("13/45/2024", ""), ("soon", ""), ("", ""),
])
def test_loose_times_from_narrative_tables(text: str, iso: str) -> None:
    assert loose_time(text) == iso


# --- value forms seen in the published C-CDA examples ----------------------------------------------------------


def one_result(observation_body: str) -> LabResult:
    """The single result of a results section whose one organizer holds one observation with this body."""
    entry = ('<entry><organizer classCode="BATTERY" moodCode="EVN"><code code="24331-1" '
             'codeSystem="2.16.840.1.113883.6.1" displayName="Panel"/><statusCode code="completed"/>'
             '<effectiveTime><low value="201310200908-0500"/>'
             '</effectiveTime><component><observation classCode="OBS" moodCode="EVN"><code code="3043-7" '
             'codeSystem="2.16.840.1.113883.6.1" displayName="Test"/><statusCode code="completed"/>'
             f"{observation_body}</observation></component></organizer></entry>")
    doc = read(samples.ccd(results=None, extra_sections=[
        section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1", "<paragraph>Results</paragraph>", entry)]))
    assert doc.skipped == ()
    [result] = results(doc)
    return result


def test_a_value_above_the_instrument_range_reads_as_greater_than() -> None:
    result = one_result(
        '<value xsi:type="IVL_PQ"><low value="500" unit="mg/dL" inclusive="false"/><high nullFlavor="PINF"/></value>'
        '<interpretationCode code="&gt;" codeSystem="2.16.840.1.113883.5.83"/>'
        '<referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="140" unit="mg/dL"/>'
        '<high value="500" unit="mg/dL"/></value><interpretationCode code="H"/></observationRange></referenceRange>'
        '<referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="80" unit="mg/dL"/>'
        '<high value="140" unit="mg/dL"/></value><interpretationCode code="N"/></observationRange></referenceRange>')
    assert (result.value, result.number, result.unit, result.flag) == (">500", None, "mg/dL", "Above range")
    assert result.reference_range == "80-140 mg/dL"  # of several ranges, the normal one
    assert result.when == "2013-10-20T09:08"  # the organizer's time


def test_a_unit_that_is_not_ucum_is_taken_from_the_translation() -> None:
    result = one_result(
        '<value xsi:type="PQ" nullFlavor="OTH"><translation value="152" nullFlavor="OTH"><originalText>THOUS/MCL'
        '</originalText></translation></value>'
        '<referenceRange><observationRange><value xsi:type="IVL_PQ"><low nullFlavor="OTH"><translation value="150" '
        'nullFlavor="OTH"><originalText>THOUS/MCL</originalText></translation></low><high nullFlavor="OTH">'
        '<translation value="400" nullFlavor="OTH"><originalText>THOUS/MCL</originalText></translation></high>'
        '</value></observationRange></referenceRange>')
    assert (result.value, result.number, result.unit) == ("152", 152.0, "THOUS/MCL")
    assert result.reference_range == "150-400 THOUS/MCL"


def test_a_text_value_takes_its_unit_from_a_related_units_observation() -> None:
    result = one_result(
        '<value xsi:type="ST">Unable to calculate</value><entryRelationship typeCode="COMP"><observation '
        'classCode="OBS" moodCode="EVN"><code code="246514001" displayName="units" '
        'codeSystem="2.16.840.1.113883.6.96"/>'
        '<value xsi:type="CD" code="mg/dL" codeSystem="2.16.840.1.113883.6.8"/></observation></entryRelationship>')
    assert (result.value, result.number, result.unit) == ("Unable to calculate", None, "mg/dL")


def test_a_value_below_a_bound_reads_as_less_than() -> None:
    result = one_result('<value xsi:type="IVL_PQ"><low nullFlavor="NINF"/><high value="0.01" unit="ng/mL" '
                        'inclusive="false"/></value>')
    assert (result.value, result.unit) == ("<0.01", "ng/mL")


# --- robustness ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [samples.epic_like, samples.allscripts_like])
def test_any_element_missing_or_any_attribute_odd_never_fails_the_file(build: object) -> None:
    """Real documents leave things out and write odd values anywhere: each variant of a document with one element
    removed, or one element's attributes made odd, reads (or is refused with a sentence) — never a traceback."""
    import copy

    from lxml import etree

    data = build()  # type: ignore[operator]
    count = len(list(etree.fromstring(data).iter()))
    odd = ["", "NI", "#", "#missing", "-1", "1e999", "nan", "20241399", "<b>"]
    read_files = 0
    for index in range(count):
        for mode in ("remove", "odd", "twice"):
            root = etree.fromstring(data)
            element = list(root.iter())[index]
            parent = element.getparent()
            if mode == "remove" and parent is not None:
                parent.remove(element)
            elif mode == "odd":
                for n, key in enumerate(element.attrib):
                    element.attrib[key] = odd[(index + n) % len(odd)]
            elif mode == "twice" and parent is not None:
                parent.insert(0, copy.deepcopy(element))
            try:
                read_ccda(etree.tostring(root), "variant.xml")
            except safety.Refused as exc:
                assert str(exc).startswith("variant.xml ")
            read_files += 1
    assert read_files > 300
