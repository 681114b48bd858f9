"""What's still missing: each rule's positive and negative cases, word traps, the follow-up boundary, and the
findings the sample case implies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import random

import pytest

from secondopinion_desktop.core import readiness
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.models import ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.profile import ProfileData
from secondopinion_desktop.core.readiness import (
    FOLLOW_UP_DAYS,
    RECENT_LAB_DAYS,
    RULES,
    Action,
    Finding,
    find_missing,
)
from secondopinion_desktop.core.records import AttachmentData, RecordData, list_records

TODAY = dt.date(2025, 6, 2)
STAMP = dt.datetime(2025, 6, 1, 12, 0)
K, S, A = RecordKind, RecordStatus, Action
NEEDED, REQUESTED, RECEIVED, SENT = S.NEEDED, S.REQUESTED, S.RECEIVED, S.SENT
PROFILE = ProfileData(
    name="Test Patient", date_of_birth=dt.date(1970, 3, 4), cancer_type="Breast cancer",
    biomarkers="ER positive, HER2 negative",
)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def file(name: str, media_type: str) -> AttachmentData:
    return AttachmentData(id=0, record_id=0, original_name=name, media_type=media_type, size=1,
                          sha256="0" * 64, added_at=STAMP)


PDF = file("report.pdf", "application/pdf")
PNG = file("key_image.png", "image/png")
DICOM = file("IM0001", "application/dicom")


def rec(id: int, kind: RecordKind, title: str, status: RecordStatus = RECEIVED, **fields) -> RecordData:
    """A record with every field filled in: nothing dated, no facility, no files, unless given."""
    values = dict(
        id=id, kind=kind, title=title, date_of_service=None, facility_id=None, facility_name="",
        clinician_id=None, clinician_name="", status=status, requested_on=None, received_on=None,
        sent_on=None,
        summary="", notes="", imaging_modality="", imaging_body_region="", images_location=None,
        accession_number="", specimen_site="", slides_count=None, blocks_count=None, material_holder="",
        created_at=STAMP, updated_at=STAMP, attachments=(),
    )
    values.update(fields)
    values["attachments"] = tuple(values["attachments"])
    return RecordData(**values)


# A complete inventory for someone not yet treated: no rule has anything to say.
COMPLETE = (
    rec(1, K.PATHOLOGY, "Pathology report: left breast core biopsy", date_of_service=ago(100),
        facility_name="Samplewood Hospital"),
    rec(2, K.PATHOLOGY, "Biopsy slides and tissue blocks", SENT, date_of_service=ago(100), slides_count=9,
        blocks_count=1, material_holder="Samplewood Hospital Pathology"),
    rec(3, K.IMAGING, "CT chest", date_of_service=ago(80), images_location=ImagesLocation.CD,
        attachments=[PDF], facility_name="Samplewood Imaging"),
    rec(4, K.MOLECULAR, "ER, PR and HER2 report", date_of_service=ago(98)),
    rec(5, K.LAB, "Complete blood count", date_of_service=ago(30)),
    rec(6, K.IDENTITY, "Insurance card, front and back"),
    rec(7, K.IDENTITY, "Driver's license"),
    rec(8, K.OTHER, "Signed release to the cancer center", SENT),
    rec(9, K.TREATMENT, "Current medications and allergies", date_of_service=ago(10)),
    rec(10, K.CLINICAL, "Medical oncology consultation note", date_of_service=ago(70)),
)
# The same after surgery and chemotherapy.
TREATED = COMPLETE + (
    rec(11, K.CLINICAL, "Lumpectomy and sentinel node biopsy, left breast", date_of_service=ago(40)),
    rec(12, K.CLINICAL, "Operative note: left lumpectomy", date_of_service=ago(40)),
    rec(13, K.TREATMENT, "Chemotherapy, cycle 1", date_of_service=ago(20)),
    rec(14, K.TREATMENT, "Treatment summary from the infusion center", date_of_service=ago(5)),
)


def edit(base: tuple[RecordData, ...], *records: RecordData, drop: tuple[int, ...] = ()) -> list[RecordData]:
    """``base`` with ``records`` replacing those of the same id (or added), and ids in ``drop`` removed."""
    replacing = {r.id: r for r in records}
    kept = [replacing.pop(r.id, r) for r in base if r.id not in drop]
    return kept + list(replacing.values())


def change(record_id: int, base: tuple[RecordData, ...] = COMPLETE, **fields) -> RecordData:
    return dataclasses.replace(next(r for r in base if r.id == record_id), **fields)


def letter(status: RecordStatus = REQUESTED, **fields) -> RecordData:
    return rec(11, K.CLINICAL, "Surgeon's letter", status, **fields)


def keys(findings: list[Finding]) -> set[tuple[str, Action, int | str]]:
    """A finding as (rule, action, record id), or (rule, action, suggested title) when it names no record."""
    return {
        (f.rule, f.action, f.record_id if f.record_id is not None else f.suggested_title) for f in findings
    }


CASES = {
    # --- complete inventories -------------------------------------------------------------------------
    "complete, not treated yet": (list(COMPLETE), set()),
    "complete after surgery and chemotherapy": (list(TREATED), set()),
    # --- 1 pathology-report ---------------------------------------------------------------------------
    "no pathology report at all": (
        edit(COMPLETE, drop=(1,)), {("pathology-report", A.ADD, "Pathology report")}),
    "pathology report still needed": (
        edit(COMPLETE, change(1, status=NEEDED)), {("pathology-report", A.MARK_REQUESTED, 1)}),
    "pathology report requested recently: nothing yet": (
        edit(COMPLETE, change(1, status=REQUESTED, requested_on=ago(5))), set()),
    "pathology report requested long ago: follow-up only": (
        edit(COMPLETE, change(1, status=REQUESTED, requested_on=ago(20))), {("follow-up", A.FOLLOW_UP, 1)}),
    "a report saying where the material is stays a report": (
        edit(COMPLETE, change(1, material_holder="Samplewood Hospital Pathology")), set()),
    "a second pathology report still needed": (
        edit(COMPLETE, rec(11, K.PATHOLOGY, "Pathology report: lymph node biopsy", NEEDED)),
        {("pathology-report", A.MARK_REQUESTED, 11)}),
    "slides still needed, no report": (
        edit(COMPLETE, change(2, status=NEEDED), drop=(1,)),
        {("pathology-report", A.ADD, "Pathology report"), ("pathology-material", A.MARK_REQUESTED, 2)}),
    # --- 2 pathology-material / pathology-release ----------------------------------------------------
    "report but no slides or blocks listed": (
        edit(COMPLETE, drop=(2,)), {("pathology-material", A.ADD, "Biopsy slides and tissue blocks")}),
    "no slides and no report: only the report is asked for": (
        edit(COMPLETE, drop=(1, 2)), {("pathology-report", A.ADD, "Pathology report")}),
    "slides still needed, release in hand": (
        edit(COMPLETE, change(2, status=NEEDED)), {("pathology-material", A.MARK_REQUESTED, 2)}),
    "slides still needed, no release": (
        edit(COMPLETE, change(2, status=NEEDED), drop=(8,)),
        {("pathology-material", A.MARK_REQUESTED, 2),
         ("pathology-release", A.ADD, "Signed release for slides and blocks")}),
    "slides requested recently, no release": (
        edit(COMPLETE, change(2, status=REQUESTED, requested_on=ago(3)), drop=(8,)),
        {("pathology-release", A.ADD, "Signed release for slides and blocks")}),
    "slides in hand: no release needed": (edit(COMPLETE, drop=(8,)), set()),
    "release listed but not signed yet": (
        edit(COMPLETE, change(2, status=REQUESTED, requested_on=ago(3)), change(8, status=NEEDED)),
        {("pathology-release", A.OPEN, 8)}),
    "material told by its title alone": (
        edit(COMPLETE, rec(11, K.PATHOLOGY, "Unstained slides for more testing", NEEDED)),
        {("pathology-material", A.MARK_REQUESTED, 11)}),
    "an insurance authorization is not a records release": (
        edit(COMPLETE, change(2, status=NEEDED),
             rec(8, K.IDENTITY, "Insurance referral and authorization for the visit")),
        {("pathology-material", A.MARK_REQUESTED, 2),
         ("pathology-release", A.ADD, "Signed release for slides and blocks")}),
    "a HIPAA authorization form is a release": (
        edit(COMPLETE, change(2, status=NEEDED), rec(8, K.IDENTITY, "HIPAA authorization form")),
        {("pathology-material", A.MARK_REQUESTED, 2)}),
    # --- 3 imaging -------------------------------------------------------------------------------------
    "report but images still at the facility": (
        edit(COMPLETE, change(3, images_location=ImagesLocation.AT_FACILITY)),
        {("imaging-images", A.OPEN, 3)}),
    "report, image location not filled in": (
        edit(COMPLETE, change(3, images_location=None)), {("imaging-images", A.OPEN, 3)}),
    "a key-image PNG is not the images": (
        edit(COMPLETE, change(3, images_location=None, attachments=(PDF, PNG))),
        {("imaging-images", A.OPEN, 3)}),
    "a DICOM file is the images; 'report' in the title is the report": (
        edit(COMPLETE, change(3, title="CT chest report", images_location=None, attachments=(DICOM,))),
        set()),
    "images on CD but no report": (
        edit(COMPLETE, change(3, attachments=())), {("imaging-report", A.OPEN, 3)}),
    "images in the portal, the summary quotes the report": (
        edit(COMPLETE, change(3, images_location=ImagesLocation.PORTAL, attachments=(),
                              summary="Report: no evidence of spread.")), set()),
    "neither images nor report": (
        edit(COMPLETE, change(3, images_location=None, attachments=())),
        {("imaging-images", A.OPEN, 3), ("imaging-report", A.OPEN, 3)}),
    "imaging still needed": (
        edit(COMPLETE, rec(11, K.IMAGING, "Screening mammogram from last year", NEEDED,
                           date_of_service=ago(400))),
        {("imaging-needed", A.MARK_REQUESTED, 11)}),
    "imaging requested recently: nothing yet": (
        edit(COMPLETE, rec(11, K.IMAGING, "Bone scan", REQUESTED, requested_on=ago(2))), set()),
    # --- 4 molecular -----------------------------------------------------------------------------------
    "biomarkers in the profile, no molecular record": (
        edit(COMPLETE, drop=(4,)), {("molecular", A.ADD, "Biomarker report (IHC, FISH or NGS)")}),
    "biomarker report still needed": (
        edit(COMPLETE, change(4, status=NEEDED)), {("molecular", A.MARK_REQUESTED, 4)}),
    "biomarker report requested recently": (
        edit(COMPLETE, change(4, status=REQUESTED, requested_on=ago(4))), set()),
    # --- 5 operative-note ------------------------------------------------------------------------------
    "surgery without an operative note": (
        edit(TREATED, drop=(12,)), {("operative-note", A.ADD, "Operative note")}),
    "operative note still needed": (
        edit(TREATED, change(12, TREATED, status=NEEDED)), {("operative-note", A.MARK_REQUESTED, 12)}),
    "surgery named only in a discharge summary": (
        edit(COMPLETE, rec(11, K.CLINICAL, "Hospital discharge summary", date_of_service=ago(30),
                           summary="Left mastectomy with sentinel node biopsy; home the next day.")),
        {("operative-note", A.ADD, "Operative note"), ("treatment-summary", A.ADD, "Treatment summary")}),
    "a surgery consultation is not surgery": (
        edit(COMPLETE, rec(11, K.CLINICAL, "Breast surgery consultation note", date_of_service=ago(60),
                           summary="Options discussed: lumpectomy or mastectomy.")), set()),
    "a plan for mastectomy is not surgery": (
        edit(COMPLETE, rec(11, K.CLINICAL, "Plan: mastectomy after chemotherapy", date_of_service=ago(5))),
        set()),
    "a mastectomy dated in the future has not happened": (
        edit(COMPLETE, rec(11, K.CLINICAL, "Mastectomy", NEEDED,
                           date_of_service=TODAY + dt.timedelta(days=9))),
        set()),
    "'resectability' is not a resection": (
        edit(COMPLETE, rec(11, K.CLINICAL, "Pancreas resectability assessment", date_of_service=ago(9))),
        set()),
    # --- 6 recent-labs ---------------------------------------------------------------------------------
    f"labs {RECENT_LAB_DAYS + 1} days old": (
        edit(COMPLETE, change(5, date_of_service=ago(RECENT_LAB_DAYS + 1))),
        {("recent-labs", A.ADD, "Recent blood work")}),
    f"labs exactly {RECENT_LAB_DAYS} days old": (
        edit(COMPLETE, change(5, date_of_service=ago(RECENT_LAB_DAYS))), set()),
    "undated labs do not count as recent": (
        edit(COMPLETE, change(5, date_of_service=None)), {("recent-labs", A.ADD, "Recent blood work")}),
    "no labs at all": (edit(COMPLETE, drop=(5,)), {("recent-labs", A.ADD, "Recent blood work")}),
    "old labs, a recent one still needed": (
        edit(COMPLETE, change(5, date_of_service=ago(200)),
             rec(11, K.LAB, "Tumor markers CA 15-3", NEEDED, date_of_service=ago(10))),
        {("recent-labs", A.MARK_REQUESTED, 11)}),
    "old labs, a recent one requested": (
        edit(COMPLETE, change(5, date_of_service=ago(200)),
             rec(11, K.LAB, "Blood counts", REQUESTED, date_of_service=ago(10), requested_on=ago(3))), set()),
    # --- 7 treatment-summary / medication-list ---------------------------------------------------------
    "chemotherapy given, no treatment summary": (
        edit(COMPLETE, rec(11, K.TREATMENT, "Chemotherapy, cycle 1", date_of_service=ago(20))),
        {("treatment-summary", A.ADD, "Treatment summary")}),
    "chemotherapy given, no summary and no medication list": (
        edit(COMPLETE, rec(11, K.TREATMENT, "Chemotherapy, cycle 1", date_of_service=ago(20)), drop=(9,)),
        {("treatment-summary", A.ADD, "Treatment summary"),
         ("medication-list", A.ADD, "Current medications and allergies")}),
    "treatment summary still needed": (
        edit(TREATED, change(14, TREATED, status=NEEDED)), {("treatment-summary", A.MARK_REQUESTED, 14)}),
    "medication list still needed": (
        edit(TREATED, change(9, TREATED, status=NEEDED)), {("medication-list", A.MARK_REQUESTED, 9)}),
    "a proposed plan is not treatment started": (
        edit(COMPLETE, rec(11, K.TREATMENT, "Proposed treatment plan after tumor board",
                           date_of_service=ago(30)),
             drop=(9,)), set()),
    "a tumor board summary is neither treatment nor its summary": (
        edit(COMPLETE, rec(11, K.TREATMENT, "Tumor board summary and plan", date_of_service=ago(30))), set()),
    "treatment dated today has not started before today": (
        edit(COMPLETE, rec(11, K.TREATMENT, "Hormone therapy: letrozole", date_of_service=TODAY)), set()),
    # --- 8 id-insurance --------------------------------------------------------------------------------
    "no insurance card": (
        edit(COMPLETE, drop=(6,)), {("id-insurance", A.ADD, "Insurance card, front and back")}),
    "insurance card still needed": (
        edit(COMPLETE, change(6, status=NEEDED)), {("id-insurance", A.MARK_REQUESTED, 6)}),
    "an insurance contract is not the card": (
        edit(COMPLETE, rec(6, K.IDENTITY, "Insurance contract")),
        {("id-insurance", A.ADD, "Insurance card, front and back")}),
    "no photo ID": (edit(COMPLETE, drop=(7,)), {("id-insurance", A.ADD, "Photo ID")}),
    "photo ID still needed": (
        edit(COMPLETE, change(7, status=NEEDED)), {("id-insurance", A.MARK_REQUESTED, 7)}),
    "an idea list is not an ID": (
        edit(COMPLETE, rec(7, K.IDENTITY, "Idea list for the visit")), {("id-insurance", A.ADD, "Photo ID")}),
    "an insurance ID card is not a photo ID": (
        edit(COMPLETE, rec(6, K.IDENTITY, "Insurance ID card"), drop=(7,)),
        {("id-insurance", A.ADD, "Photo ID")}),
    "a passport is a photo ID": (edit(COMPLETE, rec(7, K.IDENTITY, "Passport, photo page")), set()),
    "a bare 'ID' is a photo ID": (edit(COMPLETE, rec(7, K.IDENTITY, "Copy of my ID")), set()),
    "one needed record for card and ID is reported once": (
        edit(COMPLETE, rec(6, K.IDENTITY, "Insurance card and driver's license", NEEDED), drop=(7,)),
        {("id-insurance", A.MARK_REQUESTED, 6)}),
    # --- 9 follow-up -----------------------------------------------------------------------------------
    f"requested {FOLLOW_UP_DAYS - 1} days ago": (
        edit(COMPLETE, letter(requested_on=ago(FOLLOW_UP_DAYS - 1))),
        set()),
    f"requested {FOLLOW_UP_DAYS} days ago": (
        edit(COMPLETE, letter(requested_on=ago(FOLLOW_UP_DAYS))),
        {("follow-up", A.FOLLOW_UP, 11)}),
    f"requested {FOLLOW_UP_DAYS + 1} days ago": (
        edit(COMPLETE, letter(requested_on=ago(FOLLOW_UP_DAYS + 1))),
        {("follow-up", A.FOLLOW_UP, 11)}),
    "requested, no request date": (edit(COMPLETE, letter()), set()),
    "received long after the request: nothing to chase": (
        edit(COMPLETE, letter(RECEIVED, requested_on=ago(60), received_on=ago(2))), set()),
}


@pytest.mark.parametrize(("records", "expected"), list(CASES.values()), ids=list(CASES))
def test_rules(records, expected):
    assert keys(find_missing(records, PROFILE, TODAY)) == expected


@pytest.mark.parametrize("biomarkers", ["", "  \n "])
def test_no_biomarkers_in_the_profile_no_molecular_finding(biomarkers):
    profile = dataclasses.replace(PROFILE, biomarkers=biomarkers)
    assert find_missing(edit(COMPLETE, drop=(4,)), profile, TODAY) == []
    assert find_missing(edit(COMPLETE, change(4, status=NEEDED)), profile, TODAY) == []


PROFILE_CASES = {
    "complete": ({}, None),
    "nothing at all": (dict(name="", date_of_birth=None, cancer_type="", biomarkers=""),
                       "no diagnosis (cancer type), name or date of birth yet."),
    "no diagnosis": (dict(cancer_type="  "), "no diagnosis (cancer type) yet."),
    "no name": (dict(name=""), "no name yet."),
    "no birth date": (dict(date_of_birth=None), "no date of birth yet."),
    "name and birth date missing": (dict(name="", date_of_birth=None), "no name or date of birth yet."),
}


@pytest.mark.parametrize(("changes", "words"), list(PROFILE_CASES.values()), ids=list(PROFILE_CASES))
def test_an_empty_profile_is_the_first_finding_naming_what_it_lacks(changes, words):
    findings = find_missing(COMPLETE, dataclasses.replace(PROFILE, **changes), TODAY)
    if words is None:
        assert findings == []
        return
    first = findings[0]
    assert (first.rule, first.action, first.record_id, first.kind) == ("profile", A.PROFILE, None, None)
    assert f"The patient profile has {words}" in first.message
    assert [f.rule for f in findings[1:]] == []  # the complete inventory adds nothing else


def test_add_findings_carry_kind_and_title_and_no_record():
    findings = find_missing([], dataclasses.replace(PROFILE, biomarkers="HER2 positive"), TODAY)
    assert [(f.rule, f.action, f.kind, f.suggested_title, f.record_id) for f in findings] == [
        ("pathology-report", A.ADD, K.PATHOLOGY, "Pathology report", None),
        ("molecular", A.ADD, K.MOLECULAR, "Biomarker report (IHC, FISH or NGS)", None),
        ("recent-labs", A.ADD, K.LAB, "Recent blood work", None),
        ("id-insurance", A.ADD, K.IDENTITY, "Insurance card, front and back", None),
        ("id-insurance", A.ADD, K.IDENTITY, "Photo ID", None),
    ]


def test_order_is_rules_then_date_then_id_whatever_the_input_order():
    records = edit(
        COMPLETE,
        rec(20, K.IMAGING, "Bone scan", NEEDED, date_of_service=ago(10)),
        rec(21, K.IMAGING, "Prior mammogram", NEEDED, date_of_service=ago(400)),
        rec(22, K.IMAGING, "Prior ultrasound", NEEDED, date_of_service=ago(400)),
        rec(23, K.IMAGING, "Chest X-ray", NEEDED),
        rec(24, K.CLINICAL, "Letter A", REQUESTED, requested_on=ago(30)),
        rec(25, K.CLINICAL, "Letter B", REQUESTED, requested_on=ago(40)),
        change(7, status=NEEDED),
        change(1, status=NEEDED),
    )
    expected = [
        ("pathology-report", 1), ("imaging-needed", 21), ("imaging-needed", 22), ("imaging-needed", 20),
        ("imaging-needed", 23), ("id-insurance", 7), ("follow-up", 25), ("follow-up", 24),
    ]
    for seed in range(5):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        assert [(f.rule, f.record_id) for f in find_missing(shuffled, PROFILE, TODAY)] == expected


def test_messages_name_the_record_facility_and_dates():
    records = edit(
        COMPLETE,
        change(3, images_location=ImagesLocation.AT_FACILITY),
        change(2, status=REQUESTED, requested_on=dt.date(2025, 5, 4), facility_name="Samplewood Hospital"),
        drop=(8,),
    )
    by_rule = {f.rule: f.message for f in find_missing(records, PROFILE, TODAY)}
    assert by_rule["imaging-images"].startswith(
        "The images of CT chest are not here yet — ask Samplewood Imaging for a CD"
    )
    assert by_rule["pathology-release"].startswith(
        "No signed release for Samplewood Hospital Pathology is here"
    )
    assert by_rule["follow-up"] == (
        "Biopsy slides and tissue blocks: requested from Samplewood Hospital on May 4, 2025, 29 days ago — "
        "time to call them."
    )
    no_report = find_missing(edit(COMPLETE, drop=(1,)), PROFILE, TODAY)[0].message
    assert no_report.startswith("There is no pathology report yet.")
    needed = find_missing(edit(COMPLETE, change(1, status=NEEDED)), PROFILE, TODAY)[0].message
    assert needed.startswith(
        "Pathology report: left breast core biopsy from Samplewood Hospital is still needed."
    )


def test_every_message_is_plain_sentences():
    records = edit(TREATED, *(change(i, TREATED, status=NEEDED) for i in range(1, 15)))
    findings = find_missing(records, PROFILE, TODAY) + find_missing([], PROFILE, TODAY)
    assert findings
    for f in findings:
        assert f.message.strip() == f.message and f.message.endswith(".")
        assert "  " not in f.message and "None" not in f.message


@pytest.mark.parametrize("base", [COMPLETE, TREATED], ids=["not treated", "treated"])
def test_an_added_suggestion_is_recognised_by_its_rule(base):
    """Adding the suggested record (still needed) turns each ADD into an action on that new record."""
    seen = set()
    for drop in range(1, len(base) + 1):
        records = edit(base, drop=(drop,))
        for finding in find_missing(records, PROFILE, TODAY):
            if finding.action is not A.ADD:
                continue
            seen.add(finding.suggested_title)
            added = rec(99, finding.kind, finding.suggested_title, NEEDED)
            after = find_missing(records + [added], PROFILE, TODAY)
            assert not [f for f in after if f.rule == finding.rule and f.action is A.ADD
                        and f.suggested_title == finding.suggested_title], finding
            assert any(f.rule == finding.rule and f.record_id == 99 for f in after), finding
    assert len(seen) == (6 if base is COMPLETE else 9)


def test_operative_note_message_names_where_the_operation_is_listed():
    records = edit(TREATED, drop=(12,))
    (finding,) = [f for f in find_missing(records, PROFILE, TODAY) if f.rule == "operative-note"]
    assert finding.message.startswith(
        "There is no operative note yet (the operation is listed under Lumpectomy and sentinel node biopsy, "
        "left breast)."
    )


def test_rules_are_documented_small_functions():
    assert len(RULES) == 10
    assert [r.__name__ for r in RULES] == [
        "patient_profile", "pathology_report", "pathology_material", "imaging", "molecular", "operative_note",
        "recent_labs",
        "treatment", "identity_insurance", "follow_up",
    ]
    for rule in RULES:
        assert inspect.getdoc(rule), rule.__name__
        assert list(inspect.signature(rule).parameters) == ["records", "profile", "today"]


def test_finding_and_action_api():
    assert [a.value for a in Action] == ["open", "mark_requested", "add", "follow_up", "profile", "open_request",
                                         "open_health", "open_shipment"]
    finding = Finding("pathology-report", "x", Action.OPEN)
    assert (finding.record_id, finding.kind, finding.suggested_title) == (None, None, "")
    assert (finding.request_id, finding.facility) == (None, "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "other"  # type: ignore[misc]
    assert (readiness.FOLLOW_UP_DAYS, readiness.RECENT_LAB_DAYS) == (14, 90)


# --- the sample case ---------------------------------------------------------------------------------------

DEMO_DAY = dt.date(2025, 3, 10)
PRIOR_MAMMOGRAM = "Screening mammogram from last year (prior images for comparison)"


@pytest.fixture
def demo_folder(folder):
    fill_demo_data(folder, today=DEMO_DAY)
    return folder


def _ids(session) -> dict[str, int]:
    return {r.title: r.id for r in list_records(session)}


def record_rules(session, today=None):  # type: ignore[no-untyped-def]
    """The record and desk rules alone, without the pre-flight facts (those are tests/core/test_preflight.py's)."""
    from secondopinion_desktop.core.profile import get_profile

    return find_missing(list_records(session), get_profile(session), today or dt.date.today(),
                        readiness.read_desk(session))


def test_sample_case_findings(demo_folder):
    with demo_folder.session() as session:
        ids = _ids(session)
        findings = record_rules(session, DEMO_DAY)
    slides = ids["Biopsy slides and tissue block for pathology review"]
    assert [(f.rule, f.action, f.record_id, f.request_id) for f in findings] == [
        # the prior mammogram the cancer center's radiologists asked for is still needed: a draft asks for it
        ("imaging-needed", A.MARK_REQUESTED, ids[PRIOR_MAMMOGRAM], 2),
        ("id-insurance", A.MARK_REQUESTED, ids["Photo ID (driver's license)"], None),
        # the sample case's requests: one overdue, two due within the week
        ("request-overdue", A.OPEN_REQUEST, None, 5),
        ("request-due-soon", A.OPEN_REQUEST, None, 4),
        ("request-due-soon", A.OPEN_REQUEST, None, 3),
        # the consult in 12 days comes before the slides in transit reach the consultant
        ("appointment-material", A.OPEN_REQUEST, slides, 6),
        # the records of open requests and the shipped slides are left to the desk; this one is on no request
        ("follow-up", A.FOLLOW_UP, ids["Insurance referral and authorization for the second-opinion visit"], None),
    ]
    assert findings[2].message == (
        "Records request to Samplewood Community Hospital was due on Feb 28, 2025, 10 days ago — call them (or "
        "send a written reminder)."
    )
    assert findings[5].message == (
        "Your appointment with Avery Example-Stone, MD on Mar 22, 2025 is in 12 days, and the consultant has not "
        "confirmed receiving the pathology material yet: 9 stained slides of Biopsy slides and tissue block for "
        "pathology review (in transit from Samplewood Community Hospital, Department of Pathology since Mar 8, "
        "2025). Ask them whether it has arrived."
    )
    assert findings[6].message == (
        "Insurance referral and authorization for the second-opinion visit: requested from Samplewood Family "
        "Medicine on Feb 16, 2025, 22 days ago — time to call them."
    )
    assert findings[0].facility == "", "the draft is offered, not a second request to the imaging center"
    assert findings[0].message.endswith(
        "A draft request to Samplewood Breast Imaging Center asks for it: print and send it, then mark it sent.")
    # The insert order of the sample case gives these ids; a change to case.json shows up here.
    assert [f.record_id for f in findings] == [1, 22, None, None, None, 7, 23]


def test_sample_case_later(demo_folder):
    """Three weeks on, the blood work (78 days old on the day) is no longer recent."""
    with demo_folder.session() as session:
        ids = _ids(session)
        later = record_rules(session, DEMO_DAY + dt.timedelta(days=21))
        real_today = record_rules(session)
    rules = [(f.rule, f.action, f.record_id or f.suggested_title) for f in later]
    assert rules[:3] == [
        ("imaging-needed", A.MARK_REQUESTED, ids[PRIOR_MAMMOGRAM]),
        ("recent-labs", A.ADD, "Recent blood work"),
        ("id-insurance", A.MARK_REQUESTED, ids["Photo ID (driver's license)"]),
    ]
    # the consult is over; every open request is overdue by then
    assert [(f.rule, f.request_id) for f in later[3:]] == [
        ("request-overdue", 5), ("request-overdue", 4), ("request-overdue", 3), ("request-overdue", 6),
        ("follow-up", None),
    ]
    assert {f.rule for f in real_today} >= {"imaging-needed", "id-insurance", "follow-up", "recent-labs"}
