"""Remembered layout: splitters, headers and geometry saved and restored by object name in one call each."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QStringListModel, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QLabel, QSplitter, QTableView, QVBoxLayout, QWidget

from secondopinion_desktop.ui.state import restore_layout, save_layout


def page(qtbot, columns: int = 3) -> tuple[QWidget, QSplitter, QTableView]:
    widget = QWidget()
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.setObjectName("recordsSplitter")
    table = QTableView()
    table.setObjectName("recordsTable")
    model = QStandardItemModel(2, columns, table)
    table.setModel(model)
    splitter.addWidget(table)
    splitter.addWidget(QLabel("detail"))
    unnamed = QSplitter()  # no name: not remembered
    unnamed.addWidget(QLabel("a"))
    unnamed.addWidget(QLabel("b"))
    layout = QVBoxLayout(widget)
    layout.addWidget(splitter)
    layout.addWidget(unnamed)
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, splitter, table


def test_splitters_and_headers_come_back_by_name(qtbot) -> None:
    widget, splitter, table = page(qtbot)
    splitter.setSizes([600, 180])
    table.horizontalHeader().resizeSection(1, 222)
    table.horizontalHeader().moveSection(2, 0)
    sizes = splitter.sizes()
    save_layout(widget, "recordsTab")
    keys = set(QSettings().allKeys())
    assert keys == {"recordsTab/splitter/recordsSplitter", "recordsTab/header/recordsTableHeader",
                    "recordsTab/header/recordsTableHeader-columns"}

    again, splitter2, table2 = page(qtbot)
    assert splitter2.sizes() != sizes
    restored = restore_layout(again, "recordsTab")
    assert restored == {"splitter/recordsSplitter", "header/recordsTableHeader"}
    assert splitter2.sizes() == sizes
    assert table2.horizontalHeader().sectionSize(1) == 222
    assert table2.horizontalHeader().visualIndex(2) == 0


def test_nothing_saved_restores_nothing_so_the_caller_lays_out_the_first_time(qtbot) -> None:
    widget, _splitter, _table = page(qtbot)
    assert restore_layout(widget, "recordsTab", geometry=True) == set()


def test_a_header_of_its_own_name_is_saved_under_it(qtbot) -> None:
    widget, _splitter, table = page(qtbot)
    table.horizontalHeader().setObjectName("columns")
    save_layout(widget, "tab")
    assert "tab/header/columns" in QSettings().allKeys()


def test_geometry_is_saved_only_when_asked(qtbot) -> None:
    widget, _splitter, _table = page(qtbot)
    widget.resize(640, 420)
    save_layout(widget, "dialog")
    assert "dialog/geometry" not in QSettings().allKeys()
    save_layout(widget, "dialog", geometry=True)
    again, _s, _t = page(qtbot)
    assert again.size().toTuple() == (800, 500)
    assert "geometry" in restore_layout(again, "dialog", geometry=True)
    assert again.size().toTuple() == (640, 420)


def test_a_damaged_saved_state_is_not_applied(qtbot) -> None:
    widget, splitter, table = page(qtbot)
    sizes = splitter.sizes()
    settings = QSettings()
    settings.setValue("tab/splitter/recordsSplitter", b"not a splitter state")
    settings.setValue("tab/geometry", b"nor a geometry")
    restored = restore_layout(widget, "tab", geometry=True)
    assert "splitter/recordsSplitter" not in restored and "geometry" not in restored
    assert splitter.sizes() == sizes


def test_only_named_views_with_headers_are_remembered(qtbot) -> None:
    from PySide6.QtWidgets import QListView

    widget = QWidget()
    layout = QVBoxLayout(widget)
    listing = QListView()
    listing.setObjectName("questions")
    listing.setModel(QStringListModel(["a", "b"], listing))
    anonymous = QTableView()
    anonymous.setModel(QStandardItemModel(1, 2, anonymous))
    layout.addWidget(listing)
    layout.addWidget(anonymous)
    qtbot.addWidget(widget)
    save_layout(widget, "none")
    assert [k for k in QSettings().allKeys() if k.startswith("none/")] == []


def test_a_header_saved_before_a_column_was_added_is_not_applied(qtbot) -> None:
    widget, _splitter, table = page(qtbot, columns=3)
    table.horizontalHeader().resizeSection(0, 250)
    save_layout(widget, "tab")
    newer, _s, table4 = page(qtbot, columns=4)
    before = [table4.horizontalHeader().sectionSize(i) for i in range(4)]
    restored = restore_layout(newer, "tab")
    assert "header/recordsTableHeader" not in restored
    assert [table4.horizontalHeader().sectionSize(i) for i in range(4)] == before
    assert table4.horizontalHeader().count() == 4 and not table4.horizontalHeader().isSectionHidden(3)


def test_a_main_window_keeps_its_bars_and_can_leave_its_parts_to_themselves(qtbot) -> None:
    from PySide6.QtWidgets import QMainWindow, QToolBar

    def window() -> tuple[QMainWindow, QToolBar]:
        main = QMainWindow()
        bar = QToolBar("Tools")
        bar.setObjectName("tools")
        main.addToolBar(bar)
        inner, _splitter, _table = page(qtbot)
        main.setCentralWidget(inner)
        qtbot.addWidget(main)
        main.show()
        qtbot.waitExposed(main)
        return main, bar

    first, bar = window()
    bar.hide()
    save_layout(first, "mainWindow", geometry=True, children=False)
    assert {k for k in QSettings().allKeys()} == {"mainWindow/geometry", "mainWindow/state"}
    second, bar2 = window()
    assert bar2.isVisible()
    assert restore_layout(second, "mainWindow", geometry=True, children=False) == {"geometry", "state"}
    assert not bar2.isVisible()
