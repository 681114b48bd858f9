"""Printing a PDF: each page rendered with pdfium (through ``core.pdfium``, one call at a time whatever the
thread) and painted on a QPrinter. The packet and the request letters print with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter

from secondopinion_desktop.core import pdfium


def render_page(document: Any, index: int, width: int) -> QImage:
    """One page of a pypdfium2 document as a QImage ``width`` pixels wide."""
    image = pdfium.render_page(document, index, width)
    data = image.tobytes()
    return QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888).copy()


def print_pdf(path: Path, printer: Any, progress: Any = None) -> int:
    """Paint every page of ``path`` on ``printer`` (a QPrinter) at up to 300 dpi; returns the pages printed (fewer when
    ``progress`` says stop)."""
    document = pdfium.open_pdf(path)
    try:
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError("The printer could not be started.")
        try:
            count = pdfium.page_count(document)
            sizes = pdfium.page_sizes(document)
            printed = 0
            for i in range(count):
                if progress is not None and not progress(i, count):
                    break  # cancelled: what was painted so far is what the printer gets
                if i:
                    printer.newPage()
                target = painter.viewport()
                dpi = min(printer.resolution(), 300)
                w, h = sizes[i]
                image = render_page(document, i, int(w / 72 * dpi))
                scaled = image.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation)
                painter.fillRect(target, QColor("white"))
                painter.drawImage(0, 0, scaled)
                printed += 1
            return printed
        finally:
            painter.end()
    finally:
        pdfium.close_pdf(document)
