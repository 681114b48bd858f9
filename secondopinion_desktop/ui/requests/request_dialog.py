"""The new / edit request dialog: to which facility, for which records and kinds of document, in what form,
delivered how and where; the release fields a pathology lab's letter needs; the patient's own paragraph.

A new request starts from ``requests.draft_request``: the facility's records still needed (checked), the scope
they suggest, three months before the diagnosis onwards, the profile's medical record number for it, and the
records department's contact (shown, not edited here: the directory edits it). OK checks the fields with
``requests.check_request``; a refusal puts its sentence in the banner and the cursor on the field it names.
Whoever opened the dialog stores ``fields()``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import directory
from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError, ValidationError
from secondopinion_desktop.core.models import CopyFormat, Delivery, ImagesMedia, RecordKind
from secondopinion_desktop.core.words import day_month_year
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label
from secondopinion_desktop.ui.widgets.screen import fit_to_screen, fitted_size

SEND_TO = ("send_to_name", "send_to_address", "send_to_fax", "send_to_phone", "send_to_email")


def contact_text(facility: directory.FacilityData | None) -> str:
    """The records department's contact, one line each (plain text)."""
    if facility is None:
        return "Not in the directory yet: it is added when you save. Add its records department's phone, fax " \
               "and address in the directory."
    lines = [
        ("Contact", facility.records_contact), ("Phone", facility.records_phone or facility.phone),
        ("Fax", facility.records_fax), ("Email", facility.records_email), ("Portal", facility.records_portal),
        ("Address", " ".join(facility.records_mailing_address.split())), ("Its own form", facility.records_form),
    ]
    shown = [f"{what}: {value}" for what, value in lines if value]
    return "\n".join(shown) or "No records-department contact in the directory yet."


def checks_grid(choices: tuple[tuple[str, str], ...], prefix: str) -> tuple[QWidget, dict[str, QCheckBox]]:
    box = QWidget()
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    checks: dict[str, QCheckBox] = {}
    for n, (key, words) in enumerate(choices):
        check = QCheckBox(words.replace("&", "&&"))  # "H&E" is no mnemonic
        check.setObjectName(f"{prefix}_{key}")
        check.setAccessibleName(words)
        checks[key] = check
        grid.addWidget(check, n // 2, n % 2)
    return box, checks


class RequestDialog(QDialog):
    """A records request's fields; ``fields()`` as ``create_request`` (``facility`` first) and
    ``update_request`` take them."""

    def __init__(self, folder: DataFolder, request: svc.RequestData | None = None, facility_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.request = request
        self.setObjectName("requestDialog")
        self.setWindowTitle("New records request" if request is None else f"Edit request — {request.facility_name}")
        self._facilities = directory.list_facilities(folder)
        self._drafted_for: str | None = None
        self.record_checks: dict[int, QCheckBox] = {}
        self._record_kinds: dict[int, RecordKind] = {}
        self.error_label = error_label()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.facility_combo = QComboBox()
        self.facility_combo.setEditable(True)
        self.facility_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # as wide as the form, never as wide as the longest facility name (which may run to 300 characters)
        self.facility_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.facility_combo.setMinimumContentsLength(30)
        for facility in self._facilities:
            self.facility_combo.addItem(facility.name, facility.id)
        self.facility_combo.setCurrentIndex(-1)
        self.facility_combo.lineEdit().setPlaceholderText("Choose, or type a new hospital, lab or imaging center")
        add_row(form, "&Facility:", self.facility_combo, "facilityCombo", "Facility")
        self.contact_label = QLabel()
        self.contact_label.setObjectName("contactLabel")
        self.contact_label.setTextFormat(Qt.TextFormat.PlainText)
        self.contact_label.setWordWrap(True)
        self.contact_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.contact_label.setAccessibleName("Records department")
        form.addRow("Records department:", self.contact_label)

        self.records_box = QWidget()
        self.records_layout = QVBoxLayout(self.records_box)
        self.records_layout.setContentsMargins(0, 0, 0, 0)
        self.records_label = QLabel("Records &asked for:")
        form.addRow(self.records_label, self.records_box)

        scope_box, self.scope_checks = checks_grid(svc.SCOPE, "scope")
        scope_label = QLabel("&Kinds of document:")
        scope_label.setBuddy(next(iter(self.scope_checks.values())))
        form.addRow(scope_label, scope_box)
        self.scope_from = DateField("scopeFromEdit", "First date asked for")
        add_row(form, "Fro&m:", self.scope_from, "scopeFromField", "First date asked for", buddy=self.scope_from.edit)
        self.scope_to = DateField("scopeToEdit", "Last date asked for")
        self.scope_to.edit.setPlaceholderText("empty: up to the day it is processed")
        add_row(form, "&To:", self.scope_to, "scopeToField", "Last date asked for", buddy=self.scope_to.edit)
        self.due_field: DateField | None = None
        if request is not None and request.sent_on is not None:  # a request that went: its due date can be put right
            self.due_field = DateField("dueOnEdit", "Answer due on")
            add_row(form, "Answer due on:", self.due_field, "dueOnField", "Answer due on", buddy=self.due_field.edit)

        self.format_combo = self._enum_combo(CopyFormat)
        add_row(form, "Form of the c&opies:", self.format_combo, "copyFormatCombo", "Form of the copies")
        self.images_combo = self._enum_combo(ImagesMedia)
        add_row(form, "&Images:", self.images_combo, "imagesMediaCombo", "How to get the images")
        self.delivery_combo = self._enum_combo(Delivery)
        add_row(form, "&Deliver:", self.delivery_combo, "deliveryCombo", "Delivery")
        self.send_to: dict[str, QWidget] = {
            "send_to_name": QLineEdit(), "send_to_address": text_box(3), "send_to_fax": QLineEdit(),
            "send_to_phone": QLineEdit(), "send_to_email": QLineEdit(),
        }
        self.send_to["send_to_name"].setPlaceholderText("For example the second-opinion center's records office")
        for key, text, name in (("send_to_name", "Send to (&name):", "Send to: name"),
                                ("send_to_address", "Send to (addr&ess):", "Send to: address"),
                                ("send_to_fax", "Send to (fa&x):", "Send to: fax"),
                                ("send_to_phone", "Send to (p&hone):", "Send to: phone"),
                                ("send_to_email", "Send to (e-ma&il):", "Send to: email")):
            add_row(form, text, self.send_to[key], f"{key}Edit", name)
        self.delivery_combo.currentIndexChanged.connect(lambda _i: self._follow_delivery())

        self.mrn_edit = QLineEdit()
        self.mrn_edit.setPlaceholderText("The facility's number for you, when you know it")
        add_row(form, "Medical record n&umber:", self.mrn_edit, "mrnEdit", "Medical record number")

        release_box, self.release_checks = checks_grid(svc.RELEASE, "release")
        self.release_label = QLabel("Pathology material (&release):")
        self.release_label.setBuddy(next(iter(self.release_checks.values())))
        form.addRow(self.release_label, release_box)
        self.release_box = release_box
        self.unstained_count = QLineEdit()
        self.unstained_count.setPlaceholderText("For example 10")
        add_row(form, "Unstained sli&des:", self.unstained_count, "unstainedCountEdit", "Number of unstained slides")
        self.microns = QLineEdit()
        self.microns.setPlaceholderText("4 or 5 is usual")
        add_row(form, "Thickness (micron&s):", self.microns, "micronsEdit", "Section thickness in microns")
        self.return_edit = text_box(2, "For example “Please tell me where the slides must be returned, and by when”")
        add_row(form, "Return instructions:", self.return_edit, "returnEdit", "Return instructions")

        self.extra_edit = text_box(3, "A paragraph of your own for the letter (optional)")
        add_row(form, "Your &paragraph:", self.extra_edit, "extraParagraphEdit", "Your paragraph for the letter")
        self.notes_edit = text_box(2, "For you only; not in the letter")
        add_row(form, "No&tes:", self.notes_edit, "requestNotesEdit", "Notes")

        self.buttons = ok_cancel(self, "Add request" if request is None else "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=760, min_width=520)
        self._fit_width(form, [scope_box, release_box])
        self.inputs: dict[str, QWidget] = {
            "facility": self.facility_combo, "record_ids": self.records_box, "scope": scope_box,
            "scope_from": self.scope_from, "scope_to": self.scope_to, "copy_format": self.format_combo,
            "images_media": self.images_combo, "delivery": self.delivery_combo, **self.send_to,
            "medical_record_number": self.mrn_edit, "release_material": release_box,
            "unstained_count": self.unstained_count, "unstained_microns": self.microns,
            "return_instructions": self.return_edit, "extra_paragraph": self.extra_edit, "notes": self.notes_edit,
        }
        if self.due_field is not None:
            self.inputs["due_on"] = self.due_field
        self.facility_combo.lineEdit().editingFinished.connect(self._facility_chosen)
        self.facility_combo.lineEdit().textEdited.connect(lambda _text: self._facility_typed())
        self.facility_combo.activated.connect(lambda _i: self._facility_chosen())
        if request is not None:
            self._load(request)
        else:
            self.delivery_combo.setCurrentIndex(self.delivery_combo.findData(Delivery.MAIL.value))
            if facility_name:
                self.facility_combo.setEditText(facility_name)
            self._facility_chosen()
        self._follow_delivery()
        self.facility_combo.setFocus()
        self.facility_combo.lineEdit().selectAll()  # typing replaces the facility it was opened for

    def _fit_width(self, form: QFormLayout, grids: list[QWidget]) -> None:
        """Room for the scroll bar (the form is taller than most screens), and the check boxes in one column
        where two side by side would be wider than the screen allows (large text)."""
        room = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 8
        margins = self.layout().contentsMargins()
        wanted = form.sizeHint().width() + margins.left() + margins.right() + room
        if wanted > fitted_size(self, wanted, 0)[0]:
            for box in grids:
                grid = box.layout()
                checks = [grid.itemAt(i).widget() for i in range(grid.count())]
                for n, check in enumerate(checks):
                    grid.removeWidget(check)
                    grid.addWidget(check, n, 0)
                grid.invalidate()
                box.updateGeometry()
            form.invalidate()  # its minimum width is kept until told: the two columns' width would stay
            wanted = form.sizeHint().width() + margins.left() + margins.right() + room
        fit_to_screen(self, max(self.width(), wanted), self.height(), min_width=self.minimumWidth(),
                      min_height=self.minimumHeight())

    @staticmethod
    def _enum_combo(enum_type: Any) -> QComboBox:
        combo = QComboBox()
        for member in enum_type:
            combo.addItem(member.label, member.value)
        return combo

    # --- filling -----------------------------------------------------------------------------------------

    def _facility_data(self, name: str) -> directory.FacilityData | None:
        key = directory.name_key(name)
        return next((f for f in self._facilities if directory.name_key(f.name) == key), None)

    def _facility_typed(self) -> None:
        """Typing: a facility of the directory named in full is drafted at once; another name waits until the
        box is left (it will be a new facility)."""
        name = self.facility_combo.currentText().strip()
        if self._facility_data(name) is not None:
            self._facility_chosen()
        elif self.request is None and directory.name_key(name) != self._drafted_for:
            self._drafted_for = None
            self.contact_label.setText(contact_text(None) if name else "Choose the facility first.")
            self._set_records(())

    def _facility_chosen(self) -> None:
        """A new request follows the facility typed or chosen: its records still needed, its contact."""
        name = self.facility_combo.currentText().strip()
        key = directory.name_key(name)
        if key == self._drafted_for:
            return
        self._drafted_for = key
        facility = self._facility_data(name) if name else None
        self.contact_label.setText(contact_text(facility) if name else "Choose the facility first.")
        if self.request is not None or not name:
            if not name:
                self._set_records(())
            return
        try:
            draft = svc.draft_request(self.folder, facility.id if facility is not None else name)
        except SecondOpinionError as exc:
            refuse(self.error_label, self.inputs, exc)
            return
        self._set_records(draft.records, checked=True)
        for key_, check in self.scope_checks.items():
            check.setChecked(key_ in draft.scope)
        self.scope_from.set_date(draft.scope_from)
        self.mrn_edit.setText(draft.medical_record_number)
        kinds = {r.kind for r in draft.records}
        self.images_combo.setCurrentIndex(self.images_combo.findData(
            (ImagesMedia.CD if RecordKind.IMAGING in kinds else ImagesMedia.NONE).value))
        for key_, check in self.release_checks.items():
            check.setChecked(key_ in svc.DEFAULT_RELEASE and RecordKind.PATHOLOGY in kinds)

    def _set_records(self, records: Any, checked: bool = True, extra: Any = ()) -> None:
        while self.records_layout.count():
            item = self.records_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.record_checks = {}
        self._record_kinds = {}
        for record, on in [*((r, checked) for r in records), *((r, False) for r in extra)]:
            if record.id in self.record_checks:
                continue
            day = f" ({day_month_year(record.date_of_service)})" if record.date_of_service else ""
            check = QCheckBox(f"{record.title}{day} — {record.kind.label}".replace("&", "&&"))
            check.setObjectName(f"requestRecord{record.id}")
            check.setAccessibleName(f"Ask for {record.title}")
            check.setChecked(on)
            check.toggled.connect(lambda _on: self._follow_records())
            self.record_checks[record.id] = check
            self._record_kinds[record.id] = record.kind
            self.records_layout.addWidget(check)
        if not self.record_checks:
            none = QLabel("None of your records from this facility is still needed; the kinds of document below "
                          "say what to ask for.")
            none.setWordWrap(True)
            self.records_layout.addWidget(none)
        else:
            self.records_label.setBuddy(next(iter(self.record_checks.values())))
        self._follow_records()

    def _follow_records(self) -> None:
        pathology = any(self._record_kinds[i] is RecordKind.PATHOLOGY for i in self.chosen_record_ids())
        for widget in (self.release_box, self.unstained_count, self.microns, self.return_edit):
            widget.setEnabled(pathology)

    def _follow_delivery(self) -> None:
        third = self.delivery_combo.currentData() == Delivery.THIRD_PARTY.value
        for widget in self.send_to.values():
            widget.setEnabled(third)

    def _load(self, q: svc.RequestData) -> None:
        self.facility_combo.setEditText(q.facility_name)
        self._drafted_for = directory.name_key(q.facility_name)
        self.contact_label.setText(contact_text(self._facility_data(q.facility_name)))
        try:
            still = svc.records_still_needed(self.folder, q.facility_id) if q.facility_id is not None else []
        except SecondOpinionError:
            still = []
        self._set_records(q.records, checked=True, extra=still)
        for key, check in self.scope_checks.items():
            check.setChecked(key in q.scope)
        self.scope_from.set_date(q.scope_from)
        if self.due_field is not None:
            self.due_field.set_date(q.due_on)
        self.scope_to.set_date(q.scope_to)
        for combo, member in ((self.format_combo, q.copy_format), (self.images_combo, q.images_media),
                              (self.delivery_combo, q.delivery)):
            combo.setCurrentIndex(max(0, combo.findData(member.value)))
        for key in SEND_TO:
            widget = self.send_to[key]
            value = getattr(q, key)
            widget.setPlainText(value) if hasattr(widget, "setPlainText") else widget.setText(value)
        self.mrn_edit.setText(q.medical_record_number)
        for key, check in self.release_checks.items():
            check.setChecked(key in q.release_material)
        self.unstained_count.setText("" if q.unstained_count is None else str(q.unstained_count))
        self.microns.setText("" if q.unstained_microns is None else str(q.unstained_microns))
        self.return_edit.setPlainText(q.return_instructions)
        self.extra_edit.setPlainText(q.extra_paragraph)
        self.notes_edit.setPlainText(q.notes)

    # --- reading back ------------------------------------------------------------------------------------

    def chosen_record_ids(self) -> list[int]:
        return [record_id for record_id, check in self.record_checks.items() if check.isChecked()]

    def fields(self) -> dict[str, Any]:
        def text(widget: QWidget) -> str:
            return widget.toPlainText() if hasattr(widget, "toPlainText") else widget.text()  # type: ignore[no-any-return]

        values: dict[str, Any] = {
            "facility": self.facility_combo.currentText(),
            "record_ids": self.chosen_record_ids(),
            "scope": [key for key, check in self.scope_checks.items() if check.isChecked()],
            "scope_from": self.scope_from.value(), "scope_to": self.scope_to.value(),
            "copy_format": CopyFormat(self.format_combo.currentData()),
            "images_media": ImagesMedia(self.images_combo.currentData()),
            "delivery": Delivery(self.delivery_combo.currentData()),
            **{key: text(self.send_to[key]) for key in SEND_TO},
            "medical_record_number": self.mrn_edit.text(),
            "release_material": [key for key, check in self.release_checks.items() if check.isChecked()],
            "unstained_count": self.unstained_count.text(), "unstained_microns": self.microns.text(),
            "return_instructions": self.return_edit.toPlainText(),
            "extra_paragraph": self.extra_edit.toPlainText(), "notes": self.notes_edit.toPlainText(),
        }
        if self.due_field is not None:
            values["due_on"] = self.due_field.value()
        return values

    def accept(self) -> None:
        if not self.facility_combo.currentText().strip():
            refuse(self.error_label, self.inputs,
                   ValidationError("Choose the facility the request goes to.", field="facility"))
            return
        try:
            svc.check_request(self.folder, self.fields(), self.request.id if self.request else None)
        except SecondOpinionError as exc:
            refuse(self.error_label, self.inputs, exc)
            return
        super().accept()
