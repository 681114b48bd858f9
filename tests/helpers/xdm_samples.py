"""Synthetic portal downloads for tests and the benchmark: small C-CDA documents (made-up people, made-up values)
and the zips and folders portals pack them in (IHE XDM with METADATA.XML, a plain zip, a folder).

    doc = ccda(results=[Result("Hemoglobin", "718-7", "13.2", "g/dL", "20240312")], when="20240312")
    write_xdm(tmp_path / "HealthSummary.zip", {"DOC0001.XML": doc})
    visits(5)  # five visit documents, each repeating the results of the ones before it plus a few new
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HL7 = "urn:hl7-org:v3"
RESULTS_SECTION = "2.16.840.1.113883.10.20.22.2.3.1"
MEDICATIONS_SECTION = "2.16.840.1.113883.10.20.22.2.1.1"
NOTES_SECTION = "2.16.840.1.113883.10.20.22.2.65"


@dataclass(frozen=True)
class Result:
    test: str
    loinc: str
    value: str
    unit: str
    when: str  # HL7 time, "20240312" or "202403121005"
    low: str = ""
    high: str = ""
    panel: str = "Complete blood count"


@dataclass(frozen=True)
class Med:
    name: str
    rxnorm: str = ""
    dose: str = ""
    unit: str = "mg"
    start: str = ""


@dataclass(frozen=True)
class Person:
    given: str = "Alex"
    family: str = "Sample"
    birth: str = "19700312"  # HL7 date; "" for none
    mrn: str = "12345"

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}".strip()


ALEX = Person()
JORDAN = Person("Jordan", "Other", "19811104", "99999")
NOBODY = Person("", "", "", "")


@dataclass(frozen=True)
class Visit:
    when: str  # HL7 time of the document
    title: str = "Summary of visit"
    results: tuple[Result, ...] = ()
    medications: tuple[Med, ...] = ()
    note: str = ""
    facility: str = "Example Cancer Center"
    extra: Sequence[str] = field(default_factory=tuple)  # more narrative paragraphs (to make documents larger)


def ccda(visit: Visit | None = None, *, patient: Person = ALEX, doc_id: str = "1") -> bytes:
    """A small C-CDA R2.1 continuity-of-care document with a results section (organizers by panel and day),
    a medications section and a notes section."""
    visit = visit or Visit("20240312")
    p = patient
    name = ""
    if p.given or p.family:
        name = f"<name><given>{escape(p.given)}</given><family>{escape(p.family)}</family></name>"
    birth = f'<birthTime value="{p.birth}"/>' if p.birth else '<birthTime nullFlavor="UNK"/>'
    sections = [_results_section(visit.results)] if visit.results else []
    if visit.medications:
        sections.append(_medications_section(visit.medications))
    if visit.note or visit.extra:
        paragraphs = "".join(f"<paragraph>{escape(t)}</paragraph>" for t in (visit.note, *visit.extra) if t)
        sections.append(
            f'<component><section><templateId root="{NOTES_SECTION}"/>'
            f'<code code="11506-3" codeSystem="2.16.840.1.113883.6.1" displayName="Progress note"/>'
            f"<title>Progress notes</title><text>{paragraphs}</text></section></component>"
        )
    body = "".join(sections) or (
        '<component><section><code code="29299-5" codeSystem="2.16.840.1.113883.6.1"/><title>Reason for visit'
        "</title><text><paragraph>Follow-up.</paragraph></text></section></component>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<?xml-stylesheet type="text/xsl" href="CDA.xsl"?>\n'
        f'<ClinicalDocument xmlns="{HL7}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<realmCode code="US"/><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>'
        '<templateId root="2.16.840.1.113883.10.20.22.1.1" extension="2015-08-01"/>'
        '<templateId root="2.16.840.1.113883.10.20.22.1.2" extension="2015-08-01"/>'
        f'<id root="2.16.840.1.113883.19.5" extension="doc-{escape(doc_id)}"/>'
        '<code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summarization of Episode Note"/>'
        f"<title>{escape(visit.title)}</title>"
        f'<effectiveTime value="{visit.when}"/>'
        '<confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/><languageCode code="en-US"/>'
        "<recordTarget><patientRole>"
        f'<id root="2.16.840.1.113883.19.5.99999.2" extension="{escape(p.mrn)}"/>'
        f"<patient>{name}"
        '<administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>'
        f"{birth}</patient></patientRole></recordTarget>"
        f'<author><time value="{visit.when}"/><assignedAuthor><id root="2.16.840.1.113883.4.6" extension="111"/>'
        "<assignedPerson><name><prefix>Dr</prefix><given>Dana</given><family>Jones</family></name>"
        "</assignedPerson></assignedAuthor></author>"
        "<custodian><assignedCustodian><representedCustodianOrganization>"
        f'<id root="2.16.840.1.113883.19.5"/><name>{escape(visit.facility)}</name>'
        "</representedCustodianOrganization></assignedCustodian></custodian>"
        f"<component><structuredBody>{body}</structuredBody></component>"
        "</ClinicalDocument>\n"
    ).encode()


def _results_section(results: Iterable[Result]) -> str:
    by_panel: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        by_panel.setdefault((r.panel, r.when), []).append(r)
    rows = []
    entries = []
    for n, ((panel, when), items) in enumerate(by_panel.items(), start=1):
        components = []
        for m, r in enumerate(items, start=1):
            rows.append(f"<tr><td>{escape(r.test)}</td><td>{escape(r.value)} {escape(r.unit)}</td>"
                        f"<td>{escape(r.when)}</td></tr>")
            value = (f'<value xsi:type="PQ" value={quoteattr(r.value)} unit={quoteattr(r.unit)}/>'
                     if _is_number(r.value) else f"<value xsi:type=\"ST\">{escape(r.value)}</value>")
            ref = ""
            if r.low or r.high:
                ref = ('<referenceRange><observationRange><value xsi:type="IVL_PQ">'
                       f'<low value="{r.low}" unit={quoteattr(r.unit)}/><high value="{r.high}" '
                       f"unit={quoteattr(r.unit)}/></value></observationRange></referenceRange>")
            components.append(
                '<component><observation classCode="OBS" moodCode="EVN">'
                '<templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/>'
                f'<id root="1.2.3.4" extension="obs-{n}-{m}"/>'
                f'<code code="{r.loinc}" codeSystem="2.16.840.1.113883.6.1" displayName={quoteattr(r.test)}/>'
                f'<statusCode code="completed"/><effectiveTime value="{r.when}"/>{value}'
                '<interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/>'
                f"{ref}</observation></component>"
            )
        entries.append(
            '<entry typeCode="DRIV"><organizer classCode="BATTERY" moodCode="EVN">'
            '<templateId root="2.16.840.1.113883.10.20.22.4.1" extension="2015-08-01"/>'
            f'<id root="1.2.3.4" extension="org-{n}"/>'
            f'<code code="58410-2" codeSystem="2.16.840.1.113883.6.1" displayName={quoteattr(panel)}/>'
            f'<statusCode code="completed"/><effectiveTime value="{when}"/>{"".join(components)}'
            "</organizer></entry>"
        )
    return (
        f'<component><section><templateId root="{RESULTS_SECTION}" extension="2015-08-01"/>'
        '<code code="30954-2" codeSystem="2.16.840.1.113883.6.1" displayName="Relevant diagnostic tests"/>'
        "<title>Results</title><text><table><thead><tr><th>Test</th><th>Value</th><th>Date</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></text>{''.join(entries)}</section></component>"
    )


def _medications_section(meds: Iterable[Med]) -> str:
    items = []
    entries = []
    for n, med in enumerate(meds, start=1):
        items.append(f"<item>{escape(med.name)} {escape(med.dose)} {escape(med.unit)}</item>")
        dose = f'<doseQuantity value="{med.dose}" unit={quoteattr(med.unit)}/>' if med.dose else ""
        start = f'<effectiveTime xsi:type="IVL_TS"><low value="{med.start}"/></effectiveTime>' if med.start else ""
        entries.append(
            '<entry typeCode="DRIV"><substanceAdministration classCode="SBADM" moodCode="EVN">'
            '<templateId root="2.16.840.1.113883.10.20.22.4.16" extension="2014-06-09"/>'
            f'<id root="1.2.3.5" extension="med-{n}"/><statusCode code="active"/>{start}{dose}'
            "<consumable><manufacturedProduct><templateId root=\"2.16.840.1.113883.10.20.22.4.23\"/>"
            "<manufacturedMaterial>"
            f'<code code="{med.rxnorm}" codeSystem="2.16.840.1.113883.6.88" displayName={quoteattr(med.name)}/>'
            "</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>"
        )
    return (
        f'<component><section><templateId root="{MEDICATIONS_SECTION}" extension="2014-06-09"/>'
        '<code code="10160-0" codeSystem="2.16.840.1.113883.6.1"/><title>Medications</title>'
        f"<text><list>{''.join(items)}</list></text>{''.join(entries)}</section></component>"
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


# --- visit by visit -------------------------------------------------------------------------------------------

TESTS = (("Hemoglobin", "718-7", "g/dL"), ("White blood cells", "6690-2", "10*3/uL"),
         ("Platelets", "777-3", "10*3/uL"), ("CA 15-3", "6875-9", "U/mL"), ("Creatinine", "2160-0", "mg/dL"))


def visits(count: int, *, new_per_visit: int = 3, patient: Person = ALEX, note_words: int = 0,
           start_year: int = 2023) -> list[bytes]:
    """``count`` visit documents, oldest first: visit k gives ``new_per_visit`` new results on its own day and
    repeats every result of the visits before it (as portals' visit-by-visit downloads do), with the same
    medications and the same note in each."""
    docs = []
    results: list[Result] = []
    meds = (Med("Letrozole 2.5 MG Oral Tablet", "200064", "2.5", "mg", "20230105"),
            Med("Ondansetron 8 MG Oral Tablet", "312087", "8", "mg", "20230105"))
    filler = (" ".join(f"word{j % 997}" for j in range(note_words)),) if note_words else ()
    for k in range(count):
        day = _day(start_year, k)
        for j in range(new_per_visit):
            test, loinc, unit = TESTS[j % len(TESTS)]
            results.append(Result(test, loinc, f"{10 + (k * 7 + j) % 50 / 10:.1f}", unit, day + "0930",
                                  low="1.0", high="20.0", panel=f"Panel {j // len(TESTS) + 1}"))
        docs.append(ccda(Visit(day + "1000", title="Summary of visit", results=tuple(results), medications=meds,
                               note="Seen in clinic; plan unchanged.", extra=filler), patient=patient,
                         doc_id=f"visit-{k + 1}"))
    return docs


def _day(start_year: int, k: int) -> str:
    import datetime as dt

    day = dt.date(start_year, 1, 2) + dt.timedelta(days=3 * k)
    return day.strftime("%Y%m%d")


# --- packing --------------------------------------------------------------------------------------------------


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def metadata_xml(documents: Mapping[str, bytes], *, patient: Person | None = ALEX,
                 titles: Mapping[str, str] | None = None, wrong_hash: Iterable[str] = (),
                 wrong_size: Iterable[str] = (), missing: Iterable[str] = ()) -> bytes:
    """An XDS submission (ebXML registry objects) listing each document with its size, SHA-1 hash and URI, as
    an XDM zip's METADATA.XML does; ``wrong_hash`` / ``wrong_size`` name documents listed wrongly, ``missing``
    adds documents that are listed but not in the zip."""
    bad_hash, bad_size = set(wrong_hash), set(wrong_size)
    objects = []
    pid = ""
    if patient is not None:
        pid = (f"<rim:Value>PID-3|{patient.mrn}^^^&amp;1.2.3&amp;ISO</rim:Value>"
               f"<rim:Value>PID-5|{escape(patient.family)}^{escape(patient.given)}^^^</rim:Value>"
               f"<rim:Value>PID-7|{patient.birth}</rim:Value><rim:Value>PID-8|F</rim:Value>")
    listed = [(n, d) for n, d in documents.items()] + [(n, b"missing") for n in missing]
    for n, (uri, data) in enumerate(listed, start=1):
        digest = hashlib.sha1(data).hexdigest()
        if uri in bad_hash:
            digest = hashlib.sha1(data + b"x").hexdigest()
        size = len(data) + (1 if uri in bad_size else 0)
        mime = "application/pdf" if uri.upper().endswith(".PDF") else "text/xml"
        title = (titles or {}).get(uri, "")
        name = f'<rim:Name><rim:LocalizedString value={quoteattr(title)}/></rim:Name>' if title else ""
        objects.append(
            f'<rim:ExtrinsicObject id="Document{n:02d}" mimeType="{mime}" '
            'objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">'
            f'<rim:Slot name="creationTime"><rim:ValueList><rim:Value>20240312100000</rim:Value></rim:ValueList>'
            f'</rim:Slot><rim:Slot name="hash"><rim:ValueList><rim:Value>{digest}</rim:Value></rim:ValueList>'
            f'</rim:Slot><rim:Slot name="size"><rim:ValueList><rim:Value>{size}</rim:Value></rim:ValueList>'
            f'</rim:Slot><rim:Slot name="URI"><rim:ValueList><rim:Value>{escape(uri)}</rim:Value></rim:ValueList>'
            f'</rim:Slot><rim:Slot name="sourcePatientInfo"><rim:ValueList>{pid}</rim:ValueList></rim:Slot>'
            f'<rim:Slot name="authorInstitution"><rim:ValueList><rim:Value>Example Cancer Center^^^^^^^^^1.2.3'
            f"</rim:Value></rim:ValueList></rim:Slot>{name}</rim:ExtrinsicObject>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>'
        f"{''.join(objects)}"
        '<rim:RegistryPackage id="SubmissionSet01"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>\n'
    ).encode()


README = b"This archive was created by the patient portal. Open INDEX.HTM to view the documents.\r\n"
INDEX = b"<html><body><a href='IHE_XDM/SUBSET01/DOC0001.XML'>Document</a></body></html>"


def xdm_entries(documents: Mapping[str, bytes], *, metadata: bool | bytes = True, subset: str = "SUBSET01",
                **metadata_options: object) -> dict[str, bytes]:
    """The files of an XDM download: ``IHE_XDM/<subset>/`` with the documents (and METADATA.XML, unless
    ``metadata`` is False, or exactly ``metadata`` when bytes), a stylesheet, INDEX.HTM and README.TXT."""
    out = {"INDEX.HTM": INDEX, "README.TXT": README}
    base = f"IHE_XDM/{subset}/"
    for name, data in documents.items():
        out[base + name] = data
    out[base + "CDA.XSL"] = b'<?xml version="1.0"?><xsl:stylesheet version="1.0" ' \
        b'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>'
    if metadata is True:
        out[base + "METADATA.XML"] = metadata_xml(documents, **metadata_options)  # type: ignore[arg-type]
    elif isinstance(metadata, bytes):
        out[base + "METADATA.XML"] = metadata
    return out


def write_zip(path: Path, entries: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def write_xdm(path: Path, documents: Mapping[str, bytes], **options: object) -> Path:
    """An XDM zip at ``path`` (see ``xdm_entries``)."""
    return write_zip(path, xdm_entries(documents, **options))  # type: ignore[arg-type]


def write_folder(path: Path, entries: Mapping[str, bytes]) -> Path:
    for name, data in entries.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def zip_bytes(entries: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def doc_names(count: int) -> list[str]:
    return [f"DOC{n:04d}.XML" for n in range(1, count + 1)]
