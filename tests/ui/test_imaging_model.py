"""The studies-found model of Import imaging on its own (no view): rows from the core's plan, the two levels,
ticking, and what cannot be ticked."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from secondopinion_desktop.ui.imaging.scan_view import (
    BODY_PART,
    DATE,
    HEADERS,
    IMAGES,
    MODALITY,
    PATIENT,
    STUDY,
    UID_ROLE,
    ChildRow,
    StudiesModel,
    StudyRow,
    study_rows,
)

CHECK = Qt.ItemDataRole.CheckStateRole


def study(uid: str, *, importable: bool = True, chosen: bool = True, warn: bool = False, note: str = "",
          series: int = 2) -> StudyRow:
    children = ([ChildRow((note, "", "", "", "", ""), note=True)] if note else []) + [
        ChildRow((f"Series {n}", "", "", "CT", "CHEST", "3")) for n in range(1, series + 1)]
    return StudyRow(uid, (f"Study {uid}", f"Patient of {uid}", "2024-03-05", "CT", "CHEST", str(3 * series)),
                    f"tip {uid}", importable, chosen, warn, tuple(children))


ROWS = (
    study("mine"),
    study("other", chosen=False, warn=True),
    study("stored", importable=False, chosen=False, note="Already imported: Study stored — skipped.", series=1),
)


@pytest.fixture
def model(qapp) -> StudiesModel:
    m = StudiesModel()
    QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    m.set_rows(ROWS)
    return m


def test_two_levels_studies_then_their_series(model) -> None:
    assert model.columnCount() == len(HEADERS) == 6
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == list(HEADERS)
    assert model.rowCount() == 3
    mine = model.index(0, STUDY)
    assert mine.data() == "Study mine" and mine.data(UID_ROLE) == "mine"
    assert [model.index(0, c).data() for c in (PATIENT, DATE, MODALITY, BODY_PART, IMAGES)] == [
        "Patient of mine", "2024-03-05", "CT", "CHEST", "6"]
    assert model.index(0, PATIENT).data(Qt.ItemDataRole.ToolTipRole) == "tip mine"
    assert model.rowCount(mine) == 2
    series = model.index(1, STUDY, mine)
    assert series.data() == "Series 2" and series.parent() == mine
    assert model.index(1, IMAGES, mine).data() == "3"
    assert model.rowCount(series) == 0, "series have no children"
    assert model.parent(mine) == QModelIndex()


def test_studies_of_the_patient_start_ticked_someone_elses_do_not(model) -> None:
    states = [Qt.CheckState(model.index(r, STUDY).data(CHECK)) for r in range(3)]
    assert states == [Qt.CheckState.Checked, Qt.CheckState.Unchecked, Qt.CheckState.Unchecked]
    assert model.chosen_uids() == ["mine"]
    assert model.index(1, PATIENT).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(1, PATIENT).data(Qt.ItemDataRole.AccessibleTextRole) == "Warning: Patient of other"
    assert model.index(0, PATIENT).data(Qt.ItemDataRole.FontRole) is None
    assert model.index(0, STUDY, model.index(0, STUDY)).data(CHECK) is None, "a series has no tick box"


def test_ticking_changes_the_choice_and_says_so(qtbot, model) -> None:
    other = model.index(1, STUDY)
    with qtbot.waitSignal(model.dataChanged) as changed:
        assert model.setData(other, Qt.CheckState.Checked, CHECK)
    assert changed.args[0] == other
    assert model.chosen_uids() == ["mine", "other"]
    model.check_all(False)
    assert model.chosen_uids() == []
    model.check_all(True)
    assert model.chosen_uids() == ["mine"], "All never ticks someone else's study"
    assert not model.setData(model.index(0, PATIENT), Qt.CheckState.Unchecked, CHECK), "only the study column"


def test_a_study_stored_already_cannot_be_ticked_but_its_note_reads_normally(model) -> None:
    stored = model.index(2, STUDY)
    assert not model.flags(stored) & Qt.ItemFlag.ItemIsEnabled
    model.set_checked("stored", True)
    assert model.chosen_uids() == ["mine"], "a study with nothing new is never chosen"
    note = model.index(0, STUDY, stored)
    assert note.data() == "Already imported: Study stored — skipped."
    assert model.flags(note) & Qt.ItemFlag.ItemIsEnabled
    assert note.data(Qt.ItemDataRole.FontRole).italic()
    assert not model.flags(model.index(1, STUDY, stored)) & Qt.ItemFlag.ItemIsEnabled


def test_rows_from_the_core_plan(qapp, folder, tmp_path) -> None:
    pytest.importorskip("pydicom")
    from secondopinion_desktop.core.imaging.plan import scan_and_plan
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study
    from secondopinion_desktop.core.profile import save_profile

    save_profile(folder, name="Alex Sample", date_of_birth=dt.date(1970, 2, 14))
    write_study(tmp_path / "cd", StudySpec(series=(SeriesSpec(1, "AX 5mm", "CT", 2), SeriesSpec(2, "COR", "CT", 1))),
                size=16)
    plan = scan_and_plan(folder, tmp_path / "cd")
    (row,) = study_rows(plan)
    assert row.uid == plan.studies[0].study_uid
    assert row.cells[PATIENT] == "Alex Sample, born 1970-02-14"
    assert row.cells[IMAGES] == "3" and row.importable and row.chosen_by_default and not row.warn
    assert [c.cells[STUDY] for c in row.children] == [s.label() for s in plan.scan.studies[0].series]
    assert row.tooltip.startswith("Patient on the images: Alex Sample, born 1970-02-14\n")
    assert study_rows(None) == ()
