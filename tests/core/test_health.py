"""The health summary's lists (core.health): lab values kept as given, series per test, medications and allergies,
typed in or imported, edited in one place."""

from __future__ import annotations

import datetime as dt

import pytest

from secondopinion_desktop.core import health, records
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.health import (
    add_lab_result,
    create_allergy,
    create_medication,
    is_current,
    key_test_for,
    lab_series,
    parse_range,
    parse_value,
)
from secondopinion_desktop.core.models import AllergyRow, LabResultRow, MedicationRow
from secondopinion_desktop.core.portal.labs import Source

TODAY = dt.date.today()


# --- value forms (the "Bad input") -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "number", "comparator"), [
    ("<0.5", 0.5, "<"),
    (">1000", 1000.0, ">"),
    ("> 1,000", 1000.0, ">"),
    ("≤ 3", 3.0, "<="),
    (">=60", 60.0, ">="),
    ("positive", None, ""),
    ("see note", None, ""),
    ("Positive (1:40)", None, ""),
    ("1,234.5", 1234.5, ""),
    ("1.234,5", 1234.5, ""),
    ("1,234", 1234.0, ""),
    ("0,5", 0.5, ""),
    ("12,75", 12.75, ""),
    ("1 234", 1234.0, ""),
    ("12'000", 12000.0, ""),
    (".5", 0.5, ""),
    ("-4.2", -4.2, ""),
    ("  7  ", 7.0, ""),
    ("12 H", 12.0, ""),
    ("5.2 (high)", 5.2, ""),
    ("6.4 x10E3/uL", 6.4, ""),
    ("250 x 10^9/L", 250.0, ""),
    ("2.5E+2", 250.0, ""),
    ("1-2", None, ""),
    ("5/10", None, ""),
    ("1:40", None, ""),
    ("1 to 2", None, ""),
    ("3 x 4", None, ""),
    ("5 10", None, ""),
    ("1.5.2", None, ""),
    ("10^3", None, ""),
    ("NaN", None, ""),
    ("inf", None, ""),
    ("<", None, ""),
    ("", None, ""),
])
def test_parse_value(text, number, comparator):
    parsed = parse_value(text)
    assert parsed.number == (pytest.approx(number) if number is not None else None)
    assert parsed.comparator == comparator
    assert parsed.text == " ".join(text.split())


@pytest.mark.parametrize(("text", "low", "high"), [
    ("0-35", 0, 35), ("0.0 - 3.0 ng/mL", 0, 3), ("12.0–15.5", 12, 15.5), ("3.4-10.8 x10E3/uL", 3.4, 10.8),
    ("<35", None, 35), ("<31.3", None, 31.3), ("up to 37", None, 37), ("> 60", 60, None), ("≥ 60", 60, None),
    ("0,5-1,2", 0.5, 1.2), ("-1 - 1", -1, 1), ("0.0 - 3.0 (non-smoker)", 0, 3),
    ("negative", None, None), ("see report", None, None), ("10-5", None, None), ("", None, None),
])
def test_parse_range(text, low, high):
    band = parse_range(text)
    assert (band.low, band.high) == (low, high)
    assert band.usable == (low is not None or high is not None)


@pytest.mark.parametrize("value", ["<0.5", ">1000", "positive", "see note", "1,234.5", "0,5"])
def test_every_value_form_is_stored_as_written(folder, value):
    result = add_lab_result(folder, "CEA", value, "2025-03-02", unit="ng/mL")
    stored = health.get_lab_result(folder, result.id)
    assert stored.value == value
    assert stored.number == parse_value(value).number
    assert stored.origin == "hand" and stored.source.record_id is None


def test_a_unit_is_kept_exactly_as_given(folder):
    result = add_lab_result(folder, "WBC", "6.4", "2025-03-02", unit="x10E3/uL", reference_range="3.4-10.8")
    assert result.unit == "x10E3/uL" and result.number == 6.4
    (series,) = lab_series(folder)
    assert series.unit == "x10E3/uL" and series.key == "wbc"
    assert series.band is not None and (series.band.low, series.band.high) == (3.4, 10.8)


def test_a_date_in_the_future_is_refused(folder):
    tomorrow = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="future") as raised:
        add_lab_result(folder, "CEA", "1.9", tomorrow)
    assert raised.value.field == "observed_on"
    assert health.list_lab_results(folder) == []
    add_lab_result(folder, "CEA", "1.9", TODAY)  # today is fine


@pytest.mark.parametrize("day", [None, "", "   "])
def test_a_value_with_no_date_is_refused(folder, day):
    with pytest.raises(ValidationError, match="date") as raised:
        add_lab_result(folder, "CEA", "1.9", day)
    assert raised.value.field == "observed_on"
    assert health.list_lab_results(folder) == []


@pytest.mark.parametrize(("test", "value", "field"), [("", "1", "test"), ("CEA", "", "value"),
                                                     ("CEA", "   ", "value")])
def test_a_test_and_a_value_are_required(folder, test, value, field):
    with pytest.raises(ValidationError) as raised:
        add_lab_result(folder, test, value, "2025-01-01")
    assert raised.value.field == field


def test_unknown_fields_and_records_are_refused(folder):
    with pytest.raises(ValidationError, match="no field") as raised:
        add_lab_result(folder, "CEA", "1", "2025-01-01", colour="red")
    assert raised.value.field == "colour"
    with pytest.raises(ValidationError, match="no record 99"):
        add_lab_result(folder, "CEA", "1", "2025-01-01", record_id=99)
    with pytest.raises(ValidationError, match="not a record number"):
        create_medication(folder, "X", record_id="abc")


# --- key tests and series --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("test", "loinc", "key"), [
    ("Cancer Ag 15-3", "6875-9", "ca15-3"),
    ("Some lab's own name", "718-7", "hemoglobin"),
    ("Whatever", "2039-6", "cea"),
    ("CA 15-3", "", "ca15-3"), ("CA15.3", "", "ca15-3"), ("ca 15 3", "", "ca15-3"),
    ("CA 27.29", "", "ca27-29"), ("CA-125", "", "ca125"), ("Beta-hCG", "", "bhcg"),
    ("Carcinoembryonic antigen", "", "cea"), ("Hgb", "", "hemoglobin"), ("Haemoglobin", "", "hemoglobin"),
    ("Hemoglobin [Mass/volume] in Blood", "", "hemoglobin"), ("WBC", "", "wbc"),
    ("White blood cell count", "", "wbc"), ("ANC", "", "neutrophils"), ("Neutrophils (absolute)", "", "neutrophils"),
    ("Platelet Count", "", "platelets"), ("PLT", "", "platelets"), ("Creatinine, serum", "", "creatinine"),
    ("Glucose", "", None), ("Hematocrit", "", None), ("Hemoglobin A1c", "", None), ("", "", None),
    ("Neutrophils %", "", None), ("Neutrophils percent", "", None),
])
def test_key_test_recognition(test, loinc, key):
    found = key_test_for(test, loinc)
    assert (found.key if found else None) == key


def test_a_share_of_white_cells_is_not_their_count():
    assert key_test_for("Neutrophils", "", "%") is None
    assert key_test_for("Neutrophils", "", "x10E3/uL").key == "neutrophils"


def test_series_group_spellings_order_oldest_first_and_put_markers_first(folder):
    add_lab_result(folder, "Hemoglobin", "13.1", "2025-03-01", unit="g/dL", reference_range="12.0-15.5")
    add_lab_result(folder, "CA 15-3", "21", "2025-03-01", unit="U/mL", reference_range="0-31")
    add_lab_result(folder, "CA15.3", "19", "2025-01-01", unit="U/mL", reference_range="<31.3")
    add_lab_result(folder, "Glucose", "92", "2025-03-01", unit="mg/dL")
    add_lab_result(folder, "Neutrophils", "55", "2025-03-01", unit="%")
    series = lab_series(folder)
    assert [s.key for s in series] == ["ca15-3", "hemoglobin", "glucose", "neutrophils-other"]
    assert [s.group for s in series] == ["marker", "count", "other", "other"]
    ca = series[0]
    assert [p.value for p in ca.points] == ["19", "21"] and ca.name == "CA 15-3"
    assert ca.band is not None and ca.band.text == "0-31"  # the most recent range
    assert ca.latest is not None and ca.latest.value == "21"
    assert [s.key for s in lab_series(folder, key_tests_only=True)] == ["ca15-3", "hemoglobin"]


def test_mixed_units_are_flagged_and_never_merged(folder):
    add_lab_result(folder, "CA 15-3", "21", "2025-01-01", unit="U/mL")
    add_lab_result(folder, "CA 15-3", "19", "2025-02-01", unit="U/mL")
    add_lab_result(folder, "CA 15-3", "24", "2025-03-01", unit="kU/L")
    (series,) = lab_series(folder)
    assert series.mixed_units and series.units == ("U/mL", "kU/L") and series.unit == "U/mL"
    assert [p.value for p in series.charted] == ["21", "19"]  # only the main unit is charted
    assert [p.unit for p in series.points] == ["U/mL", "U/mL", "kU/L"]  # every value kept, as given


def test_units_differing_only_by_spaces_are_one_unit(folder):
    add_lab_result(folder, "WBC", "6.1", "2025-01-01", unit="x10E3/uL")
    add_lab_result(folder, "WBC", "6.4", "2025-02-01", unit=" x10E3/uL ")
    (series,) = lab_series(folder)
    assert not series.mixed_units


def test_words_are_kept_in_the_series_but_not_charted(folder):
    add_lab_result(folder, "HER2", "positive", "2025-01-01")
    add_lab_result(folder, "HER2", "3+", "2025-02-01")
    (series,) = lab_series(folder)
    assert [p.value for p in series.points] == ["positive", "3+"]
    assert [p.number for p in series.points] == [None, 3.0]
    assert len(series.charted) == 1


# --- medications ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["<b>Letrozole</b> & co", "לטרוזול", "ليتروزول 2.5", "Tamoxifen &amp;"])
def test_medication_names_are_kept_as_typed(folder, name):
    med = create_medication(folder, name, dose="2.5 mg")
    assert health.get_medication(folder, med.id).name == name
    assert [m.name for m in health.list_medications(folder)] == [name]


def test_a_direction_override_is_dropped_but_the_letters_kept(folder):
    med = create_medication(folder, "\u202eabc לטרוזול")
    assert med.name == "abc לטרוזול"


def test_a_percentage_of_neutrophils_is_a_series_of_its_own(folder):
    add_lab_result(folder, "Neutrophils", "3.9", "2025-03-01", unit="x10E3/uL")
    add_lab_result(folder, "Neutrophils", "55", "2025-03-01", unit="%")
    count, share = lab_series(folder)
    assert (count.key, count.units, count.mixed_units) == ("neutrophils", ("x10E3/uL",), False)
    assert (share.key, share.group, share.units) == ("neutrophils-other", "other", ("%",))


def _med(**fields) -> health.MedicationData:
    base = dict(id=1, name="X", code="", dose="", route="", frequency="", instructions="", status="", start="",
                end="", source=Source(None, "", "", "", ""))
    base.update(fields)
    return health.MedicationData(**base)


@pytest.mark.parametrize(("status", "end", "current"), [
    ("", "", True),
    ("active", "", True),
    ("stopped", "", False),
    ("Completed", "", False),
    ("on-hold", "", False),
    ("", "2025-06-14", True),  # stops after today
    ("", "2025-06-10", False),  # stopped today
    ("", "2025-06-01", False),
    ("", "2025-07", True),  # known only to the month: taken until then
    ("", "2025-06", False),
    ("", "2026", True),
    ("", "2025", False),
    ("", "2025-06-14T10:00:00", True),
    ("", "soon", False),  # an end we cannot read is still an end
    ("active", "2025-01-01", False),
])
def test_is_current(status, end, current):
    assert is_current(_med(status=status, end=end), dt.date(2025, 6, 10)) is current


def test_medication_round_trip_and_partial_dates(folder):
    med = create_medication(folder, "Letrozole", dose="2.5 mg", route="By mouth", frequency="Once a day",
                            start="2025-06", reason="Hormone therapy", prescriber="Dr. Example",
                            instructions="With or without food")
    assert (med.origin, med.start, med.end, med.reason, med.prescriber) == ("hand", "2025-06", "", "Hormone therapy",
                                                                          "Dr. Example")
    changed = health.update_medication(folder, med.id, end="2026", status="stopped", dose="")
    assert (changed.end, changed.status, changed.dose, changed.name) == ("2026", "stopped", "", "Letrozole")
    assert health.get_medication(folder, med.id) == changed
    assert health.delete_medication(folder, med.id) == changed
    with pytest.raises(NotFoundError):
        health.get_medication(folder, med.id)
    with pytest.raises(NotFoundError):
        health.update_medication(folder, med.id, dose="1 mg")


@pytest.mark.parametrize(("fields", "field"), [
    ({"start": "2025-13"}, "start"), ({"start": "1850"}, "start"), ({"end": "next week"}, "end"),
    ({"start": "2025-06", "end": "2025-05"}, "end"), ({"start": "2025-06-10", "end": "2025-06-01"}, "end"),
    ({"route": "x" * 101}, "route"), ({"colour": "red"}, "colour"),
])
def test_medication_bad_fields_are_refused(folder, fields, field):
    with pytest.raises(ValidationError) as raised:
        create_medication(folder, "Letrozole", **fields)
    assert raised.value.field == field
    assert health.list_medications(folder) == []


@pytest.mark.parametrize(("start", "words"), [("2025-13", "not a date"), ("1850", "before 1900"),
                                            (str(TODAY.year + 3), "too far in the future")])
def test_partial_dates_say_what_is_wrong(folder, start, words):
    with pytest.raises(ValidationError, match=words):
        create_medication(folder, "Letrozole", start=start)


def test_medication_name_is_required(folder):
    with pytest.raises(ValidationError) as raised:
        create_medication(folder, "  ")
    assert raised.value.field == "name"
    med = create_medication(folder, "Tamoxifen")
    with pytest.raises(ValidationError):
        health.update_medication(folder, med.id, name="")
    assert health.get_medication(folder, med.id).name == "Tamoxifen"


def test_summary_puts_current_medications_first(folder):
    create_medication(folder, "Doxorubicin", start="2024-12-01", end="2025-02-15")
    create_medication(folder, "Letrozole", start="2025-06")
    create_medication(folder, "Ondansetron", start="2024-12-01", end="2025-02-15")
    create_medication(folder, "Vitamin D3")
    summary = health.health_summary(folder, dt.date(2025, 8, 1))
    assert [m.name for m in summary.current_medications] == ["Letrozole", "Vitamin D3"]
    assert [m.name for m in summary.past_medications] == ["Doxorubicin", "Ondansetron"]
    assert [m.name for m in summary.medications][:2] == ["Letrozole", "Vitamin D3"]
    assert health.has_medication_list(folder)


# --- allergies --------------------------------------------------------------------------------------------------


def test_allergy_round_trip(folder):
    allergy = create_allergy(folder, "Penicillin", reaction="Hives", severity="moderate", category="Allergy",
                             onset="1982")
    assert (allergy.category, allergy.onset, allergy.origin) == ("allergy", "1982", "hand")
    changed = health.update_allergy(folder, allergy.id, category="intolerance", reaction="Rash")
    assert (changed.category, changed.reaction, changed.substance) == ("intolerance", "Rash", "Penicillin")
    assert health.get_allergy(folder, allergy.id) == changed
    health.delete_allergy(folder, allergy.id)
    assert health.list_allergies(folder) == []
    with pytest.raises(NotFoundError):
        health.delete_allergy(folder, allergy.id)


@pytest.mark.parametrize(("substance", "fields", "field"), [
    ("", {}, "substance"), ("Latex", {"category": "phobia"}, "category"), ("Latex", {"onset": "2025-02-30"}, "onset"),
])
def test_allergy_bad_fields_are_refused(folder, substance, fields, field):
    with pytest.raises(ValidationError) as raised:
        create_allergy(folder, substance, **fields)
    assert raised.value.field == field


def test_allergy_with_markup_and_rtl_is_kept(folder):
    allergy = create_allergy(folder, "<i>פניצילין</i>", reaction="a & b")
    assert health.get_allergy(folder, allergy.id).substance == "<i>פניצילין</i>"


# --- lab results: edit, delete, imported rows ---------------------------------------------------------------------


def test_lab_result_round_trip(folder):
    result = add_lab_result(folder, "CEA", "1.9", "2025-03-02", unit="ng/mL", reference_range="0.0-3.0", flag="",
                            loinc="2039-6")
    changed = health.update_lab_result(folder, result.id, value="<0.5", observed_on="2025-03-01")
    assert (changed.value, changed.number, changed.observed_on, changed.observed_at) == (
        "<0.5", 0.5, dt.date(2025, 3, 1), "2025-03-01")
    assert changed.unit == "ng/mL" and changed.loinc == "2039-6"
    with pytest.raises(ValidationError):
        health.update_lab_result(folder, result.id, observed_on=None)
    assert health.get_lab_result(folder, result.id) == changed
    health.delete_lab_result(folder, result.id)
    with pytest.raises(NotFoundError):
        health.get_lab_result(folder, result.id)


def _imported(folder, record_id: int) -> tuple[int, int, int]:
    """A lab result, medication and allergy as a portal import stores them."""
    with folder.session() as session:
        common = dict(record_id=record_id, source_name="DOC0001.XML", sha256="ab" * 32, position="entry 3",
                      origin="import")
        lab = LabResultRow(test="Hemoglobin", loinc="718-7", value="13.2", number=13.2, unit="g/dL",
                           observed_at="2024-03-12T08:10", observed_on=dt.date(2024, 3, 12), status="final",
                           **common)
        med = MedicationRow(name="Letrozole", status="active", **common)
        allergy = AllergyRow(substance="Penicillin", **common)
        session.add_all([lab, med, allergy])
        session.flush()
        return lab.id, med.id, allergy.id


def test_editing_an_imported_row_keeps_its_source(folder):
    record = records.create_record(folder, "lab", "Visit summary")
    lab_id, med_id, allergy_id = _imported(folder, record.id)
    lab = health.update_lab_result(folder, lab_id, value="13.4", flag="N")
    med = health.update_medication(folder, med_id, dose="2.5 mg")
    allergy = health.update_allergy(folder, allergy_id, reaction="Hives")
    for row in (lab, med, allergy):
        assert row.origin == "import"
        assert (row.source.record_id, row.source.record_title, row.source.source_name, row.source.position) == (
            record.id, "Visit summary", "DOC0001.XML", "entry 3")
    assert lab.value == "13.4" and lab.number == 13.4 and lab.observed_at == "2024-03-12T08:10"
    assert health.source_words(lab.origin, lab.source.record_title, lab.source.source_name) == (
        "Imported from “Visit summary” (DOC0001.XML)")


def test_deleting_a_record_deletes_its_imported_rows_but_keeps_typed_ones_unlinked(folder):
    paper = records.create_record(folder, "lab", "CBC on paper")
    other = records.create_record(folder, "lab", "Another lab")
    _imported(folder, paper.id)
    typed = add_lab_result(folder, "Hgb", "12.9", "2025-01-05", unit="g/dL", record_id=paper.id)
    typed_med = create_medication(folder, "Vitamin D3", record_id=paper.id)
    typed_allergy = create_allergy(folder, "Codeine", record_id=paper.id)
    loose = add_lab_result(folder, "Hgb", "13.0", "2025-02-05", unit="g/dL")
    kept = add_lab_result(folder, "Hgb", "13.1", "2025-03-05", unit="g/dL", record_id=other.id)
    records.delete_record(folder, paper.id)
    labs = {r.id: r for r in health.list_lab_results(folder)}
    assert set(labs) == {typed.id, loose.id, kept.id}  # the imported hemoglobin went with its record
    assert labs[typed.id].source.record_id is None and labs[typed.id].value == "12.9"
    assert labs[kept.id].source.record_id == other.id
    assert [m.id for m in health.list_medications(folder)] == [typed_med.id]
    assert [a.id for a in health.list_allergies(folder)] == [typed_allergy.id]
    assert health.get_medication(folder, typed_med.id).source.record_id is None


def test_source_words():
    assert health.source_words("hand", "", "") == "Entered by hand"
    assert health.source_words("hand", "CBC", "") == "Entered by hand, from “CBC”"
    assert health.source_words("import", "Visit", "") == "Imported from “Visit”"
    assert health.source_words("import", "", "a.xml") == "Imported (a.xml)"
    assert health.source_words("import", "", "") == "Imported"
