"""The preview and the all-or-nothing import of a portal download (documents built by hand, so these tests do
not depend on any one reader)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from secondopinion_desktop.core import records as rec
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import (
    Attachment,
    Clinician,
    Facility,
    ImagingFile,
    LabResultRow,
    MedicationRow,
    ProblemRow,
    Record,
    RecordKind,
    RecordSource,
    RecordStatus,
)
from secondopinion_desktop.core.portal import importer
from secondopinion_desktop.core.portal.labs import list_lab_results
from secondopinion_desktop.core.portal.model import (
    Allergy,
    Block,
    Document,
    Embedded,
    LabResult,
    Link,
    Medication,
    Patient,
    Problem,
    Report,
    Section,
)
from secondopinion_desktop.core.portal.package import Package
from secondopinion_desktop.core.portal.view import record_view, render_html
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.progress import Cancelled

ALEX = Patient(name="Alex Sample", birth_date=dt.date(1970, 1, 1), identifiers=("MRN 123",))


def _cbc(when: str = "2024-03-12T09:30", hgb: str = "13.2") -> Report:
    return Report(kind="lab", title="Complete blood count", when=when, results=(
        LabResult(test="Hemoglobin", loinc="718-7", value=hgb, number=float(hgb), unit="g/dL",
                  reference_range="12.0-15.5 g/dL", when=when, position="section Results, organizer 1, observation 1"),
        LabResult(test="WBC", loinc="6690-2", value="11.2", number=11.2, unit="10*3/uL", flag="High", when=when,
                  position="section Results, organizer 1, observation 2"),
    ), position="section Results, organizer 1")


def ccd(source: str = "IHE_XDM/SUBSET01/DOC0001.XML", *, patient: Patient | None = ALEX,
        reports: tuple[Report, ...] | None = None, original: bytes = b"<ClinicalDocument>one</ClinicalDocument>",
        title: str = "Continuity of Care Document") -> Document:
    return Document(
        source=source, format="C-CDA", kind="clinical", title=title, type_code="34133-9",
        when="2024-03-12T10:00", facility="Example Hospital", clinician="Dana Jones, MD", patient=patient,
        sections=(Section(title="Plan of treatment", code="18776-5", blocks=(
            Block(kind="paragraph", text="Return in 3 weeks. <b>not bold</b>"),
            Block(kind="table", rows=(("Test", "When"), ("CT chest", "April"))),
        )),),
        reports=_cbc_reports() if reports is None else reports,
        medications=(Medication(name="Letrozole 2.5 mg tablet", dose="2.5 mg", frequency="once a day",
                                start="2024-02-01", position="section Medications, entry 1"),),
        allergies=(Allergy(substance="Penicillin", reaction="Hives", position="section Allergies, entry 1"),),
        problems=(Problem(name="Malignant neoplasm of left breast", code="C50.912", code_system="ICD-10-CM",
                          onset="2024-01-20", stage="Stage IIA", position="section Problems, entry 1"),),
        original=original, original_name=source.rsplit("/", 1)[-1],
    )


def _cbc_reports() -> tuple[Report, ...]:
    return (_cbc(),)


def pkg(*docs: Document, name: str = "HealthSummary_CCDA.zip") -> Package:
    return Package(name=name, documents=tuple(docs), skipped=(), repeats=0, repeated_results=0)


def count(folder, table) -> int:
    with folder.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)))


def test_preview_counts_what_an_import_adds_and_writes_nothing(folder) -> None:
    preview = importer.preview_import(folder, pkg(ccd()))
    assert [(r.key, r.kind, r.title) for r in preview.records] == [
        ("1", RecordKind.CLINICAL, "Continuity of Care Document, 12 Mar 2024"),
        ("1.1", RecordKind.LAB, "Complete blood count, 12 Mar 2024"),
    ]
    assert (preview.results, preview.medications, preview.allergies, preview.problems) == (2, 1, 1, 1)
    assert preview.records[0].files == 1 and preview.records[0].facility == "Example Hospital"
    assert not preview.nothing_new and preview.warnings == ()
    assert preview.counts_by_kind() == {"clinical": 1, "lab": 1}
    assert count(folder, Record) == 0
    data = preview.to_json()
    assert data["lab_results"] == 2 and data["patients"][0]["name"] == "Alex Sample"
    assert [r["kind"] for r in data["records_to_add"]] == ["clinical", "lab"]


def test_import_creates_records_rows_and_attachments_with_their_source(folder) -> None:
    result = importer.import_package(folder, pkg(ccd()))
    assert len(result.created_record_ids) == 2
    assert (result.results, result.medications, result.allergies, result.problems) == (2, 1, 1, 1)
    assert result.sentence().startswith("Imported 2 records from HealthSummary_CCDA.zip with 2 lab results")
    doc_id, lab_id = result.created_record_ids
    doc = rec.get_record(folder, doc_id)
    lab = rec.get_record(folder, lab_id)
    assert doc.status is RecordStatus.RECEIVED and doc.received_on == dt.date.today()
    assert doc.date_of_service == dt.date(2024, 3, 12) and doc.facility_name == "Example Hospital"
    assert doc.clinician_name == "Dana Jones, MD"
    assert lab.kind is RecordKind.LAB and lab.facility_id == doc.facility_id
    # the original is attached to both records, stored once
    assert [a.original_name for a in doc.attachments] == ["DOC0001.XML"]
    assert [a.sha256 for a in lab.attachments] == [doc.attachments[0].sha256]
    assert folder.vault.exists(doc.attachments[0].sha256)
    with folder.session() as session:
        rows = session.scalars(select(LabResultRow).order_by(LabResultRow.id)).all()
        assert [(r.record_id, r.test, r.value, r.unit, r.observed_on) for r in rows] == [
            (lab_id, "Hemoglobin", "13.2", "g/dL", dt.date(2024, 3, 12)),
            (lab_id, "WBC", "11.2", "10*3/uL", dt.date(2024, 3, 12)),
        ]
        assert rows[0].source_name == "IHE_XDM/SUBSET01/DOC0001.XML"
        assert rows[0].sha256 == doc.attachments[0].sha256
        assert rows[0].position == "section Results, organizer 1, observation 1"
        assert session.scalar(select(MedicationRow.record_id)) == doc_id
        assert session.scalar(select(ProblemRow.stage)) == "Stage IIA"
        assert session.scalar(select(func.count()).select_from(Facility)) == 1
        assert session.scalar(select(func.count()).select_from(Clinician)) == 1
    labs = list_lab_results(folder, test="hemo")
    assert [r.value for r in labs] == ["13.2"] and labs[0].source.record_id == lab_id


def test_importing_the_same_download_again_adds_nothing_and_says_so(folder) -> None:
    importer.import_package(folder, pkg(ccd()))
    before = {t: count(folder, t) for t in (Record, Attachment, LabResultRow, MedicationRow, RecordSource)}
    preview = importer.preview_import(folder, pkg(ccd()))
    assert preview.nothing_new and all(r.already for r in preview.records)
    assert "in your records already" in preview.sentence()
    again = importer.import_package(folder, pkg(ccd()))
    assert again.record_ids == () and again.sentence().startswith("Nothing new")
    assert {t: count(folder, t) for t in before} == before


def test_a_later_visit_brings_only_its_new_results(folder) -> None:
    importer.import_package(folder, pkg(ccd()))
    second = ccd("IHE_XDM/SUBSET01/DOC0002.XML", original=b"<ClinicalDocument>two</ClinicalDocument>",
                 reports=(_cbc(), _cbc("2024-04-02T08:00", "12.1")))
    preview = importer.preview_import(folder, pkg(second))
    by_key = {r.key: r for r in preview.records}
    assert by_key["1.1"].already  # the March panel: every result known
    assert not by_key["1.2"].already and by_key["1.2"].results == 2
    assert preview.medications == 0 and preview.allergies == 0 and preview.problems == 0  # known already
    importer.import_package(folder, pkg(second))
    assert count(folder, LabResultRow) == 4


def test_facilities_and_clinicians_are_matched_not_duplicated(folder) -> None:
    rec.create_record(folder, RecordKind.PATHOLOGY, "Biopsy", facility="EXAMPLE HOSPITAL", clinician="dana jones, md")
    importer.import_package(folder, pkg(ccd()))
    assert count(folder, Facility) == 1 and count(folder, Clinician) == 1


def test_chosen_keys_only_and_unknown_keys_refused(folder) -> None:
    result = importer.import_package(folder, pkg(ccd()), keys=["1.1"])
    assert len(result.created_record_ids) == 1
    assert rec.get_record(folder, result.created_record_ids[0]).kind is RecordKind.LAB
    assert count(folder, MedicationRow) == 0
    with pytest.raises(ValidationError, match="no record 9"):
        importer.import_package(folder, pkg(ccd()), keys=["9"])


def test_someone_else_must_be_confirmed(folder) -> None:
    save_profile(folder, name="Alex Sample", date_of_birth=dt.date(1970, 1, 1))
    other = dataclasses.replace(ccd(), patient=Patient(name="Robin Other", birth_date=dt.date(1980, 5, 5)))
    preview = importer.preview_import(folder, pkg(other))
    assert len(preview.warnings) == 1
    assert preview.warnings[0] == ("These records may be someone else's: the name on the download is “Robin Other”, "
                                   "the profile says “Alex Sample”; the birth date on the download is 5 May 1980, "
                                   "the profile says 1 Jan 1970.")
    with pytest.raises(ValidationError) as caught:
        importer.import_package(folder, pkg(other))
    assert caught.value.field == "patient" and count(folder, Record) == 0
    assert importer.import_package(folder, pkg(other), confirmed=True).created_record_ids
    # the same person written another way is no warning
    same = dataclasses.replace(ccd(), patient=Patient(name="SAMPLE, ALEX", birth_date=dt.date(1970, 1, 1)))
    assert importer.preview_import(folder, pkg(same)).warnings == ()


def _vault_files(folder) -> set[str]:
    return set(folder.vault.stored())


def test_cancel_leaves_database_and_vault_as_they_were(folder) -> None:
    rec.create_record(folder, RecordKind.OTHER, "Already here")
    vault_before = _vault_files(folder)
    pdf = Embedded(name="report.pdf", media_type="application/pdf", data=b"%PDF-1.4 " + b"x" * 5000)
    doc = dataclasses.replace(ccd(), files=(pdf,))
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled, match="nothing was changed"):
        importer.import_package(folder, pkg(doc), cancelled=cancelled)
    assert count(folder, Record) == 1 and count(folder, RecordSource) == 0 and count(folder, LabResultRow) == 0
    assert _vault_files(folder) == vault_before
    assert not [p for p in folder.vault.root.iterdir() if p.name.startswith(".tmp")]


def test_a_failure_while_writing_rows_takes_the_new_files_out_again(folder, monkeypatch) -> None:
    def boom(*_a, **_k):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(importer, "_write", boom)
    with pytest.raises(RuntimeError):
        importer.import_package(folder, pkg(ccd()))
    assert _vault_files(folder) == set() and count(folder, Record) == 0


def test_embedded_files_and_links(folder) -> None:
    pdf = Embedded(name="Pathology report.pdf", media_type="application/pdf", data=b"%PDF-1.4 path")
    report = Report(kind="pathology", title="Surgical pathology", when="2024-01-20", files=(pdf,),
                    text="Invasive ductal carcinoma, grade 2.", accession_number="S24-1234", body_site="Left breast",
                    links=(Link(description="Full report", url="https://portal.example/r/1"),))
    result = importer.import_package(folder, pkg(ccd(reports=(report,))))
    path = rec.get_record(folder, result.created_record_ids[1])
    assert path.kind is RecordKind.PATHOLOGY and path.accession_number == "S24-1234"
    assert path.specimen_site == "Left breast" and path.summary == "Invasive ductal carcinoma, grade 2."
    assert sorted(a.original_name for a in path.attachments) == ["DOC0001.XML", "Pathology report.pdf"]
    assert "https://portal.example/r/1" in path.notes and "Not downloaded" in path.notes


def test_an_imaging_report_adds_to_the_study_imported_from_a_disc(folder) -> None:
    disc = rec.create_record(folder, RecordKind.IMAGING, "CT chest, 2 Feb 2024")
    with folder.session() as session:
        session.add(ImagingFile(record_id=disc.id, sha256="a" * 64, size=1, relative_path="IM1",
                                study_uid="1.2.840.1.2.3"))
    report = Report(kind="imaging", title="CT chest report", when="2024-02-02", study_uid="1.2.840.1.2.3",
                    text="No evidence of metastatic disease.")
    preview = importer.preview_import(folder, pkg(ccd(reports=(report,))))
    planned = preview.records[1]
    assert planned.adds_to == disc.id and planned.adds_to_title == "CT chest, 2 Feb 2024"
    result = importer.import_package(folder, pkg(ccd(reports=(report,))))
    assert disc.id in result.record_ids and disc.id not in result.created_record_ids
    assert "added to 1 record already there" in result.sentence()
    assert record_view(folder, disc.id) is not None


def test_the_readable_view_escapes_everything(folder) -> None:
    hostile = dataclasses.replace(ccd(), title="<script>alert(1)</script>", sections=(
        Section(title="Notes <img src=http://example.com/x.png>", blocks=(
            Block(kind="paragraph", text="<b>x</b> & <a href='http://example.com'>y</a>"),
            Block(kind="list", items=("<i>one</i>",)),
        )),))
    result = importer.import_package(folder, pkg(hostile))
    view = record_view(folder, result.created_record_ids[0])
    assert view is not None and view.sections[0].blocks[0].text.startswith("<b>x</b>")
    page = render_html(view)
    assert "<script>" not in page and "<img" not in page and "<a " not in page and "<b>x" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;x&lt;/b&gt; &amp;" in page
    assert "<h3>Medications</h3>" in page and "Letrozole 2.5 mg tablet" in page
    lab = record_view(folder, result.created_record_ids[1])
    assert lab is not None and [r.test for r in lab.results] == ["Hemoglobin", "WBC"]
    assert "<th>Reference range</th>" in render_html(lab)
    assert record_view(folder, rec.create_record(folder, RecordKind.OTHER, "Typed by hand").id) is None


def test_undoing_a_deletion_brings_the_imported_rows_back(folder) -> None:
    result = importer.import_package(folder, pkg(ccd()))
    doc_id, lab_id = result.created_record_ids
    snapshot = rec.delete_record(folder, lab_id, keep_files=True)
    assert count(folder, LabResultRow) == 0
    rec.restore_record(folder, snapshot)
    assert count(folder, LabResultRow) == 2
    view = record_view(folder, lab_id)
    assert view is not None and len(view.results) == 2
    assert "imported_rows" not in snapshot.to_json()


def test_cancel_after_the_files_went_into_the_vault_takes_them_out_again(folder, monkeypatch) -> None:
    from secondopinion_desktop.core.imaging.vaultbatch import VaultBatch

    stop = []
    real_commit = VaultBatch.commit

    def commit_then_cancel(self) -> None:
        real_commit(self)
        assert self.new_digests  # the files are in the vault under their real names now
        stop.append(True)

    monkeypatch.setattr(VaultBatch, "commit", commit_then_cancel)
    with pytest.raises(Cancelled):
        importer.import_package(folder, pkg(ccd()), cancelled=lambda: bool(stop))
    assert _vault_files(folder) == set() and count(folder, Record) == 0 and count(folder, Attachment) == 0


def test_progress_counts_bytes_stored(folder) -> None:
    seen: list[tuple[int, int]] = []
    importer.import_package(folder, pkg(ccd()), progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] == len(b"<ClinicalDocument>one</ClinicalDocument>")


def test_markup_from_a_download_reaches_the_packet_as_literal_text(folder, tmp_path) -> None:
    from pypdf import PdfReader

    from secondopinion_desktop.core.packet import PacketOptions, build_packet

    report = Report(kind="pathology", title="<b>Surgical</b> pathology & <font size=40>margins</font>",
                    when="2024-01-20", text="<para>Invasive</para> <img src='http://example.com/x.png'/> carcinoma")
    importer.import_package(folder, pkg(ccd(reports=(report,))))
    out = tmp_path / "packet.pdf"
    build_packet(folder, out, PacketOptions())
    text = " ".join((page.extract_text() or "") for page in PdfReader(out).pages)
    squashed = " ".join(text.split())
    assert "<b>Surgical</b> pathology & <font size=40>margins</font>" in squashed


def test_an_imaging_report_finds_a_disc_study_by_its_accession_number(folder, tmp_path) -> None:
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

    source = tmp_path / "disc"
    write_study(source, StudySpec(accession_number="ACC-778", series=(SeriesSpec(1, "CHEST", images=1),)))
    disc = import_imaging(folder, scan_folder(source)).record_ids[0]
    assert "Accession number ACC-778." in rec.get_record(folder, disc).summary
    report = Report(kind="imaging", title="MRI report", when="2024-02-02", accession_number="acc-778")
    planned = importer.preview_import(folder, pkg(ccd(reports=(report,)))).records[1]
    assert planned.adds_to == disc



def test_an_imaging_report_document_joins_the_disc_record_of_its_study(folder, tmp_path) -> None:
    from helpers import ccda_samples as cs

    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study
    from secondopinion_desktop.core.portal.package import read_path

    uid = "1.2.840.113619.2.62.994044785528.114289542805"
    write_study(tmp_path / "disc", StudySpec(study_uid=uid, series=(SeriesSpec(1, "CHEST", images=1),)))
    disc = import_imaging(folder, scan_folder(tmp_path / "disc")).record_ids[0]
    head = cs.header(type_code="18748-4", type_name="Diagnostic imaging study", title="CT chest report")
    head = head.replace("<documentationOf><serviceEvent classCode=\"PCPR\">",
                        f"<inFulfillmentOf><order><id root=\"1.2.3\" extension=\"ACC-9\"/></order></inFulfillmentOf>"
                        f"<documentationOf><serviceEvent classCode=\"PCPR\"><id root=\"{uid}\"/>", 1)
    body = cs.structured(cs.note_section("Findings", "18782-3", None, "No evidence of metastatic disease."))
    (tmp_path / "ct.xml").write_bytes(cs.wrap(head, body))
    package = read_path(tmp_path / "ct.xml")
    doc = package.documents[0]
    assert (doc.kind, doc.study_uid, doc.accession_number) == ("imaging", uid, "ACC-9")
    planned = importer.preview_import(folder, package).records[0]
    assert planned.adds_to == disc
    result = importer.import_package(folder, package)
    assert result.record_ids == (disc,) and result.created_record_ids == ()
    view = record_view(folder, disc)
    assert view is not None and any(s.title == "Findings" for s in view.sections)
    assert "ct.xml" in [a.original_name for a in rec.get_record(folder, disc).attachments]
    assert result.sentence() == "Added ct.xml to 1 record already there (1 file)."


def test_the_sentences_count_in_plain_words() -> None:
    preview = importer.ImportPreview(
        name="x.zip", patients=(), warnings=(), records=(importer.PlannedRecord(
            key="1", source="a", kind=RecordKind.CLINICAL, title="t", date=None, facility="", clinician="",
            results=0, medications=0, allergies=2, problems=1, files=0, already=False, adds_to=None,
            adds_to_title=""),), skipped=(), results=0, medications=0, allergies=2, problems=1, repeats=0,
        repeated_results=0, documents=1)
    assert preview.sentence() == "x.zip: 1 record, 2 allergies and 1 problem to add."
    result = importer.ImportResult("x.zip", (1,), (1,), 3, 0, 1, 0, 1)
    assert result.sentence() == "Imported 1 record from x.zip with 3 lab results, 1 allergy and 1 file."


def test_what_an_import_added_to_a_record_there_before_can_be_taken_back_and_put_back(folder) -> None:
    disc = rec.create_record(folder, RecordKind.IMAGING, "CT chest, 2 Feb 2024")
    with folder.session() as session:
        session.add(ImagingFile(record_id=disc.id, sha256="a" * 64, size=1, relative_path="IM1",
                                study_uid="1.2.840.1.2.3"))
    pdf = Embedded(name="ct.pdf", media_type="application/pdf", data=b"%PDF-1.4 ct")
    report = Report(kind="imaging", title="CT chest report", when="2024-02-02", study_uid="1.2.840.1.2.3",
                    files=(pdf,), results=(LabResult(test="Nodule size", value="4", unit="mm", when="2024-02-02"),))
    result = importer.import_package(folder, pkg(ccd(reports=(report,))))
    assert disc.id in result.record_ids
    tables = sorted({t for t, _ in result.added_rows})
    assert tables == ["attachment", "lab_result", "record_source"]
    with_it = rec.get_record(folder, disc.id)
    assert sorted(a.original_name for a in with_it.attachments) == ["DOC0001.XML", "ct.pdf"]
    taken = importer.take_back_added(folder, result)
    assert taken.record_ids == (disc.id,) and len(taken.digests) == 2
    assert rec.get_record(folder, disc.id).attachments == () and record_view(folder, disc.id) is None
    importer.put_back_added(folder, taken)
    back = rec.get_record(folder, disc.id)
    assert [a.id for a in back.attachments] == [a.id for a in with_it.attachments]
    view = record_view(folder, disc.id)
    assert view is not None and [r.test for r in view.results] == ["Nodule size"]


def test_the_document_as_written_follows_the_tables_read_from_it(folder) -> None:
    doc = dataclasses.replace(ccd(), sections=(Section(title="Allergies", blocks=(
        Block(kind="paragraph", text="Penicillin: hives"),)),))
    result = importer.import_package(folder, pkg(doc))
    page = render_html(record_view(folder, result.created_record_ids[0]))
    assert page.index("<h3>Allergies</h3>") < page.index("<h3>The document as written</h3>") < page.index(
        "<h4>Allergies</h4>")


def test_a_long_table_shows_its_first_rows_and_says_how_many_there_are(folder) -> None:
    from secondopinion_desktop.core.portal import view as view_module

    many = Report(kind="lab", title="Glucose log", when="2024-03-12", results=tuple(
        LabResult(test="Glucose", value=str(80 + i), unit="mg/dL", when=f"2024-03-12T{i // 60:02d}:{i % 60:02d}")
        for i in range(450)))
    table = Block(kind="table", rows=(("Time", "Value"),) + tuple((str(i), "x") for i in range(205)))
    doc = dataclasses.replace(ccd(reports=(many,)), sections=(Section(title="Readings", blocks=(table,)),))
    result = importer.import_package(folder, pkg(doc))
    lab_page = render_html(record_view(folder, result.created_record_ids[1]))
    assert lab_page.count("<tr>") == view_module.MAX_ROWS + 1
    assert "Showing the first 200 of 450 results; the attached file holds them all." in lab_page
    doc_page = render_html(record_view(folder, result.created_record_ids[0]))
    assert "Showing the first 200 of 205 rows" in doc_page


def test_records_come_back_together_or_not_at_all(folder) -> None:
    result = importer.import_package(folder, pkg(ccd()))
    snapshots = rec.delete_records(folder, list(result.created_record_ids))
    assert count(folder, Record) == 0
    back = rec.restore_records(folder, snapshots)
    assert [r.id for r in back] == list(result.created_record_ids) and count(folder, LabResultRow) == 2
    snapshots = rec.delete_records(folder, list(result.created_record_ids))
    rec.create_record(folder, RecordKind.OTHER, "In the way")  # takes no id of theirs; a clash is made below
    clash = dataclasses.replace(snapshots[1], id=rec.list_records(folder)[0].id)
    with pytest.raises(ValidationError, match="exists already"):
        rec.restore_records(folder, [snapshots[0], clash])
    assert count(folder, Record) == 1 and count(folder, LabResultRow) == 0  # the first did not come back either


def test_the_same_value_months_apart_is_two_results_when_only_the_reports_are_dated(folder) -> None:
    """A tumour marker at 31 in January and again at 31 in June, neither result with a time of its own: two
    results, not one — in the download and against what an earlier import kept."""
    from secondopinion_desktop.core.portal.package import _deduplicate

    def visit(day: str, source: str) -> Document:
        marker = Report(kind="lab", title="CA 15-3", when=day, results=(
            LabResult(test="CA 15-3", value="31", unit="U/mL"),))
        return ccd(source, reports=(marker,), original=source.encode())

    january, june = visit("2024-01-10", "DOC0001.XML"), visit("2024-06-10", "DOC0002.XML")
    kept, _repeats, repeated = _deduplicate([january, june])
    assert repeated == 0 and [len(d.reports[0].results) for d in kept] == [1, 1]
    importer.import_package(folder, pkg(january))
    preview = importer.preview_import(folder, pkg(june))
    assert preview.results == 1 and not preview.records[1].already
    importer.import_package(folder, pkg(june))
    assert [r.observed_on for r in list_lab_results(folder)] == [dt.date(2024, 6, 10), dt.date(2024, 1, 10)]
    # a result with no time anywhere is never taken for another
    undated = Report(kind="lab", title="Panel", results=(LabResult(test="X", value="1"),))
    no_time = dataclasses.replace(ccd("DOC0003.XML", reports=(undated,)), when="")
    assert importer.preview_import(folder, pkg(no_time)).results == 1
    # the same test name in two panels without codes is two tests
    a = Report(kind="lab", title="Urine", when="2024-07-01", results=(LabResult(test="Glucose", value="Neg"),))
    b = Report(kind="lab", title="Serum", when="2024-07-01", results=(LabResult(test="Glucose", value="Neg"),))
    kept, _r, repeated = _deduplicate([ccd("u.xml", reports=(a,)), ccd("s.xml", reports=(b,), original=b"s")])
    assert repeated == 0


def test_with_an_empty_profile_a_second_persons_download_must_be_confirmed(folder) -> None:
    importer.import_package(folder, pkg(ccd()))  # Alex Sample's, with nothing in the profile
    robin = dataclasses.replace(ccd("DOC0009.XML", original=b"robin"),
                                patient=Patient(name="Robin Other", birth_date=dt.date(1980, 5, 5)))
    preview = importer.preview_import(folder, pkg(robin))
    assert preview.warnings == (
        "These records may be someone else's: the download is about “Robin Other”, born 5 May 1980, the records "
        "imported before are about “Alex Sample”, born 1 Jan 1970. Filling in the patient profile lets every "
        "download be checked against it.",)
    with pytest.raises(ValidationError):
        importer.import_package(folder, pkg(robin))
    again = dataclasses.replace(ccd("DOC0010.XML", original=b"alex again"),
                                patient=Patient(name="SAMPLE, ALEX", birth_date=dt.date(1970, 1, 1)))
    assert importer.preview_import(folder, pkg(again)).warnings == ()
