"""The appointment dialog: when, with whom, where, why, who comes along.

The clinicians directory, the patient profile and the treatment history have their own packages
(``ui.directory``, ``ui.profile``, ``ui.treatments``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from secondopinion_desktop.core import appointments as appt_svc
from secondopinion_desktop.core import directory
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import ClinicianRole
from secondopinion_desktop.core.words import long_date
from secondopinion_desktop.ui.directory.dialogs import ClinicianDialog
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.widgets.dates import DateTimeField
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label, show_error


class AppointmentDialog(QDialog):
    """A new appointment (``appointment`` None) or an existing one: when, with whom, where, why, who comes.

    ``fields()`` gives the values as ``create_appointment`` / ``update_appointment`` take them; OK checks them
    (``check_appointment``) and stays open with the message, the cursor on the input it names, when the core
    refuses them. The caller stores them. A clinician added from here is stored at once and announced.
    """

    def __init__(
        self, folder: DataFolder, appointment: appt_svc.AppointmentData | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.appointment = appointment
        self.setObjectName("appointmentDialog")
        self.setWindowTitle("New appointment" if appointment is None else "Edit appointment")
        self.error_label = error_label()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.when_edit = DateTimeField()
        self.when_edit.setAccessibleDescription(
            "Date and time, written year-month-day hour:minute, for example 2026-12-08 14:30. "
            "Alt+Down opens a calendar."
        )
        self.weekday_label = QLabel()
        self.weekday_label.setObjectName("weekdayLabel")
        self.weekday_label.setEnabled(False)
        when_row = QHBoxLayout()
        when_row.setContentsMargins(0, 0, 0, 0)
        when_row.addWidget(self.when_edit)
        when_row.addWidget(self.weekday_label, 1)
        when_box = QWidget()
        when_box.setLayout(when_row)
        add_row(form, "&When:", when_box, "whenEdit", "Date and time", buddy=self.when_edit)
        self.when_edit.dateTimeChanged.connect(self._update_weekday)

        self.clinician_combo = QComboBox()
        self.clinician_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.clinician_combo.setMinimumContentsLength(28)
        self.new_clinician_button = QPushButton("New &clinician…")
        self.new_clinician_button.setObjectName("newClinicianButton")
        self.new_clinician_button.setAccessibleName("Add a new clinician to the directory")
        self.new_clinician_button.clicked.connect(self.new_clinician)
        doctor_row = QHBoxLayout()
        doctor_row.setContentsMargins(0, 0, 0, 0)
        doctor_row.addWidget(self.clinician_combo, 1)
        doctor_row.addWidget(self.new_clinician_button)
        doctor_box = QWidget()
        doctor_box.setLayout(doctor_row)
        add_row(form, "&Doctor:", doctor_box, "clinicianCombo", "Doctor", buddy=self.clinician_combo)
        self.clinician_combo.currentIndexChanged.connect(self._update_place_hint)

        self.place_edit = QLineEdit()
        add_row(form, "&Place:", self.place_edit, "placeEdit", "Place")
        self.purpose_edit = text_box(4, "Why you are going, for example “second opinion on the treatment plan”")
        add_row(form, "P&urpose:", self.purpose_edit, "purposeEdit", "Purpose")
        self.attendees_edit = QLineEdit()
        self.attendees_edit.setPlaceholderText("For example a partner, a friend, an interpreter")
        add_row(form, "&Who comes along:", self.attendees_edit, "attendeesEdit", "Who comes along")

        self.buttons = ok_cancel(self, "Add appointment" if appointment is None else "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=680, min_width=560)

        #: the input for each of the service's parameters, to put the cursor where a refusal points
        self.inputs: dict[str, QWidget] = {
            "starts_at": self.when_edit, "clinician_id": self.clinician_combo, "place": self.place_edit,
            "purpose": self.purpose_edit, "attendees": self.attendees_edit,
        }
        self._load_clinicians(appointment.clinician_id if appointment else None)
        if appointment is not None:
            self.when_edit.set_value(appointment.starts_at)
            self.place_edit.setText(appointment.place)
            self.purpose_edit.setPlainText(appointment.purpose)
            self.attendees_edit.setText(appointment.attendees)
        else:
            self.when_edit.set_value(None)
        self._update_weekday()
        self.when_edit.setFocus()

    def _load_clinicians(self, select: int | None) -> None:
        clinicians = directory.list_clinicians(self.folder)
        # the second-opinion doctors first: they are whom appointments are usually with
        clinicians.sort(key=lambda c: c.role is not ClinicianRole.SECOND_OPINION)
        self._clinicians = {c.id: c for c in clinicians}
        self.clinician_combo.blockSignals(True)
        self.clinician_combo.clear()
        self.clinician_combo.addItem("(no doctor chosen)", None)
        for c in clinicians:
            details = " — ".join(p for p in (c.specialty, c.facility_name) if p)
            self.clinician_combo.addItem(f"{c.display_name} — {details}" if details else c.display_name, c.id)
            self.clinician_combo.setItemData(
                self.clinician_combo.count() - 1, f"{c.role.label}: {c.display_name}", Qt.ItemDataRole.ToolTipRole
            )
        index = self.clinician_combo.findData(select) if select is not None else 0
        self.clinician_combo.setCurrentIndex(max(index, 0))
        self.clinician_combo.blockSignals(False)
        self._update_place_hint()

    def _update_weekday(self) -> None:
        moment = self.when_edit.value()
        self.weekday_label.setText(long_date(moment) if moment else "")

    def _update_place_hint(self) -> None:
        chosen = self._clinicians.get(self.clinician_combo.currentData())
        hint = f"For example “{chosen.facility_name}, 3rd floor”" if chosen and chosen.facility_name else (
            "Where the consult is: building, floor, room; or “video call”")
        self.place_edit.setPlaceholderText(hint)

    def new_clinician(self) -> None:
        dialog = ClinicianDialog(self.folder, parent=self)
        dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(ClinicianRole.SECOND_OPINION.value))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            made = directory.create_clinician(self.folder, **dialog.fields())
        except SecondOpinionError as exc:
            show_error(self.error_label, str(exc))
            return
        announce(Changes.DIRECTORY, self)
        self._load_clinicians(made.id)

    def fields(self) -> dict[str, Any]:
        return {
            "starts_at": self.when_edit.value(),
            "clinician_id": self.clinician_combo.currentData(),
            "place": self.place_edit.text(),
            "purpose": self.purpose_edit.toPlainText(),
            "attendees": self.attendees_edit.text(),
        }

    def check(self) -> SecondOpinionError | None:
        """The core's refusal of what the inputs hold now, or None."""
        try:
            appt_svc.check_appointment(self.folder, self.fields(), self.appointment.id if self.appointment else None)
        except SecondOpinionError as exc:
            return exc
        return None

    def accept(self) -> None:
        refused = self.check()
        if refused is None:
            super().accept()
            return
        refuse(self.error_label, self.inputs, refused)
