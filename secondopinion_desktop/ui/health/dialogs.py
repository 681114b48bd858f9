"""The health summary's item dialogs: a medication, an allergy or intolerance, a lab result.

Each dialog stores what it holds itself, off the GUI thread (``ui.ops.run_op`` calling ``core.health`` with the data
folder, announcing ``Changes.HEALTH``), and closes only once it is stored; a refusal (a date that is not one, a
result dated in the future, a missing name) is the core's one sentence in the banner, with the cursor put on the
field it names and that field marked, and the dialog stays open. An edit sends only what changed, so an imported
row keeps everything it came with (its source, its own date format) but the one thing corrected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from secondopinion_desktop.core import health
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.health import AllergyData, LabResultData, MedicationData
from secondopinion_desktop.core.words import day_month_year
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse
from secondopinion_desktop.ui.widgets.forms import add_row, error_label

PARTIAL_DATE = "YYYY-MM-DD, YYYY-MM or YYYY"
INVALID_STYLE = "border: 2px solid #c0392b; border-radius: 3px;"
SEVERITY_CHOICES = ("", "mild", "moderate", "severe", "life-threatening")
FLAG_CHOICES = ("", "high", "low", "abnormal", "critical")


def _line(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    return edit


def _combo(choices: tuple[str, ...], placeholder: str = "") -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.addItems(list(choices))
    combo.setCurrentIndex(0)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    if placeholder and combo.lineEdit() is not None:
        combo.lineEdit().setPlaceholderText(placeholder)
    return combo


class HealthItemDialog(QDialog):
    """What the three dialogs share; a subclass builds its form (``inputs`` keyed by the service's field names),
    says what it holds (``fields``) and how it is stored (``write``)."""

    WHAT = "item"  # for the log, never the person's data

    def __init__(self, folder: DataFolder, editing: bool, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.editing = editing
        self.stored: Any = None
        self.op: Op | None = None
        self.error_label = error_label()
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.inputs: dict[str, QWidget] = {}
        self._initial: dict[str, Any] = {}

    def finish_layout(self, ok_text: str, width: int = 600) -> None:
        self.buttons = ok_cancel(self, ok_text)
        lay_out_form(self, self.error_label, self.form, self.buttons, width=width, min_width=460)
        self._initial = self.fields()

    # --- what a subclass says --------------------------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def write(self, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    # --- storing -----------------------------------------------------------------------------------------

    def changed_fields(self) -> dict[str, Any]:
        now = self.fields()
        if not self.editing:
            return now
        return {key: value for key, value in now.items() if value != self._initial.get(key)}

    def accept(self) -> None:
        if self.op is not None and not self.op.done:
            return  # stored already being
        fields = self.changed_fields()
        if self.editing and not fields:
            super().accept()  # nothing changed: nothing to store
            return
        self._clear_marks()
        self.buttons.setEnabled(False)
        folder_write = self.write
        self.op = run_op(self, lambda _control: folder_write(fields), name=f"store {self.WHAT}",
                         changes=Changes.HEALTH, writes=True, on_success=self._stored, on_failure=self._refused,
                         on_done=lambda: self.buttons.setEnabled(True))

    def _stored(self, result: Any) -> None:
        self.stored = result
        QDialog.accept(self)

    def _refused(self, exc: BaseException) -> bool:
        if not isinstance(exc, SecondOpinionError):
            return False  # a bug: the crash dialog
        refuse(self.error_label, self.inputs, exc)
        widget = self.inputs.get(getattr(exc, "field", None) or "")
        if widget is not None:
            target = getattr(widget, "edit", widget)
            target.setStyleSheet(INVALID_STYLE)
            target.setToolTip(str(exc))
        return True

    def _clear_marks(self) -> None:
        for widget in self.inputs.values():
            target = getattr(widget, "edit", widget)
            if target.styleSheet():
                target.setStyleSheet("")
                target.setToolTip("")

    def _date_row(self, text: str, key: str, accessible: str, placeholder: str) -> DateField:
        field = DateField(f"{key}Edit", accessible)
        field.edit.setPlaceholderText(placeholder)
        room = field.edit.fontMetrics().horizontalAdvance(placeholder + "MMMM")
        field.edit.setMaximumWidth(max(field.edit.maximumWidth(), room + 48))
        field.edit.setMinimumWidth(room + 24)
        add_row(self.form, text, field, f"{key}Edit", accessible, buddy=field.edit)
        self.inputs[key] = field
        return field


def _date_text(field: DateField) -> str:
    return field.text().strip()


class MedicationDialog(HealthItemDialog):
    """A medication, current or past: every field a medication list has."""

    WHAT = "medication"

    def __init__(self, folder: DataFolder, medication: MedicationData | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(folder, medication is not None, parent)
        self.medication = medication
        self.setObjectName("medicationDialog")
        self.setWindowTitle("Add a medication" if medication is None else "Edit medication")
        form = self.form
        self.name_edit = _line("For example “Letrozole” or “Ondansetron”")
        add_row(form, "&Medication:", self.name_edit, "medicationNameEdit", "Medication name")
        self.dose_edit = _line("For example “2.5 mg”")
        add_row(form, "&Dose:", self.dose_edit, "doseEdit", "Dose")
        self.route_edit = _line("For example “by mouth”, “injection”, “infusion”")
        add_row(form, "&Route:", self.route_edit, "routeEdit", "Route")
        self.frequency_edit = _line("For example “once a day”, “every 3 weeks”, “as needed”")
        add_row(form, "How &often:", self.frequency_edit, "frequencyEdit", "How often")
        self.start_field = self._date_row("&Started:", "start", "Start date", PARTIAL_DATE)
        self.end_field = self._date_row("S&topped:", "end", "Stop date", f"{PARTIAL_DATE} — empty while taking it")
        for edit in (self.start_field.edit, self.end_field.edit):  # the two dates line up
            edit.setMinimumWidth(self.end_field.edit.minimumWidth())
            edit.setMaximumWidth(self.end_field.edit.maximumWidth())
        self.reason_edit = _line("For example “hormone therapy”, “nausea”")
        add_row(form, "&Why:", self.reason_edit, "reasonEdit", "Why it is taken")
        self.prescriber_edit = _line("Who prescribed it")
        add_row(form, "&Prescriber:", self.prescriber_edit, "prescriberEdit", "Prescriber")
        self.inputs.update({"name": self.name_edit, "dose": self.dose_edit, "route": self.route_edit,
                            "frequency": self.frequency_edit, "reason": self.reason_edit,
                            "prescriber": self.prescriber_edit})
        if medication is not None:
            self.name_edit.setText(medication.name)
            self.dose_edit.setText(medication.dose)
            self.route_edit.setText(medication.route)
            self.frequency_edit.setText(medication.frequency)
            self.start_field.edit.setText(medication.start)
            self.end_field.edit.setText(medication.end)
            self.reason_edit.setText(medication.reason)
            self.prescriber_edit.setText(medication.prescriber)
            source = health.source_words(medication.origin, medication.source.record_title,
                                         medication.source.source_name)
            source_label = QLabel(source)
            source_label.setTextFormat(Qt.TextFormat.PlainText)
            source_label.setWordWrap(True)
            add_row(form, "Source:", source_label, "medicationSource", "Source")
        self.finish_layout("Add medication" if medication is None else "Save")
        self.name_edit.setFocus()

    def fields(self) -> dict[str, Any]:
        return {"name": self.name_edit.text(), "dose": self.dose_edit.text(), "route": self.route_edit.text(),
                "frequency": self.frequency_edit.text(), "start": _date_text(self.start_field),
                "end": _date_text(self.end_field), "reason": self.reason_edit.text(),
                "prescriber": self.prescriber_edit.text()}

    def write(self, fields: dict[str, Any]) -> MedicationData:
        if self.medication is None:
            values = dict(fields)
            name = values.pop("name")
            return health.create_medication(self.folder, name, **values)
        return health.update_medication(self.folder, self.medication.id, **fields)


class AllergyDialog(HealthItemDialog):
    """An allergy or an intolerance: the substance, what it does, how bad."""

    WHAT = "allergy"

    def __init__(self, folder: DataFolder, allergy: AllergyData | None = None, parent: QWidget | None = None) -> None:
        super().__init__(folder, allergy is not None, parent)
        self.allergy = allergy
        self.setObjectName("allergyDialog")
        self.setWindowTitle("Add an allergy or intolerance" if allergy is None else "Edit allergy or intolerance")
        form = self.form
        self.substance_edit = _line("For example “Penicillin”, “Latex”, “Iodine contrast”")
        add_row(form, "&Substance:", self.substance_edit, "substanceEdit", "Substance")
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Allergy", "allergy")
        self.kind_combo.addItem("Intolerance", "intolerance")
        self.kind_combo.addItem("Not sure", "")
        add_row(form, "&Kind:", self.kind_combo, "allergyKindCombo", "Allergy or intolerance")
        self.reaction_edit = _line("For example “hives”, “swelling of the throat”, “nausea”")
        add_row(form, "&Reaction:", self.reaction_edit, "reactionEdit", "Reaction")
        self.severity_combo = _combo(SEVERITY_CHOICES, "mild, moderate, severe, life-threatening")
        add_row(form, "S&everity:", self.severity_combo, "severityCombo", "Severity")
        self.inputs.update({"substance": self.substance_edit, "category": self.kind_combo,
                            "reaction": self.reaction_edit, "severity": self.severity_combo})
        if allergy is not None:
            self.substance_edit.setText(allergy.substance)
            self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(allergy.category)))
            self.reaction_edit.setText(allergy.reaction)
            self.severity_combo.setEditText(allergy.severity)
            source = health.source_words(allergy.origin, allergy.source.record_title, allergy.source.source_name)
            source_label = QLabel(source)
            source_label.setTextFormat(Qt.TextFormat.PlainText)
            source_label.setWordWrap(True)
            add_row(form, "Source:", source_label, "allergySource", "Source")
        self.finish_layout("Add allergy" if allergy is None else "Save", width=560)
        self.substance_edit.setFocus()

    def fields(self) -> dict[str, Any]:
        return {"substance": self.substance_edit.text(), "category": self.kind_combo.currentData() or "",
                "reaction": self.reaction_edit.text(), "severity": self.severity_combo.currentText()}

    def write(self, fields: dict[str, Any]) -> AllergyData:
        if self.allergy is None:
            values = dict(fields)
            substance = values.pop("substance")
            return health.create_allergy(self.folder, substance, **values)
        return health.update_allergy(self.folder, self.allergy.id, **fields)


def value_reading(text: str) -> str:
    """How a typed value will be read, in words, so a comma or a "<" is never a surprise."""
    if not text.strip():
        return "Kept exactly as you type it; a number is also drawn on the chart."
    parsed = health.parse_value(text)
    if parsed.number is None:
        return "Kept as words: shown in the table, not drawn on the chart."
    number = f"{parsed.number:,.10g}"
    if parsed.comparator:
        return f"Drawn as {parsed.comparator} {number} (an open mark on the chart)."
    return f"Drawn on the chart as {number}."


class LabResultDialog(HealthItemDialog):
    """A lab value: typed in from a paper result, or an imported one corrected. The value is kept as typed."""

    WHAT = "lab result"

    def __init__(self, folder: DataFolder, result: LabResultData | None = None, parent: QWidget | None = None,
                 *, test: str = "") -> None:
        super().__init__(folder, result is not None, parent)
        self.result = result
        self.setObjectName("labResultDialog")
        self.setWindowTitle("Add a lab result" if result is None else "Edit lab result")
        form = self.form
        self.test_combo = _combo(("", *(k.name for k in health.KEY_TESTS)), "For example “CA 15-3” or “Hemoglobin”")
        add_row(form, "&Test:", self.test_combo, "testCombo", "Test")
        self.value_edit = _line("As printed: 32, <0.5, 1,234.5, positive")
        add_row(form, "&Value:", self.value_edit, "valueEdit", "Value")
        self.value_hint = QLabel(value_reading(""))
        self.value_hint.setObjectName("valueHint")
        self.value_hint.setWordWrap(True)
        self.value_hint.setStyleSheet("color: #555;")
        form.addRow("", self.value_hint)
        self.value_edit.textChanged.connect(lambda text: self.value_hint.setText(value_reading(text)))
        self.unit_edit = _line("As printed: U/mL, ng/mL, g/dL, x10E3/uL")
        add_row(form, "&Unit:", self.unit_edit, "unitEdit", "Unit")
        self.range_edit = _line("As printed: 0-35, <3.0, 12.0-15.5")
        add_row(form, "&Reference range:", self.range_edit, "rangeEdit", "Reference range")
        self.flag_combo = _combo(FLAG_CHOICES, "high, low, abnormal")
        add_row(form, "&Flag:", self.flag_combo, "flagCombo", "Flag")
        self.date_field = self._date_row("&Date:", "observed_on", "Date of the result", "YYYY-MM-DD (required)")
        self.record_combo = QComboBox()
        self.record_combo.addItem("None — a paper not kept as a record", None)
        self._add_records(result.source.record_id if result is not None else None)
        add_row(form, "From the &record:", self.record_combo, "recordCombo", "The record of the paper")
        self.inputs.update({"test": self.test_combo, "value": self.value_edit, "unit": self.unit_edit,
                            "reference_range": self.range_edit, "flag": self.flag_combo,
                            "record_id": self.record_combo})
        if result is not None:
            self.test_combo.setEditText(result.test)
            self.value_edit.setText(result.value or ("" if result.number is None else f"{result.number:g}"))
            self.unit_edit.setText(result.unit)
            self.range_edit.setText(result.reference_range)
            self.flag_combo.setEditText(result.flag)
            self.date_field.set_date(result.observed_on)
            self.record_combo.setCurrentIndex(max(0, self.record_combo.findData(result.source.record_id)))
            source = health.source_words(result.origin, result.source.record_title, result.source.source_name)
            source_label = QLabel(source)
            source_label.setTextFormat(Qt.TextFormat.PlainText)
            source_label.setWordWrap(True)
            add_row(form, "Source:", source_label, "labSource", "Source")
        else:
            self.test_combo.setEditText(test)
        self.finish_layout("Add result" if result is None else "Save", width=620)
        (self.value_edit if test and result is None else self.test_combo).setFocus()

    def _add_records(self, keep: int | None) -> None:
        """The lab records (newest first), and the record this result is linked to whatever its kind."""
        from secondopinion_desktop.core.records import list_records

        records = list_records(self.folder, kind="lab")
        if keep is not None and all(r.id != keep for r in records):
            records = [*(r for r in list_records(self.folder) if r.id == keep), *records]
        for record in records:
            when = f" — {day_month_year(record.date_of_service)}" if record.date_of_service else ""
            self.record_combo.addItem(f"{record.title}{when}", record.id)

    def fields(self) -> dict[str, Any]:
        return {"test": self.test_combo.currentText(), "value": self.value_edit.text(), "unit": self.unit_edit.text(),
                "reference_range": self.range_edit.text(), "flag": self.flag_combo.currentText(),
                "observed_on": self.date_field.value(), "record_id": self.record_combo.currentData()}

    def write(self, fields: dict[str, Any]) -> LabResultData:
        if self.result is None:
            values = dict(fields)
            return health.add_lab_result(self.folder, values.pop("test"), values.pop("value"),
                                         values.pop("observed_on"), **values)
        return health.update_lab_result(self.folder, self.result.id, **fields)


DialogFactory = Callable[..., HealthItemDialog]
