"""The record dialog's values: a record put into its inputs, and its inputs read back as the fields the
records services take (``create_record`` / ``update_record`` / ``check_record``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit

from secondopinion_desktop.core.directory import facility_choice, name_key
from secondopinion_desktop.core.models import ImagesLocation, RecordKind, RecordStatus
from secondopinion_desktop.core.records import STATUS_DATE_FIELD, RecordData

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

STATUS_ORDER = list(RecordStatus)




class RecordValues:
    """Mixed into ``RecordDialog``, whose inputs it reads and fills."""

    _loaded_text: dict[str, tuple[str, str]]  # objectName → (text as shown, text as stored)
    _facilities: list[tuple[int, str]]
    _clinicians: list[tuple[int, str, str, Any]]

    def kind(self) -> RecordKind:
        return RecordKind(self.kind_combo.currentData())

    def status(self) -> RecordStatus:
        return next(s for s, button in self.status_buttons.items() if button.isChecked())

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

    def _plain(self, edit: QPlainTextEdit) -> str:
        text = edit.toPlainText()
        shown, stored = self._loaded_text.get(edit.objectName(), (None, ""))
        return stored if text == shown else text

    def _facility_fields(self) -> dict[str, Any]:
        return facility_choice(self.facility_combo.currentText(), self._facilities)

    def _clinician_fields(self) -> dict[str, Any]:
        combo = self.clinician_combo
        text = combo.currentText()
        wanted = name_key(text)
        if not wanted:
            return {"clinician_id": None}
        index = combo.currentIndex()  # two clinicians may share a name: prefer the one chosen in the list
        if index >= 0 and name_key(combo.itemText(index)) == wanted:
            return {"clinician_id": combo.itemData(index)}
        for clinician_id, name, display, _data in self._clinicians:
            if wanted in (name_key(name), name_key(display)):
                return {"clinician_id": clinician_id}
        return {"clinician": text}

    def _modality(self) -> str:
        text = self.modality_combo.currentText()
        wanted = name_key(text)
        for shown, value in MODALITIES:
            if wanted in (name_key(shown), name_key(value)):
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
        reached = STATUS_ORDER.index(status)
        values: dict[str, Any] = {
            "kind": kind,
            "title": self.title_edit.text(),
            "date_of_service": self.date_field.value(),
            **self._facility_fields(),
            **self._clinician_fields(),
            "status": status,
        }
        for step, field in self._status_fields.items():
            values[STATUS_DATE_FIELD[step]] = field.value() if STATUS_ORDER.index(step) <= reached else None
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
