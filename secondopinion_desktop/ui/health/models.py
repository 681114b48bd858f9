"""The health summary's tables as Qt models: medications, allergies, the tests with results, and one test's values.

Every cell shows what was given, as it was given: a value "<0.5" stays "<0.5", a unit is never converted. Where a
row came from is said in words (``core.health.source_words``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from secondopinion_desktop.core.health import AllergyData, LabPoint, LabSeries, MedicationData, is_current, source_words
from secondopinion_desktop.core.words import NO_DATE, day_month_year
from secondopinion_desktop.ui.widgets.rows_model import ID_ROLE, ROW_ROLE, Index, RowsTableModel

__all__ = ["ID_ROLE", "MIXED_UNITS", "ROW_ROLE", "AllergiesModel", "MedicationsModel", "TestsModel", "ValuesModel",
           "partial_date_words"]

MIXED_UNITS = "mixed units: values are shown as given and not converted"
PAST_TEXT = "#6b6b6b"
MIXED_TEXT = "#8a5300"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def partial_date_words(iso: str) -> str:
    """"2025-03-04" → "4 Mar 2025", "2025-03" → "Mar 2025", "2025" → "2025"; anything else as given."""
    text = (iso or "").strip()
    try:
        if len(text) >= 10:
            return day_month_year(dt.date.fromisoformat(text[:10]))
        if len(text) == 7:
            return f"{_MONTHS[int(text[5:7]) - 1]} {text[:4]}"
    except (ValueError, IndexError):
        return text
    return text


class MedColumn(enum.IntEnum):
    NOW = 0
    NAME = 1
    DOSE = 2
    ROUTE = 3
    FREQUENCY = 4
    START = 5
    END = 6
    REASON = 7
    PRESCRIBER = 8
    SOURCE = 9


class MedicationsModel(RowsTableModel[MedicationData]):
    HEADERS = ("Status", "Medication", "Dose", "Route", "How often", "Started", "Stopped", "Why", "Prescriber",
               "Source")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = dt.date.today()

    def cell(self, row: MedicationData, column: int) -> str:
        if column == MedColumn.NOW:
            return "Taking now" if is_current(row, self.today) else "Stopped"
        if column == MedColumn.NAME:
            return row.name
        if column == MedColumn.DOSE:
            return row.dose
        if column == MedColumn.ROUTE:
            return row.route
        if column == MedColumn.FREQUENCY:
            return row.frequency
        if column == MedColumn.START:
            return partial_date_words(row.start)
        if column == MedColumn.END:
            return partial_date_words(row.end)
        if column == MedColumn.REASON:
            return row.reason
        if column == MedColumn.PRESCRIBER:
            return row.prescriber
        return source_words(row.origin, row.source.record_title, row.source.source_name)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is not None and role == Qt.ItemDataRole.ForegroundRole and not is_current(row, self.today):
            return QBrush(QColor(PAST_TEXT))
        if row is not None and role == Qt.ItemDataRole.FontRole and index.column() == MedColumn.NAME:
            font = QFont()
            font.setBold(is_current(row, self.today))
            return font
        return super().data(index, role)


class AllergyColumn(enum.IntEnum):
    SUBSTANCE = 0
    KIND = 1
    REACTION = 2
    SEVERITY = 3
    SOURCE = 4


KIND_WORDS = {"allergy": "Allergy", "intolerance": "Intolerance", "": "Not said"}


class AllergiesModel(RowsTableModel[AllergyData]):
    HEADERS = ("Substance", "Kind", "Reaction", "Severity", "Source")

    def cell(self, row: AllergyData, column: int) -> str:
        if column == AllergyColumn.SUBSTANCE:
            return row.substance
        if column == AllergyColumn.KIND:
            return KIND_WORDS.get(row.category, row.category)
        if column == AllergyColumn.REACTION:
            return row.reaction
        if column == AllergyColumn.SEVERITY:
            return row.severity
        return source_words(row.origin, row.source.record_title, row.source.source_name)


def value_words(point: LabPoint) -> str:
    """The value as given with its unit: "<0.5 ng/mL", "positive"."""
    return f"{point.value} {point.unit}".strip()


class TestsModel(RowsTableModel[Any]):
    """One row per test (a ``LabSeries``): its name (marked ⚠ when its values carry more than one unit), the latest
    value with its unit, and its date."""

    HEADERS = ("Test", "Latest", "Date")

    def cell(self, row: LabSeries, column: int) -> str:
        latest = row.latest
        if column == 0:
            return f"{row.name} ⚠" if row.mixed_units else row.name
        if column == 1:
            return value_words(latest) if latest is not None else ""
        return day_month_year(latest.day) if latest is not None and latest.day else "no date"

    def row_of(self, row_id: Any) -> int:
        return next((n for n, r in enumerate(self._rows) if r.key == row_id), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == ID_ROLE:
            return row.key
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{row.name}: {len(row.points)} value{'s' if len(row.points) != 1 else ''}"
            if row.mixed_units:
                tip += f"; {MIXED_UNITS} ({', '.join(u or 'no unit' for u in row.units)})"
            return tip
        if role == Qt.ItemDataRole.AccessibleTextRole and index.column() == 0 and row.mixed_units:
            return f"{row.name}, {MIXED_UNITS}"
        if role == Qt.ItemDataRole.ForegroundRole and row.mixed_units:
            return QBrush(QColor(MIXED_TEXT))
        return super().data(index, role)


class ValuesModel(RowsTableModel[Any]):
    """One test's values, newest first (undated last): each exactly as given."""

    HEADERS = ("Date", "Value", "Unit", "Reference range", "Flag", "Source")

    def cell(self, row: LabPoint, column: int) -> str:
        if column == 0:
            return day_month_year(row.day) if row.day else f"{NO_DATE} no date"
        if column == 1:
            return row.value
        if column == 2:
            return row.unit
        if column == 3:
            return row.reference_range
        if column == 4:
            return row.flag
        return source_words(row.origin, row.record_title, row.source_name)

    def row_of(self, row_id: Any) -> int:
        return next((n for n, r in enumerate(self._rows) if r.result_id == row_id), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == ID_ROLE:
            return row.result_id
        return super().data(index, role)
