"""What the center asked for, on its page of the Appointments tab: pasting the center's instructions, ticking,
linking and unlinking records, removing and putting back."""

from __future__ import annotations

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

from secondopinion_desktop.core import appointments as appts
from secondopinion_desktop.core import opinions
from secondopinion_desktop.core.records import create_record
from secondopinion_desktop.ui.appointments.requirements import MET_TINT, NOT_MET_TINT
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab

PASTED = """Please send the following before your visit:
1. Pathology report of the biopsy
2. All imaging on CD in DICOM format
3. Medication list
"""


@pytest.fixture
def tab(qtbot, folder):
    appts.create_appointment(folder, "2027-01-10 09:30", place="Main campus")
    made = AppointmentsTab()
    qtbot.addWidget(made)
    made.resize(1280, 760)
    made.set_folder(folder)
    made.show()
    qtbot.waitExposed(made)
    made.work_tabs.setCurrentWidget(made.requirements)
    yield made
    made.shutdown()


def click(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def wait_done(qtbot, pane) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: pane.last_op is not None and pane.last_op.done and not pane._working, timeout=10_000)


def shown(pane) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [tuple(pane.list.topLevelItem(r).text(c) for c in range(3)) for r in range(pane.list.topLevelItemCount())]


def paste_items(qtbot, pane, text: str) -> None:  # type: ignore[no-untyped-def]
    QApplication.clipboard().setText(text)
    pane.new_edit.setFocus()
    qtbot.keyClick(pane.new_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert pane.new_edit.toPlainText() == text
    click(qtbot, pane.add_button)
    wait_done(qtbot, pane)


def test_pasted_instructions_become_items(qtbot, tab, folder) -> None:
    pane = tab.requirements
    paste_items(qtbot, pane, PASTED)
    stored = opinions.list_requirements(folder, tab.current_appointment_id())
    assert [r.text for r in stored] == ["Pathology report of the biopsy", "All imaging on CD in DICOM format",
                                        "Medication list"]
    assert shown(pane)[0] == ("Pathology report of the biopsy", "Not met", "—")
    assert pane.list.topLevelItem(0).background(1).color().name() == NOT_MET_TINT
    assert pane.new_edit.toPlainText() == ""
    assert pane.last_notice == "Added 3 items to the list."
    assert "0 of 3 met" in pane.title.text()
    # typed, with Ctrl+Enter; an item already there is not added again
    qtbot.keyClicks(pane.new_edit, "medication LIST")
    qtbot.keyClick(pane.new_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_done(qtbot, pane)
    assert pane.last_notice == "Every item was already on the list."
    assert len(opinions.list_requirements(folder, tab.current_appointment_id())) == 3


def test_ticking_an_item_meets_it(qtbot, tab, folder) -> None:
    pane = tab.requirements
    [item] = opinions.add_requirements(folder, tab.current_appointment_id(), ["Referral letter"])
    pane.reload(select=item.id)
    pane.list.setFocus()
    qtbot.keyClick(pane.list, Qt.Key.Key_Space)  # ticks the check box of the selected item
    wait_done(qtbot, pane)
    [stored] = opinions.list_requirements(folder, tab.current_appointment_id())
    assert stored.done and stored.met
    assert shown(pane)[0][1] == "Met (ticked)"
    assert pane.list.topLevelItem(0).background(1).color().name() == MET_TINT


def test_records_are_linked_with_the_picker_and_unlinked(qtbot, tab, folder) -> None:
    pane = tab.requirements
    [item] = opinions.add_requirements(folder, tab.current_appointment_id(), ["Pathology report"])
    biopsy = create_record(folder, "pathology", "Biopsy pathology report", status="received")
    create_record(folder, "lab", "CBC", status="received")
    surgery = create_record(folder, "pathology", "Surgical pathology", status="requested")
    pane.reload(select=item.id)

    def pick(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.filter_edit, "patho")
        visible = [dialog.list.item(r).text() for r in range(dialog.list.count()) if not dialog.list.item(r).isHidden()]
        assert len(visible) == 2 and not any("CBC" in v for v in visible)
        dialog.check(biopsy.id)
        dialog.check(surgery.id)
        click(qtbot, dialog.findChild(QPushButton, "okButton"))

    errors = on_next_dialog(pick)
    click(qtbot, pane.link_button)
    assert errors == []
    wait_done(qtbot, pane)
    [stored] = opinions.list_requirements(folder, tab.current_appointment_id())
    assert set(stored.record_ids) == {biopsy.id, surgery.id} and stored.met
    assert "Biopsy pathology report" in shown(pane)[0][2] and "Surgical pathology" in shown(pane)[0][2]

    def unlink(dialog: QDialog) -> None:
        assert dialog.list.count() == 2, "only the linked records"
        dialog.check(biopsy.id)
        click(qtbot, dialog.findChild(QPushButton, "okButton"))

    errors = on_next_dialog(unlink)
    click(qtbot, pane.unlink_button)
    assert errors == []
    wait_done(qtbot, pane)
    [stored] = opinions.list_requirements(folder, tab.current_appointment_id())
    assert stored.record_ids == (surgery.id,) and not stored.met, "the surgical report is only requested"
    assert shown(pane)[0][1] == "Not met"
    click(qtbot, pane.unlink_button)  # one left: unlinked without asking
    wait_done(qtbot, pane)
    assert opinions.list_requirements(folder, tab.current_appointment_id())[0].record_ids == ()
    assert not pane.unlink_button.isEnabled()


def test_a_removed_item_is_put_back(qtbot, tab, folder) -> None:
    pane = tab.requirements
    one, two = opinions.add_requirements(folder, tab.current_appointment_id(), ["Pathology report", "Medication list"])
    record = create_record(folder, "pathology", "Biopsy", status="received")
    opinions.link_records(folder, one.id, [record.id])
    pane.reload(select=one.id)
    assert not pane.undo_button.isVisibleTo(pane)
    pane.list.setFocus()
    qtbot.keyClick(pane.list, QKeySequence(QKeySequence.StandardKey.Delete)[0].key())
    wait_done(qtbot, pane)
    assert [r.text for r in opinions.list_requirements(folder, tab.current_appointment_id())] == ["Medication list"]
    assert pane.current_id() == two.id
    assert pane.undo_button.isVisibleTo(pane)
    click(qtbot, pane.undo_button)
    wait_done(qtbot, pane)
    back = opinions.list_requirements(folder, tab.current_appointment_id())
    assert [(r.text, r.record_ids) for r in back] == [("Pathology report", (record.id,)), ("Medication list", ())]
    assert pane.current_id() == back[0].id
    assert not pane.undo_button.isVisibleTo(pane)
    click(qtbot, pane.remove_button)
    wait_done(qtbot, pane)
    assert len(opinions.list_requirements(folder, tab.current_appointment_id())) == 1


def test_changes_are_announced_and_changes_elsewhere_shown(qtbot, tab, folder) -> None:
    from secondopinion_desktop.ui.events import Changes, announce, notice

    pane = tab.requirements
    heard: list[Changes] = []

    def record(changes: Changes, _initiator: object) -> None:
        heard.append(changes)

    notice().changed.connect(record)
    try:
        qtbot.keyClicks(pane.new_edit, "Referral letter")
        click(qtbot, pane.add_button)
        wait_done(qtbot, pane)
    finally:
        notice().changed.disconnect(record)
    assert heard == [Changes.OPINIONS]
    opinions.add_requirements(folder, tab.current_appointment_id(), ["Insurance card"])
    announce(Changes.OPINIONS, None)
    assert [row[0] for row in shown(pane)] == ["Referral letter", "Insurance card"]


def test_alt_up_and_down_move_an_item(qtbot, tab, folder) -> None:
    pane = tab.requirements
    one, two, three = opinions.add_requirements(folder, tab.current_appointment_id(), ["One", "Two", "Three"])
    pane.reload(select=three.id)
    pane.list.setFocus()
    qtbot.keyClick(pane.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    wait_done(qtbot, pane)
    assert [r.text for r in opinions.list_requirements(folder, tab.current_appointment_id())] == ["One", "Three",
                                                                                                 "Two"]
    assert pane.current_id() == three.id
    qtbot.keyClick(pane.list, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    wait_done(qtbot, pane)
    assert [row[0] for row in shown(pane)] == ["One", "Two", "Three"]


def test_edit_changes_an_items_wording_and_note(qtbot, tab, folder) -> None:
    pane = tab.requirements
    one, two = opinions.add_requirements(folder, tab.current_appointment_id(), ["Pathology reprot", "Medication list"])
    record = create_record(folder, "pathology", "Biopsy", status="received")
    opinions.link_records(folder, one.id, [record.id])
    pane.reload(select=one.id)
    seen: list[str] = []

    def edit(dialog: QDialog) -> None:
        assert dialog.objectName() == "requirementDialog"
        qtbot.waitUntil(dialog.text_edit.hasFocus, timeout=5_000)
        assert dialog.text_edit.selectedText() == "Pathology reprot"
        qtbot.keyClicks(dialog.text_edit, "Pathology report of the biopsy (slides too)")
        qtbot.keyClick(dialog.text_edit, Qt.Key.Key_Tab)
        assert dialog.note_edit.hasFocus()
        qtbot.keyClicks(dialog.note_edit, "Ask pathology at St. Mary's; call 555-0100")
        seen.append(dialog.windowTitle())
        click(qtbot, dialog.findChild(QPushButton, "okButton"))

    errors = on_next_dialog(edit)
    click(qtbot, pane.edit_button)
    assert errors == [] and seen
    first, second = opinions.list_requirements(folder, tab.current_appointment_id())
    assert (first.text, first.note) == ("Pathology report of the biopsy (slides too)",
                                        "Ask pathology at St. Mary's; call 555-0100")
    assert first.record_ids == (record.id,) and first.met, "the links and the tick stay"
    assert second.text == "Medication list" and second.note == ""
    assert shown(pane)[0][0] == "Pathology report of the biopsy (slides too)"
    assert "call 555-0100" in pane.list.topLevelItem(0).toolTip(0)
    assert pane.current_id() == one.id
    assert pane.last_notice == "Changed “Pathology report of the biopsy (slides too)”."

    # F2 in the list opens it for the item selected; an empty wording is refused in the dialog, which stays open
    pane.select(two.id)
    tab.activateWindow()
    pane.list.setFocus()
    refusals: list[str] = []

    def empty_then_cancel(dialog: QDialog) -> None:
        assert dialog.text_edit.text() == "Medication list"
        dialog.text_edit.clear()
        click(qtbot, dialog.findChild(QPushButton, "okButton"))
        qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
        refusals.append(dialog.error_label.text())
        assert dialog.isVisible() and dialog.text_edit.hasFocus()
        click(qtbot, dialog.findChild(QPushButton, "cancelButton"))

    errors = on_next_dialog(empty_then_cancel)
    qtbot.keyClick(pane.list, Qt.Key.Key_F2)
    assert errors == [] and len(refusals) == 1 and refusals[0]
    assert opinions.list_requirements(folder, tab.current_appointment_id())[1].text == "Medication list"

    # a double click opens it too; Save with nothing changed stores nothing
    heard: list[object] = []
    from secondopinion_desktop.ui.events import notice

    notice().changed.connect(lambda changes, _who: heard.append(changes))

    def unchanged(dialog: QDialog) -> None:
        click(qtbot, dialog.findChild(QPushButton, "okButton"))

    errors = on_next_dialog(unchanged)
    row = pane.list.topLevelItem(1)
    where = pane.list.visualItemRect(row).center()
    qtbot.mouseDClick(pane.list.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert errors == [] and heard == []
    assert not pane.edit_button.isEnabled() or pane.current_id() == two.id
