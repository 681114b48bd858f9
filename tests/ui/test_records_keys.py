"""The Records tab as a tester drives it: shortcuts after a tab switch or at start-up, several records at once,
the search box of another session, columns at large text, the sort arrow."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QToolButton

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records.dialogs import RecordDialog
from secondopinion_desktop.ui.records.model import RECORD_ID_ROLE, Column
from secondopinion_desktop.ui.window_tabs import TAB_NAMES

RECORDS_TAB = 1


def open_window(qtbot, folder, width: int = 1280, height: int = 700, **kwargs) -> MainWindow:
    window = MainWindow(folder, **kwargs)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()  # as the window manager does; shortcuts need an active window
    qtbot.waitUntil(window.isActiveWindow)
    return window


def click_tab(qtbot, window: MainWindow, index: int) -> None:
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == index)


def press(qtbot, window: MainWindow, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed where the user's focus is (or on the window when nothing has focus)."""
    if not window.isActiveWindow():  # a dialog just closed: the window manager gives the window back its focus
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)


CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def record_count(folder) -> int:
    with folder.session() as session:
        return len(svc.list_record_rows(session))


def shown_rows(tab) -> list[svc.RecordRow]:
    return [tab.model.row_data(tab.model.index(r, 0).data(RECORD_ID_ROLE)) for r in range(tab.model.rowCount())]



def ctrl_n_opens_the_record_dialog(qtbot, window) -> bool:
    """Press Ctrl+N on the window; True when the New record dialog opened (it is then cancelled)."""
    opened: list[str] = []

    def cancel(dialog: QDialog) -> None:
        opened.append(dialog.objectName())
        dialog.reject()

    errors = on_next_dialog(cancel)
    press(qtbot, window, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: bool(opened or errors))
    assert errors == [] or errors == ["no dialog opened"], errors
    return opened == ["recordDialog"]

def test_shortcuts_work_after_clicking_the_tab_bar(qtbot, demo_folder, monkeypatch) -> None:
    window = open_window(qtbot, demo_folder, demo=True)
    tab = window.records_tab
    click_tab(qtbot, window, 2)
    click_tab(qtbot, window, RECORDS_TAB)
    assert not tab.isAncestorOf(QApplication.focusWidget())  # focus is not in the tab: it stays on the bar

    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append("attach"), ([], ""))[1])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: (asked.append("imaging"), "")[1])
    monkeypatch.setattr(
        QMessageBox, "question",
        lambda parent, title, text, *a, **k: (asked.append(title), QMessageBox.StandardButton.No)[1],
    )
    click_tab(qtbot, window, 0)
    click_tab(qtbot, window, RECORDS_TAB)
    press(qtbot, window, Qt.Key.Key_A, CTRL_SHIFT)
    press(qtbot, window, Qt.Key.Key_I, CTRL_SHIFT)
    press(qtbot, window, Qt.Key.Key_Delete)
    assert asked == ["attach", "imaging", "Delete record"]

    before = tab.current_record
    assert before is not None and before.status is not RecordStatus.SENT
    press(qtbot, window, Qt.Key.Key_Right, CTRL)
    assert tab.current_record.status is svc.next_status(before.status)

    click_tab(qtbot, window, 0)
    click_tab(qtbot, window, RECORDS_TAB)
    assert ctrl_n_opens_the_record_dialog(qtbot, window)

    click_tab(qtbot, window, 0)
    click_tab(qtbot, window, RECORDS_TAB)
    press(qtbot, window, Qt.Key.Key_F, CTRL)
    assert tab.search.hasFocus()


def test_shortcuts_work_right_after_start_up(qtbot, demo_folder) -> None:
    QSettings().setValue(MainWindow.SETTINGS_TAB, RECORDS_TAB)
    window = open_window(qtbot, demo_folder)
    assert window.tabs.currentWidget() is window.records_tab
    assert ctrl_n_opens_the_record_dialog(qtbot, window)
    press(qtbot, window, Qt.Key.Key_F, CTRL)
    assert window.records_tab.search.hasFocus()


def test_record_shortcuts_do_nothing_in_the_guide(qtbot, demo_folder, monkeypatch) -> None:
    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    click_tab(qtbot, window, 0)
    opened: list[RecordDialog] = []
    monkeypatch.setattr(RecordDialog, "exec", lambda self: (opened.append(self), 0)[1])
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda p, title, *a, **k: (asked.append(title), 0)[1])
    total = record_count(demo_folder)
    before = [r.status for r in shown_rows(window.records_tab)]
    assert not window.records_tab.new_action.isEnabled()  # greyed in the Edit menu while the guide is shown
    press(qtbot, window, Qt.Key.Key_N, CTRL)
    press(qtbot, window, Qt.Key.Key_Delete)
    press(qtbot, window, Qt.Key.Key_Right, CTRL)  # on the tab bar: the next tab, no record moves
    assert opened == [] and asked == []
    assert record_count(demo_folder) == total
    assert [r.status for r in shown_rows(window.records_tab)] == before
    click_tab(qtbot, window, 0)
    click_tab(qtbot, window, RECORDS_TAB)
    assert window.records_tab.new_action.isEnabled()


def test_ctrl_n_in_the_appointments_tab_is_theirs(qtbot, demo_folder) -> None:
    """Both tabs use Ctrl+N; only the shown tab's action is live, so the keys are never ambiguous."""
    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    click_tab(qtbot, window, TAB_NAMES.index("requests"))  # another tab with its own Ctrl+N
    opened: list[str] = []

    def cancel(dialog: QDialog) -> None:
        opened.append(dialog.objectName() or type(dialog).__name__)
        dialog.reject()

    errors = on_next_dialog(cancel)
    press(qtbot, window, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: bool(opened or errors))
    assert errors == [] and opened and opened != ["recordDialog"]


def test_delete_in_the_search_box_deletes_text_not_records(qtbot, demo_folder, monkeypatch) -> None:
    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda p, title, *a, **k: (asked.append(title), 0)[1])
    tab = window.records_tab
    press(qtbot, window, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(tab.search, "faxx")
    qtbot.keyClick(tab.search, Qt.Key.Key_Left)
    qtbot.keyClick(tab.search, Qt.Key.Key_Delete)
    assert tab.search.text() == "fax"
    assert asked == []


# --- several records at once ---------------------------------------------------------------------------------


def select_rows(qtbot, tab, rows: list[int]) -> None:
    """Click the first row, Ctrl+click the others."""
    table = tab.table
    for n, row in enumerate(rows):
        rect = table.visualRect(tab.model.index(row, Column.TITLE))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                         CTRL if n else Qt.KeyboardModifier.NoModifier, rect.center())


def test_delete_several_records_with_one_question_and_one_undo(qtbot, demo_folder, monkeypatch) -> None:
    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    total = record_count(demo_folder)
    select_rows(qtbot, tab, [0, 2, 3])
    chosen = [r.title for r in shown_rows(tab)[:4]]
    del chosen[1]
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question",
        lambda p, title, text, *a, **k: (asked.append(text), QMessageBox.StandardButton.Yes)[1],
    )
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert len(asked) == 1 and asked[0].startswith("Delete 3 records?")
    assert all(title in asked[0] for title in chosen)
    assert record_count(demo_folder) == total - 3
    assert not {r.title for r in shown_rows(tab)} & set(chosen)

    qtbot.keyClick(tab.table, Qt.Key.Key_Z, CTRL)
    assert record_count(demo_folder) == total
    assert set(chosen) <= {r.title for r in shown_rows(tab)}
    assert len(tab.selected_ids()) == 3  # they come back selected
    qtbot.keyClick(tab.table, Qt.Key.Key_Z, CTRL_SHIFT)
    assert record_count(demo_folder) == total - 3


def test_next_step_and_status_menu_change_every_selected_record(qtbot, folder) -> None:
    with folder.session() as session:
        for n in range(4):
            svc.create_record(session, RecordKind.LAB, f"Blood test {n}", date_of_service=dt.date(2024, 1, n + 1))
    window = open_window(qtbot, folder)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Home, CTRL)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert len(tab.selected_ids()) == 3
    qtbot.keyClick(tab.table, Qt.Key.Key_Right, CTRL)
    statuses = sorted(r.status.value for r in shown_rows(tab))
    assert statuses == ["needed", "requested", "requested", "requested"]
    assert len(tab.selected_ids()) == 3  # still selected: the next step can follow
    assert tab.detail.record is not None and tab.detail.record.status is RecordStatus.REQUESTED

    picked: list[str] = []

    def pick_received(tries: int = 0) -> None:
        menu = QApplication.activePopupWidget()
        if menu is None:
            if tries < 300:
                QTimer.singleShot(10, lambda: pick_received(tries + 1))
            return
        action = next(a for a in menu.actions() if a.text() == RecordStatus.RECEIVED.label)
        picked.append(action.text())
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())

    QTimer.singleShot(0, pick_received)
    qtbot.mouseClick(tab.findChild(QToolButton, "statusButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(picked))
    qtbot.waitUntil(lambda: sorted(r.status.value for r in shown_rows(tab)).count("received") == 3)
    tab.table.setFocus()
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # one undo step for all three
    assert sorted(r.status.value for r in shown_rows(tab)) == ["needed", "requested", "requested", "requested"]


# --- the search box ------------------------------------------------------------------------------------------


def test_search_text_is_not_kept_and_filters_are_per_folder(qtbot, demo_folder, tmp_path) -> None:
    first = open_window(qtbot, demo_folder)
    click_tab(qtbot, first, RECORDS_TAB)
    tab = first.records_tab
    press(qtbot, first, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(tab.search, "fax")
    assert tab.model.rowCount() < tab.model.total
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData("imaging"))
    first.close()

    other = open_data_folder(tmp_path / "real")
    try:
        with other.session() as session:
            for n in range(10):
                svc.create_record(session, RecordKind.LAB, f"Result {n}")
        second = open_window(qtbot, other)
        tab = second.records_tab
        assert tab.search.text() == ""
        assert tab.kind_filter.currentData() is None
        assert tab.model.rowCount() == 10
        assert tab.summary.text().startswith("10 records")
        second.close()
    finally:
        other.close()

    third = open_window(qtbot, demo_folder)  # the first folder again: its kind filter, no search text
    tab = third.records_tab
    assert tab.search.text() == ""
    assert tab.kind_filter.currentData() == "imaging"


def test_one_record_is_counted_in_the_singular(qtbot, folder) -> None:
    with folder.session() as session:
        svc.create_record(session, RecordKind.LAB, "Blood test")
    window = open_window(qtbot, folder)
    assert window.records_tab.summary.text().startswith("1 record:")


# --- columns and the sort arrow ------------------------------------------------------------------------------


def test_kind_date_and_status_are_visible_at_1280_pixels(qtbot, demo_folder, screenshot) -> None:
    window = open_window(qtbot, demo_folder, 1280, 700)
    click_tab(qtbot, window, RECORDS_TAB)
    table = window.records_tab.table
    header = table.horizontalHeader()
    viewport = table.viewport().rect()
    screenshot(window, "records-1280")
    for column in (Column.KIND, Column.DATE, Column.STATUS, Column.FILES):
        left = header.sectionViewportPosition(column)
        assert left >= 0 and left + header.sectionSize(column) <= viewport.width(), column.name
    assert table.horizontalScrollBar().maximum() == 0
    # and each shows its text whole
    metrics = table.fontMetrics()
    assert header.sectionSize(Column.DATE) > metrics.horizontalAdvance("2026-09-15")
    bold = table.font()
    bold.setBold(True)
    assert header.sectionSize(Column.STATUS) > QFontMetrics(bold).horizontalAdvance("Sent to doctor")


def test_title_gives_way_first_and_is_widest_when_there_is_room(qtbot, demo_folder) -> None:
    window = open_window(qtbot, demo_folder, 1280, 700)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    header = tab.table.horizontalHeader()
    total = sum(tab.splitter.sizes())
    tab.splitter.setSizes([total - 200, 200])  # as much room as a wide screen gives the table
    qtbot.waitUntil(lambda: tab.table.width() > 800)
    wide = {c: header.sectionSize(c) for c in Column}
    assert max(wide, key=wide.get) is Column.TITLE
    tab.splitter.setSizes([total * 55 // 100, total * 45 // 100])
    qtbot.waitUntil(lambda: header.sectionSize(Column.TITLE) < wide[Column.TITLE])
    for column in (Column.DATE, Column.STATUS, Column.FILES):
        assert header.sectionSize(column) == wide[column]
    assert header.sectionSize(Column.KIND) >= tab.table.fontMetrics().horizontalAdvance("Pathology")
    assert tab.table.horizontalScrollBar().maximum() == 0


def arrow_points_up(header, column: int) -> bool:
    """Whether the arrow drawn at the right end of the column's header points up (narrow at its top)."""
    image = header.grab().toImage()
    right = header.sectionViewportPosition(column) + header.sectionSize(column)
    background = image.pixelColor(right - 3, 2).lightness()
    widths = []
    for y in range(2, image.height() - 4):
        dark = [x for x in range(right - 30, right - 2) if image.pixelColor(x, y).lightness() < background - 60]
        if dark:
            widths.append(len(dark))
    assert len(widths) >= 2, "no arrow drawn"
    return widths[0] < widths[-1]


def test_the_sort_arrow_points_the_way_the_dates_go(qtbot, demo_folder) -> None:
    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    header = tab.table.horizontalHeader()
    assert header.sortIndicatorSection() == Column.DATE

    def dates() -> list[dt.date]:
        return [r.date_of_service for r in shown_rows(tab) if r.date_of_service]

    newest_first = dates() == sorted(dates(), reverse=True)
    assert newest_first
    assert not arrow_points_up(header, Column.DATE)  # ▼: newest first
    position = QPoint(header.sectionViewportPosition(Column.DATE) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert dates() == sorted(dates())
    assert arrow_points_up(header, Column.DATE)  # ▲: oldest first


@pytest.fixture(autouse=True)
def _no_leftover_dialogs():
    yield
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.reject()


def test_a_delete_that_fails_half_way_can_still_be_undone(qtbot, demo_folder, monkeypatch) -> None:
    from secondopinion_desktop.core.errors import NotFoundError

    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    total = record_count(demo_folder)
    select_rows(qtbot, tab, [0, 1, 2])
    second = tab.selected_ids()[1]
    real = svc.delete_record

    def delete(folder, record_id, **kwargs):
        if record_id == second:
            raise NotFoundError(f"There is no record {record_id}.")
        return real(folder, record_id, **kwargs)

    monkeypatch.setattr(svc, "delete_record", delete)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warned.append(text))
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert warned == [f"There is no record {second}."]
    assert record_count(demo_folder) == total - 1
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert record_count(demo_folder) == total


def test_an_undo_that_fails_for_one_record_still_brings_back_the_others(qtbot, demo_folder, monkeypatch) -> None:
    from secondopinion_desktop.core.errors import NotFoundError

    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    total = record_count(demo_folder)
    select_rows(qtbot, tab, [0, 1, 2])
    first = tab.selected_ids()[0]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warned.append(text))
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert record_count(demo_folder) == total - 3
    real = svc.restore_record

    def restore(folder, snapshot):
        if snapshot.id == first:
            raise NotFoundError("That record cannot be brought back.")
        return real(folder, snapshot)

    monkeypatch.setattr(svc, "restore_record", restore)
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert record_count(demo_folder) == total - 1, "the two others are back"
    assert warned and "1 record could not be brought back" in warned[-1]


def test_ctrl_z_on_another_tab_does_not_undo_a_records_step_out_of_sight(qtbot, demo_folder) -> None:
    """Ctrl+Z in the Appointments tab must not silently take back the step just made in Records."""
    QSettings().setValue(MainWindow.SETTINGS_TAB, RECORDS_TAB)
    window = open_window(qtbot, demo_folder)
    tab = window.records_tab
    before = tab.current_record
    assert before is not None and before.status is not RecordStatus.SENT
    press(qtbot, window, Qt.Key.Key_Right, CTRL)  # the record moves on: one step in the history
    moved = tab.current_record.status
    assert moved is svc.next_status(before.status)
    click_tab(qtbot, window, 2)  # Appointments
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    with demo_folder.session() as session:
        assert svc.get_record(session, before.id).status is moved, "nothing was undone out of sight"
    assert window.undo_action.isEnabled(), "Edit › Undo still offers the step, by name"
    click_tab(qtbot, window, RECORDS_TAB)
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    with demo_folder.session() as session:
        assert svc.get_record(session, before.id).status is before.status, "in the Records tab Ctrl+Z undoes it"


def test_deleting_an_imported_study_says_how_many_images_go_with_it(qtbot, demo_folder, tmp_path,
                                                                     monkeypatch) -> None:
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

    write_study(tmp_path / "cd", StudySpec(series=(SeriesSpec(2, "AX", "CT", 7),)))
    result = import_imaging(demo_folder, scan_folder(tmp_path / "cd"))
    window = open_window(qtbot, demo_folder)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    assert tab.select_record(result.record_ids[0])
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert asked and "7 imported images" in asked[0] and "1 attached file" in asked[0], asked


def test_the_records_actions_are_named_and_their_tooltips_name_their_keys(qtbot, folder) -> None:
    """The tab's actions are made like every other view's (``ui.widgets.actions.make_action``): each has a name
    (what accessibility tools and tests find it by) and a tooltip with its shortcut."""
    from PySide6.QtGui import QAction

    window = open_window(qtbot, folder)
    click_tab(qtbot, window, RECORDS_TAB)
    tab = window.records_tab
    named = {name: tab.findChild(QAction, name) for name in (
        "newRecordAction", "editRecordAction", "deleteRecordsAction", "nextStepAction", "attachFileAction",
        "findRecordsAction", "importImagingAction", "exportImagesAction", "statusReceivedAction")}
    assert named == {"newRecordAction": tab.new_action, "editRecordAction": tab.edit_action,
                     "deleteRecordsAction": tab.delete_action, "nextStepAction": tab.next_action,
                     "attachFileAction": tab.attach_action, "findRecordsAction": tab.find_action,
                     "importImagingAction": tab.import_imaging_action,
                     "exportImagesAction": tab.export_images_action,
                     "statusReceivedAction": tab.status_actions[RecordStatus.RECEIVED]}
    assert tab.attach_action.toolTip().endswith("(Ctrl+Shift+A)")
