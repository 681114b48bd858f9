"""Reading what a patient downloaded as one package: XDM zips checked against their metadata, plain zips and
folders of documents, repeats left out, oldest first, odd files skipped, the wrong packages refused."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import pytest
from helpers import fhir_samples
from helpers.xdm_samples import (
    ALEX,
    INDEX,
    JORDAN,
    NOBODY,
    PDF,
    README,
    Person,
    Result,
    Visit,
    ccda,
    doc_names,
    metadata_xml,
    visits,
    write_folder,
    write_xdm,
    write_zip,
    xdm_entries,
)

from secondopinion_desktop.core.portal.model import Patient, result_key
from secondopinion_desktop.core.portal.package import Package, read_path, same_person
from secondopinion_desktop.core.portal.safety import Refused
from secondopinion_desktop.core.progress import Cancelled


def _docs(count: int = 3) -> dict[str, bytes]:
    return dict(zip(doc_names(count), visits(count), strict=True))


def _sources(package: Package) -> list[str]:
    return [d.source for d in package.documents]


# --- IHE XDM ---------------------------------------------------------------------------------------------------


def test_xdm_zip_checked_against_its_metadata_reads_every_document(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "HealthSummary_CCDA.zip", _docs(3))

    package = read_path(path)

    assert package.name == "HealthSummary_CCDA.zip"
    assert _sources(package) == [f"IHE_XDM/SUBSET01/DOC000{n}.XML" for n in (1, 2, 3)]
    assert package.skipped == ()  # the metadata matched; INDEX.HTM, README.TXT, the stylesheet passed over
    assert all(d.format == "C-CDA" for d in package.documents)
    assert [(p.name, p.birth_date) for p in package.patients] == [("Alex Sample", dt.date(1970, 3, 12))]


def test_xdm_document_not_matching_its_metadata_is_read_and_reported(tmp_path: Path) -> None:
    docs = _docs(3)
    path = write_xdm(tmp_path / "HealthSummary.zip", docs, wrong_hash=["DOC0002.XML"], wrong_size=["DOC0003.XML"],
                     missing=["DOC0009.XML"])

    package = read_path(path)

    assert len(package.documents) == 3  # still read: the patient keeps the record, the problem is said
    reasons = {s.source: s.reason for s in package.skipped}
    assert set(reasons) == {"IHE_XDM/SUBSET01/DOC0002.XML", "IHE_XDM/SUBSET01/DOC0003.XML", "DOC0009.XML"}
    assert reasons["IHE_XDM/SUBSET01/DOC0002.XML"].startswith("DOC0002.XML does not have the checksum")
    assert "may be damaged" in reasons["IHE_XDM/SUBSET01/DOC0002.XML"]
    assert reasons["IHE_XDM/SUBSET01/DOC0003.XML"].startswith("DOC0003.XML does not have the size")
    assert "not in the download" in reasons["DOC0009.XML"]


def test_broken_metadata_is_reported_and_the_documents_read(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "HealthSummary.zip", _docs(2), metadata=b"<broken")

    package = read_path(path)

    assert len(package.documents) == 2
    assert [s.source for s in package.skipped] == ["IHE_XDM/SUBSET01/METADATA.XML"]
    assert "read without checking them" in package.skipped[0].reason


def test_xdm_pdf_becomes_a_document_titled_and_owned_by_the_metadata(tmp_path: Path) -> None:
    docs = {"DOC0001.XML": visits(1)[0], "DOC0002.PDF": PDF}
    path = write_xdm(tmp_path / "HealthSummary.zip", docs, titles={"DOC0002.PDF": "Pathology report"},
                     patient=Person("Alex", "Sample", "19700312"))

    package = read_path(path)

    pdf = next(d for d in package.documents if d.source.endswith(".PDF"))
    assert (pdf.format, pdf.kind, pdf.title, pdf.facility) == ("XDM", "clinical", "Pathology report",
                                                             "Example Cancer Center")
    assert pdf.patient is not None and pdf.patient.name == "Alex Sample"
    assert pdf.patient.birth_date == dt.date(1970, 3, 12)
    assert [(f.name, f.media_type, f.data) for f in pdf.files] == [("DOC0002.PDF", "application/pdf", PDF)]
    assert pdf.original is None  # the PDF is kept once, as the record's file
    assert len(package.patients) == 1


def test_xdm_pdf_without_metadata_belongs_to_the_other_documents_patient(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "dl.zip", {"DOC0001.XML": visits(1)[0], "DOC0002.PDF": PDF}, metadata=False)

    package = read_path(path)

    pdf = next(d for d in package.documents if d.source.endswith(".PDF"))
    assert pdf.title == "DOC0002"
    assert pdf.patient is not None and pdf.patient.name == "Alex Sample"


def test_a_zip_of_pdfs_naming_nobody_is_refused(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "scans.zip", {"DOC0001.PDF": PDF}, metadata=False)

    with pytest.raises(Refused, match=r"^DOC0001.PDF in scans.zip does not say whose record it is"):
        read_path(path)


# --- plain zips and folders -----------------------------------------------------------------------------------


def test_plain_zip_of_documents_in_any_layout(tmp_path: Path) -> None:
    bundle = fhir_samples.r4_bundle()
    alex = Person("Alex", "Sample", fhir_samples.BIRTH.replace("-", ""))  # the bundle's patient
    two = visits(2, patient=alex)
    path = write_zip(tmp_path / "records.zip", {
        "records/visit-b.xml": two[1], "records/2023/visit-a.cda": two[0], "fhir/bundle.json": bundle,
    })

    package = read_path(path)

    assert set(_sources(package)) == {"records/visit-b.xml", "records/2023/visit-a.cda", "fhir/bundle.json"}
    formats = {d.source: d.format for d in package.documents}
    assert formats["records/visit-b.xml"] == "C-CDA" and formats["fhir/bundle.json"].startswith("FHIR")


def test_unpacked_xdm_folder_with_subfolders_and_a_link_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside.xml"
    outside.write_bytes(ccda(Visit("20200101"), patient=JORDAN))
    root = write_folder(tmp_path / "download", xdm_entries(_docs(2)))
    (root / "IHE_XDM" / "SUBSET01" / "DOC0003.XML").symlink_to(outside)
    (root / "elsewhere").symlink_to(tmp_path, target_is_directory=True)

    package = read_path(root)

    assert _sources(package) == ["IHE_XDM/SUBSET01/DOC0001.XML", "IHE_XDM/SUBSET01/DOC0002.XML"]
    reasons = {s.source: s.reason for s in package.skipped}
    assert reasons == {"IHE_XDM/SUBSET01/DOC0003.XML": "DOC0003.XML is a link; links are not followed.",
                       "elsewhere": "elsewhere is a link; links are not followed."}
    assert [p.name for p in package.patients] == ["Alex Sample"]  # Jordan's file, out there, was never read


def test_folder_of_single_files_and_a_zip(tmp_path: Path) -> None:
    root = tmp_path / "downloads"
    root.mkdir()
    (root / "visit.xml").write_bytes(visits(1)[0])
    write_xdm(root / "HealthSummary.zip", {"DOC0001.XML": visits(2)[1]})

    package = read_path(root)

    assert _sources(package) == ["visit.xml", "HealthSummary.zip/IHE_XDM/SUBSET01/DOC0001.XML"]
    assert package.skipped == ()


def test_single_files_are_read_by_content_too(tmp_path: Path) -> None:
    xml = tmp_path / "summary.xml"
    xml.write_bytes(visits(1)[0])
    odd = tmp_path / "export"  # no extension: told by what it holds
    odd.write_bytes(fhir_samples.r4_bundle())

    assert _sources(read_path(xml)) == ["summary.xml"]
    assert read_path(odd).documents[0].format.startswith("FHIR")


# --- repeats and order ----------------------------------------------------------------------------------------


def test_visit_documents_repeating_results_keep_each_result_once(tmp_path: Path) -> None:
    three = visits(3)  # 3, 6 and 9 results: each visit repeats the earlier ones
    path = write_xdm(tmp_path / "visits.zip", {"DOC0001.XML": three[0], "DOC0002.XML": three[1],
                                               "DOC0003.XML": three[2], "DOC0004.XML": three[2]})

    package = read_path(path)

    assert package.repeats == 1  # DOC0004 is DOC0003 again
    assert _sources(package) == ["IHE_XDM/SUBSET01/DOC0001.XML", "IHE_XDM/SUBSET01/DOC0002.XML",
                                 "IHE_XDM/SUBSET01/DOC0003.XML"]
    assert package.repeated_results == 3 + 6
    results = [result_key(r, rep.when, rep.title) for d in package.documents for rep in d.reports
               for r in rep.results]
    assert len(results) == len(set(results)) == 9
    assert [sum(len(rep.results) for rep in d.reports) for d in package.documents] == [3, 3, 3]
    assert all(rep.results for d in package.documents for rep in d.reports)  # no report left empty
    assert [len(d.medications) for d in package.documents] == [2, 0, 0]  # the same medications each visit
    assert all(d.original for d in package.documents)  # each document keeps its own file


def test_documents_come_oldest_first_then_by_name(tmp_path: Path) -> None:
    late = ccda(Visit("20240501", results=(Result("Hemoglobin", "718-7", "12.1", "g/dL", "20240501"),)))
    early = ccda(Visit("20230101", results=(Result("Hemoglobin", "718-7", "13.0", "g/dL", "20230101"),)))
    same_a = ccda(Visit("20240101", title="Note A"))
    same_b = ccda(Visit("20240101", title="Note B"))
    path = write_zip(tmp_path / "mixed.zip", {"a.xml": late, "b.xml": same_b, "c.xml": early, "a2.xml": same_a})

    assert _sources(read_path(path)) == ["c.xml", "a2.xml", "b.xml", "a.xml"]


# --- what is skipped ------------------------------------------------------------------------------------------


def test_unknown_files_are_skipped_with_a_reason_and_clutter_passed_over(tmp_path: Path) -> None:
    entries = xdm_entries(_docs(1)) | {
        "IHE_XDM/SUBSET01/PHOTO.JPG": b"\xff\xd8\xff\xe0 not a record",
        "notes.docx": b"PK\x03\x04 a word file",
        "IHE_XDM/SUBSET01/DATA.BIN": b"\x00\x01\x02",
        "IHE_XDM/SUBSET01/OTHER.XML": b'<?xml version="1.0"?><catalog><item/></catalog>',
        "__MACOSX/IHE_XDM/._DOC0001.XML": b"\x00\x05\x16\x07",
        ".DS_Store": b"\x00\x00\x00\x01Bud1", "INDEX.HTM": INDEX, "README.TXT": README,
        "IHE_XDM/SUBSET01/STYLE.CSS": b"body{}",
    }
    package = read_path(write_zip(tmp_path / "download.zip", entries))

    assert _sources(package) == ["IHE_XDM/SUBSET01/DOC0001.XML"]
    reasons = {s.source: s.reason for s in package.skipped}
    assert set(reasons) == {"IHE_XDM/SUBSET01/PHOTO.JPG", "notes.docx", "IHE_XDM/SUBSET01/DATA.BIN",
                            "IHE_XDM/SUBSET01/OTHER.XML"}
    assert reasons["notes.docx"] == ("notes.docx is not a health record file this app reads (C-CDA, FHIR, "
                                     "Apple Health or PDF); it was left out.")
    assert reasons["IHE_XDM/SUBSET01/OTHER.XML"] == "OTHER.XML is XML but not a C-CDA document; it was not read."


def test_one_broken_document_among_many_is_skipped_alone_but_refused_alone(tmp_path: Path) -> None:
    broken = visits(1)[0][:-200]
    path = write_zip(tmp_path / "download.zip", {"good.xml": visits(2)[1], "broken.xml": broken,
                                                 "latin.xml": b'<?xml version="1.0"?><x>\xff\xfe</x>'})

    package = read_path(path)

    assert _sources(package) == ["good.xml"]
    reasons = {s.source: s.reason for s in package.skipped}
    assert reasons["broken.xml"].startswith("broken.xml is not readable XML")
    assert "latin.xml" in reasons
    alone = tmp_path / "broken.xml"
    alone.write_bytes(broken)
    with pytest.raises(Refused, match=r"^broken.xml is not readable XML"):
        read_path(alone)


def test_a_zip_inside_the_zip_is_skipped(tmp_path: Path) -> None:
    inner = write_xdm(tmp_path / "inner.zip", {"DOC0001.XML": visits(1)[0]}).read_bytes()
    package = read_path(write_zip(tmp_path / "outer.zip", {"visit.xml": visits(2)[1], "more/inner.zip": inner}))

    assert [(s.source, s.reason) for s in package.skipped] == [
        ("more/inner.zip", "inner.zip is a zip inside the zip; unpack it and open it on its own.")]


def test_nothing_readable_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "photos.zip", {"a.jpg": b"\xff\xd8", "INDEX.HTM": INDEX})

    with pytest.raises(Refused, match=r"^photos.zip holds no record this app can read \(1 item left out; "):
        read_path(path)
    with pytest.raises(Refused, match=r"^nothing.zip cannot be opened"):
        read_path(tmp_path / "nothing.zip")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(PDF)
    with pytest.raises(Refused, match=r"^scan.pdf is a PDF, not a portal download"):
        read_path(pdf)


# --- whose records --------------------------------------------------------------------------------------------


def test_two_people_in_one_download_are_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "family.zip", {"a.xml": ccda(Visit("20240101")),
                                               "b.xml": ccda(Visit("20240102"), patient=JORDAN)})

    with pytest.raises(Refused) as caught:
        read_path(path)

    assert str(caught.value) == ("family.zip holds the records of two people (Alex Sample, born 12 Mar 1970, "
                                 "Jordan Other, born 4 Nov 1981); import them one at a time.")


def test_a_document_naming_nobody_is_refused(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "HealthSummary.zip", {"DOC0001.XML": visits(1)[0],
                                                      "DOC0002.XML": ccda(Visit("20240101"), patient=NOBODY)})

    with pytest.raises(Refused) as caught:
        read_path(path)

    assert str(caught.value).startswith("DOC0002.XML in HealthSummary.zip does not say whose record it is")


def test_one_person_written_in_several_ways_is_one_patient(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "dl.zip", {
        "a.xml": ccda(Visit("20240101"), patient=ALEX),
        "b.xml": ccda(Visit("20240102"), patient=Person("ALEX J.", "SAMPLE", ALEX.birth)),
    })

    package = read_path(path)

    assert [p.name for p in package.patients] in (["Alex Sample"], ["ALEX J. SAMPLE"])
    assert len(package.documents) == 2


def test_a_patient_named_by_birth_date_alone_never_joins_two_people(tmp_path: Path) -> None:
    same_day = Person("Jordan", "Other", ALEX.birth)
    path = write_zip(tmp_path / "dl.zip", {"a.xml": ccda(Visit("20240101"), patient=Person("", "", ALEX.birth)),
                                           "b.xml": ccda(Visit("20240102"), patient=ALEX),
                                           "c.xml": ccda(Visit("20240103"), patient=same_day)})

    with pytest.raises(Refused, match="holds the records of two people"):
        read_path(path)


def test_same_person_rule() -> None:
    born = dt.date(1970, 3, 12)
    assert same_person(Patient("Alex Sample", born), Patient("SAMPLE, Alex", born))
    assert same_person(Patient("Alex Sample", born), Patient("Alex J Sample", born))
    assert same_person(Patient("Alex Sample", None), Patient("alex sample", born))
    assert same_person(Patient("", born), Patient("Alex Sample", born))
    assert same_person(Patient("", born), Patient("Alex Sample", None))  # nothing tells them apart
    assert not same_person(Patient("", born), Patient("Alex Sample", dt.date(1981, 1, 1)))
    assert not same_person(Patient("Alex Sample", born), Patient("Alex Sample", dt.date(1970, 3, 13)))
    assert not same_person(Patient("Alex Sample", None), Patient("Alex J Sample", None))
    assert not same_person(Patient("Alex Sample", born), Patient("Jordan Other", born))


# --- progress and cancel --------------------------------------------------------------------------------------


def test_progress_moves_forward_to_the_end(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "HealthSummary.zip", _docs(4))
    seen: list[tuple[int, int]] = []

    read_path(path, progress=lambda done, total: seen.append((done, total)))

    assert len(seen) >= 4
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1] > 0


@pytest.mark.parametrize("layout", ["zip", "folder"])
def test_cancel_stops_reading(tmp_path: Path, layout: str) -> None:
    entries = xdm_entries(_docs(4))
    path = write_zip(tmp_path / "HealthSummary.zip", entries) if layout == "zip" else \
        write_folder(tmp_path / "HealthSummary", entries)
    calls: list[int] = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled) as caught:
        read_path(path, cancelled=cancelled)

    assert str(caught.value) == f"Reading {path.name} was cancelled; nothing was changed."
    assert len(calls) == 3  # stopped at once, not after reading everything


def test_reading_writes_nothing(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "in" / "HealthSummary.zip", _docs(2))
    os.chmod(path.parent, 0o500)  # a folder nothing may be written into
    try:
        before = sorted(p.name for p in path.parent.iterdir())
        read_path(path)
        assert sorted(p.name for p in path.parent.iterdir()) == before
    finally:
        os.chmod(path.parent, 0o700)


def test_metadata_for_an_xdm_listing_the_document_in_parts() -> None:
    from secondopinion_desktop.core.portal.package import _read_metadata

    data = metadata_xml({"DOC0001.XML": b"abc"}).replace(
        b"<rim:Value>DOC0001.XML</rim:Value>", b"<rim:Value>2|0001.XML</rim:Value><rim:Value>1|DOC</rim:Value>")

    listed = _read_metadata(data, "METADATA.XML")

    assert list(listed) == ["DOC0001.XML"]
    assert listed["DOC0001.XML"].size == 3
    assert listed["DOC0001.XML"].patient == Patient("Alex Sample", dt.date(1970, 3, 12))


# --- Apple Health ---------------------------------------------------------------------------------------------


def test_apple_health_export_zip_folder_and_folder_holding_it(tmp_path: Path) -> None:
    zipped = fhir_samples.apple_export_zip(tmp_path)
    unpacked = fhir_samples.apple_export_folder(tmp_path / "phone")
    seen: list[tuple[int, int]] = []

    for path in (zipped, unpacked, unpacked.parent):
        package = read_path(path, progress=lambda done, total: seen.append((done, total)))
        assert [d.format for d in package.documents] == ["Apple Health"], path
        assert [p.birth_date for p in package.patients] == [dt.date(1970, 4, 2)]
        assert seen[-1][0] == seen[-1][1] > 0


def test_apple_health_export_next_to_portal_documents_in_a_folder(tmp_path: Path) -> None:
    root = tmp_path / "everything"
    fhir_samples.apple_export_folder(root)
    alex = Person("Alex", "Sample", fhir_samples.BIRTH.replace("-", ""))
    (root / "visit.xml").write_bytes(visits(1, patient=alex)[0])

    package = read_path(root)

    assert sorted(d.format for d in package.documents) == ["Apple Health", "C-CDA"]
    assert len(package.patients) == 1


def test_an_apple_health_export_without_clinical_records_is_refused_saying_so(tmp_path: Path) -> None:
    path = fhir_samples.apple_export_zip(tmp_path, records=[])

    with pytest.raises(Refused) as caught:
        read_path(path)

    assert str(caught.value).startswith("export.zip holds no record this app can read: it holds no clinical records")


def test_a_zip_holding_an_apple_health_export_and_portal_documents_reads_both(tmp_path: Path) -> None:
    path = fhir_samples.apple_export_zip(tmp_path, name="phone.zip")
    alex = Person("Alex", "Sample", fhir_samples.BIRTH.replace("-", ""))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("portal/visit.xml", visits(1, patient=alex)[0])

    package = read_path(path)

    assert sorted(d.format for d in package.documents) == ["Apple Health", "C-CDA"]


def test_a_document_carrying_a_scan_of_over_ten_megabytes_is_read(tmp_path: Path) -> None:
    from helpers import ccda_samples

    scan = ccda_samples.MINIMAL_PDF + os.urandom(8 * 2**20)  # base64 of it: a text of 11 MB in the XML
    path = tmp_path / "scan.xml"
    path.write_bytes(ccda_samples.pdf_document(scan))

    package = read_path(path)

    files = [f for d in package.documents for f in d.files] + \
        [f for d in package.documents for r in d.reports for f in r.files]
    assert [f.data for f in files] == [scan]


def test_a_reader_tripping_on_a_file_skips_that_file_and_logs_no_content(tmp_path: Path, monkeypatch:
                                                                        pytest.MonkeyPatch, caplog) -> None:
    import logging

    from secondopinion_desktop.core.portal import ccda

    real = ccda.read_ccda

    def trip(data: bytes, name: str, memo=None):  # type: ignore[no-untyped-def]
        if name == "b.xml":
            raise ValueError("Alex Sample's value 13.2 could not be read")
        return real(data, name, memo)

    monkeypatch.setattr(ccda, "read_ccda", trip)
    path = write_zip(tmp_path / "dl.zip", {"a.xml": visits(1)[0], "b.xml": visits(2)[1]})

    with caplog.at_level(logging.WARNING):
        package = read_path(path)

    assert _sources(package) == ["a.xml"]
    assert [(s.source, s.reason) for s in package.skipped] == [
        ("b.xml", "b.xml could not be read; it may be damaged or in a form this version does not know.")]
    assert "ValueError at test_package.py:" in caplog.text
    assert "Alex" not in caplog.text and "b.xml" not in caplog.text


def test_progress_over_a_folder_with_a_zip_and_an_apple_export_only_moves_forward(tmp_path: Path) -> None:
    root = tmp_path / "everything"
    fhir_samples.apple_export_folder(root)
    alex = Person("Alex", "Sample", fhir_samples.BIRTH.replace("-", ""))
    three = visits(3, patient=alex)
    (root / "visit.xml").write_bytes(three[0])
    write_xdm(root / "more.zip", {"DOC0001.XML": three[1], "DOC0002.XML": three[2]}, patient=alex)
    seen: list[tuple[int, int]] = []

    package = read_path(root, progress=lambda done, total: seen.append((done, total)))

    assert len(package.documents) == 4
    assert len({total for _, total in seen}) == 1
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1]


def test_many_people_in_one_download_are_counted_in_words(tmp_path: Path) -> None:
    people = [Person(given, "Other", f"19{80 + n}0101") for n, given in enumerate(("Ann", "Ben", "Cy", "Di", "Ed"))]
    path = write_zip(tmp_path / "clinic.zip", {f"{n}.xml": ccda(Visit(f"2024010{n + 1}"), patient=p)
                                               for n, p in enumerate(people)})

    with pytest.raises(Refused) as caught:
        read_path(path)

    assert str(caught.value) == ("clinic.zip holds the records of five people (Ann Other, born 1 Jan 1980, "
                                 "Ben Other, born 1 Jan 1981, Cy Other, born 1 Jan 1982 and 2 more); "
                                 "import them one at a time.")


def test_metadata_of_an_odd_shape_never_stops_the_documents(tmp_path: Path) -> None:
    docs = _docs(2)
    size = str(len(docs["DOC0001.XML"])).encode()
    odd = metadata_xml(docs).replace(b"<rim:Value>" + size + b"</rim:Value>", "<rim:Value>²</rim:Value>".encode())
    assert odd != metadata_xml(docs)

    package = read_path(write_xdm(tmp_path / "HealthSummary.zip", docs, metadata=odd))

    assert len(package.documents) == 2 and package.skipped == ()  # the checksum still matched


def test_an_apple_export_xml_that_is_a_link_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    elsewhere = fhir_samples.apple_export_folder(tmp_path / "elsewhere")
    root = tmp_path / "chosen"
    (root / "apple_health_export").mkdir(parents=True)
    (root / "apple_health_export" / "export.xml").symlink_to(elsewhere / "export.xml")
    (root / "visit.xml").write_bytes(visits(1)[0])

    package = read_path(root)

    assert [d.format for d in package.documents] == ["C-CDA"]
    assert ("apple_health_export/export.xml", "export.xml is a link; links are not followed.") in \
        [(s.source, s.reason) for s in package.skipped]


def test_xdm_in_a_folder_of_the_zip_with_two_subsets_each_checked_against_its_own_metadata(tmp_path: Path) -> None:
    three = visits(3)
    first = {"DOC0001.XML": three[0]}
    second = {"DOC0001.XML": three[1], "DOC0002.XML": three[2]}
    entries = {f"HealthSummary/{k}": v for k, v in xdm_entries(first, subset="SUBSET01").items()}
    entries |= {f"HealthSummary/{k}": v
                for k, v in xdm_entries(second, subset="SUBSET02", wrong_hash=["DOC0002.XML"]).items()}

    package = read_path(write_zip(tmp_path / "HealthSummary.zip", entries))

    assert _sources(package) == ["HealthSummary/IHE_XDM/SUBSET01/DOC0001.XML",
                                 "HealthSummary/IHE_XDM/SUBSET02/DOC0001.XML",
                                 "HealthSummary/IHE_XDM/SUBSET02/DOC0002.XML"]
    assert [s.source for s in package.skipped] == ["HealthSummary/IHE_XDM/SUBSET02/DOC0002.XML"]


def test_a_json_file_that_is_not_fhir_among_good_documents_is_skipped_not_fatal(tmp_path) -> None:
    import zipfile

    from helpers import ccda_samples as cs

    from secondopinion_desktop.core.portal.package import read_path

    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("DOC0001.XML", cs.ccd())
        z.writestr("settings.json", '{"theme": "dark", "resourceType": ""}')  # mentions the word, is no FHIR
    package = read_path(path)
    assert len(package.documents) == 1
    assert [(s.source, s.reason) for s in package.skipped if s.source.endswith("settings.json")] == [
        ("settings.json", "settings.json is JSON but not a FHIR resource or bundle; it was not read.")]


def test_a_zip_of_many_strangers_is_refused_without_comparing_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from secondopinion_desktop.core.portal import package as package_module
    from secondopinion_desktop.core.portal.model import Patient

    compared = []
    real = package_module.same_person
    monkeypatch.setattr(package_module, "same_person", lambda a, b: compared.append(1) or real(a, b))
    strangers = [Patient(name=f"Person{i} Example{i}", birth_date=None) for i in range(3000)]
    found = package_module._distinct_patients(strangers, at_most=9)
    assert len(found) == 10 and len(compared) <= 10 * 10  # not the 4.5 million pairs of all of them
    assert len(package_module._distinct_patients(strangers[:5])) == 5


def _text_pdf(lines: list[str]) -> bytes:
    import io

    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n, line in enumerate(lines):
        c.drawString(60, 760 - 18 * n, line)
    c.showPage()
    c.save()
    return out.getvalue()


def test_a_loose_pdf_is_proposed_as_its_own_text_says_and_the_preview_marks_it(tmp_path: Path, folder) -> None:
    from secondopinion_desktop.core.portal.importer import import_package, preview_import

    report = _text_pdf(["SURGICAL PATHOLOGY REPORT", "Patient: Alex Sample   DOB: 01/01/1970",
                        "Accession #: S23-11822     Collected: 11/22/2023",
                        "FINAL DIAGNOSIS: Left breast, core biopsy: invasive ductal carcinoma."])
    path = write_xdm(tmp_path / "dl.zip", {"DOC0001.XML": visits(1)[0], "DOC0002.PDF": report}, metadata=False)

    package = read_path(path)

    pdf = next(d for d in package.documents if d.source.endswith(".PDF"))
    assert pdf.kind == "pathology" and pdf.when == "2023-11-22" and pdf.accession_number == "S23-11822"
    assert "pathology" in pdf.title.lower()
    why = dict(pdf.suggested)
    assert {"kind", "title", "date_of_service", "accession_number"} <= set(why) and all(why.values())
    preview = preview_import(folder, package)
    planned = next(r for r in preview.records if r.source.endswith(".PDF"))
    assert planned.to_json()["suggested"]["date_of_service"].startswith("From")
    import_package(folder, package)
    from secondopinion_desktop.core.records import list_records

    rec = next(r for r in list_records(folder) if r.kind.value == "pathology")
    assert rec.accession_number == "S23-11822" and rec.date_of_service == dt.date(2023, 11, 22)


def test_a_pdf_without_text_keeps_the_name_it_came_with(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "dl.zip", {"DOC0001.XML": visits(1)[0], "DOC0002.PDF": PDF}, metadata=False)
    pdf = next(d for d in read_path(path).documents if d.source.endswith(".PDF"))
    assert pdf.title == "DOC0002" and pdf.kind == "clinical" and pdf.suggested == ()
