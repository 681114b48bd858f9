"""The facilities of the directory and each one's records department: reached from the clinicians directory,
edited in the facility dialog by typing and clicking, stored through the directory service, announced as a
directory change, and fitting a 1280×720 screen (run also with SECONDOPINION_TEST_TEXT_SCALE=1.5)."""

from __future__ import annotations

import re

import pytest
from conftest import TEXT_SCALE
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QWidget,
)

from secondopinion_desktop.core import directory
from secondopinion_desktop.core.models import FacilityKind
from secondopinion_desktop.ui.directory.dialogs import CliniciansDialog
from secondopinion_desktop.ui.directory.facilities import (
    OWN_ADDRESS_HINT,
    SAME_ADDRESS_HINT,
    FacilitiesDialog,
    FacilityDialog,
)
from secondopinion_desktop.ui.directory.model import FACILITY_HEADERS, FacilitiesModel, FacilityColumn
from secondopinion_desktop.ui.events import Changes, notice

HOSPITAL = "Samplewood Community Hospital"
LAB = "Example Reference Laboratories"

#: every input of the facility dialog, in the order Tab visits them (the order of the form)
FORM_ORDER = ["facilityNameEdit", "facilityKindCombo", "facilityAddressEdit", "facilityPhoneEdit",
              "recordsContactEdit", "recordsPhoneEdit", "recordsFaxEdit", "recordsEmailEdit", "recordsPortalEdit",
              "recordsAddressEdit", "recordsFormEdit", "facilityNotesEdit"]


@pytest.fixture
def heard(qapp):
    said: list[tuple[Changes, object]] = []

    def record(changes: Changes, initiator: object) -> None:
        said.append((changes, initiator))

    notice().changed.connect(record)
    yield said
    notice().changed.disconnect(record)


def facility(folder, name: str) -> directory.FacilityData:
    return next(f for f in directory.list_facilities(folder) if f.name == name)


def shown(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    return dialog


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_text(qtbot, edit: QWidget, text: str) -> None:
    """Type ``text`` as a keyboard does: plain ASCII key by key, anything else (dashes, quotes, Hebrew, Arabic)
    as an input method commits it."""
    for run in re.findall(r"[ -~]+|[^ -~]+", text):
        if run.isascii():
            qtbot.keyClicks(edit, run)
        else:
            commit = QInputMethodEvent("", [])
            commit.setCommitString(run)
            QApplication.sendEvent(edit, commit)


def retype(qtbot, dialog: QDialog, name: str, text: str) -> None:
    """Click into the input, select what it holds and type ``text`` over it, as a user would."""
    edit = dialog.findChild(QWidget, name)
    assert isinstance(edit, (QLineEdit, QPlainTextEdit)), name
    qtbot.mouseClick(edit if isinstance(edit, QLineEdit) else edit.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(edit, Qt.Key.Key_Return)
        type_text(qtbot, edit, line)


def select_row(qtbot, table, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))
    click_at = rect.center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=click_at)


RECORDS_DEPARTMENT = {
    "recordsContactEdit": "Release of Information — Jordan Sample",
    "recordsPhoneEdit": "(201) 555-0199",
    "recordsFaxEdit": "(201) 555-0198",
    "recordsEmailEdit": "roi@samplewood-hospital.example.com",
    "recordsPortalEdit": "https://portal.samplewood-hospital.example.com",
    "recordsAddressEdit": "Health Information Management\nPO Box 12\nSamplewood, EX 00001",
    "recordsFormEdit": "Form HIM-12 “Authorization to release”, on the website under Medical records",
}


def test_the_records_department_is_edited_from_the_clinicians_directory(qtbot, demo_folder, heard) -> None:
    """Clinicians directory → Facilities… → select the hospital → Edit… → type the records department → Save."""
    clinicians = shown(qtbot, CliniciansDialog(demo_folder))
    seen: dict[str, object] = {}

    def in_facilities(dialog: QDialog) -> None:
        assert isinstance(dialog, FacilitiesDialog)
        names = [f.name for f in dialog.facilities]
        select_row(qtbot, dialog.table, names.index(HOSPITAL))

        def in_facility(inner: QDialog) -> None:
            assert isinstance(inner, FacilityDialog) and inner.windowTitle() == f"Edit {HOSPITAL}"
            for name, text in RECORDS_DEPARTMENT.items():
                retype(qtbot, inner, name, text)
            click(qtbot, inner.findChild(QWidget, "okButton"))

        seen["inner"] = on_next_dialog(in_facility)
        click(qtbot, dialog.findChild(QWidget, "editFacilityButton"))
        seen["selected"] = dialog.current().name
        seen["contact"] = dialog.model.index(dialog.table.currentIndex().row(),
                                             FacilityColumn.RECORDS_CONTACT).data()
        dialog.reject()

    errors = on_next_dialog(in_facilities)
    click(qtbot, clinicians.findChild(QWidget, "facilitiesButton"))
    assert errors == [] and seen["inner"] == []
    stored = facility(demo_folder, HOSPITAL)
    assert stored.records_contact == "Release of Information — Jordan Sample"
    assert (stored.records_phone, stored.records_fax) == ("(201) 555-0199", "(201) 555-0198")
    assert stored.records_email == "roi@samplewood-hospital.example.com"
    assert stored.records_portal == "https://portal.samplewood-hospital.example.com"
    assert stored.records_address == "Health Information Management\nPO Box 12\nSamplewood, EX 00001"
    assert stored.records_mailing_address == stored.records_address
    assert stored.records_form == RECORDS_DEPARTMENT["recordsFormEdit"]
    assert stored.address == "400 Hospital Drive\nSamplewood, EX 00001" and stored.kind is FacilityKind.HOSPITAL
    # the table shows the stored facility, still selected
    assert seen["selected"] == HOSPITAL and seen["contact"] == "Release of Information — Jordan Sample"
    assert [(c, type(who).__name__) for c, who in heard] == [(Changes.DIRECTORY, "FacilityDialog")]
    clinicians.reject()


def test_the_dialog_shows_what_is_stored(qtbot, demo_folder) -> None:
    lab = directory.update_facility(demo_folder, facility(demo_folder, LAB).id, records_portal="https://lab.example",
                                    records_address="Client Services\nPO Box 9", records_form="Form CS-1")
    dialog = shown(qtbot, FacilityDialog(demo_folder, lab))
    values = {name: (w.text() if isinstance(w, QLineEdit) else w.toPlainText() if isinstance(w, QPlainTextEdit)
                     else w.currentText())
              for name in FORM_ORDER for w in [dialog.findChild(QWidget, name)]}
    assert values == {
        "facilityNameEdit": LAB, "facilityKindCombo": "Laboratory",
        "facilityAddressEdit": "9 Research Park Way\nExampleton, EX 00002", "facilityPhoneEdit": "(201) 555-0120",
        "recordsContactEdit": "Client Services", "recordsPhoneEdit": "(201) 555-0121",
        "recordsFaxEdit": "(201) 555-0122", "recordsEmailEdit": "clientservices@example-labs.example.com",
        "recordsPortalEdit": "https://lab.example", "recordsAddressEdit": "Client Services\nPO Box 9",
        "recordsFormEdit": "Form CS-1", "facilityNotesEdit": lab.notes,
    }
    dialog.reject()


def test_a_new_facility_is_added_and_selected(qtbot, demo_folder, heard) -> None:
    facilities = shown(qtbot, FacilitiesDialog(demo_folder))
    before = len(facilities.facilities)

    def fill(dialog: QDialog) -> None:
        assert dialog.windowTitle() == "New facility"
        retype(qtbot, dialog, "facilityNameEdit", "Riverbend Pathology Associates")
        kind = dialog.findChild(QComboBox, "facilityKindCombo")
        kind.setFocus()
        qtbot.keyClicks(kind, "Laboratory")  # typing a label chooses it, as in any list
        retype(qtbot, dialog, "facilityAddressEdit", "77 River Road\nRiverbend, EX 00005")
        retype(qtbot, dialog, "recordsContactEdit", "Pathology slide desk")
        retype(qtbot, dialog, "recordsFaxEdit", "(201) 555-0177")
        click(qtbot, dialog.findChild(QWidget, "okButton"))

    errors = on_next_dialog(fill)
    click(qtbot, facilities.findChild(QWidget, "addFacilityButton"))
    assert errors == []
    made = facility(demo_folder, "Riverbend Pathology Associates")
    assert made.kind is FacilityKind.LAB and made.address == "77 River Road\nRiverbend, EX 00005"
    assert (made.records_contact, made.records_fax, made.records_address) == (
        "Pathology slide desk", "(201) 555-0177", "")
    assert made.records_mailing_address == made.address  # letters go to the facility's own address
    assert len(facilities.facilities) == before + 1 and facilities.current() == made
    assert [c for c, _who in heard] == [Changes.DIRECTORY]
    facilities.reject()


def test_a_duplicate_name_is_refused_with_the_cursor_in_the_name(qtbot, demo_folder, heard) -> None:
    lab = facility(demo_folder, LAB)
    dialog = shown(qtbot, FacilityDialog(demo_folder, lab))
    retype(qtbot, dialog, "recordsPortalEdit", "https://lab.example")
    retype(qtbot, dialog, "facilityNameEdit", "samplewood community HOSPITAL")  # another's name, other case
    dialog.findChild(QWidget, "recordsFaxEdit").setFocus()
    click(qtbot, dialog.findChild(QWidget, "okButton"))
    assert dialog.isVisible() and dialog.saved is None
    assert dialog.error_label.isVisible()
    assert dialog.error_label.text() == f"A facility named {HOSPITAL!r} already exists."
    name = dialog.findChild(QLineEdit, "facilityNameEdit")
    qtbot.waitUntil(name.hasFocus, timeout=2000)
    assert name.selectedText() == name.text()
    assert facility(demo_folder, LAB) == lab and heard == []  # nothing stored, nothing announced
    # the same for a new facility
    new = shown(qtbot, FacilityDialog(demo_folder))
    retype(qtbot, new, "facilityNameEdit", LAB)
    new.findChild(QWidget, "recordsContactEdit").setFocus()
    click(qtbot, new.findChild(QWidget, "okButton"))
    assert new.isVisible() and new.error_label.text() == f"A facility named {LAB!r} already exists."
    qtbot.waitUntil(new.findChild(QLineEdit, "facilityNameEdit").hasFocus, timeout=2000)
    assert len([f for f in directory.list_facilities(demo_folder) if f.name == LAB]) == 1
    new.reject()
    dialog.reject()


def test_an_empty_name_is_refused_and_a_too_long_fax_gets_the_cursor(qtbot, demo_folder) -> None:
    dialog = shown(qtbot, FacilityDialog(demo_folder))
    click(qtbot, dialog.findChild(QWidget, "okButton"))
    assert dialog.error_label.text() == "The facility name is required."
    qtbot.waitUntil(dialog.findChild(QLineEdit, "facilityNameEdit").hasFocus, timeout=2000)
    qtbot.keyClicks(dialog.findChild(QLineEdit, "facilityNameEdit"), "Northside Imaging")
    fax = dialog.findChild(QLineEdit, "recordsFaxEdit")
    fax.setText("5" * 600)  # as a paste would
    dialog.findChild(QWidget, "facilityNameEdit").setFocus()
    click(qtbot, dialog.findChild(QWidget, "okButton"))
    assert "records fax is 600 characters long" in dialog.error_label.text()
    qtbot.waitUntil(fax.hasFocus, timeout=2000)
    assert "Northside Imaging" not in [f.name for f in directory.list_facilities(demo_folder)]
    dialog.reject()


MARKUP = "<b>St. Mary's</b> & <i>Sons</i> <script>alert(1)</script>"
RTL = "מרכז רפואי שיבא — مستشفى"


def test_markup_and_right_to_left_text_are_stored_literally(qtbot, demo_folder) -> None:
    facilities = shown(qtbot, FacilitiesDialog(demo_folder))

    def fill(dialog: QDialog) -> None:
        retype(qtbot, dialog, "facilityNameEdit", MARKUP)
        retype(qtbot, dialog, "recordsContactEdit", RTL)
        retype(qtbot, dialog, "recordsAddressEdit", f"{RTL}\n<br/>&amp; 12")
        retype(qtbot, dialog, "recordsFormEdit", "<a href='x'>form</a>")
        click(qtbot, dialog.findChild(QWidget, "okButton"))

    errors = on_next_dialog(fill)
    click(qtbot, facilities.findChild(QWidget, "addFacilityButton"))
    assert errors == []
    made = facility(demo_folder, MARKUP)
    assert made.records_contact == RTL and made.records_address == f"{RTL}\n<br/>&amp; 12"
    assert made.records_form == "<a href='x'>form</a>"
    row = facilities.model.row_of(made.id)
    name_cell = facilities.model.index(row, FacilityColumn.NAME)
    assert name_cell.data() == MARKUP  # the table shows the text as typed
    tip = name_cell.data(Qt.ItemDataRole.ToolTipRole)  # a tooltip would render markup: it gets escaped
    assert "<b>" not in tip and "&lt;b&gt;St. Mary&#x27;s&lt;/b&gt;" in tip
    assert facilities.model.index(row, FacilityColumn.RECORDS_CONTACT).data(Qt.ItemDataRole.ToolTipRole) == RTL

    def edit_again(dialog: QDialog) -> None:
        assert dialog.windowTitle() == f"Edit {MARKUP}"
        assert dialog.findChild(QLineEdit, "facilityNameEdit").text() == MARKUP
        dialog.reject()

    errors = on_next_dialog(edit_again)
    facilities.activateWindow()  # back from the details dialog
    qtbot.waitUntil(facilities.isActiveWindow, timeout=2000)
    facilities.table.setFocus()
    qtbot.keyClick(facilities.table, Qt.Key.Key_Return)  # Enter on the selected row edits it
    assert errors == []
    facilities.reject()


def test_the_mailing_address_hint_says_where_letters_go(qtbot, demo_folder) -> None:
    dialog = shown(qtbot, FacilityDialog(demo_folder))
    records_address = dialog.findChild(QPlainTextEdit, "recordsAddressEdit")
    assert records_address.placeholderText() == OWN_ADDRESS_HINT
    retype(qtbot, dialog, "facilityAddressEdit", "1 Main Street")
    assert records_address.placeholderText() == SAME_ADDRESS_HINT
    dialog.reject()


def test_tab_follows_the_form_and_every_input_has_a_name(qtbot, demo_folder) -> None:
    dialog = shown(qtbot, FacilityDialog(demo_folder, facility(demo_folder, HOSPITAL)))
    name = dialog.findChild(QLineEdit, "facilityNameEdit")
    qtbot.waitUntil(name.hasFocus, timeout=2000)
    visited = [QApplication.focusWidget().objectName()]
    for _ in FORM_ORDER[1:]:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget().objectName())
    assert visited == FORM_ORDER
    for object_name in FORM_ORDER:
        widget = dialog.findChild(QWidget, object_name)
        assert widget.accessibleName(), object_name
        label = dialog.findChild(QWidget, f"{object_name}Label")
        assert label.buddy() is widget, object_name  # Alt + the label's letter goes to it
    assert dialog.findChild(QGroupBox, "recordsGroup").title() == "Records department"
    # each label's Alt+letter is its own
    letters = [dialog.findChild(QWidget, f"{n}Label").text().split("&")[1][0].lower() for n in FORM_ORDER]
    assert len(set(letters)) == len(letters), letters
    dialog.reject()


def test_the_facilities_model_columns(qapp) -> None:
    model = FacilitiesModel()
    data = directory.FacilityData(3, "Lab", FacilityKind.LAB, "", "", "Client Services", "555-1", "555-2", "", "")
    model.set_rows([data])
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in FacilityColumn] == list(FACILITY_HEADERS)
    assert [model.index(0, c).data() for c in FacilityColumn] == ["Lab", "Laboratory", "Client Services", "555-1",
                                                                  "555-2"]
    assert model.row_of(3) == 0 and model.index(0, FacilityColumn.NAME).data(Qt.ItemDataRole.ToolTipRole) == "Lab"


def assert_in_sight(dialog: QDialog) -> None:
    screen = dialog.screen().availableGeometry()
    assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
    inside = QRect(QPoint(0, 0), dialog.size())
    buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isVisibleTo(dialog)
               and (isinstance(b.parent(), QDialogButtonBox) or b.objectName().endswith("Button"))]
    assert buttons
    for button in buttons:
        assert inside.contains(QRect(button.mapTo(dialog, QPoint(0, 0)), button.size())), button.text()
        assert not button.visibleRegion().isEmpty(), button.text()


@pytest.mark.parametrize("which", ["facility-edit", "facility-new", "facilities", "clinicians"])
def test_the_dialogs_fit_the_screen(qtbot, demo_folder, screenshot, which) -> None:
    hospital = facility(demo_folder, HOSPITAL)
    factory = {
        "facility-edit": lambda: FacilityDialog(demo_folder, hospital),
        "facility-new": lambda: FacilityDialog(demo_folder),
        "facilities": lambda: FacilitiesDialog(demo_folder),
        "clinicians": lambda: CliniciansDialog(demo_folder),
    }[which]
    dialog = shown(qtbot, factory())
    qtbot.wait(20)  # layouts settle, as they would before the first paint
    assert_in_sight(dialog)
    screenshot(dialog, f"directory-{which}-{TEXT_SCALE:g}x")
    if isinstance(dialog, FacilityDialog):
        scroll = dialog.findChild(QScrollArea, "formScroll")
        assert scroll.horizontalScrollBar().maximum() == 0  # nothing is cut off at the side
        for name in FORM_ORDER:  # every input is wide enough to read what it holds
            widget = dialog.findChild(QWidget, name)
            assert widget.width() >= 20 * widget.fontMetrics().averageCharWidth(), name
        banner_text = "A facility named 'Samplewood Community Hospital and a very long name' already exists. " * 3
        from secondopinion_desktop.ui.widgets.forms import show_error

        show_error(dialog.error_label, banner_text)  # a long refusal pushes the form, not the buttons, away
        qtbot.waitUntil(dialog.error_label.isVisible, timeout=2000)
        assert_in_sight(dialog)
        # scrolled to the end, the last input is entirely in view (nothing is cut off at the bottom)
        notes = dialog.findChild(QWidget, "facilityNotesEdit")
        scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
        qtbot.wait(20)
        top_left = notes.mapTo(scroll.viewport(), QPoint(0, 0))
        assert QRect(QPoint(0, 0), scroll.viewport().size()).contains(QRect(top_left, notes.size()))
        screenshot(dialog, f"directory-{which}-scrolled-{TEXT_SCALE:g}x")
    dialog.reject()


def test_a_clinician_named_like_markup_shows_literally_in_the_tooltip(qapp) -> None:
    from secondopinion_desktop.core.models import ClinicianRole
    from secondopinion_desktop.ui.directory.model import CliniciansModel, Column

    model = CliniciansModel()
    model.set_rows([directory.ClinicianData(1, "<i>Dr.</i> Li", "", "", "", None, "Lab & <b>Co</b>", "", "", "",
                                            ClinicianRole.TREATING, "")])
    assert model.index(0, Column.NAME).data() == "<i>Dr.</i> Li"
    assert model.index(0, Column.NAME).data(Qt.ItemDataRole.ToolTipRole) == "<qt>&lt;i&gt;Dr.&lt;/i&gt; Li</qt>"
    assert model.index(0, Column.INSTITUTION).data(Qt.ItemDataRole.ToolTipRole) == (
        "<qt>Lab &amp; &lt;b&gt;Co&lt;/b&gt;</qt>")


def test_the_facilities_button_is_reached_with_tab_after_edit(qtbot, demo_folder) -> None:
    clinicians = shown(qtbot, CliniciansDialog(demo_folder))
    button = clinicians.findChild(QWidget, "facilitiesButton")
    assert button.accessibleName() == "Facilities and their records departments"
    qtbot.waitUntil(clinicians.isActiveWindow, timeout=2000)
    clinicians.edit_button.setFocus()
    qtbot.keyClick(clinicians.edit_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is button
    clinicians.reject()
