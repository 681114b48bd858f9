"""The record dialog: adding or editing one record, every editable field in one form.

It never writes. It reads the directory for its combo boxes (``records.record_choices``) and checks the input
with ``records.check_record``, which runs the very service the caller will run and keeps nothing; the caller
then writes through an undoable command. A refusal names its input (``ValidationError.field``, the service's
parameter name); the dialog puts the cursor there.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import (
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
from secondopinion_desktop.core.records import RecordData, check_record, record_choices
from secondopinion_desktop.ui.records.record_values import MODALITIES, STATUS_ORDER, RecordValues
from secondopinion_desktop.ui.widgets.dates import DATE_PLACEHOLDER, DateField
from secondopinion_desktop.ui.widgets.forms import add_row, error_label, show_error
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

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

@dataclass(frozen=True)
class Problem:
    """Why the core refuses the form: its sentence, and the input it names (``ValidationError.field``)."""

    message: str
    field: str | None


class RecordDialog(RecordValues, QDialog):
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

        self.error_label = error_label()

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

    def _add_row(self, text: str, widget: QWidget, object_name: str, accessible_name: str, *,
                 buddy: QWidget | None = None, form: QFormLayout | None = None) -> QLabel:
        return add_row(form or self.form, text, widget, object_name, accessible_name, buddy=buddy)

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

    # --- live updates ---------------------------------------------------------------------------------------

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
        reached = STATUS_ORDER.index(status)
        for step, field in self._status_fields.items():
            done = STATUS_ORDER.index(step) <= reached
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
        show_error(self.error_label, message)
        widget = self.inputs().get(field) if field else None
        if widget is not None and widget.isVisibleTo(self):
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(widget, QLineEdit):
                widget.selectAll()
            self.scroll.ensureWidgetVisible(widget)
