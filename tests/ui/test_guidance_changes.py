"""The Guidance tab follows the window's change notice and asks the window through its requests: a profile edit
refreshes Still missing at once, a hidden tab catches up when shown, and its buttons reach the other tabs
without being wired to them by hand."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget

from secondopinion_desktop.core import profile, questions, records
from secondopinion_desktop.core.models import RecordStatus
from secondopinion_desktop.core.readiness import Action
from secondopinion_desktop.ui.events import Changes, announce, notice, requests
from secondopinion_desktop.ui.guidance.tab import GuidanceTab


def make_tabs(qtbot, folder) -> tuple[QTabWidget, GuidanceTab]:
    """The Guidance tab beside another tab, as in the window, wired to nothing; the Guidance tab is shown."""
    tabs = QTabWidget()
    guidance = GuidanceTab()
    tabs.addTab(guidance, "Guidance")
    tabs.addTab(QLabel("elsewhere"), "Elsewhere")
    qtbot.addWidget(tabs)
    tabs.resize(1280, 700)
    guidance.set_folder(folder)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs, guidance


@pytest.fixture
def shown(qtbot, folder):
    tabs, guidance = make_tabs(qtbot, folder)
    yield tabs, guidance
    guidance.shutdown()


@pytest.fixture
def demo_shown(qtbot, demo_folder):
    tabs, guidance = make_tabs(qtbot, demo_folder)
    guidance.side.setCurrentIndex(1)
    yield tabs, guidance
    guidance.shutdown()


def fill_profile(folder) -> None:
    with folder.session() as s:
        profile.save_profile(s, name="Pat Example", date_of_birth="1970-02-03", cancer_type="Breast cancer")


def profile_rules(guidance: GuidanceTab) -> list[str]:
    return [f.rule for f in guidance.missing.findings if f.rule == "profile"]


def test_a_profile_edit_refreshes_still_missing_at_once(qtbot, shown, folder) -> None:
    _tabs, guidance = shown
    assert profile_rules(guidance) == ["profile"], "an empty profile is the first thing missing"
    before = len(guidance.missing.findings)
    fill_profile(folder)
    announce(Changes.PROFILE)  # what the profile dialog's save says
    assert profile_rules(guidance) == [], "Still missing followed the profile at once"
    assert guidance.side.tabText(1) == f"Still missing ({before - 1})"
    first_step = guidance.checklist.model.index(0, 0)
    ticked = Qt.CheckState(first_step.data(Qt.ItemDataRole.CheckStateRole))
    assert ticked == Qt.CheckState.Checked, "the profile step ticked itself too"


def test_a_hidden_guidance_tab_reloads_only_when_shown(qtbot, shown, folder) -> None:
    tabs, guidance = shown
    tabs.setCurrentIndex(1)
    fill_profile(folder)
    announce(Changes.PROFILE)
    assert profile_rules(guidance) == ["profile"], "not recomputed while hidden"
    assert guidance.watcher.stale
    tabs.setCurrentIndex(0)
    assert profile_rules(guidance) == [], "caught up when shown"
    assert not guidance.watcher.stale


def test_a_question_added_elsewhere_shows_in_the_question_bank(qtbot, shown, folder) -> None:
    _tabs, guidance = shown
    before = guidance.questions.question_count()
    group = questions.question_bank(folder)[0].key
    questions.add_question(folder, group, "Is there a trial for my kind of cancer")
    announce(Changes.QUESTIONS)
    assert guidance.questions.question_count() == before + 1
    assert guidance.side.tabText(2) == f"Questions ({before + 1})"


def test_own_changes_are_announced_with_the_tab_as_initiator(qtbot, shown) -> None:
    _tabs, guidance = shown
    heard: list[tuple[Changes, object]] = []
    notice().changed.connect(lambda changes, initiator: heard.append((changes, initiator)))
    qtbot.keyClicks(guidance.checklist.new_step, "Ask work for two days off")
    qtbot.keyClick(guidance.checklist.new_step, Qt.Key.Key_Return)
    assert heard == [(Changes.CHECKLIST, guidance)]


def button_for(guidance: GuidanceTab, action: Action):
    index = next(i for i, f in enumerate(guidance.missing.findings) if f.action is action)
    return guidance.missing.findings[index], guidance.missing.buttons[index]


def test_add_record_asks_the_window(qtbot, shown) -> None:
    _tabs, guidance = shown
    guidance.side.setCurrentIndex(1)
    finding, button = button_for(guidance, Action.ADD)
    with qtbot.waitSignal(requests().newRecord, timeout=2000) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [finding.kind, finding.suggested_title]


def test_show_record_asks_the_window(qtbot, demo_shown) -> None:
    _tabs, guidance = demo_shown
    finding, button = button_for(guidance, Action.FOLLOW_UP)
    with qtbot.waitSignal(requests().showRecord, timeout=2000) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [finding.record_id]


def test_the_profile_button_asks_the_window(qtbot, shown) -> None:
    _tabs, guidance = shown
    guidance.side.setCurrentIndex(1)
    _finding, button = button_for(guidance, Action.PROFILE)
    with qtbot.waitSignal(requests().editProfile, timeout=2000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    guidance.side.setCurrentIndex(0)
    steps = guidance.checklist.list
    qtbot.mouseClick(steps.viewport(), Qt.MouseButton.LeftButton,
                     pos=steps.visualRect(guidance.checklist.model.index(0, 0)).center())
    with qtbot.waitSignal(requests().editProfile, timeout=2000):
        qtbot.mouseClick(guidance.checklist.profile_button, Qt.MouseButton.LeftButton)


def test_mark_requested_asks_the_window(qtbot, demo_shown, demo_folder) -> None:
    """The tab does not mark the record itself: the window makes it a step of the Records tab's undo history."""
    _tabs, guidance = demo_shown
    finding, button = button_for(guidance, Action.MARK_REQUESTED)
    with qtbot.waitSignal(requests().markRequested, timeout=2000) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [finding.record_id]
    with demo_folder.session() as s:  # nothing answered here: the tab changed nothing on its own
        assert records.get_record(s, finding.record_id).status is RecordStatus.NEEDED
