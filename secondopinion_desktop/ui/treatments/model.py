"""The treatment history as a table model: one row per line of treatment, in the columns ``Column`` names."""

from __future__ import annotations

import enum

from secondopinion_desktop.core.treatments import TreatmentLineData
from secondopinion_desktop.ui.widgets.rows_model import ID_ROLE, ROW_ROLE, RowsTableModel

__all__ = ["HEADERS", "ID_ROLE", "ROW_ROLE", "Column", "TreatmentsModel"]


class Column(enum.IntEnum):
    KIND = 0
    DESCRIPTION = 1
    START = 2
    END = 3
    RESPONSE = 4


HEADERS = ("Kind", "Description", "Start", "End", "Response")


class TreatmentsModel(RowsTableModel[TreatmentLineData]):
    HEADERS = HEADERS

    def cell(self, row: TreatmentLineData, column: int) -> str:
        if column == Column.KIND:
            return row.kind.label
        if column == Column.DESCRIPTION:
            return row.description
        if column == Column.START:
            return row.start_date.isoformat() if row.start_date else ""
        if column == Column.END:
            if row.end_date:
                return row.end_date.isoformat()
            return "ongoing" if row.start_date else ""
        return row.response
