"""The clinicians directory: the table of every clinician (``CliniciansDialog``) and one clinician's details
(``ClinicianDialog``, also opened from the appointment dialog to add the doctor being seen). Its "Facilities…"
button opens the facilities of the directory with their records departments (``ui.directory.facilities``).

The details dialog only checks its input (``directory.check_clinician``); whoever opened it stores the fields.
Every change is announced as ``Changes.DIRECTORY`` with the dialog that made it as initiator.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from secondopinion_desktop.core import directory
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import ClinicianRole
from secondopinion_desktop.ui.directory.facilities import FacilitiesDialog
from secondopinion_desktop.ui.directory.model import CliniciansModel
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label
from secondopinion_desktop.ui.widgets.table_dialog import TableDialog

SPECIALTIES = (
    "Medical oncology",
    "Radiation oncology",
    "Surgical oncology",
    "Pathology",
    "Radiology",
    "Primary care",
    "Other",
)


class ClinicianDialog(QDialog):
    """A clinician's details; ``fields()`` as ``create_clinician`` / ``update_clinician`` take them."""

    def __init__(
        self, folder: DataFolder, clinician: directory.ClinicianData | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.clinician = clinician
        self.setObjectName("clinicianDialog")
        self.setWindowTitle("New clinician" if clinician is None else f"Edit {clinician.display_name}")
        self._facilities = [(f.id, f.name) for f in directory.list_facilities(folder)]
        self.error_label = error_label()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Required, for example “Avery Stone”")
        add_row(form, "&Name:", self.name_edit, "nameEdit", "Name")
        self.specialty_combo = QComboBox()
        self.specialty_combo.setEditable(True)
        self.specialty_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.specialty_combo.addItems(SPECIALTIES)
        self.specialty_combo.setCurrentIndex(-1)
        self.specialty_combo.lineEdit().setPlaceholderText("Choose or type, for example Medical oncology")
        add_row(form, "&Specialty:", self.specialty_combo, "specialtyCombo", "Specialty")
        self.credentials_edit = QLineEdit()
        self.credentials_edit.setPlaceholderText("For example MD, DO, FACS")
        add_row(form, "C&redentials:", self.credentials_edit, "credentialsEdit", "Credentials")
        self.board_edit = QLineEdit()
        self.board_edit.setPlaceholderText("For example American Board of Internal Medicine (Medical Oncology)")
        add_row(form, "&Board certification:", self.board_edit, "boardEdit", "Board certification")
        self.facility_combo = QComboBox()
        self.facility_combo.setEditable(True)
        self.facility_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for facility_id, name in self._facilities:
            self.facility_combo.addItem(name, facility_id)
        self.facility_combo.setCurrentIndex(-1)
        self.facility_combo.lineEdit().setPlaceholderText("Choose, or type a new hospital or practice")
        add_row(form, "&Institution:", self.facility_combo, "facilityCombo", "Institution")
        self.phone_edit = QLineEdit()
        add_row(form, "&Phone:", self.phone_edit, "phoneEdit", "Phone")
        self.email_edit = QLineEdit()
        add_row(form, "E-&mail:", self.email_edit, "emailEdit", "E-mail")
        self.address_edit = text_box(3)
        add_row(form, "A&ddress:", self.address_edit, "addressEdit", "Address")
        self.role_combo = QComboBox()
        for role in ClinicianRole:
            self.role_combo.addItem(role.label, role.value)
        add_row(form, "R&ole:", self.role_combo, "roleCombo", "Role in your care")
        self.notes_edit = text_box(3, "For example the nurse navigator's name and number")
        add_row(form, "No&tes:", self.notes_edit, "notesEdit", "Notes")

        self.buttons = ok_cancel(self, "Add clinician" if clinician is None else "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=600, min_width=480)
        #: the input for each of the service's parameters, to put the cursor where a refusal points
        self.inputs: dict[str, QWidget] = {
            "name": self.name_edit, "specialty": self.specialty_combo, "credentials": self.credentials_edit,
            "board_certification": self.board_edit, "facility_id": self.facility_combo,
            "facility": self.facility_combo, "phone": self.phone_edit, "email": self.email_edit,
            "address": self.address_edit, "role": self.role_combo, "notes": self.notes_edit,
        }
        if clinician is not None:
            self._load(clinician)
        self.name_edit.setFocus()

    def _load(self, c: directory.ClinicianData) -> None:
        self.name_edit.setText(c.name)
        index = self.specialty_combo.findText(c.specialty)
        if index >= 0:
            self.specialty_combo.setCurrentIndex(index)
        else:
            self.specialty_combo.setEditText(c.specialty)
        self.credentials_edit.setText(c.credentials)
        self.board_edit.setText(c.board_certification)
        index = self.facility_combo.findData(c.facility_id) if c.facility_id is not None else -1
        if index >= 0:
            self.facility_combo.setCurrentIndex(index)
        else:
            self.facility_combo.setEditText(c.facility_name)
        self.phone_edit.setText(c.phone)
        self.email_edit.setText(c.email)
        self.address_edit.setPlainText(c.address)
        self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(c.role.value)))
        self.notes_edit.setPlainText(c.notes)

    def _facility_fields(self) -> dict[str, Any]:
        return directory.facility_choice(self.facility_combo.currentText(), self._facilities)

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name_edit.text(),
            "specialty": self.specialty_combo.currentText(),
            "credentials": self.credentials_edit.text(),
            "board_certification": self.board_edit.text(),
            **self._facility_fields(),
            "phone": self.phone_edit.text(),
            "email": self.email_edit.text(),
            "address": self.address_edit.toPlainText(),
            "role": ClinicianRole(self.role_combo.currentData()),
            "notes": self.notes_edit.toPlainText(),
        }

    def accept(self) -> None:
        try:
            directory.check_clinician(self.folder, self.fields(), self.clinician.id if self.clinician else None)
        except SecondOpinionError as exc:
            refuse(self.error_label, self.inputs, exc)
            return
        super().accept()


class CliniciansDialog(TableDialog):
    """The clinicians directory: every doctor the records and appointments point at, to add and edit.

    There is no delete: records and appointments refer to clinicians, and the core offers no safe removal.
    """

    WIDTHS = (190, 210, 90, 230)
    TITLE = "Clinicians directory"
    CHANGES = Changes.DIRECTORY

    def __init__(self, folder: DataFolder, parent: QWidget | None = None) -> None:
        super().__init__(
            folder, CliniciansModel(), parent, name="cliniciansDialog", table_name="cliniciansTable",
            table_label="Clinicians",
            intro="The doctors in your care and the ones you see for a second opinion. Records and "
                  "appointments refer to them, so they cannot be deleted here.",
            add_text="&Add clinician…", edit_label="Edit the selected clinician", delete_label=None,
            size=(880, 440),
        )
        self.add_button.setObjectName("addClinicianButton")
        self.edit_button.setObjectName("editClinicianButton")
        self.facilities_button = QPushButton("&Facilities…")
        self.facilities_button.setObjectName("facilitiesButton")
        self.facilities_button.setAccessibleName("Facilities and their records departments")
        self.facilities_button.setToolTip("The hospitals, labs and clinics, and whom to ask there for your records")
        self.facilities_button.clicked.connect(lambda: self.open_facilities())
        row = next(item.layout() for item in (self.layout().itemAt(i) for i in range(self.layout().count()))
                   if isinstance(item.layout(), QHBoxLayout))  # the Add / Edit … Close row
        row.insertWidget(row.indexOf(self.edit_button) + 1, self.facilities_button)
        self.setTabOrder(self.edit_button, self.facilities_button)

    @property
    def clinicians(self) -> tuple[directory.ClinicianData, ...]:
        return self.model.rows

    def load(self) -> list[directory.ClinicianData]:
        return directory.list_clinicians(self.folder)

    def add_item(self) -> None:
        dialog = ClinicianDialog(self.folder, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self.store(lambda: directory.create_clinician(self.folder, **values))

    def edit_item(self) -> None:
        clinician = self.current()
        if clinician is None:
            return
        dialog = ClinicianDialog(self.folder, clinician, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self.store(lambda: directory.update_clinician(self.folder, clinician.id, **values))

    def open_facilities(self) -> None:
        """The facilities with their records departments; a renamed facility shows here as renamed."""
        current = self.current()
        dialog = FacilitiesDialog(self.folder, parent=self)
        dialog.exec()  # each change is announced as it is made
        dialog.deleteLater()
        self.reload(select=current.id if current is not None else None)
