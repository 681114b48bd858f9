"""The pane beside the records table: everything about the selected record, its files and a small preview.

All user text goes into plain-text labels and list items, so markup typed by the user (``<b>``, ``&``) shows
literally; the few rich-text tooltips escape it. Long text wraps inside the pane, which scrolls as a whole.

Previews are made only when cheap: images are decoded at thumbnail size with ``QImageReader.setScaledSize``
(files over 50 MB are skipped), PDFs get a document placeholder with their page count read by pypdf. Both are
cached per SHA-256, so selecting a file again is instant.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections import OrderedDict
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QIcon,
    QImageIOHandler,
    QImageReader,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QTextOption,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.words import day_month_year, plural, size, stamp

if TYPE_CHECKING:  # the core (and SQLAlchemy) is imported only when a record is shown
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.records import AttachmentData, RecordData

EMPTY_TEXT = "Select a record to see its details"
NO_FILES_TEXT = "No files attached yet — drop files here or use Attach file…"
MISSING_TEXT = "(file missing from the data folder)"
MISSING_TOOLTIP = (
    "The stored copy of this file is no longer in the data folder (it may have been deleted or moved by "
    "hand). "
    "The record itself is fine; attach the original file again to put it back."
)
PDF_UNREADABLE = "PDF document · pages cannot be read"

THUMBNAIL_SIZE = 240
PREVIEW_MAX_BYTES = 50 * 1024 * 1024  # images larger than this are not decoded for a preview
PDF_COUNT_MAX_BYTES = 500 * 1024 * 1024  # pypdf reads the cross-reference table only, but not of any file
MAX_UNSCALED_PIXELS = 30_000_000  # beyond this, formats that cannot decode at a smaller size are skipped
CACHE_ENTRIES = 64
LIST_MAX_ROWS = 6
LONG_TEXT_BOX_HEIGHT = 600  # text too long to lay out whole gets a box this tall that scrolls by itself
LONG_RUN = 60  # unbroken runs longer than this get invisible break opportunities so they wrap


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

MODALITY_WORDS = {
    "MR": "MRI", "MG": "Mammography", "US": "Ultrasound", "NM": "Nuclear medicine", "PT": "PET",
    "CR": "X-ray", "DX": "X-ray", "XA": "Angiography", "RF": "Fluoroscopy", "BMD": "Bone density (DEXA)",
}

# RecordStatus value → (badge text, background, text colour, border); records that are not waiting get none
BADGES = {
    "needed": ("Still needed", "#FFE9B8", "#5C3A00", "#E0A100"),
    "requested": ("Requested — waiting", "#DCEAFF", "#0B3D91", "#7FA8E8"),
}
STEP_WORDS = {"requested_on": "Requested on", "received_on": "Received on", "sent_on": "Sent on"}
MISSING_COLOUR = "#C62828"


# --- words ------------------------------------------------------------------------------------------------


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


def modality_words(code: str) -> str:
    word = MODALITY_WORDS.get(code.strip().upper())
    return f"{word} ({code})" if word and word.upper() != code.strip().upper() else code


def status_dates(record: RecordData, separator: str = " · ") -> str:
    """``Requested on 4 Mar 2026 · Received on 9 Mar 2026`` (only the dated steps)."""
    return separator.join(
        f"{words} {day_month_year(getattr(record, field))}"
        for field, words in STEP_WORDS.items()
        if getattr(record, field) is not None
    )


_LONG_RUN = re.compile(rf"\S{{{LONG_RUN},}}")


def breakable(text: str, run: int = LONG_RUN, chunk: int = 30) -> str:
    """``text`` with a zero-width space every ``chunk`` characters of unbroken runs of ``run`` characters or
    more (long codes, URLs, pasted garbage), so that it wraps inside the pane instead of widening it."""
    if len(text) < run:
        return text
    pattern = _LONG_RUN if run == LONG_RUN else re.compile(rf"\S{{{run},}}")
    return pattern.sub(lambda m: "\u200b".join(m[0][i:i + chunk] for i in range(0, len(m[0]), chunk)), text)


# --- previews ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Preview:
    pixmap: QPixmap | None
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
        import pypdfium2

        document = pypdfium2.PdfDocument(str(path))
        try:
            count = len(document)
        finally:
            document.close()
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


def _image_preview(path: Path, size: int, kind: str, dpr: float) -> _Preview:
    if size > PREVIEW_MAX_BYTES:
        return _Preview(None, f"{kind} · too large to preview")
    reader = QImageReader(str(path))
    reader.setDecideFormatFromContent(True)  # vault files have no extension
    reader.setAutoTransform(True)
    full = reader.size()
    box = round(THUMBNAIL_SIZE * dpr)
    if full.isValid() and not full.isEmpty():
        if full.width() * full.height() > MAX_UNSCALED_PIXELS and not reader.supportsOption(
            QImageIOHandler.ImageOption.ScaledSize
        ):
            return _Preview(None, f"{kind} · {full.width()} × {full.height()} pixels, too large to preview")
        if full.width() > box or full.height() > box:
            reader.setScaledSize(full.scaled(box, box, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return _Preview(None, f"{kind} · cannot be previewed")
    if image.width() > box or image.height() > box:  # the size was unknown before reading
        image = image.scaled(
            box, box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(dpr)
    detail = f"{kind} · {full.width()} × {full.height()} pixels" if full.isValid() else kind
    return _Preview(pixmap, detail)


def is_pdf(attachment: AttachmentData, path: Path | None) -> bool:
    """A PDF by its stored type, its name, or (for files stored under another type) its first bytes."""
    media_type = attachment.media_type.lower()
    if media_type == "application/pdf" or attachment.original_name.lower().endswith(".pdf"):
        return True
    return media_type in ("", "application/octet-stream") and path is not None and looks_like_pdf(path)


def make_preview(attachment: AttachmentData, path: Path, dpr: float = 1.0) -> _Preview:
    """The thumbnail (or placeholder) and a line of detail for an attachment whose file is at ``path``."""
    media_type = attachment.media_type.lower()
    kind = type_words(media_type, attachment.original_name)
    if media_type in PREVIEWABLE_IMAGES:
        return _image_preview(path, attachment.size, kind, dpr)
    if is_pdf(attachment, path):
        page = _placeholder("PDF", "#B3261E", dpr)
        if attachment.size > PDF_COUNT_MAX_BYTES:
            return _Preview(page, "PDF document · pages not counted (very large file)")
        pages = pdf_page_count(path)
        if pages is None:
            return _Preview(page, f"{PDF_UNREADABLE} ({pdf_problem(path)})")
        return _Preview(page, f"PDF document · {plural(pages, 'page')}")
    if kind == "DICOM image":
        return _Preview(_placeholder("DICOM", "#1F5FAF", dpr), "DICOM image · no preview yet")
    return _Preview(_placeholder("FILE", "#55555E", dpr), f"{kind} · no preview")


# --- widgets ----------------------------------------------------------------------------------------------


class _TextView(QTextBrowser):
    """Read-only free text (summary, notes) as tall as its text, so that the pane scrolls rather than the box.

    QTextDocument lays out 50,000 characters in a few milliseconds and paints only what is visible, where a
    word-wrapped QLabel of that size takes a tenth of a second for each layout pass. Text beyond
    ``INLINE_CHARS`` gets a box of its own height that scrolls inside the pane.
    """

    INLINE_CHARS = 200_000

    def __init__(self, object_name: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName(accessible_name)
        self.setOpenLinks(False)
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        self.viewport().setAutoFillBackground(False)  # the pane's own background shows through
        self.document().setDocumentMargin(0)
        self._inline = True
        self.source_text = ""

    def set_text(self, text: str) -> None:
        """Show ``text``. Qt wraps a long word anywhere by itself but slowly (0.15 s for 50,000 characters in
        one run), so runs beyond 1,000 characters get a break opportunity every 250; ordinary words, URLs and
        codes are left exactly as typed, for copying."""
        self.source_text = text
        self._inline = len(text) <= self.INLINE_CHARS
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if self._inline else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        self.setPlainText(breakable(text, 1000, 250))
        self.fit()

    def fit(self) -> None:
        if not self._inline:
            self.setFixedHeight(LONG_TEXT_BOX_HEIGHT)
            return
        document = self.document()
        document.setTextWidth(max(self.viewport().width(), 40))
        self.setFixedHeight(int(document.size().height()) + 2 * self.frameWidth() + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._inline:
            event.ignore()  # nothing to scroll in here: let the pane scroll
        else:
            super().wheelEvent(event)


class _AttachmentList(QListWidget):
    """A list that says what to do when it is empty, and is as tall as its items (up to a few rows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = NO_FILES_TEXT
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # Each item is a fixed number of lines, long names elided in the middle (the tooltip has them whole),
        # so the rows' heights do not depend on the pane's width.
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setUniformItemSizes(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(8, 4, -8, -4),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
            painter.end()

    def fit_height(self) -> None:
        frame = 2 * self.frameWidth()
        if self.count() == 0:
            self.setFixedHeight(3 * self.fontMetrics().lineSpacing() + frame + 8)
            return
        rows = min(self.count(), LIST_MAX_ROWS)
        height = sum(max(self.sizeHintForRow(i), 1) for i in range(rows)) + 2 * self.spacing() * rows
        self.setFixedHeight(height + frame + 2)


def _text_label(object_name: str, accessible_name: str, *, selectable: bool = True) -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setAccessibleName(accessible_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
    # Ignore the width the text would like, so that nothing can widen the pane; the text wraps instead.
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(40)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setContentsMargins(0, 8, 0, 0)
    return label


# (field, row label, the RecordKind value the row belongs to: None for every kind)
FIELD_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("kind", "Kind", None),
    ("date_of_service", "Date of service", None),
    ("facility", "Facility", None),
    ("clinician", "Clinician", None),
    ("status", "Status", None),
    ("imaging_modality", "Modality", "imaging"),
    ("imaging_body_region", "Body region", "imaging"),
    ("images_location", "Where the images are", "imaging"),
    ("accession_number", "Accession number", "pathology"),
    ("specimen_site", "Specimen site", "pathology"),
    ("slides_count", "Slides", "pathology"),
    ("blocks_count", "Blocks", "pathology"),
    ("material_holder", "Held by", "pathology"),
)


class RecordDetailPane(QWidget):
    """Everything about one record: fields, status, summary, notes, attached files and a preview."""

    attachmentActivated = Signal(object)  # AttachmentData, on double-click or Enter
    attachmentSelectionChanged = Signal()
    filesDropped = Signal(list)  # list[Path] of local files dropped on the pane while it shows a record

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordDetailPane")
        self.setAccessibleName("Record details")
        self.setMinimumWidth(240)  # its text wraps; on a small or scaled screen the table needs the room
        self.setAcceptDrops(True)
        self._record: RecordData | None = None
        self._folder: DataFolder | None = None
        self._attachments: list[AttachmentData] = []
        self._missing: set[int] = set()  # attachment ids whose vault file is gone
        self._paths: dict[int, Path] = {}
        self._previews: OrderedDict[tuple[str, float], _Preview] = OrderedDict()
        self._muted: list[QWidget] = []  # secondary text, drawn in a softer colour that still reads well

        self.stack = QStackedWidget()
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAccessibleName("No record selected")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setMargin(24)
        self.stack.addWidget(self.empty_label)

        self.scroll = QScrollArea()
        self.scroll.setObjectName("detailScroll")
        self.scroll.setAccessibleName("Record details")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget()
        content.setObjectName("detailContent")
        self.scroll.setWidget(content)
        self.stack.addWidget(self.scroll)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        layout = QVBoxLayout(content)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)

        self.title_label = _text_label("titleLabel", "Title")
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.35 if font.pointSizeF() > 0 else 13)
        self.title_label.setFont(font)
        layout.addWidget(self.title_label)

        self.badge_label = QLabel()
        self.badge_label.setObjectName("statusBadge")
        self.badge_label.setTextFormat(Qt.TextFormat.PlainText)
        self.badge_label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        badge_row = QHBoxLayout()
        badge_row.setContentsMargins(0, 2, 0, 4)
        badge_row.addWidget(self.badge_label)
        badge_row.addStretch(1)
        layout.addLayout(badge_row)

        self.form = QFormLayout()
        self.form.setObjectName("fieldsForm")
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(4)
        self.field_labels: dict[str, QLabel] = {}
        for field, words, _kinds in FIELD_ROWS:
            value = _text_label(f"field_{field}", words)
            name = QLabel(words)
            name.setObjectName(f"fieldName_{field}")
            name.setTextFormat(Qt.TextFormat.PlainText)
            name.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
            self._muted.append(name)  # so the values stand out
            name.setBuddy(value)
            self.form.addRow(name, value)
            self.field_labels[field] = value
        layout.addLayout(self.form)

        self.summary_heading = _heading("Summary")
        self.summary_view = _TextView("summaryText", "Summary")
        layout.addWidget(self.summary_heading)
        layout.addWidget(self.summary_view)

        self.files_heading = _heading("Files")
        layout.addWidget(self.files_heading)
        self.attachments_list = _AttachmentList()
        self.attachments_list.setObjectName("attachmentsList")
        self.attachments_list.setAccessibleName("Attached files")
        self.attachments_list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.attachments_list.itemActivated.connect(self._on_item_activated)
        self.attachments_list.itemSelectionChanged.connect(self._on_selection_changed)
        layout.addWidget(self.attachments_list)

        self.thumbnail_label = QLabel()
        self.thumbnail_label.setObjectName("thumbnail")
        self.thumbnail_label.setAccessibleName("Preview of the selected file")
        self.thumbnail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail_label.setMaximumSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        self.thumbnail_caption = _text_label("thumbnailCaption", "About the preview", selectable=False)
        self.thumbnail_caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.thumbnail_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.thumbnail_caption)

        self.notes_heading = _heading("Notes")
        self.notes_view = _TextView("notesText", "Notes")
        layout.addWidget(self.notes_heading)
        layout.addWidget(self.notes_view)

        self.timestamps_label = _text_label("timestampsLabel", "When this record was added and changed")
        self.timestamps_label.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(self.timestamps_label)
        layout.addStretch(1)

        self._muted += [self.empty_label, self.thumbnail_caption, self.timestamps_label]
        self._apply_muted_colour()
        self.show_record(None, None)

    # --- public --------------------------------------------------------------------------------------------

    @property
    def record(self) -> RecordData | None:
        """The record shown, or None."""
        return self._record

    def selected_attachment(self) -> AttachmentData | None:
        """The attachment selected in the list, or None."""
        items = self.attachments_list.selectedItems()
        if not items:
            return None
        row = self.attachments_list.row(items[0])
        return self._attachments[row] if 0 <= row < len(self._attachments) else None

    def show_record(self, record: RecordData | None, folder: DataFolder | None) -> None:
        """Show ``record`` (whose files are in ``folder``), or the empty state for None.

        Showing the same record again (after an edit) keeps the selected file and the scroll position.
        """
        before = self.selected_attachment()
        same_record = (
            record is not None and self._record is not None and record.id == self._record.id
            and folder is self._folder
        )
        self._record, self._folder = record, folder
        if record is None:
            self._fill_attachments(())
            self.stack.setCurrentWidget(self.empty_label)
        else:
            self._fill_fields(record)
            self._fill_attachments(record.attachments, keep=before.id if before and same_record else None)
            self.stack.setCurrentWidget(self.scroll)
            if not same_record:
                self.scroll.verticalScrollBar().setValue(0)
        self._update_preview()
        self._relayout()
        after = self.selected_attachment()
        if (before.id if before else None) != (after.id if after else None):
            self.attachmentSelectionChanged.emit()

    # --- filling -------------------------------------------------------------------------------------------

    def _fill_fields(self, r: RecordData) -> None:
        self.title_label.setText(breakable(r.title))
        badge = BADGES.get(r.status.value)
        if badge is None:  # received or sent: the Status row says so, nothing is waiting
            self.badge_label.hide()
        else:
            words, background, colour, border = badge
            if r.status.value == "requested" and r.requested_on:
                words = f"{words} since {day_month_year(r.requested_on)}"
            self.badge_label.setText(words)
            self.badge_label.setAccessibleName(words)
            self.badge_label.setStyleSheet(
                f"QLabel {{ background: {background}; color: {colour}; border: 1px solid {border};"
                " border-radius: 9px; padding: 2px 10px; font-weight: bold; }"
            )
            self.badge_label.show()

        dates = status_dates(r, "\n")
        values: dict[str, str] = {
            "kind": r.kind.label,
            "date_of_service": day_month_year(r.date_of_service),
            "facility": r.facility_name or "—",
            "clinician": r.clinician_name or "—",
            "status": f"{r.status.label}\n{dates}" if dates else r.status.label,
            "imaging_modality": modality_words(r.imaging_modality) if r.imaging_modality else "—",
            "imaging_body_region": r.imaging_body_region or "—",
            "images_location": r.images_location.label if r.images_location else "—",
            "accession_number": r.accession_number or "—",
            "specimen_site": r.specimen_site or "—",
            "slides_count": "—" if r.slides_count is None else str(r.slides_count),
            "blocks_count": "—" if r.blocks_count is None else str(r.blocks_count),
            "material_holder": r.material_holder or "—",
        }
        for field, _words, kind in FIELD_ROWS:
            label = self.field_labels[field]
            label.setText(breakable(values[field]))
            self.form.setRowVisible(label, kind is None or kind == r.kind.value)

        for heading, view, text in (
            (self.summary_heading, self.summary_view, r.summary),
            (self.notes_heading, self.notes_view, r.notes),
        ):
            shown = bool(text.strip())
            if view.source_text != text:  # re-shown after an edit elsewhere: unchanged text keeps its layout
                view.set_text(text if shown else "")
            heading.setVisible(shown)
            view.setVisible(shown)

        changed = (
            f" · Last changed {stamp(r.updated_at)}"
            if abs((r.updated_at - r.created_at).total_seconds()) >= 1 else ""
        )
        self.timestamps_label.setText(f"Record {r.id} · Added {stamp(r.created_at)}{changed}")

    def _fill_attachments(self, attachments: tuple[AttachmentData, ...], keep: int | None = None) -> None:
        from secondopinion_desktop.core.records import attachment_path

        listing = self.attachments_list
        listing.blockSignals(True)
        try:
            listing.clear()
            self._attachments = list(attachments)
            self._missing.clear()
            self._paths.clear()
            file_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
            warning_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            for a in self._attachments:
                path = None
                if self._folder is not None:
                    try:
                        path = attachment_path(self._folder, a)
                    except Exception:  # noqa: BLE001 - a malformed digest, an unreadable folder: missing
                        path = None
                    if path is None:
                        self._missing.add(a.id)
                    else:
                        self._paths[a.id] = path
                details = f"{size(a.size)} · {type_words(a.media_type, a.original_name)}"
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, a.id)
                if a.id in self._missing:
                    item.setText(f"{a.original_name}\n{details}\n{MISSING_TEXT}")
                    item.setForeground(QColor(MISSING_COLOUR))
                    item.setIcon(warning_icon)
                    item.setToolTip(f"<p>{escape(a.original_name)}: {escape(MISSING_TOOLTIP)}</p>")
                else:
                    item.setText(f"{a.original_name}\n{details}")
                    if is_pdf(a, self._paths.get(a.id)):
                        item.setIcon(page_icon("PDF", "#B3261E"))
                    else:
                        item.setIcon(file_icon)
                    item.setToolTip(f"<p>{escape(a.original_name)}<br>{escape(details)}, "
                                    f"added {escape(stamp(a.added_at))}</p>")
                listing.addItem(item)
                if keep is not None and a.id == keep:
                    item.setSelected(True)
                    listing.setCurrentItem(item)
            count = len(self._attachments)
            listing.setAccessibleDescription(plural(count, "file") if count else NO_FILES_TEXT)
        finally:
            listing.blockSignals(False)
        listing.fit_height()
        listing.viewport().update()

    # --- preview -------------------------------------------------------------------------------------------

    def _preview_target(self) -> AttachmentData | None:
        """The selected attachment, else the first image that is on disk, else the first attachment."""
        selected = self.selected_attachment()
        if selected is not None:
            return selected
        for a in self._attachments:
            if a.media_type.lower() in PREVIEWABLE_IMAGES and a.id in self._paths:
                return a
        return self._attachments[0] if self._attachments else None

    def _update_preview(self) -> None:
        target = self._preview_target()
        if target is None:
            self.thumbnail_label.clear()
            self.thumbnail_label.hide()
            self.thumbnail_caption.hide()
            return
        path = self._paths.get(target.id)
        if path is None:
            self.thumbnail_label.clear()
            self.thumbnail_label.hide()
            why = ("is missing from the data folder" if target.id in self._missing
                   else "cannot be looked at without its data folder")
            self.thumbnail_caption.setText(f"No preview: {target.original_name} {why}.")
            self.thumbnail_caption.show()
            return
        preview = self._preview_for(target, path)
        if preview.pixmap is not None:
            self.thumbnail_label.setPixmap(preview.pixmap)
            self.thumbnail_label.setAccessibleName(f"Preview of {target.original_name}")
            self.thumbnail_label.show()
        else:
            self.thumbnail_label.clear()
            self.thumbnail_label.hide()
        self.thumbnail_caption.setText(f"{target.original_name}\n{preview.detail}")
        self.thumbnail_caption.show()

    def _preview_for(self, attachment: AttachmentData, path: Path) -> _Preview:
        dpr = self.devicePixelRatioF() or 1.0
        key = (attachment.sha256, dpr)
        cached = self._previews.get(key)
        if cached is not None:
            self._previews.move_to_end(key)
            return cached
        preview = make_preview(attachment, path, dpr)
        self._previews[key] = preview
        while len(self._previews) > CACHE_ENTRIES:
            self._previews.popitem(last=False)
        return preview

    # --- reactions -----------------------------------------------------------------------------------------

    def _on_item_activated(self, item: QListWidgetItem) -> None:
        row = self.attachments_list.row(item)
        if 0 <= row < len(self._attachments):
            self.attachmentActivated.emit(self._attachments[row])

    def _on_selection_changed(self) -> None:
        self._update_preview()
        self.attachmentSelectionChanged.emit()

    @staticmethod
    def _dropped_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
        data = event.mimeData()
        if data is None or not data.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in data.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._record is not None and self._dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._dropped_files(event)
        if self._record is None or not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.filesDropped.emit(files)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_muted_colour()

    def _apply_muted_colour(self) -> None:
        """Secondary text two thirds of the way from the background to the text colour: softer than the values
        but, unlike Qt's disabled colour, still easy to read (about 5:1 on the default light palette)."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        back = palette.color(QPalette.ColorRole.Window)
        mix = QColor(
            round(text.red() * 0.68 + back.red() * 0.32),
            round(text.green() * 0.68 + back.green() * 0.32),
            round(text.blue() * 0.68 + back.blue() * 0.32),
        )
        for widget in self._muted:
            own = widget.palette()
            if own.color(QPalette.ColorRole.WindowText) != mix:
                own.setColor(QPalette.ColorRole.WindowText, mix)
                widget.setPalette(own)

    def _relayout(self) -> None:
        # QScrollArea does not always notice that a word-wrapped label's height-for-width changed with its
        # text; asking the content for its layout again keeps the pane scrollable instead of cut off.
        content = self.scroll.widget()
        if content is not None and content.layout() is not None:
            content.layout().invalidate()
            content.updateGeometry()
