"""Every use of PDFium (pypdfium2) in the app goes through here, one call at a time.

pypdfium2's documentation ("Python API", section "Incompatibility with Threading") says: PDFium is inherently not
thread-safe; pdfium functions may not be called simultaneously across different threads, *not even with
different documents* — doing so would crash or corrupt the process. It may still be used from several threads
if only a single pdfium call can be made at a time (e.g. via a mutex); the same applies to pypdfium2's helpers.

So the app holds ONE process-wide re-entrant lock, ``PDFIUM_LOCK``, around every pypdfium2 call: opening a
document, reading its page count and sizes, rendering a page, closing pages and documents. The preview on the
GUI thread, printing on a pool thread and record thumbnails on the pool all take it, so their PDFium calls
never overlap (work that is not PDFium's — converting and scaling the image — runs outside it).

Callers use the helpers below (``open_pdf``, ``page_count``, ``page_sizes``, ``render_page``, ``close_pdf``,
``opened``), or ``with pdfium_calls():`` around any other pypdfium2 call. A document is closed explicitly
(never left to the garbage collector, which may run on any thread without the lock).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PDFIUM_LOCK = threading.RLock()


@contextmanager
def pdfium_calls() -> Iterator[None]:
    """Hold the PDFium lock for the calls made inside the block (re-entrant: helpers may be used within)."""
    with PDFIUM_LOCK:
        yield


def open_pdf(path: Path | str, password: str | None = None) -> Any:
    """The PDF at ``path`` as a ``pypdfium2.PdfDocument``; pypdfium2's errors (damaged file, wrong password)
    pass through. Close it with ``close_pdf``."""
    import pypdfium2

    with PDFIUM_LOCK:
        return pypdfium2.PdfDocument(str(path), password=password)


def close_pdf(document: Any) -> None:
    """Close a document opened with ``open_pdf`` (None is allowed)."""
    if document is None:
        return
    with PDFIUM_LOCK:
        document.close()


def page_count(document: Any) -> int:
    with PDFIUM_LOCK:
        return len(document)


def page_sizes(document: Any) -> list[tuple[float, float]]:
    """Every page's (width, height) in points."""
    with PDFIUM_LOCK:
        return [tuple(document.get_page_size(i)) for i in range(len(document))]  # type: ignore[misc]


def render_page(document: Any, index: int, width: int) -> Any:
    """Page ``index`` (0-based) of ``document`` rendered ``width`` pixels wide, as an RGB PIL image."""
    with PDFIUM_LOCK:
        page = document[index]
        try:
            page_width, _ = page.get_size()
            bitmap = page.render(scale=width / page_width)
            try:
                image = bitmap.to_pil().convert("RGB")  # a copy: nothing of PDFium's is kept
            finally:
                bitmap.close()
        finally:
            page.close()
    return image


@contextmanager
def opened(path: Path | str, password: str | None = None) -> Iterator[Any]:
    """``with opened(path) as document:`` — opened and closed under the lock (the block's own pypdfium2 calls
    go through the helpers or ``pdfium_calls``)."""
    document = open_pdf(path, password)
    try:
        yield document
    finally:
        close_pdf(document)


__all__ = [
    "PDFIUM_LOCK",
    "close_pdf",
    "open_pdf",
    "opened",
    "page_count",
    "page_sizes",
    "pdfium_calls",
    "render_page",
]
