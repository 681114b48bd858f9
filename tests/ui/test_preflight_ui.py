"""The pre-flight check in the window: FindingsList groups the findings under their kind and each button asks
the window for what it says; Help → Check my packet… opens the check, which fits a laptop screen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEXT_SCALE
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QLabel

from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.readiness import Action, Finding
from secondopinion_desktop.ui.events import requests as window_requests
from secondopinion_desktop.ui.preflight import BUTTON_TEXT, READY_TEXT, CheckPacketDialog, FindingsList

FINDINGS = [
    Finding("timing-x", "Records request to Samplewood Lab is due after your appointment.", Action.OPEN_REQUEST,
            request_id=4, category="timing"),
    Finding("identity-document", "CT chest (scan.pdf, page 2) names “Jordan Other”, not Alex Sample.",
            Action.OPEN, record_id=7),
    Finding("medication-list", "There is no list of your medications and allergies yet.", Action.OPEN_HEALTH,
            health_section="medications"),
    Finding("pathology-report", "There is no pathology report yet.", Action.ADD, kind=RecordKind.PATHOLOGY,
            suggested_title="Pathology report"),
    Finding("language", "Informe (informe.pdf) seems to be in Spanish; the consultant may need a translation.",
            Action.OPEN, record_id=9),
    Finding("recent-labs", "There is no blood work from the last 8 weeks yet.", Action.ADD, kind=RecordKind.LAB,
            suggested_title="Recent blood work"),
    Finding("profile", "The patient profile has no name yet.", Action.PROFILE),
]


@pytest.fixture
def shown(qtbot):  # type: ignore[no-untyped-def]
    widget = FindingsList()
    qtbot.addWidget(widget)
    widget.resize(620, 700)
    widget.set_findings(FINDINGS)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_findings_are_grouped_under_their_kind_in_order(shown, screenshot) -> None:  # type: ignore[no-untyped-def]
    assert shown.heading_texts() == ["Whose records", "What is missing", "How recent", "Language", "Timing"]
    assert [f.rule for f in shown.findings] == [
        "identity-document", "medication-list", "pathology-report", "profile", "recent-labs", "language", "timing-x"]
    assert [b.text() for b in shown.buttons] == [
        "Show record", "Open the health summary", "Add record…", "Fill in the profile…", "Add record…",
        "Show record", "Open request"]
    texts = [label.text() for label in shown.findChildren(QLabel) if label.objectName() == "findingText"]
    assert "CT chest (scan.pdf, page 2) names “Jordan Other”, not Alex Sample." in texts
    assert not shown.empty.isVisible()
    screenshot(shown, "preflight-findings-list")


@pytest.mark.parametrize(("rule", "signal", "args"), [
    ("medication-list", "showHealth", ["medications"]),
    ("identity-document", "showRecord", [7]),
    ("pathology-report", "newRecord", [RecordKind.PATHOLOGY, "Pathology report"]),
    ("profile", "editProfile", []),
    ("timing-x", "showRequest", [4]),
])
def test_a_button_asks_the_window(qtbot, shown, rule, signal, args) -> None:  # type: ignore[no-untyped-def]
    index = next(i for i, f in enumerate(shown.findings) if f.rule == rule)
    button = shown.buttons[index]
    with qtbot.waitSignal(getattr(window_requests(), signal), timeout=2000) as asked, \
            qtbot.waitSignal(shown.acted, timeout=2000) as acted:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == args
    assert acted.args == [shown.findings[index]]


def test_no_findings_says_the_packet_is_ready(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    shown.set_findings([])
    assert shown.empty.isVisible() and shown.empty.text() == READY_TEXT
    assert shown.buttons == [] and shown.heading_texts() == []


def test_the_same_button_words_as_still_missing() -> None:
    from secondopinion_desktop.ui.guidance import missing

    assert missing.BUTTON_TEXT is BUTTON_TEXT
    assert set(BUTTON_TEXT) == set(Action)


def assert_fits(dialog) -> None:  # type: ignore[no-untyped-def]
    """On the screen (title bar included), and its Close button inside it and not covered."""
    screen = dialog.screen().availableGeometry()
    assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
    button = dialog.close_button
    rect = QRect(button.mapTo(dialog, QPoint(0, 0)), button.size())
    assert QRect(QPoint(0, 0), dialog.size()).contains(rect)
    assert not button.visibleRegion().isEmpty()
    assert dialog.list.scroll.widget().width() <= dialog.list.scroll.viewport().width(), "no sideways scrolling"


def _help_action(window):  # type: ignore[no-untyped-def]
    return next(a for a in window.menuBar().actions() if a.text() == "&Help").menu()


def test_help_check_my_packet_opens_the_check(qtbot, demo_folder, screenshot) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.ui.main_window import MainWindow

    window = MainWindow(demo_folder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    action = next(a for a in _help_action(window).actions() if a.objectName() == "checkPacketAction")
    assert action.text() == "Check my &packet…" and action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: isinstance(window.check_packet_dialog, CheckPacketDialog)
                    and window.check_packet_dialog.loaded, timeout=30000)
    dialog = window.check_packet_dialog
    assert dialog.isVisible()
    assert dialog.list.findings, "the sample case has things to look at"
    assert len(dialog.list.buttons) == len(dialog.list.findings)
    screenshot(dialog, f"preflight-check-dialog-{TEXT_SCALE:g}x")
    assert_fits(dialog)
    # a button that goes elsewhere closes the check
    with qtbot.waitSignal(dialog.finished, timeout=2000):
        qtbot.mouseClick(dialog.list.buttons[0], Qt.MouseButton.LeftButton)
    window.close()


@pytest.mark.skipif(os.environ.get("SECONDOPINION_TEST_TEXT_SCALE") is not None, reason="this is the inner run")
def test_the_check_fits_with_large_text() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "help_check_my_packet"],
        env={**os.environ, "SECONDOPINION_TEST_TEXT_SCALE": "1.5"}, capture_output=True, text=True, timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
