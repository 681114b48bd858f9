"""The directory as table models: one row per clinician (``CliniciansModel``, in the columns ``Column`` names)
and one row per facility with its records department (``FacilitiesModel``, in the columns ``FacilityColumn``
names)."""

from __future__ import annotations

import enum
import html
from typing import Any

from PySide6 import QtGui
from PySide6.QtCore import Qt

from secondopinion_desktop.core.directory import ClinicianData, FacilityData
from secondopinion_desktop.ui.widgets.rows_model import ID_ROLE, ROW_ROLE, Index, Row, RowsTableModel

__all__ = ["FACILITY_HEADERS", "HEADERS", "ID_ROLE", "ROW_ROLE", "CliniciansModel", "Column", "FacilitiesModel",
           "FacilityColumn"]


class Column(enum.IntEnum):
    NAME = 0
    SPECIALTY = 1
    CREDENTIALS = 2
    INSTITUTION = 3
    ROLE = 4


HEADERS = ("Name", "Specialty", "Credentials", "Institution", "Role")


class FacilityColumn(enum.IntEnum):
    NAME = 0
    KIND = 1
    RECORDS_CONTACT = 2
    RECORDS_PHONE = 3
    RECORDS_FAX = 4


FACILITY_HEADERS = ("Name", "Kind", "Records department", "Records phone", "Records fax")


class _LiteralTips(RowsTableModel[Row]):
    """A tooltip shows a cell's text as typed: a name that looks like markup (``<b>…``) is not rendered."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = super().data(index, role)
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str) and QtGui.Qt.mightBeRichText(value):
            return f"<qt>{html.escape(value)}</qt>"
        return value


class CliniciansModel(_LiteralTips[ClinicianData]):
    HEADERS = HEADERS

    def cell(self, row: ClinicianData, column: int) -> str:
        return (row.name, row.specialty, row.credentials, row.facility_name, row.role.label)[column]


class FacilitiesModel(_LiteralTips[FacilityData]):
    HEADERS = FACILITY_HEADERS

    def cell(self, row: FacilityData, column: int) -> str:
        return (row.name, row.kind.label, row.records_contact, row.records_phone, row.records_fax)[column]
