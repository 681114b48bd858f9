"""What the app reads of a document, and what it finds in it: plain frozen dataclasses, no database, no Qt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from secondopinion_desktop.core.errors import SecondOpinionError

# how a page's text was got
BY_TEXT = "text"  # the PDF's own text layer
BY_OCR = "ocr"  # recognised from the page's picture
NO_TEXT = "none"  # nothing could be read from this page (the page's reason says why)

# the states of a file's text (``DocumentText.state``)
PENDING = "pending"
READ = "read"
FAILED = "failed"

# a snippet's highlighted words are between these two control characters: they cannot occur in stored text
# (``clean_page_text`` removes control characters), so a view can escape the snippet and then mark them
MARK_START = "\x02"
MARK_END = "\x03"


class Unreadable(SecondOpinionError):
    """Nothing could be read from this file; ``reason`` is one sentence that says why, shown to the patient
    ("It is protected by a password, so its text cannot be read.")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReaderUnavailable(SecondOpinionError):
    """The reader itself cannot work just now (its process would not start, its recognition models are missing):
    no file is to blame, so none is marked; the files stay waiting for a later pass."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PageText:
    """One page's text (pages count from 1; a photo or scan is one page, a TIFF one page per frame)."""

    number: int
    text: str
    method: str = BY_TEXT  # BY_TEXT, BY_OCR or NO_TEXT
    reason: str = ""  # why a page gave no text (NO_TEXT), e.g. "Reading this page took longer than 60 s."


@dataclass(frozen=True)
class ReadResult:
    """What was read of one file: its pages in order. ``page_count`` is how many pages the file has (a page may
    be missing from ``pages`` when reading stopped early: ``reason`` then says why)."""

    pages: tuple[PageText, ...]
    page_count: int
    reason: str = ""

    @property
    def method(self) -> str:
        methods = {p.method for p in self.pages if p.method != NO_TEXT and p.text.strip()}
        if not methods:
            return NO_TEXT
        return methods.pop() if len(methods) == 1 else "mixed"

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages if p.text)


@dataclass(frozen=True)
class DocumentState:
    """Where one file is in the reading queue, and what came of it."""

    sha256: str
    state: str  # PENDING, READ or FAILED
    reason: str = ""
    pages: int = 0
    pages_read: int = 0
    method: str = ""
    read_at: dt.datetime | None = None

    @property
    def has_text(self) -> bool:
        return self.state == READ and self.method not in ("", NO_TEXT)

    def describe(self) -> str:
        """One line for the detail pane: "Text read from 3 pages (recognised from the scan)." and the like."""
        if self.state == PENDING:
            return "Waiting to be read."
        if self.state == FAILED:
            return self.reason or "Its text could not be read."
        if not self.has_text:
            return self.reason or "No text was found in it."
        how = {BY_TEXT: "", BY_OCR: " (recognised from the picture)", "mixed": " (partly recognised from pictures)"}
        pages = f"{self.pages_read} page" + ("" if self.pages_read == 1 else "s")
        more = f" {self.reason}" if self.reason else ""
        return f"Text read from {pages}{how.get(self.method, '')}.{more}"


@dataclass(frozen=True)
class QueueCounts:
    pending: int = 0
    read: int = 0
    failed: int = 0


@dataclass(frozen=True)
class PendingFile:
    """A file waiting to be read: its vault sha256, a media type and a name it was attached under (a file
    attached twice is read once; the first attachment's media type is used)."""

    sha256: str
    media_type: str
    name: str
    size: int


@dataclass(frozen=True)
class Hit:
    """Where a search's words were found: a record, one of its files, the page (from 1) and a snippet of that
    page with the words between MARK_START and MARK_END."""

    record_id: int
    title: str
    attachment_id: int
    attachment_name: str
    sha256: str
    page: int
    snippet: str = ""

    def plain_snippet(self) -> str:
        return self.snippet.replace(MARK_START, "").replace(MARK_END, "")

    def to_json(self) -> dict[str, object]:
        return {"record_id": self.record_id, "title": self.title, "attachment_id": self.attachment_id,
                "attachment": self.attachment_name, "page": self.page, "snippet": self.plain_snippet()}


@dataclass(frozen=True)
class IndexSummary:
    """What one pass of the background reader did."""

    read: int = 0
    failed: int = 0
    left: int = 0
    failures: tuple[tuple[str, str], ...] = field(default=())  # (sha256, reason)
