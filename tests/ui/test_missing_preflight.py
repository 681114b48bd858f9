"""Still missing shows the pre-flight check's findings (one rule set) and handles its new actions."""

from __future__ import annotations

from PySide6.QtCore import Qt

from secondopinion_desktop.core import records
from secondopinion_desktop.core.preflight import preflight
from secondopinion_desktop.ui.events import requests as window_requests
from secondopinion_desktop.ui.guidance.missing import MissingPanel


def test_still_missing_lists_the_pre_flight_findings(qtbot, demo_folder) -> None:  # type: ignore[no-untyped-def]
    panel = MissingPanel()
    qtbot.addWidget(panel)
    panel.set_folder(demo_folder)
    assert [(f.rule, f.message) for f in panel.findings] == [(f.rule, f.message) for f in preflight(demo_folder)]
    assert {"imaging-dicom", "recent-imaging"} <= {f.rule for f in panel.findings}


def test_no_medication_list_opens_the_health_summary(qtbot, folder) -> None:  # type: ignore[no-untyped-def]
    records.create_record(folder, "pathology", "Pathology report: core biopsy")
    panel = MissingPanel()
    qtbot.addWidget(panel)
    panel.resize(460, 640)
    panel.set_folder(folder)
    panel.show()
    qtbot.waitExposed(panel)
    index = next(i for i, f in enumerate(panel.findings) if f.rule == "medication-list")
    button = panel.buttons[index]
    assert button.text() == "Open the health summary" and button.isVisible()
    with qtbot.waitSignal(window_requests().showHealth, timeout=2000) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == ["medications"]
