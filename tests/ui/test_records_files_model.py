"""The detail pane's files list model on its own (no view): rows, text, tooltip, colour, icon and roles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from secondopinion_desktop.core.records import AttachmentData
from secondopinion_desktop.ui.records.files_list import (
    ATTACHMENT_ID_ROLE,
    ATTACHMENT_ROLE,
    MISSING_COLOUR,
    MISSING_ROLE,
    MISSING_TEXT,
    FileRow,
    FilesModel,
)
from secondopinion_desktop.ui.records.preview import page_icon


def attachment(attachment_id: int, name: str, media_type: str, size: int) -> AttachmentData:
    return AttachmentData(attachment_id, 7, name, media_type, size, "ab" * 32, dt.datetime(2026, 3, 4, 14, 5))


REPORT = attachment(1, "CT <b>report</b>.pdf", "application/pdf", 3189)
SCAN = attachment(2, "scan.png", "image/png", 1)
LOST = attachment(3, "lost.jpg", "image/jpeg", 48 * 1024)
ROWS = [FileRow(REPORT, Path("/vault/ab"), False, True), FileRow(SCAN, Path("/vault/cd"), False, False),
        FileRow(LOST, None, True, False)]


def texts(model: FilesModel) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_rows_say_name_size_and_type(qapp) -> None:
    model = FilesModel()
    assert model.rowCount() == 0
    model.set_rows(ROWS)
    assert model.rowCount() == 3
    assert model.rowCount(model.index(0, 0)) == 0  # a list, not a tree
    assert texts(model) == [
        "CT <b>report</b>.pdf\n3.1 KB · PDF document",
        "scan.png\n1 byte · PNG image",
        f"lost.jpg\n48 KB · JPEG image\n{MISSING_TEXT}",
    ]
    assert model.index(5, 0).data() is None and model.data(QModelIndex()) is None


def test_roles_give_the_attachment_and_mark_missing_files(qapp) -> None:
    model = FilesModel()
    model.set_rows(ROWS)
    assert [model.index(r, 0).data(ATTACHMENT_ROLE) for r in range(3)] == [REPORT, SCAN, LOST]
    assert [model.index(r, 0).data(ATTACHMENT_ID_ROLE) for r in range(3)] == [1, 2, 3]
    assert [model.index(r, 0).data(MISSING_ROLE) for r in range(3)] == [False, False, True]
    assert model.index(2, 0).data(Qt.ItemDataRole.ForegroundRole) == QColor(MISSING_COLOUR)
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.row_of(2) == 1 and model.row_of(99) is None


def test_tooltips_escape_the_name_and_icons_follow_the_kind(qapp) -> None:
    model = FilesModel()
    model.set_rows(ROWS)
    tip = model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "CT &lt;b&gt;report&lt;/b&gt;.pdf" in tip and "<b>report" not in tip
    assert "added 4 Mar 2026 at" in tip
    assert "no longer in the data folder" in model.index(2, 0).data(Qt.ItemDataRole.ToolTipRole)
    icons = [model.index(r, 0).data(Qt.ItemDataRole.DecorationRole) for r in range(3)]
    assert icons[0].cacheKey() == page_icon("PDF", "#B3261E").cacheKey()
    assert not icons[1].isNull() and not icons[2].isNull() and icons[1].cacheKey() != icons[2].cacheKey()


def test_a_new_set_of_rows_resets_the_model(qapp, qtbot) -> None:
    model = FilesModel()
    model.set_rows(ROWS)
    with qtbot.waitSignal(model.modelReset, timeout=1000):
        model.set_rows(ROWS[:1])
    assert texts(model) == ["CT <b>report</b>.pdf\n3.1 KB · PDF document"]
