"""The pre-flight check: each rule that reads the facts, firing and not firing, on crafted cases; the identity
rules on real mismatches (a document's text, an imported download, a DICOM header); language; the setting; the
one rule set (Still missing and the pre-flight check give the same findings); and the sample case."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pytest

from secondopinion_desktop.core import records as records_service
from secondopinion_desktop.core import settings
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.language import MIN_LETTERS, language_of
from secondopinion_desktop.core.models import ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.preflight import Facts, preflight, read_facts
from secondopinion_desktop.core.profile import ProfileData
from secondopinion_desktop.core.readiness import (
    CATEGORIES,
    NO_DESK,
    PATIENT_ONLY_RULES,
    RULE_CATEGORY,
    Action,
    Desk,
    find_missing,
    whats_missing,
)
from secondopinion_desktop.core.records import AttachmentData, RecordData

TODAY = dt.date(2025, 6, 2)
STAMP = dt.datetime(2025, 6, 1, 12, 0)
K, S, A = RecordKind, RecordStatus, Action

SPANISH = (
    "Informe de anatomía patológica. Diagnóstico: carcinoma ductal infiltrante de mama izquierda, grado "
    "histológico dos. Los receptores de estrógeno son positivos en el noventa por ciento de las células "
    "tumorales y los receptores de progesterona también son positivos. La proteína HER2 es negativa por "
    "inmunohistoquímica. Se recomienda valoración por oncología médica y discusión en el comité de tumores."
)
ENGLISH = (
    "Surgical pathology report. Diagnosis: invasive ductal carcinoma of the left breast, histologic grade two. "
    "Estrogen receptor is positive in ninety percent of the tumor cells and the progesterone receptor is also "
    "positive. HER2 protein is negative by immunohistochemistry. Medical oncology evaluation and discussion at "
    "the tumor board are recommended."
)

# --- crafted records -------------------------------------------------------------------------------------------


def att(id: int, name: str, media_type: str, sha: str | None = None) -> AttachmentData:
    return AttachmentData(id=id, record_id=0, original_name=name, media_type=media_type, size=1,
                          sha256=sha or f"{id:064d}", added_at=STAMP)


def rec(id: int, kind: RecordKind, title: str, status: RecordStatus = S.RECEIVED, **fields) -> RecordData:
    values = dict(
        id=id, kind=kind, title=title, date_of_service=None, facility_id=None, facility_name="",
        clinician_id=None, clinician_name="", status=status, requested_on=None, received_on=None, sent_on=None,
        summary="", notes="", imaging_modality="", imaging_body_region="", images_location=None,
        accession_number="", specimen_site="", slides_count=None, blocks_count=None, material_holder="",
        created_at=STAMP, updated_at=STAMP, attachments=(),
    )
    values.update(fields)
    values["attachments"] = tuple(values["attachments"])
    return RecordData(**values)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


PDF = att(1, "report.pdf", "application/pdf")

PROFILE = ProfileData(name="Alex Sample", date_of_birth=dt.date(1970, 2, 14), cancer_type="Breast cancer",
                      biomarkers="ER positive")
# Nothing for the fact rules to say: every record has its file, the imaging is recent and in DICOM, the card has
# two sides, the medication list is in the health summary.
BASE = (
    rec(1, K.PATHOLOGY, "Pathology report", date_of_service=ago(60), attachments=[att(11, "path.pdf",
                                                                                     "application/pdf")]),
    rec(2, K.PATHOLOGY, "Biopsy slides and tissue blocks", S.SENT, slides_count=9),
    rec(3, K.IMAGING, "CT chest", date_of_service=ago(20), images_location=ImagesLocation.FILES,
        attachments=[att(12, "ct.pdf", "application/pdf")], facility_name="Samplewood Imaging"),
    rec(4, K.MOLECULAR, "ER, PR and HER2 report", date_of_service=ago(58),
        attachments=[att(13, "her2.pdf", "application/pdf")]),
    rec(5, K.LAB, "Complete blood count", date_of_service=ago(10), attachments=[att(14, "cbc.pdf",
                                                                                    "application/pdf")]),
    rec(6, K.IDENTITY, "Insurance card", attachments=[att(15, "card-front.jpg", "image/jpeg"),
                                                      att(16, "card-back.jpg", "image/jpeg")]),
    rec(7, K.IDENTITY, "Driver's license", attachments=[att(17, "id.jpg", "image/jpeg")]),
    rec(8, K.OTHER, "Signed release", S.SENT),
)


def facts(records=BASE, **changes) -> Facts:  # type: ignore[no-untyped-def]
    values = dict(records=tuple(records), profile=PROFILE, desk=NO_DESK, has_medication_list=True,
                  dicom_records=frozenset({3}), pages={})
    values.update(changes)
    return Facts(**values)  # type: ignore[arg-type]


def found(f: Facts, today: dt.date = TODAY) -> list[tuple[str, Action, int | None]]:
    return [(x.rule, x.action, x.record_id) for x in find_missing((), PROFILE, today, NO_DESK, f)]


def edit(*replacing: RecordData, drop: tuple[int, ...] = ()) -> list[RecordData]:
    by_id = {r.id: r for r in replacing}
    out = [by_id.pop(r.id, r) for r in BASE if r.id not in drop]
    return out + list(by_id.values())


def change(record_id: int, **fields) -> RecordData:  # type: ignore[no-untyped-def]
    return dataclasses.replace(next(r for r in BASE if r.id == record_id), **fields)


def test_the_base_case_has_nothing_to_say() -> None:
    assert found(facts()) == []


CASES = {
    # completeness: images only as pictures or PDF
    "imaging on this computer, only a PDF and a picture": (
        facts(dicom_records=frozenset()), [("imaging-dicom", A.OPEN, 3)]),
    "imaging on this computer, nothing imported": (
        facts(edit(change(3, attachments=(), title="CT chest report")), dicom_records=frozenset()),
        [("imaging-dicom", A.OPEN, 3)]),
    "imaging on a CD: not a DICOM question": (
        facts(edit(change(3, images_location=ImagesLocation.CD)), dicom_records=frozenset()), []),
    "a DICOM file attached is DICOM": (
        facts(edit(change(3, attachments=(PDF, att(20, "IM0001", "application/dicom")))),
              dicom_records=frozenset()), []),
    # molecular only summarized
    "molecular result without its report": (
        facts(edit(change(4, attachments=()))), [("molecular-report", A.OPEN, 4)]),
    "one of two molecular records has its report": (
        facts(edit(change(4, attachments=()), rec(9, K.MOLECULAR, "NGS panel", attachments=[PDF]))), []),
    # medication list
    "no medication list anywhere": (
        facts(has_medication_list=False), [("medication-list", A.OPEN_HEALTH, None)]),
    "a medication list record counts": (
        facts(edit(rec(9, K.TREATMENT, "Current medications", attachments=[PDF])), has_medication_list=False),
        []),
    # insurance card, one side
    "one picture of the insurance card": (
        facts(edit(change(6, attachments=(att(15, "card.jpg", "image/jpeg"),)))),
        [("insurance-one-side", A.OPEN, 6)]),
    "a one-page PDF of the insurance card": (
        facts(edit(change(6, attachments=(att(15, "card.pdf", "application/pdf", "c" * 64),))),
              pages={"c" * 64: 1}),
        [("insurance-one-side", A.OPEN, 6)]),
    "a two-page PDF of the insurance card": (
        facts(edit(change(6, attachments=(att(15, "card.pdf", "application/pdf", "c" * 64),))),
              pages={"c" * 64: 2}), []),
    "a PDF not read yet is not judged": (
        facts(edit(change(6, attachments=(att(15, "card.pdf", "application/pdf", "c" * 64),)))), []),
    "one picture titled front and back": (
        facts(edit(change(6, title="Insurance card, front and back",
                          attachments=(att(15, "card.jpg", "image/jpeg"),)))), []),
    "a front without a back": (
        facts(edit(change(6, title="Insurance card (front)"))), [("insurance-one-side", A.OPEN, 6)]),
    "a front and a back": (
        facts(edit(change(6, title="Insurance card (front)"), rec(9, K.IDENTITY, "Insurance card (back)",
                                                                  attachments=[PDF]))), []),
    # a received record without its file
    "a received report without its file": (
        facts(edit(change(1, attachments=()))), [("no-file", A.OPEN, 1)]),
    "a record still needed has no file yet, rightly": (
        facts(edit(change(1, attachments=(), status=S.REQUESTED, requested_on=ago(3)))), []),
    # freshness
    "imaging older than 8 weeks": (
        facts(edit(change(3, date_of_service=ago(57)))), [("recent-imaging", A.OPEN, 3)]),
    "imaging exactly 8 weeks old": (facts(edit(change(3, date_of_service=ago(56)))), []),
    "imaging 10 weeks old with the setting at 12 weeks": (
        facts(edit(change(3, date_of_service=ago(70))), fresh_weeks=12), []),
    "labs older than 8 weeks": (
        facts(edit(change(5, date_of_service=ago(57)))), [("recent-labs", A.ADD, None)]),
    "old lab records, a recent result in the health summary": (
        facts(edit(change(5, date_of_service=ago(200))), latest_lab_result=ago(3)), []),
    # language
    "a document in Spanish": (
        facts(languages={1: ((11, "Spanish"),)}), [("language", A.OPEN, 1)]),
}


@pytest.mark.parametrize(("given", "expected"), list(CASES.values()), ids=list(CASES))
def test_fact_rules(given, expected) -> None:  # type: ignore[no-untyped-def]
    assert found(given) == expected


def test_messages_are_one_sentence_naming_the_record_with_an_action() -> None:
    by_rule = {f.rule: f.message for f in find_missing((), PROFILE, TODAY, NO_DESK, facts(
        edit(change(3, date_of_service=ago(90)), change(4, attachments=()), change(1, attachments=())),
        dicom_records=frozenset(), has_medication_list=False, languages={5: ((14, "Spanish"),)}))}
    assert by_rule["imaging-dicom"] == (
        "The images of CT chest are here only as pictures or PDF pages, not as DICOM files: ask Samplewood "
        "Imaging for the images on a CD, or import them from the disc, so the radiologists can look at them in "
        "their viewer.")
    assert by_rule["recent-imaging"] == (
        "The latest imaging here, CT chest (Mar 4, 2025), is 12 weeks old: ask your care team whether there are "
        "newer scans to add.")
    assert by_rule["language"] == (
        "Complete blood count (cbc.pdf) seems to be in Spanish; the consultant may need a translation.")
    assert by_rule["no-file"].startswith("Pathology report is marked received, but no file of it is attached")
    assert by_rule["molecular-report"].startswith("ER, PR and HER2 report is here only as a summary")
    assert by_rule["medication-list"].endswith("so type them into the health summary.")
    for message in by_rule.values():
        assert message.endswith(".") and message.count(". ") == 0, message


def test_slides_already_shipped_need_not_be_listed() -> None:
    from secondopinion_desktop.core.models import MaterialKind
    from secondopinion_desktop.core.shipments import ShipmentData

    shipment = ShipmentData(id=1, record_id=None, record_title="", request_id=None,
                            material=MaterialKind.STAINED_SLIDES, count=9, from_lab="Lab", to_whom="",
                            carrier="", tracking_number="", shipped_on=ago(2), received_on=None, due_back_on=None,
                            returned_on=None, notes="")
    without = facts(edit(drop=(2,)))
    assert ("pathology-material", A.ADD, None) in found(without)
    assert ("pathology-material", A.ADD, None) not in found(dataclasses.replace(without, desk=Desk(
        shipments=(shipment,))))


def test_a_request_due_after_the_appointment(folder) -> None:  # type: ignore[no-untyped-def]
    """Timing: an open request due after the next appointment (the due-soon reminder gives way to it)."""
    from secondopinion_desktop.core import appointments, requests

    letter = records_service.create_record(folder, "clinical", "Surgeon's letter", facility="Samplewood Lab")
    q = requests.create_request(folder, "Samplewood Lab", record_ids=[letter.id])
    today = dt.date.today()
    requests.mark_sent(folder, q.id, on=today - dt.timedelta(days=25))  # due in 5 days
    with folder.session() as session:
        before = [(f.rule, f.request_id) for f in whats_missing(session, today)]
    assert ("request-due-soon", q.id) in before and ("due-after-appointment", q.id) not in before
    appointments.create_appointment(folder, starts_at=dt.datetime.combine(today + dt.timedelta(days=3),
                                                                          dt.time(10)))
    with folder.session() as session:
        after = whats_missing(session, today)
    late = [f for f in after if f.request_id == q.id]
    assert [(f.rule, f.action, f.category) for f in late] == [
        ("due-after-appointment", A.OPEN_REQUEST, "timing")]
    assert late[0].message.startswith("Records request to Samplewood Lab is due on ")
    assert "after your appointment on" in late[0].message


# --- identity on real data -------------------------------------------------------------------------------------


class TextReader:
    """Reads the text a test wrote into the file (pages split on form feeds)."""

    def read(self, path: Path, media_type: str, *, cancelled=None):  # type: ignore[no-untyped-def]
        from secondopinion_desktop.core.documents.model import BY_TEXT, PageText, ReadResult

        pages = tuple(PageText(i, t, BY_TEXT) for i, t in enumerate(path.read_text().split("\f"), start=1))
        return ReadResult(pages, len(pages))


@pytest.fixture
def alex(folder):  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.profile import save_profile

    save_profile(folder, name="Alex Sample", date_of_birth=dt.date(1970, 2, 14), cancer_type="Breast cancer")
    return folder


def _document(folder, tmp_path: Path, title: str, name: str, body: str, kind: str = "pathology"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(body)
    record = records_service.create_record_with_files(folder, kind, title, [path])
    index.read_pending(folder, TextReader())
    return record


def _rules(folder, rule: str):  # type: ignore[no-untyped-def]
    return [f for f in preflight(folder) if f.rule == rule]


@pytest.mark.parametrize(("header", "names"), [
    ("Patient: Jordan Other\nDOB: 02/14/1970\n", "names “Jordan Other”, not Alex Sample"),
    ("Patient: Alex Sample\nDOB: 07/01/1981\n", "gives the date of birth 1 Jul 1981; the profile says 14 Feb 1970"),
])
def test_a_document_naming_someone_else(alex, tmp_path, header, names) -> None:  # type: ignore[no-untyped-def]
    record = _document(alex, tmp_path, "Pathology report", "report.txt", header + ENGLISH)
    (finding,) = _rules(alex, "identity-document")
    assert (finding.record_id, finding.action, finding.category) == (record.id, A.OPEN, "identity")
    assert finding.message.startswith("Pathology report (report.txt, page 1) ")
    assert names in finding.message
    assert finding.message.endswith(".")


def test_a_document_naming_the_patient_is_fine(alex, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _document(alex, tmp_path, "Pathology report", "report.txt", "Patient: SAMPLE, ALEX\nDOB: 02/14/1970\n" + ENGLISH)
    assert _rules(alex, "identity-document") == []


def _download(folder, name: str, born: dt.date | None) -> int:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.models import RecordSource

    record = records_service.create_record(folder, "clinical", "Visit summary", status="received")
    with folder.session() as session:
        session.add(RecordSource(record_id=record.id, format="C-CDA", source_name="download.xml",
                                 digest="d" * 64, patient_name=name, patient_birth_date=born))
    return record.id


def test_an_imported_download_for_someone_else(alex) -> None:  # type: ignore[no-untyped-def]
    other = _download(alex, "Jordan Other", dt.date(1970, 2, 14))
    born = _download(alex, "Alex Sample", dt.date(1981, 7, 1))
    _download(alex, "Alex Sample", dt.date(1970, 2, 14))  # hers
    findings = _rules(alex, "identity-download")
    assert [f.record_id for f in findings] == [other, born]
    assert findings[0].message == (
        "Visit summary was imported from a download for “Jordan Other”, born Feb 14, 1970, not Alex Sample, born "
        "Feb 14, 1970: check that these are your records.")
    assert "born Jul 1, 1981" in findings[1].message


def test_a_dicom_study_of_someone_else(alex, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_study

    write_study(tmp_path / "hers", StudySpec(), size=16)
    write_study(tmp_path / "other", StudySpec(description="CT ABDOMEN", patient_name="OTHER^JORDAN"), size=16)
    import_imaging(alex, scan_folder(tmp_path / "hers"))
    other = import_imaging(alex, scan_folder(tmp_path / "other")).record_ids[0]
    started = time.perf_counter()
    findings = _rules(alex, "identity-imaging")
    seconds = time.perf_counter() - started
    assert [f.record_id for f in findings] == [other]
    assert findings[0].message.startswith("The images of CT ABDOMEN")
    assert "are of “Jordan Other”, born Feb 14, 1970, not Alex Sample" in findings[0].message
    assert seconds < 5
    with alex.session() as session:
        assert len(read_facts(session).dicom_records) == 2  # both are DICOM: no "only pictures" finding
    assert _rules(alex, "imaging-dicom") == []


# --- language --------------------------------------------------------------------------------------------------


def test_language_of_english_spanish_and_too_short() -> None:
    assert language_of(SPANISH) == "Spanish"
    assert language_of(ENGLISH) == ""
    assert language_of(SPANISH[:MIN_LETTERS - 60]) == ""  # too short to judge
    assert language_of("12 345 67,8 " * 80) == ""  # numbers only
    assert language_of(ENGLISH + " " + SPANISH) == ""  # mixed: an English report quoting a Spanish one
    assert language_of(
        "Compte rendu anatomopathologique. Carcinome canalaire infiltrant du sein gauche, grade histologique "
        "deux. Les récepteurs aux oestrogènes sont positifs dans quatre-vingt-dix pour cent des cellules "
        "tumorales. HER2 négatif en immunohistochimie. Une consultation en oncologie médicale est recommandée."
    ) == "French"


def test_a_spanish_document_is_flagged_for_translation(alex, tmp_path) -> None:  # type: ignore[no-untyped-def]
    record = _document(alex, tmp_path, "Informe de patología", "informe.txt", SPANISH)
    _document(alex, tmp_path, "Pathology report", "report.txt", ENGLISH)
    (finding,) = _rules(alex, "language")
    assert finding.record_id == record.id
    assert finding.message == (
        "Informe de patología (informe.txt) seems to be in Spanish; the consultant may need a translation.")
    assert finding.category == "language" and finding.rule in PATIENT_ONLY_RULES


# --- the setting, the categories, one rule set ------------------------------------------------------------------


def test_the_freshness_setting(folder) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.errors import ValidationError
    from secondopinion_desktop.core.preflight import fresh_weeks

    assert fresh_weeks(folder) == 8
    settings.set_setting(folder, settings.FRESH_WEEKS, 12)
    assert fresh_weeks(folder) == 12
    with folder.session() as session:
        assert read_facts(session).fresh_days == 84
    with pytest.raises(ValidationError):
        settings.set_setting(folder, settings.FRESH_WEEKS, 0)


def test_every_rule_has_a_category() -> None:
    assert CATEGORIES == ("identity", "completeness", "freshness", "language", "timing")
    assert set(RULE_CATEGORY.values()) == set(CATEGORIES)
    assert set(RULE_CATEGORY) >= PATIENT_ONLY_RULES
    assert RULE_CATEGORY["recent-labs"] == "freshness" and RULE_CATEGORY["follow-up"] == "timing"


# --- the sample case --------------------------------------------------------------------------------------------

DEMO_DAY = dt.date(2025, 3, 10)


def test_the_sample_case(folder) -> None:  # type: ignore[no-untyped-def]
    """Still missing and the pre-flight check give the same findings; the sample case's CT is kept as pictures
    and is three months old; nothing in it names another person."""
    fill_demo_data(folder, today=DEMO_DAY)
    with folder.session() as session:
        still_missing = whats_missing(session, DEMO_DAY)
        f = read_facts(session)
    checked = preflight(folder, DEMO_DAY)
    assert checked == still_missing
    rules = [x.rule for x in checked]
    assert {x.category for x in checked} <= set(CATEGORIES)
    ct = next(r for r in f.records if r.title.startswith("CT chest, abdomen and pelvis"))
    assert ("imaging-dicom", ct.id) in {(x.rule, x.record_id) for x in checked}
    assert ("recent-imaging", ct.id) in {(x.rule, x.record_id) for x in checked}
    assert not PATIENT_ONLY_RULES & set(rules)
    # what the sample case has decides the medication and lab findings
    assert ("medication-list" in rules) == (not f.has_medication_list and not any(
        "medication" in r.title.lower() for r in f.records))
    for x in checked:
        assert x.message.endswith(".") and "None" not in x.message


# --- reading the patient of a DICOM header without pydicom --------------------------------------------------------


def _dicom(path: Path, *, implicit: bool = False, charset: str = "", name: str = "OTHER^JORDAN",
           sequence: bool = False) -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyDescription = "CT CHEST"
    if sequence:
        item = Dataset()
        item.ReferencedSOPInstanceUID = generate_uid()
        ds.ReferencedStudySequence = Sequence([item])
    ds.PatientName = name
    ds.PatientBirthDate = "19810701"
    ds.PatientID = "X1"
    ds.StudyInstanceUID = generate_uid()
    ds.save_as(path, enforce_file_format=True)
    if sequence:  # written with undefined lengths, as many scanners do
        from pydicom import dcmread

        again = dcmread(path)
        again["ReferencedStudySequence"].is_undefined_length = True
        for it in again.ReferencedStudySequence:
            it.is_undefined_length_sequence_item = True
        again.save_as(path)
        assert b"\xfe\xff\xdd\xe0" in path.read_bytes()  # the sequence delimiter
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["explicit", "implicit", "utf-8", "latin-1", "sequence"])
def test_the_quick_header_reader_agrees_with_pydicom(tmp_path, kind) -> None:  # type: ignore[no-untyped-def]
    from pydicom import dcmread

    from secondopinion_desktop.core.preflight import quick_patient

    name = {"utf-8": "LÓPEZ^MARÍA", "latin-1": "MÜLLER^JÜRGEN"}.get(kind, "OTHER^JORDAN")
    charset = {"utf-8": "ISO_IR 192", "latin-1": "ISO_IR 100"}.get(kind, "")
    data = _dicom(tmp_path / "f.dcm", implicit=kind == "implicit", charset=charset, name=name,
                  sequence=kind == "sequence")
    ds = dcmread(tmp_path / "f.dcm")
    assert quick_patient(data) == (str(ds.PatientName), "19810701") == (name, "19810701")


def test_the_quick_header_reader_gives_up_rather_than_guess(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.preflight import quick_patient

    data = _dicom(tmp_path / "f.dcm", charset="ISO_IR 144")  # Cyrillic: pydicom decodes it
    assert quick_patient(data) is None
    assert quick_patient(b"not dicom at all") is None
    assert quick_patient(data[:140]) in (None, ("", ""))


def test_material_not_shipped_before_the_appointment(folder) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core import appointments, shipments

    today = dt.date.today()
    shipment = shipments.create_shipment(folder, count=9, from_lab="Samplewood Pathology")
    assert not [f for f in whats_missing(folder, today) if f.rule == "due-after-appointment"]  # no appointment
    appointments.create_appointment(folder, starts_at=dt.datetime.combine(today + dt.timedelta(days=10),
                                                                          dt.time(10)))
    (late,) = [f for f in whats_missing(folder, today) if f.rule == "due-after-appointment"]
    assert (late.action, late.shipment_id, late.category) == (A.OPEN_SHIPMENT, shipment.id, "timing")
    assert late.message.startswith("9 stained slides have not been shipped yet, and your appointment is on ")
    assert late.message.endswith(": ask Samplewood Pathology when they will be sent.")
    shipments.update_shipment(folder, shipment.id, shipped_on=today)
    assert not [f for f in whats_missing(folder, today) if f.rule == "due-after-appointment"]
