"""The patient profile dialog: you, the diagnosis, the insurance, and the doctors treating you now."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import directory, profile
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import ClinicianRole
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import ok_cancel, refuse, remember_size, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label


class ProfileDialog(QDialog):
    """Every field of the patient profile, stored on Save with one ``save_profile`` call (all of it or, when the
    core refuses a field, none, with the cursor put on that field); beside it, the doctors currently treating
    the patient (from the directory, read-only). A save with changes announces ``Changes.PROFILE``."""

    LINES: tuple[tuple[str, str, str], ...] = (  # field, label, placeholder
        ("name", "&Name:", "Your full name as on your insurance card"),
        ("phone", "&Phone:", ""),
        ("email", "E-&mail:", ""),
        ("cancer_type", "&Cancer type:", "For example “Breast cancer (left breast)”"),
        ("histology", "&Histology:", "For example “Invasive ductal carcinoma”"),
        ("grade", "&Grade:", "For example “Grade 2”"),
        ("tnm_stage", "&TNM stage:", "For example “cT2 cN1 cM0”"),
        ("stage_group", "&Stage group:", "For example “IIB”"),
        ("insurer", "&Insurer:", ""),
        ("member_number", "M&ember number:", ""),
        ("group_number", "Gro&up number:", ""),
    )
    TEXTS: tuple[tuple[str, str, str], ...] = (
        ("medical_record_numbers", "Medical &record numbers:", "One per line, with the hospital's name"),
        ("address", "&Address:", ""),
        ("biomarkers", "Biomar&kers:", "For example ER, PR, HER2, Ki-67, gene results: one per line"),
    )
    DATES: tuple[tuple[str, str], ...] = (
        ("date_of_birth", "Date of &birth:"), ("diagnosis_date", "&Diagnosis date:"),
    )

    def __init__(self, folder: DataFolder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.setObjectName("profileDialog")
        self.setWindowTitle("Patient profile")
        self.saved: dict[str, Any] = {}  # the fields stored on Save
        self.loaded = profile.get_profile(folder)
        treating = directory.list_clinicians(folder, ClinicianRole.TREATING)
        self.error_label = error_label()
        self.inputs: dict[str, QLineEdit | QPlainTextEdit | DateField] = {}

        def line(name: str, label: str, placeholder: str, form: QFormLayout) -> None:
            edit = QLineEdit(getattr(self.loaded, name))
            edit.setPlaceholderText(placeholder)
            add_row(form, label, edit, f"{name}Edit", label.replace("&", "").rstrip(":"))
            self.inputs[name] = edit

        def text(name: str, label: str, placeholder: str, form: QFormLayout) -> None:
            edit = text_box(3 if name == "address" else 4, placeholder)
            edit.setPlainText(getattr(self.loaded, name))
            add_row(form, label, edit, f"{name}Edit", label.replace("&", "").rstrip(":"))
            self.inputs[name] = edit

        def date(name: str, label: str, form: QFormLayout) -> None:
            field = DateField(f"{name}Edit", label.replace("&", "").rstrip(":"))
            field.set_date(getattr(self.loaded, name))
            add_row(form, label, field, f"{name}Edit", label.replace("&", "").rstrip(":"), buddy=field.edit)
            self.inputs[name] = field

        lines = {name: (label, hint) for name, label, hint in self.LINES}
        texts = {name: (label, hint) for name, label, hint in self.TEXTS}
        dates = dict(self.DATES)
        person = QGroupBox("You")
        person_form = QFormLayout(person)
        line("name", *lines["name"], person_form)
        date("date_of_birth", dates["date_of_birth"], person_form)
        text("medical_record_numbers", *texts["medical_record_numbers"], person_form)
        line("phone", *lines["phone"], person_form)
        line("email", *lines["email"], person_form)
        text("address", *texts["address"], person_form)
        diagnosis = QGroupBox("Diagnosis")
        diagnosis_form = QFormLayout(diagnosis)
        for name in ("cancer_type", "histology", "grade", "tnm_stage", "stage_group"):
            line(name, *lines[name], diagnosis_form)
        text("biomarkers", *texts["biomarkers"], diagnosis_form)
        date("diagnosis_date", dates["diagnosis_date"], diagnosis_form)
        insurance = QGroupBox("Insurance")
        insurance_form = QFormLayout(insurance)
        for name in ("insurer", "member_number", "group_number"):
            line(name, *lines[name], insurance_form)
        for form in (person_form, diagnosis_form, insurance_form):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        doctors = QGroupBox("Doctors treating you now")
        doctors_layout = QVBoxLayout(doctors)
        self.treating_list = QListWidget()
        self.treating_list.setObjectName("treatingList")
        self.treating_list.setAccessibleName("Doctors treating you now")
        for c in treating:
            details = " — ".join(p for p in (c.specialty, c.facility_name) if p)
            self.treating_list.addItem(f"{c.display_name}" + (f" — {details}" if details else ""))
        if not treating:
            self.treating_list.addItem("None yet: add them in the clinicians directory with the role “Treating”.")
        self.treating_list.setFixedHeight(self.treating_list.sizeHintForRow(0) * min(max(len(treating), 2), 6) + 8)
        doctors_layout.addWidget(self.treating_list)
        note = QLabel("Change this list in the clinicians directory.")
        note.setEnabled(False)
        doctors_layout.addWidget(note)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        for group in (person, diagnosis, insurance, doctors):
            body_layout.addWidget(group)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(body)
        self.buttons = ok_cancel(self, "Save")
        layout = QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        remember_size(self, "profileDialog", 640, 760)
        self.inputs["name"].setFocus()

    def changes(self) -> dict[str, Any]:
        """The fields whose input differs from what was loaded (only those are sent to the core)."""
        out: dict[str, Any] = {}
        for name, widget in self.inputs.items():
            if isinstance(widget, DateField):
                value: Any = widget.value()
            elif isinstance(widget, QPlainTextEdit):
                value = widget.toPlainText()
            else:
                value = widget.text()
            if value != getattr(self.loaded, name):
                out[name] = value
        return out

    def accept(self) -> None:
        changes = self.changes()
        if changes:
            try:
                profile.save_profile(self.folder, **changes)
            except SecondOpinionError as exc:
                refuse(self.error_label, self.inputs, exc)
                return
            self.saved = changes
            announce(Changes.PROFILE, self)
        super().accept()
