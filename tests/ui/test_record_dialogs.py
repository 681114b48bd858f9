"""The record dialog and the drop-import dialog, driven offscreen through their real widgets.

Typing goes through key events (``qtbot.keyClicks``), choices through the keyboard a user would press, pastes
through the clipboard or an input-method commit (how emoji and Arabic arrive), and OK through a mouse click or
Enter. The dialogs must never write (the caller does, through an undoable command): several tests compare the
database before and after OK.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from secondopinion_desktop.core.directory import list_clinicians, list_facilities
from secondopinion_desktop.core.models import ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.records import (
    EDITABLE_FIELDS,
    IMAGING_FIELDS,
    PATHOLOGY_FIELDS,
    create_record,
    get_record,
    list_record_rows,
    list_records,
    record_fields,
    update_record,
)
from secondopinion_desktop.core.words import size as human_size
from secondopinion_desktop.ui.records.dialogs import RecordDialog
from secondopinion_desktop.ui.records.drop import DropImportDialog

INPUT_NAMES = (
    "kindCombo", "titleEdit", "dateEdit", "facilityCombo", "clinicianCombo", "requestedEdit",
    "receivedEdit", "sentEdit", "summaryEdit", "notesEdit", "modalityCombo", "bodyRegionEdit",
    "imagesLocationCombo", "accessionEdit", "specimenSiteEdit", "slidesEdit", "blocksEdit", "holderEdit",
)


# --- helpers -----------------------------------------------------------------------------------------------




def open_dialog(qtbot, folder, record=None, **kwargs) -> RecordDialog:
    dialog = RecordDialog(folder, record, **kwargs)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.activateWindow()  # as the window manager does for a new dialog; shortcuts need an active window
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def child(dialog: QWidget, name: str) -> QWidget:
    widget = dialog.findChild(QWidget, name)
    assert widget is not None, name
    return widget


def close_popup(qtbot) -> None:
    """Dismiss a completer's suggestion list with Escape, as a user would before moving on."""
    popup = QApplication.activePopupWidget()
    if popup is not None:
        qtbot.keyClick(popup, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None)


def type_into(qtbot, widget: QWidget, text: str) -> None:
    """Click into a field and type; for an editable combo, into its line edit."""
    target = widget.lineEdit() if isinstance(widget, QComboBox) else widget
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(target, text)
    close_popup(qtbot)


def clear_and_type(qtbot, edit: QLineEdit, text: str) -> None:
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(edit, text)


def choose(qtbot, combo: QComboBox, label: str) -> None:
    """Pick an item of a (closed) combo box with the keyboard: Home, then Down until it is current."""
    assert combo.findText(label) >= 0, label
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == label:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == label


STATUS_KEYS = {
    RecordStatus.NEEDED: Qt.Key.Key_N,
    RecordStatus.REQUESTED: Qt.Key.Key_R,
    RecordStatus.RECEIVED: Qt.Key.Key_V,
    RecordStatus.SENT: Qt.Key.Key_S,
}


def choose_status(qtbot, dialog: RecordDialog, status: RecordStatus) -> None:
    """Pick a status with its Alt+letter, as the underlined letter on its button says."""
    qtbot.keyClick(dialog.focusWidget() or dialog, STATUS_KEYS[status], Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.status() is status)  # Qt animates the click for a moment


def click_ok(qtbot, dialog: RecordDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def snapshot(folder) -> tuple:
    """Everything the dialogs could write: records (all fields), facilities, clinicians."""
    with folder.session() as session:
        return (
            list_records(session),
            list_record_rows(session),
            list_facilities(session),
            list_clinicians(session),
        )


def rejected_with(qtbot, dialog: RecordDialog, fragment: str) -> str:
    label = dialog.findChild(QLabel, "errorLabel")
    qtbot.waitUntil(label.isVisible)
    assert fragment.lower() in label.text().lower()
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    return label.text()


# --- adding ------------------------------------------------------------------------------------------------


def test_add_pathology_record_typed_by_hand(qtbot, folder) -> None:
    before = snapshot(folder)
    dialog = open_dialog(qtbot, folder)
    assert dialog.windowTitle() == "New record"
    assert not dialog.findChild(QLabel, "errorLabel").isVisible()

    choose(qtbot, dialog.kind_combo, "Pathology")
    type_into(qtbot, child(dialog, "titleEdit"), "Core biopsy slides")
    type_into(qtbot, child(dialog, "dateEdit"), "2025-03-04")
    type_into(qtbot, child(dialog, "facilityCombo"), "Riverside Pathology Group")
    type_into(qtbot, child(dialog, "accessionEdit"), "S25-0099")
    type_into(qtbot, child(dialog, "slidesEdit"), "12x")  # the x is refused as it is typed
    type_into(qtbot, child(dialog, "summaryEdit"), "H&E and IHC slides")

    assert child(dialog, "pathologyGroup").isVisible()
    assert not child(dialog, "imagingGroup").isVisible()
    fields = dialog.fields()
    assert fields == {
        "kind": RecordKind.PATHOLOGY, "title": "Core biopsy slides", "date_of_service": dt.date(2025, 3, 4),
        "facility": "Riverside Pathology Group", "clinician_id": None, "status": RecordStatus.NEEDED,
        "requested_on": None, "received_on": None, "sent_on": None,
        "summary": "H&E and IHC slides", "notes": "",
        "accession_number": "S25-0099", "specimen_site": "", "slides_count": 12, "blocks_count": None,
        "material_holder": "",
    }
    assert set(fields) <= set(EDITABLE_FIELDS)

    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()
    assert snapshot(folder) == before  # checked in a dry run only: the caller writes

    # ...and what the caller does with the fields works and creates the facility inline
    with folder.session() as session:
        rest = dict(fields)
        made = create_record(session, rest.pop("kind"), rest.pop("title"), **rest)
    assert made.facility_name == "Riverside Pathology Group"
    assert made.slides_count == 12 and made.date_of_service == dt.date(2025, 3, 4)


def test_switching_kind_shows_its_group_live(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder, kind=RecordKind.LAB, title="Scan")
    imaging, pathology = child(dialog, "imagingGroup"), child(dialog, "pathologyGroup")
    assert dialog.kind() is RecordKind.LAB and dialog.title_edit.text() == "Scan"
    assert not imaging.isVisible() and not pathology.isVisible()

    choose(qtbot, dialog.kind_combo, "Imaging")
    assert imaging.isVisible() and not pathology.isVisible()
    type_into(qtbot, child(dialog, "modalityCombo"), "mg (mammogram)")
    type_into(qtbot, child(dialog, "bodyRegionEdit"), "Both breasts")
    choose(qtbot, dialog.images_location_combo, ImagesLocation.CD.label)
    fields = dialog.fields()
    assert {k: fields[k] for k in IMAGING_FIELDS} == {
        "imaging_modality": "MG", "imaging_body_region": "Both breasts", "images_location": ImagesLocation.CD,
    }
    assert not set(PATHOLOGY_FIELDS) & set(fields)

    choose(qtbot, dialog.kind_combo, "Pathology")
    assert pathology.isVisible() and not imaging.isVisible()
    assert set(PATHOLOGY_FIELDS) <= set(dialog.fields()) and not set(IMAGING_FIELDS) & set(dialog.fields())

    choose(qtbot, dialog.kind_combo, "Lab / test result")
    assert not imaging.isVisible() and not pathology.isVisible()
    assert not (set(IMAGING_FIELDS) | set(PATHOLOGY_FIELDS)) & set(dialog.fields())


def test_modality_typed_freely_is_kept(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder, kind=RecordKind.IMAGING, title="DEXA")
    type_into(qtbot, child(dialog, "modalityCombo"), "DEXA")
    assert dialog.fields()["imaging_modality"] == "DEXA"
    assert dialog.fields()["images_location"] is None  # the empty choice
    assert dialog.modality_combo.count() == 8  # typing does not add items


def test_blank_title_is_refused_and_nothing_is_written(qtbot, demo_folder) -> None:
    before = snapshot(demo_folder)
    dialog = open_dialog(qtbot, demo_folder)
    type_into(qtbot, child(dialog, "facilityCombo"), "A brand-new clinic")
    type_into(qtbot, child(dialog, "titleEdit"), "   ")
    type_into(qtbot, child(dialog, "notesEdit"), "something")
    click_ok(qtbot, dialog)
    rejected_with(qtbot, dialog, "title is required")
    assert dialog.focusWidget() is child(dialog, "titleEdit")
    assert snapshot(demo_folder) == before

    # fixing it and pressing Enter in the title accepts
    qtbot.keyClicks(dialog.title_edit, "Visit note")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert snapshot(demo_folder) == before


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1850-01-01", "The date of service 1850-01-01 is before 1900"),
        ("2026-02-30", "The date of service '2026-02-30' does not exist on the calendar"),
        ("03/04/2024", "write it as YYYY-MM-DD"),
        ((dt.date.today() + dt.timedelta(days=800)).isoformat(), "too far in the future"),
    ],
)
def test_bad_date_of_service_gets_a_clear_message(qtbot, folder, typed, expected) -> None:
    dialog = open_dialog(qtbot, folder, title="CT report")
    type_into(qtbot, child(dialog, "dateEdit"), typed)
    # a date when it is one, else the text as typed for the core to refuse
    assert str(dialog.fields()["date_of_service"]) == typed
    click_ok(qtbot, dialog)
    rejected_with(qtbot, dialog, expected)
    assert dialog.focusWidget() is child(dialog, "dateEdit")
    assert snapshot(folder) == ([], [], [], [])


def test_status_dates_follow_the_status_and_are_checked(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder, title="Operative report")
    dates = [child(dialog, n) for n in ("requestedEdit", "receivedEdit", "sentEdit")]
    assert [d.isVisible() for d in dates] == [True, True, True]  # always there: nothing moves
    assert [d.isEnabled() for d in dates] == [False, False, False]
    choose_status(qtbot, dialog, RecordStatus.REQUESTED)
    assert [d.isEnabled() for d in dates] == [True, False, False]
    assert "empty means today" in dates[0].placeholderText()
    qtbot.mouseClick(dialog.status_buttons[RecordStatus.SENT], Qt.MouseButton.LeftButton)
    assert dialog.status() is RecordStatus.SENT
    assert [d.isEnabled() for d in dates] == [True, True, True]
    assert "empty means today" in dates[2].placeholderText() and "today" not in dates[0].placeholderText()

    type_into(qtbot, dates[0], "2024-02-01")
    type_into(qtbot, dates[1], "2024-01-05")
    click_ok(qtbot, dialog)
    rejected_with(qtbot, dialog, "The received date 2024-01-05 is before the requested date 2024-02-01")
    assert dialog.focusWidget() is dates[1]

    # moving the status back greys the later dates, and they are not sent
    choose_status(qtbot, dialog, RecordStatus.REQUESTED)
    assert [d.isEnabled() for d in dates] == [True, False, False]
    fields = dialog.fields()
    steps = (fields["requested_on"], fields["received_on"], fields["sent_on"])
    assert steps == (dt.date(2024, 2, 1), None, None)
    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_typing_letters_never_changes_the_status(qtbot, folder) -> None:
    """The tester's trap: "r" typed into a status combo chose Requested and the next Tab went to a new date."""
    dialog = open_dialog(qtbot, folder, title="Operative report")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.status_buttons[RecordStatus.NEEDED]
    qtbot.keyClicks(dialog.focusWidget(), "r")
    assert dialog.status() is RecordStatus.NEEDED
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is child(dialog, "summaryEdit")  # the greyed dates are skipped
    qtbot.keyClicks(dialog.focusWidget(), "Removed gallbladder")
    assert dialog.fields()["summary"] == "Removed gallbladder"
    assert dialog.fields()["requested_on"] is None


def test_the_problem_banner_goes_when_the_field_is_fixed(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder, title="CT report")
    date = child(dialog, "dateEdit")
    type_into(qtbot, date, "2024-13-01")
    click_ok(qtbot, dialog)
    rejected_with(qtbot, dialog, "date of service")
    type_into(qtbot, dialog.title_edit, " again")  # another field: the problem is still there
    assert dialog.error_label.isVisible()
    qtbot.mouseClick(date, Qt.MouseButton.LeftButton)
    qtbot.keyClick(date, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(date, "2024-12-01")
    assert not dialog.error_label.isVisible()
    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_calendar_fills_the_date(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder, title="Bloodwork")
    edit = child(dialog, "dateEdit")
    type_into(qtbot, edit, "2024-05-17")
    qtbot.keyClick(edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.date_field.calendar is not None and dialog.date_field.calendar.isVisible())
    calendar = dialog.date_field.calendar
    assert calendar.isWindow()
    assert calendar.selectedDate().toString("yyyy-MM-dd") == "2024-05-17"
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Right)
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not calendar.isVisible())
    assert edit.text() == "2024-05-18"
    assert dialog.isVisible()  # Enter in the calendar picks the day, it does not close the dialog

    qtbot.mouseClick(child(dialog, "dateEditCalendar"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(calendar.isVisible)
    assert calendar.selectedDate().toString("yyyy-MM-dd") == "2024-05-18"
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Left)
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Escape)  # Escape leaves the date alone
    qtbot.waitUntil(lambda: not calendar.isVisible())
    assert edit.text() == "2024-05-18" and dialog.isVisible()


# --- directory names ---------------------------------------------------------------------------------------


def test_existing_names_typed_in_another_case_are_matched(qtbot, demo_folder) -> None:
    with demo_folder.session() as session:
        facility = next(f for f in list_facilities(session) if f.name == "Samplewood Community Hospital")
        drew = next(c for c in list_clinicians(session) if c.name == "Drew Demo")
    dialog = open_dialog(qtbot, demo_folder, title="Report")
    type_into(qtbot, child(dialog, "facilityCombo"), "SAMPLEWOOD community  hospital ")
    type_into(qtbot, child(dialog, "clinicianCombo"), "drew demo")
    fields = dialog.fields()
    assert fields["facility_id"] == facility.id and "facility" not in fields
    assert fields["clinician_id"] == drew.id and "clinician" not in fields

    clear_and_type(qtbot, dialog.clinician_combo.lineEdit(), "Drew Demo, MD")  # as the list shows it
    close_popup(qtbot)
    assert dialog.fields()["clinician_id"] == drew.id
    clear_and_type(qtbot, dialog.clinician_combo.lineEdit(), "Dr. Newcomer")
    close_popup(qtbot)
    assert dialog.fields()["clinician"] == "Dr. Newcomer" and "clinician_id" not in dialog.fields()
    clear_and_type(qtbot, dialog.facility_combo.lineEdit(), "")
    assert dialog.fields()["facility_id"] is None


def test_lists_show_existing_facilities_and_clinicians(qtbot, demo_folder) -> None:
    with demo_folder.session() as session:
        facilities = [f.name for f in list_facilities(session)]
        clinicians = [c.display_name for c in list_clinicians(session)]
    dialog = open_dialog(qtbot, demo_folder)
    facility_combo, clinician_combo = dialog.facility_combo, dialog.clinician_combo
    assert [facility_combo.itemText(i) for i in range(facility_combo.count())] == facilities
    assert [clinician_combo.itemText(i) for i in range(clinician_combo.count())] == clinicians
    assert "Morgan Example, MD, FACS" in clinicians
    assert facility_combo.currentText() == "" and clinician_combo.currentText() == ""

    # picking from the suggestions with the keyboard; Enter there does not press OK
    edit = facility_combo.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(edit, "breast imag")
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
    popup = QApplication.activePopupWidget()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert edit.text() == "Samplewood Breast Imaging Center"
    assert dialog.isVisible() and facility_combo.count() == len(facilities)


# --- editing -----------------------------------------------------------------------------------------------


def _expected_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def test_edit_prefills_every_field_and_round_trips_unchanged(qtbot, demo_folder) -> None:
    with demo_folder.session() as session:
        records = list_records(session)
        clinicians = {c.id: c.display_name for c in list_clinicians(session)}
    assert {r.kind for r in records} >= {RecordKind.IMAGING, RecordKind.PATHOLOGY}
    for record in records:
        dialog = open_dialog(qtbot, demo_folder, record)
        assert dialog.windowTitle() == "Edit record"
        assert dialog.focusWidget() is dialog.title_edit and not dialog.title_edit.hasSelectedText()
        assert dialog.kind() is record.kind and dialog.status() is record.status
        assert child(dialog, "titleEdit").text() == record.title
        assert child(dialog, "dateEdit").text() == _expected_text(record.date_of_service)
        assert dialog.facility_combo.currentText() == record.facility_name
        assert dialog.clinician_combo.currentText() == clinicians.get(record.clinician_id, "")
        for name, value in (("requestedEdit", record.requested_on), ("receivedEdit", record.received_on),
                            ("sentEdit", record.sent_on)):
            assert child(dialog, name).text() == _expected_text(value), (record.title, name)
        assert child(dialog, "summaryEdit").toPlainText() == record.summary
        assert child(dialog, "notesEdit").toPlainText() == record.notes
        assert child(dialog, "imagingGroup").isVisible() == (record.kind is RecordKind.IMAGING)
        assert child(dialog, "pathologyGroup").isVisible() == (record.kind is RecordKind.PATHOLOGY)
        if record.kind is RecordKind.IMAGING:
            assert dialog.modality_combo.currentData() == record.imaging_modality
            assert child(dialog, "bodyRegionEdit").text() == record.imaging_body_region
            assert dialog.images_location_combo.currentData() == record.images_location.value
        if record.kind is RecordKind.PATHOLOGY:
            assert child(dialog, "accessionEdit").text() == record.accession_number
            assert child(dialog, "specimenSiteEdit").text() == record.specimen_site
            assert child(dialog, "slidesEdit").text() == _expected_text(record.slides_count)
            assert child(dialog, "blocksEdit").text() == _expected_text(record.blocks_count)
            assert child(dialog, "holderEdit").text() == record.material_holder

        fields = dialog.fields()
        assert set(fields) <= set(EDITABLE_FIELDS)
        assert fields == record_fields(record)  # what the window compares to see whether anything changed

        click_ok(qtbot, dialog)
        assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error_label.text()
        with demo_folder.session() as session:
            # nothing changes, not even updated_at
            assert update_record(session, record.id, **fields) == record
        dialog.close()


def test_edit_changes_a_pathology_record(qtbot, demo_folder) -> None:
    with demo_folder.session() as session:
        slides = next(r for r in list_records(session) if r.title.startswith("Biopsy slides"))
    before = snapshot(demo_folder)
    dialog = open_dialog(qtbot, demo_folder, slides)
    clear_and_type(qtbot, child(dialog, "slidesEdit"), "")
    clear_and_type(qtbot, child(dialog, "blocksEdit"), "2")
    choose_status(qtbot, dialog, RecordStatus.RECEIVED)
    assert child(dialog, "receivedEdit").isEnabled()
    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert snapshot(demo_folder) == before
    with demo_folder.session() as session:
        changed = update_record(session, slides.id, **dialog.fields())
    assert (changed.slides_count, changed.blocks_count) == (None, 2)
    assert changed.status is RecordStatus.RECEIVED and changed.received_on == dt.date.today()


# --- text --------------------------------------------------------------------------------------------------


def test_fifty_thousand_characters_of_notes_survive(qtbot, folder) -> None:
    line = "Follow-up call with Health Information Management — ask again about the CD. Ünïcødé ok.\n"
    notes = (line * (60_000 // len(line) + 1))[:60_000]
    assert len(notes) >= 50_000
    dialog = open_dialog(qtbot, folder, title="Long notes")
    dialog.notes_edit.setPlainText(notes)  # a paste
    assert dialog.fields()["notes"] == notes
    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    with folder.session() as session:
        rest = dict(dialog.fields())
        made = create_record(session, rest.pop("kind"), rest.pop("title"), **rest)
    with folder.session() as session:
        assert get_record(session, made.id).notes == notes


def test_emoji_and_right_to_left_title_survive(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder)
    edit = child(dialog, "titleEdit")
    type_into(qtbot, edit, "Scan ")
    QApplication.clipboard().setText("🩺 تقرير")
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # paste
    commit = QInputMethodEvent("", [])
    commit.setCommitString(" الأشعة 👍🏽")  # how an input method types Arabic and emoji
    QApplication.sendEvent(edit, commit)
    title = "Scan 🩺 تقرير الأشعة 👍🏽"
    assert dialog.fields()["title"] == title
    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    with folder.session() as session:
        rest = dict(dialog.fields())
        assert create_record(session, rest.pop("kind"), rest.pop("title"), **rest).title == title


def test_untouched_notes_come_back_exactly(qtbot, folder) -> None:
    """QPlainTextEdit shows a no-break space as a space; an edit that does not touch the notes keeps them."""
    notes = "Dr.\u00a0Example's office:\tcall back\nline two\u2028same paragraph"
    with folder.session() as session:
        record = create_record(session, RecordKind.CLINICAL, "Visit", summary="12\u00a0mm", notes=notes)
    dialog = open_dialog(qtbot, folder, record)
    assert dialog.fields()["notes"] == notes and dialog.fields()["summary"] == "12\u00a0mm"
    type_into(qtbot, child(dialog, "notesEdit"), "!")
    assert "!" in dialog.fields()["notes"]  # edited: what the editor holds


# --- keyboard and accessibility ----------------------------------------------------------------------------


def test_every_input_is_named_labelled_and_reachable(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder)
    labels = {label.buddy(): label for label in dialog.findChildren(QLabel) if label.buddy() is not None}
    mnemonics = []
    for name in INPUT_NAMES:
        widget = child(dialog, name)
        assert widget.accessibleName(), name
        assert widget in labels, f"{name} has no buddy label"
        text = labels[widget].text()
        assert "&" in text, f"{name}'s label has no mnemonic"
        mnemonics.append(text[text.index("&") + 1].lower())
    for button in dialog.status_buttons.values():  # each status button carries its own mnemonic
        assert button.accessibleName() and "&" in button.text(), button.objectName()
        mnemonics.append(button.text()[button.text().index("&") + 1].lower())
    assert len(mnemonics) == len(set(mnemonics)), "two labels share a mnemonic"
    available = dialog.screen().availableGeometry()
    assert dialog.minimumWidth() >= min(560, available.width() * 9 // 10)
    assert dialog.minimumHeight() >= min(600, available.height() * 9 // 10)

    # Alt+mnemonic jumps to the field
    qtbot.keyClick(dialog, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    assert dialog.focusWidget() is child(dialog, "notesEdit")

    # Tab walks the visible inputs top to bottom, then the buttons
    choose(qtbot, dialog.kind_combo, "Imaging")
    choose_status(qtbot, dialog, RecordStatus.RECEIVED)
    order = []
    dialog.kind_combo.setFocus()
    for _ in range(16):
        order.append(dialog.focusWidget().objectName())
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert order == [
        "kindCombo", "titleEdit", "dateEdit", "facilityCombo", "clinicianCombo", "statusReceived",
        "requestedEdit", "receivedEdit", "modalityCombo", "bodyRegionEdit", "imagesLocationCombo",
        "summaryEdit", "notesEdit", "okButton", "cancelButton", "kindCombo",
    ]


def test_enter_in_notes_is_a_new_line_and_escape_cancels(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder, title="Letter")
    notes = child(dialog, "notesEdit")
    type_into(qtbot, notes, "first")
    qtbot.keyClick(notes, Qt.Key.Key_Return)
    qtbot.keyClicks(notes, "second")
    assert notes.toPlainText() == "first\nsecond"
    assert dialog.isVisible()
    qtbot.keyClick(notes, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()

    again = open_dialog(qtbot, folder, title="Letter")
    type_into(qtbot, child(again, "notesEdit"), "done")
    qtbot.keyClick(child(again, "notesEdit"), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert again.result() == QDialog.DialogCode.Accepted
    assert snapshot(folder) == ([], [], [], [])


def test_record_dialog_screenshot(qtbot, demo_folder, screenshot) -> None:
    with demo_folder.session() as session:
        ct = next(r for r in list_records(session) if r.title.startswith("CT chest"))
    dialog = open_dialog(qtbot, demo_folder, ct)
    screenshot(dialog, "record-dialog-edit-imaging")
    qtbot.mouseClick(dialog.title_edit, Qt.MouseButton.LeftButton)
    dialog.title_edit.clear()
    click_ok(qtbot, dialog)
    rejected_with(qtbot, dialog, "title is required")
    screenshot(dialog, "record-dialog-error")
    new = open_dialog(qtbot, demo_folder, kind=RecordKind.PATHOLOGY, title="Biopsy slides")
    assert new.title_edit.selectedText() == "Biopsy slides"  # a suggested title is replaced by typing
    screenshot(new, "record-dialog-new-pathology")
    choose_status(qtbot, new, RecordStatus.SENT)
    new.resize(new.minimumSize())
    qtbot.waitUntil(new.scroll.verticalScrollBar().isVisible)  # the form scrolls rather than squeezes
    screenshot(new, "record-dialog-smallest")


# --- dropped files -----------------------------------------------------------------------------------------


@pytest.fixture
def dropped(tmp_path: Path) -> list[Path]:
    files = []
    sizes = {
        "CBC_results.pdf": 2_000, "ct_chest.pdf": 150_000, "biopsy_report.pdf": 3_500_000,
        "scan0001.jpg": 900,
    }
    for name, size in sizes.items():
        path = tmp_path / name
        head = b"\xff\xd8\xff" if name.endswith(".jpg") else b"%PDF-1.4\n"
        path.write_bytes(head + b"x" * (size - len(head)))
        files.append(path)
    return files


def open_drop(qtbot, files) -> DropImportDialog:
    dialog = DropImportDialog(files)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.activateWindow()  # as the window manager does for a new dialog; shortcuts need an active window
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def test_drop_dialog_guesses_kinds_and_titles(qtbot, dropped, screenshot) -> None:
    dialog = open_drop(qtbot, dropped)
    assert "One record per file; check the kind Second Opinion guessed." in dialog.header.text()
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(4)] == ["Add", "Title", "Kind", "Size"]
    assert dialog.choices() == [
        (dropped[0], RecordKind.LAB, "CBC results"),
        (dropped[1], RecordKind.IMAGING, "ct chest"),
        (dropped[2], RecordKind.PATHOLOGY, "biopsy report"),
        (dropped[3], RecordKind.OTHER, "scan0001"),
    ]
    sizes = [dialog.table.item(r, 3).text() for r in range(4)]
    assert sizes == [human_size(p.stat().st_size) for p in dropped]
    assert dialog.table.item(3, 3).text() == "900 bytes"
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "Add 4 records"
    screenshot(dialog, "drop-import-dialog")


def test_drop_dialog_rows_can_be_changed_unchecked_and_renamed(qtbot, dropped) -> None:
    dialog = open_drop(qtbot, dropped)
    table = dialog.table

    # the kind of the last file, chosen with the keyboard
    choose(qtbot, dialog.kind_combos[3], RecordKind.CLINICAL.label)
    # Space ticks the box of the current row off
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)  # first row, first column
    qtbot.keyClick(table, Qt.Key.Key_Down)  # second row
    assert (table.currentRow(), table.currentColumn()) == (1, DropImportDialog.ADD)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert [p for p, _, _ in dialog.choices()] == [dropped[0], dropped[2], dropped[3]]
    assert dialog.choices()[-1][1] is RecordKind.CLINICAL
    assert dialog.ok_button.text() == "Add 3 records"

    # a title emptied falls back to the file name; a typed one is kept
    table.setCurrentCell(0, DropImportDialog.TITLE)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.item(0, DropImportDialog.TITLE).text() == "")  # Qt commits a moment later
    table.setCurrentCell(2, DropImportDialog.TITLE)
    qtbot.keyClick(table, "B")  # typing on a title cell starts editing it...
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "B"
    qtbot.keyClicks(editor, "iopsy of left breast")  # ...and the rest goes to the editor that has the focus
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.item(2, DropImportDialog.TITLE).text() == "Biopsy of left breast")
    assert [t for _, _, t in dialog.choices()] == ["CBC_results.pdf", "Biopsy of left breast", "scan0001"]

    # every box off: OK is disabled
    for row in (0, 2, 3):
        table.setCurrentCell(row, DropImportDialog.ADD)
        qtbot.keyClick(table, Qt.Key.Key_Space)
    assert dialog.choices() == []
    assert not dialog.ok_button.isEnabled()
    table.setCurrentCell(3, DropImportDialog.ADD)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "Add 1 record"
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_drop_dialog_handles_a_missing_file(qtbot, tmp_path) -> None:
    dialog = open_drop(qtbot, [tmp_path / "gone_mri.pdf"])
    assert dialog.table.item(0, 3).text() == "not found"
    assert dialog.choices() == [(tmp_path / "gone_mri.pdf", RecordKind.IMAGING, "gone mri")]


def test_text_widgets_are_the_expected_types(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder)
    assert isinstance(child(dialog, "summaryEdit"), QPlainTextEdit)
    assert isinstance(child(dialog, "notesEdit"), QPlainTextEdit)
    for name in ("kindCombo", "facilityCombo", "clinicianCombo", "modalityCombo",
                 "imagesLocationCombo"):
        assert isinstance(child(dialog, name), QComboBox), name
    assert dialog.facility_combo.isEditable() and dialog.clinician_combo.isEditable()
    assert dialog.modality_combo.isEditable() and not dialog.kind_combo.isEditable()
    kinds = dialog.kind_combo
    assert [kinds.itemText(i) for i in range(kinds.count())] == [k.label for k in RecordKind]
    assert [b.toolTip() for b in dialog.status_buttons.values()] == [s.label for s in RecordStatus]
    assert [type(b) for b in dialog.status_buttons.values()] == [QRadioButton] * len(RecordStatus)


def test_the_clinician_field_says_who_writes_records_of_the_kind(qtbot, folder) -> None:
    dialog = open_dialog(qtbot, folder, title="Biopsy report")
    label = child(dialog, "clinicianComboLabel")
    assert label.text() == "&Clinician:"
    choose(qtbot, dialog.kind_combo, "Pathology")
    assert "pathologist" in label.text() and label.buddy() is dialog.clinician_combo
    type_into(qtbot, dialog.clinician_combo, "Dr. New Slide")
    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    with folder.session() as session:  # as the tab does with the dialog's fields
        rest = dict(dialog.fields())
        create_record(session, rest.pop("kind"), rest.pop("title"), **rest)
        [person] = list_clinicians(session)
    assert (person.name, person.specialty, person.role.value) == ("Dr. New Slide", "Pathology", "other")
