"""The sample case's health summary: her medications and allergies, and lab values over time for every trend."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core import health
from secondopinion_desktop.core.demo import fill_demo_data, load_case
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.records import list_records
from secondopinion_desktop.core.trend import trend_frame

TODAY = dt.date(2026, 5, 4)


@pytest.fixture
def summary(folder):
    fill_demo_data(folder, today=TODAY)
    return health.health_summary(folder, TODAY)


def _titles(folder) -> dict[int, str]:
    return {r.id: r.title for r in list_records(folder)}


def test_current_and_past_medications_with_their_source(folder, summary):
    current = [m.name for m in summary.current_medications]
    past = [m.name for m in summary.past_medications]
    assert {"Lisinopril", "Atorvastatin", "Ibuprofen"} <= set(current)
    assert "Estradiol patch" in past and "Acetaminophen" in past
    assert not set(current) & set(past)
    estradiol = next(m for m in summary.medications if m.name == "Estradiol patch")
    diagnosis = TODAY - dt.timedelta(days=95)
    assert estradiol.end == diagnosis.isoformat()
    assert estradiol.start[:4].isdigit() and len(estradiol.start) == 7  # known to the month
    lisinopril = next(m for m in summary.medications if m.name == "Lisinopril")
    assert (lisinopril.dose, lisinopril.frequency, lisinopril.reason, lisinopril.prescriber) == (
        "10 mg tablet", "Once a day", "Blood pressure", "Pat Example, MD")
    assert len(lisinopril.start) == 4  # known to the year
    titles = _titles(folder)
    for med in summary.medications:
        assert med.origin == "hand"
        assert med.source.record_id is not None
        assert titles[med.source.record_id] == "Current medications and allergies"


def test_two_allergies_one_an_intolerance(summary):
    by_substance = {a.substance: a for a in summary.allergies}
    assert set(by_substance) == {"Penicillin", "Codeine"}
    penicillin = by_substance["Penicillin"]
    assert (penicillin.category, penicillin.reaction, penicillin.severity) == ("allergy", "Hives", "moderate")
    assert by_substance["Codeine"].category == "intolerance"
    assert by_substance["Codeine"].reaction


def test_the_med_list_record_says_the_same(folder, summary):
    record = next(r for r in list_records(folder) if r.title == "Current medications and allergies")
    for word in ("Lisinopril", "estradiol", "penicillin", "codeine"):
        assert word.lower() in record.summary.lower()
    case = load_case()
    pdf = next(r for r in case["records"] if r["key"] == "med_list")["attachments"][0]["pdf"]
    text = " ".join(s["text"] for s in pdf["sections"])
    assert "Codeine" in text and "Estradiol" in text


def test_every_key_trend_has_values_over_months_within_range(summary):
    series = {s.key: s for s in summary.series}
    for key in ("ca15-3", "cea", "hemoglobin", "wbc", "neutrophils", "platelets", "creatinine"):
        s = series[key]
        assert len(s.charted) >= 2, key
        assert not s.mixed_units, key
        assert s.band is not None and s.band.low is not None and s.band.high is not None
        for point in s.charted:
            assert point.number is not None
            assert s.band.low <= point.number <= s.band.high, (key, point.value)
            assert point.day is not None and point.day <= TODAY
        frame = trend_frame(s, summary.treatments, today=TODAY)
        assert frame is not None and frame.left_out == 0
    assert (series["wbc"].charted[-1].day - series["wbc"].charted[0].day).days > 300  # a year of blood counts
    assert series["ca15-3"].unit == "U/mL" and series["cea"].unit == "ng/mL"
    assert series["wbc"].unit == "K/uL" and series["creatinine"].unit == "mg/dL"


def test_values_match_the_records_they_were_copied_from(folder, summary):
    titles = _titles(folder)
    by_record: dict[str, dict[str, str]] = {}
    for s in summary.series:
        for p in s.points:
            if p.record_id is not None:
                by_record.setdefault(titles[p.record_id], {})[s.name] = p.value
    assert by_record["Tumor markers: CA 15-3 and CEA"] == {"CA 15-3": "21", "CEA": "1.9"}
    cbc = by_record["Complete blood count (CBC) with differential"]
    assert cbc["Hemoglobin"] == "13.1" and cbc["White cells"] == "6.4" and cbc["Platelets"] == "251"
    assert by_record["Comprehensive metabolic panel (CMP)"] == {"Creatinine": "0.78"}
    case = load_case()
    printed = {row[0]: row[1] for r in case["records"] if r["key"] == "cbc"
               for row in r["attachments"][0]["pdf"]["table"][1:]}
    assert printed["Hemoglobin"] == "13.1" and printed["Neutrophils (absolute)"] == cbc["Neutrophils"]


def test_a_folder_with_a_typed_in_medication_is_refused(folder):
    health.create_medication(folder, "My own pill")
    with pytest.raises(ValidationError, match="empty folder"):
        fill_demo_data(folder)
    assert [m.name for m in health.list_medications(folder)] == ["My own pill"]
