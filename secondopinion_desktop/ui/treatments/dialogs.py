"""The treatment history: the table of every line of treatment (``TreatmentHistoryDialog``) and one line's
details (``TreatmentLineDialog``, which only checks its input with ``treatments.check_treatment_line``; the
history stores it). Every change is announced as ``Changes.TREATMENTS`` with the history dialog as initiator.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLineEdit, QMessageBox, QWidget

from secondopinion_desktop.core import treatments
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import TreatmentKind
from secondopinion_desktop.core.words import day_month_year
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.treatments.model import TreatmentsModel
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse
from secondopinion_desktop.ui.widgets.forms import add_row, error_label
from secondopinion_desktop.ui.widgets.table_dialog import TableDialog


class TreatmentLineDialog(QDialog):
    """One line of treatment; ``fields()`` as ``create_treatment_line`` / ``update_treatment_line`` take them."""

    def __init__(
        self, folder: DataFolder, line: treatments.TreatmentLineData | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.line = line
        self.setObjectName("treatmentLineDialog")
        self.setWindowTitle("New treatment" if line is None else "Edit treatment")
        self.error_label = error_label()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.kind_combo = QComboBox()
        for kind in TreatmentKind:
            self.kind_combo.addItem(kind.label, kind.value)
        add_row(form, "&Kind:", self.kind_combo, "kindCombo", "Kind of treatment")
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText("For example “Lumpectomy” or “AC-T, 8 cycles”")
        add_row(form, "&Description:", self.description_edit, "descriptionEdit", "Description")
        self.start_field = DateField("startEdit", "Start date")
        add_row(form, "&Start:", self.start_field, "startEdit", "Start date", buddy=self.start_field.edit)
        self.end_field = DateField("endEdit", "End date")
        self.end_field.edit.setPlaceholderText("YYYY-MM-DD — empty while ongoing")
        add_row(form, "&End:", self.end_field, "endEdit", "End date", buddy=self.end_field.edit)
        self.response_edit = QLineEdit()
        self.response_edit.setPlaceholderText("For example “complete response”, “stopped for side effects”")
        add_row(form, "&Response:", self.response_edit, "responseEdit", "Response")
        self.buttons = ok_cancel(self, "Add treatment" if line is None else "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=560, min_width=440)
        #: the input for each of the service's parameters, to put the cursor where a refusal points
        self.inputs: dict[str, QWidget] = {
            "kind": self.kind_combo, "description": self.description_edit, "start_date": self.start_field,
            "end_date": self.end_field, "response": self.response_edit,
        }
        if line is not None:
            self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(line.kind.value)))
            self.description_edit.setText(line.description)
            self.start_field.set_date(line.start_date)
            self.end_field.set_date(line.end_date)
            self.response_edit.setText(line.response)
        self.kind_combo.setFocus()

    def fields(self) -> dict[str, Any]:
        return {
            "kind": TreatmentKind(self.kind_combo.currentData()),
            "description": self.description_edit.text(),
            "start_date": self.start_field.value(),
            "end_date": self.end_field.value(),
            "response": self.response_edit.text(),
        }

    def accept(self) -> None:
        try:
            treatments.check_treatment_line(self.folder, self.fields(), self.line.id if self.line else None)
        except SecondOpinionError as exc:
            refuse(self.error_label, self.inputs, exc)
            return
        super().accept()


class TreatmentHistoryDialog(TableDialog):
    """The treatment history: each line of treatment with its dates and response; add, edit, delete."""

    WIDTHS = (130, 240, 95, 95)
    TITLE = "Treatment history"
    CHANGES = Changes.TREATMENTS

    def __init__(self, folder: DataFolder, parent: QWidget | None = None) -> None:
        super().__init__(
            folder, TreatmentsModel(), parent, name="treatmentHistoryDialog", table_name="treatmentTable",
            table_label="Treatment lines",
            intro="Every treatment so far, oldest first. The second-opinion doctor reads this in the packet.",
            add_text="&Add treatment…", edit_label="Edit the selected treatment",
            delete_label="Delete the selected treatment", size=(820, 400),
        )
        self.add_button.setObjectName("addTreatmentButton")
        self.edit_button.setObjectName("editTreatmentButton")
        assert self.delete_button is not None
        self.delete_button.setObjectName("deleteTreatmentButton")

    @property
    def lines(self) -> tuple[treatments.TreatmentLineData, ...]:
        return self.model.rows

    def load(self) -> list[treatments.TreatmentLineData]:
        return treatments.list_treatment_lines(self.folder)

    def add_item(self) -> None:
        dialog = TreatmentLineDialog(self.folder, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self.store(lambda: treatments.create_treatment_line(self.folder, **values))

    def edit_item(self) -> None:
        line = self.current()
        if line is None:
            return
        dialog = TreatmentLineDialog(self.folder, line, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self.store(lambda: treatments.update_treatment_line(self.folder, line.id, **values))

    def delete_item(self) -> None:
        line = self.current()
        if line is None:
            return
        what = f"{line.kind.label}" + (f" — {line.description}" if line.description else "")
        when = f" (from {day_month_year(line.start_date)})" if line.start_date else ""
        answer = QMessageBox.question(
            self, "Delete treatment", f"Delete “{what}”{when} from the treatment history?\n\nThis cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            def delete() -> None:  # nothing to select afterwards
                treatments.delete_treatment_line(self.folder, line.id)

            self.store(delete)
