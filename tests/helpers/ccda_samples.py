"""Synthetic C-CDA R2.1 documents for tests: a small builder of realistic XML (never real patients).

    from helpers.ccda_samples import ccd, Panel, Result
    data = ccd(patient_name="Alex Sample", birth="19700101", when="20240312",
               results=[Panel("Complete blood count", "58410-2", "20240312",
                              [Result("Hemoglobin", "718-7", "13.2", "g/dL", low="12.0", high="15.5")])])

Documents: ``ccd`` (results, medications, allergies, problems, procedures), ``discharge_summary``,
``pathology_report``, ``pdf_document`` (a nonXMLBody carrying a PDF), ``reference_document`` (a nonXMLBody that
only names an address); vendor quirks: ``epic_like`` (organizers whose names and values sit in the narrative,
pointed at by references), ``cerner_like`` (results only in the narrative table), ``allscripts_like`` (old
templateIds without extension, nullFlavor everywhere, missing codes), ``prefixed`` (every element prefixed),
``latin1`` (ISO-8859-1 encoded), ``broken_entry`` (one entry that cannot be read among good ones); hostile:
``billion_laughs``, ``external_entity``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

LOINC = "2.16.840.1.113883.6.1"
SNOMED = "2.16.840.1.113883.6.96"
ICD10CM = "2.16.840.1.113883.6.90"
RXNORM = "2.16.840.1.113883.6.88"
EXT = "2015-08-01"

# The smallest file a PDF reader accepts as a one-page PDF (enough for a test of what is carried).
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def a(value: str) -> str:
    """An attribute value, quoted and escaped."""
    return quoteattr(value)


def t(value: str) -> str:
    return escape(value)


def tid(root: str, extension: str | None = EXT) -> str:
    return f"<templateId root={a(root)}/>" + (f"<templateId root={a(root)} extension={a(extension)}/>"
                                                if extension else "")


@dataclass(frozen=True)
class Result:
    test: str
    loinc: str = ""
    value: str = ""
    unit: str = ""
    low: str = ""
    high: str = ""
    flag: str = ""  # H, L, HH, LL, A, N, AA
    when: str = ""
    kind: str = "PQ"  # PQ, ST, CD, IVL_PQ, INT, REAL, CO
    range_text: str = ""
    status: str = "completed"


@dataclass(frozen=True)
class Panel:
    name: str
    loinc: str = ""
    when: str = ""
    results: Sequence[Result] = ()


@dataclass(frozen=True)
class Med:
    name: str
    rxnorm: str = ""
    dose: str = ""
    unit: str = ""
    route: str = ""
    period: str = ""  # "12"
    period_unit: str = "h"
    start: str = ""
    end: str = ""
    status: str = "active"
    sig: str = ""
    as_needed: bool = False


@dataclass(frozen=True)
class AllergyItem:
    substance: str
    code: str = ""
    reaction: str = ""
    severity: str = ""
    status: str = "active"
    onset: str = ""


@dataclass(frozen=True)
class ProblemItem:
    name: str
    code: str = ""
    system: str = SNOMED
    onset: str = ""
    resolved: str = ""
    status: str = "active"
    stage: str = ""
    stage_code: str = "21908-9"


@dataclass(frozen=True)
class ProcedureItem:
    name: str
    code: str = ""
    when: str = ""


DEFAULT_RESULTS = (
    Panel("Complete blood count", "58410-2", "20240312", (
        Result("Hemoglobin", "718-7", "13.2", "g/dL", low="12.0", high="15.5", flag="N", when="20240312"),
        Result("Leukocytes", "6690-2", "11.8", "10*3/uL", low="4.0", high="11.0", flag="H", when="20240312"),
        Result("Platelets", "777-3", "250", "10*3/uL", low="150", high="400", when="20240312"),
    )),
    Panel("CA 15-3", "6875-9", "20240312", (
        Result("Cancer Ag 15-3", "6875-9", "45", "U/mL", high="30", flag="H", when="20240312"),
    )),
)
DEFAULT_MEDICATIONS = (
    Med("Anastrozole 1 MG Oral Tablet", "199224", "1", "", "Oral", "24", start="20240115", sig="Take one tablet daily"),
    Med("Ondansetron 4 MG Oral Tablet", "312086", "4", "mg", "Oral", "8", start="20240115", as_needed=True),
)
DEFAULT_ALLERGIES = (AllergyItem("Penicillin G", "7980", "Hives", "Moderate", onset="19950601"),)
DEFAULT_PROBLEMS = (
    ProblemItem("Malignant neoplasm of upper-outer quadrant of left female breast", "C50.412", ICD10CM,
                onset="20231120", stage="Stage IIA"),
    ProblemItem("Essential hypertension", "59621000", onset="20150301"),
)
DEFAULT_PROCEDURES = (ProcedureItem("Lumpectomy of left breast", "392021009", "20231215"),)


# --- header ----------------------------------------------------------------------------------------------------


def header(*, patient_name: str = "Alex Sample", birth: str = "19700101", sex: str = "F", mrn: str = "12345",
           authority: str = "Example Hospital", facility: str = "Example Hospital", author: str = "Dana Jones",
           author_suffix: str = "MD", when: str = "20240312", type_code: str = "34133-9",
           type_name: str = "Summarization of episode note", title: str = "Continuity of Care Document",
           document_template: str = "2.16.840.1.113883.10.20.22.1.2", null_everywhere: bool = False) -> str:
    given, _, family = patient_name.rpartition(" ")
    given_xml = "".join(f"<given>{t(g)}</given>" for g in given.split())
    name_xml = f"<name use=\"L\"><prefix>Ms.</prefix>{given_xml}<family>{t(family or given)}</family></name>"
    first, _, last = author.rpartition(" ")
    author_name = (f"<name><given>{t(first)}</given><family>{t(last)}</family>"
                   + (f"<suffix>{t(author_suffix)}</suffix>" if author_suffix else "") + "</name>")
    ssn = '<id root="2.16.840.1.113883.4.1" extension="999-99-9999"/>'
    if null_everywhere:
        gender = '<administrativeGenderCode nullFlavor="UNK"/>'
        code = '<code nullFlavor="UNK"/>'
        title_xml = ""
        custodian_org = '<name nullFlavor="UNK"/>'
        templates = f"<templateId root={a(document_template)}/>"
    else:
        gender = f'<administrativeGenderCode code={a(sex)} codeSystem="2.16.840.1.113883.5.1"/>'
        code = f"<code code={a(type_code)} codeSystem={a(LOINC)} displayName={a(type_name)}/>"
        title_xml = f"<title>{t(title)}</title>" if title else ""
        custodian_org = f"<name>{t(facility)}</name>"
        templates = tid(document_template)
    return f"""
  <realmCode code="US"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  {tid("2.16.840.1.113883.10.20.22.1.1")}
  {templates}
  <id root="2.16.840.1.113883.19.5.99999.1" extension="doc-{t(when)}"/>
  {code}
  {title_xml}
  <effectiveTime value={a(when + "103000-0500")}/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="en-US"/>
  <recordTarget><patientRole>
    <id root="2.16.840.1.113883.19.5.99999.2" extension={a(mrn)} assigningAuthorityName={a(authority)}/>
    {ssn}
    <addr use="HP"><streetAddressLine>1 Main St</streetAddressLine><city>Springfield</city></addr>
    <telecom use="HP" value="tel:+1-555-555-2003"/>
    <patient>{name_xml}{gender}<birthTime value={a(birth)}/>
      <raceCode nullFlavor="UNK"/><sdtc:raceCode code="2106-3" codeSystem="2.16.840.1.113883.6.238"/>
    </patient>
  </patientRole></recordTarget>
  <author><time value={a(when)}/><assignedAuthor><id root="2.16.840.1.113883.4.6" extension="1234567890"/>
    <assignedPerson>{author_name}</assignedPerson>
    <representedOrganization><name>{t(facility)} Oncology Clinic</name></representedOrganization>
  </assignedAuthor></author>
  <author><time value={a(when)}/><assignedAuthor><id nullFlavor="NA"/>
    <assignedAuthoringDevice><manufacturerModelName>EHR</manufacturerModelName><softwareName>EHR</softwareName>
    </assignedAuthoringDevice></assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><id root="2.16.840.1.113883.19.5"/>
    {custodian_org}</representedCustodianOrganization></assignedCustodian></custodian>
  <documentationOf><serviceEvent classCode="PCPR"><effectiveTime><low value={a(when)}/></effectiveTime>
    <performer typeCode="PRF"><assignedEntity><id nullFlavor="NI"/><assignedPerson><name><given>Robin</given>
    <family>Lee</family><suffix>DO</suffix></name></assignedPerson></assignedEntity></performer>
  </serviceEvent></documentationOf>"""


def wrap(head: str, body: str, *, prefix: str = "", encoding: str = "UTF-8") -> bytes:
    """A whole ClinicalDocument; ``prefix`` puts every HL7 element under that prefix (``v3:ClinicalDocument``)."""
    text = f"""<?xml version="1.0" encoding="{encoding}"?>
<?xml-stylesheet type="text/xsl" href="CDA.xsl"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:sdtc="urn:hl7-org:sdtc">{head}
  <component>{body}</component>
</ClinicalDocument>
"""
    if prefix:
        import re

        def prefixed_tag(m: re.Match[str]) -> str:
            slash, name = m.group(1), m.group(2)
            if ":" in name or name.startswith(("?", "!")):
                return m.group(0)
            return f"<{slash}{prefix}:{name}"

        text = re.sub(r"<(/?)([A-Za-z_][\w:.-]*)", prefixed_tag, text)
        text = text.replace('xmlns="urn:hl7-org:v3"', f'xmlns:{prefix}="urn:hl7-org:v3"')
    return text.encode(encoding)


def structured(*sections: str) -> str:
    return "<structuredBody>" + "".join(f"<component>{s}</component>" for s in sections) + "</structuredBody>"


def section(title: str, code: str, template: str | None, narrative: str, entries: str = "", *,
            extension: bool = True, subsections: Iterable[str] = ()) -> str:
    templates = tid(template, EXT if extension else None) if template else ""
    code_xml = f"<code code={a(code)} codeSystem={a(LOINC)}/>" if code else ""
    title_xml = f"<title>{t(title)}</title>" if title else ""
    subs = "".join(f"<component>{s}</component>" for s in subsections)
    return f"<section>{templates}{code_xml}{title_xml}<text>{narrative}</text>{entries}{subs}</section>"


# --- results ---------------------------------------------------------------------------------------------------


def _value(r: Result) -> str:
    if not r.value:
        return '<value xsi:type="PQ" nullFlavor="NI"/>'
    if r.kind == "PQ":
        return f'<value xsi:type="PQ" value={a(r.value)}' + (f" unit={a(r.unit)}" if r.unit else "") + "/>"
    if r.kind in ("INT", "REAL"):
        return f"<value xsi:type={a(r.kind)} value={a(r.value)}/>"
    if r.kind == "ST":
        return f'<value xsi:type="ST">{t(r.value)}</value>'
    if r.kind in ("CD", "CO"):
        return f'<value xsi:type={a(r.kind)} code="10828004" codeSystem={a(SNOMED)} displayName={a(r.value)}/>'
    if r.kind == "IVL_PQ":
        low, _, high = r.value.partition("-")
        return (f'<value xsi:type="IVL_PQ"><low value={a(low)} unit={a(r.unit)}/>'
                f'<high value={a(high)} unit={a(r.unit)}/></value>')
    raise ValueError(r.kind)


def _range(r: Result) -> str:
    if r.range_text:
        return f"<referenceRange><observationRange><text>{t(r.range_text)}</text></observationRange></referenceRange>"
    if not (r.low or r.high):
        return ""
    low = f"<low value={a(r.low)} unit={a(r.unit)}/>" if r.low else '<low nullFlavor="NINF"/>'
    high = f"<high value={a(r.high)} unit={a(r.unit)}/>" if r.high else '<high nullFlavor="PINF"/>'
    return (f'<referenceRange><observationRange><value xsi:type="IVL_PQ">{low}{high}</value>'
            '<interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/></observationRange></referenceRange>')


def result_observation(r: Result, *, extension: bool = True, ref: str = "") -> str:
    if ref:
        code = (f"<code nullFlavor=\"OTH\"><originalText><reference value=\"#{ref}\"/></originalText></code>")
    elif r.loinc:
        code = f"<code code={a(r.loinc)} codeSystem={a(LOINC)} displayName={a(r.test)}/>"
    else:
        code = f"<code nullFlavor=\"UNK\"><originalText>{t(r.test)}</originalText></code>"
    when = f"<effectiveTime value={a(r.when)}/>" if r.when else ""
    flag = (f"<interpretationCode code={a(r.flag)} codeSystem=\"2.16.840.1.113883.5.83\"/>" if r.flag else "")
    templates = tid("2.16.840.1.113883.10.20.22.4.2", EXT if extension else None)
    return (f'<observation classCode="OBS" moodCode="EVN">{templates}'
            f'<id root="1.2.3.4"/>{code}<statusCode code={a(r.status)}/>{when}{_value(r)}{flag}{_range(r)}'
            "</observation>")


def _range_words(r: Result) -> str:
    if r.range_text:
        return r.range_text
    if r.low and r.high:
        return f"{r.low}-{r.high} {r.unit}".strip()
    return f"<{r.high}" if r.high else (f">{r.low}" if r.low else "")


def results_table(panels: Sequence[Panel]) -> str:
    rows = "".join(
        f"<tr><td>{t(p.name)}: {t(r.test)}</td><td>{t(r.value)} {t(r.unit)}</td><td>{t(_range_words(r))}</td>"
        f"<td>{t(r.flag)}</td><td>{t(r.when or p.when)}</td></tr>"
        for p in panels for r in p.results)
    return ("<table border=\"1\"><thead><tr><th>Test</th><th>Result</th><th>Range</th><th>Flag</th><th>Date</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def results_section(panels: Sequence[Panel] = DEFAULT_RESULTS, loose: Sequence[Result] = (), *,
                    extension: bool = True, narrative: str | None = None) -> str:
    entries = ""
    for p in panels:
        code = (f"<code code={a(p.loinc)} codeSystem={a(LOINC)} displayName={a(p.name)}/>" if p.loinc else
                f"<code nullFlavor=\"UNK\"><originalText>{t(p.name)}</originalText></code>")
        when = f"<effectiveTime><low value={a(p.when)}/><high value={a(p.when)}/></effectiveTime>" if p.when else ""
        components = "".join(f"<component>{result_observation(r, extension=extension)}</component>"
                             for r in p.results)
        entries += (f'<entry typeCode="DRIV"><organizer classCode="BATTERY" moodCode="EVN">'
                    f'{tid("2.16.840.1.113883.10.20.22.4.1", EXT if extension else None)}<id root="1.2.3.5"/>{code}'
                    f'<statusCode code="completed"/>{when}{components}</organizer></entry>')
    for r in loose:
        entries += f'<entry typeCode="DRIV">{result_observation(r, extension=extension)}</entry>'
    return section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1",
                   results_table(panels) if narrative is None else narrative, entries, extension=extension)


# --- medications, allergies, problems, procedures --------------------------------------------------------------


def medication_entry(m: Med, *, extension: bool = True) -> str:
    ext = EXT if extension else None
    times = ""
    if m.start or m.end:
        low = f"<low value={a(m.start)}/>" if m.start else '<low nullFlavor="UNK"/>'
        high = f"<high value={a(m.end)}/>" if m.end else '<high nullFlavor="UNK"/>'
        times += f'<effectiveTime xsi:type="IVL_TS">{low}{high}</effectiveTime>'
    if m.period:
        times += (f'<effectiveTime xsi:type="PIVL_TS" institutionSpecified="false" operator="A">'
                  f"<period value={a(m.period)} unit={a(m.period_unit)}/></effectiveTime>")
    route = (f'<routeCode code="C38288" codeSystem="2.16.840.1.113883.3.26.1.1" displayName={a(m.route)}/>'
             if m.route else "")
    dose = (f"<doseQuantity value={a(m.dose)}" + (f" unit={a(m.unit)}" if m.unit else "") + "/>") if m.dose else ""
    unit_code = ('<administrationUnitCode code="C48542" codeSystem="2.16.840.1.113883.3.26.1.1" '
                 'displayName="Tablet"/>' if m.dose and not m.unit else "")
    sig = f"<text>{t(m.sig)}</text>" if m.sig else ""
    prn = ('<precondition typeCode="PRCN"><criterion><value xsi:type="CD" displayName="Nausea"/></criterion>'
           "</precondition>") if m.as_needed else ""
    code = (f"<code code={a(m.rxnorm)} codeSystem={a(RXNORM)} displayName={a(m.name)}/>" if m.rxnorm else
            f"<code nullFlavor=\"UNK\"><originalText>{t(m.name)}</originalText></code>")
    return (f'<entry typeCode="DRIV"><substanceAdministration classCode="SBADM" moodCode="EVN">'
            f'{tid("2.16.840.1.113883.10.20.22.4.16", ext)}<id root="1.2.3.6"/>{sig}'
            f"<statusCode code={a(m.status)}/>{times}{route}{dose}{unit_code}"
            f'<consumable><manufacturedProduct classCode="MANU">{tid("2.16.840.1.113883.10.20.22.4.23", ext)}'
            f"<manufacturedMaterial>{code}</manufacturedMaterial></manufacturedProduct></consumable>{prn}"
            "</substanceAdministration></entry>")


def medications_section(meds: Sequence[Med] = DEFAULT_MEDICATIONS, *, extension: bool = True) -> str:
    items = "".join(f"<item>{t(m.name)} {t(m.sig)}</item>" for m in meds)
    return section("Medications", "10160-0", "2.16.840.1.113883.10.20.22.2.1.1", f"<list>{items}</list>",
                   "".join(medication_entry(m, extension=extension) for m in meds), extension=extension)


def allergy_entry(x: AllergyItem, *, extension: bool = True) -> str:
    ext = EXT if extension else None
    reaction = ""
    if x.reaction:
        severity = (f'<entryRelationship typeCode="SUBJ" inversionInd="true"><observation classCode="OBS" '
                    f'moodCode="EVN">{tid("2.16.840.1.113883.10.20.22.4.8", ext)}<code code="SEV" '
                    f'codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/><value xsi:type="CD" '
                    f'code="6736007" codeSystem={a(SNOMED)} displayName={a(x.severity)}/></observation>'
                    "</entryRelationship>") if x.severity else ""
        reaction = (f'<entryRelationship typeCode="MFST" inversionInd="true"><observation classCode="OBS" '
                    f'moodCode="EVN">{tid("2.16.840.1.113883.10.20.22.4.9", ext)}<id root="1.2.3.8"/>'
                    f'<code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>'
                    f'<value xsi:type="CD" code="247472004" codeSystem={a(SNOMED)} displayName={a(x.reaction)}/>'
                    f"{severity}</observation></entryRelationship>")
    onset = f"<effectiveTime><low value={a(x.onset)}/></effectiveTime>" if x.onset else \
        '<effectiveTime><low nullFlavor="UNK"/></effectiveTime>'
    code = (f"<code code={a(x.code)} codeSystem={a(RXNORM)} displayName={a(x.substance)}/>" if x.code else
            f"<code nullFlavor=\"UNK\"><originalText>{t(x.substance)}</originalText></code>")
    return (f'<entry typeCode="DRIV"><act classCode="ACT" moodCode="EVN">{tid("2.16.840.1.113883.10.20.22.4.30", ext)}'
            f'<id root="1.2.3.9"/><code code="CONC" codeSystem="2.16.840.1.113883.5.6"/>'
            f"<statusCode code={a('active' if x.status == 'active' else 'completed')}/>"
            f'<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">'
            f'{tid("2.16.840.1.113883.10.20.22.4.7", ext)}<id root="1.2.3.10"/>'
            f'<code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>{onset}'
            f'<value xsi:type="CD" code="419511003" codeSystem={a(SNOMED)} '
            f'displayName="Propensity to adverse reactions to drug"/>'
            f'<participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT">{code}'
            f"</playingEntity></participantRole></participant>{reaction}</observation></entryRelationship>"
            "</act></entry>")


def allergies_section(items: Sequence[AllergyItem] = DEFAULT_ALLERGIES, *, extension: bool = True) -> str:
    rows = "".join(f"<tr><td>{t(x.substance)}</td><td>{t(x.reaction)}</td><td>{t(x.severity)}</td></tr>"
                   for x in items)
    table = ("<table><thead><tr><th>Substance</th><th>Reaction</th><th>Severity</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>")
    return section("Allergies", "48765-2", "2.16.840.1.113883.10.20.22.2.6.1", table,
                   "".join(allergy_entry(x, extension=extension) for x in items), extension=extension)


def problem_entry(p: ProblemItem, *, extension: bool = True) -> str:
    ext = EXT if extension else None
    low = f"<low value={a(p.onset)}/>" if p.onset else '<low nullFlavor="UNK"/>'
    high = f"<high value={a(p.resolved)}/>" if p.resolved else ""
    stage = ""
    if p.stage:
        stage = (f'<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">'
                 f"<code code={a(p.stage_code)} codeSystem={a(LOINC)} displayName=\"Stage group.clinical Cancer\"/>"
                 f'<statusCode code="completed"/><value xsi:type="CD" code="261614003" codeSystem={a(SNOMED)} '
                 f"displayName={a(p.stage)}/></observation></entryRelationship>")
    value = (f'<value xsi:type="CD" code={a(p.code)} codeSystem={a(p.system)} displayName={a(p.name)}/>' if p.code
             else f'<value xsi:type="CD" nullFlavor="UNK"><originalText>{t(p.name)}</originalText></value>')
    status = "active" if p.status == "active" else "completed"
    return (f'<entry typeCode="DRIV"><act classCode="ACT" moodCode="EVN">{tid("2.16.840.1.113883.10.20.22.4.3", ext)}'
            f'<id root="1.2.3.11"/><code code="CONC" codeSystem="2.16.840.1.113883.5.6"/>'
            f"<statusCode code={a(status)}/><effectiveTime>{low}</effectiveTime>"
            f'<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">'
            f'{tid("2.16.840.1.113883.10.20.22.4.4", ext)}<id root="1.2.3.12"/>'
            f'<code code="55607006" codeSystem={a(SNOMED)} displayName="Problem"/><statusCode code="completed"/>'
            f"<effectiveTime>{low}{high}</effectiveTime>{value}{stage}</observation></entryRelationship>"
            "</act></entry>")


def problems_section(items: Sequence[ProblemItem] = DEFAULT_PROBLEMS, *, extension: bool = True) -> str:
    items_xml = "".join(f"<item>{t(p.name)}</item>" for p in items)
    return section("Problems", "11450-4", "2.16.840.1.113883.10.20.22.2.5.1", f"<list>{items_xml}</list>",
                   "".join(problem_entry(p, extension=extension) for p in items), extension=extension)


def procedures_section(items: Sequence[ProcedureItem] = DEFAULT_PROCEDURES) -> str:
    rows = "".join(f"<tr><td>{t(p.name)}</td><td>{t(p.when)}</td></tr>" for p in items)
    entries = "".join(
        f'<entry><procedure classCode="PROC" moodCode="EVN">{tid("2.16.840.1.113883.10.20.22.4.14")}'
        f"<code code={a(p.code)} codeSystem={a(SNOMED)} displayName={a(p.name)}/><statusCode code=\"completed\"/>"
        f"<effectiveTime value={a(p.when)}/></procedure></entry>" for p in items)
    return section("Procedures", "47519-4", "2.16.840.1.113883.10.20.22.2.7.1",
                   f"<table><thead><tr><th>Procedure</th><th>Date</th></tr></thead><tbody>{rows}</tbody></table>",
                   entries)


def note_section(title: str, code: str, template: str | None, *paragraphs: str) -> str:
    return section(title, code, template, "".join(f"<paragraph>{t(p)}</paragraph>" for p in paragraphs))


# --- documents -------------------------------------------------------------------------------------------------


def ccd(*, patient_name: str = "Alex Sample", birth: str = "19700101", when: str = "20240312",
        results: Sequence[Panel] | None = DEFAULT_RESULTS, loose_results: Sequence[Result] = (),
        medications: Sequence[Med] | None = DEFAULT_MEDICATIONS,
        allergies: Sequence[AllergyItem] | None = DEFAULT_ALLERGIES,
        problems: Sequence[ProblemItem] | None = DEFAULT_PROBLEMS,
        procedures: Sequence[ProcedureItem] | None = DEFAULT_PROCEDURES,
        extra_sections: Sequence[str] = (), facility: str = "Example Hospital", mrn: str = "12345",
        **header_options: str) -> bytes:
    """A continuity-of-care document (CCD) with the given results, medications, allergies, problems and
    procedures (``None`` leaves a section out)."""
    sections = []
    if allergies is not None:
        sections.append(allergies_section(allergies))
    if medications is not None:
        sections.append(medications_section(medications))
    if problems is not None:
        sections.append(problems_section(problems))
    if procedures is not None:
        sections.append(procedures_section(procedures))
    if results is not None or loose_results:
        sections.append(results_section(results or (), loose_results))
    sections.extend(extra_sections)
    head = header(patient_name=patient_name, birth=birth, when=when, facility=facility, mrn=mrn,
                  **header_options)  # type: ignore[arg-type]
    return wrap(head, structured(*sections))


def _unwrapped(entry: str) -> str:
    """An entry's content without its ``<entry>`` element (to nest it in another act)."""
    return entry[entry.index(">") + 1:-len("</entry>")]


def discharge_summary(*, patient_name: str = "Alex Sample", birth: str = "19700101", when: str = "20240320",
                      **options: object) -> bytes:
    sections = [
        note_section("Hospital Course", "8648-8", "1.3.6.1.4.1.19376.1.5.3.1.3.5",
                     "Admitted for neutropenic fever after cycle 2.", "Treated with antibiotics; afebrile by day 3."),
        section("Discharge Diagnosis", "11535-2", "2.16.840.1.113883.10.20.22.2.24", "<list><item>Neutropenic fever"
                "</item></list>", problem_entry(ProblemItem("Neutropenic fever", "409089005", onset="20240317",
                                                            resolved="20240320", status="resolved"))),
        section("Discharge Medications", "10183-2", "2.16.840.1.113883.10.20.22.2.11.1",
                "<paragraph>Levofloxacin 500 mg daily for 7 days</paragraph>",
                '<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.35"/>'
                '<code code="10183-2" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="active"/>'
                '<entryRelationship typeCode="SUBJ">'
                + _unwrapped(medication_entry(Med("Levofloxacin 500 MG Oral Tablet", "311296", "500", "mg", "Oral",
                                                  "1", "d", start="20240320", end="20240327")))
                + "</entryRelationship></act></entry>"),
        note_section("Discharge Instructions", "8653-8", None, "Call the oncology clinic for a temperature over 38 C."),
    ]
    head = header(patient_name=patient_name, birth=birth, when=when, type_code="18842-5",
                  type_name="Discharge summary", title="Discharge Summary",
                  document_template="2.16.840.1.113883.10.20.22.1.8", **options)  # type: ignore[arg-type]
    return wrap(head, structured(*sections))


def pathology_report(*, patient_name: str = "Alex Sample", birth: str = "19700101", when: str = "20231122",
                     **options: object) -> bytes:
    sections = [
        note_section("Clinical History", "22636-5", None, "Left breast mass, 2 o'clock, 2.1 cm on ultrasound."),
        note_section("Gross Description", "22634-0", None, "Received in formalin: three cores, 1.2 to 1.8 cm."),
        note_section("Microscopic Description", "22635-7", None, "Invasive ductal carcinoma, Nottingham grade 2."),
        section("Final Diagnosis", "22637-3", None,
                "<list><item>Invasive ductal carcinoma, grade 2</item><item>ER positive (95%), PR positive (60%), "
                "HER2 negative (1+)</item></list>"),
    ]
    head = header(patient_name=patient_name, birth=birth, when=when, type_code="11526-1",
                  type_name="Pathology study", title="Surgical Pathology Report",
                  document_template="2.16.840.1.113883.10.20.22.1.1", **options)  # type: ignore[arg-type]
    return wrap(head, structured(*sections))


def pdf_document(pdf: bytes = MINIMAL_PDF, *, media_type: str = "application/pdf",
                 title: str = "Radiology Report", type_code: str = "18748-4", when: str = "20240301",
                 patient_name: str = "Alex Sample", birth: str = "19700101") -> bytes:
    import base64

    encoded = base64.encodebytes(pdf).decode("ascii")
    head = header(patient_name=patient_name, birth=birth, when=when, type_code=type_code,
                  type_name="Diagnostic imaging study", title=title,
                  document_template="2.16.840.1.113883.10.20.22.1.10")
    return wrap(head, f'<nonXMLBody><text mediaType={a(media_type)} representation="B64">{encoded}</text></nonXMLBody>')


def reference_document(url: str = "https://portal.example.org/documents/123.pdf") -> bytes:
    head = header(type_code="11506-3", type_name="Progress note", title="Progress Note",
                  document_template="2.16.840.1.113883.10.20.22.1.10")
    return wrap(head, f'<nonXMLBody><text mediaType="application/pdf"><reference value={a(url)}/></text></nonXMLBody>')


# --- vendor quirks ---------------------------------------------------------------------------------------------


def epic_like() -> bytes:
    """Results in organizers whose test names and values sit in the narrative (references by ID), a
    component table per panel, results sections nested in one another, and a notes section."""
    narrative = (
        '<list><item><caption>Basic metabolic panel - Final result (03/12/2024 8:05 AM CDT)</caption>'
        '<table><thead><tr><th>Component</th><th>Value</th><th>Ref Range</th><th>Performed At</th></tr></thead>'
        '<tbody>'
        '<tr ID="res1"><td ID="res1name">Sodium</td><td ID="res1val">139</td><td>135 - 145 mmol/L</td>'
        '<td>EXAMPLE LAB</td></tr>'
        '<tr ID="res2"><td ID="res2name">Glucose</td><td ID="res2val">182 (H)</td><td ID="res2range">70 - 99 mg/dL'
        '</td><td>EXAMPLE LAB</td></tr>'
        '</tbody></table></item></list>'
    )
    entries = (
        '<entry><organizer classCode="BATTERY" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.1"/>'
        '<templateId root="2.16.840.1.113883.10.20.22.4.1" extension="2015-08-01"/><id root="1.2.840.114350"/>'
        '<code code="80048" codeSystem="2.16.840.1.113883.6.12" displayName="BASIC METABOLIC PANEL">'
        '<originalText>Basic metabolic panel</originalText></code><statusCode code="completed"/>'
        '<effectiveTime><low value="20240312080500-0500"/><high value="20240312080500-0500"/></effectiveTime>'
        '<component><observation classCode="OBS" moodCode="EVN">'
        '<templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/><id root="1.2.840.114350.1"/>'
        '<code code="2951-2" codeSystem="2.16.840.1.113883.6.1"><originalText><reference value="#res1name"/>'
        '</originalText></code><text><reference value="#res1"/></text><statusCode code="completed"/>'
        '<effectiveTime value="20240312080500-0500"/><value xsi:type="PQ" value="139" unit="mmol/L"/>'
        '<referenceRange><observationRange><text>135 - 145 mmol/L</text></observationRange></referenceRange>'
        '</observation></component>'
        '<component><observation classCode="OBS" moodCode="EVN">'
        '<templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/><id root="1.2.840.114350.2"/>'
        '<code nullFlavor="UNK"><originalText><reference value="#res2name"/></originalText></code>'
        '<statusCode code="completed"/><effectiveTime value="20240312080500-0500"/>'
        '<value xsi:type="ST"><reference value="#res2val"/>182 (H)</value>'
        '<interpretationCode code="H" codeSystem="2.16.840.1.113883.5.83"/>'
        '<referenceRange><observationRange><text><reference value="#res2range"/></text></observationRange>'
        '</referenceRange></observation></component>'
        '</organizer></entry>'
    )
    results = section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1", narrative, entries)
    notes = section("Progress Notes", "11506-3", "2.16.840.1.113883.10.20.22.2.65",
                    '<paragraph><content styleCode="Bold">Assessment:</content> Tolerating therapy.<br/>'
                    "Plan: continue.</paragraph>")
    head = header(title="Continuity of Care Document")
    return wrap(head, structured(results, medications_section(), notes))


def cerner_like() -> bytes:
    """Results only in the narrative table (no entries), with a heading row per panel and units in the value."""
    narrative = (
        "<table><thead><tr><th>Result Type</th><th>Result</th><th>Reference Range</th><th>Abnormal Flag</th>"
        "<th>Date</th></tr></thead><tbody>"
        "<tr><td>Complete Blood Count</td><td/><td/><td/><td/></tr>"
        "<tr><td>Hemoglobin</td><td>10.1 g/dL</td><td>12.0-15.5</td><td>L</td><td>03/12/2024 09:15</td></tr>"
        "<tr><td>WBC</td><td>2.1 x10(3)/mcL</td><td>4.0-11.0</td><td>L</td><td>03/12/2024 09:15</td></tr>"
        "<tr><td>Tumor Markers</td><td/><td/><td/><td/></tr>"
        "<tr><td>CEA</td><td>3.1 ng/mL</td><td>&lt;5.0</td><td/><td>Mar 14, 2024</td></tr>"
        "</tbody></table>"
    )
    results = section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1", narrative)
    return wrap(header(facility="Example Regional Medical Center"),
                structured(results, allergies_section()))


def allscripts_like() -> bytes:
    """Old templateIds without extension, nullFlavor everywhere, missing codes, empty sections."""
    results = results_section(
        [Panel("Lipid Panel", "", "20240105", (
            Result("Cholesterol", "", "212", "mg/dL", high="200", flag="H", when="20240105"),
            Result("HDL", "2085-9", "", "mg/dL", when="20240105"),  # value nullFlavor
        ))],
        extension=False,
    )
    meds = medications_section([Med("Metformin 500 mg tablet", "", "500", "mg", "", "12", start="20200101"),
                                Med("Lisinopril", "", "", "", "", "", status="completed")], extension=False)
    problems = problems_section([ProblemItem("Type 2 diabetes mellitus"), ProblemItem("Hyperlipidemia", "55822004")],
                                extension=False)
    empty = ('<section nullFlavor="NI"><templateId root="2.16.840.1.113883.10.20.22.2.7.1"/>'
             '<code code="47519-4" codeSystem="2.16.840.1.113883.6.1"/><title>Procedures</title>'
             "<text/></section>")
    unknown = section("Custom Vendor Section", "", "1.2.3.4.5.6.7", "<paragraph>Vendor text UNK</paragraph>")
    head = header(null_everywhere=True, document_template="2.16.840.1.113883.10.20.22.1.2")
    return wrap(head, structured(results, meds, problems, empty, unknown))


def prefixed(prefix: str = "v3") -> bytes:
    """The whole document with every HL7 element under a prefix (``<v3:ClinicalDocument xmlns:v3=…>``)."""
    head = header()
    return wrap(head, structured(results_section(), problems_section()), prefix=prefix)


def latin1(patient_name: str = "Zoë Müller") -> bytes:
    head = header(patient_name=patient_name, facility="Clínica São José")
    body = structured(note_section("Assessment", "51848-0", "2.16.840.1.113883.10.20.22.2.8",
                                   "Résumé: état général satisfaisant, 37,5 °C."))
    return wrap(head, body, encoding="ISO-8859-1")


def broken_entry() -> bytes:
    """A medications section whose second entry names no medicine and third has a value that breaks reading."""
    good = medication_entry(Med("Tamoxifen 20 MG Oral Tablet", "198240", "20", "mg", "Oral", "24",
                                start="20230101"))
    nameless = ('<entry><substanceAdministration classCode="SBADM" moodCode="EVN"><statusCode code="active"/>'
                "<consumable><manufacturedProduct><manufacturedMaterial><code nullFlavor=\"UNK\"/>"
                "</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>")
    odd = ('<entry><substanceAdministration classCode="SBADM" moodCode="EVN"><statusCode code="active"/>'
           '<effectiveTime xsi:type="PIVL_TS"><period value="not-a-number" unit="h"/></effectiveTime>'
           "<consumable><manufacturedProduct><manufacturedMaterial><code code=\"5640\" "
           f"codeSystem={a(RXNORM)} displayName=\"Ibuprofen\"/></manufacturedMaterial></manufacturedProduct>"
           "</consumable></substanceAdministration></entry>")
    meds = section("Medications", "10160-0", "2.16.840.1.113883.10.20.22.2.1.1", "<paragraph>Medications</paragraph>",
                   good + nameless + odd)
    return wrap(header(), structured(meds, problems_section()))


# --- hostile ---------------------------------------------------------------------------------------------------


def billion_laughs() -> bytes:
    lines = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        inner = f"&lol{i - 1};" if i > 1 else "&lol;"
        lines.append(f'<!ENTITY lol{i} "{inner * 10}">')
    return ('<?xml version="1.0"?>\n<!DOCTYPE ClinicalDocument [\n' + "\n".join(lines) + "\n]>\n"
            '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>').encode()


def external_entity(target: str = "file:///etc/passwd") -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "{target}">]>\n'
            '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>').encode()
