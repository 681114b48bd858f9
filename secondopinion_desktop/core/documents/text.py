"""The text of a PDF, page by page: its own text layer, or — for a page that is only a picture (a scan, a fax) —
the text recognised in the page rendered as a picture.

PDFium (pypdfium2, already used for previews) reads the text layer: in this project's benchmark
(tests/benchmarks/text_extraction.py) it is several times faster than pypdf on the same file and reads
pages pypdf's pure-Python parser gets wrong, and it also renders the pages that need recognising, so one
library opens the file once. Every PDFium call goes through ``core.pdfium``'s process-wide lock.

Pages are read one at a time and closed before the next (a 5,000-page PDF never holds more than one page), so a
caller can stream them. A PDF protected by a password is tried with the empty password (many portal downloads
are encrypted only against editing) and otherwise refused with one sentence; so is a damaged one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from secondopinion_desktop.core import pdfium
from secondopinion_desktop.core.documents.model import BY_OCR, BY_TEXT, NO_TEXT, PageText, Unreadable

log = logging.getLogger(__name__)

PROTECTED = "It is protected by a password, so its text cannot be read."
DAMAGED = "It is damaged, so its text cannot be read."
MIN_TEXT_CHARS = 20  # a page with fewer letters in its text layer, and something drawn on it, is recognised
RENDER_DPI = 300  # at most; a page is rendered no longer than ocr.OCR_MAX_SIDE pixels
_PDFIUM_ERR_PASSWORD = 4
_TEXT_OBJECT = 1


def _open(path: Path) -> Any:
    import pypdfium2

    try:
        return pdfium.open_pdf(path)
    except pypdfium2.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PDFIUM_ERR_PASSWORD:
            try:
                return pdfium.open_pdf(path, password="")
            except pypdfium2.PdfiumError:
                raise Unreadable(PROTECTED) from exc
        raise Unreadable(DAMAGED) from exc
    except (OSError, ValueError) as exc:
        raise Unreadable(DAMAGED) from exc


def _letters(text: str, enough: int | None = None) -> int:
    """How many letters and digits ``text`` has (counting stops at ``enough``)."""
    count = 0
    for ch in text:
        if ch.isalnum():
            count += 1
            if enough is not None and count >= enough:
                break
    return count


class PdfFile:
    """A PDF opened for reading its text page by page; a context manager. ``count`` is its number of pages."""

    def __init__(self, path: Path) -> None:
        self._document = _open(path)
        try:
            self.count = pdfium.page_count(self._document)
        except Exception as exc:
            self.close()
            raise Unreadable(DAMAGED) from exc

    def __enter__(self) -> PdfFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        document, self._document = self._document, None
        pdfium.close_pdf(document)

    def layer_text(self, number: int) -> tuple[str, bool]:
        """Page ``number``'s text layer, and whether anything else is drawn on the page (a picture, shapes)."""
        with pdfium.pdfium_calls():
            page = self._document[number - 1]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_bounded()
                finally:
                    textpage.close()
                drawn = False
                if _letters(text, MIN_TEXT_CHARS) < MIN_TEXT_CHARS:
                    drawn = any(obj.type != _TEXT_OBJECT for obj in page.get_objects(max_depth=3))
            finally:
                page.close()
        return text, drawn

    def picture(self, number: int) -> Any:
        """Page ``number`` rendered for recognising (at most RENDER_DPI, at most OCR_MAX_SIDE pixels long)."""
        from secondopinion_desktop.core.documents.ocr import OCR_MAX_SIDE

        with pdfium.pdfium_calls():
            width, height = self._document.get_page_size(number - 1)
        longest = max(1.0, float(width), float(height))
        scale = min(RENDER_DPI / 72, OCR_MAX_SIDE / longest)
        return pdfium.render_page(self._document, number - 1, max(1, round(float(width) * scale)))

    def page(self, number: int, *, ocr: bool = True) -> PageText:
        from secondopinion_desktop.core.documents import ocr as recognition

        try:
            text, drawn = self.layer_text(number)
        except Exception as exc:  # one damaged page: the others are still read
            log.info("a PDF page could not be read (%s)", type(exc).__name__)
            return PageText(number, "", NO_TEXT, "This page is damaged.")
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not drawn:
            return PageText(number, text, BY_TEXT) if text else PageText(number, "", NO_TEXT, "This page is blank.")
        if not ocr:
            return (PageText(number, text, BY_TEXT) if text else
                    PageText(number, "", NO_TEXT, "This page is a picture; text in pictures is not recognised "
                             "in this setting."))
        try:
            picture = self.picture(number)
        except Exception as exc:
            log.info("a PDF page could not be rendered (%s)", type(exc).__name__)
            return PageText(number, text, BY_TEXT) if text else PageText(number, "", NO_TEXT, "This page is damaged.")
        seen = recognition.recognise(picture)
        if _letters(seen) > _letters(text):
            return PageText(number, seen, BY_OCR)
        if text:
            return PageText(number, text, BY_TEXT)
        return PageText(number, "", NO_TEXT, "No text was found on this page.")

    def pages(self, first: int = 1, *, ocr: bool = True) -> Iterator[PageText]:
        for number in range(first, self.count + 1):
            yield self.page(number, ocr=ocr)


__all__ = ["DAMAGED", "PROTECTED", "PdfFile"]
