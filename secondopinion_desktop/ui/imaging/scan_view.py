"""The studies found on a disc, as the import dialog lists them: frozen rows, their Qt model and the tree view.

``study_rows(plan)`` turns the core's ``ImportPlan`` into ``StudyRow``s (plain, frozen: what each column says, the
tooltip, whether the study can be ticked and is ticked at first). ``StudiesModel`` shows them as a two-level tree
— each study, then a note when it was imported before and its series — with a tick box on each study that has new
images. ``StudiesView`` is the tree widget the dialog shows. Only the model knows which studies are ticked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

from secondopinion_desktop.core.words import plural

if TYPE_CHECKING:
    from secondopinion_desktop.core.imaging.plan import ImportPlan, StudyPlan

# columns
STUDY, PATIENT, DATE, MODALITY, BODY_PART, IMAGES = range(6)
HEADERS = ("Study / series", "Patient", "Date", "Modality", "Body part", "Images")
UID_ROLE = Qt.ItemDataRole.UserRole  # on a study's first column: its Study Instance UID
SOMEONE_ELSE_COLOUR = "#a61b1b"
_SAMPLES = {PATIENT: "Alex Sample, born 1970-01-01", DATE: "2024-03-05", MODALITY: "CT, MR", BODY_PART: "Abdomen",
            IMAGES: "12,345"}

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invisible root, as a default argument


@dataclass(frozen=True)
class ChildRow:
    """A line under a study: one of its series, or (``note``) the sentence about what is stored already."""

    cells: tuple[str, ...]
    note: bool = False


@dataclass(frozen=True)
class StudyRow:
    uid: str
    cells: tuple[str, ...]
    tooltip: str
    importable: bool  # it has images not stored yet: it can be ticked
    chosen_by_default: bool
    warn: bool  # someone else's (or perhaps someone else's): the patient is shown in bold red
    children: tuple[ChildRow, ...]


def not_the_patient(plan: ImportPlan) -> str:
    return f"Not {plan.profile_name}" if plan.profile_name else "Not the patient of your profile"


def study_row(entry: StudyPlan, plan: ImportPlan) -> StudyRow:
    study = entry.study
    patient = entry.patient_label()
    if entry.someone_else:
        patient = f"{not_the_patient(plan)}: {patient}"
    elif entry.uncertain:
        patient = f"One of {len(plan.scan.patients)} patients: {patient}"
    images = (str(study.image_count) if not entry.partly_imported
              else f"{entry.new_images} new of {study.image_count}")
    details = [
        f"Patient on the images: {entry.patient_label()}",
        *(f"Differs from your profile: {d}." for d in entry.differences),
        f"Hospital or clinic: {study.institution}" if study.institution else "",
        f"Referring doctor: {study.referring_physician}" if study.referring_physician else "",
        f"Accession number: {study.accession_number}" if study.accession_number else "",
        plural(len(study.series), "series", "series"),
        entry.stored_sentence(),
    ]
    note = entry.stored_sentence()
    children = [ChildRow((note, "", "", "", "", ""), note=True)] if note else []
    children += [ChildRow((s.label(), "", "", s.modality, s.body_part, str(s.image_count))) for s in study.series]
    return StudyRow(
        uid=study.study_uid,
        cells=(study.description or "Study without a description", patient,
               study.date.isoformat() if study.date else "—", ", ".join(study.modalities),
               ", ".join(study.body_parts), images),
        tooltip="\n".join(d for d in details if d),
        importable=entry.importable, chosen_by_default=entry.chosen_by_default, warn=entry.needs_confirmation,
        children=tuple(children),
    )


def study_rows(plan: ImportPlan | None) -> tuple[StudyRow, ...]:
    return tuple(study_row(s, plan) for s in plan.studies) if plan is not None else ()


class StudiesModel(QAbstractItemModel):
    """Studies (top level, tickable when they have new images) and their series. A child's internal id is its
    study's row + 1; a study's is 0."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[StudyRow, ...] = ()
        self._checked: set[str] = set()

    # --- the rows ---------------------------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[StudyRow]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self._checked = {r.uid for r in self._rows if r.importable and r.chosen_by_default}
        self.endResetModel()

    def rows(self) -> tuple[StudyRow, ...]:
        return self._rows

    def row_of(self, uid: str) -> int:
        return next(i for i, r in enumerate(self._rows) if r.uid == uid)

    def chosen_uids(self) -> list[str]:
        """The ticked studies that can be imported, in the order shown."""
        return [r.uid for r in self._rows if r.uid in self._checked and r.importable]

    def set_checked(self, uid: str, checked: bool) -> None:
        self.setData(self.index(self.row_of(uid), STUDY), _state(checked), Qt.ItemDataRole.CheckStateRole)

    def check_all(self, checked: bool) -> None:
        """All: every study chosen by default (someone else's stay as they are); None: none at all."""
        for row in self._rows:
            if not checked or row.chosen_by_default:
                self.set_checked(row.uid, checked)

    # --- QAbstractItemModel -----------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: Index = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = _ROOT) -> int:
        if not parent.isValid():
            return len(self._rows)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self._rows[parent.row()].children)
        return 0

    def columnCount(self, _parent: Index = _ROOT) -> int:
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def _study(self, index: Index) -> StudyRow:
        return self._rows[index.row() if index.internalId() == 0 else index.internalId() - 1]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        study, column = self._study(index), index.column()
        if index.internalId() != 0:
            child = study.children[index.row()]
            if role == Qt.ItemDataRole.DisplayRole:
                return child.cells[column]
            if child.note and column == STUDY:
                if role == Qt.ItemDataRole.ToolTipRole:
                    return child.cells[STUDY]
                if role == Qt.ItemDataRole.FontRole:
                    font = QFont()
                    font.setItalic(True)
                    return font
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return study.cells[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return study.tooltip
        if column == STUDY and role == Qt.ItemDataRole.CheckStateRole:
            return _state(study.uid in self._checked)
        if column == STUDY and role == UID_ROLE:
            return study.uid
        if column == PATIENT and study.warn:
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(SOMEONE_ELSE_COLOUR))
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return f"Warning: {study.cells[PATIENT]}"
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or index.internalId() != 0
                or index.column() != STUDY):
            return False
        study = self._rows[index.row()]
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        if checked == (study.uid in self._checked):
            return True
        if checked:
            self._checked.add(study.uid)
        else:
            self._checked.discard(study.uid)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        study = self._study(index)
        if index.internalId() == 0:
            flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
            return flags | Qt.ItemFlag.ItemIsEnabled if study.importable else flags
        if study.children[index.row()].note:
            return Qt.ItemFlag.ItemIsEnabled  # read whatever the study is: it says why it cannot be ticked
        flags = Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEnabled if study.importable else flags


def _state(checked: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked


class StudiesView(QTreeView):
    """The tree of studies and series: the study column stretches, the others are as wide as what they hold."""

    def __init__(self, model: StudiesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagingStudies")
        self.setAccessibleName("Studies and series found, with the patient of each; tick the studies to import")
        self.setModel(model)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(STUDY, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        for column, sample in _SAMPLES.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 2 * metrics.averageCharWidth())
        self.setMinimumHeight(metrics.height() * 7)
        model.modelReset.connect(self._shown)

    def studies(self) -> StudiesModel:
        model = self.model()
        assert isinstance(model, StudiesModel)
        return model

    def _shown(self) -> None:
        model = self.studies()
        for row, study in enumerate(model.rows()):
            parent = model.index(row, STUDY)
            for child_row, child in enumerate(study.children):
                if child.note:
                    self.setFirstColumnSpanned(child_row, parent, True)
        self.expandAll()
        self._fit_patient_column()
        if model.rowCount():
            self.setCurrentIndex(model.index(0, STUDY))

    def _fit_patient_column(self) -> None:
        """Wide enough for the patient (and the "Not …" mark), but the study keeps at least half the width."""
        metrics = self.fontMetrics()
        bold_font = QFont(self.font())
        bold_font.setBold(True)
        bold = QFontMetrics(bold_font)  # a warned patient is shown in bold
        wanted = max(((bold if r.warn else metrics).horizontalAdvance(r.cells[PATIENT]) for r in self.studies().rows()),
                     default=0) + 3 * metrics.averageCharWidth()
        header = self.header()
        others = sum(header.sectionSize(c) for c in (DATE, MODALITY, BODY_PART, IMAGES))
        room = max(self.viewport().width() - others, 0) // 2
        header.resizeSection(PATIENT, max(min(wanted, room), header.sectionSize(PATIENT)))
