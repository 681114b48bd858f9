"""The records inventory (records, status workflow, attachments), facilities and the patient profile."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from secondopinion_desktop.core.directory import get_or_create_facility, list_facilities
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import Attachment, Facility, ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.profile import ProfileData, get_profile, save_profile
from secondopinion_desktop.core.records import (
    attach_file,
    attachment_path,
    count_records,
    create_record,
    delete_record,
    get_record,
    list_records,
    remove_attachment,
    set_status,
    update_record,
)
from secondopinion_desktop.core.vault import CHUNK_SIZE, TEMP_PREFIX, Cancelled

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
TODAY = dt.date.today()


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _new(folder, kind="lab", title="CBC", **fields):
    with folder.session() as s:
        return create_record(s, kind, title, **fields)


def _get(folder, record_id):
    with folder.session() as s:
        return get_record(s, record_id)


def _vault_files(folder) -> list[str]:
    return list(folder.vault.stored())


def _vault_temp_files(folder) -> list[Path]:
    return list(folder.vault.root.rglob(TEMP_PREFIX + "*"))


def _attachment_rows(folder) -> int:
    with folder.session() as s:
        return s.scalar(select(func.count()).select_from(Attachment))


# --- create, read, update, delete ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RecordKind), ids=lambda k: k.value)
def test_crud_for_every_kind(folder, kind: RecordKind) -> None:
    with folder.session() as s:
        created = create_record(s, kind, "  First   report ", date_of_service="2024-03-05", summary="s")
    assert created.id > 0
    assert created.kind is kind
    assert created.title == "First report"
    assert created.date_of_service == dt.date(2024, 3, 5)
    assert created.status is RecordStatus.NEEDED
    assert created.attachments == ()
    assert created.created_at <= created.updated_at

    got = _get(folder, created.id)
    assert got == created

    with folder.session() as s:
        updated = update_record(s, created.id, title="Second report", notes="line 1\nline 2",
                                date_of_service=None)
    assert updated.title == "Second report"
    assert updated.notes == "line 1\nline 2"
    assert updated.date_of_service is None
    assert updated.summary == "s"  # untouched fields keep their value
    assert _get(folder, created.id) == updated

    deleted = delete_record(folder, created.id)
    assert deleted.id == created.id
    with pytest.raises(NotFoundError, match=f"no record {created.id}"):
        _get(folder, created.id)
    with folder.session() as s:
        assert list_records(s) == []


def test_kind_accepts_value_name_and_label(folder) -> None:
    with folder.session() as s:
        assert create_record(s, "imaging", "a").kind is RecordKind.IMAGING
        assert create_record(s, "PATHOLOGY", "b").kind is RecordKind.PATHOLOGY
        assert create_record(s, "Lab / test result", "c").kind is RecordKind.LAB
        assert create_record(s, "Molecular / biomarker report", "d").kind is RecordKind.MOLECULAR


def test_missing_record_operations_raise_not_found(folder) -> None:
    with folder.session() as s:
        with pytest.raises(NotFoundError):
            update_record(s, 42, title="x")
        with pytest.raises(NotFoundError):
            set_status(s, 42, "requested")
    with pytest.raises(NotFoundError):
        delete_record(folder, 42)
    with pytest.raises(NotFoundError):
        remove_attachment(folder, 42)


def test_unknown_field_is_rejected(folder) -> None:
    with folder.session() as s:
        with pytest.raises(ValidationError, match="no field 'colour'"):
            create_record(s, "lab", "x", colour="red")
    with folder.session() as s:
        assert list_records(s) == []


def test_record_with_facility_and_clinician(folder) -> None:
    from secondopinion_desktop.core.directory import create_clinician

    with folder.session() as s:
        doc = create_clinician(s, "Dr. Ada Lovelace")
        r = create_record(s, "clinical", "Consult note", facility="General Hospital", clinician_id=doc.id)
    assert r.facility_name == "General Hospital"
    assert r.clinician_name == "Dr. Ada Lovelace"
    with folder.session() as s:
        r2 = update_record(s, r.id, facility="")
        assert r2.facility_id is None and r2.facility_name == ""
        with pytest.raises(NotFoundError):
            update_record(s, r.id, facility_id=999)
    with folder.session() as s:
        with pytest.raises(NotFoundError):
            update_record(s, r.id, clinician_id=999)


# --- kind-specific fields -----------------------------------------------------------------------------------


def test_imaging_fields(folder) -> None:
    with folder.session() as s:
        r = create_record(s, "imaging", "CT chest", imaging_modality="CT", imaging_body_region="Chest",
                          images_location="cd")
    assert (r.imaging_modality, r.imaging_body_region) == ("CT", "Chest")
    assert r.images_location is ImagesLocation.CD
    assert _get(folder, r.id).images_location is ImagesLocation.CD


def test_pathology_fields(folder) -> None:
    with folder.session() as s:
        r = create_record(s, "pathology", "Biopsy", accession_number="S24-123", specimen_site="Left breast",
                          slides_count="12", blocks_count=3, material_holder="Pathology dept.")
    assert (r.accession_number, r.specimen_site, r.slides_count, r.blocks_count, r.material_holder) == (
        "S24-123", "Left breast", 12, 3, "Pathology dept.")


@pytest.mark.parametrize(
    "field, value",
    [("imaging_modality", "MRI"), ("imaging_body_region", "Head"), ("images_location", "portal")],
)
def test_imaging_fields_on_pathology_record_are_rejected(folder, field: str, value: str) -> None:
    with folder.session() as s:
        with pytest.raises(ValidationError, match="only to imaging records"):
            create_record(s, "pathology", "Biopsy", **{field: value})
    with folder.session() as s:
        r = create_record(s, "pathology", "Biopsy")
    with folder.session() as s:
        with pytest.raises(ValidationError, match="only to imaging records"):
            update_record(s, r.id, **{field: value})
    assert getattr(_get(folder, r.id), field) in ("", None)


@pytest.mark.parametrize(
    "field, value",
    [("accession_number", "A1"), ("specimen_site", "Liver"), ("slides_count", 2), ("slides_count", 0),
     ("blocks_count", 1), ("material_holder", "Lab")],
)
def test_pathology_fields_on_other_records_are_rejected(folder, field: str, value) -> None:
    with folder.session() as s:
        with pytest.raises(ValidationError, match="only to pathology records"):
            create_record(s, "imaging", "CT", **{field: value})
        with pytest.raises(ValidationError, match="only to pathology records"):
            create_record(s, "lab", "CBC", **{field: value})


def test_blank_kind_specific_values_are_accepted_on_other_kinds(folder) -> None:
    with folder.session() as s:
        r = create_record(s, "lab", "CBC", imaging_modality="", images_location=None, slides_count=None,
                          accession_number="")
    assert r.imaging_modality == "" and r.images_location is None and r.slides_count is None


def test_switching_kind_clears_the_other_kinds_fields(folder) -> None:
    with folder.session() as s:
        path = create_record(s, "pathology", "Biopsy", accession_number="S1", specimen_site="Lung",
                             slides_count=4, blocks_count=1, material_holder="Lab X")
        img = create_record(s, "imaging", "PET", imaging_modality="PET", imaging_body_region="Whole body",
                            images_location="files")
    with folder.session() as s:
        now_img = update_record(s, path.id, kind="imaging", imaging_modality="MRI")
        now_lab = update_record(s, img.id, kind="lab")
    assert now_img.kind is RecordKind.IMAGING
    assert now_img.imaging_modality == "MRI"
    assert (now_img.accession_number, now_img.specimen_site, now_img.material_holder) == ("", "", "")
    assert now_img.slides_count is None and now_img.blocks_count is None
    assert now_lab.kind is RecordKind.LAB
    assert (now_lab.imaging_modality, now_lab.imaging_body_region, now_lab.images_location) == ("", "", None)
    # and it is stored that way
    assert _get(folder, path.id) == now_img
    assert _get(folder, img.id) == now_lab


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"title": ""}, "The title is required"),
        ({"title": "   \t\n "}, "The title is required"),
        ({"title": "x" * 501}, "limit is 500"),
        ({"date_of_service": "1899-12-31"}, "date of service 1899-12-31 is before 1900"),
        ({"date_of_service": dt.date(1850, 1, 1)}, "before 1900"),
        ({"date_of_service": (TODAY + dt.timedelta(days=800)).isoformat()}, "too far in the future"),
        ({"date_of_service": "31/12/2023"}, "'31/12/2023' is not a date; write it as YYYY-MM-DD"),
        ({"date_of_service": "2023-02-30"}, "'2023-02-30' does not exist on the calendar"),
        ({"date_of_service": "yesterday"}, "is not a date"),
        ({"requested_on": (TODAY + dt.timedelta(days=1)).isoformat()},
         "requested date .* is in the future; it can be today at the latest"),
        ({"kind": "horoscope"}, "Unknown record kind 'horoscope'; choose one of: lab, imaging"),
        ({"status": "lost"}, "Unknown status 'lost'; choose one of: needed, requested, received, sent"),
        ({"kind": "pathology", "slides_count": -1}, "slides must be between 0 and 100,000"),
        ({"kind": "pathology", "blocks_count": "-3"}, "blocks must be between 0 and 100,000"),
        ({"kind": "pathology", "slides_count": "many"}, "slides must be a whole number, not 'many'"),
        ({"images_location": "moon", "kind": "imaging"}, "Unknown image location 'moon'"),
    ],
)
def test_invalid_input_is_rejected_with_a_clear_message(folder, kwargs: dict, message: str) -> None:
    fields = {"kind": "lab", "title": "Valid title", **kwargs}
    kind, title = fields.pop("kind"), fields.pop("title")
    with folder.session() as s:
        with pytest.raises(ValidationError, match=message):
            create_record(s, kind, title, **fields)
    with folder.session() as s:
        assert list_records(s) == []


def test_validation_error_on_update_leaves_record_unchanged(folder) -> None:
    r = _new(folder, "pathology", "Biopsy", slides_count=3)
    with pytest.raises(ValidationError):
        with folder.session() as s:
            update_record(s, r.id, title="New title", slides_count=-5)
    assert _get(folder, r.id) == r
    with pytest.raises(ValidationError):
        with folder.session() as s:
            update_record(s, r.id, title=" ")
    assert _get(folder, r.id) == r


def test_dates_at_the_limits_are_accepted(folder) -> None:
    with folder.session() as s:
        r = create_record(s, "lab", "Old", date_of_service="1900-01-01")
        future = create_record(s, "lab", "Planned scan", date_of_service=TODAY + dt.timedelta(days=300))
    assert r.date_of_service == dt.date(1900, 1, 1)
    assert future.date_of_service == TODAY + dt.timedelta(days=300)


def test_unicode_titles_and_long_notes_round_trip(folder) -> None:
    titles = [
        "Biopsy 🔬 results 🎗️",
        "تقرير علم الأمراض",  # Arabic (RTL)
        "דוח פתולוגיה \u200f(RTL mark)",
        "病理报告 — 第二意见",
        "Ünïcödé Çàfé naïve résumé",
    ]
    notes = ("Lorem ipsum 😀 dolor — 中文 עברית\n" * 2000)[:50_000]
    assert len(notes) == 50_000
    ids = []
    with folder.session() as s:
        for t in titles:
            ids.append(create_record(s, "clinical", t, notes=notes, summary=t).id)
    for record_id, t in zip(ids, titles, strict=True):
        got = _get(folder, record_id)
        assert got.title == t
        assert got.summary == t
        assert got.notes == notes


def test_control_characters_are_cleaned(folder) -> None:
    r = _new(folder, "lab", "Tab\there\x00and\nnewline", notes="keep\nlines\x07 but not bell\r\nok")
    assert r.title == "Tab here and newline"
    assert r.notes == "keep\nlines but not bell\nok"


# --- status workflow ----------------------------------------------------------------------------------------


def test_set_status_fills_the_matching_date(folder) -> None:
    r = _new(folder)
    with folder.session() as s:
        req = set_status(s, r.id, "requested", "2024-01-02")
    assert req.status is RecordStatus.REQUESTED
    assert req.requested_on == dt.date(2024, 1, 2)
    assert req.received_on is None and req.sent_on is None

    with folder.session() as s:
        rec = set_status(s, r.id, RecordStatus.RECEIVED)
    assert rec.status is RecordStatus.RECEIVED
    assert rec.received_on == TODAY
    assert rec.requested_on == dt.date(2024, 1, 2)

    with folder.session() as s:
        sent = set_status(s, r.id, "Sent to second-opinion doctor", TODAY)
    assert sent.status is RecordStatus.SENT
    assert sent.sent_on == TODAY
    assert _get(folder, r.id) == sent

    with folder.session() as s:
        back = set_status(s, r.id, "received", TODAY)
    assert back.status is RecordStatus.RECEIVED
    assert (back.requested_on, back.received_on, back.sent_on) == (dt.date(2024, 1, 2), TODAY, None)

    with folder.session() as s:
        back = set_status(s, r.id, "needed")
    assert back.status is RecordStatus.NEEDED
    assert (back.requested_on, back.received_on, back.sent_on) == (None, None, None)


def test_status_dates_must_follow_the_workflow_order(folder) -> None:
    r = _new(folder)
    with folder.session() as s:
        set_status(s, r.id, "requested", "2024-03-10")
    with pytest.raises(ValidationError, match="received date 2024-03-01 is before the requested date 2024-03-10"):
        with folder.session() as s:
            set_status(s, r.id, "received", "2024-03-01")
    assert _get(folder, r.id).status is RecordStatus.REQUESTED  # the failed change was rolled back


def test_set_status_rejects_future_and_bad_dates(folder) -> None:
    r = _new(folder)
    with pytest.raises(ValidationError, match="received date .* is in the future"):
        with folder.session() as s:
            set_status(s, r.id, "received", TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="Unknown status"):
        with folder.session() as s:
            set_status(s, r.id, "archived")
    assert _get(folder, r.id) == r


def test_creating_with_a_status_dates_it(folder) -> None:
    with folder.session() as s:
        r = create_record(s, "lab", "x", status="received")
        r2 = create_record(s, "lab", "y", status="requested", requested_on="2023-05-06")
    assert r.received_on == TODAY
    assert r2.requested_on == dt.date(2023, 5, 6)


def test_count_records(folder) -> None:
    with folder.session() as s:
        create_record(s, "lab", "a")
        create_record(s, "lab", "b")
        create_record(s, "lab", "c", status="sent")
        create_record(s, "imaging", "d")
        assert count_records(s) == {
            (RecordKind.LAB, RecordStatus.NEEDED): 2,
            (RecordKind.LAB, RecordStatus.SENT): 1,
            (RecordKind.IMAGING, RecordStatus.NEEDED): 1,
        }


# --- listing ------------------------------------------------------------------------------------------------


@pytest.fixture
def listed(folder):
    with folder.session() as s:
        ids = {
            "cbc": create_record(s, "lab", "CBC panel", date_of_service="2024-01-10", status="received").id,
            "ct": create_record(s, "imaging", "CT chest", date_of_service="2024-03-01",
                                facility="Mercy Hospital").id,
            "biopsy": create_record(s, "pathology", "Core biopsy", date_of_service="2023-12-24",
                                    summary="Invasive ductal carcinoma", status="requested").id,
            "card": create_record(s, "identity", "Insurance card",
                                  notes="Copy front and back of the card").id,
            "ngs": create_record(s, "molecular", "NGS panel", summary="EGFR 100% match, KRAS_G12C").id,
            "mri": create_record(s, "imaging", "MRI brain", date_of_service="2024-03-01").id,
        }
    return ids


def _titles(records) -> list[str]:
    return [r.title for r in records]


def test_list_sorts_newest_first_with_undated_last(folder, listed) -> None:
    with folder.session() as s:
        records = list_records(s)
    assert _titles(records) == ["CT chest", "MRI brain", "CBC panel", "Core biopsy", "Insurance card",
                                "NGS panel"]


def test_list_filters_by_kind_and_status(folder, listed) -> None:
    with folder.session() as s:
        assert _titles(list_records(s, kind="imaging")) == ["CT chest", "MRI brain"]
        assert _titles(list_records(s, kind=RecordKind.PATHOLOGY)) == ["Core biopsy"]
        assert _titles(list_records(s, status="received")) == ["CBC panel"]
        assert _titles(list_records(s, status=RecordStatus.NEEDED)) == [
            "CT chest", "MRI brain", "Insurance card", "NGS panel"]
        assert _titles(list_records(s, kind="imaging", status="requested")) == []
        assert list_records(s, kind="treatment") == []
        with pytest.raises(ValidationError, match="Unknown record kind"):
            list_records(s, kind="nope")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("cbc", ["CBC panel"]),  # title, ignoring case
        ("DUCTAL", ["Core biopsy"]),  # summary
        ("front and back", ["Insurance card"]),  # notes
        ("mercy", ["CT chest"]),  # facility name
        ("  chest ", ["CT chest"]),  # surrounding blanks ignored
        ("panel", ["CBC panel", "NGS panel"]),
        ("no such thing", []),
        ("100%", ["NGS panel"]),
        ("%", ["NGS panel"]),  # % is a literal, not a wildcard
        ("S_G", ["NGS panel"]),  # so is _
        ("CBC_panel", []),
    ],
)
def test_list_filters_by_text(folder, listed, query: str, expected: list[str]) -> None:
    with folder.session() as s:
        assert _titles(list_records(s, text=query)) == expected


def test_list_text_combines_with_kind(folder, listed) -> None:
    with folder.session() as s:
        assert _titles(list_records(s, text="panel", kind="lab")) == ["CBC panel"]


def test_list_includes_facility_and_attachments(folder, listed, tmp_path) -> None:
    attach_file(folder, listed["ct"], _file(tmp_path, "ct.pdf", PDF))
    with folder.session() as s:
        ct = next(r for r in list_records(s) if r.id == listed["ct"])
    assert ct.facility_name == "Mercy Hospital"
    assert [a.original_name for a in ct.attachments] == ["ct.pdf"]


# --- facilities ---------------------------------------------------------------------------------------------


def test_get_or_create_facility_ignores_case(folder) -> None:
    with folder.session() as s:
        first = get_or_create_facility(s, "Mayo Clinic")
        assert get_or_create_facility(s, "MAYO CLINIC").id == first.id
        assert get_or_create_facility(s, "  mayo   clinic ").id == first.id
        other = get_or_create_facility(s, "Mayo Clinic Arizona")
        assert other.id != first.id
    with folder.session() as s:
        assert [f.name for f in list_facilities(s)] == ["Mayo Clinic", "Mayo Clinic Arizona"]


def test_get_or_create_facility_ignores_case_beyond_ascii(folder) -> None:
    with folder.session() as s:
        first = get_or_create_facility(s, "Hôpital Européen Georges-Pompidou")
        assert get_or_create_facility(s, "HÔPITAL EUROPÉEN GEORGES-POMPIDOU").id == first.id
        # the other way round: first written in capitals, then looked up in lower case
        shouted = get_or_create_facility(s, "UNIVERSITÄTSKLINIKUM KÖLN")
        assert get_or_create_facility(s, "Universitätsklinikum Köln").id == shouted.id
        assert get_or_create_facility(s, "universitätsklinikum köln").id == shouted.id
    with folder.session() as s:
        assert s.scalar(select(func.count()).select_from(Facility)) == 2
        r = create_record(s, "lab", "x", facility="universitätsklinikum KÖLN")
    assert r.facility_id == shouted.id


def test_records_naming_a_facility_share_it(folder) -> None:
    with folder.session() as s:
        a = create_record(s, "lab", "a", facility="St. Jude")
        b = create_record(s, "lab", "b", facility="st. jude")
    assert a.facility_id == b.facility_id
    assert b.facility_name == "St. Jude"


# --- attachments --------------------------------------------------------------------------------------------


def test_attach_pdf_and_png(folder, tmp_path: Path) -> None:
    r = _new(folder)
    pdf = attach_file(folder, r.id, _file(tmp_path, "report.pdf", PDF))
    png = attach_file(folder, r.id, _file(tmp_path, "scan", PNG))  # no extension: magic bytes decide
    assert (pdf.media_type, pdf.size) == ("application/pdf", len(PDF))
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (png.media_type, png.size) == ("image/png", len(PNG))
    assert png.sha256 == hashlib.sha256(PNG).hexdigest()
    assert pdf.original_name == "report.pdf" and pdf.record_id == r.id
    assert folder.vault.path_for(pdf.sha256).read_bytes() == PDF
    assert folder.vault.path_for(png.sha256).read_bytes() == PNG
    got = _get(folder, r.id)
    assert got.attachments == (pdf, png)
    assert attachment_path(folder, pdf) == folder.vault.path_for(pdf.sha256)


def test_media_type_magic_wins_over_name_and_name_is_the_fallback(folder, tmp_path: Path) -> None:
    r = _new(folder)
    disguised = attach_file(folder, r.id, _file(tmp_path, "notes.txt", PDF))
    plain = attach_file(folder, r.id, _file(tmp_path, "notes2.txt", b"just text"))
    unknown = attach_file(folder, r.id, _file(tmp_path, "blob", b"\x01\x02\x03"))
    assert disguised.media_type == "application/pdf"
    assert plain.media_type == "text/plain"
    assert unknown.media_type == "application/octet-stream"


def test_attach_with_original_name_progress_and_big_file(folder, tmp_path: Path) -> None:
    r = _new(folder)
    data = os.urandom(CHUNK_SIZE * 2 + 7)
    seen: list[tuple[int, int]] = []
    a = attach_file(folder, r.id, _file(tmp_path, "tmp123.bin", data), original_name="Scan\nseries 1.dcm",
                    progress=lambda d, t: seen.append((d, t)))
    assert a.original_name == "Scan series 1.dcm"
    assert a.size == len(data)
    assert seen[-1] == (len(data), len(data))


@pytest.mark.parametrize("what", ["missing", "folder", "empty"])
def test_attach_rejects_unusable_paths(folder, tmp_path: Path, what: str) -> None:
    r = _new(folder)
    if what == "missing":
        path, message = tmp_path / "gone.pdf", "does not exist"
    elif what == "folder":
        path, message = tmp_path / "a folder", "is a folder"
        path.mkdir()
    else:
        path, message = _file(tmp_path, "empty.pdf", b""), "empty \\(0 bytes\\)"
    with pytest.raises(ValidationError, match=message):
        attach_file(folder, r.id, path)
    assert _attachment_rows(folder) == 0
    assert _vault_files(folder) == []
    assert _vault_temp_files(folder) == []


def test_attach_to_missing_record(folder, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no record 99"):
        attach_file(folder, 99, _file(tmp_path, "r.pdf", PDF))
    assert _attachment_rows(folder) == 0
    assert _vault_files(folder) == []
    assert _vault_temp_files(folder) == []


def test_cancelled_attach_adds_nothing(folder, tmp_path: Path) -> None:
    r = _new(folder)
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    with pytest.raises(Cancelled):
        attach_file(folder, r.id, _file(tmp_path, "big", os.urandom(CHUNK_SIZE * 3)), cancelled=cancelled)
    assert _attachment_rows(folder) == 0
    assert _vault_files(folder) == []
    assert _vault_temp_files(folder) == []


def _fail_attachment_insert(folder) -> None:
    """A database-level failure of the INSERT into attachment (as a full disk or I/O error would give)."""
    with folder.session() as s:
        s.execute(text("CREATE TRIGGER fail_attach BEFORE INSERT ON attachment "
                       "BEGIN SELECT RAISE(ABORT, 'simulated disk I/O error'); END"))


def test_failed_insert_after_vault_copy_leaves_no_row_and_no_new_file(folder, tmp_path: Path) -> None:
    r = _new(folder)
    _fail_attachment_insert(folder)
    with pytest.raises(Exception, match="simulated disk I/O error"):
        attach_file(folder, r.id, _file(tmp_path, "r.pdf", PDF))
    assert _attachment_rows(folder) == 0
    assert _vault_files(folder) == []
    assert _vault_temp_files(folder) == []


def test_failed_commit_after_vault_copy_leaves_no_row_and_no_new_file(folder, tmp_path: Path) -> None:
    r = _new(folder)
    inserted = {"flag": False, "failed": 0}

    def after_execute(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO ATTACHMENT"):
            inserted["flag"] = True

    def on_commit(conn):
        if inserted["flag"]:
            inserted["flag"] = False
            inserted["failed"] += 1
            raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    event.listen(folder.engine, "after_cursor_execute", after_execute)
    event.listen(folder.engine, "commit", on_commit)
    try:
        with pytest.raises(OperationalError, match="disk is full"):
            attach_file(folder, r.id, _file(tmp_path, "r.pdf", PDF))
    finally:
        event.remove(folder.engine, "after_cursor_execute", after_execute)
        event.remove(folder.engine, "commit", on_commit)
    assert inserted["failed"] == 1
    assert _attachment_rows(folder) == 0
    assert _vault_files(folder) == []
    assert _get(folder, r.id).attachments == ()


def test_failed_insert_keeps_a_vault_file_another_record_uses(folder, tmp_path: Path) -> None:
    a = _new(folder, title="a")
    b = _new(folder, title="b")
    first = attach_file(folder, a.id, _file(tmp_path, "r.pdf", PDF))
    _fail_attachment_insert(folder)
    with pytest.raises(Exception, match="simulated"):
        attach_file(folder, b.id, _file(tmp_path, "same.pdf", PDF))
    assert _vault_files(folder) == [first.sha256]
    assert folder.vault.verify(first.sha256)
    assert _attachment_rows(folder) == 1


def test_same_file_on_two_records_is_stored_once(folder, tmp_path: Path) -> None:
    a, b = _new(folder, title="a"), _new(folder, title="b")
    src = _file(tmp_path, "r.pdf", PDF)
    x = attach_file(folder, a.id, src)
    y = attach_file(folder, b.id, src)
    assert x.sha256 == y.sha256 and x.id != y.id
    assert _vault_files(folder) == [x.sha256]


def test_delete_record_keeps_shared_vault_file_until_last_user(folder, tmp_path: Path) -> None:
    a, b = _new(folder, title="a"), _new(folder, title="b")
    shared = _file(tmp_path, "shared.pdf", PDF)
    only_a = _file(tmp_path, "only-a.png", PNG)
    attach_file(folder, a.id, shared)
    attach_file(folder, a.id, only_a)
    attach_file(folder, b.id, shared)
    sha_shared, sha_a = hashlib.sha256(PDF).hexdigest(), hashlib.sha256(PNG).hexdigest()

    deleted = delete_record(folder, a.id)
    assert len(deleted.attachments) == 2
    assert folder.vault.exists(sha_shared)
    assert not folder.vault.exists(sha_a)
    assert _attachment_rows(folder) == 1  # a's rows went with it

    delete_record(folder, b.id)
    assert not folder.vault.exists(sha_shared)
    assert _vault_files(folder) == []
    assert _attachment_rows(folder) == 0


def test_delete_record_with_the_same_file_attached_twice(folder, tmp_path: Path) -> None:
    a = _new(folder)
    src = _file(tmp_path, "r.pdf", PDF)
    attach_file(folder, a.id, src)
    attach_file(folder, a.id, src, original_name="copy.pdf")
    delete_record(folder, a.id)
    assert _vault_files(folder) == []
    assert _attachment_rows(folder) == 0


def test_remove_attachment_keeps_shared_vault_file_until_last_user(folder, tmp_path: Path) -> None:
    a, b = _new(folder, title="a"), _new(folder, title="b")
    src = _file(tmp_path, "r.pdf", PDF)
    x = attach_file(folder, a.id, src)
    y = attach_file(folder, b.id, src)

    removed = remove_attachment(folder, x.id)
    assert removed == x
    assert folder.vault.exists(x.sha256)
    assert _get(folder, a.id).attachments == ()
    assert _get(folder, b.id).attachments == (y,)

    remove_attachment(folder, y.id)
    assert not folder.vault.exists(y.sha256)
    assert _attachment_rows(folder) == 0
    with pytest.raises(NotFoundError):
        remove_attachment(folder, y.id)


def test_attachment_path_is_none_when_the_vault_file_is_missing(folder, tmp_path: Path) -> None:
    r = _new(folder, title="Report")
    a = attach_file(folder, r.id, _file(tmp_path, "r.pdf", PDF))
    folder.vault.path_for(a.sha256).unlink()
    assert attachment_path(folder, a) is None
    with folder.session() as s:
        records = list_records(s)
    assert _titles(records) == ["Report"]
    assert records[0].attachments == (a,)
    assert _get(folder, r.id).attachments == (a,)
    # and it can still be removed and the record deleted
    remove_attachment(folder, a.id)
    delete_record(folder, r.id)


def test_to_json_is_plain(folder, tmp_path: Path) -> None:
    import json

    r = _new(folder, "imaging", "CT", date_of_service="2024-01-02", images_location="cd")
    attach_file(folder, r.id, _file(tmp_path, "r.pdf", PDF))
    data = _get(folder, r.id).to_json()
    json.dumps(data)
    assert data["kind"] == "imaging"
    assert data["status"] == "needed"
    assert data["images_location"] == "cd"
    assert data["date_of_service"] == "2024-01-02"
    assert data["attachments"][0]["media_type"] == "application/pdf"


# --- profile ------------------------------------------------------------------------------------------------


def test_empty_folder_has_an_empty_profile(folder) -> None:
    with folder.session() as s:
        assert get_profile(s) == ProfileData()


def test_save_profile_creates_then_updates(folder) -> None:
    with folder.session() as s:
        saved = save_profile(s, name="  Ada  Lovelace ", date_of_birth="1960-12-10",
                             biomarkers="ER+\nPR+\nHER2-")
    assert saved.name == "Ada Lovelace"
    assert saved.date_of_birth == dt.date(1960, 12, 10)
    assert saved.biomarkers == "ER+\nPR+\nHER2-"
    with folder.session() as s:
        assert get_profile(s) == saved
        updated = save_profile(s, cancer_type="Breast cancer", diagnosis_date=dt.date(2024, 1, 5))
    assert updated.name == "Ada Lovelace"  # kept
    assert updated.cancer_type == "Breast cancer"
    assert updated.diagnosis_date == dt.date(2024, 1, 5)
    with folder.session() as s:
        assert get_profile(s) == updated
        assert s.execute(text("SELECT count(*) FROM profile")).scalar() == 1
        cleared = save_profile(s, date_of_birth="")
    assert cleared.date_of_birth is None


def test_profile_rejects_future_date_of_birth_and_unknown_fields(folder) -> None:
    with folder.session() as s:
        save_profile(s, name="Ada")
    with pytest.raises(ValidationError, match="date of birth .* is in the future"):
        with folder.session() as s:
            save_profile(s, date_of_birth=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="diagnosis date 1800-01-01 is before 1900"):
        with folder.session() as s:
            save_profile(s, diagnosis_date="1800-01-01")
    with pytest.raises(ValidationError, match="no field 'shoe_size'"):
        with folder.session() as s:
            save_profile(s, shoe_size="42")
    with folder.session() as s:
        assert get_profile(s) == ProfileData(name="Ada")


def test_profile_accepts_today_as_date_of_birth(folder) -> None:
    with folder.session() as s:
        assert save_profile(s, date_of_birth=TODAY).date_of_birth == TODAY


def test_choices_accept_values_with_hyphens_and_labels_with_hyphens(folder) -> None:
    from secondopinion_desktop.core.directory import create_clinician
    from secondopinion_desktop.core.models import ClinicianRole

    with folder.session() as s:
        assert create_clinician(s, "A", role="second-opinion").role is ClinicianRole.SECOND_OPINION
        assert create_clinician(s, "B", role="Second opinion").role is ClinicianRole.SECOND_OPINION
        assert create_clinician(s, "C", role="SECOND_OPINION").role is ClinicianRole.SECOND_OPINION
        r = create_record(s, "lab", "x", status="Sent to second-opinion doctor")
    assert r.status is RecordStatus.SENT and r.sent_on == TODAY


# --- a record that comes with its files; clinicians typed into a record -------------------------------------


def test_a_record_created_with_files_starts_as_received(folder, tmp_path: Path) -> None:
    from secondopinion_desktop.core.records import create_record_with_files

    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with_file = create_record_with_files(folder, RecordKind.PATHOLOGY, "Biopsy report", [report])
    assert with_file.status is RecordStatus.RECEIVED and with_file.received_on == dt.date.today()
    without = create_record_with_files(folder, RecordKind.PATHOLOGY, "Slides", [], status=None)
    assert without.status is RecordStatus.NEEDED
    chosen = create_record_with_files(folder, RecordKind.LAB, "Blood test", [report], status="requested")
    assert chosen.status is RecordStatus.REQUESTED  # what the user chose wins


def test_a_clinician_typed_into_a_record_gets_the_role_of_its_kind(folder) -> None:
    from secondopinion_desktop.core.directory import list_clinicians
    from secondopinion_desktop.core.models import ClinicianRole

    with folder.session() as session:
        create_record(session, RecordKind.PATHOLOGY, "Biopsy report", clinician="Dr. Slide")
        create_record(session, RecordKind.IMAGING, "CT report", clinician="Dr. Scan")
        create_record(session, RecordKind.CLINICAL, "Visit note", clinician="Dr. Care")
        record = create_record(session, RecordKind.LAB, "Blood test", clinician="dr. slide")  # existing one
        people = {c.name: c for c in list_clinicians(session)}
    assert (people["Dr. Slide"].role, people["Dr. Slide"].specialty) == (ClinicianRole.OTHER, "Pathology")
    assert (people["Dr. Scan"].role, people["Dr. Scan"].specialty) == (ClinicianRole.OTHER, "Radiology")
    assert (people["Dr. Care"].role, people["Dr. Care"].specialty) == (ClinicianRole.TREATING, "")
    assert record.clinician_id == people["Dr. Slide"].id and len(people) == 3
