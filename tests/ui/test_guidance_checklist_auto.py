"""Checklist steps that the data shows done tick themselves in the Guidance tab; she can untick them; the
profile step and an empty profile's Still-missing finding open the profile."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStyle, QStyleOptionViewItem, QTabWidget

from secondopinion_desktop.core import appointments, checklist, directory, profile
from secondopinion_desktop.core.models import ClinicianRole
from secondopinion_desktop.ui.events import Changes, announce, requests
from secondopinion_desktop.ui.guidance.tab import GuidanceTab


@pytest.fixture
def shown(qtbot, folder):
    """The Guidance tab beside another tab in a tab widget, as in the window; the Guidance tab is shown."""
    tabs = QTabWidget()
    guidance = GuidanceTab()
    tabs.addTab(guidance, "Guidance")
    tabs.addTab(QLabel("elsewhere"), "Elsewhere")
    qtbot.addWidget(tabs)
    tabs.resize(1280, 700)
    guidance.set_folder(folder)
    tabs.show()
    qtbot.waitExposed(tabs)
    guidance.side.setCurrentIndex(0)
    yield tabs, guidance
    guidance.shutdown()


def book_with_doctor_and_question(folder) -> None:
    with folder.session() as s:
        avery = directory.create_clinician(s, name="Avery Stone", credentials="MD",
                                           role=ClinicianRole.SECOND_OPINION)
        made = appointments.create_appointment(s, dt.datetime.now() + dt.timedelta(days=5), clinician_id=avery.id)
        appointments.add_question(s, made.id, "What would you recommend?")


def click_check_box(qtbot, view, index) -> None:
    """Click the row's check box where it is painted, as a user would."""
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    view.itemDelegate().initStyleOption(option, index)
    box = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view)
    assert box.isValid() and box.width() > 0
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def step_state(index) -> Qt.CheckState:
    """The check box of a step's row, as the view paints it."""
    return Qt.CheckState(index.data(Qt.ItemDataRole.CheckStateRole))


def click_step(qtbot, panel, row: int) -> None:
    """Click a step's row (its text, not its box), as a user picks it."""
    index = panel.model.index(row, 0)
    panel.list.scrollTo(index)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=panel.list.visualRect(index).center())
    assert panel.list.currentIndex().row() == row


def test_steps_the_data_shows_tick_themselves_when_the_tab_is_shown_and_she_can_untick(qtbot, shown, folder,
                                                                                      screenshot) -> None:
    tabs, guidance = shown
    panel = guidance.checklist
    total = len(panel.entries)
    assert panel.progress_label.text() == f"<b>0 of {total} done</b>"

    tabs.setCurrentIndex(1)  # meanwhile, in the Appointments tab…
    book_with_doctor_and_question(folder)
    tabs.tabBar().setFocus()
    qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(0).center())
    assert tabs.currentWidget() is guidance

    assert panel.progress_label.text() == f"<b>3 of {total} done</b>"
    assert guidance.side.tabText(0) == f"Checklist (3 of {total})"
    booked = panel.index_of("book-appointment")
    assert step_state(booked) == Qt.CheckState.Checked
    assert booked.data().splitlines() == ["Book the appointment", "Done — 1 appointment booked"]
    assert panel.index_of("choose-doctor").data().endswith("Done — Avery Stone, MD chosen")
    assert step_state(panel.index_of("write-questions")) == Qt.CheckState.Checked
    assert step_state(panel.index_of("tell-doctor")) == Qt.CheckState.Unchecked
    click_step(qtbot, panel, booked.row())
    assert panel.data_label.isVisible() and panel.data_label.text().startswith("Done — 1 appointment booked.")
    screenshot(guidance, "checklist-ticked-by-the-data")

    click_check_box(qtbot, panel.list, panel.index_of("book-appointment"))
    assert step_state(panel.index_of("book-appointment")) == Qt.CheckState.Unchecked
    assert panel.progress_label.text() == f"<b>2 of {total} done</b>"
    assert "You unticked this step" in panel.data_label.text()
    with folder.session() as s:  # stored in the data folder
        stored = next(e for e in checklist.list_checklist(s) if e.key == "book-appointment")
    assert not stored.done and stored.unticked

    tabs.setCurrentIndex(1)
    tabs.setCurrentIndex(0)  # shown again: still unticked
    assert step_state(panel.index_of("book-appointment")) == Qt.CheckState.Unchecked

    click_check_box(qtbot, panel.list, panel.index_of("book-appointment"))  # ticked again, by her, dated today
    item = panel.index_of("book-appointment")
    assert step_state(item) == Qt.CheckState.Checked
    assert item.data() == f"Book the appointment  — done {dt.date.today().day} {dt.date.today():%b %Y}"
    assert panel.progress_label.text() == f"<b>3 of {total} done</b>"


def test_the_profile_step_comes_first_and_its_button_asks_for_the_profile(qtbot, shown, folder,
                                                                       screenshot) -> None:
    _tabs, guidance = shown
    panel = guidance.checklist
    first = panel.model.index(0, 0)
    assert first.data() == "Fill in the patient profile (diagnosis, stage, markers)"
    click_step(qtbot, panel, 0)
    assert panel.profile_button.isVisible()
    screenshot(guidance, "checklist-profile-step")
    with qtbot.waitSignal(requests().editProfile, timeout=2000):
        qtbot.mouseClick(panel.profile_button, Qt.MouseButton.LeftButton)
    click_step(qtbot, panel, 1)
    assert not panel.profile_button.isVisible()

    with folder.session() as s:
        profile.save_profile(s, name="Pat Example", date_of_birth="1970-02-03", cancer_type="Breast cancer")
    announce(Changes.PROFILE)  # what the profile dialog's save says
    assert step_state(panel.model.index(0, 0)) == Qt.CheckState.Checked
    assert panel.model.index(0, 0).data().endswith("Done — the profile names the diagnosis: Breast cancer")


def test_still_missing_names_an_empty_profile_first_with_a_button_for_it(qtbot, shown, folder,
                                                                       screenshot) -> None:
    _tabs, guidance = shown
    guidance.side.setCurrentIndex(1)
    missing = guidance.missing
    first = missing.findings[0]
    assert first.rule == "profile"
    assert first.message.startswith("The patient profile has no diagnosis (cancer type), name or date of birth yet.")
    button = missing.buttons[0]
    assert button.text() == "Fill in the profile…" and button.isVisible()
    screenshot(guidance, "still-missing-empty-profile")
    with qtbot.waitSignal(requests().editProfile, timeout=2000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    with folder.session() as s:
        profile.save_profile(s, name="Pat Example", date_of_birth="1970-02-03", cancer_type="Breast cancer")
    announce(Changes.PROFILE)  # what the profile dialog's save says
    assert all(f.rule != "profile" for f in missing.findings)
    assert guidance.side.tabText(1) == f"Still missing ({len(missing.findings)})"


def test_the_profile_buttons_alt_letter_is_its_own(qtbot, folder) -> None:
    """Alt+letter of "Fill in the profile…" is not taken by the window's menus, its tabs or another button."""
    import re

    from PySide6.QtWidgets import QAbstractButton

    from secondopinion_desktop.ui.main_window import MainWindow

    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.guidance_tab)
    panel = window.guidance_tab.checklist
    click_step(qtbot, panel, 0)
    assert panel.profile_button.isVisible()

    def letter(text: str) -> str | None:
        found = re.search(r"&([^&])", text)
        return found.group(1).casefold() if found else None

    taken = [letter(a.text()) for a in window.menuBar().actions()]
    taken += [letter(window.tabs.tabText(i)) for i in range(window.tabs.count())]
    taken += [letter(b.text()) for b in window.findChildren(QAbstractButton)
              if b.isVisible() and b is not panel.profile_button]
    mine = letter(panel.profile_button.text())
    assert mine is not None and mine not in taken
    window.close()
