"""Shipments of a request's pathology material: the list (``ShipmentsDialog``) with Add / Edit / Delete, and
one shipment's details (``ShipmentDialog``: what, how many, from the lab, to whom, carrier and tracking number,
shipped, received by the consultant, due back, returned, notes; checked with ``shipments.check_shipment``).

Every change is announced as ``Changes.SHIPMENTS`` with the dialog as initiator.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLineEdit, QMessageBox, QWidget

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core import shipments
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import MaterialKind
from secondopinion_desktop.core.words import day_month_year
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label
from secondopinion_desktop.ui.widgets.rows_model import RowsTableModel
from secondopinion_desktop.ui.widgets.table_dialog import TableDialog


def shippable_records(q: svc.RequestData) -> list[svc.RequestRecordData]:
    return [r for r in q.records if r.kind in shipments.SHIPPABLE]


def shipments_of(folder: DataFolder, q: svc.RequestData) -> list[shipments.ShipmentData]:
    """The shipments made for this request, and those of the pathology records it asks for."""
    records = {r.id for r in shippable_records(q)}
    return [s for s in shipments.list_shipments(folder)
            if s.request_id == q.id or (s.record_id is not None and s.record_id in records)]


class ShipmentsModel(RowsTableModel[shipments.ShipmentData]):
    HEADERS = ("What", "Of the record", "From", "To", "Where it is", "Tracking number")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = dt.date.today()

    def cell(self, row: shipments.ShipmentData, column: int) -> str:
        return (row.what, row.record_title, row.from_lab, row.to_whom, shipments.where_it_is(row, self.today),
                " ".join(t for t in (row.carrier, row.tracking_number) if t))[column]


class ShipmentDialog(QDialog):
    """One shipment's fields; ``fields()`` as ``create_shipment`` / ``update_shipment`` take them."""

    def __init__(self, folder: DataFolder, q: svc.RequestData, shipment: shipments.ShipmentData | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.request = q
        self.shipment = shipment
        self.setObjectName("shipmentDialog")
        self.setWindowTitle("New shipment" if shipment is None else f"Edit shipment — {shipment.what}")
        self.error_label = error_label()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.record_combo = QComboBox()
        for record in shippable_records(q):
            self.record_combo.addItem(record.title, record.id)
        add_row(form, "Of the &record:", self.record_combo, "shipmentRecordCombo", "Pathology record")
        self.material_combo = QComboBox()
        for kind in MaterialKind:
            self.material_combo.addItem(kind.label, kind.value)
        add_row(form, "&Material:", self.material_combo, "materialCombo", "Material")
        self.count_edit = QLineEdit()
        self.count_edit.setPlaceholderText("How many slides or blocks")
        add_row(form, "&How many:", self.count_edit, "countEdit", "How many")
        self.from_edit = QLineEdit(q.facility_name if shipment is None else "")
        add_row(form, "&From (lab):", self.from_edit, "fromLabEdit", "From the lab")
        self.to_edit = QLineEdit()
        self.to_edit.setPlaceholderText("The consulting pathologist or department")
        add_row(form, "&To:", self.to_edit, "toWhomEdit", "To")
        self.carrier_edit = QLineEdit()
        add_row(form, "C&arrier:", self.carrier_edit, "carrierEdit", "Carrier")
        self.tracking_edit = QLineEdit()
        add_row(form, "Trac&king number:", self.tracking_edit, "trackingEdit", "Tracking number")
        self.dates: dict[str, DateField] = {}
        for key, text, name in (("shipped_on", "&Shipped on:", "Date shipped"),
                                ("received_on", "Recei&ved by the consultant:", "Date the consultant received it"),
                                ("due_back_on", "&Due back:", "Date it is due back"),
                                ("returned_on", "Ret&urned on:", "Date it was returned")):
            field = DateField(f"{key}Edit", name)
            add_row(form, text, field, f"{key}Field", name, buddy=field.edit)
            self.dates[key] = field
        self.notes_edit = text_box(2)
        add_row(form, "N&otes:", self.notes_edit, "shipmentNotesEdit", "Notes")
        self.buttons = ok_cancel(self, "Add shipment" if shipment is None else "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=560, min_width=440)
        self.inputs: dict[str, QWidget] = {
            "record_id": self.record_combo, "material": self.material_combo, "count": self.count_edit,
            "from_lab": self.from_edit, "to_whom": self.to_edit, "carrier": self.carrier_edit,
            "tracking_number": self.tracking_edit, **self.dates, "notes": self.notes_edit,
        }
        if shipment is not None:
            self._load(shipment)
        self.record_combo.setFocus()

    def _load(self, s: shipments.ShipmentData) -> None:
        index = self.record_combo.findData(s.record_id)
        if index < 0 and s.record_id is not None:
            self.record_combo.addItem(s.record_title, s.record_id)
            index = self.record_combo.count() - 1
        self.record_combo.setCurrentIndex(index)
        self.material_combo.setCurrentIndex(max(0, self.material_combo.findData(s.material.value)))
        self.count_edit.setText("" if s.count is None else str(s.count))
        self.from_edit.setText(s.from_lab)
        self.to_edit.setText(s.to_whom)
        self.carrier_edit.setText(s.carrier)
        self.tracking_edit.setText(s.tracking_number)
        for key, field in self.dates.items():
            field.set_date(getattr(s, key))
        self.notes_edit.setPlainText(s.notes)

    def fields(self) -> dict[str, Any]:
        return {
            "record_id": self.record_combo.currentData(), "request_id": self.request.id,
            "material": MaterialKind(self.material_combo.currentData()), "count": self.count_edit.text(),
            "from_lab": self.from_edit.text(), "to_whom": self.to_edit.text(), "carrier": self.carrier_edit.text(),
            "tracking_number": self.tracking_edit.text(),
            **{key: field.value() for key, field in self.dates.items()}, "notes": self.notes_edit.toPlainText(),
        }

    def accept(self) -> None:
        try:
            shipments.check_shipment(self.folder, self.fields(), self.shipment.id if self.shipment else None)
        except SecondOpinionError as exc:
            refuse(self.error_label, self.inputs, exc)
            return
        super().accept()


class ShipmentsDialog(TableDialog):
    """The request's shipments of slides and blocks, to add, edit and delete."""

    WIDTHS = (140, 170, 150, 150, 260)
    TITLE = "Shipments of pathology material"
    CHANGES = Changes.SHIPMENTS

    def __init__(self, folder: DataFolder, q: svc.RequestData, parent: QWidget | None = None) -> None:
        self.request = q
        where = ", ".join(r.title for r in shippable_records(q)) or "no pathology record yet"
        super().__init__(
            folder, ShipmentsModel(), parent, name="shipmentsDialog", table_name="shipmentsTable",
            table_label="Shipments",
            intro=f"Slides and blocks sent for “{q.facility_name}” ({where}): where they are, and when they are "
                  "due back at the lab.",
            add_text="&Add shipment…", edit_label="Edit the selected shipment",
            delete_label="Delete the selected shipment", size=(960, 420),
        )
        self.setWindowTitle(f"{self.TITLE} — {q.facility_name}")
        self.add_button.setObjectName("addShipmentButton")
        self.edit_button.setObjectName("editShipmentButton")
        if self.delete_button is not None:
            self.delete_button.setObjectName("deleteShipmentButton")
        self.add_button.setEnabled(bool(shippable_records(q)))

    def load(self) -> list[shipments.ShipmentData]:
        return shipments_of(self.folder, self.request)

    def add_item(self) -> None:
        if not shippable_records(self.request):
            return
        dialog = ShipmentDialog(self.folder, self.request, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self.store(lambda: shipments.create_shipment(self.folder, **values))
        dialog.deleteLater()

    def edit_item(self) -> None:
        chosen = self.current()
        if chosen is None:
            return
        dialog = ShipmentDialog(self.folder, self.request, chosen, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self.store(lambda: shipments.update_shipment(self.folder, chosen.id, **values))
        dialog.deleteLater()

    def delete_item(self) -> None:
        chosen = self.current()
        if chosen is None:
            return
        answer = QMessageBox.question(
            self, "Delete shipment",
            f"Delete the shipment of {chosen.what.lower()} (shipped {day_month_year(chosen.shipped_on)})?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.store(lambda: shipments.delete_shipment(self.folder, chosen.id) and None)
