"""The records services the window calls with the data folder: each is a transaction of its own, several steps
that belong together are one service, checks write nothing, and every refusal names the input at fault."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.core.progress import Cancelled

TODAY = dt.date.today()


def titles(folder) -> list[str]:
    return sorted(r.title for r in svc.list_records(folder))


def test_services_take_the_folder_and_commit_on_their_own(folder) -> None:
    record = svc.create_record(folder, "lab", "CBC")
    svc.update_record(folder, record.id, summary="Normal counts")
    svc.set_status(folder, record.id, RecordStatus.REQUESTED)
    again = svc.get_record(folder, record.id)
    assert again.summary == "Normal counts" and again.status is RecordStatus.REQUESTED
    assert [r.id for r in svc.list_record_rows(folder)] == [record.id]
    assert svc.get_records(folder, [record.id, record.id + 99]) == [again]  # a vanished record is left out


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "lab", "title": "  "}, "title"),
    ({"kind": "lab", "title": "CBC", "date_of_service": "2026-02-30"}, "date_of_service"),
    ({"kind": "lab", "title": "CBC", "date_of_service": "yesterday"}, "date_of_service"),
    ({"kind": "nonsense", "title": "CBC"}, "kind"),
    ({"kind": "lab", "title": "CBC", "status": "received", "requested_on": TODAY,
      "received_on": TODAY - dt.timedelta(days=3)}, "received_on"),
    ({"kind": "lab", "title": "CBC", "imaging_modality": "CT"}, "imaging_modality"),
    ({"kind": "pathology", "title": "Slides", "slides_count": "many"}, "slides_count"),
    ({"kind": "lab", "title": "CBC", "facility": "x" * 400}, "facility"),
    ({"kind": "lab", "title": "CBC", "clinician": "x" * 400}, "clinician"),
])
def test_check_record_names_the_field_and_writes_nothing(folder, fields, field) -> None:
    with pytest.raises(ValidationError) as caught:
        svc.check_record(folder, fields)
    assert caught.value.field == field, str(caught.value)
    assert titles(folder) == []


def test_check_record_accepts_good_input_and_still_writes_nothing(folder) -> None:
    svc.check_record(folder, {"kind": "lab", "title": "CBC", "facility": "New Clinic"})
    assert titles(folder) == []
    assert svc.record_choices(folder).facilities == ()  # the facility a check would add is not kept
    record = svc.create_record(folder, "lab", "CBC")
    with pytest.raises(ValidationError) as caught:
        svc.check_record(folder, {"title": ""}, record.id)
    assert caught.value.field == "title"
    svc.check_record(folder, {"title": "Renamed"}, record.id)
    assert titles(folder) == ["CBC"]


def test_record_choices_lists_the_directory(folder) -> None:
    svc.create_record(folder, "imaging", "CT", facility="Samplewood Hospital", clinician="Dr Rivera")
    choices = svc.record_choices(folder)
    assert [f.name for f in choices.facilities] == ["Samplewood Hospital"]
    assert [c.name for c in choices.clinicians] == ["Dr Rivera"]


def test_set_statuses_moves_all_or_none(folder) -> None:
    first = svc.create_record(folder, "lab", "CBC")
    second = svc.create_record(folder, "lab", "CMP")
    with pytest.raises(ValidationError):
        svc.set_statuses(folder, [(first.id, RecordStatus.REQUESTED), (second.id, "lost")])
    assert {r.status for r in svc.list_records(folder)} == {RecordStatus.NEEDED}
    moved = svc.set_statuses(folder, [(first.id, RecordStatus.REQUESTED), (second.id, RecordStatus.RECEIVED)])
    assert [r.status for r in moved] == [RecordStatus.REQUESTED, RecordStatus.RECEIVED]


def test_update_records_changes_all_or_none(folder) -> None:
    first = svc.create_record(folder, "lab", "CBC")
    second = svc.create_record(folder, "lab", "CMP")
    with pytest.raises(ValidationError):
        svc.update_records(folder, {first.id: {"title": "Renamed"}, second.id: {"title": ""}})
    assert titles(folder) == ["CBC", "CMP"]
    svc.update_records(folder, {first.id: {"title": "A"}, second.id: {"title": "B"}})
    assert titles(folder) == ["A", "B"]


def _pdf(tmp_path: Path, name: str, size: int = 100) -> Path:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4\n" + b"x" * size)
    return path


def test_create_records_with_files_makes_every_record_with_its_file(folder, tmp_path) -> None:
    done: list[tuple[int, int]] = []
    made = svc.create_records_with_files(folder, [
        svc.NewRecord(RecordKind.IMAGING, "CT report", (_pdf(tmp_path, "ct.pdf"),)),
        svc.NewRecord(RecordKind.LAB, "Markers", (_pdf(tmp_path, "markers.pdf", 300),)),
    ], progress=lambda d, t: done.append((d, t)))
    assert [(r.title, r.status, [a.original_name for a in r.attachments]) for r in made] == [
        ("CT report", RecordStatus.RECEIVED, ["ct.pdf"]), ("Markers", RecordStatus.RECEIVED, ["markers.pdf"])]
    assert done[-1][0] == done[-1][1]  # the bytes of all the files, counted to the end


def test_create_records_with_files_is_all_or_nothing(folder, tmp_path) -> None:
    with pytest.raises(ValidationError):
        svc.create_records_with_files(folder, [
            svc.NewRecord("lab", "Good", (_pdf(tmp_path, "a.pdf"),)),
            svc.NewRecord("lab", "", (_pdf(tmp_path, "b.pdf"),)),
        ])
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        svc.create_records_with_files(folder, [
            svc.NewRecord("lab", "First", (_pdf(tmp_path, "c.pdf"),)),
            svc.NewRecord("lab", "Second", (_pdf(tmp_path, "d.pdf"),)),
        ], cancelled=lambda: next(calls, True))
    assert titles(folder) == []
    assert list(folder.vault.stored()) == []


def test_attach_files_is_all_or_nothing(folder, tmp_path) -> None:
    record = svc.create_record(folder, "lab", "CBC")
    good = _pdf(tmp_path, "page1.pdf")
    with pytest.raises(ValidationError):
        svc.attach_files(folder, [(record.id, good), (record.id, tmp_path / "gone.pdf")])
    assert svc.get_record(folder, record.id).attachments == ()
    assert list(folder.vault.stored()) == []
    attached = svc.attach_files(folder, [(record.id, good), (record.id, _pdf(tmp_path, "page2.pdf", 50))])
    assert [a.original_name for a in attached] == ["page1.pdf", "page2.pdf"]
