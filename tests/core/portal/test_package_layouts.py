"""Layouts real downloads come in: a C-CDA saved under another name, a FHIR export split into one file per
resource type (the Patient in a file of its own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ccda_samples as cs

from secondopinion_desktop.core.portal import safety
from secondopinion_desktop.core.portal.package import read_path


def test_a_clinical_document_saved_as_txt_is_read(tmp_path: Path) -> None:
    path = tmp_path / "CCDA_Sample_JonesIsabella.txt"
    path.write_bytes(cs.ccd())
    package = read_path(path)
    assert [d.format for d in package.documents] == ["C-CDA"]


PATIENT = {"resourceType": "Patient", "id": "f8fedcd9e6e5", "name": [{"given": ["Jason"], "family": "Argonaut"}],
           "birthDate": "1985-08-01"}


def _observation(n: int, patient: str = "Patient/f8fedcd9e6e5") -> dict:
    return {"resourceType": "Observation", "id": f"o{n}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "718-7", "display": "Hemoglobin"}]},
            "subject": {"reference": patient}, "effectiveDateTime": f"2024-0{n}-12",
            "valueQuantity": {"value": 13 + n, "unit": "g/dL"}}


def test_a_fhir_export_with_its_patient_in_a_file_of_its_own_is_read_as_that_persons(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text(json.dumps(PATIENT) + "\n")
    (folder / "Observation.ndjson").write_text("\n".join(json.dumps(_observation(n)) for n in (1, 2)) + "\n")
    package = read_path(folder)
    assert [p.name for p in package.patients] == ["Jason Argonaut"]
    assert [d.patient.name for d in package.documents if d.patient] == ["Jason Argonaut"]
    assert sum(len(r.results) for d in package.documents for r in d.reports) == 2


def test_without_any_patient_in_the_download_it_is_still_refused(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Observation.ndjson").write_text(json.dumps(_observation(1)) + "\n")
    with pytest.raises(safety.Refused, match="does not say whose record it is"):
        read_path(folder)


def test_a_split_export_holding_a_second_persons_file_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text(json.dumps(PATIENT) + "\n")
    (folder / "Observation.ndjson").write_text(json.dumps(_observation(1)) + "\n")
    stray = _observation(2, patient="Patient/pat1")
    stray["subject"]["display"] = "Donald Duck"
    (folder / "Other.ndjson").write_text(json.dumps(stray) + "\n")
    with pytest.raises(safety.Refused, match=r"export holds the records of two people \((Jason Argonaut|Donald Duck)"):
        read_path(folder)
