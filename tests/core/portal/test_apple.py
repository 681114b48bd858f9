"""Apple Health exports: export.xml streamed, its clinical records (FHIR DSTU2 and R4) read into one document."""

from __future__ import annotations

import json
import os
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import fhir_samples as fs

from secondopinion_desktop.core.portal import safety
from secondopinion_desktop.core.portal.apple import looks_like_apple_health, read_apple_health
from secondopinion_desktop.core.portal.model import Document
from secondopinion_desktop.core.progress import Cancelled


@pytest.fixture(autouse=True)
def in_chicago() -> Iterator[None]:
    """The computer these records are read on is in US Central time."""
    yield from fs.local_zone(fs.CHICAGO)


def one(path: Path) -> Document:
    result = read_apple_health(path)
    assert len(result.documents) == 1
    return result.documents[0]


def test_an_export_zip_and_its_unpacked_folder_are_recognised(tmp_path: Path) -> None:
    zipped = fs.apple_export_zip(tmp_path)
    folder = fs.apple_export_folder(tmp_path / "unpacked")
    assert looks_like_apple_health(zipped)
    assert looks_like_apple_health(folder)  # apple_health_export/
    assert looks_like_apple_health(folder.parent)  # the folder it was unpacked into
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("IHE_XDM/SUBSET01/DOC0001.XML", "<ClinicalDocument/>")
    assert not looks_like_apple_health(other)
    assert not looks_like_apple_health(tmp_path / "missing.zip")
    (tmp_path / "empty").mkdir()
    assert not looks_like_apple_health(tmp_path / "empty")


def test_clinical_records_in_dstu2_and_r4_become_one_document(tmp_path: Path) -> None:
    doc = one(fs.apple_export_zip(tmp_path))
    assert doc.source == "export.zip"
    assert (doc.format, doc.kind, doc.title) == ("Apple Health", "clinical", "Apple Health clinical records")
    assert not doc.own_record
    assert doc.original is None
    assert doc.facility == "Example Hospital"  # the clinical records' sourceName
    # the birth date from Me, the name from the records' subject
    assert doc.patient is not None
    assert (doc.patient.name, str(doc.patient.birth_date), doc.patient.sex) == ("Alex Sample", fs.BIRTH, "female")
    assert [(m.name, m.dose, m.frequency) for m in doc.medications] == [
        ("Letrozole 2.5 mg tablet", "2.5 mg", "once a day")]
    assert [(a.substance, a.reaction) for a in doc.allergies] == [("Sulfa drugs", "Rash")]
    assert [(p.name, p.code, p.stage) for p in doc.problems] == [
        ("Malignant neoplasm of left female breast", "C50.912", "T2 N0 M0")]
    titles = {r.title: r for r in doc.reports}
    assert set(titles) == {"Basic metabolic panel", "Test results"}
    panel = titles["Basic metabolic panel"]  # a DSTU2 report naming a DSTU2 observation in another file
    assert [(r.test, r.value, r.unit) for r in panel.results] == [("Creatinine", "0.9", "mg/dL")]
    assert panel.results[0].position == "clinical-records/Observation-do1.json (Observation)"
    tumor = titles["Test results"]  # an R4 observation
    assert [(r.test, r.value, r.flag) for r in tumor.results] == [("CA 15-3", "48", "Critical high")]
    assert tumor.facility == "Example Hospital"
    assert [(s.source, s.reason) for s in doc.skipped] == [
        ("apple_health_export/clinical-records/Immunization-im1.json", "an Immunization resource is not read")]


def test_each_report_keeps_its_records_json_files(tmp_path: Path) -> None:
    zipped = fs.apple_export_zip(tmp_path)
    doc = one(zipped)
    panel = next(r for r in doc.reports if r.title == "Basic metabolic panel")
    with zipfile.ZipFile(zipped) as zf:
        expected = [
            ("DiagnosticReport-dr1.json", zf.read("apple_health_export/clinical-records/DiagnosticReport-dr1.json")),
            ("Observation-do1.json", zf.read("apple_health_export/clinical-records/Observation-do1.json")),
        ]
    assert [(f.name, f.data) for f in panel.files] == expected
    assert {f.media_type for f in panel.files} == {"application/fhir+json"}


def test_the_unpacked_folder_reads_the_same(tmp_path: Path) -> None:
    zipped = one(fs.apple_export_zip(tmp_path))
    folder = one(fs.apple_export_folder(tmp_path / "unpacked"))
    assert folder.source == "apple_health_export"
    assert folder.reports == zipped.reports
    assert (folder.medications, folder.allergies, folder.problems) == (
        zipped.medications, zipped.allergies, zipped.problems)


def test_a_missing_or_broken_clinical_record_is_one_skipped(tmp_path: Path) -> None:
    records = fs.apple_records()
    records.append(("clinical-records/Observation-bad.json", "4.0.1", "HKClinicalTypeIdentifierLabResultRecord",
                    {}))
    xml = fs.export_xml(records, missing=("clinical-records/Observation-gone.json",))
    zipped = fs.apple_export_zip(tmp_path, xml=xml, records=records[:-1],
                                 broken={"clinical-records/Observation-bad.json": b"{not json"})
    doc = one(zipped)
    assert [(s.source, s.where, s.reason) for s in doc.skipped] == [
        ("apple_health_export/clinical-records/Observation-bad.json", "clinical record 8 (LabResult)",
         "Observation-bad.json is not readable JSON (expecting property name enclosed in double quotes at line 1)."),
        ("apple_health_export/clinical-records/Observation-gone.json", "clinical record 9 (LabResult)",
         "its file is missing from the export or cannot be read"),
        ("apple_health_export/clinical-records/Immunization-im1.json", "clinical-records/Immunization-im1.json "
         "(Immunization)", "an Immunization resource is not read"),
    ]
    assert len(doc.medications) == 1 and len(doc.reports) == 2


def test_a_record_path_leaving_the_export_folder_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(fs.dstu2_resources()[1]), encoding="utf-8")
    records = fs.apple_records()[:1]
    xml = fs.export_xml(records).replace(
        b"</HealthData>", fs.clinical_record("clinical-records/../../../secret.json", "1.0.2",
                                             "HKClinicalTypeIdentifierMedicationRecord").encode() + b"</HealthData>")
    folder = fs.apple_export_folder(tmp_path / "unpacked", xml=xml, records=records)
    (tmp_path / "unpacked" / "secret.json").write_text(secret.read_text(), encoding="utf-8")
    doc = one(folder)
    assert len(doc.medications) == 1  # the record inside the export, not the one outside it
    assert [s.reason for s in doc.skipped] == ["it does not name a clinical-record file"]


def test_an_export_reached_through_a_link_from_the_chosen_folder_is_not_read(tmp_path: Path) -> None:
    """A decoy export.xml in the chosen folder and ``apple_health_export`` a link to someone else's export."""
    elsewhere = fs.apple_export_folder(tmp_path / "someone_elses_files")
    chosen = tmp_path / "Downloads_records"
    chosen.mkdir()
    (chosen / "export.xml").write_text("<HealthData/>", encoding="utf-8")
    (chosen / "apple_health_export").symlink_to(elsewhere, target_is_directory=True)
    assert not looks_like_apple_health(chosen)
    with pytest.raises(safety.Refused, match=r"^Downloads_records is not an Apple Health export"):
        read_apple_health(chosen)
    linked_from = tmp_path / "linked"
    linked_from.mkdir()
    (linked_from / "apple_health_export").symlink_to(elsewhere, target_is_directory=True)
    assert not looks_like_apple_health(linked_from)
    with pytest.raises(safety.Refused, match=r"^linked is not an Apple Health export"):
        read_apple_health(linked_from)


def test_an_export_xml_that_is_a_link_or_a_pipe_is_not_read(tmp_path: Path) -> None:
    elsewhere = fs.apple_export_folder(tmp_path / "elsewhere")
    root = tmp_path / "phone" / "apple_health_export"
    (root / "clinical-records").mkdir(parents=True)
    (root / "export.xml").symlink_to(elsewhere / "export.xml")
    assert not looks_like_apple_health(root) and not looks_like_apple_health(root.parent)
    with pytest.raises(safety.Refused, match=r"^apple_health_export is not an Apple Health export"):
        read_apple_health(root)
    if hasattr(os, "mkfifo"):
        (root / "export.xml").unlink()
        os.mkfifo(root / "export.xml")
        assert not looks_like_apple_health(root)
        with pytest.raises(safety.Refused, match=r"^apple_health_export is not an Apple Health export"):
            read_apple_health(root)


def test_a_clinical_records_folder_that_is_a_link_is_not_gone_through(tmp_path: Path) -> None:
    elsewhere = fs.apple_export_folder(tmp_path / "elsewhere")
    root = tmp_path / "phone" / "apple_health_export"
    root.mkdir(parents=True)
    (root / "export.xml").write_bytes((elsewhere / "export.xml").read_bytes())
    (root / "clinical-records").symlink_to(elsewhere / "clinical-records", target_is_directory=True)
    result = read_apple_health(root)
    assert result.documents == ()
    assert result.skipped[0].reason == "none of its clinical records could be read"
    assert {s.reason for s in result.skipped[1:]} == {"clinical-records is a link; links are not followed."}
    assert len(result.skipped) == 1 + len(fs.apple_records())


def test_a_clinical_record_that_is_a_link_is_one_skipped(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(fs.dstu2_resources()[1]), encoding="utf-8")
    folder = fs.apple_export_folder(tmp_path / "unpacked")
    (folder / "clinical-records" / "MedicationOrder-mo1.json").unlink()
    (folder / "clinical-records" / "MedicationOrder-mo1.json").symlink_to(secret)
    doc = one(folder)
    assert doc.medications == ()
    assert ("apple_health_export/clinical-records/MedicationOrder-mo1.json", "clinical record 1 (Medication)",
            "MedicationOrder-mo1.json is a link; links are not followed.") in [
        (s.source, s.where, s.reason) for s in doc.skipped]


@pytest.fixture
def never_waits() -> Iterator[None]:
    """Fails the test, rather than hanging it, when reading waits for good (a pipe with no writer)."""
    import signal

    def waited(_signum: int, _frame: object) -> None:
        raise AssertionError("reading the export waited on a file that never ends")

    before = signal.signal(signal.SIGALRM, waited)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes exist only where os.mkfifo does")
def test_a_pipe_among_the_clinical_records_is_one_skipped_and_never_waited_on(tmp_path: Path,
                                                                             never_waits: None) -> None:
    folder = fs.apple_export_folder(tmp_path)
    victim = folder / "clinical-records" / "Observation-ca153.json"
    victim.unlink()
    os.mkfifo(victim)
    doc = one(folder)
    assert ("apple_health_export/clinical-records/Observation-ca153.json", "clinical record 6 (LabResult)",
            "Observation-ca153.json is not a regular file; it was not read.") in [
        (s.source, s.where, s.reason) for s in doc.skipped]
    assert len(doc.medications) == 1 and [r.title for r in doc.reports] == ["Basic metabolic panel"]


def test_an_export_with_no_clinical_records_gives_no_document_and_says_why(tmp_path: Path) -> None:
    result = read_apple_health(fs.apple_export_zip(tmp_path, records=[]))
    assert result.documents == ()
    assert [(s.source, s.reason) for s in result.skipped] == [
        ("export.zip", "it holds no clinical records (its activity and measurement data are not health records)")]


def test_an_export_xml_declaring_an_entity_is_refused(tmp_path: Path) -> None:
    xml = fs.export_xml(fs.apple_records()).replace(
        b"<!ELEMENT ExportDate EMPTY>", b'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
                                        b"<!ELEMENT ExportDate EMPTY>")
    with pytest.raises(safety.Refused, match="declares XML entities"):
        read_apple_health(fs.apple_export_zip(tmp_path, xml=xml))


def test_a_zip_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    with pytest.raises(safety.Refused, match=r"^photos\.zip is not an Apple Health export"):
        read_apple_health(path)


def test_progress_follows_the_bytes_of_export_xml_and_cancel_stops(tmp_path: Path) -> None:
    path = tmp_path / "apple_health_export"
    folder = fs.apple_export_folder(tmp_path)
    fs.write_big_export(folder / "export.xml", 3, fs.apple_records())
    size = (path / "export.xml").stat().st_size
    seen: list[tuple[int, int]] = []
    read_apple_health(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert len(seen) > 3
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        read_apple_health(path, cancelled=cancelled)


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the process's memory from /proc")
def test_a_large_export_xml_streams_with_flat_memory(tmp_path: Path) -> None:
    """About 20 MB of heart-rate records before the clinical records, as Apple writes them. The parser's own
    memory is outside Python's heap, so the process's resident size is sampled as the file streams."""
    folder = fs.apple_export_folder(tmp_path)
    fs.write_big_export(folder / "export.xml", 20, fs.apple_records())
    assert (folder / "export.xml").stat().st_size > 20 * 2**20
    samples: list[int] = []
    start = _rss()
    tracemalloc.start()
    try:
        doc = read_apple_health(folder, progress=lambda _d, _t: samples.append(_rss())).documents[0]
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(doc.reports) == 2 and len(doc.medications) == 1
    assert peak < 30 * 2**20
    assert len(samples) > 10
    assert max(samples) - start < 30 * 2**20, f"resident memory grew {(max(samples) - start) // 2**20} MB"
