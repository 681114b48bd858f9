"""The record dialog: adding or editing one record, every editable field in one form.

It never writes. It reads the directory for its combo boxes (``records.record_choices``) and checks the input
with ``records.check_record``, which runs the very service the caller will run and keeps nothing; the caller
then writes through an undoable command. A refusal names its input (``ValidationError.field``, the service's
parameter name); the dialog puts the cursor there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QKeySequence,
    QRegularExpressionValidator,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError, ValidationError
from secondopinion_desktop.core.models import ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.records import STATUS_DATE_FIELD, RecordData, check_record, record_choices
from secondopinion_desktop.ui.widgets.dates import DATE_PLACEHOLDER, DateField
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

# (shown text, stored value) of the usual imaging modalities; any other text can be typed.
MODALITIES: tuple[tuple[str, str], ...] = (
    ("CT", "CT"),
    ("MR (MRI)", "MR"),
    ("PET/CT", "PET/CT"),
    ("MG (mammogram)", "MG"),
    ("US (ultrasound)", "US"),
    ("NM (bone scan)", "NM"),
    ("XR (X-ray)", "XR"),
    ("Other", "Other"),
)

STATUS_BUTTON_TEXT = {
    RecordStatus.NEEDED: "&Needed",
    RecordStatus.REQUESTED: "&Requested",
    RecordStatus.RECEIVED: "Recei&ved",
    RecordStatus.SENT: "&Sent to doctor",
}
# Who the clinician of a record usually is (a new name typed here is added to the directory in that role).
CLINICIAN_LABELS = {
    RecordKind.PATHOLOGY: "&Clinician (pathologist):",
    RecordKind.IMAGING: "&Clinician (radiologist):",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_STATUS_ORDER = list(RecordStatus)

@dataclass(frozen=True)
class Problem:
    """Why the core refuses the form: its sentence, and the input it names (``ValidationError.field``)."""

    message: str
    field: str | None


def _key(text: str) -> str:
    """A name as the directory compares names: blanks collapsed, case folded."""
    return " ".join(text.split()).casefold()


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


class RecordDialog(QDialog):
    """Add a record (``record`` None) or edit one: every editable field of a record in one form.

    ``fields()`` gives the values as ``create_record`` / ``update_record`` take them. OK checks them with the
    same service in a dry run and stays open with the message when the core refuses them. ``kind`` and
    ``title`` preset a new record (a new record is "Other" unless ``kind`` says otherwise); they are ignored
    when editing.
    """

    def __init__(
        self,
        folder: DataFolder,
        record: RecordData | None = None,
        *,
        kind: RecordKind | None = None,
        title: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.record = record
        self.setObjectName("recordDialog")
        self.setWindowTitle("New record" if record is None else "Edit record")
        choices = record_choices(folder)
        self._facilities = [(f.id, f.name) for f in choices.facilities]
        self._clinicians = [(c.id, c.name, c.display_name, c) for c in choices.clinicians]
        self._loaded_text: dict[str, tuple[str, str]] = {}  # objectName → (text as shown, text as stored)

        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(
            "QLabel#errorLabel { color: #8b1a1a; background: #fdecea; border: 1px solid #e0a8a8;"
            " border-radius: 4px; padding: 6px; font-weight: bold; }"
        )
        self.error_label.setAccessibleName("Problem")
        self.error_label.hide()

        form_widget = QWidget()
        form_widget.setObjectName("recordForm")
        self.form = QFormLayout(form_widget)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)

        self.kind_combo = QComboBox()
        for member in RecordKind:
            self.kind_combo.addItem(member.label, member.value)
        self._add_row("&Kind:", self.kind_combo, "kindCombo", "Kind of record")

        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Required, for example “CT chest report” or “Biopsy slides”")
        self._add_row("&Title:", self.title_edit, "titleEdit", "Title")

        self.date_field = DateField("dateEdit", "Date of service")
        self._add_row("&Date of service:", self.date_field, "dateEdit", "Date of service",
                      buddy=self.date_field.edit)
        self.date_edit = self.date_field.edit

        self.facility_combo = self._name_combo(
            [(name, fid, "") for fid, name in self._facilities], "Choose or type a new facility"
        )
        self._add_row("&Facility:", self.facility_combo, "facilityCombo", "Facility")

        self.clinician_combo = self._name_combo(
            [(display, cid, self._clinician_tip(c)) for cid, _name, display, c in self._clinicians],
            "Choose or type a new clinician's name",
        )
        self.clinician_label = self._add_row("&Clinician:", self.clinician_combo, "clinicianCombo", "Clinician")

        # One button per status: each is one click or Alt+letter away, and typing never changes it (a combo box
        # jumps to the status starting with the letter typed).
        self.status_choice = QWidget()
        self.status_choice.setObjectName("statusChoice")
        self.status_choice.setAccessibleName("Status")
        self.status_buttons: dict[RecordStatus, QRadioButton] = {}
        status_layout = QHBoxLayout(self.status_choice)
        status_layout.setContentsMargins(0, 0, 0, 0)
        for member in RecordStatus:
            button = QRadioButton(STATUS_BUTTON_TEXT[member])
            button.setObjectName(f"status{member.name.title()}")
            button.setAccessibleName(f"Status: {member.label}")
            button.setToolTip(member.label)
            status_layout.addWidget(button)
            self.status_buttons[member] = button
        status_layout.addStretch(1)
        self.status_buttons[RecordStatus.NEEDED].setChecked(True)
        status_label = QLabel("Status:")
        status_label.setObjectName("statusChoiceLabel")
        self.form.addRow(status_label, self.status_choice)

        self.requested_field = DateField("requestedEdit", "Requested on")
        self.received_field = DateField("receivedEdit", "Received on")
        self.sent_field = DateField("sentEdit", "Sent on")
        self._status_fields = {
            RecordStatus.REQUESTED: self.requested_field,
            RecordStatus.RECEIVED: self.received_field,
            RecordStatus.SENT: self.sent_field,
        }
        self._add_row("Re&quested on:", self.requested_field, "requestedEdit", "Requested on",
                      buddy=self.requested_field.edit)
        self._add_row("Rece&ived on:", self.received_field, "receivedEdit", "Received on",
                      buddy=self.received_field.edit)
        self._add_row("Sent &on:", self.sent_field, "sentEdit", "Sent on", buddy=self.sent_field.edit)
        self.requested_edit = self.requested_field.edit
        self.received_edit = self.received_field.edit
        self.sent_edit = self.sent_field.edit

        # imaging
        self.imaging_group = QGroupBox("Imaging")
        self.imaging_group.setObjectName("imagingGroup")
        imaging_form = QFormLayout(self.imaging_group)
        self.modality_combo = QComboBox()
        self.modality_combo.setEditable(True)
        self.modality_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for shown, value in MODALITIES:
            self.modality_combo.addItem(shown, value)
        self.modality_combo.setCurrentIndex(-1)
        self.modality_combo.lineEdit().setPlaceholderText("CT, MR, PET/CT… or type another")
        self._add_row("&Modality:", self.modality_combo, "modalityCombo", "Imaging modality",
                      form=imaging_form)
        self.body_region_edit = QLineEdit()
        self.body_region_edit.setPlaceholderText("For example chest, abdomen and pelvis")
        self._add_row("Bod&y region:", self.body_region_edit, "bodyRegionEdit", "Body region",
                      form=imaging_form)
        self.images_location_combo = QComboBox()
        self.images_location_combo.addItem("Not noted", "")
        for member in ImagesLocation:
            self.images_location_combo.addItem(member.label, member.value)
        self._add_row("&Where the images are:", self.images_location_combo, "imagesLocationCombo",
                      "Where the images are", form=imaging_form)
        self.form.addRow(self.imaging_group)

        # pathology
        self.pathology_group = QGroupBox("Pathology")
        self.pathology_group.setObjectName("pathologyGroup")
        pathology_form = QFormLayout(self.pathology_group)
        self.accession_edit = QLineEdit()
        self.accession_edit.setPlaceholderText("The lab's case number, for example S24-1234")
        self._add_row("&Accession number:", self.accession_edit, "accessionEdit", "Accession number",
                      form=pathology_form)
        self.specimen_site_edit = QLineEdit()
        self._add_row("S&pecimen site:", self.specimen_site_edit, "specimenSiteEdit", "Specimen site",
                      form=pathology_form)
        count_validator = QRegularExpressionValidator(r"\s*[0-9]{0,6}\s*", self)
        self.slides_edit = QLineEdit()
        self.blocks_edit = QLineEdit()
        for edit in (self.slides_edit, self.blocks_edit):
            edit.setValidator(count_validator)
            edit.setPlaceholderText("Number, or empty")
            edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("Number, or empty") + 40)
        self._add_row("S&lides:", self.slides_edit, "slidesEdit", "Number of slides", form=pathology_form)
        self._add_row("&Blocks:", self.blocks_edit, "blocksEdit", "Number of tissue blocks",
                      form=pathology_form)
        self.holder_edit = QLineEdit()
        self.holder_edit.setPlaceholderText("For example the hospital's pathology department")
        self._add_row("W&ho holds them:", self.holder_edit, "holderEdit", "Who holds the slides and blocks",
                      form=pathology_form)
        self.form.addRow(self.pathology_group)

        self.summary_edit = QPlainTextEdit()
        self.summary_edit.setTabChangesFocus(True)
        self.summary_edit.setPlaceholderText("A line or two: what the record says")
        lines = self.summary_edit.fontMetrics().lineSpacing()
        self.summary_edit.setFixedHeight(lines * 3 + 16)
        self._add_row("S&ummary:", self.summary_edit, "summaryEdit", "Summary")

        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setPlaceholderText("Anything worth keeping: who you spoke to, what is still to do…")
        self.notes_edit.setMinimumHeight(lines * 8 + 16)
        self.notes_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._add_row("Not&es:", self.notes_edit, "notesEdit", "Notes")

        scroll = QScrollArea()
        scroll.setObjectName("recordScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(form_widget)
        self.scroll = scroll

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Add record" if record is None else "Save")
        self.ok_button.setObjectName("okButton")
        self.ok_button.setToolTip("Enter, or Ctrl+Enter from the notes")
        self.cancel_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("cancelButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self, self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)

        # The tab order is the order the inputs were made in, top to bottom (a test walks it). The form scrolls,
        # so the buttons stay on a small screen with large text.

        if record is not None:
            self._load(record)
        else:
            self._select_data(self.kind_combo, (kind or RecordKind.OTHER).value)
            self.title_edit.setText(title)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        for button in self.status_buttons.values():
            button.toggled.connect(self._status_toggled)
        self._kind_changed()
        self._status_changed()
        self._watch_inputs()
        # As wide as the form needs (larger text needs more), as the screen allows; the form scrolls down.
        needed = max(self.form.sizeHint().width(), form_widget.minimumSizeHint().width())
        wide = max(660, needed + scroll.verticalScrollBar().sizeHint().width() + 32)
        fit_to_screen(self, wide, 820, min_width=560, min_height=600)
        self.title_edit.setFocus()

    def setVisible(self, visible: bool) -> None:
        super().setVisible(visible)
        if visible and self.record is not None:
            # Qt selects the whole title when the dialog opens; when editing, one stray key would replace it.
            self.title_edit.deselect()
            self.title_edit.end(False)

    # --- building -------------------------------------------------------------------------------------------

    def _add_row(
        self,
        text: str,
        widget: QWidget,
        object_name: str,
        accessible_name: str,
        *,
        buddy: QWidget | None = None,
        form: QFormLayout | None = None,
    ) -> QLabel:
        label = QLabel(text)
        label.setObjectName(f"{object_name}Label")
        target = buddy or widget
        target.setObjectName(object_name)
        target.setAccessibleName(accessible_name)
        label.setBuddy(target)
        (form or self.form).addRow(label, widget)
        return label

    def _name_combo(self, items: list[tuple[str, int, str]], placeholder: str) -> QComboBox:
        """An editable combo of existing names (data: id) that also takes a new name."""
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # Enter must not add the typed name as an item
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(20)
        for text, item_id, tip in items:
            combo.addItem(text, item_id)
            if tip:
                combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(-1)
        combo.lineEdit().setPlaceholderText(placeholder)
        combo.lineEdit().setClearButtonEnabled(True)
        # Suggest names containing what is typed, without changing the typed text (an inline completion would
        # silently turn a new "Samplewood" into an existing "Samplewood Imaging Center").
        completer = QCompleter(combo.model(), combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        combo.setCompleter(completer)
        return combo

    @staticmethod
    def _clinician_tip(clinician: Any) -> str:
        parts = [p for p in (clinician.specialty, clinician.facility_name) if p]
        return " — ".join(parts)

    @staticmethod
    def _select_data(combo: QComboBox, value: Any) -> bool:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)
        return index >= 0

    def _set_text(self, edit: QLineEdit | QPlainTextEdit, stored: str) -> None:
        """Fill a text input, remembering what it showed so that an untouched input gives back ``stored``
        exactly (QPlainTextEdit turns no-break spaces into spaces, for one)."""
        if isinstance(edit, QPlainTextEdit):
            edit.setPlainText(stored)
            self._loaded_text[edit.objectName()] = (edit.toPlainText(), stored)
        else:
            edit.setText(stored)

    def _load(self, record: RecordData) -> None:
        self._select_data(self.kind_combo, record.kind.value)
        self.title_edit.setText(record.title)
        self.date_field.set_date(record.date_of_service)
        if record.facility_id is None or not self._select_data(self.facility_combo, record.facility_id):
            self.facility_combo.setEditText(record.facility_name)
        if record.clinician_id is None or not self._select_data(self.clinician_combo, record.clinician_id):
            self.clinician_combo.setEditText(record.clinician_name)
        self.status_buttons[record.status].setChecked(True)
        self.requested_field.set_date(record.requested_on)
        self.received_field.set_date(record.received_on)
        self.sent_field.set_date(record.sent_on)
        self._set_text(self.summary_edit, record.summary)
        self._set_text(self.notes_edit, record.notes)
        if record.kind is RecordKind.IMAGING:
            modality = self.modality_combo.findData(record.imaging_modality)
            if modality >= 0:
                self.modality_combo.setCurrentIndex(modality)
            else:
                self.modality_combo.setEditText(record.imaging_modality)
            self.body_region_edit.setText(record.imaging_body_region)
            self._select_data(
                self.images_location_combo, record.images_location.value if record.images_location else ""
            )
        if record.kind is RecordKind.PATHOLOGY:
            self.accession_edit.setText(record.accession_number)
            self.specimen_site_edit.setText(record.specimen_site)
            self.slides_edit.setText("" if record.slides_count is None else str(record.slides_count))
            self.blocks_edit.setText("" if record.blocks_count is None else str(record.blocks_count))
            self.holder_edit.setText(record.material_holder)

    # --- live updates ---------------------------------------------------------------------------------------

    def kind(self) -> RecordKind:
        return RecordKind(self.kind_combo.currentData())

    def status(self) -> RecordStatus:
        return next(s for s, button in self.status_buttons.items() if button.isChecked())

    def _kind_changed(self) -> None:
        kind = self.kind()
        self.imaging_group.setVisible(kind is RecordKind.IMAGING)
        self.pathology_group.setVisible(kind is RecordKind.PATHOLOGY)
        self.clinician_label.setText(CLINICIAN_LABELS.get(kind, "&Clinician:"))

    def _status_toggled(self, checked: bool) -> None:
        if checked:
            self._status_changed()

    def _status_changed(self) -> None:
        """The three status dates are always there, in the order of the steps; those the status has not reached
        are greyed out (and left out of the tab order), so nothing moves when the status changes."""
        status = self.status()
        reached = _STATUS_ORDER.index(status)
        for step, field in self._status_fields.items():
            done = _STATUS_ORDER.index(step) <= reached
            field.setEnabled(done)
            if not done:
                field.edit.setPlaceholderText("not yet")
            else:
                field.edit.setPlaceholderText(
                    f"{DATE_PLACEHOLDER} — empty means today" if step is status else DATE_PLACEHOLDER
                )

    def _watch_inputs(self) -> None:
        """Every change of an input re-checks a shown problem, so the banner goes once it is fixed."""
        for edit in self.findChildren(QLineEdit):
            edit.textChanged.connect(self._input_changed)
        for text in (self.summary_edit, self.notes_edit):
            text.textChanged.connect(self._input_changed)
        for combo in self.findChildren(QComboBox):
            combo.currentIndexChanged.connect(self._input_changed)
        for button in self.status_buttons.values():
            button.toggled.connect(self._input_changed)

    def _input_changed(self, *_args: object) -> None:
        if self.error_label.isHidden():
            return
        problem = self.check()
        if problem is None or problem.message != self.error_label.text():
            self.error_label.hide()
            self.error_label.clear()

    # --- values ---------------------------------------------------------------------------------------------

    def _plain(self, edit: QPlainTextEdit) -> str:
        text = edit.toPlainText()
        shown, stored = self._loaded_text.get(edit.objectName(), (None, ""))
        return stored if text == shown else text

    def _facility_fields(self) -> dict[str, Any]:
        text = self.facility_combo.currentText()
        wanted = _key(text)
        if not wanted:
            return {"facility_id": None}
        for facility_id, name in self._facilities:
            if _key(name) == wanted:
                return {"facility_id": facility_id}
        return {"facility": text}

    def _clinician_fields(self) -> dict[str, Any]:
        combo = self.clinician_combo
        text = combo.currentText()
        wanted = _key(text)
        if not wanted:
            return {"clinician_id": None}
        index = combo.currentIndex()  # two clinicians may share a name: prefer the one chosen in the list
        if index >= 0 and _key(combo.itemText(index)) == wanted:
            return {"clinician_id": combo.itemData(index)}
        for clinician_id, name, display, _data in self._clinicians:
            if wanted in (_key(name), _key(display)):
                return {"clinician_id": clinician_id}
        return {"clinician": text}

    def _modality(self) -> str:
        text = self.modality_combo.currentText()
        wanted = _key(text)
        for shown, value in MODALITIES:
            if wanted in (_key(shown), _key(value)):
                return value
        return text

    @staticmethod
    def _count(edit: QLineEdit) -> int | str | None:
        text = edit.text().strip()
        if not text:
            return None
        return int(text) if text.isdigit() else text  # anything odd goes to the core, which explains

    def fields(self) -> dict[str, Any]:
        """The values as ``create_record(session, kind, title, **rest)`` / ``update_record`` take them.

        Keys are those of ``core.records.EDITABLE_FIELDS``. A facility or clinician typed with the name of an
        existing one (ignoring case) gives its id; a new name is sent by name, for the core to create. A date
        is a ``datetime.date`` when typed as a real YYYY-MM-DD date, else the typed text for the core to parse
        and refuse, None when empty or when the status has not reached that step. The imaging and pathology
        details come only for records of that kind. For an untouched record this equals ``record_fields``.
        """
        kind = self.kind()
        status = self.status()
        reached = _STATUS_ORDER.index(status)
        values: dict[str, Any] = {
            "kind": kind,
            "title": self.title_edit.text(),
            "date_of_service": self.date_field.value(),
            **self._facility_fields(),
            **self._clinician_fields(),
            "status": status,
        }
        for step, field in self._status_fields.items():
            values[STATUS_DATE_FIELD[step]] = field.value() if _STATUS_ORDER.index(step) <= reached else None
        values["summary"] = self._plain(self.summary_edit)
        values["notes"] = self._plain(self.notes_edit)
        if kind is RecordKind.IMAGING:
            location = self.images_location_combo.currentData()
            values.update(
                imaging_modality=self._modality(),
                imaging_body_region=self.body_region_edit.text(),
                images_location=ImagesLocation(location) if location else None,
            )
        if kind is RecordKind.PATHOLOGY:
            values.update(
                accession_number=self.accession_edit.text(),
                specimen_site=self.specimen_site_edit.text(),
                slides_count=self._count(self.slides_edit),
                blocks_count=self._count(self.blocks_edit),
                material_holder=self.holder_edit.text(),
            )
        return values

    # --- OK -------------------------------------------------------------------------------------------------

    def check(self) -> Problem | None:
        """The core's refusal of the fields (nothing is written), or None when they would be accepted."""
        try:
            check_record(self.folder, self.fields(), None if self.record is None else self.record.id)
        except SecondOpinionError as exc:  # kept as words only: the exception's frames would hold the dialog
            return Problem(str(exc), exc.field if isinstance(exc, ValidationError) else None)
        return None

    def accept(self) -> None:
        problem = self.check()
        if problem is None:
            self.error_label.hide()
            super().accept()
            return
        self.show_error(problem.message, problem.field)

    def inputs(self) -> dict[str, QWidget]:
        """The input of each field, by the service's parameter name (``ValidationError.field``)."""
        status = self.status_buttons[self.status()]
        return {
            "kind": self.kind_combo, "title": self.title_edit, "date_of_service": self.date_edit,
            "facility": self.facility_combo, "facility_id": self.facility_combo,
            "clinician": self.clinician_combo, "clinician_id": self.clinician_combo, "status": status,
            "requested_on": self.requested_edit, "received_on": self.received_edit, "sent_on": self.sent_edit,
            "summary": self.summary_edit, "notes": self.notes_edit, "imaging_modality": self.modality_combo,
            "imaging_body_region": self.body_region_edit, "images_location": self.images_location_combo,
            "accession_number": self.accession_edit, "specimen_site": self.specimen_site_edit,
            "slides_count": self.slides_edit, "blocks_count": self.blocks_edit, "material_holder": self.holder_edit,
        }

    def show_error(self, message: str, field: str | None = None) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        QAccessible.updateAccessibility(QAccessibleEvent(self.error_label, QAccessible.Event.Alert))
        widget = self.inputs().get(field) if field else None
        if widget is not None and widget.isVisibleTo(self):
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(widget, QLineEdit):
                widget.selectAll()
            self.scroll.ensureWidgetVisible(widget)


# The drop confirmation dialog lives in drop.py; tests/ui/test_fits_screen.py still imports it from here.
from secondopinion_desktop.ui.records.drop import DropImportDialog  # noqa: E402

__all__ = ["MODALITIES", "DropImportDialog", "RecordDialog"]
