"""Compare with the first opinion: the side-by-side table with differences in words and a tint, and the PDF
and the two letters written from it."""

from __future__ import annotations

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog

from secondopinion_desktop.core import opinions
from secondopinion_desktop.core.appointments import list_appointments
from secondopinion_desktop.ui.appointments.compare import DIFFERS_TINT, CompareDialog
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab


@pytest.fixture
def appointment_id(demo_folder) -> int:
    [a] = list_appointments(demo_folder)
    opinions.save_opinion(demo_folder, a.id, verdict="changed", diagnosis="Invasive lobular carcinoma",
                          stage="IIB", plan="Surgery first, then hormone therapy.", trials="NCT01234567",
                          further_tests="Pathology re-review of block A1", next_steps="Dr. Lee orders an MRI.")
    return a.id


def cells(dialog: CompareDialog) -> list[list[str]]:
    t = dialog.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_the_button_on_the_opinion_page_opens_the_table(qtbot, demo_folder, appointment_id) -> None:
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 760)
    tab.set_folder(demo_folder)
    tab.show()
    tab.work_tabs.setCurrentWidget(tab.opinion)
    seen: dict[str, object] = {}

    def look(dialog: QDialog) -> None:
        seen.update(name=dialog.objectName(), rows=dialog.table.rowCount())
        dialog.reject()

    errors = on_next_dialog(look)
    qtbot.mouseClick(tab.opinion.compare_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert seen == {"name": "compareDialog", "rows": 5}
    tab.shutdown()


def test_differences_are_said_in_words_and_tinted(qtbot, demo_folder, appointment_id) -> None:
    dialog = CompareDialog(demo_folder, appointment_id)
    qtbot.addWidget(dialog)
    dialog.show()
    rows = {row[0]: row for row in cells(dialog)}
    assert set(rows) == {"Diagnosis", "Stage", "Treatment plan", "Clinical trials", "Further tests or reviews"}
    diagnosis = rows["Diagnosis"]
    assert diagnosis[2] == "Invasive lobular carcinoma"
    assert diagnosis[3].startswith("Differs") and "Changed" in diagnosis[3]
    r = [row[0] for row in cells(dialog)].index("Diagnosis")
    assert dialog.table.item(r, 1).background().color().name() == DIFFERS_TINT
    assert rows["Clinical trials"][2] == "NCT01234567"
    assert "Dr. Lee orders an MRI." in dialog.footer.text()
    assert "differ" in dialog.footer.text()


def test_nothing_written_down_yet_says_so(qtbot, demo_folder) -> None:
    [a] = list_appointments(demo_folder)
    dialog = CompareDialog(demo_folder, a.id)
    qtbot.addWidget(dialog)
    assert "Nothing of the second opinion is written down yet" in dialog.heading.text()
    assert all(row[2] == "Not said" for row in cells(dialog))


@pytest.mark.parametrize("button, name", [("pdf_button", "comparison.pdf"), ("cover_button", "cover.pdf"),
                                          ("records_button", "records-letter")])
def test_the_pdf_and_letters_are_written(qtbot, demo_folder, appointment_id, tmp_path, monkeypatch, button,
                                         name) -> None:
    out = tmp_path / name
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    dialog = CompareDialog(demo_folder, appointment_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(getattr(dialog, button), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.last_op is not None and dialog.last_op.done, timeout=30_000)
    written = out if out.suffix == ".pdf" else out.with_name(out.name + ".pdf")
    assert written.read_bytes().startswith(b"%PDF")
    assert dialog.result_label.text().endswith(f"saved to {written}.")


def test_a_refused_place_is_one_sentence(qtbot, demo_folder, appointment_id, monkeypatch) -> None:
    inside = demo_folder.path / "comparison.pdf"  # never inside the data folder
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(inside), ""))
    dialog = CompareDialog(demo_folder, appointment_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.last_op is not None and dialog.last_op.done, timeout=30_000)
    assert not inside.exists()
    said = dialog.result_label.text()
    assert said and said.count(".") >= 1 and "saved" not in said
