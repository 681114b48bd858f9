"""The Appointments tab: the consults on the left; the chosen one's details, questions and notes on the right.

A thin view over ``core.appointments`` (and, through its dialogs, the directory, profile and treatment
history). Typing in the answer and note editors is saved by itself; nothing here has a Save button.
"""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import logging
from html import escape
from pathlib import Path

from PySide6.QtCore import QModelIndex, QRect, QSettings, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.appointments.notes import NotesPane
from secondopinion_desktop.ui.appointments.questions import QuestionsPane
from secondopinion_desktop.core.words import clock_24 as short_time, long_date, when_text
from secondopinion_desktop.ui.jobs import Job, run_in_background

log = logging.getLogger(__name__)

APPOINTMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
PAST_ROLE = Qt.ItemDataRole.UserRole + 2
HEADING_ROLE = Qt.ItemDataRole.UserRole + 3
SETTINGS = "appointments/"
PAST_COLOUR = "#6b6b6b"


def relative_day(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """``today``, ``tomorrow``, ``in 12 days``, ``yesterday``, ``3 days ago``."""
    days = (moment.date() - (now or dt.datetime.now()).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {plural(days, 'day')}" if days > 0 else f"{plural(-days, 'day')} ago"


def appointment_title(a: svc.AppointmentData) -> str:
    """``Tue 8 Dec 2026, 09:30 with Avery Example-Stone, MD`` (for messages and tooltips)."""
    return when_text(a.starts_at) + (f" with {a.clinician_name}" if a.clinician_name else "")


class AppointmentDelegate(QStyledItemDelegate):
    """Paints an appointment as three lines (when in bold, the doctor, the place, elided to the width) and the
    Upcoming / Past headings as small grey capitals. Past appointments are grey."""

    PAD = 6

    def _metrics(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, int]:
        bold = QFont(option.font)
        bold.setBold(True)
        small = QFont(option.font)
        small.setBold(True)
        small.setPointSizeF(max(option.font.pointSizeF() * 0.85, 7))
        return bold, small, QFontMetrics(option.font).lineSpacing()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 - Qt override
        _bold, small, line = self._metrics(option)
        if index.data(HEADING_ROLE):
            return QSize(1, QFontMetrics(small).lineSpacing() + self.PAD * 2)
        lines = len(str(index.data(Qt.ItemDataRole.DisplayRole) or "").splitlines())
        return QSize(1, line * max(lines, 1) + self.PAD * 2)  # width 1: never wider than the list

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        bold, small, line = self._metrics(option)
        rect = option.rect.adjusted(self.PAD + 2, 0, -self.PAD, 0)
        palette = option.palette
        painter.save()
        try:
            if index.data(HEADING_ROLE):
                painter.setFont(small)
                painter.setPen(QColor(PAST_COLOUR))
                text = str(index.data(Qt.ItemDataRole.DisplayRole)).upper()
                painter.drawText(rect.adjusted(0, self.PAD, 0, 0), Qt.AlignmentFlag.AlignLeft, text)
                y = option.rect.bottom() - 2
                painter.setPen(palette.color(QPalette.ColorRole.Mid))
                painter.drawLine(rect.left(), y, rect.right(), y)
                return
            view_option = QStyleOptionViewItem(option)
            self.initStyleOption(view_option, index)
            view_option.text = ""
            style = option.widget.style() if option.widget else QApplication.style()
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, view_option, painter, option.widget)
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            past = bool(index.data(PAST_ROLE))
            if selected:
                main = palette.color(QPalette.ColorRole.HighlightedText)
                faint = main
            else:
                main = QColor(PAST_COLOUR) if past else palette.color(QPalette.ColorRole.Text)
                faint = QColor(PAST_COLOUR)
            lines = str(index.data(Qt.ItemDataRole.DisplayRole) or "").splitlines()
            y = option.rect.top() + self.PAD
            for number, text in enumerate(lines):
                font = bold if number == 0 else option.font
                painter.setFont(font)
                painter.setPen(main if number < 2 else faint)
                shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
                painter.drawText(QRect(rect.left(), y, rect.width(), line), Qt.AlignmentFlag.AlignLeft, shown)
                y += line
        finally:
            painter.restore()


class AppointmentList(QListWidget):
    """The appointments with their Upcoming / Past headings; the keyboard never lands on a heading."""

    def moveCursor(self, action: QAbstractItemView.CursorAction,  # noqa: N802 - Qt override
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        index = super().moveCursor(action, modifiers)
        if not index.isValid() or index.flags() & Qt.ItemFlag.ItemIsSelectable:
            return index
        Move = QAbstractItemView.CursorAction  # noqa: N806
        step = -1 if action in (Move.MoveUp, Move.MovePageUp, Move.MoveEnd, Move.MovePrevious) else 1
        row = index.row()
        while 0 <= row < self.count():
            if self.item(row).flags() & Qt.ItemFlag.ItemIsSelectable:
                return self.model().index(row, 0)
            row += step
        return self.currentIndex()


class AppointmentsTab(QWidget):
    """The consults the patient is preparing for (and past ones), each with its questions and notes.

    ``set_folder(folder)`` shows a data folder; ``shutdown()`` saves pending text and the view state.
    ``exportPacketRequested(appointment_id)`` asks the window to open the packet dialog for an appointment.
    """

    exportPacketRequested = Signal(int)  # noqa: N815
    # appointments, their questions or their notes were added, changed or removed (not sent for every
    # autosave of an answer's or a note's text)
    appointmentsChanged = Signal()  # noqa: N815
    directoryChanged = Signal()  # noqa: N815 - clinicians (or facilities) were added or edited here
    profileChanged = Signal()  # noqa: N815 - the patient profile was saved with changes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("appointmentsTab")
        self.setAccessibleName("Appointments")
        self.folder: DataFolder | None = None
        self.appointments: list[svc.AppointmentData] = []
        self._current: svc.AppointmentData | None = None
        self.export_job: Job | None = None
        self.last_notice = ""

        self._build_actions()
        top = QHBoxLayout()
        self.top_buttons: list[QToolButton] = []
        for action in (self.new_action, self.edit_action, self.delete_action):
            top.addWidget(self._tool_button(action))
        top.addStretch(1)
        for action in (self.clinicians_action, self.profile_action, self.treatments_action):
            top.addWidget(self._tool_button(action))

        # left: the appointments
        self.list = AppointmentList()
        self.list.setObjectName("appointmentList")
        self.list.setAccessibleName("Appointments")
        self.list.setAccessibleDescription("Upcoming appointments first, soonest first; past ones below.")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setItemDelegate(AppointmentDelegate(self.list))
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setUniformItemSizes(False)
        self.list.setMinimumWidth(220)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.edit_appointment())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.edit_appointment)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_appointment)

        # right: details, then questions beside notes
        self.details = QLabel()
        self.details.setObjectName("appointmentDetails")
        self.details.setAccessibleName("Appointment details")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.details.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.details.setContentsMargins(8, 6, 8, 6)
        details_scroll = QScrollArea()
        details_scroll.setObjectName("detailsScroll")
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.StyledPanel)
        details_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        details_scroll.setWidget(self.details)
        details_scroll.setBackgroundRole(QPalette.ColorRole.Base)

        self.packet_button = QPushButton("&Build packet…")
        self.packet_button.setObjectName("buildPacketButton")
        self.packet_button.setAccessibleName("Build the packet for this appointment")
        self.packet_button.setToolTip("Put together the PDF packet to send or bring to this doctor")
        self.packet_button.clicked.connect(self.request_packet)
        self.export_button = QPushButton("E&xport notes to PDF…")
        self.export_button.setObjectName("exportNotesButton")
        self.export_button.setAccessibleName("Export this appointment's questions, answers and notes to PDF")
        self.export_button.clicked.connect(lambda: self.export_notes())
        details_buttons = QVBoxLayout()
        details_buttons.addWidget(self.packet_button)
        details_buttons.addWidget(self.export_button)
        details_buttons.addStretch(1)
        details_box = QWidget()
        details_layout = QHBoxLayout(details_box)
        details_layout.setContentsMargins(0, 0, 0, 0)
        details_layout.addWidget(details_scroll, 1)
        details_layout.addLayout(details_buttons)

        self.questions = QuestionsPane()
        self.notes = NotesPane()
        self.questions.questionsChanged.connect(self.appointmentsChanged)
        self.notes.notesChanged.connect(self.appointmentsChanged)
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
        self.right_splitter.addWidget(self.work_splitter)
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
                                self.notes.delete_button, self.packet_button, self.export_button]
        for first, second in itertools.pairwise(chain):
            self.setTabOrder(first, second)
        self._restore_settings()
        self._show(None)

    def _tool_button(self, action: QAction) -> QToolButton:
        button = QToolButton()
        action.setIconText(action.text())  # keeps the & so that the button's Alt+letter works
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setObjectName(action.objectName().replace("Action", "Button"))
        button.setAccessibleName(action.toolTip())
        self.top_buttons.append(button)
        return button

    def _action(self, text: str, name: str, slot, shortcut: QKeySequence | str | None = None,  # type: ignore[no-untyped-def]
                tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            # the whole window, while this tab is shown (a hidden tab's actions are not active): wherever the
            # focus is, on the tab bar too, or nowhere right after start-up
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        sequence = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text.replace('&', '').rstrip('…')}" + (f" ({sequence})" if sequence else ""))
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action("&New appointment…", "newAppointmentAction", self.new_appointment,
                                       QKeySequence.StandardKey.New, "Add an appointment")
        self.edit_action = self._action("Edi&t…", "editAppointmentAction", self.edit_appointment, None,
                                        "Edit the selected appointment (Enter)")
        self.delete_action = self._action("&Delete…", "deleteAppointmentAction", self.delete_appointment, None,
                                          "Delete the selected appointment (Delete in the list)")
        self.new_note_action = self._action("New note", "newNoteAction", lambda: self.notes.new_note(),
                                            "Ctrl+Shift+N", "Start a new note stamped with the time now")
        self.clinicians_action = self._action("Clinicians director&y…", "cliniciansAction", self.open_clinicians,
                                              None, "Open the clinicians directory")
        self.profile_action = self._action("Pat&ient profile…", "profileAction", self.edit_profile, None,
                                           "Edit the patient profile: you, the diagnosis, insurance")
        self.treatments_action = self._action("Treat&ment history…", "treatmentsAction", self.open_treatments,
                                              None, "Edit the treatment history")

    # --- data --------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder) -> None:
        """Show this data folder (again: the window calls this on every refresh; the selection stays)."""
        self.flush()
        same = folder is self.folder
        self.folder = folder
        self.questions.set_folder(folder)
        self.notes.set_folder(folder)
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
        with self.folder.session() as session:
            self.appointments = svc.list_appointments(session)
        wanted = select if select is not None else self.current_appointment_id()
        self.list.blockSignals(True)
        try:
            self.list.clear()
            now = dt.datetime.now()
            upcoming = [a for a in self.appointments if a.is_upcoming(now)]
            past = [a for a in self.appointments if not a.is_upcoming(now)]
            if upcoming and past:
                self._heading("Upcoming")
            for a in upcoming:
                self._add_item(a, past=False)
            if past:
                self._heading("Past")
            for a in past:
                self._add_item(a, past=True)
        finally:
            self.list.blockSignals(False)
        ids = [a.id for a in self.appointments]
        chosen = wanted if wanted in ids else (ids[0] if ids else None)
        if chosen is not None:
            self.list.setCurrentRow(self._row_of(chosen))  # shows it
        else:
            self._show(None)
        self._update_actions()

    def _heading(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setData(HEADING_ROLE, True)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{text} appointments")
        self.list.addItem(item)

    def _add_item(self, a: svc.AppointmentData, past: bool) -> None:
        lines = [f"{when_text(a.starts_at)}  ·  {relative_day(a.starts_at)}"]
        lines.append(a.clinician_name or "No doctor chosen")
        place = a.place or a.institution
        if place:
            lines.append(place)
        item = QListWidgetItem("\n".join(lines))
        item.setData(APPOINTMENT_ID_ROLE, a.id)
        answered = sum(q.answered for q in a.questions)
        item.setToolTip(
            f"{appointment_title(a)}\n{place}\n{plural(len(a.questions), 'question')} ({answered} answered), "
            f"{plural(len(a.notes), 'note')}"
        )
        item.setData(Qt.ItemDataRole.AccessibleTextRole, ", ".join(lines) + (" (past)" if past else ""))
        item.setData(PAST_ROLE, past)
        if past:
            item.setForeground(QBrush(QColor(PAST_COLOUR)))
        self.list.addItem(item)

    def _row_of(self, appointment_id: int) -> int:
        for row in range(self.list.count()):
            if self.list.item(row).data(APPOINTMENT_ID_ROLE) == appointment_id:
                return row
        return -1

    def listed_ids(self) -> list[int]:
        """The appointment ids in the order the list shows them (headings skipped)."""
        return [
            int(self.list.item(r).data(APPOINTMENT_ID_ROLE)) for r in range(self.list.count())
            if self.list.item(r).data(APPOINTMENT_ID_ROLE) is not None
        ]

    def select_appointment(self, appointment_id: int) -> bool:
        row = self._row_of(appointment_id)
        if row >= 0:
            self.list.setCurrentRow(row)
        return row >= 0

    def current_appointment_id(self) -> int | None:
        return self._current.id if self._current is not None else None

    def current_appointment(self) -> svc.AppointmentData | None:
        return self._current

    def _current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        appointment_id = current.data(APPOINTMENT_ID_ROLE) if current is not None else None
        self._show(int(appointment_id) if appointment_id is not None else None)

    def _show(self, appointment_id: int | None) -> None:
        self.flush()
        appointment = None
        if appointment_id is not None and self.folder is not None:
            try:
                with self.folder.session() as session:
                    appointment = svc.get_appointment(session, appointment_id)
            except SecondOpinionError:
                appointment = None
        self._current = appointment
        self.details.setText(self._details_html(appointment))
        self.questions.set_appointment(appointment)
        self.notes.set_appointment(appointment)
        self._update_actions()

    def _details_html(self, a: svc.AppointmentData | None) -> str:
        if self.folder is None:
            return "<p>Opening your data folder…</p>"
        if a is None:
            if self.appointments:
                return "<p>Choose an appointment on the left.</p>"
            return (
                "<h3>No appointments yet</h3><p>Add the consult you are preparing for with "
                "<b>New appointment…</b> (Ctrl+N): when and where it is and with whom. Then collect the "
                "questions you want answered and take notes during the visit.</p>"
            )

        def row(label: str, value: str) -> str:
            return (f"<tr><td style='padding-right:12px; color:{PAST_COLOUR}; white-space:nowrap'>{label}</td>"
                    f"<td>{value}</td></tr>")

        doctor = escape(a.clinician_name) if a.clinician_name else "<i>not chosen</i>"
        extra = ", ".join(escape(p) for p in (a.clinician_specialty, a.institution) if p)
        if extra:
            doctor += f" — {extra}"
        rows = [row("Doctor", doctor)]
        if a.place:
            rows.append(row("Place", escape(a.place)))
        if a.purpose:
            rows.append(row("Purpose", escape(a.purpose).replace("\n", "<br>")))
        if a.attendees:
            rows.append(row("Coming along", escape(a.attendees)))
        when = f"{escape(long_date(a.starts_at))}, {escape(short_time(a.starts_at))}"
        return (
            f"<div style='font-size:large; font-weight:bold'>{when}"
            f" <span style='font-weight:normal; color:{PAST_COLOUR}'>({relative_day(a.starts_at)})</span></div>"
            f"<table cellspacing='2' style='margin-top:4px'>{''.join(rows)}</table>"
        )

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
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if dialog.clinician_added:
            self.directoryChanged.emit()
        if not accepted:
            return None
        try:
            with self.folder.session() as session:
                made = svc.create_appointment(session, **dialog.fields())
        except SecondOpinionError as exc:
            self.show_error(str(exc))
            return None
        self.reload(select=made.id)
        self.appointmentsChanged.emit()
        return made.id

    def edit_appointment(self) -> None:
        from secondopinion_desktop.ui.appointments.dialogs import AppointmentDialog

        if self.folder is None or self._current is None:
            return
        self.flush()
        dialog = AppointmentDialog(self.folder, self._current, parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if dialog.clinician_added:
            self.directoryChanged.emit()
        if not accepted:
            return
        try:
            with self.folder.session() as session:
                svc.update_appointment(session, self._current.id, **dialog.fields())
        except SecondOpinionError as exc:
            self.show_error(str(exc))
        self.reload(select=self._current.id)
        self.appointmentsChanged.emit()

    def delete_appointment(self) -> bool:
        if self.folder is None or self._current is None:
            return False
        self.flush()
        with self.folder.session() as session:
            a = svc.get_appointment(session, self._current.id)
        questions = len(a.questions)
        answered = sum(q.answered for q in a.questions)
        notes = len(a.notes)
        parts = []
        if questions:
            parts.append(plural(questions, "question")
                         + (f" ({answered} answered)" if answered else ""))
        if notes:
            parts.append(plural(notes, "note"))
        goes = (" and ".join(parts) + (" go" if questions + notes > 1 else " goes") + " with it."
                if parts else "It has no questions or notes.")
        answer = QMessageBox.question(
            self, "Delete appointment",
            f"Delete the appointment on {appointment_title(a)}?\n\nIts {goes}\n\nThis cannot be undone."
            if parts else f"Delete the appointment on {appointment_title(a)}?\n\n{goes}\n\nThis cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.questions.answer_saver.cancel()
        self.notes.saver.cancel()
        row = self.listed_ids().index(a.id) if a.id in self.listed_ids() else 0
        try:
            with self.folder.session() as session:
                svc.delete_appointment(session, a.id)
        except SecondOpinionError as exc:
            self.show_error(str(exc))
        self._current = None
        remaining = [i for i in self.listed_ids() if i != a.id]
        self.reload(select=remaining[min(row, len(remaining) - 1)] if remaining else None)
        self.appointmentsChanged.emit()
        self.notify(f"Deleted the appointment on {appointment_title(a)}.")
        return True

    # --- directory, profile, history ---------------------------------------------------------------------

    def open_clinicians(self) -> None:
        from secondopinion_desktop.ui.appointments.dialogs import CliniciansDialog

        if self.folder is None:
            return
        dialog = CliniciansDialog(self.folder, parent=self)
        dialog.exec()
        if dialog.changed:
            self.reload()  # names and institutions shown here may have changed
            self.directoryChanged.emit()

    def edit_profile(self) -> bool:
        """Open the patient profile (what its button does); True when changes were saved."""
        from secondopinion_desktop.ui.appointments.dialogs import ProfileDialog

        if self.folder is None:
            return False
        dialog = ProfileDialog(self.folder, parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        saved = accepted and bool(dialog.saved)
        dialog.deleteLater()
        if saved:
            self.notify("Saved the patient profile.")
            self.profileChanged.emit()
        elif accepted:
            self.notify("The patient profile is unchanged.")
        return saved

    def open_treatments(self) -> None:
        from secondopinion_desktop.ui.appointments.dialogs import TreatmentHistoryDialog

        if self.folder is not None:
            TreatmentHistoryDialog(self.folder, parent=self).exec()

    # --- packet and notes export -------------------------------------------------------------------------

    def request_packet(self) -> None:
        if self._current is not None:
            self.flush()
            self.exportPacketRequested.emit(self._current.id)

    def default_notes_name(self) -> str:
        day = self._current.starts_at if self._current else dt.datetime.now()
        return f"notes-{day:%Y-%m-%d}.pdf"

    def export_notes(self, target: Path | None = None) -> Job | None:
        """Write this appointment's questions, answers and notes to a PDF, off the GUI thread."""
        if self.folder is None or self._current is None:
            return None
        self.flush()
        chosen = target is None
        if target is None:
            folder_hint = Path(str(QSettings().value(SETTINGS + "exportDir", "") or Path.home()))
            if not folder_hint.is_dir():
                folder_hint = Path.home()
            name, _ = QFileDialog.getSaveFileName(
                self, "Export notes to PDF", str(folder_hint / self.default_notes_name()), "PDF files (*.pdf)"
            )
            if not name:
                return None
            target = Path(name)
            if target.suffix.lower() != ".pdf":
                target = target.with_name(target.name + ".pdf")
        from secondopinion_desktop.core.outputs import check_output

        try:  # never over the database, a stored file or a device
            target = check_output(target, self.folder.path, what="the notes", example=self.default_notes_name())
        except SecondOpinionError as exc:
            self.show_error(str(exc), "Export notes")
            return None
        if chosen:  # the next export starts there (never in a place that was refused)
            QSettings().setValue(SETTINGS + "exportDir", str(target.parent))
        try:
            from secondopinion_desktop.core.packet import export_notes_pdf
        except ImportError as exc:
            log.exception("notes export is not available")
            self.show_error(f"Exporting notes to PDF is not available in this version ({exc}).", "Export notes")
            return None
        folder, appointment_id, out = self.folder, self._current.id, target

        def succeeded(_result: object) -> None:
            self.export_job = None
            self._update_actions()
            self.notify(f"Notes saved to {out}.")

        def failed(exc: BaseException) -> None:
            self.export_job = None
            self._update_actions()
            cause = exc.__cause__ if isinstance(exc, SecondOpinionError) else exc
            if isinstance(cause, OSError):  # writing the file failed (the writer's own sentence names a packet)
                self.show_error(_write_failure(cause, out), "Export notes")
            elif isinstance(exc, SecondOpinionError):
                self.show_error(f"The notes could not be exported: {exc}", "Export notes")
            else:
                self.show_error(f"The notes could not be exported because of an unexpected problem "
                                f"({type(exc).__name__}: {exc}). Details are in the log.", "Export notes")
                log.error("notes export failed", exc_info=exc)

        self.export_job = run_in_background(
            lambda: export_notes_pdf(folder, appointment_id, out), succeeded, failed
        )
        self._update_actions()
        return self.export_job

    # --- settings and shutdown ---------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        settings = QSettings()
        for key, splitter, sizes in (
            ("splitter", self.splitter, [300, 900]),
            ("rightSplitter", self.right_splitter, [140, 560]),
            ("workSplitter", self.work_splitter, [440, 460]),
            ("questionsSplitter", self.questions.splitter, [330, 200]),
        ):
            state = settings.value(SETTINGS + key)
            if state is None or not splitter.restoreState(state):
                splitter.setSizes(sizes)

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue(SETTINGS + "splitter", self.splitter.saveState())
        settings.setValue(SETTINGS + "rightSplitter", self.right_splitter.saveState())
        settings.setValue(SETTINGS + "workSplitter", self.work_splitter.saveState())
        settings.setValue(SETTINGS + "questionsSplitter", self.questions.splitter.saveState())
        current = self.current_appointment_id()
        settings.setValue(SETTINGS + "current", current if current is not None else "")

    def shutdown(self) -> None:
        """Save the answer and note being typed and the view state; wait for a notes export still running."""
        self.flush()
        self.save_settings()
        if self.export_job is not None and not self.export_job.done:
            QThreadPool.globalInstance().waitForDone(30_000)


def _write_failure(exc: OSError, out: Path) -> str:
    """The sentence for a notes file that could not be written; nothing was left at ``out``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full: the notes could not be saved to {out.parent}."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write the notes to {out}: the folder {out.parent} is not writable."
    return f"Cannot write the notes to {out}: {exc.strerror or exc}."
