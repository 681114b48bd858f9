"""Build packet… runs its work as operations: closing while it builds waits for nothing, and a copy that cannot
be written says so in one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.dialogs import on_next_dialog
from PySide6.QtCore import QThreadPool

from secondopinion_desktop.ui.packet.dialog import PacketDialog


@pytest.fixture
def dialog(qtbot, demo_folder):
    d = PacketDialog(demo_folder)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def test_closing_while_building_waits_for_nothing_and_the_private_copy_goes_when_it_stops(
    qtbot, dialog, monkeypatch
) -> None:
    waited: list[int] = []
    monkeypatch.setattr(QThreadPool, "waitForDone", lambda self, *a: waited.append(1) or True)
    op = dialog.build()
    tmpdir = dialog._tmpdir
    dialog.reject()
    assert waited == [], "closing the dialog never waits on the thread pool"
    qtbot.waitUntil(lambda: op.done, timeout=120_000)
    qtbot.waitUntil(lambda: not tmpdir.exists(), timeout=10_000)
    assert dialog.built_path is None or not dialog.built_path.exists()


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs a folder nobody may write (Linux /sys)")
def test_a_copy_that_cannot_be_written_says_so_in_one_sentence(qtbot, dialog) -> None:
    op = dialog.build()
    qtbot.waitUntil(lambda: op.done, timeout=120_000)
    target = Path("/sys/packet.pdf")  # nobody may create files there, not even root
    shown: list[tuple[str, str]] = []
    errors = on_next_dialog(lambda box: (shown.append((box.objectName(), box.text())), box.accept()))
    saving = dialog.save_as(target)
    assert saving is not None
    qtbot.waitUntil(lambda: saving.done and bool(shown), timeout=60_000)
    assert errors == []
    assert shown[0][0] == "operationFailed"
    assert shown[0][1] == f"Cannot save the packet to {target}: Permission denied."
    assert dialog.last_saved is None
    assert not target.exists()
