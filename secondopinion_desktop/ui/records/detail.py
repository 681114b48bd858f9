"""The pane beside the records table: everything about the selected record, its files and a small preview.

All user text goes into plain-text labels, text views and list rows, so markup typed by the user (``<b>``,
``&``) shows literally; the few rich-text tooltips escape it. Long text wraps inside the pane, which scrolls as
a whole. How the record is written out: ``record_text.py``; the files list: ``files_list.py``; previews (made
off the GUI thread): ``preview.py``; the Text tab beside the preview (the text the app read of the selected file,
page by page): ``text_view.py``. A record found by its documents' text says where ("Found on page 3 of
report.pdf: …", with Open at page 3); a record whose documents name another patient has a warning banner.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTabBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.words import day_month_year, plural, stamp
from secondopinion_desktop.ui.events import Changes, notice
from secondopinion_desktop.ui.records.document_view import DocumentView, DocumentWindow
from secondopinion_desktop.ui.records.files_list import (
    ATTACHMENT_ROLE,
    NO_FILES_TEXT,
    FileRow,
    FilesView,
)
from secondopinion_desktop.ui.records.preview import (
    PREVIEWABLE_IMAGES,
    THUMBNAIL_SIZE,
    PreviewCache,
    is_pdf,
)
from secondopinion_desktop.ui.records.record_text import (
    BADGES,
    FIELD_ROWS,
    TextView,
    breakable,
    heading,
    modality_words,
    status_dates,
    text_label,
)
from secondopinion_desktop.ui.records.text_view import PAGES_SHOWN, DocumentTextView, found_html

if TYPE_CHECKING:  # the core (and SQLAlchemy) is imported only when a record is shown
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.documents.model import Hit
    from secondopinion_desktop.core.records import AttachmentData, RecordData

EMPTY_TEXT = "Select a record to see its details"
PREPARING_TEXT = "Preparing a preview…"
WINDOW_TEXT = "Open in a window"
WINDOW_SHORT_TEXT = "Window"  # when the pane is too narrow for the tabs and the longer words
PAGES_KEPT = 8  # Document pages kept, so that going back to a record draws it without reading it again
PAGE_CHANGES = Changes.RECORDS | Changes.ATTACHMENTS | Changes.FOLDER  # what may change a record's page
TEXT_CHANGES = Changes.ATTACHMENTS | Changes.DOCUMENT_TEXT | Changes.FOLDER  # what may change a file's text
PREVIEW_TAB, TEXT_TAB = 0, 1
FOLLOW_MS = 600  # after the Text tab is clicked, the pane keeps it in sight this long while its layout settles
IDENTITY_STYLE = ("QLabel#identityBanner { background: #FEF3C7; color: #7C2D12; border: 1px solid #D97706;"
                  " border-radius: 4px; padding: 6px 8px; }")
FOUND_STYLE = ("QFrame#foundBox { background: #EEF4FF; border: 1px solid #9DB5E8; border-radius: 4px; }"
               " QFrame#foundBox QLabel { color: #1A1A1A; }")


class RecordDetailPane(QWidget):
    """Everything about one record: fields, status, summary, notes, attached files and a preview."""

    attachmentActivated = Signal(object)  # AttachmentData, on double-click or Enter
    attachmentSelectionChanged = Signal()
    filesDropped = Signal(list)  # list[Path] of local files dropped on the pane while it shows a record
    openAtPage = Signal(object, int)  # (AttachmentData, page): "Open at page 3"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordDetailPane")
        self.setAccessibleName("Record details")
        self.setMinimumWidth(240)  # its text wraps; on a small or scaled screen the table needs the room
        self.setAcceptDrops(True)
        self._record: RecordData | None = None
        self._folder: DataFolder | None = None
        self._previews = PreviewCache(self)
        self._previews.ready.connect(self._update_preview)
        self._muted: list[QWidget] = []  # secondary text, drawn in a softer colour that still reads well
        # The Document page of the last records shown, by record id, with what the page was made from (its
        # title, when it changed, its files); forgotten whenever records or files change anywhere.
        self._pages: OrderedDict[int, tuple[tuple[object, ...], str]] = OrderedDict()
        self._page = ""  # the shown record's page; put into the view only once the Document tab is shown
        self._windows: dict[int, list[DocumentWindow]] = {}  # open "Open in a window" windows, by record id
        self._drag_accepted = False
        notice().changed.connect(self._data_changed)

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
        # An imported record has a second page, the document as readable text (``document_view``), and a tab
        # bar above the pane to turn between the two.
        self.stack.addWidget(self.scroll)
        self.document_view = DocumentView()
        self.stack.addWidget(self.document_view)
        self.page_tabs = QTabBar()
        self.page_tabs.setObjectName("detailPages")
        self.page_tabs.setAccessibleName("Details or document")
        self.page_tabs.setDocumentMode(True)
        self.page_tabs.setExpanding(False)
        self.page_tabs.setUsesScrollButtons(False)  # both tabs always whole: the button beside them gives way
        self.page_tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.page_tabs.setDrawBase(True)
        self.page_tabs.addTab("Details")
        self.page_tabs.addTab("Document")
        self.page_tabs.setTabToolTip(0, "The record's fields, summary, files and notes")
        self.page_tabs.setTabToolTip(1, "The imported document as readable text: its sections and results")
        self.page_tabs.currentChanged.connect(self._page_chosen)
        self.larger_button = QToolButton()
        self.larger_button.setObjectName("documentWindowButton")
        self.larger_button.setText(WINDOW_TEXT)
        self.larger_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarNormalButton))
        self.larger_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.larger_button.setAutoRaise(True)
        self.larger_button.setToolTip("Read the document in a window of its own")
        self.larger_button.setAccessibleName("Read the document in a window of its own")
        self.larger_button.clicked.connect(lambda: self.open_document_window())
        self.page_row = QWidget()
        self.page_row.setObjectName("detailPageRow")
        row = QHBoxLayout(self.page_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.page_tabs)
        row.addStretch(1)
        row.addWidget(self.larger_button)
        self.page_row.hide()
        self.page_row.installEventFilter(self)  # the button's words follow the room the row has

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.page_row)
        outer.addWidget(self.stack)

        layout = QVBoxLayout(content)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)

        self.identity_banner = QLabel()
        self.identity_banner.setObjectName("identityBanner")
        self.identity_banner.setTextFormat(Qt.TextFormat.PlainText)
        self.identity_banner.setWordWrap(True)
        self.identity_banner.setAccessibleName("Whose document this is")
        self.identity_banner.setStyleSheet(IDENTITY_STYLE)
        self.identity_banner.hide()
        self.identity_sentences: list[str] = []
        layout.addWidget(self.identity_banner)

        self.title_label = text_label("titleLabel", "Title")
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

        # Where the words searched for were found in the record's documents, and a way to open the page.
        self.found_box = QFrame()
        self.found_box.setObjectName("foundBox")
        self.found_box.setStyleSheet(FOUND_STYLE)
        self.found_label = QLabel()
        self.found_label.setObjectName("foundLabel")
        self.found_label.setTextFormat(Qt.TextFormat.RichText)  # built escaped (text_view.found_html)
        self.found_label.setWordWrap(True)
        self.found_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.found_label.setAccessibleName("Where the search found the words")
        self.open_at_page_button = QPushButton()
        self.open_at_page_button.setObjectName("openAtPageButton")
        self.open_at_page_button.clicked.connect(self._open_found)
        found_layout = QVBoxLayout(self.found_box)
        found_layout.setContentsMargins(8, 6, 8, 6)
        found_layout.addWidget(self.found_label)
        found_row = QHBoxLayout()
        found_row.addWidget(self.open_at_page_button)
        found_row.addStretch(1)
        found_layout.addLayout(found_row)
        self.found_box.hide()
        self.found_hit: Hit | None = None
        layout.addWidget(self.found_box)

        self.form = QFormLayout()
        self.form.setObjectName("fieldsForm")
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(4)
        self.field_labels: dict[str, QLabel] = {}
        for field, words, _kinds in FIELD_ROWS:
            value = text_label(f"field_{field}", words)
            name = QLabel(words)
            name.setObjectName(f"fieldName_{field}")
            name.setTextFormat(Qt.TextFormat.PlainText)
            name.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
            self._muted.append(name)  # so the values stand out
            name.setBuddy(value)
            self.form.addRow(name, value)
            self.field_labels[field] = value
        layout.addLayout(self.form)

        self.summary_heading = heading("Summary")
        self.summary_view = TextView("summaryText", "Summary")
        layout.addWidget(self.summary_heading)
        layout.addWidget(self.summary_view)

        self.files_heading = heading("Files")
        layout.addWidget(self.files_heading)
        self.attachments_list = FilesView()
        self.attachments_list.setObjectName("attachmentsList")
        self.attachments_list.setAccessibleName("Attached files")
        self.files = self.attachments_list.files
        self.attachments_list.activated.connect(self._on_activated)
        self.attachments_list.selectionModel().selectionChanged.connect(self._on_selection_changed)
        layout.addWidget(self.attachments_list)

        self.thumbnail_label = QLabel()
        self.thumbnail_label.setObjectName("thumbnail")
        self.thumbnail_label.setAccessibleName("Preview of the selected file")
        self.thumbnail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail_label.setMaximumSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        self.thumbnail_caption = text_label("thumbnailCaption", "About the preview", selectable=False)
        self.thumbnail_caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        # The selected file's preview, and beside it (a tab) the text the app read of it.
        preview_page = QWidget()
        preview_layout = QVBoxLayout(preview_page)
        preview_layout.setContentsMargins(0, 6, 0, 0)
        preview_layout.addWidget(self.thumbnail_label, 0, Qt.AlignmentFlag.AlignHCenter)
        preview_layout.addWidget(self.thumbnail_caption)
        preview_layout.addStretch(1)
        self.text_view = DocumentTextView()
        self.text_view.readAgain.connect(self._read_again)
        self._text_for: tuple[str, int] | None = None  # (sha256, generation) the Text tab shows
        self._text_generation = 0  # counts the announced text changes: the tab reads the file again after one
        self.file_tabs = QTabWidget()
        self.file_tabs.setObjectName("fileTabs")
        self.file_tabs.setDocumentMode(True)
        self.file_tabs.addTab(preview_page, "Preview")
        self.file_tabs.addTab(self.text_view, "Text")
        self.file_tabs.setTabToolTip(PREVIEW_TAB, "A small picture of the selected file")
        self.file_tabs.setTabToolTip(TEXT_TAB, "The text the app read of the selected file, page by page")
        self.file_tabs.currentChanged.connect(lambda _index: self._update_text())
        self.file_tabs.tabBarClicked.connect(self._file_tab_clicked)
        self._follow_text = False  # the Text tab was just clicked: keep it in sight while the pane grows
        self.scroll.verticalScrollBar().rangeChanged.connect(self._scroll_to_file_tabs)
        layout.addWidget(self.file_tabs)

        self.notes_heading = heading("Notes")
        self.notes_view = TextView("notesText", "Notes")
        layout.addWidget(self.notes_heading)
        layout.addWidget(self.notes_view)

        self.timestamps_label = text_label("timestampsLabel", "When this record was added and changed")
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
        rows = self.attachments_list.selectionModel().selectedRows()
        return rows[0].data(ATTACHMENT_ROLE) if rows else None

    @property
    def preview_pending(self) -> bool:
        """Whether a preview is still being made in the background."""
        return self._previews.busy

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
            self._fill_document(None, same_record=False)
        else:
            self._fill_fields(record)
            self._fill_attachments(record.attachments, keep=before.id if before and same_record else None)
            self._fill_document(record, same_record=same_record)
            if not same_record:
                self._follow_text = False
                self.scroll.verticalScrollBar().setValue(0)
        self._update_preview()
        if record is None or not same_record:
            self.set_found(None)
            self.set_problems([])
        self._relayout()
        after = self.selected_attachment()
        if (before.id if before else None) != (after.id if after else None):
            self.attachmentSelectionChanged.emit()

    @property
    def has_document(self) -> bool:
        """Whether the record shown was imported from a portal download (its Document page is there)."""
        return bool(self._page) and self._record is not None

    def show_document(self) -> None:
        """Turn to the Document page (when the record has one)."""
        if self.has_document:
            self.page_tabs.setCurrentIndex(1)

    def open_document_window(self) -> DocumentWindow | None:
        """The record's document in a window of its own (a copy of the page; nothing more is read)."""
        if not self.has_document or self._record is None:
            return None
        record_id = self._record.id
        window = DocumentWindow(self._record.title, self._page, self)
        opened = self._windows.setdefault(record_id, [])
        opened.append(window)
        window.destroyed.connect(lambda *_: opened.remove(window) if window in opened else None)
        window.finished.connect(lambda *_: opened.remove(window) if window in opened else None)
        window.show()
        return window

    def document_windows(self) -> list[DocumentWindow]:
        """The windows "Open in a window" opened that are still open."""
        return [w for windows in self._windows.values() for w in windows]

    def _page_chosen(self, index: int) -> None:
        if self._record is None:
            return
        reading = index == 1 and self.has_document
        if reading and self.document_view.source_html != self._page:
            self.document_view.set_page(self._page)  # the record's page, put in when first read
        self.stack.setCurrentWidget(self.document_view if reading else self.scroll)

    # --- filling -------------------------------------------------------------------------------------------

    def _document_page(self, record: RecordData) -> str:
        """The record's Document page ("" for a record not imported from a portal): read and drawn by the core
        once, then kept (``PAGES_KEPT`` of them) until records or files change."""
        made_from = (record.title, record.updated_at, tuple((a.id, a.sha256) for a in record.attachments))
        kept = self._pages.get(record.id)
        if kept is not None and kept[0] == made_from:
            self._pages.move_to_end(record.id)
            return kept[1]
        page = ""
        if self._folder is not None:
            from secondopinion_desktop.core.errors import SecondOpinionError
            from secondopinion_desktop.core.portal.view import record_view, render_html

            try:
                view = record_view(self._folder, record.id)
            except SecondOpinionError:
                view = None
            if view is not None and not view.empty:
                page = render_html(view)
        self._pages[record.id] = (made_from, page)
        while len(self._pages) > PAGES_KEPT:
            self._pages.popitem(last=False)
        return page

    def _fill_document(self, record: RecordData | None, *, same_record: bool) -> None:
        """The Document page for a record imported from a portal (read through the core); hidden otherwise.
        Going from one imported record to another stays on the page the person was reading. The view is filled
        only while the page is shown (``_page_chosen`` fills it when the tab is turned to)."""
        page = self._document_page(record) if record is not None else ""
        shown = bool(page)
        reading = self.page_tabs.currentIndex() == 1 and bool(self._page)
        self._page = page
        if not shown:
            self.document_view.clear_page()
        elif reading and page != self.document_view.source_html:
            self.document_view.set_page(page)
        elif not same_record and not reading:
            self.document_view.clear_page()  # filled when the Document tab is turned to
        self.page_row.setVisible(shown)
        self.page_tabs.blockSignals(True)
        self.page_tabs.setCurrentIndex(1 if shown and reading else 0)
        self.page_tabs.blockSignals(False)
        if record is not None:
            self.stack.setCurrentWidget(self.document_view if shown and reading else self.scroll)
        self._fit_page_row()

    def _data_changed(self, changes: Changes, _initiator: object) -> None:
        """Records or files changed somewhere: the pages kept may be out of date, and a window showing a record
        that is gone (deleted, or an import undone) closes. A file's text read (or queued again): the Text tab
        reads it again."""
        if changes & TEXT_CHANGES:
            self._text_generation += 1
            self._update_text()
        if not changes & PAGE_CHANGES:
            return
        self._pages.clear()
        ids = [record_id for record_id, windows in self._windows.items() if windows]
        if not ids:
            return
        still = set()
        if self._folder is not None and not changes & Changes.FOLDER:
            from secondopinion_desktop.core.errors import SecondOpinionError
            from secondopinion_desktop.core.records import get_records

            try:
                still = {r.id for r in get_records(self._folder, ids)}
            except SecondOpinionError:
                return  # the folder cannot be read now: nothing is closed on a guess
        for record_id in ids:
            if record_id not in still:
                for window in list(self._windows.pop(record_id, [])):
                    window.close()

    def eventFilter(self, watched: object, event: QEvent) -> bool:
        if watched is self.page_row and event.type() == QEvent.Type.Resize:
            self._fit_page_row(event.size().width() if isinstance(event, QResizeEvent) else None)
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def _fit_page_row(self, width: int | None = None) -> None:
        """The tabs always whole; the button beside them takes the room left: "Open in a window", "Window" in a
        narrow pane or with large text, only its icon when even that does not fit (its tooltip and accessible
        name say what it does)."""
        room = (self.page_row.width() if width is None else width) - self.page_tabs.sizeHint().width() - 8
        button = self.larger_button
        metrics = button.fontMetrics()
        icon_only = button.iconSize().width() + 12
        button.setMinimumWidth(icon_only)  # the pane may be as narrow as the tabs and an icon
        pad = 16
        if metrics.horizontalAdvance(WINDOW_TEXT) + pad <= room:
            text, style = WINDOW_TEXT, Qt.ToolButtonStyle.ToolButtonTextOnly
        elif metrics.horizontalAdvance(WINDOW_SHORT_TEXT) + pad <= room:
            text, style = WINDOW_SHORT_TEXT, Qt.ToolButtonStyle.ToolButtonTextOnly
        else:
            text, style = WINDOW_SHORT_TEXT, Qt.ToolButtonStyle.ToolButtonIconOnly
        if button.text() != text:
            button.setText(text)
        if button.toolButtonStyle() != style:
            button.setToolButtonStyle(style)

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

        for title, view, text in (
            (self.summary_heading, self.summary_view, r.summary),
            (self.notes_heading, self.notes_view, r.notes),
        ):
            shown = bool(text.strip())
            if view.source_text != text:  # re-shown after an edit elsewhere: unchanged text keeps its layout
                view.set_text(text if shown else "")
            title.setVisible(shown)
            view.setVisible(shown)

        changed = (
            f" · Last changed {stamp(r.updated_at)}"
            if abs((r.updated_at - r.created_at).total_seconds()) >= 1 else ""
        )
        self.timestamps_label.setText(f"Record {r.id} · Added {stamp(r.created_at)}{changed}")

    def _fill_attachments(self, attachments: tuple[AttachmentData, ...], keep: int | None = None) -> None:
        from secondopinion_desktop.core.records import attachment_path

        rows: list[FileRow] = []
        for a in attachments:
            path = None
            if self._folder is not None:
                try:
                    path = attachment_path(self._folder, a)
                except Exception:  # noqa: BLE001 - a malformed digest, an unreadable folder: missing
                    path = None
            missing = self._folder is not None and path is None
            rows.append(FileRow(a, path, missing, not missing and is_pdf(a, path)))
        listing = self.attachments_list
        selection = listing.selectionModel()
        selection.blockSignals(True)
        try:
            self.files.set_rows(rows)
            row = self.files.row_of(keep) if keep is not None else None
            if row is not None:
                index = self.files.index(row)
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            count = len(rows)
            listing.setAccessibleDescription(plural(count, "file") if count else NO_FILES_TEXT)
        finally:
            selection.blockSignals(False)
        listing.fit_height()
        listing.viewport().update()

    # --- preview -------------------------------------------------------------------------------------------

    def _preview_target(self) -> FileRow | None:
        """The selected attachment, else the first image that is on disk, else the first attachment."""
        rows = self.files.rows()
        selected = self.selected_attachment()
        if selected is not None:
            return next((r for r in rows if r.attachment.id == selected.id), None)
        for r in rows:
            if r.attachment.media_type.lower() in PREVIEWABLE_IMAGES and r.path is not None:
                return r
        return rows[0] if rows else None

    # --- what a search found, whom the documents name, the Text tab ------------------------------------------

    def set_found(self, hit: Hit | None, snippet: str = "") -> None:
        """Say where the search found its words in this record's documents (None: hide it). The file found
        becomes the selected one, so that its Text tab shows the page."""
        self.found_hit = hit
        if hit is None or self._record is None:
            self.found_box.hide()
            return
        self.found_label.setText(found_html(hit, snippet))
        self.open_at_page_button.setText(f"Open at page {hit.page}")
        self.open_at_page_button.setToolTip(f"Open {hit.attachment_name} at page {hit.page}")
        self.found_box.show()
        row = self.files.row_of(hit.attachment_id)
        if row is not None and (self.selected_attachment() is None
                                or self.selected_attachment().id != hit.attachment_id):
            self.attachments_list.selectionModel().setCurrentIndex(
                self.files.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._relayout()

    def _open_found(self) -> None:
        hit = self.found_hit
        if hit is None or self._record is None:
            return
        attachment = next((a for a in self._record.attachments if a.id == hit.attachment_id), None)
        if attachment is not None:
            self.openAtPage.emit(attachment, hit.page)

    def set_problems(self, sentences: list[str]) -> None:
        """The sentences saying a document names someone other than the patient (none: no banner)."""
        self.identity_sentences = list(sentences)
        if not sentences or self._record is None:
            self.identity_banner.hide()
            return
        self.identity_banner.setText("\n".join(f"⚠ {s}" for s in sentences))
        self.identity_banner.show()
        self._relayout()

    def show_text(self, page: int | None = None) -> None:
        """Turn to the Text tab (at ``page``)."""
        self.file_tabs.setCurrentIndex(TEXT_TAB)
        self._update_text()
        if page is not None:
            self.text_view.show_page(page)

    def _file_tab_clicked(self, index: int) -> None:
        """The Text tab clicked: the pane scrolls to the text (on a small screen it starts below the fold), also
        once the pane has grown to hold it."""
        if index != TEXT_TAB:
            return
        self._follow_text = True
        QTimer.singleShot(0, self, self._scroll_to_file_tabs)
        QTimer.singleShot(FOLLOW_MS, self, self._stop_following)

    def _stop_following(self) -> None:
        self._follow_text = False

    def _scroll_to_file_tabs(self, *_range: int) -> None:
        if self._follow_text and self.file_tabs.isVisible():
            self.scroll.ensureWidgetVisible(self.file_tabs, 0, 0)

    def _update_text(self) -> None:
        """Fill the Text tab for the file previewed, when it is shown (read from the core once per file and
        change)."""
        if self.file_tabs.currentIndex() != TEXT_TAB:
            return
        target = self._preview_target()
        sha256 = target.attachment.sha256 if target is not None else ""
        wanted = (sha256, self._text_generation)
        if wanted == self._text_for:
            return
        self._text_for = wanted
        if not sha256 or self._folder is None:
            self.text_view.show_file("", None, [])
            return
        from secondopinion_desktop.core.documents import index
        from secondopinion_desktop.core.errors import SecondOpinionError

        try:
            state = index.document_state(self._folder, sha256)
            shown = PAGES_SHOWN + 1  # one more than is shown tells that there are more
            pages = index.pages_of(self._folder, sha256, shown) if state is not None and state.has_text else []
        except SecondOpinionError as exc:
            self.text_view.show_file(sha256, None, [], describe=str(exc))
            return
        self.text_view.show_file(sha256, state, pages)
        if self.found_hit is not None and self.found_hit.sha256 == sha256:
            self.text_view.show_page(self.found_hit.page)

    def _read_again(self, sha256: str) -> None:
        """Read again: the file joins the documents waiting to be read (its old text goes)."""
        folder = self._folder
        if folder is None or not sha256:
            return
        from secondopinion_desktop.core.documents import index
        from secondopinion_desktop.ui.ops import run_op

        self.text_view.read_again_button.setEnabled(False)
        run_op(self, lambda _control: index.queue_again(folder, [sha256]), name="read a document again",
               changes=Changes.DOCUMENT_TEXT, on_done=lambda: self.text_view.read_again_button.setEnabled(True))

    def _update_preview(self) -> None:
        self._update_text()
        target = self._preview_target()
        self.file_tabs.setVisible(target is not None)
        if target is None:
            self.thumbnail_label.clear()
            self.thumbnail_label.hide()
            self.thumbnail_caption.hide()
            return
        name = target.attachment.original_name
        if target.path is None:
            self.thumbnail_label.clear()
            self.thumbnail_label.hide()
            why = ("is missing from the data folder" if target.missing
                   else "cannot be looked at without its data folder")
            self.thumbnail_caption.setText(f"No preview: {name} {why}.")
            self.thumbnail_caption.show()
            return
        dpr = self.devicePixelRatioF() or 1.0
        preview = self._previews.get(target.attachment, dpr)
        if preview is None:  # made in the background; ``ready`` brings us back here
            self.thumbnail_label.clear()
            self.thumbnail_label.hide()
            self.thumbnail_caption.setText(f"{name}\n{PREPARING_TEXT}")
            self.thumbnail_caption.show()
            self._previews.request(target.attachment, target.path, dpr)
            return
        if preview.pixmap is not None:
            self.thumbnail_label.setPixmap(preview.pixmap)
            self.thumbnail_label.setAccessibleName(f"Preview of {name}")
            self.thumbnail_label.show()
        else:
            self.thumbnail_label.clear()
            self.thumbnail_label.hide()
        self.thumbnail_caption.setText(f"{name}\n{preview.detail}")
        self.thumbnail_caption.show()

    # --- reactions -----------------------------------------------------------------------------------------

    def _on_activated(self, index: QModelIndex) -> None:
        attachment = index.data(ATTACHMENT_ROLE)
        if attachment is not None:
            self.attachmentActivated.emit(attachment)

    def _on_selection_changed(self, *_args: object) -> None:
        self._update_preview()
        self.attachmentSelectionChanged.emit()

    @staticmethod
    def _dropped_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
        data = event.mimeData()
        if data is None or not data.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in data.urls() if url.isLocalFile()]

    def _takes(self, files: list[Path]) -> bool:
        """Files are attached to the record shown; with none shown, only a portal download is taken (it goes to
        the import dialog, as when dropped on the table)."""
        if not files or self._folder is None:
            return False
        if self._record is not None:
            return True
        from secondopinion_desktop.ui.records.portal_import import portal_download

        return any(portal_download(f) for f in files)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._drag_accepted = self._takes(self._dropped_files(event))  # decided once per drag
        if self._drag_accepted:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._drag_accepted:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._dropped_files(event)
        self._drag_accepted = False
        if not self._takes(files):
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
