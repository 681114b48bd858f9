"""Carry unanswered questions forward: the small dialog that picks the follow-up visit (one already planned, or
a new one at a date and time) and stores the move (``core.opinions.carry_forward``), and the sentence that says
what moved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QGridLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import appointments as appt_svc
from secondopinion_desktop.core import opinions as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.appointments.model import appointment_title
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.widgets.dates import DateTimeField
from secondopinion_desktop.ui.widgets.form_dialog import focus_input, ok_cancel
from secondopinion_desktop.ui.widgets.forms import error_label, show_error
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

MAX_LISTED = 8  # questions named in the dialog; the rest are counted


def unanswered(a: appt_svc.AppointmentData) -> list[appt_svc.AppointmentQuestionData]:
    return [q for q in a.questions if not q.answered]


def can_carry_forward(a: appt_svc.AppointmentData | None) -> bool:
    """A visit that has taken place (or is under way) with questions still open."""
    return a is not None and not a.is_upcoming() and bool(unanswered(a))


def carried_sentence(carried: svc.CarriedForward, target: appt_svc.AppointmentData) -> str:
    """``3 questions carried to the visit on 2027-01-05; 1 was already there.``"""
    day = f"{target.starts_at:%Y-%m-%d}"
    where = f"the new follow-up visit on {day}" if carried.created else f"the visit on {day}"
    moved = len(carried.question_ids)
    if moved == 0:
        return f"Every unanswered question was already on {where}; nothing was carried."
    sentence = f"{plural(moved, 'question')} carried to {where}"
    if carried.already_there:
        sentence += f"; {carried.already_there} {'was' if carried.already_there == 1 else 'were'} already there"
    return sentence + "."


class CarryForwardDialog(QDialog):
    """Where the unanswered questions of ``appointment`` go. OK stores the move (through ``run_op``) and stays
    open with the refusal when the core refuses it; ``carried`` holds the result once accepted."""

    def __init__(self, folder: DataFolder, appointment: appt_svc.AppointmentData,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.appointment = appointment
        self.carried: svc.CarriedForward | None = None
        self.last_op: Op | None = None
        self.setObjectName("carryForwardDialog")
        self.setWindowTitle("Carry questions forward")
        self.error_label = error_label()

        pending = unanswered(appointment)
        listed = "".join(f"\n\u2022 {q.text}" for q in pending[:MAX_LISTED])
        if len(pending) > MAX_LISTED:
            listed += f"\n… and {len(pending) - MAX_LISTED} more"
        intro = QLabel(f"{plural(len(pending), 'question')} of the visit on {appointment_title(appointment)} "
                       f"{'is' if len(pending) == 1 else 'are'} not answered yet:{listed}")
        intro.setObjectName("carryIntro")
        intro.setTextFormat(Qt.TextFormat.PlainText)  # questions as typed
        intro.setWordWrap(True)

        self.existing_radio = QRadioButton("To an appointment &already planned:")
        self.existing_radio.setObjectName("carryExistingRadio")
        self.target_combo = QComboBox()
        self.target_combo.setObjectName("carryTargetCombo")
        self.target_combo.setAccessibleName("The follow-up appointment")
        self.target_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.target_combo.setMinimumContentsLength(30)
        later = [a for a in appt_svc.list_appointments(folder)
                 if a.id != appointment.id and a.starts_at > appointment.starts_at]
        for a in sorted(later, key=lambda a: a.starts_at):
            who = f" — {a.clinician_name}" if a.clinician_name else ""
            self.target_combo.addItem(f"{appointment_title(a)}{who}", a.id)
        self.new_radio = QRadioButton("To a &new follow-up visit on:")
        self.new_radio.setObjectName("carryNewRadio")
        self.when_edit = DateTimeField()
        self.when_edit.setObjectName("carryWhenEdit")
        self.when_edit.setAccessibleName("Date and time of the new follow-up visit")
        self.when_edit.set_value(None)  # not chosen yet
        self.group = QButtonGroup(self)
        self.group.addButton(self.existing_radio)
        self.group.addButton(self.new_radio)
        has_later = self.target_combo.count() > 0
        self.existing_radio.setEnabled(has_later)
        (self.existing_radio if has_later else self.new_radio).setChecked(True)
        if not has_later:
            self.target_combo.addItem("(no later appointment)", None)
        self.existing_radio.toggled.connect(self._update)
        self.when_edit.dateTimeChanged.connect(lambda _when: self.new_radio.setChecked(True))

        grid = QGridLayout()
        grid.addWidget(self.existing_radio, 0, 0)
        grid.addWidget(self.target_combo, 0, 1)
        grid.addWidget(self.new_radio, 1, 0)
        grid.addWidget(self.when_edit, 1, 1, alignment=Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        note = QLabel("Questions the follow-up already lists are not copied twice. The new visit is with the same "
                      "doctor at the same place; change that afterwards with the Edit button.")
        note.setWordWrap(True)
        note.setEnabled(False)
        self.buttons = ok_cancel(self, "Carry forward")
        layout = QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.inputs: dict[str, QWidget] = {"starts_at": self.when_edit, "to_appointment_id": self.target_combo}
        self._update()
        hint = self.sizeHint()
        fit_to_screen(self, max(760, hint.width()), max(hint.height() + 60, 300), min_width=460, min_height=240)

    def _update(self) -> None:
        self.target_combo.setEnabled(self.existing_radio.isChecked())

    def target(self) -> dict[str, object]:
        if self.existing_radio.isChecked():
            return {"to_appointment_id": self.target_combo.currentData()}
        return {"starts_at": self.when_edit.value()}

    def accept(self) -> None:
        if self.last_op is not None and not self.last_op.done:
            return
        folder, source, target = self.folder, self.appointment.id, self.target()

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, SecondOpinionError):
                show_error(self.error_label, str(exc))
                focus_input(self.inputs, getattr(exc, "field", None))
                return True
            return False

        def stored(carried: svc.CarriedForward) -> None:
            self.carried = carried
            QDialog.accept(self)

        self.last_op = run_op(
            self, lambda _control: svc.carry_forward(folder, source, **target),  # type: ignore[arg-type]
            name="carry questions forward", changes=Changes.APPOINTMENTS | Changes.QUESTIONS | Changes.OPINIONS,
            on_success=stored, on_failure=refused)
