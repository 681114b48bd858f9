"""The Second opinion page of the Appointments tab, driven through its widgets: the Edit the opinion… dialog
(with a refusal shown under its field and the written report added from a file), and the follow-up questions."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMessageBox, QPushButton, QWidget

from secondopinion_desktop.core import appointments as appts
from secondopinion_desktop.core import opinions
from secondopinion_desktop.core.models import DiagnosisVerdict, RecordKind, RecordStatus
from secondopinion_desktop.core.records import get_record
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab


@pytest.fixture
def tab(qtbot, folder):
    appts.create_appointment(folder, "2026-01-10 09:30", place="Main campus")
    made = AppointmentsTab()
    qtbot.addWidget(made)
    made.resize(1280, 760)
    made.set_folder(folder)
    made.show()
    qtbot.waitExposed(made)
    made.work_tabs.setCurrentWidget(made.opinion)
    yield made
    made.shutdown()


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def ok(dialog: QDialog) -> QPushButton:
    return dialog.findChild(QPushButton, "okButton")


def wait_done(qtbot, owner) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: owner.last_op is not None and owner.last_op.done, timeout=10_000)


def test_the_page_is_a_tab_beside_questions_and_notes(tab) -> None:
    titles = [tab.work_tabs.tabText(i) for i in range(tab.work_tabs.count())]
    assert titles == ["Questions and notes", "Second o&pinion", "What the center asked &for"]
    assert "Nothing written down yet" in tab.opinion.summary.text()
    assert not tab.opinion.report_button.isEnabled(), "no report yet"


def test_the_opinion_is_written_down_in_its_dialog(qtbot, tab, folder) -> None:
    def fill(dialog: QDialog) -> None:
        dialog.verdict_combo.setCurrentIndex(dialog.verdict_combo.findData("refined"))
        qtbot.keyClicks(dialog.diagnosis_edit, "Invasive lobular carcinoma, grade 2")
        qtbot.keyClicks(dialog.stage_edit, "IIB")
        qtbot.keyClicks(dialog.plan_edit, "Surgery first, then hormone therapy.")
        qtbot.keyClicks(dialog.trials_edit, "NCT01234567")
        qtbot.keyClick(dialog.trials_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(dialog.trials_edit, "NCT07654321")
        qtbot.keyClicks(dialog.tests_edit, "Pathology re-review of block A1")
        qtbot.keyClicks(dialog.next_edit, "Dr. Lee orders the MRI.")
        click(qtbot, ok(dialog))

    errors = on_next_dialog(fill)
    click(qtbot, tab.findChild(QPushButton, "editOpinionButton"))
    assert errors == []
    wait_done(qtbot, tab.opinion)
    stored = opinions.get_opinion(folder, tab.current_appointment_id())
    assert stored is not None
    assert stored.verdict is DiagnosisVerdict.REFINED
    assert (stored.diagnosis, stored.stage) == ("Invasive lobular carcinoma, grade 2", "IIB")
    assert stored.trials == ("NCT01234567", "NCT07654321")
    assert stored.further_tests == ("Pathology re-review of block A1",)
    assert stored.next_steps == "Dr. Lee orders the MRI."
    shown = tab.opinion.summary.text()
    assert "Refined" in shown and "NCT07654321" in shown and "not attached yet" in shown

    def change(dialog: QDialog) -> None:  # the dialog opens with what is stored
        assert dialog.stage_edit.text() == "IIB"
        assert dialog.trials_edit.toPlainText() == "NCT01234567\nNCT07654321"
        dialog.stage_edit.clear()
        qtbot.keyClicks(dialog.stage_edit, "IIA")
        click(qtbot, ok(dialog))

    errors = on_next_dialog(change)
    click(qtbot, tab.opinion.edit_button)
    assert errors == []
    wait_done(qtbot, tab.opinion)
    assert opinions.get_opinion(folder, tab.current_appointment_id()).stage == "IIA"


def test_a_refused_field_is_shown_under_it_and_nothing_is_kept(qtbot, tab, folder) -> None:
    seen: dict[str, object] = {}

    def too_long(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.stage_edit, "x" * 230)
        click(qtbot, ok(dialog))
        label = dialog.findChild(QLabel, "opinionStageEditError")
        seen.update(open=dialog.isVisible(), shown=label.isVisible(), text=label.text(),
                    focus=dialog.focusWidget() is dialog.stage_edit)
        dialog.reject()

    errors = on_next_dialog(too_long)
    click(qtbot, tab.opinion.edit_button)
    assert errors == []
    assert seen["open"] and seen["shown"] and "stage" in str(seen["text"]).lower()
    assert seen["focus"]
    assert opinions.get_opinion(folder, tab.current_appointment_id()) is None


def test_the_written_report_is_added_from_a_file_as_a_record(qtbot, tab, folder, tmp_path, monkeypatch) -> None:
    report = tmp_path / "consult-report.pdf"
    report.write_bytes(b"%PDF-1.4\n% a consult report\n%%EOF\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(report), ""))
    chosen: dict[str, object] = {}

    def add(dialog: QDialog) -> None:
        click(qtbot, dialog.findChild(QPushButton, "addReportButton"))
        qtbot.waitUntil(lambda: dialog.last_op is not None and dialog.last_op.done, timeout=10_000)
        chosen["id"] = dialog.report_combo.currentData()
        click(qtbot, ok(dialog))

    errors = on_next_dialog(add)
    click(qtbot, tab.opinion.edit_button)
    assert errors == []
    wait_done(qtbot, tab.opinion)
    stored = opinions.get_opinion(folder, tab.current_appointment_id())
    assert stored is not None and stored.report_record_id == chosen["id"] is not None
    record = get_record(folder, stored.report_record_id)
    assert (record.kind, record.status) == (RecordKind.CLINICAL, RecordStatus.RECEIVED)
    assert [a.original_name for a in record.attachments] == ["consult-report.pdf"]
    assert record.title in tab.opinion.summary.text()
    from secondopinion_desktop.ui.events import requests

    asked: list[int] = []
    requests().showRecord.connect(asked.append)
    click(qtbot, tab.findChild(QPushButton, "showReportButton"))
    requests().showRecord.disconnect(asked.append)
    assert asked == [record.id]


def test_follow_up_questions_are_added_answered_and_removed(qtbot, tab, folder) -> None:
    pane = tab.opinion
    appointment_id = tab.current_appointment_id()
    qtbot.keyClicks(pane.new_follow_edit, "Should I start tamoxifen before surgery?")
    qtbot.keyClick(pane.new_follow_edit, Qt.Key.Key_Return)
    wait_done(qtbot, pane)
    [made] = opinions.get_opinion(folder, appointment_id).follow_ups
    assert made.asked_on == dt.date.today() and not made.answered
    assert pane.new_follow_edit.text() == ""
    assert pane.current_follow_up_id() == made.id
    assert pane.follow_list.topLevelItem(0).text(2) == "Not answered yet"

    def answer(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.answer_edit, "No, after surgery.")
        click(qtbot, ok(dialog))

    errors = on_next_dialog(answer)
    click(qtbot, pane.answer_follow_button)
    assert errors == []
    [answered] = opinions.get_opinion(folder, appointment_id).follow_ups
    assert answered.answer == "No, after surgery." and answered.answered_on == dt.date.today()
    assert pane.follow_list.topLevelItem(0).text(2) == "No, after surgery."
    assert "1 of 1 answered" in pane.follow_title.text()

    def yes(box: QMessageBox) -> None:
        box.button(QMessageBox.StandardButton.Yes).click()

    errors = on_next_dialog(yes)  # it has an answer: asked first
    click(qtbot, pane.remove_follow_button)
    assert errors == []
    wait_done(qtbot, pane)
    assert opinions.get_opinion(folder, appointment_id).follow_ups == ()
    assert pane.follow_list.topLevelItemCount() == 0


def test_a_bad_date_in_the_follow_up_dialog_keeps_it_open(qtbot, tab, folder) -> None:
    made = opinions.add_follow_up(folder, tab.current_appointment_id(), "Is radiation needed?")
    tab.opinion.reload(select=made.id)
    seen: dict[str, object] = {}

    def future(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.asked_field.edit, "2999-01-01")
        click(qtbot, ok(dialog))
        qtbot.waitUntil(dialog.error_label.isVisible, timeout=10_000)
        seen.update(open=dialog.isVisible(), text=dialog.error_label.text())
        dialog.reject()

    errors = on_next_dialog(future)
    click(qtbot, tab.opinion.answer_follow_button)
    assert errors == []
    assert seen["open"] and "2999" in str(seen["text"])
    [kept] = opinions.get_opinion(folder, tab.current_appointment_id()).follow_ups
    assert kept.asked_on is None


def test_a_follow_up_asked_twice_is_refused_in_a_sentence(qtbot, tab, folder) -> None:
    opinions.add_follow_up(folder, tab.current_appointment_id(), "Is radiation needed?")
    tab.opinion.reload()
    said: list[str] = []

    def note(box: QMessageBox) -> None:
        said.append(box.text())
        box.accept()

    errors = on_next_dialog(note)
    qtbot.keyClicks(tab.opinion.new_follow_edit, "is radiation needed?")
    click(qtbot, tab.opinion.add_follow_button)
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert errors == []
    assert "already among the follow-up questions" in said[0]
    assert tab.opinion.new_follow_edit.text() == "is radiation needed?", "kept to be corrected"
    assert len(opinions.get_opinion(folder, tab.current_appointment_id()).follow_ups) == 1


def test_a_change_made_elsewhere_is_shown(qtbot, tab, folder) -> None:
    from secondopinion_desktop.ui.events import Changes, announce

    opinions.save_opinion(folder, tab.current_appointment_id(), verdict="confirmed", stage="IIA")
    announce(Changes.OPINIONS, None)
    assert "Confirmed" in tab.opinion.summary.text()


def test_enter_in_the_follow_up_list_opens_its_answer(qtbot, tab, folder) -> None:
    made = opinions.add_follow_up(folder, tab.current_appointment_id(), "Is radiation needed?")
    tab.opinion.reload(select=made.id)
    seen: list[str] = []

    def look(dialog: QDialog) -> None:
        seen.append(dialog.question_edit.text())
        dialog.reject()

    errors = on_next_dialog(look)
    tab.opinion.follow_list.setFocus()
    qtbot.keyClick(tab.opinion.follow_list, Qt.Key.Key_Return)
    assert errors == []
    assert seen == ["Is radiation needed?"]
