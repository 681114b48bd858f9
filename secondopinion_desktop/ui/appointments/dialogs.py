"""Dialogs of the Appointments tab: an appointment, the clinicians directory, the patient profile and the
treatment history.

Each input is checked by running the very service that will store it in a ``dry_run()`` session (always rolled
back); a refusal shows the core's message in a red banner and the dialog stays open. ``AppointmentDialog``
only checks (the tab stores); the directory, profile and history dialogs store what the user confirms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import appointments as appt_svc
from secondopinion_desktop.core import directory, profile, treatments
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import ClinicianRole, TreatmentKind
from secondopinion_desktop.ui.widgets.dates import DateField, DateTimeField
from secondopinion_desktop.ui.widgets.forms import add_row, error_label, show_error
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

SPECIALTIES = (
    "Medical oncology",
    "Radiation oncology",
    "Surgical oncology",
    "Pathology",
    "Radiology",
    "Primary care",
    "Other",
)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setObjectName("okButton")
    ok.setToolTip("Enter, or Ctrl+Enter from a text box")
    box.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    for sequence in ("Ctrl+Return", "Ctrl+Enter"):
        QShortcut(QKeySequence(sequence), dialog, dialog.accept)
    return box


def _text_box(lines: int, placeholder: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setPlaceholderText(placeholder)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 16)
    return edit


def _focus_field(dialog: QDialog, message: str, words: tuple[tuple[str, str], ...]) -> None:
    """Put the cursor in the input the core's message is about (the first one it names)."""
    lowered = message.casefold()
    found = [(lowered.find(w), name) for w, name in words if w in lowered]
    if found:
        widget = dialog.findChild(QWidget, min(found)[1])
        if widget is not None and widget.isVisibleTo(dialog):
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(widget, QLineEdit):
                widget.selectAll()


def _remember_size(dialog: QDialog, key: str, width: int, height: int) -> None:
    """The size the dialog had when last closed, or ``width`` × ``height``; never more than the screen has room
    for. Only the size is kept: Qt places a dialog over its window, on the screen."""
    remembered = QSettings().value(f"appointments/{key}Size")
    if isinstance(remembered, QSize) and remembered.isValid():
        width, height = remembered.width(), remembered.height()
    fit_to_screen(dialog, width, height, min_width=min(width, 420), min_height=min(height, 300))
    dialog.finished.connect(lambda _r: QSettings().setValue(f"appointments/{key}Size", dialog.size()))


def _lay_out(dialog: QDialog, error: QLabel, form: QFormLayout, buttons: QDialogButtonBox, *, width: int,
             min_width: int) -> None:
    """The error banner, the form in a scroll area (so the buttons stay in sight on a small screen or with large
    text) and the buttons; as tall as the form needs, as far as the screen allows."""
    body = QWidget()
    body_layout = QVBoxLayout(body)
    body_layout.setContentsMargins(0, 0, 0, 0)
    body_layout.addLayout(form)
    body_layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setObjectName("formScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(body)
    layout = QVBoxLayout(dialog)
    layout.addWidget(error)
    layout.addWidget(scroll, 1)
    layout.addWidget(buttons)
    margins = layout.contentsMargins()
    wanted = body.sizeHint()
    height = (wanted.height() + buttons.sizeHint().height() + 2 * layout.spacing() + margins.top()
              + margins.bottom() + 4)
    fit_to_screen(dialog, max(width, wanted.width() + margins.left() + margins.right()), height,
                  min_width=min_width, min_height=min(height, 260))


# --- appointment ----------------------------------------------------------------------------------------------

class AppointmentDialog(QDialog):
    """A new appointment (``appointment`` None) or an existing one: when, with whom, where, why, who comes.

    ``fields()`` gives the values as ``create_appointment`` / ``update_appointment`` take them; OK checks them
    in a dry run and stays open with the message when the core refuses them. The caller stores them.
    """

    _ERROR_FIELDS = (
        ("appointment time", "whenEdit"),
        ("clinician", "clinicianCombo"),
        ("place", "placeEdit"),
        ("purpose", "purposeEdit"),
        ("who comes along", "attendeesEdit"),
    )

    def __init__(
        self, folder: DataFolder, appointment: appt_svc.AppointmentData | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.appointment = appointment
        self.clinician_added = False
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
        self.purpose_edit = _text_box(4, "Why you are going, for example “second opinion on the treatment plan”")
        add_row(form, "P&urpose:", self.purpose_edit, "purposeEdit", "Purpose")
        self.attendees_edit = QLineEdit()
        self.attendees_edit.setPlaceholderText("For example a partner, a friend, an interpreter")
        add_row(form, "&Who comes along:", self.attendees_edit, "attendeesEdit", "Who comes along")

        self.buttons = _buttons(self, "Add appointment" if appointment is None else "Save")
        _lay_out(self, self.error_label, form, self.buttons, width=680, min_width=560)

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
        with self.folder.dry_run() as session:
            clinicians = directory.list_clinicians(session)
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
        self.weekday_label.setText(f"{moment:%A}" if moment else "")

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
            with self.folder.session() as session:
                made = directory.create_clinician(session, **dialog.fields())
        except SecondOpinionError as exc:
            show_error(self.error_label, str(exc))
            return
        self.clinician_added = True
        self._load_clinicians(made.id)

    def fields(self) -> dict[str, Any]:
        return {
            "starts_at": self.when_edit.value(),
            "clinician_id": self.clinician_combo.currentData(),
            "place": self.place_edit.text(),
            "purpose": self.purpose_edit.toPlainText(),
            "attendees": self.attendees_edit.text(),
        }

    def check(self) -> str | None:
        values = self.fields()
        try:
            with self.folder.dry_run() as session:
                if self.appointment is None:
                    appt_svc.create_appointment(session, **values)
                else:
                    appt_svc.update_appointment(session, self.appointment.id, **values)
        except SecondOpinionError as exc:
            return str(exc)
        return None

    def accept(self) -> None:
        message = self.check()
        if message is None:
            super().accept()
            return
        show_error(self.error_label, message)
        _focus_field(self, message, self._ERROR_FIELDS)


# --- clinicians -----------------------------------------------------------------------------------------------

class ClinicianDialog(QDialog):
    """A clinician's details; ``fields()`` as ``create_clinician`` / ``update_clinician`` take them."""

    _ERROR_FIELDS = (
        ("name", "nameEdit"),
        ("specialty", "specialtyCombo"),
        ("credentials", "credentialsEdit"),
        ("board certification", "boardEdit"),
        ("facility", "facilityCombo"),
        ("phone", "phoneEdit"),
        ("email", "emailEdit"),
        ("address", "addressEdit"),
        ("role", "roleCombo"),
        ("notes", "notesEdit"),
    )

    def __init__(
        self, folder: DataFolder, clinician: directory.ClinicianData | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.clinician = clinician
        self.setObjectName("clinicianDialog")
        self.setWindowTitle("New clinician" if clinician is None else f"Edit {clinician.display_name}")
        with folder.dry_run() as session:
            self._facilities = [(f.id, f.name) for f in directory.list_facilities(session)]
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
        self.address_edit = _text_box(3)
        add_row(form, "A&ddress:", self.address_edit, "addressEdit", "Address")
        self.role_combo = QComboBox()
        for role in ClinicianRole:
            self.role_combo.addItem(role.label, role.value)
        add_row(form, "R&ole:", self.role_combo, "roleCombo", "Role in your care")
        self.notes_edit = _text_box(3, "For example the nurse navigator's name and number")
        add_row(form, "No&tes:", self.notes_edit, "notesEdit", "Notes")

        self.buttons = _buttons(self, "Add clinician" if clinician is None else "Save")
        _lay_out(self, self.error_label, form, self.buttons, width=600, min_width=480)
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
        text = self.facility_combo.currentText()
        wanted = _key(text)
        if not wanted:
            return {"facility_id": None}
        for facility_id, name in self._facilities:
            if _key(name) == wanted:
                return {"facility_id": facility_id}
        return {"facility": text}  # a new one: the core creates it by name

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
        values = self.fields()
        try:
            with self.folder.dry_run() as session:
                if self.clinician is None:
                    directory.create_clinician(session, **values)
                else:
                    directory.update_clinician(session, self.clinician.id, **values)
        except SecondOpinionError as exc:
            show_error(self.error_label, str(exc))
            _focus_field(self, str(exc), self._ERROR_FIELDS)
            return
        super().accept()


class _TableDialog(QDialog):
    """A table of items with Add / Edit (and, where items can go, Delete) — the directory and the history.

    Subclasses name the columns, read the items and turn one into cells; adding and editing open their own
    item dialog and hand ``_store`` the core call that writes it.
    """

    COLUMNS: tuple[str, ...] = ()
    WIDTHS: tuple[int, ...] = ()
    TITLE = ""

    def __init__(
        self, folder: DataFolder, parent: QWidget | None, *, name: str, table_name: str, table_label: str,
        intro: str, add_text: str, edit_label: str, delete_label: str | None, size: tuple[int, int],
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.changed = False
        self.items: list[Any] = []
        self.setObjectName(name)
        self.setWindowTitle(self.TITLE)
        intro_label = QLabel(intro)
        intro_label.setWordWrap(True)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName(table_name)
        self.table.setAccessibleName(table_label)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._edit_from_index)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.edit_item)
        self.add_button = QPushButton(add_text)
        self.add_button.setAccessibleName(add_text.replace("&", "").rstrip("…"))
        self.add_button.clicked.connect(self.add_item)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setAccessibleName(edit_label)
        self.edit_button.clicked.connect(self.edit_item)
        buttons = [self.add_button, self.edit_button]
        self.delete_button: QPushButton | None = None
        if delete_label is not None:
            self.delete_button = QPushButton("&Delete")
            self.delete_button.setAccessibleName(delete_label)
            self.delete_button.clicked.connect(self.delete_item)
            delete = QShortcut(QKeySequence.StandardKey.Delete, self.table)
            delete.setContext(Qt.ShortcutContext.WidgetShortcut)
            delete.activated.connect(self.delete_item)
            buttons.append(self.delete_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        QShortcut(QKeySequence.StandardKey.New, self, self.add_item)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.reload()
        _remember_size(self, name, *size)
        self.table.setFocus()

    # --- what subclasses provide -------------------------------------------------------------------------------

    def load(self, session: Any) -> list[Any]:
        raise NotImplementedError

    def cells(self, item: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def add_item(self) -> None:
        raise NotImplementedError

    def edit_item(self) -> None:
        raise NotImplementedError

    def delete_item(self) -> None:
        pass

    # --- shared ------------------------------------------------------------------------------------------------

    def _edit_from_index(self, _index: object) -> None:
        self.edit_item()

    def reload(self, select: int | None = None) -> None:
        with self.folder.dry_run() as session:
            self.items = self.load(session)
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            for column, text in enumerate(self.cells(item)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                cell.setData(Qt.ItemDataRole.UserRole, item.id)
                self.table.setItem(row, column, cell)
            if item.id == select:
                self.table.selectRow(row)
        for column, width in enumerate(self.WIDTHS):
            self.table.setColumnWidth(column, width)
        if select is None and self.items and not self.table.selectedItems():
            self.table.selectRow(0)
        self._update_buttons()

    def current(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        for button in (self.edit_button, self.delete_button):
            if button is not None:
                button.setEnabled(self.current() is not None)

    def _store(self, write) -> None:  # type: ignore[no-untyped-def]
        """Run ``write(session)`` (a core call returning the stored item); show a refusal, else select it."""
        try:
            with self.folder.session() as session:
                stored = write(session)
        except SecondOpinionError as exc:
            QMessageBox.warning(self, self.TITLE, str(exc))
            return
        self.changed = True
        self.reload(select=stored.id if stored is not None else None)


class CliniciansDialog(_TableDialog):
    """The clinicians directory: every doctor the records and appointments point at, to add and edit.

    There is no delete: records and appointments refer to clinicians, and the core offers no safe removal.
    """

    COLUMNS = ("Name", "Specialty", "Credentials", "Institution", "Role")
    WIDTHS = (190, 210, 90, 230)
    TITLE = "Clinicians directory"

    def __init__(self, folder: DataFolder, parent: QWidget | None = None) -> None:
        super().__init__(
            folder, parent, name="cliniciansDialog", table_name="cliniciansTable", table_label="Clinicians",
            intro="The doctors in your care and the ones you see for a second opinion. Records and "
                  "appointments refer to them, so they cannot be deleted here.",
            add_text="&Add clinician…", edit_label="Edit the selected clinician", delete_label=None,
            size=(880, 440),
        )
        self.add_button.setObjectName("addClinicianButton")
        self.edit_button.setObjectName("editClinicianButton")

    @property
    def clinicians(self) -> list[directory.ClinicianData]:
        return self.items

    def load(self, session: Any) -> list[directory.ClinicianData]:
        return directory.list_clinicians(session)

    def cells(self, c: directory.ClinicianData) -> tuple[str, ...]:
        return (c.name, c.specialty, c.credentials, c.facility_name, c.role.label)

    def add_item(self) -> None:
        dialog = ClinicianDialog(self.folder, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self._store(lambda s: directory.create_clinician(s, **values))

    def edit_item(self) -> None:
        clinician = self.current()
        if clinician is None:
            return
        dialog = ClinicianDialog(self.folder, clinician, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self._store(lambda s: directory.update_clinician(s, clinician.id, **values))

    add_clinician = add_item
    edit_clinician = edit_item


# --- profile --------------------------------------------------------------------------------------------------

class ProfileDialog(QDialog):
    """Every field of the patient profile, checked with ``save_profile`` in a dry run and stored on OK; beside
    it, the doctors currently treating the patient (from the directory, read-only)."""

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
        with folder.dry_run() as session:
            self.loaded = profile.get_profile(session)
            treating = directory.list_clinicians(session, ClinicianRole.TREATING)
        self.error_label = error_label()
        self.inputs: dict[str, QLineEdit | QPlainTextEdit | DateField] = {}

        def line(name: str, label: str, placeholder: str, form: QFormLayout) -> None:
            edit = QLineEdit(getattr(self.loaded, name))
            edit.setPlaceholderText(placeholder)
            add_row(form, label, edit, f"{name}Edit", label.replace("&", "").rstrip(":"))
            self.inputs[name] = edit

        def text(name: str, label: str, placeholder: str, form: QFormLayout) -> None:
            edit = _text_box(3 if name == "address" else 4, placeholder)
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
        self.buttons = _buttons(self, "Save")
        layout = QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        _remember_size(self, "profileDialog", 640, 760)
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
        try:
            with self.folder.dry_run() as session:
                profile.save_profile(session, **changes)
            if changes:
                with self.folder.session() as session:
                    profile.save_profile(session, **changes)
                self.saved = changes
        except SecondOpinionError as exc:
            show_error(self.error_label, str(exc))
            words = tuple((label.replace("&", "").rstrip(":").casefold(), f"{name}Edit")
                          for name, label, _h in self.LINES + self.TEXTS) + tuple(
                (label.replace("&", "").rstrip(":").casefold(), f"{name}Edit") for name, label in self.DATES)
            _focus_field(self, str(exc), words)
            return
        super().accept()


# --- treatment history ----------------------------------------------------------------------------------------

class TreatmentLineDialog(QDialog):
    """One line of treatment; ``fields()`` as ``create_treatment_line`` / ``update_treatment_line`` take them."""

    _ERROR_FIELDS = (
        ("treatment kind", "kindCombo"),
        ("description", "descriptionEdit"),
        ("start date", "startEdit"),
        ("end date", "endEdit"),
        ("response", "responseEdit"),
    )

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
        self.buttons = _buttons(self, "Add treatment" if line is None else "Save")
        _lay_out(self, self.error_label, form, self.buttons, width=560, min_width=440)
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
        values = self.fields()
        try:
            with self.folder.dry_run() as session:
                if self.line is None:
                    treatments.create_treatment_line(session, **values)
                else:
                    treatments.update_treatment_line(session, self.line.id, **values)
        except SecondOpinionError as exc:
            show_error(self.error_label, str(exc))
            _focus_field(self, str(exc), self._ERROR_FIELDS)
            return
        super().accept()


def _date_text(day: dt.date | None, empty: str = "") -> str:
    return day.isoformat() if day else empty


class TreatmentHistoryDialog(_TableDialog):
    """The treatment history: each line of treatment with its dates and response; add, edit, delete."""

    COLUMNS = ("Kind", "Description", "Start", "End", "Response")
    WIDTHS = (130, 240, 95, 95)
    TITLE = "Treatment history"

    def __init__(self, folder: DataFolder, parent: QWidget | None = None) -> None:
        super().__init__(
            folder, parent, name="treatmentHistoryDialog", table_name="treatmentTable",
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
    def lines(self) -> list[treatments.TreatmentLineData]:
        return self.items

    def load(self, session: Any) -> list[treatments.TreatmentLineData]:
        return treatments.list_treatment_lines(session)

    def cells(self, t: treatments.TreatmentLineData) -> tuple[str, ...]:
        return (t.kind.label, t.description, _date_text(t.start_date),
                _date_text(t.end_date, "ongoing" if t.start_date else ""), t.response)

    def add_item(self) -> None:
        dialog = TreatmentLineDialog(self.folder, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self._store(lambda s: treatments.create_treatment_line(s, **values))

    def edit_item(self) -> None:
        line = self.current()
        if line is None:
            return
        dialog = TreatmentLineDialog(self.folder, line, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.fields()
            self._store(lambda s: treatments.update_treatment_line(s, line.id, **values))

    def delete_item(self) -> None:
        line = self.current()
        if line is None:
            return
        what = f"{line.kind.label}" + (f" — {line.description}" if line.description else "")
        when = f" (from {line.start_date.isoformat()})" if line.start_date else ""
        answer = QMessageBox.question(
            self, "Delete treatment", f"Delete “{what}”{when} from the treatment history?\n\nThis cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            def delete(session: Any) -> None:
                treatments.delete_treatment_line(session, line.id)

            self._store(delete)

    add_line = add_item
    edit_line = edit_item
    delete_line = delete_item
