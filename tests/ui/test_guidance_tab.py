"""The Guidance tab through its widgets: the guide, search, text size, checklist, still missing, questions."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.models import RecordStatus
from secondopinion_desktop.ui.main_window import MainWindow


def open_window(qtbot, folder, **kwargs) -> MainWindow:
    window = MainWindow(folder, **kwargs)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.guidance_tab)
    return window


@pytest.fixture
def window(qtbot, folder):
    return open_window(qtbot, folder)


def step_state(index) -> Qt.CheckState:
    """The check box of a step's row, as the view paints it."""
    return Qt.CheckState(index.data(Qt.ItemDataRole.CheckStateRole))


def click_step(qtbot, panel, row: int) -> None:
    """Click a step's row (its text, not its box), as a user picks it."""
    index = panel.model.index(row, 0)
    panel.list.scrollTo(index)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=panel.list.visualRect(index).center())
    assert panel.list.currentIndex().row() == row


def test_the_guide_shows_every_section(window) -> None:
    reader = window.guidance_tab.reader
    titles = [reader.section_list.item(i).text() for i in range(reader.section_list.count())]
    assert len(titles) == 8
    assert "Getting your records" in titles
    for row, section in enumerate(reader.sections):
        reader.section_list.setCurrentRow(row)
        shown = reader.browser.toPlainText()
        assert shown.lstrip().startswith(section.title)  # rendered: the "# " of the Markdown is gone
        assert "**" not in shown and "](" not in shown


def test_search_finds_a_word_in_another_section_and_scrolls_to_it(qtbot, window) -> None:
    reader = window.guidance_tab.reader
    reader.section_list.setCurrentRow(0)
    reader.browser.resize(reader.browser.width(), 220)  # short, so the match is below the fold at first
    target = next(s for s in reader.sections if "board certification" in s.markdown.lower())
    qtbot.keyClicks(reader.search, "board certification")
    qtbot.keyClick(reader.search, "\r")
    assert reader.current_key == target.key
    assert reader.selected_text().lower() == "board certification"
    assert reader.found_is_visible()
    reader.search.clear()
    qtbot.keyClicks(reader.search, "xyzzy-not-in-the-guide")
    assert reader.find_next() is False
    assert reader.search_status.text() == "Not found"


def test_text_size_changes_and_is_remembered(qtbot, window, folder) -> None:
    reader = window.guidance_tab.reader
    before = reader.browser.font().pointSizeF()
    reader.larger.click()
    reader.larger.click()
    assert reader.browser.font().pointSizeF() > before
    window.close()
    again = open_window(qtbot, folder)
    assert again.guidance_tab.reader.zoom == 2


def test_web_addresses_open_only_when_clicked_and_nothing_is_fetched(window, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)
    reader = window.guidance_tab.reader
    for row in range(reader.section_list.count()):
        reader.section_list.setCurrentRow(row)
    assert opened == []
    assert reader.browser.loadResource(2, QUrl("https://www.cancer.gov/logo.png")) is None
    reader.browser.anchorClicked.emit(QUrl("https://www.cancer.gov/about-cancer"))
    assert opened == ["https://www.cancer.gov/about-cancer"]
    reader.browser.anchorClicked.emit(QUrl("section:03-paying"))
    assert reader.current_key == "03-paying"


def test_tick_a_step_and_it_is_still_ticked_after_a_restart(qtbot, window, folder) -> None:
    panel = window.guidance_tab.checklist
    total = panel.model.rowCount()
    assert total >= 10
    assert panel.progress_label.text() == f"<b>0 of {total} done</b>"
    rect = panel.list.visualRect(panel.model.index(0, 0))
    # click the check box at the left edge of the first row
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y()))
    assert panel.entries[0].done and panel.entries[0].done_on == dt.date.today()
    assert panel.progress_label.text() == f"<b>1 of {total} done</b>"
    assert window.guidance_tab.side.tabText(0) == f"Checklist (1 of {total})"
    window.close()

    again = open_window(qtbot, folder)
    panel = again.guidance_tab.checklist
    assert step_state(panel.model.index(0, 0)) == Qt.CheckState.Checked
    assert panel.progress_label.text() == f"<b>1 of {total} done</b>"
    assert "done" in panel.model.index(0, 0).data()


def test_space_ticks_the_step_in_focus_and_the_step_stays_selected_across_reloads(qtbot, window) -> None:
    from secondopinion_desktop.ui.events import Changes, announce

    panel = window.guidance_tab.checklist
    total = panel.model.rowCount()
    assert panel.list.accessibleName() == "Checklist steps"
    click_step(qtbot, panel, 2)
    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Down)
    assert panel.list.currentIndex().row() == 3
    chosen = panel.entries[3]
    qtbot.keyClick(panel.list, Qt.Key.Key_Space)
    assert panel.entries[3].id == chosen.id and panel.entries[3].done
    assert step_state(panel.model.index(3, 0)) == Qt.CheckState.Checked
    assert panel.progress_label.text() == f"<b>1 of {total} done</b>"
    assert panel.list.currentIndex().row() == 3, "the ticked step stays selected"
    assert panel.model.index(3, 0).data(Qt.ItemDataRole.AccessibleTextRole) == f"{chosen.title}: done"
    qtbot.keyClick(panel.list, Qt.Key.Key_Space)
    assert step_state(panel.model.index(3, 0)) == Qt.CheckState.Unchecked
    assert panel.progress_label.text() == f"<b>0 of {total} done</b>"

    resets: list[bool] = []
    panel.model.modelReset.connect(lambda: resets.append(True))
    announce(Changes.CHECKLIST)  # changed elsewhere: the list is read again
    assert resets, "reloaded"
    assert panel.list.currentIndex().row() == 3 and panel.current_entry().id == chosen.id
    assert panel.help_label.text().startswith(f"<b>{chosen.title}</b>")


def test_insurer_answers_and_notes_are_saved(qtbot, window, folder) -> None:
    panel = window.guidance_tab.checklist
    row = next(i for i, e in enumerate(panel.entries) if e.key == "call-insurer")
    click_step(qtbot, panel, row)
    covered = panel.answer_widgets["covered"]
    covered.setCurrentIndex(1)
    reference = panel.answer_widgets["reference"]
    qtbot.keyClicks(reference, "REF-77")
    reference.editingFinished.emit()
    panel.note_edit.setPlainText("Spoke with Jordan; call back if the doctor is out of network.")
    panel.save_note()
    from secondopinion_desktop.core.checklist import list_checklist

    with folder.session() as s:
        stored = next(e for e in list_checklist(s) if e.key == "call-insurer")
    assert stored.answers["covered"] == covered.itemText(1)
    assert stored.answers["reference"] == "REF-77"
    assert stored.note.startswith("Spoke with Jordan")


def test_add_and_remove_a_step_of_my_own(qtbot, window, monkeypatch) -> None:
    panel = window.guidance_tab.checklist
    total = panel.model.rowCount()
    qtbot.keyClicks(panel.new_step, "Ask work for two days off")
    qtbot.keyClick(panel.new_step, "\r")
    assert panel.model.rowCount() == total + 1
    assert panel.current_entry().title == "Ask work for two days off"
    assert panel.remove_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    panel.remove_button.click()
    assert panel.model.rowCount() == total
    click_step(qtbot, panel, 0)
    assert not panel.remove_button.isEnabled()  # the guide's steps stay


def test_request_records_step_shows_progress_per_facility(qtbot, demo_folder) -> None:
    window = open_window(qtbot, demo_folder)
    panel = window.guidance_tab.checklist
    click_step(qtbot, panel, next(i for i, e in enumerate(panel.entries) if e.key == "request-records"))
    text = panel.help_label.text()
    assert "Samplewood Community Hospital:" in text and "still to request" in text


def test_still_missing_lists_findings_and_acts_on_them(qtbot, demo_folder, monkeypatch) -> None:
    window = open_window(qtbot, demo_folder, demo=True)
    missing = window.guidance_tab.missing
    assert missing.findings, "the sample case has things still to get"
    assert window.guidance_tab.side.tabText(1) == f"Still missing ({len(missing.findings)})"
    mark = next(f for f in missing.findings if f.action.value == "mark_requested")
    index = missing.findings.index(mark)
    qtbot.mouseClick(missing.buttons[index], Qt.MouseButton.LeftButton)
    with demo_folder.session() as s:
        assert svc.get_record(s, mark.record_id).status is RecordStatus.REQUESTED
    assert all(f.record_id != mark.record_id or f.rule != mark.rule for f in missing.findings)
    window.undo_action.trigger()  # it went through the Records tab's history
    with demo_folder.session() as s:
        assert svc.get_record(s, mark.record_id).status is RecordStatus.NEEDED

    show = next(i for i, f in enumerate(missing.findings) if f.action.value in ("open", "follow_up"))
    qtbot.mouseClick(missing.buttons[show], Qt.MouseButton.LeftButton)  # "Show record"
    assert window.tabs.currentWidget() is window.records_tab
    assert window.records_tab.current_record.id == missing.findings[show].record_id


def test_question_bank_add_my_own(qtbot, window) -> None:
    panel = window.guidance_tab.questions
    before = panel.question_count()
    assert before >= 30
    panel.group_combo.setCurrentIndex(1)
    qtbot.keyClicks(panel.new_question, "Who do I call at night if I have a problem")
    qtbot.keyClick(panel.new_question, "\r")
    assert panel.question_count() == before + 1
    assert panel.tree.currentItem().text(0).startswith("Who do I call at night if I have a problem?")
    assert panel.remove_button.isEnabled()
    panel.remove_button.click()
    assert panel.question_count() == before


def test_screenshot_of_the_guidance_tab(qtbot, demo_folder, screenshot) -> None:
    window = open_window(qtbot, demo_folder, demo=True)
    screenshot(window, "guidance-tab-checklist")
    window.guidance_tab.side.setCurrentIndex(1)
    window.guidance_tab.reader.show_section("04-finding-a-doctor")
    screenshot(window, "guidance-tab-missing")
    window.guidance_tab.side.setCurrentIndex(2)
    screenshot(window, "guidance-tab-questions")


def test_still_missing_catches_up_when_the_tab_is_shown(qtbot, demo_folder) -> None:
    window = open_window(qtbot, demo_folder, demo=True)
    missing = window.guidance_tab.missing
    mark = next(f for f in missing.findings if f.action.value == "mark_requested")
    before = list(missing.findings)
    window.tabs.setCurrentWidget(window.records_tab)
    window.records_tab.mark_requested(mark.record_id)  # a change made on the Records tab
    assert missing.findings == before, "not recomputed while hidden"
    window.tabs.setCurrentWidget(window.guidance_tab)
    assert mark.record_id not in {f.record_id for f in missing.findings if f.rule == mark.rule}
