"""The Appointments tab: the consults on the left; the chosen one's details, questions and notes on the right.

A thin view over ``core.appointments``: each action is one core call with the data folder, then
``announce(Changes…, self)``; the tab reloads when appointments, questions, notes or the directory change
elsewhere (``ui.events.watch``). Typing in the answer and note editors is saved by itself; nothing here has a
Save button. The notes PDF is written off the GUI thread (``ui.ops.run_op``). The clinicians directory, the
profile and the treatment history open from here but live in their own packages.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import NotFoundError, SecondOpinionError
from secondopinion_desktop.ui.appointments.carry import can_carry_forward
from secondopinion_desktop.ui.appointments.details import DetailsPane, deletion_question
from secondopinion_desktop.ui.appointments.export import choose_notes_file, start_notes_export
from secondopinion_desktop.ui.appointments.list_view import AppointmentDelegate, AppointmentList
from secondopinion_desktop.ui.appointments.model import AppointmentsModel, appointment_title
from secondopinion_desktop.ui.appointments.notes import NotesPane
from secondopinion_desktop.ui.appointments.opinion import OpinionPane
from secondopinion_desktop.ui.appointments.questions import QuestionsPane
from secondopinion_desktop.ui.appointments.requirements import RequirementsPane
from secondopinion_desktop.ui.events import Changes, announce, requests, watch
from secondopinion_desktop.ui.ops import Op
from secondopinion_desktop.ui.state import restore_layout, save_layout
from secondopinion_desktop.ui.widgets.actions import action_button, make_action

SETTINGS = "appointments/"
LAYOUT_KEY = "appointments/layout"
LISTED = Changes.APPOINTMENTS | Changes.QUESTIONS | Changes.NOTES | Changes.DIRECTORY  # what the tab lists
WARNED = Changes.RECORDS | Changes.REQUESTS | Changes.SHIPMENTS  # what the warning before an appointment reads
AFTER = Changes.OPINIONS | Changes.RECORDS  # what the Second opinion and the center's list pages read
SHOWN = LISTED | WARNED | AFTER
FIRST_SIZES = {  # the splitters' sizes before the person has moved them
    "appointmentsSplitter": [300, 900],
    "appointmentRightSplitter": [140, 560],
    "appointmentWorkSplitter": [440, 460],
    "questionsSplitter": [330, 200],
    "opinionSplitter": [330, 170],
}

class AppointmentsTab(QWidget):
    """The consults the patient is preparing for (and past ones), each with its questions and notes.

    ``set_folder(folder)`` shows a data folder; ``shutdown()`` saves pending text and the view state. Every
    change is announced (``ui.events``); "Build packet" asks the window through ``requests().buildPacket``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("appointmentsTab")
        self.setAccessibleName("Appointments")
        self.folder: DataFolder | None = None
        self.appointments: list[svc.AppointmentData] = []
        self._current: svc.AppointmentData | None = None
        self.export_job: Op | None = None
        self.last_notice = ""

        self._build_actions()
        top = QHBoxLayout()
        self.top_buttons: list[QToolButton] = []
        for action in (self.new_action, self.edit_action, self.delete_action, None, self.clinicians_action,
                       self.profile_action, self.treatments_action):
            if action is None:
                top.addStretch(1)
                continue
            self.top_buttons.append(action_button(action))
            top.addWidget(self.top_buttons[-1])

        # left: the appointments
        self.model = AppointmentsModel(self)
        self.list = AppointmentList()
        self.list.setModel(self.model)
        self.list.setObjectName("appointmentList")
        self.list.setAccessibleName("Appointments")
        self.list.setAccessibleDescription("Upcoming appointments first, soonest first; past ones below.")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setItemDelegate(AppointmentDelegate(self.list))
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setUniformItemSizes(False)
        self.list.setMinimumWidth(220)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.list.doubleClicked.connect(lambda _index: self.edit_appointment())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.edit_appointment)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_appointment)

        # right: details, then questions beside notes
        self.details_box = details_box = DetailsPane()
        self.details, self.packet_button, self.export_button = (
            details_box.label, details_box.packet_button, details_box.export_button)
        self.packet_button.clicked.connect(lambda: self.request_packet())
        self.export_button.clicked.connect(lambda: self.export_notes())
        self.carry_button = details_box.carry_button
        self.carry_button.clicked.connect(lambda: self.carry_forward())

        self.questions = QuestionsPane()
        self.notes = NotesPane()
        self.questions.questionsChanged.connect(lambda: announce(Changes.QUESTIONS, self))
        self.notes.notesChanged.connect(lambda: announce(Changes.NOTES, self))
        self.notes.noteSaved.connect(lambda _note_id: announce(Changes.NOTES, self))
        self.work_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.work_splitter.setObjectName("appointmentWorkSplitter")
        self.work_splitter.addWidget(self.questions)
        self.work_splitter.addWidget(self.notes)
        self.work_splitter.setStretchFactor(0, 1)
        self.work_splitter.setStretchFactor(1, 1)
        self.work_splitter.setChildrenCollapsible(False)
        self.work_splitter.setHandleWidth(12)

        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.setObjectName("appointmentRightSplitter")
        self.right_splitter.addWidget(details_box)
        # the questions and notes, the second opinion and the center's list: one page at a time
        self.opinion = OpinionPane()
        self.opinion.compareRequested.connect(lambda: self.compare_opinions())
        self.requirements = RequirementsPane()
        self.work_tabs = QTabWidget()
        self.work_tabs.setObjectName("appointmentWorkTabs")
        self.work_tabs.addTab(self.work_splitter, "Questions and notes")
        self.work_tabs.addTab(self.opinion, "Second o&pinion")
        self.work_tabs.addTab(self.requirements, "What the center asked &for")
        self.work_tabs.setDocumentMode(True)
        self.right_splitter.addWidget(self.work_tabs)
        self.right_splitter.setStretchFactor(0, 0)
        self.right_splitter.setStretchFactor(1, 1)
        self.right_splitter.setChildrenCollapsible(False)
        self.right_splitter.setHandleWidth(10)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("appointmentsSplitter")
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(self.right_splitter)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        chain: list[QWidget] = [*self.top_buttons, self.list, self.questions.list, self.questions.new_edit,
                                self.questions.add_button, self.questions.bank_button, self.questions.remove_button,
                                self.questions.answer_edit, self.notes.new_button, self.notes.editor,
                                self.notes.delete_button, self.packet_button, self.export_button,
                                self.carry_button]
        for first, second in itertools.pairwise(chain):
            self.setTabOrder(first, second)
        self._restore_settings()
        self._show(None)
        self.watcher = watch(self, SHOWN, self._changed_elsewhere, skip_own=True)

    def _build_actions(self) -> None:
        def action(text: str, name: str, slot, shortcut, tip: str):  # type: ignore[no-untyped-def]
            return make_action(self, text, name, slot, shortcut, tip)

        self.new_action = action("&New appointment…", "newAppointmentAction", self.new_appointment,
                                 QKeySequence.StandardKey.New, "Add an appointment")
        self.edit_action = action("Edi&t…", "editAppointmentAction", self.edit_appointment, None,
                                  "Edit the selected appointment (Enter)")
        self.delete_action = action("&Delete…", "deleteAppointmentAction", self.delete_appointment, None,
                                    "Delete the selected appointment (Delete in the list)")
        self.new_note_action = action("New note", "newNoteAction", lambda: self.notes.new_note(), "Ctrl+Shift+N",
                                      "Start a new note stamped with the time now")
        self.clinicians_action = action("Clinicians director&y…", "cliniciansAction", self.open_clinicians, None,
                                        "Open the clinicians directory")
        self.profile_action = action("Pat&ient profile…", "profileAction", self.edit_profile, None,
                                     "Edit the patient profile: you, the diagnosis, insurance")
        self.treatments_action = action("Treat&ment history…", "treatmentsAction", self.open_treatments, None,
                                        "Edit the treatment history")

    # --- data --------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder) -> None:
        """Show this data folder (again: the window calls this on every refresh; the selection stays)."""
        self.flush()
        same = folder is self.folder
        self.folder = folder
        self.questions.set_folder(folder)
        self.notes.set_folder(folder)
        self.opinion.set_folder(folder)
        self.requirements.set_folder(folder)
        if same:
            self.reload()
            return
        self._current = None
        remembered = QSettings().value(SETTINGS + "current")
        try:
            select = int(remembered) if remembered not in (None, "") else None
        except (TypeError, ValueError):
            select = None
        self.reload(select=select)

    def reload(self, select: int | None = None) -> None:
        """Re-read the appointments; keep (or move to ``select``) the selection."""
        if self.folder is None:
            return
        self.flush()
        self.appointments = svc.list_appointments(self.folder)
        wanted = select if select is not None else self.current_appointment_id()
        self.list.selectionModel().blockSignals(True)
        try:
            self.model.set_appointments(self.appointments)
        finally:
            self.list.selectionModel().blockSignals(False)
        ids = self.model.ids()
        chosen = wanted if wanted in ids else (ids[0] if ids else None)
        if chosen is not None:
            self._current = None  # shown again: what it shows may have changed
            self.list.setCurrentRow(self.model.row_of(chosen))
            if self._current is None:  # the same row as before: no change of current row was signalled
                self._show(chosen)
        else:
            self._show(None)
        self._update_actions()

    def _changed_elsewhere(self, changes: Changes) -> None:
        """Appointments, questions, notes or the directory changed in another view: show them as stored."""
        if changes & Changes.FOLDER:
            return  # the window hands the new folder over with set_folder
        if changes & LISTED:
            self.reload()
            return
        if changes & AFTER:
            self.opinion.reload()
            self.requirements.reload()
        if changes & WARNED and self._current is not None:  # the warning: the notes being typed stay as they are
            self.details_box.show_appointment(self.folder, self._current, any_appointments=bool(self.appointments))

    def listed_ids(self) -> list[int]:
        """The appointment ids in the order the list shows them (headings skipped)."""
        return self.model.ids()

    def select_appointment(self, appointment_id: int) -> bool:
        row = self.model.row_of(appointment_id)
        if row >= 0:
            self.list.setCurrentRow(row)
        return row >= 0

    def current_appointment_id(self) -> int | None:
        return self._current.id if self._current is not None else None

    def _current_changed(self, current: object, _previous: object) -> None:
        chosen = self.model.appointment_at(self.list.currentRow())
        self._show(chosen.id if chosen is not None else None)

    def _show(self, appointment_id: int | None) -> None:
        self.flush()
        appointment = None
        if appointment_id is not None and self.folder is not None:
            try:
                appointment = svc.get_appointment(self.folder, appointment_id)
            except SecondOpinionError:
                appointment = None
        self._current = appointment
        self.details_box.show_appointment(self.folder, appointment, any_appointments=bool(self.appointments))
        self.questions.set_appointment(appointment)
        self.notes.set_appointment(appointment)
        self.opinion.set_appointment(appointment)
        self.requirements.set_appointment(appointment)
        self._update_actions()

    def _update_actions(self) -> None:
        has_folder = self.folder is not None
        has_current = self._current is not None
        self.new_action.setEnabled(has_folder)
        for action in (self.edit_action, self.delete_action, self.new_note_action):
            action.setEnabled(has_current)
        for action in (self.clinicians_action, self.profile_action, self.treatments_action):
            action.setEnabled(has_folder)
        self.packet_button.setEnabled(has_current)
        exporting = self.export_job is not None and not self.export_job.done
        self.export_button.setEnabled(has_current and not exporting)
        self.carry_button.setEnabled(can_carry_forward(self._current))

    def flush(self) -> None:
        """Save the answer and the note being typed (before switching, deleting or closing)."""
        self.questions.flush()
        self.notes.flush()

    def show_error(self, message: str, title: str = "Appointments") -> None:
        QMessageBox.warning(self, title, message)

    def notify(self, message: str) -> None:
        """A passing message in the window's status bar."""
        self.last_notice = message
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 8000)

    # --- appointment operations --------------------------------------------------------------------------

    def new_appointment(self) -> int | None:
        from secondopinion_desktop.ui.appointments.dialogs import AppointmentDialog

        if self.folder is None:
            return None
        self.flush()
        dialog = AppointmentDialog(self.folder, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:  # a clinician added there is stored and announced
            return None
        try:
            made = svc.create_appointment(self.folder, **dialog.fields())
        except SecondOpinionError as exc:
            self.show_error(str(exc))
            return None
        announce(Changes.APPOINTMENTS, self)
        self.reload(select=made.id)
        return made.id

    def edit_appointment(self) -> None:
        from secondopinion_desktop.ui.appointments.dialogs import AppointmentDialog

        if self.folder is None or self._current is None:
            return
        self.flush()
        dialog = AppointmentDialog(self.folder, self._current, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            svc.update_appointment(self.folder, self._current.id, **dialog.fields())
        except SecondOpinionError as exc:
            self.show_error(str(exc))
        else:
            announce(Changes.APPOINTMENTS, self)
        self.reload(select=self._current.id)

    def delete_appointment(self) -> bool:
        if self.folder is None or self._current is None:
            return False
        self.flush()
        try:
            a = svc.get_appointment(self.folder, self._current.id)
        except NotFoundError:
            self.reload()  # deleted meanwhile
            return False
        from secondopinion_desktop.core.opinions import get_opinion, list_requirements

        opinion = get_opinion(self.folder, a.id)
        requirements = len(list_requirements(self.folder, a.id))
        question = deletion_question(a, opinion=opinion is not None,
                                     follow_ups=len(opinion.follow_ups) if opinion is not None else 0,
                                     requirements=requirements)
        answer = QMessageBox.question(
            self, "Delete appointment", question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.questions.answer_saver.cancel()
        self.notes.saver.cancel()
        row = self.listed_ids().index(a.id) if a.id in self.listed_ids() else 0
        try:
            svc.delete_appointment(self.folder, a.id)
        except SecondOpinionError as exc:
            self.show_error(str(exc))
        else:
            announce(Changes.APPOINTMENTS | Changes.QUESTIONS | Changes.NOTES, self)
        self._current = None
        remaining = [i for i in self.listed_ids() if i != a.id]
        self.reload(select=remaining[min(row, len(remaining) - 1)] if remaining else None)
        self.notify(f"Deleted the appointment on {appointment_title(a)}.")
        return True

    # --- after the visit ---------------------------------------------------------------------------------------

    def carry_forward(self) -> int | None:
        """Carry the unanswered questions of the appointment shown to a follow-up visit (chosen in a small
        dialog); select the follow-up and say how many moved. The follow-up's id, or None."""
        from secondopinion_desktop.ui.appointments.carry import CarryForwardDialog, carried_sentence

        if self.folder is None or self._current is None or not can_carry_forward(self._current):
            return None
        self.flush()
        dialog = CarryForwardDialog(self.folder, self._current, parent=self)
        dialog.exec()
        carried = dialog.carried
        dialog.deleteLater()
        if carried is None:
            return None
        self.reload(select=carried.appointment_id)
        if self._current is not None and self._current.id == carried.appointment_id:
            self.work_tabs.setCurrentWidget(self.work_splitter)
            self.notify(carried_sentence(carried, self._current))
        return carried.appointment_id

    def compare_opinions(self) -> None:
        """The first and the second opinion of the appointment shown, side by side."""
        from secondopinion_desktop.ui.appointments.compare import CompareDialog

        if self.folder is None or self._current is None:
            return
        dialog = CompareDialog(self.folder, self._current.id, parent=self)
        dialog.exec()
        dialog.deleteLater()

    # --- directory, profile, history ---------------------------------------------------------------------

    def open_clinicians(self) -> None:
        from secondopinion_desktop.ui.directory.dialogs import CliniciansDialog

        if self.folder is None:
            return
        dialog = CliniciansDialog(self.folder, parent=self)
        dialog.exec()  # each change is announced as it is made: this tab shows the names as stored
        dialog.deleteLater()

    def edit_profile(self) -> bool:
        """Open the patient profile (what its button does); True when changes were saved."""
        from secondopinion_desktop.ui.profile.dialog import ProfileDialog

        if self.folder is None:
            return False
        dialog = ProfileDialog(self.folder, parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        saved = accepted and bool(dialog.saved)
        dialog.deleteLater()
        if saved:  # the dialog announced it
            self.notify("Saved the patient profile.")
        elif accepted:
            self.notify("The patient profile is unchanged.")
        return saved

    def open_treatments(self) -> None:
        from secondopinion_desktop.ui.treatments.dialogs import TreatmentHistoryDialog

        if self.folder is not None:
            dialog = TreatmentHistoryDialog(self.folder, parent=self)
            dialog.exec()
            dialog.deleteLater()

    # --- packet and notes export -------------------------------------------------------------------------

    def request_packet(self) -> None:
        if self._current is not None:
            self.flush()
            requests().buildPacket.emit(self._current.id)

    def export_notes(self, target: Path | None = None) -> Op | None:
        """Write this appointment's questions, answers and notes to a PDF, off the GUI thread (with a progress
        dialog when it takes a while)."""
        if self.folder is None or self._current is None:
            return None
        self.flush()
        chosen = target is None
        target = target or choose_notes_file(self, self._current)
        if target is None:
            return None
        try:
            self.export_job = start_notes_export(
                self, self.folder, self._current.id, target, chosen=chosen,
                on_saved=lambda out: self.notify(f"Notes saved to {out}."), on_done=self._export_done,
                show_error=lambda text: self.show_error(text, "Export notes"),
            )
        except SecondOpinionError as exc:  # refused before starting: never over the database or a stored file
            self.show_error(str(exc), "Export notes")
            return None
        self._update_actions()
        return self.export_job

    def _export_done(self) -> None:
        self.export_job = None
        self._update_actions()

    # --- settings and shutdown ---------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        restored = restore_layout(self, LAYOUT_KEY)
        for splitter in self.findChildren(QSplitter):
            sizes = FIRST_SIZES.get(splitter.objectName())
            if sizes is not None and f"splitter/{splitter.objectName()}" not in restored:
                splitter.setSizes(sizes)

    def save_settings(self) -> None:
        save_layout(self, LAYOUT_KEY)
        current = self.current_appointment_id()
        QSettings().setValue(SETTINGS + "current", current if current is not None else "")

    def shutdown(self) -> None:
        """Save the answer and note being typed and the view state; stop a notes export still running (the
        window waits for every job once)."""
        self.flush()
        self.save_settings()
        if self.export_job is not None and not self.export_job.done:
            self.export_job.cancel()
