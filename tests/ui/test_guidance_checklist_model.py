"""The checklist's list model on its own (no view): rows, text, check boxes, roles, resets, a tick asked for."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication

from secondopinion_desktop.core.checklist import ChecklistEntry
from secondopinion_desktop.ui.guidance.checklist_model import ENTRY_ID_ROLE, ENTRY_ROLE, KEY_ROLE, ChecklistModel


def entry(entry_id: int, key: str | None, title: str, *, done: bool = False, done_on: dt.date | None = None,
          ticked: bool = False, shown_by_data: str = "", unticked: bool = False, help_text: str = "") -> ChecklistEntry:
    return ChecklistEntry(entry_id, key, title, help_text, "", (), done, done_on, "", {}, ticked=ticked,
                          shown_by_data=shown_by_data, unticked=unticked)


ENTRIES = [
    entry(1, "fill-profile", "Fill in the patient profile", help_text="Diagnosis, stage, markers."),
    entry(2, "book-appointment", "Book the appointment", done=True, shown_by_data="1 appointment booked"),
    entry(3, "call-insurer", "Call your insurer", done=True, done_on=dt.date(2026, 3, 4), ticked=True),
    entry(4, None, "Ask work for two days off — ✓ 休み"),
    entry(5, "choose-doctor", "Choose the doctor", shown_by_data="Avery Stone, MD chosen", unticked=True),
]


def state(index: QModelIndex) -> Qt.CheckState:
    return Qt.CheckState(index.data(Qt.ItemDataRole.CheckStateRole))


def test_rows_and_what_each_shows(qapp) -> None:
    widgets_before = len(QApplication.allWidgets())
    model = ChecklistModel()
    assert model.rowCount() == 0
    model.set_entries(ENTRIES)
    assert model.rowCount() == 5
    assert model.rowCount(model.index(0, 0)) == 0  # a list, not a tree
    assert [model.index(r, 0).data() for r in range(5)] == [
        "Fill in the patient profile",
        "Book the appointment\nDone — 1 appointment booked",  # the data shows it done: said on a second line
        "Call your insurer  — done 4 Mar 2026",  # ticked by her: the day, in the app's own wording
        "Ask work for two days off — ✓ 休み",
        "Choose the doctor",  # unticked by her although the data shows it: no "Done"
    ]
    assert [state(model.index(r, 0)) for r in range(5)] == [
        Qt.CheckState.Unchecked, Qt.CheckState.Checked, Qt.CheckState.Checked, Qt.CheckState.Unchecked,
        Qt.CheckState.Unchecked]
    assert len(QApplication.allWidgets()) == widgets_before, "the model makes no widgets"


def test_roles(qapp) -> None:
    model = ChecklistModel()
    model.set_entries(ENTRIES)
    profile, own = model.index(0, 0), model.index(3, 0)
    assert profile.data(ENTRY_ID_ROLE) == 1 and profile.data(KEY_ROLE) == "fill-profile"
    assert profile.data(ENTRY_ROLE) is ENTRIES[0]
    assert own.data(KEY_ROLE) == "" and own.data(ENTRY_ROLE).custom
    assert profile.data(Qt.ItemDataRole.ToolTipRole) == "Diagnosis, stage, markers."
    assert own.data(Qt.ItemDataRole.ToolTipRole) == "Ask work for two days off — ✓ 休み"  # no help: its title
    assert profile.data(Qt.ItemDataRole.AccessibleTextRole) == "Fill in the patient profile: not done"
    assert (model.index(1, 0).data(Qt.ItemDataRole.AccessibleTextRole)
            == "Book the appointment: done; 1 appointment booked")
    flags = model.flags(profile)
    assert flags & Qt.ItemFlag.ItemIsUserCheckable and flags & Qt.ItemFlag.ItemIsSelectable
    assert not flags & Qt.ItemFlag.ItemIsEditable
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    assert model.index(9, 0).data() is None


def test_finding_a_step(qapp) -> None:
    model = ChecklistModel()
    model.set_entries(ENTRIES)
    assert model.row_of(3) == 2 and model.row_of(99) == -1 and model.row_of(None) == -1
    assert model.index_of(5).row() == 4 and not model.index_of(99).isValid()
    assert model.index_of_key("call-insurer").row() == 2 and not model.index_of_key("no-such-step").isValid()
    assert model.entry_at(1) is ENTRIES[1] and model.entry_at(5) is None and model.entry_at(-1) is None


def test_reload_resets_the_rows(qapp) -> None:
    model = ChecklistModel()
    model.set_entries(ENTRIES)
    heard: list[str] = []
    model.modelAboutToBeReset.connect(lambda: heard.append("about"))
    model.modelReset.connect(lambda: heard.append("reset"))
    ticked = entry(1, "fill-profile", "Fill in the patient profile", done=True, shown_by_data="the profile names it")
    model.set_entries([ticked, *ENTRIES[1:3]])
    assert heard == ["about", "reset"]
    assert model.rowCount() == 3
    assert state(model.index(0, 0)) == Qt.CheckState.Checked
    assert model.index(0, 0).data() == "Fill in the patient profile\nDone — the profile names it"
    assert model.entries() == [ticked, *ENTRIES[1:3]]


def test_ticking_a_box_asks_and_changes_nothing_itself(qapp) -> None:
    model = ChecklistModel()
    model.set_entries(ENTRIES)
    asked: list[tuple[int, bool]] = []
    model.checkRequested.connect(lambda entry_id, done: asked.append((entry_id, done)))
    assert model.setData(model.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.setData(model.index(1, 0), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert model.setData(model.index(2, 0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)  # already
    assert asked == [(1, True), (2, False)]
    assert state(model.index(0, 0)) == Qt.CheckState.Unchecked, "the row changes when the rows are reloaded"
    assert not model.setData(model.index(0, 0), "new title", Qt.ItemDataRole.EditRole)
    assert not model.setData(QModelIndex(), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert asked == [(1, True), (2, False)]
