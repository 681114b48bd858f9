"""The Second opinion page, the center's list and their dialogs fit a 1280×720 screen (run also with
SECONDOPINION_TEST_TEXT_SCALE=1.5): every dialog's frame is on the screen with its buttons in sight, and each
page's buttons are in sight in a tab as large as the window leaves it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QDialog, QDialogButtonBox, QWidget

from secondopinion_desktop.core import opinions
from secondopinion_desktop.core.appointments import add_questions, create_appointment, list_appointments
from secondopinion_desktop.core.records import list_records
from secondopinion_desktop.ui.appointments.carry import CarryForwardDialog
from secondopinion_desktop.ui.appointments.compare import CompareDialog
from secondopinion_desktop.ui.appointments.opinion import FollowUpDialog, OpinionDialog
from secondopinion_desktop.ui.appointments.requirements import RecordPickerDialog, RequirementDialog
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab

SAMPLE = dict(verdict="refined", diagnosis="Invasive lobular carcinoma, grade 2, ER and PR positive, HER2 low",
              stage="pT2 N1a M0, stage IIB", plan="Surgery first (lumpectomy with sentinel node biopsy), then "
              "radiation and five years of hormone therapy; chemotherapy only if the recurrence score is high.",
              trials="NCT01234567 — a trial of shorter radiation\nNCT07654321",
              further_tests="Pathology re-review of block A1\nMRI of both breasts\nOncotype DX on the surgical "
                            "specimen", next_steps="Dr. Lee orders the MRI; I send the blocks to the center.")


@pytest.fixture
def case(demo_folder):  # type: ignore[no-untyped-def]
    [a] = list_appointments(demo_folder)
    opinions.save_opinion(demo_folder, a.id, **SAMPLE)
    opinions.add_follow_up(demo_folder, a.id, "Should I start tamoxifen before surgery?", asked_on="2026-11-20")
    made = opinions.add_follow_up(demo_folder, a.id, "Is radiation still needed after a mastectomy?")
    opinions.change_follow_up(demo_folder, made.id, answer="Probably not; we will decide after surgery.")
    items = opinions.add_requirements(demo_folder, a.id, "1. Pathology report of the biopsy\n2. All imaging on CD "
                                      "in DICOM format\n3. Medication list\n4. Insurance card, front and back")
    records = list_records(demo_folder)
    opinions.link_records(demo_folder, items[0].id, [records[0].id, records[1].id])
    opinions.change_requirement(demo_folder, items[2].id, done=True)
    past = create_appointment(demo_folder, "2026-06-02 10:00", place="Main campus")
    add_questions(demo_folder, past.id, ["Do I need genetic testing?", "Can I keep working?",
                                         "What side effects should I expect?"])
    return demo_folder, a.id, past.id


def assert_in_sight(dialog: QDialog, *, form_buttons: bool = True) -> None:
    screen = dialog.screen().availableGeometry()
    assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
    box = dialog.findChild(QDialogButtonBox)
    buttons = [b for b in box.findChildren(QAbstractButton) if b.isVisibleTo(dialog)]
    assert buttons
    others = [b for b in dialog.findChildren(QAbstractButton)
              if form_buttons and b.objectName().endswith("Button") and b.isVisibleTo(dialog)]
    for button in [*buttons, *others]:
        assert QRect(QPoint(0, 0), dialog.size()).contains(QRect(button.mapTo(dialog, QPoint(0, 0)),
                                                                 button.size())), button.text()
        assert not button.visibleRegion().isEmpty(), button.text()


def factories(folder, appointment_id: int, past_id: int):  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.appointments import get_appointment

    a = get_appointment(folder, appointment_id)
    opinion = opinions.get_opinion(folder, appointment_id)
    return {
        "opinion": lambda: OpinionDialog(folder, a, opinion),
        "follow-up": lambda: FollowUpDialog(folder, opinion.follow_ups[1]),
        "carry-forward": lambda: CarryForwardDialog(folder, get_appointment(folder, past_id)),
        "compare": lambda: CompareDialog(folder, appointment_id),
        "record-picker": lambda: RecordPickerDialog(folder, "Pathology report of the biopsy"),
        "requirement": lambda: RequirementDialog(folder, opinions.list_requirements(folder, appointment_id)[0]),
    }


@pytest.mark.parametrize("name", ["opinion", "follow-up", "carry-forward", "compare", "record-picker",
                                  "requirement"])
def test_each_dialog_fits_with_its_buttons_in_sight(qtbot, case, name, screenshot) -> None:
    folder, appointment_id, past_id = case
    dialog = factories(folder, appointment_id, past_id)[name]()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert_in_sight(dialog)
    screenshot(dialog, f"appointments-{name}-dialog")
    if name == "opinion":  # a refusal under a field pushes the form, not the buttons, out of sight
        from secondopinion_desktop.core.errors import ValidationError

        dialog.show_problem(ValidationError("The stage is longer than 200 characters; please shorten it.",
                                            field="stage"))
        qtbot.wait(20)
        assert_in_sight(dialog, form_buttons=False)  # the form scrolls
        screenshot(dialog, "appointments-opinion-dialog-refused")
    dialog.reject()


@pytest.mark.parametrize("page", ["opinion", "requirements"])
def test_each_page_shows_its_buttons_in_a_window_sized_tab(qtbot, case, page, screenshot) -> None:
    folder, appointment_id, _past = case
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 640)  # what a 1280×720 window leaves the tab under its menu, tab bar and status bar
    tab.set_folder(folder)
    tab.show()
    qtbot.waitExposed(tab)
    tab.select_appointment(appointment_id)
    pane = getattr(tab, page)
    tab.work_tabs.setCurrentWidget(pane)
    qtbot.wait(20)
    inside = QRect(QPoint(0, 0), tab.size())
    buttons = [b for b in pane.findChildren(QAbstractButton) if b.isVisibleTo(tab)]
    assert len(buttons) >= 4
    for button in buttons:
        assert inside.contains(QRect(button.mapTo(tab, QPoint(0, 0)), button.size())), button.text()
        assert not button.visibleRegion().isEmpty(), button.text()
        assert button.width() >= button.minimumSizeHint().width(), button.text()
    shown = pane.findChild(QWidget, "followUpList" if page == "opinion" else "requirementList")
    assert shown.height() >= 3 * shown.fontMetrics().height(), "a few rows of the list are in sight"
    screenshot(tab, f"appointments-page-{page}")
    tab.shutdown()
