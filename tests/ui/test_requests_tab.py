"""The Requests tab in the window, driven as a patient drives it: the list, the detail pane and each step's
dialog (new request, mark sent, log a call, mark received with its files), and the window's own requests."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from secondopinion_desktop.core import directory, records, settings
from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core.models import RecordKind, RecordStatus, RequestEventKind, RequestStatus
from secondopinion_desktop.ui.events import requests as window_requests
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.requests.model import URGENCY_ROLE, Column, Urgency

TODAY = dt.date.today()
DAY = dt.timedelta(days=1)


def fill(folder) -> dict[str, int]:
    """Three facilities and a request in every state: draft, sent and overdue, sent and due soon, extended,
    partly received, complete, refused, cancelled. Samplewood Hospital has two records still needed."""
    directory.create_facility(folder, "Samplewood Hospital", records_phone="(201) 555-0100",
                              records_fax="(201) 555-0101", records_address="1 Records Way\nSamplewood")
    directory.create_facility(folder, "Example Imaging Center", records_fax="(201) 555-0200")
    directory.create_facility(folder, "Example Labs")
    ids: dict[str, int] = {}

    def record(key: str, kind: RecordKind, title: str, facility: str, day: dt.date) -> int:
        facility_id = next(f.id for f in directory.list_facilities(folder) if f.name == facility)
        ids[key] = records.create_record(folder, kind, title, facility_id=facility_id, date_of_service=day).id
        return ids[key]

    record("biopsy", RecordKind.PATHOLOGY, "Core biopsy report", "Samplewood Hospital", TODAY - 60 * DAY)
    record("slides", RecordKind.PATHOLOGY, "Biopsy slides and block", "Samplewood Hospital", TODAY - 60 * DAY)
    record("mri", RecordKind.IMAGING, "Breast MRI", "Example Imaging Center", TODAY - 50 * DAY)
    record("mammo", RecordKind.IMAGING, "Diagnostic mammogram", "Example Imaging Center", TODAY - 70 * DAY)
    record("cbc", RecordKind.LAB, "Complete blood count", "Example Labs", TODAY - 40 * DAY)
    record("cmp", RecordKind.LAB, "Metabolic panel", "Example Labs", TODAY - 40 * DAY)
    record("old", RecordKind.LAB, "Old tumor markers", "Example Labs", TODAY - 90 * DAY)

    def made(key: str, facility: str, *record_keys: str) -> int:
        ids[key] = svc.create_request(folder, facility, record_ids=[ids[k] for k in record_keys]).id
        return ids[key]

    svc.mark_sent(folder, made("overdue", "Example Imaging Center", "mri"), on=TODAY - 40 * DAY, via="fax")
    svc.mark_sent(folder, made("complete", "Example Imaging Center", "mammo"), on=TODAY - 60 * DAY)
    svc.mark_received(folder, ids["complete"], on=TODAY - 45 * DAY)
    svc.mark_sent(folder, made("soon", "Example Labs", "cbc", "cmp"), on=TODAY - 25 * DAY, via="mail")
    svc.mark_sent(folder, made("refused", "Example Labs", "old"), on=TODAY - 80 * DAY)
    svc.refuse(folder, ids["refused"], why="Older than their retention period", on=TODAY - 70 * DAY)
    made("cancelled", "Example Labs")
    svc.cancel(folder, ids["cancelled"], note="Asked by phone instead")
    made("extended", "Example Labs")
    svc.mark_sent(folder, ids["extended"], on=TODAY - 35 * DAY)
    svc.extend(folder, ids["extended"], TODAY + 10 * DAY, on=TODAY - 20 * DAY)
    return ids


@pytest.fixture
def data(folder):
    return fill(folder)


@pytest.fixture
def window(qtbot, folder, data):
    made = MainWindow(folder)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    made.tabs.setCurrentWidget(made.requests_tab)
    yield made
    made.close()


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def ok(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def run_dialog(qtbot, open_it, handler) -> None:
    """Open a modal dialog with ``open_it()`` (a click) and drive it with ``handler(dialog)``."""
    done: list[bool] = []
    errors = on_next_dialog(lambda dialog: (handler(dialog), done.append(True)))
    open_it()
    qtbot.waitUntil(lambda: bool(done) or bool(errors), timeout=10_000)
    assert errors == []


def button(tab, name: str):
    return tab.findChild(type(tab.top_buttons[0]), name)


def test_the_tab_sits_between_the_health_summary_and_appointments(qtbot, window) -> None:
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "&Guidance", "&Records", "Health s&ummary", "Re&quests", "A&ppointments"]
    assert window.tabs.widget(3) is window.requests_tab


def test_overdue_and_due_soon_are_shown_in_words_and_colour(qtbot, window, data) -> None:
    tab = window.requests_tab
    model = tab.model
    overdue = model.index_of(data["overdue"], Column.DUE)
    assert overdue.data() == "Overdue by 10 days"
    assert overdue.data(URGENCY_ROLE) is Urgency.OVERDUE
    assert overdue.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#fdecea"
    soon = model.index_of(data["soon"], Column.DUE)
    assert soon.data() == "Due in 5 days"
    assert soon.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#fff3cd"
    assert model.index_of(data["cancelled"], Column.STATUS).data() == "Cancelled"
    assert model.index_of(data["cancelled"], Column.STATUS).data(URGENCY_ROLE) is Urgency.ENDED
    # a click on the row shows the request with the same words
    rect = tab.tree.visualRect(model.index_of(data["overdue"], Column.REQUEST))
    qtbot.mouseClick(tab.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.current.id == data["overdue"]
    text = tab.detail.browser.toPlainText()
    assert "Overdue by 10 days" in text and "Breast MRI" in text and "(201) 555-0200" in text
    assert "Sent" in text and "by fax" in text


def test_new_request_is_prefilled_with_the_facilitys_records_still_needed(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    before = set(tab.listed_ids())

    def fill_in(dialog) -> None:
        line = dialog.facility_combo.lineEdit()
        line.setFocus()
        qtbot.keyClicks(line, "Samplewood Hospital")
        qtbot.keyClick(line, Qt.Key.Key_Tab)  # leaving the box drafts the request
        assert set(dialog.record_checks) == {data["biopsy"], data["slides"]}
        assert all(check.isChecked() for check in dialog.record_checks.values())
        assert dialog.scope_checks["pathology_reports"].isChecked()
        assert not dialog.scope_checks["images"].isChecked()
        assert "(201) 555-0100" in dialog.contact_label.text()
        assert dialog.release_checks["stained"].isChecked() and dialog.release_checks["stained"].isEnabled()
        assert not dialog.send_to["send_to_name"].isEnabled()
        click(qtbot, dialog.record_checks[data["slides"]])  # only the report this time
        click(qtbot, ok(dialog))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "newRequestButton")), fill_in)
    new = set(tab.listed_ids()) - before
    assert len(new) == 1
    made = svc.get_request(folder, new.pop())
    assert made.facility_name == "Samplewood Hospital" and made.status is RequestStatus.DRAFT
    assert [r.id for r in made.records] == [data["biopsy"]]
    assert tab.current.id == made.id, "the new request is the one shown"
    assert tab.model.index_of(made.id, Column.DUE).data() == "Not sent yet"


def test_the_windows_new_request_opens_the_dialog_prefilled(qtbot, window, data) -> None:
    window.tabs.setCurrentWidget(window.guidance_tab)
    seen: dict[str, object] = {}

    def look(dialog) -> None:
        seen["name"] = dialog.objectName()
        seen["facility"] = dialog.facility_combo.currentText()
        seen["records"] = set(dialog.record_checks)
        dialog.reject()

    errors = on_next_dialog(look)
    window_requests().newRequest.emit("Samplewood Hospital")
    qtbot.waitUntil(lambda: bool(seen) or bool(errors), timeout=10_000)
    assert errors == []
    assert seen == {"name": "requestDialog", "facility": "Samplewood Hospital",
                    "records": {data["biopsy"], data["slides"]}}
    assert window.tabs.currentWidget() is window.requests_tab


def test_the_windows_show_request_chooses_it(qtbot, window, data) -> None:
    window.tabs.setCurrentWidget(window.records_tab)
    window_requests().showRequest.emit(data["refused"])
    assert window.tabs.currentWidget() is window.requests_tab
    assert window.requests_tab.current.id == data["refused"]
    assert "Older than their retention period" in window.requests_tab.detail.browser.toPlainText()


def test_mark_sent_sets_the_records_to_requested(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    draft = svc.create_request(folder, "Samplewood Hospital", record_ids=[data["biopsy"], data["slides"]])
    tab.reload(select=draft.id)
    assert button(tab, "markSentButton").isEnabled()

    def send(dialog) -> None:
        assert dialog.due_field.text() == (TODAY + 30 * DAY).isoformat()
        assert "30 days" in dialog.due_hint.text() and "some states allow fewer" in dialog.due_hint.text()
        dialog.via_combo.setCurrentIndex(dialog.via_combo.findText("Fax"))
        click(qtbot, ok(dialog))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markSentButton")), send)
    sent = svc.get_request(folder, draft.id)
    assert sent.status is RequestStatus.SENT and sent.sent_on == TODAY and sent.due_on == TODAY + 30 * DAY
    for record_id in (data["biopsy"], data["slides"]):
        stored = records.get_record(folder, record_id)
        assert stored.status is RecordStatus.REQUESTED and stored.requested_on == TODAY
    assert tab.model.index_of(draft.id, Column.DUE).data().startswith("Due ")
    assert not button(tab, "markSentButton").isEnabled()


def test_the_default_due_days_is_the_folders_setting(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    tab.due_days.setFocus()
    tab.due_days.lineEdit().selectAll()
    qtbot.keyClicks(tab.due_days, "20")
    assert settings.get_setting(folder, settings.DUE_DAYS) == 20
    draft = svc.create_request(folder, "Samplewood Hospital")
    tab.reload(select=draft.id)
    seen: list[str] = []
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markSentButton")),
               lambda dialog: (seen.append(dialog.due_field.text()), dialog.reject()))
    assert seen == [(TODAY + 20 * DAY).isoformat()]


def test_log_a_call_appears_in_the_log(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    tab.select_request(data["overdue"])

    def log(dialog) -> None:
        assert dialog.focusWidget() is dialog.who_edit
        qtbot.keyClicks(dialog.who_edit, "Dana at the records desk")
        qtbot.keyClick(dialog.who_edit, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.note_edit, "It went to the imaging archive; call back Friday")
        qtbot.keyClick(dialog.note_edit, Qt.Key.Key_Return)  # Enter saves

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "logCallButton")), log)
    last = svc.get_request(folder, data["overdue"]).events[-1]
    assert (last.kind, last.who, last.note, last.on) == (
        RequestEventKind.CALLED, "Dana at the records desk", "It went to the imaging archive; call back Friday", TODAY)
    text = tab.detail.browser.toPlainText()
    assert "Dana at the records desk" in text and "call back Friday" in text
    due = tab.model.index_of(data["overdue"]).siblingAtColumn(Column.DUE)
    shown = tab.tree.fontMetrics().horizontalAdvance(due.data())
    assert tab.tree.columnWidth(Column.DUE) >= shown, "the due words still fit after the list was read again"


def test_mark_received_marks_the_chosen_records_and_attaches_their_files(qtbot, window, folder, data, tmp_path,
                                                                          monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    scan = tmp_path / "cbc.pdf"
    scan.write_bytes(b"%PDF-1.4\n% the lab's report\n")
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda parent, title, *a, **k: (asked.append(title), ([str(scan)], ""))[1])
    tab = window.requests_tab
    tab.select_request(data["soon"])
    answered: list[bool] = []

    def choose(dialog) -> None:
        assert set(dialog.record_checks) == {data["cbc"], data["cmp"]}
        click(qtbot, dialog.record_checks[data["cmp"]])  # only the blood count came
        assert not dialog.complete_check.isChecked()

        def attach(box) -> None:
            assert isinstance(box, QMessageBox)
            answered.append(True)
            click(qtbot, box.button(QMessageBox.StandardButton.Yes))

        on_next_dialog(attach)
        click(qtbot, ok(dialog))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markReceivedButton")), choose)
    qtbot.waitUntil(lambda: bool(answered), timeout=10_000)
    qtbot.waitUntil(lambda: len(records.get_record(folder, data["cbc"]).attachments) == 1, timeout=10_000)
    assert asked == ["Files that came for “Complete blood count”"]
    q = svc.get_request(folder, data["soon"])
    assert q.status is RequestStatus.PARTLY_RECEIVED
    assert records.get_record(folder, data["cbc"]).status is RecordStatus.RECEIVED
    assert records.get_record(folder, data["cmp"]).status is RecordStatus.REQUESTED
    qtbot.waitUntil(lambda: all(job.done for job in tab.jobs), timeout=10_000)


def test_received_before_sent_is_refused_in_the_dialog(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    tab.select_request(data["soon"])
    seen: dict[str, object] = {}

    def wrong(dialog) -> None:
        dialog.on_field.edit.setText((TODAY - 30 * DAY).isoformat())
        click(qtbot, ok(dialog))
        seen["open"] = dialog.isVisible()
        seen["error"] = dialog.error_label.text()
        seen["focus"] = dialog.focusWidget() is dialog.on_field.edit
        dialog.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markReceivedButton")), wrong)
    assert seen["open"] and seen["focus"]
    assert "before the request was sent" in seen["error"]
    assert svc.get_request(folder, data["soon"]).status is RequestStatus.SENT
    assert records.get_record(folder, data["cbc"]).status is RecordStatus.REQUESTED


def test_due_before_sent_is_refused_in_the_dialog(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    draft = svc.create_request(folder, "Samplewood Hospital", record_ids=[data["biopsy"]])
    tab.reload(select=draft.id)
    seen: dict[str, object] = {}

    def wrong(dialog) -> None:
        dialog.due_field.edit.selectAll()
        qtbot.keyClicks(dialog.due_field.edit, (TODAY - 3 * DAY).isoformat())
        click(qtbot, ok(dialog))
        seen.update(open=dialog.isVisible(), error=dialog.error_label.text(),
                    focus=dialog.focusWidget() is dialog.due_field.edit)
        dialog.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markSentButton")), wrong)
    assert seen["open"] and seen["focus"] and "before the day the request was sent" in seen["error"]
    assert svc.get_request(folder, draft.id).status is RequestStatus.DRAFT
    assert records.get_record(folder, data["biopsy"]).status is RecordStatus.NEEDED


def test_a_negative_slide_count_is_refused_in_the_request_dialog(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    before = len(svc.list_requests(folder))
    seen: dict[str, object] = {}

    def wrong(dialog) -> None:
        dialog.facility_combo.setEditText("Samplewood Hospital")
        dialog._facility_chosen()
        qtbot.keyClicks(dialog.unstained_count, "-3")
        click(qtbot, ok(dialog))
        seen.update(open=dialog.isVisible(), error=dialog.error_label.text(),
                    focus=dialog.focusWidget() is dialog.unstained_count)
        dialog.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "newRequestButton")), wrong)
    assert seen["open"] and seen["focus"]
    assert seen["error"] == "The number of unstained slides must be between 0 and 100,000."
    assert len(svc.list_requests(folder)) == before


def test_an_unknown_facility_with_markup_is_made_and_shown_literally(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    name = "<b>New</b> Pathology & Co"

    def fill_in(dialog) -> None:
        line = dialog.facility_combo.lineEdit()
        qtbot.keyClicks(line, name)
        qtbot.keyClick(line, Qt.Key.Key_Tab)
        assert dialog.record_checks == {}
        assert "Not in the directory yet" in dialog.contact_label.text()
        click(qtbot, ok(dialog))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "newRequestButton")), fill_in)
    assert tab.current.facility_name == name
    assert any(f.name == name for f in directory.list_facilities(folder))
    assert tab.detail.browser.toPlainText().startswith(name)


def test_each_action_is_reachable_with_tab_and_named(qtbot, window, data) -> None:
    tab = window.requests_tab
    tab.select_request(data["soon"])
    buttons = [*tab.top_buttons, *tab.more_buttons]
    for b in buttons:
        assert b.accessibleName() and b.focusPolicy() & Qt.FocusPolicy.TabFocus, b.objectName()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    tab.top_buttons[0].setFocus()
    reached = []
    for _ in range(40):
        reached.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    for b in buttons:
        if b.isEnabled():
            assert b in reached, b.objectName()
    assert tab.tree in reached
    assert tab.due_days.lineEdit() in reached or tab.due_days in reached
    seen: list[str] = []
    errors = on_next_dialog(lambda dialog: (seen.append(dialog.objectName()), dialog.reject()))
    qtbot.keyClick(tab.tree, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(seen) or bool(errors), timeout=5000)
    assert errors == [] and seen == ["requestDialog"]


def test_the_tab_announces_its_own_changes_and_follows_the_others(qtbot, window, folder, data) -> None:
    from PySide6.QtCore import QObject

    from secondopinion_desktop.ui.events import Changes, announce, notice

    tab = window.requests_tab
    tab.select_request(data["soon"])
    said: list[tuple[object, object]] = []
    notice().changed.connect(lambda changes, initiator: said.append((changes, initiator)))

    def log(dialog) -> None:
        qtbot.keyClicks(dialog.who_edit, "Front desk")
        qtbot.keyClick(dialog.who_edit, Qt.Key.Key_Return)

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "logCallButton")), log)
    assert said == [(Changes.REQUESTS, tab)]
    # a change made elsewhere (the command line, another view) shows once it is announced
    svc.log_event(folder, data["soon"], "note", note="The lab's courier comes on Tuesdays")
    assert "courier comes on Tuesdays" not in tab.detail.browser.toPlainText()
    announce(Changes.REQUESTS, QObject())
    assert "The lab's courier comes on Tuesdays" in tab.detail.browser.toPlainText()
    records.set_status(folder, data["cbc"], RecordStatus.RECEIVED, TODAY)
    announce(Changes.RECORDS, QObject())
    assert "Complete blood count (" in tab.detail.browser.toPlainText()
    assert "— received" in tab.detail.browser.toPlainText()


def test_the_most_pressing_request_is_shown_first(qtbot, demo_folder) -> None:
    made = MainWindow(demo_folder, demo=True)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    tab = made.requests_tab
    first = svc.get_request(demo_folder, tab.listed_ids()[0])
    assert not first.is_overdue(TODAY), "the list starts with another facility"
    assert tab.current is not None and tab.current.is_overdue(TODAY)
    assert "Overdue by" in tab.detail.browser.toPlainText()
    made.close()


def test_the_due_date_of_a_sent_request_is_put_right_in_edit(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    sent = svc.mark_sent(folder, svc.create_request(folder, "Samplewood Hospital", record_ids=[data["biopsy"]]).id,
                         on=TODAY - 10 * DAY)
    tab.reload(select=sent.id)
    seen: dict[str, object] = {}

    def too_early(dialog) -> None:
        dialog.due_field.edit.selectAll()
        qtbot.keyClicks(dialog.due_field.edit, (TODAY - 11 * DAY).isoformat())
        click(qtbot, ok(dialog))
        seen.update(open=dialog.isVisible(), focus=dialog.focusWidget() is dialog.due_field.edit,
                    error=dialog.error_label.text())
        dialog.due_field.edit.selectAll()
        qtbot.keyClicks(dialog.due_field.edit, (TODAY + 5 * DAY).isoformat())
        click(qtbot, ok(dialog))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "editRequestButton")), too_early)
    assert seen["open"] and seen["focus"] and "before the day the request was sent" in str(seen["error"])
    assert svc.get_request(folder, sent.id).due_on == TODAY + 5 * DAY


def test_mark_received_with_nothing_ticked_is_refused(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    sent = svc.mark_sent(folder, svc.create_request(folder, "Samplewood Hospital", record_ids=[data["biopsy"]]).id,
                         on=TODAY - 3 * DAY)
    tab.reload(select=sent.id)
    seen: dict[str, object] = {}

    def nothing(dialog) -> None:
        for check in dialog.record_checks.values():
            check.setChecked(False)
        dialog.complete_check.setChecked(False)
        click(qtbot, ok(dialog))
        seen.update(open=dialog.isVisible(), error=dialog.error_label.text())
        dialog.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markReceivedButton")), nothing)
    assert seen["open"] and "Tick the records that came" in str(seen["error"])
    assert svc.get_request(folder, sent.id).status is RequestStatus.SENT
