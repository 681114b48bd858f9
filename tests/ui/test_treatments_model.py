"""The treatment history's table model on its own (no view): columns and what each cell says."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from secondopinion_desktop.core.models import TreatmentKind
from secondopinion_desktop.core.treatments import TreatmentLineData
from secondopinion_desktop.ui.treatments.model import HEADERS, ID_ROLE, Column, TreatmentsModel

ROWS = [
    TreatmentLineData(3, TreatmentKind.SURGERY, "Lumpectomy", dt.date(2026, 1, 10), dt.date(2026, 1, 10),
                      "clear margins"),
    TreatmentLineData(5, TreatmentKind.CHEMOTHERAPY, "AC-T, 8 cycles", dt.date(2026, 2, 1), None, ""),
    TreatmentLineData(8, TreatmentKind.OTHER, "Planned", None, None, ""),
]


def test_columns_and_cells(qapp) -> None:
    model = TreatmentsModel()
    model.set_rows(ROWS)
    assert model.columnCount() == len(Column) == 5 and model.rowCount() == 3
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == list(HEADERS)
    assert [model.index(0, c).data() for c in Column] == [
        TreatmentKind.SURGERY.label, "Lumpectomy", "2026-01-10", "2026-01-10", "clear margins"]
    assert model.index(1, Column.END).data() == "ongoing"  # started, not ended
    assert model.index(2, Column.START).data() == "" and model.index(2, Column.END).data() == ""  # not started
    assert [model.index(r, Column.KIND).data(ID_ROLE) for r in range(3)] == [3, 5, 8]
    assert model.row_of(5) == 1
