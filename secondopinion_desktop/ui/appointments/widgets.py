"""Small pieces shared by the Appointments tab and its dialogs: the error banner, form rows, the date-time
field, the autosave timer and how times are written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, QPointF, QRect, Qt, QTime, QTimer
from PySide6.QtGui import QAccessible, QAccessibleEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

ERROR_STYLE = (
    "QLabel#errorLabel { color: #8b1a1a; background: #fdecea; border: 1px solid #e0a8a8;"
    " border-radius: 4px; padding: 6px; font-weight: bold; }"
)
DATETIME_FORMAT = "yyyy-MM-dd HH:mm"
UNSET = QDateTime(QDate(1800, 1, 1), QTime(0, 0))  # the date-time field's "not chosen yet" value


def error_label() -> QLabel:
    """The red banner at the top of a dialog that says what the core refused (hidden until then)."""
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName("Problem")
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.show()
    QAccessible.updateAccessibility(QAccessibleEvent(label, QAccessible.Event.Alert))


def set_placeholder(edit: QPlainTextEdit, text: str) -> None:
    """Change a text box's grey hint and repaint all of it: Qt repaints only the lines whose text changed, so
    the old hint would show through the new one where they differ in length."""
    if edit.placeholderText() != text:
        edit.setPlaceholderText(text)
        edit.viewport().update()


def add_row(
    form: QFormLayout, text: str, widget: QWidget, object_name: str, accessible_name: str,
    *, buddy: QWidget | None = None,
) -> QLabel:
    """A labelled form row; the label's mnemonic moves to the input, which gets an objectName and a11y name."""
    label = QLabel(text)
    label.setObjectName(f"{object_name}Label")
    target = buddy or widget
    target.setObjectName(object_name)
    target.setAccessibleName(accessible_name)
    label.setBuddy(target)
    form.addRow(label, widget)
    return label


def short_time(moment: dt.datetime) -> str:
    return f"{moment:%H:%M}"


def long_date(moment: dt.datetime | dt.date) -> str:
    """``Tue 8 Dec 2026`` (English, whatever the locale: the rest of the app is English too)."""
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def when_text(moment: dt.datetime) -> str:
    """``Tue 8 Dec 2026, 09:30``."""
    return f"{long_date(moment)}, {short_time(moment)}"


def started_text(started: dt.datetime, day: dt.date | None = None) -> str:
    """``Started 09:42``, with the date too when the note was not begun on ``day`` (the appointment's)."""
    if day is None or started.date() == day:
        return f"Started {short_time(started)}"
    return f"Started {long_date(started)}, {short_time(started)}"


class DateTimeField(QDateTimeEdit):
    """A date and time typed as ``YYYY-MM-DD HH:MM`` or picked on the calendar popup.

    It may be "not chosen yet" (``UNSET``, shown as a hint); the first key or click fills in a starting
    value so that typing works. Alt+Down or F4 opens the calendar. Typing the separators after a section that filled itself (``2026-`` after
    ``2026`` jumped to the month) is forgiven, so the whole ISO text can be typed in one go.
    """

    HINT = "Not chosen yet"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat(DATETIME_FORMAT)
        self.setCalendarPopup(True)
        self.setMinimumDateTime(UNSET)
        self.setSpecialValueText(self.HINT)
        self.setCurrentSection(QDateTimeEdit.Section.YearSection)
        self._advanced = False
        self.starting_value: Callable[[], QDateTime] = _tomorrow_morning

    def is_unset(self) -> bool:
        return self.dateTime() == UNSET

    def set_value(self, moment: dt.datetime | None) -> None:
        if moment is None:
            self.setDateTime(UNSET)
        else:
            self.setDateTime(QDateTime(QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute)))

    def value(self) -> dt.datetime | None:
        if self.is_unset():
            return None
        moment = self.dateTime()
        d, t = moment.date(), moment.time()
        return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    def _start(self) -> None:
        if self.is_unset():
            self.setDateTime(self.starting_value())
            self.setSelectedSection(QDateTimeEdit.Section.YearSection)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._start()
        super().mousePressEvent(event)

    def show_calendar(self) -> None:
        """Open the calendar popup (QDateTimeEdit opens it only for a click on the arrow, so click there)."""
        self._start()
        option = QStyleOptionComboBox()  # what QDateTimeEdit hit-tests its popup arrow with
        option.initFrom(self)
        option.editable = True
        option.frame = True
        option.subControls = QStyle.SubControl.SC_All
        arrow = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxArrow, self
        )
        if not arrow.isValid():
            arrow = QRect(self.width() - 10, 0, 10, self.height())
        point = QPointF(arrow.center())
        press = QMouseEvent(QEvent.Type.MouseButtonPress, point, self.mapToGlobal(point),
                            Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        super().mousePressEvent(press)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        text = event.text()
        key = event.key()
        if key == Qt.Key.Key_F4 or (key == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier):
            self.show_calendar()
            return
        navigation = key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
        if navigation and self.is_unset():
            self._start()  # the first step shows a starting value instead of stepping away from "not chosen"
            return
        if text and text.isprintable():
            self._start()
        if text and not text.isdigit() and self._advanced:
            self._advanced = False
            if text in "-/.: ":
                event.accept()  # the section already moved on by itself
                return
        if text.isdigit() and self.lineEdit().hasSelectedText() and self.lineEdit().selectedText() == self.text():
            self.setSelectedSection(QDateTimeEdit.Section.YearSection)  # all selected: start over from the year
        before = self.currentSectionIndex()
        super().keyPressEvent(event)
        self._advanced = bool(text) and text.isdigit() and self.currentSectionIndex() != before


def _tomorrow_morning() -> QDateTime:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    return QDateTime(QDate(tomorrow.year, tomorrow.month, tomorrow.day), QTime(9, 0))


class Autosave(QObject):
    """Calls ``save()`` one ``delay`` after the last change, and at the latest ``max_wait`` after the first
    unsaved one (so steady typing is saved too). ``flush()`` saves now if anything is pending."""

    def __init__(self, save: Callable[[], None], delay: int = 1000, max_wait: int = 3000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._save = save
        self.pending = False
        self._quiet = QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(delay)
        self._quiet.timeout.connect(self.flush)
        self._longest = QTimer(self)
        self._longest.setSingleShot(True)
        self._longest.setInterval(max_wait)
        self._longest.timeout.connect(self.flush)

    def changed(self) -> None:
        self.pending = True
        self._quiet.start()
        if not self._longest.isActive():
            self._longest.start()

    def cancel(self) -> None:
        self.pending = False
        self._quiet.stop()
        self._longest.stop()

    def flush(self) -> None:
        self._quiet.stop()
        self._longest.stop()
        if self.pending:
            self.pending = False
            self._save()
