"""The small dialogs of a request's steps: Mark sent, Log a call, Extension, Mark received, Refused.

Each is given the core call that stores it (``store(values)``, a call with the data folder); OK runs it, and a
refusal (``ValidationError``) stays in the dialog: its sentence in the banner, the cursor on the input it names,
nothing changed. ``result`` holds the stored request once the dialog is accepted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RequestEventKind, RequestVia
from secondopinion_desktop.core.settings import DEFAULT_DUE_DAYS
from secondopinion_desktop.core.words import day_month_year, plural
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import lay_out_form, ok_cancel, refuse, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label

Store = Callable[[dict[str, Any]], Any]

FEDERAL_LIMIT = (f"The federal right of access gives a facility {DEFAULT_DUE_DAYS} days to act on a written "
                 "request (45 CFR 164.524(b)(2)); some states allow fewer.")


def hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("hintLabel")
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


class StepDialog(QDialog):
    """A form whose OK stores one step through ``store``; see the module's docstring."""

    OK_TEXT = "Save"

    def __init__(self, q: svc.RequestData, store: Store, parent: QWidget | None, *, name: str, title: str) -> None:
        super().__init__(parent)
        self.request = q
        self.store = store
        self.result: Any = None
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.error_label = error_label()
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.inputs: dict[str, QWidget] = {}

    def finish_layout(self, width: int = 520) -> None:
        self.buttons = ok_cancel(self, self.OK_TEXT)
        lay_out_form(self, self.error_label, self.form, self.buttons, width=width, min_width=min(width, 420))

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def accept(self) -> None:
        try:
            self.result = self.store(self.values())
        except SecondOpinionError as exc:
            refuse(self.error_label, self.inputs, exc)
            return
        super().accept()


def today_field(name: str, accessible: str) -> DateField:
    field = DateField(name, accessible)
    field.set_date(dt.date.today())
    return field


class MarkSentDialog(StepDialog):
    """The day it went, how, and when the answer is due (sent + the folder's due days, editable)."""

    OK_TEXT = "Mark sent"

    def __init__(self, q: svc.RequestData, due_days: int, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(q, store, parent, name="markSentDialog", title=f"Mark sent — {q.facility_name}")
        self.due_days = due_days
        self.sent_field = today_field("sentOnEdit", "Date sent")
        add_row(self.form, "Sent &on:", self.sent_field, "sentOnField", "Date sent", buddy=self.sent_field.edit)
        self.via_combo = QComboBox()
        for via in RequestVia:
            self.via_combo.addItem(via.label, via.value)
        add_row(self.form, "Sent &by:", self.via_combo, "sentViaCombo", "Sent by")
        self.due_field = DateField("dueOnEdit", "Due date")
        add_row(self.form, "&Due:", self.due_field, "dueOnField", "Due date", buddy=self.due_field.edit)
        self.due_hint = hint("")
        self.form.addRow("", self.due_hint)
        self.note_edit = text_box(3, "For example the fax confirmation number")
        add_row(self.form, "&Note:", self.note_edit, "sentNoteEdit", "Note")
        self.inputs = {"sent_on": self.sent_field, "on": self.sent_field, "sent_via": self.via_combo,
                       "due_on": self.due_field, "note": self.note_edit}
        self._due_typed = False
        self.due_field.edit.textEdited.connect(lambda _text: setattr(self, "_due_typed", True))
        self.sent_field.edit.textChanged.connect(lambda _text: self._follow_sent())
        self._follow_sent()
        self.finish_layout()
        self.sent_field.setFocus()

    def _follow_sent(self) -> None:
        sent = self.sent_field.value()
        if isinstance(sent, dt.date) and not self._due_typed:
            self.due_field.set_date(svc.due_date(sent, self.due_days))
        self.due_hint.setText(f"{plural(self.due_days, 'day')} after it was sent, the default of this folder "
                              f"(change it beside the requests list). {FEDERAL_LIMIT}")

    def values(self) -> dict[str, Any]:
        return {"on": self.sent_field.value(), "via": RequestVia(self.via_combo.currentData()),
                "due_on": self.due_field.value(), "note": self.note_edit.toPlainText()}


class LogCallDialog(StepDialog):
    """Whom the patient spoke to and what they said; Enter saves."""

    def __init__(self, q: svc.RequestData, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(q, store, parent, name="logCallDialog", title=f"Log a call — {q.facility_name}")
        self.kind_combo = QComboBox()
        kinds = [RequestEventKind.CALLED, *sorted(svc.LOGGED_BY_HAND - {RequestEventKind.CALLED},
                                                   key=lambda k: list(RequestEventKind).index(k))]
        for kind in kinds:
            self.kind_combo.addItem(kind.label, kind.value)
        add_row(self.form, "&What:", self.kind_combo, "eventKindCombo", "Kind of entry")
        self.who_edit = QLineEdit()
        self.who_edit.setPlaceholderText("For example “Dana at the records desk”")
        add_row(self.form, "Spoke &to:", self.who_edit, "whoEdit", "Whom you spoke to")
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("What they said, for example “It went to the lab; call back Friday”")
        add_row(self.form, "They &said:", self.note_edit, "callNoteEdit", "What they said")
        self.on_field = today_field("calledOnEdit", "Date")
        add_row(self.form, "&On:", self.on_field, "calledOnField", "Date", buddy=self.on_field.edit)
        self.inputs = {"kind": self.kind_combo, "who": self.who_edit, "note": self.note_edit, "on": self.on_field}
        self.finish_layout()
        self.who_edit.setFocus()

    def values(self) -> dict[str, Any]:
        return {"kind": RequestEventKind(self.kind_combo.currentData()), "who": self.who_edit.text(),
                "note": self.note_edit.text(), "on": self.on_field.value()}


class ExtensionDialog(StepDialog):
    """The facility's written notice that it needs more time (at most 30 days more)."""

    def __init__(self, q: svc.RequestData, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(q, store, parent, name="extensionDialog", title=f"Extension — {q.facility_name}")
        self.due_field = DateField("extendedDueEdit", "New due date")
        if q.due_on is not None:
            self.due_field.set_date(svc.extension_limit(q.due_on))
        add_row(self.form, "&New due date:", self.due_field, "extendedDueField", "New due date",
                buddy=self.due_field.edit)
        limit = (f"Due {day_month_year(q.due_on)}; a facility that gives written notice may extend once, by at "
                 f"most {svc.MAX_EXTENSION_DAYS} days: to {day_month_year(svc.extension_limit(q.due_on))} at the "
                 "latest (45 CFR 164.524(b)(2)(iii)).") if q.due_on else ""
        self.form.addRow("", hint(limit))
        self.on_field = today_field("noticeOnEdit", "Date of the notice")
        add_row(self.form, "Notice &dated:", self.on_field, "noticeOnField", "Date of the notice",
                buddy=self.on_field.edit)
        self.note_edit = text_box(3, "The reason they gave")
        add_row(self.form, "N&ote:", self.note_edit, "extensionNoteEdit", "Note")
        self.inputs = {"extended_due_on": self.due_field, "on": self.on_field, "note": self.note_edit}
        self.finish_layout()
        self.due_field.setFocus()

    def values(self) -> dict[str, Any]:
        return {"new_due_on": self.due_field.value(), "on": self.on_field.value(),
                "note": self.note_edit.toPlainText()}


class MarkReceivedDialog(StepDialog):
    """Which of the records still to come arrived, and when."""

    OK_TEXT = "Mark received"

    def __init__(self, q: svc.RequestData, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(q, store, parent, name="markReceivedDialog", title=f"Mark received — {q.facility_name}")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.record_checks: dict[int, QCheckBox] = {}
        for record in q.records_to_come:
            words = (f"{record.title} ({day_month_year(record.date_of_service)})" if record.date_of_service
                     else record.title)
            check = QCheckBox(words.replace("&", "&&"))  # a title's "&" is no mnemonic
            check.setChecked(True)
            check.setObjectName(f"receivedRecord{record.id}")
            check.setAccessibleName(f"Received: {record.title}")
            self.record_checks[record.id] = check
            column.addWidget(check)
        if not self.record_checks:
            column.addWidget(QLabel("Every record it asks for is already in hand; this marks the request answered."
                                    if q.records else "It asks for no record of the list; this marks it answered."))
        label = QLabel("Records that &came:")
        self.form.addRow(label, box)
        if self.record_checks:
            label.setBuddy(next(iter(self.record_checks.values())))
        self.complete_check = QCheckBox("Everything asked for has come (the request is complete)")
        self.complete_check.setObjectName("completeCheck")
        self.complete_check.setChecked(True)
        for check in self.record_checks.values():
            check.toggled.connect(lambda _on: self._follow_records())
        self.form.addRow("", self.complete_check)
        self.on_field = today_field("receivedOnEdit", "Date received")
        add_row(self.form, "Received &on:", self.on_field, "receivedOnField", "Date received",
                buddy=self.on_field.edit)
        self.note_edit = text_box(2, "For example “CD of the MRI still to come”")
        add_row(self.form, "&Note:", self.note_edit, "receivedNoteEdit", "Note")
        self.inputs = {"received_on": self.on_field, "record_ids": box, "note": self.note_edit}
        self.finish_layout()
        (next(iter(self.record_checks.values())) if self.record_checks else self.on_field).setFocus()

    def _follow_records(self) -> None:
        self.complete_check.setChecked(all(c.isChecked() for c in self.record_checks.values()))

    def chosen_ids(self) -> list[int]:
        return [record_id for record_id, check in self.record_checks.items() if check.isChecked()]

    def values(self) -> dict[str, Any]:
        return {"record_ids": self.chosen_ids(), "on": self.on_field.value(),
                "complete": self.complete_check.isChecked(), "note": self.note_edit.toPlainText()}


class RefusedDialog(StepDialog):
    """The facility refused the request: why, and when."""

    OK_TEXT = "Mark refused"

    def __init__(self, q: svc.RequestData, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(q, store, parent, name="refusedDialog", title=f"Refused — {q.facility_name}")
        self.why_edit = text_box(3, "The reason they gave, and what they said you can do")
        add_row(self.form, "&Why:", self.why_edit, "whyEdit", "Why they refused")
        self.on_field = today_field("refusedOnEdit", "Date refused")
        add_row(self.form, "&On:", self.on_field, "refusedOnField", "Date refused", buddy=self.on_field.edit)
        self.inputs = {"why": self.why_edit, "note": self.why_edit, "on": self.on_field}
        self.finish_layout()
        self.why_edit.setFocus()

    def values(self) -> dict[str, Any]:
        return {"why": self.why_edit.toPlainText(), "on": self.on_field.value()}
