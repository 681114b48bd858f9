"""The inventory table model on its own (no view): columns, roles, filtering, sorting, counts."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, Qt

from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.core.records import RecordRow
from secondopinion_desktop.ui.records.model import HEADERS, RECORD_ID_ROLE, Column, RecordsTableModel


def row(record_id: int, kind: RecordKind, title: str, day: dt.date | None, status: RecordStatus,
        facility: str = "", clinician: str = "", summary: str = "", notes: str = "", files: int = 0) -> RecordRow:
    return RecordRow(record_id, kind, title, day, facility, clinician, status, None, None, None, summary, notes, files)


ROWS = [
    row(1, RecordKind.LAB, "Complete blood count", dt.date(2026, 3, 14), RecordStatus.RECEIVED,
        "Example Reference Laboratories", files=1),
    row(2, RecordKind.PATHOLOGY, "Core biopsy report", dt.date(2026, 2, 20), RecordStatus.REQUESTED,
        "Samplewood Community Hospital", "Dr. Pat Example", summary="Invasive ductal carcinoma, grade 2"),
    row(3, RecordKind.PATHOLOGY, "Biopsy slides and block", dt.date(2026, 2, 20), RecordStatus.NEEDED,
        "Samplewood Community Hospital", notes="Ask for 12 unstained slides"),
    row(4, RecordKind.IMAGING, "Breast MRI", dt.date(2026, 3, 1), RecordStatus.SENT, "Samplewood Imaging", files=2),
    row(5, RecordKind.IDENTITY, "Insurance card — ✓ 保险", None, RecordStatus.RECEIVED, files=2),
]


def visible_ids(model: RecordsTableModel) -> list[int]:
    return [model.index(r, 0).data(RECORD_ID_ROLE) for r in range(model.rowCount())]


def test_columns_and_display_values(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    assert model.columnCount() == len(Column) == 6
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == [HEADERS[c] for c in Column]
    assert model.rowCount() == 5
    assert model.rowCount(model.index(0, 0)) == 0  # a table, not a tree
    r = model.row_of(1)
    assert model.index(r, Column.KIND).data() == "Lab / test result"
    assert not model.index(r, Column.KIND).data(Qt.ItemDataRole.DecorationRole).isNull()
    assert model.index(r, Column.DATE).data() == "2026-03-14"
    assert model.index(r, Column.FACILITY).data() == "Example Reference Laboratories"
    assert model.index(r, Column.FILES).data() == "1"
    undated = model.row_of(5)
    assert model.index(undated, Column.DATE).data() == "—"
    assert model.index(undated, Column.TITLE).data() == "Insurance card — ✓ 保险"


def test_records_still_to_get_are_marked(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    needed = model.index(model.row_of(3), Column.STATUS)
    requested = model.index(model.row_of(2), Column.STATUS)
    received = model.index(model.row_of(1), Column.STATUS)
    assert needed.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert requested.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert needed.data(Qt.ItemDataRole.BackgroundRole).color() != requested.data(Qt.ItemDataRole.BackgroundRole).color()
    assert received.data(Qt.ItemDataRole.BackgroundRole) is None
    assert needed.data(Qt.ItemDataRole.FontRole).bold()


def test_default_order_is_newest_first_with_undated_last(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    assert visible_ids(model) == [1, 4, 3, 2, 5]


def test_sort_by_each_column(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    model.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    assert visible_ids(model) == [3, 4, 1, 2, 5]  # Biopsy…, Breast…, Complete…, Core…, Insurance…
    model.sort(Column.DATE, Qt.SortOrder.AscendingOrder)
    assert visible_ids(model)[:2] in ([2, 3], [3, 2]) and visible_ids(model)[-1] == 5
    model.sort(Column.STATUS, Qt.SortOrder.AscendingOrder)
    assert [model.row_data(i).status for i in visible_ids(model)][:2] == [RecordStatus.NEEDED, RecordStatus.REQUESTED]
    model.sort(Column.FILES, Qt.SortOrder.DescendingOrder)
    assert [model.row_data(i).attachment_count for i in visible_ids(model)] == [2, 2, 1, 0, 0]
    model.sort(Column.KIND, Qt.SortOrder.AscendingOrder)
    assert [model.row_data(i).kind for i in visible_ids(model)][0] is RecordKind.LAB
    model.sort(Column.FACILITY, Qt.SortOrder.AscendingOrder)
    assert visible_ids(model)[0] == 5  # no facility sorts first


def test_search_matches_title_facility_clinician_summary_and_notes(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    for text, expected in [
        ("blood", [1]),
        ("SAMPLEWOOD", [4, 3, 2]),
        ("pat example", [2]),  # clinician, every word must match
        ("ductal", [2]),  # summary
        ("unstained", [3]),  # notes
        ("保险", [5]),
        ("nothing like this", []),
        ("", [1, 4, 3, 2, 5]),
    ]:
        model.set_filter(text)
        assert visible_ids(model) == expected, text


def test_kind_and_status_filters_combine_with_search(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    model.set_filter(kind=RecordKind.PATHOLOGY)
    assert visible_ids(model) == [3, 2]
    model.set_filter(kind=RecordKind.PATHOLOGY, statuses=[RecordStatus.NEEDED])
    assert visible_ids(model) == [3]
    model.set_filter("slides", statuses=[RecordStatus.NEEDED, RecordStatus.REQUESTED])
    assert visible_ids(model) == [3]
    assert model.summary().startswith("Showing 1 of 5.")


def test_summary_counts_per_kind_and_status(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    text = model.summary()
    assert "5 records" in text
    assert "Pathology 2 (1 still to request, 1 waiting)" in text
    assert "Lab / test result 1" in text
    assert "Needed 1 · Requested 1 · Received 2 · Sent to second-opinion doctor 1" in text
    model.set_rows([])
    assert "No records yet" in model.summary()


def test_upsert_and_remove_keep_filter_and_order(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    model.set_filter("biopsy")
    assert visible_ids(model) == [3, 2]
    model.upsert_rows([row(6, RecordKind.PATHOLOGY, "Second biopsy", dt.date(2026, 4, 1), RecordStatus.NEEDED)])
    assert visible_ids(model) == [6, 3, 2]
    model.upsert_rows([row(3, RecordKind.PATHOLOGY, "Slides and block", dt.date(2026, 2, 20), RecordStatus.NEEDED)])
    assert visible_ids(model) == [6, 2]
    model.remove_ids([6])
    assert visible_ids(model) == [2]
    assert model.total == 5
    assert model.data(QModelIndex()) is None


def test_rows_of_gives_the_shown_rows_in_the_order_asked(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS)
    model.set_filter("biopsy")
    shown = visible_ids(model)
    assert sorted(shown) == [2, 3]
    assert model.rows_of([3, 1, 2]) == [(shown.index(3), 3), (shown.index(2), 2)]  # 1 is filtered out


def test_counts_use_the_singular_for_one(qapp) -> None:
    model = RecordsTableModel()
    model.set_rows(ROWS[:1])
    assert model.summary().startswith("1 record: Lab / test result 1")
    model.set_rows(ROWS)
    assert model.summary().startswith("5 records: ")
