"""Details of reading that cost a patient a value: decimal commas, narrative dates, cells spanning columns."""

from __future__ import annotations

import pytest
from helpers import ccda_samples as cs

from secondopinion_desktop.core.portal.ccda import loose_time, read_ccda
from secondopinion_desktop.core.portal.model import number_of


@pytest.mark.parametrize("text, number", [
    ("13.2", 13.2), ("-1", -1.0), ("1e3", 1000.0), ("1,200", 1200.0), ("12,500.5", 12500.5), (".5", 0.5),
    ("0,8", None), ("1,5", None), ("1_000", None), ("1,2345", None), ("<0.01", None), ("nan", None),
    ("inf", None), ("Positive", None),
])
def test_a_number_is_read_only_when_it_is_plain(text: str, number: float | None) -> None:
    assert number_of(text) == number


@pytest.mark.parametrize("text, iso", [
    ("2024-03-12 9:08 AM", "2024-03-12T09:08"), ("2024-03-12 9:08 PM", "2024-03-12T21:08"),
    ("03/12/24", "2024-03-12"), ("03/12/2024 10:05", "2024-03-12T10:05"), ("12.03.2024", "2024-03-12"),
    ("Mar 12, 2024", "2024-03-12"), ("12-Mar-2024 14:00", "2024-03-12T14:00"), ("03/12/99", "1999-03-12"),
    ("99/99/99", ""), ("soon", ""),
])
def test_narrative_times(text: str, iso: str) -> None:
    assert loose_time(text) == iso


def test_a_cell_spanning_columns_leaves_the_later_ones_in_their_place() -> None:
    table = ("<table><thead><tr><th>Test</th><th>Result</th><th>Units</th><th>Reference range</th><th>Flag</th>"
             "<th>Date</th></tr></thead><tbody>"
             "<tr><td>Platelets</td><td colspan=\"3\">Clumped, unable to count</td><td></td>"
             "<td>2024-03-12 9:08 AM</td></tr>"
             "<tr><td>Hemoglobin</td><td>13.2</td><td>g/dL</td><td>12.0-15.5</td><td></td>"
             "<td>2024-03-12 9:08 AM</td></tr></tbody></table>")
    body = cs.structured(cs.section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1", table))
    doc = read_ccda(cs.wrap(cs.header(), body), "DOC0001.XML").documents[0]
    results = {r.test: r for rep in doc.reports for r in rep.results}
    assert results["Platelets"].value == "Clumped, unable to count"
    assert results["Platelets"].flag == "" and results["Platelets"].when == "2024-03-12T09:08"
    assert results["Hemoglobin"].number == 13.2 and results["Hemoglobin"].when == "2024-03-12T09:08"


RESULTS = "2.16.840.1.113883.10.20.22.2.3.1"
PROBLEMS = "2.16.840.1.113883.10.20.22.2.5.1"
ALLERGIES = "2.16.840.1.113883.10.20.22.2.6.1"


def _obs(code: str, display: str, value: str, extra: str = "", when: str = "20130121133518") -> str:
    return (f'<component><observation classCode="OBS" moodCode="EVN">'
            f'<templateId root="2.16.840.1.113883.10.20.22.4.2"/>'
            f'<code code="{code}" codeSystem="2.16.840.1.113883.6.1" {display}/>'
            f'<statusCode code="completed"/><effectiveTime value="{when}"/>{value}{extra}</observation></component>')


def _organizer(code: str, *observations: str, when: str = "20130121133518") -> str:
    return (f'<entry><organizer classCode="BATTERY" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.1"/>'
            f'{code}<statusCode code="completed"/><effectiveTime value="{when}"/>{"".join(observations)}'
            f'</organizer></entry>')


def _doc(*sections: str) -> object:
    return read_ccda(cs.wrap(cs.header(), cs.structured(*sections)), "DOC0001.XML").documents[0]


def test_one_blood_draw_sent_one_organizer_per_test_is_one_report() -> None:
    """Greenway-like: each analyte in its own organizer with no panel code, all at the same time."""
    tests = [("718-7", "Hgb", "13.2"), ("4544-3", "Hct", "40"), ("6690-2", "WBC", "6.1"), ("777-3", "Plt", "250")]
    entries = "".join(_organizer('<code nullFlavor="NA"/>', _obs(c, f'displayName="{n}"',
                                                                f'<value xsi:type="PQ" value="{v}" unit="1"/>'))
                      for c, n, v in tests)
    later = _organizer('<code nullFlavor="NA"/>', _obs("718-7", 'displayName="Hgb"',
                                                      '<value xsi:type="PQ" value="12.9" unit="1"/>',
                                                      when="20130401090000"), when="20130401090000")
    doc = _doc(cs.section("Results", "30954-2", RESULTS, "<paragraph>labs</paragraph>", entries + later))
    assert [(r.title, r.when, [x.test for x in r.results]) for r in doc.reports] == [
        ("Test results", "2013-01-21T13:35", ["Hgb", "Hct", "WBC", "Plt"]),
        ("Test results", "2013-04-01T09:00", ["Hgb"])]


def test_values_that_are_absent_say_so_or_are_left_out() -> None:
    trace = _obs("5821-4", 'displayName="WBC, urine"', '<value xsi:type="ED" nullFlavor="TRC"/>',
                 '<interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/>')
    not_asked = _obs("8302-2", 'displayName="Height"', '<value xsi:type="PQ" nullFlavor="NASK"/>',
                     '<interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/>')
    positive = _obs("5196-1", 'displayName="Hepatitis B surface antigen"', '<value xsi:type="CD" nullFlavor="NI"/>',
                    '<interpretationCode code="POS" codeSystem="2.16.840.1.113883.5.83" displayName="Positive"/>')
    sodium = _obs("2951-2", 'displayName="NA"', '<value xsi:type="PQ" value="139" unit="mmol/L"/>')
    entries = _organizer('<code code="24323-8" codeSystem="2.16.840.1.113883.6.1" displayName="CMP"/>',
                         trace, not_asked, positive, sodium)
    doc = _doc(cs.section("Results", "30954-2", RESULTS, "<paragraph>labs</paragraph>", entries))
    got = [(r.test, r.value, r.flag) for rep in doc.reports for r in rep.results]
    assert got == [("WBC, urine", "Trace", "Normal"), ("Hepatitis B surface antigen", "Positive", ""),
                   ("NA", "139", "")]  # "NA" is sodium's display name here, not a null flavor
    assert [k.reason for k in doc.skipped] == ["it gives no value (not asked)"]


def test_problems_and_allergies_named_by_the_record_not_by_placeholders() -> None:
    narrative = ('<table><tbody><tr><td ID="problem11">Pneumonia</td></tr>'
                 '<tr><td ID="allergy1">Coded Allergy Name Not Available</td></tr></tbody></table>')
    problem = ('<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3"/>'
               '<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">'
               '<templateId root="2.16.840.1.113883.10.20.22.4.4"/><code code="55607006"/>'
               '<value xsi:type="ED"><reference value="#problem11"/></value></observation></entryRelationship>'
               '</act></entry>')
    episode = ('<entry><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.1.41"/>'
               '<code code="ASSERTION"/><value xsi:type="CD" code="404684003" displayName="Clinical finding"/>'
               '</observation></entry>')
    allergy = ('<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.30"/>'
               '<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">'
               '<templateId root="2.16.840.1.113883.10.20.22.4.7"/><code code="ASSERTION"/>'
               '<value xsi:type="CD" code="419511003" displayName="Propensity to adverse reactions to drug"/>'
               '<participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT">'
               '<code nullFlavor="UNK"><originalText><reference value="#allergy1"/></originalText></code>'
               '<name>LATEX STRAP</name></playingEntity></participantRole></participant>'
               '</observation></entryRelationship></act></entry>')
    doc = _doc(cs.section("Problems", "11450-4", PROBLEMS, narrative, problem + episode),
               cs.section("Allergies", "48765-2", ALLERGIES, "<paragraph>see above</paragraph>", allergy))
    assert [p.name for p in doc.problems] == ["Pneumonia"]
    assert [a.substance for a in doc.allergies] == ["LATEX STRAP"]


def test_the_records_own_words_name_a_test_before_a_terminologys_formal_name() -> None:
    potassium = _obs("6298-4", 'displayName="POTASSIUM:SCNC:PT:BLD:QN:"',
                     '<value xsi:type="PQ" value="4.1" unit="mmol/L"/>').replace(
        'displayName="POTASSIUM:SCNC:PT:BLD:QN:"/>',
        'displayName="POTASSIUM:SCNC:PT:BLD:QN:"><originalText>Potassium Level</originalText></code>')
    placeholder = _obs("2345-7", 'displayName="????"', '<value xsi:type="PQ" value="99" unit="mg/dL"/>')
    entries = _organizer('<code code="24323-8" codeSystem="2.16.840.1.113883.6.1" displayName="Chemistry"/>',
                         potassium, placeholder)
    doc = _doc(cs.section("Results", "30954-2", RESULTS, "<paragraph>labs</paragraph>", entries))
    assert [r.test for rep in doc.reports for r in rep.results] == ["Potassium Level", "LOINC 2345-7"]


def test_a_value_written_as_text_with_its_unit_and_a_document_dated_by_its_service() -> None:
    glucose = _obs("2345-7", 'displayName="Glucose"', '<value xsi:type="ST">155 MG/DL</value>')
    ratio = _obs("2160-0", 'displayName="Creatinine"', '<value xsi:type="ST">0,8 mg/dL</value>')
    entries = _organizer('<code code="24323-8" codeSystem="2.16.840.1.113883.6.1" displayName="Chemistry"/>',
                         glucose, ratio)
    data = cs.wrap(cs.header(), cs.structured(
        cs.section("Results", "30954-2", RESULTS, "<paragraph>labs</paragraph>", entries)))
    data = data.replace(b'<effectiveTime value="20240312103000-0500"/>', b'<effectiveTime value="-08"/>', 1)
    doc = read_ccda(data, "DOC0001.XML").documents[0]
    got = [(r.value, r.number, r.unit) for rep in doc.reports for r in rep.results]
    assert got == [("155", 155.0, "MG/DL"), ("0,8 mg/dL", None, "")]  # a decimal comma is never guessed at
    assert doc.when == "2024-03-12"  # the service event's time, the document's own being unreadable


def test_a_display_name_that_says_more_wins_and_an_allergy_is_never_named_after_its_reaction() -> None:
    narrative = ('<table><tbody><tr><td ID="med1">Metoprolol</td></tr>'
                 '<tr><td ID="reaction3">Hives</td></tr></tbody></table>')
    medication = ('<entry><substanceAdministration classCode="SBADM" moodCode="INT">'
                  '<templateId root="2.16.840.1.113883.10.20.22.4.16"/><consumable><manufacturedProduct>'
                  '<templateId root="2.16.840.1.113883.10.20.22.4.23"/><manufacturedMaterial>'
                  '<code code="866924" codeSystem="2.16.840.1.113883.6.88" displayName="Metoprolol 25 MG oral tablet">'
                  '<originalText><reference value="#med1"/></originalText></code>'
                  '</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>')
    allergy = ('<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.30"/>'
               '<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">'
               '<templateId root="2.16.840.1.113883.10.20.22.4.7"/><code code="ASSERTION"/>'
               '<value xsi:type="CD" code="419511003"/>'
               '<participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT">'
               '<code code="1191" codeSystem="2.16.840.1.113883.6.88" displayName="Aspirin">'
               '<originalText><reference value="#reaction3"/></originalText></code>'
               '</playingEntity></participantRole></participant>'
               '<entryRelationship typeCode="MFST" inversionInd="true"><observation classCode="OBS" moodCode="EVN">'
               '<templateId root="2.16.840.1.113883.10.20.22.4.9"/><code code="ASSERTION"/>'
               '<value xsi:type="CD" code="247472004" displayName="Hives"/></observation></entryRelationship>'
               '</observation></entryRelationship></act></entry>')
    doc = _doc(cs.section("Medications", "10160-0", "2.16.840.1.113883.10.20.22.2.1.1", narrative, medication),
               cs.section("Allergies", "48765-2", ALLERGIES, "<paragraph>-</paragraph>", allergy))
    assert [m.name for m in doc.medications] == ["Metoprolol 25 MG oral tablet"]
    assert [(a.substance, a.reaction) for a in doc.allergies] == [("Aspirin", "Hives")]
