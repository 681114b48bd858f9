"""Closing Build packet… while it builds or prints: the work is cancelled, nothing waits, and the private copy
of the packet goes only once every operation using it has stopped — even when the dialog is deleted meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter

import secondopinion_desktop.core.packet as packet
from secondopinion_desktop.core.progress import check
from secondopinion_desktop.ui.packet import dialog as dialog_module
from secondopinion_desktop.ui.packet.dialog import PacketDialog


@pytest.fixture
def slow_build(monkeypatch):
    """The core build writes a partial packet.pdf, then waits until the test lets it go on (at most a few s)."""
    started, release = threading.Event(), threading.Event()
    real = packet.build_packet

    def build_packet(folder, out, options, progress=None, cancelled=None):
        Path(out).write_bytes(b"%PDF-1.4 partial packet")
        started.set()
        release.wait(timeout=10)
        check(cancelled)
        return real(folder, out, options, progress=progress, cancelled=cancelled)

    monkeypatch.setattr(packet, "build_packet", build_packet)
    yield started, release
    release.set()


def open_dialog(qtbot, folder) -> PacketDialog:
    d = PacketDialog(folder)
    d.show()
    qtbot.waitExposed(d)
    return d


def test_closing_with_escape_while_building_then_deleting_the_dialog_removes_the_private_copy(
    qtbot, demo_folder, slow_build
) -> None:
    started, release = slow_build
    d = open_dialog(qtbot, demo_folder)
    qtbot.mouseClick(d.build_button, Qt.MouseButton.LeftButton)
    op = d.job
    assert op is not None and started.wait(5)
    tmpdir = d._tmpdir
    assert (tmpdir / "packet.pdf").exists()
    d.activateWindow()
    d.records.setFocus()
    qtbot.keyClick(d.records, Qt.Key.Key_Escape)
    assert not d.isVisible()
    d.deleteLater()  # as the main window does once the dialog is closed
    qtbot.waitUntil(lambda: not shiboken6.isValid(d), timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    qtbot.waitUntil(lambda: not tmpdir.exists(), timeout=5000)


def test_closing_while_printing_keeps_the_packet_until_printing_stops(qtbot, demo_folder, monkeypatch) -> None:
    d = open_dialog(qtbot, demo_folder)
    qtbot.mouseClick(d.build_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.job.done, timeout=120_000)
    assert d.built_path is not None
    tmpdir = d._tmpdir

    printing, release = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def print_pdf(path, printer, progress=None):  # the real printing's boundary: pages read from the packet
        printing.set()
        release.wait(timeout=10)
        seen["cancelled"] = progress is not None and not progress(1, 3)
        seen["readable"] = Path(path).read_bytes()[:5] == b"%PDF-"
        return 3

    def fake_exec(self):  # the print dialog replaced at its boundary: the user chose a printer
        self.printer().setOutputFileName("")
        return QPrintDialog.DialogCode.Accepted

    monkeypatch.setattr(dialog_module, "print_pdf", print_pdf)
    monkeypatch.setattr(QPrintDialog, "exec", fake_exec)
    monkeypatch.setattr(QPrinter, "outputFormat", lambda self: QPrinter.OutputFormat.NativeFormat)
    try:
        qtbot.mouseClick(d.print_button, Qt.MouseButton.LeftButton)
        op = d.print_op
        assert op is not None and printing.wait(5)
        qtbot.mouseClick(d.close_button, Qt.MouseButton.LeftButton)
        assert not d.isVisible()
        assert op.job.control.cancelled(), "closing cancels the printing"
        assert tmpdir.exists(), "the printer still reads the packet"
        d.deleteLater()
        qtbot.waitUntil(lambda: not shiboken6.isValid(d), timeout=5000)
    finally:
        release.set()
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    assert seen == {"cancelled": True, "readable": True}
    qtbot.waitUntil(lambda: not tmpdir.exists(), timeout=5000)
