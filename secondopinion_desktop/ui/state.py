"""Remembered layout: a window's or dialog's geometry, its splitters and its table headers, saved and restored
by object name in one call each (as Picard's PreserveGeometry does).

    restore_layout(self, "recordsTab")   # after building the widgets
    save_layout(self, "recordsTab")      # when closing

Every ``QSplitter`` and ``QHeaderView`` under the widget that has an object name is covered (a header is
named after its table when it has no name of its own). A saved state that no longer fits (a column added in a
newer version: restore after the table has its model) is simply not applied.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMainWindow,
    QSplitter,
    QTableView,
    QTreeView,
    QWidget,
)


def _parts(widget: QWidget) -> list[tuple[str, QSplitter | QHeaderView]]:
    parts: list[tuple[str, QSplitter | QHeaderView]] = []
    for splitter in widget.findChildren(QSplitter):
        if splitter.objectName():
            parts.append((f"splitter/{splitter.objectName()}", splitter))
    for view in widget.findChildren(QAbstractItemView):
        header: QHeaderView | None = None
        if isinstance(view, QTableView):
            header = view.horizontalHeader()
        elif isinstance(view, QTreeView):
            header = view.header()
        if header is None:
            continue
        name = header.objectName() or (f"{view.objectName()}Header" if view.objectName() else "")
        if name:
            parts.append((f"header/{name}", header))
    return parts


def save_layout(widget: QWidget, key: str, *, geometry: bool = False, children: bool = True) -> None:
    """Save the splitters and headers under ``widget`` (and its geometry when asked: a main window's toolbars and
    docks too) under ``key``. ``children=False`` saves the geometry alone (a window whose parts save their own)."""
    settings = QSettings()
    if geometry:
        settings.setValue(f"{key}/geometry", widget.saveGeometry())
        if isinstance(widget, QMainWindow):
            settings.setValue(f"{key}/state", widget.saveState())
    for name, part in _parts(widget) if children else ():
        settings.setValue(f"{key}/{name}", part.saveState())
        if isinstance(part, QHeaderView):  # Qt would apply a header's state to a different set of columns
            settings.setValue(f"{key}/{name}-columns", part.count())
    settings.sync()


def restore_layout(widget: QWidget, key: str, *, geometry: bool = False, children: bool = True) -> set[str]:
    """Restore what ``save_layout`` saved; returns the names (``"splitter/x"``, ``"geometry"``, ``"state"``…)
    that were restored, so a caller can give the others a first-time layout."""
    settings = QSettings()
    restored: set[str] = set()
    if geometry:
        saved = settings.value(f"{key}/geometry")
        if saved is not None and widget.restoreGeometry(saved):
            restored.add("geometry")
        saved = settings.value(f"{key}/state") if isinstance(widget, QMainWindow) else None
        if saved is not None and widget.restoreState(saved):  # type: ignore[attr-defined]
            restored.add("state")
    for name, part in _parts(widget) if children else ():
        saved = settings.value(f"{key}/{name}")
        if saved is None:
            continue
        if isinstance(part, QHeaderView):
            columns = settings.value(f"{key}/{name}-columns")
            if columns is not None and part.count() and _int(columns) != part.count():
                continue  # saved before a column was added or removed: the first-time widths fit better
        if part.restoreState(saved):
            restored.add(name)
    return restored


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
