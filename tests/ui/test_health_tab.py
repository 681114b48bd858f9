"""The Health summary tab on real data, offscreen: medications, allergies and lab values added, edited and removed
through the real buttons and dialogs; refusals keep the dialog open; the window opens it at a section."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from secondopinion_desktop.core import health
from secondopinion_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, folder):
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.health_tab)
    return window


@pytest.fixture
def tab(window):
    return window.health_tab


def click_ok(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def stored(qtbot, tab, dialog) -> None:
    """OK was clicked: wait until the dialog stored its item and closed."""
    import shiboken6

    qtbot.waitUntil(lambda: tab.dialog is None, timeout=5000)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()


def refused(qtbot, dialog) -> str:
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=5000)
    assert dialog.isVisible(), "the dialog stays open"
    return dialog.error_label.text()


def answer(qtbot, yes: bool, seen: list[str]) -> None:
    """Answer the next question box (the confirmation) when it shows."""
    def reply() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, reply)
            return
        seen.append(box.text())
        box.button(QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.No).click()

    QTimer.singleShot(0, reply)


def type_into(qtbot, widget, text: str) -> None:
    target = getattr(widget, "edit", widget)
    target = target.lineEdit() if hasattr(target, "lineEdit") and target.lineEdit() is not None else target
    target.clear()
    qtbot.keyClicks(target, text)


def test_add_edit_and_remove_a_medication(qtbot, window, tab) -> None:
    assert tab.medications_empty.isVisible()
    qtbot.mouseClick(tab.add_medication_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible() and dialog.objectName() == "medicationDialog"
    type_into(qtbot, dialog.name_edit, "Letrozole <b>bold</b>")
    type_into(qtbot, dialog.dose_edit, "2.5 mg")
    type_into(qtbot, dialog.route_edit, "by mouth")
    type_into(qtbot, dialog.frequency_edit, "once a day")
    type_into(qtbot, dialog.start_field, "2025-03")
    type_into(qtbot, dialog.reason_edit, "hormone therapy")
    type_into(qtbot, dialog.prescriber_edit, "Dr. Rivera")
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    (med,) = health.list_medications(window.folder)
    assert (med.name, med.dose, med.start, med.origin) == ("Letrozole <b>bold</b>", "2.5 mg", "2025-03", "hand")
    model = tab.medications_model
    assert model.rowCount() == 1 and not tab.medications_empty.isVisible()
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "Taking now", "Letrozole <b>bold</b>", "2.5 mg", "by mouth", "once a day", "Mar 2025", "", "hormone therapy",
        "Dr. Rivera", "Entered by hand"]
    assert tab.med_filter_buttons["current"].text() == "Taking now (1)"

    # a double-click edits: it was stopped
    table = tab.medications_table
    rect = table.visualRect(model.index(0, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a real double-click
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = tab.dialog
    assert dialog.objectName() == "medicationDialog" and dialog.name_edit.text() == "Letrozole <b>bold</b>"
    type_into(qtbot, dialog.end_field, "2025-11-30")
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    assert health.get_medication(window.folder, med.id).end == "2025-11-30"
    assert model.index(0, 0).data() == "Stopped"
    assert tab.med_filter_buttons["past"].text() == "Stopped (1)"
    tab.med_filter_buttons["current"].click()
    assert model.rowCount() == 0
    tab.med_filter_buttons["past"].click()
    assert model.rowCount() == 1

    # remove: the question names it; No keeps it, Yes removes it
    seen: list[str] = []
    table.selectRow(0)
    answer(qtbot, False, seen)
    qtbot.mouseClick(tab.remove_medication_button, Qt.MouseButton.LeftButton)
    assert "Letrozole <b>bold</b>" in seen[-1]
    assert len(health.list_medications(window.folder)) == 1
    answer(qtbot, True, seen)
    qtbot.mouseClick(tab.remove_medication_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not health.list_medications(window.folder), timeout=5000)
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=5000)
    assert "Removed “Letrozole <b>bold</b>”" in tab.last_notice


@pytest.mark.parametrize("start, words", [
    ("March 2025", "is not a date"),
    ("2025-13", "is not a date"),
    ("2025-02-30", "does not exist on the calendar"),
])
def test_a_bad_medication_date_is_refused_at_the_field(qtbot, tab, start, words) -> None:
    qtbot.mouseClick(tab.add_medication_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    type_into(qtbot, dialog.name_edit, "Letrozole")
    type_into(qtbot, dialog.start_field, start)
    click_ok(qtbot, dialog)
    text = refused(qtbot, dialog)
    assert words in text and text.count(".") <= 2 and "Traceback" not in text
    assert dialog.start_field.edit.hasFocus(), "the cursor is put on the date"
    assert dialog.start_field.edit.styleSheet(), "the field is marked"
    assert not health.list_medications(tab.folder)
    type_into(qtbot, dialog.start_field, "2025")
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    assert health.list_medications(tab.folder)[0].start == "2025"


def test_a_stop_before_the_start_is_refused(qtbot, tab) -> None:
    qtbot.mouseClick(tab.add_medication_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    type_into(qtbot, dialog.name_edit, "Tamoxifen")
    type_into(qtbot, dialog.start_field, "2025-05-01")
    type_into(qtbot, dialog.end_field, "2025-04-01")
    click_ok(qtbot, dialog)
    assert "before the start date" in refused(qtbot, dialog)
    assert dialog.end_field.edit.hasFocus()
    dialog.reject()


def test_add_edit_and_remove_an_allergy(qtbot, window, tab) -> None:
    assert "No allergies recorded yet." in tab.allergies_empty.text() and not tab.allergies_empty.isHidden()
    assert tab.allergy_line.text() == "Allergies and intolerances: No allergies recorded yet."
    tab.show_section("allergies")
    qtbot.mouseClick(tab.add_allergy_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog.objectName() == "allergyDialog"
    click_ok(qtbot, dialog)
    assert "substance" in refused(qtbot, dialog).lower()
    type_into(qtbot, dialog.substance_edit, "Penicillin")
    type_into(qtbot, dialog.reaction_edit, "hives")
    type_into(qtbot, dialog.severity_combo, "moderate")
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    (allergy,) = health.list_allergies(window.folder)
    assert (allergy.substance, allergy.category, allergy.reaction, allergy.severity) == (
        "Penicillin", "allergy", "hives", "moderate")
    model = tab.allergies_model
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "Penicillin", "Allergy", "hives", "moderate", "Entered by hand"]
    assert not tab.allergies_empty.isVisible()
    assert "Penicillin — hives, moderate" in tab.allergy_line.text()

    tab.allergies_table.selectRow(0)
    tab.window().activateWindow()
    tab.allergies_table.setFocus()
    qtbot.waitUntil(tab.allergies_table.hasFocus, timeout=2000)
    qtbot.keyClick(tab.allergies_table, Qt.Key.Key_Return)
    dialog = tab.dialog
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("intolerance"))
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    assert health.get_allergy(window.folder, allergy.id).category == "intolerance"
    assert model.index(0, 1).data() == "Intolerance"

    seen: list[str] = []
    answer(qtbot, True, seen)
    qtbot.mouseClick(tab.remove_allergy_button, Qt.MouseButton.LeftButton)
    assert "“Penicillin”" in seen[-1]
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=5000)
    assert tab.allergies_empty.isVisible()
    assert tab.allergy_line.text().endswith("No allergies recorded yet.")


def add_value(qtbot, tab, test: str, value: str, day: str, unit: str = "U/mL", reference: str = ""):
    qtbot.mouseClick(tab.add_result_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog.objectName() == "labResultDialog"
    type_into(qtbot, dialog.test_combo, test)
    type_into(qtbot, dialog.value_edit, value)
    type_into(qtbot, dialog.unit_edit, unit)
    type_into(qtbot, dialog.range_edit, reference)
    type_into(qtbot, dialog.date_field, day)
    return dialog


def test_add_edit_and_remove_lab_values(qtbot, window, tab) -> None:
    from secondopinion_desktop.core.models import RecordKind
    from secondopinion_desktop.core.records import create_record

    paper = create_record(window.folder, kind=RecordKind.LAB, title="Tumor markers, March",
                          date_of_service=dt.date(2025, 3, 4))
    window.health_tab.reload()
    tab.show_section("labs")
    assert tab.sections.currentIndex() == 2
    assert tab.labs_empty.isVisible()
    assert tab.chart.frame is None
    dialog = add_value(qtbot, tab, "CA 15-3", "<0.5", "2025-03-04", reference="0-31")
    assert dialog.test_combo.findText("CA 15-3") >= 0 and dialog.test_combo.findText("CEA") >= 0, (
        "the key tests are offered")
    assert "open mark" in dialog.value_hint.text()
    dialog.record_combo.setCurrentIndex(dialog.record_combo.findData(paper.id))
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    dialog = add_value(qtbot, tab, "CA 15.3", "1,234.5", "2025-04-04", reference="0-31")
    assert "1,234.5" in dialog.value_hint.text()
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    dialog = add_value(qtbot, tab, "CA 15-3", "positive", "2025-05-04")
    assert "words" in dialog.value_hint.text()
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)

    series = tab.current_series()
    assert series is not None and series.name == "CA 15-3" and len(series.points) == 3
    assert tab.tests_model.index(0, 1).data() == "positive U/mL"
    values = tab.values_model
    assert [values.index(r, 1).data() for r in range(values.rowCount())] == ["positive", "1,234.5", "<0.5"], (
        "each value exactly as typed, newest first")
    assert values.index(2, 5).data() == "Entered by hand, from “Tumor markers, March”"
    assert values.index(2, 0).data() == "4 Mar 2025" and values.index(2, 3).data() == "0-31"
    assert len(tab.chart.point_positions()) == 2, "the words are not drawn"
    assert "1 value not drawn" in tab.chart.note()

    # edit the oldest value: the dialog shows it as stored, and keeps what was not changed
    tab.values_table.selectRow(2)
    qtbot.mouseClick(tab.edit_result_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog.value_edit.text() == "<0.5" and dialog.date_field.text() == "2025-03-04"
    assert dialog.record_combo.currentData() == paper.id
    type_into(qtbot, dialog.value_edit, "0,4")
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    edited = [r for r in health.list_lab_results(window.folder) if r.observed_on == dt.date(2025, 3, 4)][0]
    assert (edited.value, edited.number, edited.source.record_id) == ("0,4", 0.4, paper.id)

    seen: list[str] = []
    tab.values_table.selectRow(0)
    answer(qtbot, True, seen)
    qtbot.mouseClick(tab.remove_result_button, Qt.MouseButton.LeftButton)
    assert "CA 15-3 value positive U/mL of 4 May 2025" in seen[-1]
    qtbot.waitUntil(lambda: values.rowCount() == 2, timeout=5000)


@pytest.mark.parametrize("day, words", [
    ("", "required"),
    ("2025-3-4", "is not a date"),
    ((dt.date.today() + dt.timedelta(days=3)).isoformat(), "in the future"),
])
def test_a_missing_bad_or_future_date_of_a_result_is_refused(qtbot, tab, day, words) -> None:
    tab.show_section("labs")
    dialog = add_value(qtbot, tab, "CEA", "3.1", day, unit="ng/mL")
    click_ok(qtbot, dialog)
    text = refused(qtbot, dialog)
    assert words in text
    assert dialog.date_field.edit.hasFocus()
    assert not health.list_lab_results(tab.folder)
    type_into(qtbot, dialog.date_field, dt.date.today().isoformat())
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    assert health.list_lab_results(tab.folder)[0].observed_on == dt.date.today()


def test_mixed_units_are_marked_in_the_list_and_over_the_chart(qtbot, window, tab) -> None:
    health.add_lab_result(window.folder, "Hemoglobin", "12.1", "2025-01-10", unit="g/dL")
    health.add_lab_result(window.folder, "Hgb", "13.0", "2025-02-10", unit="g/dL")
    health.add_lab_result(window.folder, "Hemoglobin", "125", "2025-03-10", unit="g/L")
    tab.reload()
    assert tab.tests_model.index(0, 0).data() == "Hemoglobin ⚠"
    assert "mixed units: values are shown as given and not converted" in tab.tests_model.index(0, 0).data(
        Qt.ItemDataRole.ToolTipRole)
    assert "Mixed units: values are shown as given and not converted (g/dL, g/L)" in tab.test_title.text()
    assert [tab.values_model.index(r, 2).data() for r in range(3)] == ["g/L", "g/dL", "g/dL"]


def test_an_imported_value_can_be_corrected_and_keeps_its_source(qtbot, window, tab) -> None:
    from secondopinion_desktop.core.models import LabResultRow, RecordKind
    from secondopinion_desktop.core.records import create_record

    record = create_record(window.folder, kind=RecordKind.LAB, title="Portal download")
    with window.folder.session() as session:
        session.add(LabResultRow(test="CEA", value="3.1", number=3.1, unit="ng/mL", origin="import",
                                 source_name="results.xml", sha256="", position="obs[1]", status="final",
                                 observed_at="2025-02-01T08:30", observed_on=dt.date(2025, 2, 1),
                                 record_id=record.id))
        session.commit()
    tab.reload()
    tab.show_section("labs")
    assert tab.values_model.index(0, 5).data() == "Imported from “Portal download” (results.xml)"
    assert tab.values_table.hasFocus() or tab.tests_table.hasFocus()
    qtbot.mouseClick(tab.edit_result_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    type_into(qtbot, dialog.unit_edit, "ug/L")
    click_ok(qtbot, dialog)
    stored(qtbot, tab, dialog)
    (row,) = health.list_lab_results(window.folder)
    assert (row.unit, row.origin, row.observed_at, row.source.source_name) == ("ug/L", "import", "2025-02-01T08:30",
                                                                               "results.xml")
    assert tab.values_model.index(0, 5).data() == "Imported from “Portal download” (results.xml)"


def test_the_window_opens_the_tab_at_a_section(qtbot, window) -> None:
    from secondopinion_desktop.ui.events import requests

    window.tabs.setCurrentWidget(window.records_tab)
    requests().showHealth.emit("labs")
    assert window.tabs.currentWidget() is window.health_tab
    assert window.health_tab.sections.currentIndex() == 2
    requests().showHealth.emit("allergies")
    assert window.health_tab.sections.currentIndex() == 1
    requests().showHealth.emit("")
    assert window.health_tab.profile_button.hasFocus()


def test_a_change_made_while_hidden_shows_when_the_tab_is_shown(qtbot, window, tab) -> None:
    from secondopinion_desktop.ui.events import Changes, announce

    window.tabs.setCurrentWidget(window.records_tab)
    health.create_medication(window.folder, "Ondansetron", dose="8 mg")
    announce(Changes.HEALTH)
    assert tab.medications_model.rowCount() == 0, "hidden: not reloaded yet"
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.medications_model.rowCount() == 1, timeout=3000)


def test_the_diagnosis_comes_from_the_profile_and_its_button_opens_it(qtbot, window, tab, monkeypatch) -> None:
    from secondopinion_desktop.core.profile import save_profile

    save_profile(window.folder, cancer_type="Breast cancer", histology="Invasive ductal carcinoma",
                   diagnosis_date="2025-02-03", stage_group="IIA")
    from secondopinion_desktop.ui.events import Changes, announce

    announce(Changes.PROFILE)
    assert tab.diagnosis_labels["cancer_type"].text() == "Breast cancer"
    assert tab.diagnosis_labels["diagnosis_date"].text() == "3 Feb 2025"
    assert tab.diagnosis_labels["stage"].text() == "stage IIA"
    assert tab.diagnosis_labels["grade"].text() == "Not filled in yet"
    opened = []
    monkeypatch.setattr(window, "edit_profile", lambda: opened.append(True))
    qtbot.mouseClick(tab.profile_button, Qt.MouseButton.LeftButton)
    assert opened == [True]


def test_the_treatment_history_is_edited_here_too(qtbot, window, tab) -> None:
    from secondopinion_desktop.core.treatments import list_treatment_lines

    assert tab.treatments_empty.isVisible()
    qtbot.mouseClick(tab.add_treatment_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog.objectName() == "treatmentLineDialog"
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("chemotherapy"))
    type_into(qtbot, dialog.description_edit, "AC-T")
    type_into(qtbot, dialog.start_field, "2025-04-01")
    click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: tab.treatments_model.rowCount() == 1, timeout=5000)
    assert list_treatment_lines(window.folder)[0].description == "AC-T"
    assert tab.treatments_table.isVisible() and not tab.treatments_empty.isVisible()
    seen: list[str] = []
    tab.treatments_table.selectRow(0)
    answer(qtbot, True, seen)
    qtbot.mouseClick(tab.remove_treatment_button, Qt.MouseButton.LeftButton)
    assert "AC-T" in seen[-1]
    qtbot.waitUntil(lambda: tab.treatments_model.rowCount() == 0, timeout=5000)
