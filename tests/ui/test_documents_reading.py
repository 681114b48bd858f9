"""Reading attached documents in the background: the status-bar indicator, its Cancel button, Read waiting
documents, reading again when files are attached, and closing the window while a file is being read."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.documents.model import BY_TEXT, PageText, ReadResult, Unreadable
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.ui import reading
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.main_window import MainWindow


class GatedReader:
    """Reads the text a test wrote into the file (pages split on form feeds), but only once ``gate`` is open;
    while it waits it watches ``cancelled`` as the real reader does. Remembers that it was closed."""

    made: list[GatedReader] = []

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.closed = False
        self.started = threading.Event()
        self.reads = 0
        GatedReader.made.append(self)

    def read(self, path: Path, media_type: str, *, cancelled=None) -> ReadResult:
        self.started.set()
        while not self.gate.wait(0.01):
            if cancelled is not None and cancelled():
                raise Cancelled("Reading was stopped.")
        body = path.read_bytes().decode()
        if body.startswith("BROKEN"):
            raise Unreadable("It is damaged, so its text cannot be read.")
        self.reads += 1
        pages = tuple(PageText(i, t, BY_TEXT) for i, t in enumerate(body.split("\f"), start=1))
        return ReadResult(pages, len(pages))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def gate(monkeypatch):
    """An open gate by default; a test closes it to hold the reader on its first file."""
    opened = threading.Event()
    opened.set()
    GatedReader.made = []
    monkeypatch.setattr(reading, "reader_factory", lambda: GatedReader(opened))
    monkeypatch.setattr(reading, "START_DELAY_MS", 0)
    yield opened
    opened.set()


def add_files(folder, tmp_path: Path, bodies: dict[str, str]) -> list[int]:
    ids = []
    for n, (name, body) in enumerate(bodies.items()):
        path = tmp_path / f"in{n}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        ids.append(svc.create_record_with_files(folder, "pathology", f"Report {n}", [path]).id)
    return ids


def open_window(qtbot, folder) -> MainWindow:
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.records_tab)
    return window


THREE = {"a.pdf": "Invasive ductal carcinoma\fHER2 negative", "b.pdf": "Ki-67 22 %", "c.pdf": "Estrogen receptor"}


def test_waiting_documents_are_read_in_the_background_and_the_indicator_counts_them(
        qtbot, folder, tmp_path, gate, screenshot) -> None:
    add_files(folder, tmp_path, THREE)
    gate.clear()
    window = open_window(qtbot, folder)
    indicator = window.reading.indicator
    qtbot.waitUntil(lambda: indicator.isVisible() and indicator.label.text() == "Reading 3 documents…")
    assert indicator.bar.isVisible() and indicator.cancel_button.isVisible()
    assert indicator.parent() is not None and window.statusBar().isAncestorOf(indicator)
    assert window.isEnabled() and window.records_tab.search.isEnabled(), "the window is never blocked"
    screenshot(window, "documents-reading-indicator")
    tab = window.records_tab
    qtbot.keyClicks(tab.search, "her2")
    assert tab.model.rowCount() == 0, "not read yet: not found"
    gate.set()
    qtbot.waitUntil(lambda: not indicator.isVisible(), timeout=10_000)
    assert index.queue_counts(folder).read == 3
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)  # the text read is announced: search follows
    assert tab.model.index(0, 1).data() == "Report 0"
    assert all(r.closed for r in GatedReader.made), "every pass closes its reader"


def test_cancel_stops_the_pass_the_files_stay_waiting_and_read_waiting_documents_reads_them(
        qtbot, folder, tmp_path, gate) -> None:
    add_files(folder, tmp_path, THREE)
    gate.clear()
    window = open_window(qtbot, folder)
    indicator = window.reading.indicator
    qtbot.waitUntil(lambda: bool(GatedReader.made) and GatedReader.made[0].started.is_set())
    qtbot.waitUntil(indicator.cancel_button.isVisible)
    qtbot.mouseClick(indicator.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.reading.running)
    assert index.queue_counts(folder).pending == 3, "the file being read stays waiting"
    assert GatedReader.made[0].closed
    assert indicator.isVisible() and indicator.label.text() == "3 documents waiting to be read"
    assert not indicator.bar.isVisible() and indicator.read_button.isVisible()
    window.reading.look()  # the poll finds them waiting, but the patient stopped reading
    assert not window.reading.running

    gate.set()
    # the indicator's context menu: Read waiting documents
    shown = []
    indicator.menu.aboutToShow.connect(lambda: shown.append(True))
    indicator.customContextMenuRequested.emit(QPoint(4, 4))
    qtbot.waitUntil(lambda: bool(shown))
    assert [a.text() for a in indicator.menu.actions()] == ["Read waiting documents", "Stop reading"]
    assert indicator.read_action.isEnabled() and not indicator.stop_action.isEnabled()
    indicator.menu.hide()
    indicator.read_action.trigger()
    qtbot.waitUntil(lambda: not indicator.isVisible(), timeout=10_000)
    assert index.queue_counts(folder) == index.QueueCounts(pending=0, read=3, failed=0)


def test_a_file_attached_while_the_window_is_open_is_read_and_a_broken_one_is_marked(
        qtbot, folder, tmp_path, gate) -> None:
    window = open_window(qtbot, folder)
    qtbot.waitUntil(lambda: not window.reading.running)
    assert not window.reading.indicator.isVisible(), "nothing waiting: no indicator"
    ids = add_files(folder, tmp_path, {"new.pdf": "Oncotype DX recurrence score 18", "bad.pdf": "BROKEN"})
    with qtbot.waitSignal(window.reading.passEnded, timeout=10_000):
        announce(Changes.RECORDS | Changes.ATTACHMENTS)  # as attaching in the window says
    assert index.queue_counts(folder) == index.QueueCounts(pending=0, read=1, failed=1)
    summary = window.reading.last_summary
    assert summary is not None and (summary.read, summary.failed) == (1, 1)
    tab = window.records_tab
    qtbot.waitUntil(lambda: tab.model.total == 2)
    qtbot.keyClicks(tab.search, "oncotype")
    assert [tab.model.record_id(r) for r in range(tab.model.rowCount())] == [ids[0]]


def test_a_folder_from_an_earlier_version_has_its_files_queued_and_read_once(qtbot, folder, tmp_path, gate) -> None:
    from sqlalchemy import text

    add_files(folder, tmp_path, THREE)
    with folder.session() as session:  # as before the app read documents: no text rows at all
        session.execute(text("DELETE FROM document_text"))
    assert index.queue_counts(folder).pending == 0
    window = open_window(qtbot, folder)
    qtbot.waitUntil(lambda: index.queue_counts(folder).read == 3, timeout=10_000)
    qtbot.waitUntil(lambda: not window.reading.running)
    assert sum(r.reads for r in GatedReader.made) == 3


def test_closing_the_window_while_a_file_is_read_stops_the_reader_promptly(qtbot, folder, tmp_path, gate) -> None:
    import time

    add_files(folder, tmp_path, THREE)
    gate.clear()
    window = open_window(qtbot, folder)
    qtbot.waitUntil(lambda: bool(GatedReader.made) and GatedReader.made[0].started.is_set())
    started = time.monotonic()
    window.quit_action.trigger()  # File → Quit
    assert not window.isVisible()
    assert time.monotonic() - started < 5
    assert window.reading.pool.activeThreadCount() == 0, "no reading thread outlives the window"
    assert GatedReader.made[0].closed
    assert index.queue_counts(folder).pending == 3, "what was not read waits for the next start"


def test_the_real_reader_reads_a_text_pdf_and_leaves_no_child_process(qtbot, folder, tmp_path, monkeypatch) -> None:
    from reportlab.pdfgen.canvas import Canvas

    monkeypatch.setattr(reading, "START_DELAY_MS", 0)
    assert reading.reader_factory is reading._process_reader, "the app reads with the real reader"
    pdf = tmp_path / "pathology.pdf"
    canvas = Canvas(str(pdf))
    canvas.drawString(72, 720, "Surgical pathology report")
    canvas.drawString(72, 700, "Mammaprint low risk, lymphovascular invasion absent")
    canvas.save()
    record = svc.create_record_with_files(folder, "pathology", "Lumpectomy", [pdf])
    window = open_window(qtbot, folder)
    qtbot.waitUntil(lambda: index.queue_counts(folder).read == 1, timeout=90_000)
    tab = window.records_tab
    qtbot.waitUntil(lambda: not window.reading.running, timeout=10_000)
    qtbot.keyClicks(tab.search, "mammaprint")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    assert tab.model.record_id(0) == record.id
    window.close()
    assert multiprocessing.active_children() == [], "the reader's child process is closed with the window"


def test_closing_while_the_real_reader_recognises_a_scan_stops_its_child_promptly(qtbot, folder, tmp_path,
                                                                                  monkeypatch) -> None:
    import time

    from PIL import Image, ImageDraw

    monkeypatch.setattr(reading, "START_DELAY_MS", 0)
    scan = tmp_path / "scan.png"
    image = Image.new("L", (2400, 3200), 255)
    draw = ImageDraw.Draw(image)
    for line in range(60):
        draw.text((120, 120 + line * 48), f"Line {line}: estrogen receptor positive, Ki-67 {line} %", fill=0)
    image.save(scan)
    svc.create_record_with_files(folder, "pathology", "Scanned report", [scan])
    window = open_window(qtbot, folder)
    qtbot.waitUntil(lambda: window.reading.running and bool(multiprocessing.active_children()), timeout=30_000)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 10, "the window closes promptly"
    assert multiprocessing.active_children() == [], "the reader's child process is closed"
    assert window.reading.pool.activeThreadCount() == 0
    assert index.queue_counts(folder).pending == 1, "the scan waits for the next start"
