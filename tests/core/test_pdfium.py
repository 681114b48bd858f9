"""PDFium is called one call at a time, whatever the thread (pypdfium2: not even two documents at once)."""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest

from secondopinion_desktop.core import pdfium


def make_pdf(path: Path, pages: int = 3) -> Path:
    document = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        document.new_page(200, 300)
    document.save(str(path))
    document.close()
    return path


@pytest.fixture
def overlaps(monkeypatch):
    """Every raw PDFium function wrapped: counts the threads inside PDFium at once (the largest number seen)."""
    state = {"inside": 0, "most": 0, "calls": 0}
    guard = threading.Lock()

    def wrap(function):
        def call(*args, **kwargs):
            with guard:
                state["inside"] += 1
                state["calls"] += 1
                state["most"] = max(state["most"], state["inside"])
            try:
                os.sched_yield()  # lets another thread run inside every call: overlapping calls would meet here
                return function(*args, **kwargs)
            finally:
                with guard:
                    state["inside"] -= 1
        return call

    for name in dir(pdfium_raw):
        if name.startswith("FPDF") and isinstance(getattr(pdfium_raw, name), ctypes._CFuncPtr):
            monkeypatch.setattr(pdfium_raw, name, wrap(getattr(pdfium_raw, name)))
    return state


def test_two_threads_rendering_at_once_never_call_pdfium_together(tmp_path, overlaps) -> None:
    paths = [make_pdf(tmp_path / "one.pdf"), make_pdf(tmp_path / "two.pdf")]
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    widths: list[int] = []

    def render_all(path: Path) -> None:
        try:
            start.wait(5)
            for _ in range(4):
                with pdfium.opened(path) as document:
                    sizes = pdfium.page_sizes(document)
                    for i in range(pdfium.page_count(document)):
                        widths.append(pdfium.render_page(document, i, 100).width)
                    assert len(sizes) == 3
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=render_all, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert widths == [100] * 24
    assert overlaps["calls"] > 50  # the wrapping saw the calls
    assert overlaps["most"] == 1


def test_the_lock_is_reentrant_and_released(tmp_path) -> None:
    path = make_pdf(tmp_path / "a.pdf", pages=1)
    with pdfium.pdfium_calls(), pdfium.opened(path) as document:
        assert pdfium.page_count(document) == 1
    other = threading.Thread(target=lambda: pdfium.PDFIUM_LOCK.acquire(timeout=5) and pdfium.PDFIUM_LOCK.release())
    other.start()
    other.join(10)
    assert pdfium.PDFIUM_LOCK.acquire(blocking=False)
    pdfium.PDFIUM_LOCK.release()


def test_a_damaged_file_raises_and_leaves_the_lock_free(tmp_path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(pypdfium2.PdfiumError):
        pdfium.open_pdf(bad)
    done = threading.Event()
    threading.Thread(
        target=lambda: (pdfium.PDFIUM_LOCK.acquire(timeout=5), done.set(), pdfium.PDFIUM_LOCK.release())
    ).start()
    assert done.wait(5)
