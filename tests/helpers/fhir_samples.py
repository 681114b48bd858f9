"""Synthetic FHIR files (R4 and DSTU2 bundles, an IPS document, NDJSON) and Apple Health exports for tests.

Every builder returns plain data (``dict``/``bytes``) or writes into a folder the test gives; nothing here is
a real patient's. The shapes follow what portals give out: Epic-style R4 bundles with ``urn:uuid`` references,
DSTU2 resources as Apple Health's clinical records carry them.
"""

from __future__ import annotations

import base64
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PATIENT_NAME = "Alex Sample"
BIRTH = "1970-04-02"
STUDY_UID = "1.2.826.0.1.3680043.8.498.1234567890"

J = dict[str, Any]

# The computer's zone for tests reading times: US Central as a POSIX rule (no time zone database needed).
# FHIR times that name their zone are said in the computer's local time.
CHICAGO = "CST6CDT,M3.2.0,M11.1.0"


def local_zone(zone: str) -> Iterator[None]:
    """The computer's local zone set to ``zone`` while a test runs (for a fixture: ``yield from``)."""
    if not hasattr(time, "tzset"):
        pytest.skip("the local time zone can be set for a test only where time.tzset exists")
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def to_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=1).encode("utf-8")


def entry(resource: J) -> J:
    return {"fullUrl": f"urn:uuid:{str(resource['resourceType']).lower()}-{resource['id']}", "resource": resource}


def ref(resource: J, display: str = "") -> J:
    out: J = {"reference": f"urn:uuid:{resource['resourceType'].lower()}-{resource['id']}"}
    if display:
        out["display"] = display
    return out


def loinc(code: str, display: str, text: str = "") -> J:
    out: J = {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]}
    if text:
        out["text"] = text
    return out


def category(code: str, system: str = "http://terminology.hl7.org/CodeSystem/observation-category") -> list[J]:
    return [{"coding": [{"system": system, "code": code}]}]


def patient(name: str = PATIENT_NAME, birth: str = BIRTH, rid: str = "p1") -> J:
    given, family = name.split(" ", 1)
    return {
        "resourceType": "Patient", "id": rid,
        "identifier": [{"type": {"text": "MRN"}, "value": "12345", "assigner": {"display": "Example Hospital"}}],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": "female", "birthDate": birth,
        "managingOrganization": {"reference": "urn:uuid:organization-o1", "display": "Example Hospital"},
    }


def organization(name: str = "Example Hospital", rid: str = "o1") -> J:
    return {"resourceType": "Organization", "id": rid, "name": name}


def practitioner(rid: str = "pr1") -> J:
    return {"resourceType": "Practitioner", "id": rid, "name": [{"family": "Jones", "given": ["Dana"]}],
            "qualification": [{"code": {"coding": [{"code": "MD", "display": "Doctor of Medicine"}],
                                        "text": "MD"}}]}


def observation(rid: str, code: str, display: str, value: float | str, unit: str = "", *, when: str =
                "2024-03-12T09:30:00-05:00", low: float | None = None, high: float | None = None,
                flag: str = "", cat: str = "laboratory", **extra: Any) -> J:
    res: J = {"resourceType": "Observation", "id": rid, "status": "final", "category": category(cat),
              "code": loinc(code, display), "subject": {"reference": "urn:uuid:patient-p1"},
              "effectiveDateTime": when}
    if isinstance(value, str):
        res["valueString"] = value
    else:
        res["valueQuantity"] = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    if low is not None or high is not None:
        rr: J = {}
        if low is not None:
            rr["low"] = {"value": low, "unit": unit}
        if high is not None:
            rr["high"] = {"value": high, "unit": unit}
        res["referenceRange"] = [rr]
    if flag:
        res["interpretation"] = [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": flag}]}]
    res.update(extra)
    return res


def r4_resources() -> list[J]:
    """Everything a cancer patient's R4 download carries, one of each (and a few results)."""
    hb = observation("hb", "718-7", "Hemoglobin", 11.2, "g/dL", low=12.0, high=15.5, flag="L")
    wbc = observation("wbc", "6690-2", "Leukocytes", 13.4, "10*3/uL", low=4.0, high=11.0, flag="H")
    plt = observation("plt", "777-3", "Platelets", 250, "10*3/uL", low=150, high=400, flag="N")
    ca153 = observation("ca153", "6875-9", "CA 15-3", 48, "U/mL", when="2024-03-14T08:00:00Z", high=30,
                        flag="HH")
    her2 = observation("her2", "48676-1", "HER2 [Interpretation] in Tissue", "Negative",
                       when="2024-02-20T10:00:00Z")
    her2.pop("valueString")
    her2["valueCodeableConcept"] = {"text": "Negative (score 1+)"}
    bp = {
        "resourceType": "Observation", "id": "bp", "status": "final", "category": category("vital-signs"),
        "code": loinc("85354-9", "Blood pressure panel"), "effectiveDateTime": "2024-03-12T09:00:00-05:00",
        "component": [
            {"code": loinc("8480-6", "Systolic blood pressure"),
             "valueQuantity": {"value": 142, "unit": "mmHg"},
             "interpretation": [{"coding": [{"code": "H"}]}]},
            {"code": loinc("8462-4", "Diastolic blood pressure"), "valueQuantity": {"value": 88, "unit": "mmHg"}},
        ],
    }
    weight = observation("wt", "29463-7", "Body weight", 64.5, "kg", when="2024-03-12T09:00:00-05:00",
                         cat="vital-signs")
    cbc = {
        "resourceType": "DiagnosticReport", "id": "cbc", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}],
        "code": loinc("58410-2", "CBC panel - Blood by Automated count", "Complete blood count"),
        "subject": {"reference": "urn:uuid:patient-p1"}, "effectiveDateTime": "2024-03-12T09:30:00-05:00",
        "issued": "2024-03-12T11:00:00-05:00",
        "performer": [ref(organization(), "Example Hospital")],
        "result": [ref(hb), ref(wbc), ref(plt)],
        "presentedForm": [{"contentType": "application/pdf", "title": "CBC report.pdf",
                           "data": base64.b64encode(PDF).decode("ascii")}],
    }
    specimen = {
        "resourceType": "Specimen", "id": "sp1", "accessionIdentifier": {"value": "S24-1234"},
        "type": {"text": "Core needle biopsy"},
        "collection": {"collectedDateTime": "2024-02-18T14:00:00Z", "bodySite": {"text": "Left breast"}},
    }
    pathology = {
        "resourceType": "DiagnosticReport", "id": "path", "status": "final",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LP7839-6", "display": "Pathology"}]}],
        "code": loinc("60568-3", "Pathology Synoptic report", "Surgical pathology report"),
        "effectiveDateTime": "2024-02-20", "resultsInterpreter": [ref(practitioner())],
        "specimen": [ref(specimen)], "result": [ref(her2)],
        "conclusion": "Invasive ductal carcinoma, grade 2.",
        "presentedForm": [{"contentType": "application/pdf", "title": "Full pathology report",
                           "url": "https://portal.example.org/documents/path-1.pdf"}],
    }
    condition = {
        "resourceType": "Condition", "id": "c1",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "353431000119107",
                             "display": "Primary malignant neoplasm of female left breast"}],
                 "text": "Breast cancer, left"},
        "onsetDateTime": "2024-02-20",
        "stage": [{"summary": {"coding": [{"system": "http://snomed.info/sct", "code": "261614003",
                                           "display": "Stage 2A"}]}}],
    }
    medication = {
        "resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "198240", "display": "Tamoxifen 20 MG Oral Tablet"}]},
        "authoredOn": "2024-03-01",
        "dosageInstruction": [{"text": "Take one tablet by mouth daily",
                               "timing": {"repeat": {"frequency": 1, "period": 12, "periodUnit": "h"}},
                               "route": {"text": "Oral"},
                               "doseAndRate": [{"doseQuantity": {"value": 20, "unit": "mg"}}]}],
    }
    allergy = {
        "resourceType": "AllergyIntolerance", "id": "a1",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7980",
                             "display": "Penicillin G"}], "text": "Penicillin"},
        "reaction": [{"manifestation": [{"text": "Hives"}, {"coding": [{"display": "Shortness of breath"}]}],
                      "severity": "moderate"}],
        "onsetDateTime": "2001",
    }
    procedure = {
        "resourceType": "Procedure", "id": "pc1", "status": "completed",
        "code": {"text": "Core needle biopsy of left breast"}, "performedDateTime": "2024-02-18",
        "bodySite": [{"text": "Left breast"}],
    }
    encounter = {
        "resourceType": "Encounter", "id": "e1", "status": "finished",
        "class": {"code": "AMB", "display": "ambulatory"}, "type": [{"text": "Oncology consultation"}],
        "period": {"start": "2024-03-01T10:00:00Z"}, "serviceProvider": ref(organization(), "Example Hospital"),
    }
    study = {
        "resourceType": "ImagingStudy", "id": "is1", "status": "available",
        "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{STUDY_UID}"},
                       {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                             "code": "ACSN"}]}, "value": "ACC-778"}],
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MG"}],
        "started": "2024-02-10T08:15:00Z", "description": "Diagnostic mammogram, bilateral",
        "series": [{"uid": "1.2.3.4", "modality": {"code": "MG"}, "bodySite": {"display": "Breast"}}],
    }
    return [patient(), organization(), practitioner(), condition, hb, wbc, plt, ca153, her2, bp, weight, cbc,
            specimen, pathology, medication, allergy, procedure, encounter, study]


def bundle(resources: list[J], kind: str = "collection", **extra: Any) -> J:
    out: J = {"resourceType": "Bundle", "id": "b1", "type": kind, "timestamp": "2024-03-15T12:00:00Z",
              "entry": [entry(r) for r in resources]}
    out.update(extra)
    return out


def r4_bundle() -> bytes:
    return to_bytes(bundle(r4_resources()))


def ips_bundle(narrative: str | None = None) -> bytes:
    """An International Patient Summary: a document bundle, its Composition first."""
    pat = patient()
    med = {"resourceType": "MedicationStatement", "id": "ms1", "status": "active",
           "medicationReference": {"reference": "#med"}, "subject": ref(pat),
           "contained": [{"resourceType": "Medication", "id": "med",
                          "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                               "code": "310965", "display": "Ibuprofen 200 MG Oral Tablet"}]}}],
           "effectivePeriod": {"start": "2023-01-01"},
           "dosage": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                       "doseAndRate": [{"doseQuantity": {"value": 200, "unit": "mg"}}]}]}
    cond = {"resourceType": "Condition", "id": "c2", "code": {"text": "Hypertension"},
            "clinicalStatus": {"coding": [{"code": "active"}]}, "onsetDateTime": "2019-05"}
    org = organization("Example Clinic", "o2")
    div = narrative if narrative is not None else (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p>Current medicines:</p><ul><li>Ibuprofen 200 mg twice a '
        'day</li></ul><table><thead><tr><th>Medicine</th><th>Since</th></tr></thead><tbody><tr><td>Ibuprofen'
        '</td><td>2023</td></tr></tbody></table></div>')
    composition = {
        "resourceType": "Composition", "id": "comp", "status": "final",
        "type": loinc("60591-5", "Patient summary Document"), "subject": ref(pat),
        "date": "2024-05-01T10:00:00+02:00", "author": [ref(practitioner())], "title": "Patient Summary",
        "custodian": ref(org),
        "section": [
            {"title": "Medication Summary", "code": loinc("10160-0", "History of Medication use Narrative"),
             "text": {"status": "generated", "div": div}, "entry": [ref(med)]},
            {"title": "Problem List", "code": loinc("11450-4", "Problem list - Reported"), "entry": [ref(cond)]},
            {"title": "Allergies and Intolerances", "code": loinc("48765-2", "Allergies and adverse reactions"),
             "emptyReason": {"text": "No information available"}},
        ],
    }
    return to_bytes(bundle([composition, pat, practitioner(), org, med, cond], "document",
                           identifier={"system": "urn:ietf:rfc:3986", "value": "urn:uuid:ips-1"}))


def ndjson(resources: list[J], bad_lines: tuple[int, ...] = ()) -> bytes:
    lines = [json.dumps(r) for r in resources]
    for n in bad_lines:
        lines.insert(n, '{"resourceType": "Observation", broken')
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- DSTU2 --------------------------------------------------------------------------------------------------------


def dstu2_resources() -> list[J]:
    """DSTU2 shapes as Epic and Cerner gave them out (and Apple Health keeps them)."""
    return [
        {"resourceType": "Patient", "id": "dp", "name": [{"family": ["Sample"], "given": ["Alex"]}],
         "birthDate": BIRTH, "gender": "female", "careProvider": [{"display": "Dana Jones, MD"}]},
        {"resourceType": "MedicationOrder", "id": "mo1", "status": "active", "dateWritten": "2015-03-25",
         "patient": {"reference": "Patient/dp", "display": PATIENT_NAME},
         "medicationCodeableConcept": {"text": "Letrozole 2.5 mg tablet"},
         "dosageInstruction": [{"text": "2.5 mg daily", "doseQuantity": {"value": 2.5, "unit": "mg"},
                                "route": {"text": "Oral"},
                                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}}]},
        {"resourceType": "AllergyIntolerance", "id": "da1", "status": "confirmed",
         "substance": {"text": "Sulfa drugs"}, "criticality": "CRITH",
         "reaction": [{"manifestation": [{"text": "Rash"}], "severity": "mild"}], "onset": "2010-06-01"},
        {"resourceType": "Condition", "id": "dc1", "clinicalStatus": "active", "verificationStatus": "confirmed",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C50.912",
                              "display": "Malignant neoplasm of left female breast"}]},
         "dateRecorded": "2015-03-01", "onsetDateTime": "2015-02-20",
         "stage": {"summary": {"text": "T2 N0 M0"}}},
        {"resourceType": "Observation", "id": "do1", "status": "final",
         "category": {"coding": [{"system": "http://hl7.org/fhir/observation-category", "code": "laboratory"}]},
         "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0", "display": "Creatinine"}]},
         "valueQuantity": {"value": 0.9, "unit": "mg/dL"}, "effectiveDateTime": "2015-03-10T08:00:00Z",
         "referenceRange": [{"text": "0.6-1.1 mg/dL"}],
         "interpretation": {"coding": [{"code": "N"}]}},
        {"resourceType": "DiagnosticReport", "id": "dr1", "status": "final",
         "category": {"coding": [{"system": "http://hl7.org/fhir/v2/0074", "code": "LAB"}]},
         "code": {"text": "Basic metabolic panel"}, "issued": "2015-03-10T10:00:00Z",
         "effectiveDateTime": "2015-03-10T08:00:00Z", "performer": {"display": "Example Lab"},
         "result": [{"reference": "Observation/do1"}]},
        {"resourceType": "ImagingStudy", "id": "di1", "uid": f"urn:oid:{STUDY_UID}",
         "accession": {"value": "ACC-1"}, "modalityList": [{"code": "CT"}], "started": "2015-02-01",
         "description": "CT chest"},
        {"resourceType": "DiagnosticOrder", "id": "do9", "status": "requested"},
    ]


def dstu2_bundle() -> bytes:
    return to_bytes({"resourceType": "Bundle", "type": "searchset",
                     "entry": [{"fullUrl": f"https://fhir.example.org/api/FHIR/DSTU2/{r['resourceType']}/{r['id']}",
                                "resource": r} for r in dstu2_resources()]})


# --- a microbiology culture -----------------------------------------------------------------------------------------


def culture_report(style: str = "stu3") -> J:
    """A wound culture growing MRSA, as laboratory systems send it: the report names one contained organism
    Observation, which lists its members (the organism, a susceptibility panel, a disk test) among the report's
    other contained Observations; a susceptibility is given only as an interpretation ("R"), or as an MIC with
    one. ``style`` "stu3" links members with ``related`` has-member and gives the category once (STU3's
    shapes); "r4" uses ``hasMember`` and a category list."""
    v2_0078 = "http://terminology.hl7.org/CodeSystem/v2-0078" if style == "r4" else "http://hl7.org/fhir/v2/0078"

    def obs(rid: str, text: str, **extra: Any) -> J:
        out: J = {"resourceType": "Observation", "id": rid, "status": "final",
                  "code": {"coding": [{"system": "http://lab.example.org/tests", "code": rid.upper(),
                                       "display": text}]},
                  "subject": {"reference": "Patient/p1"}}
        out.update(extra)
        return out

    def members(*ids: str) -> J:
        if style == "r4":
            return {"hasMember": [{"reference": f"#{i}"} for i in ids]}
        return {"related": [{"type": "has-member", "target": {"reference": f"#{i}"}} for i in ids]}

    def interpretation(code: str) -> Any:
        coding = {"coding": [{"system": v2_0078, "code": code}]}
        return [coding] if style == "r4" else coding

    contained = [
        obs("org1", "Staphylococcus aureus panel", **members("organism", "growth", "broth", "disk")),
        obs("organism", "Organism identified",
            valueCodeableConcept={"text": "Methicillin resistant Staphylococcus aureus"}),
        obs("growth", "Culture result", valueCodeableConcept={"coding": [{"code": "POS", "display": "Positive"}]}),
        obs("broth", "Susceptibility by broth dilution", **members("amp", "vanc")),
        obs("amp", "Ampicillin", interpretation=interpretation("R")),
        obs("vanc", "Vancomycin", valueQuantity={"value": 1, "comparator": "<=", "unit": "ug/mL"},
            interpretation=interpretation("S")),
        obs("disk", "Susceptibility by disk diffusion", **members("oxa", "clinda")),
        obs("oxa", "Oxacillin", interpretation=interpretation("R")),
        obs("clinda", "Clindamycin", interpretation=interpretation("I")),
    ]
    category: Any = {"coding": [{"system": "http://hl7.org/fhir/v2/0074", "code": "MB"}]}
    return {
        "resourceType": "DiagnosticReport", "id": "micro", "status": "final",
        "category": [category] if style == "r4" else category,
        "code": {"coding": [{"system": "http://loinc.org", "code": "632-0"}], "text": "Culture, MRSA"},
        "subject": {"reference": "Patient/p1"}, "issued": "2024-03-12T15:00:00Z",
        "result": [{"reference": "#org1"}], "contained": contained,
    }


# --- Apple Health ---------------------------------------------------------------------------------------------------

APPLE_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT ClinicalRecord EMPTY>
<!ATTLIST ClinicalRecord
  type              CDATA #REQUIRED
  identifier        CDATA #REQUIRED
  sourceName        CDATA #REQUIRED
  sourceURL         CDATA #REQUIRED
  fhirVersion       CDATA #REQUIRED
  receivedDate      CDATA #REQUIRED
  resourceFilePath  CDATA #REQUIRED
>
]>
<HealthData locale="en_US">
 <ExportDate value="2024-06-01 10:00:00 -0500"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="{birth}" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>
"""  # noqa: E501 - Apple writes it so

RECORD = (' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Alex\'s Watch" unit="count/min" '
          'creationDate="2024-01-01 10:00:00 -0500" startDate="2024-01-01 10:00:00 -0500" '
          'endDate="2024-01-01 10:00:00 -0500" value="72">\n  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext"'
          ' value="0"/>\n </Record>\n')


def clinical_record(path: str, version: str, kind: str, source: str = "Example Hospital") -> str:
    return (f' <ClinicalRecord type="{kind}" identifier="{Path(path).stem}" sourceName="{source}" '
            f'sourceURL="https://fhir.example.org/api/FHIR/{"DSTU2" if version.startswith("1") else "R4"}/" '
            f'fhirVersion="{version}" receivedDate="2024-05-30 09:00:00 -0500" resourceFilePath="/{path}"/>\n')


def apple_records() -> list[tuple[str, str, str, J]]:
    """(path in the export, fhirVersion, Apple's type, resource) for each clinical record."""
    dstu2 = {r["id"]: r for r in dstu2_resources()}
    r4 = {r["id"]: r for r in r4_resources()}
    r4_obs = dict(r4["ca153"])
    r4_obs["subject"] = {"reference": "Patient/p1", "display": PATIENT_NAME}
    return [
        ("clinical-records/MedicationOrder-mo1.json", "1.0.2", "HKClinicalTypeIdentifierMedicationRecord",
         dstu2["mo1"]),
        ("clinical-records/AllergyIntolerance-da1.json", "1.0.2", "HKClinicalTypeIdentifierAllergyRecord",
         dstu2["da1"]),
        ("clinical-records/Condition-dc1.json", "1.0.2", "HKClinicalTypeIdentifierConditionRecord", dstu2["dc1"]),
        ("clinical-records/Observation-do1.json", "1.0.2", "HKClinicalTypeIdentifierLabResultRecord",
         dstu2["do1"]),
        ("clinical-records/DiagnosticReport-dr1.json", "1.0.2", "HKClinicalTypeIdentifierLabResultRecord",
         dstu2["dr1"]),
        ("clinical-records/Observation-ca153.json", "4.0.1", "HKClinicalTypeIdentifierLabResultRecord", r4_obs),
        ("clinical-records/Immunization-im1.json", "4.0.1", "HKClinicalTypeIdentifierImmunizationRecord",
         {"resourceType": "Immunization", "id": "im1", "status": "completed",
          "vaccineCode": {"text": "Influenza"}, "occurrenceDateTime": "2023-10-01"}),
    ]


def export_xml(records: list[tuple[str, str, str, J]], *, heart_rates: int = 3, birth: str = BIRTH,
               extra: str = "", missing: tuple[str, ...] = ()) -> bytes:
    body = APPLE_HEAD.replace("{birth}", birth) + extra + RECORD * heart_rates
    for path, version, kind, _res in records:
        body += clinical_record(path, version, kind)
    for path in missing:
        body += clinical_record(path, "4.0.1", "HKClinicalTypeIdentifierLabResultRecord")
    body += ' <Workout workoutActivityType="HKWorkoutActivityTypeWalking" duration="30" sourceName="Watch" ' \
            'startDate="2024-01-02 10:00:00 -0500" endDate="2024-01-02 10:30:00 -0500"/>\n</HealthData>\n'
    return body.encode("utf-8")


def apple_export_zip(folder: Path, *, xml: bytes | None = None, records: list[tuple[str, str, str, J]] | None
                     = None, name: str = "export.zip", missing: tuple[str, ...] = (),
                     broken: dict[str, bytes] | None = None) -> Path:
    """An ``export.zip`` as the Health app shares it: ``apple_health_export/export.xml``, the CDA file, and
    ``clinical-records/*.json``."""
    records = apple_records() if records is None else records
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", xml if xml is not None else export_xml(records, missing=missing))
        zf.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
        for rel, _version, _kind, res in records:
            zf.writestr(f"apple_health_export/{rel}", json.dumps(res))
        for rel, data in (broken or {}).items():
            zf.writestr(f"apple_health_export/{rel}", data)
    return path


def apple_export_folder(folder: Path, *, xml: bytes | None = None,
                        records: list[tuple[str, str, str, J]] | None = None) -> Path:
    """The same export unpacked: an ``apple_health_export/`` folder."""
    records = apple_records() if records is None else records
    root = folder / "apple_health_export"
    (root / "clinical-records").mkdir(parents=True)
    (root / "export.xml").write_bytes(xml if xml is not None else export_xml(records))
    for rel, _version, _kind, res in records:
        (root / rel).write_text(json.dumps(res), encoding="utf-8")
    return root


def write_big_export(path: Path, megabytes: int, records: list[tuple[str, str, str, J]]) -> None:
    """An export.xml of about ``megabytes`` MB of heart-rate records, clinical records at its end (as Apple
    writes them), written in pieces so the test itself holds little."""
    chunk = (RECORD * 2000).encode("utf-8")
    with path.open("wb") as fh:
        fh.write(APPLE_HEAD.replace("{birth}", BIRTH).encode("utf-8"))
        written = 0
        while written < megabytes * 2**20:
            fh.write(chunk)
            written += len(chunk)
        for rel, version, kind, _res in records:
            fh.write(clinical_record(rel, version, kind).encode("utf-8"))
        fh.write(b"</HealthData>\n")
