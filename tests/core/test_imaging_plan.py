"""The imaging import plan (whose images, what is stored already), skipping duplicates, and undoing an import."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from sqlalchemy import select, text

from secondopinion_desktop.core import records
from secondopinion_desktop.core.errors import NotFoundError
from secondopinion_desktop.core.imaging.importer import import_imaging
from secondopinion_desktop.core.imaging.plan import NOT_CHECKED, plan_import
from secondopinion_desktop.core.imaging.removal import remove_import, restore_import
from secondopinion_desktop.core.imaging.scan import person_name, scan_folder
from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study
from secondopinion_desktop.core.models import ImagingFile
from secondopinion_desktop.core.profile import ProfileData

ALEX = ProfileData(name="Alex Sample", date_of_birth=dt.date(1970, 2, 14))
CT = StudySpec()  # Alex Sample: CT chest, series 2 (5 images) and 3 (4 images)
OTHER = StudySpec(description="MRI KNEE", date="20240401", patient_name="OTHER^ROBIN", patient_birth_date="19810702",
                  institution="Knee Clinic", series=(SeriesSpec(1, "SAG PD", "MR", 3, body_part="KNEE"),))
TABLES = ("record", "attachment", "imaging_file", "facility")


def everything(folder) -> tuple:  # type: ignore[no-untyped-def]
    """Every row of the tables an import touches, and the vault's files."""
    with folder.session() as session:
        rows = tuple(tuple(session.execute(text(f"SELECT * FROM {t} ORDER BY id")).all()) for t in TABLES)
    return rows, set(folder.vault.stored())


@pytest.fixture
def disc(tmp_path: Path) -> Path:
    root = tmp_path / "cd"
    write_study(root, CT, subfolder="CT")
    write_study(root, OTHER, subfolder="MR")
    return root


def test_names_read_as_people_write_them() -> None:
    assert person_name("SAMPLE^ALEX") == "Alex Sample"
    assert person_name("SAMPLE^ALEX^J") == "Alex J Sample"
    assert person_name("O'BRIEN-SMITH^JEAN") == "Jean O'Brien-Smith"
    assert person_name("McDonald^Mary") == "Mary McDonald", "mixed case is the person's own spelling"
    assert person_name("") == ""


def test_plan_shows_each_studys_patient_and_leaves_someone_else_unchosen(folder, disc: Path) -> None:
    scan = scan_folder(disc)
    with folder.session() as session:
        plan = plan_import(session, scan, ALEX)
    ct, mr = plan.studies
    assert (ct.patient, ct.birth_date, ct.someone_else) == ("Alex Sample", dt.date(1970, 2, 14), False)
    assert (mr.patient, mr.birth_date, mr.someone_else) == ("Robin Other", dt.date(1981, 7, 2), True)
    assert mr.patient_label() == "Robin Other, born 1981-07-02"
    assert any("Robin Other" in d for d in mr.differences) and any("1981-07-02" in d for d in mr.differences)
    assert plan.default_study_uids() == [ct.study_uid]
    assert any("2 different patients" in w for w in plan.warnings)
    assert plan.to_json()["studies"][1]["someone_else"] is True

    # an empty profile cannot be compared, and this disc holds two patients: nobody can tell which is hers, so
    # nothing is ticked for her and importing needs a yes; the plan says why
    with folder.session() as session:
        unchecked = plan_import(session, scan, ProfileData())
    assert not unchecked.profile_checked
    assert [s.uncertain for s in unchecked.studies] == [True, True]
    assert [s.needs_confirmation for s in unchecked.studies] == [True, True]
    assert unchecked.default_study_uids() == []
    assert NOT_CHECKED in unchecked.warnings
    assert unchecked.to_json()["studies"][0]["uncertain"] is True


def test_an_empty_profile_and_a_disc_of_one_patient_ticks_every_study(folder, tmp_path: Path) -> None:
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_disc

    one = tmp_path / "one"
    write_disc(one, [StudySpec(description="CT CHEST", series=(SeriesSpec(1, "AX", "CT", 2),)),
                     StudySpec(description="CT ABDOMEN", date="20240401", series=(SeriesSpec(2, "AX", "CT", 2),))])
    scan = scan_folder(one)
    with folder.session() as session:
        plan = plan_import(session, scan, ProfileData())
    assert len(plan.studies) == 2 and not any(s.needs_confirmation for s in plan.studies)
    assert plan.default_study_uids() == [s.study_uid for s in plan.studies]
    assert NOT_CHECKED in plan.warnings


def test_the_same_disc_twice_adds_nothing_and_says_so(folder, disc: Path) -> None:
    scan = scan_folder(disc)
    first = import_imaging(folder, scan)
    assert len(first.record_ids) == 2 and first.skipped == ()
    before = everything(folder)

    with folder.session() as session:
        plan = plan_import(session, scan, ALEX)
    assert [s.already_imported for s in plan.studies] == [True, True]
    assert plan.default_study_uids() == [] and plan.everything_stored
    assert plan.studies[0].stored_sentence() == (
        "Already imported: CT CHEST WITH CONTRAST (2024-03-05) (9 images) — skipped.")

    again = import_imaging(folder, scan)
    assert everything(folder) == before, "no record, no imaging row, no file added"
    assert (again.record_ids, again.files_stored, again.thumbnails, again.images_skipped) == ((), 0, 0, 12)
    [sentence] = again.summary_lines()
    assert sentence == ("Nothing new was imported: CT CHEST WITH CONTRAST (2024-03-05), MRI KNEE (2024-04-01) "
                        "are already in your records (12 images skipped).")
    assert again.to_json()["skipped"][0] == {
        "study_uid": scan.studies[0].study_uid, "label": "CT CHEST WITH CONTRAST (2024-03-05)", "images": 9,
        "whole": True,
    }
    # attaching the same images to another record does not copy them either
    with folder.session() as session:
        other = records.create_record(session, "imaging", "Chest CT report")
    assert import_imaging(folder, scan, record_id=other.id).files_stored == 0


def test_a_study_imported_in_part_gets_only_its_new_images(folder, tmp_path: Path) -> None:
    root = tmp_path / "cd"
    write_study(root, CT, subfolder="CT")
    series3 = next(p for p in (root / "CT").iterdir() if p.name == "SE0003")
    aside = tmp_path / "later"
    shutil.move(series3, aside)
    first = import_imaging(folder, scan_folder(root))
    (record_id,) = first.record_ids
    shutil.move(aside, series3)

    scan = scan_folder(root)
    with folder.session() as session:
        [study] = plan_import(session, scan, ALEX).studies
    assert study.partly_imported and (study.stored_images, study.new_images) == (5, 4)
    assert study.record_ids == (record_id,) and study.chosen_by_default
    assert "only 4 new images will be added" in study.stored_sentence()

    second = import_imaging(folder, scan)
    assert second.record_ids == (record_id,) and second.created_record_ids == ()
    assert second.files_stored == 4 and second.thumbnails == 1, "one thumbnail, for the new series only"
    assert second.summary_lines()[1] == (
        "Skipped 5 images already in your records (CT CHEST WITH CONTRAST (2024-03-05))."
    )
    with folder.session() as session:
        sops = list(session.scalars(select(ImagingFile.sop_instance_uid).where(ImagingFile.record_id == record_id)))
        assert len(sops) == len(set(sops)) == 9
        assert len(records.get_record(session, record_id).attachments) == 2


def test_one_image_series_reads_one_image(folder, tmp_path: Path) -> None:
    root = tmp_path / "cr"
    write_study(root, StudySpec(description="CHEST XRAY", series=(SeriesSpec(1, "PA", "CT", 1),)))
    result = import_imaging(folder, scan_folder(root))
    with folder.session() as session:
        summary = records.get_record(session, result.record_ids[0]).summary
    assert "1 series, 1 image." in summary and "(CT, 1 image)" in summary and "1 images" not in summary
    assert result.summary_lines()[0].startswith("Imported 1 image file into record")


def test_removing_an_import_takes_away_exactly_what_it_added_and_restore_brings_it_back(folder, disc: Path) -> None:
    with folder.session() as session:
        records.create_record(session, "lab", "Blood count", facility="General Hospital")
    before = everything(folder)
    result = import_imaging(folder, scan_folder(disc))
    after = everything(folder)
    assert len(after[1]) > len(before[1])

    removed = remove_import(folder, result)
    rows, files = everything(folder)
    assert rows == before[0], "records, attachments, imaging rows and the new facility are gone"
    assert files == after[1], "the vault files stay while the removal may be undone"
    assert removed.digests <= after[1] and removed.digests.isdisjoint(before[1])
    assert [r["name"] for r in removed.facilities] == ["Knee Clinic"], "General Hospital existed before"

    assert restore_import(folder, removed) == result
    assert everything(folder) == after, "the same rows with the same ids"

    remove_import(folder, result, keep_files=False)
    assert everything(folder) == before, "without keep_files the files nothing uses leave the vault"
    with pytest.raises(NotFoundError, match="no longer stored"):
        restore_import(folder, removed)
    with pytest.raises(NotFoundError, match="no longer there"):
        remove_import(folder, result)


def test_redo_of_an_import_after_the_directory_changed(folder, disc: Path) -> None:
    """A facility added meanwhile (the directory is outside the undo history) takes the removed one's id: the
    import comes back with its facility under its own name; a clash that cannot be mended leaves all unchanged."""
    from secondopinion_desktop.core.directory import create_facility, list_facilities
    from secondopinion_desktop.core.imaging.removal import ImportChangedError

    result = import_imaging(folder, scan_folder(disc))
    with folder.session() as session:
        where = {rid: records.get_record(session, rid).facility_name for rid in result.created_record_ids}
        made = sorted(f.name for f in list_facilities(session))
    removed = remove_import(folder, result)
    with folder.session() as session:
        clinic = create_facility(session, "Another clinic")  # the id one of the import's facilities had
    assert clinic.id in [int(r["id"]) for r in removed.facilities]
    restore_import(folder, removed)
    with folder.session() as session:
        names = sorted(f.name for f in list_facilities(session))
        back = {rid: records.get_record(session, rid).facility_name for rid in result.created_record_ids}
    assert names == sorted([*made, "Another clinic"])
    assert back == where, "each record is back with its own facility"

    removed = remove_import(folder, result)
    with folder.session() as session:  # something outside the history now holds a removed record's id
        typed = records.create_record(session, "lab", "typed meanwhile")
    assert typed.id in result.created_record_ids
    before = everything(folder)
    with pytest.raises(ImportChangedError, match="Import the disc again"):
        restore_import(folder, removed)
    assert everything(folder) == before, "nothing half restored"


def test_removing_an_import_into_an_existing_record_empties_the_fields_it_filled(folder, disc: Path) -> None:
    with folder.session() as session:
        placeholder = records.create_record(session, "imaging", "CT chest (needed)", notes="ask radiology")
    before = everything(folder)
    scan = scan_folder(disc)
    result = import_imaging(folder, scan, study_uids=[scan.studies[0].study_uid], record_id=placeholder.id)
    with folder.session() as session:
        filled = records.get_record(session, placeholder.id)
    assert filled.date_of_service == dt.date(2024, 3, 5) and filled.facility_name == "General Hospital"
    assert len(filled.attachments) == 2
    after = everything(folder)

    removed = remove_import(folder, result)
    assert everything(folder)[0] == before[0]
    with folder.session() as session:
        back = records.get_record(session, placeholder.id)
    assert (back.date_of_service, back.facility_id, back.summary, back.attachments) == (None, None, "", ())
    assert back.notes == "ask radiology"
    restore_import(folder, removed)
    assert everything(folder) == after


def test_importing_the_disc_again_puts_back_image_files_missing_from_the_vault(folder, disc: Path, tmp_path) -> None:
    from secondopinion_desktop.core.imaging.export import export_study

    scan = scan_folder(disc)
    result = import_imaging(folder, scan, study_uids=[scan.studies[0].study_uid])
    (record_id,) = result.record_ids
    with folder.session() as session:
        lost = session.scalars(select(ImagingFile.sha256).where(ImagingFile.record_id == record_id)).first()
    folder.vault.path_for(lost).unlink()  # a damaged disk, a careless clean-up
    with pytest.raises(NotFoundError, match="1 of the record's image files is missing"):
        export_study(folder, record_id, tmp_path / "out")
    rows_before = everything(folder)[0]

    with folder.session() as session:
        ct = plan_import(session, scan, ALEX, folder.vault).studies[0]
    assert (ct.stored_images, ct.lost_images, ct.importable) == (8, 1, True)
    assert "will be put back from this disc" in ct.stored_sentence()

    again = import_imaging(folder, scan, study_uids=[ct.study_uid])
    assert (again.files_repaired, again.files_stored, again.record_ids) == (1, 0, ())
    assert again.summary_lines()[0] == "Put back 1 image file that had gone missing from the data folder."
    assert folder.vault.exists(lost)
    assert everything(folder)[0] == rows_before, "no row added"
    assert export_study(folder, record_id, tmp_path / "out").is_dir()
