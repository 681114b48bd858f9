"""Previews of attached files: a thumbnail of an image, a drawn page for a PDF (with its page count) or any
other file, and a line saying what the file is.

Previews are made only when cheap: images are decoded at thumbnail size with ``QImageReader.setScaledSize``
(files over 50 MB are skipped), PDFs get a document placeholder with their page count read by pypdf. The
reading and decoding (``decode``) runs off the GUI thread through ``ui.ops.run_op(writes=False)``; only turning
the result into pixmaps (``paint``) happens on the GUI thread. ``PreviewCache`` keeps them per SHA-256, so
selecting a file again is instant.
"""

from __future__ import annotations

import contextlib
import functools
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QIcon,
    QImage,
    QImageIOHandler,
    QImageReader,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QShowEvent,
)
from PySide6.QtWidgets import QWidget

from secondopinion_desktop.core.words import plural

if TYPE_CHECKING:  # the core (and SQLAlchemy) is imported only when a record is shown
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.records import AttachmentData

PDF_UNREADABLE = "PDF document · pages cannot be read"
THUMBNAIL_SIZE = 240
PREVIEW_MAX_BYTES = 50 * 1024 * 1024  # images larger than this are not decoded for a preview
PDF_COUNT_MAX_BYTES = 500 * 1024 * 1024  # pypdf reads the cross-reference table only, but not of any file
MAX_UNSCALED_PIXELS = 30_000_000  # beyond this, formats that cannot decode at a smaller size are skipped
CACHE_ENTRIES = 64
PDF_COLOUR = "#B3261E"

TYPE_WORDS = {
    "application/pdf": "PDF document",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/tiff": "TIFF image",
    "image/bmp": "BMP image",
    "image/x-ms-bmp": "BMP image",
    "image/webp": "WebP image",
    "image/heic": "HEIC photo",
    "image/svg+xml": "SVG drawing",
    "application/dicom": "DICOM image",
    "application/zip": "ZIP archive",
    "application/x-zip-compressed": "ZIP archive",
    "text/plain": "Text file",
    "text/csv": "CSV table",
    "text/html": "Web page",
    "application/rtf": "RTF document",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "message/rfc822": "E-mail message",
}
PREVIEWABLE_IMAGES = {
    "image/png", "image/jpeg", "image/gif", "image/tiff", "image/bmp", "image/x-ms-bmp", "image/webp",
}


def type_words(media_type: str, name: str = "") -> str:
    """The kind of file in words: ``PDF document``, ``PNG image``, ``DICOM image``…"""
    media_type = (media_type or "").lower()
    if media_type in TYPE_WORDS:
        return TYPE_WORDS[media_type]
    if name.lower().endswith(".pdf"):
        return "PDF document"
    if name.lower().endswith(".dcm"):
        return "DICOM image"
    if media_type.startswith("image/"):
        return f"{media_type[6:].upper()} image"
    suffix = Path(name).suffix.lstrip(".")
    return f"{suffix.upper()} file" if suffix and len(suffix) <= 8 else "File"


# --- reading (any thread) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoded:
    """What ``decode`` found: a decoded thumbnail image, or a page to draw (label, colour), and the words."""

    image: QImage | None
    page: tuple[str, str] | None
    detail: str  # shown after the file name, e.g. "PDF document · 3 pages"


def pdf_page_count(path: Path) -> int | None:
    """Pages of the PDF at ``path``, or None when it cannot be read (see ``pdf_problem`` for why).

    pypdf reads most files from their cross-reference table; PDFium (pypdfium2) takes over for those pypdf gives
    up on: AES-encrypted files that open without a password, damaged tables it repairs. Never raises."""
    try:
        import warnings

        import pypdf

        with warnings.catch_warnings(), open(path, "rb") as fh:
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(fh, strict=False)
            if not reader.is_encrypted or reader.decrypt(""):
                with contextlib.suppress(Exception):  # the page tree's own count: no need to visit every page
                    count = reader.trailer["/Root"]["/Pages"]["/Count"]
                    if isinstance(count, int) and count > 0:
                        return int(count)
                count = len(reader.pages)
                if count > 0:
                    return count
    except Exception:  # noqa: BLE001 - pypdf raises all kinds of errors on damaged files; none may reach the user
        pass
    try:
        from secondopinion_desktop.core import pdfium  # one PDFium call at a time, across every thread

        with pdfium.opened(path) as document:
            count = pdfium.page_count(document)
        return count if count > 0 else None
    except Exception:  # noqa: BLE001 - as above
        return None


def pdf_problem(path: Path) -> str:
    """Why a PDF's pages cannot be read, in a few words."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            tail = fh.read()
    except OSError:
        return "the file cannot be opened"
    if b"%PDF-" not in head:
        return "not really a PDF"
    if b"/Encrypt" in tail or b"/Encrypt" in head:
        return "password-protected"
    return "damaged or incomplete"


def looks_like_pdf(path: Path) -> bool:
    """Whether the file starts as a PDF does (readers accept a few bytes of junk before ``%PDF-``)."""
    try:
        with open(path, "rb") as fh:
            return b"%PDF-" in fh.read(1024)
    except OSError:
        return False


def _decode_image(path: Path, size: int, kind: str, dpr: float) -> Decoded:
    if size > PREVIEW_MAX_BYTES:
        return Decoded(None, None, f"{kind} · too large to preview")
    reader = QImageReader(str(path))
    reader.setDecideFormatFromContent(True)  # vault files have no extension
    reader.setAutoTransform(True)
    full = reader.size()
    box = round(THUMBNAIL_SIZE * dpr)
    if full.isValid() and not full.isEmpty():
        if full.width() * full.height() > MAX_UNSCALED_PIXELS and not reader.supportsOption(
            QImageIOHandler.ImageOption.ScaledSize
        ):
            return Decoded(None, None, f"{kind} · {full.width()} × {full.height()} pixels, too large to preview")
        if full.width() > box or full.height() > box:
            reader.setScaledSize(full.scaled(box, box, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return Decoded(None, None, f"{kind} · cannot be previewed")
    if image.width() > box or image.height() > box:  # the size was unknown before reading
        image = image.scaled(
            box, box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    detail = f"{kind} · {full.width()} × {full.height()} pixels" if full.isValid() else kind
    return Decoded(image, None, detail)


def is_pdf(attachment: AttachmentData, path: Path | None) -> bool:
    """A PDF by its stored type, its name, or (for files stored under another type) its first bytes."""
    media_type = attachment.media_type.lower()
    if media_type == "application/pdf" or attachment.original_name.lower().endswith(".pdf"):
        return True
    return media_type in ("", "application/octet-stream") and path is not None and looks_like_pdf(path)


def decode(attachment: AttachmentData, path: Path, dpr: float = 1.0) -> Decoded:
    """Read what the preview of an attachment whose file is at ``path`` shows. Touches no widget or pixmap,
    so it may run on any thread."""
    media_type = attachment.media_type.lower()
    kind = type_words(media_type, attachment.original_name)
    if media_type in PREVIEWABLE_IMAGES:
        return _decode_image(path, attachment.size, kind, dpr)
    if is_pdf(attachment, path):
        page = ("PDF", PDF_COLOUR)
        if attachment.size > PDF_COUNT_MAX_BYTES:
            return Decoded(None, page, "PDF document · pages not counted (very large file)")
        pages = pdf_page_count(path)
        if pages is None:
            return Decoded(None, page, f"{PDF_UNREADABLE} ({pdf_problem(path)})")
        return Decoded(None, page, f"PDF document · {plural(pages, 'page')}")
    if kind == "DICOM image":
        return Decoded(None, ("DICOM", "#1F5FAF"), "DICOM image · no preview yet")
    return Decoded(None, ("FILE", "#55555E"), f"{kind} · no preview")


# --- painting (GUI thread) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    pixmap: QPixmap | None
    detail: str


def _placeholder(label: str, colour: str, dpr: float) -> QPixmap:
    """A drawn page with a folded corner and ``label`` on it, for files that have no picture preview."""
    w, h, fold = 120, 150, 26
    pixmap = QPixmap(QSize(round(w * dpr), round(h * dpr)))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    page = QPainterPath()
    page.moveTo(2, 2)
    page.lineTo(w - fold, 2)
    page.lineTo(w - 2, fold)
    page.lineTo(w - 2, h - 2)
    page.lineTo(2, h - 2)
    page.closeSubpath()
    painter.setPen(QPen(QColor("#8A8A93"), 1.5))
    painter.setBrush(QColor("#FFFFFF"))
    painter.drawPath(page)
    corner = QPainterPath()
    corner.moveTo(w - fold, 2)
    corner.lineTo(w - fold, fold)
    corner.lineTo(w - 2, fold)
    painter.setBrush(QColor("#E4E4EA"))
    painter.drawPath(corner)
    painter.setPen(QPen(QColor("#D0D0D8"), 2))
    for y in range(fold + 14, h - 50, 10):
        painter.drawLine(14, y, w - 14, y)
    painter.setPen(QColor(colour))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(24 if len(label) <= 4 else 16)
    painter.setFont(font)
    painter.drawText(QRectF(0, h - 52, w, 40), Qt.AlignmentFlag.AlignCenter, label)
    painter.end()
    return pixmap


@functools.cache
def page_icon(label: str, colour: str) -> QIcon:
    """A small drawn page with ``label`` on it, for the file list (a theme's file icon can be blank)."""
    icon = QIcon()
    for dpr in (1.0, 2.0):
        icon.addPixmap(_placeholder(label, colour, dpr))
    return icon


def paint(decoded: Decoded, dpr: float = 1.0) -> Preview:
    """The pixmap of a decoded preview (on the GUI thread)."""
    if decoded.image is not None:
        pixmap = QPixmap.fromImage(decoded.image)
        pixmap.setDevicePixelRatio(dpr)
        return Preview(pixmap, decoded.detail)
    if decoded.page is not None:
        return Preview(_placeholder(*decoded.page, dpr), decoded.detail)
    return Preview(None, decoded.detail)


class PreviewCache(QObject):
    """Previews by (SHA-256, pixel ratio), made in the background: ``get`` what is there, ``request`` what is
    not; ``ready`` says when a requested one has arrived."""

    ready = Signal()

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.owner = owner
        self._previews: OrderedDict[tuple[str, float], Preview] = OrderedDict()
        self._pending: set[tuple[str, float]] = set()

    @property
    def busy(self) -> bool:
        """Whether a requested preview is still being made."""
        return bool(self._pending)

    def get(self, attachment: AttachmentData, dpr: float) -> Preview | None:
        key = (attachment.sha256, dpr)
        preview = self._previews.get(key)
        if preview is not None:
            self._previews.move_to_end(key)
        return preview

    def request(self, attachment: AttachmentData, path: Path, dpr: float) -> None:
        from secondopinion_desktop.ui.ops import run_op

        key = (attachment.sha256, dpr)
        if key in self._previews or key in self._pending:
            return
        self._pending.add(key)
        kind = type_words(attachment.media_type, attachment.original_name)

        def arrived(decoded: Decoded) -> None:
            self._keep(key, paint(decoded, dpr))

        def failed(_exc: BaseException) -> bool:  # a preview is never worth a message
            self._keep(key, Preview(None, f"{kind} · cannot be previewed"))
            return True

        run_op(self.owner, lambda _control: decode(attachment, path, dpr), name="preview a file", writes=False,
               on_success=arrived, on_failure=failed)

    def _keep(self, key: tuple[str, float], preview: Preview) -> None:
        self._pending.discard(key)
        self._previews[key] = preview
        while len(self._previews) > CACHE_ENTRIES:
            self._previews.popitem(last=False)
        self.ready.emit()


# --- a PDF opened at a page (GUI thread) ----------------------------------------------------------------------


class _PagesModel(QAbstractListModel):
    """A PDF's pages, drawn when shown (every PDFium call goes through ``core.pdfium``, one at a time)."""

    WIDTH = 560

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document: Any = None
        self.sizes: list[tuple[float, float]] = []
        self._drawn: OrderedDict[int, QPixmap] = OrderedDict()

    def load(self, path: Path) -> None:
        from secondopinion_desktop.core import pdfium

        self.beginResetModel()
        self.document = pdfium.open_pdf(path)
        self.sizes = pdfium.page_sizes(self.document)
        self.endResetModel()

    def close(self) -> None:
        from secondopinion_desktop.core import pdfium

        self.beginResetModel()
        self._drawn.clear()
        document, self.document, self.sizes = self.document, None, []
        if document is not None:
            pdfium.close_pdf(document)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.sizes)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.document is None:
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DecorationRole:
            if row not in self._drawn:
                from secondopinion_desktop.ui.widgets.pdf_print import render_page

                self._drawn[row] = QPixmap.fromImage(render_page(self.document, row, self.WIDTH))
                while len(self._drawn) > 16:
                    self._drawn.popitem(last=False)
            return self._drawn[row]
        if role == Qt.ItemDataRole.SizeHintRole:
            w, h = self.sizes[row]
            return QSize(self.WIDTH + 16, int(self.WIDTH * h / w) + 24)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"Page {row + 1} of {len(self.sizes)}"
        return None


class PdfPageWindow(QWidget):
    """A PDF's pages in a window of the app's own, scrolled to a page (the system's viewer takes no page)."""

    def __init__(self, title: str, path: Path, page: int, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QDialogButtonBox, QHBoxLayout, QLabel, QListView, QVBoxLayout

        from secondopinion_desktop.ui.widgets.screen import fit_to_screen

        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("pdfPageWindow")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.pages = _PagesModel(self)
        self.pages.load(path)  # raises when PDFium cannot open it: the caller opens it elsewhere
        self.view = QListView()
        self.view.setObjectName("pdfPageView")
        self.view.setAccessibleName(f"{title}, its pages")
        self.view.setModel(self.pages)
        self.view.setViewMode(QListView.ViewMode.IconMode)  # the caption under each page
        self.view.setFlow(QListView.Flow.TopToBottom)
        self.view.setWrapping(False)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setSpacing(6)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QListView.SelectionMode.NoSelection)
        self.view.setIconSize(QSize(_PagesModel.WIDTH, int(_PagesModel.WIDTH * 1.5)))
        self.view.setStyleSheet("QListView#pdfPageView { background: #7a7a7a; }")
        self.page = max(1, min(page, self.pages.rowCount() or 1))
        self.where = QLabel(f"Page {self.page} of {self.pages.rowCount()}")
        self.where.setObjectName("pdfPageWhere")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        row_layout = QHBoxLayout()
        row_layout.addWidget(self.where, 1)
        row_layout.addWidget(buttons)
        layout.addLayout(row_layout)
        fit_to_screen(self, _PagesModel.WIDTH + 80, 900, min_width=420, min_height=360)

    def go_to_page(self, page: int) -> None:
        from PySide6.QtWidgets import QAbstractItemView

        rows = self.pages.rowCount()
        if not rows:
            return
        self.page = max(1, min(page, rows))
        self.view.scrollTo(self.pages.index(self.page - 1), QAbstractItemView.ScrollHint.PositionAtTop)
        self.where.setText(f"Page {self.page} of {rows}")

    def first_visible_page(self) -> int:
        """The page at the top of the view (from 1)."""
        index = self.view.indexAt(QPoint(self.view.viewport().width() // 2, 12))
        return index.row() + 1 if index.isValid() else 0

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self, lambda: self.go_to_page(self.page))  # once the pages are laid out

    def closeEvent(self, event: QCloseEvent) -> None:
        self.pages.close()
        super().closeEvent(event)


def open_pdf_at_page(parent: QWidget, folder: DataFolder, attachment: AttachmentData,
                     page: int) -> PdfPageWindow | None:
    """Show a PDF attachment at ``page`` in the app's own viewer; None when it is no PDF or cannot be opened
    there (the caller opens it in the system's viewer)."""
    from secondopinion_desktop.core.records import attachment_path

    path = attachment_path(folder, attachment)
    if path is None or not is_pdf(attachment, path):
        return None
    try:
        window = PdfPageWindow(f"{attachment.original_name} — page {page}", path, page, parent)
    except Exception:  # noqa: BLE001 - PDFium refuses it (password, damage): the system's viewer may still open it
        return None
    window.show()
    return window
