"""The clinicians directory as a table model: one row per clinician, in the columns ``Column`` names."""

from __future__ import annotations

import enum

from secondopinion_desktop.core.directory import ClinicianData
from secondopinion_desktop.ui.widgets.rows_model import ID_ROLE, ROW_ROLE, RowsTableModel

__all__ = ["HEADERS", "ID_ROLE", "ROW_ROLE", "CliniciansModel", "Column"]


class Column(enum.IntEnum):
    NAME = 0
    SPECIALTY = 1
    CREDENTIALS = 2
    INSTITUTION = 3
    ROLE = 4


HEADERS = ("Name", "Specialty", "Credentials", "Institution", "Role")


class CliniciansModel(RowsTableModel[ClinicianData]):
    HEADERS = HEADERS

    def cell(self, row: ClinicianData, column: int) -> str:
        return (row.name, row.specialty, row.credentials, row.facility_name, row.role.label)[column]
