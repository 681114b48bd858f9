"""A record imported from a portal, as readable text: the page ``core.portal.view.render_html`` draws (sections
with headings, tables for results), shown read-only. Nothing in it is ever followed, run or fetched: links do not
open, and every resource the page might name (an image, a style sheet) loads as nothing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, Qt, QUrl
from PySide6.QtGui import QImage, QShowEvent, QTextDocument, QTextOption
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFrame, QTextBrowser, QVBoxLayout, QWidget


class DocumentView(QTextBrowser):
    """Read-only, never loads anything: ``loadResource`` answers every request with nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentView")
        self.setAccessibleName("The imported document, as readable text")
        self.setReadOnly(True)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.setAcceptDrops(False)  # files dropped here go to the pane around it
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # A scroll bar always there: one appearing after a long page is laid out would narrow the view and lay
        # the whole page out a second time.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.document().setDocumentMargin(12)
        # Words stay whole ("Hemoglobin", not "Hemoglobi/n"): a table too wide for the pane scrolls sideways.
        self.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self.resource_requests = 0  # how often the page asked for something to load (always given nothing)
        self.source_html = ""

    def loadResource(self, kind: int, name: QUrl) -> Any:  # Qt override: nothing is ever loaded
        """Every image, style sheet or page the document names is nothing: an image is one transparent pixel,
        anything else empty. (Not None, nor an empty image: given no answer, Qt reads a local file by itself.)"""
        self.resource_requests += 1
        if kind == QTextDocument.ResourceType.ImageResource or kind == QTextDocument.ResourceType.ImageResource.value:
            blank = QImage(1, 1, QImage.Format.Format_ARGB32)
            blank.fill(Qt.GlobalColor.transparent)
            return blank
        return QByteArray()

    def set_page(self, page: str) -> None:
        """Show ``page`` (HTML whose text the core escaped); the view starts at its top."""
        self.source_html = page
        self.setHtml(page)
        self.verticalScrollBar().setValue(0)

    def clear_page(self) -> None:
        self.source_html = ""
        self.clear()

    @property
    def text_document(self) -> QTextDocument:
        return self.document()


class DocumentWindow(QDialog):
    """The same page in a window of its own, to read a long document or a wide table at ease (not modal: the
    records stay usable beside it)."""

    def __init__(self, title: str, page: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentWindow")
        self.setWindowTitle(title or "Imported document")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.view = DocumentView()
        self.page = page  # put into the view once the window is shown: laid out once, at its own size
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        from secondopinion_desktop.ui.widgets.screen import fit_to_screen

        fit_to_screen(self, 960, 800, min_width=480, min_height=360)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.view.source_html != self.page:
            self.view.set_page(self.page)
