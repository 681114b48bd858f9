"""Still missing and the requests desk: "Request from <facility>" starts a new request to that facility, "Open
request" shows an overdue request, both by mouse and keyboard, and the list follows a change to requests."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from secondopinion_desktop.core import records, requests
from secondopinion_desktop.core.readiness import Action
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.events import requests as window_requests
from secondopinion_desktop.ui.guidance.missing import MissingPanel, request_from_text

HOSPITAL = "Samplewood <b>Hospital</b> & Clinics"


@pytest.fixture
def desk(folder):  # type: ignore[no-untyped-def]
    """A pathology report still needed from the hospital, and a request to the lab sent 40 days ago."""
    records.create_record(folder, "pathology", "Pathology report: core biopsy", facility=HOSPITAL)
    letter = records.create_record(folder, "clinical", "Surgeon's letter", facility="Samplewood Lab")
    q = requests.create_request(folder, "Samplewood Lab", record_ids=[letter.id])
    requests.mark_sent(folder, q.id, on=dt.date.today() - dt.timedelta(days=40))
    return folder, q.id


@pytest.fixture
def panel(qtbot, desk):  # type: ignore[no-untyped-def]
    folder, _ = desk
    shown = MissingPanel()
    qtbot.addWidget(shown)
    shown.resize(460, 640)
    shown.set_folder(folder)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def index_of(panel: MissingPanel, rule: str) -> int:
    return next(i for i, f in enumerate(panel.findings) if f.rule == rule)


def test_request_from_the_facility_asks_for_a_new_request(qtbot, panel, screenshot) -> None:  # type: ignore[no-untyped-def]
    index = index_of(panel, "pathology-report")
    assert panel.findings[index].action is Action.MARK_REQUESTED
    ask = panel.request_buttons[index]
    assert ask.text() == "Request from Samplewood…"  # cut at a word; the accessible name
    assert request_from_text("A <b>&</b> B") == "Request from A <b>&&</b> B…"  # has it all; literal, & no mnemonic
    assert ask.accessibleName().startswith(f"Request from {HOSPITAL}:")
    assert ask.isVisible() and panel.buttons[index].isVisible()
    with qtbot.waitSignal(window_requests().newRequest, timeout=2000) as asked:
        qtbot.mouseClick(ask, Qt.MouseButton.LeftButton)
    assert asked.args == [HOSPITAL]
    screenshot(panel, "missing-request-from")


def test_request_from_is_reachable_from_the_keyboard(qtbot, panel) -> None:  # type: ignore[no-untyped-def]
    index = index_of(panel, "pathology-report")
    panel.buttons[index].setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.buttons[index])
    qtbot.keyClick(panel.buttons[index], Qt.Key.Key_Tab)
    ask = panel.request_buttons[index]
    assert QApplication.focusWidget() is ask
    with qtbot.waitSignal(window_requests().newRequest, timeout=2000) as asked:
        qtbot.keyClick(ask, Qt.Key.Key_Space)
    assert asked.args == [HOSPITAL]


def test_only_findings_with_a_facility_offer_request_from(panel) -> None:  # type: ignore[no-untyped-def]
    assert panel.request_buttons
    for index, finding in enumerate(panel.findings):
        assert (index in panel.request_buttons) == bool(finding.facility), finding.rule


def test_an_overdue_request_opens_the_request(qtbot, panel, desk) -> None:  # type: ignore[no-untyped-def]
    _folder, request_id = desk
    index = index_of(panel, "request-overdue")
    button = panel.buttons[index]
    assert button.text() == "Open request"
    assert index not in panel.request_buttons
    assert not [f for f in panel.findings if f.rule == "follow-up"], "the letter is reported once, by its request"
    with qtbot.waitSignal(window_requests().showRequest, timeout=2000) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [request_id]


def test_a_record_on_a_draft_request_opens_the_draft(qtbot, folder) -> None:  # type: ignore[no-untyped-def]
    report = records.create_record(folder, "pathology", "Pathology report: core biopsy", facility=HOSPITAL)
    draft = requests.create_request(folder, HOSPITAL, record_ids=[report.id])
    shown = MissingPanel()
    qtbot.addWidget(shown)
    shown.set_folder(folder)
    shown.show()
    qtbot.waitExposed(shown)
    index = index_of(shown, "pathology-report")
    assert index not in shown.request_buttons, "no second request to the same facility"
    button = shown.draft_buttons[index]
    assert button.text() == "Open draft request" and button.isVisible()
    with qtbot.waitSignal(window_requests().showRequest, timeout=2000) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [draft.id]


def test_a_finding_with_nowhere_to_go_shows_no_button(qtbot, folder) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core import appointments, shipments

    shipments.create_shipment(folder, material="blocks", from_lab="Lab", shipped_on=dt.date.today())
    appointments.create_appointment(folder, dt.datetime.now() + dt.timedelta(days=3))
    shown = MissingPanel()
    qtbot.addWidget(shown)
    shown.set_folder(folder)
    shown.show()
    index = index_of(shown, "appointment-material")  # the shipment belongs to no record or request
    assert not shown.buttons[index].isVisible()


def test_the_guidance_tab_reloads_still_missing_when_requests_change(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.test_guidance_changes import make_tabs

    folder, request_id = desk
    _tabs, guidance = make_tabs(qtbot, folder)
    guidance.side.setCurrentIndex(1)
    try:
        assert any(f.rule == "request-overdue" for f in guidance.missing.findings)
        requests.mark_received(folder, request_id)
        announce(Changes.REQUESTS)
        assert not any(f.rule == "request-overdue" for f in guidance.missing.findings)
    finally:
        guidance.shutdown()
