"""The Requests tab's other dialogs, opened from their buttons: the letter (made with the real letters module),
shipments, extension, refused, cancel and delete; and every dialog fits a 1280×720 screen (with 1.5× text too:
SECONDOPINION_TEST_TEXT_SCALE=1.5). Screenshots go to $SECONDOPINION_SCREENSHOTS."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.dialogs import on_next_dialog
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox, QScrollArea
from ui.test_requests_tab import TODAY, button, click, fill, ok, run_dialog

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core import shipments
from secondopinion_desktop.core.models import LetterKind, MaterialKind, RequestStatus
from secondopinion_desktop.core.words import day_month_year
from secondopinion_desktop.ui.main_window import MainWindow

DAY = dt.timedelta(days=1)


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


def fits(dialog) -> None:
    """The whole dialog is on the screen, and so are its buttons."""
    available = dialog.screen().availableGeometry()
    assert available.contains(dialog.frameGeometry()), (dialog.objectName(), dialog.frameGeometry(), available)
    boxes = dialog.findChildren(QDialogButtonBox)
    assert boxes
    for box in boxes:
        for b in box.buttons():
            corner = b.mapTo(dialog, QPoint(b.width(), b.height()))
            assert dialog.rect().contains(corner - QPoint(1, 1)), (dialog.objectName(), b.text())
    scroll = dialog.findChild(QScrollArea, "formScroll")
    if scroll is not None:  # a form: nothing cut off at the right, beside the scroll bar
        assert scroll.widget().width() <= scroll.viewport().width(), dialog.objectName()


def test_every_dialog_fits_the_screen(qtbot, window, folder, data, screenshot) -> None:
    tab = window.requests_tab
    from secondopinion_desktop.core.directory import create_facility

    create_facility(folder, "Regional Medical Center " + "of the Very Long Name " * 12)  # 300 characters
    screenshot(window, "requests-tab")
    draft = svc.create_request(folder, "Samplewood Hospital",
                               record_ids=[data["biopsy"], data["slides"]])
    tab.reload(select=draft.id)
    screenshot(window, "requests-tab-draft")
    seen: list[str] = []

    def look(name: str):
        def handler(dialog) -> None:
            qtbot.waitExposed(dialog)
            fits(dialog)
            screenshot(dialog, f"dialog-{name}")
            seen.append(dialog.objectName())
            dialog.reject()
        return handler

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "newRequestButton")), look("new-request"))
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "editRequestButton")), look("edit-request"))
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "makeLetterButton")), look("letter"))
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markSentButton")), look("mark-sent"))
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "logCallButton")), look("log-call"))
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "shipmentsButton")), look("shipments"))
    svc.mark_sent(folder, draft.id)
    tab.reload(select=draft.id)
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "markReceivedButton")), look("mark-received"))
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "extensionButton")), look("extension"))
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "refusedButton")), look("refused"))

    def shipment(dialog) -> None:
        run_dialog(qtbot, lambda: click(qtbot, dialog.add_button), look("shipment"))
        dialog.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "shipmentsButton")), shipment)
    assert seen == ["requestDialog", "requestDialog", "letterDialog", "markSentDialog", "logCallDialog",
                    "shipmentsDialog", "markReceivedDialog", "extensionDialog", "refusedDialog", "shipmentDialog"]


def test_make_letter_warns_saves_the_pdf_and_keeps_it(qtbot, window, folder, data, tmp_path, monkeypatch) -> None:
    tab = window.requests_tab
    draft = svc.create_request(folder, "Samplewood Hospital", record_ids=[data["biopsy"], data["slides"]])
    tab.reload(select=draft.id)
    out = tmp_path / "letter.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    seen: dict[str, object] = {}

    def make(dialog) -> None:
        assert dialog.release_radio.isEnabled(), "the request asks for pathology"
        seen["warnings"] = dialog.warnings_label.text()
        dialog.paragraph_edit.setFocus()
        qtbot.keyClicks(dialog.paragraph_edit, "I see Dr. Example on Friday.")
        click(qtbot, dialog.save_button)
        qtbot.waitUntil(lambda: dialog.saved_to is not None, timeout=20_000)
        seen["status"] = dialog.status_label.text()
        dialog.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "makeLetterButton")), make)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Samplewood Hospital" in text and "Core biopsy report" in text and "164.524" in text
    assert "I see Dr. Example on Friday." in text
    assert str(out) in seen["status"] and "A copy is kept with the request" in seen["status"]
    q = svc.get_request(folder, draft.id)
    assert q.extra_paragraph == "I see Dr. Example on Friday."
    assert [letter.kind for letter in q.letters] == [LetterKind.REQUEST]
    assert tab.detail.letters.count() == 1
    # the kept copy is saved again from the detail pane, byte for byte
    again = tmp_path / "again.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(again), ""))
    click(qtbot, tab.detail.save_letter_button)
    assert again.read_bytes() == svc.letter_pdf(folder, q.letters[0].id)


def test_a_saved_letter_is_printed(qtbot, window, folder, data, tmp_path, monkeypatch) -> None:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    tab = window.requests_tab
    tab.select_request(data["overdue"])
    out = tmp_path / "letter.pdf"
    printed = tmp_path / "printed.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))

    def print_dialog_exec(dialog) -> int:  # the system's print dialog, answered as a person prints to a file
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(printed))
        return QPrintDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", print_dialog_exec)
    seen: dict[str, object] = {}

    def make(dialog) -> None:
        assert not dialog.print_button.isEnabled(), "nothing to print before it is saved"
        click(qtbot, dialog.save_button)
        qtbot.waitUntil(dialog.print_button.isEnabled, timeout=20_000)
        click(qtbot, dialog.print_button)
        qtbot.waitUntil(lambda: "to the printer" in dialog.status_label.text(), timeout=20_000)
        seen["status"] = dialog.status_label.text()
        dialog.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "makeLetterButton")), make)
    pages = len(PdfReader(out).pages)
    assert seen["status"] == f"Sent {pages} page{'s' if pages != 1 else ''} to the printer."
    assert len(PdfReader(printed).pages) == pages


def test_the_release_letter_is_offered_only_for_pathology(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    tab.select_request(data["soon"])  # lab results only
    seen: list[bool] = []
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "makeLetterButton")),
               lambda dialog: (seen.append(dialog.release_radio.isEnabled()), dialog.reject()))
    assert seen == [False]


def test_a_facility_without_an_address_gets_a_warning_in_the_letter_dialog(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    q = svc.create_request(folder, "Example Labs", record_ids=[data["cmp"]])
    tab.reload(select=q.id)
    seen: list[str] = []
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "makeLetterButton")),
               lambda dialog: (seen.append(dialog.warnings_label.text() if dialog.warnings_label.isVisibleTo(dialog)
                                           else ""), dialog.reject()))
    assert seen and "address" in seen[0].lower()


def test_shipments_are_added_and_a_negative_count_is_refused(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    q = svc.create_request(folder, "Samplewood Hospital", record_ids=[data["slides"]])
    tab.reload(select=q.id)
    seen: dict[str, object] = {}

    def add(table) -> None:
        def fill_in(dialog) -> None:
            dialog.material_combo.setCurrentIndex(dialog.material_combo.findData(MaterialKind.STAINED_SLIDES.value))
            qtbot.keyClicks(dialog.count_edit, "-2")
            click(qtbot, ok(dialog))
            seen["error"] = dialog.error_label.text()
            seen["focus"] = dialog.focusWidget() is dialog.count_edit
            seen["still open"] = dialog.isVisible()
            dialog.count_edit.selectAll()
            qtbot.keyClicks(dialog.count_edit, "12")
            qtbot.keyClicks(dialog.to_edit, "Dr. Reviewer, Example Cancer Center")
            qtbot.keyClicks(dialog.tracking_edit, "1Z999")
            dialog.dates["shipped_on"].edit.setText((TODAY - 2 * DAY).isoformat())
            click(qtbot, ok(dialog))

        run_dialog(qtbot, lambda: click(qtbot, table.add_button), fill_in)
        seen["rows"] = table.model.rowCount()
        seen["where"] = table.model.index(0, 4).data()
        table.reject()

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "shipmentsButton")), add)
    assert seen["still open"] and seen["focus"]
    assert seen["error"] == "The number of slides or blocks must be between 0 and 100,000."
    assert seen["rows"] == 1 and str(seen["where"]).startswith("In transit to Dr. Reviewer")
    made = shipments.list_shipments(folder, request_id=q.id)
    assert [(s.count, s.material, s.tracking_number) for s in made] == [(12, MaterialKind.STAINED_SLIDES, "1Z999")]
    assert "12 stained slides" in tab.detail.browser.toPlainText()


def test_extension_moves_the_due_date_and_refused_ends_it(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    tab.select_request(data["overdue"])
    before = svc.get_request(folder, data["overdue"])

    def extend(dialog) -> None:
        assert dialog.due_field.text() == (before.due_on + 30 * DAY).isoformat()
        dialog.due_field.edit.setText((before.due_on + 40 * DAY).isoformat())
        click(qtbot, ok(dialog))
        assert dialog.isVisible() and "at most 30 days" in dialog.error_label.text()
        dialog.due_field.edit.setText((before.due_on + 20 * DAY).isoformat())
        click(qtbot, ok(dialog))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "extensionButton")), extend)
    after = svc.get_request(folder, data["overdue"])
    assert after.status is RequestStatus.EXTENDED and after.extended_due_on == before.due_on + 20 * DAY
    assert not button(tab, "extensionButton").isEnabled(), "a facility may extend once"

    def refuse(dialog) -> None:
        qtbot.keyClicks(dialog.why_edit, "They need their own form")
        click(qtbot, ok(dialog))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "refusedButton")), refuse)
    assert svc.get_request(folder, data["overdue"]).status is RequestStatus.REFUSED
    assert tab.model.index_of(data["overdue"], 1).data() == "Refused"


def test_cancel_keeps_the_request_and_delete_removes_it(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    tab.select_request(data["soon"])

    def yes(box) -> None:
        assert isinstance(box, QMessageBox)
        click(qtbot, box.button(QMessageBox.StandardButton.Yes))

    run_dialog(qtbot, lambda: click(qtbot, button(tab, "cancelRequestButton")), yes)
    assert svc.get_request(folder, data["soon"]).status is RequestStatus.CANCELLED
    assert data["soon"] in tab.listed_ids()
    run_dialog(qtbot, lambda: click(qtbot, button(tab, "deleteRequestButton")), yes)
    assert data["soon"] not in tab.listed_ids()
    assert data["soon"] not in [q.id for q in svc.list_requests(folder)]
    assert tab.current is not None, "the next request is shown"


def test_the_detail_pane_names_the_records_department_and_the_log(qtbot, window, folder, data) -> None:
    tab = window.requests_tab
    q = svc.create_request(folder, "Samplewood Hospital", record_ids=[data["biopsy"]])
    svc.mark_sent(folder, q.id, via="mail", on=TODAY - 3 * DAY)
    svc.log_event(folder, q.id, "fee_quoted", who="Records desk", note="$6.50 flat fee for the electronic copy")
    tab.reload(select=q.id)
    text = tab.detail.browser.toPlainText()
    for words in ("(201) 555-0100", "(201) 555-0101", "1 Records Way", "Core biopsy report", "requested",
                  "Pathology reports (surgical and biopsy)", "Electronic copy (PDF)", "Mail to me",
                  "by mail", "Fee quoted", "Records desk", "$6.50 flat fee"):
        assert words in text, words
    assert f"Sent — Due {day_month_year(TODAY + 27 * DAY)}" in text


def test_the_request_tab_keys_open_the_log_a_call(qtbot, window, data) -> None:
    tab = window.requests_tab
    tab.select_request(data["soon"])
    seen: list[str] = []
    errors = on_next_dialog(lambda dialog: (seen.append(dialog.objectName()), dialog.reject()))
    # Ctrl+Shift+C (Ctrl+L locks the window of an encrypted folder)
    qtbot.keyClick(tab.tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(seen) or bool(errors), timeout=5000)
    assert errors == [] and seen == ["logCallDialog"]
