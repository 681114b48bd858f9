"""A packet built from the window under a German desktop reads exactly as one built by the command line: month and
day names are fixed English (the window's LC_TIME follows the desktop, the command line's need not)."""

from __future__ import annotations

import locale
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.ui.packet.dialog import PacketDialog

GERMAN = ("de_DE.UTF-8", "de_DE.utf8", "de_DE")


@pytest.fixture
def german_time() -> Iterator[str]:
    """LC_TIME switched to German, as Qt does at start-up under a German desktop; put back afterwards."""
    before = locale.setlocale(locale.LC_TIME)
    for name in GERMAN:
        try:
            locale.setlocale(locale.LC_TIME, name)
        except locale.Error:
            continue
        try:
            yield name
        finally:
            locale.setlocale(locale.LC_TIME, before)
        return
    pytest.skip("no German locale is installed here (locale -a)")


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_a_packet_built_under_a_german_desktop_reads_as_the_command_lines(qtbot, demo_folder, tmp_path: Path,
                                                                          german_time: str) -> None:
    import datetime as dt

    assert f"{dt.date(2026, 3, 4):%b}" == "Mär", "the locale really is German"
    dialog = PacketDialog(demo_folder)
    qtbot.addWidget(dialog)
    dialog.show()
    op = dialog.build()
    qtbot.waitUntil(lambda: op.done, timeout=120_000)
    assert dialog.built_path is not None
    window_text = text_of(dialog.built_path)

    out = tmp_path / "cli.pdf"
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    done = subprocess.run([sys.executable, "-m", "secondopinion_desktop", "packet", "--out", str(out),
                           "--data-dir", str(demo_folder.path)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    cli_text = text_of(out)

    german = [m for m in ("Mär ", "Mai ", "Okt ", "Dez ", "Mo, ", "Di, ", "Mi, ", "Do, ", "Fr, ") if m in window_text]
    assert german == []
    assert any(m in window_text for m in ("Mar ", "May ", "Oct ", "Dec ")), "dates whose month differs in German"
    assert window_text == cli_text
    dialog.reject()
