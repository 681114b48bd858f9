"""The record dialog: adding or editing one record, every editable field in one form.

It never writes. It reads the directory for its combo boxes (``records.record_choices``) and checks the input
with ``records.check_record``, which runs the very service the caller will run and keeps nothing; the caller
then writes through an undoable command. A refusal names its input (``ValidationError.field``, the service's
parameter name); the dialog puts the cursor there.

A new record can take files ("Add files…", or dropped on the dialog): each is read in the background and what
its text suggests fills the fields the patient has not typed in, each such field marked "suggested" (a tint, the
word in its label, a tooltip saying where in the file it came from) until the patient changes it. Photos can be
turned and cropped before they are stored ("Rotate or crop…", ``photo_edit.py``). See ``from_file.py``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
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
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.directory import name_key
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

SKIPPED = 2  # the dialog's result when the patient skips this file ("Skip this file", several files)
SUGGESTED_STYLE = "background-color: #fff1bf; color: #202020;"
SUGGESTED_WORD = " (suggested)"
# the fields a file's text may suggest, in the order of the form
SUGGESTED_FIELDS = ("kind", "title", "date_of_service", "facility", "clinician", "accession_number")


def suggested_label(text: str) -> str:
    """A field's label with the word that marks it: "Date of service (suggested):", "Clinician (pathologist,
    suggested):"."""
    text = plain_label(text)
    bare = text.removesuffix(":")
    if bare.endswith(")"):
        return f"{bare[:-1]}, suggested):"
    return f"{bare}{SUGGESTED_WORD}:"


def plain_label(text: str) -> str:
    return text.replace(", suggested)", ")").replace(SUGGESTED_WORD, "")


@dataclass
class DialogFile:
    """A file the new record will have: the file chosen, and (a photo turned or cropped) the copies made of it
    in ``place``, a private folder removed when the dialog is done."""

    source: Path
    name: str
    edited: Path | None = None
    original: Path | None = None  # the original under "… (original).jpg", when it is kept beside the edit
    place: Path | None = None
    edit: Any = None  # the PhotoEdit last applied
    keep_original: bool = True

    def attach(self) -> list[Path]:
        if self.edited is None:
            return [self.source]
        return [self.edited] + ([self.original] if self.original is not None else [])


@dataclass
class Mark:
    """A field filled in from a file, until the patient changes it."""

    why: str
    tinted: list[QWidget] = dataclass_field(default_factory=list)


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
        hints: Sequence[Any] = (),
        place: tuple[int, int] | None = None,
        takes_files: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.record = record
        self.setObjectName("recordDialog")
        self.setWindowTitle("New record" if record is None else "Edit record")
        if place is not None:
            self.setWindowTitle(f"New record from file ({place[0]} of {place[1]})")
        elif hints:
            self.setWindowTitle("New record from file")
        self._files: list[DialogFile] = []
        self._marks: dict[str, Mark] = {}
        self._typed: set[str] = set()  # fields the patient changed: a file never fills them again
        self._filling = False
        self._status_touched = False
        self._reading: Any = None
        choices = record_choices(folder)
        self._facilities = [(f.id, f.name) for f in choices.facilities]
        self._clinicians = [(c.id, c.name, c.display_name, c) for c in choices.clinicians]
        self._loaded_text: dict[str, tuple[str, str]] = {}  # objectName → (text as shown, text as stored)

        self.error_label = error_label()
        self.note_label = QLabel()
        self.note_label.setObjectName("suggestionNote")
        self.note_label.setWordWrap(True)
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note_label.setAccessibleName("Filled in from the file")
        self.note_label.hide()

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

        self.files_list: QListWidget | None = None
        if record is None and (takes_files or hints):
            self._build_files_row()

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
        self.skip_button: QPushButton | None = None
        if place is not None:
            self.skip_button = self.buttons.addButton("Skip this file", QDialogButtonBox.ButtonRole.ActionRole)
            self.skip_button.setObjectName("skipButton")
            self.skip_button.setToolTip("No record for this file; go on to the next one")
            self.skip_button.clicked.connect(lambda: self.done(SKIPPED))
            if place[0] < place[1]:
                self.cancel_button.setText("Cancel the rest")
                self.cancel_button.setToolTip("No record for this file nor for the files after it")
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self, self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addWidget(self.note_label)
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
        self._watch_marks()
        if self.files_list is not None:
            self._files_first_in_tab_order()
        if self.files_list is not None:
            self.setAcceptDrops(True)
            for hint in hints:
                self.take_hint(hint)
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

    # --- files and what they suggest --------------------------------------------------------------------------

    def _build_files_row(self) -> None:
        box = QWidget()
        box.setObjectName("filesBox")
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.files_list = QListWidget()
        self.files_list.setObjectName("filesList")
        self.files_list.setAccessibleName("Files of the new record")
        lines = self.files_list.fontMetrics().lineSpacing()
        self.files_list.setFixedHeight(lines * 3 + 14)
        self.files_list.setWordWrap(True)
        self.files_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.files_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.files_list.currentRowChanged.connect(lambda _row: self._update_file_buttons())
        row.addWidget(self.files_list, 1)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.setObjectName("addFilesButton")
        self.add_files_button.setToolTip("Attach files to the new record; what their text says fills in the form "
                                         "(you can also drop files on this window)")
        self.add_files_button.clicked.connect(self.add_files_with_dialog)
        self.photo_button = QPushButton("Rotate or crop…")
        self.photo_button.setObjectName("rotateCropButton")
        self.photo_button.setToolTip("Turn, straighten or crop the selected photo before it is stored")
        self.photo_button.clicked.connect(self.edit_photo)
        self.remove_file_button = QPushButton("Remove file")
        self.remove_file_button.setObjectName("removeFileButton")
        self.remove_file_button.setToolTip("Leave the selected file out of the new record")
        self.remove_file_button.clicked.connect(self.remove_file)
        for button in (self.add_files_button, self.photo_button, self.remove_file_button):
            column.addWidget(button)
        row.addLayout(column)
        self.files_list.setFixedHeight(max(lines * 3 + 14, column.sizeHint().height()))
        label = QLabel("Files:")
        label.setObjectName("filesListLabel")
        label.setBuddy(self.files_list)
        box.setObjectName("filesBox")
        self.form.insertRow(0, label, box)  # where the record comes from, first (the Tab order follows)
        self._update_file_buttons()

    def _files_first_in_tab_order(self) -> None:
        """The files row is on top, so Tab goes files → the form → the buttons → the files again (the files
        were made after the notes: the buttons move to just after the notes)."""
        QWidget.setTabOrder(self.notes_edit, self.ok_button)
        QWidget.setTabOrder(self.ok_button, self.cancel_button)
        if self.skip_button is not None:
            QWidget.setTabOrder(self.cancel_button, self.skip_button)

    def _update_file_buttons(self) -> None:
        if self.files_list is None:
            return
        from secondopinion_desktop.core.documents.photo import is_photo

        chosen = self._chosen_file()
        self.remove_file_button.setEnabled(chosen is not None)
        self.photo_button.setEnabled(chosen is not None and is_photo(chosen.name))

    def _chosen_file(self) -> DialogFile | None:
        if self.files_list is None:
            return None
        row = self.files_list.currentRow()
        return self._files[row] if 0 <= row < len(self._files) else None

    def _show_files(self) -> None:
        assert self.files_list is not None
        from secondopinion_desktop.core.documents.photo import original_name

        current = self.files_list.currentRow()
        self.files_list.clear()
        for item in self._files:
            text = item.name
            if item.edited is not None:
                text = f"{item.edited.name} — turned or cropped" + (
                    f", with {original_name(item.name)}" if item.original is not None else "")
            entry = QListWidgetItem(text)
            entry.setToolTip(str(item.source))
            self.files_list.addItem(entry)
        if self._files:
            self.files_list.setCurrentRow(min(max(current, 0), len(self._files) - 1))
        self._update_file_buttons()

    def files_to_attach(self) -> list[Path]:
        """The files to attach, in order: each file as chosen, or its edited copy (and its original)."""
        return [path for item in self._files for path in item.attach()]

    def take_copies(self) -> list[Path]:
        """The private folders of edited photos: the caller removes them once the record is written."""
        places = [item.place for item in self._files if item.place is not None]
        for item in self._files:
            item.place = None
        return places

    def discard_copies(self) -> None:
        for place in self.take_copies():
            shutil.rmtree(place, ignore_errors=True)

    def add_files_with_dialog(self) -> None:
        from secondopinion_desktop.ui.records.from_file import choose_files

        paths = choose_files(self, "Add files to the new record")
        if paths:
            self.add_files(paths)

    def add_files(self, paths: Sequence[Path]) -> None:
        """Read these files in the background; each then joins the record and suggests what it can."""
        from secondopinion_desktop.ui.records.from_file import attachable, start_reading

        good = attachable(self, paths)
        if good:
            self._reading = start_reading(self, self.folder, good, self._read)

    def _read(self, hints: list[Any]) -> None:
        for hint in hints:
            self.take_hint(hint)

    def take_hint(self, hint: Any) -> None:
        """A file read (``from_file.FileHints``): it joins the record and fills the untouched fields."""
        self._files.append(DialogFile(hint.path, hint.name))
        if self.files_list is not None:
            self._show_files()
        if not self._status_touched:
            self._filling = True
            self.status_buttons[RecordStatus.RECEIVED].setChecked(True)  # the patient has it
            self._filling = False
        self.apply_suggestions(hint.suggestions, hint.name, hint.unreadable)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.files_list is not None and event.mimeData().hasUrls() and \
                any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if self.files_list is None or not paths:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        from secondopinion_desktop.ui.ops import later

        later(lambda: self.add_files(paths))  # after the drop has finished, not inside it

    def remove_file(self) -> None:
        chosen = self._chosen_file()
        if chosen is None:
            return
        self._files.remove(chosen)
        if chosen.place is not None:
            shutil.rmtree(chosen.place, ignore_errors=True)
        self._show_files()

    def edit_photo(self) -> None:
        """Rotate or crop…: the photo editor on the selected photo; its result is saved in a private folder,
        read again, and suggests what the untouched fields still lack."""
        from secondopinion_desktop.ui.ops import run_op
        from secondopinion_desktop.ui.records.photo_edit import load_preview

        chosen = self._chosen_file()
        if chosen is None:
            return

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, SecondOpinionError):
                self.show_error(str(exc))
                return True
            return False

        self._reading = run_op(self, lambda _control: load_preview(chosen.source), name="open a photo",
                               writes=False, label=f"Opening {chosen.name}…", title="Rotate or crop",
                               on_success=lambda preview: self._edit_photo(chosen, preview), on_failure=failed)

    def _edit_photo(self, chosen: DialogFile, preview: Any) -> None:
        from secondopinion_desktop.ui.records.photo_edit import PhotoEditDialog, prepare_edited

        if chosen not in self._files:
            return
        editor = PhotoEditDialog(chosen.source, edit=chosen.edit, keep_original=chosen.keep_original,
                                 preview=preview, parent=self)
        accepted = editor.exec() == PhotoEditDialog.DialogCode.Accepted
        edit, keep = editor.edit(), editor.keep_original()
        editor.deleteLater()
        if not accepted:
            return
        self._reading = prepare_edited(self, self.folder, chosen, edit, keep, self._photo_edited)

    def _photo_edited(self, item: DialogFile, hint: Any) -> None:
        if item in self._files:
            self._show_files()
            if hint is not None:
                self.apply_suggestions(hint.suggestions, hint.name, hint.unreadable, again=True)

    # --- suggestions and their marks ----------------------------------------------------------------------

    def _mark_targets(self, name: str) -> tuple[QWidget, list[QWidget], QWidget]:
        """(the input, the widgets tinted, the label's buddy) of a suggested field."""
        targets: dict[str, tuple[QWidget, list[QWidget], QWidget]] = {
            "kind": (self.kind_combo, [self.kind_combo], self.kind_combo),
            "title": (self.title_edit, [self.title_edit], self.title_edit),
            "date_of_service": (self.date_edit, [self.date_edit], self.date_edit),
            "facility": (self.facility_combo, [self.facility_combo.lineEdit()], self.facility_combo),
            "clinician": (self.clinician_combo, [self.clinician_combo.lineEdit()], self.clinician_combo),
            "accession_number": (self.accession_edit, [self.accession_edit], self.accession_edit),
        }
        return targets[name]

    def _label_of(self, buddy: QWidget) -> QLabel | None:
        return next((label for label in self.findChildren(QLabel) if label.buddy() is buddy), None)

    def _empty(self, name: str) -> bool:
        if name == "kind":
            return self.kind() is RecordKind.OTHER
        if name == "title":
            return not self.title_edit.text().strip()
        if name == "date_of_service":
            return not self.date_edit.text().strip()
        if name == "facility":
            return not self.facility_combo.currentText().strip()
        if name == "clinician":
            return not self.clinician_combo.currentText().strip()
        return not self.accession_edit.text().strip()

    def apply_suggestions(self, suggestions: Any, file_name: str, unreadable: str = "", *,
                          again: bool = False) -> None:
        """Fill each empty field the file suggests, and mark it; say in one line where the suggestions came from
        (and why only from the file's name). A field the patient typed in is never filled; one an earlier file
        filled is kept, unless ``again`` (the same file read again, a photo once turned or cropped)."""
        filled: list[str] = []
        items = list(suggestions.items()) if suggestions is not None else []
        for item in sorted(items, key=lambda s: SUGGESTED_FIELDS.index(s.field)
                           if s.field in SUGGESTED_FIELDS else len(SUGGESTED_FIELDS)):
            name = item.field
            if name not in SUGGESTED_FIELDS or name in self._typed or item.value in (None, ""):
                continue
            if not self._empty(name) and not (again and name in self._marks):
                continue  # filled in already (by an earlier file, or the caller)
            why = self._fill(name, item.value, item.why)
            if why:
                self._mark(name, why)
                filled.append(name)
        if unreadable:
            text = f"The text of {file_name} could not be read: {unreadable.rstrip('.')}. Only its name gave hints."
            from secondopinion_desktop.core.documents.photo import is_photo

            if is_photo(file_name) and self.files_list is not None:
                text += " A sideways photo is read again once turned (Rotate or crop…)."
        elif filled:
            text = (f"Filled in from {file_name}: check the fields marked suggested (hover over one to see where "
                    "it came from).")
        else:
            text = f"{file_name} suggested nothing more to fill in."
        self.note_label.setText(text)
        self.note_label.setToolTip(text)
        self.note_label.show()

    def _fill(self, name: str, value: Any, why: str) -> str:
        """Put a suggested value into its input; the tooltip's text ("" when the value does not fit)."""
        self._filling = True
        try:
            if name == "kind":
                kind = value if isinstance(value, RecordKind) else RecordKind(str(value))
                if not self._select_data(self.kind_combo, kind.value):
                    return ""
            elif name == "title":
                self.title_edit.setText(str(value))
            elif name == "date_of_service":
                self.date_field.set_date(value if isinstance(value, dt.date) else None)
                if not isinstance(value, dt.date):
                    self.date_edit.setText(str(value))
            elif name == "facility":
                index = next((i for i in range(self.facility_combo.count())
                              if name_key(self.facility_combo.itemText(i)) == name_key(str(value))), -1)
                self.facility_combo.setCurrentIndex(index)
                if index < 0:
                    self.facility_combo.setEditText(str(value))
                    return f"{why}\nA new facility: it joins the directory when you add the record."
                return f"{why}\nA facility already in your directory."
            elif name == "clinician":
                wanted = name_key(str(value))
                known = next((cid for cid, cname, display, _c in self._clinicians
                              if wanted in (name_key(cname), name_key(display))), None)
                index = self.clinician_combo.findData(known) if known is not None else -1
                self.clinician_combo.setCurrentIndex(index)
                if index < 0:
                    self.clinician_combo.setEditText(str(value))
                    return f"{why}\nA new clinician: added to the directory when you add the record."
            elif name == "accession_number":
                self.accession_edit.setText(str(value))
        finally:
            self._filling = False
        return why or "Suggested from the file."

    def _mark(self, name: str, why: str) -> None:
        self._unmark(name)
        widget, tinted, buddy = self._mark_targets(name)
        mark = Mark(why, [w for w in tinted if w is not None])
        for w in mark.tinted:
            w.setProperty("suggested", True)
            w.setStyleSheet(SUGGESTED_STYLE)
        tip = f"Suggested — {why}"
        widget.setToolTip(tip)
        widget.setAccessibleDescription(tip)
        label = self._label_of(buddy)
        if label is not None:
            label.setText(suggested_label(label.text()))
            label.setToolTip(tip)
        self._marks[name] = mark

    def _unmark(self, name: str) -> None:
        mark = self._marks.pop(name, None)
        if mark is None:
            return
        widget, _tinted, buddy = self._mark_targets(name)
        for w in mark.tinted:
            w.setProperty("suggested", False)
            w.setStyleSheet("")
        widget.setToolTip("")
        widget.setAccessibleDescription("")
        label = self._label_of(buddy)
        if label is not None:
            label.setText(plain_label(label.text()))
            label.setToolTip("")

    def suggested(self) -> dict[str, str]:
        """The fields still marked suggested, with where each came from."""
        return {name: mark.why for name, mark in self._marks.items()}

    def _watch_marks(self) -> None:
        """A field the patient changes is theirs: its mark goes, and no file fills it again."""
        def edited(name: str) -> Any:
            return lambda *_args: self._edited(name)

        self.kind_combo.currentIndexChanged.connect(edited("kind"))
        self.title_edit.textChanged.connect(edited("title"))
        self.date_edit.textChanged.connect(edited("date_of_service"))
        for name, combo in (("facility", self.facility_combo), ("clinician", self.clinician_combo)):
            combo.currentIndexChanged.connect(edited(name))
            combo.editTextChanged.connect(edited(name))
        self.accession_edit.textChanged.connect(edited("accession_number"))
        for button in self.status_buttons.values():
            button.toggled.connect(lambda _checked: self._status_edited())

    def _edited(self, name: str) -> None:
        if self._filling:
            return
        self._typed.add(name)
        self._unmark(name)

    def _status_edited(self) -> None:
        if not self._filling:
            self._status_touched = True

    def done(self, result: int) -> None:
        super().done(result)
        if result != QDialog.DialogCode.Accepted:
            self.discard_copies()
        if self._reading is not None and not self._reading.done:
            self._reading.cancel()

    # --- live updates ---------------------------------------------------------------------------------------

    def _kind_changed(self) -> None:
        kind = self.kind()
        self.imaging_group.setVisible(kind is RecordKind.IMAGING)
        self.pathology_group.setVisible(kind is RecordKind.PATHOLOGY)
        text = CLINICIAN_LABELS.get(kind, "&Clinician:")
        self.clinician_label.setText(suggested_label(text) if "clinician" in self._marks else text)

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
        if self._reading is not None and not self._reading.done:
            self.show_error("A file is still being read: wait a moment, then add the record.")
            return
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
