"""Core support for the Records tab: table rows, status steps, undoable delete, kind guessing, dry runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import RecordKind, RecordStatus


def make(folder, kind="lab", title="CBC", **fields) -> svc.RecordData:
    with folder.session() as s:
        return svc.create_record(s, kind, title, **fields)


def attach(folder, record_id: int, tmp_path: Path, name: str, content: bytes) -> svc.AttachmentData:
    path = tmp_path / name
    path.write_bytes(content)
    return svc.attach_file(folder, record_id, path)


def test_list_record_rows_matches_the_full_records(folder, tmp_path: Path) -> None:
    a = make(folder, "pathology", "Core biopsy", facility="Samplewood Hospital", clinician="Dr. Pat Example",
             date_of_service="2026-02-20", summary="IDC grade 2", notes="slides at the lab")
    b = make(folder, "imaging", "Breast MRI")
    attach(folder, a.id, tmp_path, "one.pdf", b"%PDF-1 one")
    attach(folder, a.id, tmp_path, "two.pdf", b"%PDF-1 two")
    with folder.session() as s:
        rows = {r.id: r for r in svc.list_record_rows(s)}
        only_b = svc.list_record_rows(s, [b.id])
    assert set(rows) == {a.id, b.id}
    ra = rows[a.id]
    assert (ra.kind, ra.title, ra.date_of_service) == (RecordKind.PATHOLOGY, "Core biopsy", dt.date(2026, 2, 20))
    assert (ra.facility_name, ra.clinician_name) == ("Samplewood Hospital", "Dr. Pat Example")
    assert (ra.summary, ra.notes, ra.attachment_count) == ("IDC grade 2", "slides at the lab", 2)
    assert rows[b.id].attachment_count == 0 and rows[b.id].facility_name == ""
    assert [r.id for r in only_b] == [b.id]


def test_clinician_by_name_is_created_once(folder) -> None:
    a = make(folder, clinician="Dr. Pat Example")
    b = make(folder, clinician="DR. PAT EXAMPLE")
    assert a.clinician_id == b.clinician_id and a.clinician_name == "Dr. Pat Example"


def test_advance_status_walks_the_workflow(folder) -> None:
    r = make(folder)
    seen = []
    with folder.session() as s:
        for _ in range(3):
            r = svc.advance_status(s, r.id)
            seen.append(r.status)
    assert seen == [RecordStatus.REQUESTED, RecordStatus.RECEIVED, RecordStatus.SENT]
    assert r.requested_on == r.received_on == r.sent_on == dt.date.today()
    with pytest.raises(ValidationError, match="already been sent"):
        with folder.session() as s:
            svc.advance_status(s, r.id)
    assert svc.next_status(RecordStatus.SENT) is None


def test_delete_keeping_files_then_restore_brings_back_everything(folder, tmp_path: Path) -> None:
    r = make(folder, "pathology", "Slides", slides_count=12, blocks_count=1, material_holder="Hospital lab",
             status="requested", requested_on="2026-01-05", notes="call Tuesday")
    first = attach(folder, r.id, tmp_path, "release.pdf", b"%PDF-1 release")
    with folder.session() as s:
        before = svc.get_record(s, r.id)
    deleted = svc.delete_record(folder, r.id, keep_files=True)
    assert deleted == before
    assert folder.vault.exists(first.sha256), "kept for undo"
    with folder.session() as s:
        assert svc.list_record_rows(s) == []
    restored = svc.restore_record(folder, deleted)
    assert restored == before  # same id, fields, timestamps and attachment rows
    with pytest.raises(ValidationError, match="exists already"):
        svc.restore_record(folder, deleted)


def test_purge_removes_only_files_nothing_uses(folder, tmp_path: Path) -> None:
    a = make(folder, title="A")
    b = make(folder, title="B")
    shared = attach(folder, a.id, tmp_path, "shared.pdf", b"%PDF-1 shared")
    attach(folder, b.id, tmp_path, "shared copy.pdf", b"%PDF-1 shared")
    own = attach(folder, a.id, tmp_path, "own.pdf", b"%PDF-1 own")
    svc.delete_record(folder, a.id, keep_files=True)
    assert svc.purge_unused_files(folder, {shared.sha256, own.sha256}) == [own.sha256]
    assert folder.vault.exists(shared.sha256) and not folder.vault.exists(own.sha256)


def test_restore_refuses_when_a_file_is_gone(folder, tmp_path: Path) -> None:
    r = make(folder)
    attach(folder, r.id, tmp_path, "scan.pdf", b"%PDF-1 scan")
    deleted = svc.delete_record(folder, r.id)  # files purged at once
    with pytest.raises(NotFoundError, match="scan.pdf"):
        svc.restore_record(folder, deleted)
    with folder.session() as s:
        assert svc.list_record_rows(s) == []


def test_record_fields_round_trip_through_update(folder) -> None:
    r = make(folder, "imaging", "CT", imaging_modality="CT", imaging_body_region="Chest", images_location="cd",
             status="received", received_on="2026-03-01", facility="Example Imaging")
    with folder.session() as s:
        same = svc.update_record(s, r.id, **svc.record_fields(r))
    assert {k: v for k, v in vars(same).items() if k != "updated_at"} == {
        k: v for k, v in vars(r).items() if k != "updated_at"}


def test_dry_run_checks_without_writing(folder) -> None:
    with folder.dry_run() as s:
        svc.create_record(s, "lab", "Tried only", facility="New Lab")
    with pytest.raises(ValidationError):
        with folder.dry_run() as s:
            svc.create_record(s, "lab", " ")
    with folder.session() as s:
        assert svc.list_record_rows(s) == []
        from secondopinion_desktop.core.directory import list_facilities

        assert list_facilities(s) == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("2026-03-14_CBC_results.pdf", RecordKind.LAB),
        ("CT chest abdomen pelvis.pdf", RecordKind.IMAGING),
        ("IM000123.dcm", RecordKind.IMAGING),
        ("surgical_pathology_report.pdf", RecordKind.PATHOLOGY),
        ("Oncotype DX.pdf", RecordKind.MOLECULAR),
        ("insurance card front.jpg", RecordKind.IDENTITY),
        ("medication list.docx", RecordKind.TREATMENT),
        ("consult note Dr Example.pdf", RecordKind.CLINICAL),
        ("IMG_2041.png", RecordKind.OTHER),
    ],
)
def test_guess_kind_from_file_names(name: str, kind: RecordKind) -> None:
    assert svc.guess_kind(name) is kind


def test_title_from_file_name() -> None:
    assert svc.title_from_file_name("2026-03-14_CBC_results.pdf") == "2026-03-14 CBC results"
    assert svc.title_from_file_name("ct-chest_with-contrast.PDF") == "ct chest with contrast"
    assert svc.title_from_file_name(".pdf") == ".pdf"


def test_bidi_override_characters_are_removed_from_names(folder) -> None:
    r = make(folder, title="scan\u202efdp.exe report", facility="Hospital \u2067x\u2069")
    assert r.title == "scanfdp.exe report"
    assert r.facility_name == "Hospital x"
    arabic = make(folder, title="تقرير الأشعة")  # right-to-left text itself is kept as typed
    assert arabic.title == "تقرير الأشعة"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Insurance contract.pdf", RecordKind.IDENTITY),  # not imaging for the "ct" inside "contract"
        ("petition.pdf", RecordKind.OTHER),  # not PET
        ("Cardiology consult.pdf", RecordKind.CLINICAL),  # not an identity card
        ("covid test.pdf", RecordKind.OTHER),  # not an ID
        ("label.pdf", RecordKind.OTHER),  # not a lab
        ("collaboration letter.pdf", RecordKind.CLINICAL),
    ],
)
def test_guess_kind_does_not_match_inside_words(name: str, kind: RecordKind) -> None:
    assert svc.guess_kind(name) is kind


def test_length_limits_follow_the_columns(folder) -> None:
    with pytest.raises(ValidationError, match="imaging modality is 51 characters long; the limit is 50"):
        make(folder, "imaging", "CT", imaging_modality="x" * 51)


def test_record_with_files_lands_whole_or_not_at_all(folder, tmp_path: Path, monkeypatch) -> None:
    good = tmp_path / "report.pdf"
    good.write_bytes(b"%PDF-1.4 report")
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 100)
    made = svc.create_record_with_files(folder, "imaging", "CT chest", [good, scan], facility="Example Imaging")
    assert [a.original_name for a in made.attachments] == ["report.pdf", "scan.png"]
    assert {a.media_type for a in made.attachments} == {"application/pdf", "image/png"}

    with pytest.raises(ValidationError, match="does not exist"):
        svc.create_record_with_files(folder, "lab", "CBC", [good, tmp_path / "gone.pdf"])
    with pytest.raises(ValidationError, match="title is required"):
        svc.create_record_with_files(folder, "lab", "  ", [good])
    fresh = tmp_path / "fresh.pdf"
    fresh.write_bytes(b"%PDF-1.4 never stored")

    def broken_create(*args, **kwargs):
        raise ValidationError("the database said no")

    real_create = svc.create_record
    calls = {"n": 0}

    def create_then_fail(session, *args, **kwargs):  # passes the dry run, fails for real
        calls["n"] += 1
        if calls["n"] == 2:
            broken_create()
        return real_create(session, *args, **kwargs)

    monkeypatch.setattr(svc, "create_record", create_then_fail)
    with pytest.raises(ValidationError, match="said no"):
        svc.create_record_with_files(folder, "lab", "CBC", [fresh, good])
    import hashlib

    assert not folder.vault.exists(hashlib.sha256(fresh.read_bytes()).hexdigest()), "new file removed again"
    assert folder.vault.exists(made.attachments[0].sha256), "a file another record uses stays"
    with folder.session() as s:
        assert [r.title for r in svc.list_record_rows(s)] == ["CT chest"]


def test_deleting_several_records_takes_all_of_them_or_none(folder, tmp_path: Path) -> None:
    first = make(folder, title="CBC")
    second = make(folder, title="CT chest")
    attach(folder, first.id, tmp_path, "cbc.pdf", b"%PDF-1.4 cbc")
    with pytest.raises(NotFoundError):
        svc.delete_records(folder, [first.id, 999_999])  # the second is not there: the first stays too
    assert {r.title for r in svc.list_records(folder)} == {"CBC", "CT chest"}

    snapshots = svc.delete_records(folder, [first.id, second.id])
    assert [s.id for s in snapshots] == [first.id, second.id]
    assert svc.list_records(folder) == []
    assert all(folder.vault.exists(d) for d in svc.record_digests(snapshots[0])), "the files stay for an undo"
    for snapshot in snapshots:
        svc.restore_record(folder, snapshot)
    assert svc.get_record(folder, first.id).attachments == snapshots[0].attachments
