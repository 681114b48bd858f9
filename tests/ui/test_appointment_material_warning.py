"""The appointment's warning line: shown in colour and words when the consultant has not confirmed receiving the
slides, a records request is overdue or material is due back; hidden once all is in order, and for a past
appointment."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QLabel

from secondopinion_desktop.core import appointments, records, requests, shipments
from secondopinion_desktop.ui.appointments.details import WARNING_COLOUR, DetailsPane, warnings_html

LAB = "Samplewood <i>Pathology</i>"
TODAY = dt.date.today()


@pytest.fixture
def desk(folder):  # type: ignore[no-untyped-def]
    """Slides asked of a lab 40 days ago (overdue), in transit to the consultant, and a consult in five days."""
    slides = records.create_record(folder, "pathology", "Biopsy slides", facility=LAB, slides_count=9)
    q = requests.create_request(folder, LAB, record_ids=[slides.id])
    requests.mark_sent(folder, q.id, on=TODAY - dt.timedelta(days=40))
    s = shipments.create_shipment(folder, record_id=slides.id, request_id=q.id, count=9, from_lab=LAB,
                                  to_whom="Dr. Chen", shipped_on=TODAY - dt.timedelta(days=2))
    a = appointments.create_appointment(folder, dt.datetime.combine(TODAY + dt.timedelta(days=5), dt.time(9, 30)))
    return folder, q.id, s.id, a


@pytest.fixture
def pane(qtbot):  # type: ignore[no-untyped-def]
    shown = DetailsPane()
    qtbot.addWidget(shown)
    shown.resize(900, 220)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_the_warning_says_what_is_not_in_order(qtbot, pane, desk, screenshot) -> None:  # type: ignore[no-untyped-def]
    folder, _q, _s, a = desk
    pane.show_appointment(folder, a, any_appointments=True)
    assert pane.warning.isVisible()
    text = pane.warning.text()
    assert text.startswith("<b>Before this appointment:</b>")
    assert "the consultant has not confirmed receiving the pathology material yet" in text
    assert "Records request to Samplewood &lt;i&gt;Pathology&lt;/i&gt; was due on" in text  # escaped, literal
    assert WARNING_COLOUR in pane.warning.styleSheet()
    assert pane.warning.accessibleName() == "Warning before this appointment"
    assert "9 stained slides of Biopsy slides (in transit from Samplewood &lt;i&gt;Pathology&lt;/i&gt;" in text
    assert "No appointments yet" not in pane.label.text() and pane.label.text()
    screenshot(pane, "appointment-warning")


def test_the_warning_goes_once_the_consultant_has_the_slides(qtbot, pane, desk) -> None:  # type: ignore[no-untyped-def]
    folder, request_id, shipment_id, a = desk
    shipments.update_shipment(folder, shipment_id, received_on=TODAY)
    requests.mark_received(folder, request_id)
    pane.show_appointment(folder, a, any_appointments=True)
    assert not pane.warning.isVisible() and pane.warning.text() == ""


def test_material_due_back_is_a_warning(qtbot, pane, desk) -> None:  # type: ignore[no-untyped-def]
    folder, request_id, shipment_id, a = desk
    requests.mark_received(folder, request_id)
    shipments.update_shipment(folder, shipment_id, received_on=TODAY, due_back_on=TODAY + dt.timedelta(days=3))
    pane.show_appointment(folder, a, any_appointments=True)
    assert pane.warning.isVisible()
    assert "due back at Samplewood &lt;i&gt;Pathology&lt;/i&gt;" in pane.warning.text()
    assert "confirmed receiving" not in pane.warning.text()


def test_no_warning_for_a_past_appointment_or_without_one(qtbot, pane, desk) -> None:  # type: ignore[no-untyped-def]
    folder, _q, _s, _a = desk
    past = appointments.create_appointment(folder, dt.datetime.now() - dt.timedelta(days=2))
    pane.show_appointment(folder, past, any_appointments=True)
    assert not pane.warning.isVisible()
    pane.show_appointment(folder, None, any_appointments=False)
    assert not pane.warning.isVisible() and "No appointments yet" in pane.label.text()
    pane.show_appointment(None, None, any_appointments=False)
    assert not pane.warning.isVisible()


def test_a_deleted_appointment_shows_no_warning_and_no_error(qtbot, pane, desk) -> None:  # type: ignore[no-untyped-def]
    folder, _q, _s, a = desk
    appointments.delete_appointment(folder, a.id)
    pane.show_appointment(folder, a, any_appointments=True)
    assert not pane.warning.isVisible()


def test_warnings_html() -> None:
    assert warnings_html(()) == ""
    assert warnings_html(["A <b> & B."]) == "<b>Before this appointment:</b><br>\u2022 A &lt;b&gt; &amp; B."


def test_the_appointments_tab_shows_the_warning(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.ui.appointments.tab import AppointmentsTab
    from secondopinion_desktop.ui.events import Changes, announce

    folder, request_id, shipment_id, a = desk
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 700)
    tab.set_folder(folder)
    tab.show()
    qtbot.waitExposed(tab)
    try:
        assert tab.current_appointment_id() == a.id
        warning = tab.findChild(QLabel, "appointmentWarning")
        assert warning is not None and warning.isVisible()
        editor = tab.notes.editor
        editor.setFocus()
        qtbot.keyClicks(editor, "They will call about the slides")
        cursor_at = editor.textCursor().position()
        # the Requests tab marks what came: the warning follows
        shipments.update_shipment(folder, shipment_id, received_on=TODAY)
        announce(Changes.SHIPMENTS)
        assert warning.isVisible() and "confirmed receiving" not in warning.text()
        assert editor.toPlainText().endswith("They will call about the slides"), "the note being typed stays"
        assert editor.textCursor().position() == cursor_at, "and so does the cursor"
        requests.mark_received(folder, request_id)
        announce(Changes.REQUESTS)
        assert not warning.isVisible()
    finally:
        tab.shutdown()
