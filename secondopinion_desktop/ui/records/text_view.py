"""The text the app read of an attached file, page by page, and the words that say where a search found it.

``DocumentTextView`` is the Text tab beside the preview in the detail pane: a line saying how the file was read
(``DocumentState.describe``), a Read again button for a file read or failed, and the text itself ("Page 1",
"Page 2" headings), selectable and copyable. ``found_html`` / ``found_words`` say where a search's words are
("Found on page 3 of report.pdf: …"), the words in bold: the snippet is escaped first, then its marks become
<b></b>, so nothing in a document's text is ever taken as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from secondopinion_desktop.core.documents.model import DocumentState, Hit, PageText

MARK_START = "\x02"  # as core.documents.model (imported here without the core: the table model uses this module)
MARK_END = "\x03"
PAGES_SHOWN = 300  # a file with more pages shows its first ones (the search still finds every page)
NOT_KEPT_TEXT = "Its text is not kept (it was attached before the app read documents)."
NO_FILE_TEXT = "Select a file to see its text."


def snippet_html(snippet: str) -> str:
    """A snippet as rich text: escaped, the found words in bold, line breaks as spaces."""
    body = escape(snippet.replace("\n", " "), quote=False)
    return body.replace(MARK_START, "<b>").replace(MARK_END, "</b>")


def found_words(hit: Hit) -> str:
    """ "Found on page 3 of report.pdf" (a file of one page: "Found in photo.jpg")."""
    return f"Found on page {hit.page} of {hit.attachment_name}"


def found_html(hit: Hit, snippet: str) -> str:
    """Where the words were found and the snippet, as rich text (for a tooltip or a label)."""
    where = escape(found_words(hit), quote=False)
    return f"{where}:<br>{snippet_html(snippet)}" if snippet else f"{where}."


def pages_html(pages: Sequence[PageText], page_count: int = 0) -> str:
    """The pages as rich text: a heading per page ("Page 1"), then its text as written (escaped)."""
    parts = []
    for page in pages[:PAGES_SHOWN]:
        parts.append(f"<h3><a name='page-{page.number}'></a>Page {page.number}</h3>")
        if page.text.strip():
            parts.append(f"<p style='white-space: pre-wrap'>{escape(page.text, quote=False)}</p>")
        else:
            why = f" {page.reason}" if page.reason else ""
            parts.append(f"<p><i>No text was read from this page.{escape(why, quote=False)}</i></p>")
    if len(pages) > PAGES_SHOWN:
        total = max(page_count, len(pages))
        parts.append(f"<p><i>The first {PAGES_SHOWN} of {total:,} pages are shown here; search finds words on "
                     "every page.</i></p>")
    return "".join(parts)


class DocumentTextView(QWidget):
    """How a file was read, Read again, and its text page by page."""

    readAgain = Signal(str)  # the file's sha256

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentTextView")
        self.sha256 = ""
        self.state: DocumentState | None = None
        self.state_label = QLabel()
        self.state_label.setObjectName("textState")
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label.setWordWrap(True)
        self.state_label.setAccessibleName("How the text was read")
        self.read_again_button = QPushButton("Read again")
        self.read_again_button.setObjectName("readAgainButton")
        self.read_again_button.setToolTip("Read this file's text again (it joins the documents waiting to be read)")
        self.read_again_button.clicked.connect(lambda: self.readAgain.emit(self.sha256) if self.sha256 else None)
        self.text = QTextBrowser()
        self.text.setObjectName("documentText")
        self.text.setAccessibleName("The file's text")
        self.text.setOpenLinks(False)
        self.text.setOpenExternalLinks(False)
        self.text.setMinimumHeight(self.fontMetrics().lineSpacing() * 12)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.state_label, 1)
        top.addWidget(self.read_again_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        self.show_file("", None, [])

    def show_file(self, sha256: str, state: DocumentState | None, pages: Sequence[PageText], *,
                  describe: str | None = None) -> None:
        """Show this file's state and pages (``sha256`` "": no file; ``state`` None: no text kept for it)."""
        self.sha256, self.state = sha256, state
        if not sha256:
            line = NO_FILE_TEXT
        elif describe is not None:
            line = describe
        elif state is None:
            line = NOT_KEPT_TEXT
        else:
            line = state.describe()
        self.state_label.setText(line)
        from secondopinion_desktop.core.documents.model import FAILED, READ

        self.read_again_button.setVisible(state is not None and state.state in (READ, FAILED))
        html = pages_html(pages, state.pages if state is not None else 0) if any(p.text for p in pages) else ""
        self.text.setHtml(html)
        self.text.setVisible(bool(html))

    def show_page(self, page: int) -> None:
        self.text.scrollToAnchor(f"page-{page}")

    def plain_text(self) -> str:
        return self.text.toPlainText()
