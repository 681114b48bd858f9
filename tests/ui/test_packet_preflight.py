"""Build packet…: the pre-flight check's findings shown before the build, each with its button; "Build the packet
anyway" builds; the imaging-previews checkbox puts the pictures back in the appendix; the dialog fits a laptop
screen with the findings showing."""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from secondopinion_desktop.ui.packet.dialog import BUILD_ANYWAY_TEXT, BUILD_TEXT, PacketDialog


@pytest.fixture
def dialog(qtbot, demo_folder):
    d = PacketDialog(demo_folder)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    qtbot.waitUntil(lambda: d.findings is not None, timeout=60_000)  # the check is read in the background
    yield d
    d.done(0)


def appendix_titles(path) -> list[str]:  # type: ignore[no-untyped-def]
    reader = PdfReader(str(path))
    titles, inside = [], False
    for item in reader.outline:
        if isinstance(item, list):
            if inside:
                titles += [x.title for x in item if not isinstance(x, list)]
            continue
        inside = item.title == "Appendix: attached documents"
    return titles


def click_build(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is not None and dialog.job.done, timeout=120_000)


def test_the_findings_show_before_the_build_and_build_anyway_builds(qtbot, dialog, screenshot) -> None:
    from secondopinion_desktop.core.preflight import preflight

    expected = preflight(dialog.folder)
    assert expected, "the sample case has something to check"
    assert dialog.showing_check() and dialog.check_page.isVisible()
    assert [f.message for f in dialog.findings_list.findings] == [f.message for f in expected] or \
        sorted(f.message for f in dialog.findings_list.findings) == sorted(f.message for f in expected)
    shown = [b for b in dialog.findings_list.buttons if b.isVisibleTo(dialog)]
    assert shown, "each finding has its action button"
    assert f"{len(expected)} things to look at" in dialog.check_intro.text()
    assert dialog.build_button.text() == BUILD_ANYWAY_TEXT
    assert dialog.build_button.text().replace("&", "") == "Build the packet anyway"
    screenshot(dialog, "packet-dialog-check")

    click_build(qtbot, dialog)
    assert dialog.built_path is not None and dialog.result.pages > 5
    assert not dialog.showing_check(), "the preview replaces the check once built"
    toggle = dialog.check_toggle
    assert toggle.isVisible() and toggle.text() == f"What to check ({len(expected)})"
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert dialog.showing_check() and toggle.text() == "Show the preview"
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert not dialog.showing_check()


def test_a_finding_button_that_goes_elsewhere_closes_the_dialog(qtbot, dialog) -> None:
    from secondopinion_desktop.core.readiness import Action
    from secondopinion_desktop.ui.events import requests

    rows = [(f, b) for f, b in zip(dialog.findings_list.findings, dialog.findings_list.buttons, strict=True)
            if f.action in (Action.OPEN, Action.FOLLOW_UP) and f.record_id is not None]
    assert rows
    finding, button = rows[0]
    with qtbot.waitSignal(requests().showRecord, timeout=5000) as shown:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert shown.args == [finding.record_id]
    assert not dialog.isVisible()


def test_nothing_to_check_says_so_and_builds_as_usual(qtbot, folder) -> None:
    d = PacketDialog(folder)
    qtbot.addWidget(d)
    d.show()
    try:
        qtbot.waitUntil(lambda: d.findings is not None, timeout=60_000)
        if d.findings:  # an empty folder has its reminders (no profile…): the wording follows the count
            assert d.build_button.text() == BUILD_ANYWAY_TEXT
        d.show_findings([])
        assert d.build_button.text() == BUILD_TEXT
        assert "nothing to fix" in d.check_intro.text()
    finally:
        d.done(0)


def test_the_imaging_previews_checkbox_puts_them_back(qtbot, dialog, demo_folder) -> None:
    from secondopinion_desktop.core.records import list_records

    pictures = [f"{r.title} \u2014 {a.original_name}" for r in list_records(demo_folder)
                if r.kind.value == "imaging" for a in r.attachments if a.media_type.startswith("image/")]
    assert pictures
    assert not dialog.thumbnails.isChecked()
    click_build(qtbot, dialog)
    assert not set(pictures) & set(appendix_titles(dialog.built_path))
    without = dialog.result.pages

    qtbot.mouseClick(dialog.thumbnails, Qt.MouseButton.LeftButton)
    assert dialog.thumbnails.isChecked()
    click_build(qtbot, dialog)
    assert set(pictures) <= set(appendix_titles(dialog.built_path))
    assert dialog.result.pages >= without + len(pictures)  # a page each (the contents and index grow too)

    qtbot.mouseClick(dialog.appendix, Qt.MouseButton.LeftButton)  # no appendix: the previews cannot go in
    assert not dialog.thumbnails.isEnabled()


def test_the_dialog_fits_the_screen_with_the_findings(qtbot, dialog, screenshot) -> None:
    from conftest import TEXT_SCALE

    from tests.ui.test_fits_screen import assert_fits

    qtbot.wait(20)
    screenshot(dialog, f"packet-check-fit-{TEXT_SCALE:g}x")
    assert_fits(dialog, "packet dialog with the check")
    intro = dialog.check_intro
    assert intro.isVisible() and intro.height() >= intro.fontMetrics().height()
    assert dialog.findings_list.height() >= 4 * dialog.fontMetrics().height(), "several findings show at once"
