"""The Health summary tab: what a consultant wants on top of the records, in one place.

At the top the diagnosis from the profile (read-only here: "Edit profile…" opens the profile) with the allergies in
one line, beside the treatment history (the treatment line dialog of ``ui.treatments``, its table model); below,
one page each for the medications (taking now and stopped), the allergies and intolerances, and the lab results and
tumor markers: a list of tests, the chosen test's values over time exactly as given, and its trend chart
(``ui.health.chart``).

A thin view: reads are one ``core.health.health_summary`` call with the data folder; every write runs off the GUI
thread through ``ui.ops.run_op`` calling ``core.health`` (or ``core.treatments``) and is announced; the tab watches
the health lists, records (a record removed takes its imported rows with it), treatments and the profile, and
reloads when shown if something changed while it was hidden. The window opens it at a section for
``requests().showHealth(section)`` (``show_section``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import health
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.words import day_month_year, plural
from secondopinion_desktop.ui.events import Changes, requests, watch
from secondopinion_desktop.ui.health.chart import TrendChart
from secondopinion_desktop.ui.health.models import (
    MIXED_UNITS,
    AllergiesModel,
    MedicationsModel,
    TestsModel,
    ValuesModel,
)
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.state import restore_layout, save_layout
from secondopinion_desktop.ui.widgets.ask import ask_yes_no
from secondopinion_desktop.ui.widgets.rows_model import RowsTableModel

LAYOUT_KEY = "health/layout"
SETTINGS = "health/"
SHOWN = Changes.HEALTH | Changes.RECORDS | Changes.TREATMENTS | Changes.PROFILE  # what this tab shows
FIRST_SIZES = {"healthLabsSplitter": [330, 800], "healthLabSplitter": [260, 210]}  # the top: see _first_sizes
SECTIONS = ("medications", "allergies", "labs")
NOT_FILLED = "Not filled in yet"
NO_ALLERGIES = "No allergies recorded yet."
NO_MEDICATIONS = ("No medications recorded yet. Add each medicine you take or took for this illness: its dose, "
                  "how often, since when.")
ALLERGY_STYLE = "QLabel { background: #fbf3f2; border: 1px solid #e6c3c0; border-radius: 4px; padding: 4px 8px; "
NO_TREATMENTS = ("No treatment recorded yet. Add each surgery, radiation and medicine treatment with its dates "
                 "and how it worked.")
NO_LABS = ("No lab results yet. Type in a value from a paper result with “Add a result…”, or import a portal "
           "download (File → Import records from a portal…).")


def _table(name: str, accessible: str, model: RowsTableModel[Any]) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setAccessibleName(accessible)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def _keys(table: QTableView, edit: Callable[[], object], remove: Callable[[], object]) -> None:
    """Enter and a double-click edit the chosen row; Delete removes it."""
    table.doubleClicked.connect(lambda _index: edit())
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        shortcut = QShortcut(QKeySequence(key), table)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(edit)
    delete = QShortcut(QKeySequence.StandardKey.Delete, table)
    delete.setContext(Qt.ShortcutContext.WidgetShortcut)
    delete.activated.connect(remove)


def _button(text: str, name: str, tip: str, slot: Callable[[], object]) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.clicked.connect(lambda _checked=False: slot())
    return button


def _empty_label(name: str, text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("QLabel { color: #444; background: #f4f6f8; border: 1px solid #d9dee3; border-radius: 4px;"
                        " padding: 8px; }")
    label.hide()
    return label


def _current_row(table: QTableView) -> Any:
    rows = table.selectionModel().selectedRows()
    model = table.model()
    return model.row_at(rows[0].row()) if rows and isinstance(model, RowsTableModel) else None


def _select(table: QTableView, row_id: Any) -> bool:
    model = table.model()
    assert isinstance(model, RowsTableModel)
    row = model.row_of(row_id) if row_id is not None else -1
    if row < 0:
        return False
    table.selectRow(row)
    table.scrollTo(model.index(row, 0))
    return True


class HealthTab(QWidget):
    """The diagnosis, treatment history, medications, allergies and lab results; ``set_folder(folder)`` shows a
    data folder, ``show_section(name)`` brings a section forward, ``shutdown()`` saves the view state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthTab")
        self.setAccessibleName("Health summary")
        self.folder: DataFolder | None = None
        self.summary: health.HealthSummary | None = None
        self.jobs: list[Op] = []
        self.dialog: QDialog | None = None  # the item dialog open, if any
        self.last_notice = ""

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        boxes = QHBoxLayout()
        boxes.addWidget(self._build_diagnosis(), 3)
        boxes.addWidget(self._build_treatments(), 4)
        top_layout.addLayout(boxes, 1)
        self.allergy_line = QLabel()
        self.allergy_line.setObjectName("allergyLine")
        self.allergy_line.setTextFormat(Qt.TextFormat.PlainText)
        self.allergy_line.setWordWrap(True)
        self.allergy_line.setAccessibleName("Allergies and intolerances")
        top_layout.addWidget(self.allergy_line)

        self.sections = QTabWidget()
        self.sections.setObjectName("healthSections")
        self.sections.setDocumentMode(True)
        self.sections.addTab(self._build_medications(), "&Medications")
        self.sections.addTab(self._build_allergies(), "Allergies and &intolerances")
        self.sections.addTab(self._build_labs(), "&Lab results and tumor markers")

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("healthSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.sections)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter, 1)
        self._restore_settings()
        self.watcher = watch(self, SHOWN, self._changed_elsewhere)

    # --- building --------------------------------------------------------------------------------------

    def _build_diagnosis(self) -> QGroupBox:
        box = QGroupBox("Diagnosis")
        box.setObjectName("diagnosisBox")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(3)
        self.diagnosis_labels: dict[str, QLabel] = {}
        for key, words in (("cancer_type", "Cancer type"), ("histology", "Histology"), ("grade", "Grade"),
                           ("stage", "Stage"), ("biomarkers", "Markers"), ("diagnosis_date", "Diagnosed")):
            label = QLabel()
            label.setObjectName(f"diagnosis_{key}")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(words)
            form.addRow(f"{words}:", label)
            self.diagnosis_labels[key] = label
        self.profile_button = _button("Edit pr&ofile…", "editProfileButton",
                                      "Edit the diagnosis, stage and markers in the patient profile",
                                      lambda: requests().editProfile.emit())
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.profile_button)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 4, 0)
        body_layout.addLayout(form)
        body_layout.addStretch(1)
        self.diagnosis_scroll = QScrollArea()
        self.diagnosis_scroll.setObjectName("diagnosisScroll")
        self.diagnosis_scroll.setWidgetResizable(True)
        self.diagnosis_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.diagnosis_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.diagnosis_scroll.setWidget(body)
        layout = QVBoxLayout(box)
        layout.addWidget(self.diagnosis_scroll, 1)
        layout.addLayout(row)
        return box

    def _build_treatments(self) -> QGroupBox:
        from secondopinion_desktop.ui.treatments.model import TreatmentsModel

        box = QGroupBox("Treatment history")
        box.setObjectName("treatmentsBox")
        self.treatments_model = TreatmentsModel(self)
        self.treatments_table = _table("healthTreatmentTable", "Treatment lines", self.treatments_model)
        _keys(self.treatments_table, self.edit_treatment, self.remove_treatment)
        self.add_treatment_button = _button("Add trea&tment…", "addTreatmentButton", "Add a line of treatment",
                                            self.add_treatment)
        self.edit_treatment_button = _button("Edit…", "editTreatmentButton", "Edit the chosen treatment",
                                             self.edit_treatment)
        self.remove_treatment_button = _button("Remove…", "removeTreatmentButton", "Remove the chosen treatment",
                                               self.remove_treatment)
        self.treatments_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        row = QHBoxLayout()
        for button in (self.add_treatment_button, self.edit_treatment_button, self.remove_treatment_button):
            row.addWidget(button)
        row.addStretch(1)
        self.treatments_empty = _empty_label("treatmentsEmpty", NO_TREATMENTS)
        layout = QVBoxLayout(box)
        layout.addWidget(self.treatments_empty)
        layout.addWidget(self.treatments_table, 1)
        layout.addLayout(row)
        return box

    def _build_medications(self) -> QWidget:
        page = QWidget()
        page.setObjectName("medicationsPage")
        self.medications_model = MedicationsModel(self)
        self.medications_table = _table("medicationsTable", "Medications", self.medications_model)
        _keys(self.medications_table, self.edit_medication, self.remove_medication)
        self.medications_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.medications_empty = _empty_label("medicationsEmpty", NO_MEDICATIONS)
        self.med_filter = QButtonGroup(self)
        self.med_filter_buttons: dict[str, QRadioButton] = {}
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel("Show:"))
        for key, words in (("all", "All"), ("current", "Taking now"), ("past", "Stopped")):
            radio = QRadioButton(words)
            radio.setObjectName(f"medFilter_{key}")
            self.med_filter.addButton(radio)
            self.med_filter_buttons[key] = radio
            filter_row.addWidget(radio)
        self.med_filter_buttons["all"].setChecked(True)
        self.med_filter.buttonToggled.connect(lambda _button, checked: checked and self._show_medications())
        filter_row.addStretch(1)
        self.add_medication_button = _button("&Add a medication…", "addMedicationButton", "Add a medication",
                                             self.add_medication)
        self.edit_medication_button = _button("E&dit…", "editMedicationButton", "Edit the chosen medication",
                                              self.edit_medication)
        self.remove_medication_button = _button("Remo&ve…", "removeMedicationButton",
                                                "Remove the chosen medication", self.remove_medication)
        for button in (self.add_medication_button, self.edit_medication_button, self.remove_medication_button):
            filter_row.addWidget(button)
        layout = QVBoxLayout(page)
        layout.addLayout(filter_row)
        layout.addWidget(self.medications_empty)
        layout.addWidget(self.medications_table, 1)
        return page

    def _build_allergies(self) -> QWidget:
        page = QWidget()
        page.setObjectName("allergiesPage")
        self.allergies_model = AllergiesModel(self)
        self.allergies_table = _table("allergiesTable", "Allergies and intolerances", self.allergies_model)
        _keys(self.allergies_table, self.edit_allergy, self.remove_allergy)
        self.allergies_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.allergies_empty = _empty_label(
            "allergiesEmpty", f"{NO_ALLERGIES} Add each allergy or intolerance you know of — to a medicine, a food, "
            "latex, contrast dye — with what it does to you.")
        row = QHBoxLayout()
        row.addStretch(1)
        self.add_allergy_button = _button("&Add an allergy…", "addAllergyButton", "Add an allergy or intolerance",
                                          self.add_allergy)
        self.edit_allergy_button = _button("E&dit…", "editAllergyButton", "Edit the chosen allergy",
                                           self.edit_allergy)
        self.remove_allergy_button = _button("Remo&ve…", "removeAllergyButton", "Remove the chosen allergy",
                                             self.remove_allergy)
        for button in (self.add_allergy_button, self.edit_allergy_button, self.remove_allergy_button):
            row.addWidget(button)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.allergies_empty)
        layout.addWidget(self.allergies_table, 1)
        return page

    def _build_labs(self) -> QWidget:
        page = QWidget()
        page.setObjectName("labsPage")
        self.tests_model = TestsModel(self)
        self.tests_table = _table("testsTable", "Tests with results", self.tests_model)
        self.tests_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        tests_header = self.tests_table.horizontalHeader()
        tests_header.setStretchLastSection(False)
        tests_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            tests_header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tests_table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_test(current))
        self.labs_empty = _empty_label("labsEmpty", NO_LABS)
        self.chart = TrendChart()
        self.chart.pointShown.connect(self._point_shown)
        self.test_title = QLabel()
        self.test_title.setObjectName("testTitle")
        self.test_title.setTextFormat(Qt.TextFormat.PlainText)
        self.test_title.setWordWrap(True)
        font = self.test_title.font()
        font.setBold(True)
        self.test_title.setFont(font)
        self.values_model = ValuesModel(self)
        self.values_table = _table("valuesTable", "The test's values over time", self.values_model)
        _keys(self.values_table, self.edit_result, self.remove_result)
        self.values_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.add_result_button = _button("&Add a result…", "addResultButton",
                                         "Add a value from a paper result", self.add_result)
        self.edit_result_button = _button("E&dit…", "editResultButton", "Edit the chosen value", self.edit_result)
        self.remove_result_button = _button("Remo&ve…", "removeResultButton", "Remove the chosen value",
                                            self.remove_result)
        chart_part = QWidget()
        chart_layout = QVBoxLayout(chart_part)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.addWidget(self.test_title)
        chart_layout.addWidget(self.chart, 1)
        values_part = QWidget()
        values_layout = QVBoxLayout(values_part)
        values_layout.setContentsMargins(0, 0, 0, 0)
        values_layout.addWidget(self.values_table, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.add_result_button, self.edit_result_button, self.remove_result_button):
            buttons.addWidget(button)
        self.lab_splitter = QSplitter(Qt.Orientation.Vertical)
        self.lab_splitter.setObjectName("healthLabSplitter")
        self.lab_splitter.addWidget(chart_part)
        self.lab_splitter.addWidget(values_part)
        self.lab_splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.labs_empty)
        left_layout.addWidget(self.tests_table, 1)
        self.labs_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.labs_splitter.setObjectName("healthLabsSplitter")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.lab_splitter, 1)
        right_layout.addLayout(buttons)  # under the chart and the values, however they are arranged
        self.labs_splitter.addWidget(left)
        self.labs_splitter.addWidget(right)
        self.labs_splitter.setChildrenCollapsible(False)
        self.labs_splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.labs_splitter, 1)
        page.installEventFilter(self)  # the chart goes beside the values when the page is short
        return page

    # --- data ------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder) -> None:
        """Show this data folder (again: the window calls this on every refresh; the selection stays)."""
        same = folder is self.folder
        self.folder = folder
        if not same:
            remembered = QSettings().value(SETTINGS + "test")
            self._wanted_test = str(remembered) if remembered else None
        self.reload()

    def _changed_elsewhere(self, changes: Changes) -> None:
        if changes & Changes.FOLDER:
            return  # the window hands the new folder over with set_folder
        self.reload()

    def reload(self) -> None:
        if self.folder is None:
            return
        from secondopinion_desktop.core.profile import get_profile

        summary = health.health_summary(self.folder)
        self.summary = summary
        self._show_diagnosis(get_profile(self.folder), summary)
        keep = getattr(_current_row(self.treatments_table), "id", None)
        self.treatments_model.set_rows(summary.treatments)
        self.treatments_empty.setVisible(not summary.treatments)
        self.treatments_table.setVisible(bool(summary.treatments))
        self._fit(self.treatments_table, (110, 200, 90, 90))
        _select(self.treatments_table, keep)
        self._show_medications()
        keep = getattr(_current_row(self.allergies_table), "id", None)
        self.allergies_model.set_rows(summary.allergies)
        self._fit(self.allergies_table, (200, 100, 220, 110))
        if not _select(self.allergies_table, keep) and summary.allergies:
            self.allergies_table.selectRow(0)
        self.allergies_empty.setVisible(not summary.allergies)
        self._show_tests(summary)
        self._update_titles()
        self._update_buttons()

    def _show_diagnosis(self, profile: Any, summary: health.HealthSummary) -> None:
        stage = " ".join(part for part in (profile.tnm_stage, f"stage {profile.stage_group}"
                                           if profile.stage_group and not profile.stage_group.lower()
                                           .startswith("stage") else profile.stage_group) if part)
        values = {
            "cancer_type": profile.cancer_type, "histology": profile.histology, "grade": profile.grade,
            "stage": stage, "biomarkers": " ".join(profile.biomarkers.split()),
            "diagnosis_date": day_month_year(profile.diagnosis_date) if profile.diagnosis_date else "",
        }
        for key, value in values.items():
            label = self.diagnosis_labels[key]
            label.setText(value or NOT_FILLED)
            label.setStyleSheet("" if value else "color: #777; font-style: italic;")
        allergies = self.allergy_line
        if summary.allergies:
            words = []
            for a in summary.allergies:
                detail = ", ".join(p for p in (a.reaction, a.severity) if p)
                kind = " (intolerance)" if a.category == "intolerance" else ""
                words.append(f"{a.substance}{kind}" + (f" — {detail}" if detail else ""))
            allergies.setText("Allergies and intolerances: " + "; ".join(words))
            allergies.setStyleSheet(ALLERGY_STYLE + "color: #8b1a1a; font-weight: bold; }")
        else:
            allergies.setText(f"Allergies and intolerances: {NO_ALLERGIES}")
            allergies.setStyleSheet(ALLERGY_STYLE + "color: #555; }")

    def _show_medications(self) -> None:
        if self.summary is None:
            return
        summary = self.summary
        keep = getattr(_current_row(self.medications_table), "id", None)
        shown = self._med_filter_key()
        rows = {"all": summary.medications, "current": summary.current_medications,
                "past": summary.past_medications}[shown]
        self.medications_model.today = summary.today
        self.medications_model.set_rows(rows)
        self._fit(self.medications_table, (90, 170, 80, 90, 110, 90, 90, 140, 120))
        if not _select(self.medications_table, keep) and rows:
            self.medications_table.selectRow(0)
        counts = {"all": len(summary.medications), "current": len(summary.current_medications),
                  "past": len(summary.past_medications)}
        for key, words in (("all", "All"), ("current", "Taking now"), ("past", "Stopped")):
            self.med_filter_buttons[key].setText(f"{words} ({counts[key]})")
        empty = not summary.medications
        self.medications_empty.setVisible(empty)
        self._update_buttons()

    def _med_filter_key(self) -> str:
        return next((k for k, b in self.med_filter_buttons.items() if b.isChecked()), "all")

    def _show_tests(self, summary: health.HealthSummary) -> None:
        current = _current_row(self.tests_table)
        keep = current.key if current is not None else getattr(self, "_wanted_test", None)
        self._wanted_test = None
        self.tests_model.set_rows(summary.series)
        if not _select(self.tests_table, keep) and summary.series:
            self.tests_table.selectRow(0)
        self.labs_empty.setVisible(not summary.series)
        self._show_test(self.tests_table.currentIndex())

    def _fit(self, table: QTableView, widths: tuple[int, ...]) -> None:
        """Each column as wide as its words (within reason) the first time it has rows; the user's widths after."""
        if table.property("fitted") or not table.model().rowCount():
            for column, width in enumerate(widths):
                if not table.property("fitted"):
                    table.setColumnWidth(column, width)
            return
        table.resizeColumnsToContents()
        for column in range(table.model().columnCount() - 1):
            table.setColumnWidth(column, min(max(table.columnWidth(column), 60), 220))
        table.setProperty("fitted", True)

    def current_series(self) -> health.LabSeries | None:
        return _current_row(self.tests_table)  # type: ignore[no-any-return]

    def _show_test(self, index: QModelIndex) -> None:
        series = self.tests_model.row_at(index.row()) if index.isValid() else None
        keep = getattr(_current_row(self.values_table), "result_id", None)
        if series is None:
            self.test_title.setText("")
            self.values_model.set_rows(())
            self.chart.set_frame(None)
            self._update_buttons()
            return
        from secondopinion_desktop.core.trend import trend_frame

        summary = self.summary
        treatments = summary.treatments if summary is not None else ()
        today = summary.today if summary is not None else dt.date.today()
        frame = trend_frame(series, treatments, today=today)
        self.chart.set_frame(frame, series_points=len(series.charted))
        units = ", ".join(u or "no unit" for u in series.units)
        title = f"{series.name} — {plural(len(series.points), 'value')}"
        if series.band is not None:
            title += f"; reference range {series.band.text}"
        if series.mixed_units:
            title += f"\n⚠ {MIXED_UNITS[:1].upper()}{MIXED_UNITS[1:]} ({units})."
        self.test_title.setText(title)
        self.test_title.setStyleSheet("color: #8a5300;" if series.mixed_units else "")
        dated = [p for p in series.points if p.day is not None]
        undated = [p for p in series.points if p.day is None]
        self.values_model.set_rows([*reversed(dated), *undated])
        self._fit(self.values_table, (100, 90, 70, 120, 60))
        if not _select(self.values_table, keep) and series.points:
            self.values_table.selectRow(0)
        QSettings().setValue(SETTINGS + "test", series.key)
        self._update_buttons()

    def _point_shown(self, words: str) -> None:
        self.notify(words, timeout=4000)

    def _update_titles(self) -> None:
        summary = self.summary
        if summary is None:
            return
        self.sections.setTabText(0, f"&Medications ({len(summary.medications)})")
        self.sections.setTabText(1, f"Allergies and &intolerances ({len(summary.allergies)})")
        values = sum(len(s.points) for s in summary.series)
        self.sections.setTabText(2, f"&Lab results and tumor markers ({values})")

    def _update_buttons(self) -> None:
        ready = self.folder is not None
        for button in (self.add_treatment_button, self.add_medication_button, self.add_allergy_button,
                       self.add_result_button, self.profile_button):
            button.setEnabled(ready)
        pairs = ((self.treatments_table, (self.edit_treatment_button, self.remove_treatment_button)),
                 (self.medications_table, (self.edit_medication_button, self.remove_medication_button)),
                 (self.allergies_table, (self.edit_allergy_button, self.remove_allergy_button)),
                 (self.values_table, (self.edit_result_button, self.remove_result_button)))
        for table, buttons in pairs:
            chosen = ready and _current_row(table) is not None
            for button in buttons:
                button.setEnabled(chosen)

    # --- sections --------------------------------------------------------------------------------------

    def show_section(self, section: str) -> None:
        """Bring ``section`` forward ("medications", "allergies", "labs"; "" or anything else: the top)."""
        if section in SECTIONS:
            self.sections.setCurrentIndex(SECTIONS.index(section))
            table = {"medications": self.medications_table, "allergies": self.allergies_table,
                     "labs": self.tests_table}[section]
            buttons = {"medications": self.add_medication_button, "allergies": self.add_allergy_button,
                       "labs": self.add_result_button}
            target: QWidget = table if table.model().rowCount() else buttons[section]
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.profile_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- items: open a dialog, which stores; then select what it stored ---------------------------------

    def _open(self, dialog: QDialog, table: QTableView | None, done: Callable[[Any], object] | None = None) -> None:
        self.dialog = dialog

        def finished(result: int) -> None:
            stored = getattr(dialog, "stored", None)
            if self.dialog is dialog:
                self.dialog = None
            dialog.deleteLater()
            if result != QDialog.DialogCode.Accepted or stored is None:
                return
            self.reload()  # announced already; the tab may have been reloaded, this makes sure before selecting
            if done is not None:
                done(stored)
            elif table is not None:
                _select(table, getattr(stored, "id", None))

        dialog.finished.connect(finished)
        dialog.open()

    def add_medication(self) -> None:
        from secondopinion_desktop.ui.health.dialogs import MedicationDialog

        if self.folder is not None:
            self._open(MedicationDialog(self.folder, parent=self), None, self._medication_stored)

    def edit_medication(self) -> None:
        from secondopinion_desktop.ui.health.dialogs import MedicationDialog

        medication = _current_row(self.medications_table)
        if self.folder is not None and medication is not None:
            self._open(MedicationDialog(self.folder, medication, parent=self), None, self._medication_stored)

    def _medication_stored(self, medication: Any) -> None:
        if not _select(self.medications_table, medication.id):
            self.med_filter_buttons["all"].setChecked(True)  # stored where the filter hid it: show every one
            _select(self.medications_table, medication.id)
        self.notify(f"Saved “{medication.name}” in your medications.")

    def remove_medication(self) -> None:
        medication = _current_row(self.medications_table)
        if self.folder is None or medication is None:
            return
        if ask_yes_no(self, "Remove medication",
                      f"Remove “{medication.name}” from your medications?\n\nThis cannot be undone."):
            folder = self.folder
            self._write(lambda: health.delete_medication(folder, medication.id), "remove medication",
                        f"Removed “{medication.name}” from your medications.")

    def add_allergy(self) -> None:
        from secondopinion_desktop.ui.health.dialogs import AllergyDialog

        if self.folder is not None:
            self._open(AllergyDialog(self.folder, parent=self), self.allergies_table)

    def edit_allergy(self) -> None:
        from secondopinion_desktop.ui.health.dialogs import AllergyDialog

        allergy = _current_row(self.allergies_table)
        if self.folder is not None and allergy is not None:
            self._open(AllergyDialog(self.folder, allergy, parent=self), self.allergies_table)

    def remove_allergy(self) -> None:
        allergy = _current_row(self.allergies_table)
        if self.folder is None or allergy is None:
            return
        if ask_yes_no(self, "Remove allergy",
                      f"Remove “{allergy.substance}” from your allergies and intolerances?\n\nThis cannot be undone."):
            folder = self.folder
            self._write(lambda: health.delete_allergy(folder, allergy.id), "remove allergy",
                        f"Removed “{allergy.substance}” from your allergies and intolerances.")

    def add_result(self) -> None:
        from secondopinion_desktop.ui.health.dialogs import LabResultDialog

        if self.folder is None:
            return
        series = self.current_series()
        test = series.name if series is not None else ""
        self._open(LabResultDialog(self.folder, parent=self, test=test), None, self._result_stored)

    def edit_result(self) -> None:
        from secondopinion_desktop.ui.health.dialogs import LabResultDialog

        point = _current_row(self.values_table)
        if self.folder is None or point is None:
            return
        result = health.get_lab_result(self.folder, point.result_id)
        self._open(LabResultDialog(self.folder, result, parent=self), None, self._result_stored)

    def _result_stored(self, result: Any) -> None:
        key_test = health.key_test_for(result.test, result.loinc)
        for series in self.tests_model.rows:
            if any(p.result_id == result.id for p in series.points):
                _select(self.tests_table, series.key)
                break
        else:
            if key_test is not None:
                _select(self.tests_table, key_test.key)
        _select(self.values_table, result.id)
        self.notify(f"Saved the {result.test} value.")

    def remove_result(self) -> None:
        point = _current_row(self.values_table)
        series = self.current_series()
        if self.folder is None or point is None or series is None:
            return
        when = f" of {day_month_year(point.day)}" if point.day else ""
        value = f"{point.value} {point.unit}".strip()
        if ask_yes_no(self, "Remove lab value",
                      f"Remove the {series.name} value {value}{when}?\n\nThis cannot be undone."):
            folder = self.folder
            self._write(lambda: health.delete_lab_result(folder, point.result_id), "remove lab result",
                        f"Removed the {series.name} value {value}{when}.")

    def _write(self, work: Callable[[], object], name: str, done: str,
               changes: Changes = Changes.HEALTH) -> Op:
        op = run_op(self, lambda _control: work(), name=name, changes=changes, writes=True,
                    on_success=lambda _result: self.notify(done))
        self.jobs = [job for job in self.jobs if not job.done] + [op]
        return op

    # --- treatment history (the dialog of ui.treatments) ---------------------------------------------------

    def add_treatment(self) -> None:
        from secondopinion_desktop.ui.treatments.dialogs import TreatmentLineDialog

        if self.folder is None:
            return
        dialog = TreatmentLineDialog(self.folder, parent=self)
        self._open_treatment(dialog, None)

    def edit_treatment(self) -> None:
        from secondopinion_desktop.ui.treatments.dialogs import TreatmentLineDialog

        line = _current_row(self.treatments_table)
        if self.folder is None or line is None:
            return
        self._open_treatment(TreatmentLineDialog(self.folder, line, parent=self), line.id)

    def _open_treatment(self, dialog: QDialog, line_id: int | None) -> None:
        from secondopinion_desktop.core import treatments

        folder = self.folder
        self.dialog = dialog

        def finished(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            values = dialog.fields()  # type: ignore[attr-defined]
            dialog.deleteLater()
            if result != QDialog.DialogCode.Accepted:
                return

            def store() -> Any:
                if line_id is None:
                    return treatments.create_treatment_line(folder, **values)
                return treatments.update_treatment_line(folder, line_id, **values)

            op = run_op(self, lambda _control: store(), name="store treatment line", changes=Changes.TREATMENTS,
                        writes=True, on_success=lambda line: (self.reload(), _select(self.treatments_table, line.id)))
            self.jobs = [job for job in self.jobs if not job.done] + [op]

        dialog.finished.connect(finished)
        dialog.open()

    def remove_treatment(self) -> None:
        from secondopinion_desktop.core import treatments

        line = _current_row(self.treatments_table)
        if self.folder is None or line is None:
            return
        what = line.kind.label + (f" — {line.description}" if line.description else "")
        when = f" (from {day_month_year(line.start_date)})" if line.start_date else ""
        if ask_yes_no(self, "Remove treatment",
                      f"Remove “{what}”{when} from the treatment history?\n\nThis cannot be undone."):
            folder = self.folder
            self._write(lambda: treatments.delete_treatment_line(folder, line.id), "remove treatment line",
                        f"Removed “{what}” from the treatment history.", Changes.TREATMENTS)

    # --- messages, settings and shutdown -------------------------------------------------------------------

    def notify(self, message: str, timeout: int = 8000) -> None:
        self.last_notice = message
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, timeout)

    def _restore_settings(self) -> None:
        restored = restore_layout(self, LAYOUT_KEY)
        for splitter in self.findChildren(QSplitter):
            sizes = FIRST_SIZES.get(splitter.objectName())
            if sizes is not None and f"splitter/{splitter.objectName()}" not in restored:
                splitter.setSizes(sizes)
        self._top_sized = "splitter/healthSplitter" in restored
        self._labs_sized = "splitter/healthLabsSplitter" in restored

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.sections.widget(2):
            self._arrange_labs()
        return False

    def _arrange_labs(self) -> None:
        """The chart above the values where the page is tall enough, beside them where it is not (a small screen,
        large text), so that both stay readable."""
        page = self.sections.widget(2)
        metrics = self.fontMetrics()
        short = page.height() < 19 * metrics.height() and page.width() > 60 * metrics.averageCharWidth()
        wanted = Qt.Orientation.Horizontal if short else Qt.Orientation.Vertical
        if self.lab_splitter.orientation() != wanted:
            self.lab_splitter.setOrientation(wanted)
            total = self.lab_splitter.width() if short else self.lab_splitter.height()
            self.lab_splitter.setSizes([total * 11 // 20, total * 9 // 20])

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._top_sized and self.height() > 100:
            self._top_sized = True
            self._first_sizes()

    def _first_sizes(self) -> None:
        """The first time: the diagnosis as tall as it needs, up to two fifths of the tab; the lists the rest."""
        body = self.diagnosis_scroll.widget()
        width = max(200, self.diagnosis_scroll.viewport().width())
        wanted = body.layout().totalHeightForWidth(width) if body.layout().hasHeightForWidth() \
            else body.sizeHint().height()
        chrome = (self.profile_button.sizeHint().height() + self.fontMetrics().height() + 40
                  + self.allergy_line.sizeHint().height())
        lines = self.splitter.height() / max(1, self.fontMetrics().height())
        share = 0.45 if lines >= 34 else 0.3  # a small screen or large text: the lists get the room
        top = min(max(wanted + chrome, 120), int(self.splitter.height() * share))
        self.splitter.setSizes([top, max(100, self.splitter.height() - top)])
        if not self._labs_sized:
            # the list of tests as wide as its names, latest values and dates, up to two fifths of the page
            table = self.tests_table
            columns = range(self.tests_model.columnCount())
            needed = sum(max(table.sizeHintForColumn(c), table.horizontalHeader().sectionSizeHint(c))
                         for c in columns) + table.verticalScrollBar().sizeHint().width() + 8
            total = max(self.width() - 40, 400)  # the page may be hidden still: the tab's width it will have
            left = min(max(needed, 240), int(total * 0.4))
            self.labs_splitter.setSizes([left, max(200, total - left)])

    def save_settings(self) -> None:
        save_layout(self, LAYOUT_KEY)

    def shutdown(self) -> None:
        """Save the view state; stop a write still running (the window waits for every job once)."""
        self.save_settings()
        if self.dialog is not None:
            self.dialog.reject()
        for job in self.jobs:
            if not job.done:
                job.cancel()
        self.jobs = []
