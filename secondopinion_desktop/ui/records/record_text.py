"""How the detail pane writes out a record: its field rows, the waiting badge, status dates, and free text that
wraps inside the pane however long it is. All of it plain text: markup typed by the user shows literally."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QTextOption, QWheelEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QTextBrowser, QWidget

from secondopinion_desktop.core.words import day_month_year

if TYPE_CHECKING:
    from secondopinion_desktop.core.records import RecordData

LONG_TEXT_BOX_HEIGHT = 600  # text too long to lay out whole gets a box this tall that scrolls by itself
LONG_RUN = 60  # unbroken runs longer than this get invisible break opportunities so they wrap

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


class TextView(QTextBrowser):
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


def text_label(object_name: str, accessible_name: str, *, selectable: bool = True) -> QLabel:
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


def heading(text: str) -> QLabel:
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
