"""The facilities of the directory: the table of every hospital, lab, clinic and imaging center
(``FacilitiesDialog``, opened from the clinicians directory) and one facility's details with its records
department — who to ask for copies, how to reach them, where a written request goes and the facility's own
release form (``FacilityDialog``, which anything showing a facility can open: ``edit_facility``).

The details dialog stores what it shows itself (``directory.create_facility`` / ``update_facility`` with the
data folder), puts the cursor on the input a refusal names and announces ``Changes.DIRECTORY`` with itself as
initiator, so the Records and Requests views read the facility again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from secondopinion_desktop.core import directory
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import FacilityKind
from secondopinion_desktop.ui.directory.model import FacilitiesModel
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label, set_placeholder
from secondopinion_desktop.ui.widgets.table_dialog import TableDialog

#: what the records-department address box says while it is empty and the facility has an address
SAME_ADDRESS_HINT = "Empty: written requests go to the facility's address above"
OWN_ADDRESS_HINT = "Only when requests go somewhere other than the facility's address"


class FacilityDialog(QDialog):
    """A facility's details and its records department; OK stores them (``saved`` is what was stored)."""

    def __init__(
        self, folder: DataFolder, facility: directory.FacilityData | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.facility = facility
        #: the facility as stored by OK, None until then
        self.saved: directory.FacilityData | None = None
        self.setObjectName("facilityDialog")
        self.setWindowTitle("New facility" if facility is None else f"Edit {facility.name}")
        self.error_label = error_label()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Required, for example “Samplewood Community Hospital”")
        add_row(form, "&Name:", self.name_edit, "facilityNameEdit", "Facility name")
        self.kind_combo = QComboBox()
        for kind in FacilityKind:
            self.kind_combo.addItem(kind.label, kind.value)
        add_row(form, "&Kind:", self.kind_combo, "facilityKindCombo", "Kind of facility")
        self.address_edit = text_box(3, "Street, city, state and ZIP code")
        add_row(form, "A&ddress:", self.address_edit, "facilityAddressEdit", "Facility address")
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText("The main number")
        add_row(form, "&Phone:", self.phone_edit, "facilityPhoneEdit", "Facility phone")

        records = QGroupBox("Records department")
        records.setObjectName("recordsGroup")
        records.setAccessibleName("Records department")
        records_form = QFormLayout(records)
        records_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        intro = QLabel("Where a request for copies of your records goes: often called Health Information "
                       "Management or Release of Information.")
        intro.setWordWrap(True)
        records_form.addRow(intro)
        self.records_contact_edit = QLineEdit()
        self.records_contact_edit.setPlaceholderText("A department or a person, for example “Release of Information”")
        add_row(records_form, "&Contact:", self.records_contact_edit, "recordsContactEdit", "Records contact name")
        self.records_phone_edit = QLineEdit()
        add_row(records_form, "P&hone:", self.records_phone_edit, "recordsPhoneEdit", "Records department phone")
        self.records_fax_edit = QLineEdit()
        add_row(records_form, "&Fax:", self.records_fax_edit, "recordsFaxEdit", "Records department fax")
        self.records_email_edit = QLineEdit()
        add_row(records_form, "E-&mail:", self.records_email_edit, "recordsEmailEdit", "Records department e-mail")
        self.records_portal_edit = QLineEdit()
        self.records_portal_edit.setPlaceholderText("The patient portal's web address, for example https://mychart.example.org")
        add_row(records_form, "P&ortal:", self.records_portal_edit, "recordsPortalEdit", "Patient portal address")
        self.records_address_edit = text_box(3, OWN_ADDRESS_HINT)
        add_row(records_form, "Mailin&g address:", self.records_address_edit, "recordsAddressEdit",
                "Records department mailing address")
        self.records_form_edit = text_box(3, "If it asks for its own form: the form's name and where to get it, "
                                             "for example “Form HIM-12, on the website under Medical records”")
        add_row(records_form, "Own &release form:", self.records_form_edit, "recordsFormEdit",
                "The facility's own release form")
        form.addRow(records)

        self.notes_edit = text_box(3, "For example opening hours, or who you spoke to")
        add_row(form, "No&tes:", self.notes_edit, "facilityNotesEdit", "Notes")

        self.buttons = ok_cancel(self, "Add facility" if facility is None else "Save")
        # wide enough for an address line or a portal's web address at any text size
        width = max(640, 90 * self.fontMetrics().averageCharWidth())
        lay_out_form(self, self.error_label, form, self.buttons, width=width, min_width=480)
        #: the input for each of the service's parameters, to put the cursor where a refusal points
        self.inputs: dict[str, QWidget] = {
            "name": self.name_edit, "kind": self.kind_combo, "address": self.address_edit,
            "phone": self.phone_edit, "records_contact": self.records_contact_edit,
            "records_phone": self.records_phone_edit, "records_fax": self.records_fax_edit,
            "records_email": self.records_email_edit, "records_portal": self.records_portal_edit,
            "records_address": self.records_address_edit, "records_form": self.records_form_edit,
            "notes": self.notes_edit,
        }
        self.address_edit.textChanged.connect(self._hint_address)
        if facility is not None:
            self._load(facility)
        self._hint_address()
        self.name_edit.setFocus()

    def _load(self, f: directory.FacilityData) -> None:
        self.name_edit.setText(f.name)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(f.kind.value)))
        self.address_edit.setPlainText(f.address)
        self.phone_edit.setText(f.phone)
        self.records_contact_edit.setText(f.records_contact)
        self.records_phone_edit.setText(f.records_phone)
        self.records_fax_edit.setText(f.records_fax)
        self.records_email_edit.setText(f.records_email)
        self.records_portal_edit.setText(f.records_portal)
        self.records_address_edit.setPlainText(f.records_address)
        self.records_form_edit.setPlainText(f.records_form)
        self.notes_edit.setPlainText(f.notes)

    def _hint_address(self) -> None:
        has_address = bool(self.address_edit.toPlainText().strip())
        set_placeholder(self.records_address_edit, SAME_ADDRESS_HINT if has_address else OWN_ADDRESS_HINT)

    def fields(self) -> dict[str, Any]:
        """The inputs as ``create_facility`` / ``update_facility`` take them."""
        return {
            "name": self.name_edit.text(),
            "kind": FacilityKind(self.kind_combo.currentData()),
            "address": self.address_edit.toPlainText(),
            "phone": self.phone_edit.text(),
            "records_contact": self.records_contact_edit.text(),
            "records_phone": self.records_phone_edit.text(),
            "records_fax": self.records_fax_edit.text(),
            "records_email": self.records_email_edit.text(),
            "records_portal": self.records_portal_edit.text(),
            "records_address": self.records_address_edit.toPlainText(),
            "records_form": self.records_form_edit.toPlainText(),
            "notes": self.notes_edit.toPlainText(),
        }

    def accept(self) -> None:
        values = self.fields()
        try:
            if self.facility is None:
                self.saved = directory.create_facility(self.folder, **values)
            else:
                self.saved = directory.update_facility(self.folder, self.facility.id, **values)
        except SecondOpinionError as exc:
            refuse(self.error_label, self.inputs, exc)
            return
        announce(Changes.DIRECTORY, self)
        super().accept()


def edit_facility(
    folder: DataFolder, facility: directory.FacilityData | None, parent: QWidget | None = None
) -> directory.FacilityData | None:
    """Open a facility's details (a new facility for None); the facility as stored, or None when cancelled."""
    dialog = FacilityDialog(folder, facility, parent)
    try:
        dialog.exec()
        return dialog.saved
    finally:
        dialog.deleteLater()


class FacilitiesDialog(TableDialog):
    """The facilities of the directory, each with its records department, to add and edit.

    There is no delete: records, clinicians and requests refer to facilities, and the core offers no safe
    removal.
    """

    WIDTHS = (240, 120, 230, 125)
    TITLE = "Facilities and records departments"
    CHANGES = Changes.DIRECTORY

    def __init__(self, folder: DataFolder, parent: QWidget | None = None) -> None:
        super().__init__(
            folder, FacilitiesModel(), parent, name="facilitiesDialog", table_name="facilitiesTable",
            table_label="Facilities",
            intro="The hospitals, labs, clinics and imaging centers that hold your records, each with its records "
                  "department: where a request for copies goes. Records, clinicians and requests refer to them, "
                  "so they cannot be deleted here.",
            add_text="&Add facility…", edit_label="Edit the selected facility", delete_label=None,
            size=(880, 440),
        )
        self.add_button.setObjectName("addFacilityButton")
        self.edit_button.setObjectName("editFacilityButton")

    @property
    def facilities(self) -> tuple[directory.FacilityData, ...]:
        return self.model.rows

    def load(self) -> list[directory.FacilityData]:
        return directory.list_facilities(self.folder)

    def add_item(self) -> None:
        stored = edit_facility(self.folder, None, self)
        if stored is not None:  # the details dialog stored and announced it
            self.reload(select=stored.id)

    def edit_item(self) -> None:
        facility = self.current()
        if facility is None:
            return
        stored = edit_facility(self.folder, facility, self)
        if stored is not None:
            self.reload(select=stored.id)
