"""The guide reader: a section list, the text (Markdown in a QTextBrowser), in-page search and text size."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.guidance import GuideSection

SECTION_SCHEME = "section"  # links like section:03-paying jump between sections
OPENABLE_SCHEMES = ("http", "https", "mailto")
ZOOM_KEY = "guidance/zoom"
MIN_ZOOM, MAX_ZOOM = -3, 8


class GuideBrowser(QTextBrowser):
    """A QTextBrowser that never loads anything from outside: links open only when clicked, in the browser."""

    def loadResource(self, kind: int, name: QUrl) -> object:
        if name.scheme() in ("", "qrc", "file") and not name.host():
            return super().loadResource(kind, name)
        return None  # no remote images, style sheets or anything else


class GuideReader(QWidget):
    """Shows one section at a time; the section list, search and text size are above and beside it."""

    sectionChanged = Signal(str)

    def __init__(self, sections: list[GuideSection], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sections = sections
        self.zoom = 0
        self.last_opened: QUrl | None = None

        self.section_list = QListWidget()
        self.section_list.setObjectName("guideSections")
        self.section_list.setAccessibleName("Guide sections")
        for section in sections:
            item = QListWidgetItem(section.title)
            item.setData(Qt.ItemDataRole.UserRole, section.key)
            self.section_list.addItem(item)
        self.section_list.setMinimumWidth(140)
        self.section_list.setWordWrap(True)
        self.section_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.section_list.currentRowChanged.connect(self._show_row)

        self.browser = GuideBrowser()
        self.browser.setObjectName("guideText")
        self.browser.setAccessibleName("Guide text")
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.anchorClicked.connect(self._link_clicked)
        self.browser.document().setDocumentMargin(18)

        self.search = QLineEdit()
        self.search.setObjectName("guideSearch")
        self.search.setAccessibleName("Search the guide")
        self.search.setPlaceholderText("Search the guide…")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_next)
        self.find_button = QToolButton()
        self.find_button.setText("Find next")
        self.find_button.setAccessibleName("Find the next match")
        self.find_button.clicked.connect(self.find_next)
        self.search_status = QLabel()
        self.search_status.setObjectName("guideSearchStatus")
        self.smaller = QToolButton()
        self.smaller.setText("A−")
        self.smaller.setToolTip("Smaller text (Ctrl+−)")
        self.smaller.setAccessibleName("Smaller text")
        self.smaller.clicked.connect(lambda: self.set_zoom(self.zoom - 1))
        self.larger = QToolButton()
        self.larger.setText("A+")
        self.larger.setToolTip("Larger text (Ctrl++)")
        self.larger.setAccessibleName("Larger text")
        self.larger.clicked.connect(lambda: self.set_zoom(self.zoom + 1))
        for keys, step in ((QKeySequence.StandardKey.ZoomIn, 1), (QKeySequence.StandardKey.ZoomOut, -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)  # while the guide is shown, wherever the focus is
            shortcut.activated.connect(self.larger.click if step > 0 else self.smaller.click)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.find_button)
        bar.addWidget(self.search_status)
        bar.addSpacing(12)
        bar.addWidget(self.smaller)
        bar.addWidget(self.larger)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(bar)
        right_layout.addWidget(self.browser, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.section_list)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 600])
        self._sized = False  # the section list gets its share once the real width is known (showEvent)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.set_zoom(int(QSettings().value(ZOOM_KEY, 0, type=int)), save=False)
        if sections:
            self.section_list.setCurrentRow(0)

    # --- sections ----------------------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if not self._sized and self.splitter.width() > 0:
            self._sized = True  # about 18 characters for the section titles (they wrap), the rest for the text
            total = self.splitter.width() - self.splitter.handleWidth()
            first = min(self.section_list.fontMetrics().averageCharWidth() * 18, total // 3)
            self.splitter.setSizes([max(first, self.section_list.minimumWidth()), total - first])

    @property
    def current_key(self) -> str:
        item = self.section_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else ""

    def show_section(self, key: str) -> bool:
        for row, section in enumerate(self.sections):
            if section.key == key:
                self.section_list.setCurrentRow(row)
                return True
        return False

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self.sections):
            return
        section = self.sections[row]
        self.browser.setMarkdown(section.markdown)
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)
        self.browser.verticalScrollBar().setValue(0)
        self.search_status.clear()
        self.sectionChanged.emit(section.key)

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == SECTION_SCHEME:
            self.show_section(url.path())
        elif url.scheme() in OPENABLE_SCHEMES:
            self.last_opened = url
            QDesktopServices.openUrl(url)  # only now, because the user clicked it

    # --- search ------------------------------------------------------------------------------------------

    def find_next(self) -> bool:
        """Find the search text after the cursor, then in the following sections; select it and scroll to it."""
        text = self.search.text().strip()
        if not text:
            self.search_status.clear()
            return False
        if self.browser.find(text):
            self.search_status.setText("")
            return True
        start = self.section_list.currentRow()
        count = len(self.sections)
        for step in range(1, count + 1):
            row = (start + step) % count
            if text.casefold() in self.sections[row].markdown.casefold():
                self.section_list.setCurrentRow(row)
                if self.browser.find(text):
                    self.search_status.setText("" if step < count else "(from the top)")
                    return True
        self.search_status.setText("Not found")
        return False

    def selected_text(self) -> str:
        return self.browser.textCursor().selectedText()

    def found_is_visible(self) -> bool:
        rect = self.browser.cursorRect()
        return self.browser.viewport().rect().contains(rect.center())

    # --- text size ---------------------------------------------------------------------------------------

    def set_zoom(self, zoom: int, *, save: bool = True) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        base = self.font()
        font = self.browser.font()
        font.setPointSizeF(max(6.0, base.pointSizeF() + 1.5 * zoom + 1))
        self.browser.setFont(font)
        self.browser.document().setDefaultFont(font)
        self.zoom = zoom
        self.smaller.setEnabled(zoom > MIN_ZOOM)
        self.larger.setEnabled(zoom < MAX_ZOOM)
        if save:
            QSettings().setValue(ZOOM_KEY, zoom)

    def document(self) -> QTextDocument:
        return self.browser.document()
