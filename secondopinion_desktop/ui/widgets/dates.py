"""Date fields: a typed YYYY-MM-DD date with a calendar (``DateField``) and a date and time
(``DateTimeField``). The text is what the core parses; the calendar only helps to fill it in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, QPoint, QPointF, QRect, Qt, QTime
from PySide6.QtGui import QIcon, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QDateTimeEdit,
    QHBoxLayout,
    QLineEdit,
    QStyle,
    QStyleOptionComboBox,
    QToolButton,
    QWidget,
)

DATE_PLACEHOLDER = "YYYY-MM-DD"
DATETIME_FORMAT = "yyyy-MM-dd HH:mm"
UNSET = QDateTime(QDate(1800, 1, 1), QTime(0, 0))  # the date-time field's "not chosen yet" value
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


class DateField(QWidget):
    """A YYYY-MM-DD line edit with a calendar button (the calendar also opens with Alt+Down in the edit).

    The text is what the core parses; the calendar only helps to fill it in.
    """

    def __init__(self, object_name: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setObjectName(object_name)
        self.edit.setPlaceholderText(DATE_PLACEHOLDER)
        self.edit.setAccessibleName(accessible_name)
        self.edit.setAccessibleDescription("A date written year-month-day, for example 2024-03-15.")
        self.edit.setClearButtonEnabled(True)
        room = self.edit.fontMetrics().horizontalAdvance(f"{DATE_PLACEHOLDER} — empty means today")
        self.edit.setMaximumWidth(room + 48)
        self.edit.installEventFilter(self)
        self.button = QToolButton()
        self.button.setObjectName(f"{object_name}Calendar")
        icon = QIcon.fromTheme("x-office-calendar")
        if icon.isNull():
            self.button.setText("Calendar…")
        else:
            self.button.setIcon(icon)
        what = accessible_name.lower()
        self.button.setToolTip(f"Choose the {what} on a calendar (Alt+Down in the date box)")
        self.button.setAccessibleName(f"Choose the {accessible_name.lower()} on a calendar")
        self.button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # the keyboard way is Alt+Down in the edit
        self.button.clicked.connect(self.show_calendar)
        self.calendar: QCalendarWidget | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        layout.addStretch(0)
        self.setFocusProxy(self.edit)

    def text(self) -> str:
        return self.edit.text()

    def set_date(self, day: dt.date | None) -> None:
        self.edit.setText(iso(day))

    def value(self) -> dt.date | str | None:
        """None when empty; a date when the text is a real YYYY-MM-DD date; otherwise the text as typed, for
        the core to refuse with its message (so an untouched record's fields equal ``record_fields``)."""
        text = self.edit.text().strip()
        if not text:
            return None
        if _ISO_DATE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        return text

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # getattr: a field being taken apart (freed late by Python's collector) can still get events
        if (
            watched is getattr(self, "edit", None)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down  # type: ignore[attr-defined]
            and event.modifiers() & Qt.KeyboardModifier.AltModifier  # type: ignore[attr-defined]
        ):
            self.show_calendar()
            return True
        return super().eventFilter(watched, event)

    def show_calendar(self) -> None:
        """Open a calendar on the typed date (today when there is none); picking a day fills the edit."""
        if self.calendar is None:
            self.calendar = QCalendarWidget(self)
            self.calendar.setWindowFlags(Qt.WindowType.Popup)
            self.calendar.setObjectName(f"{self.edit.objectName()}Popup")
            self.calendar.setGridVisible(True)
            self.calendar.setMinimumDate(QDate(1900, 1, 1))
            self.calendar.clicked.connect(self._picked)
            self.calendar.activated.connect(self._picked)
        try:
            shown = dt.date.fromisoformat(self.edit.text().strip())
        except ValueError:
            shown = dt.date.today()
        self.calendar.setSelectedDate(QDate(shown.year, shown.month, shown.day))
        self.calendar.adjustSize()
        self.calendar.move(self.edit.mapToGlobal(QPoint(0, self.edit.height())))
        self.calendar.show()
        self.calendar.setFocus()

    def _picked(self, day: QDate) -> None:
        self.edit.setText(day.toString("yyyy-MM-dd"))
        if self.calendar is not None:
            self.calendar.hide()
        self.edit.setFocus()


class DateTimeField(QDateTimeEdit):
    """A date and time typed as ``YYYY-MM-DD HH:MM`` or picked on the calendar popup.

    It may be "not chosen yet" (``UNSET``, shown as a hint); the first key or click fills in a starting
    value so that typing works. Alt+Down or F4 opens the calendar. Typing the separators after a section that
    filled itself (``2026-`` after ``2026`` jumped to the month) is forgiven, so the whole ISO text can be typed
    in one go.
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

    def mousePressEvent(self, event: QMouseEvent) -> None:
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

    def keyPressEvent(self, event: QKeyEvent) -> None:
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
