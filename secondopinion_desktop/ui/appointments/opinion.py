"""The Second opinion page of an appointment: what the consultant said (shown as text, changed in the Edit the
opinion… dialog), the written report, and the follow-up questions sent after the visit with their answers.

A thin view over ``core.opinions``: reads are direct, every change runs through ``ui.ops.run_op`` and is
announced as ``Changes.OPINIONS`` (``opinionChanged`` is emitted after it is stored).
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import opinions as svc
from secondopinion_desktop.core.appointments import AppointmentData
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import DiagnosisVerdict, RecordKind, RecordStatus
from secondopinion_desktop.ui.appointments.model import PAST_COLOUR
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.widgets.ask import ask_yes_no
from secondopinion_desktop.ui.widgets.dates import DateField
from secondopinion_desktop.ui.widgets.form_dialog import focus_input, lay_out_form, ok_cancel, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label, show_error

FIELD_ERROR_STYLE = "QLabel { color: #8b1a1a; font-weight: bold; }"
VERDICT_WORDS = {
    DiagnosisVerdict.CONFIRMED: "Confirmed",
    DiagnosisVerdict.REFINED: "Refined",
    DiagnosisVerdict.CHANGED: "Changed",
}


def opinion_html(opinion: svc.OpinionData | None) -> str:
    """What the consultant said, as the page shows it (or what to do when nothing is written down yet)."""
    if opinion is None or opinion.is_empty:
        return ("<p><b>Nothing written down yet.</b></p><p>After the visit, write down what the consultant said "
                "with <b>Edit the opinion…</b>: the diagnosis, the stage, the plan, trials and further tests, "
                "and who does what next. Attach the written report when it comes.</p>")

    def row(label: str, value: str) -> str:
        return (f"<tr><td style='padding-right:12px; color:{PAST_COLOUR}; white-space:nowrap; "
                f"vertical-align:top'>{label}</td><td>{value}</td></tr>")

    def text(value: str) -> str:
        return escape(value).replace("\n", "<br>") if value else "<i>not said</i>"

    def items(values: tuple[str, ...]) -> str:
        return "<br>".join(f"\u2022 {escape(v)}" for v in values) if values else "<i>none</i>"

    verdict = f"<b>{VERDICT_WORDS[opinion.verdict]}</b>" if opinion.verdict else "<i>not said</i>"
    if opinion.diagnosis:
        verdict += f" — {text(opinion.diagnosis)}"
    report = escape(opinion.report_title) if opinion.report_title else "<i>not attached yet</i>"
    rows = [
        row("Diagnosis", verdict), row("Stage", text(opinion.stage)), row("Plan", text(opinion.plan)),
        row("Clinical trials", items(opinion.trials)), row("Further tests", items(opinion.further_tests)),
        row("Next steps", text(opinion.next_steps)), row("Written report", report),
    ]
    return f"<table cellspacing='3'>{''.join(rows)}</table>"


def report_title(appointment: AppointmentData) -> str:
    who = f" from {appointment.clinician_name}" if appointment.clinician_name else ""
    return f"Second opinion report{who} ({appointment.starts_at:%Y-%m-%d})"


class OpinionDialog(QDialog):
    """What the consultant said, every field at once. OK checks the fields (``check_opinion``) and stays open
    with the refusal shown under the field it names; the caller stores ``fields()``. "Add the report…" makes a
    record of a chosen file at once (and announces it)."""

    def __init__(self, folder: DataFolder, appointment: AppointmentData, opinion: svc.OpinionData | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.appointment = appointment
        self.setObjectName("opinionDialog")
        self.setWindowTitle("The second opinion")
        self.error_label = error_label()
        self.last_op: Op | None = None
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.field_errors: dict[str, QLabel] = {}

        self.verdict_combo = QComboBox()
        self.verdict_combo.addItem("(not said)", None)
        for verdict in DiagnosisVerdict:
            self.verdict_combo.addItem(verdict.label, verdict.value)
        self.diagnosis_edit = text_box(2, "The diagnosis in the consultant's words")
        self.stage_edit = QLineEdit()
        self.stage_edit.setPlaceholderText("For example “pT2 N1a M0, stage IIB”")
        self.plan_edit = text_box(3, "The treatment the consultant recommends")
        self.trials_edit = text_box(2, "One trial per line, for example its name or NCT number")
        self.tests_edit = text_box(2, "One per line, for example “pathology re-review of block A1”")
        self.next_edit = text_box(2, "Who does what next, for example “Dr. Lee orders the MRI”")

        self.report_combo = QComboBox()
        self.report_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.report_combo.setMinimumContentsLength(24)
        self.add_report_button = QPushButton("Add the &report…")
        self.add_report_button.setObjectName("addReportButton")
        self.add_report_button.setAccessibleName("Choose the file of the written report and keep it as a record")
        self.add_report_button.clicked.connect(lambda: self.add_report())
        report_row = QHBoxLayout()
        report_row.setContentsMargins(0, 0, 0, 0)
        report_row.addWidget(self.report_combo, 1)
        report_row.addWidget(self.add_report_button)
        report_box = QWidget()
        report_box.setLayout(report_row)

        self.inputs: dict[str, QWidget] = {
            "verdict": self.verdict_combo, "diagnosis": self.diagnosis_edit, "stage": self.stage_edit,
            "plan": self.plan_edit, "trials": self.trials_edit, "further_tests": self.tests_edit,
            "next_steps": self.next_edit, "report_record_id": self.report_combo,
        }
        rows: list[tuple[str, QWidget, str, str, QWidget | None]] = [
            ("&Diagnosis:", self.verdict_combo, "verdictCombo", "Verdict on the diagnosis", None),
            ("In their &words:", self.diagnosis_edit, "opinionDiagnosisEdit", "The diagnosis in the consultant's words",
             None),
            ("&Stage:", self.stage_edit, "opinionStageEdit", "Stage", None),
            ("Recommended &plan:", self.plan_edit, "opinionPlanEdit", "Recommended treatment plan", None),
            ("Clinical &trials:", self.trials_edit, "opinionTrialsEdit", "Clinical trials suggested, one per line",
             None),
            ("&Further tests:", self.tests_edit, "opinionTestsEdit", "Further tests or reviews, one per line", None),
            ("&Next steps:", self.next_edit, "opinionNextStepsEdit", "Next steps: who does what", None),
            ("Written rep&ort:", report_box, "reportCombo", "The written report", self.report_combo),
        ]
        keys = ["verdict", "diagnosis", "stage", "plan", "trials", "further_tests", "next_steps", "report_record_id"]
        for key, (label, widget, name, accessible, buddy) in zip(keys, rows, strict=True):
            add_row(form, label, widget, name, accessible, buddy=buddy)
            problem = QLabel()
            problem.setObjectName(f"{name}Error")
            problem.setWordWrap(True)
            problem.setTextFormat(Qt.TextFormat.PlainText)
            problem.setStyleSheet(FIELD_ERROR_STYLE)
            problem.hide()
            form.addRow("", problem)
            self.field_errors[key] = problem

        self.buttons = ok_cancel(self, "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=760, min_width=560)
        self._load_records(opinion.report_record_id if opinion else None)
        if opinion is not None:
            index = self.verdict_combo.findData(opinion.verdict.value if opinion.verdict else None)
            self.verdict_combo.setCurrentIndex(max(index, 0))
            self.diagnosis_edit.setPlainText(opinion.diagnosis)
            self.stage_edit.setText(opinion.stage)
            self.plan_edit.setPlainText(opinion.plan)
            self.trials_edit.setPlainText("\n".join(opinion.trials))
            self.tests_edit.setPlainText("\n".join(opinion.further_tests))
            self.next_edit.setPlainText(opinion.next_steps)
        self.verdict_combo.setFocus()

    def _load_records(self, select: int | None) -> None:
        from secondopinion_desktop.core.records import list_records

        self.report_combo.clear()
        self.report_combo.addItem("(none yet)", None)
        for record in list_records(self.folder):
            when = f" ({record.date_of_service:%Y-%m-%d})" if record.date_of_service else ""
            self.report_combo.addItem(f"{record.title}{when}", record.id)
        index = self.report_combo.findData(select) if select is not None else 0
        self.report_combo.setCurrentIndex(max(index, 0))

    def fields(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict_combo.currentData(),
            "diagnosis": self.diagnosis_edit.toPlainText(),
            "stage": self.stage_edit.text(),
            "plan": self.plan_edit.toPlainText(),
            "trials": self.trials_edit.toPlainText(),
            "further_tests": self.tests_edit.toPlainText(),
            "next_steps": self.next_edit.toPlainText(),
            "report_record_id": self.report_combo.currentData(),
        }

    def show_problem(self, exc: SecondOpinionError) -> None:
        """The refusal under the field it names (or in the banner when it names none), the cursor there."""
        for label in self.field_errors.values():
            label.hide()
        field = getattr(exc, "field", None)
        label = self.field_errors.get(field or "")
        if label is None:
            show_error(self.error_label, str(exc))
        else:
            self.error_label.hide()
            label.setText(str(exc))
            label.show()
        focus_input(self.inputs, field)

    def accept(self) -> None:
        try:
            svc.check_opinion(self.folder, self.appointment.id, self.fields())
        except SecondOpinionError as exc:
            self.show_problem(exc)
            return
        super().accept()

    def add_report(self, path: Path | None = None) -> Op | None:
        """Keep a chosen file as a clinical record (received) and choose it as the written report."""
        if path is None:
            chosen, _filter = QFileDialog.getOpenFileName(self, "The written report", "",
                                                          "Documents (*.pdf *.png *.jpg *.jpeg *.tif *.tiff "
                                                          "*.txt *.docx);;All files (*)")
            if not chosen:
                return None
            path = Path(chosen)
        from secondopinion_desktop.core.records import create_record_with_files

        folder, title, day = self.folder, report_title(self.appointment), self.appointment.starts_at.date()
        self.last_op = run_op(
            self, lambda control: create_record_with_files(
                folder, RecordKind.CLINICAL, title, [path], status=RecordStatus.RECEIVED, date_of_service=day,
                progress=control.progress, cancelled=control.cancelled),
            name="add the second opinion report", changes=Changes.RECORDS, label="Adding the report…",
            on_success=lambda made: self._load_records(made.id), failure_title="Report not added",
        )
        return self.last_op


class FollowUpDialog(QDialog):
    """One follow-up question: its wording, when it was asked, the answer and when it came. OK stores it (the
    dialog stays open with the refusal under the field it names)."""

    def __init__(self, folder: DataFolder, follow_up: svc.FollowUpData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.follow_up = follow_up
        self.setObjectName("followUpDialog")
        self.setWindowTitle("Follow-up question")
        self.error_label = error_label()
        self.saved: svc.FollowUpData | None = None
        self.last_op: Op | None = None
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.question_edit = QLineEdit(follow_up.question)
        self.asked_field = DateField("askedOnEdit", "Date it was asked")
        self.asked_field.set_date(follow_up.asked_on)
        self.answer_edit = text_box(5, "The consultant's answer")
        self.answer_edit.setPlainText(follow_up.answer)
        self.answered_field = DateField("answeredOnEdit", "Date of the answer")
        self.answered_field.set_date(follow_up.answered_on)
        self.answered_field.edit.setPlaceholderText("YYYY-MM-DD — empty means today")
        add_row(form, "&Question:", self.question_edit, "followUpQuestionEdit", "Follow-up question")
        add_row(form, "As&ked on:", self.asked_field, "askedOnEdit", "Date it was asked", buddy=self.asked_field.edit)
        add_row(form, "&Answer:", self.answer_edit, "followUpAnswerEdit", "Answer")
        add_row(form, "Answered &on:", self.answered_field, "answeredOnEdit", "Date of the answer",
                buddy=self.answered_field.edit)
        self.inputs: dict[str, QWidget] = {"question": self.question_edit, "asked_on": self.asked_field,
                                           "answer": self.answer_edit, "answered_on": self.answered_field}
        self.buttons = ok_cancel(self, "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=640, min_width=480)
        self.answer_edit.setFocus()

    def fields(self) -> dict[str, Any]:
        answer = self.answer_edit.toPlainText()
        fields: dict[str, Any] = {"question": self.question_edit.text(), "asked_on": self.asked_field.value(),
                                  "answer": answer}
        answered_on = self.answered_field.value()
        if answered_on is not None or not answer.strip():
            fields["answered_on"] = answered_on
        return fields

    def accept(self) -> None:
        if self.last_op is not None and not self.last_op.done:
            return
        folder, follow_up_id, fields = self.folder, self.follow_up.id, self.fields()

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, SecondOpinionError):
                show_error(self.error_label, str(exc))
                focus_input(self.inputs, getattr(exc, "field", None))
                return True
            return False

        def stored(saved: svc.FollowUpData) -> None:
            self.saved = saved
            QDialog.accept(self)

        self.last_op = run_op(self, lambda _control: svc.change_follow_up(folder, follow_up_id, **fields),
                              name="answer a follow-up question", changes=Changes.OPINIONS, on_success=stored,
                              on_failure=refused)


class OpinionPane(QWidget):
    """The Second opinion page for one appointment at a time (``set_appointment``)."""

    opinionChanged = Signal()
    compareRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.appointment: AppointmentData | None = None
        self.opinion: svc.OpinionData | None = None
        self.last_op: Op | None = None
        self._working = False  # a change is being stored

        self.summary = QLabel()
        self.summary.setObjectName("opinionSummary")
        self.summary.setAccessibleName("What the consultant said")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.summary.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.summary.setContentsMargins(8, 6, 8, 6)
        scroll = QScrollArea()
        scroll.setObjectName("opinionScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.StyledPanel)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(self.summary)
        scroll.setBackgroundRole(QPalette.ColorRole.Base)

        self.edit_button = QPushButton("&Edit the opinion…")
        self.edit_button.setObjectName("editOpinionButton")
        self.edit_button.setAccessibleName("Write down or change what the consultant said")
        self.edit_button.clicked.connect(lambda: self.edit_opinion())
        self.compare_button = QPushButton("Compare wit&h the first opinion…")
        self.compare_button.setObjectName("compareButton")
        self.compare_button.setAccessibleName("Show the first and the second opinion side by side")
        self.compare_button.clicked.connect(self.compareRequested.emit)
        self.report_button = QPushButton("Show the &report")
        self.report_button.setObjectName("showReportButton")
        self.report_button.setAccessibleName("Show the written report on the Records tab")
        self.report_button.clicked.connect(lambda: self.show_report())
        side = QVBoxLayout()
        side.addWidget(self.edit_button)
        side.addWidget(self.compare_button)
        side.addWidget(self.report_button)
        side.addStretch(1)
        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(scroll, 1)
        top_layout.addLayout(side)

        self.follow_title = QLabel("Follow-&up questions")
        self.follow_title.setObjectName("followUpTitle")
        font = self.follow_title.font()
        font.setBold(True)
        self.follow_title.setFont(font)
        self.follow_list = QTreeWidget()
        self.follow_list.setObjectName("followUpList")
        self.follow_list.setAccessibleName("Follow-up questions sent after the visit")
        self.follow_list.setAccessibleDescription("Enter changes the selected question and its answer; Delete "
                                                  "removes it.")
        self.follow_list.setHeaderLabels(["Question", "Asked", "Answer", "Answered"])
        self.follow_list.setRootIsDecorated(False)
        self.follow_list.setAlternatingRowColors(True)
        self.follow_list.setWordWrap(True)
        self.follow_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.follow_list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.follow_title.setBuddy(self.follow_list)
        self.follow_list.currentItemChanged.connect(lambda *_a: self._update_actions())
        self.follow_list.itemDoubleClicked.connect(lambda *_a: self.answer_follow_up())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.follow_list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda: self.answer_follow_up())
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.follow_list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(lambda: self.remove_follow_up())

        self.new_follow_edit = QLineEdit()
        self.new_follow_edit.setObjectName("newFollowUpEdit")
        self.new_follow_edit.setAccessibleName("Type a follow-up question")
        self.new_follow_edit.setPlaceholderText("A question you sent after the visit; press Enter to add it…")
        self.new_follow_edit.returnPressed.connect(lambda: self.add_follow_up())
        self.add_follow_button = QPushButton("&Add")
        self.add_follow_button.setObjectName("addFollowUpButton")
        self.add_follow_button.setAccessibleName("Add the typed follow-up question")
        self.add_follow_button.clicked.connect(lambda: self.add_follow_up())
        self.answer_follow_button = QPushButton("Ans&wer…")
        self.answer_follow_button.setObjectName("answerFollowUpButton")
        self.answer_follow_button.setAccessibleName("Write down the answer to the selected follow-up question")
        self.answer_follow_button.clicked.connect(lambda: self.answer_follow_up())
        self.remove_follow_button = QPushButton("Remo&ve")
        self.remove_follow_button.setObjectName("removeFollowUpButton")
        self.remove_follow_button.setAccessibleName("Remove the selected follow-up question")
        self.remove_follow_button.clicked.connect(lambda: self.remove_follow_up())
        adding = QHBoxLayout()
        adding.addWidget(self.new_follow_edit, 1)
        adding.addWidget(self.add_follow_button)
        adding.addWidget(self.answer_follow_button)
        adding.addWidget(self.remove_follow_button)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.follow_title)
        bottom_layout.addWidget(self.follow_list, 1)
        bottom_layout.addLayout(adding)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("opinionSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        for first, second in ((self.edit_button, self.compare_button), (self.compare_button, self.report_button),
                              (self.report_button, self.follow_list),
                              (self.follow_list, self.new_follow_edit),
                              (self.new_follow_edit, self.add_follow_button),
                              (self.add_follow_button, self.answer_follow_button),
                              (self.answer_follow_button, self.remove_follow_button)):
            self.setTabOrder(first, second)
        self._show()

    # --- showing ---------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder | None) -> None:
        self.folder = folder

    def set_appointment(self, appointment: AppointmentData | None) -> None:
        self.appointment = appointment
        self.reload()

    def reload(self, select: int | None = None) -> None:
        """Read the opinion of the appointment shown again (keeping, or moving to, the selected follow-up)."""
        wanted = select if select is not None else self.current_follow_up_id()
        self.opinion = None
        if self.folder is not None and self.appointment is not None:
            try:
                self.opinion = svc.get_opinion(self.folder, self.appointment.id)
            except SecondOpinionError:  # deleted meanwhile: the tab reloads on the change
                self.opinion = None
        self._show(wanted)

    def _show(self, select: int | None = None) -> None:
        if self.appointment is None:
            self.summary.setText("<p>Choose an appointment on the left.</p>")
        else:
            self.summary.setText(opinion_html(self.opinion))
        follow_ups = self.opinion.follow_ups if self.opinion is not None else ()
        self.follow_list.clear()
        for f in follow_ups:
            item = QTreeWidgetItem([f.question, f.asked_on.isoformat() if f.asked_on else "",
                                    f.answer if f.answered else "Not answered yet",
                                    f.answered_on.isoformat() if f.answered_on else ""])
            item.setData(0, Qt.ItemDataRole.UserRole, f.id)
            item.setToolTip(0, f.question)
            item.setToolTip(2, f.answer)
            if not f.answered:
                item.setForeground(2, self.palette().color(QPalette.ColorRole.PlaceholderText))
            self.follow_list.addTopLevelItem(item)
            if f.id == select:
                self.follow_list.setCurrentItem(item)
        answered = sum(f.answered for f in follow_ups)
        self.follow_title.setText(f"Follow-&up questions ({answered} of {len(follow_ups)} answered)" if follow_ups
                                  else "Follow-&up questions")
        self._update_actions()

    def _update_actions(self) -> None:
        ready = self.folder is not None and self.appointment is not None
        busy = self._working
        for widget in (self.edit_button, self.compare_button, self.new_follow_edit, self.add_follow_button):
            widget.setEnabled(ready)
        self.report_button.setEnabled(ready and self.opinion is not None and self.opinion.report_record_id is not None)
        chosen = ready and self.current_follow_up_id() is not None
        self.answer_follow_button.setEnabled(chosen and not busy)
        self.remove_follow_button.setEnabled(chosen and not busy)

    def _finished(self) -> None:
        self._working = False
        self._update_actions()

    def current_follow_up_id(self) -> int | None:
        item = self.follow_list.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def follow_up_ids(self) -> list[int]:
        return [self.follow_list.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
                for i in range(self.follow_list.topLevelItemCount())]

    # --- changes ---------------------------------------------------------------------------------------------

    def _run(self, work: Any, name: str, select: Any = None) -> Op:
        def stored(result: Any) -> None:
            self.reload(select=select(result) if callable(select) else None)
            self.opinionChanged.emit()

        self.last_op = run_op(self, lambda _control: work(), name=name, changes=Changes.OPINIONS, on_success=stored,
                              on_done=self._finished)
        self._working = True
        self._update_actions()
        return self.last_op

    def edit_opinion(self) -> Op | None:
        """The Edit the opinion… dialog; OK stores what it holds."""
        if self.folder is None or self.appointment is None:
            return None
        dialog = OpinionDialog(self.folder, self.appointment, self.opinion, parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        fields = dialog.fields()
        dialog.deleteLater()
        if not accepted:
            self.reload()  # a report added from the dialog is a record now
            return None
        folder, appointment_id = self.folder, self.appointment.id
        return self._run(lambda: svc.save_opinion(folder, appointment_id, **fields), "save the second opinion")

    def show_report(self) -> None:
        """The written report's record, on the Records tab (the window answers the request)."""
        if self.opinion is not None and self.opinion.report_record_id is not None:
            from secondopinion_desktop.ui.events import requests

            requests().showRecord.emit(self.opinion.report_record_id)

    def add_follow_up(self) -> Op | None:
        text = self.new_follow_edit.text()
        if self.folder is None or self.appointment is None or not text.strip():
            self.new_follow_edit.setFocus()
            return None
        folder, appointment_id = self.folder, self.appointment.id

        def added(made: svc.FollowUpData) -> None:
            self.new_follow_edit.clear()
            self.reload(select=made.id)
            self.opinionChanged.emit()

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, SecondOpinionError):
                show_in_place(self, "Follow-up questions", str(exc))
                self.new_follow_edit.setFocus()
                return True
            return False

        self.last_op = run_op(
            self, lambda _control: svc.add_follow_up(folder, appointment_id, text, asked_on=dt.date.today()),
            name="add a follow-up question", changes=Changes.OPINIONS, on_success=added, on_failure=refused,
            on_done=self._finished)
        self._working = True
        self._update_actions()
        return self.last_op

    def answer_follow_up(self) -> svc.FollowUpData | None:
        follow_up_id = self.current_follow_up_id()
        if self.folder is None or self.opinion is None or follow_up_id is None:
            return None
        [follow_up] = [f for f in self.opinion.follow_ups if f.id == follow_up_id]
        dialog = FollowUpDialog(self.folder, follow_up, parent=self)
        dialog.exec()
        saved = dialog.saved
        dialog.deleteLater()
        if saved is not None:
            self.reload(select=saved.id)
            self.opinionChanged.emit()
        return saved

    def remove_follow_up(self) -> Op | None:
        follow_up_id = self.current_follow_up_id()
        if self.folder is None or self.opinion is None or follow_up_id is None:
            return None
        [follow_up] = [f for f in self.opinion.follow_ups if f.id == follow_up_id]
        if follow_up.answered and not ask_yes_no(
                self, "Remove follow-up question",
                f"Remove “{follow_up.question}”? Its written answer goes with it."):
            return None
        ids = self.follow_up_ids()
        row = ids.index(follow_up_id)
        rest = [i for i in ids if i != follow_up_id]
        after = rest[min(row, len(rest) - 1)] if rest else None
        folder = self.folder
        return self._run(lambda: svc.remove_follow_up(folder, follow_up_id), "remove a follow-up question",
                         select=lambda _gone: after)


def show_in_place(parent: QWidget, title: str, message: str) -> None:
    """A refusal in a small warning box (plain text: a question is shown as typed)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setObjectName("refusedBox")
    box.exec()
    box.deleteLater()

