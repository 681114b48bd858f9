"""Previews are read and decoded off the GUI thread: the pane stays responsive while a large file is read, says
it is preparing the preview, and shows it when it arrives."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage

from secondopinion_desktop.core.records import attach_file, create_record, get_record
from secondopinion_desktop.ui.records import preview
from secondopinion_desktop.ui.records.detail import PREPARING_TEXT, RecordDetailPane


def shown_pane(qtbot) -> RecordDetailPane:
    pane = RecordDetailPane()
    qtbot.addWidget(pane)
    pane.resize(380, 900)
    pane.show()
    qtbot.waitExposed(pane)
    return pane


def test_a_preview_is_made_off_the_gui_thread_while_the_pane_says_so(qtbot, folder, tmp_path: Path,
                                                                     monkeypatch) -> None:
    image = QImage(QSize(1200, 600), QImage.Format.Format_RGB32)
    image.fill(QColor("#336699"))
    assert image.save(str(tmp_path / "scan.png"), "PNG")
    with folder.session() as s:
        record = create_record(s, "imaging", "Photos")
    attach_file(folder, record.id, tmp_path / "scan.png")
    with folder.session() as s:
        record = get_record(s, record.id)

    release = threading.Event()
    threads: list[bool] = []
    real = preview._decode_image

    def slow(*args):  # a large image: the reading takes a while
        threads.append(threading.current_thread() is threading.main_thread())
        assert release.wait(10), "the test never let the preview finish"
        return real(*args)

    monkeypatch.setattr(preview, "_decode_image", slow)
    pane = shown_pane(qtbot)
    pane.show_record(record, folder)  # returns at once: the GUI thread does not wait for the decoding
    assert pane.preview_pending
    assert pane.thumbnail_caption.text() == f"scan.png\n{PREPARING_TEXT}"
    assert not pane.thumbnail_label.isVisibleTo(pane)
    qtbot.waitUntil(lambda: threads == [False], timeout=5000)  # on a pool thread, not the GUI thread
    release.set()
    qtbot.waitUntil(lambda: not pane.preview_pending, timeout=5000)
    assert pane.thumbnail_label.isVisibleTo(pane) and not pane.thumbnail_label.pixmap().isNull()
    assert pane.thumbnail_caption.text() == "scan.png\nPNG image · 1200 × 600 pixels"

    pane.show_record(record, folder)  # shown again: from the cache, at once
    assert not pane.preview_pending and threads == [False]
    assert pane.thumbnail_caption.text() == "scan.png\nPNG image · 1200 × 600 pixels"
