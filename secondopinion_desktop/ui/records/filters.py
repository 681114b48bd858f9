"""The search box and the kind and status filters above the inventory, remembered per data folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.ui.records.style import kind_icon

STILL_TO_GET = (RecordStatus.NEEDED, RecordStatus.REQUESTED)
SETTINGS = "records/"


class FilterBar(QWidget):
    """Search, kind and status; ``changed`` whenever one of them does."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setObjectName("searchEdit")
        self.search.setPlaceholderText("Search records and the text of their documents  (Ctrl+F)")
        self.search.setToolTip("Finds words in the title, facility, doctor, summary and notes, and in the text of "
                               "attached documents (the start of a word is enough)")
        self.search.setAccessibleName("Search records")
        self.search.setClearButtonEnabled(True)
        self.kind_filter = QComboBox()
        self.kind_filter.setObjectName("kindFilter")
        self.kind_filter.setAccessibleName("Show kind")
        self.kind_filter.addItem("All kinds", None)
        for kind in RecordKind:
            self.kind_filter.addItem(kind_icon(kind.value), kind.label, kind.value)  # Qt hands plain str back
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.setAccessibleName("Show status")
        self.status_filter.addItem("All statuses", None)
        self.status_filter.addItem("Still to get (needed or requested)", "missing")
        for status in RecordStatus:
            self.status_filter.addItem(status.label, status.value)
        self.search.textChanged.connect(self.changed)
        self.kind_filter.currentIndexChanged.connect(self.changed)
        self.status_filter.currentIndexChanged.connect(self.changed)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 1)
        for combo in (self.kind_filter, self.status_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            layout.addWidget(combo)
        self.setTabOrder(self.search, self.kind_filter)
        self.setTabOrder(self.kind_filter, self.status_filter)

    def text(self) -> str:
        return self.search.text()

    def kind(self) -> RecordKind | None:
        value = self.kind_filter.currentData()
        return RecordKind(value) if value else None

    def statuses(self) -> tuple[RecordStatus, ...] | None:
        value = self.status_filter.currentData()
        if value == "missing":
            return STILL_TO_GET
        return (RecordStatus(value),) if value else None

    def clear(self) -> None:
        self.search.clear()
        self.kind_filter.setCurrentIndex(0)
        self.status_filter.setCurrentIndex(0)

    # --- remembered per data folder ------------------------------------------------------------------------

    @staticmethod
    def _group(folder_path: Path) -> str:
        """The settings group of this data folder's view state: each folder keeps its own filters."""
        digest = hashlib.sha256(str(Path(folder_path).resolve()).encode()).hexdigest()[:16]
        return f"{SETTINGS}folders/{digest}/"

    def restore(self, folder_path: Path) -> None:
        """The kind and status filters last used on this data folder. The search text is never kept: a word
        typed once must not hide records the next time (or in another folder). ``changed`` follows once."""
        settings = QSettings()
        group = self._group(folder_path)
        kind = str(settings.value(group + "kind", "") or "")
        status = str(settings.value(group + "status", "") or "")
        for widget in (self.kind_filter, self.status_filter, self.search):
            widget.blockSignals(True)
        self.kind_filter.setCurrentIndex(max(0, self.kind_filter.findData(kind)) if kind else 0)
        self.status_filter.setCurrentIndex(max(0, self.status_filter.findData(status)) if status else 0)
        self.search.clear()
        for widget in (self.kind_filter, self.status_filter, self.search):
            widget.blockSignals(False)
        self.changed.emit()

    def save(self, folder_path: Path) -> None:
        settings = QSettings()
        group = self._group(folder_path)
        settings.setValue(group + "kind", self.kind_filter.currentData() or "")
        settings.setValue(group + "status", self.status_filter.currentData() or "")
        for old in ("kind", "status", "search"):  # kept for every folder alike by earlier versions
            settings.remove(SETTINGS + old)
