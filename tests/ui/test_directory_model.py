"""The clinicians directory's table model on its own (no view): columns, cells, ids, look-ups."""

from __future__ import annotations

from PySide6.QtCore import Qt

from secondopinion_desktop.core.directory import ClinicianData
from secondopinion_desktop.core.models import ClinicianRole
from secondopinion_desktop.ui.directory.model import HEADERS, ID_ROLE, ROW_ROLE, CliniciansModel, Column


def clinician(clinician_id: int, name: str, specialty: str = "", credentials: str = "", facility: str = "",
              role: ClinicianRole = ClinicianRole.TREATING) -> ClinicianData:
    return ClinicianData(clinician_id, name, specialty, credentials, "", None, facility, "", "", "", role, "")


ROWS = [
    clinician(4, "Avery Example-Stone", "Medical oncology", "MD", "Example University Cancer Center",
              ClinicianRole.SECOND_OPINION),
    clinician(9, "Taylor Testwell", "Medical oncology", "MD", "Samplewood Community Hospital"),
    clinician(2, "李 医生 — Dr. Li"),
]


def test_columns_cells_and_look_ups(qapp) -> None:
    model = CliniciansModel()
    assert model.rowCount() == 0
    model.set_rows(ROWS)
    assert model.columnCount() == len(Column) == 5
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == list(HEADERS)
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    first = [model.index(0, c).data() for c in Column]
    assert first == ["Avery Example-Stone", "Medical oncology", "MD", "Example University Cancer Center",
                     ClinicianRole.SECOND_OPINION.label]
    assert model.index(2, Column.NAME).data() == "李 医生 — Dr. Li" and model.index(2, Column.INSTITUTION).data() == ""
    assert model.index(1, Column.NAME).data(Qt.ItemDataRole.ToolTipRole) == "Taylor Testwell"
    assert model.index(1, Column.ROLE).data(ID_ROLE) == 9 and model.index(1, 0).data(ROW_ROLE) == ROWS[1]
    assert [model.row_of(i) for i in (4, 9, 2, 7)] == [0, 1, 2, -1]
    assert model.row_at(2) == ROWS[2] and model.row_at(3) is None
    assert model.index(5, 0).data() is None and model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0


def test_new_rows_replace_the_old(qapp) -> None:
    model = CliniciansModel()
    model.set_rows(ROWS)
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.set_rows(ROWS[1:])
    assert resets == [True] and model.rowCount() == 2 and model.rows == tuple(ROWS[1:])
