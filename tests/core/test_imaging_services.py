"""What the window asks the imaging core for, with the data folder itself: the disc read and planned in one call,
and the title of the record an import goes to. Each opens (and closes) its own transaction."""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from secondopinion_desktop.core.errors import NotFoundError
from secondopinion_desktop.core.imaging.importer import import_imaging, record_title
from secondopinion_desktop.core.imaging.plan import plan_against, scan_and_plan
from secondopinion_desktop.core.imaging.scan import scan_folder
from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_study
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.records import create_record, list_records


def test_scan_and_plan_reads_the_disc_and_compares_it_with_the_folder(folder, tmp_path) -> None:
    save_profile(folder, name="Robin Other", date_of_birth=dt.date(1981, 7, 2))
    disc = tmp_path / "cd"
    write_study(disc, StudySpec(), size=16)  # Alex Sample's CT: not the profile's patient
    calls: list[tuple[int, int]] = []
    plan = scan_and_plan(folder, disc, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] == plan.scan.image_count == 9
    (study,) = plan.studies
    assert study.someone_else and not study.chosen_by_default, "the profile in the folder was read"
    assert plan.profile_name == "Robin Other"
    assert list_records(folder) == [], "nothing is written"

    import_imaging(folder, plan.scan)
    again = plan_against(folder, scan_folder(disc), folder.vault)
    assert again.everything_stored, "what the folder stores now is read by a transaction of its own"


def test_scan_and_plan_can_be_cancelled(folder, tmp_path) -> None:
    disc = tmp_path / "cd"
    write_study(disc, StudySpec(), size=16)
    with pytest.raises(Cancelled, match="The scan was cancelled."):
        scan_and_plan(folder, disc, cancelled=lambda: True)


def test_record_title_names_the_record_or_says_there_is_none(folder) -> None:
    record = create_record(folder, RecordKind.IMAGING, "Chest CT (needed)")
    assert record_title(folder, record.id) == "Chest CT (needed)"
    with pytest.raises(NotFoundError, match=f"There is no record {record.id + 1}."):
        record_title(folder, record.id + 1)
